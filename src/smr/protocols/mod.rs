//! The replication protocols of docs/model.md §6.5 and §6.6.
//!
//! | protocol | commits when | falls on the horn |
//! |---|---|---|
//! | [`Vote`] with [`CommitRule::All`] | every server voted for the command | not live in A and B |
//! | [`Vote`] with [`CommitRule::AloneAfter`] | every server voted, or `τ` rounds passed since its own vote | disagrees in C |
//! | [`Vote`] with [`CommitRule::Majority`] | more than half the servers voted for it | not live in A and B (safe for `n = 2f + 1`) |
//! | [`PrimaryBackup`] | the primary replicated it and every backup acked or timed out | disagrees in C (safe under crashes) |

mod primary_backup;
mod vote;

pub use primary_backup::{PbMsg, PbServer, PrimaryBackup};
pub use vote::{CommitRule, Vote, VoteMsg, VoteServer};

use serde::Serialize;

/// The built-in protocols, by name, for the command line and the sweeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ProtocolKind {
    /// Wait for every server's vote.
    WaitAll,
    /// Commit alone after τ rounds without hearing the peers.
    CommitAlone,
    /// Majority quorum.
    Majority,
    /// Primary-backup with heartbeats and view change.
    PrimaryBackup,
}

impl ProtocolKind {
    /// Every built-in protocol.
    pub const ALL: [ProtocolKind; 4] = [
        ProtocolKind::WaitAll,
        ProtocolKind::CommitAlone,
        ProtocolKind::Majority,
        ProtocolKind::PrimaryBackup,
    ];

    /// The command line's name.
    pub fn name(self) -> &'static str {
        match self {
            ProtocolKind::WaitAll => "wait-all",
            ProtocolKind::CommitAlone => "commit-alone",
            ProtocolKind::Majority => "majority",
            ProtocolKind::PrimaryBackup => "primary-backup",
        }
    }
}

/// Calls `$body` with `$p` bound to the protocol `$kind` names, built with timeout `$tau`; the
/// protocols have different types, so this is how one piece of code runs any of them.
#[macro_export]
macro_rules! with_protocol {
    ($kind:expr, $tau:expr, |$p:ident| $body:expr) => {{
        use $crate::smr::protocols::{CommitRule, PrimaryBackup, ProtocolKind, Vote};
        match $kind {
            ProtocolKind::WaitAll => {
                let $p = Vote::new(CommitRule::All);
                $body
            }
            ProtocolKind::CommitAlone => {
                let $p = Vote::new(CommitRule::AloneAfter($tau));
                $body
            }
            ProtocolKind::Majority => {
                let $p = Vote::new(CommitRule::Majority);
                $body
            }
            ProtocolKind::PrimaryBackup => {
                let $p = PrimaryBackup::new($tau);
                $body
            }
        }
    }};
}
