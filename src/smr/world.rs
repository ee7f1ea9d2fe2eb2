//! Worlds A, B and C of the lower bound, for any `n <= 2f`.
//!
//! The servers split into `G1` (the first `⌈n/2⌉`) and `G2` (the rest); both have between 1 and
//! `f` servers exactly when `n <= 2f`. Clients talk to servers only.
//!
//! | world | inputs | faulty | cut |
//! |---|---|---|---|
//! | A | c1 writes C1 | G2, c2 | everything to and from G2 and c2 |
//! | B | c2 writes C2 | G1, c1 | everything to and from G1 and c1 |
//! | C | both write | G2, c1, c2 | c1–G2, c2–G1, G1–G2, c1–c2 |
//!
//! In C, `G1 ∪ {c1}` receives exactly what it receives in A and `G2 ∪ {c2}` exactly what it
//! receives in B, round by round, so a deterministic protocol acts the same. In A the silent client
//! c2 is cut off too, so that nothing it might do can tell `G1` the worlds apart.
//!
//! Under crash faults A and B are built with the faulty group crashed from round 0, and C cannot be
//! built at all: it needs servers that keep running while their messages are lost.

use super::adversary::{FaultModel, Plan};
use super::model::{CLIENTS, Cluster, Cmd, Pid};
use serde::Serialize;
use std::fmt;

/// The three worlds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
pub enum WorldName {
    /// Only client 1 writes; G2 is cut off.
    A,
    /// Only client 2 writes; G1 is cut off.
    B,
    /// Both write; each client reaches only its own group, and the groups cannot talk.
    C,
}

impl WorldName {
    /// A, B, C.
    pub const ALL: [WorldName; 3] = [WorldName::A, WorldName::B, WorldName::C];
}

impl fmt::Display for WorldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// Why a world cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// Fewer than two servers cannot be split into two groups.
    #[error("servers n must be at least 2 (got {0}): the worlds split the servers into two groups")]
    TooFewServers(usize),
    /// No faults, no adversary.
    #[error("faults f must be at least 1")]
    NoFaults,
    /// As many faults as servers: every server may be faulty, and nothing is left to argue about.
    #[error("faults f ({faults}) must be smaller than servers n ({servers})")]
    TooManyFaults {
        /// n
        servers: usize,
        /// f
        faults: usize,
    },
    /// `n > 2f`: no split into two groups of at most `f` servers exists.
    #[error(
        "no world can be built for n = {servers}, f = {faults}: worlds A, B and C need two groups of at most f servers, which exist only when n <= 2f; with n > 2f a majority quorum is safe"
    )]
    NoSplit {
        /// n
        servers: usize,
        /// f
        faults: usize,
    },
    /// Crashes cannot produce world C.
    #[error(
        "world C cannot be built with crash faults: it needs servers that keep running while their messages are lost"
    )]
    CrashCannotBuildC,
}

/// One world: who writes, who is faulty, what the adversary does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct World {
    /// Which world.
    pub name: WorldName,
    /// The cluster.
    pub cluster: Cluster,
    /// The fault model the world is built with.
    pub model: FaultModel,
    /// The first group of servers.
    pub g1: Vec<Pid>,
    /// The second group of servers.
    pub g2: Vec<Pid>,
    /// What each client writes.
    pub inputs: [Option<Cmd>; CLIENTS],
    /// The adversary.
    pub plan: Plan,
}

/// The two groups of `cluster`, or why they do not exist.
pub fn split(cluster: Cluster) -> Result<(Vec<Pid>, Vec<Pid>), WorldError> {
    let (n, f) = (cluster.servers, cluster.faults);
    if n < 2 {
        return Err(WorldError::TooFewServers(n));
    }
    if f == 0 {
        return Err(WorldError::NoFaults);
    }
    if f >= n {
        return Err(WorldError::TooManyFaults { servers: n, faults: f });
    }
    if n > 2 * f {
        return Err(WorldError::NoSplit { servers: n, faults: f });
    }
    let servers: Vec<Pid> = cluster.servers().collect();
    let (g1, g2) = servers.split_at(n.div_ceil(2));
    Ok((g1.to_vec(), g2.to_vec()))
}

/// Builds world `name` of `cluster` under `model`.
pub fn build(cluster: Cluster, name: WorldName, model: FaultModel) -> Result<World, WorldError> {
    let (g1, g2) = split(cluster)?;
    let (c1, c2) = (cluster.client(0), cluster.client(1));
    let everyone: Vec<Pid> = cluster.processes().collect();
    let mut plan = Plan::default();
    let inputs = match name {
        WorldName::A => [Some(Cmd(1)), None],
        WorldName::B => [None, Some(Cmd(2))],
        WorldName::C => [Some(Cmd(1)), Some(Cmd(2))],
    };
    match (name, model) {
        (WorldName::C, FaultModel::Crash) => return Err(WorldError::CrashCannotBuildC),
        (WorldName::A | WorldName::B, _) => {
            let (group, client) = if name == WorldName::A { (&g2, c2) } else { (&g1, c1) };
            match model {
                FaultModel::Omission => {
                    plan.faulty.extend(group.iter().copied().chain([client]));
                    let isolated: Vec<Pid> = group.iter().copied().chain([client]).collect();
                    plan.cut_between(&isolated, &everyone);
                }
                // A crashed group takes no step; the silent client is simply silent.
                FaultModel::Crash => {
                    plan.faulty.extend(group.iter().copied());
                    plan.crashes.extend(group.iter().map(|&s| (s, 0)));
                }
            }
        }
        (WorldName::C, FaultModel::Omission) => {
            plan.faulty.extend(g2.iter().copied().chain([c1, c2]));
            plan.cut_between(&[c1], &g2);
            plan.cut_between(&[c2], &g1);
            plan.cut_between(&g1, &g2);
            plan.cut_between(&[c1], &[c2]);
        }
    }
    Ok(World { name, cluster, model, g1, g2, inputs, plan })
}
