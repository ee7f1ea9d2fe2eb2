//! Runs you can replay: a lock run's first violation and the happenings around it, world C and a
//! stress experiment's first failing run drawn, and every diagram checked, by the crate's own
//! grammar check and, when it is installed, by mermaid-cli.

use faultline::engine::{Ending, Observer, RunEnd};
use faultline::fault::Dist;
use faultline::lock::LockOracle;
use faultline::lock::judge::{Finding, FindingKind};
use faultline::lock::msg::{LockEvent, Op};
use faultline::lock::runner::run_observed;
use faultline::lock::scenario::{consensus_cases, table};
use faultline::lock::timeline::{DEFAULT_CONTEXT, Window, replay};
use faultline::lock::trace::{Happening, Moment, Trace, kleppmann_config};
use faultline::lock::{EngineKind, LockConfig, Variant};
use faultline::report::LockVerdict;
use faultline::report::mermaid;
use faultline::report::smr::diagram::{failure_mermaid, world_mermaid};
use faultline::report::timeline as render;
use faultline::smr::adversary::FaultModel;
use faultline::smr::model::{Cluster, Cmd};
use faultline::smr::protocols::{CommitRule, PrimaryBackup, Vote};
use faultline::smr::replay::{first_failure, rerun};
use faultline::smr::run::Driver;
use faultline::smr::stress::{StressConfig, stress};
use faultline::smr::theorem::dichotomy;
use faultline::time::MS;
use std::path::{Path, PathBuf};
use std::process::Command;

fn window(cfg: &LockConfig) -> Window {
    replay(cfg, DEFAULT_CONTEXT)
        .expect("a valid configuration")
        .first
        .unwrap_or_else(|| panic!("expected a violation in {cfg:?}"))
}

fn is_write(e: &Moment, client: usize, token: u64, accepted: bool) -> bool {
    matches!(e.what, Happening::Event(LockEvent::Accessed { client: c, token: t, op: Op::Write(_), accepted: a, .. })
        if (c, t, a) == (client, token, accepted))
}

/// The run's own events, in full, to check the window against.
fn full_trace(cfg: &LockConfig) -> Vec<Moment> {
    let mut trace = Trace::default();
    run_observed(cfg, &mut trace).expect("a valid configuration");
    trace.entries
}

/// Violations as the oracle counts them after seeing `entries` only (lost updates are known at the
/// end of a run, and are left out).
fn oracle_violations(cfg: &LockConfig, entries: &[Moment]) -> u64 {
    let mut oracle = LockOracle::new(cfg);
    for e in entries {
        match e.what {
            Happening::Event(ev) => oracle.observe(e.at, e.node, &ev),
            Happening::Fault(f) => oracle.fault(e.at, e.node, f),
        }
    }
    let at = entries.last().map_or(0, |e| e.at);
    let m = oracle
        .finish(RunEnd { at, ending: Ending::Horizon, events: 0, late: None })
        .expect("a world's own events");
    m.overlaps - m.aborted_overlaps
        + m.stale_accepted
        + m.stale_rejected
        + m.stale_effects
        + m.duplicate_effects
        + m.disagreements
}

