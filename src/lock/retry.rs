//! Exponential backoff for re-sent requests, shared by the client skeleton and the designs' stubs.

use super::msg::{LockEvent, LockMsg};
use crate::node::{Out, Timer};
use crate::time::Nanos;

/// The wait before the next re-send of an unanswered request: the initial wait, doubled after
/// every re-send. A waiting node therefore sends at most about 64 copies of one request over any
/// horizon, however long it waits, so retries cannot pile up.
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

    /// Arms timer `id` for the next re-send, if re-sending is on, and doubles the wait after it.
    pub fn arm<T: Timer>(&mut self, id: T, out: &mut Out<LockMsg, LockEvent, T>) {
        if self.next > 0 {
            out.set_timer(id, self.next);
            self.next = self.next.saturating_mul(2);
        }
    }
}
