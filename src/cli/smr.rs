//! `faultline smr`: the replication lower bound, one protocol in worlds A, B and C, or measured
//! under random faults with `--stress`.
//!
//! ```text
//! faultline smr [--protocol P] [--world A|B|C|all] [--servers N --faults F] [--tau T] [--model M]
//! faultline smr --stress [--protocol P] [--q P,...] [--tau T,...] [--runs N] [--seed S]
//! ```
//!
//! Without `--stress`, under omission faults, all three worlds are always run
//! ([`theorem::dichotomy`]; they are a few dozen rounds each), because the view comparison and the
//! horn need all three; `--world` only chooses which ones are printed. Each printed world shows who
//! is faulty and who writes, every message round by round (omitted ones marked `DROPPED`), the
//! responses and the specification's verdict; after the worlds come the two view comparisons and
//! the horn. Under crash faults only A and B exist, so there is nothing to compare. A protocol on
//! neither horn means the harness is wrong, never the theorem: the report is still printed, with a
//! loud `BUG IN THE HARNESS` line, and the exit code is 1.
//!
//! With `--stress`, every protocol (or the one named) is run `--runs` times for each `q` and each
//! `τ`, with random faulty sets of 1 to `f` servers, and the violations are counted with 95%
//! intervals. Protocols without a `τ` are run once per `q`.
//!
//! Flags are `Option`s (or lists that may be empty) so that "not given" differs from "given the
//! default": the two modes have different defaults (`--servers` 2 or 3, one `τ` or a list), and a
//! flag of the other mode is an error merely by being present.
//!
//! Every size is checked against the limits below before anything runs, so that whatever is
//! accepted ends in minutes and in well under a gigabyte: the worlds keep and print every message,
//! so a world is bounded by the messages it can carry; a sweep is bounded by the messages it
//! simulates. `--help` prints the limits from the same constants. On a terminal, a sweep that
//! takes longer than [`PROGRESS_AFTER`] shows a progress bar on stderr; stdout is the same either
//! way.

use super::CliError;
use super::values::{probability, whole, whole_in};
use crate::report::smr::{self as report, SmrReport, StressRow, stress_table, world_report, worlds_text};
use crate::smr::Protocol;
use crate::smr::adversary::FaultModel;
use crate::smr::model::{CLIENTS, Cluster, Round};
use crate::smr::protocols::ProtocolKind;
use crate::smr::run::{Driver, RunError, run_world};
use crate::smr::stress::{StressConfig, StressError, stress_with_progress};
use crate::smr::theorem::{self, DichotomyError, derived_rounds};
use crate::smr::world::{self, WorldError, WorldName};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

const EXAMPLES: &str = "\
Examples:
  faultline smr                                      commit-alone, n=2, f=1: worlds A, B, C and the horn
  faultline smr --world C --protocol primary-backup  world C alone, round by round
  faultline smr --protocol wait-all --servers 4 --faults 2 --json
  faultline smr --protocol primary-backup --model crash
  faultline smr --stress --runs 500 --q 0.1,0.5 --tau 1,6";

/// Longest `τ` accepted.
const MAX_TAU: Round = 2_000;
/// Longest run accepted. A run keeps every round's inbox; one run of a sweep this long on
/// [`MAX_SERVERS`] servers peaks at about 50 MB.
const MAX_ROUNDS: Round = 10_000;
/// Most servers accepted: the threaded driver runs one thread per process, and every server may
/// message every other in every round.
const MAX_SERVERS: usize = 32;
/// Most messages one world can carry, rounds * (n+2)^2 (every process may message every process
/// in every round). The worlds keep every message for the view comparison and print them all; at
/// this limit primary-backup, the chattiest protocol, peaks at about 150 MB (170 MB on the threads
/// driver) and prints 65 MB of JSON or 0.6 MB of text (n = 32 over 432 rounds, or n = 8 over
/// 5000), within seconds.
const MAX_WORLD_SLOTS: u64 = 500_000;
/// Most runs in a row of a sweep: ten million pin any rate to within 0.0004 (95%); a rarer event
/// needs another experiment, not a longer one.
const MAX_RUNS: u64 = 10_000_000;
/// Most rows in a sweep (protocols * tau values * q values): the table is for reading.
const MAX_ROWS: usize = 1_000;
/// Most message slots a sweep simulates, runs * (rounds + 1) * (n+2)^2 summed over its rows; the
/// one round more is what setting up a run costs. The slowest sweep per slot (primary-backup,
/// n = 2, one round per run) does about 21 million slots a second in a release build, so the
/// largest such sweep accepted took 7.5 minutes (9 on a busy 2-core machine); with more servers or
/// more rounds per run a slot is 2 to 8 times cheaper.
const MAX_SWEEP_SLOTS: u64 = 10_000_000_000;
/// A sweep shows its progress bar once it has run this long: a shorter one would only flicker.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// The limits and the examples, after the flags in `--help`.
fn after_help() -> String {
    format!(
        "Limits, checked before anything runs:\n  \
         a world can carry at most {MAX_WORLD_SLOTS} messages: rounds * (n+2)^2\n  \
         a sweep has at most {MAX_ROWS} rows (protocols * tau values * q values) and simulates at most\n  \
         {MAX_SWEEP_SLOTS} message slots: runs * (rounds + 1) * (n+2)^2 over all rows (minutes, not hours)\n\n\
         {EXAMPLES}"
    )
}

