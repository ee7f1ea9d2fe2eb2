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

/// What a node's timers may be: its own names for them, usually a fieldless enum. Engines keep
/// armed timers by name and never read anything into it, so a node's timers are nobody else's
/// business. A node that holds another (an enum of node kinds, a client around a design's stub)
/// shares one type of names with it and hands it its own buffer, so that a command is written
/// once, into the buffer the engine applies. Setting a timer that is already set re-arms it.
pub trait Timer: Copy + Eq + Debug + Send + 'static {}
impl<T: Copy + Eq + Debug + Send + 'static> Timer for T {}

/// The timers of a node that sets none (storage, an outbox): there are none to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoTimer {}

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

/// One effect a node asks for; `T` names the node's timers.
#[derive(Debug, Clone, PartialEq)]
pub enum Command<M, O, T> {
    /// Send `msg` to node `to` over the (possibly lossy) link.
    Send { to: NodeId, msg: M },
    /// Fire timer `id` after `after` nanoseconds of the node's local time; re-arms if already set.
    SetTimer { id: T, after: Nanos },
    /// Do `amount` nanoseconds of work, then fire timer `id`. Unlike [`Command::SetTimer`] the
    /// span is true time: a drifting clock misjudges time, it does not slow the processor down.
    Work { id: T, amount: Nanos },
    /// Forget timer `id` if it is set.
    CancelTimer { id: T },
    /// Reached a pause point: the environment may stall or crash the node here; when it lets the
    /// node go, timer `resume` fires.
    Pause { point: PausePoint, resume: T },
    /// Report something to the oracles; costs nothing and changes nothing.
    Observe(O),
}

/// The effects of one step, in the order the node asked for them.
#[derive(Debug)]
pub struct Out<M, O, T> {
    commands: Vec<Command<M, O, T>>,
}

impl<M, O, T> Default for Out<M, O, T> {
    fn default() -> Self {
        Out { commands: Vec::new() }
    }
}

impl<M, O, T> Out<M, O, T> {
    /// Sends `msg` to `to`.
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.commands.push(Command::Send { to, msg });
    }
    /// Arms (or re-arms) timer `id` to fire after `after` local nanoseconds.
    pub fn set_timer(&mut self, id: T, after: Nanos) {
        self.commands.push(Command::SetTimer { id, after });
    }
    /// Works for `amount` true nanoseconds, then fires timer `id` (re-arms it if set).
    pub fn work(&mut self, id: T, amount: Nanos) {
        self.commands.push(Command::Work { id, amount });
    }
    /// Disarms timer `id`.
    pub fn cancel_timer(&mut self, id: T) {
        self.commands.push(Command::CancelTimer { id });
    }
    /// Yields to the environment at `point`; continues with timer `resume`.
    pub fn pause(&mut self, point: PausePoint, resume: T) {
        self.commands.push(Command::Pause { point, resume });
    }
    /// Reports an observation to the oracles.
    pub fn observe(&mut self, obs: O) {
        self.commands.push(Command::Observe(obs));
    }
    /// Asks for `command` as it is (a node that wraps another passes its commands on this way).
    pub fn push(&mut self, command: Command<M, O, T>) {
        self.commands.push(command);
    }
    /// Takes the commands out, leaving the buffer empty (and its allocation in place).
    pub fn drain(&mut self) -> std::vec::Drain<'_, Command<M, O, T>> {
        self.commands.drain(..)
    }
    /// The commands asked for so far.
    pub fn commands(&self) -> &[Command<M, O, T>] {
        &self.commands
    }
}

/// The effects buffer of node type `N`.
pub type NodeOut<N> = Out<<N as Node>::Msg, <N as Node>::Obs, <N as Node>::Timer>;

/// A protocol participant as a pure state machine.
pub trait Node {
    /// What travels between nodes.
    type Msg: Clone + Debug + Send + 'static;
    /// What the node reports to the oracles.
    type Obs: Clone + Debug + Send + 'static;
    /// The node's names for its timers ([`NoTimer`] if it sets none).
    type Timer: Timer;

    /// Called once when the run starts; by default the node waits to be spoken to.
    fn on_start(&mut self, _now: Nanos, _out: &mut NodeOut<Self>) {}
    /// A message from `from` arrived.
    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: Self::Msg, out: &mut NodeOut<Self>);
    /// Timer `timer` fired; a node that sets no timer need not say what it does then.
    fn on_timer(&mut self, _now: Nanos, _timer: Self::Timer, _out: &mut NodeOut<Self>) {}
}

/// A boxed node is a node: a world may hold nodes whose type it only knows at run time.
impl<N: Node + ?Sized> Node for Box<N> {
    type Msg = N::Msg;
    type Obs = N::Obs;
    type Timer = N::Timer;

    fn on_start(&mut self, now: Nanos, out: &mut NodeOut<Self>) {
        (**self).on_start(now, out)
    }
    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: Self::Msg, out: &mut NodeOut<Self>) {
        (**self).on_msg(now, from, msg, out)
    }
    fn on_timer(&mut self, now: Nanos, timer: Self::Timer, out: &mut NodeOut<Self>) {
        (**self).on_timer(now, timer, out)
    }
}
