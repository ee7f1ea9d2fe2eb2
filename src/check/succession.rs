//! Who entered a critical section after whom: all the oracles need to tell a stale access from a
//! good one, in constant memory per client, without looking at tokens.
//!
//! A section of client `c` is *superseded* once another client has entered since it began. The
//! oracles ask that of a client's newest section (storage is used synchronously, so every access
//! comes from it) and of older ones (a side effect may reach the outbox long after its section
//! ended). Three numbers per client answer both exactly:
//! - entries by other clients when `c` last entered: if there have been more since, every
//!   section of `c` is superseded;
//! - otherwise, the first section of `c`'s current *streak* (its sections with no other entry
//!   between them): a section before it is superseded, one in it is not.

/// The succession of entries, per client.
#[derive(Debug, Clone, Default)]
pub struct Succession {
    entries: u64,
    clients: Vec<Streak>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Streak {
    /// Sections this client has entered; its newest is number `sections`.
    sections: u64,
    /// Entries by other clients when it entered its newest section.
    others_then: u64,
    /// The first section of its current streak.
    streak_from: u64,
}

impl Succession {
    /// The succession of `clients` clients, before anyone entered.
    pub fn new(clients: usize) -> Self {
        Succession { entries: 0, clients: vec![Streak::default(); clients] }
    }

    fn others(&self, client: usize) -> u64 {
        self.entries - self.clients[client].sections
    }

    /// `client` entered its next section; returns that section's number (from 1).
    pub fn enter(&mut self, client: usize) -> u64 {
        let others = self.others(client);
        let s = &mut self.clients[client];
        if others > s.others_then || s.sections == 0 {
            s.streak_from = s.sections + 1;
        }
        s.sections += 1;
        s.others_then = others;
        self.entries += 1;
        s.sections
    }

    /// `client`'s newest section (0 before its first).
    pub fn newest(&self, client: usize) -> u64 {
        self.clients[client].sections
    }

    /// True when another client has entered since `client`'s section `section` began.
    pub fn superseded(&self, client: usize, section: u64) -> bool {
        let s = &self.clients[client];
        self.others(client) > s.others_then || section < s.streak_from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_by_another_client_supersedes_every_earlier_section() {
        let mut s = Succession::new(2);
        assert_eq!(s.enter(0), 1);
        assert!(!s.superseded(0, 1));
        assert_eq!(s.enter(0), 2);
        assert!(!s.superseded(0, 1), "entered again by the same client");
        s.enter(1);
        assert!(s.superseded(0, 2) && s.superseded(0, 1) && !s.superseded(1, 1));
        assert_eq!(s.enter(0), 3);
        assert!(s.superseded(0, 2), "remembered across the new streak");
        assert!(!s.superseded(0, 3));
        assert!(s.superseded(1, 1));
    }
}
