//! Parameter sweeps: one laboratory's runs over a grid of its own flags, in parallel, written as
//! a tidy table.
//!
//! A sweep varies the flags of `faultline lock` (or of `faultline smr --stress`) over lists and
//! ranges ([`grid`]); each combination is a *point*, run `repetitions` times with independent
//! seeds. Every point is resolved by the laboratory's own command line, so a swept flag means
//! exactly what it means in a single run, and a combination that cannot exist is skipped with the
//! one-line reason the single run would give. A flag that does not apply to a point's variant or
//! workload (a lease for the non-preemptive lock) is left out of that point, and points that then
//! coincide run once: the non-preemptive lock in a lease sweep is the reference at infinite lease.
//!
//! Simulator runs are deterministic and independent of scheduling: run `r` of point `p` is seeded
//! from (master seed, `p`, `r`) through a hash ([`crate::rng::derive`]), they go through rayon in
//! any order, and the rows are sorted before they are written. So 1 thread and 16 give the same
//! bytes, a sweep split into shards (`--shard K/N`, a deterministic slice of the runs) and merged
//! gives the bytes of the unsplit sweep, and an interrupted sweep resumed gives the bytes of an
//! uninterrupted one. Runs on the threads engine measure wall-clock behaviour: they run one at a
//! time, never beside each other, and none of this holds for them. Their seed fixes the
//! configuration's random draws, not the operating system's scheduling, so their replay command
//! reruns the configuration, not the run; their `reason` says so ([`NOT_REPRODUCIBLE`]).
//!
//! Every row starts with the point, repetition, seed, status and reason. The reason says why a
//! point was skipped; for a run, that it was cut short before its work was done ([`UNFINISHED`])
//! or cannot be reproduced from its seed ([`NOT_REPRODUCIBLE`]), and is empty otherwise.
//! [`remarks`] counts these, and the rows whose data contradict a closed form or where its
//! assumption failed, for the lines printed after a sweep.
//!
//! While a sweep runs, each finished row is appended to a journal beside the output
//! (`OUT.partial`); the output itself ([`table`]) is written atomically at the end, and the
//! journal removed. `--resume` continues from the journal. The JSON says which sweep and slice it
//! is ([`identity`]), so that `faultline merge` joins shards of one sweep only, and all of them.

pub mod grid;
pub mod identity;
pub mod labs;
pub mod lock;
pub mod shard;
pub mod smr;
pub mod table;

pub use shard::Shard;

use crate::lock::predict::Fit;
use crate::rng;
use grid::Axis;
use rayon::prelude::*;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use table::{REPETITION, Table, TableError};

/// A laboratory a sweep can drive: its flags, how a point resolves, how a run becomes cells.
pub trait Laboratory: Sync {
    /// A point's resolved run.
    type Job: Send + Sync;

    /// The subcommand whose flags the grid varies (`lock`).
    fn name(&self) -> &'static str;
    /// The words that run one point by itself, before its flags (`lock`, `smr --stress`).
    fn invocation(&self) -> &'static str {
        self.name()
    }
    /// Its flags, to check a grid's names and values against.
    fn command(&self) -> clap::Command;
    /// Axes a sweep gets when it does not sweep these flags itself: what a single run would try
    /// anyway (the replication laboratory's stress runs every protocol at several `τ` and `q`).
    fn implicit(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// The columns each run fills, the same for every row whatever its outcome.
    fn columns(&self) -> Vec<String>;
    /// What `settings` (flag, value pairs) run as, or why they cannot: a flag that does not apply
    /// to the others (the sweep then leaves it out of the point and asks again), or a reason the
    /// point cannot exist.
    fn resolve(&self, settings: &[(String, String)]) -> Result<Self::Job, Refusal>;
    /// Runs `job` with `seed`; its cells, by column.
    fn run(&self, job: &Self::Job, seed: u64) -> Vec<(String, String)>;
    /// True for a job that must not run beside others (wall-clock measurements).
    fn alone(&self, job: &Self::Job) -> bool;
    /// True when a run of `job` is reproducible: its seed gives the same run, so its replay
    /// command reruns that very run and shards merge to the unsharded sweep's bytes. A wall-clock
    /// measurement (a job that runs alone) is not: its replay reruns the configuration.
    fn reproducible(&self, job: &Self::Job) -> bool {
        !self.alone(job)
    }
    /// How a run whose `cells` these are ended before its work was done, or `None` if it did
    /// not. By default a run that reports an `ending` other than `finished` (its horizon,
    /// quiescence or event budget stopped it) was cut short.
    fn cut_short(&self, cells: &[(String, String)]) -> Option<String> {
        let (_, ending) = cells.iter().find(|(column, _)| column == ENDING)?;
        (ending != "finished").then(|| format!("ended by {ending} before its work was done"))
    }
}

