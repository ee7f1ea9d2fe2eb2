//! Exponential backoff for re-sent requests, shared by the client skeleton and the designs' stubs.

use super::msg::{LockEvent, LockMsg};
use crate::node::{Out, Timer};
use crate::time::Nanos;

/// The re-send wait doubles at most this many times: it never exceeds `2^MAX_DOUBLINGS` times the
/// initial wait.
pub const MAX_DOUBLINGS: u32 = 6;

/// The wait before the next re-send of an unanswered request: the initial wait, doubled after
/// every re-send up to [`MAX_DOUBLINGS`] times (64 times the initial wait, 1.28 s at the default
/// 20 ms), then that wait again. Doubling keeps retries from piling up while a request waits long;
/// the cap keeps a request whose copies happened to be lost many times in a row from waiting
/// longer than the run, which would leave the run unfinished on a lossy link.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    initial: Nanos,
    next: Nanos,
}

impl Backoff {
    /// Backoff starting at `initial` (0: never re-send).
    pub fn new(initial: Nanos) -> Backoff {
        Backoff { initial, next: initial }
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
            self.next = self.next.saturating_mul(2).min(self.cap());
        }
    }

    fn cap(&self) -> Nanos {
        self.initial.saturating_mul(1 << MAX_DOUBLINGS)
    }

    /// A generous count of the re-sends of one request left unanswered for `wait` with an
    /// initial wait of `initial` (0 when re-sending is off): one per doubling, about
    /// log2(wait / initial), and beyond the cap one per capped wait.
    pub fn resends_within(initial: Nanos, wait: Nanos) -> u64 {
        let Some(n) = wait.checked_div(initial) else { return 0 };
        let doublings = u64::from(64 - n.leading_zeros());
        if doublings <= u64::from(MAX_DOUBLINGS) + 1 {
            doublings
        } else {
            u64::from(MAX_DOUBLINGS) + 1 + (n >> MAX_DOUBLINGS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::design::DesignTimer;
    use crate::node::Command;

    #[test]
    fn the_wait_doubles_up_to_the_cap_then_stays() {
        let mut backoff = Backoff::new(3);
        let mut out = Out::default();
        let waits: Vec<Nanos> = (0..10)
            .map(|_| {
                backoff.arm(DesignTimer("retry"), &mut out);
                match out.drain().next() {
                    Some(Command::SetTimer { after, .. }) => after,
                    other => panic!("no timer: {other:?}"),
                }
            })
            .collect();
        assert_eq!(waits, [3, 6, 12, 24, 48, 96, 192, 192, 192, 192]);
        assert_eq!(Backoff::resends_within(3, 3 * 127), 7, "the doublings, as before the cap");
        assert_eq!(Backoff::resends_within(3, 3 * 1000), 7 + 1000 / 64, "then one per capped wait");
        assert_eq!(Backoff::resends_within(0, 1000), 0);
    }
}
