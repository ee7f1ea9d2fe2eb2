//! Every cell of the outcome table (docs/model.md §5), in the simulator.

use faultline::lock::scenario::{Fault, Row, cell};

fn check_row(row: Row) {
    let failures: Vec<String> = Fault::ALL
        .iter()
        .map(|&f| (f, cell(row, f)))
        .filter_map(|(f, c)| {
            let o = c.check();
            (!o.holds)
                .then(|| format!("{} / {f}: claimed \"{}\", measured {}", row.label(), c.claim, o.measured))
        })
        .collect();
    assert!(failures.is_empty(), "cells that do not reproduce docs/model.md §5:\n{}", failures.join("\n"));
}

#[test]
fn non_preemptive_loses_liveness_never_safety() {
    check_row(Row::NonPreemptive);
}

#[test]
fn lease_loses_safety_never_liveness() {
    check_row(Row::Lease);
}

#[test]
fn margin_helps_only_before_the_check_and_with_an_honest_clock() {
    check_row(Row::LeaseMargin);
}

#[test]
fn full_fencing_keeps_storage_safe_while_clients_overlap() {
    check_row(Row::Fenced);
}

#[test]
fn fencing_writes_only_loses_updates() {
    check_row(Row::FencedWrites);
}

#[test]
fn fencing_cannot_protect_an_sms() {
    check_row(Row::FencedSms);
}

#[test]
fn lock_delay_only_shrinks_the_window() {
    check_row(Row::LockDelay);
}

/// The claims are not vacuous: a cell's claim fails when the run shows the opposite. Swapping the
/// non-preemptive crash run into the lease row must break the lease's "none" claim.
#[test]
fn a_wrong_claim_is_caught() {
    let mut c = cell(Row::Lease, Fault::F2);
    c.config = cell(Row::NonPreemptive, Fault::F2).config;
    assert!(!c.check().holds, "a blocked run passed for 'none (others wait L)'");
    let mut c = cell(Row::NonPreemptive, Fault::F1);
    c.config = cell(Row::Lease, Fault::F1).config;
    assert!(!c.check().holds, "an overlapping run passed for 'none'");
}

/// F5 for the non-preemptive lock is a *lost* release; messages that are only delayed,
/// duplicated or reordered must not block it. The same cell with a lossless link plan: none.
#[test]
fn non_preemptive_f5_without_loss_is_safe_and_live() {
    use faultline::fault::{Dist, LinkPlan};
    use faultline::lock::scenario::Expect;
    use faultline::time::MS;
    for seed in 1..=20 {
        let mut c = cell(Row::NonPreemptive, Fault::F5);
        c.config.link = LinkPlan {
            duplicate: 0.5,
            reorder: 0.5,
            reorder_window: 10 * MS,
            delay: Dist::Exp { mean: 4 * MS },
            ..LinkPlan::PERFECT
        };
        c.config.seed = seed;
        c.claim = "delay, duplication, reordering without loss: none";
        c.expect = Expect::Safe { waits: None };
        let o = c.check();
        assert!(o.holds, "seed {seed}: claimed \"{}\", measured {}", c.claim, o.measured);
    }
}
