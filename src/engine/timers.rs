//! A node's armed timers, kept the one way every engine keeps them.
//!
//! A timer is armed under the node's own name for it ([`Timer`]): arming a name that is armed
//! already re-arms it, cancelling forgets it. Each arming gets a number, which breaks ties between
//! timers due at one instant (the first armed fires first, as in the simulator's queue) and lets
//! an engine that queues firings tell a current arming from a stale one. A clock timer also keeps
//! the local time it is due at, so that a jump of the node's clock moves it: it fires when the
//! jumped clock reads that time.

use crate::fault::Clock;
use crate::node::Timer;
use crate::time::Nanos;

#[derive(Debug, Clone, Copy)]
struct Armed<T> {
    id: T,
    /// The true time it is due at.
    at: Nanos,
    /// Which arming this is.
    order: u64,
    /// The local time it is due at; `None` for work, which counts true time and no jump moves.
    local: Option<Nanos>,
}

/// One node's armed timers. A node has a handful, so a short list searched in order serves
/// better than any map.
#[derive(Debug)]
pub struct Timers<T> {
    armed: Vec<Armed<T>>,
    armings: u64,
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Timers { armed: Vec::new(), armings: 0 }
    }
}

impl<T: Timer> Timers<T> {
    /// Arms (or re-arms) `id` for true time `at`; `local` is its local deadline if it is a clock
    /// timer. Returns the arming's number (see [`fire`](Self::fire)).
    pub fn arm(&mut self, id: T, at: Nanos, local: Option<Nanos>) -> u64 {
        self.armings += 1;
        let armed = Armed { id, at, order: self.armings, local };
        match self.armed.iter_mut().find(|a| a.id == id) {
            Some(slot) => *slot = armed,
            None => self.armed.push(armed),
        }
        self.armings
    }

    /// Forgets `id` if it is armed: it fired, or the node cancelled it.
    pub fn disarm(&mut self, id: T) {
        if let Some(i) = self.armed.iter().position(|a| a.id == id) {
            self.armed.swap_remove(i);
        }
    }

    /// Arming number `order` fires: forgotten, and true, if it still stands (neither fired,
    /// cancelled nor re-armed); false, and nothing happens, if not.
    pub fn fire(&mut self, order: u64) -> bool {
        match self.armed.iter().position(|a| a.order == order) {
            Some(i) => {
                self.armed.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// The timer due first, and when (true time); of timers due at one instant, the first armed.
    pub fn next(&self) -> Option<(T, Nanos)> {
        self.armed.iter().min_by_key(|a| (a.at, a.order)).map(|a| (a.id, a.at))
    }

    /// True if no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.armed.is_empty()
    }

    /// Forgets every timer: the node is dead.
    pub fn clear(&mut self) {
        self.armed.clear();
    }

    /// The node's clock has just jumped to read `clock`, at true time `now`: re-arms every clock
    /// timer for the true time its local deadline now falls at, and returns them as `(id, at,
    /// arming)` for an engine that queues firings.
    pub fn rejump(&mut self, clock: Clock, now: Nanos) -> Vec<(T, Nanos, u64)> {
        let moved: Vec<(T, Nanos, Nanos)> = (self.armed.iter())
            .filter_map(|a| a.local.map(|local| (a.id, now.saturating_add(clock.until(now, local)), local)))
            .collect();
        moved.into_iter().map(|(id, at, local)| (id, at, self.arm(id, at, Some(local)))).collect()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn re_arming_replaces_and_ties_go_to_the_first_armed() {
        let mut t = Timers::default();
        let first = t.arm('a', 10, None);
        t.arm('b', 5, None);
        let again = t.arm('a', 5, None);
        assert_eq!(t.next(), Some(('b', 5)));
        t.disarm('b');
        assert_eq!(t.next(), Some(('a', 5)));
        assert!(!t.fire(first), "a re-armed timer's old arming is stale");
        assert!(t.fire(again) && !t.fire(again), "an arming fires once");
        assert!(t.is_empty() && t.next().is_none());
    }

    #[test]
    fn a_jump_moves_clock_timers_only() {
        let mut t = Timers::default();
        t.arm('c', 100, Some(100));
        t.arm('w', 100, None);
        let jumped = Clock::default().jumped(40);
        let moved = t.rejump(jumped, 10);
        assert_eq!(moved.len(), 1);
        assert_eq!((moved[0].0, moved[0].1), ('c', 60));
        assert_eq!(t.next(), Some(('c', 60)));
    }
}
