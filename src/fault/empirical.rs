//! The stall law of a user's own pauses: their empirical law, and optionally a Pareto tail fitted
//! beyond the largest of them.
//!
//! `--pause file:PATH` resamples the pauses of a log ([`super::gclog`]): every draw is one of them,
//! each with probability `1/n`. Nothing larger than the largest pause can be drawn, so a rate
//! below `1/n` per stall is beyond what the data supports ([`Empirical::supported_floor`]).
//!
//! `--pause file+tail:PATH` keeps the body and replaces the `k` largest pauses by a Pareto tail
//! (peaks over a threshold): with probability `k/n` a draw is Pareto with shape `α̂` and scale
//! `u = X_(k+1)`, the `(k+1)`-th largest pause; otherwise it is one of the other `n - k` pauses,
//! uniformly. So `P(X > x) = (k/n) (u/x)^α̂` for `x >= u`, which extrapolates beyond the data.
//!
//! **The estimator** (Hill, 1975): with the pauses in decreasing order `X_(1) >= ... >= X_(n)`,
//! `α̂_k = k / Σ_{i<=k} ln(X_(i) / X_(k+1))`, asymptotically normal with standard error
//! `α̂/√k`; the 95% interval printed is `α̂ (1 ± 1.96/√k)`.
//!
//! **The threshold** (a stability rule on the Hill plot): `k` ranges over `[10, ⌊n/4⌋]` (at
//! least 10 exceedances for the interval to mean something, at most a quarter of the data so
//! that the body stays out of the fit), so a fit needs [`MIN_FOR_TAIL`] = 40 pauses. Small `k`
//! gives a noisy `α̂_k` (variance `α²/k`); large `k` a biased one, as pauses of the body that do
//! not follow the tail's power law enter the sum and the plot starts to drift. Where the plot of
//! `α̂_k` against `k` is flat, neither has taken over. The rule cuts the range into windows of
//! `w = max(1, ⌈(range length)/5⌉)` consecutive `k`, takes the window whose `α̂_k` vary least
//! (relative range: (max - min)/mean; on a tie the one at larger `k`), and chooses its largest
//! `k`: the most data the flat stretch allows, hence the narrowest interval there. The threshold
//! `u = X_(k+1)` and `k` are printed with `α̂`, so that a reader can judge the choice, and
//! `faultline pauses` shows them before any run uses them.

use super::dist::{Dist, MAX_SAMPLE};
use super::gclog::{self, Format, LogError, PauseLog};
use crate::input::Quoted;
use crate::time::Nanos;
use rand::Rng;
use std::fmt;

/// The fewest pauses a tail is fitted to: `⌊n/4⌋` must reach the 10 exceedances the smallest fit
/// uses.
pub const MIN_FOR_TAIL: usize = 40;
/// The fewest exceedances a fit uses.
const MIN_K: usize = 10;

/// A Pareto tail fitted beyond a threshold by the Hill estimator (the module docs give the rule).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TailFit {
    /// How many pauses lie beyond the threshold (the `k` of the Hill estimator).
    pub k: usize,
    /// The threshold `u = X_(k+1)`, the `(k+1)`-th largest pause.
    pub threshold_ns: Nanos,
    /// The shape `α̂`.
    pub alpha: f64,
    /// Its standard error `α̂/√k`.
    pub alpha_se: f64,
    /// The 95% interval `α̂ (1 ± 1.96/√k)`.
    pub alpha_ci95: [f64; 2],
}

/// Why no tail was fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoFit {
    /// Fewer pauses than [`MIN_FOR_TAIL`].
    #[error("only {0} pauses: a tail fit needs at least {MIN_FOR_TAIL}")]
    TooFew(usize),
    /// The largest pauses are all equal (or zero): the Hill estimator is infinite.
    #[error("the largest pauses are all equal: there is no tail to fit")]
    Flat,
}

/// Why a `file:` or `file+tail:` law could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmpiricalError {
    /// The log could not be read into pauses.
    #[error(transparent)]
    Log(#[from] LogError),
    /// `file+tail:` on pauses that allow no tail fit.
    #[error("cannot fit a tail to {}: {}; file:PATH resamples the pauses alone", Quoted(.path), .why)]
    NoTail {
        /// The path as given.
        path: String,
        /// Why not.
        why: NoFit,
    },
}

/// The law of a log's pauses (the module docs), as `--pause file:PATH` and `file+tail:PATH` make
/// it. Two are equal when they come from the same text and read the same pauses.
#[derive(Clone, PartialEq)]
pub struct Empirical {
    source: String,
    format: Format,
    sorted: Vec<Nanos>,
    unreadable: u64,
    first_unreadable: Option<usize>,
    skipped: u64,
    fit: Result<TailFit, NoFit>,
    /// With `file+tail:`: the `k` pauses the tail replaces, and its Pareto law.
    tail: Option<(usize, Dist)>,
}

