//! Server processes: started on free loopback ports, faulted by signals, and always cleaned up.
//!
//! **Nothing is left behind, however the run ends.** Each [`ServerProcess`] owns its child and
//! its directory: dropping it (and so dropping a [`Cluster`], including while a panic unwinds)
//! kills and reaps the child and removes the directory. For Ctrl-C and `kill` (SIGINT, SIGTERM,
//! SIGHUP), every live server and directory is also listed in a process-wide registry, and
//! [`install_cleanup_handler`] (called by [`Cluster::start`]) installs a handler that kills and
//! reaps every registered server, removes the directories and exits with status 130.
//!
//! What cannot be cleaned: if faultline itself is killed with SIGKILL (or aborts without
//! unwinding), no code of it runs, and its servers keep running with their directories
//! `$TMPDIR/faultline-<kind>-<pid>-<n>` in place (making them die with their parent would take
//! `prctl(PR_SET_PDEATHSIG)` in a `pre_exec` hook, which is `unsafe`, and the crate forbids it).
//! Their logs are in those directories; `pkill -f faultline-redis-<pid>-` or `fuser -k` on the
//! ports ends them.
//!
//! Start times on this machine (2 cores, loopback), from the spawn until the server answers, with
//! the flags of [`ServerProcess`]'s command line: Redis answers `PING` after 11–13 ms, etcd
//! reports healthy (it has elected itself leader) after 70–115 ms. The servers of a cluster
//! start one after the other. The test `start_times_are_reported` prints them.

use super::etcd::Etcd;
use super::redis::RedisConn;
use super::{ServiceError, ServiceKind, locate};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use parking_lot::Mutex;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a server may take to answer after it is spawned.
pub const START_DEADLINE: Duration = Duration::from_secs(10);

/// How often a starting server is asked whether it answers.
const POLL: Duration = Duration::from_millis(10);

/// How many port pairs a start tries when the ports it picked were taken before the server bound
/// them (another process can take a port between our probe and the server's `bind`).
const PORT_ATTEMPTS: usize = 5;

/// One registered server: its directory, and its process while one runs (none between a kill and
/// a restart, when the directory must still go if the run is interrupted).
struct Live {
    dir: PathBuf,
    pid: Option<u32>,
}

/// Every server directory and live server process of this process. A pid is registered while the
/// lock is held across the spawn, and only reaped while the lock is held across the wait and the
/// deregistration, so the handler never signals a pid that was reaped (and maybe reused).
static LIVE: Mutex<Vec<Live>> = parking_lot::const_mutex(Vec::new());

/// Numbers directories apart across the clusters of one process (tests start many at once).
static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

fn set_pid(live: &mut [Live], dir: &Path, pid: Option<u32>) {
    if let Some(entry) = live.iter_mut().find(|entry| entry.dir == dir) {
        entry.pid = pid;
    }
}

fn registered_pid(live: &[Live], dir: &Path) -> Option<u32> {
    live.iter().find(|entry| entry.dir == dir).and_then(|entry| entry.pid)
}

/// Sends `signal` to `pid`.
fn signal(pid: u32, signal: Signal) -> Result<(), ServiceError> {
    let target = i32::try_from(pid).map_err(|_| ServiceError::local("signalling", format!("pid {pid}")))?;
    kill(Pid::from_raw(target), signal)
        .map_err(|e| ServiceError::local(format!("sending {signal} to {pid}"), e))
}

/// Kills every registered server (SIGCONT, then SIGKILL, then reaps it) and removes every
/// registered directory. The Ctrl-C handler of [`install_cleanup_handler`] calls it; a program
/// with a signal handler of its own calls it there instead, and must then exit: the [`Cluster`]s
/// still alive no longer own their servers.
pub fn cleanup_registered() {
    let mut live = LIVE.lock();
    for entry in live.drain(..) {
        if let Some(pid) = entry.pid {
            // A stopped server dies of SIGKILL as well; SIGCONT first keeps that true for any
            // gentler signal this may be changed to.
            let _ = signal(pid, Signal::SIGCONT);
            let _ = signal(pid, Signal::SIGKILL);
            if let Ok(raw) = i32::try_from(pid) {
                let _ = nix::sys::wait::waitpid(Pid::from_raw(raw), None);
            }
        }
        let _ = std::fs::remove_dir_all(&entry.dir);
    }
}

/// Installs, once per process, a handler for SIGINT, SIGTERM and SIGHUP that runs
/// [`cleanup_registered`] and exits with status 130. Later calls return the first one's result.
/// It fails when the program already installed a `ctrlc` handler: that handler must then call
/// [`cleanup_registered`] itself.
pub fn install_cleanup_handler() -> Result<(), ServiceError> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            ctrlc::set_handler(|| {
                cleanup_registered();
                std::process::exit(130);
            })
            .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|message| ServiceError::Local { what: "installing the Ctrl-C handler".into(), message })
}

