//! Storage, the stateful observer: a key-value store that may check fencing tokens.
//!
//! With fencing it remembers the highest token it has seen and refuses any access presenting a
//! lower one: Kleppmann's fix, which works precisely because storage is a *stateful observer that
//! checks*. With writes-only fencing, reads neither are checked nor raise the bar, which is enough
//! to lose updates.
//!
//! Storage serves each client operation at most once, as an RPC layer with request ids does: it
//! remembers, per client, the newest operation it served and the answer it gave. A repeat of that
//! operation (a retry after a lost reply, a duplicated message) gets the same answer again without
//! being served again; an older one (a late copy) is ignored. So a retried or duplicated write can
//! never land twice, and every access the oracles see is one the client really asked for.

use super::design::{DesignOut, DesignTimer};
use super::msg::{Key, LockEvent, LockMsg, Op, OpId};
use super::topology::Topology;
use crate::node::{Node, NodeId};
use crate::time::Nanos;
use serde::Serialize;

/// Where storage and the outbox write what they do: the one buffer of the lock world's step
/// (they set no timers, but share the world's names for them, so nothing is copied on the way).
type PassiveOut = DesignOut;

/// Which accesses storage checks against the highest token seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fencing {
    /// No checks: plain storage.
    None,
    /// Every access, reads included.
    All,
    /// Writes only (the deliberately flawed variant).
    WritesOnly,
}

/// The newest operation served for one client, and the answer it got.
#[derive(Debug, Clone, Copy)]
struct Served {
    op: OpId,
    reply: LockMsg,
}

/// The storage node.
#[derive(Debug)]
pub struct Storage {
    fencing: Fencing,
    max_token: u64,
    values: Vec<Option<u64>>,
    /// By client node: constant memory per client, whatever the length of the run.
    served: Vec<Option<Served>>,
    topology: Topology,
}

impl Storage {
    /// Empty storage with the given fencing, serving the clients of `topology`.
    pub fn new(fencing: Fencing, topology: Topology) -> Self {
        Storage { fencing, max_token: 0, values: Vec::new(), served: Vec::new(), topology }
    }

    /// Serves operation `op` of `from` unless it was served before; returns the reply to send.
    fn serve(&mut self, from: NodeId, msg: LockMsg, out: &mut PassiveOut) -> Option<LockMsg> {
        let (id, op, token, key) = match msg {
            LockMsg::Read { op, token, key } => (op, Op::Read, token, key),
            LockMsg::Write { op, token, key, value } => (op, Op::Write(value), token, key),
            _ => return None,
        };
        // Only clients use storage; what anything else sends is not served.
        let client = self.topology.client_of(from)?;
        if self.served.len() <= from {
            self.served.resize(from + 1, None);
        }
        match self.served[from] {
            Some(s) if s.op == id => return Some(s.reply),
            Some(s) if s.op > id => return None,
            _ => {}
        }
        let accepted = self.admit(token, op);
        let reply = match op {
            Op::Read => {
                let value = if accepted { *self.slot(key) } else { None };
                LockMsg::ReadReply { op: id, value, accepted }
            }
            Op::Write(value) => {
                if accepted {
                    *self.slot(key) = Some(value);
                }
                LockMsg::WriteAck { op: id, accepted }
            }
        };
        out.observe(LockEvent::Accessed { client, token, key, op, accepted });
        self.served[from] = Some(Served { op: id, reply });
        Some(reply)
    }

    fn admit(&mut self, token: u64, op: Op) -> bool {
        let checked = match (self.fencing, op) {
            (Fencing::None, _) | (Fencing::WritesOnly, Op::Read) => false,
            (Fencing::All, _) | (Fencing::WritesOnly, Op::Write(_)) => true,
        };
        if !checked {
            return true;
        }
        if token < self.max_token {
            return false;
        }
        self.max_token = token;
        true
    }

    fn slot(&mut self, key: Key) -> &mut Option<u64> {
        let i = usize::try_from(key).expect("key fits in memory");
        if self.values.len() <= i {
            self.values.resize(i + 1, None);
        }
        &mut self.values[i]
    }
}

impl Node for Storage {
    type Msg = LockMsg;
    type Obs = LockEvent;
    type Timer = DesignTimer;

    fn on_msg(&mut self, _now: Nanos, from: NodeId, msg: LockMsg, out: &mut PassiveOut) {
        if let Some(reply) = self.serve(from, msg, out) {
            out.send(from, reply);
        }
    }
}

/// The side-effect outbox: it sends whatever it is handed (an SMS, an e-mail, a payment) and has no
/// way to check a token, because the world outside does not keep one.
#[derive(Debug)]
pub struct Outbox {
    topology: Topology,
}

impl Outbox {
    /// An outbox sending for the clients of `topology`.
    pub fn new(topology: Topology) -> Self {
        Outbox { topology }
    }
}

impl Node for Outbox {
    type Msg = LockMsg;
    type Obs = LockEvent;
    type Timer = DesignTimer;

    fn on_msg(&mut self, _now: Nanos, from: NodeId, msg: LockMsg, out: &mut PassiveOut) {
        if let (LockMsg::Effect { token, key, value, section }, Some(client)) =
            (msg, self.topology.client_of(from))
        {
            out.observe(LockEvent::Effect { client, token, key, value, section });
        }
    }
}
