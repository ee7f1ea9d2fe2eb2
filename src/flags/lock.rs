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
use crate::lock::rare::Estimator;
use crate::lock::{ConfigError, DecideBy, EngineKind, LockConfig, TimerStart, Variant};
use crate::node::PausePoint;
use crate::service::{ServiceKind, ServiceSpec};
use crate::time::{Exact, Nanos, parse_duration};

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

/// `--service`'s help, with the designs each service runs read from the registry.
fn service_help() -> String {
    let on =
        |kind: ServiceKind| format!("{kind} runs --variant {}", crate::lock::design::on(kind).join(", "));
    format!(
        "The lock on a real service: redis or etcd (faultline starts private servers on free loopback ports, and stops them), \
         or redis=HOST:PORT[,HOST:PORT...] / etcd=HOST:PORT (servers you run; faultline's keys are deleted afterwards); {}; {} \
         [default: none, the model's own servers]",
        on(ServiceKind::Redis),
        on(ServiceKind::Etcd)
    )
}

fn variant_help() -> String {
    let names: Vec<&str> = crate::lock::design::all().iter().map(|v| v.name()).collect();
    format!("Lock design: {} (listed below) [default: {}]", names.join(", "), Variant::LEASE.name())
}

/// A choice as its flag writes it.
fn choice<T: clap::ValueEnum>(value: &T) -> String {
    value.to_possible_value().map_or_else(String::new, |v| v.get_name().to_string())
}

