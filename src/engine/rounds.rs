//! The lock-step round driver: the replication model's synchronous rounds.
//!
//! In round `r` every live process is handed what was sent to it in round `r - 1` and not omitted,
//! in sender order, and says what to send. The [`Adversary`] decides, per message, whether it
//! arrives, and which processes have crashed. Its answers are pure functions of (round, sender,
//! receiver, index of the message on that link in that round), so the result does not depend on
//! the order in which anything is computed: the plain loop here and the threaded driver with a
//! barrier per round ([`run_threads`]) record identical views and transcripts.

use crate::smr::model::{Pid, Round};
use crate::smr::protocol::Process;

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

/// The messages `from` sent in `round`, decided by the adversary, in sending order.
fn route<M>(adversary: &dyn Adversary, round: Round, from: Pid, sends: Vec<(Pid, M)>) -> Vec<Sent<M>> {
    let mut per_link: std::collections::HashMap<Pid, usize> = std::collections::HashMap::new();
    sends
        .into_iter()
        .map(|(to, msg)| {
            let k = per_link.entry(to).or_default();
            let delivered = adversary.delivers(round, from, to, *k) && !adversary.crashed(to, round + 1);
            *k += 1;
            Sent { round, from, to, msg, delivered }
        })
        .collect()
}

/// Runs `procs` (indexed by [`Pid`]) for `rounds` rounds in a plain loop.
pub fn run_loop<M: Clone, P: Process<M>>(
    procs: &mut [P],
    adversary: &dyn Adversary,
    rounds: Round,
) -> Transcript<M> {
    let n = procs.len();
    let mut inboxes: Vec<Inboxes<M>> = vec![Vec::with_capacity(rounds as usize); n];
    let mut next: Vec<Vec<(Pid, M)>> = vec![Vec::new(); n];
    let mut sent = Vec::new();
    let mut out = Vec::new();
    for round in 0..rounds {
        let current = std::mem::replace(&mut next, vec![Vec::new(); n]);
        for (i, inbox) in current.into_iter().enumerate() {
            let me = Pid(i);
            if !adversary.crashed(me, round) {
                procs[i].round(round, &inbox, &mut out);
            }
            for s in route(adversary, round, me, std::mem::take(&mut out)) {
                if s.delivered {
                    next[s.to.0].push((me, s.msg.clone()));
                }
                sent.push(s);
            }
            inboxes[i].push(inbox);
        }
    }
    Transcript { inboxes, sent }
}

/// Runs `procs` for `rounds` rounds on one OS thread each, with a barrier between rounds, and
/// returns the processes (for their final state) and the transcript, identical to [`run_loop`]'s.
#[cfg(not(loom))]
pub fn run_threads<M, P>(procs: Vec<P>, adversary: &dyn Adversary, rounds: Round) -> (Vec<P>, Transcript<M>)
where
    M: Clone + Send,
    P: Process<M>,
{
    use crate::sync::{Barrier, Mutex, thread};
    let n = procs.len();
    // Mailboxes for the next round, one per process; each entry keeps the sender and its sending
    // order so the receiver can sort them into the loop driver's order whatever the thread timing.
    let mailboxes: Vec<Mutex<Vec<(Pid, usize, M)>>> = (0..n).map(|_| Mutex::new(Vec::new())).collect();
    let barrier = Barrier::new(n);
    let results: Vec<(P, Inboxes<M>, Vec<Sent<M>>)> = thread::scope(|scope| {
        let handles: Vec<_> = procs
            .into_iter()
            .enumerate()
            .map(|(i, mut proc)| {
                let (mailboxes, barrier) = (&mailboxes, &barrier);
                scope.spawn(move || {
                    let me = Pid(i);
                    let mut inboxes = Vec::with_capacity(rounds as usize);
                    let mut sent = Vec::new();
                    let mut out = Vec::new();
                    let mut inbox: Vec<(Pid, M)> = Vec::new();
                    // A panicking process must not leave the others waiting at the barrier: it
                    // stops stepping, keeps meeting the barrier, and its panic is rethrown later.
                    let mut panic = None;
                    for round in 0..rounds {
                        if panic.is_none() && !adversary.crashed(me, round) {
                            let step = std::panic::AssertUnwindSafe(|| proc.round(round, &inbox, &mut out));
                            if let Err(payload) = std::panic::catch_unwind(step) {
                                panic = Some(payload);
                                out.clear();
                            }
                        }
                        for (seq, s) in
                            route(adversary, round, me, std::mem::take(&mut out)).into_iter().enumerate()
                        {
                            if s.delivered {
                                mailboxes[s.to.0].lock().push((me, seq, s.msg.clone()));
                            }
                            sent.push(s);
                        }
                        inboxes.push(std::mem::take(&mut inbox));
                        // Everyone has sent round `round`'s messages before anyone reads them.
                        barrier.wait();
                        let mut arrived = std::mem::take(&mut *mailboxes[i].lock());
                        arrived.sort_by_key(|&(from, seq, _)| (from, seq));
                        inbox = arrived.into_iter().map(|(from, _, m)| (from, m)).collect();
                        // Nobody sends round `round + 1`'s messages before everyone took theirs.
                        barrier.wait();
                    }
                    if let Some(payload) = panic {
                        std::panic::resume_unwind(payload);
                    }
                    (proc, inboxes, sent)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut procs = Vec::with_capacity(n);
    let mut inboxes = Vec::with_capacity(n);
    let mut sent = Vec::new();
    for (proc, inbox, s) in results {
        procs.push(proc);
        inboxes.push(inbox);
        sent.extend(s);
    }
    // The loop driver records by round, then sender: sort stably into that order.
    sent.sort_by_key(|s| (s.round, s.from));
    (procs, Transcript { inboxes, sent })
}