impl fmt::Debug for Empirical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Empirical")
            .field("source", &self.source)
            .field("format", &self.format)
            .field("count", &self.sorted.len())
            .field("with_tail", &self.tail.is_some())
            .finish()
    }
}

impl Empirical {
    /// Reads the log at `path` and makes its law, with the fitted tail when `with_tail`.
    pub fn load(path: &str, with_tail: bool) -> Result<Empirical, EmpiricalError> {
        let log = gclog::read(path)?;
        Empirical::from_log(path, log, with_tail)
    }

    /// The law of `log`'s pauses; `source` is the path it came from, which the law prints as.
    pub fn from_log(source: &str, log: PauseLog, with_tail: bool) -> Result<Empirical, EmpiricalError> {
        let mut sorted: Vec<Nanos> = log.pauses.iter().map(|&p| p.min(MAX_SAMPLE)).collect();
        sorted.sort_unstable();
        let fit = hill_fit(&sorted);
        let tail = match (&fit, with_tail) {
            (Ok(fit), true) => Some((fit.k, Dist::Pareto { alpha: fit.alpha, scale: fit.threshold_ns })),
            (Err(why), true) => return Err(EmpiricalError::NoTail { path: source.to_string(), why: *why }),
            (_, false) => None,
        };
        Ok(Empirical {
            source: source.to_string(),
            format: log.format,
            sorted,
            unreadable: log.unreadable,
            first_unreadable: log.first_unreadable,
            skipped: log.skipped,
            fit,
            tail,
        })
    }

    /// The same law with its fitted tail's shape set to `alpha`, to see how far an answer moves
    /// across the fit's interval; `None` without a fitted tail. It prints as the law it came
    /// from, so it is for questions asked inside one command, never for a flag.
    pub fn with_tail_shape(&self, alpha: f64) -> Option<Empirical> {
        let (k, Dist::Pareto { scale, .. }) = self.tail.clone()? else { return None };
        let mut law = self.clone();
        law.tail = Some((k, Dist::Pareto { alpha, scale }));
        Some(law)
    }

    /// The path the pauses were read from, as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The detected format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The pauses, smallest first.
    pub fn pauses(&self) -> &[Nanos] {
        &self.sorted
    }

    /// Lines of the detected format that could not be read, and the first of them.
    pub fn unreadable(&self) -> (u64, Option<usize>) {
        (self.unreadable, self.first_unreadable)
    }

    /// Lines that were not pauses.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The tail fit, or why there is none (whether or not the law uses it).
    pub fn fit(&self) -> Result<&TailFit, NoFit> {
        self.fit.as_ref().map_err(|e| *e)
    }

    /// True when draws beyond the largest pause come from the fitted tail (`file+tail:`).
    pub fn has_tail(&self) -> bool {
        self.tail.is_some()
    }

    /// The sum of the pauses, in nanoseconds.
    pub fn total(&self) -> u128 {
        self.sorted.iter().map(|&p| u128::from(p)).sum()
    }

    /// The empirical quantile: the smallest pause with at least a fraction `p` of the pauses at
    /// or below it (`sorted[⌈p n⌉ - 1]`); the largest once `p n > n - 1`.
    pub fn quantile(&self, p: f64) -> Nanos {
        let n = self.sorted.len();
        let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
        self.sorted[rank - 1]
    }

    /// The smallest rate per stall the law supports: `1/n` for the pauses alone (no draw exceeds
    /// the largest pause, so a rarer event is beyond what the data says), none with a tail.
    pub fn supported_floor(&self) -> Option<f64> {
        if self.tail.is_some() { None } else { Some(1.0 / self.sorted.len() as f64) }
    }

    /// The pauses the body resamples: all of them, or with a tail those at or below the threshold.
    fn body(&self) -> &[Nanos] {
        match &self.tail {
            Some((k, _)) => &self.sorted[..self.sorted.len() - k],
            None => &self.sorted,
        }
    }

    fn n(&self) -> f64 {
        self.sorted.len() as f64
    }

    /// True when every draw is zero.
    pub(crate) fn is_none(&self) -> bool {
        self.tail.is_none() && self.sorted.last() == Some(&0)
    }

    /// One draw, from one uniform: `sorted[⌊U n⌋]`, or with a tail the same on the body and the
    /// Pareto law's inverse transform on what is left of `U` beyond it.
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Nanos {
        let u: f64 = rng.random();
        let body = self.body();
        let at = (u * self.n()) as usize;
        match &self.tail {
            Some((k, Dist::Pareto { alpha, scale })) if at >= body.len() => {
                let v = ((u * self.n() - body.len() as f64) / *k as f64).clamp(0.0, 1.0 - f64::EPSILON);
                let x = *scale as f64 * (1.0 - v).powf(-1.0 / alpha);
                if x >= MAX_SAMPLE as f64 { MAX_SAMPLE } else { x as Nanos }
            }
            _ => body[at.min(body.len() - 1)],
        }
    }

