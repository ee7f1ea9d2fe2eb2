//! Closed forms: what a configuration's rates should be, derived from the model, so that every
//! measured curve has a prediction to be checked against. Pure arithmetic on the configuration;
//! running and comparing is [`super::comparison`]'s job.
//!
//! The reasoning is that of docs/model.md §4. Under contention (someone always waits) and instant links, the
//! holder's section runs from its grant at 0 to `S + w` (a stall `S` at the pause point plus the
//! work `w`), and the next client is granted at `L + D` (lease plus lock-delay). So:
//!
//! - **P2 pause** (after the last check): overlap iff `S + w >= L + D` (at a tie the expiry comes
//!   first), rate `P(S >= L + D - w)`, which is `P(S > L + D - w)` for every continuous law.
//! - **P1 pause with a margin `m`** and a clock slow by `ρ`: the client sees `S(1-ρ)` elapse and
//!   aborts iff `S > A = (L - m)/(1-ρ)`. An aborting client is still inside (docs/model.md §3: granted,
//!   not yet released or aborted) until it wakes and aborts at `S`; a passing one until `S + w`. So
//!   it overlaps iff `S > max(A, L + D)` or `L + D - w < S ≤ A`, but it touches storage after the
//!   next grant (a *stale* access) only in the second case. The margin cannot prevent the harmless
//!   overlap of a frozen client; it prevents the harmful one exactly while `A ≤ L + D - w`, i.e.
//!   while it covers the work and the drift.
//! - **P1 pause without a margin**: the stall is inside the section all the same: as P2.
//!
//! Work takes true time (a drifting clock does not slow the processor), so `w` enters unscaled.
//! - **Non-preemptive**: never overlaps.
//!
//! For the **consensus** workload every client contends for every instance. The first client to
//! get an instance's lock reads an empty register; if it overlaps (the P2 rule above), the next
//! one reads the register before the first has written it, and the two decide differently unless
//! the decision waits for fenced storage's verdict. So the disagreement rate per instance is the
//! overlap probability, and zero for a non-preemptive lock or for fencing with decide-by-ack.
//!
//! **Polling waiters** (a design whose waiters do not queue, Redlock): the next client is granted
//! not at the expiry but at the first poll after it. Each of the `p - 1` waiters polls after
//! backoffs uniform in `[r/2, r]` (`r` = `--retry`), a stationary renewal process, so the delay
//! `X` to the first poll has `P(X > x) = (1 - q(x))^(p-1)`, `q` being one waiter's chance to poll
//! within `x` ([`poll_lands_in`]). Every rate above becomes its value with the next grant `X`
//! later, averaged over `X`: at `--retry 1ms` this is within a percent of the instant form, at the
//! default `20ms` it is a fifth lower (16 clients, exp(5 ms) stalls, `L = 10 ms`).
//!
//! Fencing changes what storage accepts, not who is inside, so the overlap rate is the same for the
//! fenced variants. The contention assumption fails when all other clients are themselves stalled
//! inside expired sections, which is common with two clients and long stalls; predictions are
//! therefore compared with runs of many clients (the tests use 16).
//!
//! ## Waiting and unavailability under contention
//!
//! [`Prediction::mean_wait_ns`] and [`Prediction::unavailable`] follow the lock from hold to
//! hold rather than one section. They cover the increment workload on the simulator, where a
//! message arrives the instant it is sent, so time passes only in stalls, work and the service's
//! timers.
//!
//! Number the grants. Grant `j` goes to a client that stalls `S_j` at its pause point (at the grant
//! itself: with instant storage, P1 and P2 fall at the same instant), works `w`, and in the step in
//! which its write is answered sends its release and then its next request. Two durations depend
//! on `S_j` alone:
//!
//! - the **hold** `H_j`, from grant `j` to grant `j + 1`. The service grants again the moment the
//!   lock is free, and a release reaches it before the releaser's new request, so the next client
//!   in line gets the lock, with no gap.
//!   - Non-preemptive: `H = S + w`.
//!   - Lease `L` with lock-delay `D` (0 for a plain lease): `H = S + w` if `S + w < L`, else
//!     `L + D`. At `S + w = L` the expiry wins: its timer was set at the grant, before anything the
//!     holder scheduled, and the simulator runs the events of one instant in the order they were
//!     scheduled. A release during the lock-delay frees nothing.
//!   - A margin checked after a P1 stall aborts when the slow local clock shows less than `m`
//!     left, i.e. when `S > A = (L - m)/(1 - ρ)`, and an abort releases at once: `H = S` if
//!     `S < L`, else `L + D`. (After a P2 stall the check came first, at the grant, and passed.)
//! - the **time away** `T_j`, from grant `j` to its holder's next request: `S + w`, or `S` after
//!   an abort, whether or not the lease expired meanwhile.
//!
//! Each client's time line alternates waits and times away, and the lock's is a chain of holds.
//! As long as the lock never idles, the `p` clients' time lines together last `p` times the run,
//! so the total wait is `Σ_j (p·H_j - T_j)` up to the ends of the run, and
//!
//! `E[wait] = p·E[H] - E[T] = (p - 1)·E[H] - E[T - H]`.
//!
//! A non-preemptive hold has `T = H`, and this is `(p - 1)·E[H]`: with FIFO service a client waits
//! for the `p - 1` holds of the others. A section that outlives its hold (`T > H`: its holder comes
//! back after the next grant, which is exactly an overlap) keeps its client out of line beyond its
//! hold, and the others meanwhile wait for one client fewer, so `(p - 1)·E[H]` would be too long.
//! A holder back during the lock-delay (`T < H`) waits out the rest of it on top of the others'
//! holds. With `c = L - w` and no margin this reads, in terms of the stall law:
//!
//! - non-preemptive: `E[H] = E[T] = E[S] + w`, so `E[wait] = (p - 1)(E[S] + w)`;
//! - lease: `E[H] = w + E[min(S, c)] + D·P(S >= c)` and `E[T] = E[S] + w`.
//!
//! With a margin the same sums are taken band by band of `S` (below and above `A`, `c` and `L`).
//! The partial expectations come from [`Dist::capped_mean`] and [`Dist::tail_from`] (the tie above
//! needs `P(S >= c)`, which differs from [`Dist::tail`] at a fixed stall), and the variances that
//! the tolerances need from [`Dist::capped_second_moment`].
//!
//! **Unavailability.** The oracle counts the time in which the holder (the newest client to
//! enter, while inside) is stalled while another client waits. Under contention someone always
//! waits, and the holder is stalled from its grant for `S` or until the next client enters, at
//! `L + D`. So the stalled part of a hold is `U = S` for the non-preemptive lock and
//! `U = min(S, L + D)` for a lease: during the lock-delay nobody can have the lock because of the
//! stalled holder. It is not `min(S, H)`: a holder back during the lock-delay is no longer
//! stalled. The run's fraction is `E[U]/E[H]`.
//!
//! **Where they apply.**
//! - The simulator and the increment workload, with the faults the rates cover (on threads every
//!   message takes real time, which the holds would have to include).
//! - A stall with a finite mean (for Pareto, shape above 1). The time away contains the whole
//!   stall; with an infinite mean a long run is dominated by a few clients stalled for most of it,
//!   there is no steady state, and both figures are `None`. With a shape in (1, 2] the mean exists
//!   but not the variance, and [`check_contention`](super::check_contention) offers no tolerance
//!   for the figures that contain the whole stall.
//! - A lock that never idles. That always holds when no section outlives its hold, since then
//!   every client is back in line by the next grant; otherwise it needs enough clients that not
//!   all of the others are away at once (the tests use 16).
//! - A steady run. A run that ends on its quotas is fine for a lock that keeps its turns: the last
//!   round's waits are as long as any. But when sections outlive their holds the clients drift out
//!   of step, finish their quotas at scattered times, and the last stretch has fewer contenders.
//!   The shortfall grows with the run like the drift, so it shrinks no faster than the statistical
//!   error. Such runs must be ended by the horizon while every client still contends;
//!   [`ContentionComparison::steady`](super::ContentionComparison::steady) says whether a run
//!   qualifies.

