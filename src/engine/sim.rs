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
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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

struct Entry<M, T> {
    at: Nanos,
    seq: u64,
    kind: Kind<M, T>,
}

impl<M, T> PartialEq for Entry<M, T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<M, T> Eq for Entry<M, T> {}
impl<M, T> PartialOrd for Entry<M, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M, T> Ord for Entry<M, T> {
    /// Reversed, so the max-heap pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
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
        queue: BinaryHeap::new(),
        seq: 0,
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
        let Some(entry) = sim.queue.pop() else {
            break if finished { Ending::Finished } else { Ending::Quiescent };
        };
        if entry.at > limits.horizon {
            if !finished {
                now = limits.horizon;
            }
            break if finished { Ending::Finished } else { Ending::Horizon };
        }
        if events >= limits.max_events {
            break if finished { Ending::Finished } else { Ending::EventBudget };
        }
        now = entry.at;
        let node = match entry.kind {
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
        let waits_for_thaw = match entry.kind {
            Kind::Deliver { .. } | Kind::Timer { .. } | Kind::Resume { .. } => st.frozen_until > now,
            Kind::Fault { .. } | Kind::Thaw { .. } => false,
        };
        if waits_for_thaw {
            let thaw = st.frozen_until;
            sim.push(thaw, entry.kind);
            continue;
        }
        // A cancelled or re-armed timer is no event: it neither counts nor spends the budget, as
        // on threads, where it never fires at all.
        if let Kind::Timer { arming, .. } = entry.kind
            && !st.timers.fire(arming)
        {
            continue;
        }
        events += 1;
        let local = st.clock.local(now);
        match entry.kind {
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
    queue: BinaryHeap<Entry<M, T>>,
    seq: u64,
    state: Vec<NodeState<T>>,
    deliveries: Vec<Nanos>,
}

impl<M: Clone, T: Timer> Sim<M, T> {
    fn push(&mut self, at: Nanos, kind: Kind<M, T>) {
        self.seq += 1;
        self.queue.push(Entry { at, seq: self.seq, kind });
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
