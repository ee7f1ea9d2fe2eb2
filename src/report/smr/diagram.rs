//! Runs of the replication laboratory as Mermaid sequence diagrams: any run, a world of the
//! lower bound, and the first failing run of a stress experiment ([`crate::smr::replay`]).

use super::{Folded, fold_rounds};
use crate::report::mermaid::{Arrow, Diagram};
use crate::smr::adversary::{FaultModel, Plan};
use crate::smr::model::{CLIENTS, Cluster, Cmd, Pid, Round};
use crate::smr::replay::{Failure, STRESS_INPUTS};
use crate::smr::rounds::Sent;
use crate::smr::run::RunRecord;
use crate::smr::stress::StressConfig;
use crate::smr::world::World;
use std::fmt;

/// The rounds a run lasted: every process is handed an inbox every round, even an empty one.
fn rounds_of<M>(outcome: &RunRecord<M>) -> Round {
    outcome.views.first().map_or(0, |v| v.inbox.len() as Round)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

/// One drawn message: sender, addressee, arrow, label.
type Line = (String, String, Arrow, String);

/// `outcome`, a run against `plan`, as a Mermaid sequence diagram: `heading` on top, then every
/// message round by round (omitted ones drawn `-x` and marked `DROPPED`), then what each client
/// was told and the verdict. As in the text report, rounds in which nothing is sent are left out
/// and a run of rounds repeating the one before (heartbeats) is one note, so that a long run stays
/// readable.
pub fn outcome_mermaid<M: fmt::Display>(heading: &str, plan: &Plan, outcome: &RunRecord<M>) -> String {
    let cluster = outcome.cluster;
    let rounds = rounds_of(outcome);
    let mut d = Diagram::new();
    for p in cluster.processes() {
        d.participant(&cluster.name(p), None);
    }
    let first = cluster.name(Pid(0));
    let last = cluster.name(cluster.client(CLIENTS - 1));
    let span = |d: &mut Diagram, text: &str| d.note_over(&first, Some(&last), text);
    span(&mut d, heading);
    let line = |s: &Sent<M>| -> Line {
        let (from, to) = (cluster.name(s.from), cluster.name(s.to));
        if !s.delivered {
            let why = match plan.crashes.get(&s.to) {
                Some(&at) if at <= s.round + 1 => format!(" ({to} has crashed)"),
                _ => String::new(),
            };
            (from, to.clone(), Arrow::Lost, format!("{} DROPPED{why}", s.msg))
        } else if s.round + 1 == rounds {
            // It would arrive in a round that is never run.
            (from, to, Arrow::Solid, format!("{} (arrives after the last round)", s.msg))
        } else {
            (from, to, Arrow::Solid, s.msg.to_string())
        }
    };
    for step in fold_rounds(&outcome.sent, |s| s.round, line, rounds) {
        match step {
            Folded::Round { round, lines } => {
                span(&mut d, &format!("round {round}"));
                for (from, to, arrow, label) in &lines {
                    d.message(from, to, *arrow, label);
                }
            }
            Folded::Repeats { first, last, of } if first == last => {
                span(&mut d, &format!("round {first} - the same messages as round {of}"))
            }
            Folded::Repeats { first, last, of } => {
                span(&mut d, &format!("rounds {first} to {last} - each the same messages as round {of}"))
            }
            Folded::Silent { first, last } if first == last => {
                span(&mut d, &format!("round {last} - nothing sent"))
            }
            Folded::Silent { first, last } => {
                span(&mut d, &format!("rounds {first} to {last} - nothing sent"))
            }
        }
    }
    for (j, response) in outcome.responses.iter().enumerate() {
        let c = cluster.name(cluster.client(j));
        let text = match response {
            Some(r) => format!("{c} is told {} in round {}", r.cmd, r.round),
            None => format!("{c} gets no response"),
        };
        d.note_over(&c, None, &text);
    }
    let v = outcome.verdict;
    span(
        &mut d,
        &format!(
            "termination {}, agreement {}, validity {}",
            yes_no(v.termination),
            yes_no(v.agreement),
            yes_no(v.validity)
        ),
    );
    d.finish()
}

fn inputs_text(cluster: Cluster, inputs: &[Option<Cmd>; CLIENTS]) -> String {
    let each: Vec<String> = (0..CLIENTS)
        .map(|j| {
            let c = cluster.name(cluster.client(j));
            match inputs[j] {
                Some(cmd) => format!("{c} writes {cmd}"),
                None => format!("{c} writes nothing"),
            }
        })
        .collect();
    each.join(", ")
}

/// World `world` (A, B or C) and the run of a protocol in it, as a Mermaid sequence diagram.
pub fn world_mermaid<M: fmt::Display>(world: &World, outcome: &RunRecord<M>) -> String {
    let cluster = world.cluster;
    let heading = format!(
        "world {}, n={} f={}, G1={} G2={}, faulty {}, {}",
        world.name,
        cluster.servers,
        cluster.faults,
        cluster.names(&world.g1),
        cluster.names(&world.g2),
        cluster.names(&world.plan.faulty),
        inputs_text(cluster, &world.inputs)
    );
    outcome_mermaid(&heading, &world.plan, outcome)
}

/// The failing run of a stress experiment, as a Mermaid sequence diagram.
pub fn failure_mermaid<M: fmt::Display>(cfg: &StressConfig, failure: &Failure<M>) -> String {
    let cluster = cfg.cluster;
    let faults = match cfg.model {
        FaultModel::Omission => format!("each message to or from them lost with probability {}", cfg.q),
        FaultModel::Crash => {
            let each: Vec<String> = failure
                .plan
                .crashes
                .iter()
                .map(|(&p, &r)| format!("{} from round {r}", cluster.name(p)))
                .collect();
            format!("crashed {}", each.join(", "))
        }
    };
    let heading = format!(
        "stress run {} of {} (seed {}), n={} f={}, faulty {}, {faults}, {}",
        failure.run,
        cfg.runs,
        cfg.seed,
        cluster.servers,
        cluster.faults,
        cluster.names(&failure.plan.faulty),
        inputs_text(cluster, &STRESS_INPUTS)
    );
    outcome_mermaid(&heading, &failure.plan, &failure.outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::mermaid::check;
    use crate::smr::protocols::{CommitRule, PrimaryBackup, Vote};
    use crate::smr::replay::first_failure;
    use crate::smr::run::Driver;
    use crate::smr::world::{WorldName, build};

    #[test]
    fn heartbeats_fold_into_one_note_and_a_crash_is_named() {
        // Primary-backup keeps sending heartbeats every round: the diagram must not grow with them.
        let world = build(Cluster::new(2, 1), WorldName::A, FaultModel::Crash).unwrap();
        let protocol = PrimaryBackup::new(3);
        let outcome = crate::smr::run::run_world(&protocol, &world, 200, Driver::Loop).unwrap();
        let diagram = world_mermaid(&world, &outcome);
        assert_eq!(check(&diagram), Ok(()), "{diagram}");
        assert!(diagram.lines().count() < 60, "{} lines:\n{diagram}", diagram.lines().count());
        assert!(diagram.contains(" - each the same messages as round "), "{diagram}");
        assert!(diagram.contains("DROPPED (s2 has crashed)"), "{diagram}");
        assert!(diagram.contains("Note over c1: c1 is told C1 in round "), "{diagram}");
        assert!(diagram.contains("Note over c2: c2 gets no response"), "{diagram}");
    }

    #[test]
    fn the_first_failure_is_drawn_with_its_run_and_seed() {
        let protocol = Vote::new(CommitRule::AloneAfter(3));
        let c = StressConfig {
            cluster: Cluster::new(2, 1),
            model: FaultModel::Omission,
            q: 0.5,
            rounds: 30,
            runs: 500,
            seed: 7,
        };
        let f = first_failure(&protocol, &c).unwrap().expect("commit-alone fails under heavy omissions");
        let diagram = failure_mermaid(&c, &f);
        assert_eq!(check(&diagram), Ok(()), "{diagram}");
        assert!(diagram.contains(&format!("stress run {} of 500 (seed 7)", f.run)), "{diagram}");
    }
}
