//! The flags of `faultline lock` → a validated [`LockConfig`].
//!
//! Every flag is an `Option` so that "not given" differs from "given the default value": the
//! defaults belong to [`LockConfig::new`] (they depend on the variant and the engine), and some
//! flags are errors merely by being present (`--lease` on a non-preemptive lock, `--instances`
//! with the increment workload), whatever their value.

use super::values::{PauseAt, WorkloadKind, drift, probability, whole};
use crate::fault::Dist;
use crate::lock::config::{
    LinkScope, MAX_ACQUISITIONS, MAX_CLIENTS, MAX_EVENTS, MAX_INSTANCES, MAX_RENEWALS_PER_SECTION,
    MAX_SERVERS, NodeFault, Partition,
};
use crate::lock::faults::Crash;
use crate::lock::{ConfigError, DecideBy, EngineKind, LockConfig, TimerStart, Variant};
use crate::node::PausePoint;
use crate::time::{Nanos, parse_duration};

const EXAMPLES: &str = "\
Faults name their target: server:N, server:*, client:N, client:*, storage, outbox (numbered from 1).

Examples:
  faultline lock                                    lease, exponential 5ms stalls after the check
  faultline lock --variant fenced --json            the same faults, fenced storage, as JSON
  faultline lock --variant lease-margin --margin 3ms --pause pareto:1.5:2ms
  faultline lock --variant non-preemptive --crash 3 --horizon 10s
  faultline lock --partition lock:10ms..200ms --drop 0.01 --delay exp:500us --links lock
  faultline lock --variant redlock --crash server:2@30ms --clock-jump server:1:+5ms@100ms
  faultline lock --variant redlock --partition client:1|server:3:0..1s --stall server:2:50ms@200ms
  faultline lock --workload consensus --decide-by effect --instances 500
  faultline lock --engine threads --acquisitions 200";

/// What stops flags from describing a lock configuration.
#[derive(Debug, thiserror::Error)]
pub enum LockFlagError {
    /// A flag that belongs to the other workload.
    #[error("{flag} goes with --workload {workload}; {hint}")]
    WrongWorkload {
        /// The flag, with its dashes.
        flag: &'static str,
        /// The workload it belongs to.
        workload: &'static str,
        /// Why it means nothing to this one.
        hint: &'static str,
    },
    /// The configuration the flags describe is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A configuration file (`--config`) that cannot be read, or flags beside it.
    #[error("{0}")]
    ConfigFile(String),
}

/// The `--help` text after the flags: the registered designs, one line each, then examples.
fn after_help() -> String {
    format!("Designs (--variant):\n{}\n{EXAMPLES}", crate::lock::design::help())
}

fn variant_help() -> String {
    let names: Vec<&str> = crate::lock::design::all().iter().map(|v| v.name()).collect();
    format!("Lock design: {} (listed below) [default: lease]", names.join(", "))
}