/// Kleppmann's timeline on plain storage: the window is centred on client 2's entry with token 34
/// while client 1, frozen with token 33, is inside, and reaches client 1's stale write.
#[test]
fn kleppmann_replays_to_the_entry_of_34_and_the_stale_write_of_33() {
    let cfg = kleppmann_config(Variant::LEASE);
    let w = window(&cfg);
    assert_eq!(w.violation, Finding::Overlap { client: 1, token: 34, holder: 0, held: 33, pending: false });
    assert_eq!(w.moments[w.at].what, Happening::Event(LockEvent::Entered { client: 1, token: 34 }));
    let (before, after) = w.moments.split_at(w.at);
    assert!(before.iter().any(|e| e.what == Happening::Event(LockEvent::Entered { client: 0, token: 33 })));
    assert!(
        before.iter().any(|e| e.node == cfg.topology().client(0)
            && matches!(e.what, Happening::Fault(faultline::engine::FaultEvent::StallBegin { .. }))),
        "client 1 froze before the grant"
    );
    assert!(
        after.iter().any(|e| is_write(e, 0, 33, true)),
        "client 1's stale write is in the window:\n{}",
        render::text(&w)
    );
    assert!(w.moments.len() <= 2 * DEFAULT_CONTEXT + 1);
    // Client 1 had read with 33 before the grant, so the overlap was a violation at once; the grant
    // came when the lease ran out.
    assert!(before.iter().any(|e| matches!(
        e.what,
        Happening::Event(LockEvent::Accessed { client: 0, token: 33, op: Op::Read, .. })
    )));
    let granted_33 = before.iter().find(|e| is_grant(e, 33)).expect("the grant of 33 is in the window");
    assert_eq!(w.time() - granted_33.at, 10 * MS);

    let text = render::text(&w);
    assert!(text.contains("client 2 receives token 34 and is inside   <- VIOLATION"), "{text}");
    assert!(
        text.contains(
            "storage: client 1 writes 33 with token 33: accepted   <- client 1 acts on the lock it lost"
        ),
        "{text}"
    );
    let diagram = render::mermaid(&w);
    assert_eq!(mermaid::check(&diagram), Ok(()), "{diagram}");
    for needle in [
        "grant token 34\n",
        "C1->>S: +",
        "write 33, token 33, accepted\n        Note over C1: client 1 acts on the lock it lost\n",
        "VIOLATION (overlap)",
    ] {
        assert!(diagram.contains(needle), "{needle} missing from\n{diagram}");
    }
}

fn is_grant(e: &Moment, token: u64) -> bool {
    matches!(e.what, Happening::Event(LockEvent::Granted { token: t, .. }) if t == token)
}

/// Under fencing the same replay shows storage refusing client 1's write, drawn as a lost arrow.
#[test]
fn kleppmann_under_fencing_shows_the_rejected_write() {
    let w = window(&kleppmann_config(Variant::FENCED));
    assert_eq!(w.violation, Finding::Overlap { client: 1, token: 34, holder: 0, held: 33, pending: false });
    assert!(w.moments[w.at..].iter().any(|e| is_write(e, 0, 33, false)), "{}", render::text(&w));
    let diagram = render::mermaid(&w);
    assert!(diagram.contains("C1-xS: +"), "{diagram}");
    assert!(diagram.contains("write 33, token 33, REJECTED\n"), "{diagram}");
}

/// A lease under exponential stalls: the replay's first violation is an overlap, and it is the
/// first: the oracle, fed the run up to that happening, counts one violation; fed the run up to
/// the happening before, none.
#[test]
fn a_lease_with_exp_stalls_finds_its_first_overlap() {
    let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
    cfg.pause = Dist::Exp { mean: 5 * MS };
    cfg.acquisitions = 2_000;
    let w = window(&cfg);
    let Finding::Overlap { client, token, holder, held, .. } = w.violation else {
        panic!("a stall after the last check first shows as an overlap: {:?}", w.violation)
    };
    assert_ne!(client, holder);
    assert!(held < token);
    assert_eq!(w.moments.len(), 2 * DEFAULT_CONTEXT + 1, "a long run fills both sides");

    let trace = full_trace(&cfg);
    let start = trace
        .windows(w.moments.len())
        .position(|s| s == w.moments.as_slice())
        .expect("the window is a stretch of the run");
    let violating = start + w.at;
    assert_eq!(oracle_violations(&cfg, &trace[..violating]), 0, "nothing before it");
    assert_eq!(oracle_violations(&cfg, &trace[..=violating]), 1, "it is one");
    // Re-running gives the same window: the seed replays the run.
    assert_eq!(window(&cfg), w);
}

#[test]
fn a_non_preemptive_lock_without_faults_has_no_violation() {
    let mut cfg = LockConfig::new(Variant::NON_PREEMPTIVE, EngineKind::Sim);
    cfg.pause = Dist::None;
    let r = replay(&cfg, DEFAULT_CONTEXT).unwrap();
    assert_eq!(r.first, None);
    assert!(render::first_text(r.first.as_ref()).starts_with("no violation"));
    assert_eq!(r.report.metrics.overlaps + r.report.metrics.stale_accepted, 0);
}

