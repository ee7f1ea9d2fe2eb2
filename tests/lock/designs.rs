//! Lock designs through the one interface (issue 9): Redlock's two arguments made measurable
//! (stalls after acquiring, one server's clock jumping), servers that crash, freeze or are cut
//! off showing up in `blocked` and `unavailable`, and an oracle that judges any design alike,
//! whatever its tokens.

use faultline::engine::Ending;
use faultline::fault::Dist;
use faultline::lock::design::{DesignOut, DesignTimer, LockDesign, LockService, LockStub, Timing, register};
use faultline::lock::designs::redlock::poll_lands_in;
use faultline::lock::msg::{LockEvent, LockMsg, Token};
use faultline::lock::oracle::OracleError;
use faultline::lock::predict::compare;
use faultline::lock::storage::Fencing;
use faultline::lock::topology::Topology;
use faultline::lock::{EngineKind, LockConfig, LockReport, NodeFault, Partition, RunError, Target, Variant};
use faultline::node::NodeId;
use faultline::time::{MS, Nanos, SEC, US};

fn run(cfg: &LockConfig) -> LockReport {
    faultline::lock::run(cfg).unwrap_or_else(|e| panic!("{e}: {cfg:?}"))
}

fn target(text: &str) -> Target {
    Target::parse(text).unwrap()
}

fn redlock(clients: usize) -> LockConfig {
    let mut cfg = LockConfig::new(Variant::REDLOCK, EngineKind::Sim);
    cfg.clients = clients;
    cfg
}

/// Redlock is a lease as far as a stalled holder is concerned: its keys expire `L` after they
/// were set whatever the holder does, so under stalls after acquiring it overlaps at the lease's
/// closed form `P(S >= L - w)`. Sixteen clients polling every millisecond or so keep someone
/// ready to take the lock the moment the keys expire, which is the form's contention.
#[test]
fn redlock_under_stalls_overlaps_at_the_lease_closed_form() {
    let mut cfg = redlock(16);
    cfg.retry = MS;
    cfg.acquisitions = 20_000;
    let c = compare(&cfg).expect("the lease forms cover redlock").unwrap();
    println!("redlock, 16 clients: {c:?}");
    assert!(c.agrees(), "{c:?}");
    // P(S >= 9 ms) for exp(5 ms), less the little the first poll after the expiry takes.
    let lease = (-9.0f64 / 5.0).exp();
    assert!(c.predicted < lease && c.predicted > 0.99 * lease, "{c:?}");
}

/// A majority of three survives one crashed server; two crashed servers leave no majority, and
/// the run says so (every client blocked, the whole run unavailable) at its horizon instead of
/// hanging.
#[test]
fn redlock_lives_with_one_crashed_server_and_blocks_with_two() {
    let mut one = redlock(2);
    one.acquisitions = 2_000;
    one.faults.push(NodeFault::Crash { target: target("server:2"), at: 0 });
    let m = run(&one).metrics;
    assert_eq!((m.ending, m.acquisitions, m.blocked), (Ending::Finished, 2_000, 0), "{m:?}");

    let mut two = one.clone();
    two.faults.push(NodeFault::Crash { target: target("server:3"), at: 0 });
    two.horizon = Some(2 * SEC);
    let m = run(&two).metrics;
    assert_eq!((m.ending, m.acquisitions, m.blocked), (Ending::Horizon, 0, 2), "{m:?}");
    assert!(m.unavailable > 0.999_999, "no quorum from the start: {m:?}");
}

/// Kleppmann's case, with no client stall at all. Client 1 cannot reach server 3, so every
/// majority it holds is exactly servers 1 and 2: a bare majority. Its sections last `w` and it
/// takes the lock again at once, so it holds nearly all the time while client 2 polls every
/// `U[r/2, r]`. At 100.3 ms server 2's clock jumps forward by `J`: the key client 1 set at 100 ms
/// now expires at `100 + L - J` ms of true time, which is before client 1 releases at `100 + w`
/// exactly when `J > L - w`. A poll of client 2 in that window gets servers 2 and 3 and enters
/// while client 1 is inside.
fn kleppmann(jump: Nanos, bare: bool, seed: u64) -> u64 {
    let mut cfg = redlock(2);
    cfg.pause = Dist::None;
    cfg.retry = 200 * US;
    cfg.acquisitions = 400;
    cfg.seed = seed;
    if bare {
        cfg.partitions.push(Partition {
            between: [target("client:1"), target("server:3")],
            from: 0,
            until: 100 * SEC,
        });
    }
    cfg.faults.push(NodeFault::ClockJump {
        target: target("server:2"),
        by: jump as i64,
        at: 100 * MS + 300 * US,
    });
    let m = run(&cfg).metrics;
    assert_eq!(m.ending, Ending::Finished, "{m:?}");
    m.overlaps
}