/// Flags of `faultline lock`. Defaults depend on the variant and the engine; see
/// [`LockConfig::new`].
#[derive(Debug, Clone, Default, PartialEq, clap::Args)]
#[command(after_help = after_help())]
pub struct LockArgs {
    /// Run exactly the configuration and seed in FILE (JSON or TOML): what --json printed, or its "config" alone; no other flag but --json
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Lock design (see below) [default: lease]
    #[arg(long, value_name = "VARIANT", value_parser = Variant::parse, help = variant_help())]
    pub variant: Option<Variant>,
    /// Engine: sim (deterministic virtual time) or threads (one OS thread per node) [default: sim]
    #[arg(long, value_name = "ENGINE", hide_possible_values = true)]
    pub engine: Option<EngineKind>,
    /// Number of clients competing for the lock [default: 2]
    #[arg(long, value_name = "N", value_parser = whole::<usize>, allow_negative_numbers = true, help = range_help("Number of clients competing for the lock", 2, MAX_CLIENTS as u64, "2"))]
    pub clients: Option<usize>,
    /// Lock servers, for multi-server designs [default: the design's, 3 for redlock]
    #[arg(long, value_name = "K", value_parser = whole::<usize>, allow_negative_numbers = true, help = range_help("Lock servers, for multi-server designs", 1, MAX_SERVERS as u64, "the design's: 3 for redlock, else 1"))]
    pub servers: Option<usize>,
    /// Lease L, e.g. 10ms; preemptive variants only [default: 10ms]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub lease: Option<Nanos>,
    /// Safety margin m checked before touching storage, shorter than L [default: 2ms for lease-margin, else none]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub margin: Option<Nanos>,
    /// Lock-delay D: the service keeps an expired lock free-but-closed this long [default: 5ms for lock-delay, else 0]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub lock_delay: Option<Nanos>,
    /// When clients start their lease countdown: grant or request [default: grant]
    #[arg(long, value_name = "WHEN", hide_possible_values = true)]
    pub timer_start: Option<TimerStart>,
    /// Re-send an unanswered request (to the lock service or to storage) after this long, then after twice as long each time; 0 for never [default: 20ms]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub retry: Option<Nanos>,
    /// Renew the lease this often while holding it [default: 0]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true, help = format!("Renew the lease this often while holding it, 0 for never; shorter than L, and at most {MAX_RENEWALS_PER_SECTION} renewals per section [default: 0]"))]
    pub renew: Option<Nanos>,
    /// Work w inside the critical section, between the read and the write [default: 1ms]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub work: Option<Nanos>,
    /// Stall distribution: none, fixed:D, exp:MEAN, pareto:SHAPE:SCALE, uniform:LO:HI, each optionally @PROB [default: exp:5ms]
    #[arg(long, value_name = "DIST", value_parser = Dist::parse, allow_hyphen_values = true)]
    pub pause: Option<Dist>,
    /// Where stalls happen: p1 (after the grant, before the margin check) or p2 (after the last check) [default: p2]
    #[arg(long, value_name = "POINT", hide_possible_values = true)]
    pub pause_at: Option<PauseAt>,
    /// A crash: N (client 1 just after its N-th grant, holding the lock), client:I@N, or TARGET@TIME (e.g. server:2@30ms); repeatable [default: none]
    #[arg(long, value_name = "WHAT", value_parser = Crash::parse, allow_hyphen_values = true)]
    pub crash: Vec<Crash>,
    /// Freeze a node for DUR from true time TIME, e.g. server:1:50ms@100ms; repeatable [default: none]
    #[arg(long, value_name = "TARGET:DUR@TIME", value_parser = NodeFault::parse_stall, allow_hyphen_values = true)]
    pub stall: Vec<NodeFault>,
    /// Make a node's clock jump at true time TIME, e.g. server:1:+5ms@100ms; its timers follow it; repeatable [default: none]
    #[arg(long, value_name = "TARGET:±DUR@TIME", value_parser = NodeFault::parse_jump, allow_hyphen_values = true)]
    pub clock_jump: Vec<NodeFault>,
    /// Make a node's clock run at 1 - RHO, RHO in (-1, 1) (negative: fast), e.g. server:2:0.1; repeatable [default: none]
    #[arg(long, value_name = "TARGET:RHO", value_parser = NodeFault::parse_drift, allow_hyphen_values = true)]
    pub clock_drift: Vec<NodeFault>,
    /// Lose every message between two groups of nodes in a true-time window: A|B:FROM..UNTIL (e.g. client:1|server:*:10ms..200ms), or lock:FROM..UNTIL / storage:FROM..UNTIL for client 1; repeatable [default: none]
    #[arg(long, value_name = "A|B:FROM..UNTIL", value_parser = Partition::parse)]
    pub partition: Vec<Partition>,
    /// Client clock drift: clocks run at 1 - RHO, e.g. 0.1 for 10% slow [default: 0]
    #[arg(long, value_name = "RHO", value_parser = drift, allow_negative_numbers = true)]
    pub drift: Option<f64>,
    /// Probability that a message is lost, 0 to 1 [default: 0]
    #[arg(long = "drop", value_name = "P", value_parser = probability, allow_negative_numbers = true)]
    pub drop_p: Option<f64>,
    /// One-way message delay distribution, same forms as --pause [default: none]
    #[arg(long, value_name = "DIST", value_parser = Dist::parse, allow_hyphen_values = true)]
    pub delay: Option<Dist>,
    /// Probability that a message is delivered twice, 0 to 1 [default: 0]
    #[arg(long, value_name = "P", value_parser = probability, allow_negative_numbers = true)]
    pub duplicate: Option<f64>,
    /// Probability that a message is held back so later ones overtake it, 0 to 1 [default: 0]
    #[arg(long, value_name = "P", value_parser = probability, allow_negative_numbers = true)]
    pub reorder: Option<f64>,
    /// Longest extra delay of a reordered message [default: 1ms]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub reorder_window: Option<Nanos>,
    /// Links that --drop/--delay/--duplicate/--reorder affect: all, or a list of lock,storage,effect [default: all]
    #[arg(long, value_name = "LINKS", value_parser = LinkScope::parse)]
    pub links: Option<LinkScope>,
    /// What clients do in the critical section: increment (a shared counter) or consensus [default: increment]
    #[arg(long, value_name = "WORKLOAD", hide_possible_values = true)]
    pub workload: Option<WorkloadKind>,
    /// Consensus only: decide on storage's ack, or announce the decision as a side effect [default: ack]
    #[arg(long, value_name = "ack|effect", hide_possible_values = true)]
    pub decide_by: Option<DecideBy>,
    /// Increment only: acquisitions in the run, split as evenly as they go between clients [default: 10000 sim, 500 threads]
    #[arg(long, value_name = "N", value_parser = whole::<u64>, allow_negative_numbers = true, help = range_help("Increment only: acquisitions in the run, split as evenly as they go between clients", 1, MAX_ACQUISITIONS, "10000 sim, 500 threads"))]
    pub acquisitions: Option<u64>,
    /// Consensus only: instances each client decides [default: 1000 sim, 100 threads]
    #[arg(long, value_name = "N", value_parser = whole::<u64>, allow_negative_numbers = true, help = range_help("Consensus only: instances each client decides", 1, MAX_INSTANCES, "1000 sim, 100 threads"))]
    pub instances: Option<u64>,
    /// Consensus only: time between the starts of two instances [default: room for every client to take the lock once]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub instance_period: Option<Nanos>,
    /// Stop the run at this true time whatever happens; waiting clients then count as blocked [default: derived from the workload, far beyond what a live lock needs]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub horizon: Option<Nanos>,
    /// Stop the run after this many engine events whatever happens, reporting the figures so far [default: 64 per planned acquisition, at least 1000000; far beyond what a live lock needs]
    #[arg(long, value_name = "N", value_parser = whole::<u64>, allow_negative_numbers = true, help = range_help("Stop the run after this many engine events whatever happens, reporting the figures so far", 1, MAX_EVENTS, "64 per planned acquisition, at least 1000000: far beyond what a live lock needs"))]
    pub max_events: Option<u64>,
    /// Master seed of every random stream; the same seed replays a sim run exactly [default: 1]
    #[arg(long, value_name = "N", value_parser = whole::<u64>, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Print one JSON object instead of the table
    #[arg(long)]
    pub json: bool,
}

