//! The harness judges protocols written outside the crate rightly: broken Validity and
//! non-determinism get outcomes of their own, a process that panics or sends to a pid that does
//! not exist is an error naming it on both drivers (and the threaded driver returns), and the
//! reports show a protocol by the name its trait gives.

use faultline::report::smr::{report, worlds_text};
use faultline::smr::theorem::{DichotomyError, Horn, dichotomy};
use faultline::smr::world::WorldName;
use faultline::smr::{Cluster, Cmd, Driver, Pid, Process, Protocol, Round, RunError};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Far beyond what any dichotomy here needs: reaching it means the driver hangs.
const HANG: Duration = Duration::from_secs(60);

const ROUNDS: Round = 12;

/// What a test server does wrong, if anything.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// Answers every write with the command written: valid, live, and so disagrees in C.
    None,
    /// Answers every write with C1, whoever wrote.
    AlwaysC1,
    /// Tells every client, in round 0, a number drawn from a counter shared by all runs.
    Counter,
    /// Sends to pid 99 in round 2.
    Misaddress,
    /// Server s2 panics in round 1.
    Panic,
}

#[derive(Debug, Clone, PartialEq)]
enum Msg {
    Write(Cmd),
    Told(Cmd),
    Tick(u64),
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Write(c) => write!(f, "Write({c})"),
            Msg::Told(c) => write!(f, "Told({c})"),
            Msg::Tick(k) => write!(f, "Tick({k})"),
        }
    }
}

struct Test(Fault);

struct Server {
    me: Pid,
    cluster: Cluster,
    fault: Fault,
}

/// Shared by every run in this process: what makes [`Fault::Counter`] non-deterministic.
static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Process<Msg> for Server {
    fn round(&mut self, round: Round, inbox: &[(Pid, Msg)], out: &mut Vec<(Pid, Msg)>) {
        match (self.fault, round) {
            (Fault::Counter, 0) => {
                let k = COUNTER.fetch_add(1, Ordering::SeqCst);
                out.extend(self.cluster.clients().map(|c| (c, Msg::Tick(k))));
            }
            (Fault::Misaddress, 2) => out.push((Pid(99), Msg::Tick(7))),
            (Fault::Panic, 1) if self.me == Pid(1) => panic!("boom"),
            _ => {}
        }
        for (from, m) in inbox {
            if let Msg::Write(c) = m {
                let told = if self.fault == Fault::AlwaysC1 { Cmd(1) } else { *c };
                out.push((*from, Msg::Told(told)));
            }
        }
    }
}

impl Protocol for Test {
    type Msg = Msg;
    type Server = Server;

    fn name(&self) -> String {
        format!("test-{:?}", self.0).to_lowercase()
    }

    fn server(&self, me: Pid, cluster: Cluster) -> Server {
        Server { me, cluster, fault: self.0 }
    }

    fn write(cmd: Cmd) -> Msg {
        Msg::Write(cmd)
    }

    fn response(msg: &Msg) -> Option<Cmd> {
        match msg {
            Msg::Told(c) => Some(*c),
            _ => None,
        }
    }
}

/// The dichotomy of `fault` on n = 2, f = 1 with `driver`, failing the test if it outlives
/// [`HANG`] instead of hanging with it.
fn bounded(fault: Fault, driver: Driver) -> Result<Horn, DichotomyError> {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    // Detached on purpose: if the driver hangs, the test fails below rather than waiting for it.
    std::thread::spawn(move || {
        let d = dichotomy(&Test(fault), Cluster::new(2, 1), ROUNDS, driver).map(|d| d.horn);
        let _ = tx.send(d);
    });
    let result = rx.recv_timeout(HANG).unwrap_or_else(|_| panic!("{fault:?} on {driver:?} hangs"));
    assert!(started.elapsed() < HANG);
    result
}

const DRIVERS: [Driver; 2] = [Driver::Loop, Driver::Threads];

#[test]
fn a_valid_deterministic_protocol_of_ones_own_lands_on_a_horn() {
    for driver in DRIVERS {
        assert_eq!(bounded(Fault::None, driver).unwrap(), Horn::Disagrees { c1: Cmd(1), c2: Cmd(2) });
    }
}

