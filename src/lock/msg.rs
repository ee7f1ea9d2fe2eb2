//! What travels between the lock world's nodes, and what they report.

use crate::time::Nanos;
use serde::Serialize;

/// What a client presents to storage for an acquisition. The queueing service hands them out in
/// increasing order, so there it is the *fencing token* (Chubby's sequencer); other designs make
/// their own (see each design). The oracle never relies on their order.
pub type Token = u64;

/// A storage key: the counter lives at key 0; the consensus workload uses one register per
/// instance.
pub type Key = u64;

/// A client's numbering of its storage operations: each read or write gets the next one, and
/// retries repeat it, so storage can serve every operation at most once.
pub type OpId = u64;

/// Messages of the lock world.
///
/// Every request carries an identity (the sender's node, and a number the sender increases), so
/// that a late, duplicated or reordered copy can be told from a new request: the lock service
/// never grants to an attempt its client has released or given up, and storage never applies one
/// operation twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMsg {
    /// Client → service: I want the lock (`req` numbers my acquisitions; retries repeat it).
    Request { req: u64 },
    /// Service → client: the lock is yours for attempt `req`; `lease` is how long, if preemptive.
    Grant { req: u64, token: Token, lease: Option<Nanos> },
    /// Service → client: not now, attempt `req` is refused (servers that do not queue, such as
    /// Redlock's).
    Refused { req: u64 },
    /// Client → service: I am done with attempt `req`, granted as `token`; or I no longer want
    /// it (a grant I was not waiting for, an attempt I gave up): a cancel.
    Release { req: u64, token: Token },
    /// Client → service: extend my lease; `sent_at` is my local time, echoed back.
    Renew { token: Token, sent_at: Nanos },
    /// Service → client: the lease of `token` was extended from the moment you sent `sent_at`.
    Renewed { token: Token, sent_at: Nanos },
    /// Client → storage: operation `op`, read `key`, presenting `token`.
    Read { op: OpId, token: Token, key: Key },
    /// Storage → client: the value (`None`: never written), or a refusal of a stale token.
    ReadReply { op: OpId, value: Option<u64>, accepted: bool },
    /// Client → storage: operation `op`, write `value` at `key`, presenting `token`.
    Write { op: OpId, token: Token, key: Key, value: u64 },
    /// Storage → client: whether write `op` was applied.
    WriteAck { op: OpId, accepted: bool },
    /// Client → outbox: the side effect (the "SMS"), which no token can guard; `section` is the
    /// sender's count of its critical sections, so the oracle knows which one sent it.
    Effect { token: Token, key: Key, value: u64, section: u64 },
}

/// How a client left its critical section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exit {
    /// Finished and released.
    Released,
    /// The safety-margin check failed; released without touching storage.
    Aborted,
    /// Storage refused its token; released.
    Rejected,
}

/// A storage operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// A read.
    Read,
    /// A write of this value.
    Write(u64),
}

/// What the lock world's nodes report to the oracles. Clients are numbered from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LockEvent {
    /// A client started waiting for the lock.
    Requested { client: usize },
    /// The queueing service granted `token` to `client` (shown in replays; the oracle judges
    /// entries, not grants, so that every design is judged alike).
    Granted { client: usize, token: Token },
    /// The queueing service considers `token` over: released, or its lease expired (shown in
    /// replays).
    Freed { token: Token, expired: bool },
    /// The client received `token` and entered its critical section.
    Entered { client: usize, token: Token },
    /// The client left the critical section of `token`.
    Left { client: usize, token: Token, exit: Exit },
    /// Storage served `op` at `key` for `client`, presenting `token` (once per operation: retried
    /// and duplicated copies are answered from storage's memory, not served again).
    Accessed { client: usize, token: Token, key: Key, op: Op, accepted: bool },
    /// The outbox sent a side effect on behalf of `client`, from its critical section number
    /// `section` (counted from 1).
    Effect { client: usize, token: Token, key: Key, value: u64, section: u64 },
    /// A consensus client decided `value` for `instance`.
    Decided { client: usize, instance: u64, value: u64 },
    /// The client completed its share of the workload.
    Finished { client: usize },
}

impl LockEvent {
    /// The client the event names, if it names one.
    pub fn client(&self) -> Option<usize> {
        match *self {
            LockEvent::Requested { client }
            | LockEvent::Granted { client, .. }
            | LockEvent::Entered { client, .. }
            | LockEvent::Left { client, .. }
            | LockEvent::Accessed { client, .. }
            | LockEvent::Effect { client, .. }
            | LockEvent::Decided { client, .. }
            | LockEvent::Finished { client } => Some(client),
            LockEvent::Freed { .. } => None,
        }
    }
}
