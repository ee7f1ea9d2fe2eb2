//! The one seam for shared state: every lock, atomic, `Arc` and thread the engines use comes from
//! here.
//!
//! Normally this re-exports `std` and `parking_lot`. Built with `RUSTFLAGS="--cfg loom"` it
//! re-exports loom's instrumented twins instead, so loom's model checker sees every access and
//! can explore every interleaving of the crate's own types. Code that reaches for `std::sync`
//! directly is invisible to loom; that is why nothing else does. (The threads engine's mailboxes
//! are built here from a mutex and a condition variable rather than taken from a channel crate
//! for the same reason: loom cannot see inside one.)
//!
//! Loom has no time: under loom a deadline never comes ([`passed`], [`Condvar::wait_until`]), so
//! whatever waits for one waits until something else happens, and a model must not count on one.

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

/// A waiter's patience before it sleeps. A wait that is usually short costs less if the waiter
/// first checks again a few times, giving up the lock and the processor in between, than if it
/// sleeps at once: waking a sleeper takes both threads through the kernel, and if the sleeper's
/// processor went idle meanwhile, on a virtual machine waking that processor costs tens of
/// microseconds more. The waiter yields rather than spins, so that on a machine with fewer cores
/// than busy threads the thread it waits for gets the processor at once. (Crossbeam's `Backoff`
/// spins before it yields, which is what its channels do; here that made the threads engine
/// twice as slow on one core.) Under loom the patience runs out at once: loom cannot explore a
/// thread that waits by spinning, and checking again after letting go of the lock is only a
/// spurious wake-up, which every wait tolerates anyway.
#[derive(Debug)]
pub struct Backoff {
    #[cfg(not(loom))]
    left: std::cell::Cell<u32>,
}

/// How many times a waiter yields before it sleeps: enough to cover a step of the thread it waits
/// for and the hand-over (measured: 4 was too few to avoid idle processors; 16 to 64 did as well).
#[cfg(not(loom))]
const YIELDS: u32 = 16;

/// Fresh patience.
impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            #[cfg(not(loom))]
            left: std::cell::Cell::new(YIELDS),
        }
    }
}

impl Backoff {
    /// Lets go of `guard`'s lock and of the processor for a moment, and takes the lock again;
    /// false (the lock kept all along) once the patience has run out and the caller should sleep
    /// instead.
    pub fn snooze<T>(&self, guard: &mut MutexGuard<'_, T>) -> bool {
        #[cfg(not(loom))]
        {
            let left = self.left.get();
            if left == 0 {
                return false;
            }
            self.left.set(left - 1);
            parking_lot::MutexGuard::unlocked(guard, std::thread::yield_now);
            true
        }
        #[cfg(loom)]
        {
            let _ = guard;
            false
        }
    }
}

/// True once `deadline` has come (`None`: it never does). Under loom it never does: loom has no
/// time, and a branch on the real clock would make its executions differ from one another.
pub fn passed(deadline: Option<std::time::Instant>) -> bool {
    #[cfg(not(loom))]
    return deadline.is_some_and(|d| std::time::Instant::now() >= d);
    #[cfg(loom)]
    {
        let _ = deadline;
        false
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

    /// As [`wait`](Self::wait), but gives up at `deadline` (`None`: never). Callers check what they
    /// wait for, and the time, again: a wait may also end early. Under loom a deadline never
    /// comes (loom has no time), so a model must not count on one.
    pub fn wait_until<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        deadline: Option<std::time::Instant>,
    ) -> MutexGuard<'a, T> {
        #[cfg(not(loom))]
        {
            let mut guard = guard;
            match deadline {
                Some(deadline) => {
                    self.inner.wait_until(&mut guard, deadline);
                }
                None => self.inner.wait(&mut guard),
            }
            guard
        }
        #[cfg(loom)]
        {
            let _ = deadline;
            self.wait(guard)
        }
    }

    /// Wakes every waiting thread.
    pub fn notify_all(&self) {
        self.inner.notify_all();
    }

    /// Wakes one waiting thread, for a condition variable only one thread ever waits on.
    pub fn notify_one(&self) {
        self.inner.notify_one();
    }
}