use crate::fault::Dist;
use crate::lock::client::{DecideBy, TimerStart, Workload};
use crate::lock::config::{EngineKind, LockConfig};
use crate::lock::design::Timing;
use crate::lock::designs::redlock::poll_lands_in;
use crate::lock::storage::Fencing;
use crate::node::PausePoint;
use crate::time::Nanos;

/// Predicted figures of a configuration; a figure the closed forms do not cover is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prediction {
    /// Overlaps per acquisition (increment workload).
    pub overlap_rate: Option<f64>,
    /// Sections that access storage after the next grant, per acquisition (increment workload).
    pub stale_rate: Option<f64>,
    /// Margin aborts per acquisition (increment workload).
    pub abort_rate: Option<f64>,
    /// Disagreements per instance (consensus workload).
    pub disagreement_rate: Option<f64>,
    /// Mean acquire wait (request sent to grant received) under contention, in nanoseconds: the
    /// steady-state figure a long run's `acquire_latency_ns.mean` approaches (increment workload,
    /// simulator; see the module docs for where it applies).
    pub mean_wait_ns: Option<f64>,
    /// Fraction of the run in which the lock's holder is stalled while another client waits
    /// (increment workload, simulator).
    pub unavailable: Option<f64>,
}

impl Prediction {
    fn increment(overlap: f64, stale: f64, abort: f64) -> Prediction {
        Prediction {
            overlap_rate: Some(overlap),
            stale_rate: Some(stale),
            abort_rate: Some(abort),
            ..Default::default()
        }
    }
}

