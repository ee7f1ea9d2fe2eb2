//! The command line.
//!
//! ```text
//! faultline                  the default demonstration (what `cargo run --release` shows)
//! faultline lock [FLAGS]     one lock configuration: a table of every metric, or --json
//! faultline table            the outcome table of docs/model.md §5, every cell measured, with details
//! faultline smr [FLAGS]      the replication lower bound: worlds A, B, C round by round and the
//!                            horn a protocol is on, or --stress for violation rates
//! ```
//!
//! `faultline lock` starts from [`LockConfig::new`](crate::lock::LockConfig::new) for the chosen
//! variant and engine and overrides only the flags that were given, so the defaults live in one
//! place (the configuration) and the help text can name them without repeating the logic.
//!
//! Output contract, relied on by scripts and by `tests/cli.rs`:
//! - success: the report on stdout, exit 0;
//! - any bad flag, value or combination: exactly one line `faultline: <what is wrong>` on
//!   stderr, nothing on stdout, exit 2 ([`USAGE`]);
//! - stdout cannot be written: one line on stderr, exit 1 ([`FAILURE`]).
//!
//! Clap's multi-line errors (usage block, tips) are cut to their first line for the same reason:
//! one line is what a sweep script can log next to the configuration that failed.

mod lock;
pub mod progress;
mod smr;
pub mod sweep;
mod values;

pub use lock::LockArgs;
pub use smr::{SmrArgs, SmrError};

use crate::lock::ConfigError;
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::io::{self, Write};

/// Exit code of a bad invocation (flag, value or combination).
pub const USAGE: u8 = 2;
/// Exit code when the report could not be written.
pub const FAILURE: u8 = 1;

/// faultline: makes two impossibility results measurable: the generic fault-tolerant critical
/// section, and state machine replication with n <= 2f omission faults.
#[derive(Debug, Parser)]
#[command(
    name = "faultline",
    version,
    about = "Makes two impossibility results measurable: the fault-tolerant critical section, and replication with n <= 2f omission faults.",
    after_help = "Without a subcommand, prints the default demonstration.\n\
                  Run `faultline lock --help` for the lock laboratory, `faultline smr --help` for the replication laboratory."
)]
pub struct Cli {
    /// What to run; none prints the default demonstration.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one lock configuration and print every metric with its 95% interval.
    Lock(Box<LockArgs>),
    /// Measure every cell of the outcome table (docs/model.md §5) and show what each run saw (exit 1 if a
    /// cell does not reproduce).
    Table,
    /// Show a replication protocol in worlds A, B and C and the horn it is on, or measure its
    /// violation rates with --stress.
    Smr(Box<SmrArgs>),
    /// Run a laboratory over a grid of its flags (lists, ranges) and write a table of every run:
    /// `faultline sweep lock --lease 1ms..64ms:16 --out curves.csv` (see `faultline sweep --help`).
    #[command(disable_help_flag = true)]
    Sweep {
        /// The laboratory, its swept flags and the sweep's options.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        tokens: Vec<String>,
    },
    /// Join the CSV shards of one sweep (`--shard K/N`) into the table the whole sweep writes.
    Merge(sweep::MergeArgs),
}

