//! Hand-written inline SVG: axes with "nice" ticks and a line chart. No scripts, no external
//! fonts; colours are presentation attributes so the charts survive being copied out of the
//! page. Every coordinate passes through [`coord`], so a NaN or an infinity in a report can
//! never produce a broken path.

use std::fmt::Write as _;

use crate::escape::Escaped;

/// Colours shared by the charts and the page's legends.
pub const BLUE: &str = "#0969da";
pub const ORANGE: &str = "#d1242f";
pub const GRID: &str = "#e6eaef";
pub const AXIS: &str = "#8c959f";
pub const TEXT: &str = "#59636e";

/// A finite number for an SVG attribute, one decimal.
pub fn coord(value: f64) -> String {
    let value = if value.is_finite() { value } else { 0.0 };
    format!("{value:.1}")
}

/// A tick step of 1, 2 or 5 × 10ⁿ giving about `target` intervals up to `max`.
pub fn nice_step(max: f64, target: u32) -> f64 {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / f64::from(target.max(1));
    let magnitude = 10f64.powf(raw.log10().floor());
    let normalised = raw / magnitude;
    let factor = if normalised <= 1.0 {
        1.0
    } else if normalised <= 2.0 {
        2.0
    } else if normalised <= 5.0 {
        5.0
    } else {
        10.0
    };
    factor * magnitude
}

/// The axis top: `max` rounded up to a whole number of steps (at least one step).
pub fn nice_max(max: f64, step: f64) -> f64 {
    let max = if max.is_finite() { max } else { 0.0 };
    ((max / step).ceil() * step).max(step)
}

/// A tick label with as many decimals as the step needs.
pub fn tick_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    };
    format!("{value:.decimals$}")
}

/// A number for people: no decimals from 100 on, one from 10, two below.
pub fn human(value: f64) -> String {
    let a = value.abs();
    if !value.is_finite() {
        "?".to_owned()
    } else if a >= 100.0 {
        format!("{value:.0}")
    } else if a >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// The plot area inside an SVG.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    pub x_max: f64,
    pub y_max: f64,
}

impl Frame {
    pub fn x(&self, value: f64) -> f64 {
        let value = if value.is_finite() { value } else { 0.0 };
        self.left + (value / self.x_max).clamp(0.0, 1.0) * self.width
    }

    pub fn y(&self, value: f64) -> f64 {
        let value = if value.is_finite() { value } else { 0.0 };
        self.top + self.height - (value / self.y_max).clamp(0.0, 1.0) * self.height
    }

    pub fn bottom(&self) -> f64 {
        self.top + self.height
    }

    pub fn right(&self) -> f64 {
        self.left + self.width
    }

    /// Vertical grid lines and labels of the x axis, and its title below.
    pub fn x_axis(&self, out: &mut String, step: f64, label: &str) {
        let mut value = 0.0;
        while value <= self.x_max + step * 1e-6 {
            let x = coord(self.x(value));
            let _ = write!(
                out,
                r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{GRID}"/><text x="{x}" y="{}" text-anchor="middle" font-size="11" fill="{TEXT}">{}</text>"#,
                coord(self.top),
                coord(self.bottom() + 4.0),
                coord(self.bottom() + 17.0),
                tick_label(value, step)
            );
            value += step;
        }
        let _ = write!(
            out,
            r#"<line x1="{}" y1="{b}" x2="{}" y2="{b}" stroke="{AXIS}"/><text x="{}" y="{}" text-anchor="middle" font-size="12" fill="{TEXT}">{}</text>"#,
            coord(self.left),
            coord(self.right()),
            coord(self.left + self.width / 2.0),
            coord(self.bottom() + 34.0),
            Escaped(label),
            b = coord(self.bottom()),
        );
    }

    /// Horizontal grid lines and labels of the y axis, and its title (rotated) on the left.
    pub fn y_axis(&self, out: &mut String, step: f64, label: &str) {
        let mut value = 0.0;
        while value <= self.y_max + step * 1e-6 {
            let y = coord(self.y(value));
            let _ = write!(
                out,
                r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{GRID}"/><text x="{}" y="{y}" dy="4" text-anchor="end" font-size="11" fill="{TEXT}">{}</text>"#,
                coord(self.left - 4.0),
                coord(self.right()),
                coord(self.left - 7.0),
                tick_label(value, step)
            );
            value += step;
        }
        let cx = 14.0;
        let cy = self.top + self.height / 2.0;
        let _ = write!(
            out,
            r#"<line x1="{l}" y1="{}" x2="{l}" y2="{}" stroke="{AXIS}"/><text x="{}" y="{}" transform="rotate(-90 {} {})" text-anchor="middle" font-size="12" fill="{TEXT}">{}</text>"#,
            coord(self.top),
            coord(self.bottom()),
            coord(cx),
            coord(cy),
            coord(cx),
            coord(cy),
            Escaped(label),
            l = coord(self.left),
        );
    }
}

/// Opens an accessible SVG: `role="img"`, `aria-label` and a `<title>` (shown as a tooltip),
/// plus a `<desc>` with the numbers for screen readers.
pub fn open_svg(out: &mut String, width: f64, height: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"><title>{}</title><desc>{}</desc>"#,
        coord(width),
        coord(height),
        coord(width),
        coord(height),
        Escaped(title),
        Escaped(title),
        Escaped(desc),
    );
}

