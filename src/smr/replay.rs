//! Runs of the replication laboratory you can look at again: the first failing run of a stress
//! experiment found again and re-run on its own (drawn by [`crate::report::smr::diagram`]).
//!
//! A stress run is a pure function of the experiment's seed and the run's index ([`plan`] draws
//! its adversary from them, and the rounds are deterministic), so finding the first failing run
//! needs no record of the experiment: the runs are re-run in order, one at a time, and only the
//! failing one is kept.

use super::adversary::Plan;
use super::model::{CLIENTS, Cmd};
use super::protocol::Protocol;
use super::run::{Driver, RunRecord, run};
use super::spec::Verdict;
use super::stress::{StressConfig, plan};

/// What both clients write in every stress run, as [`super::stress::stress`] has them.
pub const STRESS_INPUTS: [Option<Cmd>; CLIENTS] = [Some(Cmd(1)), Some(Cmd(2))];

/// Why a stress run cannot be re-run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StressReplayError {
    /// The index is not one of the experiment's runs.
    #[error("run {run} is not one of the {runs} runs of the experiment (they are numbered from 0)")]
    NoSuchRun {
        /// The index asked for.
        run: u64,
        /// How many runs the experiment has.
        runs: u64,
    },
    /// A process of the protocol failed in the run.
    #[error("run {run}: {error}")]
    Run {
        /// The run, from 0.
        run: u64,
        /// What failed.
        #[source]
        error: super::run::RunError,
    },
}

/// A failing stress run: which one, its adversary, its verdict and everything it did.
#[derive(Debug, Clone)]
pub struct Failure<M> {
    /// The run's index, from 0.
    pub run: u64,
    /// Its adversary: the faulty servers and their random loss (or crashes).
    pub plan: Plan,
    /// Which properties failed.
    pub verdict: Verdict,
    /// The run itself, to draw.
    pub outcome: RunRecord<M>,
}

/// Re-runs run `run` of the experiment `cfg` alone, with the loop driver as the experiment does.
pub fn rerun<P: Protocol>(
    protocol: &P,
    cfg: &StressConfig,
    run_index: u64,
) -> Result<(Plan, RunRecord<P::Msg>), StressReplayError> {
    if run_index >= cfg.runs {
        return Err(StressReplayError::NoSuchRun { run: run_index, runs: cfg.runs });
    }
    let plan = plan(cfg, run_index);
    let outcome = run(protocol, cfg.cluster, &STRESS_INPUTS, &plan, cfg.rounds, Driver::Loop)
        .map_err(|error| StressReplayError::Run { run: run_index, error })?;
    Ok((plan, outcome))
}

/// The first run of `cfg` that violates Termination, Agreement or Validity, or `None` when all
/// `cfg.runs` runs keep them; or the first run in which a process of the protocol failed.
pub fn first_failure<P: Protocol>(
    protocol: &P,
    cfg: &StressConfig,
) -> Result<Option<Failure<P::Msg>>, StressReplayError> {
    for i in 0..cfg.runs {
        let (plan, outcome) = rerun(protocol, cfg, i)?;
        let verdict = outcome.verdict;
        if !verdict.ok() {
            return Ok(Some(Failure { run: i, plan, verdict, outcome }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smr::adversary::FaultModel;
    use crate::smr::model::Cluster;
    use crate::smr::protocols::{CommitRule, Vote};

    fn cfg(model: FaultModel, q: f64, runs: u64) -> StressConfig {
        StressConfig { cluster: Cluster::new(2, 1), model, q, rounds: 30, runs, seed: 7 }
    }

    #[test]
    fn a_run_outside_the_experiment_is_refused_and_a_clean_experiment_has_no_failure() {
        let protocol = Vote::new(CommitRule::Majority);
        let c = cfg(FaultModel::Omission, 0.5, 3);
        assert_eq!(rerun(&protocol, &c, 3).unwrap_err(), StressReplayError::NoSuchRun { run: 3, runs: 3 });
        // A majority of 3 servers with 1 faulty: safe and, given the rounds, live.
        let c = StressConfig { cluster: Cluster::new(3, 1), ..cfg(FaultModel::Omission, 0.5, 30) };
        assert!(first_failure(&protocol, &c).unwrap().is_none());
    }

    #[test]
    fn the_first_failure_is_the_first_run_that_fails_and_reruns_alike() {
        let protocol = Vote::new(CommitRule::AloneAfter(3));
        let c = cfg(FaultModel::Omission, 0.5, 500);
        let f = first_failure(&protocol, &c).unwrap().expect("commit-alone fails under heavy omissions");
        assert!(!f.verdict.ok());
        for i in 0..f.run {
            assert!(
                rerun(&protocol, &c, i).unwrap().1.verdict.ok(),
                "run {i} comes before the first failure"
            );
        }
        let (plan, again) = rerun(&protocol, &c, f.run).unwrap();
        assert_eq!((plan, again.verdict, again.sent), (f.plan.clone(), f.verdict, f.outcome.sent.clone()));
    }
}
