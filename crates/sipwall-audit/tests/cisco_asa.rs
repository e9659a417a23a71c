//! The Cisco ASA parser: fixtures modelled on real running-configs (tests/fixtures/cisco-asa),
//! the third-party corpus (read in place), our own renderings (facts, audit round trip and
//! mutations of their safety lines) and hostile input.

mod common;

use proptest::prelude::*;
use sipwall_audit::device::{Certainty, Device, Path};
use sipwall_audit::formats::cisco_asa;
use sipwall_audit::{Format, Hints, LineClass, Parsed, Source};
use sipwall_firewall::model::{Action, Address, Ports, Protocol, TimeoutScope};
use sipwall_firewall::{Options, Vendor};

fn fixture(name: &str) -> String {
    common::fixture_text("cisco-asa", name)
}

fn read(text: &str) -> (Source, Parsed) {
    common::read(Format::CiscoAsa, "test", text)
}

fn net(text: &str) -> Address {
    Address::Net(text.parse().unwrap())
}

fn outside_inside() -> Options {
    Options {
        wan: "outside".into(),
        lan: "inside".into(),
        ..Options::default()
    }
}

/// The audit's finding ids for `text` (default hints) against built-in profile `profile` built
/// with [`outside_inside`].
fn audit_ids(text: &str, profile: &str) -> Vec<&'static str> {
    common::audit_ids(
        Format::CiscoAsa,
        text,
        &Hints::default(),
        profile,
        &outside_inside(),
    )
}

/// The effective UDP timeout of `port` as the catalogue computes it: the last port-scoped
/// timeout containing it, else the last global one.
fn effective(device: &Device, port: u16) -> Option<(Option<u32>, Option<u32>)> {
    let probe = Ports::single(port);
    device
        .udp_timeouts
        .iter()
        .rev()
        .find(|t| matches!(&t.scope, TimeoutScope::Ports(p) if p.intersect(&probe).is_some()))
        .or_else(|| {
            device
                .udp_timeouts
                .iter()
                .rev()
                .find(|t| t.scope == TimeoutScope::Global)
        })
        .map(|t| (t.unreplied_seconds, t.replied_seconds))
}

// ---------------------------------------------------------------------------------------------
// Fixtures

#[test]
fn factory_global_policy_inspects_sip() {
    let (source, parsed) = read(&fixture("asa-9.16-factory-inspect-sip.txt"));
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::CiscoAsa));
    let version = device.version.as_ref().unwrap();
    assert_eq!(version.version, "9.16(4)");
    assert_eq!(source.text_of(version.span), "9.16(4)");

    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:?}", device.sip_alg)
    };
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(source.text_of(alg.evidence.spans[0]), "inspect sip");
    assert_eq!(
        source.text_of(alg.evidence.spans[1]),
        "service-policy global_policy global"
    );
    assert_eq!(
        alg.scope,
        vec![
            (Protocol::Udp, Ports::single(5060)),
            (Protocol::Tcp, Ports::single(5060))
        ]
    );
    assert!(
        alg.mechanism.contains("sip_media` 0:02:00"),
        "{}",
        alg.mechanism
    );

    let [timeout] = device.udp_timeouts.as_slice() else {
        panic!("{:?}", device.udp_timeouts)
    };
    assert_eq!(timeout.replied_seconds, Some(120));
    assert_eq!(timeout.evidence.certainty, Certainty::Explicit);
    assert_eq!(source.text_of(timeout.evidence.spans[0]), "udp 0:02:00");

    let [pat] = device.source_nat.as_slice() else {
        panic!("{:?}", device.source_nat)
    };
    assert_eq!(pat.port_preservation, Some(true));
    assert!(matches!(
        pat.evidence.certainty,
        Certainty::DefaultInferred { default } if default == cisco_asa::PAT_KEEPS_PORT
    ));
    assert_eq!(
        source.text_of(pat.evidence.spans[0]),
        "nat (inside,outside) dynamic interface"
    );

    let [forward] = device.forwards.as_slice() else {
        panic!("{:?}", device.forwards)
    };
    assert_eq!(forward.protocol, Some(Protocol::Udp));
    assert_eq!(forward.outside_ports, Ports::single(5060));
    assert_eq!(forward.to, Some("192.168.10.20".parse().unwrap()));
    assert!(forward.source.is_empty());

    let inbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Inbound)
        .collect();
    assert_eq!(inbound.len(), 3);
    assert_eq!(inbound[0].source, vec![net("203.0.113.0/24")]);
    assert_eq!(inbound[0].destination, vec![net("192.168.10.20/32")]);
    assert_eq!(
        inbound[0].destination_ports,
        Ports::from_ranges([sipwall_firewall::model::PortRange::new(5060, 5062)])
    );
    assert_eq!(inbound[2].action, Action::Drop);
    assert_eq!(inbound[2].protocol, None);
    // No ACL on inside: security levels (100 → 0 passes); the outside ACL ends in a deny.
    let defaults: Vec<_> = device
        .default_actions
        .iter()
        .map(|d| (d.path, d.action))
        .collect();
    assert!(defaults.contains(&(Path::Outbound, Action::Accept)));
    assert!(defaults.contains(&(Path::Inbound, Action::Drop)));
    assert!(defaults.contains(&(Path::ToDevice, Action::Drop)));
    assert_eq!(parsed.coverage.summary().unknown, 0);
    // SSH and ASDM are open on inside only: nothing to the box from the WAN.
    assert!(device.filters.iter().all(|f| f.path != Path::ToDevice));

    let ids = audit_ids(&source.text, "rfc-baseline");
    assert!(ids.contains(&"ALG-001"), "{ids:?}");
}

