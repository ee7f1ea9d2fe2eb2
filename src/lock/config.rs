//! One run's configuration: the variant, the workload, the faults, the engine and the seed.
//!
//! [`LockConfig::new`] gives the documented defaults for a variant and engine; every field can then
//! be changed, and [`LockConfig::validate`] says, in one line, what is wrong with a combination.

use super::client::{DecideBy, TimerStart, Workload};
use super::storage::Fencing;
use crate::fault::{Dist, LinkPlan};
use crate::node::PausePoint;
use crate::time::{Human, MS, Nanos, SEC};
use serde::{Deserialize, Serialize};

/// The lock designs under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Held until released; never taken away.
    NonPreemptive,
    /// A lease of `L`: the service takes the lock back when it expires.
    Lease,
    /// A lease plus a client-side safety margin `m` checked before touching storage.
    LeaseMargin,
    /// A lease plus Chubby's lock-delay `D` after an expiry.
    LockDelay,
    /// A lease plus fencing tokens checked by storage on every access.
    Fenced,
    /// A lease plus fencing tokens checked on writes only (deliberately flawed).
    FencedWrites,
}

impl Variant {
    /// Every variant, in the order tables list them.
    pub const ALL: [Variant; 6] = [
        Variant::NonPreemptive,
        Variant::Lease,
        Variant::LeaseMargin,
        Variant::Fenced,
        Variant::FencedWrites,
        Variant::LockDelay,
    ];

    /// The name the command line uses.
    pub fn name(self) -> &'static str {
        match self {
            Variant::NonPreemptive => "non-preemptive",
            Variant::Lease => "lease",
            Variant::LeaseMargin => "lease-margin",
            Variant::LockDelay => "lock-delay",
            Variant::Fenced => "fenced",
            Variant::FencedWrites => "fenced-writes",
        }
    }

    /// True for the variants whose service takes the lock back.
    pub fn preemptive(self) -> bool {
        self != Variant::NonPreemptive
    }

    /// What storage checks under this variant.
    pub fn fencing(self) -> Fencing {
        match self {
            Variant::Fenced => Fencing::All,
            Variant::FencedWrites => Fencing::WritesOnly,
            _ => Fencing::None,
        }
    }
}

/// Which engine runs the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// The deterministic simulator (virtual time).
    Sim,
    /// One OS thread per node, wall-clock time, real sleeps.
    Threads,
}

/// What a partition cuts the faulty client (client 1) off from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The lock service (requests, grants, releases, renewals).
    Lock,
    /// Storage (reads, writes and their replies).
    Storage,
}

/// A window of true time in which every message between client 1 and `target` is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// What client 1 is cut off from.
    pub target: Target,
    /// Start of the window.
    #[serde(with = "crate::time::human")]
    pub from: Nanos,
    /// End of the window (exclusive).
    #[serde(with = "crate::time::human")]
    pub until: Nanos,
}

impl Partition {
    /// Parses `lock:10ms..200ms` or `storage:0..50ms`.
    pub fn parse(text: &str) -> Result<Partition, String> {
        let usage = || {
            format!(
                "{} is not a partition: expected lock:FROM..UNTIL or storage:FROM..UNTIL, e.g. lock:10ms..200ms",
                crate::input::Quoted(text)
            )
        };
        let (target, window) = text.split_once(':').ok_or_else(usage)?;
        let target = match target {
            "lock" => Target::Lock,
            "storage" => Target::Storage,
            _ => return Err(usage()),
        };
        let (from, until) = window.split_once("..").ok_or_else(usage)?;
        let from = crate::time::parse_duration(from).map_err(|e| e.to_string())?;
        let until = crate::time::parse_duration(until).map_err(|e| e.to_string())?;
        Ok(Partition { target, from, until })
    }

    /// True when the window covers true time `t`.
    pub fn covers(&self, t: Nanos) -> bool {
        (self.from..self.until).contains(&t)
    }
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

/// A fault scripted for one acquisition of one client, overriding the stall distribution there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scripted {
    /// The client (0-based).
    pub client: usize,
    /// Its acquisition (1 = its first grant).
    pub acquisition: u64,
    /// Where in that critical section.
    pub at: PausePoint,
    /// What happens there.
    pub fault: ScriptedFault,
}

