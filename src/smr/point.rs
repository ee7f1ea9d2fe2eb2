//! One row of a stress sweep as a job of its own: what a point of `faultline sweep smr` runs, and
//! what `faultline replay smr --stress` looks into.

use super::config::{SmrConfigError, StressSweepConfig, SweepRow};
use super::reports::StressRow;

/// A stress sweep of exactly one row.
#[derive(Debug, Clone)]
pub struct StressPoint {
    sweep: StressSweepConfig,
    row: SweepRow,
}

/// Why a stress sweep is not one point.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointError {
    /// The sweep is refused before anything runs.
    #[error(transparent)]
    Config(#[from] SmrConfigError),
    /// The sweep has this many rows, not one.
    #[error("this point is {0} stress rows, not one: one protocol, one τ and one q per point")]
    NotOneRow(usize),
}

impl StressPoint {
    /// The one row of `sweep`, validated.
    pub fn new(sweep: StressSweepConfig) -> Result<StressPoint, PointError> {
        match sweep.rows()?[..] {
            [row] => Ok(StressPoint { sweep, row }),
            ref rows => Err(PointError::NotOneRow(rows.len())),
        }
    }

    /// The sweep the row belongs to (its cluster, runs, seed).
    pub fn sweep(&self) -> &StressSweepConfig {
        &self.sweep
    }

    /// The row.
    pub fn row(&self) -> &SweepRow {
        &self.row
    }

    /// True when the protocol waits `τ` rounds (otherwise `τ` changes nothing).
    pub fn uses_tau(&self) -> bool {
        self.row.tau.is_some()
    }

    /// Runs the row with master seed `seed`.
    pub fn run(&self, seed: u64) -> StressRow {
        // A point names a built-in protocol (`ProtocolKind`), and none of them panics or sends to
        // a pid that does not exist: an error here is a bug in the crate.
        self.sweep.run_row(&self.row, seed).unwrap_or_else(|e| panic!("a built-in protocol failed: {e}"))
    }
}
