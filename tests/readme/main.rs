//! The README's commands are tests: every line of every ```sh block of README.md runs with bash,
//! in order, in a scratch directory that holds a copy of `results/grids/` and `tests/data/gc/`
//! (so no line writes into the repository), with the `faultline` this test was built with first
//! on PATH, and must exit 0.
//! Every ```text block is output the README quotes; its lines must appear, in order, in what its
//! command prints. So a README example cannot break silently.
//!
//! Markers (the `#` ones show on the rendered page too, where they tell the reader why):
//! - `# not run: REASON` ending a line: the line is not run (a `cargo` line must say so: cargo
//!   cannot run inside `cargo test`).
//! - `<!-- not run: REASON -->` on the line before a ```sh fence: no line of the block runs.
//! - `(exit N)` in a line's trailing comment: the line must exit with N (bad input is refused
//!   with exit code 2).
//! - `<!-- output of: COMMAND -->` on the line before a ```text fence: COMMAND runs as a line
//!   does, and every non-blank quoted line must be a line of what it prints (its standard output,
//!   then its standard error), in the quoted order; a quoted line ending in `...` is abridged and
//!   matches a line that starts with the rest.
//! - `<!-- not checked: REASON -->` before a ```text fence: the quote is not checked (figures
//!   from the threads engine or from timing). A ```text block without one of the two is an error.
//!
//! Every path into the repository that the README names must exist, so a moved file takes the
//! README along.
//!
//! A line whose program is not installed (GNU `parallel`) is skipped with the rest of its block,
//! and the test says so on stderr; with `CI=true` (as `.ci/run` sets) a skip fails the test.

mod markdown;
mod shell;

use markdown::{Plan, QuoteCheck, Readme, ShLine};
use shell::Scratch;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const README: &str = include_str!("../../README.md");

/// What running the lines found: failures fail the test, skips only under CI.
#[derive(Debug, Default)]
struct Report {
    ran: usize,
    failures: Vec<String>,
    skipped: Vec<String>,
}

/// Runs every runnable line in README order, in `dir`; a missing program skips the rest of its
/// block, whose later lines need what it would have made.
fn run_lines(lines: &[ShLine], dir: &Path, limit: Duration) -> Report {
    let mut report = Report::default();
    let mut skipped_block = None;
    for line in lines {
        let Plan::Run { exit } = line.plan else { continue };
        if skipped_block == Some(line.block) {
            report.skipped.push(format!("line {}: {} (its block was skipped)", line.at, line.text));
            continue;
        }
        let program = markdown::program(&line.text).unwrap_or_default();
        if !shell::installed(program) {
            report.skipped.push(format!(
                "line {}: `{program}` is not installed, so this line and the rest of its block did not run: {}",
                line.at, line.text
            ));
            skipped_block = Some(line.block);
            continue;
        }
        let ran = shell::run(&line.text, dir, limit);
        report.ran += 1;
        if ran.timed_out {
            report.failures.push(format!("line {}: still running after {limit:?}: {}", line.at, line.text));
        } else if ran.exit != Some(exit) {
            report.failures.push(format!(
                "line {}: exit {:?}, the README expects {exit}: {}\n  stderr: {}",
                line.at,
                ran.exit,
                line.text,
                ran.stderr.trim_end()
            ));
        }
    }
    report
}

/// Runs the command of every checked quote in `dir` and lists the quoted lines it did not print.
/// Returns how many quotes it checked, and what failed.
fn check_quotes(readme: &Readme, dir: &Path, limit: Duration) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut failures = Vec::new();
    for quote in &readme.quotes {
        let QuoteCheck::OutputOf { command, exit } = &quote.check else { continue };
        let ran = shell::run(command, dir, limit);
        checked += 1;
        if ran.exit != Some(*exit) {
            failures.push(format!(
                "text block at line {}: `{command}` exited {:?}, not {exit}: {}",
                quote.at,
                ran.exit,
                ran.stderr.trim_end()
            ));
            continue;
        }
        // A summary a command gives on stderr (a sweep's) can be quoted too, after its stdout.
        let printed = format!("{}\n{}", ran.stdout, ran.stderr);
        let missing = markdown::missing_lines(&quote.lines, &printed);
        if !missing.is_empty() {
            failures.push(format!(
                "text block at line {}: `{command}` no longer prints (in this order):\n{}",
                quote.at,
                missing.join("\n")
            ));
        }
    }
    (checked, failures)
}

