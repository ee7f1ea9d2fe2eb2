//! Every omission pattern, explored: an exhaustive search over the adversary.
//!
//! Lock-step rounds leave a scheduler nothing to interleave (loom would find one execution); what
//! varies is the adversary. Under omission faults (docs/model.md §6.1) it corrupts at most `f`
//! servers and, as world C does, any of the clients, and then decides *per message* whether each
//! message sent by or to a faulty process arrives. [`search`] enumerates all of those decisions
//! over `R` rounds, for every faulty set of `f` servers (a smaller set is the same set with some
//! links left alone), runs the protocol deterministically under each, and judges every run with
//! the specification's own checker ([`spec::check`]): Termination, Agreement and Validity.
//!
//! The patterns are far too many to run one by one (a heartbeat on a faulty link every round is
//! already `2^R` of them), but most of them lead to the same place. So the search explores
//! breadth-first, round by round, over *system states*: every process's state (servers and
//! clients) and the messages in flight, plus who the adversary has had to declare faulty so far.
//! Two patterns that reach the same state in the same round have the same futures, and that state
//! is expanded once. The number of patterns is still counted exactly (each state carries how many
//! patterns reach it, saturating at `u128::MAX`), and so is the number of patterns that violate
//! each property. For each violated property the search keeps the pattern that violates it with
//! the fewest dropped messages, replays it through the ordinary round driver ([`run::run`]) to
//! check the verdict, and [`match_world_c`] says whether it is world C up to a renaming of the
//! servers.
//!
//! **Who is faulty.** The adversary picks a set `S` of `f` servers; a message to or from a server
//! of `S` may be lost freely. With [`SearchOptions::clients_may_fail`] (the default, and what world
//! C needs) a message between a client and a server outside `S` may be lost too, and the client is
//! then faulty: the search records it, and Termination excuses exactly the clients a pattern made
//! faulty, no more. Without it, clients and their links to the correct servers are reliable, as
//! in `faultline smr --stress`.
//!
//! **What a protocol needs.** The search must copy and compare states, so it asks a little more of
//! a [`Protocol`] than the worlds do: its server must be `Clone + Hash + Eq` and its message
//! `Hash + Eq` (a `#[derive(Clone, PartialEq, Eq, Hash)]` on each, usually). The trait itself is
//! unchanged, so a protocol without these still runs in the worlds and the stress sweeps.
//!
//! **Bounds.** The search stops with [`SearchError::StateLimit`] once it has explored
//! [`SearchOptions::max_states`] distinct states, with [`SearchError::MemoryLimit`] once the states
//! it keeps take an estimated [`SearchOptions::max_bytes`], and with [`SearchError::TooManyChoices`] if one
//! state has more than [`MAX_CHOICES`] droppable messages in one round (`2^MAX_CHOICES`
//! successors); it never runs on without saying so.
//!
//! ```
//! use faultline::smr::protocols::{CommitRule, Vote};
//! use faultline::smr::search::{SearchOptions, search};
//! use faultline::smr::{Cluster, derived_rounds};
//!
//! // Majority on n = 2f + 1 = 3, clients correct: no omission pattern of one faulty server breaks it.
//! let rounds = derived_rounds(3, 1) as u32;
//! let options = SearchOptions { clients_may_fail: false, ..SearchOptions::new() };
//! let found = search(&Vote::new(CommitRule::Majority), Cluster::new(3, 1), rounds, &options).unwrap();
//! assert!(found.safe_and_live());
//! assert_eq!((found.patterns, found.states), (339, 3621));
//! ```

use super::model::{CLIENTS, Cluster, Cmd, Pid, Round};
use super::protocol::{Process, Protocol, RegisterClient};
use super::run::{self, Driver, HasFaulty, RunError, RunRecord};
use super::spec::{self, Response, Verdict};
use super::view::{Difference, compare};
use super::world::{self, WorldName};
use crate::smr::rounds::{self, Adversary, panic_message};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::hash::Hash;

/// Most droppable messages one state may send in one round: its `2^MAX_CHOICES` successors are
/// the most one expansion may produce.
pub const MAX_CHOICES: usize = 20;
/// The default bound on the distinct states a search explores.
pub const DEFAULT_MAX_STATES: u64 = 2_000_000;
/// The default bound on the memory a search's states take, estimated ([`SearchOptions::max_bytes`]):
/// 1 GiB, which a laptop has to spare. Two million states of a chatty protocol on four servers
/// take several times that, so the state bound alone does not keep a search within memory.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// Most servers a search accepts: every process is a bit of a 64-bit mask, and beyond a handful of
/// servers no exhaustive search ends anyway.
pub const MAX_SEARCH_SERVERS: usize = 8;

