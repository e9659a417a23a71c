//! What gets in and out: ACL-001 (required flow or forward missing), ACL-002 (SIP reachable from
//! any source), ACL-003 (forbidden inbound port reachable), ACL-004 (DMZ host), ACL-005 (RTP
//! forward broader than the profile's range). All by port-interval and CIDR set algebra over the
//! parsed facts (`walk`), never by pattern matching on the text.

use std::net::IpAddr;

use ipnet::IpNet;
use sipwall_firewall::model::{Address, Direction, Ports, Protocol, Rule};
use sipwall_profile::Purpose;

use crate::device::{Certainty, Device, Evidence, Forward, Path};
use crate::finding::{Concern, Finding, Severity};

use super::walk::{Probe, Walk, reachable, union, walk_each};
use super::{Context, meets};

pub(super) fn check(
    context: &Context,
    device: &Device,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<String>,
) {
    required_flows(context, device, findings);
    sip_exposure(context, device, findings);
    sip_on_device(context, device, findings);
    forbidden_inbound(context, device, findings);
    dmz_hosts(context, device, findings);
    rtp_range(context, device, findings);
    for (path, direction, words) in [
        (Path::Outbound, Direction::Outbound, "outbound"),
        (Path::Inbound, Direction::Inbound, "inbound"),
    ] {
        let wanted = context
            .policy
            .rules
            .iter()
            .any(|r| r.required && r.direction == direction);
        if wanted && !path_shown(device, path) {
            notes.push(format!(
                "The export shows no {words} filtering (no rule and no default for that path), \
                 so the profile's required {words} flows were not judged; `sipwall check` tests \
                 them live."
            ));
        }
    }
}

/// The export says something about the path: a rule on it or its default.
fn path_shown(device: &Device, path: Path) -> bool {
    device.filters.iter().any(|f| f.path == path)
        || device.default_actions.iter().any(|d| d.path == path)
}

/// ACL-001: every required flow of the profile passes, and every forward it needs exists.
fn required_flows(context: &Context, device: &Device, findings: &mut Vec<Finding>) {
    for rule in context.policy.rules.iter().filter(|r| r.required) {
        // The flow's source ports count: an accept limited to some source ports does not
        // cover a flow from any port.
        let (path, probe) = match rule.direction {
            Direction::Outbound => (Path::Outbound, Probe::Inside(&rule.source_ports)),
            Direction::Inbound if rule.source.is_empty() && rule.source_ports.is_any() => {
                (Path::Inbound, Probe::Anyone)
            }
            Direction::Inbound => (Path::Inbound, Probe::From(&rule.source, &rule.source_ports)),
        };
        if !path_shown(device, path) {
            continue; // said once in a note
        }
        let result = walk_each(
            device,
            path,
            rule.protocol,
            probe,
            &rule.destination,
            &rule.destination_ports,
        );
        if let Some(finding) = blocked_flow(rule, &result) {
            findings.push(finding);
        }
    }
    for wanted in &context.policy.nat.port_forwards {
        let protocols: Vec<Protocol> = match wanted.protocol {
            Some(p) => vec![p],
            None => vec![Protocol::Udp, Protocol::Tcp],
        };
        for protocol in protocols {
            let present = device
                .forwards
                .iter()
                .filter(|f| f.protocol.is_none_or(|p| p == protocol))
                .filter(|f| f.to.is_none_or(|to| to == wanted.to))
                // The profile's forwards keep the port: 15060 → 5060 does not forward 5060.
                .filter(|f| f.to_ports.as_ref().is_none_or(|p| *p == f.outside_ports))
                .fold(None, |acc: Option<Ports>, f| {
                    Some(union(acc.as_ref(), &f.outside_ports))
                });
            let missing = match &present {
                Some(present) => wanted.ports.subtract(present),
                None => Some(wanted.ports.clone()),
            };
            let Some(missing) = missing else { continue };
            findings.push(
                Finding::new(
                    "ACL-001",
                    Severity::High,
                    "Required port forward missing",
                    format!(
                        "No forward sends {protocol}/{missing} from the WAN to {}.",
                        wanted.to
                    ),
                    &Evidence::explicit([]),
                )
                .rationale(
                    "An on-site PBX receives calls and media only through these forwards; \
                     without them inbound calls fail or have no audio.",
                )
                .origins(&wanted.origins)
                .concern(Concern::Access)
                .rules([wanted.name.clone()]),
            );
        }
    }
}

