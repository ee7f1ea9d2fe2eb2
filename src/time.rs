//! Time as integer nanoseconds, and durations as people write them.
//!
//! Every engine speaks [`Nanos`]: the simulator counts virtual nanoseconds, the threaded engine
//! converts wall-clock instants. Integers keep the simulator exact: two runs with one seed agree to
//! the bit, which floating-point time would not promise.

use crate::input::{Quoted, Whitespace, is_negative, no_whitespace};
use std::fmt;

/// A point in time or a span of time, in nanoseconds.
pub type Nanos = u64;

/// One microsecond.
pub const US: Nanos = 1_000;
/// One millisecond.
pub const MS: Nanos = 1_000_000;
/// One second.
pub const SEC: Nanos = 1_000_000_000;
/// One minute.
pub const MIN: Nanos = 60 * SEC;
/// One hour.
pub const HOUR: Nanos = 60 * MIN;
/// One day.
pub const DAY: Nanos = 24 * HOUR;

/// The units a duration is written in, with their lengths. No year: years differ in length, and
/// a day is exact.
const UNITS: [(&str, Nanos); 8] =
    [("ns", 1), ("us", US), ("µs", US), ("ms", MS), ("s", SEC), ("min", MIN), ("h", HOUR), ("d", DAY)];

/// The longest duration: what 64-bit nanoseconds hold, with room to add to it.
const MAX_NANOS: f64 = 1.6e19;

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The text had no number in front.
    #[error("{} is not a duration: expected a number and a unit, e.g. 250us, 10ms, 2s", Quoted(.0))]
    NotANumber(String),
    /// The unit is not one of ns, us, ms, s, min, h, d.
    #[error("{} has no known unit: use ns, us, ms, s, min, h or d (e.g. 10ms, 2h)", Quoted(.0))]
    UnknownUnit(String),
    /// A minus sign in front of the number.
    #[error("{} is negative: a duration cannot be negative", Quoted(.0))]
    Negative(String),
    /// The number was infinite or too large for 64-bit nanoseconds.
    #[error("{} is out of range: a duration is at most {MAX_NANOS:e}ns (about 185000d, or 500 years)", Quoted(.0))]
    OutOfRange(String),
    /// Spaces around or inside the duration.
    #[error(transparent)]
    Whitespace(#[from] Whitespace),
}

/// Parses `250us`, `10ms`, `1.5s`, `2h`, `1e3ms`, `0`: a non-negative number, in decimal or
/// scientific notation, and a unit (ns, us/µs, ms, s, min, h, d). A bare `0` needs no unit; any
/// other number does, because `10` alone is ambiguous.
pub fn parse_duration(text: &str) -> Result<Nanos, DurationError> {
    no_whitespace(text)?;
    if is_negative(text) {
        return Err(DurationError::Negative(text.to_string()));
    }
    if text == "0" {
        return Ok(0);
    }
    let (number, unit) = text.split_at(number_length(text));
    if unit.is_empty() {
        return Err(DurationError::UnknownUnit(text.to_string()));
    }
    let value: f64 = number.parse().map_err(|_| DurationError::NotANumber(text.to_string()))?;
    let scale = match UNITS.iter().find(|(name, _)| *name == unit) {
        Some(&(_, scale)) => scale as f64,
        None => return Err(DurationError::UnknownUnit(text.to_string())),
    };
    let nanos = (value * scale).round();
    if !nanos.is_finite() || !(0.0..=MAX_NANOS).contains(&nanos) {
        return Err(DurationError::OutOfRange(text.to_string()));
    }
    Ok(nanos as Nanos)
}

/// The length of the number at the start of `text`: digits and points, then an exponent (`e`,
/// an optional sign, digits) if one follows. No unit starts with `e`, so `1e400s` is a number too
/// large, not a number with an unknown unit.
fn number_length(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mantissa = bytes.iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
    let mut end = mantissa;
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        end += 1;
        if matches!(bytes.get(end), Some(b'+' | b'-')) {
            end += 1;
        }
        let digits = bytes[end..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return mantissa;
        }
        end += digits;
    }
    end
}

/// A duration printed the way [`parse_duration`] reads it back, in the largest unit that keeps it
/// short: `1.5ms`, `250us`, `2s`.
pub struct Human(pub Nanos);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let (scale, unit) = match n {
            0 => return write!(f, "0"),
            n if n >= SEC => (SEC, "s"),
            n if n >= MS => (MS, "ms"),
            n if n >= US => (US, "us"),
            _ => (1, "ns"),
        };
        let whole = n / scale;
        let frac = n % scale;
        if frac == 0 {
            write!(f, "{whole}{unit}")
        } else {
            let text = format!("{:.3}", n as f64 / scale as f64);
            let text = text.trim_end_matches('0').trim_end_matches('.');
            write!(f, "{text}{unit}")
        }
    }
}

/// A duration printed exactly, in the largest unit that keeps it whole before the point:
/// `1.23456ms`, `10ms`, `7ns`. What a configuration is written as, so that it reads back to the
/// same nanosecond ([`Human`] rounds, for reports).
pub struct Exact(pub Nanos);

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let (scale, unit, digits) = match n {
            0 => return write!(f, "0"),
            n if n >= SEC => (SEC, "s", 9),
            n if n >= MS => (MS, "ms", 6),
            n if n >= US => (US, "us", 3),
            _ => return write!(f, "{n}ns"),
        };
        let (whole, frac) = (n / scale, n % scale);
        if frac == 0 {
            return write!(f, "{whole}{unit}");
        }
        let frac = format!("{frac:0digits$}");
        write!(f, "{whole}.{}{unit}", frac.trim_end_matches('0'))
    }
}

