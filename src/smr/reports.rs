//! What the replication laboratory's runs showed, in names and strings (`s1`, `c2`, `Vote(C1)`)
//! rather than pids and protocol-specific message types, so that one structure serves both the
//! text ([`crate::report::smr`]) and `--json`, whichever protocol ran.
//!
//! [`SmrReport`] holds what one `faultline smr` run showed; [`world_report`] is the only place
//! that sees a protocol's message type. [`StressRow`] does the same for one row of
//! `faultline smr --stress`. Any [`Protocol`] can be reported, the built-in ones or a user's: its
//! name and `τ` come from the trait ([`report`] and [`StressRow::new`]).

use super::Protocol;
use super::adversary::FaultModel;
use super::model::{CLIENTS, Cluster, Pid, Round};
use super::run::{Driver, RunRecord};
use super::stress::{StressConfig, StressResult};
use super::theorem::{Dichotomy, Horn};
use super::view::Difference;
use super::world::{World, WorldName};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// What `faultline smr` (without `--stress`) showed.
#[derive(Debug, Clone, Serialize)]
pub struct SmrReport {
    /// The protocol's name ([`Protocol::name`]).
    pub protocol: String,
    /// Its waiting time or heartbeat timeout; `None` for the protocols that have none.
    pub tau: Option<Round>,
    /// `n`.
    pub servers: usize,
    /// `f`.
    pub faults: usize,
    /// How the faulty processes fail.
    pub model: FaultModel,
    /// Rounds each world ran.
    pub rounds: Round,
    /// Named in the text only: both drivers must record the very same runs, and keeping the driver
    /// out of the JSON lets a byte comparison check that.
    #[serde(skip)]
    pub driver: Driver,
    /// The worlds that were requested and could be run, keyed `A`, `B`, `C`.
    pub worlds: BTreeMap<String, WorldReport>,
    /// Whether `G1 ∪ {c1}` saw the same in A and C (`None` under crashes: there is no C).
    pub views_equal_ac: Option<bool>,
    /// Whether `G2 ∪ {c2}` saw the same in B and C.
    pub views_equal_bc: Option<bool>,
    /// Where the views of `G1 ∪ {c1}` in A and C first differ.
    pub first_difference_ac: Option<Difference>,
    /// Where the views of `G2 ∪ {c2}` in B and C first differ.
    pub first_difference_bc: Option<Difference>,
    /// The horn the protocol is on (`None` under crashes).
    pub verdict: Option<HornReport>,
    /// World C was requested (`--world all`) but crash faults cannot produce it.
    #[serde(skip)]
    pub c_impossible: bool,
}

/// One world and the run of the protocol in it.
#[derive(Debug, Clone, Serialize)]
pub struct WorldReport {
    /// Which world (the key of [`SmrReport::worlds`] in the JSON).
    #[serde(skip)]
    pub name: WorldName,
    /// The first group of servers.
    pub g1: Vec<String>,
    /// The second group.
    pub g2: Vec<String>,
    /// The processes the adversary corrupts.
    pub faulty: Vec<String>,
    /// Crashed processes and the round they stop in (empty under omission faults).
    pub crashes: BTreeMap<String, Round>,
    /// What each client writes.
    pub inputs: PerClient<Option<String>>,
    /// What each client was told, and when.
    pub responses: PerClient<Option<ResponseRow>>,
    /// Every non-faulty client that wrote got a response.
    pub termination: bool,
    /// No two responses differ.
    pub agreement: bool,
    /// Every response names a written command.
    pub validity: bool,
    /// Every message sent, in sending order.
    pub rounds: Vec<MsgRow>,
}

/// One value per client, keyed `c1` and `c2` in the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PerClient<T> {
    /// Client 1.
    pub c1: T,
    /// Client 2.
    pub c2: T,
}

impl<T> PerClient<T> {
    fn from_array([c1, c2]: [T; CLIENTS]) -> Self {
        PerClient { c1, c2 }
    }

    /// Each client's value with its name, `c1` first.
    pub fn each(&self) -> [(&'static str, &T); CLIENTS] {
        [("c1", &self.c1), ("c2", &self.c2)]
    }
}

/// A response: the command (`C1`) and the round it arrived in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseRow {
    /// The command, as `C1`.
    pub cmd: String,
    /// The round it arrived in.
    pub round: Round,
}

