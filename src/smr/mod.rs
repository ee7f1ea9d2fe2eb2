//! The replication laboratory: state machine replication with `n <= 2f` omission faults is
//! impossible, even in lock-step rounds.
//!
//! The write-once register has two clients, each writing its command once and being told the
//! committed command. [`world`] builds worlds A, B and C for any `n <= 2f` (and refuses for
//! `n = 2f + 1`); [`run`] runs a [`Protocol`] in one, with either lock-step driver of [`rounds`]
//! (a plain loop, or a thread per process and a barrier per round), recording every process's
//! [`view`]; [`spec`] checks Termination, Agreement and Validity; [`theorem::dichotomy`] runs all
//! three worlds and says which horn the protocol is on; [`stress`](mod@stress) measures violations
//! under random omissions, and [`replay`] finds its first failing run again. The built-in
//! [`protocols`] are those of the table in docs/model.md §6.6; a protocol of your own only has to
//! implement [`Protocol`].
//!
//! The laboratory reports in names and strings ([`reports`]), which `--json` prints as they are
//! and [`crate::report::smr`] renders as text and Mermaid diagrams; nothing here renders text or
//! knows the command line, whose flags ([`crate::flags::smr`]) become the configurations of
//! [`config`] (and, for one row of a sweep, a [`StressPoint`]).
//!
//! `examples/my_replication_protocol.rs` does exactly that, against the public API only: it
//! writes a protocol, runs it in worlds A, B and C with [`WorldsConfig::run_with`] (which gives
//! [`dichotomy`] the rounds [`derived_rounds`] recommends), prints its horn and the view comparison
//! with [`crate::report::smr::worlds_text`], and measures it with [`StressSweepConfig::run_with`],
//! which runs [`stress()`] once per `q` (`cargo run --example my_replication_protocol`). A protocol
//! outside the theorem's assumptions gets its own outcome ([`Horn::NotDeterministic`],
//! [`Horn::Invalid`]), and one whose process panics or sends to a pid that does not exist gets a
//! [`RunError`] naming it, on either driver.
//!
//! [`config`] holds what `faultline smr` runs as library types, with its defaults and its limits:
//! [`WorldsConfig`] (one protocol in worlds A, B and C, into an
//! [`SmrReport`](reports::SmrReport)) and [`StressSweepConfig`] (violation rates over
//! protocols, `τ` and `q`, into [`StressRow`](reports::StressRow)s). Each has `new`,
//! `validate` (a [`SmrConfigError`]), `run` for the built-in protocols and `run_with` for any
//! [`Protocol`]; the command line only parses flags into them and renders what they return.

pub mod adversary;
pub mod config;
pub mod model;
pub mod point;
pub mod protocol;
pub mod protocols;
pub mod replay;
pub mod reports;
pub mod rounds;
pub mod run;
pub mod search;
pub mod spec;
pub mod stress;
pub mod theorem;
pub mod view;
pub mod world;

pub use config::{
    LabError, SearchConfig, SmrConfigError, StressSweepConfig, SweepProgress, SweepRow, WorldsConfig,
};
pub use model::{Cluster, Cmd, Pid, Round};
pub use point::{PointError, StressPoint};
pub use protocol::{Process, Protocol, RegisterClient};
pub use run::{Driver, RunError};
pub use search::{SearchError, SearchOptions, SearchReport, search};
pub use stress::{StressConfig, StressError, StressResult, stress};
pub use theorem::{Dichotomy, DichotomyError, Horn, derived_rounds, dichotomy};
