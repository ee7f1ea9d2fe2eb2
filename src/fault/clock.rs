//! A node's local clock: true time scaled by a rate and shifted by an offset.
//!
//! A clock running at rate `1 - ρ` is slow: after a true second it has counted only `1 - ρ`
//! seconds, so a client holding a lease believes the lease is fresher than it is. That single
//! mistake is fault F4 of the outcome table (docs/model.md §5).

use crate::time::Nanos;

/// Maps true time to local time, and local durations to true ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    /// Local nanoseconds per true nanosecond, in (0, 1]; `1 - drift`.
    pub rate: f64,
    /// Local time at true time zero; clock jumps move it.
    pub offset: i64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::PERFECT
    }
}

impl Clock {
    /// A clock that reads true time.
    pub const PERFECT: Clock = Clock { rate: 1.0, offset: 0 };

    /// A clock that runs slow by `drift` (0 ≤ drift < 1).
    pub fn slow(drift: f64) -> Clock {
        Clock { rate: 1.0 - drift, offset: 0 }
    }

    /// What the node reads at true time `t` (never before zero: a clock set back past its start
    /// reads zero until it catches up).
    pub fn local(&self, t: Nanos) -> Nanos {
        let scaled = if self.rate == 1.0 { t } else { (t as f64 * self.rate) as Nanos };
        let local = i128::from(scaled) + i128::from(self.offset);
        local.clamp(0, i128::from(Nanos::MAX)) as Nanos
    }

    /// The clock after a jump of `by` nanoseconds (forward if positive).
    pub fn jumped(self, by: i64) -> Clock {
        Clock { offset: self.offset.saturating_add(by), ..self }
    }

    /// True time from `now` until this clock reads `deadline` (0 if it already does).
    pub fn until(&self, now: Nanos, deadline: Nanos) -> Nanos {
        self.true_span(deadline.saturating_sub(self.local(now)))
    }

    /// How much true time passes while this clock counts `local` nanoseconds (rounded up, so a
    /// timer never fires before the node's clock says it is due).
    pub fn true_span(&self, local: Nanos) -> Nanos {
        if self.rate == 1.0 { local } else { (local as f64 / self.rate).ceil() as Nanos }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_clock_counts_less_and_its_timers_fire_later() {
        let c = Clock::slow(0.5);
        assert_eq!(c.local(10), 5);
        assert_eq!(c.true_span(5), 10);
        assert_eq!(Clock::PERFECT.true_span(7), 7);
    }

    #[test]
    fn a_jump_moves_the_reading_and_brings_deadlines_closer() {
        let c = Clock::PERFECT.jumped(5);
        assert_eq!(c.local(10), 15);
        assert_eq!(c.until(10, 20), 5);
        assert_eq!(Clock::PERFECT.jumped(-50).local(10), 0);
    }
}
