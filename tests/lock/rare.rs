//! The rare-event estimator (`--estimator rare`, issue 16) against what it must agree with: the
//! closed forms where a rate is too small to count (10^-6 to 10^-9), counting where counting can
//! run (10^-2 to 10^-3, designs without a closed form included), the command line's refusals,
//! the replay line and determinism, and a configuration whose assumptions fail, which must be
//! reported as doubts. Every tolerance is the interval the estimator reports.

use faultline::fault::Dist;
use faultline::lock::predict::predict;
use faultline::lock::rare::{Estimator, RareReport, Tilt, Weighed};
use faultline::lock::{EngineKind, LockConfig, LockReport, Variant};
use faultline::time::{MS, Nanos};
use std::process::{Command, Output};

/// The mean of the exponential stalls.
const MU: Nanos = 5 * MS;

/// 16 clients contending for `variant` with stalls `pause` at P2 and no work, on the simulator,
/// under the rare-event estimator with its proposal still to be searched for.
fn rare(variant: Variant, pause: Dist, lease: Nanos, acquisitions: u64) -> LockConfig {
    let mut cfg = LockConfig::new(variant, EngineKind::Sim);
    cfg.clients = 16;
    cfg.work = 0;
    cfg.pause = pause;
    cfg.lease = Some(lease);
    cfg.acquisitions = acquisitions;
    cfg.estimator = Estimator::Rare(None);
    cfg
}

/// The lease beyond which an exponential stall lies with probability `p`: `μ·ln(1/p)`.
fn exp_lease(p: f64) -> Nanos {
    (MU as f64 * (1.0 / p).ln()).round() as Nanos
}

/// The Pareto law of the tests: shape 2, scale 1 ms (a mean, a variance, and a heavy tail).
fn pareto() -> Dist {
    Dist::Pareto { alpha: 2.0, scale: MS }
}

/// The lease beyond which a Pareto(α, x_m) stall lies with probability `p`: `x_m·p^(-1/α)`.
fn pareto_lease(p: f64) -> Nanos {
    (MS as f64 * p.powf(-1.0 / 2.0)).round() as Nanos
}

/// The overlap estimate of a rare run, and the estimator's report.
fn overlap(report: &LockReport) -> (Weighed, &RareReport) {
    let rare = report.metrics.rare.as_ref().expect("a rare run reports its weights");
    let (_, w) = rare.kinds.iter().find(|(k, _)| k == "overlap").expect("overlaps are estimated");
    let rate = report.metrics.rates.overlap;
    assert_eq!((rate.rate, rate.ci95), (w.rate, w.ci95), "the overlap rate is the estimate");
    (*w, rare)
}

fn show(w: &Weighed, rare: &RareReport) -> String {
    format!(
        "estimate {:.4e} [{:.4e}, {:.4e}], ess {:.0}, top share {:.4}, threshold {} ns, share {}, \
         {} of {} long stalls broke the lock, doubts {:?}",
        w.rate,
        w.ci95[0],
        w.ci95[1],
        w.ess,
        w.top_share,
        rare.threshold_ns,
        rare.share,
        rare.long_hits,
        rare.long_stalls,
        rare.doubts
    )
}

/// Runs `cfg` and checks its overlap estimate against the closed form: the form gives `p` (the
/// lease was chosen from it), the 95% interval contains it and is at most a fifth of the
/// estimate wide on each side, and the estimator has no doubt about it.
fn against_the_closed_form(what: &str, cfg: &LockConfig, p: f64) {
    let truth = predict(cfg).and_then(|p| p.overlap_rate).expect("a closed form covers it");
    assert!((truth / p - 1.0).abs() < 1e-6, "{what}: the lease gives {truth:e}, not {p:e}");
    let start = std::time::Instant::now();
    let report = faultline::lock::run(cfg).expect("valid configuration");
    let (w, rare) = overlap(&report);
    println!("{what}: truth {truth:.4e}, {} ({:.2?})", show(&w, rare), start.elapsed());
    assert!(rare.doubts.is_empty(), "{what}: {}", show(&w, rare));
    assert!(w.ci95[0] <= truth && truth <= w.ci95[1], "{what}: truth {truth:e} outside, {}", show(&w, rare));
    assert!(
        w.rate - w.ci95[0] <= 0.2 * w.rate && w.ci95[1] - w.rate <= 0.2 * w.rate,
        "{what}: the interval is wider than a fifth of the estimate, {}",
        show(&w, rare)
    );
}

