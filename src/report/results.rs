//! The report in `results/`: the standard sweeps, their plots, and `results/README.md`, which says
//! what each plot shows and what to conclude from it, with the figures measured in this run.
//!
//! The sweeps are the grid files in `results/grids/` (the form anyone can keep in a repository and
//! run with `faultline sweep --grid`); each writes `results/sweeps/NAME.csv` and `.json`, and
//! `faultline plot` draws `results/plots/NAME-*.svg`. Those files depend only on the code and the
//! grids: the tests check that the committed ones are what the committed code produces. The
//! README adds what depends on the machine: the threads engine beside the simulator, the
//! toolchain, the commit, the time each sweep took. `cargo bench --bench violation_curves` runs
//! all of it.

use crate::fault::Dist;
use crate::lock::{EngineKind, LockConfig, Variant};
use crate::sweep::grid::GridFile;
use crate::sweep::labs::NamedSweep;
use crate::sweep::table::{Table, atomic_write};
use crate::sweep::{Options, Shard, SweepEnd};
use crate::time::{Human, MS, Nanos};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The standard sweeps, by grid file name, in the order the report shows them.
pub const GRIDS: [&str; 9] =
    ["lease", "rare", "rare-links", "gc", "fencing", "margin", "clients", "redlock", "replication"];

/// Grids whose overlap-against-lease plot marks `faultline advise`'s answer for a target rate,
/// on the configuration of their first row that the rare-event estimator made.
pub const ADVISED: [(&str, f64); 1] = [("gc", 1e-6)];

/// Why the report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// A sweep failed; why, in the words `faultline sweep` would use.
    #[error("sweep {grid}: {why}")]
    Sweep {
        /// The grid.
        grid: String,
        /// What went wrong.
        why: String,
    },
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    /// A table could not be read or written.
    #[error(transparent)]
    Table(#[from] crate::sweep::table::TableError),
}

/// Runs the sweep of the grid file at `grid_file` into `csv` (and its JSON), as
/// `faultline sweep --grid GRID --out CSV --quiet` does.
fn sweep_grid(grid_file: &Path, csv: &Path) -> Result<(), String> {
    let name = grid_file.display().to_string();
    let text = std::fs::read_to_string(grid_file).map_err(|e| format!("{name}: {e}"))?;
    let file = GridFile::parse(&name, &text).map_err(|e| e.to_string())?;
    let named = NamedSweep {
        lab: file.laboratory.clone(),
        given: file.axes(&name).map_err(|e| e.to_string())?,
        repetitions: file.repetitions.unwrap_or(1),
        seed: file.seed.unwrap_or(1),
        shard: Shard::ALL,
    };
    let options = Options { out: Some(csv.to_path_buf()), resume: false, stop_after: None, progress: None };
    match named.run(options, |_| None).map_err(|e| e.to_string())? {
        SweepEnd::Done(_) => Ok(()),
        SweepEnd::Stopped { done, total } => Err(format!("stopped after {done} of {total} runs")),
    }
}

/// Runs the standard sweep `grid` of the repository at `root` into `results/sweeps/`, and draws
/// its plots into `results/plots/`. Returns the table and the files written.
pub fn sweep_and_plot(root: &Path, grid: &str) -> Result<(Table, Vec<PathBuf>), ResultsError> {
    let results = root.join("results");
    let csv = results.join("sweeps").join(format!("{grid}.csv"));
    std::fs::create_dir_all(results.join("sweeps"))
        .map_err(|e| ResultsError::Sweep { grid: grid.into(), why: e.to_string() })?;
    let grid_file = results.join("grids").join(format!("{grid}.toml"));
    sweep_grid(&grid_file, &csv).map_err(|why| ResultsError::Sweep { grid: grid.into(), why })?;
    let plots = crate::plot::plot_file(&csv, &results.join("plots"))?;
    Ok((Table::read(&csv)?, plots))
}

