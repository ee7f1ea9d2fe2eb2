//! The lower bound as a function: run worlds A, B and C and say which horn the protocol is on.
//!
//! For `n <= 2f`, a deterministic protocol either leaves a non-faulty client unanswered in A or
//! in B (not live), or answers both, and then, because `G1 ∪ {c1}` sees in C exactly what it saw
//! in A and `G2 ∪ {c2}` exactly what it saw in B, tells c1 `C1` and c2 `C2` in C (disagreement).
//! The argument assumes a protocol that is deterministic and keeps Validity; one that is not is
//! outside the theorem, and says so with its own outcome ([`Horn::NotDeterministic`],
//! [`Horn::Invalid`]) rather than blaming the harness. A deterministic, valid protocol that
//! escapes both horns means the harness is wrong, and [`Horn::HarnessBug`] says so.
//!
//! How many rounds to give it: [`derived_rounds`].

use super::adversary::FaultModel;
use super::model::{Cluster, Cmd, Round};
use super::protocol::Protocol;
use super::run::{Driver, RunError, RunRecord, run_world};
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
    /// A world run twice gave some process different views: the protocol is not deterministic,
    /// and the indistinguishability argument does not apply to it.
    NotDeterministic {
        /// The world.
        world: WorldName,
        /// Where the two runs first differ.
        difference: Difference,
    },
    /// A client was told a command no client wrote in that world: the protocol breaks Validity,
    /// which the theorem assumes (answering a fixed command is live and agrees).
    Invalid {
        /// The world.
        world: WorldName,
        /// The client (1 or 2).
        client: usize,
        /// What it was told.
        cmd: Cmd,
    },
    /// A deterministic, valid protocol escaped both horns: a bug in the harness, never in the
    /// theorem.
    HarnessBug {
        /// What went wrong.
        reason: String,
    },
}

impl std::fmt::Display for Horn {
    /// The horn in a line, as the reports write it (commands as `C1`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        super::reports::HornReport::from(self).fmt(f)
    }
}

/// The three runs and what they show.
#[derive(Debug, Clone)]
pub struct Dichotomy<M> {
    /// The worlds, A, B, C.
    pub worlds: [World; 3],
    /// Their outcomes, A, B, C.
    pub outcomes: [RunRecord<M>; 3],
    /// First difference between the views of `G1 ∪ {c1}` in A and in C (`None`: equal).
    pub ac_difference: Option<Difference>,
    /// First difference between the views of `G2 ∪ {c2}` in B and in C (`None`: equal).
    pub bc_difference: Option<Difference>,
    /// The horn.
    pub horn: Horn,
}

/// Why the dichotomy could not be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DichotomyError {
    /// The worlds cannot be built for this cluster.
    #[error(transparent)]
    World(#[from] WorldError),
    /// A process of the protocol failed in a world.
    #[error("world {world}: {error}")]
    Run {
        /// The world.
        world: WorldName,
        /// What failed.
        #[source]
        error: RunError,
    },
}

/// The rounds to give [`dichotomy`] or a stress run of a protocol that waits `tau` rounds before
/// acting alone (a timeout, a lone commit), with `faults` faults: `max(4τ + 8, (f + 1)(τ + 3) + 4)`.
///
/// That is `τ` rounds of waiting with room on both sides for writes, votes or view changes and
/// the responses, and at least primary-backup's worst case under `f` crashes (a timeout and a
/// replication per crashed primary). Fewer rounds can leave a client unanswered only because the
/// run ended, and "not live" would then measure the horizon, not the protocol. A protocol that
/// never waits can take any `tau`; `faultline smr` uses its `--tau` (3 by default).
pub fn derived_rounds(tau: Round, faults: usize) -> u64 {
    let (tau, faults) = (u64::from(tau), faults as u64);
    (4 * tau + 8).max((faults + 1) * (tau + 3) + 4)
}

