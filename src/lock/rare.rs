//! The rare-event estimator: importance sampling of the stalls (`--estimator rare`).
//!
//! Counting needs about `100/p` acquisitions to see a hundred violations of rate `p`: 10^11 at
//! 10^-9. But a lock's violations come from the rare long stalls, so the estimator draws long
//! stalls far more often than the law does, and weighs what they cause by how much more often.
//!
//! **The proposal.** Every stall the pause law would draw is drawn instead from the mixture
//! `g = (1 - β)·f + β·f(· | S > τ)`: with probability `β` (the *share*) a draw of the law
//! conditioned on exceeding the threshold `τ`, otherwise a draw of the law itself. Nothing about
//! the law's shape is needed: only its tail beyond `τ` ([`Dist::tail_nanos`]) and draws beyond
//! `τ` ([`Dist::sample_beyond`]), which every law has, including a user's own data. The
//! likelihood ratio `f/g` of a draw beyond `τ` is the same constant for every such draw,
//! `c = p/((1 - β)p + β)` with `p = P(S > τ)`; below `τ` it is `1/(1 - β)`.
//!
//! **The weights.** A section whose stall went beyond `τ` is *long*, and opens a *window*. The
//! window takes in the section that overlaps one of its own (the path a violation takes), and,
//! each time one of its sections leaves a trace outside itself (a stale write storage accepted,
//! which may have rolled the counter back, or an effect sent late or twice), the next section to
//! enter, which may read it; a section leaves the window when it closes. A finding about a section in a window counts `c`; one about a section
//! whose stall stayed below `τ` counts `1/(1 - β)`, that stall's own ratio; any other counts 1,
//! as counting would count it. The rates are the weighted counts over the run's natural totals,
//! and their 95% intervals come from 64 to 128 batch means over the run's acquisitions, which
//! carry the correlation between the findings of one window. The findings are the judge's ([`crate::lock::judge`]): the estimator decides nothing
//! of its own, so it works for every design, built-in or registered.
//!
//! **The threshold.** [`search`] chooses `τ` by pilot runs, in the spirit of the cross-entropy
//! method: it lowers the tail mass `P(S > τ)` a decade at a time until about half of the long
//! stalls cause a safety finding. Below the smallest stall that can cause one, `τ` only costs
//! samples; above it, the stalls between would be counted at weight 1 and a single one would
//! swamp the estimate, which the effective sample size shows.
//!
//! **Assumptions** (docs/model.md §4.6), and what detects their failure:
//! 1. a finding near a long stall is caused by it: a finding with another cause made while a
//!    window is open is under-weighted. It holds when stalls are what breaks the lock;
//! 2. the other sections around a long stall behave as under the law: one draw in `1/β` is
//!    tilted, so the environment differs from the law's by at most that share (kept small, at
//!    most 1/16);
//! 3. enough long stalls and findings: the Kish effective sample size of each estimated kind's
//!    weights, `(Σw)²/Σw²`, must reach [`MIN_ESS`], and no single finding may carry more than
//!    [`MAX_SHARE`] of an estimate; otherwise the report says the estimate is not to be trusted.
//!
//! Lost updates are counted only at the end of a run, where no window can be told, and blocked
//! and stuck clients are liveness: the estimator leaves them to counting and says so.

use super::judge::{Finding, FindingKind};
use crate::fault::Dist;
use crate::input::Quoted;
use crate::rng::Rng;
use crate::time::{Exact, Nanos, parse_duration};
use rand::Rng as _;
use serde::Serialize;
use std::fmt;

/// The number of batches the interval is computed from.
pub const BATCHES: u64 = 64;
/// Below this effective sample size an estimate is reported as not to be trusted.
pub const MIN_ESS: f64 = 30.0;
/// Above this share of an estimate carried by one finding, the weights have exploded.
pub const MAX_SHARE: f64 = 0.1;
/// The largest share of tilted draws: beyond it the environment of a long stall (assumption 2)
/// would be too far from the law's.
pub const MAX_TILT_SHARE: f64 = 1.0 / 16.0;
/// The long stalls a main run aims for; the share is chosen from the run's size to reach them.
const AIMED_LONG_STALLS: f64 = 2_000.0;

