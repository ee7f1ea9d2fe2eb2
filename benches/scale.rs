//! Time and peak memory of runs that grow by orders of magnitude: `faultline lock --clients 16
//! --acquisitions N --json` for N = 10^5 to 10^8. A run's memory must not grow with its length
//! (the goal: peak within 2x from the smallest run to the largest); the consensus
//! workload, whose memory grows by nature, is measured beside it.
//!
//! Not a criterion bench: one run of each size says what is asked (10^8 acquisitions take minutes),
//! and peak memory is a property of a process. The bench runs the `faultline` binary cargo built
//! for it, each run under a supervisor of its own: this bench re-executed with `--supervise`,
//! which spawns the one run, waits for it, and reads the largest resident set of its waited-for
//! children (`getrusage(RUSAGE_CHILDREN)`), which is then that run's alone.
//!
//! `cargo bench --bench scale` runs the whole range; `FAULTLINE_SCALE_MAX=N` (or `-- N`) stops
//! after the runs of at most N acquisitions, for a quick look. At the end it draws
//! `results/perf/scale.svg` and writes its section of `results/PERFORMANCE.md`
//! (`benches/common/perf.rs`).

use faultline::plot::figure::{Kind, Panel, Plot, PlotAxis, Point, Scale, Series};
use nix::sys::resource::{UsageWho, getrusage};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

#[path = "common/perf.rs"]
mod perf;

/// The run sizes of the lock workload, in acquisitions.
const ACQUISITIONS: [u64; 4] = [100_000, 1_000_000, 10_000_000, 100_000_000];
/// The run sizes of the consensus workload, in instances, up to its cap: seconds in all.
const INSTANCES: [u64; 4] = [1_000, 10_000, 100_000, 1_000_000];
/// The goal: the largest run's peak memory within this factor of the smallest's.
const GOAL: f64 = 2.0;
const SUPERVISE: &str = "--supervise";

/// One measured run.
struct Measured {
    size: u64,
    wall_s: f64,
    peak_kb: u64,
}

/// Supervisor: runs `faultline ARGS` once, and prints its wall time in seconds and its peak
/// resident set in kilobytes on the first line, then its standard output.
fn supervise(args: &[String]) -> ExitCode {
    let start = Instant::now();
    let out = match Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).stderr(Stdio::inherit()).output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("scale: cannot run faultline: {e}");
            return ExitCode::FAILURE;
        }
    };
    let wall = start.elapsed().as_secs_f64();
    if !out.status.success() {
        eprintln!("scale: faultline {} failed: {}", args.join(" "), out.status);
        return ExitCode::FAILURE;
    }
    // Linux counts ru_maxrss in kilobytes.
    let peak_kb = match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(usage) => usage.max_rss(),
        Err(e) => {
            eprintln!("scale: getrusage: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{wall} {peak_kb}");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    ExitCode::SUCCESS
}

/// Runs `faultline ARGS` under a supervisor; `field` of its JSON must be `size` (the run did its
/// whole workload). `None`, with the reason on stderr, if it did not run.
fn measure(args: &[String], field: &str, size: u64) -> Option<Measured> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe).arg(SUPERVISE).args(args).stderr(Stdio::inherit()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let (first, json) = text.split_once('\n')?;
    let (wall, peak) = first.split_once(' ')?;
    let (wall_s, peak_kb) = (wall.parse().ok()?, peak.parse().ok()?);
    let json: serde_json::Value = serde_json::from_str(json).ok()?;
    let did = json.get(field)?.as_u64()?;
    if did != size {
        eprintln!("scale: faultline {} did {did} {field}, not {size}", args.join(" "));
        return None;
    }
    eprintln!("faultline {}: {wall_s:.2} s, {peak_kb} KB", args.join(" "));
    Some(Measured { size, wall_s, peak_kb })
}

/// The largest run size to measure: `FAULTLINE_SCALE_MAX`, else a number among the arguments
/// (`cargo bench --bench scale -- 1000000`), else all of them.
fn largest(args: &[String]) -> Result<u64, String> {
    if let Ok(text) = std::env::var("FAULTLINE_SCALE_MAX") {
        return text.trim().parse().map_err(|_| format!("FAULTLINE_SCALE_MAX={text}: not a whole number"));
    }
    Ok(args.iter().find_map(|a| a.parse().ok()).unwrap_or(u64::MAX))
}

fn lock_args(n: u64) -> Vec<String> {
    ["lock", "--clients", "16", "--acquisitions", &n.to_string(), "--json"].map(String::from).to_vec()
}

