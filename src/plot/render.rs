//! Draws a [`Plot`] as SVG with plotters.
//!
//! Text is written as SVG `<text>` elements and laid out with plotters' built-in estimate of text
//! widths, so drawing needs no font files; the viewer picks a sans-serif font. The legend is drawn
//! beside the panels rather than inside them, so it never covers a curve, and it explains every
//! mark the panels use (the band, the dashes, the crosses, a 0 drawn as an upper bound).
//!
//! A figure is at most 1,200 pixels wide, whatever its number of panels, so that its text
//! reads when the figure is shown a thousand pixels wide; point labels are placed by
//! [`super::labels`], which leaves out those that would overprint another.

use super::PlotError;
use super::figure::{Kind, Panel, Plot, PlotAxis, Point, Scale};
use super::labels::{self, Rect, Wanted};
use super::ticks;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// A panel's size in pixels, when the figure has room for it.
const PANEL: (u32, u32) = (720, 500);
/// The widest figure: viewed 1,000 pixels wide, its smallest text still reads at 11 pixels or so.
/// A figure of many panels is laid out in more rows rather than made wider.
const MAX_WIDTH: u32 = 1200;
/// The narrowest panel, below which its ticks and labels would crowd.
const MIN_PANEL_WIDTH: u32 = 440;
const TITLE_HEIGHT: u32 = 46;
/// The title's size, and the smallest it shrinks to when long; roughly the width of one of its
/// bold characters per pixel of size.
const TITLE: (u32, u32) = (22, 16);
const TITLE_CHAR_SHARE: f64 = 0.56;
const NOTE_LINE: u32 = 18;
const FONT: &str = "sans-serif";
/// Text sizes as plotters takes them (its SVG's `font-size` is a fifth smaller): tick labels,
/// legend and notes; the point labels; the axes' names.
const TEXT: u32 = 15;
const SMALL: u32 = 13;
const AXIS_NAME: u32 = 16;
/// Roughly the width of a character of the legend's text, in pixels, and of any text's character
/// per unit of its size.
const CHAR_WIDTH: f64 = 7.5;
const CHAR_SHARE: f64 = 0.6;

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

/// What the legend must explain, learnt while drawing the panels, and the point labels left
/// out for want of room.
#[derive(Default)]
struct Seen {
    band: bool,
    error_bars: bool,
    off: bool,
    assumption: bool,
    unfinished: bool,
    upper_bound: bool,
    markers: bool,
    labels_left_out: usize,
}

/// How a figure's panels fill its width: columns, rows, one panel's size, the legend's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    columns: usize,
    rows: usize,
    panel: (u32, u32),
    legend: u32,
}

/// The layout of `panels` panels asked for in `columns` columns, with a legend whose longest
/// line has `longest` characters. Never wider than [`MAX_WIDTH`]: columns that would make
/// panels narrower than [`MIN_PANEL_WIDTH`] become rows instead, and a multi-column figure's
/// legend wraps into a narrower strip.
fn layout(panels: usize, columns: usize, longest: usize) -> Layout {
    let wanted = (longest as f64 * CHAR_WIDTH + 70.0).clamp(220.0, 440.0) as u32;
    let mut columns = columns.clamp(1, panels.max(1));
    let legend = |columns: usize| if columns > 1 { wanted.min(300) } else { wanted };
    while columns > 1 && (MAX_WIDTH - legend(columns)) / (columns as u32) < MIN_PANEL_WIDTH {
        columns -= 1;
    }
    let legend = legend(columns);
    let width = ((MAX_WIDTH - legend) / columns as u32).min(PANEL.0);
    // A narrower panel keeps enough height for its tick labels to stay apart.
    let height = (width * PANEL.1 / PANEL.0).max(340);
    Layout { columns, rows: panels.div_ceil(columns).max(1), panel: (width, height), legend }
}

