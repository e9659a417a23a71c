//! Juniper SRX / Junos parser: hand-written fixtures (set form, curly-brace form, CLI session,
//! deactivated and group-inherited statements), the third-party corpus (read in place), round
//! trips of sipwall's own SRX rendering for every built-in profile, audits of those renderings
//! with single safety lines removed, and hostile input.

mod common;

use proptest::prelude::*;
use sipwall_audit::device::{AlgState, Certainty, Device, Evidence, FilterRule, Path, UdpTimeout};
use sipwall_audit::{Format, Hints, LineClass, Parsed, Source};
use sipwall_firewall::model::{
    Action, Address, Direction, PortRange, Ports, Protocol, Rule, TimeoutScope,
};
use sipwall_firewall::{Options, Policy, Vendor};

// ------------------------------------------------------------------ helpers

fn fixture(name: &str) -> String {
    common::fixture_text("junos", name)
}

fn parse_with(name: &str, text: &str, hints: &Hints) -> (Source, Parsed) {
    common::read_with(Format::Junos, name, text, hints)
}

fn parse_fixture(name: &str) -> (Source, Parsed) {
    parse_with(name, &fixture(name), &Hints::default())
}

/// The texts an evidence points at.
fn texts<'s>(source: &'s Source, evidence: &Evidence) -> Vec<&'s str> {
    evidence.spans.iter().map(|s| source.text_of(*s)).collect()
}

/// The number of the first line that contains `needle`.
fn line_of(source: &Source, needle: &str) -> u32 {
    source
        .lines()
        .find(|(_, l)| l.contains(needle))
        .map(|(n, _)| n)
        .unwrap_or_else(|| panic!("no line contains {needle:?}"))
}

fn is_default(evidence: &Evidence) -> bool {
    matches!(evidence.certainty, Certainty::DefaultInferred { .. })
}

fn sip_alg_meets_5060(state: &AlgState) -> bool {
    state.enabled
        && (state.scope.is_empty()
            || state
                .scope
                .iter()
                .any(|(_, ports)| ports.intersect(&Ports::single(5060)).is_some()))
}

fn srx_options() -> Options {
    // The options the SRX renderer tests use (crates/sipwall-firewall/tests/juniper_panos.rs).
    Options {
        wan: "untrust".into(),
        lan: "trust".into(),
        ..Options::default()
    }
}

/// The effective UDP timeout of `port`: the last port-scoped timeout containing it, else the
/// last global one (the rule catalogue's TMO-001 resolution).
fn effective_timeout(timeouts: &[UdpTimeout], port: u16) -> Option<u32> {
    timeouts
        .iter()
        .rev()
        .find(|t| match &t.scope {
            TimeoutScope::Ports(p) => p.intersect(&Ports::single(port)).is_some(),
            TimeoutScope::Global => false,
        })
        .or_else(|| {
            timeouts
                .iter()
                .rev()
                .find(|t| t.scope == TimeoutScope::Global)
        })
        .and_then(|t| t.replied_seconds)
}

fn contains(outer: &Address, inner: &Address) -> bool {
    match (outer, inner) {
        (Address::Net(o), Address::Net(i)) => o.contains(i),
        (Address::Fqdn(o), Address::Fqdn(i)) => o.eq_ignore_ascii_case(i),
        _ => false,
    }
}

/// First-match verdict on `path` for one port to one destination (`None` = any) from an inside
/// host (outbound) or from `from` (inbound; empty = an arbitrary host).
fn verdict(
    device: &Device,
    path: Path,
    protocol: Protocol,
    from: &[Address],
    to: Option<&Address>,
    port: u16,
) -> Option<Action> {
    let matches = |rule: &&FilterRule| {
        !rule.conditional
            && rule.path == path
            && rule.protocol.is_none_or(|p| p == protocol)
            && rule
                .destination_ports
                .intersect(&Ports::single(port))
                .is_some()
            && (rule.destination.is_empty()
                || to.is_some_and(|to| rule.destination.iter().any(|d| contains(d, to))))
            && (path == Path::Outbound
                || rule.source.is_empty()
                || (!from.is_empty()
                    && from
                        .iter()
                        .all(|f| rule.source.iter().any(|s| contains(s, f)))))
    };
    match device.filters.iter().find(matches) {
        Some(rule) => Some(rule.action),
        None => device
            .default_actions
            .iter()
            .find(|d| d.path == path)
            .map(|d| d.action),
    }
}

/// Sample ports of a rule's destination: the ends of every range.
fn sample_ports(ports: &Ports) -> Vec<u16> {
    ports
        .ranges()
        .iter()
        .flat_map(|r| [r.first, r.last])
        .collect()
}

fn rule_passes(device: &Device, rule: &Rule) -> bool {
    let path = match rule.direction {
        Direction::Outbound => Path::Outbound,
        Direction::Inbound => Path::Inbound,
    };
    let destinations: Vec<Option<&Address>> = if rule.destination.is_empty() {
        vec![None]
    } else {
        rule.destination.iter().map(Some).collect()
    };
    sample_ports(&rule.destination_ports)
        .into_iter()
        .all(|port| {
            destinations.iter().all(|to| {
                verdict(device, path, rule.protocol, &rule.source, *to, port)
                    == Some(Action::Accept)
            })
        })
}

