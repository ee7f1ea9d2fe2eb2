//! What a sweep's rows say beyond their numbers (issue 15): a closed form the data contradict
//! apart from one whose assumption the run saw fail, runs cut short marked in the table, the
//! summary and the plots, and bad output paths refused before anything runs.

use faultline::plot::{lock, svg};
use faultline::sweep::table::Table;
use std::path::{Path, PathBuf};
use std::process::Output;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-marks-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn faultline_in(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_faultline")).current_dir(dir).args(args).output().unwrap()
}

fn sweep_to(dir: &Path, csv: &str, axes: &[&str]) -> (String, Table) {
    let args: Vec<&str> =
        ["sweep", "lock"].into_iter().chain(axes.iter().copied()).chain(["--out", csv, "--quiet"]).collect();
    let out = faultline_in(dir, &args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), Table::read(&dir.join(csv)).unwrap())
}

fn cells<'t>(t: &'t Table, column: &str) -> Vec<&'t str> {
    let i = t.column(column).unwrap_or_else(|| panic!("no column {column}"));
    t.rows.iter().map(|r| r[i].as_str()).collect()
}

/// The README's first sweep at its shortest lease: the closed form says every section overlaps,
/// and a few do not because a lease now and then expired with nobody waiting. The run measures
/// that, so the row says the assumption failed, not that the data contradict the form.
#[test]
fn a_failed_assumption_is_not_a_contradiction() {
    let dir = scratch("assumption");
    let axes =
        ["--lease", "1ms,2ms", "--pause", "pareto:1.5:2ms", "--clients", "16", "--acquisitions", "20000"];
    let (summary, t) = sweep_to(&dir, "s.csv", &axes);
    let verdicts = cells(&t, "agrees.overlap_rate");
    assert!(verdicts.contains(&"assumption-fails") && !verdicts.contains(&"false"), "{verdicts:?}");
    for (verdict, unwaited) in verdicts.iter().zip(cells(&t, "unwaited_expiries")) {
        assert!(*verdict != "assumption-fails" || unwaited != "0", "{verdict} with {unwaited} unwaited");
    }
    assert!(summary.contains("the closed form's assumption did not hold"), "{summary}");
    assert!(!summary.contains("contradict"), "{summary}");
    let json = std::fs::read_to_string(dir.join("s.json")).unwrap();
    assert!(
        json.contains(r#""agrees.overlap_rate": "assumption-fails""#),
        "the JSON carries the third state"
    );
}

/// Runs that the horizon stops before their quotas are marked in `reason`, counted in the
/// summary, and ringed in the plot with a legend entry.
#[test]
fn runs_cut_short_are_marked_in_rows_summary_and_plots() {
    let dir = scratch("unfinished");
    let axes = ["--lease", "5ms,10ms", "--horizon", "50ms", "--acquisitions", "1000"];
    let (summary, t) = sweep_to(&dir, "u.csv", &axes);
    for (reason, ending) in cells(&t, "reason").into_iter().zip(cells(&t, "ending")) {
        assert_eq!(ending, "horizon");
        assert!(reason.starts_with("unfinished: ended by horizon"), "{reason}");
    }
    assert!(summary.contains("2 rows: the run was cut short"), "{summary}");
    let plot = lock::overlap_vs_lease(&t).unwrap();
    let measured = plot.panels[0].series.iter().flat_map(|s| &s.points).filter(|p| p.band.is_some());
    assert!(measured.clone().count() > 0 && measured.clone().all(|p| p.unfinished));
    assert!(svg(&plot).unwrap().contains("ringed: a run cut short"));

    let (summary, t) = sweep_to(&dir, "f.csv", &["--lease", "5ms,10ms", "--acquisitions", "200"]);
    assert!(cells(&t, "reason").iter().all(|r| r.is_empty()), "finished runs have no reason");
    assert!(!summary.contains("cut short"), "{summary}");
}

/// `--out` that names a directory, a CSV whose JSON would be a directory, or a file in a
/// directory that does not exist: one line naming what is wrong, exit 2, and nothing written,
/// not even the journal.
#[test]
fn bad_output_paths_are_refused_before_anything_runs() {
    let dir = scratch("out");
    std::fs::create_dir_all(dir.join("d")).unwrap();
    std::fs::create_dir_all(dir.join("x.json")).unwrap();
    sweep_to(&dir, "shard.csv", &["--acquisitions", "50"]);
    let listing = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    for (out, says) in [
        ("d", "d is a directory"),
        ("x.csv", "x.json is a directory"),
        ("/missing/dir/x.csv", "there is no directory /missing/dir"),
    ] {
        let sweep = ["sweep", "lock", "--acquisitions", "100", "--out", out];
        let merge = ["merge", "shard.csv", "--out", out];
        for args in [&sweep[..], &merge[..]] {
            let o = faultline_in(&dir, args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(err.contains(says) && !err.contains(".partial"), "{args:?}: {err}");
            assert_eq!(listing(), before, "{args:?} left something behind");
        }
    }
}

/// A threads-engine row's replay reruns its configuration, not its run: its reason says so, the
/// summary and the merge say so, and simulator rows say nothing of the kind.
#[test]
fn threads_rows_say_their_replay_reruns_the_configuration() {
    let dir = scratch("threads");
    let axes = ["--engine", "sim,threads", "--clients", "2", "--acquisitions", "20"];
    let (summary, t) = sweep_to(&dir, "t.csv", &axes);
    for (engine, reason) in cells(&t, "config.engine").into_iter().zip(cells(&t, "reason")) {
        let says = reason.contains("not reproducible") && reason.contains("reruns its configuration");
        assert_eq!(says, engine == "threads", "{engine}: {reason}");
    }
    assert!(summary.contains("1 row: the run measured wall-clock time"), "{summary}");
    assert!(summary.contains("byte for byte only in simulator rows"), "{summary}");
    let out = faultline_in(&dir, &["merge", "t.csv", "--out", "merged.csv"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("its replay reruns the configuration"));
}
