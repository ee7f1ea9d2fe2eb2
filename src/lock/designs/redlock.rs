//! Redlock: `N` independent lock servers, each with `SET key value NX PX ttl` semantics, and a
//! client that needs a majority of them.
//!
//! - **Server.** One key. A request sets it when it is unset or expired *by the server's own
//!   clock*, and is refused otherwise; nobody queues. A release deletes the key only if it still
//!   holds the releaser's value (here: the client and its attempt number). Expiry is judged when
//!   the next request arrives, from the local time the key was set, so a server whose clock jumps
//!   forward lets a key go early: antirez's design assumes it never does.
//! - **Client.** Sends the request to every server at once and counts grants. With a majority it
//!   holds the lock for the *validity time*, `TTL - elapsed - drift allowance` (1% of the TTL)
//!   measured on its own clock from the moment it sent the requests; if the validity is already
//!   gone, or a majority can no longer be reached (too many refusals, or no answer within the
//!   TTL), the attempt fails: the client releases on every server, including those it believes it
//!   did not lock, waits a random backoff in `[retry/2, retry]`, and tries again. Leaving the
//!   section releases on every server.
//! - **Token.** Redlock has no fencing token of its own. The client presents the largest counter
//!   among its majority's grants (each server counts the keys it set), with the client's number
//!   in the low bits so that no two acquisitions share one. These tokens are unique but *not*
//!   ordered like the acquisitions: fencing storage that checks every access still keeps the data
//!   consistent (a section that presents a lower token than one already seen is refused), at the
//!   cost of refusing sections that did nothing wrong; that is Kleppmann's point, measured.
//!
//! The margin check (`--margin`) compares `m` with what is left of the validity time, which is
//! Redlock's own advice: do the work only while the lock is still valid.

use crate::lock::client::TimerStart;
use crate::lock::config::{ConfigError, LockConfig};
use crate::lock::design::{DesignOut, DesignTimer, LockDesign, LockService, LockStub, Timing, majority};
use crate::lock::msg::{LockEvent, LockMsg, Token};
use crate::lock::storage::Fencing;
use crate::lock::topology::Topology;
use crate::node::{Node, NodeId};
use crate::rng::{self, Rng};
use crate::time::Nanos;
use rand::Rng as _;

/// The design, with the storage it comes with.
#[derive(Debug, Clone, Copy)]
pub struct Redlock {
    /// What storage checks.
    pub fencing: Fencing,
}

/// Redlock on plain storage.
pub const REDLOCK: Redlock = Redlock { fencing: Fencing::None };
/// Redlock with storage checking its tokens on every access.
pub const REDLOCK_FENCED: Redlock = Redlock { fencing: Fencing::All };

/// Bits of a token that carry the client's number (clients are at most 256).
const CLIENT_BITS: u32 = 9;
/// Stream of the clients' backoff draws.
const BACKOFF_STREAM: u64 = 3;

