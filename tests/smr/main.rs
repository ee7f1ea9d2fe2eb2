//! The replication laboratory's integration tests: every row of theory.md's replication table,
//! the generalisation to `n <= 2f`, and the two lock-step drivers agreeing exactly.

mod cli;
mod drivers;
mod generalisation;
mod table;
