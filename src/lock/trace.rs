//! Recorded runs, and the one every reader of Kleppmann knows by heart.
//!
//! A [`Moment`] is one happening of a run (an event a node observed, or a fault the engine
//! inflicted) with its true time and node; [`Trace`] is an observer that keeps every one of them;
//! [`crate::report::timeline`] words them. [`kleppmann`]
//! replays "How to do distributed locking" (Kleppmann, 2016): client 1 gets token 33 and freezes
//! in a stop-the-world pause after its last check; its lease expires; client 2 gets token 34 and
//! writes; client 1 wakes up and writes with token 33. Fenced storage rejects that write; plain
//! storage accepts it and loses client 2's update. The side effect goes out twice either way.

use super::config::{EngineKind, LockConfig, Scripted, ScriptedFault, Variant};
use super::msg::{LockEvent, Token};
use super::runner::{LockReport, run_observed};
use crate::engine::{FaultEvent, Observer};
use crate::fault::Dist;
use crate::node::{NodeId, PausePoint};
use crate::time::{MS, Nanos};

/// One recorded happening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happening {
    /// A node's observation.
    Event(LockEvent),
    /// A fault the engine inflicted on a node.
    Fault(FaultEvent),
}

/// A happening with its true time and node: one moment of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// True time.
    pub at: Nanos,
    /// The node it happened at.
    pub node: NodeId,
    /// What happened.
    pub what: Happening,
}

/// Records every happening of a run.
#[derive(Debug, Default)]
pub struct Trace {
    /// Everything, in true-time order.
    pub entries: Vec<Moment>,
}

impl Observer<LockEvent> for Trace {
    fn observe(&mut self, at: Nanos, node: NodeId, obs: &LockEvent) {
        self.entries.push(Moment { at, node, what: Happening::Event(*obs) });
    }
    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
        self.entries.push(Moment { at, node, what: Happening::Fault(fault) });
    }
    fn finished(&self) -> bool {
        false
    }
}

/// The token client 1 holds when it freezes, as in Kleppmann's figure.
pub const PAUSED_TOKEN: Token = 33;

/// The configuration of Kleppmann's timeline under `variant`: two clients take turns, and client 1
/// freezes for 30 ms after reading, in the section of its 17th grant (token 33); the lease is 10 ms.
pub fn kleppmann_config(variant: Variant) -> LockConfig {
    let mut cfg = LockConfig::new(variant, EngineKind::Sim);
    cfg.pause = Dist::None;
    cfg.work = MS;
    cfg.acquisitions = 40;
    cfg.script.push(Scripted {
        client: 0,
        acquisition: PAUSED_TOKEN.div_ceil(2),
        at: PausePoint::P2,
        fault: ScriptedFault::Stall(30 * MS),
    });
    cfg
}

/// Runs Kleppmann's timeline under `variant`; returns the report and the happenings that involve
/// tokens 33 and 34 (and client 1's pause).
pub fn kleppmann(variant: Variant) -> (LockReport, Vec<Moment>) {
    let cfg = kleppmann_config(variant);
    let mut trace = Trace::default();
    let report = run_observed(&cfg, &mut trace).expect("the scenario is a valid configuration");
    let focus = |t: Token| t == PAUSED_TOKEN || t == PAUSED_TOKEN + 1;
    let first = trace
        .entries
        .iter()
        .position(
            |e| matches!(e.what, Happening::Event(LockEvent::Granted { token, .. }) if token == PAUSED_TOKEN),
        )
        .unwrap_or(0);
    let entries = trace.entries[first..]
        .iter()
        .copied()
        .filter(|e| match e.what {
            Happening::Event(
                LockEvent::Granted { token, .. }
                | LockEvent::Freed { token, .. }
                | LockEvent::Left { token, .. }
                | LockEvent::Accessed { token, .. }
                | LockEvent::Effect { token, .. },
            ) => focus(token),
            Happening::Fault(_) => e.node == cfg.topology().client(0),
            _ => false,
        })
        .collect();
    (report, entries)
}
