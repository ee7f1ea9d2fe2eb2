//! faultline's exhaustive omission search (`faultline::smr::search`), written for stateright.
//!
//! The same system states: every process (the crate's own `VoteServer`s and `RegisterClient`s,
//! stepped by their own code), the messages in flight to each, and who the adversary has had to
//! make faulty, as a bit mask over pids; here with the round too, since stateright keeps one set
//! of states where the search keeps one per round. From a state every process steps once, and the
//! adversary chooses which of the messages it may lose are lost: a message to or from a faulty
//! server, or between a client and a correct server (the client is then faulty). Each choice is
//! one action. The protocol steps once per state, not once per choice: [`State`]'s actions share
//! what the processes sent, as the search's loop over choices does.
//!
//! What stateright cannot say is how many omission patterns reach a state (its checker keeps a
//! set of states, not a count of paths), nor which violating pattern loses the fewest messages
//! (its discoveries are whatever path reached a state first); the search reports both, and
//! replays its witnesses, so it does strictly more work than the checker here.

use faultline::smr::protocols::{Vote, VoteMsg, VoteServer};
use faultline::smr::spec::{self, Response, Verdict};
use faultline::smr::{Cluster, Cmd, Pid, Process, Protocol, RegisterClient, Round};
use stateright::{Model, Property};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A system state after `round` rounds.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct State {
    round: Round,
    servers: Vec<VoteServer>,
    clients: Vec<RegisterClient<VoteMsg>>,
    inboxes: Vec<Vec<(Pid, VoteMsg)>>,
    faulty: u64,
}

/// What every process did in one state's round, shared by the actions that choose the losses.
#[derive(PartialEq)]
pub struct Stepped {
    servers: Vec<VoteServer>,
    clients: Vec<RegisterClient<VoteMsg>>,
    sent: Vec<(Pid, Pid, VoteMsg)>,
    /// The indices in `sent` of the messages the adversary may lose.
    droppable: Vec<usize>,
}

/// One choice of losses: bit `b` set loses message `droppable[b]`.
#[derive(Clone, PartialEq)]
pub struct Action {
    stepped: Arc<Stepped>,
    lost: u64,
}

/// The search of `protocol` on `cluster` over `rounds` rounds, both clients writing, clients that
/// may fail (what `faultline smr --search` runs).
pub struct Omission {
    pub protocol: Vote,
    pub cluster: Cluster,
    pub rounds: Round,
    pub inputs: [Option<Cmd>; 2],
}

/// The property whose discovery is the first disagreement.
pub const AGREEMENT: &str = "agreement broken";

fn bit(p: Pid) -> u64 {
    1 << p.0
}

impl Omission {
    fn client_bits(&self) -> u64 {
        self.cluster.clients().fold(0, |m, c| m | bit(c))
    }

    /// The specification's verdict on a final state.
    fn verdict(&self, s: &State) -> Option<Verdict> {
        if s.round < self.rounds {
            return None;
        }
        let responses: [Option<Response>; 2] =
            std::array::from_fn(|j| s.clients[j].told().map(|(cmd, round)| Response { cmd, round }));
        let faulty: BTreeSet<Pid> = self.cluster.processes().filter(|&p| s.faulty & bit(p) != 0).collect();
        let clients = [self.cluster.client(0), self.cluster.client(1)];
        Some(spec::check(clients, &self.inputs, &responses, &faulty))
    }
}

impl Model for Omission {
    type State = State;
    type Action = Action;

    /// One state per faulty set of `f` servers (the search's round 0); here `f = 1`.
    fn init_states(&self) -> Vec<State> {
        assert_eq!(self.cluster.faults, 1, "the model chooses one faulty server");
        self.cluster
            .servers()
            .map(|faulty| State {
                round: 0,
                servers: self.cluster.servers().map(|s| self.protocol.server(s, self.cluster)).collect(),
                clients: (0..2)
                    .map(|j| {
                        let input = self.inputs[j];
                        RegisterClient::new(self.cluster, input, input.map(Vote::write), Vote::response)
                    })
                    .collect(),
                inboxes: vec![Vec::new(); self.cluster.len()],
                faulty: bit(faulty),
            })
            .collect()
    }

    fn actions(&self, s: &State, actions: &mut Vec<Action>) {
        if s.round == self.rounds {
            return;
        }
        let mut servers = s.servers.clone();
        let mut clients = s.clients.clone();
        let mut sent = Vec::new();
        let mut out = Vec::new();
        for p in self.cluster.processes() {
            match self.cluster.client_index(p) {
                Some(j) => clients[j].round(s.round, &s.inboxes[p.0], &mut out),
                None => servers[p.0].round(s.round, &s.inboxes[p.0], &mut out),
            }
            sent.extend(out.drain(..).map(|(to, msg)| (p, to, msg)));
        }
        let (faulty_servers, clients_bits) = (s.faulty & !self.client_bits(), self.client_bits());
        let droppable: Vec<usize> = (0..sent.len())
            .filter(|&m| {
                let ends = bit(sent[m].0) | bit(sent[m].1);
                ends & (faulty_servers | clients_bits) != 0
            })
            .collect();
        assert!(droppable.len() <= 20, "too many choices for one state");
        let stepped = Arc::new(Stepped { servers, clients, sent, droppable });
        actions.extend(
            (0..1u64 << stepped.droppable.len()).map(|lost| Action { stepped: Arc::clone(&stepped), lost }),
        );
    }

    fn next_state(&self, s: &State, action: Action) -> Option<State> {
        let Stepped { servers, clients, sent, droppable } = &*action.stepped;
        let faulty_servers = s.faulty & !self.client_bits();
        let mut lost = vec![false; sent.len()];
        let mut faulty = s.faulty;
        for (b, &m) in droppable.iter().enumerate() {
            if action.lost >> b & 1 == 1 {
                lost[m] = true;
                let ends = bit(sent[m].0) | bit(sent[m].1);
                if ends & faulty_servers == 0 {
                    faulty |= ends & self.client_bits();
                }
            }
        }
        let round = s.round + 1;
        let mut inboxes = vec![Vec::new(); self.cluster.len()];
        // Messages sent in the last round would arrive in a round that is never run.
        if round < self.rounds {
            for (m, (from, to, msg)) in sent.iter().enumerate() {
                if !lost[m] {
                    inboxes[to.0].push((*from, *msg));
                }
            }
        }
        Some(State { round, servers: servers.clone(), clients: clients.clone(), inboxes, faulty })
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::sometimes(AGREEMENT, |m: &Self, s: &State| m.verdict(s).is_some_and(|v| !v.agreement)),
            Property::sometimes("termination broken", |m: &Self, s: &State| {
                m.verdict(s).is_some_and(|v| !v.termination)
            }),
            Property::sometimes("validity broken", |m: &Self, s: &State| {
                m.verdict(s).is_some_and(|v| !v.validity)
            }),
            // Holds by construction; it keeps the checker exploring every state once the
            // properties above are discovered, as the search does.
            Property::always("at most f faulty servers", |m: &Self, s: &State| {
                (s.faulty & !m.client_bits()).count_ones() as usize <= m.cluster.faults
            }),
        ]
    }
}
