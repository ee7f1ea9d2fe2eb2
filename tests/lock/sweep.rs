//! Sweeps: the same bytes however they are run (threads, shards, interruptions), points that
//! cannot exist skipped with their reason, the non-preemptive lock as the reference at infinite
//! lease, and the lease curve on its closed form.

use faultline::sweep::grid::{Axis, expand};
use faultline::sweep::lock::LockLab;
use faultline::sweep::table::Table;
use faultline::sweep::{Options, Shard, Sweep, SweepEnd, run};
use std::path::PathBuf;

fn axis(flag: &str, values: &str) -> Axis {
    Axis { flag: flag.into(), values: expand(flag, values).unwrap() }
}

fn small() -> Sweep {
    Sweep {
        axes: vec![
            axis("variant", "lease,non-preemptive,lease-margin"),
            axis("lease", "4ms..16ms:3"),
            axis("margin", "2ms,20ms"),
            axis("acquisitions", "300"),
        ],
        repetitions: 2,
        seed: 7,
        shard: Shard::ALL,
    }
}

fn table(end: SweepEnd) -> Table {
    match end {
        SweepEnd::Done(t) => t,
        SweepEnd::Stopped { done, total } => panic!("stopped after {done} of {total}"),
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cell<'a>(t: &'a Table, row: &'a [String], column: &str) -> &'a str {
    &row[t.column(column).unwrap_or_else(|| panic!("no column {column}"))]
}

#[test]
fn thread_count_does_not_change_a_byte() {
    let on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| table(run(&LockLab, &small(), &Options::default()).unwrap()))
    };
    let (one, two) = (on(1), on(2));
    assert_eq!(one.csv(), two.csv());
    assert_eq!(one.json(None), two.json(None));
    assert_eq!(one.rows.len(), 3 * 3 * 2 * 2);
}

#[test]
fn shards_merge_into_the_unsharded_sweep() {
    let whole = table(run(&LockLab, &small(), &Options::default()).unwrap());
    let parts = (1..=3)
        .map(|k| {
            let sweep = Sweep { shard: Shard::parse(&format!("{k}/3")).unwrap(), ..small() };
            (format!("{k}/3"), table(run(&LockLab, &sweep, &Options::default()).unwrap()))
        })
        .collect();
    let merged = Table::merge(parts).unwrap();
    assert_eq!(merged.csv(), whole.csv());
    assert_eq!(merged.json(None), whole.json(None));
}

#[test]
fn an_interrupted_sweep_resumed_equals_an_uninterrupted_one() {
    let dir = scratch("resume");
    let (whole, parts) = (dir.join("whole.csv"), dir.join("parts.csv"));
    run(&LockLab, &small(), &Options { out: Some(whole.clone()), ..Options::default() }).unwrap();
    let stop =
        |n| Options { out: Some(parts.clone()), resume: n > 0, stop_after: Some(5), ..Options::default() };
    assert!(matches!(run(&LockLab, &small(), &stop(0)).unwrap(), SweepEnd::Stopped { done: 5, total: 36 }));
    assert!(!parts.exists(), "an interrupted sweep writes no table");
    // Without --resume the journal is not silently thrown away.
    assert!(run(&LockLab, &small(), &Options { out: Some(parts.clone()), ..Options::default() }).is_err());
    // The interruption may cut a row in half: it is run again.
    let journal = dir.join("parts.csv.partial");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str("[\"3\",\"1\",\"12");
    std::fs::write(&journal, text).unwrap();
    assert!(matches!(run(&LockLab, &small(), &stop(1)).unwrap(), SweepEnd::Stopped { done: 10, total: 36 }));
    run(&LockLab, &small(), &Options { out: Some(parts.clone()), resume: true, ..Options::default() })
        .unwrap();
    assert_eq!(std::fs::read(&parts).unwrap(), std::fs::read(&whole).unwrap());
    assert_eq!(
        std::fs::read(dir.join("parts.json")).unwrap(),
        std::fs::read(dir.join("whole.json")).unwrap()
    );
    assert!(!journal.exists(), "a finished sweep leaves no journal");
    // A journal of another sweep is refused.
    std::fs::write(&journal, "faultline sweep lock --lease 1ms\n").unwrap();
    assert!(
        run(&LockLab, &small(), &Options { out: Some(parts), resume: true, ..Options::default() }).is_err()
    );
}

