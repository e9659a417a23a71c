//! NAT-001 (source ports randomised for VoIP traffic) and NAT-002 (a fast path that bypasses the
//! stateful path for VoIP traffic).

use crate::device::{Certainty, Device};
use crate::finding::{Concern, Finding, Severity};

use super::{Context, describe, meets};

pub(super) fn check(context: &Context, device: &Device, findings: &mut Vec<Finding>) {
    if let Some(wanted) = context.policy.nat.source_nat.as_ref()
        && wanted.port_preservation
    {
        for nat in device
            .source_nat
            .iter()
            .filter(|n| n.port_preservation == Some(false))
        {
            let hit = meets(&context.voip_ports, nat.protocol, &nat.ports);
            if hit.is_empty() {
                continue;
            }
            findings.push(
                Finding::new(
                    "NAT-001",
                    Severity::High,
                    "Source NAT randomises the ports of VoIP traffic",
                    format!(
                        "This source NAT picks new source ports for {}.",
                        describe(&hit)
                    ),
                    &nat.evidence,
                )
                .rationale(
                    "A phone's SIP and RTP ports must keep their public mapping (RFC 4787 REQ-1, \
                     \"consistent NAT\"); random source ports give each destination its own \
                     mapping, which breaks registration refreshes and media through providers \
                     that latch on the signalled port.",
                )
                .origins(&wanted.origins)
                .concern(Concern::SourceNat),
            );
        }
    }
    // Offload that is on only because the vendor defaults to it is worth a finding when the
    // provider asks for it off; otherwise it is the normal state of the device.
    let asked_off = context.policy.has_note("disable-hardware-offload");
    for offload in &device.offload {
        if !asked_off && offload.evidence.certainty != Certainty::Explicit {
            continue;
        }
        let hit = meets(&context.voip_ports, offload.protocol, &offload.ports);
        if hit.is_empty() {
            continue;
        }
        findings.push(
            Finding::new(
                "NAT-002",
                Severity::Medium,
                "Fast-path offload applies to VoIP traffic",
                format!("{} applies to {}.", offload.mechanism, describe(&hit)),
                &offload.evidence,
            )
            .rationale(
                "Offloaded sessions skip the firewall's session table updates: vendors document \
                 one-way audio and RTP that stops after the session timer, because the offloaded \
                 flow's idle timer is not refreshed by the media. Exclude SIP and RTP from the \
                 fast path.",
            ),
        );
    }
}