/// Runs worlds A, B and C of `cluster` (omission faults) for `rounds` rounds with `driver`, each
/// twice to check that the protocol is deterministic, and classifies `protocol`.
pub fn dichotomy<P: Protocol>(
    protocol: &P,
    cluster: Cluster,
    rounds: Round,
    driver: Driver,
) -> Result<Dichotomy<P::Msg>, DichotomyError> {
    let worlds = WorldName::ALL.map(|w| build(cluster, w, FaultModel::Omission));
    let [a, b, c] = worlds;
    let worlds = [a?, b?, c?];
    let run = |w: &World| {
        run_world(protocol, w, rounds, driver).map_err(|error| DichotomyError::Run { world: w.name, error })
    };
    let [a, b, c] = [&worlds[0], &worlds[1], &worlds[2]].map(run);
    let outcomes = [a?, b?, c?];
    // A second run of each world, compared process by process: the only way a protocol whose
    // views differ between worlds can be told apart from worlds that are built wrong.
    let everyone: Vec<_> = cluster.processes().collect();
    let mut rerun_difference = None;
    for (w, first) in worlds.iter().zip(&outcomes) {
        let again = run(w)?;
        if let Some(d) = compare(cluster, &everyone, &first.views, &again.views) {
            rerun_difference = Some((w.name, d));
            break;
        }
    }
    let (g1, g2) = (&worlds[2].g1, &worlds[2].g2);
    let side1: Vec<_> = g1.iter().copied().chain([cluster.client(0)]).collect();
    let side2: Vec<_> = g2.iter().copied().chain([cluster.client(1)]).collect();
    let ac_difference = compare(cluster, &side1, &outcomes[0].views, &outcomes[2].views);
    let bc_difference = compare(cluster, &side2, &outcomes[1].views, &outcomes[2].views);
    let views_equal = ac_difference.is_none() && bc_difference.is_none();
    let horn = classify(&worlds, &outcomes, rerun_difference, views_equal);
    Ok(Dichotomy { worlds, outcomes, ac_difference, bc_difference, horn })
}

/// Checks, in order: determinism and Validity (the theorem's assumptions), liveness in A and B,
/// the worlds' construction, disagreement in C.
fn classify<M>(
    worlds: &[World; 3],
    outcomes: &[RunRecord<M>; 3],
    rerun_difference: Option<(WorldName, Difference)>,
    views_equal: bool,
) -> Horn {
    if let Some((world, difference)) = rerun_difference {
        return Horn::NotDeterministic { world, difference };
    }
    for (w, o) in worlds.iter().zip(outcomes) {
        for (j, r) in o.responses.iter().enumerate() {
            if let Some(r) = r
                && !w.inputs.contains(&Some(r.cmd))
            {
                return Horn::Invalid { world: w.name, client: j + 1, cmd: r.cmd };
            }
        }
    }
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
                "the views of G1+c1 in A and C (or of G2+c2 in B and C) differ, although every world ran \
                 the same twice: the worlds are built wrong"
                    .into(),
        };
    }
    match (c.responses[0], c.responses[1]) {
        (Some(r1), Some(r2)) if r1.cmd != r2.cmd => Horn::Disagrees { c1: r1.cmd, c2: r2.cmd },
        (r1, r2) => Horn::HarnessBug {
            reason: format!(
                "the protocol answered validly in A and B, ran the same twice in every world and, with \
                 equal views, did not disagree in C (c1 told {:?}, c2 told {:?}): the harness is wrong",
                r1.map(|r| r.cmd),
                r2.map(|r| r.cmd)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_horn_reads_as_a_line() {
        let horn = Horn::Disagrees { c1: Cmd(1), c2: Cmd(2) };
        assert_eq!(horn.to_string(), "disagrees: in world C c1 is told C1 and c2 is told C2");
        let horn = Horn::NotLive { world: WorldName::A, client: 2 };
        assert_eq!(horn.to_string(), "not live: c2 gets no response in world A");
    }
}
