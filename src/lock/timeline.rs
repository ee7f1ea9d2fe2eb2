//! Replaying a run to its first violation, and showing what happened around it.
//!
//! [`replay`] runs a configuration again (a seed replays a simulated run exactly) with a
//! [`Recorder`] beside the oracle. The recorder applies the oracle's definitions
//! ([`crate::check::lock_oracle`]) as the events stream past and keeps only a ring of the last `K`
//! happenings; at the first violation it freezes that ring as the window's past and collects the
//! next `K`. Its memory is therefore `O(K)` per client whatever the length of the run, and the
//! [`Window`] can be rendered as text ([`Window::text`]) or as a Mermaid sequence diagram
//! ([`Window::mermaid`]).
//!
//! What counts as a violation, in the oracle's terms:
//!
//! - an **overlap**: a client entering while another is inside. If that client has not touched
//!   storage yet, the verdict is suspended: an overlap whose holder then aborts at its margin check
//!   without touching anything did no harm (the oracle's `aborted_overlaps`) and is not a
//!   violation; one whose holder goes on is, from the moment of the entry;
//! - a **stale access**, accepted or rejected (an accepted stale write is where an update is lost:
//!   the oracle counts lost updates only at the end of the run, so the write is where the replay
//!   points);
//! - a **stale effect** and a **duplicate effect** (an SMS repeating a counter value);
//! - a consensus **disagreement**.

use super::client::{DecideBy, Workload};
use super::config::{ConfigError, LockConfig};
use super::msg::{Exit, LockEvent, Op, Token};
use super::run::{LockReport, run_observed};
use super::topology::{Role, Topology};
use super::trace::{Entry, Happening};
use crate::check::seen::SeenValues;
use crate::check::succession::Succession;
use crate::engine::{FaultEvent, Observer};
use crate::node::NodeId;
use crate::report::mermaid::{Arrow, Diagram};
use crate::time::{Human, Nanos};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::fmt::{self, Write};

/// Happenings kept on each side of the first violation unless asked otherwise: about five critical
/// sections of two clients, enough to see who held the lock and how it was lost.
pub const DEFAULT_CONTEXT: usize = 40;

/// The most happenings kept on each side: a window is for reading, and a larger one would only
/// cost memory (up to two windows per client are kept while an overlap is undecided).
pub const MAX_CONTEXT: usize = 1_000;

/// Why a replay cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplayError {
    /// The configuration is not one a run accepts.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The run could not be judged.
    #[error(transparent)]
    Run(#[from] crate::lock::run::RunError),
    /// More context than [`MAX_CONTEXT`] was asked for.
    #[error("the context must be at most {MAX_CONTEXT} happenings on each side (got {0})")]
    ContextTooLarge(usize),
}

/// The first violation of a run. Clients are numbered from 0, as in [`LockEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// `client` entered its section with `token` while `holder` was still inside its section of
    /// `held`, and `holder` did not then abort without acting.
    Overlap {
        /// Who entered.
        client: usize,
        /// The token it entered with.
        token: Token,
        /// Who was still inside.
        holder: usize,
        /// The holder's token.
        held: Token,
    },
    /// `client` touched storage with `token` after another client had entered.
    StaleAccess {
        /// Who.
        client: usize,
        /// The token it presented.
        token: Token,
        /// What it did.
        op: Op,
        /// Whether storage accepted it (a fenced storage refuses it).
        accepted: bool,
    },
    /// The outbox sent `client`'s SMS after another client had entered.
    StaleEffect {
        /// Whose SMS.
        client: usize,
        /// The token its section held.
        token: Token,
        /// The value it carried.
        value: u64,
    },
    /// The outbox sent an SMS carrying a counter value an earlier SMS carried.
    DuplicateEffect {
        /// Whose SMS.
        client: usize,
        /// The sender's token.
        token: Token,
        /// The repeated value.
        value: u64,
    },
    /// `client` decided `value` in `instance`, already decided `earlier`.
    Disagreement {
        /// Who decided differently.
        client: usize,
        /// The consensus instance.
        instance: u64,
        /// Its decision.
        value: u64,
        /// The instance's first decision.
        earlier: u64,
    },
}

impl Violation {
    /// A few words naming the kind of violation.
    pub fn kind(&self) -> &'static str {
        match self {
            Violation::Overlap { .. } => "overlap",
            Violation::StaleAccess { op: Op::Write(_), accepted: true, .. } => {
                "stale write accepted (lost update)"
            }
            Violation::StaleAccess { accepted: true, .. } => "stale read accepted",
            Violation::StaleAccess { accepted: false, .. } => "stale access rejected",
            Violation::StaleEffect { .. } => "stale effect",
            Violation::DuplicateEffect { .. } => "duplicate effect",
            Violation::Disagreement { .. } => "disagreement",
        }
    }

    /// The nodes the violation is about, lowest first.
    fn nodes(&self, t: &Topology) -> Vec<NodeId> {
        let mut nodes = match *self {
            Violation::Overlap { client, holder, .. } => vec![t.client(client), t.client(holder)],
            Violation::StaleAccess { client, .. } => vec![t.storage(), t.client(client)],
            Violation::StaleEffect { client, .. } | Violation::DuplicateEffect { client, .. } => {
                vec![t.outbox(), t.client(client)]
            }
            Violation::Disagreement { client, .. } => vec![t.client(client)],
        };
        nodes.sort_unstable();
        nodes
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Violation::Overlap { client, token, holder, held } => write!(
                f,
                "client {} entered with token {token} while client {} was still inside with token {held}",
                client + 1,
                holder + 1
            ),
            Violation::StaleAccess { client, token, op, accepted } => {
                let what = match op {
                    Op::Read => "read".to_string(),
                    Op::Write(v) => format!("wrote {v}"),
                };
                let verdict = if accepted { "storage accepted it" } else { "storage rejected it (fencing)" };
                write!(
                    f,
                    "client {} {what} with token {token} after another client had entered, and {verdict}",
                    client + 1
                )
            }
            Violation::StaleEffect { client, token, value } => write!(
                f,
                "the outbox sent client {}'s SMS {value} (token {token}) after another client had entered",
                client + 1
            ),
            Violation::DuplicateEffect { client, token, value } => write!(
                f,
                "the outbox sent client {}'s SMS {value} (token {token}), a value an earlier SMS carried",
                client + 1
            ),
            Violation::Disagreement { client, instance, value, earlier } => write!(
                f,
                "client {} decided {value} in instance {instance}, which was already decided {earlier}",
                client + 1
            ),
        }
    }
}

