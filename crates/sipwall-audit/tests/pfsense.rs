//! The pfSense / OPNsense config.xml parser: fixtures modelled on real exports
//! (tests/fixtures/pfsense), the third-party corpus (read in place), our own renderings (GUI
//! steps plus a config.xml fragment: facts, audit round trip and mutations of their safety
//! lines) and hostile input.

mod common;

use proptest::prelude::*;
use sipwall_audit::device::{Certainty, Device, Path};
use sipwall_audit::formats::pfsense;
use sipwall_audit::{Format, Hints, Parsed, Source};
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};
use sipwall_firewall::{Options, Vendor};

fn fixture(name: &str) -> String {
    common::fixture_text("pfsense", name)
}

fn read(text: &str) -> (Source, Parsed) {
    common::read(Format::Pfsense, "test", text)
}

fn net(text: &str) -> Address {
    Address::Net(text.parse().unwrap())
}

/// The options the pfSense renderer's own tests use.
fn options() -> Options {
    Options {
        wan: "wan".into(),
        lan: "lan".into(),
        ..Options::default()
    }
}

/// The audit's finding ids for `text` (default hints) against built-in profile `profile` built
/// with [`options`].
fn audit_ids(text: &str, profile: &str) -> Vec<&'static str> {
    common::audit_ids(
        Format::Pfsense,
        text,
        &Hints::default(),
        profile,
        &options(),
    )
}

fn global_timeout(device: &Device) -> (Option<u32>, Option<u32>) {
    let timeout = device
        .udp_timeouts
        .iter()
        .rev()
        .find(|t| t.scope == TimeoutScope::Global)
        .expect("a global UDP timeout");
    (timeout.unreplied_seconds, timeout.replied_seconds)
}

// ---------------------------------------------------------------------------------------------
// Fixtures

#[test]
fn siproxd_package_and_automatic_outbound_nat() {
    let (source, parsed) = read(&fixture("pfsense-2.7-siproxd-automatic.xml"));
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::Pfsense));
    assert_eq!(device.version.as_ref().unwrap().version, "config 23.3");
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:?}", device.sip_alg)
    };
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        source.text_of(alg.evidence.spans[0]),
        "<sipenable>on</sipenable>"
    );
    assert!(alg.scope.contains(&(Protocol::Udp, Ports::single(5060))));
    // Automatic outbound NAT: every port rewritten (the NAT-001 source).
    let [nat] = device.source_nat.as_slice() else {
        panic!("{:?}", device.source_nat)
    };
    assert_eq!(nat.port_preservation, Some(false));
    assert!(nat.ports.is_any());
    assert!(matches!(
        nat.evidence.certainty,
        Certainty::DefaultInferred { default } if default == pfsense::PF_AUTO_OUTBOUND
    ));
    assert_eq!(
        source.text_of(nat.evidence.spans[0]),
        "<mode>automatic</mode>"
    );
    // pf defaults: 30 s unanswered (udp.single), 60 s answered; optimization normal.
    assert_eq!(global_timeout(device), (Some(30), Some(60)));
    // LAN IPv4 default allow; the IPv6 one leaves IPv4 flows alone.
    let outbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound)
        .collect();
    assert_eq!(outbound.len(), 2);
    assert!(outbound[0].source.is_empty() && !outbound[0].conditional);
    assert!(outbound[1].conditional);
    assert_eq!(parsed.coverage.summary().unknown, 0);
    let ids = audit_ids(&source.text, "rfc-baseline");
    for id in ["ALG-001", "NAT-001"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
}

