//! The lock design interface: what a design supplies, and the registry `--variant` reads.
//!
//! A design is the lock and nothing else. It supplies its lock server node(s) and, for each
//! client, a [`LockStub`]: the client-side acquire / validity / release logic. Everything around
//! it is shared by every design: the critical-section workloads (increment, consensus), storage,
//! the outbox, the fault environment, the oracle, the engines, the command line, sweeps,
//! predictions and reports. So a design of your own is measured by exactly the rules the
//! built-in ones are.
//!
//! ```text
//!            ┌──────────── shared ────────────┐         ┌── the design ──┐
//!  client:   workload ─▶ stub.acquire ──────────────────▶ lock server(s)
//!            ◀── Some(token) from stub.on_msg ◀─────────── Grant / Refused
//!            P1 ─▶ margin check (stub.time_left) ─▶ read ─▶ P2 ─▶ work ─▶ write ─▶ SMS
//!            stub.release ─────────────────────────────────▶ Release
//! ```
//!
//! To add a built-in design, write one file in `src/lock/designs/` with a type implementing
//! [`LockDesign`], and add one line to [`designs::BUILT_IN`](super::designs::BUILT_IN). A design
//! outside the crate calls [`register`] once, before parsing the command line or reading a
//! configuration; `examples/my_lock_design.rs` does that for a lease with a server-side grace
//! period. A design's own settings are [`Param`]s it declares ([`LockDesign::params`]): the
//! configuration carries their values, `--param NAME=VALUE` sets them and sweeps list them, so
//! one registered design covers every value.
//!
//! The messages a design may use are [`LockMsg`]'s lock messages (request, grant, refusal,
//! release, renewal). A design names its own timers ([`DesignTimer`]), in its servers and its
//! stubs alike; the client skeleton keeps its own apart, so neither needs to know the other's.

use super::config::{ConfigError, LockConfig};
use super::msg::{LockEvent, LockMsg, Token};
use super::params::Param;
use super::storage::Fencing;
use super::topology::Topology;
use crate::node::{Node, NodeId, Out};
use crate::service::ServiceKind;
use crate::time::Nanos;
use std::fmt;
use std::sync::RwLock;

/// A design's name for one of its timers, in a server or a stub: `DesignTimer::named("expiry")`.
/// The names are the design's own: the client skeleton and the world carry them without reading
/// them, so two timers of one node need two names and nothing more. (A name rather than an enum
/// of the design's because servers and stubs of every design share one type at run time.)
///
/// The engines compare timers on every arming, cancel and firing, so a name is kept as its
/// 64-bit hash ([`fnv1a`](crate::digest::fnv1a), computed where the constant is written): an
/// integer compare rather than a string compare. Two names of one node that hashed alike would be
/// one timer; for a handful of names the chance is below 10^-18.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DesignTimer(u64);

impl DesignTimer {
    /// The timer called `name`.
    pub const fn named(name: &str) -> Self {
        DesignTimer(crate::digest::fnv1a(name.as_bytes()))
    }
}

impl fmt::Debug for DesignTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DesignTimer({:#018x})", self.0)
    }
}

/// What a design's servers and stubs write their commands into.
pub type DesignOut = Out<LockMsg, LockEvent, DesignTimer>;

/// A lock server node: any [`Node`] of the lock world's messages that names its timers as a
/// design does.
pub trait LockService: Node<Msg = LockMsg, Obs = LockEvent, Timer = DesignTimer> + fmt::Debug + Send {}
impl<T: Node<Msg = LockMsg, Obs = LockEvent, Timer = DesignTimer> + fmt::Debug + Send> LockService for T {}

/// A client's side of a lock design: how it acquires, how long it may trust what it holds, how it
/// lets go. Sans-IO like every node: it answers with commands in `out`.
///
/// The client skeleton calls [`acquire`](Self::acquire) when it wants the lock, hands the stub
/// every message that is not a storage reply and every timer it set, and calls
/// [`release`](Self::release) when it leaves its section, whether it finished, aborted or was
/// refused by storage. The stub says the lock is held by returning `Some(token)`, once per
/// acquisition; the token is what the client presents to storage, which fencing storage compares.
pub trait LockStub: fmt::Debug + Send {
    /// Start acquiring the lock.
    fn acquire(&mut self, now: Nanos, out: &mut DesignOut);
    /// A message from `from`; `Some(token)` when it completes the acquisition.
    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) -> Option<Token>;
    /// One of the stub's own timers fired; `Some(token)` when that completes the acquisition.
    fn on_timer(&mut self, now: Nanos, timer: DesignTimer, out: &mut DesignOut) -> Option<Token>;
    /// Local time left before the servers may take the lock back, as this client's clock sees it
    /// (negative once it believes the lock expired); `None` for a lock never taken away. The
    /// margin check compares it with `m`.
    fn time_left(&self, now: Nanos) -> Option<i128>;
    /// Give the lock back (or stop acquiring it).
    fn release(&mut self, now: Nanos, out: &mut DesignOut);
}

