//! The command line.
//!
//! ```text
//! faultline                  the default demonstration (what `cargo run --release` shows)
//! faultline lock [FLAGS]     one lock configuration: a table of every metric, or --json
//! faultline advise [FLAGS]   the shortest lease meeting a --target rate, and the alternatives
//! faultline table            the outcome table of docs/model.md §5, every cell measured, with details
//! faultline smr [FLAGS]      the replication lower bound: worlds A, B, C round by round and the
//!                            horn a protocol is on, or --stress for violation rates
//! faultline pauses PATH      the pauses of a GC log (or one duration per line), as --pause file:PATH
//!                            uses them
//! ```
//!
//! The flags of the laboratories are parsed below this module, in [`crate::flags`], where the
//! sweeps resolve their points through them too; this module runs what they describe and renders
//! it ([`crate::report`]). `faultline lock` starts from
//! [`LockConfig::new`](crate::lock::LockConfig::new) for the chosen variant and engine and
//! overrides only the flags that were given, so the defaults live in one place (the
//! configuration), and the help text is generated from it.
//!
//! Output contract, relied on by scripts and by `tests/cli.rs`:
//! - success: the report on stdout, exit 0;
//! - any bad flag, value or combination: exactly one line `faultline: <what is wrong>` on
//!   stderr, nothing on stdout, exit 2 ([`USAGE`]);
//! - stdout cannot be written: one line on stderr, exit 1 ([`FAILURE`]).
//!
//! Clap's multi-line errors (usage block, tips) are cut to their first line for the same reason:
//! one line is what a sweep script can log next to the configuration that failed. For the same
//! reason an error repeats a bad value at most once, shortened and escaped by
//! [`Quoted`], however long it is or whatever it contains.

mod advise;
mod lock;
pub mod pauses;
pub mod progress;
pub mod replay;
mod smr;
pub mod sweep;

pub use smr::SmrError;

use crate::flags::{LockArgs, LockFlagError, SmrArgs, first_line};
use crate::input::{Quoted, no_whitespace};
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
    /// The shortest lease whose violation rate meets --target, with its interval and costs, beside
    /// the alternatives (margin, lock-delay, fencing): `faultline advise --pause exp:5ms --target 1e-6`.
    Advise(Box<advise::AdviseArgs>),
    /// Join the CSV shards of one sweep (`--shard K/N`) into the table the whole sweep writes.
    Merge(sweep::MergeArgs),
    /// Replay one run and show the timeline around its first violation, as text and as a
    /// Mermaid sequence diagram: `faultline replay lock FLAGS`, `faultline replay run.json`,
    /// `faultline replay SWEEP.csv --row N`, `faultline replay smr [--stress] FLAGS` (world C, or
    /// the first failing stress run).
    #[command(disable_help_flag = true)]
    Replay {
        /// What to replay, its flags, and `--mermaid FILE`, `--context K`, `--row N`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        tokens: Vec<String>,
    },
    /// Draw the standard plots (SVG) that a sweep's CSV supports: overlap against lease, the
    /// safety-liveness trade-off, fencing against the SMS, margin against drift, clients, the
    /// replication dichotomy; or a generic one.
    Plot(sweep::PlotArgs),
    /// Read the pauses of a GC log (JVM, Go, Node) or of one duration per line, and print what
    /// `--pause file:PATH` would draw from: format, count, quantiles, total, the tail fit.
    Pauses(pauses::PausesArgs),
}