/// `plot` as an SVG document.
pub fn svg(plot: &Plot) -> Result<String, PlotError> {
    let legend = legend_lines(
        plot,
        &Seen {
            band: true,
            error_bars: true,
            off: true,
            assumption: true,
            unfinished: true,
            upper_bound: true,
            markers: true,
            labels_left_out: 0,
        },
    );
    let longest = legend.iter().map(|l| l.chars().count()).max().unwrap_or(10);
    let Layout { columns, rows, panel, legend: legend_width } =
        layout(plot.panels.len(), plot.columns, longest);
    let grid = (panel.0 * columns as u32, panel.1 * rows as u32);
    let width = grid.0 + legend_width;
    let mut notes: Vec<String> =
        plot.notes.iter().flat_map(|n| wrap(&format!("Note: {n}"), width as f64 - 30.0)).collect();
    // Room for the line saying how many point labels were left out, known only once drawn.
    let tagged = plot.panels.iter().flat_map(|p| &p.series).flat_map(|s| &s.points).any(|p| p.tag.is_some());
    let note_lines = notes.len() + usize::from(tagged);
    let height = TITLE_HEIGHT + grid.1 + NOTE_LINE * note_lines as u32 + 12;
    // A long title is set smaller rather than cut at the figure's edges.
    let fits = (f64::from(width) - 40.0) / (plot.title.chars().count() as f64 * TITLE_CHAR_SHARE);
    let title_size = (fits.floor() as u32).clamp(TITLE.1, TITLE.0);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let (top, rest) = root.split_vertically(TITLE_HEIGHT);
        let title = (FONT, title_size).into_font().style(FontStyle::Bold).color(&INK);
        let centred = title.pos(Pos::new(HPos::Center, VPos::Center));
        top.draw_text(&plot.title, &centred, (width as i32 / 2, TITLE_HEIGHT as i32 / 2)).map_err(failed)?;
        let (main, bottom) = rest.split_vertically(grid.1);
        let (panels, side) = main.split_horizontally(grid.0);
        let mut seen = Seen::default();
        for (area, panel) in panels.split_evenly((rows, columns)).iter().zip(&plot.panels) {
            draw_panel(area, panel, &mut seen)?;
        }
        draw_legend(&side, plot, &seen)?;
        if seen.labels_left_out > 0 {
            notes.push(format!(
                "Note: {} point label(s) left out where they would have covered another label or point.",
                seen.labels_left_out
            ));
        }
        let note = (FONT, TEXT).into_font().color(&INK);
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

/// The tick texts of `axis`, given its ticks (positions): a function from a tick to its text.
/// A logarithmic axis's labels are chosen together, so that they share one style.
fn tick_texts(axis: &PlotAxis, ticks: &[f64]) -> impl Fn(f64) -> String + use<> {
    let names = axis.categories.clone();
    let scale = axis.scale;
    let log: Vec<(f64, String)> = match (&names, scale) {
        (None, Scale::Log) => ticks.iter().copied().zip(ticks::log_labels(ticks)).collect(),
        _ => Vec::new(),
    };
    move |position: f64| match &names {
        Some(names) => {
            let i = position.round();
            if (position - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        }
        None => match log.iter().find(|(p, _)| (p - position).abs() < 1e-9) {
            Some((_, text)) => text.clone(),
            None => ticks::label(ticks::value(scale, position)),
        },
    }
}

/// Where a point's mark goes: at its value, or, for a value the axis cannot place (0 on a
/// logarithmic axis), at the upper end of its interval as an upper bound.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    At((f64, f64)),
    Below((f64, f64)),
}

impl Place {
    fn at(self) -> Option<(f64, f64)> {
        match self {
            Place::At(at) => Some(at),
            Place::Below(_) => None,
        }
    }
}

/// The parts of `line` (positions, in x order) that lie between the heights `lo` and `hi`, each
/// ending where the line leaves the band: a closed form clipped to the axis, not flattened
/// along its edge.
fn clip(line: &[(f64, f64)], (lo, hi): (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let inside = |(_, y): &(f64, f64)| *y >= lo && *y <= hi;
    if line.len() == 1 {
        return if inside(&line[0]) { vec![line.to_vec()] } else { Vec::new() };
    }
    let mut parts: Vec<Vec<(f64, f64)>> = Vec::new();
    for w in line.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let (t0, t1) = if y0 == y1 {
            if inside(&w[0]) { (0.0, 1.0) } else { continue }
        } else {
            let (a, b) = ((lo - y0) / (y1 - y0), (hi - y0) / (y1 - y0));
            (a.min(b).max(0.0), a.max(b).min(1.0))
        };
        if t0 > t1 {
            continue;
        }
        let point = |t: f64| (x0 + t * (x1 - x0), y0 + t * (y1 - y0));
        let (from, to) = (point(t0), point(t1));
        match parts.last_mut() {
            Some(part) if t0 == 0.0 && part.last() == Some(&from) => part.push(to),
            _ => parts.push(vec![from, to]),
        }
    }
    parts
}

/// Small boxes along a line drawn through `pixels`, a few pixels apart, so that no label is
/// placed across a curve.
fn along(pixels: &[(i32, i32)]) -> Vec<Rect> {
    let mut out = Vec::new();
    for w in pixels.windows(2) {
        let (a, b) = ((f64::from(w[0].0), f64::from(w[0].1)), (f64::from(w[1].0), f64::from(w[1].1)));
        let steps = ((b.0 - a.0).hypot(b.1 - a.1) / 4.0).ceil().max(1.0) as usize;
        out.extend((0..=steps).map(|i| {
            let t = i as f64 / steps as f64;
            Rect::around((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)), 2.0)
        }));
    }
    out
}

