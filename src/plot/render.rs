//! Draws a [`Plot`] as SVG with plotters.
//!
//! Text is written as SVG `<text>` elements and laid out with plotters' built-in estimate of text
//! widths, so drawing needs no font files; the viewer picks a sans-serif font. The legend is drawn
//! beside the panels rather than inside them, so it never covers a curve, and it explains every
//! mark the panels use (the band, the dashes, the crosses, points clipped to a log axis's floor).

use super::PlotError;
use super::figure::{Kind, Panel, Plot, PlotAxis, Point, Scale};
use super::ticks;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// One panel's size in pixels.
const PANEL: (u32, u32) = (720, 500);
const TITLE_HEIGHT: u32 = 46;
const NOTE_LINE: u32 = 18;
const FONT: &str = "sans-serif";
/// Roughly the width of a character of the legend's and notes' 13-pixel text.
const CHAR_WIDTH: f64 = 7.0;

/// Distinguishable colours (Tableau 10); a figure with more series repeats them.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const INK: RGBColor = RGBColor(40, 40, 40);

fn color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

fn failed<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// What the legend must explain, learnt while drawing the panels.
#[derive(Default)]
struct Seen {
    band: bool,
    off: bool,
    assumption: bool,
    unfinished: bool,
    floor: bool,
    markers: bool,
}