/// One legend entry at (x, y): a swatch and its name. Returns the x after it.
pub fn legend_entry(out: &mut String, x: f64, y: f64, swatch: Swatch, name: &str) -> f64 {
    match swatch {
        Swatch::Line { color, dashed } => {
            let _ = write!(
                out,
                r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="2.5"{}/>"#,
                coord(x),
                coord(y - 4.0),
                coord(x + 18.0),
                coord(y - 4.0),
                if dashed {
                    r#" stroke-dasharray="5 3""#
                } else {
                    ""
                }
            );
        }
        Swatch::Box { fill, opacity } => {
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="14" height="10" rx="2" fill="{fill}" fill-opacity="{opacity}"/>"#,
                coord(x + 2.0),
                coord(y - 9.0),
            );
        }
    }
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" font-size="12" fill="{TEXT}">{}</text>"#,
        coord(x + 24.0),
        coord(y),
        Escaped(name)
    );
    // System fonts average about 6.3 px per character at 12 px.
    x + 24.0 + name.chars().count() as f64 * 6.3 + 18.0
}

#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    Line { color: &'static str, dashed: bool },
    Box { fill: &'static str, opacity: f64 },
}

/// A point of a line: `(x, Some(y))`; `(x, None)` breaks the line (no data there).
pub type Point = (f64, Option<f64>);

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub color: &'static str,
    pub dashed: bool,
    pub points: Vec<Point>,
}

/// A line chart over `0..x_max` and `0..` the largest value (at least `y_floor`, at most
/// `y_cap`), with the `bands` (x ranges) shaded and named in the legend.
#[derive(Debug, Clone)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Appended to values in tooltips ("%", " ms").
    pub unit: &'static str,
    pub x_max: f64,
    pub y_floor: f64,
    pub y_cap: Option<f64>,
    pub lines: Vec<Line>,
    pub bands: Vec<(f64, f64)>,
    pub band_name: String,
}

/// More points than this and the markers are left out (the line alone reads better).
const MAX_MARKERS: usize = 90;

impl LineChart {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.lines
            .iter()
            .flat_map(|l| l.points.iter().filter_map(|p| p.1))
            .filter(|v| v.is_finite())
    }

    /// The chart, or a short note when no line has a single value.
    pub fn render(&self, out: &mut String) {
        if self.values().next().is_none() {
            let _ = write!(
                out,
                r#"<p class="note chart-note">{}: no data to plot.</p>"#,
                Escaped(&self.title)
            );
            return;
        }
        const WIDTH: f64 = 540.0;
        const HEIGHT: f64 = 250.0;
        let largest = self.values().fold(self.y_floor, f64::max);
        let largest = self.y_cap.map_or(largest, |cap| largest.min(cap));
        let y_step = nice_step(largest, 4);
        let x_max = if self.x_max.is_finite() && self.x_max > 0.0 {
            self.x_max
        } else {
            1.0
        };
        let x_step = nice_step(x_max, 6);
        let frame = Frame {
            left: 54.0,
            top: 34.0,
            width: WIDTH - 54.0 - 14.0,
            height: HEIGHT - 34.0 - 46.0,
            x_max: nice_max(x_max, x_step),
            y_max: nice_max(largest, y_step),
        };
        let desc = self
            .lines
            .iter()
            .map(|l| {
                let values: Vec<f64> = l.points.iter().filter_map(|p| p.1).collect();
                let max = values.iter().copied().fold(0.0, f64::max);
                format!(
                    "{}: {} values, highest {}{}",
                    l.name,
                    values.len(),
                    human(max),
                    self.unit
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        open_svg(out, WIDTH, HEIGHT, &self.title, &desc);
        for (from, to) in &self.bands {
            let x1 = frame.x(*from);
            let x2 = frame.x(*to).max(x1 + 1.0);
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{ORANGE}" fill-opacity="0.12"><title>{}</title></rect>"#,
                coord(x1),
                coord(frame.top),
                coord(x2 - x1),
                coord(frame.height),
                Escaped(&format!(
                    "{} ({}–{} s)",
                    self.band_name,
                    human(*from),
                    human(*to)
                ))
            );
        }
        frame.y_axis(out, y_step, &self.y_label);
        frame.x_axis(out, x_step, &self.x_label);
        for line in &self.lines {
            self.line(out, &frame, line);
        }
        let mut x = frame.left;
        for line in &self.lines {
            x = legend_entry(
                out,
                x,
                18.0,
                Swatch::Line {
                    color: line.color,
                    dashed: line.dashed,
                },
                &line.name,
            );
        }
        if !self.bands.is_empty() {
            legend_entry(
                out,
                x,
                18.0,
                Swatch::Box {
                    fill: ORANGE,
                    opacity: 0.2,
                },
                &self.band_name,
            );
        }
        out.push_str("</svg>");
    }

    fn line(&self, out: &mut String, frame: &Frame, line: &Line) {
        let dash = if line.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        // One polyline per run of values (a `None` ends a run).
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, out: &mut String| {
            if run.len() >= 2 {
                let _ = write!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"{dash}/>"#,
                    run.join(" "),
                    line.color
                );
            }
            run.clear();
        };
        for (x, y) in &line.points {
            match y {
                Some(y) if y.is_finite() => {
                    run.push(format!("{},{}", coord(frame.x(*x)), coord(frame.y(*y))))
                }
                _ => flush(&mut run, out),
            }
        }
        flush(&mut run, out);
        let values = line.points.iter().filter(|p| p.1.is_some()).count();
        if values <= MAX_MARKERS {
            for (x, y) in &line.points {
                let Some(y) = y.filter(|y| y.is_finite()) else {
                    continue;
                };
                let _ = write!(
                    out,
                    r##"<circle cx="{}" cy="{}" r="2.8" fill="{}" stroke="#fff" stroke-width="0.8"><title>{}</title></circle>"##,
                    coord(frame.x(*x)),
                    coord(frame.y(y)),
                    line.color,
                    Escaped(&format!(
                        "{} at {} s: {}{}",
                        line.name,
                        human(*x),
                        human(y),
                        self.unit
                    ))
                );
            }
        }
    }
}
