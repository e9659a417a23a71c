//! MikroTik RouterOS parser: hand-written exports modelled on real ones (compact, terse,
//! verbose, v7 slash syntax, v6 and v7), the third-party corpus read in place, round trips of
//! every built-in profile rendered by `sipwall rules` for v6 and v7, and robustness.

mod common;

use proptest::prelude::*;
use sipwall_audit::device::{Certainty, DefaultAction, Device, Path};
use sipwall_audit::formats::mikrotik;
use sipwall_audit::{Format, Hints, LineClass, Parsed, Source};
use sipwall_firewall::model::{Action, Address, Direction, PortRange, Ports, Protocol};
use sipwall_firewall::{Options, Vendor};

const DIALECTS: [Vendor; 2] = [Vendor::MikrotikV6, Vendor::MikrotikV7];

/// The interfaces the renderer tests use (the RouterOS default configuration's).
fn options() -> Options {
    Options {
        wan: "ether1".into(),
        lan: "bridge".into(),
        ..Options::default()
    }
}

fn hints() -> Hints {
    Hints {
        wan: vec!["ether1".into()],
        lan: vec!["bridge".into()],
    }
}

fn fixture(name: &str) -> (Source, Parsed) {
    let text = common::fixture_text("mikrotik", name);
    assert_eq!(Format::detect(&text).ok(), Some(Format::Mikrotik), "{name}");
    common::read(Format::Mikrotik, name, &text)
}

fn net(text: &str) -> Address {
    Address::Net(text.parse().unwrap())
}

fn ports(text: &str) -> Ports {
    Ports::from_ranges(text.split(',').map(|p| {
        let (a, b) = p.split_once('-').unwrap_or((p, p));
        PortRange::new(a.parse().unwrap(), b.parse().unwrap())
    }))
}

fn is_default(certainty: &Certainty) -> bool {
    matches!(certainty, Certainty::DefaultInferred { .. })
}

fn no_unknown_lines(source: &Source, parsed: &Parsed) {
    let unknown: Vec<String> = parsed
        .coverage
        .unknown_lines()
        .map(|n| format!("{n}: {}", source.line(n)))
        .collect();
    assert!(
        unknown.is_empty(),
        "{}: unknown lines {unknown:#?}",
        source.name
    );
}