/// Everything that can stop a command before it produces its report.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The lock laboratory's flags describe no configuration.
    #[error(transparent)]
    LockFlags(#[from] LockFlagError),
    /// The configuration a run was given is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A run the oracle could not judge: a lock design reported what the world does not have.
    #[error(transparent)]
    Oracle(#[from] crate::lock::oracle::OracleError),
    /// The replication laboratory's flags describe nothing it can run.
    #[error(transparent)]
    Smr(#[from] SmrError),
    /// The real servers a run needs could not be started, or do not answer.
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
}

impl From<crate::lock::RunError> for CliError {
    fn from(e: crate::lock::RunError) -> Self {
        match e {
            crate::lock::RunError::Config(e) => CliError::Config(e),
            crate::lock::RunError::Oracle(e) => CliError::Oracle(e),
            crate::lock::RunError::Service(e) => CliError::Service(e),
        }
    }
}

/// Runs the command line on `args` (program name first), writing the report to `stdout` and
/// diagnostics to `stderr`; returns the process exit code.
pub fn main_with<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e, stdout, stderr),
    };
    let written = match cli.command {
        None => crate::demo::print(stdout),
        Some(Command::Lock(args)) => match lock::run(&args, &replay_words(&argv)) {
            Ok(text) => stdout.write_all(text.as_bytes()),
            Err(e) => return fail(stderr, USAGE, &e),
        },
        Some(Command::Advise(args)) => match advise::run(&args) {
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
        Some(Command::Replay { tokens }) => match replay::run(&tokens) {
            Ok(text) => stdout.write_all(text.as_bytes()),
            Err(e) => return fail(stderr, USAGE, &e),
        },
        Some(Command::Plot(args)) => match sweep::plot(&args) {
            Ok(text) => stdout.write_all(text.as_bytes()),
            Err(e) => return fail(stderr, USAGE, &e),
        },
        Some(Command::Pauses(args)) => match pauses::run(&args) {
            Ok(text) => stdout.write_all(text.as_bytes()),
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
    delivered(written.and_then(|()| stdout.flush()), "report", stderr)
}

/// The exit code once `what` has (or has not) been written to stdout.
fn delivered(written: io::Result<()>, what: &str, stderr: &mut dyn Write) -> u8 {
    match written {
        Ok(()) => 0,
        // A reader that stopped early (`| head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => FAILURE,
        Err(e) => fail(stderr, FAILURE, &format!("cannot write the {what}: {e}")),
    }
}

/// The words after the subcommand, as a shell would need them to run it again (without `--json`,
/// which changes how a run is shown, not what it is).
fn replay_words(argv: &[OsString]) -> Vec<String> {
    argv.iter()
        .skip(2)
        .map(|w| w.to_string_lossy().into_owned())
        .filter(|w| w != "--json")
        .map(|w| crate::sweep::shell_word(&w))
        .collect()
}

/// Help and version go to stdout with exit 0, as people expect; every other clap error becomes
/// one line, because the usage block and tips would break the one-line contract.
fn clap_error(e: &clap::Error, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    use clap::error::ErrorKind;
    let what = match e.kind() {
        ErrorKind::DisplayHelp => "help",
        ErrorKind::DisplayVersion => "version",
        _ => return fail(stderr, USAGE, &one_line(e)),
    };
    let written = stdout.write_all(e.render().to_string().as_bytes()).and_then(|()| stdout.flush());
    delivered(written, what, stderr)
}

/// A clap error as one line, with every piece of user text in it [`Quoted`].
///
/// A bad value gets a line of our own: clap's reads "invalid value '<value>' for '<flag>': <our
/// message>", and our messages quote the value already, so clap's line would repeat it (all of
/// it, however long). Whitespace gets the one message every parser of ours gives, also from
/// clap's own integer and enum parsers, which would say "invalid digit found in string".
fn one_line(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let value = text(ContextKind::InvalidValue);
    // Clap names the flag with its value placeholder, `--lease <DUR>`; the user typed `--lease`.
    let flag = text(ContextKind::InvalidArg).map(|a| a.split(' ').next().unwrap_or(a));
    if let (ErrorKind::ValueValidation | ErrorKind::InvalidValue, Some(value), Some(flag)) =
        (e.kind(), value, flag)
    {
        if let Err(spaced) = no_whitespace(value) {
            return format!("invalid value for {flag}: {spaced}");
        }
        if e.kind() == ErrorKind::ValueValidation {
            let source = std::error::Error::source(e).map(ToString::to_string).unwrap_or_default();
            // Our parsers quote what they are about, the value or the part of it that is wrong;
            // clap's own (integers: "invalid digit found in string") quote nothing.
            return if source.contains('\'') {
                format!("invalid value for {flag}: {source}")
            } else {
                format!("invalid value {} for {flag}: {source}", Quoted(value))
            };
        }
    }
    let mut rendered = e.render().to_string();
    for (_, value) in e.context() {
        if let ContextValue::String(s) = value {
            rendered = rendered.replace(&format!("'{s}'"), &Quoted(s).to_string());
        }
    }
    let line = first_line(&rendered).to_string();
    // Clap lists the valid values of an enum on a line of their own, which one line would lose.
    match (e.get(ContextKind::ValidValue), e.get(ContextKind::InvalidArg)) {
        (Some(ContextValue::Strings(valid)), _)
            if e.kind() == ErrorKind::InvalidValue && !valid.is_empty() =>
        {
            format!("{line}: expected one of {}", valid.join(", "))
        }
        // And the missing arguments, each on a line of its own.
        (_, Some(ContextValue::Strings(missing))) if e.kind() == ErrorKind::MissingRequiredArgument => {
            format!("{} {}", line.trim_end_matches(':'), missing.join(", "))
        }
        _ => line,
    }
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
    fn a_bad_choice_lists_the_valid_ones() {
        assert!(refused(&["lock", "--engine", "gpu"]).ends_with(": expected one of sim, threads\n"));
        let err = refused(&["smr", "--world", "D"]);
        assert!(err.ends_with(": expected one of A, B, C, all\n"), "{err}");
    }

    #[test]
    fn replay_help_is_help() {
        for (args, needle) in [
            (&["replay", "--help"][..], "What to replay:"),
            (&["replay", "-h"], "What to replay:"),
            (&["replay", "lock", "--help"], "--lease"),
            (&["replay", "smr", "--help"], "--protocol"),
        ] {
            let (code, out, err) = call(args);
            assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
            assert!(out.contains(needle), "{args:?}: {out}");
            assert!(!out.contains("Flags of") && !out.contains("LockConfig::new"), "{args:?}: {out}");
        }
    }

    /// `faultline` with `args`, as a script sees it: the one stderr line, after checking the rest
    /// of the contract for a bad invocation.
    fn refused(args: &[&str]) -> String {
        let (code, out, err) = call(args);
        assert_eq!(code, USAGE, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("faultline: ") && err.ends_with('\n'), "{args:?}: {err}");
        err
    }

    #[test]
    fn a_negative_value_is_called_negative() {
        // `--lease -5ms` reaches the parser only where the flag allows hyphen values; the `=` form
        // always does.
        assert_eq!(
            refused(&["lock", "--lease=-5ms"]),
            "faultline: invalid value for --lease: '-5ms' is negative: a duration cannot be negative\n"
        );
        assert!(refused(&["lock", "--pause=-5ms"]).contains("a duration cannot be negative"));
        assert!(refused(&["lock", "--pause", "exp:-5ms"]).contains("a duration cannot be negative"));
        assert!(refused(&["lock", "--drop", "-0.5"]).contains("'-0.5' is negative: expected a probability"));
        assert!(refused(&["smr", "--tau", "-3"]).contains("'-3' is negative"));
        assert!(refused(&["smr", "--stress", "--q", "-0.5"]).contains("'-0.5' is negative"));
    }

    #[test]
    fn errors_quote_what_was_typed() {
        let err = refused(&["lock", "--pause", "fixed:1ms@1e400"]);
        assert!(err.contains("'1e400' is not valid") && !err.contains("inf"), "{err}");
    }

    #[test]
    fn a_huge_value_is_quoted_once_and_short() {
        let huge = format!("1{}", "0".repeat(100_000));
        for args in [
            vec!["lock", "--lease", &format!("{huge}ms")],
            vec!["lock", "--pause", &format!("exp:{huge}ms")],
            vec!["lock", "--clients", &huge],
            vec!["lock", "--variant", &huge],
            vec!["lock", &format!("--{huge}")],
            vec!["smr", "--tau", &huge],
            vec!["smr", "--stress", "--q", &huge],
            vec![&huge],
        ] {
            let err = refused(&args);
            assert!(err.len() < 400, "{} bytes: {}", err.len(), &err[..400]);
            assert_eq!(err.matches(" characters)").count(), 1, "quoted once, cut short: {err}");
        }
    }

    #[test]
    fn a_value_with_a_newline_stays_on_one_line() {
        for args in
            [["lock", "--lease", "5\nms"], ["lock", "--variant", "lease\n"], ["lock", "--clients", "3\n4"]]
        {
            assert!(refused(&args).contains("\\n"), "{args:?}");
        }
    }

    #[test]
    fn whitespace_is_refused_by_every_flag_in_the_same_words() {
        for args in [
            ["lock", "--lease", " 5ms"],
            ["lock", "--pause", "exp:5ms "],
            ["lock", "--drop", "0.5 "],
            ["lock", "--drift", " 0.1"],
            ["lock", "--clients", " 3"],
            ["lock", "--variant", "lease "],
            ["smr", "--servers", "3 "],
            ["smr", "--tau", " 3"],
            ["smr", "--protocol", " majority"],
        ] {
            let err = refused(&args);
            let flag = args[1];
            assert!(err.starts_with(&format!("faultline: invalid value for {flag}: '")), "{err}");
            assert!(err.ends_with("' contains whitespace: write the value without spaces\n"), "{err}");
        }
    }

    /// A stdout that is full, like `/dev/full`.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "No space left on device"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn help_that_cannot_be_written_says_so() {
        for (args, what) in [(&["--help"][..], "help"), (&["smr", "--help"], "help"), (&["-V"], "version")] {
            let mut err = Vec::new();
            let argv = std::iter::once("faultline").chain(args.iter().copied());
            assert_eq!(main_with(argv, &mut Full, &mut err), FAILURE);
            let err = String::from_utf8(err).unwrap();
            assert_eq!(err, format!("faultline: cannot write the {what}: No space left on device\n"));
        }
    }
}
