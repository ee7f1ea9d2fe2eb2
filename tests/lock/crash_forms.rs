//! Every form `--crash` takes runs, and the configuration a crashed run prints reads back through
//! `--config` to the same run, byte for byte.

use std::process::Command;

fn faultline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().unwrap()
}

#[test]
fn every_crash_form_reads_back_from_the_json_it_prints() {
    let dir = std::env::temp_dir().join(format!("faultline-crash-forms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.json");
    for (variant, crash) in [
        ("redlock", "server:2@0"),
        ("redlock", "server:2@0ms"),
        ("redlock", "server:*@30ms"),
        ("lease", "client:1@0s"),
        ("lease", "client:*@0"),
        ("lease", "3"),
        ("lease", "client:2@2"),
        ("non-preemptive", "client:2@1"),
    ] {
        let args = ["lock", "--variant", variant, "--crash", crash, "--acquisitions", "400", "--json"];
        let out = faultline(&args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(&path, &out.stdout).unwrap();
        let again = faultline(&["lock", "--config", path.to_str().unwrap(), "--json"]);
        assert!(again.status.success(), "{args:?} read back: {}", String::from_utf8_lossy(&again.stderr));
        assert_eq!(String::from_utf8_lossy(&again.stdout), String::from_utf8_lossy(&out.stdout), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bare_number_after_a_named_client_is_an_acquisition_from_1() {
    let out = faultline(&["lock", "--crash", "client:1@0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("client:1@0s"), "the error shows the form that means time 0: {err}");
}