fn blocked_flow(rule: &Rule, result: &Walk) -> Option<Finding> {
    // Where the flow comes from (inbound) and its source ports, so that flows that differ only
    // there read (and merge) as different findings.
    let flow = format!(
        "{} {}/{}{}{}{}",
        match rule.direction {
            Direction::Outbound => "outbound",
            Direction::Inbound => "inbound",
        },
        rule.protocol,
        rule.destination_ports,
        if rule.direction == Direction::Inbound && !rule.source.is_empty() {
            format!(" from {}", addresses(&rule.source))
        } else {
            String::new()
        },
        if rule.destination.is_empty() {
            String::new()
        } else {
            format!(" to {}", addresses(&rule.destination))
        },
        if rule.source_ports.is_any() {
            String::new()
        } else {
            format!(" (source ports {})", rule.source_ports)
        }
    );
    let (ports, evidence, severity, how) = if let Some(dropped) = &result.dropped {
        let first = result
            .dropped_by
            .first()
            .copied()
            .cloned()
            .unwrap_or_else(|| Evidence::unknown([]));
        (dropped, first, Severity::High, "dropped")
    } else if let Some(undecided) = &result.undecided {
        (
            undecided,
            Evidence::unknown([]),
            Severity::Medium,
            "not allowed by any rule (and the export does not show the default)",
        )
    } else {
        return None;
    };
    let mut finding = Finding::new(
        "ACL-001",
        severity,
        format!("Required flow blocked: {}", rule.name),
        format!("The profile's {flow}: {}/{ports} is {how}.", rule.protocol),
        &evidence,
    );
    for more in result.dropped_by.iter().skip(1) {
        finding = finding.more_evidence(more.spans.iter().copied());
    }
    Some(
        finding
            .rationale(
                "The provider needs this flow; without it registration, calls or media fail \
                 (which part depends on the flow's purpose).",
            )
            .origins(&rule.origins)
            .concern(Concern::Access)
            .rules([rule.name.clone()]),
    )
}

/// ACL-002: a forwarded SIP port that any source on the internet reaches.
fn sip_exposure(context: &Context, device: &Device, findings: &mut Vec<Finding>) {
    for forward in device
        .forwards
        .iter()
        .filter(|f| f.source.is_empty() && !is_dmz(f))
    {
        for (protocol, ports) in meets(&context.sip_ports, forward.protocol, forward.inside_ports())
        {
            let destination = target(forward);
            let result = reachable(device, Path::Inbound, protocol, &destination, &ports);
            let Some(open) = result.accepted else {
                continue;
            };
            let expected = unrestricted_inbound_sip(context, protocol);
            let open = match &expected {
                Some(expected) => open.subtract(expected),
                None => Some(open),
            };
            let Some(open) = open else { continue };
            let whitelist = context
                .policy
                .hygiene
                .source_whitelists
                .iter()
                .find(|w| w.protocol == protocol && w.ports.intersect(&open).is_some());
            let mut finding = Finding::new(
                "ACL-002",
                Severity::High,
                "SIP reachable from any source on the internet",
                format!(
                    "{protocol}/{open} is forwarded{} and accepted from every source{}.",
                    forward.to.map(|to| format!(" to {to}")).unwrap_or_default(),
                    whitelist
                        .map(|w| format!("; the profile allows only {}", addresses(&w.allowed)))
                        .unwrap_or_default()
                ),
                &forward.evidence,
            )
            .rationale(sip_exposure_rationale())
            .concern(Concern::Hygiene);
            for by in &result.accepted_by {
                finding = finding.more_evidence(by.spans.iter().copied());
            }
            if let Some(whitelist) = whitelist {
                finding = finding.origins(&whitelist.origins);
            }
            findings.push(finding);
        }
    }
}

/// ACL-002 on the firewall itself (a PBX host audited with `--live`, a router running a SIP
/// service): an explicit rule accepting SIP from anyone. A default that accepts is not counted
/// here: most routers run no SIP service.
fn sip_on_device(context: &Context, device: &Device, findings: &mut Vec<Finding>) {
    for (protocol, ports) in &context.sip_ports {
        let result = reachable(device, Path::ToDevice, *protocol, &[], ports);
        let Some(open) = result
            .accepted
            .as_ref()
            .filter(|_| !result.accepted_by_default)
        else {
            continue;
        };
        let expected = unrestricted_inbound_sip(context, *protocol);
        let open = match &expected {
            Some(expected) => open.subtract(expected),
            None => Some(open.clone()),
        };
        let (Some(open), Some(evidence)) = (open, result.accepted_by.first()) else {
            continue;
        };
        let mut finding = Finding::new(
            "ACL-002",
            Severity::High,
            "SIP reachable from any source on the internet",
            format!("A rule accepts {protocol}/{open} on the firewall itself from every source."),
            evidence,
        )
        .rationale(sip_exposure_rationale())
        .concern(Concern::Hygiene);
        if let Some(whitelist) = context
            .policy
            .hygiene
            .source_whitelists
            .iter()
            .find(|w| w.protocol == *protocol && w.ports.intersect(&open).is_some())
        {
            finding = finding.origins(&whitelist.origins);
        }
        findings.push(finding);
    }
}

