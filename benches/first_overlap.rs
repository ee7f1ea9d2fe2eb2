//! Time to the first overlap of the 2-client lease: faultline's simulator and its loom model
//! against stateright's checker on the same model; and faultline's exhaustive omission search on
//! world C against the same search written for stateright.
//!
//! - **stateright** (the baseline of both groups): the loom model's abstraction written as a
//!   stateright [`Model`] ([`lease`]), checked breadth-first on one thread until it discovers
//!   two clients inside. Its full state count comes from one more check that does not stop there.
//! - **simulator**: the same world, one section per client, as `faultline lock --variant lease
//!   --acquisitions 2 --seed N` runs it ([`faultline::lock::run`] on the simulator, oracle
//!   included, with the CLI's exponential stalls of mean 5 ms after the check): whole runs, seed
//!   after seed, until one overlaps. Everything is timed, the runs without an overlap too. Each
//!   iteration goes on from the seed the previous one stopped at, so the figure is a mean over
//!   seeds, not one lucky draw.
//! - **loom**: loom is built with `--cfg loom` in a target directory of its own, which a bench
//!   cannot link, and `cargo bench` does not build it. If the loom test binary is there
//!   (`target/loom/release/deps/loom_lease-*`), the bench runs its `lease_can_overlap` a few times
//!   and reads the time to the first overlapping execution the test prints; else the section
//!   says how to build it.
//! - **world C search**: [`faultline::smr::search`] for commit-alone (τ = 3) on two servers, one
//!   faulty, over the derived 20 rounds, against the same state space explored by stateright
//!   ([`omission`]), to the end in both, and stateright stopped at its first disagreement beside
//!   them. The search also counts the patterns and replays its witnesses, which stateright cannot
//!   express (see [`omission`]).

#[path = "common/perf.rs"]
mod perf;

#[path = "first_overlap/lease.rs"]
mod lease;
#[path = "first_overlap/omission.rs"]
mod omission;

use criterion::{Criterion, criterion_group, criterion_main};
use faultline::engine::{FaultEvent, Observer};
use faultline::lock::msg::LockEvent;
use faultline::lock::{EngineKind, LockConfig, Variant, run, run_observed};
use faultline::node::NodeId;
use faultline::smr::protocols::{CommitRule, Vote};
use faultline::smr::{Cluster, Cmd, SearchOptions, derived_rounds, search};
use faultline::time::Nanos;
use stateright::{Checker, HasDiscoveries, Model};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const GROUP: &str = "first overlap";
const SEARCH_GROUP: &str = "world C search";
const STATERIGHT: &str = "stateright bfs";
const SIMULATOR: &str = "simulator, 2-section runs seed after seed";
const SEARCH: &str = "faultline search";
const STATERIGHT_FIRST: &str = "stateright bfs, to the first disagreement";
/// Runs of the loom test binary; its time to the first overlap is the median.
const LOOM_RUNS: usize = 3;
/// Seeds of the CLI's run timed to its first overlap; the figure is the median.
const IN_RUN_SEEDS: u64 = 200;

/// The lease as `faultline lock --variant lease --acquisitions 2 --seed SEED` runs it: the CLI's
/// defaults (2 clients, exponential stalls of mean 5 ms after the check, L = 10 ms, w = 1 ms),
/// one section per client, as in the loom and stateright models.
fn lease_config(seed: u64) -> LockConfig {
    let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
    cfg.acquisitions = 2;
    cfg.seed = seed;
    cfg
}

/// Runs seed after seed from `*seed` on, each run whole, until one overlaps; returns the runs
/// it took and leaves `*seed` at the next unused one.
fn simulator_first_overlap(seed: &mut u64) -> u64 {
    let mut runs = 0;
    loop {
        runs += 1;
        let report = run(&lease_config(*seed)).expect("the CLI's lease is valid");
        *seed += 1;
        if report.metrics.overlaps > 0 {
            return runs;
        }
    }
}

/// Watches a run for the first moment two clients are inside, and notes how long after `started`
/// that was and how many sections had begun by then.
struct FirstOverlap {
    started: Instant,
    inside: Vec<bool>,
    entered: u64,
    found: Option<(Duration, u64)>,
}

impl Observer<LockEvent> for FirstOverlap {
    fn observe(&mut self, _: Nanos, _: NodeId, event: &LockEvent) {
        match *event {
            LockEvent::Entered { client, .. } => {
                self.inside[client] = true;
                self.entered += 1;
                if self.found.is_none() && self.inside.iter().filter(|&&i| i).count() >= 2 {
                    self.found = Some((self.started.elapsed(), self.entered));
                }
            }
            LockEvent::Left { client, .. } => self.inside[client] = false,
            _ => {}
        }
    }
    fn fault(&mut self, _: Nanos, _: NodeId, _: FaultEvent) {}
    fn finished(&self) -> bool {
        false
    }
}

