//! A set of counter values in memory that does not grow with the run.
//!
//! The increment workload's side effects carry counter values, and a duplicate effect is a value
//! sent before. The values sent form a prefix `1..k` (every value up to the highest accepted one
//! was written, and so sent, at some point) plus a few values just above it and whatever is still
//! in flight. So the set keeps a low-water mark below which every value has been seen, and the
//! values above it explicitly: its size is set by the gaps, not the number of values.
//!
//! A gap can be permanent: an SMS lost on a lossy link, or never sent by a client that crashed
//! between its write and its SMS, leaves its value unseen for good, and every value above it is
//! then kept. So the set keeps at most [`MAX_KEPT`] values: past that, the mark moves up to the
//! lowest kept value and the gaps below it count as seen. The count stays exact unless a value
//! from one of those forgotten gaps is sent for the first time afterwards, more than a million
//! values later (it would count as a duplicate); [`SeenValues::forgotten`] says how many gaps
//! were given up.

use std::collections::BTreeSet;

/// Most values kept above the low-water mark: about 50 MB.
pub const MAX_KEPT: usize = 1 << 20;

/// Values seen so far, compactly.
#[derive(Debug, Clone)]
pub struct SeenValues {
    /// Every value below this one counts as seen.
    below: u64,
    /// Seen values at or above `below`.
    above: BTreeSet<u64>,
    /// Gaps given up to keep the set within [`MAX_KEPT`].
    forgotten: u64,
}

impl SeenValues {
    /// An empty set for values from `first` on; values below `first` count as already seen (the
    /// increment workload never sends 0, so its set starts at 1).
    pub fn starting_at(first: u64) -> Self {
        SeenValues { below: first, above: BTreeSet::new(), forgotten: 0 }
    }

    /// Adds `value`; true when it was new.
    pub fn insert(&mut self, value: u64) -> bool {
        if value < self.below || !self.above.insert(value) {
            return false;
        }
        if self.above.len() > MAX_KEPT
            && let Some(&lowest) = self.above.first()
        {
            self.forgotten += lowest - self.below;
            self.below = lowest;
        }
        while self.above.remove(&self.below) {
            self.below += 1;
        }
        true
    }

    /// Values below the mark that were never seen but count as seen (see the module docs).
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }

    /// How many values above the low-water mark are kept explicitly (for tests of the memory
    /// bound).
    pub fn gaps_kept(&self) -> usize {
        self.above.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_new_values_from_repeats_and_stays_small() {
        let mut seen = SeenValues::starting_at(1);
        assert!(seen.insert(2));
        assert!(seen.insert(1));
        assert!(!seen.insert(2));
        assert!(!seen.insert(1));
        assert!(seen.insert(5));
        assert!(!seen.insert(5));
        assert_eq!(seen.gaps_kept(), 1);
        for v in 3..1_000_000 {
            assert_eq!(seen.insert(v), v != 5, "{v}");
        }
        assert_eq!(seen.gaps_kept(), 0, "a dense prefix is kept as one number");
        assert!(!seen.insert(0), "values below the start count as seen");
    }

    #[test]
    fn permanent_gaps_cannot_grow_it_without_bound() {
        let mut seen = SeenValues::starting_at(1);
        // Every other value is lost for good.
        for v in (2..(2 * MAX_KEPT as u64 + 10)).step_by(2) {
            assert!(seen.insert(v));
        }
        assert!(seen.gaps_kept() <= MAX_KEPT + 1, "{}", seen.gaps_kept());
        assert!(seen.forgotten() > 0);
        assert!(!seen.insert(2 * MAX_KEPT as u64), "a recent repeat is still caught");
    }
}