/// What the closed forms of [`predict`](super::predict) need to know of a design under the
/// model's contention (docs/model.md §4). A design that returns `None` from
/// [`LockDesign::timing`] is measured but not predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The lease the client counts down, which its margin check measures; `None` if the lock is
    /// never taken away.
    pub lease: Option<Nanos>,
    /// How long after a grant the service takes the lock back from a holder that has not
    /// released: the lease, plus any server-side grace.
    pub expiry: Option<Nanos>,
    /// After taking a lock back, how long the service keeps it from everyone (Chubby's
    /// lock-delay); a release frees the lock at once.
    pub lock_delay: Nanos,
    /// Waiters queue and the service grants the moment the lock is free, so the hold law (waits
    /// and unavailability) applies. Clients that poll and back off wait longer than it says.
    pub queued: bool,
}

/// A lock design. See the module docs.
pub trait LockDesign: fmt::Debug + Send + Sync + 'static {
    /// The name `--variant` takes: lowercase words joined by `-`.
    fn name(&self) -> &str;
    /// One line for `faultline lock --help`.
    fn about(&self) -> &str;
    /// True when the servers take the lock back after a lease (`--lease` and what goes with it
    /// apply). Default: true.
    fn preemptive(&self) -> bool {
        true
    }
    /// True when the design runs on several lock servers (`--servers` applies). Default: false,
    /// one server.
    fn multi_server(&self) -> bool {
        false
    }
    /// What storage checks. Default: nothing ([`Fencing::None`]).
    fn fencing(&self) -> Fencing {
        Fencing::None
    }
    /// Sets this design's own defaults on a configuration that [`LockConfig::new`] has just
    /// filled with the common ones. Default: none, the common ones stand.
    fn defaults(&self, _cfg: &mut LockConfig) {}
    /// The design's own parameters: what `--param NAME=VALUE` sets and the configuration carries
    /// ([`LockConfig::params`]), read with [`Param::duration_in`] or [`Param::number_in`].
    /// Default: none.
    fn params(&self) -> &[Param] {
        &[]
    }
    /// Checks what only this design requires, after the common checks passed (the parameters'
    /// names and kinds among them). Default: nothing more.
    fn validate(&self, _cfg: &LockConfig) -> Result<(), ConfigError> {
        Ok(())
    }
    /// Lock server `index` (0-based) of the run.
    fn server(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockService>;
    /// Client `index`'s stub.
    fn stub(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockStub>;
    /// Servers that must be up for the lock to be granted at all; fewer, and the oracle counts
    /// the service as down (unavailable while a client waits). Default: a [`majority`] of them.
    fn quorum(&self, servers: usize) -> usize {
        majority(servers)
    }
    /// What the closed forms need, or `None` if they do not cover this design.
    fn timing(&self, cfg: &LockConfig) -> Option<Timing>;
    /// Engine events a live run may need per acquisition, for the derived event budget; a design
    /// whose clients poll needs more than one that queues them. Default: 64, what a queueing
    /// lock needs.
    fn events_per_acquisition(&self, _cfg: &LockConfig) -> u64 {
        64
    }
    /// The real service this design's servers stand for, when they are adapters to one
    /// ([`super::designs::redis`], [`super::designs::etcd`]): such a design runs on the threads
    /// engine only, against the servers `--service` names or faultline starts. Default: none,
    /// the design's servers are its own.
    fn service(&self) -> Option<ServiceKind> {
        None
    }
}

/// The smallest number of `servers` that outnumbers the rest: `servers / 2 + 1`. Two majorities
/// always share a server.
pub fn majority(servers: usize) -> usize {
    servers / 2 + 1
}

/// A registered design: what configurations, the command line and sweeps name. Compared, hashed
/// and serialised by name.
#[derive(Clone, Copy)]
pub struct Variant(&'static dyn LockDesign);

impl Variant {
    /// A variant for `design` (the built-in list uses this; use [`register`] for a design of your
    /// own, so that names resolve to it).
    pub const fn of(design: &'static dyn LockDesign) -> Variant {
        Variant(design)
    }

    /// The design.
    pub fn design(self) -> &'static dyn LockDesign {
        self.0
    }

    /// The name the command line uses.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// True for the designs whose servers take the lock back.
    pub fn preemptive(self) -> bool {
        self.0.preemptive()
    }

    /// What storage checks under this design.
    pub fn fencing(self) -> Fencing {
        self.0.fencing()
    }

    /// The real service this design's servers stand for, if any ([`LockDesign::service`]).
    pub fn service(self) -> Option<ServiceKind> {
        self.0.service()
    }

    /// This design on the real service `kind`: itself if it already is one of `kind`'s designs,
    /// else the design registered as `KIND-NAME` (`lease` on redis is `redis-lease`).
    pub fn on_service(self, kind: ServiceKind) -> Result<Variant, String> {
        if self.service() == Some(kind) {
            return Ok(self);
        }
        let name = format!("{kind}-{}", self.name());
        all().into_iter().find(|v| v.name() == name && v.service() == Some(kind)).ok_or_else(|| {
            format!(
                "the {} design has no version on {kind}: use --variant {}",
                self.name(),
                on(kind).join(", ")
            )
        })
    }

    /// The registered design called `name`.
    pub fn parse(name: &str) -> Result<Variant, String> {
        all().into_iter().find(|v| v.name() == name).ok_or_else(|| {
            let names: Vec<&str> = all().iter().map(|v| v.name()).collect();
            format!("{} is not a lock design: use one of {}", crate::input::Quoted(name), names.join(", "))
        })
    }
}

impl fmt::Debug for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Variant({})", self.name())
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Variant {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}
impl Eq for Variant {}
impl std::hash::Hash for Variant {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state)
    }
}

