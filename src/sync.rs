//! The one seam for shared state: every lock, atomic, `Arc` and thread the engines use comes from
//! here.
//!
//! Normally this re-exports `std`, `parking_lot` and `crossbeam-channel`. Built with
//! `RUSTFLAGS="--cfg loom"` it re-exports loom's instrumented twins instead, so loom's model
//! checker sees every access and can explore every interleaving of the crate's own types. Code that
//! reaches for `std::sync` directly is invisible to loom; that is why nothing else does.
//!
//! Loom has no time (no `recv_timeout`, no sleeping), so the channel re-export and the threaded
//! engine that needs it exist only outside loom.

#[cfg(not(loom))]
pub use std::sync::Arc;
#[cfg(not(loom))]
pub use std::sync::Barrier;
#[cfg(not(loom))]
pub use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub use std::thread;

#[cfg(loom)]
pub use loom::sync::Arc;
#[cfg(loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub use loom::thread;

/// Message channels (crossbeam), for the threaded engine.
#[cfg(not(loom))]
pub use crossbeam_channel as channel;

/// A mutex whose `lock` returns the guard directly, over `parking_lot` normally and loom under
/// `cfg(loom)`; one spelling for both so callers need no `cfg`.
#[derive(Debug, Default)]
pub struct Mutex<T> {
    #[cfg(not(loom))]
    inner: parking_lot::Mutex<T>,
    #[cfg(loom)]
    inner: loom::sync::Mutex<T>,
}

/// The guard [`Mutex::lock`] returns.
#[cfg(not(loom))]
pub type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;
/// The guard [`Mutex::lock`] returns.
#[cfg(loom)]
pub type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        #[cfg(not(loom))]
        let inner = parking_lot::Mutex::new(value);
        #[cfg(loom)]
        let inner = loom::sync::Mutex::new(value);
        Mutex { inner }
    }

    /// Blocks until the mutex is ours. A panic while it was held does not poison it: the engines
    /// treat a panicking node as a bug and stop the run anyway.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(not(loom))]
        return self.inner.lock();
        #[cfg(loom)]
        return self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    }

    /// The value, when nobody else can hold the lock.
    pub fn into_inner(self) -> T {
        #[cfg(not(loom))]
        return self.inner.into_inner();
        #[cfg(loom)]
        return self.inner.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

/// A condition variable paired with [`Mutex`]: `parking_lot`'s normally, loom's under
/// `cfg(loom)`. Loom cannot explore a thread that spins waiting for another to make progress;
/// one that waits here is simply not scheduled until it is notified.
#[derive(Debug, Default)]
pub struct Condvar {
    #[cfg(not(loom))]
    inner: parking_lot::Condvar,
    #[cfg(loom)]
    inner: loom::sync::Condvar,
}

impl Condvar {
    /// A new condition variable.
    pub fn new() -> Self {
        Condvar::default()
    }

    /// Releases `guard`, waits for a notification, and takes the lock again.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        #[cfg(not(loom))]
        {
            let mut guard = guard;
            self.inner.wait(&mut guard);
            guard
        }
        #[cfg(loom)]
        return self.inner.wait(guard).unwrap_or_else(|poisoned| poisoned.into_inner());
    }

    /// Wakes every waiting thread.
    pub fn notify_all(&self) {
        self.inner.notify_all();
    }
}
