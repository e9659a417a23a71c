//! ABU-001: the profile asks for a per-source limit on an inbound port the device forwards, and
//! nothing on the device limits it. Where the vendor cannot express such a limit at all, this is
//! a note (implement it at the PBX), not a finding.

use sipwall_firewall::Support;

use crate::device::Device;
use crate::finding::{Concern, Finding, Severity};

use super::Context;

/// The capability-matrix row for brute-force limits.
const BRUTE_FORCE_CONCERN: &str = "brute-force ban after failed SIP authentications";

pub(super) fn check(
    context: &Context,
    device: &Device,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<String>,
) {
    for limit in &context.policy.brute_force {
        let exposed: Vec<_> = device
            .forwards
            .iter()
            // A forward limited to the provider's addresses is not open to brute force.
            .filter(|f| f.source.is_empty())
            .filter(|f| f.protocol.is_none_or(|p| p == limit.protocol))
            .filter(|f| f.inside_ports().intersect(&limit.ports).is_some())
            .collect();
        let Some(forward) = exposed.first() else {
            continue; // nothing reaches the port from outside
        };
        let limited = device.brute_force.iter().any(|b| {
            b.protocol.is_none_or(|p| p == limit.protocol)
                && b.ports.intersect(&limit.ports).is_some()
        });
        if limited {
            continue;
        }
        let native = device.vendor.is_some_and(|vendor| {
            vendor
                .capabilities()
                .iter()
                .any(|c| c.concern == BRUTE_FORCE_CONCERN && c.support != Support::None)
        });
        if !native {
            notes.push(format!(
                "ABU-001: {}/{} is reachable from outside and the profile asks to ban sources \
                 after repeated failed authentications; this firewall cannot express that, so \
                 keep the PBX's own ban (fail2ban, or `sipwall guard` when it lands) on.",
                limit.protocol, limit.ports
            ));
            continue;
        }
        findings.push(
            Finding::new(
                "ABU-001",
                Severity::Medium,
                "No brute-force limit on forwarded SIP",
                format!(
                    "{}/{} is forwarded from the WAN and no rule limits new sessions per source.",
                    limit.protocol, limit.ports
                ),
                &forward.evidence,
            )
            .rationale(
                "Password guessing against SIP accounts is the usual path to toll fraud; a \
                 per-source limit on new sessions slows scanners down before the PBX sees them.",
            )
            .origins(&limit.origins)
            .concern(Concern::BruteForce),
        );
    }
}
