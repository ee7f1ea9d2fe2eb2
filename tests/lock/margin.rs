//! A validity check with no margin ("is my lease still valid?" right before touching storage) is
//! the most common real pattern: it is a margin of 0, and under drift it behaves differently from
//! no check at all.

use faultline::fault::Dist;
use faultline::lock::predict::comparisons;
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use faultline::node::PausePoint;
use faultline::time::MS;

fn check(variant: Variant, drift: f64) -> LockConfig {
    let mut cfg = LockConfig::new(variant, EngineKind::Sim);
    if variant == Variant::LEASE_MARGIN {
        cfg.margin = Some(0);
    }
    cfg.clients = 16;
    cfg.work = 2 * MS;
    cfg.pause_at = PausePoint::P1;
    cfg.pause = Dist::Uniform { lo: 0, hi: 20 * MS };
    cfg.drift = drift;
    cfg.acquisitions = 50_000;
    cfg
}

#[test]
fn a_zero_margin_check_catches_expired_leases_unless_the_clock_lies() {
    let stale = |cfg: &LockConfig| {
        let m = run(cfg).expect("a zero margin is valid").metrics;
        for (name, c) in comparisons(cfg, &m) {
            if let Some(c) = c {
                assert!(
                    c.agrees(),
                    "{name}: measured {} predicted {} ± {}",
                    c.measured,
                    c.predicted,
                    c.tolerance
                );
            }
        }
        m.stale_accepted
    };
    let unchecked = stale(&check(Variant::LEASE, 0.0));
    let honest = stale(&check(Variant::LEASE_MARGIN, 0.0));
    let drifting = stale(&check(Variant::LEASE_MARGIN, 0.5));
    // Without a check every stall past L - w is harmful; the check at 0 leaves only stalls that
    // end in (L - w, L]; a clock at half speed believes it until 2L.
    assert!(honest < unchecked / 2, "{honest} vs {unchecked}");
    assert!(drifting > 2 * honest, "{drifting} vs {honest}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["lock", "--variant", "lease-margin", "--margin", "0ms"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
