//! The PAN-OS parser (`formats/panos`): our own fixtures in the set, brace and XML forms
//! (`tests/fixtures/panos/`), the third-party corpus (`../shared/corpus/panos`, read in place),
//! the renderer's output read back for every built-in profile, hostile input, and the audit of
//! renderings with single safety lines removed or weakened.

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use sipwall_audit::device::{Certainty, Device, Path};
use sipwall_audit::{Format, Hints, LineClass, Parsed, Source};
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};
use sipwall_firewall::{Options, Vendor};

// ---- helpers ----

fn fixture(name: &str) -> String {
    common::fixture_text("panos", name)
}

fn hints(wan: &str, lan: &str) -> Hints {
    Hints {
        wan: vec![wan.into()],
        lan: vec![lan.into()],
    }
}

fn parse(text: &str, hints: &Hints) -> (Source, Parsed) {
    common::read_with(Format::Panos, "fixture", text, hints)
}

/// The text of every span of a fact, joined.
fn evidence_text(source: &Source, spans: &[sipwall_audit::Span]) -> String {
    spans
        .iter()
        .map(|s| source.text_of(*s))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn ports(ranges: &[(u16, u16)]) -> Ports {
    Ports::from_ranges(ranges.iter().map(|&(a, b)| PortRange::new(a, b)))
}

fn net(text: &str) -> Address {
    Address::Net(text.parse().unwrap())
}

fn is_default(certainty: &Certainty) -> bool {
    matches!(certainty, Certainty::DefaultInferred { .. })
}

fn assert_no_unknown(source: &Source, parsed: &Parsed) {
    let unknown: Vec<String> = parsed
        .coverage
        .unknown_lines()
        .map(|n| format!("{n}: {}", source.line(n)))
        .collect();
    assert!(unknown.is_empty(), "unknown lines: {unknown:#?}");
}

/// The enabled SIP ALG states.
fn alg_on(device: &Device) -> Vec<&sipwall_audit::device::AlgState> {
    device.sip_alg.iter().filter(|a| a.enabled).collect()
}

fn global_timeout(device: &Device) -> &sipwall_audit::device::UdpTimeout {
    device
        .udp_timeouts
        .iter()
        .rfind(|t| t.scope == TimeoutScope::Global)
        .expect("a global UDP timeout is always emitted")
}

fn audit_ids(text: &str, hints: &Hints, profile: &str, options: &Options) -> Vec<&'static str> {
    common::audit_ids(Format::Panos, text, hints, profile, options)
}

/// The renderer's options for these tests, and the hints that name the same zones.
fn options() -> Options {
    Options {
        wan: "untrust".into(),
        lan: "trust".into(),
        ..Options::default()
    }
}

fn zone_hints() -> Hints {
    hints("untrust", "trust")
}

// ---- 1. fixtures ----

