//! Random omission (or crash) stress: many runs, each with a random faulty set of at most `f`
//! servers whose messages are each lost with probability `q` (or which crash at a random round).
//! Both clients write and are non-faulty, so every run must answer both and agree.
//!
//! Termination is judged at the last round: give a protocol at least its worst-case latency under
//! `f` faults (for primary-backup about `(f + 1)(τ + 3)` rounds, one timeout and one replication
//! per crashed primary), or a termination failure measures the horizon, not the protocol:
//! [`crate::smr::theorem::derived_rounds`] gives such a horizon.

use super::adversary::{FaultModel, Plan, RandomLoss};
use super::model::{Cluster, Cmd, Round};
use super::protocol::Protocol;
use super::run::{Driver, RunError, run};
use crate::check::Rate;
use crate::rng;
use rand::Rng;
use rand::seq::index::sample;
use serde::Serialize;

/// One stress experiment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StressConfig {
    /// The cluster (`f` bounds the faulty set).
    pub cluster: Cluster,
    /// How the faulty servers fail.
    pub model: FaultModel,
    /// Probability each message to or from a faulty server is lost (omission model).
    pub q: f64,
    /// Rounds per run.
    pub rounds: Round,
    /// Runs.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
}

/// What the runs showed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StressResult {
    /// Runs in which two responses differed.
    pub agreement_violations: Rate,
    /// Runs in which a (non-faulty) client got no response.
    pub termination_failures: Rate,
    /// Runs in which a response named a command nobody wrote.
    pub validity_violations: Rate,
}

/// The adversary of run `i`: a faulty set of 1 to `f` servers, chosen uniformly.
pub fn plan(cfg: &StressConfig, i: u64) -> Plan {
    let mut rng = rng::stream(cfg.seed, &[i]);
    let n = cfg.cluster.servers;
    let size = rng.random_range(1..=cfg.cluster.faults.min(n));
    let faulty: Vec<_> = sample(&mut rng, n, size).into_iter().map(|s| cfg.cluster.server(s)).collect();
    let mut plan = Plan { faulty: faulty.iter().copied().collect(), ..Plan::default() };
    match cfg.model {
        FaultModel::Omission => plan.random = Some(RandomLoss { q: cfg.q, seed: rng.random() }),
        FaultModel::Crash => {
            for s in faulty {
                plan.crashes.insert(s, rng.random_range(0..cfg.rounds.max(1)));
            }
        }
    }
    plan
}

/// Why a stress experiment stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StressError {
    /// A process of the protocol failed in one run; [`plan`] with the same index rebuilds its
    /// adversary.
    #[error("run {run}: {error}")]
    Run {
        /// The run, from 0.
        run: u64,
        /// What failed.
        #[source]
        error: RunError,
    },
}

/// Runs the experiment.
pub fn stress<P: Protocol>(protocol: &P, cfg: &StressConfig) -> Result<StressResult, StressError> {
    stress_with_progress(protocol, cfg, &mut || {})
}

/// Runs the experiment, calling `after_run` after each run, so that a long one can show how far
/// it got.
pub fn stress_with_progress<P: Protocol>(
    protocol: &P,
    cfg: &StressConfig,
    after_run: &mut dyn FnMut(),
) -> Result<StressResult, StressError> {
    let inputs = [Some(Cmd(1)), Some(Cmd(2))];
    let (mut disagree, mut unanswered, mut invalid) = (0, 0, 0);
    for i in 0..cfg.runs {
        let plan = plan(cfg, i);
        let v = run(protocol, cfg.cluster, &inputs, &plan, cfg.rounds, Driver::Loop)
            .map_err(|error| StressError::Run { run: i, error })?
            .verdict;
        disagree += u64::from(!v.agreement);
        unanswered += u64::from(!v.termination);
        invalid += u64::from(!v.validity);
        after_run();
    }
    Ok(StressResult {
        agreement_violations: Rate::new(disagree, cfg.runs),
        termination_failures: Rate::new(unanswered, cfg.runs),
        validity_violations: Rate::new(invalid, cfg.runs),
    })
}
