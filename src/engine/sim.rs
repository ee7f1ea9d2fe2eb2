//! The deterministic simulator: virtual time, one event queue, no threads.
//!
//! Events are ordered by (true time, sequence number), so simultaneous events happen in the order
//! they were scheduled and two runs with one seed are identical to the bit. Each node sees its own
//! local clock ([`Clock`]); a frozen node's deliveries and timers wait until it
//! thaws, in their original order; a crashed node receives nothing ever again.

use super::{Ending, Env, FaultEvent, Limits, Observer, PauseOutcome, RunEnd, Scheduled};
use crate::fault::Clock;
use crate::node::{Command, Node, NodeId, Out, TimerId};
use crate::time::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

enum Kind<M> {
    Deliver {
        to: NodeId,
        from: NodeId,
        msg: M,
    },
    Timer {
        node: NodeId,
        id: TimerId,
        generation: u32,
    },
    Resume {
        node: NodeId,
        id: TimerId,
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

struct Entry<M> {
    at: Nanos,
    seq: u64,
    kind: Kind<M>,
}

impl<M> PartialEq for Entry<M> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<M> Eq for Entry<M> {}
impl<M> PartialOrd for Entry<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Entry<M> {
    /// Reversed, so the max-heap pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

#[derive(Default)]
struct NodeState {
    clock: Clock,
    timer_generation: Vec<u32>,
    /// The local time each armed clock timer is due at (`None`: disarmed, fired, or a work timer,
    /// which counts true time), so that a clock jump can move it.
    deadline: Vec<Option<Nanos>>,
    frozen_until: Nanos,
    dead: bool,
}

impl NodeState {
    fn bump(&mut self, id: TimerId) -> u32 {
        let i = usize::from(id);
        if self.timer_generation.len() <= i {
            self.timer_generation.resize(i + 1, 0);
            self.deadline.resize(i + 1, None);
        }
        self.timer_generation[i] += 1;
        self.deadline[i] = None;
        self.timer_generation[i]
    }
    fn current(&self, id: TimerId) -> u32 {
        self.timer_generation.get(usize::from(id)).copied().unwrap_or(0)
    }
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
        state: (0..nodes.len()).map(|i| NodeState { clock: env.clock(i), ..NodeState::default() }).collect(),
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
        if let Kind::Timer { id, generation, .. } = entry.kind
            && st.current(id) != generation
        {
            continue;
        }
        events += 1;
        let local = st.clock.local(now);
        match entry.kind {
            Kind::Deliver { to, from, msg } => nodes[to].on_msg(local, from, msg, &mut out),
            Kind::Timer { node, id, .. } => {
                st.deadline[usize::from(id)] = None;
                nodes[node].on_timer(local, id, &mut out)
            }
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
    RunEnd { at: now, ending, events }
}

struct Sim<M> {
    queue: BinaryHeap<Entry<M>>,
    seq: u64,
    state: Vec<NodeState>,
    deliveries: Vec<Nanos>,
}

impl<M: Clone> Sim<M> {
    fn push(&mut self, at: Nanos, kind: Kind<M>) {
        self.seq += 1;
        self.queue.push(Entry { at, seq: self.seq, kind });
    }

    fn arm(&mut self, node: NodeId, id: TimerId, at: Nanos) {
        let generation = self.state[node].bump(id);
        self.push(at, Kind::Timer { node, id, generation });
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
                // Each armed clock timer is due when the jumped clock reaches its deadline.
                let clock = st.clock;
                let due: Vec<(TimerId, Nanos)> = (st.deadline.iter().enumerate())
                    .filter_map(|(id, d)| d.map(|d| (TimerId::try_from(id).expect("timer ids fit"), d)))
                    .collect();
                for (id, deadline) in due {
                    self.arm(node, id, now.saturating_add(clock.until(now, deadline)));
                    self.state[node].deadline[usize::from(id)] = Some(deadline);
                }
            }
        }
    }

    /// Carries out one step's effects, in order. A crash discards whatever the node asked for after
    /// the pause point that killed it.
    fn apply<O, E, Ob>(
        &mut self,
        node: NodeId,
        now: Nanos,
        out: &mut Out<M, O>,
        env: &mut E,
        observer: &mut Ob,
    ) where
        E: Env,
        Ob: Observer<O>,
    {
        for command in out.drain() {
            match command {
                Command::Send { to, msg } => {
                    env.route(node, to, now, &mut self.deliveries);
                    let mut deliveries = std::mem::take(&mut self.deliveries);
                    if let Some((&last, copies)) = deliveries.split_last() {
                        for &delay in copies {
                            let kind = Kind::Deliver { to, from: node, msg: msg.clone() };
                            self.push(now.saturating_add(delay), kind);
                        }
                        self.push(now.saturating_add(last), Kind::Deliver { to, from: node, msg });
                    }
                    deliveries.clear();
                    self.deliveries = deliveries;
                }
                Command::SetTimer { id, after } => {
                    let clock = self.state[node].clock;
                    self.arm(node, id, now.saturating_add(clock.true_span(after)));
                    self.state[node].deadline[usize::from(id)] = Some(clock.local(now).saturating_add(after));
                }
                Command::Work { id, amount } => self.arm(node, id, now.saturating_add(amount)),
                Command::CancelTimer { id } => {
                    self.state[node].bump(id);
                }
                Command::Pause { point, resume } => match env.pause(node, point, now) {
                    PauseOutcome::Continue => self.push(now, Kind::Resume { node, id: resume }),
                    PauseOutcome::Stall(d) => {
                        let until = now.saturating_add(d);
                        self.state[node].frozen_until = until;
                        observer.fault(now, node, FaultEvent::StallBegin { until });
                        self.push(until, Kind::Resume { node, id: resume });
                    }
                    PauseOutcome::Crash => {
                        self.state[node].dead = true;
                        observer.fault(now, node, FaultEvent::Crash);
                        break;
                    }
                },
                Command::Observe(obs) => observer.observe(now, node, &obs),
            }
        }
        out.drain();
    }
}
