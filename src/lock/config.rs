//! One run's configuration: the variant, the workload, the faults, the engine and the seed.
//!
//! [`LockConfig::new`] gives the documented defaults for a variant and engine; every field can then
//! be changed, and [`LockConfig::validate`] says, in one line, what is wrong with a combination.

use super::client::{DecideBy, TimerStart, Workload};
pub use super::design::Variant;
pub use super::faults::{NodeFault, Partition, Scripted, ScriptedFault};
use super::params::{ParamError, Params};
use super::rare::Estimator;
use super::storage::Fencing;
use super::topology::Topology;
use crate::fault::{Dist, LinkPlan};
use crate::node::PausePoint;
use crate::service::{ServiceKind, ServiceSpec};
use crate::time::{Human, MS, Nanos, SEC};
use serde::{Deserialize, Serialize};

/// Which engine runs the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// The deterministic simulator (virtual time).
    Sim,
    /// One OS thread per node, wall-clock time, real sleeps.
    Threads,
}

/// Which links the link plan (drop, delay, duplicate, reorder) applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkScope {
    /// Client ↔ lock service.
    pub lock: bool,
    /// Client ↔ storage.
    pub storage: bool,
    /// Client → outbox.
    pub effect: bool,
}

impl LinkScope {
    /// Every link.
    pub const ALL: LinkScope = LinkScope { lock: true, storage: true, effect: true };

    /// Parses `all` or a subset of `lock,storage,effect`, joined by `,` or `+` (in a sweep, where
    /// commas separate values, `lock+storage` is one value).
    pub fn parse(text: &str) -> Result<LinkScope, String> {
        if text == "all" {
            return Ok(LinkScope::ALL);
        }
        let mut scope = LinkScope { lock: false, storage: false, effect: false };
        for part in text.split([',', '+']) {
            match part {
                "lock" => scope.lock = true,
                "storage" => scope.storage = true,
                "effect" => scope.effect = true,
                other => {
                    return Err(format!(
                        "{} is not a link: use all, or a list of lock, storage, effect",
                        crate::input::Quoted(other)
                    ));
                }
            }
        }
        Ok(scope)
    }
}

