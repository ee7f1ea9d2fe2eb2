//! Closed forms: what a configuration's rates should be, derived from the model, so that every
//! measured curve has a prediction to be checked against.
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
//!   but not the variance, and [`check_contention`] offers no tolerance for the figures that
//!   contain the whole stall.
//! - A lock that never idles. That always holds when no section outlives its hold, since then
//!   every client is back in line by the next grant; otherwise it needs enough clients that not
//!   all of the others are away at once (the tests use 16).
//! - A steady run. A run that ends on its quotas is fine for a lock that keeps its turns: the last
//!   round's waits are as long as any. But when sections outlive their holds the clients drift out
//!   of step, finish their quotas at scattered times, and the last stretch has fewer contenders.
//!   The shortfall grows with the run like the drift, so it shrinks no faster than the statistical
//!   error. Such runs must be ended by the horizon while every client still contends;
//!   [`ContentionComparison::steady`] says whether a run qualifies.

use super::client::{DecideBy, TimerStart, Workload};
use super::config::{EngineKind, LockConfig};
use super::storage::Fencing;
use crate::fault::Dist;
use crate::lock::LockMetrics;
use crate::node::PausePoint;

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
                Some(x) if !protected => s.tail_from(x),
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
                            let harmful = (s.tail_from(from) - s.tail(abort_from)).max(0.0);
                            Prediction::increment(
                                s.tail(abort_from.max(next_grant)) + harmful,
                                harmful,
                                s.tail(abort_from),
                            )
                        }
                        // A section that ends exactly at the expiry overlaps: the expiry's timer
                        // was set at the grant, before anything the holder scheduled, and one
                        // instant's events run in the order they were scheduled. Hence S >= ...
                        _ => Prediction::increment(s.tail_from(from), s.tail_from(from), 0.0),
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
struct Affine {
    a: f64,
    b: f64,
}