/// Everything: the sweeps, the plots, the threads engine at three points, and the README.
/// Returns the README's text.
pub fn regenerate(root: &Path) -> Result<String, ResultsError> {
    let mut sections = Vec::new();
    let mut timings = Vec::new();
    for grid in GRIDS {
        let started = Instant::now();
        let (table, plots) = sweep_and_plot(root, grid)?;
        let advice = match ADVISED.iter().find(|(g, _)| *g == grid) {
            Some(&(_, target)) => Some(mark_advice(root, grid, &table, target)?),
            None => None,
        };
        timings.push((grid, started.elapsed().as_secs_f64(), table.rows.len()));
        let mut text = section(grid, &table, &plots, root);
        if let Some(advice) = advice {
            text.push_str(&advice);
        }
        sections.push(text);
    }
    let threads = threads_beside_sim();
    let readme = readme(&sections, &threads, &timings);
    atomic_write(&root.join("results").join("README.md"), readme.as_bytes())?;
    Ok(readme)
}

/// Runs `faultline advise` for `target` on the configuration of `grid`'s first rare-estimated
/// row, draws its answer on the grid's overlap-against-lease plot, and returns the paragraph that
/// reports it.
fn mark_advice(root: &Path, grid: &str, table: &Table, target: f64) -> Result<String, ResultsError> {
    use crate::lock::advise::{Measure, shortest_lease};
    let fail = |why: String| ResultsError::Sweep { grid: grid.into(), why };
    let v = View { table };
    let row = v
        .rows()
        .find(|r| v.text(r, "estimator") == "rare")
        .ok_or_else(|| fail("no rare-estimated row".into()))?;
    let mut cfg = config_of(v.text(row, crate::sweep::REPLAY))
        .ok_or_else(|| fail("its replay column does not parse".into()))?;
    cfg.estimator = crate::lock::rare::Estimator::Count;
    let answer = shortest_lease(&cfg, Measure::Overlap, target).map_err(|e| fail(e.to_string()))?;
    let (Some(lease), Some([lo, hi])) = (answer.lease_ns, answer.lease_ci95_ns) else {
        return Err(fail(format!("advise found no lease for {target:e}")));
    };
    // A figure of its own beside the standard ones, which `faultline plot` draws from the table
    // alone and the tests redraw byte for byte.
    let mut plot = crate::plot::lock::overlap_vs_lease(table)?;
    plot.panels[0].markers.push(crate::plot::figure::Marker {
        x: lease as f64 / MS as f64,
        color: 1,
        label: format!("advise: {} for {target:.0e}", Human(lease)),
    });
    plot.name = "advised".into();
    plot.title = format!("The lease to pick for these pauses: faultline advise's answer for {target:.0e}");
    plot.marker_meaning = Some("the vertical line is faultline advise's lease for the target rate".into());
    let rel = format!("plots/{grid}-{}.svg", plot.name);
    crate::plot::write_svg(&plot, &root.join("results").join(&rel))?;
    Ok(format!(
        "![{rel}]({rel})\n\n`faultline advise {}--target {target:.0e}` answers {} (95% interval [{}, {}]), the \
         vertical line above: the shortest lease at which these pauses overlap at most {target:.0e} per acquisition. \
         Waiting for it costs {} on average under contention (p99 {}), and a crashed holder keeps the lock {}.\n",
        advise_flags(&cfg),
        Human(lease),
        Human(lo),
        Human(hi),
        Human(answer.mean_wait_ns.round() as u64),
        Human(answer.p99_wait_ns),
        Human(answer.unavailable_after_crash_ns),
    ))
}

/// The configuration a sweep's replay column runs.
fn config_of(replay: &str) -> Option<LockConfig> {
    use clap::{Args, FromArgMatches};
    let words: Vec<&str> = replay.split_whitespace().collect();
    let command = crate::flags::LockArgs::augment_args(clap::Command::new("lock"));
    let matches = command.try_get_matches_from(words.get(1..)?).ok()?;
    crate::flags::LockArgs::from_arg_matches(&matches).ok()?.config().ok()
}

/// The flags of `cfg` that `faultline advise` needs to be given for the report's grids.
fn advise_flags(cfg: &LockConfig) -> String {
    format!(
        "--clients {} --work {} --pause {} --acquisitions {} --seed {} ",
        cfg.clients,
        crate::time::Exact(cfg.work),
        cfg.pause,
        cfg.acquisitions,
        cfg.seed
    )
}

/// A view of a sweep's table: rows that ran, cells by column name.
struct View<'t> {
    table: &'t Table,
}