    /// How many pauses of the body exceed `x`, as a fraction of all pauses.
    fn body_beyond(&self, x: f64) -> f64 {
        let body = self.body();
        (body.len() - body.partition_point(|&v| v as f64 <= x)) as f64 / self.n()
    }

    /// How many pauses of the body reach `x`, as a fraction of all pauses.
    fn body_from(&self, x: f64) -> f64 {
        let body = self.body();
        (body.len() - body.partition_point(|&v| (v as f64) < x)) as f64 / self.n()
    }

    /// `P(X > x)` for `x >= 0`.
    pub(crate) fn tail(&self, x: f64) -> f64 {
        self.body_beyond(x) + self.tail.as_ref().map_or(0.0, |(k, law)| *k as f64 / self.n() * law.tail(x))
    }

    /// `P(X >= x)` for `x > 0`.
    pub(crate) fn tail_from(&self, x: f64) -> f64 {
        self.body_from(x) + self.tail.as_ref().map_or(0.0, |(k, law)| *k as f64 / self.n() * law.tail_from(x))
    }

    /// `E[min(X, c)]` for `c > 0`.
    pub(crate) fn capped_mean(&self, c: f64) -> f64 {
        let body: f64 = self.body().iter().map(|&v| (v as f64).min(c)).sum::<f64>() / self.n();
        body + self.tail.as_ref().map_or(0.0, |(k, law)| *k as f64 / self.n() * law.capped_mean(c))
    }

    /// `E[min(X, c)^2]` for `c > 0`.
    pub(crate) fn capped_second_moment(&self, c: f64) -> f64 {
        let body: f64 = self.body().iter().map(|&v| (v as f64).min(c).powi(2)).sum::<f64>() / self.n();
        body + self.tail.as_ref().map_or(0.0, |(k, law)| *k as f64 / self.n() * law.capped_second_moment(c))
    }

    /// `P(draw > x)` for `x < MAX_SAMPLE`: the pauses are whole already; the tail's draws are
    /// the Pareto law's whole-nanosecond ones.
    pub(crate) fn tail_nanos(&self, x: Nanos) -> f64 {
        self.body_beyond(x as f64)
            + self.tail.as_ref().map_or(0.0, |(k, law)| *k as f64 / self.n() * law.tail_nanos(x))
    }

    /// One draw conditioned on exceeding `x`, given that some draw can: the body's pauses beyond
    /// `x` and the tail's draws beyond it, in proportion to their probabilities.
    pub(crate) fn sample_beyond<R: Rng + ?Sized>(&self, x: Nanos, rng: &mut R) -> Option<Nanos> {
        let body = self.body();
        let first = body.partition_point(|&v| v <= x);
        let body_mass = (body.len() - first) as f64 / self.n();
        let tail_mass = self.tail.as_ref().map_or(0.0, |(k, law)| *k as f64 / self.n() * law.tail_nanos(x));
        if body_mass + tail_mass <= 0.0 {
            return None;
        }
        let u: f64 = rng.random();
        if u * (body_mass + tail_mass) < body_mass {
            let v: f64 = rng.random();
            let at = first + ((v * (body.len() - first) as f64) as usize).min(body.len() - first - 1);
            Some(body[at])
        } else {
            self.tail.as_ref().and_then(|(_, law)| law.sample_beyond(x, rng))
        }
    }

    /// The mean where it is finite (a tail with `α̂ <= 1` has none: then the threshold).
    pub(crate) fn typical(&self) -> Nanos {
        let mean = self.capped_mean(f64::INFINITY);
        if mean.is_finite() { mean.round() as Nanos } else { self.fit.as_ref().map_or(0, |f| f.threshold_ns) }
    }
}

/// The text form: `file:PATH` or `file+tail:PATH`.
impl fmt::Display for Empirical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.tail.is_some() { "file+tail" } else { "file" };
        write!(f, "{kind}:{}", self.source)
    }
}

/// `α̂_k` for the `k` largest of `sorted` (ascending), or `None` where it is infinite or
/// undefined (the threshold is zero, or the `k + 1` largest are equal).
fn hill(sorted: &[Nanos], k: usize, top_log_sum: f64) -> Option<f64> {
    let u = sorted[sorted.len() - k - 1];
    if u == 0 {
        return None;
    }
    let denominator = top_log_sum - k as f64 * (u as f64).ln();
    (denominator > 0.0).then(|| k as f64 / denominator)
}