#[test]
fn breaking_validity_is_its_own_outcome_naming_world_client_and_command() {
    for driver in DRIVERS {
        // In B only c2 writes, and it is told C1.
        assert_eq!(
            bounded(Fault::AlwaysC1, driver).unwrap(),
            Horn::Invalid { world: WorldName::B, client: 2, cmd: Cmd(1) },
            "{driver:?}"
        );
    }
}

#[test]
fn a_protocol_with_shared_state_is_named_not_deterministic() {
    for driver in DRIVERS {
        match bounded(Fault::Counter, driver).unwrap() {
            Horn::NotDeterministic { world, difference } => {
                // The first world run twice already differs, where c1 hears s1's tick.
                assert_eq!(
                    (world, difference.process.as_str(), difference.round),
                    (WorldName::A, "c1", Some(1)),
                    "{driver:?}"
                );
                assert!(difference.first.starts_with("Tick("), "{difference:?}");
                assert_ne!(difference.first, difference.second);
            }
            other => panic!("{driver:?}: {other:?}"),
        }
    }
}

#[test]
fn a_misaddressed_message_is_an_error_naming_process_round_and_message_on_both_drivers() {
    for driver in DRIVERS {
        let err = bounded(Fault::Misaddress, driver).unwrap_err();
        let DichotomyError::Run { world, error } = &err else { panic!("{driver:?}: {err:?}") };
        assert_eq!(*world, WorldName::A);
        match error {
            RunError::Misaddressed { process, round, to, msg, last, .. } => {
                assert_eq!(
                    (process.as_str(), *round, *to, msg.as_str(), *last),
                    ("s1", 2, 99, "Tick(7)", 3),
                    "{driver:?}"
                );
            }
            other => panic!("{driver:?}: {other:?}"),
        }
        assert!(err.to_string().starts_with("world A: s1 sent Tick(7) in round 2 to pid 99"), "{err}");
    }
}

#[test]
fn a_panicking_process_is_an_error_naming_it_and_the_round_on_both_drivers() {
    for driver in DRIVERS {
        let err = bounded(Fault::Panic, driver).unwrap_err();
        assert_eq!(
            err,
            DichotomyError::Run {
                world: WorldName::A,
                error: RunError::Panicked { process: "s2".into(), round: 1, message: "boom".into() },
            },
            "{driver:?}"
        );
        assert_eq!(err.to_string(), "world A: s2 panicked in round 1: boom");
    }
}

#[test]
fn the_report_shows_a_protocol_of_ones_own_by_its_name() {
    for fault in [Fault::None, Fault::AlwaysC1, Fault::Counter] {
        let p = Test(fault);
        let d = dichotomy(&p, Cluster::new(2, 1), ROUNDS, Driver::Loop).unwrap();
        let r = report(&p, &d, ROUNDS, Driver::Loop, &WorldName::ALL);
        let text = worlds_text(&r);
        assert!(text.starts_with(&format!("{} | n=2 servers, f=1", p.name())), "{text}");
        assert_eq!(r.harness_bug(), None, "{fault:?} is the protocol's doing, not the harness's");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["protocol"], p.name());
        let expected = match fault {
            Fault::None => "horn: disagrees: in world C c1 is told C1 and c2 is told C2",
            Fault::AlwaysC1 => {
                "outside the theorem: breaks validity: in world B c2 is told C1, which no client wrote there"
            }
            _ => {
                "outside the theorem: not deterministic: world A run twice: differ first at c1 in round 1: in the first run it got Tick("
            }
        };
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
}

#[test]
fn a_failing_process_stops_a_stress_experiment_with_the_run_it_failed_in() {
    use faultline::smr::adversary::FaultModel;
    use faultline::smr::{StressConfig, StressError, stress};
    let cfg = StressConfig {
        cluster: Cluster::new(3, 1),
        model: FaultModel::Omission,
        q: 0.5,
        rounds: 8,
        runs: 5,
        seed: 1,
    };
    let err = stress(&Test(Fault::Panic), &cfg).unwrap_err();
    let StressError::Run { run, error } = err;
    assert_eq!(
        (run, error),
        (0, RunError::Panicked { process: "s2".into(), round: 1, message: "boom".into() })
    );
    // Echoing each write back, two correct servers answer each client its own command.
    assert_eq!(stress(&Test(Fault::None), &cfg).unwrap().agreement_violations.count, cfg.runs);
}