/// Everything one run needs. It reads back from the JSON it writes (`faultline lock --json`,
/// then `--config`), or from TOML, where an absent optional field means `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockConfig {
    /// The lock design. To change it, [`with_variant`](Self::with_variant) applies the new
    /// design's defaults.
    pub variant: Variant,
    /// The design's own parameters ([`LockDesign::params`](super::LockDesign::params)), set
    /// with [`set_param`](Self::set_param). Absent from the JSON of a design without any; a
    /// parameter a saved configuration lacks takes its default.
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
    /// The engine.
    pub engine: EngineKind,
    /// Number of clients `p` (at least 2).
    pub clients: usize,
    /// Number of lock servers `k` (multi-server designs; 1 otherwise, and when absent).
    #[serde(default = "one")]
    pub servers: usize,
    /// Lease `L` (preemptive variants).
    #[serde(default, with = "crate::time::human_opt")]
    pub lease: Option<Nanos>,
    /// Safety margin `m` (checked at the margin step when set).
    #[serde(default, with = "crate::time::human_opt")]
    pub margin: Option<Nanos>,
    /// Chubby lock-delay `D` after an expiry.
    #[serde(with = "crate::time::human")]
    pub lock_delay: Nanos,
    /// When the client's lease countdown starts.
    pub timer_start: TimerStart,
    /// Re-send interval of an unanswered request (0: never).
    #[serde(with = "crate::time::human")]
    pub retry: Nanos,
    /// Lease renewal interval while holding (0: never).
    #[serde(with = "crate::time::human")]
    pub renew: Nanos,
    /// Work `w` inside the critical section.
    #[serde(with = "crate::time::human")]
    pub work: Nanos,
    /// Stall distribution, drawn at every pass through `pause_at`.
    pub pause: Dist,
    /// Where stalls happen.
    pub pause_at: PausePoint,
    /// Faults scripted for particular acquisitions (crashes, single long stalls).
    pub script: Vec<Scripted>,
    /// Partition windows: messages between two groups of nodes lost in a window of true time.
    pub partitions: Vec<Partition>,
    /// Faults aimed at nodes: crashes, stalls and clock jumps at a time, drifting clocks.
    #[serde(default)]
    pub faults: Vec<NodeFault>,
    /// Client clock drift ρ: client clocks run at `1 - ρ` (a [`NodeFault::ClockDrift`] aimed at
    /// a client overrides it).
    pub drift: f64,
    /// What links do to messages.
    pub link: LinkPlan,
    /// Which links `link` applies to.
    pub links: LinkScope,
    /// What clients do in the critical section.
    pub workload: Workload,
    /// Acquisitions in the run (increment workload), split evenly between clients.
    pub acquisitions: u64,
    /// Instances (consensus workload).
    pub instances: u64,
    /// Consensus: time between the starts of two instances. `None`: derived by
    /// [`LockConfig::instance_period`].
    #[serde(default, with = "crate::time::human_opt")]
    pub instance_period: Option<Nanos>,
    /// The run stops here whatever happens; clients still waiting then are `blocked`.
    /// `None`: derived from the workload by [`LockConfig::horizon`], generous enough that a live
    /// lock always finishes first.
    #[serde(default, with = "crate::time::human_opt")]
    pub horizon: Option<Nanos>,
    /// The run stops after this many engine events whatever happens. `None`: derived from the
    /// workload by [`LockConfig::event_budget`], far more than a live lock needs.
    #[serde(default)]
    pub max_events: Option<u64>,
    /// How the rates are made: counting, or the rare-event estimator ([`super::rare`]), whose
    /// proposal is filled in by its search before the run. A saved configuration without it
    /// counts.
    #[serde(default)]
    pub estimator: Estimator,
    /// The real servers behind a design whose servers are adapters to a real service
    /// ([`LockDesign::service`](super::LockDesign::service)): faultline's own, or the user's.
    /// Absent for every other design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceSpec>,
    /// Master seed of every random stream.
    pub seed: u64,
}

fn one() -> usize {
    1
}

