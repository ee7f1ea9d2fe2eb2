#![forbid(unsafe_code)]
//! # faultline
//!
//! Two impossibility results of distributed computing, made visible and measurable.
//!
//! 1. **A generic fault-tolerant distributed critical section is impossible.** Give `p ≥ 2`
//!    clients a perfect lock service, and let the holder stall, crash or be partitioned. A
//!    non-preemptive lock then waits forever (liveness lost); a lease lock hands the lock to the
//!    next client while the old holder may still be inside (safety lost). Fencing tokens save a
//!    storage that checks them, never a generic side effect such as an SMS. The [`lock`]
//!    laboratory runs every variant against every fault and measures how often each breaks.
//! 2. **State machine replication with two servers and one omission fault is impossible, even in
//!    lock-step rounds**, and generally with `n ≤ 2f`. The [`smr`] laboratory builds worlds A, B
//!    and C for any `n ≤ 2f`, runs any [`smr::Protocol`] in them, compares the views that make
//!    them indistinguishable, and says which horn of the theorem the protocol falls on: not live
//!    in A or B, or disagreeing in C. For `n = 2f + 1` it refuses to build a world, and a majority
//!    quorum survives random omissions.
//!
//! ## One protocol, several engines
//!
//! Every protocol is a sans-IO state machine ([`node::Node`]): it never reads a clock, sleeps,
//! spawns or touches a channel. Time and messages come in as arguments; sends, timers, pauses and
//! observations go out as data ([`node::Command`]). The same nodes are then driven by
//!
//! - [`engine::sim`], a deterministic discrete-event simulator with integer-nanosecond virtual
//!   time and seeded random streams ([`rng`]): exact, reproducible, over a million acquisitions
//!   (sixteen million events) a second on one core with perfect links, within 1.5x of a bare
//!   binary-heap event loop (`results/PERFORMANCE.md`), for the violation-rate curves and the tests;
//! - `engine::threads`, one OS thread per node, mailboxes behind a lossy link layer and real
//!   sleeps for stalls: the stress runs, where scheduling noise is part of the measurement; its
//!   synchronisation ([`engine::exchange`]) goes through the [`sync`] facade and loom checks it;
//! - [`engine::interleave`], the same nodes with every step an event whose order the scheduler
//!   picks: under loom (the `loom_tests/` models) every order is tried, through the [`sync`]
//!   facade, and each execution is judged by the same oracle;
//! - [`smr::rounds`], the lock-step rounds of the replication model, as a plain loop or as one
//!   thread per process with a barrier per round; both record identical views.
//!
//! Faults live in the engines, never in the protocols: the [`engine::Env`] decides how long a node
//! freezes at a pause point, what its clock reads ([`fault::Clock`]) and what the links do to each
//! message ([`fault::LinkPlan`]). Ground truth flows to the oracles ([`check`]), which compute
//! every metric of docs/model.md §3 from one true-time event stream, whichever engine produced it;
//! what counts as a violation is decided in one place, the lock laboratory's [`lock::judge`].
//! Every run is bounded by a horizon and an event budget ([`engine::Limits`]), and no oracle keeps
//! a history that grows with the run.
//!
//! ## Curves, sweeps, plots, replays
//!
//! [`sweep`] runs a laboratory over a grid of its own flags (lists, ranges, grid files), in
//! parallel and deterministically, into a table of every run with its intervals, the closed
//! form's prediction and the command that replays it; [`plot`] draws the standard plots from such
//! a table; [`report::results`] makes the report in `results/README.md`
//! (`cargo bench --bench violation_curves`); [`lock::timeline`] and [`smr::replay`] replay a run
//! and draw the events around its first violation as a Mermaid sequence diagram.
//!
//! ## Where to start reading
//!
//! - [`lock::scenario`]: the outcome table of docs/model.md §5 as runnable cells, each with its claim.
//! - [`lock::design`]: what a lock design supplies (its servers and a client-side stub) and the
//!   registry `--variant` reads; [`lock::designs`], the built-in ones (the queueing service of the
//!   single-server variants, and Redlock); `examples/my_lock_design.rs`, a design of a user's own
//!   (a lease with a server-side grace period) through a run, the predictions and a sweep.
//! - [`lock::client`]: the critical section, step by step, and where the pause points are.
//! - [`lock::topology`] and [`lock::faults`]: who is who, and faults aimed at any node by role.
//! - [`lock::server`] and [`lock::storage`]: the queueing lock service and the stateful observer.
//! - [`lock::judge`]: exactly what each finding is; [`lock::oracle`]: how findings become metrics.
//! - [`lock::predict`]: the closed forms every measured curve is compared against.
//! - [`smr::world`] and [`smr::theorem`]: the worlds of the lower bound and the theorem as a
//!   function; [`smr::config`], what `faultline smr` runs as library types;
//!   `examples/my_replication_protocol.rs`, a protocol of a user's own put through both.
//! - [`sweep`]: how one grid point becomes one run, the same bytes however the sweep is split.
//! - [`lock::designs::redis`] and [`lock::designs::etcd`]: the model's clients against real Redis
//!   and etcd servers (`--service`), whose lock servers are adapters to them; [`service`] starts,
//!   faults and stops those servers, and talks to them; [`lock::site`] puts them behind a run.
//!
//! ```
//! use faultline::fault::Dist;
//! use faultline::lock::{EngineKind, LockConfig, Variant, run};
//! use faultline::time::MS;
//!
//! // A 10 ms lease, clients that freeze for exp(5 ms) after their last check.
//! let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
//! cfg.pause = Dist::Exp { mean: 5 * MS };
//! cfg.acquisitions = 2_000;
//! let report = run(&cfg).unwrap();
//! assert!(report.metrics.overlaps > 0); // the lease lost safety
//! assert_eq!(report.metrics.blocked, 0); // but never liveness
//! ```
//!
//! ## The layout
//!
//! Every module imports only modules below it (a test, `tests/layers.rs`, keeps it so):
//!
//! ```text
//!   main.rs ─▶ cli          flags parsed, commands run, results printed
//!               │
//!               ▼
//!             demo          the default tour (`cargo run --release`)
//!               │
//!               ▼
//!             report        tables, verdicts, timelines, the results report
//!               │
//!               ▼
//!             plot          SVG plots from a sweep's table
//!               │
//!               ▼
//!             sweep         grids of runs, in parallel, into tidy tables
//!               │
//!               ▼
//!             flags         the laboratories' flags as library types (what a sweep varies)
//!               │
//!        ┌──────┴──────┐
//!        ▼             ▼
//!      lock           smr   the two laboratories (neither imports the other); the lock
//!        │             │    laboratory's judge and oracle, the replication rounds driver
//!        └──────┬──────┘
//!               ▼
//!             check         folds any laboratory uses: rates, intervals, seen values
//!               │
//!               ▼
//!             engine        sim, threads, interleave: time, links and faults around nodes
//!               │
//!        ┌──────┴──────┐
//!        ▼             ▼
//!      node          fault  the sans-IO node interface; stall laws, clocks, links
//!        │   service   │    real servers: start, stop, signal; Redis and etcd clients
//!        └──────┬──────┘
//!               ▼
//!  time, rng, sync, digest   integer time, seeded streams, the loom seam, one name hash
//!               │
//!               ▼
//!             input         the words every value parser shares
//! ```
//!
//! ## Caveats
//!
//! - The threaded engine measures real time on a shared machine: its figures move from run to run,
//!   and only claims with margins of tens of milliseconds are asserted on it.
//! - Loom has no time: a timer firing is one more interleaving, a node's time is how far it has
//!   got, and models stay at two clients (loom allows four threads besides `main`). The threads
//!   engine keeps time, so loom checks its synchronisation ([`engine::exchange`]), not the engine
//!   itself.
//! - The closed forms assume contention (someone always waits). With two clients and long stalls
//!   that fails often; compare predictions with runs of many clients.

pub mod check;
pub mod cli;
pub mod demo;
pub mod digest;
pub mod engine;
pub mod fault;
pub mod flags;
pub mod input;
pub mod lock;
pub mod node;
pub mod plot;
pub mod report;
pub mod rng;
pub mod service;
pub mod smr;
pub mod sweep;
pub mod sync;
pub mod time;
