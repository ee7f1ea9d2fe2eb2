//! A set of counter values in memory that does not grow with the run.
//!
//! The increment workload's side effects carry counter values, and a duplicate effect is a value
//! sent before. The values sent form a prefix `1..k` (every value up to the highest accepted one
//! was written, and so sent, at some point) plus a few values just above it and whatever is still
//! in flight. So the set keeps a low-water mark below which every value has been seen, and the
//! values above it explicitly: its size is the number of gaps, not the number of values.

use std::collections::BTreeSet;

/// Values seen so far, compactly.
#[derive(Debug, Clone)]
pub struct SeenValues {
    /// Every value below this one counts as seen.
    below: u64,
    /// Seen values at or above `below`.
    above: BTreeSet<u64>,
}

impl SeenValues {
    /// An empty set for values from `first` on; values below `first` count as already seen (the
    /// increment workload never sends 0, so its set starts at 1).
    pub fn starting_at(first: u64) -> Self {
        SeenValues { below: first, above: BTreeSet::new() }
    }

    /// Adds `value`; true when it was new.
    pub fn insert(&mut self, value: u64) -> bool {
        if value < self.below || !self.above.insert(value) {
            return false;
        }
        while self.above.remove(&self.below) {
            self.below += 1;
        }
        true
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
}
