//! Loom models of the threads engine's synchronisation (`faultline::engine::exchange`): how its
//! node threads hand each other messages, wait for them to be handled, die, freeze, and learn that
//! the run is over. In every interleaving every thread ends, and no message is lost (each one a
//! live node accepted is handled, or dropped when its receiver died, and its sender hears which)
//! or handled twice.
//!
//! A reply is queued during its sender's step and rung for after it, as the engine's nodes do; a
//! model checks that it still reaches a sender asleep waiting for it.
//!
//! The models of two threads try every interleaving there is; the two of three or four threads
//! (two senders and a receiver that dies holding a letter; a stop racing a sender, a frozen node
//! and an idle one) try every one with at most four preemptions, twice the lock models' bound.
//!
//! The threads engine itself cannot run under loom (it keeps time, and loom has none); what it
//! does between its clock readings is this, and it is the same code.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom_exchange`
#![cfg(loom)]

mod common;

use common::{Tally, report};
use faultline::engine::exchange::{Awaited, Exchange, Take};
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;

const SENDER: usize = 0;
const RECEIVER: usize = 1;

/// Explores every interleaving of `body` with up to `preemptions` preemptions (`None`: every
/// interleaving there is).
fn explore(tally: &'static Tally, preemptions: Option<usize>, body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = preemptions;
    builder.check(move || {
        tally.executions.fetch_add(1, SeqCst);
        body();
    });
}

/// A node's thread taking its letters as the engine's does: each one handled, then its sender
/// told; until `quota` are handled or the run is over. The numbers it handled, in order.
fn receive(exchange: &Exchange<u32>, me: usize, quota: usize) -> Vec<u64> {
    let mailbox = exchange.mailbox(me);
    let mut handled = Vec::new();
    while handled.len() < quota {
        match mailbox.take(None) {
            Take::Letter(letter) => {
                handled.push(letter.number);
                mailbox.handled(letter.number);
            }
            Take::Due => unreachable!("no deadline was given"),
            Take::Stopped => break,
        }
    }
    handled
}

#[test]
fn every_letter_to_a_live_node_is_handled_once_in_order_and_its_sender_goes_on() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(&TALLY, None, || {
        let exchange = Arc::new(Exchange::new(2));
        let ex = Arc::clone(&exchange);
        let receiver = thread::spawn(move || receive(&ex, RECEIVER, 2));
        for n in 0..2 {
            let receipt = exchange.post(RECEIVER, n).expect("the receiver is alive");
            assert_eq!(exchange.await_handled(SENDER, receipt), Awaited::Handled);
        }
        assert_eq!(receiver.join().unwrap(), vec![1, 2]);
        TALLY.hits.fetch_add(1, SeqCst);
    });
    report("exchange, delivery", &TALLY, "ended with both letters handled once, in order", started);
    assert_eq!(TALLY.hits(), TALLY.executions());
}

#[test]
fn a_reply_queued_during_a_step_and_rung_for_after_it_reaches_a_sender_that_waits_for_nothing_else() {
    static TALLY: Tally = Tally::new();
    static EARLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(&TALLY, None, || {
        let exchange = Arc::new(Exchange::new(2));
        // The receiver answers as the engine's nodes do: it queues the reply during its step,
        // says the letter is handled when the step is over, and only then rings the sender.
        let ex = Arc::clone(&exchange);
        let receiver = thread::spawn(move || {
            let mailbox = ex.mailbox(RECEIVER);
            let Take::Letter(letter) = mailbox.take(None) else { unreachable!("nothing stops this run") };
            let reply = ex.queue(SENDER, letter.item + 1).expect("the sender is alive");
            mailbox.handled(letter.number);
            ex.ring(SENDER);
            reply
        });
        let receipt = exchange.post(RECEIVER, 1).expect("the receiver is alive");
        // The sender has nothing to do until the reply comes, so it waits for the reply alone, and
        // for the handling of its letter only before it acts on the reply.
        let Take::Letter(reply) = exchange.mailbox(SENDER).take(None) else {
            unreachable!("nothing stops this run")
        };
        assert_eq!(reply.item, 2);
        if exchange.verdict(receipt).is_none() {
            // Taken between the queueing and the ring: the sender was awake, not rung.
            EARLY.hits.fetch_add(1, SeqCst);
        }
        assert_eq!(exchange.await_handled(SENDER, receipt), Awaited::Handled);
        exchange.mailbox(SENDER).handled(reply.number);
        let answered = receiver.join().unwrap();
        assert_eq!(exchange.verdict(answered), Some(Awaited::Handled));
        TALLY.hits.fetch_add(1, SeqCst);
    });
    report("exchange, reply", &TALLY, "delivered the reply and ended with both letters handled", started);
    println!("exchange, reply: {} took the reply before its letter was handled, and waited", EARLY.hits());
    assert_eq!(TALLY.hits(), TALLY.executions());
    assert!(EARLY.hits() > 0 && EARLY.hits() < TALLY.executions());
}