/// `a` contains `b` (prefixes, or the same DNS name).
fn contains(a: &Address, b: &Address) -> bool {
    match (a, b) {
        (Address::Net(a), Address::Net(b)) => a.contains(b),
        (Address::Fqdn(a), Address::Fqdn(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

fn covers(rule: &[Address], probe: &[Address]) -> bool {
    rule.is_empty()
        || (!probe.is_empty() && probe.iter().all(|p| rule.iter().any(|r| contains(r, p))))
}

/// The verdict for new connections to `ports` on `path`: the first non-conditional rule that
/// matches all of them, else the path's default.
fn verdict(
    device: &Device,
    path: Path,
    protocol: Protocol,
    ports: &Ports,
    source: &[Address],
    destination: &[Address],
) -> Action {
    for rule in device
        .filters
        .iter()
        .filter(|r| r.path == path && !r.conditional)
    {
        if rule.protocol.is_some_and(|p| p != protocol)
            || ports.subtract(&rule.destination_ports).is_some()
            || !covers(&rule.source, source)
            || !covers(&rule.destination, destination)
        {
            continue;
        }
        return rule.action;
    }
    default_on(device, path).action
}

/// The default action of `path`.
fn default_on(device: &Device, path: Path) -> &DefaultAction {
    device
        .default_actions
        .iter()
        .find(|d| d.path == path)
        .expect("a default for every path")
}

fn alg_on_5060(device: &Device) -> bool {
    device.sip_alg.iter().any(|a| {
        a.enabled
            && a.scope
                .iter()
                .any(|(_, ports)| ports.intersect(&Ports::single(5060)).is_some())
    })
}

// ---------------------------------------------------------------------------------------
// Hand-written exports
// ---------------------------------------------------------------------------------------

#[test]
fn v7_default_configuration_leaves_the_helper_on() {
    let (source, parsed) = fixture("v7_defconf_alg_default.rsc");
    no_unknown_lines(&source, &parsed);
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::MikrotikV7));
    let version = device.version.as_ref().unwrap();
    assert_eq!(version.version, "7.14.3");
    assert_eq!(source.text_of(version.span), "7.14.3");

    // No `/ip firewall service-port` section: the SIP helper runs (default, no line).
    assert_eq!(device.sip_alg.len(), 1);
    let alg = &device.sip_alg[0];
    assert!(alg.enabled);
    assert!(is_default(&alg.evidence.certainty));
    assert!(alg.evidence.spans.is_empty());
    assert!(alg_on_5060(device));

    // Timeouts at the defaults, cited.
    let timeout = &device.udp_timeouts[0];
    assert_eq!(timeout.unreplied_seconds, Some(10));
    assert_eq!(timeout.replied_seconds, Some(180));
    assert!(is_default(&timeout.evidence.certainty));

    // Masquerade on the WAN list keeps ports.
    assert_eq!(device.source_nat.len(), 1);
    assert_eq!(device.source_nat[0].port_preservation, Some(true));
    assert!(
        source
            .text_of(device.source_nat[0].evidence.spans[0])
            .contains("defconf: masquerade")
    );

    // Three forwards (the disabled one is no fact): SIP and RTP open to any source, and
    // 2222 → 22.
    let forwards: Vec<(Option<Protocol>, String, Option<Ports>)> = device
        .forwards
        .iter()
        .map(|f| (f.protocol, f.outside_ports.to_string(), f.to_ports.clone()))
        .collect();
    assert_eq!(
        forwards,
        vec![
            (Some(Protocol::Udp), "5060".into(), None),
            (Some(Protocol::Udp), "10000-20000".into(), None),
            (Some(Protocol::Tcp), "2222".into(), Some(Ports::single(22))),
        ]
    );
    assert!(
        device
            .forwards
            .iter()
            .all(|f| f.source.is_empty() && f.to == Some("192.168.88.10".parse().unwrap()))
    );
    assert_eq!(device.forwards[2].inside_ports(), &Ports::single(22));

    // FastTrack of everything established, into the switch chip: RTP included.
    assert_eq!(device.offload.len(), 1);
    assert!(device.offload[0].ports.is_any());
    assert!(device.offload[0].mechanism.contains("hw-offload=yes"));

    // Inbound: only the conditional "not DSTNATed" drop, then the implicit accept, so the
    // forwarded SIP port is reachable from anywhere.
    let sip_inbound = verdict(
        device,
        Path::Inbound,
        Protocol::Udp,
        &Ports::single(5060),
        &[],
        &[],
    );
    assert_eq!(sip_inbound, Action::Accept);
    let inbound: Vec<_> = device
        .filters
        .iter()
        .filter(|r| r.path == Path::Inbound)
        .collect();
    // The two IPsec accepts and the drop, all conditional.
    assert_eq!(inbound.len(), 3);
    assert!(inbound.iter().all(|r| r.conditional));
    let drop = inbound[2];
    assert_eq!(drop.action, Action::Drop);
    assert_eq!(
        source.text_of(drop.evidence.spans[1]),
        "\"defconf: drop all from WAN not DSTNATed\" connection-nat-state=!dstnat \\"
    );

    // The router itself: everything from the WAN dropped by the last input rule.
    let to_device = default_on(device, Path::ToDevice);
    assert_eq!(to_device.action, Action::Drop);
    assert_eq!(to_device.evidence.certainty, Certainty::Explicit);
    assert!(
        source
            .text_of(to_device.evidence.spans[0])
            .contains("drop all not coming from LAN")
    );
    assert_eq!(
        verdict(
            device,
            Path::ToDevice,
            Protocol::Tcp,
            &Ports::single(22),
            &[],
            &[]
        ),
        Action::Drop
    );
    assert!(device.version_issues.is_empty());
}

#[test]
fn v6_export_with_the_helper_switched_on_explicitly() {
    let (source, parsed) = fixture("v6_alg_explicit_on.rsc");
    no_unknown_lines(&source, &parsed);
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::MikrotikV6));
    assert_eq!(device.version.as_ref().unwrap().version, "6.49.10");

    let alg = &device.sip_alg[0];
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        source.text_of(alg.evidence.spans[0]),
        "set sip disabled=no ports=5060"
    );
    assert_eq!(
        alg.scope,
        vec![
            (Protocol::Udp, Ports::single(5060)),
            (Protocol::Tcp, Ports::single(5060))
        ]
    );

    // udp-timeout set, udp-stream-timeout at its default.
    let timeout = &device.udp_timeouts[0];
    assert_eq!(timeout.unreplied_seconds, Some(30));
    assert_eq!(timeout.replied_seconds, Some(180));
    assert_eq!(timeout.evidence.certainty, Certainty::Explicit);
    assert_eq!(source.text_of(timeout.evidence.spans[0]), "udp-timeout=30s");

    // The WAN is the PPPoE client (the WAN list's member, the masquerade interface).
    assert_eq!(device.source_nat.len(), 1);
    assert_eq!(device.forwards.len(), 2);
    assert_eq!(device.forwards[1].outside_ports, ports("16384-16482"));

    // The SIP chain: scanners banned by a trap rule, the provider accepted, the rest dropped.
    assert_eq!(device.brute_force.len(), 1);
    assert_eq!(device.brute_force[0].protocol, Some(Protocol::Udp));
    assert_eq!(device.brute_force[0].ports, Ports::single(5060));
    let lines: Vec<&str> = device.brute_force[0]
        .evidence
        .spans
        .iter()
        .map(|s| source.text_of(*s))
        .collect();
    assert!(lines.iter().any(|l| l.contains("add-src-to-address-list")));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("src-address-list=sip-scanners"))
    );

    let provider = [net("198.51.100.0/24")];
    assert_eq!(
        verdict(
            device,
            Path::Inbound,
            Protocol::Udp,
            &Ports::single(5060),
            &provider,
            &[]
        ),
        Action::Accept
    );
    assert_eq!(
        verdict(
            device,
            Path::Inbound,
            Protocol::Udp,
            &Ports::single(5060),
            &[],
            &[]
        ),
        Action::Drop
    );
    let inbound: Vec<_> = device
        .filters
        .iter()
        .filter(|r| r.path == Path::Inbound)
        .collect();
    assert!(inbound[0].conditional, "the ban matches a dynamic list");
    assert_eq!(
        inbound[1].source,
        vec![net("198.51.100.0/24"), net("203.0.113.40/32")]
    );

    // FastTrack marks established connections, RTP included.
    assert!(device.offload[0].ports.is_any());
    assert_eq!(default_on(device, Path::ToDevice).action, Action::Drop);
}

