//! Replaying a run to its first violation, and keeping the happenings around it.
//!
//! [`replay`] runs a configuration again (a seed replays a simulated run exactly) with a
//! [`Recorder`] beside the oracle. The recorder decides nothing itself: its own
//! [`Judge`] (the same rules the oracle counts by) hands it every finding, and it keeps only a
//! ring of the last `K` happenings; at the first violation it freezes that ring as the window's
//! past and collects the next `K`. Its memory is therefore `O(K)` per client whatever the length
//! of the run. [`crate::report::timeline`] renders the [`Window`] as text or as a Mermaid
//! sequence diagram.
//!
//! A violation is a finding that breaks safety ([`Finding::violates`]). An overlap whose holder
//! has not acted yet is *pending*: the judge settles it later, harmless if the holder aborts at
//! its margin check without touching anything, a violation otherwise, dated from the entry. A
//! later violation therefore waits until every pending overlap before it is settled. Lost updates
//! are known only at the end of a run: the replay points at the accepted stale write where the
//! update was lost.

use super::config::{ConfigError, LockConfig};
use super::judge::{Finding, Judge, Property};
use super::msg::LockEvent;
use super::runner::{LockReport, run_observed};
use super::topology::Topology;
use super::trace::{Happening, Moment};
use crate::engine::{FaultEvent, Observer};
use crate::node::NodeId;
use crate::time::Nanos;
use std::collections::VecDeque;

/// Happenings kept on each side of the first violation unless asked otherwise: about five critical
/// sections of two clients, enough to see who held the lock and how it was lost.
pub const DEFAULT_CONTEXT: usize = 40;

/// The most happenings kept on each side: a window is for reading, and a larger one would only
/// cost memory (up to two windows per client are kept while an overlap is undecided).
pub const MAX_CONTEXT: usize = 1_000;

/// Why a lock run cannot be replayed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TimelineError {
    /// The configuration is not one a run accepts.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The run could not be judged.
    #[error(transparent)]
    Run(#[from] crate::lock::runner::RunError),
    /// More context than [`MAX_CONTEXT`] was asked for.
    #[error("the context must be at most {MAX_CONTEXT} happenings on each side (got {0})")]
    ContextTooLarge(usize),
}

/// The overlapped holder's first act after the entry, when it fell beyond the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Later {
    /// Happenings between the end of the window and the act.
    pub skipped: u64,
    /// The act: a storage access or an SMS.
    pub moment: Moment,
}

/// The first violation and the happenings around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// What went wrong: a finding that breaks safety.
    pub violation: Finding,
    /// Up to `K` happenings before the violating one, that one, and up to `K` after, in true-time
    /// order.
    pub moments: Vec<Moment>,
    /// Index of the violating happening in `moments`.
    pub at: usize,
    /// For an overlap, the holder's first act after the entry if it came after the window: the
    /// harm an overlap does is that act, and a diagram without it would not show it.
    pub later: Option<Later>,
    /// Who is who in the run.
    pub topology: Topology,
}

impl Window {
    /// When the violation happened (true time).
    pub fn time(&self) -> Nanos {
        self.moments[self.at].at
    }

    /// The client still inside when the lock went to another, for an overlap.
    pub fn holder(&self) -> Option<usize> {
        match self.violation {
            Finding::Overlap { holder, .. } => Some(holder),
            _ => None,
        }
    }

    /// Index in `moments` of the overlapped holder's first act after the entry, when it is
    /// inside the window: that act, not the entry, is what does the harm, so every rendering
    /// points at it.
    pub fn harm(&self) -> Option<usize> {
        let holder = self.holder()?;
        let next = self.moments[self.at + 1..]
            .iter()
            .position(|e| !matches!(for_holder(e, holder, &self.topology), ForHolder::Nothing))?;
        let i = self.at + 1 + next;
        matches!(for_holder(&self.moments[i], holder, &self.topology), ForHolder::Acts).then_some(i)
    }
}

/// A replayed run: its report, as `faultline lock` would print it, and its first violation, if
/// it had one.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// The run's metrics.
    pub report: LockReport,
    /// Its first violation and the happenings around it; `None` for a run without violations.
    pub first: Option<Window>,
}

/// Runs `cfg` again and finds its first violation, keeping `context` happenings on each side.
pub fn replay(cfg: &LockConfig, context: usize) -> Result<Replay, TimelineError> {
    let mut recorder = Recorder::new(cfg, context)?;
    let report = run_observed(cfg, &mut recorder)?;
    Ok(Replay { report, first: recorder.finish() })
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
    violation: Finding,
    state: State,
    before: Vec<Moment>,
    moment: Moment,
    after: Vec<Moment>,
    /// The overlapped holder, until its first act after the entry (or its leaving) is seen.
    watch: Option<usize>,
    skipped: u64,
    later: Option<Later>,
}

