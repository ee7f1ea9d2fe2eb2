//! Timelines as people read them: a replayed window around a run's first violation
//! ([`crate::lock::timeline`]) as text or as a Mermaid sequence diagram, and a run's happenings
//! as a plain timeline (Kleppmann's, in the demonstration). Every happening is worded by one
//! function, [`describe`], so the replay and the trace say the same thing the same way.

use super::mermaid::{Arrow, Diagram};
use crate::engine::FaultEvent;
use crate::lock::judge::Finding;
use crate::lock::msg::{Exit, LockEvent, Op, Token};
use crate::lock::timeline::Window;
use crate::lock::topology::{Role, Topology};
use crate::lock::trace::{Happening, Moment};
use crate::node::NodeId;
use crate::time::{Human, Nanos};
use std::collections::HashMap;
use std::fmt::{self, Write};

/// What `faultline replay` prints for a run without a violation.
pub const CLEAN: &str =
    "no violation: no overlap, stale access, stale or duplicate SMS, or disagreement in this run\n";

/// A violation in a few words.
pub fn kind(violation: &Finding) -> &'static str {
    match *violation {
        Finding::Overlap { .. } => "overlap",
        Finding::StaleAccess { op: Op::Write(_), accepted: true, .. } => "stale write accepted (lost update)",
        Finding::StaleAccess { accepted: true, .. } => "stale read accepted",
        Finding::StaleAccess { accepted: false, .. } => "stale access rejected",
        Finding::StaleEffect { .. } => "stale effect",
        Finding::DuplicateEffect { .. } => "duplicate effect",
        Finding::Disagreement { .. } => "disagreement",
        Finding::OverlapSettled { .. } => "overlap settled",
        Finding::Abort { .. } => "abort",
        Finding::LostUpdates { .. } => "lost updates",
        Finding::Blocked { .. } => "blocked",
        Finding::Stuck { .. } => "stuck",
    }
}

/// The nodes a violation is about, lowest first.
fn involved(violation: &Finding, t: &Topology) -> Vec<NodeId> {
    let mut nodes = match *violation {
        Finding::Overlap { client, holder, .. } => vec![t.client(client), t.client(holder)],
        Finding::StaleAccess { client, .. } => vec![t.storage(), t.client(client)],
        Finding::StaleEffect { client, .. } | Finding::DuplicateEffect { client, .. } => {
            vec![t.outbox(), t.client(client)]
        }
        _ => violation.client().map(|c| vec![t.client(c)]).unwrap_or_else(|| vec![t.storage()]),
    };
    nodes.sort_unstable();
    nodes
}

/// A finding in a sentence. Clients are counted from 1, as people count them.
pub struct Said<'a>(pub &'a Finding);

impl fmt::Display for Said<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            Finding::Overlap { client, token, holder, held, .. } => write!(
                f,
                "client {} entered with token {token} while client {} was still inside with token {held}",
                client + 1,
                holder + 1
            ),
            Finding::StaleAccess { client, token, op, accepted, .. } => {
                let what = match op {
                    Op::Read => "read".to_string(),
                    Op::Write(v) => format!("wrote {v}"),
                };
                let verdict = if accepted { "storage accepted it" } else { "storage rejected it (fencing)" };
                write!(
                    f,
                    "client {} {what} with token {token} after another client had entered, and {verdict}",
                    client + 1
                )
            }
            Finding::StaleEffect { client, token, value } => write!(
                f,
                "the outbox sent client {}'s SMS {value} (token {token}) after another client had entered",
                client + 1
            ),
            Finding::DuplicateEffect { client, token, value } => write!(
                f,
                "the outbox sent client {}'s SMS {value} (token {token}), a value an earlier SMS carried",
                client + 1
            ),
            Finding::Disagreement { client, instance, value, earlier } => write!(
                f,
                "client {} decided {value} in instance {instance}, which was already decided {earlier}",
                client + 1
            ),
            Finding::OverlapSettled { holder, harmless } => {
                let how = if harmless { "harmless: it aborted before acting" } else { "harmful" };
                write!(f, "the overlap of client {}'s section was {how}", holder + 1)
            }
            Finding::Abort { client, token } => {
                write!(f, "client {} aborted at its margin check (token {token})", client + 1)
            }
            Finding::LostUpdates { count } => {
                write!(f, "{count} accepted updates are missing from the counter")
            }
            Finding::Blocked { client } => write!(f, "client {} still waits for the lock", client + 1),
            Finding::Stuck { client } => write!(f, "client {} is stuck inside its section", client + 1),
        }
    }
}