impl LockArgs {
    /// The configuration these flags describe, validated.
    pub fn config(&self) -> Result<LockConfig, LockFlagError> {
        if let Some(path) = &self.config {
            let alone = LockArgs { config: self.config.clone(), json: self.json, ..LockArgs::default() };
            if *self != alone {
                return Err(LockFlagError::ConfigFile(
                    "--config runs the file's configuration as it is: give no other flag but --json".into(),
                ));
            }
            let cfg = read_config(path)?;
            cfg.validate()?;
            return Ok(cfg);
        }
        let variant = self.variant.unwrap_or(Variant::LEASE);
        let engine = self.engine.unwrap_or(EngineKind::Sim);
        let workload = self.workload.unwrap_or(WorkloadKind::Increment);
        self.check_workload_flags(workload)?;
        if !variant.preemptive() {
            // LockConfig::validate only sees values, and 0 is a valid "off" for these; but a flag
            // given at all on a lock without a lease is a misunderstanding worth reporting.
            let lease_only = [
                ("--lease", self.lease.is_some()),
                ("--margin", self.margin.is_some()),
                ("--lock-delay", self.lock_delay.is_some()),
                ("--renew", self.renew.is_some()),
                ("--timer-start", self.timer_start.is_some()),
            ];
            if let Some((flag, _)) = lease_only.iter().find(|(_, given)| *given) {
                return Err(ConfigError::NeedsLease(flag).into());
            }
        }

        let mut cfg = LockConfig::new(variant, engine);
        cfg.workload = workload.with(self.decide_by.unwrap_or(DecideBy::Ack));
        set(&mut cfg.clients, self.clients);
        set(&mut cfg.servers, self.servers);
        if let Some(lease) = self.lease {
            cfg.lease = Some(lease);
        }
        if let Some(margin) = self.margin {
            cfg.margin = Some(margin);
        }
        set(&mut cfg.lock_delay, self.lock_delay);
        set(&mut cfg.timer_start, self.timer_start);
        set(&mut cfg.retry, self.retry);
        set(&mut cfg.renew, self.renew);
        set(&mut cfg.work, self.work);
        set(&mut cfg.pause, self.pause.clone());
        set(&mut cfg.pause_at, self.pause_at.map(PausePoint::from));
        for crash in &self.crash {
            match *crash {
                Crash::Scripted(s) => cfg.script.push(s),
                Crash::Timed(f) => cfg.faults.push(f),
            }
        }
        cfg.faults.extend(self.stall.iter().chain(&self.clock_jump).chain(&self.clock_drift).copied());
        cfg.partitions.extend(self.partition.iter().copied());
        set(&mut cfg.drift, self.drift);
        set(&mut cfg.link.drop, self.drop_p);
        set(&mut cfg.link.delay, self.delay.clone());
        set(&mut cfg.link.duplicate, self.duplicate);
        set(&mut cfg.link.reorder, self.reorder);
        set(&mut cfg.link.reorder_window, self.reorder_window);
        set(&mut cfg.links, self.links);
        set(&mut cfg.acquisitions, self.acquisitions);
        set(&mut cfg.instances, self.instances);
        set(&mut cfg.instance_period, self.instance_period.map(Some));
        set(&mut cfg.horizon, self.horizon.map(Some));
        set(&mut cfg.max_events, self.max_events.map(Some));
        set(&mut cfg.seed, self.seed);
        cfg.validate()?;
        Ok(cfg)
    }