/// What is wrong with a configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// Fewer than two clients: without contention nothing can overlap or block.
    #[error("a run needs at least 2 clients (got {0}): the results need contention")]
    TooFewClients(usize),
    /// More clients than the engines are built for.
    #[error("a run has at most {max} clients (got {got})")]
    TooManyClients { got: usize, max: usize },
    /// A non-preemptive lock was given a lease-only setting. Names the flag, which a sweep
    /// leaves out of the point.
    #[error("{0} needs a preemptive variant; the non-preemptive lock has no lease")]
    NeedsLease(&'static str),
    /// A setting the design has no use for (`--param` for a design without parameters). Names
    /// the flag, which a sweep leaves out of the point.
    #[error("{flag} does not apply to the {design} design")]
    NotForDesign { flag: &'static str, design: String },
    /// A parameter the design does not declare, or a value of another kind than it declares.
    #[error("the {design} design {error}")]
    Param { design: String, error: ParamError },
    /// Several servers for a design that runs on one.
    #[error(
        "{got} lock servers: the {design} design runs on one lock server; use a multi-server design such as redlock"
    )]
    SingleServer { got: usize, design: String },
    /// No lock server, or more than the engines are built for.
    #[error("a run has between 1 and {max} lock servers (got {got})")]
    Servers { got: usize, max: usize },
    /// A fault aimed at a node the topology does not have.
    #[error("{0}")]
    BadTarget(String),
    /// A preemptive variant with a zero lease.
    #[error("the lease must be greater than 0")]
    ZeroLease,
    /// The lease-margin variant without a margin.
    #[error("the lease-margin variant needs a margin (0 checks only that the lease has not expired)")]
    MissingMargin,
    /// The lock-delay variant without a delay.
    #[error("the lock-delay variant needs a lock-delay greater than 0")]
    MissingLockDelay,
    /// A margin at least as long as the lease would abort every section.
    #[error("the margin ({margin}) must be shorter than the lease ({lease})")]
    MarginTooLarge { margin: String, lease: String },
    /// Renewals no more frequent than the lease cannot keep it.
    #[error("the renewal interval ({renew}) must be shorter than the lease ({lease})")]
    RenewTooSlow { renew: String, lease: String },
    /// Drift outside `[0, 1)`.
    #[error("a clock drift must be at least 0 and below 1 (got {0})")]
    Drift(f64),
    /// A probability outside `[0, 1]`.
    #[error("the {what} must be a probability between 0 and 1 (got {value})")]
    Probability { what: &'static str, value: f64 },
    /// Nothing to do, no time between instances, or no wait between polls.
    #[error("{0} must be greater than 0")]
    ZeroWork(&'static str),
    /// No time to do it in.
    #[error("the horizon must be greater than 0")]
    ZeroHorizon,
    /// A threaded run longer than the engine allows, to keep runs from seeming to hang.
    #[error("the horizon of a threads run must be at most {max} (got {got})")]
    HorizonTooLong { got: String, max: String },
    /// A partition window that ends before it starts.
    #[error("partition {0} ends before it starts")]
    EmptyPartition(String),
    /// A scripted fault for a client that does not exist, or at acquisition 0.
    #[error("a crash at an acquisition must name acquisition 1 or later of an existing client")]
    BadScript,
    /// A workload larger than any run is allowed to be.
    #[error("the {what} must be at most {max} (got {got}): {why}")]
    TooLarge { what: &'static str, got: u64, max: u64, why: &'static str },
    /// Renewals so frequent that one section would need more of them than a run can afford.
    #[error(
        "renewing every {renew} would renew about {per_section} times per section (at most {MAX_RENEWALS_PER_SECTION}): renew less often"
    )]
    RenewTooOften { renew: String, per_section: u64 },
    /// The rare-event estimator on the threads engine, whose stalls are real sleeps it cannot
    /// weigh run by run against a simulator's draws.
    #[error(
        "--estimator rare runs on the simulator (--engine sim): the threads engine's timing is the machine's"
    )]
    RareNeedsSim,
    /// The rare-event estimator without stalls to tilt.
    #[error("--estimator rare weighs the stalls --pause draws, and --pause is {0}: there is nothing to tilt")]
    RareNeedsStalls(String),
    /// The rare-event estimator beside a client stall it did not draw, which it could not weigh.
    #[error(
        "--estimator rare cannot weigh a client stall from --stall or --script: it weighs only the stalls --pause draws"
    )]
    RareForeignStall,
    /// A lease a real service cannot express in its own unit.
    #[error("{service} takes leases in {unit}: a lease of {lease} cannot be expressed")]
    LeaseUnit { lease: String, unit: &'static str, service: ServiceKind },
    /// A real service on the simulator, which has no real time to give it.
    #[error("--service runs real servers on real time: use --engine threads (the default with --service)")]
    ServiceNeedsThreads,
    /// A design and a service that do not go together: a real service's design without its
    /// servers, or servers for a design that has its own.
    #[error("{0}")]
    Service(String),
    /// A fault a real server cannot take, or one only a real server can.
    #[error("{0}")]
    ServerFault(String),
    /// An event budget of zero, or beyond the largest allowed.
    #[error("the event budget must be between 1 and {MAX_EVENTS} events (got {0})")]
    EventBudget(u64),
}

