//! Any sweep: a rate against the setting with the most values, one series per combination of the
//! other settings it varies.

use super::PlotError;
use super::curves::{Measure, rate_scale, x_scale};
use super::figure::{Kind, Panel, Plot, PlotAxis, Series};
use super::runs::{FinishedRuns, RateColumns, Runs, distinct, group, keys, quantity, setting, varying};
use crate::sweep::table::Table;

const NAME: &str = "generic plot";

/// What the lock laboratory's rates count, for titles and axes: (name in `rates.NAME`, short
/// name, axis label).
const KNOWN: [(&str, &str, &str); 8] = [
    ("overlap", "overlap rate", "overlaps per acquisition"),
    ("stale_accepted", "stale accesses accepted", "stale accesses storage accepted, per acquisition"),
    ("stale_rejected", "stale accesses refused", "stale accesses storage refused, per acquisition"),
    ("lost_update", "lost updates", "lost updates per accepted write"),
    ("duplicate_effect", "duplicate SMSs", "duplicate SMSs per SMS sent"),
    ("stale_effect", "stale SMSs", "stale SMSs per SMS sent"),
    ("abort", "margin aborts", "margin aborts per acquisition"),
    ("disagreement", "disagreements", "disagreements per decided instance"),
];

/// A rate against the varying setting with the most distinct values (the first in the table's
/// order on a tie), one series per combination of the other varying settings. The rate is the
/// overlap rate unless it is 0 throughout, then the first rate of the table that is not. Settings
/// that are not numbers are placed as categories, in the order the table has them.
pub fn plot(table: &Table) -> Result<Plot, PlotError> {
    let finished = FinishedRuns::read(table)?;
    let all: Vec<&Runs<'_>> = finished.points.iter().collect();
    let varied = varying(table, &all);
    let x =
        varied.iter().rev().max_by_key(|c| distinct(&all, c).len()).ok_or(PlotError::NothingVaries)?.clone();
    let prefix = chosen_rate(table, &all)?;
    let rate = RateColumns::prefix(&prefix);
    let kept: Vec<&Runs<'_>> = all.iter().copied().filter(|p| !p.text(&x).is_empty()).collect();
    let values = distinct(&kept, &x);
    let numeric = values.iter().all(|v| quantity(v).is_some());
    let categories: Option<Vec<String>> = (!numeric).then(|| values.iter().map(|v| v.to_string()).collect());
    let position = |p: &Runs<'_>| -> Option<f64> {
        match &categories {
            Some(names) => names.iter().position(|n| n == p.text(&x)).map(|i| i as f64),
            None => p.number(&x),
        }
    };
    let name = prefix.strip_prefix("rates.").unwrap_or(&prefix);
    let predicted = format!("predicted.{name}_rate");
    let measure = Measure {
        x: &position,
        y: &|p: &Runs<'_>| p.rate(&rate),
        predicted: table.column(&predicted).map(|_| predicted.as_str()),
        tag: None,
    };
    // Categories have no order to draw a line along: their points stand alone, and so does each
    // value of the closed form.
    let kind = if categories.is_some() { Kind::Reference } else { Kind::Measured };
    let series: Vec<Series> = group(&kept, &keys(&[], varying(table, &kept), &[&x]))
        .into_iter()
        .enumerate()
        .flat_map(|(i, (label, members))| {
            let label = if label.is_empty() { "measured".to_string() } else { label };
            measure.series(&label, i, kind, &members)
        })
        .flat_map(|s| match (kind, s.kind) {
            (Kind::Reference, Kind::ClosedForm) => {
                s.points.iter().map(|p| Series { points: vec![p.clone()], ..s.clone() }).collect()
            }
            _ => vec![s],
        })
        .collect();
    let (short, y_label) = match KNOWN.iter().find(|(k, _, _)| *k == name) {
        Some((_, short, axis)) => (short.to_string(), axis.to_string()),
        None => (format!("{name} rate"), format!("{name} (rate)")),
    };
    let unit = if numeric && values.iter().any(|v| v.parse::<f64>().is_err()) { " (ms)" } else { "" };
    let x_name = setting(&x);
    let mut notes = Vec::new();
    if kept.len() < all.len() {
        notes.push(format!("{} grid point(s) without a {x_name} left out.", all.len() - kept.len()));
    }
    let x_axis = match categories {
        Some(names) => PlotAxis { categories: Some(names), ..PlotAxis::linear(x_name.clone()) },
        None => PlotAxis { scale: x_scale(&series), ..PlotAxis::linear(format!("{x_name}{unit}")) },
    };
    let panel = Panel {
        title: None,
        x: x_axis,
        y: PlotAxis::rate(y_label, rate_scale(&series)),
        series,
        markers: Vec::new(),
    };
    let mut chars = short.chars();
    let capital: String = chars.next().into_iter().flat_map(char::to_uppercase).chain(chars).collect();
    Ok(Plot {
        name: format!("{}-vs-{x_name}", short.replace(' ', "-")),
        title: format!("{capital} against {x_name}"),
        panels: vec![panel],
        columns: 1,
        marker_meaning: None,
        notes,
    })
}

