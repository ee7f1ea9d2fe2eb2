//! The committed deterministic files in `results/` are what the committed code produces: a slice
//! of every standard sweep is run again and must give the committed rows to the byte, the plots
//! are drawn again from the committed tables, and the text reports are printed again.

use faultline::report::results::GRIDS;
use faultline::sweep::table::Table;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn faultline(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline")).current_dir(root()).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

const STALE: &str = "is not what the code produces: regenerate with `cargo bench --bench violation_curves`";

#[test]
fn a_slice_of_every_standard_sweep_gives_the_committed_rows() {
    for grid in GRIDS {
        let committed = Table::read(&root().join(format!("results/sweeps/{grid}.csv"))).unwrap();
        // One run in 16 (27 to 136 rows each): every kind of point, a fraction of the time.
        let file = format!("results/grids/{grid}.toml");
        let slice =
            Table::parse(&faultline(&["sweep", "--grid", &file, "--shard", "1/16", "--quiet"])).unwrap();
        assert_eq!(slice.header, committed.header, "results/sweeps/{grid}.csv {STALE}");
        assert!(!slice.rows.is_empty());
        for row in &slice.rows {
            let same = committed.rows.iter().find(|r| r[0] == row[0] && r[1] == row[1]);
            assert_eq!(same, Some(row), "results/sweeps/{grid}.csv, point {} {STALE}", row[0]);
        }
    }
}

#[test]
fn the_committed_plots_are_drawn_from_the_committed_tables() {
    let dir = std::env::temp_dir().join(format!("faultline-results-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for grid in GRIDS {
        let drawn =
            faultline::plot::plot_file(&root().join(format!("results/sweeps/{grid}.csv")), &dir).unwrap();
        for path in drawn {
            let name = path.file_name().unwrap();
            let committed: PathBuf = root().join("results/plots").join(name);
            assert_eq!(
                std::fs::read(&path).unwrap(),
                std::fs::read(&committed).unwrap_or_default(),
                "{} {STALE}",
                committed.display()
            );
        }
    }
}

/// Each committed figure is its own: no two share a title (two sweeps drawn as the same kind of
/// figure say what they compare), and none is wider than a reader's screen shows at a readable
/// size (issue 16).
#[test]
fn the_committed_plots_each_have_their_own_title_and_a_readable_width() {
    let mut titles: Vec<(String, String)> = Vec::new();
    for grid in GRIDS {
        let table = Table::read(&root().join(format!("results/sweeps/{grid}.csv"))).unwrap();
        for plot in faultline::plot::standard_plots(&table) {
            let name = format!("{grid}-{}", plot.name);
            if let Some((other, _)) = titles.iter().find(|(_, t)| *t == plot.title) {
                panic!("{name} has the title of {other}: '{}'", plot.title);
            }
            let svg = faultline::plot::svg(&plot).unwrap();
            let width: u32 =
                svg.split("width=\"").nth(1).and_then(|w| w.split('"').next()).unwrap().parse().unwrap();
            assert!(width <= 1200, "{name} is {width} pixels wide");
            titles.push((name, plot.title));
        }
    }
}

/// A committed text report without its stamp (commit, toolchain, machine, command, blank line).
fn committed_text(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("results").join(name)).unwrap();
    text.lines().skip(5).map(|l| format!("{l}\n")).collect()
}

#[test]
fn the_committed_text_reports_are_what_the_binary_prints() {
    for (name, args) in [
        ("demo.txt", &[][..]),
        ("outcome-table.txt", &["table"][..]),
        ("smr-stress.txt", &["smr", "--stress", "--runs", "2000"][..]),
        (
            "smr-stress-majority-n5.txt",
            &[
                "smr",
                "--stress",
                "--runs",
                "2000",
                "--protocol",
                "majority",
                "--servers",
                "5",
                "--faults",
                "2",
            ][..],
        ),
        (
            "smr-stress-crash.txt",
            &["smr", "--stress", "--runs", "2000", "--model", "crash", "--servers", "5", "--faults", "2"][..],
        ),
    ] {
        let printed = String::from_utf8(faultline(args)).unwrap();
        assert_eq!(printed, committed_text(name), "results/{name} {STALE}");
    }
    let worlds: String = ["wait-all", "commit-alone", "majority", "primary-backup"]
        .iter()
        .map(|p| String::from_utf8(faultline(&["smr", "--protocol", p])).unwrap() + "\n")
        .collect();
    assert_eq!(worlds, committed_text("smr-worlds.txt"), "results/smr-worlds.txt {STALE}");
}
