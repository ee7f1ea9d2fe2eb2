//! Faults aimed at nodes: what `--crash`, `--stall`, `--clock-jump`, `--clock-drift` and
//! `--partition` say, parsed, printed and serialised as the flags' own text.
//!
//! | flag | form | meaning |
//! |---|---|---|
//! | `--crash` | `N`, `client:I@N` | client I (1 if not named) crashes just after its N-th grant, holding the lock |
//! | `--crash` | `TARGET@TIME` | the node(s) crash at true time TIME (`@0` is the start; a named client's crash at the start is written `@0s`) |
//! | `--stall` | `TARGET:DUR@TIME` | the node(s) freeze for DUR from true time TIME: no messages, no timers |
//! | `--clock-jump` | `TARGET:±DUR@TIME` | the node(s)' clocks jump by DUR at true time TIME; their timers follow their clocks |
//! | `--clock-drift` | `TARGET:RHO` | the node(s)' clocks run at `1 - RHO` (RHO in (-1, 1): negative runs fast) |
//! | `--partition` | `A\|B:FROM..UNTIL` | every message between a node of A and a node of B is lost in the window |
//! | `--partition` | `lock:FROM..UNTIL`, `storage:FROM..UNTIL` | short for `client:1\|server:*` and `client:1\|storage` |
//!
//! TARGET is a [`Target`]: `server:2`, `server:*`, `client:1`, `client:*`, `storage`, `outbox`.

use super::topology::{Target, TargetRole, Topology};
use crate::input::Quoted;
use crate::node::NodeId;
use crate::node::PausePoint;
use crate::time::{Exact, Nanos, parse_duration};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A window of true time in which every message between a node of `between[0]` and a node of
/// `between[1]` is lost, both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// The two sides.
    pub between: [Target; 2],
    /// Start of the window.
    pub from: Nanos,
    /// End of the window (exclusive).
    pub until: Nanos,
}

impl Partition {
    /// Client 1 cut off from every lock server in `from..until` (`lock:FROM..UNTIL`).
    pub fn from_lock(from: Nanos, until: Nanos) -> Partition {
        Partition { between: [Target::FIRST_CLIENT, Target::ALL_SERVERS], from, until }
    }

    /// Parses `A|B:FROM..UNTIL`, `lock:FROM..UNTIL` or `storage:FROM..UNTIL`.
    pub fn parse(text: &str) -> Result<Partition, String> {
        let usage = || {
            format!(
                "{} is not a partition: expected A|B:FROM..UNTIL (e.g. client:1|server:*:10ms..200ms), \
                 lock:FROM..UNTIL or storage:FROM..UNTIL",
                Quoted(text)
            )
        };
        let (sides, window) = text.rsplit_once(':').ok_or_else(usage)?;
        let (from, until) = window.split_once("..").ok_or_else(usage)?;
        let from = parse_duration(from).map_err(|e| e.to_string())?;
        let until = parse_duration(until).map_err(|e| e.to_string())?;
        let between = match sides {
            "lock" => [Target::FIRST_CLIENT, Target::ALL_SERVERS],
            "storage" => [Target::FIRST_CLIENT, Target::STORAGE],
            _ => {
                let (a, b) = sides.split_once('|').ok_or_else(usage)?;
                [Target::parse(a)?, Target::parse(b)?]
            }
        };
        Ok(Partition { between, from, until })
    }

    /// True when the window covers true time `t`.
    pub fn covers(&self, t: Nanos) -> bool {
        (self.from..self.until).contains(&t)
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b] = self.between;
        write!(f, "{a}|{b}:{}..{}", Exact(self.from), Exact(self.until))
    }
}

/// A fault scripted for one acquisition of one client, overriding the stall distribution there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scripted {
    /// The client (0-based).
    pub client: usize,
    /// Its acquisition (1 = its first grant).
    pub acquisition: u64,
    /// Where in that critical section.
    pub at: PausePoint,
    /// What happens there.
    pub fault: ScriptedFault,
}

/// What a scripted fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptedFault {
    /// Freeze for this long.
    Stall(#[serde(with = "crate::time::human")] Nanos),
    /// Crash while holding the lock.
    Crash,
}