/// The prediction for `cfg`, or `None` when the closed form does not cover it (network faults,
/// partitions, scripted faults, renewals, a countdown from the request, a margin or drift in the
/// consensus workload).
pub fn predict(cfg: &LockConfig) -> Option<Prediction> {
    if !covered(cfg) {
        return None;
    }
    let timing = cfg.variant.design().timing(cfg)?;
    let delays = grant_delays(cfg, &timing);
    // The mean over the equally likely delays of the next grant (one, 0, for a queueing design).
    let mean = |f: &dyn Fn(f64) -> f64| delays.iter().map(|&x| f(x)).sum::<f64>() / delays.len() as f64;
    let overlap_from = timing.expiry.map(|l| (l + timing.lock_delay) as f64 - cfg.work as f64);
    let s = &cfg.pause;
    match cfg.workload {
        Workload::Consensus { decide_by } => {
            if cfg.margin.is_some() || cfg.drift > 0.0 {
                return None;
            }
            let protected = cfg.fencing() == Fencing::All && decide_by == DecideBy::Ack;
            // Fencing protects the decision only with tokens in acquisition order, which a
            // design that does not queue cannot promise.
            let protected = protected && timing.queued;
            let rate = match overlap_from {
                Some(from) if !protected => mean(&|x| s.tail_from(from + x)),
                _ => 0.0,
            };
            Some(Prediction { disagreement_rate: Some(rate), ..Default::default() })
        }
        Workload::Increment => {
            let mut prediction = match (overlap_from, timing.expiry, timing.lease) {
                (Some(from), Some(expiry), Some(l)) => {
                    let next_grant = (expiry + timing.lock_delay) as f64;
                    match (cfg.pause_at, cfg.margin) {
                        (PausePoint::P1, Some(m)) => {
                            let abort_from = (l - m) as f64 / (1.0 - cfg.drift);
                            let harmful = |x: f64| (s.tail_from(from + x) - s.tail(abort_from)).max(0.0);
                            Prediction::increment(
                                mean(&|x| s.tail(abort_from.max(next_grant + x)) + harmful(x)),
                                mean(&harmful),
                                s.tail(abort_from),
                            )
                        }
                        // A section that ends exactly at the expiry overlaps: the expiry's timer
                        // was set at the grant, before anything the holder scheduled, and one
                        // instant's events run in the order they were scheduled. Hence S >= ...
                        _ => {
                            let overlap = mean(&|x| s.tail_from(from + x));
                            Prediction::increment(overlap, overlap, 0.0)
                        }
                    }
                }
                _ => Prediction::increment(0.0, 0.0, 0.0),
            };
            if let Some(law) = HoldLaw::of(cfg).filter(|_| timing.queued) {
                prediction.mean_wait_ns = law.mean_wait();
                prediction.unavailable = law.unavailable();
            }
            Some(prediction)
        }
    }
}

/// Equally likely values of a poll delay: enough that a stall law with an atom (a fixed stall)
/// is off by at most `1/(2·POLL_QUANTILES)`, well inside any tolerance a run can reach.
const POLL_QUANTILES: u32 = 4096;

/// The delay from the expiry (and lock-delay) to the next grant, in nanoseconds, as equally
/// likely values (its quantiles at the midpoints of equal slices of probability): 0 for a design
/// whose waiters queue; for one whose waiters poll, the first poll of the `p - 1` waiters
/// (module docs).
fn grant_delays(cfg: &LockConfig, timing: &Timing) -> Vec<f64> {
    if timing.queued {
        return vec![0.0];
    }
    let waiters = cfg.clients.saturating_sub(1).max(1) as f64;
    (0..POLL_QUANTILES)
        .map(|i| {
            let u = (f64::from(i) + 0.5) / f64::from(POLL_QUANTILES);
            // P(X <= x) = 1 - (1 - q(x))^waiters = u where q(x) is this.
            let q = 1.0 - (1.0 - u).powf(1.0 / waiters);
            first_window_with(q, cfg.retry) as f64
        })
        .collect()
}

