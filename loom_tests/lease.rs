//! Loom model of the lock service: a lease that expires while its holder is still inside lets two
//! clients into the critical section at once; a non-preemptive lock never does.
//!
//! The model drives the crate's own sans-IO [`LockServer`] (not a re-implementation of it) through
//! the sync facade: the server, the clients' mailboxes and the `inside` counter live in
//! `faultline::sync::{Arc, Mutex, AtomicUsize}` and the threads come from `faultline::sync::thread`,
//! which under `--cfg loom` are loom's instrumented twins. That is the seam this test proves:
//! loom sees every access of the crate's types and explores every interleaving of them (up to
//! [`PREEMPTIONS`] preemptions per execution).
//!
//! Three threads besides `main`:
//! - two clients, each: send `Request`; wait for its `Grant` in its mailbox; enter (increment
//!   `inside`), leave (decrement), send `Release`;
//! - the lease timer: loom has no time, so this thread *is* time passing. It moves the model's
//!   clock to [`LEASE`] and fires the server's `EXPIRY` timer, at whatever point loom schedules
//!   it, including while a client is inside. A lease granted at time 0 is then over by the
//!   server's own clock, so the server frees it and grants the queued client.
//!
//! Nothing a client does can prevent that: whatever it checks before entering, the timer can fire
//! right after (Kleppmann's stop-the-world pause after the last check). `lease_can_overlap` asserts that
//! loom *finds* the overlap; `non_preemptive_never_overlaps` runs the same threads against a
//! server without leases (its timer fires and does nothing) and asserts, inside the model, that no
//! interleaving has two clients inside and that every execution serves both clients and ends.
//!
//! Build and run (release: loom is slow in debug):
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom_lease`
#![cfg(loom)]

use faultline::lock::msg::{LockMsg, Token};
use faultline::lock::server::{LockServer, ServerPolicy};
use faultline::lock::topology::Topology;

/// The model's world: one lock service and two clients.
const TOPOLOGY: Topology = Topology { servers: 1, clients: 2 };
use faultline::node::{Command, Node, NodeId, Out, TimerId};
use faultline::sync::Ordering::SeqCst;
use faultline::sync::{Arc, AtomicUsize, Mutex, thread};
use faultline::time::{MS, Nanos};

/// The lease length; the timer thread fires at exactly this time, `expires_at <= now` holds.
const LEASE: Nanos = 10 * MS;
/// The server's lease timer (`lock::server`'s private `EXPIRY`).
const EXPIRY: TimerId = 0;
/// Preemption bound: the overlap needs two (client 0 → client 1, client 0 → timer).
const PREEMPTIONS: usize = 3;
/// Client threads.
const CLIENTS: usize = 2;
/// Threads that can make the server send a grant: the clients and the timer.
const ACTORS: usize = CLIENTS + 1;

/// The harness's own bookkeeping, outside the model: plain `std` atomics on purpose, invisible to
/// loom, so counting adds no interleavings and survives from one execution to the next.
struct Tally {
    executions: std::sync::atomic::AtomicUsize,
    overlaps: std::sync::atomic::AtomicUsize,
}

impl Tally {
    const fn new() -> Self {
        Tally {
            executions: std::sync::atomic::AtomicUsize::new(0),
            overlaps: std::sync::atomic::AtomicUsize::new(0),
        }
    }
    fn executions(&self) -> usize {
        self.executions.load(std::sync::atomic::Ordering::SeqCst)
    }
    fn overlaps(&self) -> usize {
        self.overlaps.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The server and the model's clock, behind one facade mutex: one server step at a time.
struct Service {
    server: LockServer,
    now: Nanos,
}

/// What a model thread hands the server.
enum Input {
    /// A message from a client node.
    Msg(NodeId, LockMsg),
    /// Time reaches [`LEASE`] and the server's lease timer fires.
    Expiry,
}

/// Everything the model threads share, all of it from the facade.
struct World {
    service: Mutex<Service>,
    /// Per client, the token of a grant delivered to it and not yet taken.
    mailbox: [Mutex<Option<Token>>; CLIENTS],
    /// Clients between enter and leave.
    inside: AtomicUsize,
    /// Actors that have finished (and delivered everything they made the server send).
    finished: AtomicUsize,
    /// Whether two clients inside at once is a failure (non-preemptive) or a finding (lease).
    overlap_allowed: bool,
    tally: &'static Tally,
}

impl World {
    fn new(lease: Option<Nanos>, tally: &'static Tally) -> Self {
        let server = LockServer::new(ServerPolicy { lease, lock_delay: 0 }, TOPOLOGY);
        World {
            service: Mutex::new(Service { server, now: 0 }),
            mailbox: std::array::from_fn(|_| Mutex::new(None)),
            inside: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            overlap_allowed: lease.is_some(),
            tally,
        }
    }

    /// One server step under the service mutex, then the network: grants go to their client's
    /// mailbox. Timer commands are ignored; the timer thread plays the one timer that matters.
    fn step(&self, input: Input) {
        let mut out = Out::default();
        {
            let mut service = self.service.lock();
            match input {
                Input::Msg(from, msg) => {
                    let now = service.now;
                    service.server.on_msg(now, from, msg, &mut out);
                }
                Input::Expiry => {
                    service.now = LEASE;
                    service.server.on_timer(LEASE, EXPIRY, &mut out);
                }
            }
        }
        for command in out.drain() {
            if let Command::Send { to, msg: LockMsg::Grant { token, .. } } = command {
                *self.mailbox[TOPOLOGY.client_of(to).expect("grants go to clients")].lock() = Some(token);
            }
        }
    }

    /// Waits for client `index`'s grant; `None` once no grant can come any more (every other
    /// actor has finished and the mailbox is still empty).
    fn await_grant(&self, index: usize) -> Option<Token> {
        loop {
            if let Some(token) = self.mailbox[index].lock().take() {
                return Some(token);
            }
            if self.finished.load(SeqCst) == ACTORS - 1 {
                // A grant delivered just before the last other actor finished is visible now.
                return self.mailbox[index].lock().take();
            }
            thread::yield_now();
        }
    }

    fn client(&self, index: usize) {
        let node = TOPOLOGY.client(index);
        self.step(Input::Msg(node, LockMsg::Request { req: 1 }));
        let Some(token) = self.await_grant(index) else {
            panic!("client {index} was never granted: an execution that cannot serve everyone");
        };

        let before = self.inside.fetch_add(1, SeqCst);
        if before > 0 {
            self.tally.overlaps.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        assert!(before == 0 || self.overlap_allowed, "two clients inside a non-preemptive lock");
        self.inside.fetch_sub(1, SeqCst);

        self.step(Input::Msg(node, LockMsg::Release { req: 1, token }));
        self.finished.fetch_add(1, SeqCst);
    }

    fn lease_timer(&self) {
        self.step(Input::Expiry);
        self.finished.fetch_add(1, SeqCst);
    }
}

/// Explores the model with `lease`, counting executions and overlaps in `tally`.
fn explore(lease: Option<Nanos>, tally: &'static Tally) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTIONS);
    builder.check(move || {
        tally.executions.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let world = Arc::new(World::new(lease, tally));
        let mut threads = Vec::new();
        for index in 0..CLIENTS {
            let world = Arc::clone(&world);
            threads.push(thread::spawn(move || world.client(index)));
        }
        let timer = Arc::clone(&world);
        threads.push(thread::spawn(move || timer.lease_timer()));
        for handle in threads {
            handle.join().expect("a model thread panicked");
        }
        assert_eq!(world.inside.load(SeqCst), 0);
        assert_eq!(world.service.lock().server.holder(), None, "the lock is free at the end");
    });
}

#[test]
fn lease_can_overlap() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(Some(LEASE), &TALLY);
    println!(
        "lease: {} executions, {} with two clients inside, {:?}",
        TALLY.executions(),
        TALLY.overlaps(),
        started.elapsed()
    );
    assert!(TALLY.overlaps() > 0, "loom found no interleaving where the lease expired inside");
}

#[test]
fn non_preemptive_never_overlaps() {
    static TALLY: Tally = Tally::new();
    let started = std::time::Instant::now();
    explore(None, &TALLY);
    println!("non-preemptive: {} executions, {:?}", TALLY.executions(), started.elapsed());
    assert_eq!(TALLY.overlaps(), 0);
    assert!(TALLY.executions() > 1, "loom explored a single execution: the model is not concurrent");
}