/// What the search explores besides the protocol, the cluster and the rounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchOptions {
    /// What each client writes (default: both write, `C1` and `C2`).
    pub inputs: [Option<Cmd>; CLIENTS],
    /// Whether the adversary may also make clients faulty, losing messages between a client and a
    /// correct server (default: true, as in world C).
    pub clients_may_fail: bool,
    /// Stop with [`SearchError::StateLimit`] after this many distinct states (default:
    /// [`DEFAULT_MAX_STATES`]).
    pub max_states: u64,
    /// Stop with [`SearchError::MemoryLimit`] once the states kept take this many bytes, as
    /// estimated from their sizes: the states of the layer being expanded and of the next, and
    /// the record of how every state was reached (default: [`DEFAULT_MAX_BYTES`]).
    pub max_bytes: u64,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl SearchOptions {
    /// Both clients write, clients may fail, [`DEFAULT_MAX_STATES`], [`DEFAULT_MAX_BYTES`].
    pub fn new() -> Self {
        SearchOptions {
            inputs: [Some(Cmd(1)), Some(Cmd(2))],
            clients_may_fail: true,
            max_states: DEFAULT_MAX_STATES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// One message of a run, by where it was sent: its round, sender, addressee and its index among
/// the messages on that link in that round, as [`Adversary::delivers`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct MessageId {
    /// The round it was sent in.
    pub round: Round,
    /// The sender.
    pub from: Pid,
    /// The addressee.
    pub to: Pid,
    /// Its index on the link in that round, from 0.
    pub k: usize,
}

/// One omission pattern: who is faulty and exactly which messages are lost. It is an
/// [`Adversary`], so [`run::run`] replays it with either driver.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OmissionPattern {
    /// The faulty processes: the servers the adversary chose, and the clients it had to make
    /// faulty to lose a message between them and a correct server.
    pub faulty: BTreeSet<Pid>,
    /// The lost messages.
    pub dropped: BTreeSet<MessageId>,
}

impl Adversary for OmissionPattern {
    fn crashed(&self, _: Pid, _: Round) -> bool {
        false
    }

    fn delivers(&self, round: Round, from: Pid, to: Pid, k: usize) -> bool {
        !self.dropped.contains(&MessageId { round, from, to, k })
    }
}

impl HasFaulty for OmissionPattern {
    fn faulty(&self) -> &BTreeSet<Pid> {
        &self.faulty
    }
}

/// A lost message as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedMessage {
    /// The round it was sent in.
    pub round: Round,
    /// Sender, `s1` or `c2`.
    pub from: String,
    /// Addressee.
    pub to: String,
    /// The message, as the protocol displays it.
    pub msg: String,
}

/// The property a witness breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    /// Two responses differ.
    Agreement,
    /// A response names a command nobody wrote.
    Validity,
    /// A correct client that wrote got no response.
    Termination,
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Property::Agreement => "agreement",
            Property::Validity => "validity",
            Property::Termination => "termination",
        })
    }
}

/// A pattern that breaks a property, with the fewest dropped messages of all that do, replayed.
#[derive(Debug, Clone, Serialize)]
pub struct Witness {
    /// The property it breaks.
    pub property: Property,
    /// The pattern.
    #[serde(skip)]
    pub pattern: OmissionPattern,
    /// The faulty processes, `s2`, `c1`.
    pub faulty: Vec<String>,
    /// Every lost message, in order.
    pub dropped: Vec<DroppedMessage>,
    /// What each client was told.
    pub responses: [Option<Response>; CLIENTS],
    /// The specification's verdict on the run.
    pub verdict: Verdict,
    /// Whether (and how) the pattern is world C up to a renaming of the servers; `None` when it
    /// is not, or no world C exists (`n > 2f`, or other inputs than world C's).
    pub world_c: Option<WorldMatch>,
}

