//! The outcome table of docs/model.md §5, as runnable scenarios.
//!
//! Each [`Cell`] pairs a lock design (a [`Row`]) with a fault class (a [`Fault`]), gives the
//! configuration that exhibits the fault, and states the claim of the table as an [`Expect`] that a
//! run either meets or does not. The default demonstration prints the measured table; the tests
//! assert every cell. One faulty client (client 1, index 0) suffers the fault; the others are
//! healthy, as in the seed's argument.
//!
//! Shared parameters: `p = 2`, `L = 10 ms`, `w = 2 ms`, `m = 3 ms`, `D = 5 ms`, no stalls beside the
//! scripted one, perfect links unless the fault is about links.
//!
//! | fault | what happens to client 1 |
//! |---|---|
//! | F1 | its first section stalls 9 ms after the last check (P2): its section lasts 11 ms > L |
//! | F2 | it crashes just after its first grant |
//! | F3 | it is cut off from the lock service from 1 ms to 200 ms while a 40 ms section, kept alive by renewals every 2 ms, runs |
//! | F4 | its clock runs at half speed and its first section stalls 9 ms before the margin check (P1) |
//! | F5 | links lose or delay messages (lock links drop 30% for the non-preemptive lock; storage links delay by exp(4 ms) otherwise) |

use super::config::{LinkScope, LockConfig, Partition, Scripted, ScriptedFault, Variant};
use super::judge::FindingKind;
use super::runner::run;
use crate::fault::Dist;
use crate::lock::LockMetrics;
use crate::node::PausePoint;
use crate::time::{Human, MS, Nanos};
use std::fmt;

/// A row of the table: a lock design, judged by what it promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// Non-preemptive lock; judged on the critical section.
    NonPreemptive,
    /// Lease; judged on the critical section.
    Lease,
    /// Lease with a safety margin; judged on the critical section.
    LeaseMargin,
    /// Lease with fencing on every access; judged on storage.
    Fenced,
    /// Lease with fencing on writes only; judged on storage.
    FencedWrites,
    /// Lease with fencing; judged on the side effect (the SMS).
    FencedSms,
    /// Lease with Chubby's lock-delay; judged on the critical section.
    LockDelay,
}

impl Row {
    /// Every row, in the table's order (docs/model.md §5).
    pub const ALL: [Row; 7] = [
        Row::NonPreemptive,
        Row::Lease,
        Row::LeaseMargin,
        Row::Fenced,
        Row::FencedWrites,
        Row::FencedSms,
        Row::LockDelay,
    ];

    /// The lock variant the row runs.
    pub fn variant(self) -> Variant {
        match self {
            Row::NonPreemptive => Variant::NON_PREEMPTIVE,
            Row::Lease => Variant::LEASE,
            Row::LeaseMargin => Variant::LEASE_MARGIN,
            Row::Fenced | Row::FencedSms => Variant::FENCED,
            Row::FencedWrites => Variant::FENCED_WRITES,
            Row::LockDelay => Variant::LOCK_DELAY,
        }
    }

    /// The row's label in the outcome table (docs/model.md §5).
    pub fn label(self) -> &'static str {
        match self {
            Row::NonPreemptive => "non-preemptive",
            Row::Lease => "lease L",
            Row::LeaseMargin => "lease + margin m",
            Row::Fenced => "lease + fencing, every access",
            Row::FencedWrites => "fencing, writes only",
            Row::FencedSms => "fencing + SMS",
            Row::LockDelay => "Chubby lock-delay D",
        }
    }

    /// The findings this row is judged on: the critical section for the lock rows (a harmful
    /// overlap, or a stale access storage accepted), the stored counter for the fencing rows, the
    /// side effect for the SMS row.
    pub fn judged_on(self) -> &'static [FindingKind] {
        match self {
            Row::NonPreemptive | Row::Lease | Row::LeaseMargin | Row::LockDelay => {
                &[FindingKind::Overlap, FindingKind::StaleAccepted]
            }
            Row::Fenced | Row::FencedWrites => &[FindingKind::LostUpdate],
            Row::FencedSms => &[FindingKind::DuplicateEffect, FindingKind::StaleEffect],
        }
    }

    /// Safety violations as this row counts them: the findings it is judged on, added up.
    pub fn violations(self, m: &LockMetrics) -> u64 {
        self.judged_on().iter().map(|&kind| m.count(kind)).sum()
    }
}

