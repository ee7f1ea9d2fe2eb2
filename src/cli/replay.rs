//! `faultline replay`: one run again, and the timeline around its first violation, as text and as
//! a Mermaid sequence diagram (which GitHub renders).
//!
//! ```text
//! faultline replay lock [FLAGS | --config FILE]   a lock run: the window around its first violation
//! faultline replay FILE.json|FILE.toml            the same, for a configuration file (--config)
//! faultline replay SWEEP.csv --row N              the run of row N (from 0) of a sweep's table
//! faultline replay smr [FLAGS]                    world C of a replication protocol
//! faultline replay smr --stress [FLAGS]           the first failing run of one stress row
//! ```
//! Options: `--mermaid FILE` writes the diagram (a `.md` file gets it in a fenced block, ready for
//! GitHub; any other name gets it bare), `--context K` events on each side of the violation.

use super::CliError;
use super::smr::SmrError;
use crate::flags::{LockArgs, SmrArgs, SmrFlagError, first_line};
use crate::lock::timeline::{self, DEFAULT_CONTEXT, MAX_CONTEXT};
use crate::report::smr::worlds_text;
use crate::smr::config::{SmrConfigError, WorldsConfig};
use crate::smr::theorem;
use crate::smr::world::{self, WorldName};
use crate::smr::{PointError, StressPoint};
use crate::sweep::table::{Table, atomic_write};
use clap::{CommandFactory, FromArgMatches, Parser};
use std::path::{Path, PathBuf};

/// What `faultline replay --help` lists after the options.
const WHAT: &str = "\
What to replay:
  faultline replay lock [FLAGS | --config FILE]   a lock run: the window around its first violation
  faultline replay FILE.json|FILE.toml            the same, for a configuration file (--config)
  faultline replay SWEEP.csv --row N              the run of row N (from 0) of a sweep's table
  faultline replay smr [FLAGS]                    world C of a replication protocol
  faultline replay smr --stress [FLAGS]           the first failing run of one stress row
`faultline replay lock --help` and `faultline replay smr --help` list the runs' flags.";

/// The replay's own options (the run's flags come on the same command line).
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "faultline replay",
    about = "Replay one run and show the timeline around its first violation, as text and as a Mermaid sequence diagram.",
    after_help = WHAT
)]
struct ReplayOptions {
    /// Write the Mermaid diagram here (a .md file gets a fenced block GitHub renders)
    #[arg(long, value_name = "FILE")]
    mermaid: Option<PathBuf>,
    /// Events shown on each side of the first violation
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..=MAX_CONTEXT as u64))]
    context: Option<u64>,
    /// With a sweep's CSV: the row to replay, from 0, in the file's order
    #[arg(long, value_name = "N")]
    row: Option<usize>,
}

