//! Real lock services on this machine: Redis and etcd servers started, faulted and stopped by
//! faultline, and the two small clients that talk to them.
//!
//! - [`process`]: [`Cluster`] starts private servers on free loopback ports, each with its own
//!   temporary directory, kills (SIGKILL), freezes (SIGSTOP), resumes (SIGCONT) and restarts them,
//!   and leaves nothing behind however the run ends.
//! - [`redis`]: a RESP2 client of our own, because a reply that comes after its timeout must never
//!   be taken for the answer to the next command.
//! - [`etcd`]: etcd's v3 JSON gateway (leases, one-transaction acquire and release) over `ureq`.
//!
//! The binaries come from `PATH`: `redis-server` (Debian's `redis-server` package) and `etcd`
//! (Debian's `etcd-server`). Nothing here is needed to build faultline; a missing binary is an
//! error of one line when a server is started, and a skip (or, under
//! `FAULTLINE_REQUIRE_SERVERS=1`, a failure) in the tests, through [`available_or_skip`].

pub mod etcd;
pub mod process;
pub mod redis;
pub mod spec;

pub use process::{Cluster, ServerProcess, cleanup_registered, install_cleanup_handler};
pub use spec::ServiceSpec;

use crate::input::Quoted;
use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;
use std::str::FromStr;

/// Which server a [`Cluster`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    /// `redis-server`, without persistence.
    Redis,
    /// `etcd`, each server a single-member cluster of its own.
    Etcd,
}

impl ServiceKind {
    /// Every kind, in the order the errors list them.
    pub const ALL: [ServiceKind; 2] = [ServiceKind::Redis, ServiceKind::Etcd];

    /// The kind's name as flags write it: `redis`, `etcd`.
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Redis => "redis",
            ServiceKind::Etcd => "etcd",
        }
    }

    /// The server binary looked up on `PATH`.
    pub fn binary(self) -> &'static str {
        match self {
            ServiceKind::Redis => "redis-server",
            ServiceKind::Etcd => "etcd",
        }
    }

    /// The Debian package that installs [`ServiceKind::binary`].
    pub fn package(self) -> &'static str {
        match self {
            ServiceKind::Redis => "redis-server",
            ServiceKind::Etcd => "etcd-server",
        }
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ServiceKind {
    type Err = ServiceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ServiceKind::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| ServiceError::UnknownKind(text.to_string()))
    }
}

/// What went wrong starting, faulting or talking to a server. Every message is one line.
///
/// Errors carry text rather than an `io::Error` so that they can be cloned into reports and
/// compared in tests; [`ServiceError::is_timeout`] keeps the one distinction callers act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The server binary is not on `PATH`.
    #[error("{binary} is not on PATH: install Debian's {package} package (apt-get install {package})")]
    MissingBinary {
        /// The binary looked for, e.g. `redis-server`.
        binary: &'static str,
        /// The Debian package that installs it.
        package: &'static str,
    },
    /// A name that is not a service kind.
    #[error("{} is not a service: use redis or etcd", Quoted(.0))]
    UnknownKind(String),
    /// The server process exited before it answered; `line` is the last line of its log.
    #[error("{kind} on port {port} did not start: {line}")]
    StartFailed {
        /// Which server.
        kind: ServiceKind,
        /// The client port it was given.
        port: u16,
        /// The last non-empty line the server wrote, or what the failure was.
        line: String,
    },
    /// The server runs but did not answer within the deadline.
    #[error("{kind} on port {port} did not answer within {waited_ms} ms (its log: {log})")]
    NotAnswering {
        /// Which server.
        kind: ServiceKind,
        /// The client port it was given.
        port: u16,
        /// How long faultline waited.
        waited_ms: u64,
        /// Where the server's output went.
        log: String,
    },
    /// An I/O error talking to a server (connect, send, receive, or a timeout).
    #[error("{addr}: {what}: {message}")]
    Io {
        /// The server's address.
        addr: String,
        /// What faultline was doing, e.g. `sending SET`.
        what: String,
        /// The kind of the underlying error ([`io::ErrorKind::TimedOut`] for every timeout).
        kind: io::ErrorKind,
        /// The underlying error's text.
        message: String,
    },
    /// The server answered something the client cannot read as an answer.
    #[error("{addr}: unexpected reply: {what}")]
    Protocol {
        /// The server's address.
        addr: String,
        /// What was wrong with it.
        what: String,
    },
    /// The server understood the request and refused it (etcd's error replies, such as
    /// `etcdserver: requested lease not found`).
    #[error("{addr}: refused: {message}")]
    Refused {
        /// The server's address.
        addr: String,
        /// The server's own message.
        message: String,
    },
    /// A local operation around the servers failed: a data directory, a log file, a signal.
    #[error("{what}: {message}")]
    Local {
        /// What faultline was doing.
        what: String,
        /// The underlying error's text.
        message: String,
    },
}

impl ServiceError {
    /// True when the error is a timeout: the server may have done what was asked, and its answer
    /// was lost.
    pub fn is_timeout(&self) -> bool {
        matches!(self, ServiceError::Io { kind: io::ErrorKind::TimedOut, .. })
    }

    /// The error for `binary` missing from `PATH`.
    pub fn missing(kind: ServiceKind) -> ServiceError {
        ServiceError::MissingBinary { binary: kind.binary(), package: kind.package() }
    }

