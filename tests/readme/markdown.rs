//! Reads a README: its shell lines, what each expects, and the output it quotes (the marker
//! syntax is described in `main.rs`).

/// One command of a ```sh block: a line, with its `\` continuation lines joined to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShLine {
    /// The README line it starts on (1-based), for messages.
    pub at: usize,
    /// The block it belongs to: a line that cannot run ends its block's run.
    pub block: usize,
    /// The command as bash gets it, its trailing comment included.
    pub text: String,
    pub plan: Plan,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Run { exit: i32 },
    NotRun { reason: String },
}

/// A ```text block: output the README quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// The README line of its opening fence.
    pub at: usize,
    pub check: QuoteCheck,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteCheck {
    /// Run `command`, expect `exit`, and find every quoted line in its standard output.
    OutputOf {
        command: String,
        exit: i32,
    },
    NotChecked {
        reason: String,
    },
}

#[derive(Debug, Default)]
pub struct Readme {
    pub lines: Vec<ShLine>,
    pub quotes: Vec<Quote>,
}

/// The README's commands and quotes, or every place where a marker is missing or malformed.
pub fn parse(markdown: &str) -> Result<Readme, Vec<String>> {
    let mut readme = Readme::default();
    let mut errors = Vec::new();
    let all: Vec<&str> = markdown.lines().collect();
    let mut i = 0;
    let mut blocks = 0;
    while i < all.len() {
        let Some(info) = all[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let fence_at = i + 1;
        let indent = all[i].len() - all[i].trim_start().len();
        let marker = i.checked_sub(1).and_then(|p| html_comment(all[p]));
        let mut body = Vec::new();
        i += 1;
        while i < all.len() && all[i].trim() != "```" {
            body.push((i + 1, dedent(all[i], indent)));
            i += 1;
        }
        i += 1;
        match info.trim() {
            "sh" => {
                blocks += 1;
                let block_reason = match marker {
                    None => None,
                    Some(m) => match m.strip_prefix("not run:") {
                        Some(reason) => Some(reason.trim().to_string()),
                        None => {
                            errors.push(format!(
                                "line {fence_at}: unknown marker <!-- {m} --> before a sh block"
                            ));
                            None
                        }
                    },
                };
                for (at, text) in commands(&body) {
                    let plan = match &block_reason {
                        Some(reason) => Plan::NotRun { reason: reason.clone() },
                        None => plan_of(&text),
                    };
                    if matches!(plan, Plan::Run { .. }) && program(&text) == Some("cargo") {
                        errors.push(format!(
                            "line {at}: `cargo` cannot run inside `cargo test`: end the line with \
                             `# not run: REASON` (and check the binary's equivalent line instead)"
                        ));
                    }
                    readme.lines.push(ShLine { at, block: blocks, text, plan });
                }
            }
            "text" => {
                let check = match marker {
                    Some(m) if m.starts_with("output of:") => {
                        let command = m["output of:".len()..].trim().to_string();
                        let exit = expected_exit(&command);
                        Some(QuoteCheck::OutputOf { command, exit })
                    }
                    Some(m) if m.starts_with("not checked:") => {
                        Some(QuoteCheck::NotChecked { reason: m["not checked:".len()..].trim().to_string() })
                    }
                    _ => None,
                };
                match check {
                    Some(check) => readme.quotes.push(Quote {
                        at: fence_at,
                        check,
                        lines: body.into_iter().map(|(_, l)| l.to_string()).collect(),
                    }),
                    None => errors.push(format!(
                        "line {fence_at}: a text block quotes output: put <!-- output of: COMMAND --> or \
                         <!-- not checked: REASON --> on the line before it"
                    )),
                }
            }
            _ => {}
        }
    }
    if errors.is_empty() { Ok(readme) } else { Err(errors) }
}

/// The quoted lines that are not in `output`, in order: each must come after the one before it.
/// A quoted line ending in `...` is abridged and matches any line that starts with the rest.
pub fn missing_lines(quoted: &[String], output: &str) -> Vec<String> {
    let output: Vec<&str> = output.lines().map(str::trim_end).collect();
    let mut from = 0;
    let mut missing = Vec::new();
    for want in quoted.iter().map(|l| l.trim_end()).filter(|l| !l.is_empty()) {
        let found = output[from..].iter().position(|have| match want.strip_suffix("...") {
            Some(start) => have.starts_with(start.trim_end()),
            None => *have == want,
        });
        match found {
            Some(k) => from += k + 1,
            None => missing.push(want.to_string()),
        }
    }
    missing
}

/// The first word bash runs, past any `NAME=value` assignments.
pub fn program(command: &str) -> Option<&str> {
    command.split_whitespace().find(|w| !w.contains('='))
}

/// The body of a line that is one HTML comment, `<!-- ... -->`.
fn html_comment(line: &str) -> Option<&str> {
    line.trim().strip_prefix("<!--")?.strip_suffix("-->").map(str::trim)
}

/// A fenced line without the fence's own indentation (a block inside a list item).
fn dedent(line: &str, indent: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(indent)..]
}

/// The commands of a sh block, with the line each starts on; comment lines and blank lines are
/// for the reader.
fn commands(body: &[(usize, &str)]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for &(at, line) in body {
        if pending.is_none() && (line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        let (start, mut text) = pending.take().unwrap_or((at, String::new()));
        match line.trim_end().strip_suffix('\\') {
            Some(head) => {
                text.push_str(head);
                pending = Some((start, text));
            }
            None => {
                text.push_str(line.trim_end());
                out.push((start, text));
            }
        }
    }
    out.extend(pending);
    out
}

fn plan_of(command: &str) -> Plan {
    let comment = trailing_comment(command).unwrap_or("");
    match comment.find("not run:") {
        Some(k) => Plan::NotRun { reason: comment[k + "not run:".len()..].trim().to_string() },
        None => Plan::Run { exit: expected_exit(command) },
    }
}

/// `N` from `(exit N)` in the command's trailing comment; 0 without one.
fn expected_exit(command: &str) -> i32 {
    trailing_comment(command)
        .and_then(|c| c.split("(exit ").nth(1))
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// What follows the first `#` that starts a shell comment: after a blank, outside quotes.
fn trailing_comment(command: &str) -> Option<&str> {
    let mut quote = None;
    let mut after_blank = true;
    for (k, c) in command.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') if after_blank => return Some(command[k + 1..].trim()),
            _ => {}
        }
        after_blank = c.is_whitespace();
    }
    None
}

/// Every path into the repository the README names (`src/lock/design.rs`, a link's target), with
/// its line: a file moved or renamed must take the README along.
pub fn repository_paths(markdown: &str) -> Vec<(usize, String)> {
    const TOP: [&str; 8] =
        ["src/", "tests/", "results/", "loom_tests/", "benches/", "examples/", "docs/", ".ci/"];
    let mut paths = Vec::new();
    for (k, line) in markdown.lines().enumerate() {
        let words = line.split(|c: char| !(c.is_ascii_alphanumeric() || "_./-".contains(c)));
        // `results/grids/...` stands for any file there.
        for word in words.filter(|w| !w.contains("..")).map(|w| w.trim_end_matches(['.', ','])) {
            if TOP.iter().any(|top| word.starts_with(top)) {
                paths.push((k + 1, word.to_string()));
            }
        }
    }
    paths
}
