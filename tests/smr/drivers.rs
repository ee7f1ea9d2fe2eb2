//! The threaded lock-step driver (a thread per process, a barrier per round) and the plain loop
//! produce the same views, messages and verdicts.

use faultline::smr::adversary::FaultModel;
use faultline::smr::model::Cluster;
use faultline::smr::model::Cmd;
use faultline::smr::protocols::ProtocolKind;
use faultline::smr::run::{Driver, run};
use faultline::smr::stress::{StressConfig, plan};
use faultline::smr::theorem::dichotomy;
use faultline::with_protocol;

#[test]
fn threads_and_loop_agree_on_the_worlds() {
    for (n, f) in [(2, 1), (4, 3)] {
        for kind in ProtocolKind::ALL {
            with_protocol!(kind, 2, |p| {
                let cluster = Cluster::new(n, f);
                let l = dichotomy(&p, cluster, 16, Driver::Loop).unwrap();
                let t = dichotomy(&p, cluster, 16, Driver::Threads).unwrap();
                for i in 0..3 {
                    assert_eq!(l.outcomes[i].views, t.outcomes[i].views, "{} n={n}: views", kind.name());
                    assert_eq!(l.outcomes[i].sent, t.outcomes[i].sent, "{} n={n}", kind.name());
                    assert_eq!(l.outcomes[i].verdict, t.outcomes[i].verdict);
                }
                assert_eq!(l.horn, t.horn);
            });
        }
    }
}

#[test]
fn threads_and_loop_agree_under_random_omissions() {
    let cfg = StressConfig {
        cluster: Cluster::new(5, 2),
        model: FaultModel::Omission,
        q: 0.4,
        rounds: 16,
        runs: 20,
        seed: 5,
    };
    let inputs = [Some(Cmd(1)), Some(Cmd(2))];
    for kind in ProtocolKind::ALL {
        with_protocol!(kind, 2, |p| {
            for i in 0..cfg.runs {
                let adversary = plan(&cfg, i);
                let l = run(&p, cfg.cluster, &inputs, &adversary, cfg.rounds, Driver::Loop).unwrap();
                let t = run(&p, cfg.cluster, &inputs, &adversary, cfg.rounds, Driver::Threads).unwrap();
                assert_eq!(l.sent, t.sent, "{} run {i}", kind.name());
                assert_eq!(l.views, t.views, "{} run {i}", kind.name());
                assert_eq!(l.responses, t.responses);
            }
        });
    }
}
