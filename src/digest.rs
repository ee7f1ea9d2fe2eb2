//! FNV-1a, 64 bits: the one small hash faultline uses to name things (a sweep's grid, a design's
//! timer). It tells names apart; it is no seal against anyone who means to collide it.

/// The FNV-1a hash of `bytes`; a `const fn`, so a name can be hashed where it is written.
pub const fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u64).wrapping_mul(PRIME);
        i += 1;
    }
    hash
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::fnv1a;

    #[test]
    fn it_is_the_published_function() {
        // The test vectors of the FNV reference.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