/// Serde helper: a duration as its exact text (`"10ms"`), so JSON reads like the flags and reads
/// back to the same value.
pub mod human {
    use super::{Exact, Nanos, parse_duration};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `nanos` as text such as `"10ms"`.
    pub fn serialize<S: Serializer>(nanos: &Nanos, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&Exact(*nanos))
    }

    /// Reads text such as `"10ms"`, as the flags do.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Nanos, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_units_people_write() {
        assert_eq!(parse_duration("250us"), Ok(250 * US));
        assert_eq!(parse_duration("10ms"), Ok(10 * MS));
        assert_eq!(parse_duration("2s"), Ok(2 * SEC));
        assert_eq!(parse_duration("1.5ms"), Ok(1_500 * US));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("0"), Ok(0));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        assert!(matches!(parse_duration("10"), Err(DurationError::UnknownUnit(_))));
        assert!(matches!(parse_duration("ms"), Err(DurationError::NotANumber(_))));
        assert!(matches!(parse_duration("-3ms"), Err(DurationError::Negative(_))));
        assert!(matches!(parse_duration("3m"), Err(DurationError::UnknownUnit(_))), "minutes or milli?");
        assert!(matches!(parse_duration("1e30s"), Err(DurationError::OutOfRange(_))));
    }

    /// Issue 15: `--horizon 400y` had "no known unit" beside a range error in years, and `1e400s`
    /// blamed its unit for its number.
    #[test]
    fn minutes_hours_and_days_and_numbers_too_large_for_any_unit() {
        assert_eq!(parse_duration("90min"), Ok(90 * MIN));
        assert_eq!(parse_duration("2h"), Ok(2 * HOUR));
        assert_eq!(parse_duration("1.5d"), Ok(36 * HOUR));
        assert_eq!(parse_duration("1e3ms"), Ok(SEC));
        assert_eq!(parse_duration("2.5E-3s"), Ok(2_500 * US));
        assert_eq!(parse_duration("185000d"), Ok(185_000 * DAY));
        assert_eq!(parse_duration("1.6e19ns"), Ok(16_000_000_000_000_000_000));
        for text in ["1e400s", "185186d", "1e6d"] {
            let err = parse_duration(text).unwrap_err();
            assert_eq!(err, DurationError::OutOfRange(text.into()));
            assert!(err.to_string().ends_with("at most 1.6e19ns (about 185000d, or 500 years)"), "{err}");
        }
        let err = parse_duration("400y").unwrap_err();
        assert!(matches!(err, DurationError::UnknownUnit(_)), "{err}");
        assert!(err.to_string().contains("min, h or d"), "{err}");
        assert!(matches!(parse_duration("1e"), Err(DurationError::UnknownUnit(_))), "an e alone is a unit");
        assert!(matches!(parse_duration("1.2.3ms"), Err(DurationError::NotANumber(_))));
    }

    #[test]
    fn a_negative_duration_says_so() {
        for text in ["-5ms", "-0.5s", "-0"] {
            let err = parse_duration(text).unwrap_err();
            assert_eq!(err, DurationError::Negative(text.into()));
            assert_eq!(err.to_string(), format!("'{text}' is negative: a duration cannot be negative"));
        }
    }

    #[test]
    fn whitespace_is_refused_not_trimmed() {
        for text in [" 10ms", "10ms ", "10 ms", "\t0"] {
            assert!(matches!(parse_duration(text), Err(DurationError::Whitespace(_))), "{text:?}");
        }
    }

    #[test]
    fn errors_quote_a_short_prefix_of_a_long_value() {
        let long = format!("1{}ms", "0".repeat(100_000));
        let err = parse_duration(&long).unwrap_err().to_string();
        assert!(err.len() < 200, "{err}");
        assert!(err.starts_with("'1000") && err.contains("(100003 characters)"), "{err}");
    }

    #[test]
    fn exact_text_reads_back_to_the_nanosecond() {
        for n in [0, 7, 999, 1_000, 1_234_567, 10 * MS, 1_234_567_891, 5 * SEC, 16_000_000_000_000_000_000] {
            assert_eq!(parse_duration(&Exact(n).to_string()), Ok(n), "{}", Exact(n));
        }
        assert_eq!(Exact(1_234_560).to_string(), "1.23456ms");
    }

    #[test]
    fn prints_what_it_parses() {
        for text in ["250us", "10ms", "2s", "1.5ms", "7ns", "0"] {
            assert_eq!(Human(parse_duration(text).unwrap()).to_string(), text);
        }
    }
}

/// Serde helper: an optional duration as its exact text, or `null`.
pub mod human_opt {
    use super::{Exact, Nanos, parse_duration};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `Some(nanos)` as text such as `"10ms"`, `None` as `null`.
    pub fn serialize<S: Serializer>(nanos: &Option<Nanos>, s: S) -> Result<S::Ok, S::Error> {
        match nanos {
            Some(n) => s.collect_str(&Exact(*n)),
            None => s.serialize_none(),
        }
    }

    /// Reads text such as `"10ms"`, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Nanos>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => parse_duration(&text).map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}
