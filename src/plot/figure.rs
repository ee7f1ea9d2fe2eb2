//! What a plot shows, apart from how it is drawn: panels of series over two axes, with the
//! legend and notes a reader needs. Building a [`Plot`] decides everything about a figure but
//! its pixels, so the decisions can be tested without parsing SVG.

/// A figure: a title, one or more panels sharing one legend, and notes under them.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// File stem, e.g. `overlap-vs-lease`.
    pub name: String,
    /// The headline above the panels.
    pub title: String,
    /// The panels, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    /// What the legend says vertical markers mean, when a panel has any.
    pub marker_meaning: Option<String>,
    /// Sentences printed under the panels: what was left out, and why.
    pub notes: Vec<String>,
}

/// One pair of axes and what is drawn on them.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Shown above the panel when the figure has several.
    pub title: Option<String>,
    /// Horizontal axis.
    pub x: PlotAxis,
    /// Vertical axis.
    pub y: PlotAxis,
    /// Curves and points, drawn in order.
    pub series: Vec<Series>,
    /// Vertical lines at notable x values.
    pub markers: Vec<Marker>,
}

/// A drawn axis (not a sweep's axis, which is a swept flag): its label (with the unit) and how
/// values map onto it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotAxis {
    /// E.g. `lease L (ms)`.
    pub label: String,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// A rate's axis: a linear one starts at 0 (a rate of 0 is often the point of the figure), a
    /// logarithmic one spans whole decades.
    pub anchored: bool,
    /// Names of the positions 0, 1, 2, ... when the values are categories, not numbers.
    pub categories: Option<Vec<String>>,
    /// A fixed extent, to make panels comparable; otherwise the data's.
    pub range: Option<(f64, f64)>,
}

impl PlotAxis {
    /// A linear axis.
    pub fn linear(label: impl Into<String>) -> PlotAxis {
        PlotAxis { label: label.into(), scale: Scale::Linear, anchored: false, categories: None, range: None }
    }

    /// A rate's axis: linear from 0, or logarithmic over whole decades.
    pub fn rate(label: impl Into<String>, scale: Scale) -> PlotAxis {
        PlotAxis { scale, anchored: true, ..PlotAxis::linear(label) }
    }

    /// A logarithmic axis.
    pub fn log(label: impl Into<String>) -> PlotAxis {
        PlotAxis { scale: Scale::Log, ..PlotAxis::linear(label) }
    }
}

/// How values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Equal differences, equal distances.
    Linear,
    /// Equal ratios, equal distances; values at or below 0 cannot be placed.
    Log,
}

/// A set of points that belong together.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend's text. A closed form repeats the label of the measurement it belongs to and
    /// takes no legend entry of its own: its colour and dashes say what it is.
    pub label: String,
    /// Index into the palette; a closed form shares its measurement's.
    pub color: usize,
    /// How the points are drawn.
    pub kind: Kind,
    /// In increasing x.
    pub points: Vec<Point>,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A measured curve: circles joined by a line, over its shaded 95% band.
    Measured,
    /// A closed form: a dashed line, no markers.
    ClosedForm,
    /// Isolated reference points: squares with whiskers for their band, not joined.
    Reference,
    /// An estimate that is not a count (an importance-sampling estimator's, of a rate too small
    /// to count): circles joined by a line, with capped error bars for the interval it gives.
    Estimated,
}

/// One point of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Horizontal position, in the axis's unit.
    pub x: f64,
    /// Vertical position, in the axis's unit.
    pub y: f64,
    /// The interval `[lo, hi]` around `y`, if measured: the 95% Wilson interval of a count, or
    /// any interval an estimator gives. A `y` of 0 with an interval is drawn on a logarithmic
    /// axis as an upper bound at `hi`.
    pub band: Option<(f64, f64)>,
    /// The data contradict the closed form: the measurement is further from it than the
    /// allowances of docs/model.md §4.4.
    pub off: bool,
    /// The measurement is off its closed form where the form's assumption did not hold: leases
    /// expired with nobody waiting, enough of them to explain the gap (docs/model.md §4.5).
    pub assumption_fails: bool,
    /// Some run of the point was cut short before its work was done (by its horizon, quiescence
    /// or event budget): the figure shows what it did until then.
    pub unfinished: bool,
    /// A short text beside the point, e.g. the lease it was measured at.
    pub tag: Option<String>,
}

impl Point {
    /// A point without band, flags or tag.
    pub fn at(x: f64, y: f64) -> Point {
        Point { x, y, band: None, off: false, assumption_fails: false, unfinished: false, tag: None }
    }
}

/// A vertical line across a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Where, in the x axis's unit.
    pub x: f64,
    /// Index into the palette: the series it belongs to.
    pub color: usize,
    /// Printed beside the line.
    pub label: String,
}

