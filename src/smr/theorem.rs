//! The lower bound as a function: run worlds A, B and C and say which horn the protocol is on.
//!
//! For `n <= 2f`, a deterministic protocol either leaves a non-faulty client unanswered in A or
//! in B (not live), or answers both, and then, because `G1 ∪ {c1}` sees in C exactly what it saw
//! in A and `G2 ∪ {c2}` exactly what it saw in B, tells c1 `C1` and c2 `C2` in C (disagreement).
//! A protocol that escapes both means the harness is wrong (the worlds are not what they claim,
//! or the protocol is not deterministic), and [`Horn::HarnessBug`] says so.

use super::adversary::FaultModel;
use super::model::{Cluster, Cmd, Round};
use super::protocol::Protocol;
use super::run::{Driver, Outcome, run_world};
use super::view::{Difference, compare};
use super::world::{World, WorldError, WorldName, build};
use serde::Serialize;

/// Where a protocol lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "horn", rename_all = "snake_case")]
pub enum Horn {
    /// A non-faulty client that wrote got no response in this world.
    NotLive {
        /// The world.
        world: WorldName,
        /// The client (1 or 2).
        client: usize,
    },
    /// Answered in A and B, and in C the clients are told different commands.
    Disagrees {
        /// What c1 was told in C.
        c1: Cmd,
        /// What c2 was told in C.
        c2: Cmd,
    },
    /// The protocol escaped both horns: a bug in the harness, never in the theorem.
    HarnessBug {
        /// What went wrong.
        reason: String,
    },
}

/// The three runs and what they show.
#[derive(Debug, Clone)]
pub struct Dichotomy<M> {
    /// The worlds, A, B, C.
    pub worlds: [World; 3],
    /// Their outcomes, A, B, C.
    pub outcomes: [Outcome<M>; 3],
    /// First difference between the views of `G1 ∪ {c1}` in A and in C (`None`: equal).
    pub ac_difference: Option<Difference>,
    /// First difference between the views of `G2 ∪ {c2}` in B and in C (`None`: equal).
    pub bc_difference: Option<Difference>,
    /// The horn.
    pub horn: Horn,
}

/// Runs worlds A, B and C of `cluster` (omission faults) for `rounds` rounds with `driver`, and
/// classifies `protocol`.
pub fn dichotomy<P: Protocol>(
    protocol: &P,
    cluster: Cluster,
    rounds: Round,
    driver: Driver,
) -> Result<Dichotomy<P::Msg>, WorldError> {
    let worlds = WorldName::ALL.map(|w| build(cluster, w, FaultModel::Omission));
    let [a, b, c] = worlds;
    let worlds = [a?, b?, c?];
    let outcomes = [0, 1, 2].map(|i| run_world(protocol, &worlds[i], rounds, driver));
    let (g1, g2) = (&worlds[2].g1, &worlds[2].g2);
    let side1: Vec<_> = g1.iter().copied().chain([cluster.client(0)]).collect();
    let side2: Vec<_> = g2.iter().copied().chain([cluster.client(1)]).collect();
    let ac_difference = compare(cluster, &side1, &outcomes[0].views, &outcomes[2].views);
    let bc_difference = compare(cluster, &side2, &outcomes[1].views, &outcomes[2].views);
    let horn = classify(&outcomes, ac_difference.is_none() && bc_difference.is_none());
    Ok(Dichotomy { worlds, outcomes, ac_difference, bc_difference, horn })
}

fn classify<M>(outcomes: &[Outcome<M>; 3], views_equal: bool) -> Horn {
    let [a, b, c] = outcomes;
    if a.responses[0].is_none() {
        return Horn::NotLive { world: WorldName::A, client: 1 };
    }
    if b.responses[1].is_none() {
        return Horn::NotLive { world: WorldName::B, client: 2 };
    }
    if !views_equal {
        return Horn::HarnessBug {
            reason:
                "the views of G1+c1 in A and C (or of G2+c2 in B and C) differ: the worlds are built wrong"
                    .into(),
        };
    }
    match (c.responses[0], c.responses[1]) {
        (Some(r1), Some(r2)) if r1.cmd != r2.cmd => Horn::Disagrees { c1: r1.cmd, c2: r2.cmd },
        (r1, r2) => Horn::HarnessBug {
            reason: format!(
                "the protocol answered in A and B and, with equal views, did not disagree in C \
                 (c1 told {:?}, c2 told {:?}): it is not deterministic, or the harness is wrong",
                r1.map(|r| r.cmd),
                r2.map(|r| r.cmd)
            ),
        },
    }
}
