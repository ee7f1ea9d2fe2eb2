//! A replication protocol of one's own, written only against faultline's public API, put through
//! the lower bound (worlds A, B and C) and the stress grid.
//!
//! "Quorum-or-timeout": a server that has a command (its own client's, or the smallest it has
//! heard of) proposes it to every server; it commits the smallest proposal once `k` servers
//! (itself included) have proposed, or alone after `tau` rounds, and tells its clients. With
//! `k = n` and a timeout it is commit-alone again, so for `n <= 2f` the theorem says where it
//! lands: it answers in A and in B, and so disagrees in C.
//!
//! ```text
//! cargo run --example my_replication_protocol
//! ```
//!
//! The assertions make the example fail if the harness's judgement changes.

use faultline::report::smr::{StressRow, report, stress_table, worlds_text};
use faultline::smr::adversary::FaultModel;
use faultline::smr::theorem::{Horn, derived_rounds, dichotomy};
use faultline::smr::world::WorldName;
use faultline::smr::{Cluster, Cmd, Driver, Pid, Process, Protocol, Round, StressConfig, stress};
use std::collections::BTreeSet;
use std::fmt;

/// Commit after `k` proposals, or alone after `tau` rounds.
struct QuorumOrTimeout {
    k: usize,
    tau: Round,
}

#[derive(Debug, Clone, PartialEq)]
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
    let (cluster, tau) = (Cluster::new(2, 1), 3);
    let protocol = QuorumOrTimeout { k: 2, tau };
    // The library's horizon rule: long enough that "not live" means the protocol, not the run.
    let rounds = Round::try_from(derived_rounds(tau, cluster.faults)).expect("a few dozen rounds");

    let d = dichotomy(&protocol, cluster, rounds, Driver::Loop).expect("n <= 2f and a well-behaved protocol");
    let shown = report(&protocol, &d, rounds, Driver::Loop, &[WorldName::C]);
    print!("{}", worlds_text(&shown));
    assert_eq!(d.ac_difference, None, "G1+c1 cannot tell A from C");
    assert_eq!(d.bc_difference, None, "G2+c2 cannot tell B from C");
    assert_eq!(d.horn, Horn::Disagrees { c1: Cmd(1), c2: Cmd(2) }, "a timeout answers alone, in C too");
    // The threaded driver records the very same runs.
    let threads = dichotomy(&protocol, cluster, rounds, Driver::Threads).expect("the same worlds");
    assert_eq!(threads.horn, d.horn);

    // Where no world exists (n = 2f + 1), the same rule under random omissions.
    println!();
    let three = Cluster::new(3, 1);
    let rows: Vec<StressRow> = [(2, 0.3), (2, 0.9), (3, 0.9)]
        .into_iter()
        .map(|(k, q)| {
            let p = QuorumOrTimeout { k, tau };
            let rounds = Round::try_from(derived_rounds(tau, three.faults)).expect("a few dozen rounds");
            let cfg =
                StressConfig { cluster: three, model: FaultModel::Omission, q, rounds, runs: 500, seed: 1 };
            StressRow::new(&p, &cfg, stress(&p, &cfg).expect("the protocol neither panics nor misaddresses"))
        })
        .collect();
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
}
