//! The lock world's oracle: every metric of the model, from the true-time event stream.
//!
//! The oracle folds a run's events through the [`Judge`], which decides every finding (the
//! definitions are in [`crate::lock::judge`]), and counts each finding by its kind. Beside the
//! findings it measures what is not a finding:
//! - **acquire latency**: from a client's request to its entry;
//! - **unavailable**: fraction of the run in which a live client waited while the lock could not
//!   be had because of a fault: its holder (the newest client to enter, while inside) was
//!   crashed, stalled, or cut off from the servers it needs (a quorum of them, as the design
//!   says), or fewer than a quorum of servers were up (crashed, stalled, or cut off from every
//!   client);
//! - **unwaited expiries**: leases a lock service took back at their expiry while no live client
//!   was waiting for the lock. The closed forms assume someone always waits (docs/model.md §4.5):
//!   where an expiry finds nobody, the next client cannot overlap the holder from that expiry, and
//!   a rate below the prediction says the assumption failed, not the model.
//!
//! Its memory does not grow with the run: the judge's constant record per client, a constant one
//! per server, and a latency histogram. The consensus workload is the exception by nature: it
//! keeps one decision per instance, as its storage keeps one register per instance, which is why
//! the number of instances is capped ([`crate::lock::config::MAX_INSTANCES`]).
//!
//! An event the oracle cannot place (a client number or a node the world does not have) is
//! recorded as an [`OracleError`] naming it, and the run reports that error instead of figures.

use super::config::{LockConfig, Partition};
use super::judge::{Finding, FindingKind, Judge};
use super::msg::LockEvent;
use super::rare::{Estimator, RareReport, Weigher};
use super::topology::{Role, Topology};
use crate::check::{Latencies, Rate};
use crate::engine::{Ending, FaultEvent, Lateness, Observer, RunEnd};
use crate::node::NodeId;
use crate::time::Nanos;
use serde::Serialize;

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
///
/// Its JSON also carries `overlap_rate` and `overlap_rate_ci95` beside `overlaps`: the keys
/// every user of `--json` reads first, written from `rates.overlap` by its `Serialize`.
#[derive(Debug, Clone, PartialEq)]
pub struct LockMetrics {
    /// Grants received by clients.
    pub acquisitions: u64,
    /// Acquisitions still inside when the lock went to another client.
    pub overlaps: u64,
    /// Overlaps whose holder then aborted without touching storage or sending an effect: no harm
    /// done.
    pub aborted_overlaps: u64,
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
    /// How late the threads engine was at worst ([`Lateness`]); `None` on the engines that are
    /// never late. In the JSON as `lateness_ns`, `late_node` and `late_at_ns`, absent when `None`.
    pub lateness: Option<Lateness>,
    /// What the rare-event estimator did, when it made the rates ([`crate::lock::rare`]); the
    /// counts beside its rates are then the run's own, made under its proposal.
    pub rare: Option<RareReport>,
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

impl LockMetrics {
    /// The estimator that made the rates: `count` or `rare`.
    pub fn estimator(&self) -> &'static str {
        if self.rare.is_some() { "rare" } else { "count" }
    }

    /// How many findings of `kind` the run counted.
    pub fn count(&self, kind: FindingKind) -> u64 {
        match kind {
            FindingKind::Overlap => self.overlaps - self.aborted_overlaps,
            FindingKind::HarmlessOverlap => self.aborted_overlaps,
            FindingKind::StaleAccepted => self.stale_accepted,
            FindingKind::StaleRefused => self.stale_rejected,
            FindingKind::LostUpdate => self.lost_updates,
            FindingKind::DuplicateEffect => self.duplicate_effects,
            FindingKind::StaleEffect => self.stale_effects,
            FindingKind::Disagreement => self.disagreements,
            FindingKind::Abort => self.aborts,
            FindingKind::Blocked => self.blocked,
            FindingKind::Stuck => self.stuck,
        }
    }
}

