//! How fast the simulator runs the lock world, in engine events per second.
//!
//! Sweeps will run hundreds of millions of events, so this is the number to keep high. Each case
//! is one whole run (build, simulate, fold the oracle); throughput is reported per engine event,
//! counted by a first run of the same configuration (the simulator is deterministic).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faultline::fault::Dist;
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use faultline::time::MS;
use std::hint::black_box;

fn config(variant: Variant, clients: usize, link_faults: bool) -> LockConfig {
    let mut cfg = LockConfig::new(variant, EngineKind::Sim);
    cfg.clients = clients;
    cfg.acquisitions = 20_000;
    cfg.pause = Dist::Exp { mean: 5 * MS };
    if link_faults {
        cfg.link.delay = Dist::Exp { mean: MS };
        cfg.link.drop = 0.01;
    }
    cfg
}

fn lock_world(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(20);
    for (name, cfg) in [
        ("lease/2 clients", config(Variant::LEASE, 2, false)),
        ("lease/16 clients", config(Variant::LEASE, 16, false)),
        ("fenced/16 clients/lossy links", config(Variant::FENCED, 16, true)),
    ] {
        let events = run(&cfg).expect("valid").metrics.engine_events;
        group.throughput(Throughput::Elements(events));
        group.bench_with_input(BenchmarkId::from_parameter(name), &cfg, |b, cfg| {
            b.iter(|| black_box(run(black_box(cfg)).expect("valid")))
        });
    }
    group.finish();
}

criterion_group!(benches, lock_world);
criterion_main!(benches);