// ------------------------------------------------------------------ fixtures

#[test]
fn curly_branch_config_has_the_sip_alg_on_by_default() {
    let (source, parsed) = parse_fixture("srx340-branch-curly.conf");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::JuniperSrx));
    let version = d.version.as_ref().expect("version");
    assert_eq!(version.version, "21.4R3-S5.4");
    assert_eq!(source.text_of(version.span), "21.4R3-S5.4");

    // No `security alg` stanza: the SRX default (on), cited, on UDP and TCP 5060.
    assert_eq!(d.sip_alg.len(), 1);
    let alg = &d.sip_alg[0];
    assert!(alg.enabled && sip_alg_meets_5060(alg));
    assert!(is_default(&alg.evidence) && alg.evidence.spans.is_empty());
    match &alg.evidence.certainty {
        Certainty::DefaultInferred { default } => {
            assert!(default.source.contains("juniper"));
            assert!(!default.versions.is_empty());
        }
        other => panic!("{other:?}"),
    }

    // Timeouts: the 60 s default, then the two applications' inactivity timeouts.
    assert_eq!(effective_timeout(&d.udp_timeouts, 5060), Some(180));
    assert_eq!(effective_timeout(&d.udp_timeouts, 15000), Some(120));
    assert_eq!(effective_timeout(&d.udp_timeouts, 3478), Some(60));
    let rtp = d
        .udp_timeouts
        .iter()
        .find(|t| t.replied_seconds == Some(120))
        .unwrap();
    assert_eq!(texts(&source, &rtp.evidence)[0], "inactivity-timeout 120;");
    assert!(is_default(&d.udp_timeouts[0].evidence));

    // Interface source NAT: ports translated (the SRX PAT default).
    assert_eq!(d.source_nat.len(), 1);
    assert_eq!(d.source_nat[0].port_preservation, Some(false));
    assert!(is_default(&d.source_nat[0].evidence));
    assert_eq!(
        texts(&source, &d.source_nat[0].evidence),
        vec!["interface;"]
    );

    // Destination NAT of 5060 to the PBX, only from the provider.
    assert_eq!(d.forwards.len(), 1);
    let forward = &d.forwards[0];
    assert_eq!(forward.outside_ports, Ports::single(5060));
    assert_eq!(forward.to, Some("192.168.10.20".parse().unwrap()));
    assert_eq!(
        forward.source,
        vec![Address::Net("198.51.100.0/24".parse().unwrap())]
    );
    assert!(texts(&source, &forward.evidence).contains(&"pbx-sip;"));

    // Policies: SIP and RTP out to the provider's address set; the inactive allow-all is not a
    // rule; the default policy is explicit.
    let provider = Address::Net("198.51.100.1/32".parse().unwrap());
    let outside = Address::Net("192.0.2.1/32".parse().unwrap());
    for (protocol, port) in [
        (Protocol::Udp, 5060),
        (Protocol::Tcp, 5060),
        (Protocol::Udp, 12000),
    ] {
        assert_eq!(
            verdict(d, Path::Outbound, protocol, &[], Some(&provider), port),
            Some(Action::Accept)
        );
    }
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Udp, &[], Some(&outside), 5060),
        Some(Action::Drop),
        "the inactive allow-all policy must not permit"
    );
    let default = d
        .default_actions
        .iter()
        .find(|a| a.path == Path::Outbound)
        .unwrap();
    assert_eq!(default.action, Action::Drop);
    assert_eq!(texts(&source, &default.evidence), vec!["deny-all;"]);
    let inactive = line_of(&source, "inactive: policy allow-all-out");
    assert_eq!(parsed.coverage.class(inactive), Some(LineClass::Ignored));

    // Inbound SIP only from the provider.
    let from_provider = [provider.clone()];
    let pbx = Address::Net("192.168.10.20/32".parse().unwrap());
    assert_eq!(
        verdict(
            d,
            Path::Inbound,
            Protocol::Udp,
            &from_provider,
            Some(&pbx),
            5060
        ),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, &[], Some(&pbx), 5060),
        Some(Action::Drop)
    );

    // To the device from the WAN: the interface's own list (dhcp, ssh) replaces the zone's
    // (ike, ping).
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, &[], None, 22),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Udp, &[], None, 500),
        Some(Action::Drop)
    );
    let ssh = d
        .filters
        .iter()
        .find(|f| f.path == Path::ToDevice && f.destination_ports == Ports::single(22))
        .unwrap();
    assert_eq!(texts(&source, &ssh.evidence), vec!["ssh;"]);

    // The untrust screen limits SYNs per source.
    assert_eq!(d.brute_force.len(), 1);
    assert_eq!(d.brute_force[0].protocol, Some(Protocol::Tcp));

    // Coverage: everything read; comments, annotations and braces are not counted.
    let summary = parsed.coverage.summary();
    assert_eq!(summary.unknown, 0, "{summary:?}");
    assert_eq!(parsed.coverage.class(1), Some(LineClass::Blank));
    let annotation = line_of(&source, "/* The phones");
    assert_eq!(parsed.coverage.class(annotation), Some(LineClass::Blank));
    let secret = line_of(&source, "SECRET-DATA");
    assert_eq!(parsed.coverage.class(secret), Some(LineClass::Ignored));
    assert_eq!(Format::detect(&source.text).unwrap(), Format::Junos);
}

