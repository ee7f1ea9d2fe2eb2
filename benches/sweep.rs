//! How well a sweep uses the cores it is given: one sweep on a rayon pool of 1 thread and on one
//! of 2, in one criterion group, after checking that both write the same bytes.
//!
//! The sweep is the issue's: the lease with 16 clients at 8 leases (1 ms to 128 ms, doubling),
//! 200,000 acquisitions each, as `faultline sweep lock --clients 16 --lease 1ms..128ms:8
//! --acquisitions 200000` runs it (through [`NamedSweep`], the command's own entry point). Its
//! points are independent simulator runs, so 2 threads should take little more than half the time
//! of 1; the goal is a speedup of at least 1.8. At the end it writes its section of
//! `results/PERFORMANCE.md` (`benches/common/perf.rs`).

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use faultline::sweep::labs::NamedSweep;
use faultline::sweep::{Options, Shard, SweepEnd};
use std::hint::black_box;
use std::time::Duration;

#[path = "common/perf.rs"]
mod perf;

/// The goal for the speedup of 2 threads over 1.
const GOAL: f64 = 1.8;
/// The swept flags and their values, as `faultline sweep lock` takes them.
const GRID: [(&str, &str); 3] = [("clients", "16"), ("lease", "1ms..128ms:8"), ("acquisitions", "200000")];
const GROUP: &str = "sweep";
const ONE: &str = "1 thread";
const TWO: &str = "2 threads";

/// The sweep's table as CSV bytes, run on `pool`.
fn sweep_on(pool: &rayon::ThreadPool) -> Vec<u8> {
    let sweep = NamedSweep {
        lab: "lock".into(),
        given: GRID.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect(),
        repetitions: 1,
        seed: 1,
        shard: Shard::ALL,
    };
    match pool.install(|| sweep.run(Options::default(), |_| None)).expect("a valid sweep") {
        SweepEnd::Done(table) => table.csv(),
        SweepEnd::Stopped { .. } => panic!("a sweep without stop_after runs to its end"),
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool")
}

fn sweep(c: &mut Criterion) {
    let (one, two) = (pool(1), pool(2));
    let bytes = sweep_on(&one);
    assert!(sweep_on(&two) == bytes, "the sweep writes other bytes on 2 threads than on 1");
    let mut group = c.benchmark_group(GROUP);
    // A sweep takes seconds: ten samples of one or two sweeps each.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    group.bench_function(ONE, |b| b.iter(|| black_box(sweep_on(&one))));
    group.bench_function(TWO, |b| b.iter(|| black_box(sweep_on(&two))));
    group.finish();
    write_section(bytes.len());
}

/// The section of `results/PERFORMANCE.md`: both times, the speedup and the goal.
fn write_section(bytes: usize) {
    let (t1, t2) = (perf::median_ns(GROUP, ONE), perf::median_ns(GROUP, TWO));
    let speedup = perf::ratio(t1, t2);
    let flags: Vec<String> = GRID.iter().map(|(f, v)| format!("--{f} {v}")).collect();
    let s = format!(
        "## A sweep on 1 thread and on 2\n\n\
         `faultline sweep lock {}`: 8 points, one run each, on a rayon pool of 1 thread and of 2, in one \
         criterion group (`cargo bench --bench sweep`); both tables are the same {bytes} bytes (checked before \
         timing). Times are criterion's medians per sweep. The machine's cores are shared with whatever \
         else runs on it, which the speedup feels first.\n\n\
         | 1 thread | 2 threads | speedup | goal | verdict |\n|---|---|---|---|---|\n\
         | {} | {} | {} | at least {GOAL} | {} |\n",
        flags.join(" "),
        perf::time(t1),
        perf::time(t2),
        speedup.map_or("not measured".into(), |r| format!("{r:.2}x")),
        perf::verdict(speedup.map(|r| r >= GOAL)),
    );
    if let Err(e) = perf::write_section("sweep", &s) {
        eprintln!("sweep: could not write results/perf/sweep.md: {e}");
    }
}

criterion_group!(benches, sweep);
criterion_main!(benches);
