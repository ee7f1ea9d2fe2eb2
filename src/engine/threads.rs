//! The threaded engine: one OS thread per node, wall-clock time, real sleeps.
//!
//! The simulator answers "what does this protocol do under these faults?" exactly and
//! reproducibly, but in a world where nothing happens between events. This engine runs the very
//! same nodes where real things happen between events: threads are preempted, wake late, contend
//! for cores and locks. It exists so that a result measured in the simulator can be checked
//! against real scheduling noise, which is part of what a stress run measures.
//!
//! What it shares with [`sim`](super::sim) is everything but time and interleaving:
//! - the same [`Node`]s, [`Env`] and [`Observer`], so one oracle judges both engines;
//! - true time is nanoseconds since the run started; each node sees it through its own
//!   [`Clock`], asked of the env once, and local timer spans become true ones with
//!   [`Clock::true_span`];
//! - timers re-arm and cancel by name, in the one [`Timers`] table every engine keeps;
//! - a pause point that stalls freezes the node for real: it sleeps without touching its inbox,
//!   so messages pile up as they would at a frozen process, and it thaws with its `resume` timer;
//! - a crash ends the node's thread, drops whatever its step asked for after the pause point, and
//!   makes every later message to it vanish.
//!
//! Messages with no delay go straight into the target's mailbox ([`exchange`](super::exchange));
//! delayed ones go to a single delay-line thread that holds them in a min-heap until they are due.
//!
//! A message with no delay is also *processed* before its sender goes on, as in the simulator,
//! where it is handled at the same instant, before anything the sender does next. Without that,
//! an idle receiver thread that the scheduler wakes late would act long after the send: a client
//! could send its SMS, have its write answered, release, and see the lock granted to the next
//! client before the outbox thread got round to sending the SMS, and the oracle would rightly see
//! a stale effect that no fault caused, only the scheduler. So before it acts again the sender
//! waits until every receiver of its last step's zero-delay messages has handled them, except
//! where waiting could close a cycle or last a stall: it never waits for a receiver that is itself
//! waiting (so the waits form chains ending at a node that runs, never a cycle), frozen at a pause
//! point, or dead. It waits when it is about to act, not when its step ends, because a sender with
//! nothing to do until an answer comes would otherwise wake once for the handling and again for
//! the answer; and the receiver wakes the nodes it wrote to only after it has handled the letter it
//! answers (see [`exchange`](super::exchange)), so a sender woken by the answer finds its wait
//! over. A message costs one wake-up, as in a channel ping-pong.
//!
//! The oracle needs the event stream in non-decreasing true time *and* in causal order. Both come
//! from one rule: an event's timestamp is read while holding the observer's lock. Stamps are then
//! monotone in lock order, and lock order respects causality because each node carries out its
//! step's commands strictly in order: an observation that precedes a send is recorded before the
//! message exists, so the receiver's reaction can only be recorded (and stamped) after it.
//!
//! The run ends when the observer says it is finished (checked under the same lock after every
//! event, so the end time is the stamp of the event that finished it), when the horizon passes,
//! or when every node has crashed. Every wait in the engine that can last is a wait on a mailbox
//! (the locks around the env, the observer and the waits table are held only for a step), and the
//! end of the run stops the nodes' mailboxes and the delay line's, which wakes every thread but the
//! main one (which stops them) at once, so no stall, timer or idle wait can outlive the run. How messages change hands, and how that end reaches every
//! thread, is all in [`exchange`](super::exchange), which loom checks (`loom_tests/exchange.rs`);
//! what stays here is time.
//!
//! Because nothing the model does takes time, every moment a node acts later than it was due is
//! the machine's, and the engine measures it ([`Lateness`]): at each step, how long after it was
//! due the node's thread got to it. A timer is due at its deadline, a message when it became
//! deliverable (a delayed one when its delay ran out, not when the delay line got round to it),
//! a scheduled fault at its time, a resume at its thaw (or, after a pause point that did not
//! stall, when the step that paused began), and `on_start` when the run began. What the faults
//! and the protocol ask for is not lateness: a node frozen by a stall is due at the earliest when
//! it thaws, so what piled up meanwhile counts from the thaw. What does count is what the model
//! says takes no time: the node's own steps (a step that computes for 30 ms makes the next thing
//! it was due to do 30 ms late), a thread the scheduler wakes or runs late, and the wait for the
//! receivers of a zero-delay message, which the simulator does in no time and which never lasts a
//! stall (a frozen receiver is not waited for), so that it is the receivers' threads being late.
//! Each thread keeps its own largest figure, merged when it ends: the hot path takes no lock.
//! Steps after the horizon are not measured, so the figure never exceeds it.