#[test]
fn v7_terse_export_hardened_for_voip() {
    let (source, parsed) = fixture("v7_terse_hardened.rsc");
    no_unknown_lines(&source, &parsed);
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::MikrotikV7));

    let alg = &device.sip_alg[0];
    assert!(!alg.enabled);
    assert_eq!(
        source.text_of(alg.evidence.spans[0]),
        "/ip firewall service-port set sip disabled=yes"
    );
    assert!(!alg_on_5060(device));

    let timeout = &device.udp_timeouts[0];
    assert_eq!(
        (timeout.unreplied_seconds, timeout.replied_seconds),
        (Some(60), Some(300))
    );
    let texts: Vec<&str> = timeout
        .evidence
        .spans
        .iter()
        .map(|s| source.text_of(*s))
        .collect();
    assert_eq!(texts, vec!["udp-timeout=1m", "udp-stream-timeout=5m"]);

    // VoIP is accepted before the FastTrack rule in both directions: not offloaded.
    assert_eq!(device.offload.len(), 1);
    let offloaded = &device.offload[0].ports;
    assert!(offloaded.intersect(&Ports::single(5060)).is_none());
    assert!(offloaded.intersect(&ports("10000-20000")).is_none());
    assert!(offloaded.intersect(&Ports::single(443)).is_some());

    // Outbound: SIP and RTP to the provider list (a DNS name and a prefix), web, DNS/NTP,
    // then a drop of everything else.
    let provider = [
        Address::Fqdn("sip.provider.example".into()),
        net("198.51.100.0/25"),
    ];
    for (protocol, wanted) in [(Protocol::Udp, "5060"), (Protocol::Udp, "10000-20000")] {
        assert_eq!(
            verdict(
                device,
                Path::Outbound,
                protocol,
                &ports(wanted),
                &[],
                &provider
            ),
            Action::Accept
        );
    }
    assert_eq!(
        verdict(
            device,
            Path::Outbound,
            Protocol::Udp,
            &Ports::single(5060),
            &[],
            &[net("192.0.2.1/32")]
        ),
        Action::Drop
    );
    assert_eq!(
        verdict(
            device,
            Path::Outbound,
            Protocol::Tcp,
            &ports("80,443"),
            &[],
            &[]
        ),
        Action::Accept
    );
    let outbound_default = default_on(device, Path::Outbound);
    assert_eq!(outbound_default.action, Action::Drop);
    assert!(
        source
            .text_of(outbound_default.evidence.spans[0])
            .contains("nothing else out")
    );

    // Raw drops SSH/telnet from the WAN before anything else; winbox only from the office.
    assert_eq!(
        verdict(
            device,
            Path::ToDevice,
            Protocol::Tcp,
            &Ports::single(22),
            &[],
            &[]
        ),
        Action::Drop
    );
    let winbox = device
        .filters
        .iter()
        .find(|r| r.path == Path::ToDevice && r.action == Action::Accept)
        .unwrap();
    assert_eq!(
        winbox.source,
        vec![net("192.0.2.10/31"), net("192.0.2.12/31")]
    );
    assert_eq!(winbox.destination_ports, Ports::single(8291));

    // IPv6 firewall lines are known but not modelled.
    let v6 = source
        .lines()
        .find(|(_, l)| l.starts_with("/ipv6 firewall"))
        .unwrap()
        .0;
    assert_eq!(parsed.coverage.class(v6), Some(LineClass::Ignored));
}

#[test]
fn v6_verbose_export_with_a_dmz_host() {
    let (source, parsed) = fixture("v6_verbose_dmz.rsc");
    no_unknown_lines(&source, &parsed);
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::MikrotikV6));

    let alg = &device.sip_alg[0];
    assert!(!alg.enabled);
    assert_eq!(
        source.text_of(alg.evidence.spans[0]),
        "set sip disabled=yes ports=5060,5061 sip-direct-media=yes sip-timeout=1h"
    );

    // Every property is written in verbose: the UDP values on continuation lines.
    let timeout = &device.udp_timeouts[0];
    assert_eq!(
        (timeout.unreplied_seconds, timeout.replied_seconds),
        (Some(10), Some(180))
    );
    assert_eq!(timeout.evidence.certainty, Certainty::Explicit);
    let texts: Vec<&str> = timeout
        .evidence
        .spans
        .iter()
        .map(|s| source.text_of(*s))
        .collect();
    assert_eq!(texts, vec!["udp-timeout=10s", "udp-stream-timeout=3m"]);
    assert_ne!(
        timeout.evidence.spans[0].line,
        timeout.evidence.spans[1].line
    );

    // A dst-nat without protocol and port: the whole host is exposed.
    assert_eq!(device.forwards.len(), 1);
    let dmz = &device.forwards[0];
    assert_eq!(dmz.protocol, None);
    assert!(dmz.outside_ports.is_any());
    assert_eq!(dmz.to, Some("192.168.1.50".parse().unwrap()));
    assert!(
        dmz.evidence
            .spans
            .iter()
            .any(|s| source.text_of(*s).contains("DMZ: phone system"))
    );

    // The WAN (from the masquerade) is dropped on input.
    assert_eq!(device.source_nat[0].port_preservation, Some(true));
    assert_eq!(
        verdict(
            device,
            Path::ToDevice,
            Protocol::Tcp,
            &Ports::single(80),
            &[],
            &[]
        ),
        Action::Drop
    );
}