#[test]
fn hybrid_static_port_forwards_and_timeouts() {
    let (source, parsed) = read(&fixture("pfsense-2.7-hybrid-static-port.xml"));
    let device = &parsed.device;
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:?}", device.sip_alg)
    };
    assert!(!alg.enabled);
    assert!(matches!(
        alg.evidence.certainty,
        Certainty::DefaultInferred { default } if default == pfsense::PF_NO_ALG
    ));
    // The Static Port mapping of the phones' subnet takes all ports: no automatic remainder.
    let [nat] = device.source_nat.as_slice() else {
        panic!("{:?}", device.source_nat)
    };
    assert_eq!(nat.port_preservation, Some(true));
    assert_eq!(nat.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        source.text_of(nat.evidence.spans[1]),
        "<staticnatport></staticnatport>"
    );
    assert_eq!(global_timeout(device), (Some(120), Some(300)));
    // SIP from the provider alias to the PBX alias; RTP with the `pass` association; the
    // disabled SSH forward and 1:1 NAT are no facts.
    assert_eq!(device.forwards.len(), 2);
    let sip = &device.forwards[0];
    assert_eq!(sip.protocol, Some(Protocol::Udp));
    assert_eq!(sip.to, Some("192.168.20.10".parse().unwrap()));
    assert_eq!(
        sip.source,
        vec![net("203.0.113.0/24"), net("198.51.100.128/25")]
    );
    let rtp = &device.forwards[1];
    assert_eq!(
        rtp.outside_ports,
        Ports::from_ranges([PortRange::new(10000, 20000)])
    );
    assert_eq!(rtp.to_ports, None);
    let inbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Inbound)
        .collect();
    // `pass` association first (rdr pass), then the floating SSH block, then the SIP rule.
    assert_eq!(inbound.len(), 3);
    assert_eq!(inbound[0].destination_ports, rtp.outside_ports);
    assert_eq!(inbound[1].action, Action::Drop);
    assert_eq!(inbound[1].destination_ports, Ports::single(22));
    assert_eq!(inbound[2].source, sip.source);
    let to_device: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice)
        .collect();
    assert_eq!(to_device.len(), 1);
    assert_eq!(to_device[0].action, Action::Drop);
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn opnsense_plugin_forwards_and_rate_limit() {
    let (source, parsed) = read(&fixture("opnsense-24.7-plugin-forwards.xml"));
    let device = &parsed.device;
    assert!(device.version.is_none());
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:?}", device.sip_alg)
    };
    assert!(!alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        source.text_of(alg.evidence.spans[0]),
        "<enabled>0</enabled>"
    );
    // Conservative optimisation: pf's UDP timeouts unchanged.
    assert_eq!(global_timeout(device), (Some(30), Some(60)));
    let timeout = &device.udp_timeouts[0];
    assert_eq!(
        source.text_of(timeout.evidence.spans[0]),
        "<optimization>conservative</optimization>"
    );
    // Advanced outbound NAT without Static Port.
    assert_eq!(device.source_nat.len(), 1);
    assert_eq!(device.source_nat[0].port_preservation, Some(false));
    // 2222 → ssh on the PBX (alias target, service-name port), passed by the forward itself;
    // TCP/UDP without a port: a DMZ host.
    let ssh = &device.forwards[0];
    assert_eq!(ssh.outside_ports, Ports::single(2222));
    assert_eq!(ssh.to_ports, Some(Ports::single(22)));
    assert_eq!(ssh.to, Some("10.10.10.5".parse().unwrap()));
    let dmz = &device.forwards[1];
    assert_eq!(dmz.protocol, None);
    assert!(dmz.outside_ports.is_any());
    assert_eq!(device.brute_force.len(), 1);
    assert_eq!(device.brute_force[0].ports, Ports::single(5061));
    assert_eq!(parsed.coverage.summary().unknown, 0);
    let ids = audit_ids(&source.text, "fonality-pbxtra-premise");
    for id in ["ACL-003", "ACL-004", "NAT-001"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(!ids.contains(&"ALG-001"), "{ids:?}");
}

