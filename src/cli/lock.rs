//! `faultline lock`: flags ([`LockArgs`]) → one run → a table or JSON.

use super::CliError;
use crate::flags::LockArgs;
use crate::lock::{EngineKind, LockConfig};

/// Runs the configuration and renders it as the flags asked.
///
/// A run that saw a violation says how to run it again ([`again`]).
pub(super) fn run(args: &LockArgs, words: &[String]) -> Result<String, CliError> {
    let cfg = args.config()?;
    let bar = super::progress::bar(cfg.planned_acquisitions(), "acquisitions");
    let report = crate::lock::runner::run_observed(&cfg, &mut super::progress::Acquisitions::new(bar))?;
    Ok(if args.json {
        let mut text =
            serde_json::to_string_pretty(&report).expect("a LockReport has only serialisable fields");
        text.push('\n');
        text
    } else {
        let mut table = crate::report::lock_table(&report);
        if crate::report::violated(&cfg, &report.metrics) {
            table.push_str(&again(&cfg, args.seed.is_none() && args.config.is_none(), words));
        }
        table
    })
}

/// The line that runs `cfg` again: `words` are the flags it was given, and the seed is added when
/// `add_seed`. Only the simulator replays a run; on the threads engine the timing is the
/// machine's, so the same flags rerun the configuration and see other interleavings.
fn again(cfg: &LockConfig, add_seed: bool, words: &[String]) -> String {
    let label = match cfg.engine {
        EngineKind::Sim => "replay:",
        EngineKind::Threads => "rerun (threads engine: this reruns the configuration, not this run):",
    };
    let mut line = format!("{label} faultline lock {}", words.join(" "));
    if add_seed {
        line.push_str(&format!(" --seed {}", cfg.seed));
    }
    format!("{}\n", line.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::Variant;

    #[test]
    fn only_a_simulator_run_is_replayed() {
        let words = ["--clients".to_string(), "4".to_string()];
        let sim = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        assert_eq!(again(&sim, true, &words), "replay: faultline lock --clients 4 --seed 1\n");
        let threads = LockConfig::new(Variant::LEASE, EngineKind::Threads);
        let line = again(&threads, false, &words);
        assert!(line.starts_with("rerun (threads engine: this reruns the configuration, not this run):"));
        assert!(!line.starts_with("replay:"), "{line}");
    }
}
