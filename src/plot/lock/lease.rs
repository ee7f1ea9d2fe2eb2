//! Leases lose safety: the overlap rate against the lease, one curve per pause distribution.

use super::{
    Compared, LEASE, OVERLAP, PAUSE, PREDICTED_OVERLAP, compared, held, leased, unleased_note, zero_note,
};
use crate::plot::PlotError;
use crate::plot::curves::{Measure, has_positive, x_scale};
use crate::plot::figure::{Kind, Panel, Plot, PlotAxis, Scale};
use crate::plot::runs::{FinishedRuns, RateColumns, Runs, group, keys, must_vary, varying};
use crate::sweep::table::Table;

const NAME: &str = "overlap rate against lease";

/// Overlap rate against lease, one curve per pause distribution (and per value of any other
/// setting the sweep varies), on a log rate axis, each with its 95% band and its closed form
/// `P(S > L + D - w)` dashed. Needs a sweep over `--lease`.
pub fn overlap_vs_lease(table: &Table) -> Result<Plot, PlotError> {
    let finished = FinishedRuns::read(table)?;
    let overlap = RateColumns::prefix(OVERLAP);
    finished.require(NAME, &[LEASE, PAUSE])?;
    finished.require(NAME, &overlap.required())?;
    let points = leased(&finished);
    must_vary(NAME, &points, LEASE)?;
    let measure = Measure {
        x: &|p: &Runs<'_>| p.number(LEASE),
        y: &|p: &Runs<'_>| p.rate(&overlap),
        predicted: Some(PREDICTED_OVERLAP),
        tag: None,
    };
    let series: Vec<_> = group(&points, &keys(&[PAUSE], varying(table, &points), &[LEASE]))
        .into_iter()
        .enumerate()
        .flat_map(|(i, (label, members))| {
            // Importance-sampled points carry their estimator's interval, drawn as error bars.
            let kind = if members.iter().all(|p| p.estimated()) { Kind::Estimated } else { Kind::Measured };
            measure.series(&label, i, kind, &members)
        })
        .collect();
    let mut notes: Vec<String> = unleased_note(&finished, points.len()).into_iter().collect();
    let scale = if has_positive(&series) {
        notes.extend(zero_note(&series));
        Scale::Log
    } else {
        notes.push("no overlap at all: the rate axis is linear, as a log axis has no 0.".into());
        Scale::Linear
    };
    let panel = Panel {
        title: None,
        x: PlotAxis { scale: x_scale(&series), ..PlotAxis::linear("lease L (ms)") },
        y: PlotAxis::rate("overlaps per acquisition", scale),
        series,
        markers: Vec::new(),
    };
    Ok(Plot {
        name: "overlap-vs-lease".into(),
        title: match compared(table, &points, LEASE) {
            Compared::Variants(v) => format!("Overlap rate against lease: {v} compared"),
            Compared::Per(split) => format!("Leases lose safety: overlap rate against lease, per {split}"),
            Compared::Nothing => "Leases lose safety: overlap rate against lease".into(),
        } + &held(&points),
        panels: vec![panel],
        columns: 1,
        marker_meaning: None,
        notes,
    })
}
