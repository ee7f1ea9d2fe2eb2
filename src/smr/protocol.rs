//! The one trait a replication protocol implements, and the client every protocol shares.
//!
//! A protocol is a set of sans-IO processes in lock-step rounds: each round a process is handed the
//! messages that reached it (sent in the previous round, in sender order) and says what to send.
//! It never sees the adversary, the round engine or the other worlds. To try a protocol of your
//! own, implement [`Protocol`] (its message type, its server, how a client's write and a server's
//! reply look) and pass it to [`crate::smr::theorem::dichotomy`]: it will land on one of the two
//! horns of the theorem.

use super::model::{Cluster, Cmd, Pid, Round};
use std::fmt;

/// A process in lock-step rounds.
pub trait Process<M>: Send {
    /// Round `round`: `inbox` holds what was sent to this process in the previous round and not
    /// omitted, ordered by sender; push what to send now onto `out`. Must be deterministic: the
    /// indistinguishability argument is about processes that act alike on alike views.
    fn round(&mut self, round: Round, inbox: &[(Pid, M)], out: &mut Vec<(Pid, M)>);
}

/// A replication protocol for the write-once register.
pub trait Protocol: Sync {
    /// What its processes send.
    type Msg: Clone + fmt::Debug + fmt::Display + PartialEq + Send + Sync + 'static;
    /// Its server.
    type Server: Process<Self::Msg> + 'static;

    /// Its name in reports and tables (`commit-alone`), without its parameters: `τ` has a
    /// column of its own ([`Protocol::tau`]).
    fn name(&self) -> String;
    /// The rounds it waits before acting alone (a timeout, a lone commit), if it has such a
    /// parameter; shown as `τ` in reports, and what [`crate::smr::theorem::derived_rounds`] needs.
    fn tau(&self) -> Option<Round> {
        None
    }
    /// Server `me` of `cluster`.
    fn server(&self, me: Pid, cluster: Cluster) -> Self::Server;
    /// The message a client sends to every server to write `cmd`.
    fn write(cmd: Cmd) -> Self::Msg;
    /// If `msg` tells a client the committed command, which one.
    fn response(msg: &Self::Msg) -> Option<Cmd>;
}

/// The write-once register client every protocol shares: in round 0 it sends its command (if it
/// has one) to every server; it is told the command named by the first response it receives.
///
/// It is `Clone`, and `Hash` and `Eq` when its message is, so that [`crate::smr::search`](mod@crate::smr::search) can copy
/// and compare it; equality and hashing leave out the function recognising responses, which is
/// the protocol's [`Protocol::response`] for every client of one protocol.
#[derive(Clone)]
pub struct RegisterClient<M> {
    input: Option<Cmd>,
    servers: Vec<Pid>,
    write: Option<M>,
    told: Option<(Cmd, Round)>,
    response: fn(&M) -> Option<Cmd>,
}

impl<M: Clone> RegisterClient<M> {
    /// A client of `cluster` writing `input` (or nothing) with `write`, recognising responses with
    /// `response`.
    pub fn new(
        cluster: Cluster,
        input: Option<Cmd>,
        write: Option<M>,
        response: fn(&M) -> Option<Cmd>,
    ) -> Self {
        RegisterClient { input, servers: cluster.servers().collect(), write, told: None, response }
    }

    /// What the client was told, and in which round it heard it.
    pub fn told(&self) -> Option<(Cmd, Round)> {
        self.told
    }

    /// What the client wrote.
    pub fn input(&self) -> Option<Cmd> {
        self.input
    }
}

impl<M: PartialEq> PartialEq for RegisterClient<M> {
    fn eq(&self, other: &Self) -> bool {
        (self.input, &self.servers, &self.write, self.told)
            == (other.input, &other.servers, &other.write, other.told)
    }
}

impl<M: Eq> Eq for RegisterClient<M> {}

impl<M: std::hash::Hash> std::hash::Hash for RegisterClient<M> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.input, &self.servers, &self.write, self.told).hash(state);
    }
}

impl<M: Clone + Send> Process<M> for RegisterClient<M> {
    fn round(&mut self, round: Round, inbox: &[(Pid, M)], out: &mut Vec<(Pid, M)>) {
        if round == 0
            && let Some(w) = &self.write
        {
            out.extend(self.servers.iter().map(|&s| (s, w.clone())));
        }
        if self.told.is_none() {
            self.told = inbox.iter().find_map(|(_, m)| (self.response)(m)).map(|c| (c, round));
        }
    }
}
