//! The built-in lock designs. Each is one file; [`BUILT_IN`] registers it with one line. The
//! designs of [`redis`] and [`etcd`] run the built-in clients against real servers.

pub mod etcd;
pub mod queued;
pub mod redis;
pub mod redlock;

use super::design::Variant;

/// What an adapter to a real server ([`redis`], [`etcd`]) writes into the lock key for a client's
/// attempt, and what its release compares before deleting: which client, which attempt.
fn owner(client: usize, req: u64) -> String {
    format!("{client}:{req}")
}

/// Every built-in design, in the order tables list them.
pub static BUILT_IN: [Variant; 12] = [
    Variant::NON_PREEMPTIVE,
    Variant::LEASE,
    Variant::LEASE_MARGIN,
    Variant::FENCED,
    Variant::FENCED_WRITES,
    Variant::LOCK_DELAY,
    Variant::REDLOCK,
    Variant::REDLOCK_FENCED,
    Variant::REDIS_LEASE,
    Variant::REDIS_REDLOCK,
    Variant::ETCD_LEASE,
    Variant::ETCD_FENCED,
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
    /// A lease on one real Redis (`--service redis`).
    pub const REDIS_LEASE: Variant = Variant::of(&redis::REDIS_LEASE);
    /// Redlock on real Redis servers (`--service redis`).
    pub const REDIS_REDLOCK: Variant = Variant::of(&redis::REDIS_REDLOCK);
    /// A lease lock on a real etcd (`--service etcd`).
    pub const ETCD_LEASE: Variant = Variant::of(&etcd::ETCD_LEASE);
    /// A lease lock on a real etcd, fenced by the key's revision (`--service etcd`).
    pub const ETCD_FENCED: Variant = Variant::of(&etcd::ETCD_FENCED);
}
