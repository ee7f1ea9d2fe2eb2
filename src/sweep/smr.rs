//! The replication laboratory in a sweep: the flags of `faultline smr --stress`, one stress row
//! (one protocol, one `τ`, one `q`) per point.

use super::table::flatten;
use super::{Laboratory, Refusal};
use crate::cli::{DEFAULT_QS, DEFAULT_TAUS, SmrArgs, StressPoint};
use crate::smr::protocols::ProtocolKind;
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
        vec![
            ("protocol".into(), list(ProtocolKind::ALL.iter().map(|p| p.name().to_string()).collect())),
            ("tau".into(), list(DEFAULT_TAUS.iter().map(ToString::to_string).collect())),
            ("q".into(), list(DEFAULT_QS.iter().map(ToString::to_string).collect())),
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
        let point = StressPoint::of(&args).expect("a one-row stress plan");
        cells(&point, 0).into_iter().map(|(c, _)| c).collect()
    }

    fn resolve(&self, settings: &[(String, String)]) -> Result<StressPoint, Refusal> {
        let argv = std::iter::once("smr".to_string())
            .chain(settings.iter().flat_map(|(f, v)| [format!("--{f}"), v.clone()]));
        let args = self
            .command()
            .try_get_matches_from(argv)
            .and_then(|m| SmrArgs::from_arg_matches(&m))
            .map_err(|e| Refusal::Impossible(crate::cli::first_line(&e.to_string()).to_string()))?;
        let point = StressPoint::of(&args).map_err(|e| match e {
            Ok(flag) => Refusal::Inapplicable(flag.to_string()),
            Err(why) => Refusal::Impossible(why),
        })?;
        // A protocol that does not wait runs the same for every τ: one point serves them all.
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
    out
}
