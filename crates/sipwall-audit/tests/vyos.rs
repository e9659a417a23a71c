//! The VyOS / EdgeOS parser (`--format vyos`): hand-written fixtures modelled on real exports
//! (set commands, vbash scripts, config.boot of VyOS 1.3, 1.4 and EdgeOS), the third-party
//! corpus (`../shared/corpus/vyos`, `…/edgeos`, read in place), round trips through our own
//! renderer for every built-in profile and dialect, audit round trips and mutations, and
//! robustness (garbage, truncation, other vendors, random input).

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use proptest::prelude::*;
use sipwall_audit::device::{Certainty, Device, Evidence, Path};
use sipwall_audit::{Format, Hints, Parsed, Source};
use sipwall_firewall::model::{Action, Address, Direction, Ports, Protocol, TimeoutScope};
use sipwall_firewall::{Options, Vendor};

const DIALECTS: [Vendor; 3] = [Vendor::Vyos14, Vendor::Vyos13, Vendor::Edgeos];

/// The options of the renderer's own VyOS / EdgeOS tests.
fn options() -> Options {
    Options {
        wan: "eth0".into(),
        lan: "eth1".into(),
        ..Options::default()
    }
}

fn hints(wan: &str, lan: &str) -> Hints {
    Hints {
        wan: vec![wan.into()],
        lan: vec![lan.into()],
    }
}

fn fixture(name: &str) -> (Source, Parsed) {
    let text = common::fixture_text("vyos", name);
    assert_eq!(Format::detect(&text).ok(), Some(Format::Vyos), "{name}");
    common::read(Format::Vyos, name, &text)
}

/// The text of every span of the evidence.
fn texts<'s>(source: &'s Source, evidence: &Evidence) -> Vec<&'s str> {
    evidence.spans.iter().map(|s| source.text_of(*s)).collect()
}

fn net(text: &str) -> Address {
    Address::Net(text.parse().unwrap())
}

fn ports(text: &str) -> Ports {
    let ranges = text.split(',').map(|part| match part.split_once('-') {
        Some((a, b)) => {
            sipwall_firewall::model::PortRange::new(a.parse().unwrap(), b.parse().unwrap())
        }
        None => sipwall_firewall::model::PortRange::single(part.parse().unwrap()),
    });
    Ports::from_ranges(ranges)
}

/// First-match verdict of `path` for one port from `source` (empty: an arbitrary host; a rule
/// limited to some sources then does not match) to `destination` (empty: anywhere), the way
/// the audit engine walks it.
fn verdict(
    device: &Device,
    path: Path,
    protocol: Protocol,
    port: u16,
    source: &[Address],
    destination: &[Address],
) -> Option<Action> {
    verdict_from(
        device,
        path,
        protocol,
        port,
        source,
        &Ports::Any,
        destination,
    )
}

/// [`verdict`] for a flow from `source_ports`: an accept must allow all of them, a drop
/// decides when it names some of them.
fn verdict_from(
    device: &Device,
    path: Path,
    protocol: Protocol,
    port: u16,
    source: &[Address],
    source_ports: &Ports,
    destination: &[Address],
) -> Option<Action> {
    let covers = |list: &[Address], wanted: &[Address]| {
        list.is_empty()
            || (!wanted.is_empty()
                && wanted.iter().all(|w| {
                    list.iter().any(|r| match (r, w) {
                        (Address::Net(o), Address::Net(i)) => o.contains(i),
                        (o, i) => o == i,
                    })
                }))
    };
    for rule in device.filters.iter().filter(|r| r.path == path) {
        if rule.conditional
            || rule.protocol.is_some_and(|p| p != protocol)
            || rule
                .destination_ports
                .intersect(&Ports::single(port))
                .is_none()
            || !(path == Path::Outbound || covers(&rule.source, source))
            || !covers(&rule.destination, destination)
        {
            continue;
        }
        let from = match rule.action {
            Action::Accept => source_ports.subtract(&rule.source_ports).is_none(),
            Action::Drop => source_ports.intersect(&rule.source_ports).is_some(),
        };
        if !from {
            continue;
        }
        return Some(rule.action);
    }
    device
        .default_actions
        .iter()
        .rev()
        .find(|d| d.path == path)
        .map(|d| d.action)
}

/// The effective UDP timeout of a port: the last port-scoped one containing it, else global.
fn timeout_of(device: &Device, port: u16) -> Option<(u32, u32)> {
    let scoped = device.udp_timeouts.iter().rev().find(|t| match &t.scope {
        TimeoutScope::Ports(p) => p.intersect(&Ports::single(port)).is_some(),
        TimeoutScope::Global => false,
    });
    let timeout = scoped.or_else(|| {
        device
            .udp_timeouts
            .iter()
            .rev()
            .find(|t| t.scope == TimeoutScope::Global)
    })?;
    Some((timeout.unreplied_seconds?, timeout.replied_seconds?))
}

fn default_of(device: &Device, path: Path) -> (Action, Certainty) {
    let d = device
        .default_actions
        .iter()
        .rev()
        .find(|d| d.path == path)
        .expect("a default for every path");
    (d.action, d.evidence.certainty)
}

// ------------------------------------------------------------------------------------------
// Fixtures