/// What a happening means to a watched holder: which act of it to point at is a matter of
/// showing the harm, not of judging it (the judge has done that).
enum ForHolder {
    Acts,
    Leaves,
    Nothing,
}

fn for_holder(e: &Moment, holder: usize, topology: &Topology) -> ForHolder {
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
    fn new(violation: Finding, state: State, recent: &VecDeque<Moment>, moment: Moment) -> Self {
        let watch = match violation {
            Finding::Overlap { holder, .. } => Some(holder),
            _ => None,
        };
        let before = recent.iter().copied().collect();
        Candidate { violation, state, before, moment, after: Vec::new(), watch, skipped: 0, later: None }
    }

    fn complete(&self, context: usize) -> bool {
        self.after.len() >= context && self.watch.is_none()
    }

    fn feed(&mut self, e: &Moment, context: usize, topology: &Topology) {
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
                self.later = Some(Later { skipped: self.skipped, moment: *e });
                self.watch = None;
            }
            ForHolder::Leaves => self.watch = None,
            ForHolder::Nothing if self.watch.is_some() => self.skipped += 1,
            ForHolder::Nothing => {}
        }
    }

    fn into_window(self, topology: Topology) -> Window {
        let at = self.before.len();
        let mut moments = self.before;
        moments.push(self.moment);
        moments.extend(self.after);
        Window { violation: self.violation, moments, at, later: self.later, topology }
    }
}

/// An observer that finds a run's first violation and keeps the happenings around it.
///
/// Run it beside the oracle with [`run_observed`], then call [`Recorder::finish`]; [`replay`] does
/// both.
#[derive(Debug)]
pub struct Recorder {
    context: usize,
    topology: Topology,
    judge: Judge,
    recent: VecDeque<Moment>,
    /// Possible first violations in the order they happened: pending overlaps, and at most one
    /// confirmed violation behind them (a later one could never be first).
    candidates: VecDeque<Candidate>,
    first: Option<Candidate>,
    /// What the judge found at the current happening (kept to reuse its allocation).
    found: Vec<Finding>,
}

impl Recorder {
    /// A recorder for a run of `cfg`, keeping `context` happenings on each side of the violation.
    pub fn new(cfg: &LockConfig, context: usize) -> Result<Self, TimelineError> {
        cfg.validate()?;
        if context > MAX_CONTEXT {
            return Err(TimelineError::ContextTooLarge(context));
        }
        Ok(Recorder {
            context,
            topology: cfg.topology(),
            judge: Judge::new(cfg.clients, cfg.workload),
            recent: VecDeque::with_capacity(context),
            candidates: VecDeque::new(),
            first: None,
            found: Vec::new(),
        })
    }

    /// The first violation, once the run is over. An overlap still pending at the end (its
    /// holder never left) is one, as the judge settles it.
    pub fn finish(mut self) -> Option<Window> {
        let mut found = std::mem::take(&mut self.found);
        self.judge.finish(false, &mut |f| found.push(f));
        for f in found {
            if let Finding::OverlapSettled { holder, harmless } = f {
                self.resolve(holder, harmless);
            }
        }
        self.settle();
        self.first.map(|c| c.into_window(self.topology))
    }

    fn have_confirmed(&self) -> bool {
        self.candidates.iter().any(|c| c.state == State::Confirmed)
    }

    /// Takes in what the judge found at happening `e`.
    fn consider(&mut self, finding: Finding, e: &Moment) {
        let state = match finding {
            Finding::OverlapSettled { holder, harmless } => return self.resolve(holder, harmless),
            Finding::Overlap { pending: true, .. } => State::Pending,
            _ if finding.violates() == Some(Property::Safety) => State::Confirmed,
            _ => return,
        };
        if !self.have_confirmed() {
            self.candidates.push_back(Candidate::new(finding, state, &self.recent, *e));
        }
    }