#[test]
fn display_set_with_sip_alg_knobs_but_no_disable_is_on() {
    let (source, parsed) = parse_fixture("srx320-display-set-alg-knobs.set");
    let d = &parsed.device;
    assert_eq!(d.version.as_ref().unwrap().version, "20.4R3-S7.2");
    // Knobs tune the ALG; without `disable` it is on (default), pointing at the knobs.
    assert_eq!(d.sip_alg.len(), 1);
    let alg = &d.sip_alg[0];
    assert!(alg.enabled && sip_alg_meets_5060(alg));
    assert!(is_default(&alg.evidence));
    let knobs = texts(&source, &alg.evidence);
    assert_eq!(knobs.len(), 4);
    assert!(knobs.iter().all(|k| k.starts_with("set security alg sip ")));
    assert!(!knobs.iter().any(|k| k.contains("h323")));

    // Two source NAT rules: the pool without port translation keeps ports for 5060, the
    // interface rule translates them.
    assert_eq!(d.source_nat.len(), 2);
    let voice = &d.source_nat[0];
    assert_eq!(voice.port_preservation, Some(true));
    assert_eq!(voice.ports, Ports::single(5060));
    assert_eq!(voice.evidence.certainty, Certainty::Explicit);
    assert!(
        texts(&source, &voice.evidence)
            .contains(&"set security nat source pool public-pool port no-translation")
    );
    assert_eq!(d.source_nat[1].port_preservation, Some(false));

    // Timeouts from the custom applications (a term's timeout too).
    assert_eq!(effective_timeout(&d.udp_timeouts, 5060), Some(300));
    assert_eq!(effective_timeout(&d.udp_timeouts, 20000), Some(90));

    // The deactivated allow-all is not a rule: only the office LAN reaches the trunk.
    let trunk = Address::Fqdn("sip.trunk.example.net".into());
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Udp, &[], Some(&trunk), 5060),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Tcp, &[], None, 443),
        Some(Action::Drop)
    );
    let deactivated = line_of(&source, "deactivate security policies");
    assert_eq!(parsed.coverage.class(deactivated), Some(LineClass::Ignored));
    let old = line_of(&source, "policy old-allow-all then permit");
    assert_eq!(parsed.coverage.class(old), Some(LineClass::Ignored));
    // The global deny of SSH applies on both paths.
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Tcp, &[], None, 22),
        Some(Action::Drop)
    );

    // `system-services all` with ssh and telnet excepted.
    for (protocol, port, action) in [
        (Protocol::Tcp, 22, Action::Drop),
        (Protocol::Tcp, 23, Action::Drop),
        (Protocol::Tcp, 443, Action::Accept),
        (Protocol::Udp, 69, Action::Accept),
    ] {
        assert_eq!(
            verdict(d, Path::ToDevice, protocol, &[], None, port),
            Some(action),
            "{protocol}/{port}"
        );
    }
    // `limit-session source-ip-based` on the WAN zone's screen.
    assert_eq!(d.brute_force.len(), 1);
    assert_eq!(d.brute_force[0].protocol, None);
    assert_eq!(parsed.coverage.summary().unknown, 0);
    assert_eq!(parsed.coverage.class(1), Some(LineClass::Blank));
}

