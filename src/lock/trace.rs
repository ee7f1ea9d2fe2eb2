//! Recorded runs, and the one every reader of Kleppmann knows by heart.
//!
//! [`Trace`] is an observer that keeps every event of a run with its true time. [`kleppmann`]
//! replays "How to do distributed locking" (Kleppmann, 2016): client 1 gets token 33 and freezes
//! in a stop-the-world pause after its last check; its lease expires; client 2 gets token 34 and
//! writes; client 1 wakes up and writes with token 33. Fenced storage rejects that write; plain
//! storage accepts it and loses client 2's update. The side effect goes out twice either way.

use super::config::{EngineKind, LockConfig, Scripted, ScriptedFault, Variant};
use super::msg::{Exit, LockEvent, Op, Token};
use super::run::{LockReport, run_observed};
use crate::engine::{FaultEvent, Observer};
use crate::fault::Dist;
use crate::node::{NodeId, PausePoint};
use crate::time::{Human, MS, Nanos};
use std::collections::HashMap;
use std::fmt::Write;

/// One recorded happening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happening {
    /// A node's observation.
    Event(LockEvent),
    /// A fault the engine inflicted on a node.
    Fault(FaultEvent),
}

/// A happening with its true time and node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
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
    pub entries: Vec<Entry>,
}

impl Observer<LockEvent> for Trace {
    fn observe(&mut self, at: Nanos, node: NodeId, obs: &LockEvent) {
        self.entries.push(Entry { at, node, what: Happening::Event(*obs) });
    }
    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
        self.entries.push(Entry { at, node, what: Happening::Fault(fault) });
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
pub fn kleppmann(variant: Variant) -> (LockReport, Vec<Entry>) {
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

/// The happenings as a timeline a person can read, times relative to the first one.
pub fn render(entries: &[Entry]) -> String {
    let mut owner: HashMap<Token, usize> = HashMap::new();
    let start = entries.first().map_or(0, |e| e.at);
    let mut text = String::new();
    for e in entries {
        let who = |t: &Token| owner.get(t).map_or("?".to_string(), |c| format!("client {}", c + 1));
        let line = match e.what {
            Happening::Event(LockEvent::Granted { client, token }) => {
                owner.insert(token, client);
                format!("lock service grants token {token} to client {}", client + 1)
            }
            Happening::Event(LockEvent::Freed { token, expired: true }) => {
                format!("lease of token {token} expires ({} still holds it, as far as it knows)", who(&token))
            }
            Happening::Event(LockEvent::Freed { token, expired: false }) => format!("token {token} released"),
            Happening::Event(LockEvent::Accessed { token, op, accepted, .. }) => {
                let verdict = if accepted { "accepted" } else { "REJECTED (stale token)" };
                match op {
                    Op::Read => format!("storage: {} reads with token {token}: {verdict}", who(&token)),
                    Op::Write(v) => {
                        format!("storage: {} writes {v} with token {token}: {verdict}", who(&token))
                    }
                }
            }
            Happening::Event(LockEvent::Effect { client, value, .. }) => {
                format!("outbox: SMS \"{value}\" sent for client {}", client + 1)
            }
            Happening::Event(LockEvent::Left { client, exit, .. }) => match exit {
                Exit::Released => format!("client {} releases", client + 1),
                Exit::Aborted => format!("client {} aborts (margin check)", client + 1),
                Exit::Rejected => format!("client {} gives up (storage refused its token)", client + 1),
            },
            Happening::Fault(FaultEvent::StallBegin { until }) => {
                format!("client 1 freezes (stop-the-world pause) until +{}", Human(until - start))
            }
            Happening::Fault(FaultEvent::StallEnd) => {
                "client 1 wakes up, unaware its lease expired".to_string()
            }
            Happening::Fault(FaultEvent::Crash) => "client 1 crashes".to_string(),
            Happening::Fault(FaultEvent::ClockJump { .. }) => continue,
            Happening::Event(_) => continue,
        };
        let _ = writeln!(text, "  +{:<8} {line}", Human(e.at - start).to_string());
    }
    text
}
