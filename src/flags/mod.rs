//! The laboratories' flags: what `faultline lock` and `faultline smr` accept, parsed into the
//! library's configurations.
//!
//! This layer sits below [`crate::sweep`] and above the laboratories: a sweep resolves each grid
//! point through these same flags (so a swept flag means what it means in a single run), and the
//! command line ([`crate::cli`]) runs and renders what they describe. Nothing here runs anything.
//!
//! - [`lock`]: [`LockArgs`] and its [`LockArgs::config`], a validated
//!   [`LockConfig`](crate::lock::LockConfig);
//! - [`smr`]: [`SmrArgs`] and its [`SmrArgs::plan`], the worlds, a stress sweep or a search;
//! - [`values`]: the value parsers clap has no equivalent of.

pub mod lock;
pub mod smr;
pub mod values;

pub use lock::{LockArgs, LockFlagError};
pub use smr::{Plan, SmrArgs, SmrFlagError};

/// The first non-empty line of a clap error, without clap's `error: ` prefix: one line is what a
/// sweep script can log next to the configuration that failed.
pub fn first_line(rendered: &str) -> &str {
    let line = rendered.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("invalid arguments");
    line.strip_prefix("error:").map(str::trim_start).unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::first_line;

    #[test]
    fn the_first_line_loses_the_error_prefix() {
        assert_eq!(
            first_line("error: unexpected argument '--x' found\n\n  tip: ..."),
            "unexpected argument '--x' found"
        );
        assert_eq!(first_line("\nplain"), "plain");
    }
}
