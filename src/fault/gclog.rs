//! Pauses from a user's own logs: the formats people have, detected, read into durations.
//!
//! [`parse`] is a function from text to a [`PauseLog`] (no I/O); [`read`] is the thin shell that
//! reads a file for it, refusing a directory, an unreadable path and anything larger than
//! [`MAX_LOG_BYTES`], each in one line that names the path.
//!
//! | format | what it reads | the pause |
//! |---|---|---|
//! | `durations` | one duration per line: `12ms`, `250us`, `1.5s`; a bare number is **milliseconds** (the unit GC logs and dashboards use for pauses); blank lines and `#` comments are skipped | the duration |
//! | `jvm-unified` | JDK 9+ `-Xlog:gc`, `-Xlog:gc*`, `-Xlog:gc+phases` (ZGC), with any decorators (`[time][uptime][level][tags]`, or none) | a `GC(N) Pause ...` line ending in a duration, tagged `gc` or `gc,phases` (or untagged) |
//! | `jvm-safepoint` | `-Xlog:safepoint` (JDK 17: `Safepoint "...", ..., Total: N ns`; JDK 9-16 and JDK 8's `-XX:+PrintGCApplicationStoppedTime`: `Total time for which application threads were stopped: S seconds`) | the total time the application threads were stopped |
//! | `hotspot-legacy` | JDK 8 and older `-verbose:gc` / `-XX:+PrintGCDetails`: `[GC pause (young) ..., 0.0121737 secs]`, `[GC remark ...]`, `[GC cleanup ...]`, `[Full GC ...]`, ParNew, CMS initial mark and remark, Parallel | the last `, S secs]` of the line before its `[Times: ...]` (the whole collection, not a nested phase) |
//! | `go-gctrace` | Go's `GODEBUG=gctrace=1`: `gc 7 @1.2s 3%: A+B+C ms clock, ...` (Go 1.7+) and Go 1.5/1.6's five-phase `gc #7 ...: A+B+C+D+E ms clock` | two pauses per collection: the first and the last phase of the clock sum, its two stop-the-world phases (sweep termination and mark termination) |
//! | `node-trace-gc` | Node's (V8's) `--trace-gc`: `[pid:0x...]  123 ms: Scavenge 2.1 (3.0) -> 1.9 (4.0) MB, 0.8 / 0.0 ms ...` | the first number of `P / E ms` (the pause; `E` is the part spent in embedder callbacks, inside it) |
//!
//! Every number may be written with a decimal comma (`1,553ms`, `0,0121737 secs`), as the JVM
//! prints it in a locale that uses one.
//!
//! **Each pause once.** `-Xlog:gc*` announces a pause in a `gc,start` line before the `gc` line
//! reports its duration; the announcement is not a pause. Without a tags decorator a line with no
//! duration is taken for an announcement when a later line completes it (same `GC(N)`, same
//! words); one never completed is counted as unreadable. Concurrent phases (`Concurrent Mark
//! Cycle`, `[GC concurrent-mark-end, ...]`, `CMS-concurrent-...`, Shenandoah's `gc,stats` table)
//! are not pauses and are skipped. A file that holds both `gc` and `safepoint` lines is read as
//! whichever has more pauses, the safepoint lines in practice: they are every stop, GC or not,
//! so adding the GC lines would count each GC pause twice.
//!
//! **Detection.** Every line is offered to every format; the format that reads the most pauses
//! wins (ties go to the earlier row of the table). In the winning format a line that has its
//! shape but whose duration cannot be read (cut short, garbled) is counted as unreadable and
//! reported, never fatal; other lines (heap summaries, the application's own output) are
//! skipped. A text with no pause at all is an error ([`TextError::NoPause`]).

use crate::input::Quoted;
use crate::time::{MS, Nanos, SEC, US};
use std::collections::HashMap;
use std::fmt;

/// The largest file [`read`] accepts: 256 MiB, a few million pauses. A larger log is cut (with
/// `tail -c`, or by time) before it is read, so that memory stays bounded.
pub const MAX_LOG_BYTES: u64 = 256 * 1024 * 1024;

