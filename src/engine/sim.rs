//! The deterministic simulator: virtual time, one event queue, no threads.
//!
//! Events are ordered by (true time, sequence number), so simultaneous events happen in the order
//! they were scheduled and two runs with one seed are identical to the bit. Each node sees its own
//! local clock ([`Clock`]); a frozen node's deliveries and timers wait until it
//! thaws, in their original order; a crashed node receives nothing ever again.

use super::core::{self, Step};
use super::timers::Timers;
use super::{Ending, Env, FaultEvent, Limits, Observer, PauseOutcome, RunEnd, Scheduled};
use crate::fault::Clock;
use crate::node::{Node, NodeId, Out, PausePoint, Timer};
use crate::time::Nanos;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

// A whole-word tag: with a one-byte tag, moving an event copies the seven bytes after it in two
// overlapping unaligned halves, which stall on the stores that wrote them (`perf annotate`).
#[repr(u64)]
enum Kind<M, T> {
    Deliver {
        to: NodeId,
        from: NodeId,
        msg: M,
    },
    /// A timer's arming falls due; stale if the timer was re-armed or cancelled since.
    Timer {
        node: NodeId,
        id: T,
        arming: u64,
    },
    Resume {
        node: NodeId,
        id: T,
    },
    /// A fault the environment scheduled for this moment.
    Fault {
        node: NodeId,
        what: Scheduled,
    },
    /// The end of a scheduled stall.
    Thaw {
        node: NodeId,
    },
}

/// An event's place in the queue: the key it is ordered by, and the slab slot that holds what it
/// does. The heap moves only these 24 bytes on every sift, never the event itself (a message can
/// be several times larger).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    at: Nanos,
    /// Unique, so the slot never decides an order.
    seq: u64,
    slot: u32,
}

/// The events to come, in (true time, sequence number) order.
///
/// Most events of a run with perfect links are due at the very instant they are scheduled (a
/// delivery with no delay, a node resuming after a pause point); they skip the heap for a FIFO
/// lane. The lane holds only events due at `now`, in the order they were scheduled. A heap event
/// due at `now` was scheduled before the queue reached `now` (once it has, an event for `now` goes
/// to the lane), so it comes before every event in the lane: the lane needs no sequence numbers,
/// and the heap's only when its earliest event is due at `now`.
struct Queue<M, T> {
    /// The instant of the last event popped: the one the lane's events are all due at.
    now: Nanos,
    seq: u64,
    heap: BinaryHeap<Reverse<Key>>,
    /// The payloads of the heap's events, by slot; `None` for a free slot.
    slab: Vec<Option<Kind<M, T>>>,
    free: Vec<u32>,
    lane: VecDeque<Kind<M, T>>,
}

impl<M, T> Queue<M, T> {
    fn new() -> Self {
        Queue {
            now: 0,
            seq: 0,
            heap: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            lane: VecDeque::new(),
        }
    }

    /// Schedules `kind` for true time `at` (never earlier than `now`), after everything scheduled
    /// before it for the same instant.
    // Inlined so that the event is built where it is stored: built on the caller's stack and
    // copied, its fields' narrow stores stall the wide loads of the copy (a third of the
    // simulator's time in `push`, by `perf annotate`).
    #[inline(always)]
    fn push(&mut self, at: Nanos, kind: Kind<M, T>) {
        if at == self.now {
            self.lane.push_back(kind);
            return;
        }
        self.seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some(kind);
                slot
            }
            None => {
                self.slab.push(Some(kind));
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 events in flight")
            }
        };
        self.heap.push(Reverse(Key { at, seq: self.seq, slot }));
    }

    /// Takes the earliest event out, with the true time it is due at.
    #[inline(always)]
    fn pop(&mut self) -> Option<(Nanos, Kind<M, T>)> {
        let heap_first = self.heap.peek().is_some_and(|Reverse(key)| key.at == self.now);
        if !heap_first && let Some(kind) = self.lane.pop_front() {
            return Some((self.now, kind));
        }
        let Reverse(key) = self.heap.pop()?;
        let kind = self.slab[key.slot as usize].take().expect("a queued event's slot is occupied");
        self.free.push(key.slot);
        // The lane is empty here: anything in it was due before this key.
        self.now = key.at;
        Some((key.at, kind))
    }
}