/// The default of a field over every design, read from [`LockConfig::new`] (simulator) and
/// written as the flag takes it: one value when the designs agree, else `X for a, b; else Y`.
/// Designs for which `field` gives `None` (the field means nothing to them) are left out.
fn by_design(field: impl Fn(&LockConfig) -> Option<String>) -> String {
    let mut values: Vec<(String, Vec<&'static str>)> = Vec::new();
    for variant in crate::lock::design::all() {
        let Some(value) = field(&LockConfig::new(variant, EngineKind::Sim)) else { continue };
        match values.iter_mut().find(|(v, _)| *v == value) {
            Some((_, names)) => names.push(variant.name()),
            None => values.push((value, vec![variant.name()])),
        }
    }
    // The value most designs share is the "else"; ties go to the first design's.
    let Some(common) = (0..values.len()).rev().max_by_key(|&i| values[i].1.len()) else {
        return String::new();
    };
    let (usual, _) = values.remove(common);
    if values.is_empty() {
        return usual;
    }
    let special: Vec<String> =
        values.iter().map(|(v, names)| format!("{v} for {}", names.join(", "))).collect();
    format!("{}; else {usual}", special.join("; "))
}

/// The default of a field on each engine, read from [`LockConfig::new`] for the default design.
fn by_engine(field: impl Fn(&LockConfig) -> String) -> String {
    let [sim, threads] =
        [EngineKind::Sim, EngineKind::Threads].map(|engine| field(&LockConfig::new(Variant::LEASE, engine)));
    if sim == threads { sim } else { format!("{sim} sim, {threads} threads") }
}

/// The default of a field that no design or engine changes, read from [`LockConfig::new`].
fn default_of(field: impl Fn(&LockConfig) -> String) -> String {
    field(&LockConfig::new(Variant::LEASE, EngineKind::Sim))
}

/// A flag's help with its default.
fn with_default(what: &str, default: String) -> String {
    format!("{what} [default: {default}]")
}

/// A duration as a flag takes it.
fn duration(nanos: Nanos) -> String {
    Exact(nanos).to_string()
}

/// The event budget's rule, with its numbers from the configuration and the default design.
fn event_budget_help() -> String {
    let cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
    let per = cfg.variant.design().events_per_acquisition(&cfg);
    // A run of one acquisition asks for less than the floor, so its budget is the floor.
    let floor = LockConfig { acquisitions: 1, ..cfg }.event_budget();
    format!(
        "for every planned acquisition what the design says a live one may need ({per} for the {}), \
         plus the events of its renewals and re-sends; at least {floor}: far beyond what a live lock needs",
        Variant::LEASE.name()
    )
}

/// Flags of `faultline lock`. Defaults depend on the variant and the engine; see
/// [`LockConfig::new`].
#[derive(Debug, Clone, Default, PartialEq, clap::Args)]
#[command(after_help = after_help())]
pub struct LockArgs {
    /// Run exactly the configuration and seed in FILE (JSON or TOML): what --json printed, or its "config" alone; no other flag but --json
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Lock design (see below)
    #[arg(long, value_name = "VARIANT", value_parser = Variant::parse, help = variant_help())]
    pub variant: Option<Variant>,
    /// Engine: sim (deterministic virtual time) or threads (one OS thread per node)
    #[arg(long, value_name = "ENGINE", hide_possible_values = true, help = with_default("Engine: sim (deterministic virtual time) or threads (one OS thread per node)", format!("{}; {} with --service", choice(&EngineKind::Sim), choice(&EngineKind::Threads))))]
    pub engine: Option<EngineKind>,
    /// The lock on a real service (see below)
    #[arg(long, value_name = "KIND[=HOST:PORT,...]", value_parser = ServiceSpec::parse, help = service_help())]
    pub service: Option<ServiceSpec>,
    /// Number of clients competing for the lock
    #[arg(long, value_name = "N", value_parser = whole::<usize>, allow_negative_numbers = true, help = range_help("Number of clients competing for the lock", 2, MAX_CLIENTS as u64, by_design(|c| Some(c.clients.to_string()))))]
    pub clients: Option<usize>,
    /// Lock servers, for multi-server designs
    #[arg(long, value_name = "K", value_parser = whole::<usize>, allow_negative_numbers = true, help = range_help("Lock servers, for multi-server designs", 1, MAX_SERVERS as u64, format!("the design's: {}", by_design(|c| Some(c.servers.to_string())))))]
    pub servers: Option<usize>,
    /// Lease L, e.g. 10ms; preemptive variants only
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true, help = with_default("Lease L, e.g. 10ms; preemptive variants only", by_design(|c| c.lease.map(duration))))]
    pub lease: Option<Nanos>,
    /// Safety margin m checked before touching storage, shorter than L
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true, help = with_default("Safety margin m checked before touching storage, shorter than L", by_design(|c| c.variant.preemptive().then(|| c.margin.map_or("none".into(), duration)))))]
    pub margin: Option<Nanos>,
    /// Lock-delay D: the service keeps an expired lock free-but-closed this long
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true, help = with_default("Lock-delay D: the service keeps an expired lock free-but-closed this long", by_design(|c| c.variant.preemptive().then(|| duration(c.lock_delay)))))]
    pub lock_delay: Option<Nanos>,
    /// When clients start their lease countdown: grant or request
    #[arg(long, value_name = "WHEN", hide_possible_values = true, help = with_default("When clients start their lease countdown: grant or request", by_design(|c| c.variant.preemptive().then(|| choice(&c.timer_start)))))]
    pub timer_start: Option<TimerStart>,
    /// Re-send an unanswered request (to the lock service or to storage) after this long, then after twice as long each time up to a cap (retry::Backoff::for_run); 0 for never
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true, help = with_default(&format!("Re-send an unanswered request (to the lock service or to storage) after this long, then after twice as long each time, up to {} times this or a {}th of the horizon if longer; 0 for never", 1u64 << crate::lock::retry::MIN_DOUBLINGS, crate::lock::retry::COPIES_PER_HORIZON), by_design(|c| Some(duration(c.retry)))))]
    pub retry: Option<Nanos>,
    /// Renew the lease this often while holding it
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true, help = with_default(&format!("Renew the lease this often while holding it, 0 for never; shorter than L, and at most {MAX_RENEWALS_PER_SECTION} renewals per section"), by_design(|c| c.variant.preemptive().then(|| duration(c.renew)))))]
    pub renew: Option<Nanos>,
    /// Work w inside the critical section, between the read and the write
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true, help = with_default("Work w inside the critical section, between the read and the write", by_design(|c| Some(duration(c.work)))))]
    pub work: Option<Nanos>,
    /// Stall distribution: none, fixed:D, exp:MEAN, pareto:SHAPE:SCALE, uniform:LO:HI, each optionally @PROB; file:PATH or file+tail:PATH
    #[arg(long, value_name = "DIST", value_parser = Dist::parse, allow_hyphen_values = true, help = with_default("Stall distribution: none, fixed:D, exp:MEAN, pareto:SHAPE:SCALE, uniform:LO:HI, each optionally @PROB; or file:PATH (the pauses of a GC log or a list of durations, resampled; see faultline pauses) or file+tail:PATH (with a Pareto tail fitted beyond the largest)", by_design(|c| Some(c.pause.to_string()))))]
    pub pause: Option<Dist>,
    /// Where stalls happen: p1 (after the grant, before the margin check) or p2 (after the last check)
    #[arg(long, value_name = "POINT", hide_possible_values = true, help = with_default("Where stalls happen: p1 (after the grant, before the margin check) or p2 (after the last check)", by_design(|c| Some(choice(&PauseAt::from(c.pause_at))))))]
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
    /// Start a real server again at true time TIME after a --crash killed it, e.g. server:2@300ms (with --service; Redis comes back empty); repeatable [default: none]
    #[arg(long, value_name = "TARGET@TIME", value_parser = NodeFault::parse_restart, allow_hyphen_values = true)]
    pub restart: Vec<NodeFault>,
    /// Lose every message between two groups of nodes in a true-time window: A|B:FROM..UNTIL (e.g. client:1|server:*:10ms..200ms), or lock:FROM..UNTIL / storage:FROM..UNTIL for client 1; repeatable [default: none]
    #[arg(long, value_name = "A|B:FROM..UNTIL", value_parser = Partition::parse)]
    pub partition: Vec<Partition>,
    /// Client clock drift: clocks run at 1 - RHO, e.g. 0.1 for 10% slow
    #[arg(long, value_name = "RHO", value_parser = drift, allow_negative_numbers = true, help = with_default("Client clock drift: clocks run at 1 - RHO, e.g. 0.1 for 10% slow", default_of(|c| c.drift.to_string())))]
    pub drift: Option<f64>,
    /// Probability that a message is lost, 0 to 1
    #[arg(long = "drop", value_name = "P", value_parser = probability, allow_negative_numbers = true, help = with_default("Probability that a message is lost, 0 to 1", default_of(|c| c.link.drop.to_string())))]
    pub drop_p: Option<f64>,
    /// One-way message delay distribution, same forms as --pause
    #[arg(long, value_name = "DIST", value_parser = Dist::parse, allow_hyphen_values = true, help = with_default("One-way message delay distribution, same forms as --pause", default_of(|c| c.link.delay.to_string())))]
    pub delay: Option<Dist>,
    /// Probability that a message is delivered twice, 0 to 1
    #[arg(long, value_name = "P", value_parser = probability, allow_negative_numbers = true, help = with_default("Probability that a message is delivered twice, 0 to 1", default_of(|c| c.link.duplicate.to_string())))]
    pub duplicate: Option<f64>,
    /// Probability that a message is held back so later ones overtake it, 0 to 1
    #[arg(long, value_name = "P", value_parser = probability, allow_negative_numbers = true, help = with_default("Probability that a message is held back so later ones overtake it, 0 to 1", default_of(|c| c.link.reorder.to_string())))]
    pub reorder: Option<f64>,
    /// Longest extra delay of a reordered message
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true, help = with_default("Longest extra delay of a reordered message", default_of(|c| duration(c.link.reorder_window))))]
    pub reorder_window: Option<Nanos>,
    /// Links that --drop/--delay/--duplicate/--reorder affect: all, or some of lock, storage, effect joined by + (lock+storage: one value in a sweep too, where commas separate values; a comma also joins them here) [default: all]
    #[arg(long, value_name = "LINKS", value_parser = LinkScope::parse)]
    pub links: Option<LinkScope>,
    /// What clients do in the critical section: increment (a shared counter) or consensus [default: increment]
    #[arg(long, value_name = "WORKLOAD", hide_possible_values = true)]
    pub workload: Option<WorkloadKind>,
    /// Consensus only: decide on storage's ack, or announce the decision as a side effect [default: ack]
    #[arg(long, value_name = "ack|effect", hide_possible_values = true)]
    pub decide_by: Option<DecideBy>,
    /// Increment only: acquisitions in the run, split as evenly as they go between clients
    #[arg(long, value_name = "N", value_parser = whole::<u64>, allow_negative_numbers = true, help = range_help("Increment only: acquisitions in the run, split as evenly as they go between clients", 1, MAX_ACQUISITIONS, by_engine(|c| c.acquisitions.to_string())))]
    pub acquisitions: Option<u64>,
    /// Consensus only: instances each client decides
    #[arg(long, value_name = "N", value_parser = whole::<u64>, allow_negative_numbers = true, help = range_help("Consensus only: instances each client decides", 1, MAX_INSTANCES, by_engine(|c| c.instances.to_string())))]
    pub instances: Option<u64>,
    /// Consensus only: time between the starts of two instances [default: room for every client to take the lock once]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub instance_period: Option<Nanos>,
    /// Stop the run at this true time whatever happens; waiting clients then count as blocked [default: derived from the workload, far beyond what a live lock needs]
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub horizon: Option<Nanos>,
    /// Stop the run after this many engine events whatever happens, reporting the figures so far
    #[arg(long, value_name = "N", value_parser = whole::<u64>, allow_negative_numbers = true, help = range_help("Stop the run after this many engine events whatever happens, reporting the figures so far", 1, MAX_EVENTS, event_budget_help()))]
    pub max_events: Option<u64>,
    /// Master seed of every random stream; the same seed replays a sim run exactly
    #[arg(long, value_name = "N", value_parser = whole::<u64>, allow_negative_numbers = true, help = with_default("Master seed of every random stream; the same seed replays a sim run exactly", default_of(|c| c.seed.to_string())))]
    pub seed: Option<u64>,
    /// How the rates are made: count, or rare (importance sampling of the stalls, for rates down to 1e-9; simulator only)
    #[arg(long, value_name = "ESTIMATOR", value_parser = Estimator::parse, help = with_default("How the rates are made: count (plain counting), rare (importance sampling of the stalls --pause draws, for rates counting cannot reach; simulator only), or rare:THRESHOLD:SHARE (its proposal fixed, as a replay gives it)", default_of(|c| c.estimator.to_string())))]
    pub estimator: Option<Estimator>,
    /// One of the design's own parameters, NAME=VALUE (a duration or a number), as the designs below list them; repeatable, one parameter each [default: the design's]
    #[arg(long, value_name = "NAME=VALUE", value_parser = crate::lock::params::ParamSetting::parse)]
    pub param: Vec<crate::lock::params::ParamSetting>,
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
        let mut variant = self.variant.unwrap_or(Variant::LEASE);
        if let Some(service) = &self.service {
            variant = variant.on_service(service.kind).map_err(ConfigError::Service)?;
        }
        let engine = self.engine.unwrap_or(EngineKind::default_for(variant));
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
        if let Some(service) = &self.service {
            if !service.is_started() && self.servers.is_none() {
                cfg.servers = service.at.len();
            }
            cfg.service = Some(service.clone());
        }
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
        set(&mut cfg.estimator, self.estimator);
        for crash in &self.crash {
            match *crash {
                Crash::Scripted(s) => cfg.script.push(s),
                Crash::Timed(f) => cfg.faults.push(f),
            }
        }
        cfg.faults.extend(
            self.stall.iter().chain(&self.clock_jump).chain(&self.clock_drift).chain(&self.restart).copied(),
        );
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
        for param in &self.param {
            cfg.set_param(&param.name, &param.value)?;
        }
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
fn range_help(what: &str, min: u64, max: u64, default: String) -> String {
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
                "the margin (20ms) must be shorter than the lease (10ms)",
            ),
            (&["--clients", "1"], "at least 2 clients"),
            (&["--lease", "0ms"], "the lease must be greater than 0"),
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

    /// The `[default: ...]` of `flag` in the help.
    fn default_in_help(help: &str, flag: &str) -> String {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{flag} ")))
            .unwrap_or_else(|| panic!("{flag} is not in the help"));
        let start = line.find("[default: ").unwrap_or_else(|| panic!("{flag} has no default: {line}")) + 10;
        line[start..line.len() - 1].to_string()
    }

    /// Every flag whose default is a field of the configuration says in its help what
    /// `LockConfig::new` puts there, for the default design on the simulator, and names the designs
    /// and engines that differ.
    #[test]
    fn help_defaults_are_the_configuration_s() {
        use crate::fault::LinkPlan;
        use crate::lock::config::LinkScope;
        use clap::CommandFactory;
        let help = Wrap::command().render_help().to_string();
        let sim = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        let threads = LockConfig::new(Variant::LEASE, EngineKind::Threads);
        let margin = LockConfig::new(Variant::LEASE_MARGIN, EngineKind::Sim);
        let delay = LockConfig::new(Variant::LOCK_DELAY, EngineKind::Sim);
        let redlock = LockConfig::new(Variant::REDLOCK, EngineKind::Sim);
        let exact = |n: Nanos| crate::time::Exact(n).to_string();
        assert_eq!((sim.margin, sim.lock_delay, sim.servers), (None, 0, 1), "the usual values below");
        for (flag, expected) in [
            ("--clients", sim.clients.to_string()),
            (
                "--servers",
                format!(
                    "the design's: {} for redlock, redlock-fenced, redis-redlock; else {}",
                    redlock.servers, sim.servers
                ),
            ),
            ("--lease", format!("2s for etcd-lease, etcd-fenced; else {}", exact(sim.lease.unwrap()))),
            ("--margin", format!("{} for lease-margin; else none", exact(margin.margin.unwrap()))),
            ("--lock-delay", format!("{} for lock-delay; else 0", exact(delay.lock_delay))),
            ("--timer-start", "grant".into()),
            ("--retry", exact(sim.retry)),
            ("--renew", exact(sim.renew)),
            ("--work", exact(sim.work)),
            ("--pause", sim.pause.to_string()),
            ("--pause-at", "p2".into()),
            ("--drift", sim.drift.to_string()),
            ("--drop", sim.link.drop.to_string()),
            ("--delay", sim.link.delay.to_string()),
            ("--duplicate", sim.link.duplicate.to_string()),
            ("--reorder", sim.link.reorder.to_string()),
            ("--reorder-window", exact(sim.link.reorder_window)),
            ("--acquisitions", format!("{} sim, {} threads", sim.acquisitions, threads.acquisitions)),
            ("--instances", format!("{} sim, {} threads", sim.instances, threads.instances)),
            ("--seed", sim.seed.to_string()),
        ] {
            assert_eq!(default_in_help(&help, flag), expected, "{flag}");
        }
        assert_eq!((sim.timer_start, sim.pause_at), (TimerStart::Grant, PausePoint::P2));
        assert_eq!((sim.links, &sim.link), (LinkScope::ALL, &LinkPlan::PERFECT));
        assert_eq!(default_in_help(&help, "--links"), "all");
        // The budget's rule names the design's own figure and the floor, and counts more than
        // acquisitions: a run of one acquisition gets the floor, a run with renewals more than
        // one without.
        let budget = default_in_help(&help, "--max-events");
        let per = sim.variant.design().events_per_acquisition(&sim);
        let floor = LockConfig { acquisitions: 1, ..sim.clone() }.event_budget();
        assert!(budget.contains(&format!("({per} for the lease)")), "{budget}");
        assert!(budget.contains(&format!("at least {floor}")), "{budget}");
        assert!(budget.contains("renewals and re-sends"), "{budget}");
        let big = LockConfig { acquisitions: 1_000_000, ..sim.clone() };
        let renewing = LockConfig { renew: 2 * crate::time::MS, ..big.clone() };
        assert!(renewing.event_budget() > big.event_budget());
    }
}
