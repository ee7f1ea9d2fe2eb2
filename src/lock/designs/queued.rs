//! The single-server designs: one lock service that queues waiters and grants in FIFO order
//! ([`LockServer`]), and the stub its clients use. Six built-in variants are this design with
//! different settings: non-preemptive, lease, lease with a safety margin, lease with Chubby's
//! lock-delay, and a lease with fenced storage (every access, or writes only).

use crate::lock::client::TimerStart;
use crate::lock::config::{ConfigError, LockConfig};
use crate::lock::design::{DesignOut, DesignTimer, LockDesign, LockService, LockStub, Timing};
use crate::lock::msg::{LockMsg, Token};
use crate::lock::retry::Backoff;
use crate::lock::server::{LockServer, ServerPolicy};
use crate::lock::storage::Fencing;
use crate::lock::topology::Topology;
use crate::node::NodeId;
use crate::time::{MS, Nanos};

/// A single-server design: the service's policy and the storage it comes with.
#[derive(Debug, Clone, Copy)]
pub struct Queued {
    /// The variant's name.
    pub name: &'static str,
    /// Its line in `--help`.
    pub about: &'static str,
    /// Whether the service takes the lock back after a lease.
    pub preemptive: bool,
    /// What storage checks.
    pub fencing: Fencing,
    /// The safety margin it defaults to, and requires (`None`: no margin unless given).
    pub margin: Option<Nanos>,
    /// The lock-delay it defaults to, and requires when above 0.
    pub lock_delay: Nanos,
}

const fn lease(name: &'static str, about: &'static str, fencing: Fencing) -> Queued {
    Queued { name, about, preemptive: true, fencing, margin: None, lock_delay: 0 }
}

/// Held until released; never taken away.
pub const NON_PREEMPTIVE: Queued = Queued {
    preemptive: false,
    ..lease("non-preemptive", "held until released; a crashed holder blocks everyone", Fencing::None)
};
/// A lease of `L`: the service takes the lock back when it expires.
pub const LEASE: Queued = lease("lease", "the service takes the lock back after L", Fencing::None);
/// A lease plus a client-side safety margin `m` checked before touching storage.
pub const LEASE_MARGIN: Queued = Queued {
    margin: Some(2 * MS),
    ..lease("lease-margin", "lease, plus a client-side check that at least m is left", Fencing::None)
};
/// A lease plus Chubby's lock-delay `D` after an expiry.
pub const LOCK_DELAY: Queued = Queued {
    lock_delay: 5 * MS,
    ..lease("lock-delay", "lease, plus Chubby's lock-delay D after an expiry", Fencing::None)
};
/// A lease plus fencing tokens checked by storage on every access.
pub const FENCED: Queued =
    lease("fenced", "lease, plus fencing tokens checked on every storage access", Fencing::All);
/// A lease plus fencing tokens checked on writes only (deliberately flawed).
pub const FENCED_WRITES: Queued =
    lease("fenced-writes", "lease, plus fencing tokens checked on writes only (flawed)", Fencing::WritesOnly);

impl LockDesign for Queued {
    fn name(&self) -> &str {
        self.name
    }
    fn about(&self) -> &str {
        self.about
    }
    fn preemptive(&self) -> bool {
        self.preemptive
    }
    fn fencing(&self) -> Fencing {
        self.fencing
    }
    fn quorum(&self, _servers: usize) -> usize {
        1
    }
    fn defaults(&self, cfg: &mut LockConfig) {
        cfg.margin = self.margin;
        cfg.lock_delay = self.lock_delay;
    }
    fn validate(&self, cfg: &LockConfig) -> Result<(), ConfigError> {
        // A margin of 0 is the most common check of all ("is my lease still valid?" right before
        // touching storage): it aborts only once the client's own clock says the lease is over.
        if self.margin.is_some() && cfg.margin.is_none() {
            return Err(ConfigError::MissingMargin);
        }
        if self.lock_delay > 0 && cfg.lock_delay == 0 {
            return Err(ConfigError::MissingLockDelay);
        }
        Ok(())
    }
    fn server(&self, cfg: &LockConfig, _index: usize, topology: &Topology) -> Box<dyn LockService> {
        Box::new(LockServer::new(ServerPolicy { lease: cfg.lease, lock_delay: cfg.lock_delay }, *topology))
    }
    fn stub(&self, cfg: &LockConfig, _index: usize, topology: &Topology) -> Box<dyn LockStub> {
        Box::new(QueuedStub::new(topology.server(0), cfg))
    }
    fn timing(&self, cfg: &LockConfig) -> Option<Timing> {
        Some(Timing { lease: cfg.lease, expiry: cfg.lease, lock_delay: cfg.lock_delay, queued: true })
    }
}