/// How a pattern matches world C (docs/model.md §6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorldMatch {
    /// The renaming of the servers applied to world C, `s1->s2`; empty for world C itself.
    pub renaming: Vec<String>,
    /// Every lost message lies on a link the renamed world C cuts, and every faulty process is
    /// faulty there: the pattern is world C with some of its losses left out.
    pub within_cut: bool,
    /// The renamed world C, run as it is, tells each client the command the pattern does (perhaps
    /// in another round).
    pub same_responses: bool,
    /// Where the pattern's views first differ from the renamed world C's, every process compared;
    /// `None`: every process sees exactly what it sees in world C.
    pub first_difference: Option<Difference>,
}

/// Patterns counted by the property they break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Violations {
    /// Patterns breaking Agreement.
    pub agreement: u128,
    /// Patterns breaking Validity.
    pub validity: u128,
    /// Patterns breaking Termination.
    pub termination: u128,
    /// Patterns breaking at least one.
    pub any: u128,
}

/// What a search explored and found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchReport {
    /// The protocol's name.
    pub protocol: String,
    /// Its `τ`, if it has one.
    pub tau: Option<Round>,
    /// `n`.
    pub servers: usize,
    /// `f`.
    pub faults: usize,
    /// Rounds of every run.
    pub rounds: Round,
    /// The options.
    pub options: SearchOptions,
    /// The faulty sets of `f` servers tried.
    pub server_sets: usize,
    /// Omission patterns, counted exactly (a faulty server set and a decision for every message
    /// on a faulty link, over every round), saturating at `u128::MAX`.
    pub patterns: u128,
    /// Distinct system states explored, over all rounds.
    pub states: u64,
    /// State transitions explored (one per state and choice of lost messages).
    pub transitions: u64,
    /// Patterns that break each property.
    pub violating: Violations,
    /// For each property some pattern breaks, the one with the fewest lost messages: agreement,
    /// validity, termination, in that order.
    pub witnesses: Vec<Witness>,
    /// `faultline` words that show the matching world (set by [`crate::smr::SearchConfig`] for the
    /// built-in protocols).
    pub replay: Option<String>,
}

impl SearchReport {
    /// True when no pattern breaks any property.
    pub fn safe_and_live(&self) -> bool {
        self.violating.any == 0
    }

    /// The witness of `property`, if some pattern breaks it.
    pub fn witness(&self, property: Property) -> Option<&Witness> {
        self.witnesses.iter().find(|w| w.property == property)
    }
}

/// Why a search stopped without a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// The state bound was reached.
    #[error(
        "the search explored {states} distinct states, its limit, by round {round} of {rounds}, and stopped: raise the state bound or lower the rounds"
    )]
    StateLimit {
        /// The limit.
        states: u64,
        /// The round being expanded.
        round: Round,
        /// The rounds asked for.
        rounds: Round,
    },
    /// The memory bound was reached.
    #[error(
        "the search's states took about {bytes} bytes, more than its limit of {limit} bytes, after {states} distinct states by round {round} of {rounds}, and stopped: raise the memory bound or lower the rounds or the servers"
    )]
    MemoryLimit {
        /// The estimated bytes of the states kept when the search stopped.
        bytes: u64,
        /// The limit, in bytes.
        limit: u64,
        /// Distinct states explored.
        states: u64,
        /// The round being expanded.
        round: Round,
        /// The rounds asked for.
        rounds: Round,
    },
    /// One state sent too many messages on faulty links in one round.
    #[error(
        "in round {round} one state sends {messages} messages that may be lost, more than the {MAX_CHOICES} one step may branch on (2^{MAX_CHOICES} successors): lower the servers"
    )]
    TooManyChoices {
        /// The round.
        round: Round,
        /// The droppable messages.
        messages: usize,
    },
    /// The cluster cannot be searched.
    #[error("{0}")]
    Cluster(String),
    /// A process of the protocol failed.
    #[error("{0}")]
    Run(#[from] RunError),
    /// The ordinary driver, replaying a witness, did not see what the search saw: the protocol is
    /// not deterministic (or its `Hash`/`Eq` miss part of its state).
    #[error(
        "replaying the {property} witness gave a different verdict than the search saw: the protocol is not deterministic, or its Hash/Eq leave out part of its state"
    )]
    ReplayMismatch {
        /// The witness's property.
        property: Property,
    },
}

/// A system state: the servers, the clients, the messages in flight to each process, and the
/// faulty processes as a bit mask over pids.
type State<S, M> = (Vec<S>, Vec<RegisterClient<M>>, Vec<Vec<(Pid, M)>>, u64);

