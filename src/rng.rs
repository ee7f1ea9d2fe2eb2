//! Seeds: every random stream of a run is derived from the master seed and a name.
//!
//! A stream is named by a purpose and an index (client 3's stalls, the links, grid point 17), and
//! its seed is a hash of those and the master seed. Streams therefore do not depend on the order in
//! which things happen to draw from them, nor on how many threads a sweep uses, and changing one
//! fault (say the links) leaves every other draw (the stalls) exactly as it was.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The portable generator used everywhere: the same seed gives the same stream on every platform.
pub type Rng = ChaCha8Rng;

/// SplitMix64's finaliser: a bijective mix of 64 bits.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of stream `parts` under `master`.
pub fn derive(master: u64, parts: &[u64]) -> u64 {
    parts.iter().fold(mix(master), |acc, &p| mix(acc ^ mix(p)))
}

/// A generator for stream `parts` under `master`.
pub fn stream(master: u64, parts: &[u64]) -> Rng {
    Rng::seed_from_u64(derive(master, parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_name_and_repeat_by_seed() {
        assert_eq!(derive(1, &[2, 3]), derive(1, &[2, 3]));
        assert_ne!(derive(1, &[2, 3]), derive(1, &[3, 2]));
        assert_ne!(derive(1, &[2]), derive(2, &[2]));
    }
}
