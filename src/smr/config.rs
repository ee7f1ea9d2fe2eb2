//! What `faultline smr` runs, as library types: [`WorldsConfig`], one protocol in worlds A, B and
//! C, and [`StressSweepConfig`], violation rates under random faults over a grid of protocols, `τ`
//! and `q` (`faultline smr --stress`).
//!
//! Each has a constructor with documented defaults (the command line's), a `validate` that says
//! what is wrong with a [`SmrConfigError`], a `run` for the built-in protocols it names, and a
//! `run_with` for any [`Protocol`], a user's own included. They return the report types of
//! [`super::reports`]: an [`SmrReport`] for the worlds, one [`StressRow`] per row of a sweep, which
//! [`crate::report::smr`] renders.
//! The command line only parses its flags into these types, calls them and renders what they
//! return, so that a program gets exactly what `faultline smr` prints.
//!
//! ```
//! use faultline::report::smr::{stress_table, worlds_text};
//! use faultline::smr::adversary::FaultModel;
//! use faultline::smr::protocols::ProtocolKind;
//! use faultline::smr::world::WorldName;
//! use faultline::smr::{StressSweepConfig, WorldsConfig};
//!
//! // `faultline smr --world C --protocol primary-backup`
//! let worlds = WorldsConfig {
//!     protocol: ProtocolKind::PrimaryBackup,
//!     world: Some(WorldName::C),
//!     ..WorldsConfig::new()
//! };
//! let report = worlds.run().unwrap();
//! assert!(worlds_text(&report).contains("horn: disagrees"));
//!
//! // `faultline smr --stress --protocol majority --q 0.5 --runs 100`
//! let sweep = StressSweepConfig {
//!     protocols: vec![ProtocolKind::Majority],
//!     qs: vec![0.5],
//!     runs: 100,
//!     ..StressSweepConfig::new(FaultModel::Omission)
//! };
//! let rows = sweep.run().unwrap();
//! assert_eq!(rows[0].result.agreement_violations.count, 0); // n = 2f + 1: a majority is safe
//! print!("{}", stress_table(&rows));
//! ```
//!
//! Every size is checked against the limits below before anything runs, so that whatever is
//! accepted ends in minutes and in well under a gigabyte: the worlds keep and print every message,
//! so a world is bounded by the messages it can carry; a sweep is bounded by the messages it
//! simulates. `faultline smr --help` prints the limits from these constants.

use super::adversary::FaultModel;
use super::model::{CLIENTS, Cluster, Round};
use super::protocol::Protocol;
use super::protocols::ProtocolKind;
use super::reports::{SmrReport, StressRow, report, world_report};
use super::run::{Driver, RunError, run_world};
use super::search::{
    DEFAULT_MAX_BYTES, DEFAULT_MAX_STATES, MAX_SEARCH_SERVERS, SearchError, SearchOptions, SearchReport,
    search,
};
use super::stress::{StressConfig, StressError, stress_with_progress};
use super::theorem::{DichotomyError, derived_rounds, dichotomy};
use super::world::{self, WorldError, WorldName};

/// Longest `τ` accepted.
pub const MAX_TAU: Round = 2_000;
/// Longest run accepted. A run keeps every round's inbox; one run of a sweep this long on
/// [`MAX_CLUSTER_SERVERS`] servers peaks at about 50 MB.
pub const MAX_ROUNDS: Round = 10_000;
/// Most servers accepted: the threaded driver runs one thread per process, and every server may
/// message every other in every round.
pub const MAX_CLUSTER_SERVERS: usize = 32;
/// Most messages one world can carry, rounds * (n+2)^2 (every process may message every process
/// in every round). The worlds keep every message for the view comparison and print them all; at
/// this limit primary-backup, the chattiest protocol, peaks at about 150 MB (170 MB on the threads
/// driver) and prints 65 MB of JSON or 0.6 MB of text (n = 32 over 432 rounds, or n = 8 over
/// 5000), within seconds.
pub const MAX_WORLD_SLOTS: u64 = 500_000;
/// Most runs in a row of a sweep: ten million pin any rate to within 0.0004 (95%); a rarer event
/// needs another experiment, not a longer one.
pub const MAX_RUNS: u64 = 10_000_000;
/// Most rows in a sweep (protocols * tau values * q values): the table is for reading.
pub const MAX_ROWS: usize = 1_000;
/// Most message slots a sweep simulates, runs * (rounds + 1) * (n+2)^2 summed over its rows; the
/// one round more is what setting up a run costs. The slowest sweep per slot (primary-backup,
/// n = 2, one round per run) does about 21 million slots a second in a release build, so the
/// largest such sweep accepted took 7.5 minutes (9 on a busy 2-core machine); with more servers or
/// more rounds per run a slot is 2 to 8 times cheaper.
pub const MAX_SWEEP_SLOTS: u64 = 10_000_000_000;

/// The loss probabilities a sweep under omission faults tries by default.
pub const DEFAULT_QS: [f64; 4] = [0.1, 0.3, 0.5, 0.9];
/// The `τ` values a sweep tries by default.
pub const DEFAULT_TAUS: [Round; 3] = [1, 3, 6];

