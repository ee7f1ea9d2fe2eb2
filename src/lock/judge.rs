//! The judge: the one place that decides what a run's events mean.
//!
//! Every consumer of a run's violations (the oracle's counters, the replay recorder's windows,
//! the verdict, the outcome table's rows) listens to the [`Finding`]s the [`Judge`] hands out
//! and decides nothing again. A finding carries what a later consumer needs: when it happened
//! (the caller knows the time of the event it fed in), which clients, which section, which
//! token, so that it can be counted, weighed or shown.
//!
//! The rules, from what clients believe and what storage and the outbox do; nothing here depends
//! on what a lock server says, or on the values or order of tokens:
//! - **inside**: a client is inside its critical section from the moment it believes it holds
//!   the lock (its stub said so: `Entered`) until it releases or aborts (`Left`), or crashes.
//! - **overlap**: another client entering while one is inside, once per section of the one
//!   inside. It is *harmful* when the one inside had already touched storage or sent an effect
//!   in that section; otherwise its harm is *pending* until that holder acts (harmful), leaves
//!   other than by aborting, crashes or the run ends (harmful), or aborts at its margin check
//!   without having touched anything (harmless: two clients held the lock at once, but only one
//!   acted on it).
//! - **stale access**: a storage access from a section after another client entered since it
//!   began. A section counts once: as *accepted* if storage accepted any of its stale accesses,
//!   else as *refused* (fencing doing its job, not a violation).
//! - **stale effect**: a side effect sent after another client entered since its section began
//!   (the outbox cannot refuse it), once per effect.
//! - **duplicate effect**: a side effect carrying a counter value an earlier one carried.
//! - **lost updates**: accepted increments missing from the final counter. Every accepted write
//!   sets the counter to a value read earlier plus one, so the counter never exceeds the number of
//!   accepted writes, and the difference is exactly what was lost. Known at the end of the run.
//! - **disagreement**: a consensus instance in which two decisions differ, once per instance.
//! - **abort**: a failed margin check.
//! - **blocked**: a live client still waiting for the lock when the run ended.
//! - **stuck**: a client inside its section at a quiescent end (nothing left to happen), neither
//!   frozen nor crashed: it waits for a reply that will never come. A run cut short by its
//!   horizon or budget cannot know that of anyone, and finds nobody stuck.
//!
//! Which kinds break which property is [`FindingKind::breaks`]; nothing else says it.
//!
//! The judge's memory does not grow with the run: a constant record per client (its newest
//! section and who entered after it: [`Succession`]), the counter values sent (as a low-water
//! mark and the values above it, [`SeenValues`]) and, for the consensus workload only, one
//! decision per instance.

use super::client::{DecideBy, Workload};
use super::msg::{Exit, LockEvent, Op, Token};
use crate::check::seen::SeenValues;
use crate::check::succession::Succession;
use serde::Serialize;

/// What the judge found, at the event it was fed. Clients are numbered from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// `client` entered with `token` while `holder` was still inside its section of `held`.
    Overlap {
        /// Who entered.
        client: usize,
        /// The token it entered with.
        token: Token,
        /// Who was still inside.
        holder: usize,
        /// The holder's token.
        held: Token,
        /// The holder had not acted in its section yet: an [`Finding::OverlapSettled`] for it
        /// follows.
        pending: bool,
    },
    /// The pending overlap of `holder`'s section is settled.
    OverlapSettled {
        /// The holder that was overlapped.
        holder: usize,
        /// It aborted at its margin check without having touched anything.
        harmless: bool,
    },
    /// `client` touched storage with `token` after another client had entered.
    StaleAccess {
        /// Who.
        client: usize,
        /// The token it presented.
        token: Token,
        /// What it did.
        op: Op,
        /// Whether storage accepted it.
        accepted: bool,
        /// How the section counted before this access: `None` when this is its first stale
        /// access, `Some(accepted)` otherwise.
        before: Option<bool>,
    },
    /// The outbox sent `client`'s side effect after another client had entered.
    StaleEffect {
        /// Whose SMS.
        client: usize,
        /// The token its section held.
        token: Token,
        /// The value it carried.
        value: u64,
    },
    /// The outbox sent a side effect carrying a counter value an earlier one carried.
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
    /// `client`'s margin check failed.
    Abort {
        /// Who.
        client: usize,
        /// The token it gave back.
        token: Token,
    },
    /// At the end: `count` accepted increments are missing from the final counter.
    LostUpdates {
        /// How many.
        count: u64,
    },
    /// At the end: `client` still waits for the lock.
    Blocked {
        /// Who.
        client: usize,
    },
    /// At a quiescent end: `client` is inside, waiting for a reply that will never come.
    Stuck {
        /// Who.
        client: usize,
    },
}

