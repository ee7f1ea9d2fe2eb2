//! Which real service a run's lock servers are, and where they are: what `--service` says.
//!
//! | text | meaning |
//! |---|---|
//! | `redis`, `etcd` | faultline starts private servers on free loopback ports, and stops them |
//! | `redis=HOST:PORT[,HOST:PORT...]` | servers the user runs; one address per lock server |
//! | `etcd=HOST:PORT` | an etcd the user runs (its client URL, without `http://`) |
//!
//! On servers the user runs, faultline touches only keys under a prefix of its own for the run,
//! and deletes them afterwards; it cannot kill, freeze or restart those servers, so a server
//! fault aimed at them is refused.

use super::ServiceKind;
use crate::input::Quoted;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A `--service` value: the kind, and the servers' addresses when the user runs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// Redis or etcd.
    pub kind: ServiceKind,
    /// The servers' addresses, as the user wrote them; empty: faultline starts its own.
    pub at: Vec<String>,
}

impl ServiceSpec {
    /// Servers of `kind` that faultline starts.
    pub fn started(kind: ServiceKind) -> ServiceSpec {
        ServiceSpec { kind, at: Vec::new() }
    }

    /// True when faultline starts (and may therefore kill, freeze and restart) the servers.
    pub fn is_started(&self) -> bool {
        self.at.is_empty()
    }

    /// Parses `KIND` or `KIND=HOST:PORT[,HOST:PORT...]`.
    pub fn parse(text: &str) -> Result<ServiceSpec, String> {
        let (kind, at) = match text.split_once('=') {
            Some((kind, at)) => (kind, Some(at)),
            None => (text, None),
        };
        let kind: ServiceKind = kind.parse().map_err(|e: super::ServiceError| e.to_string())?;
        let Some(at) = at else { return Ok(ServiceSpec::started(kind)) };
        let at: Vec<String> = at.split(',').map(str::to_string).collect();
        for addr in &at {
            resolve(addr)?;
        }
        Ok(ServiceSpec { kind, at })
    }

    /// The address of server `index` (0-based) of servers the user runs.
    pub fn addr(&self, index: usize) -> Result<SocketAddr, String> {
        let text = self.at.get(index).ok_or_else(|| {
            format!("--service {self} names {} server(s), and the run has more", self.at.len())
        })?;
        resolve(text)
    }
}

/// The first address `HOST:PORT` resolves to. Host names resolve through the system (for
/// `localhost`, `/etc/hosts`); a value without a port is refused here, before anything runs.
fn resolve(text: &str) -> Result<SocketAddr, String> {
    let bad = |why: &str| {
        format!("{} is not a server address: {why} (expected HOST:PORT, e.g. 127.0.0.1:6379)", Quoted(text))
    };
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut addrs = text.to_socket_addrs().map_err(|e| bad(&e.to_string()))?;
    addrs.next().ok_or_else(|| bad("it resolves to no address"))
}

impl fmt::Display for ServiceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if !self.at.is_empty() {
            write!(f, "={}", self.at.join(","))?;
        }
        Ok(())
    }
}

impl serde::Serialize for ServiceSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ServiceSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ServiceSpec::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A key prefix no other run shares, past or present, on any machine's clock that moves forward:
/// `{start}{pid}{sep}{nanoseconds since 1970}{sep}{n}{sep}`, `n` counting the calls in this
/// process. faultline's keys on a server live under it, and go with the run.
pub fn run_prefix(start: &str, sep: &str) -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let since = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{start}{}{sep}{since}{sep}{n}{sep}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_back_from_their_text() {
        for text in
            ["redis", "etcd", "redis=127.0.0.1:6379", "redis=127.0.0.1:1,127.0.0.1:2", "etcd=127.0.0.1:2379"]
        {
            assert_eq!(ServiceSpec::parse(text).unwrap().to_string(), text);
        }
        assert!(ServiceSpec::parse("redis").unwrap().is_started());
        assert!(!ServiceSpec::parse("redis=127.0.0.1:6379").unwrap().is_started());
        for bad in ["zookeeper", "redis=", "redis=127.0.0.1", "redis=127.0.0.1:99999", "etcd=:", ""] {
            assert!(ServiceSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
