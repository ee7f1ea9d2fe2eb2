//! A sweep's table read for plotting: finished runs pooled by grid point, rates re-estimated from
//! the pooled counts, configuration columns sorted into those that vary and those that do not.
//!
//! Repetitions of a point are one experiment split into parts, so their counts are added and the
//! Wilson interval is taken of the sum: averaging per-run rates would weigh a short run like a
//! long one and give no interval.

use super::PlotError;
use crate::check::stats::{tolerance, wilson};
use crate::sweep::is_unfinished;
use crate::sweep::table::{POINT, Table};
use crate::time::{MS, parse_duration};
use std::collections::{HashMap, HashSet};

/// The configuration columns' prefix.
pub const CONFIG: &str = "config.";
/// The seed differs between repetitions by design, so it never counts as a varying setting.
const SEED: &str = "config.seed";

/// Where a rate lives in a table. A lock sweep writes `PREFIX.count`, `.of`, `.rate`,
/// `.ci95.lo` and `.ci95.hi`; a table with only the rate and interval columns is read as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateColumns {
    /// The estimate.
    pub rate: String,
    /// Lower end of its 95% interval.
    pub lo: String,
    /// Upper end of its 95% interval.
    pub hi: String,
    /// Events counted, to pool repetitions by; optional.
    pub count: Option<String>,
    /// Trials, to pool repetitions by; optional.
    pub of: Option<String>,
}

impl RateColumns {
    /// The columns a sweep writes for the rate at `prefix` (e.g. `rates.overlap`).
    pub fn prefix(prefix: &str) -> RateColumns {
        RateColumns {
            rate: format!("{prefix}.rate"),
            lo: format!("{prefix}.ci95.lo"),
            hi: format!("{prefix}.ci95.hi"),
            count: Some(format!("{prefix}.count")),
            of: Some(format!("{prefix}.of")),
        }
    }

    /// The columns a plot cannot do without.
    pub fn required(&self) -> [&str; 3] {
        [&self.rate, &self.lo, &self.hi]
    }
}

/// A rate with its 95% interval and the trials behind it (0 when the table does not say).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub rate: f64,
    /// Lower end of the 95% interval.
    pub lo: f64,
    /// Upper end of the 95% interval.
    pub hi: f64,
    /// Trials behind it; 0 when unknown.
    pub trials: u64,
}

impl Estimate {
    /// From `count` of `of`.
    pub fn counted(count: u64, of: u64) -> Estimate {
        let [lo, hi] = wilson(count, of);
        Estimate { rate: if of == 0 { 0.0 } else { count as f64 / of as f64 }, lo, hi, trials: of }
    }

    /// True when the estimate lies further from `predicted` than docs/model.md §4.4 allows;
    /// false when the trials are unknown.
    pub fn off(&self, predicted: f64) -> bool {
        self.trials > 0 && (self.rate - predicted).abs() > tolerance(predicted, self.trials)
    }
}

/// The finished runs of one grid point.
#[derive(Debug, Clone)]
pub struct Runs<'t> {
    table: &'t Table,
    rows: Vec<&'t [String]>,
}

impl<'t> Runs<'t> {
    /// True when the point's rates were made by the rare-event estimator (`estimator` = `rare`).
    pub fn estimated(&self) -> bool {
        self.any("estimator", "rare").unwrap_or(false)
    }

    /// True when `column` reads `text` in any run of the point; `None` when the table has no
    /// such column.
    pub fn any(&self, column: &str, text: &str) -> Option<bool> {
        let i = self.table.column(column)?;
        Some(self.rows.iter().any(|r| r[i] == text))
    }

    /// True when some run of the point was cut short before its work was done (its `reason`
    /// says so).
    pub fn unfinished(&self) -> bool {
        self.table.column("reason").is_some_and(|i| self.rows.iter().any(|r| is_unfinished(&r[i])))
    }