/// The profile's own unrestricted inbound SIP ports (a PBX reachable by design).
fn unrestricted_inbound_sip(context: &Context, protocol: Protocol) -> Option<Ports> {
    context
        .policy
        .rules
        .iter()
        .filter(|r| {
            r.direction == Direction::Inbound
                && r.protocol == protocol
                && r.source.is_empty()
                && r.purpose
                    .is_some_and(|p| matches!(p, Purpose::SipSignalling | Purpose::SipTls))
        })
        .fold(None, |acc: Option<Ports>, r| {
            Some(union(acc.as_ref(), &r.destination_ports))
        })
}

fn sip_exposure_rationale() -> &'static str {
    "SIP open to the world is found by scanners within minutes (SIPVicious and friends) and \
     brute-forced for toll fraud; accept SIP only from the provider's addresses."
}

/// ACL-003: ports the profile says must never be forwarded or opened.
fn forbidden_inbound(context: &Context, device: &Device, findings: &mut Vec<Finding>) {
    let mut open_by_default: Vec<String> = Vec::new();
    let mut default_evidence: Option<&Evidence> = None;
    let mut default_origins = Vec::new();
    for forbidden in &context.policy.hygiene.forbidden_inbound {
        let port = Ports::single(forbidden.port);
        let expected = context.policy.nat.port_forwards.iter().any(|f| {
            f.protocol.is_none_or(|p| p == forbidden.protocol) && f.ports.intersect(&port).is_some()
        });
        if !expected {
            for forward in device.forwards.iter().filter(|f| {
                !is_dmz(f)
                    && f.protocol.is_none_or(|p| p == forbidden.protocol)
                    && (f.outside_ports.intersect(&port).is_some()
                        || f.inside_ports().intersect(&port).is_some())
            }) {
                findings.push(
                    Finding::new(
                        "ACL-003",
                        Severity::High,
                        format!("Forbidden inbound port forwarded: {}", forbidden.service),
                        format!(
                            "{}/{} ({}) is forwarded from the WAN{}.",
                            forbidden.protocol,
                            forbidden.port,
                            forbidden.service,
                            forward.to.map(|to| format!(" to {to}")).unwrap_or_default()
                        ),
                        &forward.evidence,
                    )
                    .rationale(forbidden_rationale())
                    .origins(&forbidden.origins)
                    .concern(Concern::Hygiene),
                );
            }
        }
        // Routed (un-NATed, e.g. IPv6) inside hosts: an explicit accept on the forwarded path.
        let routed = reachable(device, Path::Inbound, forbidden.protocol, &[], &port);
        if !expected
            && routed.accepted.is_some()
            && !routed.accepted_by_default
            && let Some(evidence) = routed.accepted_by.first()
        {
            findings.push(
                Finding::new(
                    "ACL-003",
                    Severity::High,
                    format!(
                        "Forbidden inbound port accepted to inside hosts: {}",
                        forbidden.service
                    ),
                    format!(
                        "A rule accepts {}/{} ({}) from any source on the WAN to inside hosts.",
                        forbidden.protocol, forbidden.port, forbidden.service
                    ),
                    evidence,
                )
                .rationale(forbidden_rationale())
                .origins(&forbidden.origins)
                .concern(Concern::Hygiene),
            );
        }
        let result = reachable(device, Path::ToDevice, forbidden.protocol, &[], &port);
        if result.accepted.is_none() {
            continue;
        }
        if result.accepted_by_default {
            let default = result.accepted_by.last().copied();
            if default.is_some_and(|e| e.certainty != Certainty::Unknown) {
                open_by_default.push(format!(
                    "{}/{} ({})",
                    forbidden.protocol, forbidden.port, forbidden.service
                ));
                default_evidence = default_evidence.or(default);
                default_origins.extend(forbidden.origins.iter().cloned());
            }
            continue;
        }
        let evidence = result
            .accepted_by
            .first()
            .copied()
            .cloned()
            .unwrap_or_else(|| Evidence::unknown([]));
        findings.push(
            Finding::new(
                "ACL-003",
                Severity::High,
                format!(
                    "Forbidden inbound port open on the firewall: {}",
                    forbidden.service
                ),
                format!(
                    "A rule accepts {}/{} ({}) from any source on the WAN to the firewall itself.",
                    forbidden.protocol, forbidden.port, forbidden.service
                ),
                &evidence,
            )
            .rationale(forbidden_rationale())
            .origins(&forbidden.origins)
            .concern(Concern::Hygiene),
        );
    }
    if let Some(evidence) = default_evidence {
        findings.push(
            Finding::new(
                "ACL-003",
                Severity::Medium,
                "Forbidden inbound ports not closed on the firewall",
                format!(
                    "Nothing closes {} from the WAN to the firewall itself (its default accepts); \
                     any of these services the firewall runs is reachable from the internet.",
                    open_by_default.join(", ")
                ),
                evidence,
            )
            .rationale(forbidden_rationale())
            .origins(&default_origins)
            .concern(Concern::Hygiene),
        );
    }
}

