//! Folds over a run's true-time event stream that any laboratory can use: the counter values a
//! run has seen ([`seen`]), who entered after whom ([`succession`]), rates with their
//! intervals ([`rate`], [`stats`]), and waiting times ([`latency`]). The lock laboratory's judge and oracle
//! ([`crate::lock::judge`], [`crate::lock::oracle`]) are built on them.

pub mod latency;
pub mod rate;
pub mod seen;
pub mod stats;
pub mod succession;

pub use latency::Latencies;
pub use rate::Rate;
pub use stats::wilson;
