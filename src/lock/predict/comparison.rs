//! A run's figures next to their closed forms ([`super::closed_form`]): each [`Comparison`] is
//! built here once (one rule for rates, one for the contention figures) and judged by
//! [`Comparison::fit`]: the run agrees with its closed form, the data contradict it, or the
//! closed form's contention assumption (someone waits whenever a lease expires, docs/model.md
//! §4.5) did not hold in the run, as the oracle measured it (`unwaited_expiries`).

use super::closed_form::{HoldLaw, predict};
use crate::check::Rate;
use crate::lock::LockMetrics;
use crate::lock::{LockConfig, RunError};
use std::fmt;

/// What a run measured of the contention assumption, as it bears on one figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Assumption {
    /// Every expiry found a live client waiting, or the figure does not depend on it. A design
    /// whose servers do not report expiries (Redlock) never shows a failure here.
    Held,
    /// Some expiries found nobody waiting. Each may have cost the run one event the figure counts
    /// (an overlap, a stale access and a disagreement all need a next grant), so the estimate may
    /// fall short of the prediction by up to this much, on top of the tolerance and shortfall.
    FailedBelow(f64),
    /// Some expiries found nobody waiting, and the figure's form assumes a lock that never idles
    /// (the wait and the unavailability): nothing bounds how far that moves it.
    Failed,
}

/// How a closed form fits a run at one point: what a comparison concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The estimate is within the allowances of docs/model.md §4.4.
    Agrees,
    /// The data contradict the closed form.
    Disagrees,
    /// The estimate is off, but the run saw the closed form's assumption fail by enough to
    /// explain it: the form does not apply at this point.
    AssumptionFails,
}

impl Fit {
    /// Every verdict, in the order of [`Fit::cell`]'s documentation.
    pub const ALL: [Fit; 3] = [Fit::Agrees, Fit::Disagrees, Fit::AssumptionFails];

    /// The verdict as a sweep's `agrees.*` cell: `true`, `false`, or `assumption-fails`.
    pub fn cell(self) -> &'static str {
        match self {
            Fit::Agrees => "true",
            Fit::Disagrees => "false",
            Fit::AssumptionFails => "assumption-fails",
        }
    }

    /// The verdict an `agrees.*` cell holds; `None` for an empty cell (no closed form applies).
    pub fn from_cell(text: &str) -> Option<Fit> {
        Fit::ALL.into_iter().find(|v| v.cell() == text)
    }
}

impl fmt::Display for Fit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cell())
    }
}

/// A measured figure next to its prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// The closed form's value.
    pub predicted: f64,
    /// The run's estimate.
    pub measured: f64,
    /// Trials behind the estimate (acquisitions or instances; for the contention figures, holds).
    pub trials: u64,
    /// For a rate, the tolerance of docs/model.md §4.4, `4·sqrt(p(1-p)/N)` at the predicted `p`;
    /// for the contention figures, four standard errors from the model's variance (see
    /// [`check_contention`]).
    pub tolerance: f64,
    /// How far below the prediction the run's own end may pull the estimate, on top of the
    /// tolerance: a rate that needs a next grant (an overlap, a stale access) cannot happen in the
    /// last sections of a run that ends on its quotas, when fewer and fewer clients are still
    /// waiting. At most `clients - 1` sections lose their chance, so the rate may fall short by up
    /// to `p·(clients - 1)/N`. Zero for figures the end of a run cannot bias.
    pub shortfall: f64,
    /// What the run measured of the contention assumption.
    pub assumption: Assumption,
}

impl Comparison {
    /// True when the estimate is within the tolerance of the prediction (below it, within the
    /// tolerance and the shortfall).
    pub fn agrees(&self) -> bool {
        let d = self.measured - self.predicted;
        -self.tolerance - self.shortfall <= d && d <= self.tolerance
    }

    /// Agrees, or else whether the run's failed assumption explains the distance.
    pub fn fit(&self) -> Fit {
        if self.agrees() {
            return Fit::Agrees;
        }
        let d = self.measured - self.predicted;
        let explained = match self.assumption {
            Assumption::Held => false,
            Assumption::FailedBelow(most) => -self.tolerance - self.shortfall - most <= d && d <= 0.0,
            Assumption::Failed => true,
        };
        if explained { Fit::AssumptionFails } else { Fit::Disagrees }
    }
}

/// What a rate needs beyond its own section, which decides its allowances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Nothing: a margin abort happens whoever waits.
    Nothing,
    /// A next grant: an expiry with nobody waiting may cost it one event.
    NextGrant,
    /// A next grant within a run that ends on its quotas: also the end-of-run shortfall.
    NextGrantBeforeTheEnd,
}

