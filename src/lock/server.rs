//! The queueing lock service of the single-server designs: one server, never two holders by its
//! own clock.
//!
//! Waiters are served FIFO the moment the lock is free. *Free* depends on the policy: released
//! (every variant), or lease expired (preemptive variants), plus the Chubby lock-delay `D` after
//! an expiry.
//!
//! Requests are identified by (client, attempt number), and the service serves each attempt once:
//! - a request older than the newest the client has sent is a late copy, and is ignored;
//! - a repeat of the holder's own attempt re-sends the grant (the first one may have been lost);
//! - a repeat of an attempt the client has released is ignored;
//! - a repeat of an attempt whose lease *expired* is queued again: the client may never have
//!   received that grant, and if it did, it releases the unwanted second grant at once;
//! - a client has at most one place in the queue: a newer attempt takes over the older one's;
//! - a release of a queued attempt gives its place up, so the waiters are served in the order
//!   they are waiting (first come, first served).
//!
//! So delay, duplication and reordering without loss can never make the service grant a lock to a
//! request nobody is waiting for, and can never block a non-preemptive lock. A release or renewal
//! for anything but the current grant changes nothing but the client's record.

use super::design::{DesignOut, DesignTimer};
use super::msg::{LockEvent, LockMsg, Token};
use super::topology::Topology;
use crate::node::{Node, NodeId};
use crate::time::Nanos;
use std::collections::VecDeque;

const EXPIRY: DesignTimer = DesignTimer::named("expiry");
const DELAY_OVER: DesignTimer = DesignTimer::named("delay-over");

/// How the service decides that a holder's time is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerPolicy {
    /// `None`: non-preemptive, the lock is held until released. `Some(L)`: a lease of `L`.
    pub lease: Option<Nanos>,
    /// Chubby's lock-delay: after a lease *expires* (not after a release) nobody gets the lock for
    /// this long.
    pub lock_delay: Nanos,
}

#[derive(Debug, Clone, Copy)]
struct Holder {
    client: NodeId,
    req: u64,
    token: Token,
    expires_at: Nanos,
}

/// What the service remembers of one client: constant size, whatever the length of the run.
#[derive(Debug, Clone, Copy, Default)]
struct ClientRecord {
    /// The newest attempt the client has sent.
    newest: u64,
    /// The newest attempt the client has released.
    released: Option<u64>,
    /// The attempt waiting in the queue, if any.
    queued: Option<u64>,
}

/// The lock service's state machine.
#[derive(Debug)]
pub struct LockServer {
    policy: ServerPolicy,
    holder: Option<Holder>,
    /// The clients with a queued attempt, in the order they asked (a newer attempt keeps its
    /// predecessor's place; a cancelled one leaves).
    queue: VecDeque<NodeId>,
    records: Vec<ClientRecord>,
    last_token: Token,
    free_from: Nanos,
    topology: Topology,
}

impl LockServer {
    /// A service with `policy` for the clients of `topology`.
    pub fn new(policy: ServerPolicy, topology: Topology) -> Self {
        LockServer {
            policy,
            holder: None,
            queue: VecDeque::new(),
            records: Vec::new(),
            last_token: 0,
            free_from: 0,
            topology,
        }
    }

    /// The current holder's node, if any (for the loom models and tests).
    pub fn holder(&self) -> Option<NodeId> {
        self.holder.map(|h| h.client)
    }

    fn record(&mut self, client: NodeId) -> &mut ClientRecord {
        if self.records.len() <= client {
            self.records.resize(client + 1, ClientRecord::default());
        }
        &mut self.records[client]
    }

    fn request(&mut self, now: Nanos, from: NodeId, req: u64, out: &mut DesignOut) {
        if let Some(h) = self.holder.filter(|h| h.client == from && h.req == req) {
            out.send(from, LockMsg::Grant { req, token: h.token, lease: self.policy.lease });
            return;
        }
        let record = self.record(from);
        if req < record.newest || record.released.is_some_and(|r| req <= r) {
            return;
        }
        record.newest = req;
        let newly_queued = record.queued.is_none();
        record.queued = Some(req);
        if newly_queued {
            self.queue.push_back(from);
        }
        self.try_grant(now, out);
    }

    fn try_grant(&mut self, now: Nanos, out: &mut DesignOut) {
        if self.holder.is_some() || now < self.free_from {
            return;
        }
        let Some(client) = self.queue.pop_front() else { return };
        let req = self.records[client].queued.take().expect("a client in the queue has an attempt queued");
        self.last_token += 1;
        let token = self.last_token;
        let expires_at = self.policy.lease.map_or(Nanos::MAX, |l| now.saturating_add(l));
        self.holder = Some(Holder { client, req, token, expires_at });
        if let Some(lease) = self.policy.lease {
            out.set_timer(EXPIRY, lease);
        }
        if let Some(index) = self.topology.client_of(client) {
            out.observe(LockEvent::Granted { client: index, token });
        }
        out.send(client, LockMsg::Grant { req, token, lease: self.policy.lease });
    }

    fn free(&mut self, now: Nanos, expired: bool, out: &mut DesignOut) {
        let Some(h) = self.holder.take() else { return };
        out.cancel_timer(EXPIRY);
        out.observe(LockEvent::Freed { token: h.token, expired });
        if expired && self.policy.lock_delay > 0 {
            self.free_from = now.saturating_add(self.policy.lock_delay);
            out.set_timer(DELAY_OVER, self.policy.lock_delay);
        }
        self.try_grant(now, out);
    }
}

impl Node for LockServer {
    type Msg = LockMsg;
    type Obs = LockEvent;
    type Timer = DesignTimer;