/// The shortest window (to the nanosecond) in which one waiter polling every `retry` or so polls
/// with a chance of at least `q`; [`poll_lands_in`] grows with the window and is 1 from `retry`.
fn first_window_with(q: f64, retry: Nanos) -> Nanos {
    let (mut lo, mut hi) = (0, retry);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if poll_lands_in(mid, retry) >= q { hi = mid } else { lo = mid + 1 }
    }
    lo
}

/// True when no fault outside the closed forms' model is configured.
fn covered(cfg: &LockConfig) -> bool {
    cfg.link.is_perfect()
        && cfg.partitions.is_empty()
        && cfg.faults.is_empty()
        && cfg.script.is_empty()
        && cfg.renew == 0
        && cfg.timer_start == TimerStart::Grant
}

/// `a + b·S`: what a hold is made of, on one band of stall values `S`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Affine {
    a: f64,
    b: f64,
}

impl Affine {
    const fn new(a: f64, b: f64) -> Affine {
        Affine { a, b }
    }
    pub(super) fn times(self, k: f64) -> Affine {
        Affine::new(self.a * k, self.b * k)
    }
    pub(super) fn minus(self, other: Affine) -> Affine {
        Affine::new(self.a - other.a, self.b - other.b)
    }
    fn shifted(self, by: f64) -> Affine {
        Affine::new(self.a + by, self.b)
    }
}

/// `coefficient · moment`, where a zero coefficient wins over an infinite moment: a quantity
/// that does not grow with `S` has a mean even where `S` has none.
fn term(coefficient: f64, moment: f64) -> f64 {
    if coefficient == 0.0 { 0.0 } else { coefficient * moment }
}

/// `[P(S ∈ B), E[S; B], E[S²; B]]` for `B = {S < x}`, or `{S ≤ x}` when `closed`.
fn moments_below(s: &Dist, x: f64, closed: bool) -> [f64; 3] {
    if x == f64::INFINITY {
        return [1.0, s.capped_mean(x), s.capped_second_moment(x)];
    }
    // min(S, x) is S below x and x from x on; taking out the part at and above x leaves the part
    // below. Which of the two tails is right is the one place an atom at x matters.
    let beyond = if closed { s.tail(x) } else { s.tail_from(x) };
    [1.0 - beyond, s.capped_mean(x) - x * beyond, s.capped_second_moment(x) - x * x * beyond]
}

/// An interval of stall values, each end open or closed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    lo: f64,
    lo_closed: bool,
    hi: f64,
    hi_closed: bool,
}

impl Interval {
    /// `[lo, hi)`.
    fn half_open(lo: f64, hi: f64) -> Interval {
        Interval { lo, lo_closed: true, hi, hi_closed: false }
    }

    fn is_empty(&self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && !(self.lo_closed && self.hi_closed))
    }

    /// The part at or below `x`.
    fn up_to(self, x: f64) -> Interval {
        if x < self.hi { Interval { hi: x, hi_closed: true, ..self } } else { self }
    }

    /// The part strictly below `x`.
    fn below(self, x: f64) -> Interval {
        if x <= self.hi { Interval { hi: x, hi_closed: false, ..self } } else { self }
    }

    /// The part strictly above `x`.
    fn above(self, x: f64) -> Interval {
        if x >= self.lo { Interval { lo: x, lo_closed: false, ..self } } else { self }
    }

    /// `[P(S ∈ I), E[S; I], E[S²; I]]`.
    fn moments(&self, s: &Dist) -> [f64; 3] {
        if self.is_empty() {
            return [0.0; 3];
        }
        let hi = moments_below(s, self.hi, self.hi_closed);
        let lo = moments_below(s, self.lo, !self.lo_closed);
        [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]]
    }
}

/// One band of stall values and, there, the three durations of a hold.
#[derive(Debug, Clone, Copy)]
pub(super) struct Band {
    stall: Interval,
    /// `H`: from this grant to the service's next grant.
    pub(super) hold: Affine,
    /// `T`: from this grant to the holder's next request.
    away: Affine,
    /// `U`: the part of the hold the holder spends stalled, still the service's holder.
    pub(super) stalled: Affine,
    /// The moments of the stall over `stall`, computed once.
    moments: [f64; 3],
}

/// The law of one hold under contention, as a function of the stall drawn for it (module docs).
#[derive(Debug, Clone)]
pub(super) struct HoldLaw {
    stall: Dist,
    bands: Vec<Band>,
    pub(super) clients: f64,
}

