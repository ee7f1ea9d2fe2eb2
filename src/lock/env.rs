//! The lock world's environment: which client stalls where and for how long, whose clock drifts,
//! which messages the links lose, delay or duplicate, and when client 1 is partitioned.

use super::config::{LinkScope, LockConfig, Partition, Scripted, ScriptedFault, Target};
use super::world::{FIRST_CLIENT, OUTBOX, SERVER, STORAGE, client_of};
use crate::engine::{Env, PauseOutcome};
use crate::fault::{Clock, Dist, LinkPlan};
use crate::node::{NodeId, PausePoint};
use crate::rng::{self, Rng};
use crate::time::Nanos;

const STALL_STREAM: u64 = 1;
const LINK_STREAM: u64 = 2;

/// Faults of the lock world, drawn from streams derived from the run's seed.
#[derive(Debug)]
pub struct LockEnv {
    pause: Dist,
    pause_at: PausePoint,
    script: Vec<Scripted>,
    acquisitions: Vec<u64>,
    stall_rngs: Vec<Rng>,
    client_clock: Clock,
    link: LinkPlan,
    scope: LinkScope,
    link_rng: Rng,
    partitions: Vec<Partition>,
}

impl LockEnv {
    /// The environment of a run of `cfg`.
    pub fn new(cfg: &LockConfig) -> Self {
        LockEnv {
            pause: cfg.pause.clone(),
            pause_at: cfg.pause_at,
            script: cfg.script.clone(),
            acquisitions: vec![0; cfg.clients],
            stall_rngs: (0..cfg.clients).map(|c| rng::stream(cfg.seed, &[STALL_STREAM, c as u64])).collect(),
            client_clock: Clock::slow(cfg.drift),
            link: cfg.link.clone(),
            scope: cfg.links,
            link_rng: rng::stream(cfg.seed, &[LINK_STREAM]),
            partitions: cfg.partitions.clone(),
        }
    }
}

impl Env for LockEnv {
    fn clock(&self, node: NodeId) -> Clock {
        if node >= FIRST_CLIENT { self.client_clock } else { Clock::PERFECT }
    }

    fn pause(&mut self, node: NodeId, point: PausePoint, _now: Nanos) -> PauseOutcome {
        if node < FIRST_CLIENT {
            return PauseOutcome::Continue;
        }
        let client = client_of(node);
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
            None if point == self.pause_at => self.pause.sample(&mut self.stall_rngs[client]),
            None => 0,
        };
        if stall == 0 { PauseOutcome::Continue } else { PauseOutcome::Stall(stall) }
    }

    fn route(&mut self, from: NodeId, to: NodeId, now: Nanos, deliveries: &mut Vec<Nanos>) {
        let (client, other) = if from >= FIRST_CLIENT { (from, to) } else { (to, from) };
        let target = match other {
            SERVER => Some(Target::Lock),
            STORAGE => Some(Target::Storage),
            _ => None,
        };
        let cut = client == FIRST_CLIENT
            && target.is_some_and(|t| self.partitions.iter().any(|p| p.target == t && p.covers(now)));
        if cut {
            return;
        }
        let scoped = match other {
            SERVER => self.scope.lock,
            STORAGE => self.scope.storage,
            OUTBOX => self.scope.effect,
            _ => false,
        };
        if scoped {
            self.link.route(&mut self.link_rng, deliveries);
        } else {
            deliveries.push(0);
        }
    }
}
