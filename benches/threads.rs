//! How close the threads engine comes to the least two threads can do to hand messages back and
//! forth: its acquire + release against a crossbeam-channel ping-pong of the same number of
//! messages.
//!
//! The engine case is one whole run of two clients on the lease, with no stall and no work, so
//! every acquisition is its [`MESSAGES_PER_ACQUISITION`] messages and nothing else (request,
//! grant, read, reply, write, acknowledgement, SMS, release), each handled by its receiver's
//! thread before its sender goes on. The baseline, `crossbeam ping-pong`, is two threads bouncing
//! one message over a pair of bounded crossbeam channels as many times. Both report throughput in
//! acquisitions, so the engine's time over the baseline's, from one run of the group, is the
//! overhead the issue tracker's goal (within 2x) is stated against.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faultline::fault::Dist;
use faultline::lock::{EngineKind, LockConfig, Variant, run};
use std::hint::black_box;

/// Acquisitions per engine run: enough that starting and joining the threads is a small part.
const ACQUISITIONS: u64 = 2_000;
/// The messages of one acquisition of the lease with no stall, no work and perfect links: the
/// request and its grant, the read and its reply, the write and its acknowledgement, the SMS and
/// the release (docs/model.md §2.2).
const MESSAGES_PER_ACQUISITION: u64 = 8;

fn no_stall_no_work() -> LockConfig {
    let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Threads);
    cfg.pause = Dist::None;
    cfg.work = 0;
    cfg.acquisitions = ACQUISITIONS;
    cfg
}

/// `messages` hand-overs between two threads: each side receives one and sends the next.
fn ping_pong(messages: u64) -> u64 {
    let (to_b, at_b) = crossbeam_channel::bounded::<u64>(1);
    let (to_a, at_a) = crossbeam_channel::bounded::<u64>(1);
    let b = std::thread::spawn(move || {
        while let Ok(n) = at_b.recv() {
            if to_a.send(n + 1).is_err() {
                break;
            }
        }
    });
    let mut n = 0;
    to_b.send(n).expect("b listens");
    while n + 2 < messages {
        n = at_a.recv().expect("b answers");
        to_b.send(n + 1).expect("b listens");
    }
    drop(to_b);
    b.join().expect("b ends");
    n
}

fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads");
    group.sample_size(10);
    let cfg = no_stall_no_work();
    let messages = MESSAGES_PER_ACQUISITION * ACQUISITIONS;
    group.throughput(Throughput::Elements(ACQUISITIONS));
    group.bench_function("crossbeam ping-pong", |b| b.iter(|| black_box(ping_pong(black_box(messages)))));
    group.bench_function("lease/2 clients/no stall, no work", |b| {
        b.iter(|| {
            let report = run(black_box(&cfg)).expect("valid");
            assert_eq!(report.metrics.acquisitions, ACQUISITIONS, "the run did its whole workload");
            black_box(report)
        })
    });
    group.finish();
}

criterion_group!(benches, threads);
criterion_main!(benches);
