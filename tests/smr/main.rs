//! The replication laboratory's integration tests: every row of the table in docs/model.md §6.6,
//! the generalisation to `n <= 2f`, and the two lock-step drivers agreeing exactly.

mod cli;
mod drivers;
mod generalisation;
mod table;
