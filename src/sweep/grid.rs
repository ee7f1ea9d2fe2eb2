//! Grids: which flags a sweep varies, and over which values.
//!
//! A swept flag takes what the flag takes in a single run, or a comma-separated list of such
//! values, or a range `A..B:N` of `N` points from `A` to `B` (both included). Ranges space their
//! points logarithmically by default for durations and fractions (`1ms..64ms:7` is 1, 2, 4, ...,
//! 64 ms), linearly for whole numbers (`2..16:8lin` is explicit); `:Nlin` and `:Nlog` choose. A
//! list may mix ranges and values: `--lease 1ms..8ms:4,100ms`.
//!
//! Every value is checked by the flag's own parser before anything runs, so a grid that cannot
//! be read is refused at once with one line, and a point is only ever skipped for a reason that
//! depends on the combination (a margin longer than the lease, say).

use crate::time::{Human, parse_duration};
use std::fmt;

/// One swept flag (its long name, without the dashes) and its values, written as the flag reads
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// The flag, e.g. `lease`.
    pub flag: String,
    /// Its values, e.g. `["1ms", "2ms"]`.
    pub values: Vec<String>,
}

/// What is wrong with a grid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    /// A list with an empty element, or no value at all.
    #[error("--{flag}: empty value in '{text}'")]
    Empty {
        /// The flag.
        flag: String,
        /// What was given.
        text: String,
    },
    /// A range whose endpoints are numbers but whose form is wrong.
    #[error("--{flag}: '{text}' is not a range: {why}")]
    BadRange {
        /// The flag.
        flag: String,
        /// What was given.
        text: String,
        /// What is wrong with it.
        why: String,
    },
    /// A flag given twice.
    #[error("--{0} is given twice; give one list of values")]
    Repeated(String),
    /// A flag the sweep does not know, or one that takes no value.
    #[error("{0}")]
    UnknownFlag(String),
    /// A value the flag's parser refuses.
    #[error("{0}")]
    BadValue(String),
    /// A grid file that cannot be read.
    #[error("{0}")]
    File(String),
}

/// The number kinds a range can span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Duration,
    Fraction,
    Whole,
}

/// `text` (one flag's value in a sweep) as the list of values it stands for.
pub fn expand(flag: &str, text: &str) -> Result<Vec<String>, GridError> {
    let mut values = Vec::new();
    for element in text.split(',') {
        if element.is_empty() {
            return Err(GridError::Empty { flag: flag.to_string(), text: text.to_string() });
        }
        match range(flag, element)? {
            Some(points) => values.extend(points),
            None => values.push(element.to_string()),
        }
    }
    Ok(values)
}

/// The points of `A..B:N[lin|log]`, or `None` when `text` is not a range of numbers at all (a
/// partition such as `lock:10ms..200ms` is one value).
fn range(flag: &str, text: &str) -> Result<Option<Vec<String>>, GridError> {
    let Some((a, rest)) = text.split_once("..") else { return Ok(None) };
    let (b, spec) = rest.split_once(':').unwrap_or((rest, ""));
    let Some(kind) = kind(a, b) else { return Ok(None) };
    let bad =
        |why: &str| GridError::BadRange { flag: flag.to_string(), text: text.to_string(), why: why.into() };
    let digits = spec.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let spacing = &spec[digits.len()..];
    let n: usize =
        digits.parse().map_err(|_| bad("write A..B:N with N the number of points, e.g. 1ms..64ms:7"))?;
    if n == 0 {
        return Err(bad("it has no points: N must be at least 1"));
    }
    if n as u64 > super::MAX_POINTS {
        return Err(bad(&format!("{n} points are more than a grid may have ({})", super::MAX_POINTS)));
    }
    let log = match spacing {
        "" => kind != Kind::Whole,
        "log" => true,
        "lin" => false,
        _ => return Err(bad("the spacing after N is lin or log, e.g. :8lin")),
    };
    let (lo, hi) = (number(kind, a), number(kind, b));
    if lo > hi {
        return Err(bad("it runs backwards: write the smaller end first"));
    }
    if n > 1 && lo == hi {
        return Err(bad("both ends are equal: give one value, or N = 1"));
    }
    if log && lo <= 0.0 {
        return Err(bad("a logarithmic range cannot start at 0: use :Nlin"));
    }
    let points: Vec<String> = (0..n)
        .map(|i| {
            let t = if n == 1 { 0.0 } else { i as f64 / (n - 1) as f64 };
            let x = if log { lo * (hi / lo).powf(t) } else { lo + (hi - lo) * t };
            show(kind, x)
        })
        .collect();
    if points.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad("its points repeat once rounded: ask for fewer"));
    }
    Ok(Some(points))
}

