//! A lock client running the critical section of the model, in a loop.
//!
//! ```text
//! request ─▶ grant ─▶ P1 ─▶ margin check ─▶ read ─▶ P2 ─▶ work w ─▶ write ─▶ effect ─▶ write's verdict ─▶ release ─▶ repeat
//! ```
//!
//! P1 and P2 are [pause points](crate::node::PausePoint): the environment decides whether the
//! client freezes there. The margin check (margin variants only) aborts when the client's *local*
//! clock says the lease has less than `m` left; that is all a client can do, and a slow clock or a
//! pause after the check defeats it.
//!
//! Storage is used the way real code uses it: synchronously. Every read and write waits for
//! storage's answer before the client goes on, and the client releases only once its write has
//! been answered, so a release can never overtake the client's own write. The side effect (the
//! SMS) is different: it goes out right after the write, without waiting for any verdict, because
//! a generic side effect has nobody to ask.
//!
//! Every request is re-sent while unanswered ([`ClientPolicy::backoff`]), each time after twice the
//! previous wait up to a cap that grows with the horizon. A waiting client therefore sends at most
//! about a thousand copies of one request over any horizon, however long it waits and however slow
//! the links are, so retries cannot pile up; and a request lost many times in a row is still
//! re-sent often enough to get through before the run ends.
//!
//! How the lock itself is taken, trusted and given back is the design's business, not the
//! client's: the client hands those steps to its design's [`LockStub`], so one skeleton serves
//! every design.
//!
//! The consensus workload ([`Workload::Consensus`]) uses the same skeleton on one register per
//! instance: read; if empty, write my value; decide what I read or wrote.

use super::design::{DesignOut, DesignTimer, LockStub};
use super::msg::{Exit, Key, LockEvent, LockMsg, OpId, Token};
use super::retry::Backoff;
use crate::node::{Node, NodeId, PausePoint};
use crate::time::Nanos;
use serde::{Deserialize, Serialize};

/// The skeleton's own timers. The stub writes its commands straight into the client's buffer
/// (the one the engine applies: written once, never copied), so its timers and these share one
/// namespace: a design must not name a timer `faultline:…`. Any other name fired at the client is
/// the stub's.
mod own {
    use super::DesignTimer;
    /// Re-send the storage request the client waits for.
    pub const RETRY: DesignTimer = DesignTimer::named("faultline:retry");
    /// Go on after a pause point.
    pub const RESUME: DesignTimer = DesignTimer::named("faultline:resume");
    /// The work inside the section is done.
    pub const WORK: DesignTimer = DesignTimer::named("faultline:work");
    /// The next consensus instance starts.
    pub const NEXT_INSTANCE: DesignTimer = DesignTimer::named("faultline:next-instance");
}

type ClientOut = DesignOut;

/// When a client starts counting down its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TimerStart {
    /// When the grant arrives (what most clients do; blind to a delayed grant).
    Grant,
    /// When the request was first sent (conservative: covers queueing and network delay).
    Request,
}

/// How a consensus client makes its decision known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum DecideBy {
    /// Decide on storage's verdict: an accepted write decides my value, a refused one makes me try
    /// the instance again. Fencing then protects the decision.
    Ack,
    /// Announce the decision as a side effect (an SMS) right after writing, without waiting: no
    /// token can protect it.
    Effect,
}

/// What the clients do inside the critical section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Workload {
    /// Read the counter, add one, write it back, send the new value as the side effect.
    Increment,
    /// Consensus from a lock: each client proposes once per instance.
    Consensus { decide_by: DecideBy },
}

/// Everything a client needs to know, fixed for the run.
#[derive(Debug, Clone, Copy)]
pub struct ClientPolicy {
    /// The client's number (0-based), also its proposal in the consensus workload.
    pub index: usize,
    /// Safety margin `m`: abort when the local clock says less than this is left of the lease
    /// ([`LockStub::time_left`]).
    pub margin: Option<Nanos>,
    /// When to re-send an unanswered storage request.
    pub backoff: Backoff,
    /// Work `w` inside the critical section.
    pub work: Nanos,
    /// The workload.
    pub workload: Workload,
    /// Sections (increment) or decided instances (consensus) before the client stops.
    pub quota: u64,
    /// Consensus: instance `i` starts at local time `i · instance_period`, so that every client
    /// contends for every instance (a client that falls behind starts at once).
    pub instance_period: Nanos,
    /// Storage's node id.
    pub storage: NodeId,
    /// The outbox's node id.
    pub outbox: NodeId,
}

