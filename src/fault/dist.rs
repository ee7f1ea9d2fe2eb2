//! Stall and delay distributions, written the way the command line reads them.
//!
//! | text | meaning |
//! |---|---|
//! | `none` | always zero |
//! | `fixed:30ms` | always 30 ms |
//! | `exp:5ms` | exponential with mean 5 ms |
//! | `pareto:1.5:2ms` | Pareto with shape α = 1.5 and scale x_m = 2 ms (heavy tail) |
//! | `uniform:1ms:5ms` | uniform between 1 ms and 5 ms |
//! | `DIST@q` | DIST with probability q, otherwise zero (e.g. `fixed:30ms@0.01`) |
//!
//! Sampling uses inverse transforms on one uniform draw, so a seed gives the same values on every
//! run. [`Dist::tail`] is the exact survival function the analytic predictions use.

use crate::input::{Quoted, Whitespace, is_negative, no_whitespace};
use crate::time::{DurationError, Human, Nanos, parse_duration};
use rand::Rng;
use std::fmt;

/// The largest value a sample may take (about 11.6 days): heavy tails are cut here so that
/// virtual time cannot overflow.
pub const MAX_SAMPLE: Nanos = 1_000_000 * crate::time::SEC;

/// A distribution over non-negative durations.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Always zero.
    None,
    /// Always the same value.
    Fixed(Nanos),
    /// Exponential with this mean.
    Exp { mean: Nanos },
    /// Pareto with shape `alpha` and scale `scale` (the minimum value).
    Pareto { alpha: f64, scale: Nanos },
    /// Uniform on `[lo, hi]`.
    Uniform { lo: Nanos, hi: Nanos },
    /// `inner` with probability `q`, zero otherwise.
    Maybe { q: f64, inner: Box<Dist> },
}

