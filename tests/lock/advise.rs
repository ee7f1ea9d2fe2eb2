//! `faultline advise` (issue 16), through the binary: the answer against the closed form, the
//! refusals, and the alternatives beside the answer.
//!
//! The case is the one the closed form answers exactly: exponential stalls of mean `μ` = 5 ms at
//! P2, no work, 16 clients, so the overlap rate at a lease `L` is `exp(-L/μ)` and the shortest
//! lease meeting 10^-6 is `μ·ln 10^6` = 69.0776 ms.

use faultline::time::{MS, Nanos, parse_duration};
use serde_json::Value;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The mean of the exponential stalls.
const MU: Nanos = 5 * MS;
/// The lock-delay of the `lock-delay` alternative (its default).
const D: Nanos = 5 * MS;
/// The flags of the case, the target included.
const CASE: [&str; 9] =
    ["advise", "--clients", "16", "--pause", "exp:5ms", "--work", "0", "--target", "1e-6"];

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("the binary runs")
}

fn json(args: &[&str]) -> Value {
    let out = faultline(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

/// The lease that meets the target exactly: `exp(-L/μ) = 10^-6`.
fn exact() -> f64 {
    MU as f64 * 1e6_f64.ln()
}

fn nanos(v: &Value) -> Nanos {
    v.as_u64().unwrap_or_else(|| panic!("{v} is not a number of nanoseconds"))
}

#[test]
fn the_answer_holds_the_closed_form_within_what_the_rates_intervals_imply() {
    let args: Vec<&str> = CASE.iter().copied().chain(["--alone", "--json"]).collect();
    let v = json(&args);
    let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("{v} is not a string")).to_string();
    let lease = parse_duration(&text(&v["lease"])).expect("`lease` is a duration --lease takes");
    let [lo, hi] = [0, 1].map(|k| parse_duration(&text(&v["lease_ci95"][k])).expect("a duration"));
    assert_eq!(v["answer"]["lease_ns"], lease, "`lease` is the answer's lease");
    assert_eq!(v["alternatives"], Value::Array(vec![]), "--alone answers for the design only");
    let exact = exact();
    assert!(
        (lo as f64) < exact && exact < hi as f64,
        "the exact answer {exact:.0} ns is outside [{lo}, {hi}] (answer {lease})"
    );
    assert!(lo < lease && lease < hi, "the answer {lease} is not inside its interval [{lo}, {hi}]");
    // How wide the interval may be follows from the estimator's own interval for the rate at the
    // evaluation nearest the answer, [r_lo, r_hi] around r: the rate falls by a factor e every μ
    // of lease, so the interval's ends lie about μ·ln(r/r_lo) below the answer and μ·ln(r_hi/r)
    // above it (0.82 and 0.72 ms here). The search interpolates each end between two
    // evaluations, each with its own interval, so the slope it uses is uncertain by about as much
    // again (5.2 ms per factor e against μ = 5 ms here, which puts the lower end 0.86 ms below):
    // each end may lie as far as the whole width of the rate's interval, μ·ln(r_hi/r_lo), 1.54 ms
    // or 2.2% of the answer here, well within ±5%.
    let evaluations = v["answer"]["evaluations"].as_array().expect("the evaluations are listed");
    let nearest = evaluations
        .iter()
        .min_by_key(|e| nanos(&e["lease_ns"]).abs_diff(lease))
        .expect("the search evaluated at least one lease");
    let (r_lo, r_hi) = (nearest["ci95"][0].as_f64().unwrap(), nearest["ci95"][1].as_f64().unwrap());
    assert!(r_lo > 0.0 && r_hi > r_lo, "the rate's interval at the answer: {nearest}");
    let allowed = MU as f64 * (r_hi / r_lo).ln();
    let sides = [(lease - lo) as f64, (hi - lease) as f64];
    assert!(
        sides.iter().all(|&s| s <= allowed),
        "the interval [{lo}, {hi}] around {lease} reaches {sides:?} ns from it, more than the \
         {allowed:.0} ns the rate's interval [{r_lo:.4e}, {r_hi:.4e}] implies"
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let gc_log = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/gc/node-trace-gc.log");
    let pauses = format!("file:{gc_log}");
    let cases: Vec<Vec<&str>> = vec![
        vec!["--target", "0"],
        vec!["--target", "1"],
        vec!["--target", "1.5"],
        vec!["--target", "banana"],
        // Below 10^-15, deeper than the estimator's threshold search goes.
        vec!["--target", "1e-20"],
        vec![],
        // The lease is the answer, and the estimator is advise's own.
        vec!["--target", "1e-6", "--lease", "5ms"],
        vec!["--target", "1e-6", "--estimator", "rare"],
        // No lease to pick.
        vec!["--target", "1e-6", "--variant", "non-preemptive"],
        // 270 pauses, no fitted tail: nothing rarer than 1 in 270 is in the data.
        vec!["--pause", &pauses, "--target", "1e-6"],
    ];
    for args in &cases {
        let full: Vec<&str> = std::iter::once("advise").chain(args.iter().copied()).collect();
        let out = faultline(&full);
        let err = String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8");
        assert_eq!(out.status.code(), Some(2), "{full:?}: {err}");
        assert!(out.stdout.is_empty(), "{full:?} wrote to stdout");
        assert_eq!(err.lines().count(), 1, "{full:?}: {err}");
        assert!(err.starts_with("faultline: ") && err.ends_with('\n'), "{full:?}: {err}");
    }
}

/// The case with every alternative beside it, run once for the tests below.
fn alternatives() -> &'static Value {
    static ADVICE: OnceLock<Value> = OnceLock::new();
    ADVICE.get_or_init(|| {
        let args: Vec<&str> = CASE.iter().copied().chain(["--json"]).collect();
        json(&args)
    })
}

/// The row of `variant` judged by `measure`.
fn row(variant: &str, measure: &str) -> &'static Value {
    let v = alternatives();
    std::iter::once(&v["answer"])
        .chain(v["alternatives"].as_array().expect("alternatives are listed"))
        .find(|a| a["variant"] == variant && a["measure"] == measure)
        .unwrap_or_else(|| panic!("no row for {variant} / {measure} in {v}"))
}