struct NodeState<T> {
    clock: Clock,
    timers: Timers<T>,
    frozen_until: Nanos,
    dead: bool,
}

/// Runs `nodes` from time zero until the observer says the workload is finished, nothing is left
/// to happen, the next event would fall after the horizon, or the event budget is spent.
///
/// Memory stays bounded with the events: each event adds a bounded number of queue entries, and
/// the queue holds only what is in flight.
pub fn run<N, E, O>(nodes: &mut [N], env: &mut E, observer: &mut O, limits: Limits) -> RunEnd
where
    N: Node,
    E: Env,
    O: Observer<N::Obs>,
{
    let mut sim = Sim {
        queue: Queue::new(),
        state: (0..nodes.len())
            .map(|i| NodeState {
                clock: env.clock(i),
                timers: Timers::default(),
                frozen_until: 0,
                dead: false,
            })
            .collect(),
        deliveries: Vec::new(),
    };
    let mut out = Out::default();
    for (at, node, what) in env.schedule() {
        if node < nodes.len() {
            sim.push(at, Kind::Fault { node, what });
        }
    }
    for (id, node) in nodes.iter_mut().enumerate() {
        node.on_start(sim.state[id].clock.local(0), &mut out);
        sim.apply(id, 0, &mut out, env, observer);
    }
    let mut events = 0u64;
    let mut now = 0;
    // Once the workload is done, what is still in flight (a last write, a last SMS) is delivered:
    // finished clients set no timers, so the queue drains by itself.
    let mut finished = false;
    let ending = loop {
        finished = finished || observer.finished();
        let Some((at, kind)) = sim.queue.pop() else {
            break if finished { Ending::Finished } else { Ending::Quiescent };
        };
        if at > limits.horizon {
            if !finished {
                now = limits.horizon;
            }
            break if finished { Ending::Finished } else { Ending::Horizon };
        }
        if events >= limits.max_events {
            break if finished { Ending::Finished } else { Ending::EventBudget };
        }
        now = at;
        let node = match kind {
            Kind::Deliver { to, .. } => to,
            Kind::Timer { node, .. }
            | Kind::Resume { node, .. }
            | Kind::Fault { node, .. }
            | Kind::Thaw { node } => node,
        };
        let st = &mut sim.state[node];
        if st.dead {
            continue;
        }
        // Faults strike a frozen node too; a node frozen twice over resumes when both are over.
        let waits_for_thaw = match kind {
            Kind::Deliver { .. } | Kind::Timer { .. } | Kind::Resume { .. } => st.frozen_until > now,
            Kind::Fault { .. } | Kind::Thaw { .. } => false,
        };
        if waits_for_thaw {
            let thaw = st.frozen_until;
            sim.push(thaw, kind);
            continue;
        }
        // A cancelled or re-armed timer is no event: it neither counts nor spends the budget, as
        // on threads, where it never fires at all.
        if let Kind::Timer { arming, .. } = kind
            && !st.timers.fire(arming)
        {
            continue;
        }
        events += 1;
        let local = st.clock.local(now);
        match kind {
            Kind::Deliver { to, from, msg } => nodes[to].on_msg(local, from, msg, &mut out),
            Kind::Timer { node, id, .. } => nodes[node].on_timer(local, id, &mut out),
            Kind::Fault { node, what } => {
                sim.strike(node, now, what, observer);
                continue;
            }
            Kind::Thaw { node } => {
                if st.frozen_until != 0 && st.frozen_until <= now {
                    st.frozen_until = 0;
                    observer.fault(now, node, FaultEvent::StallEnd);
                }
                continue;
            }
            Kind::Resume { node, id } => {
                if st.frozen_until > 0 {
                    st.frozen_until = 0;
                    observer.fault(now, node, FaultEvent::StallEnd);
                }
                nodes[node].on_timer(local, id, &mut out);
            }
        }
        sim.apply(node, now, &mut out, env, observer);
    };
    RunEnd { at: now, ending, events, late: None }
}

struct Sim<M, T> {
    queue: Queue<M, T>,
    state: Vec<NodeState<T>>,
    deliveries: Vec<Nanos>,
}