#[test]
fn vyos13_without_sip_disable_has_the_helper_on_by_default() {
    let (source, parsed) = fixture("vyos13-office-alg-default.conf");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Vyos13));
    assert!(d.version.is_none());
    assert_eq!(d.sip_alg.len(), 1);
    let alg = &d.sip_alg[0];
    assert!(alg.enabled);
    assert!(alg.scope.is_empty());
    assert!(matches!(
        alg.evidence.certainty,
        Certainty::DefaultInferred { default } if default.versions.contains("1.3")
    ));
    // Other helpers disabled do not count for SIP.
    assert!(alg.evidence.spans.is_empty());
    // Timeouts: none set, the VyOS defaults.
    assert_eq!(timeout_of(d, 5060), Some((30, 180)));
    assert!(matches!(
        d.udp_timeouts[0].evidence.certainty,
        Certainty::DefaultInferred { .. }
    ));
    // Masquerade keeps ports.
    assert_eq!(d.source_nat.len(), 1);
    assert_eq!(d.source_nat[0].port_preservation, Some(true));
    // Forwards: SIP (from the provider), RTP; the disabled SSH forward is no fact.
    assert_eq!(d.forwards.len(), 2);
    let sip = &d.forwards[0];
    assert_eq!(sip.protocol, Some(Protocol::Udp));
    assert_eq!(sip.outside_ports, Ports::single(5060));
    assert_eq!(sip.to, "192.168.1.20".parse::<IpAddr>().ok());
    assert_eq!(sip.source, vec![net("198.51.100.0/28")]);
    assert!(
        texts(&source, &sip.evidence)
            .contains(&"set nat destination rule 100 destination port '5060'")
    );
    assert_eq!(d.forwards[1].outside_ports, ports("10000-20000"));
    assert!(
        d.forwards
            .iter()
            .all(|f| f.outside_ports.intersect(&Ports::single(2222)).is_none())
    );
    // WAN_IN on eth0 in: SIP only from the provider group, RTP from anyone, default drop.
    let provider = [net("198.51.100.10/32")];
    let pbx = [net("192.168.1.20/32")];
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5060, &provider, &pbx),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5060, &[], &pbx),
        Some(Action::Drop)
    );
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 15000, &[], &pbx),
        Some(Action::Accept)
    );
    // The disabled rule 50 (accept 22) is no fact.
    assert!(
        !d.filters
            .iter()
            .any(|f| f.destination_ports == Ports::single(22) && f.path == Path::Inbound)
    );
    assert_eq!(
        default_of(d, Path::Inbound),
        (Action::Drop, Certainty::Explicit)
    );
    // WAN_LOCAL on eth0 local: SSH only from the admin network, a brute-force limit.
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, 22, &[], &[]),
        Some(Action::Drop)
    );
    assert_eq!(d.brute_force.len(), 1);
    assert_eq!(d.brute_force[0].ports, Ports::single(22));
    // LAN_IN on eth1 in: outbound, default accept.
    assert_eq!(
        default_of(d, Path::Outbound),
        (Action::Accept, Certainty::Explicit)
    );
    let s = parsed.coverage.summary();
    assert_eq!(
        s.unknown,
        0,
        "{:?}",
        parsed.coverage.unknown_lines().collect::<Vec<_>>()
    );
    assert!(s.ignored > 30 && s.understood > 60, "{s:?}");
}

#[test]
fn edgeos_config_boot_without_conntrack_block() {
    let (source, parsed) = fixture("edgeos-pbx-no-conntrack.boot");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Edgeos));
    let version = d.version.as_ref().expect("the footer states the version");
    assert_eq!(version.version, "2.0.9-hotfix.7");
    assert!(source.text_of(version.span).starts_with("v2.0.9-hotfix.7"));
    let alg = &d.sip_alg[0];
    assert!(alg.enabled);
    assert!(matches!(
        alg.evidence.certainty,
        Certainty::DefaultInferred { default } if default.versions.contains("EdgeOS")
    ));
    assert_eq!(timeout_of(d, 5060), Some((30, 180)));
    // port-forward: RTP and 8080 -> 80 to the PBX; auto-firewall accepts them inbound.
    assert_eq!(d.forwards.len(), 2);
    assert_eq!(d.forwards[0].protocol, Some(Protocol::Udp));
    assert_eq!(d.forwards[0].outside_ports, ports("10000-20000"));
    assert_eq!(d.forwards[0].to_ports, None);
    assert_eq!(d.forwards[1].outside_ports, Ports::single(8080));
    assert_eq!(d.forwards[1].to_ports, Some(Ports::single(80)));
    assert_eq!(*d.forwards[1].inside_ports(), Ports::single(80));
    assert!(texts(&source, &d.forwards[1].evidence).contains(&"original-port 8080"));
    assert!(texts(&source, &d.forwards[1].evidence).contains(&"wan-interface eth0"));
    let pbx = [net("192.168.1.20/32")];
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 12000, &[], &pbx),
        Some(Action::Accept)
    );
    // SIP from the trunk group (a range of addresses) only.
    let trunk = [net("203.0.113.4/32")];
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5060, &trunk, &pbx),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5060, &[], &pbx),
        Some(Action::Drop)
    );
    // Masquerade, software offload of IPv4 forwarding.
    assert_eq!(d.source_nat[0].port_preservation, Some(true));
    assert_eq!(d.offload.len(), 1);
    assert_eq!(d.offload[0].mechanism, "system offload ipv4 forwarding");
    assert_eq!(
        texts(&source, &d.offload[0].evidence),
        vec!["forwarding enable"]
    );
    // The router's GUI is open to the WAN through an explicit rule.
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, 443, &[], &[]),
        Some(Action::Accept)
    );
    assert_eq!(
        default_of(d, Path::ToDevice),
        (Action::Drop, Certainty::Explicit)
    );
    // No ruleset on the LAN: outbound is not filtered (an inferred default).
    assert!(matches!(
        default_of(d, Path::Outbound),
        (Action::Accept, Certainty::DefaultInferred { .. })
    ));
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn vyos14_with_the_sip_module_set() {
    let (source, parsed) = fixture("vyos14-sip-module.conf");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Vyos14));
    let alg = &d.sip_alg[0];
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        texts(&source, &alg.evidence),
        vec!["set system conntrack modules sip"]
    );
    // Global 30/300, SIP signalling 20/60 through a custom rule.
    assert_eq!(timeout_of(d, 10000), Some((30, 300)));
    assert_eq!(timeout_of(d, 5060), Some((20, 60)));
    // Masquerade with fully random ports.
    assert_eq!(d.source_nat.len(), 1);
    assert_eq!(d.source_nat[0].port_preservation, Some(false));
    // The SIP forward on pppoe0; the DNS redirect on the LAN is not a forward.
    assert_eq!(d.forwards.len(), 1);
    assert_eq!(d.forwards[0].protocol, None);
    assert_eq!(d.forwards[0].outside_ports, ports("5060-5061"));
    // Inbound: jump to OUTSIDE-IN for the WAN group, which accepts every DNATed packet.
    let phones = [net("10.20.0.50/32")];
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5060, &[], &phones),
        Some(Action::Accept)
    );
    assert_eq!(
        default_of(d, Path::Inbound),
        (Action::Drop, Certainty::Explicit)
    );
    // Outbound: rule 20 accepts the LAN networks (inside probes match source limits).
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Udp, 5060, &[], &[]),
        Some(Action::Accept)
    );
    // To the router: WireGuard and SSH open, SSH rate limited.
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, 22, &[], &[]),
        Some(Action::Accept)
    );
    assert_eq!(d.brute_force.len(), 1);
    assert_eq!(d.brute_force[0].protocol, Some(Protocol::Tcp));
    assert_eq!(
        default_of(d, Path::ToDevice),
        (Action::Drop, Certainty::Explicit)
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
    // The prompt line is known, not configuration.
    assert_eq!(
        parsed.coverage.class(1),
        Some(sipwall_audit::LineClass::Ignored)
    );
}