/// On every cell of the outcome table and every consensus case, the replay finds a violation
/// exactly when the verdict reports one found at an event (a lost update is known only at the
/// end; the replay points at the accepted stale write that lost it), and of a kind the verdict
/// names.
#[test]
fn the_replay_agrees_with_the_verdict_on_every_scenario() {
    let configs = table()
        .into_iter()
        .map(|c| (format!("{:?} {}", c.row, c.fault), c.config))
        .chain(consensus_cases(40).into_iter().map(|(name, cfg)| (name.to_string(), cfg)));
    let (mut clean, mut violated) = (0, 0);
    for (name, cfg) in configs {
        let r = replay(&cfg, 5).unwrap();
        let m = &r.report.metrics;
        let verdict = LockVerdict::of(&cfg, m);
        let at_an_event: Vec<FindingKind> =
            verdict.safety.iter().map(|&(k, _)| k).filter(|&k| k != FindingKind::LostUpdate).collect();
        match &r.first {
            None => {
                assert!(
                    at_an_event.is_empty(),
                    "{name}: the verdict reports {verdict:?}, the replay nothing"
                );
                clean += 1;
            }
            Some(w) => {
                let kind = w.violation.counts()[0].map(|(k, _)| k);
                assert!(
                    kind.is_some_and(|k| at_an_event.contains(&k)),
                    "{name}: the replay found {:?}, the verdict {verdict:?}",
                    w.violation
                );
                assert!(w.moments.len() <= 11 && w.at <= 5, "{name}: the window is bounded");
                assert_eq!(mermaid::check(&render::mermaid(w)), Ok(()), "{name}");
                violated += 1;
            }
        }
    }
    assert!(clean >= 5 && violated >= 5, "both outcomes are exercised: {clean} clean, {violated} violated");
}

fn commit_alone() -> Vote {
    Vote::new(CommitRule::AloneAfter(3))
}

#[test]
fn world_c_of_commit_alone_draws_both_clients_told_different_commands() {
    let d = dichotomy(&commit_alone(), Cluster::new(2, 1), 20, Driver::Loop).unwrap();
    let c = world_mermaid(&d.worlds[2], &d.outcomes[2]);
    assert_eq!(mermaid::check(&c), Ok(()), "{c}");
    for needle in [
        "participant s1\n",
        "participant c2\n",
        "Note over s1,c2: world C, n=2 f=1",
        "Note over s1,c2: round 0\n",
        "c1->>s1: Write(C1)\n",
        "c1-xs2: Write(C1) DROPPED\n",
        "s1-xs2: Vote(C1) DROPPED\n",
        "Note over c1: c1 is told C1 in round ",
        "Note over c2: c2 is told C2 in round ",
        "agreement NO",
    ] {
        assert!(c.contains(needle), "{needle} missing from\n{c}");
    }
    // The responses come after every message.
    let lines: Vec<&str> = c.lines().collect();
    let last_arrow = lines.iter().rposition(|l| l.contains("->>") || l.contains("-x")).unwrap();
    let told = lines.iter().position(|l| l.contains("is told")).unwrap();
    assert!(told > last_arrow, "{c}");
}

fn stress_config(runs: u64) -> StressConfig {
    StressConfig {
        cluster: Cluster::new(2, 1),
        model: FaultModel::Omission,
        q: 0.5,
        rounds: 20,
        runs,
        seed: 1,
    }
}

#[test]
fn the_first_failing_stress_run_of_commit_alone_is_found_and_reruns_alike() {
    let cfg = stress_config(200);
    let protocol = commit_alone();
    let f = first_failure(&protocol, &cfg).unwrap().expect("commit-alone fails at q = 0.5");
    assert!(!f.verdict.ok());
    assert!(f.run < cfg.runs);
    let (plan, again) = rerun(&protocol, &cfg, f.run).unwrap();
    assert_eq!(plan, f.plan);
    assert_eq!(again.verdict, f.verdict);
    assert_eq!(again.responses, f.outcome.responses);
    // The experiment itself saw failures, and none before this run.
    let before = StressConfig { runs: f.run, ..cfg };
    let r = stress(&protocol, &before).unwrap();
    let failures = r.agreement_violations.count + r.termination_failures.count + r.validity_violations.count;
    assert_eq!(failures, 0, "no run before {} fails", f.run);
    let all = stress(&protocol, &cfg).unwrap();
    assert!(all.agreement_violations.count + all.termination_failures.count > 0);
    let diagram = failure_mermaid(&cfg, &f);
    assert_eq!(mermaid::check(&diagram), Ok(()), "{diagram}");
    assert!(diagram.contains(&format!("stress run {} of 200 (seed 1)", f.run)), "{diagram}");
}