/// A fault aimed at a node (or every node of a role) at a moment of true time, or for the whole
/// run (a drifting clock).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeFault {
    /// The node stops for good at `at`.
    Crash { target: Target, at: Nanos },
    /// The node freezes for `span` from `at`.
    Stall { target: Target, span: Nanos, at: Nanos },
    /// The node's clock jumps by `by` nanoseconds (forward if positive) at `at`.
    ClockJump { target: Target, by: i64, at: Nanos },
    /// The node's clock runs at `1 - rho` for the whole run.
    ClockDrift { target: Target, rho: f64 },
    /// A real server, killed by an earlier crash, is started again at `at`: a new process on the
    /// same port, with whatever the server keeps across a restart (Redis without persistence:
    /// nothing).
    Restart { target: Target, at: Nanos },
}

impl NodeFault {
    /// The node(s) it hits.
    pub fn target(&self) -> Target {
        match *self {
            NodeFault::Crash { target, .. }
            | NodeFault::Stall { target, .. }
            | NodeFault::ClockJump { target, .. }
            | NodeFault::ClockDrift { target, .. }
            | NodeFault::Restart { target, .. } => target,
        }
    }

    /// Parses the value of `--restart`: `TARGET@TIME`.
    pub fn parse_restart(text: &str) -> Result<NodeFault, String> {
        let usage =
            || format!("{} is not a restart: expected TARGET@TIME, e.g. server:2@300ms", Quoted(text));
        let (target, at) = text.rsplit_once('@').ok_or_else(usage)?;
        Ok(NodeFault::Restart { target: Target::parse(target)?, at: time(at)? })
    }

    /// Parses the value of `--stall`: `TARGET:DUR@TIME`.
    pub fn parse_stall(text: &str) -> Result<NodeFault, String> {
        let usage =
            || format!("{} is not a stall: expected TARGET:DUR@TIME, e.g. server:1:50ms@100ms", Quoted(text));
        let (what, at) = text.rsplit_once('@').ok_or_else(usage)?;
        let (target, span) = what.rsplit_once(':').ok_or_else(usage)?;
        let span = parse_duration(span).map_err(|e| e.to_string())?;
        Ok(NodeFault::Stall { target: Target::parse(target)?, span, at: time(at)? })
    }

    /// Parses the value of `--clock-jump`: `TARGET:+DUR@TIME` or `TARGET:-DUR@TIME`.
    pub fn parse_jump(text: &str) -> Result<NodeFault, String> {
        let usage = || {
            format!(
                "{} is not a clock jump: expected TARGET:+DUR@TIME or TARGET:-DUR@TIME, e.g. server:1:+5ms@100ms",
                Quoted(text)
            )
        };
        let (what, at) = text.rsplit_once('@').ok_or_else(usage)?;
        let (target, by) = what.rsplit_once(':').ok_or_else(usage)?;
        let (sign, span) = match by.split_at_checked(1) {
            Some(("+", span)) => (1, span),
            Some(("-", span)) => (-1, span),
            _ => return Err(usage()),
        };
        let span = parse_duration(span).map_err(|e| e.to_string())?;
        let by = i64::try_from(span)
            .map(|s| sign * s)
            .map_err(|_| format!("{}: too large a jump", Quoted(text)))?;
        Ok(NodeFault::ClockJump { target: Target::parse(target)?, by, at: time(at)? })
    }

    /// Parses the value of `--clock-drift`: `TARGET:RHO`.
    pub fn parse_drift(text: &str) -> Result<NodeFault, String> {
        let usage =
            || format!("{} is not a clock drift: expected TARGET:RHO, e.g. server:2:0.1", Quoted(text));
        let (target, rho) = text.rsplit_once(':').ok_or_else(usage)?;
        let rho: f64 = rho.parse().map_err(|_| usage())?;
        if !(rho > -1.0 && rho < 1.0) {
            return Err(format!("{}: the drift must lie between -1 and 1 (exclusive)", Quoted(text)));
        }
        Ok(NodeFault::ClockDrift { target: Target::parse(target)?, rho })
    }

    /// Parses the text [`fmt::Display`] gives (`crash server:2@30ms`, `stall ...`, ...).
    pub fn parse(text: &str) -> Result<NodeFault, String> {
        let (kind, rest) = text.split_once(' ').unwrap_or((text, ""));
        match kind {
            "crash" => match Crash::parse(rest)? {
                Crash::Timed(fault) => Ok(fault),
                Crash::Scripted(_) => {
                    Err(format!("{}: a crash at an acquisition belongs in script", Quoted(text)))
                }
            },
            "stall" => NodeFault::parse_stall(rest),
            "clock-jump" => NodeFault::parse_jump(rest),
            "clock-drift" => NodeFault::parse_drift(rest),
            "restart" => NodeFault::parse_restart(rest),
            _ => Err(format!(
                "{} is not a node fault: expected crash, stall, clock-jump, clock-drift or restart",
                Quoted(text)
            )),
        }
    }
}

