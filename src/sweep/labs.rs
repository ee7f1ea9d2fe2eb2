//! The laboratories a sweep knows, by name, and a sweep of one of them from its swept flags as
//! given: what `faultline sweep` and the report in `results/` both run.

use super::grid::{self, GridError};
use super::identity::Identity;
use super::lock::LockLab;
use super::smr::SmrLab;
use super::{Laboratory, Options, Shard, Sweep, SweepEnd, SweepError};
use crate::input::Quoted;

/// A sweep before its laboratory's flags are checked: the laboratory's name and the swept flags
/// with their values as written (`("lease", "1ms..64ms:16")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSweep {
    /// `lock` or `smr`.
    pub lab: String,
    /// Swept flags (without dashes) and their values.
    pub given: Vec<(String, String)>,
    /// Runs per point, each with its own seed.
    pub repetitions: u64,
    /// Master seed.
    pub seed: u64,
    /// The slice of runs this invocation does.
    pub shard: Shard,
}

/// Why a named sweep does not run.
#[derive(Debug, thiserror::Error)]
pub enum LabsError {
    /// No laboratory has this name.
    #[error("{} is not a laboratory: sweep lock or smr", Quoted(.0))]
    NoSuchLab(String),
    /// `config` among the swept flags.
    #[error("--config runs one file as it is and cannot be swept: sweep the flags it holds")]
    ConfigSwept,
    /// A swept flag or value the laboratory does not take.
    #[error(transparent)]
    Grid(#[from] GridError),
    /// The sweep itself.
    #[error(transparent)]
    Sweep(#[from] SweepError),
}

impl NamedSweep {
    /// Runs the sweep; `progress` is given the number of runs and may return a bar to move.
    pub fn run(
        &self,
        options: Options,
        progress: impl FnOnce(u128) -> Option<indicatif::ProgressBar>,
    ) -> Result<SweepEnd, LabsError> {
        match self.lab.as_str() {
            "lock" => self.run_on(&LockLab, options, progress),
            "smr" => self.run_on(&SmrLab, options, progress),
            other => Err(LabsError::NoSuchLab(other.to_string())),
        }
    }

    /// The identity the JSON of this sweep has once its slice has `runs` rows (what a sweep run
    /// to its end writes; for tables written before sweeps had one).
    pub fn identity(&self, runs: u64) -> Result<Identity, LabsError> {
        match self.lab.as_str() {
            "lock" => Ok(self.spec(&LockLab)?.identity(LockLab.name(), runs)),
            "smr" => Ok(self.spec(&SmrLab)?.identity(SmrLab.name(), runs)),
            other => Err(LabsError::NoSuchLab(other.to_string())),
        }
    }

    /// The sweep over `lab`: the swept flags checked and expanded, the laboratory's implicit axes
    /// added.
    fn spec<L: Laboratory>(&self, lab: &L) -> Result<Sweep, LabsError> {
        let mut given = self.given.clone();
        for (flag, values) in lab.implicit() {
            if !given.iter().any(|(f, _)| *f == flag) {
                given.push((flag, values));
            }
        }
        if given.iter().any(|(flag, _)| flag == "config") {
            return Err(LabsError::ConfigSwept);
        }
        Ok(Sweep {
            axes: grid::axes(&lab.command(), &given)?,
            repetitions: self.repetitions,
            seed: self.seed,
            shard: self.shard,
        })
    }

    fn run_on<L: Laboratory>(
        &self,
        lab: &L,
        options: Options,
        progress: impl FnOnce(u128) -> Option<indicatif::ProgressBar>,
    ) -> Result<SweepEnd, LabsError> {
        let spec = self.spec(lab)?;
        let options = Options { progress: progress(spec.points() * u128::from(self.repetitions)), ..options };
        Ok(super::run(lab, &spec, &options)?)
    }
}
