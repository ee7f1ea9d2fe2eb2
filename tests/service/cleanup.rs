//! Nothing is left behind: not after a drop, not after an interrupt; and a missing binary is one
//! line. The interrupt and missing-binary tests run this test binary again as a child
//! (`std::env::current_exe`), selecting one helper test with `--exact` and an environment variable
//! that makes it act; without the variable the helpers do nothing.

use super::{alive, gone};
use faultline::service::{Cluster, ServiceError, ServiceKind, available_or_skip, binary_on_path};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn start_times_are_reported() {
    let _turn = crate::serial();
    for kind in ServiceKind::ALL {
        if !available_or_skip(kind, "cleanup::start_times_are_reported") {
            continue;
        }
        let cluster = Cluster::start(kind, 3).unwrap();
        let times: Vec<Duration> = (0..cluster.len()).map(|i| cluster.server(i).started_in()).collect();
        eprintln!("{kind}: 3 servers answered {times:?} after their spawns");
        assert!(times.iter().all(|t| !t.is_zero() && *t < Duration::from_secs(10)));
    }
}

#[test]
fn dropping_a_cluster_leaves_no_process_and_no_directory() {
    let _turn = crate::serial();
    for kind in ServiceKind::ALL {
        if !available_or_skip(kind, "cleanup::dropping_a_cluster_leaves_no_process_and_no_directory") {
            continue;
        }
        let mut cluster = Cluster::start(kind, 3).unwrap();
        cluster.stop(0).unwrap();
        cluster.kill(1);
        let pids: Vec<u32> = [0, 2].iter().map(|&i| cluster.server(i).pid().unwrap()).collect();
        let dirs: Vec<PathBuf> = (0..3).map(|i| cluster.server(i).dir().to_path_buf()).collect();
        assert!(pids.iter().all(|&p| alive(p)) && dirs.iter().all(|d| d.is_dir()));
        drop(cluster);
        for pid in pids {
            assert!(
                !std::path::Path::new(&format!("/proc/{pid}")).exists(),
                "{kind} pid {pid} is still there"
            );
        }
        for dir in dirs {
            assert!(gone(&dir), "{} is still there", dir.display());
        }
    }
}

#[test]
fn a_panic_unwinds_through_the_cleanup() {
    let _turn = crate::serial();
    if !available_or_skip(ServiceKind::Redis, "cleanup::a_panic_unwinds_through_the_cleanup") {
        return;
    }
    let seen = std::sync::Mutex::new(None);
    let result = std::panic::catch_unwind(|| {
        let cluster = Cluster::start(ServiceKind::Redis, 1).unwrap();
        *seen.lock().unwrap() =
            Some((cluster.server(0).pid().unwrap(), cluster.server(0).dir().to_path_buf()));
        panic!("a run that fails");
    });
    assert!(result.is_err());
    let (pid, dir) = seen.lock().unwrap().clone().unwrap();
    assert!(!alive(pid) && gone(&dir));
}

/// Runs helper test `name` of this binary as a child with `env` set.
fn child(name: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", name, "--nocapture", "--test-threads", "1"]);
    command.env_remove("FAULTLINE_REQUIRE_SERVERS");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// The helper of the interrupt test: starts servers, says which, and waits to be interrupted.
#[test]
fn hold_servers_child() {
    let _turn = crate::serial();
    if std::env::var_os("FAULTLINE_HOLD").is_none() {
        return;
    }
    let mut clusters = vec![Cluster::start(ServiceKind::Redis, 2).unwrap()];
    clusters[0].stop(1).unwrap();
    if binary_on_path(ServiceKind::Etcd) {
        clusters.push(Cluster::start(ServiceKind::Etcd, 1).unwrap());
    }
    for cluster in &clusters {
        for i in 0..cluster.len() {
            let server = cluster.server(i);
            println!("SERVER {} {}", server.pid().unwrap(), server.dir().display());
        }
    }
    println!("READY");
    std::thread::sleep(Duration::from_secs(60));
    panic!("not interrupted within 60 s");
}

#[test]
fn an_interrupt_kills_every_server_and_removes_every_directory() {
    let _turn = crate::serial();
    if !available_or_skip(
        ServiceKind::Redis,
        "cleanup::an_interrupt_kills_every_server_and_removes_every_directory",
    ) {
        return;
    }
    for signal in [nix::sys::signal::Signal::SIGINT, nix::sys::signal::Signal::SIGTERM] {
        let mut holder = child("cleanup::hold_servers_child", &[("FAULTLINE_HOLD", "1")])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut servers = Vec::new();
        let mut ready = false;
        for line in BufReader::new(holder.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("SERVER ") {
                let (pid, dir) = rest.split_once(' ').unwrap();
                servers.push((pid.parse::<u32>().unwrap(), PathBuf::from(dir)));
            } else if line == "READY" {
                ready = true;
                break;
            }
        }
        assert!(ready && servers.len() >= 2, "the child did not start its servers");
        assert!(servers.iter().all(|(pid, dir)| alive(*pid) && dir.is_dir()));

        let target = nix::unistd::Pid::from_raw(holder.id() as i32);
        nix::sys::signal::kill(target, signal).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = holder.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                holder.kill().unwrap();
                panic!("the child did not exit within 10 s of {signal}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(130), "{signal}");
        for (pid, dir) in servers {
            assert!(!alive(pid), "after {signal}: server {pid} is still running");
            assert!(gone(&dir), "after {signal}: {} is still there", dir.display());
        }
    }
}

/// The helper of the missing-binary test: runs with an empty `PATH`.
#[test]
fn missing_binary_child() {
    let _turn = crate::serial();
    if std::env::var_os("FAULTLINE_MISSING").is_none() {
        return;
    }
    let error = Cluster::start(ServiceKind::Redis, 1).unwrap_err();
    assert!(matches!(error, ServiceError::MissingBinary { .. }));
    println!("ERROR {error}");
    assert!(!available_or_skip(ServiceKind::Etcd, "missing_binary_child"));
}

#[test]
fn a_missing_binary_is_one_line_naming_the_package() {
    let _turn = crate::serial();
    let empty = std::env::temp_dir().join(format!("faultline-empty-path-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let path = empty.to_str().unwrap();

    let output =
        child("cleanup::missing_binary_child", &[("FAULTLINE_MISSING", "1"), ("PATH", path)]).output();
    // Required servers turn the skip into a failure.
    let required = child("cleanup::missing_binary_child", &[("FAULTLINE_MISSING", "1"), ("PATH", path)])
        .env("FAULTLINE_REQUIRE_SERVERS", "1")
        .output();
    let _ = std::fs::remove_dir(&empty);
    let (output, required) = (output.unwrap(), required.unwrap());
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        // The harness may print its own words in front of the line.
        stdout.lines().any(|l| l.ends_with(
            "ERROR redis-server is not on PATH: install Debian's redis-server package (apt-get install redis-server)"
        )),
        "{stdout}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l == "skipped missing_binary_child: etcd is not on PATH (apt-get install etcd-server)"),
        "{stderr}"
    );
    assert!(!required.status.success());
    assert!(
        String::from_utf8_lossy(&required.stderr)
            .contains("FAULTLINE_REQUIRE_SERVERS=1 makes a skip a failure")
    );
}
