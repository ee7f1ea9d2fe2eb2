//! The exhaustive omission search (`faultline smr --search`).

use faultline::smr::protocols::{CommitRule, PrimaryBackup, Vote};
use faultline::smr::search::{Property, SearchOptions, search, search_text};
use faultline::smr::{Cluster, derived_rounds};
use std::time::Instant;

#[test]
fn explore_numbers() {
    let rounds = derived_rounds(3, 1) as u32;
    for (name, n) in [
        ("majority", 3),
        ("commit-alone", 2),
        ("wait-all", 2),
        ("pb", 2),
        ("commit-alone", 3),
        ("pb", 3),
        ("wait-all", 3),
    ] {
        let t = Instant::now();
        let r = match name {
            "majority" => {
                search(&Vote::new(CommitRule::Majority), Cluster::new(n, 1), rounds, &SearchOptions::new())
            }
            "commit-alone" => search(
                &Vote::new(CommitRule::AloneAfter(3)),
                Cluster::new(n, 1),
                rounds,
                &SearchOptions::new(),
            ),
            "wait-all" => {
                search(&Vote::new(CommitRule::All), Cluster::new(n, 1), rounds, &SearchOptions::new())
            }
            _ => search(&PrimaryBackup::new(3), Cluster::new(n, 1), rounds, &SearchOptions::new()),
        };
        match r {
            Ok(r) => println!("{name} n={n}: {:?}\n{}", t.elapsed(), search_text(&r)),
            Err(e) => println!("{name} n={n}: {:?} ERR {e}", t.elapsed()),
        }
    }
    let _ = Property::Agreement;
}
