//! The replication laboratory's stress sweep: disagreement and unanswered rates against the
//! omission probability `q` and the timeout `τ`, one row of panels per protocol.
//!
//! The stress sweep's columns are not fixed yet, so the figure takes their names as parameters.

use super::PlotError;
use super::curves::Measure;
use super::figure::{Kind, Panel, Plot, PlotAxis, Scale};
use super::runs::{FinishedRuns, RateColumns, Runs, distinct, group, keys};
use crate::sweep::table::Table;

const NAME: &str = "replication plot";

/// Where the replication figure finds what it draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmrColumns {
    /// The protocol's name, e.g. `commit-alone`: one column of panels each.
    pub protocol: String,
    /// The timeout τ, in rounds; a cell that is not a number (`-`, for protocols without one)
    /// makes a series of its own.
    pub tau: String,
    /// The omission probability q, the x axis; rows whose cell is not a number (crash runs) are
    /// left out, and the figure says how many.
    pub q: String,
    /// Runs in which two clients were told different commands.
    pub disagreement: RateColumns,
    /// Runs in which a client got no response.
    pub unanswered: RateColumns,
    /// Other settings that split series (e.g. `n`, `f`), so that different worlds are never
    /// joined into one curve.
    pub others: Vec<String>,
}

/// One row of panels per protocol, its disagreement rate on the left and its unanswered rate on
/// the right; in each panel the rate against q, one curve per τ. Each column shares its rate
/// axis, so protocols compare at a glance, and two columns keep the figure readable however many
/// protocols the sweep ran.
pub fn replication_plot(table: &Table, columns: &SmrColumns) -> Result<Plot, PlotError> {
    let finished = FinishedRuns::read(table)?;
    let c = columns;
    finished.require(NAME, &[&c.protocol, &c.tau, &c.q])?;
    finished.require(NAME, &c.disagreement.required())?;
    finished.require(NAME, &c.unanswered.required())?;
    let others: Vec<&str> = c.others.iter().map(String::as_str).collect();
    finished.require(NAME, &others)?;
    let all: Vec<&Runs<'_>> = finished.points.iter().collect();
    let kept: Vec<&Runs<'_>> = all.iter().copied().filter(|p| p.text(&c.q).parse::<f64>().is_ok()).collect();
    if kept.is_empty() {
        return Err(PlotError::NotNumeric { plot: NAME.into(), column: c.q.clone() });
    }
    let protocols = distinct(&kept, &c.protocol);
    // One colour per τ (and other settings) across every panel, so the legend lists each once.
    // Settings that take one value throughout split nothing, and would only lengthen each label.
    let others: Vec<String> = c.others.iter().filter(|o| distinct(&kept, o).len() > 1).cloned().collect();
    let split: Vec<String> = keys(&[&c.tau], others, &[]);
    let labels: Vec<String> = group(&kept, &split).into_iter().map(|(l, _)| tau_label(&l, &c.tau)).collect();
    let ceiling = |rate: &RateColumns| {
        kept.iter().filter_map(|p| p.rate(rate)).map(|e| e.hi.max(e.rate)).fold(0.0, f64::max).max(1e-3)
    };
    let rates = [(&c.disagreement, "disagreement"), (&c.unanswered, "unanswered")];
    let tops = rates.map(|(rate, _)| ceiling(rate) * 1.05);
    let mut panels = Vec::new();
    for protocol in &protocols {
        let members: Vec<&Runs<'_>> =
            kept.iter().copied().filter(|p| p.text(&c.protocol) == *protocol).collect();
        for ((rate, what), top) in rates.iter().zip(tops) {
            let measure = Measure {
                x: &|p: &Runs<'_>| p.text(&c.q).parse().ok(),
                y: &|p: &Runs<'_>| p.rate(rate),
                predicted: None,
                tag: None,
            };
            let series = group(&members, &split)
                .into_iter()
                .flat_map(|(label, runs)| {
                    let label = tau_label(&label, &c.tau);
                    let color = labels.iter().position(|l| *l == label).unwrap_or(0);
                    measure.series(&label, color, Kind::Measured, &runs)
                })
                .collect();
            panels.push(Panel {
                title: Some(format!("{protocol}: {what}")),
                x: PlotAxis::linear("omission probability q"),
                y: PlotAxis {
                    range: Some((0.0, top)),
                    ..PlotAxis::rate(format!("{what} rate (per run)"), Scale::Linear)
                },
                series,
                markers: Vec::new(),
            });
        }
    }
    let mut notes = Vec::new();
    if kept.len() < all.len() {
        notes.push(format!(
            "{} grid point(s) without a numeric {} (crash runs) left out.",
            all.len() - kept.len(),
            c.q
        ));
    }
    Ok(Plot {
        name: "replication".into(),
        title: "Replication under random omissions: disagreement and unanswered rates against q and τ".into(),
        panels,
        columns: rates.len(),
        marker_meaning: None,
        notes,
    })
}

/// `tau 3` reads `τ = 3`; a protocol without a timeout, `no τ`.
fn tau_label(label: &str, tau: &str) -> String {
    let name = super::runs::setting(tau);
    let (first, rest) = label.split_once(", ").unwrap_or((label, ""));
    let head = match first.strip_prefix(&format!("{name} ")) {
        Some(v) if v.parse::<f64>().is_ok() => format!("τ = {v}"),
        _ => "no τ".to_string(),
    };
    if rest.is_empty() { head } else { format!("{head}, {rest}") }
}