#[test]
fn a_node_that_dies_drops_what_it_was_sent_refuses_the_rest_and_releases_its_senders() {
    static TALLY: Tally = Tally::new();
    static REFUSED: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(&TALLY, None, || {
        let exchange = Arc::new(Exchange::new(2));
        let ex = Arc::clone(&exchange);
        // The receiver handles one letter, then dies.
        let receiver = thread::spawn(move || {
            let handled = receive(&ex, RECEIVER, 1);
            (handled, ex.die(RECEIVER))
        });
        let mut accepted = Vec::new();
        let mut refused = 0;
        for n in 0..2 {
            match exchange.post(RECEIVER, n) {
                Some(receipt) => accepted.push((receipt.number, exchange.await_handled(SENDER, receipt))),
                None => refused += 1,
            }
        }
        let (handled, dropped) = receiver.join().unwrap();
        assert!(exchange.mailbox(RECEIVER).try_take().is_none(), "a dead node's mailbox keeps nothing");
        // Nothing lost, nothing doubled: each accepted letter was handled or dropped, once.
        assert_eq!(handled.len() + dropped, accepted.len(), "{handled:?} {dropped} {accepted:?}");
        assert_eq!(accepted.len() + refused, 2);
        // Each sender heard exactly what became of its letter.
        for (number, awaited) in &accepted {
            let expected = if handled.contains(number) { Awaited::Handled } else { Awaited::Dead };
            assert_eq!(*awaited, expected, "letter {number}");
        }
        if dropped > 0 {
            TALLY.hits.fetch_add(1, SeqCst);
        }
        if refused > 0 {
            REFUSED.hits.fetch_add(1, SeqCst);
        }
    });
    report("exchange, death", &TALLY, "dropped a letter queued when the receiver died", started);
    println!("exchange, death: {} refused a letter posted after it", REFUSED.hits());
    assert!(TALLY.hits() > 0, "no execution dropped a queued letter at death");
    assert!(REFUSED.hits() > 0, "no execution refused a letter after death");
}

#[test]
fn a_node_that_dies_holding_a_letter_releases_its_sender_and_two_senders_are_told_apart() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(&TALLY, Some(4), || {
        let exchange = Arc::new(Exchange::new(3));
        // The receiver handles the first letter it takes, and dies holding the second, as a node
        // does when it crashes in a timer's step with a message held back.
        let ex = Arc::clone(&exchange);
        let receiver = thread::spawn(move || {
            let mailbox = ex.mailbox(RECEIVER);
            let Take::Letter(first) = mailbox.take(None) else { unreachable!("nothing stops this run") };
            mailbox.handled(first.number);
            let Take::Letter(held) = mailbox.take(None) else { unreachable!("nothing stops this run") };
            (first.item, held.item, ex.die(RECEIVER))
        });
        let send = |me: usize, item: u32, exchange: &Exchange<u32>| {
            let receipt = exchange.post(RECEIVER, item).expect("the receiver dies only after two letters");
            exchange.await_handled(me, receipt)
        };
        let ex = Arc::clone(&exchange);
        let other = thread::spawn(move || send(2, 20, &ex));
        let mine = send(SENDER, 10, &exchange);
        let theirs = other.join().unwrap();
        let (first, held, dropped) = receiver.join().unwrap();
        assert_eq!(dropped, 0, "both letters were taken");
        // Whoever's letter was handled hears so; the other hears that its receiver died.
        let heard = |item| if item == first { Awaited::Handled } else { Awaited::Dead };
        assert_eq!((mine, theirs), (heard(10), heard(20)), "first {first}, held {held}");
        if first == 10 {
            TALLY.hits.fetch_add(1, SeqCst);
        }
    });
    report("exchange, death holding a letter", &TALLY, "handled node 0's letter first", started);
    assert!(TALLY.hits() > 0 && TALLY.hits() < TALLY.executions(), "both orders must occur");
}

