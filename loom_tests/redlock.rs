//! Loom model of Kleppmann's case against Redlock: three servers, client 1 cut off from server 3
//! (every majority it holds is bare), and server 2's clock jumping forward by a whole TTL at
//! whatever point loom strikes it. Some execution lets client 2 in beside client 1. Without the
//! jump, within the same bounded number of polls (each moves client 2's clock by one backoff, well
//! short of the TTL), no execution does.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom_redlock`
#![cfg(loom)]

mod common;

use common::{Tally, explore, report, two_sections};
use faultline::lock::{LockConfig, NodeFault, Partition, Target, Variant};
use faultline::time::{MS, SEC};

fn bare_majority(jump: bool) -> LockConfig {
    let mut cfg = two_sections(Variant::REDLOCK);
    cfg.retry = 2 * MS;
    cfg.max_events = Some(40);
    let t = |text: &str| Target::parse(text).unwrap();
    cfg.partitions.push(Partition { between: [t("client:1"), t("server:3")], from: 0, until: SEC });
    if jump {
        cfg.faults.push(NodeFault::ClockJump { target: t("server:2"), by: (10 * MS) as i64, at: 0 });
    }
    cfg
}

#[test]
fn a_jumping_server_in_a_bare_majority_lets_a_second_client_in() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(bare_majority(true), &TALLY, |e| e.metrics.overlaps > 0);
    report("redlock, server 2 jumps", &TALLY, "with two clients inside", started);
    assert!(TALLY.hits() > 0, "loom found no execution where the jump let client 2 in");
}

#[test]
fn without_the_jump_the_bare_majority_holds() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(bare_majority(false), &TALLY, |e| {
        assert_eq!(e.metrics.overlaps, 0, "{:?}", e.metrics);
        true
    });
    report("redlock, no jump", &TALLY, "kept one client inside", started);
}
