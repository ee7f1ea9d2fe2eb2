//! The lock world: who is who, and the one node type the engines drive.
//!
//! Node 0 is the lock service, 1 is storage, 2 is the outbox, and clients follow from 3. Engines
//! run a `Vec<LockNode>`; the enum only dispatches.

use super::client::{ClientPolicy, LockClient};
use super::config::LockConfig;
use super::msg::{LockEvent, LockMsg};
use super::server::{LockServer, ServerPolicy};
use super::storage::{Outbox, Storage};
use crate::node::{Node, NodeId, Out, TimerId};
use crate::time::Nanos;

/// The lock service's node id.
pub const SERVER: NodeId = 0;
/// Storage's node id.
pub const STORAGE: NodeId = 1;
/// The outbox's node id.
pub const OUTBOX: NodeId = 2;
/// The first client's node id.
pub const FIRST_CLIENT: NodeId = 3;

/// Client index of a client node.
pub fn client_of(node: NodeId) -> usize {
    node - FIRST_CLIENT
}

/// Node id of client `index`.
pub fn client_node(index: usize) -> NodeId {
    FIRST_CLIENT + index
}

/// Any node of the lock world.
#[derive(Debug)]
pub enum LockNode {
    /// The lock service.
    Server(LockServer),
    /// Storage.
    Storage(Storage),
    /// The side-effect outbox.
    Outbox(Outbox),
    /// A client.
    Client(LockClient),
}

/// The nodes of a run of `cfg`, indexed by node id.
pub fn build(cfg: &LockConfig) -> Vec<LockNode> {
    let policy = ServerPolicy { lease: cfg.lease, lock_delay: cfg.lock_delay };
    let mut nodes = vec![
        LockNode::Server(LockServer::new(policy, client_of)),
        LockNode::Storage(Storage::new(cfg.fencing(), client_of)),
        LockNode::Outbox(Outbox::new(client_of)),
    ];
    for index in 0..cfg.clients {
        nodes.push(LockNode::Client(LockClient::new(ClientPolicy {
            index,
            margin: cfg.margin,
            timer_start: cfg.timer_start,
            retry: cfg.retry,
            renew: cfg.renew,
            work: cfg.work,
            workload: cfg.workload,
            quota: cfg.quota(index),
            instance_period: cfg.instance_period(),
            server: SERVER,
            storage: STORAGE,
            outbox: OUTBOX,
        })));
    }
    nodes
}

macro_rules! dispatch {
    ($self:ident, $n:ident => $e:expr) => {
        match $self {
            LockNode::Server($n) => $e,
            LockNode::Storage($n) => $e,
            LockNode::Outbox($n) => $e,
            LockNode::Client($n) => $e,
        }
    };
}

impl Node for LockNode {
    type Msg = LockMsg;
    type Obs = LockEvent;

    fn on_start(&mut self, now: Nanos, out: &mut Out<LockMsg, LockEvent>) {
        dispatch!(self, n => n.on_start(now, out))
    }
    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut Out<LockMsg, LockEvent>) {
        dispatch!(self, n => n.on_msg(now, from, msg, out))
    }
    fn on_timer(&mut self, now: Nanos, timer: TimerId, out: &mut Out<LockMsg, LockEvent>) {
        dispatch!(self, n => n.on_timer(now, timer, out))
    }
}