/// A column of the table: one fault class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A stall longer than the lease after the last check.
    F1,
    /// A crash just after acquiring.
    F2,
    /// Partitioned from the lock service, still reaching storage.
    F3,
    /// Clock drift beyond what the margin covers.
    F4,
    /// Message delay or loss.
    F5,
}

impl Fault {
    /// Every fault, in the table's order (docs/model.md §5).
    pub const ALL: [Fault; 5] = [Fault::F1, Fault::F2, Fault::F3, Fault::F4, Fault::F5];
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// What a cell of the table claims.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Safe and live; when `waits` is set, the healthy client waited at least that long (the
    /// price of safety).
    Safe { waits: Option<Nanos> },
    /// Safety is broken (as the row counts it) and the run stays live.
    Unsafe,
    /// A client is blocked at the horizon.
    Unlive,
    /// Storage stays consistent while clients still overlap (fencing's promise, and its limit).
    StorageSafe,
    /// Safety is broken here and holds in `control`, which differs in one parameter.
    Threshold { control: Box<LockConfig>, note: &'static str },
    /// Strictly fewer violations than the plain lease under the same faults.
    Fewer,
}

/// One cell: a configuration and its claim.
#[derive(Debug, Clone)]
pub struct Cell {
    /// The lock design.
    pub row: Row,
    /// The fault.
    pub fault: Fault,
    /// The cell's claim, as the outcome table in docs/model.md §5 words it.
    pub claim: &'static str,
    /// The run that exhibits it.
    pub config: LockConfig,
    /// What the run must show.
    pub expect: Expect,
}

/// The measured outcome of a cell.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Whether the claim held.
    pub holds: bool,
    /// What was measured, in a few words.
    pub measured: String,
}

const L: Nanos = 10 * MS;
const W: Nanos = 2 * MS;
const M: Nanos = 3 * MS;
const D: Nanos = 5 * MS;

fn base(row: Row) -> LockConfig {
    let variant = row.variant();
    let mut cfg = LockConfig::new(variant, crate::lock::EngineKind::Sim);
    cfg.clients = 2;
    cfg.work = W;
    cfg.pause = Dist::None;
    cfg.acquisitions = 100;
    if variant.preemptive() {
        cfg.lease = Some(L);
    }
    if variant == Variant::LEASE_MARGIN {
        cfg.margin = Some(M);
    }
    if variant == Variant::LOCK_DELAY {
        cfg.lock_delay = D;
    }
    cfg
}

fn stall_first(cfg: &mut LockConfig, at: PausePoint, d: Nanos) {
    cfg.script.push(Scripted { client: 0, acquisition: 1, at, fault: ScriptedFault::Stall(d) });
}

/// The row's base configuration with client 1's first section stalled for `d` at `at`.
fn stalled(row: Row, at: PausePoint, d: Nanos) -> LockConfig {
    let mut cfg = base(row);
    stall_first(&mut cfg, at, d);
    cfg
}

/// The configuration of `row` under `fault`.
pub fn config(row: Row, fault: Fault) -> LockConfig {
    let mut cfg = base(row);
    match fault {
        Fault::F1 => stall_first(&mut cfg, PausePoint::P2, 9 * MS),
        Fault::F2 => {
            cfg.script.push(Scripted {
                client: 0,
                acquisition: 1,
                at: PausePoint::P1,
                fault: ScriptedFault::Crash,
            });
            cfg.horizon = Some(2_000 * MS);
        }
        Fault::F3 => {
            cfg.work = 40 * MS;
            cfg.acquisitions = 20;
            if row.variant().preemptive() {
                cfg.renew = 2 * MS;
            }
            cfg.partitions.push(Partition::from_lock(MS, 200 * MS));
            cfg.horizon = Some(5_000 * MS);
        }
        Fault::F4 => {
            cfg.drift = 0.5;
            stall_first(&mut cfg, PausePoint::P1, 9 * MS);
        }
        Fault::F5 if row == Row::NonPreemptive => {
            cfg.link.drop = 0.3;
            cfg.links = LinkScope { lock: true, storage: false, effect: false };
            cfg.horizon = Some(5_000 * MS);
        }
        Fault::F5 => {
            cfg.link.delay = Dist::Exp { mean: 4 * MS };
            cfg.links = LinkScope { lock: false, storage: true, effect: false };
        }
    }
    cfg
}