/// The column in which a run reports why it stopped.
const ENDING: &str = "ending";
/// How the `reason` of a run cut short says so (a finished, reproducible run's reason is empty).
pub const UNFINISHED: &str = "unfinished";
/// How the `reason` of a run that is not reproducible says so.
pub const NOT_REPRODUCIBLE: &str = "not reproducible";
/// What separates the parts of a run's `reason`.
const REASONS: &str = "; ";

/// True when a row's `reason` says its run was cut short before its work was done.
pub fn is_unfinished(reason: &str) -> bool {
    reason.split(REASONS).any(|part| part.starts_with(UNFINISHED))
}

/// True when a row's `reason` says its run cannot be reproduced from its seed.
pub fn is_not_reproducible(reason: &str) -> bool {
    reason.split(REASONS).any(|part| part.starts_with(NOT_REPRODUCIBLE))
}

/// A point's flags and their values.
type Settings = Vec<(String, String)>;

/// Why a point's settings do not run as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// This flag (with its dashes) does not apply to the point's other settings, as a lease to
    /// the non-preemptive lock: leave it out of the point.
    Inapplicable(String),
    /// The point cannot exist; the one-line reason.
    Impossible(String),
}

/// What a point runs as: the job and the flags it ran with (those that applied), or why it is
/// skipped. One mechanism for every laboratory, so "a flag that does not apply is left out, and
/// points that then coincide run once" means the same everywhere.
fn resolve<L: Laboratory>(lab: &L, settings: &[(String, String)]) -> Result<(L::Job, Settings), String> {
    let mut kept = settings.to_vec();
    loop {
        match lab.resolve(&kept) {
            Ok(job) => return Ok((job, kept)),
            Err(Refusal::Impossible(why)) => return Err(why),
            Err(Refusal::Inapplicable(flag)) => {
                let before = kept.len();
                kept.retain(|(f, _)| format!("--{f}") != flag);
                if kept.len() == before {
                    return Err(format!("{flag} does not apply to this point"));
                }
            }
        }
    }
}

/// Most runs one invocation does (its slice of points times repetitions): every row is held in
/// memory (a few kilobytes each) until the table is written, so this keeps it under a few hundred
/// megabytes. Larger grids run as shards (`--shard K/N`), each within this.
pub const MAX_RUNS: u64 = 100_000;
/// Most points a grid may have: every point is resolved (and its run remembered, to run points
/// that coincide once) before anything runs, in every shard.
pub const MAX_POINTS: u64 = 1_000_000;

/// A sweep: the grid, repetitions, master seed and slice.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// Swept flags, in the laboratory's flag order.
    pub axes: Vec<Axis>,
    /// Runs per point, each with its own seed.
    pub repetitions: u64,
    /// Master seed.
    pub seed: u64,
    /// The slice of runs this invocation does.
    pub shard: Shard,
}

/// Why a sweep could not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// No repetitions: nothing would run.
    #[error("a sweep needs at least 1 repetition")]
    NoRepetitions,
    /// The grid is larger than a sweep may be.
    #[error(
        "this sweep would do {0} runs (points times repetitions), more than the {MAX_RUNS} one invocation may: split it with --shard K/N"
    )]
    TooLarge(u128),
    /// The grid has more points than any sweep may.
    #[error("the grid has {0} points, more than the {MAX_POINTS} a sweep may have")]
    TooManyPoints(u128),
    /// A journal from an interrupted sweep is in the way, or belongs to another sweep.
    #[error("{0}")]
    Journal(String),
    /// The table could not be written.
    #[error(transparent)]
    Table(#[from] TableError),
}

/// The fixed columns every row starts with, before the laboratory's.
const LEADING: [&str; 5] = [table::POINT, REPETITION, "seed", "status", "reason"];
/// The last column: the command that replays the row's run.
pub const REPLAY: &str = "replay";

impl Sweep {
    /// Points in the grid (the product of the axes' lengths; 1 without axes).
    pub fn points(&self) -> u128 {
        self.axes.iter().map(|a| a.values.len() as u128).product()
    }

