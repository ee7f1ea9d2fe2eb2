//! A sweep's identity: which grid, which faultline, which shard. It is written in the JSON beside
//! a sweep's CSV (`"sweep"`, before the rows), never in the CSV, whose columns stay those of the
//! rows, so `faultline merge` can tell shards of one sweep from shards of two.
//!
//! The grid is named by a digest of its resolved form (the laboratory, each swept flag with its
//! expanded values in the laboratory's flag order, repetitions and master seed): a grid file and
//! the same axes on the command line have one digest, and a grid that differs in any value has
//! another. The digest is FNV-1a (64 bits) over that text: a name to tell grids apart, not a seal
//! against forgery, which a hand-edited JSON could defeat anyway.

use super::Shard;
use super::table::json_path;
use std::path::Path;

/// The faultline that wrote a sweep: shards of two versions may differ in their rows.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The key of the identity in a sweep's JSON.
pub const KEY: &str = "sweep";

/// Which sweep a table is, and which slice of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The digest of the resolved grid ([`digest`]).
    pub grid: String,
    /// The faultline version that ran it.
    pub faultline: String,
    /// The slice (1/1 for a whole sweep, and for shards merged).
    pub shard: Shard,
    /// Runs in the slice (rows in the table).
    pub runs: u64,
}

/// Why shards cannot be merged as one sweep; each is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The JSON beside a CSV cannot be read, or holds an identity that does not read.
    #[error("{path}: the sweep's identity does not read: {why}")]
    Format {
        /// The JSON.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// Shards of two grids.
    #[error("{path} is a shard of another grid (digest {digest}) than {first} ({first_digest})")]
    OtherGrid {
        /// The CSV that differs.
        path: String,
        /// Its grid's digest.
        digest: String,
        /// The first CSV.
        first: String,
        /// The first CSV's digest.
        first_digest: String,
    },
    /// Shards written by two versions of faultline.
    #[error(
        "{path} was written by faultline {version}, {first} by {first_version}: run every shard with one version"
    )]
    OtherVersion {
        /// The CSV that differs.
        path: String,
        /// Its version.
        version: String,
        /// The first CSV.
        first: String,
        /// The first CSV's version.
        first_version: String,
    },
    /// Shards of two splits of the sweep (2/4 beside 1/8).
    #[error("{path} is shard {shard}, {first} is shard {first_shard}: shards of one split (one N) merge")]
    OtherSplit {
        /// The CSV that differs.
        path: String,
        /// Its shard.
        shard: Shard,
        /// The first CSV.
        first: String,
        /// The first CSV's shard.
        first_shard: Shard,
    },
    /// One shard given twice.
    #[error("{first} and {path} are both shard {shard}")]
    Repeated {
        /// The second CSV.
        path: String,
        /// The first CSV.
        first: String,
        /// Their shard.
        shard: Shard,
    },
    /// Shards not given.
    #[error("missing {0}: merge all of them")]
    Missing(String),
    /// Some shards carry an identity and others do not.
    #[error(
        "{path} has no sweep identity beside it ({json}) but {marked} has: merge the shards faultline sweep --shard wrote, with their JSON"
    )]
    Unmarked {
        /// The CSV without one.
        path: String,
        /// The JSON that would hold it.
        json: String,
        /// A CSV with one.
        marked: String,
    },
}

/// The digest of a grid's canonical text: FNV-1a, 64 bits, as 16 hexadecimal digits.
pub fn digest(text: &str) -> String {
    format!("{:016x}", crate::digest::fnv1a(text.as_bytes()))
}

impl Identity {
    /// The identity as the JSON object written under [`KEY`].
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "grid": self.grid,
            "faultline": self.faultline,
            "shard": self.shard.to_string(),
            "runs": self.runs,
        })
    }

    /// Reads the object [`Identity::to_json`] writes.
    pub fn from_json(value: &serde_json::Value) -> Result<Identity, String> {
        let text = |key: &str| {
            value.get(key).and_then(|v| v.as_str()).map(str::to_string).ok_or(format!("no text {key}"))
        };
        let shard = Shard::parse(&text("shard")?)?;
        let runs = value.get("runs").and_then(|v| v.as_u64()).ok_or("no number runs")?;
        Ok(Identity { grid: text("grid")?, faultline: text("faultline")?, shard, runs })
    }

    /// The identity in the JSON beside the CSV at `csv`; `None` when there is no JSON, or it holds
    /// none (a table made by hand, or by a faultline before identities).
    pub fn beside(csv: &Path) -> Result<Option<Identity>, IdentityError> {
        let json = json_path(csv);
        let shown = json.display().to_string();
        let bytes = match std::fs::read(&json) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(IdentityError::Format { path: shown, why: e.to_string() }),
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| IdentityError::Format { path: shown.clone(), why: e.to_string() })?;
        match value.get(KEY) {
            None => Ok(None),
            Some(sweep) => {
                Identity::from_json(sweep).map(Some).map_err(|why| IdentityError::Format { path: shown, why })
            }
        }
    }
}