#[test]
fn explicit_alg_off_dnat_static_nat_and_offload() {
    let (source, parsed) = parse_fixture("srx1500-alg-off-dmz.set");
    let d = &parsed.device;
    let alg = &d.sip_alg[0];
    assert!(!alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        texts(&source, &alg.evidence),
        vec!["set security alg sip disable"]
    );
    // The custom application with `application-protocol sip` widens the ALG's scope.
    let udp = alg
        .scope
        .iter()
        .find(|(p, _)| *p == Protocol::Udp)
        .map(|(_, ports)| ports.clone())
        .unwrap();
    assert!(udp.intersect(&Ports::single(5080)).is_some());

    // 5060/udp to the PBX on 5080; a destination NAT without port match and a static 1:1 NAT
    // are DMZ hosts.
    assert_eq!(d.forwards.len(), 3);
    let sip = &d.forwards[0];
    assert_eq!(sip.protocol, Some(Protocol::Udp));
    assert_eq!(sip.outside_ports, Ports::single(5060));
    assert_eq!(sip.to_ports, Some(Ports::single(5080)));
    assert_eq!(sip.inside_ports(), &Ports::single(5080));
    let dmz: Vec<_> = d
        .forwards
        .iter()
        .filter(|f| f.protocol.is_none() && f.outside_ports.is_any())
        .collect();
    assert_eq!(dmz.len(), 2);
    assert_eq!(dmz[1].to, Some("172.16.5.11".parse().unwrap()));
    assert!(texts(&source, &dmz[1].evidence)[0].contains("static-nat prefix"));

    // services-offload on the RTP policy.
    assert_eq!(d.offload.len(), 1);
    assert_eq!(
        d.offload[0].ports,
        Ports::from_ranges([PortRange::new(10000, 20000)])
    );
    // `then reject` drops; inbound SIP on 5080 to the PBX is accepted before it.
    let pbx = Address::Net("172.16.5.10/32".parse().unwrap());
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, &[], Some(&pbx), 5080),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Inbound, Protocol::Udp, &[], Some(&pbx), 5060),
        Some(Action::Drop)
    );
    assert_eq!(effective_timeout(&d.udp_timeouts, 10000), Some(3600));
    // Zones named inside / internet.
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, &[], None, 443),
        Some(Action::Accept)
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn cli_session_script_with_edit_context_and_delete() {
    let (source, parsed) = parse_fixture("srx-cli-session.txt");
    let d = &parsed.device;
    // `edit security` + `set alg sip disable`.
    let alg = &d.sip_alg[0];
    assert!(!alg.enabled);
    assert_eq!(texts(&source, &alg.evidence), vec!["set alg sip disable"]);
    // The temporary allow-all was deleted before the commit.
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Tcp, &[], None, 443),
        Some(Action::Drop)
    );
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Udp, &[], None, 5060),
        Some(Action::Accept)
    );
    let temp = line_of(&source, "policy temp-any then permit");
    assert_eq!(parsed.coverage.class(temp), Some(LineClass::Ignored));
    assert_eq!(effective_timeout(&d.udp_timeouts, 5060), Some(600));
    // Session commands are known, CLI banners blank.
    for (needle, class) in [
        ("> configure", LineClass::Ignored),
        ("commit and-quit", LineClass::Ignored),
        ("commit complete", LineClass::Ignored),
        ("[edit security]", LineClass::Blank),
    ] {
        assert_eq!(
            parsed.coverage.class(line_of(&source, needle)),
            Some(class),
            "{needle}"
        );
    }
    assert_eq!(parsed.coverage.summary().unknown, 0);
    assert_eq!(Format::detect(&source.text).unwrap(), Format::Junos);
}

