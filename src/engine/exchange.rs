//! How the threads engine's threads hand each other messages, and how the end of a run reaches
//! them: all of the engine's synchronisation, and none of its time.
//!
//! Each node has a [`Mailbox`]: a queue of numbered letters under a lock, a condition variable on
//! which its owner waits for a letter, and another on which its senders wait for their letter to
//! be handled. Each wait has its own so that a wake-up is never spent on a thread that finds
//! nothing for it: a letter wakes only the owner, a handled letter only the senders. Five rules
//! make a run end without losing or doubling a message, and cost a message one wake-up:
//!
//! - **A dead node receives nothing.** [`Mailbox::close`] refuses every later letter and drops the
//!   queue, under the same lock [`Mailbox::queue`] takes, so a letter is either refused (its
//!   sender knows) or accepted before the close, never in between. An accepted letter is then
//!   handled, or dropped with the queue, or was taken and not yet handled when its receiver died
//!   (a node holds one letter back while a timer due earlier goes first); a sender waiting for
//!   either of the last two hears [`Awaited::Dead`].
//! - **A letter is taken once.** Taking pops it from the queue under the lock.
//! - **A sender never waits forever.** [`Exchange::await_handled`] returns when the letter is
//!   handled, or its receiver is frozen (it would wait out a stall), dead, or itself waiting for
//!   someone (that could close a cycle: the waits form chains ending at a node that runs), or
//!   when the run stops. Who waits is decided under one lock, so no two nodes start waiting for
//!   each other.
//! - **A stop reaches every wait.** [`Mailbox::stop`] sets a flag every wait checks under the
//!   lock and then wakes them, so no waiter can miss it.
//! - **A receiver is woken once its sender is done.** [`Exchange::queue`] only queues a letter;
//!   [`Exchange::ring`] wakes its receiver. A node queues the letters of a step as it goes, tells
//!   the sender of the letter it handled that it is done ([`Mailbox::handled`]), and only then
//!   rings: a reply wakes the node it answers with the letter it answers already handled, so that
//!   node goes on at once instead of waking a second time for the handling. A letter is in the
//!   queue from the moment it is queued, so an owner that is awake anyway may take it before the
//!   ring; it then waits for its own letter's handling like any sender.
//!
//! A wait checks again a few times, yielding the processor in between, before it sleeps
//! ([`sync::Backoff`]): the thread it waits for usually answers within a step, and a sleeper costs
//! a trip through the kernel to wake.
//!
//! Everything here goes through the [`sync`] facade, so loom explores every
//! interleaving of it: `loom_tests/exchange.rs` checks the rules over small worlds of
//! senders, receivers, deaths, freezes and stops. Loom has no time, so there a deadline never
//! comes ([`sync::passed`]), and the models wait only for one another.

use crate::node::NodeId;
use crate::sync::{self, Backoff, Condvar, Mutex};
use std::collections::VecDeque;
use std::time::Instant;

/// A letter: what was posted, and its number in its mailbox (the first is 1).
#[derive(Debug)]
pub struct Letter<T> {
    /// Its number, which [`Mailbox::handled`] is told once the letter is dealt with.
    pub number: u64,
    /// What was posted.
    pub item: T,
}

/// What [`Mailbox::take`] found.
#[derive(Debug)]
pub enum Take<T> {
    /// The oldest letter.
    Letter(Letter<T>),
    /// The deadline came first.
    Due,
    /// The run is over.
    Stopped,
}

/// Why [`Exchange::await_handled`] stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaited {
    /// The receiver handled the letter.
    Handled,
    /// The receiver is frozen: waiting would last its stall.
    Frozen,
    /// The receiver died without handling the letter.
    Dead,
    /// The receiver waits for someone itself: waiting for it could close a cycle.
    Waiting,
    /// The run is over.
    Stopped,
}

/// The letter a sender may wait for: who got it, and its number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The receiver.
    pub to: NodeId,
    /// The letter's number in the receiver's mailbox.
    pub number: u64,
}

#[derive(Debug)]
struct Letters<T> {
    queue: VecDeque<Letter<T>>,
    /// Letters posted so far: the number of the newest.
    posted: u64,
    /// Every letter numbered up to this one has been handled.
    handled: u64,
    frozen: bool,
    closed: bool,
    stopped: bool,
}

impl<T> Letters<T> {
    /// Why a sender waiting for letter `number` may stop waiting, if it may.
    fn verdict(&self, number: u64) -> Option<Awaited> {
        if self.stopped {
            Some(Awaited::Stopped)
        } else if self.handled >= number {
            Some(Awaited::Handled)
        } else if self.closed {
            Some(Awaited::Dead)
        } else if self.frozen {
            Some(Awaited::Frozen)
        } else {
            None
        }
    }
}