/// A log format [`parse`] reads (the module docs say what each line of it looks like).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// One duration per line.
    Durations,
    /// JDK 9+ unified logging of the collector (`-Xlog:gc`, `-Xlog:gc*`).
    JvmUnified,
    /// JVM safepoint lines (`-Xlog:safepoint`, `-XX:+PrintGCApplicationStoppedTime`).
    JvmSafepoint,
    /// JDK 8 and older `-verbose:gc` / `-XX:+PrintGCDetails`.
    HotSpotLegacy,
    /// Go's `GODEBUG=gctrace=1`.
    GoGctrace,
    /// Node's `--trace-gc`.
    NodeTraceGc,
}

impl Format {
    /// Every format, in the order that breaks a tie in detection.
    pub const ALL: [Format; 6] = [
        Format::Durations,
        Format::JvmUnified,
        Format::JvmSafepoint,
        Format::HotSpotLegacy,
        Format::GoGctrace,
        Format::NodeTraceGc,
    ];

    /// The short name, as `--json` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Durations => "durations",
            Format::JvmUnified => "jvm-unified",
            Format::JvmSafepoint => "jvm-safepoint",
            Format::HotSpotLegacy => "hotspot-legacy",
            Format::GoGctrace => "go-gctrace",
            Format::NodeTraceGc => "node-trace-gc",
        }
    }

    /// What the format is, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Durations => "one duration per line (a bare number is milliseconds)",
            Format::JvmUnified => "JVM unified logging (-Xlog:gc, -Xlog:gc*)",
            Format::JvmSafepoint => "JVM safepoints (-Xlog:safepoint, PrintGCApplicationStoppedTime)",
            Format::HotSpotLegacy => "HotSpot -verbose:gc / -XX:+PrintGCDetails (JDK 8 and older)",
            Format::GoGctrace => "Go GODEBUG=gctrace=1 (two stop-the-world phases per collection)",
            Format::NodeTraceGc => "Node --trace-gc",
        }
    }

    fn classify(self, line: &str) -> Line {
        match self {
            Format::Durations => durations_line(line),
            Format::JvmUnified => unified_line(line),
            Format::JvmSafepoint => safepoint_line(line),
            Format::HotSpotLegacy => legacy_line(line),
            Format::GoGctrace => go_line(line),
            Format::NodeTraceGc => node_line(line),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What [`parse`] read from a text.
#[derive(Debug, Clone, PartialEq)]
pub struct PauseLog {
    /// The detected format.
    pub format: Format,
    /// Every pause, in the order of the log.
    pub pauses: Vec<Nanos>,
    /// Lines with the shape of the format's pause lines whose duration could not be read.
    pub unreadable: u64,
    /// The line number (from 1) of the first unreadable line, if any.
    pub first_unreadable: Option<usize>,
    /// Lines that are not pauses (announcements, heap summaries, other output, blank lines).
    pub skipped: u64,
}

/// Why a text holds no pauses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but whitespace.
    #[error("it is empty")]
    Empty,
    /// No line of any format is a pause.
    #[error(
        "no pause in its {lines} lines: expected a JVM, Go or Node GC log, or one duration per line{}",
        hint.map(|h| format!(" ({h})")).unwrap_or_default()
    )]
    NoPause {
        /// How many lines the text has.
        lines: usize,
        /// What the text looks like, when that explains the missing pauses.
        hint: Option<&'static str>,
    },
}

/// Why a log file could not be read into pauses. Every message names the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// The path names a directory, not a log.
    #[error("{} is a directory, not a log file", Quoted(.0))]
    Directory(String),
    /// The file could not be opened or read (missing, no permission).
    #[error("cannot read {}: {}", Quoted(.path), .reason)]
    Unreadable {
        /// The path as given.
        path: String,
        /// The system's reason.
        reason: String,
    },
    /// The file is larger than [`MAX_LOG_BYTES`].
    #[error("{} is {bytes} bytes, more than the {} MiB a log may have: cut it first (e.g. tail -c 100M)", Quoted(.path), MAX_LOG_BYTES >> 20)]
    TooLarge {
        /// The path as given.
        path: String,
        /// Its size.
        bytes: u64,
    },
    /// The file was read but holds no pause.
    #[error("{}: {}", Quoted(.path), .error)]
    Text {
        /// The path as given.
        path: String,
        /// What is wrong with its content.
        error: TextError,
    },
}