fn servers_help() -> String {
    format!("Servers n, 2 to {MAX_SERVERS}; worlds A, B, C need n <= 2f [default: 2; 3 with --stress]")
}

fn tau_help() -> String {
    format!(
        "Rounds commit-alone waits alone, and primary-backup's heartbeat timeout, 1 to {MAX_TAU}; a \
         comma-separated list with --stress [default: 3; 1,3,6 with --stress]"
    )
}

fn rounds_help() -> String {
    format!(
        "Rounds each run lasts, 1 to {MAX_ROUNDS}, and for the worlds at most {MAX_WORLD_SLOTS} / (n+2)^2 \
         [default: the larger of 4*tau + 8 and (f + 1)*(tau + 3) + 4]"
    )
}

fn runs_help() -> String {
    format!("With --stress: runs per table row, 1 to {MAX_RUNS} [default: 2000]")
}

fn quiet_help() -> String {
    format!(
        "With --stress: no progress bar (otherwise shown on stderr when it is a terminal and the sweep \
         takes over {}s)",
        PROGRESS_AFTER.as_secs()
    )
}

/// Flags of `faultline smr`. Help texts that name a limit are generated from its constant.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(after_help = after_help())]
pub struct SmrArgs {
    /// Servers n.
    #[arg(long, value_name = "N", help = servers_help(), value_parser = whole::<usize>, allow_negative_numbers = true)]
    pub servers: Option<usize>,
    /// Faults f the protocol must tolerate, from 1 to n-1 [default: 1]
    #[arg(long, value_name = "F", value_parser = whole::<usize>, allow_negative_numbers = true)]
    pub faults: Option<usize>,
    /// Protocol: wait-all, commit-alone, majority or primary-backup [default: commit-alone; all four with --stress]
    #[arg(long, value_name = "PROTOCOL", hide_possible_values = true)]
    pub protocol: Option<ProtocolKind>,
    /// World to print: A, B, C or all; all three are run and compared anyway [default: all]
    #[arg(long, value_name = "A|B|C|all", ignore_case = true, hide_possible_values = true)]
    pub world: Option<WorldChoice>,
    /// τ, or a list of them with --stress.
    #[arg(long, value_name = "ROUNDS", help = tau_help(), value_delimiter = ',', value_parser = tau, allow_negative_numbers = true)]
    pub tau: Vec<Round>,
    /// Rounds each run lasts.
    #[arg(long, value_name = "N", help = rounds_help(), value_parser = rounds, allow_negative_numbers = true)]
    pub rounds: Option<Round>,
    /// Fault model: omission (a faulty process runs on, its messages may be lost) or crash [default: omission]
    #[arg(long, value_name = "MODEL", hide_possible_values = true)]
    pub model: Option<FaultModel>,
    /// Lock-step driver: loop, or threads (one OS thread per process); not with --stress [default: loop]
    #[arg(long, value_name = "DRIVER", hide_possible_values = true)]
    pub driver: Option<Driver>,
    /// Measure violation rates under random faults instead of printing worlds
    #[arg(long)]
    pub stress: bool,
    /// With --stress: probability that each message to or from a faulty server is lost, comma-separated list [default: 0.1,0.3,0.5,0.9]
    #[arg(long, value_name = "P,...", value_delimiter = ',', value_parser = probability, allow_negative_numbers = true)]
    pub q: Vec<f64>,
    /// Runs per row of a sweep.
    #[arg(long, value_name = "N", help = runs_help(), value_parser = runs, allow_negative_numbers = true)]
    pub runs: Option<u64>,
    /// With --stress: master seed of the random faults; the same seed gives the same table [default: 1]
    #[arg(long, value_name = "N", value_parser = whole::<u64>, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// No progress bar.
    #[arg(long, help = quiet_help())]
    pub quiet: bool,
    /// Print JSON instead of text: one object, or with --stress an array of rows
    #[arg(long)]
    pub json: bool,
}

/// `--world`: one world or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WorldChoice {
    /// World A.
    #[value(name = "A")]
    A,
    /// World B.
    #[value(name = "B")]
    B,
    /// World C.
    #[value(name = "C")]
    C,
    /// All three.
    #[value(name = "all")]
    All,
}