/// The first violation of a replay as text, or [`CLEAN`].
pub fn first_text(first: Option<&Window>) -> String {
    first.map_or_else(|| CLEAN.to_string(), text)
}

/// A run's happenings as a timeline, times from the first one.
pub fn plain(moments: &[Moment], t: &Topology) -> String {
    let start = moments.first().map_or(0, |e| e.at);
    let mut text = String::new();
    for e in moments {
        let _ = writeln!(text, "  +{:<8} {}", Human(e.at - start).to_string(), describe(e, t, Some(start)));
    }
    text
}

/// A node as a report names it: by its role.
pub(crate) fn node_name(node: NodeId, t: &Topology) -> String {
    match t.role(node) {
        Some(Role::Server(_)) if t.servers == 1 => "lock service".to_string(),
        Some(Role::Server(i)) => format!("lock server {}", i + 1),
        Some(Role::Storage) => "storage".to_string(),
        Some(Role::Outbox) => "outbox".to_string(),
        Some(Role::Client(i)) => format!("client {}", i + 1),
        None => format!("node {node}"),
    }
}

fn key_suffix(key: u64) -> String {
    if key == 0 { String::new() } else { format!(" (key {key})") }
}

/// One happening in words, without its time; a time it names is true time, or `+` the time since
/// `origin` when a timeline counts from there.
pub fn describe(e: &Moment, t: &Topology, origin: Option<Nanos>) -> String {
    let c = |client: usize| client + 1;
    match e.what {
        Happening::Event(event) => match event {
            LockEvent::Requested { client } => format!("client {} asks for the lock", c(client)),
            LockEvent::Granted { client, token } => {
                format!("{} grants token {token} to client {}", node_name(e.node, t), c(client))
            }
            LockEvent::Freed { token, expired: true } => format!("lease of token {token} expires"),
            LockEvent::Freed { token, expired: false } => format!("lock service takes back token {token}"),
            LockEvent::Entered { client, token } => {
                format!("client {} receives token {token} and is inside", c(client))
            }
            LockEvent::Left { client, token, exit } => match exit {
                Exit::Released => format!("client {} leaves and releases token {token}", c(client)),
                Exit::Aborted => {
                    format!("client {} aborts at its margin check and releases token {token}", c(client))
                }
                Exit::Rejected => {
                    format!("client {} gives up (storage refused token {token}) and releases", c(client))
                }
            },
            LockEvent::Accessed { client, token, key, op, accepted } => {
                let verdict = if accepted { "accepted" } else { "REJECTED (stale token)" };
                let what = match op {
                    Op::Read => "reads".to_string(),
                    Op::Write(v) => format!("writes {v}"),
                };
                format!(
                    "storage: client {} {what}{} with token {token}: {verdict}",
                    c(client),
                    key_suffix(key)
                )
            }
            LockEvent::Effect { client, token, key, value, .. } => {
                format!(
                    "outbox: SMS {value}{} sent for client {} (token {token})",
                    key_suffix(key),
                    c(client)
                )
            }
            LockEvent::Decided { client, instance, value } => {
                format!("client {} decides {value} in instance {instance}", c(client))
            }
            LockEvent::Finished { client } => format!("client {} has done its share", c(client)),
        },
        Happening::Fault(fault) => {
            let who = node_name(e.node, t);
            match fault {
                FaultEvent::StallBegin { until } => match origin {
                    Some(origin) => format!("{who} freezes until +{}", Human(until.saturating_sub(origin))),
                    None => format!("{who} freezes until {}", Human(until)),
                },
                FaultEvent::StallEnd => format!("{who} wakes up"),
                FaultEvent::Crash => format!("{who} crashes"),
                FaultEvent::ClockJump { by } => format!("{who}'s clock jumps {}", signed(by)),
            }
        }
    }
}

