//! The replication table of docs/model.md §6.6, row by row.

use faultline::smr::adversary::{FaultModel, Plan};
use faultline::smr::model::{Cluster, Cmd};
use faultline::smr::protocols::{CommitRule, PrimaryBackup, Vote};
use faultline::smr::run::{Driver, run, run_world};
use faultline::smr::stress::{StressConfig, stress};
use faultline::smr::theorem::{Horn, dichotomy};
use faultline::smr::world::{WorldError, WorldName, build};

const ROUNDS: u32 = 20;
const TAU: u32 = 3;

fn two() -> Cluster {
    Cluster::new(2, 1)
}

/// Wait for every server's vote: no answer in A, B or C.
#[test]
fn wait_all_is_not_live() {
    let d = dichotomy(&Vote::new(CommitRule::All), two(), ROUNDS, Driver::Loop).unwrap();
    assert_eq!(d.horn, Horn::NotLive { world: WorldName::A, client: 1 });
    for (o, world) in d.outcomes.iter().zip(["A", "B", "C"]) {
        assert_eq!(o.responses, [None, None], "world {world}: nobody may be answered");
    }
    assert!(!d.outcomes[0].verdict.termination && !d.outcomes[1].verdict.termination);
    assert!(d.outcomes.iter().all(|o| o.verdict.agreement && o.verdict.validity));
}

/// Commit alone after tau rounds: C1 in A after about tau rounds, C2 in B, and in C, with views
/// equal to A's and B's, c1 is told C1 and c2 is told C2.
#[test]
fn commit_alone_answers_in_a_and_b_and_disagrees_in_c() {
    let d = dichotomy(&Vote::new(CommitRule::AloneAfter(TAU)), two(), ROUNDS, Driver::Loop).unwrap();
    let [a, b, c] = &d.outcomes;
    let told_a = a.responses[0].expect("c1 is answered in A");
    assert_eq!(told_a.cmd, Cmd(1));
    // Write arrives in round 1, the vote is cast then, commit tau rounds later, reply one after.
    assert_eq!(told_a.round, 1 + TAU + 1, "C1 after about tau rounds");
    assert_eq!(b.responses[1].map(|r| r.cmd), Some(Cmd(2)));
    assert_eq!(c.responses.map(|r| r.map(|r| r.cmd)), [Some(Cmd(1)), Some(Cmd(2))]);
    assert!(!c.verdict.agreement);
    assert_eq!((d.ac_difference.clone(), d.bc_difference.clone()), (None, None), "views must be equal");
    assert_eq!(d.horn, Horn::Disagrees { c1: Cmd(1), c2: Cmd(2) });
}

/// Majority quorum with n = 3, f = 1: no world can be built; the analog of A (one silent server)
/// commits; random omissions never break agreement.
#[test]
fn majority_with_three_servers_cannot_be_cornered_and_stays_safe() {
    let three = Cluster::new(3, 1);
    assert_eq!(
        build(three, WorldName::C, FaultModel::Omission),
        Err(WorldError::NoSplit { servers: 3, faults: 1 })
    );
    let majority = Vote::new(CommitRule::Majority);
    assert!(dichotomy(&majority, three, ROUNDS, Driver::Loop).is_err());

    let mut silent = Plan::default();
    let s3 = three.server(2);
    silent.faulty.insert(s3);
    let everyone: Vec<_> = three.processes().collect();
    silent.cut_between(&[s3], &everyone);
    let o = run(&majority, three, &[Some(Cmd(1)), None], &silent, ROUNDS, Driver::Loop).unwrap();
    assert_eq!(o.responses[0].map(|r| r.cmd), Some(Cmd(1)), "one silent server of three: still commits");

    for q in [0.1, 0.5, 0.9] {
        let cfg = StressConfig {
            cluster: three,
            model: FaultModel::Omission,
            q,
            rounds: ROUNDS,
            runs: 1_000,
            seed: 7,
        };
        let r = stress(&majority, &cfg).unwrap();
        assert_eq!(r.agreement_violations.count, 0, "q = {q}");
        assert_eq!(r.validity_violations.count, 0, "q = {q}");
    }
}

/// Primary-backup under crash faults: A safe and live; B live after a view change; C cannot be
/// built; random crashes never break it.
#[test]
fn primary_backup_is_safe_and_live_with_crashes() {
    let pb = PrimaryBackup::new(TAU);
    let a = run_world(&pb, &build(two(), WorldName::A, FaultModel::Crash).unwrap(), ROUNDS, Driver::Loop)
        .unwrap();
    assert!(a.verdict.ok(), "{:?}", a.verdict);
    assert_eq!(a.responses[0].map(|r| r.cmd), Some(Cmd(1)));
    let b = run_world(&pb, &build(two(), WorldName::B, FaultModel::Crash).unwrap(), ROUNDS, Driver::Loop)
        .unwrap();
    assert!(b.verdict.ok(), "{:?}", b.verdict);
    let told = b.responses[1].expect("c2 is answered after the view change");
    assert_eq!(told.cmd, Cmd(2));
    assert!(
        told.round > TAU,
        "the backup waits out the heartbeat timeout first (told in round {})",
        told.round
    );
    assert_eq!(build(two(), WorldName::C, FaultModel::Crash), Err(WorldError::CrashCannotBuildC));

    for cluster in [two(), Cluster::new(3, 1), Cluster::new(3, 2), Cluster::new(5, 4)] {
        // Every crashed primary costs at most a heartbeat timeout plus a replicate/ack round trip:
        // termination is only owed within that bound.
        let rounds = (cluster.faults as u32 + 1) * (TAU + 3) + 4;
        let cfg = StressConfig { cluster, model: FaultModel::Crash, q: 0.0, rounds, runs: 500, seed: 3 };
        let r = stress(&pb, &cfg).unwrap();
        assert_eq!(
            (r.agreement_violations.count, r.termination_failures.count, r.validity_violations.count),
            (0, 0, 0),
            "n = {}, f = {}: crashes must not break primary-backup",
            cluster.servers,
            cluster.faults
        );
    }
}

/// Primary-backup under omission faults: in C the primary commits C1 and the backup, hearing no
/// heartbeat, takes over and commits C2.
#[test]
fn primary_backup_is_unsafe_with_omissions() {
    let d = dichotomy(&PrimaryBackup::new(TAU), two(), ROUNDS, Driver::Loop).unwrap();
    assert_eq!(d.horn, Horn::Disagrees { c1: Cmd(1), c2: Cmd(2) });
    let c = &d.outcomes[2];
    let (r1, r2) = (c.responses[0].unwrap(), c.responses[1].unwrap());
    assert!(r1.round < r2.round, "the primary answers first, the backup after its view change");
    let cfg = StressConfig {
        cluster: two(),
        model: FaultModel::Omission,
        q: 0.5,
        rounds: ROUNDS,
        runs: 2_000,
        seed: 1,
    };
    assert!(stress(&PrimaryBackup::new(TAU), &cfg).unwrap().agreement_violations.count > 0);
}