#[test]
fn set_form_without_alg_override_has_the_alg_on_by_default() {
    let text = fixture("set-branch-alg-default.set");
    let (source, parsed) = parse(&text, &Hints::default());
    assert_no_unknown(&source, &parsed);
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::Panos));
    // ALG: on, by default, on SIP wherever App-ID finds it.
    let on = alg_on(device);
    assert_eq!(on.len(), 1);
    assert!(is_default(&on[0].evidence.certainty));
    assert_eq!(
        on[0].scope,
        [(Protocol::Udp, Ports::Any), (Protocol::Tcp, Ports::Any)]
    );
    // Timeout: the 30 s default.
    let global = global_timeout(device);
    assert_eq!(global.replied_seconds, Some(30));
    assert!(is_default(&global.evidence.certainty));
    // Source NAT: DIPP translates ports.
    assert_eq!(device.source_nat.len(), 1);
    assert_eq!(device.source_nat[0].port_preservation, Some(false));
    assert!(
        evidence_text(&source, &device.source_nat[0].evidence.spans)
            .contains("dynamic-ip-and-port interface-address interface ethernet1/1")
    );
    // Outbound: signalling (application sip, application-default), media, web (conditional).
    let outbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound)
        .collect();
    let providers = vec![net("203.0.113.10/32"), net("203.0.113.11/32")];
    let sip: Vec<_> = outbound
        .iter()
        .filter(|f| f.destination_ports == Ports::single(5060))
        .collect();
    assert_eq!(sip.len(), 2);
    for rule in &sip {
        assert!(!rule.conditional);
        assert_eq!(rule.action, Action::Accept);
        assert_eq!(rule.destination, providers);
        assert_eq!(rule.source, [net("10.20.0.0/24")]);
        assert!(
            evidence_text(&source, &rule.evidence.spans).contains("rules voice-signalling from")
        );
    }
    let media = outbound
        .iter()
        .find(|f| f.destination_ports == ports(&[(10000, 20000)]))
        .unwrap();
    assert_eq!(media.protocol, Some(Protocol::Udp));
    assert!(!media.conditional);
    let web = outbound
        .iter()
        .find(|f| f.destination_ports == ports(&[(80, 80), (443, 443)]))
        .unwrap();
    assert!(web.conditional, "specific non-VoIP applications");
    // The disabled inbound rule is no fact: the first inbound rule is the deny.
    let inbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Inbound)
        .collect();
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0].action, Action::Drop);
    // Management profiles: only ping on the WAN interface, nothing reaches the firewall.
    assert!(device.filters.iter().all(|f| f.path != Path::ToDevice));
    let outbound_default = device
        .default_actions
        .iter()
        .find(|d| d.path == Path::Outbound)
        .unwrap();
    assert_eq!(outbound_default.action, Action::Drop);
    assert!(is_default(&outbound_default.evidence.certainty));
    // The same facts when the zones are named.
    let (_, named) = parse(&text, &hints("untrust", "trust"));
    assert_eq!(named.device.filters, device.filters);
    // The audit: ALG-001 with the default's certainty.
    let report = common::audit_report(
        Format::Panos,
        &text,
        &Hints::default(),
        "rfc-baseline",
        &Options::default(),
    );
    let alg = report.findings.iter().find(|f| f.id == "ALG-001").unwrap();
    assert!(is_default(&alg.certainty));
}

#[test]
fn application_override_on_udp_5060_leaves_the_alg_on_for_tcp() {
    let text = fixture("set-app-override-udp.set");
    let (source, parsed) = parse(&text, &Hints::default());
    assert_no_unknown(&source, &parsed);
    let device = &parsed.device;
    let on = alg_on(device);
    assert_eq!(on.len(), 1);
    assert!(is_default(&on[0].evidence.certainty));
    let udp = &on[0]
        .scope
        .iter()
        .find(|(p, _)| *p == Protocol::Udp)
        .unwrap()
        .1;
    assert_eq!(udp.intersect(&Ports::single(5060)), None);
    assert!(udp.intersect(&Ports::single(5080)).is_some());
    assert!(
        on[0]
            .scope
            .iter()
            .any(|(p, ports)| *p == Protocol::Tcp && ports.is_any())
    );
    let off: Vec<_> = device.sip_alg.iter().filter(|a| !a.enabled).collect();
    assert_eq!(off.len(), 1);
    assert_eq!(off[0].scope, [(Protocol::Udp, Ports::single(5060))]);
    assert_eq!(off[0].evidence.certainty, Certainty::Explicit);
    assert!(
        evidence_text(&source, &off[0].evidence.spans)
            .starts_with("set rulebase application-override rules sip-no-alg")
    );
    // Timeouts: the global one, and the override application's on udp/5060.
    let global = global_timeout(device);
    assert_eq!(global.replied_seconds, Some(120));
    assert_eq!(
        evidence_text(&source, &global.evidence.spans),
        "set deviceconfig setting session timeout-udp 120"
    );
    let app = device
        .udp_timeouts
        .iter()
        .find(|t| t.scope == TimeoutScope::Ports(Ports::single(5060)))
        .unwrap();
    assert_eq!(app.replied_seconds, Some(3600));
    assert!(evidence_text(&source, &app.evidence.spans).contains("udp-timeout 3600"));
    // Forwards, with the object defined after the rule that uses it.
    let pbx = Some("192.168.50.10".parse().unwrap());
    let forwards: Vec<_> = device
        .forwards
        .iter()
        .map(|f| {
            (
                f.protocol,
                f.outside_ports.clone(),
                f.to,
                f.to_ports.clone(),
            )
        })
        .collect();
    assert_eq!(
        forwards,
        [
            (Some(Protocol::Udp), Ports::single(5060), pbx, None),
            (Some(Protocol::Tcp), Ports::single(5060), pbx, None),
            (Some(Protocol::Udp), ports(&[(16384, 32767)]), pbx, None),
            (
                Some(Protocol::Tcp),
                Ports::single(8443),
                pbx,
                Some(Ports::single(443))
            ),
        ]
    );
    assert_eq!(device.forwards[2].source, [net("203.0.113.64/28")]);
    assert!(device.forwards[0].source.is_empty());
    // Static source NAT keeps the ports.
    assert_eq!(device.source_nat[0].port_preservation, Some(true));
    // Inbound: from the carrier range only; the override application still covers.
    let inbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Inbound)
        .collect();
    assert!(inbound.iter().all(|f| f.source == [net("203.0.113.64/28")]));
    assert!(inbound.iter().all(|f| !f.conditional));
    // The banner's lines and the prompt are read as ignored configuration.
    for line in 1..=7 {
        assert_eq!(
            parsed.coverage.class(line),
            Some(LineClass::Ignored),
            "{line}"
        );
    }
    // ALG-001 for tcp/5060 (a default), nothing for udp/5060.
    let report = common::audit_report(
        Format::Panos,
        &text,
        &Hints::default(),
        "rfc-baseline",
        &Options::default(),
    );
    let alg: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == "ALG-001")
        .collect();
    assert_eq!(alg.len(), 1);
    assert!(alg[0].found.contains("tcp/5060"), "{}", alg[0].found);
    assert!(!alg[0].found.contains("udp/5060"), "{}", alg[0].found);
}

