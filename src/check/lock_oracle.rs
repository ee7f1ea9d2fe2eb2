//! The lock world's oracle: every metric of the model, from the true-time event stream.
//!
//! The oracle judges every design by the same rules, from what clients believe and what storage
//! and the outbox do; nothing in it depends on what a lock server says, or on the values or
//! order of tokens. Definitions, as computed here:
//! - **inside**: a client is inside its critical section from the moment it believes it holds
//!   the lock (its stub said so: `Entered`) until it releases or aborts (`Left`), or crashes.
//! - **overlap**: another client entering while one is inside. Counted once per section of the
//!   one inside.
//! - **aborted overlap**: an overlap whose holder then aborted at its margin check without having
//!   touched storage or sent an effect. Two clients held the lock at once, but only one acted on
//!   it: no harm was done, and the verdict does not call it a safety violation.
//! - **stale access**: a critical section that touched storage after another client entered
//!   since it began; *accepted* if storage accepted any such access, else *rejected*.
//! - **stale effect**: a side effect the outbox sent after another client entered since its
//!   section began (the outbox cannot refuse it). Counted per effect sent.
//! - **lost updates**: accepted increments missing from the final counter. Every accepted write
//!   sets the counter to a value read earlier plus one, so the counter never exceeds the number of
//!   accepted writes, and the difference is exactly what was lost.
//! - **duplicate effects**: side effects carrying a counter value already sent before.
//! - **blocked**: clients still waiting for the lock when the run ended.
//! - **stuck**: clients inside their section at a quiescent end (nothing left to happen), neither
//!   frozen nor crashed: each waits for a reply that will never come. A run cut short by its
//!   horizon or budget cannot know that of anyone, and counts nobody as stuck.
//! - **unavailable**: fraction of the run in which a live client waited while the lock could not
//!   be had because of a fault: its holder (the newest client to enter, while inside) was
//!   crashed, stalled, or cut off from the servers it needs (a quorum of them, as the design
//!   says), or fewer than a quorum of servers were up (crashed, stalled, or cut off from every
//!   client).
//! - **disagreements**: consensus instances in which two decisions differ.
//! - **unwaited expiries**: leases a lock service took back at their expiry while no live client
//!   was waiting for the lock. The closed forms assume someone always waits (docs/model.md §4.5):
//!   where an expiry finds nobody, the next client cannot overlap the holder from that expiry, and
//!   a rate below the prediction says the assumption failed, not the model.
//!
//! The oracle's memory does not grow with the run: it keeps a constant record per client (its
//! newest section, its flags, and who entered after it: [`Succession`]) and per server, and the
//! counter values sent (as a low-water mark and the values above it, [`SeenValues`], at most
//! about a million of them when SMSs are lost for good). Storage is used synchronously, so every
//! access comes from its client's newest section; a side effect names its section. The consensus
//! workload is the exception by nature: it keeps one decision per instance, as its storage keeps
//! one register per instance, which is why the number of instances is capped
//! ([`crate::lock::config::MAX_INSTANCES`]).
//!
//! An event the oracle cannot place (a client number or a node the world does not have) is
//! recorded as an [`OracleError`] naming it, and the run reports that error instead of figures.

use super::seen::SeenValues;
use super::stats::wilson;
use super::succession::Succession;
use crate::engine::{Ending, FaultEvent, Observer, RunEnd};
use crate::lock::client::{DecideBy, Workload};
use crate::lock::config::{LockConfig, Partition};
use crate::lock::msg::{Exit, LockEvent, Op};
use crate::lock::topology::{Role, Topology};
use crate::node::NodeId;
use crate::time::Nanos;
use hdrhistogram::Histogram;
use serde::Serialize;

const OVERLAP: u8 = 1;
const STALE: u8 = 2;
const STALE_ACCEPTED: u8 = 4;
/// The section read or wrote storage, or sent an effect.
const TOUCHED: u8 = 8;

/// A client's newest critical section.
#[derive(Debug, Clone, Copy, Default)]
struct Section {
    inside: bool,
    flags: u8,
}

/// An event the oracle could not place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OracleError {
    /// An event names a client the run does not have.
    #[error("node {node} reported {event} for client {client}, but the run has {clients} clients")]
    UnknownClient { node: NodeId, event: String, client: usize, clients: usize },
    /// An event or fault comes from a node the world does not have.
    #[error("node {node} reported {event}, but the world has {nodes} nodes")]
    UnknownNode { node: NodeId, event: String, nodes: usize },
}

