//! Plots of a sweep's table, as SVG files a reader understands without explanation: a title that
//! says what the figure shows, axes with their units, and a legend for every series and mark.
//!
//! [`standard_plots`] looks at which settings a table varies and draws each figure it supports:
//!
//! | figure | drawn when the sweep varies | shows |
//! |---|---|---|
//! | [`lock::overlap_vs_lease`] | `--lease` | overlap rate against lease, one curve per pause distribution, with the closed form |
//! | [`lock::safety_vs_liveness`] | `--lease` (and runs `non-preemptive`) | overlap rate against mean acquire wait; the non-preemptive lock at the end of the wait axis |
//! | [`lock::fencing_vs_sms`] | `--lease` and `--variant` over two of lease, fenced, fenced-writes | lost updates and duplicate SMSs against lease |
//! | [`lock::margin_vs_drift`] | `--margin` | stale accesses against margin, one curve per drift, with the margin that closes the window |
//! | [`lock::rate_vs_clients`] | `--clients` | overlap rate against clients, with the closed form and where it fails |
//! | [`generic::plot`] | any setting | a rate against the setting with the most values |
//!
//! [`smr::replication_plot`] draws the replication laboratory's stress sweep, given its columns.
//! [`plot_file`] reads a sweep's CSV and writes every standard figure into a directory.

pub mod curves;
pub mod figure;
pub mod generic;
pub mod labels;
pub mod lock;
pub mod render;
pub mod runs;
pub mod smr;
pub mod ticks;

pub use figure::Plot;

use crate::sweep::table::{Table, TableError, atomic_write};
use std::path::{Path, PathBuf};

/// Why a figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The table could not be read, or a figure not written.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The output directory could not be made.
    #[error("{path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// Every row of the table was skipped or failed.
    #[error("the table has no finished runs: every row was skipped or failed")]
    NoRuns,
    /// The table lacks a column the figure needs.
    #[error("{plot}: the table has no column '{column}'")]
    MissingColumn {
        /// The figure.
        plot: String,
        /// The column.
        column: String,
    },
    /// The setting the figure puts on its x axis takes fewer than two values.
    #[error("{plot}: {column} must take at least two values, and the finished runs give it {values}")]
    NotVarying {
        /// The figure.
        plot: String,
        /// The setting's column.
        column: String,
        /// How many non-empty values it takes.
        values: usize,
    },
    /// The figure compares variants the sweep did not run.
    #[error("{plot}: needs runs of at least two of the variants {wanted}, and the sweep has {found}")]
    Variants {
        /// The figure.
        plot: String,
        /// The variants it compares.
        wanted: String,
        /// How many of them the sweep ran.
        found: usize,
    },
    /// No configuration column varies, so there is nothing to put on an x axis.
    #[error(
        "nothing to plot: no config.* column varies between the finished runs; sweep a flag over two values or more"
    )]
    NothingVaries,
    /// A column that should hold numbers holds none.
    #[error("{plot}: column '{column}' has no numbers to place on an axis")]
    NotNumeric {
        /// The figure.
        plot: String,
        /// The column.
        column: String,
    },
    /// The drawing library failed.
    #[error("drawing failed: {0}")]
    Draw(String),
}

/// Draws one figure from a sweep's table, or says why the table does not support it.
pub type Figure = fn(&Table) -> Result<Plot, PlotError>;

/// Every figure `table` supports: those of [`lock`] whose settings it varies, then the generic
/// one. Empty when nothing varies ([`generic::plot`] says why).
pub fn standard_plots(table: &Table) -> Vec<Plot> {
    let figures: [Figure; 6] = [
        lock::overlap_vs_lease,
        lock::safety_vs_liveness,
        lock::fencing_vs_sms,
        lock::margin_vs_drift,
        lock::rate_vs_clients,
        replication,
    ];
    let plots: Vec<Plot> = figures.iter().filter_map(|draw| draw(table).ok()).collect();
    // The generic figure only where no standard one fits: it would mostly repeat them.
    if plots.is_empty() { generic::plot(table).into_iter().collect() } else { plots }
}

/// The replication dichotomy from a `faultline sweep smr` table, whose columns are those of its
/// stress rows.
pub fn replication(table: &Table) -> Result<Plot, PlotError> {
    let rate = runs::RateColumns::prefix;
    smr::replication_plot(
        table,
        &smr::SmrColumns {
            protocol: "protocol".into(),
            tau: "tau".into(),
            q: "q".into(),
            disagreement: rate("agreement_violations"),
            unanswered: rate("termination_failures"),
            others: ["servers", "faults", "model", "rounds", "runs"].map(String::from).to_vec(),
        },
    )
}

/// `plot` as an SVG document.
pub fn svg(plot: &Plot) -> Result<String, PlotError> {
    render::svg(plot)
}

/// Writes `plot` to `path` as SVG, atomically.
pub fn write_svg(plot: &Plot, path: &Path) -> Result<(), PlotError> {
    atomic_write(path, svg(plot)?.as_bytes())?;
    Ok(())
}

/// Reads the sweep table `csv`, and writes each of its [`standard_plots`] into `out_dir` (made if
/// missing) as `STEM-NAME.svg`, `STEM` being the CSV's name without `.csv`. Returns the files
/// written, or why there was nothing to draw.
pub fn plot_file(csv: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let table = Table::read(csv)?;
    let plots = standard_plots(&table);
    if plots.is_empty() {
        // The generic figure accepts any sweep that varies something: its error is the reason.
        return Err(generic::plot(&table).err().unwrap_or(PlotError::NothingVaries));
    }
    std::fs::create_dir_all(out_dir)
        .map_err(|source| PlotError::Io { path: out_dir.display().to_string(), source })?;
    let stem = csv.file_stem().map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
    let mut written = Vec::new();
    for plot in &plots {
        let path = out_dir.join(format!("{stem}-{}.svg", plot.name));
        write_svg(plot, &path)?;
        written.push(path);
    }
    Ok(written)
}
