//! Stall and delay distributions, written the way the command line reads them.
//!
//! | text | meaning |
//! |---|---|
//! | `none` | always zero |
//! | `fixed:30ms` | always 30 ms |
//! | `exp:5ms` | exponential with mean 5 ms |
//! | `pareto:1.5:2ms` | Pareto with shape α = 1.5 and scale x_m = 2 ms (heavy tail) |
//! | `uniform:1ms:5ms` | uniform between 1 ms and 5 ms |
//! | `file:PATH` | the pauses of a log, resampled ([`super::empirical`], [`super::gclog`]: one duration per line, JVM, Go or Node GC logs) |
//! | `file+tail:PATH` | the same, with a Pareto tail fitted beyond its threshold (Hill) |
//! | `DIST@q` | DIST with probability q, otherwise zero (e.g. `fixed:30ms@0.01`) |
//!
//! A `file:` law reads its file when the text is parsed (and again when a configuration that
//! holds it is read back from JSON); it prints back as the path it was given. A path whose last
//! `@` is followed by a number reads as `file:PATH@q`.
//!
//! Sampling uses inverse transforms on one uniform draw, so a seed gives the same values on every
//! run. [`Dist::tail`] is the exact survival function the analytic predictions use;
//! [`Dist::tail_from`] is the same with the point itself included, which differs only at an atom
//! (a fixed value, or the zero of `@q`), and [`Dist::capped_mean`] and
//! [`Dist::capped_second_moment`] are the moments of `min(X, c)`, which is what a hold of a lock
//! that a lease cuts off at `c` is made of.
//!
//! All four describe the continuous law before samples are made whole nanoseconds (and, for the
//! uniform, before it becomes the uniform on the whole nanoseconds of `[lo, hi]`): the difference
//! is below a nanosecond in every mean.

use super::empirical::{Empirical, EmpiricalError};
use crate::input::{Quoted, Whitespace, is_negative, no_whitespace};
use crate::time::{DurationError, Exact, Nanos, parse_duration};
use rand::Rng;
use std::fmt;
use std::sync::Arc;

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
    /// The pauses of a user's log, resampled, with or without a fitted tail (`file:PATH`,
    /// `file+tail:PATH`).
    Data(Arc<Empirical>),
}

/// Why a distribution did not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistError {
    /// The kind before the first colon is unknown.
    #[error(
        "unknown distribution {}: use none, fixed:D, exp:MEAN, pareto:SHAPE:SCALE, uniform:LO:HI, file:PATH, file+tail:PATH, optionally followed by @PROBABILITY",
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
    /// A `file:` or `file+tail:` law whose log could not be read or fitted (the message names
    /// the path).
    #[error(transparent)]
    Data(#[from] EmpiricalError),
}

impl Dist {
    /// Parses the text forms in the module docs.
    pub fn parse(text: &str) -> Result<Dist, DistError> {
        no_whitespace(text)?;
        // `--pause -5ms` means a (negative) duration, not some unknown kind of distribution.
        if is_negative(text) {
            return Err(DurationError::Negative(text.to_string()).into());
        }
        // A path may hold an `@`: only an `@` followed by a number makes `file:PATH@q`.
        let at_q = text.rsplit_once('@').is_some_and(|(_, q)| q.parse::<f64>().is_ok());
        if !at_q {
            for (prefix, with_tail) in [("file:", false), ("file+tail:", true)] {
                if let Some(path) = text.strip_prefix(prefix) {
                    if path.is_empty() {
                        return Err(DistError::Parameters(text.to_string(), "a path, e.g. file:gc.log"));
                    }
                    return Ok(Dist::Data(Arc::new(Empirical::load(path, with_tail)?)));
                }
            }
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
            // A bare duration where a distribution is expected means that duration, every time.
            [d] if parse_duration(d).is_ok() => Ok(Dist::Fixed(parse_duration(d)?)),
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
            Dist::Data(e) => e.is_none(),
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
            Dist::Data(e) => e.sample(rng),
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
            Dist::Data(e) => e.tail(x),
        }
    }