/// A row's lease and its interval.
fn lease_of(a: &Value) -> (Nanos, [Nanos; 2]) {
    let ci = &a["lease_ci95_ns"];
    (nanos(&a["lease_ns"]), [nanos(&ci[0]), nanos(&ci[1])])
}

#[test]
fn a_lock_delay_buys_a_lease_shorter_by_d_and_the_same_time_down_after_a_crash() {
    let (lease, [lo, hi]) = lease_of(row("lease", "overlap"));
    let delayed = row("lock-delay", "overlap");
    assert_eq!(nanos(&delayed["lock_delay_ns"]), D);
    let (shorter, _) = lease_of(delayed);
    // S > L + D breaks it where S > L breaks the plain lease: shorter by D, within the plain
    // lease's own interval (both searches draw the same stalls).
    assert!(
        (lo..=hi).contains(&(shorter + D)),
        "lock-delay's lease {shorter} + D is outside the plain lease's interval [{lo}, {hi}] (lease {lease})"
    );
    // The lock stays down for the lease and then the delay: L + D, the plain lease's L. One
    // nanosecond for the round trip through the unavailable fraction of the run.
    let down = nanos(&delayed["unavailable_after_crash_ns"]);
    assert!(down.abs_diff(shorter + D) <= 1, "down {down} ns after a crash, lease + D is {}", shorter + D);
    let plain_down = nanos(&row("lease", "overlap")["unavailable_after_crash_ns"]);
    assert!(plain_down.abs_diff(lease) <= 1, "the plain lease is down {plain_down} ns, its lease {lease}");
}

#[test]
fn fenced_storage_needs_no_lease_and_its_sms_the_plain_one() {
    let storage = row("fenced", "stale_accepted");
    assert_eq!(storage["lease_ns"], Value::Null, "{storage}");
    assert_eq!(storage["lease_ci95_ns"], Value::Null, "{storage}");
    let said = storage["doubts"][0].as_str().unwrap_or_default();
    assert!(said.starts_with("met at every lease tried"), "{storage}");
    let (sms, [sms_lo, sms_hi]) = lease_of(row("fenced", "duplicate_effect"));
    let (lease, [lo, hi]) = lease_of(row("lease", "overlap"));
    assert!(
        (sms_lo..=sms_hi).contains(&lease) && (lo..=hi).contains(&sms),
        "the SMS's lease {sms} [{sms_lo}, {sms_hi}] and the plain lease {lease} [{lo}, {hi}] differ"
    );
}