/// A point at its value: its position, and its interval's ends clamped to the axis.
type Seated = (f64, f64, Option<(f64, f64)>);

/// A point label waiting for a place: its point in data and in pixels, its text and colour.
struct Tag {
    at: (f64, f64),
    /// Where `at` falls, and where its mark was drawn (aside from it, for a crowded upper bound).
    origin: (f64, f64),
    pixel: (f64, f64),
    text: String,
    color: RGBColor,
    /// Placed first: the ends of a curve, which say which way it runs.
    end: bool,
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
    let ys: Vec<f64> = panel.y_values().into_iter().filter_map(|v| ticks::position(y.scale, v)).collect();
    let ((x0, x1), xt) = frame(x, &xs);
    let ((y0, y1), yt) = frame(y, &ys);
    let mut builder = ChartBuilder::on(area);
    builder.margin(14).margin_right(26).x_label_area_size(52).y_label_area_size(84);
    if let Some(title) = &panel.title {
        builder.caption(title, (FONT, 17).into_font().color(&INK));
    }
    let x_labels = tick_texts(x, &xt);
    let y_labels = tick_texts(y, &yt);
    let (xr, yr) = (Ticked { lo: x0, hi: x1, ticks: xt }, Ticked { lo: y0, hi: y1, ticks: yt });
    let mut chart = builder.build_cartesian_2d(xr, yr).map_err(failed)?;
    let (x_text, y_text) = (|v: &f64| x_labels(*v), |v: &f64| y_labels(*v));
    chart
        .configure_mesh()
        .x_desc(x.label.as_str())
        .y_desc(y.label.as_str())
        .x_label_formatter(&x_text)
        .y_label_formatter(&y_text)
        .bold_line_style(RGBColor(228, 228, 228))
        .light_line_style(TRANSPARENT)
        .axis_desc_style((FONT, AXIS_NAME).into_font().color(&INK))
        .label_style((FONT, TEXT).into_font().color(&INK))
        .draw()
        .map_err(failed)?;
    let place = |p: &Point| -> Option<Place> {
        let px = ticks::position(x.scale, p.x)?;
        match ticks::position(y.scale, p.y) {
            Some(py) => Some(Place::At((px, py.clamp(y0, y1)))),
            None if p.y.is_finite() => {
                let hi = ticks::position(y.scale, p.band?.1)?;
                Some(Place::Below((px, hi.clamp(y0, y1))))
            }
            None => None,
        }
    };
    let clamp_y = |v: f64| ticks::position(y.scale, v).map_or(y0, |p| p.clamp(y0, y1));
    let mut obstacles: Vec<Rect> = Vec::new();
    let mut tags: Vec<Tag> = Vec::new();
    let mut bounds_drawn: Vec<(i32, i32)> = Vec::new();
    for s in &panel.series {
        let c = color(s.color);
        let places: Vec<Option<Place>> = s.points.iter().map(place).collect();
        // Runs of neighbours that both sit at their value: a line, and a band, join them; a point
        // drawn as an upper bound (or not at all) breaks both.
        let runs: Vec<Vec<Seated>> =
            s.points.iter().zip(&places).fold(vec![Vec::new()], |mut runs, (p, place)| {
                match place.and_then(Place::at) {
                    Some((px, py)) => runs.last_mut().expect("starts with one run").push((
                        px,
                        py,
                        p.band.map(|(lo, hi)| (clamp_y(lo), clamp_y(hi))),
                    )),
                    None => runs.push(Vec::new()),
                }
                runs
            });
        for run in runs.iter().filter(|r| !r.is_empty()) {
            let banded: Vec<(f64, (f64, f64))> =
                run.iter().filter_map(|(px, _, band)| Some((*px, (*band)?))).collect();
            match s.kind {
                Kind::Estimated => seen.error_bars |= !banded.is_empty(),
                _ => seen.band |= !banded.is_empty(),
            }
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
                Kind::Estimated => {
                    // Caps tell an estimator's error bar from a count's whisker.
                    for (px, (lo, hi)) in &banded {
                        let bar = PathElement::new(vec![(*px, *lo), (*px, *hi)], c.stroke_width(2));
                        let cap = |v: f64| {
                            EmptyElement::at((*px, v))
                                + PathElement::new(vec![(-5, 0), (5, 0)], c.stroke_width(2))
                        };
                        chart.draw_series([bar]).map_err(failed)?;
                        chart.draw_series([cap(*lo), cap(*hi)]).map_err(failed)?;
                    }
                }
                Kind::ClosedForm => {}
            }
            let line: Vec<(f64, f64)> = run.iter().map(|(px, py, _)| (*px, *py)).collect();
            match (s.kind, line.len()) {
                (Kind::Reference, _) | (Kind::Measured | Kind::Estimated, 1) => {}
                (Kind::Measured | Kind::Estimated, _) => {
                    obstacles
                        .extend(along(&line.iter().map(|at| chart.backend_coord(at)).collect::<Vec<_>>()));
                    chart.draw_series(LineSeries::new(line, c.stroke_width(2))).map_err(failed)?;
                }
                (Kind::ClosedForm, _) => {}
            }
        }
        if s.kind == Kind::ClosedForm {
            // Clipped from the unclamped values, so that the line ends where it leaves the axis.
            let line: Vec<Option<(f64, f64)>> = s
                .points
                .iter()
                .map(|p| Some((ticks::position(x.scale, p.x)?, ticks::position(y.scale, p.y)?)))
                .collect();
            for part in line.split(Option::is_none) {
                let part: Vec<(f64, f64)> = part.iter().flatten().copied().collect();
                for piece in clip(&part, (y0, y1)) {
                    if piece.len() == 1 {
                        // A lone value of a closed form is a short dash across its point.
                        let dash = EmptyElement::at(piece[0])
                            + PathElement::new(vec![(-14, 0), (-5, 0)], c.stroke_width(2))
                            + PathElement::new(vec![(5, 0), (14, 0)], c.stroke_width(2));
                        chart.draw_series([dash]).map_err(failed)?;
                    } else {
                        obstacles.extend(along(
                            &piece.iter().map(|at| chart.backend_coord(at)).collect::<Vec<_>>(),
                        ));
                        chart
                            .draw_series(DashedLineSeries::new(piece, 9, 6, c.stroke_width(2)))
                            .map_err(failed)?;
                    }
                }
            }
            continue;
        }
        let last = s.points.len().saturating_sub(1);
        for (i, (p, place)) in s.points.iter().zip(&places).enumerate() {
            let Some(place) = place else { continue };
            let (at, bound) = match *place {
                Place::At(at) => (at, false),
                Place::Below(at) => (at, true),
            };
            seen.upper_bound |= bound;
            seen.off |= p.off;
            seen.assumption |= p.assumption_fails && !p.off;
            seen.unfinished |= p.unfinished;
            let (px, py) = chart.backend_coord(&at);
            // Upper bounds of several curves often coincide (the same trials, no event): each
            // further one at a pixel steps a little aside, so that none hides another.
            let dx = if bound {
                let k =
                    bounds_drawn.iter().filter(|b| (b.0 - px).abs() <= 2 && (b.1 - py).abs() <= 2).count();
                bounds_drawn.push((px, py));
                [0, 7, -7, 14, -14].get(k).copied().unwrap_or(0)
            } else {
                0
            };
            let pixel = (f64::from(px + dx), f64::from(py));
            let style = if bound { c.stroke_width(2) } else { c.filled() };
            let mark = EmptyElement::at(at);
            match (s.kind, p.off, p.assumption_fails) {
                (Kind::Reference, _, _) => {
                    let square = Rectangle::new([(dx - 5, -5), (dx + 5, 5)], style);
                    chart.draw_series([mark + square]).map_err(failed)?;
                }
                (_, true, _) => {
                    chart.draw_series([mark + Cross::new((dx, 0), 6, c.stroke_width(3))]).map_err(failed)?;
                }
                (_, false, true) => {
                    chart.draw_series([mark + TriangleMarker::new((dx, 0), 7, style)]).map_err(failed)?;
                }
                (_, false, false) => {
                    chart.draw_series([mark + Circle::new((dx, 0), 4, style)]).map_err(failed)?;
                }
            }
            obstacles.push(Rect::around(pixel, 6.0));
            if bound {
                // The value lies somewhere below: an arrow down from the bound.
                let arrow = EmptyElement::at(at)
                    + PathElement::new(vec![(dx, 6), (dx, 20)], c.stroke_width(2))
                    + PathElement::new(vec![(dx - 4, 15), (dx, 20), (dx + 4, 15)], c.stroke_width(2));
                chart.draw_series([arrow]).map_err(failed)?;
                obstacles.push(Rect { top: pixel.1, bottom: pixel.1 + 21.0, ..Rect::around(pixel, 5.0) });
            }
            if p.unfinished {
                let ring = EmptyElement::at(at) + Circle::new((dx, 0), 9, c.stroke_width(2));
                chart.draw_series([ring]).map_err(failed)?;
            }
            // An upper bound's place says little of its point: every zero count of as many trials
            // shares it, so bounds pile up and a label would name one of a pile.
            if let Some(text) = p.tag.as_ref().filter(|_| !bound) {
                tags.push(Tag {
                    at,
                    origin: (f64::from(px), f64::from(py)),
                    pixel,
                    text: text.clone(),
                    color: c,
                    end: i == 0 || i == last,
                });
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
        let font = (FONT, SMALL).into_font().color(&c);
        let label = Text::new(m.label.clone(), (5, 6 + 16 * i as i32), font);
        chart.draw_series([EmptyElement::at((px, y1)) + label]).map_err(failed)?;
    }
    // The ends of every curve first, then the points between, each curve in its own order.
    tags.sort_by_key(|t| !t.end);
    let wanted: Vec<Wanted> = tags
        .iter()
        .map(|t| Wanted {
            at: t.pixel,
            width: t.text.chars().count() as f64 * f64::from(SMALL) * CHAR_SHARE,
            height: f64::from(SMALL) + 2.0,
        })
        .collect();
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let bounds = Rect {
        left: f64::from(xs.start),
        top: f64::from(ys.start),
        right: f64::from(xs.end),
        bottom: f64::from(ys.end),
    };
    for (tag, spot) in tags.iter().zip(labels::place(&wanted, &obstacles, bounds)) {
        let Some(spot) = spot else {
            seen.labels_left_out += 1;
            continue;
        };
        let font = (FONT, SMALL).into_font().color(&tag.color).pos(Pos::new(HPos::Left, VPos::Top));
        let offset = ((spot.left - tag.origin.0).round() as i32, (spot.top - tag.origin.1).round() as i32);
        chart
            .draw_series([EmptyElement::at(tag.at) + Text::new(tag.text.clone(), offset, font)])
            .map_err(failed)?;
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
    ErrorBar,
    Dashed,
    Cross,
    Triangle,
    Ring,
    UpperBound,
    Marker,
}

fn style_entries(plot: &Plot, seen: &Seen) -> Vec<(Swatch, String)> {
    let mut out = Vec::new();
    if seen.band {
        out.push((Swatch::Band, "shaded or whisker: 95% Wilson interval".to_string()));
    }
    if seen.error_bars {
        out.push((Swatch::ErrorBar, "capped bar: the estimator's 95% interval".to_string()));
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
    if seen.upper_bound {
        out.push((
            Swatch::UpperBound,
            "hollow, arrow down: measured 0, drawn at its 95% upper bound (a log axis has no 0)".to_string(),
        ));
    }
    if seen.markers {
        let meaning = plot.marker_meaning.clone().unwrap_or_else(|| "dotted vertical line: marker".into());
        out.push((Swatch::Marker, meaning));
    }
    out
}

fn draw_legend(area: &DrawingArea<SVGBackend<'_>, Shift>, plot: &Plot, seen: &Seen) -> Result<(), PlotError> {
    let width = area.dim_in_pixel().0 as f64;
    let text = (FONT, TEXT).into_font().color(&INK);
    let left = text.pos(Pos::new(HPos::Left, VPos::Center));
    let mut y = 40;
    let heading = (FONT, TEXT + 1).into_font().style(FontStyle::Bold).color(&INK);
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
            area.draw_text(line, &left, (48, y + 17 * i as i32)).map_err(failed)?;
        }
        y += 17 * (lines.len() as i32 - 1) + 25;
    }
    y += 8;
    let grey = RGBColor(90, 90, 90);
    for (swatch, meaning) in style_entries(plot, seen) {
        match swatch {
            Swatch::Band => {
                area.draw(&Rectangle::new([(8, y - 7), (40, y + 7)], grey.mix(0.25).filled()))
                    .map_err(failed)?;
            }
            Swatch::ErrorBar => {
                area.draw(&PathElement::new(vec![(24, y - 8), (24, y + 8)], grey.stroke_width(2)))
                    .map_err(failed)?;
                for cap in [y - 8, y + 8] {
                    area.draw(&PathElement::new(vec![(19, cap), (29, cap)], grey.stroke_width(2)))
                        .map_err(failed)?;
                }
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
            Swatch::UpperBound => {
                area.draw(&Circle::new((24, y - 6), 4, grey.stroke_width(2))).map_err(failed)?;
                area.draw(&PathElement::new(vec![(24, y - 1), (24, y + 11)], grey.stroke_width(2)))
                    .map_err(failed)?;
                area.draw(&PathElement::new(
                    vec![(20, y + 6), (24, y + 11), (28, y + 6)],
                    grey.stroke_width(2),
                ))
                .map_err(failed)?;
            }
            Swatch::Marker => {
                area.draw(&DashedPathElement::new([(24, y - 9), (24, y + 9)], 3, 4, grey.stroke_width(2)))
                    .map_err(failed)?;
            }
        }
        let lines = wrap(&meaning, width - 60.0);
        for (i, line) in lines.iter().enumerate() {
            area.draw_text(line, &left, (48, y + 17 * i as i32)).map_err(failed)?;
        }
        y += 17 * lines.len() as i32 + 14;
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
    fn a_closed_form_is_cut_where_it_leaves_the_axis() {
        let line = [(0.0, 0.0), (1.0, -2.0), (2.0, -4.0), (3.0, -6.0)];
        assert_eq!(clip(&line, (-3.0, 0.0)), [vec![(0.0, 0.0), (1.0, -2.0), (1.5, -3.0)]]);
        // A line that leaves the axis and comes back is two parts.
        let dip = [(0.0, -1.0), (1.0, -5.0), (2.0, -1.0)];
        assert_eq!(clip(&dip, (-3.0, 0.0)), [vec![(0.0, -1.0), (0.5, -3.0)], vec![(1.5, -3.0), (2.0, -1.0)]]);
        assert!(clip(&[(0.0, -9.0)], (-3.0, 0.0)).is_empty());
        assert_eq!(clip(&[(0.0, -1.0)], (-3.0, 0.0)), [vec![(0.0, -1.0)]]);
    }

    #[test]
    fn many_panels_become_rows_rather_than_a_wider_figure() {
        let one = layout(1, 1, 40);
        assert_eq!((one.columns, one.rows, one.panel), (1, 1, PANEL));
        for (panels, columns) in [(8, 4), (2, 2), (12, 6)] {
            let l = layout(panels, columns, 60);
            let width = l.panel.0 * l.columns as u32 + l.legend;
            assert!(width <= MAX_WIDTH && l.panel.0 >= MIN_PANEL_WIDTH, "{panels} panels: {l:?}");
            assert!(l.columns * l.rows >= panels, "{l:?}");
        }
        assert_eq!(layout(8, 4, 60).columns, 2);
    }

    /// A curve added later, of an estimator's values far below what a count can reach, widens the
    /// axis to its own points and intervals and explains its bars.
    #[test]
    fn an_estimated_curve_beside_counted_ones_sets_the_axis_and_draws_capped_bars() {
        use crate::plot::figure::Series;
        let figure_point = |x: f64, y: f64, band: (f64, f64)| Point { band: Some(band), ..Point::at(x, y) };
        let counted = |i: usize| Series {
            label: format!("counted {i}"),
            color: i,
            kind: Kind::Measured,
            points: vec![figure_point(1.0, 0.1, (0.05, 0.2)), figure_point(2.0, 0.0, (0.0, 1e-5))],
        };
        let estimated = Series {
            label: "estimated".into(),
            color: 4,
            kind: Kind::Estimated,
            points: vec![figure_point(1.0, 1e-3, (5e-4, 2e-3)), figure_point(2.0, 1e-9, (4e-10, 3e-9))],
        };
        let panel = Panel {
            title: None,
            x: PlotAxis::linear("lease L (ms)"),
            y: PlotAxis::rate("overlaps per acquisition", Scale::Log),
            series: (0..4).map(counted).chain([estimated]).collect(),
            markers: Vec::new(),
        };
        let lowest = panel.y_values().into_iter().fold(f64::INFINITY, f64::min);
        assert!((lowest / 1e-10 - 1.0).abs() < 1e-9, "a decade below the estimate's 1e-9: {lowest}");
        let plot = Plot {
            name: "estimate".into(),
            title: "t".into(),
            panels: vec![panel],
            columns: 1,
            marker_meaning: None,
            notes: Vec::new(),
        };
        let svg = svg(&plot).unwrap();
        assert!(
            svg.contains("capped bar: the estimator") && svg.contains("95% Wilson"),
            "both kinds explained"
        );
        assert!(svg.contains("10⁻¹⁰") && svg.contains("arrow down"), "the axis reaches the estimate");
    }

    #[test]
    fn long_text_wraps_at_spaces_and_keeps_every_word() {
        let text = "the quick brown fox jumps over the lazy dog again and again";
        let lines = wrap(text, 20.0 * CHAR_WIDTH);
        assert!(lines.len() > 2 && lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text);
    }
}