/// The comparison of a rate with its predicted value `predicted` (docs/model.md §4.4), with the
/// allowances of what it `needs`.
fn rate_comparison(
    cfg: &LockConfig,
    m: &LockMetrics,
    predicted: f64,
    rate: Rate,
    needs: Needs,
) -> Comparison {
    // Under the rare-event estimator an unwaited expiry is one of its long stalls, which stands
    // for `long_weight` of the law's, and the tolerance is four of the estimate's own standard
    // errors (its 95% interval is 1.96 of them) instead of a binomial count's.
    let (unwaited_weight, tolerance) = match &m.rare {
        Some(rare) => (rare.long_weight, (rate.ci95[1] - rate.ci95[0]) / 2.0 * 4.0 / 1.959_963_984_540_054),
        None => (1.0, crate::check::stats::tolerance(predicted, rate.of)),
    };
    let assumption = if needs == Needs::Nothing || m.unwaited_expiries == 0 {
        Assumption::Held
    } else {
        Assumption::FailedBelow(m.unwaited_expiries as f64 * unwaited_weight / rate.of.max(1) as f64)
    };
    Comparison {
        predicted,
        measured: rate.rate,
        trials: rate.of,
        tolerance,
        shortfall: if needs == Needs::NextGrantBeforeTheEnd {
            end_of_run_shortfall(cfg, predicted, rate.of)
        } else {
            0.0
        },
        assumption,
    }
}

/// The comparison of a contention figure (a mean, not a rate) whose `tolerance` comes from the
/// model's variance; `None` when that is infinite.
fn contention_comparison(
    m: &LockMetrics,
    predicted: f64,
    measured: f64,
    tolerance: f64,
) -> Option<Comparison> {
    let assumption = if m.unwaited_expiries == 0 { Assumption::Held } else { Assumption::Failed };
    let c = Comparison { predicted, measured, trials: m.acquisitions, tolerance, shortfall: 0.0, assumption };
    Some(c).filter(|c| c.tolerance.is_finite())
}

/// The shortfall of a rate that needs a next grant, for a run of `cfg` with `n` trials.
fn end_of_run_shortfall(cfg: &LockConfig, predicted: f64, n: u64) -> f64 {
    predicted * (cfg.clients as f64 - 1.0) / n.max(1) as f64
}

/// Runs `cfg` and compares its headline rate (overlaps for the increment workload, disagreements
/// for consensus) with the closed form; `None` when there is no closed form for `cfg`.
pub fn compare(cfg: &LockConfig) -> Option<Result<Comparison, RunError>> {
    let prediction = predict(cfg)?;
    Some(crate::lock::run(cfg).map(|report| {
        let m = &report.metrics;
        match (prediction.overlap_rate, prediction.disagreement_rate) {
            (Some(p), _) => rate_comparison(cfg, m, p, m.rates.overlap, Needs::NextGrantBeforeTheEnd),
            (None, p) => {
                let p = p.expect("a prediction covers overlaps or disagreements");
                rate_comparison(cfg, m, p, m.rates.disagreement, Needs::NextGrant)
            }
        }
    }))
}

/// A run's waiting, unavailability and mean hold next to their closed forms (module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContentionComparison {
    /// The mean acquire wait in nanoseconds (`acquire_latency_ns.mean`); `None` when the model's
    /// variance is infinite, so that no tolerance shrinking like `1/sqrt(N)` exists.
    pub wait: Option<Comparison>,
    /// The fraction of the run the holder was stalled while another client waited (`unavailable`).
    pub unavailable: Option<Comparison>,
    /// The mean time from one grant to the next, `end_ns / acquisitions`: what both forms are made
    /// of, checked on its own so that a disagreement can be traced to the hold or to the step from
    /// the hold to the wait.
    pub hold: Option<Comparison>,
    /// Chance that a section outlives its hold (its holder comes back after the next grant and has
    /// lost its turn).
    pub out_of_turn: f64,
    /// The run stayed where the forms apply: no section could outlive its hold, or the horizon
    /// ended the run while every client still contended. A run that a preemptive lock's overlaps
    /// pushed out of turn and that ended on its quotas is not steady (module docs).
    pub steady: bool,
}

impl ContentionComparison {
    /// True when the run was steady and every figure with a tolerance agrees (and there is one).
    pub fn agrees(&self) -> bool {
        let figures = [self.wait, self.unavailable, self.hold];
        self.steady && figures.iter().any(Option::is_some) && figures.iter().flatten().all(Comparison::agrees)
    }
}

