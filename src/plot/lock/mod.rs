//! The lock laboratory's figures, each drawn from the sweep whose settings it needs.
//!
//! Every figure pools a grid point's repetitions ([`super::runs`]), splits the points into one
//! series per combination of the settings the sweep varies besides the figure's own x axis, and
//! names those settings in the legend.

mod clients;
mod fencing;
mod lease;
mod margin;
mod tradeoff;

pub use clients::rate_vs_clients;
pub use fencing::fencing_vs_sms;
pub use lease::overlap_vs_lease;
pub use margin::{closing_margin, margin_vs_drift};
pub use tradeoff::safety_vs_liveness;

use super::figure::Series;
use super::runs::{FinishedRuns, Runs, distinct, setting, varying};
use crate::sweep::table::Table;

/// The lease, as `--lease` reads it; empty for the non-preemptive lock.
pub const LEASE: &str = "config.lease";
/// The pause distribution, e.g. `exp:5ms`.
pub const PAUSE: &str = "config.pause";
/// Where stalls happen: `p1` (before the margin check) or `p2` (after it).
pub const PAUSE_AT: &str = "config.pause_at";
/// The variant, e.g. `fenced`.
pub const VARIANT: &str = "config.variant";
/// Competing clients.
pub const CLIENTS: &str = "config.clients";
/// Clock drift ρ: client clocks run at `1 - ρ`.
pub const DRIFT: &str = "config.drift";
/// The client's safety margin.
pub const MARGIN: &str = "config.margin";
/// Work inside the section.
pub const WORK: &str = "config.work";
/// Chubby's lock-delay.
pub const LOCK_DELAY: &str = "config.lock_delay";
/// Grants received, the total most rates are taken over.
pub const ACQUISITIONS: &str = "acquisitions";
/// Mean acquire wait, in nanoseconds.
pub const WAIT: &str = "acquire_latency_ns.mean";
/// Overlaps per acquisition.
pub const OVERLAP: &str = "rates.overlap";
/// The closed form's overlap rate.
pub const PREDICTED_OVERLAP: &str = "predicted.overlap_rate";
/// The closed form's stale rate (accepted and rejected stale accesses per acquisition).
pub const PREDICTED_STALE: &str = "predicted.stale_rate";
/// The variant that never takes the lock back.
pub const NON_PREEMPTIVE: &str = "non-preemptive";

/// The points of `finished` that ran with a lease.
fn leased<'a, 't>(finished: &'a FinishedRuns<'t>) -> Vec<&'a Runs<'t>> {
    finished.points.iter().filter(|p| p.number(LEASE).is_some()).collect()
}

/// The note for a figure that left out the non-preemptive lock's points.
fn unleased_note(finished: &FinishedRuns<'_>, kept: usize) -> Option<String> {
    let left = finished.points.len() - kept;
    (left > 0).then(|| {
        format!(
            "{left} grid point(s) without a lease (the non-preemptive lock, which never overlaps) left out."
        )
    })
}

/// The note for measured zeros on a logarithmic rate axis, if `series` has any.
fn zero_note(series: &[Series]) -> Option<String> {
    super::curves::has_zero(series).then(|| {
        "a measured rate of 0 has no place on the log axis: it is drawn hollow at its 95% upper bound, \
         with an arrow down to say the rate lies below."
            .to_string()
    })
}

/// What a figure's curves compare, for its title, so that two sweeps drawn as the same figure
/// never share a title.
enum Compared {
    /// Several variants, as `lease and redlock`.
    Variants(String),
    /// One variant, the curves split by other settings, as `pause distribution`.
    Per(String),
    /// A single curve.
    Nothing,
}

/// What the curves of `points` compare, the x axis's setting `x` aside.
fn compared(table: &Table, points: &[&Runs<'_>], x: &str) -> Compared {
    let variants = distinct(points, VARIANT);
    if variants.len() > 1 {
        return Compared::Variants(and(&variants));
    }
    let split: Vec<String> = varying(table, points)
        .iter()
        .filter(|c| *c != x)
        .map(|c| if c == PAUSE { "pause distribution".into() } else { setting(c) })
        .collect();
    if split.is_empty() { Compared::Nothing } else { Compared::Per(and(&split)) }
}

/// What a figure's title adds after its sentence, so that figures of sweeps that differ in what
/// they hold constant never share a title: the pause law when every point has the same one, and
/// the rare-event estimator when it made every point.
fn held(points: &[&Runs<'_>]) -> String {
    let mut out = String::new();
    if let [law] = distinct(points, PAUSE).as_slice() {
        out.push_str(&format!(" (pauses {law})"));
    }
    if !points.is_empty() && points.iter().all(|p| p.estimated()) {
        out.push_str(" (rare-event estimator)");
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
fn and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [head @ .., last] => {
            let head: Vec<&str> = head.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", head.join(", "), last.as_ref())
        }
    }
}
