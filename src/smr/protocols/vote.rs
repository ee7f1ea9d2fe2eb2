//! One-shot voting: each server votes once, for the smallest command it has heard of, and commits
//! by its rule.
//!
//! A server votes in the first round it knows a command: the smallest one written to it, or, if
//! no client reached it, the smallest vote it has heard. Votes are final. Three commit rules give
//! three protocols of the table in docs/model.md §6.6; they differ in nothing else, which is the point: the
//! lower bound is about what a server may conclude from silence.

use crate::smr::model::{Cluster, Cmd, Pid, Round};
use crate::smr::protocol::{Process, Protocol};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// When a server commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommitRule {
    /// When every server has voted for the same command.
    All,
    /// As [`CommitRule::All`], or `τ` rounds after its own vote, committing the smallest vote it
    /// has heard (its own included): silence is taken to mean the others are down.
    AloneAfter(Round),
    /// When more than half of the servers voted for one command.
    Majority,
}

/// The voting protocol with a commit rule.
#[derive(Debug, Clone, Copy)]
pub struct Vote {
    rule: CommitRule,
}

impl Vote {
    /// Voting committed by `rule`.
    pub fn new(rule: CommitRule) -> Self {
        Vote { rule }
    }
}

/// Messages of the voting protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoteMsg {
    /// Client → server: write this command.
    Write(Cmd),
    /// Server → servers: my vote.
    Vote(Cmd),
    /// Server → client: this command is committed.
    Committed(Cmd),
}

impl fmt::Display for VoteMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VoteMsg::Write(c) => write!(f, "Write({c})"),
            VoteMsg::Vote(c) => write!(f, "Vote({c})"),
            VoteMsg::Committed(c) => write!(f, "Committed({c})"),
        }
    }
}

impl Protocol for Vote {
    type Msg = VoteMsg;
    type Server = VoteServer;

    fn name(&self) -> String {
        match self.rule {
            CommitRule::All => "wait-all".into(),
            CommitRule::AloneAfter(_) => "commit-alone".into(),
            CommitRule::Majority => "majority".into(),
        }
    }

    fn tau(&self) -> Option<Round> {
        match self.rule {
            CommitRule::AloneAfter(t) => Some(t),
            CommitRule::All | CommitRule::Majority => None,
        }
    }

    fn server(&self, me: Pid, cluster: Cluster) -> VoteServer {
        VoteServer {
            me,
            cluster,
            rule: self.rule,
            written: BTreeSet::new(),
            writers: BTreeSet::new(),
            replied: BTreeSet::new(),
            votes: BTreeMap::new(),
            voted_at: None,
            committed: None,
        }
    }

    fn write(cmd: Cmd) -> VoteMsg {
        VoteMsg::Write(cmd)
    }

    fn response(msg: &VoteMsg) -> Option<Cmd> {
        match msg {
            VoteMsg::Committed(c) => Some(*c),
            _ => None,
        }
    }
}

/// A voting server. `Clone`, `Hash` and `Eq` let [`crate::smr::search`](mod@crate::smr::search) copy and compare it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoteServer {
    me: Pid,
    cluster: Cluster,
    rule: CommitRule,
    written: BTreeSet<Cmd>,
    writers: BTreeSet<Pid>,
    replied: BTreeSet<Pid>,
    votes: BTreeMap<Pid, Cmd>,
    voted_at: Option<Round>,
    committed: Option<Cmd>,
}

impl VoteServer {
    fn decide(&self, round: Round) -> Option<Cmd> {
        let n = self.cluster.servers;
        let mut tally: BTreeMap<Cmd, usize> = BTreeMap::new();
        for c in self.votes.values() {
            *tally.entry(*c).or_default() += 1;
        }
        let unanimous = tally.iter().find(|&(_, &k)| k == n).map(|(&c, _)| c);
        match self.rule {
            CommitRule::All => unanimous,
            CommitRule::Majority => tally.iter().find(|&(_, &k)| 2 * k > n).map(|(&c, _)| c),
            CommitRule::AloneAfter(tau) => unanimous.or_else(|| {
                let waited = self.voted_at.is_some_and(|v| round >= v + tau);
                waited.then(|| tally.keys().next().copied()).flatten()
            }),
        }
    }
}

impl Process<VoteMsg> for VoteServer {
    fn round(&mut self, round: Round, inbox: &[(Pid, VoteMsg)], out: &mut Vec<(Pid, VoteMsg)>) {
        for &(from, msg) in inbox {
            match msg {
                VoteMsg::Write(c) if !self.cluster.is_server(from) => {
                    self.written.insert(c);
                    self.writers.insert(from);
                }
                VoteMsg::Vote(c) if self.cluster.is_server(from) => {
                    self.votes.insert(from, c);
                }
                _ => {}
            }
        }
        if self.voted_at.is_none() {
            let heard = self.votes.values().min().copied();
            if let Some(c) = self.written.iter().next().copied().or(heard) {
                self.votes.insert(self.me, c);
                self.voted_at = Some(round);
                out.extend(self.cluster.servers().filter(|&s| s != self.me).map(|s| (s, VoteMsg::Vote(c))));
            }
        }
        if self.committed.is_none() {
            self.committed = self.decide(round);
        }
        if let Some(c) = self.committed {
            for &w in &self.writers {
                if self.replied.insert(w) {
                    out.push((w, VoteMsg::Committed(c)));
                }
            }
        }
    }
}
