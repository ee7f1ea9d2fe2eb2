//! The lock laboratory: lock services, clients, storage and the side-effect outbox.
//!
//! Variants ([`Variant`]) combine a service policy (non-preemptive, lease, lease with lock-delay),
//! a client policy (safety margin or not, lease countdown from grant or from request) and a storage
//! policy (plain, fenced, fenced on writes only). [`run()`] runs one [`LockConfig`] and returns its
//! metrics; [`scenario`] names the configurations that reproduce the outcome table of docs/model.md §5;
//! [`timeline`] replays a run to its first violation and draws the happenings around it.

pub mod client;
pub mod config;
pub mod design;
pub mod designs;
pub mod env;
pub mod faults;
pub mod msg;
pub mod predict;
pub mod retry;
pub mod run;
pub mod scenario;
pub mod server;
pub mod storage;
pub mod timeline;
pub mod topology;
pub mod trace;
pub mod world;

pub use client::{DecideBy, TimerStart, Workload};
pub use config::{ConfigError, EngineKind, LockConfig};
pub use design::{LockDesign, LockStub, Variant, register};
pub use run::{LockReport, RunError, run};
pub use topology::{Target, Topology};
