//! The sans-IO protocol interface: a [`Node`] reacts to inputs and returns its effects as data.
//!
//! A node never reads a clock, sleeps, spawns or touches a channel. Time (`now`, the node's *local*
//! clock) and messages come in as arguments; sends, timers, pauses and observations go out as
//! [`Command`]s in an [`Out`] buffer. Because of that one protocol can be driven by every engine:
//! the deterministic simulator, real threads, and loom. Clock faults live in the engine, which maps
//! true time to each node's local time, so a protocol cannot tell a drifting clock from a good one,
//! exactly as in reality.

use crate::time::Nanos;
use std::fmt::Debug;

/// Index of a node in the world the engine runs.
pub type NodeId = usize;

/// A timer's name, chosen by the node. Setting a timer that is already set re-arms it.
pub type TimerId = u8;

/// A named place in a protocol where the environment may freeze the node (a GC pause, a page
/// fault, a VM migration) or crash it. The node asks to continue with a timer once the environment
/// lets it go; what happens in between is the fault plan's business, not the protocol's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PausePoint {
    /// P1, just after the grant and before the safety-margin check.
    P1,
    /// P2, after the last check (Kleppmann's stop-the-world pause).
    P2,
}

/// One effect a node asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command<M, O> {
    /// Send `msg` to node `to` over the (possibly lossy) link.
    Send { to: NodeId, msg: M },
    /// Fire timer `id` after `after` nanoseconds of the node's local time; re-arms if already set.
    SetTimer { id: TimerId, after: Nanos },
    /// Do `amount` nanoseconds of work, then fire timer `id`. Unlike [`Command::SetTimer`] the
    /// span is true time: a drifting clock misjudges time, it does not slow the processor down.
    Work { id: TimerId, amount: Nanos },
    /// Forget timer `id` if it is set.
    CancelTimer { id: TimerId },
    /// Reached a pause point: the environment may stall or crash the node here; when it lets the
    /// node go, timer `resume` fires.
    Pause { point: PausePoint, resume: TimerId },
    /// Report something to the oracles; costs nothing and changes nothing.
    Observe(O),
}

/// The effects of one step, in the order the node asked for them.
#[derive(Debug)]
pub struct Out<M, O> {
    commands: Vec<Command<M, O>>,
}

impl<M, O> Default for Out<M, O> {
    fn default() -> Self {
        Out { commands: Vec::new() }
    }
}

impl<M, O> Out<M, O> {
    /// Sends `msg` to `to`.
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.commands.push(Command::Send { to, msg });
    }
    /// Arms (or re-arms) timer `id` to fire after `after` local nanoseconds.
    pub fn set_timer(&mut self, id: TimerId, after: Nanos) {
        self.commands.push(Command::SetTimer { id, after });
    }
    /// Works for `amount` true nanoseconds, then fires timer `id` (re-arms it if set).
    pub fn work(&mut self, id: TimerId, amount: Nanos) {
        self.commands.push(Command::Work { id, amount });
    }
    /// Disarms timer `id`.
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.commands.push(Command::CancelTimer { id });
    }
    /// Yields to the environment at `point`; continues with timer `resume`.
    pub fn pause(&mut self, point: PausePoint, resume: TimerId) {
        self.commands.push(Command::Pause { point, resume });
    }
    /// Reports an observation to the oracles.
    pub fn observe(&mut self, obs: O) {
        self.commands.push(Command::Observe(obs));
    }
    /// Asks for `command` as it is (a node that wraps another passes its commands on this way).
    pub fn push(&mut self, command: Command<M, O>) {
        self.commands.push(command);
    }
    /// Takes the commands out, leaving the buffer empty (and its allocation in place).
    pub fn drain(&mut self) -> std::vec::Drain<'_, Command<M, O>> {
        self.commands.drain(..)
    }
    /// The commands asked for so far.
    pub fn commands(&self) -> &[Command<M, O>] {
        &self.commands
    }
}

/// A protocol participant as a pure state machine.
pub trait Node {
    /// What travels between nodes.
    type Msg: Clone + Debug + Send + 'static;
    /// What the node reports to the oracles.
    type Obs: Clone + Debug + Send + 'static;

    /// Called once when the run starts; by default the node waits to be spoken to.
    fn on_start(&mut self, _now: Nanos, _out: &mut Out<Self::Msg, Self::Obs>) {}
    /// A message from `from` arrived.
    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: Self::Msg, out: &mut Out<Self::Msg, Self::Obs>);
    /// Timer `timer` fired; a node that sets no timer need not say what it does then.
    fn on_timer(&mut self, _now: Nanos, _timer: TimerId, _out: &mut Out<Self::Msg, Self::Obs>) {}
}
