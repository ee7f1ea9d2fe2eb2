//! The default demonstration: what `cargo run --release` shows a newcomer in a few seconds.
//!
//! Everything printed here is measured, in the deterministic simulator, from the same scenarios the
//! tests assert: the outcome table (docs/model.md §5), the closed form for lease overlaps, Kleppmann's
//! timeline, and consensus built from a lock.

use crate::lock::predict::{Fit, compare};
use crate::lock::scenario::{self, Expect, Fault, Row};
use crate::lock::{Variant, trace};
use crate::report::timeline;
use std::io::{self, Write};

fn symbol(expect: &Expect) -> &'static str {
    match expect {
        Expect::Safe { .. } => "none",
        Expect::Unsafe => "S",
        Expect::Unlive => "Lv",
        Expect::StorageSafe => "storage safe",
        Expect::Threshold { .. } => "S / none",
        Expect::Fewer => "fewer",
    }
}

/// Prints the outcome table as measured: each cell shows its claim (docs/model.md §5) and whether the
/// simulated run reproduced it. Returns how many cells did not.
pub fn outcome_table(out: &mut dyn Write, details: bool) -> io::Result<usize> {
    let header =
        format!("{:<30}{}", "variant", Fault::ALL.map(|f| format!("{:<17}", f.to_string())).join(""));
    writeln!(out, "{}", header.trim_end())?;
    let mut failures = 0;
    let mut lines = Vec::new();
    for row in Row::ALL {
        let mut line = format!("{:<30}", row.label());
        for fault in Fault::ALL {
            let cell = scenario::cell(row, fault);
            let outcome = cell.check();
            failures += usize::from(!outcome.holds);
            let mark = if outcome.holds { "ok" } else { "MISMATCH" };
            line.push_str(&format!("{:<17}", format!("{} {mark}", symbol(&cell.expect))));
            if details || !outcome.holds {
                lines.push(format!(
                    "  {:<30} {}: {:<45} measured {}",
                    row.label(),
                    fault,
                    cell.claim,
                    outcome.measured
                ));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    if !lines.is_empty() {
        writeln!(out)?;
        for l in lines {
            writeln!(out, "{l}")?;
        }
    }
    Ok(failures)
}

/// Prints the default demonstration.
pub fn print(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "faultline: two impossibility results, made measurable")?;
    writeln!(out, "=====================================================")?;
    writeln!(out)?;
    writeln!(out, "1. A generic fault-tolerant critical section is impossible.")?;
    writeln!(out, "   With a faulty lock holder, a non-preemptive lock loses liveness (Lv) and a lease")?;
    writeln!(out, "   loses safety (S); fencing protects only a storage that checks tokens, never an SMS.")?;
    writeln!(out)?;
    writeln!(out, "Outcome table of docs/model.md §5, each cell measured in the deterministic simulator")?;
    writeln!(out, "(2 clients, L=10ms, w=2ms, m=3ms, D=5ms; client 1 is the faulty one):")?;
    writeln!(
        out,
        "  F1 stall after the last check   F2 crash after acquiring   F3 partitioned from the service"
    )?;
    writeln!(out, "  F4 slow clock past the margin   F5 message delay or loss")?;
    writeln!(out)?;
    let failures = outcome_table(out, false)?;
    writeln!(out)?;
    if failures == 0 {
        writeln!(
            out,
            "All {} cells reproduce their claims (docs/model.md §5). Details: faultline table",
            Row::ALL.len() * Fault::ALL.len()
        )?;
    } else {
        writeln!(out, "{failures} cells do NOT reproduce their claims (docs/model.md §5; details above).")?;
    }
    writeln!(out)?;

    writeln!(out, "Kleppmann's timeline (lease 10ms, client 1 freezes 30ms after reading):")?;
    let topology = trace::kleppmann_config(Variant::FENCED).topology();
    let (fenced, moments) = trace::kleppmann(Variant::FENCED);
    write!(out, "{}", timeline::plain(&moments, &topology))?;
    let (plain, moments) = trace::kleppmann(Variant::LEASE);
    let stale_write = timeline::plain(&moments, &topology)
        .lines()
        .find(|l| l.contains("with token 33") && l.contains("writes"))
        .map(str::to_owned);
    writeln!(out, "  The same run with plain storage, where fencing is off:")?;
    writeln!(out, "{}", stale_write.unwrap_or_default())?;
    for (storage, m) in [("fenced", &fenced.metrics), ("plain", &plain.metrics)] {
        writeln!(
            out,
            "  {storage:>6} storage: lost updates {}, duplicate SMS {}",
            m.lost_updates, m.duplicate_effects
        )?;
    }
    writeln!(out)?;

    writeln!(out, "Lease overlap rate against the closed form exp(-(L - w)/mu), 100000 acquisitions each:")?;
    writeln!(out, "  {:>6} {:>10} {:>10} {:>10}  agrees", "L/mu", "predicted", "measured", "tolerance")?;
    for (ratio, cfg) in scenario::exp_table(100_000) {
        let c = compare(&cfg).expect("covered by the closed form").expect("valid configuration");
        let verdict = match c.fit() {
            Fit::Agrees => "yes",
            Fit::Disagrees => "NO",
            Fit::AssumptionFails => "n/a (an expiry found nobody waiting)",
        };
        writeln!(
            out,
            "  {ratio:>6} {:>10.6} {:>10.6} {:>10.6}  {verdict}",
            c.predicted, c.measured, c.tolerance
        )?;
    }
    writeln!(out)?;

    writeln!(out, "Consensus from a lock (2 clients, 10000 instances; predicted rate in brackets):")?;
    for (label, cfg) in scenario::consensus_cases(10_000) {
        let c = compare(&cfg).expect("covered by the closed form").expect("valid configuration");
        writeln!(out, "  {label:<42} disagreement rate {:.4} [{:.4}]", c.measured, c.predicted)?;
    }
    writeln!(out)?;
    replication(out)?;
    writeln!(out)?;
    writeln!(out, "The full report (violation-rate curves, plots, what to conclude): results/README.md,")?;
    writeln!(out, "regenerated by `cargo bench --bench violation_curves`. The model: docs/model.md.")?;
    writeln!(out, "Try it yourself:  faultline lock --help   faultline smr --help   faultline sweep --help")?;
    Ok(())
}

/// The second result: every built-in protocol run in worlds A, B and C, and the majority quorum
/// under random omissions where no world exists.
fn replication(out: &mut dyn Write) -> io::Result<()> {
    use crate::smr::adversary::FaultModel;
    use crate::smr::protocols::ProtocolKind;
    use crate::smr::run::Driver;
    use crate::smr::stress::{StressConfig, stress};
    use crate::smr::theorem::{Horn, dichotomy};
    use crate::smr::{Cluster, protocols::CommitRule, protocols::Vote};
    writeln!(out, "2. State machine replication with n <= 2f omission faults is impossible.")?;
    writeln!(out, "   In world C, servers 1 and 2 each see exactly what they saw in worlds A and B.")?;
    writeln!(out)?;
    writeln!(out, "Each protocol in worlds A, B and C (lock-step rounds, tau = 3):")?;
    for (n, f) in [(2, 1), (4, 2)] {
        for kind in ProtocolKind::ALL {
            let line = crate::with_protocol!(kind, 3, |p| {
                let d = dichotomy(&p, Cluster::new(n, f), 24, Driver::Loop).expect("n <= 2f");
                let views =
                    if d.ac_difference.is_none() && d.bc_difference.is_none() { "equal" } else { "DIFFER" };
                let horn = match d.horn {
                    Horn::NotLive { world, client } => {
                        format!("not live: c{client} unanswered in world {world}")
                    }
                    Horn::Disagrees { c1, c2 } => {
                        format!("disagrees: in world C c1 is told {c1}, c2 is told {c2}")
                    }
                    Horn::HarnessBug { reason } => format!("BUG IN THE HARNESS: {reason}"),
                    other => crate::report::smr::HornReport::from(&other).to_string(),
                };
                format!("  n={n} f={f}  {:<15} views A~C, B~C {views:<6}  {horn}", kind.name())
            });
            writeln!(out, "{line}")?;
        }
    }
    let three = Cluster::new(3, 1);
    let cfg = StressConfig {
        cluster: three,
        model: FaultModel::Omission,
        q: 0.5,
        rounds: 20,
        runs: 2_000,
        seed: 1,
    };
    let r = stress(&Vote::new(CommitRule::Majority), &cfg).expect("the built-in protocols do not fail");
    writeln!(
        out,
        "  n=3 f=1  no world exists; majority under random omissions (q=0.5, 2000 runs): {} disagreements, {} unanswered",
        r.agreement_violations.count, r.termination_failures.count
    )?;
    Ok(())
}
