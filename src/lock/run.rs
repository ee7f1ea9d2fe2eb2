//! One run: build the world of a configuration, drive it with the chosen engine, read the oracle.

use super::config::{ConfigError, EngineKind, LockConfig};
use super::env::LockEnv;
use super::world;
use crate::check::lock_oracle::OracleError;
use crate::check::{LockMetrics, LockOracle};
use crate::engine::{Observer, sim};
use crate::lock::msg::LockEvent;
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
    let oracle = LockOracle::new(cfg);
    let metrics = match cfg.engine {
        EngineKind::Sim => {
            let mut nodes = world::build(cfg);
            let mut env = LockEnv::new(cfg);
            let mut both = (oracle, extra);
            let end = sim::run(&mut nodes, &mut env, &mut both, cfg.limits());
            both.0.finish(end)?
        }
        EngineKind::Threads => run_threads(cfg, oracle, extra)?,
    };
    Ok(LockReport { seed: cfg.seed, config: cfg.clone(), metrics })
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

#[cfg(loom)]
fn run_threads<X: Observer<LockEvent> + Send>(
    _: &LockConfig,
    _: LockOracle,
    _: &mut X,
) -> Result<LockMetrics, OracleError> {
    panic!("the threads engine is not built under cfg(loom): loom has no time")
}
