//! What each [`Command`] means, written once for every engine.
//!
//! An engine differs from another in how it keeps time and hands messages over: a queue of
//! virtual instants, OS threads and real sleeps, or loom's explored interleavings. What a node's
//! commands *mean* does not differ, and lives here:
//!
//! - the commands of a step take effect in the order the node asked for them;
//! - a message goes through the env's links ([`Env::route`](super::Env::route)), which may lose
//!   it or fan it out into copies, each with its own delay;
//! - a timer counts the node's *local* time, so a drifting clock stretches it, and a clock jump
//!   moves it (the engine keeps the local deadline [`apply`] reports, in its [`Timers`](super::timers::Timers)); work counts true time;
//! - a pause point asks the env: carry on, freeze for a span, or crash;
//! - a crash drops whatever the node asked for after the pause point that killed it.
//!
//! An engine implements [`Step`] for the node whose step is being carried out, and calls
//! [`apply`]; the engine test kit (`kit.rs`) holds every engine to the same behaviours.

use super::PauseOutcome;
use crate::fault::Clock;
use crate::node::{Command, NodeId, Out, PausePoint};
use crate::time::Nanos;
use std::ops::ControlFlow;

/// One engine's hands, for the node whose step is being carried out.
pub trait Step<M, O, T> {
    /// The node's clock.
    fn clock(&self) -> Clock;
    /// The env's verdict on a message to `to`: one delay per copy that will arrive (none if it is
    /// lost), appended to `deliveries`.
    fn route(&mut self, to: NodeId, deliveries: &mut Vec<Nanos>);
    /// Hands one copy of `msg` to the link towards `to`, to arrive after `delay`.
    fn deliver(&mut self, to: NodeId, delay: Nanos, msg: M);
    /// Arms (or re-arms) timer `id` for true time `at`; `local` is the node's local deadline for
    /// a clock timer, `None` for work, which no clock jump moves.
    fn arm(&mut self, id: T, at: Nanos, local: Option<Nanos>);
    /// Disarms timer `id`.
    fn disarm(&mut self, id: T);
    /// The env's verdict on the node reaching pause point `point`.
    fn pause(&mut self, point: PausePoint) -> PauseOutcome;
    /// The node goes on with timer `resume` at once.
    fn resume(&mut self, resume: T);
    /// The node freezes for `span` of true time, then goes on with timer `resume`.
    fn stall(&mut self, span: Nanos, resume: T);
    /// The node crashed at its pause point; it never runs again.
    fn crash(&mut self);
    /// The node reports `obs` to the oracles.
    fn observe(&mut self, obs: O);
}

/// Carries out the commands of one step taken at true time `now`, in order; breaks on a crash,
/// dropping the rest. `deliveries` is scratch space, kept by the caller so that a step allocates
/// nothing.
pub fn apply<M: Clone, O, T>(
    now: Nanos,
    out: &mut Out<M, O, T>,
    step: &mut impl Step<M, O, T>,
    deliveries: &mut Vec<Nanos>,
) -> ControlFlow<()> {
    for command in out.drain() {
        match command {
            Command::Send { to, msg } => {
                deliveries.clear();
                step.route(to, deliveries);
                if let Some((&last, copies)) = deliveries.split_last() {
                    for &delay in copies {
                        step.deliver(to, delay, msg.clone());
                    }
                    step.deliver(to, last, msg);
                }
            }
            Command::SetTimer { id, after } => {
                let clock = step.clock();
                let at = now.saturating_add(clock.true_span(after));
                step.arm(id, at, Some(clock.local(now).saturating_add(after)));
            }
            Command::Work { id, amount } => step.arm(id, now.saturating_add(amount), None),
            Command::CancelTimer { id } => step.disarm(id),
            Command::Pause { point, resume } => match step.pause(point) {
                PauseOutcome::Continue => step.resume(resume),
                PauseOutcome::Stall(span) => step.stall(span, resume),
                PauseOutcome::Crash => {
                    step.crash();
                    // The rest of the step is dropped with the drain.
                    return ControlFlow::Break(());
                }
            },
            Command::Observe(obs) => step.observe(obs),
        }
    }
    ControlFlow::Continue(())
}
