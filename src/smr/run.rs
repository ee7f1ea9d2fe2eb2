//! Running a protocol in a world, with either lock-step driver, and checking the outcome.

use super::model::{CLIENTS, Cluster, Cmd, Pid, Round};
use super::protocol::{Process, Protocol, RegisterClient};
use super::spec::{self, Response, Verdict};
use super::view::View;
use super::world::World;
use crate::smr::rounds::{self, Adversary, Sent, StepError, Transcript};
use serde::Serialize;

/// Why a protocol's run stopped before its last round: a fault of one of its processes, named as
/// the reports name processes (`s1`, `c2`) with the message as the protocol displays it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum RunError {
    /// A process panicked during its step.
    #[error("{process} panicked in round {round}: {message}")]
    Panicked {
        /// The process, `s1` or `c1`.
        process: String,
        /// The round of the step.
        round: Round,
        /// The panic's message.
        message: String,
    },
    /// A process sent a message to a pid that names no process.
    #[error(
        "{process} sent {msg} in round {round} to pid {to}, which names no process (pids 0 to {last} are {names})"
    )]
    Misaddressed {
        /// The sender.
        process: String,
        /// The round it was sent in.
        round: Round,
        /// The pid it was addressed to.
        to: usize,
        /// The message, as the protocol displays it.
        msg: String,
        /// The largest pid there is.
        last: usize,
        /// The processes, `s1 … sn, c1, c2`.
        names: String,
    },
}

impl RunError {
    /// The driver's error in the names of `cluster`.
    fn of<M: std::fmt::Debug + std::fmt::Display>(cluster: Cluster, e: StepError<M>) -> RunError {
        match e {
            StepError::Panicked { process, round, message } => {
                RunError::Panicked { process: cluster.name(process), round, message }
            }
            StepError::Misaddressed { process, round, to, msg } => RunError::Misaddressed {
                process: cluster.name(process),
                round,
                to: to.0,
                msg: msg.to_string(),
                last: cluster.len() - 1,
                names: cluster.names(&cluster.processes().collect::<Vec<_>>()),
            },
        }
    }
}

/// Which lock-step driver runs the rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Driver {
    /// A plain loop.
    Loop,
    /// One OS thread per process, a barrier per round.
    Threads,
}

/// A server or a client of protocol `P`.
pub enum Participant<P: Protocol> {
    /// A server.
    Server(P::Server),
    /// A client.
    Client(RegisterClient<P::Msg>),
}

impl<P: Protocol> Process<P::Msg> for Participant<P> {
    fn round(&mut self, round: Round, inbox: &[(Pid, P::Msg)], out: &mut Vec<(Pid, P::Msg)>) {
        match self {
            Participant::Server(s) => s.round(round, inbox, out),
            Participant::Client(c) => c.round(round, inbox, out),
        }
    }
}

/// The processes of `protocol` on `cluster`, clients writing `inputs`.
pub fn participants<P: Protocol>(
    protocol: &P,
    cluster: Cluster,
    inputs: &[Option<Cmd>; CLIENTS],
) -> Vec<Participant<P>> {
    let servers = cluster.servers().map(|s| Participant::Server(protocol.server(s, cluster)));
    let clients = (0..CLIENTS).map(|j| {
        Participant::Client(RegisterClient::new(cluster, inputs[j], inputs[j].map(P::write), P::response))
    });
    servers.chain(clients).collect()
}

/// The record of one protocol's run in one set-up: views, every message, responses and verdict.
#[derive(Debug, Clone)]
pub struct RunRecord<M> {
    /// The cluster.
    pub cluster: Cluster,
    /// Each process's view, by pid: the driver's inboxes, moved rather than copied, since a long
    /// run's messages are most of its memory.
    pub views: Vec<View<M>>,
    /// Every message sent, delivered or omitted, by round, then sender, then sending order.
    pub sent: Vec<Sent<M>>,
    /// What each client was told.
    pub responses: [Option<Response>; CLIENTS],
    /// The specification's verdict.
    pub verdict: Verdict,
}

/// Runs `protocol` on `cluster` for `rounds` rounds, clients writing `inputs`, against `plan`; or
/// says which process failed, in which round, on either driver.
pub fn run<P: Protocol>(
    protocol: &P,
    cluster: Cluster,
    inputs: &[Option<Cmd>; CLIENTS],
    plan: &(impl Adversary + HasFaulty),
    rounds: Round,
    driver: Driver,
) -> Result<RunRecord<P::Msg>, RunError> {
    let procs = participants(protocol, cluster, inputs);
    let ran = match driver {
        Driver::Loop => {
            let mut procs = procs;
            rounds::run_loop(&mut procs, plan, rounds).map(|t| (procs, t))
        }
        #[cfg(not(loom))]
        Driver::Threads => rounds::run_threads(procs, plan, rounds),
        #[cfg(loom)]
        Driver::Threads => panic!("the threaded round driver is not built under cfg(loom)"),
    };
    let (procs, transcript) = ran.map_err(|e| RunError::of(cluster, e))?;
    let clients = [cluster.client(0), cluster.client(1)];
    let responses = clients.map(|c| match &procs[c.0] {
        Participant::Client(client) => client.told().map(|(cmd, round)| Response { cmd, round }),
        Participant::Server(_) => None,
    });
    let Transcript { inboxes, sent } = transcript;
    let views = cluster
        .processes()
        .zip(inboxes)
        .map(|(p, inbox)| View { input: cluster.client_index(p).and_then(|j| inputs[j]), inbox })
        .collect();
    let verdict = spec::check(clients, inputs, &responses, plan.faulty());
    Ok(RunRecord { cluster, views, sent, responses, verdict })
}

/// Runs `protocol` in `world`.
pub fn run_world<P: Protocol>(
    protocol: &P,
    world: &World,
    rounds: Round,
    driver: Driver,
) -> Result<RunRecord<P::Msg>, RunError> {
    run(protocol, world.cluster, &world.inputs, &world.plan, rounds, driver)
}

/// An adversary that names the processes it corrupts (the checker excuses them).
pub trait HasFaulty {
    /// The faulty processes.
    fn faulty(&self) -> &std::collections::BTreeSet<Pid>;
}

impl HasFaulty for super::adversary::Plan {
    fn faulty(&self) -> &std::collections::BTreeSet<Pid> {
        &self.faulty
    }
}