/// The overlapped holder's first act after the grant, when it fell beyond the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Later {
    /// Happenings between the end of the window and the act.
    pub skipped: u64,
    /// The act: a storage access or an SMS.
    pub entry: Entry,
}

/// The first violation and the happenings around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// What went wrong.
    pub violation: Violation,
    /// Up to `K` happenings before the violating one, that one, and up to `K` after, in true-time
    /// order.
    pub entries: Vec<Entry>,
    /// Index of the violating happening in `entries`.
    pub at: usize,
    /// For an overlap, the holder's first act after the entry if it came after the window: the
    /// harm an overlap does is that act, and a diagram without it would not show it.
    pub later: Option<Later>,
    /// Who is who in the run.
    pub topology: Topology,
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// The run's first violation.
    Violation(Window),
    /// The run ended without any violation.
    Clean,
}

/// A replayed run: its report, as `faultline lock` would print it, and what the recorder found.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// The run's metrics.
    pub report: LockReport,
    /// Its first violation, if any.
    pub finding: Finding,
}

/// Runs `cfg` again and finds its first violation, keeping `context` happenings on each side.
pub fn replay(cfg: &LockConfig, context: usize) -> Result<Replay, ReplayError> {
    let mut recorder = Recorder::new(cfg, context)?;
    let report = run_observed(cfg, &mut recorder)?;
    Ok(Replay { report, finding: recorder.finish() })
}

/// A client's newest critical section, as the oracle sees it.
#[derive(Debug, Clone, Copy, Default)]
struct Section {
    token: Token,
    inside: bool,
    touched: bool,
    overlapped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// An overlap whose holder has not acted yet: harmless if it aborts, a violation otherwise.
    Pending,
    Confirmed,
    Dropped,
}

/// A possible first violation and its window so far.
#[derive(Debug)]
struct Candidate {
    violation: Violation,
    state: State,
    before: Vec<Entry>,
    entry: Entry,
    after: Vec<Entry>,
    /// The overlapped holder, until its first act after the grant (or its leaving) is seen.
    watch: Option<usize>,
    skipped: u64,
    later: Option<Later>,
}

/// What a happening means to a watched holder.
enum ForHolder {
    Acts,
    Leaves,
    Nothing,
}

fn for_holder(e: &Entry, holder: usize, topology: &Topology) -> ForHolder {
    match e.what {
        Happening::Event(
            LockEvent::Accessed { client, .. }
            | LockEvent::Effect { client, .. }
            | LockEvent::Decided { client, .. },
        ) if client == holder => ForHolder::Acts,
        Happening::Event(LockEvent::Left { client, .. } | LockEvent::Entered { client, .. })
            if client == holder =>
        {
            ForHolder::Leaves
        }
        Happening::Fault(FaultEvent::Crash) if e.node == topology.client(holder) => ForHolder::Leaves,
        _ => ForHolder::Nothing,
    }
}

impl Candidate {
    fn new(violation: Violation, state: State, recent: &VecDeque<Entry>, entry: Entry) -> Self {
        let watch = match violation {
            Violation::Overlap { holder, .. } => Some(holder),
            _ => None,
        };
        let before = recent.iter().copied().collect();
        Candidate { violation, state, before, entry, after: Vec::new(), watch, skipped: 0, later: None }
    }

    fn complete(&self, context: usize) -> bool {
        self.after.len() >= context && self.watch.is_none()
    }

    fn feed(&mut self, e: &Entry, context: usize, topology: &Topology) {
        let seen = match self.watch {
            Some(holder) => for_holder(e, holder, topology),
            None => ForHolder::Nothing,
        };
        if self.after.len() < context {
            self.after.push(*e);
            if !matches!(seen, ForHolder::Nothing) {
                self.watch = None;
            }
            return;
        }
        match seen {
            ForHolder::Acts => {
                self.later = Some(Later { skipped: self.skipped, entry: *e });
                self.watch = None;
            }
            ForHolder::Leaves => self.watch = None,
            ForHolder::Nothing if self.watch.is_some() => self.skipped += 1,
            ForHolder::Nothing => {}
        }
    }

    fn into_window(self, topology: Topology) -> Window {
        let at = self.before.len();
        let mut entries = self.before;
        entries.push(self.entry);
        entries.extend(self.after);
        Window { violation: self.violation, entries, at, later: self.later, topology }
    }
}

/// An observer that finds a run's first violation and keeps the happenings around it.
///
/// Run it beside the oracle with [`run_observed`], then call [`Recorder::finish`]; [`replay`] does
/// both.
#[derive(Debug)]
pub struct Recorder {
    context: usize,
    workload: Workload,
    topology: Topology,
    recent: VecDeque<Entry>,
    sections: Vec<Section>,
    succession: Succession,
    sent_values: SeenValues,
    decisions: Vec<Option<u64>>,
    /// Possible first violations in the order they happened: pending overlaps, and at most one
    /// confirmed violation behind them (a later one could never be first).
    candidates: VecDeque<Candidate>,
    first: Option<Candidate>,
}

