//! The loom model of the 2-client lease (`loom_tests/lease.rs`), written for stateright.
//!
//! The abstraction is the interleaving driver's (`faultline::engine::interleave`): there is no
//! time, only an order of whole events. Each client takes its own events one at a time, a message
//! from its inbox or a timer of its own (a resume after a pause point, the end of its work); the
//! lock server, storage and the outbox are passive and answer inside the step that messaged
//! them; and the server's lease expiry is one more event that may fire at any point while it is
//! armed. A client paused after its check is simply a client whose next step comes later: every
//! order is explored, so every stall is.
//!
//! The steps are those of `LockClient`, `QueuedStub` and `LockServer` on the lease with one
//! section per client, no retries and no stalls drawn (`loom_tests/common::two_sections`), written
//! out by hand because stateright needs states it can clone and hash, and the crate's nodes hold
//! their design behind a `Box<dyn LockStub>`. Unlike loom, stateright is not bounded by
//! preemptions: it explores every order, and each distinct state once.

use stateright::{Model, Property};

/// A message waiting in a client's inbox. A client has at most one at a time: it waits for each
/// answer before it asks again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Msg {
    Grant { token: u8 },
    ReadReply { value: u64 },
    WriteAck,
}

/// Where a client is in its one section, as `LockClient`'s stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stage {
    /// Its request is queued or granted; the grant may be in the inbox.
    Waiting,
    /// Inside, at P1: its resume is due.
    AtP1,
    /// Inside, its read is out (the reply is in the inbox, storage answers at once).
    Reading,
    /// Inside, at P2 with what it read: its resume is due.
    AtP2 { read: u64 },
    /// Inside, working: its work timer is armed.
    Working { read: u64 },
    /// Inside, its write is out (the acknowledgement is in the inbox).
    AwaitingAck,
    /// Left and finished.
    Done,
}

impl Stage {
    /// Between `Entered` and `Left`.
    fn inside(self) -> bool {
        !matches!(self, Stage::Waiting | Stage::Done)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Client {
    stage: Stage,
    inbox: Option<Msg>,
    token: u8,
}

/// The lease server: its holder, the one client that may wait behind it, and the expiry timer,
/// armed exactly while someone holds the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Server {
    holder: Option<(usize, u8)>,
    queued: Option<usize>,
    last_token: u8,
}

/// Two clients, the server, and storage's counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct State {
    clients: [Client; 2],
    server: Server,
    counter: u64,
}

impl State {
    /// Clients inside their section now.
    pub fn inside(&self) -> usize {
        self.clients.iter().filter(|c| c.stage.inside()).count()
    }

    /// A client asks for the lock: the server grants it if the lock is free, else queues it.
    fn request(&mut self, client: usize) {
        self.server.queued = Some(client);
        self.try_grant();
    }

    fn try_grant(&mut self) {
        if self.server.holder.is_some() {
            return;
        }
        let Some(client) = self.server.queued.take() else { return };
        self.server.last_token += 1;
        let token = self.server.last_token;
        self.server.holder = Some((client, token));
        self.clients[client].inbox = Some(Msg::Grant { token });
    }

    /// The holder's lease is taken back (expired) or given back (released).
    fn free(&mut self) {
        self.server.holder = None;
        self.try_grant();
    }
}

/// One event of the interleaving driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Client `0` or `1` takes its next event.
    Step(usize),
    /// The timer thread fires the server's lease expiry.
    Expire,
}

/// The 2-client lease, one section each.
pub struct Lease;

/// The property whose discovery is the first overlap.
pub const TWO_INSIDE: &str = "two clients inside";

impl Model for Lease {
    type State = State;
    type Action = Action;

    /// As the driver starts: every node's start in node order, so client 0 asks first and is
    /// granted, and client 1 is queued.
    fn init_states(&self) -> Vec<State> {
        let idle = Client { stage: Stage::Waiting, inbox: None, token: 0 };
        let mut state = State {
            clients: [idle; 2],
            server: Server { holder: None, queued: None, last_token: 0 },
            counter: 0,
        };
        state.request(0);
        state.request(1);
        vec![state]
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        // The run is over once both clients have finished (the oracle's `finished`).
        if state.clients.iter().all(|c| c.stage == Stage::Done) {
            return;
        }
        for (i, c) in state.clients.iter().enumerate() {
            let has_event = match c.stage {
                Stage::Waiting | Stage::Reading | Stage::AwaitingAck => c.inbox.is_some(),
                Stage::AtP1 | Stage::AtP2 { .. } | Stage::Working { .. } => true,
                Stage::Done => false,
            };
            if has_event {
                actions.push(Action::Step(i));
            }
        }
        if state.server.holder.is_some() {
            actions.push(Action::Expire);
        }
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        let mut next = state.clone();
        match action {
            Action::Expire => next.free(),
            Action::Step(i) => {
                let c = &mut next.clients[i];
                match (c.stage, c.inbox.take()) {
                    (Stage::Waiting, Some(Msg::Grant { token })) => {
                        c.token = token;
                        c.stage = Stage::AtP1;
                    }
                    (Stage::AtP1, None) => {
                        c.stage = Stage::Reading;
                        c.inbox = Some(Msg::ReadReply { value: next.counter });
                    }
                    (Stage::Reading, Some(Msg::ReadReply { value })) => c.stage = Stage::AtP2 { read: value },
                    (Stage::AtP2 { read }, None) => c.stage = Stage::Working { read },
                    (Stage::Working { read }, None) => {
                        // The lease's storage is plain: it accepts every write.
                        c.stage = Stage::AwaitingAck;
                        c.inbox = Some(Msg::WriteAck);
                        next.counter = read + 1;
                    }
                    (Stage::AwaitingAck, Some(Msg::WriteAck)) => {
                        c.stage = Stage::Done;
                        let token = c.token;
                        // The release frees the lock only if this client still holds it.
                        if next.server.holder.is_some_and(|(_, t)| t == token) {
                            next.free();
                        }
                    }
                    (stage, inbox) => unreachable!("client {i} at {stage:?} has no event {inbox:?}"),
                }
            }
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::sometimes(TWO_INSIDE, |_, s: &State| s.inside() >= 2),
            // Each client asks once and never again: the server grants at most two leases. An
            // invariant that holds keeps the checker going after the discovery, so a run that
            // does not stop at the first overlap explores every state.
            Property::always("at most one grant per request", |_, s: &State| s.server.last_token <= 2),
        ]
    }
}
