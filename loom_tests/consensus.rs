//! Loom model of consensus from a lock: two clients propose for one instance, each reading the
//! register and writing its proposal if it is empty, deciding on storage's verdict. A correct lock
//! (non-preemptive) gives agreement in every execution; a lease, whose expiry may fall between a
//! holder's read and its write, gives disagreement in some.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom_consensus`
#![cfg(loom)]

mod common;

use common::{Tally, explore, report, two_sections};
use faultline::lock::{DecideBy, LockConfig, Variant};

fn one_instance(variant: Variant) -> LockConfig {
    let mut cfg = two_sections(variant).consensus(DecideBy::Ack);
    cfg.instances = 1;
    cfg
}

#[test]
fn a_correct_lock_agrees_in_every_execution() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(one_instance(Variant::NON_PREEMPTIVE), &TALLY, |e| {
        assert_eq!((e.metrics.disagreements, e.metrics.instances), (0, 1), "{:?}", e.metrics);
        true
    });
    report("consensus, non-preemptive", &TALLY, "agreed", started);
    assert_eq!(TALLY.hits(), TALLY.executions());
}

#[test]
fn a_lease_disagrees_in_some_execution() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(one_instance(Variant::LEASE), &TALLY, |e| e.metrics.disagreements > 0);
    report("consensus, lease", &TALLY, "disagreed", started);
    assert!(TALLY.hits() > 0, "loom found no disagreement");
}
