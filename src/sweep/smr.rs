//! The replication laboratory in a sweep: the flags of `faultline smr --stress`, one stress row
//! (one protocol, one `τ`, one `q`) per point.

use super::table::flatten;
use super::{Laboratory, Refusal};
use crate::flags::smr::flagged;
use crate::flags::{SmrArgs, SmrFlagError, first_line};
use crate::smr::protocols::ProtocolKind;
use crate::smr::{PointError, SmrConfigError, StressPoint, StressSweepConfig};
use clap::{Args, FromArgMatches};

/// `faultline smr --stress`, swept.
#[derive(Debug, Default)]
pub struct SmrLab;

impl Laboratory for SmrLab {
    type Job = StressPoint;

    fn name(&self) -> &'static str {
        "smr"
    }

    fn invocation(&self) -> &'static str {
        "smr --stress"
    }

    fn command(&self) -> clap::Command {
        SmrArgs::augment_args(clap::Command::new("smr"))
    }

    fn implicit(&self) -> Vec<(String, String)> {
        let list = |items: Vec<String>| items.join(",");
        let defaults = StressSweepConfig::default();
        vec![
            ("protocol".into(), list(defaults.protocols.iter().map(|p| p.name().to_string()).collect())),
            ("tau".into(), list(defaults.taus.iter().map(ToString::to_string).collect())),
            ("q".into(), list(defaults.qs.iter().map(ToString::to_string).collect())),
        ]
    }

    fn columns(&self) -> Vec<String> {
        let args = SmrArgs {
            protocol: Some(ProtocolKind::CommitAlone),
            tau: vec![1],
            q: vec![0.5],
            runs: Some(1),
            ..SmrArgs::default()
        };
        let sweep = args.stress_config().expect("a valid stress plan");
        let point = StressPoint::new(sweep).expect("a one-row stress plan");
        cells(&point, 0).into_iter().map(|(c, _)| c).collect()
    }

    fn resolve(&self, settings: &[(String, String)]) -> Result<StressPoint, Refusal> {
        let argv = std::iter::once("smr".to_string())
            .chain(settings.iter().flat_map(|(f, v)| [format!("--{f}"), v.clone()]));
        let args = self
            .command()
            .try_get_matches_from(argv)
            .and_then(|m| SmrArgs::from_arg_matches(&m))
            .map_err(|e| Refusal::Impossible(first_line(&e.to_string()).to_string()))?;
        // The flags that do not apply to a point's other settings, in one place: loss
        // probabilities under crashes, and a τ for a protocol that does not wait (which runs the
        // same for every τ, so one point serves them all).
        let sweep = SmrArgs { stress: true, ..args }.stress_config().map_err(|e| match e {
            SmrFlagError::Config(SmrConfigError::QWithCrash) => Refusal::Inapplicable("--q".into()),
            other => Refusal::Impossible(other.to_string()),
        })?;
        let point = StressPoint::new(sweep).map_err(|e| match e {
            PointError::NotOneRow(rows) => Refusal::Impossible(format!(
                "this point is {rows} stress rows: give one --protocol, --tau and --q per point"
            )),
            PointError::Config(e) => Refusal::Impossible(flagged(&e.to_string())),
        })?;
        if !point.uses_tau() && settings.iter().any(|(f, _)| f == "tau") {
            return Err(Refusal::Inapplicable("--tau".into()));
        }
        Ok(point)
    }

    fn run(&self, job: &StressPoint, seed: u64) -> Vec<(String, String)> {
        cells(job, seed)
    }

    fn alone(&self, _: &StressPoint) -> bool {
        false
    }
}

fn cells(point: &StressPoint, seed: u64) -> Vec<(String, String)> {
    let row = serde_json::to_value(point.run(seed)).expect("a stress row serialises");
    let mut out = Vec::new();
    flatten("", &row, &mut out);
    // The row's master seed is the run's, which the sweep's own `seed` column already holds.
    out.retain(|(column, _)| column != "seed");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_one_column() {
        let columns = SmrLab.columns();
        assert!(!columns.iter().any(|c| c == "seed"), "{columns:?}");
        assert!(columns.iter().any(|c| c == "runs"), "{columns:?}");
    }
}