/// The kinds of finding a run's figures count, each once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// An overlap whose holder acted on the lock it had lost.
    Overlap,
    /// An overlap whose holder aborted before acting.
    HarmlessOverlap,
    /// A section whose stale access storage accepted.
    StaleAccepted,
    /// A section whose stale accesses storage refused, every one.
    StaleRefused,
    /// An accepted increment missing from the final counter.
    LostUpdate,
    /// A side effect repeating a value.
    DuplicateEffect,
    /// A side effect sent after its section lost the lock.
    StaleEffect,
    /// A consensus instance with two decisions.
    Disagreement,
    /// A failed margin check.
    Abort,
    /// A client left waiting for the lock.
    Blocked,
    /// A client left inside, waiting for a reply.
    Stuck,
}

/// The property a kind of finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    /// Nothing bad happens: at most one client acts on the lock at a time, and what it does
    /// stays done.
    Safety,
    /// Something good keeps happening: every client gets the lock and finishes.
    Liveness,
}

impl FindingKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [FindingKind; 11] = [
        FindingKind::Overlap,
        FindingKind::StaleAccepted,
        FindingKind::LostUpdate,
        FindingKind::DuplicateEffect,
        FindingKind::StaleEffect,
        FindingKind::Disagreement,
        FindingKind::Blocked,
        FindingKind::Stuck,
        FindingKind::StaleRefused,
        FindingKind::HarmlessOverlap,
        FindingKind::Abort,
    ];

    /// The property this kind breaks; `None` for what is worth counting but breaks nothing (a
    /// refused stale access is fencing doing its job, an overlap whose holder aborted before
    /// acting did no harm, an abort is the margin doing its job).
    pub fn breaks(self) -> Option<Property> {
        match self {
            FindingKind::Overlap
            | FindingKind::StaleAccepted
            | FindingKind::LostUpdate
            | FindingKind::DuplicateEffect
            | FindingKind::StaleEffect
            | FindingKind::Disagreement => Some(Property::Safety),
            FindingKind::Blocked | FindingKind::Stuck => Some(Property::Liveness),
            FindingKind::StaleRefused | FindingKind::HarmlessOverlap | FindingKind::Abort => None,
        }
    }

    /// The kind in words, singular and plural.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            FindingKind::Overlap => ("overlap", "overlaps"),
            FindingKind::HarmlessOverlap => (
                "overlap ended in an abort before touching anything",
                "overlaps ended in an abort before touching anything",
            ),
            FindingKind::StaleAccepted => ("stale access accepted", "stale accesses accepted"),
            FindingKind::StaleRefused => {
                ("stale access refused by storage", "stale accesses refused by storage")
            }
            FindingKind::LostUpdate => ("lost update", "lost updates"),
            FindingKind::DuplicateEffect => ("duplicate effect", "duplicate effects"),
            FindingKind::StaleEffect => ("stale effect", "stale effects"),
            FindingKind::Disagreement => ("disagreement", "disagreements"),
            FindingKind::Abort => ("abort", "aborts"),
            FindingKind::Blocked => {
                ("client blocked waiting for the lock", "clients blocked waiting for the lock")
            }
            FindingKind::Stuck => {
                ("client stuck inside waiting for storage", "clients stuck inside waiting for storage")
            }
        }
    }
}