#[test]
fn deactivated_and_commented_lines_are_not_facts() {
    let (source, parsed) = parse_fixture("srx300-deactivated.set");
    let d = &parsed.device;
    // `set security alg sip disable` is deactivated: the ALG is on (default).
    let alg = &d.sip_alg[0];
    assert!(alg.enabled);
    assert!(is_default(&alg.evidence));
    let disable = line_of(&source, "set security alg sip disable");
    assert_eq!(parsed.coverage.class(disable), Some(LineClass::Ignored));
    // The deactivated SSH forward, policy and host-inbound service are gone.
    assert!(d.forwards.is_empty());
    assert!(d.filters.iter().all(|f| f.path != Path::Inbound));
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, &[], None, 22),
        Some(Action::Drop)
    );
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, &[], None, 23),
        Some(Action::Drop),
        "a commented-out line is not a fact"
    );
    let commented = line_of(&source, "#set security zones");
    assert_eq!(parsed.coverage.class(commented), Some(LineClass::Blank));
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn groups_are_applied_where_simple() {
    let (source, parsed) = parse_fixture("vsrx-groups-curly.conf");
    let d = &parsed.device;
    // `security alg sip disable` comes from group `base` (apply-groups at the top).
    let alg = &d.sip_alg[0];
    assert!(!alg.enabled);
    let spans = &alg.evidence.spans;
    assert_eq!(spans.len(), 1);
    assert_eq!(source.text_of(spans[0]), "disable;");
    assert!(spans[0].line < line_of(&source, "apply-groups [ base"));
    // The default policy from the group; the inactive policies block is not read.
    let default = d
        .default_actions
        .iter()
        .find(|a| a.path == Path::Outbound)
        .unwrap();
    assert_eq!(default.evidence.certainty, Certainty::Explicit);
    assert!(d.filters.iter().all(|f| f.path != Path::Outbound));
    // The apply line, the unused group and the wildcard group are classified, not unknown.
    let apply = line_of(&source, "apply-groups [ base");
    assert_eq!(parsed.coverage.class(apply), Some(LineClass::Understood));
    let unused = line_of(&source, "rule-set spare");
    assert_eq!(parsed.coverage.class(unused), Some(LineClass::Ignored));
    let wildcard = line_of(&source, "mtu 9000");
    assert_eq!(parsed.coverage.class(wildcard), Some(LineClass::Ignored));
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn hints_name_the_wan_and_lan_zones() {
    let text = "set security zones security-zone z-isp interfaces ge-0/0/0.0\n\
                set security zones security-zone z-office interfaces ge-0/0/1.0\n\
                set security zones security-zone z-guest interfaces ge-0/0/2.0\n\
                set security policies from-zone z-office to-zone z-isp policy sip match source-address any destination-address any application junos-sip\n\
                set security policies from-zone z-office to-zone z-isp policy sip then permit\n\
                set security policies from-zone z-guest to-zone z-isp policy all match source-address any destination-address any application any\n\
                set security policies from-zone z-guest to-zone z-isp policy all then permit\n";
    // Without hints no zone says which side it is: the policies cannot be placed.
    let (_, parsed) = parse_with("hints", text, &Hints::default());
    assert!(parsed.device.filters.is_empty());
    assert!(parsed.coverage.summary().unknown >= 4);
    // --wan names an interface, --lan a zone.
    let hints = Hints {
        wan: vec!["ge-0/0/0".into()],
        lan: vec!["z-office".into()],
    };
    let (_, parsed) = parse_with("hints", text, &hints);
    let d = &parsed.device;
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Udp, &[], None, 5060),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Tcp, &[], None, 443),
        Some(Action::Drop),
        "the guest zone is not the LAN"
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn a_router_without_security_stanza_has_no_firewall_facts() {
    // junos_full_sent.txt: an MX/vMX-style `display set` export (system, interfaces, BGP):
    // not an SRX, so no ALG, NAT or policy facts; its version and coverage are reported.
    let files = common::corpus_files("junos");
    let (_, text) = files
        .iter()
        .find(|(n, _)| n == "junos_full_sent.txt")
        .expect("corpus file");
    let (_, parsed) = parse_with("junos_full_sent.txt", text, &Hints::default());
    let d = &parsed.device;
    assert_eq!(d.vendor, None);
    assert_eq!(d.version.as_ref().unwrap().version, "18.2R1.9");
    assert!(d.sip_alg.is_empty() && d.filters.is_empty() && d.source_nat.is_empty());
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

// ------------------------------------------------------------------ corpus

#[test]
fn corpus_parses_with_coverage_floors() {
    // (understood + ignored) / total per file. The batfish unit-test configs reference
    // undefined objects and zones that say nothing about their side (no WAN can be told), and
    // inital.cfg is a lab script between two inside zones: their policies cannot be placed on
    // a path and are counted unknown, honestly.
    let floors: &[(&str, f64)] = &[
        ("application-set", 0.90),
        ("inital.cfg", 0.55),
        ("juniper_nat", 0.90),
        ("juniper_security", 0.55),
        ("junos#srx300_22.4#output.txt", 0.99),
        ("junos_full_sent.txt", 0.99),
        ("nat-dest", 0.99),
        ("nat-source", 0.99),
        ("vsrx0.conf", 0.99),
    ];
    let files = common::corpus_files("junos");
    let names: Vec<&str> = files
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| *n != "SOURCES.md")
        .collect();
    assert_eq!(names.len(), floors.len(), "corpus files: {names:?}");
    let floor = |name: &str| {
        let Some(&(_, floor)) = floors.iter().find(|(n, _)| *n == name) else {
            panic!("no floor for corpus file {name}");
        };
        floor
    };
    common::corpus_parsed(Format::Junos, files, floor);
}

#[test]
fn corpus_facts() {
    let files = common::corpus_files("junos");
    let get = |name: &str| {
        let (_, text) = files.iter().find(|(n, _)| n == name).unwrap();
        parse_with(name, text, &Hints::default())
    };
    // Real SRX300 22.4, curly-brace: ALG at the default, interface PAT, trust→untrust
    // permit-all, tftp/https/dhcp open to the device on the WAN interface.
    let (source, parsed) = get("junos#srx300_22.4#output.txt");
    let d = &parsed.device;
    assert_eq!(d.version.as_ref().unwrap().version, "22.4R3-S2.11");
    assert!(d.sip_alg[0].enabled && is_default(&d.sip_alg[0].evidence));
    assert_eq!(d.source_nat[0].port_preservation, Some(false));
    assert_eq!(
        verdict(d, Path::Outbound, Protocol::Udp, &[], None, 5060),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Udp, &[], None, 69),
        Some(Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, &[], None, 22),
        Some(Action::Drop)
    );
    let tftp = d
        .filters
        .iter()
        .find(|f| f.destination_ports == Ports::single(69))
        .unwrap();
    assert_eq!(texts(&source, &tftp.evidence), vec!["tftp;"]);

    // Real vSRX 18.4: default-policy permit-all, all system services on untrust.
    let (_, parsed) = get("vsrx0.conf");
    let d = &parsed.device;
    assert!(d.sip_alg[0].enabled);
    assert!(
        d.default_actions
            .iter()
            .any(|a| a.path == Path::Inbound && a.action == Action::Accept)
    );
    assert_eq!(
        verdict(d, Path::ToDevice, Protocol::Tcp, &[], None, 22),
        Some(Action::Accept)
    );

    // batfish nat-dest: `destination-nat off` is no forward; pools without port match are DMZ
    // hosts.
    let (_, parsed) = get("nat-dest");
    assert_eq!(parsed.device.forwards.len(), 2);
    assert!(
        parsed
            .device
            .forwards
            .iter()
            .all(|f| f.outside_ports.is_any())
    );

    // batfish nat-source: the last `then` of RULE2 wins (interface NAT).
    let (_, parsed) = get("nat-source");
    assert_eq!(parsed.device.source_nat.len(), 1);

    // batfish juniper_security: services-offload on a policy with no match (any).
    let (_, parsed) = get("juniper_security");
    assert_eq!(parsed.device.offload.len(), 1);
    assert!(parsed.device.offload[0].ports.is_any());

    // batfish application-set: nested application sets resolve; undefined ones are unknown.
    let (source, parsed) = get("application-set");
    let undefined = line_of(&source, "application appset4");
    assert_eq!(parsed.coverage.class(undefined), Some(LineClass::Unknown));
    assert_eq!(
        verdict(&parsed.device, Path::Outbound, Protocol::Udp, &[], None, 3),
        Some(Action::Accept)
    );
}