/// One message of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MsgRow {
    /// The round it was sent in.
    pub round: Round,
    /// Its sender, as `s1` or `c1`.
    pub from: String,
    /// Its addressee.
    pub to: String,
    /// The message, as the protocol displays it.
    pub msg: String,
    /// False when it was omitted (or its addressee had crashed).
    pub delivered: bool,
}

/// [`Horn`] with commands written `C1` like everywhere else in the report ([`crate::smr::Cmd`]
/// itself serialises as a bare number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "horn", rename_all = "snake_case")]
pub enum HornReport {
    /// A non-faulty client that wrote got no response in this world.
    NotLive {
        /// The world.
        world: WorldName,
        /// The client (1 or 2).
        client: usize,
    },
    /// In C the clients are told different commands.
    Disagrees {
        /// What c1 was told in C.
        c1: String,
        /// What c2 was told in C.
        c2: String,
    },
    /// A world run twice gave some process different views.
    NotDeterministic {
        /// The world.
        world: WorldName,
        /// Where the two runs first differ.
        difference: Difference,
    },
    /// A client was told a command no client wrote in that world.
    Invalid {
        /// The world.
        world: WorldName,
        /// The client (1 or 2).
        client: usize,
        /// What it was told, as `C1`.
        cmd: String,
    },
    /// The protocol escaped both horns.
    HarnessBug {
        /// What went wrong.
        reason: String,
    },
}

impl From<&Horn> for HornReport {
    fn from(horn: &Horn) -> Self {
        match horn {
            Horn::NotLive { world, client } => HornReport::NotLive { world: *world, client: *client },
            Horn::Disagrees { c1, c2 } => HornReport::Disagrees { c1: c1.to_string(), c2: c2.to_string() },
            Horn::NotDeterministic { world, difference } => {
                HornReport::NotDeterministic { world: *world, difference: difference.clone() }
            }
            Horn::Invalid { world, client, cmd } => {
                HornReport::Invalid { world: *world, client: *client, cmd: cmd.to_string() }
            }
            Horn::HarnessBug { reason } => HornReport::HarnessBug { reason: reason.clone() },
        }
    }
}

impl fmt::Display for HornReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HornReport::NotLive { world, client } => {
                write!(f, "not live: c{client} gets no response in world {world}")
            }
            HornReport::Disagrees { c1, c2 } => {
                write!(f, "disagrees: in world C c1 is told {c1} and c2 is told {c2}")
            }
            HornReport::NotDeterministic { world, difference } => write!(
                f,
                "not deterministic: world {world} run twice: {}",
                difference_text(difference, "in the first run", "in the second")
            ),
            HornReport::Invalid { world, client, cmd } => {
                write!(
                    f,
                    "breaks validity: in world {world} c{client} is told {cmd}, which no client wrote there"
                )
            }
            HornReport::HarnessBug { reason } => write!(f, "BUG IN THE HARNESS: {reason}"),
        }
    }
}

impl SmrReport {
    /// A report of `protocol` with no worlds yet and no comparison.
    pub fn new(
        protocol: &impl Protocol,
        cluster: Cluster,
        model: FaultModel,
        rounds: Round,
        driver: Driver,
    ) -> Self {
        SmrReport {
            protocol: protocol.name(),
            tau: protocol.tau(),
            servers: cluster.servers,
            faults: cluster.faults,
            model,
            rounds,
            driver,
            worlds: BTreeMap::new(),
            views_equal_ac: None,
            views_equal_bc: None,
            first_difference_ac: None,
            first_difference_bc: None,
            verdict: None,
            c_impossible: false,
        }
    }

    /// Adds a world.
    pub fn add(&mut self, world: WorldReport) {
        self.worlds.insert(world.name.to_string(), world);
    }

    /// Records the comparison of the views and the horn.
    pub fn compare(&mut self, ac: Option<Difference>, bc: Option<Difference>, horn: &Horn) {
        self.views_equal_ac = Some(ac.is_none());
        self.views_equal_bc = Some(bc.is_none());
        self.first_difference_ac = ac;
        self.first_difference_bc = bc;
        self.verdict = Some(horn.into());
    }

    /// The harness-bug message, when the protocol escaped both horns.
    pub fn harness_bug(&self) -> Option<String> {
        match &self.verdict {
            Some(horn @ HornReport::HarnessBug { .. }) => Some(horn.to_string()),
            _ => None,
        }
    }
}

