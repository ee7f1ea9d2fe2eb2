//! Who was granted the lock after whom: all the oracles need to tell a stale access from a good
//! one, in constant memory.

use crate::lock::msg::Token;

/// The newest grant, and the newest grant to anyone but its holder.
#[derive(Debug, Clone, Copy, Default)]
pub struct Grants {
    latest: Option<(Token, usize)>,
    latest_other: Option<Token>,
}

impl Grants {
    /// The service granted `token` to `client`.
    pub fn granted(&mut self, token: Token, client: usize) {
        match self.latest {
            Some((_, c)) if c == client => {}
            Some((t, _)) => self.latest_other = Some(t),
            None => {}
        }
        self.latest = Some((token, client));
    }

    /// True when the lock has been granted to a client other than `owner` since `owner` was
    /// granted `token`. Tokens increase in grant order, so the newest grant and the newest grant
    /// to anyone but its holder are all it takes.
    pub fn superseded(&self, token: Token, owner: usize) -> bool {
        match self.latest {
            Some((latest, client)) if client != owner => latest > token,
            Some(_) => self.latest_other.is_some_and(|t| t > token),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_to_another_client_supersedes_older_tokens() {
        let mut g = Grants::default();
        g.granted(1, 0);
        assert!(!g.superseded(1, 0));
        g.granted(2, 0);
        assert!(!g.superseded(1, 0), "granted again to the same client");
        g.granted(3, 1);
        assert!(g.superseded(2, 0) && !g.superseded(3, 1));
        g.granted(4, 1);
        assert!(g.superseded(2, 0), "remembered across the other client's streak");
    }
}