/// Combinations of flags `faultline smr` refuses.
#[derive(Debug, thiserror::Error)]
pub enum SmrError {
    /// The worlds cannot be built for this cluster or fault model.
    #[error(transparent)]
    World(#[from] WorldError),
    /// A flag that only means something in a stress sweep.
    #[error("{flag} goes with --stress; {why}")]
    NeedsStress {
        /// The flag.
        flag: &'static str,
        /// Why it does not apply to the worlds.
        why: &'static str,
    },
    /// A flag that only means something for the worlds.
    #[error("{flag} does not go with --stress; {why}")]
    NotWithStress {
        /// The flag.
        flag: &'static str,
        /// Why it does not apply to a sweep.
        why: &'static str,
    },
    /// A list of `τ` outside a sweep.
    #[error("--tau takes one value without --stress (got {0}); lists are for sweeps")]
    OneTau(String),
    /// `--q` with crash faults.
    #[error("--q goes with --model omission; a crashed server stops, it does not lose messages at random")]
    QWithCrash,
    /// Too few servers for a sweep.
    #[error("--servers must be at least 2 (got {0})")]
    TooFewServers(usize),
    /// More servers than the drivers are built for.
    #[error("--servers must be at most {MAX_SERVERS} (got {0})")]
    TooManyServers(usize),
    /// The dichotomy could not be run.
    #[error(transparent)]
    Dichotomy(#[from] DichotomyError),
    /// A process of the protocol failed in a world under crashes.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A process of the protocol failed in a stress run.
    #[error(transparent)]
    Stress(#[from] StressError),
    /// A process of the protocol failed while the first failing stress run was sought.
    #[error(transparent)]
    StressReplay(#[from] crate::smr::replay::StressReplayError),
    /// A replay asked of flags that name no single stress row.
    #[error("{0}")]
    Replay(String),
    /// The derived number of rounds would exceed the limit.
    #[error(
        "--tau {tau} with --faults {faults} needs {needed} rounds, more than the {MAX_ROUNDS} allowed: lower --tau or --faults, or give --rounds"
    )]
    TooManyRounds {
        /// τ.
        tau: Round,
        /// f.
        faults: usize,
        /// The derived rounds.
        needed: u64,
    },
    /// A world that could carry more messages than are worth keeping and printing.
    #[error(
        "a world of {servers} servers over {rounds} rounds can carry {slots} messages, rounds * (n+2)^2, more than the {MAX_WORLD_SLOTS} allowed: lower --rounds, --tau or --servers"
    )]
    WorldTooLarge {
        /// n.
        servers: usize,
        /// The rounds, given or derived.
        rounds: Round,
        /// rounds * (n+2)^2.
        slots: u64,
    },
    /// A sweep with more rows than a table is for.
    #[error(
        "the sweep has {0} rows (protocols * tau values * q values), more than the {MAX_ROWS} allowed: give fewer --tau or --q values, or one --protocol"
    )]
    TooManyRows(usize),
    /// A sweep that would run for hours.
    #[error(
        "the sweep would simulate {0} message slots, runs * (rounds + 1) * (n+2)^2 over all rows, more than the {MAX_SWEEP_SLOTS} allowed: lower --runs, --servers, --rounds or --tau, or give fewer --tau or --q values"
    )]
    SweepTooLarge(u64),
}

/// `n` servers and `f` faults, within what the drivers run.
fn cluster(servers: usize, faults: usize) -> Result<Cluster, SmrError> {
    if servers > MAX_SERVERS {
        return Err(SmrError::TooManyServers(servers));
    }
    Ok(Cluster::new(servers, faults))
}

/// The rounds to run: the ones given, or [`derived_rounds`] if within [`MAX_ROUNDS`].
fn horizon(given: Option<Round>, tau: Round, faults: usize) -> Result<Round, SmrError> {
    if let Some(r) = given {
        return Ok(r);
    }
    let needed = derived_rounds(tau, faults);
    Round::try_from(needed).ok().filter(|&r| r <= MAX_ROUNDS).ok_or(SmrError::TooManyRounds {
        tau,
        faults,
        needed,
    })
}

impl From<WorldError> for CliError {
    fn from(e: WorldError) -> Self {
        SmrError::World(e).into()
    }
}

fn tau(text: &str) -> Result<Round, String> {
    whole_in(text, 1..=MAX_TAU, "rounds")
}

fn rounds(text: &str) -> Result<Round, String> {
    whole_in(text, 1..=MAX_ROUNDS, "rounds")
}

fn runs(text: &str) -> Result<u64, String> {
    whole_in(text, 1..=MAX_RUNS, "runs")
}

/// The messages a round can carry: every process, the two clients included, to every process.
fn slots_per_round(servers: usize) -> u64 {
    let processes = (servers + CLIENTS) as u64;
    processes * processes
}

/// The loss probabilities a stress run tries when `--q` is not given.
pub(crate) const DEFAULT_QS: [f64; 4] = [0.1, 0.3, 0.5, 0.9];
/// The `τ` values a stress run tries when `--tau` is not given.
pub(crate) const DEFAULT_TAUS: [Round; 3] = [1, 3, 6];

/// Whether `kind` has a `τ` ([`Protocol::tau`]); those without would run the same for every `τ`.
fn uses_tau(kind: ProtocolKind) -> bool {
    crate::with_protocol!(kind, 1, |p| p.tau().is_some())
}

/// What the flags describe, validated.
#[derive(Debug, Clone, PartialEq)]
enum Plan {
    Worlds(WorldsPlan),
    Stress(StressPlan),
}

