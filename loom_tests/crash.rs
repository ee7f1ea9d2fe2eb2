//! Loom model of the outcome table's non-preemptive row under F2: client 1 crashes just after its
//! grant, holding the lock. In no execution does the waiter get in after that, and in none do two
//! clients overlap: the lock keeps safety and loses liveness.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom_crash`
#![cfg(loom)]

mod common;

use common::{Tally, explore, report, two_sections};
use faultline::lock::Variant;
use faultline::lock::config::{Scripted, ScriptedFault};
use faultline::node::PausePoint;

#[test]
fn a_crashed_holder_of_a_non_preemptive_lock_blocks_the_waiter_forever() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    let mut cfg = two_sections(Variant::NON_PREEMPTIVE);
    cfg.script.push(Scripted { client: 0, acquisition: 1, at: PausePoint::P1, fault: ScriptedFault::Crash });
    explore(cfg, &TALLY, |e| {
        let m = &e.metrics;
        assert_eq!(m.overlaps, 0, "{m:?}");
        // Client 1 first: it crashes holding the lock and client 2 never gets it. Client 2 first:
        // it is served, then client 1 crashes in its own section.
        match (m.acquisitions, m.blocked) {
            (1, 1) => true,
            (2, 0) => false,
            other => panic!("an execution neither blocked nor served in turn: {other:?}, {m:?}"),
        }
    });
    report("non-preemptive, holder crashes", &TALLY, "left the waiter blocked for good", started);
    assert!(TALLY.hits() > 0, "no execution blocked the waiter");
}