/// The oracle's histogram keeps three significant digits and reports the mean of its buckets'
/// midpoints: each wait is read within `1/2048` of itself, so the reported mean is within
/// `measured/2047` of the exact one. A bound on the instrument, not a statistical error.
const HISTOGRAM_RESOLUTION: f64 = 1.0 / 2047.0;

/// Checks `metrics`, the outcome of a run, against the contention forms of `cfg`; `None` when they
/// do not cover `cfg`.
///
/// **What N is.** Write `H_j` for the time from grant `j` to grant `j + 1` and `T_j` for the time
/// from grant `j` to its holder's next request. Each client's time line is waits and `T`s, and
/// (while the lock never idles) the run is the sum of the `H`s, so the run's total wait is
/// `Σ_j (p·H_j - T_j)` up to boundary terms at its start and end. `H_j` and `T_j` depend on grant
/// `j`'s stall alone, and stalls are independent draws, so the mean wait is the mean of `N`
/// independent copies of `Y = p·H - T`, `N` the number of acquisitions (holds), and its standard
/// error is `sqrt(Var(Y)/N)`, with `Var(Y)` **from the model** (the capped second moments of the
/// stall law). The waits themselves are not independent: each hold is part of the `p - 1` waits
/// that span it, so four standard errors computed from the waits' own spread would be about
/// `sqrt(p - 1)` times too tight (four times at 16 clients). Nor are batch means needed: the
/// decomposition makes the dependence exact. The tolerance is four of these standard errors plus
/// the bound of the oracle's histogram, `measured/2047` (three significant digits, bucket
/// midpoints).
///
/// The predicted value is the steady-state mean less the first round's shortfall: at the start
/// client `k` waits for `k` holds, not `p - 1`, which takes `p(p-1)/2` holds off the total, so
/// `p(p-1)E[H]/(2N)` off the mean (exact for a lock that keeps its turns; the same to first order
/// when a horizon ends the run).
///
/// The unavailability is the ratio `Σ U_j / Σ H_j` of sums over the same independent holds (`U`
/// the part of a hold spent stalled), so by the delta method its standard error is
/// `sqrt(Var(U - r·H)/N) / E[H]` at `r = E[U]/E[H]`, again from the model's variance. The mean hold
/// `end_ns / N` has standard error `sqrt(Var(H)/N)`. Both tolerances are four standard errors.
///
/// A figure whose variance is infinite (Pareto stalls of shape 2 or less wherever the whole stall
/// enters: every `T`, and `H` without a lease) is left out (`None`): its sample mean converges
/// more slowly than `1/sqrt(N)` and no such tolerance is honest.
///
/// Neglected: boundary terms of a few holds at the ends of the run, and the simulator's clock
/// running on after the last release to the last timer it had scheduled (a cancelled retry),
/// which lengthens `end_ns` by up to a few hundred milliseconds. Both are `O(1/N)`, a few
/// hundredths of a standard error at 16 clients and `10^5` holds; only a run without randomness,
/// whose tolerance is zero, can see them.
pub fn check_contention(cfg: &LockConfig, m: &LockMetrics) -> Option<ContentionComparison> {
    let law = HoldLaw::of(cfg)?;
    let mean_wait = law.mean_wait()?;
    let trials = m.acquisitions as f64;
    let p = law.clients;
    let mean_hold = law.mean_hold();
    let four_se = |variance: f64| 4.0 * (variance / trials).sqrt();
    let measured_wait = m.acquire_latency_ns.mean;
    let wait = contention_comparison(
        m,
        mean_wait - p * (p - 1.0) * mean_hold / (2.0 * trials),
        measured_wait,
        four_se(law.variance(law.wait_share())) + measured_wait * HISTOGRAM_RESOLUTION,
    );
    let r = law.mean(|b| b.stalled) / mean_hold;
    let unavailable = contention_comparison(
        m,
        r,
        m.unavailable,
        four_se(law.variance(|b| b.stalled.minus(b.hold.times(r)))) / mean_hold,
    );
    let hold =
        contention_comparison(m, mean_hold, m.end_ns as f64 / trials, four_se(law.variance(|b| b.hold)));
    let out_of_turn = law.outlives();
    let steady = out_of_turn == 0.0 || m.ending == crate::engine::Ending::Horizon;
    Some(ContentionComparison { wait, unavailable, hold, out_of_turn, steady })
}