impl Panel {
    /// The values the y axis must show, whatever the number of series: each measured value, the
    /// upper end of each interval, and the closed forms' values above the lowest of those. On a
    /// logarithmic axis also one tenth of the lowest positive value or upper bound (the axis ends
    /// a decade below what was measured), and neither a 0 nor a closed form below that: a closed
    /// form may run on for decades past the measurement, and the axis follows the measurement,
    /// clipping the closed form. An interval's lower end is not shown below the axis either: a
    /// count of 1 in many trials reaches far below its rate.
    pub fn y_values(&self) -> Vec<f64> {
        let measured: Vec<&Point> =
            self.series.iter().filter(|s| s.kind != Kind::ClosedForm).flat_map(|s| &s.points).collect();
        let closed = self.series.iter().filter(|s| s.kind == Kind::ClosedForm).flat_map(|s| &s.points);
        let mut values: Vec<f64> = measured
            .iter()
            .flat_map(|p| [Some(p.y), p.band.map(|(_, hi)| hi)])
            .flatten()
            .filter(|v| v.is_finite())
            .collect();
        match self.y.scale {
            Scale::Linear => {
                values.extend(measured.iter().filter_map(|p| p.band.map(|(lo, _)| lo)));
                values.extend(closed.map(|p| p.y));
            }
            Scale::Log => {
                let lowest = values.iter().copied().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
                if lowest.is_finite() {
                    let floor = lowest / 10.0;
                    values.push(floor);
                    values.extend(
                        measured.iter().filter_map(|p| p.band.map(|(lo, _)| lo)).filter(|lo| *lo >= floor),
                    );
                    values.extend(closed.map(|p| p.y).filter(|v| *v >= floor));
                } else {
                    // Nothing measured above 0 and no bound: the closed form alone sets the axis.
                    values.extend(closed.map(|p| p.y));
                }
                values.retain(|v| *v > 0.0);
            }
        }
        values
    }
}

impl Plot {
    /// The legend's entries for series, in order of first appearance, each label once.
    pub fn legend(&self) -> Vec<(&str, usize, Kind)> {
        let mut out: Vec<(&str, usize, Kind)> = Vec::new();
        for s in self.panels.iter().flat_map(|p| &p.series) {
            if s.kind != Kind::ClosedForm && !out.iter().any(|(l, _, k)| *l == s.label && *k == s.kind) {
                out.push((&s.label, s.color, s.kind));
            }
        }
        out
    }

    /// True when some panel draws `kind`.
    pub fn has(&self, kind: Kind) -> bool {
        self.panels.iter().flat_map(|p| &p.series).any(|s| s.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(kind: Kind, points: Vec<Point>) -> Series {
        Series { label: "s".into(), color: 0, kind, points }
    }

    fn with_band(x: f64, y: f64, band: (f64, f64)) -> Point {
        Point { band: Some(band), ..Point::at(x, y) }
    }

    #[test]
    fn a_log_rate_axis_ends_a_decade_below_the_measurement_and_clips_the_closed_form() {
        let measured = series(
            Kind::Measured,
            vec![
                with_band(1.0, 0.5, (0.4, 0.6)),
                with_band(2.0, 2e-4, (1e-6, 3e-4)),
                with_band(3.0, 0.0, (0.0, 1e-5)),
            ],
        );
        let closed = series(
            Kind::ClosedForm,
            [0.4, 1e-4, 1e-12].iter().zip(1..).map(|(y, x)| Point::at(f64::from(x), *y)).collect(),
        );
        let panel = Panel {
            title: None,
            x: PlotAxis::linear("x"),
            y: PlotAxis::rate("rate", Scale::Log),
            series: vec![measured.clone(), closed],
            markers: Vec::new(),
        };
        let values = panel.y_values();
        let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
        assert!((lowest / 1e-6 - 1.0).abs() < 1e-9, "a tenth of the 0's upper bound 1e-5: {values:?}");
        assert!(values.contains(&1e-5) && values.contains(&1e-4), "{values:?}");
        assert!(
            !values.contains(&1e-12) && !values.contains(&0.0),
            "the closed form past the floor is clipped"
        );
        // Any number of series, each point with its own interval, widens the axis alike.
        let more: Vec<Series> = (0..5)
            .map(|i| series(Kind::Measured, vec![with_band(1.0, 10f64.powi(-i), (10f64.powi(-i - 1), 0.9))]))
            .collect();
        let panel = Panel { series: more, ..panel };
        let lowest = panel.y_values().iter().copied().fold(f64::INFINITY, f64::min);
        assert!((lowest / 1e-5 - 1.0).abs() < 1e-9, "{lowest}");
    }
}