impl Affine {
    const fn new(a: f64, b: f64) -> Affine {
        Affine { a, b }
    }
    fn times(self, k: f64) -> Affine {
        Affine::new(self.a * k, self.b * k)
    }
    fn minus(self, other: Affine) -> Affine {
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
struct Band {
    stall: Interval,
    /// `H`: from this grant to the service's next grant.
    hold: Affine,
    /// `T`: from this grant to the holder's next request.
    away: Affine,
    /// `U`: the part of the hold the holder spends stalled, still the service's holder.
    stalled: Affine,
    /// The moments of the stall over `stall`, computed once.
    moments: [f64; 3],
}

/// The law of one hold under contention, as a function of the stall drawn for it (module docs).
#[derive(Debug, Clone)]
struct HoldLaw {
    stall: Dist,
    bands: Vec<Band>,
    clients: f64,
}

impl HoldLaw {
    /// The law for `cfg`, or `None` outside the forms' domain: the simulator (instant links) and
    /// the increment workload, with the faults [`predict`] covers.
    fn of(cfg: &LockConfig) -> Option<HoldLaw> {
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
    fn mean(&self, f: impl Fn(&Band) -> Affine) -> f64 {
        self.mean_product(f, |_| Affine::new(1.0, 0.0))
    }

    /// `E[(f(S) - E[f(S)])²]`, computed around the mean so that no digits cancel.
    fn variance(&self, f: impl Fn(&Band) -> Affine + Copy) -> f64 {
        let mean = self.mean(f);
        if !mean.is_finite() {
            return f64::INFINITY;
        }
        let centred = |b: &Band| f(b).shifted(-mean);
        self.mean_product(centred, centred)
    }

    fn mean_hold(&self) -> f64 {
        self.mean(|b| b.hold)
    }

    /// What one grant adds to the run's total wait: `p·H - T`.
    fn wait_share(&self) -> impl Fn(&Band) -> Affine + Copy {
        let p = self.clients;
        move |b: &Band| b.hold.times(p).minus(b.away)
    }

    /// `p·E[H] - E[T]`, `None` when `E[T]` is infinite (no steady state: see the module docs).
    fn mean_wait(&self) -> Option<f64> {
        Some(self.mean(self.wait_share())).filter(|m| m.is_finite())
    }

    /// `E[U] / E[H]`, under the same condition as the mean wait.
    fn unavailable(&self) -> Option<f64> {
        self.mean_wait()?;
        Some(self.mean(|b| b.stalled) / self.mean_hold()).filter(|r| r.is_finite())
    }

    /// `P(T > H)`: the chance that a section outlives its hold, taking its client out of turn.
    fn outlives(&self) -> f64 {
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
}

/// A measured rate next to its prediction.
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
}

impl Comparison {
    /// True when the estimate is within the tolerance of the prediction (below it, within the
    /// tolerance and the shortfall).
    pub fn agrees(&self) -> bool {
        let d = self.measured - self.predicted;
        -self.tolerance - self.shortfall <= d && d <= self.tolerance
    }
}

/// The shortfall of a rate that needs a next grant, for a run of `cfg` with `n` trials.
fn end_of_run_shortfall(cfg: &LockConfig, predicted: f64, n: u64) -> f64 {
    predicted * (cfg.clients as f64 - 1.0) / n.max(1) as f64
}

/// Runs `cfg` and compares its headline rate (overlaps for the increment workload, disagreements
/// for consensus) with the closed form; `None` when there is no closed form for `cfg`.
pub fn compare(cfg: &LockConfig) -> Option<Result<Comparison, super::RunError>> {
    let prediction = predict(cfg)?;
    Some(super::run(cfg).map(|report| {
        let m = report.metrics;
        let (predicted, rate) = match (prediction.overlap_rate, prediction.disagreement_rate) {
            (Some(p), _) => (p, m.rates.overlap),
            (None, p) => (p.expect("a prediction covers overlaps or disagreements"), m.rates.disagreement),
        };
        Comparison {
            predicted,
            measured: rate.rate,
            trials: rate.of,
            tolerance: crate::check::stats::tolerance(predicted, rate.of),
            shortfall: if prediction.overlap_rate.is_some() {
                end_of_run_shortfall(cfg, predicted, rate.of)
            } else {
                0.0
            },
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
pub fn check_contention(
    cfg: &LockConfig,
    metrics: &crate::lock::LockMetrics,
) -> Option<ContentionComparison> {
    let law = HoldLaw::of(cfg)?;
    let mean_wait = law.mean_wait()?;
    let n = metrics.acquisitions;
    let trials = n as f64;
    let p = law.clients;
    let mean_hold = law.mean_hold();
    let four_se = |variance: f64| 4.0 * (variance / trials).sqrt();
    let finite = |c: Comparison| Some(c).filter(|c| c.tolerance.is_finite());
    let measured_wait = metrics.acquire_latency_ns.mean;
    let wait = finite(Comparison {
        predicted: mean_wait - p * (p - 1.0) * mean_hold / (2.0 * trials),
        measured: measured_wait,
        trials: n,
        tolerance: four_se(law.variance(law.wait_share())) + measured_wait * HISTOGRAM_RESOLUTION,
        shortfall: 0.0,
    });
    let r = law.mean(|b| b.stalled) / mean_hold;
    let unavailable = finite(Comparison {
        predicted: r,
        measured: metrics.unavailable,
        trials: n,
        tolerance: four_se(law.variance(|b| b.stalled.minus(b.hold.times(r)))) / mean_hold,
        shortfall: 0.0,
    });
    let hold = finite(Comparison {
        predicted: mean_hold,
        measured: metrics.end_ns as f64 / trials,
        trials: n,
        tolerance: four_se(law.variance(|b| b.hold)),
        shortfall: 0.0,
    });
    let out_of_turn = law.outlives();
    let steady = out_of_turn == 0.0 || metrics.ending == crate::engine::Ending::Horizon;
    Some(ContentionComparison { wait, unavailable, hold, out_of_turn, steady })
}

/// Runs `cfg` and checks it with [`check_contention`]; `None` when the forms do not cover `cfg`.
pub fn compare_contention(cfg: &LockConfig) -> Option<Result<ContentionComparison, super::RunError>> {
    HoldLaw::of(cfg)?.mean_wait()?;
    Some(super::run(cfg).map(|report| {
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
    let n = m.acquisitions;
    let stale = crate::check::Rate::new(m.stale_accepted + m.stale_rejected, n);
    let rates = [
        (p.overlap_rate, m.rates.overlap, true),
        (p.stale_rate, stale, true),
        (p.abort_rate, m.rates.abort, false),
        (p.disagreement_rate, m.rates.disagreement, false),
    ];
    let rate = |(predicted, rate, needs_next): (Option<f64>, crate::check::Rate, bool)| {
        predicted.filter(|_| rate.of > 0).map(|predicted| Comparison {
            predicted,
            measured: rate.rate,
            trials: rate.of,
            tolerance: crate::check::stats::tolerance(predicted, rate.of),
            shortfall: if needs_next { end_of_run_shortfall(cfg, predicted, rate.of) } else { 0.0 },
        })
    };
    let contention = check_contention(cfg, m).filter(|c| c.steady);
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
