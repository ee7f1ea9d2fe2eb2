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

use super::CliError;
use super::values::probability;
use crate::report::smr::{SmrReport, StressRow, stress_table, world_report, worlds_text};
use crate::smr::Protocol;
use crate::smr::adversary::FaultModel;
use crate::smr::model::{Cluster, Round};
use crate::smr::protocols::ProtocolKind;
use crate::smr::run::{Driver, run_world};
use crate::smr::stress::{StressConfig, stress};
use crate::smr::theorem;
use crate::smr::world::{self, WorldError, WorldName};

const EXAMPLES: &str = "\
Examples:
  faultline smr                                      commit-alone, n=2, f=1: worlds A, B, C and the horn
  faultline smr --world C --protocol primary-backup  world C alone, round by round
  faultline smr --protocol wait-all --servers 4 --faults 2 --json
  faultline smr --protocol primary-backup --model crash
  faultline smr --stress --runs 500 --q 0.1,0.5 --tau 1,6";

/// Longest `τ` accepted.
const MAX_TAU: Round = 2_000;
/// Longest run accepted: every view keeps every round's inbox, so rounds times messages per round
/// is the memory a run takes.
const MAX_ROUNDS: Round = 10_000;
/// Most servers accepted: the threaded driver runs one thread per process, and every server may
/// message every other in every round.
const MAX_SERVERS: usize = 32;

/// Flags of `faultline smr`.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct SmrArgs {
    /// Servers n, at least 2; worlds A, B, C need n <= 2f [default: 2; 3 with --stress]
    #[arg(long, value_name = "N")]
    pub servers: Option<usize>,
    /// Faults f the protocol must tolerate, from 1 to n-1 [default: 1]
    #[arg(long, value_name = "F")]
    pub faults: Option<usize>,
    /// Protocol: wait-all, commit-alone, majority or primary-backup [default: commit-alone; all four with --stress]
    #[arg(long, value_name = "PROTOCOL", hide_possible_values = true)]
    pub protocol: Option<ProtocolKind>,
    /// World to print: A, B, C or all; all three are run and compared anyway [default: all]
    #[arg(long, value_name = "A|B|C|all", ignore_case = true, hide_possible_values = true)]
    pub world: Option<WorldChoice>,
    /// Rounds commit-alone waits alone, and primary-backup's heartbeat timeout, 1 to 10000; a comma-separated list with --stress [default: 3; 1,3,6 with --stress]
    #[arg(long, value_name = "ROUNDS", value_delimiter = ',', value_parser = tau)]
    pub tau: Vec<Round>,
    /// Rounds each run lasts, 1 to 10000 [default: the larger of 4*tau + 8 and (f + 1)*(tau + 3) + 4]
    #[arg(long, value_name = "N", value_parser = rounds)]
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
    /// With --stress: runs per table row, at least 1 [default: 2000]
    #[arg(long, value_name = "N", value_parser = runs)]
    pub runs: Option<u64>,
    /// With --stress: master seed of the random faults; the same seed gives the same table [default: 1]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
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
    match text.trim().parse::<Round>() {
        Ok(t) if (1..=MAX_TAU).contains(&t) => Ok(t),
        _ => Err(format!("tau must be a whole number of rounds, at least 1 and at most {MAX_TAU}")),
    }
}

fn rounds(text: &str) -> Result<Round, String> {
    match text.trim().parse::<Round>() {
        Ok(r) if (1..=MAX_ROUNDS).contains(&r) => Ok(r),
        _ => Err(format!("expected a whole number of rounds, at least 1 and at most {MAX_ROUNDS}")),
    }
}

fn runs(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number of runs, at least 1".to_string()),
    }
}

/// Only commit-alone and primary-backup wait; the others would run the same for every `τ`.
fn uses_tau(kind: ProtocolKind) -> bool {
    matches!(kind, ProtocolKind::CommitAlone | ProtocolKind::PrimaryBackup)
}

