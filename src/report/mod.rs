//! Human-readable reports.
//!
//! [`lock_table`] renders one run of the lock laboratory: a one-line summary of the configuration,
//! a table of every metric with its 95% Wilson interval, latency and availability, how the run
//! ended, and a verdict. Plain text with space-aligned columns, so it survives `less`, logs and
//! copy-paste into issues; the JSON form (`--json`) is the one for programs.
//!
//! [`smr`] renders the replication laboratory's worlds and stress sweeps; [`mermaid`] writes and
//! checks the sequence diagrams of replayed runs.

pub mod advise;
pub mod mermaid;
pub mod results;
pub mod smr;
pub mod timeline;

use crate::check::Rate;
use crate::engine::Ending;
use crate::lock::LockMetrics;
use crate::lock::Target;
use crate::lock::config::ScriptedFault;
use crate::lock::judge::{FindingKind, Property};
use crate::lock::{LockConfig, LockReport, Workload};
use crate::time::Human;
use std::fmt::Write;

/// The report of one run, as `faultline lock` prints it.
pub fn lock_table(report: &LockReport) -> String {
    let (cfg, m) = (&report.config, &report.metrics);
    let mut out = String::new();
    out.push_str(&config_summary(cfg));
    out.push_str("\n\n");

    // Every rate says which estimator made it; under the rare one the counts are the run's own,
    // made under its proposal, and only the rates stand for the law.
    let (count, rate) = match m.rare {
        Some(_) => ("count*", "rate (rare)"),
        None => ("count", "rate (count)"),
    };
    let mut rows: Vec<[String; 5]> = vec![cells(["metric", count, rate, "95% CI", "out of"])];
    rows.push(cells(["acquisitions", &m.acquisitions.to_string(), "", "", ""]));
    let per_acq = format!("{} acquisitions", m.acquisitions);
    rows.push(rate_row("overlaps", &m.rates.overlap, &per_acq));
    rows.push(rate_row("stale accepted", &m.rates.stale_accepted, &per_acq));
    rows.push(rate_row("stale rejected", &m.rates.stale_rejected, &per_acq));
    let per_effect = format!("{} effects", m.effects);
    match cfg.workload {
        Workload::Increment => {
            let per_write = format!("{} accepted writes", m.accepted_writes);
            if m.rare.is_some() {
                // Found only at the end of a run: the estimator cannot weigh them.
                rows.push(cells([
                    "lost updates",
                    &m.lost_updates.to_string(),
                    "-",
                    "not estimated",
                    &per_write,
                ]));
            } else {
                rows.push(rate_row("lost updates", &m.rates.lost_update, &per_write));
            }
            rows.push(rate_row("duplicate effects", &m.rates.duplicate_effect, &per_effect));
            rows.push(rate_row("stale effects", &m.rates.stale_effect, &per_effect));
        }
        Workload::Consensus { .. } => {
            rows.push(rate_row("stale effects", &m.rates.stale_effect, &per_effect));
            let per_instance = format!("{} decided instances", m.instances);
            rows.push(rate_row("disagreements", &m.rates.disagreement, &per_instance));
        }
    }
    rows.push(rate_row("aborts", &m.rates.abort, &per_acq));
    // A handful of clients is no sample: a rate and an interval over them would mislead.
    rows.push(cells(["blocked", &m.blocked.to_string(), "", "", &format!("{} clients", cfg.clients)]));
    rows.push(cells(["stuck", &m.stuck.to_string(), "", "", &format!("{} clients", cfg.clients)]));
    out.push_str(&align(&rows, &[false, true, true, false, false]));
    if let Some(rare) = &m.rare {
        out.push_str(&rare_notes(rare, &cfg.pause));
    }

    let label = |name: &str| format!("{name:<19}");
    out.push('\n');
    let lat = &m.acquire_latency_ns;
    let latency = if m.acquisitions == 0 {
        "no grant was received".to_string()
    } else {
        format!(
            "p50 {}   p99 {}   max {}   mean {}",
            Human(lat.p50),
            Human(lat.p99),
            Human(lat.max),
            Human(lat.mean.round() as u64)
        )
    };
    let proposal = if m.rare.is_some() { " (under the proposal, not the law)" } else { "" };
    let _ = writeln!(out, "{}{latency}{proposal}", label("acquire latency"));
    let _ = writeln!(out, "{}{} of the run{proposal}", label("unavailable"), fraction(m.unavailable));
    let _ = writeln!(
        out,
        "{}{} at {} ({} engine events of a budget of {})",
        label("run"),
        m.ending.describe(),
        Human(m.end_ns),
        m.engine_events,
        cfg.event_budget()
    );
    if let Some(late) = &m.lateness {
        let _ = writeln!(
            out,
            "{}{} (largest gap between when a node was due to act and when its thread did: {} at {})",
            label("engine lateness"),
            Human(late.ns),
            timeline::node_name(late.node, &cfg.topology()),
            Human(late.at)
        );
    }
    if let Some(line) = data_floor(cfg, m) {
        let _ = writeln!(out, "{}{line}", label("pause data"));
    }
    out.push('\n');
    let verdict = LockVerdict::of(cfg, m);
    for line in verdict.lines() {
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(late) = &m.lateness
        && !verdict.safety.is_empty()
        && !cfg.injects_faults()
    {
        out.push_str(&machine_made(late.ns));
        out.push('\n');
    }
    out
}

/// What a violation in a run with no injected fault owes to the machine: the model had nothing
/// to break the lock with, so the threads engine's own lateness is the only pause there was.
pub fn machine_made(lateness: crate::time::Nanos) -> String {
    format!(
        "no fault was injected: the violation came from the machine, which was {} late (a holder paused by the scheduler is a paused holder)",
        Human(lateness)
    )
}

/// What the rare-event estimator did, under its table: the proposal, the weights, the effective
/// samples of each rate it made, what it left to counting, and every doubt.
fn rare_notes(rare: &crate::lock::rare::RareReport, law: &crate::fault::Dist) -> String {
    let mut out = format!(
        "* rates by importance sampling (--estimator rare): 1 stall in {:.0} drawn beyond {} \
         (P = {} under {law}), a finding near such a stall weighted {}; the counts are this run's, \
         under that proposal\n",
        1.0 / rare.share,
        Human(rare.threshold_ns),
        fraction(rare.tail_mass),
        fraction(rare.long_weight),
    );
    let ess: Vec<String> = rare
        .kinds
        .iter()
        .filter(|(_, w)| w.ess > 0.0)
        .map(|(name, w)| format!("{} {:.0}", name.replace('_', " "), w.ess))
        .collect();
    if !ess.is_empty() {
        let _ = writeln!(out, "  effective samples: {}", ess.join(", "));
    }
    let _ = writeln!(
        out,
        "  {} long stalls, {} of them breaking the lock; counted, not estimated: {}",
        rare.long_stalls,
        rare.long_hits,
        rare.not_estimated.join(", ")
    );
    for doubt in &rare.doubts {
        let _ = writeln!(out, "  NOT TO BE TRUSTED: {doubt}");
    }
    out
}

/// For stalls drawn from a log's pauses without a tail model (`--pause file:PATH`): the smallest
/// rate they support, `1/n`, and whether the measured overlap rate is below it, which is beyond
/// what the data supports (no draw exceeds the largest pause, so a rarer stall never happens).
fn data_floor(cfg: &LockConfig, m: &LockMetrics) -> Option<String> {
    let floor = cfg.pause.supported_floor()?;
    let mut line = format!("a rate below {floor:.3e} per stall is beyond what the pauses support");
    if m.acquisitions > 0 && m.rates.overlap.rate < floor {
        let _ = write!(
            line,
            "; the overlap rate {:.3e} is below it (file+tail:PATH fits a tail that reaches further)",
            m.rates.overlap.rate
        );
    }
    Some(line)
}

/// One line naming what ran: variant, engine, clients, L, m, D, w, pauses, faults, workload, seed.
pub fn config_summary(cfg: &LockConfig) -> String {
    let opt = |d: Option<u64>| d.map_or_else(|| "none".to_string(), |d| Human(d).to_string());
    let mut timing = format!(
        "L={} m={} D={} w={}",
        opt(cfg.lease),
        opt(cfg.margin),
        Human(cfg.lock_delay),
        Human(cfg.work)
    );
    if cfg.variant.preemptive() && cfg.timer_start == crate::lock::TimerStart::Request {
        timing.push_str(" countdown-from-request");
    }
    if cfg.renew > 0 {
        let _ = write!(timing, " renew={}", Human(cfg.renew));
    }
    let pause = if cfg.pause.is_none() {
        "no pauses".to_string()
    } else {
        format!("pause {} at {:?}", cfg.pause, cfg.pause_at)
    };
    let work = match cfg.workload {
        Workload::Increment => format!("increment x{} acquisitions", cfg.acquisitions),
        Workload::Consensus { decide_by } => {
            format!("consensus x{} decide-by {}", cfg.instances, format!("{decide_by:?}").to_lowercase())
        }
    };
    let engine = format!("{:?}", cfg.engine).to_lowercase();
    let servers = if cfg.servers > 1 { format!("{} servers, ", cfg.servers) } else { String::new() };
    format!(
        "{} on {engine} | {servers}{} clients | {timing} | {pause} | faults: {} | {work} | seed {}",
        cfg.variant.name(),
        cfg.clients,
        faults(cfg),
        cfg.seed
    )
}

/// The faults beyond the stall distribution, or `none`.
fn faults(cfg: &LockConfig) -> String {
    let mut parts = Vec::new();
    for s in &cfg.script {
        parts.push(match s.fault {
            ScriptedFault::Crash => format!("client {} crashes after grant {}", s.client + 1, s.acquisition),
            ScriptedFault::Stall(d) => {
                format!(
                    "client {} stalls {} at {:?} of grant {}",
                    s.client + 1,
                    Human(d),
                    s.at,
                    s.acquisition
                )
            }
        });
    }
    for p in &cfg.partitions {
        let between = match p.between {
            [Target::FIRST_CLIENT, Target::ALL_SERVERS] => "client 1 cut from lock".to_string(),
            [Target::FIRST_CLIENT, Target::STORAGE] => "client 1 cut from storage".to_string(),
            [a, b] => format!("{a} cut from {b}"),
        };
        parts.push(format!("{between} {}..{}", Human(p.from), Human(p.until)));
    }
    parts.extend(cfg.faults.iter().map(|f| f.to_string()));
    if cfg.drift > 0.0 {
        parts.push(format!("drift {}", cfg.drift));
    }
    let link = &cfg.link;
    if !link.is_perfect() {
        let mut what = Vec::new();
        if link.drop > 0.0 {
            what.push(format!("drop {}", link.drop));
        }
        if !link.delay.is_none() {
            what.push(format!("delay {}", link.delay));
        }
        if link.duplicate > 0.0 {
            what.push(format!("duplicate {}", link.duplicate));
        }
        if link.reorder > 0.0 {
            what.push(format!("reorder {} within {}", link.reorder, Human(link.reorder_window)));
        }
        let scope = &cfg.links;
        let on: Vec<&str> = [("lock", scope.lock), ("storage", scope.storage), ("effect", scope.effect)]
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect();
        let on = if on.len() == 3 { "all".to_string() } else { on.join(",") };
        parts.push(format!("{} on {on} links", what.join(" ")));
    }
    if parts.is_empty() { "none".to_string() } else { parts.join(", ") }
}

/// True when the verdict reports safety or liveness violated.
pub fn violated(cfg: &LockConfig, m: &LockMetrics) -> bool {
    LockVerdict::of(cfg, m).violated()
}

/// The verdict lines: which safety metrics were violated, whether anyone was left blocked or
/// stuck, and whether the run was cut short before its workload was done.
pub fn verdict(cfg: &LockConfig, m: &LockMetrics) -> Vec<String> {
    LockVerdict::of(cfg, m).lines()
}

/// What a run's findings, counted, say about it: each kind of finding with its count, sorted by
/// the property it breaks ([`FindingKind::breaks`], the judge's rule), and how the run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct LockVerdict {
    /// Kinds that break safety, with their counts (none zero).
    pub safety: Vec<(FindingKind, u64)>,
    /// Kinds that break liveness, with their counts (none zero).
    pub liveness: Vec<(FindingKind, u64)>,
    /// Kinds worth saying that break nothing, with their counts (none zero).
    pub harmless: Vec<(FindingKind, u64)>,
    /// The event budget ran out: the nodes kept busy without finishing (a liveness failure the
    /// engine, not a finding, shows).
    pub budget_spent: bool,
    /// Why the run stopped before its workload was done, if it did.
    pub cut_short: Option<&'static str>,
    /// Acquisitions made and planned.
    pub acquisitions: (u64, u64),
    /// Events the engine processed.
    pub events: u64,
}