    /// `P(X >= x)`, exactly (before the cut at [`MAX_SAMPLE`]): [`tail`](Self::tail) plus the atom
    /// at `x`, if there is one.
    pub fn tail_from(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 1.0;
        }
        match self {
            Dist::Fixed(d) => f64::from(u8::from((*d as f64) >= x)),
            Dist::Uniform { lo, hi } if lo == hi => f64::from(u8::from((*lo as f64) >= x)),
            Dist::Maybe { q, inner } => q * inner.tail_from(x),
            // Atoms at every pause, and a continuous tail.
            Dist::Data(e) => e.tail_from(x),
            // Continuous above zero: no atom at `x > 0`.
            _ => self.tail(x),
        }
    }

    /// `E[min(X, c)]`, the mean of a draw capped at `c` (a partial expectation), exactly and before
    /// the cut at [`MAX_SAMPLE`]. `c` may be infinite, which gives the mean, itself infinite for a
    /// Pareto shape of 1 or less.
    ///
    /// Every case is `∫_0^c P(X > s) ds`, the integral of [`tail`](Self::tail).
    pub fn capped_mean(&self, c: f64) -> f64 {
        if c <= 0.0 {
            return c;
        }
        match self {
            Dist::None => 0.0,
            Dist::Fixed(d) => (*d as f64).min(c),
            Dist::Exp { mean } => {
                let mu = *mean as f64;
                if mu == 0.0 { 0.0 } else { -mu * (-c / mu).exp_m1() }
            }
            Dist::Pareto { alpha, scale } => {
                let s = *scale as f64;
                if c <= s { c } else { s + s * power_integral(c / s, *alpha - 1.0) }
            }
            Dist::Uniform { lo, hi } => {
                let (lo, hi) = (*lo as f64, *hi as f64);
                if c <= lo {
                    c
                } else if c >= hi {
                    (lo + hi) / 2.0
                } else {
                    ((c * c - lo * lo) / 2.0 + c * (hi - c)) / (hi - lo)
                }
            }
            Dist::Maybe { q, inner } => q * inner.capped_mean(c),
            Dist::Data(e) => e.capped_mean(c),
        }
    }

    /// `E[min(X, c)^2]`, exactly and before the cut at [`MAX_SAMPLE`]; infinite `c` gives
    /// `E[X^2]`, itself infinite for a Pareto shape of 2 or less. With
    /// [`capped_mean`](Self::capped_mean) it gives the variance of anything made of `min(X, c)`.
    ///
    /// Every case is `∫_0^c 2s P(X > s) ds`.
    pub fn capped_second_moment(&self, c: f64) -> f64 {
        if c <= 0.0 {
            return c * c;
        }
        match self {
            Dist::None => 0.0,
            Dist::Fixed(d) => (*d as f64).min(c).powi(2),
            Dist::Exp { mean } => {
                let mu = *mean as f64;
                if mu == 0.0 {
                    0.0
                } else if c.is_infinite() {
                    2.0 * mu * mu
                } else {
                    let x = c / mu;
                    // 2μ²(1 - e^{-x}(1 + x)), written so that a small x loses no digits.
                    2.0 * mu * mu * (-(-x).exp_m1() - x * (-x).exp())
                }
            }
            Dist::Pareto { alpha, scale } => {
                let s = *scale as f64;
                if c <= s { c * c } else { s * s + 2.0 * s * s * power_integral(c / s, *alpha - 2.0) }
            }
            Dist::Uniform { lo, hi } => {
                let (lo, hi) = (*lo as f64, *hi as f64);
                let c = c.min(hi);
                if c <= lo { c * c } else { ((c.powi(3) - lo.powi(3)) / 3.0 + c * c * (hi - c)) / (hi - lo) }
            }
            Dist::Maybe { q, inner } => q * inner.capped_second_moment(c),
            Dist::Data(e) => e.capped_second_moment(c),
        }
    }

    /// `P(draw > x)` for the draws [`sample`](Self::sample) makes, which are whole nanoseconds
    /// cut at [`MAX_SAMPLE`]: the law a rare-event estimator must weigh exactly, since it decides
    /// by these draws. For a continuous law a draw exceeds `x` exactly when the value before it
    /// was made whole reached `x + 1`.
    pub fn tail_nanos(&self, x: Nanos) -> f64 {
        if x >= MAX_SAMPLE {
            return 0.0;
        }
        match self {
            Dist::None => 0.0,
            Dist::Fixed(d) => f64::from(u8::from(*d > x)),
            Dist::Uniform { lo, hi } => {
                if x < *lo {
                    1.0
                } else if x >= *hi {
                    0.0
                } else {
                    (hi - x) as f64 / (hi - lo + 1) as f64
                }
            }
            Dist::Maybe { q, inner } => q * inner.tail_nanos(x),
            Dist::Data(e) => e.tail_nanos(x),
            Dist::Exp { .. } | Dist::Pareto { .. } => self.tail_from((x + 1) as f64),
        }
    }

    /// One draw of [`sample`](Self::sample)'s law conditioned on exceeding `x`, or `None` when no
    /// draw can ([`tail_nanos`](Self::tail_nanos) is 0). The proposals of the rare-event
    /// estimator are made of it.
    pub fn sample_beyond<R: Rng + ?Sized>(&self, x: Nanos, rng: &mut R) -> Option<Nanos> {
        if self.tail_nanos(x) <= 0.0 {
            return None;
        }
        let clamp = |v: f64| if v >= MAX_SAMPLE as f64 { MAX_SAMPLE } else { v.max(0.0) as Nanos };
        let from = (x + 1) as f64;
        match self {
            Dist::None => None,
            Dist::Fixed(d) => Some(*d),
            // Memoryless: beyond `from`, the same exponential again.
            Dist::Exp { mean } => {
                let u: f64 = rng.random();
                Some(clamp(from - (*mean as f64) * (1.0 - u).ln()))
            }
            // A Pareto law beyond a point above its scale is the Pareto law with that point as scale.
            Dist::Pareto { alpha, scale } => {
                let u: f64 = rng.random();
                Some(clamp((*scale as f64).max(from) * (1.0 - u).powf(-1.0 / alpha)))
            }
            Dist::Uniform { lo, hi } => Some(rng.random_range((*lo).max(x + 1)..=*hi)),
            // Beyond zero, only the inner law's draws remain.
            Dist::Maybe { inner, .. } => inner.sample_beyond(x, rng),
            Dist::Data(e) => e.sample_beyond(x, rng),
        }
    }

    /// The smallest whole `x` with `P(draw > x) <= p`: the point beyond which a fraction `p` of
    /// the draws lie. Found by bisection on [`tail_nanos`](Self::tail_nanos), which every law
    /// has, so it needs nothing of a law's shape.
    pub fn beyond_quantile(&self, p: f64) -> Nanos {
        let (mut lo, mut hi) = (0, MAX_SAMPLE);
        if self.tail_nanos(0) <= p {
            return 0;
        }
        // Invariant: tail_nanos(lo) > p >= tail_nanos(hi).
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.tail_nanos(mid) > p { lo = mid } else { hi = mid }
        }
        hi
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
            Dist::Data(e) => e.typical(),
        }
    }

    /// The smallest rate per stall the law can speak for: `Some(1/n)` for the `n` pauses of a
    /// `file:` law without a tail (no draw exceeds the largest of them, so a rarer event is beyond
    /// what the data supports), scaled by `q` under `@q`; `None` for every other law, which has
    /// no floor.
    pub fn supported_floor(&self) -> Option<f64> {
        match self {
            Dist::Data(e) => e.supported_floor(),
            Dist::Maybe { q, inner } => inner.supported_floor().map(|f| q * f),
            _ => None,
        }
    }
}