/// Exponential stalls, `L = μ·ln(1/p)`: 20 000 acquisitions reach 10^-9.
#[test]
fn exponential_stalls_match_the_closed_form_down_to_1e_9() {
    for p in [1e-6, 1e-8, 1e-9] {
        let cfg = rare(Variant::LEASE, Dist::Exp { mean: MU }, exp_lease(p), 20_000);
        against_the_closed_form(&format!("lease, exp(5ms), p = {p:e}"), &cfg, p);
    }
}

/// Pareto(2, 1 ms) stalls, `L = x_m·p^(-1/2)`: 1 s at 10^-6, 31.6 s at 10^-9. The search stops
/// one decade short of the violation threshold (a long stall there breaks the lock a tenth of the
/// time), so 50 000 acquisitions are needed for a fifth.
#[test]
fn pareto_stalls_match_the_closed_form_at_1e_6_and_1e_9() {
    for p in [1e-6, 1e-9] {
        let cfg = rare(Variant::LEASE, pareto(), pareto_lease(p), 50_000);
        against_the_closed_form(&format!("lease, pareto(2, 1ms), p = {p:e}"), &cfg, p);
    }
}

/// Pareto(2, 1 ms) at 10^-8 (`L` = 10 s). This once failed on seed 1, and not by chance: the
/// pilot search counted windows with a finding over long stalls, and a stall of over 10 s kept
/// one window open while thousands of sections passed, so at the right threshold 245 of 248 long
/// stalls broke the lock but read as 1/248; the search went on to a threshold of 10^6 s and the
/// estimate came out 10^10 too small with no doubt. The search now counts the long stalls whose
/// own section broke the lock, and a window spreads only along overlaps.
#[test]
fn pareto_stalls_match_the_closed_form_at_1e_8() {
    let p = 1e-8;
    let cfg = rare(Variant::LEASE, pareto(), pareto_lease(p), 50_000);
    against_the_closed_form(&format!("lease, pareto(2, 1ms), p = {p:e}"), &cfg, p);
}

/// Lock-delay D = 5 ms moves the threshold to `L + D - w`: `L = μ·ln(10^9) - D`.
#[test]
fn lock_delay_matches_the_closed_form_at_1e_9() {
    let p = 1e-9;
    let d = 5 * MS;
    let mut cfg = rare(Variant::LOCK_DELAY, Dist::Exp { mean: MU }, exp_lease(p) - d, 20_000);
    cfg.lock_delay = d;
    against_the_closed_form(&format!("lock-delay 5ms, exp(5ms), p = {p:e}"), &cfg, p);
}

/// Runs `cfg` counting over `counted` acquisitions and estimating over `estimated`, and checks
/// that the two 95% intervals of the overlap rate meet.
fn against_counting(what: &str, cfg: &LockConfig, counted: u64, estimated: u64) {
    let start = std::time::Instant::now();
    let mut count = cfg.clone();
    count.estimator = Estimator::Count;
    count.acquisitions = counted;
    let c = faultline::lock::run(&count).expect("valid configuration").metrics.rates.overlap;
    let counting = start.elapsed();
    let mut est = cfg.clone();
    est.acquisitions = estimated;
    let report = faultline::lock::run(&est).expect("valid configuration");
    let (w, rare) = overlap(&report);
    println!(
        "{what}: counted {} of {} = {:.4e} [{:.4e}, {:.4e}] ({counting:.2?}); {} ({:.2?})",
        c.count,
        c.of,
        c.rate,
        c.ci95[0],
        c.ci95[1],
        show(&w, rare),
        start.elapsed() - counting
    );
    assert!(c.count >= 50, "{what}: too few counted for a comparison: {}", c.count);
    assert!(rare.doubts.is_empty(), "{what}: {}", show(&w, rare));
    assert!(
        w.ci95[0] <= c.ci95[1] && c.ci95[0] <= w.ci95[1],
        "{what}: counting {:.4e} [{:.4e}, {:.4e}] and the estimator disagree: {}",
        c.rate,
        c.ci95[0],
        c.ci95[1],
        show(&w, rare)
    );
}

