//! The lease to pick (`faultline advise`): the shortest lease whose violation rate meets a
//! target, found by the rare-event estimator, and what it costs.
//!
//! A violation rate falls as the lease grows. The search evaluates the rate with the rare-event
//! estimator ([`super::rare`]) at a lease seeded by the simplest closed form there is, the lease
//! at which a stall after the check outlasts it with the target probability (`w` plus the pause
//! law's point beyond which a fraction `target` of the stalls lie), brackets the target by 10%
//! steps, and narrows the bracket by interpolating the logarithm of the rate, which is close to
//! linear in the lease for an exponential tail and smooth for any other. Every evaluation uses
//! the same seed (common random numbers), so the estimates at nearby leases move together and
//! the interpolation is not thrown about by independent noise. A closed form only seeds the
//! search: every answer is confirmed by a run at the lease it names.
//!
//! The interval of the answer comes from the intervals of the rates: the true lease lies where
//! the true rate equals the target, which is between where the interval's upper end does and
//! where its lower end does.
//!
//! The costs are measured by plain counting at the answer: the acquire wait under contention
//! (mean and p99), and how long the lock stays unavailable after its holder crashes.

use super::Variant;
use super::config::{EngineKind, LockConfig, NodeFault};
use super::faults::ScriptedFault;
use super::oracle::LockMetrics;
use super::rare::Estimator;
use super::runner::{RunError, run};
use crate::fault::Dist;
use crate::time::Nanos;
use serde::Serialize;

/// The smallest target the estimator can reach: its threshold search goes no deeper.
pub const MIN_TARGET: f64 = 1e-15;
/// The longest lease the search tries (a minute).
const MAX_LEASE: Nanos = 60 * crate::time::SEC;
/// Rate evaluations one answer may take.
const MAX_EVALUATIONS: usize = 24;
/// Acquisitions of the counting runs that measure the costs.
const COST_ACQUISITIONS: u64 = 20_000;

/// Why there is no advice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdviseError {
    /// A target that is not a rate strictly between 0 and 1.
    #[error("the target rate must be a number strictly between 0 and 1 (got {0})")]
    Target(String),
    /// A target below what the estimator reaches.
    #[error(
        "a target of {target:e} is below {MIN_TARGET:e}, the smallest rate the rare-event estimator's threshold search reaches"
    )]
    Unreachable { target: f64 },
    /// A target below what recorded pauses support, with no tail fitted (one over their number).
    #[error(
        "a target of {target:e} is below 1/{pauses} = {floor:e}, the rarest rate {pauses} recorded pauses support; fit a tail (file+tail:PATH) to go beyond the data"
    )]
    BeyondData { target: f64, floor: f64, pauses: u64 },
    /// A design without a lease.
    #[error(
        "advise picks a lease, and the {0} design has none (it never breaks safety; a crashed holder blocks it forever)"
    )]
    NoLease(String),
    /// A run on real time (the threads engine, a real service), where the search's estimator
    /// cannot run.
    #[error(
        "advise searches with the rare-event estimator, which runs on the simulator; on real time (--engine threads, --service) measure a lease with faultline lock"
    )]
    NeedsSim,
    /// A run failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// What a violation is, for the target: which rate must meet it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Two clients inside at once.
    Overlap,
    /// Storage accepting a stale access.
    StaleAccepted,
    /// A side effect (an SMS) sent twice.
    DuplicateEffect,
}

impl Measure {
    /// The rate and its interval in `m`.
    fn of(self, m: &LockMetrics) -> (f64, [f64; 2]) {
        let r = match self {
            Measure::Overlap => &m.rates.overlap,
            Measure::StaleAccepted => &m.rates.stale_accepted,
            Measure::DuplicateEffect => &m.rates.duplicate_effect,
        };
        (r.rate, r.ci95)
    }

    /// The rate in words.
    pub fn words(self) -> &'static str {
        match self {
            Measure::Overlap => "overlap",
            Measure::StaleAccepted => "stale write accepted by storage",
            Measure::DuplicateEffect => "duplicate SMS",
        }
    }
}