#[test]
fn v7_script_with_slash_paths_jumps_and_moves() {
    let (source, parsed) = fixture("v7_slash_script.rsc");
    no_unknown_lines(&source, &parsed);
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::MikrotikV7));
    assert!(device.version.is_none());
    assert!(device.version_issues.is_empty());

    assert!(!device.sip_alg[0].enabled);
    assert_eq!(
        source.text_of(device.sip_alg[0].evidence.spans[0]),
        "/ip/firewall/service-port/set sip disabled=yes"
    );
    assert_eq!(device.udp_timeouts[0].unreplied_seconds, Some(45));

    // src-nat with to-ports: source ports are remapped into 40000-60000.
    assert_eq!(device.source_nat.len(), 1);
    assert_eq!(device.source_nat[0].port_preservation, Some(false));

    // Two forwards from the WAN (the DNS redirect on the bridge is not one).
    assert_eq!(device.forwards.len(), 2);
    assert_eq!(
        device.forwards[0].source,
        vec![net("192.0.2.0/26"), net("198.51.100.16/28")]
    );
    assert!(device.forwards[1].source.is_empty());

    // The user chain: signalling only from the trunk, media from anywhere, then `return`
    // (the SSH accept after it is never reached); the forward chain drops the rest.
    let trunk = [net("192.0.2.0/26")];
    assert_eq!(
        verdict(
            device,
            Path::Inbound,
            Protocol::Udp,
            &Ports::single(5060),
            &trunk,
            &[]
        ),
        Action::Accept
    );
    assert_eq!(
        verdict(
            device,
            Path::Inbound,
            Protocol::Udp,
            &Ports::single(5060),
            &[],
            &[]
        ),
        Action::Drop
    );
    assert_eq!(
        verdict(
            device,
            Path::Inbound,
            Protocol::Udp,
            &ports("10000-20000"),
            &[],
            &[]
        ),
        Action::Accept
    );
    assert_eq!(
        verdict(
            device,
            Path::Inbound,
            Protocol::Tcp,
            &Ports::single(22),
            &[],
            &[]
        ),
        Action::Drop
    );
    // Winbox from the WAN (added with place-before=0).
    assert_eq!(
        verdict(
            device,
            Path::ToDevice,
            Protocol::Tcp,
            &Ports::single(8291),
            &[],
            &[]
        ),
        Action::Accept
    );
    // Scripting lines are known and ignored.
    assert_eq!(parsed.coverage.class(3), Some(LineClass::Ignored));
}

#[test]
fn v7_syntax_in_a_v6_export_is_a_version_issue() {
    let (source, parsed) = fixture("v6_with_v7_syntax.rsc");
    no_unknown_lines(&source, &parsed);
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::MikrotikV6));
    let issues: Vec<(&str, &str)> = device
        .version_issues
        .iter()
        .map(|i| (i.key.as_str(), source.text_of(i.evidence.spans[0])))
        .collect();
    assert_eq!(
        issues,
        vec![
            ("routing table", "/routing table"),
            (
                "slash-separated menu path",
                "/ip/firewall/connection/tracking"
            ),
            ("hw-offload", "hw-offload=yes"),
        ]
    );
    // The facts are still read.
    assert!(!device.sip_alg[0].enabled);
    assert_eq!(device.udp_timeouts[0].replied_seconds, Some(600));
}

// ---------------------------------------------------------------------------------------
// Corpus
// ---------------------------------------------------------------------------------------

/// (file, least share of understood + ignored lines).
const CORPUS_FLOORS: &[(&str, f64)] = &[
    // Ends with a multipart boundary line left over from an upload.
    ("MT_R1.rsc", 0.98),
    ("block_ssh_bf.rsc", 1.0),
    ("disable_service.rsc", 1.0),
    ("firewall_default.rsc", 1.0),
    ("routeros#L009UiGS_7.15.2#output.txt", 1.0),
    ("routeros#RB5009UPr+S+_7.18.2#output.txt", 1.0),
    ("routeros_full_sent.txt", 1.0),
];

#[test]
fn corpus_parses_with_coverage() {
    let files = common::corpus_files("mikrotik");
    assert_eq!(files.len(), CORPUS_FLOORS.len());
    let floor = |name: &str| {
        CORPUS_FLOORS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no coverage floor for {name}"))
            .1
    };
    for (_, parsed) in common::corpus_parsed(Format::Mikrotik, files, floor) {
        assert!(!parsed.device.sip_alg.is_empty());
        assert!(!parsed.device.udp_timeouts.is_empty());
        assert_eq!(parsed.device.default_actions.len(), 3);
    }
}

