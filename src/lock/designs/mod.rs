//! The built-in lock designs. Each is one file; [`BUILT_IN`] registers it with one line.

pub mod queued;
pub mod redlock;

use super::design::Variant;

/// Every built-in design, in the order tables list them.
pub static BUILT_IN: [Variant; 8] = [
    Variant::NON_PREEMPTIVE,
    Variant::LEASE,
    Variant::LEASE_MARGIN,
    Variant::FENCED,
    Variant::FENCED_WRITES,
    Variant::LOCK_DELAY,
    Variant::REDLOCK,
    Variant::REDLOCK_FENCED,
];

impl Variant {
    /// Held until released; never taken away.
    pub const NON_PREEMPTIVE: Variant = Variant::of(&queued::NON_PREEMPTIVE);
    /// A lease of `L`: the service takes the lock back when it expires.
    pub const LEASE: Variant = Variant::of(&queued::LEASE);
    /// A lease plus a client-side safety margin `m` checked before touching storage.
    pub const LEASE_MARGIN: Variant = Variant::of(&queued::LEASE_MARGIN);
    /// A lease plus Chubby's lock-delay `D` after an expiry.
    pub const LOCK_DELAY: Variant = Variant::of(&queued::LOCK_DELAY);
    /// A lease plus fencing tokens checked by storage on every access.
    pub const FENCED: Variant = Variant::of(&queued::FENCED);
    /// A lease plus fencing tokens checked on writes only (deliberately flawed).
    pub const FENCED_WRITES: Variant = Variant::of(&queued::FENCED_WRITES);
    /// Redlock: a majority of independent servers with `SET NX PX`.
    pub const REDLOCK: Variant = Variant::of(&redlock::REDLOCK);
    /// Redlock with fenced storage.
    pub const REDLOCK_FENCED: Variant = Variant::of(&redlock::REDLOCK_FENCED);
}