/// [`LockMetrics`] as `--json` writes it: `overlap_rate` and `overlap_rate_ci95` after the
/// overlap counts, then every other field in order.
#[derive(Serialize)]
struct MetricsJson<'a> {
    acquisitions: u64,
    overlaps: u64,
    aborted_overlaps: u64,
    overlap_rate: f64,
    overlap_rate_ci95: [f64; 2],
    stale_accepted: u64,
    stale_rejected: u64,
    lost_updates: u64,
    duplicate_effects: u64,
    stale_effects: u64,
    aborts: u64,
    blocked: u64,
    stuck: u64,
    disagreements: u64,
    expiries: u64,
    unwaited_expiries: u64,
    instances: u64,
    accepted_writes: u64,
    effects: u64,
    rates: &'a Rates,
    acquire_latency_ns: &'a Latency,
    unavailable: f64,
    ending: Ending,
    end_ns: u64,
    engine_events: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lateness_ns: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    late_node: Option<NodeId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    late_at_ns: Option<u64>,
    estimator: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rare: &'a Option<RareReport>,
}

impl Serialize for LockMetrics {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self;
        MetricsJson {
            acquisitions: m.acquisitions,
            overlaps: m.overlaps,
            aborted_overlaps: m.aborted_overlaps,
            overlap_rate: m.rates.overlap.rate,
            overlap_rate_ci95: m.rates.overlap.ci95,
            stale_accepted: m.stale_accepted,
            stale_rejected: m.stale_rejected,
            lost_updates: m.lost_updates,
            duplicate_effects: m.duplicate_effects,
            stale_effects: m.stale_effects,
            aborts: m.aborts,
            blocked: m.blocked,
            stuck: m.stuck,
            disagreements: m.disagreements,
            expiries: m.expiries,
            unwaited_expiries: m.unwaited_expiries,
            instances: m.instances,
            accepted_writes: m.accepted_writes,
            effects: m.effects,
            rates: &m.rates,
            acquire_latency_ns: &m.acquire_latency_ns,
            unavailable: m.unavailable,
            ending: m.ending,
            end_ns: m.end_ns,
            engine_events: m.engine_events,
            lateness_ns: m.lateness.map(|l| l.ns),
            late_node: m.lateness.map(|l| l.node),
            late_at_ns: m.lateness.map(|l| l.at),
            estimator: m.estimator(),
            rare: &m.rare,
        }
        .serialize(serializer)
    }
}

/// Each kind's count so far: the findings, added up.
#[derive(Debug, Default)]
struct Tally([i64; FindingKind::ALL.len()]);

impl Tally {
    fn add(&mut self, finding: &Finding) {
        for (kind, by) in finding.counts().into_iter().flatten() {
            self.0[kind as usize] += by;
        }
    }

    fn get(&self, kind: FindingKind) -> u64 {
        self.0[kind as usize].max(0) as u64
    }
}

/// Counts a finding, and weighs it when the rare-event estimator made the run's stalls.
fn count(tally: &mut Tally, weigher: &mut Option<Weigher>, finding: &Finding) {
    tally.add(finding);
    if let Some(w) = weigher {
        w.found(finding);
    }
}

/// Folds a run's events into [`LockMetrics`].
#[derive(Debug)]
pub struct LockOracle {
    judge: Judge,
    tally: Tally,
    topology: Topology,
    quorum: usize,
    partitions: Vec<Partition>,
    /// Per server: crashed, stalled.
    server_faults: Vec<(bool, bool)>,
    expiries: u64,
    unwaited_expiries: u64,
    effects: u64,
    latency: Latencies,
    longest_wait: u64,
    unavailable: Nanos,
    last: Nanos,
    error: Option<OracleError>,
    /// The rare-event estimator's weights, when it draws the stalls.
    weigher: Option<Weigher>,
}