/// The Hill fit with the threshold of the stability rule (module docs).
pub fn hill_fit(sorted: &[Nanos]) -> Result<TailFit, NoFit> {
    let n = sorted.len();
    if n < MIN_FOR_TAIL {
        return Err(NoFit::TooFew(n));
    }
    let k_max = n / 4;
    // α̂_k for every k in [MIN_K, k_max], from running sums of the logs of the largest pauses.
    let mut alphas = Vec::with_capacity(k_max + 1 - MIN_K);
    let mut top_log_sum = 0.0;
    for k in 1..=k_max {
        let x = sorted[n - k];
        top_log_sum += if x == 0 { f64::NEG_INFINITY } else { (x as f64).ln() };
        if k >= MIN_K {
            alphas.push((k, hill(sorted, k, top_log_sum)));
        }
    }
    let w = alphas.len().div_ceil(5).max(1);
    let mut best: Option<(f64, usize, f64)> = None;
    for window in alphas.windows(w) {
        let values: Option<Vec<f64>> = window.iter().map(|(_, a)| *a).collect();
        let Some(values) = values else { continue };
        let (lo, hi) = values.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &a| (lo.min(a), hi.max(a)));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let spread = (hi - lo) / mean;
        let (k, alpha) = (window[w - 1].0, values[w - 1]);
        // Later windows win ties: more data.
        if best.is_none_or(|(s, _, _)| spread <= s) {
            best = Some((spread, k, alpha));
        }
    }
    let (_, k, alpha) = best.ok_or(NoFit::Flat)?;
    let se = alpha / (k as f64).sqrt();
    Ok(TailFit {
        k,
        threshold_ns: sorted[n - k - 1],
        alpha,
        alpha_se: se,
        alpha_ci95: [alpha - 1.96 * se, alpha + 1.96 * se],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{MS, US};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn law(pauses: Vec<Nanos>, with_tail: bool) -> Result<Empirical, EmpiricalError> {
        let log =
            PauseLog { format: Format::Durations, pauses, unreadable: 0, first_unreadable: None, skipped: 0 };
        Empirical::from_log("x.txt", log, with_tail)
    }

    /// Pareto draws of a known shape: the fit finds the shape within its own interval.
    #[test]
    fn hill_recovers_a_pareto_shape() {
        for alpha in [0.8, 1.5, 3.0] {
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let d = Dist::Pareto { alpha, scale: 100 * US };
            let pauses: Vec<Nanos> = (0..4000).map(|_| d.sample(&mut rng)).collect();
            let fit = law(pauses, true).unwrap().fit().unwrap().clone();
            assert!(fit.alpha_ci95[0] <= alpha && alpha <= fit.alpha_ci95[1], "{alpha}: {fit:?}");
            assert!((MIN_K..=1000).contains(&fit.k), "{fit:?}");
        }
    }

    #[test]
    fn too_few_or_flat_pauses_have_no_fit() {
        assert_eq!(hill_fit(&[MS; 39]), Err(NoFit::TooFew(39)));
        assert_eq!(hill_fit(&[MS; 100]), Err(NoFit::Flat));
        let err = law(vec![MS; 10], true).unwrap_err().to_string();
        assert_eq!(
            err,
            "cannot fit a tail to 'x.txt': only 10 pauses: a tail fit needs at least 40; file:PATH resamples the pauses alone"
        );
    }

    #[test]
    fn quantiles_and_the_floor() {
        let e = law((1..=100).map(|i| i * MS).collect(), false).unwrap();
        assert_eq!((e.quantile(0.5), e.quantile(0.99), e.quantile(0.999)), (50 * MS, 99 * MS, 100 * MS));
        assert_eq!(e.supported_floor(), Some(0.01));
        assert_eq!(e.total(), u128::from(5050 * MS));
        assert!(law(vec![0, 0], false).unwrap().is_none());
    }

    /// Without a tail, nothing beyond the largest pause; with one, the tail's mass beyond it is
    /// `k/n` times the Pareto law's.
    #[test]
    fn the_tail_extends_beyond_the_data() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let d = Dist::Pareto { alpha: 1.5, scale: MS };
        let pauses: Vec<Nanos> = (0..400).map(|_| d.sample(&mut rng)).collect();
        let max = *pauses.iter().max().unwrap();
        let plain = law(pauses.clone(), false).unwrap();
        assert_eq!(plain.tail_nanos(max), 0.0);
        assert_eq!(plain.sample_beyond(max, &mut rng), None);
        let tailed = law(pauses, true).unwrap();
        assert!(tailed.tail_nanos(max) > 0.0);
        assert!(tailed.sample_beyond(max, &mut rng).unwrap() > max);
        let fit = tailed.fit().unwrap();
        assert!(fit.threshold_ns < max);
        let p = fit.k as f64 / 400.0;
        let x = 10 * max;
        let want = p * (fit.threshold_ns as f64 / (x + 1) as f64).powf(fit.alpha);
        assert!((tailed.tail_nanos(x) - want).abs() < 1e-12);
    }
}
