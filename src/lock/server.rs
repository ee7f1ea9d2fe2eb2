//! The lock service: one server, always available, never two holders by its own clock.
//!
//! Waiters are served FIFO the moment the lock is free. *Free* depends on the policy: released
//! (every variant), or lease expired (preemptive variants), plus the Chubby lock-delay `D` after
//! an expiry. A request from the current holder for the same attempt re-sends the grant (the first
//! one may have been lost); a release or renewal for anything but the current grant is ignored.

use super::msg::{LockEvent, LockMsg, Token};
use crate::node::{Node, NodeId, Out, TimerId};
use crate::time::Nanos;
use std::collections::VecDeque;

const EXPIRY: TimerId = 0;
const DELAY_OVER: TimerId = 1;

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

/// The lock service's state machine.
#[derive(Debug)]
pub struct LockServer {
    policy: ServerPolicy,
    holder: Option<Holder>,
    queue: VecDeque<(NodeId, u64)>,
    last_token: Token,
    free_from: Nanos,
    client_of: fn(NodeId) -> usize,
}

impl LockServer {
    /// A service with `policy`; `client_of` names a client node for the oracles.
    pub fn new(policy: ServerPolicy, client_of: fn(NodeId) -> usize) -> Self {
        LockServer { policy, holder: None, queue: VecDeque::new(), last_token: 0, free_from: 0, client_of }
    }

    /// The current holder's node, if any (for the loom models and tests).
    pub fn holder(&self) -> Option<NodeId> {
        self.holder.map(|h| h.client)
    }

    fn try_grant(&mut self, now: Nanos, out: &mut Out<LockMsg, LockEvent>) {
        if self.holder.is_some() || now < self.free_from {
            return;
        }
        let Some((client, req)) = self.queue.pop_front() else { return };
        self.last_token += 1;
        let token = self.last_token;
        let expires_at = self.policy.lease.map_or(Nanos::MAX, |l| now.saturating_add(l));
        self.holder = Some(Holder { client, req, token, expires_at });
        if let Some(lease) = self.policy.lease {
            out.set_timer(EXPIRY, lease);
        }
        out.observe(LockEvent::Granted { client: (self.client_of)(client), token });
        out.send(client, LockMsg::Grant { req, token, lease: self.policy.lease });
    }

    fn free(&mut self, now: Nanos, expired: bool, out: &mut Out<LockMsg, LockEvent>) {
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

    fn on_start(&mut self, _now: Nanos, _out: &mut Out<LockMsg, LockEvent>) {}

    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut Out<LockMsg, LockEvent>) {
        match msg {
            LockMsg::Request { req } => {
                if let Some(h) = self.holder.filter(|h| h.client == from && h.req == req) {
                    out.send(from, LockMsg::Grant { req, token: h.token, lease: self.policy.lease });
                } else if !self.queue.iter().any(|&(c, r)| c == from && r == req) {
                    self.queue.push_back((from, req));
                    self.try_grant(now, out);
                }
            }
            LockMsg::Release { token } if self.holder.is_some_and(|h| h.token == token) => {
                self.free(now, false, out);
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

    fn on_timer(&mut self, now: Nanos, timer: TimerId, out: &mut Out<LockMsg, LockEvent>) {
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