/// Where a client is in its workload: waiting, at a pause point, reading, working, writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Idle,
    Waiting,
    AtP1,
    Reading,
    AtP2 {
        read: Option<u64>,
    },
    Working {
        read: Option<u64>,
    },
    /// The write of `value` is out; the section ends with storage's verdict.
    AwaitingAck {
        value: u64,
    },
    Done,
}

/// A client's state machine.
#[derive(Debug)]
pub struct LockClient {
    policy: ClientPolicy,
    stub: Box<dyn LockStub>,
    step: Stage,
    op: OpId,
    /// The wait before the next re-send of the storage request the client waits for.
    backoff: Backoff,
    token: Token,
    /// Critical sections entered so far; the newest is this one.
    sections: u64,
    completed: u64,
    instance: u64,
    /// The current instance is decided; the next section moves on to the next one.
    decided: bool,
}

impl LockClient {
    /// A client that will start requesting when the run starts.
    pub fn new(policy: ClientPolicy, stub: Box<dyn LockStub>) -> Self {
        LockClient {
            policy,
            stub,
            step: Stage::Waiting,
            op: 0,
            backoff: policy.backoff,
            token: 0,
            sections: 0,
            completed: 0,
            instance: 0,
            decided: false,
        }
    }

    fn key(&self) -> Key {
        match self.policy.workload {
            Workload::Increment => 0,
            Workload::Consensus { .. } => self.instance,
        }
    }

    fn request(&mut self, now: Nanos, out: &mut ClientOut) {
        self.step = Stage::Waiting;
        out.observe(LockEvent::Requested { client: self.policy.index });
        self.stub.acquire(now, out);
    }

    /// The stub says the lock is held: the section begins.
    fn enter(&mut self, token: Token, out: &mut ClientOut) {
        self.token = token;
        self.sections += 1;
        out.observe(LockEvent::Entered { client: self.policy.index, token });
        self.step = Stage::AtP1;
        out.pause(PausePoint::P1, own::RESUME);
    }

    /// Starts storage operation `step` (a read, or a write of its value).
    fn start_op(&mut self, step: Stage, out: &mut ClientOut) {
        self.op += 1;
        self.step = step;
        self.backoff.restart();
        self.resend(out);
    }

    /// (Re-)sends the storage request the client is waiting for, if any, and arms the next
    /// re-send. Storage serves an operation once and answers repeats from memory, so a lost
    /// message or reply costs a retry, not the run, and a late copy changes nothing.
    fn resend(&mut self, out: &mut ClientOut) {
        let (op, token, key) = (self.op, self.token, self.key());
        let msg = match self.step {
            Stage::Reading => LockMsg::Read { op, token, key },
            Stage::AwaitingAck { value } => LockMsg::Write { op, token, key, value },
            _ => return,
        };
        out.send(self.policy.storage, msg);
        self.backoff.arm(own::RETRY, out);
    }

    fn leave(&mut self, now: Nanos, exit: Exit, out: &mut ClientOut) {
        let index = self.policy.index;
        out.cancel_timer(own::RETRY);
        out.cancel_timer(own::WORK);
        out.observe(LockEvent::Left { client: index, token: self.token, exit });
        self.stub.release(now, out);
        if std::mem::take(&mut self.decided) {
            self.instance += 1;
        }
        let done = match self.policy.workload {
            Workload::Increment => self.completed + 1,
            Workload::Consensus { .. } => self.instance,
        };
        self.completed += 1;
        if done >= self.policy.quota {
            self.step = Stage::Done;
            out.observe(LockEvent::Finished { client: index });
            return;
        }
        let starts_at = match self.policy.workload {
            Workload::Increment => now,
            Workload::Consensus { .. } => self.instance.saturating_mul(self.policy.instance_period),
        };
        if starts_at > now {
            self.step = Stage::Idle;
            out.set_timer(own::NEXT_INSTANCE, starts_at - now);
        } else {
            self.request(now, out);
        }
    }

