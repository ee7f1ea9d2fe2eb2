//! etcd servers through the JSON gateway: leases, the one-transaction acquire and release, the
//! revision as fencing token, and the lease expiry etcd actually delivers.

use faultline::service::etcd::{Etcd, lease_not_found};
use faultline::service::{Cluster, ServiceKind, available_or_skip};
use std::net::TcpListener;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(2);

#[test]
fn etcd_acquire_refuse_release_and_revisions() {
    let _turn = crate::serial();
    if !available_or_skip(ServiceKind::Etcd, "etcd::etcd_acquire_refuse_release_and_revisions") {
        return;
    }
    let cluster = Cluster::start(ServiceKind::Etcd, 1).unwrap();
    let etcd = Etcd::new(cluster.addrs()[0], TIMEOUT);
    assert!(etcd.health().unwrap());
    let (mine, yours) = (etcd.grant(30).unwrap(), etcd.grant(30).unwrap());
    assert_ne!(mine, yours);

    let first = etcd.acquire(b"lock", b"me", mine).unwrap().expect("a free key is granted");
    assert_eq!(etcd.acquire(b"lock", b"you", yours).unwrap(), None, "a held key is refused");
    assert!(!etcd.release(b"lock", b"you").unwrap(), "only the holder's value releases");
    let held = etcd.get(b"lock").unwrap().unwrap();
    assert_eq!((held.value.as_slice(), held.create_revision, held.lease), (&b"me"[..], first, mine));
    assert!(etcd.release(b"lock", b"me").unwrap());
    assert_eq!(etcd.get(b"lock").unwrap(), None);

    let second = etcd.acquire(b"lock", b"you", yours).unwrap().expect("a released key is granted");
    assert!(second > first, "the fencing token grows: {first} then {second}");
    assert!(etcd.keepalive(mine).unwrap() > 0);

    etcd.revoke(yours).unwrap();
    assert_eq!(etcd.get(b"lock").unwrap(), None, "revoking the lease deletes its key");
    assert!(etcd.keepalive(yours).unwrap() <= 0, "a revoked lease has no time left");
    etcd.revoke(yours).unwrap();
    let error = etcd.acquire(b"lock", b"you", yours).unwrap_err();
    assert!(lease_not_found(&error), "{error}");
    let third = etcd.acquire(b"lock", b"me", mine).unwrap().unwrap();
    assert!(third > second);

    for key in [&b"run/a"[..], b"run/b", b"other"] {
        etcd.acquire(key, b"x", mine).unwrap().unwrap();
    }
    etcd.delete_prefix(b"run/").unwrap();
    assert_eq!(etcd.get(b"run/a").unwrap(), None);
    assert_eq!(etcd.get(b"run/b").unwrap(), None);
    assert!(etcd.get(b"other").unwrap().is_some(), "keys outside the prefix stay");
    etcd.delete_prefix(b"").unwrap();
    assert_eq!(etcd.get(b"other").unwrap(), None, "the empty prefix is every key");
}

/// How long after the grant of a lease of `ttl` seconds its key is gone, polled every 5 ms.
fn expiry(etcd: &Etcd, key: &[u8], ttl: i64) -> Duration {
    let granted = Instant::now();
    let lease = etcd.grant(ttl).unwrap();
    etcd.acquire(key, b"holder", lease).unwrap().expect("a free key");
    while etcd.get(key).unwrap().is_some() {
        assert!(granted.elapsed() < Duration::from_secs(10), "the key outlived its lease");
        std::thread::sleep(Duration::from_millis(5));
    }
    granted.elapsed()
}

#[test]
fn etcd_lease_expiry_frees_the_key() {
    let _turn = crate::serial();
    if !available_or_skip(ServiceKind::Etcd, "etcd::etcd_lease_expiry_frees_the_key") {
        return;
    }
    let cluster = Cluster::start(ServiceKind::Etcd, 1).unwrap();
    let etcd = Etcd::new(cluster.addrs()[0], TIMEOUT);
    // FAULTLINE_TTL_SAMPLES=20 measures the figures in the etcd module's documentation.
    let samples: usize =
        std::env::var("FAULTLINE_TTL_SAMPLES").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    // Grants right after an expiry would all fall at one phase of etcd's 500 ms expiry check:
    // a varying wait first spreads them over it.
    let mut seen: Vec<Duration> = (0..samples as u64)
        .map(|i| {
            std::thread::sleep(Duration::from_millis(i * 173 % 500));
            expiry(&etcd, b"lock", 1)
        })
        .collect();
    seen.sort();
    eprintln!("etcd: the key of a 1 s lease was gone after {seen:?}");
    for took in &seen {
        // etcd checks for expired leases every 500 ms: between 1 and 1.5 s, with room for a
        // loaded machine above.
        assert!(*took >= Duration::from_millis(950) && *took < Duration::from_millis(2500), "{took:?}");
    }
    // A TTL below etcd's minimum is raised to it, not refused.
    let zero = expiry(&etcd, b"lock", 0);
    assert!(zero >= Duration::from_millis(950), "a 0 s lease lasted {zero:?}");
    let other = etcd.grant(30).unwrap();
    assert!(etcd.acquire(b"lock", b"next", other).unwrap().is_some(), "an expired holder's key is free");
}

#[test]
fn etcd_killed_restarted_and_stopped() {
    let _turn = crate::serial();
    if !available_or_skip(ServiceKind::Etcd, "etcd::etcd_killed_restarted_and_stopped") {
        return;
    }
    let mut cluster = Cluster::start(ServiceKind::Etcd, 2).unwrap();
    let addrs = cluster.addrs();
    let etcd = Etcd::new(addrs[0], Duration::from_millis(500));
    let lease = etcd.grant(60).unwrap();
    let token = etcd.acquire(b"lock", b"me", lease).unwrap().unwrap();
    let other = Etcd::new(addrs[1], TIMEOUT);
    assert!(other.get(b"lock").unwrap().is_none(), "each server is a cluster of its own");

    cluster.kill(0);
    let started = Instant::now();
    let error = etcd.get(b"lock").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1) && !error.is_timeout(), "{error}");
    cluster.restart(0).unwrap();
    assert_eq!(cluster.addrs(), addrs);
    let kept = etcd.get(b"lock").unwrap().expect("a restarted etcd keeps its data directory");
    assert_eq!(kept.create_revision, token);

    cluster.stop(0).unwrap();
    let started = Instant::now();
    let error = etcd.get(b"lock").unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
    cluster.resume(0).unwrap();
    assert!(etcd.get(b"lock").unwrap().is_some());
}

#[test]
fn an_etcd_address_where_nothing_listens_is_an_error_within_seconds() {
    let _turn = crate::serial();
    let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let etcd = Etcd::new(addr, TIMEOUT);
    let started = Instant::now();
    let error = etcd.grant(5).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{error}");
    assert!(error.to_string().starts_with(&addr.to_string()), "{error}");

    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let etcd = Etcd::new(silent.local_addr().unwrap(), Duration::from_millis(300));
    let started = Instant::now();
    let error = etcd.get(b"k").unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}
