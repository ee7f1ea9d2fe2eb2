//! The lock laboratory's integration tests: every lock claim of docs/model.md (§2 to §5), asserted on the
//! crate's public API (and, in `cli`, on the binary). One test binary, to keep link time down.

mod advise;
mod backoff;
mod bounds;
mod cli;
mod config_file;
mod consensus;
mod crash_forms;
mod designs;
mod determinism;
mod endings;
mod judge;
mod kleppmann;
mod margin;
mod outcome_table;
mod params;
mod pauses;
mod pinned;
mod plot;
mod predictions;
mod rare;
mod replay;
mod requests;
mod results;
mod shards;
mod sweep;
mod sweep_marks;
mod threads;
