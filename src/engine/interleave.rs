//! The interleaving driver: the crate's own nodes, with every step an event whose order the
//! scheduler picks. Built for loom, which then tries every order.
//!
//! Time does not exist here. What the simulator orders by virtual instants, this driver leaves to
//! the thread scheduler: under `--cfg loom` that scheduler is loom's, which explores every
//! interleaving (up to its preemption bound), so a lease expiring is one more event that may fall
//! anywhere, which is the seed's model. Outside loom the same code runs on OS threads, one
//! interleaving per run, which is what the unit tests check.
//!
//! - **Actors** (the nodes named in `actors`, the clients in the lock models) each get a thread.
//!   An actor takes its own events one at a time: a message from its inbox, or its earliest armed
//!   timer (a resume after a pause point, the end of its work). A pause point never stalls it on
//!   purpose: a stall is just any interleaving in which other threads run meanwhile.
//! - **Passive nodes** (servers, storage, the outbox) have no thread. A message to one is handled
//!   inside the step that sent it, before the sender goes on, as in the other engines.
//! - **The timer thread** fires the passive nodes' armed timers (a lease's expiry), earliest
//!   deadline first, at whatever point it is scheduled.
//! - **The fault thread**, when the env schedules faults ([`Env::schedule`]), strikes them one by
//!   one in their order, each at whatever point it is scheduled: a crash stops its node for good,
//!   a clock jump moves its node's clock (a server then judges its leases by the jumped clock),
//!   and a freeze is any interleaving, so it needs no event of its own.
//!
//! Every event is carried out with [`core::apply`], under one lock, so each step is atomic and
//! the interleavings are those of whole events. A node's time is the latest deadline or send time
//! it has seen: a timer that fires brings its node's time to the deadline (the expiry check then
//! passes), a message brings its receiver's time up to its sender's, and a stall at a pause point
//! moves its node's time on by the stall. The node reads that time through its own clock
//! ([`Env::clock`]), so a slow clock or a jumped one misjudges it as it would anywhere.
//!
//! Every thread stops when the observer says the workload is finished, when nothing is left to
//! happen (quiescence: every actor idle, no armed timer anywhere), or when the event budget is
//! spent. The observer sees events stamped with their order, the only clock there is.

use super::core::{self, Step};
use super::timers::Timers;
use super::{Ending, Env, FaultEvent, Observer, PauseOutcome, RunEnd, Scheduled};
use crate::fault::Clock;
use crate::node::{Node, NodeId, NodeOut, Out, PausePoint};
use crate::sync::{Arc, Condvar, Mutex, thread};
use crate::time::Nanos;
use std::collections::VecDeque;

/// Everything the threads share, under one lock.
struct World<N: Node, E, O> {
    nodes: Vec<N>,
    /// Each node's time (see the module docs), and the clock it reads it through.
    now: Vec<Nanos>,
    clocks: Vec<Clock>,
    actor: Vec<bool>,
    dead: Vec<bool>,
    inbox: Vec<VecDeque<(NodeId, N::Msg, Nanos)>>,
    timers: Vec<Timers<N::Timer>>,
    /// Messages to passive nodes, handled before the step that sent them ends.
    passive: VecDeque<(NodeId, NodeId, N::Msg, Nanos)>,
    env: E,
    observer: O,
    events: u64,
    max_events: u64,
    out: NodeOut<N>,
    deliveries: Vec<Nanos>,
}

enum Input<M, T> {
    Start,
    Msg(NodeId, M),
    Timer(T),
}

type NodeInput<N> = Input<<N as Node>::Msg, <N as Node>::Timer>;

impl<N: Node, E: Env, O: Observer<N::Obs>> World<N, E, O> {
    /// The stamp of the next report: the order of events, the only clock there is.
    fn stamp(&self) -> Nanos {
        self.events
    }

    /// One event of `node`, then every message it sent to a passive node, in order.
    fn step(&mut self, node: NodeId, input: NodeInput<N>, at: Nanos) {
        self.run(node, input, at);
        while let Some((to, from, msg, at)) = self.passive.pop_front() {
            if !self.dead[to] {
                self.run(to, Input::Msg(from, msg), at);
            }
        }
    }

