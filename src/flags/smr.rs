//! The flags of `faultline smr` → what they describe: the worlds, a stress sweep or a search.
//!
//! ```text
//! faultline smr [--protocol P] [--world A|B|C|all] [--servers N --faults F] [--tau T] [--model M]
//! faultline smr --stress [--protocol P] [--q P,...] [--tau T,...] [--runs N] [--seed S]
//! faultline smr --search [--protocol P] [--servers N --faults F] [--tau T] [--rounds R] [--max-states K]
//! ```
//!
//! Flags are `Option`s (or lists that may be empty) so that "not given" differs from "given the
//! default": the modes have different defaults (`--servers` 2 or 3, one `τ` or a list), and a
//! flag of another mode is an error merely by being present.
//!
//! This module only parses: the flags become a [`WorldsConfig`], a [`StressSweepConfig`] or a
//! [`SearchConfig`] ([`Plan`]), which start from their own defaults and check every size against
//! the limits of [`crate::smr::config`] before anything runs. `--help` prints the limits and the
//! defaults from the library's constants and constructors.

use super::values::{probability, whole, whole_in};
use crate::smr::adversary::FaultModel;
use crate::smr::config::{
    MAX_CLUSTER_SERVERS, MAX_ROUNDS, MAX_ROWS, MAX_RUNS, MAX_SWEEP_SLOTS, MAX_TAU, MAX_WORLD_SLOTS,
    SearchConfig, SmrConfigError, StressSweepConfig, WorldsConfig,
};
use crate::smr::model::{Cluster, Round};
use crate::smr::protocols::ProtocolKind;
use crate::smr::run::Driver;
use crate::smr::world::WorldName;
use std::time::Duration;

const EXAMPLES: &str = "\
Examples:
  faultline smr                                      commit-alone, n=2, f=1: worlds A, B, C and the horn
  faultline smr --world C --protocol primary-backup  world C alone, round by round
  faultline smr --protocol wait-all --servers 4 --faults 2 --json
  faultline smr --protocol primary-backup --model crash
  faultline smr --stress --runs 500 --q 0.1,0.5 --tau 1,6
  faultline smr --search --protocol majority --servers 3 --faults 1   every omission pattern, explored";

/// A sweep shows its progress bar once it has run this long: a shorter one would only flicker.
pub const PROGRESS_AFTER: Duration = Duration::from_secs(1);

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

/// A list as a flag takes it: comma-separated.
fn list<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

fn servers_help() -> String {
    let (worlds, sweep) = (WorldsConfig::new(), StressSweepConfig::default());
    format!(
        "Servers n, 2 to {MAX_CLUSTER_SERVERS}; worlds A, B, C need n <= 2f [default: {}; {} with --stress]",
        worlds.cluster.servers, sweep.cluster.servers
    )
}

fn faults_help() -> String {
    // One default for both modes (a unit test checks that they agree).
    format!(
        "Faults f the protocol must tolerate, from 1 to n-1 [default: {}]",
        WorldsConfig::new().cluster.faults
    )
}

fn tau_help() -> String {
    format!(
        "Rounds commit-alone waits alone, and primary-backup's heartbeat timeout, 1 to {MAX_TAU}; a \
         comma-separated list with --stress [default: {}; {} with --stress]",
        WorldsConfig::new().tau,
        list(&StressSweepConfig::default().taus)
    )
}

fn rounds_help() -> String {
    format!(
        "Rounds each run lasts, 1 to {MAX_ROUNDS}, and for the worlds at most {MAX_WORLD_SLOTS} / (n+2)^2 \
         [default: the larger of 4*tau + 8 and (f + 1)*(tau + 3) + 4]"
    )
}

fn q_help() -> String {
    format!(
        "With --stress: probability that each message to or from a faulty server is lost, comma-separated list [default: {}]",
        list(&StressSweepConfig::new(FaultModel::Omission).qs)
    )
}

fn runs_help() -> String {
    format!(
        "With --stress: runs per table row, 1 to {MAX_RUNS} [default: {}]",
        StressSweepConfig::default().runs
    )
}