#[test]
fn sip_absent_from_applied_list_and_tuned_timeouts() {
    let (source, parsed) = read(&fixture("asa-9.18-sip-off-tuned.txt"));
    let device = &parsed.device;
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:?}", device.sip_alg)
    };
    assert!(!alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    let texts: Vec<&str> = alg
        .evidence
        .spans
        .iter()
        .map(|s| source.text_of(*s))
        .collect();
    assert_eq!(
        texts,
        vec!["policy-map global_policy", "class inspection_default"]
    );
    // Global `udp 0:01:00`; the sip class 10 min, the media class (an ACL) 3 min.
    assert_eq!(effective(device, 7), Some((Some(60), Some(60))));
    assert_eq!(effective(device, 5060), Some((Some(600), Some(600))));
    assert_eq!(effective(device, 20000), Some((Some(180), Some(180))));
    let global = &device.udp_timeouts[0];
    assert_eq!(source.text_of(global.evidence.spans[0]), "udp 0:01:00");
    // PAT pool with block allocation: ports come from a block, not the real port.
    assert_eq!(device.source_nat[0].port_preservation, Some(false));
    assert!(matches!(
        device.source_nat[0].evidence.certainty,
        Certainty::DefaultInferred { default } if default == cisco_asa::PAT_BLOCK_ALLOCATION
    ));
    let outbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound)
        .collect();
    assert_eq!(outbound.len(), 5);
    assert_eq!(outbound[0].source, vec![net("10.20.30.0/24")]);
    assert_eq!(outbound[3].action, Action::Drop);
    assert_eq!(outbound[3].destination_ports, Ports::single(5062));
    assert_eq!(outbound[4].protocol, None);
    let default = device
        .default_actions
        .iter()
        .find(|d| d.path == Path::Outbound)
        .unwrap();
    assert_eq!(default.action, Action::Drop);
    assert!(matches!(
        default.evidence.certainty,
        Certainty::DefaultInferred { default } if default == cisco_asa::ACL_IMPLICIT_DENY
    ));
    assert_eq!(
        source.text_of(default.evidence.spans[0]),
        "access-group inside_access_in in interface inside"
    );
    // ssh and ASDM (on 8443) open to the world on outside.
    let to_device: Vec<(Ports, bool)> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice)
        .map(|f| (f.destination_ports.clone(), f.source.is_empty()))
        .collect();
    assert_eq!(
        to_device,
        vec![(Ports::single(8443), true), (Ports::single(22), true)]
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
    let ids = audit_ids(&source.text, "fonality-pbxtra-premise");
    for id in ["ACL-003", "NAT-001"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(!ids.contains(&"ALG-001"), "{ids:?}");
}

#[test]
fn policy_map_without_service_policy_is_not_applied() {
    let (source, parsed) = read(&fixture("asa-9.12-policy-not-applied.txt"));
    let [alg] = parsed.device.sip_alg.as_slice() else {
        panic!("{:?}", parsed.device.sip_alg)
    };
    assert!(!alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert!(
        alg.mechanism.contains("no service-policy"),
        "{}",
        alg.mechanism
    );
    assert_eq!(source.text_of(alg.evidence.spans[0]), "inspect sip");
    assert_eq!(
        source.text_of(alg.evidence.spans[1]),
        "policy-map global_policy"
    );
}

#[test]
fn interface_policy_inspects_sip_on_another_port() {
    let (source, parsed) = read(&fixture("asa-9.20-oxidized-interface-policy.txt"));
    let device = &parsed.device;
    assert_eq!(device.version.as_ref().unwrap().version, "9.20(2)10");
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:?}", device.sip_alg)
    };
    assert!(alg.enabled);
    assert_eq!(alg.scope, vec![(Protocol::Udp, Ports::single(5080))]);
    assert_eq!(
        source.text_of(alg.evidence.spans[1]),
        "service-policy voice-policy interface voice"
    );
    // Twice NAT: carrier peers reach the PBX's 5060 on the interface's 5080.
    let [forward] = device.forwards.as_slice() else {
        panic!("{:?}", device.forwards)
    };
    assert_eq!(forward.outside_ports, Ports::single(5080));
    assert_eq!(forward.to_ports, Some(Ports::single(5060)));
    assert_eq!(
        forward.source,
        vec![net("203.0.113.0/26"), net("192.0.2.10/32")]
    );
    // The service group gives udp and tcp 5080; the https entry runs in business hours only;
    // the inactive ssh entry is no fact.
    let inbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Inbound)
        .collect();
    assert_eq!(inbound.len(), 4);
    assert_eq!(inbound[0].protocol, Some(Protocol::Udp));
    assert_eq!(inbound[1].protocol, Some(Protocol::Tcp));
    assert!(inbound[3].conditional);
    assert!(
        inbound
            .iter()
            .all(|f| f.destination_ports != Ports::single(22))
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
    // The profile's SIP is 5060: the ALG hooks 5080 only.
    let ids = audit_ids(&source.text, "rfc-baseline");
    assert!(ids.contains(&"ALG-002"), "{ids:?}");
    assert!(!ids.contains(&"ALG-001"), "{ids:?}");
}

