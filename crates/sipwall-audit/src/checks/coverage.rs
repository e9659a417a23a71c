//! PRS-001 (too much of the input not understood for a clean verdict) and VER-001 (keys the
//! stated version does not have).

use crate::coverage::CoverageSummary;
use crate::device::{Device, Evidence};
use crate::finding::{Finding, Severity};

/// Adds the findings; returns true when a clean verdict must be withheld.
pub(super) fn check(
    device: &Device,
    summary: &CoverageSummary,
    max_unknown_share: f64,
    findings: &mut Vec<Finding>,
) -> bool {
    for issue in &device.version_issues {
        findings.push(
            Finding::new(
                "VER-001",
                Severity::Low,
                format!("Key unknown for the stated version: {}", issue.key),
                issue.message.clone(),
                &issue.evidence,
            )
            .rationale(
                "A key the running version does not have is rejected or means something else; \
                 the setting it was meant for is probably not in effect.",
            ),
        );
    }
    let share = summary.unknown_share();
    if share <= max_unknown_share {
        return false;
    }
    findings.push(
        Finding::new(
            "PRS-001",
            Severity::Info,
            "Too much of the export was not understood for a clean verdict",
            format!(
                "{} of {} configuration lines ({:.0} %) were not recognised (limit {:.0} %).",
                summary.unknown,
                summary.total(),
                share * 100.0,
                max_unknown_share * 100.0
            ),
            &Evidence::unknown([]),
        )
        .rationale(
            "Findings cover only what was read; a setting on an unrecognised line (an ALG knob, a \
             timeout, a forward) may change the verdict. `--coverage` lists the lines.",
        ),
    );
    true
}