impl LockVerdict {
    /// The verdict on metrics `m` of a run of `cfg`.
    pub fn of(cfg: &LockConfig, m: &LockMetrics) -> Self {
        let counted = |property: Option<Property>| {
            FindingKind::ALL
                .into_iter()
                .filter(|k| k.breaks() == property && *k != FindingKind::Abort)
                .map(|k| (k, m.count(k)))
                .filter(|&(_, n)| n > 0)
                .collect()
        };
        LockVerdict {
            safety: counted(Some(Property::Safety)),
            liveness: counted(Some(Property::Liveness)),
            harmless: counted(None),
            budget_spent: m.ending == Ending::EventBudget,
            cut_short: match m.ending {
                Ending::Horizon => Some("the horizon cut the run short"),
                Ending::Quiescent => Some("the run went quiescent (nothing left to happen)"),
                Ending::Finished | Ending::EventBudget => None,
            },
            acquisitions: (m.acquisitions, cfg.planned_acquisitions()),
            events: m.engine_events,
        }
    }

    /// Safety or liveness was violated.
    pub fn violated(&self) -> bool {
        !self.safety.is_empty() || !self.liveness.is_empty() || self.budget_spent
    }

    /// The verdict in lines, as `faultline lock` prints it.
    pub fn lines(&self) -> Vec<String> {
        let words = |list: &[(FindingKind, u64)]| -> Vec<String> {
            list.iter()
                .map(|&(kind, n)| {
                    let (one, many) = kind.words();
                    format!("{n} {}", if n == 1 { one } else { many })
                })
                .collect()
        };
        let (done, planned) = self.acquisitions;
        // Refused stale accesses are fencing doing its job, and an overlap whose holder aborted
        // before acting did no harm; both are worth saying, neither is a violation.
        let harmless = words(&self.harmless);
        let harmless =
            if harmless.is_empty() { String::new() } else { format!(" ({})", harmless.join("; ")) };
        let mut lines = Vec::new();
        if !self.safety.is_empty() {
            lines.push(format!("SAFETY VIOLATED: {}{harmless}", words(&self.safety).join(", ")));
        }
        let mut unlive = words(&self.liveness);
        if self.budget_spent {
            unlive.push(format!(
                "the event budget ({} events) ran out after {done} of the {planned} planned acquisitions: the nodes kept busy without finishing (a livelock or a flood of messages); the figures are those so far",
                self.events
            ));
        }
        if !unlive.is_empty() {
            lines.push(format!("LIVENESS VIOLATED: {}", unlive.join(", ")));
        }
        if lines.is_empty() {
            lines.push(format!("safe and live in this run{harmless}"));
        }
        if let Some(why) = self.cut_short {
            lines.push(format!("UNFINISHED: {why} after {done} of the {planned} planned acquisitions"));
        }
        lines
    }
}