#[test]
fn vyos14_script_deletes_the_module_and_uses_zones() {
    let (source, parsed) = fixture("vyos14-hardened.sh");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Vyos14));
    let alg = &d.sip_alg[0];
    assert!(!alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        texts(&source, &alg.evidence),
        vec!["delete system conntrack modules sip"]
    );
    assert_eq!(timeout_of(d, 5060), Some((120, 600)));
    assert_eq!(d.forwards.len(), 1);
    assert_eq!(
        d.forwards[0].source,
        vec![net("192.0.2.0/26"), net("198.51.100.0/27")]
    );
    // Zones: LAN-WAN outbound, WAN-LAN inbound, WAN-LOCAL to the router.
    let provider = [net("192.0.2.1/32")];
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Udp, 5060, &[], &provider),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Tcp, 22, &[], &provider),
        Some(Action::Drop)
    );
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5060, &provider, &[]),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5060, &[], &[]),
        Some(Action::Drop)
    );
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, 22, &[], &[]),
        Some(Action::Drop)
    );
    // The flowtable offload rule.
    assert_eq!(d.offload.len(), 1);
    assert!(d.offload[0].mechanism.contains("flowtable"));
    let s = parsed.coverage.summary();
    assert_eq!(
        s.unknown,
        0,
        "{:?}",
        parsed.coverage.unknown_lines().collect::<Vec<_>>()
    );
    // Script words are known.
    assert!(s.ignored >= 5);
}

#[test]
fn vyos13_config_boot_with_zone_policy() {
    let (source, parsed) = fixture("vyos13-zones.boot");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Vyos13));
    assert_eq!(
        d.version.as_ref().map(|v| v.version.as_str()),
        Some("1.3.8")
    );
    let alg = &d.sip_alg[0];
    assert!(!alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(texts(&source, &alg.evidence), vec!["disable"]);
    assert_eq!(source.line(alg.evidence.spans[0].line - 1).trim(), "sip {");
    assert_eq!(timeout_of(d, 5060), Some((60, 300)));
    // Source NAT to a fixed address keeps ports too (no port range, no randomisation).
    assert_eq!(d.source_nat[0].port_preservation, Some(true));
    assert_eq!(d.forwards.len(), 2);
    assert_eq!(d.forwards[0].outside_ports, ports("5060,5080"));
    let trunk = [net("192.0.2.3/32")];
    let pbx = [net("10.1.1.5/32")];
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5080, &trunk, &pbx),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5060, &[], &pbx),
        Some(Action::Drop)
    );
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Udp, 4500, &[], &[]),
        Some(Action::Accept)
    );
    assert_eq!(
        default_of(d, Path::Outbound),
        (Action::Accept, Certainty::Explicit)
    );
    // Rule evidence includes the block head.
    let rtp = d
        .filters
        .iter()
        .find(|f| f.destination_ports == ports("16384-32767"))
        .expect("the RTP rule");
    assert!(texts(&source, &rtp.evidence).contains(&"rule 30 {"));
    let s = parsed.coverage.summary();
    assert_eq!(
        s.unknown,
        0,
        "{:?}",
        parsed.coverage.unknown_lines().collect::<Vec<_>>()
    );
}

#[test]
fn edgeos_set_commands_hardened() {
    let (source, parsed) = fixture("edgeos-hardened.conf");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Edgeos));
    let alg = &d.sip_alg[0];
    assert!(!alg.enabled);
    assert_eq!(
        texts(&source, &alg.evidence),
        vec!["set system conntrack modules sip disable"]
    );
    assert_eq!(timeout_of(d, 5060), Some((90, 300)));
    // The PPPoE session over eth0 is the WAN; its rulesets and NAT rules apply.
    assert_eq!(d.forwards.len(), 2);
    assert_eq!(d.source_nat.len(), 1);
    assert_eq!(d.source_nat[0].protocol, None);
    let pbx = [net("192.168.2.10/32")];
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, 5060, &[], &pbx),
        Some(Action::Accept)
    );
    assert_eq!(d.brute_force.len(), 1);
    assert_eq!(d.brute_force[0].ports, Ports::single(5060));
    // Offload switched off: no fact.
    assert!(d.offload.is_empty());
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn vyos14_with_sip_disable_is_a_version_issue() {
    let (source, parsed) = fixture("vyos14-sip-disable.conf");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Vyos14));
    assert_eq!(
        d.version.as_ref().map(|v| v.version.as_str()),
        Some("1.4.0")
    );
    let alg = &d.sip_alg[0];
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Unknown);
    let keys: Vec<&str> = d.version_issues.iter().map(|v| v.key.as_str()).collect();
    assert_eq!(
        keys,
        vec!["system conntrack modules sip disable", "firewall name"]
    );
    assert_eq!(
        texts(&source, &d.version_issues[0].evidence),
        vec!["set system conntrack modules sip disable"]
    );
    // Forward filter: LAN -> WAN accepted, default drop; input: telnet/web/SSH dropped.
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Tcp, 443, &[], &[]),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Tcp, 443, &[], &[]),
        Some(Action::Drop)
    );
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, 22, &[], &[]),
        Some(Action::Drop)
    );
    assert_eq!(
        default_of(d, Path::ToDevice),
        (Action::Accept, Certainty::Explicit)
    );
    // The one unknown line.
    let unknown: Vec<u32> = parsed.coverage.unknown_lines().collect();
    assert_eq!(unknown.len(), 1);
    assert_eq!(source.line(unknown[0]), "set frobnicate widget 'on'");
}

