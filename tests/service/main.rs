//! The real servers of `faultline::service`: started, faulted, talked to and cleaned up. Every
//! test that needs a server starts its own on free ports; when a binary is missing the test says
//! it skipped and passes, unless `FAULTLINE_REQUIRE_SERVERS=1` makes that a failure (as in CI).
//! They take turns ([`serial`]).

mod cleanup;
mod etcd;
mod lock;
mod redis;

use std::path::Path;

/// Held by every test here that starts servers or runs a lock on them: one at a time. Their
/// clients keep real time, and a second test's servers and threads on a 2-core machine would
/// take the cores that timing depends on.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

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
