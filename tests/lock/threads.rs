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
    let mut cfg = threads(Variant::LEASE);
    stall_first(&mut cfg, 60);
    let m = run(&cfg).unwrap().metrics;
    assert!(m.overlaps >= 1, "{m:?}");
    assert!(m.stale_accepted >= 1, "{m:?}");
    assert_eq!(m.blocked, 0);
}

#[test]
fn non_preemptive_f2_blocks_on_threads() {
    let mut cfg = threads(Variant::NON_PREEMPTIVE);
    cfg.script.push(Scripted { client: 0, acquisition: 1, at: PausePoint::P1, fault: ScriptedFault::Crash });
    cfg.horizon = Some(300 * MS);
    let m = run(&cfg).unwrap().metrics;
    assert_eq!(m.blocked, 1, "{m:?}");
    assert_eq!(m.overlaps, 0);
    assert_eq!(m.ending, faultline::engine::Ending::Horizon);
}

#[test]
fn fencing_keeps_storage_safe_but_duplicates_the_sms_on_threads() {
    let mut cfg = threads(Variant::FENCED);
    stall_first(&mut cfg, 60);
    let m = run(&cfg).unwrap().metrics;
    assert!(m.overlaps >= 1, "{m:?}");
    assert_eq!(m.lost_updates, 0, "{m:?}");
    assert!(m.stale_rejected >= 1, "{m:?}");
    assert!(m.duplicate_effects >= 1, "{m:?}");
}

/// No fault at all, many runs of every kind of lock: real scheduling noise shows as acquire
/// latency, never as a safety violation. The lease is half a second, so only a thread kept off
/// the processor for that long could expire it; on a shared machine that is the margin.
#[test]
fn a_fault_free_run_on_threads_is_safe() {
    for variant in [Variant::NON_PREEMPTIVE, Variant::LEASE, Variant::FENCED] {
        for seed in 1..=5 {
            let mut cfg = threads(variant);
            if variant.preemptive() {
                cfg.lease = Some(500 * MS);
            }
            cfg.clients = 3;
            cfg.acquisitions = 60;
            cfg.seed = seed;
            let m = run(&cfg).unwrap().metrics;
            let what = format!("{variant:?}, seed {seed}: {m:?}");
            assert_eq!(m.ending, faultline::engine::Ending::Finished, "{what}");
            assert_eq!(m.acquisitions, 60, "{what}");
            assert_eq!((m.overlaps, m.stale_accepted, m.stale_rejected), (0, 0, 0), "{what}");
            assert_eq!((m.stale_effects, m.duplicate_effects, m.lost_updates), (0, 0, 0), "{what}");
            assert_eq!((m.accepted_writes, m.effects), (60, 60), "every write and SMS counted: {what}");
        }
    }
}

fn target(text: &str) -> faultline::lock::Target {
    faultline::lock::Target::parse(text).unwrap()
}

/// A lock server's faults run on threads too: a crash blocks everyone (said, at the horizon), a
/// freeze shows in `unavailable` for at least its length.
#[test]
fn a_crashed_or_frozen_server_on_threads() {
    use faultline::lock::NodeFault;
    let mut crashed = threads(Variant::LEASE);
    crashed.faults.push(NodeFault::Crash { target: target("server:1"), at: 30 * MS });
    crashed.horizon = Some(300 * MS);
    let m = run(&crashed).unwrap().metrics;
    assert_eq!((m.blocked, m.ending), (2, faultline::engine::Ending::Horizon), "{m:?}");

    let mut frozen = threads(Variant::LEASE);
    frozen.faults.push(NodeFault::Stall { target: target("server:1"), span: 60 * MS, at: 30 * MS });
    let m = run(&frozen).unwrap().metrics;
    assert_eq!((m.blocked, m.ending), (0, faultline::engine::Ending::Finished), "{m:?}");
    let unavailable = m.unavailable * m.end_ns as f64;
    assert!(unavailable >= 55.0 * MS as f64, "a 60 ms freeze while a client waits: {unavailable} ns, {m:?}");

    let mut redlock = threads(Variant::REDLOCK);
    redlock.faults.push(NodeFault::Crash { target: target("server:3"), at: 0 });
    let m = run(&redlock).unwrap().metrics;
    assert_eq!((m.blocked, m.acquisitions), (0, 20), "a majority of three survives one crash: {m:?}");
}