#[test]
fn corpus_facts() {
    let files = common::corpus_files("mikrotik");
    let get = |name: &str| {
        let (_, text) = files.iter().find(|(n, _)| n == name).unwrap();
        common::read(Format::Mikrotik, name, text)
    };
    // The SIP helper switched off.
    let (source, parsed) = get("disable_service.rsc");
    assert!(!parsed.device.sip_alg[0].enabled);
    assert_eq!(
        source.text_of(parsed.device.sip_alg[0].evidence.spans[0]),
        "set sip disabled=yes"
    );
    // A real 7.15.2 export: helper at its default (on), udp-timeout=10s set explicitly,
    // FastTrack in hardware, masquerade.
    let (source, parsed) = get("routeros#L009UiGS_7.15.2#output.txt");
    let device = &parsed.device;
    assert_eq!(device.version.as_ref().unwrap().version, "7.15.2");
    assert!(device.sip_alg[0].enabled && is_default(&device.sip_alg[0].evidence.certainty));
    assert_eq!(device.udp_timeouts[0].unreplied_seconds, Some(10));
    assert_eq!(
        source.text_of(device.udp_timeouts[0].evidence.spans[0]),
        "udp-timeout=10s"
    );
    assert!(device.offload[0].ports.is_any());
    assert_eq!(device.source_nat[0].port_preservation, Some(true));
    // A terse v6 export with a dst-nat of 443 and an input drop for all but an address list.
    let (_, parsed) = get("routeros_full_sent.txt");
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::MikrotikV6));
    assert_eq!(device.forwards.len(), 1);
    assert_eq!(device.forwards[0].outside_ports, Ports::single(443));
    assert_eq!(device.forwards[0].to, Some("10.1.15.10".parse().unwrap()));
    // A filter baseline snippet without header: the last forward rule drops the rest.
    let (_, parsed) = get("firewall_default.rsc");
    let outbound = default_on(&parsed.device, Path::Outbound);
    assert_eq!(outbound.action, Action::Drop);
}

// ---------------------------------------------------------------------------------------
// Round trip: sipwall rules → parse
// ---------------------------------------------------------------------------------------

/// Forwards grouped by (protocol, target), ports merged: the renderer splits long port sets
/// and forwards of both protocols over several rules.
fn forward_map(
    items: impl IntoIterator<Item = (Option<Protocol>, Ports, std::net::IpAddr)>,
) -> std::collections::BTreeMap<(Option<Protocol>, std::net::IpAddr), Ports> {
    let mut map = std::collections::BTreeMap::new();
    for (protocol, ports, to) in items {
        let protocols = match (protocol, &ports) {
            (None, Ports::Set(_)) => vec![Some(Protocol::Udp), Some(Protocol::Tcp)],
            (p, _) => vec![p],
        };
        for protocol in protocols {
            let slot = map.entry((protocol, to)).or_insert(Ports::Set(Vec::new()));
            *slot = Ports::from_ranges(slot.ranges().into_iter().chain(ports.ranges()));
        }
    }
    map
}

fn round_trip(vendor: Vendor, id: &str, hints: &Hints) {
    let options = options();
    let policy = common::policy(id, &options);
    let text = common::render(vendor, id, &options);
    let what = format!("{id} {vendor} (hints: {:?})", hints.wan);
    assert_eq!(Format::detect(&text).ok(), Some(Format::Mikrotik), "{what}");
    let source = Source::new(id, text);
    let parsed = Format::Mikrotik
        .parse(&source, hints)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    no_unknown_lines(&source, &parsed);
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(vendor), "{what}");

    // SIP helper.
    if policy.sip_alg_off() {
        assert!(!alg_on_5060(device), "{what}: helper on");
        assert_eq!(device.sip_alg[0].evidence.certainty, Certainty::Explicit);
    }

    // UDP timeouts at least the policy's.
    let global = device.udp_timeouts.last().unwrap();
    for timeout in &policy.timeouts {
        assert!(
            global.replied_seconds >= Some(timeout.replied_seconds),
            "{what}"
        );
        assert!(
            global.unreplied_seconds >= Some(timeout.unreplied_seconds),
            "{what}"
        );
    }

    // Source NAT keeps ports.
    if policy.nat.source_nat.is_some() {
        assert!(!device.source_nat.is_empty(), "{what}");
    }
    assert!(
        device
            .source_nat
            .iter()
            .all(|n| n.port_preservation == Some(true)),
        "{what}"
    );

    // Forwards as the policy has them; no DMZ host.
    let wanted = forward_map(
        policy
            .nat
            .port_forwards
            .iter()
            .filter(|f| f.to.is_ipv4() && !(f.is_dmz_host() && policy.hygiene.no_dmz.is_some()))
            .map(|f| (f.protocol, f.ports.clone(), f.to)),
    );
    let got = forward_map(
        device
            .forwards
            .iter()
            .map(|f| (f.protocol, f.outside_ports.clone(), f.to.expect("a target"))),
    );
    assert_eq!(got, wanted, "{what}");
    assert!(
        device.forwards.iter().all(|f| f.to_ports.is_none()),
        "{what}"
    );
    if policy.hygiene.no_dmz.is_some() {
        assert!(
            !device
                .forwards
                .iter()
                .any(|f| f.protocol.is_none() && f.outside_ports.is_any()),
            "{what}"
        );
    }

    // Every required flow is accepted on its path, in order, from its sources to its
    // destinations.
    for rule in policy.rules.iter().filter(|r| r.required) {
        let v4 = |addresses: &[Address]| -> Vec<Address> {
            addresses
                .iter()
                .filter(|a| !matches!(a, Address::Net(ipnet::IpNet::V6(_))))
                .cloned()
                .collect()
        };
        let (source_v4, destination_v4) = (v4(&rule.source), v4(&rule.destination));
        if (source_v4.is_empty() && !rule.source.is_empty())
            || (destination_v4.is_empty() && !rule.destination.is_empty())
        {
            continue; // IPv6 only: not rendered for /ip firewall.
        }
        let path = match rule.direction {
            Direction::Outbound => Path::Outbound,
            Direction::Inbound => Path::Inbound,
        };
        assert_eq!(
            verdict(
                device,
                path,
                rule.protocol,
                &rule.destination_ports,
                &source_v4,
                &destination_v4
            ),
            Action::Accept,
            "{what}: {}",
            rule.name
        );
    }

    // Forbidden ports are dropped towards the router and not forwarded.
    for item in &policy.hygiene.forbidden_inbound {
        assert_eq!(
            verdict(
                device,
                Path::ToDevice,
                item.protocol,
                &Ports::single(item.port),
                &[],
                &[]
            ),
            Action::Drop,
            "{what}: {}",
            item.port
        );
    }

    // Brute-force limits become brute-force facts on their ports.
    for limit in &policy.brute_force {
        assert!(
            device
                .brute_force
                .iter()
                .any(|b| b.protocol == Some(limit.protocol)
                    && limit.ports.subtract(&b.ports).is_none()),
            "{what}: {}",
            limit.name
        );
    }
    // Nothing the renderer writes is offloaded or out of version.
    assert!(device.offload.is_empty(), "{what}");
    assert!(device.version_issues.is_empty(), "{what}");
}

