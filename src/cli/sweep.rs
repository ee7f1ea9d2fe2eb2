//! `faultline sweep`, `faultline merge`: the command line of [`crate::sweep`].
//!
//! ```text
//! faultline sweep lock [--FLAG VALUES]... [--repetitions R] [--seed S] [--out FILE.csv]
//!                      [--shard K/N|auto] [--resume] [--stop-after N] [--quiet]
//! faultline sweep --grid curves.toml [--out FILE.csv] [--shard K/N|auto] [--resume] ...
//! faultline merge SHARD.csv... --out FILE.csv
//! ```
//!
//! The sweep's own options and the laboratory's swept flags share one command line, so the
//! tokens are split first: a token naming one of [`SweepArgs`]' options goes to clap with its
//! value, every other `--flag VALUES` pair is an axis, checked against the laboratory's flags by
//! [`grid::axes`](crate::sweep::grid::axes).

use crate::flags::first_line;
use crate::smr::StressSweepConfig;
use crate::smr::protocols::ProtocolKind;
use crate::sweep::grid::{GridError, GridFile};
use crate::sweep::identity::{self, Identity, IdentityError};
use crate::sweep::labs::{LabsError, NamedSweep};
use crate::sweep::shard::{self, AutoError, ShardArg};
use crate::sweep::table::{Table, TableError};
use crate::sweep::{Options, Shard, SweepEnd};
use clap::{CommandFactory, Parser};
use std::path::PathBuf;

/// The text after the options; `{STRESS_DEFAULTS}` is filled in from the library ([`help`]).
const HELP: &str = "\
Swept flags:
  Every flag of `faultline lock`, or of `faultline smr --stress`, that takes a value can be swept,
  with its own name and value forms: one value, a comma-separated list, or a range A..B:N of N
  points (log spacing for durations and fractions, linear for whole numbers; :Nlin or :Nlog to
  choose). A replication sweep runs one protocol, tau and q per point; the ones not swept take
  the values --stress tries ({STRESS_DEFAULTS}).
  A point that cannot exist is skipped with the reason in the output; a flag that does not apply
  to a point's variant or workload is left out of it (the non-preemptive lock in a lease sweep
  runs once, as the reference at infinite lease).

Output:
  One row per grid point and repetition: the configuration (config.*), every metric with its 95%
  interval, the closed form's prediction and whether it agrees (true, false, or assumption-fails
  where leases expired with nobody waiting, which the closed form assumes never happens), and the
  command that replays the run. A threads-engine row's replay reruns its configuration, not the
  run (wall-clock runs are not reproducible); a run cut short by its horizon, quiescence or event
  budget says so in reason. Written to --out FILE.csv and FILE.json beside it (the rows, and
  which grid, faultline and shard made them: what faultline merge checks), atomically;
  without --out, the CSV goes to stdout. Finished rows are journalled in FILE.csv.partial;
  --resume continues from it.

Examples:
  faultline sweep lock --lease 1ms..64ms:16 --pause exp:5ms,pareto:1.5:2ms --clients 16 --out curves.csv
  faultline sweep lock --variant lease,fenced,fenced-writes --lease 2ms,5ms,10ms --repetitions 3 --out fencing.csv
  faultline sweep smr --q 0.05..0.95:10lin --tau 1..8:8 --runs 1000 --out dichotomy.csv
  faultline sweep --grid curves.toml --shard 2/8 --out curves-2.csv
  faultline merge curves-*.csv --out curves.csv";

/// The help after the options, with the defaults of a replication sweep taken from
/// [`StressSweepConfig::default`], where they are defined.
fn help() -> String {
    let sweep = StressSweepConfig::default();
    let list = |items: Vec<String>| items.join(",");
    let every = if sweep.protocols == ProtocolKind::ALL {
        "every protocol".to_string()
    } else {
        format!("protocol {}", list(sweep.protocols.iter().map(|p| p.name().to_string()).collect()))
    };
    let defaults = format!(
        "{every}, tau {}, q {}",
        list(sweep.taus.iter().map(ToString::to_string).collect()),
        list(sweep.qs.iter().map(ToString::to_string).collect())
    );
    HELP.replace("{STRESS_DEFAULTS}", &defaults)
}