#[derive(Debug, Clone, PartialEq)]
struct WorldsPlan {
    protocol: ProtocolKind,
    cluster: Cluster,
    tau: Round,
    rounds: Round,
    model: FaultModel,
    driver: Driver,
    /// The worlds to print.
    show: Vec<WorldName>,
    /// `--world all` under crashes: C was asked for and cannot exist.
    c_impossible: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct StressPlan {
    protocols: Vec<ProtocolKind>,
    cluster: Cluster,
    taus: Vec<Round>,
    /// `None` under crashes, where no message is lost at random.
    qs: Vec<Option<f64>>,
    rounds: Option<Round>,
    model: FaultModel,
    runs: u64,
    seed: u64,
    quiet: bool,
}

/// One row of a sweep, before it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RowPlan {
    protocol: ProtocolKind,
    tau: Option<Round>,
    q: Option<f64>,
    rounds: Round,
}

impl StressPlan {
    /// The `τ` values `protocol` is run with: none for those that do not wait, which would run
    /// the same for every `τ`.
    fn taus_of(&self, protocol: ProtocolKind) -> Vec<Option<Round>> {
        if uses_tau(protocol) { self.taus.iter().copied().map(Some).collect() } else { vec![None] }
    }

    /// How many rows the sweep has, without listing them: the lists may be long.
    fn row_count(&self) -> usize {
        let per_q: usize =
            self.protocols.iter().map(|&p| if uses_tau(p) { self.taus.len() } else { 1 }).sum();
        per_q.saturating_mul(self.qs.len())
    }

    /// Every row, in the order of the table.
    fn rows(&self) -> Vec<RowPlan> {
        let longest = self.taus.iter().copied().max().unwrap_or(1);
        let mut rows = Vec::with_capacity(self.row_count());
        for &protocol in &self.protocols {
            for tau in self.taus_of(protocol) {
                // A protocol that does not wait gets the rounds of the longest wait: more than enough.
                let rounds = horizon(self.rounds, tau.unwrap_or(longest), self.cluster.faults)
                    .expect("checked when the plan was made");
                rows.extend(self.qs.iter().map(|&q| RowPlan { protocol, tau, q, rounds }));
            }
        }
        rows
    }

    /// The message slots a run of `row` can carry, the setting up counted as a round.
    fn slots_per_run(&self, row: &RowPlan) -> u64 {
        (u64::from(row.rounds) + 1) * slots_per_round(self.cluster.servers)
    }

    /// The message slots the whole sweep simulates, saturating rather than overflowing.
    fn slots(&self, rows: &[RowPlan]) -> u64 {
        rows.iter()
            .fold(0u64, |sum, row| sum.saturating_add(self.runs.saturating_mul(self.slots_per_run(row))))
    }
}

impl SmrArgs {
    fn plan(&self) -> Result<Plan, SmrError> {
        if self.stress { self.stress_plan().map(Plan::Stress) } else { self.worlds_plan().map(Plan::Worlds) }
    }

    fn worlds_plan(&self) -> Result<WorldsPlan, SmrError> {
        let deterministic = "worlds A, B and C are deterministic, there is nothing to sample";
        for (flag, given) in
            [("--q", !self.q.is_empty()), ("--runs", self.runs.is_some()), ("--seed", self.seed.is_some())]
        {
            if given {
                return Err(SmrError::NeedsStress { flag, why: deterministic });
            }
        }
        let tau = match self.tau[..] {
            [] => 3,
            [t] => t,
            _ => {
                let list: Vec<String> = self.tau.iter().map(Round::to_string).collect();
                return Err(SmrError::OneTau(list.join(",")));
            }
        };
        if self.quiet {
            return Err(SmrError::NeedsStress { flag: "--quiet", why: "only a sweep shows progress" });
        }
        let cluster = cluster(self.servers.unwrap_or(2), self.faults.unwrap_or(1))?;
        let model = self.model.unwrap_or(FaultModel::Omission);
        let requested = match self.world.unwrap_or(WorldChoice::All) {
            WorldChoice::A => vec![WorldName::A],
            WorldChoice::B => vec![WorldName::B],
            WorldChoice::C => vec![WorldName::C],
            WorldChoice::All => WorldName::ALL.to_vec(),
        };
        let c_impossible = model == FaultModel::Crash && requested.len() > 1;
        let show: Vec<WorldName> =
            requested.into_iter().filter(|&w| !(c_impossible && w == WorldName::C)).collect();
        // Building is cheap and says exactly what is wrong (n > 2f, or C under crashes) before
        // anything runs.
        for &w in &show {
            world::build(cluster, w, model)?;
        }
        let rounds = horizon(self.rounds, tau, cluster.faults)?;
        let slots = u64::from(rounds) * slots_per_round(cluster.servers);
        if slots > MAX_WORLD_SLOTS {
            return Err(SmrError::WorldTooLarge { servers: cluster.servers, rounds, slots });
        }
        Ok(WorldsPlan {
            protocol: self.protocol.unwrap_or(ProtocolKind::CommitAlone),
            cluster,
            tau,
            rounds,
            model,
            driver: self.driver.unwrap_or(Driver::Loop),
            show,
            c_impossible,
        })
    }

