//! ALG-001 (a SIP ALG active on the profile's SIP ports) and ALG-002 (active, but hooking other
//! ports than the profile's).

use crate::device::Device;
use crate::finding::{Concern, Finding, Severity};

use super::{Context, describe, meets, standard_sip_ports};

pub(super) fn check(context: &Context, device: &Device, findings: &mut Vec<Finding>) {
    let Some(wanted) = context.policy.algs.iter().find(|a| !a.enabled) else {
        return; // the profile does not ask for the ALG off
    };
    for state in device.sip_alg.iter().filter(|s| s.enabled) {
        let scope = if state.scope.is_empty() {
            standard_sip_ports()
        } else {
            state.scope.clone()
        };
        let hooked: Vec<_> = scope
            .iter()
            .flat_map(|(protocol, ports)| meets(&context.sip_ports, Some(*protocol), ports))
            .collect();
        let finding = if hooked.is_empty() {
            Finding::new(
                "ALG-002",
                Severity::Low,
                "SIP ALG active, but not on the profile's SIP ports",
                format!(
                    "{} is on and hooks {}; the profile's SIP traffic uses {}.",
                    state.mechanism,
                    describe(&scope),
                    describe(&context.sip_ports)
                ),
                &state.evidence,
            )
            .rationale(
                "An ALG rewrites only what it hooks, so this SIP traffic passes untouched today; \
                 it starts rewriting as soon as the provider or a phone uses the hooked ports.",
            )
        } else {
            Finding::new(
                "ALG-001",
                Severity::High,
                "SIP ALG active on the signalling path",
                format!("{} is on for {}.", state.mechanism, describe(&hooked)),
                &state.evidence,
            )
            .rationale(
                "A SIP ALG rewrites Via, Contact and SDP addresses and opens media pinholes of its \
                 own; with a provider that handles NAT itself this breaks registration, one-way \
                 audio and call transfer. Every seed provider asks for it off.",
            )
        };
        findings.push(finding.origins(&wanted.origins).concern(Concern::Alg));
    }
}
