//! Flag values clap cannot read on its own: probabilities, fractions, and the small enums whose
//! library types are not (and should not become) clap types.
//!
//! Durations and distributions need nothing here: [`crate::time::parse_duration`] and
//! [`crate::fault::Dist::parse`] already return one-line errors and are used as value parsers as
//! they are.

use crate::lock::{DecideBy, Workload};
use crate::node::PausePoint;

/// A probability in `[0, 1]` (`--drop`, `--duplicate`, `--reorder`).
pub fn probability(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err("expected a probability between 0 and 1, e.g. 0.01".to_string()),
    }
}

/// A drift rate in `[0, 1)`: 1 would stop the clock.
pub fn drift(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(r) if (0.0..1.0).contains(&r) => Ok(r),
        _ => Err("expected a fraction at least 0 and below 1, e.g. 0.1 for a clock 10% slow".to_string()),
    }
}

/// Where stalls happen. `PausePoint` lives in the engine-neutral node layer, which should not
/// depend on clap, hence this mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PauseAt {
    /// Just after the grant, before the margin check.
    P1,
    /// After the last check, before the work.
    P2,
}

impl From<PauseAt> for PausePoint {
    fn from(p: PauseAt) -> PausePoint {
        match p {
            PauseAt::P1 => PausePoint::P1,
            PauseAt::P2 => PausePoint::P2,
        }
    }
}

/// The workload without its parameters: `--decide-by` is a flag of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkloadKind {
    /// A shared counter.
    Increment,
    /// Consensus from a lock.
    Consensus,
}

impl WorkloadKind {
    /// The workload, deciding by `decide_by` when it is consensus.
    pub fn with(self, decide_by: DecideBy) -> Workload {
        match self {
            WorkloadKind::Increment => Workload::Increment,
            WorkloadKind::Consensus => Workload::Consensus { decide_by },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_and_drift_stay_in_range() {
        assert_eq!(probability("0.25"), Ok(0.25));
        assert_eq!(probability("1"), Ok(1.0));
        for bad in ["1.5", "-0.1", "NaN", "inf", "lots"] {
            assert!(probability(bad).is_err(), "{bad}");
        }
        assert_eq!(drift("0.1"), Ok(0.1));
        assert!(drift("1").is_err());
        assert!(drift("-0.1").is_err());
    }
}
