//! Closed forms: what a configuration's rates should be, derived from the model, so that every
//! measured curve has a prediction to be checked against.
//!
//! The reasoning is that of docs/model.md §4. Under contention (someone always waits) and instant links, the
//! holder's section runs from its grant at 0 to `S + w` (a stall `S` at the pause point plus the
//! work `w`), and the next client is granted at `L + D` (lease plus lock-delay). So:
//!
//! - **P2 pause** (after the last check): overlap iff `S + w > L + D`, rate `P(S > L + D - w)`.
//! - **P1 pause with a margin `m`** and a clock slow by `ρ`: the client sees `S(1-ρ)` elapse and
//!   aborts iff `S > A = (L - m)/(1-ρ)`. An aborting client is still inside (docs/model.md §3: granted,
//!   not yet released or aborted) until it wakes and aborts at `S`; a passing one until `S + w`. So
//!   it overlaps iff `S > max(A, L + D)` or `L + D - w < S ≤ A`, but it touches storage after the
//!   next grant (a *stale* access) only in the second case. The margin cannot prevent the harmless
//!   overlap of a frozen client; it prevents the harmful one exactly while `A ≤ L + D - w`, i.e.
//!   while it covers the work and the drift.
//! - **P1 pause without a margin**: the stall is inside the section all the same: as P2.
//!
//! Work takes true time (a drifting clock does not slow the processor), so `w` enters unscaled.
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
use super::config::LockConfig;
use super::storage::Fencing;
use crate::check::LockMetrics;
use crate::node::PausePoint;

/// Predicted rates of a configuration; a rate the closed form does not cover is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prediction {
    /// Overlaps per acquisition (increment workload).
    pub overlap_rate: Option<f64>,
    /// Sections that access storage after the next grant, per acquisition (increment workload).
    pub stale_rate: Option<f64>,
    /// Margin aborts per acquisition (increment workload).
    pub abort_rate: Option<f64>,
    /// Disagreements per instance (consensus workload).
    pub disagreement_rate: Option<f64>,
}

impl Prediction {
    fn increment(overlap: f64, stale: f64, abort: f64) -> Prediction {
        Prediction {
            overlap_rate: Some(overlap),
            stale_rate: Some(stale),
            abort_rate: Some(abort),
            ..Default::default()
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
            Some(Prediction { disagreement_rate: Some(rate), ..Default::default() })
        }
        Workload::Increment => {
            let (Some(from), Some(l)) = (overlap_from, cfg.lease) else {
                return Some(Prediction::increment(0.0, 0.0, 0.0));
            };
            let next_grant = (l + cfg.lock_delay) as f64;
            match (cfg.pause_at, cfg.margin) {
                (PausePoint::P1, Some(m)) => {
                    let abort_from = (l - m) as f64 / (1.0 - cfg.drift);
                    let harmful = (s.tail(from) - s.tail(abort_from)).max(0.0);
                    Some(Prediction::increment(
                        s.tail(abort_from.max(next_grant)) + harmful,
                        harmful,
                        s.tail(abort_from),
                    ))
                }
                _ => Some(Prediction::increment(s.tail(from), s.tail(from), 0.0)),
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
    fn reproduces_the_exponential_table() {
        let expected =
            [(0.5, 0.606531), (1.0, 0.367879), (2.0, 0.135335), (4.0, 0.0183156), (8.0, 0.000335463)];
        for (ratio, p) in expected {
            let mut cfg = LockConfig::new(Variant::Lease, EngineKind::Sim);
            cfg.work = 0;
            cfg.lease = Some(8 * MS);
            cfg.pause = Dist::Exp { mean: (8.0 * MS as f64 / ratio) as u64 };
            let got = predict(&cfg).unwrap().overlap_rate.unwrap();
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
        let p = predict(&cfg).unwrap();
        // A true clock aborts from 7 ms on; the harmful window (8 ms, 7 ms] is empty. Stalls past
        // 10 ms still overlap: the frozen client is inside until it wakes and aborts.
        assert_eq!(p.stale_rate, Some(0.0));
        assert!((p.overlap_rate.unwrap() - 10.0 / 20.0).abs() < 1e-12);
        assert!((p.abort_rate.unwrap() - 13.0 / 20.0).abs() < 1e-12);
        // A clock at half speed aborts from 14 ms on: harmful for S in (8, 14], 6 ms of 20.
        cfg.drift = 0.5;
        let p = predict(&cfg).unwrap();
        assert!((p.stale_rate.unwrap() - 6.0 / 20.0).abs() < 1e-12);
        assert!((p.overlap_rate.unwrap() - 12.0 / 20.0).abs() < 1e-12);
    }
}

/// A measured rate next to its prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// The closed form's value.
    pub predicted: f64,
    /// The run's estimate.
    pub measured: f64,
    /// Trials behind the estimate (acquisitions or instances).
    pub trials: u64,
    /// The tolerance of docs/model.md §4.4, `4·sqrt(p(1-p)/N)` at the predicted `p`.
    pub tolerance: f64,
}

impl Comparison {
    /// True when the estimate is within the tolerance of the prediction.
    pub fn agrees(&self) -> bool {
        (self.measured - self.predicted).abs() <= self.tolerance
    }
}

/// Runs `cfg` and compares its headline rate (overlaps for the increment workload, disagreements
/// for consensus) with the closed form; `None` when there is no closed form for `cfg`.
pub fn compare(cfg: &LockConfig) -> Option<Result<Comparison, super::ConfigError>> {
    let prediction = predict(cfg)?;
    Some(super::run(cfg).map(|report| {
        let m = report.metrics;
        let (predicted, rate) = match (prediction.overlap_rate, prediction.disagreement_rate) {
            (Some(p), _) => (p, m.rates.overlap),
            (None, p) => (p.expect("a prediction covers overlaps or disagreements"), m.rates.disagreement),
        };
        Comparison {
            predicted,
            measured: rate.rate,
            trials: rate.of,
            tolerance: crate::check::stats::tolerance(predicted, rate.of),
        }
    }))
}

/// The figures [`predict`] may cover, by the name the sweeps' columns use.
pub const PREDICTED: [&str; 4] = ["overlap_rate", "stale_rate", "abort_rate", "disagreement_rate"];

/// Every figure of [`PREDICTED`], the closed form's value next to what `m` measured, or `None`
/// where the closed form does not cover `cfg` (or that figure).
pub fn comparisons(cfg: &LockConfig, m: &LockMetrics) -> [(&'static str, Option<Comparison>); 4] {
    let p = predict(cfg).unwrap_or_default();
    let n = m.acquisitions;
    let stale = crate::check::Rate::new(m.stale_accepted + m.stale_rejected, n);
    let figures = [
        (p.overlap_rate, m.rates.overlap),
        (p.stale_rate, stale),
        (p.abort_rate, m.rates.abort),
        (p.disagreement_rate, m.rates.disagreement),
    ];
    let mut out = PREDICTED.map(|name| (name, None));
    for ((_, slot), (predicted, rate)) in out.iter_mut().zip(figures) {
        *slot = predicted.filter(|_| rate.of > 0).map(|predicted| Comparison {
            predicted,
            measured: rate.rate,
            trials: rate.of,
            tolerance: crate::check::stats::tolerance(predicted, rate.of),
        });
    }
    out
}
