//! A margin covers drift only so far: stale accesses against the margin, one curve per drift.
//!
//! The margin that closes the harmful window comes from [`crate::lock::predict`]: a client
//! stalled before its margin check aborts once `S > A = (L - m)/(1 - ρ)`, and one that passes
//! touches storage after the next grant when `S > L + D - w`. The window `(L + D - w, A]` is
//! empty once `A <= L + D - w`, that is once
//!
//! ```text
//! m >= ρ·L + (1 - ρ)·(w - D)
//! ```
//!
//! which is `ρL + (1 - ρ)w` without a lock-delay. That exact form is what the figure marks.

use super::{ACQUISITIONS, DRIFT, LEASE, LOCK_DELAY, MARGIN, PAUSE_AT, PREDICTED_STALE, WORK};
use crate::plot::PlotError;
use crate::plot::curves::{Measure, x_scale};
use crate::plot::figure::{Kind, Marker, Panel, Plot, PlotAxis, Scale};
use crate::plot::runs::{FinishedRuns, Runs, group, keys, must_vary, varying};
use crate::plot::ticks;
use crate::sweep::table::Table;

const NAME: &str = "margin against drift";
const STALE: [&str; 2] = ["stale_accepted", "stale_rejected"];

/// The margin (in the lease's unit) from which a margin check stops every harmful overlap of a
/// stall before it: `ρL + (1 - ρ)(w - D)`, for lease `lease`, drift `rho`, work `work` and
/// lock-delay `delay`.
pub fn closing_margin(lease: f64, rho: f64, work: f64, delay: f64) -> f64 {
    rho * lease + (1.0 - rho) * (work - delay)
}

/// Stale storage accesses per acquisition against margin, one curve per drift (and per value of
/// any other setting the sweep varies), with the closed form dashed and, for stalls at P1, a
/// vertical line where each curve's margin closes the harmful window. Needs a sweep over
/// `--margin`.
pub fn margin_vs_drift(table: &Table) -> Result<Plot, PlotError> {
    let finished = FinishedRuns::read(table)?;
    finished.require(NAME, &[MARGIN, DRIFT, ACQUISITIONS, STALE[0], STALE[1]])?;
    let points: Vec<&Runs<'_>> = finished.points.iter().filter(|p| p.number(MARGIN).is_some()).collect();
    must_vary(NAME, &points, MARGIN)?;
    let measure = Measure {
        x: &|p: &Runs<'_>| p.number(MARGIN),
        y: &|p: &Runs<'_>| p.ratio(&STALE, ACQUISITIONS),
        predicted: Some(PREDICTED_STALE),
        tag: None,
    };
    let mut series = Vec::new();
    let mut markers: Vec<Marker> = Vec::new();
    let mut notes = Vec::new();
    for (i, (label, members)) in
        group(&points, &keys(&[DRIFT], varying(table, &points), &[MARGIN])).into_iter().enumerate()
    {
        series.extend(measure.series(&label, i, Kind::Measured, &members));
        let p = members[0];
        if p.text(PAUSE_AT) != "p1" {
            continue;
        }
        let (Some(lease), Some(rho)) = (p.number(LEASE), p.number(DRIFT)) else { continue };
        let (work, delay) = (p.number(WORK).unwrap_or(0.0), p.number(LOCK_DELAY).unwrap_or(0.0));
        let m = closing_margin(lease, rho, work, delay);
        if m >= lease {
            notes.push(format!("{label}: no margin shorter than the lease closes the window."));
        } else if m > 0.0 && !markers.iter().any(|k| k.x == m && k.color == i) {
            markers.push(Marker { x: m, color: i, label: format!("m = {} ms", ticks::label(m)) });
        }
    }
    if points.iter().all(|p| p.text(PAUSE_AT) != "p1") {
        notes.push(
            "the stalls come after the margin check (P2), where no margin can see them: sweep \
             --pause-at p1 to see a margin close the window."
                .into(),
        );
    }
    let panel = Panel {
        title: None,
        x: PlotAxis { scale: x_scale(&series), ..PlotAxis::linear("safety margin m (ms)") },
        y: PlotAxis::rate("stale storage accesses per acquisition", Scale::Linear),
        series,
        markers,
    };
    Ok(Plot {
        name: "margin-vs-drift".into(),
        title: "A margin covers clock drift only so far: stale accesses against margin, per drift".into(),
        panels: vec![panel],
        columns: 1,
        marker_meaning: Some(
            "dotted vertical: the margin that closes the harmful window, m = ρL + (1-ρ)(w-D) \
             (docs/model.md §4.2)"
                .into(),
        ),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Dist;
    use crate::lock::predict::predict;
    use crate::lock::{EngineKind, LockConfig, Variant};
    use crate::node::PausePoint;
    use crate::time::MS;

    /// The marker sits where the closed form's stale rate reaches 0, lock-delay included.
    #[test]
    fn the_closing_margin_is_where_the_predicted_stale_rate_reaches_zero() {
        let mut cfg = LockConfig::new(Variant::LEASE_MARGIN, EngineKind::Sim);
        cfg.pause_at = PausePoint::P1;
        cfg.pause = Dist::Uniform { lo: 0, hi: 20 * MS };
        cfg.lease = Some(10 * MS);
        cfg.work = 2 * MS;
        cfg.lock_delay = MS;
        for rho in [0.0, 0.25, 0.5] {
            cfg.drift = rho;
            let m = closing_margin(10.0, rho, 2.0, 1.0);
            let mut stale = |margin: f64| {
                cfg.margin = Some((margin * MS as f64).round() as u64);
                predict(&cfg).unwrap().stale_rate.unwrap()
            };
            assert_eq!(stale(m + 0.01), 0.0, "rho {rho}: the window is closed past {m} ms");
            assert!(stale(m - 0.1) > 0.0, "rho {rho}: and open below it");
        }
    }
}
