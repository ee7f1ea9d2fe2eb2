//! A lock design of your own, measured by the same rules as the built-in ones: a lease with a
//! server-side grace period `G`.
//!
//! The server tells its clients they hold the lock for `L`, but keeps it for `L + G` before
//! granting it to anyone else; a release during the grace frees it at once. The grace is a
//! margin the clients cannot get wrong, because it is not theirs to check. By the model's closed
//! forms (docs/model.md §4) a stall `S` after the last check overlaps exactly when
//! `S >= L + G - w`: the same rate as Chubby's lock-delay with `D = G`, which closes the same window
//! in a different way (it keeps an expired lock from everyone for `D`, even from a holder whose
//! release arrives during it, so it waits longer).
//!
//! What it takes:
//! 1. the server: here the crate's queueing service, kept for `L + G`, with the grants rewritten
//!    to tell clients `L` (a design may equally write its own node);
//! 2. the client side: the stock single-server stub;
//! 3. the design itself, declaring its parameter `grace` ([`Param`]) and saying how the closed
//!    forms see it ([`Timing`]);
//! 4. one call to [`register`], after which `--variant grace-lease --param grace=2ms` works
//!    everywhere: runs, predictions, sweeps (`--param grace=2ms,grace=5ms`), the JSON, which
//!    carries the grace and reads back.
//!
//! Run it with `cargo run --release --example my_lock_design`.

use faultline::lock::design::{DesignOut, DesignTimer, LockDesign, LockService, LockStub, Timing, register};
use faultline::lock::designs::queued::QueuedStub;
use faultline::lock::msg::{LockEvent, LockMsg};
use faultline::lock::predict::{compare, predict};
use faultline::lock::server::{LockServer, ServerPolicy};
use faultline::lock::topology::Topology;
use faultline::lock::{ConfigError, EngineKind, LockConfig, Param, Variant};
use faultline::node::{Command, Node, NodeId};
use faultline::time::{Exact, Human, MS, Nanos};

/// The design: a grace `G` on top of the lease.
#[derive(Debug)]
struct GraceLease;

/// Its one parameter, which every configuration of it carries.
const GRACE: Param = Param::duration("grace", "how long the server keeps the lock after the lease L", 5 * MS);

/// The queueing service, keeping the lock `L + G`, telling clients `L`.
#[derive(Debug)]
struct GraceServer {
    inner: LockServer,
    told: Option<Nanos>,
}

impl GraceServer {
    /// Passes the inner server's commands on, with every grant telling the client `L`.
    fn pass_on(&self, inner: &mut DesignOut, out: &mut DesignOut) {
        for command in inner.drain() {
            match command {
                Command::Send { to, msg: LockMsg::Grant { req, token, .. } } => {
                    out.send(to, LockMsg::Grant { req, token, lease: self.told })
                }
                other => out.push(other),
            }
        }
    }
}

impl Node for GraceServer {
    type Msg = LockMsg;
    type Obs = LockEvent;
    /// The inner server's timers, passed through.
    type Timer = DesignTimer;

    fn on_start(&mut self, now: Nanos, out: &mut DesignOut) {
        let mut inner = DesignOut::default();
        self.inner.on_start(now, &mut inner);
        self.pass_on(&mut inner, out);
    }
    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) {
        let mut inner = DesignOut::default();
        self.inner.on_msg(now, from, msg, &mut inner);
        self.pass_on(&mut inner, out);
    }
    fn on_timer(&mut self, now: Nanos, timer: DesignTimer, out: &mut DesignOut) {
        let mut inner = DesignOut::default();
        self.inner.on_timer(now, timer, &mut inner);
        self.pass_on(&mut inner, out);
    }
}

impl LockDesign for GraceLease {
    fn name(&self) -> &str {
        "grace-lease"
    }
    fn about(&self) -> &str {
        "lease L told to the clients, kept for L + G by the server (examples/my_lock_design.rs)"
    }
    fn quorum(&self, _servers: usize) -> usize {
        1
    }
    fn params(&self) -> &[Param] {
        &[GRACE]
    }
    fn validate(&self, cfg: &LockConfig) -> Result<(), ConfigError> {
        // The grace is this design's own hold-off; a lock-delay on top would be another design.
        if cfg.lock_delay > 0 {
            return Err(ConfigError::NotForDesign { flag: "--lock-delay", design: self.name().to_string() });
        }
        Ok(())
    }
    fn server(&self, cfg: &LockConfig, _index: usize, topology: &Topology) -> Box<dyn LockService> {
        let kept = cfg.lease.map(|l| l + GRACE.duration_in(cfg));
        let inner = LockServer::new(ServerPolicy { lease: kept, lock_delay: 0 }, *topology);
        Box::new(GraceServer { inner, told: cfg.lease })
    }
    fn stub(&self, cfg: &LockConfig, _index: usize, topology: &Topology) -> Box<dyn LockStub> {
        Box::new(QueuedStub::new(topology.server(0), cfg))
    }
    fn timing(&self, cfg: &LockConfig) -> Option<Timing> {
        Some(Timing {
            lease: cfg.lease,
            expiry: cfg.lease.map(|l| l + GRACE.duration_in(cfg)),
            lock_delay: 0,
            queued: true,
        })
    }
}

