//! Reports of the replication laboratory, as `faultline smr` prints them: the worlds
//! ([`worlds_text`]), a stress sweep ([`stress_table`]) and a search ([`search_text`]), each from
//! the library's report types ([`crate::smr::reports`], re-exported here), which are also what
//! `--json` prints.
//!
//! The text is plain, space-aligned columns, as for the lock laboratory: it has to survive `less`,
//! logs and issues. A world reads top to bottom as the proof does: who is faulty and who writes,
//! every message round by round with the omitted ones marked `DROPPED`, what the clients were
//! told, and which properties held.

use super::align;
use super::fraction;
pub mod diagram;

use crate::smr::adversary::FaultModel;
use crate::smr::model::Round;
use crate::smr::replay::Failure;
pub use crate::smr::reports::{
    HornReport, MsgRow, PerClient, ResponseRow, SmrReport, StressRow, WorldReport, report, world_report,
};
use crate::smr::reports::{difference_text, msg_rows};
use crate::smr::run::Driver;
use crate::smr::search::SearchReport;
use crate::smr::spec::Response;
use crate::smr::stress::StressConfig;
use std::collections::BTreeMap;
use std::fmt::{self, Write};

/// `{s1, s2}`, as [`Cluster::names`] writes a set.
fn set(names: &[String]) -> String {
    format!("{{{}}}", names.join(", "))
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

/// The whole text of `faultline smr`: a summary line, each world, then the comparison and horn.
pub fn worlds_text(report: &SmrReport) -> String {
    let mut out = String::new();
    let tau = report.tau.map_or(String::new(), |t| format!(", tau={t}"));
    let model = match report.model {
        FaultModel::Omission => "omission faults",
        FaultModel::Crash => "crash faults",
    };
    let driver = match report.driver {
        Driver::Loop => "loop driver",
        Driver::Threads => "threads driver",
    };
    let rounds = match report.rounds {
        1 => "1 round (0)".to_string(),
        r => format!("{r} rounds (0..{})", r - 1),
    };
    let _ = writeln!(
        out,
        "{}{tau} | n={} servers, f={} | {model} | {rounds} | {driver}",
        report.protocol, report.servers, report.faults,
    );
    for world in report.worlds.values() {
        out.push('\n');
        world_text(&mut out, report, world);
    }
    if report.c_impossible {
        let _ = writeln!(
            out,
            "\nWorld C: not run: crash faults cannot produce it, since it needs servers that keep running \
             while their messages are lost"
        );
    }
    out.push('\n');
    match &report.verdict {
        None => {
            out.push_str(
                "no view comparison and no horn: the argument compares A and B with C, which crash faults \
                 cannot produce\n",
            );
        }
        Some(horn) => comparison_text(&mut out, report, horn),
    }
    out
}

fn world_text(out: &mut String, report: &SmrReport, w: &WorldReport) {
    let _ = writeln!(
        out,
        "World {}: n={}, f={}, G1={}, G2={}",
        w.name,
        report.servers,
        report.faults,
        set(&w.g1),
        set(&w.g2)
    );
    let crashes = if w.crashes.is_empty() {
        String::new()
    } else {
        let each: Vec<String> = w.crashes.iter().map(|(p, r)| format!("{p} from round {r}")).collect();
        format!(", crashed: {}", each.join(", "))
    };
    let _ = writeln!(out, "  faulty: {}{crashes}", set(&w.faulty));
    let inputs: Vec<String> = w
        .inputs
        .each()
        .iter()
        .map(|(c, i)| match i {
            Some(cmd) => format!("{c} writes {cmd}"),
            None => format!("{c} writes nothing"),
        })
        .collect();
    let _ = writeln!(out, "  inputs: {}", inputs.join(", "));
    messages_text(out, report.rounds, &w.rounds, &w.crashes);
    let responses: Vec<String> = w
        .responses
        .each()
        .iter()
        .map(|(c, r)| match r {
            Some(r) => format!("{c}: {} in round {}", r.cmd, r.round),
            None => format!("{c}: no response"),
        })
        .collect();
    let _ = writeln!(out, "  responses: {}", responses.join(", "));
    let _ = writeln!(
        out,
        "  verdict: termination {}, agreement {}, validity {}",
        yes_no(w.termination),
        yes_no(w.agreement),
        yes_no(w.validity)
    );
}

/// The messages grouped by round, silent rounds left out, and one line for the silent tail: after
/// the protocols settle, nothing happens for many rounds, and printing them would bury the rest.
/// For the same reason a run of rounds that repeat the one before (heartbeats) is one line.
fn messages_text(out: &mut String, rounds: Round, messages: &[MsgRow], crashes: &BTreeMap<String, Round>) {
    let width = |f: fn(&MsgRow) -> usize| messages.iter().map(f).max().unwrap_or(0);
    let (from_w, to_w, msg_w) =
        (width(|m| m.from.len()), width(|m| m.to.len()), width(|m| m.msg.chars().count()));
    let line = |m: &MsgRow| {
        let mark = if !m.delivered {
            match crashes.get(&m.to) {
                Some(&at) if at <= m.round + 1 => format!("DROPPED ({} has crashed)", m.to),
                _ => "DROPPED".to_string(),
            }
        } else if m.round + 1 == rounds {
            // Sent in the last round, it would arrive in a round that is never run.
            "(would arrive after the last round)".to_string()
        } else {
            String::new()
        };
        let text = format!("    {:<from_w$} -> {:<to_w$}  {:<msg_w$}  {mark}", m.from, m.to, m.msg);
        text.trim_end().to_string()
    };
    // Only the lines' text is compared, so a message sent in the last round, marked as such, is
    // not taken for a repeat.
    for step in fold_rounds(messages, |m| m.round, line, rounds) {
        match step {
            Folded::Round { round, lines } => {
                let _ = writeln!(out, "  round {round}");
                for l in &lines {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            Folded::Repeats { first, last, of } if first == last => {
                let _ = writeln!(out, "  round {first}: the same as round {of}");
            }
            Folded::Repeats { first, last, of } => {
                let _ = writeln!(out, "  rounds {first}..{last}: each the same as round {of}");
            }
            Folded::Silent { first, last } if first == last => {
                let _ = writeln!(out, "  round {last}: nothing sent");
            }
            Folded::Silent { first, last } => {
                let _ = writeln!(out, "  rounds {first}..{last}: nothing sent");
            }
        }
    }
}

/// The first failing run of a stress row, as `faultline replay smr --stress` prints it: which run,
/// which servers were faulty and which properties failed, then every message round by round with
/// the lost ones marked `DROPPED`, and what the clients were told.
pub fn failure_text<M: fmt::Display>(cfg: &StressConfig, seed: u64, f: &Failure<M>) -> String {
    let yes = |held: bool| if held { "yes" } else { "NO" };
    let cluster = cfg.cluster;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "run {} of {} (seed {seed}) is the first to fail: faulty {}; termination {}, agreement {}, validity {}",
        f.run,
        cfg.runs,
        cluster.names(&f.plan.faulty),
        yes(f.verdict.termination),
        yes(f.verdict.agreement),
        yes(f.verdict.validity),
    );
    let crashes = f.plan.crashes.iter().map(|(&p, &r)| (cluster.name(p), r)).collect();
    messages_text(&mut out, cfg.rounds, &msg_rows(&f.outcome), &crashes);
    let responses: Vec<String> = f
        .outcome
        .responses
        .iter()
        .enumerate()
        .map(|(c, r)| match r {
            Some(r) => format!("c{}: {} in round {}", c + 1, r.cmd, r.round),
            None => format!("c{}: no response", c + 1),
        })
        .collect();
    let _ = writeln!(out, "  responses: {}", responses.join(", "));
    out
}

/// A run's messages, round by round, folded for reading.
#[derive(Debug, Clone, PartialEq)]
pub enum Folded<L> {
    /// A round's messages, as lines.
    Round {
        /// The round.
        round: Round,
        /// Its messages.
        lines: Vec<L>,
    },
    /// Rounds `first..=last` each sent exactly what round `of` sent (heartbeats).
    Repeats {
        /// The first repeating round.
        first: Round,
        /// The last.
        last: Round,
        /// The round they repeat.
        of: Round,
    },
    /// Rounds `first..=last`, the run's tail, sent nothing.
    Silent {
        /// The first silent round.
        first: Round,
        /// The run's last round.
        last: Round,
    },
}

/// Folds `items` (messages in round order, `round_of` each) into rounds of `line`s: silent rounds
/// left out, a run of rounds that repeat the one before as one step, and the silent tail of a run
/// of `rounds` rounds as one step. Every reader of a run (the text report, the diagrams) folds it
/// the same way.
pub fn fold_rounds<T, L: PartialEq + Clone>(
    items: &[T],
    round_of: impl Fn(&T) -> Round,
    line: impl Fn(&T) -> L,
    rounds: Round,
) -> Vec<Folded<L>> {
    let mut out = Vec::new();
    let mut previous: Option<(Round, Vec<L>)> = None;
    // (first round of the repeats, last round, the round they repeat)
    let mut repeats: Option<(Round, Round, Round)> = None;
    for group in items.chunk_by(|a, b| round_of(a) == round_of(b)) {
        let round = round_of(&group[0]);
        let lines: Vec<L> = group.iter().map(&line).collect();
        if let Some((prev, prev_lines)) = &previous
            && *prev + 1 == round
            && *prev_lines == lines
        {
            let first = repeats.map_or(round, |(first, _, _)| first);
            let of = repeats.map_or(*prev, |(_, _, of)| of);
            repeats = Some((first, round, of));
            previous = Some((round, lines));
            continue;
        }
        if let Some((first, last, of)) = repeats.take() {
            out.push(Folded::Repeats { first, last, of });
        }
        previous = Some((round, lines.clone()));
        out.push(Folded::Round { round, lines });
    }
    if let Some((first, last, of)) = repeats {
        out.push(Folded::Repeats { first, last, of });
    }
    let quiet_from = items.last().map_or(0, |m| round_of(m) + 1);
    if rounds > 0 && quiet_from < rounds {
        out.push(Folded::Silent { first: quiet_from, last: rounds - 1 });
    }
    out
}

fn comparison_text(out: &mut String, report: &SmrReport, horn: &HornReport) {
    // Every world has the same groups; the comparison is printed even when no world was.
    let groups = report.worlds.values().next().map(|w| (w.g1.clone(), w.g2.clone()));
    let side = |g: Option<&Vec<String>>, c: &str| {
        g.map_or(String::new(), |g| {
            let mut all = g.clone();
            all.push(c.to_string());
            format!(" = {}", set(&all))
        })
    };
    let sides = [
        ("G1+c1", side(groups.as_ref().map(|g| &g.0), "c1"), "A", &report.first_difference_ac),
        ("G2+c2", side(groups.as_ref().map(|g| &g.1), "c2"), "B", &report.first_difference_bc),
    ];
    for (label, members, world, difference) in sides {
        let what = match difference {
            None => "equal".to_string(),
            Some(d) => difference_text(d, &format!("in {world}"), "in C"),
        };
        let _ = writeln!(out, "views of {label}{members} in {world} and C: {what}");
    }
    match horn {
        HornReport::HarnessBug { .. } => {
            let _ = writeln!(out, "\n{horn}");
        }
        HornReport::NotLive { .. } => {
            let _ = writeln!(out, "horn: {horn}");
            out.push_str(
                "  (answering without the cut-off group would be repeated in C, where the other side answers \
                 too: a disagreement)\n",
            );
        }
        HornReport::Disagrees { .. } => {
            let _ = writeln!(out, "horn: {horn}");
            out.push_str(
                "  (G1+c1 cannot tell C from A, nor G2+c2 C from B, so each side answers as it did alone)\n",
            );
        }
        HornReport::NotDeterministic { .. } | HornReport::Invalid { .. } => {
            let _ = writeln!(out, "outside the theorem: {horn}");
            out.push_str(
                "  (the lower bound is about deterministic protocols that keep Validity: this one is on \
                 neither horn because it is not one of them)\n",
            );
        }
    }
}

/// The stress rows as a table, with a summary of what every row shares and a legend.
pub fn stress_table(rows: &[StressRow]) -> String {
    let mut out = String::new();
    if let Some(r) = rows.first() {
        let (model, faults) = match r.model {
            FaultModel::Omission => {
                ("omission faults", "each message to or from them is lost with probability q")
            }
            FaultModel::Crash => ("crash faults", "each crashes at a random round"),
        };
        let _ = writeln!(
            out,
            "stress: n={} servers, f={} | {model} | {} runs per row, seed {}\n\
             each run: both clients write; 1 to f servers, drawn at random, are faulty; {faults}\n",
            r.servers, r.faults, r.runs, r.seed
        );
    }
    let header = [
        "protocol",
        "tau",
        "q",
        "rounds",
        "disagreements",
        "rate",
        "95% CI",
        "unanswered",
        "rate",
        "95% CI",
        "invalid",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for r in rows {
        let (a, t) = (&r.result.agreement_violations, &r.result.termination_failures);
        let ci =
            |rate: &crate::check::Rate| format!("[{}, {}]", fraction(rate.ci95[0]), fraction(rate.ci95[1]));
        table.push(vec![
            r.protocol.clone(),
            r.tau.map_or("-".to_string(), |t| t.to_string()),
            r.q.map_or("-".to_string(), |q| q.to_string()),
            r.rounds.to_string(),
            a.count.to_string(),
            fraction(a.rate),
            ci(a),
            t.count.to_string(),
            fraction(t.rate),
            ci(t),
            r.result.validity_violations.count.to_string(),
        ]);
    }
    // Names and intervals read left to right; counts, rates and parameters line up on the right.
    let right = [false, true, true, true, true, true, false, true, true, false, true];
    out.push_str(&align(&table, &right));
    out.push_str(
        "\ndisagreements: runs in which c1 and c2 were told different commands (Agreement violated)\n\
         unanswered:    runs in which a client got no response (Termination violated)\n\
         invalid:       runs in which a client was told a command nobody wrote (Validity violated)\n",
    );
    out
}

fn response_text(r: &Option<Response>) -> String {
    r.map_or("no response".into(), |r| format!("{} in round {}", r.cmd, r.round))
}

/// The report as `faultline smr --search` prints it.
pub fn search_text(r: &SearchReport) -> String {
    let mut s = String::new();
    let tau = r.tau.map_or(String::new(), |t| format!(", tau={t}"));
    let _ = writeln!(s, "exhaustive omission search: {}{tau}", r.protocol);
    let _ = writeln!(
        s,
        "cluster: n={} servers, f={} | clients: {} | rounds: {} (0..{})",
        r.servers,
        r.faults,
        r.options
            .inputs
            .iter()
            .enumerate()
            .map(|(j, i)| i.map_or(format!("c{} silent", j + 1), |c| format!("c{} writes {c}", j + 1)))
            .collect::<Vec<_>>()
            .join(", "),
        r.rounds,
        r.rounds.saturating_sub(1)
    );
    let clients = if r.options.clients_may_fail {
        "any message to or from a faulty server, or between a client and a correct server (the client is then faulty)"
    } else {
        "any message to or from a faulty server; clients are correct"
    };
    let _ =
        writeln!(s, "adversary: {} faulty server sets of {}; may lose {clients}", r.server_sets, r.faults);
    let _ = writeln!(
        s,
        "explored: {} omission patterns, {} distinct states, {} transitions",
        r.patterns, r.states, r.transitions
    );
    let v = r.violating;
    let _ = writeln!(
        s,
        "violating patterns: agreement {}, validity {}, termination {}, any {}",
        v.agreement, v.validity, v.termination, v.any
    );
    if r.safe_and_live() {
        let _ = writeln!(s, "verdict: SAFE AND LIVE over every omission pattern of {} rounds", r.rounds);
        return s;
    }
    let broken: Vec<String> = r.witnesses.iter().map(|w| w.property.to_string()).collect();
    let _ = writeln!(s, "verdict: VIOLATED: {}", broken.join(", "));
    for w in &r.witnesses {
        let _ = writeln!(s);
        let _ = writeln!(s, "{} violated with {} lost messages (the fewest):", w.property, w.dropped.len());
        let _ = writeln!(s, "  faulty: {{{}}}", w.faulty.join(", "));
        for d in &w.dropped {
            let _ = writeln!(s, "  round {:>3}  {} -> {}  {}  DROPPED", d.round, d.from, d.to, d.msg);
        }
        if w.dropped.is_empty() {
            let _ = writeln!(s, "  nothing lost");
        }
        let _ = writeln!(
            s,
            "  responses: c1: {}, c2: {}",
            response_text(&w.responses[0]),
            response_text(&w.responses[1])
        );
        let _ = writeln!(
            s,
            "  verdict: termination {}, agreement {}, validity {}",
            yes_no(w.verdict.termination),
            yes_no(w.verdict.agreement),
            yes_no(w.verdict.validity)
        );
        match &w.world_c {
            Some(m) => {
                let renaming = if m.renaming.is_empty() {
                    "world C itself".to_string()
                } else {
                    format!("world C with the servers renamed {}", m.renaming.join(", "))
                };
                let views = match &m.first_difference {
                    None => "every process sees exactly what it sees there".to_string(),
                    Some(d) => format!(
                        "views first differ at {} in round {}: {} here, {} there",
                        d.process,
                        d.round.map_or("-".into(), |r| r.to_string()),
                        d.first,
                        d.second
                    ),
                };
                let _ = writeln!(
                    s,
                    "  world: C up to symmetry ({renaming}): every lost message is on a link it cuts, it tells the clients the same; {views}"
                );
            }
            None => {
                let _ = writeln!(s, "  world: not world C up to a renaming of the servers");
            }
        }
    }
    if let Some(replay) = &r.replay {
        let _ = writeln!(s);
        let _ = writeln!(s, "replay world C: {replay}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smr::Cluster;
    use crate::smr::protocols::{CommitRule, Vote};
    use crate::smr::theorem::dichotomy;
    use crate::smr::world::WorldName;

    fn report(rule: CommitRule) -> SmrReport {
        let p = Vote::new(rule);
        let d = dichotomy(&p, Cluster::new(2, 1), 20, Driver::Loop).unwrap();
        super::report(&p, &d, 20, Driver::Loop, &WorldName::ALL)
    }

    #[test]
    fn world_c_of_commit_alone_reads_like_the_proof() {
        let text = worlds_text(&report(CommitRule::AloneAfter(3)));
        for needle in [
            "World A: n=2, f=1, G1={s1}, G2={s2}",
            "World C",
            "faulty: {s2, c1, c2}",
            "c1 writes C1, c2 writes C2",
            "DROPPED",
            "nothing sent",
            "agreement NO",
            "views of G1+c1 = {s1, c1} in A and C: equal",
            "horn: disagrees: in world C c1 is told C1 and c2 is told C2",
        ] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
    }

    #[test]
    fn a_harness_bug_is_loud() {
        let mut r = report(CommitRule::All);
        assert_eq!(r.harness_bug(), None);
        r.verdict = Some(HornReport::HarnessBug { reason: "views differ".into() });
        assert_eq!(r.harness_bug().as_deref(), Some("BUG IN THE HARNESS: views differ"));
        assert!(worlds_text(&r).contains("\nBUG IN THE HARNESS: views differ\n"));
    }

    #[test]
    fn the_horn_serialises_with_named_commands() {
        let r = report(CommitRule::AloneAfter(3));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["verdict"], serde_json::json!({"horn": "disagrees", "c1": "C1", "c2": "C2"}));
        assert_eq!(v["worlds"]["C"]["responses"]["c1"]["cmd"], "C1");
        assert!(v.get("driver").is_none());
    }
}
