//! Requests are served once: delay, duplication and reordering without loss never block a
//! non-preemptive lock, never make it grant to a request nobody waits for, and never let a
//! retried or late write land twice.

use faultline::engine::Ending;
use faultline::fault::{Dist, LinkPlan};
use faultline::lock::config::LinkScope;
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use faultline::time::MS;

/// The lossless ways a link can misbehave, each on its own and all together.
fn lossless_plans() -> Vec<(&'static str, LinkPlan)> {
    let delay = Dist::Exp { mean: 10 * MS };
    let base = LinkPlan { delay: delay.clone(), ..LinkPlan::PERFECT };
    vec![
        ("delay", base.clone()),
        ("duplicate", LinkPlan { duplicate: 0.5, delay: Dist::Exp { mean: MS }, ..LinkPlan::PERFECT }),
        ("reorder", LinkPlan { reorder: 0.5, reorder_window: 20 * MS, ..base.clone() }),
        ("all", LinkPlan { duplicate: 0.3, reorder: 0.3, reorder_window: 20 * MS, ..base }),
    ]
}

fn non_preemptive(link: LinkPlan, links: LinkScope, retry: u64, seed: u64) -> LockConfig {
    let mut cfg = LockConfig::new(Variant::NON_PREEMPTIVE, EngineKind::Sim);
    cfg.clients = 4;
    cfg.pause = Dist::None;
    cfg.acquisitions = 200;
    cfg.link = link;
    cfg.links = links;
    cfg.retry = retry;
    cfg.seed = seed;
    cfg
}

/// The lock links alone (F5 of docs/model.md §5, for the lock service), with and without re-sends, and
/// every link at once, across many seeds: every run finishes with nobody blocked or stuck, and
/// nothing unsafe.
#[test]
fn lossless_link_faults_never_block_a_non_preemptive_lock() {
    let lock_only = LinkScope { lock: true, storage: false, effect: false };
    let mut runs = 0;
    for (name, plan) in lossless_plans() {
        for (links, retry) in [(lock_only, 20 * MS), (lock_only, 0), (LinkScope::ALL, 20 * MS)] {
            for seed in 1..=25 {
                let m = run(&non_preemptive(plan.clone(), links, retry, seed)).unwrap().metrics;
                let what = format!("{name}, links {links:?}, retry {retry}, seed {seed}: {m:?}");
                assert_eq!(m.ending, Ending::Finished, "{what}");
                assert_eq!((m.acquisitions, m.blocked, m.stuck), (200, 0, 0), "{what}");
                assert_eq!((m.overlaps, m.stale_accepted, m.lost_updates), (0, 0, 0), "{what}");
                assert_eq!(m.accepted_writes, 200, "a write landed twice or not at all: {what}");
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 300);
}

/// The same faults *with* loss still block it: a lost release is the F5 (docs/model.md §5) liveness
/// failure, and the requests' identities do not paper over it.
#[test]
fn a_lost_release_still_blocks_a_non_preemptive_lock() {
    let lock_only = LinkScope { lock: true, storage: false, effect: false };
    let lossy = LinkPlan { drop: 0.3, ..LinkPlan::PERFECT };
    let blocked = (1..=10).filter(|&seed| {
        let mut cfg = non_preemptive(lossy.clone(), lock_only, 20 * MS, seed);
        cfg.horizon = Some(5_000 * MS);
        run(&cfg).unwrap().metrics.blocked > 0
    });
    assert_eq!(blocked.count(), 10);
}

/// A lease under duplicated and delayed requests: grants nobody waits for (a late copy of a
/// request whose lease expired) are given back at once, so no run loses its liveness.
#[test]
fn a_lease_gives_back_grants_nobody_waits_for() {
    for seed in 1..=25 {
        let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        cfg.clients = 4;
        cfg.acquisitions = 400;
        cfg.link = LinkPlan { duplicate: 0.5, delay: Dist::Exp { mean: 5 * MS }, ..LinkPlan::PERFECT };
        cfg.links = LinkScope { lock: true, storage: false, effect: false };
        cfg.seed = seed;
        let m = run(&cfg).unwrap().metrics;
        assert_eq!((m.ending, m.acquisitions, m.blocked), (Ending::Finished, 400, 0), "seed {seed}: {m:?}");
    }
}
