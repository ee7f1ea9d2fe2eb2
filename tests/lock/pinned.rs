//! The JSON of a dozen configurations across variants, workloads and faults, pinned byte for byte
//! before the lock laboratory is redesigned around a design interface (issue 9): after it, the
//! built-in variants must print the same bytes for the same seeds, or the change that moved a
//! figure must say why it is a correction.
//!
//! After a deliberate change, `FAULTLINE_BLESS=1 cargo test --test lock pinned` rewrites the files;
//! the diff then shows every figure that moved.
//!
//! What the redesign moved, and why each is a correction (every engine event count, every other
//! figure and every other configuration's bytes stayed the same):
//! - every configuration gained `servers` (1) and `faults` (none), and a partition is written as
//!   its flag's text, naming both sides (`client:1|server:*:10ms..200ms`);
//! - `lossy-links`: the oracle judges who entered, not what the service granted. With 1 ms link
//!   delays a grant still on its way is not a holder, and a holder that leaves before it arrives
//!   overlapped with nobody: overlaps 4513 → 3887, stale accesses accepted 3767 → 3195, stale
//!   SMSs 3948 → 3209, and unavailability 0.167 → 0.195 (the holder is the newest client to
//!   enter, not the service's grantee);
//! - `lock-delay`: unavailability 0.721 → 0.795. During the lock-delay that a stalled holder's
//!   expiry starts, nobody can have the lock because of that holder, and it now counts; the
//!   closed form moved with it, from `E[min(S, L)]/E[H]` to `E[min(S, L + D)]/E[H]`.
//! - issue 15: a Wilson interval's lower end at a count of 0 is exactly 0, not a rounding residue
//!   (`2.7e-20`, `3.5e-18`, `2.8e-17`).

use std::path::Path;

const PINNED: [(&str, &[&str]); 12] = [
    ("lease-default", &[]),
    (
        "non-preemptive-crash",
        &["--variant", "non-preemptive", "--crash", "3", "--clients", "3", "--horizon", "5s"],
    ),
    (
        "margin-p1-drift",
        &["--variant", "lease-margin", "--margin", "3ms", "--pause-at", "p1", "--drift", "0.2"],
    ),
    ("lock-delay", &["--variant", "lock-delay", "--clients", "4"]),
    ("fenced", &["--variant", "fenced", "--clients", "4"]),
    ("fenced-writes-pareto", &["--variant", "fenced-writes", "--pause", "pareto:1.5:2ms"]),
    ("consensus-effect", &["--workload", "consensus", "--decide-by", "effect", "--instances", "300"]),
    ("consensus-fenced-ack", &["--variant", "fenced", "--workload", "consensus", "--instances", "300"]),
    (
        "partition-renew",
        &[
            "--partition",
            "lock:10ms..200ms",
            "--work",
            "40ms",
            "--renew",
            "2ms",
            "--pause",
            "none",
            "--acquisitions",
            "100",
        ],
    ),
    (
        "lossy-links",
        &["--delay", "exp:1ms", "--drop", "0.05", "--duplicate", "0.1", "--reorder", "0.2", "--links", "all"],
    ),
    (
        "non-preemptive-delayed-lock-links",
        &["--variant", "non-preemptive", "--delay", "exp:2ms", "--links", "lock", "--pause", "none"],
    ),
    ("countdown-from-request", &["--timer-start", "request", "--clients", "16", "--acquisitions", "20000"]),
];

#[test]
fn the_pinned_configurations_print_the_pinned_bytes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lock/pinned");
    let bless = std::env::var_os("FAULTLINE_BLESS").is_some();
    let mut moved = Vec::new();
    for (name, args) in PINNED {
        let argv: Vec<&str> = ["lock"].into_iter().chain(args.iter().copied()).chain(["--json"]).collect();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline")).args(&argv).output().unwrap();
        assert!(out.status.success(), "{argv:?}: {}", String::from_utf8_lossy(&out.stderr));
        let path = dir.join(format!("{name}.json"));
        if bless {
            std::fs::write(&path, &out.stdout).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&out.stdout[..]) {
            moved.push(format!("{name} (faultline {})", argv.join(" ")));
        }
    }
    assert!(
        moved.is_empty(),
        "these no longer print their pinned JSON (tests/lock/pinned/):\n{}",
        moved.join("\n")
    );
}