#[test]
fn audits_of_the_fixtures_find_the_alg_where_it_is_on() {
    let options = options();
    // (fixture, ALG-001 expected with this certainty, VER-001 expected).
    let cases: [(&str, Option<&str>, bool); 7] = [
        ("vyos13-office-alg-default.conf", Some("default"), false),
        ("edgeos-pbx-no-conntrack.boot", Some("default"), false),
        ("vyos14-sip-module.conf", Some("explicit"), false),
        ("vyos14-sip-disable.conf", Some("unknown"), true),
        ("vyos14-hardened.sh", None, false),
        ("vyos13-zones.boot", None, false),
        ("edgeos-hardened.conf", None, false),
    ];
    for (name, alg, version) in cases {
        let text = common::fixture_text("vyos", name);
        let report = common::audit_report(
            Format::Vyos,
            &text,
            &Hints::default(),
            "fonality-pbxtra",
            &options,
        );
        let algs: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.id == "ALG-001")
            .collect();
        match alg {
            Some(certainty) => {
                assert_eq!(algs.len(), 1, "{name}");
                let found = match algs[0].certainty {
                    Certainty::Explicit => "explicit",
                    Certainty::DefaultInferred { .. } => "default",
                    Certainty::Unknown => "unknown",
                };
                assert_eq!(found, certainty, "{name}");
            }
            None => assert!(algs.is_empty(), "{name}"),
        }
        assert_eq!(
            report.findings.iter().any(|f| f.id == "VER-001"),
            version,
            "{name}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// Corpus

#[test]
fn corpus_files_parse_with_coverage() {
    // (file, minimum share of understood + ignored lines).
    let floors: BTreeMap<&str, f64> = [
        ("edge.vyos", 0.99),
        // Split-file configuration: rules name groups defined in another file (not in the
        // corpus), so those lines stay unknown.
        ("firewall-ipv4.sh", 0.90),
        ("firewall-zone.sh", 0.99),
        ("firewall.sh", 0.99),
        ("nat.sh", 0.95),
        ("vyos#Supermicro_1.4.3#output.txt", 0.99),
        ("config.boot.erl", 0.99),
        ("config.boot.erx", 0.99),
        ("config.boot.poe", 0.99),
    ]
    .into_iter()
    .collect();
    let files: Vec<(String, String)> = ["vyos", "edgeos"]
        .into_iter()
        .flat_map(|dir| {
            common::corpus_files(dir)
                .into_iter()
                .map(move |(name, text)| (format!("{dir}/{name}"), text))
        })
        .collect();
    assert_eq!(files.len(), floors.len());
    let floor = |path: &str| {
        let name = path.split_once('/').unwrap().1;
        *floors
            .get(name)
            .unwrap_or_else(|| panic!("no floor for {name}"))
    };
    for (name, parsed) in common::corpus_parsed(Format::Vyos, files, floor) {
        assert!(parsed.device.vendor.is_some(), "{name}");
        assert_eq!(parsed.device.sip_alg.len(), 1, "{name}");
    }
}

#[test]
fn corpus_facts() {
    let files: BTreeMap<String, String> = common::corpus_files("vyos")
        .into_iter()
        .chain(common::corpus_files("edgeos"))
        .collect();
    let parse = |name: &str| {
        let text = &files[name];
        (
            Source::new(name, text.clone()),
            common::parse(Format::Vyos, text, &Hints::default()),
        )
    };
    // The real VyOS 1.4.3 export with the SIP helper set explicitly.
    let (source, parsed) = parse("vyos#Supermicro_1.4.3#output.txt");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Vyos14));
    assert_eq!(
        d.version.as_ref().map(|v| v.version.as_str()),
        Some("1.4.3")
    );
    assert!(d.sip_alg[0].enabled);
    assert_eq!(
        texts(&source, &d.sip_alg[0].evidence),
        vec!["set system conntrack modules sip"]
    );
    assert_eq!(timeout_of(d, 5060), Some((30, 180)));
    assert_eq!(d.udp_timeouts[0].evidence.certainty, Certainty::Explicit);
    // The EdgeRouter examples: a forward of 2222 to the router's SSH, helper on by default.
    for name in ["config.boot.erl", "config.boot.erx", "config.boot.poe"] {
        let (source, parsed) = parse(name);
        let d = &parsed.device;
        assert_eq!(d.vendor, Some(Vendor::Edgeos), "{name}");
        assert_eq!(
            d.version.as_ref().map(|v| v.version.as_str()),
            Some("1.9.1")
        );
        assert!(d.sip_alg[0].enabled);
        let ssh = d
            .forwards
            .iter()
            .find(|f| f.outside_ports == Ports::single(2222))
            .expect("the SSH forward");
        assert_eq!(ssh.inside_ports(), &Ports::single(22));
        assert_eq!(ssh.protocol, None);
        assert!(texts(&source, &ssh.evidence).contains(&"original-port 2222"));
        // WAN_LOCAL accepts SSH to the router from anywhere.
        assert_eq!(
            verdict(
                d,
                Path::ToDevice,
                Protocol::Tcp,
                22,
                &[],
                &[net("192.168.1.1/32")]
            ),
            Some(Action::Accept),
            "{name}"
        );
        assert_eq!(d.source_nat[0].port_preservation, Some(true));
        assert!(!d.offload.is_empty(), "{name}");
    }
    // NAT redirects on LAN interfaces are not forwards; the forward to qBittorrent is.
    let (_, parsed) = parse("nat.sh");
    let d = &parsed.device;
    assert_eq!(d.forwards.len(), 1);
    assert_eq!(d.forwards[0].outside_ports, Ports::single(50413));
    // edge.vyos: jumps to DREN chains on eth2 (not the WAN), permissive base chains.
    let (_, parsed) = parse("edge.vyos");
    assert_eq!(
        default_of(&parsed.device, Path::Inbound),
        (Action::Accept, Certainty::Explicit)
    );
}