impl<'t> View<'t> {
    fn rows(&self) -> impl Iterator<Item = &'t Vec<String>> + '_ {
        let status = self.table.column("status");
        self.table.rows.iter().filter(move |r| status.is_some_and(|i| r[i] == "ok"))
    }
    fn text(&self, row: &'t [String], column: &str) -> &'t str {
        self.table.column(column).map_or("", |i| row[i].as_str())
    }
    fn number(&self, row: &[String], column: &str) -> Option<f64> {
        self.table.column(column).and_then(|i| row[i].parse().ok())
    }
    fn duration(&self, row: &[String], column: &str) -> Option<Nanos> {
        self.table.column(column).and_then(|i| crate::time::parse_duration(&row[i]).ok())
    }
}

/// Where a curve of (lease, rate) points first falls to `target`.
enum Crossing {
    /// Between two measured points, interpolated log-linearly.
    At(f64),
    /// Somewhere up to this lease, the first point with no overlap at all (a step, or too few
    /// acquisitions to see the tail).
    AtMost(f64),
}

fn lease_for(points: &[(f64, f64)], target: f64) -> Option<Crossing> {
    let w = points.windows(2).find(|w| w[0].1 > target && w[1].1 <= target)?;
    let ((l0, r0), (l1, r1)) = (w[0], w[1]);
    if r1 <= 0.0 {
        return Some(Crossing::AtMost(l1));
    }
    let t = (r0.ln() - target.ln()) / (r0.ln() - r1.ln());
    Some(Crossing::At((l0.ln() + t * (l1.ln() - l0.ln())).exp()))
}

/// The lease at which the closed form `P(S >= L - w)` falls to `target`, by bisection.
fn predicted_lease_for(pause: &Dist, work: Nanos, target: f64) -> Option<f64> {
    let rate = |lease: f64| pause.tail_from(lease - work as f64);
    let (mut lo, mut hi) = (work as f64, 1e13);
    if rate(hi) > target {
        return None;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if rate(mid) > target { lo = mid } else { hi = mid }
    }
    Some(hi)
}

/// One section of the README: the plots of a sweep and what they say.
fn section(grid: &str, table: &Table, plots: &[PathBuf], root: &Path) -> String {
    let v = View { table };
    let mut s = String::new();
    let images: Vec<String> = plots
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(root.join("results")).unwrap_or(p).display().to_string();
            format!("![{rel}]({rel})")
        })
        .collect();
    let source = format!(
        "From `results/grids/{grid}.toml` (`faultline sweep --grid results/grids/{grid}.toml`), table `results/sweeps/{grid}.csv`."
    );
    match grid {
        "lease" => {
            let _ = writeln!(s, "## Leases lose safety: overlap rate against lease\n");
            let _ = writeln!(s, "{}\n\n{source}\n", images.join("\n\n"));
            // Per stall law: its (lease, rate) points and the lease its closed form needs.
            type Curve = (String, Vec<(f64, f64)>, Option<f64>);
            let mut curves: Vec<Curve> = Vec::new();
            for row in v.rows().filter(|r| v.text(r, "config.variant") == "lease") {
                let pause = v.text(row, "config.pause").to_string();
                let (Some(l), Some(rate)) =
                    (v.duration(row, "config.lease"), v.number(row, "rates.overlap.rate"))
                else {
                    continue;
                };
                match curves.iter_mut().find(|c| c.0 == pause) {
                    Some(c) => c.1.push((l as f64, rate)),
                    None => {
                        let work = v.duration(row, "config.work").unwrap_or(0);
                        let predicted =
                            Dist::parse(&pause).ok().and_then(|d| predicted_lease_for(&d, work, 1e-3));
                        curves.push((pause, vec![(l as f64, rate)], predicted));
                    }
                }
            }
            let agree = v.rows().filter(|r| v.text(r, "agrees.overlap_rate") == "true").count();
            let judged = v.rows().filter(|r| !v.text(r, "agrees.overlap_rate").is_empty()).count();
            let _ = writeln!(
                s,
                "Every stall law here has a mean of 5 ms; 16 clients, work w = 1 ms, 400,000 acquisitions per point. \
                 The measured overlap rate (with its 95% Wilson band) follows the closed form `P(S >= L - w)` (dashed): \
                 {agree} of the {judged} points are within 4 standard errors of it. The exceptions sit at the shortest \
                 leases, where sections last several leases and, with 16 clients, at times nobody is left waiting: \
                 the contention the closed form assumes fails there (docs/model.md §4.5).\n"
            );
            let _ = writeln!(s, "The lease needed to bring the overlap rate down to 10^-3:\n");
            let _ = writeln!(s, "| stall law (mean 5 ms) | measured | predicted |\n|---|---|---|");
            let mut exp_lease = None;
            for (pause, points, predicted) in &curves {
                let measured = match lease_for(points, 1e-3) {
                    Some(Crossing::At(l)) => {
                        if pause.starts_with("exp:") {
                            exp_lease = predicted.map(|p| (l, p));
                        }
                        Human(l as u64).to_string()
                    }
                    Some(Crossing::AtMost(l)) => {
                        format!("at most {} (the first point without an overlap)", Human(l as u64))
                    }
                    None => "beyond the sweep".to_string(),
                };
                let predicted = predicted.map_or("-".to_string(), |l| Human(l as u64).to_string());
                let _ = writeln!(s, "| `{pause}` | {measured} | {predicted} |");
            }
            if let (Some((em, ep)), Some((_, points, Some(pp)))) =
                (exp_lease, curves.iter().find(|c| c.0.starts_with("pareto:")))
            {
                let measured = match lease_for(points, 1e-3) {
                    Some(Crossing::At(pm)) => Some(format!("{:.1}", pm / em)),
                    _ => None,
                };
                let _ = writeln!(
                    s,
                    "\nA heavy tail is what hurts: a Pareto stall (shape 1.5) with the same 5 ms mean needs a lease {} times \
                     as long as an exponential one to reach the same rate ({:.1} times by the closed form). The tail, not \
                     the mean, decides how long a safe lease must be.\n",
                    measured.unwrap_or_else(|| "more than the sweep's range over the".into()),
                    pp / ep
                );
            }
            let np: Vec<String> = v
                .rows()
                .filter(|r| v.text(r, "config.variant") == "non-preemptive")
                .filter_map(|r| {
                    v.number(r, "acquire_latency_ns.mean")
                        .map(|w| format!("{} ({})", Human(w as u64), v.text(r, "config.pause")))
                })
                .collect();
            let _ = writeln!(
                s,
                "**The trade-off.** The second plot puts the same runs on the other axis: the mean time a client waits \
                 for the lock. A longer lease overlaps less and waits more; the non-preemptive lock, which never \
                 overlaps, is the end of the curve at mean waits of {}. Neither end is both safe and live when a \
                 holder can stall: that is the first result, in one picture.\n",
                np.join(", ")
            );
        }
        "fencing" => {
            let _ = writeln!(s, "## Fencing saves storage, never the SMS\n");
            let _ = writeln!(s, "{}\n\n{source}\n", images.join("\n\n"));
            let total = |variant: &str, column: &str| -> u64 {
                v.rows()
                    .filter(|r| v.text(r, "config.variant") == variant)
                    .filter_map(|r| v.number(r, column))
                    .sum::<f64>() as u64
            };
            let _ = writeln!(
                s,
                "Plain storage loses updates whenever a stalled holder writes after its lease ({} lost over the sweep); \
                 storage that checks fencing tokens on every access loses none ({}), while checking writes only still \
                 loses some ({}). The SMS cannot check anything: fenced runs send {} duplicate SMSs, as many as plain \
                 ones ({}). Fencing protects an observer that keeps state and checks it, never a generic side effect.\n",
                total("lease", "lost_updates"),
                total("fenced", "lost_updates"),
                total("fenced-writes", "lost_updates"),
                total("fenced", "duplicate_effects"),
                total("lease", "duplicate_effects"),
            );
        }
        "margin" => {
            let _ = writeln!(s, "## A safety margin against a slow clock\n");
            let _ = writeln!(s, "{}\n\n{source}\n", images.join("\n\n"));
            let mut lines = Vec::new();
            for drift in ["0", "0.2", "0.5"] {
                let rho: f64 = drift.parse().unwrap_or(0.0);
                let first_zero = v
                    .rows()
                    .filter(|r| v.number(r, "config.drift") == Some(rho))
                    .filter(|r| v.number(r, "stale_accepted") == Some(0.0))
                    .filter_map(|r| v.duration(r, "config.margin"))
                    .min();
                let closes = rho * 10.0 + (1.0 - rho) * 2.0;
                lines.push(format!(
                    "drift {drift}: no stale access from m = {} on (the closed form: m >= rho*L + (1 - rho)*w = {closes:.1} ms)",
                    first_zero.map_or("-".to_string(), |m| Human(m).to_string())
                ));
            }
            let _ = writeln!(
                s,
                "Stalls come before the check (P1), uniform on 0 to 20 ms; L = 10 ms, w = 2 ms. A margin m makes the \
                 client give up when its own clock says less than m is left. With an honest clock the check \
                 catches every stall once m covers the work; a slow clock believes its lease is fresher than it is, \
                 and the margin must grow by rho*L to close the window:\n\n- {}\n\nm = 0 is the plain \"is my lease still \
                 valid?\" check: better than nothing with an honest clock, and the drift undoes it.\n",
                lines.join("\n- ")
            );
        }
        "clients" => {
            let _ = writeln!(s, "## Where the closed form holds: the number of clients\n");
            let _ = writeln!(s, "{}\n\n{source}\n", images.join("\n\n"));
            let rate = |clients: &str, pause: &str| {
                v.rows()
                    .find(|r| v.text(r, "config.clients") == clients && v.text(r, "config.pause") == pause)
                    .and_then(|r| {
                        Some((v.number(r, "rates.overlap.rate")?, v.number(r, "predicted.overlap_rate")?))
                    })
            };
            let show =
                |c: Option<(f64, f64)>| c.map_or("-".into(), |(m, p)| format!("{m:.4} (closed form {p:.4})"));
            let _ = writeln!(
                s,
                "The closed form assumes someone is always waiting when a lease expires. With 2 clients and stalls of \
                 mean 20 ms the other client is often itself stalled inside an expired section: the measured rate is \
                 {}; with 16 clients it is {}. With mean 5 ms stalls even 2 clients mostly contend: {}. Compare \
                 closed forms with runs of many clients, as the other sweeps do.\n",
                show(rate("2", "exp:20ms")),
                show(rate("16", "exp:20ms")),
                show(rate("2", "exp:5ms"))
            );
        }
        "redlock" => {
            let _ = writeln!(s, "## Redlock: a lease on several servers, and a clock that jumps\n");
            let _ = writeln!(s, "{}\n\n{source}\n", images.join("\n\n"));
            let redlock: Vec<_> = v.rows().filter(|r| v.text(r, "config.variant") == "redlock").collect();
            let agree = redlock.iter().filter(|r| v.text(r, "agrees.overlap_rate") == "true").count();
            let disagreeing: Vec<String> = redlock
                .iter()
                .filter(|r| v.text(r, "agrees.overlap_rate") == "false")
                .map(|r| {
                    let (m, p) = (v.number(r, "rates.overlap.rate"), v.number(r, "predicted.overlap_rate"));
                    format!(
                        "L = {}: {:.4} against {:.4}",
                        v.text(r, "config.lease"),
                        m.unwrap_or(f64::NAN),
                        p.unwrap_or(f64::NAN)
                    )
                })
                .collect();
            let waits = |variant: &str, column: &str| -> String {
                v.rows()
                    .filter(|r| v.text(r, "config.variant") == variant)
                    .filter_map(|r| {
                        Some(format!(
                            "{} at L = {}",
                            Human(v.number(r, column)? as u64),
                            v.text(r, "config.lease")
                        ))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let exceptions = if disagreeing.is_empty() {
                String::new()
            } else {
                format!(" The exceptions ({}) disagree with it.", disagreeing.join("; "))
            };
            let _ = writeln!(
                s,
                "Sixteen clients stall exp(5 ms) after acquiring. Redlock's keys expire L after they were set whatever \
                 the holder does, so a stalled holder overlaps when its stall outlasts the time left, and the next \
                 client's first poll after the expiry comes before the holder is done: the lease's closed form \
                 `P(S >= L - w)`, with the wait for that first poll taken into account (docs/model.md §4.1). {agree} \
                 of its {} points agree with it.{exceptions}\n\n\
                 Its servers refuse instead of queueing, so the lock goes to whoever polls first, and the client that \
                 releases asks again at once and usually wins. The median wait is therefore tiny ({}), and the tail \
                 is where the waiting went: the longest wait is {}, against {} for the queueing lease. Redlock gives \
                 up fairness and gains no safety: under stalls it is exactly as unsafe as the lease.\n",
                redlock.len(),
                waits("redlock", "acquire_latency_ns.p50"),
                waits("redlock", "acquire_latency_ns.max"),
                waits("lease", "acquire_latency_ns.max"),
            );
            s.push_str(&kleppmann_jumps());
        }
        "rare" => {
            let _ = writeln!(s, "## Down to one in a billion: the rare-event estimator\n");
            let _ = writeln!(s, "{}\n\n{source}\n", images.join("\n\n"));
            let rows: Vec<_> = v.rows().collect();
            let agree = rows.iter().filter(|r| v.text(r, "agrees.overlap_rate") == "true").count();
            let doubted = rows.iter().filter(|r| !matches!(v.text(r, "rare.doubts"), "" | "[]")).count();
            let lowest =
                rows.iter().filter_map(|r| v.number(r, "rates.overlap.rate")).fold(f64::INFINITY, f64::min);
            let _ = writeln!(
                s,
                "Sixteen clients, stalls of mean 5 ms after the check (exponential, and Pareto with shape 6), w = 0, \
                 50,000 acquisitions per point, every rate made by `--estimator rare` (importance sampling of the \
                 stalls, docs/model.md §4.6) and drawn with its 95% interval as error bars. Counting would need \
                 about 10^11 acquisitions to see a hundred overlaps at 10^-9; here each point takes well under a \
                 second. {agree} of the {} points agree with the closed form `P(S >= L - w)` (dashed) within four of \
                 their own standard errors, down to {lowest:.1e}; {doubted} carry a doubt.\n",
                rows.len(),
            );
        }
        "rare-links" => {
            let _ = writeln!(s, "## Where no closed form reaches: a lease over slow links\n");
            let _ = writeln!(s, "{}\n\n{source}\n", images.join("\n\n"));
            // Per lease: counting's and the estimator's intervals, and whether they overlap.
            let mut both = 0;
            let mut overlapping = 0;
            for row in v.rows().filter(|r| v.text(r, "estimator") == "count") {
                let lease = v.text(row, "config.lease");
                let Some(rare) =
                    v.rows().find(|r| v.text(r, "estimator") == "rare" && v.text(r, "config.lease") == lease)
                else {
                    continue;
                };
                if v.number(row, "rates.overlap.count").unwrap_or(0.0) == 0.0 {
                    continue;
                }
                both += 1;
                let ends = |r: &[String]| {
                    (
                        v.number(r, "overlap_rate_ci95.lo").unwrap_or(0.0),
                        v.number(r, "overlap_rate_ci95.hi").unwrap_or(1.0),
                    )
                };
                let ((a, b), (c, d)) = (ends(row), ends(rare));
                overlapping += usize::from(a <= d && c <= b);
            }
            let _ = writeln!(
                s,
                "Every message takes an exponential delay of mean 1 ms, so the grant reaches a client late and its \
                 section starts late: no closed form covers it. Plain counting (100,000 acquisitions) and the \
                 rare-event estimator run side by side: at the {both} leases where counting saw overlaps, their 95% \
                 intervals overlap at {overlapping}; beyond, counting sees only zeros (drawn as upper bounds) and the \
                 estimator carries on to 10^-9.\n"
            );
        }
        "gc" => {
            let _ = writeln!(s, "## The lease for a real garbage collector's pauses\n");
            let _ = writeln!(s, "{}\n\n{source}\n", images.join("\n\n"));
            let _ = writeln!(
                s,
                "The stalls are the 270 pauses of a Node.js process logged with `--trace-gc` \
                 (`tests/data/gc/node-trace-gc.log`, read by `faultline pauses`), resampled, with a Pareto tail \
                 fitted beyond the largest of them (`--pause file+tail:PATH`); 16 clients, w = 0. Counting sees \
                 overlaps down to about 10^-4; the estimator follows the fitted tail further, in agreement with its \
                 closed form (dashed). Without the tail (`file:PATH`), no stall exceeds the largest recorded pause, and \
                 a rate below 1/270 is beyond what the data supports.\n"
            );
        }
        _ => {
            let _ = writeln!(s, "## Replication under random omissions\n");
            let _ = writeln!(s, "{}\n\n{source}\n", images.join("\n\n"));
            let worst = |protocol: &str, column: &str| {
                v.rows()
                    .filter(|r| v.text(r, "protocol") == protocol)
                    .filter_map(|r| v.number(r, column))
                    .fold(0.0, f64::max)
            };
            let _ = writeln!(
                s,
                "n = 3 servers, f = 1, one faulty server per run losing each of its messages with probability q. The \
                 highest disagreement rates: commit-alone {:.4}, primary-backup {:.4}, wait-all {:.4}, majority {:.4}; \
                 the highest unanswered rates: wait-all {:.4}, majority {:.4}. Protocols that answer alone disagree; \
                 wait-all stays safe by not answering; the majority quorum, possible because n = 2f + 1, is both safe \
                 and live. With n <= 2f no protocol can be (`faultline smr` shows worlds A, B and C).\n",
                worst("commit-alone", "agreement_violations.rate"),
                worst("primary-backup", "agreement_violations.rate"),
                worst("wait-all", "agreement_violations.rate"),
                worst("majority", "agreement_violations.rate"),
                worst("wait-all", "termination_failures.rate"),
                worst("majority", "termination_failures.rate"),
            );
        }
    }
    s
}

/// Kleppmann's case measured against its closed form: the chance that a jump of one server's
/// clock by `J` lets another client in beside a holder with a bare majority.
fn kleppmann_jumps() -> String {
    use crate::lock::designs::redlock::poll_lands_in;
    use crate::lock::{NodeFault, Partition, Target};
    let (runs, retry, age) = (200u64, 200 * crate::time::US, 300 * crate::time::US);
    let mut s = String::from(
        "**Kleppmann's case, with no stall at all.** Client 1 cannot reach server 3, so each majority it holds \
         is exactly servers 1 and 2; its sections last w = 1 ms and it takes the lock again at once, while \
         client 2 polls every U[100, 200] µs. 0.3 ms into a section server 2's clock jumps forward by J: it lets \
         the key go at L - J after it was set, before client 1 releases exactly when J > L - w = 9 ms, and a \
         poll of client 2 in that window of x = J - 9 ms (at most 0.7 ms) gets servers 2 and 3 and enters beside \
         client 1. The closed form is the chance that a poll lands in the window (docs/model.md §4.1); each row \
         is 200 runs, one jump each (`tests/lock/designs.rs` asserts it):\n\n\
         | J | overlaps in 200 runs | measured rate | closed form |\n|---|---|---|---|\n",
    );
    for jump_us in [8_900u64, 9_040, 9_075, 9_100, 9_150, 9_500, 20_000] {
        let jump = jump_us * crate::time::US;
        let mut overlaps = 0;
        for seed in 1..=runs {
            let mut cfg = LockConfig::new(Variant::REDLOCK, EngineKind::Sim);
            cfg.pause = Dist::None;
            cfg.retry = retry;
            cfg.acquisitions = 400;
            cfg.seed = seed;
            let side = |t: &str| Target::parse(t).expect("a valid target");
            cfg.partitions.push(Partition {
                between: [side("client:1"), side("server:3")],
                from: 0,
                until: 100 * crate::time::SEC,
            });
            cfg.faults.push(NodeFault::ClockJump {
                target: side("server:2"),
                by: jump as i64,
                at: 100 * MS + age,
            });
            overlaps += crate::lock::run(&cfg).map_or(0, |r| r.metrics.overlaps);
        }
        let window = jump.saturating_sub(9 * MS).min(MS - age);
        let _ = writeln!(
            s,
            "| {} | {overlaps} | {:.3} | {:.3} |",
            Human(jump),
            overlaps as f64 / runs as f64,
            poll_lands_in(window, retry)
        );
    }
    s.push_str("\nWith a full majority (client 1 also reaching server 3) the same jumps are outvoted and nothing overlaps.\n\n");
    s
}

/// The threads engine beside the simulator at three leases: the same configuration, real time.
fn threads_beside_sim() -> String {
    let mut s = String::from(
        "## The threads engine beside the simulator\n\nThe same configuration on both engines (4 clients, \
         exp(10 ms) stalls after the check, w = 1 ms, 1000 acquisitions), at three leases. The simulator is \
         exact; on threads every message, wake-up and timer takes real, noisy time on this shared 2-core machine. \
         The noise shows as the extra time each hold of the lock takes on threads (mean hold = run time / \
         acquisitions) and in the rates' difference.\n\n| lease | overlap rate, sim | overlap rate, threads | \
         mean hold, sim | mean hold, threads | noise per hold |\n|---|---|---|---|---|---|\n",
    );
    for lease in [10 * MS, 20 * MS, 40 * MS] {
        let l = Human(lease).to_string();
        // `faultline lock --engine ENGINE --clients 4 --pause exp:10ms --lease L --acquisitions 1000 --json`
        let run = |engine: EngineKind| -> Option<(f64, [f64; 2], f64)> {
            let mut cfg = LockConfig::new(Variant::LEASE, engine);
            cfg.clients = 4;
            cfg.pause = Dist::Exp { mean: 10 * MS };
            cfg.lease = Some(lease);
            cfg.acquisitions = 1000;
            let v = serde_json::to_value(crate::lock::run(&cfg).ok()?).ok()?;
            let hold = v["end_ns"].as_f64()? / v["acquisitions"].as_f64()?;
            let ci = [v["overlap_rate_ci95"][0].as_f64()?, v["overlap_rate_ci95"][1].as_f64()?];
            Some((v["overlap_rate"].as_f64()?, ci, hold))
        };
        match (run(EngineKind::Sim), run(EngineKind::Threads)) {
            (Some((rs, cs, hs)), Some((rt, ct, ht))) => {
                let _ = writeln!(
                    s,
                    "| {l} | {rs:.3} [{:.3}, {:.3}] | {rt:.3} [{:.3}, {:.3}] | {} | {} | {} |",
                    cs[0],
                    cs[1],
                    ct[0],
                    ct[1],
                    Human(hs as u64),
                    Human(ht as u64),
                    Human((ht - hs).max(0.0) as u64)
                );
            }
            _ => {
                let _ = writeln!(s, "| {l} | run failed | | | | |");
            }
        }
    }
    s
}

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn readme(sections: &[String], threads: &str, timings: &[(&str, f64, usize)]) -> String {
    let mut s = String::from(
        "# results\n\nWhat faultline measures, committed so it can be read without running anything. This page is \
         generated by `cargo bench --bench violation_curves` (about a minute on a 2-core machine); do not edit it \
         by hand. The model behind every figure, the metric definitions and the closed forms are in \
         [docs/model.md](../docs/model.md).\n\n",
    );
    for section in sections {
        s.push_str(section);
        s.push('\n');
    }
    s.push_str(threads);
    s.push_str("\n## The other files\n\n| file | what | from |\n|---|---|---|\n");
    s.push_str("| `demo.txt` | the default demonstration (`cargo run --release`) | `faultline` |\n");
    s.push_str("| `outcome-table.txt` | every cell of the outcome table with what its run measured | `faultline table` |\n");
    s.push_str("| `smr-worlds.txt` | every replication protocol in worlds A, B and C (n=2, f=1) | `faultline smr --protocol P` |\n");
    s.push_str("| `smr-stress*.txt` | stress tables (n=3 f=1; majority at n=5 f=2; crashes) | `faultline smr --stress ...` |\n");
    s.push_str(
        "| `PERFORMANCE.md`, `perf/` | speed and memory against their baselines and goals, with the machine they \
         ran on | `cargo bench` |\n",
    );
    s.push_str(
        "| `sweeps/`, `plots/` | the tables and plots above | `cargo bench --bench violation_curves` |\n\n",
    );
    s.push_str(
        "The sweeps, plots and text files come from the deterministic simulator and round drivers: the same code \
         gives the same bytes on any machine, and `tests/lock/results.rs` checks that the committed ones are what \
         the committed code produces. `results/regenerate.sh` regenerates everything.\n\n## This run\n\n",
    );
    let _ = writeln!(s, "- commit: {}", command_output("git", &["rev-parse", "--short", "HEAD"]));
    let _ = writeln!(s, "- toolchain: {}", command_output("rustc", &["--version"]));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let _ = writeln!(s, "- machine: {}, {cores} cores", std::env::consts::ARCH);
    for (grid, secs, rows) in timings {
        let _ = writeln!(s, "- sweep `{grid}`: {rows} rows in {secs:.1} s");
    }
    s
}
