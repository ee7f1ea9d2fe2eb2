//! Consensus from a lock: agreement needs a correct critical section.

use faultline::lock::predict::compare;
use faultline::lock::scenario::consensus_cases;

#[test]
fn agreement_breaks_exactly_when_the_critical_section_does() {
    let cases = consensus_cases(10_000);
    let mut measured = Vec::new();
    for (label, cfg) in &cases {
        let c = compare(cfg).expect("covered").expect("valid");
        assert!(
            c.agrees(),
            "{label}: disagreement rate {:.5}, predicted {:.5} ± {:.5}",
            c.measured,
            c.predicted,
            c.tolerance
        );
        assert_eq!(c.trials, 10_000, "{label}: every instance must be decided");
        measured.push(c.measured);
    }
    // A correct lock agrees; a lease under stalls does not; full fencing deciding on storage's
    // verdict agrees again; the same fencing announcing by SMS does not.
    assert_eq!(measured[0], 0.0);
    assert!(measured[1] > 0.1);
    assert_eq!(measured[2], 0.0);
    assert!(measured[3] > 0.1);
}
