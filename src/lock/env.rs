//! The lock world's environment: which client stalls where and for how long, whose clock drifts
//! or jumps, which nodes crash or freeze when, which messages the links lose, delay or duplicate,
//! and which groups of nodes are partitioned when.
//!
//! It knows each node's role from the [`Topology`], never from its index, so every fault reaches
//! any node: servers, storage and the outbox as well as clients.

use super::config::{LinkScope, LockConfig, NodeFault, Partition, Scripted, ScriptedFault};
use super::faults;
use super::rare::{Estimator, Tilt};
use super::topology::{Role, Topology};
use crate::engine::{Env, PauseOutcome, Scheduled};
use crate::fault::{Clock, Dist, LinkPlan};
use crate::node::{NodeId, PausePoint};
use crate::rng::{self, Rng};
use crate::time::Nanos;

const STALL_STREAM: u64 = 1;
const LINK_STREAM: u64 = 2;

/// Faults of the lock world, drawn from streams derived from the run's seed.
#[derive(Debug)]
pub struct LockEnv {
    topology: Topology,
    pause: Dist,
    /// The rare-event estimator's proposal, when it draws the stalls.
    tilt: Option<Tilt>,
    pause_at: PausePoint,
    script: Vec<Scripted>,
    acquisitions: Vec<u64>,
    stall_rngs: Vec<Rng>,
    client_clock: Clock,
    faults: Vec<NodeFault>,
    link: LinkPlan,
    scope: LinkScope,
    link_rng: Rng,
    partitions: Vec<Partition>,
    /// No partition and a perfect link plan: every message arrives at once, so routing asks
    /// nothing else (most messages of most runs; the simulator routes tens of millions).
    perfect: bool,
}

impl LockEnv {
    /// The environment of a run of `cfg`.
    pub fn new(cfg: &LockConfig) -> Self {
        LockEnv {
            topology: cfg.topology(),
            pause: cfg.pause.clone(),
            tilt: match cfg.estimator {
                Estimator::Rare(tilt) => tilt,
                Estimator::Count => None,
            },
            pause_at: cfg.pause_at,
            script: cfg.script.clone(),
            acquisitions: vec![0; cfg.clients],
            stall_rngs: (0..cfg.clients).map(|c| rng::stream(cfg.seed, &[STALL_STREAM, c as u64])).collect(),
            client_clock: Clock::slow(cfg.drift),
            faults: cfg.faults.clone(),
            link: cfg.link.clone(),
            scope: cfg.links,
            link_rng: rng::stream(cfg.seed, &[LINK_STREAM]),
            partitions: cfg.partitions.clone(),
            perfect: cfg.partitions.is_empty() && cfg.link.is_perfect(),
        }
    }

    /// Whether the link between `a` and `b` is of a class the link plan applies to: a client's
    /// links to the lock servers, to storage and to the outbox; links between other nodes (a
    /// design's servers talking among themselves) count as lock links.
    fn scoped(&self, a: NodeId, b: NodeId) -> bool {
        let (ra, rb) = (self.topology.role(a), self.topology.role(b));
        let other = match (ra, rb) {
            (Some(Role::Client(_)), other) | (other, Some(Role::Client(_))) => other,
            _ => Some(Role::Server(0)),
        };
        match other {
            Some(Role::Storage) => self.scope.storage,
            Some(Role::Outbox) => self.scope.effect,
            _ => self.scope.lock,
        }
    }
}

impl Env for LockEnv {
    fn clock(&self, node: NodeId) -> Clock {
        let base = match self.topology.role(node) {
            Some(Role::Client(_)) => self.client_clock,
            _ => Clock::PERFECT,
        };
        // The last drift aimed at the node wins, as a later flag overrides an earlier one.
        self.faults.iter().fold(base, |clock, fault| match *fault {
            NodeFault::ClockDrift { target, rho } if self.topology.names(target, node) => Clock::slow(rho),
            _ => clock,
        })
    }

    fn pause(&mut self, node: NodeId, point: PausePoint, _now: Nanos) -> PauseOutcome {
        // Pause points are the client skeleton's; a design's server that reaches one goes on.
        let Some(client) = self.topology.client_of(node) else { return PauseOutcome::Continue };
        if point == PausePoint::P1 {
            self.acquisitions[client] += 1;
        }
        let acquisition = self.acquisitions[client];
        let scripted =
            self.script.iter().find(|s| s.client == client && s.acquisition == acquisition && s.at == point);
        let stall = match scripted {
            Some(s) => match s.fault {
                ScriptedFault::Crash => return PauseOutcome::Crash,
                ScriptedFault::Stall(d) => d,
            },
            None if point == self.pause_at => {
                let rng = &mut self.stall_rngs[client];
                match &self.tilt {
                    Some(tilt) => tilt.draw(&self.pause, rng),
                    None => self.pause.sample(rng),
                }
            }
            None => 0,
        };
        if stall == 0 { PauseOutcome::Continue } else { PauseOutcome::Stall(stall) }
    }

    fn route(&mut self, from: NodeId, to: NodeId, now: Nanos, deliveries: &mut Vec<Nanos>) {
        if self.perfect {
            deliveries.push(0);
            return;
        }
        let t = &self.topology;
        let cut = self.partitions.iter().any(|p| {
            let [a, b] = p.between;
            p.covers(now) && ((t.names(a, from) && t.names(b, to)) || (t.names(a, to) && t.names(b, from)))
        });
        if cut {
            return;
        }
        if self.scoped(from, to) {
            self.link.route(&mut self.link_rng, deliveries);
        } else {
            deliveries.push(0);
        }
    }

    fn schedule(&self) -> Vec<(Nanos, NodeId, Scheduled)> {
        let mut schedule = Vec::new();
        let restarts = self.faults.iter().any(|f| matches!(f, NodeFault::Restart { .. }));
        for fault in &self.faults {
            let (at, what) = match *fault {
                // A real server killed and started again is, to the world, down in between: its
                // adapter freezes for the outage, and requests to it wait, as a client library's
                // reconnects make them wait.
                NodeFault::Crash { target, at } if restarts => {
                    for node in self.topology.resolve(target).unwrap_or_default() {
                        let (end, outages) = faults::lives(&self.faults, &self.topology, node);
                        if end == Some(at) {
                            schedule.push((at, node, Scheduled::Crash));
                        } else if let Some(&(from, until)) = outages.iter().find(|o| o.0 == at) {
                            schedule.push((from, node, Scheduled::Stall(until - from)));
                        }
                    }
                    continue;
                }
                NodeFault::Restart { .. } => continue,
                NodeFault::Crash { at, .. } => (at, Scheduled::Crash),
                NodeFault::Stall { at, span, .. } => (at, Scheduled::Stall(span)),
                NodeFault::ClockJump { at, by, .. } => (at, Scheduled::ClockJump(by)),
                NodeFault::ClockDrift { .. } => continue,
            };
            // Validation resolved every target against this topology.
            for node in self.topology.resolve(fault.target()).unwrap_or_default() {
                schedule.push((at, node, what));
            }
        }
        schedule
    }
}