/// How a state was first reached with the fewest lost messages, and how many patterns reach it.
#[derive(Debug, Clone)]
struct Meta {
    patterns: u128,
    drops: usize,
    parent: usize,
    dropped: Vec<MessageId>,
}

/// The bytes `state` and its [`Meta`] take, estimated from the sizes of their parts: the state
/// inline twice (a hash table's slot, with room to grow, and the layer's vector), every vector's
/// elements and an allocator's header per vector, and the meta with its lost messages; then
/// doubled, for what these sizes do not see.
fn estimated_bytes<S, M>(state: &State<S, M>, dropped: usize) -> u64 {
    use std::mem::size_of;
    const ALLOCATION: usize = 16;
    let (servers, clients, inboxes, _) = state;
    let messages: usize = inboxes.iter().map(Vec::len).sum();
    let bytes = 2 * size_of::<(State<S, M>, usize)>()
        + servers.len() * size_of::<S>()
        + clients.len() * size_of::<RegisterClient<M>>()
        + inboxes.len() * (size_of::<Vec<(Pid, M)>>() + ALLOCATION)
        + messages * size_of::<(Pid, M)>()
        + 3 * ALLOCATION
        + size_of::<Meta>()
        + dropped * size_of::<MessageId>()
        + ALLOCATION;
    // Measured: commit-alone on four servers, two faulty, peaked at 1.8 times the sum above
    // (allocator slack, the hash table's growth, what servers and clients keep on the heap).
    const SLACK: u64 = 2;
    SLACK * bytes as u64
}

fn bit(p: Pid) -> u64 {
    1u64 << p.0
}

/// One process's step, guarded as the round driver guards it: a panic or a message to a pid that
/// names no process is a [`RunError`].
fn step<M: Clone + fmt::Display>(
    proc: &mut dyn Process<M>,
    cluster: Cluster,
    round: Round,
    me: Pid,
    inbox: &[(Pid, M)],
) -> Result<Vec<(Pid, M)>, RunError> {
    let mut out = Vec::new();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| proc.round(round, inbox, &mut out))).map_err(
        |payload| RunError::Panicked {
            process: cluster.name(me),
            round,
            message: panic_message(payload.as_ref()),
        },
    )?;
    if let Some((to, msg)) = out.iter().find(|(to, _)| to.0 >= cluster.len()) {
        return Err(RunError::Misaddressed {
            process: cluster.name(me),
            round,
            to: to.0,
            msg: msg.to_string(),
            last: cluster.len() - 1,
            names: cluster.names(&cluster.processes().collect::<Vec<_>>()),
        });
    }
    Ok(out)
}