/// In the run `faultline lock --variant lease --seed SEED` makes (the CLI's 10,000 sections),
/// the wall time from the call to the moment a second client enters while the first is inside,
/// and the sections begun by then. The rest of the run is not timed; criterion cannot time a
/// part of an iteration without running the rest, so these runs are timed by hand.
fn in_run_first_overlap(seed: u64) -> (Duration, u64) {
    let mut cfg = lease_config(seed);
    cfg.acquisitions = LockConfig::new(Variant::LEASE, EngineKind::Sim).acquisitions;
    let mut watch =
        FirstOverlap { started: Instant::now(), inside: vec![false; cfg.clients], entered: 0, found: None };
    let report = run_observed(&cfg, &mut watch).expect("the CLI's lease is valid");
    assert!(report.metrics.overlaps > 0, "the oracle sees what the observer sees");
    watch.found.expect("10,000 sections with stalls overlap")
}

/// Stateright's BFS on the lease model until the first overlap; returns the states it had
/// generated by then.
fn stateright_first_overlap() -> usize {
    let checker = lease::Lease
        .checker()
        .finish_when(HasDiscoveries::AnyOf([lease::TWO_INSIDE].into()))
        .spawn_bfs()
        .join();
    let path = checker.discovery(lease::TWO_INSIDE).expect("stateright finds two clients inside");
    assert_eq!(path.last_state().inside(), 2);
    checker.unique_state_count()
}

/// Stateright's BFS on the whole lease model: its distinct states.
fn stateright_all_states() -> usize {
    let checker = lease::Lease.checker().spawn_bfs().join();
    checker.assert_no_discovery("at most one grant per request");
    assert!(checker.discovery(lease::TWO_INSIDE).is_some());
    checker.unique_state_count()
}

/// The loom test binary built by `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test
/// --release --test loom_lease`, the newest if there are several.
fn loom_binary() -> Option<PathBuf> {
    let deps = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/loom/release/deps");
    std::fs::read_dir(deps)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with("loom_lease-") && !n.contains('.')))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, path)| path)
}

