//! The lock laboratory: lock designs, clients, storage and the side-effect outbox.
//!
//! A variant ([`Variant`]) is a registered lock design ([`design`]): its lock server node(s) and
//! a client-side stub. The built-in ones ([`designs`]) are the queueing service with a service
//! policy (non-preemptive, lease, lease with lock-delay), a client policy (safety margin or not)
//! and a storage policy (plain, fenced, fenced on writes only), and Redlock on `k` servers. The
//! [`topology`] says who is who, [`params`] carries a design's own parameters, and [`faults`] aims
//! faults at any node by role. [`run()`] runs one [`LockConfig`] and returns its metrics.
//!
//! What a run means is decided once: the [`judge`] turns the event stream into findings
//! (overlaps, stale accesses, lost updates, stale and duplicate effects, disagreements, aborts,
//! blocked and stuck clients), and everything else listens: the [`oracle`] counts them into
//! [`LockMetrics`], [`timeline`] keeps the happenings around the first violation,
//! `report::LockVerdict` says which property broke, and [`scenario`] judges each cell of the outcome
//! table of docs/model.md §5 on the kinds its row promises.
//!
//! Rates too small to count are estimated by [`rare`] (`--estimator rare`): importance sampling of
//! the stalls, weighing the same findings; [`advise`] turns a target rate into the shortest lease
//! that meets it, with its costs and the alternatives beside it.

pub mod advise;
pub mod client;
pub mod config;
pub mod design;
pub mod designs;
pub mod env;
pub mod faults;
pub mod judge;
pub mod msg;
pub mod oracle;
pub mod params;
pub mod predict;
pub mod rare;
pub mod retry;
pub mod runner;
pub mod scenario;
pub mod server;
pub mod site;
pub mod storage;
pub mod timeline;
pub mod topology;
pub mod trace;
pub mod world;

pub use client::{DecideBy, TimerStart, Workload};
pub use config::{ConfigError, EngineKind, LockConfig, NodeFault, Partition};
pub use design::{LockDesign, LockStub, Variant, register};
pub use oracle::{LockMetrics, LockOracle};
pub use params::{Param, ParamValue};
pub use runner::{LockReport, RunError, run, run_observed};
pub use topology::{Target, Topology};