use super::core::{self, Step};
use super::exchange::{Awaited, Exchange, Letter, Mailbox, Receipt, Take};
use super::timers::Timers;
use super::{Ending, Env, FaultEvent, Lateness, Limits, Observer, PauseOutcome, RunEnd, Scheduled};
use crate::fault::Clock;
use crate::node::{Node, NodeId, NodeOut, Out, PausePoint};
use crate::sync::{AtomicU64, AtomicUsize, Mutex, Ordering, thread};
use crate::time::Nanos;
use std::cmp;
use std::collections::binary_heap::PeekMut;
use std::collections::{BinaryHeap, VecDeque};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// A message on its way into a node's mailbox.
struct Envelope<M> {
    from: NodeId,
    msg: M,
    /// When it became deliverable; lets a node take a message and a due timer in time order.
    at: Instant,
}

/// A message waiting in the delay line.
struct Delayed<M> {
    to: NodeId,
    envelope: Envelope<M>,
}

/// A delay-line heap entry; `seq` keeps equal due times in the order they were sent.
struct Queued<M> {
    seq: u64,
    delayed: Delayed<M>,
}

impl<M> Queued<M> {
    fn key(&self) -> (Instant, u64) {
        (self.delayed.envelope.at, self.seq)
    }
}
impl<M> PartialEq for Queued<M> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<M> Eq for Queued<M> {}
impl<M> PartialOrd for Queued<M> {
    fn partial_cmp(&self, other: &Self) -> Option<cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Queued<M> {
    /// Reversed, so the max-heap pops the earliest message first.
    fn cmp(&self, other: &Self) -> cmp::Ordering {
        other.key().cmp(&self.key())
    }
}

/// What a node's thread does next.
enum Next<T> {
    /// Goes on with the step that paused, after its stall if it stalled.
    Resume,
    /// Suffers the fault scheduled for now.
    Strike,
    /// Fires the timer that became due at this instant.
    Timer(Instant, T),
    /// Handles the pending letter.
    Letter,
    /// Waits for a letter until this instant (`None`: until one comes or the run ends).
    Idle(Option<Instant>),
}

/// Why the main thread woke before the horizon.
enum Wake {
    /// The observer said the workload is complete.
    Finished,
    /// Every node thread has ended: nothing can happen any more.
    Quiescent,
    /// The event budget is spent.
    Budget,
    /// A thread panicked; the run must stop so the panic can be rethrown.
    Panicked,
}

/// The observer and what the engine must remember alongside it, under one lock.
struct Sink<'o, O> {
    observer: &'o mut O,
    /// No more events reach the observer: the run is over (finished, past the horizon, or
    /// shutting down), even if some thread has not noticed yet.
    closed: bool,
    /// Stamp of the event after which the observer said it was finished.
    finished_at: Option<Nanos>,
}

/// What every thread of a run shares.
struct Shared<'o, M, E, O> {
    start: Instant,
    horizon: Nanos,
    max_events: u64,
    env: Mutex<E>,
    sink: Mutex<Sink<'o, O>>,
    exchange: Exchange<Envelope<M>>,
    delay_line: Mailbox<Delayed<M>>,
    wake: Mailbox<Wake>,
    /// Node threads still running; the last one out reports quiescence.
    live: AtomicUsize,
    /// Deliveries and timer firings processed.
    events: AtomicU64,
}