/// How a run's rates are made.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Estimator {
    /// Plain counting: each rate is a count over its total, with a Wilson interval.
    #[default]
    Count,
    /// Importance sampling of the stalls; `None` until [`search`] has chosen the proposal.
    Rare(Option<Tilt>),
}

/// The proposal: a share of the draws taken beyond a threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tilt {
    /// `τ`: a tilted draw is the law's conditioned on exceeding it.
    pub threshold: Nanos,
    /// `β`: the probability that a draw is tilted.
    pub share: f64,
}

/// Why an estimator's text does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimatorError {
    /// Not `count`, `rare` or `rare:THRESHOLD:SHARE`.
    #[error("unknown estimator {}: use count, rare, or rare:THRESHOLD:SHARE (e.g. rare:90ms:0.01)", Quoted(.0))]
    Unknown(String),
    /// The share is not a probability in (0, 1/16].
    #[error("the share of tilted draws {} must be a number in (0, 0.0625]", Quoted(.0))]
    Share(String),
    /// The threshold is not a duration.
    #[error(transparent)]
    Threshold(#[from] crate::time::DurationError),
}

impl Estimator {
    /// Parses `count`, `rare`, or `rare:THRESHOLD:SHARE` (a proposal fixed, as a replay prints it).
    pub fn parse(text: &str) -> Result<Estimator, EstimatorError> {
        match text.split(':').collect::<Vec<_>>().as_slice() {
            ["count"] => Ok(Estimator::Count),
            ["rare"] => Ok(Estimator::Rare(None)),
            ["rare", threshold, share] => {
                let threshold = parse_duration(threshold)?;
                let share: f64 = share
                    .parse()
                    .ok()
                    .filter(|s| *s > 0.0 && *s <= MAX_TILT_SHARE)
                    .ok_or_else(|| EstimatorError::Share(share.to_string()))?;
                Ok(Estimator::Rare(Some(Tilt { threshold, share })))
            }
            _ => Err(EstimatorError::Unknown(text.to_string())),
        }
    }
}

impl fmt::Display for Estimator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Estimator::Count => write!(f, "count"),
            Estimator::Rare(None) => write!(f, "rare"),
            Estimator::Rare(Some(t)) => write!(f, "rare:{}:{}", Exact(t.threshold), t.share),
        }
    }
}

impl std::str::FromStr for Estimator {
    type Err = EstimatorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Estimator::parse(s)
    }
}

impl Serialize for Estimator {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Estimator {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Estimator::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Tilt {
    /// The share of a main run of `acquisitions`: enough tilted draws to expect
    /// 2,000 of them, between 1/1024 and [`MAX_TILT_SHARE`].
    pub fn share_for(acquisitions: u64) -> f64 {
        (AIMED_LONG_STALLS / acquisitions.max(1) as f64).clamp(1.0 / 1024.0, MAX_TILT_SHARE)
    }

    /// One stall of `law` under the proposal.
    pub fn draw(&self, law: &Dist, rng: &mut Rng) -> Nanos {
        let u: f64 = rng.random();
        if u < self.share
            && let Some(stall) = law.sample_beyond(self.threshold, rng)
        {
            return stall;
        }
        law.sample(rng)
    }

