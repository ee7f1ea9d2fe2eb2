//! What can go wrong, as data: stall distributions, clock models and lossy links.
//!
//! Protocols never see these directly. The engines consult them: a node that reaches a pause point
//! is frozen for a draw from a [`Dist`]; a node's local clock is its [`Clock`] applied to true time;
//! every message goes through a [`LinkPlan`] that may drop, delay, duplicate or reorder it. A
//! stall law may be a user's own pauses, read from a GC log ([`gclog`], [`empirical`]).

pub mod clock;
pub mod dist;
pub mod empirical;
pub mod gclog;
pub mod link;

pub use clock::Clock;
pub use dist::{Dist, DistError};
pub use empirical::Empirical;
pub use link::LinkPlan;