/// One thread's queue of letters, and the waits around it (see the module docs). Only its owner
/// takes from it, sleeps on it or says a letter is handled.
#[derive(Debug)]
pub struct Mailbox<T> {
    letters: Mutex<Letters<T>>,
    /// The owner waits here for a letter, its deadline or the end of the run.
    arrived: Condvar,
    /// Senders wait here for their letter's fate.
    settled: Condvar,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        let letters = Letters {
            queue: VecDeque::new(),
            posted: 0,
            handled: 0,
            frozen: false,
            closed: false,
            stopped: false,
        };
        Mailbox { letters: Mutex::new(letters), arrived: Condvar::new(), settled: Condvar::new() }
    }
}

impl<T> Mailbox<T> {
    /// Queues `item` without waking the owner ([`ring`](Self::ring) does); its number, or `None`
    /// if the mailbox is closed (its owner is dead).
    pub fn queue(&self, item: T) -> Option<u64> {
        let mut letters = self.letters.lock();
        if letters.closed {
            return None;
        }
        letters.posted += 1;
        let number = letters.posted;
        letters.queue.push_back(Letter { number, item });
        Some(number)
    }

    /// Wakes the owner if it waits for a letter. The letters rung for were queued under the lock
    /// its waits check, so an owner that was not waiting yet finds them before it waits.
    pub fn ring(&self) {
        self.arrived.notify_one();
    }

    /// Queues `item` and wakes the owner; its number, or `None` if the mailbox is closed.
    pub fn post(&self, item: T) -> Option<u64> {
        let number = self.queue(item)?;
        self.ring();
        Some(number)
    }

    /// The oldest letter, if one is queued (whether or not the run is over).
    pub fn try_take(&self) -> Option<Letter<T>> {
        self.letters.lock().queue.pop_front()
    }

    /// Waits for the oldest letter, until `deadline` (`None`: however long it takes) or the
    /// run's end.
    pub fn take(&self, deadline: Option<Instant>) -> Take<T> {
        let backoff = Backoff::default();
        let mut letters = self.letters.lock();
        loop {
            if letters.stopped {
                return Take::Stopped;
            }
            if let Some(letter) = letters.queue.pop_front() {
                return Take::Letter(letter);
            }
            if sync::passed(deadline) {
                return Take::Due;
            }
            if !backoff.snooze(&mut letters) {
                letters = self.arrived.wait_until(letters, deadline);
            }
        }
    }

    /// The owner has dealt with letter `number`, and with every one before it: their senders go
    /// on.
    pub fn handled(&self, number: u64) {
        let mut letters = self.letters.lock();
        letters.handled = letters.handled.max(number);
        self.settled.notify_all();
    }

    /// Waits until letter `number` is handled, the owner is frozen or dead, or the run is over.
    fn await_handled(&self, number: u64) -> Awaited {
        let backoff = Backoff::default();
        let mut letters = self.letters.lock();
        loop {
            match letters.verdict(number) {
                Some(outcome) => return outcome,
                None if backoff.snooze(&mut letters) => {}
                None => letters = self.settled.wait(letters),
            }
        }
    }

    /// What a sender waiting for letter `number` would hear now, if its wait is over.
    fn verdict(&self, number: u64) -> Option<Awaited> {
        self.letters.lock().verdict(number)
    }

    /// The owner freezes (true) or thaws (false); senders waiting on it give up.
    pub fn freeze(&self, frozen: bool) {
        self.letters.lock().frozen = frozen;
        self.settled.notify_all();
    }

    /// Sleeps, reading nothing, until `deadline` (`None`: until the run is over); false if the
    /// run ended first.
    pub fn sleep(&self, deadline: Option<Instant>) -> bool {
        let mut letters = self.letters.lock();
        loop {
            if letters.stopped {
                return false;
            }
            if sync::passed(deadline) {
                return true;
            }
            letters = self.arrived.wait_until(letters, deadline);
        }
    }

    /// The owner died: every later letter is refused, those queued are dropped (how many is
    /// returned), and whoever waits for a letter it did not handle goes on.
    pub fn close(&self) -> usize {
        let mut letters = self.letters.lock();
        letters.closed = true;
        let dropped = letters.queue.len();
        letters.queue.clear();
        self.settled.notify_all();
        dropped
    }

    /// The run is over: every wait on this mailbox returns, now and from now on.
    pub fn stop(&self) {
        self.letters.lock().stopped = true;
        self.arrived.notify_all();
        self.settled.notify_all();
    }

    /// True once the run is over.
    pub fn stopped(&self) -> bool {
        self.letters.lock().stopped
    }
}