/// The cell of `row` and `fault`, with its claim (docs/model.md §5).
pub fn cell(row: Row, fault: Fault) -> Cell {
    use Expect::*;
    use Fault::*;
    use Row::*;
    let config = config(row, fault);
    let (claim, expect) = match (row, fault) {
        (NonPreemptive, F1) => ("none (others wait S)", Safe { waits: Some(9 * MS) }),
        (NonPreemptive, F2) => ("Lv", Unlive),
        (NonPreemptive, F3) => ("Lv", Unlive),
        (NonPreemptive, F4) => ("none", Safe { waits: None }),
        (NonPreemptive, F5) => ("lost release: Lv", Unlive),
        (Lease, F1 | F3 | F4) => ("S", Unsafe),
        (Lease, F2) => ("none (others wait L)", Safe { waits: Some(L) }),
        (Lease, F5) => ("delayed effect: S", Unsafe),
        (LeaseMargin, F1) => (
            "S at P2; none at P1 while the margin covers drift",
            Threshold {
                control: Box::new(stalled(row, PausePoint::P1, 9 * MS)),
                note: "the same stall at P1 is caught by the check",
            },
        ),
        (LeaseMargin, F2) => ("none", Safe { waits: Some(L) }),
        (LeaseMargin, F3) => ("S if the effect is in flight", Unsafe),
        (LeaseMargin, F4) => (
            "S",
            Threshold {
                control: Box::new({
                    let mut c = config.clone();
                    c.drift = 0.0;
                    c
                }),
                note: "with a true clock the check aborts",
            },
        ),
        (LeaseMargin, F5) => ("delay after the check: S", Unsafe),
        (Fenced, F1) => ("storage safe (stale token rejected); overlaps still happen", StorageSafe),
        (Fenced, F2) | (FencedWrites, F2) | (FencedSms, F2) => ("none", Safe { waits: Some(L) }),
        (Fenced, F3 | F4 | F5) => ("storage safe", StorageSafe),
        (FencedWrites, F1) => ("lost update possible", Unsafe),
        (FencedWrites, F3) => ("S at storage", Unsafe),
        (FencedWrites, F4 | F5) => ("S", Unsafe),
        (FencedSms, F1) => ("SMS duplicated (S)", Unsafe),
        (FencedSms, F3 | F4 | F5) => ("S", Unsafe),
        (LockDelay, F1) => (
            "S when S > L + D - w",
            Threshold {
                control: Box::new(config.clone()),
                note: "a 9 ms stall stays under L + D - w = 13 ms",
            },
        ),
        (LockDelay, F2) => ("none (others wait L + D)", Safe { waits: Some(L + D) }),
        (LockDelay, F3) => ("S", Unsafe),
        (LockDelay, F4 | F5) => ("fewer", Fewer),
    };
    let config = match (row, fault) {
        // The threshold cell runs a stall above L + D - w; its control keeps the 9 ms one.
        (LockDelay, F1) => stalled(row, PausePoint::P2, 30 * MS),
        _ => config,
    };
    Cell { row, fault, claim, config, expect }
}

/// Every cell of the table, row by row.
pub fn table() -> Vec<Cell> {
    Row::ALL.iter().flat_map(|&r| Fault::ALL.iter().map(move |&f| cell(r, f))).collect()
}

fn metrics(cfg: &LockConfig) -> LockMetrics {
    run(cfg).expect("scenario configurations are valid").metrics
}