impl HoldLaw {
    /// The law for `cfg`, or `None` outside the forms' domain: the simulator (instant links) and
    /// the increment workload, with the faults [`predict`] covers.
    pub(super) fn of(cfg: &LockConfig) -> Option<HoldLaw> {
        if !covered(cfg) || cfg.engine != EngineKind::Sim || cfg.workload != Workload::Increment {
            return None;
        }
        let timing = cfg.variant.design().timing(cfg).filter(|t| t.queued)?;
        let w = cfg.work as f64;
        let s = &cfg.pause;
        let inf = f64::INFINITY;
        let stall = Affine::new(0.0, 1.0);
        let released = stall.shifted(w);
        let mut bands = Vec::new();
        let mut band = |stall: Interval, hold, away, stalled| {
            bands.push(Band { stall, hold, away, stalled, moments: stall.moments(s) });
        };
        match (timing.expiry, timing.lease) {
            (Some(l), Some(lease)) => {
                let (l, d, lease) = (l as f64, timing.lock_delay as f64, lease as f64);
                let expired = Affine::new(l + d, 0.0);
                // The holder's stall keeps the lock from the others until the next client enters,
                // at the expiry plus the lock-delay: the stalled part of a hold is min(S, L + D).
                let cut = Affine::new(l + d, 0.0);
                // A stall from `L - w` on leaves the release at or after the expiry, which wins a
                // tie (module docs); a margin checked after a P1 stall aborts beyond `A`, judged
                // against the lease the client counts down.
                let c = l - w;
                let abort_from = match (cfg.pause_at, cfg.margin) {
                    (PausePoint::P1, Some(m)) => (lease - m as f64) / (1.0 - cfg.drift),
                    _ => inf,
                };
                let (early, late) = (Interval::half_open(0.0, c), Interval::half_open(c, l));
                let (delayed, past) = (Interval::half_open(l, l + d), Interval::half_open(l + d, inf));
                band(early.up_to(abort_from), released, released, stall);
                band(late.up_to(abort_from), expired, released, stall);
                band(delayed.up_to(abort_from), expired, released, stall);
                band(past.up_to(abort_from), expired, released, cut);
                // An abort releases at once, at the end of the stall, unless the lease is already
                // gone.
                band(Interval::half_open(0.0, l).above(abort_from), stall, stall, stall);
                band(delayed.above(abort_from), expired, stall, stall);
                band(past.above(abort_from), expired, stall, cut);
            }
            _ => band(Interval::half_open(0.0, inf), released, released, stall),
        }
        Some(HoldLaw { stall: s.clone(), bands, clients: cfg.clients as f64 })
    }

    /// `E[f(S)·g(S)]`.
    fn mean_product(&self, f: impl Fn(&Band) -> Affine, g: impl Fn(&Band) -> Affine) -> f64 {
        self.bands
            .iter()
            .map(|band| {
                let ([p, m1, m2], f, g) = (band.moments, f(band), g(band));
                term(f.a * g.a, p) + term(f.a * g.b + f.b * g.a, m1) + term(f.b * g.b, m2)
            })
            .sum()
    }

    /// `E[f(S)]`.
    pub(super) fn mean(&self, f: impl Fn(&Band) -> Affine) -> f64 {
        self.mean_product(f, |_| Affine::new(1.0, 0.0))
    }

    /// `E[(f(S) - E[f(S)])²]`, computed around the mean so that no digits cancel.
    pub(super) fn variance(&self, f: impl Fn(&Band) -> Affine + Copy) -> f64 {
        let mean = self.mean(f);
        if !mean.is_finite() {
            return f64::INFINITY;
        }
        let centred = |b: &Band| f(b).shifted(-mean);
        self.mean_product(centred, centred)
    }

    pub(super) fn mean_hold(&self) -> f64 {
        self.mean(|b| b.hold)
    }

    /// What one grant adds to the run's total wait: `p·H - T`.
    pub(super) fn wait_share(&self) -> impl Fn(&Band) -> Affine + Copy {
        let p = self.clients;
        move |b: &Band| b.hold.times(p).minus(b.away)
    }

    /// `p·E[H] - E[T]`, `None` when `E[T]` is infinite (no steady state: see the module docs).
    pub(super) fn mean_wait(&self) -> Option<f64> {
        Some(self.mean(self.wait_share())).filter(|m| m.is_finite())
    }

    /// `E[U] / E[H]`, under the same condition as the mean wait.
    fn unavailable(&self) -> Option<f64> {
        self.mean_wait()?;
        Some(self.mean(|b| b.stalled) / self.mean_hold()).filter(|r| r.is_finite())
    }

