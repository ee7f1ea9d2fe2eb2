//! The real servers of `faultline::service`: started, faulted, talked to and cleaned up. Every
//! test that needs a server starts its own on free ports; when a binary is missing the test says
//! it skipped and passes, unless `FAULTLINE_REQUIRE_SERVERS=1` makes that a failure (as in CI).

mod cleanup;
mod etcd;
mod lock;
mod redis;

use std::path::Path;

/// True when process `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// True when nothing is at `path`.
pub fn gone(path: &Path) -> bool {
    !path.exists()
}