impl LockDesign for Redlock {
    fn name(&self) -> &str {
        match self.fencing {
            Fencing::None => "redlock",
            _ => "redlock-fenced",
        }
    }
    fn about(&self) -> &str {
        match self.fencing {
            Fencing::None => {
                "a majority of --servers independent SET NX PX servers within the validity time (default 3)"
            }
            _ => "redlock, plus storage checking its (unique, unordered) tokens on every access",
        }
    }
    fn fencing(&self) -> Fencing {
        self.fencing
    }
    fn multi_server(&self) -> bool {
        true
    }
    fn defaults(&self, cfg: &mut LockConfig) {
        cfg.servers = 3;
    }
    fn validate(&self, cfg: &LockConfig) -> Result<(), ConfigError> {
        // Redlock has no renewal here, no lock-delay, and counts validity from the request.
        let unused = [
            ("--renew", cfg.renew > 0),
            ("--lock-delay", cfg.lock_delay > 0),
            ("--timer-start", cfg.timer_start != TimerStart::Grant),
        ];
        if let Some((flag, _)) = unused.iter().find(|(_, set)| *set) {
            return Err(ConfigError::NotForDesign { flag, design: self.name().to_string() });
        }
        if cfg.retry == 0 {
            // A client that never tries again after a refusal would block at the first one.
            return Err(ConfigError::ZeroWork("the retry interval"));
        }
        Ok(())
    }
    fn server(&self, cfg: &LockConfig, _index: usize, topology: &Topology) -> Box<dyn LockService> {
        Box::new(RedlockServer::new(ttl(cfg), *topology))
    }
    fn stub(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockStub> {
        Box::new(RedlockStub::new(cfg, index, topology))
    }
    fn timing(&self, cfg: &LockConfig) -> Option<Timing> {
        // Not queued: a waiter takes the lock at its first poll after the expiry, not at it, and
        // the closed forms wait for that poll (`predict::closed_form`).
        Some(Timing { lease: Some(validity(ttl(cfg))), expiry: cfg.lease, lock_delay: 0, queued: false })
    }
    fn events_per_acquisition(&self, cfg: &LockConfig) -> u64 {
        // Each waiting client polls about every 3/4 retry while a section lasts, and a poll is a
        // request, an answer and a release per server, and a timer.
        let per_poll = 3 * cfg.servers as u64 + 1;
        let polls = cfg.per_acquisition().div_ceil((cfg.retry / 2).max(1)) + 1;
        64 + 2 * per_poll * polls * cfg.clients as u64
    }
}

/// The chance that a waiting client, polling after backoffs drawn uniformly from `[r/2, r]`
/// (`r` = `retry`), polls at least once in a given window of `window` nanoseconds: the closed
/// form of Kleppmann's clock-jump case (docs/model.md §4.1), where the window is the time between
/// a jumped server letting a bare majority's key go and the holder's release.
///
/// The polls are a stationary renewal process with gaps `G ~ U[a, b]` (`a = r/2`, `b = r`) and
/// mean `μ = 3r/4`, so the chance of no poll in a window of length `x` is
/// `(1/μ) ∫_x^∞ P(G > t) dt`: `x/μ` is hit for `x ≤ a`, `1 - (b - x)²/(2(b - a)μ)` for
/// `a ≤ x ≤ b`, and a poll is certain beyond `b`.
pub fn poll_lands_in(window: Nanos, retry: Nanos) -> f64 {
    let (x, a, b) = (window as f64, (retry / 2) as f64, retry as f64);
    let mean = (a + b) / 2.0;
    if x >= b {
        1.0
    } else if x <= a {
        x / mean
    } else {
        1.0 - (b - x).powi(2) / (2.0 * (b - a) * mean)
    }
}

pub(crate) fn ttl(cfg: &LockConfig) -> Nanos {
    cfg.lease.expect("redlock is preemptive: validation requires a lease")
}

/// The TTL less Redlock's clock-drift allowance of 1%.
pub(crate) fn validity(ttl: Nanos) -> Nanos {
    ttl - ttl / 100
}

#[derive(Debug, Clone, Copy)]
struct Key {
    client: NodeId,
    req: u64,
    token: Token,
    set_at: Nanos,
}

/// One Redlock server: a single key with `SET NX PX` semantics (module docs).
#[derive(Debug)]
pub struct RedlockServer {
    ttl: Nanos,
    key: Option<Key>,
    counter: Token,
    topology: Topology,
}

impl RedlockServer {
    /// A server whose keys live `ttl` by its own clock.
    pub fn new(ttl: Nanos, topology: Topology) -> Self {
        RedlockServer { ttl, key: None, counter: 0, topology }
    }
}

impl Node for RedlockServer {
    type Msg = LockMsg;
    type Obs = LockEvent;
    /// It sets none: an expired key is noticed when next asked for.
    type Timer = DesignTimer;

    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) {
        if self.topology.client_of(from).is_none() {
            return;
        }
        let live = self.key.filter(|k| now < k.set_at.saturating_add(self.ttl));
        match msg {
            LockMsg::Request { req } => {
                let reply = match live {
                    // A repeat of the request that set the key (a duplicated message).
                    Some(k) if (k.client, k.req) == (from, req) => {
                        LockMsg::Grant { req, token: k.token, lease: Some(self.ttl) }
                    }
                    Some(_) => LockMsg::Refused { req },
                    None => {
                        self.counter += 1;
                        let token = self.counter;
                        self.key = Some(Key { client: from, req, token, set_at: now });
                        LockMsg::Grant { req, token, lease: Some(self.ttl) }
                    }
                };
                out.send(from, reply);
            }
            LockMsg::Release { req, .. } if self.key.is_some_and(|k| (k.client, k.req) == (from, req)) => {
                self.key = None;
            }
            _ => {}
        }
    }
}

const GIVE_UP: DesignTimer = DesignTimer::named("give-up");
const NO_ANSWER: DesignTimer = DesignTimer::named("no-answer");
const AGAIN: DesignTimer = DesignTimer::named("again");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Acquiring,
    BackingOff,
    Holding,
}

/// A Redlock client's side (module docs).
#[derive(Debug)]
pub struct RedlockStub {
    servers: std::ops::Range<NodeId>,
    quorum: u32,
    ttl: Nanos,
    retry: Nanos,
    client_bits: Token,
    rng: Rng,
    state: State,
    req: u64,
    started: Nanos,
    granted: u64,
    refused: u64,
    largest: Token,
    token: Token,
    /// How long to wait for the servers' answers before counting the silent ones as not locked;
    /// `None`: until the validity time is gone.
    answer_within: Option<Nanos>,
}

impl RedlockStub {
    /// Client `index`'s stub for `cfg`.
    pub fn new(cfg: &LockConfig, index: usize, topology: &Topology) -> Self {
        RedlockStub {
            servers: topology.servers(),
            quorum: majority(topology.servers) as u32,
            ttl: ttl(cfg),
            retry: cfg.retry,
            client_bits: index as Token,
            rng: rng::stream(cfg.seed, &[BACKOFF_STREAM, index as u64]),
            state: State::Idle,
            req: 0,
            started: 0,
            granted: 0,
            refused: 0,
            largest: 0,
            token: 0,
            answer_within: None,
        }
    }