/// A count out of a total, with its rate and 95% Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    /// How many.
    pub count: u64,
    /// Out of how many.
    pub of: u64,
    /// `count / of` (0 when `of` is 0).
    pub rate: f64,
    /// 95% Wilson score interval of the rate.
    pub ci95: [f64; 2],
}

impl Rate {
    /// `count` out of `of`.
    pub fn new(count: u64, of: u64) -> Rate {
        let rate = if of == 0 { 0.0 } else { count as f64 / of as f64 };
        Rate { count, of, rate, ci95: wilson(count, of) }
    }
}

/// Acquire latency (request to grant receipt), in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Longest completed wait (exact; the percentiles keep 3 significant digits).
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

/// Every metric of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockMetrics {
    /// Grants received by clients.
    pub acquisitions: u64,
    /// Acquisitions still inside when the lock went to another client.
    pub overlaps: u64,
    /// Overlaps whose holder then aborted without touching storage or sending an effect: no harm
    /// done.
    pub aborted_overlaps: u64,
    /// `overlaps / acquisitions`.
    pub overlap_rate: f64,
    /// 95% Wilson interval of `overlap_rate`.
    pub overlap_rate_ci95: [f64; 2],
    /// Sections that touched storage after losing the lock, and storage accepted.
    pub stale_accepted: u64,
    /// Sections that touched storage after losing the lock, and storage refused every time.
    pub stale_rejected: u64,
    /// Accepted increments missing from the final counter.
    pub lost_updates: u64,
    /// Side effects repeating a counter value already sent.
    pub duplicate_effects: u64,
    /// Side effects sent after the sender lost the lock (per effect).
    pub stale_effects: u64,
    /// Margin checks that failed.
    pub aborts: u64,
    /// Clients still waiting for the lock when the run ended.
    pub blocked: u64,
    /// Clients that ended a quiescent run inside their critical section, neither frozen nor
    /// crashed, waiting for a reply that will never come: a liveness failure inside the section.
    pub stuck: u64,
    /// Consensus instances with two different decisions.
    pub disagreements: u64,
    /// Leases a lock service took back at their expiry (a design whose servers report it).
    pub expiries: u64,
    /// Expiries at which no live client was waiting for the lock: there the closed forms'
    /// contention assumption did not hold.
    pub unwaited_expiries: u64,
    /// Consensus instances with at least one decision.
    pub instances: u64,
    /// Accepted writes of the counter (increment workload).
    pub accepted_writes: u64,
    /// Side effects sent.
    pub effects: u64,
    /// Every rate with its interval.
    pub rates: Rates,
    /// Request-to-grant latency.
    pub acquire_latency_ns: Latency,
    /// Fraction of the run the lock sat with a faulty holder while someone waited.
    pub unavailable: f64,
    /// Why the run stopped.
    pub ending: Ending,
    /// True time at the end, in nanoseconds.
    pub end_ns: u64,
    /// Deliveries and timer firings the engine processed.
    pub engine_events: u64,
}

/// The rates, each over its natural total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rates {
    /// Overlaps per acquisition.
    pub overlap: Rate,
    /// Stale-accepted sections per acquisition.
    pub stale_accepted: Rate,
    /// Stale-rejected sections per acquisition.
    pub stale_rejected: Rate,
    /// Lost updates per accepted write.
    pub lost_update: Rate,
    /// Duplicate effects per effect.
    pub duplicate_effect: Rate,
    /// Stale effects per effect.
    pub stale_effect: Rate,
    /// Aborts per acquisition.
    pub abort: Rate,
    /// Disagreements per decided instance.
    pub disagreement: Rate,
    /// Unwaited expiries per expiry.
    pub unwaited_expiry: Rate,
}

