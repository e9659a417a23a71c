//! TMO-001 (UDP idle timeout on the profile's ports below what the profile asks) and TMO-002
//! (below RFC 4787's two minutes when the profile is silent). The effective timeout of a port is
//! the last port-scoped timeout containing it, else the last global one.

use std::collections::{BTreeMap, BinaryHeap, HashMap};

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
                seconds(&timeout),
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

/// A timeout's (replied, unreplied) seconds.
type Seconds = (Option<u32>, Option<u32>);

/// The device timeouts that are shorter than `replied` (or `unreplied`) on some of `ports`,
/// grouped by their values: one entry per distinct (replied, unreplied) pair, with the evidence
/// of every timeout that has it and the ports it governs (10 000 per-port timeouts of 30 s are
/// one statement, not 10 000).
fn too_short(
    device: &Device,
    ports: &Ports,
    replied: u32,
    unreplied: u32,
) -> Vec<(UdpTimeout, Ports)> {
    // (replied, unreplied) → the timeouts with those values and the ranges they govern.
    let mut short: BTreeMap<Seconds, (Vec<usize>, Vec<PortRange>)> = BTreeMap::new();
    for (segment, index) in segments(device, ports) {
        let Some(index) = index else { continue };
        let timeout = &device.udp_timeouts[index];
        let below = timeout.replied_seconds.is_some_and(|s| s < replied)
            || timeout.unreplied_seconds.is_some_and(|s| s < unreplied);
        if below {
            let entry = short
                .entry((timeout.replied_seconds, timeout.unreplied_seconds))
                .or_default();
            if entry.0.last() != Some(&index) {
                entry.0.push(index);
            }
            entry.1.push(segment);
        }
    }
    short
        .into_values()
        .map(|(indices, ranges)| {
            let mut merged = device.udp_timeouts[indices[0]].clone();
            for &index in &indices[1..] {
                merged
                    .evidence
                    .spans
                    .extend(device.udp_timeouts[index].evidence.spans.iter().copied());
            }
            merged.evidence.spans.sort_unstable();
            merged.evidence.spans.dedup();
            (merged, Ports::from_ranges(ranges))
        })
        .collect()
}

/// `ports` cut into ranges over which the effective timeout is the same, each with the index
/// of that timeout in `device.udp_timeouts` (`None`: no timeout applies). One sweep over the
/// scoped timeouts' range ends, the latest timeout winning: O(n log n) in their ranges.
fn segments(device: &Device, ports: &Ports) -> Vec<(PortRange, Option<usize>)> {
    let global = device
        .udp_timeouts
        .iter()
        .rposition(|t| t.scope == TimeoutScope::Global);
    // (position, starts, index): a scoped range starts at `first` and ends before `last + 1`.
    let mut events: Vec<(u32, bool, usize)> = Vec::new();
    for (index, timeout) in device.udp_timeouts.iter().enumerate() {
        if let TimeoutScope::Ports(scoped) = &timeout.scope {
            for range in scoped.ranges() {
                events.push((u32::from(range.first), true, index));
                events.push((u32::from(range.last) + 1, false, index));
            }
        }
    }
    events.sort_unstable();
    // The effective timeout from each position on, as (start, index) pieces over 0..=65535.
    let mut pieces: Vec<(u32, Option<usize>)> = vec![(0, global)];
    let mut active: BinaryHeap<usize> = BinaryHeap::new();
    let mut ended: HashMap<usize, usize> = HashMap::new();
    let mut at = 0;
    while at < events.len() {
        let position = events[at].0;
        while at < events.len() && events[at].0 == position {
            let (_, starts, index) = events[at];
            if starts {
                active.push(index);
            } else {
                *ended.entry(index).or_default() += 1;
            }
            at += 1;
        }
        while let Some(top) = active.peek().copied() {
            match ended.get_mut(&top) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    active.pop();
                }
                _ => break,
            }
        }
        let effective = active.peek().copied().or(global);
        if pieces.last().map(|p| p.1) != Some(effective) {
            pieces.push((position, effective));
        }
    }
    let mut out = Vec::new();
    for range in ports.ranges() {
        let (first, last) = (u32::from(range.first), u32::from(range.last));
        for (i, &(start, effective)) in pieces.iter().enumerate() {
            let end = pieces
                .get(i + 1)
                .map(|next| next.0 - 1)
                .unwrap_or(u32::from(u16::MAX));
            let (from, to) = (start.max(first), end.min(last));
            if from <= to {
                out.push((PortRange::new(from as u16, to as u16), effective));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Evidence;

    fn timeout(scope: TimeoutScope, seconds: u32) -> UdpTimeout {
        UdpTimeout {
            scope,
            unreplied_seconds: Some(seconds),
            replied_seconds: Some(seconds),
            evidence: Evidence::explicit([]),
        }
    }

    fn set(ranges: &[(u16, u16)]) -> Ports {
        Ports::from_ranges(ranges.iter().map(|&(a, b)| PortRange::new(a, b)))
    }

    #[test]
    fn the_latest_scoped_timeout_wins_then_the_global_one() {
        let device = Device {
            udp_timeouts: vec![
                timeout(TimeoutScope::Global, 30),
                timeout(TimeoutScope::Ports(set(&[(5000, 6000)])), 60),
                timeout(TimeoutScope::Ports(set(&[(5060, 5061), (5070, 5070)])), 300),
            ],
            ..Device::default()
        };
        let got = segments(&device, &set(&[(4990, 5062), (5070, 5071)]));
        assert_eq!(
            got,
            vec![
                (PortRange::new(4990, 4999), Some(0)),
                (PortRange::new(5000, 5059), Some(1)),
                (PortRange::new(5060, 5061), Some(2)),
                (PortRange::new(5062, 5062), Some(1)),
                (PortRange::new(5070, 5070), Some(2)),
                (PortRange::new(5071, 5071), Some(1)),
            ]
        );
    }

    #[test]
    fn many_equal_short_timeouts_are_one_statement() {
        let device = Device {
            udp_timeouts: (0..5000u16)
                .map(|i| timeout(TimeoutScope::Ports(Ports::single(10000 + 2 * i)), 30))
                .collect(),
            ..Device::default()
        };
        let short = too_short(&device, &set(&[(10000, 20000)]), 90, 90);
        assert_eq!(short.len(), 1);
        assert_eq!(short[0].0.replied_seconds, Some(30));
        assert!(short[0].1.intersect(&Ports::single(10000)).is_some());
        assert!(short[0].1.intersect(&Ports::single(10001)).is_none());
    }
}
