//! Who takes part and what they say: processes, the cluster, commands, rounds.

use serde::Serialize;
use std::fmt;

/// A lock-step round, from 0. A message sent in round `r` arrives at the start of round `r + 1`.
pub type Round = u32;

/// A process: servers are `0..n`, then client 1 and client 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Pid(pub usize);

/// A command a client writes; client `j` (from 1) writes `Cmd(j)`, shown as `C1`, `C2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Cmd(pub u32);

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "C{}", self.0)
    }
}

/// The number of clients in the replication model: two, which is all the lower bound needs.
pub const CLIENTS: usize = 2;

/// `n` servers tolerating `f` faulty ones, and the two clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Cluster {
    /// Servers `n`.
    pub servers: usize,
    /// Faults `f` the protocol is meant to tolerate.
    pub faults: usize,
}

impl Cluster {
    /// `n` servers, `f` faults.
    pub fn new(servers: usize, faults: usize) -> Self {
        Cluster { servers, faults }
    }

    /// Server `i`, from 0.
    pub fn server(&self, i: usize) -> Pid {
        Pid(i)
    }

    /// Client `j`, from 0 (client 1 is `client(0)`).
    pub fn client(&self, j: usize) -> Pid {
        Pid(self.servers + j)
    }

    /// True for servers.
    pub fn is_server(&self, p: Pid) -> bool {
        p.0 < self.servers
    }

    /// Every server.
    pub fn servers(&self) -> impl Iterator<Item = Pid> + use<> {
        (0..self.servers).map(Pid)
    }

    /// Both clients.
    pub fn clients(&self) -> impl Iterator<Item = Pid> + use<> {
        let n = self.servers;
        (n..n + CLIENTS).map(Pid)
    }

    /// Every process, servers first.
    pub fn processes(&self) -> impl Iterator<Item = Pid> + use<> {
        (0..self.servers + CLIENTS).map(Pid)
    }

    /// Number of processes.
    pub fn len(&self) -> usize {
        self.servers + CLIENTS
    }

    /// Never true: a cluster always has its two clients.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The client index (0 or 1) of a client process.
    pub fn client_index(&self, p: Pid) -> Option<usize> {
        p.0.checked_sub(self.servers).filter(|&j| j < CLIENTS)
    }

    /// `s1`…`sn`, `c1`, `c2`.
    pub fn name(&self, p: Pid) -> String {
        match self.client_index(p) {
            Some(j) => format!("c{}", j + 1),
            None => format!("s{}", p.0 + 1),
        }
    }

    /// The names of a set of processes, `{s1, s2}`.
    pub fn names<'a>(&self, ps: impl IntoIterator<Item = &'a Pid>) -> String {
        let names: Vec<String> = ps.into_iter().map(|&p| self.name(p)).collect();
        format!("{{{}}}", names.join(", "))
    }
}