impl<M, E, O> Shared<'_, M, E, O> {
    /// True time: nanoseconds since the run started.
    fn now(&self) -> Nanos {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(Nanos::MAX)
    }

    /// The true time of `instant` (0 if it came before the run).
    fn true_time(&self, instant: Instant) -> Nanos {
        u64::try_from(instant.saturating_duration_since(self.start).as_nanos()).unwrap_or(Nanos::MAX)
    }

    /// The instant of true time `t`, or `None` if it lies beyond what `Instant` can represent
    /// (centuries away: it will never come, which is what `None` means to every caller).
    fn instant(&self, t: Nanos) -> Option<Instant> {
        self.start.checked_add(Duration::from_nanos(t))
    }
}

/// Stops every mailbox when dropped. Dropping it is the one way a run ends, including when the
/// main thread unwinds: the scope joins every thread on the way out, and those threads must have
/// been told to stop or the join would hang.
struct Shutdown<'a, M> {
    exchange: &'a Exchange<Envelope<M>>,
    delay_line: &'a Mailbox<Delayed<M>>,
}

impl<M> Drop for Shutdown<'_, M> {
    fn drop(&mut self) {
        self.exchange.stop();
        self.delay_line.stop();
    }
}

/// Closes a node's mailbox when its thread ends, however it ends.
struct Death<'a, M> {
    exchange: &'a Exchange<Envelope<M>>,
    node: NodeId,
}

impl<M> Drop for Death<'_, M> {
    fn drop(&mut self) {
        self.exchange.die(self.node);
    }
}

/// Tells the main thread when a thread panics, so the panic surfaces at once instead of after
/// the horizon, and when the last node thread ends.
struct Alarm<'a> {
    wake: &'a Mailbox<Wake>,
    live: Option<&'a AtomicUsize>,
}

impl Drop for Alarm<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.wake.post(Wake::Panicked);
        } else if let Some(live) = self.live
            && live.fetch_sub(1, Ordering::AcqRel) == 1
        {
            self.wake.post(Wake::Quiescent);
        }
    }
}

/// Runs `nodes` on one OS thread each until the observer is finished, the horizon (true time)
/// passes, the event budget is spent, or every node has crashed ([`Ending::Quiescent`], as in the simulator: nothing can happen any
/// more). A panic in any node, the env or the observer is rethrown here once every thread has
/// stopped.
pub fn run<N, E, O>(nodes: Vec<N>, env: E, observer: &mut O, limits: Limits) -> RunEnd
where
    N: Node + Send + 'static,
    E: Env + Send + 'static,
    O: Observer<N::Obs> + Send,
{
    if nodes.is_empty() {
        let ending = if observer.finished() { Ending::Finished } else { Ending::Quiescent };
        return RunEnd { at: 0, ending, events: 0, late: None };
    }
    let clocks: Vec<Clock> = (0..nodes.len()).map(|id| env.clock(id)).collect();
    let mut schedules: Vec<VecDeque<(Nanos, Scheduled)>> = vec![VecDeque::new(); nodes.len()];
    let mut schedule = env.schedule();
    schedule.sort_by_key(|&(at, _, _)| at);
    for (at, node, what) in schedule {
        if let Some(s) = schedules.get_mut(node) {
            s.push_back((at, what));
        }
    }
    let shared = Shared {
        start: Instant::now(),
        horizon: limits.horizon,
        max_events: limits.max_events,
        env: Mutex::new(env),
        sink: Mutex::new(Sink { observer, closed: false, finished_at: None }),
        exchange: Exchange::new(nodes.len()),
        delay_line: Mailbox::default(),
        wake: Mailbox::default(),
        live: AtomicUsize::new(nodes.len()),
        events: AtomicU64::new(0),
    };
    let shared = &shared;
    thread::scope(|scope| {
        let guard = Shutdown { exchange: &shared.exchange, delay_line: &shared.delay_line };
        let mut handles = Vec::with_capacity(nodes.len());
        for (((id, node), clock), scheduled) in nodes.into_iter().enumerate().zip(clocks).zip(schedules) {
            let worker = Worker {
                id,
                node,
                clock,
                shared,
                timers: Timers::default(),
                scheduled,
                resumes: VecDeque::new(),
                unhandled: Vec::new(),
                out: Out::default(),
                deliveries: Vec::new(),
                sent_at: 0,
                began: 0,
                awake: 0,
                late: None,
            };
            let handle = thread::Builder::new()
                .name(format!("node-{id}"))
                .spawn_scoped(scope, move || {
                    let _alarm = Alarm { wake: &shared.wake, live: Some(&shared.live) };
                    worker.run()
                })
                .expect("spawning a node thread");
            handles.push(handle);
        }
        let delay = thread::Builder::new()
            .name("delay-line".into())
            .spawn_scoped(scope, move || {
                let _alarm = Alarm { wake: &shared.wake, live: None };
                delay_line(shared);
            })
            .expect("spawning the delay-line thread");

        let (at, ending) = wait(shared);
        drop(guard);
        let mut panic = None;
        let mut late = None;
        for handle in handles {
            match handle.join() {
                Ok(worker) => late = Lateness::max(late, worker),
                Err(payload) => {
                    panic.get_or_insert(payload);
                }
            }
        }
        if let Err(payload) = delay.join() {
            panic.get_or_insert(payload);
        }
        if let Some(payload) = panic {
            std::panic::resume_unwind(payload);
        }
        let events = shared.events.load(Ordering::Relaxed).min(shared.max_events);
        RunEnd { at, ending, events, late }
    })
}

