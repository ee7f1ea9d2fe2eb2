//! The engine test kit: each engine behaviour, run against every engine that has it.
//!
//! The simulator, the threads engine and the interleaving driver share what each command means
//! ([`super::core`]); these tests hold them to the behaviours that meaning promises: causal order,
//! a stall that freezes the inbox, a crash that drops the rest of the step, timers that re-arm and
//! cancel, quiescence, the event budget, and a panicking node that fails the run. The horizon and
//! real delays are checked on the engines that have time (the interleaving driver has none).

#![cfg(all(test, not(loom)))]

use super::{Ending, Env, FaultEvent, Limits, Observer, PauseOutcome, RunEnd, interleave, sim, threads};
use crate::fault::Clock;
use crate::node::{NoTimer, Node, NodeId, Out, PausePoint};
use crate::time::{MS, Nanos, SEC};
use std::time::{Duration, Instant};

/// The engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sim,
    Threads,
    Interleave,
}

const ALL: [Engine; 3] = [Engine::Sim, Engine::Threads, Engine::Interleave];
/// The engines with time, and so a horizon and real delays.
const TIMED: [Engine; 2] = [Engine::Sim, Engine::Threads];

/// Runs `nodes` on `engine`; every node is an actor on the interleaving driver.
fn drive<N>(
    engine: Engine,
    mut nodes: Vec<N>,
    mut env: TestEnv,
    mut rec: Recorder,
    limits: Limits,
) -> (Recorder, RunEnd)
where
    N: Node<Msg = u32, Obs = Obs> + Send + 'static,
{
    match engine {
        Engine::Sim => {
            let end = sim::run(&mut nodes, &mut env, &mut rec, limits);
            (rec, end)
        }
        Engine::Threads => {
            let end = threads::run(nodes, env, &mut rec, limits);
            (rec, end)
        }
        Engine::Interleave => {
            let actors: Vec<NodeId> = (0..nodes.len()).collect();
            interleave::run(nodes, &actors, env, rec, limits.max_events)
        }
    }
}

/// The test player's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Tick,
    Resume,
}

/// No budget to speak of: the run ends by the horizon or before (a million events on the
/// interleaving driver, which has no horizon).
fn until(horizon: Nanos) -> Limits {
    Limits { horizon, max_events: 1_000_000 }
}

/// What the test nodes report.
#[derive(Debug, Clone, PartialEq)]
enum Obs {
    /// Received ball `n`.
    Got(u32),
    /// Sent ball `n`.
    Sent(u32),
    /// `on_start` ran to its end.
    Started,
    /// The tick timer fired.
    Tick,
    /// The resume timer fired.
    Resumed,
}

/// A purpose-built node: returns every ball it gets with one added, up to `last`; on start
/// it may serve the first ball, arm a tick, pause, or send a volley of balls.
#[derive(Default)]
struct Player {
    peer: NodeId,
    serve: bool,
    last: u32,
    tick: Option<Nanos>,
    pause: bool,
    volley: u32,
}

impl Node for Player {
    type Msg = u32;
    type Obs = Obs;
    type Timer = Timer;

    fn on_start(&mut self, _: Nanos, out: &mut Out<u32, Obs, Timer>) {
        if self.pause {
            out.pause(PausePoint::P1, Timer::Resume);
        }
        if let Some(after) = self.tick {
            // Armed, disarmed, armed twice: it must fire exactly once.
            out.set_timer(Timer::Tick, after);
            out.cancel_timer(Timer::Tick);
            out.set_timer(Timer::Tick, after);
            out.set_timer(Timer::Tick, after);
        }
        if self.serve {
            out.observe(Obs::Sent(0));
            out.send(self.peer, 0);
        }
        for n in 0..self.volley {
            out.observe(Obs::Sent(n));
            out.send(self.peer, n);
        }
        // Only reported if the pause above let the node live.
        out.observe(Obs::Started);
    }

    fn on_msg(&mut self, _: Nanos, _: NodeId, n: u32, out: &mut Out<u32, Obs, Timer>) {
        out.observe(Obs::Got(n));
        if n < self.last {
            out.observe(Obs::Sent(n + 1));
            out.send(self.peer, n + 1);
        }
    }