/// What stops a replay.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The command line of the replay itself.
    #[error("{0}")]
    Usage(String),
    /// The run's own flags or file.
    #[error(transparent)]
    Cli(#[from] CliError),
    /// A sweep's table.
    #[error(transparent)]
    Table(#[from] crate::sweep::table::TableError),
    /// The diagram's file.
    #[error("{0}")]
    Write(String),
}

/// Runs `faultline replay` on its tokens; the text for stdout.
pub fn run(tokens: &[String]) -> Result<String, ReplayError> {
    if matches!(tokens.first().map(String::as_str), Some("--help" | "-h")) {
        return Ok(ReplayOptions::command().render_help().to_string());
    }
    let (own, rest) = split(tokens);
    let options = ReplayOptions::try_parse_from(std::iter::once("replay".to_string()).chain(own))
        .map_err(|e| ReplayError::Usage(first_line(&e.render().to_string()).to_string()))?;
    let context = options.context.map_or(DEFAULT_CONTEXT, |k| k as usize);
    let Some((target, flags)) = rest.split_first() else {
        return Err(ReplayError::Usage(
            "say what to replay: lock FLAGS, smr FLAGS, a configuration file, or SWEEP.csv --row N".into(),
        ));
    };
    let (text, mermaid) = match target.as_str() {
        "lock" => lock(flags, context)?,
        "smr" => smr(flags)?,
        file if file.ends_with(".csv") => {
            let row = options
                .row
                .ok_or_else(|| ReplayError::Usage(format!("{file} is a sweep: say which --row")))?;
            sweep_row(Path::new(file), row, context)?
        }
        file => lock(&["--config".to_string(), file.to_string()], context)?,
    };
    let mut out = text;
    if let (Some(path), Some(diagram)) = (&options.mermaid, &mermaid) {
        let body = if path.extension().is_some_and(|e| e == "md") {
            format!("```mermaid\n{diagram}```\n")
        } else {
            diagram.clone()
        };
        atomic_write(path, body.as_bytes()).map_err(|e| ReplayError::Write(e.to_string()))?;
        out.push_str(&format!("wrote the diagram to {}\n", path.display()));
    } else if mermaid.is_some() && options.mermaid.is_none() {
        out.push_str("(--mermaid FILE.md writes this as a sequence diagram)\n");
    }
    Ok(out)
}

/// Splits off the replay's own options (and their values) from the run's words.
fn split(tokens: &[String]) -> (Vec<String>, Vec<String>) {
    let mut own = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let name = t.strip_prefix("--").map(|n| n.split('=').next().unwrap_or(n));
        if matches!(name, Some("mermaid" | "context" | "row")) {
            own.push(t.clone());
            if !t.contains('=') && i + 1 < tokens.len() {
                own.push(tokens[i + 1].clone());
                i += 1;
            }
        } else {
            rest.push(t.clone());
        }
        i += 1;
    }
    (own, rest)
}

/// The matches of `flags` against `command`; `Err(Ok(help))` when they ask for help.
fn parse(command: clap::Command, flags: &[String]) -> Result<clap::ArgMatches, Result<String, ReplayError>> {
    let name = command.get_name().to_string();
    command.try_get_matches_from(std::iter::once(name).chain(flags.iter().cloned())).map_err(|e| {
        if e.kind() == clap::error::ErrorKind::DisplayHelp {
            Ok(e.render().to_string())
        } else {
            Err(ReplayError::Usage(first_line(&e.render().to_string()).to_string()))
        }
    })
}

fn lock(flags: &[String], context: usize) -> Result<(String, Option<String>), ReplayError> {
    let command = <LockArgs as clap::Args>::augment_args(clap::Command::new("faultline replay lock"))
        .about("Replay one lock run: its configuration, then the events around its first violation.");
    let matches = match parse(command, flags) {
        Ok(matches) => matches,
        Err(help) => return help.map(|text| (text, None)),
    };
    let args = LockArgs::from_arg_matches(&matches).map_err(|e| ReplayError::Usage(e.to_string()))?;
    let cfg = args.config().map_err(CliError::from)?;
    let replay = timeline::replay(&cfg, context).map_err(|e| ReplayError::Usage(e.to_string()))?;
    let mut text = crate::report::config_summary(&cfg);
    text.push_str("\n\n");
    text.push_str(&crate::report::timeline::first_text(replay.first.as_ref()));
    Ok((text, replay.first.as_ref().map(crate::report::timeline::mermaid)))
}

fn smr(flags: &[String]) -> Result<(String, Option<String>), ReplayError> {
    let command = <SmrArgs as clap::Args>::augment_args(clap::Command::new("faultline replay smr")).about(
        "Replay world C of a replication protocol, or with --stress the first failing run of one stress row.",
    );
    let matches = match parse(command, flags) {
        Ok(matches) => matches,
        Err(help) => return help.map(|text| (text, None)),
    };
    let args = SmrArgs::from_arg_matches(&matches).map_err(|e| ReplayError::Usage(e.to_string()))?;
    Ok(smr_replay(&args)?)
}

