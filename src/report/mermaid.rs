//! Mermaid sequence diagrams that render on GitHub: a writer that can only emit a few plain forms,
//! and a check that a text uses nothing else.
//!
//! Mermaid's grammar is large and its failures are silent on GitHub (a red box instead of the
//! picture), so the replay diagrams keep to the oldest, plainest subset of `sequenceDiagram`:
//!
//! ```text
//! sequenceDiagram
//!     participant ID as alias
//!     A->>B: label          (also -->>, -x and --x)
//!     Note over A,B: text   (also Note over A, Note right of A, Note left of A)
//!     rect rgb(255, 221, 221)
//!     end
//! ```
//!
//! [`Diagram`] writes only these, escaping every label with [`clean`]; [`check`] accepts only these,
//! with every participant declared before it is used and no label carrying a character Mermaid
//! would read as syntax. The check is deliberately stricter than Mermaid: it is a test that the
//! writer stayed inside the subset, not a Mermaid parser.

use std::collections::HashSet;
use std::fmt::Write;

/// Characters Mermaid reads as syntax inside a label: `;` ends a statement, `#` starts an entity
/// code, `:` separates the label (a second one is legal but confusing), quotes, angle brackets
/// (HTML), braces, backticks (markdown strings), `%` (comments) and `&` (entities).
pub const FORBIDDEN: &[char] = &[';', '#', ':', '"', '<', '>', '{', '}', '`', '%', '&', '\\'];

/// Words Mermaid's sequence grammar gives a meaning, which a participant id must not be.
const KEYWORDS: &[&str] = &[
    "participant",
    "actor",
    "as",
    "note",
    "over",
    "left",
    "right",
    "of",
    "loop",
    "alt",
    "else",
    "opt",
    "par",
    "and",
    "rect",
    "critical",
    "break",
    "box",
    "end",
    "autonumber",
    "activate",
    "deactivate",
    "title",
    "link",
    "links",
    "properties",
    "details",
    "create",
    "destroy",
    "sequencediagram",
];

/// The arrows the writer draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrow {
    /// `->>`: a message.
    Solid,
    /// `-->>`: a reply.
    Dotted,
    /// `-x`: a message lost or refused.
    Lost,
    /// `--x`: a reply lost or refused.
    DottedLost,
}

impl Arrow {
    fn token(self) -> &'static str {
        match self {
            Arrow::Solid => "->>",
            Arrow::Dotted => "-->>",
            Arrow::Lost => "-x",
            Arrow::DottedLost => "--x",
        }
    }
}

/// Longest first, so that `-->>` is not read as `-` followed by `->>`.
const ARROWS: [&str; 4] = ["-->>", "--x", "->>", "-x"];

/// `text` with every forbidden character replaced by a harmless look-alike and line breaks by
/// spaces; never empty.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ';' => out.push(','),
            '#' => out.push_str("no. "),
            ':' => out.push_str(" -"),
            '"' | '`' => out.push('\''),
            '<' | '{' => out.push('('),
            '>' | '}' => out.push(')'),
            '%' => out.push_str(" percent"),
            '&' => out.push_str("and"),
            '\\' => out.push('/'),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    let trimmed = out.trim();
    if trimmed.is_empty() { "-".to_string() } else { trimmed.to_string() }
}

/// A sequence diagram being written. Participant ids are the caller's (short identifiers such as
/// `L` or `s1`); labels are cleaned on the way in.
#[derive(Debug)]
pub struct Diagram {
    text: String,
    open: usize,
}

impl Default for Diagram {
    fn default() -> Self {
        Diagram::new()
    }
}

impl Diagram {
    /// An empty diagram: the header line only.
    pub fn new() -> Self {
        Diagram { text: "sequenceDiagram\n".to_string(), open: 0 }
    }

    fn line(&mut self, line: &str) {
        let indent = 4 * (1 + self.open);
        let _ = writeln!(self.text, "{:indent$}{line}", "");
    }

    /// Declares participant `id`, shown as `alias` (or as its id when `alias` is `None`).
    pub fn participant(&mut self, id: &str, alias: Option<&str>) {
        match alias {
            Some(a) => self.line(&format!("participant {id} as {}", clean(a))),
            None => self.line(&format!("participant {id}")),
        }
    }

    /// A message from `from` to `to`.
    pub fn message(&mut self, from: &str, to: &str, arrow: Arrow, label: &str) {
        self.line(&format!("{from}{}{to}: {}", arrow.token(), clean(label)));
    }

    /// A note over one participant, or spanning from `id` to `to`.
    pub fn note_over(&mut self, id: &str, to: Option<&str>, text: &str) {
        match to {
            Some(to) if to != id => self.line(&format!("Note over {id},{to}: {}", clean(text))),
            _ => self.line(&format!("Note over {id}: {}", clean(text))),
        }
    }

    /// A note to the right of a participant.
    pub fn note_right(&mut self, id: &str, text: &str) {
        self.line(&format!("Note right of {id}: {}", clean(text)));
    }

