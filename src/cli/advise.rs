//! `faultline advise`: the lock flags and a target rate → the shortest lease meeting it, its
//! interval and costs, and the alternatives beside it ([`crate::lock::advise`]).

use super::CliError;
use crate::flags::LockArgs;
use crate::lock::advise::{self, AdviseError, Answer};
use rayon::prelude::*;

/// The flags of `faultline advise`: the lock laboratory's, without the lease it answers, and the
/// target.
#[derive(Debug, Clone, clap::Args)]
pub struct AdviseArgs {
    /// The violation rate to meet, per acquisition (a number strictly between 0 and 1, e.g. 1e-6)
    #[arg(long, value_name = "RATE", value_parser = advise::parse_target, allow_hyphen_values = true)]
    pub target: f64,
    /// Answer for the given design only, without the alternatives beside it
    #[arg(long)]
    pub alone: bool,
    /// The configuration: the lock laboratory's flags (not --lease, which is the answer)
    #[command(flatten)]
    pub lock: LockArgs,
}

/// What stops advice.
#[derive(Debug, thiserror::Error)]
pub enum AdviseCliError {
    /// A flag advise answers or decides itself.
    #[error("{0} is what advise decides: leave it out")]
    Decided(&'static str),
    /// The lock flags.
    #[error(transparent)]
    Cli(#[from] CliError),
    /// The search.
    #[error(transparent)]
    Advise(#[from] AdviseError),
}

/// Runs the search for the design and, unless `--alone`, its alternatives (in parallel); the
/// report for stdout.
pub fn run(args: &AdviseArgs) -> Result<String, AdviseCliError> {
    if args.lock.lease.is_some() {
        return Err(AdviseCliError::Decided("--lease"));
    }
    if args.lock.estimator.is_some() {
        return Err(AdviseCliError::Decided("--estimator"));
    }
    let cfg = args.lock.config().map_err(CliError::from)?;
    let cases =
        if args.alone { vec![(cfg.clone(), advise::Measure::Overlap)] } else { advise::alternatives(&cfg) };
    let answers: Result<Vec<Answer>, AdviseError> =
        cases.par_iter().map(|(c, measure)| advise::shortest_lease(c, *measure, args.target)).collect();
    let answers = answers?;
    let sensitivity = advise::tail_sensitivity(&cfg, advise::Measure::Overlap, args.target);
    // The configuration as shown (and as `--json` gives it back to `--config`) runs the answer.
    let mut cfg = cfg;
    if let Some(lease) = answers.first().and_then(|a| a.lease_ns) {
        cfg.lease = Some(lease);
    }
    Ok(if args.lock.json {
        crate::report::advise::json(&cfg, args.target, &answers, sensitivity)
    } else {
        crate::report::advise::text(&cfg, args.target, &answers, sensitivity)
    })
}
