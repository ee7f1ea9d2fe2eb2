//! `faultline smr`: the replication lower bound, one protocol in worlds A, B and C, or measured
//! under random faults with `--stress`, or every omission pattern explored with `--search`.
//!
//! The flags ([`SmrArgs`], parsed in [`crate::flags::smr`]) become a [`Plan`]; this module runs it
//! and renders what it returns, as text ([`crate::report::smr`]) or `--json`.
//!
//! With `--search`, every omission pattern over the rounds is explored
//! ([`crate::smr::search`](mod@crate::smr::search), through
//! [`SearchConfig`](crate::smr::SearchConfig)) and the counts and the verdict are printed, with
//! the fewest-losses pattern that breaks each property and whether it is world C.
//!
//! Without `--stress`, under omission faults, all three worlds are always run
//! ([`theorem::dichotomy`](crate::smr::theorem::dichotomy); they are a few dozen rounds each),
//! because the view comparison and the horn need all three; `--world` only chooses which ones are
//! printed. Each printed world shows who is faulty and who writes, every message round by round
//! (omitted ones marked `DROPPED`), the responses and the specification's verdict; after the
//! worlds come the two view comparisons and the horn. Under crash faults only A and B exist, so
//! there is nothing to compare. A protocol on neither horn means the harness is wrong, never the
//! theorem: the report is still printed, with a loud `BUG IN THE HARNESS` line, and the exit code
//! is 1.
//!
//! With `--stress`, every protocol (or the one named) is run `--runs` times for each `q` and each
//! `τ`, with random faulty sets of 1 to `f` servers, and the violations are counted with 95%
//! intervals. Protocols without a `τ` are run once per `q`. On a terminal, a sweep that takes
//! longer than [`PROGRESS_AFTER`](crate::flags::smr::PROGRESS_AFTER) shows a progress bar on
//! stderr ([`super::progress`]); stdout is the same either way.

use super::CliError;
use crate::flags::smr::flagged;
use crate::flags::{Plan, SmrArgs, SmrFlagError};
use crate::report::smr::{StressRow, search_text, stress_table, worlds_text};
use crate::smr::config::{LabError, StressSweepConfig};
use crate::smr::theorem::DichotomyError;
use crate::smr::world::WorldError;

/// What stops `faultline smr` or `faultline replay smr` before it produces its report.
#[derive(Debug, thiserror::Error)]
pub enum SmrError {
    /// The flags describe nothing the laboratory runs.
    #[error(transparent)]
    Flags(#[from] SmrFlagError),
    /// The worlds cannot be built for this cluster or fault model.
    #[error("{}", flagged(&.0.to_string()))]
    World(#[from] WorldError),
    /// What the flags describe could not be run.
    #[error("{}", flagged(&.0.to_string()))]
    Lab(#[from] LabError),
    /// The dichotomy of a replayed world C could not be run.
    #[error(transparent)]
    Dichotomy(#[from] DichotomyError),
    /// A process of the protocol failed while the first failing stress run was sought.
    #[error(transparent)]
    StressReplay(#[from] crate::smr::replay::StressReplayError),
    /// A replay asked of flags that name no single stress row.
    #[error("{0}")]
    Replay(String),
}

impl From<WorldError> for CliError {
    fn from(e: WorldError) -> Self {
        SmrError::World(e).into()
    }
}

impl From<LabError> for CliError {
    fn from(e: LabError) -> Self {
        SmrError::Lab(e).into()
    }
}

impl From<SmrFlagError> for CliError {
    fn from(e: SmrFlagError) -> Self {
        SmrError::Flags(e).into()
    }
}

/// What `faultline smr` prints, and whether the run found a bug in the harness (exit 1).
#[derive(Debug)]
pub(super) struct SmrOutput {
    /// The report, for stdout.
    pub text: String,
    /// `BUG IN THE HARNESS: ...`, when a protocol escaped both horns of the theorem.
    pub harness_bug: Option<String>,
}

/// Runs what the flags describe and renders it as they ask.
pub(super) fn run(args: &SmrArgs) -> Result<SmrOutput, CliError> {
    match args.plan()? {
        Plan::Worlds(cfg) => {
            let report = cfg.run()?;
            let text = if args.json { json(&report) } else { worlds_text(&report) };
            Ok(SmrOutput { text, harness_bug: report.harness_bug() })
        }
        Plan::Stress(cfg) => {
            let rows = sweep(&cfg, args.quiet)?;
            let text = if args.json { json(&rows) } else { stress_table(&rows) };
            Ok(SmrOutput { text, harness_bug: None })
        }
        Plan::Search(cfg) => {
            let report = cfg.run()?;
            let text = if args.json { json(&report) } else { search_text(&report) };
            Ok(SmrOutput { text, harness_bug: None })
        }
    }
}

fn json(value: &impl serde::Serialize) -> String {
    let mut text =
        serde_json::to_string_pretty(value).expect("the smr reports have only serialisable fields");
    text.push('\n');
    text
}

/// Runs the sweep, with a progress bar unless `quiet`.
fn sweep(cfg: &StressSweepConfig, quiet: bool) -> Result<Vec<StressRow>, LabError> {
    let rows = cfg.rows().map_err(LabError::from)?;
    let mut progress = super::progress::Slots::new(cfg.slots(&rows), !quiet);
    let rows = cfg.run_with_progress(&mut progress)?;
    progress.finish();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smr::adversary::FaultModel;
    use crate::smr::config::WorldsConfig;
    use crate::smr::protocols::ProtocolKind;

    /// What `faultline smr FLAGS` writes to stdout.
    fn stdout_of(args: &[&str]) -> String {
        let argv = ["faultline", "smr"].into_iter().chain(args.iter().copied());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(super::super::main_with(argv, &mut out, &mut err), 0, "{}", String::from_utf8_lossy(&err));
        String::from_utf8(out).expect("UTF-8")
    }

    /// The library's types, run directly, give exactly what the command line prints.
    #[test]
    fn the_library_types_print_what_the_command_line_prints() {
        let worlds = WorldsConfig { protocol: ProtocolKind::PrimaryBackup, ..WorldsConfig::new() };
        let report = worlds.run().unwrap();
        assert_eq!(worlds_text(&report), stdout_of(&["--protocol", "primary-backup"]));
        assert_eq!(json(&report), stdout_of(&["--protocol", "primary-backup", "--json"]));
        let crash = WorldsConfig { model: FaultModel::Crash, ..worlds };
        assert_eq!(
            worlds_text(&crash.run().unwrap()),
            stdout_of(&["--protocol", "primary-backup", "--model", "crash"])
        );

        let sweep = StressSweepConfig { runs: 40, qs: vec![0.2, 0.7], ..StressSweepConfig::default() };
        let rows = sweep.run().unwrap();
        assert_eq!(rows.len(), 2 * 2 + 2 * 3 * 2);
        assert_eq!(stress_table(&rows), stdout_of(&["--stress", "--runs", "40", "--q", "0.2,0.7"]));
        assert_eq!(json(&rows), stdout_of(&["--stress", "--runs", "40", "--q", "0.2,0.7", "--json"]));
        // A built-in protocol through `run_with` is a sweep of that protocol alone.
        let vote = crate::smr::protocols::Vote::new(crate::smr::protocols::CommitRule::Majority);
        let alone = StressSweepConfig { protocols: vec![ProtocolKind::Majority], ..sweep };
        assert_eq!(json(&alone.run_with(&vote).unwrap()), json(&alone.run().unwrap()));
    }
}
