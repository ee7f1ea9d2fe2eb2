//! The closed forms assume contention: the overlap rate against the number of clients, beside
//! the closed form, which does not depend on it.

use super::{CLIENTS, LEASE, OVERLAP, PAUSE, PREDICTED_OVERLAP};
use crate::plot::PlotError;
use crate::plot::curves::{Measure, rate_scale, x_scale};
use crate::plot::figure::{Kind, Panel, Plot, PlotAxis, Point};
use crate::plot::runs::{FinishedRuns, RateColumns, Runs, group, keys, must_vary, varying};
use crate::sweep::table::Table;

const NAME: &str = "rate against clients";

/// Overlap rate against the number of clients, one curve per pause distribution and lease (and
/// per value of any other setting the sweep varies), with the closed form dashed; a triangle marks
/// a point off it where the runs saw the assumption that someone is always waiting fail (leases
/// expired with nobody waiting), a cross one that contradicts it. Needs a sweep over `--clients`.
pub fn rate_vs_clients(table: &Table) -> Result<Plot, PlotError> {
    let finished = FinishedRuns::read(table)?;
    let overlap = RateColumns::prefix(OVERLAP);
    finished.require(NAME, &[CLIENTS])?;
    finished.require(NAME, &overlap.required())?;
    let points: Vec<&Runs<'_>> = finished.points.iter().collect();
    must_vary(NAME, &points, CLIENTS)?;
    let measure = Measure {
        x: &|p: &Runs<'_>| p.number(CLIENTS),
        y: &|p: &Runs<'_>| p.rate(&overlap),
        predicted: Some(PREDICTED_OVERLAP),
        tag: None,
    };
    let present: Vec<&str> = [PAUSE, LEASE].into_iter().filter(|c| table.column(c).is_some()).collect();
    let series: Vec<_> = group(&points, &keys(&present, varying(table, &points), &[CLIENTS]))
        .into_iter()
        .enumerate()
        .flat_map(|(i, (label, members))| measure.series(&label, i, Kind::Measured, &members))
        .collect();
    let count = |mark: fn(&Point) -> bool| series.iter().flat_map(|s| &s.points).filter(|p| mark(p)).count();
    let off = count(|p| p.off);
    let uncontended = count(|p| p.assumption_fails && !p.off);
    let mut notes = Vec::new();
    if uncontended > 0 {
        notes.push(format!(
            "{uncontended} point(s) (triangles) lie off the closed form where its runs saw leases expire with \
             nobody waiting, which the closed form assumes never happens (docs/model.md §4.5)."
        ));
    }
    if off > 0 {
        notes.push(format!(
            "{off} point(s) (crosses) lie further than 4 standard errors from the closed form, more than \
             the leases that expired with nobody waiting explain."
        ));
    }
    if notes.is_empty() {
        notes.push(
            "every point lies within 4 standard errors of its closed form: contention holds throughout."
                .into(),
        );
    }
    let scale = rate_scale(&series);
    let panel = Panel {
        title: None,
        x: PlotAxis { scale: x_scale(&series), ..PlotAxis::linear("clients p") },
        y: PlotAxis::rate("overlaps per acquisition", scale),
        series,
        markers: Vec::new(),
    };
    Ok(Plot {
        name: "rate-vs-clients".into(),
        title: "The closed form assumes contention: overlap rate against the number of clients".into(),
        panels: vec![panel],
        columns: 1,
        marker_meaning: None,
        notes,
    })
}
