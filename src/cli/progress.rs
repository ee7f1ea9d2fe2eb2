//! Progress for long runs: a bar with an ETA on a terminal, nothing at all anywhere else.
//!
//! The bar lives on stderr, so stdout (the report, the JSON) is the same bytes whether or not a
//! bar was shown, and a pipe, a file or a test never sees a control character. Two counters feed
//! it: [`Acquisitions`] for a lock run, [`Slots`] for a replication stress sweep.

use crate::engine::{FaultEvent, Observer};
use crate::flags::smr::PROGRESS_AFTER;
use crate::lock::msg::LockEvent;
use crate::node::NodeId;
use crate::smr::config::{SweepProgress, SweepRow};
use crate::time::Nanos;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// Runs shorter than this many steps finish before a bar would be worth drawing.
const WORTH_A_BAR: u64 = 100_000;

/// A bar of `len` steps counting `unit`, or a hidden one when stderr is not a terminal or the run
/// is short.
pub fn bar(len: u64, unit: &str) -> ProgressBar {
    if len < WORTH_A_BAR || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template =
        format!("{{elapsed_precise}} [{{wide_bar}}] {{human_pos}}/{{human_len}} {unit} (ETA {{eta}})");
    let style = ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(len).with_style(style)
}

/// Moves a bar on every acquisition of a lock run, in batches so the hot path stays cheap.
#[derive(Debug)]
pub struct Acquisitions {
    bar: ProgressBar,
    unreported: u64,
}

impl Acquisitions {
    /// Reports to `bar`.
    pub fn new(bar: ProgressBar) -> Self {
        Acquisitions { bar, unreported: 0 }
    }
}

impl Observer<LockEvent> for Acquisitions {
    fn observe(&mut self, _: Nanos, _: NodeId, event: &LockEvent) {
        if let LockEvent::Entered { .. } = event {
            self.unreported += 1;
            if self.unreported == 1024 {
                self.bar.inc(std::mem::take(&mut self.unreported));
            }
        }
    }
    fn fault(&mut self, _: Nanos, _: NodeId, _: FaultEvent) {}
    fn finished(&self) -> bool {
        false
    }
}

impl Drop for Acquisitions {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// A replication stress sweep's bar, counted in message slots so that the ETA weighs long rows as
/// they are. It exists only when stderr is a terminal and it is wanted (no `--quiet`), and is
/// drawn only once the sweep has run for [`PROGRESS_AFTER`]: a shorter one would only flicker.
pub struct Slots {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: bool,
}

impl Slots {
    /// A bar of `slots` message slots, if `wanted` and stderr is a terminal.
    pub fn new(slots: u64, wanted: bool) -> Slots {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(slots), ProgressDrawTarget::hidden());
            bar.set_style(slots_style());
            bar
        });
        Slots { bar, started: Instant::now(), shown: false }
    }

    /// Leaves the terminal as it was: the bar is gone once the table is printed.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

impl SweepProgress for Slots {
    fn row(&mut self, i: usize, rows: usize, row: &SweepRow) {
        if let Some(bar) = &self.bar {
            let tau = row.tau.map_or(String::new(), |t| format!(" tau={t}"));
            let q = row.q.map_or(String::new(), |q| format!(" q={q}"));
            bar.set_message(format!("row {}/{rows} {}{tau}{q}", i + 1, row.protocol.name()));
        }
    }

    fn run(&mut self, slots: u64) {
        let Some(bar) = &self.bar else { return };
        bar.inc(slots);
        if !self.shown && self.started.elapsed() >= PROGRESS_AFTER {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }
}

fn slots_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{elapsed_precise}] [{wide_bar}] {percent}% ETA {eta}")
        .expect("the template is valid")
        .progress_chars("=> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_bar_off_a_terminal() {
        // Off a terminal (as under the test harness, or with --quiet) there is no bar at all.
        assert!(Slots::new(100, false).bar.is_none());
        slots_style();
    }
}
