//! Loom model of the outcome table's margin row under F4: client 1 stalls 9 ms before its margin
//! check (P1) in a 10 ms lease with a 2 ms margin, while the lease's expiry, client 2's entry and
//! client 1's storage accesses fall in any order loom likes. With an exact clock the check sees
//! 1 ms left and aborts in every execution: no stale access, whatever the order. With a clock
//! running at half speed it sees 5.5 ms left and goes on, and some execution touches storage after
//! client 2 entered.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom_margin`
#![cfg(loom)]

mod common;

use common::{Tally, explore, report, two_sections};
use faultline::fault::Dist;
use faultline::lock::{LockConfig, Variant};
use faultline::node::PausePoint;
use faultline::time::MS;

fn stall_before_the_check(drift: f64) -> LockConfig {
    let mut cfg = two_sections(Variant::LEASE_MARGIN);
    cfg.margin = Some(2 * MS);
    cfg.pause = Dist::Fixed(9 * MS);
    cfg.pause_at = PausePoint::P1;
    cfg.drift = drift;
    cfg
}

#[test]
fn an_exact_clock_aborts_every_stalled_section() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(stall_before_the_check(0.0), &TALLY, |e| {
        assert_eq!(e.metrics.stale_accepted + e.metrics.stale_rejected, 0, "{:?}", e.metrics);
        assert_eq!(e.metrics.aborts, 2, "both stalled sections abort: {:?}", e.metrics);
        true
    });
    report("margin, exact clock", &TALLY, "without a stale access", started);
}

#[test]
fn a_slow_clock_lets_a_stalled_section_touch_storage_late() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(stall_before_the_check(0.5), &TALLY, |e| e.metrics.stale_accepted > 0);
    report("margin, clock at half speed", &TALLY, "with a stale access", started);
    assert!(TALLY.hits() > 0, "loom found no stale access through the slow clock");
}
