//! Fencing saves storage but not the SMS: lost updates and duplicate side effects against lease,
//! for the plain lease and both kinds of fencing.

use super::{LEASE, VARIANT, leased};
use crate::plot::PlotError;
use crate::plot::curves::{Measure, x_scale};
use crate::plot::figure::{Kind, Panel, Plot, PlotAxis, Scale};
use crate::plot::runs::{FinishedRuns, RateColumns, Runs, distinct, group, keys, must_vary, varying};
use crate::sweep::table::Table;

const NAME: &str = "fencing against the SMS";
/// The variants compared, in the order the legend lists them.
const COMPARED: [&str; 3] = ["lease", "fenced", "fenced-writes"];
const LOST: &str = "rates.lost_update";
const DUPLICATE: &str = "rates.duplicate_effect";

/// Two panels against lease: lost updates per accepted write (what fenced storage prevents) and
/// duplicate SMSs per SMS sent (what it cannot), one curve per variant among lease, fenced and
/// fenced-writes. Linear rate axes, because the fenced variant's 0 is the point. Needs a sweep
/// over `--lease` and `--variant` with two of those variants.
pub fn fencing_vs_sms(table: &Table) -> Result<Plot, PlotError> {
    let finished = FinishedRuns::read(table)?;
    let (lost, duplicate) = (RateColumns::prefix(LOST), RateColumns::prefix(DUPLICATE));
    finished.require(NAME, &[LEASE, VARIANT])?;
    finished.require(NAME, &lost.required())?;
    finished.require(NAME, &duplicate.required())?;
    let mut points: Vec<&Runs<'_>> =
        leased(&finished).into_iter().filter(|p| COMPARED.contains(&p.text(VARIANT))).collect();
    let found = distinct(&points, VARIANT).len();
    if found < 2 {
        return Err(PlotError::Variants { plot: NAME.into(), wanted: COMPARED.join(", "), found });
    }
    must_vary(NAME, &points, LEASE)?;
    points.sort_by_key(|p| COMPARED.iter().position(|v| *v == p.text(VARIANT)));
    let groups = group(&points, &keys(&[VARIANT], varying(table, &points), &[LEASE]));
    let panel = |title: &str, y: &str, columns: &RateColumns| {
        let measure = Measure {
            x: &|p: &Runs<'_>| p.number(LEASE),
            y: &|p: &Runs<'_>| p.rate(columns),
            predicted: None,
            tag: None,
        };
        let series: Vec<_> = groups
            .iter()
            .enumerate()
            .flat_map(|(i, (label, members))| measure.series(label, i, Kind::Measured, members))
            .collect();
        Panel {
            title: Some(title.into()),
            x: PlotAxis { scale: x_scale(&series), ..PlotAxis::linear("lease L (ms)") },
            y: PlotAxis::rate(y, Scale::Linear),
            series,
            markers: Vec::new(),
        }
    };
    Ok(Plot {
        name: "fencing-vs-sms".into(),
        title: "Fencing saves storage, not the SMS: lost updates and duplicate side effects against lease"
            .into(),
        panels: vec![
            panel("storage: lost updates", "lost updates per accepted write", &lost),
            panel("side effect: duplicate SMSs", "duplicate SMSs per SMS sent", &duplicate),
        ],
        columns: 2,
        marker_meaning: None,
        notes: vec![
            "fenced: storage refuses every stale token; fenced-writes: it checks writes only, so a late \
             write can still land; the SMS is sent with the write and nobody checks it."
                .into(),
        ],
    })
}