impl Recorder {
    /// A recorder for a run of `cfg`, keeping `context` happenings on each side of the violation.
    pub fn new(cfg: &LockConfig, context: usize) -> Result<Self, ReplayError> {
        cfg.validate()?;
        if context > MAX_CONTEXT {
            return Err(ReplayError::ContextTooLarge(context));
        }
        Ok(Recorder {
            context,
            workload: cfg.workload,
            topology: cfg.topology(),
            recent: VecDeque::with_capacity(context),
            sections: vec![Section::default(); cfg.clients],
            succession: Succession::new(cfg.clients),
            sent_values: SeenValues::starting_at(1),
            decisions: Vec::new(),
            candidates: VecDeque::new(),
            first: None,
        })
    }

    /// The first violation, once the run is over. An overlap still undecided at the end (its
    /// holder never left) is one, as the oracle counts it.
    pub fn finish(mut self) -> Finding {
        for c in &mut self.candidates {
            if c.state == State::Pending {
                c.state = State::Confirmed;
            }
        }
        self.settle();
        match self.first {
            Some(c) => Finding::Violation(c.into_window(self.topology)),
            None => Finding::Clean,
        }
    }

    fn have_confirmed(&self) -> bool {
        self.candidates.iter().any(|c| c.state == State::Confirmed)
    }

    fn report(&mut self, violation: Violation, state: State, entry: &Entry) {
        if !self.have_confirmed() {
            self.candidates.push_back(Candidate::new(violation, state, &self.recent, *entry));
        }
    }

    /// The holder of a pending overlap did something that settles it.
    fn resolve(&mut self, holder: usize, harmless: bool) {
        for c in &mut self.candidates {
            if c.state == State::Pending
                && matches!(c.violation, Violation::Overlap { holder: h, .. } if h == holder)
            {
                c.state = if harmless { State::Dropped } else { State::Confirmed };
            }
        }
    }

    fn decide(&mut self, client: usize, instance: u64, value: u64, entry: &Entry) {
        let i = instance as usize;
        if self.decisions.len() <= i {
            self.decisions.resize(i + 1, None);
        }
        match self.decisions[i] {
            None => self.decisions[i] = Some(value),
            Some(earlier) if earlier != value => self.report(
                Violation::Disagreement { client, instance, value, earlier },
                State::Confirmed,
                entry,
            ),
            Some(_) => {}
        }
    }

    /// Marks `client`'s section number `section` as having acted, and settles a pending overlap
    /// of it.
    fn touch(&mut self, client: usize, section: u64) {
        if section == self.succession.newest(client) {
            self.sections[client].touched = true;
        }
        self.resolve(client, false);
    }

    /// True when `client` is one the run has; the oracle reports events naming others.
    fn known(&self, client: usize) -> bool {
        client < self.sections.len()
    }

    fn detect(&mut self, e: &Entry) {
        if let Happening::Event(event) = e.what
            && event.client().is_some_and(|c| !self.known(c))
        {
            return;
        }
        match e.what {
            Happening::Event(LockEvent::Entered { client, token }) => {
                self.resolve(client, false);
                for other in 0..self.sections.len() {
                    let s = self.sections[other];
                    if other != client && s.inside && !s.overlapped {
                        self.sections[other].overlapped = true;
                        let state = if s.touched { State::Confirmed } else { State::Pending };
                        let held = s.token;
                        self.report(Violation::Overlap { client, token, holder: other, held }, state, e);
                    }
                }
                self.succession.enter(client);
                self.sections[client] = Section { token, inside: true, ..Section::default() };
            }
            Happening::Event(LockEvent::Left { client, exit, .. }) => {
                self.sections[client].inside = false;
                self.resolve(client, exit == Exit::Aborted);
            }
            Happening::Event(LockEvent::Accessed { client, token, op, accepted, .. }) => {
                let section = self.succession.newest(client);
                let stale = self.succession.superseded(client, section);
                self.touch(client, section);
                // A refused stale access is fencing doing its job, not a violation (the verdict's
                // notion too).
                if stale && accepted {
                    self.report(Violation::StaleAccess { client, token, op, accepted }, State::Confirmed, e);
                }
            }
            Happening::Event(LockEvent::Effect { client, token, key, value, section }) => {
                let stale = self.succession.superseded(client, section);
                self.touch(client, section);
                match self.workload {
                    Workload::Increment => {
                        // Inserted even when the SMS is stale, to stay in step with the oracle.
                        let repeat = !self.sent_values.insert(value);
                        if stale {
                            self.report(Violation::StaleEffect { client, token, value }, State::Confirmed, e);
                        } else if repeat {
                            self.report(
                                Violation::DuplicateEffect { client, token, value },
                                State::Confirmed,
                                e,
                            );
                        }
                    }
                    Workload::Consensus { decide_by } => {
                        if stale {
                            self.report(Violation::StaleEffect { client, token, value }, State::Confirmed, e);
                        }
                        if decide_by == DecideBy::Effect {
                            self.decide(client, key, value, e);
                        }
                    }
                }
            }
            Happening::Event(LockEvent::Decided { client, instance, value }) => {
                self.decide(client, instance, value, e)
            }
            Happening::Fault(FaultEvent::Crash) => {
                if let Some(client) = self.topology.client_of(e.node) {
                    self.sections[client].inside = false;
                    self.resolve(client, false);
                }
            }
            _ => {}
        }
    }