#[test]
fn a_forward_jump_on_a_bare_majority_server_overlaps_exactly_when_it_outruns_the_section() {
    // L - w = 9 ms: below it the key outlives client 1's section, above it it does not.
    assert_eq!(kleppmann(8_900 * US, true, 1), 0);
    assert_eq!(kleppmann(9_800 * US, true, 1), 1);
    assert_eq!(kleppmann(20 * MS, true, 1), 1);
    // With a full majority (client 1 also holds server 3), one server's jump is outvoted.
    assert_eq!(kleppmann(20 * MS, false, 1), 0);
}

/// The rate: client 2 enters when one of its polls lands in the window of length
/// `x = J - (L - w)`; with backoffs `U[r/2, r]` a stationary renewal process puts one there with
/// the probability [`poll_lands_in`] gives (`x / (3r/4)` while `x ≤ r/2`). Measured over 400
/// seeds for each `x`, within 4σ of the binomial.
#[test]
fn the_overlap_rate_per_jump_is_the_chance_a_poll_lands_in_the_window() {
    let runs = 400u64;
    for x in [40 * US, 75 * US, 150 * US] {
        let predicted = poll_lands_in(x, 200 * US);
        let overlaps: u64 = (0..runs).map(|seed| kleppmann(9 * MS + x, true, seed + 1)).sum();
        let measured = overlaps as f64 / runs as f64;
        let sigma = (predicted * (1.0 - predicted) / runs as f64).sqrt();
        println!("x = {x} ns: {overlaps} of {runs} jumps overlapped, predicted {predicted:.4}");
        assert!(
            (measured - predicted).abs() <= 4.0 * sigma,
            "x = {x}: {measured} vs {predicted} ± {}",
            4.0 * sigma
        );
    }
}

/// Redlock plus fencing: its tokens are unique but not ordered like the acquisitions, and
/// storage that checks every access still loses no update, while the SMS, which nobody checks,
/// is sent stale and twice.
#[test]
fn redlock_with_fencing_keeps_storage_safe_while_the_sms_repeats() {
    let mut plain = redlock(4);
    plain.retry = MS;
    plain.acquisitions = 4_000;
    let fenced = plain.with_variant(Variant::REDLOCK_FENCED);
    let (p, f) = (run(&plain).metrics, run(&fenced).metrics);
    println!("plain: {p:?}\nfenced: {f:?}");
    assert!(p.lost_updates > 0 && f.overlaps > 0, "the stalls overlap: {p:?}");
    assert_eq!(f.lost_updates, 0, "{f:?}");
    assert!(f.stale_rejected > 0, "fencing refused the stale sections: {f:?}");
    assert!(f.duplicate_effects > 0 && f.stale_effects > 0, "{f:?}");
}