/// Reads the file at `path` (at most [`MAX_LOG_BYTES`], bytes that are not UTF-8 replaced) and
/// [`parse`]s it.
pub fn read(path: &str) -> Result<PauseLog, LogError> {
    let unreadable =
        |e: std::io::Error| LogError::Unreadable { path: path.to_string(), reason: io_reason(&e) };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(LogError::Directory(path.to_string()));
    }
    if meta.len() > MAX_LOG_BYTES {
        return Err(LogError::TooLarge { path: path.to_string(), bytes: meta.len() });
    }
    use std::io::Read;
    let mut bytes = Vec::new();
    // The cap holds even for a file that grows while it is read (a live log).
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_LOG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_LOG_BYTES {
        return Err(LogError::TooLarge { path: path.to_string(), bytes: bytes.len() as u64 });
    }
    parse(&String::from_utf8_lossy(&bytes)).map_err(|error| LogError::Text { path: path.to_string(), error })
}

/// An I/O error as a short reason, without the "(os error 2)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// What one line is, to one format.
#[derive(Debug, Clone, PartialEq)]
enum Line {
    /// One or more pauses (a Go collection has two).
    Pauses(Vec<Nanos>),
    /// The shape of a pause line, without a duration that can be read.
    Unreadable,
    /// A pause line without its duration that a later line may complete (untagged JVM logs):
    /// the key is what the completing line starts with.
    Pending(String),
    /// Not a pause.
    Other,
}

/// Detects the format of `text` and reads its pauses (the module docs give the rules).
pub fn parse(text: &str) -> Result<PauseLog, TextError> {
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    let lines = text.lines().count();
    let counts =
        Format::ALL.map(|f| text.lines().filter(|l| matches!(f.classify(l), Line::Pauses(_))).count());
    let (best, &most) =
        counts.iter().enumerate().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0))).expect("six formats");
    if most == 0 {
        return Err(TextError::NoPause { lines, hint: hint(text) });
    }
    Ok(read_as(text, Format::ALL[best]))
}

/// Reads `text` as `format`, whatever the other formats would make of it.
pub fn read_as(text: &str, format: Format) -> PauseLog {
    let mut log = PauseLog { format, pauses: Vec::new(), unreadable: 0, first_unreadable: None, skipped: 0 };
    // Announcements waiting for the line that completes them: key → line numbers.
    let mut pending: HashMap<String, Vec<usize>> = HashMap::new();
    let mut unreadable_at = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match format.classify(line) {
            Line::Pauses(p) => {
                if format == Format::JvmUnified
                    && let Some(key) = unified_key(line)
                {
                    pending.retain(|k, _| !key.starts_with(k.as_str()));
                }
                log.pauses.extend(p);
            }
            Line::Unreadable => unreadable_at.push(i + 1),
            Line::Pending(key) => {
                log.skipped += 1;
                pending.entry(key).or_default().push(i + 1);
            }
            Line::Other => log.skipped += 1,
        }
    }
    // Announced and never completed: a pause whose duration the log does not have.
    for at in pending.into_values().flatten() {
        log.skipped -= 1;
        unreadable_at.push(at);
    }
    log.unreadable = unreadable_at.len() as u64;
    log.first_unreadable = unreadable_at.into_iter().min();
    log
}

/// Why a text without pauses has none, when it can tell.
fn hint(text: &str) -> Option<&'static str> {
    if text.contains("Using The Z Garbage Collector") {
        Some(
            "a ZGC log without its pauses: ZGC logs them under gc+phases, so log with -Xlog:gc* or -Xlog:gc,gc+phases",
        )
    } else if text.contains("[gc") || text.contains("[safepoint") {
        Some("a JVM log without pause lines: log with -Xlog:gc, -Xlog:gc* or -Xlog:safepoint")
    } else {
        None
    }
}

/// A decimal number, with a point or a comma before its fraction.
fn decimal(text: &str) -> Option<f64> {
    let ok = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        && text.bytes().filter(|b| *b == b'.' || *b == b',').count() <= 1
        && text.as_bytes()[0].is_ascii_digit();
    if !ok {
        return None;
    }
    text.replace(',', ".").parse().ok().filter(|v: &f64| v.is_finite())
}

/// `value` of `unit` as whole nanoseconds.
fn nanos(value: f64, unit: Nanos) -> Option<Nanos> {
    let n = (value * unit as f64).round();
    (0.0..1.6e19).contains(&n).then_some(n as Nanos)
}

