//! The catalogue on hand-built device facts (the parsers' own tests cover real exports).

use sipwall_firewall::model::{Action, PortRange, Ports, Protocol, TimeoutScope};
use sipwall_firewall::{Options, Policy};

use super::*;
use crate::coverage::Coverage;
use crate::device::*;
use crate::source::Source;

/// A built-in profile's policy, parameters without a default set to their examples.
fn policy(id: &str) -> Policy {
    let profile = sipwall_profile::builtin::find(id)
        .unwrap()
        .load_with_examples();
    Policy::from_profile(&profile, &Options::default()).unwrap()
}

fn parsed(device: Device) -> Parsed {
    let source = Source::new("t", "x\n");
    let mut coverage = Coverage::new(&source);
    coverage.mark(1, crate::LineClass::Understood);
    Parsed { device, coverage }
}

fn ids(policy: &Policy, device: Device) -> Vec<&'static str> {
    let options = AuditOptions {
        render_fixes: false,
        ..AuditOptions::default()
    };
    audit(policy, Format::Nftables, &parsed(device), &options)
        .findings
        .iter()
        .map(|f| f.id)
        .collect()
}

fn default(path: Path, action: Action) -> DefaultAction {
    DefaultAction {
        path,
        action,
        evidence: Evidence::explicit([]),
    }
}

/// A device that allows everything out, nothing in, keeps ports, and has the ALG off.
fn good() -> Device {
    Device {
        sip_alg: vec![AlgState {
            enabled: false,
            mechanism: "helper".into(),
            scope: Vec::new(),
            evidence: Evidence::explicit([]),
        }],
        udp_timeouts: vec![UdpTimeout {
            scope: TimeoutScope::Global,
            unreplied_seconds: Some(600),
            replied_seconds: Some(600),
            evidence: Evidence::explicit([]),
        }],
        default_actions: vec![
            default(Path::Outbound, Action::Accept),
            default(Path::Inbound, Action::Drop),
            default(Path::ToDevice, Action::Drop),
        ],
        ..Device::default()
    }
}

#[test]
fn a_good_device_has_no_findings() {
    assert_eq!(ids(&policy("rfc-baseline"), good()), Vec::<&str>::new());
}

#[test]
fn alg_on_by_default_is_found_with_its_certainty() {
    let mut device = good();
    device.sip_alg[0].enabled = true;
    device.sip_alg[0].evidence = Evidence::default(VendorDefault {
        statement: "on",
        versions: "all",
        source: "doc",
    });
    let policy = policy("rfc-baseline");
    let report = audit(
        &policy,
        Format::Nftables,
        &parsed(device),
        &AuditOptions::default(),
    );
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].id, "ALG-001");
    assert!(matches!(
        report.findings[0].certainty,
        Certainty::DefaultInferred { .. }
    ));
}

#[test]
fn alg_on_other_ports_is_alg_002() {
    let mut device = good();
    device.sip_alg[0].enabled = true;
    device.sip_alg[0].scope = vec![(Protocol::Udp, Ports::single(5062))];
    assert_eq!(ids(&policy("rfc-baseline"), device), vec!["ALG-002"]);
}

#[test]
fn short_timeouts_are_found_per_port_scope() {
    let mut device = good();
    device.udp_timeouts.push(UdpTimeout {
        scope: TimeoutScope::Ports(Ports::from_ranges([PortRange::new(5060, 5060)])),
        unreplied_seconds: Some(30),
        replied_seconds: Some(30),
        evidence: Evidence::explicit([]),
    });
    assert_eq!(ids(&policy("rfc-baseline"), device), vec!["TMO-001"]);
}

#[test]
fn randomised_source_ports_are_nat_001() {
    let mut device = good();
    device.source_nat.push(SourceNat {
        port_preservation: Some(false),
        ports: Ports::Any,
        protocol: None,
        evidence: Evidence::explicit([]),
    });
    assert_eq!(ids(&policy("rfc-baseline"), device), vec!["NAT-001"]);
}

#[test]
fn outbound_drop_default_blocks_required_flows() {
    let mut device = good();
    device.default_actions[0].action = Action::Drop;
    let found = ids(&policy("rfc-baseline"), device);
    assert!(
        !found.is_empty() && found.iter().all(|id| *id == "ACL-001"),
        "{found:?}"
    );
}

#[test]
fn forwards_of_sip_ssh_and_everything() {
    let forward = |protocol, ports| Forward {
        protocol,
        outside_ports: ports,
        to: Some("192.168.1.10".parse().unwrap()),
        to_ports: None,
        source: Vec::new(),
        evidence: Evidence::explicit([]),
    };
    let mut device = good();
    device.default_actions[1].action = Action::Accept;
    device.forwards = vec![
        forward(Some(Protocol::Udp), Ports::single(5060)),
        forward(Some(Protocol::Tcp), Ports::single(22)),
        forward(None, Ports::Any),
    ];
    let found = ids(&policy("fonality-pbxtra-premise"), device);
    for id in ["ACL-002", "ACL-003", "ACL-004"] {
        assert!(found.contains(&id), "{id} not in {found:?}");
    }
}

