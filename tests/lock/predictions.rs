//! The simulator against the closed forms, within the tolerance `4·sqrt(p(1-p)/N)` of docs/model.md §4.4.

use faultline::fault::Dist;
use faultline::lock::predict::{Comparison, compare, predict};
use faultline::lock::scenario::exp_table;
use faultline::lock::{EngineKind, LockConfig, Variant};
use faultline::node::PausePoint;
use faultline::time::MS;

fn agree(what: &str, cfg: &LockConfig) -> Comparison {
    let c = compare(cfg).expect("a closed form covers it").expect("valid configuration");
    assert!(
        c.agrees(),
        "{what}: measured {:.6}, predicted {:.6}, tolerance {:.6} over {} trials",
        c.measured,
        c.predicted,
        c.tolerance,
        c.trials
    );
    c
}

/// The table of docs/model.md §4.1: the lease overlap rate is exp(-(L - w)/mu) at L/mu = 0.5, 1, 2, 4, 8.
#[test]
fn lease_overlap_rate_matches_the_exponential_closed_form() {
    let expected = [0.606531, 0.367879, 0.135335, 0.0183156, 0.000335463];
    for ((ratio, cfg), p) in exp_table(100_000).into_iter().zip(expected) {
        let c = agree(&format!("L/mu = {ratio}"), &cfg);
        assert!(
            (c.predicted - p).abs() < 1e-6,
            "the prediction itself drifted from docs/model.md §4.1 at L/mu = {ratio}"
        );
        assert!(c.trials >= 100_000);
    }
}

/// With a Pareto tail the same rule holds: P(S > L - w) = (x_m / (L - w))^alpha.
#[test]
fn pareto_stalls_follow_their_tail() {
    let mut cfg = exp_table(100_000).remove(0).1;
    cfg.pause = Dist::Pareto { alpha: 1.5, scale: 2 * MS };
    cfg.work = 2 * MS;
    let c = agree("pareto(1.5, 2ms)", &cfg);
    assert!((c.predicted - (2.0f64 / 8.0).powf(1.5)).abs() < 1e-12);
}

/// Lock-delay moves the threshold to L + D - w.
#[test]
fn lock_delay_moves_the_threshold() {
    let mut cfg = exp_table(100_000).remove(1).1;
    cfg.variant = Variant::LockDelay;
    cfg.lock_delay = 5 * MS;
    cfg.work = MS;
    let c = agree("lock-delay 5ms", &cfg);
    assert!((c.predicted - (-14.0f64 / 10.0).exp()).abs() < 1e-9);
}

/// A margin checked after a P1 stall leaves exactly the window a slow clock opens: sections with
/// S in (L - w, (L - m)/(1 - rho)] touch storage after the next grant; the check aborts everything
/// beyond it. (Frozen clients past the lease still count as overlaps until they wake and abort.)
#[test]
fn margin_with_drift_harms_only_in_the_window_the_drift_opens() {
    let mut cfg = LockConfig::new(Variant::LeaseMargin, EngineKind::Sim);
    cfg.clients = 16;
    cfg.acquisitions = 100_000;
    cfg.pause_at = PausePoint::P1;
    cfg.pause = Dist::Uniform { lo: 0, hi: 20 * MS };
    cfg.margin = Some(3 * MS);
    cfg.work = 2 * MS;
    for drift in [0.5, 0.0] {
        cfg.drift = drift;
        agree(&format!("overlaps, margin 3ms, drift {drift}"), &cfg);
        let p = predict(&cfg).unwrap();
        let rates = faultline::lock::run(&cfg).unwrap().metrics.rates;
        for (what, measured, predicted) in [
            ("stale accesses", rates.stale_accepted, p.stale_rate.unwrap()),
            ("aborts", rates.abort, p.abort_rate.unwrap()),
        ] {
            let tol = faultline::check::stats::tolerance(predicted, measured.of);
            assert!(
                (measured.rate - predicted).abs() <= tol,
                "drift {drift}, {what}: {} vs {predicted} ± {tol}",
                measured.rate
            );
        }
        if drift == 0.0 {
            assert_eq!(rates.stale_accepted.count, 0, "a margin covering w protects storage completely");
        }
    }
}

/// The non-preemptive lock never overlaps, however long the stalls.
#[test]
fn non_preemptive_never_overlaps() {
    let mut cfg = exp_table(20_000).remove(0).1;
    cfg.variant = Variant::NonPreemptive;
    cfg.lease = None;
    let c = agree("non-preemptive", &cfg);
    assert_eq!(c.measured, 0.0);
}
