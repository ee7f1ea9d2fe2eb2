//! Progress for long runs: a bar with an ETA on a terminal, nothing at all anywhere else.
//!
//! The bar lives on stderr, so stdout (the report, the JSON) is the same bytes whether or not a
//! bar was shown, and a pipe, a file or a test never sees a control character.

use crate::engine::{FaultEvent, Observer};
use crate::lock::msg::LockEvent;
use crate::node::NodeId;
use crate::time::Nanos;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

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