#[test]
fn offload_by_default_counts_only_when_the_profile_asks_it_off() {
    let offload = |evidence: Evidence| Offload {
        mechanism: "auto-asic-offload".into(),
        protocol: None,
        ports: Ports::Any,
        evidence,
    };
    let default = Evidence::default(VendorDefault {
        statement: "on",
        versions: "all",
        source: "doc",
    });
    let mut device = good();
    device.offload.push(offload(default.clone()));
    assert_eq!(
        ids(&policy("rfc-baseline"), device.clone()),
        Vec::<&str>::new()
    );
    assert!(ids(&policy("algar-cloudphone-pro"), device).contains(&"NAT-002"));
    let mut device = good();
    device.offload.push(offload(Evidence::explicit([])));
    assert_eq!(ids(&policy("rfc-baseline"), device), vec!["NAT-002"]);
}

#[test]
fn offload_counts_only_for_the_protocols_it_applies_to() {
    // The Swyx profile's SIP and RTP are UDP only.
    let offload = |protocol| Offload {
        mechanism: "flowtable".into(),
        protocol,
        ports: Ports::Any,
        evidence: Evidence::explicit([]),
    };
    for (protocol, expected) in [
        (Some(Protocol::Tcp), false),
        (Some(Protocol::Udp), true),
        (None, true),
    ] {
        let mut device = good();
        device.offload.push(offload(protocol));
        let found = ids(&policy("swyx-linkmanager"), device);
        assert_eq!(
            found.contains(&"NAT-002"),
            expected,
            "{protocol:?}: {found:?}"
        );
    }
}

#[test]
fn repeated_statements_become_one_finding_with_all_lines() {
    let nat = |line| SourceNat {
        port_preservation: Some(false),
        ports: Ports::Any,
        protocol: None,
        evidence: Evidence::explicit([crate::source::Span {
            line,
            start: 0,
            end: 1,
        }]),
    };
    let mut device = good();
    device.source_nat = vec![nat(3), nat(7), nat(9)];
    let options = AuditOptions {
        render_fixes: false,
        ..AuditOptions::default()
    };
    let report = audit(
        &policy("rfc-baseline"),
        Format::Nftables,
        &parsed(device),
        &options,
    );
    assert_eq!(report.findings.len(), 1);
    let lines: Vec<u32> = report.findings[0].evidence.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![3, 7, 9]);
}

/// A filter rule on `path` for one TCP or UDP port from anywhere.
fn port_rule(path: Path, protocol: Protocol, port: u16, action: Action) -> FilterRule {
    FilterRule {
        path,
        protocol: Some(protocol),
        source: Vec::new(),
        source_ports: Ports::Any,
        destination: Vec::new(),
        destination_ports: Ports::single(port),
        action,
        conditional: false,
        evidence: Evidence::explicit([]),
    }
}

#[test]
fn exposure_of_forbidden_ports_is_found_however_it_is_written() {
    let premise = policy("fonality-pbxtra-premise");
    // A rate-limited accept still lets an attacker in.
    let mut device = good();
    device.filters.push(FilterRule {
        conditional: true,
        ..port_rule(Path::ToDevice, Protocol::Tcp, 22, Action::Accept)
    });
    assert!(ids(&premise, device).contains(&"ACL-003"));
    // An accept limited to the WAN address is the same exposure.
    let mut device = good();
    device.filters.push(FilterRule {
        destination: vec![sipwall_firewall::model::Address::Net(
            "198.51.100.2/32".parse().unwrap(),
        )],
        ..port_rule(Path::ToDevice, Protocol::Tcp, 22, Action::Accept)
    });
    assert!(ids(&premise, device).contains(&"ACL-003"));
    // A default accept known only from the vendor's documentation still leaves 22 open.
    let mut device = good();
    device.default_actions[2] = DefaultAction {
        path: Path::ToDevice,
        action: Action::Accept,
        evidence: Evidence::default(VendorDefault {
            statement: "a base chain without policy accepts",
            versions: "all",
            source: "nft(8)",
        }),
    };
    assert!(ids(&premise, device).contains(&"ACL-003"));
    // Routed inside hosts: an explicit accept on the forwarded path.
    let mut device = good();
    device
        .filters
        .push(port_rule(Path::Inbound, Protocol::Tcp, 22, Action::Accept));
    assert!(ids(&premise, device).contains(&"ACL-003"));
}

#[test]
fn sip_accepted_on_the_device_from_anyone_is_acl_002() {
    let mut device = good();
    device.filters.push(port_rule(
        Path::ToDevice,
        Protocol::Udp,
        5060,
        Action::Accept,
    ));
    assert_eq!(ids(&policy("rfc-baseline"), device), vec!["ACL-002"]);
}

#[test]
fn a_forward_from_another_outside_port_is_not_the_required_forward() {
    let premise = policy("fonality-pbxtra-premise");
    let wanted = premise
        .nat
        .port_forwards
        .iter()
        .find(|f| f.ports == Ports::single(5060) && f.protocol == Some(Protocol::Udp))
        .expect("the premise profile forwards udp/5060")
        .clone();
    let forward = |outside: u16| Forward {
        protocol: Some(Protocol::Udp),
        outside_ports: Ports::single(outside),
        to: Some(wanted.to),
        to_ports: (outside != 5060).then(|| Ports::single(5060)),
        source: Vec::new(),
        evidence: Evidence::explicit([]),
    };
    let missing = |outside| {
        let mut device = good();
        device.forwards.push(forward(outside));
        let options = AuditOptions {
            render_fixes: false,
            ..AuditOptions::default()
        };
        audit(&premise, Format::Nftables, &parsed(device), &options)
            .findings
            .iter()
            .any(|f| f.id == "ACL-001" && f.rules.contains(&wanted.name))
    };
    assert!(missing(15060));
    assert!(!missing(5060));
}
