//! The lock-step round driver: the replication model's synchronous rounds. It lives with the
//! replication laboratory because its processes and rounds are that model's; the engines of
//! [`crate::engine`] drive the lock laboratory's nodes in time.
//!
//! In round `r` every live process is handed what was sent to it in round `r - 1` and not omitted,
//! in sender order, and says what to send. The [`Adversary`] decides, per message, whether it
//! arrives, and which processes have crashed. Its answers are pure functions of (round, sender,
//! receiver, index of the message on that link in that round), so the result does not depend on
//! the order in which anything is computed: the plain loop here and the threaded driver with a
//! barrier per round ([`run_threads`]) record identical views and transcripts.
//!
//! A process is code the driver does not trust: one that panics in its step, or sends to a pid
//! that names no process, stops the run with a [`StepError`] naming it, the round and the
//! message, and both drivers return the same error. The threaded driver must still meet every
//! barrier it promised, or the other threads wait forever, so a failing thread keeps meeting them
//! until every thread has seen the failure, and all stop after the same round.

use super::model::{Pid, Round};
use super::protocol::Process;

/// What the adversary may do in lock-step rounds.
pub trait Adversary: Sync {
    /// True when `p` has crashed by the start of `round`: it takes no step then or later.
    fn crashed(&self, p: Pid, round: Round) -> bool;
    /// True when the `k`-th message (from 0) sent from `from` to `to` in `round` arrives in
    /// `round + 1`.
    fn delivers(&self, round: Round, from: Pid, to: Pid, k: usize) -> bool;
}

/// One message of a run, delivered or omitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent<M> {
    /// The round it was sent in.
    pub round: Round,
    /// Its sender.
    pub from: Pid,
    /// Its addressee.
    pub to: Pid,
    /// The message.
    pub msg: M,
    /// False when the adversary omitted it (or the addressee had crashed).
    pub delivered: bool,
}

/// Everything that happened in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript<M> {
    /// `inboxes[p][r]`: what process `p` was handed at the start of round `r`.
    pub inboxes: Vec<Inboxes<M>>,
    /// Every message sent, by round, then sender, then sending order.
    pub sent: Vec<Sent<M>>,
}

/// What one process handed to each round, by round.
type Inboxes<M> = Vec<Vec<(Pid, M)>>;

/// A process's fault that stops a run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepError<M: std::fmt::Debug> {
    /// The process panicked during its step (or the adversary did, judging its messages).
    #[error("process {} panicked in round {round}: {message}", process.0)]
    Panicked {
        /// The process.
        process: Pid,
        /// The round of the step.
        round: Round,
        /// The panic's message, when it was a string.
        message: String,
    },
    /// The process sent a message to a pid that names no process.
    #[error("process {} sent {msg:?} in round {round} to pid {}, which names no process", process.0, to.0)]
    Misaddressed {
        /// The sender.
        process: Pid,
        /// The round it was sent in.
        round: Round,
        /// The addressee that does not exist.
        to: Pid,
        /// The message.
        msg: M,
    },
}

impl<M: std::fmt::Debug> StepError<M> {
    /// Where it happened, for choosing the error the loop driver would have met first.
    #[cfg_attr(loom, allow(dead_code))] // only the threaded driver, compiled out under loom, compares
    fn at(&self) -> (Round, Pid) {
        match self {
            StepError::Panicked { process, round, .. } | StepError::Misaddressed { process, round, .. } => {
                (*round, *process)
            }
        }
    }
}

/// The text of a panic's payload: `panic!` gives a `&str` or a `String`, anything else is opaque.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// The messages `me` sends in `round`, decided by the adversary, in sending order; or why the step
/// failed. Everything a process's step runs is inside `catch_unwind` here, so that no panic of its
/// escapes a driver's guard.
fn step<M: Clone + std::fmt::Debug, P: Process<M>>(
    proc: &mut P,
    adversary: &dyn Adversary,
    processes: usize,
    round: Round,
    me: Pid,
    inbox: &[(Pid, M)],
) -> Result<Vec<Sent<M>>, StepError<M>> {
    let guarded = std::panic::AssertUnwindSafe(|| {
        let mut out = Vec::new();
        if !adversary.crashed(me, round) {
            proc.round(round, inbox, &mut out);
        }
        if let Some((to, msg)) = out.iter().find(|(to, _)| to.0 >= processes) {
            return Err(StepError::Misaddressed { process: me, round, to: *to, msg: msg.clone() });
        }
        Ok(route(adversary, round, me, out))
    });
    std::panic::catch_unwind(guarded).unwrap_or_else(|payload| {
        Err(StepError::Panicked { process: me, round, message: panic_message(payload.as_ref()) })
    })
}

/// The messages `from` sent in `round`, decided by the adversary, in sending order.
fn route<M>(adversary: &dyn Adversary, round: Round, from: Pid, sends: Vec<(Pid, M)>) -> Vec<Sent<M>> {
    numbered(sends)
        .map(|(to, k, msg)| {
            let delivered = adversary.delivers(round, from, to, k) && !adversary.crashed(to, round + 1);
            Sent { round, from, to, msg, delivered }
        })
        .collect()
}

/// One step's messages in sending order, each with its number on its link: how many the sender
/// sent the same receiver before it this round (the `k` by which an adversary names a message).
pub(crate) fn numbered<M>(sends: Vec<(Pid, M)>) -> impl Iterator<Item = (Pid, usize, M)> {
    // A process sends to a handful of others, so a short list searched in order serves better
    // than a hash map, whose hasher would be seeded anew for every step of every process.
    let mut per_link: Vec<(Pid, usize)> = Vec::new();
    sends.into_iter().map(move |(to, msg)| {
        let k = match per_link.iter_mut().find(|(p, _)| *p == to) {
            Some((_, k)) => {
                *k += 1;
                *k
            }
            None => {
                per_link.push((to, 0));
                0
            }
        };
        (to, k, msg)
    })
}