/// `∫_1^r t^(-k-1) dt` for `r >= 1`: `(1 - r^(-k))/k`, or `ln r` at `k = 0`; the Pareto moments
/// reduce to it. Infinite `r` gives `1/k` for `k > 0` and infinity otherwise (the moment does not
/// exist).
fn power_integral(r: f64, k: f64) -> f64 {
    if r.is_infinite() {
        return if k > 0.0 { 1.0 / k } else { f64::INFINITY };
    }
    let ln = r.ln();
    // (1 - e^{-k ln r})/k, through exp_m1 so that a shape near the moment's edge loses no digits.
    if k == 0.0 { ln } else { -(-k * ln).exp_m1() / k }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dist::None => write!(f, "none"),
            Dist::Fixed(d) => write!(f, "fixed:{}", Exact(*d)),
            Dist::Exp { mean } => write!(f, "exp:{}", Exact(*mean)),
            Dist::Pareto { alpha, scale } => write!(f, "pareto:{alpha}:{}", Exact(*scale)),
            Dist::Uniform { lo, hi } => write!(f, "uniform:{}:{}", Exact(*lo), Exact(*hi)),
            Dist::Maybe { q, inner } => write!(f, "{inner}@{q}"),
            Dist::Data(e) => write!(f, "{e}"),
        }
    }
}