#[test]
fn fragment_relies_on_the_factory_service_policy() {
    let (source, parsed) = read(&fixture("asa-fragment-paste.txt"));
    let device = &parsed.device;
    assert!(device.version.is_none());
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:?}", device.sip_alg)
    };
    assert!(alg.enabled);
    assert!(matches!(
        alg.evidence.certainty,
        Certainty::DefaultInferred { default } if default == cisco_asa::GLOBAL_POLICY_APPLIED
    ));
    assert_eq!(source.text_of(alg.evidence.spans[0]), "inspect sip");
    assert!(alg.mechanism.contains("0:01:00"), "{}", alg.mechanism);
    assert_eq!(effective(device, 5060), Some((Some(30), Some(30))));
    let outbound: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound)
        .collect();
    assert_eq!(
        outbound[0].destination,
        vec![Address::Fqdn("sip.provider.example".into())]
    );
    assert_eq!(
        outbound[1].destination_ports,
        Ports::from_ranges([sipwall_firewall::model::PortRange::new(10000, 20000)])
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn pre_8_3_nat_is_a_version_issue() {
    let (source, parsed) = read(&fixture("asa-8.2-legacy-nat.txt"));
    let [issue] = parsed.device.version_issues.as_slice() else {
        panic!("{:?}", parsed.device.version_issues)
    };
    let texts: Vec<&str> = issue
        .evidence
        .spans
        .iter()
        .map(|s| source.text_of(*s))
        .collect();
    assert_eq!(texts[0], "global (outside) 1 interface");
    assert_eq!(texts.len(), 3);
    assert!(parsed.device.forwards.is_empty());
    assert_eq!(parsed.coverage.class(30), Some(LineClass::Unknown));
    let ids = audit_ids(&source.text, "rfc-baseline");
    assert!(ids.contains(&"VER-001"), "{ids:?}");
}

#[test]
fn hints_name_the_interfaces() {
    let text = fixture("asa-9.20-oxidized-interface-policy.txt");
    let source = Source::new("x", text.as_str());
    // Told that `voice` is the WAN, the carrier ACL (bound on `internet`) is no longer inbound.
    let hints = Hints {
        wan: vec!["voice".into()],
        lan: vec!["internet".into()],
    };
    let parsed = Format::CiscoAsa.parse(&source, &hints).unwrap();
    assert!(
        parsed
            .device
            .filters
            .iter()
            .all(|f| f.path != Path::Inbound)
    );
    assert!(parsed.device.forwards.is_empty());
    // The hardware name of `internet` works as well as the nameif.
    let hints = Hints {
        wan: vec!["Ethernet1/1".into()],
        lan: Vec::new(),
    };
    let parsed = Format::CiscoAsa.parse(&source, &hints).unwrap();
    assert_eq!(parsed.device.forwards.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Corpus

#[test]
fn corpus_parses_with_coverage() {
    let floors = [
        ("asa#5512_9.12-4-67_single-context#output.txt", 0.99),
        ("asa-nat-object-static", 0.99),
        ("asa-nat-twice-static", 0.99),
        ("asa_full_sent.txt", 0.99),
        // `service service1 service2` names service objects the file never defines.
        ("asa_nat", 0.9),
    ];
    let files = common::corpus_files("cisco-asa");
    assert_eq!(files.len(), floors.len());
    let floor = |name: &str| {
        floors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .unwrap_or_else(|| panic!("no floor for {name}"))
    };
    for (name, parsed) in common::corpus_parsed(Format::CiscoAsa, files, floor) {
        assert!(!parsed.device.sip_alg.is_empty(), "{name}");
        assert!(!parsed.device.udp_timeouts.is_empty(), "{name}");
    }
}

#[test]
fn corpus_sip_inspection_states() {
    let files = common::corpus_files("cisco-asa");
    let state = |name: &str| {
        let text = &files.iter().find(|(n, _)| n == name).unwrap().1;
        let parsed = common::parse(Format::CiscoAsa, text, &Hints::default());
        let alg = parsed.device.sip_alg[0].clone();
        (alg.enabled, alg.evidence.certainty)
    };
    // The real ASA 5512 inspects SIP in its applied global_policy.
    assert_eq!(
        state("asa#5512_9.12-4-67_single-context#output.txt"),
        (true, Certainty::Explicit)
    );
    // netutils' running-config lists its inspections without SIP.
    assert_eq!(state("asa_full_sent.txt"), (false, Certainty::Explicit));
    // Batfish's NAT excerpts have no policy-map at all: the factory default applies.
    let (on, certainty) = state("asa-nat-object-static");
    assert!(on);
    assert!(matches!(certainty, Certainty::DefaultInferred { .. }));
}

// ---------------------------------------------------------------------------------------------
// Our own renderings

fn option_sets() -> Vec<Options> {
    vec![
        Options::default(),
        outside_inside(),
        Options {
            forward_default: Action::Accept,
            ..outside_inside()
        },
        Options {
            lan_prefixes: vec!["192.168.1.0/24".parse().unwrap()],
            ..outside_inside()
        },
    ]
}

#[test]
fn renderings_round_trip_as_facts() {
    for options in option_sets() {
        for id in common::profile_ids() {
            let policy = common::policy(id, &options);
            let text = common::render(Vendor::CiscoAsa, id, &options);
            let (_, parsed) = read(&text);
            let device = &parsed.device;
            let context = format!("{id} ({}/{})", options.wan, options.lan);
            assert_eq!(parsed.coverage.summary().unknown, 0, "{context}");
            if policy.sip_alg_off() {
                assert!(
                    device.sip_alg.iter().all(|a| !a.enabled),
                    "{context}: {:?}",
                    device.sip_alg
                );
            }
            for wanted in &policy.timeouts {
                if wanted.protocol != Protocol::Udp {
                    continue;
                }
                let ports = match &wanted.scope {
                    TimeoutScope::Ports(p) => p.ranges(),
                    TimeoutScope::Global => vec![sipwall_firewall::model::PortRange::single(5060)],
                };
                for range in ports {
                    for port in [range.first, range.last] {
                        let (unreplied, replied) = effective(device, port).unwrap();
                        assert!(
                            replied.unwrap() >= wanted.replied_seconds
                                && unreplied.unwrap() >= wanted.unreplied_seconds,
                            "{context}: port {port}"
                        );
                    }
                }
            }
            if policy.nat.source_nat.is_some() {
                assert!(!device.source_nat.is_empty(), "{context}");
            }
            assert!(
                device
                    .source_nat
                    .iter()
                    .all(|n| n.port_preservation == Some(true)),
                "{context}"
            );
            // Forwards: every single port the policy forwards; port ranges are written as
            // twice-NAT instructions in comments (the renderer's port-range-forward
            // limitation), so they are no facts.
            let mut expected: Vec<(Option<Protocol>, Ports, std::net::IpAddr)> = Vec::new();
            for forward in &policy.nat.port_forwards {
                for range in forward.ports.ranges() {
                    if range.first == range.last {
                        expected.push((forward.protocol, Ports::single(range.first), forward.to));
                    } else {
                        assert!(
                            text.contains(&format!(
                                "! object service sipwall-fwd-{}-{}-{}",
                                forward.name, range.first, range.last
                            )),
                            "{context}"
                        );
                    }
                }
            }
            let mut found: Vec<(Option<Protocol>, Ports, std::net::IpAddr)> = device
                .forwards
                .iter()
                .map(|f| (f.protocol, f.outside_ports.clone(), f.to.unwrap()))
                .collect();
            expected.sort_by_key(|e| format!("{e:?}"));
            found.sort_by_key(|e| format!("{e:?}"));
            assert_eq!(found, expected, "{context}");
            assert!(
                device
                    .forwards
                    .iter()
                    .all(|f| f.protocol.is_some() && !f.outside_ports.is_any()),
                "{context}"
            );
            assert!(device.brute_force.is_empty(), "{context}");
        }
    }
}

/// Findings the ASA rendering of a profile is known to keep: the port-range forwards it writes
/// as instructions to check (comments), which the auditor rightly does not count.
fn known_findings(id: &str, text: &str) -> Vec<&'static str> {
    let ranges = common::policy(id, &outside_inside())
        .nat
        .port_forwards
        .iter()
        .flat_map(|f| {
            let protocols = match f.protocol {
                Some(_) => 1,
                None => 2,
            };
            let ranged = f.ports.ranges().iter().any(|r| r.first != r.last);
            std::iter::repeat_n("ACL-001", if ranged { protocols } else { 0 })
        })
        .collect::<Vec<_>>();
    assert!(ranges.is_empty() || text.contains("! - port-range-forward:"));
    ranges
}

#[test]
fn renderings_audit_clean() {
    for options in option_sets() {
        for id in common::profile_ids() {
            let text = common::render(Vendor::CiscoAsa, id, &options);
            let ids = common::audit_ids(Format::CiscoAsa, &text, &Hints::default(), id, &options);
            let mut known = known_findings(id, &text);
            known.sort();
            assert_eq!(ids, known, "{id} ({}/{})", options.wan, options.lan);
        }
    }
}

/// The finding ids a mutation adds to the rendering's own.
fn added(id: &str, original: &str, mutated: &str) -> Vec<&'static str> {
    assert_ne!(original, mutated, "the mutation changed nothing");
    let context = (&Hints::default(), id, &outside_inside());
    let mut after = common::added_ids(Format::CiscoAsa, original, mutated, context);
    after.dedup();
    after
}

#[test]
fn mutations_of_safety_lines_give_their_finding() {
    let id = "fonality-pbxtra-premise";
    let text = common::render(Vendor::CiscoAsa, id, &outside_inside());
    // SIP inspection back on.
    let alg = text.replace("  no inspect sip\n", "  inspect sip\n");
    assert_eq!(added(id, &text, &alg), vec!["ALG-001"]);
    // Timeouts below the profile's 90 s.
    let timeout = text.replace(
        "set connection timeout idle 0:02:00",
        "set connection timeout idle 0:01:00",
    );
    assert_eq!(added(id, &text, &timeout), vec!["TMO-001"]);
    // SSH to the ASA itself from anywhere on the WAN.
    let ssh = text.replace("\nend\n", "\nssh 0.0.0.0 0.0.0.0 outside\nend\n");
    assert_eq!(added(id, &text, &ssh), vec!["ACL-003"]);
    // The provider whitelist on inbound SIP dropped.
    let whitelist = text.replace(
        "permit udp object sipwall-203.0.113.0-24 object sipwall-192.168.1.10-32 eq 5060",
        "permit udp any object sipwall-192.168.1.10-32 eq 5060",
    );
    assert_eq!(added(id, &text, &whitelist), vec!["ACL-002"]);
    // PAT that hands out port blocks instead of keeping ports.
    let nat = text.replace(
        " nat (inside,outside) dynamic interface\n",
        " nat (inside,outside) dynamic pat-pool sipwall-inside-any block-allocation\n",
    );
    assert_eq!(added(id, &text, &nat), vec!["NAT-001"]);
    // A forward of SSH to the PBX.
    let forward = text.replace(
        "\nend\n",
        "\nobject network pbx-ssh\n host 192.168.1.10\n nat (inside,outside) static interface service tcp 22 2222\nend\n",
    );
    assert_eq!(added(id, &text, &forward), vec!["ACL-003"]);
    // Brute-force limits: the ASA renders none (its capability is "none"), so there is no
    // line to remove; ABU-001 becomes a note for this vendor.
}

// ---------------------------------------------------------------------------------------------
// Hostile input

#[test]
fn empty_binary_and_foreign_input_is_refused_with_a_hint() {
    common::assert_refused_with_hint(
        Format::CiscoAsa,
        &[
            "",
            "   \n\n",
            "\0\0binary",
            "hello world\nthis is not a firewall\n",
        ],
    );
}

#[test]
fn other_renderings_are_not_taken_for_asa() {
    let (id, options) = ("fonality-pbxtra-premise", outside_inside());
    common::assert_renderings_claimed_only_by_own(
        Format::CiscoAsa,
        |v| v == Vendor::CiscoAsa,
        id,
        &options,
        29,
    );
    let own = common::render(Vendor::CiscoAsa, id, &options);
    assert!(cisco_asa::fingerprint(&own) >= 90);
}

#[test]
fn truncated_renderings_never_panic() {
    let mut seed: u64 = 0x5eed_a5a0;
    for id in common::profile_ids() {
        let text = common::render(Vendor::CiscoAsa, id, &outside_inside());
        let hints = Hints::default();
        common::assert_truncations_parse_or_hint(Format::CiscoAsa, &text, &hints, &mut seed, 20);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let source = Source::new("x", text.as_str());
        let _ = Format::CiscoAsa.parse(&source, &Hints::default());
        let _ = cisco_asa::fingerprint(&text);
    }

    #[test]
    fn asa_like_lines_never_panic(lines in proptest::collection::vec(
        prop_oneof![
            Just("ASA Version 9.8(2)".to_string()),
            Just("access-list A extended permit".to_string()),
            Just("nat (inside,outside) source static".to_string()),
            Just(" nat (inside,outside) static interface service udp".to_string()),
            Just("object-group service G".to_string()),
            Just(" group-object G".to_string()),
            Just("policy-map global_policy".to_string()),
            Just(" class inspection_default".to_string()),
            Just("  inspect sip".to_string()),
            Just("timeout conn udp 99999999:99:99".to_string()),
            "[ a-z0-9:()./,-]{0,60}",
        ],
        0..60,
    )) {
        let text = lines.join("\n");
        let _ = Format::CiscoAsa.parse(&Source::new("x", text.as_str()), &Hints::default());
    }

    #[test]
    fn shuffled_renderings_never_panic(order in proptest::collection::vec(any::<u16>(), 1..400)) {
        let text = common::render(Vendor::CiscoAsa, "fonality-pbxtra-premise", &outside_inside());
        let lines: Vec<&str> = text.lines().collect();
        let shuffled: Vec<&str> = order
            .iter()
            .map(|i| lines[*i as usize % lines.len()])
            .collect();
        let joined = shuffled.join("\n");
        let _ = Format::CiscoAsa.parse(&Source::new("x", joined.as_str()), &Hints::default());
    }
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let id = "rfc-baseline";
    let options = outside_inside();
    let text = common::render(Vendor::CiscoAsa, id, &options);
    let permit = "extended permit udp any any eq 5060\n";
    let with = |ports: &str| {
        common::replaced(
            &text,
            permit,
            &format!("extended permit udp any {ports} any eq 5060\n"),
        )
    };
    common::assert_source_port_limit_blocks(
        Format::CiscoAsa,
        &text,
        &with("range 55000 56000"),
        Some(&with("range 1 65535")),
        (&Hints::default(), id, &options),
        "sip-udp-tcp-out-udp",
    );
}