/// What `faultline replay smr` shows: world C of the flags' protocol (the worlds' flags), or with
/// `--stress` the first failing run of the one stress row they name; as text and as Mermaid.
fn smr_replay(args: &SmrArgs) -> Result<(String, Option<String>), CliError> {
    if args.stress {
        let sweep = args.stress_config().map_err(|e| match e {
            SmrFlagError::Config(SmrConfigError::QWithCrash) => {
                SmrFlagError::NotWithStress { flag: "--q", why: "a crashed server loses nothing at random" }
            }
            other => other,
        })?;
        let point = StressPoint::new(sweep).map_err(|e| match e {
            PointError::NotOneRow(rows) => SmrError::Replay(format!(
                "this point is {rows} stress rows: give one --protocol, --tau and --q per point"
            )),
            PointError::Config(e) => SmrFlagError::from(e).into(),
        })?;
        return Ok(first_failure(&point, point.sweep().seed)?);
    }
    // The flags are checked as given, then only world C is shown.
    let cfg = WorldsConfig { world: Some(WorldName::C), ..args.worlds_config().map_err(SmrError::from)? };
    // World C needs omission faults; building it says so in one line under crashes.
    world::build(cfg.cluster, WorldName::C, cfg.model)?;
    let rounds = cfg.horizon().map_err(|e| SmrError::Flags(e.into()))?;
    let (text, mermaid) = crate::with_protocol!(cfg.protocol, cfg.tau, |p| {
        let d = theorem::dichotomy(&p, cfg.cluster, rounds, cfg.driver).map_err(SmrError::from)?;
        let c = d.worlds.iter().position(|w| w.name == WorldName::C).expect("the dichotomy runs world C");
        let text = worlds_text(&cfg.run_with(&p).map_err(SmrError::from)?);
        Ok::<_, SmrError>((text, crate::report::smr::diagram::world_mermaid(&d.worlds[c], &d.outcomes[c])))
    })?;
    Ok((text, Some(mermaid)))
}

/// The first run of `point` with master seed `seed` that breaks Termination, Agreement or
/// Validity: which, and the run round by round (the messages, the lost ones marked, what the
/// clients were told), with its Mermaid diagram; or a line saying none did.
fn first_failure(point: &StressPoint, seed: u64) -> Result<(String, Option<String>), SmrError> {
    let (sweep, row) = (point.sweep(), point.row());
    let cfg = sweep.stress_config(row, seed);
    crate::with_protocol!(row.protocol, sweep.protocol_tau(row), |p| {
        Ok(match crate::smr::replay::first_failure(&p, &cfg)? {
            None => {
                (format!("none of the {} runs broke Termination, Agreement or Validity\n", cfg.runs), None)
            }
            Some(f) => (
                crate::report::smr::failure_text(&cfg, seed, &f),
                Some(crate::report::smr::diagram::failure_mermaid(&cfg, &f)),
            ),
        })
    })
}

/// Replays row `row` of a sweep's table through the command its `replay` column gives.
fn sweep_row(path: &Path, row: usize, context: usize) -> Result<(String, Option<String>), ReplayError> {
    let table = Table::read(path)?;
    let shown = path.display();
    let cells = table.rows.get(row).ok_or_else(|| {
        ReplayError::Usage(format!("{shown} has {} rows (from 0); there is no row {row}", table.rows.len()))
    })?;
    let column = table
        .column(crate::sweep::REPLAY)
        .ok_or_else(|| ReplayError::Usage(format!("{shown} has no replay column")))?;
    let line = &cells[column];
    if line.is_empty() {
        let reason = table.column("reason").map(|i| cells[i].as_str()).unwrap_or_default();
        return Err(ReplayError::Usage(format!("row {row} did not run: {reason}")));
    }
    let words = shell_words(line);
    match words.get(..2) {
        Some([faultline, lab]) if faultline == "faultline" && lab == "lock" => lock(&words[2..], context),
        Some([faultline, lab]) if faultline == "faultline" && lab == "smr" => smr(&words[2..]),
        _ => Err(ReplayError::Usage(format!("row {row}'s replay column is not a faultline command"))),
    }
}

/// Splits a line written by [`crate::sweep::shell_word`] back into its words.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => quoted = !quoted,
            '\\' if !quoted => word.extend(chars.next()),
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_read_back_what_shell_word_wrote() {
        let words = ["lock", "--partition", "client:1|server:*", "--pause", "it's", ""];
        let line: Vec<String> =
            words.iter().filter(|w| !w.is_empty()).map(|w| crate::sweep::shell_word(w)).collect();
        assert_eq!(shell_words(&line.join(" ")), words[..5].to_vec());
    }
}