/// What both ends of a range are, if they are numbers of one kind.
fn kind(a: &str, b: &str) -> Option<Kind> {
    let whole = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    let fraction = |t: &str| t.parse::<f64>().is_ok_and(f64::is_finite) && !t.starts_with(['+', '-']);
    let duration = |t: &str| parse_duration(t).is_ok();
    let unit = |t: &str| t.ends_with('s');
    if duration(a) && duration(b) && (unit(a) || unit(b)) {
        Some(Kind::Duration)
    } else if whole(a) && whole(b) {
        Some(Kind::Whole)
    } else if fraction(a) && fraction(b) {
        Some(Kind::Fraction)
    } else {
        None
    }
}

fn number(kind: Kind, text: &str) -> f64 {
    match kind {
        Kind::Duration => parse_duration(text).map_or(f64::NAN, |d| d as f64),
        Kind::Fraction | Kind::Whole => text.parse().unwrap_or(f64::NAN),
    }
}

/// A range point as the flag reads it: durations in their shortest unit, fractions to six
/// significant digits, whole numbers rounded.
fn show(kind: Kind, x: f64) -> String {
    match kind {
        Kind::Duration => Human(x.round() as u64).to_string(),
        Kind::Whole => format!("{}", x.round() as u64),
        Kind::Fraction => Significant(x).to_string(),
    }
}

/// A fraction to six significant digits, without trailing zeros.
struct Significant(f64);

impl fmt::Display for Significant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x == 0.0 {
            return write!(f, "0");
        }
        let decimals = (5 - x.abs().log10().floor() as i32).clamp(0, 17) as usize;
        let text = format!("{x:.decimals$}");
        let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
        write!(f, "{text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        expand("x", text).unwrap()
    }

    #[test]
    fn lists_and_ranges_expand() {
        assert_eq!(values("2ms,5ms,10ms"), ["2ms", "5ms", "10ms"]);
        assert_eq!(values("1ms..64ms:7"), ["1ms", "2ms", "4ms", "8ms", "16ms", "32ms", "64ms"]);
        assert_eq!(values("0..0.2:5lin"), ["0", "0.05", "0.1", "0.15", "0.2"]);
        assert_eq!(values("2..16:8lin"), ["2", "4", "6", "8", "10", "12", "14", "16"]);
        assert_eq!(values("2..16:4"), ["2", "7", "11", "16"], "whole numbers space linearly");
        assert_eq!(values("0.001..1:4"), ["0.001", "0.01", "0.1", "1"]);
        assert_eq!(values("1ms..8ms:4,100ms"), ["1ms", "2ms", "4ms", "8ms", "100ms"]);
        assert_eq!(values("5ms..5ms:1"), ["5ms"]);
        // Not ranges: values that merely contain two dots.
        assert_eq!(values("lock:10ms..200ms"), ["lock:10ms..200ms"]);
        assert_eq!(values("exp:5ms,pareto:1.5:2ms"), ["exp:5ms", "pareto:1.5:2ms"]);
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        for (text, why) in [
            ("1ms..64ms", "number of points"),
            ("1ms..64ms:0", "no points"),
            ("64ms..1ms:4", "backwards"),
            ("0..10ms:4", "cannot start at 0"),
            ("1ms..64ms:4cubic", "lin or log"),
            ("5ms..5ms:3", "equal"),
            ("1ns..2ns:16", "repeat"),
        ] {
            let err = expand("lease", text).expect_err(text).to_string();
            assert!(err.contains(why) && err.starts_with("--lease: "), "{text}: {err}");
        }
        assert!(matches!(expand("lease", "1ms,,2ms"), Err(GridError::Empty { .. })));
        assert!(matches!(expand("lease", ""), Err(GridError::Empty { .. })));
    }
}