    fn on_start(&mut self, _now: Nanos, _out: &mut DesignOut) {}

    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) {
        match msg {
            // Only clients take locks; anything else asking is ignored, not served.
            LockMsg::Request { req } if self.topology.client_of(from).is_some() => {
                self.request(now, from, req, out)
            }
            LockMsg::Release { req, token } => {
                let record = self.record(from);
                record.released = Some(record.released.map_or(req, |r| r.max(req)));
                // A client that released attempt `req` waits for nothing up to it, and gives up
                // its place: asking again queues it behind everyone already waiting.
                if record.queued.is_some_and(|q| q <= req) {
                    record.queued = None;
                    self.queue.retain(|&c| c != from);
                }
                if self.holder.is_some_and(|h| h.token == token) {
                    self.free(now, false, out);
                }
            }
            LockMsg::Renew { token, sent_at } => {
                if let (Some(h), Some(lease)) = (self.holder.as_mut(), self.policy.lease)
                    && h.token == token
                {
                    h.expires_at = now.saturating_add(lease);
                    out.send(from, LockMsg::Renewed { token, sent_at });
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, now: Nanos, timer: DesignTimer, out: &mut DesignOut) {
        match timer {
            EXPIRY => match self.holder {
                Some(h) if h.expires_at <= now => self.free(now, true, out),
                Some(h) if h.expires_at != Nanos::MAX => out.set_timer(EXPIRY, h.expires_at - now),
                _ => {}
            },
            DELAY_OVER => self.try_grant(now, out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Command, Out};

    fn grants(out: &mut DesignOut) -> Vec<(NodeId, u64)> {
        let grants = out
            .commands()
            .iter()
            .filter_map(|c| match c {
                Command::Send { to, msg: LockMsg::Grant { req, .. } } => Some((*to, *req)),
                _ => None,
            })
            .collect();
        out.drain();
        grants
    }

    /// Late copies of a request its client has released, or has given up for a newer one, are
    /// never granted; a repeat of the holder's own attempt gets its grant again.
    #[test]
    fn each_attempt_is_served_once() {
        let policy = ServerPolicy { lease: None, lock_delay: 0 };
        let mut server = LockServer::new(policy, Topology { servers: 1, clients: 2 });
        let mut out = Out::default();
        let (a, b) = (3, 4);
        server.on_msg(0, a, LockMsg::Request { req: 1 }, &mut out);
        assert_eq!(grants(&mut out), vec![(a, 1)]);
        server.on_msg(0, a, LockMsg::Request { req: 1 }, &mut out);
        assert_eq!(grants(&mut out), vec![(a, 1)], "the holder's repeat is answered again");
        server.on_msg(0, b, LockMsg::Request { req: 1 }, &mut out);
        server.on_msg(0, b, LockMsg::Request { req: 2 }, &mut out);
        server.on_msg(0, b, LockMsg::Request { req: 1 }, &mut out);
        server.on_msg(0, a, LockMsg::Release { req: 1, token: 1 }, &mut out);
        assert_eq!(grants(&mut out), vec![(b, 2)], "b waits once, for its newest attempt");
        server.on_msg(0, a, LockMsg::Request { req: 1 }, &mut out);
        server.on_msg(0, b, LockMsg::Release { req: 2, token: 2 }, &mut out);
        assert_eq!(grants(&mut out), vec![], "a released attempt 1: its late copy is nobody's");
        assert_eq!(server.holder(), None);
    }

    /// A cancelled place in the queue is given up: a client that cancels a queued attempt and
    /// asks again queues behind everyone who asked before it asked again (issue 15).
    #[test]
    fn a_cancel_gives_up_the_place_in_the_queue() {
        let policy = ServerPolicy { lease: None, lock_delay: 0 };
        let mut server = LockServer::new(policy, Topology { servers: 1, clients: 4 });
        let mut out = Out::default();
        let (a, b, c, d) = (3, 4, 5, 6);
        // Grants in order: (client, attempt, token).
        let mut granted: Vec<(NodeId, u64, Token)> = Vec::new();
        let mut send = |from: NodeId, msg: LockMsg, granted: &mut Vec<(NodeId, u64, Token)>| {
            server.on_msg(0, from, msg, &mut out);
            for command in out.drain() {
                if let Command::Send { to, msg: LockMsg::Grant { req, token, .. } } = command {
                    granted.push((to, req, token));
                }
            }
            server.holder()
        };
        // A client releases attempt `req`, with the token it was granted for it, if any.
        let release = |granted: &[(NodeId, u64, Token)], client, req| {
            let token = granted.iter().find(|g| (g.0, g.1) == (client, req)).map_or(0, |g| g.2);
            LockMsg::Release { req, token }
        };
        send(a, LockMsg::Request { req: 1 }, &mut granted);
        send(b, LockMsg::Request { req: 1 }, &mut granted);
        send(c, LockMsg::Request { req: 1 }, &mut granted);
        send(b, LockMsg::Release { req: 1, token: 0 }, &mut granted);
        send(b, LockMsg::Request { req: 2 }, &mut granted);
        send(a, release(&granted, a, 1), &mut granted);
        send(b, release(&granted, b, 2), &mut granted);
        send(d, LockMsg::Request { req: 1 }, &mut granted);
        send(b, LockMsg::Request { req: 3 }, &mut granted);
        let holder = send(c, release(&granted, c, 1), &mut granted);
        // b's second attempt came after c's first, and b gave it up before d asked.
        let order: Vec<NodeId> = granted.iter().map(|g| g.0).collect();
        assert_eq!(order, vec![a, c, d], "first come, first served");
        assert_eq!(holder, Some(d));
    }
}