impl Finding {
    /// What the finding adds to each kind's count: `(kind, +1 or -1)`, at most two changes (a
    /// section whose refused stale access is followed by an accepted one moves from refused to
    /// accepted; an overlap settled harmless moves from harmful to harmless).
    pub fn counts(&self) -> [Option<(FindingKind, i64)>; 2] {
        use FindingKind as K;
        match *self {
            Finding::Overlap { .. } => [Some((K::Overlap, 1)), None],
            Finding::OverlapSettled { harmless: true, .. } => {
                [Some((K::Overlap, -1)), Some((K::HarmlessOverlap, 1))]
            }
            Finding::OverlapSettled { harmless: false, .. } => [None, None],
            Finding::StaleAccess { accepted, before, .. } => {
                let kind = |accepted: bool| if accepted { K::StaleAccepted } else { K::StaleRefused };
                match before {
                    None => [Some((kind(accepted), 1)), None],
                    Some(false) if accepted => [Some((K::StaleRefused, -1)), Some((K::StaleAccepted, 1))],
                    Some(_) => [None, None],
                }
            }
            Finding::StaleEffect { .. } => [Some((K::StaleEffect, 1)), None],
            Finding::DuplicateEffect { .. } => [Some((K::DuplicateEffect, 1)), None],
            Finding::Disagreement { .. } => [Some((K::Disagreement, 1)), None],
            Finding::Abort { .. } => [Some((K::Abort, 1)), None],
            Finding::LostUpdates { count } => [Some((K::LostUpdate, count as i64)), None],
            Finding::Blocked { .. } => [Some((K::Blocked, 1)), None],
            Finding::Stuck { .. } => [Some((K::Stuck, 1)), None],
        }
    }

    /// Whether this finding, as it stands when found, is a violation: an overlap only once it is
    /// known to be harmful (a pending one waits for its settlement), a stale access only when
    /// storage accepted it.
    pub fn violates(&self) -> Option<Property> {
        match *self {
            Finding::Overlap { pending: true, .. } | Finding::OverlapSettled { .. } => None,
            Finding::StaleAccess { accepted: false, .. } => None,
            _ => self.counts()[0].and_then(|(kind, _)| kind.breaks()),
        }
    }

    /// The client the finding is about (the one that acted or entered), if one.
    pub fn client(&self) -> Option<usize> {
        match *self {
            Finding::Overlap { client, .. }
            | Finding::StaleAccess { client, .. }
            | Finding::StaleEffect { client, .. }
            | Finding::DuplicateEffect { client, .. }
            | Finding::Disagreement { client, .. }
            | Finding::Abort { client, .. }
            | Finding::Blocked { client }
            | Finding::Stuck { client } => Some(client),
            Finding::OverlapSettled { holder, .. } => Some(holder),
            Finding::LostUpdates { .. } => None,
        }
    }
}

/// A client's newest critical section.
#[derive(Debug, Clone, Copy, Default)]
struct Section {
    token: Token,
    inside: bool,
    /// It read or wrote storage, or sent an effect.
    touched: bool,
    /// Another client entered while it was inside.
    overlapped: bool,
    /// Its overlap waits for a settlement.
    pending: bool,
    /// How its stale accesses count so far (see [`Finding::StaleAccess`]).
    stale: Option<bool>,
}

/// What the judge knows of one client.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientState {
    section: Section,
    /// Waiting for the lock since (true time).
    pub waiting_since: Option<u64>,
    /// Crashed.
    pub crashed: bool,
    /// Frozen by a stall.
    pub stalled: bool,
    /// Done with its share of the workload.
    pub finished: bool,
}

impl ClientState {
    /// Inside its critical section.
    pub fn inside(&self) -> bool {
        self.section.inside
    }

    /// Waiting for the lock, and alive.
    pub fn waits(&self) -> bool {
        self.waiting_since.is_some() && !self.crashed
    }
}

/// Decides findings from a run's events, one event at a time.
#[derive(Debug, Clone)]
pub struct Judge {
    workload: Workload,
    clients: Vec<ClientState>,
    /// How many clients are finished or crashed: the engines ask after every event whether all
    /// are, so it is counted as it happens rather than searched for.
    done: usize,
    /// How many clients wait for the lock (alive): the oracle asks at every step of time.
    waiting: usize,
    succession: Succession,
    /// The newest client to enter (the holder, while it is inside).
    holder: Option<usize>,
    accepted_writes: u64,
    counter: u64,
    sent_values: SeenValues,
    /// Per consensus instance: its first decision, and whether another differed.
    decisions: Vec<Option<(u64, bool)>>,
}

