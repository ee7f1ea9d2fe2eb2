//! Every invocation `faultline smr` accepts ends, and everything larger is refused before it
//! starts: the largest inputs each limit lets through run to a stated ending, one step past a limit
//! gets one line and exit 2. Each child has a wall-clock bound, used only to detect a hang: the
//! accepted cases are the largest in memory and output, kept small in time, so they take seconds.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Far beyond what any case here needs: reaching it means the child hangs.
const HANG: Duration = Duration::from_secs(120);

/// What a child did: its exit status, how much it printed and how its stdout ends.
struct Ran {
    status: ExitStatus,
    stdout_bytes: usize,
    stdout_tail: String,
    stderr: String,
}

/// Runs `faultline smr args`, reading its output as it comes (a full pipe would stall it and look
/// like a hang), and kills it and fails if it outlives [`HANG`].
fn run_bounded(args: &[&str]) -> Ran {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("smr")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    // Only the size and the end of stdout are kept: the largest worlds print tens of megabytes.
    let out = thread::spawn(move || {
        let (mut bytes, mut tail, mut buf) = (0, Vec::new(), vec![0u8; 1 << 16]);
        loop {
            match stdout.read(&mut buf).expect("stdout reads") {
                0 => return (bytes, tail),
                k => {
                    bytes += k;
                    tail.extend_from_slice(&buf[..k]);
                    let excess = tail.len().saturating_sub(4096);
                    tail.drain(..excess);
                }
            }
        }
    });
    let err = thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).expect("stderr is UTF-8");
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("smr {args:?} still running after {HANG:?}: it hangs");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let (stdout_bytes, tail) = out.join().expect("the stdout reader ends");
    let stdout_tail = String::from_utf8_lossy(&tail).into_owned();
    Ran { status, stdout_bytes, stdout_tail, stderr: err.join().expect("the stderr reader ends") }
}

/// Exit 0, nothing on stderr, and stdout ending with `ending`.
fn ends_with(args: &[&str], ending: &str) -> Ran {
    let ran = run_bounded(args);
    assert_eq!(ran.status.code(), Some(0), "smr {args:?}: {}", ran.stderr);
    assert!(ran.stderr.is_empty(), "smr {args:?} wrote to stderr: {}", ran.stderr);
    assert!(ran.stdout_tail.ends_with(ending), "smr {args:?} ends with\n{}", ran.stdout_tail);
    ran
}

/// Exit 2, nothing on stdout, one line on stderr that contains `why`.
fn refused(args: &[&str], why: &str) {
    let ran = run_bounded(args);
    assert_eq!(ran.status.code(), Some(2), "smr {args:?}: {}", ran.stderr);
    assert_eq!(ran.stdout_bytes, 0, "smr {args:?} wrote to stdout");
    assert_eq!(ran.stderr.lines().count(), 1, "smr {args:?}: {}", ran.stderr);
    assert!(
        ran.stderr.starts_with("faultline: ") && ran.stderr.contains(why),
        "smr {args:?}: {}",
        ran.stderr
    );
}

const HORN_DISAGREES: &str = "each side answers as it did alone)\n";
const STRESS_LEGEND: &str = "told a command nobody wrote (Validity violated)\n";

#[test]
fn what_used_to_run_for_hours_or_gigabytes_is_refused_at_once() {
    refused(&["--stress", "--runs", "1000000000000"], "'1000000000000' is out of range");
    refused(
        &["--servers", "32", "--faults", "16", "--rounds", "10000", "--protocol", "primary-backup", "--json"],
        "can carry 11560000 messages",
    );
    refused(&["--stress", "--runs", "10000000"], "the sweep would simulate");
    refused(
        &["--stress", "--servers", "32", "--faults", "31", "--rounds", "10000", "--runs", "10000000"],
        "the sweep would simulate",
    );
    refused(&["--servers", "32", "--faults", "16", "--tau", "2000"], "more than the 10000 allowed");
}

#[test]
fn one_step_past_each_limit_is_refused() {
    // The largest world has 432 rounds at n = 32.
    refused(&["--servers", "32", "--faults", "16", "--rounds", "433", "--driver", "threads"], "can carry");
    // The slowest sweep per message slot (two servers, one round a run) at 32 rows is just over.
    let taus: Vec<String> = (1..=32).map(|t| t.to_string()).collect();
    let taus = taus.join(",");
    let slowest = [
        "--stress",
        "--servers",
        "2",
        "--rounds",
        "1",
        "--runs",
        "10000000",
        "--protocol",
        "primary-backup",
        "--q",
        "0.5",
        "--tau",
        &taus,
    ];
    refused(&slowest, "the sweep would simulate 10240000000 message slots");
    let qs = vec!["0.5"; 1001].join(",");
    refused(&["--stress", "--protocol", "majority", "--runs", "1", "--q", &qs], "has 1001 rows");
    refused(&["--stress", "--runs", "10000001"], "out of range");
    refused(&["--servers", "33", "--faults", "17"], "at most 32");
}

#[test]
fn the_largest_worlds_accepted_end_well_under_a_gigabyte() {
    let pb = ["--protocol", "primary-backup", "--json"];
    let widest = ["--servers", "32", "--faults", "16", "--rounds", "432"];
    let json = ends_with(&[&widest[..], &pb].concat(), "}\n");
    // Every message of three worlds, but a bounded amount of them.
    assert!((1_000_000..200_000_000).contains(&json.stdout_bytes), "{} bytes", json.stdout_bytes);
    ends_with(
        &[&widest[..], &["--protocol", "primary-backup", "--driver", "threads"]].concat(),
        HORN_DISAGREES,
    );
    ends_with(
        &["--servers", "8", "--faults", "4", "--rounds", "5000", "--protocol", "primary-backup"],
        HORN_DISAGREES,
    );
    ends_with(
        &["--servers", "2", "--rounds", "10000", "--protocol", "primary-backup", "--driver", "threads"],
        HORN_DISAGREES,
    );
    ends_with(
        &[
            "--servers",
            "32",
            "--faults",
            "31",
            "--model",
            "crash",
            "--protocol",
            "primary-backup",
            "--driver",
            "threads",
        ],
        "which crash faults cannot produce\n",
    );
}

#[test]
fn the_most_extreme_sweeps_accepted_end() {
    // The longest runs on the most servers: what one run of a sweep can take.
    let longest = [
        "--stress",
        "--servers",
        "32",
        "--faults",
        "31",
        "--rounds",
        "10000",
        "--runs",
        "1",
        "--tau",
        "2000",
    ];
    ends_with(&[&longest[..], &["--q", "0.5"]].concat(), STRESS_LEGEND);
    ends_with(&[&longest[..], &["--model", "crash"]].concat(), STRESS_LEGEND);
    // The most rows.
    let qs = vec!["0.5"; 1000].join(",");
    ends_with(&["--stress", "--protocol", "majority", "--runs", "1", "--q", &qs, "--json"], "]\n");
}