/// Parses a target rate.
pub fn parse_target(text: &str) -> Result<f64, AdviseError> {
    let bad = || AdviseError::Target(crate::input::Quoted(text).to_string());
    let target: f64 = text.parse().map_err(|_| bad())?;
    if !(target > 0.0 && target < 1.0) {
        return Err(bad());
    }
    if target < MIN_TARGET {
        return Err(AdviseError::Unreachable { target });
    }
    Ok(target)
}

/// A rate measured at one lease.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// The lease, in nanoseconds.
    pub lease_ns: Nanos,
    /// The estimated rate.
    pub rate: f64,
    /// Its 95% interval.
    pub ci95: [f64; 2],
}

/// The shortest lease for one design and measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The design.
    pub variant: Variant,
    /// The rate that must meet the target.
    pub measure: Measure,
    /// The design's safety margin, if it checks one.
    pub margin_ns: Option<Nanos>,
    /// The design's lock-delay.
    pub lock_delay_ns: Nanos,
    /// The shortest lease meeting it, in nanoseconds; `None` when every lease does.
    pub lease_ns: Option<Nanos>,
    /// Its 95% interval, in nanoseconds.
    pub lease_ci95_ns: Option<[Nanos; 2]>,
    /// Mean acquire wait under contention at that lease, in nanoseconds.
    pub mean_wait_ns: f64,
    /// 99th percentile of the acquire wait, in nanoseconds.
    pub p99_wait_ns: u64,
    /// How long the lock stayed unavailable after its holder crashed, in nanoseconds.
    pub unavailable_after_crash_ns: u64,
    /// Every rate the search measured, in the order measured.
    pub evaluations: Vec<Point>,
    /// What the estimator doubted at the answer, if anything.
    pub doubts: Vec<String>,
}

/// The rate of `measure` at `lease`, by the rare-event estimator.
fn rate_at(cfg: &LockConfig, measure: Measure, lease: Nanos) -> Result<(Point, Vec<String>), RunError> {
    let mut at = cfg.clone();
    at.lease = Some(lease);
    at.estimator = Estimator::Rare(None);
    let m = run(&at)?.metrics;
    let (rate, ci95) = measure.of(&m);
    let doubts = m.rare.map(|r| r.doubts).unwrap_or_default();
    Ok((Point { lease_ns: lease, rate, ci95 }, doubts))
}

/// Where the logarithm of `f`, interpolated linearly between two leases, reaches `target`.
fn crossing(a: (Nanos, f64), b: (Nanos, f64), target: f64) -> Option<Nanos> {
    let (la, lb, lt) = (a.1.ln(), b.1.ln(), target.ln());
    if !(la.is_finite() && lb.is_finite()) || la == lb {
        return None;
    }
    let t = (lt - la) / (lb - la);
    let lease = a.0 as f64 + t * (b.0 as f64 - a.0 as f64);
    (lease > 0.0).then_some(lease.round() as Nanos)
}

/// What the search found: the lease (none when every lease tried meets the target, or none
/// does), its interval, every evaluation, and the doubts the answer carries.
struct Search {
    lease: Option<Nanos>,
    ci95: Option<[Nanos; 2]>,
    evaluations: Vec<Point>,
    doubts: Vec<String>,
}

/// The shortest lease at which `measure` under `cfg` meets `target`, with its interval and costs.
pub fn shortest_lease(cfg: &LockConfig, measure: Measure, target: f64) -> Result<Answer, AdviseError> {
    let found = search(cfg, measure, target)?;
    let mut answer = costs(cfg, measure, found.lease, found.evaluations, found.doubts)?;
    answer.lease_ci95_ns = found.ci95;
    Ok(answer)
}