/// A number glued to its unit, `3.051ms`, `0,012ms`, `250us`, `2s`, `40ns`.
fn glued_duration(token: &str) -> Option<Nanos> {
    for (suffix, unit) in [("ms", MS), ("us", US), ("µs", US), ("ns", 1), ("s", SEC)] {
        if let Some(number) = token.strip_suffix(suffix) {
            return decimal(number).and_then(|v| nanos(v, unit));
        }
    }
    None
}

// ---- durations ------------------------------------------------------------------------------

fn durations_line(line: &str) -> Line {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Line::Other;
    }
    if let Some(n) = glued_duration(t).or_else(|| {
        // The longer units parse_duration knows (min, h, d).
        crate::time::parse_duration(&t.replace(',', ".")).ok()
    }) {
        return Line::Pauses(vec![n]);
    }
    match decimal(t).and_then(|v| nanos(v, MS)) {
        Some(n) => Line::Pauses(vec![n]),
        None => Line::Unreadable,
    }
}

// ---- JVM unified logging --------------------------------------------------------------------

/// A unified-logging line cut into its tags (when a decorator printed them) and its message.
fn unified_parts(line: &str) -> (Option<Vec<&str>>, &str) {
    let mut rest = line.trim_start();
    let mut tags = None;
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(end) = inner.find(']') else { break };
        let group = inner[..end].trim();
        let is_tags = !group.is_empty()
            && group
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b',' || b == b'_' || b == b' ')
            && !matches!(group, "trace" | "debug" | "info" | "warning" | "error" | "off");
        if is_tags && (group.starts_with("gc") || group.starts_with("safepoint")) {
            tags = Some(group.split(',').map(str::trim).collect());
        }
        rest = &inner[end + 1..];
    }
    (tags, rest.trim())
}

/// The message of a `GC(N) Pause ...` line from `Pause` on, with its GC id, or `None`.
fn pause_message(message: &str) -> Option<(&str, &str)> {
    let after = message.strip_prefix("GC(")?;
    let close = after.find(')')?;
    let id = &after[..close];
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut text = after[close + 1..].trim_start();
    // Generational ZGC (JDK 21) prefixes its young and old phases: `Y: Pause Mark Start`.
    if let Some(rest) = text.strip_prefix("Y: ").or_else(|| text.strip_prefix("O: ")) {
        text = rest;
    }
    text.starts_with("Pause ").then_some((id, text))
}

/// What an untagged announcement and the line that completes it share: the GC id and the words.
fn unified_key(line: &str) -> Option<String> {
    let (_, message) = unified_parts(line);
    let (id, text) = pause_message(message)?;
    Some(format!("{id} {text}"))
}

fn unified_line(line: &str) -> Line {
    let (tags, message) = unified_parts(line);
    let Some((id, text)) = pause_message(message) else { return Line::Other };
    let tagged = tags.is_some();
    // `gc,start` announces a pause that a `gc` line reports; other tags (`gc,stats`, `gc,cpu`)
    // are not pauses.
    if !matches!(tags.as_deref(), None | Some(["gc"] | ["gc", "phases"])) {
        return Line::Other;
    }
    let last = text.rsplit(' ').next().unwrap_or("");
    match glued_duration(last) {
        Some(n) => Line::Pauses(vec![n]),
        None if tagged => Line::Unreadable,
        None => Line::Pending(format!("{id} {text}")),
    }
}

// ---- JVM safepoints -------------------------------------------------------------------------

const STOPPED: &str = "Total time for which application threads were stopped:";

fn safepoint_line(line: &str) -> Line {
    if let Some(at) = line.find(STOPPED) {
        let rest = line[at + STOPPED.len()..].trim_start();
        let number = rest.split(' ').next().unwrap_or("");
        let number = number.strip_suffix(',').unwrap_or(number);
        return match (decimal(number), rest[number.len()..].trim_start().starts_with("seconds")) {
            (Some(v), true) => nanos(v, SEC).map_or(Line::Unreadable, |n| Line::Pauses(vec![n])),
            _ => Line::Unreadable,
        };
    }
    let (_, message) = unified_parts(line);
    if !message.starts_with("Safepoint \"") {
        return Line::Other;
    }
    // JDK 17: `Safepoint "G1CollectForAllocation", Time since last: ..., Total: 5543269 ns`.
    let Some(at) = message.rfind(", Total: ") else { return Line::Unreadable };
    let rest = &message[at + ", Total: ".len()..];
    match rest.strip_suffix(" ns").and_then(decimal).and_then(|v| nanos(v, 1)) {
        Some(n) => Line::Pauses(vec![n]),
        None => Line::Unreadable,
    }
}

