//! The adversary of the replication model: which links are cut, which processes crash, and which
//! faulty processes' messages are lost at random.

use super::model::{Pid, Round};
use crate::rng;
use crate::smr::rounds::Adversary;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Which kind of fault the faulty servers have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum FaultModel {
    /// A faulty process keeps running but any of its messages, sent or received, may be lost, and
    /// it does not know.
    Omission,
    /// A faulty process stops for good at some round.
    Crash,
}

/// Random loss of a faulty process's messages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RandomLoss {
    /// Probability each message to or from a faulty process is lost.
    pub q: f64,
    /// Seed of the decisions.
    pub seed: u64,
}

/// A concrete adversary: cut links, crashes, and random loss on the faulty processes' links.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Plan {
    /// The processes the adversary corrupts. Only their messages may be lost at random, and only
    /// they may be cut off or crash; the checker excuses faulty clients from Termination.
    pub faulty: BTreeSet<Pid>,
    /// Directed links on which every message is lost.
    pub cut: BTreeSet<(Pid, Pid)>,
    /// Crashed processes and the round they stop taking steps.
    pub crashes: BTreeMap<Pid, Round>,
    /// Random loss on links touching a faulty process.
    pub random: Option<RandomLoss>,
}

impl Plan {
    /// Cuts both directions between every process of `a` and every process of `b` (other than
    /// itself).
    pub fn cut_between(&mut self, a: &[Pid], b: &[Pid]) {
        for &x in a {
            for &y in b {
                if x != y {
                    self.cut.insert((x, y));
                    self.cut.insert((y, x));
                }
            }
        }
    }
}

impl Adversary for Plan {
    fn crashed(&self, p: Pid, round: Round) -> bool {
        self.crashes.get(&p).is_some_and(|&at| round >= at)
    }

    fn delivers(&self, round: Round, from: Pid, to: Pid, k: usize) -> bool {
        if self.cut.contains(&(from, to)) {
            return false;
        }
        match self.random {
            Some(RandomLoss { q, seed }) if self.faulty.contains(&from) || self.faulty.contains(&to) => {
                let h = rng::derive(seed, &[u64::from(round), from.0 as u64, to.0 as u64, k as u64]);
                // The top 53 bits as a uniform draw in [0, 1).
                ((h >> 11) as f64 / (1u64 << 53) as f64) >= q
            }
            _ => true,
        }
    }
}