    /// The same stub, counting a server that has not answered within `timeout` as one it did not
    /// lock, as Redlock's clients do with their per-instance timeout ("small compared to the
    /// auto-release time"), so that a silent server costs `timeout`, not the validity time. The
    /// designs on real servers use it; the model's Redlock waits out the validity time.
    pub fn answering_within(mut self, timeout: Nanos) -> Self {
        self.answer_within = Some(timeout);
        self
    }

    fn attempt(&mut self, now: Nanos, out: &mut DesignOut) {
        self.req += 1;
        self.state = State::Acquiring;
        self.started = now;
        (self.granted, self.refused, self.largest) = (0, 0, 0);
        for server in self.servers.clone() {
            out.send(server, LockMsg::Request { req: self.req });
        }
        out.set_timer(GIVE_UP, validity(self.ttl));
        if let Some(timeout) = self.answer_within {
            out.set_timer(NO_ANSWER, timeout);
        }
    }

    fn release_all(&self, req: u64, out: &mut DesignOut) {
        for server in self.servers.clone() {
            out.send(server, LockMsg::Release { req, token: self.token });
        }
    }

    /// The attempt cannot succeed: unlock everywhere, then try again after a random backoff.
    fn fail(&mut self, out: &mut DesignOut) {
        self.cancel_waits(out);
        self.release_all(self.req, out);
        self.state = State::BackingOff;
        let wait = self.rng.random_range(self.retry / 2..=self.retry).max(1);
        out.set_timer(AGAIN, wait);
    }

    fn cancel_waits(&self, out: &mut DesignOut) {
        out.cancel_timer(GIVE_UP);
        if self.answer_within.is_some() {
            out.cancel_timer(NO_ANSWER);
        }
    }

    fn bit(&self, from: NodeId) -> Option<u64> {
        self.servers.contains(&from).then(|| 1u64 << (from - self.servers.start))
    }

    fn servers(&self) -> u32 {
        self.servers.len() as u32
    }
}

impl LockStub for RedlockStub {
    fn acquire(&mut self, now: Nanos, out: &mut DesignOut) {
        self.attempt(now, out);
    }

    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) -> Option<Token> {
        let bit = self.bit(from)?;
        match msg {
            LockMsg::Grant { req, token, .. } if req == self.req && self.state == State::Acquiring => {
                self.granted |= bit;
                self.refused &= !bit;
                self.largest = self.largest.max(token);
                if self.granted.count_ones() < self.quorum {
                    return None;
                }
                // Validity, on this client's clock, from the moment the requests went out.
                if now >= self.started.saturating_add(validity(self.ttl)) {
                    self.fail(out);
                    return None;
                }
                self.cancel_waits(out);
                self.state = State::Holding;
                self.token = (self.largest << CLIENT_BITS) | self.client_bits;
                Some(self.token)
            }
            LockMsg::Refused { req } if req == self.req && self.state == State::Acquiring => {
                if self.granted & bit == 0 {
                    self.refused |= bit;
                }
                if self.servers() - self.refused.count_ones() < self.quorum {
                    self.fail(out);
                }
                None
            }
            // A grant for an attempt the client has given up or finished: give it back.
            LockMsg::Grant { req, .. } if req != self.req || self.state != State::Holding => {
                out.send(from, LockMsg::Release { req, token: 0 });
                None
            }
            _ => None,
        }
    }

    fn on_timer(&mut self, now: Nanos, timer: DesignTimer, out: &mut DesignOut) -> Option<Token> {
        match (timer, self.state) {
            // Without a majority yet, the silent servers count as not locked.
            (GIVE_UP | NO_ANSWER, State::Acquiring) => self.fail(out),
            (AGAIN, State::BackingOff) => self.attempt(now, out),
            _ => {}
        }
        None
    }

    fn time_left(&self, now: Nanos) -> Option<i128> {
        Some(i128::from(self.started) + i128::from(validity(self.ttl)) - i128::from(now))
    }

    fn release(&mut self, _now: Nanos, out: &mut DesignOut) {
        if self.state != State::Idle {
            self.cancel_waits(out);
            out.cancel_timer(AGAIN);
            self.release_all(self.req, out);
        }
        self.state = State::Idle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::US;

    #[test]
    fn a_poll_lands_in_a_window_by_its_length() {
        let r = 200 * US;
        assert_eq!(poll_lands_in(0, r), 0.0);
        assert!((poll_lands_in(75 * US, r) - 0.5).abs() < 1e-12);
        // The pieces meet at r/2 and at r.
        assert!((poll_lands_in(100 * US, r) - 2.0 / 3.0).abs() < 1e-12);
        assert!((poll_lands_in(100 * US + 1, r) - 2.0 / 3.0).abs() < 1e-4);
        assert!((poll_lands_in(r - 1, r) - 1.0).abs() < 1e-6);
        assert_eq!(poll_lands_in(r, r), 1.0);
    }
}