/// Without stalls a single lock server's faults are the only ones, and the oracle counts the
/// time they keep a waiting client from the lock: a crash until the end (everyone blocked), a
/// freeze for its length, a partition from every client for its window (the lease then frees a
/// lock whose release was lost, and that wait is the lease doing its job, not the fault).
#[test]
fn a_crashed_frozen_or_cut_off_server_shows_in_blocked_and_unavailable() {
    let base = || {
        let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        cfg.pause = Dist::None;
        cfg.acquisitions = 1_000;
        cfg
    };
    let unavailable_ns = |m: &faultline::lock::LockMetrics| m.unavailable * m.end_ns as f64;

    let mut crashed = base();
    crashed.horizon = Some(SEC);
    crashed.faults.push(NodeFault::Crash { target: target("server:1"), at: 50 * MS });
    let m = run(&crashed).metrics;
    assert_eq!((m.ending, m.blocked), (Ending::Horizon, 2), "{m:?}");
    assert!((unavailable_ns(&m) - 950.0 * MS as f64).abs() < 1e3, "{m:?}");

    let mut frozen = base();
    frozen.faults.push(NodeFault::Stall { target: target("server:1"), span: 50 * MS, at: 100 * MS });
    let m = run(&frozen).metrics;
    assert_eq!((m.ending, m.blocked), (Ending::Finished, 0), "{m:?}");
    assert!((unavailable_ns(&m) - 50.0 * MS as f64).abs() < 1e3, "{m:?}");

    let mut cut = base();
    cut.partitions.push(Partition {
        between: [target("client:*"), target("server:1")],
        from: 100 * MS,
        until: 150 * MS,
    });
    let m = run(&cut).metrics;
    assert_eq!((m.ending, m.blocked), (Ending::Finished, 0), "{m:?}");
    assert!((unavailable_ns(&m) - 50.0 * MS as f64).abs() < 1e3, "{m:?}");

    // Redlock with one of three servers frozen keeps its majority: nothing is unavailable.
    let mut redlock_frozen = redlock(2);
    redlock_frozen.pause = Dist::None;
    redlock_frozen.acquisitions = 1_000;
    redlock_frozen.faults.push(NodeFault::Stall { target: target("server:1"), span: 50 * MS, at: 100 * MS });
    let m = run(&redlock_frozen).metrics;
    assert_eq!((m.ending, m.unavailable), (Ending::Finished, 0.0), "{m:?}");
}

/// Every re-sent attempt of a Redlock client is a poll of three servers, and a third of the
/// votes are lost: the run still finishes, within its budget, rather than looking hung.
#[test]
fn redlock_under_heavy_loss_finishes_within_its_budget() {
    let mut cfg = redlock(4);
    cfg.link.drop = 0.3;
    cfg.links = faultline::lock::config::LinkScope::parse("lock").unwrap();
    cfg.acquisitions = 2_000;
    let m = run(&cfg).metrics;
    assert_eq!((m.ending, m.acquisitions), (Ending::Finished, 2_000), "{m:?}");
    assert!(m.engine_events < cfg.event_budget(), "{m:?}");
}

/// A lease whose tokens are scrambled: sparse (around 2^62), in no order, yet the same lock.
#[derive(Debug)]
struct Scrambled;

#[derive(Debug)]
struct ScrambledStub(Box<dyn LockStub>);

fn scramble(token: Token) -> Token {
    token.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 << 62
}

impl LockStub for ScrambledStub {
    fn acquire(&mut self, now: Nanos, out: &mut DesignOut) {
        self.0.acquire(now, out)
    }
    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) -> Option<Token> {
        self.0.on_msg(now, from, msg, out).map(scramble)
    }
    fn on_timer(&mut self, now: Nanos, timer: DesignTimer, out: &mut DesignOut) -> Option<Token> {
        self.0.on_timer(now, timer, out).map(scramble)
    }
    fn time_left(&self, now: Nanos) -> Option<i128> {
        self.0.time_left(now)
    }
    fn release(&mut self, now: Nanos, out: &mut DesignOut) {
        self.0.release(now, out)
    }
}