/// Options of `faultline sweep` (the swept flags come on the same command line).
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "faultline sweep", after_help = help())]
pub struct SweepArgs {
    /// The laboratory whose flags are swept: lock, or smr (the flags of smr --stress) (not with --grid)
    #[arg(value_name = "LAB")]
    pub lab: Option<String>,
    /// Read the laboratory, axes, repetitions and seed from a TOML grid file instead
    #[arg(long, value_name = "FILE")]
    pub grid: Option<PathBuf>,
    /// Runs per grid point, each with its own seed [default: 1, or the grid file's]
    #[arg(long, value_name = "R")]
    pub repetitions: Option<u64>,
    /// Master seed: run r of point p is seeded from (seed, p, r) [default: 1, or the grid file's]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Write the table here (CSV), and as JSON beside it [default: CSV on stdout]
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    // The help names the variables `auto` reads from the constants the reading uses.
    #[arg(long, value_name = "K/N|auto", value_parser = ShardArg::parse, help = shard::help())]
    pub shard: Option<ShardArg>,
    /// Continue the interrupted sweep whose finished rows are in OUT.partial
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Run at most N runs now and keep them in OUT.partial for a later --resume
    #[arg(long, value_name = "N", requires = "out")]
    pub stop_after: Option<u64>,
    /// No progress bar (there is none anyway when stderr is not a terminal)
    #[arg(long)]
    pub quiet: bool,
}

/// Options of `faultline merge`.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// The shards' CSV files, written by `faultline sweep --shard K/N --out ...`, each with its
    /// JSON beside it, which says which sweep and shard it is: all N shards of one sweep merge
    #[arg(value_name = "SHARD.csv", required = true)]
    pub shards: Vec<PathBuf>,
    /// The merged table (CSV), and its JSON beside it
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
}

/// Options of `faultline plot`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlotArgs {
    /// A sweep's CSV (`faultline sweep ... --out FILE.csv`)
    #[arg(value_name = "FILE.csv")]
    pub csv: PathBuf,
    /// Where the SVG files go, named FILE-PLOT.svg [default: beside the CSV]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// What stops a sweep or a merge.
