//! `faultline smr` on the binary: what it prints, where, and with which exit code.

use serde_json::Value;
use std::process::{Command, Output};

fn faultline(args: &[&str]) -> Output {
    let argv = std::iter::once("smr").chain(args.iter().copied());
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(argv).output().expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

fn succeeds(args: &[&str]) -> Output {
    let out = faultline(args);
    assert!(out.status.success(), "smr {args:?} failed: {}", stderr(&out));
    assert!(out.stderr.is_empty(), "smr {args:?} wrote to stderr: {}", stderr(&out));
    out
}

fn json(args: &[&str]) -> Value {
    serde_json::from_slice(&succeeds(args).stdout).expect("stdout is one JSON value")
}

#[test]
fn the_default_run_lands_commit_alone_on_the_disagreement_horn() {
    let v = json(&["--json"]);
    for key in [
        "protocol",
        "servers",
        "faults",
        "model",
        "worlds",
        "views_equal_ac",
        "views_equal_bc",
        "first_difference_ac",
        "first_difference_bc",
        "verdict",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(
        (&v["protocol"], &v["servers"], &v["faults"], &v["model"]),
        (&Value::from("commit-alone"), &Value::from(2), &Value::from(1), &Value::from("omission"))
    );
    assert_eq!(v["verdict"]["horn"], "disagrees");
    assert_eq!((&v["views_equal_ac"], &v["views_equal_bc"]), (&Value::Bool(true), &Value::Bool(true)));
    assert!(v["first_difference_ac"].is_null() && v["first_difference_bc"].is_null());

    let worlds = v["worlds"].as_object().expect("worlds is an object");
    assert_eq!(worlds.keys().collect::<Vec<_>>(), ["A", "B", "C"]);
    for (name, w) in worlds {
        for key in
            ["responses", "termination", "agreement", "validity", "faulty", "g1", "g2", "inputs", "rounds"]
        {
            assert!(w.get(key).is_some(), "world {name} lacks {key}: {w}");
        }
        let first = &w["rounds"][0];
        for key in ["round", "from", "to", "msg", "delivered"] {
            assert!(first.get(key).is_some(), "world {name}'s messages lack {key}: {first}");
        }
    }
    let c = &v["worlds"]["C"];
    assert_eq!(c["responses"]["c1"]["cmd"], "C1");
    assert_eq!(c["responses"]["c2"]["cmd"], "C2");
    assert_eq!(c["agreement"], false);
    assert!(c["rounds"].as_array().unwrap().iter().any(|m| m["delivered"] == false));
    assert!(v["worlds"]["A"]["responses"]["c2"].is_null(), "c2 writes nothing in A");
}

#[test]
fn wait_all_is_not_live() {
    let v = json(&["--protocol", "wait-all", "--world", "A", "--json"]);
    assert_eq!(v["verdict"]["horn"], "not_live");
    assert_eq!(v["worlds"]["A"]["termination"], false);
    assert!(v["worlds"].get("C").is_none(), "only the requested world is shown");
}

#[test]
fn the_world_c_table_shows_omissions_and_both_responses() {
    let text = stdout(&succeeds(&["--world", "C"]));
    for needle in [
        "World C",
        "G1={s1}",
        "G2={s2}",
        "faulty: {s2, c1, c2}",
        "s1 -> s2",
        "DROPPED",
        "nothing sent",
        "c1: C1 in round",
        "c2: C2 in round",
        "agreement NO",
        "views of G1+c1 = {s1, c1} in A and C: equal",
        "views of G2+c2 = {s2, c2} in B and C: equal",
        "horn: disagrees: in world C c1 is told C1 and c2 is told C2",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    assert!(!text.contains("World A"), "{text}");
}

#[test]
fn both_drivers_print_the_same_json() {
    for protocol in ["commit-alone", "primary-backup"] {
        let args = ["--protocol", protocol, "--servers", "4", "--faults", "2", "--json"];
        let by_loop = succeeds(&args).stdout;
        let by_threads = succeeds(&[&args[..], &["--driver", "threads"]].concat()).stdout;
        assert!(by_loop == by_threads, "{protocol}: the drivers disagree");
    }
}

#[test]
fn primary_backup_is_live_under_crashes_and_c_cannot_be_built() {
    let v = json(&["--protocol", "primary-backup", "--model", "crash", "--json"]);
    let worlds = v["worlds"].as_object().unwrap();
    assert_eq!(worlds.keys().collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(worlds["A"]["responses"]["c1"]["cmd"], "C1");
    assert_eq!(worlds["B"]["responses"]["c2"]["cmd"], "C2");
    for w in worlds.values() {
        assert_eq!((&w["termination"], &w["agreement"]), (&Value::Bool(true), &Value::Bool(true)));
    }
    assert!(v["verdict"].is_null() && v["views_equal_ac"].is_null());

    let text = stdout(&succeeds(&["--protocol", "primary-backup", "--model", "crash"]));
    assert!(text.contains("World C: not run: crash faults cannot produce it"), "{text}");
    assert!(text.contains("no view comparison and no horn"), "{text}");

    let out = faultline(&["--protocol", "primary-backup", "--model", "crash", "--world", "C"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("world C cannot be built with crash faults"), "{}", stderr(&out));
}

#[test]
fn majority_never_disagrees_with_n_equal_to_2f_plus_1() {
    let args = ["--stress", "--runs", "200", "--protocol", "majority", "--servers", "3", "--faults", "1"];
    let v = json(&[&args[..], &["--json"]].concat());
    let rows = v.as_array().expect("an array of rows");
    let qs: Vec<f64> = rows.iter().map(|r| r["q"].as_f64().unwrap()).collect();
    assert_eq!(qs, [0.1, 0.3, 0.5, 0.9], "one row per q, tau ignored");
    for row in rows {
        assert_eq!(row["protocol"], "majority");
        assert!(row["tau"].is_null(), "{row}");
        assert_eq!(row["agreement_violations"]["count"], 0, "{row}");
        assert_eq!(row["agreement_violations"]["of"], 200, "{row}");
    }
    let text = stdout(&succeeds(&args));
    assert!(text.contains("disagreements") && text.contains("95% CI"), "{text}");
}

#[test]
fn a_sweep_has_one_row_per_protocol_tau_and_q() {
    let v = json(&["--stress", "--runs", "20", "--q", "0.5", "--tau", "1,2", "--json"]);
    let rows: Vec<(String, Value)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["protocol"].as_str().unwrap().to_string(), r["tau"].clone()))
        .collect();
    let expect = [
        ("wait-all", Value::Null),
        ("commit-alone", Value::from(1)),
        ("commit-alone", Value::from(2)),
        ("majority", Value::Null),
        ("primary-backup", Value::from(1)),
        ("primary-backup", Value::from(2)),
    ];
    assert_eq!(rows, expect.map(|(p, t)| (p.to_string(), t)));
}

#[test]
fn help_shows_examples_and_limits() {
    let text = stdout(&succeeds(&["--help"]));
    assert!(text.contains("Examples:") && text.contains("--stress"), "{text}");
    for limit in [
        "2 to 32",
        "1 to 2000",
        "1 to 10000",
        "1 to 10000000",
        "at most 500000 messages",
        "at most 1000 rows",
    ] {
        assert!(text.contains(limit), "{limit} missing from\n{text}");
    }
}

/// Off a terminal there is no progress bar, and `--quiet` changes nothing on stdout.
#[test]
fn a_sweep_prints_the_same_with_or_without_quiet() {
    let args = ["--stress", "--runs", "30", "--q", "0.5"];
    let plain = succeeds(&args).stdout;
    assert_eq!(plain, succeeds(&[&args[..], &["--quiet"]].concat()).stdout);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--servers", "3", "--faults", "1"], "no world can be built for n = 3, f = 1"),
        (&["--servers", "1"], "--servers must be at least 2"),
        (&["--faults", "0"], "--faults must be at least 1"),
        (&["--faults", "2", "--servers", "2"], "--faults (2) must be smaller than --servers (2)"),
        (&["--world", "D"], "'D'"),
        (&["--tau", "0"], "'0' is out of range: expected a whole number of rounds from 1 to 2000"),
        (&["--tau", "-3"], "'-3' is negative"),
        (&["--servers", "-2"], "'-2' is negative"),
        (&["--servers", " 3"], "' 3' contains whitespace"),
        (&["--tau", "3 "], "'3 ' contains whitespace"),
        (&["--tau", "1,3"], "--tau takes one value"),
        (&["--stress", "--q", "1.5"], "probability"),
        (&["--world", "C", "--model", "crash"], "world C cannot be built with crash faults"),
        (&["--stress", "--servers", "200", "--faults", "10"], "--servers must be at most 32"),
        (&["--stress", "--servers", "32", "--faults", "31", "--tau", "2000"], "more than the 10000 allowed"),
        (&["--q", "0.5"], "--q goes with --stress"),
        (&["--runs", "10"], "--runs goes with --stress"),
        (&["--stress", "--world", "A"], "--world does not go with --stress"),
        (&["--stress", "--driver", "threads"], "--driver does not go with --stress"),
        (&["--stress", "--runs", "0"], "'0' is out of range"),
        (&["--stress", "--runs", "-5"], "'-5' is negative"),
        (&["--stress", "--runs", "1000000000000"], "expected a whole number of runs from 1 to 10000000"),
        (&["--stress", "--runs", "10000000"], "more than the 10000000000 allowed"),
        (&["--servers", "32", "--faults", "16", "--rounds", "10000"], "more than the 500000 allowed"),
        (&["--quiet"], "--quiet goes with --stress"),
        (&["--stress", "--faults", "3"], "--faults (3) must be smaller than --servers (3)"),
        (&["--rounds", "0"], "'0' is out of range"),
        (&["--protocol", "paxos"], "'paxos'"),
    ];
    for (args, expect) in cases {
        let out = faultline(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("faultline: ") && err.ends_with('\n'), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}

/// `faultline --help > /dev/full`: one line on stderr and exit 1, not a silent failure.
#[test]
fn help_that_cannot_be_written_says_so() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not Linux: nothing to write into that is always full
    };
    for args in [&["--help"][..], &["smr", "--help"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(args)
            .stdout(full.try_clone().expect("/dev/full can be shared"))
            .output()
            .expect("the binary runs");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("faultline: cannot write the help: "), "{args:?}: {err}");
    }
}

#[test]
fn replaying_a_stress_row_prints_the_failing_run_round_by_round() {
    let argv = [
        "replay",
        "smr",
        "--stress",
        "--runs",
        "200",
        "--protocol",
        "commit-alone",
        "--tau",
        "3",
        "--q",
        "0.5",
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_faultline")).args(argv).output().expect("the binary runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or_default();
    assert!(first.contains("is the first to fail") && first.contains("agreement NO"), "{text}");
    // The run itself, not only its verdict: the lost messages and what each client was told.
    assert!(text.contains("\n  round 0\n"), "{text}");
    assert!(text.lines().any(|l| l.trim_end().ends_with("DROPPED")), "{text}");
    let told = text.lines().find(|l| l.starts_with("  responses: ")).expect("the responses line");
    assert!(told.contains("c1: ") && told.contains("c2: "), "{text}");
}