    /// Opens a shaded box (closed by [`Diagram::end`]).
    pub fn rect(&mut self, (r, g, b): (u8, u8, u8)) {
        self.line(&format!("rect rgb({r}, {g}, {b})"));
        self.open += 1;
    }

    /// Closes the innermost shaded box.
    pub fn end(&mut self) {
        self.open = self.open.saturating_sub(1);
        self.line("end");
    }

    /// The diagram's text, every box closed.
    pub fn finish(mut self) -> String {
        while self.open > 0 {
            self.end();
        }
        debug_assert_eq!(check(&self.text), Ok(()), "the writer left its own subset:\n{}", self.text);
        self.text
    }
}

/// Why a text is not a diagram of the subset [`Diagram`] writes. Lines are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MermaidError {
    /// The first non-blank line is not `sequenceDiagram`.
    #[error("the first line must be sequenceDiagram")]
    MissingHeader,
    /// A line is none of the forms the writer emits.
    #[error("line {line}: not a form of the subset: {text}")]
    UnknownLine {
        /// Where.
        line: usize,
        /// The line, trimmed.
        text: String,
    },
    /// A participant id that is not a plain identifier, or is a Mermaid keyword.
    #[error("line {line}: '{name}' is not a plain participant id")]
    BadName {
        /// Where.
        line: usize,
        /// The id.
        name: String,
    },
    /// A participant used in a message or note before its declaration.
    #[error("line {line}: participant {name} is used before it is declared")]
    Undeclared {
        /// Where.
        line: usize,
        /// The id.
        name: String,
    },
    /// A participant declared twice.
    #[error("line {line}: participant {name} is declared twice")]
    Redeclared {
        /// Where.
        line: usize,
        /// The id.
        name: String,
    },
    /// A label, note or alias carrying a character Mermaid reads as syntax.
    #[error("line {line}: '{ch}' is not allowed in a label")]
    ForbiddenChar {
        /// Where.
        line: usize,
        /// The character.
        ch: char,
    },
    /// A message or note with no text.
    #[error("line {line}: empty label")]
    EmptyText {
        /// Where.
        line: usize,
    },
    /// An `end` with no `rect` open.
    #[error("line {line}: end without rect")]
    UnmatchedEnd {
        /// Where.
        line: usize,
    },
    /// A `rect` still open at the end of the text.
    #[error("a rect is never closed")]
    UnclosedRect,
}

fn is_id(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name.to_ascii_lowercase().as_str())
}

fn text_ok(line: usize, text: &str) -> Result<(), MermaidError> {
    if text.trim().is_empty() {
        return Err(MermaidError::EmptyText { line });
    }
    match text.chars().find(|c| FORBIDDEN.contains(c)) {
        Some(ch) => Err(MermaidError::ForbiddenChar { line, ch }),
        None => Ok(()),
    }
}

/// `rgb(r, g, b)` with byte components.
fn is_rgb(color: &str) -> bool {
    let Some(inner) = color.strip_prefix("rgb(").and_then(|c| c.strip_suffix(')')) else { return false };
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    parts.len() == 3 && parts.iter().all(|p| p.parse::<u8>().is_ok())
}

