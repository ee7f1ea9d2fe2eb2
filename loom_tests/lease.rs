//! Loom model of the outcome table's lease row, over the crate's own nodes: two clients, one
//! section each, a lock service whose lease expiry loom may fire at any point.
//!
//! - `lease_can_overlap`: some execution has two clients inside (the expiry fell while the holder
//!   was inside, Kleppmann's pause after the last check), and the oracle flags exactly those
//!   executions (`common::explore` asserts that in every execution).
//! - `non_preemptive_never_overlaps`: the same world with a lock that is never taken back: no
//!   execution has two clients inside, every execution serves both clients, and the oracle raises
//!   no false alarm.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom_lease`
#![cfg(loom)]

mod common;

use common::{Tally, explore, report, two_sections};
use faultline::lock::Variant;

#[test]
fn lease_can_overlap() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(two_sections(Variant::LEASE), &TALLY, |e| {
        assert_eq!(
            (e.metrics.acquisitions, e.metrics.blocked),
            (2, 0),
            "a lease serves everyone: {:?}",
            e.metrics
        );
        e.metrics.overlaps > 0
    });
    report("lease", &TALLY, "with two clients inside", started);
    assert!(TALLY.hits() > 0, "loom found no execution where the lease expired inside");
}

#[test]
fn non_preemptive_never_overlaps() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(two_sections(Variant::NON_PREEMPTIVE), &TALLY, |e| {
        assert_eq!(e.metrics.overlaps, 0, "{:?}", e.metrics);
        assert_eq!((e.metrics.acquisitions, e.metrics.blocked), (2, 0), "{:?}", e.metrics);
        e.most_inside == 1
    });
    report("non-preemptive", &TALLY, "served both clients one at a time", started);
    assert!(TALLY.executions() > 1, "loom explored a single execution: the model is not concurrent");
    assert_eq!(TALLY.hits(), TALLY.executions());
}