/// The search of the module docs, without the costs.
fn search(cfg: &LockConfig, measure: Measure, target: f64) -> Result<Search, AdviseError> {
    check(cfg, target)?;
    let seed = cfg.work + cfg.pause.beyond_quantile(target).saturating_sub(cfg.lock_delay);
    let mut evaluations = Vec::new();
    // Each evaluation's doubts, by lease: the answer carries those of the two it rests on.
    let mut doubted: Vec<(Nanos, Vec<String>)> = Vec::new();
    let mut eval = |lease: Nanos, evaluations: &mut Vec<Point>| -> Result<Point, AdviseError> {
        let (p, d) = rate_at(cfg, measure, lease.max(1))?;
        evaluations.push(p);
        doubted.push((p.lease_ns, d));
        Ok(p)
    };
    // Bracket: `above` breaks the target, `below` meets it.
    let first = eval(seed.max(1_000), &mut evaluations)?;
    let (mut above, mut below) = if first.rate > target { (Some(first), None) } else { (None, Some(first)) };
    // Steps of 10% first, since the seed is usually close; then doubling, since it may not be.
    while above.is_none() || below.is_none() {
        let step = if evaluations.len() <= 3 { 1.1 } else { 2.0 };
        let next = match (above, below) {
            (Some(a), None) => (a.lease_ns as f64 * step).ceil() as Nanos,
            (None, Some(b)) => (b.lease_ns as f64 / step) as Nanos,
            _ => unreachable!("the loop runs while one side is missing"),
        };
        if evaluations.len() >= MAX_EVALUATIONS / 2 || !(1_000..=MAX_LEASE).contains(&next) {
            let (met, lease) = match (above, below) {
                (None, Some(b)) => ("met at every lease tried, down to", b.lease_ns),
                (Some(a), _) => ("not met at any lease tried, up to", a.lease_ns),
                _ => unreachable!("one side is known"),
            };
            // The estimator's doubts at one lease say nothing of an answer that is no lease.
            let doubts = vec![format!("{met} {}", crate::time::Human(lease))];
            return Ok(Search { lease: None, ci95: None, evaluations, doubts });
        }
        let p = eval(next, &mut evaluations)?;
        if p.rate > target { above = Some(p) } else { below = Some(p) }
    }
    let (Some(mut a), Some(mut b)) = (above, below) else { unreachable!("the loop ends with both sides") };
    // Narrow it, by the logarithm of the rate (a zero rate has none: then halve).
    while b.lease_ns - a.lease_ns > (b.lease_ns / 1_000).max(1) && evaluations.len() < MAX_EVALUATIONS {
        let mid = crossing((a.lease_ns, a.rate), (b.lease_ns, b.rate), target)
            .filter(|&l| l > a.lease_ns && l < b.lease_ns)
            .unwrap_or(a.lease_ns + (b.lease_ns - a.lease_ns) / 2);
        let p = eval(mid, &mut evaluations)?;
        if p.rate > target {
            a = p
        } else {
            b = p
        }
        if (p.rate.ln() - target.ln()).abs() < 0.02 {
            break;
        }
    }
    let lease = crossing((a.lease_ns, a.rate), (b.lease_ns, b.rate), target).unwrap_or(b.lease_ns);
    let ends = [
        crossing((a.lease_ns, a.ci95[0]), (b.lease_ns, b.ci95[0]), target).unwrap_or(a.lease_ns),
        crossing((a.lease_ns, a.ci95[1]), (b.lease_ns, b.ci95[1]), target).unwrap_or(b.lease_ns),
    ];
    let ci = [ends[0].min(ends[1]).min(lease), ends[0].max(ends[1]).max(lease)];
    let mut doubts: Vec<String> = Vec::new();
    for (at, d) in doubted.into_iter().filter(|(at, _)| *at == a.lease_ns || *at == b.lease_ns) {
        doubts.extend(d.into_iter().map(|d| format!("at {}: {d}", crate::time::Human(at))));
    }
    Ok(Search { lease: Some(lease), ci95: Some(ci), evaluations, doubts })
}

