//! Every run ends, and says how: finished, or which clients could not go on.

use faultline::engine::Ending;
use faultline::fault::Dist;
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use faultline::time::MS;

/// A non-preemptive lock whose holder crashed blocks the others; the run still ends, at its
/// horizon, and says so.
#[test]
fn a_blocked_run_ends_at_its_horizon() {
    let mut cfg = LockConfig::new(Variant::NON_PREEMPTIVE, EngineKind::Sim);
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
    let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
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

/// A client busy with its work when the horizon falls is not stuck: nothing says its reply will
/// never come. The run says it was cut short instead.
#[test]
fn a_client_at_work_at_the_horizon_is_not_stuck() {
    let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
    cfg.work = 1_000 * MS;
    cfg.horizon = Some(500 * MS);
    let m = run(&cfg).unwrap().metrics;
    assert_eq!((m.ending, m.stuck), (Ending::Horizon, 0), "{m:?}");
}

/// The acquisitions asked for are the acquisitions run, however they divide between clients.
#[test]
fn the_acquisitions_asked_for_are_run() {
    for (clients, acquisitions) in [(3, 10), (16, 1_000), (7, 7), (5, 3)] {
        let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        cfg.clients = clients;
        cfg.acquisitions = acquisitions;
        let m = run(&cfg).unwrap().metrics;
        assert_eq!((m.ending, m.acquisitions), (Ending::Finished, acquisitions), "{clients} clients");
    }
}

/// An overlap whose holder aborts at its margin check before touching anything is named for what
/// it is, and the verdict does not call it a safety violation.
#[test]
fn an_overlap_that_ends_in_an_abort_is_harmless() {
    let mut cfg = LockConfig::new(Variant::LEASE_MARGIN, EngineKind::Sim);
    cfg.margin = Some(3 * MS);
    cfg.work = 2 * MS;
    cfg.pause = Dist::Uniform { lo: 0, hi: 20 * MS };
    cfg.pause_at = faultline::node::PausePoint::P1;
    let report = run(&cfg).unwrap();
    let m = &report.metrics;
    assert!(m.overlaps > 1_000, "{m:?}");
    assert_eq!(m.aborted_overlaps, m.overlaps, "every overlap aborted here: {m:?}");
    assert_eq!((m.stale_accepted, m.lost_updates, m.stale_effects), (0, 0, 0));
    let table = faultline::report::lock_table(&report);
    assert!(!table.contains("SAFETY VIOLATED"), "{table}");
    assert!(table.contains("overlaps ended in an abort before touching anything"), "{table}");
}