fn seed_help() -> String {
    format!(
        "With --stress: master seed of the random faults; the same seed gives the same table [default: {}]",
        StressSweepConfig::default().seed
    )
}

fn max_states_help() -> String {
    format!(
        "With --search: stop, and say so, after exploring this many distinct states [default: {}]",
        SearchConfig::new().max_states
    )
}

fn max_bytes_help() -> String {
    let bytes = SearchConfig::new().max_bytes;
    format!(
        "With --search: stop, and say so, once the states kept take this many bytes, as estimated \
         from their sizes [default: {bytes} ({} MiB)]",
        bytes >> 20
    )
}

fn quiet_help() -> String {
    format!(
        "With --stress: no progress bar (otherwise shown on stderr when it is a terminal and the sweep \
         takes over {}s)",
        PROGRESS_AFTER.as_secs()
    )
}

/// Flags of `faultline smr`. Help texts that name a limit or a default are generated from the
/// library's constant or constructor.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(after_help = after_help())]
pub struct SmrArgs {
    /// Servers n.
    #[arg(long, value_name = "N", help = servers_help(), value_parser = whole::<usize>, allow_negative_numbers = true)]
    pub servers: Option<usize>,
    /// Faults f.
    #[arg(long, value_name = "F", help = faults_help(), value_parser = whole::<usize>, allow_negative_numbers = true)]
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
    /// Loss probabilities.
    #[arg(long, value_name = "P,...", help = q_help(), value_delimiter = ',', value_parser = probability, allow_negative_numbers = true)]
    pub q: Vec<f64>,
    /// Runs per row of a sweep.
    #[arg(long, value_name = "N", help = runs_help(), value_parser = runs, allow_negative_numbers = true)]
    pub runs: Option<u64>,
    /// Master seed.
    #[arg(long, value_name = "N", help = seed_help(), value_parser = whole::<u64>, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// No progress bar.
    #[arg(long, help = quiet_help())]
    pub quiet: bool,
    /// Print JSON instead of text: one object, or with --stress an array of rows
    #[arg(long)]
    pub json: bool,
    /// Explore every omission pattern over the rounds (exhaustively, deduplicating states) instead
    /// of printing worlds; n > 2f is allowed
    #[arg(long)]
    pub search: bool,
    /// With --search: the bound on distinct states.
    #[arg(long, value_name = "N", help = max_states_help(), value_parser = whole::<u64>, allow_negative_numbers = true)]
    pub max_states: Option<u64>,
    /// With --search: the bound on memory, in bytes.
    #[arg(long, value_name = "BYTES", help = max_bytes_help(), value_parser = bytes, allow_negative_numbers = true)]
    pub max_bytes: Option<u64>,
    /// With --search: clients are correct, only the faulty servers' links lose messages (by
    /// default the adversary may also make clients faulty, as world C does)
    #[arg(long)]
    pub reliable_clients: bool,
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

/// The quantities the replication laboratory's errors name, and the flags that set them: the one
/// place that ties the library's words to the command line's.
const FLAGS: [(&str, &str); 9] = [
    ("servers n", "--servers"),
    ("faults f", "--faults"),
    ("τ", "--tau"),
    ("rounds per run", "--rounds"),
    ("runs per row", "--runs"),
    ("loss probability q", "--q"),
    ("fault model", "--model"),
    ("state bound", "--max-states"),
    ("memory bound", "--max-bytes"),
];

/// A library error's message with the flags in place of the quantities it names.
pub fn flagged(message: &str) -> String {
    let mut text = message.to_string();
    for (quantity, flag) in FLAGS {
        text = text.replace(quantity, flag);
    }
    text.replace("protocol list", "--protocol")
}

/// Combinations of flags `faultline smr` refuses.
#[derive(Debug, thiserror::Error)]
pub enum SmrFlagError {
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
    /// The configuration the flags describe is refused by the library.
    #[error("{}", flagged(&.0.to_string()))]
    Config(#[from] SmrConfigError),
    /// A flag that only means something for a search.
    #[error("{flag} goes with --search; {why}")]
    NeedsSearch {
        /// The flag.
        flag: &'static str,
        /// Why.
        why: &'static str,
    },
    /// A flag that does not apply to a search.
    #[error("{flag} does not go with --search; {why}")]
    NotWithSearch {
        /// The flag.
        flag: &'static str,
        /// Why.
        why: &'static str,
    },
}

fn tau(text: &str) -> Result<Round, String> {
    whole_in(text, 1..=MAX_TAU, "rounds")
}

fn rounds(text: &str) -> Result<Round, String> {
    whole_in(text, 1..=MAX_ROUNDS, "rounds")
}

fn bytes(text: &str) -> Result<u64, String> {
    whole_in(text, 1..=u64::MAX, "bytes")
}

fn runs(text: &str) -> Result<u64, String> {
    whole_in(text, 1..=MAX_RUNS, "runs")
}

/// What the flags describe, validated.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Worlds A, B and C (`faultline smr`).
    Worlds(WorldsConfig),
    /// Violation rates under random faults (`--stress`).
    Stress(StressSweepConfig),
    /// Every omission pattern (`--search`).
    Search(SearchConfig),
}

impl SmrArgs {
    /// The one `--tau` a worlds run or a search takes, if given.
    fn one_tau(&self) -> Result<Option<Round>, SmrFlagError> {
        match self.tau[..] {
            [] => Ok(None),
            [t] => Ok(Some(t)),
            _ => {
                let list: Vec<String> = self.tau.iter().map(Round::to_string).collect();
                Err(SmrFlagError::OneTau(list.join(",")))
            }
        }
    }