    fn stress_plan(&self) -> Result<StressPlan, SmrError> {
        if self.world.is_some() {
            return Err(SmrError::NotWithStress {
                flag: "--world",
                why: "a sweep draws a random faulty set for every run instead of worlds A, B, C",
            });
        }
        if self.driver.is_some() {
            return Err(SmrError::NotWithStress {
                flag: "--driver",
                why: "sweeps run on the loop driver, which records exactly what the threads driver does",
            });
        }
        let model = self.model.unwrap_or(FaultModel::Omission);
        let qs = match model {
            FaultModel::Omission if self.q.is_empty() => DEFAULT_QS.iter().copied().map(Some).collect(),
            FaultModel::Omission => self.q.iter().copied().map(Some).collect(),
            FaultModel::Crash if self.q.is_empty() => vec![None],
            FaultModel::Crash => return Err(SmrError::QWithCrash),
        };
        // Unlike the worlds, a sweep needs no split into two groups: n = 2f + 1 is allowed, and
        // is where majority must come out safe.
        let cluster = cluster(self.servers.unwrap_or(3), self.faults.unwrap_or(1))?;
        let (n, f) = (cluster.servers, cluster.faults);
        if n < 2 {
            return Err(SmrError::TooFewServers(n));
        }
        if f == 0 {
            return Err(WorldError::NoFaults.into());
        }
        if f >= n {
            return Err(WorldError::TooManyFaults { servers: n, faults: f }.into());
        }
        let taus = if self.tau.is_empty() { DEFAULT_TAUS.to_vec() } else { self.tau.clone() };
        // The longest wait decides the longest run; refuse before running anything.
        horizon(self.rounds, taus.iter().copied().max().unwrap_or(1), f)?;
        let plan = StressPlan {
            protocols: self.protocol.map_or_else(|| ProtocolKind::ALL.to_vec(), |p| vec![p]),
            cluster,
            taus,
            qs,
            rounds: self.rounds,
            model,
            runs: self.runs.unwrap_or(2000),
            seed: self.seed.unwrap_or(1),
            quiet: self.quiet,
        };
        if plan.row_count() > MAX_ROWS {
            return Err(SmrError::TooManyRows(plan.row_count()));
        }
        let slots = plan.slots(&plan.rows());
        if slots > MAX_SWEEP_SLOTS {
            return Err(SmrError::SweepTooLarge(slots));
        }
        Ok(plan)
    }
}

/// What `faultline smr` prints, and whether the run found a bug in the harness (exit 1).
#[derive(Debug)]
pub(super) struct SmrOutput {
    /// The report, for stdout.
    pub text: String,
    /// `BUG IN THE HARNESS: ...`, when a protocol escaped both horns of the theorem.
    pub harness_bug: Option<String>,
}

/// Runs what the flags describe and renders it as they ask.
pub(super) fn run(args: &SmrArgs) -> Result<SmrOutput, CliError> {
    match args.plan()? {
        Plan::Worlds(plan) => {
            let report = crate::with_protocol!(plan.protocol, plan.tau, |p| worlds(&p, &plan))?;
            let text = if args.json { json(&report) } else { worlds_text(&report) };
            Ok(SmrOutput { text, harness_bug: report.harness_bug() })
        }
        Plan::Stress(plan) => {
            let rows = sweep(&plan)?;
            let text = if args.json { json(&rows) } else { stress_table(&rows) };
            Ok(SmrOutput { text, harness_bug: None })
        }
    }
}

fn json(value: &impl serde::Serialize) -> String {
    let mut text =
        serde_json::to_string_pretty(value).expect("the smr reports have only serialisable fields");
    text.push('\n');
    text
}

fn worlds<P: Protocol>(protocol: &P, plan: &WorldsPlan) -> Result<SmrReport, SmrError> {
    match plan.model {
        FaultModel::Omission => {
            let d = theorem::dichotomy(protocol, plan.cluster, plan.rounds, plan.driver)?;
            Ok(report::report(protocol, &d, plan.rounds, plan.driver, &plan.show))
        }
        FaultModel::Crash => {
            let mut report = SmrReport::new(protocol, plan.cluster, plan.model, plan.rounds, plan.driver);
            for &name in &plan.show {
                let world = world::build(plan.cluster, name, FaultModel::Crash)?;
                report.add(world_report(&world, &run_world(protocol, &world, plan.rounds, plan.driver)?));
            }
            report.c_impossible = plan.c_impossible;
            Ok(report)
        }
    }
}

fn sweep(plan: &StressPlan) -> Result<Vec<StressRow>, SmrError> {
    let longest = plan.taus.iter().copied().max().unwrap_or(1);
    let rows = plan.rows();
    let mut progress = Progress::new(plan.slots(&rows), !plan.quiet);
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        progress.row(i, rows.len(), row);
        let per_run = plan.slots_per_run(row);
        out.push(run_row(plan, row, longest, plan.seed, &mut || progress.advance(per_run))?);
    }
    progress.finish();
    Ok(out)
}

/// Runs one row of `plan` with master seed `seed`; `longest` is the `τ` a protocol without one is
/// built with (it does not wait, so any serves).
fn run_row(
    plan: &StressPlan,
    row: &RowPlan,
    longest: Round,
    seed: u64,
    tick: &mut dyn FnMut(),
) -> Result<StressRow, StressError> {
    let cfg = StressConfig {
        cluster: plan.cluster,
        model: plan.model,
        q: row.q.unwrap_or(0.0),
        rounds: row.rounds,
        runs: plan.runs,
        seed,
    };
    crate::with_protocol!(row.protocol, row.tau.unwrap_or(longest), |p| {
        stress_with_progress(&p, &cfg, tick).map(|result| StressRow::new(&p, &cfg, result))
    })
}

