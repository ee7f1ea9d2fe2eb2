//! Confidence intervals for rates.

/// The 95% Wilson score interval of `k` successes in `n` trials (`[0, 1]` when `n` is 0).
///
/// Unlike the normal approximation it stays inside `[0, 1]` and behaves at `k = 0`, which is where
/// a safe protocol's violation rate lives. There its lower end is exactly 0 (and at `k = n` its
/// upper end exactly 1): the formula's two terms cancel, and rounding would leave a residue such
/// as `1e-19` that a table prints and a log axis extends to.
pub fn wilson(k: u64, n: u64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let z = 1.959_963_984_540_054_f64;
    let n = n as f64;
    let p = k as f64 / n;
    let z2n = z * z / n;
    let centre = (p + z2n / 2.0) / (1.0 + z2n);
    let half = z / (1.0 + z2n) * (p * (1.0 - p) / n + z2n / (4.0 * n)).sqrt();
    let lo = if k == 0 { 0.0 } else { (centre - half).max(0.0) };
    let hi = if k as f64 == n { 1.0 } else { (centre + half).min(1.0) };
    [lo, hi]
}

/// The tolerance docs/model.md §4.4 allows a Monte Carlo estimate of `p` from `n` trials: four standard
/// errors, `4·sqrt(p(1-p)/n)`.
pub fn tolerance(p: f64, n: u64) -> f64 {
    4.0 * (p * (1.0 - p) / n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_a_textbook_value_and_stays_in_range() {
        // 10 of 100: the Wilson interval is [0.0552, 0.1744].
        let [lo, hi] = wilson(10, 100);
        assert!((lo - 0.0552).abs() < 1e-4 && (hi - 0.1744).abs() < 1e-4, "{lo} {hi}");
        let [lo, hi] = wilson(0, 50);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.0 && hi < 0.1);
        assert_eq!(wilson(5, 5)[1], 1.0);
    }

    #[test]
    fn no_successes_bound_the_rate_from_exactly_zero() {
        for n in 1..20_000 {
            assert_eq!(wilson(0, n)[0], 0.0, "0 of {n}");
            assert_eq!(wilson(n, n)[1], 1.0, "{n} of {n}");
        }
    }
}