fn readme() -> Readme {
    markdown::parse(README).unwrap_or_else(|errors| panic!("README.md:\n{}", errors.join("\n")))
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The test's verdict on a run of the lines: any failure fails it, and so does a skip under CI.
fn judge(report: &Report, ci: bool) -> Result<(), String> {
    if !report.failures.is_empty() {
        return Err(format!("README lines that fail:\n{}", report.failures.join("\n")));
    }
    if ci && !report.skipped.is_empty() {
        return Err(format!(
            "under CI every README line must run; install what is missing:\n{}",
            report.skipped.join("\n")
        ));
    }
    Ok(())
}

#[test]
fn every_sh_line_of_the_readme_runs() {
    let readme = readme();
    let scratch = Scratch::new("lines");
    let report = run_lines(&readme.lines, scratch.path(), shell::TIME_LIMIT);
    // Past the test harness's capture: a skipped line is said even when the test passes.
    for skip in &report.skipped {
        let _ = writeln!(std::io::stderr(), "README test skipped {skip}");
    }
    for line in &readme.lines {
        if let Plan::NotRun { reason } = &line.plan {
            eprintln!("not run: README line {} ({reason}): {}", line.at, line.text);
        }
    }
    if let Err(verdict) = judge(&report, under_ci()) {
        panic!("{verdict}");
    }
    assert!(report.ran >= 20, "only {} README lines ran: is the extractor reading the blocks?", report.ran);
}

#[test]
fn the_output_the_readme_quotes_is_what_its_command_prints() {
    let readme = readme();
    let scratch = Scratch::new("quotes");
    let (checked, failures) = check_quotes(&readme, scratch.path(), shell::TIME_LIMIT);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 3, "only {checked} quotes checked");
}

#[test]
fn every_path_the_readme_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths = markdown::repository_paths(README);
    let missing: Vec<String> = paths
        .iter()
        .filter(|(_, path)| !root.join(path).exists())
        .map(|(at, path)| format!("line {at}: {path}"))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md names paths the repository does not have:\n{}",
        missing.join("\n")
    );
    assert!(paths.len() >= 20, "only {} paths found", paths.len());
}

/// The extractor and the runner, on README text written to break.
mod the_test_itself {
    use super::*;

    fn parsed(markdown: &str) -> Readme {
        markdown::parse(markdown).unwrap_or_else(|errors| panic!("{errors:?}"))
    }

    fn run(markdown: &str) -> Report {
        let scratch = Scratch::new("self");
        run_lines(&parsed(markdown).lines, scratch.path(), shell::TIME_LIMIT)
    }

    #[test]
    fn a_broken_line_fails() {
        let report = run("```sh\nfaultline smr\nfaultline lock --no-such-flag\n```\n");
        assert_eq!(report.ran, 2);
        assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
        assert!(report.failures[0].starts_with("line 3: exit Some(2), the README expects 0"));
    }

    #[test]
    fn a_refusal_passes_only_with_the_exit_code_it_says() {
        let refused =
            run("```sh\nfaultline smr --servers 3 --faults 1   # refused (exit 2): no worlds\n```\n");
        assert!(refused.failures.is_empty(), "{:?}", refused.failures);
        let wrong = run("```sh\nfaultline smr   # (exit 2)\n```\n");
        assert_eq!(wrong.failures.len(), 1);
    }