    fn run(&mut self, node: NodeId, input: NodeInput<N>, at: Nanos) {
        if !matches!(input, Input::Start) {
            self.events += 1;
        }
        let now = self.now[node].max(at);
        self.now[node] = now;
        let local = self.clocks[node].local(now);
        let mut out = std::mem::take(&mut self.out);
        match input {
            Input::Start => self.nodes[node].on_start(local, &mut out),
            Input::Msg(from, msg) => self.nodes[node].on_msg(local, from, msg, &mut out),
            Input::Timer(id) => self.nodes[node].on_timer(local, id, &mut out),
        }
        let mut deliveries = std::mem::take(&mut self.deliveries);
        let _ = core::apply(now, &mut out, &mut Hands { world: self, node, now }, &mut deliveries);
        out.drain();
        self.out = out;
        self.deliveries = deliveries;
    }

    /// The passive node with the earliest armed timer.
    fn next_passive_timer(&self) -> Option<(NodeId, N::Timer, Nanos)> {
        (0..self.nodes.len())
            .filter(|&n| !self.actor[n] && !self.dead[n])
            .filter_map(|n| self.timers[n].next().map(|(id, at)| (n, id, at)))
            .min_by_key(|&(n, _, at)| (at, n))
    }

    /// Nothing can happen any more, the workload is done, or the budget is spent.
    fn over(&self) -> Option<Ending> {
        if self.observer.finished() {
            return Some(Ending::Finished);
        }
        if self.events >= self.max_events {
            return Some(Ending::EventBudget);
        }
        let idle = (0..self.nodes.len())
            .all(|n| self.dead[n] || (self.inbox[n].is_empty() && self.timers[n].is_empty()));
        idle.then_some(Ending::Quiescent)
    }

    /// Carries out a scheduled fault.
    fn strike(&mut self, node: NodeId, what: Scheduled) {
        if self.dead[node] {
            return;
        }
        self.events += 1;
        let at = self.stamp();
        match what {
            Scheduled::Crash => {
                self.dead[node] = true;
                self.inbox[node].clear();
                self.timers[node].clear();
                self.observer.fault(at, node, FaultEvent::Crash);
            }
            Scheduled::ClockJump(by) => {
                // Timers were armed in the node's time, which the jump does not move; the node
                // reads a jumped clock from now on (a server then judges its leases by it).
                self.clocks[node] = self.clocks[node].jumped(by);
                self.observer.fault(at, node, FaultEvent::ClockJump { by });
            }
            Scheduled::Stall(_) => {}
        }
    }

    /// Takes `node`'s next event, if it has one: a timer already due (a resume after a pause
    /// point: a paused node reads no message before it goes on), else a message, else its
    /// earliest timer, which moves its clock forward.
    fn take(&mut self, node: NodeId) -> Option<(NodeInput<N>, Nanos)> {
        let timer = self.timers[node].next();
        let due = timer.filter(|&(_, at)| at <= self.now[node]);
        if due.is_none()
            && let Some((from, msg, at)) = self.inbox[node].pop_front()
        {
            return Some((Input::Msg(from, msg), at));
        }
        let (id, at) = timer?;
        self.timers[node].disarm(id);
        Some((Input::Timer(id), at))
    }
}

/// The driver's hands for one node's step.
struct Hands<'w, N: Node, E, O> {
    world: &'w mut World<N, E, O>,
    node: NodeId,
    now: Nanos,
}

impl<N: Node, E: Env, O: Observer<N::Obs>> Step<N::Msg, N::Obs, N::Timer> for Hands<'_, N, E, O> {
    fn clock(&self) -> Clock {
        self.world.clocks[self.node]
    }
    fn route(&mut self, to: NodeId, deliveries: &mut Vec<Nanos>) {
        assert!(to < self.world.nodes.len(), "node {} sent to node {to}, which does not exist", self.node);
        self.world.env.route(self.node, to, self.now, deliveries);
    }
    fn deliver(&mut self, to: NodeId, _delay: Nanos, msg: N::Msg) {
        // No time: a delay is only an order, and the scheduler picks every order anyway.
        let w = &mut *self.world;
        if w.dead[to] {
        } else if w.actor[to] {
            w.inbox[to].push_back((self.node, msg, self.now));
        } else {
            w.passive.push_back((to, self.node, msg, self.now));
        }
    }
    fn arm(&mut self, id: N::Timer, at: Nanos, local: Option<Nanos>) {
        self.world.timers[self.node].arm(id, at, local);
    }
    fn disarm(&mut self, id: N::Timer) {
        self.world.timers[self.node].disarm(id);
    }
    fn pause(&mut self, point: PausePoint) -> PauseOutcome {
        self.world.env.pause(self.node, point, self.now)
    }
    fn resume(&mut self, resume: N::Timer) {
        self.arm(resume, self.now, None);
    }
    fn stall(&mut self, span: Nanos, resume: N::Timer) {
        // Any interleaving in which the others run first is a stall already, and every one is
        // explored; what a stall adds is that the node's time moves on by its span. The resume is
        // then due at once, so the node reads no message before it goes on.
        let thaw = self.now.saturating_add(span);
        self.world.now[self.node] = thaw;
        self.arm(resume, thaw, None);
    }
    fn crash(&mut self) {
        let w = &mut *self.world;
        w.dead[self.node] = true;
        w.inbox[self.node].clear();
        w.timers[self.node].clear();
        let at = w.stamp();
        w.observer.fault(at, self.node, FaultEvent::Crash);
    }
    fn observe(&mut self, obs: N::Obs) {
        let at = self.world.stamp();
        self.world.observer.observe(at, self.node, &obs);
    }
}

