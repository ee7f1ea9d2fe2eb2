//! The main results on real threads, with margins of tens of milliseconds so that scheduling noise
//! on a shared machine cannot flip them.

use faultline::fault::Dist;
use faultline::lock::config::{Scripted, ScriptedFault};
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use faultline::node::PausePoint;
use faultline::time::MS;

fn threads(variant: Variant) -> LockConfig {
    let mut cfg = LockConfig::new(variant, EngineKind::Threads);
    cfg.pause = Dist::None;
    cfg.work = 2 * MS;
    if variant.preemptive() {
        cfg.lease = Some(20 * MS);
    }
    cfg.acquisitions = 20;
    cfg
}

fn stall_first(cfg: &mut LockConfig, ms: u64) {
    cfg.script.push(Scripted {
        client: 0,
        acquisition: 1,
        at: PausePoint::P2,
        fault: ScriptedFault::Stall(ms * MS),
    });
}

#[test]
fn lease_f1_overlaps_on_threads() {
    let mut cfg = threads(Variant::Lease);
    stall_first(&mut cfg, 60);
    let m = run(&cfg).unwrap().metrics;
    assert!(m.overlaps >= 1, "{m:?}");
    assert!(m.stale_accepted >= 1, "{m:?}");
    assert_eq!(m.blocked, 0);
}

#[test]
fn non_preemptive_f2_blocks_on_threads() {
    let mut cfg = threads(Variant::NonPreemptive);
    cfg.script.push(Scripted { client: 0, acquisition: 1, at: PausePoint::P1, fault: ScriptedFault::Crash });
    cfg.horizon = Some(300 * MS);
    let m = run(&cfg).unwrap().metrics;
    assert_eq!(m.blocked, 1, "{m:?}");
    assert_eq!(m.overlaps, 0);
    assert_eq!(m.ending, faultline::engine::Ending::Horizon);
}

#[test]
fn fencing_keeps_storage_safe_but_duplicates_the_sms_on_threads() {
    let mut cfg = threads(Variant::Fenced);
    stall_first(&mut cfg, 60);
    let m = run(&cfg).unwrap().metrics;
    assert!(m.overlaps >= 1, "{m:?}");
    assert_eq!(m.lost_updates, 0, "{m:?}");
    assert!(m.stale_rejected >= 1, "{m:?}");
    assert!(m.duplicate_effects >= 1, "{m:?}");
}