// ---- HotSpot 8 and older --------------------------------------------------------------------

fn legacy_line(line: &str) -> Line {
    let Some(at) = ["[GC", "[Full GC"].iter().filter_map(|p| line.find(p)).min() else { return Line::Other };
    // Only timestamps may come before it (`2024-03-01T10:15:02.101+0000: 0.412: `).
    if !line[..at].chars().all(|c| c.is_ascii_digit() || " -:.,+T".contains(c)) {
        return Line::Other;
    }
    let body = &line[at..];
    let word = body.trim_start_matches("[Full GC").trim_start_matches("[GC").trim_start();
    if word.starts_with("concurrent") || word.starts_with("Worker") || word.starts_with("ref-proc") {
        return Line::Other;
    }
    let body = body.find(" [Times:").map_or(body, |t| &body[..t]);
    let Some(end) = body.rfind(" secs]") else { return Line::Unreadable };
    let number = body[..end].rsplit([' ', '\t']).next().unwrap_or("");
    match decimal(number).and_then(|v| nanos(v, SEC)) {
        Some(n) => Line::Pauses(vec![n]),
        None => Line::Unreadable,
    }
}

// ---- Go -------------------------------------------------------------------------------------

fn go_line(line: &str) -> Line {
    let t = line.trim();
    let Some(rest) = t.strip_prefix("gc #").or_else(|| t.strip_prefix("gc ")) else { return Line::Other };
    if !rest.starts_with(|c: char| c.is_ascii_digit()) || !rest.contains(" @") {
        return Line::Other;
    }
    let clock = rest.find("%: ").and_then(|from| {
        let phases = &rest[from + 3..];
        phases.find(" ms clock").map(|to| &phases[..to])
    });
    let Some(clock) = clock else { return Line::Unreadable };
    let phases: Option<Vec<Nanos>> =
        clock.split('+').map(|p| decimal(p).and_then(|v| nanos(v, MS))).collect();
    match phases {
        Some(p) if p.len() >= 3 => Line::Pauses(vec![p[0], p[p.len() - 1]]),
        _ => Line::Unreadable,
    }
}

// ---- Node -----------------------------------------------------------------------------------