impl LockOracle {
    /// An oracle for a run of `cfg`.
    pub fn new(cfg: &LockConfig) -> Self {
        LockOracle {
            judge: Judge::new(cfg.clients, cfg.workload),
            tally: Tally::default(),
            topology: cfg.topology(),
            quorum: cfg.variant.design().quorum(cfg.servers).clamp(1, cfg.servers),
            partitions: cfg.partitions.clone(),
            server_faults: vec![(false, false); cfg.servers],
            expiries: 0,
            unwaited_expiries: 0,
            effects: 0,
            latency: Latencies::default(),
            longest_wait: 0,
            unavailable: 0,
            last: 0,
            error: None,
            weigher: match cfg.estimator {
                Estimator::Rare(Some(tilt)) => {
                    Some(Weigher::new(tilt, &cfg.pause, cfg.clients, cfg.planned_acquisitions()))
                }
                _ => None,
            },
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
        let clients = self.judge.clients();
        let up = (0..self.server_faults.len())
            .filter(|&s| {
                let server = self.topology.server(s);
                self.server_up(s) && (0..clients.len()).any(|c| !self.cut(server, self.topology.client(c), t))
            })
            .count();
        if up < self.quorum {
            return true;
        }
        // A crashed holder keeps the lock until someone else enters; a live one only while inside.
        match self.judge.holder().map(|h| (h, &clients[h])) {
            Some((_, h)) if h.crashed => true,
            Some((holder, h)) if h.inside() => h.stalled || self.reachable(holder, t) < self.quorum,
            _ => false,
        }
    }

    /// Adds the time since the last event to `unavailable` where a live client waited while the
    /// lock could not be had because of a fault. Partition windows may open or close between two
    /// events, so the interval is cut at their edges.
    fn advance(&mut self, now: Nanos) {
        let (from, to) = (self.last, now.max(self.last));
        self.last = to;
        if from == to || !self.judge.someone_waits() {
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

    /// The metrics, once the run has ended, or the first event the oracle could not place.
    pub fn finish(mut self, end: RunEnd) -> Result<LockMetrics, OracleError> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.advance(end.at);
        let (tally, weigher) = (&mut self.tally, &mut self.weigher);
        self.judge.finish(end.ending == Ending::Quiescent, &mut |f| count(tally, weigher, &f));
        let t = &self.tally;
        let count = |kind| t.get(kind);
        let n = self.judge.entries();
        let accepted_writes = self.judge.accepted_writes();
        let instances = self.judge.instances();
        let aborted_overlaps = count(FindingKind::HarmlessOverlap);
        let overlaps = count(FindingKind::Overlap) + aborted_overlaps;
        let (stale_accepted, stale_rejected) =
            (count(FindingKind::StaleAccepted), count(FindingKind::StaleRefused));
        let (lost_updates, duplicate_effects, stale_effects, disagreements, aborts) = (
            count(FindingKind::LostUpdate),
            count(FindingKind::DuplicateEffect),
            count(FindingKind::StaleEffect),
            count(FindingKind::Disagreement),
            count(FindingKind::Abort),
        );
        let latency = &self.latency;
        let mut rates = Rates {
            overlap: Rate::new(overlaps, n),
            stale_accepted: Rate::new(stale_accepted, n),
            stale_rejected: Rate::new(stale_rejected, n),
            lost_update: Rate::new(lost_updates, accepted_writes),
            duplicate_effect: Rate::new(duplicate_effects, self.effects),
            stale_effect: Rate::new(stale_effects, self.effects),
            abort: Rate::new(aborts, n),
            disagreement: Rate::new(disagreements, instances),
            unwaited_expiry: Rate::new(self.unwaited_expiries, self.expiries),
        };
        let rare = self.weigher.as_ref().map(|w| rates.weigh(w, n));
        Ok(LockMetrics {
            acquisitions: n,
            overlaps,
            aborted_overlaps,
            stale_accepted,
            stale_rejected,
            lost_updates,
            duplicate_effects,
            stale_effects,
            aborts,
            blocked: count(FindingKind::Blocked),
            stuck: count(FindingKind::Stuck),
            disagreements,
            expiries: self.expiries,
            unwaited_expiries: self.unwaited_expiries,
            instances,
            accepted_writes,
            effects: self.effects,
            rates,
            acquire_latency_ns: Latency {
                p50: latency.quantile(0.5).min(self.longest_wait),
                p99: latency.quantile(0.99).min(self.longest_wait),
                max: self.longest_wait,
                mean: latency.mean(),
            },
            unavailable: if end.at == 0 { 0.0 } else { self.unavailable as f64 / end.at as f64 },
            ending: end.ending,
            end_ns: end.at,
            engine_events: end.events,
            lateness: end.late,
            rare,
        })
    }
}

impl Rates {
    /// Replaces each rate the rare-event estimator makes by its weighted estimate (the counts
    /// stay the run's own), and returns what it did. `n` is the run's acquisitions.
    fn weigh(&mut self, weigher: &Weigher, n: u64) -> RareReport {
        use FindingKind as K;
        let mut kinds = Vec::new();
        let mut set = |name: &str, rate: &mut Rate, of: &[FindingKind]| {
            let w = weigher.rate(of, rate.of, n);
            rate.rate = w.rate;
            rate.ci95 = w.ci95;
            kinds.push((name.to_string(), w));
        };
        set("overlap", &mut self.overlap, &[K::Overlap, K::HarmlessOverlap]);
        set("stale_accepted", &mut self.stale_accepted, &[K::StaleAccepted]);
        set("stale_rejected", &mut self.stale_rejected, &[K::StaleRefused]);
        set("duplicate_effect", &mut self.duplicate_effect, &[K::DuplicateEffect]);
        set("stale_effect", &mut self.stale_effect, &[K::StaleEffect]);
        set("abort", &mut self.abort, &[K::Abort]);
        set("disagreement", &mut self.disagreement, &[K::Disagreement]);
        weigher.report(kinds)
    }
}

impl Observer<LockEvent> for LockOracle {
    fn observe(&mut self, at: Nanos, node: NodeId, event: &LockEvent) {
        self.advance(at);
        if !self.judge.places(event) {
            let (client, clients) = (event.client().unwrap_or(0), self.judge.clients().len());
            let event = format!("{event:?}");
            self.error.get_or_insert(OracleError::UnknownClient { node, event, client, clients });
            return;
        }
        match *event {
            // What a lock server says is shown in replays, never judged (see the judge's docs);
            // its expiries only measure the closed forms' contention assumption.
            LockEvent::Freed { expired: true, .. } => {
                self.expiries += 1;
                if !self.judge.someone_waits() {
                    self.unwaited_expiries += 1;
                }
            }
            LockEvent::Entered { client, .. } => {
                if let Some(w) = self.weigher.as_mut() {
                    w.entered(client);
                }
                if let Some(since) = self.judge.clients()[client].waiting_since {
                    self.latency.record(at - since);
                    self.longest_wait = self.longest_wait.max(at - since);
                }
            }
            LockEvent::Effect { .. } => self.effects += 1,
            _ => {}
        }
        let (tally, weigher) = (&mut self.tally, &mut self.weigher);
        self.judge.event(at, event, &mut |f| count(tally, weigher, &f));
        // A window closes after the findings its last section's exit settles.
        if let (LockEvent::Left { client, .. }, Some(w)) = (event, self.weigher.as_mut()) {
            w.closed(*client);
        }
    }

    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
        self.advance(at);
        match self.topology.role(node) {
            Some(Role::Client(client)) => match fault {
                FaultEvent::StallBegin { until } => {
                    self.judge.stall(client, true);
                    if let Some(w) = self.weigher.as_mut() {
                        w.stalled(client, until - at);
                    }
                }
                FaultEvent::StallEnd => self.judge.stall(client, false),
                FaultEvent::Crash => {
                    let (tally, weigher) = (&mut self.tally, &mut self.weigher);
                    self.judge.crash(client, &mut |f| count(tally, weigher, &f));
                    if let Some(w) = self.weigher.as_mut() {
                        w.closed(client);
                    }
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
        self.judge.all_done()
    }
}