#[test]
fn per_leaf_set_form_with_alg_off_and_management_profile() {
    let text = fixture("set-hardened-per-leaf.set");
    let (source, parsed) = parse(&text, &Hints::default());
    assert_no_unknown(&source, &parsed);
    let device = &parsed.device;
    let version = device.version.as_ref().unwrap();
    assert_eq!(version.version, "10.2.4");
    assert_eq!(source.text_of(version.span), "10.2.4");
    assert!(alg_on(device).is_empty());
    assert_eq!(
        evidence_text(&source, &device.sip_alg[0].evidence.spans),
        "set shared alg-override application sip alg-disabled yes"
    );
    assert_eq!(global_timeout(device).replied_seconds, Some(300));
    assert_eq!(device.source_nat[0].port_preservation, Some(true));
    // A rule spread over twelve lines, with shared objects and an FQDN.
    let provider: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound && !f.conditional)
        .collect();
    assert_eq!(provider.len(), 2);
    assert_eq!(provider[0].protocol, Some(Protocol::Udp));
    assert_eq!(
        provider[0].destination_ports,
        ports(&[(5060, 5061), (10000, 20000)])
    );
    assert_eq!(provider[1].destination_ports, Ports::single(5061));
    assert_eq!(
        provider[0].destination,
        [
            net("198.18.10.0/24"),
            Address::Fqdn("sbc.voip-provider.example".into())
        ]
    );
    assert_eq!(provider[0].evidence.spans.len(), 12);
    // ntp (not a VoIP application) and a user-limited rule are conditional.
    let ntp = device
        .filters
        .iter()
        .find(|f| f.destination_ports == Ports::single(123))
        .unwrap();
    assert!(ntp.conditional);
    let web = device
        .filters
        .iter()
        .find(|f| f.destination_ports == ports(&[(80, 80), (443, 443), (8080, 8080)]))
        .unwrap();
    assert!(web.conditional);
    // ssh on the WAN interface, from one permitted address; https is off.
    let to_device: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice)
        .collect();
    assert_eq!(to_device.len(), 1);
    assert_eq!(to_device[0].destination_ports, Ports::single(22));
    assert_eq!(to_device[0].source, [net("192.0.2.200/32")]);
    // The overridden interzone default.
    let default = device
        .default_actions
        .iter()
        .find(|d| d.path == Path::Inbound)
        .unwrap();
    assert_eq!(default.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        evidence_text(&source, &default.evidence.spans),
        "set rulebase default-security-rules rules interzone-default action deny"
    );
    // ssh limited to one address is no exposure; without the limit it is.
    let profile = "fonality-pbxtra-premise";
    let ids = audit_ids(&text, &Hints::default(), profile, &Options::default());
    assert!(!ids.contains(&"ACL-003"), "{ids:?}");
    let open = text.replace(
        "set network profiles interface-management-profile wan-admin permitted-ip 192.0.2.200/32\n",
        "",
    );
    let ids = audit_ids(&open, &Hints::default(), profile, &Options::default());
    assert!(ids.contains(&"ACL-003"), "{ids:?}");
}

