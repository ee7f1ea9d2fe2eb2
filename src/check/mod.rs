//! Oracles: ground truth in, metrics out.
//!
//! The oracles see what no participant can: every event of every node stamped with true time. They
//! are folds over that stream, computed online so a simulated run of millions of acquisitions needs
//! no trace, and they are the only place the metrics of docs/model.md §3 are computed.

pub mod lock_oracle;
pub mod seen;
pub mod stats;
pub mod succession;

pub use lock_oracle::{LockMetrics, LockOracle, Rate};
pub use stats::wilson;