fn describe(row: Row, m: &LockMetrics) -> String {
    let mut parts = Vec::new();
    let mut add = |n: u64, what: &str| {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    };
    add(m.overlaps, "overlap");
    match row {
        Row::FencedSms => {
            add(m.duplicate_effects, "dup SMS");
            add(m.stale_effects, "stale SMS");
        }
        _ => {
            add(m.stale_accepted, "stale acc");
            add(m.stale_rejected, "stale rej");
            add(m.lost_updates, "lost upd");
        }
    }
    add(m.aborts, "abort");
    add(m.blocked, "blocked");
    if parts.is_empty() { "clean".to_string() } else { parts.join(", ") }
}

impl Cell {
    /// Runs the cell (and its control or comparison) and judges the claim.
    pub fn check(&self) -> Checked {
        let m = metrics(&self.config);
        let row = self.row;
        let v = row.violations(&m);
        let live = m.blocked == 0;
        let seen = describe(row, &m);
        let (holds, measured) = match &self.expect {
            Expect::Safe { waits } => {
                let waited = m.acquire_latency_ns.max;
                let ok = v == 0 && live && waits.is_none_or(|w| waited >= w);
                let wait = waits.map(|_| format!("; waited {}", Human(waited))).unwrap_or_default();
                (ok, format!("none: {seen}{wait}"))
            }
            Expect::Unsafe => (v > 0 && live, format!("S: {seen}")),
            Expect::Unlive => (m.blocked > 0, format!("Lv: {seen}")),
            Expect::StorageSafe => {
                (v == 0 && live && m.overlaps + m.stale_rejected > 0, format!("storage safe: {seen}"))
            }
            Expect::Threshold { control, note } => {
                let c = metrics(control);
                let cv = row.violations(&c);
                (v > 0 && cv == 0, format!("S: {seen} | control ({note}): {}", describe(row, &c)))
            }
            Expect::Fewer => {
                let mut lease = self.config.with_variant(Variant::LEASE);
                lease.lock_delay = 0;
                let lv = Row::Lease.violations(&metrics(&lease));
                (v < lv, format!("fewer: {v} vs {lv} under the plain lease"))
            }
        };
        Checked { holds, measured }
    }
}

/// The five points of the table in docs/model.md §4.1: a lease of 10 ms, no work, exponential stalls
/// after the check with mean `L / ratio`, sixteen clients (so that someone is always waiting),
/// `acquisitions` acquisitions.
pub fn exp_table(acquisitions: u64) -> Vec<(f64, LockConfig)> {
    [0.5, 1.0, 2.0, 4.0, 8.0]
        .into_iter()
        .map(|ratio| {
            let mut cfg = LockConfig::new(Variant::LEASE, crate::lock::EngineKind::Sim);
            cfg.clients = 16;
            cfg.work = 0;
            cfg.lease = Some(L);
            cfg.pause = Dist::Exp { mean: (L as f64 / ratio).round() as Nanos };
            cfg.acquisitions = acquisitions;
            (ratio, cfg)
        })
        .collect()
}

/// The consensus workload's showcase: a correct lock, a lease under stalls, full fencing deciding
/// on storage's verdict, and full fencing announcing decisions by SMS.
pub fn consensus_cases(instances: u64) -> Vec<(&'static str, LockConfig)> {
    use crate::lock::DecideBy;
    let make = |variant: Variant, decide_by: DecideBy, pause: Dist| {
        let mut cfg = LockConfig::new(variant, crate::lock::EngineKind::Sim).consensus(decide_by);
        cfg.pause = pause;
        cfg.instances = instances;
        cfg
    };
    let stalls = Dist::Exp { mean: 5 * MS };
    vec![
        (
            "correct lock (non-preemptive, no faults)",
            make(Variant::NON_PREEMPTIVE, DecideBy::Ack, Dist::None),
        ),
        ("lease, exp(5ms) stalls at P2", make(Variant::LEASE, DecideBy::Ack, stalls.clone())),
        ("fenced, decide on storage's verdict", make(Variant::FENCED, DecideBy::Ack, stalls.clone())),
        ("fenced, decision announced by SMS", make(Variant::FENCED, DecideBy::Effect, stalls)),
    ]
}