/// One row of a stress sweep, as a point of `faultline sweep smr` runs it.
#[derive(Debug, Clone)]
pub struct StressPoint {
    plan: StressPlan,
    row: RowPlan,
}

impl StressPoint {
    /// The row `args` (taken as `--stress`) describe; `Err(Ok(flag))` when `flag` does not apply
    /// to the others (`--q` under crashes), `Err(Err(why))` when they are no single row.
    pub fn of(args: &SmrArgs) -> Result<StressPoint, Result<&'static str, String>> {
        let args = SmrArgs { stress: true, ..args.clone() };
        let plan = args.stress_plan().map_err(|e| match e {
            SmrError::QWithCrash => Ok("--q"),
            other => Err(other.to_string()),
        })?;
        match plan.rows()[..] {
            [row] => Ok(StressPoint { plan, row }),
            ref rows => Err(Err(format!(
                "this point is {} stress rows: give one --protocol, --tau and --q per point",
                rows.len()
            ))),
        }
    }

    /// True when the protocol waits `τ` rounds (otherwise `τ` changes nothing).
    pub fn uses_tau(&self) -> bool {
        self.row.tau.is_some()
    }

    /// Runs the row with master seed `seed`.
    pub fn run(&self, seed: u64) -> StressRow {
        let longest = self.plan.taus.iter().copied().max().unwrap_or(1);
        // A point names a built-in protocol (`ProtocolKind`), and none of them panics or sends to
        // a pid that does not exist: an error here is a bug in the crate.
        run_row(&self.plan, &self.row, longest, seed, &mut || {})
            .unwrap_or_else(|e| panic!("a built-in protocol failed: {e}"))
    }
}

/// A sweep's progress bar on stderr, counted in message slots so that the ETA weighs long rows
/// as they are. It exists only when stderr is a terminal and `--quiet` was not given, and is drawn
/// only once the sweep has run for [`PROGRESS_AFTER`].
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: bool,
}

impl Progress {
    fn new(slots: u64, wanted: bool) -> Progress {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(slots), ProgressDrawTarget::hidden());
            bar.set_style(progress_style());
            bar
        });
        Progress { bar, started: Instant::now(), shown: false }
    }

    fn row(&self, i: usize, rows: usize, row: &RowPlan) {
        if let Some(bar) = &self.bar {
            let tau = row.tau.map_or(String::new(), |t| format!(" tau={t}"));
            let q = row.q.map_or(String::new(), |q| format!(" q={q}"));
            bar.set_message(format!("row {}/{rows} {}{tau}{q}", i + 1, row.protocol.name()));
        }
    }

    fn advance(&mut self, slots: u64) {
        let Some(bar) = &self.bar else { return };
        bar.inc(slots);
        if !self.shown && self.started.elapsed() >= PROGRESS_AFTER {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }

    /// Leaves the terminal as it was: the bar is gone once the table is printed.
    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

fn progress_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{elapsed_precise}] [{wide_bar}] {percent}% ETA {eta}")
        .expect("the template is valid")
        .progress_chars("=> ")
}

/// What `faultline replay smr` shows: world C of the flags' protocol (the worlds' flags), or with
/// `--stress` the first failing run of the one stress row they name; as text and as Mermaid.
pub(crate) fn replay(args: &SmrArgs) -> Result<(String, Option<String>), CliError> {
    if args.stress {
        let seed = args.seed.unwrap_or(1);
        let point = StressPoint::of(args).map_err(|e| match e {
            Ok(flag) => SmrError::NotWithStress { flag, why: "a crashed server loses nothing at random" },
            Err(why) => SmrError::Replay(why),
        })?;
        return Ok(point.first_failure(seed)?);
    }
    let plan = WorldsPlan { show: vec![WorldName::C], ..args.worlds_plan()? };
    // World C needs omission faults; building it says so in one line under crashes.
    world::build(plan.cluster, WorldName::C, plan.model)?;
    let (text, mermaid) = crate::with_protocol!(plan.protocol, plan.tau, |p| {
        let d = theorem::dichotomy(&p, plan.cluster, plan.rounds, plan.driver).map_err(SmrError::from)?;
        let c = d.worlds.iter().position(|w| w.name == WorldName::C).expect("the dichotomy runs world C");
        let text = worlds_text(&worlds(&p, &plan)?);
        Ok::<_, SmrError>((text, crate::smr::replay::world_mermaid(&d.worlds[c], &d.outcomes[c])))
    })?;
    Ok((text, Some(mermaid)))
}

