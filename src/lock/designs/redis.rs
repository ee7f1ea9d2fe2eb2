//! Redis behind the laboratory: the lease and Redlock on real `redis-server`s.
//!
//! The clients are the built-in Redlock clients ([`RedlockStub`]), unchanged; the lock servers
//! are *adapters* ([`RedisServer`]), each turning the lock messages of one client into commands
//! to one real Redis, and its answers back into messages. So everything around the lock (the
//! workloads, storage, the outbox, the faults on clients and links, the oracle, the metrics, the
//! predictions) is what the model runs, and only the lock is real:
//!
//! - **`redis-lease`**: one server. A request is `SET key value NX PX L`; a waiting client polls
//!   again after a backoff drawn from `[retry/2, retry]`; a release deletes the key only if it
//!   still holds the caller's value (compare-and-delete). It is the model's `redlock --servers 1`
//!   on a real server, which is what the closed forms and the simulator compare it with.
//! - **`redis-redlock`**: `--servers k` independent Redis servers (3 by default), the client
//!   needing a majority within the validity time, as [`super::redlock`] describes.
//!
//! Each acquisition is one Lua script, run atomically by Redis: the `SET NX PX`, and a counter
//! the server keeps (`INCR`) whose value is the grant's token, as the model's server counts the
//! keys it set. A duplicate of the request that set the key gets the same token back. A
//! restarted Redis without persistence comes back empty, counter and key alike: antirez's reason
//! for delayed restarts, measured.
//!
//! A request the adapter cannot get answered within its timeout (the server is dead, frozen, or
//! unreachable) is refused, as a Redlock client counts an instance that errs or times out as one
//! it did not lock; losing messages is the links' business, as on the model. The adapters are the
//! only nodes of the laboratory that do I/O, which is why their designs run on the threads engine
//! only.

use super::owner;
use super::redlock::{self, Redlock, RedlockStub};
use crate::lock::config::{ConfigError, LockConfig};
use crate::lock::design::{DesignOut, DesignTimer, LockDesign, LockService, LockStub, Timing};
use crate::lock::msg::{LockEvent, LockMsg};
use crate::lock::storage::Fencing;
use crate::lock::topology::Topology;
use crate::node::{Node, NodeId};
use crate::service::ServiceKind;
use crate::service::redis::{RedisConn, Reply};
use crate::time::{MS, Nanos};
use std::time::Duration;

/// A Redlock-family design on real Redis servers.
#[derive(Debug, Clone, Copy)]
pub struct OnRedis {
    name: &'static str,
    about: &'static str,
    /// One server, always (`redis-lease`); else `--servers k`.
    single: bool,
    model: Redlock,
}

/// A lease on one real Redis: `SET NX PX`, polling, compare-and-delete.
pub const REDIS_LEASE: OnRedis = OnRedis {
    name: "redis-lease",
    about: "a lease on one real Redis: SET NX PX L, polling waiters, compare-and-delete (--service redis)",
    single: true,
    model: redlock::REDLOCK,
};

/// Redlock on `--servers k` real Redis servers.
pub const REDIS_REDLOCK: OnRedis = OnRedis {
    name: "redis-redlock",
    about: "redlock on --servers real Redis servers (default 3) (--service redis)",
    single: false,
    model: redlock::REDLOCK,
};