/// Most clients an engine runs (threads: one OS thread each).
pub const MAX_CLIENTS: usize = 256;
/// Most lock servers a run may have (a client keeps one bit per server).
pub const MAX_SERVERS: usize = 63;
/// Longest threaded run.
pub const MAX_THREADS_HORIZON: Nanos = 600 * SEC;
/// Most acquisitions in one run: about a quarter of an hour of simulation on one core.
pub const MAX_ACQUISITIONS: u64 = 1_000_000_000;
/// Most consensus instances in one run: each is a register in storage and a decision in the
/// oracle, kept for the whole run (late clients may still read an old register), about 40 MB at
/// this size.
pub const MAX_INSTANCES: u64 = 1_000_000;
/// Most events any run may be given (`--max-events`): about two hours of simulation.
pub const MAX_EVENTS: u64 = 100_000_000_000;
/// Most lease renewals one section may need before the configuration is refused as a flood.
pub const MAX_RENEWALS_PER_SECTION: u64 = 10_000;
/// The derived event budget is never smaller than this, so small runs have room for slow starts.
const MIN_EVENT_BUDGET: u64 = 1_000_000;

impl LockConfig {
    /// The defaults for `variant` on `engine`: 2 clients, one server, L = 10 ms, w = 1 ms,
    /// exponential stalls of mean 5 ms after the check, perfect links, and a workload sized for
    /// the engine; then the design's own defaults ([`LockDesign::defaults`](super::LockDesign::defaults)).
    pub fn new(variant: Variant, engine: EngineKind) -> Self {
        let sim = engine == EngineKind::Sim;
        let mut cfg = LockConfig {
            variant,
            params: Params::defaults(variant.design().params()),
            engine,
            clients: 2,
            servers: 1,
            lease: variant.preemptive().then_some(10 * MS),
            margin: None,
            lock_delay: 0,
            timer_start: TimerStart::Grant,
            retry: 20 * MS,
            renew: 0,
            work: MS,
            pause: Dist::Exp { mean: 5 * MS },
            pause_at: PausePoint::P2,
            script: Vec::new(),
            partitions: Vec::new(),
            faults: Vec::new(),
            drift: 0.0,
            link: LinkPlan::PERFECT,
            links: LinkScope::ALL,
            workload: Workload::Increment,
            acquisitions: if sim { 10_000 } else { 500 },
            instances: if sim { 1_000 } else { 100 },
            instance_period: None,
            horizon: None,
            max_events: None,
            estimator: Estimator::Count,
            service: variant.service().map(ServiceSpec::started),
            seed: 1,
        };
        variant.design().defaults(&mut cfg);
        cfg
    }

    /// This configuration for another design: every setting still at the default the current
    /// design gives it takes the default `variant` gives it (the lease, and the design's own
    /// [`defaults`](super::LockDesign::defaults): servers, margin, lock-delay, ...); every
    /// setting changed from it is kept (a parameter only where the new design declares it), and
    /// [`validate`](Self::validate) judges the result.
    /// Assigning [`variant`](Self::variant) alone would keep the old design's defaults: a
    /// Redlock on one server.
    pub fn with_variant(&self, variant: Variant) -> LockConfig {
        let was = LockConfig::new(self.variant, self.engine);
        let now = LockConfig::new(variant, self.engine);
        let mut cfg = self.clone();
        cfg.variant = variant;
        macro_rules! rebase {
            ($($field:ident),* $(,)?) => {
                // Naming every field: a field added to LockConfig is a compile error here until
                // it is placed.
                let LockConfig { variant: _, engine: _, params: _, $($field: _),* } = self;
                $(if self.$field == was.$field {
                    cfg.$field = now.$field.clone();
                })*
            };
        }
        rebase!(
            clients,
            servers,
            lease,
            margin,
            lock_delay,
            timer_start,
            retry,
            renew,
            work,
            pause,
            pause_at,
            script,
            partitions,
            faults,
            drift,
            link,
            links,
            workload,
            acquisitions,
            instances,
            instance_period,
            horizon,
            max_events,
            estimator,
            service,
            seed,
        );
        cfg.params = self.params.carry(&was.params, variant.design().params());
        cfg
    }

    /// Sets the design's parameter `name` from its text (`2ms`, `0.5`), parsed as the design
    /// declares it.
    pub fn set_param(&mut self, name: &str, text: &str) -> Result<(), ConfigError> {
        let declared = self.variant.design().params();
        if declared.is_empty() {
            return Err(self.no_params());
        }
        let value = super::params::parse(declared, name, text).map_err(|e| self.param_error(e))?;
        self.params.set(name, value);
        Ok(())
    }