    fn on_timer(&mut self, _: Nanos, timer: Timer, out: &mut Out<u32, Obs, Timer>) {
        out.observe(match timer {
            Timer::Resume => Obs::Resumed,
            Timer::Tick => Obs::Tick,
        });
    }
}

/// Every copy arrives after `delays`; every pause ends as `pauses[node]` says.
struct TestEnv {
    delays: Vec<Nanos>,
    pauses: Vec<PauseOutcome>,
}

impl TestEnv {
    fn perfect(nodes: usize) -> Self {
        TestEnv { delays: vec![0], pauses: vec![PauseOutcome::Continue; nodes] }
    }
}

impl Env for TestEnv {
    fn clock(&self, _: NodeId) -> Clock {
        Clock::PERFECT
    }
    fn pause(&mut self, node: NodeId, _: PausePoint, _: Nanos) -> PauseOutcome {
        self.pauses[node]
    }
    fn route(&mut self, _: NodeId, _: NodeId, _: Nanos, deliveries: &mut Vec<Nanos>) {
        deliveries.extend_from_slice(&self.delays);
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Obs(Obs),
    Fault(FaultEvent),
}

/// Records everything; finished once `done` says so.
#[derive(Clone)]
struct Recorder {
    seen: Vec<(Nanos, NodeId, Seen)>,
    done: fn(&Recorder) -> bool,
}

impl Recorder {
    fn new(done: fn(&Recorder) -> bool) -> Self {
        Recorder { seen: Vec::new(), done }
    }
    fn count(&self, node: NodeId, what: &Seen) -> usize {
        self.seen.iter().filter(|(_, n, s)| *n == node && s == what).count()
    }
    fn position(&self, node: NodeId, what: &Seen) -> Option<usize> {
        self.seen.iter().position(|(_, n, s)| *n == node && s == what)
    }
    fn assert_stamps_monotone(&self) {
        assert!(self.seen.windows(2).all(|w| w[0].0 <= w[1].0), "stamps go back: {:?}", self.seen);
    }
}

impl Observer<Obs> for Recorder {
    fn observe(&mut self, at: Nanos, node: NodeId, obs: &Obs) {
        self.seen.push((at, node, Seen::Obs(obs.clone())));
    }
    fn fault(&mut self, at: Nanos, node: NodeId, fault: FaultEvent) {
        self.seen.push((at, node, Seen::Fault(fault)));
    }
    fn finished(&self) -> bool {
        (self.done)(self)
    }
}

fn got(n: u32) -> Seen {
    Seen::Obs(Obs::Got(n))
}

#[test]
fn messages_and_timers_are_delivered_in_causal_order_and_the_run_finishes_early() {
    const LAST: u32 = 10;
    for engine in ALL {
        let nodes = vec![
            Player { peer: 1, serve: true, last: LAST, tick: Some(2 * MS), ..Player::default() },
            Player { peer: 0, last: LAST, ..Player::default() },
        ];
        // Every ball travels twice (at once and after a delay), so ball n has 2^n copies: the
        // delay line and duplicates are exercised, and LAST keeps the total in the thousands.
        let env = TestEnv { delays: vec![0, MS], ..TestEnv::perfect(2) };
        let rec = Recorder::new(|r| {
            r.seen.iter().any(|(_, _, s)| *s == got(LAST))
                && r.count(1, &got(0)) == 2
                && r.count(0, &Seen::Obs(Obs::Tick)) == 1
        });
        let (rec, end) = drive(engine, nodes, env, rec, until(10 * SEC));
        assert_eq!(end.ending, Ending::Finished, "{engine:?}");
        assert_eq!(end.at, rec.seen.last().expect("something was seen").0, "{engine:?}");
        assert!(end.events > u64::from(LAST), "{engine:?}: {end:?}");
        rec.assert_stamps_monotone();
        // Ball n is reported sent before anyone reports getting it, whichever copy came first.
        for n in 1..=LAST {
            let sender = usize::from(n % 2 == 1);
            let sent = rec.position(sender, &Seen::Obs(Obs::Sent(n))).expect("sent");
            let received = rec.position(1 - sender, &got(n)).expect("received");
            assert!(sent < received, "{engine:?}: ball {n} got before it was sent");
        }
        // The tick was armed, cancelled and armed twice: it fires exactly once.
        assert_eq!(rec.count(0, &Seen::Obs(Obs::Tick)), 1, "{engine:?}");
        assert_eq!(rec.count(1, &Seen::Obs(Obs::Tick)), 0, "{engine:?}");
        if TIMED.contains(&engine) {
            // The delayed copy of the serve waited for at least its delay.
            let served = rec.seen[rec.position(0, &Seen::Obs(Obs::Sent(0))).expect("served")].0;
            let copies: Vec<_> = rec.seen.iter().filter(|(_, n, s)| *n == 1 && *s == got(0)).collect();
            assert!(copies[1].0 >= served + MS, "{engine:?}: a delayed copy came early: {copies:?}");
        }
    }
}

#[test]
fn a_stall_freezes_the_node_and_its_inbox_until_it_thaws() {
    const STALL: Nanos = 150 * MS;
    const VOLLEY: u32 = 5;
    for engine in ALL {
        let nodes = vec![
            Player { pause: true, ..Player::default() },
            Player { peer: 0, volley: VOLLEY, ..Player::default() },
        ];
        let env =
            TestEnv { delays: vec![0], pauses: vec![PauseOutcome::Stall(STALL), PauseOutcome::Continue] };
        let rec = Recorder::new(|r| {
            r.seen.iter().filter(|(_, n, s)| *n == 0 && matches!(s, Seen::Obs(Obs::Got(_)))).count()
                == VOLLEY as usize
        });
        let (rec, end) = drive(engine, nodes, env, rec, until(10 * SEC));
        assert_eq!(end.ending, Ending::Finished, "{engine:?}");
        rec.assert_stamps_monotone();
        // The resume comes first, then the messages that piled up.
        let resumed = rec.position(0, &Seen::Obs(Obs::Resumed)).expect("resumed");
        for n in 0..VOLLEY {
            let sent = rec.position(1, &Seen::Obs(Obs::Sent(n))).expect("sent");
            let received = rec.position(0, &got(n)).expect("received");
            assert!(sent < received && resumed < received, "{engine:?}: ball {n} was read by a frozen node");
        }
        // Same-origin messages keep their order through the inbox.
        let order: Vec<_> = rec
            .seen
            .iter()
            .filter_map(|(_, n, s)| match s {
                Seen::Obs(Obs::Got(b)) if *n == 0 => Some(*b),
                _ => None,
            })
            .collect();
        assert_eq!(order, (0..VOLLEY).collect::<Vec<_>>(), "{engine:?}");
        // The rest of the paused step still ran before the stall.
        assert!(
            rec.position(0, &Seen::Obs(Obs::Started)).expect("on_start finished") < resumed,
            "{engine:?}"
        );
        if TIMED.contains(&engine) {
            let (begin_at, until) = rec
                .seen
                .iter()
                .find_map(|&(at, n, ref s)| match s {
                    Seen::Fault(FaultEvent::StallBegin { until }) if n == 0 => Some((at, *until)),
                    _ => None,
                })
                .expect("StallBegin reported");
            assert_eq!(until, begin_at + STALL, "{engine:?}");
            let thawed = rec.position(0, &Seen::Fault(FaultEvent::StallEnd)).expect("StallEnd reported");
            assert!(rec.seen[thawed].0 >= until, "{engine:?}: the thaw came early");
            assert_eq!(resumed, thawed + 1, "{engine:?}");
        }
    }
}

#[test]
fn a_crash_ends_the_node_and_drops_the_rest_of_its_step() {
    for engine in ALL {
        let nodes = vec![
            Player { pause: true, tick: Some(MS), ..Player::default() },
            Player { peer: 0, volley: 3, tick: Some(20 * MS), ..Player::default() },
        ];
        let env = TestEnv { delays: vec![0, MS], pauses: vec![PauseOutcome::Crash, PauseOutcome::Continue] };
        // Node 1's tick fires after its volley, some of which reached a node that was already dead.
        let rec = Recorder::new(|r| r.count(1, &Seen::Obs(Obs::Tick)) == 1);
        let (rec, end) = drive(engine, nodes, env, rec, until(10 * SEC));
        assert_eq!(end.ending, Ending::Finished, "{engine:?}");
        rec.assert_stamps_monotone();
        let node0: Vec<_> = rec.seen.iter().filter(|(_, n, _)| *n == 0).map(|(_, _, s)| s.clone()).collect();
        assert_eq!(node0, vec![Seen::Fault(FaultEvent::Crash)], "{engine:?}: a dead node did something");
    }
}

#[test]
fn when_every_node_crashes_the_run_is_quiescent() {
    for engine in ALL {
        let nodes =
            vec![Player { pause: true, ..Player::default() }, Player { pause: true, ..Player::default() }];
        let env = TestEnv { delays: vec![0], pauses: vec![PauseOutcome::Crash; 2] };
        let (rec, end) = drive(engine, nodes, env, Recorder::new(|_| false), until(10 * SEC));
        assert_eq!(end.ending, Ending::Quiescent, "{engine:?}");
        assert_eq!(rec.seen.len(), 2, "{engine:?}");
    }
}

#[test]
fn a_run_that_never_finishes_ends_at_the_horizon() {
    const HORIZON: Nanos = 50 * MS;
    for engine in TIMED {
        // An endless rally through the delay line, and a node frozen far beyond the horizon: the
        // stall must be cut short by the shutdown, not slept out.
        let nodes = vec![
            Player { peer: 1, serve: true, last: u32::MAX, ..Player::default() },
            Player { peer: 0, last: u32::MAX, ..Player::default() },
            Player { pause: true, ..Player::default() },
        ];
        let env = TestEnv {
            delays: vec![100 * crate::time::US],
            pauses: vec![PauseOutcome::Continue, PauseOutcome::Continue, PauseOutcome::Stall(60 * SEC)],
        };
        let started = Instant::now();
        let (rec, end) = drive(engine, nodes, env, Recorder::new(|_| false), until(HORIZON));
        assert!(started.elapsed() < Duration::from_secs(5), "{engine:?}: a stall outlived the horizon");
        assert_eq!((end.ending, end.at), (Ending::Horizon, HORIZON), "{engine:?}");
        assert!(end.events > 0);
        rec.assert_stamps_monotone();
        assert!(rec.seen.iter().all(|&(at, _, _)| at <= HORIZON), "{engine:?}: an event after the horizon");
        assert_eq!(rec.count(2, &Seen::Fault(FaultEvent::StallEnd)), 0, "{engine:?}");
    }
}

#[test]
fn a_run_that_spends_its_event_budget_ends_at_once() {
    for engine in ALL {
        let nodes = vec![
            Player { peer: 1, serve: true, last: u32::MAX, ..Player::default() },
            Player { peer: 0, last: u32::MAX, ..Player::default() },
        ];
        let limits = Limits { horizon: 60 * SEC, max_events: 1_000 };
        let (rec, end) = drive(engine, nodes, TestEnv::perfect(2), Recorder::new(|_| false), limits);
        assert_eq!((end.ending, end.events), (Ending::EventBudget, 1_000), "{engine:?}");
        assert!(rec.count(0, &got(999)) + rec.count(1, &got(999)) <= 1, "{engine:?}");
        rec.assert_stamps_monotone();
    }
}

/// A node that fails on its first message.
struct Faulty;

impl Node for Faulty {
    type Msg = u32;
    type Obs = Obs;
    type Timer = NoTimer;
    fn on_start(&mut self, _: Nanos, out: &mut Out<u32, Obs, NoTimer>) {
        out.send(0, 7);
    }
    fn on_msg(&mut self, _: Nanos, _: NodeId, _: u32, _: &mut Out<u32, Obs, NoTimer>) {
        panic!("boom");
    }
}

#[test]
fn a_panicking_node_fails_the_run() {
    for engine in ALL {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            drive(engine, vec![Faulty], TestEnv::perfect(1), Recorder::new(|_| false), until(60 * SEC))
        }));
        assert!(result.is_err(), "{engine:?}: the panic did not propagate");
    }
}