/// Blocks the main thread until the run is over and closes the observer to latecomers.
fn wait<M, E, O: Observer<Ob>, Ob>(shared: &Shared<'_, M, E, O>) -> (Nanos, Ending) {
    // An observer with nothing to wait for must not cost a horizon of wall time.
    let done = {
        let mut sink = shared.sink.lock();
        if sink.finished_at.is_none() && sink.observer.finished() {
            sink.closed = true;
            sink.finished_at = Some(shared.now());
        }
        sink.finished_at.is_some()
    };
    let woke = if done {
        Some(Wake::Finished)
    } else {
        match shared.wake.take(shared.instant(shared.horizon)) {
            Take::Letter(letter) => Some(letter.item),
            Take::Due | Take::Stopped => None,
        }
    };
    let mut sink = shared.sink.lock();
    sink.closed = true;
    // The sink decides, not the wake-up: the observer may have finished while we were waking
    // for another reason, and its verdict, stamped under the lock, is the one the oracle saw.
    if let Some(at) = sink.finished_at {
        return (at, Ending::Finished);
    }
    match woke {
        Some(Wake::Quiescent) => (shared.now().min(shared.horizon), Ending::Quiescent),
        Some(Wake::Budget) => (shared.now().min(shared.horizon), Ending::EventBudget),
        // A panic is rethrown after the join; the ending reported here is never seen.
        Some(Wake::Finished | Wake::Panicked) | None => (shared.horizon, Ending::Horizon),
    }
}

/// Holds delayed messages until they are due, then posts them to their target's mailbox.
fn delay_line<M, E, O>(shared: &Shared<'_, M, E, O>) {
    let mut heap: BinaryHeap<Queued<M>> = BinaryHeap::new();
    let mut seq = 0u64;
    loop {
        let now = Instant::now();
        while let Some(top) = heap.peek_mut() {
            if top.delayed.envelope.at > now {
                break;
            }
            let Queued { delayed, .. } = PeekMut::pop(top);
            // Refused only when the target has crashed, and a dead process receives nothing.
            shared.exchange.post(delayed.to, delayed.envelope);
        }
        match shared.delay_line.take(heap.peek().map(|q| q.delayed.envelope.at)) {
            Take::Letter(Letter { item: delayed, .. }) => {
                seq += 1;
                heap.push(Queued { seq, delayed });
            }
            Take::Due => {}
            Take::Stopped => return,
        }
    }
}