/// What a scripted fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptedFault {
    /// Freeze for this long.
    Stall(#[serde(with = "crate::time::human")] Nanos),
    /// Crash while holding the lock.
    Crash,
}

/// Everything one run needs. It reads back from the JSON it writes (`faultline lock --json`,
/// then `--config`), or from TOML, where an absent optional field means `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockConfig {
    /// The lock design.
    pub variant: Variant,
    /// The engine.
    pub engine: EngineKind,
    /// Number of clients `p` (at least 2).
    pub clients: usize,
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
    /// Partition windows of client 1.
    pub partitions: Vec<Partition>,
    /// Client clock drift ρ: client clocks run at `1 - ρ`.
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
    /// Master seed of every random stream.
    pub seed: u64,
}

/// What is wrong with a configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// Fewer than two clients: without contention nothing can overlap or block.
    #[error("--clients must be at least 2 (got {0}): the results need contention")]
    TooFewClients(usize),
    /// More clients than the engines are built for.
    #[error("--clients must be at most {max} (got {got})")]
    TooManyClients { got: usize, max: usize },
    /// A non-preemptive lock was given a lease-only setting.
    #[error("{0} needs a preemptive variant; the non-preemptive lock has no lease")]
    NeedsLease(&'static str),
    /// A preemptive variant with a zero lease.
    #[error("--lease must be greater than 0")]
    ZeroLease,
    /// The lease-margin variant without a margin.
    #[error("the lease-margin variant needs --margin (0 checks only that the lease has not expired)")]
    MissingMargin,
    /// The lock-delay variant without a delay.
    #[error("the lock-delay variant needs --lock-delay greater than 0")]
    MissingLockDelay,
    /// A margin at least as long as the lease would abort every section.
    #[error("--margin ({margin}) must be shorter than --lease ({lease})")]
    MarginTooLarge { margin: String, lease: String },
    /// Renewals no more frequent than the lease cannot keep it.
    #[error("--renew ({renew}) must be shorter than --lease ({lease})")]
    RenewTooSlow { renew: String, lease: String },
    /// Drift outside `[0, 1)`.
    #[error("--drift must be at least 0 and below 1 (got {0})")]
    Drift(f64),
    /// A probability outside `[0, 1]`.
    #[error("{flag} must be a probability between 0 and 1 (got {value})")]
    Probability { flag: &'static str, value: f64 },
    /// Nothing to do, or no time between instances.
    #[error("{0} must be greater than 0")]
    ZeroWork(&'static str),
    /// No time to do it in.
    #[error("--horizon must be greater than 0")]
    ZeroHorizon,
    /// A threaded run longer than the engine allows, to keep runs from seeming to hang.
    #[error("--horizon of a threads run must be at most {max} (got {got})")]
    HorizonTooLong { got: String, max: String },
    /// A partition window that ends before it starts.
    #[error("partition {0} ends before it starts")]
    EmptyPartition(String),
    /// A scripted fault for a client that does not exist, or at acquisition 0.
    #[error("--crash must name acquisition 1 or later of an existing client")]
    BadScript,
    /// A workload larger than any run is allowed to be.
    #[error("{flag} must be at most {max} (got {got}): {why}")]
    TooLarge { flag: &'static str, got: u64, max: u64, why: &'static str },
    /// Renewals so frequent that one section would need more of them than a run can afford.
    #[error(
        "--renew {renew} would renew about {per_section} times per section (at most {MAX_RENEWALS_PER_SECTION}): renew less often"
    )]
    RenewTooOften { renew: String, per_section: u64 },
    /// An event budget of zero, or beyond the largest allowed.
    #[error("--max-events must be between 1 and {MAX_EVENTS} (got {0})")]
    EventBudget(u64),
}