    /// The settings of point `p`: the last axis varies fastest.
    fn settings(&self, mut p: u64) -> Vec<(String, String)> {
        let mut settings = vec![(String::new(), String::new()); self.axes.len()];
        for (slot, axis) in settings.iter_mut().zip(&self.axes).rev() {
            let n = axis.values.len() as u64;
            *slot = (axis.flag.clone(), axis.values[(p % n) as usize].clone());
            p /= n;
        }
        settings
    }

    /// The grid in a canonical text: the laboratory, the axes with their expanded values, the
    /// repetitions and the seed; what a shard's [`identity::Identity`] digests.
    fn grid_text(&self, lab: &str) -> String {
        let axes: Vec<String> =
            self.axes.iter().map(|a| format!("--{} {}", a.flag, a.values.join(","))).collect();
        format!(
            "faultline sweep {lab} {} --repetitions {} --seed {}",
            axes.join(" "),
            self.repetitions,
            self.seed
        )
    }

    /// A line that names this sweep and slice exactly, for the journal: a resume must continue
    /// the same sweep, not another one written to the same file.
    fn fingerprint(&self, lab: &str) -> String {
        format!("{} --shard {}", self.grid_text(lab), self.shard)
    }

    /// What this sweep's JSON says it is, once its slice has `runs` rows.
    pub fn identity(&self, lab: &str, runs: u64) -> identity::Identity {
        identity::Identity {
            grid: identity::digest(&self.grid_text(lab)),
            faultline: identity::VERSION.to_string(),
            shard: self.shard,
            runs,
        }
    }
}

/// What a finished table's rows say beyond their numbers, a line for each kind that occurs: rows
/// whose data contradict their closed form, rows off their closed form where its assumption did
/// not hold, and runs cut short before their work was done.
pub fn remarks(table: &Table) -> String {
    let judged: Vec<usize> =
        (0..table.header.len()).filter(|&i| table.header[i].starts_with("agrees.")).collect();
    let with =
        |verdict: Fit| table.rows.iter().filter(|r| judged.iter().any(|&i| r[i] == verdict.cell())).count();
    let reason = table.column("reason");
    let rows_whose =
        |says: fn(&str) -> bool| table.rows.iter().filter(|r| reason.is_some_and(|i| says(&r[i]))).count();
    let mut text = String::new();
    let mut line = |count: usize, what: String| {
        if count > 0 {
            text.push_str(&format!("{count} {}: {what}\n", if count == 1 { "row" } else { "rows" }));
        }
    };
    line(
        with(Fit::Disagrees),
        format!(
            "the data contradict the closed form beyond 4 standard errors (agrees.* = {})",
            Fit::Disagrees.cell()
        ),
    );
    line(
        with(Fit::AssumptionFails),
        format!(
            "the closed form's assumption did not hold: leases expired with nobody waiting, enough to \
             explain the gap (agrees.* = {}; docs/model.md §4.5)",
            Fit::AssumptionFails.cell()
        ),
    );
    line(
        rows_whose(is_unfinished),
        format!("the run was cut short before its work was done (reason: {UNFINISHED}: ...)"),
    );
    line(
        rows_whose(is_not_reproducible),
        format!(
            "the run measured wall-clock time (the threads engine): its replay reruns the configuration, not \
             the run, and merged shards match the unsharded sweep byte for byte only in simulator rows \
             (reason: {NOT_REPRODUCIBLE}: ...)"
        ),
    );
    text
}

/// The header of a sweep's table over `lab`.
pub fn header<L: Laboratory>(lab: &L) -> Vec<String> {
    LEADING.iter().map(|s| s.to_string()).chain(lab.columns()).chain([REPLAY.to_string()]).collect()
}

/// Options of one invocation that do not change what the sweep is.
#[derive(Debug, Default)]
pub struct Options {
    /// The CSV to write (the JSON goes beside it); `None` keeps the table in memory only.
    pub out: Option<PathBuf>,
    /// Continue from the journal an interrupted run of the same sweep left.
    pub resume: bool,
    /// Run at most this many runs now, keep the journal, and write no table (a later `--resume`
    /// finishes): for sweeps too long for one sitting, and for tests of the resume.
    pub stop_after: Option<u64>,
    /// Progress, shown on a terminal only.
    pub progress: Option<indicatif::ProgressBar>,
}

/// How far an invocation of a sweep got: to the finished table, or to a stop part-way.
#[derive(Debug)]
pub enum SweepEnd {
    /// Every run of the slice is in the table (and in the files, if any).
    Done(Table),
    /// Stopped after `done` of `total` runs; the journal keeps them.
    Stopped {
        /// Runs finished so far, earlier invocations included.
        done: u64,
        /// Runs in the slice.
        total: u64,
    },
}