/// The identity of `parts` (CSV path and identity) merged: the whole sweep's, as an unsharded
/// run writes it. `None` when no part has one (tables made by hand: the merge then checks their
/// rows only). Refuses parts of different grids, versions or splits, a shard given twice, a set
/// with shards missing (named by index), and a set in which only some parts have an identity.
pub fn merged(parts: &[(String, Option<Identity>)]) -> Result<Option<Identity>, IdentityError> {
    let Some((first, id)) = parts.iter().find_map(|(p, id)| id.as_ref().map(|id| (p, id))) else {
        return Ok(None);
    };
    let mut seen: std::collections::HashMap<u64, &String> = std::collections::HashMap::new();
    for (path, other) in parts {
        let Some(other) = other else {
            return Err(IdentityError::Unmarked {
                path: path.clone(),
                json: json_path(Path::new(path)).display().to_string(),
                marked: first.clone(),
            });
        };
        if other.grid != id.grid {
            return Err(IdentityError::OtherGrid {
                path: path.clone(),
                digest: other.grid.clone(),
                first: first.clone(),
                first_digest: id.grid.clone(),
            });
        }
        if other.faultline != id.faultline {
            return Err(IdentityError::OtherVersion {
                path: path.clone(),
                version: other.faultline.clone(),
                first: first.clone(),
                first_version: id.faultline.clone(),
            });
        }
        if other.shard.count != id.shard.count {
            return Err(IdentityError::OtherSplit {
                path: path.clone(),
                shard: other.shard,
                first: first.clone(),
                first_shard: id.shard,
            });
        }
        if let Some(earlier) = seen.insert(other.shard.index, path) {
            return Err(IdentityError::Repeated {
                path: path.clone(),
                first: earlier.clone(),
                shard: other.shard,
            });
        }
    }
    let count = id.shard.count;
    let missing = count - seen.len() as u64;
    if missing > 0 {
        // The first few by index: a split into thousands of shards must not list them all.
        let shown: Vec<String> = (0..count)
            .filter(|i| !seen.contains_key(i))
            .take(SHOWN)
            .map(|index| Shard { index, count }.to_string())
            .collect();
        return Err(IdentityError::Missing(listed(&shown, missing)));
    }
    Ok(Some(Identity {
        grid: id.grid.clone(),
        faultline: id.faultline.clone(),
        shard: Shard::ALL,
        runs: parts.iter().filter_map(|(_, id)| id.as_ref()).map(|id| id.runs).sum(),
    }))
}

/// Most missing shards a refusal names.
const SHOWN: usize = 10;

/// `shard 3/8`, `shards 3/8 and 7/8`, `shards 1/8, 2/8 and 7/8`: the `shown` shards of `total`
/// missing, and how many more there are.
fn listed(shown: &[String], total: u64) -> String {
    let more = total.saturating_sub(shown.len() as u64);
    match shown {
        [one] if more == 0 => format!("shard {one}"),
        _ if more > 0 => format!("shards {} and {more} more", shown.join(", ")),
        [init @ .., last] => format!("shards {} and {last}", init.join(", ")),
        [] => "no shards".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(k: u64, n: u64) -> Option<Identity> {
        Some(Identity {
            grid: digest("g"),
            faultline: VERSION.into(),
            shard: Shard { index: k - 1, count: n },
            runs: 3,
        })
    }

    fn parts(ids: Vec<Option<Identity>>) -> Vec<(String, Option<Identity>)> {
        ids.into_iter().enumerate().map(|(i, id)| (format!("f-{i}.csv"), id)).collect()
    }

    #[test]
    fn a_digest_is_sixteen_hex_digits() {
        assert_eq!(digest(""), "cbf29ce484222325");
        assert_eq!(digest("a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn shards_of_one_sweep_merge_into_the_whole_sweep_s_identity() {
        let whole = merged(&parts(vec![id(2, 3), id(1, 3), id(3, 3)])).unwrap().unwrap();
        assert_eq!(whole.shard, Shard::ALL);
        assert_eq!(whole.runs, 9);
        assert_eq!(Identity::from_json(&whole.to_json()), Ok(whole));
        assert_eq!(merged(&parts(vec![None, None])), Ok(None));
    }

    #[test]
    fn strangers_repeats_and_gaps_are_named() {
        let said = |ids| merged(&parts(ids)).unwrap_err().to_string();
        assert_eq!(
            said(vec![id(1, 8), id(2, 8), id(4, 8), id(5, 8), id(6, 8), id(8, 8)]),
            "missing shards 3/8 and 7/8: merge all of them"
        );
        assert_eq!(said(vec![id(2, 2)]), "missing shard 1/2: merge all of them");
        assert_eq!(said(vec![id(1, 2), id(1, 2)]), "f-0.csv and f-1.csv are both shard 1/2");
        assert!(said(vec![id(1, 2), id(1, 4)]).contains("f-1.csv is shard 1/4, f-0.csv is shard 1/2"));
        let mut other = id(2, 2);
        other.as_mut().unwrap().grid = digest("h");
        assert!(said(vec![id(1, 2), other]).starts_with("f-1.csv is a shard of another grid (digest "));
        let mut old = id(2, 2);
        old.as_mut().unwrap().faultline = "0.0.1".into();
        assert!(said(vec![id(1, 2), old]).starts_with("f-1.csv was written by faultline 0.0.1, f-0.csv by "));
        assert!(said(vec![id(1, 2), None]).starts_with("f-1.csv has no sweep identity beside it (f-1.json)"));
        let two_of_twenty = said(vec![id(1, 20)]);
        assert!(two_of_twenty.starts_with("missing shards 2/20, 3/20, "), "{two_of_twenty}");
        assert!(two_of_twenty.contains("11/20 and 9 more"), "{two_of_twenty}");
    }
}