#[derive(Debug, thiserror::Error)]
pub enum SweepCliError {
    /// The command line of the sweep itself.
    #[error("{0}")]
    Usage(String),
    /// The grid.
    #[error(transparent)]
    Grid(#[from] GridError),
    /// The sweep.
    #[error(transparent)]
    Sweep(#[from] LabsError),
    /// A table to read or write.
    #[error(transparent)]
    Table(#[from] TableError),
    /// `--shard auto` found no slice.
    #[error(transparent)]
    Auto(#[from] AutoError),
    /// Shards that are not all of one sweep.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A plot that cannot be drawn.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
}

/// What the sweep printed: help, or the report (and whether it was help).
pub enum Printed {
    /// `--help`: print, exit 0.
    Help(String),
    /// The CSV (without --out) or a summary of what was written.
    Report(String),
}

/// Runs `faultline sweep` on its tokens (everything after `sweep`).
pub fn run(tokens: &[String]) -> Result<Printed, SweepCliError> {
    let (own, axis_tokens) = split(tokens)?;
    let args = match SweepArgs::try_parse_from(std::iter::once("sweep".to_string()).chain(own)) {
        Ok(args) => args,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            return Ok(Printed::Help(SweepArgs::command().render_help().to_string()));
        }
        Err(e) => return Err(SweepCliError::Usage(first_line(&e.render().to_string()).to_string())),
    };
    let (lab, given, file_reps, file_seed) = match (&args.grid, &args.lab) {
        (Some(_), Some(lab)) => {
            return Err(SweepCliError::Usage(format!("give the laboratory ({lab}) or --grid, not both")));
        }
        (Some(path), None) => {
            if !axis_tokens.is_empty() {
                return Err(SweepCliError::Usage(
                    "swept flags go in the grid file's [axes] when --grid is given".into(),
                ));
            }
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| GridError::File(format!("{name}: {e}")))?;
            let file = GridFile::parse(&name, &text)?;
            let axes = file.axes(&name)?;
            (file.laboratory.clone(), axes, file.repetitions, file.seed)
        }
        (None, Some(lab)) => (lab.clone(), axis_tokens, None, None),
        (None, None) => {
            return Err(SweepCliError::Usage(
                "name the laboratory to sweep (faultline sweep lock ...) or give --grid FILE".into(),
            ));
        }
    };
    let shard = match args.shard {
        None => Shard::ALL,
        Some(ShardArg::Fixed(shard)) => shard,
        Some(ShardArg::Auto) => {
            let (shard, from) = shard::from_env(&|name| std::env::var(name).ok())?;
            // Said at the start, on stderr like the progress bar (stdout may be the CSV), so a
            // cluster job's log shows which slice it is running.
            eprintln!("{from}");
            shard
        }
    };
    let named = NamedSweep {
        lab,
        given,
        repetitions: args.repetitions.or(file_reps).unwrap_or(1),
        seed: args.seed.or(file_seed).unwrap_or(1),
        shard,
    };
    sweep(&named, &args)
}

/// Swept flags and their values, as given.
type Given = Vec<(String, String)>;

/// Splits the tokens into the sweep's own options (with their values) and `(flag, value)` axes.
fn split(tokens: &[String]) -> Result<(Vec<String>, Given), SweepCliError> {
    let command = SweepArgs::command();
    let mut own = Vec::new();
    let mut axes = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        let (name, inline) = match token.strip_prefix("--") {
            Some(rest) => match rest.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (rest, None),
            },
            None => {
                own.push(token.clone());
                i += 1;
                continue;
            }
        };
        let mine = command.get_arguments().find(|a| a.get_long() == Some(name));
        match mine {
            Some(arg) => {
                own.push(token.clone());
                if inline.is_none() && arg.get_action().takes_values() && i + 1 < tokens.len() {
                    own.push(tokens[i + 1].clone());
                    i += 1;
                }
            }
            None if name == "help" => own.push(token.clone()),
            None => {
                let value = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        tokens.get(i).cloned().ok_or_else(|| {
                            SweepCliError::Usage(format!("--{name} needs values: a value, a list, or A..B:N"))
                        })?
                    }
                };
                axes.push((name.to_string(), value));
            }
        }
        i += 1;
    }
    Ok((own, axes))
}

fn sweep(named: &NamedSweep, args: &SweepArgs) -> Result<Printed, SweepCliError> {
    if named.repetitions == 0 {
        return Err(SweepCliError::Usage("--repetitions must be at least 1".into()));
    }
    if args.out.as_ref().is_some_and(|o| o.extension().is_some_and(|e| e == "json")) {
        return Err(SweepCliError::Usage(
            "--out names the CSV; the JSON is written beside it: give FILE.csv".into(),
        ));
    }
    let options =
        Options { out: args.out.clone(), resume: args.resume, stop_after: args.stop_after, progress: None };
    let progress = |runs: u128| {
        (!args.quiet).then(|| super::progress::bar(u64::try_from(runs).unwrap_or(u64::MAX), "runs"))
    };
    match named.run(options, progress)? {
        SweepEnd::Stopped { done, total } => Ok(Printed::Report(format!(
            "stopped after {done} of {total} runs; they are kept in {}.partial: run the same command with --resume to finish\n",
            args.out.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
        ))),
        SweepEnd::Done(table) => Ok(Printed::Report(match &args.out {
            None => String::from_utf8(table.csv()).expect("the table is UTF-8"),
            Some(out) => summary(&table, out),
        })),
    }
}

/// What a sweep wrote, and how to replay what went wrong.
fn summary(table: &Table, out: &std::path::Path) -> String {
    let status = table.column("status").expect("every sweep has a status column");
    let count = |what: &str| table.rows.iter().filter(|r| r[status] == what).count();
    let (ran, skipped) = (count("ok"), count("skipped"));
    let failed = table.rows.len() - ran - skipped;
    let mut text = format!(
        "wrote {} and {}: {} rows, {ran} ran, {skipped} skipped{}\n",
        out.display(),
        crate::sweep::table::json_path(out).display(),
        table.rows.len(),
        if failed > 0 { format!(", {failed} FAILED (see their status)") } else { String::new() }
    );
    text.push_str(&crate::sweep::remarks(table));
    text.push_str("every row that ran has a replay column: paste it to run that row alone\n");
    text
}