    /// Drops settled-harmless overlaps from the front and takes the first confirmed violation.
    fn settle(&mut self) {
        while let Some(front) = self.candidates.front() {
            match front.state {
                State::Dropped => {
                    self.candidates.pop_front();
                }
                State::Pending => break,
                State::Confirmed => {
                    self.first = self.candidates.pop_front();
                    self.candidates.clear();
                    self.recent = VecDeque::new();
                    break;
                }
            }
        }
    }

    fn happen(&mut self, e: Entry) {
        let (context, topology) = (self.context, self.topology);
        if let Some(first) = &mut self.first {
            if !first.complete(context) {
                first.feed(&e, context, &topology);
            }
            return;
        }
        for c in &mut self.candidates {
            c.feed(&e, context, &topology);
        }
        self.detect(&e);
        if context > 0 {
            if self.recent.len() == context {
                self.recent.pop_front();
            }
            self.recent.push_back(e);
        }
        self.settle();
    }
}

impl Observer<LockEvent> for Recorder {
    fn observe(&mut self, at: Nanos, node: NodeId, obs: &LockEvent) {
        self.happen(Entry { at, node, what: Happening::Event(*obs) });
    }
    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
        self.happen(Entry { at, node, what: Happening::Fault(fault) });
    }
    fn finished(&self) -> bool {
        false
    }
}

fn node_name(node: NodeId, t: &Topology) -> String {
    match t.role(node) {
        Some(Role::Server(_)) if t.servers == 1 => "lock service".to_string(),
        Some(Role::Server(i)) => format!("lock server {}", i + 1),
        Some(Role::Storage) => "storage".to_string(),
        Some(Role::Outbox) => "outbox".to_string(),
        Some(Role::Client(i)) => format!("client {}", i + 1),
        None => format!("node {node}"),
    }
}

fn key_suffix(key: u64) -> String {
    if key == 0 { String::new() } else { format!(" (key {key})") }
}

/// One happening in words, without its time.
pub fn describe(e: &Entry, t: &Topology) -> String {
    let c = |client: usize| client + 1;
    match e.what {
        Happening::Event(event) => match event {
            LockEvent::Requested { client } => format!("client {} asks for the lock", c(client)),
            LockEvent::Granted { client, token } => {
                format!("lock service grants token {token} to client {}", c(client))
            }
            LockEvent::Freed { token, expired: true } => format!("lease of token {token} expires"),
            LockEvent::Freed { token, expired: false } => format!("lock service takes back token {token}"),
            LockEvent::Entered { client, token } => {
                format!("client {} receives token {token} and is inside", c(client))
            }
            LockEvent::Left { client, token, exit } => match exit {
                Exit::Released => format!("client {} leaves and releases token {token}", c(client)),
                Exit::Aborted => {
                    format!("client {} aborts at its margin check and releases token {token}", c(client))
                }
                Exit::Rejected => {
                    format!("client {} gives up (storage refused token {token}) and releases", c(client))
                }
            },
            LockEvent::Accessed { client, token, key, op, accepted } => {
                let verdict = if accepted { "accepted" } else { "REJECTED (stale token)" };
                let what = match op {
                    Op::Read => "reads".to_string(),
                    Op::Write(v) => format!("writes {v}"),
                };
                format!(
                    "storage: client {} {what}{} with token {token}: {verdict}",
                    c(client),
                    key_suffix(key)
                )
            }
            LockEvent::Effect { client, token, key, value, .. } => {
                format!(
                    "outbox: SMS {value}{} sent for client {} (token {token})",
                    key_suffix(key),
                    c(client)
                )
            }
            LockEvent::Decided { client, instance, value } => {
                format!("client {} decides {value} in instance {instance}", c(client))
            }
            LockEvent::Finished { client } => format!("client {} has done its share", c(client)),
        },
        Happening::Fault(fault) => {
            let who = node_name(e.node, t);
            match fault {
                FaultEvent::StallBegin { until } => format!("{who} freezes until {}", Human(until)),
                FaultEvent::StallEnd => format!("{who} wakes up"),
                FaultEvent::Crash => format!("{who} crashes"),
                FaultEvent::ClockJump { by } => format!("{who}'s clock jumps {}", signed(by)),
            }
        }
    }
}

impl Window {
    /// When the violation happened (true time).
    pub fn time(&self) -> Nanos {
        self.entries[self.at].at
    }