// ------------------------------------------------------------------------------------------
// Round trips through the renderer

/// The policy's forwards as (protocol, target) -> ports, IPv4 targets only (the renderer
/// writes no NAT66).
fn wanted_forwards(
    policy: &sipwall_firewall::Policy,
) -> BTreeMap<(Option<Protocol>, IpAddr), Ports> {
    let mut out: BTreeMap<(Option<Protocol>, IpAddr), Ports> = BTreeMap::new();
    for f in policy.nat.port_forwards.iter().filter(|f| f.to.is_ipv4()) {
        let entry = out
            .entry((f.protocol, f.to))
            .or_insert_with(|| f.ports.clone());
        *entry = Ports::from_ranges(entry.ranges().into_iter().chain(f.ports.ranges()));
    }
    out
}

fn parsed_forwards(device: &Device) -> BTreeMap<(Option<Protocol>, IpAddr), Ports> {
    let mut out: BTreeMap<(Option<Protocol>, IpAddr), Ports> = BTreeMap::new();
    for f in &device.forwards {
        let to = f.to.expect("forwards name their target");
        assert_eq!(f.to_ports, None);
        let entry = out
            .entry((f.protocol, to))
            .or_insert_with(|| f.outside_ports.clone());
        *entry = Ports::from_ranges(entry.ranges().into_iter().chain(f.outside_ports.ranges()));
    }
    out
}

fn has_fqdn(list: &[Address]) -> bool {
    list.iter().any(|a| matches!(a, Address::Fqdn(_)))
}

