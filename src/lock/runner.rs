//! One run: build the world of a configuration, drive it with the chosen engine, read the oracle.

use super::config::{ConfigError, EngineKind, LockConfig};
use super::env::LockEnv;
use super::oracle::OracleError;
use super::oracle::{LockMetrics, LockOracle};
use super::rare::{self, Estimator, Tilt};
#[cfg(not(loom))]
use super::site::Site;
use super::world;
use crate::engine::{Observer, sim};
use crate::lock::msg::LockEvent;
use crate::rng;
use crate::service::ServiceError;
use rand::RngCore;
use serde::Serialize;

/// A run's configuration and its metrics, as `faultline lock --json` prints them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockReport {
    /// The master seed (also inside `config`, repeated here because it replays the run).
    pub seed: u64,
    /// The configuration that ran.
    pub config: LockConfig,
    /// What it measured.
    #[serde(flatten)]
    pub metrics: LockMetrics,
}

/// Why a run has no report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// The configuration is invalid; nothing ran.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The run reported an event the oracle could not place: the design (its servers or stub)
    /// named a client or node the world does not have.
    #[error("the oracle cannot judge this run: {0}")]
    Oracle(#[from] OracleError),
    /// The real servers could not be started, or the user's do not answer; nothing ran.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Runs `cfg` and returns its metrics.
pub fn run(cfg: &LockConfig) -> Result<LockReport, RunError> {
    run_observed(cfg, &mut ())
}

/// Runs `cfg`, also showing every event to `extra` (a trace recorder, say).
pub fn run_observed<X: Observer<LockEvent> + Send>(
    cfg: &LockConfig,
    extra: &mut X,
) -> Result<LockReport, RunError> {
    cfg.validate()?;
    if cfg.estimator == Estimator::Rare(None) {
        let (resolved, doubt) = with_proposal(cfg)?;
        let mut report = run_observed(&resolved, extra)?;
        if let (Some(doubt), Some(rare)) = (doubt, report.metrics.rare.as_mut()) {
            rare.doubts.insert(0, doubt.to_string());
        }
        return Ok(report);
    }
    let oracle = LockOracle::new(cfg);
    let metrics = match cfg.engine {
        EngineKind::Sim => {
            let mut nodes = world::build(cfg);
            let mut env = LockEnv::new(cfg);
            let mut both = (oracle, extra);
            let end = sim::run(&mut nodes, &mut env, &mut both, cfg.limits());
            both.0.finish(end)?
        }
        EngineKind::Threads if cfg.service.is_some() => run_on_service(cfg, oracle, extra)?,
        EngineKind::Threads => run_threads(cfg, oracle, extra)?,
    };
    Ok(LockReport { seed: cfg.seed, config: cfg.clone(), metrics })
}

/// `cfg` with the rare-event estimator's proposal chosen by [`rare::search`]'s pilot runs: each
/// a small run of `cfg` under a trial threshold, on a seed of its own derived from `cfg`'s, so
/// the same configuration always chooses the same proposal (and a replay replays the run).
/// Beside it, the search's doubt, if it did not settle.
pub fn with_proposal(cfg: &LockConfig) -> Result<(LockConfig, Option<&'static str>), RunError> {
    let share = Tilt::share_for(cfg.planned_acquisitions());
    let mut pilots = 0;
    let (tilt, doubt) = rare::search(&cfg.pause, share, |tilt| {
        pilots += 1;
        let mut pilot = cfg.clone();
        pilot.estimator = Estimator::Rare(Some(tilt));
        pilot.acquisitions = cfg.acquisitions.min(rare::PILOT_ACQUISITIONS);
        pilot.instances = cfg.instances.min(rare::PILOT_ACQUISITIONS / cfg.clients as u64).max(1);
        pilot.seed = rng::stream(cfg.seed, &[PILOT_STREAM, pilots]).next_u64();
        let metrics = run(&pilot)?.metrics;
        Ok::<_, RunError>(metrics.rare.expect("a run under a proposal weighs its findings"))
    })?;
    let mut resolved = cfg.clone();
    resolved.estimator = Estimator::Rare(Some(tilt));
    Ok((resolved, doubt))
}

/// The random stream the pilots' seeds come from.
const PILOT_STREAM: u64 = 7;

/// Runs `cfg` on the interleaving driver ([`crate::engine::interleave`]): the clients get a thread
/// each, the servers, storage and outbox run inside the steps that message them, and the order of
/// every event is the scheduler's. Under loom, inside `loom::model`, this is one execution of
/// many; the same oracle judges each. `cfg.engine`, the horizon and the stall distribution mean
/// nothing here (there is no time), but scripted crashes and the link plan's losses apply.
pub fn run_interleaved(cfg: &LockConfig) -> Result<LockReport, RunError> {
    cfg.validate()?;
    let topology = cfg.topology();
    let actors: Vec<_> = (0..cfg.clients).map(|c| topology.client(c)).collect();
    let (oracle, end) = crate::engine::interleave::run(
        world::build(cfg),
        &actors,
        LockEnv::new(cfg),
        LockOracle::new(cfg),
        cfg.event_budget(),
    );
    Ok(LockReport { seed: cfg.seed, config: cfg.clone(), metrics: oracle.finish(end)? })
}

#[cfg(not(loom))]
fn run_threads<X: Observer<LockEvent> + Send>(
    cfg: &LockConfig,
    oracle: LockOracle,
    extra: &mut X,
) -> Result<LockMetrics, OracleError> {
    let nodes = world::build(cfg);
    let env = LockEnv::new(cfg);
    let mut both = (oracle, extra);
    let end = crate::engine::threads::run(nodes, env, &mut both, cfg.limits());
    both.0.finish(end)
}

/// Runs `cfg` on the threads engine against real servers: started for the run and stopped after
/// it, or the user's ([`Site`]), with the faults aimed at servers carried out on their processes.
#[cfg(not(loom))]
fn run_on_service<X: Observer<LockEvent> + Send>(
    cfg: &LockConfig,
    oracle: LockOracle,
    extra: &mut X,
) -> Result<LockMetrics, RunError> {
    let mut site = Site::open(cfg)?;
    let resolved = site.config().clone();
    let mut both = (oracle, extra);
    let end = site.run(|| {
        crate::engine::threads::run(
            world::build(&resolved),
            LockEnv::new(&resolved),
            &mut both,
            resolved.limits(),
        )
    })?;
    Ok(both.0.finish(end)?)
}

#[cfg(loom)]
fn run_on_service<X: Observer<LockEvent> + Send>(
    _: &LockConfig,
    _: LockOracle,
    _: &mut X,
) -> Result<LockMetrics, RunError> {
    panic!("real services run on the threads engine, which is not built under cfg(loom)")
}

#[cfg(loom)]
fn run_threads<X: Observer<LockEvent> + Send>(
    _: &LockConfig,
    _: LockOracle,
    _: &mut X,
) -> Result<LockMetrics, OracleError> {
    panic!("the threads engine is not built under cfg(loom): loom has no time")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::fault::Dist;
    use crate::lock::{EngineKind, Variant};

    /// Outside loom the interleaving driver runs one interleaving on OS threads: a fault-free run
    /// does its whole workload, and the oracle sees every section.
    #[test]
    fn the_interleaving_driver_runs_a_whole_workload() {
        for variant in [Variant::NON_PREEMPTIVE, Variant::LEASE, Variant::FENCED, Variant::REDLOCK] {
            let mut cfg = LockConfig::new(variant, EngineKind::Sim);
            cfg.pause = Dist::None;
            cfg.retry = if variant == Variant::REDLOCK { crate::time::MS } else { 0 };
            cfg.acquisitions = 40;
            let m = run_interleaved(&cfg).unwrap().metrics;
            assert_eq!(
                (m.ending, m.acquisitions, m.blocked),
                (crate::engine::Ending::Finished, 40, 0),
                "{variant:?}: {m:?}"
            );
        }
    }
}