/// The report of a dichotomy of `protocol` over `rounds` rounds, showing the worlds in `show`:
/// what `faultline smr` prints for a built-in protocol, and a protocol of one's own alike.
pub fn report<P: Protocol>(
    protocol: &P,
    d: &Dichotomy<P::Msg>,
    rounds: Round,
    driver: Driver,
    show: &[WorldName],
) -> SmrReport {
    let cluster = d.worlds[0].cluster;
    let mut report = SmrReport::new(protocol, cluster, FaultModel::Omission, rounds, driver);
    for (world, outcome) in d.worlds.iter().zip(&d.outcomes) {
        if show.contains(&world.name) {
            report.add(world_report(world, outcome));
        }
    }
    report.compare(d.ac_difference.clone(), d.bc_difference.clone(), &d.horn);
    report
}

/// Every message of a run, in sending order, as rows a report prints.
pub fn msg_rows<M: fmt::Display>(outcome: &RunRecord<M>) -> Vec<MsgRow> {
    let cluster = outcome.cluster;
    outcome
        .sent
        .iter()
        .map(|s| MsgRow {
            round: s.round,
            from: cluster.name(s.from),
            to: cluster.name(s.to),
            msg: s.msg.to_string(),
            delivered: s.delivered,
        })
        .collect()
}

/// The report of `outcome`, the run of some protocol in `world`.
pub fn world_report<M: fmt::Display>(world: &World, outcome: &RunRecord<M>) -> WorldReport {
    let cluster = world.cluster;
    let names = |ps: &mut dyn Iterator<Item = &Pid>| ps.map(|&p| cluster.name(p)).collect::<Vec<_>>();
    let rounds = msg_rows(outcome);
    let v = outcome.verdict;
    WorldReport {
        name: world.name,
        g1: names(&mut world.g1.iter()),
        g2: names(&mut world.g2.iter()),
        faulty: names(&mut world.plan.faulty.iter()),
        crashes: world.plan.crashes.iter().map(|(&p, &r)| (cluster.name(p), r)).collect(),
        inputs: PerClient::from_array(world.inputs.map(|i| i.map(|c| c.to_string()))),
        responses: PerClient::from_array(
            outcome.responses.map(|r| r.map(|r| ResponseRow { cmd: r.cmd.to_string(), round: r.round })),
        ),
        termination: v.termination,
        agreement: v.agreement,
        validity: v.validity,
        rounds,
    }
}

/// One row of `faultline smr --stress`: one protocol, one `τ`, one `q`.
#[derive(Debug, Clone, Serialize)]
pub struct StressRow {
    /// The protocol's name ([`Protocol::name`]).
    pub protocol: String,
    /// Its `τ`; `None` for the protocols that have none.
    pub tau: Option<Round>,
    /// Loss probability on the faulty servers' links; `None` under crashes.
    pub q: Option<f64>,
    /// `n`.
    pub servers: usize,
    /// `f`: each run draws 1 to `f` faulty servers.
    pub faults: usize,
    /// How the faulty servers fail.
    pub model: FaultModel,
    /// Rounds per run.
    pub rounds: Round,
    /// Runs.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// What the runs showed.
    #[serde(flatten)]
    pub result: StressResult,
}

impl StressRow {
    /// The row of `result`, a stress experiment `cfg` on `protocol`.
    pub fn new(protocol: &impl Protocol, cfg: &StressConfig, result: StressResult) -> Self {
        StressRow {
            protocol: protocol.name(),
            tau: protocol.tau(),
            q: (cfg.model == FaultModel::Omission).then_some(cfg.q),
            servers: cfg.cluster.servers,
            faults: cfg.cluster.faults,
            model: cfg.model,
            rounds: cfg.rounds,
            runs: cfg.runs,
            seed: cfg.seed,
            result,
        }
    }
}

/// Where two views first differ, the first seen `first` and the second `second` ("in A", "in C").
pub fn difference_text(d: &Difference, first: &str, second: &str) -> String {
    match d.round {
        None => format!("differ first in {}'s input: {} {first}, {} {second}", d.process, d.first, d.second),
        Some(r) => format!(
            "differ first at {} in round {r}: {first} it got {}, {second} it got {}",
            d.process, d.first, d.second
        ),
    }
}