/// What is wrong with a configuration, found before anything runs. The messages name the
/// quantities (`servers n`, `τ`, `rounds per run`); the command line says its flags instead
/// ([`crate::flags::smr::flagged`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SmrConfigError {
    /// The cluster cannot be run (no faults, or as many faults as servers), or for the worlds split.
    #[error(transparent)]
    World(#[from] WorldError),
    /// Fewer than two servers in a sweep.
    #[error("servers n must be at least 2 (got {0})")]
    TooFewServers(usize),
    /// More servers than the drivers are built for ([`MAX_CLUSTER_SERVERS`]).
    #[error("servers n must be at most {MAX_CLUSTER_SERVERS} (got {0})")]
    TooManyServers(usize),
    /// A `τ` of 0 or above [`MAX_TAU`].
    #[error("τ must be from 1 to {MAX_TAU} (got {0})")]
    TauOutOfRange(Round),
    /// Rounds given as 0 or above [`MAX_ROUNDS`].
    #[error("rounds per run must be from 1 to {MAX_ROUNDS} (got {0})")]
    RoundsOutOfRange(Round),
    /// Runs per row of 0 or above [`MAX_RUNS`].
    #[error("runs per row must be from 1 to {MAX_RUNS} (got {0})")]
    RunsOutOfRange(u64),
    /// A loss probability outside `[0, 1]`.
    #[error("loss probability q must be between 0 and 1 (got {0})")]
    Probability(f64),
    /// A sweep's list (protocols, `τ` values, or `q` values under omission faults) is empty.
    #[error("{0} needs at least one value")]
    Empty(&'static str),
    /// Loss probabilities with crash faults, which lose nothing at random.
    #[error(
        "loss probability q goes with fault model omission; a crashed server stops, it does not lose messages at random"
    )]
    QWithCrash,
    /// The derived number of rounds would exceed [`MAX_ROUNDS`].
    #[error(
        "τ {tau} with faults f {faults} needs {needed} rounds, more than the {MAX_ROUNDS} allowed: lower τ or faults f, or set rounds per run"
    )]
    TooManyRounds {
        /// τ.
        tau: Round,
        /// f.
        faults: usize,
        /// The derived rounds.
        needed: u64,
    },
    /// A world that could carry more messages than are worth keeping and printing ([`MAX_WORLD_SLOTS`]).
    #[error(
        "a world of {servers} servers over {rounds} rounds can carry {slots} messages, rounds * (n+2)^2, more than the {MAX_WORLD_SLOTS} allowed: lower rounds per run, τ or servers n"
    )]
    WorldTooLarge {
        /// n.
        servers: usize,
        /// The rounds, given or derived.
        rounds: Round,
        /// rounds * (n+2)^2.
        slots: u64,
    },
    /// A sweep with more rows than a table is for ([`MAX_ROWS`]).
    #[error(
        "the sweep has {0} rows (protocols * tau values * q values), more than the {MAX_ROWS} allowed: give fewer τ or loss probability q values, or name one protocol"
    )]
    TooManyRows(usize),
    /// A search on more servers than it accepts ([`MAX_SEARCH_SERVERS`]).
    #[error(
        "servers n must be at most {MAX_SEARCH_SERVERS} for a search (got {0}): no exhaustive search of more ends"
    )]
    SearchTooManyServers(usize),
    /// A state bound of 0.
    #[error("state bound must be at least 1")]
    NoStates,
    /// A memory bound of 0.
    #[error("memory bound must be at least 1 byte")]
    NoBytes,
    /// A sweep that would run for hours ([`MAX_SWEEP_SLOTS`]).
    #[error(
        "the sweep would simulate {0} message slots, runs * (rounds + 1) * (n+2)^2 over all rows, more than the {MAX_SWEEP_SLOTS} allowed: lower runs per row, servers n, rounds per run or τ, or give fewer τ or loss probability q values"
    )]
    SweepTooLarge(u64),
}

