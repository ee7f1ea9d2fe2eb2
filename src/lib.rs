#![forbid(unsafe_code)]
//! faultline (crate docs being written)

pub mod check;
pub mod cli;
pub mod demo;
pub mod engine;
pub mod fault;
pub mod lock;
pub mod node;
pub mod report;
pub mod rng;
pub mod sync;
pub mod time;
