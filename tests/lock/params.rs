//! A design's own parameters travel in the configuration: `--param` sets them, `--json` writes
//! them, `--config` reads them back, sweeps list them, and a name the design does not declare is
//! one line and exit 2 (issue 15: each value of a grace period needed its own registered design).

use faultline::lock::design::{LockDesign, LockService, LockStub, Timing, register};
use faultline::lock::server::{LockServer, ServerPolicy};
use faultline::lock::topology::Topology;
use faultline::lock::{EngineKind, LockConfig, Param, Variant};
use faultline::time::MS;
use std::sync::OnceLock;

/// A lease that the server keeps `extra` longer than it is.
#[derive(Debug)]
struct KeptLease;

const EXTRA: Param = Param::duration("extra", "how much longer the server keeps the lock", 0);

impl LockDesign for KeptLease {
    fn name(&self) -> &str {
        "kept-lease"
    }
    fn about(&self) -> &str {
        "a lease the server keeps for L + extra (a test design)"
    }
    fn params(&self) -> &[Param] {
        &[EXTRA]
    }
    fn server(&self, cfg: &LockConfig, _index: usize, topology: &Topology) -> Box<dyn LockService> {
        let kept = cfg.lease.map(|l| l + EXTRA.duration_in(cfg));
        Box::new(LockServer::new(ServerPolicy { lease: kept, lock_delay: 0 }, *topology))
    }
    fn stub(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockStub> {
        Variant::LEASE.design().stub(cfg, index, topology)
    }
    fn timing(&self, _cfg: &LockConfig) -> Option<Timing> {
        None
    }
}

fn kept_lease() -> Variant {
    static VARIANT: OnceLock<Variant> = OnceLock::new();
    *VARIANT.get_or_init(|| register(KeptLease).expect("the name is free"))
}

/// `faultline ARGS` in this process, where the design is registered: (exit code, stdout, stderr).
fn faultline(args: &[&str]) -> (u8, String, String) {
    kept_lease();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("faultline").chain(args.iter().copied());
    let code = faultline::cli::main_with(argv, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn a_parameter_is_set_written_and_read_back() {
    let (code, json, err) = faultline(&[
        "lock",
        "--variant",
        "kept-lease",
        "--param",
        "extra=1.5ms",
        "--acquisitions",
        "500",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["config"]["params"], serde_json::json!({"extra": "1.5ms"}));
    let path = std::env::temp_dir().join(format!("faultline-params-{}.json", std::process::id()));
    std::fs::write(&path, &json).unwrap();
    let (code, again, err) = faultline(&["lock", "--config", path.to_str().unwrap(), "--json"]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again, json, "the parameter reads back to the same run");
    let config: LockConfig = serde_json::from_value(report["config"].clone()).unwrap();
    let toml = toml::to_string(&config).unwrap();
    assert_eq!(toml::from_str::<LockConfig>(&toml).unwrap(), config, "and through TOML:\n{toml}");
    // The default when not given; and none at all in the JSON of a design without parameters.
    let defaults = LockConfig::new(kept_lease(), EngineKind::Sim);
    assert_eq!(EXTRA.duration_in(&defaults), 0);
    let (_, lease, _) = faultline(&["lock", "--acquisitions", "500", "--json"]);
    assert!(!lease.contains("\"params\""), "{lease}");
}

#[test]
fn the_parameter_reaches_the_design() {
    let mut cfg = LockConfig::new(kept_lease(), EngineKind::Sim);
    cfg.acquisitions = 2_000;
    let plain = faultline::lock::run(&cfg).unwrap().metrics;
    cfg.set_param("extra", "50ms").unwrap();
    cfg.validate().unwrap();
    let kept = faultline::lock::run(&cfg).unwrap().metrics;
    assert!(plain.overlaps > 0, "{plain:?}");
    assert_eq!(kept.overlaps, 0, "a lock kept 50ms past the lease outlasts exp(5ms) stalls: {kept:?}");
}

#[test]
fn a_parameter_the_design_lacks_is_one_line_and_exit_2() {
    for (args, says) in [
        (
            &["lock", "--variant", "kept-lease", "--param", "extar=1ms"][..],
            "has no parameter 'extar' (it has extra)",
        ),
        (&["lock", "--variant", "kept-lease", "--param", "extra=0.5"], "takes a duration for extra"),
        (&["lock", "--param", "extra=1ms"], "--param does not apply to the lease design"),
        (&["lock", "--variant", "kept-lease", "--param", "extra"], "expected NAME=VALUE"),
    ] {
        let (code, out, err) = faultline(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.is_empty());
    }
}

#[test]
fn a_configuration_saved_without_parameters_still_loads() {
    let mut cfg = serde_json::to_value(LockConfig::new(kept_lease(), EngineKind::Sim)).unwrap();
    cfg.as_object_mut().unwrap().remove("params");
    let back: LockConfig = serde_json::from_value(cfg).unwrap();
    assert_eq!(back.validate(), Ok(()));
    assert_eq!(EXTRA.duration_in(&back), 0, "the declared default");
    // Another design brings its own parameters (none), and refuses ones it does not declare.
    let mut set = back.clone();
    set.set_param("extra", "2ms").unwrap();
    assert!(set.with_variant(Variant::LEASE).params.is_empty());
    let mut forced = set.clone();
    forced.variant = Variant::LEASE;
    assert!(forced.validate().is_err(), "the lease declares no extra");
    assert_eq!(EXTRA.duration_in(&set), 2 * MS);
}

#[test]
fn a_sweep_lists_a_parameter_and_writes_it_per_row() {
    let (code, csv, err) = faultline(&[
        "sweep",
        "lock",
        "--variant",
        "kept-lease,lease",
        "--param",
        "extra=1ms,extra=2ms",
        "--acquisitions",
        "300",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut table = csv::Reader::from_reader(csv.as_bytes());
    let headers = table.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name}"));
    let (status, variant, extra) = (at("status"), at("config.variant"), at("config.params.extra"));
    let rows: Vec<(String, String)> = table
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[status] == "ok")
        .map(|r| (r[variant].to_string(), r[extra].to_string()))
        .collect();
    let expected = [("kept-lease", "1ms"), ("kept-lease", "2ms"), ("lease", "")];
    assert_eq!(rows, expected.map(|(v, e)| (v.to_string(), e.to_string())), "{csv}");
}
