//! Safety against liveness: as the lease grows, overlaps become rarer and waits longer; the
//! non-preemptive lock, which never overlaps, ends the wait axis.

use super::{
    ACQUISITIONS, Compared, LEASE, NON_PREEMPTIVE, OVERLAP, PAUSE, VARIANT, WAIT, compared, held, leased,
    zero_note,
};
use crate::plot::PlotError;
use crate::plot::curves::{Measure, has_positive, x_scale};
use crate::plot::figure::{Kind, Panel, Plot, PlotAxis, Scale};
use crate::plot::runs::{FinishedRuns, RateColumns, Runs, group, keys, must_vary, varying};
use crate::sweep::table::Table;
use crate::time::MS;

const NAME: &str = "safety against liveness";

/// Overlap rate against mean acquire wait, one curve per pause distribution traced by the lease
/// (each point tagged with its lease), and the non-preemptive lock's runs as squares: rate 0, the
/// longest wait. Needs a sweep over `--lease`; the squares need `--variant` to include
/// `non-preemptive`.
pub fn safety_vs_liveness(table: &Table) -> Result<Plot, PlotError> {
    let finished = FinishedRuns::read(table)?;
    let overlap = RateColumns::prefix(OVERLAP);
    finished.require(NAME, &[LEASE, PAUSE, WAIT, ACQUISITIONS])?;
    finished.require(NAME, &overlap.required())?;
    // A rare-event estimate's waits are its proposal's, not the law's: only counted points.
    let points: Vec<_> = leased(&finished).into_iter().filter(|p| !p.estimated()).collect();
    must_vary(NAME, &points, LEASE)?;
    let wait = |p: &Runs<'_>| p.weighted_mean(WAIT, ACQUISITIONS).map(|ns| ns / MS as f64);
    // Two figures tell the leases of a sweep apart (√2 apart at the finest) in half the width of
    // the cell's `45.255ms`, so that more of the labels find room.
    let lease_tag = |p: &Runs<'_>| p.number(LEASE).map(|ms| format!("L={}ms", two_figures(ms)));
    let measure =
        Measure { x: &wait, y: &|p: &Runs<'_>| p.rate(&overlap), predicted: None, tag: Some(&lease_tag) };
    let curves = group(&points, &keys(&[PAUSE], varying(table, &points), &[LEASE]));
    let mut series: Vec<_> = curves
        .iter()
        .enumerate()
        .flat_map(|(i, (label, members))| measure.series(label, i, Kind::Measured, members))
        .collect();
    let reference: Vec<&Runs<'_>> =
        finished.points.iter().filter(|p| p.text(VARIANT) == NON_PREEMPTIVE).collect();
    let never = Measure { tag: None, ..measure };
    for (label, members) in group(&reference, &keys(&[PAUSE], varying(table, &reference), &[VARIANT])) {
        // The reference takes the colour of the lease curve with its pause distribution.
        let pause = members[0].text(PAUSE);
        let color = curves.iter().position(|(_, m)| m[0].text(PAUSE) == pause).unwrap_or(curves.len());
        series.extend(never.series(&format!("{NON_PREEMPTIVE}, {label}"), color, Kind::Reference, &members));
    }
    let mut notes = Vec::new();
    if reference.is_empty() {
        notes.push(format!(
            "the sweep ran no {NON_PREEMPTIVE} lock: add {NON_PREEMPTIVE} to --variant to end the wait axis with it."
        ));
    }
    notes.extend(zero_note(&series));
    let scale = if has_positive(&series) { Scale::Log } else { Scale::Linear };
    let panel = Panel {
        title: None,
        x: PlotAxis { scale: x_scale(&series), ..PlotAxis::linear("mean acquire wait (ms)") },
        y: PlotAxis::rate("overlaps per acquisition", scale),
        series,
        markers: Vec::new(),
    };
    Ok(Plot {
        name: "safety-vs-liveness".into(),
        title: match compared(table, &points, LEASE) {
            Compared::Variants(v) => {
                format!("Safety against liveness, {v} compared: a longer lease overlaps less and waits more")
            }
            Compared::Per(_) | Compared::Nothing => {
                "Safety against liveness: a longer lease overlaps less and waits more".into()
            }
        } + &held(&points),
        panels: vec![panel],
        columns: 1,
        marker_meaning: None,
        notes,
    })
}

/// `value` to two significant figures, or whole when larger: `1.4`, `45`, `181`.
fn two_figures(value: f64) -> String {
    let text = if value >= 10.0 { format!("{value:.0}") } else { format!("{value:.1}") };
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lease_tags_keep_two_figures() {
        let tags: Vec<String> = [1.0, 1.414, 5.657, 11.314, 45.255, 181.019].map(super::two_figures).to_vec();
        assert_eq!(tags, ["1", "1.4", "5.7", "11", "45", "181"]);
    }
}