// ------------------------------------------------------------------ round trips

fn option_sets() -> Vec<(Options, Hints)> {
    let accept = Options {
        forward_default: Action::Accept,
        ..Options::default()
    };
    let hinted = Hints {
        wan: vec!["wan0".into()],
        lan: vec!["lan0".into()],
    };
    vec![
        (srx_options(), Hints::default()),
        // wan0 / lan0 are told by their names; with --wan / --lan the same.
        (accept, Hints::default()),
        (Options::default(), hinted),
    ]
}

/// The single-port forwards the SRX renderer writes as commands (ranges are instructions).
fn rendered_forward_ranges(
    policy: &Policy,
) -> Vec<(Option<Protocol>, PortRange, std::net::IpAddr)> {
    policy
        .nat
        .port_forwards
        .iter()
        .filter(|f| f.protocol.is_some() && f.to.is_ipv4() && !f.ports.is_any())
        .flat_map(|f| f.ports.ranges().into_iter().map(|r| (f.protocol, r, f.to)))
        .collect()
}

#[test]
fn renderings_round_trip() {
    for (options, hints) in option_sets() {
        for id in common::profile_ids() {
            let policy = common::policy(id, &options);
            let rendering = Vendor::JuniperSrx.render(&policy, false);
            let text = rendering.text.clone();
            let (_, parsed) = parse_with(id, &text, &hints);
            let d = &parsed.device;
            let context = format!("{id} ({} / {})", options.lan, options.wan);
            assert_eq!(parsed.coverage.summary().unknown, 0, "{context}");
            assert_eq!(d.vendor, Some(Vendor::JuniperSrx));
            assert_eq!(Format::detect(&text).unwrap(), Format::Junos, "{context}");

            // ALG off when the policy wants it off.
            if policy.sip_alg_off() {
                assert!(
                    d.sip_alg.iter().all(|a| !sip_alg_meets_5060(a)),
                    "{context}: ALG"
                );
                assert!(
                    d.sip_alg
                        .iter()
                        .all(|a| a.evidence.certainty == Certainty::Explicit)
                );
            }

            // Timeouts at least the policy's on the ports of its UDP rules.
            for wanted in policy
                .timeouts
                .iter()
                .filter(|t| t.protocol == Protocol::Udp)
            {
                for rule in policy.rules.iter().filter(|r| r.protocol == Protocol::Udp) {
                    let ports = match &wanted.scope {
                        TimeoutScope::Global => Some(rule.destination_ports.clone()),
                        TimeoutScope::Ports(p) => p.intersect(&rule.destination_ports),
                    };
                    for port in ports.iter().flat_map(sample_ports) {
                        let got = effective_timeout(&d.udp_timeouts, port);
                        assert!(
                            got.is_some_and(|s| s >= wanted.replied_seconds),
                            "{context}: udp/{port} {got:?} < {}",
                            wanted.replied_seconds
                        );
                    }
                }
            }

            // Source NAT: interface NAT, whose ports the SRX translates. Port preservation is a
            // documented limitation of the SRX rendering (an instruction comment), so the
            // parser reports `Some(false)` from the cited default.
            match &policy.nat.source_nat {
                Some(snat) => {
                    assert!(!d.source_nat.is_empty(), "{context}: SNAT");
                    for nat in &d.source_nat {
                        assert_eq!(nat.port_preservation, Some(false));
                        assert!(is_default(&nat.evidence));
                    }
                    if snat.port_preservation {
                        assert!(
                            rendering
                                .limitations
                                .iter()
                                .any(|l| l.topic == "port-preservation")
                        );
                    }
                }
                None => assert!(d.source_nat.is_empty()),
            }

            // Forwards: every single-port forward, to its target, TCP and UDP alike (one
            // rule without `match protocol` per port); ranges only as instructions.
            let rendered = rendered_forward_ranges(&policy);
            for (protocol, range, to) in &rendered {
                let wanted = Ports::from_ranges([*range]);
                let found = d.forwards.iter().any(|f| {
                    f.to == Some(*to)
                        && f.protocol.is_none_or(|p| Some(p) == *protocol)
                        && f.inside_ports().intersect(&wanted) == Some(wanted.clone())
                });
                if range.first == range.last {
                    assert!(found, "{context}: forward {protocol:?} {range} to {to}");
                } else {
                    assert!(!found, "{context}: a range forward is an instruction");
                    assert!(
                        rendering
                            .limitations
                            .iter()
                            .any(|l| l.topic == "port-range-forward")
                    );
                }
            }
            let singles = rendered
                .iter()
                .filter(|(_, r, _)| r.first == r.last)
                .count();
            assert!(d.forwards.len() <= singles, "{context}: extra forwards");
            assert!(
                d.forwards
                    .iter()
                    .all(|f| !(f.protocol.is_none() && f.outside_ports.is_any())),
                "{context}: DMZ"
            );

            // Required flows pass.
            for rule in policy.rules.iter().filter(|r| r.required) {
                assert!(
                    rule_passes(d, rule),
                    "{context}: rule {} blocked",
                    rule.name
                );
            }
            // Nothing opens the device itself; the SRX renderer writes no brute-force limit
            // (capability: none).
            assert!(d.filters.iter().all(|f| f.path != Path::ToDevice));
            assert!(d.brute_force.is_empty());
            if !policy.brute_force.is_empty() {
                assert!(
                    rendering
                        .limitations
                        .iter()
                        .any(|l| l.topic == "brute-force")
                );
            }
            // Default actions on every path.
            for path in [Path::Outbound, Path::Inbound, Path::ToDevice] {
                assert!(d.default_actions.iter().any(|a| a.path == path));
            }
        }
    }
}

