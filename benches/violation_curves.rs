//! `cargo bench --bench violation_curves`: the violation-rate curves of `results/README.md`.
//!
//! Runs the standard sweeps (`results/grids/*.toml`) on the simulator in parallel, draws their
//! plots, runs the threads engine beside the simulator at three points, and writes
//! `results/README.md`. Sized to finish in a few minutes on a 2-core machine.

use std::path::Path;
use std::time::Instant;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument would name a single sweep.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let started = Instant::now();
    if only.is_empty() {
        match faultline::report::results::regenerate(root) {
            Ok(_) => println!(
                "wrote results/README.md, results/sweeps/ and results/plots/ in {:.0} s",
                started.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("violation_curves: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    for grid in &only {
        match faultline::report::results::sweep_and_plot(root, grid) {
            Ok((table, plots)) => println!("{grid}: {} rows, {} plots", table.rows.len(), plots.len()),
            Err(e) => {
                eprintln!("violation_curves: {e}");
                std::process::exit(1);
            }
        }
    }
}