impl serde::Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Variant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Variant::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Designs registered at run time, after the built-in ones.
static REGISTERED: RwLock<Vec<Variant>> = RwLock::new(Vec::new());

/// Every design `--variant` accepts: the built-in ones, then those registered, in order.
pub fn all() -> Vec<Variant> {
    let registered = REGISTERED.read().unwrap_or_else(|e| e.into_inner());
    super::designs::BUILT_IN.iter().copied().chain(registered.iter().copied()).collect()
}

/// Why a design could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// Another design already has the name.
    #[error("a lock design called {0} is already registered")]
    Taken(String),
    /// The name is empty or has characters other than lowercase letters, digits and `-`.
    #[error("{0:?} cannot name a lock design: use lowercase letters, digits and -")]
    BadName(String),
}

/// Registers `design` so that `--variant`, configurations and sweeps can name it, and returns its
/// variant. The design lives for the rest of the process.
pub fn register(design: impl LockDesign) -> Result<Variant, RegisterError> {
    let name = design.name().to_string();
    let well_formed = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-');
    if !well_formed {
        return Err(RegisterError::BadName(name));
    }
    let mut registered = REGISTERED.write().unwrap_or_else(|e| e.into_inner());
    let taken = super::designs::BUILT_IN.iter().chain(registered.iter()).any(|v| v.name() == name);
    if taken {
        return Err(RegisterError::Taken(name));
    }
    let variant = Variant(Box::leak(Box::new(design)));
    registered.push(variant);
    Ok(variant)
}

/// The designs `kind` runs, by the names `--variant` takes with `--service KIND` (`lease` for
/// `redis-lease`).
pub fn on(kind: ServiceKind) -> Vec<&'static str> {
    let prefix = format!("{kind}-");
    all()
        .into_iter()
        .filter(|v| v.service() == Some(kind))
        .map(|v| v.name().strip_prefix(&prefix).unwrap_or(v.name()))
        .collect()
}

/// The designs as `faultline lock --help` lists them: one line each, from the registry.
pub fn help() -> String {
    let designs = all();
    let width = designs.iter().map(|v| v.name().len()).max().unwrap_or(0);
    let mut text = String::new();
    for v in designs {
        text.push_str(&format!("  {:width$}  {}\n", v.name(), v.design().about()));
        for param in v.design().params() {
            text.push_str(&format!("  {:width$}    {}\n", "", param.help()));
        }
    }
    text
}