    /// The text of `column` (the same in every run of the point, the seed aside); empty when the
    /// table has no such column.
    pub fn text(&self, column: &str) -> &'t str {
        self.table.column(column).map_or("", |i| self.rows[0][i].as_str())
    }

    /// `column` as a number: durations in milliseconds, other numbers as they are.
    pub fn number(&self, column: &str) -> Option<f64> {
        quantity(self.text(column))
    }

    fn numbers<'a>(&'a self, column: &str) -> impl Iterator<Item = Option<f64>> + 'a {
        let i = self.table.column(column);
        self.rows.iter().map(move |r| i.and_then(|i| r[i].parse::<f64>().ok()))
    }

    /// The pooled rate of `columns` over the point's runs; `None` when a cell is missing.
    pub fn rate(&self, columns: &RateColumns) -> Option<Estimate> {
        // A rare-event estimate is a weighted count: its count column is the run's own, made
        // under the estimator's proposal, and pooling it would undo the weights.
        let weighted = self.estimated();
        if let (Some(count), Some(of), false) = (&columns.count, &columns.of, weighted) {
            let sum = |c: &str| -> Option<u64> { self.numbers(c).map(|v| v.map(|x| x as u64)).sum() };
            if let (Some(count), Some(of)) = (sum(count), sum(of)) {
                return Some(Estimate::counted(count, of));
            }
        }
        // Without counts the runs cannot be pooled exactly: their estimates are averaged.
        let mean = |c: &str| -> Option<f64> {
            let values: Option<Vec<f64>> = self.numbers(c).collect();
            values.map(|v| v.iter().sum::<f64>() / v.len() as f64)
        };
        Some(Estimate {
            rate: mean(&columns.rate)?,
            lo: mean(&columns.lo)?,
            hi: mean(&columns.hi)?,
            trials: 0,
        })
    }

    /// The pooled rate of `count` events over `of` trials, each a column of counts.
    pub fn ratio(&self, count: &[&str], of: &str) -> Option<Estimate> {
        let sum = |c: &str| -> Option<f64> { self.numbers(c).sum() };
        let events: Option<f64> = count.iter().map(|c| sum(c)).sum();
        Some(Estimate::counted(events? as u64, sum(of)? as u64))
    }

    /// The mean of `column` over the runs, each weighted by its `weight` column.
    pub fn weighted_mean(&self, column: &str, weight: &str) -> Option<f64> {
        let pairs: Option<Vec<(f64, f64)>> =
            self.numbers(column).zip(self.numbers(weight)).map(|(v, w)| Some((v?, w?))).collect();
        let pairs = pairs?;
        let total: f64 = pairs.iter().map(|(_, w)| w).sum();
        if total == 0.0 {
            return Some(pairs.iter().map(|(v, _)| v).sum::<f64>() / pairs.len() as f64);
        }
        Some(pairs.iter().map(|(v, w)| v * w).sum::<f64>() / total)
    }
}

/// A cell as a number: a duration in milliseconds, or a plain number.
pub fn quantity(text: &str) -> Option<f64> {
    if let Ok(x) = text.parse::<f64>() {
        return x.is_finite().then_some(x);
    }
    parse_duration(text).ok().map(|ns| ns as f64 / MS as f64)
}

/// The finished runs of a table, by grid point.
#[derive(Debug)]
pub struct FinishedRuns<'t> {
    /// The table.
    pub table: &'t Table,
    /// Its grid points, in the table's order.
    pub points: Vec<Runs<'t>>,
}

impl<'t> FinishedRuns<'t> {
    /// The finished runs of `table`: rows whose `status` is `ok` (every row, if there is no such
    /// column), grouped by their `point` (each row alone, if there is none).
    pub fn read(table: &'t Table) -> Result<FinishedRuns<'t>, PlotError> {
        let status = table.column("status");
        let point = table.column(POINT);
        let mut points: Vec<Runs<'t>> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for row in &table.rows {
            if status.is_some_and(|i| row[i] != "ok") {
                continue;
            }
            match point.map(|i| row[i].as_str()).and_then(|key| index.get(key).map(|&n| (key, n))) {
                Some((_, n)) => points[n].rows.push(row),
                None => {
                    if let Some(i) = point {
                        index.insert(&row[i], points.len());
                    }
                    points.push(Runs { table, rows: vec![row] });
                }
            }
        }
        if points.is_empty() {
            return Err(PlotError::NoRuns);
        }
        Ok(FinishedRuns { table, points })
    }

    /// Fails with the first of `columns` the table lacks.
    pub fn require(&self, plot: &str, columns: &[&str]) -> Result<(), PlotError> {
        match columns.iter().find(|c| self.table.column(c).is_none()) {
            Some(c) => Err(PlotError::MissingColumn { plot: plot.into(), column: c.to_string() }),
            None => Ok(()),
        }
    }
}

/// The distinct texts of `column` among `points`, in order of appearance.
pub fn distinct<'t>(points: &[&Runs<'t>], column: &str) -> Vec<&'t str> {
    let mut seen: HashSet<&str> = HashSet::new();
    points.iter().map(|p| p.text(column)).filter(|t| seen.insert(t)).collect()
}