#[test]
fn renderings_round_trip_to_the_policy() {
    let options = options();
    for id in common::profile_ids() {
        let policy = common::policy(id, &options);
        for vendor in DIALECTS {
            let text = common::render(vendor, id, &options);
            for hints in [Hints::default(), hints("eth0", "eth1")] {
                let at = format!("{vendor}/{id} (hints {:?})", hints.wan);
                let parsed = common::parse(Format::Vyos, &text, &hints);
                let d = &parsed.device;
                assert_eq!(Format::detect(&text).ok(), Some(Format::Vyos), "{at}");
                assert_eq!(d.vendor, Some(vendor), "{at}");
                // ALG off, explicitly, when the profile asks (else the dialect's default).
                if policy.sip_alg_off() {
                    assert!(d.sip_alg.iter().all(|a| !a.enabled), "{at}");
                    assert_eq!(d.sip_alg[0].evidence.certainty, Certainty::Explicit, "{at}");
                } else {
                    assert!(matches!(
                        d.sip_alg[0].evidence.certainty,
                        Certainty::DefaultInferred { .. }
                    ));
                }
                // UDP timeouts at least the policy's on its ports.
                for t in policy
                    .timeouts
                    .iter()
                    .filter(|t| t.protocol == Protocol::Udp)
                {
                    let probe = match &t.scope {
                        TimeoutScope::Global => vec![5060],
                        TimeoutScope::Ports(p) => p.ranges().iter().map(|r| r.first).collect(),
                    };
                    for port in probe {
                        let (unreplied, replied) = timeout_of(d, port).expect("a timeout");
                        assert!(
                            unreplied >= t.unreplied_seconds && replied >= t.replied_seconds,
                            "{at}: {port} {unreplied}/{replied} < {}/{}",
                            t.unreplied_seconds,
                            t.replied_seconds
                        );
                    }
                }
                // Source NAT keeps ports.
                assert_eq!(
                    !d.source_nat.is_empty(),
                    policy.nat.source_nat.is_some(),
                    "{at}"
                );
                assert!(
                    d.source_nat
                        .iter()
                        .all(|n| n.port_preservation == Some(true)),
                    "{at}"
                );
                // Forwards equal the policy's; no DMZ host.
                assert_eq!(parsed_forwards(d), wanted_forwards(&policy), "{at}");
                assert!(
                    d.forwards
                        .iter()
                        .all(|f| !(f.protocol.is_none() && f.outside_ports.is_any())),
                    "{at}"
                );
                // Required flows pass (legacy dialects comment out rules for DNS names).
                let legacy = vendor != Vendor::Vyos14;
                for rule in policy.rules.iter().filter(|r| r.required) {
                    if legacy && (has_fqdn(&rule.destination) || has_fqdn(&rule.source)) {
                        continue;
                    }
                    let path = match rule.direction {
                        Direction::Outbound => Path::Outbound,
                        Direction::Inbound => Path::Inbound,
                    };
                    for range in rule.destination_ports.ranges() {
                        for port in [range.first, range.last] {
                            assert_eq!(
                                verdict_from(
                                    d,
                                    path,
                                    rule.protocol,
                                    port,
                                    &rule.source,
                                    &rule.source_ports,
                                    &rule.destination
                                ),
                                Some(Action::Accept),
                                "{at}: {} {port}",
                                rule.name
                            );
                        }
                    }
                }
                assert_eq!(
                    default_of(d, Path::Outbound).0,
                    policy.forward_default,
                    "{at}"
                );
                // Forbidden inbound ports dropped on the forward path (and, on 1.4 where the
                // input chain is attached, to the router).
                for item in &policy.hygiene.forbidden_inbound {
                    assert_eq!(
                        verdict(d, Path::Inbound, item.protocol, item.port, &[], &[]),
                        Some(Action::Drop),
                        "{at}: {}",
                        item.port
                    );
                    if vendor == Vendor::Vyos14 {
                        assert_eq!(
                            verdict(d, Path::ToDevice, item.protocol, item.port, &[], &[]),
                            Some(Action::Drop),
                            "{at}: {}",
                            item.port
                        );
                    }
                }
                // Brute-force limits (legacy dialects comment out counts above 20).
                for limit in &policy.brute_force {
                    if legacy && limit.max_new_sessions > 20 {
                        continue;
                    }
                    assert!(
                        d.brute_force
                            .iter()
                            .any(|b| b.protocol == Some(limit.protocol)
                                && limit.ports.subtract(&b.ports).is_none()),
                        "{at}: {}",
                        limit.name
                    );
                }
                let summary = parsed.coverage.summary();
                assert_eq!(
                    summary.unknown,
                    0,
                    "{at}: {:?}",
                    parsed
                        .coverage
                        .unknown_lines()
                        .map(|l| text.lines().nth(l as usize - 1).unwrap_or(""))
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}

#[test]
fn explained_renderings_give_the_same_facts() {
    let options = options();
    for id in common::profile_ids() {
        let policy = common::policy(id, &options);
        for vendor in DIALECTS {
            let plain = common::parse(
                Format::Vyos,
                &vendor.render(&policy, false).text,
                &Hints::default(),
            );
            let explained = common::parse(
                Format::Vyos,
                &vendor.render(&policy, true).text,
                &Hints::default(),
            );
            let at = format!("{vendor}/{id}");
            assert_eq!(explained.coverage.summary().unknown, 0, "{at}");
            let (a, b) = (&plain.device, &explained.device);
            assert_eq!(a.filters.len(), b.filters.len(), "{at}");
            assert_eq!(a.forwards.len(), b.forwards.len(), "{at}");
            let timeouts = |d: &Device| {
                d.udp_timeouts
                    .iter()
                    .map(|t| (t.scope.clone(), t.unreplied_seconds, t.replied_seconds))
                    .collect::<Vec<_>>()
            };
            assert_eq!(timeouts(a), timeouts(b), "{at}");
            assert_eq!(
                a.sip_alg.iter().map(|s| s.enabled).collect::<Vec<_>>(),
                b.sip_alg.iter().map(|s| s.enabled).collect::<Vec<_>>(),
                "{at}"
            );
        }
    }
}

#[test]
fn audit_of_a_rendering_has_no_findings() {
    let options = options();
    for id in common::profile_ids() {
        for vendor in DIALECTS {
            let text = common::render(vendor, id, &options);
            let ids: Vec<&str> =
                common::audit_ids(Format::Vyos, &text, &hints("eth0", "eth1"), id, &options)
                    .into_iter()
                    .filter(|id| *id != "PRS-001")
                    .collect();
            let expected = expected_rendering_findings(vendor, id);
            assert_eq!(ids, expected, "{vendor}/{id}");
        }
    }
}

/// Findings a rendering keeps by design: on VyOS 1.3 / EdgeOS, rules for DNS names are
/// rendered commented out (no DNS-name objects), so those required flows stay blocked until
/// the address group is filled in (unless another rule passes them, from the flow's source
/// ports).
fn expected_rendering_findings(vendor: Vendor, id: &str) -> Vec<&'static str> {
    if vendor == Vendor::Vyos14 {
        return Vec::new();
    }
    let options = options();
    let policy = common::policy(id, &options);
    let parsed = common::parse(
        Format::Vyos,
        &common::render(vendor, id, &options),
        &hints("eth0", "eth1"),
    );
    let blocked = policy
        .rules
        .iter()
        .filter(|r| r.required && (has_fqdn(&r.destination) || has_fqdn(&r.source)))
        .filter(|r| {
            let path = match r.direction {
                Direction::Outbound => Path::Outbound,
                Direction::Inbound => Path::Inbound,
            };
            // The flow's source ports count: the RTP accept from 55000-56000 to anywhere
            // does not pass the SIP flow from 65002.
            r.destination_ports.ranges().iter().any(|range| {
                verdict_from(
                    &parsed.device,
                    path,
                    r.protocol,
                    range.first,
                    &r.source,
                    &r.source_ports,
                    &r.destination,
                ) != Some(Action::Accept)
            })
        })
        .count();
    let mut expected = vec!["ACL-001"; blocked];
    // The drops for the router itself are not attached on these dialects (the rendering's
    // `router-input` limitation), so the forbidden ports stay open to it by default.
    if !policy.hygiene.forbidden_inbound.is_empty() {
        expected.push("ACL-003");
    }
    expected
}

/// Audits `text` against the profile (the renderer's options and hints), finding ids sorted,
/// PRS-001 left out.
fn audit(text: &str, id: &str) -> Vec<&'static str> {
    common::audit_ids(Format::Vyos, text, &hints("eth0", "eth1"), id, &options())
        .into_iter()
        .filter(|id| *id != "PRS-001")
        .collect()
}

fn without(text: &str, line: &str) -> String {
    assert!(text.lines().any(|l| l == line), "no line {line:?}");
    text.lines()
        .filter(|l| *l != line)
        .map(|l| format!("{l}\n"))
        .collect()
}

fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "no {from:?}");
    text.replace(from, to)
}