    /// One line per happening, with its true time; the violating one marked, and for an overlap
    /// the holder's first act after it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "first violation ({}) at {}: {}",
            self.violation.kind(),
            Human(self.time()),
            self.violation
        );
        let _ = writeln!(
            out,
            "{} happenings before it and {} after, at true time:",
            self.at,
            self.entries.len() - self.at - 1
        );
        let width = self
            .entries
            .iter()
            .chain(self.later.as_ref().map(|l| &l.entry))
            .map(|e| Human(e.at).to_string().len())
            .max()
            .unwrap_or(0);
        let line = |out: &mut String, mark: &str, e: &Entry, note: &str| {
            let _ = writeln!(
                out,
                "{mark} {:>width$}  {}{note}",
                Human(e.at).to_string(),
                describe(e, &self.topology)
            );
        };
        let acts = self.holder().map(|h| format!("   <- client {} acts on the lock it lost", h + 1));
        let harm = self.harm();
        for (i, e) in self.entries.iter().enumerate() {
            if i == self.at {
                line(&mut out, "=>", e, "   <- VIOLATION");
            } else if Some(i) == harm {
                line(&mut out, "=>", e, acts.as_deref().unwrap_or_default());
            } else {
                line(&mut out, "  ", e, "");
            }
        }
        if let Some(later) = &self.later {
            let _ = writeln!(out, "   ... {} happenings later ...", later.skipped);
            line(&mut out, "=>", &later.entry, acts.as_deref().unwrap_or_default());
        }
        out
    }

    /// The client still inside when the lock went to another, for an overlap.
    fn holder(&self) -> Option<usize> {
        match self.violation {
            Violation::Overlap { holder, .. } => Some(holder),
            _ => None,
        }
    }

    /// Index in `entries` of the overlapped holder's first act after the grant, when it is inside
    /// the window: that act, not the grant, is what does the harm, so both renderings point at it.
    fn harm(&self) -> Option<usize> {
        let holder = self.holder()?;
        let next = self.entries[self.at + 1..]
            .iter()
            .position(|e| !matches!(for_holder(e, holder, &self.topology), ForHolder::Nothing))?;
        let i = self.at + 1 + next;
        matches!(for_holder(&self.entries[i], holder, &self.topology), ForHolder::Acts).then_some(i)
    }

    /// The window as a Mermaid sequence diagram: the lock service, storage, the outbox and the
    /// clients involved; times as `+Δ` from the window's first happening.
    pub fn mermaid(&self) -> String {
        let all = || self.entries.iter().chain(self.later.as_ref().map(|l| &l.entry));
        let mut clients: Vec<usize> = all()
            .filter_map(|e| match e.what {
                Happening::Event(event) => event.client(),
                Happening::Fault(_) => self.topology.client_of(e.node),
            })
            .chain(
                self.violation.nodes(&self.topology).into_iter().filter_map(|n| self.topology.client_of(n)),
            )
            .collect();
        clients.sort_unstable();
        clients.dedup();
        let mut d = Diagram::new();
        let servers = match self.topology.servers {
            1 => "lock service".to_string(),
            k => format!("lock servers 1-{k}"),
        };
        d.participant("L", Some(&servers));
        d.participant("S", Some("storage"));
        d.participant("O", Some("outbox (SMS)"));
        for &c in &clients {
            d.participant(&format!("C{}", c + 1), Some(&format!("client {}", c + 1)));
        }
        let last = clients.last().map_or("O".to_string(), |c| format!("C{}", c + 1));
        let origin = self.entries.first().map_or(0, |e| e.at);
        d.note_over(
            "L",
            Some(&last),
            &format!(
                "first violation ({}) at {} of true time. Times are counted from {}",
                self.violation.kind(),
                Human(self.time()),
                Human(origin)
            ),
        );
        let t = &self.topology;
        let vnodes = self.violation.nodes(t);
        let (v_from, v_to) = (participant(vnodes[0], t), participant(vnodes[vnodes.len() - 1], t));
        let mut drawer =
            Drawer { origin, topology: *t, granted_at: HashMap::new(), released_at: HashMap::new() };
        let harm = self.harm();
        let acts = |d: &mut Diagram, drawer: &mut Drawer, e: &Entry| {
            d.rect((255, 238, 204));
            drawer.draw(d, e);
            if let Some(h) = self.holder() {
                let text = format!("client {} acts on the lock it lost", h + 1);
                d.note_over(&participant(t.client(h), t), None, &text);
            }
            d.end();
        };
        for (i, e) in self.entries.iter().enumerate() {
            if i == self.at {
                d.rect((255, 221, 221));
                drawer.draw(&mut d, e);
                d.note_over(
                    &v_from,
                    Some(&v_to),
                    &format!("VIOLATION ({}) - {}", self.violation.kind(), self.violation),
                );
                d.end();
            } else if Some(i) == harm {
                acts(&mut d, &mut drawer, e);
            } else {
                drawer.draw(&mut d, e);
            }
        }
        if let Some(later) = &self.later {
            d.note_over("L", Some(&last), &format!("... {} happenings later ...", later.skipped));
            acts(&mut d, &mut drawer, &later.entry);
        }
        d.finish()
    }
}

/// The diagram id of a node: the lock servers share one lane.
fn participant(node: NodeId, t: &Topology) -> String {
    match t.role(node) {
        Some(Role::Server(_)) | None => "L".to_string(),
        Some(Role::Storage) => "S".to_string(),
        Some(Role::Outbox) => "O".to_string(),
        Some(Role::Client(i)) => format!("C{}", i + 1),
    }
}

/// A clock jump as people write it: `+5ms`, `-1ms`.
fn signed(by: i64) -> String {
    let sign = if by < 0 { "-" } else { "+" };
    format!("{sign}{}", Human(by.unsigned_abs()))
}

/// Draws happenings one by one, remembering just enough (within the window) to leave out a
/// receipt or a release the line before already shows.
struct Drawer {
    origin: Nanos,
    topology: Topology,
    granted_at: HashMap<Token, Nanos>,
    released_at: HashMap<Token, Nanos>,
}