#[test]
fn impossible_points_are_skipped_and_the_non_preemptive_lock_runs_once() {
    let t = table(run(&LockLab, &small(), &Options::default()).unwrap());
    let rows_of = |variant: &str| -> Vec<&Vec<String>> {
        t.rows
            .iter()
            .filter(|r| {
                cell(&t, r, "config.variant") == variant || {
                    let p: usize = r[0].parse().unwrap();
                    (p / 6)
                        == ["lease", "non-preemptive", "lease-margin"]
                            .iter()
                            .position(|v| *v == variant)
                            .unwrap()
                        && cell(&t, r, "status") == "skipped"
                }
            })
            .collect()
    };
    let np = rows_of("non-preemptive");
    let ran: Vec<_> = np.iter().filter(|r| cell(&t, r, "status") == "ok").collect();
    assert_eq!(ran.len(), 2, "one point, two repetitions");
    assert_eq!(cell(&t, ran[0], "config.lease"), "", "the reference has no lease");
    assert!(
        np.iter()
            .filter(|r| cell(&t, r, "status") == "skipped")
            .all(|r| cell(&t, r, "reason").starts_with("the same run as point"))
    );
    // A margin longer than the lease cannot exist; the reason is the single run's own.
    let margin = rows_of("lease-margin");
    let long = margin.iter().find(|r| cell(&t, r, "status") == "skipped").expect("a skipped margin point");
    assert!(cell(&t, long, "reason").contains("must be shorter than the lease"), "{long:?}");
    // Every run says how to replay it.
    for r in t.rows.iter().filter(|r| cell(&t, r, "status") == "ok") {
        let replay = cell(&t, r, "replay");
        assert!(
            replay.starts_with("faultline lock ")
                && replay.ends_with(&format!("--seed {}", cell(&t, r, "seed")))
        );
    }
}

/// A replayed row gives the row's figures.
#[test]
fn a_row_replays() {
    let t = table(run(&LockLab, &small(), &Options::default()).unwrap());
    let row = t
        .rows
        .iter()
        .find(|r| cell(&t, r, "status") == "ok" && cell(&t, r, "overlaps") != "0")
        .expect("a row that overlapped");
    let replay = cell(&t, row, "replay");
    let args: Vec<&str> = replay.split(' ').skip(1).chain(["--json"]).collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline")).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["overlaps"].to_string(), cell(&t, row, "overlaps"));
    assert_eq!(v["engine_events"].to_string(), cell(&t, row, "engine_events"));
}

/// The lease curve under exponential stalls sits on exp(-(L - w)/mu) over four decades of rate,
/// every point within 4 standard errors.
#[test]
fn the_lease_curve_sits_on_its_closed_form_over_four_decades() {
    let sweep = Sweep {
        axes: vec![
            axis("clients", "16"),
            axis("lease", "1ms..50ms:6"),
            axis("work", "0"),
            axis("acquisitions", "1000000"),
        ],
        repetitions: 1,
        seed: 1,
        shard: Shard::ALL,
    };
    let t = table(run(&LockLab, &sweep, &Options::default()).unwrap());
    let rates: Vec<f64> = t.rows.iter().map(|r| cell(&t, r, "rates.overlap.rate").parse().unwrap()).collect();
    assert!(rates[0] / rates[5] > 1e4, "fewer than four decades: {rates:?}");
    for r in &t.rows {
        assert_eq!(
            cell(&t, r, "agrees.overlap_rate"),
            "true",
            "{} vs {}",
            cell(&t, r, "rates.overlap.rate"),
            cell(&t, r, "predicted.overlap_rate")
        );
    }
}

fn faultline_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_faultline")).current_dir(dir).args(args).output().unwrap()
}