/// A server's clock that jumps forward takes its timers with it: the 200 ms lease of a holder
/// stalled for 150 ms expires early when the server's clock jumps 100 ms at 60 ms, and the next
/// client enters beside it. Without the jump nobody overlaps. On both engines; on threads the
/// first grant must come within 60 ms of the start, which leaves room for a loaded machine.
#[test]
fn a_jumping_server_clock_expires_a_lease_early_on_both_engines() {
    use faultline::lock::NodeFault;
    for engine in [EngineKind::Sim, EngineKind::Threads] {
        let mut cfg = threads(Variant::LEASE);
        cfg.engine = engine;
        cfg.lease = Some(200 * MS);
        cfg.acquisitions = 4;
        stall_first(&mut cfg, 150);
        // And client 2's first section too: on threads either client may win the first grant,
        // and the winner may do its whole quota before the other gets one, with nobody left to
        // enter beside the stalled section.
        cfg.script.push(Scripted { client: 1, ..cfg.script[0] });
        let m = run(&cfg).unwrap().metrics;
        assert_eq!(m.overlaps, 0, "{engine:?} without a jump: {m:?}");
        cfg.faults.push(NodeFault::ClockJump {
            target: target("server:1"),
            by: (100 * MS) as i64,
            at: 60 * MS,
        });
        let m = run(&cfg).unwrap().metrics;
        assert!(m.overlaps >= 1 && m.stale_accepted >= 1, "{engine:?} with a jump: {m:?}");
    }
}

/// The threads engine says how late it was, within the run; the simulator is never late and its
/// JSON says nothing of it (so the pinned files stay as they were).
#[test]
fn a_threads_run_measures_its_lateness_and_the_simulator_has_none() {
    let cfg = threads(Variant::LEASE);
    let report = run(&cfg).unwrap();
    let late = report.metrics.lateness.expect("a threads run measures its lateness");
    assert!(late.ns <= cfg.horizon() && late.at <= cfg.horizon(), "{late:?}");
    assert!(late.node < cfg.topology().nodes(), "{late:?}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["lateness_ns"], late.ns, "{json}");
    assert!(faultline::report::lock_table(&report).contains("engine lateness"));

    let mut sim = cfg.clone();
    sim.engine = EngineKind::Sim;
    let report = run(&sim).unwrap();
    assert_eq!(report.metrics.lateness, None);
    let json = serde_json::to_value(&report).unwrap();
    assert!(json.get("lateness_ns").is_none(), "{json}");
    assert!(!faultline::report::lock_table(&report).contains("engine lateness"));
}

/// A violation in a run with no injected fault is the machine's, and the report says how late
/// the machine was; with a fault injected it says nothing of the kind. The overlap is written
/// into a real run's metrics: a fault-free run that overlaps cannot be made to order.
#[test]
fn a_fault_free_violation_is_laid_at_the_machines_door() {
    let cfg = threads(Variant::LEASE);
    let mut report = run(&cfg).unwrap();
    assert!(!cfg.injects_faults());
    let late = faultline::engine::Lateness { ns: 12_300_000, node: 1, at: 40 * MS };
    report.metrics.overlaps += 1;
    report.metrics.lateness = Some(late);
    let table = faultline::report::lock_table(&report);
    assert!(table.contains("SAFETY VIOLATED"), "{table}");
    assert!(table.contains(&faultline::report::machine_made(late.ns)), "{table}");
    assert!(table.contains("which was 12.3ms late"), "{table}");

    let mut faulty = report.clone();
    stall_first(&mut faulty.config, 60);
    assert!(faulty.config.injects_faults());
    let table = faultline::report::lock_table(&faulty);
    assert!(table.contains("SAFETY VIOLATED") && !table.contains("no fault was injected"), "{table}");
}