    fn no_params(&self) -> ConfigError {
        ConfigError::NotForDesign { flag: "--param", design: self.variant.name().to_string() }
    }

    fn param_error(&self, error: ParamError) -> ConfigError {
        ConfigError::Param { design: self.variant.name().to_string(), error }
    }

    /// The consensus workload deciding by `decide_by`.
    pub fn consensus(mut self, decide_by: DecideBy) -> Self {
        self.workload = Workload::Consensus { decide_by };
        self
    }

    /// Checks every field and combination; the error says what to change.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.clients < 2 {
            return Err(ConfigError::TooFewClients(self.clients));
        }
        if self.clients > MAX_CLIENTS {
            return Err(ConfigError::TooManyClients { got: self.clients, max: MAX_CLIENTS });
        }
        match (self.variant.preemptive(), self.lease) {
            (false, Some(_)) => return Err(ConfigError::NeedsLease("--lease")),
            (true, None | Some(0)) => return Err(ConfigError::ZeroLease),
            _ => {}
        }
        if !self.variant.preemptive() {
            if self.margin.is_some() {
                return Err(ConfigError::NeedsLease("--margin"));
            }
            if self.lock_delay > 0 {
                return Err(ConfigError::NeedsLease("--lock-delay"));
            }
            if self.renew > 0 {
                return Err(ConfigError::NeedsLease("--renew"));
            }
        }
        if !(1..=MAX_SERVERS).contains(&self.servers) {
            return Err(ConfigError::Servers { got: self.servers, max: MAX_SERVERS });
        }
        if self.servers > 1 && !self.variant.design().multi_server() {
            return Err(ConfigError::SingleServer {
                got: self.servers,
                design: self.variant.name().to_string(),
            });
        }
        let declared = self.variant.design().params();
        if declared.is_empty() && !self.params.is_empty() {
            return Err(self.no_params());
        }
        self.params.check(declared).map_err(|e| self.param_error(e))?;
        self.variant.design().validate(self)?;
        if let Some(lease) = self.lease {
            if let Some(margin) = self.margin.filter(|&m| m >= lease) {
                return Err(ConfigError::MarginTooLarge {
                    margin: Human(margin).to_string(),
                    lease: Human(lease).to_string(),
                });
            }
            if self.renew >= lease {
                return Err(ConfigError::RenewTooSlow {
                    renew: Human(self.renew).to_string(),
                    lease: Human(lease).to_string(),
                });
            }
        }
        if !(0.0..1.0).contains(&self.drift) {
            return Err(ConfigError::Drift(self.drift));
        }
        for (what, value) in [
            ("drop probability", self.link.drop),
            ("duplication probability", self.link.duplicate),
            ("reordering probability", self.link.reorder),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ConfigError::Probability { what, value });
            }
        }
        match self.workload {
            Workload::Increment if self.acquisitions == 0 => {
                return Err(ConfigError::ZeroWork("the number of acquisitions"));
            }
            Workload::Consensus { .. } if self.instances == 0 => {
                return Err(ConfigError::ZeroWork("the number of instances"));
            }
            _ => {}
        }
        if self.instance_period == Some(0) {
            return Err(ConfigError::ZeroWork("the instance period"));
        }
        if self.horizon == Some(0) {
            return Err(ConfigError::ZeroHorizon);
        }
        for (what, got, max, why) in [
            ("number of acquisitions", self.acquisitions, MAX_ACQUISITIONS, "a larger run would take hours"),
            (
                "number of instances",
                self.instances,
                MAX_INSTANCES,
                "every instance keeps a register for the whole run",
            ),
        ] {
            if got > max {
                return Err(ConfigError::TooLarge { what, got, max, why });
            }
        }
        if let Some(n) = self.max_events.filter(|&n| n == 0 || n > MAX_EVENTS) {
            return Err(ConfigError::EventBudget(n));
        }
        if self.renew > 0 {
            let per_section = self.renewals_per_section();
            if per_section > MAX_RENEWALS_PER_SECTION {
                return Err(ConfigError::RenewTooOften { renew: Human(self.renew).to_string(), per_section });
            }
        }
        if self.engine == EngineKind::Threads && self.horizon() > MAX_THREADS_HORIZON {
            return Err(ConfigError::HorizonTooLong {
                got: Human(self.horizon()).to_string(),
                max: Human(MAX_THREADS_HORIZON).to_string(),
            });
        }
        if let Some(p) = self.partitions.iter().find(|p| p.until <= p.from) {
            return Err(ConfigError::EmptyPartition(format!("{}..{}", Human(p.from), Human(p.until))));
        }
        if self.script.iter().any(|s| s.client >= self.clients || s.acquisition == 0) {
            return Err(ConfigError::BadScript);
        }
        let topology = self.topology();
        let targets =
            self.partitions.iter().flat_map(|p| p.between).chain(self.faults.iter().map(|f| f.target()));
        for target in targets {
            topology.resolve(target).map_err(ConfigError::BadTarget)?;
        }
        for fault in &self.faults {
            if let NodeFault::ClockDrift { rho, .. } = *fault
                && !(rho > -1.0 && rho < 1.0)
            {
                return Err(ConfigError::Drift(rho));
            }
        }
        self.validate_service()?;
        if let Estimator::Rare(_) = self.estimator {
            if self.engine != EngineKind::Sim {
                return Err(ConfigError::RareNeedsSim);
            }
            if self.pause.tail_nanos(0) <= 0.0 {
                return Err(ConfigError::RareNeedsStalls(self.pause.to_string()));
            }
            let client_stall = self.script.iter().any(|s| matches!(s.fault, ScriptedFault::Stall(_)))
                || self.faults.iter().any(|f| {
                    matches!(f, NodeFault::Stall { .. })
                        && topology
                            .resolve(f.target())
                            .unwrap_or_default()
                            .iter()
                            .any(|&n| topology.client_of(n).is_some())
                });
            if client_stall {
                return Err(ConfigError::RareForeignStall);
            }
        }
        Ok(())
    }

    /// Client `index`'s quota: the acquisitions split as evenly as they go (the first
    /// `acquisitions % clients` clients take one more, so the total is exactly `acquisitions`),
    /// or every instance.
    pub fn quota(&self, index: usize) -> u64 {
        match self.workload {
            Workload::Increment => {
                let p = self.clients as u64;
                self.acquisitions / p + u64::from((index as u64) < self.acquisitions % p)
            }
            Workload::Consensus { .. } => self.instances,
        }
    }

    /// Who is who in a run of this configuration.
    pub fn topology(&self) -> Topology {
        Topology { servers: self.servers, clients: self.clients }
    }

    /// Both bounds of the run: the horizon and the event budget in force.
    pub fn limits(&self) -> crate::engine::Limits {
        crate::engine::Limits { horizon: self.horizon(), max_events: self.event_budget() }
    }

    /// Acquisitions the workload asks for: `acquisitions`, or every client once per instance.
    pub fn planned_acquisitions(&self) -> u64 {
        match self.workload {
            Workload::Increment => self.acquisitions,
            Workload::Consensus { .. } => self.instances.saturating_mul(self.clients as u64),
        }
    }

    /// Renewals one section needs at most: a generous section length over the renewal interval.
    fn renewals_per_section(&self) -> u64 {
        if self.renew == 0 { 0 } else { self.per_acquisition().div_ceil(self.renew) }
    }

    /// Re-sends one request may need in a live run: those of a request left unanswered for a
    /// generous acquisition time.
    fn resends_per_request(&self) -> u64 {
        super::retry::Backoff::for_run(self).resends_within(self.per_acquisition())
    }

    /// The event budget in force: the one given, or else, for every acquisition the workload
    /// plans, what the design says a live acquisition may need
    /// ([`LockDesign::events_per_acquisition`](super::LockDesign::events_per_acquisition), 64
    /// for a queueing lock) plus two per renewal and, twice over, three (a copy, a reply and a
    /// timer) per re-send of each of its three requests (lock, read, write); never less than
    /// `MIN_EVENT_BUDGET`. A live lock spends a fraction of it; a run that spends it all was kept
    /// busy without finishing, and says so.
    pub fn event_budget(&self) -> u64 {
        if let Some(n) = self.max_events {
            return n;
        }
        let per_acquisition = self.variant.design().events_per_acquisition(self)
            + 2 * self.renewals_per_section()
            + 18 * self.resends_per_request();
        self.planned_acquisitions().saturating_mul(per_acquisition).clamp(MIN_EVENT_BUDGET, MAX_EVENTS)
    }

    /// The horizon in force: the one given, or a derived one. The derived horizon allows every
    /// acquisition the time a live lock could need for it (work, the whole lease and lock-delay, a
    /// typical stall, four link delays and a retry), ten times over in the simulator (where waiting
    /// is free) and twice over on threads (where it is wall time), and never less than a second.
    /// A live run therefore ends long before it; a run that reaches it has clients that could not
    /// get the lock.
    pub fn horizon(&self) -> Nanos {
        if let Some(h) = self.horizon {
            return h;
        }
        let needed = match self.workload {
            Workload::Increment => self.acquisitions.saturating_mul(self.per_acquisition()),
            Workload::Consensus { .. } => self.instances.saturating_mul(self.instance_period()),
        };
        let (slack, cap) = match self.engine {
            EngineKind::Sim => (10, Nanos::MAX / 4),
            EngineKind::Threads => (2, MAX_THREADS_HORIZON),
        };
        needed.saturating_mul(slack).clamp(SEC, cap)
    }

    /// A generous bound on the time one acquisition takes in a live run: the work, the whole lease
    /// and lock-delay, a typical stall, four link delays, a retry and a millisecond.
    pub fn per_acquisition(&self) -> Nanos {
        [
            self.work,
            self.lease.unwrap_or(0),
            self.lock_delay,
            self.pause.typical(),
            self.link.delay.typical().saturating_mul(4),
            self.retry,
            MS,
        ]
        .into_iter()
        .fold(0, Nanos::saturating_add)
    }

    /// The period between consensus instances in force: the one given, or room for every client
    /// to take the lock once ([`clients`](Self::clients) acquisitions).
    pub fn instance_period(&self) -> Nanos {
        self.instance_period.unwrap_or(self.per_acquisition().saturating_mul(self.clients as u64))
    }

    /// What storage checks.
    pub fn fencing(&self) -> Fencing {
        self.variant.fencing()
    }

    /// The checks of a run on a real service: the design and the servers go together, the run
    /// is on real time, and every fault aimed at a server is one that server can take.
    fn validate_service(&self) -> Result<(), ConfigError> {
        let design = self.variant.service();
        let service = match (design, &self.service) {
            (None, None) => return self.model_faults(),
            (Some(kind), None) => {
                return Err(ConfigError::Service(format!(
                    "the {} design runs on real servers: give --service {kind}",
                    self.variant
                )));
            }
            (None, Some(service)) => {
                return Err(ConfigError::Service(format!(
                    "the {} design has servers of its own: --service {} runs the designs made for {}",
                    self.variant, service.kind, service.kind
                )));
            }
            (Some(kind), Some(service)) if kind != service.kind => {
                return Err(ConfigError::Service(format!(
                    "the {} design runs on {kind}, not on {}",
                    self.variant, service.kind
                )));
            }
            (Some(_), Some(service)) => service,
        };
        if self.engine != EngineKind::Threads {
            return Err(ConfigError::ServiceNeedsThreads);
        }
        if !service.is_started() && service.at.len() != self.servers {
            return Err(ConfigError::Service(format!(
                "--service {service} names {} server(s), and the run has {} lock server(s)",
                service.at.len(),
                self.servers
            )));
        }
        let topology = self.topology();
        for fault in &self.faults {
            let on_server = topology
                .resolve(fault.target())
                .unwrap_or_default()
                .iter()
                .any(|&n| matches!(topology.role(n), Some(super::topology::Role::Server(_))));
            if !on_server {
                continue;
            }
            match fault {
                NodeFault::ClockJump { .. } | NodeFault::ClockDrift { .. } => {
                    return Err(ConfigError::ServerFault(format!(
                        "{fault}: a real server keeps its own clock, which faultline cannot move"
                    )));
                }
                _ if !service.is_started() => {
                    return Err(ConfigError::ServerFault(format!(
                        "{fault}: faultline cannot kill, freeze or restart servers it did not start (--service {} starts its own)",
                        service.kind
                    )));
                }
                _ => {}
            }
        }
        self.restarts_follow_crashes()
    }

    /// The checks of the model's faults where a real service's are not in play: the model's nodes
    /// never come back.
    fn model_faults(&self) -> Result<(), ConfigError> {
        match self.faults.iter().find(|f| matches!(f, NodeFault::Restart { .. })) {
            Some(fault) => Err(ConfigError::ServerFault(format!(
                "{fault}: only a real server restarts (--service redis or etcd); the model's nodes never come back"
            ))),
            None => Ok(()),
        }
    }

    /// Every restart names servers only, each killed by an earlier crash and not restarted since.
    fn restarts_follow_crashes(&self) -> Result<(), ConfigError> {
        let topology = self.topology();
        for fault in &self.faults {
            let NodeFault::Restart { target, at } = *fault else { continue };
            for node in topology.resolve(target).unwrap_or_default() {
                if !matches!(topology.role(node), Some(super::topology::Role::Server(_))) {
                    return Err(ConfigError::ServerFault(format!("{fault}: only servers restart")));
                }
                if super::faults::down_at(&self.faults, &topology, node, at).is_none() {
                    return Err(ConfigError::ServerFault(format!(
                        "{fault}: the server is not down then; a restart follows a crash (--crash server:K@TIME)"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether the run inflicts any fault: a stall law, a scripted fault, a partition, a fault
    /// aimed at a node, a drifting clock, or links that lose, duplicate, delay or reorder. Without
    /// one, a violation has nothing in the model to explain it, only the machine it ran on.
    pub fn injects_faults(&self) -> bool {
        !self.pause.is_none()
            || !self.script.is_empty()
            || !self.partitions.is_empty()
            || !self.faults.is_empty()
            || self.drift != 0.0
            || !self.link.is_perfect()
    }
}

impl EngineKind {
    /// The engine a run of `variant` gets when none is named: real servers need real time.
    pub fn default_for(variant: Variant) -> EngineKind {
        if variant.service().is_some() { EngineKind::Threads } else { EngineKind::Sim }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Changing the design applies its defaults to what was still at the old design's, and
    /// keeps what was changed (issue 15: a Redlock built from a lease ran on one server).
    #[test]
    fn another_variant_brings_its_defaults() {
        let lease = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        assert_eq!(lease.with_variant(Variant::REDLOCK), LockConfig::new(Variant::REDLOCK, EngineKind::Sim));
        assert_eq!(lease.with_variant(Variant::REDLOCK).servers, 3);
        let mut changed = lease.clone().consensus(DecideBy::Effect);
        changed.lease = Some(20 * MS);
        changed.clients = 5;
        let delay = changed.with_variant(Variant::LOCK_DELAY);
        assert_eq!((delay.lease, delay.clients, delay.lock_delay), (Some(20 * MS), 5, 5 * MS));
        assert_eq!(delay.workload, changed.workload);
        let held = lease.with_variant(Variant::NON_PREEMPTIVE);
        assert_eq!(held, LockConfig::new(Variant::NON_PREEMPTIVE, EngineKind::Sim));
        assert_eq!(held.validate(), Ok(()));
        assert_eq!(held.with_variant(Variant::LEASE_MARGIN).validate(), Ok(()));
    }
}
