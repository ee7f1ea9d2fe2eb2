//! A process's view: its input and its inbox, round by round. Indistinguishability is equality of
//! views, compared message by message, not by hash, so that a difference can be shown.

use super::model::{Cluster, Cmd, Pid, Round};
use serde::Serialize;

/// What one process saw of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct View<M> {
    /// What it was asked to write (clients only).
    pub input: Option<Cmd>,
    /// `inbox[r]`: what it was handed at the start of round `r`, in sender order.
    pub inbox: Vec<Vec<(Pid, M)>>,
}

/// Where two views first differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The process.
    pub process: String,
    /// The round, or `None` when the inputs differ.
    pub round: Option<Round>,
    /// What it got in the first view.
    pub first: String,
    /// What it got in the second view.
    pub second: String,
}

fn show<M: std::fmt::Display>(cluster: Cluster, inbox: &[(Pid, M)]) -> String {
    if inbox.is_empty() {
        return "nothing".into();
    }
    let parts: Vec<String> =
        inbox.iter().map(|(from, m)| format!("{m} from {}", cluster.name(*from))).collect();
    parts.join(", ")
}

impl<M: PartialEq + std::fmt::Display> View<M> {
    /// The first place where `self` and `other` differ, or `None` when they are equal.
    pub fn first_difference(&self, other: &View<M>, cluster: Cluster, p: Pid) -> Option<Difference> {
        let process = cluster.name(p);
        if self.input != other.input {
            let input = |i: Option<Cmd>| i.map_or("no input".to_string(), |c| format!("input {c}"));
            return Some(Difference {
                process,
                round: None,
                first: input(self.input),
                second: input(other.input),
            });
        }
        let rounds = self.inbox.len().max(other.inbox.len());
        (0..rounds).find_map(|r| {
            let (a, b) = (
                self.inbox.get(r).map_or(&[][..], Vec::as_slice),
                other.inbox.get(r).map_or(&[][..], Vec::as_slice),
            );
            (a != b).then(|| Difference {
                process: process.clone(),
                round: Some(r as Round),
                first: show(cluster, a),
                second: show(cluster, b),
            })
        })
    }
}

/// Compares the views of `group` in two runs: equal, or the first difference.
pub fn compare<M: PartialEq + std::fmt::Display>(
    cluster: Cluster,
    group: &[Pid],
    first: &[View<M>],
    second: &[View<M>],
) -> Option<Difference> {
    group.iter().find_map(|&p| first[p.0].first_difference(&second[p.0], cluster, p))
}