#[test]
fn every_builtin_round_trips() {
    for id in common::profile_ids() {
        for vendor in DIALECTS {
            round_trip(vendor, id, &hints());
            // Without --wan/--lan the masquerade interface is taken as the WAN.
            round_trip(vendor, id, &Hints::default());
        }
    }
}

#[test]
fn explained_rendering_round_trips() {
    let mut options = options();
    options.forward_default = Action::Accept;
    let policy = common::policy("fonality-pbxtra-premise", &options);
    let text = Vendor::MikrotikV7.render(&policy, true).text;
    let source = Source::new("explained", text);
    let parsed = Format::Mikrotik.parse(&source, &hints()).unwrap();
    no_unknown_lines(&source, &parsed);
    assert!(!alg_on_5060(&parsed.device));
}

// ---------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------

#[test]
fn not_routeros_is_an_error_with_a_hint() {
    let texts = [
        "",
        "\n\n   \n",
        "# only a comment\n",
        "hello world\nthis is not a router\n",
        "*filter\n:INPUT DROP [0:0]\n-A INPUT -p udp --dport 5060 -j ACCEPT\nCOMMIT\n",
        "config firewall policy\n    edit 1\n        set action accept\n    next\nend\n",
        "<?xml version=\"1.0\"?>\n<pfsense><version>23.3</version></pfsense>\n",
        "\u{0}\u{1}binary\u{0}",
    ];
    common::assert_refused_with_hint_naming(Format::Mikrotik, &texts, "/export");
    let error = Format::Mikrotik
        .parse(&Source::new("x", "\n\nnot a command\n"), &Hints::default())
        .unwrap_err();
    assert_eq!(error.span.map(|s| s.line), Some(3));
}

#[test]
fn other_vendors_renderings_are_not_claimed() {
    let owns = common::assert_renderings_claimed_only_by_own(
        Format::Mikrotik,
        |v| v.family() == "mikrotik",
        "rfc-baseline",
        &Options::default(),
        0,
    );
    assert_eq!(owns.len(), DIALECTS.len());
    for (vendor, text) in owns {
        assert_eq!(mikrotik::fingerprint(&text), 100, "{vendor}");
    }
}

#[test]
fn truncated_renderings_parse_partially() {
    let mut seed = 7;
    for vendor in DIALECTS {
        for id in [
            "fonality-pbxtra-premise",
            "tw-solutions",
            "algar-cloudphone-pro",
        ] {
            let text = common::render(vendor, id, &options());
            let cut = |len| common::lcg(&mut seed) as usize % len;
            for (_, parsed) in
                common::truncations_parse_or_hint(Format::Mikrotik, &text, &hints(), 20, cut)
            {
                assert!(!parsed.device.sip_alg.is_empty());
                assert!(!parsed.device.udp_timeouts.is_empty());
            }
        }
    }
}

