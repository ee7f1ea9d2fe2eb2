//! The binary's contract: what it prints, where, and with which exit code.

use std::process::{Command, Output};

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = faultline(args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

#[test]
fn json_has_the_required_keys() {
    let v = json(&["lock", "--acquisitions", "2000", "--json"]);
    for key in [
        "acquisitions",
        "overlaps",
        "overlap_rate",
        "overlap_rate_ci95",
        "stale_accepted",
        "stale_rejected",
        "lost_updates",
        "duplicate_effects",
        "aborts",
        "blocked",
        "disagreements",
        "config",
        "seed",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    let ci = v["overlap_rate_ci95"].as_array().expect("overlap_rate_ci95 is an array");
    assert_eq!(ci.len(), 2);
    assert!(ci.iter().all(|x| x.is_f64()));
    assert_eq!(v["acquisitions"], 2000);
}

#[test]
fn flags_reach_the_configuration() {
    let v = json(&[
        "lock",
        "--variant",
        "fenced",
        "--clients",
        "3",
        "--lease",
        "20ms",
        "--acquisitions",
        "300",
        "--seed",
        "9",
        "--json",
    ]);
    assert_eq!(v["config"]["variant"], "fenced");
    assert_eq!(v["config"]["clients"], 3);
    assert_eq!(v["config"]["lease"], "20ms");
    assert_eq!(v["seed"], 9);
}

#[test]
fn a_seed_replays_byte_for_byte() {
    let args = ["lock", "--acquisitions", "2000", "--seed", "7", "--json"];
    let (a, b) = (faultline(&args), faultline(&args));
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn the_table_names_every_metric() {
    let out = faultline(&["lock", "--acquisitions", "2000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stderr.is_empty());
    let text = stdout(&out);
    for name in [
        "lease on sim",
        "acquisitions",
        "overlaps",
        "stale accepted",
        "stale rejected",
        "lost updates",
        "duplicate effects",
        "aborts",
        "blocked",
        "95% CI",
        "acquire latency",
        "unavailable",
    ] {
        assert!(text.contains(name), "{name} missing from\n{text}");
    }
    assert!(text.contains("SAFETY VIOLATED") || text.contains("safe and live"), "{text}");
}

#[test]
fn consensus_table_shows_disagreements() {
    let out = faultline(&["lock", "--workload", "consensus", "--decide-by", "effect", "--instances", "200"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("disagreements"));
}

#[test]
fn no_subcommand_prints_the_demonstration() {
    let out = faultline(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!out.stdout.is_empty());
}

#[test]
fn help_shows_examples() {
    let out = faultline(&["lock", "--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("Examples:") && text.contains("--partition"), "{text}");
    // The designs are listed from the registry, each with its line.
    let designs = faultline::lock::design::all();
    let w = designs.iter().map(|v| v.name().len()).max().unwrap();
    for variant in designs {
        let line = format!("  {:w$}  {}", variant.name(), variant.design().about());
        assert!(text.contains(&line), "{line:?} missing from\n{text}");
    }
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let cases: &[&[&str]] = &[
        &["--clients", "1"],
        &["--lease", "0ms"],
        &["--lease", "10"],
        &["--pause", "gauss:1ms"],
        &["--drop", "1.5"],
        &["--variant", "non-preemptive", "--lease", "5ms"],
        &["--margin", "20ms", "--variant", "lease-margin"],
        &["--no-such-flag"],
        &["--partition", "lock:50ms..10ms"],
        &["--decide-by", "effect"],
        &["--workload", "consensus", "--acquisitions", "10"],
        &["--instances", "10"],
        &["--variant", "sometimes"],
        // Faults aimed at nodes the world does not have, or named wrongly.
        &["--variant", "redlock", "--crash", "server:7@10ms"],
        &["--crash", "server:2@10ms"],
        &["--crash", "client:0@3"],
        &["--crash", "client:3@2"],
        &["--crash", "disk:1@10ms"],
        &["--crash", "server:1@3"],
        &["--stall", "client:9:5ms@1ms"],
        &["--stall", "server:1:5ms"],
        &["--clock-jump", "server:1:5ms@1ms"],
        &["--clock-jump", "gremlin:1:+5ms@1ms"],
        &["--clock-drift", "server:1:1.5"],
        &["--partition", "client:1|server:4:0..1ms"],
        &["--partition", "client:1|printer:0..1ms"],
        &["--servers", "3"],
        &["--variant", "redlock", "--servers", "0"],
        &["--variant", "redlock", "--renew", "1ms"],
    ];
    for args in cases {
        let full: Vec<&str> = std::iter::once("lock").chain(args.iter().copied()).collect();
        let out = faultline(&full);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{full:?}: {err}");
        assert!(out.stdout.is_empty(), "{full:?} wrote to stdout");
        assert_eq!(err.lines().count(), 1, "{full:?}: {err}");
        assert!(err.starts_with("faultline: "), "{full:?}: {err}");
        assert!(err.ends_with('\n'));
    }
}

#[test]
fn threads_engine_runs_and_finishes() {
    let v = json(&["lock", "--engine", "threads", "--acquisitions", "50", "--json"]);
    assert_eq!(v["config"]["engine"], "threads");
    assert!(v["acquisitions"].as_u64().unwrap() >= 1);
}
