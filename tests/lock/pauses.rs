//! Pauses from a user's own logs (`faultline pauses`, `--pause file:PATH`): every fixture of
//! `tests/data/gc/` reads to the count, total and maximum established without faultline, and bad
//! input is one line and exit 2.
//!
//! The figures were established with grep and awk over each log, not with faultline's parser:
//! each test's comment gives the pipeline, run from `tests/data/gc/` with
//! `sum() { awk '{n++; s+=$1; if ($1>m) m=$1} END {printf "count %d total %.6f max %.6f\n", n, s, m}'; }`.
//! The logs were made by `make-logs.sh` (JDK 17.0.15, Go 1.19.8, Node 20.20.2) except the
//! hand-written ones for what this machine cannot produce (HotSpot 8, a decimal-comma locale,
//! JDK 9-16 safepoint lines, Go 1.5 and 1.10, a cut line).

use faultline::fault::gclog::{self, Format};
use std::process::{Command, Output};

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("the binary runs")
}

fn data(name: &str) -> String {
    format!("tests/data/gc/{name}")
}

/// `faultline pauses PATH --json`, which must succeed.
fn pauses_json(path: &str) -> serde_json::Value {
    let out = faultline(&["pauses", path, "--json"]);
    assert!(out.status.success(), "{path}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

/// One fixture and what an independent reading of it found.
struct Fixture {
    file: &'static str,
    format: &'static str,
    count: u64,
    sum_ns: u64,
    max_ns: u64,
    unreadable: u64,
}

const fn fixture(file: &'static str, format: &'static str, count: u64, sum_ns: u64, max_ns: u64) -> Fixture {
    Fixture { file, format, count, sum_ns, max_ns, unreadable: 0 }
}

/// JVM unified logging, JDK 17 (G1 `-Xlog:gc`, `-Xlog:gc*` with its `gc,start` announcements,
/// decorated `time,uptime,level,tags`, Serial, Shenandoah, ZGC's `gc+phases`), the hand-written
/// decimal-comma log and a G1 log whose last line is cut. Established by
///
/// `grep -E '\]\[(gc|gc,phases) *\] GC\([0-9]+\) Pause' F | grep -oE ' [0-9.]+ms$' | tr -d ' ms' | sum`
///
/// (tagged `gc` or `gc,phases` only, so a `gc,start` line never counts; a duration must end the
/// line, so the cut line does not either: it is the one unreadable line, and the decimal-comma
/// log takes `[0-9,]` and `tr , .`).
const UNIFIED: [Fixture; 8] = [
    fixture("jvm17-g1-gc.log", "jvm-unified", 50, 58_791_000, 3_511_000),
    fixture("jvm17-g1-gcstar.log", "jvm-unified", 38, 52_413_000, 3_785_000),
    fixture("jvm17-g1-decorated.log", "jvm-unified", 13, 26_070_000, 3_157_000),
    fixture("jvm17-serial.log", "jvm-unified", 56, 60_136_000, 7_209_000),
    fixture("jvm17-shenandoah.log", "jvm-unified", 44, 1_076_000, 126_000),
    fixture("jvm17-zgc.log", "jvm-unified", 15, 95_000, 18_000),
    fixture("jvm-decimal-comma.log", "jvm-unified", 6, 130_310_000, 120_500_000),
    Fixture { unreadable: 1, ..fixture("jvm-g1-cut.log", "jvm-unified", 19, 31_206_000, 3_511_000) },
];

/// Safepoints: JDK 17 `-Xlog:safepoint` (`grep -oE 'Total: [0-9]+ ns$' F | awk '{print $2}' | sum`)
/// and the hand-written JDK 9-16 / JDK 8 lines
/// (`grep -oE 'stopped: [0-9.,]+ seconds' F | awk '{print $2}' | tr , . | sum`).
const SAFEPOINT: [Fixture; 2] = [
    fixture("jvm17-g1-safepoint.log", "jvm-safepoint", 50, 61_579_823, 3_549_383),
    fixture("jvm11-safepoint.log", "jvm-safepoint", 4, 60_405_500, 45_200_000),
];

/// HotSpot 8 (hand-written: G1 `-verbose:gc` and `PrintGCDetails` with remark, cleanup, mixed
/// and Full GC; ParNew, CMS initial mark and remark, CMS Full GC, Parallel). Established by
/// `grep -E '^[-0-9T:.+ ]*\[(GC|Full GC)' F | grep -v 'GC concurrent' | sed 's/ \[Times.*//' |
/// grep -oE '[0-9.]+ secs\]$' | awk '{print $1}' | sum`: the last `secs]` before `[Times`.
const LEGACY: [Fixture; 2] = [
    fixture("hotspot8-g1.log", "hotspot-legacy", 7, 479_850_300, 412_345_600),
    fixture("hotspot8-cms.log", "hotspot-legacy", 6, 182_168_700, 151_234_500),
];

/// Go gctrace (Go 1.19 from `make-logs.sh`; Go 1.5's five phases and Go 1.10's three, by hand),
/// two pauses per collection: `grep -E '^gc #?[0-9]+ @' F | sed -E 's/.*%: ([^ ]+) ms clock.*/\1/'
/// | awk -F+ '{print $1; print $NF}' | sum`. Node `--trace-gc` (Node 20):
/// `grep -E '^\[[0-9]+:0x[0-9a-f]+\] +[0-9]+ ms: ' F | grep -oE 'MB, [0-9.]+ / ' | awk '{print $2}' | sum`.
/// Durations by hand (12ms, 250us, 1.5s, 3 and 0.75 and 2.5 as milliseconds, 40ms).
const OTHERS: [Fixture; 5] = [
    fixture("go-gctrace.log", "go-gctrace", 464, 9_124_000, 130_000),
    fixture("go-gctrace-go15.log", "go-gctrace", 6, 4_868_000, 2_750_000),
    fixture("go-gctrace-go110.log", "go-gctrace", 8, 1_912_000, 1_250_000),
    fixture("node-trace-gc.log", "node-trace-gc", 270, 57_010_000, 1_710_000),
    fixture("durations.txt", "durations", 7, 1_558_500_000, 1_500_000_000),
];

#[test]
fn every_fixture_reads_to_its_independent_figures() {
    for f in UNIFIED.iter().chain(&SAFEPOINT).chain(&LEGACY).chain(&OTHERS) {
        let v = pauses_json(&data(f.file));
        let got = (v["format"].as_str(), v["count"].as_u64(), v["sum_ns"].as_u64(), v["max_ns"].as_u64());
        assert_eq!(got, (Some(f.format), Some(f.count), Some(f.sum_ns), Some(f.max_ns)), "{}", f.file);
        assert_eq!(v["unreadable"].as_u64(), Some(f.unreadable), "{}", f.file);
    }
}

/// The cross-check of one JVM log against the JVM's own figures, all from one run of
/// `make-logs.sh` (G1, `-Xlog:gc` and `-Xlog:safepoint` into two files, and the collector's
/// management bean, which `Alloc.java` prints at exit into `jvm17-g1-gc.summary.txt`):
/// - the gc log and the safepoint log hold the same number of stops (50), and each GC pause
///   lies within the stop of its safepoint (the i-th pause is at most the i-th safepoint's
///   total: a GC pause is the work done at a safepoint, which also counts reaching it);
/// - the bean's young-collection count (44) is the number of `Pause Young` lines, and its
///   accumulated time (57 ms, whole milliseconds) is within 5% of their sum (58.127 ms); the
///   other 6 pauses are G1's remark and cleanup, which JDK 17's young-generation bean does not
///   count.
#[test]
fn a_g1_log_agrees_with_the_jvms_own_figures() {
    let gc = gclog::read(&data("jvm17-g1-gc.log")).unwrap();
    let safepoints = gclog::read(&data("jvm17-g1-safepoint.log")).unwrap();
    assert_eq!((gc.format, safepoints.format), (Format::JvmUnified, Format::JvmSafepoint));
    assert_eq!(gc.pauses.len(), safepoints.pauses.len());
    for (i, (pause, stop)) in gc.pauses.iter().zip(&safepoints.pauses).enumerate() {
        assert!(pause <= stop, "pause {i}: {pause} ns in a stop of {stop} ns");
    }
    let text = std::fs::read_to_string(data("jvm17-g1-gc.log")).unwrap();
    let young: String =
        text.lines().filter(|l| l.contains(" Pause Young ")).map(|l| format!("{l}\n")).collect();
    let young = gclog::parse(&young).unwrap().pauses;
    let summary = std::fs::read_to_string(data("jvm17-g1-gc.summary.txt")).unwrap();
    let bean = summary.lines().find(|l| l.starts_with("bean G1 Young Generation:")).expect("the young bean");
    // `bean G1 Young Generation: count 44, time 57 ms`
    let words: Vec<&str> = bean.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let count: usize = words[words.iter().position(|w| *w == "count").unwrap() + 1].parse().unwrap();
    let ms: f64 = words[words.iter().position(|w| *w == "time").unwrap() + 1].parse().unwrap();
    assert_eq!(young.len(), count);
    let sum_ms = young.iter().sum::<u64>() as f64 / 1e6;
    assert!(
        (sum_ms - ms).abs() <= 0.05 * ms,
        "the log's young pauses sum to {sum_ms} ms, the bean says {ms} ms"
    );
}

#[test]
fn the_table_says_what_it_read() {
    let out = faultline(&["pauses", &data("jvm-g1-cut.log")]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "format       jvm-unified: JVM unified logging (-Xlog:gc, -Xlog:gc*)",
        "count        19",
        "unreadable   1 lines (the first is line 22)",
        "max          3.511ms",
        "tail fit     none: only 19 pauses: a tail fit needs at least 40",
        "floor        a rate below 1/19 = 5.263e-2 per stall is beyond what these pauses support (--pause file:tests/data/gc/jvm-g1-cut.log)",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    let v = pauses_json(&data("jvm17-serial.log"));
    let tail = &v["tail"];
    let (alpha, ci) = (tail["alpha"].as_f64().unwrap(), tail["alpha_ci95"].as_array().unwrap());
    assert!(ci[0].as_f64().unwrap() < alpha && alpha < ci[1].as_f64().unwrap(), "{v}");
    assert!(tail["k"].as_u64().unwrap() >= 10 && tail["threshold_ns"].as_u64().unwrap() > 0, "{v}");
    assert!(v["no_tail"].is_null() && (v["supported_floor"].as_f64().unwrap() - 1.0 / 56.0).abs() < 1e-12);
}

/// Bad input: one line on stderr, exit 2, nothing on stdout.
#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("faultline-pauses-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.to_string_lossy().into_owned();
    let dir_text = dir.to_string_lossy().into_owned();
    for (args, needle) in [
        (vec!["pauses", &empty], ": it is empty"),
        (vec!["pauses", "tests/data/gc/Alloc.java"], "no pause in its"),
        (
            vec!["pauses", "tests/data/gc/no-such.log"],
            "cannot read 'tests/data/gc/no-such.log': No such file",
        ),
        (vec!["pauses", &dir_text, "--json"], "is a directory, not a log file"),
        (vec!["pauses"], "required"),
        (vec!["lock", "--pause", "file:tests/data/gc/no-such.log"], "invalid value for --pause: cannot read"),
        (vec!["lock", "--pause", "file+tail:tests/data/gc/jvm17-zgc.log"], "cannot fit a tail"),
    ] {
        let out = faultline(&args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("faultline: ") && err.contains(needle), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without a tail, a rate below `1/n` is labelled beyond what the data supports: the G1 log's
/// largest pause (3.5 ms) never outlives a 5 ms lease with 1 ms of work, so the overlap rate 0 is
/// below the floor `1/50`; with the fitted tail there is no floor, and overlaps happen.
#[test]
fn a_rate_below_the_data_is_labelled() {
    let table = |pause: &str| {
        let out = faultline(&["lock", "--pause", pause, "--lease", "5ms", "--acquisitions", "5000"]);
        String::from_utf8(out.stdout).unwrap()
    };
    let plain = table("file:tests/data/gc/jvm17-g1-gc.log");
    let floor = plain.lines().find(|l| l.starts_with("pause data")).expect(&plain);
    assert!(floor.contains("a rate below 2.000e-2 per stall is beyond what the pauses support"), "{floor}");
    assert!(floor.contains("the overlap rate 0.000e0 is below it"), "{floor}");
    let tailed = table("file+tail:tests/data/gc/jvm17-g1-gc.log");
    assert!(!tailed.contains("pause data") && tailed.contains("SAFETY VIOLATED"), "{tailed}");
}

/// A lock run stalls its clients for the log's pauses, and its configuration prints the flag.
#[test]
fn a_lock_run_draws_from_a_log() {
    for pause in ["file:tests/data/gc/jvm17-serial.log", "file+tail:tests/data/gc/jvm17-serial.log"] {
        let out =
            faultline(&["lock", "--pause", pause, "--lease", "2ms", "--acquisitions", "2000", "--json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["config"]["pause"], pause);
        // The Serial log has pauses up to 7.2 ms: a 2 ms lease is outlived.
        assert!(v["overlaps"].as_u64().unwrap() > 0, "{v}");
    }
}