/// Checks that `diagram` is written in the subset [`Diagram`] emits (see the module docs).
pub fn check(diagram: &str) -> Result<(), MermaidError> {
    let mut lines =
        diagram.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty());
    match lines.next() {
        Some((_, "sequenceDiagram")) => {}
        _ => return Err(MermaidError::MissingHeader),
    }
    let mut declared: HashSet<&str> = HashSet::new();
    let mut open = 0usize;
    for (n, line) in lines {
        let used = |name: &str, declared: &HashSet<&str>| {
            if !is_id(name) {
                Err(MermaidError::BadName { line: n, name: name.to_string() })
            } else if !declared.contains(name) {
                Err(MermaidError::Undeclared { line: n, name: name.to_string() })
            } else {
                Ok(())
            }
        };
        if let Some(rest) = line.strip_prefix("participant ") {
            let (id, alias) = match rest.split_once(" as ") {
                Some((id, alias)) => (id.trim(), Some(alias)),
                None => (rest.trim(), None),
            };
            if !is_id(id) {
                return Err(MermaidError::BadName { line: n, name: id.to_string() });
            }
            if let Some(alias) = alias {
                text_ok(n, alias)?;
            }
            if !declared.insert(id) {
                return Err(MermaidError::Redeclared { line: n, name: id.to_string() });
            }
        } else if let Some(rest) = line.strip_prefix("Note ") {
            let (place, text) = rest
                .split_once(':')
                .ok_or_else(|| MermaidError::UnknownLine { line: n, text: line.into() })?;
            let who: Vec<&str> = if let Some(ids) = place.strip_prefix("over ") {
                ids.split(',').map(str::trim).collect()
            } else if let Some(id) =
                place.strip_prefix("right of ").or_else(|| place.strip_prefix("left of "))
            {
                vec![id.trim()]
            } else {
                return Err(MermaidError::UnknownLine { line: n, text: line.into() });
            };
            if who.is_empty() || who.len() > 2 {
                return Err(MermaidError::UnknownLine { line: n, text: line.into() });
            }
            for id in who {
                used(id, &declared)?;
            }
            text_ok(n, text)?;
        } else if let Some(color) = line.strip_prefix("rect ") {
            if !is_rgb(color.trim()) {
                return Err(MermaidError::UnknownLine { line: n, text: line.into() });
            }
            open += 1;
        } else if line == "end" {
            open = open.checked_sub(1).ok_or(MermaidError::UnmatchedEnd { line: n })?;
        } else {
            let (head, label) = line
                .split_once(':')
                .ok_or_else(|| MermaidError::UnknownLine { line: n, text: line.into() })?;
            let from_len =
                head.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(head.len());
            let (from, rest) = head.split_at(from_len);
            let arrow = ARROWS
                .iter()
                .find(|a| rest.starts_with(*a))
                .ok_or_else(|| MermaidError::UnknownLine { line: n, text: line.into() })?;
            let to = &rest[arrow.len()..];
            used(from, &declared)?;
            used(to, &declared)?;
            text_ok(n, label)?;
        }
    }
    if open > 0 {
        return Err(MermaidError::UnclosedRect);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_stays_inside_what_the_check_accepts() {
        let mut d = Diagram::new();
        d.participant("L", Some("lock service"));
        d.participant("C1", Some("client 1"));
        d.message("C1", "L", Arrow::Solid, "+0 request; #1: \"now\" <b> {x} 50% a&b `c` d\\e");
        d.message("L", "C1", Arrow::Dotted, "grant");
        d.message("C1", "L", Arrow::Lost, "");
        d.message("L", "C1", Arrow::DottedLost, "lost");
        d.rect((255, 221, 221));
        d.note_over("L", Some("C1"), "VIOLATION: two inside");
        d.note_over("L", Some("L"), "one");
        d.note_right("C1", "line\nbreak");
        let text = d.finish();
        assert_eq!(check(&text), Ok(()), "{text}");
        assert!(text.contains("    C1->>L: +0 request, no. 1 - 'now' (b) (x) 50 percent aandb 'c' d/e\n"));
        assert!(text.contains("C1-xL: -\n"), "an empty label becomes a dash: {text}");
        assert!(text.contains("    Note over L: one\n"), "a note over A,A is written over A: {text}");
        assert!(text.ends_with("    end\n"), "the open rect is closed: {text}");
    }

    #[test]
    fn the_check_refuses_what_the_writer_never_writes() {
        let ok = "sequenceDiagram\n  participant A\n  participant B as b\n";
        let bad = |tail: &str| check(&format!("{ok}{tail}\n")).unwrap_err();
        assert_eq!(check("participant A\n"), Err(MermaidError::MissingHeader));
        assert_eq!(check(""), Err(MermaidError::MissingHeader));
        assert!(matches!(bad("A->>C: x"), MermaidError::Undeclared { line: 4, name } if name == "C"));
        assert!(matches!(bad("A->>B: x; y"), MermaidError::ForbiddenChar { ch: ';', .. }));
        assert!(matches!(bad("A->>B: x # y"), MermaidError::ForbiddenChar { ch: '#', .. }));
        assert!(matches!(bad("A->>B: a: b"), MermaidError::ForbiddenChar { ch: ':', .. }));
        assert!(matches!(bad("A->>B: \"x"), MermaidError::ForbiddenChar { ch: '"', .. }));
        assert!(matches!(bad("A->>B:  "), MermaidError::EmptyText { .. }));
        assert!(matches!(bad("A->B: x"), MermaidError::UnknownLine { .. }));
        assert!(matches!(bad("A->>B x"), MermaidError::UnknownLine { .. }));
        assert!(matches!(bad("loop every round"), MermaidError::UnknownLine { .. }));
        assert!(matches!(bad("Note above A: x"), MermaidError::UnknownLine { .. }));
        assert!(matches!(bad("Note over A,B,A: x"), MermaidError::UnknownLine { .. }));
        assert!(matches!(bad("Note over Z: x"), MermaidError::Undeclared { .. }));
        assert!(matches!(bad("participant A"), MermaidError::Redeclared { .. }));
        assert!(matches!(bad("participant end"), MermaidError::BadName { .. }));
        assert!(matches!(bad("participant 1a"), MermaidError::BadName { .. }));
        assert!(matches!(bad("participant C as x; y"), MermaidError::ForbiddenChar { ch: ';', .. }));
        assert!(matches!(bad("end"), MermaidError::UnmatchedEnd { line: 4 }));
        assert!(matches!(bad("rect red"), MermaidError::UnknownLine { .. }));
        assert!(matches!(bad("rect rgb(1, 2, 300)"), MermaidError::UnknownLine { .. }));
        assert_eq!(check(&format!("{ok}rect rgb(1, 2, 3)\n")), Err(MermaidError::UnclosedRect));
        for arrow in ["->>", "-->>", "-x", "--x"] {
            assert_eq!(check(&format!("{ok}A{arrow}B: x\n")), Ok(()), "{arrow}");
        }
        assert_eq!(check(&format!("{ok}Note right of A: x\nNote left of B: y\nNote over A,B: z\n")), Ok(()));
    }
}