/// The findings an audit of sipwall's own SRX rendering keeps, each from a limitation the
/// renderer states: interface NAT translates ports (NAT-001), the SRX's 60 s UDP default when
/// the profile asks for no timeout (TMO-002), and port-range forwards given as instructions
/// (ACL-001, one per missing protocol and range).
fn expected_round_trip_findings(policy: &Policy) -> Vec<&'static str> {
    let mut ids = Vec::new();
    if policy
        .nat
        .source_nat
        .as_ref()
        .is_some_and(|s| s.port_preservation)
    {
        ids.push("NAT-001");
    }
    if policy.timeouts.is_empty() {
        ids.push("TMO-002");
    }
    for forward in &policy.nat.port_forwards {
        if forward.ports.ranges().iter().any(|r| r.first != r.last) {
            ids.push("ACL-001");
        }
    }
    ids.sort();
    ids
}

#[test]
fn audits_of_renderings_keep_only_the_stated_limitations() {
    let options = srx_options();
    for id in common::profile_ids() {
        let policy = common::policy(id, &options);
        let text = common::render(Vendor::JuniperSrx, id, &options);
        let ids = common::audit_ids(Format::Junos, &text, &Hints::default(), id, &options);
        assert_eq!(ids, expected_round_trip_findings(&policy), "{id}");
    }
}

/// Finding ids of `mutated` that the unmutated rendering does not have.
fn new_findings(id: &str, text: &str, mutated: &str) -> Vec<&'static str> {
    let context = (&Hints::default(), id, &srx_options());
    common::added_ids(Format::Junos, text, mutated, context)
}

#[test]
fn removing_or_weakening_a_safety_line_yields_its_finding() {
    let id = "fonality-pbxtra-premise";
    let text = common::render(Vendor::JuniperSrx, id, &srx_options());

    // ALG off removed → ALG-001 (from the SRX default).
    let mutated = text.replace("set security alg sip disable\n", "");
    assert_ne!(mutated, text);
    assert_eq!(new_findings(id, &text, &mutated), vec!["ALG-001"]);

    // The 90 s application timeouts shortened → TMO-001.
    let mutated = text.replace("inactivity-timeout 90", "inactivity-timeout 30");
    assert_ne!(mutated, text);
    let found = new_findings(id, &text, &mutated);
    assert!(
        !found.is_empty() && found.iter().all(|f| *f == "TMO-001"),
        "{found:?}"
    );

    // SSH opened to the firewall from the WAN → ACL-003.
    let mutated = format!(
        "{text}set security zones security-zone untrust host-inbound-traffic system-services ssh\n"
    );
    assert_eq!(new_findings(id, &text, &mutated), vec!["ACL-003"]);

    // The source whitelist of inbound SIP dropped → ACL-002.
    let whitelist = "policy sipwall-sip-inbound-in-udp-whitelisted match source-address sipwall-203.0.113.0-24 ";
    assert!(text.contains(whitelist));
    let mutated = text.replace(
        whitelist,
        "policy sipwall-sip-inbound-in-udp-whitelisted match source-address any ",
    );
    assert_eq!(new_findings(id, &text, &mutated), vec!["ACL-002"]);

    // A destination NAT without port match (DMZ host) → ACL-004.
    let mutated = format!(
        "{text}set security nat destination rule-set sipwall-dnat rule dmz match destination-address 0.0.0.0/0\n\
         set security nat destination rule-set sipwall-dnat rule dmz then destination-nat pool sipwall-fwd-192.168.1.10\n"
    );
    assert!(new_findings(id, &text, &mutated).contains(&"ACL-004"));

    // services-offload on the RTP policy → NAT-002.
    let rtp = "policy sipwall-rtp-outbound-out-udp then permit";
    assert!(text.contains(rtp));
    let mutated = text.replace(rtp, &format!("{rtp} services-offload"));
    assert_eq!(new_findings(id, &text, &mutated), vec!["NAT-002"]);

    // The brute-force limit cannot be removed: the SRX rendering has none (the audit says so
    // as a note, not a finding).
    let report = common::audit_report(Format::Junos, &text, &Hints::default(), id, &srx_options());
    assert!(report.notes.iter().any(|n| n.starts_with("ABU-001")));
}