impl LockDesign for Scrambled {
    fn name(&self) -> &str {
        "scrambled-lease"
    }
    fn about(&self) -> &str {
        "a lease whose tokens are sparse and unordered (a test design)"
    }
    fn fencing(&self) -> Fencing {
        Fencing::None
    }
    fn quorum(&self, _servers: usize) -> usize {
        1
    }
    fn server(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockService> {
        Variant::LEASE.design().server(cfg, index, topology)
    }
    fn stub(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockStub> {
        Box::new(ScrambledStub(Variant::LEASE.design().stub(cfg, index, topology)))
    }
    fn timing(&self, cfg: &LockConfig) -> Option<Timing> {
        Variant::LEASE.design().timing(cfg)
    }
}

/// A design that claims an entry for a client the run does not have.
#[derive(Debug)]
struct Confused;

#[derive(Debug)]
struct ConfusedStub(Box<dyn LockStub>);

impl LockStub for ConfusedStub {
    fn acquire(&mut self, now: Nanos, out: &mut DesignOut) {
        self.0.acquire(now, out)
    }
    fn on_msg(&mut self, now: Nanos, from: NodeId, msg: LockMsg, out: &mut DesignOut) -> Option<Token> {
        let token = self.0.on_msg(now, from, msg, out)?;
        out.observe(LockEvent::Entered { client: 99, token });
        Some(token)
    }
    fn on_timer(&mut self, now: Nanos, timer: DesignTimer, out: &mut DesignOut) -> Option<Token> {
        self.0.on_timer(now, timer, out)
    }
    fn time_left(&self, now: Nanos) -> Option<i128> {
        self.0.time_left(now)
    }
    fn release(&mut self, now: Nanos, out: &mut DesignOut) {
        self.0.release(now, out)
    }
}

impl LockDesign for Confused {
    fn name(&self) -> &str {
        "confused-lease"
    }
    fn about(&self) -> &str {
        "a lease whose stub reports a client that does not exist (a test design)"
    }
    fn server(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockService> {
        Variant::LEASE.design().server(cfg, index, topology)
    }
    fn stub(&self, cfg: &LockConfig, index: usize, topology: &Topology) -> Box<dyn LockStub> {
        Box::new(ConfusedStub(Variant::LEASE.design().stub(cfg, index, topology)))
    }
    fn timing(&self, _cfg: &LockConfig) -> Option<Timing> {
        None
    }
}

/// The test designs, registered once for the whole test binary.
fn registered(name: &str) -> Variant {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        register(Scrambled).unwrap();
        register(Confused).unwrap();
    });
    Variant::parse(name).unwrap()
}

/// Nothing the oracle counts depends on tokens: the scrambled lease measures exactly what the
/// lease does, seed for seed, under stalls, link faults and a crash.
#[test]
fn the_oracle_judges_entries_not_tokens() {
    let scrambled = registered("scrambled-lease");
    for setup in 0..3 {
        let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        cfg.clients = 4;
        cfg.acquisitions = 4_000;
        match setup {
            0 => {}
            1 => {
                cfg.link.delay = Dist::Exp { mean: MS };
                cfg.link.duplicate = 0.1;
            }
            _ => cfg.faults.push(NodeFault::Crash { target: target("client:2"), at: 30 * MS }),
        }
        let lease = run(&cfg).metrics;
        let cfg = cfg.with_variant(scrambled);
        let other = run(&cfg).metrics;
        assert_eq!(lease, other, "setup {setup}");
        assert!(lease.overlaps > 0 && lease.stale_accepted > 0, "setup {setup}: {lease:?}");
    }
}

/// An event that names a client the world does not have is an error naming the node, not a
/// panic and not a figure.
#[test]
fn an_event_the_oracle_cannot_place_is_an_error_naming_the_node() {
    let mut cfg = LockConfig::new(registered("confused-lease"), EngineKind::Sim);
    cfg.acquisitions = 10;
    match faultline::lock::run(&cfg) {
        Err(RunError::Oracle(OracleError::UnknownClient { node, client: 99, clients: 2, .. })) => {
            assert!(node == cfg.topology().client(0) || node == cfg.topology().client(1), "{node}")
        }
        other => panic!("{other:?}"),
    }
}

/// A registered design is a `--variant` like any other: named on the command line, listed in the
/// help, written in the JSON.
#[test]
fn a_registered_design_is_named_by_the_command_line() {
    registered("scrambled-lease");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args = ["faultline", "lock", "--variant", "scrambled-lease", "--acquisitions", "100", "--json"];
    assert_eq!(faultline::cli::main_with(args, &mut out, &mut err), 0, "{}", String::from_utf8_lossy(&err));
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["config"]["variant"], "scrambled-lease");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    faultline::cli::main_with(["faultline", "lock", "--help"], &mut out, &mut err);
    let help = String::from_utf8(out).unwrap();
    assert!(help.contains("scrambled-lease  a lease whose tokens are sparse and unordered"), "{help}");
}