    /// The judge settled the pending overlap of `holder`.
    fn resolve(&mut self, holder: usize, harmless: bool) {
        for c in &mut self.candidates {
            if c.state == State::Pending
                && matches!(c.violation, Finding::Overlap { holder: h, .. } if h == holder)
            {
                c.state = if harmless { State::Dropped } else { State::Confirmed };
            }
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

    fn happen(&mut self, e: Moment) {
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
        let mut found = std::mem::take(&mut self.found);
        let client = topology.client_of(e.node);
        match (e.what, client) {
            (Happening::Event(event), _) => self.judge.event(e.at, &event, &mut |f| found.push(f)),
            (Happening::Fault(FaultEvent::Crash), Some(c)) => self.judge.crash(c, &mut |f| found.push(f)),
            (Happening::Fault(FaultEvent::StallBegin { .. }), Some(c)) => self.judge.stall(c, true),
            (Happening::Fault(FaultEvent::StallEnd), Some(c)) => self.judge.stall(c, false),
            _ => {}
        }
        for f in found.drain(..) {
            self.consider(f, &e);
        }
        self.found = found;
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
        self.happen(Moment { at, node, what: Happening::Event(*obs) });
    }
    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
        self.happen(Moment { at, node, what: Happening::Fault(fault) });
    }
    fn finished(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::client::DecideBy;
    use crate::lock::msg::{Exit, Op};
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
        fn finish(self) -> Option<Window> {
            self.rec.finish()
        }
    }

    fn cfg(variant: Variant) -> LockConfig {
        LockConfig::new(variant, EngineKind::Sim)
    }

    fn window(f: Option<Window>) -> Window {
        f.expect("expected a violation")
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
        assert_eq!(f.finish(), None);
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
        assert_eq!(w.violation, Finding::Overlap { client: 1, token: 2, holder: 0, held: 1, pending: true });
        assert_eq!(w.moments[w.at].what, Happening::Event(LockEvent::Entered { client: 1, token: 2 }));
        assert_eq!((w.at, w.moments.len()), (2, 5), "two either side");
        let later = w.later.expect("the holder's read came after the window");
        assert_eq!(
            (later.skipped, later.moment.what),
            (4, Happening::Event(READ)),
            "three reads and a wake-up (two of client 2's five reads are in the window)"
        );
    }

    #[test]
    fn a_holder_that_had_read_overlaps_at_once_and_crashing_confirms_an_undecided_one() {
        let mut f = Feed::new(&cfg(Variant::LEASE), 40);
        overlap(&mut f, true);
        let w = window(f.finish());
        assert!(matches!(w.violation, Finding::Overlap { holder: 0, .. }));
        assert_eq!(w.later, None, "the holder never acted again");

        let mut f = Feed::new(&cfg(Variant::LEASE), 40);
        overlap(&mut f, false);
        f.fault(0, FaultEvent::Crash);
        assert!(matches!(window(f.finish()).violation, Finding::Overlap { .. }));

        let mut f = Feed::new(&cfg(Variant::LEASE), 40);
        overlap(&mut f, false);
        assert!(matches!(window(f.finish()).violation, Finding::Overlap { .. }), "still inside at the end");
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
        assert_eq!(w.violation, Finding::DuplicateEffect { client: 1, token: 2, value: 7 });
        assert_eq!(w.moments.len(), w.at + 2, "the abort follows it: {w:?}");
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
        assert!(
            matches!(w.violation, Finding::StaleAccess { op: Op::Write(3), accepted: true, .. }),
            "{w:?}"
        );
        assert_eq!(w.moments.len(), 3, "one before, one after: {w:?}");
        // A refused stale read is fencing doing its job; the SMS after it is the violation.
        assert_eq!(stale(Op::Read, false).violation, Finding::StaleEffect { client: 0, token: 1, value: 3 });

        let mut f = Feed::new(&cfg(Variant::LEASE), 1);
        f.client(0, LockEvent::Entered { client: 0, token: 1 })
            .client(0, LockEvent::Left { client: 0, token: 1, exit: Exit::Released })
            .client(1, LockEvent::Entered { client: 1, token: 2 })
            .ev(OUTBOX, LockEvent::Effect { client: 0, token: 1, key: 0, value: 1, section: 1 });
        assert_eq!(window(f.finish()).violation, Finding::StaleEffect { client: 0, token: 1, value: 1 });

        let consensus = cfg(Variant::LEASE).consensus(DecideBy::Ack);
        let mut f = Feed::new(&consensus, 1);
        f.client(0, LockEvent::Decided { client: 0, instance: 3, value: 0 })
            .client(1, LockEvent::Decided { client: 1, instance: 3, value: 0 })
            .client(1, LockEvent::Decided { client: 1, instance: 4, value: 1 })
            .client(0, LockEvent::Decided { client: 0, instance: 4, value: 0 });
        let w = window(f.finish());
        assert_eq!(w.violation, Finding::Disagreement { client: 0, instance: 4, value: 0, earlier: 1 });
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
        assert_eq!(f.finish(), None);
        assert_eq!(
            Recorder::new(&cfg(Variant::LEASE), MAX_CONTEXT + 1).unwrap_err(),
            TimelineError::ContextTooLarge(MAX_CONTEXT + 1)
        );
        let mut bad = cfg(Variant::LEASE);
        bad.clients = 1;
        assert!(matches!(Recorder::new(&bad, 1), Err(TimelineError::Config(_))));
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
        assert_eq!(b.rec.finish().is_some(), violated, "{m:?}");
    }
}
