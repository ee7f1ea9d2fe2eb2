//! Loom models of the outcome table's fencing rows: with a lease that may expire at any point,
//! storage that checks tokens on every access loses no update in any execution, while storage
//! that checks writes only loses one in some (the 33/34 interleaving: the old holder reads, the
//! new one reads the same value, both writes are accepted). With the outbox, fenced storage stays
//! safe while some execution sends the SMS twice.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom_fencing`
#![cfg(loom)]

mod common;

use common::{Tally, explore, report, two_sections};
use faultline::lock::Variant;

#[test]
fn fencing_every_access_loses_no_update() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(two_sections(Variant::FENCED), &TALLY, |e| {
        assert_eq!(e.metrics.lost_updates, 0, "{:?}", e.metrics);
        e.metrics.overlaps > 0
    });
    report("fenced", &TALLY, "overlapped and lost nothing", started);
    assert!(TALLY.hits() > 0, "the model never overlapped, so it proves nothing about fencing");
}

#[test]
fn fencing_writes_only_loses_an_update() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(two_sections(Variant::FENCED_WRITES), &TALLY, |e| e.metrics.lost_updates > 0);
    report("fenced-writes", &TALLY, "lost an update", started);
    assert!(TALLY.hits() > 0, "loom found no 33/34 interleaving");
}

#[test]
fn fencing_keeps_storage_safe_while_the_sms_goes_twice() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(two_sections(Variant::FENCED), &TALLY, |e| {
        assert_eq!(e.metrics.lost_updates, 0, "{:?}", e.metrics);
        e.metrics.duplicate_effects > 0
    });
    report("fenced + SMS", &TALLY, "sent the same SMS twice", started);
    assert!(TALLY.hits() > 0, "no execution duplicated the SMS");
}