/// Runs `procs` (indexed by [`Pid`]) for `rounds` rounds in a plain loop; stops at the first
/// process, in round then pid order, that fails its step.
pub fn run_loop<M: Clone + std::fmt::Debug, P: Process<M>>(
    procs: &mut [P],
    adversary: &dyn Adversary,
    rounds: Round,
) -> Result<Transcript<M>, StepError<M>> {
    let n = procs.len();
    let mut inboxes: Vec<Inboxes<M>> = vec![Vec::with_capacity(rounds as usize); n];
    let mut next: Vec<Vec<(Pid, M)>> = vec![Vec::new(); n];
    let mut sent = Vec::new();
    for round in 0..rounds {
        let current = std::mem::replace(&mut next, vec![Vec::new(); n]);
        for (i, inbox) in current.into_iter().enumerate() {
            let me = Pid(i);
            for s in step(&mut procs[i], adversary, n, round, me, &inbox)? {
                if s.delivered {
                    next[s.to.0].push((me, s.msg.clone()));
                }
                sent.push(s);
            }
            inboxes[i].push(inbox);
        }
    }
    Ok(Transcript { inboxes, sent })
}

/// Runs `procs` for `rounds` rounds on one OS thread each, with a barrier between rounds, and
/// returns the processes (for their final state) and the transcript, identical to [`run_loop`]'s,
/// or the same error.
#[cfg(not(loom))]
pub fn run_threads<M, P>(
    procs: Vec<P>,
    adversary: &dyn Adversary,
    rounds: Round,
) -> Result<(Vec<P>, Transcript<M>), StepError<M>>
where
    M: Clone + Send + std::fmt::Debug,
    P: Process<M>,
{
    use crate::sync::{AtomicBool, Barrier, Mutex, Ordering, thread};
    let n = procs.len();
    // Mailboxes for the next round, one per process; each entry keeps the sender and its sending
    // order so the receiver can sort them into the loop driver's order whatever the thread timing.
    let mailboxes: Vec<Mutex<Vec<(Pid, usize, M)>>> = (0..n).map(|_| Mutex::new(Vec::new())).collect();
    let barrier = Barrier::new(n);
    // Set only before the first barrier of a round and read only between its two barriers, so
    // every thread reads the same value and they all leave after the same round.
    let failed = AtomicBool::new(false);
    type Ran<P, M> = Result<(P, Inboxes<M>, Vec<Sent<M>>), StepError<M>>;
    let results: Vec<Ran<P, M>> = thread::scope(|scope| {
        let handles: Vec<_> = procs
            .into_iter()
            .enumerate()
            .map(|(i, mut proc)| {
                let (mailboxes, barrier, failed) = (&mailboxes, &barrier, &failed);
                scope.spawn(move || {
                    let me = Pid(i);
                    let mut inboxes = Vec::with_capacity(rounds as usize);
                    let mut sent = Vec::new();
                    let mut inbox: Vec<(Pid, M)> = Vec::new();
                    let mut error = None;
                    for round in 0..rounds {
                        match step(&mut proc, adversary, n, round, me, &inbox) {
                            Ok(sends) => {
                                for (seq, s) in sends.into_iter().enumerate() {
                                    if s.delivered {
                                        mailboxes[s.to.0].lock().push((me, seq, s.msg.clone()));
                                    }
                                    sent.push(s);
                                }
                            }
                            Err(e) => {
                                error = Some(e);
                                failed.store(true, Ordering::SeqCst);
                            }
                        }
                        inboxes.push(std::mem::take(&mut inbox));
                        // Everyone has sent round `round`'s messages before anyone reads them.
                        barrier.wait();
                        let stop = failed.load(Ordering::SeqCst);
                        let mut arrived = std::mem::take(&mut *mailboxes[i].lock());
                        arrived.sort_by_key(|&(from, seq, _)| (from, seq));
                        inbox = arrived.into_iter().map(|(from, _, m)| (from, m)).collect();
                        // Nobody sends round `round + 1`'s messages before everyone took theirs.
                        barrier.wait();
                        if stop {
                            break;
                        }
                    }
                    match error {
                        Some(e) => Err(e),
                        None => Ok((proc, inboxes, sent)),
                    }
                })
            })
            .collect();
        // Every step runs under `catch_unwind`, so a thread that still panics is the driver's own
        // bug, not a process's: let it propagate.
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut procs = Vec::with_capacity(n);
    let mut inboxes = Vec::with_capacity(n);
    let mut sent = Vec::new();
    let mut first: Option<StepError<M>> = None;
    for result in results {
        match result {
            Ok((proc, inbox, s)) => {
                procs.push(proc);
                inboxes.push(inbox);
                sent.extend(s);
            }
            // Several processes may fail in the same round: report the one the loop driver meets.
            Err(e) => {
                if first.as_ref().is_none_or(|f| e.at() < f.at()) {
                    first = Some(e);
                }
            }
        }
    }
    if let Some(e) = first {
        return Err(e);
    }
    // The loop driver records by round, then sender: sort stably into that order.
    sent.sort_by_key(|s| (s.round, s.from));
    Ok((procs, Transcript { inboxes, sent }))
}