/// Runs `faultline merge`: the shards' identities first (one grid, one version, every shard once),
/// then their rows. Tables without an identity (made by hand) have their rows checked only, and
/// the report says so.
pub fn merge(args: &MergeArgs) -> Result<String, SweepCliError> {
    let mut parts = Vec::new();
    let mut ids: Vec<(String, Option<Identity>)> = Vec::new();
    for path in &args.shards {
        // The CSV first: a file that is not there is named as such, not as a shard without JSON.
        parts.push((path.display().to_string(), Table::read(path)?));
        ids.push((path.display().to_string(), Identity::beside(path)?));
    }
    let whole = identity::merged(&ids)?;
    let merged = Table::merge(parts)?;
    merged.write_as(&args.out, whole.as_ref())?;
    let checked = match &whole {
        Some(id) => format!(
            "all {} shards of grid {} (faultline {}), {} runs\n",
            args.shards.len(),
            id.grid,
            id.faultline,
            id.runs
        ),
        None => {
            "no JSON beside the shards says which sweep they are: checked that their rows fill the grid, \
                 not that they are of one grid and version\n"
                .to_string()
        }
    };
    Ok(format!(
        "wrote {} and {}: {} rows\n",
        args.out.display(),
        crate::sweep::table::json_path(&args.out).display(),
        merged.rows.len()
    ) + &checked
        + &crate::sweep::remarks(&merged))
}

/// Runs `faultline plot`.
pub fn plot(args: &PlotArgs) -> Result<String, SweepCliError> {
    let dir = match &args.out {
        Some(dir) => dir.clone(),
        None => args.csv.parent().map(PathBuf::from).unwrap_or_default(),
    };
    let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    let written = crate::plot::plot_file(&args.csv, &dir)?;
    Ok(written.iter().map(|p| format!("wrote {}\n", p.display())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replication_defaults_in_the_help_are_the_library_s() {
        let help = SweepArgs::command().render_help().to_string();
        let sweep = StressSweepConfig::default();
        let taus: Vec<String> = sweep.taus.iter().map(ToString::to_string).collect();
        let qs: Vec<String> = sweep.qs.iter().map(ToString::to_string).collect();
        let expected = format!("(every protocol, tau {}, q {})", taus.join(","), qs.join(","));
        assert!(help.contains(&expected), "{expected} missing from\n{help}");
    }

    /// A set-valued flag written with `+` is one point of a sweep, with every link in it.
    #[test]
    fn a_set_joined_by_plus_is_one_point() {
        let tokens: Vec<String> =
            ["lock", "--links", "lock+storage", "--acquisitions", "50", "--quiet"].map(String::from).to_vec();
        let Ok(Printed::Report(csv)) = run(&tokens) else { panic!("the sweep ran") };
        let table = crate::sweep::table::Table::parse(csv.as_bytes()).expect("a table");
        assert_eq!(table.rows.len(), 1, "{csv}");
        let cell = |c: &str| table.rows[0][table.column(c).expect(c)].clone();
        let links = [cell("config.links.lock"), cell("config.links.storage"), cell("config.links.effect")];
        assert_eq!(links, ["true", "true", "false"]);
    }

    #[test]
    fn a_replication_sweep_writes_its_seed_once() {
        let tokens: Vec<String> = ["smr", "--protocol", "majority", "--q", "0.5", "--runs", "5", "--quiet"]
            .map(String::from)
            .to_vec();
        let Ok(Printed::Report(csv)) = run(&tokens) else { panic!("the sweep ran") };
        let header: Vec<&str> = csv.lines().next().expect("a header").split(',').collect();
        assert_eq!(header.iter().filter(|c| **c == "seed").count(), 1, "{header:?}");
    }
}