#[test]
fn brace_form_blocks_disabled_rules_and_forwards() {
    let text = fixture("brace-office.conf");
    let (source, parsed) = parse(&text, &Hints::default());
    assert_no_unknown(&source, &parsed);
    let device = &parsed.device;
    assert!(alg_on(device).is_empty());
    assert_eq!(
        evidence_text(&source, &device.sip_alg[0].evidence.spans),
        "alg-disabled yes;"
    );
    assert_eq!(global_timeout(device).replied_seconds, Some(180));
    let outbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound)
        .collect();
    assert_eq!(outbound.len(), 1);
    assert_eq!(
        outbound[0].destination_ports,
        ports(&[(5060, 5060), (10000, 20000)])
    );
    assert_eq!(outbound[0].source, [net("172.16.10.0/24")]);
    // The disabled rule is no fact; the SIP rule is.
    let inbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Inbound)
        .collect();
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0].destination_ports, Ports::single(5060));
    assert!(evidence_text(&source, &inbound[0].evidence.spans).contains("service sip-trunk;"));
    assert_eq!(device.forwards.len(), 1);
    assert_eq!(device.forwards[0].to, Some("172.16.10.5".parse().unwrap()));
    assert!(
        evidence_text(&source, &device.forwards[0].evidence.spans)
            .contains("translated-address ip-pbx;")
    );
    assert_eq!(device.source_nat[0].port_preservation, Some(false));
    // Closing braces are structure, block headers take their leaves' class.
    let close = source
        .lines()
        .find(|(_, l)| l.trim() == "}")
        .map(|(n, _)| n)
        .unwrap();
    assert_eq!(parsed.coverage.class(close), Some(LineClass::Blank));
    let header = source
        .lines()
        .find(|(_, l)| l.trim() == "rulebase {")
        .map(|(n, _)| n)
        .unwrap();
    assert_eq!(parsed.coverage.class(header), Some(LineClass::Understood));
}

#[test]
fn xml_api_envelope_version_management_and_explicit_accept_default() {
    let text = fixture("xml-api-envelope.xml");
    let (source, parsed) = parse(&text, &Hints::default());
    assert_no_unknown(&source, &parsed);
    let device = &parsed.device;
    let version = device.version.as_ref().unwrap();
    assert_eq!(version.version, "10.1.9");
    assert_eq!(source.text_of(version.span), "10.1.9");
    assert_eq!(alg_on(device).len(), 1);
    assert!(is_default(&alg_on(device)[0].evidence.certainty));
    // The custom application's UDP timeout on its default ports.
    let app = device
        .udp_timeouts
        .iter()
        .find(|t| t.scope == TimeoutScope::Ports(ports(&[(10000, 20000)])))
        .unwrap();
    assert_eq!(app.replied_seconds, Some(600));
    assert!(is_default(&global_timeout(device).evidence.certainty));
    // ssh and https on the WAN interface.
    let mut to_device: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice)
        .map(|f| (f.destination_ports.clone(), f.source.is_empty()))
        .collect();
    to_device.sort_by_key(|(p, _)| p.to_string());
    assert_eq!(
        to_device,
        [(Ports::single(22), true), (Ports::single(443), true)]
    );
    let ssh = device
        .filters
        .iter()
        .find(|f| f.path == Path::ToDevice && f.destination_ports == Ports::single(22))
        .unwrap();
    assert_eq!(
        evidence_text(&source, &ssh.evidence.spans),
        "<interface-management-profile>untrust-mgmt</interface-management-profile> | <ssh>yes</ssh>"
    );
    let default = device
        .default_actions
        .iter()
        .find(|d| d.path == Path::Outbound)
        .unwrap();
    assert_eq!(default.action, Action::Accept);
    assert_eq!(default.evidence.certainty, Certainty::Explicit);
    assert_eq!(device.forwards.len(), 1);
    assert_eq!(device.forwards[0].to, Some("10.9.0.20".parse().unwrap()));
    assert_eq!(device.forwards[0].protocol, Some(Protocol::Udp));
    // The envelope and closing tags are structure, not configuration.
    assert_eq!(
        parsed.coverage.class(source.line_count() as u32),
        Some(LineClass::Blank)
    );
    let ids = audit_ids(
        &text,
        &Hints::default(),
        "fonality-pbxtra-premise",
        &Options::default(),
    );
    for id in ["ALG-001", "ACL-002", "ACL-003", "TMO-001"] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
}