#[test]
fn hostile_values_do_not_panic() {
    let text = "\
/ip firewall filter
add chain=forward action=accept dst-port=99999 protocol=udp
add chain=forward action=accept dst-port=70000-1 protocol=999
add chain=forward action=jump jump-target=forward
add chain=a action=jump jump-target=b
add chain=b action=jump jump-target=a
add chain=forward action=jump jump-target=a
add chain=forward action=accept src-address=300.1.2.3 dst-address=1.2.3.4-1.2.3.0
add chain=forward action=accept connection-state=bogus,new in-interface-list=!!x
add chain=input action=drop src-address=!0.0.0.0/0
/ip firewall connection tracking
set udp-timeout=99999999999999d udp-stream-timeout=-1
/ip firewall service-port
set sip ports=65536 disabled=maybe
/ip firewall address-list
add list=x address=\"
/ip firewall filter move [find] destination=18446744073709551616
set [find where comment~\"(\" ] disabled=yes
";
    let source = Source::new("hostile", text);
    let parsed = Format::Mikrotik.parse(&source, &Hints::default()).unwrap();
    assert!(parsed.coverage.summary().unknown > 0);
}

#[test]
fn fan_out_of_jumps_is_bounded() {
    // Each chain jumps twice into the next: 2^40 paths if followed blindly.
    let mut text = String::from("/ip firewall filter\n");
    text.push_str("add chain=forward action=jump jump-target=c0\n");
    for i in 0..40 {
        text.push_str(&format!(
            "add chain=c{i} action=jump jump-target=c{n}\nadd chain=c{i} action=jump jump-target=c{n}\n",
            n = i + 1
        ));
    }
    text.push_str("add chain=c40 action=drop protocol=tcp dst-port=22\n");
    let start = std::time::Instant::now();
    let parsed = Format::Mikrotik
        .parse(&Source::new("fan", text), &Hints::default())
        .unwrap();
    assert!(start.elapsed().as_secs() < 20);
    assert!(parsed.device.filters.len() < 3_000_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        let _ = Format::Mikrotik.parse(&Source::new("p", text.clone()), &Hints::default());
        let _ = mikrotik::fingerprint(&text);
    }

    #[test]
    fn routeros_like_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                Just("/ip firewall filter".to_string()),
                Just("/ip/firewall/nat".to_string()),
                Just("/ip firewall service-port".to_string()),
                Just("add chain=forward action=jump jump-target=x".to_string()),
                Just("add chain=x action=return".to_string()),
                "add chain=(forward|input|x) action=(accept|drop|jump|return|fasttrack-connection) [a-z-]{1,12}=[!a-z0-9.,/\"-]{0,12}",
                "set sip disabled=(yes|no) ports=[0-9,-]{0,10}",
                "(move|remove|set|disable) \\[ ?find[ a-z=~\"^]{0,20}\\] ?[a-z]*=?[0-9]*",
                "[ -~]{0,40}\\\\?",
            ],
            0..40,
        )
    ) {
        let text = lines.join("\n");
        let _ = Format::Mikrotik.parse(&Source::new("p", text), &hints());
    }

    #[test]
    fn shuffled_renderings_never_panic(seed in any::<u64>(), index in 0usize..16) {
        let ids = common::profile_ids();
        let id = ids[index % ids.len()];
        let vendor = DIALECTS[index % 2];
        let text = common::render(vendor, id, &options());
        let mut lines: Vec<&str> = text.lines().collect();
        let mut state = seed;
        for i in (1..lines.len()).rev() {
            let j = (common::lcg(&mut state) as usize) % (i + 1);
            lines.swap(i, j);
        }
        let shuffled = lines.join("\n");
        let _ = Format::Mikrotik.parse(&Source::new("p", shuffled), &hints());
    }
}

// ---------------------------------------------------------------------------------------
// The audit over parsed renderings
// ---------------------------------------------------------------------------------------

#[test]
fn audit_of_every_rendering_is_clean() {
    for id in common::profile_ids() {
        for vendor in DIALECTS {
            let text = common::render(vendor, id, &options());
            for hints in [hints(), Hints::default()] {
                let ids = common::audit_ids(Format::Mikrotik, &text, &hints, id, &options());
                assert!(ids.is_empty(), "{id} {vendor} {:?}: {ids:?}", hints.wan);
            }
        }
    }
}