/// Every set of `k` of the first `n` servers, in lexicographic order.
fn server_sets(n: usize, k: usize) -> Vec<Vec<usize>> {
    fn go(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            go(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    go(0, n, k, &mut Vec::new(), &mut out);
    out
}

/// Explores every omission pattern of `cluster` over `rounds` rounds for `protocol` (see the
/// module's documentation), and reports how many patterns and states there were, how many
/// patterns break each property, and a witness for each property broken.
pub fn search<P>(
    protocol: &P,
    cluster: Cluster,
    rounds: Round,
    options: &SearchOptions,
) -> Result<SearchReport, SearchError>
where
    P: Protocol,
    P::Server: Clone + Hash + Eq,
    P::Msg: Hash + Eq,
{
    let (n, f) = (cluster.servers, cluster.faults);
    if n == 0 || n > MAX_SEARCH_SERVERS {
        return Err(SearchError::Cluster(format!(
            "servers n must be from 1 to {MAX_SEARCH_SERVERS} for a search (got {n})"
        )));
    }
    if f == 0 || f >= n {
        return Err(SearchError::Cluster(format!(
            "faults f must be from 1 to n-1 = {} for a search (got {f})",
            n - 1
        )));
    }
    let clients: [Pid; CLIENTS] = [cluster.client(0), cluster.client(1)];
    let client_bits = clients.iter().fold(0, |m, &c| m | bit(c));
    let sets = server_sets(n, f);
    // Round 0's states: one per faulty server set, the mask holding its servers.
    let mut layer: Vec<State<P::Server, P::Msg>> = Vec::with_capacity(sets.len());
    let mut metas: Vec<Vec<Meta>> = vec![Vec::with_capacity(sets.len())];
    for (i, set) in sets.iter().enumerate() {
        let servers = cluster.servers().map(|s| protocol.server(s, cluster)).collect();
        let cs = (0..CLIENTS)
            .map(|j| {
                RegisterClient::new(cluster, options.inputs[j], options.inputs[j].map(P::write), P::response)
            })
            .collect();
        let mask = set.iter().fold(0, |m, &s| m | bit(Pid(s)));
        layer.push((servers, cs, vec![Vec::new(); cluster.len()], mask));
        metas[0].push(Meta { patterns: 1, drops: 0, parent: i, dropped: Vec::new() });
    }
    let mut states = layer.len() as u64;
    let mut transitions = 0u64;
    // Bytes of the layer being expanded, of the next one, and of the metas of every round.
    let mut layer_bytes: u64 = layer.iter().map(|s| estimated_bytes(s, 0)).sum();
    let mut kept_bytes = 0u64;
    let server_mask = |mask: u64| mask & !client_bits;
    for round in 0..rounds {
        let last = round + 1 == rounds;
        // foldhash rather than the standard SipHash: a state is hashed whole, and hashing was 40% of
        // a search (`perf record`; stateright, which hashes each state once into a fingerprint,
        // was 1.6x faster on world C).
        let mut index: HashMap<State<P::Server, P::Msg>, usize, foldhash::fast::RandomState> =
            HashMap::default();
        let mut next: Vec<Meta> = Vec::new();
        let mut next_bytes = 0u64;
        for (i, (mut servers, mut cs, inboxes, mask)) in layer.into_iter().enumerate() {
            // Every process steps once; what it sends is the same whatever the adversary does next.
            let mut sent: Vec<(MessageId, P::Msg)> = Vec::new();
            for p in cluster.processes() {
                let out = match cluster.client_index(p) {
                    Some(j) => step(&mut cs[j], cluster, round, p, &inboxes[p.0])?,
                    None => step(&mut servers[p.0], cluster, round, p, &inboxes[p.0])?,
                };
                for (to, k, msg) in rounds::numbered(out) {
                    sent.push((MessageId { round, from: p, to, k }, msg));
                }
            }
            let faulty_servers = server_mask(mask);
            let may_lose = |id: &MessageId| {
                let ends = bit(id.from) | bit(id.to);
                ends & faulty_servers != 0 || (options.clients_may_fail && ends & client_bits != 0)
            };
            let choices: Vec<usize> = (0..sent.len()).filter(|&m| may_lose(&sent[m].0)).collect();
            if choices.len() > MAX_CHOICES {
                return Err(SearchError::TooManyChoices { round, messages: choices.len() });
            }
            let parent = metas[round as usize][i].clone();
            for choice in 0u64..(1u64 << choices.len()) {
                transitions += 1;
                let mut lost = vec![false; sent.len()];
                let mut dropped = Vec::new();
                let mut faulty = mask;
                for (b, &m) in choices.iter().enumerate() {
                    if choice >> b & 1 == 1 {
                        lost[m] = true;
                        let id = sent[m].0;
                        dropped.push(id);
                        let ends = bit(id.from) | bit(id.to);
                        if ends & faulty_servers == 0 {
                            // Lost between a client and a correct server: the client is faulty.
                            faulty |= ends & client_bits;
                        }
                    }
                }
                // Messages sent in the last round would arrive in a round that is never run.
                let mut arriving = vec![Vec::new(); cluster.len()];
                if !last {
                    for (m, (id, msg)) in sent.iter().enumerate() {
                        if !lost[m] {
                            arriving[id.to.0].push((id.from, msg.clone()));
                        }
                    }
                }
                let state = (servers.clone(), cs.clone(), arriving, faulty);
                let drops = parent.drops + dropped.len();
                match index.get(&state) {
                    Some(&at) => {
                        let meta = &mut next[at];
                        meta.patterns = meta.patterns.saturating_add(parent.patterns);
                        if drops < meta.drops {
                            (meta.drops, meta.parent, meta.dropped) = (drops, i, dropped);
                        }
                    }
                    None => {
                        states += 1;
                        if states > options.max_states {
                            return Err(SearchError::StateLimit {
                                states: options.max_states,
                                round,
                                rounds,
                            });
                        }
                        next_bytes += estimated_bytes(&state, dropped.len());
                        let bytes = kept_bytes + layer_bytes + next_bytes;
                        if bytes > options.max_bytes {
                            return Err(SearchError::MemoryLimit {
                                bytes,
                                limit: options.max_bytes,
                                states,
                                round,
                                rounds,
                            });
                        }
                        index.insert(state, next.len());
                        next.push(Meta { patterns: parent.patterns, drops, parent: i, dropped });
                    }
                }
            }
        }
        // The next layer in the order its states were first reached, so that the search is
        // deterministic whatever the hash map's order.
        let mut ordered: Vec<_> = index.into_iter().map(|(s, at)| (at, s)).collect();
        ordered.sort_by_key(|&(at, _)| at);
        layer = ordered.into_iter().map(|(_, s)| s).collect();
        // The expanded layer's states are gone; its metas stay, for the witnesses' walk back.
        kept_bytes += metas[round as usize].len() as u64 * std::mem::size_of::<Meta>() as u64;
        metas.push(next);
        layer_bytes = next_bytes;
    }

    // Judge every final state with the specification's checker.
    let finals = metas.last().expect("round 0's layer is always there");
    let mut violating = Violations::default();
    let mut best: [Option<(usize, usize)>; 3] = [None; 3]; // (drops, final index) per property
    let mut verdicts = Vec::with_capacity(layer.len());
    for (i, (_, cs, _, mask)) in layer.iter().enumerate() {
        let responses: [Option<Response>; CLIENTS] =
            std::array::from_fn(|j| cs[j].told().map(|(cmd, round)| Response { cmd, round }));
        let faulty: BTreeSet<Pid> = cluster.processes().filter(|&p| mask & bit(p) != 0).collect();
        let v = spec::check(clients, &options.inputs, &responses, &faulty);
        let k = finals[i].patterns;
        let add = |count: &mut u128, held: bool| {
            if !held {
                *count = count.saturating_add(k);
            }
        };
        add(&mut violating.agreement, v.agreement);
        add(&mut violating.validity, v.validity);
        add(&mut violating.termination, v.termination);
        add(&mut violating.any, v.ok());
        for (slot, held) in best.iter_mut().zip([v.agreement, v.validity, v.termination]) {
            if !held && slot.is_none_or(|(d, _)| finals[i].drops < d) {
                *slot = Some((finals[i].drops, i));
            }
        }
        verdicts.push((responses, v));
    }

    let mut witnesses = Vec::new();
    for (property, slot) in
        [Property::Agreement, Property::Validity, Property::Termination].into_iter().zip(best)
    {
        let Some((_, end)) = slot else { continue };
        // Walk back to round 0: the lost messages, and the faulty server set chosen there.
        let mut dropped = BTreeSet::new();
        let mut at = end;
        for r in (1..metas.len()).rev() {
            let meta = &metas[r][at];
            dropped.extend(meta.dropped.iter().copied());
            at = meta.parent;
        }
        let mask = layer[end].3;
        let faulty: BTreeSet<Pid> = cluster.processes().filter(|&p| mask & bit(p) != 0).collect();
        debug_assert!(sets[at].iter().all(|&s| faulty.contains(&Pid(s))));
        let pattern = OmissionPattern { faulty, dropped };
        let outcome = run::run(protocol, cluster, &options.inputs, &pattern, rounds, Driver::Loop)?;
        let (responses, verdict) = verdicts[end];
        if outcome.verdict != verdict || outcome.responses != responses {
            return Err(SearchError::ReplayMismatch { property });
        }
        let world_c = match_world_c(protocol, cluster, rounds, &options.inputs, &pattern, &outcome)?;
        witnesses.push(Witness {
            property,
            faulty: pattern.faulty.iter().map(|&p| cluster.name(p)).collect(),
            dropped: outcome
                .sent
                .iter()
                .filter(|s| !s.delivered)
                .map(|s| DroppedMessage {
                    round: s.round,
                    from: cluster.name(s.from),
                    to: cluster.name(s.to),
                    msg: s.msg.to_string(),
                })
                .collect(),
            pattern,
            responses,
            verdict,
            world_c,
        });
    }

    Ok(SearchReport {
        protocol: protocol.name(),
        tau: protocol.tau(),
        servers: n,
        faults: f,
        rounds,
        options: options.clone(),
        server_sets: sets.len(),
        patterns: finals.iter().fold(0u128, |sum, m| sum.saturating_add(m.patterns)),
        states,
        transitions,
        violating,
        witnesses,
        replay: None,
    })
}

/// Every permutation of `0..n`, the identity first.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    fn go(rest: &mut Vec<usize>, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if rest.is_empty() {
            out.push(cur.clone());
            return;
        }
        for i in 0..rest.len() {
            let x = rest.remove(i);
            cur.push(x);
            go(rest, cur, out);
            cur.pop();
            rest.insert(i, x);
        }
    }
    let mut out = Vec::new();
    go(&mut (0..n).collect(), &mut Vec::new(), &mut out);
    out
}

