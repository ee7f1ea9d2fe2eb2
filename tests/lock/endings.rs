//! Every run ends, and says how: finished, or which clients could not go on.

use faultline::engine::Ending;
use faultline::fault::Dist;
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use faultline::time::MS;

/// A non-preemptive lock whose holder crashed blocks the others; the run still ends, at its
/// horizon, and says so.
#[test]
fn a_blocked_run_ends_at_its_horizon() {
    let mut cfg = LockConfig::new(Variant::NonPreemptive, EngineKind::Sim);
    cfg.script.push(faultline::lock::config::Scripted {
        client: 0,
        acquisition: 3,
        at: faultline::node::PausePoint::P1,
        fault: faultline::lock::config::ScriptedFault::Crash,
    });
    cfg.clients = 4;
    let m = run(&cfg).unwrap().metrics;
    assert_eq!(m.blocked, 3);
    assert_eq!(m.ending, Ending::Horizon);
    assert_eq!(m.end_ns, cfg.horizon());
    assert!(m.unavailable > 0.99, "the crashed holder kept the lock nearly the whole run: {}", m.unavailable);
}

fn lossy_storage(retry: u64) -> LockConfig {
    let mut cfg = LockConfig::new(Variant::Lease, EngineKind::Sim);
    cfg.pause = Dist::None;
    cfg.link.drop = 0.05;
    cfg.links = faultline::lock::config::LinkScope { lock: false, storage: true, effect: false };
    cfg.retry = retry;
    cfg.acquisitions = 2_000;
    cfg
}

/// A lost read or reply costs a retry, not the run.
#[test]
fn lost_storage_messages_are_retried() {
    let m = run(&lossy_storage(20 * MS)).unwrap().metrics;
    assert_eq!(m.ending, Ending::Finished, "{m:?}");
    assert_eq!((m.blocked, m.stuck), (0, 0));
    assert!(m.acquisitions >= 2_000);
}

/// Without retries the clients end up inside their sections waiting for replies that were lost:
/// not blocked on the lock, but stuck all the same, and the report says so.
#[test]
fn without_retries_lost_replies_leave_clients_stuck() {
    let m = run(&lossy_storage(0)).unwrap().metrics;
    assert_ne!(m.ending, Ending::Finished, "{m:?}");
    assert!(m.stuck >= 1, "{m:?}");
    assert!(m.acquisitions < 2_000);
}