/// The configuration columns that take more than one value among `points`, in header order.
pub fn varying(table: &Table, points: &[&Runs<'_>]) -> Vec<String> {
    table
        .header
        .iter()
        .filter(|h| h.starts_with(CONFIG) && *h != SEED)
        .filter(|h| distinct(points, h).len() > 1)
        .cloned()
        .collect()
}

/// Fails unless `column` takes at least two non-empty values among `points`.
pub fn must_vary(plot: &str, points: &[&Runs<'_>], column: &str) -> Result<(), PlotError> {
    let values = distinct(points, column).into_iter().filter(|v| !v.is_empty()).count();
    if values < 2 {
        return Err(PlotError::NotVarying { plot: plot.into(), column: column.into(), values });
    }
    Ok(())
}

/// A column's name as a reader knows it, the flag's: `config.lock_delay` is `lock-delay`.
pub fn setting(column: &str) -> String {
    column.strip_prefix(CONFIG).unwrap_or(column).replace(['_', '.'], "-")
}

/// Points sharing the values of `keys`, in order of appearance, each group with its label
/// (`pause exp:5ms, clients 16`; a variant by its name alone).
pub fn group<'a, 't>(points: &[&'a Runs<'t>], keys: &[String]) -> Vec<(String, Vec<&'a Runs<'t>>)> {
    let mut groups: Vec<(Vec<&str>, Vec<&'a Runs<'t>>)> = Vec::new();
    for &p in points {
        let values: Vec<&str> = keys.iter().map(|k| p.text(k)).collect();
        match groups.iter_mut().find(|(v, _)| *v == values) {
            Some((_, members)) => members.push(p),
            None => groups.push((values, vec![p])),
        }
    }
    groups
        .into_iter()
        .map(|(values, members)| {
            let parts: Vec<String> = keys
                .iter()
                .zip(values)
                .map(|(k, v)| match (k.as_str(), v) {
                    ("config.variant", v) => v.to_string(),
                    (k, "") => format!("no {}", setting(k)),
                    (k, v) => format!("{} {v}", setting(k)),
                })
                .collect();
            (parts.join(", "), members)
        })
        .collect()
}

/// The columns that split points into series: `first` (always, so that every label names them),
/// then the other columns of `varying`, less `except`.
pub fn keys(first: &[&str], varying: Vec<String>, except: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = first.iter().map(|s| s.to_string()).collect();
    out.extend(varying.into_iter().filter(|c| !first.contains(&c.as_str()) && !except.contains(&c.as_str())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[[&str; 7]]) -> Table {
        let header = ["point", "repetition", "status", "config.lease", "config.seed", "r.count", "r.of"];
        let mut t = Table::new(header.map(String::from).to_vec());
        let extra = ["r.rate", "r.ci95.lo", "r.ci95.hi"];
        t.header.extend(extra.map(String::from));
        for r in rows {
            let mut row: Vec<String> = r.map(String::from).to_vec();
            row.extend(["0.5", "0.1", "0.9"].map(String::from));
            t.rows.push(row);
        }
        t
    }

    #[test]
    fn repetitions_pool_their_counts_and_skipped_rows_are_left_out() {
        let t = table(&[
            ["0", "0", "ok", "10ms", "1", "1", "100"],
            ["0", "1", "ok", "10ms", "2", "3", "100"],
            ["1", "0", "skipped", "", "", "", ""],
            ["2", "0", "ok", "20ms", "3", "0", "50"],
        ]);
        let finished = FinishedRuns::read(&t).unwrap();
        assert_eq!(finished.points.len(), 2);
        let r = finished.points[0].rate(&RateColumns::prefix("r")).unwrap();
        assert_eq!((r.rate, r.trials), (4.0 / 200.0, 200));
        assert!(r.lo > 0.0 && r.lo < r.rate && r.hi > r.rate);
        let zero = finished.points[1].rate(&RateColumns::prefix("r")).unwrap();
        assert_eq!((zero.rate, zero.lo), (0.0, 0.0));
        assert!(zero.hi > 0.0, "a zero count still bounds the rate");
        let all: Vec<&Runs> = finished.points.iter().collect();
        assert_eq!(varying(&t, &all), ["config.lease"], "the seed never counts as a setting");
        assert_eq!(finished.points[1].number("config.lease"), Some(20.0));
    }

    #[test]
    fn without_counts_the_cells_are_read_as_they_are() {
        let t = table(&[["0", "0", "ok", "10ms", "1", "", ""]]);
        let finished = FinishedRuns::read(&t).unwrap();
        let r = finished.points[0].rate(&RateColumns::prefix("r")).unwrap();
        assert_eq!((r.rate, r.lo, r.hi, r.trials), (0.5, 0.1, 0.9, 0));
        assert!(!r.off(0.0), "unknown trials cannot disagree");
    }

    #[test]
    fn a_table_of_skipped_rows_has_no_runs() {
        let t = table(&[["0", "0", "skipped", "", "", "", ""]]);
        assert!(matches!(FinishedRuns::read(&t), Err(PlotError::NoRuns)));
    }

    #[test]
    fn groups_are_labelled_by_their_settings() {
        assert_eq!(setting("config.lock_delay"), "lock-delay");
        let mut t = Table::new(["point", "config.variant", "config.pause"].map(String::from).to_vec());
        t.rows = vec![
            ["0", "lease", "exp:5ms"].map(String::from).to_vec(),
            ["1", "fenced", ""].map(String::from).to_vec(),
            ["2", "lease", "exp:5ms"].map(String::from).to_vec(),
        ];
        let finished = FinishedRuns::read(&t).unwrap();
        let all: Vec<&Runs> = finished.points.iter().collect();
        let groups = group(
            &all,
            &keys(&["config.variant"], vec!["config.pause".into(), "config.x".into()], &["config.x"]),
        );
        let labels: Vec<&str> = groups.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["lease, pause exp:5ms", "fenced, no pause"]);
        assert_eq!(groups[0].1.len(), 2);
    }
}