/// Whether `pattern` (whose run is `outcome`) is world C of `cluster` up to a renaming of the
/// servers: for each renaming, the identity first, every lost message must lie on a link the
/// renamed world C cuts and every faulty process must be faulty there, and the renamed world C,
/// run as it is, must tell each client what the pattern does. The first renaming that fits is
/// returned, with where the pattern's views first differ from the renamed world's (`None`: they
/// are world C's exactly). `None` when no renaming fits, when world C does not exist for the
/// cluster, or when the inputs are not world C's (both clients write).
pub fn match_world_c<P: Protocol>(
    protocol: &P,
    cluster: Cluster,
    rounds: Round,
    inputs: &[Option<Cmd>; CLIENTS],
    pattern: &OmissionPattern,
    outcome: &RunRecord<P::Msg>,
) -> Result<Option<WorldMatch>, RunError> {
    let Ok(c) = world::build(cluster, WorldName::C, super::adversary::FaultModel::Omission) else {
        return Ok(None);
    };
    if *inputs != c.inputs || cluster.servers > 6 {
        return Ok(None);
    }
    let everyone: Vec<Pid> = cluster.processes().collect();
    for perm in permutations(cluster.servers) {
        let rename = |p: Pid| if cluster.is_server(p) { Pid(perm[p.0]) } else { p };
        let mut plan = c.plan.clone();
        plan.cut = c.plan.cut.iter().map(|&(a, b)| (rename(a), rename(b))).collect();
        plan.faulty = c.plan.faulty.iter().map(|&p| rename(p)).collect();
        let within_cut = pattern.dropped.iter().all(|id| plan.cut.contains(&(id.from, id.to)))
            && pattern.faulty.is_subset(&plan.faulty);
        if !within_cut {
            continue;
        }
        let renamed = run::run(protocol, cluster, &c.inputs, &plan, rounds, Driver::Loop)?;
        let told = |o: &RunRecord<P::Msg>| o.responses.map(|r| r.map(|r| r.cmd));
        if told(&renamed) != told(outcome) {
            continue;
        }
        let renaming = cluster
            .servers()
            .filter(|&s| rename(s) != s)
            .map(|s| format!("{}->{}", cluster.name(s), cluster.name(rename(s))))
            .collect();
        return Ok(Some(WorldMatch {
            renaming,
            within_cut,
            same_responses: true,
            first_difference: compare(cluster, &everyone, &outcome.views, &renamed.views),
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smr::protocols::{CommitRule, Vote};

    /// The memory bound stops a search that the state bound would let grow: four servers, two
    /// faulty, where two million states took gigabytes.
    #[test]
    fn the_memory_bound_stops_a_search_and_says_its_bytes() {
        let options = SearchOptions { max_bytes: 4 << 20, ..SearchOptions::new() };
        let protocol = Vote::new(CommitRule::AloneAfter(3));
        match search(&protocol, Cluster::new(4, 2), 20, &options) {
            Err(e @ SearchError::MemoryLimit { bytes, limit, states, .. }) => {
                assert_eq!(limit, 4 << 20);
                assert!(bytes > limit && states < options.max_states, "{e}");
                let text = e.to_string();
                assert!(text.contains(&format!("its limit of {} bytes", 4 << 20)), "{text}");
                assert!(!text.contains("--"), "the library names no flag: {text}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// A state takes at least its inline size, and more for each message in flight.
    #[test]
    fn a_state_s_estimate_grows_with_its_messages() {
        type S = State<u64, u64>;
        let empty: S = (vec![0; 3], Vec::new(), vec![Vec::new(); 5], 0);
        let mut busy = empty.clone();
        busy.2[0] = vec![(Pid(1), 7); 10];
        let (e, b) = (estimated_bytes(&empty, 0), estimated_bytes(&busy, 2));
        assert!(e >= std::mem::size_of::<S>() as u64, "{e}");
        assert!(b >= e + 10 * std::mem::size_of::<(Pid, u64)>() as u64, "{e} {b}");
    }
}
