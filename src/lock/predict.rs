//! Closed forms: what a configuration's rates should be, derived from the model, so that every
//! measured curve has a prediction to be checked against.
//!
//! The reasoning is theory.md's. Under contention (someone always waits) and instant links, the
//! holder's section runs from its grant at 0 to `S + w` (a stall `S` at the pause point plus the
//! work `w`), and the next client is granted at `L + D` (lease plus lock-delay). So:
//!
//! - **P2 pause** (after the last check): overlap iff `S + w > L + D`, rate `P(S > L + D - w)`.
//! - **P1 pause with a margin `m`** and a clock slow by `ρ`: the client sees `S(1-ρ)` elapse and
//!   aborts iff `S(1-ρ) > L - m`; it overlaps iff it passes and `S + w > L + D`:
//!   rate `P(L + D - w < S ≤ (L - m)/(1-ρ))`, abort rate `P(S > (L - m)/(1-ρ))`.
//! - **P1 pause without a margin**: the stall is inside the section all the same: as P2.
//! - **Non-preemptive**: never overlaps.
//!
//! For the **consensus** workload every client contends for every instance. The first client to
//! get an instance's lock reads an empty register; if it overlaps (the P2 rule above), the next
//! one reads the register before the first has written it, and the two decide differently unless
//! the decision waits for fenced storage's verdict. So the disagreement rate per instance is the
//! overlap probability, and zero for a non-preemptive lock or for fencing with decide-by-ack.
//!
//! Fencing changes what storage accepts, not who is inside, so the overlap rate is the same for the
//! fenced variants. The contention assumption fails when all other clients are themselves stalled
//! inside expired sections, which is common with two clients and long stalls; predictions are
//! therefore compared with runs of many clients (the tests use 16).

use super::client::{DecideBy, TimerStart, Workload};
use super::storage::Fencing;
use super::config::LockConfig;
use crate::node::PausePoint;

/// Predicted rates of a configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prediction {
    /// The increment workload.
    Increment {
        /// Overlaps per acquisition.
        overlap_rate: f64,
        /// Margin aborts per acquisition.
        abort_rate: f64,
    },
    /// The consensus workload.
    Consensus {
        /// Disagreements per instance.
        disagreement_rate: f64,
    },
}

impl Prediction {
    /// The predicted overlap rate (increment workload).
    pub fn overlap_rate(&self) -> Option<f64> {
        match *self {
            Prediction::Increment { overlap_rate, .. } => Some(overlap_rate),
            Prediction::Consensus { .. } => None,
        }
    }
    /// The predicted abort rate (increment workload).
    pub fn abort_rate(&self) -> Option<f64> {
        match *self {
            Prediction::Increment { abort_rate, .. } => Some(abort_rate),
            Prediction::Consensus { .. } => None,
        }
    }
    /// The predicted disagreement rate (consensus workload).
    pub fn disagreement_rate(&self) -> Option<f64> {
        match *self {
            Prediction::Consensus { disagreement_rate } => Some(disagreement_rate),
            Prediction::Increment { .. } => None,
        }
    }
}

/// The prediction for `cfg`, or `None` when the closed form does not cover it (network faults,
/// partitions, scripted faults, renewals, a countdown from the request, a margin or drift in the
/// consensus workload).
pub fn predict(cfg: &LockConfig) -> Option<Prediction> {
    let covered = cfg.link.is_perfect()
        && cfg.partitions.is_empty()
        && cfg.script.is_empty()
        && cfg.renew == 0
        && cfg.timer_start == TimerStart::Grant;
    if !covered {
        return None;
    }
    let overlap_from = cfg.lease.map(|l| (l + cfg.lock_delay) as f64 - cfg.work as f64);
    let s = &cfg.pause;
    match cfg.workload {
        Workload::Consensus { decide_by } => {
            if cfg.margin.is_some() || cfg.drift > 0.0 {
                return None;
            }
            let protected = cfg.fencing() == Fencing::All && decide_by == DecideBy::Ack;
            let rate = match overlap_from {
                Some(x) if !protected => s.tail(x),
                _ => 0.0,
            };
            Some(Prediction::Consensus { disagreement_rate: rate })
        }
        Workload::Increment => {
            let Some(from) = overlap_from else {
                return Some(Prediction::Increment { overlap_rate: 0.0, abort_rate: 0.0 });
            };
            match (cfg.pause_at, cfg.margin, cfg.lease) {
                (PausePoint::P1, Some(m), Some(l)) => {
                    let abort_from = (l - m) as f64 / (1.0 - cfg.drift);
                    let overlap = (s.tail(from) - s.tail(abort_from)).max(0.0);
                    Some(Prediction::Increment { overlap_rate: overlap, abort_rate: s.tail(abort_from) })
                }
                _ => Some(Prediction::Increment { overlap_rate: s.tail(from), abort_rate: 0.0 }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Dist;
    use crate::lock::{EngineKind, Variant};
    use crate::time::MS;

    #[test]
    fn reproduces_theory_md_table() {
        let expected = [(0.5, 0.606531), (1.0, 0.367879), (2.0, 0.135335), (4.0, 0.0183156), (8.0, 0.000335463)];
        for (ratio, p) in expected {
            let mut cfg = LockConfig::new(Variant::Lease, EngineKind::Sim);
            cfg.work = 0;
            cfg.lease = Some(8 * MS);
            cfg.pause = Dist::Exp { mean: (8.0 * MS as f64 / ratio) as u64 };
            let got = predict(&cfg).unwrap().overlap_rate().unwrap();
            assert!((got - p).abs() < 1e-6, "L/mu = {ratio}: {got} vs {p}");
        }
    }

    #[test]
    fn a_margin_at_p1_only_leaves_the_window_the_drift_opens() {
        let mut cfg = LockConfig::new(Variant::LeaseMargin, EngineKind::Sim);
        cfg.pause_at = PausePoint::P1;
        cfg.pause = Dist::Uniform { lo: 0, hi: 20 * MS };
        cfg.margin = Some(3 * MS);
        cfg.work = 2 * MS;
        // A true clock aborts from 7 ms on; the overlap window (8 ms, 7 ms] is empty.
        assert_eq!(predict(&cfg).unwrap().overlap_rate().unwrap(), 0.0);
        assert!((predict(&cfg).unwrap().abort_rate().unwrap() - 13.0 / 20.0).abs() < 1e-12);
        // A clock at half speed aborts from 14 ms on: overlaps for S in (8, 14], 6 ms of 20.
        cfg.drift = 0.5;
        assert!((predict(&cfg).unwrap().overlap_rate().unwrap() - 6.0 / 20.0).abs() < 1e-12);
    }
}
