//! TMO-001 (UDP idle timeout on the profile's ports below what the profile asks) and TMO-002
//! (below RFC 4787's two minutes when the profile is silent). The effective timeout of a port is
//! the last port-scoped timeout containing it, else the last global one.

use std::collections::BTreeMap;

use sipwall_firewall::model::{PortRange, Ports, Protocol, TimeoutScope};

use crate::device::{Device, UdpTimeout};
use crate::finding::{Concern, Finding, Severity};

use super::Context;

/// RFC 4787 REQ-5: a UDP mapping timer must not expire in less than two minutes.
const RFC4787_FLOOR_SECONDS: u32 = 120;

pub(super) fn check(
    context: &Context,
    device: &Device,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<String>,
) {
    if device.udp_timeouts.is_empty() {
        notes.push(
            "The export states no UDP session timeout and the parser knows no default for it; \
             `sipwall check` measures the real binding lifetime."
                .into(),
        );
        return;
    }
    if context.policy.timeouts.is_empty() {
        let voip_udp: Vec<&Ports> = context
            .voip_ports
            .iter()
            .filter(|(p, _)| *p == Protocol::Udp)
            .map(|(_, ports)| ports)
            .collect();
        for ports in voip_udp {
            for (timeout, short) in too_short(device, ports, RFC4787_FLOOR_SECONDS, 0) {
                findings.push(
                    Finding::new(
                        "TMO-002",
                        Severity::Low,
                        "UDP timeout below RFC 4787's two minutes",
                        format!(
                            "UDP sessions to {short} expire after {} s idle.",
                            timeout.replied_seconds.unwrap_or_default()
                        ),
                        &timeout.evidence,
                    )
                    .rationale(
                        "RFC 4787 REQ-5: a NAT UDP mapping must not expire in less than two \
                         minutes; shorter timers drop registrations and calls unless phones send \
                         keepalives more often than the timer.",
                    )
                    .concern(Concern::Timeouts),
                );
            }
        }
        return;
    }
    for wanted in &context.policy.timeouts {
        if wanted.protocol != Protocol::Udp {
            continue;
        }
        let ports = match &wanted.scope {
            TimeoutScope::Ports(ports) => ports.clone(),
            TimeoutScope::Global => context
                .voip_ports
                .iter()
                .find(|(p, _)| *p == Protocol::Udp)
                .map(|(_, ports)| ports.clone())
                .unwrap_or_else(|| Ports::single(5060)),
        };
        for (timeout, short) in too_short(
            device,
            &ports,
            wanted.replied_seconds,
            wanted.unreplied_seconds,
        ) {
            let found = format!(
                "UDP sessions to {short} expire after {} idle; the profile needs at least {} s \
                 ({} s before the first reply).",
                seconds(timeout),
                wanted.replied_seconds,
                wanted.unreplied_seconds
            );
            findings.push(
                Finding::new(
                    "TMO-001",
                    Severity::High,
                    "UDP timeout on the VoIP ports below the profile's",
                    found,
                    &timeout.evidence,
                )
                .rationale(
                    "When the firewall forgets the UDP session before the next keepalive or \
                     re-registration, inbound calls stop reaching the phone and calls drop after \
                     the timeout.",
                )
                .origins(&wanted.origins)
                .concern(Concern::Timeouts),
            );
        }
    }
}

fn seconds(timeout: &UdpTimeout) -> String {
    match (timeout.replied_seconds, timeout.unreplied_seconds) {
        (Some(r), Some(u)) if r != u => format!("{r} s ({u} s before the first reply)"),
        (Some(r), _) => format!("{r} s"),
        (None, Some(u)) => format!("{u} s before the first reply"),
        (None, None) => "an unknown time".into(),
    }
}

/// The device timeouts that are shorter than `replied` (or `unreplied`) on some of `ports`,
/// each with those ports.
fn too_short<'d>(
    device: &'d Device,
    ports: &Ports,
    replied: u32,
    unreplied: u32,
) -> Vec<(&'d UdpTimeout, Ports)> {
    let mut short: BTreeMap<usize, Vec<PortRange>> = BTreeMap::new();
    for (segment, index) in segments(device, ports) {
        let Some(index) = index else { continue };
        let timeout = &device.udp_timeouts[index];
        let below = timeout.replied_seconds.is_some_and(|s| s < replied)
            || timeout.unreplied_seconds.is_some_and(|s| s < unreplied);
        if below {
            short.entry(index).or_default().push(segment);
        }
    }
    short
        .into_iter()
        .map(|(index, ranges)| (&device.udp_timeouts[index], Ports::from_ranges(ranges)))
        .collect()
}

/// `ports` cut into ranges over which the effective timeout is the same, each with the index
/// of that timeout in `device.udp_timeouts` (`None`: no timeout applies).
fn segments(device: &Device, ports: &Ports) -> Vec<(PortRange, Option<usize>)> {
    let scoped: Vec<(usize, &Ports)> = device
        .udp_timeouts
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match &t.scope {
            TimeoutScope::Ports(p) => Some((i, p)),
            TimeoutScope::Global => None,
        })
        .collect();
    let global = device
        .udp_timeouts
        .iter()
        .rposition(|t| t.scope == TimeoutScope::Global);
    let effective = |port: u16| {
        scoped
            .iter()
            .rev()
            .find(|(_, p)| p.intersect(&Ports::single(port)).is_some())
            .map(|(i, _)| *i)
            .or(global)
    };
    let mut out = Vec::new();
    for range in ports.ranges() {
        let mut cuts: Vec<u32> = vec![u32::from(range.first)];
        for (_, p) in &scoped {
            for r in p.ranges() {
                for cut in [u32::from(r.first), u32::from(r.last) + 1] {
                    if cut > u32::from(range.first) && cut <= u32::from(range.last) {
                        cuts.push(cut);
                    }
                }
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        for (i, &start) in cuts.iter().enumerate() {
            let end = cuts
                .get(i + 1)
                .map(|next| next - 1)
                .unwrap_or(u32::from(range.last));
            let (start, end) = (start as u16, end as u16);
            out.push((PortRange::new(start, end), effective(start)));
        }
    }
    out
}
