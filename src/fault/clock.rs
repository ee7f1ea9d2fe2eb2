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
    /// Local time at true time zero.
    pub offset: Nanos,
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

    /// What the node reads at true time `t`.
    pub fn local(&self, t: Nanos) -> Nanos {
        if self.rate == 1.0 { self.offset + t } else { self.offset + (t as f64 * self.rate) as Nanos }
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
}