/// Every diagram the replays produce, named.
fn all_diagrams() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for variant in [Variant::LEASE, Variant::FENCED] {
        out.push((
            format!("Kleppmann, {}", variant.name()),
            render::mermaid(&window(&kleppmann_config(variant))),
        ));
    }
    let mut cfg = LockConfig::new(Variant::LEASE_MARGIN, EngineKind::Sim);
    cfg.pause = Dist::Exp { mean: 5 * MS };
    cfg.acquisitions = 2_000;
    out.push(("lease-margin, exp stalls".into(), render::mermaid(&window(&cfg))));
    for (name, cfg) in consensus_cases(40) {
        if let Some(d) = replay(&cfg, DEFAULT_CONTEXT).unwrap().first.as_ref().map(render::mermaid) {
            out.push((format!("consensus, {name}"), d));
        }
    }
    for cluster in [Cluster::new(2, 1), Cluster::new(4, 2)] {
        let d = dichotomy(&commit_alone(), cluster, 20, Driver::Loop).unwrap();
        for (w, o) in d.worlds.iter().zip(&d.outcomes) {
            out.push((format!("commit-alone, world {}, n={}", w.name, cluster.servers), world_mermaid(w, o)));
        }
    }
    let d = dichotomy(&PrimaryBackup::new(3), Cluster::new(2, 1), 40, Driver::Loop).unwrap();
    out.push(("primary-backup, world C".into(), world_mermaid(&d.worlds[2], &d.outcomes[2])));
    let cfg = stress_config(200);
    let f = first_failure(&commit_alone(), &cfg).unwrap().unwrap();
    out.push(("commit-alone, first failing stress run".into(), failure_mermaid(&cfg, &f)));
    let crash = StressConfig { model: FaultModel::Crash, rounds: 40, runs: 500, ..cfg };
    if let Some(f) = first_failure(&PrimaryBackup::new(3), &crash).unwrap() {
        out.push(("primary-backup, first failing crash run".into(), failure_mermaid(&crash, &f)));
    }
    assert!(out.iter().all(|(_, d)| !d.is_empty()));
    out
}

#[test]
fn every_diagram_passes_the_grammar_check() {
    let diagrams = all_diagrams();
    assert!(diagrams.len() >= 12, "{}", diagrams.len());
    for (name, d) in &diagrams {
        assert_eq!(mermaid::check(d), Ok(()), "{name}:\n{d}");
        // Stored whole by the CLI and pasted into issues: a diagram stays a page or two.
        assert!(d.lines().count() <= 2 * DEFAULT_CONTEXT + 40, "{name}: {} lines", d.lines().count());
    }
    // The inputs of world C are written on every diagram of it, as the proof needs them.
    let (_, c) = diagrams.iter().find(|(n, _)| n == "commit-alone, world C, n=2").unwrap();
    assert!(c.contains(&format!("c1 writes {}, c2 writes {}", Cmd(1), Cmd(2))), "{c}");
}

/// mermaid-cli (`mmdc`) on PATH, or under `node_modules/.bin` of the crate.
fn mmdc() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("mmdc"));
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/.bin/mmdc");
    on_path.chain([local]).find(|p| p.is_file())
}

/// A browser for puppeteer when it has none of its own: `PUPPETEER_EXECUTABLE_PATH`, else a
/// Chromium on PATH (Debian's `chromium` package).
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PUPPETEER_EXECUTABLE_PATH") {
        return Some(PathBuf::from(p));
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|b| dir.join(b)))
        .find(|p| p.is_file())
}

fn render(mmdc: &Path, dir: &Path, config: &Path, name: &str, diagrams: &[&str]) -> std::process::Output {
    let input = dir.join(format!("{name}.md"));
    let blocks: Vec<String> = diagrams.iter().map(|d| format!("```mermaid\n{d}```\n")).collect();
    std::fs::write(&input, blocks.join("\n")).unwrap();
    Command::new(mmdc)
        .arg("-p")
        .arg(config)
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(dir.join(format!("{name}-out.md")))
        .output()
        .expect("mmdc starts")
}

