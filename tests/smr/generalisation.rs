//! The lower bound for every `n <= 2f`, and its absence for `n = 2f + 1`.

use faultline::smr::adversary::FaultModel;
use faultline::smr::model::Cluster;
use faultline::smr::protocols::{CommitRule, ProtocolKind, Vote};
use faultline::smr::run::Driver;
use faultline::smr::stress::{StressConfig, stress};
use faultline::smr::theorem::{Horn, dichotomy};
use faultline::smr::world::{WorldError, WorldName, build};
use faultline::with_protocol;

const COVERED: [(usize, usize); 5] = [(2, 1), (3, 2), (4, 2), (4, 3), (6, 3)];

#[test]
fn every_protocol_falls_on_a_horn_for_every_n_at_most_2f() {
    for (n, f) in COVERED {
        let cluster = Cluster::new(n, f);
        for world in WorldName::ALL {
            let w = build(cluster, world, FaultModel::Omission).unwrap();
            assert!(!w.g1.is_empty() && w.g1.len() <= f && !w.g2.is_empty() && w.g2.len() <= f);
        }
        for kind in ProtocolKind::ALL {
            with_protocol!(kind, 3, |p| {
                let d = dichotomy(&p, cluster, 24, Driver::Loop).unwrap();
                let what = format!("{} with n = {n}, f = {f}", kind.name());
                assert_eq!(d.ac_difference, None, "{what}: views of G1+c1 differ between A and C");
                assert_eq!(d.bc_difference, None, "{what}: views of G2+c2 differ between B and C");
                let expected_disagreement =
                    matches!(kind, ProtocolKind::CommitAlone | ProtocolKind::PrimaryBackup);
                match &d.horn {
                    Horn::Disagrees { .. } => assert!(expected_disagreement, "{what}: {:?}", d.horn),
                    Horn::NotLive { .. } => assert!(!expected_disagreement, "{what}: {:?}", d.horn),
                    other => panic!("{what}: {other:?}"),
                }
            });
        }
    }
}

#[test]
fn no_world_exists_for_n_equal_2f_plus_1_and_majority_is_safe_there() {
    for (n, f) in [(3, 1), (5, 2)] {
        let cluster = Cluster::new(n, f);
        for world in WorldName::ALL {
            assert_eq!(
                build(cluster, world, FaultModel::Omission),
                Err(WorldError::NoSplit { servers: n, faults: f })
            );
        }
        for q in [0.2, 0.6, 1.0] {
            let cfg =
                StressConfig { cluster, model: FaultModel::Omission, q, rounds: 24, runs: 1_000, seed: 11 };
            let r = stress(&Vote::new(CommitRule::Majority), &cfg).unwrap();
            assert_eq!(r.agreement_violations.count, 0, "n = {n}, f = {f}, q = {q}");
            // With at most f of 2f + 1 servers faulty, a majority of correct servers always hears
            // both clients: the quorum is live too.
            assert_eq!(r.termination_failures.count, 0, "n = {n}, f = {f}, q = {q}");
        }
    }
}