/// Runs `sweep` over `lab`.
pub fn run<L: Laboratory>(lab: &L, sweep: &Sweep, options: &Options) -> Result<SweepEnd, SweepError> {
    if sweep.repetitions == 0 {
        return Err(SweepError::NoRepetitions);
    }
    let points = sweep.points();
    if points > u128::from(MAX_POINTS) {
        return Err(SweepError::TooManyPoints(points));
    }
    let total_runs = points * u128::from(sweep.repetitions);
    let (k, n) = (u128::from(sweep.shard.index), u128::from(sweep.shard.count));
    let slice_runs = total_runs.saturating_sub(k).div_ceil(n);
    if slice_runs > u128::from(MAX_RUNS) {
        return Err(SweepError::TooLarge(slice_runs));
    }
    if let Some(out) = &options.out {
        Table::check_target(out)?;
    }
    let reps = sweep.repetitions;
    // Resolve every point once; a point whose run coincides with an earlier point's is skipped in
    // its favour.
    let mut first_with: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let resolved: Vec<Point<L::Job>> = (0..points as u64)
        .map(|p| match resolve(lab, &sweep.settings(p)) {
            Err(why) => Point::Skip(why),
            Ok((job, flags)) => {
                let replay = replay_prefix(lab.invocation(), &flags);
                match first_with.get(&replay) {
                    Some(&q) => Point::Skip(format!("the same run as point {q}")),
                    None => {
                        first_with.insert(replay.clone(), p);
                        Point::Run { job, replay }
                    }
                }
            }
        })
        .collect();
    let header = header(lab);
    let mut table = Table::new(header.clone());
    let journal_path = options.out.as_ref().map(|o| PathBuf::from(format!("{}.partial", o.display())));
    let fingerprint = sweep.fingerprint(lab.name());
    if let Some(path) = &journal_path {
        // Only rows of this slice, once each: a journal row is a finished run of this sweep.
        let mut seen = std::collections::HashSet::new();
        table.rows = open_journal(path, &fingerprint, &header, options.resume)?
            .into_iter()
            .filter(|r| {
                let (p, rep) = (r[0].parse::<u64>(), r[1].parse::<u64>());
                matches!((p, rep), (Ok(p), Ok(rep)) if (p as u128) < points && rep < reps
                    && sweep.shard.has(p * reps + rep))
                    && seen.insert((r[0].clone(), r[1].clone()))
            })
            .collect();
    }
    let done: std::collections::HashSet<(String, String)> =
        table.rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let todo: Vec<(u64, u64)> = (0..points as u64)
        .flat_map(|p| (0..reps).map(move |r| (p, r)))
        .filter(|&(p, r)| sweep.shard.has(p * reps + r))
        .filter(|(p, r)| !done.contains(&(p.to_string(), r.to_string())))
        .collect();
    let slice_total = (table.rows.len() + todo.len()) as u64;
    let now: Vec<(u64, u64)> = match options.stop_after {
        Some(n) => todo.iter().copied().take(n as usize).collect(),
        None => todo.clone(),
    };
    let journal = match &journal_path {
        Some(path) => Some(std::sync::Mutex::new(start_journal(path, &fingerprint, &table.rows)?)),
        None => None,
    };
    if let Some(bar) = &options.progress {
        bar.set_length(now.len() as u64);
    }
    let one = |&(p, r): &(u64, u64)| -> Vec<String> {
        let row = row(lab, &header, &resolved[p as usize], p, r, rng::derive(sweep.seed, &[p, r]));
        if let Some(journal) = &journal {
            let mut file = journal.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // A journal that cannot be written costs the resume, not the sweep.
            let _ = serde_json::to_writer(&mut *file, &row).map(|()| file.write_all(b"\n"));
            let _ = file.flush();
        }
        if let Some(bar) = &options.progress {
            bar.inc(1);
        }
        row
    };
    let alone =
        |&(p, _): &(u64, u64)| matches!(&resolved[p as usize], Point::Run { job, .. } if lab.alone(job));
    let (sequential, parallel): (Vec<_>, Vec<_>) = now.iter().copied().partition(alone);
    table.rows.extend(parallel.par_iter().map(one).collect::<Vec<_>>());
    table.rows.extend(sequential.iter().map(one));
    if let Some(bar) = &options.progress {
        bar.finish_and_clear();
    }
    let finished = table.rows.len() as u64;
    if finished < slice_total {
        return Ok(SweepEnd::Stopped { done: finished, total: slice_total });
    }
    table.sort()?;
    if let Some(out) = &options.out {
        table.write_as(out, Some(&sweep.identity(lab.name(), table.rows.len() as u64)))?;
        if let Some(path) = &journal_path {
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(SweepEnd::Done(table))
}

/// A resolved point.
enum Point<J> {
    Run { job: J, replay: String },
    Skip(String),
}

/// The row of run `r` of point `p`.
fn row<L: Laboratory>(
    lab: &L,
    header: &[String],
    point: &Point<L::Job>,
    p: u64,
    r: u64,
    seed: u64,
) -> Vec<String> {
    let mut cells = vec![String::new(); header.len()];
    cells[0] = p.to_string();
    cells[1] = r.to_string();
    let last = header.len() - 1;
    match point {
        Point::Skip(why) => {
            cells[3] = "skipped".into();
            cells[4] = why.clone();
        }
        Point::Run { job, replay } => {
            cells[2] = seed.to_string();
            cells[3] = "ok".into();
            let ran = lab.run(job, seed);
            let mut reasons: Vec<String> =
                lab.cut_short(&ran).map(|how| format!("{UNFINISHED}: {how}")).into_iter().collect();
            if !lab.reproducible(job) {
                reasons.push(format!(
                    "{NOT_REPRODUCIBLE}: a wall-clock run; the replay command reruns its configuration, not this run"
                ));
            }
            cells[4] = reasons.join(REASONS);
            for (column, text) in ran {
                match header.iter().position(|h| *h == column) {
                    Some(i) => cells[i] = text,
                    // A laboratory whose columns() misses a cell it reports is a bug, not data
                    // to drop in silence.
                    None => {
                        debug_assert!(false, "{} reported column {column}, not in its columns()", lab.name())
                    }
                }
            }
            cells[last] = format!("{replay} --seed {seed}");
        }
    }
    cells
}

/// `faultline LAB --flag value ...`, with values quoted for a POSIX shell where needed.
fn replay_prefix(lab: &str, flags: &[(String, String)]) -> String {
    let mut line = format!("faultline {lab}");
    for (flag, value) in flags {
        line.push_str(&format!(" --{flag} {}", shell_word(value)));
    }
    line
}

/// `text` as one word for a POSIX shell.
pub fn shell_word(text: &str) -> String {
    let plain =
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.,:/@%+=".contains(&b));
    if plain { text.to_string() } else { format!("'{}'", text.replace('\'', r"'\''")) }
}

/// The rows an interrupted run of this sweep left, if resuming; refuses a journal in the way.
fn open_journal(
    path: &Path,
    fingerprint: &str,
    header: &[String],
    resume: bool,
) -> Result<Vec<Vec<String>>, SweepError> {
    let shown = path.display();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return if resume {
                Err(SweepError::Journal(format!("--resume: there is no {shown} to continue from")))
            } else {
                Ok(Vec::new())
            };
        }
        Err(e) => return Err(SweepError::Journal(format!("{shown}: {e}"))),
    };
    if !resume {
        return Err(SweepError::Journal(format!(
            "an interrupted sweep left {shown}: add --resume to continue it, or delete it to start over"
        )));
    }
    let mut lines = std::io::BufReader::new(file).lines();
    match lines.next() {
        Some(Ok(line)) if line == fingerprint => {}
        _ => {
            return Err(SweepError::Journal(format!(
                "{shown} belongs to another sweep: resume it with the grid it was started with, or delete it"
            )));
        }
    }
    // The last line may have been cut by the interruption: a row that does not parse, or is not
    // as long as the header, is run again.
    Ok(lines
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<Vec<String>>(&l).ok())
        .filter(|row| row.len() == header.len())
        .collect())
}

/// The journal, started afresh with the sweep's fingerprint and the rows already done (so a row
/// cut short by an interruption is not left in the middle of it), open for appending.
fn start_journal(path: &Path, fingerprint: &str, rows: &[Vec<String>]) -> Result<std::fs::File, SweepError> {
    let err = |e: std::io::Error| SweepError::Journal(format!("{}: {e}", path.display()));
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(err)?);
    writeln!(f, "{fingerprint}").map_err(err)?;
    for row in rows {
        serde_json::to_writer(&mut f, row).map_err(|e| err(e.into()))?;
        writeln!(f).map_err(err)?;
    }
    f.into_inner().map_err(|e| err(e.into_error()))
}