/// Why a distribution did not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistError {
    /// The kind before the first colon is unknown.
    #[error(
        "unknown distribution {}: use none, fixed:D, exp:MEAN, pareto:SHAPE:SCALE, uniform:LO:HI, optionally followed by @PROBABILITY",
        Quoted(.0)
    )]
    UnknownKind(String),
    /// The kind is known but has the wrong number of parameters.
    #[error("{} has the wrong parameters: expected {}", Quoted(.0), .1)]
    Parameters(String, &'static str),
    /// A duration inside the distribution is malformed.
    #[error(transparent)]
    Duration(#[from] DurationError),
    /// A number (shape or probability) is malformed or out of range, as the user wrote it.
    #[error("{} is not valid: {}", Quoted(.0), .1)]
    Number(String, &'static str),
    /// Spaces around or inside the distribution.
    #[error(transparent)]
    Whitespace(#[from] Whitespace),
}

impl Dist {
    /// Parses the text forms in the module docs.
    pub fn parse(text: &str) -> Result<Dist, DistError> {
        no_whitespace(text)?;
        // `--pause -5ms` means a (negative) duration, not some unknown kind of distribution.
        if is_negative(text) {
            return Err(DurationError::Negative(text.to_string()).into());
        }
        if let Some((inner, q_text)) = text.rsplit_once('@') {
            let probability = || DistError::Number(q_text.to_string(), "a probability between 0 and 1");
            let q: f64 = q_text.parse().map_err(|_| probability())?;
            if !(0.0..=1.0).contains(&q) {
                return Err(probability());
            }
            let inner = Dist::parse(inner)?;
            return Ok(Dist::Maybe { q, inner: Box::new(inner) });
        }
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            ["none"] | ["0"] => Ok(Dist::None),
            ["fixed", d] => Ok(Dist::Fixed(parse_duration(d)?)),
            ["exp", m] => Ok(Dist::Exp { mean: parse_duration(m)? }),
            ["pareto", a, s] => {
                let alpha: f64 = a
                    .parse()
                    .ok()
                    .filter(|a: &f64| a.is_finite() && *a > 0.0)
                    .ok_or_else(|| DistError::Number(a.to_string(), "a Pareto shape greater than 0"))?;
                let scale = parse_duration(s)?;
                if scale == 0 {
                    return Err(DistError::Number(s.to_string(), "a Pareto scale greater than 0"));
                }
                Ok(Dist::Pareto { alpha, scale })
            }
            ["uniform", lo, hi] => {
                let (lo, hi) = (parse_duration(lo)?, parse_duration(hi)?);
                if lo > hi {
                    return Err(DistError::Parameters(text.to_string(), "uniform:LO:HI with LO <= HI"));
                }
                Ok(Dist::Uniform { lo, hi })
            }
            ["fixed" | "exp", ..] => {
                Err(DistError::Parameters(text.to_string(), "one duration, e.g. exp:5ms"))
            }
            ["pareto", ..] => {
                Err(DistError::Parameters(text.to_string(), "pareto:SHAPE:SCALE, e.g. pareto:1.5:2ms"))
            }
            ["uniform", ..] => {
                Err(DistError::Parameters(text.to_string(), "uniform:LO:HI, e.g. uniform:1ms:5ms"))
            }
            _ => Err(DistError::UnknownKind(text.to_string())),
        }
    }

    /// True when every draw is zero.
    pub fn is_none(&self) -> bool {
        match self {
            Dist::None | Dist::Fixed(0) | Dist::Exp { mean: 0 } | Dist::Uniform { lo: 0, hi: 0 } => true,
            Dist::Maybe { q, inner } => *q == 0.0 || inner.is_none(),
            _ => false,
        }
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Nanos {
        let clamp = |x: f64| if x >= MAX_SAMPLE as f64 { MAX_SAMPLE } else { x.max(0.0) as Nanos };
        match self {
            Dist::None => 0,
            Dist::Fixed(d) => *d,
            Dist::Exp { mean } => {
                let u: f64 = rng.random();
                clamp(-(*mean as f64) * (1.0 - u).ln())
            }
            Dist::Pareto { alpha, scale } => {
                let u: f64 = rng.random();
                clamp(*scale as f64 * (1.0 - u).powf(-1.0 / alpha))
            }
            Dist::Uniform { lo, hi } => rng.random_range(*lo..=*hi),
            Dist::Maybe { q, inner } => {
                let u: f64 = rng.random();
                if u < *q { inner.sample(rng) } else { 0 }
            }
        }
    }

    /// `P(X > x)`, exactly (before the cut at [`MAX_SAMPLE`]).
    pub fn tail(&self, x: f64) -> f64 {
        if x < 0.0 {
            return 1.0;
        }
        match self {
            Dist::None => 0.0,
            Dist::Fixed(d) => f64::from(u8::from((*d as f64) > x)),
            Dist::Exp { mean } => {
                if *mean == 0 {
                    0.0
                } else {
                    (-x / *mean as f64).exp()
                }
            }
            Dist::Pareto { alpha, scale } => {
                let s = *scale as f64;
                if x < s { 1.0 } else { (s / x).powf(*alpha) }
            }
            Dist::Uniform { lo, hi } => {
                let (lo, hi) = (*lo as f64, *hi as f64);
                if x < lo {
                    1.0
                } else if x >= hi {
                    0.0
                } else {
                    (hi - x) / (hi - lo)
                }
            }
            Dist::Maybe { q, inner } => q * inner.tail(x),
        }
    }

    /// A typical size, for derived defaults (the mean where it is finite, the scale otherwise).
    pub fn typical(&self) -> Nanos {
        match self {
            Dist::None => 0,
            Dist::Fixed(d) => *d,
            Dist::Exp { mean } => *mean,
            Dist::Pareto { alpha, scale } if *alpha > 1.0 => (*scale as f64 * alpha / (alpha - 1.0)) as Nanos,
            Dist::Pareto { scale, .. } => *scale,
            Dist::Uniform { lo, hi } => (lo + hi) / 2,
            Dist::Maybe { inner, .. } => inner.typical(),
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dist::None => write!(f, "none"),
            Dist::Fixed(d) => write!(f, "fixed:{}", Human(*d)),
            Dist::Exp { mean } => write!(f, "exp:{}", Human(*mean)),
            Dist::Pareto { alpha, scale } => write!(f, "pareto:{alpha}:{}", Human(*scale)),
            Dist::Uniform { lo, hi } => write!(f, "uniform:{}:{}", Human(*lo), Human(*hi)),
            Dist::Maybe { q, inner } => write!(f, "{inner}@{q}"),
        }
    }
}

impl serde::Serialize for Dist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for Dist {
    type Err = DistError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dist::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MS;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn parses_and_prints_every_form() {
        for text in ["none", "fixed:30ms", "exp:5ms", "pareto:1.5:2ms", "uniform:1ms:5ms", "fixed:30ms@0.25"]
        {
            let d = Dist::parse(text).unwrap();
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(Dist::parse("exp:5ms").unwrap(), Dist::Exp { mean: 5 * MS });
    }

    #[test]
    fn rejects_malformed_text() {
        assert!(matches!(Dist::parse("gauss:1ms"), Err(DistError::UnknownKind(_))));
        assert!(matches!(Dist::parse("exp"), Err(DistError::Parameters(..))));
        assert!(matches!(Dist::parse("pareto:-1:2ms"), Err(DistError::Number(..))));
        assert!(matches!(Dist::parse("fixed:3ms@1.5"), Err(DistError::Number(..))));
        assert!(matches!(Dist::parse("exp:5"), Err(DistError::Duration(_))));
        assert!(matches!(Dist::parse("uniform:5ms:1ms"), Err(DistError::Parameters(..))));
    }

    #[test]
    fn errors_quote_what_was_typed() {
        // 1e400 parses as infinity; the error must show the text, not 'inf'.
        let err = Dist::parse("fixed:1ms@1e400").unwrap_err().to_string();
        assert!(err.starts_with("'1e400' is not valid: a probability"), "{err}");
        let err = Dist::parse("fixed:-5ms").unwrap_err();
        assert_eq!(err, DistError::Duration(DurationError::Negative("-5ms".into())));
        assert!(err.to_string().contains("a duration cannot be negative"), "{err}");
        assert_eq!(Dist::parse("-5ms"), Err(DistError::Duration(DurationError::Negative("-5ms".into()))));
        let long = format!("gauss:{}", "1".repeat(100_000));
        assert!(Dist::parse(&long).unwrap_err().to_string().len() < 300);
    }

    #[test]
    fn whitespace_is_refused_not_trimmed() {
        for text in [" exp:5ms", "exp:5ms ", "exp: 5ms", "fixed:1ms@ 0.5"] {
            assert!(matches!(Dist::parse(text), Err(DistError::Whitespace(_))), "{text:?}");
        }
    }

    /// The empirical tail of each sampler agrees with its closed-form tail within 4 standard
    /// errors of a binomial proportion.
    #[test]
    fn samples_follow_their_tails() {
        let n = 200_000;
        let cases = [
            (Dist::Exp { mean: 5 * MS }, 5.0 * MS as f64),
            (Dist::Pareto { alpha: 1.5, scale: 2 * MS }, 4.0 * MS as f64),
            (Dist::Uniform { lo: MS, hi: 5 * MS }, 2.0 * MS as f64),
            (Dist::parse("exp:5ms@0.3").unwrap(), 1.0 * MS as f64),
        ];
        for (d, x) in cases {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let hits = (0..n).filter(|_| d.sample(&mut rng) as f64 > x).count();
            let p = d.tail(x);
            let tol = 4.0 * (p * (1.0 - p) / n as f64).sqrt();
            let got = hits as f64 / n as f64;
            assert!((got - p).abs() <= tol, "{d}: P(X > {x}) = {got}, expected {p} ± {tol}");
        }
    }
}
