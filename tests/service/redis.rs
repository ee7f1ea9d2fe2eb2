//! Redis servers, and the client's one rule: a call that failed drops its connection.

use faultline::service::redis::{RedisConn, Reply};
use faultline::service::{Cluster, ServiceError, ServiceKind, available_or_skip};
use std::net::TcpListener;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_millis(300);
/// What a loaded 2-core machine may add to a timeout before the call returns.
const SLACK: Duration = Duration::from_millis(700);

fn bulk(text: &str) -> Reply {
    Reply::Bulk(text.as_bytes().to_vec())
}

#[test]
fn three_servers_answer_and_a_killed_one_fails_fast_and_comes_back_empty() {
    let _turn = crate::serial();
    if !available_or_skip(
        ServiceKind::Redis,
        "redis::three_servers_answer_and_a_killed_one_fails_fast_and_comes_back_empty",
    ) {
        return;
    }
    let mut cluster = Cluster::start(ServiceKind::Redis, 3).unwrap();
    assert_eq!(cluster.len(), 3);
    let addrs = cluster.addrs();
    let mut conns: Vec<RedisConn> =
        addrs.iter().map(|&a| RedisConn::new(a, Duration::from_secs(2))).collect();
    for (i, conn) in conns.iter_mut().enumerate() {
        let value = format!("v{i}");
        assert!(conn.call(&[b"SET", b"k", value.as_bytes()]).unwrap().is_ok());
        assert_eq!(conn.call(&[b"GET", b"k"]).unwrap(), bulk(&value), "server {i} keeps its own value");
    }
    assert!(conns[0].call(&[b"NOSUCHCOMMAND"]).unwrap().as_error().is_some(), "a refusal is a reply");

    cluster.kill(1);
    assert!(!cluster.server(1).is_running());
    // The open connection sees the crash, then a new one is refused; neither waits out the timeout.
    for attempt in ["on the open connection", "on a new connection"] {
        let started = Instant::now();
        let error = conns[1].call(&[b"GET", b"k"]).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{attempt}: {error} took {:?}",
            started.elapsed()
        );
        assert!(!error.is_timeout(), "{attempt}: {error}");
        assert!(!conns[1].is_connected());
    }
    assert_eq!(conns[2].call(&[b"GET", b"k"]).unwrap(), bulk("v2"), "the others live on");

    cluster.restart(1).unwrap();
    assert_eq!(cluster.addrs(), addrs, "a restart keeps the address");
    assert_eq!(conns[1].call(&[b"GET", b"k"]).unwrap(), Reply::Nil, "a restarted Redis is empty");
    assert_eq!(conns[1].call(&[b"DBSIZE"]).unwrap().as_int(), Some(0));
}

#[test]
fn a_stopped_server_times_out_and_its_late_reply_answers_nothing() {
    let _turn = crate::serial();
    if !available_or_skip(
        ServiceKind::Redis,
        "redis::a_stopped_server_times_out_and_its_late_reply_answers_nothing",
    ) {
        return;
    }
    let mut cluster = Cluster::start(ServiceKind::Redis, 1).unwrap();
    let mut conn = RedisConn::new(cluster.addrs()[0], TIMEOUT);
    assert!(conn.call(&[b"SET", b"a", b"A"]).unwrap().is_ok());
    assert!(conn.call(&[b"SET", b"b", b"B"]).unwrap().is_ok());

    cluster.stop(0).unwrap();
    assert!(cluster.server(0).is_stopped());
    let started = Instant::now();
    let error = conn.call(&[b"GET", b"a"]).unwrap_err();
    let took = started.elapsed();
    assert!(error.is_timeout(), "{error}");
    assert!(
        took >= TIMEOUT - Duration::from_millis(20) && took < TIMEOUT + SLACK,
        "timed out after {took:?}"
    );
    assert!(!conn.is_connected(), "a timed-out call drops its connection");
    // A new connection to a frozen server: accepted by the kernel, answered by nobody.
    let error = conn.call(&[b"GET", b"b"]).unwrap_err();
    assert!(error.is_timeout(), "{error}");

    cluster.resume(0).unwrap();
    // The server now answers `GET a` on the dropped connection; had it been kept, `A` would
    // be taken for the answer to `GET b`.
    assert_eq!(conn.call(&[b"GET", b"b"]).unwrap(), bulk("B"));
    assert_eq!(conn.call(&[b"GET", b"a"]).unwrap(), bulk("A"));
}

#[test]
fn scripts_run_with_keys_and_arguments() {
    let _turn = crate::serial();
    if !available_or_skip(ServiceKind::Redis, "redis::scripts_run_with_keys_and_arguments") {
        return;
    }
    let cluster = Cluster::start(ServiceKind::Redis, 1).unwrap();
    let mut conn = RedisConn::new(cluster.addrs()[0], Duration::from_secs(2));
    // The compare-and-delete of a lock release.
    let release =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
    assert_eq!(
        conn.call(&[b"SET", b"lock", b"me", b"NX", b"PX", b"10000"]).unwrap(),
        Reply::Simple("OK".into())
    );
    assert_eq!(conn.call(&[b"SET", b"lock", b"you", b"NX", b"PX", b"10000"]).unwrap(), Reply::Nil);
    assert_eq!(conn.eval(release, &[b"lock"], &[b"you"]).unwrap().as_int(), Some(0));
    assert_eq!(conn.eval(release, &[b"lock"], &[b"me"]).unwrap().as_int(), Some(1));
    assert_eq!(conn.call(&[b"EXISTS", b"lock"]).unwrap().as_int(), Some(0));
    let pair = conn.eval("return {KEYS[1], ARGV[1]}", &[b"k"], &[b"v"]).unwrap();
    assert_eq!(pair, Reply::Array(vec![bulk("k"), bulk("v")]));
}

#[test]
fn an_address_where_nothing_listens_is_an_error_within_seconds() {
    let _turn = crate::serial();
    // A port that was free a moment ago: refused at once.
    let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut conn = RedisConn::new(addr, Duration::from_secs(2));
    let started = Instant::now();
    let error = conn.call(&[b"PING"]).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{error}");
    assert!(error.to_string().starts_with(&addr.to_string()), "{error}");

    // A socket that accepts and never answers: the timeout, not a hang.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut conn = RedisConn::new(silent.local_addr().unwrap(), TIMEOUT);
    let started = Instant::now();
    let error = conn.call(&[b"PING"]).unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < TIMEOUT + SLACK, "{:?}", started.elapsed());
}

#[test]
fn a_restart_on_a_port_someone_took_fails_with_the_reason() {
    let _turn = crate::serial();
    if !available_or_skip(ServiceKind::Redis, "redis::a_restart_on_a_port_someone_took_fails_with_the_reason")
    {
        return;
    }
    let mut cluster = Cluster::start(ServiceKind::Redis, 1).unwrap();
    let addr = cluster.addrs()[0];
    cluster.kill(0);
    let squatter = TcpListener::bind(addr).unwrap();
    let error = cluster.restart(0).unwrap_err();
    assert!(matches!(error, ServiceError::StartFailed { .. }), "{error}");
    assert!(error.to_string().contains("port was taken"), "{error}");
    assert!(!cluster.server(0).is_running());
    drop(squatter);
    cluster.restart(0).unwrap();
    assert_eq!(RedisConn::new(addr, TIMEOUT).call(&[b"PING"]).unwrap(), Reply::Simple("PONG".into()));
}