/// Runs `cfg` and checks it with [`check_contention`]; `None` when the forms do not cover `cfg`.
pub fn compare_contention(cfg: &LockConfig) -> Option<Result<ContentionComparison, RunError>> {
    HoldLaw::of(cfg)?.mean_wait()?;
    Some(crate::lock::run(cfg).map(|report| {
        check_contention(cfg, &report.metrics).expect("the forms cover a configuration they predicted")
    }))
}

/// The figures the closed forms may cover, by the name the sweeps' columns use.
pub const PREDICTED: [&str; 6] =
    ["overlap_rate", "stale_rate", "abort_rate", "disagreement_rate", "mean_wait_ns", "unavailable"];

/// Every figure of [`PREDICTED`], the closed form's value next to what `m` measured, or `None`
/// where the closed forms do not cover `cfg` (or that figure, or that run: the contention figures
/// only for a steady run, [`ContentionComparison::steady`]).
pub fn comparisons(cfg: &LockConfig, m: &LockMetrics) -> [(&'static str, Option<Comparison>); 6] {
    let p = predict(cfg).unwrap_or_default();
    let mut stale = Rate::new(m.stale_accepted + m.stale_rejected, m.acquisitions);
    if m.rare.is_some() {
        // Weighted rates add; so do their intervals' ends, which is conservative.
        let (a, r) = (m.rates.stale_accepted, m.rates.stale_rejected);
        stale.rate = a.rate + r.rate;
        stale.ci95 = [a.ci95[0] + r.ci95[0], a.ci95[1] + r.ci95[1]];
    }
    let rates = [
        (p.overlap_rate, m.rates.overlap, Needs::NextGrantBeforeTheEnd),
        (p.stale_rate, stale, Needs::NextGrantBeforeTheEnd),
        (p.abort_rate, m.rates.abort, Needs::Nothing),
        (p.disagreement_rate, m.rates.disagreement, Needs::NextGrant),
    ];
    let rate = |(predicted, rate, needs): (Option<f64>, Rate, Needs)| {
        predicted.filter(|_| rate.of > 0).map(|predicted| rate_comparison(cfg, m, predicted, rate, needs))
    };
    // Waits and unavailability under the rare-event estimator's proposal are not the law's.
    let contention = check_contention(cfg, m).filter(|c| c.steady && m.rare.is_none());
    let [overlap, stale, abort, disagreement] = rates.map(rate);
    let figures = [
        overlap,
        stale,
        abort,
        disagreement,
        contention.and_then(|c| c.wait),
        contention.and_then(|c| c.unavailable),
    ];
    let mut out = PREDICTED.map(|name| (name, None));
    for ((_, slot), figure) in out.iter_mut().zip(figures) {
        *slot = figure;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first sweep of the README, lease 1 ms and exp(5 ms) stalls: the closed form says every
    /// section overlaps (tolerance 0), 100,000 acquisitions gave 99,968 overlaps, and 65 expiries
    /// found nobody waiting.
    fn shortest_lease(assumption: Assumption) -> Comparison {
        Comparison {
            predicted: 1.0,
            measured: 0.99968,
            trials: 100_000,
            tolerance: 0.0,
            shortfall: 15.0 / 100_000.0,
            assumption,
        }
    }

    #[test]
    fn unwaited_expiries_explain_a_shortfall_they_can_account_for_and_no_more() {
        assert_eq!(shortest_lease(Assumption::Held).fit(), Fit::Disagrees);
        assert_eq!(shortest_lease(Assumption::FailedBelow(65e-5)).fit(), Fit::AssumptionFails);
        // 10 expiries could have cost at most 10 overlaps, not 32.
        assert_eq!(shortest_lease(Assumption::FailedBelow(10e-5)).fit(), Fit::Disagrees);
        // Unwaited expiries only take overlaps away: a rate above its form is not theirs.
        let above = Comparison { measured: 1.01, ..shortest_lease(Assumption::FailedBelow(1.0)) };
        assert_eq!(above.fit(), Fit::Disagrees);
        let agrees = Comparison { measured: 1.0, ..shortest_lease(Assumption::FailedBelow(1.0)) };
        assert_eq!(agrees.fit(), Fit::Agrees);
        let idle = Comparison { measured: 1.01, ..shortest_lease(Assumption::Failed) };
        assert_eq!(idle.fit(), Fit::AssumptionFails);
    }

    #[test]
    fn verdicts_read_back_from_their_cells() {
        for v in Fit::ALL {
            assert_eq!(Fit::from_cell(v.cell()), Some(v));
        }
        assert_eq!(Fit::from_cell(""), None);
        assert_eq!(Fit::Agrees.to_string(), "true", "a table's old cells keep their meaning");
    }
}
