//! The replication laboratory's integration tests: every row of the table in docs/model.md §6.6,
//! the generalisation to `n <= 2f`, the two lock-step drivers agreeing exactly, and the command
//! line: what it prints, and that whatever it accepts ends.

mod bounds;
mod cli;
mod drivers;
mod generalisation;
mod harness;
mod search;
mod table;
