//! The replication laboratory: state machine replication with `n <= 2f` omission faults is
//! impossible, even in lock-step rounds.
//!
//! The write-once register has two clients, each writing its command once and being told the
//! committed command. [`world`] builds worlds A, B and C for any `n <= 2f` (and refuses for
//! `n = 2f + 1`); [`run`] runs a [`Protocol`] in one, with either lock-step driver, recording
//! every process's [`view`]; [`spec`] checks Termination, Agreement and Validity;
//! [`theorem::dichotomy`] runs all three worlds and says which horn the protocol is on;
//! [`stress`](mod@stress) measures violations under random omissions, and [`replay`] finds its first failing
//! run again and draws any run as a Mermaid sequence diagram. The built-in [`protocols`] are those of
//! the table in docs/model.md §6.6; a protocol of your own only has to implement [`Protocol`].
//!
//! `examples/my_replication_protocol.rs` does exactly that, against the public API only: it
//! writes a protocol, gives [`dichotomy`] the rounds [`derived_rounds`] recommends, prints its horn
//! and the view comparison with [`crate::report::smr::report`], and measures it with [`stress()`]
//! (`cargo run --example my_replication_protocol`). A protocol outside the theorem's assumptions
//! gets its own outcome ([`Horn::NotDeterministic`], [`Horn::Invalid`]), and one whose process
//! panics or sends to a pid that does not exist gets a [`RunError`] naming it, on either driver.

pub mod adversary;
pub mod model;
pub mod protocol;
pub mod protocols;
pub mod replay;
pub mod run;
pub mod spec;
pub mod stress;
pub mod theorem;
pub mod view;
pub mod world;

pub use model::{Cluster, Cmd, Pid, Round};
pub use protocol::{Process, Protocol, RegisterClient};
pub use run::{Driver, RunError};
pub use stress::{StressConfig, StressError, StressResult, stress};
pub use theorem::{Dichotomy, DichotomyError, Horn, derived_rounds, dichotomy};