/// `count` different loopback ports nobody listens on right now (a server may still lose one to
/// another process before it binds it: [`PORT_ATTEMPTS`]).
fn free_ports(count: usize) -> Result<Vec<u16>, ServiceError> {
    // All listeners stay open until every port is known, so the ports differ.
    let listeners = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::local("finding a free loopback port", e))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| ServiceError::local("finding a free loopback port", e))
}

/// Why one attempt to start a server failed.
enum Attempt {
    /// A port was taken: try others.
    PortTaken,
    /// Anything else.
    Failed(ServiceError),
}

/// One server process: its ports, its directory and, while it runs, its child.
#[derive(Debug)]
pub struct ServerProcess {
    kind: ServiceKind,
    binary: PathBuf,
    index: usize,
    port: u16,
    /// etcd's peer port; unused for Redis.
    peer_port: u16,
    dir: PathBuf,
    child: Option<Child>,
    stopped: bool,
    started_in: Duration,
}

impl ServerProcess {
    /// Starts server `index` of a cluster of `kind` from `binary`, on fresh ports and a fresh
    /// directory, and waits until it answers.
    fn start(kind: ServiceKind, binary: &Path, index: usize) -> Result<ServerProcess, ServiceError> {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("faultline-{kind}-{}-{n}", std::process::id()));
        // Registered before it exists, so that an interrupt from here on removes it.
        LIVE.lock().push(Live { dir: dir.clone(), pid: None });
        // From here on, dropping `server` removes the directory (and its entry) again.
        let mut server = ServerProcess {
            kind,
            binary: binary.to_path_buf(),
            index,
            port: 0,
            peer_port: 0,
            dir,
            child: None,
            stopped: false,
            started_in: Duration::ZERO,
        };
        // A stale directory of an earlier process with our pid would confuse etcd.
        let _ = std::fs::remove_dir_all(&server.dir);
        std::fs::create_dir_all(&server.dir)
            .map_err(|e| ServiceError::local(format!("creating {}", server.dir.display()), e))?;
        for _ in 0..PORT_ATTEMPTS {
            let ports = free_ports(2)?;
            (server.port, server.peer_port) = (ports[0], ports[1]);
            if kind == ServiceKind::Etcd {
                // A failed etcd leaves a data directory naming the ports it was given.
                let _ = std::fs::remove_dir_all(server.data_dir());
            }
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(Attempt::PortTaken) => continue,
                Err(Attempt::Failed(error)) => return Err(error),
            }
        }
        Err(ServiceError::StartFailed {
            kind,
            port: server.port,
            line: format!("its ports were taken {PORT_ATTEMPTS} times in a row"),
        })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The server's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's own directory (its data, and its log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file the server's stdout and stderr go to, across restarts.
    pub fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// True while a process runs (stopped or not); false after a kill until a restart.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// True while the process is frozen by SIGSTOP.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// How long the last start took, from the spawn until the server answered.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    fn data_dir(&self) -> PathBuf {
        match self.kind {
            ServiceKind::Redis => self.dir.clone(),
            // Apart from the log, so that a failed attempt's data can go and its log stay.
            ServiceKind::Etcd => self.dir.join("data"),
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        let data = self.data_dir();
        match self.kind {
            ServiceKind::Redis => {
                command
                    .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
                    // No persistence: a restarted server comes back empty, which is what a
                    // restart measures.
                    .args(["--save", "", "--appendonly", "no"])
                    .arg("--dir")
                    .arg(&data)
                    .args(["--protected-mode", "no", "--daemonize", "no"]);
            }
            ServiceKind::Etcd => {
                let name = format!("n{}", self.index);
                let client = format!("http://127.0.0.1:{}", self.port);
                let peer = format!("http://127.0.0.1:{}", self.peer_port);
                command
                    .args(["--name", &name])
                    .arg("--data-dir")
                    .arg(&data)
                    .args(["--listen-client-urls", &client, "--advertise-client-urls", &client])
                    .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
                    .args(["--initial-cluster", &format!("{name}={peer}"), "--initial-cluster-state", "new"])
                    // A token of its own keeps every server its own cluster, whatever it hears.
                    .args(["--initial-cluster-token", &self.dir.to_string_lossy()])
                    // A single member elects itself at once with short timers; this also sets
                    // etcd's minimum lease TTL (1.5 election timeouts, rounded up to 1 s).
                    .args(["--heartbeat-interval", "10", "--election-timeout", "100"])
                    // 3.4 has no --unsafe-no-fsync (3.5 does); quiet logs are what it offers.
                    .args(["--logger", "zap", "--log-level", "warn", "--log-outputs", "stderr"]);
            }
        }
        command
    }

    /// Spawns the process on the current ports and waits until it answers.
    fn launch(&mut self) -> Result<(), Attempt> {
        let log_path = self.log();
        let mut log = OpenOptions::new().create(true).append(true).open(&log_path).map_err(|e| {
            Attempt::Failed(ServiceError::local(format!("opening {}", log_path.display()), e))
        })?;
        let log_start = log.seek(SeekFrom::End(0)).unwrap_or(0);
        let err = log.try_clone().map_err(|e| {
            Attempt::Failed(ServiceError::local(format!("opening {}", log_path.display()), e))
        })?;
        let mut command = self.command();
        command.stdin(Stdio::null()).stdout(log).stderr(err);
        let started = Instant::now();
        {
            let mut live = LIVE.lock();
            let child = command.spawn().map_err(|e| {
                Attempt::Failed(ServiceError::local(format!("starting {}", self.binary.display()), e))
            })?;
            set_pid(&mut live, &self.dir, Some(child.id()));
            self.child = Some(child);
        }
        self.stopped = false;
        let deadline = started + START_DEADLINE;
        loop {
            if let Some(exited) = self.try_reap() {
                let output = read_from(&log_path, log_start);
                if output.to_ascii_lowercase().contains("address already in use") {
                    return Err(Attempt::PortTaken);
                }
                let line = output.lines().rev().map(str::trim).find(|line| !line.is_empty()).map_or_else(
                    || format!("it exited ({exited}) and wrote nothing"),
                    |l| shorten(&readable(l), 300),
                );
                return Err(Attempt::Failed(ServiceError::StartFailed {
                    kind: self.kind,
                    port: self.port,
                    line,
                }));
            }
            if self.answers() {
                self.started_in = started.elapsed();
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.reap();
                return Err(Attempt::Failed(ServiceError::NotAnswering {
                    kind: self.kind,
                    port: self.port,
                    waited_ms: START_DEADLINE.as_millis() as u64,
                    log: log_path.display().to_string(),
                }));
            }
            std::thread::sleep(POLL);
        }
    }

    /// True when the server answers a request now.
    fn answers(&self) -> bool {
        let patience = Duration::from_millis(250);
        match self.kind {
            ServiceKind::Redis => RedisConn::new(self.addr(), patience)
                .call(&[b"PING"])
                .is_ok_and(|reply| reply.as_simple() == Some("PONG")),
            ServiceKind::Etcd => Etcd::new(self.addr(), patience).health().unwrap_or(false),
        }
    }

    /// The exit status if the process has exited (it is then reaped and deregistered).
    fn try_reap(&mut self) -> Option<std::process::ExitStatus> {
        let mut live = LIVE.lock();
        let status = self.child.as_mut()?.try_wait().ok()??;
        set_pid(&mut live, &self.dir, None);
        self.child = None;
        self.stopped = false;
        Some(status)
    }

    /// Kills and reaps the process, if one runs and the cleanup handler has not taken it.
    fn reap(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        self.stopped = false;
        let mut live = LIVE.lock();
        if registered_pid(&live, &self.dir) != Some(child.id()) {
            // cleanup_registered reaped it: its pid may already be someone else's.
            return;
        }
        // SIGKILL ends a stopped process too; no SIGCONT is needed before it.
        let _ = child.kill();
        let _ = child.wait();
        set_pid(&mut live, &self.dir, None);
    }

    fn running_pid(&self, what: &str) -> Result<u32, ServiceError> {
        self.pid().ok_or_else(|| {
            ServiceError::local(
                format!("{what} {} server {}", self.kind, self.index),
                "it is not running (killed and not restarted)",
            )
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.reap();
        let _ = std::fs::remove_dir_all(&self.dir);
        LIVE.lock().retain(|entry| entry.dir != self.dir);
    }
}

/// The text of the file at `path` from byte `from` on.
fn read_from(path: &Path, from: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path)
        && file.seek(SeekFrom::Start(from)).is_ok()
    {
        let mut bytes = Vec::new();
        let _ = file.read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    text
}

/// A log line as one reads it: etcd logs JSON objects, of which the message and the error say
/// what went wrong (the rest is a timestamp, a caller and a stack trace).
fn readable(line: &str) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(line) else {
        return line.to_string();
    };
    match (fields.get("msg").and_then(|m| m.as_str()), fields.get("error").and_then(|e| e.as_str())) {
        (Some(msg), Some(error)) => format!("{msg}: {error}"),
        (Some(msg), None) => msg.to_string(),
        _ => line.to_string(),
    }
}

fn shorten(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        line.to_string()
    } else {
        line.chars().take(max).collect::<String>() + "..."
    }
}