// ------------------------------------------------------------------ hostile input

#[test]
fn garbage_empty_binary_and_other_formats() {
    let hints = Hints::default();
    for text in [
        "",
        "   \n\t\n",
        "\0\u{1}binary",
        "hello world\n",
        "}}}}\n{{{{\n;;;\n",
    ] {
        common::assert_parses_or_hints(Format::Junos, text, &hints);
    }
    common::assert_refused_with_hint_naming(Format::Junos, &[""], "display set");
    // Every other vendor's rendering: never detected as Junos, never claimed, no panic.
    for id in ["fonality-pbxtra-premise", "algar-cloudphone-pro"] {
        common::assert_renderings_claimed_only_by_own(
            Format::Junos,
            |v| v == Vendor::JuniperSrx,
            id,
            &Options::default(),
            0,
        );
    }
    // Other vendors' corpus files are not claimed either.
    for dir in [
        "vyos",
        "edgeos",
        "panos",
        "fortios",
        "cisco-asa",
        "mikrotik",
        "iptables",
    ] {
        for (name, text) in common::corpus_files(dir) {
            assert_eq!(Format::Junos.fingerprint(&text), 0, "{dir}/{name}");
        }
    }
}

#[test]
fn truncated_renderings_parse_partially() {
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let texts: Vec<String> = common::profile_ids()
        .into_iter()
        .map(|id| common::render(Vendor::JuniperSrx, id, &srx_options()))
        .chain(std::iter::once(fixture("srx340-branch-curly.conf")))
        .collect();
    for text in &texts {
        let cut = |len| common::lcg(&mut seed) as usize % (len + 1);
        let hints = Hints::default();
        for (prefix, parsed) in
            common::truncations_parse_or_hint(Format::Junos, text, &hints, 20, cut)
        {
            let s = parsed.coverage.summary();
            assert!(s.total() <= Source::new("cut", prefix).line_count());
        }
    }
}

fn shuffled_lines() -> impl Strategy<Value = String> {
    let texts: Vec<String> = common::profile_ids()
        .into_iter()
        .map(|id| common::render(Vendor::JuniperSrx, id, &srx_options()))
        .chain([
            fixture("srx340-branch-curly.conf"),
            fixture("vsrx-groups-curly.conf"),
            fixture("srx320-display-set-alg-knobs.set"),
        ])
        .collect();
    proptest::sample::select(texts).prop_flat_map(|text| {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        Just(lines).prop_shuffle().prop_map(|l| l.join("\n"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "(set |deactivate |delete |edit |up |[a-z{};\\[\\]\"#/* \n0-9.-]){0,400}") {
        let source = Source::new("p", text.as_str());
        let _ = Format::Junos.fingerprint(&text);
        if let Err(e) = Format::Junos.parse(&source, &Hints::default()) {
            prop_assert!(!e.hint.is_empty());
        }
    }

    #[test]
    fn any_string_never_panics(text in any::<String>()) {
        let source = Source::new("p", text.as_str());
        let _ = Format::Junos.parse(&source, &Hints::default());
    }

    #[test]
    fn shuffled_renderings_never_panic(text in shuffled_lines()) {
        let source = Source::new("p", text.as_str());
        let _ = Format::Junos.parse(&source, &Hints::default());
    }
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let id = "rfc-baseline";
    let options = srx_options();
    let hints = Hints {
        wan: vec![options.wan.clone()],
        lan: vec![options.lan.clone()],
    };
    let text = common::render(Vendor::JuniperSrx, id, &options);
    let line = "set applications application sipwall-sip-udp-tcp-out-udp destination-port 5060\n";
    let with = |ports: &str| {
        common::replaced(
            &text,
            line,
            &format!(
                "{line}set applications application sipwall-sip-udp-tcp-out-udp source-port {ports}\n"
            ),
        )
    };
    common::assert_source_port_limit_blocks(
        Format::Junos,
        &text,
        &with("55000-56000"),
        Some(&with("0-65535")),
        (&hints, id, &options),
        "sip-udp-tcp-out-udp",
    );
}