impl serde::Serialize for Dist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Dist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Dist::parse(&text).map_err(serde::de::Error::custom)
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
        // A bare duration is that duration every time.
        assert_eq!(Dist::parse("3ms").unwrap(), Dist::Fixed(3 * MS));
        assert_eq!(Dist::parse("0ms").unwrap(), Dist::Fixed(0));
        assert_eq!(Dist::parse("1.234567ms").unwrap().to_string(), "fixed:1.234567ms");
    }

    /// A log's pauses print back as the flag that read them, serialise as that text, and read
    /// back to an equal law.
    #[test]
    fn data_laws_print_back_as_their_flag() {
        for text in [G1, SERIAL_TAIL, "file:tests/data/gc/jvm17-g1-gc.log@0.5"] {
            let d = Dist::parse(text).unwrap();
            assert_eq!(d.to_string(), text);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Dist>(&json).unwrap(), d);
        }
        assert_ne!(Dist::parse(G1).unwrap(), Dist::parse("file+tail:tests/data/gc/jvm17-g1-gc.log").unwrap());
        let Dist::Data(g1) = Dist::parse(G1).unwrap() else { panic!("a data law") };
        assert_eq!((g1.pauses().len(), g1.has_tail()), (50, false));
        assert_eq!(Dist::parse(G1).unwrap().supported_floor(), Some(1.0 / 50.0));
        assert_eq!(
            Dist::parse("file:tests/data/gc/jvm17-g1-gc.log@0.5").unwrap().supported_floor(),
            Some(0.01)
        );
        assert_eq!(Dist::parse(SERIAL_TAIL).unwrap().supported_floor(), None);
        assert_eq!(Dist::Exp { mean: MS }.supported_floor(), None);
    }

    /// Without a tail nothing exceeds the largest pause; with one, something does.
    #[test]
    fn only_a_tail_reaches_beyond_the_largest_pause() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let plain = Dist::parse("file:tests/data/gc/jvm17-serial.log").unwrap();
        let Dist::Data(e) = &plain else { panic!("a data law") };
        let max = *e.pauses().last().unwrap();
        assert_eq!((plain.tail_nanos(max), plain.sample_beyond(max, &mut rng)), (0.0, None));
        assert!(plain.tail_nanos(max - 1) > 0.0);
        let tailed = Dist::parse(SERIAL_TAIL).unwrap();
        assert!(tailed.tail_nanos(max) > 0.0);
        assert!(tailed.sample_beyond(max, &mut rng).unwrap() > max);
    }

    #[test]
    fn a_bad_file_is_one_line_naming_it() {
        for (text, needle) in [
            ("file:tests/data/gc/no-such.log", "cannot read 'tests/data/gc/no-such.log'"),
            ("file:tests/data/gc", "'tests/data/gc' is a directory"),
            ("file:tests/data/gc/Alloc.java", "'tests/data/gc/Alloc.java': no pause in its"),
            (
                "file+tail:tests/data/gc/jvm17-zgc.log",
                "cannot fit a tail to 'tests/data/gc/jvm17-zgc.log': only 15",
            ),
        ] {
            let err = Dist::parse(text).unwrap_err().to_string();
            assert!(err.starts_with(needle) && !err.contains('\n'), "{text}: {err}");
        }
        assert!(matches!(Dist::parse("file:"), Err(DistError::Parameters(..))));
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

    /// A G1 log's 50 pauses (0.03 to 3.5 ms), resampled.
    const G1: &str = "file:tests/data/gc/jvm17-g1-gc.log";
    /// A Serial collector's 56 pauses (up to 7.2 ms), with the fitted tail.
    const SERIAL_TAIL: &str = "file+tail:tests/data/gc/jvm17-serial.log";

    fn cases() -> Vec<Dist> {
        let mut cases: Vec<Dist> =
            ["exp:5ms", "uniform:1ms:5ms", "exp:5ms@0.3", "fixed:3ms@0.25", "fixed:3ms", G1, SERIAL_TAIL]
                .iter()
                .map(|t| Dist::parse(t).unwrap())
                .collect();
        // alpha = 1 and 2 take the logarithmic branches of the first and second moments.
        for alpha in [0.8, 1.0, 1.5, 2.0, 2.5] {
            cases.push(Dist::Pareto { alpha, scale: 2 * MS });
        }
        cases
    }

    /// `∫_a^b f` by Simpson's rule on `n` (even) panels.
    fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
        let h = (b - a) / n as f64;
        let inner: f64 = (1..n).map(|i| f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 }).sum();
        (f(a) + inner + f(b)) * h / 3.0
    }

    /// The capped moments are the integrals of the tail they are derived from: an independent
    /// numerical check of every closed form, at caps below, inside and above each support.
    /// Simpson's rule is exact to about 1e-6 here except across a step of a fixed value, where one
    /// panel of width 1 µs is wrong by at most its own width, hence the 1e-3 relative tolerance.
    #[test]
    fn capped_moments_integrate_the_tail() {
        for d in cases() {
            for c in [0.5, 1.0, 2.5, 3.0, 4.0, 7.5, 40.0].map(|x| x * MS as f64) {
                let mean = simpson(|s| d.tail(s), 0.0, c, 40_000);
                let second = simpson(|s| 2.0 * s * d.tail(s), 0.0, c, 40_000);
                for (what, closed, numeric) in
                    [("mean", d.capped_mean(c), mean), ("second", d.capped_second_moment(c), second)]
                {
                    assert!(
                        (closed - numeric).abs() <= 1e-3 * numeric.max(1.0),
                        "{d}, c = {c}: {what} {closed} vs integral {numeric}"
                    );
                }
            }
        }
    }

    /// Uncapped, they are the mean and the second moment, infinite where those do not exist; a
    /// negative cap is the cap itself, since every draw is at least zero.
    #[test]
    fn capped_moments_at_the_edges() {
        let inf = f64::INFINITY;
        let ms = MS as f64;
        let exp = Dist::Exp { mean: 5 * MS };
        assert!((exp.capped_mean(inf) - 5.0 * ms).abs() < 1e-6);
        assert!((exp.capped_second_moment(inf) - 50.0 * ms * ms).abs() < 1.0);
        let pareto = |alpha| Dist::Pareto { alpha, scale: 2 * MS };
        assert!((pareto(1.5).capped_mean(inf) - 6.0 * ms).abs() < 1e-6);
        assert!((pareto(2.5).capped_second_moment(inf) - 2.5 * 4.0 * ms * ms / 0.5).abs() < 1.0);
        assert_eq!(pareto(1.0).capped_mean(inf), inf);
        assert_eq!(pareto(0.8).capped_mean(inf), inf);
        assert_eq!(pareto(2.0).capped_second_moment(inf), inf);
        assert!(pareto(1.5).capped_mean(1e9 * ms).is_finite(), "a finite cap always has a mean");
        let uniform = Dist::Uniform { lo: MS, hi: 5 * MS };
        assert!((uniform.capped_mean(inf) - 3.0 * ms).abs() < 1e-6);
        assert!((uniform.capped_second_moment(inf) - 31.0 / 3.0 * ms * ms).abs() < 1.0);
        let maybe = Dist::parse("fixed:3ms@0.25").unwrap();
        assert!((maybe.capped_mean(2.0 * ms) - 0.5 * ms).abs() < 1e-9);
        assert_eq!(exp.capped_mean(-4.0), -4.0);
        assert_eq!(exp.capped_second_moment(-4.0), 16.0);
        assert_eq!(Dist::None.capped_mean(ms), 0.0);
    }

    /// The sample mean of `min(X, c)` agrees with the closed form within 4 standard errors, the
    /// standard error estimated from the same sample (the draws are independent).
    #[test]
    fn samples_follow_their_capped_means() {
        let n = 200_000;
        let c = 4.0 * MS as f64;
        for d in cases() {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let draws: Vec<f64> = (0..n).map(|_| (d.sample(&mut rng) as f64).min(c)).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let tol = 4.0 * (var / n as f64).sqrt();
            let want = d.capped_mean(c);
            assert!((mean - want).abs() <= tol, "{d}: E[min(X, {c})] = {mean}, expected {want} ± {tol}");
        }
    }

    /// The whole-nanosecond tail is what the sampler does, and the conditional sampler stays
    /// beyond its point and follows the tail there: `P(draw > y | draw > x) = tail(y) / tail(x)`,
    /// within 4 binomial standard errors.
    #[test]
    fn conditional_draws_follow_the_tail() {
        let n = 100_000;
        for d in cases() {
            let x = 3 * MS;
            let y = 5 * MS;
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let hits = (0..n).filter(|_| d.sample(&mut rng) > x).count();
            let p = d.tail_nanos(x);
            let tol = 4.0 * (p * (1.0 - p) / n as f64).sqrt() + 1e-12;
            assert!((hits as f64 / n as f64 - p).abs() <= tol, "{d}: P(draw > {x})");
            if p == 0.0 {
                assert_eq!(d.sample_beyond(x, &mut rng), None, "{d}");
                continue;
            }
            let draws: Vec<Nanos> = (0..n).map(|_| d.sample_beyond(x, &mut rng).unwrap()).collect();
            assert!(draws.iter().all(|&v| v > x), "{d}: a conditional draw at or below {x}");
            let q = d.tail_nanos(y) / p;
            let got = draws.iter().filter(|&&v| v > y).count() as f64 / n as f64;
            let tol = 4.0 * (q * (1.0 - q) / n as f64).sqrt() + 1e-12;
            assert!((got - q).abs() <= tol, "{d}: P(draw > {y} | draw > {x}) = {got}, expected {q}");
        }
    }

    #[test]
    fn beyond_quantile_inverts_the_tail() {
        for d in cases() {
            for p in [0.5, 0.1, 1e-3, 1e-9] {
                let x = d.beyond_quantile(p);
                assert!(d.tail_nanos(x) <= p, "{d}, {p}");
                assert!(x == 0 || d.tail_nanos(x - 1) > p, "{d}, {p}: not the smallest");
            }
        }
        let exp = Dist::Exp { mean: 5 * MS };
        let x = exp.beyond_quantile(1e-6) as f64;
        assert!((x - 5.0 * MS as f64 * 1e6f64.ln()).abs() < 2.0, "{x}");
    }

    /// `P(X >= x)` differs from `P(X > x)` exactly at the atoms.
    #[test]
    fn tail_from_counts_the_atom() {
        let x = 3.0 * MS as f64;
        let fixed = Dist::Fixed(3 * MS);
        assert_eq!((fixed.tail(x), fixed.tail_from(x)), (0.0, 1.0));
        let maybe = Dist::parse("fixed:3ms@0.25").unwrap();
        assert_eq!((maybe.tail(x), maybe.tail_from(x)), (0.0, 0.25));
        assert_eq!((maybe.tail(0.0), maybe.tail_from(0.0)), (0.25, 1.0));
        let point = Dist::Uniform { lo: 3 * MS, hi: 3 * MS };
        assert_eq!(point.tail_from(x), 1.0);
        let exp = Dist::Exp { mean: 5 * MS };
        assert_eq!(exp.tail_from(x), exp.tail(x));
    }
}