/// Independent servers of one kind on loopback, faulted by index; each etcd server is a
/// single-member cluster of its own (Redlock-style designs want independent servers).
///
/// Dropping the cluster resumes, kills and reaps every server and removes every directory
/// (each [`ServerProcess`] does so for itself); see the module documentation for interrupts.
#[derive(Debug)]
pub struct Cluster {
    kind: ServiceKind,
    servers: Vec<ServerProcess>,
}

impl Cluster {
    /// Starts `count` servers of `kind` from the binary on `PATH`, each on free loopback ports
    /// with its own directory, and returns once all of them answer (Redis: `PING`; etcd:
    /// `/health`), each within [`START_DEADLINE`]. Installs the interrupt handler
    /// ([`install_cleanup_handler`]) if it can; when the program has one of its own, that one
    /// must call [`cleanup_registered`]. On an error, the servers already started are stopped
    /// and their directories removed.
    pub fn start(kind: ServiceKind, count: usize) -> Result<Cluster, ServiceError> {
        let binary = locate(kind)?;
        let _ = install_cleanup_handler();
        let mut cluster = Cluster { kind, servers: Vec::with_capacity(count) };
        for index in 0..count {
            cluster.servers.push(ServerProcess::start(kind, &binary, index)?);
        }
        Ok(cluster)
    }