    #[test]
    fn lines_run_in_order_in_one_directory_with_continuations_joined() {
        let report = run("```sh\n# a comment\necho one \\\n  two > f.txt\n\ngrep -qx 'one two' f.txt\n```\n");
        assert_eq!((report.ran, report.failures.len()), (2, 0), "{:?}", report.failures);
    }

    /// `sleep` is bash's child here: the whole group must go, or its open pipe holds the test.
    #[test]
    fn a_line_out_of_time_is_stopped_and_fails() {
        let scratch = Scratch::new("timeout");
        let lines = parsed("```sh\nsleep 30; true\n```\n").lines;
        let report = run_lines(&lines, scratch.path(), Duration::from_millis(200));
        assert_eq!(report.failures.len(), 1);
        assert!(report.failures[0].contains("still running"), "{:?}", report.failures);
    }

    #[test]
    fn a_missing_program_skips_the_rest_of_its_block_only() {
        let report = run(
            "```sh\nno-such-program-here x\nfalse\n```\n\n```sh\ntrue   # a hash in 'quotes #' is no marker\n```\n",
        );
        assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
        assert!(report.skipped[0].contains("`no-such-program-here` is not installed"));
        assert_eq!((report.ran, report.failures.len()), (1, 0));
        assert_eq!(judge(&report, false), Ok(()));
        assert!(judge(&report, true).is_err_and(|e| e.starts_with("under CI every README line must run")));
    }

    #[test]
    fn markers_say_what_is_not_run_and_why() {
        let readme = parsed(
            "<!-- not run: a cluster -->\n```sh\nsbatch x\n```\n\n  ```sh\n  cargo test   # not run: cargo\n  faultline 'a #b' # c (exit 2)\n  ```\n",
        );
        let plans: Vec<_> = readme.lines.iter().map(|l| (l.at, l.block, l.plan.clone())).collect();
        assert_eq!(
            plans,
            [
                (3, 1, Plan::NotRun { reason: "a cluster".into() }),
                (7, 2, Plan::NotRun { reason: "cargo".into() }),
                (8, 2, Plan::Run { exit: 2 }),
            ]
        );
    }

    #[test]
    fn an_unmarked_cargo_line_or_quote_is_an_error() {
        let errors =
            markdown::parse("```sh\nRUSTFLAGS=x cargo test\n```\n\n```text\nout\n```\n").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("line 2: `cargo` cannot run inside `cargo test`"));
        assert!(errors[1].starts_with("line 5: a text block quotes output"));
    }

    #[test]
    fn paths_are_found_in_prose_links_and_blocks() {
        let text = "See [the model](docs/model.md), `src/lock/design.rs`.\nsrc/cli/   the CLI, and results/grids/...\n";
        let found = markdown::repository_paths(text);
        assert_eq!(
            found,
            [
                (1, "docs/model.md".to_string()),
                (1, "src/lock/design.rs".to_string()),
                (2, "src/cli/".to_string())
            ]
        );
    }

    #[test]
    fn a_quote_must_appear_in_order_and_may_be_abridged() {
        let readme =
            parsed("<!-- output of: printf 'a\\nb c d\\n'; echo e >&2 -->\n```text\na\nb c ...\n\ne\n```\n");
        let scratch = Scratch::new("quote");
        assert_eq!(check_quotes(&readme, scratch.path(), shell::TIME_LIMIT), (1, vec![]));
        let quoted = ["e".to_string(), "a".to_string()];
        assert_eq!(markdown::missing_lines(&quoted, "a\ne\n"), ["a"]);
        let changed = parsed("<!-- output of: echo b -->\n```text\na\n```\n");
        let (_, failures) = check_quotes(&changed, scratch.path(), shell::TIME_LIMIT);
        assert_eq!(failures, ["text block at line 2: `echo b` no longer prints (in this order):\na"]);
    }
}
