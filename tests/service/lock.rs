//! The lock designs on real servers (issue 17): Redis, Redlock on real Redis servers, etcd. Each
//! test starts its own servers on free loopback ports; where the server binary is missing it says
//! it skipped and why (and fails instead under `FAULTLINE_REQUIRE_SERVERS=1`, as `.ci/run` sets).
//!
//! Real servers run on real time, so these tests hold to the rule of the threads tests: margins of
//! tens of milliseconds, or tolerances derived from the sample and the machine's timing, never a
//! bet on a quiet machine. They live in a test binary of their own, away from the simulator's
//! CPU-bound tests, and take turns (`crate::serial`), so that no other test's threads steal the cores
//! their clients' timing depends on.

use faultline::engine::Ending;
use faultline::fault::Dist;
use faultline::lock::config::{NodeFault, Partition, Scripted, ScriptedFault};
use faultline::lock::predict::closed_form::predict;
use faultline::lock::topology::Target;
use faultline::lock::{EngineKind, LockConfig, LockReport, Variant, run};
use faultline::node::PausePoint;
use faultline::service::{ServiceKind, ServiceSpec, available_or_skip};
use faultline::time::{MS, Nanos, SEC};

fn on(variant: Variant) -> LockConfig {
    let mut cfg = LockConfig::new(variant, EngineKind::Threads);
    cfg.pause = Dist::None;
    cfg
}

fn stall(client: usize, acquisition: u64, span: Nanos) -> Scripted {
    Scripted { client, acquisition, at: PausePoint::P2, fault: ScriptedFault::Stall(span) }
}

fn server(index: usize) -> Target {
    Target::parse(&format!("server:{}", index + 1)).unwrap()
}