impl Drawer {
    fn draw(&mut self, d: &mut Diagram, e: &Entry) {
        let t = format!("+{}", Human(e.at.saturating_sub(self.origin)));
        let topology = self.topology;
        let me = participant(e.node, &topology);
        let cl = |client: usize| participant(topology.client(client), &topology);
        match e.what {
            Happening::Event(event) => match event {
                LockEvent::Requested { client } => {
                    d.message(&cl(client), "L", Arrow::Solid, &format!("{t} request"))
                }
                LockEvent::Granted { client, token } => {
                    self.granted_at.insert(token, e.at);
                    d.message("L", &cl(client), Arrow::Solid, &format!("{t} grant token {token}"));
                }
                LockEvent::Freed { token, expired: true } => {
                    d.note_over("L", None, &format!("{t} lease of token {token} expires"))
                }
                LockEvent::Freed { token, expired: false } => {
                    if self.released_at.get(&token) != Some(&e.at) {
                        d.note_over("L", None, &format!("{t} release of token {token} arrives"));
                    }
                }
                LockEvent::Entered { client, token } => {
                    if self.granted_at.get(&token) != Some(&e.at) {
                        d.note_over(&cl(client), None, &format!("{t} receives token {token}, inside"));
                    }
                }
                LockEvent::Left { client, token, exit } => {
                    self.released_at.insert(token, e.at);
                    let why = match exit {
                        Exit::Released => String::new(),
                        Exit::Aborted => "margin check failed, aborts, ".to_string(),
                        Exit::Rejected => "refused by storage, gives up, ".to_string(),
                    };
                    d.message(&cl(client), "L", Arrow::Dotted, &format!("{t} {why}release token {token}"));
                }
                LockEvent::Accessed { client, token, key, op, accepted } => {
                    let what = match op {
                        Op::Read => "read".to_string(),
                        Op::Write(v) => format!("write {v}"),
                    };
                    let (arrow, verdict) =
                        if accepted { (Arrow::Solid, "accepted") } else { (Arrow::Lost, "REJECTED") };
                    let label = format!("{t} {what}{}, token {token}, {verdict}", key_suffix(key));
                    d.message(&cl(client), "S", arrow, &label);
                }
                LockEvent::Effect { client, token, key, value, .. } => {
                    let label = format!("{t} SMS {value}{} sent (token {token})", key_suffix(key));
                    d.message(&cl(client), "O", Arrow::Solid, &label);
                }
                LockEvent::Decided { client, instance, value } => {
                    d.note_over(&cl(client), None, &format!("{t} decides {value} in instance {instance}"))
                }
                LockEvent::Finished { client } => d.note_over(&cl(client), None, &format!("{t} done")),
            },
            Happening::Fault(fault) => {
                let text = match fault {
                    FaultEvent::StallBegin { until } => {
                        format!("{t} freezes until +{}", Human(until.saturating_sub(self.origin)))
                    }
                    FaultEvent::StallEnd => format!("{t} wakes up"),
                    FaultEvent::Crash => format!("{t} CRASHES"),
                    FaultEvent::ClockJump { by } => format!("{t} clock jumps {}", signed(by)),
                };
                d.note_over(&me, None, &text);
            }
        }
    }
}

impl Finding {
    /// The window as text, or one line saying the run saw no violation.
    pub fn text(&self) -> String {
        match self {
            Finding::Violation(w) => w.text(),
            Finding::Clean => {
                "no violation: no overlap, stale access, stale or duplicate SMS, or disagreement \
                               in this run\n"
                    .to_string()
            }
        }
    }