#[test]
fn xml_multi_vsys_is_read_for_the_hinted_zones() {
    let text = fixture("xml-multi-vsys.xml");
    let (source, parsed) = parse(&text, &hints("voice-wan", "voice-lan"));
    assert_no_unknown(&source, &parsed);
    let device = &parsed.device;
    assert_eq!(device.version.as_ref().unwrap().version, "11.0.0");
    // Both SIP ports overridden: the ALG is on everywhere else only.
    let on = alg_on(device);
    assert_eq!(on.len(), 1);
    for (_, scope) in &on[0].scope {
        assert_eq!(scope.intersect(&Ports::single(5060)), None);
    }
    assert_eq!(device.sip_alg.iter().filter(|a| !a.enabled).count(), 2);
    assert_eq!(global_timeout(device).replied_seconds, Some(90));
    // The bi-directional static NAT is a 1:1 NAT of the phone; the disabled forward is no fact.
    assert_eq!(device.forwards.len(), 1);
    assert_eq!(device.forwards[0].protocol, None);
    assert!(device.forwards[0].outside_ports.is_any());
    assert_eq!(device.forwards[0].to, Some("10.70.0.7".parse().unwrap()));
    assert_eq!(device.source_nat[0].port_preservation, Some(true));
    // Applications assigned by application-override rules still cover their ports.
    let out: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound)
        .collect();
    assert!(out.iter().all(|f| !f.conditional));
    assert_eq!(out[0].destination, [net("192.0.2.80/28")]);
    assert_eq!(
        out[0].destination_ports,
        ports(&[(5060, 5060), (16384, 16482)])
    );
    let deny = device
        .filters
        .iter()
        .find(|f| f.path == Path::Inbound)
        .unwrap();
    assert!(deny.conditional, "negate-source");
    let ids = audit_ids(
        &text,
        &hints("voice-wan", "voice-lan"),
        "rfc-baseline",
        &Options::default(),
    );
    assert!(ids.contains(&"ACL-004"), "{ids:?}");
    // Without hints the default vsys (vsys1) is read: no NAT there.
    let (_, plain) = parse(&text, &Hints::default());
    assert!(plain.device.forwards.is_empty());
}

// ---- 2. corpus ----

#[test]
fn corpus_files_parse_with_high_coverage_and_are_detected() {
    let floors: BTreeMap<&str, f64> = [
        ("application-override-nat-interaction", 0.95),
        ("destination-nat", 0.95),
        ("paloalto_backup.txt", 0.95),
        ("panos_full_sent.txt", 0.95),
        ("running_config.xml", 0.95),
        ("source-nat", 0.95),
    ]
    .into_iter()
    .collect();
    let files = common::corpus_files("panos");
    assert_eq!(
        files.len(),
        floors.len(),
        "corpus changed: update the floors"
    );
    for (name, parsed) in common::corpus_parsed(Format::Panos, files, |name| floors[name]) {
        // No export states an alg-override: the default is on.
        assert!(
            parsed
                .device
                .sip_alg
                .iter()
                .any(|a| a.enabled && is_default(&a.evidence.certainty)),
            "{name}"
        );
    }
}

#[test]
fn corpus_facts() {
    let files: BTreeMap<String, String> = common::corpus_files("panos").into_iter().collect();
    // DIPP to a translated address: ports translated.
    let (_, parsed) = parse(&files["source-nat"], &Hints::default());
    assert_eq!(parsed.device.source_nat.len(), 1);
    assert_eq!(parsed.device.source_nat[0].port_preservation, Some(false));
    // The second rule has the first one's match: never reached.
    let (_, parsed) = parse(&files["destination-nat"], &Hints::default());
    assert_eq!(parsed.device.forwards.len(), 1);
    assert_eq!(
        parsed.device.forwards[0].to,
        Some("1.1.1.99".parse().unwrap())
    );
    assert_eq!(parsed.device.forwards[0].source, [net("1.2.1.2/32")]);
    // Application-override rules on tcp/7653 and tcp/6542 take those ports out of App-ID.
    let (_, parsed) = parse(
        &files["application-override-nat-interaction"],
        &Hints::default(),
    );
    let off: Vec<_> = parsed
        .device
        .sip_alg
        .iter()
        .filter(|a| !a.enabled)
        .map(|a| a.scope.clone())
        .collect();
    assert_eq!(
        off,
        [
            vec![(Protocol::Tcp, Ports::single(7653))],
            vec![(Protocol::Tcp, Ports::single(6542))]
        ]
    );
    // The XML's version.
    let (_, parsed) = parse(&files["running_config.xml"], &Hints::default());
    assert_eq!(parsed.device.version.unwrap().version, "7.0.0");
}