    /// `c`, the likelihood ratio of every draw beyond the threshold: what a finding near a long
    /// stall counts.
    pub fn long_weight(&self, law: &Dist) -> f64 {
        let p = law.tail_nanos(self.threshold);
        if p <= 0.0 { 1.0 } else { p / ((1.0 - self.share) * p + self.share) }
    }
}

/// One weighted rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weighed {
    /// The estimate.
    pub rate: f64,
    /// Its 95% interval (normal, from the batch means).
    pub ci95: [f64; 2],
    /// Kish's effective sample size of the findings' weights.
    pub ess: f64,
    /// The largest share of the estimate one finding carries.
    pub top_share: f64,
}

impl Weighed {
    /// Why this estimate is not to be trusted, if it is not (assumption 3 of the module docs).
    pub fn doubt(&self) -> Option<String> {
        if self.rate == 0.0 {
            return None;
        }
        if self.ess < MIN_ESS {
            return Some(format!("only {:.0} effective samples (at least {MIN_ESS:.0} needed)", self.ess));
        }
        (self.top_share > MAX_SHARE).then(|| {
            format!(
                "one finding carries {:.0}% of the estimate: the weights exploded",
                100.0 * self.top_share
            )
        })
    }
}

/// What the estimator did in one run, beside the rates it made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RareReport {
    /// `τ`, in nanoseconds.
    pub threshold_ns: Nanos,
    /// `β`.
    pub share: f64,
    /// `P(S > τ)` under the law.
    pub tail_mass: f64,
    /// `c`, the weight of a finding near a long stall.
    pub long_weight: f64,
    /// Stalls beyond the threshold.
    pub long_stalls: u64,
    /// Long stalls whose own section broke safety.
    pub long_hits: u64,
    /// Each estimated kind, by its report name (a JSON object, in this order, of the effective
    /// sample size and the top share: the rate and interval are the report's `rates`).
    #[serde(serialize_with = "in_order")]
    pub kinds: Vec<(String, Weighed)>,
    /// Why an estimate is not to be trusted, one line each; empty when every one is.
    pub doubts: Vec<String>,
    /// What the estimator leaves to counting.
    pub not_estimated: Vec<&'static str>,
}

impl RareReport {
    /// The share of long stalls whose own section broke safety: what [`search`] steers by.
    pub fn hit_share(&self) -> f64 {
        if self.long_stalls == 0 { 0.0 } else { (self.long_hits as f64 / self.long_stalls as f64).min(1.0) }
    }
}