/// What one run of the loom test says: the execution that first overlapped, the seconds to it,
/// and the executions explored in all.
fn loom_first_overlap(binary: &PathBuf) -> Result<(usize, f64, usize), String> {
    let out = std::process::Command::new(binary)
        .args(["lease_can_overlap", "--exact", "--nocapture", "--test-threads=1"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("lease: ")).ok_or("the loom test printed no report")?;
    let number = |after: &str, upto: &str| -> Option<f64> {
        let rest = &line[line.find(after)? + after.len()..];
        rest[..rest.find(upto)?].trim().parse().ok()
    };
    let execution = number("the first at execution ", " after").ok_or(
        "the loom test does not print its first overlap (built before the hook was added: rebuild it)",
    )?;
    let seconds = number(" after ", " s").ok_or("no time to the first overlap")?;
    let explored = number("lease: ", " executions").ok_or("no execution count")?;
    Ok((execution as usize, seconds, explored as usize))
}

fn world_c() -> omission::Omission {
    let tau = 3;
    omission::Omission {
        protocol: Vote::new(CommitRule::AloneAfter(tau)),
        cluster: Cluster::new(2, 1),
        rounds: derived_rounds(tau, 1) as u32,
        inputs: [Some(Cmd(1)), Some(Cmd(2))],
    }
}

fn faultline_search(model: &omission::Omission) -> faultline::smr::SearchReport {
    search(&model.protocol, model.cluster, model.rounds, &SearchOptions::new()).expect("the search ends")
}

fn first_overlap(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    group.sample_size(20);
    group.bench_function(STATERIGHT, |b| b.iter(|| black_box(stateright_first_overlap())));
    group.bench_function(SIMULATOR, |b| {
        let mut seed = 1;
        b.iter(|| black_box(simulator_first_overlap(&mut seed)))
    });
    group.finish();

    let model = world_c();
    let mut group = c.benchmark_group(SEARCH_GROUP);
    group.sample_size(20);
    group.bench_function(STATERIGHT, |b| {
        b.iter(|| black_box(world_c().checker().spawn_bfs().join().unique_state_count()))
    });
    group.bench_function(STATERIGHT_FIRST, |b| {
        b.iter(|| {
            let checker = world_c()
                .checker()
                .finish_when(HasDiscoveries::AnyOf([omission::AGREEMENT].into()))
                .spawn_bfs()
                .join();
            assert!(checker.discovery(omission::AGREEMENT).is_some());
            black_box(checker.unique_state_count())
        })
    });
    group.bench_function(SEARCH, |b| b.iter(|| black_box(faultline_search(&model))));
    group.finish();

    // The section's own measurements (loom's runs, the runs timed by hand) take seconds, and a
    // run that does not measure would write nothing anyway.
    if perf::measuring()
        && let Err(e) = write_section()
    {
        eprintln!("first_overlap: cannot write the section: {e}");
    }
}

/// Mean runs to the first overlap, over `searches` searches from seed 1 on.
fn mean_runs_to_overlap(searches: u64) -> f64 {
    let mut seed = 1;
    (0..searches).map(|_| simulator_first_overlap(&mut seed) as f64).sum::<f64>() / searches as f64
}

/// A ratio for a table cell, to three decimals (whole from 100 on), or "—" when either side was
/// not measured.
fn times(ratio: Option<f64>) -> String {
    match ratio {
        None => "—".into(),
        Some(r) if r >= 100.0 => format!("{r:.0}x"),
        Some(r) => format!("{r:.3}x"),
    }
}

fn write_section() -> std::io::Result<()> {
    let stateright = perf::median_ns(GROUP, STATERIGHT);
    let simulator = perf::median_ns(GROUP, SIMULATOR);
    let states_to_overlap = stateright_first_overlap();
    let all_states = stateright_all_states();
    let runs = mean_runs_to_overlap(1000);

    let loom = match loom_binary() {
        None => {
            Err("the loom test binary is not built: `RUSTFLAGS=\"--cfg loom\" CARGO_TARGET_DIR=target/loom \
                     cargo test --release --test loom_lease --no-run`, then run this bench again"
                .to_string())
        }
        Some(binary) => (0..LOOM_RUNS).map(|_| loom_first_overlap(&binary)).collect::<Result<Vec<_>, _>>(),
    };

    let goal = |ns: Option<f64>| perf::verdict(perf::ratio(ns, stateright).map(|r| r < 1.0));
    let ratio = |ns: Option<f64>| times(perf::ratio(ns, stateright));
    let mut md = String::from("## Time to the first overlap\n\n");
    md.push_str(
        "The 2-client lease, one section each, the expiry free to fire at any point: how long each \
         checker takes to find two clients inside. Baseline: stateright 0.31's breadth-first checker on \
         one thread, on the loom model written as a stateright model (`benches/first_overlap/lease.rs`), \
         stopped at its discovery. Goal: faster than stateright.\n\n",
    );
    md.push_str(
        "| checker | time to the first overlap | stateright | ratio | goal |\n|---|---|---|---|---|\n",
    );
    md.push_str(&format!(
        "| simulator, `faultline lock --variant lease --acquisitions 2`, seed after seed until a run overlaps | {} | {} | {} | {} |\n",
        perf::time(simulator),
        perf::time(stateright),
        ratio(simulator),
        goal(simulator),
    ));
    let mut in_run: Vec<(Duration, u64)> = (1..=IN_RUN_SEEDS).map(in_run_first_overlap).collect();
    in_run.sort();
    let in_run_ns = Some(in_run[in_run.len() / 2].0.as_nanos() as f64);
    let in_run_sections = in_run.iter().map(|r| r.1 as f64).sum::<f64>() / in_run.len() as f64;
    md.push_str(&format!(
        "| simulator, inside the run `faultline lock --variant lease --seed N` makes (10,000 sections), from the call to the moment the second client enters (median over seeds 1 to {IN_RUN_SEEDS}, timed by hand) | {} | {} | {} | {} |\n",
        perf::time(in_run_ns),
        perf::time(stateright),
        ratio(in_run_ns),
        goal(in_run_ns),
    ));
    let loom_note = match &loom {
        Ok(runs) => {
            let mut seconds: Vec<f64> = runs.iter().map(|r| r.1).collect();
            seconds.sort_by(f64::total_cmp);
            let ns = Some(seconds[seconds.len() / 2] * 1e9);
            md.push_str(&format!(
                "| loom model, `loom_tests/lease.rs` (median of {LOOM_RUNS} runs of the pre-built test, its own clock) | {} | {} | {} | {} |\n",
                perf::time(ns),
                perf::time(stateright),
                ratio(ns),
                goal(ns),
            ));
            let (execution, _, explored) = runs[0];
            format!(
                "Loom (preemption bound 2) reached its first overlapping execution at execution \
                 {} of the {} it explores, in the order it explores them.",
                perf::count(execution as u64),
                perf::count(explored as u64)
            )
        }
        Err(why) => {
            md.push_str(&format!(
                "| loom model, `loom_tests/lease.rs` | not measured | {} | — | not measured |\n",
                perf::time(stateright)
            ));
            format!("Loom: not measured: {why}.")
        }
    };
    md.push_str(&format!(
        "\nStateright generated {states_to_overlap} distinct states before it stopped at the discovery \
         (it checks in blocks, so it stops at the end of the block that found it); the whole model has \
         {all_states}. The simulator took {runs:.2} runs of 2 sections on average (1,000 searches from \
         seed 1 on) to find a run that overlaps, each run whole (building the world, simulating, the \
         oracle's verdict); inside one long run it met the first overlap after {in_run_sections:.1} \
         sections on average, and that time includes building the world and the oracle. {loom_note} The three are not the same search: the simulator samples stalls and \
         meets the overlap when the first holder's stall outlasts what is left of its lease, while \
         stateright and loom enumerate orders of events, and loom re-runs the whole world for each.\n\n",
    ));
    if perf::ratio(simulator, stateright).is_some_and(|r| r >= 1.0) {
        md.push_str(
            "Where the 2-section runs lose (`perf record` of that case, commit ab9ca0d): about two thirds \
             of their time is the oracle's latency summary at the end of every run, \
             `hdrhistogram::Histogram::mean` and `value_at_quantile` (`LockOracle::finish`, \
             `acquire_latency_ns`), each walking every bucket of a 3-figure histogram resized to hold \
             the longest wait, and another 9% zeroes new histograms; the simulation itself (`sim::run`, \
             the queue, `core::apply`) is under a tenth. A running sum for the mean and one walk for \
             both quantiles, or a coarser histogram, would make a short run cost about its events.\n\n",
        );
    }

    let model = world_c();
    let report = faultline_search(&model);
    let sr_all = perf::median_ns(SEARCH_GROUP, STATERIGHT);
    let sr_first = perf::median_ns(SEARCH_GROUP, STATERIGHT_FIRST);
    let ours = perf::median_ns(SEARCH_GROUP, SEARCH);
    let sr_states = perf::count(world_c().checker().spawn_bfs().join().unique_state_count() as u64);
    md.push_str(&format!(
        "### The omission search on world C\n\n\
         `faultline smr --search`: commit-alone (τ = 3), n = 2, f = 1, {rounds} rounds, clients that may \
         fail: every omission pattern, explored breadth-first over distinct system states. Baseline: the \
         same states explored by stateright (`benches/first_overlap/omission.rs`, the crate's own \
         processes stepped once per state). Both explore every state: the search {states} distinct \
         states, stateright {sr_states}.\n\n\
         | search | time | stateright, every state | ratio |\n|---|---|---|---|\n\
         | faultline search (counts {patterns} patterns, replays its witness) | {ours_t} | {sr_t} | {r} |\n\
         | stateright, stopped at its first disagreement | {first_t} | {sr_t} | {r_first} |\n\n\
         Stateright can explore these states and find a disagreement, but it cannot count the patterns \
         that reach each (it keeps a set of states, not a count of paths) nor pick the violating pattern \
         with the fewest lost messages; the search does both, and checks its witness against world C. \
         A disagreement shows only in a final state, so breadth-first stateright meets the first one in \
         the last layer, after nearly every state: stopping there saves it almost nothing.\n",
        rounds = model.rounds,
        states = perf::count(report.states),
        patterns = report.patterns,
        ours_t = perf::time(ours),
        sr_t = perf::time(sr_all),
        first_t = perf::time(sr_first),
        r = times(perf::ratio(ours, sr_all)),
        r_first = times(perf::ratio(sr_first, sr_all)),
    ));
    if perf::ratio(ours, sr_all).is_some_and(|r| r >= 1.0) {
        md.push_str(
            "\nWhere the search loses (`perf record` of that case, commit ab9ca0d): about 40% of its time \
             is SipHash, the standard `HashMap`'s hasher, over whole system states (servers' `BTreeMap`s \
             and `BTreeSet`s, clients, inboxes) to index each layer, which also keeps every state as a \
             key and compares whole states on a hit; stateright hashes each state once with a fast \
             hasher into a 64-bit fingerprint and keeps only that. A faster hasher, or fingerprints with \
             the states kept in the layer, would close most of the gap.\n",
        );
    }
    perf::write_section("first_overlap", &md)
}

criterion_group!(benches, first_overlap);
criterion_main!(benches);