    /// What the flags describe, validated; the one place that tells the modes apart.
    pub fn plan(&self) -> Result<Plan, SmrFlagError> {
        if self.search {
            return self.search_config().map(Plan::Search);
        }
        for (flag, given) in [
            ("--max-states", self.max_states.is_some()),
            ("--max-bytes", self.max_bytes.is_some()),
            ("--reliable-clients", self.reliable_clients),
        ] {
            if given {
                return Err(SmrFlagError::NeedsSearch {
                    flag,
                    why: "only a search explores states and client faults",
                });
            }
        }
        if self.stress {
            self.stress_config().map(Plan::Stress)
        } else {
            self.worlds_config().map(Plan::Worlds)
        }
    }

    /// The worlds' configuration: the library's defaults, overridden by the flags given, validated.
    pub fn worlds_config(&self) -> Result<WorldsConfig, SmrFlagError> {
        let deterministic = "worlds A, B and C are deterministic, there is nothing to sample";
        for (flag, given) in
            [("--q", !self.q.is_empty()), ("--runs", self.runs.is_some()), ("--seed", self.seed.is_some())]
        {
            if given {
                return Err(SmrFlagError::NeedsStress { flag, why: deterministic });
            }
        }
        let mut cfg = WorldsConfig::new();
        if let Some(t) = self.one_tau()? {
            cfg.tau = t;
        }
        if self.quiet {
            return Err(SmrFlagError::NeedsStress { flag: "--quiet", why: "only a sweep shows progress" });
        }
        cfg.cluster = Cluster::new(
            self.servers.unwrap_or(cfg.cluster.servers),
            self.faults.unwrap_or(cfg.cluster.faults),
        );
        cfg.protocol = self.protocol.unwrap_or(cfg.protocol);
        cfg.rounds = self.rounds;
        cfg.model = self.model.unwrap_or(cfg.model);
        cfg.driver = self.driver.unwrap_or(cfg.driver);
        cfg.world = match self.world {
            None | Some(WorldChoice::All) => None,
            Some(WorldChoice::A) => Some(WorldName::A),
            Some(WorldChoice::B) => Some(WorldName::B),
            Some(WorldChoice::C) => Some(WorldName::C),
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// The search's configuration: the library's defaults, overridden by the flags given, validated.
    pub fn search_config(&self) -> Result<SearchConfig, SmrFlagError> {
        let exhaustive = "a search tries every omission pattern, there is nothing to sample";
        for (flag, given, why) in [
            ("--stress", self.stress, "a search explores every pattern instead of sampling them"),
            ("--world", self.world.is_some(), "a search is not told the worlds; it finds them"),
            ("--driver", self.driver.is_some(), "a search steps the processes itself, round by round"),
            (
                "--model",
                self.model.is_some_and(|m| m != FaultModel::Omission),
                "a search enumerates omissions",
            ),
            ("--q", !self.q.is_empty(), exhaustive),
            ("--runs", self.runs.is_some(), exhaustive),
            ("--seed", self.seed.is_some(), exhaustive),
            ("--quiet", self.quiet, "a search shows no progress bar"),
        ] {
            if given {
                return Err(SmrFlagError::NotWithSearch { flag, why });
            }
        }
        let mut cfg = SearchConfig::new();
        if let Some(t) = self.one_tau()? {
            cfg.tau = t;
        }
        cfg.cluster = Cluster::new(
            self.servers.unwrap_or(cfg.cluster.servers),
            self.faults.unwrap_or(cfg.cluster.faults),
        );
        cfg.protocol = self.protocol.unwrap_or(cfg.protocol);
        cfg.rounds = self.rounds;
        cfg.clients_may_fail = !self.reliable_clients;
        cfg.max_states = self.max_states.unwrap_or(cfg.max_states);
        cfg.max_bytes = self.max_bytes.unwrap_or(cfg.max_bytes);
        cfg.validate()?;
        Ok(cfg)
    }

    /// The sweep's configuration: the library's defaults for the fault model, overridden by the
    /// flags given, validated.
    pub fn stress_config(&self) -> Result<StressSweepConfig, SmrFlagError> {
        if self.world.is_some() {
            return Err(SmrFlagError::NotWithStress {
                flag: "--world",
                why: "a sweep draws a random faulty set for every run instead of worlds A, B, C",
            });
        }
        if self.driver.is_some() {
            return Err(SmrFlagError::NotWithStress {
                flag: "--driver",
                why: "sweeps run on the loop driver, which records exactly what the threads driver does",
            });
        }
        let mut cfg = self.model.map_or_else(StressSweepConfig::default, StressSweepConfig::new);
        if let Some(protocol) = self.protocol {
            cfg.protocols = vec![protocol];
        }
        cfg.cluster = Cluster::new(
            self.servers.unwrap_or(cfg.cluster.servers),
            self.faults.unwrap_or(cfg.cluster.faults),
        );
        if !self.tau.is_empty() {
            cfg.taus = self.tau.clone();
        }
        if !self.q.is_empty() {
            cfg.qs = self.q.clone();
        }
        cfg.rounds = self.rounds;
        cfg.runs = self.runs.unwrap_or(cfg.runs);
        cfg.seed = self.seed.unwrap_or(cfg.seed);
        cfg.validate()?;
        Ok(cfg)
    }
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
            (p.protocol, p.cluster, p.tau, p.horizon().unwrap()),
            (ProtocolKind::CommitAlone, Cluster::new(2, 1), 3, 20)
        );
        assert_eq!(p.shown(), WorldName::ALL.to_vec());
        assert_eq!((p.model, p.driver, p.c_impossible()), (FaultModel::Omission, Driver::Loop, false));
        assert_eq!(p, WorldsConfig::new(), "no flag, the library's defaults");
    }

