//! One judge: the oracle's counters, the replay recorder's window and the verdict all report the
//! findings the judge hands out, on one hand-written event stream.

use faultline::engine::{Ending, FaultEvent, Observer, RunEnd};
use faultline::lock::judge::{Finding, FindingKind, Judge, Property};
use faultline::lock::msg::{Exit, LockEvent, Op};
use faultline::lock::timeline::Recorder;
use faultline::lock::{EngineKind, LockConfig, LockOracle, Variant};
use faultline::node::NodeId;
use faultline::report::LockVerdict;

/// The one-server world's numbering: server, storage, outbox, then the clients.
const SERVER: NodeId = 0;
const STORAGE: NodeId = 1;
const OUTBOX: NodeId = 2;
const fn client(c: usize) -> NodeId {
    3 + c
}

enum Happen {
    Ev(NodeId, LockEvent),
    Fault(NodeId, FaultEvent),
}

/// Three clients, a lease with a margin. In order: client 1 is overlapped while frozen and then
/// aborts untouched (harmless); client 2 is overlapped after reading and writes stale (a harmful
/// overlap, then a stale write accepted); client 3 sends a duplicate SMS and a stale one; client 1
/// reads stale and is refused; client 1 is left waiting at the end.
fn stream() -> Vec<Happen> {
    use Happen::{Ev, Fault};
    use LockEvent::*;
    let write = |c: usize, token, value, accepted| Accessed {
        client: c,
        token,
        key: 0,
        op: Op::Write(value),
        accepted,
    };
    let read = |c: usize, token, accepted| Accessed { client: c, token, key: 0, op: Op::Read, accepted };
    vec![
        Ev(client(0), Requested { client: 0 }),
        Ev(SERVER, Granted { client: 0, token: 1 }),
        Ev(client(0), Entered { client: 0, token: 1 }),
        Fault(client(0), FaultEvent::StallBegin { until: 100 }),
        Ev(client(1), Requested { client: 1 }),
        Ev(SERVER, Freed { token: 1, expired: true }),
        Ev(client(1), Entered { client: 1, token: 2 }),
        Fault(client(0), FaultEvent::StallEnd),
        Ev(client(0), Left { client: 0, token: 1, exit: Exit::Aborted }),
        Ev(STORAGE, read(1, 2, true)),
        Ev(client(2), Entered { client: 2, token: 3 }),
        Ev(STORAGE, write(1, 2, 1, true)),
        Ev(OUTBOX, Effect { client: 1, token: 2, key: 0, value: 1, section: 1 }),
        Ev(client(1), Left { client: 1, token: 2, exit: Exit::Released }),
        Ev(STORAGE, read(2, 3, true)),
        Ev(STORAGE, write(2, 3, 1, true)),
        Ev(OUTBOX, Effect { client: 2, token: 3, key: 0, value: 1, section: 1 }),
        Ev(client(2), Left { client: 2, token: 3, exit: Exit::Released }),
        Ev(client(0), Requested { client: 0 }),
        Ev(STORAGE, read(0, 1, false)),
    ]
}

#[test]
fn the_oracle_the_recorder_and_the_verdict_report_the_judges_findings() {
    let mut cfg = LockConfig::new(Variant::LEASE_MARGIN, EngineKind::Sim);
    cfg.clients = 3;
    let (mut judge, mut oracle) = (Judge::new(cfg.clients, cfg.workload), LockOracle::new(&cfg));
    let mut recorder = Recorder::new(&cfg, 3).unwrap();
    let mut findings = Vec::new();
    for (i, step) in stream().into_iter().enumerate() {
        let at = i as u64 + 1;
        match step {
            Happen::Ev(node, e) => {
                judge.event(at, &e, &mut |f| findings.push(f));
                oracle.observe(at, node, &e);
                recorder.observe(at, node, &e);
            }
            Happen::Fault(node, f) => {
                match f {
                    FaultEvent::StallBegin { .. } => judge.stall(0, true),
                    FaultEvent::StallEnd => judge.stall(0, false),
                    _ => unreachable!(),
                }
                oracle.fault(at, node, f);
                recorder.fault(at, node, f);
            }
        }
    }
    judge.finish(false, &mut |f| findings.push(f));
    let m = oracle.finish(RunEnd { at: 100, ending: Ending::Horizon, events: 20, late: None }).unwrap();

    // What the judge found, in order.
    let harmful_overlap = Finding::Overlap { client: 2, token: 3, holder: 1, held: 2, pending: false };
    assert_eq!(
        findings,
        vec![
            Finding::Overlap { client: 1, token: 2, holder: 0, held: 1, pending: true },
            Finding::Abort { client: 0, token: 1 },
            Finding::OverlapSettled { holder: 0, harmless: true },
            harmful_overlap,
            Finding::StaleAccess { client: 1, token: 2, op: Op::Write(1), accepted: true, before: None },
            Finding::StaleEffect { client: 1, token: 2, value: 1 },
            Finding::DuplicateEffect { client: 2, token: 3, value: 1 },
            Finding::StaleAccess { client: 0, token: 1, op: Op::Read, accepted: false, before: None },
            Finding::LostUpdates { count: 1 },
            Finding::Blocked { client: 0 },
        ]
    );

    // The oracle counts exactly those findings, kind by kind.
    let mut tally = std::collections::HashMap::<FindingKind, i64>::new();
    for f in &findings {
        for (kind, by) in f.counts().into_iter().flatten() {
            *tally.entry(kind).or_default() += by;
        }
    }
    for kind in FindingKind::ALL {
        assert_eq!(m.count(kind) as i64, tally.get(&kind).copied().unwrap_or(0), "{kind:?}: {m:?}");
    }

    // The recorder's first violation is the first finding that breaks safety.
    let first = findings.iter().find(|f| f.violates() == Some(Property::Safety)).copied();
    assert_eq!(first, Some(harmful_overlap));
    let window = recorder.finish().expect("a violation");
    assert_eq!(window.violation, harmful_overlap);

    // The verdict names the same kinds, with the same counts.
    let verdict = LockVerdict::of(&cfg, &m);
    let safety: Vec<_> = verdict.safety.iter().map(|&(k, n)| (k, n as i64)).collect();
    let expected: Vec<_> = FindingKind::ALL
        .into_iter()
        .filter(|k| k.breaks() == Some(Property::Safety))
        .filter_map(|k| tally.get(&k).filter(|&&n| n > 0).map(|&n| (k, n)))
        .collect();
    assert_eq!(safety, expected);
    assert_eq!(verdict.liveness, vec![(FindingKind::Blocked, 1)]);
    assert_eq!(verdict.harmless, vec![(FindingKind::StaleRefused, 1), (FindingKind::HarmlessOverlap, 1)]);
    assert!(verdict.violated());
}