    /// Makes the decision for the current instance known: to the oracles directly when it rests on
    /// storage's verdict, or as a side effect the outbox sends.
    fn decide(&mut self, value: u64, decide_by: DecideBy, out: &mut ClientOut) {
        let (client, instance) = (self.policy.index, self.instance);
        match decide_by {
            DecideBy::Ack => out.observe(LockEvent::Decided { client, instance, value }),
            DecideBy::Effect => out.send(
                self.policy.outbox,
                LockMsg::Effect { token: self.token, key: instance, value, section: self.sections },
            ),
        }
        self.decided = true;
    }

    /// After the work: write (the counter, or my proposal to an empty register), send the side
    /// effect without waiting, and end the section on storage's verdict.
    fn after_work(&mut self, now: Nanos, read: Option<u64>, out: &mut ClientOut) {
        let value = match (self.policy.workload, read) {
            (Workload::Increment, _) => read.unwrap_or(0) + 1,
            (Workload::Consensus { decide_by }, Some(decided)) => {
                self.decide(decided, decide_by, out);
                self.leave(now, Exit::Released, out);
                return;
            }
            (Workload::Consensus { .. }, None) => self.policy.index as u64,
        };
        self.start_op(Stage::AwaitingAck { value }, out);
        let (token, key) = (self.token, self.key());
        match self.policy.workload {
            Workload::Increment => {
                out.send(self.policy.outbox, LockMsg::Effect { token, key, value, section: self.sections })
            }
            Workload::Consensus { decide_by: DecideBy::Effect } => self.decide(value, DecideBy::Effect, out),
            Workload::Consensus { decide_by: DecideBy::Ack } => {}
        }
    }

    /// Storage answered the write of `value`.
    fn write_answered(&mut self, now: Nanos, value: u64, accepted: bool, out: &mut ClientOut) {
        let exit = if accepted { Exit::Released } else { Exit::Rejected };
        if accepted && self.policy.workload == (Workload::Consensus { decide_by: DecideBy::Ack }) {
            self.decide(value, DecideBy::Ack, out);
        }
        self.leave(now, exit, out);
    }
}

impl Node for LockClient {
    type Msg = LockMsg;
    type Obs = LockEvent;
    type Timer = DesignTimer;

    fn on_start(&mut self, now: Nanos, out: &mut ClientOut) {
        if self.policy.quota == 0 {
            self.step = Stage::Done;
            out.observe(LockEvent::Finished { client: self.policy.index });
        } else {
            self.request(now, out);
        }
    }

    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut ClientOut) {
        match msg {
            LockMsg::ReadReply { op, value, accepted } => {
                if op == self.op && self.step == Stage::Reading {
                    out.cancel_timer(own::RETRY);
                    if accepted {
                        self.step = Stage::AtP2 { read: value };
                        out.pause(PausePoint::P2, own::RESUME);
                    } else {
                        self.leave(now, Exit::Rejected, out);
                    }
                }
            }
            LockMsg::WriteAck { op, accepted } => {
                if let (true, Stage::AwaitingAck { value }) = (op == self.op, self.step) {
                    self.write_answered(now, value, accepted, out);
                }
            }
            _ => {
                if let Some(token) = self.stub.on_msg(now, from, msg, out) {
                    self.enter(token, out);
                }
            }
        }
    }

    fn on_timer(&mut self, now: Nanos, timer: DesignTimer, out: &mut ClientOut) {
        match (timer, self.step) {
            (own::RETRY, _) => self.resend(out),
            (own::RESUME, Stage::AtP1) => {
                if let (Some(margin), Some(left)) = (self.policy.margin, self.stub.time_left(now))
                    && left < i128::from(margin)
                {
                    self.leave(now, Exit::Aborted, out);
                    return;
                }
                self.start_op(Stage::Reading, out);
            }
            (own::RESUME, Stage::AtP2 { read }) => {
                if self.policy.work > 0 {
                    self.step = Stage::Working { read };
                    out.work(own::WORK, self.policy.work);
                } else {
                    self.after_work(now, read, out);
                }
            }
            (own::WORK, Stage::Working { read }) => self.after_work(now, read, out),
            (own::NEXT_INSTANCE, Stage::Idle) => self.request(now, out),
            (own::RESUME | own::WORK | own::NEXT_INSTANCE, _) => {}
            (timer, _) => {
                if let Some(token) = self.stub.on_timer(now, timer, out) {
                    self.enter(token, out);
                }
            }
        }
    }
}