impl<M: Clone, T: Timer> Sim<M, T> {
    #[inline(always)]
    fn push(&mut self, at: Nanos, kind: Kind<M, T>) {
        self.queue.push(at, kind);
    }

    /// Arms timer `id` of `node` for true time `at`; `local` is its local deadline, if a clock
    /// timer (a clock jump moves it).
    fn arm(&mut self, node: NodeId, id: T, at: Nanos, local: Option<Nanos>) {
        let arming = self.state[node].timers.arm(id, at, local);
        self.push(at, Kind::Timer { node, id, arming });
    }

    /// Carries out a scheduled fault.
    fn strike<O, Ob: Observer<O>>(&mut self, node: NodeId, now: Nanos, what: Scheduled, observer: &mut Ob) {
        let st = &mut self.state[node];
        match what {
            Scheduled::Crash => {
                st.dead = true;
                observer.fault(now, node, FaultEvent::Crash);
            }
            Scheduled::Stall(span) => {
                let until = now.saturating_add(span);
                st.frozen_until = st.frozen_until.max(until);
                observer.fault(now, node, FaultEvent::StallBegin { until });
                self.push(until, Kind::Thaw { node });
            }
            Scheduled::ClockJump(by) => {
                st.clock = st.clock.jumped(by);
                observer.fault(now, node, FaultEvent::ClockJump { by });
                for (id, at, arming) in st.timers.rejump(st.clock, now) {
                    self.push(at, Kind::Timer { node, id, arming });
                }
            }
        }
    }

    /// Carries out one step's effects with the one meaning [`core::apply`] gives them.
    fn apply<O, E, Ob>(
        &mut self,
        node: NodeId,
        now: Nanos,
        out: &mut Out<M, O, T>,
        env: &mut E,
        observer: &mut Ob,
    ) where
        E: Env,
        Ob: Observer<O>,
    {
        let mut deliveries = std::mem::take(&mut self.deliveries);
        let _ = core::apply(now, out, &mut SimStep { sim: self, node, now, env, observer }, &mut deliveries);
        out.drain();
        self.deliveries = deliveries;
    }
}

/// The simulator's hands for one node's step at one instant.
struct SimStep<'a, M, T, E, Ob> {
    sim: &'a mut Sim<M, T>,
    node: NodeId,
    now: Nanos,
    env: &'a mut E,
    observer: &'a mut Ob,
}

impl<M: Clone, O, T: Timer, E: Env, Ob: Observer<O>> Step<M, O, T> for SimStep<'_, M, T, E, Ob> {
    fn clock(&self) -> Clock {
        self.sim.state[self.node].clock
    }
    fn route(&mut self, to: NodeId, deliveries: &mut Vec<Nanos>) {
        self.env.route(self.node, to, self.now, deliveries);
    }
    fn deliver(&mut self, to: NodeId, delay: Nanos, msg: M) {
        self.sim.push(self.now.saturating_add(delay), Kind::Deliver { to, from: self.node, msg });
    }
    fn arm(&mut self, id: T, at: Nanos, local: Option<Nanos>) {
        self.sim.arm(self.node, id, at, local);
    }
    fn disarm(&mut self, id: T) {
        self.sim.state[self.node].timers.disarm(id);
    }
    fn pause(&mut self, point: PausePoint) -> PauseOutcome {
        self.env.pause(self.node, point, self.now)
    }
    fn resume(&mut self, resume: T) {
        self.sim.push(self.now, Kind::Resume { node: self.node, id: resume });
    }
    fn stall(&mut self, span: Nanos, resume: T) {
        let until = self.now.saturating_add(span);
        self.sim.state[self.node].frozen_until = until;
        self.observer.fault(self.now, self.node, FaultEvent::StallBegin { until });
        self.sim.push(until, Kind::Resume { node: self.node, id: resume });
    }
    fn crash(&mut self) {
        self.sim.state[self.node].dead = true;
        self.observer.fault(self.now, self.node, FaultEvent::Crash);
    }
    fn observe(&mut self, obs: O) {
        self.observer.observe(self.now, self.node, &obs);
    }
}