/// Folds a run's events into [`LockMetrics`].
#[derive(Debug)]
pub struct LockOracle {
    workload: Workload,
    topology: Topology,
    quorum: usize,
    partitions: Vec<Partition>,
    waiting_since: Vec<Option<Nanos>>,
    sections: Vec<Section>,
    succession: Succession,
    crashed: Vec<bool>,
    stalled: Vec<bool>,
    finished: Vec<bool>,
    /// Per server: crashed, stalled.
    server_faults: Vec<(bool, bool)>,
    /// The newest client to enter (the holder, while it is inside).
    holder: Option<usize>,
    aborts: u64,
    expiries: u64,
    unwaited_expiries: u64,
    overlaps: u64,
    aborted_overlaps: u64,
    stale_accepted: u64,
    stale_rejected: u64,
    stale_effects: u64,
    latency: Histogram<u64>,
    longest_wait: u64,
    accepted_writes: u64,
    counter: u64,
    sent_values: SeenValues,
    effects: u64,
    duplicate_effects: u64,
    decisions: Vec<Option<u64>>,
    disagreed: Vec<bool>,
    unavailable: Nanos,
    last: Nanos,
    error: Option<OracleError>,
}

impl LockOracle {
    /// An oracle for a run of `cfg`.
    pub fn new(cfg: &LockConfig) -> Self {
        let p = cfg.clients;
        LockOracle {
            workload: cfg.workload,
            topology: cfg.topology(),
            quorum: cfg.variant.design().quorum(cfg.servers).clamp(1, cfg.servers),
            partitions: cfg.partitions.clone(),
            waiting_since: vec![None; p],
            sections: vec![Section::default(); p],
            succession: Succession::new(p),
            crashed: vec![false; p],
            stalled: vec![false; p],
            finished: vec![false; p],
            server_faults: vec![(false, false); cfg.servers],
            holder: None,
            aborts: 0,
            expiries: 0,
            unwaited_expiries: 0,
            overlaps: 0,
            aborted_overlaps: 0,
            stale_accepted: 0,
            stale_rejected: 0,
            stale_effects: 0,
            latency: Histogram::new(3).expect("3 significant figures is a valid precision"),
            longest_wait: 0,
            accepted_writes: 0,
            counter: 0,
            sent_values: SeenValues::starting_at(1),
            effects: 0,
            duplicate_effects: 0,
            decisions: Vec::new(),
            disagreed: Vec::new(),
            unavailable: 0,
            last: 0,
            error: None,
        }
    }

    /// True when the run has the client an event from `node` names; otherwise records the error.
    fn places(&mut self, node: NodeId, client: usize, event: &LockEvent) -> bool {
        let clients = self.sections.len();
        if client >= clients {
            let event = format!("{event:?}");
            self.error.get_or_insert(OracleError::UnknownClient { node, event, client, clients });
        }
        client < clients
    }

    /// Records that `client`'s section number `section` touched storage (`access` is
    /// `Some(accepted)`) or sent an effect (`None`), counting a stale access once per section.
    fn touched(&mut self, client: usize, section: u64, access: Option<bool>) {
        let stale = self.succession.superseded(client, section);
        // An effect from an older section (it was on its way while its client moved on) is
        // judged on its own, never folded into the newest section's flags.
        let mut older = 0;
        let flags = if section == self.succession.newest(client) {
            &mut self.sections[client].flags
        } else {
            &mut older
        };
        let before = *flags;
        *flags |= TOUCHED;
        match access {
            Some(accepted) if stale => {
                *flags |= STALE | if accepted { STALE_ACCEPTED } else { 0 };
                let (was_stale, was_accepted) = (before & STALE != 0, before & STALE_ACCEPTED != 0);
                if accepted && !was_accepted {
                    self.stale_accepted += 1;
                    if was_stale {
                        self.stale_rejected -= 1;
                    }
                } else if !accepted && !was_stale {
                    self.stale_rejected += 1;
                }
            }
            None if stale => self.stale_effects += 1,
            _ => {}
        }
    }

    /// Servers reachable by `client` at `t`: up, and not cut off from it by a partition.
    fn reachable(&self, client: usize, t: Nanos) -> usize {
        let node = self.topology.client(client);
        (0..self.server_faults.len())
            .filter(|&s| self.server_up(s) && !self.cut(node, self.topology.server(s), t))
            .count()
    }

    fn server_up(&self, server: usize) -> bool {
        self.server_faults[server] == (false, false)
    }

    fn cut(&self, a: NodeId, b: NodeId, t: Nanos) -> bool {
        let topo = &self.topology;
        self.partitions.iter().any(|p| {
            let [x, y] = p.between;
            p.covers(t) && ((topo.names(x, a) && topo.names(y, b)) || (topo.names(x, b) && topo.names(y, a)))
        })
    }

