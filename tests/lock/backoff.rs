//! Re-sends back off, but not without bound: a request whose copies were lost many times in a row
//! is still re-sent often enough for the run to finish (issue 15).

use faultline::engine::Ending;
use faultline::fault::Dist;
use faultline::lock::config::LinkScope;
use faultline::lock::{EngineKind, LockConfig, Variant};

/// `faultline lock --drop 0.3 --links storage --pause none`: with the wait doubling without a cap,
/// the horizon cut it short after 9,983 of 10,000 acquisitions.
#[test]
fn a_lossy_storage_link_does_not_leave_the_run_unfinished() {
    let mut cfg = LockConfig::new(Variant::LEASE, EngineKind::Sim);
    cfg.link.drop = 0.3;
    cfg.links = LinkScope::parse("storage").unwrap();
    cfg.pause = Dist::None;
    let report = faultline::lock::run(&cfg).unwrap();
    assert_eq!(report.metrics.ending, Ending::Finished, "ended at {} ns", report.metrics.end_ns);
    assert_eq!(report.metrics.acquisitions, cfg.acquisitions);
}
