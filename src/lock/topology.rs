//! Who is who in the lock world: `k` lock servers, storage, the outbox and `p` clients.
//!
//! Nodes are numbered servers first, then storage, the outbox and the clients, so that a world
//! with one server keeps the numbering the laboratory has always had (0 the service, 1 storage,
//! 2 the outbox, clients from 3). Nothing outside this module computes a node id or a role from
//! an index: the environment, the oracle and the designs ask the topology.
//!
//! [`Target`] is how the command line and the configuration name a node, or every node of a role,
//! when they aim a fault at it: `server:2`, `server:*`, `client:1`, `storage`, `outbox`. Servers
//! and clients are numbered from 1 in text, as people count them, and from 0 in code.

use crate::node::NodeId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Lock server `i` (0-based).
    Server(usize),
    /// Storage, the stateful observer.
    Storage,
    /// The side-effect outbox.
    Outbox,
    /// Client `i` (0-based).
    Client(usize),
}

/// The shape of one run's world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topology {
    /// Lock servers `k` (at least 1).
    pub servers: usize,
    /// Clients `p`.
    pub clients: usize,
}

impl Topology {
    /// Nodes in the world.
    pub fn nodes(&self) -> usize {
        self.servers + 2 + self.clients
    }

    /// Lock server `index`'s node.
    pub fn server(&self, index: usize) -> NodeId {
        index
    }

    /// Every lock server's node.
    pub fn servers(&self) -> std::ops::Range<NodeId> {
        0..self.servers
    }

    /// Storage's node.
    pub fn storage(&self) -> NodeId {
        self.servers
    }

    /// The outbox's node.
    pub fn outbox(&self) -> NodeId {
        self.servers + 1
    }

    /// Client `index`'s node.
    pub fn client(&self, index: usize) -> NodeId {
        self.servers + 2 + index
    }

    /// The role of `node`, or `None` if the world has no such node.
    pub fn role(&self, node: NodeId) -> Option<Role> {
        let first_client = self.servers + 2;
        Some(match node {
            n if n < self.servers => Role::Server(n),
            n if n == self.servers => Role::Storage,
            n if n == self.servers + 1 => Role::Outbox,
            n if n < first_client + self.clients => Role::Client(n - first_client),
            _ => return None,
        })
    }

    /// Client index of `node`, if it is a client.
    pub fn client_of(&self, node: NodeId) -> Option<usize> {
        match self.role(node) {
            Some(Role::Client(i)) => Some(i),
            _ => None,
        }
    }

    /// The nodes `target` names; an error if it names one this world does not have.
    pub fn resolve(&self, target: Target) -> Result<Vec<NodeId>, String> {
        let (count, node): (usize, fn(&Topology, usize) -> NodeId) = match target.role {
            TargetRole::Server => (self.servers, Topology::server),
            TargetRole::Client => (self.clients, Topology::client),
            TargetRole::Storage => return Ok(vec![self.storage()]),
            TargetRole::Outbox => return Ok(vec![self.outbox()]),
        };
        match target.index {
            None => Ok((0..count).map(|i| node(self, i)).collect()),
            Some(i) if i < count => Ok(vec![node(self, i)]),
            Some(i) => {
                let what = if target.role == TargetRole::Server { "server" } else { "client" };
                Err(format!("{target} names {what} {} but there {}", i + 1, are(count, what)))
            }
        }
    }

    /// True when `target` names `node`.
    pub fn names(&self, target: Target, node: NodeId) -> bool {
        match (target.role, self.role(node)) {
            (TargetRole::Server, Some(Role::Server(i))) | (TargetRole::Client, Some(Role::Client(i))) => {
                target.index.is_none_or(|t| t == i)
            }
            (TargetRole::Storage, Some(Role::Storage)) | (TargetRole::Outbox, Some(Role::Outbox)) => true,
            _ => false,
        }
    }
}

fn are(count: usize, what: &str) -> String {
    match count {
        1 => format!("is 1 {what}"),
        n => format!("are {n} {what}s"),
    }
}

