//! `faultline pauses PATH [--json]`: what a log's pauses are, as `--pause file:PATH` and
//! `--pause file+tail:PATH` would use them: the format detected, how many, their quantiles and
//! total, the lines that could not be read, and the tail fit or why there is none.

use crate::fault::Empirical;
use crate::fault::empirical::EmpiricalError;
use crate::time::Human;
use std::fmt::Write;

/// The flags of `faultline pauses`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Formats (detected): one duration per line (12ms, 250us; a bare number is milliseconds); \
JVM -Xlog:gc, -Xlog:gc*, -Xlog:safepoint with any decorators; JDK 8 -verbose:gc / -XX:+PrintGCDetails; \
Go GODEBUG=gctrace=1; Node --trace-gc. Then run a laboratory on them: faultline lock --pause file:PATH \
(the pauses, resampled) or --pause file+tail:PATH (with the fitted Pareto tail beyond the threshold)."
)]
pub struct PausesArgs {
    /// The log: a GC log of a JVM, Go or Node program, or one duration per line.
    #[arg(value_name = "PATH")]
    pub path: String,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Reads the log and renders what it holds.
pub(super) fn run(args: &PausesArgs) -> Result<String, EmpiricalError> {
    let law = Empirical::load(&args.path, false)?;
    Ok(if args.json { json(&law) } else { table(&law) })
}

fn table(law: &Empirical) -> String {
    let n = law.pauses().len();
    let mut out = String::new();
    let row = |out: &mut String, key: &str, value: &str| {
        let _ = writeln!(out, "{key:<12} {value}");
    };
    row(&mut out, "pauses of", law.source());
    row(&mut out, "format", &format!("{}: {}", law.format(), law.format().describe()));
    row(&mut out, "count", &n.to_string());
    let (unreadable, first) = law.unreadable();
    let unreadable = match first {
        Some(line) => format!("{unreadable} lines (the first is line {line})"),
        None => "0 lines".to_string(),
    };
    row(&mut out, "unreadable", &unreadable);
    row(&mut out, "median", &Human(law.quantile(0.5)).to_string());
    row(&mut out, "p99", &Human(law.quantile(0.99)).to_string());
    let p999 = Human(law.quantile(0.999)).to_string();
    row(
        &mut out,
        "p99.9",
        &if n < 1000 { format!("{p999} (the largest: fewer than 1000 pauses)") } else { p999 },
    );
    row(&mut out, "max", &Human(law.quantile(1.0)).to_string());
    row(&mut out, "total", &Human(u64::try_from(law.total()).unwrap_or(u64::MAX)).to_string());
    match law.fit() {
        Ok(fit) => {
            row(
                &mut out,
                "tail fit",
                &format!(
                    "Pareto beyond {} (the {} largest of {n} pauses): alpha = {:.3}, 95% interval [{:.3}, {:.3}]",
                    Human(fit.threshold_ns),
                    fit.k,
                    fit.alpha,
                    fit.alpha_ci95[0],
                    fit.alpha_ci95[1]
                ),
            );
            row(
                &mut out,
                "",
                &format!(
                    "--pause file+tail:{} draws from this tail in place of the {} largest",
                    law.source(),
                    fit.k
                ),
            );
        }
        Err(why) => row(&mut out, "tail fit", &format!("none: {why}")),
    }
    row(
        &mut out,
        "floor",
        &format!(
            "a rate below 1/{n} = {:.3e} per stall is beyond what these pauses support (--pause file:{})",
            1.0 / n as f64,
            law.source()
        ),
    );
    out
}

fn json(law: &Empirical) -> String {
    let (unreadable, first) = law.unreadable();
    let (tail, no_tail) = match law.fit() {
        Ok(fit) => (serde_json::to_value(fit).expect("a fit serialises"), serde_json::Value::Null),
        Err(why) => (serde_json::Value::Null, why.to_string().into()),
    };
    let v = serde_json::json!({
        "path": law.source(),
        "format": law.format().name(),
        "format_description": law.format().describe(),
        "count": law.pauses().len(),
        "unreadable": unreadable,
        "first_unreadable_line": first,
        "skipped_lines": law.skipped(),
        "sum_ns": u64::try_from(law.total()).unwrap_or(u64::MAX),
        "min_ns": law.quantile(0.0),
        "median_ns": law.quantile(0.5),
        "p99_ns": law.quantile(0.99),
        "p999_ns": law.quantile(0.999),
        "max_ns": law.quantile(1.0),
        "tail": tail,
        "no_tail": no_tail,
        "supported_floor": law.supported_floor(),
    });
    let mut text = serde_json::to_string_pretty(&v).expect("a JSON value serialises");
    text.push('\n');
    text
}