impl StressPoint {
    /// The first run of this row with master seed `seed` that breaks Termination, Agreement or
    /// Validity: a line saying which, and its Mermaid diagram; or a line saying none did.
    fn first_failure(&self, seed: u64) -> Result<(String, Option<String>), SmrError> {
        let cfg = StressConfig {
            cluster: self.plan.cluster,
            model: self.plan.model,
            q: self.row.q.unwrap_or(0.0),
            rounds: self.row.rounds,
            runs: self.plan.runs,
            seed,
        };
        let longest = self.plan.taus.iter().copied().max().unwrap_or(1);
        crate::with_protocol!(self.row.protocol, self.row.tau.unwrap_or(longest), |p| {
            Ok(match crate::smr::replay::first_failure(&p, &cfg)? {
                None => (
                    format!("none of the {} runs broke Termination, Agreement or Validity\n", cfg.runs),
                    None,
                ),
                Some(f) => {
                    let names = self.plan.cluster.names(&f.plan.faulty);
                    let text = format!(
                        "run {} of {} (seed {seed}) is the first to fail: faulty {names}; termination {}, agreement {}, validity {}\n",
                        f.run,
                        cfg.runs,
                        yes(f.verdict.termination),
                        yes(f.verdict.agreement),
                        yes(f.verdict.validity),
                    );
                    (text, Some(crate::smr::replay::failure_mermaid(&cfg, &f)))
                }
            })
        })
    }
}