impl fmt::Display for NodeFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            // A bare number after a client's `@` is an acquisition, so a crash at time 0 is
            // written with a unit.
            NodeFault::Crash { target, at: 0 } => write!(f, "crash {target}@0s"),
            NodeFault::Crash { target, at } => write!(f, "crash {target}@{}", Exact(at)),
            NodeFault::Stall { target, span, at } => {
                write!(f, "stall {target}:{}@{}", Exact(span), Exact(at))
            }
            NodeFault::ClockJump { target, by, at } => {
                let sign = if by < 0 { '-' } else { '+' };
                write!(f, "clock-jump {target}:{sign}{}@{}", Exact(by.unsigned_abs()), Exact(at))
            }
            NodeFault::ClockDrift { target, rho } => write!(f, "clock-drift {target}:{rho}"),
            NodeFault::Restart { target, at } => write!(f, "restart {target}@{}", Exact(at)),
        }
    }
}

/// When `node`, down at `at`, went down: the first crash aimed at it since its last restart
/// before `at`; `None` if it is up at `at`.
pub fn down_at(faults: &[NodeFault], topology: &Topology, node: NodeId, at: Nanos) -> Option<Nanos> {
    let names = |target: Target| topology.resolve(target).unwrap_or_default().contains(&node);
    let mut down = None;
    let mut events: Vec<(Nanos, bool)> = faults
        .iter()
        .filter_map(|f| match *f {
            NodeFault::Crash { target, at: t } if names(target) && t < at => Some((t, true)),
            NodeFault::Restart { target, at: t } if names(target) && t < at => Some((t, false)),
            _ => None,
        })
        .collect();
    events.sort();
    for (t, crash) in events {
        down = crash.then_some(down.unwrap_or(t));
    }
    down
}

/// A node's life through crashes and restarts: the crash that ends it for good (the first that no
/// restart undoes), if any, and the outages that restarts end, `(from, until)`.
pub fn lives(
    faults: &[NodeFault],
    topology: &Topology,
    node: NodeId,
) -> (Option<Nanos>, Vec<(Nanos, Nanos)>) {
    let mut outages = Vec::new();
    for fault in faults {
        if let NodeFault::Restart { target, at } = *fault
            && topology.resolve(target).unwrap_or_default().contains(&node)
            && let Some(from) = down_at(faults, topology, node, at)
        {
            outages.push((from, at));
        }
    }
    let for_good = faults
        .iter()
        .filter_map(|f| match *f {
            NodeFault::Crash { target, at }
                if topology.resolve(target).unwrap_or_default().contains(&node) =>
            {
                Some(at)
            }
            _ => None,
        })
        .filter(|&at| !outages.iter().any(|&(from, until)| (from..until).contains(&at)))
        .min();
    (for_good, outages)
}

fn time(text: &str) -> Result<Nanos, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

/// What `--crash` says: a client crashing at an acquisition, or any node at a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crash {
    /// A client crashes just after one of its grants.
    Scripted(Scripted),
    /// A node crashes at a time.
    Timed(NodeFault),
}

impl Crash {
    /// Parses `N` (client 1's N-th grant), `client:I@N`, or `TARGET@TIME`.
    pub fn parse(text: &str) -> Result<Crash, String> {
        let acquisition = |client: usize, n: &str| -> Result<Crash, String> {
            let acquisition: u64 =
                n.parse().map_err(|_| format!("{} is not an acquisition number", Quoted(n)))?;
            if acquisition == 0 {
                return Err(format!("{}: acquisitions are numbered from 1", Quoted(text)));
            }
            Ok(Crash::Scripted(Scripted {
                client,
                acquisition,
                at: PausePoint::P1,
                fault: ScriptedFault::Crash,
            }))
        };
        if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
            return acquisition(0, text);
        }
        let usage = || {
            format!(
                "{} is not a crash: expected N (client 1 after its N-th grant), client:I@N, or TARGET@TIME (e.g. server:2@30ms)",
                Quoted(text)
            )
        };
        let (target, when) = text.rsplit_once('@').ok_or_else(usage)?;
        let target = Target::parse(target)?;
        if when.bytes().all(|b| b.is_ascii_digit()) && !when.is_empty() {
            // Only time 0 needs no unit (the start, whatever the unit); after a named client's
            // `@`, a bare number is an acquisition.
            let at_start = when.bytes().all(|b| b == b'0');
            return match target.index.filter(|_| target.role == TargetRole::Client) {
                Some(client) if !at_start => acquisition(client, when),
                Some(_) => Err(format!(
                    "{}: acquisitions are numbered from 1; for a crash at the start write {target}@0s",
                    Quoted(text)
                )),
                None if at_start => Ok(Crash::Timed(NodeFault::Crash { target, at: 0 })),
                None => Err(format!(
                    "{}: only a named client crashes at an acquisition; give a time, e.g. {target}@30ms",
                    Quoted(text)
                )),
            };
        }
        Ok(Crash::Timed(NodeFault::Crash { target, at: time(when)? }))
    }
}