    /// Whether, at `t`, the lock cannot be had because of a fault (the module docs' definition).
    fn faulty_at(&self, t: Nanos) -> bool {
        let up = (0..self.server_faults.len())
            .filter(|&s| {
                let server = self.topology.server(s);
                self.server_up(s)
                    && (0..self.sections.len()).any(|c| !self.cut(server, self.topology.client(c), t))
            })
            .count();
        if up < self.quorum {
            return true;
        }
        // A crashed holder keeps the lock until someone else enters; a live one only while inside.
        match self.holder {
            Some(h) if self.crashed[h] => true,
            Some(h) if self.sections[h].inside => self.stalled[h] || self.reachable(h, t) < self.quorum,
            _ => false,
        }
    }

    /// Adds the time since the last event to `unavailable` where a live client waited while the
    /// lock could not be had because of a fault. Partition windows may open or close between two
    /// events, so the interval is cut at their edges.
    fn advance(&mut self, now: Nanos) {
        let (from, to) = (self.last, now.max(self.last));
        self.last = to;
        if from == to {
            return;
        }
        let someone_waits =
            (0..self.waiting_since.len()).any(|c| self.waiting_since[c].is_some() && !self.crashed[c]);
        if !someone_waits {
            return;
        }
        let mut edges: Vec<Nanos> =
            self.partitions.iter().flat_map(|p| [p.from, p.until]).filter(|&e| e > from && e < to).collect();
        edges.sort_unstable();
        edges.dedup();
        let mut start = from;
        for end in edges.into_iter().chain([to]) {
            if self.faulty_at(start) {
                self.unavailable += end - start;
            }
            start = end;
        }
    }

    fn decide(&mut self, instance: u64, value: u64) {
        let i = instance as usize;
        if self.decisions.len() <= i {
            self.decisions.resize(i + 1, None);
            self.disagreed.resize(i + 1, false);
        }
        match self.decisions[i] {
            None => self.decisions[i] = Some(value),
            Some(v) if v != value => self.disagreed[i] = true,
            Some(_) => {}
        }
    }

    /// The metrics, once the run has ended, or the first event the oracle could not place.
    pub fn finish(mut self, end: RunEnd) -> Result<LockMetrics, OracleError> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.advance(end.at);
        let blocked = (0..self.waiting_since.len())
            .filter(|&c| self.waiting_since[c].is_some() && !self.crashed[c])
            .count() as u64;
        let stuck = if end.ending == Ending::Quiescent {
            (0..self.sections.len())
                .filter(|&c| self.sections[c].inside && !self.stalled[c] && !self.finished[c])
                .count() as u64
        } else {
            0
        };
        let (overlaps, stale_accepted, stale_rejected, stale_effects) =
            (self.overlaps, self.stale_accepted, self.stale_rejected, self.stale_effects);
        let lost_updates = self.accepted_writes - self.counter.min(self.accepted_writes);
        let disagreements = self.disagreed.iter().filter(|&&d| d).count() as u64;
        let instances = self.decisions.iter().filter(|d| d.is_some()).count() as u64;
        let n: u64 = (0..self.sections.len()).map(|c| self.succession.newest(c)).sum();
        let overlap = Rate::new(overlaps, n);
        let latency = &self.latency;
        Ok(LockMetrics {
            acquisitions: n,
            overlaps,
            aborted_overlaps: self.aborted_overlaps,
            overlap_rate: overlap.rate,
            overlap_rate_ci95: overlap.ci95,
            stale_accepted,
            stale_rejected,
            lost_updates,
            duplicate_effects: self.duplicate_effects,
            stale_effects,
            aborts: self.aborts,
            blocked,
            stuck,
            disagreements,
            expiries: self.expiries,
            unwaited_expiries: self.unwaited_expiries,
            instances,
            accepted_writes: self.accepted_writes,
            effects: self.effects,
            rates: Rates {
                overlap,
                stale_accepted: Rate::new(stale_accepted, n),
                stale_rejected: Rate::new(stale_rejected, n),
                lost_update: Rate::new(lost_updates, self.accepted_writes),
                duplicate_effect: Rate::new(self.duplicate_effects, self.effects),
                stale_effect: Rate::new(stale_effects, self.effects),
                abort: Rate::new(self.aborts, n),
                disagreement: Rate::new(disagreements, instances),
                unwaited_expiry: Rate::new(self.unwaited_expiries, self.expiries),
            },
            acquire_latency_ns: Latency {
                p50: latency.value_at_quantile(0.5).min(self.longest_wait),
                p99: latency.value_at_quantile(0.99).min(self.longest_wait),
                max: self.longest_wait,
                mean: if latency.is_empty() { 0.0 } else { latency.mean() },
            },
            unavailable: if end.at == 0 { 0.0 } else { self.unavailable as f64 / end.at as f64 },
            ending: end.ending,
            end_ns: end.at,
            engine_events: end.events,
        })
    }
}

