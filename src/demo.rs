//! The default demonstration (being written).
use std::io::{self, Write};

/// Prints the default demonstration: what `cargo run --release` shows.
pub fn print(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "faultline")
}
