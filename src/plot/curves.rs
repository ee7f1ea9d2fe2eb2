//! From grid points to series: a measured curve with its band, the closed form beside it, and the
//! scales that suit them.

use super::figure::{Kind, Point, Scale, Series};
use super::runs::{Estimate, Runs};
use crate::lock::predict::Fit;

/// Reads a point's horizontal position.
pub type X<'f> = &'f dyn Fn(&Runs<'_>) -> Option<f64>;
/// Reads a point's rate.
pub type Y<'f> = &'f dyn Fn(&Runs<'_>) -> Option<Estimate>;
/// Writes a short text beside a point.
pub type Tag<'f> = &'f dyn Fn(&Runs<'_>) -> Option<String>;

/// How the points of a group become a measured series.
pub struct Measure<'f> {
    /// Horizontal position.
    pub x: X<'f>,
    /// The rate and its interval.
    pub y: Y<'f>,
    /// The column holding the closed form's value of the same rate, if the table has one.
    pub predicted: Option<&'f str>,
    /// A short text beside each point.
    pub tag: Option<Tag<'f>>,
}

impl Measure<'_> {
    /// The measured series of `members`, and its closed form where the table gives one.
    pub fn series(&self, label: &str, color: usize, kind: Kind, members: &[&Runs<'_>]) -> Vec<Series> {
        let mut measured = Vec::new();
        let mut closed = Vec::new();
        for p in members {
            let Some(x) = (self.x)(p) else { continue };
            let predicted = self.predicted.and_then(|c| p.text(c).parse::<f64>().ok());
            if let Some(value) = predicted {
                closed.push(Point::at(x, value));
            }
            if let Some(e) = (self.y)(p) {
                // The sweep judged each run against its closed form (agrees.*, which knows the
                // run's own allowances and assumption); only a table without that judgement is
                // judged here. A point is off if any of its runs is.
                let judged = |verdict: Fit| {
                    let figure = self.predicted?.strip_prefix("predicted.")?;
                    p.any(&format!("agrees.{figure}"), verdict.cell())
                };
                measured.push(Point {
                    x,
                    y: e.rate,
                    band: Some((e.lo, e.hi)),
                    off: judged(Fit::Disagrees).unwrap_or_else(|| predicted.is_some_and(|v| e.off(v))),
                    assumption_fails: judged(Fit::AssumptionFails).unwrap_or(false),
                    unfinished: p.unfinished(),
                    tag: self.tag.and_then(|t| t(p)),
                });
            }
        }
        let mut out = vec![Series { label: label.into(), color, kind, points: measured }];
        if !closed.is_empty() {
            out.push(Series { label: label.into(), color, kind: Kind::ClosedForm, points: closed });
        }
        for s in &mut out {
            s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
        }
        out.retain(|s| !s.points.is_empty());
        out
    }
}

/// A rate axis's scale for `series`: logarithmic when every measured rate is positive and they
/// span two decades or more, so that neither the small rates flatten into the axis nor a 0
/// disappears below it.
pub fn rate_scale(series: &[Series]) -> Scale {
    let measured: Vec<f64> = series
        .iter()
        .filter(|s| s.kind != Kind::ClosedForm)
        .flat_map(|s| s.points.iter().map(|p| p.y))
        .collect();
    spread(&measured, 100.0)
}

/// An x axis's scale: logarithmic when every value is positive and they span a factor of 20.
pub fn x_scale(series: &[Series]) -> Scale {
    let xs: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.x)).collect();
    spread(&xs, 20.0)
}

fn spread(values: &[f64], ratio: f64) -> Scale {
    let positive = !values.is_empty() && values.iter().all(|v| *v > 0.0);
    let (lo, hi) = values.iter().fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if positive && hi / lo >= ratio { Scale::Log } else { Scale::Linear }
}

/// True when some measured point of `series` is 0, which a logarithmic axis cannot show.
pub fn has_zero(series: &[Series]) -> bool {
    series.iter().filter(|s| s.kind != Kind::ClosedForm).flat_map(|s| &s.points).any(|p| p.y <= 0.0)
}

/// True when `series` has a positive rate to place on a logarithmic axis.
pub fn has_positive(series: &[Series]) -> bool {
    series.iter().flat_map(|s| &s.points).any(|p| p.y > 0.0)
}