impl Observer<LockEvent> for LockOracle {
    fn observe(&mut self, at: Nanos, node: NodeId, event: &LockEvent) {
        self.advance(at);
        if let Some(client) = event.client()
            && !self.places(node, client, event)
        {
            return;
        }
        match *event {
            LockEvent::Requested { client } => {
                self.waiting_since[client].get_or_insert(at);
            }
            // What a queueing service says is shown in replays, never judged (see the module
            // docs); its expiries only measure the closed forms' contention assumption.
            LockEvent::Granted { .. } | LockEvent::Freed { expired: false, .. } => {}
            LockEvent::Freed { expired: true, .. } => {
                self.expiries += 1;
                let waits = (0..self.waiting_since.len())
                    .any(|c| self.waiting_since[c].is_some() && !self.crashed[c]);
                if !waits {
                    self.unwaited_expiries += 1;
                }
            }
            LockEvent::Entered { client, .. } => {
                for (other, section) in self.sections.iter_mut().enumerate() {
                    if other != client && section.inside && section.flags & OVERLAP == 0 {
                        section.flags |= OVERLAP;
                        self.overlaps += 1;
                    }
                }
                if let Some(since) = self.waiting_since[client].take() {
                    self.latency.record(at - since).expect("an auto-resizing histogram records any u64");
                    self.longest_wait = self.longest_wait.max(at - since);
                }
                self.succession.enter(client);
                self.sections[client] = Section { inside: true, flags: 0 };
                self.holder = Some(client);
            }
            LockEvent::Left { client, exit, .. } => {
                let section = &mut self.sections[client];
                section.inside = false;
                if exit == Exit::Aborted {
                    self.aborts += 1;
                    if section.flags & (OVERLAP | TOUCHED) == OVERLAP {
                        self.aborted_overlaps += 1;
                    }
                }
            }
            LockEvent::Accessed { client, key, op, accepted, .. } => {
                self.touched(client, self.succession.newest(client), Some(accepted));
                if let (Op::Write(value), true, Workload::Increment) = (op, accepted, self.workload)
                    && key == 0
                {
                    self.accepted_writes += 1;
                    self.counter = value;
                }
            }
            LockEvent::Effect { client, key, value, section, .. } => {
                self.effects += 1;
                self.touched(client, section, None);
                match self.workload {
                    Workload::Increment => {
                        if !self.sent_values.insert(value) {
                            self.duplicate_effects += 1;
                        }
                    }
                    Workload::Consensus { decide_by: DecideBy::Effect } => self.decide(key, value),
                    Workload::Consensus { decide_by: DecideBy::Ack } => {}
                }
            }
            LockEvent::Decided { instance, value, .. } => self.decide(instance, value),
            LockEvent::Finished { client } => self.finished[client] = true,
        }
    }

    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
        self.advance(at);
        match self.topology.role(node) {
            Some(Role::Client(client)) => match fault {
                FaultEvent::StallBegin { .. } => self.stalled[client] = true,
                FaultEvent::StallEnd => self.stalled[client] = false,
                FaultEvent::Crash => {
                    self.crashed[client] = true;
                    self.sections[client].inside = false;
                    self.waiting_since[client] = None;
                }
                FaultEvent::ClockJump { .. } => {}
            },
            Some(Role::Server(server)) => match fault {
                FaultEvent::StallBegin { .. } => self.server_faults[server].1 = true,
                FaultEvent::StallEnd => self.server_faults[server].1 = false,
                FaultEvent::Crash => self.server_faults[server].0 = true,
                FaultEvent::ClockJump { .. } => {}
            },
            Some(Role::Storage | Role::Outbox) => {}
            None => {
                let nodes = self.topology.nodes();
                self.error.get_or_insert(OracleError::UnknownNode {
                    node,
                    event: format!("{fault:?}"),
                    nodes,
                });
            }
        }
    }

    fn finished(&self) -> bool {
        (0..self.finished.len()).all(|c| self.finished[c] || self.crashed[c])
    }
}
