//! `faultline advise`, rendered: the answer first, then each alternative with its costs.

use super::{align, config_summary, fraction};
use crate::fault::Dist;
use crate::lock::LockConfig;
use crate::lock::advise::Answer;
use crate::time::{Exact, Human, Nanos};
use serde::Serialize;
use std::fmt::Write;

/// The advice as text: the configuration, the target, one row per design and measure, the
/// doubts, and the flag that applies the answer.
///
/// `sensitivity` is the answer at the two ends of a fitted tail's shape interval, if the pauses
/// have one ([`crate::lock::advise::tail_sensitivity`]).
pub fn text(
    cfg: &LockConfig,
    target: f64,
    answers: &[Answer],
    sensitivity: Option<[Option<Nanos>; 2]>,
) -> String {
    let mut out = config_summary(cfg);
    let _ = write!(
        out,
        "\n\nthe shortest lease at which each violation happens at most {} times per acquisition \
         (rates by --estimator rare; costs counted at that lease):\n\n",
        fraction(target)
    );
    let mut rows = vec![
        ["design", "violation", "lease", "95% interval", "mean wait", "p99 wait", "down after a crash"]
            .map(String::from),
    ];
    for a in answers {
        let costs = |a: &Answer| {
            [
                Human(a.mean_wait_ns.round() as u64).to_string(),
                Human(a.p99_wait_ns).to_string(),
                Human(a.unavailable_after_crash_ns).to_string(),
            ]
        };
        let [mean, p99, down] = costs(a);
        let row = match (a.lease_ns, a.lease_ci95_ns) {
            (Some(l), ci) => {
                let interval =
                    ci.map_or_else(String::new, |[lo, hi]| format!("[{}, {}]", Human(lo), Human(hi)));
                [Human(l).to_string(), interval, mean, p99, down]
            }
            // Met at every lease or at none: the search's own words say which.
            (None, _) => [
                "-".into(),
                a.doubts.first().cloned().unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
            ],
        };
        let [lease, interval, mean, p99, down] = row;
        rows.push([design(a), a.measure.words().to_string(), lease, interval, mean, p99, down]);
    }
    out.push_str(&align(&rows, &[false, false, true, false, true, true, true]));
    for a in answers.iter().filter(|a| a.lease_ns.is_some()) {
        for doubt in &a.doubts {
            let _ = writeln!(out, "  {} ({}): {doubt}", design(a), a.measure.words());
        }
    }
    if let Some(lease) = answers.first().and_then(|a| a.lease_ns) {
        let _ = writeln!(out, "\nanswer: --lease {} for the {} design", Exact(lease), cfg.variant.name());
    }
    if let (Some([light, heavy]), Dist::Data(law)) = (sensitivity, &cfg.pause)
        && let Ok(fit) = law.fit()
    {
        let shown = |l: Option<Nanos>| l.map_or_else(|| "no answer".to_string(), |l| Human(l).to_string());
        let _ = writeln!(
            out,
            "the tail fitted to the pauses has shape alpha = {:.3}, 95% interval [{:.3}, {:.3}]: across it \
             the answer moves from {} to {}, more than the estimator's own interval",
            fit.alpha,
            fit.alpha_ci95[0],
            fit.alpha_ci95[1],
            shown(light),
            shown(heavy),
        );
    }
    if answers.len() > 1 {
        out.push_str(
            "fencing keeps storage safe at any lease, never the SMS: an outbox cannot check a token\n",
        );
    }
    out
}

/// A design as the table names it, with the margin or lock-delay it was given.
fn design(a: &Answer) -> String {
    let mut name = a.variant.name().to_string();
    if let Some(m) = a.margin_ns {
        let _ = write!(name, " (m={})", Human(m));
    }
    if a.lock_delay_ns > 0 {
        let _ = write!(name, " (D={})", Human(a.lock_delay_ns));
    }
    name
}

/// The advice as one JSON object: `lease` is the answer as `--lease` takes it.
pub fn json(
    cfg: &LockConfig,
    target: f64,
    answers: &[Answer],
    sensitivity: Option<[Option<Nanos>; 2]>,
) -> String {
    #[derive(Serialize)]
    struct Advice<'a> {
        lease: Option<String>,
        lease_ci95: Option<[String; 2]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        lease_across_tail_fit: Option<[Option<String>; 2]>,
        target: f64,
        estimator: &'static str,
        answer: &'a Answer,
        alternatives: &'a [Answer],
        config: &'a LockConfig,
    }
    let first = &answers[0];
    let advice = Advice {
        lease: first.lease_ns.map(|l| Exact(l).to_string()),
        lease_ci95: first.lease_ci95_ns.map(|[lo, hi]| [Exact(lo).to_string(), Exact(hi).to_string()]),
        lease_across_tail_fit: sensitivity.map(|ends| ends.map(|l| l.map(|l| Exact(l).to_string()))),
        target,
        estimator: "rare",
        answer: first,
        alternatives: &answers[1..],
        config: cfg,
    };
    let mut text = serde_json::to_string_pretty(&advice).expect("advice has only serialisable fields");
    text.push('\n');
    text
}
