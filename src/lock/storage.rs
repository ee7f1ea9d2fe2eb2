//! Storage, the stateful observer: a key-value store that may check fencing tokens.
//!
//! With fencing it remembers the highest token it has seen and refuses any access presenting a
//! lower one: Kleppmann's fix, which works precisely because storage is a *stateful observer that
//! checks*. With writes-only fencing, reads neither are checked nor raise the bar, which is enough
//! to lose updates.

use super::msg::{Key, LockEvent, LockMsg, Op};
use crate::node::{Node, NodeId, Out, TimerId};
use crate::time::Nanos;
use serde::Serialize;

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

/// The storage node.
#[derive(Debug)]
pub struct Storage {
    fencing: Fencing,
    max_token: u64,
    values: Vec<Option<u64>>,
}

impl Storage {
    /// Empty storage with the given fencing.
    pub fn new(fencing: Fencing) -> Self {
        Storage { fencing, max_token: 0, values: Vec::new() }
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

    fn on_start(&mut self, _now: Nanos, _out: &mut Out<LockMsg, LockEvent>) {}

    fn on_msg(&mut self, _now: Nanos, from: NodeId, msg: LockMsg, out: &mut Out<LockMsg, LockEvent>) {
        match msg {
            LockMsg::Read { token, key } => {
                let accepted = self.admit(token, Op::Read);
                let value = if accepted { *self.slot(key) } else { None };
                out.observe(LockEvent::Accessed { token, key, op: Op::Read, accepted });
                out.send(from, LockMsg::ReadReply { token, key, value, accepted });
            }
            LockMsg::Write { token, key, value } => {
                let accepted = self.admit(token, Op::Write(value));
                if accepted {
                    *self.slot(key) = Some(value);
                }
                out.observe(LockEvent::Accessed { token, key, op: Op::Write(value), accepted });
                out.send(from, LockMsg::WriteAck { token, key, accepted });
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, _now: Nanos, _timer: TimerId, _out: &mut Out<LockMsg, LockEvent>) {}
}

/// The side-effect outbox: it sends whatever it is handed (an SMS, an e-mail, a payment) and has no
/// way to check a token, because the world outside does not keep one.
#[derive(Debug)]
pub struct Outbox {
    client_of: fn(NodeId) -> usize,
}

impl Outbox {
    /// An outbox; `client_of` names a client node for the oracles.
    pub fn new(client_of: fn(NodeId) -> usize) -> Self {
        Outbox { client_of }
    }
}

impl Node for Outbox {
    type Msg = LockMsg;
    type Obs = LockEvent;

    fn on_start(&mut self, _now: Nanos, _out: &mut Out<LockMsg, LockEvent>) {}

    fn on_msg(&mut self, _now: Nanos, from: NodeId, msg: LockMsg, out: &mut Out<LockMsg, LockEvent>) {
        if let LockMsg::Effect { token, key, value } = msg {
            out.observe(LockEvent::Effect { client: (self.client_of)(from), token, key, value });
        }
    }

    fn on_timer(&mut self, _now: Nanos, _timer: TimerId, _out: &mut Out<LockMsg, LockEvent>) {}
}
