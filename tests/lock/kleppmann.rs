//! Kleppmann's timeline, event by event.

use faultline::engine::FaultEvent;
use faultline::lock::Variant;
use faultline::lock::msg::{LockEvent, Op};
use faultline::lock::trace::{Happening, Moment, kleppmann};
use faultline::time::MS;

fn events(entries: &[Moment]) -> Vec<(u64, Happening)> {
    let start = entries[0].at;
    entries.iter().map(|e| (e.at - start, e.what)).collect()
}

fn write_of(entries: &[Moment], token: u64) -> (u64, bool) {
    entries
        .iter()
        .find_map(|e| match e.what {
            Happening::Event(LockEvent::Accessed { token: t, op: Op::Write(v), accepted, .. })
                if t == token =>
            {
                Some((v, accepted))
            }
            _ => None,
        })
        .expect("the write happened")
}

#[test]
fn client_1_holds_33_freezes_client_2_gets_34_and_fenced_storage_rejects_33() {
    let (report, entries) = kleppmann(Variant::FENCED);
    let ev = events(&entries);
    use Happening::*;
    assert_eq!(ev[0], (0, Event(LockEvent::Granted { client: 0, token: 33 })));
    assert!(ev.contains(&(0, Fault(FaultEvent::StallBegin { until: entries[0].at + 30 * MS }))));
    assert!(ev.contains(&(10 * MS, Event(LockEvent::Freed { token: 33, expired: true }))));
    assert!(ev.contains(&(10 * MS, Event(LockEvent::Granted { client: 1, token: 34 }))));
    assert!(ev.contains(&(30 * MS, Fault(FaultEvent::StallEnd))));
    // Client 2 writes first with 34 and is accepted; client 1's later write with 33 is refused.
    assert_eq!(write_of(&entries, 34), (33, true));
    assert_eq!(write_of(&entries, 33), (33, false));
    let m = report.metrics;
    assert_eq!((m.lost_updates, m.stale_accepted, m.stale_rejected), (0, 0, 1));
    // The SMS is not storage: it goes out twice with the same number.
    assert_eq!(m.duplicate_effects, 1);
}

#[test]
fn the_same_timeline_on_plain_storage_accepts_33_and_loses_updates() {
    let (report, entries) = kleppmann(Variant::LEASE);
    assert_eq!(write_of(&entries, 34), (33, true));
    assert_eq!(write_of(&entries, 33), (33, true));
    let m = report.metrics;
    assert!(m.lost_updates >= 1, "client 1's stale write must clobber client 2's: {m:?}");
    assert_eq!(m.stale_accepted, 1);
    assert!(m.duplicate_effects >= 1);
}
