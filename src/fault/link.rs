//! A lossy link: what happens to one message between `send` and delivery.

use super::Dist;
use crate::time::Nanos;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// How a link treats every message: lose it, hold it back, duplicate it, reorder it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkPlan {
    /// Probability a message is lost.
    pub drop: f64,
    /// Probability a delivered message is delivered a second time (with its own delay).
    pub duplicate: f64,
    /// One-way delay of every message.
    pub delay: Dist,
    /// Probability a message is held back by an extra uniform delay in `[0, reorder_window]`,
    /// letting later messages overtake it.
    pub reorder: f64,
    /// The extra delay a reordered message may get.
    #[serde(with = "crate::time::human")]
    pub reorder_window: Nanos,
}

impl Default for LinkPlan {
    fn default() -> Self {
        LinkPlan::PERFECT
    }
}

impl LinkPlan {
    /// Instant, lossless, in-order delivery.
    pub const PERFECT: LinkPlan = LinkPlan {
        drop: 0.0,
        duplicate: 0.0,
        delay: Dist::None,
        reorder: 0.0,
        reorder_window: crate::time::MS,
    };

    /// True when this plan never changes a message.
    pub fn is_perfect(&self) -> bool {
        self.drop == 0.0 && self.duplicate == 0.0 && self.reorder == 0.0 && self.delay.is_none()
    }

    /// The delays after which copies of one message arrive (none: it was lost), appended to
    /// `deliveries`.
    pub fn route<R: Rng + ?Sized>(&self, rng: &mut R, deliveries: &mut Vec<Nanos>) {
        if self.is_perfect() {
            deliveries.push(0);
            return;
        }
        if self.drop > 0.0 && rng.random::<f64>() < self.drop {
            return;
        }
        let one = |rng: &mut R| {
            let mut d = self.delay.sample(rng);
            if self.reorder > 0.0 && rng.random::<f64>() < self.reorder {
                d += rng.random_range(0..=self.reorder_window);
            }
            d
        };
        let first = one(rng);
        deliveries.push(first);
        if self.duplicate > 0.0 && rng.random::<f64>() < self.duplicate {
            let second = one(rng);
            deliveries.push(second);
        }
    }
}