    /// An [`ServiceError::Io`] from an `io::Error`; read timeouts surface as `WouldBlock` on Unix
    /// and become `TimedOut` here, so that [`ServiceError::is_timeout`] sees them.
    pub(crate) fn io(addr: impl fmt::Display, what: impl Into<String>, error: &io::Error) -> ServiceError {
        let kind = match error.kind() {
            io::ErrorKind::WouldBlock => io::ErrorKind::TimedOut,
            other => other,
        };
        ServiceError::Io { addr: addr.to_string(), what: what.into(), kind, message: error.to_string() }
    }

    /// A [`ServiceError::Local`] from an `io::Error`.
    pub(crate) fn local(what: impl Into<String>, error: impl fmt::Display) -> ServiceError {
        ServiceError::Local { what: what.into(), message: error.to_string() }
    }
}

/// Where `binary` is among the directories of `path` (a `PATH`-style list), if anywhere.
fn find_in(binary: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = path?;
    std::env::split_paths(path).map(|dir| dir.join(binary)).find(|candidate| {
        std::fs::metadata(candidate)
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    })
}

/// The full path of `kind`'s binary on `PATH`, or the one-line error naming the package.
pub fn locate(kind: ServiceKind) -> Result<PathBuf, ServiceError> {
    find_in(kind.binary(), std::env::var_os("PATH").as_deref()).ok_or_else(|| ServiceError::missing(kind))
}

/// True when `kind`'s binary is on `PATH`.
pub fn binary_on_path(kind: ServiceKind) -> bool {
    locate(kind).is_ok()
}

/// For tests that need a real server: true when `kind`'s binary is on `PATH`. Otherwise it says
/// `skipped TEST: redis-server is not on PATH (apt-get install redis-server)` on stderr and
/// returns false, so that `cargo test` passes on a machine without the servers and says what it
/// did not run; with `FAULTLINE_REQUIRE_SERVERS=1` (set by `.ci/run`) it panics with that message
/// instead, so that CI never skips them.
pub fn available_or_skip(kind: ServiceKind, test: &str) -> bool {
    if binary_on_path(kind) {
        return true;
    }
    let message =
        format!("skipped {test}: {} is not on PATH (apt-get install {})", kind.binary(), kind.package());
    if std::env::var_os("FAULTLINE_REQUIRE_SERVERS").is_some_and(|v| v == "1") {
        panic!("{message} (FAULTLINE_REQUIRE_SERVERS=1 makes a skip a failure)");
    }
    // Straight to stderr: the test harness captures `eprintln!` of a passing test, and a skip
    // must be seen.
    let _ = writeln!(std::io::stderr(), "{message}");
    false
}

/// Whether a server of `kind` answers at `addr` within `timeout` (Redis: `PING`; etcd: its health
/// check): a server the user runs is asked before a run relies on it, so that an address where
/// nothing listens is one line within seconds, not a run of refusals.
pub fn ping(
    kind: ServiceKind,
    addr: std::net::SocketAddr,
    timeout: std::time::Duration,
) -> Result<(), ServiceError> {
    let asking = format!("no {kind} answers");
    let answer = match kind {
        ServiceKind::Redis => redis::RedisConn::new(addr, timeout)
            .call(&[b"PING"])
            .map(|reply| (reply.as_simple() == Some("PONG")).then_some(()).ok_or(format!("{reply:?}"))),
        ServiceKind::Etcd => etcd::Etcd::new(addr, timeout)
            .health()
            .map(|healthy| healthy.then_some(()).ok_or("it is not healthy".to_string())),
    };
    match answer {
        Ok(Ok(())) => Ok(()),
        Ok(Err(what)) => {
            Err(ServiceError::Protocol { addr: addr.to_string(), what: format!("{asking}: {what}") })
        }
        Err(ServiceError::Io { addr, what, kind, message }) => {
            Err(ServiceError::Io { addr, what: format!("{asking} ({what})"), kind, message })
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_and_print_their_names() {
        for kind in ServiceKind::ALL {
            assert_eq!(kind.name().parse::<ServiceKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(
            "zookeeper".parse::<ServiceKind>().unwrap_err().to_string(),
            "'zookeeper' is not a service: use redis or etcd"
        );
    }

    #[test]
    fn a_missing_binary_names_its_package() {
        assert_eq!(find_in("redis-server", Some(OsStr::new("/nonexistent-faultline"))), None);
        assert_eq!(find_in("sh", None), None);
        assert_eq!(
            ServiceError::missing(ServiceKind::Redis).to_string(),
            "redis-server is not on PATH: install Debian's redis-server package (apt-get install redis-server)"
        );
        assert_eq!(
            ServiceError::missing(ServiceKind::Etcd).to_string(),
            "etcd is not on PATH: install Debian's etcd-server package (apt-get install etcd-server)"
        );
    }

    #[test]
    fn a_binary_is_found_in_a_path_list() {
        let found = find_in("sh", Some(OsStr::new("/nonexistent-faultline:/bin:/usr/bin")));
        assert!(found.is_some_and(|p| p.ends_with("sh")));
    }

    #[test]
    fn read_timeouts_count_as_timeouts() {
        let error = io::Error::from(io::ErrorKind::WouldBlock);
        assert!(ServiceError::io("127.0.0.1:1", "reading", &error).is_timeout());
        let error = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(!ServiceError::io("127.0.0.1:1", "connecting", &error).is_timeout());
    }
}
