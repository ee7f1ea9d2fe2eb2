//! What every loom model shares: a lock world of the crate's own nodes on the interleaving driver
//! (`faultline::engine::interleave`), judged by the crate's own oracle, with loom choosing the
//! order of every event.
//!
//! Beside the oracle each execution keeps one independent count, the most clients inside at once
//! (from the clients' own `Entered`/`Left` reports), so that a model can also check the oracle:
//! no false alarm under a correct lock, no miss under a broken one.

#![allow(dead_code)] // each model uses what it needs

use faultline::engine::{FaultEvent, Observer, interleave};
use faultline::lock::env::LockEnv;
use faultline::lock::msg::LockEvent;
use faultline::lock::{LockConfig, world};
use faultline::lock::{LockMetrics, LockOracle};
use faultline::node::NodeId;
use faultline::time::Nanos;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// The loom preemption bound of the models. Every violation the outcome table names needs at most
/// two: a holder descheduled while inside (the expiry fires), and, for the lost update, the next
/// holder descheduled between its read and its write. Raise it to look further (each step
/// multiplies the executions by about thirty).
pub const PREEMPTIONS: usize = 2;

/// Two clients, one acquisition each, no stalls drawn (a stall is any interleaving), no resends.
pub fn two_sections(variant: faultline::lock::Variant) -> LockConfig {
    let mut cfg = LockConfig::new(variant, faultline::lock::EngineKind::Sim);
    cfg.pause = faultline::fault::Dist::None;
    cfg.retry = 0;
    cfg.acquisitions = 2;
    cfg
}

/// The oracle, and the independent count of clients inside.
pub struct Watched {
    pub oracle: LockOracle,
    inside: Vec<bool>,
    pub most_inside: usize,
}

impl Observer<LockEvent> for Watched {
    fn observe(&mut self, at: Nanos, node: NodeId, event: &LockEvent) {
        self.oracle.observe(at, node, event);
        match *event {
            LockEvent::Entered { client, .. } => self.inside[client] = true,
            LockEvent::Left { client, .. } => self.inside[client] = false,
            _ => {}
        }
        self.most_inside = self.most_inside.max(self.inside.iter().filter(|&&i| i).count());
    }
    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
        self.oracle.fault(at, node, fault);
    }
    fn finished(&self) -> bool {
        self.oracle.finished()
    }
}

/// One execution's verdict, for a model's checks.
pub struct Execution {
    pub metrics: LockMetrics,
    /// The most clients inside at once, counted independently of the oracle.
    pub most_inside: usize,
}

/// Counts kept outside the model: plain `std` atomics, invisible to loom, surviving from one
/// execution to the next.
pub struct Tally {
    pub executions: AtomicUsize,
    pub hits: AtomicUsize,
    started: OnceLock<Instant>,
    /// The execution that was the first hit, and how long after the start loom reached it: the
    /// loom model's time to the first overlap, which `benches/first_overlap.rs` reads from
    /// [`report`]'s line.
    first_hit: OnceLock<(usize, Duration)>,
}

impl Tally {
    pub const fn new() -> Self {
        Tally {
            executions: AtomicUsize::new(0),
            hits: AtomicUsize::new(0),
            started: OnceLock::new(),
            first_hit: OnceLock::new(),
        }
    }
    pub fn executions(&self) -> usize {
        self.executions.load(SeqCst)
    }
    pub fn hits(&self) -> usize {
        self.hits.load(SeqCst)
    }
}

/// Explores every interleaving of `cfg`'s world (up to [`PREEMPTIONS`]). `check` asserts what
/// must hold in every execution and returns whether the execution is one the model looks for;
/// the tally counts both.
pub fn explore(cfg: LockConfig, tally: &'static Tally, check: fn(&Execution) -> bool) {
    cfg.validate().expect("a model's configuration is valid");
    tally.started.get_or_init(Instant::now);
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTIONS);
    builder.check(move || {
        let execution = tally.executions.fetch_add(1, SeqCst) + 1;
        let topology = cfg.topology();
        let actors: Vec<NodeId> = (0..cfg.clients).map(|c| topology.client(c)).collect();
        let watched =
            Watched { oracle: LockOracle::new(&cfg), inside: vec![false; cfg.clients], most_inside: 0 };
        let (watched, end) =
            interleave::run(world::build(&cfg), &actors, LockEnv::new(&cfg), watched, cfg.event_budget());
        let metrics = watched.oracle.finish(end).expect("the crate's own nodes report what the world has");
        // The oracle itself: two clients inside at once is an overlap, and an overlap is two
        // clients inside at once.
        assert_eq!(
            metrics.overlaps > 0,
            watched.most_inside >= 2,
            "the oracle and the count disagree: {metrics:?}"
        );
        if check(&Execution { metrics, most_inside: watched.most_inside })
            && tally.hits.fetch_add(1, SeqCst) == 0
        {
            let started = tally.started.get().expect("set before the first execution");
            let _ = tally.first_hit.set((execution, started.elapsed()));
        }
    });
}

/// Prints what a model explored, as every model does, and when it found the first execution it
/// looks for (`benches/first_overlap.rs` parses that part: keep its words).
pub fn report(name: &str, tally: &Tally, what: &str, started: std::time::Instant) {
    let first = tally.first_hit.get().map_or(String::new(), |(execution, after)| {
        format!("; the first at execution {execution} after {:.6} s", after.as_secs_f64())
    });
    println!(
        "{name}: {} executions explored, {} {what}, in {:.1?}{first}",
        tally.executions(),
        tally.hits(),
        started.elapsed()
    );
}