fn yes(held: bool) -> &'static str {
    if held { "yes" } else { "NO" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        args: SmrArgs,
    }

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let argv = std::iter::once("smr").chain(args.iter().copied());
        let wrap = Wrap::try_parse_from(argv).map_err(|e| e.to_string())?;
        wrap.args.plan().map_err(|e| e.to_string())
    }

    #[test]
    fn no_flags_means_commit_alone_on_two_servers() {
        let Plan::Worlds(p) = plan(&[]).unwrap() else { panic!("not the worlds") };
        assert_eq!(
            (p.protocol, p.cluster, p.tau, p.rounds),
            (ProtocolKind::CommitAlone, Cluster::new(2, 1), 3, 20)
        );
        assert_eq!(p.show, WorldName::ALL.to_vec());
        assert_eq!((p.model, p.driver, p.c_impossible), (FaultModel::Omission, Driver::Loop, false));
    }

    #[test]
    fn stress_has_its_own_defaults() {
        let Plan::Stress(p) = plan(&["--stress"]).unwrap() else { panic!("not a sweep") };
        assert_eq!(p.protocols, ProtocolKind::ALL.to_vec());
        assert_eq!(
            (p.cluster, p.taus.as_slice(), p.runs, p.seed),
            (Cluster::new(3, 1), &[1, 3, 6][..], 2000, 1)
        );
        assert_eq!(p.qs, vec![Some(0.1), Some(0.3), Some(0.5), Some(0.9)]);
        let Plan::Stress(p) =
            plan(&["--stress", "--tau", "2,5", "--q", "0,1", "--protocol", "majority"]).unwrap()
        else {
            panic!("not a sweep")
        };
        assert_eq!(
            (p.taus, p.qs, p.protocols),
            (vec![2, 5], vec![Some(0.0), Some(1.0)], vec![ProtocolKind::Majority])
        );
    }

    #[test]
    fn crash_mode_leaves_c_out_of_all_and_refuses_it_alone() {
        let Plan::Worlds(p) = plan(&["--model", "crash"]).unwrap() else { panic!("not the worlds") };
        assert_eq!((p.show, p.c_impossible), (vec![WorldName::A, WorldName::B], true));
        let err = plan(&["--model", "crash", "--world", "c"]).unwrap_err();
        assert!(err.starts_with("world C cannot be built with crash faults"), "{err}");
    }

    #[test]
    fn a_sweep_over_crashes_has_no_q() {
        let Plan::Stress(p) = plan(&["--stress", "--model", "crash"]).unwrap() else { panic!("not a sweep") };
        assert_eq!(p.qs, vec![None]);
    }

    #[test]
    fn combinations_are_checked() {
        for (args, expect) in [
            (&["--servers", "3"][..], "no world can be built for n = 3, f = 1"),
            (&["--servers", "1"], "--servers must be at least 2"),
            (&["--faults", "0"], "--faults must be at least 1"),
            (&["--faults", "2"], "--faults (2) must be smaller than --servers (2)"),
            (&["--tau", "0"], "'0' is out of range: expected a whole number of rounds from 1 to"),
            (&["--tau", "-2"], "'-2' is negative"),
            (&["--tau", "1,3"], "--tau takes one value without --stress (got 1,3)"),
            (&["--q", "0.5"], "--q goes with --stress"),
            (&["--runs", "5"], "--runs goes with --stress"),
            (&["--seed", "5"], "--seed goes with --stress"),
            (&["--rounds", "0"], "'0' is out of range"),
            (&["--servers", "-2"], "'-2' is negative"),
            (&["--quiet"], "--quiet goes with --stress"),
            (&["--stress", "--q", "1.5"], "probability"),
            (&["--stress", "--world", "A"], "--world does not go with --stress"),
            (&["--stress", "--driver", "threads"], "--driver does not go with --stress"),
            (&["--stress", "--runs", "0"], "'0' is out of range"),
            (&["--stress", "--servers", "1"], "--servers must be at least 2 (got 1)"),
            (&["--stress", "--faults", "3"], "--faults (3) must be smaller than --servers (3)"),
            (&["--stress", "--model", "crash", "--q", "0.5"], "--q goes with --model omission"),
        ] {
            let err = plan(args).expect_err(expect);
            assert!(err.contains(expect), "{args:?}: {err}");
        }
        assert!(
            plan(&["--stress", "--servers", "3", "--faults", "1"]).is_ok(),
            "n = 2f + 1 is fine for a sweep"
        );
    }

    /// Each limit accepts its edge and refuses one more.
    #[test]
    fn limits_hold_exactly_at_their_edge() {
        let edge = MAX_WORLD_SLOTS / slots_per_round(32);
        let world =
            |rounds: u64| plan(&["--servers", "32", "--faults", "16", "--rounds", &rounds.to_string()]);
        assert!(world(edge).is_ok());
        let err = world(edge + 1).unwrap_err();
        assert!(err.contains(&format!("can carry {}", (edge + 1) * 34 * 34)), "{err}");
        assert!(err.contains(&format!("more than the {MAX_WORLD_SLOTS} allowed")), "{err}");
        // Derived rounds count too: tau 100 with f = 16 needs 1755 rounds.
        let err = plan(&["--servers", "32", "--faults", "16", "--tau", "100"]).unwrap_err();
        assert!(err.starts_with("a world of 32 servers over 1755 rounds"), "{err}");
        // The largest cluster with its default wait stays within the limit.
        assert!(plan(&["--servers", "32", "--faults", "31"]).is_ok());

        // One row of n = 2: runs * (rounds + 1) * 16 slots.
        let per_run = 16 * 625;
        let runs = MAX_SWEEP_SLOTS / per_run;
        assert_eq!(runs * per_run, MAX_SWEEP_SLOTS, "the edge is exact");
        let sweep = |runs: u64| {
            let runs = runs.to_string();
            let args =
                ["--stress", "--servers", "2", "--protocol", "majority", "--q", "0.5", "--rounds", "624"];
            plan(&[&args[..], &["--runs", &runs]].concat())
        };
        let Plan::Stress(p) = sweep(runs).unwrap() else { panic!("not a sweep") };
        assert_eq!(p.slots(&p.rows()), MAX_SWEEP_SLOTS);
        let err = sweep(runs + 1).unwrap_err();
        assert!(
            err.starts_with(&format!("the sweep would simulate {} message slots", (runs + 1) * per_run)),
            "{err}"
        );

        let qs = |k: usize| vec!["0.5"; k].join(",");
        let rows = |k: usize| plan(&["--stress", "--protocol", "majority", "--runs", "1", "--q", &qs(k)]);
        assert!(rows(MAX_ROWS).is_ok());
        assert!(rows(MAX_ROWS + 1).unwrap_err().contains(&format!("has {} rows", MAX_ROWS + 1)));

        assert!(
            super::runs(&MAX_RUNS.to_string()).is_ok() && super::runs(&(MAX_RUNS + 1).to_string()).is_err()
        );
        assert!(tau(&MAX_TAU.to_string()).is_ok() && tau(&(MAX_TAU + 1).to_string()).is_err());
        assert!(rounds(&MAX_ROUNDS.to_string()).is_ok() && rounds(&(MAX_ROUNDS + 1).to_string()).is_err());
        let servers = |n: usize| plan(&["--servers", &n.to_string(), "--faults", &(n / 2).to_string()]);
        assert!(servers(MAX_SERVERS).is_ok());
        assert!(servers(MAX_SERVERS + 1).unwrap_err().contains(&format!("at most {MAX_SERVERS}")));
    }

    #[test]
    fn the_rows_are_counted_before_they_are_listed() {
        let Plan::Stress(p) = plan(&["--stress", "--tau", "1,2,3", "--q", "0.1,0.2"]).unwrap() else {
            panic!("not a sweep")
        };
        // wait-all and majority once per q, the other two once per tau and q.
        assert_eq!(p.row_count(), 2 * 2 + 2 * 3 * 2);
        assert_eq!(p.rows().len(), p.row_count());
        let Plan::Stress(p) = plan(&[
            "--stress",
            "--servers",
            "2",
            "--protocol",
            "majority",
            "--q",
            "0.5",
            "--rounds",
            "9",
            "--runs",
            "10",
        ])
        .unwrap() else {
            panic!("not a sweep")
        };
        assert_eq!(p.slots(&p.rows()), 10 * (9 + 1) * 16);
    }

    #[test]
    fn help_names_every_limit_from_its_constant() {
        use clap::CommandFactory;
        let help = Wrap::command().render_long_help().to_string();
        for needle in [
            format!("2 to {MAX_SERVERS}"),
            format!("1 to {MAX_TAU}"),
            format!("1 to {MAX_ROUNDS}"),
            format!("1 to {MAX_RUNS}"),
            format!("at most {MAX_WORLD_SLOTS} messages"),
            format!("at most {MAX_ROWS} rows"),
            format!("{MAX_SWEEP_SLOTS} message slots"),
            format!("over {}s", PROGRESS_AFTER.as_secs()),
        ] {
            assert!(help.contains(&needle), "{needle} missing from\n{help}");
        }
    }

    #[test]
    fn quiet_goes_into_the_sweep_plan() {
        let Plan::Stress(p) = plan(&["--stress", "--quiet"]).unwrap() else { panic!("not a sweep") };
        assert!(p.quiet);
        // Off a terminal (as under the test harness, or with --quiet) there is no bar at all.
        assert!(Progress::new(100, false).bar.is_none());
        progress_style();
    }
}