impl LockDesign for OnRedis {
    fn name(&self) -> &str {
        self.name
    }
    fn about(&self) -> &str {
        self.about
    }
    fn fencing(&self) -> Fencing {
        Fencing::None
    }
    fn multi_server(&self) -> bool {
        !self.single
    }
    fn service(&self) -> Option<ServiceKind> {
        Some(ServiceKind::Redis)
    }
    fn defaults(&self, cfg: &mut LockConfig) {
        cfg.servers = if self.single { 1 } else { 3 };
    }
    fn validate(&self, cfg: &LockConfig) -> Result<(), ConfigError> {
        self.model.validate(cfg)?;
        let lease = redlock::ttl(cfg);
        if !lease.is_multiple_of(MS) {
            return Err(ConfigError::LeaseUnit {
                lease: crate::time::Human(lease).to_string(),
                unit: "whole milliseconds (PX)",
                service: ServiceKind::Redis,
            });
        }
        Ok(())
    }
    fn server(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockService> {
        Box::new(RedisServer::new(cfg, index, *topology))
    }
    fn stub(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockStub> {
        let answer_within = timeout(redlock::ttl(cfg)).as_nanos() as Nanos;
        Box::new(RedlockStub::new(cfg, index, topology).answering_within(answer_within))
    }
    fn timing(&self, cfg: &LockConfig) -> Option<Timing> {
        self.model.timing(cfg)
    }
    fn events_per_acquisition(&self, cfg: &LockConfig) -> u64 {
        self.model.events_per_acquisition(cfg)
    }
}

/// `SET NX PX` with the token from the server's counter; a repeat of the request holding the key
/// gets its token again. KEYS: the lock, the counter; ARGV: the owner (`client:attempt`), the TTL
/// in milliseconds. Returns the token, or 0 when the key is held by someone else.
const ACQUIRE: &str = r"
local held = redis.call('GET', KEYS[1])
if held then
  local owner, token = string.match(held, '^(.*)#(%d+)$')
  if owner == ARGV[1] then return tonumber(token) end
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '#' .. token, 'NX', 'PX', ARGV[2])
return token
";

/// Deletes the lock only if the owner (`client:attempt`) still holds it. KEYS: the lock; ARGV: the
/// owner.
const RELEASE: &str = r"
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, #ARGV[1] + 1) == ARGV[1] .. '#' then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// How long the adapter waits for one answer, and the client for its servers' (Redlock's
/// per-instance timeout, which it asks to be small beside the TTL so that a dead or cut-off server
/// costs little of the validity time); on loopback a live server answers in tens of microseconds.
fn timeout(ttl: Nanos) -> Duration {
    Duration::from_nanos((ttl / 10).clamp(5 * MS, 50 * MS))
}

/// One lock server of a Redis design: an adapter to one real Redis (module docs).
#[derive(Debug)]
pub struct RedisServer {
    conn: RedisConn,
    lock: String,
    counter: String,
    ttl: Nanos,
    topology: Topology,
}

impl RedisServer {
    /// Server `index` of a run of `cfg`, whose `service` names (or was resolved to) real servers.
    pub fn new(cfg: &LockConfig, index: usize, topology: Topology) -> Self {
        let service = cfg.service.as_ref().expect("a Redis design's run names its servers");
        let addr = service.addr(index).expect("validation resolved the servers' addresses");
        let ttl = redlock::ttl(cfg);
        let prefix = crate::service::spec::run_prefix("faultline:", ":");
        RedisServer {
            conn: RedisConn::new(addr, timeout(ttl)),
            lock: format!("{prefix}lock"),
            counter: format!("{prefix}counter"),
            ttl,
            topology,
        }
    }
}

impl Node for RedisServer {
    type Msg = LockMsg;
    type Obs = LockEvent;
    /// It sets none: Redis keeps the time.
    type Timer = DesignTimer;

    fn on_msg(&mut self, _now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) {
        let Some(client) = self.topology.client_of(from) else { return };
        match msg {
            LockMsg::Request { req } => {
                let owner = owner(client, req);
                let ttl_ms = (self.ttl / MS).to_string();
                let keys = [self.lock.as_bytes(), self.counter.as_bytes()];
                match self.conn.eval(ACQUIRE, &keys, &[owner.as_bytes(), ttl_ms.as_bytes()]) {
                    Ok(Reply::Int(token)) if token > 0 => {
                        let token = token as u64;
                        out.observe(LockEvent::Granted { client, token });
                        out.send(from, LockMsg::Grant { req, token, lease: Some(self.ttl) });
                    }
                    // Held by someone else; or no answer in time, which a Redlock client counts
                    // as an instance it did not lock (a lost message is the links' business).
                    _ => out.send(from, LockMsg::Refused { req }),
                }
            }
            LockMsg::Release { req, .. } => {
                let owner = owner(client, req);
                // A release that fails leaves the key to expire, as it would for any client.
                let _ = self.conn.eval(RELEASE, &[self.lock.as_bytes()], &[owner.as_bytes()]);
            }
            _ => {}
        }
    }
}

impl Drop for RedisServer {
    /// The run's keys go with the run, on servers the user runs as on those faultline started.
    fn drop(&mut self) {
        let _ = self.conn.call(&[b"DEL", self.lock.as_bytes(), self.counter.as_bytes()]);
    }
}
