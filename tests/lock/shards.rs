//! Sweeps that leave one machine: a grid run as four shards in four processes, two told their
//! slice by a Slurm array and two by a Kubernetes Indexed Job (`--shard auto`), merged by
//! `faultline merge` into the bytes of the one-process run; and merges that must not happen
//! (a shard missing, shards of another grid or another version) refused in one line.

use faultline::sweep::shard::{
    JOB_INDEX, SHARDS_VAR, SLURM_COUNT, SLURM_ID, SLURM_MAX, SLURM_MIN, SLURM_STEP,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-shards-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary in `dir` with `vars` as the only scheduler variables it sees (the test may itself
/// run inside a Slurm job).
fn faultline(dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_faultline"));
    command.current_dir(dir).args(args);
    for var in [SLURM_ID, SLURM_MIN, SLURM_MAX, SLURM_COUNT, SLURM_STEP, JOB_INDEX, SHARDS_VAR] {
        command.env_remove(var);
    }
    command.envs(vars.iter().copied());
    command
}

fn ok(out: Output, what: &str) -> String {
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stderr).unwrap()
}

/// Exit 2 with one line on stderr, which is returned without its `faultline: `.
fn refused(out: Output, what: &str) -> String {
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
    err.strip_prefix("faultline: ").unwrap_or(&err).to_string()
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const GRID: &str = "laboratory = \"lock\"\nrepetitions = 2\nseed = 5\n[axes]\nvariant = [\"lease\", \"fenced\"]\nlease = \"2ms..8ms:3\"\nacquisitions = 2000\n";

#[test]
fn four_processes_told_their_shard_by_slurm_and_kubernetes_merge_into_the_one_process_run() {
    let dir = scratch("merge");
    std::fs::write(dir.join("grid.toml"), GRID).unwrap();
    std::fs::write(dir.join("other.toml"), GRID.replace("seed = 5", "seed = 6")).unwrap();
    let shard = |vars: &[(&str, &str)], out: &str| {
        faultline(&dir, vars, &["sweep", "--grid", "grid.toml", "--shard", "auto", "--quiet", "--out", out])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let slurm = |id| [(SLURM_ID, id), (SLURM_MIN, "1"), (SLURM_MAX, "4"), (SLURM_COUNT, "4")];
    let kubernetes = |index| [(JOB_INDEX, index), (SHARDS_VAR, "4")];
    // Four processes at once, as a cluster runs them.
    let running = [
        shard(&slurm("1"), "f-1.csv"),
        shard(&slurm("2"), "f-2.csv"),
        shard(&kubernetes("2"), "f-3.csv"),
        shard(&kubernetes("3"), "f-4.csv"),
    ];
    let said: Vec<String> =
        running.into_iter().map(|child| ok(child.wait_with_output().unwrap(), "a shard")).collect();
    assert_eq!(
        said[1].lines().next(),
        Some(
            "shard 2/4 from the Slurm array (SLURM_ARRAY_TASK_ID=2, SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_COUNT=4)"
        )
    );
    assert_eq!(
        said[2].lines().next(),
        Some("shard 3/4 from the Kubernetes Indexed Job (JOB_COMPLETION_INDEX=2, FAULTLINE_SHARDS=4)")
    );
    ok(
        faultline(&dir, &[], &["sweep", "--grid", "grid.toml", "--quiet", "--out", "whole.csv"])
            .output()
            .unwrap(),
        "whole",
    );
    let merge = |files: &[&str]| {
        let args: Vec<&str> =
            ["merge"].into_iter().chain(files.iter().copied()).chain(["--out", "merged.csv"]).collect();
        faultline(&dir, &[], &args).output().unwrap()
    };
    ok(merge(&["f-3.csv", "f-1.csv", "f-4.csv", "f-2.csv"]), "merge");
    assert_eq!(read(&dir, "merged.csv"), read(&dir, "whole.csv"), "the CSV");
    assert_eq!(read(&dir, "merged.json"), read(&dir, "whole.json"), "the JSON, identity included");
    let json: serde_json::Value = serde_json::from_slice(&read(&dir, "f-3.json")).unwrap();
    assert_eq!(json["sweep"]["shard"], "3/4");
    assert_eq!(json["sweep"]["runs"], 3, "12 runs in 4 shards");
    std::fs::remove_file(dir.join("merged.csv")).unwrap();

    // A shard missing is named by its index.
    let err = refused(merge(&["f-1.csv", "f-2.csv", "f-4.csv"]), "a shard missing");
    assert_eq!(err, "missing shard 3/4: merge all of them\n");
    // A shard of another grid: the same split of a grid with another seed.
    ok(
        faultline(
            &dir,
            &[],
            &["sweep", "--grid", "other.toml", "--shard", "2/4", "--quiet", "--out", "o-2.csv"],
        )
        .output()
        .unwrap(),
        "the other grid",
    );
    let err = refused(merge(&["f-1.csv", "o-2.csv", "f-3.csv", "f-4.csv"]), "another grid");
    assert!(err.starts_with("o-2.csv is a shard of another grid (digest "), "{err}");
    assert!(err.contains(") than f-1.csv ("), "{err}");
    // A shard written by another version of faultline.
    std::fs::create_dir(dir.join("old")).unwrap();
    std::fs::copy(dir.join("f-2.csv"), dir.join("old/f-2.csv")).unwrap();
    let json = String::from_utf8(read(&dir, "f-2.json")).unwrap();
    let version = format!("\"faultline\": \"{}\"", faultline::sweep::identity::VERSION);
    assert!(json.contains(&version), "{json}");
    std::fs::write(dir.join("old/f-2.json"), json.replace(&version, "\"faultline\": \"0.0.1\"")).unwrap();
    let err = refused(merge(&["f-1.csv", "old/f-2.csv", "f-3.csv", "f-4.csv"]), "another version");
    assert!(err.starts_with("old/f-2.csv was written by faultline 0.0.1, f-1.csv by "), "{err}");
    // A shard given twice.
    std::fs::copy(dir.join("f-2.csv"), dir.join("again.csv")).unwrap();
    std::fs::copy(dir.join("f-2.json"), dir.join("again.json")).unwrap();
    let err = refused(merge(&["f-1.csv", "f-2.csv", "again.csv", "f-3.csv", "f-4.csv"]), "a repeat");
    assert_eq!(err, "f-2.csv and again.csv are both shard 2/4\n");
    assert!(!dir.join("merged.csv").exists(), "a refused merge writes nothing");
    // Tables with no JSON beside them (made by hand) merge on their rows alone, and it is said.
    std::fs::create_dir(dir.join("bare")).unwrap();
    for k in 1..=4 {
        std::fs::copy(dir.join(format!("f-{k}.csv")), dir.join(format!("bare/f-{k}.csv"))).unwrap();
    }
    let out = merge(&["bare/f-1.csv", "bare/f-2.csv", "bare/f-3.csv", "bare/f-4.csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no JSON beside the shards says which sweep they are")
    );
    assert_eq!(read(&dir, "merged.csv"), read(&dir, "whole.csv"));
    let err = refused(merge(&["f-1.csv", "bare/f-2.csv", "f-3.csv", "f-4.csv"]), "one without identity");
    assert!(
        err.starts_with("bare/f-2.csv has no sweep identity beside it (bare/f-2.json) but f-1.csv has"),
        "{err}"
    );
}

#[test]
fn auto_without_a_scheduler_or_with_bad_values_is_refused_in_one_line() {
    let dir = scratch("auto");
    let sweep = |vars: &[(&str, &str)]| {
        faultline(
            &dir,
            vars,
            &["sweep", "lock", "--acquisitions", "100", "--shard", "auto", "--out", "x.csv"],
        )
        .output()
        .unwrap()
    };
    let err = refused(sweep(&[]), "no scheduler");
    assert!(err.contains(SLURM_ID) && err.contains(JOB_INDEX), "{err}");
    refused(sweep(&[(SLURM_ID, "9"), (SLURM_MIN, "1"), (SLURM_COUNT, "8")]), "out of range");
    refused(sweep(&[(SLURM_ID, "two"), (SLURM_MIN, "1"), (SLURM_COUNT, "8")]), "not a number");
    refused(sweep(&[(JOB_INDEX, "0"), (SHARDS_VAR, "0")]), "no shards");
    refused(sweep(&[(JOB_INDEX, "0")]), "no count");
    assert!(!dir.join("x.csv").exists());
}