    #[test]
    fn stress_has_its_own_defaults() {
        let Plan::Stress(p) = plan(&["--stress"]).unwrap() else { panic!("not a sweep") };
        assert_eq!(p.protocols, ProtocolKind::ALL.to_vec());
        assert_eq!(
            (p.cluster, p.taus.as_slice(), p.runs, p.seed),
            (Cluster::new(3, 1), &[1, 3, 6][..], 2000, 1)
        );
        assert_eq!(p.qs, vec![0.1, 0.3, 0.5, 0.9]);
        assert_eq!(p, StressSweepConfig::default(), "no flag, the library's defaults");
        let Plan::Stress(p) =
            plan(&["--stress", "--tau", "2,5", "--q", "0,1", "--protocol", "majority"]).unwrap()
        else {
            panic!("not a sweep")
        };
        assert_eq!((p.taus, p.qs, p.protocols), (vec![2, 5], vec![0.0, 1.0], vec![ProtocolKind::Majority]));
    }

    #[test]
    fn crash_mode_leaves_c_out_of_all_and_refuses_it_alone() {
        let Plan::Worlds(p) = plan(&["--model", "crash"]).unwrap() else { panic!("not the worlds") };
        assert_eq!((p.shown(), p.c_impossible()), (vec![WorldName::A, WorldName::B], true));
        let err = plan(&["--model", "crash", "--world", "c"]).unwrap_err();
        assert!(err.starts_with("world C cannot be built with crash faults"), "{err}");
    }

