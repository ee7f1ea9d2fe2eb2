//! The simulator is a function of its configuration and seed.

use faultline::fault::Dist;
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use faultline::time::MS;

fn json(cfg: &LockConfig) -> String {
    serde_json::to_string(&run(cfg).unwrap()).unwrap()
}

#[test]
fn one_seed_gives_identical_json() {
    let mut cfg = LockConfig::new(Variant::FENCED_WRITES, EngineKind::Sim);
    cfg.pause = Dist::Pareto { alpha: 1.2, scale: 2 * MS };
    cfg.link.delay = Dist::Exp { mean: MS };
    cfg.link.drop = 0.01;
    cfg.link.duplicate = 0.01;
    cfg.link.reorder = 0.05;
    cfg.drift = 0.1;
    cfg.seed = 42;
    let a = json(&cfg);
    assert_eq!(a, json(&cfg));
    cfg.seed = 43;
    assert_ne!(a, json(&cfg), "a different seed should give a different run");
}