/// `plot` as an SVG document.
pub fn svg(plot: &Plot) -> Result<String, PlotError> {
    let columns = plot.columns.clamp(1, plot.panels.len().max(1));
    let rows = plot.panels.len().div_ceil(columns).max(1);
    let legend = legend_lines(
        plot,
        &Seen { band: true, off: true, assumption: true, unfinished: true, floor: true, markers: true },
    );
    let legend_width =
        legend.iter().map(|l| l.chars().count()).max().unwrap_or(10) as f64 * CHAR_WIDTH + 70.0;
    let legend_width = legend_width.clamp(220.0, 440.0) as u32;
    let grid = (PANEL.0 * columns as u32, PANEL.1 * rows as u32);
    let width = grid.0 + legend_width;
    let notes: Vec<String> =
        plot.notes.iter().flat_map(|n| wrap(&format!("Note: {n}"), width as f64 - 30.0)).collect();
    let height = TITLE_HEIGHT + grid.1 + NOTE_LINE * notes.len() as u32 + 12;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let (top, rest) = root.split_vertically(TITLE_HEIGHT);
        let title = (FONT, 22).into_font().style(FontStyle::Bold).color(&INK);
        let centred = title.pos(Pos::new(HPos::Center, VPos::Center));
        top.draw_text(&plot.title, &centred, (width as i32 / 2, TITLE_HEIGHT as i32 / 2)).map_err(failed)?;
        let (main, bottom) = rest.split_vertically(grid.1);
        let (panels, side) = main.split_horizontally(grid.0);
        let mut seen = Seen::default();
        for (area, panel) in panels.split_evenly((rows, columns)).iter().zip(&plot.panels) {
            draw_panel(area, panel, &mut seen)?;
        }
        draw_legend(&side, plot, &seen)?;
        let note = (FONT, 13).into_font().color(&INK);
        for (i, line) in notes.iter().enumerate() {
            bottom.draw_text(line, &note, (16, 4 + (i as u32 * NOTE_LINE) as i32)).map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(out)
}

/// A linear coordinate with the ticks chosen by [`ticks`]. plotters' own linear coordinate picks
/// its ticks itself, and its key-point decorator loses the tick formatter.
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, (from, to): (i32, i32)) -> i32 {
        let share = (value - self.lo) / (self.hi - self.lo);
        from + (share * f64::from(to - from)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.ticks.clone() }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// The extent and ticks of `axis` over `positions`.
fn frame(axis: &PlotAxis, positions: &[f64]) -> ((f64, f64), Vec<f64>) {
    if let Some(names) = &axis.categories {
        let n = names.len().max(1) as f64;
        return ((-0.5, n - 0.5), (0..names.len()).map(|i| i as f64).collect());
    }
    let extent = match axis.range {
        Some((lo, hi)) => match (ticks::position(axis.scale, lo), ticks::position(axis.scale, hi)) {
            (Some(lo), Some(hi)) if hi > lo => (lo, hi),
            _ => ticks::extent(axis.scale, positions, axis.anchored),
        },
        None => ticks::extent(axis.scale, positions, axis.anchored),
    };
    (extent, ticks::ticks(axis.scale, extent))
}

/// A tick's text on `axis`.
fn tick_text(axis: &PlotAxis, position: f64) -> String {
    match &axis.categories {
        Some(names) => {
            let i = position.round();
            if (position - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        }
        None => ticks::label(ticks::value(axis.scale, position)),
    }
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &Panel,
    seen: &mut Seen,
) -> Result<(), PlotError> {
    let (x, y) = (&panel.x, &panel.y);
    let xs: Vec<f64> = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.x))
        .chain(panel.markers.iter().map(|m| m.x))
        .filter_map(|v| ticks::position(x.scale, v))
        .collect();
    // A band's lower end may lie decades below every point (a count of 1 in many trials); on a
    // log axis it is cut at a decade below the lowest point rather than stretch the axis to it.
    let lowest = panel.series.iter().flat_map(|s| &s.points).map(|p| p.y).filter(|v| *v > 0.0);
    let cut = match y.scale {
        Scale::Log => lowest.fold(f64::INFINITY, f64::min) / 10.0,
        Scale::Linear => f64::NEG_INFINITY,
    };
    let ys: Vec<f64> = panel
        .series
        .iter()
        .flat_map(|s| &s.points)
        .flat_map(|p| [Some(p.y), p.band.map(|b| b.0).filter(|lo| *lo >= cut), p.band.map(|b| b.1)])
        .flatten()
        .filter_map(|v| ticks::position(y.scale, v))
        .collect();
    let ((x0, x1), xt) = frame(x, &xs);
    let ((y0, y1), yt) = frame(y, &ys);
    let mut builder = ChartBuilder::on(area);
    builder.margin(14).margin_right(26).x_label_area_size(52).y_label_area_size(78);
    if let Some(title) = &panel.title {
        builder.caption(title, (FONT, 17).into_font().color(&INK));
    }
    let (xr, yr) = (Ticked { lo: x0, hi: x1, ticks: xt }, Ticked { lo: y0, hi: y1, ticks: yt });
    let mut chart = builder.build_cartesian_2d(xr, yr).map_err(failed)?;
    let (x_text, y_text) = (|v: &f64| tick_text(x, *v), |v: &f64| tick_text(y, *v));
    chart
        .configure_mesh()
        .x_desc(x.label.as_str())
        .y_desc(y.label.as_str())
        .x_label_formatter(&x_text)
        .y_label_formatter(&y_text)
        .bold_line_style(RGBColor(228, 228, 228))
        .light_line_style(TRANSPARENT)
        .axis_desc_style((FONT, 15).into_font().color(&INK))
        .label_style((FONT, 13).into_font().color(&INK))
        .draw()
        .map_err(failed)?;
    // A value with no place on the axis (0 on a log scale) sits on its floor, marked hollow.
    let place = |p: &Point| -> Option<((f64, f64), bool)> {
        let px = ticks::position(x.scale, p.x)?;
        match ticks::position(y.scale, p.y) {
            Some(py) => Some(((px, py.clamp(y0, y1)), false)),
            None if p.y.is_finite() => Some(((px, y0), true)),
            None => None,
        }
    };
    let clamp_y = |v: f64| ticks::position(y.scale, v).map_or(y0, |p| p.clamp(y0, y1));
    for s in &panel.series {
        let c = color(s.color);
        let banded: Vec<(f64, (f64, f64))> = s
            .points
            .iter()
            .filter_map(|p| Some((ticks::position(x.scale, p.x)?, p.band?)))
            .map(|(px, (lo, hi))| (px, (clamp_y(lo), clamp_y(hi))))
            .collect();
        seen.band |= !banded.is_empty();
        match s.kind {
            Kind::Measured if banded.len() > 1 => {
                let outline: Vec<(f64, f64)> = banded
                    .iter()
                    .map(|(px, (_, hi))| (*px, *hi))
                    .chain(banded.iter().rev().map(|(px, (lo, _))| (*px, *lo)))
                    .collect();
                chart.draw_series([Polygon::new(outline, c.mix(0.18).filled())]).map_err(failed)?;
            }
            Kind::Measured | Kind::Reference => {
                chart
                    .draw_series(banded.iter().map(|(px, (lo, hi))| {
                        PathElement::new(vec![(*px, *lo), (*px, *hi)], c.stroke_width(2))
                    }))
                    .map_err(failed)?;
            }
            Kind::ClosedForm => {}
        }
        // Lines join neighbours that both have a place; a point on the floor breaks the line.
        let runs = s.points.iter().map(|p| place(p).filter(|(_, floor)| !floor).map(|(at, _)| at)).fold(
            vec![Vec::new()],
            |mut runs: Vec<Vec<(f64, f64)>>, at| {
                match at {
                    Some(at) => runs.last_mut().expect("starts with one run").push(at),
                    None => runs.push(Vec::new()),
                }
                runs
            },
        );
        for run in runs {
            match (s.kind, run.len()) {
                (_, 0) | (Kind::Reference, _) => {}
                // A lone value of a closed form is a short dash across its point.
                (Kind::ClosedForm, 1) => {
                    let dash = EmptyElement::at(run[0])
                        + PathElement::new(vec![(-14, 0), (-5, 0)], c.stroke_width(2))
                        + PathElement::new(vec![(5, 0), (14, 0)], c.stroke_width(2));
                    chart.draw_series([dash]).map_err(failed)?;
                }
                (Kind::ClosedForm, _) => {
                    chart.draw_series(DashedLineSeries::new(run, 9, 6, c.stroke_width(2))).map_err(failed)?;
                }
                (Kind::Measured, 1) => {}
                (Kind::Measured, _) => {
                    chart.draw_series(LineSeries::new(run, c.stroke_width(2))).map_err(failed)?;
                }
            }
        }
        if s.kind == Kind::ClosedForm {
            continue;
        }
        for p in &s.points {
            let Some((at, floor)) = place(p) else { continue };
            seen.floor |= floor;
            seen.off |= p.off;
            seen.assumption |= p.assumption_fails && !p.off;
            seen.unfinished |= p.unfinished;
            let style = if floor { c.stroke_width(2) } else { c.filled() };
            let mark = EmptyElement::at(at);
            match (s.kind, p.off, p.assumption_fails) {
                (Kind::Reference, _, _) => {
                    chart.draw_series([mark + Rectangle::new([(-5, -5), (5, 5)], style)]).map_err(failed)?;
                }
                (_, true, _) => {
                    chart.draw_series([mark + Cross::new((0, 0), 6, c.stroke_width(3))]).map_err(failed)?;
                }
                (_, false, true) => {
                    chart.draw_series([mark + TriangleMarker::new((0, 0), 7, style)]).map_err(failed)?;
                }
                (_, false, false) => {
                    chart.draw_series([mark + Circle::new((0, 0), 4, style)]).map_err(failed)?;
                }
            }
            if p.unfinished {
                let ring = EmptyElement::at(at) + Circle::new((0, 0), 9, c.stroke_width(2));
                chart.draw_series([ring]).map_err(failed)?;
            }
            if let Some(tag) = &p.tag {
                let font = (FONT, 12).into_font().color(&c);
                chart
                    .draw_series([EmptyElement::at(at) + Text::new(tag.clone(), (7, -16), font)])
                    .map_err(failed)?;
            }
        }
    }
    for (i, m) in panel.markers.iter().enumerate() {
        let Some(px) = ticks::position(x.scale, m.x) else { continue };
        seen.markers = true;
        let c = color(m.color);
        chart
            .draw_series(DashedLineSeries::new([(px, y0), (px, y1)], 3, 4, c.stroke_width(2)))
            .map_err(failed)?;
        let font = (FONT, 12).into_font().color(&c);
        let label = Text::new(m.label.clone(), (5, 6 + 16 * i as i32), font);
        chart.draw_series([EmptyElement::at((px, y1)) + label]).map_err(failed)?;
    }
    Ok(())
}

