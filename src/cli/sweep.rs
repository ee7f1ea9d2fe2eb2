//! `faultline sweep`, `faultline merge`: the command line of [`crate::sweep`].
//!
//! ```text
//! faultline sweep lock [--FLAG VALUES]... [--repetitions R] [--seed S] [--out FILE.csv]
//!                      [--shard K/N] [--resume] [--stop-after N] [--quiet]
//! faultline sweep --grid curves.toml [--out FILE.csv] [--shard K/N] [--resume] ...
//! faultline merge SHARD.csv... --out FILE.csv
//! ```
//!
//! The sweep's own options and the laboratory's swept flags share one command line, so the
//! tokens are split first: a token naming one of [`SweepArgs`]' options goes to clap with its
//! value, every other `--flag VALUES` pair is an axis, checked against the laboratory's flags by
//! [`grid::axes`].

use crate::sweep::grid::{self, GridError, GridFile};
use crate::sweep::lock::LockLab;
use crate::sweep::smr::SmrLab;
use crate::sweep::table::{Table, TableError};
use crate::sweep::{self, Laboratory, Options, Shard, Sweep, SweepEnd, SweepError};
use clap::{CommandFactory, Parser};
use std::path::PathBuf;

const HELP: &str = "\
Swept flags:
  Every flag of `faultline lock`, or of `faultline smr --stress`, that takes a value can be swept,
  with its own name and value forms: one value, a comma-separated list, or a range A..B:N of N
  points (log spacing for durations and fractions, linear for whole numbers; :Nlin or :Nlog to
  choose). A replication sweep runs one protocol, tau and q per point; the ones not swept take
  the values --stress tries (every protocol, tau 1,3,6, q 0.1,0.3,0.5,0.9).
  A point that cannot exist is skipped with the reason in the output; a flag that does not apply
  to a point's variant or workload is left out of it (the non-preemptive lock in a lease sweep
  runs once, as the reference at infinite lease).

Output:
  One row per grid point and repetition: the configuration (config.*), every metric with its 95%
  interval, the closed form's prediction and whether it agrees (true, false, or assumption-fails
  where leases expired with nobody waiting, which the closed form assumes never happens), and the
  command that replays the run. A threads-engine row's replay reruns its configuration, not the
  run (wall-clock runs are not reproducible); a run cut short by its horizon, quiescence or event
  budget says so in reason. Written to --out FILE.csv and FILE.json beside it, atomically;
  without --out, the CSV goes to stdout. Finished rows are journalled in FILE.csv.partial;
  --resume continues from it.

Examples:
  faultline sweep lock --lease 1ms..64ms:16 --pause exp:5ms,pareto:1.5:2ms --clients 16 --out curves.csv
  faultline sweep lock --variant lease,fenced,fenced-writes --lease 2ms,5ms,10ms --repetitions 3 --out fencing.csv
  faultline sweep smr --q 0.05..0.95:10lin --tau 1..8:8 --runs 1000 --out dichotomy.csv
  faultline sweep --grid curves.toml --shard 2/8 --out curves-2.csv
  faultline merge curves-*.csv --out curves.csv";

/// Options of `faultline sweep` (the swept flags come on the same command line).
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "faultline sweep", after_help = HELP)]
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
    /// Run only slice K of N (runs whose index is K-1 modulo N); `faultline merge` joins slices
    /// into the unsharded sweep's bytes (simulator rows; threads rows are measured anew)
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
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
    /// The shards' CSV files, written by `faultline sweep --shard K/N --out ...`
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
    Sweep(#[from] SweepError),
    /// A table to read or write.
    #[error(transparent)]
    Table(#[from] TableError),
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
        Err(e) => return Err(SweepCliError::Usage(super::first_line(&e.render().to_string()).to_string())),
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
    match lab.as_str() {
        "lock" => sweep(&LockLab, &args, &given, file_reps, file_seed),
        "smr" => sweep(&SmrLab, &args, &given, file_reps, file_seed),
        other => Err(SweepCliError::Usage(format!(
            "{} is not a laboratory: sweep lock or smr",
            crate::input::Quoted(other)
        ))),
    }
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

fn sweep<L: Laboratory>(
    lab: &L,
    args: &SweepArgs,
    given: &[(String, String)],
    file_reps: Option<u64>,
    file_seed: Option<u64>,
) -> Result<Printed, SweepCliError> {
    let mut given = given.to_vec();
    for (flag, values) in lab.implicit() {
        if !given.iter().any(|(f, _)| *f == flag) {
            given.push((flag, values));
        }
    }
    if given.iter().any(|(flag, _)| flag == "config") {
        return Err(SweepCliError::Usage(
            "--config runs one file as it is and cannot be swept: sweep the flags it holds".into(),
        ));
    }
    let axes = grid::axes(&lab.command(), &given)?;
    let repetitions = args.repetitions.or(file_reps).unwrap_or(1);
    if repetitions == 0 {
        return Err(SweepCliError::Usage("--repetitions must be at least 1".into()));
    }
    if args.out.as_ref().is_some_and(|o| o.extension().is_some_and(|e| e == "json")) {
        return Err(SweepCliError::Usage(
            "--out names the CSV; the JSON is written beside it: give FILE.csv".into(),
        ));
    }
    let spec = Sweep {
        axes,
        repetitions,
        seed: args.seed.or(file_seed).unwrap_or(1),
        shard: args.shard.unwrap_or(Shard::ALL),
    };
    let total = spec.points() * u128::from(repetitions);
    let progress = if args.quiet {
        None
    } else {
        Some(super::progress::bar(u64::try_from(total).unwrap_or(u64::MAX), "runs"))
    };
    let options =
        Options { out: args.out.clone(), resume: args.resume, stop_after: args.stop_after, progress };
    match sweep::run(lab, &spec, &options)? {
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
    text.push_str(&crate::sweep::findings(table));
    text.push_str("every row that ran has a replay column: paste it to run that row alone\n");
    text
}

/// Runs `faultline merge`.
pub fn merge(args: &MergeArgs) -> Result<String, SweepCliError> {
    let mut parts = Vec::new();
    for path in &args.shards {
        parts.push((path.display().to_string(), Table::read(path)?));
    }
    let merged = Table::merge(parts)?;
    merged.write(&args.out)?;
    Ok(format!(
        "wrote {} and {}: {} rows\n",
        args.out.display(),
        crate::sweep::table::json_path(&args.out).display(),
        merged.rows.len()
    ) + &crate::sweep::findings(&merged))
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