    /// Flags that only mean something for one workload must not be silently ignored by the other.
    fn check_workload_flags(&self, workload: WorkloadKind) -> Result<(), LockFlagError> {
        let wrong = |flag, workload, hint| Err(LockFlagError::WrongWorkload { flag, workload, hint });
        match workload {
            WorkloadKind::Increment if self.decide_by.is_some() => {
                wrong("--decide-by", "consensus", "the increment workload decides nothing")
            }
            WorkloadKind::Increment if self.instances.is_some() => {
                wrong("--instances", "consensus", "the increment workload is sized by --acquisitions")
            }
            WorkloadKind::Increment if self.instance_period.is_some() => {
                wrong("--instance-period", "consensus", "the increment workload has no instances")
            }
            WorkloadKind::Consensus if self.acquisitions.is_some() => {
                wrong("--acquisitions", "increment", "the consensus workload is sized by --instances")
            }
            _ => Ok(()),
        }
    }
}

/// The configuration in `path`: JSON (a whole `--json` report, whose "config" is taken, or a
/// configuration alone) or TOML (by the `.toml` ending).
fn read_config(path: &std::path::Path) -> Result<LockConfig, LockFlagError> {
    let name = path.display();
    let fail = |what: String| LockFlagError::ConfigFile(format!("{name}: {what}"));
    // A configuration is a few hundred bytes; a file a thousand times larger is not one.
    const LARGEST: u64 = 1 << 20;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_string(&mut std::io::Read::take(f, LARGEST + 1), &mut text))
        .map_err(|e| fail(e.to_string()))?;
    if text.len() as u64 > LARGEST {
        return Err(fail(format!("larger than {LARGEST} bytes: not a configuration")));
    }
    let first_line =
        |e: &dyn std::fmt::Display| e.to_string().lines().next().unwrap_or("malformed").to_string();
    if path.extension().is_some_and(|e| e == "toml") {
        return toml::from_str(&text).map_err(|e| fail(first_line(&e)));
    }
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| fail(first_line(&e)))?;
    let config = match value.get("config") {
        Some(config) => config.clone(),
        None => value,
    };
    serde_json::from_value(config).map_err(|e| fail(first_line(&e)))
}