impl Judge {
    /// A judge for `clients` clients running `workload`.
    pub fn new(clients: usize, workload: Workload) -> Self {
        Judge {
            workload,
            clients: vec![ClientState::default(); clients],
            done: 0,
            waiting: 0,
            succession: Succession::new(clients),
            holder: None,
            accepted_writes: 0,
            counter: 0,
            sent_values: SeenValues::starting_at(1),
            decisions: Vec::new(),
        }
    }

    /// What the judge knows of each client.
    pub fn clients(&self) -> &[ClientState] {
        &self.clients
    }

    /// True once every client is finished with its share of the workload or crashed.
    pub fn all_done(&self) -> bool {
        debug_assert_eq!(self.done, self.clients.iter().filter(|c| c.finished || c.crashed).count());
        self.done == self.clients.len()
    }

    /// True if some live client waits for the lock.
    pub fn someone_waits(&self) -> bool {
        debug_assert_eq!(self.waiting, self.clients.iter().filter(|c| c.waits()).count());
        self.waiting > 0
    }

    /// `client` stops waiting (it entered or crashed).
    fn stop_waiting(&mut self, client: usize) {
        if self.clients[client].waits() {
            self.waiting -= 1;
        }
        self.clients[client].waiting_since = None;
    }

    /// Counts `client` as done if it was not yet (it just finished or crashed).
    fn count_done(&mut self, client: usize) {
        let state = &self.clients[client];
        if !(state.finished || state.crashed) {
            self.done += 1;
        }
    }

    /// The newest client to enter: the holder while it is inside, and a crashed one keeps that
    /// place until someone else enters.
    pub fn holder(&self) -> Option<usize> {
        self.holder
    }

    /// Acquisitions so far: sections entered.
    pub fn entries(&self) -> u64 {
        (0..self.clients.len()).map(|c| self.succession.newest(c)).sum()
    }

    /// Accepted writes of the counter (increment workload).
    pub fn accepted_writes(&self) -> u64 {
        self.accepted_writes
    }

    /// Consensus instances with at least one decision.
    pub fn instances(&self) -> u64 {
        self.decisions.iter().filter(|d| d.is_some()).count() as u64
    }

    /// Whether `event` names a client this run has (the judge ignores one that does not; the
    /// oracle reports it).
    pub fn places(&self, event: &LockEvent) -> bool {
        event.client().is_none_or(|c| c < self.clients.len())
    }