/// Most clients an engine runs (threads: one OS thread each).
pub const MAX_CLIENTS: usize = 256;
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
/// The derived event budget allows a live lock this many events per acquisition (it needs about
/// 12, plus two per renewal), so only a run that cannot make progress ever spends it.
const EVENTS_PER_ACQUISITION: u64 = 64;
/// The derived event budget is never smaller than this, so small runs have room for slow starts.
const MIN_EVENT_BUDGET: u64 = 1_000_000;

impl LockConfig {
    /// The defaults for `variant` on `engine`: 2 clients, L = 10 ms, w = 1 ms, exponential stalls
    /// of mean 5 ms after the check, perfect links, and a workload sized for the engine.
    pub fn new(variant: Variant, engine: EngineKind) -> Self {
        let sim = engine == EngineKind::Sim;
        LockConfig {
            variant,
            engine,
            clients: 2,
            lease: variant.preemptive().then_some(10 * MS),
            margin: (variant == Variant::LeaseMargin).then_some(2 * MS),
            lock_delay: if variant == Variant::LockDelay { 5 * MS } else { 0 },
            timer_start: TimerStart::Grant,
            retry: 20 * MS,
            renew: 0,
            work: MS,
            pause: Dist::Exp { mean: 5 * MS },
            pause_at: PausePoint::P2,
            script: Vec::new(),
            partitions: Vec::new(),
            drift: 0.0,
            link: LinkPlan::PERFECT,
            links: LinkScope::ALL,
            workload: Workload::Increment,
            acquisitions: if sim { 10_000 } else { 500 },
            instances: if sim { 1_000 } else { 100 },
            instance_period: None,
            horizon: None,
            max_events: None,
            seed: 1,
        }
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
        // A margin of 0 is the most common check of all ("is my lease still valid?" right before
        // touching storage): it aborts only once the client's own clock says the lease is over.
        if self.variant == Variant::LeaseMargin && self.margin.is_none() {
            return Err(ConfigError::MissingMargin);
        }
        if self.variant == Variant::LockDelay && self.lock_delay == 0 {
            return Err(ConfigError::MissingLockDelay);
        }
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
        for (flag, value) in [
            ("--drop", self.link.drop),
            ("--duplicate", self.link.duplicate),
            ("--reorder", self.link.reorder),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ConfigError::Probability { flag, value });
            }
        }
        match self.workload {
            Workload::Increment if self.acquisitions == 0 => {
                return Err(ConfigError::ZeroWork("--acquisitions"));
            }
            Workload::Consensus { .. } if self.instances == 0 => {
                return Err(ConfigError::ZeroWork("--instances"));
            }
            _ => {}
        }
        if self.instance_period == Some(0) {
            return Err(ConfigError::ZeroWork("--instance-period"));
        }
        if self.horizon == Some(0) {
            return Err(ConfigError::ZeroHorizon);
        }
        for (flag, got, max, why) in [
            ("--acquisitions", self.acquisitions, MAX_ACQUISITIONS, "a larger run would take hours"),
            (
                "--instances",
                self.instances,
                MAX_INSTANCES,
                "every instance keeps a register for the whole run",
            ),
        ] {
            if got > max {
                return Err(ConfigError::TooLarge { flag, got, max, why });
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

    /// Re-sends one request may need in a live run: the retry interval doubles each time, so it
    /// reaches a generous acquisition time after about log2(time / retry) re-sends.
    fn resends_per_request(&self) -> u64 {
        self.per_acquisition().checked_div(self.retry).map_or(0, |n| u64::from(64 - n.leading_zeros()))
    }

    /// The event budget in force: the one given, or else, for every acquisition the workload
    /// plans, `EVENTS_PER_ACQUISITION` plus two per renewal and, twice over, three (a copy, a
    /// reply and a timer) per re-send of each of its three requests (lock, read, write); never
    /// less than `MIN_EVENT_BUDGET`. A live lock spends a fraction of it; a run that spends it
    /// all was kept busy without finishing, and says so.
    pub fn event_budget(&self) -> u64 {
        if let Some(n) = self.max_events {
            return n;
        }
        let per_acquisition =
            EVENTS_PER_ACQUISITION + 2 * self.renewals_per_section() + 18 * self.resends_per_request();
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
    fn per_acquisition(&self) -> Nanos {
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
}
