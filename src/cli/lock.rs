//! `faultline lock`: flags ([`LockArgs`]) → one run → a table or JSON.

use super::CliError;
use crate::flags::LockArgs;

/// Runs the configuration and renders it as the flags asked.
///
/// A run that saw a violation says how to replay it: `words` are the flags it was given (the seed
/// added when it was not among them).
pub(super) fn run(args: &LockArgs, words: &[String]) -> Result<String, CliError> {
    let cfg = args.config()?;
    let bar = super::progress::bar(cfg.planned_acquisitions(), "acquisitions");
    let report = crate::lock::run::run_observed(&cfg, &mut super::progress::Acquisitions::new(bar))?;
    Ok(if args.json {
        let mut text =
            serde_json::to_string_pretty(&report).expect("a LockReport has only serialisable fields");
        text.push('\n');
        text
    } else {
        let mut table = crate::report::lock_table(&report);
        if crate::report::violated(&cfg, &report.metrics) {
            let mut line = format!("replay: faultline lock {}", words.join(" "));
            if args.seed.is_none() && args.config.is_none() {
                line.push_str(&format!(" --seed {}", cfg.seed));
            }
            table.push_str(line.trim_end());
            table.push('\n');
        }
        table
    })
}
