//! Runs one README line with bash, in a scratch directory, with the built binary first on PATH
//! and a time limit.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Long enough for every line the README shows (the slowest takes seconds); it only keeps a
/// hung line from hanging the test.
pub const TIME_LIMIT: Duration = Duration::from_secs(90);

pub struct Ran {
    /// The exit code; `None` if the line ran out of time (or died of a signal).
    pub exit: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

/// The directory of the `faultline` this test was built with.
pub fn binary_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_faultline")).parent().expect("the binary has a directory").to_path_buf()
}

/// PATH with the built binary's directory first, so `faultline` is the one under test.
fn search_path() -> String {
    let rest = std::env::var("PATH").unwrap_or_default();
    format!("{}:{rest}", binary_dir().display())
}

/// Whether bash finds `program` on the PATH the lines run with.
pub fn installed(program: &str) -> bool {
    Command::new("bash")
        .args(["-c", "command -v \"$1\" >/dev/null", "bash", program])
        .env("PATH", search_path())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn run(line: &str, dir: &Path, limit: Duration) -> Ran {
    let mut child = Command::new("bash")
        .args(["-c", line])
        .current_dir(dir)
        .env("PATH", search_path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a line that runs out of time is stopped with its children.
        .process_group(0)
        .spawn()
        .expect("bash runs");
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let (exit, timed_out) = wait(&mut child, limit);
    Ran {
        exit,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        timed_out,
    }
}

/// Reads a pipe to its end on a thread of its own, so a chatty line never blocks on a full pipe.
fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn wait(child: &mut Child, limit: Duration) -> (Option<i32>, bool) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for bash") {
            return (status.code(), false);
        }
        if Instant::now() >= deadline {
            // bash's own `kill`, which signals a whole group; bash is here, a `kill` binary may not be.
            let group = format!("-{}", child.id());
            let _ = Command::new("bash").args(["-c", "kill -KILL -- \"$1\"", "bash", &group]).status();
            let _ = child.kill();
            let _ = child.wait();
            return (None, true);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The repository's directories the README's lines read (grid files, the GC logs of
/// `faultline pauses`), copied into every scratch directory.
const COPIED: [&str; 2] = ["results/grids", "tests/data/gc"];

/// A fresh directory under the system's temporary one, with the [`COPIED`] directories copied
/// in, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let k = MADE.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("faultline-readme-{}-{k}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for copied in COPIED {
            let target = dir.join(copied);
            std::fs::create_dir_all(&target).expect("scratch directory");
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(copied);
            for entry in std::fs::read_dir(&source).expect(copied) {
                let path = entry.expect("a directory entry").path();
                std::fs::copy(&path, target.join(path.file_name().expect("a file name")))
                    .expect("copy a file");
            }
        }
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
