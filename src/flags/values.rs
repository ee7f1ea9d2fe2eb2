//! Flag values clap cannot read on its own: probabilities, fractions, and the small enums whose
//! library types are not (and should not become) clap types.
//!
//! Durations and distributions need nothing here: [`crate::time::parse_duration`] and
//! [`crate::fault::Dist::parse`] already return one-line errors and are used as value parsers as
//! they are. Every parser refuses whitespace and says "negative" for a minus sign in the words of
//! [`crate::input`]; a flag that takes a value starting with `-` needs `allow_hyphen_values`
//! (durations, distributions) or `allow_negative_numbers` (numbers) for that value to reach it
//! at all, otherwise clap takes it for a flag.

use crate::input::{Quoted, is_negative, no_whitespace};
use crate::lock::{DecideBy, Workload};
use crate::node::PausePoint;
use std::fmt;
use std::num::{IntErrorKind, ParseIntError};
use std::ops::RangeInclusive;
use std::str::FromStr;

/// A probability in `[0, 1]` (`--drop`, `--duplicate`, `--reorder`, `--q`).
pub fn probability(text: &str) -> Result<f64, String> {
    fraction(text, |p| (0.0..=1.0).contains(&p), "a probability between 0 and 1, e.g. 0.01")
}

/// A drift rate in `[0, 1)`: 1 would stop the clock.
pub fn drift(text: &str) -> Result<f64, String> {
    fraction(
        text,
        |r| (0.0..1.0).contains(&r),
        "a fraction at least 0 and below 1, e.g. 0.1 for a clock 10% slow",
    )
}

fn fraction(text: &str, ok: impl Fn(f64) -> bool, expected: &str) -> Result<f64, String> {
    no_whitespace(text).map_err(|e| e.to_string())?;
    match text.parse::<f64>() {
        Ok(x) if ok(x) => Ok(x),
        _ if is_negative(text) => Err(format!("{} is negative: expected {expected}", Quoted(text))),
        _ => Err(format!("{} is not valid: expected {expected}", Quoted(text))),
    }
}

/// A whole number, 0 or more, of any unsigned type; limits of their own are checked by the caller.
pub fn whole<T: FromStr<Err = ParseIntError>>(text: &str) -> Result<T, String> {
    parse_whole(text, "a whole number, 0 or more")
}

/// A whole number of `unit` in `range`, which the error names.
pub fn whole_in<T>(text: &str, range: RangeInclusive<T>, unit: &str) -> Result<T, String>
where
    T: FromStr<Err = ParseIntError> + PartialOrd + fmt::Display,
{
    let expected = format!("a whole number of {unit} from {} to {}", range.start(), range.end());
    match parse_whole(text, &expected)? {
        n if range.contains(&n) => Ok(n),
        _ => Err(format!("{} is out of range: expected {expected}", Quoted(text))),
    }
}

fn parse_whole<T: FromStr<Err = ParseIntError>>(text: &str, expected: &str) -> Result<T, String> {
    no_whitespace(text).map_err(|e| e.to_string())?;
    text.parse::<T>().map_err(|e| match e.kind() {
        IntErrorKind::PosOverflow => format!("{} is too large: expected {expected}", Quoted(text)),
        _ if is_negative(text) => format!("{} is negative: expected {expected}", Quoted(text)),
        _ => format!("{} is not valid: expected {expected}", Quoted(text)),
    })
}

/// Where stalls happen. `PausePoint` lives in the engine-neutral node layer, which should not
/// depend on clap, hence this mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PauseAt {
    /// Just after the grant, before the margin check.
    P1,
    /// After the last check, before the work.
    P2,
}

impl From<PauseAt> for PausePoint {
    fn from(p: PauseAt) -> PausePoint {
        match p {
            PauseAt::P1 => PausePoint::P1,
            PauseAt::P2 => PausePoint::P2,
        }
    }
}

impl From<PausePoint> for PauseAt {
    fn from(p: PausePoint) -> PauseAt {
        match p {
            PausePoint::P1 => PauseAt::P1,
            PausePoint::P2 => PauseAt::P2,
        }
    }
}

/// The workload without its parameters: `--decide-by` is a flag of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkloadKind {
    /// A shared counter.
    Increment,
    /// Consensus from a lock.
    Consensus,
}

impl WorkloadKind {
    /// The workload, deciding by `decide_by` when it is consensus.
    pub fn with(self, decide_by: DecideBy) -> Workload {
        match self {
            WorkloadKind::Increment => Workload::Increment,
            WorkloadKind::Consensus => Workload::Consensus { decide_by },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_and_drift_stay_in_range() {
        assert_eq!(probability("0.25"), Ok(0.25));
        assert_eq!(probability("1"), Ok(1.0));
        for bad in ["1.5", "-0.1", "NaN", "inf", "lots"] {
            assert!(probability(bad).is_err(), "{bad}");
        }
        assert_eq!(drift("0.1"), Ok(0.1));
        assert!(drift("1").is_err());
        assert!(drift("-0.1").is_err());
    }

    #[test]
    fn errors_say_what_is_wrong_with_what_was_typed() {
        assert_eq!(
            probability("-0.1"),
            Err("'-0.1' is negative: expected a probability between 0 and 1, e.g. 0.01".into())
        );
        assert!(probability("1e400").unwrap_err().starts_with("'1e400' is not valid"));
        assert!(drift("-0.5").unwrap_err().starts_with("'-0.5' is negative"));
        assert_eq!(whole::<u64>("-3"), Err("'-3' is negative: expected a whole number, 0 or more".into()));
        assert!(
            whole::<u64>("99999999999999999999")
                .unwrap_err()
                .starts_with("'99999999999999999999' is too large")
        );
        assert!(whole::<usize>("3x").unwrap_err().starts_with("'3x' is not valid"));
        assert_eq!(whole::<usize>("42"), Ok(42));
        assert_eq!(whole_in::<u32>("7", 1..=9, "rounds"), Ok(7));
        assert_eq!(
            whole_in::<u32>("0", 1..=9, "rounds"),
            Err("'0' is out of range: expected a whole number of rounds from 1 to 9".into())
        );
        assert_eq!(
            whole_in::<u32>("-2", 1..=9, "rounds"),
            Err("'-2' is negative: expected a whole number of rounds from 1 to 9".into())
        );
    }

    #[test]
    fn whitespace_is_refused_not_trimmed() {
        for text in [" 0.5", "0.5 ", "0 .5"] {
            assert!(probability(text).unwrap_err().contains("contains whitespace"), "{text:?}");
            assert!(drift(text).unwrap_err().contains("contains whitespace"), "{text:?}");
        }
        assert!(whole::<u64>(" 3").unwrap_err().contains("contains whitespace"));
    }
}
