//! The lock world: the nodes of a run, and the one node type the engines drive.
//!
//! The [`Topology`](super::topology::Topology) says who is who; the design supplies the lock servers and each client's stub;
//! storage, the outbox and the client skeleton are the same for every design. Engines run a
//! `Vec<LockNode>`; the enum only dispatches, and wraps each kind's timers in its own.

use super::client::{ClientPolicy, ClientTimer, LockClient};
use super::config::LockConfig;
use super::design::{DesignTimer, LockService};
use super::msg::{LockEvent, LockMsg};
use super::retry::Backoff;
use super::storage::{Outbox, Storage};
use crate::node::{Nested, Node, NodeId, Out};
use crate::time::Nanos;

/// Any node of the lock world.
#[derive(Debug)]
pub enum LockNode {
    /// A lock server of the design.
    Server(Nested<Box<dyn LockService>>),
    /// Storage.
    Storage(Nested<Storage>),
    /// The side-effect outbox.
    Outbox(Nested<Outbox>),
    /// A client.
    Client(Nested<LockClient>),
}

/// The timers of the lock world, each under its node's own name for it (storage and the outbox
/// set none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockTimer {
    /// A lock server's, named by its design.
    Server(DesignTimer),
    /// A client's.
    Client(ClientTimer),
}

/// The nodes of a run of `cfg`, indexed by node id (see [`Topology`](super::topology::Topology)).
pub fn build(cfg: &LockConfig) -> Vec<LockNode> {
    let topology = cfg.topology();
    let design = cfg.variant.design();
    let mut nodes: Vec<LockNode> = (0..topology.servers)
        .map(|i| LockNode::Server(Nested::new(design.server(cfg, i, &topology))))
        .collect();
    nodes.push(LockNode::Storage(Nested::new(Storage::new(cfg.fencing(), topology))));
    nodes.push(LockNode::Outbox(Nested::new(Outbox::new(topology))));
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
        nodes
            .push(LockNode::Client(Nested::new(LockClient::new(policy, design.stub(cfg, index, &topology)))));
    }
    debug_assert_eq!(nodes.len(), topology.nodes());
    nodes
}

/// Runs `$call` on the node inside, with that kind's wrapping of its timers.
macro_rules! dispatch {
    ($self:ident, $n:ident, $wrap:ident => $call:expr) => {
        match $self {
            LockNode::Server($n) => {
                let $wrap = LockTimer::Server;
                $call
            }
            LockNode::Client($n) => {
                let $wrap = LockTimer::Client;
                $call
            }
            LockNode::Storage($n) => {
                let $wrap = |never| match never {};
                $call
            }
            LockNode::Outbox($n) => {
                let $wrap = |never| match never {};
                $call
            }
        }
    };
}

impl Node for LockNode {
    type Msg = LockMsg;
    type Obs = LockEvent;
    type Timer = LockTimer;

    fn on_start(&mut self, now: Nanos, out: &mut Out<LockMsg, LockEvent, LockTimer>) {
        dispatch!(self, n, wrap => n.on_start(now, out, wrap))
    }
    fn on_msg(
        &mut self,
        now: Nanos,
        from: NodeId,
        msg: LockMsg,
        out: &mut Out<LockMsg, LockEvent, LockTimer>,
    ) {
        dispatch!(self, n, wrap => n.on_msg(now, from, msg, out, wrap))
    }
    fn on_timer(&mut self, now: Nanos, timer: LockTimer, out: &mut Out<LockMsg, LockEvent, LockTimer>) {
        match (self, timer) {
            (LockNode::Server(n), LockTimer::Server(t)) => n.on_timer(now, t, out, LockTimer::Server),
            (LockNode::Client(n), LockTimer::Client(t)) => n.on_timer(now, t, out, LockTimer::Client),
            // Engines fire only timers a node set, under the name it set them by.
            (_, timer) => unreachable!("{timer:?} fired at a node that never set it"),
        }
    }
}