/// Everything that can stop a command before it produces its report.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A flag that belongs to the other workload.
    #[error("{flag} goes with --workload {workload}; {hint}")]
    WrongWorkload { flag: &'static str, workload: &'static str, hint: &'static str },
    /// The configuration the flags describe is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The replication laboratory's flags describe nothing it can run.
    #[error(transparent)]
    Smr(#[from] SmrError),
}

/// Runs the command line on `args` (program name first), writing the report to `stdout` and
/// diagnostics to `stderr`; returns the process exit code.
pub fn main_with<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e, stdout, stderr),
    };
    let written = match cli.command {
        None => crate::demo::print(stdout),
        Some(Command::Lock(args)) => match lock::run(&args) {
            Ok(text) => stdout.write_all(text.as_bytes()),
            Err(e) => return fail(stderr, USAGE, &e),
        },
        Some(Command::Table) => match crate::demo::outcome_table(stdout, true) {
            Ok(0) => Ok(()),
            Ok(mismatches) => {
                return fail(stderr, FAILURE, &format!("{mismatches} cells do not match docs/model.md §5"));
            }
            Err(e) => Err(e),
        },
        Some(Command::Sweep { tokens }) => match sweep::run(&tokens) {
            Ok(sweep::Printed::Help(text) | sweep::Printed::Report(text)) => {
                stdout.write_all(text.as_bytes())
            }
            Err(e) => return fail(stderr, USAGE, &e),
        },
        Some(Command::Merge(args)) => match sweep::merge(&args) {
            Ok(text) => stdout.write_all(text.as_bytes()),
            Err(e) => return fail(stderr, USAGE, &e),
        },
        Some(Command::Smr(args)) => match smr::run(&args) {
            // The report is still worth having: it shows where the harness went wrong.
            Ok(out) => match (stdout.write_all(out.text.as_bytes()), out.harness_bug) {
                (Ok(()), Some(bug)) => {
                    let _ = stdout.flush();
                    return fail(stderr, FAILURE, &bug);
                }
                (written, _) => written,
            },
            Err(e) => return fail(stderr, USAGE, &e),
        },
    };
    match written.and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        // A reader that stopped early (`| head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => FAILURE,
        Err(e) => fail(stderr, FAILURE, &format!("cannot write the report: {e}")),
    }
}

/// Help and version go to stdout with exit 0, as people expect; every other clap error becomes
/// one line, because the usage block and tips would break the one-line contract.
fn clap_error(e: &clap::Error, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    use clap::error::ErrorKind;
    let rendered = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            match stdout.write_all(rendered.as_bytes()).and_then(|()| stdout.flush()) {
                Ok(()) => 0,
                Err(_) => FAILURE,
            }
        }
        _ => fail(stderr, USAGE, &first_line(&rendered)),
    }
}

/// The first non-empty line of a clap error, without clap's `error: ` prefix.
fn first_line(rendered: &str) -> &str {
    let line = rendered.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("invalid arguments");
    line.strip_prefix("error:").map(str::trim_start).unwrap_or(line)
}

fn fail(stderr: &mut dyn Write, code: u8, what: &dyn std::fmt::Display) -> u8 {
    // If stderr itself is gone there is nobody left to tell; the exit code still says it.
    let _ = writeln!(stderr, "faultline: {what}");
    let _ = stderr.flush();
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: &[&str]) -> (u8, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let argv = std::iter::once("faultline").chain(args.iter().copied());
        let code = main_with(argv, &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn clap_errors_become_one_line() {
        for args in [
            &["lock", "--bogus"][..],
            &["lock", "--lease"],
            &["lock", "--lease", "10"],
            &["lock", "--variant", "optimistic"],
            &["lock", "--lease", "5ms", "--lease", "6ms"],
            &["nonsense"],
        ] {
            let (code, out, err) = call(args);
            assert_eq!(code, USAGE, "{args:?}");
            assert!(out.is_empty(), "{args:?}: {out}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(err.starts_with("faultline: ") && !err.contains("error:"), "{args:?}: {err}");
        }
    }

    #[test]
    fn help_and_version_go_to_stdout() {
        for args in [&["--help"][..], &["lock", "--help"], &["-V"]] {
            let (code, out, err) = call(args);
            assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
            assert!(out.contains("faultline"), "{args:?}: {out}");
        }
        let (_, help, _) = call(&["lock", "--help"]);
        assert!(help.contains("Examples:"), "{help}");
    }

    #[test]
    fn the_first_line_loses_the_error_prefix() {
        assert_eq!(
            first_line("error: unexpected argument '--x' found\n\n  tip: ..."),
            "unexpected argument '--x' found"
        );
        assert_eq!(first_line("\nplain"), "plain");
    }
}