/// Mermaid's own parser, through mermaid-cli, accepts every diagram. Skipped when mermaid-cli is
/// not installed; to run it: `npm install @mermaid-js/mermaid-cli` in the crate (with
/// `PUPPETEER_SKIP_DOWNLOAD=1` and a Chromium on PATH if puppeteer cannot download its own).
#[test]
fn mermaid_cli_renders_every_diagram() {
    let Some(mmdc) = mmdc() else {
        println!("skipped: mermaid-cli not installed (no mmdc on PATH or in node_modules/.bin)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("faultline-mmdc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // As root, Chromium refuses to start without --no-sandbox.
    let browser =
        chromium().map_or(String::new(), |p| format!("\"executablePath\": {:?}, ", p.display().to_string()));
    let config = dir.join("puppeteer.json");
    std::fs::write(&config, format!("{{ {browser}\"args\": [\"--no-sandbox\", \"--disable-gpu\"] }}"))
        .unwrap();
    // A diagram that cannot fail tells a broken installation from a diagram Mermaid refuses.
    let smoke =
        render(&mmdc, &dir, &config, "smoke", &["sequenceDiagram\n    participant A\n    A->>A: ok\n"]);
    if !smoke.status.success() {
        println!(
            "skipped: mermaid-cli is installed but cannot render (no headless browser?): {}",
            String::from_utf8_lossy(&smoke.stderr).lines().next().unwrap_or("")
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let diagrams = all_diagrams();
    let texts: Vec<&str> = diagrams.iter().map(|(_, d)| d.as_str()).collect();
    let out = render(&mmdc, &dir, &config, "replays", &texts);
    let rendered = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("replays-out-"))
        .count();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "mermaid-cli refused a diagram ({rendered} of {} rendered):\n{}",
        diagrams.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rendered, diagrams.len(), "one picture per diagram");
}

/// `faultline replay` on the command line: a lock run, a sweep's row and a configuration file
/// replay to the same first violation, and every diagram it writes passes the grammar check.
#[test]
fn the_replay_command_shows_the_same_violation_from_every_source() {
    let dir = std::env::temp_dir().join(format!("faultline-replay-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let faultline = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let first = |text: &str| text.lines().find(|l| l.starts_with("first violation")).map(str::to_string);
    // A sweep with one violating row; its replay column, a --json run read back, and the flags.
    faultline(&["sweep", "lock", "--clients", "4", "--acquisitions", "2000", "--out", "s.csv"]);
    let table = faultline::sweep::table::Table::read(&dir.join("s.csv")).unwrap();
    let replay = &table.rows[0][table.column("replay").unwrap()];
    let flags: Vec<&str> = replay.split(' ').skip(2).collect();
    let from_row = faultline(&["replay", "s.csv", "--row", "0", "--mermaid", "row.md"]);
    let from_flags = faultline(&[&["replay", "lock"][..], &flags, &["--mermaid", "flags.mmd"]].concat());
    let json = faultline(&[&["lock"][..], &flags, &["--json"]].concat());
    std::fs::write(dir.join("run.json"), json).unwrap();
    let from_file = faultline(&["replay", "run.json"]);
    let violation = first(&from_row).expect("the row saw a violation");
    assert_eq!(first(&from_flags).as_ref(), Some(&violation));
    assert_eq!(first(&from_file).as_ref(), Some(&violation));
    let md = std::fs::read_to_string(dir.join("row.md")).unwrap();
    let diagram =
        md.strip_prefix("```mermaid\n").and_then(|d| d.strip_suffix("```\n")).expect("a fenced block");
    faultline::report::mermaid::check(diagram).unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("flags.mmd")).unwrap(), diagram);
    // World C and the first failing stress run.
    faultline(&["replay", "smr", "--mermaid", "c.mmd"]);
    faultline::report::mermaid::check(&std::fs::read_to_string(dir.join("c.mmd")).unwrap()).unwrap();
    let stress = faultline(&[
        "replay",
        "smr",
        "--stress",
        "--protocol",
        "commit-alone",
        "--tau",
        "3",
        "--q",
        "0.5",
        "--mermaid",
        "f.mmd",
    ]);
    assert!(stress.contains("is the first to fail") && stress.contains("agreement NO"), "{stress}");
    faultline::report::mermaid::check(&std::fs::read_to_string(dir.join("f.mmd")).unwrap()).unwrap();
    // A run with nothing to show says so.
    let clean = faultline(&["replay", "lock", "--variant", "non-preemptive", "--pause", "none"]);
    assert!(first(&clean).is_none() && clean.contains("no violation"), "{clean}");
}