// ---- 3. round trip ----

#[test]
fn renderings_read_back_for_every_profile() {
    for (options, hints) in [
        (options(), zone_hints()),
        (Options::default(), Hints::default()),
    ] {
        for id in common::profile_ids() {
            let policy = common::policy(id, &options);
            let text = common::render(Vendor::Panos, id, &options);
            let (source, parsed) = parse(&text, &hints);
            assert_no_unknown(&source, &parsed);
            assert_eq!(Format::detect(&text), Ok(Format::Panos), "{id}");
            let device = &parsed.device;
            // ALG: off when the profile wants it off, and nothing on meets 5060.
            if policy.sip_alg_off() {
                assert!(alg_on(device).is_empty(), "{id}");
                assert_eq!(device.sip_alg[0].evidence.certainty, Certainty::Explicit);
            }
            // Timeouts: the renderer raises the global UDP timeout to the profile's longest.
            let global = device.udp_timeouts.last().expect("a UDP timeout");
            match policy.timeouts.iter().map(|t| t.replied_seconds).max() {
                Some(wanted) => {
                    assert_eq!(global.evidence.certainty, Certainty::Explicit, "{id}");
                    assert!(global.replied_seconds >= Some(wanted), "{id}");
                }
                None => assert!(is_default(&global.evidence.certainty), "{id}"),
            }
            // Source NAT: DIPP to the egress interface, which translates ports (the renderer
            // says so in its port-preservation note).
            if policy.nat.source_nat.is_some() {
                assert!(!device.source_nat.is_empty(), "{id}");
                assert!(
                    device
                        .source_nat
                        .iter()
                        .all(|s| s.port_preservation == Some(false))
                );
            }
            // Forwards: exactly the policy's (protocol, ports, target), no DMZ host.
            let mut wanted: Vec<String> = policy
                .nat
                .port_forwards
                .iter()
                .filter(|f| f.to.is_ipv4() && !f.ports.is_any() && f.protocol.is_some())
                .map(|f| format!("{:?} {} {}", f.protocol, f.ports, f.to))
                .collect();
            let mut got: Vec<String> = device
                .forwards
                .iter()
                .map(|f| {
                    format!(
                        "{:?} {} {}",
                        f.protocol,
                        f.outside_ports,
                        f.to.map(|t| t.to_string()).unwrap_or_default()
                    )
                })
                .collect();
            wanted.sort();
            got.sort();
            assert_eq!(got, wanted, "{id}");
            assert!(
                device
                    .forwards
                    .iter()
                    .all(|f| f.protocol.is_some() && !f.outside_ports.is_any())
            );
            // Every rule of the policy is a rule of the export, in the right direction.
            let rules = device.filters.iter().filter(|f| !f.conditional).count();
            let expected = policy.rules.len()
                + usize::from(policy.forward_default == Action::Accept)
                    * usize::from(!policy.rules.is_empty());
            assert_eq!(rules, expected, "{id}");
            assert!(device.brute_force.is_empty(), "PAN-OS renders no limits");
        }
    }
}

/// The findings a rendering of each profile gets: only what the rendering itself says it
/// cannot do (its `port-preservation` limitation: DIPP translates source ports, and port
/// preservation needs public addresses sipwall does not know), and, for a profile that sets no
/// timeout, PAN-OS's 30 s default below RFC 4787's two minutes.
#[test]
fn audit_of_renderings_finds_only_the_stated_limitations() {
    let gaps = ["NAT-001", "TMO-002"];
    for (options, hints) in [
        (options(), zone_hints()),
        (Options::default(), Hints::default()),
    ] {
        for id in common::profile_ids() {
            let text = common::render(Vendor::Panos, id, &options);
            let ids = audit_ids(&text, &hints, id, &options);
            let limitations = Vendor::Panos
                .render(&common::policy(id, &options), false)
                .limitations;
            if ids.contains(&"NAT-001") {
                assert!(
                    limitations.iter().any(|l| l.topic == "port-preservation"),
                    "{id}"
                );
            }
            let other: Vec<_> = ids.iter().filter(|i| !gaps.contains(i)).collect();
            assert!(other.is_empty(), "{id}: {ids:?}");
        }
    }
}