    /// The window as a Mermaid diagram; `None` when there was no violation to draw.
    pub fn mermaid(&self) -> Option<String> {
        match self {
            Finding::Violation(w) => Some(w.mermaid()),
            Finding::Clean => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::{EngineKind, Variant};

    // The one-server world's numbering (Topology).
    const SERVER: NodeId = 0;
    const STORAGE: NodeId = 1;
    const OUTBOX: NodeId = 2;
    fn client_node(client: usize) -> NodeId {
        3 + client
    }

    /// A recorder fed by hand, to pin down each rule on a stream small enough to read.
    struct Feed {
        rec: Recorder,
        now: Nanos,
    }

    impl Feed {
        fn new(cfg: &LockConfig, context: usize) -> Self {
            assert_eq!(cfg.servers, 1, "the feeds use the one-server numbering");
            Feed { rec: Recorder::new(cfg, context).unwrap(), now: 0 }
        }
        fn ev(&mut self, node: NodeId, e: LockEvent) -> &mut Self {
            self.now += 1;
            self.rec.observe(self.now, node, &e);
            self
        }
        fn client(&mut self, client: usize, e: LockEvent) -> &mut Self {
            self.ev(client_node(client), e)
        }
        fn fault(&mut self, client: usize, f: FaultEvent) -> &mut Self {
            self.now += 1;
            self.rec.fault(self.now, client_node(client), f);
            self
        }
        fn finish(self) -> Finding {
            self.rec.finish()
        }
    }

    fn cfg(variant: Variant) -> LockConfig {
        LockConfig::new(variant, EngineKind::Sim)
    }

    fn window(f: Finding) -> Window {
        match f {
            Finding::Violation(w) => w,
            Finding::Clean => panic!("expected a violation"),
        }
    }

    const READ: LockEvent = LockEvent::Accessed { client: 0, token: 1, key: 0, op: Op::Read, accepted: true };

    /// Client 1 (index 0) holds token 1; client 2 (index 1) enters with token 2 while it is inside.
    fn overlap(f: &mut Feed, touched_first: bool) {
        f.ev(SERVER, LockEvent::Granted { client: 0, token: 1 })
            .client(0, LockEvent::Entered { client: 0, token: 1 });
        if touched_first {
            f.ev(STORAGE, READ);
        }
        f.fault(0, FaultEvent::StallBegin { until: 100 })
            .ev(SERVER, LockEvent::Freed { token: 1, expired: true })
            .ev(SERVER, LockEvent::Granted { client: 1, token: 2 })
            .client(1, LockEvent::Entered { client: 1, token: 2 });
    }

    #[test]
    fn an_overlap_whose_holder_aborts_untouched_did_no_harm() {
        let mut f = Feed::new(&cfg(Variant::LEASE_MARGIN), 5);
        overlap(&mut f, false);
        f.fault(0, FaultEvent::StallEnd)
            .client(0, LockEvent::Left { client: 0, token: 1, exit: Exit::Aborted });
        assert_eq!(f.finish(), Finding::Clean);
    }

    #[test]
    fn an_overlap_whose_holder_goes_on_is_dated_from_the_entry() {
        let mut f = Feed::new(&cfg(Variant::LEASE), 2);
        overlap(&mut f, false);
        // Client 2 works undisturbed for a while; client 1 then wakes up and reads with token 1.
        for _ in 0..5 {
            f.ev(STORAGE, LockEvent::Accessed { client: 1, token: 2, key: 0, op: Op::Read, accepted: true });
        }
        f.fault(0, FaultEvent::StallEnd).ev(STORAGE, READ);
        let w = window(f.finish());
        assert_eq!(w.violation, Violation::Overlap { client: 1, token: 2, holder: 0, held: 1 });
        assert_eq!(w.entries[w.at].what, Happening::Event(LockEvent::Entered { client: 1, token: 2 }));
        assert_eq!((w.at, w.entries.len()), (2, 5), "two either side");
        let later = w.later.expect("the holder's read came after the window");
        assert_eq!(
            (later.skipped, later.entry.what),
            (4, Happening::Event(READ)),
            "three reads and a wake-up (two of client 2's five reads are in the window)"
        );
    }

    #[test]
    fn a_holder_that_had_read_overlaps_at_once_and_crashing_confirms_an_undecided_one() {
        let mut f = Feed::new(&cfg(Variant::LEASE), 40);
        overlap(&mut f, true);
        let w = window(f.finish());
        assert!(matches!(w.violation, Violation::Overlap { holder: 0, .. }));
        assert_eq!(w.later, None, "the holder never acted again");

        let mut f = Feed::new(&cfg(Variant::LEASE), 40);
        overlap(&mut f, false);
        f.fault(0, FaultEvent::Crash);
        assert!(matches!(window(f.finish()).violation, Violation::Overlap { .. }));

        let mut f = Feed::new(&cfg(Variant::LEASE), 40);
        overlap(&mut f, false);
        assert!(matches!(window(f.finish()).violation, Violation::Overlap { .. }), "still inside at the end");
    }

    #[test]
    fn a_later_violation_waits_for_an_undecided_overlap_and_wins_when_it_proves_harmless() {
        let mut f = Feed::new(&cfg(Variant::LEASE_MARGIN), 40);
        overlap(&mut f, false);
        // While client 1 is frozen (its overlap undecided), client 2 sends the same SMS twice.
        for _ in 0..2 {
            f.ev(OUTBOX, LockEvent::Effect { client: 1, token: 2, key: 0, value: 7, section: 1 });
        }
        f.client(0, LockEvent::Left { client: 0, token: 1, exit: Exit::Aborted });
        let w = window(f.finish());
        assert_eq!(w.violation, Violation::DuplicateEffect { client: 1, token: 2, value: 7 });
        assert_eq!(w.entries.len(), w.at + 2, "the abort follows it: {w:?}");
    }

    #[test]
    fn stale_accesses_stale_effects_and_disagreements_are_found() {
        let stale = |op, accepted| {
            // Client 1's section is superseded as soon as client 2 enters (the overlap itself is
            // left undecided: client 1 never leaves, so the stale access comes first).
            let mut f = Feed::new(&cfg(Variant::FENCED), 1);
            f.client(0, LockEvent::Entered { client: 0, token: 1 })
                .client(0, LockEvent::Left { client: 0, token: 1, exit: Exit::Released })
                .client(1, LockEvent::Entered { client: 1, token: 2 })
                .ev(STORAGE, LockEvent::Accessed { client: 0, token: 1, key: 0, op, accepted })
                .ev(OUTBOX, LockEvent::Effect { client: 0, token: 1, key: 0, value: 3, section: 1 });
            window(f.finish())
        };
        let w = stale(Op::Write(3), true);
        assert_eq!(w.violation.kind(), "stale write accepted (lost update)");
        assert_eq!(w.entries.len(), 3, "one before, one after: {w:?}");
        // A refused stale read is fencing doing its job; the SMS after it is the violation.
        assert_eq!(
            stale(Op::Read, false).violation,
            Violation::StaleEffect { client: 0, token: 1, value: 3 }
        );

        let mut f = Feed::new(&cfg(Variant::LEASE), 1);
        f.client(0, LockEvent::Entered { client: 0, token: 1 })
            .client(0, LockEvent::Left { client: 0, token: 1, exit: Exit::Released })
            .client(1, LockEvent::Entered { client: 1, token: 2 })
            .ev(OUTBOX, LockEvent::Effect { client: 0, token: 1, key: 0, value: 1, section: 1 });
        assert_eq!(window(f.finish()).violation, Violation::StaleEffect { client: 0, token: 1, value: 1 });

        let consensus = cfg(Variant::LEASE).consensus(DecideBy::Ack);
        let mut f = Feed::new(&consensus, 1);
        f.client(0, LockEvent::Decided { client: 0, instance: 3, value: 0 })
            .client(1, LockEvent::Decided { client: 1, instance: 3, value: 0 })
            .client(1, LockEvent::Decided { client: 1, instance: 4, value: 1 })
            .client(0, LockEvent::Decided { client: 0, instance: 4, value: 0 });
        let w = window(f.finish());
        assert_eq!(w.violation, Violation::Disagreement { client: 0, instance: 4, value: 0, earlier: 1 });
        assert_eq!(w.at, 1);
    }

    #[test]
    fn a_clean_stream_is_clean_and_the_window_is_bounded() {
        let mut f = Feed::new(&cfg(Variant::NON_PREEMPTIVE), 3);
        for round in 0..1_000u64 {
            let (client, token) = ((round % 2) as usize, round + 1);
            f.ev(SERVER, LockEvent::Granted { client, token })
                .client(client, LockEvent::Entered { client, token })
                .ev(
                    STORAGE,
                    LockEvent::Accessed { client, token, key: 0, op: Op::Write(token), accepted: true },
                )
                .ev(OUTBOX, LockEvent::Effect { client, token, key: 0, value: token, section: round / 2 + 1 })
                .client(client, LockEvent::Left { client, token, exit: Exit::Released });
            assert!(f.rec.recent.len() <= 3 && f.rec.candidates.is_empty());
        }
        assert_eq!(f.finish().text().lines().next(), Some(Finding::Clean.text().trim_end()));
        assert_eq!(Finding::Clean.mermaid(), None);
        assert_eq!(
            Recorder::new(&cfg(Variant::LEASE), MAX_CONTEXT + 1).unwrap_err(),
            ReplayError::ContextTooLarge(MAX_CONTEXT + 1)
        );
        let mut bad = cfg(Variant::LEASE);
        bad.clients = 1;
        assert!(matches!(Recorder::new(&bad, 1), Err(ReplayError::Config(_))));
    }

    /// Checks the recorder's memory after every happening of a real run.
    struct Bounded {
        rec: Recorder,
        clients: usize,
        most_candidates: usize,
    }

    impl Observer<LockEvent> for Bounded {
        fn observe(&mut self, at: Nanos, node: NodeId, obs: &LockEvent) {
            self.rec.observe(at, node, obs);
            self.check();
        }
        fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
            self.rec.fault(at, node, fault);
            self.check();
        }
        fn finished(&self) -> bool {
            false
        }
    }

    impl Bounded {
        fn check(&mut self) {
            let k = self.rec.context;
            assert!(self.rec.recent.len() <= k);
            assert!(self.rec.candidates.len() <= self.clients + 1, "{}", self.rec.candidates.len());
            for c in self.rec.candidates.iter().chain(&self.rec.first) {
                assert!(c.before.len() <= k && c.after.len() <= k);
            }
            self.most_candidates = self.most_candidates.max(self.rec.candidates.len());
        }
    }

    #[test]
    fn memory_stays_bounded_through_many_harmless_overlaps() {
        // Stalls before the margin check: many overlaps, each undecided until its holder aborts.
        let mut cfg = cfg(Variant::LEASE_MARGIN);
        cfg.clients = 4;
        cfg.pause_at = crate::node::PausePoint::P1;
        cfg.pause = crate::fault::Dist::Exp { mean: 5 * crate::time::MS };
        cfg.acquisitions = 4_000;
        let mut b = Bounded { rec: Recorder::new(&cfg, 8).unwrap(), clients: 4, most_candidates: 0 };
        let report = run_observed(&cfg, &mut b).unwrap();
        let m = &report.metrics;
        assert!(m.aborted_overlaps > 100, "the run exercises undecided overlaps: {m:?}");
        assert!(b.most_candidates >= 1);
        let violated = m.overlaps > m.aborted_overlaps || m.stale_accepted + m.stale_effects > 0;
        assert_eq!(matches!(b.rec.finish(), Finding::Violation(_)), violated, "{m:?}");
    }

    #[test]
    fn both_renderings_mark_the_violation_and_the_diagram_checks() {
        let mut f = Feed::new(&cfg(Variant::LEASE), 40);
        overlap(&mut f, true);
        f.fault(0, FaultEvent::StallEnd)
            .ev(
                STORAGE,
                LockEvent::Accessed { client: 0, token: 1, key: 0, op: Op::Write(1), accepted: true },
            )
            .ev(OUTBOX, LockEvent::Effect { client: 0, token: 1, key: 0, value: 1, section: 1 });
        let w = window(f.finish());
        let text = w.text();
        assert!(
            text.starts_with(
                "first violation (overlap) at 7ns: client 2 entered with token 2 while client 1 was still inside with token 1"
            )
        );
        assert!(text.contains("   6ns  lock service grants token 2 to client 2\n"), "{text}");
        assert!(text.contains("=>  7ns  client 2 receives token 2 and is inside   <- VIOLATION\n"), "{text}");
        assert!(text.contains("   4ns  client 1 freezes until 100ns\n"), "{text}");
        assert!(
            text.contains("=>  9ns  storage: client 1 writes 1 with token 1: accepted   <- client 1 acts on the lock it lost\n"),
            "its first act after the grant is pointed at: {text}"
        );
        assert_eq!(text.matches("<-").count(), 2, "{text}");
        let mermaid = w.mermaid();
        assert_eq!(crate::report::mermaid::check(&mermaid), Ok(()), "{mermaid}");
        for needle in [
            "participant C1 as client 1\n",
            "participant C2 as client 2\n",
            "L->>C2: +5ns grant token 2\n",
            "Note over C1: +3ns freezes until +99ns\n",
            "Note over L: +4ns lease of token 1 expires\n",
            "Note over C1,C2: VIOLATION (overlap) - client 2 entered with token 2 while client 1",
            "        C1->>S: +8ns write 1, token 1, accepted\n        Note over C1: client 1 acts on the lock it lost\n",
            "C1->>O: +9ns SMS 1 sent (token 1)\n",
        ] {
            assert!(mermaid.contains(needle), "{needle} missing from\n{mermaid}");
        }
        // Every happening of this feed has a time of its own, so the receipt of a grant is drawn too.
        assert!(mermaid.contains("Note over C2: +6ns receives token 2, inside\n"), "{mermaid}");
    }
}