fn cells(texts: [&str; 5]) -> [String; 5] {
    texts.map(str::to_string)
}

fn rate_row(name: &str, r: &Rate, of: &str) -> [String; 5] {
    if r.of == 0 {
        return cells([name, &r.count.to_string(), "-", "-", of]);
    }
    let ci = format!("[{}, {}]", fraction(r.ci95[0]), fraction(r.ci95[1]));
    cells([name, &r.count.to_string(), &fraction(r.rate), &ci, of])
}

/// A rate with at least four decimals and three significant digits, so that 2e-5 does not print
/// as 0.0000 and 0.3679 does not print as 0.368.
pub fn fraction(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    if !x.is_finite() {
        return x.to_string();
    }
    // The rare-event estimator reaches rates whose decimals would be mostly zeros.
    if x.abs() < 1e-5 {
        return format!("{x:.3e}");
    }
    let digits = (2 - x.abs().log10().floor() as i32).clamp(4, 12) as usize;
    format!("{x:.digits$}")
}

/// Columns: the first left-aligned, numbers right-aligned, the interval and denominator left.
/// Rows of cells as space-separated columns, each as wide as its widest cell, right-aligned where
/// `right` says so; trailing spaces trimmed.
pub(crate) fn align<R: AsRef<[String]>>(rows: &[R], right: &[bool]) -> String {
    let mut width = vec![0usize; right.len()];
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row.as_ref()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .as_ref()
            .iter()
            .zip(&width)
            .zip(right)
            .map(|((cell, &w), &right)| if right { format!("{cell:>w$}") } else { format!("{cell:<w$}") })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_keep_small_rates_visible() {
        assert_eq!(fraction(0.0), "0");
        assert_eq!(fraction(0.3679), "0.3679");
        assert_eq!(fraction(1.0), "1.0000");
        assert_eq!(fraction(0.000123), "0.000123");
        assert_eq!(fraction(0.02), "0.0200");
    }

    #[test]
    fn a_default_run_renders_every_metric() {
        let mut cfg = LockConfig::new(crate::lock::Variant::LEASE, crate::lock::EngineKind::Sim);
        cfg.acquisitions = 500;
        let report = crate::lock::run(&cfg).unwrap();
        let table = lock_table(&report);
        for name in [
            "lease on sim",
            "overlaps",
            "stale accepted",
            "lost updates",
            "duplicate effects",
            "aborts",
            "blocked",
        ] {
            assert!(table.contains(name), "{name} missing from\n{table}");
        }
        assert!(table.contains("SAFETY VIOLATED") || table.contains("safe and live"), "{table}");
    }
}