/// One node and everything only its thread touches.
struct Worker<'s, 'o, N: Node, E, O> {
    id: NodeId,
    node: N,
    clock: Clock,
    shared: &'s Shared<'o, N::Msg, E, O>,
    timers: Timers<N::Timer>,
    /// Faults the env scheduled for this node, earliest first.
    scheduled: VecDeque<(Nanos, Scheduled)>,
    /// Resume timers owed by pause points: the true time each is due, and whether the node is
    /// frozen until then (it stalled) or only owes it since the step that paused.
    resumes: VecDeque<(N::Timer, Nanos, bool)>,
    /// Zero-delay messages sent in the last step to other nodes, not yet known to be handled.
    unhandled: Vec<Receipt>,
    out: NodeOut<N>,
    deliveries: Vec<Nanos>,
    /// The true time at which the message being sent was routed.
    sent_at: Nanos,
    /// The true time the current step began.
    began: Nanos,
    /// The true time the node last thawed (0 if it never froze): nothing is due before it.
    awake: Nanos,
    /// This thread's largest lateness so far.
    late: Option<Lateness>,
}

impl<N, E, O> Worker<'_, '_, N, E, O>
where
    N: Node,
    E: Env,
    O: Observer<N::Obs>,
{
    /// The node's life, then its death: nothing sent to it after that is ever handled. It dies
    /// however its life ends, a panic included, so nobody goes on waiting for it. Returns how
    /// late it ever was.
    fn run(mut self) -> Option<Lateness> {
        let _death = Death { exchange: &self.shared.exchange, node: self.id };
        self.live();
        self.late
    }

    /// The node acts at true time `now` on something due at `due`: keeps the gap if it is the
    /// largest yet. A frozen node is not late, so nothing is due before its thaw.
    fn note(&mut self, due: Nanos, now: Nanos) {
        if now > self.shared.horizon {
            return;
        }
        let ns = now.saturating_sub(due.max(self.awake));
        if self.late.is_none_or(|late| ns > late.ns) {
            self.late = Some(Lateness { ns, node: self.id, at: now });
        }
    }

    fn mailbox(&self) -> &Mailbox<Envelope<N::Msg>> {
        self.shared.exchange.mailbox(self.id)
    }

    /// Start, then react until shutdown, a crash or the end of the budget.
    fn live(&mut self) {
        if self.react(|node, now, out| node.on_start(now, out), None, 0).is_break() {
            return;
        }
        // A message taken from the inbox but not yet delivered, because a timer was due first.
        let mut pending: Option<Letter<Envelope<N::Msg>>> = None;
        loop {
            if self.mailbox().stopped() {
                return;
            }
            let next = self.next(&mut pending);
            let flow = if !self.unhandled.is_empty() && !matches!(next, Next::Idle(_)) {
                // What is due is decided afresh once the wait is over: more may be due by then.
                self.await_handling()
            } else {
                match next {
                    Next::Resume => {
                        let (id, due, frozen) = self.resumes.pop_front().expect("a resume is owed");
                        if frozen {
                            if !self.freeze_until(due) {
                                return;
                            }
                            self.emit(|o, at, node| o.fault(at, node, FaultEvent::StallEnd));
                        }
                        self.step(|node, now, out| node.on_timer(now, id, out), None, due)
                    }
                    Next::Strike => {
                        let (at, what) = self.scheduled.pop_front().expect("a fault is due");
                        self.strike(what, at)
                    }
                    Next::Timer(at, id) => {
                        self.timers.disarm(id);
                        let due = self.shared.true_time(at);
                        self.step(|node, now, out| node.on_timer(now, id, out), None, due)
                    }
                    Next::Letter => {
                        let Letter { number, item: Envelope { from, msg, at } } =
                            pending.take().expect("a letter is pending");
                        let due = self.shared.true_time(at);
                        self.step(|node, now, out| node.on_msg(now, from, msg, out), Some(number), due)
                    }
                    Next::Idle(wake) => {
                        match self.mailbox().take(wake) {
                            Take::Letter(letter) => pending = Some(letter),
                            Take::Due => {}
                            Take::Stopped => return,
                        }
                        ControlFlow::Continue(())
                    }
                }
            };
            if flow.is_break() {
                return;
            }
        }
    }

    /// What the node does next; takes the oldest letter into `pending` if none is there.
    fn next(&self, pending: &mut Option<Letter<Envelope<N::Msg>>>) -> Next<N::Timer> {
        // Resumes come before the inbox: the node is still inside the step that paused, and a
        // frozen process does not read its messages until it thaws.
        if !self.resumes.is_empty() {
            return Next::Resume;
        }
        if self.scheduled.front().is_some_and(|&(at, _)| at <= self.shared.now()) {
            return Next::Strike;
        }
        if pending.is_none() {
            *pending = self.mailbox().try_take();
        }
        let next = self.next_timer();
        let now = Instant::now();
        match (pending, next.filter(|&(at, _)| at <= now)) {
            // Both ready: whichever became due first goes first, as the simulator would order them.
            (Some(letter), Some((at, id))) if at < letter.item.at => Next::Timer(at, id),
            (Some(_), _) => Next::Letter,
            (None, Some((at, id))) => Next::Timer(at, id),
            (None, None) => {
                let fault = self.scheduled.front().and_then(|&(at, _)| self.shared.instant(at));
                Next::Idle(match (next.map(|(at, _)| at), fault) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                })
            }
        }
    }

    /// Carries out a fault scheduled for true time `due`; breaks on a crash, or when the run
    /// ends during a stall.
    fn strike(&mut self, what: Scheduled, due: Nanos) -> ControlFlow<()> {
        self.note(due, self.shared.now());
        match what {
            Scheduled::Crash => {
                self.emit(|o, at, node| o.fault(at, node, FaultEvent::Crash));
                ControlFlow::Break(())
            }
            Scheduled::Stall(span) => {
                let mut thaw = self.shared.now().saturating_add(span);
                self.emit(|o, at, node| {
                    thaw = at.saturating_add(span);
                    o.fault(at, node, FaultEvent::StallBegin { until: thaw });
                });
                if !self.freeze_until(thaw) {
                    return ControlFlow::Break(());
                }
                self.emit(|o, at, node| o.fault(at, node, FaultEvent::StallEnd));
                ControlFlow::Continue(())
            }
            Scheduled::ClockJump(by) => {
                self.clock = self.clock.jumped(by);
                self.emit(|o, at, node| o.fault(at, node, FaultEvent::ClockJump { by }));
                self.timers.rejump(self.clock, self.shared.now());
                ControlFlow::Continue(())
            }
        }
    }

    /// The earliest armed timer: its deadline and id. One due beyond what `Instant` can hold
    /// never comes: the same as none.
    fn next_timer(&self) -> Option<(Instant, N::Timer)> {
        let (id, at) = self.timers.next()?;
        Some((self.shared.instant(at)?, id))
    }

    /// Freezes until true time `thaw`: reads nothing, and nobody waits for it meanwhile; false if
    /// the run ended first. From then on nothing is due before `thaw`.
    fn freeze_until(&mut self, thaw: Nanos) -> bool {
        let mailbox = self.mailbox();
        mailbox.freeze(true);
        let thawed = mailbox.sleep(self.shared.instant(thaw));
        mailbox.freeze(false);
        self.awake = self.awake.max(thaw);
        thawed
    }

    /// One reaction of the node at the current time, then its effects; breaks on a crash.
    ///
    /// `letter` is the number of the message being handled: once the step's commands are carried
    /// out, its sender is told, and then the receivers of the step's zero-delay messages are
    /// rung; the node waits for their handling before it acts again. `due` is the true time the
    /// node was due to take it.
    fn step(
        &mut self,
        react: impl FnOnce(&mut N, Nanos, &mut NodeOut<N>),
        letter: Option<u64>,
        due: Nanos,
    ) -> ControlFlow<()> {
        if self.shared.events.fetch_add(1, Ordering::Relaxed) >= self.shared.max_events {
            self.shared.wake.post(Wake::Budget);
            return ControlFlow::Break(());
        }
        self.react(react, letter, due)
    }

    /// [`step`](Self::step) without counting an event, for `on_start` (as in the simulator).
    fn react(
        &mut self,
        react: impl FnOnce(&mut N, Nanos, &mut NodeOut<N>),
        letter: Option<u64>,
        due: Nanos,
    ) -> ControlFlow<()> {
        let now = self.shared.now();
        self.note(due, now);
        self.began = now;
        react(&mut self.node, self.clock.local(now), &mut self.out);
        let flow = self.apply(now);
        if let Some(number) = letter {
            self.mailbox().handled(number);
        }
        // Only now, so that a receiver answering the letter just handled finds it handled (see
        // the module docs); a crash rings too, for what the step sent before it.
        for receipt in &self.unhandled {
            self.shared.exchange.ring(receipt.to);
        }
        flow
    }

    /// Waits until every receiver of the last step's zero-delay messages has handled them, or
    /// may not be waited for (see [`Awaited`]); breaks when the run shuts down meanwhile.
    fn await_handling(&mut self) -> ControlFlow<()> {
        for i in 0..self.unhandled.len() {
            if self.shared.exchange.await_handled(self.id, self.unhandled[i]) == Awaited::Stopped {
                return ControlFlow::Break(());
            }
        }
        self.unhandled.clear();
        ControlFlow::Continue(())
    }

    /// Shows the observer one event, stamped under its lock (see the module docs for why), and
    /// wakes the main thread if that event completed the workload. Returns the stamp, or `None`
    /// if the run is already over for the observer.
    fn emit(&self, report: impl FnOnce(&mut O, Nanos, NodeId)) -> Option<Nanos> {
        let mut sink = self.shared.sink.lock();
        if sink.closed {
            return None;
        }
        let at = self.shared.now();
        if at > self.shared.horizon {
            // The simulator processes nothing after the horizon; neither does the oracle here,
            // however late the main thread wakes to say so.
            sink.closed = true;
            return None;
        }
        report(sink.observer, at, self.id);
        if sink.observer.finished() {
            sink.closed = true;
            sink.finished_at = Some(at);
            self.shared.wake.post(Wake::Finished);
        }
        Some(at)
    }

    /// Carries out one step's commands, in order; breaks on a crash, dropping the rest.
    ///
    /// `now` is the true time the step began; timers count from it because that is the time the
    /// node read when it chose them. Sends and pauses ask the env at the moment they happen.
    fn apply(&mut self, now: Nanos) -> ControlFlow<()> {
        let mut out = std::mem::take(&mut self.out);
        let mut deliveries = std::mem::take(&mut self.deliveries);
        let flow = core::apply(now, &mut out, self, &mut deliveries);
        out.drain();
        self.out = out;
        self.deliveries = deliveries;
        flow
    }

    fn forward(&mut self, to: NodeId, now: Nanos, delay: Nanos, msg: N::Msg) {
        let Some(at) = self.shared.instant(now.saturating_add(delay)) else {
            return;
        };
        let envelope = Envelope { from: self.id, msg, at };
        if delay > 0 {
            self.shared.delay_line.post(Delayed { to, envelope });
            return;
        }
        // Refused if `to` is dead: a dead process receives nothing, and nobody waits for it. A
        // node never waits for itself: it handles its own message after this step. The receiver
        // is rung when the step ends.
        if let Some(receipt) = self.shared.exchange.queue(to, envelope)
            && to != self.id
        {
            self.unhandled.push(receipt);
        }
    }
}