    /// The kind of server.
    pub fn kind(&self) -> ServiceKind {
        self.kind
    }

    /// The client addresses, by index; they stay the same across restarts.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.servers.iter().map(ServerProcess::addr).collect()
    }

    /// How many servers.
    pub fn len(&self) -> usize {
        self.servers.len()
    }

    /// True for a cluster of no servers.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// Server `i`. Panics when `i >= len()`, as every method taking an index does.
    pub fn server(&self, i: usize) -> &ServerProcess {
        &self.servers[i]
    }

    /// Crashes server `i`: SIGKILL, and the process is reaped. Killing a server that is not
    /// running does nothing.
    pub fn kill(&mut self, i: usize) {
        self.servers[i].reap();
    }

    /// Freezes server `i` with SIGSTOP: it keeps its connections and answers nothing until
    /// [`Cluster::resume`]. An error if it is not running.
    pub fn stop(&mut self, i: usize) -> Result<(), ServiceError> {
        let server = &mut self.servers[i];
        signal(server.running_pid("stopping")?, Signal::SIGSTOP)?;
        server.stopped = true;
        Ok(())
    }

    /// Lets server `i` go on after [`Cluster::stop`] (SIGCONT); it then answers what it was sent
    /// meanwhile. An error if it is not running.
    pub fn resume(&mut self, i: usize) -> Result<(), ServiceError> {
        let server = &mut self.servers[i];
        signal(server.running_pid("resuming")?, Signal::SIGCONT)?;
        server.stopped = false;
        Ok(())
    }

    /// Starts server `i` again, on the same ports and directory, and waits until it answers;
    /// a server still running is killed first. A restarted Redis comes back **empty** (it runs
    /// without persistence). A restarted etcd keeps its data directory, so it comes back with
    /// its keys and leases, and every lease starts over with its full TTL when the server elects
    /// itself leader again (seen here: a 4 s lease with under 1 s left had 3 s left after a kill
    /// and a restart), so a crash of etcd lengthens its locks.
    /// Fails if another process took the port meanwhile: the address cannot change.
    pub fn restart(&mut self, i: usize) -> Result<(), ServiceError> {
        let server = &mut self.servers[i];
        server.reap();
        match server.launch() {
            Ok(()) => Ok(()),
            Err(Attempt::Failed(error)) => Err(error),
            Err(Attempt::PortTaken) => Err(ServiceError::StartFailed {
                kind: server.kind,
                port: server.port,
                line: "its port was taken by another process after the kill".to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_log_lines_read_as_message_and_error() {
        let line = r#"{"level":"fatal","msg":"discovery failed","error":"listen tcp 127.0.0.1:1: bind: address already in use","stacktrace":"..."}"#;
        assert_eq!(readable(line), "discovery failed: listen tcp 127.0.0.1:1: bind: address already in use");
        let redis = "1:M 06 Dec 2026 # Failed listening on port 1 (TCP), aborting.";
        assert_eq!(readable(redis), redis);
        assert_eq!(shorten("abcdef", 3), "abc...");
    }
}