macro_rules! as_text {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                <$t>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
as_text!(NodeFault);

impl Serialize for Partition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A partition as configurations write it: the flag's text, or the object configurations saved
/// before partitions named their sides (`{"target": "lock", "from": "10ms", "until": "200ms"}`),
/// which still read back.
#[derive(Deserialize)]
#[serde(untagged)]
enum PartitionText {
    Text(String),
    Saved { target: String, from: String, until: String },
}

impl<'de> Deserialize<'de> for Partition {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match PartitionText::deserialize(d)? {
            PartitionText::Text(text) => text,
            PartitionText::Saved { target, from, until } => format!("{target}:{from}..{until}"),
        };
        Partition::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MS;

    #[test]
    fn faults_read_back_from_their_text() {
        for text in [
            "crash server:2@30ms",
            "crash server:2@0s",
            "crash client:1@0s",
            "stall server:1:50ms@100ms",
            "clock-jump server:1:+5ms@100ms",
            "clock-jump client:*:-1ms@0",
            "clock-drift server:3:0.1",
            "restart server:2@300ms",
        ] {
            assert_eq!(NodeFault::parse(text).unwrap().to_string(), text);
        }
        let p = Partition::parse("client:1|server:*:1ms..200ms").unwrap();
        assert_eq!(p.to_string(), "client:1|server:*:1ms..200ms");
        assert_eq!(Partition::parse("lock:1ms..200ms").unwrap(), Partition::from_lock(MS, 200 * MS));
    }

    /// A restart ends the outage its crash began; a crash no restart undoes ends the node.
    #[test]
    fn restarts_end_outages_and_the_last_crash_ends_the_node() {
        let t = Topology { servers: 2, clients: 2 };
        let f = |text: &str| NodeFault::parse(text).unwrap();
        let faults = [
            f("crash server:1@10ms"),
            f("crash server:1@15ms"),
            f("restart server:1@30ms"),
            f("crash server:1@50ms"),
            f("crash server:2@5ms"),
        ];
        assert_eq!(down_at(&faults, &t, 0, 20 * MS), Some(10 * MS));
        assert_eq!(down_at(&faults, &t, 0, 40 * MS), None);
        assert_eq!(down_at(&faults, &t, 0, 60 * MS), Some(50 * MS));
        assert_eq!(lives(&faults, &t, 0), (Some(50 * MS), vec![(10 * MS, 30 * MS)]));
        assert_eq!(lives(&faults, &t, 1), (Some(5 * MS), vec![]));
        assert_eq!(lives(&faults, &t, 2), (None, vec![]));
    }

    #[test]
    fn crashes_at_acquisitions_name_clients() {
        assert!(matches!(Crash::parse("3"), Ok(Crash::Scripted(Scripted { client: 0, acquisition: 3, .. }))));
        assert!(matches!(
            Crash::parse("client:2@4"),
            Ok(Crash::Scripted(Scripted { client: 1, acquisition: 4, .. }))
        ));
        assert!(
            matches!(Crash::parse("server:2@30ms"), Ok(Crash::Timed(NodeFault::Crash { at, .. })) if at == 30 * MS)
        );
        assert!(matches!(Crash::parse("server:2@0"), Ok(Crash::Timed(NodeFault::Crash { at: 0, .. }))));
        assert!(matches!(Crash::parse("client:*@0"), Ok(Crash::Timed(NodeFault::Crash { at: 0, .. }))));
        for bad in ["server:2@3", "client:0@3", "0", "client:1@0", "disk@3ms", "server:2"] {
            assert!(Crash::parse(bad).is_err(), "{bad}");
        }
    }
}