fn node_line(line: &str) -> Line {
    let t = line.trim_start();
    // `[12481:0x5ba6d20]       38 ms: Scavenge ...`
    let Some(inner) = t.strip_prefix('[') else { return Line::Other };
    let Some(end) = inner.find(']') else { return Line::Other };
    let Some((pid, isolate)) = inner[..end].split_once(':') else { return Line::Other };
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) || !isolate.starts_with("0x") {
        return Line::Other;
    }
    let rest = inner[end + 1..].trim_start();
    let Some(colon) = rest.find(" ms: ") else { return Line::Other };
    if decimal(&rest[..colon]).is_none() {
        return Line::Other;
    }
    let event = &rest[colon + 5..];
    // The first `P / E ms` after the heap sizes.
    let from = event.find("MB, ").map_or(0, |m| m + 4);
    let words: Vec<&str> = event[from..].split_whitespace().collect();
    for w in words.windows(4) {
        if w[1] == "/"
            && w[3].starts_with("ms")
            && let (Some(p), Some(_)) = (decimal(w[0]), decimal(w[2]))
        {
            return nanos(p, MS).map_or(Line::Unreadable, |n| Line::Pauses(vec![n]));
        }
    }
    Line::Unreadable
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> PauseLog {
        parse(text).unwrap()
    }

    #[test]
    fn durations_with_and_without_units() {
        let log = read("# pauses\n12ms\n250us\n1.5s\n3\n0,75\n\n2min\n");
        assert_eq!(log.format, Format::Durations);
        assert_eq!(log.pauses, vec![12 * MS, 250 * US, 1_500 * MS, 3 * MS, 750 * US, 120 * SEC]);
        assert_eq!((log.unreadable, log.skipped), (0, 2));
        let log = read("12ms\nbanana\n4ms\n");
        assert_eq!((log.pauses.len(), log.unreadable, log.first_unreadable), (2, 1, Some(2)));
    }

    #[test]
    fn unified_lines_with_any_decorators_count_each_pause_once() {
        let text = "\
[2026-12-06T03:59:29.573+0000][0.103s][info][gc,start    ] GC(0) Pause Young (Normal) (G1 Evacuation Pause)
[2026-12-06T03:59:29.577+0000][0.108s][info][gc          ] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 6M->1M(64M) 4.719ms
[0.124s][info][gc] GC(3) Concurrent Mark Cycle 14.703ms
[0.204s][info][gc,stats    ] Pause Init Mark (G)                 199 us
[0.135s][info][gc,phases] GC(0) Pause Mark Start 0.012ms
[0,085s][info][gc] GC(1) Pause Remark 13M->2M(64M) 1,380ms
";
        let log = read(text);
        assert_eq!(log.format, Format::JvmUnified);
        assert_eq!(log.pauses, vec![4_719 * US, 12 * US, 1_380 * US]);
        assert_eq!(log.unreadable, 0);
    }

    #[test]
    fn untagged_announcements_are_completed_or_unreadable() {
        let text = "\
GC(0) Pause Young (Normal) (G1 Evacuation Pause)
GC(0) Pause Young (Normal) (G1 Evacuation Pause) 6M->1M(64M) 4.719ms
GC(1) Pause Young (Normal) (G1 Evacuation Pause)
";
        let log = read(text);
        assert_eq!(log.pauses, vec![4_719 * US]);
        assert_eq!((log.unreadable, log.first_unreadable), (1, Some(3)));
    }

    #[test]
    fn a_cut_line_is_unreadable_not_fatal() {
        let log = read(
            "[0.1s][info][gc] GC(0) Pause Young 1M->1M(2M) 1.0ms\n[0.2s][info][gc] GC(1) Pause Young 1M->1M(2M) 1.",
        );
        assert_eq!((log.pauses.len(), log.unreadable), (1, 1));
    }

    #[test]
    fn safepoints_old_and_new() {
        let text = "\
[0.109s][info][safepoint] Safepoint \"G1CollectForAllocation\", Time since last: 47641877 ns, Reaching safepoint: 100343 ns, Cleanup: 7117 ns, At safepoint: 5435809 ns, Total: 5543269 ns
[0.121s][info][safepoint] Total time for which application threads were stopped: 0.0031245 seconds, Stopping threads took: 0.0000412 seconds
0.500: Total time for which application threads were stopped: 0,0452000 seconds, Stopping threads took: 0,0003000 seconds
";
        let log = read(text);
        assert_eq!(log.format, Format::JvmSafepoint);
        assert_eq!(log.pauses, vec![5_543_269, 3_124_500, 45_200_000]);
    }

    #[test]
    fn legacy_hotspot_takes_the_whole_collection() {
        let text = "\
0.231: [GC (Allocation Failure) 0.231: [ParNew: 17472K->2176K(19648K), 0.0123000 secs] 17472K->3456K(63360K), 0.0125000 secs] [Times: user=0.02 sys=0.00, real=0.01 secs]
0.650: [CMS-concurrent-mark: 0.016/0.016 secs] [Times: user=0.03 sys=0.00, real=0.02 secs]
0.638: [GC concurrent-root-region-scan-end, 0.0010421 secs]
      [GC Worker Start (ms): Min: 512.1, Avg: 512.2, Max: 512.3, Diff: 0.2]
0.412: [GC pause (G1 Evacuation Pause) (young) 24M->3M(256M), 0,0121737 secs]
1.311: [Full GC (Allocation Failure)  255M->180M(256M), 0.4123456 secs]
";
        let log = read(text);
        assert_eq!(log.format, Format::HotSpotLegacy);
        assert_eq!(log.pauses, vec![12_500_000, 12_173_700, 412_345_600]);
    }

    #[test]
    fn go_counts_two_stop_the_world_phases() {
        let log = read(
            "gc 1 @0.000s 28%: 0.14+0.33+0.10 ms clock, 0.29+0.074/0.12/0+0.21 ms cpu, 0->1->0 MB, 1 MB goal, 2 P\n\
             gc #3 @0.220s 2%: 1.5+3.0+0.20+4.1+2.75 ms clock, 6.0+3.0+0.5/4.0/8.0+16+11 ms cpu, 8->9->4 MB, 9 MB goal, 4 P (forced)\n\
             scvg: 0 MB released\n",
        );
        assert_eq!(log.format, Format::GoGctrace);
        assert_eq!(log.pauses, vec![140 * US, 100 * US, 1_500 * US, 2_750 * US]);
    }

    #[test]
    fn node_takes_the_pause_before_the_slash() {
        let log = read(
            "[12481:0x5ba6d20]       16 ms: Scavenge 3.9 (4.0) -> 3.1 (5.0) MB, 0.39 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure; \n\
             [12481:0x5ba6d20]       38 ms: Mark-Compact 12.6 (15.0) -> 4.5 (12.5) MB, 1.15 / 0.00 ms  (+ 1.5 ms in 3 steps since start of marking, biggest step 1.5 ms) finalize\n\
             [1:0x1]  56 ms: Mark-Compact 3.5 (5.4) -> 3.1 (6.4) MB, pooled: 0 MB, 2.45 / 0.00 ms  (average mu = 0.9)\n\
             checksum 16035361\n",
        );
        assert_eq!(log.format, Format::NodeTraceGc);
        assert_eq!(log.pauses, vec![390 * US, 1_150 * US, 2_450 * US]);
        assert_eq!(log.skipped, 1);
    }

    #[test]
    fn nothing_to_read_is_an_error() {
        assert_eq!(parse(""), Err(TextError::Empty));
        assert_eq!(parse(" \n\n"), Err(TextError::Empty));
        assert_eq!(parse("hello\nworld\n"), Err(TextError::NoPause { lines: 2, hint: None }));
        let zgc = "[0.036s][info][gc] Using The Z Garbage Collector\n[0.2s][info][gc] GC(0) Garbage Collection (Warmup) 10M(16%)->6M(9%)\n";
        let err = parse(zgc).unwrap_err().to_string();
        assert!(err.contains("gc+phases") && !err.contains('\n'), "{err}");
    }

    /// The files [`read`] refuses, each in one line naming the path: a sparse file one byte
    /// over the cap costs no disk and is refused before a byte of it is read.
    #[test]
    fn read_refuses_what_is_not_a_log() {
        let dir = std::env::temp_dir().join(format!("faultline-gclog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.log");
        std::fs::File::create(&big).unwrap().set_len(MAX_LOG_BYTES + 1).unwrap();
        let big = big.to_string_lossy().into_owned();
        assert!(
            matches!(super::read(&big), Err(LogError::TooLarge { bytes, .. }) if bytes == MAX_LOG_BYTES + 1)
        );
        let empty = dir.join("empty.log");
        std::fs::write(&empty, "").unwrap();
        let empty = empty.to_string_lossy().into_owned();
        assert_eq!(super::read(&empty), Err(LogError::Text { path: empty.clone(), error: TextError::Empty }));
        let dir_text = dir.to_string_lossy().into_owned();
        assert_eq!(super::read(&dir_text), Err(LogError::Directory(dir_text.clone())));
        let missing = format!("{dir_text}/missing.log");
        let err = super::read(&missing).unwrap_err().to_string();
        assert!(err.starts_with("cannot read '") && err.ends_with(": No such file or directory"), "{err}");
        for e in [super::read(&big).unwrap_err(), super::read(&empty).unwrap_err()] {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn safepoint_lines_win_over_the_gc_lines_they_contain() {
        let text = "\
[0.1s][info][gc] GC(0) Pause Young 1M->1M(2M) 1.000ms
[0.1s][info][safepoint] Safepoint \"G1CollectForAllocation\", Time since last: 1 ns, Reaching safepoint: 1 ns, Cleanup: 1 ns, At safepoint: 1000100 ns, Total: 1000200 ns
[0.2s][info][safepoint] Safepoint \"Cleanup\", Time since last: 1 ns, Reaching safepoint: 1 ns, Cleanup: 1 ns, At safepoint: 1 ns, Total: 30 ns
";
        assert_eq!(read(text).pauses, vec![1_000_200, 30]);
    }
}