const RETRY: DesignTimer = DesignTimer::named("retry");
const RENEW: DesignTimer = DesignTimer::named("renew");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Acquiring,
    Holding,
}

/// The client side of a queueing service: request (re-sent with backoff until granted), hold
/// (renewing the lease if asked to), release.
///
/// The lease countdown starts at the grant's arrival or at the request ([`TimerStart`]), and a
/// renewal moves it to the moment the renewal was sent. A grant the stub is not waiting for (a
/// late re-grant of an attempt whose lease expired) is given back at once, so the lock does not
/// sit with a request that no longer exists.
#[derive(Debug)]
pub struct QueuedStub {
    server: NodeId,
    renew: Nanos,
    timer_start: TimerStart,
    backoff: Backoff,
    state: State,
    req: u64,
    requested_at: Nanos,
    token: Token,
    lease: Option<Nanos>,
    lease_from: Nanos,
}

impl QueuedStub {
    /// A stub of `server` in a run of `cfg`: re-sending as [`Backoff::for_run`] says, renewing
    /// every [`renew`](LockConfig::renew) (0: never), counting the lease down from
    /// [`timer_start`](LockConfig::timer_start).
    pub fn new(server: NodeId, cfg: &LockConfig) -> Self {
        QueuedStub {
            server,
            renew: cfg.renew,
            timer_start: cfg.timer_start,
            backoff: Backoff::for_run(cfg),
            state: State::Idle,
            req: 0,
            requested_at: 0,
            token: 0,
            lease: None,
            lease_from: 0,
        }
    }

    fn send_request(&mut self, out: &mut DesignOut) {
        out.send(self.server, LockMsg::Request { req: self.req });
        self.backoff.arm(RETRY, out);
    }
}

impl LockStub for QueuedStub {
    fn acquire(&mut self, now: Nanos, out: &mut DesignOut) {
        self.req += 1;
        self.requested_at = now;
        self.state = State::Acquiring;
        self.backoff.restart();
        self.send_request(out);
    }

    fn on_msg(&mut self, now: Nanos, _from: NodeId, msg: LockMsg, out: &mut DesignOut) -> Option<Token> {
        match msg {
            LockMsg::Grant { req, token, lease } if self.state == State::Acquiring && req == self.req => {
                out.cancel_timer(RETRY);
                self.state = State::Holding;
                self.token = token;
                self.lease = lease;
                self.lease_from = match self.timer_start {
                    TimerStart::Grant => now,
                    TimerStart::Request => self.requested_at,
                };
                if self.renew > 0 && lease.is_some() {
                    out.set_timer(RENEW, self.renew);
                }
                Some(token)
            }
            LockMsg::Grant { req, token, .. } if !(self.state == State::Holding && token == self.token) => {
                out.send(self.server, LockMsg::Release { req, token });
                None
            }
            LockMsg::Renewed { token, sent_at } if self.state == State::Holding && token == self.token => {
                self.lease_from = self.lease_from.max(sent_at);
                None
            }
            _ => None,
        }
    }

    fn on_timer(&mut self, now: Nanos, timer: DesignTimer, out: &mut DesignOut) -> Option<Token> {
        match (timer, self.state) {
            (RETRY, State::Acquiring) => self.send_request(out),
            (RENEW, State::Holding) => {
                out.send(self.server, LockMsg::Renew { token: self.token, sent_at: now });
                out.set_timer(RENEW, self.renew);
            }
            _ => {}
        }
        None
    }

    fn time_left(&self, now: Nanos) -> Option<i128> {
        self.lease.map(|lease| i128::from(self.lease_from) + i128::from(lease) - i128::from(now))
    }

    fn release(&mut self, _now: Nanos, out: &mut DesignOut) {
        out.cancel_timer(RENEW);
        out.send(self.server, LockMsg::Release { req: self.req, token: self.token });
        self.state = State::Idle;
    }
}
