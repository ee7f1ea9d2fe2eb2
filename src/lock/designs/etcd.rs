//! etcd behind the laboratory: a lease lock on a real etcd, plain or fenced by the key's revision.
//!
//! The clients are the built-in lease clients ([`QueuedStub`]), unchanged: they re-send their
//! request on the `--retry` backoff until granted, count the lease down on their own clock, renew
//! it every `--renew` while they hold it, and release. The lock server is an *adapter*
//! ([`EtcdServer`]) that turns those messages into calls to a real etcd through its JSON gateway
//! (`/v3/lease/...`, `/v3/kv/txn`):
//!
//! - **request**: grant an etcd lease of `L`, then one transaction: if the lock key does not exist
//!   (`create_revision == 0`), put it with the caller's value, attached to that lease. On success
//!   the grant's token is the revision of that put, which etcd increases with every write of the
//!   cluster; on failure the lease is revoked and the client told no, and it polls again.
//! - **renewal** (`--renew`): a keep-alive of the holder's lease. The client sends it itself, so a
//!   paused client stops renewing, as a paused process does, and its lease runs out.
//! - **release**: delete the key only if it still holds the caller's value, and revoke the lease.
//!
//! `etcd-fenced` is the same lock with storage checking the tokens: the revision is the fencing
//! token Jepsen's analysis of etcd 3.4.3 recommends, and it saves the storage that checks it,
//! never the side effect (the SMS).
//!
//! etcd's lease TTLs are whole seconds, and a server rounds a TTL below its minimum (1.5 election
//! timeouts) up to it; faultline's own servers run with a 100 ms election timeout, so 1 s is
//! granted as asked. Expired leases are revoked by a loop that runs every half second or so, so
//! the lock comes free up to that much after `L`: part of what a run on etcd measures.
//! etcd's lock API (`/v3/lock/lock`) queues waiters on the server instead, but holds the caller's
//! connection until it is granted, which would hold the adapter with it; the transaction is the
//! same compare-and-put the lock API makes.

use super::owner;
use super::queued::QueuedStub;
use crate::lock::config::{ConfigError, LockConfig};
use crate::lock::design::{DesignOut, DesignTimer, LockDesign, LockService, LockStub, Timing};
use crate::lock::msg::{LockEvent, LockMsg, Token};
use crate::lock::storage::Fencing;
use crate::lock::topology::Topology;
use crate::node::{Node, NodeId};
use crate::service::ServiceKind;
use crate::service::etcd::Etcd;
use crate::time::{Human, MS, Nanos, SEC};
use std::time::Duration;

/// A lease lock on a real etcd, with the storage it comes with.
#[derive(Debug, Clone, Copy)]
pub struct OnEtcd {
    name: &'static str,
    about: &'static str,
    fencing: Fencing,
}

/// A lease lock on a real etcd.
pub const ETCD_LEASE: OnEtcd = OnEtcd {
    name: "etcd-lease",
    about: "a lease lock on a real etcd: a lease of L (whole seconds), a transaction on the key (--service etcd)",
    fencing: Fencing::None,
};

/// The same, with storage checking the key's revision as the fencing token.
pub const ETCD_FENCED: OnEtcd = OnEtcd {
    name: "etcd-fenced",
    about: "etcd-lease, plus storage checking the lock key's revision as the fencing token",
    fencing: Fencing::All,
};