fn main() {
    let variant = register(GraceLease).expect("the name is free");
    let grace = 5 * MS;

    // One configuration, two designs: the grace G and Chubby's lock-delay D = G, with sixteen
    // clients stalling exp(5 ms) after the check.
    println!(
        "Sixteen clients, L = 10ms, w = 1ms, exp(5ms) stalls after the check; G = D = {}:\n",
        Human(grace)
    );
    println!(
        "{:<12} {:>9} {:>9} {:>6}   {:>11} {:>11}",
        "design", "overlaps", "closed", "agree", "mean wait", "closed"
    );
    let mut rates = Vec::new();
    for v in [variant, Variant::LOCK_DELAY] {
        let mut cfg = LockConfig::new(v, EngineKind::Sim);
        cfg.clients = 16;
        cfg.acquisitions = 40_000;
        if v == Variant::LOCK_DELAY {
            cfg.lock_delay = grace;
        } else {
            cfg.set_param("grace", &Exact(grace).to_string()).expect("grace-lease declares grace");
        }
        let closed = predict(&cfg).expect("the closed forms cover both designs");
        let c = compare(&cfg).expect("predicted").expect("a valid configuration");
        let report = faultline::lock::run(&cfg).expect("a valid configuration");
        let wait = report.metrics.acquire_latency_ns.mean;
        println!(
            "{:<12} {:>9.5} {:>9.5} {:>6}   {:>11} {:>11}",
            v.name(),
            c.measured,
            c.predicted,
            c.agrees(),
            Human(wait as u64).to_string(),
            Human(closed.mean_wait_ns.unwrap_or(0.0) as u64).to_string()
        );
        assert!(c.agrees(), "{} disagrees with its closed form: {c:?}", v.name());
        rates.push(c.predicted);
    }
    assert!((rates[0] - rates[1]).abs() < 1e-12, "G and D = G close the same window: {rates:?}");
    println!(
        "\nThe same closed form, P(S >= L + G - w) = {:.5}; the grace waits less, since a release",
        rates[0]
    );
    println!("during it frees the lock at once.\n");

    // The grace swept against the lock-delay, through the command line, exactly as `faultline
    // sweep` runs it: --param applies to grace-lease only and --lock-delay to lock-delay only, so
    // each design runs once per value of its own setting.
    let args = [
        "faultline",
        "sweep",
        "lock",
        "--variant",
        "grace-lease,lock-delay",
        "--param",
        "grace=2ms,grace=5ms,grace=10ms",
        "--lock-delay",
        "2ms,5ms,10ms",
        "--clients",
        "16",
        "--acquisitions",
        "20000",
    ];
    println!("$ {}", args.join(" "));
    let (mut csv, mut err) = (Vec::new(), Vec::new());
    let code = faultline::cli::main_with(args, &mut csv, &mut err);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    let mut table = csv::Reader::from_reader(&csv[..]);
    let headers = table.headers().expect("a header row").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name}"));
    let wanted = [
        "status",
        "config.variant",
        "config.params.grace",
        "config.lock_delay",
        "rates.overlap.rate",
        "predicted.overlap_rate",
        "agrees.overlap_rate",
    ];
    let at: Vec<usize> = wanted.iter().map(|w| column(w)).collect();
    println!("{:<12} {:>6} {:>6} {:>9} {:>9} {:>6}", "variant", "G", "D", "measured", "closed", "agree");
    let mut closed: Vec<(String, String)> = Vec::new();
    for row in table.records() {
        let row = row.expect("a CSV row");
        let cell = |i: usize| row.get(at[i + 1]).unwrap_or("").to_string();
        // A lock-delay point with a grace, or the reverse, is the same run as one without it.
        if row.get(at[0]) == Some("skipped") {
            continue;
        }
        println!(
            "{:<12} {:>6} {:>6} {:>9.9} {:>9.9} {:>6}",
            cell(0),
            cell(1),
            cell(2),
            cell(3),
            cell(4),
            cell(5)
        );
        assert_eq!(cell(5), "true", "a point disagrees with its closed form: {row:?}");
        // The grace G and the lock-delay D of the same length close the same window.
        let window = if cell(0) == "grace-lease" { cell(1) } else { cell(2) };
        closed.push((window, cell(4)));
    }
    assert_eq!(closed.len(), 6, "three graces and three lock-delays");
    for (window, rate) in &closed {
        assert!(closed.iter().all(|(w, r)| w != window || r == rate), "G = D = {window} differ: {closed:?}");
    }
}