/// Runs `nodes`, giving each node in `actors` a thread and the passive nodes' timers one more
/// (see the module docs), until the observer is finished, nothing is left to happen, or
/// `max_events` events were taken. Returns the observer and how the run ended.
///
/// Under loom this is one execution; call it inside `loom::model` to explore them all. Loom runs
/// at most four threads besides `main`: the actors, the timer thread, and the fault thread if
/// the env schedules faults.
pub fn run<N, E, O>(nodes: Vec<N>, actors: &[NodeId], env: E, observer: O, max_events: u64) -> (O, RunEnd)
where
    N: Node + Send + 'static,
    E: Env + Send + 'static,
    O: Observer<N::Obs> + Send + 'static,
{
    let n = nodes.len();
    let mut world = World {
        now: (0..n).map(|_| 0).collect(),
        clocks: (0..n).map(|i| env.clock(i)).collect(),
        actor: (0..n).map(|i| actors.contains(&i)).collect(),
        dead: vec![false; n],
        inbox: (0..n).map(|_| VecDeque::new()).collect(),
        timers: (0..n).map(|_| Timers::default()).collect(),
        passive: VecDeque::new(),
        env,
        observer,
        events: 0,
        max_events,
        out: Out::default(),
        deliveries: Vec::new(),
        nodes,
    };
    for node in 0..n {
        world.step(node, Input::Start, 0);
    }
    let mut schedule = world.env.schedule();
    schedule.sort_by_key(|&(at, _, _)| at);
    let shared = Arc::new((Mutex::new(world), Condvar::new()));
    // Every thread takes one event at a time under the lock, tells the others something changed,
    // and waits when it has nothing to do; the one that ends the run wakes them all to leave.
    let mut threads = Vec::new();
    for &node in actors {
        let shared = Arc::clone(&shared);
        threads.push(thread::spawn(move || {
            let (world, changed) = &*shared;
            let mut w = world.lock();
            loop {
                if w.dead[node] || w.over().is_some() {
                    break;
                }
                match w.take(node) {
                    Some((input, at)) => {
                        w.step(node, input, at);
                        changed.notify_all();
                        drop(w);
                        w = world.lock();
                    }
                    None => w = changed.wait(w),
                }
            }
            changed.notify_all();
        }));
    }
    let timers = Arc::clone(&shared);
    threads.push(thread::spawn(move || {
        let (world, changed) = &*timers;
        let mut w = world.lock();
        loop {
            if w.over().is_some() {
                break;
            }
            match w.next_passive_timer() {
                Some((node, id, at)) => {
                    w.timers[node].disarm(id);
                    w.step(node, Input::Timer(id), at);
                    changed.notify_all();
                    drop(w);
                    w = world.lock();
                }
                None => w = changed.wait(w),
            }
        }
        changed.notify_all();
    }));
    if !schedule.is_empty() {
        let faults = Arc::clone(&shared);
        threads.push(thread::spawn(move || {
            let (world, changed) = &*faults;
            for (_, node, what) in schedule {
                let mut w = world.lock();
                if w.over().is_some() {
                    break;
                }
                w.strike(node, what);
                changed.notify_all();
            }
        }));
    }
    for handle in threads {
        handle.join().expect("a node's thread panicked");
    }
    let Ok((world, _)) = Arc::try_unwrap(shared) else { unreachable!("every thread has been joined") };
    let world = world.into_inner();
    let ending = world.over().unwrap_or(Ending::Quiescent);
    let end = RunEnd { at: world.events, ending, events: world.events, late: None };
    (world.observer, end)
}
