//! A replication protocol of one's own, written only against faultline's public API, put through
//! the lower bound (worlds A, B and C, [`WorldsConfig`]) and the stress grid ([`StressSweepConfig`]),
//! exactly as `faultline smr` runs the built-in protocols.
//!
//! "Quorum-or-timeout": a server that has a command (its own client's, or the smallest it has
//! heard of) proposes it to every server; it commits the smallest proposal once `k` servers
//! (itself included) have proposed, or alone after `tau` rounds, and tells its clients. With
//! `k = n` and a timeout it is commit-alone again, so for `n <= 2f` the theorem says where it
//! lands: it answers in A and in B, and so disagrees in C.
//!
//! Last, [`SearchConfig::run_with`] explores every omission pattern of `n = 2`, `f = 1` over the
//! derived rounds and finds that disagreement without being told the worlds: the pattern it finds
//! is world C up to a renaming of the servers. The search copies and compares states, which is why
//! `Server` and `Msg` derive `Clone`, `Hash` and `Eq`.
//!
//! ```text
//! cargo run --example my_replication_protocol
//! ```
//!
//! The assertions make the example fail if the harness's judgement changes.

use faultline::report::smr::search_text;
use faultline::report::smr::{HornReport, StressRow, stress_table, worlds_text};
use faultline::smr::adversary::FaultModel;
use faultline::smr::search::Property;
use faultline::smr::world::WorldName;
use faultline::smr::{
    Cluster, Cmd, Driver, Pid, Process, Protocol, Round, SearchConfig, StressSweepConfig, WorldsConfig,
};
use std::collections::BTreeSet;
use std::fmt;

/// Commit after `k` proposals, or alone after `tau` rounds.
struct QuorumOrTimeout {
    k: usize,
    tau: Round,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Msg {
    Write(Cmd),
    Propose(Cmd),
    Committed(Cmd),
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Write(c) => write!(f, "Write({c})"),
            Msg::Propose(c) => write!(f, "Propose({c})"),
            Msg::Committed(c) => write!(f, "Committed({c})"),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Server {
    me: Pid,
    servers: Vec<Pid>,
    k: usize,
    tau: Round,
    clients: BTreeSet<Pid>,
    proposers: BTreeSet<Pid>,
    smallest: Option<Cmd>,
    proposed_in: Option<Round>,
    committed: bool,
}

impl Process<Msg> for Server {
    fn round(&mut self, round: Round, inbox: &[(Pid, Msg)], out: &mut Vec<(Pid, Msg)>) {
        for (from, m) in inbox {
            match m {
                Msg::Write(c) => {
                    self.clients.insert(*from);
                    self.smallest = Some(self.smallest.map_or(*c, |s| s.min(*c)));
                }
                Msg::Propose(c) => {
                    self.proposers.insert(*from);
                    self.smallest = Some(self.smallest.map_or(*c, |s| s.min(*c)));
                }
                Msg::Committed(_) => {}
            }
        }
        let Some(cmd) = self.smallest else { return };
        if self.proposed_in.is_none() {
            self.proposed_in = Some(round);
            self.proposers.insert(self.me);
            out.extend(self.servers.iter().filter(|&&s| s != self.me).map(|&s| (s, Msg::Propose(cmd))));
        }
        let waited = round - self.proposed_in.unwrap_or(round);
        if !self.committed && (self.proposers.len() >= self.k || waited >= self.tau) {
            self.committed = true;
            out.extend(self.clients.iter().map(|&c| (c, Msg::Committed(cmd))));
        }
    }
}

impl Protocol for QuorumOrTimeout {
    type Msg = Msg;
    type Server = Server;

    fn name(&self) -> String {
        format!("quorum-{}-or-timeout", self.k)
    }

    fn tau(&self) -> Option<Round> {
        Some(self.tau)
    }

    fn server(&self, me: Pid, cluster: Cluster) -> Server {
        Server {
            me,
            servers: cluster.servers().collect(),
            k: self.k,
            tau: self.tau,
            clients: BTreeSet::new(),
            proposers: BTreeSet::new(),
            smallest: None,
            proposed_in: None,
            committed: false,
        }
    }

    fn write(cmd: Cmd) -> Msg {
        Msg::Write(cmd)
    }

    fn response(msg: &Msg) -> Option<Cmd> {
        match msg {
            Msg::Committed(c) => Some(*c),
            _ => None,
        }
    }
}

fn main() {
    let tau = 3;
    let protocol = QuorumOrTimeout { k: 2, tau };
    // Worlds A, B and C of n = 2, f = 1 (the defaults), run for the library's horizon rule (long
    // enough that "not live" means the protocol, not the run), with world C shown.
    let worlds = WorldsConfig { tau, world: Some(WorldName::C), ..WorldsConfig::new() };
    let shown = worlds.run_with(&protocol).expect("n <= 2f and a well-behaved protocol");
    print!("{}", worlds_text(&shown));
    assert_eq!(shown.views_equal_ac, Some(true), "G1+c1 cannot tell A from C");
    assert_eq!(shown.views_equal_bc, Some(true), "G2+c2 cannot tell B from C");
    let disagrees = HornReport::Disagrees { c1: Cmd(1).to_string(), c2: Cmd(2).to_string() };
    assert_eq!(shown.verdict, Some(disagrees), "a timeout answers alone, in C too");
    // The threaded driver records the very same runs.
    let threads =
        WorldsConfig { driver: Driver::Threads, ..worlds }.run_with(&protocol).expect("the same worlds");
    assert_eq!(threads.verdict, shown.verdict);

    // Where no world exists (n = 2f + 1), the same rule under random omissions, with the rounds
    // of its own tau.
    println!();
    let sweep = StressSweepConfig {
        cluster: Cluster::new(3, 1),
        runs: 500,
        ..StressSweepConfig::new(FaultModel::Omission)
    };
    let mut rows: Vec<StressRow> = Vec::new();
    for (k, qs) in [(2, vec![0.3, 0.9]), (3, vec![0.9])] {
        let measured = StressSweepConfig { qs, ..sweep.clone() }.run_with(&QuorumOrTimeout { k, tau });
        rows.extend(measured.expect("the protocol neither panics nor misaddresses"));
    }
    print!("{}", stress_table(&rows));
    for row in &rows {
        // Every run ends in an answer: a server that waited tau rounds commits alone.
        assert_eq!(row.result.termination_failures.count, 0, "{} q={:?}", row.protocol, row.q);
        assert_eq!(row.result.validity_violations.count, 0, "{}", row.protocol);
    }
    // A quorum of all three cannot form when one server's messages are mostly lost, and the timeout
    // then commits alone: a faulty server cut off from the proposals commits its own client's
    // command. The seed fixes every run, so these are exact counts, not estimates.
    let disagreements: Vec<u64> = rows.iter().map(|r| r.result.agreement_violations.count).collect();
    assert_eq!(disagreements, [0, 0, 2], "waiting for all 3, then timing out, disagrees");

    // Every omission pattern of n = 2, f = 1, explored: the disagreement is found, and it is world
    // C (up to which server is called s1).
    println!();
    let found = SearchConfig { tau, ..SearchConfig::new() }.run_with(&protocol).expect("within the bounds");
    print!("{}", search_text(&found));
    let disagreement = found.witness(Property::Agreement).expect("a pattern that disagrees");
    assert!(disagreement.world_c.is_some(), "the disagreement found is world C up to symmetry");
    assert!(found.patterns > 0 && found.states > 0);
}