/// The mailboxes of a run's nodes, and who is waiting for whom.
#[derive(Debug)]
pub struct Exchange<T> {
    boxes: Vec<Mailbox<T>>,
    /// Whether each node is waiting for a letter of its own to be handled; read and written under
    /// one lock, so that no two nodes start waiting for each other.
    waiting: Mutex<Vec<bool>>,
}

impl<T> Exchange<T> {
    /// Mailboxes for `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        Exchange {
            boxes: (0..nodes).map(|_| Mailbox::default()).collect(),
            waiting: Mutex::new(vec![false; nodes]),
        }
    }

    /// How many nodes there are.
    pub fn nodes(&self) -> usize {
        self.boxes.len()
    }

    /// Node `node`'s mailbox.
    pub fn mailbox(&self, node: NodeId) -> &Mailbox<T> {
        &self.boxes[node]
    }

    /// Queues `item` for `to` without waking it ([`ring`](Self::ring) does); the receipt, or
    /// `None` if `to` is dead.
    pub fn queue(&self, to: NodeId, item: T) -> Option<Receipt> {
        self.boxes[to].queue(item).map(|number| Receipt { to, number })
    }

    /// Wakes `to` if it waits for a letter.
    pub fn ring(&self, to: NodeId) {
        self.boxes[to].ring();
    }

    /// Queues `item` for `to` and wakes it; the receipt, or `None` if `to` is dead.
    pub fn post(&self, to: NodeId, item: T) -> Option<Receipt> {
        self.boxes[to].post(item).map(|number| Receipt { to, number })
    }

    /// What the sender of `receipt` would hear now if it waited, if its wait is over.
    pub fn verdict(&self, receipt: Receipt) -> Option<Awaited> {
        self.boxes[receipt.to].verdict(receipt.number)
    }

    /// Node `me` waits until the letter of `receipt` is handled, unless waiting could last a
    /// stall, forever, or close a cycle (see [`Awaited`]).
    pub fn await_handled(&self, me: NodeId, receipt: Receipt) -> Awaited {
        debug_assert_ne!(me, receipt.to, "a node waiting for itself would wait until the run ends");
        let mailbox = &self.boxes[receipt.to];
        // Nothing to wait for: no need to tell the others this node is waiting.
        if let Some(outcome) = self.verdict(receipt) {
            return outcome;
        }
        {
            let mut waiting = self.waiting.lock();
            if waiting[receipt.to] {
                return Awaited::Waiting;
            }
            waiting[me] = true;
        }
        let outcome = mailbox.await_handled(receipt.number);
        self.waiting.lock()[me] = false;
        outcome
    }

    /// Node `node` died: its mailbox closes (see [`Mailbox::close`]); how many letters it
    /// dropped.
    pub fn die(&self, node: NodeId) -> usize {
        self.boxes[node].close()
    }

    /// The run is over: every node's waits return.
    pub fn stop(&self) {
        for mailbox in &self.boxes {
            mailbox.stop();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_letter_is_taken_once_in_order_and_refused_after_death() {
        let ex = Exchange::new(2);
        let a = ex.post(1, 'a').unwrap();
        let b = ex.post(1, 'b').unwrap();
        assert_eq!((a.number, b.number), (1, 2));
        let Take::Letter(first) = ex.mailbox(1).take(None) else { panic!("a letter was queued") };
        assert_eq!(first.item, 'a');
        assert_eq!(ex.die(1), 1, "b was queued when the node died");
        assert!(ex.post(1, 'c').is_none(), "a dead node receives nothing");
        assert!(ex.mailbox(1).try_take().is_none());
        assert_eq!(ex.await_handled(0, b), Awaited::Dead, "a dropped letter releases its sender");
    }

    #[test]
    fn a_deadline_ends_a_wait_and_a_stop_ends_every_wait() {
        let ex: Exchange<()> = Exchange::new(2);
        let soon = Instant::now() + Duration::from_millis(5);
        assert!(matches!(ex.mailbox(0).take(Some(soon)), Take::Due));
        assert!(ex.mailbox(0).sleep(Some(soon)));
        let receipt = ex.post(1, ()).unwrap();
        ex.stop();
        assert!(matches!(ex.mailbox(0).take(None), Take::Stopped));
        assert!(!ex.mailbox(0).sleep(None));
        assert_eq!(ex.await_handled(0, receipt), Awaited::Stopped);
    }

    #[test]
    fn nobody_waits_for_a_waiter_or_a_frozen_node() {
        let ex: Exchange<()> = Exchange::new(3);
        let to_one = ex.post(1, ()).unwrap();
        ex.mailbox(1).freeze(true);
        assert_eq!(ex.await_handled(0, to_one), Awaited::Frozen);
        ex.mailbox(1).freeze(false);
        ex.waiting.lock()[1] = true;
        assert_eq!(ex.await_handled(0, to_one), Awaited::Waiting);
    }
}