fn forbidden_rationale() -> &'static str {
    "The provider's security page forbids exposing these services: they are the first ports \
     scanners try, and a compromised PBX or router is used for toll fraud."
}

/// ACL-004: a forward of everything to one host.
fn dmz_hosts(context: &Context, device: &Device, findings: &mut Vec<Finding>) {
    for forward in device.forwards.iter().filter(|f| is_dmz(f)) {
        let mut finding = Finding::new(
            "ACL-004",
            Severity::High,
            "DMZ host: every port forwarded to one inside host",
            format!(
                "All inbound traffic{} is sent to {}.",
                if forward.source.is_empty() {
                    String::new()
                } else {
                    format!(" from {}", addresses(&forward.source))
                },
                forward
                    .to
                    .map(|to| to.to_string())
                    .unwrap_or_else(|| "an inside host".into())
            ),
            &forward.evidence,
        )
        .rationale(
            "A DMZ host exposes every service of the phone or PBX (web interface, SSH, \
             provisioning) to the internet; forward only the ports the profile lists.",
        )
        .concern(Concern::Hygiene);
        if let Some(origin) = &context.policy.hygiene.no_dmz {
            finding = finding.origins(std::slice::from_ref(origin));
        }
        findings.push(finding);
    }
}

/// ACL-005: forwarded RTP ports beyond the profile's range (a narrower range is ACL-001).
fn rtp_range(context: &Context, device: &Device, findings: &mut Vec<Finding>) {
    let rtp_rules: Vec<&Rule> = context
        .policy
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Inbound && r.purpose == Some(Purpose::Rtp))
        .collect();
    for protocol in [Protocol::Udp, Protocol::Tcp] {
        let Some(wanted) = rtp_rules
            .iter()
            .filter(|r| r.protocol == protocol)
            .fold(None, |acc: Option<Ports>, r| {
                Some(union(acc.as_ref(), &r.destination_ports))
            })
        else {
            continue;
        };
        let all_wanted: Ports = context
            .policy
            .nat
            .port_forwards
            .iter()
            .filter(|f| f.protocol.is_none_or(|p| p == protocol))
            .fold(wanted.clone(), |acc, f| union(Some(&acc), &f.ports));
        for forward in device.forwards.iter().filter(|f| {
            !is_dmz(f)
                && f.protocol.is_none_or(|p| p == protocol)
                && f.inside_ports().intersect(&wanted).is_some()
        }) {
            let Some(extra) = forward.inside_ports().subtract(&all_wanted) else {
                continue;
            };
            findings.push(
                Finding::new(
                    "ACL-005",
                    Severity::Medium,
                    "RTP forward broader than the profile's range",
                    format!(
                        "The forward of {protocol}/{} also opens {protocol}/{extra}; the profile's RTP range is {wanted}.",
                        forward.inside_ports()
                    ),
                    &forward.evidence,
                )
                .rationale(
                    "Ports forwarded beyond the RTP range the PBX uses expose whatever else \
                     listens there, and make the forward harder to review.",
                )
                .origins(&rtp_rules.iter().flat_map(|r| r.origins.iter().cloned()).collect::<Vec<_>>())
                .concern(Concern::Access),
            );
        }
    }
}

fn is_dmz(forward: &Forward) -> bool {
    forward.protocol.is_none() && forward.outside_ports.is_any()
}

/// The forward's inside host as a destination list (empty: any).
fn target(forward: &Forward) -> Vec<Address> {
    forward
        .to
        .map(|to: IpAddr| vec![Address::Net(IpNet::from(to))])
        .unwrap_or_default()
}

fn addresses(list: &[Address]) -> String {
    list.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