/// A node's thread carries out its own steps: sends and pauses ask the env at the moment they
/// happen, timers count from the true time the step began.
impl<N, E, O> Step<N::Msg, N::Obs, N::Timer> for Worker<'_, '_, N, E, O>
where
    N: Node,
    E: Env,
    O: Observer<N::Obs>,
{
    fn clock(&self) -> Clock {
        self.clock
    }
    fn route(&mut self, to: NodeId, deliveries: &mut Vec<Nanos>) {
        // Checked here, not where the copy lands, so the panic names the node that got it wrong.
        assert!(
            to < self.shared.exchange.nodes(),
            "node {} sent to node {to}, which does not exist",
            self.id
        );
        self.sent_at = self.shared.now();
        self.shared.env.lock().route(self.id, to, self.sent_at, deliveries);
    }
    fn deliver(&mut self, to: NodeId, delay: Nanos, msg: N::Msg) {
        self.forward(to, self.sent_at, delay, msg);
    }
    fn arm(&mut self, id: N::Timer, at: Nanos, local: Option<Nanos>) {
        self.timers.arm(id, at, local);
    }
    fn disarm(&mut self, id: N::Timer) {
        self.timers.disarm(id);
    }
    fn pause(&mut self, point: PausePoint) -> PauseOutcome {
        self.shared.env.lock().pause(self.id, point, self.shared.now())
    }
    fn resume(&mut self, resume: N::Timer) {
        self.resumes.push_back((resume, self.began, false));
    }
    fn stall(&mut self, span: Nanos, resume: N::Timer) {
        // Thaw time counts from the reported stamp, so the StallBegin the oracle sees says
        // exactly how long the node will be frozen.
        let mut thaw = self.shared.now().saturating_add(span);
        self.emit(|o, at, node| {
            thaw = at.saturating_add(span);
            o.fault(at, node, FaultEvent::StallBegin { until: thaw });
        });
        self.resumes.push_back((resume, thaw, true));
    }
    fn crash(&mut self) {
        self.emit(|o, at, node| o.fault(at, node, FaultEvent::Crash));
    }
    fn observe(&mut self, obs: N::Obs) {
        self.emit(|o, at, node| o.observe(at, node, &obs));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MS;

    /// A node whose start computes for 30 ms, then wants to act 1 ms after it began.
    struct Busy;

    /// Its one timer.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Soon;

    impl Node for Busy {
        type Msg = ();
        type Obs = ();
        type Timer = Soon;

        fn on_start(&mut self, _: Nanos, out: &mut NodeOut<Self>) {
            std::thread::sleep(Duration::from_millis(30));
            out.set_timer(Soon, MS);
        }
        fn on_msg(&mut self, _: Nanos, _: NodeId, _: (), _: &mut NodeOut<Self>) {}
    }

    /// A world with nothing in it: a perfect clock, no pause, every message on time.
    struct Calm;

    impl Env for Calm {
        fn clock(&self, _: NodeId) -> Clock {
            Clock::PERFECT
        }
        fn pause(&mut self, _: NodeId, _: PausePoint, _: Nanos) -> PauseOutcome {
            PauseOutcome::Continue
        }
        fn route(&mut self, _: NodeId, _: NodeId, _: Nanos, deliveries: &mut Vec<Nanos>) {
            deliveries.push(0);
        }
    }

    /// Time a step spends computing is time the model says takes none: the node's next due
    /// timer fires at least that late, and the run says which node it was. A node that never
    /// did anything late beside it changes nothing.
    #[test]
    fn a_step_that_computes_makes_the_next_one_late() {
        let nodes: Vec<Box<dyn Node<Msg = (), Obs = (), Timer = Soon> + Send>> =
            vec![Box::new(Idle), Box::new(Busy)];
        let end = run(nodes, Calm, &mut (), Limits { horizon: 200 * MS, max_events: 1_000 });
        let late = end.late.expect("a run that took steps measures them");
        assert!(late.ns >= 25 * MS, "{late:?}");
        assert!(late.ns <= 200 * MS && late.at <= 200 * MS, "within the horizon: {late:?}");
        assert_eq!(late.node, 1, "{late:?}");
    }

    /// Does nothing, on time.
    struct Idle;

    impl Node for Idle {
        type Msg = ();
        type Obs = ();
        type Timer = Soon;

        fn on_msg(&mut self, _: Nanos, _: NodeId, _: (), _: &mut NodeOut<Self>) {}
    }
}