#[test]
fn nobody_waits_out_a_freeze() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(&TALLY, None, || {
        let exchange = Arc::new(Exchange::new(2));
        let ex = Arc::clone(&exchange);
        let frozen = thread::spawn(move || {
            let mailbox = ex.mailbox(RECEIVER);
            mailbox.freeze(true);
            assert!(!mailbox.sleep(None), "only the end of the run ends this sleep");
        });
        // The sender must be let go by the freeze alone: the run stops only after it is.
        let receipt = exchange.post(RECEIVER, 7).expect("a frozen node still receives");
        assert_eq!(exchange.await_handled(SENDER, receipt), Awaited::Frozen);
        exchange.stop();
        frozen.join().unwrap();
        TALLY.hits.fetch_add(1, SeqCst);
    });
    report("exchange, freeze", &TALLY, "let the sender go because the receiver froze", started);
    assert_eq!(TALLY.hits(), TALLY.executions());
}

#[test]
fn a_stop_ends_every_wait() {
    static TALLY: Tally = Tally::new();
    static STOPPED: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(&TALLY, Some(4), || {
        let exchange = Arc::new(Exchange::new(3));
        // Node 1 freezes until the run ends; node 2 waits for letters until it ends.
        let ex = Arc::clone(&exchange);
        let frozen = thread::spawn(move || {
            let mailbox = ex.mailbox(RECEIVER);
            mailbox.freeze(true);
            assert!(!mailbox.sleep(None), "only the end of the run ends this sleep");
        });
        let ex = Arc::clone(&exchange);
        let idle = thread::spawn(move || receive(&ex, 2, 1));
        let ex = Arc::clone(&exchange);
        let sender = thread::spawn(move || {
            let receipt = ex.post(RECEIVER, 7).expect("a frozen node still receives");
            ex.await_handled(SENDER, receipt)
        });
        exchange.stop();
        frozen.join().unwrap();
        assert_eq!(idle.join().unwrap(), Vec::<u64>::new());
        match sender.join().unwrap() {
            Awaited::Frozen => TALLY.hits.fetch_add(1, SeqCst),
            Awaited::Stopped => STOPPED.hits.fetch_add(1, SeqCst),
            other => panic!("the sender waited for a frozen node and heard {other:?}"),
        };
    });
    report("exchange, stop", &TALLY, "released the sender because the receiver froze", started);
    println!("exchange, stop: {} released it because the run stopped", STOPPED.hits());
    assert!(TALLY.hits() > 0 && STOPPED.hits() > 0);
}

#[test]
fn two_nodes_writing_to_each_other_never_wait_for_each_other() {
    static TALLY: Tally = Tally::new();
    static B_WAITED: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(&TALLY, None, || {
        let exchange = Arc::new(Exchange::new(2));
        // Each node sends the other a letter, waits for it to be handled, then takes its own.
        let node = |me: usize, peer: usize, exchange: Arc<Exchange<u32>>| {
            move || {
                let receipt = exchange.post(peer, 1).expect("the peer is alive");
                let awaited = exchange.await_handled(me, receipt);
                (awaited, receive(&exchange, me, 1))
            }
        };
        let a = thread::spawn(node(0, 1, Arc::clone(&exchange)));
        let b = thread::spawn(node(1, 0, Arc::clone(&exchange)));
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        assert_eq!((a.1, b.1), (vec![1], vec![1]), "each handled the other's letter once");
        // The second to try saw the first waiting and went on, so the first was answered.
        match (a.0, b.0) {
            (Awaited::Handled, Awaited::Waiting) => TALLY.hits.fetch_add(1, SeqCst),
            (Awaited::Waiting, Awaited::Handled) => B_WAITED.hits.fetch_add(1, SeqCst),
            other => panic!("not one waiter and one that went on: {other:?}"),
        };
    });
    report("exchange, cycle", &TALLY, "had node 0 wait and node 1 go on", started);
    println!("exchange, cycle: {} the other way round", B_WAITED.hits());
    assert!(TALLY.hits() > 0 && B_WAITED.hits() > 0);
}