/// `audit(mutated) - audit(original)`, as sorted ids (with repeats).
fn added(original: &str, mutated: &str, profile: &str) -> Vec<&'static str> {
    let context = (&zone_hints(), profile, &options());
    common::added_ids(Format::Panos, original, mutated, context)
}

fn removed(original: &str, mutated: &str, profile: &str) -> Vec<&'static str> {
    added(mutated, original, profile)
}

#[test]
fn removing_or_weakening_safety_lines_yields_the_matching_finding() {
    let profile = "fonality-pbxtra-premise";
    let text = common::render(Vendor::Panos, profile, &options());
    // ALG off removed.
    let alg_line = "set shared alg-override application sip alg-disabled yes\n";
    assert!(text.contains(alg_line));
    assert_eq!(
        added(&text, &text.replace(alg_line, ""), profile),
        ["ALG-001"]
    );
    // ALG explicitly on.
    assert_eq!(
        added(
            &text,
            &text.replace(
                alg_line,
                "set shared alg-override application sip alg-disabled no\n"
            ),
            profile
        ),
        ["ALG-001"]
    );
    // The source whitelist of inbound SIP removed.
    let whitelisted = text
        .lines()
        .find(|l| l.starts_with("set rulebase security rules sipwall-sip-inbound-in-udp"))
        .unwrap();
    let open = whitelisted.replace("source sipwall-203.0.113.0-24", "source any");
    assert_ne!(open, whitelisted);
    assert_eq!(
        added(&text, &text.replace(whitelisted, &open), profile),
        ["ACL-002"]
    );
    // ssh on the firewall's WAN interface.
    let ssh = format!(
        "{text}set zone untrust network layer3 ethernet1/1\n\
         set network interface ethernet ethernet1/1 layer3 interface-management-profile wan\n\
         set network profiles interface-management-profile wan ssh yes\n"
    );
    assert_eq!(added(&text, &ssh, profile), ["ACL-003"]);
    // A forward of everything to one host.
    let dmz = format!(
        "{text}set rulebase nat rules dmz from untrust to untrust source any destination any \
         service any destination-translation translated-address 192.168.1.99\n"
    );
    assert_eq!(added(&text, &dmz, profile), ["ACL-004"]);
    // A forward of ssh to the PBX.
    let ssh_forward = format!(
        "{text}set service ssh-22 protocol tcp port 22\n\
         set rulebase nat rules ssh-in from untrust to untrust source any destination any \
         service ssh-22 destination-translation translated-address 192.168.1.10\n"
    );
    assert_eq!(added(&text, &ssh_forward, profile), ["ACL-003"]);
    // The timeout weakened: the finding comes, with the line as evidence.
    let before = audit_ids(&text, &zone_hints(), profile, &options());
    assert!(!before.contains(&"TMO-001"));
    let timeout = text
        .lines()
        .find(|l| l.starts_with("set deviceconfig setting session timeout-udp "))
        .expect("the rendering raises the UDP timeout");
    let short = text.replace(timeout, "set deviceconfig setting session timeout-udp 60");
    assert_eq!(added(&text, &short, profile), ["TMO-001"]);
    let report = common::audit_report(Format::Panos, &short, &zone_hints(), profile, &options());
    let tmo = report.findings.iter().find(|f| f.id == "TMO-001").unwrap();
    assert_eq!(tmo.certainty, Certainty::Explicit);
    // Dynamic IP (no port translation) instead of DIPP: NAT-001 goes.
    let pool = text.replace(
        "source-translation dynamic-ip-and-port interface-address interface untrust",
        "source-translation dynamic-ip translated-address 198.51.100.8/29",
    );
    assert_ne!(pool, text);
    assert_eq!(removed(&text, &pool, profile), ["NAT-001"]);
    // Brute-force limits: PAN-OS cannot express them; a note, never a finding.
    assert!(!before.contains(&"ABU-001"));
}

// ---- 4. hostile input ----

