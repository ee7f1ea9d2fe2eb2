//! How fast the simulator runs the lock world, in engine events per second.
//!
//! Sweeps will run hundreds of millions of events, so this is the number to keep high. Each case
//! is one whole run (build, simulate, fold the oracle); throughput is reported per engine event,
//! counted by a first run of the same configuration (the simulator is deterministic).
//!
//! The group's baseline, `bare heap`, is the least an event loop can do: a binary heap of
//! 64-byte events (the key and six words of payload), 32 pending, each popped and replaced by
//! one due an exponential delay later. The simulator's figure over the baseline's, from one run,
//! is the per-event overhead the issue tracker's goal is stated against.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faultline::fault::Dist;
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use faultline::time::MS;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

/// Events per iteration of the bare loop.
const BARE_EVENTS: u64 = 1_000_000;

/// The bare event loop: `BARE_EVENTS` pops, each followed by a push an exponential delay later.
fn bare_heap(rng: &mut ChaCha8Rng) -> u64 {
    let delay = Exp::new(1.0 / MS as f64).expect("a positive rate");
    let mut heap: BinaryHeap<Reverse<(u64, u64, [u64; 6])>> = BinaryHeap::new();
    let mut seq = 0u64;
    for _ in 0..32 {
        seq += 1;
        heap.push(Reverse((delay.sample(rng) as u64, seq, [seq; 6])));
    }
    let mut sum = 0u64;
    for _ in 0..BARE_EVENTS {
        let Reverse((at, _, payload)) = heap.pop().expect("32 pending");
        sum = sum.wrapping_add(payload[0]);
        seq += 1;
        heap.push(Reverse((at + delay.sample(rng) as u64, seq, [seq; 6])));
    }
    sum
}

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
    group.throughput(Throughput::Elements(BARE_EVENTS));
    group.bench_function("bare heap", |b| {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        b.iter(|| black_box(bare_heap(&mut rng)))
    });
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