fn ran(cfg: &LockConfig) -> LockReport {
    run(cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// How much longer a real Redis lease of `L` lasts than `L`: Redis keeps expiry times in whole
/// milliseconds and lets a key go once its clock is past that millisecond, so a key set with
/// `PX L` goes between `L` and `L + 1 ms` after the `SET`, half a millisecond late on average.
const REDIS_EXPIRY_GRAIN: Nanos = MS;
/// How far real time moves a section either way against the model's: the round trips to Redis
/// and through the adapter, the timer slack of a sleeping thread.
const REAL_TIME_SLACK: Nanos = MS / 2;

/// Redis lease, exponential stalls after the last check: the overlap rate against the lease
/// follows the closed form (that of the model's `redlock --servers 1`, which polls the same way)
/// at three leases, and falls as the lease grows. Four clients, so that someone is always waiting
/// as the closed form assumes. The measured rate must lie within four standard errors of the
/// closed form evaluated over the leases real time can make of `L`: from `L - REAL_TIME_SLACK`
/// to `L + REDIS_EXPIRY_GRAIN + REAL_TIME_SLACK`. (Measured on this machine, 1,000 acquisitions
/// a lease: 0.320, 0.148, 0.067 against 0.354, 0.159, 0.072 at 6, 10, 14 ms: below the closed
/// form by about half a millisecond of lease, the expiry grain.)
#[test]
fn a_redis_lease_overlaps_as_the_closed_form_says() {
    if !available_or_skip(ServiceKind::Redis, "a_redis_lease_overlaps_as_the_closed_form_says") {
        return;
    }
    let _turn = crate::serial();
    let mut rates = Vec::new();
    for lease in [6 * MS, 10 * MS, 14 * MS] {
        let mut cfg = on(Variant::REDIS_LEASE);
        cfg.pause = Dist::Exp { mean: 5 * MS };
        cfg.lease = Some(lease);
        cfg.retry = MS;
        cfg.clients = 4;
        cfg.acquisitions = 600;
        let m = ran(&cfg).metrics;
        let mut model = LockConfig::new(Variant::REDLOCK, EngineKind::Sim);
        model.servers = 1;
        model.clients = cfg.clients;
        model.pause = cfg.pause.clone();
        model.retry = cfg.retry;
        let at = |lease: Nanos| {
            let mut c = model.clone();
            c.lease = Some(lease);
            predict(&c).and_then(|p| p.overlap_rate).expect("the closed form covers a polling lease")
        };
        let high = at(lease - REAL_TIME_SLACK);
        let low = at(lease + REDIS_EXPIRY_GRAIN + REAL_TIME_SLACK);
        let n = m.acquisitions as f64;
        let se = (high * (1.0 - high) / n).sqrt();
        // The run's last sections have fewer clients left to take the lock.
        let shortfall = high * (cfg.clients - 1) as f64 / n;
        let rate = m.rates.overlap.rate;
        assert!(
            low - 4.0 * se - shortfall <= rate && rate <= high + 4.0 * se,
            "lease {lease}: measured {rate}, closed form {low}..{high} ± {}: {m:?}",
            4.0 * se
        );
        assert_eq!(m.ending, Ending::Finished);
        rates.push(rate);
    }
    assert!(rates[0] > rates[1] && rates[1] > rates[2], "{rates:?}");
}

/// With no stalls, a Redis lease never overlaps and loses no update in thousands of sections: the
/// lease is a hundred times the section, so no pause of the machine's can reach it.
#[test]
fn a_redis_lease_without_stalls_is_safe() {
    if !available_or_skip(ServiceKind::Redis, "a_redis_lease_without_stalls_is_safe") {
        return;
    }
    let _turn = crate::serial();
    let mut cfg = on(Variant::REDIS_LEASE);
    cfg.lease = Some(200 * MS);
    cfg.retry = MS;
    cfg.clients = 3;
    cfg.acquisitions = 2_000;
    let m = ran(&cfg).metrics;
    assert_eq!((m.ending, m.acquisitions), (Ending::Finished, 2_000), "{m:?}");
    assert_eq!((m.overlaps, m.lost_updates, m.stale_accepted), (0, 0, 0), "{m:?}");
    assert_eq!(m.accepted_writes, 2_000);
}

fn redlock() -> LockConfig {
    let mut cfg = on(Variant::REDIS_REDLOCK);
    cfg.lease = Some(200 * MS);
    cfg.retry = 5 * MS;
    cfg.work = MS;
    cfg.acquisitions = 60;
    cfg.horizon = Some(2 * SEC);
    cfg
}

/// Redlock on three real Redis servers stays live with one of them killed.
#[test]
fn redlock_on_redis_is_live_with_one_server_killed() {
    if !available_or_skip(ServiceKind::Redis, "redlock_on_redis_is_live_with_one_server_killed") {
        return;
    }
    let _turn = crate::serial();
    let mut cfg = redlock();
    cfg.faults.push(NodeFault::Crash { target: server(1), at: 20 * MS });
    let m = ran(&cfg).metrics;
    assert_eq!((m.ending, m.blocked, m.acquisitions), (Ending::Finished, 0, 60), "{m:?}");
}

/// With two of three killed, no majority is left: the clients block, and the run ends at its
/// horizon saying so.
#[test]
fn redlock_on_redis_blocks_with_two_servers_killed() {
    if !available_or_skip(ServiceKind::Redis, "redlock_on_redis_blocks_with_two_servers_killed") {
        return;
    }
    let _turn = crate::serial();
    let mut cfg = redlock();
    cfg.horizon = Some(SEC);
    for s in [0, 1] {
        cfg.faults.push(NodeFault::Crash { target: server(s), at: 20 * MS });
    }
    let m = ran(&cfg).metrics;
    assert_eq!(m.ending, Ending::Horizon, "{m:?}");
    assert!(m.blocked >= 1 && m.acquisitions < 60, "{m:?}");
    assert!(m.unavailable > 0.5, "the oracle counts the servers as down: {m:?}");
}

/// A Redis lease whose one server is frozen (SIGSTOP) for 300 ms keeps every client waiting
/// that long, and goes on when it thaws (SIGCONT): the run finishes.
#[test]
fn a_frozen_redis_holds_everyone_up_and_thaws() {
    if !available_or_skip(ServiceKind::Redis, "a_frozen_redis_holds_everyone_up_and_thaws") {
        return;
    }
    let _turn = crate::serial();
    let mut cfg = on(Variant::REDIS_LEASE);
    cfg.lease = Some(200 * MS);
    cfg.retry = 5 * MS;
    cfg.work = 5 * MS;
    cfg.acquisitions = 40;
    cfg.horizon = Some(5 * SEC);
    cfg.faults.push(NodeFault::Stall { target: server(0), span: 300 * MS, at: 50 * MS });
    let m = ran(&cfg).metrics;
    assert_eq!((m.ending, m.acquisitions, m.overlaps), (Ending::Finished, 40, 0), "{m:?}");
    assert!(m.acquire_latency_ns.max >= 250 * MS, "a waiter waited out the freeze: {m:?}");
}

/// antirez's delayed restarts, measured: client 1 holds servers 1 and 2 (it cannot reach server
/// 3), server 2 is killed and comes back empty, and client 2 takes servers 2 and 3, a majority,
/// while client 1 still holds the lock by its own count.
#[test]
fn an_empty_restarted_redis_gives_two_clients_a_majority() {
    if !available_or_skip(ServiceKind::Redis, "an_empty_restarted_redis_gives_two_clients_a_majority") {
        return;
    }
    let _turn = crate::serial();
    let mut cfg = redlock();
    cfg.lease = Some(SEC);
    cfg.acquisitions = 4;
    cfg.horizon = Some(3 * SEC);
    cfg.partitions.push(Partition::parse("client:1|server:3:0..3s").unwrap());
    cfg.partitions.push(Partition::parse("client:2|server:*:0..40ms").unwrap());
    cfg.script.push(stall(0, 1, 400 * MS));
    cfg.faults.push(NodeFault::Crash { target: server(1), at: 100 * MS });
    cfg.faults.push(NodeFault::Restart { target: server(1), at: 150 * MS });
    let m = ran(&cfg).metrics;
    assert!(m.overlaps >= 1, "two majorities at once: {m:?}");
    // The same run without the restart cannot give client 2 a majority while client 1 holds.
    let mut kept = cfg.clone();
    kept.faults.clear();
    let m = ran(&kept).metrics;
    assert_eq!(m.overlaps, 0, "{m:?}");
}

fn etcd(variant: Variant) -> LockConfig {
    let mut cfg = on(variant);
    cfg.lease = Some(SEC);
    // Waiters poll from 5 ms, doubling up to 320 ms: one polls within that of the expiry.
    cfg.retry = 5 * MS;
    cfg.acquisitions = 6;
    cfg.horizon = Some(15 * SEC);
    // Each client pauses for 2.5 s after its last check in its first section: longer than its
    // lease and etcd's half-second expiry loop together. (Both, because whoever wins the first
    // grant may do its whole quota before the other gets one.)
    cfg.script.extend([stall(0, 1, 2_500 * MS), stall(1, 1, 2_500 * MS)]);
    cfg
}

/// Jepsen's finding on etcd 3.4.3, reproduced: a holder that pauses longer than its lease loses
/// it to the next client while it still acts as the holder.
#[test]
fn an_etcd_lease_lock_overlaps_when_its_holder_pauses() {
    if !available_or_skip(ServiceKind::Etcd, "an_etcd_lease_lock_overlaps_when_its_holder_pauses") {
        return;
    }
    let _turn = crate::serial();
    let m = ran(&etcd(Variant::ETCD_LEASE)).metrics;
    assert!(m.overlaps >= 1 && m.stale_accepted >= 1, "{m:?}");
    assert_eq!(m.ending, Ending::Finished, "{m:?}");
}

/// With the lock key's revision as the fencing token, fenced storage refuses the paused holder's
/// stale write and loses no update; the SMS, which checks nothing, still goes out late.
#[test]
fn the_etcd_revision_fences_storage_but_not_the_sms() {
    if !available_or_skip(ServiceKind::Etcd, "the_etcd_revision_fences_storage_but_not_the_sms") {
        return;
    }
    let _turn = crate::serial();
    let m = ran(&etcd(Variant::ETCD_FENCED)).metrics;
    assert!(m.overlaps >= 1, "{m:?}");
    assert_eq!((m.stale_accepted, m.lost_updates), (0, 0), "{m:?}");
    assert!(m.stale_rejected >= 1, "{m:?}");
    assert!(m.stale_effects + m.duplicate_effects >= 1, "the SMS is not fenced: {m:?}");
}

/// A keep-alive sent by the client itself renews the etcd lease: a holder that works for twice
/// its lease, renewing, keeps the lock (no overlap).
#[test]
fn keep_alives_keep_an_etcd_lease() {
    if !available_or_skip(ServiceKind::Etcd, "keep_alives_keep_an_etcd_lease") {
        return;
    }
    let _turn = crate::serial();
    let mut cfg = on(Variant::ETCD_LEASE);
    cfg.lease = Some(SEC);
    cfg.renew = 200 * MS;
    cfg.work = 2_500 * MS;
    cfg.retry = 20 * MS;
    cfg.acquisitions = 2;
    cfg.horizon = Some(20 * SEC);
    let m = ran(&cfg).metrics;
    assert_eq!((m.ending, m.overlaps), (Ending::Finished, 0), "{m:?}");
}

/// On servers the user runs, a run works as on faultline's own, and leaves no key behind: its
/// keys live under a prefix of the run's own and go with the run. (The servers here are started
/// by the test, and handed to the run by address, as a user's would be.)
#[test]
fn on_servers_you_run_no_key_is_left_behind() {
    use faultline::service::Cluster;
    use faultline::service::etcd::Etcd;
    use faultline::service::redis::{RedisConn, Reply};
    use std::time::Duration;
    if !available_or_skip(ServiceKind::Redis, "on_servers_you_run_no_key_is_left_behind")
        || !available_or_skip(ServiceKind::Etcd, "on_servers_you_run_no_key_is_left_behind")
    {
        return;
    }
    let _turn = crate::serial();
    let addresses = |cluster: &Cluster| cluster.addrs().iter().map(ToString::to_string).collect::<Vec<_>>();
    let redis = Cluster::start(ServiceKind::Redis, 3).unwrap();
    let mut cfg = redlock();
    cfg.acquisitions = 20;
    cfg.service = Some(ServiceSpec::parse(&format!("redis={}", addresses(&redis).join(","))).unwrap());
    let m = ran(&cfg).metrics;
    assert_eq!((m.ending, m.acquisitions), (Ending::Finished, 20), "{m:?}");
    for addr in redis.addrs() {
        let keys = RedisConn::new(addr, Duration::from_secs(1)).call(&[b"KEYS", b"*"]).unwrap();
        assert_eq!(keys, Reply::Array(Vec::new()), "{addr}");
    }
    let etcd = Cluster::start(ServiceKind::Etcd, 1).unwrap();
    let mut cfg = on(Variant::ETCD_LEASE);
    cfg.lease = Some(SEC);
    cfg.acquisitions = 10;
    cfg.service = Some(ServiceSpec::parse(&format!("etcd={}", addresses(&etcd)[0])).unwrap());
    let m = ran(&cfg).metrics;
    assert_eq!((m.ending, m.acquisitions), (Ending::Finished, 10), "{m:?}");
    assert_eq!(Etcd::new(etcd.addrs()[0], Duration::from_secs(1)).count_prefix(b"").unwrap(), 0);
}

/// The configuration says where the servers are, and nothing else changes: the spec reads back.
#[test]
fn a_service_configuration_reads_back() {
    let mut cfg = on(Variant::REDIS_REDLOCK);
    cfg.service = Some(ServiceSpec::parse("redis=127.0.0.1:6379,127.0.0.1:6380,127.0.0.1:6381").unwrap());
    let json = serde_json::to_string(&cfg).unwrap();
    assert!(json.contains(r#""service":"redis=127.0.0.1:6379,127.0.0.1:6380,127.0.0.1:6381""#), "{json}");
    let back: LockConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cfg);
    assert_eq!(back.validate(), Ok(()));
    // The model's configurations carry no service at all.
    let model = serde_json::to_string(&LockConfig::new(Variant::LEASE, EngineKind::Sim)).unwrap();
    assert!(!model.contains("service"), "{model}");
}

/// What a real service cannot take, or a model cannot, is refused before anything starts.
#[test]
fn faults_a_service_cannot_take_are_refused() {
    let started = on(Variant::REDIS_REDLOCK);
    let mut external = started.clone();
    external.service = Some(ServiceSpec::parse("redis=127.0.0.1:1,127.0.0.1:2,127.0.0.1:3").unwrap());
    let crash = NodeFault::Crash { target: server(0), at: 10 * MS };
    let jump = NodeFault::parse_jump("server:1:+5ms@10ms").unwrap();
    let restart = NodeFault::Restart { target: server(0), at: 20 * MS };
    let refused = |cfg: &LockConfig, fault: NodeFault, why: &str| {
        let mut cfg = cfg.clone();
        cfg.faults.push(fault);
        let e = cfg.validate().expect_err(why).to_string();
        assert!(e.contains(why), "{e}");
    };
    refused(&external, crash, "did not start");
    refused(&started, jump, "keeps its own clock");
    refused(&started, restart, "not down then");
    let mut model = LockConfig::new(Variant::REDLOCK, EngineKind::Sim);
    model.faults.extend([crash, restart]);
    assert!(model.validate().unwrap_err().to_string().contains("only a real server restarts"));
    let mut sim = started.clone();
    sim.engine = EngineKind::Sim;
    assert!(sim.validate().unwrap_err().to_string().contains("--engine threads"));
    let mut ok = started.clone();
    ok.faults.extend([crash, restart]);
    assert_eq!(ok.validate(), Ok(()));
    let mut wrong = on(Variant::ETCD_LEASE);
    wrong.lease = Some(1_500 * MS);
    assert!(wrong.validate().unwrap_err().to_string().contains("whole seconds"));
}

mod cli {
    //! The command line on real services: bad input is one line and exit 2 with nothing on
    //! stdout, and no run leaves a server process or a directory behind, however it ends.

    use super::available_or_skip;
    use faultline::service::ServiceKind;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};
    use std::time::{Duration, Instant};

    fn faultline(args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_faultline"));
        command.args(args).stdin(Stdio::null());
        command
    }

    fn refused(args: &[&str], why: &str) -> Output {
        let out = faultline(args).output().expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
        out
    }

    /// A loopback port nobody listens on (bound, then let go).
    fn silent_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[test]
    fn bad_service_input_is_one_line_and_exit_2() {
        let nobody = format!("redis=127.0.0.1:{}", silent_port());
        let started = Instant::now();
        refused(&["lock", "--service", &nobody], "no redis answers");
        // A hang would be minutes; the answer is the connection refused, or the 2 s timeout.
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
        let etcd = format!("etcd=127.0.0.1:{}", silent_port());
        refused(&["lock", "--service", &etcd], "no etcd answers");
        refused(&["lock", "--service", "zookeeper"], "is not a service: use redis or etcd");
        refused(&["lock", "--service", "redis=localhost"], "is not a server address");
        refused(&["lock", "--service", "redis", "--engine", "sim"], "--engine threads");
        refused(&["lock", "--variant", "non-preemptive", "--service", "redis"], "has no version on redis");
        refused(&["lock", "--service", "redis=127.0.0.1:6379", "--crash", "server:1@10ms"], "did not start");
        refused(&["lock", "--service", "redis", "--clock-jump", "server:1:+5ms@1ms"], "keeps its own clock");
        refused(&["lock", "--service", "etcd", "--lease", "1500ms"], "whole seconds");
        refused(
            &["lock", "--variant", "redlock", "--crash", "server:1@1ms", "--restart", "server:1@2ms"],
            "only a real server restarts",
        );
        refused(&["lock", "--variant", "redis-redlock", "--restart", "server:1@2ms"], "not down then");
        refused(&["advise", "--service", "redis", "--target", "1e-3"], "runs on the simulator");
    }

    /// Without the server binary, a run is one line naming the package to install.
    #[test]
    fn a_missing_server_binary_names_its_package() {
        let empty = tempdir("missing");
        let out = faultline(&["lock", "--service", "etcd"]).env("PATH", &empty).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(stderr.contains("apt-get install etcd-server"), "{stderr}");
        std::fs::remove_dir_all(&empty).unwrap();
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("faultline-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The children of process `parent` now.
    fn children(parent: u32) -> Vec<u32> {
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // The fields after the command name: state, then the parent's pid.
            let ppid =
                stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
            if ppid == Some(parent) {
                pids.push(pid);
            }
        }
        pids
    }

    /// True when process `pid` exists and is not a zombie.
    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
    }

    /// Runs faultline with `args` and `TMPDIR=dir`, noting every server it starts; with
    /// `signal`, sends it once three servers run. Its exit status and the servers it had.
    fn watched(args: &[&str], dir: &Path, signal: Option<&str>) -> (std::process::ExitStatus, Vec<u32>) {
        let mut child =
            faultline(args).env("TMPDIR", dir).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let mut seen: Vec<u32> = Vec::new();
        let until = Instant::now() + Duration::from_secs(30);
        let mut sent = false;
        loop {
            for pid in children(child.id()) {
                if !seen.contains(&pid) {
                    seen.push(pid);
                }
            }
            if let Some(status) = child.try_wait().unwrap() {
                return (status, seen);
            }
            if let Some(signal) = signal.filter(|_| !sent && seen.len() >= 3) {
                // Let the run get going, then interrupt it.
                std::thread::sleep(Duration::from_millis(200));
                assert!(
                    Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap().success()
                );
                sent = true;
            }
            assert!(Instant::now() < until, "the run did not end");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn assert_nothing_left(dir: &Path, servers: &[u32], how: &str) {
        let alive: Vec<u32> = servers.iter().copied().filter(|&pid| alive(pid)).collect();
        assert_eq!(alive, Vec::<u32>::new(), "{how}: server processes left behind");
        let left: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
        assert!(left.is_empty(), "{how}: left behind {left:?}");
    }

    /// A finished run, a run whose lock fails (two of three servers killed: it ends at its
    /// horizon), and runs interrupted by Ctrl-C and by SIGTERM: none leaves a server or a
    /// directory behind.
    #[test]
    fn no_run_leaves_a_server_or_a_directory_behind() {
        if !available_or_skip(ServiceKind::Redis, "no_run_leaves_a_server_or_a_directory_behind") {
            return;
        }
        let _turn = crate::serial();
        let dir = tempdir("leftovers");
        let common =
            ["lock", "--variant", "redlock", "--service", "redis", "--retry", "5ms", "--work", "20ms"];
        for (how, extra, signal, code) in [
            ("a finished run", &["--acquisitions", "30"][..], None, 0),
            (
                "a run whose lock fails",
                &["--crash", "server:1@10ms", "--crash", "server:2@10ms", "--horizon", "500ms"][..],
                None,
                0,
            ),
            ("Ctrl-C", &["--acquisitions", "1000"][..], Some("-INT"), 130),
            ("SIGTERM", &["--acquisitions", "1000"][..], Some("-TERM"), 130),
        ] {
            let (status, servers) = watched(&[&common[..], extra].concat(), &dir, signal);
            assert_eq!(status.code(), Some(code), "{how}");
            assert_eq!(servers.len(), 3, "{how}: three servers started: {servers:?}");
            assert_nothing_left(&dir, &servers, how);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