#[test]
fn garbage_empty_binary_and_foreign_input() {
    for text in [
        "",
        "\n\n",
        "\0\u{1}\u{2}",
        "garbage }{ ; [[ \"",
        "<",
        "<config>",
        "<?xml version=\"1.0\"?><pfsense/>",
    ] {
        common::assert_parses_or_hints(Format::Panos, text, &Hints::default());
    }
    common::assert_refused_with_hint(Format::Panos, &["", "\0"]);
    common::assert_renderings_claimed_only_by_own(
        Format::Panos,
        |v| v == Vendor::Panos,
        "fonality-pbxtra-premise",
        &options(),
        29,
    );
}

#[test]
fn truncated_renderings_and_exports_parse() {
    let mut texts: Vec<String> = common::profile_ids()
        .into_iter()
        .map(|id| common::render(Vendor::Panos, id, &options()))
        .collect();
    texts.push(fixture("brace-office.conf"));
    texts.push(fixture("xml-api-envelope.xml"));
    texts.push(fixture("set-app-override-udp.set"));
    let mut seed: u64 = 0x5eed_cafe;
    for text in &texts {
        let cut = |len: usize| common::lcg(&mut seed) as usize % len.max(1);
        common::truncations_parse_or_hint(Format::Panos, text, &zone_hints(), 20, cut);
    }
}

#[test]
fn deep_and_long_input_stays_bounded() {
    let deep = "a {\n".repeat(10_000) + &"}\n".repeat(10_000);
    let _ = Format::Panos.parse(&Source::new("deep", deep), &Hints::default());
    let xml = "<config>".to_string() + &"<a>".repeat(5_000) + &"</a>".repeat(5_000) + "</config>";
    let _ = Format::Panos.parse(&Source::new("deep", xml), &Hints::default());
    let groups: String = (0..200)
        .map(|i| format!("set address-group g{i} static [ g{} ]\n", i + 1))
        .collect::<String>()
        + "set rulebase security rules r from trust to untrust source g0 destination any \
           application any service any action allow\n";
    let (_, parsed) = parse(&groups, &zone_hints());
    assert!(parsed.device.filters.iter().all(|f| f.conditional));
}

// ---- 5. property tests ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let source = Source::new("p", text.clone());
        let _ = Format::Panos.parse(&source, &Hints::default());
        let _ = Format::Panos.fingerprint(&text);
    }

    #[test]
    fn structured_noise_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("set ".to_string()),
                Just("{".to_string()),
                Just("}".to_string()),
                Just("[ a b".to_string()),
                Just("\"".to_string()),
                Just("<entry name=\"x\">".to_string()),
                Just("</entry>".to_string()),
                "set (rulebase|service|address|zone|shared|deviceconfig) [a-z0-9 ./,\\-\\[\\]\"]{0,60}",
                "[a-z0-9 ./{};\\-]{0,40}",
            ],
            0..40,
        )
    ) {
        let text = lines.join("\n");
        let _ = Format::Panos.parse(&Source::new("p", text.clone()), &zone_hints());
        let xml = format!("<config>{}</config>", lines.join(""));
        let _ = Format::Panos.parse(&Source::new("p", xml), &zone_hints());
    }

    #[test]
    fn shuffled_renderings_never_panic(seed in any::<u64>(), profile in 0usize..16) {
        let ids = common::profile_ids();
        let id = ids[profile % ids.len()];
        let text = common::render(Vendor::Panos, id, &options());
        let mut lines: Vec<&str> = text.lines().collect();
        let mut state = seed;
        for i in (1..lines.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            lines.swap(i, (state >> 33) as usize % (i + 1));
        }
        let shuffled = lines.join("\n");
        let parsed = Format::Panos.parse(&Source::new("p", shuffled), &zone_hints());
        prop_assert!(parsed.is_ok());
    }
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let id = "rfc-baseline";
    let options = options();
    let hints = zone_hints();
    let text = common::render(Vendor::Panos, id, &options);
    let service = "set service sipwall-sip-udp-tcp-out-udp protocol udp port 5060\n";
    let with = |ports: &str| {
        common::replaced(
            &text,
            service,
            &service.replace("port 5060", &format!("port 5060 source-port {ports}")),
        )
    };
    common::assert_source_port_limit_blocks(
        Format::Panos,
        &text,
        &with("55000-56000"),
        Some(&with("1-65535")),
        (&hints, id, &options),
        "sip-udp-tcp-out-udp",
    );
}
