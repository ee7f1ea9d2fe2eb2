//! Waiting times, summarised as an HdrHistogram of three significant figures summarises them:
//! a quantile is the highest value of the bucket that holds it, the mean is the mean of the
//! buckets' middles.
//!
//! To answer, the histogram walks its buckets from the first to the longest wait: tens of
//! thousands of them for waits of milliseconds, which made the summary two thirds of a short run's
//! time (a run of two sections, `perf record`). So the first [`KEPT`] waits are kept as they are,
//! and the histogram is filled only once a run has more: while it has not, the same figures are
//! computed from the kept waits, bucket by bucket, in the histogram's own order and arithmetic, so
//! they are the same to the bit (the tests compare the two on random samples).

use hdrhistogram::Histogram;

/// How many waits are kept as they are before the histogram takes over.
pub const KEPT: usize = 64;

/// A run's waiting times.
#[derive(Debug, Clone)]
pub struct Latencies {
    /// Fills only once more than [`KEPT`] waits were recorded; its bucket arithmetic serves the
    /// kept waits before that.
    hist: Histogram<u64>,
    /// The waits, while there are at most [`KEPT`] of them.
    kept: Vec<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            hist: Histogram::new(3).expect("3 significant figures is a valid precision"),
            kept: Vec::new(),
        }
    }
}

impl Latencies {
    /// Records one wait.
    pub fn record(&mut self, wait: u64) {
        if self.hist.is_empty() && self.kept.len() < KEPT {
            self.kept.push(wait);
            return;
        }
        // Once, at the first wait past the kept ones: the histogram takes them over.
        for w in self.kept.drain(..) {
            self.hist.record(w).expect("an auto-resizing histogram records any u64");
        }
        self.hist.record(wait).expect("an auto-resizing histogram records any u64");
    }

    /// How many waits were recorded.
    pub fn len(&self) -> u64 {
        self.hist.len() + self.kept.len() as u64
    }

    /// True if none was.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at quantile `q` (`Histogram::value_at_quantile`): the highest value of the
    /// bucket where the count of waits up to it first reaches `q` of them; 0 if none.
    pub fn quantile(&self, q: f64) -> u64 {
        if !self.hist.is_empty() {
            return self.hist.value_at_quantile(q);
        }
        let q = q.min(1.0);
        let wanted = ((q * self.kept.len() as f64).ceil() as u64).max(1);
        let mut so_far = 0;
        for (value, count) in self.buckets() {
            so_far += count;
            if so_far >= wanted {
                return if q == 0.0 {
                    self.hist.lowest_equivalent(value)
                } else {
                    self.hist.highest_equivalent(value)
                };
            }
        }
        0
    }

    /// The mean of the buckets' middles, weighted by their counts (`Histogram::mean`); 0 if none.
    pub fn mean(&self) -> f64 {
        if !self.hist.is_empty() {
            return self.hist.mean();
        }
        let total = self.kept.len() as f64;
        if self.kept.is_empty() {
            return 0.0;
        }
        self.buckets().fold(0.0, |sum, (value, count)| {
            sum + self.hist.median_equivalent(self.hist.highest_equivalent(value)) as f64 * count as f64
                / total
        })
    }

    /// The kept waits by bucket, lowest first: a value of each bucket and how many fell in it.
    fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let mut sorted = self.kept.clone();
        sorted.sort_unstable();
        let mut i = 0;
        std::iter::from_fn(move || {
            let &first = sorted.get(i)?;
            let start = i;
            while i < sorted.len() && self.hist.equivalent(sorted[i], first) {
                i += 1;
            }
            Some((first, (i - start) as u64))
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The figures from the kept waits and from a histogram holding the same waits.
    fn both(waits: &[u64]) -> [(u64, u64, u64, u64, u64, f64); 2] {
        let mut kept = Latencies::default();
        let mut hist = Histogram::<u64>::new(3).unwrap();
        for &w in waits {
            kept.record(w);
            hist.record(w).unwrap();
        }
        assert_eq!(kept.hist.is_empty(), waits.len() <= KEPT, "the histogram fills only past {KEPT}");
        let mean = if hist.is_empty() { 0.0 } else { hist.mean() };
        [
            (
                kept.quantile(0.0),
                kept.quantile(0.5),
                kept.quantile(0.99),
                kept.quantile(1.0),
                kept.len(),
                kept.mean(),
            ),
            (
                hist.value_at_quantile(0.0),
                hist.value_at_quantile(0.5),
                hist.value_at_quantile(0.99),
                hist.value_at_quantile(1.0),
                hist.len(),
                mean,
            ),
        ]
    }

    #[test]
    fn kept_waits_summarise_to_the_bit_as_the_histogram_does() {
        let mut rng = ChaCha8Rng::seed_from_u64(18);
        for trial in 0..2_000 {
            let n = trial % (KEPT + 8);
            // Waits over many orders of magnitude, with repeats and near-repeats in one bucket.
            let scale = 10u64.pow(rng.random_range(0..11));
            let waits: Vec<u64> =
                (0..n).map(|_| rng.random_range(0..=scale) / rng.random_range(1..4)).collect();
            let [kept, hist] = both(&waits);
            assert_eq!(kept.0, hist.0, "q=0 of {waits:?}");
            assert_eq!(kept.1, hist.1, "p50 of {waits:?}");
            assert_eq!(kept.2, hist.2, "p99 of {waits:?}");
            assert_eq!(kept.3, hist.3, "max of {waits:?}");
            assert_eq!(kept.4, hist.4);
            assert_eq!(kept.5.to_bits(), hist.5.to_bits(), "mean of {waits:?}");
        }
    }

    #[test]
    fn none_recorded_summarises_to_zero() {
        let none = Latencies::default();
        assert!(none.is_empty());
        assert_eq!((none.quantile(0.5), none.mean()), (0, 0.0));
    }
}