#[test]
fn one_to_one_nat_and_webgui_on_wan() {
    let (source, parsed) = read(&fixture("pfsense-2.6-onetoone.xml"));
    let device = &parsed.device;
    let [one] = device.forwards.as_slice() else {
        panic!("{:?}", device.forwards)
    };
    assert_eq!(one.protocol, None);
    assert!(one.outside_ports.is_any());
    assert_eq!(one.to, Some("172.20.0.50".parse().unwrap()));
    assert_eq!(source.text_of(one.evidence.spans[0]), "<onetoone>");
    // Only udp.multiple is set; the others keep pf's defaults.
    assert_eq!(global_timeout(device), (Some(30), Some(90)));
    let to_device: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice)
        .collect();
    assert_eq!(to_device.len(), 1);
    assert_eq!(to_device[0].destination_ports, Ports::single(443));
    assert_eq!(to_device[0].action, Action::Accept);
    let ids = audit_ids(&source.text, "fonality-pbxtra-premise");
    assert!(ids.contains(&"ACL-004"), "{ids:?}");
}

#[test]
fn hints_pick_interfaces_by_key_or_description() {
    let text = fixture("pfsense-2.6-onetoone.xml");
    let source = Source::new("x", text.as_str());
    // `ISP` is the description of `wan`.
    let hints = Hints {
        wan: vec!["ISP".into()],
        lan: vec!["lan".into()],
    };
    let by_descr = Format::Pfsense.parse(&source, &hints).unwrap();
    assert_eq!(by_descr.device.forwards.len(), 1);
    // Told the WAN is some other interface, the WAN rules and the 1:1 NAT are not inbound.
    let hints = Hints {
        wan: vec!["opt9".into()],
        lan: vec!["lan".into()],
    };
    let by_device = Format::Pfsense
        .parse(
            &source,
            &Hints {
                wan: vec!["vmx0".into()],
                lan: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(by_device.device.forwards.len(), 1);
    let elsewhere = Format::Pfsense.parse(&source, &hints).unwrap();
    assert!(elsewhere.device.forwards.is_empty());
    assert!(
        elsewhere
            .device
            .filters
            .iter()
            .all(|f| f.path == Path::Outbound)
    );
}

#[test]
fn disabled_filter_passes_everything() {
    let text = fixture("pfsense-2.6-onetoone.xml").replace(
        "<optimization>aggressive</optimization>",
        "<optimization>aggressive</optimization><disablefilter>enabled</disablefilter>",
    );
    let (_, parsed) = read(&text);
    assert!(parsed.device.forwards.is_empty());
    assert!(parsed.device.source_nat.is_empty());
    assert!(
        parsed
            .device
            .default_actions
            .iter()
            .all(|d| d.action == Action::Accept && d.evidence.certainty == Certainty::Explicit)
    );
}

// ---------------------------------------------------------------------------------------------
// Corpus

#[test]
fn corpus_parses_with_coverage() {
    let mut files: Vec<(String, String)> = Vec::new();
    for dir in ["pfsense", "opnsense"] {
        for (name, text) in common::corpus_files(dir) {
            files.push((format!("{dir}/{name}"), text));
        }
    }
    assert_eq!(files.len(), 11);
    for (name, parsed) in common::corpus_parsed(Format::Pfsense, files, |_| 0.99) {
        let device = &parsed.device;
        assert!(device.sip_alg.iter().all(|a| !a.enabled), "{name}");
        assert_eq!(device.udp_timeouts.len(), 1, "{name}");
        assert_eq!(device.default_actions.len(), 3, "{name}");
    }
}

#[test]
fn corpus_facts() {
    let text = |dir: &str, name: &str| {
        common::corpus_files(dir)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
    };
    // The factory pfSense config: automatic outbound NAT (ports rewritten), no forwards.
    let factory = common::parse(
        Format::Pfsense,
        &text("pfsense", "config.xml"),
        &Hints::default(),
    );
    assert_eq!(factory.device.source_nat[0].port_preservation, Some(false));
    assert!(factory.device.forwards.is_empty());
    // Oxidized's capture names the release in a trailing comment.
    let oxidized = common::parse(
        Format::Pfsense,
        &text("pfsense", "pfsense#CE_2.7.2#output.txt"),
        &Hints::default(),
    );
    assert_eq!(
        oxidized.device.version.as_ref().unwrap().version,
        "2.7.2-RELEASE"
    );
    // Manual outbound NAT: Static Port only on the ISAKMP rules of localhost, which are the
    // firewall's own traffic; the LAN mapping to WAN rewrites ports.
    let manual = common::parse(
        Format::Pfsense,
        &text("pfsense", "config-pfSense.xml"),
        &Hints::default(),
    );
    assert_eq!(manual.device.source_nat.len(), 1);
    assert_eq!(manual.device.source_nat[0].port_preservation, Some(false));
    assert_eq!(manual.device.forwards.len(), 4);
    // OPNsense 26.1 port forwards: the disabled 2222 → ssh and the no-RDR rule are no facts.
    for name in [
        "opnsense-port-forwards.xml",
        "opnsense-legacy-port-forwards.xml",
    ] {
        let parsed = common::parse(Format::Pfsense, &text("opnsense", name), &Hints::default());
        let forwards = &parsed.device.forwards;
        assert!(
            forwards.iter().all(
                |f| f.outside_ports.intersect(&Ports::single(2222)).is_none()
                    && f.inside_ports().intersect(&Ports::single(22)).is_none()
            ),
            "{name}"
        );
        assert!(
            forwards
                .iter()
                .any(|f| f.outside_ports == Ports::single(443)
                    && f.to_ports == Some(Ports::single(8443))),
            "{name}"
        );
        let mail = forwards
            .iter()
            .find(|f| f.to == Some("192.168.20.25".parse().unwrap()))
            .unwrap();
        assert_eq!(
            mail.outside_ports,
            Ports::from_ranges([PortRange::single(25), PortRange::single(587)])
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Our own renderings

fn option_sets() -> Vec<Options> {
    vec![
        options(),
        Options {
            forward_default: Action::Accept,
            ..options()
        },
        Options {
            lan_prefixes: vec!["192.168.1.0/24".parse().unwrap()],
            ..options()
        },
    ]
}

#[test]
fn renderings_round_trip_as_facts() {
    for options in option_sets() {
        for id in common::profile_ids() {
            let policy = common::policy(id, &options);
            let text = common::render(Vendor::Pfsense, id, &options);
            let (_, parsed) = read(&text);
            let device = &parsed.device;
            assert_eq!(parsed.coverage.summary().unknown, 0, "{id}");
            assert!(device.sip_alg.iter().all(|a| !a.enabled), "{id}");
            let (unreplied, replied) = global_timeout(device);
            for wanted in policy
                .timeouts
                .iter()
                .filter(|t| t.protocol == Protocol::Udp)
            {
                assert!(unreplied.unwrap() >= wanted.unreplied_seconds, "{id}");
                assert!(replied.unwrap() >= wanted.replied_seconds, "{id}");
            }
            if policy.nat.source_nat.is_some() {
                assert!(!device.source_nat.is_empty(), "{id}");
                assert!(
                    device
                        .source_nat
                        .iter()
                        .all(|n| n.port_preservation == Some(true)),
                    "{id}: {:?}",
                    device.source_nat
                );
            }
            // Forwards (split by source whitelist in the rendering): the same ports to the
            // same host per protocol.
            for wanted in &policy.nat.port_forwards {
                let union = |ranges: Vec<PortRange>| Ports::from_ranges(ranges);
                let expected = union(
                    policy
                        .nat
                        .port_forwards
                        .iter()
                        .filter(|f| f.protocol == wanted.protocol && f.to == wanted.to)
                        .flat_map(|f| f.ports.ranges())
                        .collect(),
                );
                let found = union(
                    device
                        .forwards
                        .iter()
                        .filter(|f| f.protocol == wanted.protocol && f.to == Some(wanted.to))
                        .flat_map(|f| f.inside_ports().ranges())
                        .collect(),
                );
                assert_eq!(found, expected, "{id}: {}", wanted.name);
            }
            let wanted_ports: usize = policy
                .nat
                .port_forwards
                .iter()
                .map(|f| f.ports.ranges().len())
                .sum();
            assert!(device.forwards.len() >= wanted_ports, "{id}");
            assert!(
                device
                    .forwards
                    .iter()
                    .all(|f| f.protocol.is_some() && !f.outside_ports.is_any()),
                "{id}"
            );
            assert!(device.brute_force.is_empty(), "{id}");
        }
    }
}

/// Findings the pfSense rendering of a profile keeps: it leaves pf's UDP timeouts alone when
/// the profile names none, and pf's udp.multiple (60 s) is below RFC 4787's two minutes.
fn known_findings(id: &str) -> Vec<&'static str> {
    let policy = common::policy(id, &options());
    if policy.timeouts.is_empty() {
        vec!["TMO-002"]
    } else {
        Vec::new()
    }
}

#[test]
fn renderings_audit_clean() {
    for options in option_sets() {
        for id in common::profile_ids() {
            let text = common::render(Vendor::Pfsense, id, &options);
            let ids = common::audit_ids(Format::Pfsense, &text, &Hints::default(), id, &options);
            assert_eq!(ids, known_findings(id), "{id}");
        }
    }
}

fn added(id: &str, original: &str, mutated: &str) -> Vec<&'static str> {
    assert_ne!(original, mutated, "the mutation changed nothing");
    let context = (&Hints::default(), id, &options());
    let mut after = common::added_ids(Format::Pfsense, original, mutated, context);
    after.dedup();
    after
}

#[test]
fn mutations_of_safety_lines_give_their_finding() {
    let id = "fonality-pbxtra-premise";
    let text = common::render(Vendor::Pfsense, id, &options());
    // siproxd installed and enabled.
    let alg = text.replace(
        "</pfsense>\n",
        "  <installedpackages><siproxdsettings><config><sipenable>on</sipenable></config></siproxdsettings></installedpackages>\n</pfsense>\n",
    );
    assert_eq!(added(id, &text, &alg), vec!["ALG-001"]);
    // UDP state timeouts back below the profile's 90 s.
    let timeout = text.replace(
        "<udpmultipletimeout>90</udpmultipletimeout>",
        "<udpmultipletimeout>60</udpmultipletimeout>",
    );
    assert_eq!(added(id, &text, &timeout), vec!["TMO-001"]);
    // The WAN block of SSH turned into a pass.
    let ssh = text.replace(
        "<rule><type>block</type><interface>wan</interface><ipprotocol>inet46</ipprotocol><protocol>tcp</protocol><source><any/></source><destination><any/><port>22</port>",
        "<rule><type>pass</type><interface>wan</interface><ipprotocol>inet46</ipprotocol><protocol>tcp</protocol><source><any/></source><destination><any/><port>22</port>",
    );
    assert_eq!(added(id, &text, &ssh), vec!["ACL-003"]);
    // The provider whitelist dropped from the SIP forward and its WAN rule.
    let whitelist = text.replace(
        "<source><address>sw_sip_inbound_in_udp_whitel</address></source>",
        "<source><any/></source>",
    );
    assert_eq!(added(id, &text, &whitelist), vec!["ACL-002"]);
    // Static Port removed from the outbound mapping.
    let nat = text.replace("<staticnatport/>", "");
    assert_eq!(added(id, &text, &nat), vec!["NAT-001"]);
    // Brute-force limits: pf's overload counts TCP connections only and the renderer writes
    // none for SIP over UDP, so there is no line to remove; ABU-001 is a note for pfSense.
}

#[test]
fn rendering_fragment_is_read_after_the_steps() {
    let text = common::render(Vendor::Pfsense, "fonality-pbxtra-premise", &options());
    let (source, parsed) = read(&text);
    let start = text.find("<?xml").unwrap();
    let declaration = source.span_at(start, start).line;
    // Every line before the document is a `#` step (or blank), and counts as a comment.
    for number in 1..declaration {
        let class = parsed.coverage.class(number).unwrap();
        assert!(
            matches!(
                class,
                sipwall_audit::LineClass::Ignored | sipwall_audit::LineClass::Blank
            ),
            "line {number}: {class:?}"
        );
    }
    // Facts point into the fragment.
    let forward = &parsed.device.forwards[0];
    assert!(
        source
            .text_of(forward.evidence.spans[0])
            .starts_with("<rule><source>")
    );
    // Two documents are refused.
    let twice = format!("{text}{}", &text[start..]);
    let err = Format::Pfsense
        .parse(&Source::new("x", twice.as_str()), &Hints::default())
        .unwrap_err();
    assert!(err.message.contains("several"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Hostile input

#[test]
fn broken_and_foreign_input_is_refused_with_a_hint() {
    let broken = fixture("pfsense-2.6-onetoone.xml").replace("</filter>", "");
    let source = Source::new("x", broken.as_str());
    let err = Format::Pfsense
        .parse(&source, &Hints::default())
        .unwrap_err();
    assert!(err.message.contains("broken"), "{err}");
    let span = err.span.expect("a position");
    assert!(span.line > 1);
    common::assert_refused_with_hint(
        Format::Pfsense,
        &[
            "",
            "\0\0",
            "hello",
            "<?xml version=\"1.0\"?>\n<config version=\"10.1\"><devices/></config>\n",
            "# only comments\n# here\n",
        ],
    );
}

#[test]
fn other_renderings_are_not_taken_for_pfsense() {
    common::assert_renderings_claimed_only_by_own(
        Format::Pfsense,
        |v| v == Vendor::Pfsense,
        "fonality-pbxtra-premise",
        &options(),
        0,
    );
}

#[test]
fn truncated_renderings_never_panic() {
    let mut seed: u64 = 0x0bad_cafe;
    for id in common::profile_ids() {
        let text = common::render(Vendor::Pfsense, id, &options());
        let hints = Hints::default();
        common::assert_truncations_parse_or_hint(Format::Pfsense, &text, &hints, &mut seed, 20);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = Format::Pfsense.parse(&Source::new("x", text.as_str()), &Hints::default());
        let _ = pfsense::fingerprint(&text);
    }

    #[test]
    fn xml_like_text_never_panics(parts in proptest::collection::vec(
        prop_oneof![
            Just("<pfsense>".to_string()),
            Just("</pfsense>".to_string()),
            Just("<nat><rule><destination><port>".to_string()),
            Just("</port></destination></rule></nat>".to_string()),
            Just("<local-port>65535</local-port>".to_string()),
            Just("<aliases><alias><name>A</name><type>port</type><address>A</address></alias></aliases>".to_string()),
            Just("<filter><rule><interface>wan,lan</interface><floating>yes</floating>".to_string()),
            Just("</rule></filter>".to_string()),
            "[<>/a-z0-9:.-]{0,40}",
        ],
        0..40,
    )) {
        let text = format!("<?xml version=\"1.0\"?>\n{}", parts.join("\n"));
        let _ = Format::Pfsense.parse(&Source::new("x", text.as_str()), &Hints::default());
    }

    #[test]
    fn shuffled_renderings_never_panic(order in proptest::collection::vec(any::<u16>(), 1..300)) {
        let text = common::render(Vendor::Pfsense, "fonality-pbxtra-premise", &options());
        let lines: Vec<&str> = text.lines().collect();
        let joined = order
            .iter()
            .map(|i| lines[*i as usize % lines.len()])
            .collect::<Vec<_>>()
            .join("\n");
        let _ = Format::Pfsense.parse(&Source::new("x", joined.as_str()), &Hints::default());
    }
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let id = "rfc-baseline";
    let options = options();
    let text = common::render(Vendor::Pfsense, id, &options);
    let rule = "<protocol>udp</protocol><source><any/></source><destination><any/><port>5060</port></destination><descr>sipwall: sip-udp-tcp-out-udp</descr>";
    let with = |ports: &str| {
        common::replaced(
            &text,
            rule,
            &rule.replace(
                "<source><any/></source>",
                &format!("<source><any/><port>{ports}</port></source>"),
            ),
        )
    };
    common::assert_source_port_limit_blocks(
        Format::Pfsense,
        &text,
        &with("55000:56000"),
        Some(&with("1:65535")),
        (&Hints::default(), id, &options),
        "sip-udp-tcp-out-udp",
    );
}
