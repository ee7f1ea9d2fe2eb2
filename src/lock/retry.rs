//! Exponential backoff for re-sent requests, shared by the client skeleton and the designs' stubs.

use super::config::LockConfig;
use super::msg::{LockEvent, LockMsg};
use crate::node::{Out, Timer};
use crate::time::Nanos;

/// The re-send wait doubles at least this many times before the cap: the cap is at least
/// `2^MIN_DOUBLINGS` times the initial wait.
pub const MIN_DOUBLINGS: u32 = 6;
/// The cap is at least this fraction of the run's horizon, so a client waiting for the whole run
/// sends at most about this many copies of one request, whatever the horizon.
pub const COPIES_PER_HORIZON: u64 = 1024;

/// The wait before the next re-send of an unanswered request: the initial wait, doubled after
/// every re-send up to a cap ([`Backoff::for_run`]: 64 times the initial wait, or a 1024th of the
/// horizon if that is longer; 1.28 s at the default 20 ms and a short horizon), then that wait
/// again. Doubling keeps the copies of a long-waiting request few; the cap keeps a request whose
/// copies were lost many times in a row from waiting out the run, which left runs on lossy links
/// unfinished.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    initial: Nanos,
    cap: Nanos,
    next: Nanos,
}

impl Backoff {
    /// Backoff starting at `initial` (0: never re-send), doubling up to `cap`.
    pub fn new(initial: Nanos, cap: Nanos) -> Backoff {
        Backoff { initial, cap: cap.max(initial), next: initial }
    }

    /// The backoff of `cfg`'s re-sends: from [`retry`](LockConfig::retry) up to the larger of
    /// `2^MIN_DOUBLINGS` times it and `1/COPIES_PER_HORIZON` of the horizon.
    pub fn for_run(cfg: &LockConfig) -> Backoff {
        let cap = (cfg.retry.saturating_mul(1 << MIN_DOUBLINGS)).max(cfg.horizon() / COPIES_PER_HORIZON);
        Backoff::new(cfg.retry, cap)
    }

    /// A new request: the next wait is the initial one again.
    pub fn restart(&mut self) {
        self.next = self.initial;
    }

    /// Arms timer `id` for the next re-send, if re-sending is on, and doubles the wait after it
    /// up to the cap.
    pub fn arm<T: Timer>(&mut self, id: T, out: &mut Out<LockMsg, LockEvent, T>) {
        if self.next > 0 {
            out.set_timer(id, self.next);
            self.next = self.next.saturating_mul(2).min(self.cap);
        }
    }

    /// A generous count of the re-sends of one request left unanswered for `wait` (0 when
    /// re-sending is off): one per doubling, about log2(wait / initial), and beyond the cap one
    /// per capped wait.
    pub fn resends_within(&self, wait: Nanos) -> u64 {
        let Some(n) = wait.checked_div(self.initial) else { return 0 };
        let doublings = u64::from(64 - n.leading_zeros());
        let to_cap = u64::from(63 - (self.cap / self.initial).leading_zeros());
        if doublings <= to_cap + 1 { doublings } else { to_cap + 1 + wait / self.cap }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::design::DesignTimer;
    use crate::node::Command;

    #[test]
    fn the_wait_doubles_up_to_the_cap_then_stays() {
        let mut backoff = Backoff::new(3, 192);
        let mut out = Out::default();
        let waits: Vec<Nanos> = (0..10)
            .map(|_| {
                backoff.arm(DesignTimer::named("retry"), &mut out);
                match out.drain().next() {
                    Some(Command::SetTimer { after, .. }) => after,
                    other => panic!("no timer: {other:?}"),
                }
            })
            .collect();
        assert_eq!(waits, [3, 6, 12, 24, 48, 96, 192, 192, 192, 192]);
        assert_eq!(backoff.resends_within(3 * 127), 7, "the doublings, as before the cap");
        assert_eq!(backoff.resends_within(3 * 1000), 7 + 1000 / 64, "then one per capped wait");
        assert_eq!(Backoff::new(0, 0).resends_within(1000), 0);
    }

    #[test]
    fn the_cap_grows_with_the_horizon() {
        use crate::lock::{EngineKind, LockConfig, Variant};
        use crate::time::{MS, SEC};
        let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        cfg.horizon = Some(5 * SEC);
        assert_eq!(Backoff::for_run(&cfg).cap, 64 * 20 * MS);
        cfg.horizon = Some(10_000 * SEC);
        assert_eq!(Backoff::for_run(&cfg).cap, 10_000 * SEC / 1024);
    }
}