/// The rate to plot: `rates.overlap` unless it is 0 throughout, then the first rate (a column
/// `NAME.rate` with `NAME.ci95.lo` and `NAME.ci95.hi`) that is not.
fn chosen_rate(table: &Table, points: &[&Runs<'_>]) -> Result<String, PlotError> {
    let rates: Vec<String> = table
        .header
        .iter()
        .filter_map(|h| h.strip_suffix(".rate"))
        .filter(|p| RateColumns::prefix(p).required().iter().all(|c| table.column(c).is_some()))
        .map(str::to_string)
        .collect();
    let nonzero = |p: &String| points.iter().any(|r| r.number(&format!("{p}.rate")).is_some_and(|v| v > 0.0));
    let overlap = rates.iter().find(|p| *p == "rates.overlap");
    overlap
        .filter(|p| nonzero(p))
        .or_else(|| rates.iter().find(|p| nonzero(p)))
        .or(overlap)
        .or(rates.first())
        .cloned()
        .ok_or_else(|| PlotError::MissingColumn {
            plot: NAME.into(),
            column: "NAME.rate (with NAME.ci95.lo and NAME.ci95.hi)".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(r: f64) -> [String; 3] {
        [r.to_string(), (r * 0.5).to_string(), (r * 1.5 + 0.01).to_string()]
    }

    #[test]
    fn the_setting_with_most_values_goes_on_x_and_a_rate_that_is_not_all_zero_on_y() {
        let header = ["point", "status", "config.drift", "config.margin", "config.seed"];
        let rates = ["rates.overlap", "rates.abort"]
            .map(|p| ["rate", "ci95.lo", "ci95.hi"].map(|s| format!("{p}.{s}")));
        let mut t = Table::new(header.iter().map(|s| s.to_string()).chain(rates.concat()).collect());
        for (i, (drift, margin)) in
            [("0", "1ms"), ("0", "2ms"), ("0", "3ms"), ("0.5", "1ms"), ("0.5", "2ms"), ("0.5", "3ms")]
                .into_iter()
                .enumerate()
        {
            let cells = [i.to_string(), "ok".into(), drift.into(), margin.into(), i.to_string()];
            t.rows.push(cells.into_iter().chain(rate(0.0)).chain(rate(0.1 * i as f64)).collect());
        }
        let plot = plot(&t).unwrap();
        assert_eq!(plot.name, "margin-aborts-vs-margin");
        assert_eq!(plot.title, "Margin aborts against margin");
        let panel = &plot.panels[0];
        assert_eq!(
            (panel.x.label.as_str(), panel.y.label.as_str()),
            ("margin (ms)", "margin aborts per acquisition")
        );
        let labels: Vec<&str> = panel.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["drift 0", "drift 0.5"], "the seed varies but is no setting");
        assert_eq!(panel.series[1].points.iter().map(|p| p.x).collect::<Vec<_>>(), [1.0, 2.0, 3.0]);
    }

    #[test]
    fn a_sweep_that_varies_nothing_has_nothing_to_plot() {
        let mut t = Table::new(
            ["point", "config.lease", "r.rate", "r.ci95.lo", "r.ci95.hi"].map(String::from).to_vec(),
        );
        t.rows.push(["0", "1ms", "0", "0", "0.1"].map(String::from).to_vec());
        assert!(matches!(plot(&t), Err(PlotError::NothingVaries)));
    }
}