/// Bad grids get one line and exit 2, and leave no file behind.
#[test]
fn bad_grids_are_refused_in_one_line_and_leave_nothing() {
    let dir = scratch("bad");
    std::fs::write(dir.join("broken.toml"), "laboratory = \"lock\"\n[axes\nlease = 3\n").unwrap();
    std::fs::write(dir.join("unknown.toml"), "laboratory = \"lock\"\n[axes]\nleash = \"1ms\"\n").unwrap();
    std::fs::write(dir.join("extra.toml"), "laboratory = \"lock\"\ncolour = 1\n").unwrap();
    for args in [
        &["sweep", "lock", "--lease", ""][..],
        &["sweep", "lock", "--lease", "1ms..64ms:0"],
        &["sweep", "lock", "--lease", "64ms..1ms:4"],
        &["sweep", "lock", "--lease", "1ms..64ms"],
        &["sweep", "lock", "--leash", "1ms"],
        &["sweep", "lock", "--lease", "10"],
        &["sweep", "lock", "--lease", "1ms", "--lease", "2ms"],
        &["sweep", "lock", "--shard", "3/2"],
        &["sweep", "lock", "--repetitions", "0"],
        &["sweep", "lock", "--clients", "2..101:100lin", "--lease", "1ms..1s:100", "--repetitions", "11"],
        &["sweep", "lock", "--acquisitions", "1..1000000000000:1000000000000lin"],
        &["sweep", "--grid", "broken.toml"],
        &["sweep", "--grid", "unknown.toml"],
        &["sweep", "--grid", "extra.toml"],
        &["sweep", "--grid", "missing.toml"],
        &["sweep", "--grid", "broken.toml", "--lease", "1ms"],
        &["sweep", "nonsense"],
        &["merge", "missing.csv", "--out", "merged.csv"],
    ] {
        let full: Vec<&str> = args.iter().copied().chain(["--out", "out.csv"]).collect();
        let full = if args[0] == "merge" { args.to_vec() } else { full };
        let out = faultline_in(&dir, &full);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{full:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{full:?}: {err}");
        assert!(out.stdout.is_empty(), "{full:?}");
        for left in ["out.csv", "out.json", "out.csv.partial", "merged.csv"] {
            assert!(!dir.join(left).exists(), "{full:?} left {left}");
        }
    }
}

/// The command line, a grid file and shards merged by `faultline merge` give the same table.
#[test]
fn the_command_line_a_grid_file_and_merged_shards_agree() {
    let dir = scratch("cli");
    let axes = ["--variant", "lease,fenced", "--lease", "2ms..8ms:3", "--acquisitions", "500"];
    let run = |extra: &[&str]| {
        let args: Vec<&str> =
            ["sweep", "lock"].iter().copied().chain(axes).chain(extra.iter().copied()).collect();
        let out = faultline_in(&dir, &args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let stdout = run(&["--repetitions", "2"]).stdout;
    run(&["--repetitions", "2", "--out", "whole.csv"]);
    assert_eq!(stdout, std::fs::read(dir.join("whole.csv")).unwrap(), "stdout and --out differ");
    for k in 1..=2 {
        run(&["--repetitions", "2", "--shard", &format!("{k}/2"), "--out", &format!("shard{k}.csv")]);
    }
    let out = faultline_in(&dir, &["merge", "shard2.csv", "shard1.csv", "--out", "merged.csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(dir.join("merged.csv")).unwrap(), std::fs::read(dir.join("whole.csv")).unwrap());
    assert_eq!(
        std::fs::read(dir.join("merged.json")).unwrap(),
        std::fs::read(dir.join("whole.json")).unwrap()
    );
    std::fs::write(
        dir.join("grid.toml"),
        "laboratory = \"lock\"\nrepetitions = 2\n[axes]\nlease = \"2ms..8ms:3\"\nvariant = [\"lease\", \"fenced\"]\nacquisitions = 500\n",
    )
    .unwrap();
    let out = faultline_in(&dir, &["sweep", "--grid", "grid.toml", "--out", "grid.csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(dir.join("grid.csv")).unwrap(), std::fs::read(dir.join("whole.csv")).unwrap());
    // The grid's identity is the resolved grid's, not the form it was written in.
    assert_eq!(std::fs::read(dir.join("grid.json")).unwrap(), std::fs::read(dir.join("whole.json")).unwrap());
}