/// `text` with the first line containing `needle` replaced by `with` (`None`: removed).
fn mutate(text: &str, needle: &str, with: Option<&str>) -> String {
    let mut found = false;
    let mut out = String::new();
    for line in text.lines() {
        if !found && line.contains(needle) {
            found = true;
            if let Some(with) = with {
                out.push_str(&line.replace(needle, with));
                out.push('\n');
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(found, "no line with {needle:?}");
    out
}

#[test]
fn weakening_a_safety_line_gives_exactly_its_finding() {
    let id = "fonality-pbxtra-premise";
    let options = options();
    // (what, needle, replacement, finding ids)
    let cases: &[(&str, &str, Option<&str>, &[&str])] = &[
        (
            "SIP helper left on",
            "set sip disabled=yes",
            None,
            &["ALG-001"],
        ),
        (
            "SIP helper on explicitly",
            "set sip disabled=yes",
            Some("set sip disabled=no"),
            &["ALG-001"],
        ),
        (
            "UDP timeouts at the defaults",
            "set udp-timeout=90s udp-stream-timeout=3m",
            None,
            &["TMO-001"],
        ),
        (
            "UDP stream timeout lowered",
            "set udp-timeout=90s udp-stream-timeout=3m",
            Some("set udp-timeout=90s udp-stream-timeout=1m"),
            &["TMO-001"],
        ),
        (
            "SSH to the router accepted",
            "action=drop protocol=tcp dst-port=22 comment=\"sipwall: never open ssh 22\"",
            Some("action=accept protocol=tcp dst-port=22"),
            &["ACL-003"],
        ),
        (
            "SSH forwarded",
            "/ip firewall nat\n",
            Some(
                "/ip firewall nat\nadd chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=22 to-addresses=192.168.1.10\n",
            ),
            &["ACL-003"],
        ),
        (
            // udp/5060 is forwarded from the provider's addresses only: no ban needed there.
            "no brute-force ban for udp (whitelisted forward)",
            "action=add-src-to-address-list address-list=sipwall-bf-sip-udp-ban",
            None,
            &[],
        ),
        (
            "no brute-force ban for tcp",
            "action=add-src-to-address-list address-list=sipwall-bf-sip-tcp-ban",
            None,
            &["ABU-001"],
        ),
        (
            "masquerade remaps ports",
            "action=masquerade out-interface=ether1",
            Some("action=masquerade out-interface=ether1 to-ports=1024-65535"),
            &["NAT-001"],
        ),
        (
            "RTP forward missing",
            "dst-port=10000-20000 to-addresses=192.168.1.10",
            None,
            &["ACL-001"],
        ),
        (
            "RTP forward broader",
            "dst-port=10000-20000 to-addresses=192.168.1.10",
            Some("dst-port=10000-30000 to-addresses=192.168.1.10"),
            &["ACL-005"],
        ),
        (
            "outbound SIP dropped",
            "action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=5060",
            Some("action=drop in-interface=bridge out-interface=ether1 protocol=udp dst-port=5060"),
            &["ACL-001"],
        ),
    ];
    for vendor in DIALECTS {
        let text = common::render(vendor, id, &options);
        for (what, needle, with, expected) in cases {
            let mutated = if needle.ends_with('\n') {
                // A block insert after a menu line.
                assert!(text.contains(needle), "{what}");
                text.replacen(needle, with.unwrap_or(""), 1)
            } else {
                mutate(&text, needle, *with)
            };
            let ids = common::audit_ids(Format::Mikrotik, &mutated, &hints(), id, &options);
            assert_eq!(&ids, expected, "{vendor}: {what}");
        }
        // The source whitelist is in two places: the forward and a filter drop of everyone
        // else. Opening the forward alone changes nothing (the filter still drops); opening
        // both exposes SIP.
        let forward_open = mutate(
            &text,
            "src-address=203.0.113.0/24 dst-port=5060 to-addresses",
            Some("dst-port=5060 to-addresses"),
        );
        let ids = common::audit_ids(Format::Mikrotik, &forward_open, &hints(), id, &options);
        assert_eq!(ids, Vec::<&str>::new(), "{vendor}: forward opened");
        let both_open = mutate(
            &forward_open,
            "action=drop in-interface=ether1 protocol=udp dst-port=5060 src-address=!203.0.113.0/24",
            None,
        );
        let ids = common::audit_ids(Format::Mikrotik, &both_open, &hints(), id, &options);
        assert_eq!(ids, ["ACL-002"], "{vendor}: whitelist removed");
    }
}

#[test]
fn additions_to_a_rendering_give_their_finding() {
    let id = "fonality-pbxtra";
    let options = options();
    let text = common::render(Vendor::MikrotikV7, id, &options);
    // The default configuration's FastTrack: the rendering keeps VoIP off it (its established
    // SIP and RTP are accepted first); without that exemption VoIP is offloaded.
    let fasttrack = format!(
        "{text}/ip firewall filter\nadd action=fasttrack-connection chain=forward connection-state=established,related\n"
    );
    assert_eq!(
        common::audit_ids(Format::Mikrotik, &fasttrack, &hints(), id, &options),
        Vec::<&str>::new()
    );
    let unexempted: String = fasttrack
        .lines()
        .filter(|l| !l.contains("VoIP not fasttracked"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        common::audit_ids(Format::Mikrotik, &unexempted, &hints(), id, &options),
        vec!["NAT-002"]
    );
    // A DMZ host.
    let dmz = format!(
        "{text}/ip firewall nat\nadd action=dst-nat chain=dstnat in-interface=ether1 to-addresses=192.168.1.50\n"
    );
    assert_eq!(
        common::audit_ids(Format::Mikrotik, &dmz, &hints(), id, &options),
        vec!["ACL-004"]
    );
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let id = "rfc-baseline";
    let options = options();
    for vendor in DIALECTS {
        // The rendering's forward default drop, disabled because RouterOS accepts what no rule
        // drops, enabled: the accepts count.
        let text = common::replaced(
            &common::render(vendor, id, &options),
            " disabled=yes comment=\"sipwall: forward default drop\"",
            " comment=\"sipwall: forward default drop\"",
        );
        let accept = "protocol=udp dst-port=5060 comment=\"sipwall: sip-udp-tcp-out-udp\"";
        let with = |ports: &str| {
            common::replaced(
                &text,
                accept,
                &format!(
                    "protocol=udp src-port={ports} dst-port=5060 comment=\"sipwall: sip-udp-tcp-out-udp\""
                ),
            )
        };
        common::assert_source_port_limit_blocks(
            Format::Mikrotik,
            &text,
            &with("55000-56000"),
            Some(&with("0-65535")),
            (&hints(), id, &options),
            "sip-udp-tcp-out-udp",
        );
    }
}