/// One line per happening, with its true time; the violating one marked, and for an overlap
/// the holder's first act after it.
pub fn text(w: &Window) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "first violation ({}) at {}: {}",
        kind(&w.violation),
        Human(w.time()),
        Said(&w.violation)
    );
    let _ = writeln!(
        out,
        "{} happenings before it and {} after, at true time:",
        w.at,
        w.moments.len() - w.at - 1
    );
    let width = w
        .moments
        .iter()
        .chain(w.later.as_ref().map(|l| &l.moment))
        .map(|e| Human(e.at).to_string().len())
        .max()
        .unwrap_or(0);
    let line = |out: &mut String, mark: &str, e: &Moment, note: &str| {
        let _ = writeln!(
            out,
            "{mark} {:>width$}  {}{note}",
            Human(e.at).to_string(),
            describe(e, &w.topology, None)
        );
    };
    let acts = w.holder().map(|h| format!("   <- client {} acts on the lock it lost", h + 1));
    let harm = w.harm();
    for (i, e) in w.moments.iter().enumerate() {
        if i == w.at {
            line(&mut out, "=>", e, "   <- VIOLATION");
        } else if Some(i) == harm {
            line(&mut out, "=>", e, acts.as_deref().unwrap_or_default());
        } else {
            line(&mut out, "  ", e, "");
        }
    }
    if let Some(later) = &w.later {
        let _ = writeln!(out, "   ... {} happenings later ...", later.skipped);
        line(&mut out, "=>", &later.moment, acts.as_deref().unwrap_or_default());
    }
    out
}

/// The window as a Mermaid sequence diagram: the lock service, storage, the outbox and the
/// clients involved; times as `+Δ` from the window's first happening.
pub fn mermaid(w: &Window) -> String {
    let all = || w.moments.iter().chain(w.later.as_ref().map(|l| &l.moment));
    let mut clients: Vec<usize> = all()
        .filter_map(|e| match e.what {
            Happening::Event(event) => event.client(),
            Happening::Fault(_) => w.topology.client_of(e.node),
        })
        .chain(involved(&w.violation, &w.topology).into_iter().filter_map(|n| w.topology.client_of(n)))
        .collect();
    clients.sort_unstable();
    clients.dedup();
    let mut d = Diagram::new();
    let servers = match w.topology.servers {
        1 => "lock service".to_string(),
        k => format!("lock servers 1-{k}"),
    };
    d.participant("L", Some(&servers));
    d.participant("S", Some("storage"));
    d.participant("O", Some("outbox (SMS)"));
    for &c in &clients {
        d.participant(&format!("C{}", c + 1), Some(&format!("client {}", c + 1)));
    }
    let last = clients.last().map_or("O".to_string(), |c| format!("C{}", c + 1));
    let origin = w.moments.first().map_or(0, |e| e.at);
    d.note_over(
        "L",
        Some(&last),
        &format!(
            "first violation ({}) at {} of true time. Times are counted from {}",
            kind(&w.violation),
            Human(w.time()),
            Human(origin)
        ),
    );
    let t = &w.topology;
    let vnodes = involved(&w.violation, t);
    let (v_from, v_to) = (participant(vnodes[0], t), participant(vnodes[vnodes.len() - 1], t));
    let mut drawer = Drawer { origin, topology: *t, granted_at: HashMap::new(), released_at: HashMap::new() };
    let harm = w.harm();
    let acts = |d: &mut Diagram, drawer: &mut Drawer, e: &Moment| {
        d.rect((255, 238, 204));
        drawer.draw(d, e);
        if let Some(h) = w.holder() {
            let text = format!("client {} acts on the lock it lost", h + 1);
            d.note_over(&participant(t.client(h), t), None, &text);
        }
        d.end();
    };
    for (i, e) in w.moments.iter().enumerate() {
        if i == w.at {
            d.rect((255, 221, 221));
            drawer.draw(&mut d, e);
            d.note_over(
                &v_from,
                Some(&v_to),
                &format!("VIOLATION ({}) - {}", kind(&w.violation), Said(&w.violation)),
            );
            d.end();
        } else if Some(i) == harm {
            acts(&mut d, &mut drawer, e);
        } else {
            drawer.draw(&mut d, e);
        }
    }
    if let Some(later) = &w.later {
        d.note_over("L", Some(&last), &format!("... {} happenings later ...", later.skipped));
        acts(&mut d, &mut drawer, &later.moment);
    }
    d.finish()
}

