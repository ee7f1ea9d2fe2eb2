//! A count out of a total, as every report states it.

use super::stats::wilson;
use serde::Serialize;

/// A count out of a total, with its rate and 95% Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    /// How many.
    pub count: u64,
    /// Out of how many.
    pub of: u64,
    /// `count / of` (0 when `of` is 0).
    pub rate: f64,
    /// 95% Wilson score interval of the rate.
    pub ci95: [f64; 2],
}

impl Rate {
    /// `count` out of `of`.
    pub fn new(count: u64, of: u64) -> Rate {
        let rate = if of == 0 { 0.0 } else { count as f64 / of as f64 };
        Rate { count, of, rate, ci95: wilson(count, of) }
    }
}
