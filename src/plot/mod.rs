//! Plots of a sweep's table, as SVG files a reader understands without explanation: a title that
//! says what the figure shows, axes with their units, and a legend for every series and mark.
//!
//! A figure is first described ([`figure`]) from a table's finished runs ([`runs`]), then drawn
//! ([`render`]).

pub mod curves;
pub mod figure;
pub mod render;
pub mod runs;
pub mod ticks;

pub use figure::Plot;

use crate::sweep::table::{TableError, atomic_write};
use std::path::Path;

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

/// `plot` as an SVG document.
pub fn svg(plot: &Plot) -> Result<String, PlotError> {
    render::svg(plot)
}

/// Writes `plot` to `path` as SVG, atomically.
pub fn write_svg(plot: &Plot, path: &Path) -> Result<(), PlotError> {
    atomic_write(path, svg(plot)?.as_bytes())?;
    Ok(())
}