/// The legend's lines of text: one per series, then what each kind of mark means.
fn legend_lines(plot: &Plot, seen: &Seen) -> Vec<String> {
    let mut lines: Vec<String> = plot.legend().iter().map(|(label, _, _)| label.to_string()).collect();
    lines.extend(style_entries(plot, seen).into_iter().map(|(_, text)| text));
    lines
}

/// A mark the legend explains.
#[derive(Clone, Copy)]
enum Swatch {
    Band,
    Dashed,
    Cross,
    Triangle,
    Ring,
    Floor,
    Marker,
}

fn style_entries(plot: &Plot, seen: &Seen) -> Vec<(Swatch, String)> {
    let mut out = Vec::new();
    if seen.band {
        out.push((Swatch::Band, "shaded or whisker: 95% Wilson interval".to_string()));
    }
    if plot.has(Kind::ClosedForm) {
        out.push((Swatch::Dashed, "dashed: closed form (docs/model.md §4)".to_string()));
    }
    if seen.off {
        out.push((Swatch::Cross, "cross: more than 4 standard errors off the closed form".to_string()));
    }
    if seen.assumption {
        out.push((
            Swatch::Triangle,
            "triangle: off the closed form where its assumption failed (leases expired with nobody waiting)"
                .to_string(),
        ));
    }
    if seen.unfinished {
        out.push((
            Swatch::Ring,
            "ringed: a run cut short (horizon, quiescence or event budget) before its work was done"
                .to_string(),
        ));
    }
    if seen.floor {
        out.push((Swatch::Floor, "hollow, on the bottom edge: measured 0 (a log axis has no 0)".to_string()));
    }
    if seen.markers {
        let meaning = plot.marker_meaning.clone().unwrap_or_else(|| "dotted vertical line: marker".into());
        out.push((Swatch::Marker, meaning));
    }
    out
}

