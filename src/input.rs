//! What people type as flag values, as the errors about it see it: how a bad value is quoted,
//! and the two mistakes every parser refuses in the same words (whitespace, a minus sign).
//!
//! Every error that repeats user text goes through [`Quoted`]: a 100 KB value or a newline inside
//! a value must not break the one-line error contract of [`crate::cli`], and the user still
//! recognises what they typed from its beginning.

use std::fmt;

/// The most characters of a value an error repeats: enough to recognise it, short enough for a
/// log line.
pub const MAX_QUOTED: usize = 40;

/// User text in an error message: in single quotes, control characters escaped so that it stays
/// on one line, and cut after [`MAX_QUOTED`] characters with its full length said.
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("'")?;
        for c in self.0.chars().take(MAX_QUOTED) {
            if c.is_control() {
                write!(f, "{}", c.escape_debug())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        let chars = self.0.chars().count();
        if chars > MAX_QUOTED { write!(f, "...' ({chars} characters)") } else { f.write_str("'") }
    }
}

/// A value with whitespace in it. Values are refused rather than trimmed so that every flag
/// reads its value the same way: clap's own integer and enum parsers do not trim either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} contains whitespace: write the value without spaces", Quoted(.0))]
pub struct Whitespace(pub String);

/// `Ok` when `text` has no whitespace anywhere.
pub fn no_whitespace(text: &str) -> Result<(), Whitespace> {
    if text.contains(char::is_whitespace) { Err(Whitespace(text.to_string())) } else { Ok(()) }
}

/// True when `text` is a minus sign followed by what starts a number (`-5ms`, `-0.1`, `-.5`),
/// so that the error can say "negative" instead of "not a number".
pub fn is_negative(text: &str) -> bool {
    text.strip_prefix('-').is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit() || c == '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_quoted_whole() {
        assert_eq!(Quoted("10ms").to_string(), "'10ms'");
        assert_eq!(Quoted("").to_string(), "''");
    }

    #[test]
    fn long_text_is_cut_and_its_length_said() {
        let long = "x".repeat(100_000);
        let q = Quoted(&long).to_string();
        assert_eq!(q, format!("'{}...' (100000 characters)", "x".repeat(MAX_QUOTED)));
        // Cut on characters, never inside one.
        let wide = "é".repeat(MAX_QUOTED + 1);
        assert!(Quoted(&wide).to_string().starts_with(&format!("'{}...'", "é".repeat(MAX_QUOTED))));
    }

    #[test]
    fn control_characters_cannot_break_the_line() {
        let q = Quoted("5\nms\u{1b}[31m").to_string();
        assert!(!q.contains('\n') && !q.contains('\u{1b}'), "{q}");
        assert_eq!(q, "'5\\nms\\u{1b}[31m'");
    }

    #[test]
    fn whitespace_anywhere_is_refused() {
        assert_eq!(no_whitespace("10ms"), Ok(()));
        for bad in [" 10ms", "10ms ", "10 ms", "10ms\t", "\u{a0}1"] {
            assert!(no_whitespace(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Whitespace(" 3".into()).to_string(),
            "' 3' contains whitespace: write the value without spaces"
        );
    }

    #[test]
    fn a_minus_before_a_number_is_negative() {
        for yes in ["-5ms", "-0.1", "-.5", "-1"] {
            assert!(is_negative(yes), "{yes}");
        }
        for no in ["5ms", "-", "--json", "-x", "", "1-2"] {
            assert!(!is_negative(no), "{no}");
        }
    }
}