/// The role part of a [`Target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetRole {
    /// Lock servers.
    Server,
    /// Clients.
    Client,
    /// Storage.
    Storage,
    /// The outbox.
    Outbox,
}

/// A node, or every node of a role, as faults name them: `server:2`, `server:*`, `client:1`,
/// `storage`, `outbox`. Serialised as that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// The role.
    pub role: TargetRole,
    /// Which one (0-based); `None` for all of them (and for storage and the outbox, of which
    /// there is one).
    pub index: Option<usize>,
}

impl Target {
    /// Client 1, the faulty client of the outcome table.
    pub const FIRST_CLIENT: Target = Target { role: TargetRole::Client, index: Some(0) };
    /// Every lock server.
    pub const ALL_SERVERS: Target = Target { role: TargetRole::Server, index: None };
    /// Storage.
    pub const STORAGE: Target = Target { role: TargetRole::Storage, index: None };

    /// Parses `server:2`, `server:*`, `client:1`, `client:*`, `storage` or `outbox`.
    pub fn parse(text: &str) -> Result<Target, String> {
        let quoted = crate::input::Quoted(text);
        let usage = || {
            format!(
                "{quoted} is not a node: expected server:N, server:*, client:N, client:*, storage or outbox"
            )
        };
        let (name, index) = match text.split_once(':') {
            Some((name, index)) => (name, Some(index)),
            None => (text, None),
        };
        let role = match name {
            "server" => TargetRole::Server,
            "client" => TargetRole::Client,
            "storage" | "outbox" if index.is_some() => {
                return Err(format!("{quoted}: there is one {name}, name it without a number"));
            }
            "storage" => return Ok(Target::STORAGE),
            "outbox" => return Ok(Target { role: TargetRole::Outbox, index: None }),
            _ => return Err(usage()),
        };
        let index = match index {
            None => return Err(format!("{quoted}: say which {name}: {name}:N (from 1) or {name}:* for all")),
            Some("*") => None,
            Some(n) => match n.parse::<usize>() {
                Ok(0) => return Err(format!("{quoted}: {name}s are numbered from 1")),
                Ok(n) => Some(n - 1),
                Err(_) => return Err(usage()),
            },
        };
        Ok(Target { role, index })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = match self.role {
            TargetRole::Server => "server",
            TargetRole::Client => "client",
            TargetRole::Storage => return f.write_str("storage"),
            TargetRole::Outbox => return f.write_str("outbox"),
        };
        match self.index {
            Some(i) => write!(f, "{role}:{}", i + 1),
            None => write!(f, "{role}:*"),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Target::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_keeps_the_old_numbering() {
        let t = Topology { servers: 1, clients: 2 };
        assert_eq!((t.server(0), t.storage(), t.outbox(), t.client(0), t.client(1)), (0, 1, 2, 3, 4));
        assert_eq!(t.role(4), Some(Role::Client(1)));
        assert_eq!(t.role(5), None);
        let t = Topology { servers: 3, clients: 2 };
        assert_eq!((t.storage(), t.outbox(), t.client(0)), (3, 4, 5));
        assert_eq!(t.role(2), Some(Role::Server(2)));
    }

    #[test]
    fn targets_read_and_resolve_as_people_count() {
        let t = Topology { servers: 3, clients: 2 };
        let server2 = Target::parse("server:2").unwrap();
        assert_eq!(t.resolve(server2).unwrap(), vec![1]);
        assert_eq!(server2.to_string(), "server:2");
        assert_eq!(t.resolve(Target::parse("server:*").unwrap()).unwrap(), vec![0, 1, 2]);
        assert_eq!(t.resolve(Target::parse("client:2").unwrap()).unwrap(), vec![6]);
        assert!(t.names(server2, 1) && !t.names(server2, 0));
        let err = t.resolve(Target::parse("server:7").unwrap()).unwrap_err();
        assert_eq!(err, "server:7 names server 7 but there are 3 servers");
        for bad in ["client:0", "disk:1", "server", "storage:1", "server:x", "server:-1"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
        assert!(Target::parse("client:0").unwrap_err().contains("numbered from 1"));
    }
}
