//! Engines drive [`Node`](crate::node::Node)s: they own time, links and faults.
//!
//! | engine | time | what it is for |
//! |---|---|---|
//! | [`sim`] | virtual integer nanoseconds, one event queue, a seeded RNG | exact, reproducible runs: the curves, the sweeps, the tests |
//! | `threads` | wall clock, one OS thread per node, real sleeps for stalls | the stress runs, where real scheduling noise is part of what is measured |
//! | [`interleave`] | none: every step is an event whose order the scheduler picks | loom's models, which try every order |
//!
//! All of them carry out a node's commands with the one meaning [`core::apply`] gives them, ask
//! the same questions of the world they run through [`Env`] (how long is this node frozen at its
//! pause point? what happens to this message? which faults strike when?) and report to the same
//! [`Observer`], so every oracle and metric is computed once, from one event stream. The test kit
//! (`kit.rs`) holds every engine to the same behaviours.
//!
//! Every run is bounded by [`Limits`]: a horizon in true time and a budget of events, whichever
//! comes first, so no protocol, however it misbehaves, can keep a run going; the [`Ending`] says
//! which bound stopped it.

pub mod core;
pub mod exchange;
pub mod interleave;
mod kit;
pub mod sim;
#[cfg(not(loom))]
pub mod threads;
pub mod timers;

use crate::fault::Clock;
use crate::node::{NodeId, PausePoint};
use crate::time::Nanos;
use serde::Serialize;

/// What the environment does to a node that reached a pause point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseOutcome {
    /// Carry on at once.
    Continue,
    /// Freeze for this many true nanoseconds: no messages, no timers, nothing.
    Stall(Nanos),
    /// Stop for good: the node never runs again and never releases what it holds.
    Crash,
}

/// Faults the engine inflicts and reports, beside the nodes' own observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultEvent {
    /// The node froze at a pause point and will thaw at `until` (true time).
    StallBegin { until: Nanos },
    /// The node thawed.
    StallEnd,
    /// The node crashed.
    Crash,
    /// The node's clock jumped by this many nanoseconds (forward if positive).
    ClockJump { by: i64 },
}

/// A fault the environment schedules at a moment of true time, whatever the node is doing then
/// (unlike a [`PauseOutcome`], which waits for the node to reach a pause point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduled {
    /// The node stops for good.
    Crash,
    /// The node freezes for this many true nanoseconds: no messages, no timers.
    Stall(Nanos),
    /// The node's clock jumps by this many nanoseconds (forward if positive). Timers follow the
    /// clock: one due at local time `t` fires when the jumped clock reads `t`.
    ClockJump(i64),
}

/// The world's answers to the engine: clocks, pauses and links.
pub trait Env {
    /// The node's clock; asked once per node when the run starts.
    fn clock(&self, node: NodeId) -> Clock;
    /// Node `node` reached `point` at true time `now`.
    fn pause(&mut self, node: NodeId, point: PausePoint, now: Nanos) -> PauseOutcome;
    /// A message from `from` to `to` sent at true time `now`: append one delay per copy that will
    /// arrive (none if it is lost).
    fn route(&mut self, from: NodeId, to: NodeId, now: Nanos, deliveries: &mut Vec<Nanos>);
    /// Faults at set moments of true time, asked once when the run starts: `(when, node, what)`.
    fn schedule(&self) -> Vec<(Nanos, NodeId, Scheduled)> {
        Vec::new()
    }
}

/// Receives everything that happens, stamped with true time.
pub trait Observer<O> {
    /// Node `node` reported `obs` at true time `at`.
    fn observe(&mut self, at: Nanos, node: NodeId, obs: &O);
    /// The engine inflicted `fault` on `node` at true time `at`.
    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent);
    /// True once the workload is complete and the run may stop early.
    fn finished(&self) -> bool;
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// The workload completed.
    Finished,
    /// The horizon passed with work outstanding.
    Horizon,
    /// The event budget was spent with work outstanding: the nodes kept busy without finishing
    /// (a livelock, or a flood of messages), a liveness failure reported with the figures so far.
    EventBudget,
    /// Nothing was left to happen (every live node waits for something that will never come).
    Quiescent,
}

impl Ending {
    /// How the ending reads in a report.
    pub fn describe(self) -> &'static str {
        match self {
            Ending::Finished => "finished",
            Ending::Horizon => "horizon reached",
            Ending::EventBudget => "event budget spent",
            Ending::Quiescent => "quiescent (nothing left to happen)",
        }
    }
}

/// What bounds a run, whatever the nodes do: it stops at the first of the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The run stops before any event later than this true time.
    pub horizon: Nanos,
    /// The run stops after processing this many events (deliveries and timer firings).
    pub max_events: u64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RunEnd {
    /// True time of the end.
    pub at: Nanos,
    /// Why it ended.
    pub ending: Ending,
    /// Events the engine processed (deliveries and timer firings).
    pub events: u64,
    /// The threads engine's largest lateness. `None` on the simulator and the interleaving
    /// driver: every step there happens exactly when it is due, so they are never late.
    pub late: Option<Lateness>,
}

/// The largest gap in a run between when a node was due to act (a timer's deadline, a message
/// deliverable, a thaw, a scheduled fault) and when its thread did: time the model says takes
/// none, so it is the machine's (the scheduler, preemption, other threads' steps). The threads
/// engine's [module docs](threads) say what counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lateness {
    /// How late, in true nanoseconds.
    pub ns: Nanos,
    /// The node that was that late.
    pub node: NodeId,
    /// True time the node acted: the gap ran from `at - ns` to `at`.
    pub at: Nanos,
}

impl Lateness {
    /// The later of two, either of which may be unmeasured.
    pub fn max(a: Option<Lateness>, b: Option<Lateness>) -> Option<Lateness> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.ns > a.ns { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// The observer that sees nothing and never says the workload is finished.
impl<O> Observer<O> for () {
    fn observe(&mut self, _: Nanos, _: NodeId, _: &O) {}
    fn fault(&mut self, _: Nanos, _: NodeId, _: FaultEvent) {}
    fn finished(&self) -> bool {
        false
    }
}

/// Two observers see everything; the first decides when the workload is finished.
impl<O, A: Observer<O>, B: Observer<O>> Observer<O> for (A, &mut B) {
    fn observe(&mut self, at: Nanos, node: NodeId, obs: &O) {
        self.0.observe(at, node, obs);
        self.1.observe(at, node, obs);
    }
    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
        self.0.fault(at, node, fault);
        self.1.fault(at, node, fault);
    }
    fn finished(&self) -> bool {
        self.0.finished()
    }
}