fn consensus_args(n: u64) -> Vec<String> {
    ["lock", "--clients", "2", "--workload", "consensus", "--instances", &n.to_string(), "--json"]
        .map(String::from)
        .to_vec()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(SUPERVISE) {
        return supervise(&args[1..]);
    }
    let max = match largest(&args) {
        Ok(max) => max,
        Err(e) => {
            eprintln!("scale: {e}");
            return ExitCode::from(2);
        }
    };
    // Under `cargo test --benches`, only see that the smallest run of each workload works.
    let (max, max_instances) =
        if perf::measuring() { (max, u64::MAX) } else { (ACQUISITIONS[0], INSTANCES[0]) };
    let lock: Vec<Option<Measured>> = ACQUISITIONS
        .iter()
        .filter(|&&n| n <= max)
        .map(|&n| measure(&lock_args(n), "acquisitions", n))
        .collect();
    let consensus: Vec<Option<Measured>> = INSTANCES
        .iter()
        .filter(|&&n| n <= max_instances)
        .map(|&n| measure(&consensus_args(n), "instances", n))
        .collect();
    if !perf::measuring() {
        let ran = lock.iter().chain(&consensus).all(Option::is_some);
        return if ran { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    let (lock, consensus): (Vec<Measured>, Vec<Measured>) =
        (lock.into_iter().flatten().collect(), consensus.into_iter().flatten().collect());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let svg = root.join("results/perf/scale.svg");
    let drawn = std::fs::create_dir_all(root.join("results/perf"))
        .map_err(|e| e.to_string())
        .and_then(|()| faultline::plot::write_svg(&plot(&lock, &consensus), &svg).map_err(|e| e.to_string()));
    if let Err(e) = &drawn {
        eprintln!("scale: could not draw {}: {e}", svg.display());
    }
    if let Err(e) = perf::write_section("scale", &section(&lock, &consensus, max, drawn.is_ok())) {
        eprintln!("scale: could not write results/perf/scale.md: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Time and peak memory against run size, both workloads, log-scaled sizes.
fn plot(lock: &[Measured], consensus: &[Measured]) -> Plot {
    let series = |label: &str, color: usize, runs: &[Measured], y: fn(&Measured) -> f64| Series {
        label: label.into(),
        color,
        kind: Kind::Measured,
        points: runs.iter().map(|m| Point::at(m.size as f64, y(m))).collect(),
    };
    let both = |y: fn(&Measured) -> f64| {
        vec![
            series("lease, 16 clients (size: acquisitions)", 0, lock, y),
            series("consensus, 2 clients (size: instances)", 1, consensus, y),
        ]
    };
    let size = "run size";
    Plot {
        name: "scale".into(),
        title: "Time and peak memory against run size".into(),
        panels: vec![
            Panel {
                title: Some("wall time".into()),
                x: PlotAxis::log(size),
                y: PlotAxis::log("wall time (s)"),
                series: both(|m| m.wall_s),
                markers: Vec::new(),
            },
            Panel {
                title: Some("peak memory".into()),
                x: PlotAxis::log(size),
                y: PlotAxis::rate("peak resident set (MB)", Scale::Linear),
                series: both(|m| m.peak_kb as f64 / 1024.0),
                markers: Vec::new(),
            },
        ],
        columns: 2,
        marker_meaning: None,
        notes: vec![
            "One run per point; peak memory is the largest resident set of the process (getrusage).".into(),
        ],
    }
}

/// The section: both tables, the plot, and the flatness verdict.
fn section(lock: &[Measured], consensus: &[Measured], max: u64, drawn: bool) -> String {
    let mut s = String::from(
        "## Time and memory against run size\n\n\
         One run of each size, each the `faultline` binary under a supervisor that reads its peak resident set \
         (`getrusage(RUSAGE_CHILDREN)`), as `cargo bench --bench scale` runs them.\n\n\
         | run | wall time | acquisitions per second | peak memory |\n|---|---|---|---|\n",
    );
    for m in lock {
        let _ = writeln!(
            s,
            "| `faultline {}` | {} | {} | {:.1} MB |",
            lock_args(m.size).join(" "),
            perf::time(Some(m.wall_s * 1e9)),
            perf::count((m.size as f64 / m.wall_s) as u64),
            m.peak_kb as f64 / 1024.0
        );
    }
    let peaks = lock.iter().map(|m| m.peak_kb as f64);
    let (lo, hi) = (peaks.clone().fold(f64::INFINITY, f64::min), peaks.fold(0.0, f64::max));
    let whole_range = lock.iter().map(|m| m.size).collect::<Vec<_>>() == ACQUISITIONS;
    let met = whole_range.then_some(hi / lo <= GOAL);
    let _ = write!(
        s,
        "\nFlat memory (goal: the largest peak within {GOAL}x of the smallest, from 10^5 to 10^8 acquisitions): \
         **{}**",
        perf::verdict(met)
    );
    if lock.is_empty() {
        s.push_str(".\n");
    } else {
        let _ = write!(s, "; the peaks lie within {:.2}x of each other", hi / lo);
        if whole_range {
            s.push_str(".\n");
        } else {
            let why = if max < ACQUISITIONS[ACQUISITIONS.len() - 1] {
                format!("it was asked to stop at {} (`FAULTLINE_SCALE_MAX` or `-- N`)", perf::count(max))
            } else {
                "a run failed (the bench's output says which)".to_string()
            };
            let _ = writeln!(s, ", but this run does not cover the goal's range: {why}.");
        }
    }
    s.push_str(
        "\nThe consensus workload, for contrast: its memory grows with the number of instances by nature, since \
         the oracle keeps one decision per instance and the storage one register per instance for the whole \
         run; that is why instances are capped at 10^6.\n\n\
         | run | wall time | peak memory |\n|---|---|---|\n",
    );
    for m in consensus {
        let _ = writeln!(
            s,
            "| `faultline {}` | {} | {:.1} MB |",
            consensus_args(m.size).join(" "),
            perf::time(Some(m.wall_s * 1e9)),
            m.peak_kb as f64 / 1024.0
        );
    }
    if drawn {
        s.push_str("\n![Time and peak memory against run size](perf/scale.svg)\n");
    }
    s
}
