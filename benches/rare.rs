//! How long the rare-event estimator takes to reach a violation rate of 10^-9 with a relative
//! 95% half-width of at most 10% (the goal: under a minute on a 2-core machine).
//!
//! The case is the lease with 16 clients, exponential stalls of mean 5 ms after the check and
//! `w = 0`, at the lease whose overlap rate is 10^-9 (`5 ms · ln 10^9`), and one run is the whole
//! estimate: the pilot runs that choose the threshold, then the weighted run. Before timing, the
//! bench checks that the run reaches the precision, so a faster estimator that gave it up would
//! fail here instead of looking better. Beside it, in the same group, plain counting of the same
//! number of acquisitions: the ratio is what the estimator's pilots and weights cost per run. To
//! reach the same precision counting would need about `1.96²/(0.1²·10^-9) ≈ 4·10^11`
//! acquisitions.

use criterion::{Criterion, criterion_group, criterion_main};
use faultline::fault::Dist;
use faultline::lock::rare::Estimator;
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use faultline::time::MS;
use std::hint::black_box;

fn config(estimator: Estimator) -> LockConfig {
    let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
    cfg.clients = 16;
    cfg.work = 0;
    cfg.pause = Dist::Exp { mean: 5 * MS };
    cfg.lease = Some((5.0 * MS as f64 * 1e9f64.ln()).round() as u64);
    cfg.acquisitions = 50_000;
    cfg.estimator = estimator;
    cfg
}

fn rare(c: &mut Criterion) {
    let cfg = config(Estimator::Rare(None));
    let m = run(&cfg).expect("a valid configuration").metrics;
    let r = m.rates.overlap;
    let half = (r.ci95[1] - r.ci95[0]) / 2.0 / r.rate;
    println!("rare/1e-9: overlap rate {:.4e}, 95% interval ±{:.1}%", r.rate, 100.0 * half);
    assert!(half <= 0.10, "the estimate's relative half-width {half} exceeds 10%");
    assert!(r.ci95[0] <= 1e-9 && 1e-9 <= r.ci95[1], "the interval {:?} misses 1e-9", r.ci95);
    let mut group = c.benchmark_group("rare");
    group.sample_size(10);
    group.bench_function("1e-9 within 10%", |b| b.iter(|| black_box(run(black_box(&cfg)).expect("valid"))));
    let count = config(Estimator::Count);
    group.bench_function("counting the same acquisitions", |b| {
        b.iter(|| black_box(run(black_box(&count)).expect("valid")))
    });
    group.finish();
}

criterion_group!(benches, rare);
criterion_main!(benches);