/// A grid kept in a file (TOML), the form people keep in a repository:
///
/// ```toml
/// laboratory = "lock"          # or "smr"
/// repetitions = 3              # optional, default 1
/// seed = 1                     # optional master seed, default 1
///
/// [axes]                       # any flag of the laboratory, without its dashes
/// lease = "1ms..64ms:16"       # a range, a comma-separated list, or one value
/// pause = ["exp:5ms", "pareto:1.5:2ms"]
/// clients = 16
/// ```
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridFile {
    /// `lock` or `smr`.
    pub laboratory: String,
    /// Runs per point.
    pub repetitions: Option<u64>,
    /// Master seed.
    pub seed: Option<u64>,
    /// Flag name to values.
    #[serde(default)]
    pub axes: toml::Table,
}

impl GridFile {
    /// Reads and parses `text`; errors name the file and the line.
    pub fn parse(name: &str, text: &str) -> Result<GridFile, GridError> {
        toml::from_str(text).map_err(|e| {
            let what = e.message().lines().next().unwrap_or("malformed TOML").to_string();
            let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            GridError::File(match line {
                Some(line) => format!("{name}, line {line}: {what}"),
                None => format!("{name}: {what}"),
            })
        })
    }

    /// The axes as flag and value text, in the file's order: a string is expanded as on the
    /// command line, an array's elements each as one value or range, a number or boolean as its
    /// text.
    pub fn axes(&self, name: &str) -> Result<Vec<(String, String)>, GridError> {
        let mut out = Vec::new();
        for (flag, value) in &self.axes {
            let text = match value {
                toml::Value::Array(items) => {
                    let texts: Result<Vec<String>, GridError> =
                        items.iter().map(|v| scalar(name, flag, v)).collect();
                    texts?.join(",")
                }
                other => scalar(name, flag, other)?,
            };
            out.push((flag.clone(), text));
        }
        Ok(out)
    }
}

fn scalar(name: &str, flag: &str, value: &toml::Value) -> Result<String, GridError> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(x) => Ok(Significant(*x).to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(GridError::File(format!(
            "{name}: axes.{flag} must be a value, a list of values, or a string such as \"1ms..64ms:16\""
        ))),
    }
}

/// The axes given as `(flag, text)` pairs, checked against `command` (the laboratory's flags):
/// each flag must take a value, appear once, and every value must be one the flag reads. The axes
/// come back in the command's own flag order, so one grid gives one order of points however it
/// was written.
pub fn axes(command: &clap::Command, given: &[(String, String)]) -> Result<Vec<Axis>, GridError> {
    let order: Vec<&clap::Arg> = command.get_arguments().filter(|a| a.get_long().is_some()).collect();
    let mut axes: Vec<(usize, Axis)> = Vec::new();
    for (flag, text) in given {
        let Some(position) = order.iter().position(|a| a.get_long() == Some(flag.as_str())) else {
            return Err(GridError::UnknownFlag(format!(
                "--{flag} is not a flag of faultline {}",
                command.get_name()
            )));
        };
        if !order[position].get_action().takes_values() {
            return Err(GridError::UnknownFlag(format!("--{flag} takes no value and cannot be swept")));
        }
        if axes.iter().any(|(_, a)| a.flag == *flag) {
            return Err(GridError::Repeated(flag.clone()));
        }
        let values = expand(flag, text)?;
        for value in &values {
            let argv = [command.get_name().to_string(), format!("--{flag}"), value.clone()];
            if let Err(e) = command.clone().try_get_matches_from(argv) {
                let line = e.to_string();
                let line = line.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("invalid value");
                return Err(GridError::BadValue(
                    line.strip_prefix("error:").map(str::trim_start).unwrap_or(line).to_string(),
                ));
            }
        }
        axes.push((position, Axis { flag: flag.clone(), values }));
    }
    axes.sort_by_key(|(position, _)| *position);
    Ok(axes.into_iter().map(|(_, a)| a).collect())
}