#[test]
fn removing_each_safety_line_yields_its_finding() {
    let id = "fonality-pbxtra-premise";
    for vendor in DIALECTS {
        let mut text = common::render(vendor, id, &options());
        if vendor != Vendor::Vyos14 {
            // The manual step the legacy renderings leave (their `router-input` limitation):
            // attach the router-input rulesets to the WAN interface.
            text.push_str(
                "set interfaces ethernet eth0 firewall local name SIPWALL_WAN_LOCAL\n\
                 set interfaces ethernet eth0 firewall local ipv6-name SIPWALL6_WAN_LOCAL\n",
            );
        }
        assert_eq!(audit(&text, id), Vec::<&str>::new(), "{vendor}");
        let (alg_off, wan_in, prefix) = match vendor {
            Vendor::Vyos14 => (
                "delete system conntrack modules sip",
                "firewall ipv4 name SIPWALL-WAN-IN",
                "set nat destination rule",
            ),
            Vendor::Vyos13 => (
                "set system conntrack modules sip disable",
                "firewall name SIPWALL_WAN_IN",
                "set nat destination rule",
            ),
            _ => (
                "set system conntrack modules sip disable",
                "firewall name SIPWALL_WAN_IN",
                "set service nat rule",
            ),
        };
        // ALG off removed: the dialect's default turns the helper on (1.3 / EdgeOS), and on
        // 1.4 setting the module turns it on.
        let mutated = if vendor == Vendor::Vyos14 {
            replaced(&text, alg_off, "set system conntrack modules sip")
        } else {
            without(&text, alg_off)
        };
        assert_eq!(audit(&mutated, id), vec!["ALG-001"], "{vendor}: ALG");
        // The raised UDP timeout removed: back to the 30 s default.
        let mutated = without(&text, "set system conntrack timeout udp other 90");
        assert_eq!(audit(&mutated, id), vec!["TMO-001"], "{vendor}: timeout");
        // The source whitelist on the SIP forward removed: SIP open to anyone.
        let first = format!(
            "{prefix} {} source address 203.0.113.0/24",
            if vendor == Vendor::Edgeos { 4001 } else { 6001 }
        );
        let mutated = without(&text, &first);
        let mutated = without(
            &mutated,
            &format!("set {wan_in} rule 140 source address 203.0.113.0/24"),
        );
        let ids = audit(&mutated, id);
        assert!(ids.contains(&"ACL-002"), "{vendor}: whitelist {ids:?}");
        // The brute-force rules removed (rules 30 and 40 of the WAN chains).
        let mutated: String = text
            .lines()
            .filter(|l| {
                !(l.contains("WAN-IN rule 30 ")
                    || l.contains("WAN-IN rule 40 ")
                    || l.contains("WAN_IN rule 30 ")
                    || l.contains("WAN_IN rule 40 "))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        // Only limits on ports forwarded from everyone count: the SIP forward limited to the
        // provider's addresses needs none.
        let policy = common::policy(id, &options());
        let limits = policy
            .brute_force
            .iter()
            .filter(|limit| {
                policy.nat.port_forwards.iter().any(|f| {
                    f.protocol.is_none_or(|p| p == limit.protocol)
                        && f.ports.intersect(&limit.ports).is_some()
                        && !policy.hygiene.source_whitelists.iter().any(|w| {
                            w.protocol == limit.protocol
                                && w.ports.intersect(&limit.ports).is_some()
                        })
                })
            })
            .count();
        assert_eq!(
            audit(&mutated, id),
            vec!["ABU-001"; limits],
            "{vendor}: brute force"
        );
        // Masquerade with random ports (VyOS 1.4 / 1.3 translation option).
        if vendor != Vendor::Edgeos {
            let mutated = format!(
                "{text}set nat source rule 6000 translation options port-mapping 'random'\n"
            );
            assert_eq!(
                audit(&mutated, id),
                vec!["NAT-001"],
                "{vendor}: port mapping"
            );
        }
    }
    // The router's own drop of SSH weakened to an accept (1.4, where the input chain is
    // attached by the rendering): SSH open to the WAN.
    let text = common::render(Vendor::Vyos14, id, &options());
    let mutated = replaced(
        &text,
        "set firewall ipv4 name SIPWALL-WAN-LOCAL rule 20 action drop",
        "set firewall ipv4 name SIPWALL-WAN-LOCAL rule 20 action accept",
    );
    let mutated = replaced(
        &mutated,
        "set firewall ipv6 name SIPWALL6-WAN-LOCAL rule 20 action drop",
        "set firewall ipv6 name SIPWALL6-WAN-LOCAL rule 20 action accept",
    );
    assert_eq!(audit(&mutated, id), vec!["ACL-003"]);
    // A forward of SSH added.
    for vendor in [Vendor::Vyos13, Vendor::Vyos14] {
        let text = common::render(vendor, id, &options());
        let interface = if vendor == Vendor::Vyos14 {
            "name eth0"
        } else {
            "eth0"
        };
        let mutated = format!(
            "{text}set nat destination rule 7000 inbound-interface {interface}\n\
             set nat destination rule 7000 protocol tcp\n\
             set nat destination rule 7000 destination port 2222\n\
             set nat destination rule 7000 translation address 192.168.1.10\n\
             set nat destination rule 7000 translation port 22\n"
        );
        assert_eq!(
            common::minus(audit(&mutated, id), &audit(&text, id)),
            vec!["ACL-003"],
            "{vendor}: SSH forward"
        );
    }
}

// ------------------------------------------------------------------------------------------
// Robustness

fn parse_any(text: &str) -> Result<Parsed, sipwall_audit::ParseError> {
    Format::Vyos.parse(&Source::new("x", text), &Hints::default())
}

#[test]
fn garbage_empty_and_binary_inputs_error_with_a_hint() {
    let texts = [
        "",
        "\n\n   \n",
        "\0\u{1}\u{2}binary",
        "hello world\nthis is not a firewall\n",
        "{{{{ }}}}",
        "set\nset\n",
        "<?xml version=\"1.0\"?><pfsense></pfsense>",
    ];
    common::assert_refused_with_hint_naming(Format::Vyos, &texts, "show configuration commands");
}

#[test]
fn other_vendors_renderings_are_not_taken_for_vyos() {
    let owns = common::assert_renderings_claimed_only_by_own(
        Format::Vyos,
        |v| DIALECTS.contains(&v),
        "fonality-pbxtra-premise",
        &Options::default(),
        29,
    );
    assert_eq!(owns.len(), DIALECTS.len());
    for (vendor, text) in owns {
        let score = Format::Vyos.fingerprint(&text);
        assert!(score >= 90, "{vendor}: {score}");
    }
    // Other formats in the corpus.
    for dir in [
        "junos",
        "panos",
        "fortios",
        "cisco-asa",
        "mikrotik",
        "openwrt",
        "nftables",
        "iptables",
        "pfsense",
        "opnsense",
    ] {
        for (name, text) in common::corpus_files(dir) {
            let score = Format::Vyos.fingerprint(&text);
            assert!(score < 30, "{dir}/{name}: {score}");
        }
    }
}

/// A small deterministic generator (xorshift) for cut points.
fn cuts(seed: u64, len: usize, count: usize) -> Vec<usize> {
    let mut state = seed | 1;
    (0..count)
        .map(|_| (common::xorshift(&mut state) % (len as u64 + 1)) as usize)
        .collect()
}

#[test]
fn truncated_exports_parse_partially_or_error_with_a_hint() {
    let mut texts: Vec<String> = DIALECTS
        .iter()
        .map(|v| common::render(*v, "fonality-pbxtra-premise", &options()))
        .collect();
    texts.extend(common::corpus_files("edgeos").into_iter().map(|(_, t)| t));
    for (i, text) in texts.iter().enumerate() {
        let mut cuts = cuts(0x5eed + i as u64, text.len(), 20).into_iter();
        let hints = Hints::default();
        let cut = |_| cuts.next().unwrap();
        for (_, parsed) in common::truncations_parse_or_hint(Format::Vyos, text, &hints, 20, cut) {
            assert_eq!(parsed.device.sip_alg.len(), 1);
            assert_eq!(parsed.device.default_actions.len(), 3);
        }
    }
}

#[test]
fn hostile_inputs_do_not_panic() {
    let deep = "a {\n".repeat(10_000) + &"}\n".repeat(10_001);
    let long_path = format!("set {}\n", "x ".repeat(50_000));
    let loops = "set firewall ipv4 name A rule 1 action jump\nset firewall ipv4 name A rule 1 jump-target B\n\
                 set firewall ipv4 name B rule 1 action jump\nset firewall ipv4 name B rule 1 jump-target A\n\
                 set firewall ipv4 forward filter rule 1 action jump\nset firewall ipv4 forward filter rule 1 jump-target A\n\
                 set firewall group port-group P include P\nset firewall group port-group P port 70000\n\
                 set firewall ipv4 name A rule 2 destination group port-group P\n\
                 set nat destination rule 99999999999 destination port 1-99999\n\
                 set system conntrack timeout udp other 99999999999\n\
                 set firewall group address-group G address 10.0.0.0-10.255.255.255\n\
                 set firewall group address-group G address ::-ffff::\n";
    for text in [
        deep.as_str(),
        long_path.as_str(),
        loops,
        "set '\n",
        "}\n}\n{\n",
        "set \"\n",
    ] {
        let _ = parse_any(text);
    }
    let parsed = parse_any(loops).expect("a VyOS text");
    assert_eq!(parsed.device.default_actions.len(), 3);
    // Many jumps (each with a matcher) into one long chain: the walk is bounded.
    let mut fan = String::from("set nat source rule 1 outbound-interface 'eth0'\n");
    for i in 1..=1500 {
        fan.push_str(&format!(
            "set firewall ipv4 forward filter rule {i} action 'jump'\n\
             set firewall ipv4 forward filter rule {i} jump-target 'BIG'\n\
             set firewall ipv4 forward filter rule {i} destination port '{i}'\n\
             set firewall ipv4 forward filter rule {i} protocol 'udp'\n\
             set firewall ipv4 name BIG rule {i} action 'accept'\n\
             set firewall ipv4 name BIG rule {i} source address '10.0.0.{}'\n",
            i % 250
        ));
    }
    let parsed = parse_any(&fan).expect("a VyOS text");
    assert!(parsed.device.filters.len() <= 3 * 2 * 200_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = parse_any(&text);
        let _ = Format::Vyos.fingerprint(&text);
    }

    #[test]
    fn vyatta_like_lines_never_panic(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("set firewall name WAN_IN rule 10 action accept".to_string()),
                Just("set firewall ipv4 forward filter rule 5 action jump".to_string()),
                Just("delete system conntrack modules sip".to_string()),
                Just("}".to_string()),
                Just("rule 10 {".to_string()),
                "set [a-z ]{0,40}",
                "[a-z0-9 '{}/*!-]{0,40}",
            ],
            0..40,
        )
    ) {
        let _ = parse_any(&lines.join("\n"));
    }

    #[test]
    fn shuffled_renderings_never_panic(seed in any::<u64>(), dialect in 0usize..3) {
        let text = common::render(DIALECTS[dialect], "fonality-pbxtra-premise", &options());
        let mut lines: Vec<&str> = text.lines().collect();
        let order = cuts(seed, lines.len().max(1), lines.len());
        for (i, j) in order.into_iter().enumerate() {
            let j = j.min(lines.len().saturating_sub(1));
            lines.swap(i, j);
        }
        let shuffled = lines.join("\n");
        if let Ok(parsed) = parse_any(&shuffled) {
            prop_assert_eq!(parsed.device.sip_alg.len(), 1);
        }
    }
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let id = "rfc-baseline";
    let options = options();
    for vendor in DIALECTS {
        let text = common::render(vendor, id, &options);
        // The flow's rules (IPv4 and IPv6): `… rule N description 'sipwall: sip-udp-tcp-out-udp'`.
        let tail = " description 'sipwall: sip-udp-tcp-out-udp'";
        assert!(
            text.lines().any(|l| l.ends_with(tail)),
            "{vendor}: the flow's rule"
        );
        let with = |ports: &str| {
            let mut out = String::new();
            for line in text.lines() {
                out.push_str(line);
                out.push('\n');
                if let Some(rule) = line.strip_suffix(tail) {
                    out.push_str(&format!("{rule} source port {ports}\n"));
                }
            }
            out
        };
        common::assert_source_port_limit_blocks(
            Format::Vyos,
            &text,
            &with("55000-56000"),
            Some(&with("1-65535")),
            (&hints("eth0", "eth1"), id, &options),
            "sip-udp-tcp-out-udp",
        );
    }
}
