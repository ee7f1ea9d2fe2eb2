//! Every run ends, whatever values it is given: refused with one line and exit 2, or run to a
//! stated ending (finished, horizon, event budget, quiescent) with exit 0. The wall-clock bound
//! here is a hang detector, not a speed goal: each command needs well under a second.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Far beyond what any command below needs; only a hang reaches it.
const HANG: Duration = Duration::from_secs(120);

/// Runs the binary with `args`, killing it if it outlives [`HANG`]; exit code, stdout, stderr.
fn run_bounded(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = Instant::now();
    while child.try_wait().expect("the child can be polled").is_none() {
        if started.elapsed() > HANG {
            let _ = child.kill();
            panic!("{args:?} was still running after {HANG:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("the child's output");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8 output");
    (out.status.code(), text(out.stdout), text(out.stderr))
}

/// The commands that once ran for hours or ate the machine, and the worst others we could find.
/// `Some(ending)`: runs and says it ended so; `None`: refused.
const CASES: &[(&[&str], Option<&str>)] = &[
    // 255 blocked clients re-sending every 20 ms for a 69,000 s horizon.
    (
        &[
            "lock",
            "--variant",
            "non-preemptive",
            "--crash",
            "1",
            "--clients",
            "256",
            "--workload",
            "consensus",
        ],
        Some("horizon reached"),
    ),
    // A renewal every nanosecond.
    (&["lock", "--renew", "1ns"], None),
    // A blocked client re-sending every microsecond.
    (&["lock", "--variant", "non-preemptive", "--crash", "1", "--retry", "1us"], Some("horizon reached")),
    // Sections longer than the simulator's range of time.
    (&["lock", "--lease", "5000000000s", "--work", "5000000000s"], Some("horizon reached")),
    (
        &["lock", "--variant", "non-preemptive", "--crash", "1", "--horizon", "15999999999s"],
        Some("horizon reached"),
    ),
    // Workloads no machine can run.
    (&["lock", "--acquisitions", "1000000000000000"], None),
    (&["lock", "--workload", "consensus", "--instances", "1000000000000000"], None),
    (&["lock", "--max-events", "0"], None),
    // Every message delayed for 31 years, or 100 s, while clients re-send every 20 ms.
    (&["lock", "--delay", "fixed:1000000000s"], Some("horizon reached")),
    (&["lock", "--delay", "fixed:100s"], Some("finished")),
    // Everything at once: many clients, re-sends every nanosecond, slow and lossy links.
    (
        &["lock", "--clients", "256", "--retry", "1ns", "--delay", "exp:1s", "--drop", "0.5"],
        // The re-send wait is capped, so even a request lost many times in a row gets through.
        Some("finished"),
    ),
    (
        &["lock", "--clients", "256", "--duplicate", "1", "--reorder", "1", "--delay", "pareto:0.5:1ms"],
        Some("finished"),
    ),
    (&["lock", "--clients", "256", "--lease", "1ns"], Some("finished")),
    (&["lock", "--clients", "256", "--pause", "pareto:0.1:1s"], Some("horizon reached")),
    // A budget too small for the workload: the figures so far, and a liveness verdict.
    (&["lock", "--max-events", "5000"], Some("event budget spent")),
    // Clients whose storage replies are lost with nobody re-sending: stuck, at a quiescent end.
    (&["lock", "--drop", "0.05", "--links", "storage", "--retry", "0", "--pause", "none"], Some("quiescent")),
    // The threads engine's horizon is wall time.
    (
        &["lock", "--engine", "threads", "--variant", "non-preemptive", "--crash", "1", "--horizon", "1s"],
        Some("horizon reached"),
    ),
];

#[test]
fn every_run_ends_with_a_stated_ending_or_is_refused() {
    for &(args, ending) in CASES {
        let (code, out, err) = run_bounded(args);
        match ending {
            Some(ending) => {
                assert_eq!(code, Some(0), "{args:?}: {err}");
                let run =
                    out.lines().find(|l| l.starts_with("run ")).unwrap_or_else(|| panic!("{args:?}: {out}"));
                assert!(run.contains(ending), "{args:?} should end '{ending}': {run}");
                if ending != "finished" {
                    assert!(
                        out.contains("LIVENESS VIOLATED") || out.contains("UNFINISHED"),
                        "{args:?} ended '{ending}' without saying what was left undone:\n{out}"
                    );
                }
            }
            None => {
                assert_eq!(code, Some(2), "{args:?}: {out}");
                assert!(out.is_empty(), "{args:?} wrote a report: {out}");
                assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            }
        }
    }
}

/// The event budget's ending in JSON says exactly what happened: the events processed are the
/// budget, and the acquisitions are those made before it ran out.
#[test]
fn a_spent_budget_reports_the_figures_so_far() {
    let (code, out, err) = run_bounded(&["lock", "--max-events", "5000", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["ending"], "event_budget");
    assert_eq!(v["engine_events"], 5000);
    let done = v["acquisitions"].as_u64().expect("a count");
    assert!(done > 0 && done < 10_000, "{done}");
    assert_eq!(v["config"]["max_events"], 5000);
}