/// Why a configuration produced no report: refused, or a process of the protocol failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LabError {
    /// The configuration was refused before anything ran.
    #[error(transparent)]
    Config(#[from] SmrConfigError),
    /// A process failed in one of worlds A, B and C (omission faults).
    #[error(transparent)]
    Dichotomy(#[from] DichotomyError),
    /// A process failed in a world under crash faults.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A process failed in a run of a sweep.
    #[error(transparent)]
    Stress(#[from] StressError),
    /// An exhaustive search stopped (a bound, or a process failed).
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// Every omission pattern of a small cluster, explored: what `faultline smr --search` runs
/// ([`crate::smr::search`](mod@crate::smr::search)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchConfig {
    /// The built-in protocol [`run`](Self::run) searches (default: commit-alone).
    pub protocol: ProtocolKind,
    /// `n` servers (at most [`MAX_SEARCH_SERVERS`]) and `f` faulty ones; any `n > f >= 1`, `n = 2f + 1`
    /// included (default: 2 and 1).
    pub cluster: Cluster,
    /// The protocol's `τ`, 1 to [`MAX_TAU`], and what the derived rounds come from (default: 3).
    pub tau: Round,
    /// Rounds of every run, 1 to [`MAX_ROUNDS`]; `None` (the default): [`derived_rounds`] of `tau`
    /// and `f`, as for the worlds.
    pub rounds: Option<Round>,
    /// Whether the adversary may make clients faulty too, as world C does (default: true).
    pub clients_may_fail: bool,
    /// The bound on distinct states explored (default: [`DEFAULT_MAX_STATES`]).
    pub max_states: u64,
    /// The bound on the bytes the explored states take, estimated (default: [`DEFAULT_MAX_BYTES`]).
    pub max_bytes: u64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl SearchConfig {
    /// The defaults of `faultline smr --search`: commit-alone with `τ = 3` on `n = 2`, `f = 1`,
    /// the derived rounds (20), clients that may fail, [`DEFAULT_MAX_STATES`], [`DEFAULT_MAX_BYTES`].
    pub fn new() -> Self {
        SearchConfig {
            protocol: ProtocolKind::CommitAlone,
            cluster: Cluster::new(2, 1),
            tau: 3,
            rounds: None,
            clients_may_fail: true,
            max_states: DEFAULT_MAX_STATES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// The rounds every run lasts: [`rounds`](Self::rounds), or [`derived_rounds`].
    pub fn horizon(&self) -> Result<Round, SmrConfigError> {
        horizon(self.rounds, self.tau, self.cluster.faults)
    }

    /// Checks every field before anything runs.
    pub fn validate(&self) -> Result<(), SmrConfigError> {
        check_tau(self.tau)?;
        check_rounds(self.rounds)?;
        let (n, f) = (self.cluster.servers, self.cluster.faults);
        if n < 2 {
            return Err(SmrConfigError::TooFewServers(n));
        }
        if n > MAX_SEARCH_SERVERS {
            return Err(SmrConfigError::SearchTooManyServers(n));
        }
        if f == 0 {
            return Err(WorldError::NoFaults.into());
        }
        if f >= n {
            return Err(WorldError::TooManyFaults { servers: n, faults: f }.into());
        }
        if self.max_states == 0 {
            return Err(SmrConfigError::NoStates);
        }
        if self.max_bytes == 0 {
            return Err(SmrConfigError::NoBytes);
        }
        self.horizon()?;
        Ok(())
    }

    /// The options of the search.
    pub fn options(&self) -> SearchOptions {
        SearchOptions {
            clients_may_fail: self.clients_may_fail,
            max_states: self.max_states,
            max_bytes: self.max_bytes,
            ..SearchOptions::new()
        }
    }

    /// Validates, then searches [`protocol`](Self::protocol) built with [`tau`](Self::tau); when
    /// a witness is world C, the report names the `faultline replay smr` words that draw it.
    pub fn run(&self) -> Result<SearchReport, LabError> {
        let mut report = crate::with_protocol!(self.protocol, self.tau, |p| self.run_with(&p))?;
        if report.witnesses.iter().any(|w| w.world_c.is_some()) {
            let rounds = self.rounds.map_or(String::new(), |r| format!(" --rounds {r}"));
            report.replay = Some(format!(
                "faultline replay smr --protocol {} --servers {} --faults {} --tau {}{rounds}",
                self.protocol.name(),
                self.cluster.servers,
                self.cluster.faults,
                self.tau
            ));
        }
        Ok(report)
    }

    /// Validates, then searches `protocol` instead of [`protocol`](Self::protocol);
    /// [`tau`](Self::tau) still decides the derived rounds. Its server must be `Clone + Hash + Eq`
    /// and its message `Hash + Eq` ([`crate::smr::search`](mod@crate::smr::search)).
    pub fn run_with<P>(&self, protocol: &P) -> Result<SearchReport, LabError>
    where
        P: Protocol,
        P::Server: Clone + std::hash::Hash + Eq,
        P::Msg: std::hash::Hash + Eq,
    {
        self.validate()?;
        Ok(search(protocol, self.cluster, self.horizon()?, &self.options())?)
    }
}

/// One protocol in worlds A, B and C: what `faultline smr` runs without `--stress`.
///
/// Under omission faults all three worlds are always run ([`dichotomy`], each twice), because the
/// view comparison and the horn need all three; [`world`](Self::world) only chooses which the
/// report shows. Under crash faults only A and B exist, so there is nothing to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldsConfig {
    /// The built-in protocol [`run`](Self::run) runs (default: commit-alone).
    pub protocol: ProtocolKind,
    /// `n` servers and `f` faults; worlds exist only for `n <= 2f` (default: 2 and 1).
    pub cluster: Cluster,
    /// How long commit-alone waits alone and primary-backup's heartbeat timeout, 1 to
    /// [`MAX_TAU`]; also what the derived rounds come from (default: 3).
    pub tau: Round,
    /// Rounds each world runs, 1 to [`MAX_ROUNDS`]; `None` (the default): [`derived_rounds`] of
    /// `tau` and `f`. Either way at most [`MAX_WORLD_SLOTS`] / (n+2)^2.
    pub rounds: Option<Round>,
    /// How the faulty processes fail (default: omission).
    pub model: FaultModel,
    /// The lock-step driver; both record identical runs (default: the loop).
    pub driver: Driver,
    /// The one world to report; `None` (the default): every world the fault model can build, A,
    /// B and C, or under crash faults A and B with a note that C cannot exist.
    pub world: Option<WorldName>,
}

impl Default for WorldsConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl WorldsConfig {
    /// The defaults, those of `faultline smr`: commit-alone with `τ = 3` on `n = 2`, `f = 1`,
    /// omission faults, the derived rounds (20), the loop driver, every world reported.
    pub fn new() -> Self {
        WorldsConfig {
            protocol: ProtocolKind::CommitAlone,
            cluster: Cluster::new(2, 1),
            tau: 3,
            rounds: None,
            model: FaultModel::Omission,
            driver: Driver::Loop,
            world: None,
        }
    }

    /// The worlds the report shows, A, B, C order.
    pub fn shown(&self) -> Vec<WorldName> {
        match self.world {
            Some(w) => vec![w],
            None if self.model == FaultModel::Crash => vec![WorldName::A, WorldName::B],
            None => WorldName::ALL.to_vec(),
        }
    }

    /// True when every world was asked for under crash faults: C cannot be built, and the report
    /// says so.
    pub fn c_impossible(&self) -> bool {
        self.world.is_none() && self.model == FaultModel::Crash
    }

    /// The rounds each world runs: [`rounds`](Self::rounds), or [`derived_rounds`] if that is
    /// within [`MAX_ROUNDS`].
    pub fn horizon(&self) -> Result<Round, SmrConfigError> {
        horizon(self.rounds, self.tau, self.cluster.faults)
    }

    /// Checks every field and combination, and every limit, in the order `faultline smr` reports
    /// them; the error says what to change.
    pub fn validate(&self) -> Result<(), SmrConfigError> {
        check_tau(self.tau)?;
        check_rounds(self.rounds)?;
        if self.cluster.servers > MAX_CLUSTER_SERVERS {
            return Err(SmrConfigError::TooManyServers(self.cluster.servers));
        }
        // Building is cheap and says exactly what is wrong (n > 2f, or C under crashes) before
        // anything runs.
        for w in self.shown() {
            world::build(self.cluster, w, self.model)?;
        }
        let rounds = self.horizon()?;
        let slots = u64::from(rounds) * slots_per_round(self.cluster.servers);
        if slots > MAX_WORLD_SLOTS {
            return Err(SmrConfigError::WorldTooLarge { servers: self.cluster.servers, rounds, slots });
        }
        Ok(())
    }

    /// Validates, then runs [`protocol`](Self::protocol) built with [`tau`](Self::tau).
    pub fn run(&self) -> Result<SmrReport, LabError> {
        crate::with_protocol!(self.protocol, self.tau, |p| self.run_with(&p))
    }

    /// Validates, then runs `protocol` instead of [`protocol`](Self::protocol); [`tau`](Self::tau)
    /// still decides the derived rounds, so give it the protocol's own `τ`.
    pub fn run_with<P: Protocol>(&self, protocol: &P) -> Result<SmrReport, LabError> {
        self.validate()?;
        let rounds = self.horizon()?;
        let show = self.shown();
        match self.model {
            FaultModel::Omission => {
                let d = dichotomy(protocol, self.cluster, rounds, self.driver)?;
                Ok(report(protocol, &d, rounds, self.driver, &show))
            }
            FaultModel::Crash => {
                let mut report = SmrReport::new(protocol, self.cluster, self.model, rounds, self.driver);
                for name in show {
                    let world =
                        world::build(self.cluster, name, FaultModel::Crash).map_err(SmrConfigError::from)?;
                    report.add(world_report(&world, &run_world(protocol, &world, rounds, self.driver)?));
                }
                report.c_impossible = self.c_impossible();
                Ok(report)
            }
        }
    }
}

/// Violation rates under random faults, one row per protocol, `τ` and `q`: what
/// `faultline smr --stress` runs.
///
/// Every row runs [`runs`](Self::runs) times, each run with a random faulty set of 1 to `f`
/// servers ([`stress`](mod@crate::smr::stress)), and counts the violations with 95% intervals. A
/// protocol without a `τ` runs once per `q`, with the rounds of the longest `τ`. Unlike the worlds,
/// a sweep needs no split into two groups: `n = 2f + 1` is allowed, and is where majority must come
/// out safe.
#[derive(Debug, Clone, PartialEq)]
pub struct StressSweepConfig {
    /// The built-in protocols [`run`](Self::run) runs, in the table's order (default: all four).
    pub protocols: Vec<ProtocolKind>,
    /// `n` servers and `f`, the most that are faulty in one run (default: 3 and 1).
    pub cluster: Cluster,
    /// The `τ` values of the protocols that wait, each 1 to [`MAX_TAU`] (default: [`DEFAULT_TAUS`]).
    pub taus: Vec<Round>,
    /// Probabilities that each message to or from a faulty server is lost, under omission faults
    /// (default: [`DEFAULT_QS`]); empty under crash faults, which lose nothing at random.
    pub qs: Vec<f64>,
    /// Rounds per run, 1 to [`MAX_ROUNDS`]; `None` (the default): [`derived_rounds`] of the row's
    /// `τ` and `f`.
    pub rounds: Option<Round>,
    /// How the faulty servers fail.
    pub model: FaultModel,
    /// Runs per row, 1 to [`MAX_RUNS`] (default: 2000).
    pub runs: u64,
    /// Master seed of the random faults; the same seed gives the same table (default: 1).
    pub seed: u64,
}

/// One row of a sweep before it runs: a protocol, its `τ` and `q`, and the rounds of its runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepRow {
    /// The protocol.
    pub protocol: ProtocolKind,
    /// Its `τ`; `None` for a protocol that does not wait.
    pub tau: Option<Round>,
    /// The loss probability; `None` under crash faults.
    pub q: Option<f64>,
    /// Rounds per run, given or derived.
    pub rounds: Round,
}

/// What a running sweep reports as it goes, for a progress bar; `()` ignores it.
pub trait SweepProgress {
    /// Row `index` (from 0) of `rows` is about to run.
    fn row(&mut self, index: usize, rows: usize, row: &SweepRow) {
        let _ = (index, rows, row);
    }
    /// One run of the current row ended, having simulated `slots` message slots
    /// ([`StressSweepConfig::slots_per_run`]).
    fn run(&mut self, slots: u64) {
        let _ = slots;
    }
}

impl SweepProgress for () {}

impl Default for StressSweepConfig {
    /// [`StressSweepConfig::new`] under omission faults.
    fn default() -> Self {
        Self::new(FaultModel::Omission)
    }
}

impl StressSweepConfig {
    /// The defaults, those of `faultline smr --stress`, under `model`: all four built-in protocols,
    /// `n = 3`, `f = 1`, `τ` in [`DEFAULT_TAUS`], `q` in [`DEFAULT_QS`] (none under crash faults),
    /// the derived rounds, 2000 runs per row, seed 1.
    pub fn new(model: FaultModel) -> Self {
        StressSweepConfig {
            protocols: ProtocolKind::ALL.to_vec(),
            cluster: Cluster::new(3, 1),
            taus: DEFAULT_TAUS.to_vec(),
            qs: match model {
                FaultModel::Omission => DEFAULT_QS.to_vec(),
                FaultModel::Crash => Vec::new(),
            },
            rounds: None,
            model,
            runs: 2000,
            seed: 1,
        }
    }

    /// Checks every field and combination, and every limit, in the order `faultline smr --stress`
    /// reports them; the error says what to change.
    pub fn validate(&self) -> Result<(), SmrConfigError> {
        self.check_common()?;
        if self.protocols.is_empty() {
            return Err(SmrConfigError::Empty("protocol list"));
        }
        // The longest wait decides the longest run; refuse before running anything.
        horizon(self.rounds, self.longest_tau(), self.cluster.faults)?;
        let rows = self.row_count();
        if rows > MAX_ROWS {
            return Err(SmrConfigError::TooManyRows(rows));
        }
        let slots = self.slots(&self.list_rows());
        if slots > MAX_SWEEP_SLOTS {
            return Err(SmrConfigError::SweepTooLarge(slots));
        }
        Ok(())
    }

    /// What every sweep needs, whichever protocols it runs: `q` only with omission faults, a
    /// cluster the drivers run, every value within its limits.
    fn check_common(&self) -> Result<(), SmrConfigError> {
        if self.model == FaultModel::Crash && !self.qs.is_empty() {
            return Err(SmrConfigError::QWithCrash);
        }
        let (n, f) = (self.cluster.servers, self.cluster.faults);
        if n > MAX_CLUSTER_SERVERS {
            return Err(SmrConfigError::TooManyServers(n));
        }
        if n < 2 {
            return Err(SmrConfigError::TooFewServers(n));
        }
        if f == 0 {
            return Err(WorldError::NoFaults.into());
        }
        if f >= n {
            return Err(WorldError::TooManyFaults { servers: n, faults: f }.into());
        }
        if self.taus.is_empty() {
            return Err(SmrConfigError::Empty("τ"));
        }
        if self.model == FaultModel::Omission && self.qs.is_empty() {
            return Err(SmrConfigError::Empty("loss probability q"));
        }
        for &tau in &self.taus {
            check_tau(tau)?;
        }
        check_rounds(self.rounds)?;
        if !(1..=MAX_RUNS).contains(&self.runs) {
            return Err(SmrConfigError::RunsOutOfRange(self.runs));
        }
        if let Some(&q) = self.qs.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            return Err(SmrConfigError::Probability(q));
        }
        Ok(())
    }

    /// The longest `τ`: a protocol that does not wait gets its rounds, more than enough.
    fn longest_tau(&self) -> Round {
        self.taus.iter().copied().max().unwrap_or(1)
    }

    /// The `q` of each row: every `q` under omission faults, none under crashes.
    fn q_values(&self) -> Vec<Option<f64>> {
        match self.model {
            FaultModel::Omission => self.qs.iter().copied().map(Some).collect(),
            FaultModel::Crash => vec![None],
        }
    }

    /// The `τ` values `protocol` is run with: none for those that do not wait, which would run
    /// the same for every `τ`.
    fn taus_of(&self, protocol: ProtocolKind) -> Vec<Option<Round>> {
        if uses_tau(protocol) { self.taus.iter().copied().map(Some).collect() } else { vec![None] }
    }

    /// How many rows the sweep has, without listing them: the lists may be long.
    pub fn row_count(&self) -> usize {
        let per_q: usize =
            self.protocols.iter().map(|&p| if uses_tau(p) { self.taus.len() } else { 1 }).sum();
        per_q.saturating_mul(self.q_values().len())
    }

    /// Validates, then lists every row in the order of the table.
    pub fn rows(&self) -> Result<Vec<SweepRow>, SmrConfigError> {
        self.validate()?;
        Ok(self.list_rows())
    }

    /// Every row, once the rounds are known to be within the limit.
    fn list_rows(&self) -> Vec<SweepRow> {
        let longest = self.longest_tau();
        let qs = self.q_values();
        let mut rows = Vec::with_capacity(self.row_count());
        for &protocol in &self.protocols {
            for tau in self.taus_of(protocol) {
                let rounds = horizon(self.rounds, tau.unwrap_or(longest), self.cluster.faults)
                    .expect("checked when the configuration was validated");
                rows.extend(qs.iter().map(|&q| SweepRow { protocol, tau, q, rounds }));
            }
        }
        rows
    }

    /// The message slots a run of `row` can carry, the setting up counted as a round.
    pub fn slots_per_run(&self, row: &SweepRow) -> u64 {
        slots_per_run(row.rounds, self.cluster.servers)
    }

    /// The message slots `rows` simulate, [`runs`](Self::runs) runs each, saturating rather than
    /// overflowing.
    pub fn slots(&self, rows: &[SweepRow]) -> u64 {
        rows.iter()
            .fold(0u64, |sum, row| sum.saturating_add(self.runs.saturating_mul(self.slots_per_run(row))))
    }

    /// The `τ` `row`'s protocol is built with: its own, or for a protocol that does not wait (and
    /// ignores it) the longest of the sweep.
    pub fn protocol_tau(&self, row: &SweepRow) -> Round {
        row.tau.unwrap_or(self.longest_tau())
    }

    /// The stress experiment of `row` with master seed `seed`.
    pub fn stress_config(&self, row: &SweepRow, seed: u64) -> StressConfig {
        self.experiment(row.q, row.rounds, seed)
    }

    /// The stress experiment with loss probability `q` over `rounds` rounds per run.
    fn experiment(&self, q: Option<f64>, rounds: Round, seed: u64) -> StressConfig {
        StressConfig {
            cluster: self.cluster,
            model: self.model,
            q: q.unwrap_or(0.0),
            rounds,
            runs: self.runs,
            seed,
        }
    }

    /// Runs one row (from [`rows`](Self::rows)) with master seed `seed`.
    pub fn run_row(&self, row: &SweepRow, seed: u64) -> Result<StressRow, StressError> {
        self.run_row_ticking(row, seed, &mut || {})
    }

    fn run_row_ticking(
        &self,
        row: &SweepRow,
        seed: u64,
        tick: &mut dyn FnMut(),
    ) -> Result<StressRow, StressError> {
        let cfg = self.stress_config(row, seed);
        crate::with_protocol!(row.protocol, self.protocol_tau(row), |p| {
            stress_with_progress(&p, &cfg, tick).map(|result| StressRow::new(&p, &cfg, result))
        })
    }

    /// Validates, then runs every row with [`seed`](Self::seed), in the order of the table.
    pub fn run(&self) -> Result<Vec<StressRow>, LabError> {
        self.run_with_progress(&mut ())
    }

    /// [`run`](Self::run), telling `progress` about every row and every run.
    pub fn run_with_progress(&self, progress: &mut dyn SweepProgress) -> Result<Vec<StressRow>, LabError> {
        let rows = self.rows()?;
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            progress.row(i, rows.len(), row);
            let per_run = self.slots_per_run(row);
            out.push(self.run_row_ticking(row, self.seed, &mut || progress.run(per_run))?);
        }
        Ok(out)
    }

    /// Validates, then runs `protocol` instead of [`protocols`](Self::protocols): one row per `q`
    /// (one under crash faults), with the rounds of its own `τ` ([`Protocol::tau`]), or of the
    /// longest of [`taus`](Self::taus) if it does not wait.
    pub fn run_with<P: Protocol>(&self, protocol: &P) -> Result<Vec<StressRow>, LabError> {
        self.check_common()?;
        let rounds = horizon(self.rounds, protocol.tau().unwrap_or(self.longest_tau()), self.cluster.faults)?;
        let qs = self.q_values();
        if qs.len() > MAX_ROWS {
            return Err(SmrConfigError::TooManyRows(qs.len()).into());
        }
        let per_row = self.runs.saturating_mul(slots_per_run(rounds, self.cluster.servers));
        let slots = (qs.len() as u64).saturating_mul(per_row);
        if slots > MAX_SWEEP_SLOTS {
            return Err(SmrConfigError::SweepTooLarge(slots).into());
        }
        qs.into_iter()
            .map(|q| {
                let cfg = self.experiment(q, rounds, self.seed);
                let result = stress_with_progress(protocol, &cfg, &mut || {})?;
                Ok(StressRow::new(protocol, &cfg, result))
            })
            .collect()
    }
}

/// Whether `kind` has a `τ` ([`Protocol::tau`]); those without would run the same for every `τ`.
fn uses_tau(kind: ProtocolKind) -> bool {
    crate::with_protocol!(kind, 1, |p| p.tau().is_some())
}

fn check_tau(tau: Round) -> Result<(), SmrConfigError> {
    if (1..=MAX_TAU).contains(&tau) { Ok(()) } else { Err(SmrConfigError::TauOutOfRange(tau)) }
}

fn check_rounds(rounds: Option<Round>) -> Result<(), SmrConfigError> {
    match rounds {
        Some(r) if !(1..=MAX_ROUNDS).contains(&r) => Err(SmrConfigError::RoundsOutOfRange(r)),
        _ => Ok(()),
    }
}

/// The rounds to run: the ones given, or [`derived_rounds`] if within [`MAX_ROUNDS`].
fn horizon(given: Option<Round>, tau: Round, faults: usize) -> Result<Round, SmrConfigError> {
    if let Some(r) = given {
        return Ok(r);
    }
    let needed = derived_rounds(tau, faults);
    Round::try_from(needed).ok().filter(|&r| r <= MAX_ROUNDS).ok_or(SmrConfigError::TooManyRounds {
        tau,
        faults,
        needed,
    })
}

/// The messages a round can carry: every process, the two clients included, to every process.
fn slots_per_round(servers: usize) -> u64 {
    let processes = (servers + CLIENTS) as u64;
    processes * processes
}

/// The message slots one run of `rounds` rounds on `servers` servers can carry, the setting up
/// counted as a round.
fn slots_per_run(rounds: Round, servers: usize) -> u64 {
    (u64::from(rounds) + 1) * slots_per_round(servers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smr::protocols::{CommitRule, Vote};

    #[test]
    fn the_defaults_are_valid_and_documented() {
        let worlds = WorldsConfig::new();
        assert_eq!(worlds.validate(), Ok(()));
        assert_eq!(worlds.horizon(), Ok(20), "max(4*3 + 8, 2*(3 + 3) + 4)");
        assert_eq!(worlds.shown(), WorldName::ALL.to_vec());
        let sweep = StressSweepConfig::default();
        assert_eq!(sweep.validate(), Ok(()));
        assert_eq!((sweep.cluster, sweep.runs, sweep.seed), (Cluster::new(3, 1), 2000, 1));
        assert_eq!((sweep.taus.as_slice(), sweep.qs.as_slice()), (&DEFAULT_TAUS[..], &DEFAULT_QS[..]));
        // wait-all and majority once per q, commit-alone and primary-backup once per tau and q.
        assert_eq!(sweep.row_count(), 2 * 4 + 2 * 3 * 4);
        let crash = StressSweepConfig::new(FaultModel::Crash);
        assert!(crash.qs.is_empty());
        assert_eq!(crash.rows().unwrap().len(), 2 + 2 * 3);
    }

    #[test]
    fn the_worlds_say_what_is_wrong() {
        let new = WorldsConfig::new;
        for (cfg, expect) in [
            (
                WorldsConfig { cluster: Cluster::new(3, 1), ..new() },
                WorldError::NoSplit { servers: 3, faults: 1 }.into(),
            ),
            (WorldsConfig { cluster: Cluster::new(33, 17), ..new() }, SmrConfigError::TooManyServers(33)),
            (WorldsConfig { tau: 0, ..new() }, SmrConfigError::TauOutOfRange(0)),
            (WorldsConfig { tau: MAX_TAU + 1, ..new() }, SmrConfigError::TauOutOfRange(MAX_TAU + 1)),
            (WorldsConfig { rounds: Some(0), ..new() }, SmrConfigError::RoundsOutOfRange(0)),
            (
                WorldsConfig { model: FaultModel::Crash, world: Some(WorldName::C), ..new() },
                WorldError::CrashCannotBuildC.into(),
            ),
            (
                WorldsConfig { cluster: Cluster::new(8, 4), tau: MAX_TAU, ..new() },
                SmrConfigError::TooManyRounds { tau: MAX_TAU, faults: 4, needed: 10_019 },
            ),
        ] {
            assert_eq!(cfg.validate(), Err(expect.clone()), "{cfg:?}");
            assert_eq!(cfg.run().unwrap_err(), LabError::Config(expect));
        }
        // Each world is bounded by the messages it can carry: the edge passes, one round more does not.
        let big = |rounds| WorldsConfig { cluster: Cluster::new(32, 16), rounds: Some(rounds), ..new() };
        let edge = Round::try_from(MAX_WORLD_SLOTS / (34 * 34)).unwrap();
        assert_eq!(big(edge).validate(), Ok(()));
        assert_eq!(
            big(edge + 1).validate(),
            Err(SmrConfigError::WorldTooLarge {
                servers: 32,
                rounds: edge + 1,
                slots: u64::from(edge + 1) * 34 * 34
            })
        );
        // Under crashes, every world means A and B, and the report says C cannot exist.
        let crash = WorldsConfig { model: FaultModel::Crash, ..new() };
        assert_eq!((crash.shown(), crash.c_impossible()), (vec![WorldName::A, WorldName::B], true));
        assert!(crash.run().unwrap().c_impossible);
    }

    #[test]
    fn a_sweep_says_what_is_wrong() {
        let new = StressSweepConfig::default;
        for (cfg, expect) in [
            (StressSweepConfig { model: FaultModel::Crash, ..new() }, SmrConfigError::QWithCrash),
            (StressSweepConfig { cluster: Cluster::new(1, 1), ..new() }, SmrConfigError::TooFewServers(1)),
            (StressSweepConfig { cluster: Cluster::new(3, 0), ..new() }, WorldError::NoFaults.into()),
            (
                StressSweepConfig { cluster: Cluster::new(3, 3), ..new() },
                WorldError::TooManyFaults { servers: 3, faults: 3 }.into(),
            ),
            (StressSweepConfig { protocols: vec![], ..new() }, SmrConfigError::Empty("protocol list")),
            (StressSweepConfig { taus: vec![], ..new() }, SmrConfigError::Empty("τ")),
            (StressSweepConfig { qs: vec![], ..new() }, SmrConfigError::Empty("loss probability q")),
            (StressSweepConfig { taus: vec![3, 0], ..new() }, SmrConfigError::TauOutOfRange(0)),
            (
                StressSweepConfig { rounds: Some(MAX_ROUNDS + 1), ..new() },
                SmrConfigError::RoundsOutOfRange(MAX_ROUNDS + 1),
            ),
            (StressSweepConfig { runs: 0, ..new() }, SmrConfigError::RunsOutOfRange(0)),
            (StressSweepConfig { qs: vec![0.5, 1.5], ..new() }, SmrConfigError::Probability(1.5)),
            // 8 rows per q: wait-all and majority once, the other two once per tau.
            (StressSweepConfig { qs: vec![0.5; 126], ..new() }, SmrConfigError::TooManyRows(8 * 126)),
            (
                StressSweepConfig { runs: MAX_RUNS, cluster: Cluster::new(8, 2), ..new() },
                // (n+2)^2 = 100 slots a round; with f = 2, 16 rounds for tau 1, 22 for tau 3, 32 for
                // tau 6 and for the protocols that do not wait; one round more to set up each run.
                SmrConfigError::SweepTooLarge(MAX_RUNS * 4 * 100 * (2 * 33 + 2 * (17 + 23 + 33))),
            ),
        ] {
            assert_eq!(cfg.validate(), Err(expect.clone()), "{cfg:?}");
            assert_eq!(cfg.run().unwrap_err(), LabError::Config(expect));
        }
        // A sweep needs no worlds: n = 2f + 1 is where majority must come out safe.
        assert_eq!(StressSweepConfig { cluster: Cluster::new(3, 1), ..new() }.validate(), Ok(()));
        // `run_with` checks what does not depend on the built-in protocols, and its own rows.
        let majority = Vote::new(CommitRule::Majority);
        let cfg = StressSweepConfig { protocols: vec![], qs: vec![0.5; MAX_ROWS + 1], runs: 1, ..new() };
        assert_eq!(cfg.run_with(&majority).unwrap_err(), SmrConfigError::TooManyRows(MAX_ROWS + 1).into());
        let cfg = StressSweepConfig { model: FaultModel::Crash, ..new() };
        assert_eq!(cfg.run_with(&majority).unwrap_err(), SmrConfigError::QWithCrash.into());
    }

    /// A protocol given to `run_with` is reported exactly as the built-in one `run` builds.
    #[test]
    fn run_with_a_protocol_is_run_with_the_built_in_one() {
        let worlds = WorldsConfig {
            protocol: ProtocolKind::WaitAll,
            world: Some(WorldName::A),
            ..WorldsConfig::new()
        };
        let by_kind = worlds.run().unwrap();
        let by_value = worlds.run_with(&Vote::new(CommitRule::All)).unwrap();
        let json = |r: &SmrReport| serde_json::to_string(r).unwrap();
        assert_eq!(json(&by_kind), json(&by_value));
        assert_eq!(by_kind.worlds.keys().collect::<Vec<_>>(), ["A"]);

        let sweep = StressSweepConfig {
            protocols: vec![ProtocolKind::CommitAlone],
            taus: vec![2],
            qs: vec![0.3, 0.9],
            runs: 60,
            ..StressSweepConfig::default()
        };
        let rows = sweep.run().unwrap();
        let again = sweep.run_with(&Vote::new(CommitRule::AloneAfter(2))).unwrap();
        let json = |rows: &[StressRow]| serde_json::to_string(rows).unwrap();
        assert_eq!(json(&rows), json(&again));
        assert_eq!(
            rows.iter().map(|r| (r.tau, r.q, r.rounds)).collect::<Vec<_>>(),
            [(Some(2), Some(0.3), 16), (Some(2), Some(0.9), 16)]
        );
    }

    /// The library names quantities; only the command line names its flags.
    #[test]
    fn errors_name_no_flag() {
        let errors = [
            SmrConfigError::TooFewServers(1),
            SmrConfigError::TooManyServers(99),
            SmrConfigError::TauOutOfRange(0),
            SmrConfigError::RoundsOutOfRange(0),
            SmrConfigError::RunsOutOfRange(0),
            SmrConfigError::Probability(2.0),
            SmrConfigError::Empty("τ"),
            SmrConfigError::QWithCrash,
            SmrConfigError::TooManyRounds { tau: 100, faults: 16, needed: 20_000 },
            SmrConfigError::WorldTooLarge { servers: 32, rounds: 1000, slots: 1 << 30 },
            SmrConfigError::TooManyRows(2000),
            SmrConfigError::SearchTooManyServers(9),
            SmrConfigError::NoStates,
            SmrConfigError::NoBytes,
            SmrConfigError::SweepTooLarge(u64::MAX),
            WorldError::TooFewServers(1).into(),
            WorldError::NoFaults.into(),
            WorldError::TooManyFaults { servers: 2, faults: 2 }.into(),
        ];
        for e in errors {
            assert!(!e.to_string().contains("--"), "{e}");
        }
    }
}