impl LockDesign for OnEtcd {
    fn name(&self) -> &str {
        self.name
    }
    fn about(&self) -> &str {
        self.about
    }
    fn fencing(&self) -> Fencing {
        self.fencing
    }
    fn quorum(&self, _servers: usize) -> usize {
        1
    }
    fn service(&self) -> Option<ServiceKind> {
        Some(ServiceKind::Etcd)
    }
    fn defaults(&self, cfg: &mut LockConfig) {
        // Whole seconds; two, so that a server with etcd's default election timeout (whose
        // smallest lease is 2 s) grants what the clients count down.
        cfg.lease = Some(2 * SEC);
    }
    fn validate(&self, cfg: &LockConfig) -> Result<(), ConfigError> {
        if cfg.lock_delay > 0 {
            return Err(ConfigError::NotForDesign { flag: "--lock-delay", design: self.name.to_string() });
        }
        let lease = cfg.lease.unwrap_or(0);
        if !lease.is_multiple_of(SEC) {
            return Err(ConfigError::LeaseUnit {
                lease: Human(lease).to_string(),
                unit: "whole seconds",
                service: ServiceKind::Etcd,
            });
        }
        Ok(())
    }
    fn server(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockService> {
        Box::new(EtcdServer::new(cfg, index, *topology))
    }
    fn stub(&self, cfg: &LockConfig, _index: usize, topology: &Topology) -> Box<dyn LockStub> {
        Box::new(QueuedStub::new(topology.server(0), cfg))
    }
    fn timing(&self, _cfg: &LockConfig) -> Option<Timing> {
        // Not predicted: etcd lets a key go up to half a second after its lease (its expiry
        // loop), and the waiters' re-sends double, where the closed forms take an expiry at `L`
        // and polls drawn from `[retry/2, retry]`.
        None
    }
}

/// What the adapter holds for a client whose attempt it granted.
#[derive(Debug, Clone, Copy)]
struct Held {
    req: u64,
    lease: i64,
    token: Token,
}

/// The lock server of an etcd design: an adapter to one real etcd (module docs).
#[derive(Debug)]
pub struct EtcdServer {
    etcd: Etcd,
    prefix: String,
    key: String,
    lease: Nanos,
    held: Vec<Option<Held>>,
    topology: Topology,
}

impl EtcdServer {
    /// Server `index` of a run of `cfg`, whose `service` names (or was resolved to) a real etcd.
    pub fn new(cfg: &LockConfig, index: usize, topology: Topology) -> Self {
        let service = cfg.service.as_ref().expect("an etcd design's run names its server");
        let addr = service.addr(index).expect("validation resolved the server's address");
        let lease = cfg.lease.expect("an etcd design is preemptive");
        // Long enough for a commit to disk, short beside the lease.
        let timeout = Duration::from_nanos((lease / 4).clamp(100 * MS, SEC));
        let prefix = crate::service::spec::run_prefix("/faultline/", "/");
        EtcdServer {
            etcd: Etcd::new(addr, timeout),
            key: format!("{prefix}lock"),
            prefix,
            lease,
            held: vec![None; topology.clients],
            topology,
        }
    }

    fn grant(&mut self, client: usize, req: u64, out: &mut DesignOut) -> LockMsg {
        if let Some(h) = self.held[client].filter(|h| h.req == req) {
            // A repeat of the request that holds the key.
            return LockMsg::Grant { req, token: h.token, lease: Some(self.lease) };
        }
        let ttl = (self.lease / SEC) as i64;
        // An etcd that does not answer in time refuses, as a client's error would; the client
        // polls again.
        let Ok(lease) = self.etcd.grant(ttl) else { return LockMsg::Refused { req } };
        match self.etcd.acquire(self.key.as_bytes(), owner(client, req).as_bytes(), lease) {
            Ok(Some(revision)) => {
                let token = revision as Token;
                self.held[client] = Some(Held { req, lease, token });
                out.observe(LockEvent::Granted { client, token });
                LockMsg::Grant { req, token, lease: Some(self.lease) }
            }
            _ => {
                let _ = self.etcd.revoke(lease);
                LockMsg::Refused { req }
            }
        }
    }
}

impl Node for EtcdServer {
    type Msg = LockMsg;
    type Obs = LockEvent;
    /// It sets none: etcd keeps the time.
    type Timer = DesignTimer;

    fn on_msg(&mut self, _now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) {
        let Some(client) = self.topology.client_of(from) else { return };
        match msg {
            LockMsg::Request { req } => {
                let reply = self.grant(client, req, out);
                out.send(from, reply);
            }
            LockMsg::Renew { token, sent_at } => {
                let Some(h) = self.held[client].filter(|h| h.token == token) else { return };
                if self.etcd.keepalive(h.lease).is_ok_and(|left| left > 0) {
                    out.send(from, LockMsg::Renewed { token, sent_at });
                }
            }
            LockMsg::Release { req, .. } => {
                let Some(h) = self.held[client].filter(|h| h.req == req) else { return };
                self.held[client] = None;
                // Failures leave the key to its lease, as they would for any client.
                let _ = self.etcd.release(self.key.as_bytes(), owner(client, req).as_bytes());
                let _ = self.etcd.revoke(h.lease);
            }
            _ => {}
        }
    }
}

impl Drop for EtcdServer {
    /// The run's keys and leases go with the run.
    fn drop(&mut self) {
        for h in self.held.iter().flatten() {
            let _ = self.etcd.revoke(h.lease);
        }
        let _ = self.etcd.delete_prefix(self.prefix.as_bytes());
    }
}
