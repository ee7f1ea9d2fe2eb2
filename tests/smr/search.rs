//! The exhaustive omission search (`faultline smr --search`): majority on `n = 2f + 1` never
//! disagrees; commit-alone and primary-backup on `n = 2f` do, and the disagreement the search finds
//! without being told the worlds is world C up to a renaming of the servers; wait-all never
//! disagrees but is not live; and every bound says so when it is reached.

use faultline::smr::protocols::{CommitRule, PrimaryBackup, ProtocolKind, Vote};
use faultline::smr::search::{Property, SearchError, SearchOptions, search};
use faultline::smr::{Cluster, LabError, SearchConfig, derived_rounds};
use std::process::Command;

/// The rounds the theorem derives for `τ = 3`, `f = 1`: 20.
fn horizon() -> u32 {
    derived_rounds(3, 1) as u32
}

#[test]
fn majority_on_three_servers_never_disagrees() {
    let majority = Vote::new(CommitRule::Majority);
    let cluster = Cluster::new(3, 1);
    // Correct clients: safe and live over every pattern of one faulty server.
    let reliable = SearchOptions { clients_may_fail: false, ..SearchOptions::new() };
    let r = search(&majority, cluster, horizon(), &reliable).unwrap();
    assert_eq!(r.violating.any, 0, "{:?}", r.witnesses);
    assert!(r.safe_and_live());
    assert_eq!(r.server_sets, 3);
    assert!(r.patterns > 100 && r.states > 100, "{} patterns, {} states", r.patterns, r.states);
    // Clients that may fail too (as world C's do): still never a disagreement nor an invalid
    // answer, but a faulty client that reaches only some servers can split the votes so that no
    // majority forms, and the one server that commits is the faulty one, whose answer to the
    // correct client is lost: majority voting with final votes is not live then.
    let r = search(&majority, cluster, horizon(), &SearchOptions::new()).unwrap();
    assert_eq!((r.violating.agreement, r.violating.validity), (0, 0));
    assert!(r.violating.termination > 0);
    let w = r.witness(Property::Termination).unwrap();
    assert!(w.faulty.iter().any(|p| p.starts_with('c')), "a faulty client is needed: {:?}", w.faulty);
    assert!(r.witness(Property::Agreement).is_none());
}

#[test]
fn commit_alone_on_two_servers_disagrees_in_world_c() {
    let r = SearchConfig::new().run().unwrap();
    assert_eq!((r.servers, r.faults, r.rounds, r.protocol.as_str()), (2, 1, 20, "commit-alone"));
    assert!(r.violating.agreement > 0);
    assert_eq!((r.violating.validity, r.violating.termination), (0, 0));
    let w = r.witness(Property::Agreement).expect("a disagreement");
    assert_ne!(w.responses[0].unwrap().cmd, w.responses[1].unwrap().cmd);
    let m = w.world_c.as_ref().expect("the disagreement is world C up to symmetry");
    assert!(m.within_cut && m.same_responses);
    // The losses found lie on links world C cuts (with the servers renamed); world C itself,
    // with every loss on those links, tells the clients the same.
    assert!(!w.dropped.is_empty());
    assert_eq!(
        r.replay.as_deref(),
        Some("faultline replay smr --protocol commit-alone --servers 2 --faults 1 --tau 3")
    );
}

#[test]
fn primary_backup_on_two_servers_disagrees_in_world_c() {
    // Fewer rounds than the derived 20 keep this test to about a second; a view change (a timeout
    // of 3 and a replication) fits in 10.
    let cfg = SearchConfig { protocol: ProtocolKind::PrimaryBackup, rounds: Some(10), ..SearchConfig::new() };
    let r = cfg.run().unwrap();
    let w = r.witness(Property::Agreement).expect("a disagreement");
    let m = w.world_c.as_ref().expect("world C up to symmetry");
    assert!(m.within_cut && m.same_responses);
    // And the same through a protocol value rather than its name.
    let again = cfg.run_with(&PrimaryBackup::new(3)).unwrap();
    assert_eq!((again.patterns, again.states), (r.patterns, r.states));
}

#[test]
fn wait_all_never_disagrees_but_is_not_live() {
    let cfg = SearchConfig { protocol: ProtocolKind::WaitAll, ..SearchConfig::new() };
    let r = cfg.run().unwrap();
    assert_eq!((r.violating.agreement, r.violating.validity), (0, 0));
    assert!(r.violating.termination > 0);
    // With correct clients too: one lost vote and nobody ever commits.
    let r = SearchConfig { clients_may_fail: false, ..cfg }.run().unwrap();
    assert_eq!(r.violating.agreement, 0);
    assert!(r.violating.termination > 0);
}

#[test]
fn a_bound_that_is_reached_says_so() {
    let cfg = SearchConfig { protocol: ProtocolKind::PrimaryBackup, max_states: 500, ..SearchConfig::new() };
    match cfg.run() {
        Err(LabError::Search(SearchError::StateLimit { states: 500, rounds: 20, .. })) => {}
        other => panic!("{other:?}"),
    }
    let err = cfg.run().unwrap_err().to_string();
    assert!(err.contains("explored 500 distinct states, its limit"), "{err}");
    // Refused before anything runs.
    assert!(SearchConfig { max_states: 0, ..SearchConfig::new() }.validate().is_err());
    assert!(SearchConfig { cluster: Cluster::new(9, 1), ..SearchConfig::new() }.validate().is_err());
    // On the command line: one line, exit 2.
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["smr", "--search", "--protocol", "primary-backup", "--max-states", "500"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("faultline: the search explored 500 distinct states"), "{stderr}");
}

#[test]
fn the_command_line_prints_the_counts_and_the_verdict() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_faultline")).arg("smr").args(args).output().unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let (code, text, _) =
        run(&["--search", "--protocol", "majority", "--servers", "3", "--reliable-clients"]);
    assert_eq!(code, Some(0));
    assert!(text.contains("n=3 servers, f=1"), "{text}");
    assert!(text.contains("omission patterns") && text.contains("distinct states"), "{text}");
    assert!(text.contains("verdict: SAFE AND LIVE over every omission pattern of 20 rounds"), "{text}");
    let (code, text, _) = run(&["--search"]);
    assert_eq!(code, Some(0));
    assert!(text.contains("verdict: VIOLATED: agreement"), "{text}");
    assert!(text.contains("world: C up to symmetry"), "{text}");
    assert!(text.contains("faultline replay smr --protocol commit-alone"), "{text}");
    let (code, json, _) = run(&["--search", "--json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["violating"]["agreement"].as_u64().unwrap() > 0);
    assert_eq!(v["witnesses"][0]["property"], "agreement");
    for (args, expect) in [
        (&["--search", "--stress"][..], "--stress does not go with --search"),
        (&["--search", "--world", "C"], "--world does not go with --search"),
        (&["--search", "--model", "crash"], "--model does not go with --search"),
        (&["--search", "--servers", "9"], "at most 8 for a search"),
        (&["--max-states", "5"], "--max-states goes with --search"),
        (&["--search", "--max-states", "0"], "--max-states must be at least 1"),
    ] {
        let (code, out, err) = run(args);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}