/// A flag's help with its range and default, the numbers taken from the limits themselves so that
/// help and validation cannot disagree.
fn range_help(what: &str, min: u64, max: u64, default: &str) -> String {
    format!("{what}, {min} to {max} [default: {default}]")
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::Workload;
    use crate::time::MS;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        args: LockArgs,
    }

    fn config(args: &[&str]) -> Result<LockConfig, String> {
        let argv = std::iter::once("lock").chain(args.iter().copied());
        let wrap = Wrap::try_parse_from(argv).map_err(|e| e.to_string())?;
        wrap.args.config().map_err(|e| e.to_string())
    }

    #[test]
    fn no_flags_means_the_library_defaults() {
        assert_eq!(config(&[]).unwrap(), LockConfig::new(Variant::LEASE, EngineKind::Sim));
        assert_eq!(
            config(&["--variant", "lock-delay", "--engine", "threads"]).unwrap(),
            LockConfig::new(Variant::LOCK_DELAY, EngineKind::Threads)
        );
    }

    #[test]
    fn flags_land_in_their_fields() {
        let cfg = config(&[
            "--clients",
            "4",
            "--lease",
            "20ms",
            "--margin",
            "3ms",
            "--pause",
            "fixed:30ms@0.01",
            "--pause-at",
            "p1",
            "--crash",
            "3",
            "--partition",
            "lock:10ms..20ms",
            "--partition",
            "storage:0..5ms",
            "--drop",
            "0.01",
            "--links",
            "lock,effect",
            "--seed",
            "7",
            "--timer-start",
            "request",
        ])
        .unwrap();
        assert_eq!((cfg.clients, cfg.lease, cfg.margin, cfg.seed), (4, Some(20 * MS), Some(3 * MS), 7));
        assert_eq!(cfg.pause.to_string(), "fixed:30ms@0.01");
        assert_eq!(cfg.pause_at, PausePoint::P1);
        assert_eq!(cfg.timer_start, TimerStart::Request);
        assert_eq!(cfg.script.len(), 1);
        assert_eq!((cfg.script[0].client, cfg.script[0].acquisition), (0, 3));
        assert_eq!(cfg.partitions.len(), 2);
        assert_eq!(cfg.link.drop, 0.01);
        assert!(cfg.links.lock && !cfg.links.storage && cfg.links.effect);
    }

    #[test]
    fn consensus_takes_its_own_flags() {
        let cfg = config(&["--workload", "consensus", "--decide-by", "effect", "--instances", "9"]).unwrap();
        assert_eq!(cfg.workload, Workload::Consensus { decide_by: DecideBy::Effect });
        assert_eq!(cfg.instances, 9);
    }

    #[test]
    fn combinations_are_checked() {
        for (args, expect) in [
            (&["--variant", "non-preemptive", "--lease", "5ms"][..], "--lease needs a preemptive variant"),
            (
                &["--variant", "non-preemptive", "--lock-delay", "0"],
                "--lock-delay needs a preemptive variant",
            ),
            (&["--decide-by", "ack"], "--decide-by goes with --workload consensus"),
            (&["--instances", "5"], "--instances goes with --workload consensus"),
            (
                &["--workload", "consensus", "--acquisitions", "5"],
                "--acquisitions goes with --workload increment",
            ),
            (
                &["--variant", "lease-margin", "--margin", "20ms"],
                "--margin (20ms) must be shorter than --lease (10ms)",
            ),
            (&["--clients", "1"], "--clients must be at least 2"),
            (&["--lease", "0ms"], "--lease must be greater than 0"),
            (&["--partition", "lock:50ms..10ms"], "ends before it starts"),
            (&["--crash", "0"], "acquisitions are numbered from 1"),
            (
                &["--crash", "server:7@1ms", "--variant", "redlock"],
                "server:7 names server 7 but there are 3 servers",
            ),
            (&["--crash", "client:0@3"], "clients are numbered from 1"),
            (&["--stall", "disk:1:5ms@1ms"], "is not a node"),
            (&["--servers", "3"], "runs on one lock server"),
        ] {
            let err = config(args).expect_err(expect);
            assert!(err.contains(expect), "{args:?}: {err}");
        }
    }
}
