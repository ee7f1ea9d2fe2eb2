//! The lock laboratory in a sweep: every flag of `faultline lock` can be swept.

use super::table::flatten;
use super::{Laboratory, Refusal};
use crate::engine::{Ending, RunEnd};
use crate::flags::{LockArgs, LockFlagError, first_line};
use crate::lock::predict::comparisons;
use crate::lock::rare::{Estimator, MAX_TILT_SHARE, Tilt};
use crate::lock::{ConfigError, EngineKind, LockConfig, Variant};
use crate::lock::{LockMetrics, LockOracle};
use clap::{Args, FromArgMatches};

/// `faultline lock`, swept.
#[derive(Debug, Default)]
pub struct LockLab;

/// A point's cells: the configuration under `config.`, then every metric, then the predictions.
fn cells(cfg: &LockConfig, metrics: &LockMetrics) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let config = serde_json::to_value(cfg).expect("a configuration serialises");
    flatten("config", &config, &mut out);
    // A sweep has one set of columns for every engine, and its committed tables are the
    // simulator's: a threads point's lateness is left to its own report, not given columns.
    let metrics = &LockMetrics { lateness: None, ..metrics.clone() };
    let metrics_json = serde_json::to_value(metrics).expect("metrics serialise");
    flatten("", &metrics_json, &mut out);
    for (name, c) in comparisons(cfg, metrics) {
        let (predicted, tolerance, agrees) = match c {
            Some(c) => (c.predicted.to_string(), c.tolerance.to_string(), c.fit().to_string()),
            None => Default::default(),
        };
        out.push((format!("predicted.{name}"), predicted));
        out.push((format!("tolerance.{name}"), tolerance));
        out.push((format!("agrees.{name}"), agrees));
    }
    out
}

impl Laboratory for LockLab {
    type Job = LockConfig;

    fn name(&self) -> &'static str {
        "lock"
    }

    fn command(&self) -> clap::Command {
        LockArgs::augment_args(clap::Command::new("lock"))
    }

    fn columns(&self) -> Vec<String> {
        // Every row has these columns whatever its outcome: the union, in order, of what a
        // configuration of each workload and the metrics of a run that did nothing flatten to (a
        // consensus workload has a decide_by the increment one has not).
        let increment = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        let consensus = increment.clone().consensus(crate::lock::DecideBy::Ack);
        // Then every registered design, for its own parameters' columns.
        let designs = crate::lock::design::all().into_iter().map(|v| LockConfig::new(v, EngineKind::Sim));
        // And a run of the rare-event estimator, for its proposal and weights.
        let mut rare = increment.clone();
        rare.estimator = Estimator::Rare(Some(Tilt { threshold: 0, share: MAX_TILT_SHARE }));
        let mut columns: Vec<String> = Vec::new();
        for cfg in [increment, consensus, rare].into_iter().chain(designs) {
            let nothing = LockOracle::new(&cfg)
                .finish(RunEnd { at: 0, ending: Ending::Finished, events: 0, late: None })
                .expect("an oracle that saw nothing has nothing it cannot place");
            let mut after = 0;
            for (column, _) in cells(&cfg, &nothing) {
                match columns.iter().position(|c| *c == column) {
                    Some(i) => after = i + 1,
                    None => {
                        columns.insert(after, column);
                        after += 1;
                    }
                }
            }
        }
        columns
    }

    fn resolve(&self, settings: &[(String, String)]) -> Result<LockConfig, Refusal> {
        let argv = std::iter::once("lock".to_string())
            .chain(settings.iter().flat_map(|(f, v)| [format!("--{f}"), v.clone()]));
        let impossible = |e: clap::Error| Refusal::Impossible(first_line(&e.to_string()).to_string());
        let matches = self.command().try_get_matches_from(argv).map_err(impossible)?;
        let args = LockArgs::from_arg_matches(&matches).map_err(impossible)?;
        // The lock's own refusal names a flag that does not apply to the variant or workload.
        args.config().map_err(|e| match e {
            LockFlagError::WrongWorkload { flag, .. }
            | LockFlagError::Config(ConfigError::NeedsLease(flag) | ConfigError::NotForDesign { flag, .. }) => {
                Refusal::Inapplicable(flag.to_string())
            }
            other => Refusal::Impossible(other.to_string()),
        })
    }

    fn run(&self, job: &LockConfig, seed: u64) -> Vec<(String, String)> {
        let mut cfg = job.clone();
        cfg.seed = seed;
        match crate::lock::run(&cfg) {
            Ok(report) => cells(&cfg, &report.metrics),
            // Resolution validated the configuration, and the seed changes nothing that is checked.
            Err(e) => vec![("status".into(), format!("error: {e}"))],
        }
    }

    fn alone(&self, job: &LockConfig) -> bool {
        job.engine == EngineKind::Threads
    }
}