    /// Judges `event`, which happened at true time `at`, handing each finding to `found`.
    pub fn event(&mut self, at: u64, event: &LockEvent, found: &mut impl FnMut(Finding)) {
        if !self.places(event) {
            return;
        }
        match *event {
            LockEvent::Requested { client } => {
                let state = &mut self.clients[client];
                if !state.waits() && !state.crashed {
                    self.waiting += 1;
                }
                state.waiting_since.get_or_insert(at);
            }
            LockEvent::Granted { .. } | LockEvent::Freed { .. } => {}
            LockEvent::Entered { client, token } => {
                self.settle(client, false, found);
                for (other, state) in self.clients.iter_mut().enumerate() {
                    let s = &mut state.section;
                    if other != client && s.inside && !s.overlapped {
                        s.overlapped = true;
                        s.pending = !s.touched;
                        found(Finding::Overlap {
                            client,
                            token,
                            holder: other,
                            held: s.token,
                            pending: s.pending,
                        });
                    }
                }
                self.succession.enter(client);
                self.stop_waiting(client);
                let state = &mut self.clients[client];
                state.section = Section { token, inside: true, ..Section::default() };
                self.holder = Some(client);
            }
            LockEvent::Left { client, token, exit } => {
                self.clients[client].section.inside = false;
                let aborted = exit == Exit::Aborted;
                if aborted {
                    found(Finding::Abort { client, token });
                }
                self.settle(client, aborted, found);
            }
            LockEvent::Accessed { client, token, key, op, accepted } => {
                let section = self.succession.newest(client);
                let stale = self.succession.superseded(client, section);
                self.touch(client, section, found);
                if stale {
                    let s = &mut self.clients[client].section;
                    let before = s.stale;
                    s.stale = Some(before.unwrap_or(false) || accepted);
                    found(Finding::StaleAccess { client, token, op, accepted, before });
                }
                if let (Op::Write(value), true, Workload::Increment) = (op, accepted, self.workload)
                    && key == 0
                {
                    self.accepted_writes += 1;
                    self.counter = value;
                }
            }
            LockEvent::Effect { client, token, key, value, section } => {
                let stale = self.succession.superseded(client, section);
                self.touch(client, section, found);
                if stale {
                    found(Finding::StaleEffect { client, token, value });
                }
                match self.workload {
                    Workload::Increment => {
                        if !self.sent_values.insert(value) {
                            found(Finding::DuplicateEffect { client, token, value });
                        }
                    }
                    Workload::Consensus { decide_by: DecideBy::Effect } => {
                        self.decide(client, key, value, found)
                    }
                    Workload::Consensus { decide_by: DecideBy::Ack } => {}
                }
            }
            LockEvent::Decided { client, instance, value } => self.decide(client, instance, value, found),
            LockEvent::Finished { client } => {
                self.count_done(client);
                self.clients[client].finished = true;
            }
        }
    }

    /// `client` crashed: it is no longer inside, nor waiting.
    pub fn crash(&mut self, client: usize, found: &mut impl FnMut(Finding)) {
        if client < self.clients.len() {
            self.count_done(client);
            self.stop_waiting(client);
            let state = &mut self.clients[client];
            state.crashed = true;
            state.section.inside = false;
            self.settle(client, false, found);
        }
    }

    /// `client` froze (`true`) or woke (`false`).
    pub fn stall(&mut self, client: usize, stalled: bool) {
        if let Some(state) = self.clients.get_mut(client) {
            state.stalled = stalled;
        }
    }

    /// The run is over (`quiescent`: nothing was left to happen): settles what was pending and
    /// hands out what only the end shows.
    pub fn finish(&mut self, quiescent: bool, found: &mut impl FnMut(Finding)) {
        for client in 0..self.clients.len() {
            self.settle(client, false, found);
        }
        let lost = self.accepted_writes - self.counter.min(self.accepted_writes);
        if lost > 0 {
            found(Finding::LostUpdates { count: lost });
        }
        for (client, state) in self.clients.iter().enumerate() {
            if state.waits() {
                found(Finding::Blocked { client });
            }
            if quiescent && state.section.inside && !state.stalled && !state.finished {
                found(Finding::Stuck { client });
            }
        }
    }

    /// Settles `client`'s pending overlap, if it has one: harmless only when it aborted.
    fn settle(&mut self, client: usize, aborted: bool, found: &mut impl FnMut(Finding)) {
        let s = &mut self.clients[client].section;
        if s.pending {
            s.pending = false;
            found(Finding::OverlapSettled { holder: client, harmless: aborted && !s.touched });
        }
    }

    /// `client`'s section number `section` acted: touched storage or sent an effect. An act
    /// from an older section (an effect on its way while its client moved on) is judged on its
    /// own and leaves the newest section as it was.
    fn touch(&mut self, client: usize, section: u64, found: &mut impl FnMut(Finding)) {
        if section == self.succession.newest(client) {
            self.clients[client].section.touched = true;
            self.settle(client, false, found);
        }
    }

    fn decide(&mut self, client: usize, instance: u64, value: u64, found: &mut impl FnMut(Finding)) {
        let i = instance as usize;
        if self.decisions.len() <= i {
            self.decisions.resize(i + 1, None);
        }
        match &mut self.decisions[i] {
            slot @ None => *slot = Some((value, false)),
            Some((earlier, disagreed)) if *earlier != value && !*disagreed => {
                *disagreed = true;
                found(Finding::Disagreement { client, instance, value, earlier: *earlier });
            }
            Some(_) => {}
        }
    }
}