/// The lease at 10^-3, exponential and Pareto stalls (the heavy tail's long stalls last long).
#[test]
fn the_lease_agrees_with_counting() {
    let p = 1e-3;
    let exp = rare(Variant::LEASE, Dist::Exp { mean: MU }, exp_lease(p), 0);
    against_counting("lease, exp(5ms), p = 1e-3", &exp, 100_000, 20_000);
    let heavy = rare(Variant::LEASE, pareto(), pareto_lease(p), 0);
    against_counting("lease, pareto(2, 1ms), p = 1e-3", &heavy, 100_000, 20_000);
}

/// Redlock polling at its default `--retry 20ms` (three servers), L = 25 ms: about 5.5·10^-3.
#[test]
fn redlock_agrees_with_counting() {
    let cfg = rare(Variant::REDLOCK, Dist::Exp { mean: MU }, 25 * MS, 0);
    assert_eq!(cfg.retry, 20 * MS);
    against_counting("redlock, exp(5ms), L = 25ms", &cfg, 20_000, 20_000);
}

/// A lease with a margin of 3 ms and client clocks 1% slow, stalls at P2; and a lease renewed
/// every 5 ms over 2 ms of work. L = 25 ms: about 6.6·10^-3 each.
#[test]
fn a_drifting_margin_and_a_renewed_lease_agree_with_counting() {
    let mut margin = rare(Variant::LEASE_MARGIN, Dist::Exp { mean: MU }, 25 * MS, 0);
    margin.margin = Some(3 * MS);
    margin.drift = 0.01;
    against_counting("lease-margin 3ms, drift 0.01, exp(5ms) at P2, L = 25ms", &margin, 20_000, 20_000);
    let mut renewed = rare(Variant::LEASE, Dist::Exp { mean: MU }, 25 * MS, 0);
    renewed.renew = 5 * MS;
    renewed.work = 2 * MS;
    assert!(predict(&renewed).is_none(), "no closed form covers renewals");
    against_counting("lease renewed every 5ms, w = 2ms, exp(5ms), L = 25ms", &renewed, 20_000, 20_000);
}

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// An unknown estimator, the threads engine, and stalls that are never drawn are refused with
/// exit code 2 and one line on stderr.
#[test]
fn bad_estimator_input_is_refused_in_one_line() {
    for (args, says) in [
        (&["lock", "--estimator", "banana"][..], "banana"),
        (&["lock", "--estimator", "rare", "--engine", "threads"][..], "simulator"),
        (&["lock", "--estimator", "rare", "--pause", "none"][..], "--pause"),
        (&["lock", "--estimator", "rare:90ms:0.5"][..], "0.0625"),
    ] {
        let out = faultline(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// A rare run that breaks the lock prints the line that replays it, with the estimator and the
/// seed; the same flags and seed print the same JSON byte for byte (the pilot search included),
/// and the proposal the search chose, given back as `rare:THRESHOLD:SHARE`, reproduces the run.
#[test]
fn a_rare_run_replays() {
    let flags = ["lock", "--clients", "16", "--lease", "30ms", "--work", "0", "--estimator", "rare"];
    let flags = [&flags[..], &["--acquisitions", "5000"]].concat();
    let out = faultline(&flags);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let line = text.lines().find(|l| l.starts_with("replay: faultline lock ")).expect("a replay line");
    assert!(line.contains("--estimator rare") && line.ends_with("--seed 1"), "{line}");

    let replay: Vec<&str> = line.split(' ').skip(2).collect();
    let json = [&replay[..], &["--json"]].concat();
    let (a, b) = (faultline(&json), faultline(&json));
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout, "the same flags and seed print the same JSON");
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("one JSON object");
    assert!(v["overlaps"].as_u64().unwrap() > 0, "the run broke the lock");
    assert_eq!(v["estimator"], "rare");
    let chosen = v["config"]["estimator"].as_str().expect("the resolved proposal").to_string();
    assert!(chosen.starts_with("rare:"), "{chosen}");

    let fixed: Vec<&str> = json.iter().map(|&w| if w == "rare" { chosen.as_str() } else { w }).collect();
    let c = faultline(&fixed);
    assert!(c.status.success(), "{}", stderr(&c));
    assert_eq!(c.stdout, a.stdout, "the printed proposal is the one the search chose");
}

/// The library: the same configuration and seed give the same report, pilots and all; another
/// seed another run.
#[test]
fn a_rare_run_is_deterministic() {
    let cfg = rare(Variant::LEASE, pareto(), pareto_lease(1e-4), 5_000);
    let a = faultline::lock::run(&cfg).unwrap();
    assert_eq!(a, faultline::lock::run(&cfg).unwrap());
    assert!(matches!(a.config.estimator, Estimator::Rare(Some(_))));
    let mut other = cfg.clone();
    other.seed = 2;
    assert_ne!(a.metrics, faultline::lock::run(&other).unwrap().metrics);
}

/// 16 clients, lease 40.56 ms (exp(5 ms) stalls at P2, no work: 3·10^-4), 20 000 acquisitions,
/// under a proposal fixed far above the violation threshold: 80 ms, with share `share`.
fn above_the_violations(share: f64, seed: u64) -> LockConfig {
    let mut cfg = rare(Variant::LEASE, Dist::Exp { mean: MU }, exp_lease(3e-4), 20_000);
    cfg.estimator = Estimator::Rare(Some(Tilt { threshold: 80 * MS, share }));
    cfg.seed = seed;
    cfg
}

/// Runs [`above_the_violations`] and says whether the report doubts its overlap estimate.
fn doubted(share: f64, seed: u64) -> bool {
    let cfg = above_the_violations(share, seed);
    let report = faultline::lock::run(&cfg).unwrap();
    let (w, rare) = overlap(&report);
    let truth = predict(&cfg).unwrap().overlap_rate.unwrap();
    println!("threshold 80ms, share {share}, seed {seed}: truth {truth:.4e}, {}", show(&w, rare));
    assert_eq!(rare.threshold_ns, 80 * MS, "a fixed proposal is not searched for");
    let doubted = rare.doubts.iter().any(|d| d.starts_with("overlap: "));
    assert_eq!(doubted, w.doubt().is_some());
    doubted
}

/// A threshold far above the violation threshold (assumption 3 fails): the violations come from
/// stalls between 40.56 and 80 ms, drawn at weight 1, about six in the run, while the tilted
/// stalls beyond 80 ms weigh 10^-5 each. A handful of findings carry the estimate, and the
/// report must say it is not to be trusted. Share 0.01 (what a run of 200 000 acquisitions gets).
#[test]
fn a_threshold_above_the_violations_is_doubted() {
    for seed in 1..=3 {
        assert!(doubted(0.01, seed), "seed {seed}: the estimate is not doubted");
    }
}

/// The same at the largest share, 1/16 (what runs of up to 32 000 acquisitions get). This once
/// failed on seed 1 (1.10e-7 ± 5% against 3.0e-4, ESS 1224, no doubt): every section that entered
/// while a long stall was open joined its window, and with one draw in 16 tilted the windows
/// covered most of the run, so the ordinary stalls' violations weighed `c` instead of 1. A window
/// now spreads only along an overlap, so those violations weigh 1 and the weights show it.
#[test]
fn a_threshold_above_the_violations_is_doubted_at_the_largest_share() {
    assert!(doubted(1.0 / 16.0, 1), "the estimate is not doubted");
}