    #[test]
    fn a_sweep_over_crashes_has_no_q() {
        let Plan::Stress(p) = plan(&["--stress", "--model", "crash"]).unwrap() else { panic!("not a sweep") };
        assert!(p.qs.is_empty());
        assert!(p.rows().unwrap().iter().all(|row| row.q.is_none()));
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
        let edge = MAX_WORLD_SLOTS / (34 * 34);
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
        assert_eq!(p.slots(&p.rows().unwrap()), MAX_SWEEP_SLOTS);
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
        assert!(servers(MAX_CLUSTER_SERVERS).is_ok());
        assert!(
            servers(MAX_CLUSTER_SERVERS + 1).unwrap_err().contains(&format!("at most {MAX_CLUSTER_SERVERS}"))
        );
    }

    #[test]
    fn the_rows_are_counted_before_they_are_listed() {
        let Plan::Stress(p) = plan(&["--stress", "--tau", "1,2,3", "--q", "0.1,0.2"]).unwrap() else {
            panic!("not a sweep")
        };
        // wait-all and majority once per q, the other two once per tau and q.
        assert_eq!(p.row_count(), 2 * 2 + 2 * 3 * 2);
        assert_eq!(p.rows().unwrap().len(), p.row_count());
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
        assert_eq!(p.slots(&p.rows().unwrap()), 10 * (9 + 1) * 16);
    }

    #[test]
    fn help_names_every_limit_from_its_constant() {
        use clap::CommandFactory;
        let help = Wrap::command().render_long_help().to_string();
        for needle in [
            format!("2 to {MAX_CLUSTER_SERVERS}"),
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
    fn help_names_every_default_from_the_library() {
        use clap::CommandFactory;
        let help = Wrap::command().render_long_help().to_string();
        let (worlds, sweep) = (WorldsConfig::new(), StressSweepConfig::default());
        assert_eq!(worlds.cluster.faults, sweep.cluster.faults, "--faults has one default for both modes");
        for needle in [
            format!("[default: {}; {} with --stress]", worlds.cluster.servers, sweep.cluster.servers),
            format!("n-1 [default: {}]", worlds.cluster.faults),
            format!("[default: {}; 1,3,6 with --stress]", worlds.tau),
            "[default: 0.1,0.3,0.5,0.9]".to_string(),
            format!("row, 1 to {MAX_RUNS} [default: {}]", sweep.runs),
            format!("same table [default: {}]", sweep.seed),
            format!(
                "[default: {} ({} MiB)]",
                SearchConfig::new().max_bytes,
                SearchConfig::new().max_bytes >> 20
            ),
        ] {
            assert!(help.contains(&needle), "{needle} missing from\n{help}");
        }
    }

    /// The command line says its flags where the library names quantities.
    #[test]
    fn library_errors_are_told_in_flags() {
        let e = SmrConfigError::TooManyRounds { tau: 100, faults: 16, needed: 20_000 };
        assert_eq!(
            flagged(&e.to_string()),
            format!(
                "--tau 100 with --faults 16 needs 20000 rounds, more than the {MAX_ROUNDS} allowed: lower --tau or --faults, or set --rounds"
            )
        );
        let e = SmrConfigError::Empty("protocol list");
        assert_eq!(flagged(&e.to_string()), "--protocol needs at least one value");
    }
}