/// The rounds a run needs when `--rounds` is not given: `τ` rounds of waiting with room on both
/// sides for writes, votes or view changes and the responses, and at least primary-backup's
/// worst case under `f` crashes (a timeout and a replication per crashed primary), so that a
/// termination failure measures the protocol, not the horizon.
fn derived_rounds(tau: Round, faults: usize) -> u64 {
    let (tau, faults) = (u64::from(tau), faults as u64);
    (4 * tau + 8).max((faults + 1) * (tau + 3) + 4)
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
        Ok(WorldsPlan {
            protocol: self.protocol.unwrap_or(ProtocolKind::CommitAlone),
            cluster,
            tau,
            rounds: horizon(self.rounds, tau, cluster.faults)?,
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
            FaultModel::Omission if self.q.is_empty() => vec![Some(0.1), Some(0.3), Some(0.5), Some(0.9)],
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
        let taus = if self.tau.is_empty() { vec![1, 3, 6] } else { self.tau.clone() };
        // The longest wait decides the longest run; refuse before running anything.
        horizon(self.rounds, taus.iter().copied().max().unwrap_or(1), f)?;
        Ok(StressPlan {
            protocols: self.protocol.map_or_else(|| ProtocolKind::ALL.to_vec(), |p| vec![p]),
            cluster,
            taus,
            qs,
            rounds: self.rounds,
            model,
            runs: self.runs.unwrap_or(2000),
            seed: self.seed.unwrap_or(1),
        })
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
            let rows = sweep(&plan);
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

fn worlds<P: Protocol>(protocol: &P, plan: &WorldsPlan) -> Result<SmrReport, WorldError> {
    let tau = uses_tau(plan.protocol).then_some(plan.tau);
    let mut report = SmrReport::new(plan.protocol, tau, plan.cluster, plan.model, plan.rounds, plan.driver);
    match plan.model {
        FaultModel::Omission => {
            let d = theorem::dichotomy(protocol, plan.cluster, plan.rounds, plan.driver)?;
            for (world, outcome) in d.worlds.iter().zip(&d.outcomes) {
                if plan.show.contains(&world.name) {
                    report.add(world_report(world, outcome));
                }
            }
            report.compare(d.ac_difference, d.bc_difference, &d.horn);
        }
        FaultModel::Crash => {
            for &name in &plan.show {
                let world = world::build(plan.cluster, name, FaultModel::Crash)?;
                report.add(world_report(&world, &run_world(protocol, &world, plan.rounds, plan.driver)));
            }
            report.c_impossible = plan.c_impossible;
        }
    }
    Ok(report)
}

fn sweep(plan: &StressPlan) -> Vec<StressRow> {
    let longest = plan.taus.iter().copied().max().unwrap_or(1);
    let mut rows = Vec::new();
    for &protocol in &plan.protocols {
        let taus: Vec<Option<Round>> =
            if uses_tau(protocol) { plan.taus.iter().copied().map(Some).collect() } else { vec![None] };
        for &tau in &taus {
            // A protocol that does not wait gets the rounds of the longest wait: more than enough.
            let rounds = horizon(plan.rounds, tau.unwrap_or(longest), plan.cluster.faults)
                .expect("checked when the plan was made");
            for &q in &plan.qs {
                let cfg = StressConfig {
                    cluster: plan.cluster,
                    model: plan.model,
                    q: q.unwrap_or(0.0),
                    rounds,
                    runs: plan.runs,
                    seed: plan.seed,
                };
                let result = crate::with_protocol!(protocol, tau.unwrap_or(longest), |p| stress(&p, &cfg));
                rows.push(StressRow {
                    protocol,
                    tau,
                    q,
                    servers: plan.cluster.servers,
                    faults: plan.cluster.faults,
                    model: plan.model,
                    rounds,
                    runs: plan.runs,
                    seed: plan.seed,
                    result,
                });
            }
        }
    }
    rows
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
            (&["--tau", "0"], "tau must be a whole number of rounds, at least 1"),
            (&["--tau", "1,3"], "--tau takes one value without --stress (got 1,3)"),
            (&["--q", "0.5"], "--q goes with --stress"),
            (&["--runs", "5"], "--runs goes with --stress"),
            (&["--seed", "5"], "--seed goes with --stress"),
            (&["--rounds", "0"], "at least 1"),
            (&["--stress", "--q", "1.5"], "probability"),
            (&["--stress", "--world", "A"], "--world does not go with --stress"),
            (&["--stress", "--driver", "threads"], "--driver does not go with --stress"),
            (&["--stress", "--runs", "0"], "at least 1"),
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
}