    /// `P(T > H)`: the chance that a section outlives its hold, taking its client out of turn.
    pub(super) fn outlives(&self) -> f64 {
        self.bands
            .iter()
            .map(|band| {
                let excess = band.away.minus(band.hold);
                let beyond = match excess.b {
                    b if b > 0.0 => band.stall.above(-excess.a / b),
                    b if b < 0.0 => band.stall.below(-excess.a / b),
                    _ if excess.a > 0.0 => band.stall,
                    _ => return 0.0,
                };
                beyond.moments(&self.stall)[0]
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::Variant;
    use crate::time::MS;

    #[test]
    fn reproduces_the_exponential_table() {
        let expected =
            [(0.5, 0.606531), (1.0, 0.367879), (2.0, 0.135335), (4.0, 0.0183156), (8.0, 0.000335463)];
        for (ratio, p) in expected {
            let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
            cfg.work = 0;
            cfg.lease = Some(8 * MS);
            cfg.pause = Dist::Exp { mean: (8.0 * MS as f64 / ratio) as u64 };
            let got = predict(&cfg).unwrap().overlap_rate.unwrap();
            assert!((got - p).abs() < 1e-6, "L/mu = {ratio}: {got} vs {p}");
        }
    }

    fn contended(variant: Variant, pause: Dist) -> LockConfig {
        let mut cfg = LockConfig::new(variant, EngineKind::Sim);
        cfg.clients = 16;
        cfg.pause = pause;
        cfg
    }

    fn close(got: Option<f64>, want: f64) -> bool {
        got.is_some_and(|g| (g - want).abs() <= 1e-9 * want.abs().max(1.0))
    }

    /// Hand-derived values: the non-preemptive lock waits `(p-1)(E[S] + w)`; a lease of 10 ms
    /// with exp(5 ms) stalls and w = 1 ms holds `w + E[min(S, 9 ms)]` and the client is away
    /// `E[S] + w`, so `p·E[H] - E[T]`; a lock-delay of 5 ms adds `D·P(S >= 9 ms)` to the hold, and
    /// the holder is stalled for `min(S, L + D)`: nobody enters during the lock-delay.
    #[test]
    fn contention_forms_by_hand() {
        let ms = MS as f64;
        let exp5 = Dist::Exp { mean: 5 * MS };
        let p = predict(&contended(Variant::NON_PREEMPTIVE, exp5.clone())).unwrap();
        assert!(close(p.mean_wait_ns, 15.0 * 6.0 * ms), "{p:?}");
        assert!(close(p.unavailable, 5.0 / 6.0), "{p:?}");

        let hold = ms + 5.0 * ms * (1.0 - (-1.8f64).exp());
        let p = predict(&contended(Variant::LEASE, exp5.clone())).unwrap();
        assert!(close(p.mean_wait_ns, 16.0 * hold - 6.0 * ms), "{p:?}");
        assert!(close(p.unavailable, 5.0 * ms * (1.0 - (-2.0f64).exp()) / hold), "{p:?}");

        let p = predict(&contended(Variant::LOCK_DELAY, exp5)).unwrap();
        assert!(close(p.mean_wait_ns, 16.0 * 6.0 * ms - 6.0 * ms), "{p:?}");
        assert!(close(p.unavailable, 5.0 * (1.0 - (-3.0f64).exp()) / 6.0), "{p:?}");
    }

    /// A fixed stall that ends the work exactly at the expiry loses the tie: the hold is `L + D`,
    /// which only `P(S >= L - w)` (the atom included) gets right.
    #[test]
    fn a_tie_goes_to_the_expiry() {
        let ms = MS as f64;
        let p = predict(&contended(Variant::LOCK_DELAY, Dist::Fixed(9 * MS))).unwrap();
        // H = 15 ms, T = 10 ms: 16·15 - 10.
        assert!(close(p.mean_wait_ns, 230.0 * ms), "{p:?}");
        assert!(close(p.unavailable, 9.0 / 15.0), "{p:?}");
        let law = HoldLaw::of(&contended(Variant::LOCK_DELAY, Dist::Fixed(9 * MS))).unwrap();
        assert_eq!(law.outlives(), 0.0, "back before the next grant: it keeps its turn");
    }

    /// A margin checked after a P1 stall of uniform(0, 20 ms) with L = 10, m = 3, w = 2 ms:
    /// S <= 7 passes (H = T = S + 2), 7 < S < 10 aborts at once (H = T = S), S >= 10 expires
    /// (H = 10, T = S). So E[H] = (38.5 + 25.5 + 100)/20 = 8.2 ms, E[T] = (38.5 + 175.5)/20 =
    /// 10.7 ms, E[min(S, L)] = 7.5 ms, and every abort past the lease is out of turn.
    #[test]
    fn aborts_shorten_the_hold() {
        let ms = MS as f64;
        let mut cfg = contended(Variant::LEASE_MARGIN, Dist::Uniform { lo: 0, hi: 20 * MS });
        cfg.pause_at = PausePoint::P1;
        cfg.margin = Some(3 * MS);
        cfg.work = 2 * MS;
        let p = predict(&cfg).unwrap();
        assert!(close(p.mean_wait_ns, 16.0 * 8.2 * ms - 10.7 * ms), "{p:?}");
        assert!(close(p.unavailable, 7.5 / 8.2), "{p:?}");
        assert!((HoldLaw::of(&cfg).unwrap().outlives() - 0.5).abs() < 1e-12);
    }

    /// Pareto stalls: the non-preemptive hold has a mean only for a shape above 1 and a variance
    /// only above 2; a lease bounds the hold, but the client is still away for the whole stall, so
    /// the same limits hold for the wait (no mean at or below 1: no steady state at all).
    #[test]
    fn pareto_shapes_decide_what_exists() {
        for variant in [Variant::NON_PREEMPTIVE, Variant::LEASE] {
            for (alpha, mean, variance) in
                [(0.8, false, false), (1.0, false, false), (1.5, true, false), (2.5, true, true)]
            {
                let cfg = contended(variant, Dist::Pareto { alpha, scale: 2 * MS });
                let p = predict(&cfg).unwrap();
                assert_eq!(p.mean_wait_ns.is_some(), mean, "{variant:?}, alpha {alpha}");
                assert_eq!(p.unavailable.is_some(), mean, "{variant:?}, alpha {alpha}");
                let law = HoldLaw::of(&cfg).unwrap();
                assert_eq!(
                    law.variance(law.wait_share()).is_finite(),
                    variance,
                    "{variant:?}, alpha {alpha}"
                );
            }
        }
    }

    /// The forms cover the simulator and the increment workload only.
    #[test]
    fn contention_forms_stay_in_their_domain() {
        let exp5 = Dist::Exp { mean: 5 * MS };
        let mut threads = contended(Variant::LEASE, exp5.clone());
        threads.engine = EngineKind::Threads;
        assert_eq!(predict(&threads).unwrap().mean_wait_ns, None);
        let consensus = contended(Variant::LEASE, exp5).consensus(DecideBy::Ack);
        assert_eq!(predict(&consensus).unwrap().unavailable, None);
    }

    /// The bands against a direct transcription of the rules, stall by stall: means and variances
    /// of `H`, `T` and `U` agree with the sample's within four standard errors estimated from the
    /// sample (independent draws), for margins with and without drift and for every kind of stall.
    #[test]
    fn bands_match_the_rules_stall_by_stall() {
        use rand::SeedableRng;
        let n = 200_000;
        let stalls = ["exp:6ms", "uniform:0ms:20ms", "fixed:12ms@0.3", "pareto:2.5:3ms", "exp:4ms@0.5"];
        let setups: [(Variant, PausePoint, Option<u64>, f64, u64); 5] = [
            (Variant::NON_PREEMPTIVE, PausePoint::P2, None, 0.0, 0),
            (Variant::LEASE, PausePoint::P2, None, 0.0, 0),
            (Variant::LOCK_DELAY, PausePoint::P1, None, 0.0, 4 * MS),
            (Variant::LEASE_MARGIN, PausePoint::P1, Some(3 * MS), 0.0, 0),
            (Variant::LEASE_MARGIN, PausePoint::P1, Some(3 * MS), 0.4, 2 * MS),
        ];
        for stall in stalls {
            for (variant, at, margin, drift, delay) in setups {
                let mut cfg = contended(variant, Dist::parse(stall).unwrap());
                cfg.pause_at = at;
                cfg.margin = margin;
                cfg.drift = drift;
                cfg.lock_delay = delay;
                let (w, d) = (cfg.work as f64, delay as f64);
                let rules = |s: f64| -> [f64; 3] {
                    let Some(l) = cfg.lease.map(|l| l as f64) else { return [s + w, s + w, s] };
                    let aborts = margin.is_some_and(|m| s > (l - m as f64) / (1.0 - drift));
                    let (released, away) = if aborts { (s, s) } else { (s + w, s + w) };
                    let hold = if released < l { released } else { l + d };
                    [hold, away, s.min(l + d)]
                };
                let law = HoldLaw::of(&cfg).unwrap();
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
                let draws: Vec<[f64; 3]> = (0..n).map(|_| rules(cfg.pause.sample(&mut rng) as f64)).collect();
                let pick: [fn(&Band) -> Affine; 3] = [|b| b.hold, |b| b.away, |b| b.stalled];
                for (i, f) in pick.into_iter().enumerate() {
                    let xs: Vec<f64> = draws.iter().map(|d| d[i]).collect();
                    let mean = xs.iter().sum::<f64>() / n as f64;
                    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
                    let what =
                        format!("{stall}, {variant:?} {at:?} margin {margin:?} drift {drift}, quantity {i}");
                    let tol = 4.0 * (var / n as f64).sqrt();
                    assert!(
                        (law.mean(f) - mean).abs() <= tol,
                        "{what}: mean {} vs {mean} ± {tol}",
                        law.mean(f)
                    );
                    // The variance of a sample variance needs a finite fourth moment, which a
                    // Pareto(2.5) stall lacks wherever the whole stall enters (an unbounded band
                    // with a slope); there the variance is left to the hand-derived tests.
                    let unbounded = law.bands.iter().any(|b| b.stall.hi.is_infinite() && f(b).b != 0.0);
                    if unbounded && stall.starts_with("pareto") {
                        continue;
                    }
                    // Otherwise it is estimated from the sample too: (m4 - var²)/n.
                    let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64;
                    let tol = 4.0 * ((m4 - var * var) / n as f64).sqrt();
                    let model = law.variance(f);
                    assert!((model - var).abs() <= tol, "{what}: variance {model} vs {var} ± {tol}");
                }
            }
        }
    }

    #[test]
    fn a_margin_at_p1_only_leaves_the_window_the_drift_opens() {
        let mut cfg = LockConfig::new(Variant::LEASE_MARGIN, EngineKind::Sim);
        cfg.pause_at = PausePoint::P1;
        cfg.pause = Dist::Uniform { lo: 0, hi: 20 * MS };
        cfg.margin = Some(3 * MS);
        cfg.work = 2 * MS;
        let p = predict(&cfg).unwrap();
        // A true clock aborts from 7 ms on; the harmful window (8 ms, 7 ms] is empty. Stalls past
        // 10 ms still overlap: the frozen client is inside until it wakes and aborts.
        assert_eq!(p.stale_rate, Some(0.0));
        assert!((p.overlap_rate.unwrap() - 10.0 / 20.0).abs() < 1e-12);
        assert!((p.abort_rate.unwrap() - 13.0 / 20.0).abs() < 1e-12);
        // A clock at half speed aborts from 14 ms on: harmful for S in (8, 14], 6 ms of 20.
        cfg.drift = 0.5;
        let p = predict(&cfg).unwrap();
        assert!((p.stale_rate.unwrap() - 6.0 / 20.0).abs() < 1e-12);
        assert!((p.overlap_rate.unwrap() - 12.0 / 20.0).abs() < 1e-12);
    }

    fn redlock(retry: u64) -> LockConfig {
        let mut cfg = contended(Variant::REDLOCK, Dist::Exp { mean: 5 * MS });
        cfg.retry = retry;
        cfg
    }

    /// One waiter, a fixed 12 ms stall, L = 10 ms, w = 1 ms: the holder is inside until 13 ms and
    /// overlaps iff the waiter polls within 3 ms of the expiry, which at --retry 20ms is
    /// 3/15 (`poll_lands_in`), not the certainty of a queueing lease.
    #[test]
    fn a_polling_waiter_overlaps_only_if_it_polls_before_the_section_ends() {
        let mut cfg = redlock(20 * MS);
        cfg.clients = 2;
        cfg.pause = Dist::Fixed(12 * MS);
        let p = predict(&cfg).unwrap().overlap_rate.unwrap();
        assert!((p - 0.2).abs() <= 0.5 / f64::from(POLL_QUANTILES), "{p}");
        let cfg = cfg.with_variant(Variant::LEASE);
        assert_eq!(predict(&cfg).unwrap().overlap_rate, Some(1.0));
    }

    /// Sixteen clients, exp(5 ms) stalls, L = 10 ms: polls every millisecond leave the lease's
    /// `exp(-9/5)` all but unchanged; the default 20 ms backoff takes a sixth off it.
    #[test]
    fn redlock_polls_lower_the_lease_form_by_the_wait_for_the_first_poll() {
        let lease = (-9.0f64 / 5.0).exp();
        let fast = predict(&redlock(MS)).unwrap().overlap_rate.unwrap();
        assert!(fast < lease && fast > 0.99 * lease, "{fast} vs {lease}");
        let slow = predict(&redlock(20 * MS)).unwrap().overlap_rate.unwrap();
        assert!((slow - 0.1390).abs() < 5e-4, "{slow}");
    }
}