fn draw_legend(area: &DrawingArea<SVGBackend<'_>, Shift>, plot: &Plot, seen: &Seen) -> Result<(), PlotError> {
    let width = area.dim_in_pixel().0 as f64;
    let text = (FONT, 13).into_font().color(&INK);
    let left = text.pos(Pos::new(HPos::Left, VPos::Center));
    let mut y = 40;
    let heading = (FONT, 14).into_font().style(FontStyle::Bold).color(&INK);
    area.draw_text("Legend", &heading, (10, y - 24)).map_err(failed)?;
    for (label, index, kind) in plot.legend() {
        let c = color(index);
        match kind {
            Kind::Reference => {
                area.draw(&Rectangle::new([(19, y - 5), (29, y + 5)], c.filled())).map_err(failed)?;
            }
            _ => {
                area.draw(&PathElement::new(vec![(8, y), (40, y)], c.stroke_width(2))).map_err(failed)?;
                area.draw(&Circle::new((24, y), 4, c.filled())).map_err(failed)?;
            }
        }
        let lines = wrap(label, width - 60.0);
        for (i, line) in lines.iter().enumerate() {
            area.draw_text(line, &left, (48, y + 16 * i as i32)).map_err(failed)?;
        }
        y += 16 * (lines.len() as i32 - 1) + 24;
    }
    y += 8;
    let grey = RGBColor(90, 90, 90);
    for (swatch, meaning) in style_entries(plot, seen) {
        match swatch {
            Swatch::Band => {
                area.draw(&Rectangle::new([(8, y - 7), (40, y + 7)], grey.mix(0.25).filled()))
                    .map_err(failed)?;
            }
            Swatch::Dashed => {
                area.draw(&DashedPathElement::new([(8, y), (40, y)], 7, 5, grey.stroke_width(2)))
                    .map_err(failed)?;
            }
            Swatch::Cross => {
                area.draw(&Cross::new((24, y), 6, grey.stroke_width(3))).map_err(failed)?;
            }
            Swatch::Triangle => {
                area.draw(&TriangleMarker::new((24, y), 7, grey.filled())).map_err(failed)?;
            }
            Swatch::Ring => {
                area.draw(&Circle::new((24, y), 4, grey.filled())).map_err(failed)?;
                area.draw(&Circle::new((24, y), 9, grey.stroke_width(2))).map_err(failed)?;
            }
            Swatch::Floor => {
                area.draw(&Circle::new((24, y), 4, grey.stroke_width(2))).map_err(failed)?;
            }
            Swatch::Marker => {
                area.draw(&DashedPathElement::new([(24, y - 9), (24, y + 9)], 3, 4, grey.stroke_width(2)))
                    .map_err(failed)?;
            }
        }
        let lines = wrap(&meaning, width - 60.0);
        for (i, line) in lines.iter().enumerate() {
            area.draw_text(line, &left, (48, y + 16 * i as i32)).map_err(failed)?;
        }
        y += 16 * lines.len() as i32 + 14;
    }
    Ok(())
}

/// `text` in lines of at most `width` pixels, broken at spaces.
fn wrap(text: &str, width: f64) -> Vec<String> {
    let most = ((width / CHAR_WIDTH) as usize).max(12);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > most {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_at_spaces_and_keeps_every_word() {
        let text = "the quick brown fox jumps over the lazy dog again and again";
        let lines = wrap(text, 20.0 * CHAR_WIDTH);
        assert!(lines.len() > 2 && lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text);
    }
}
