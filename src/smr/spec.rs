//! The write-once register's specification, checked on a run.
//!
//! - **Termination**: every non-faulty client that wrote gets a response.
//! - **Agreement**: any two responses, faulty clients' included, name the same command.
//! - **Validity**: every response names a command some client wrote.

use super::model::{CLIENTS, Cmd, Pid, Round};
use serde::Serialize;
use std::collections::BTreeSet;

/// A client's response: the command it was told and the round it heard it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Response {
    /// The command.
    pub cmd: Cmd,
    /// The round it arrived in.
    pub round: Round,
}

/// Which properties a run kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Every non-faulty writing client got a response.
    pub termination: bool,
    /// No two responses differ.
    pub agreement: bool,
    /// Every response was written by some client.
    pub validity: bool,
}

impl Verdict {
    /// True when all three hold.
    pub fn ok(&self) -> bool {
        self.termination && self.agreement && self.validity
    }
}

/// Checks the three properties; `clients[j]` is client `j`'s pid.
pub fn check(
    clients: [Pid; CLIENTS],
    inputs: &[Option<Cmd>; CLIENTS],
    responses: &[Option<Response>; CLIENTS],
    faulty: &BTreeSet<Pid>,
) -> Verdict {
    let termination =
        (0..CLIENTS).all(|j| inputs[j].is_none() || faulty.contains(&clients[j]) || responses[j].is_some());
    let told: BTreeSet<Cmd> = responses.iter().flatten().map(|r| r.cmd).collect();
    let written: BTreeSet<Cmd> = inputs.iter().flatten().copied().collect();
    Verdict { termination, agreement: told.len() <= 1, validity: told.is_subset(&written) }
}