/// Pairs as a map, in their order, each with what the rates beside it do not say:
/// `{"overlap": {"ess": ..., "top_share": ...}, ...}`.
fn in_order<S: serde::Serializer>(pairs: &[(String, Weighed)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    #[derive(Serialize)]
    struct Weights {
        ess: f64,
        top_share: f64,
    }
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (name, w) in pairs {
        map.serialize_entry(name, &Weights { ess: w.ess, top_share: w.top_share })?;
    }
    map.end()
}

/// The client whose section a finding is about: the holder that was overlapped, or the one that
/// acted late.
fn about(finding: &Finding) -> Option<usize> {
    match *finding {
        Finding::Overlap { holder, .. } | Finding::OverlapSettled { holder, .. } => Some(holder),
        _ => finding.client(),
    }
}

/// The kinds the estimator weighs; the others are counted.
pub fn estimated(kind: FindingKind) -> bool {
    !matches!(kind, FindingKind::LostUpdate | FindingKind::Blocked | FindingKind::Stuck)
}

const KINDS: usize = FindingKind::ALL.len();

/// Weighs a run's findings (the module docs' windows), as the oracle feeds them in.
///
/// Its memory is bounded whatever the run's length: the batches double in size whenever there
/// are `2·BATCHES` of them, so there are always between [`BATCHES`] and twice as many.
#[derive(Debug)]
pub struct Weigher {
    tilt: Tilt,
    long_weight: f64,
    tail_mass: f64,
    /// Per client: its open section is inside a window.
    tainted: Vec<bool>,
    /// A section in a window has just left a trace beyond its sections: a stale access storage
    /// accepted (it may have rolled the counter back), or an effect sent late or twice. The
    /// next section to enter may read what it left, and joins the window.
    echo: bool,
    batch_size: u64,
    in_batch: u64,
    batch: [f64; KINDS],
    batches: Vec<[f64; KINDS]>,
    total: [f64; KINDS],
    /// Per kind: the sum of the positive weights, of their squares, and the largest.
    kish: [(f64, f64, f64); KINDS],
    long_stalls: u64,
    /// Per client: its open section stalled, not beyond the threshold (a draw of the law's own
    /// part of the mixture, whose ratio is `1/(1 - β)`).
    short: Vec<bool>,
    /// Per client: its open section stalled long, and that section broke safety.
    long: Vec<bool>,
    hit: Vec<bool>,
    long_hits: u64,
}

impl Weigher {
    /// A weigher for a run of about `acquisitions` with `clients` under `tilt` of `law`.
    pub fn new(tilt: Tilt, law: &Dist, clients: usize, acquisitions: u64) -> Self {
        Weigher {
            tilt,
            long_weight: tilt.long_weight(law),
            tail_mass: law.tail_nanos(tilt.threshold),
            tainted: vec![false; clients],
            echo: false,
            batch_size: (acquisitions / BATCHES).max(1),
            in_batch: 0,
            batch: [0.0; KINDS],
            batches: Vec::with_capacity(2 * BATCHES as usize),
            total: [0.0; KINDS],
            kish: [(0.0, 0.0, 0.0); KINDS],
            long_stalls: 0,
            short: vec![false; clients],
            long: vec![false; clients],
            hit: vec![false; clients],
            long_hits: 0,
        }
    }

    /// `client` froze for `span` at its pause point.
    pub fn stalled(&mut self, client: usize, span: Nanos) {
        if span <= self.tilt.threshold {
            self.short[client] = true;
        } else {
            self.long_stalls += 1;
            self.long[client] = true;
            self.hit[client] = false;
            self.tainted[client] = true;
        }
    }

    /// `client` entered its section: it joins a window whose trace it may read (a rolled-back
    /// counter), and the batch moves on.
    pub fn entered(&mut self, client: usize) {
        if std::mem::replace(&mut self.echo, false) {
            self.tainted[client] = true;
        }
        self.in_batch += 1;
        if self.in_batch == self.batch_size {
            self.batches.push(std::mem::replace(&mut self.batch, [0.0; KINDS]));
            self.in_batch = 0;
            if self.batches.len() == 2 * BATCHES as usize {
                let pairs: Vec<[f64; KINDS]> =
                    self.batches.chunks(2).map(|p| std::array::from_fn(|k| p[0][k] + p[1][k])).collect();
                self.batches = pairs;
                self.batch_size *= 2;
            }
        }
    }

    /// `client`'s section closed (it left, or crashed): it leaves its window.
    pub fn closed(&mut self, client: usize) {
        self.long[client] = false;
        self.short[client] = false;
        self.tainted[client] = false;
    }

    /// A finding, weighed by whether the section it is about is in a window.
    pub fn found(&mut self, finding: &Finding) {
        let about = about(finding);
        let in_window = about.is_some_and(|c| self.tainted[c]);
        let w = if in_window {
            self.long_weight
        } else if about.is_some_and(|c| self.short[c]) {
            1.0 / (1.0 - self.tilt.share)
        } else {
            1.0
        };
        if in_window && finding.violates().is_some() {
            // An overlap changes nothing outside its sections; what storage or the outbox kept does.
            self.echo |= !matches!(finding, Finding::Overlap { .. } | Finding::OverlapSettled { .. });
            if let Some(c) = about
                && self.long[c]
                && !std::mem::replace(&mut self.hit[c], true)
            {
                self.long_hits += 1;
            }
        }
        // The window spreads along an overlap: the section that entered a windowed one's place
        // may repeat what it did (the same counter value, the same decision).
        if let Finding::Overlap { client, holder, .. } = *finding
            && self.tainted[holder]
        {
            self.tainted[client] = true;
        }
        for (kind, by) in finding.counts().into_iter().flatten() {
            let k = kind as usize;
            let x = w * by as f64;
            self.batch[k] += x;
            self.total[k] += x;
            if by > 0 {
                let (sum, squares, top) = &mut self.kish[k];
                *sum += x;
                *squares += x * x;
                *top = top.max(x);
            }
        }
    }

    /// The weighted rate of the findings of `kinds` over `total` (their natural denominator) in
    /// a run of `acquisitions`.
    pub fn rate(&self, kinds: &[FindingKind], total: u64, acquisitions: u64) -> Weighed {
        let sum_of = |row: &[f64; KINDS]| kinds.iter().map(|&k| row[k as usize]).sum::<f64>();
        let rate = if total == 0 { 0.0 } else { sum_of(&self.total).max(0.0) / total as f64 };
        // The batch means, per acquisition, scaled to the rate's own denominator.
        let scale = acquisitions as f64 / total.max(1) as f64 / self.batch_size as f64;
        let means: Vec<f64> = self.batches.iter().map(|b| sum_of(b) * scale).collect();
        let b = means.len() as f64;
        let half = if means.len() >= 2 {
            let mean = means.iter().sum::<f64>() / b;
            let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (b - 1.0);
            1.959_963_984_540_054 * (var / b).sqrt()
        } else {
            f64::INFINITY
        };
        let (sum, squares, top) = kinds.iter().fold((0.0, 0.0, 0.0f64), |(s, q, t), &k| {
            let (ks, kq, kt) = self.kish[k as usize];
            (s + ks, q + kq, t.max(kt))
        });
        let ess = if squares > 0.0 { sum * sum / squares } else { 0.0 };
        let top_share = if sum > 0.0 { top / sum } else { 0.0 };
        if sum <= 0.0 {
            // Nothing found: no spread to measure. A long stall breaks the lock with probability
            // below 3/n after n clean ones (the rule of three), and the rest is plain counting's
            // bound at zero.
            let long = self.tail_mass * 3.0 / self.long_stalls.max(1) as f64;
            let counted = crate::check::wilson(0, acquisitions)[1];
            let upper = ((long + counted) * acquisitions as f64 / total.max(1) as f64).min(1.0);
            return Weighed { rate: 0.0, ci95: [0.0, upper], ess, top_share };
        }
        Weighed { rate, ci95: [(rate - half).max(0.0), rate + half], ess, top_share }
    }

    /// What the weigher did, with `kinds` its estimates by report name.
    pub fn report(&self, kinds: Vec<(String, Weighed)>) -> RareReport {
        let doubts = kinds.iter().filter_map(|(name, w)| w.doubt().map(|d| format!("{name}: {d}"))).collect();
        RareReport {
            threshold_ns: self.tilt.threshold,
            share: self.tilt.share,
            tail_mass: self.tail_mass,
            long_weight: self.long_weight,
            long_stalls: self.long_stalls,
            long_hits: self.long_hits,
            kinds,
            doubts,
            not_estimated: FindingKind::ALL
                .into_iter()
                .filter(|&k| !estimated(k))
                .map(|k| k.words().1)
                .collect(),
        }
    }
}

/// The acquisitions of one pilot run.
pub const PILOT_ACQUISITIONS: u64 = 4_000;
/// The share of tilted draws in a pilot run: large, since a pilot only steers.
const PILOT_SHARE: f64 = MAX_TILT_SHARE;
/// The smallest tail mass the search tries (a threshold beyond which one draw in 10^18 lies).
const DEEPEST_DECADE: u32 = 18;

/// Chooses the threshold for a run of `law`: `pilot(tilt)` runs a pilot under `tilt` and
/// returns its report. The threshold is lowered a decade of tail mass at a time, from 10^-1,
/// until at least a third of the long stalls break the lock. Then it must sit below the
/// smallest stall that does, or the stalls between would go uncounted: as long as more than 90%
/// of the long stalls break the lock (none falling short says the threshold may be above that
/// stall), it is lowered by half a decade more, at most [`LOWERINGS`] times. The share of the
/// returned tilt is `share`; beside it, the doubt the report must carry when the search did not
/// settle ([`UNSETTLED`], [`NO_BREAK`]).
pub fn search<E>(
    law: &Dist,
    share: f64,
    mut pilot: impl FnMut(Tilt) -> Result<RareReport, E>,
) -> Result<(Tilt, Option<&'static str>), E> {
    let at = |decade: f64| Tilt { threshold: law.beyond_quantile(10f64.powf(-decade)), share: PILOT_SHARE };
    let mut found = None;
    for decade in 1..=DEEPEST_DECADE {
        let d = f64::from(decade);
        if law.tail_nanos(at(d).threshold) <= 0.0 {
            break;
        }
        let hit = pilot(at(d))?.hit_share();
        if hit >= 1.0 / 3.0 {
            found = Some((d, hit));
            break;
        }
    }
    let Some((mut decade, mut hit)) = found else {
        // No long stall broke the lock: stalls do not, at any depth tried.
        return Ok((Tilt { threshold: at(2.0).threshold, share }, Some(NO_BREAK)));
    };
    let mut lowerings = 0;
    while hit > 0.9 && lowerings < LOWERINGS && decade >= 0.5 {
        decade -= 0.5;
        lowerings += 1;
        hit = pilot(at(decade))?.hit_share();
    }
    Ok((Tilt { threshold: at(decade).threshold, share }, (hit > 0.9).then_some(UNSETTLED)))
}

/// The search's doubt when no long stall broke the lock at any depth.
pub const NO_BREAK: &str =
    "no long stall broke the lock in the threshold search: if stalls can break it, the estimate misses how";
/// The search's doubt when the threshold could not be brought below the stalls that break the lock.
pub const UNSETTLED: &str = "nearly every long stall broke the lock at every threshold tried: stalls just above the threshold may go uncounted";

/// The most half-decades [`search`] lowers the threshold by to find stalls that fall short.
pub const LOWERINGS: u32 = 6;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MS;
    use rand::SeedableRng;

    #[test]
    fn estimators_parse_and_print() {
        for text in ["count", "rare", "rare:90ms:0.01"] {
            assert_eq!(Estimator::parse(text).unwrap().to_string(), text);
        }
        assert!(matches!(Estimator::parse("banana"), Err(EstimatorError::Unknown(_))));
        assert!(matches!(Estimator::parse("rare:90ms:0.5"), Err(EstimatorError::Share(_))));
        assert!(matches!(Estimator::parse("rare:90:0.01"), Err(EstimatorError::Threshold(_))));
    }

    /// The proposal's draws beyond the threshold have probability `(1-β)p + β`, and weighing
    /// them by `c` recovers `p`: the identity the estimator rests on, checked by sampling.
    #[test]
    fn weighted_tilted_draws_recover_the_tail() {
        let law = Dist::Exp { mean: 5 * MS };
        let tilt = Tilt { threshold: 60 * MS, share: 0.05 };
        let mut rng = Rng::seed_from_u64(3);
        let n = 200_000;
        let target = 70 * MS;
        let hits = (0..n).filter(|_| tilt.draw(&law, &mut rng) > target).count() as f64;
        let estimate = hits * tilt.long_weight(&law) / n as f64;
        let truth = law.tail_nanos(target);
        // hits is binomial with p = β·tail(70)/tail(60) + …: four standard errors of it.
        let q = hits / n as f64;
        let tol = 4.0 * (q * (1.0 - q) / n as f64).sqrt() * tilt.long_weight(&law);
        assert!((estimate - truth).abs() <= tol, "{estimate} vs {truth} ± {tol}");
    }
}
