//! Runs you can replay: the configuration a run prints reads back, as JSON or TOML, and runs
//! exactly that run again; a run that saw a violation prints the line that replays it.

use std::process::Command;

fn faultline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-config-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_json_a_run_prints_reads_back_to_the_same_bytes() {
    let dir = scratch("json");
    for args in [
        &["--acquisitions", "2000", "--seed", "7", "--pause", "pareto:1.5:1.234567ms"][..],
        &["--variant", "lease-margin", "--margin", "0ms", "--pause-at", "p1", "--drift", "0.25"],
        &["--workload", "consensus", "--decide-by", "effect", "--instances", "300", "--lease", "7.5ms"],
        &[
            "--variant",
            "non-preemptive",
            "--crash",
            "2",
            "--partition",
            "storage:1ms..9ms",
            "--horizon",
            "2s",
        ],
        &["--delay", "exp:250us", "--drop", "0.01", "--links", "lock+storage", "--max-events", "900000"],
    ] {
        let first: Vec<&str> = ["lock"].into_iter().chain(args.iter().copied()).chain(["--json"]).collect();
        let out = faultline(&first);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let path = dir.join("run.json");
        std::fs::write(&path, &out.stdout).unwrap();
        let again = faultline(&["lock", "--config", path.to_str().unwrap(), "--json"]);
        assert!(again.status.success(), "{args:?}: {}", String::from_utf8_lossy(&again.stderr));
        assert_eq!(String::from_utf8_lossy(&again.stdout), String::from_utf8_lossy(&out.stdout), "{args:?}");
        // The configuration alone, as TOML, runs the same run.
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let config: faultline::lock::LockConfig = serde_json::from_value(report["config"].clone()).unwrap();
        let toml_path = dir.join("run.toml");
        std::fs::write(&toml_path, toml::to_string(&config).unwrap()).unwrap();
        let from_toml = faultline(&["lock", "--config", toml_path.to_str().unwrap(), "--json"]);
        assert!(from_toml.status.success(), "{args:?}: {}", String::from_utf8_lossy(&from_toml.stderr));
        assert_eq!(from_toml.stdout, out.stdout, "{args:?} via TOML");
    }
}

#[test]
fn a_bad_config_file_is_one_line_and_exit_2() {
    let dir = scratch("bad");
    std::fs::write(dir.join("partial.json"), r#"{"config": {"variant": "lease"}}"#).unwrap();
    std::fs::write(dir.join("typo.toml"), "variant = \"lease\"\nleese = \"1ms\"\n").unwrap();
    std::fs::write(dir.join("junk.json"), "{not json").unwrap();
    for args in [
        &["lock", "--config", "missing.json"][..],
        &["lock", "--config", "partial.json"],
        &["lock", "--config", "typo.toml"],
        &["lock", "--config", "junk.json"],
        &["lock", "--config", "partial.json", "--lease", "3ms"],
    ] {
        let out =
            Command::new(env!("CARGO_BIN_EXE_faultline")).current_dir(&dir).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_violation_prints_the_line_that_replays_it() {
    let out = faultline(&["lock", "--clients", "4", "--acquisitions", "3000"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("replay: ")).expect("a replay line");
    assert_eq!(line, "replay: faultline lock --clients 4 --acquisitions 3000 --seed 1");
    let args: Vec<&str> = line.trim_start_matches("replay: faultline ").split(' ').collect();
    assert_eq!(faultline(&args).stdout, out.stdout, "the replay is the same run");
    let clean = faultline(&["lock", "--variant", "non-preemptive", "--pause", "none"]);
    assert!(!String::from_utf8_lossy(&clean.stdout).contains("replay:"), "nothing to replay");
}