/// For pauses from a log with a fitted tail: the answer at the two ends of the 95% interval of
/// the tail's shape (the lighter tail first, whose lease is shorter). The estimator's interval
/// says how sure the answer is for the fitted law; this says how much the fit itself may move
/// it, which for a tail fitted to a few dozen pauses is usually more.
pub fn tail_sensitivity(cfg: &LockConfig, measure: Measure, target: f64) -> Option<[Option<Nanos>; 2]> {
    let Dist::Data(law) = &cfg.pause else { return None };
    let [lo, hi] = law.fit().ok()?.alpha_ci95;
    let at = |alpha: f64| -> Option<Nanos> {
        let mut c = cfg.clone();
        c.pause = Dist::Data(std::sync::Arc::new(law.with_tail_shape(alpha.max(0.05))?));
        search(&c, measure, target).ok()?.lease
    };
    law.has_tail().then(|| [at(hi), at(lo)])
}

/// Refuses what cannot be answered.
fn check(cfg: &LockConfig, target: f64) -> Result<(), AdviseError> {
    if !(target > 0.0 && target < 1.0) {
        return Err(AdviseError::Target(target.to_string()));
    }
    if target < MIN_TARGET {
        return Err(AdviseError::Unreachable { target });
    }
    if !cfg.variant.preemptive() {
        return Err(AdviseError::NoLease(cfg.variant.name().to_string()));
    }
    if cfg.engine != EngineKind::Sim {
        return Err(AdviseError::NeedsSim);
    }
    if let Some(floor) = cfg.pause.supported_floor()
        && target < floor
    {
        return Err(AdviseError::BeyondData { target, floor, pauses: (1.0 / floor).round() as u64 });
    }
    Ok(())
}

/// The answer with its costs measured by counting at `lease` (or at the configuration's own
/// lease when every lease meets the target).
fn costs(
    cfg: &LockConfig,
    measure: Measure,
    lease: Option<Nanos>,
    evaluations: Vec<Point>,
    doubts: Vec<String>,
) -> Result<Answer, AdviseError> {
    let mut at = cfg.clone();
    at.estimator = Estimator::Count;
    if let Some(lease) = lease {
        at.lease = Some(lease);
    }
    at.acquisitions = at.acquisitions.min(COST_ACQUISITIONS);
    let m = run(&at)?.metrics;
    // The first holder crashes just after its grant; the others wait out the lease.
    let mut crash = at.clone();
    crash.acquisitions = (crash.clients as u64) * 4;
    crash.pause = Dist::None;
    crash.script = vec![super::config::Scripted {
        client: 0,
        acquisition: 1,
        at: crate::node::PausePoint::P1,
        fault: ScriptedFault::Crash,
    }];
    crash.faults.retain(|f| !matches!(f, NodeFault::Crash { .. }));
    let c = run(&crash)?.metrics;
    Ok(Answer {
        variant: cfg.variant,
        measure,
        margin_ns: cfg.margin,
        lock_delay_ns: cfg.lock_delay,
        lease_ns: lease,
        lease_ci95_ns: None,
        mean_wait_ns: m.acquire_latency_ns.mean,
        p99_wait_ns: m.acquire_latency_ns.p99,
        unavailable_after_crash_ns: (c.unavailable * c.end_ns as f64).round() as u64,
        evaluations,
        doubts,
    })
}

/// The alternatives `advise` sets beside a design: the lease itself, the lease with a margin,
/// with a lock-delay, and fenced storage (whose storage is safe at any lease, and whose SMS is
/// not).
pub fn alternatives(cfg: &LockConfig) -> Vec<(LockConfig, Measure)> {
    let mut out = vec![(cfg.clone(), Measure::Overlap)];
    for variant in [Variant::LEASE, Variant::LEASE_MARGIN, Variant::LOCK_DELAY] {
        if variant != cfg.variant {
            out.push((cfg.with_variant(variant), Measure::Overlap));
        }
    }
    let fenced = cfg.with_variant(Variant::FENCED);
    out.push((fenced.clone(), Measure::StaleAccepted));
    out.push((fenced, Measure::DuplicateEffect));
    out
}