/// The diagram id of a node: the lock servers share one lane.
fn participant(node: NodeId, t: &Topology) -> String {
    match t.role(node) {
        Some(Role::Server(_)) | None => "L".to_string(),
        Some(Role::Storage) => "S".to_string(),
        Some(Role::Outbox) => "O".to_string(),
        Some(Role::Client(i)) => format!("C{}", i + 1),
    }
}

/// A clock jump as people write it: `+5ms`, `-1ms`.
fn signed(by: i64) -> String {
    let sign = if by < 0 { "-" } else { "+" };
    format!("{sign}{}", Human(by.unsigned_abs()))
}

/// Draws happenings one by one, remembering just enough (within the window) to leave out a
/// receipt or a release the line before already shows.
struct Drawer {
    origin: Nanos,
    topology: Topology,
    granted_at: HashMap<Token, Nanos>,
    released_at: HashMap<Token, Nanos>,
}

impl Drawer {
    fn draw(&mut self, d: &mut Diagram, e: &Moment) {
        let t = format!("+{}", Human(e.at.saturating_sub(self.origin)));
        let topology = self.topology;
        let me = participant(e.node, &topology);
        let cl = |client: usize| participant(topology.client(client), &topology);
        match e.what {
            Happening::Event(event) => match event {
                LockEvent::Requested { client } => {
                    d.message(&cl(client), "L", Arrow::Solid, &format!("{t} request"))
                }
                LockEvent::Granted { client, token } => {
                    self.granted_at.insert(token, e.at);
                    d.message("L", &cl(client), Arrow::Solid, &format!("{t} grant token {token}"));
                }
                LockEvent::Freed { token, expired: true } => {
                    d.note_over("L", None, &format!("{t} lease of token {token} expires"))
                }
                LockEvent::Freed { token, expired: false } => {
                    if self.released_at.get(&token) != Some(&e.at) {
                        d.note_over("L", None, &format!("{t} release of token {token} arrives"));
                    }
                }
                LockEvent::Entered { client, token } => {
                    if self.granted_at.get(&token) != Some(&e.at) {
                        d.note_over(&cl(client), None, &format!("{t} receives token {token}, inside"));
                    }
                }
                LockEvent::Left { client, token, exit } => {
                    self.released_at.insert(token, e.at);
                    let why = match exit {
                        Exit::Released => String::new(),
                        Exit::Aborted => "margin check failed, aborts, ".to_string(),
                        Exit::Rejected => "refused by storage, gives up, ".to_string(),
                    };
                    d.message(&cl(client), "L", Arrow::Dotted, &format!("{t} {why}release token {token}"));
                }
                LockEvent::Accessed { client, token, key, op, accepted } => {
                    let what = match op {
                        Op::Read => "read".to_string(),
                        Op::Write(v) => format!("write {v}"),
                    };
                    let (arrow, verdict) =
                        if accepted { (Arrow::Solid, "accepted") } else { (Arrow::Lost, "REJECTED") };
                    let label = format!("{t} {what}{}, token {token}, {verdict}", key_suffix(key));
                    d.message(&cl(client), "S", arrow, &label);
                }
                LockEvent::Effect { client, token, key, value, .. } => {
                    let label = format!("{t} SMS {value}{} sent (token {token})", key_suffix(key));
                    d.message(&cl(client), "O", Arrow::Solid, &label);
                }
                LockEvent::Decided { client, instance, value } => {
                    d.note_over(&cl(client), None, &format!("{t} decides {value} in instance {instance}"))
                }
                LockEvent::Finished { client } => d.note_over(&cl(client), None, &format!("{t} done")),
            },
            Happening::Fault(fault) => {
                let text = match fault {
                    FaultEvent::StallBegin { until } => {
                        format!("{t} freezes until +{}", Human(until.saturating_sub(self.origin)))
                    }
                    FaultEvent::StallEnd => format!("{t} wakes up"),
                    FaultEvent::Crash => format!("{t} CRASHES"),
                    FaultEvent::ClockJump { by } => format!("{t} clock jumps {}", signed(by)),
                };
                d.note_over(&me, None, &text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Observer;
    use crate::lock::timeline::Recorder;
    use crate::lock::{EngineKind, LockConfig, Variant};

    // The one-server world's numbering (Topology).
    const SERVER: NodeId = 0;
    const STORAGE: NodeId = 1;
    const OUTBOX: NodeId = 2;

    /// A recorder fed by hand, one happening a nanosecond.
    struct Feed {
        rec: Recorder,
        now: Nanos,
    }

    impl Feed {
        fn ev(&mut self, node: NodeId, e: LockEvent) -> &mut Self {
            self.now += 1;
            self.rec.observe(self.now, node, &e);
            self
        }
        fn client(&mut self, client: usize, e: LockEvent) -> &mut Self {
            self.ev(3 + client, e)
        }
        fn fault(&mut self, client: usize, f: FaultEvent) -> &mut Self {
            self.now += 1;
            self.rec.fault(self.now, 3 + client, f);
            self
        }
    }

    const READ: LockEvent = LockEvent::Accessed { client: 0, token: 1, key: 0, op: Op::Read, accepted: true };

    fn w_overlap_touched() -> Window {
        let cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
        let mut f = Feed { rec: Recorder::new(&cfg, 40).unwrap(), now: 0 };
        f.ev(SERVER, LockEvent::Granted { client: 0, token: 1 })
            .client(0, LockEvent::Entered { client: 0, token: 1 })
            .ev(STORAGE, READ)
            .fault(0, FaultEvent::StallBegin { until: 100 })
            .ev(SERVER, LockEvent::Freed { token: 1, expired: true })
            .ev(SERVER, LockEvent::Granted { client: 1, token: 2 })
            .client(1, LockEvent::Entered { client: 1, token: 2 })
            .fault(0, FaultEvent::StallEnd)
            .ev(
                STORAGE,
                LockEvent::Accessed { client: 0, token: 1, key: 0, op: Op::Write(1), accepted: true },
            )
            .ev(OUTBOX, LockEvent::Effect { client: 0, token: 1, key: 0, value: 1, section: 1 });
        f.rec.finish().expect("an overlap")
    }

    #[test]
    fn a_clean_replay_says_so() {
        assert_eq!(first_text(None), CLEAN);
    }

    #[test]
    fn both_renderings_mark_the_violation_and_the_diagram_checks() {
        let w = w_overlap_touched();
        let text = text(&w);
        assert!(
            text.starts_with(
                "first violation (overlap) at 7ns: client 2 entered with token 2 while client 1 was still inside with token 1"
            )
        );
        assert!(text.contains("   6ns  lock service grants token 2 to client 2\n"), "{text}");
        assert!(text.contains("=>  7ns  client 2 receives token 2 and is inside   <- VIOLATION\n"), "{text}");
        assert!(text.contains("   4ns  client 1 freezes until 100ns\n"), "{text}");
        assert!(
            text.contains("=>  9ns  storage: client 1 writes 1 with token 1: accepted   <- client 1 acts on the lock it lost\n"),
            "its first act after the grant is pointed at: {text}"
        );
        assert_eq!(text.matches("<-").count(), 2, "{text}");
        let mermaid = mermaid(&w);
        assert_eq!(super::super::mermaid::check(&mermaid), Ok(()), "{mermaid}");
        for needle in [
            "participant C1 as client 1\n",
            "participant C2 as client 2\n",
            "L->>C2: +5ns grant token 2\n",
            "Note over C1: +3ns freezes until +99ns\n",
            "Note over L: +4ns lease of token 1 expires\n",
            "Note over C1,C2: VIOLATION (overlap) - client 2 entered with token 2 while client 1",
            "        C1->>S: +8ns write 1, token 1, accepted\n        Note over C1: client 1 acts on the lock it lost\n",
            "C1->>O: +9ns SMS 1 sent (token 1)\n",
        ] {
            assert!(mermaid.contains(needle), "{needle} missing from\n{mermaid}");
        }
        // Every happening of this feed has a time of its own, so the receipt of a grant is drawn too.
        assert!(mermaid.contains("Note over C2: +6ns receives token 2, inside\n"), "{mermaid}");
    }
}
