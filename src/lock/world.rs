//! The lock world: the nodes of a run, and the one node type the engines drive.
//!
//! The [`Topology`](super::topology::Topology) says who is who; the design supplies the lock servers and each client's stub;
//! storage, the outbox and the client skeleton are the same for every design. Engines run a
//! `Vec<LockNode>`; the enum only dispatches. Every kind names its timers as a design does, so
//! they all write into the engine's one buffer, and a command is written once.

use super::client::{ClientPolicy, LockClient};
use super::config::LockConfig;
use super::design::{DesignOut, DesignTimer, LockService};
use super::msg::{LockEvent, LockMsg};
use super::retry::Backoff;
use super::storage::{Outbox, Storage};
use crate::node::{Node, NodeId};
use crate::time::Nanos;

/// Any node of the lock world.
#[derive(Debug)]
pub enum LockNode {
    /// A lock server of the design.
    Server(Box<dyn LockService>),
    /// Storage.
    Storage(Storage),
    /// The side-effect outbox.
    Outbox(Outbox),
    /// A client.
    Client(LockClient),
}

/// The timers of the lock world: every node names its timers as a design does (storage and the
/// outbox set none; a client's share its stub's names), so that every node writes into the one
/// buffer the engine applies, and no command is copied from a node's buffer into another's.
pub type LockTimer = DesignTimer;

/// The nodes of a run of `cfg`, indexed by node id (see [`Topology`](super::topology::Topology)).
pub fn build(cfg: &LockConfig) -> Vec<LockNode> {
    let topology = cfg.topology();
    let design = cfg.variant.design();
    let mut nodes: Vec<LockNode> =
        (0..topology.servers).map(|i| LockNode::Server(design.server(cfg, i, &topology))).collect();
    nodes.push(LockNode::Storage(Storage::new(cfg.fencing(), topology)));
    nodes.push(LockNode::Outbox(Outbox::new(topology)));
    for index in 0..cfg.clients {
        let policy = ClientPolicy {
            index,
            margin: cfg.margin,
            backoff: Backoff::for_run(cfg),
            work: cfg.work,
            workload: cfg.workload,
            quota: cfg.quota(index),
            instance_period: cfg.instance_period(),
            storage: topology.storage(),
            outbox: topology.outbox(),
        };
        nodes.push(LockNode::Client(LockClient::new(policy, design.stub(cfg, index, &topology))));
    }
    debug_assert_eq!(nodes.len(), topology.nodes());
    nodes
}

impl Node for LockNode {
    type Msg = LockMsg;
    type Obs = LockEvent;
    type Timer = LockTimer;

    fn on_start(&mut self, now: Nanos, out: &mut DesignOut) {
        match self {
            LockNode::Server(n) => n.on_start(now, out),
            LockNode::Storage(n) => n.on_start(now, out),
            LockNode::Outbox(n) => n.on_start(now, out),
            LockNode::Client(n) => n.on_start(now, out),
        }
    }
    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) {
        match self {
            LockNode::Server(n) => n.on_msg(now, from, msg, out),
            LockNode::Storage(n) => n.on_msg(now, from, msg, out),
            LockNode::Outbox(n) => n.on_msg(now, from, msg, out),
            LockNode::Client(n) => n.on_msg(now, from, msg, out),
        }
    }
    fn on_timer(&mut self, now: Nanos, timer: LockTimer, out: &mut DesignOut) {
        match self {
            LockNode::Server(n) => n.on_timer(now, timer, out),
            LockNode::Client(n) => n.on_timer(now, timer, out),
            // Engines fire only timers a node set, and storage and the outbox set none.
            LockNode::Storage(_) | LockNode::Outbox(_) => {
                unreachable!("{timer:?} fired at a node that never set it")
            }
        }
    }
}
