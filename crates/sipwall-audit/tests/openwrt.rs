//! The OpenWrt (fw4) parser on its fixtures, on the third-party corpus, on sipwall's own
//! `uci` script renderings (round trip through the audit engine, and mutations of the safety
//! lines), and on garbage.

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use sipwall_audit::device::{Certainty, Path};
use sipwall_audit::formats::openwrt::{
    FW4_AUTO_HELPER, OPENWRT_SHIPPED_CONFIG, OPENWRT_UDP_TIMEOUT_DEFAULT,
};
use sipwall_audit::{Format, Hints, Parsed, Source};
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};
use sipwall_firewall::{Options, Vendor};

fn fixture(name: &str) -> String {
    common::fixture_text("openwrt", name)
}

fn parse_fixture(name: &str) -> (Source, Parsed) {
    common::read(Format::Openwrt, name, &fixture(name))
}

const FIXTURES: &[&str] = &[
    "fw4-export-default-alg-on.conf",
    "fw4-zone-helper-dmz.conf",
    "fw4-auto-helper-on.conf",
    "uci-show.txt",
    "fw3-19.07-export.conf",
];

/// The renderer tests' options: OpenWrt's own zone names.
fn openwrt_options() -> Options {
    Options {
        wan: "wan".into(),
        lan: "lan".into(),
        ..Options::default()
    }
}

fn texts<'s>(source: &'s Source, evidence: &sipwall_audit::device::Evidence) -> Vec<&'s str> {
    evidence.spans.iter().map(|s| source.text_of(*s)).collect()
}

fn audit(text: &str, profile: &str) -> Vec<&'static str> {
    let mut ids = common::audit_ids(
        Format::Openwrt,
        text,
        &Hints::default(),
        profile,
        &openwrt_options(),
    );
    ids.dedup();
    ids
}

#[test]
fn export_without_auto_helper_has_the_alg_on_by_default() {
    let (source, parsed) = parse_fixture("fw4-export-default-alg-on.conf");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Openwrt));
    assert_eq!(d.version.as_ref().unwrap().version, "23.05.3");
    let alg = &d.sip_alg[0];
    assert!(alg.enabled);
    assert_eq!(
        alg.evidence.certainty,
        Certainty::DefaultInferred {
            default: FW4_AUTO_HELPER
        }
    );
    assert_eq!(alg.scope, vec![(Protocol::Udp, Ports::single(5060))]);
    // It points at the lan zone and the installed helper package.
    let lines = texts(&source, &alg.evidence);
    assert!(lines.contains(&"config zone"), "{lines:?}");
    assert!(
        lines.contains(&"kmod-nf-nathelper-extra - 5.15.150-1"),
        "{lines:?}"
    );
    // Appended sysctls.
    let t = &d.udp_timeouts[0];
    assert_eq!(
        (t.unreplied_seconds, t.replied_seconds),
        (Some(60), Some(180))
    );
    assert_eq!(t.evidence.certainty, Certainty::Explicit);
    // Forwards: SIP limited to the ipset's entries, RTP open; the disabled ssh one is no fact.
    assert_eq!(d.forwards.len(), 2);
    let sip = &d.forwards[0];
    assert_eq!(
        sip.source,
        vec![
            Address::Net("203.0.113.10/32".parse().unwrap()),
            Address::Net("203.0.113.11/32".parse().unwrap())
        ]
    );
    assert!(texts(&source, &sip.evidence).contains(&"option src_dport '5060'"));
    assert!(
        !d.forwards
            .iter()
            .any(|f| f.inside_ports() == &Ports::single(22))
    );
    // Masquerading wan zone; lan → wan forwarding.
    assert_eq!(d.source_nat.len(), 1);
    assert_eq!(d.source_nat[0].port_preservation, Some(true));
    assert!(texts(&source, &d.source_nat[0].evidence).contains(&"option masq '1'"));
    let outbound = d
        .default_actions
        .iter()
        .rev()
        .find(|a| a.path == Path::Outbound)
        .unwrap();
    assert_eq!(outbound.action, Action::Accept);
    assert!(texts(&source, &outbound.evidence).contains(&"config forwarding"));
    let s = parsed.coverage.summary();
    assert_eq!(s.unknown, 0, "{s:?}");
    let ids = audit(&fixture("fw4-export-default-alg-on.conf"), "rfc-baseline");
    assert!(ids.contains(&"ALG-001"), "{ids:?}");
    assert!(!ids.contains(&"ACL-003"), "{ids:?}");
}

#[test]
fn zone_helper_list_dmz_offload_and_random_snat() {
    let (source, parsed) = parse_fixture("fw4-zone-helper-dmz.conf");
    let d = &parsed.device;
    // auto_helper "0" (double quotes) is off, but the lan zone lists the sip helper.
    assert!(!d.sip_alg[0].enabled);
    assert_eq!(
        texts(&source, &d.sip_alg[0].evidence),
        ["option auto_helper \"0\""]
    );
    let on: Vec<_> = d.sip_alg.iter().filter(|a| a.enabled).collect();
    assert_eq!(on.len(), 1);
    assert_eq!(texts(&source, &on[0].evidence), ["list helper 'sip'"]);
    assert_eq!(on[0].evidence.certainty, Certainty::Explicit);
    // A redirect without src_dport: everything to one host.
    assert_eq!(d.forwards.len(), 1);
    assert!(d.forwards[0].protocol.is_none() && d.forwards[0].outside_ports.is_any());
    assert_eq!(d.offload.len(), 1);
    assert!(d.offload[0].mechanism.contains("hw"));
    // SNAT with snat_port randomises; the wan zone's masquerade keeps ports.
    assert!(
        d.source_nat
            .iter()
            .any(|n| n.port_preservation == Some(false) && n.protocol == Some(Protocol::Udp))
    );
    // `option limit` makes the ssh accept conditional and a brute-force limit.
    let ssh = d
        .filters
        .iter()
        .find(|f| f.path == Path::ToDevice && f.destination_ports == Ports::single(22))
        .unwrap();
    assert!(ssh.conditional);
    assert_eq!(d.brute_force.len(), 1);
    // `src '*'` reaches the LAN from the WAN too, before any zone rule.
    let first_inbound = d.filters.iter().find(|f| f.path == Path::Inbound).unwrap();
    assert_eq!(
        first_inbound.destination_ports,
        Ports::from_ranges([PortRange::new(5060, 5061)])
    );
    // Unquoted `option input REJECT`.
    let to_device = d
        .default_actions
        .iter()
        .rev()
        .find(|a| a.path == Path::ToDevice)
        .unwrap();
    assert_eq!(to_device.action, Action::Drop);
    assert_eq!(parsed.coverage.summary().unknown, 0);
    let ids = audit(&fixture("fw4-zone-helper-dmz.conf"), "rfc-baseline");
    for id in ["ALG-001", "ACL-004", "NAT-002", "NAT-001"] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
}

#[test]
fn explicit_auto_helper_on_skips_masquerading_and_opted_out_zones() {
    let (source, parsed) = parse_fixture("fw4-auto-helper-on.conf");
    let d = &parsed.device;
    let alg = &d.sip_alg[0];
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert!(texts(&source, &alg.evidence).contains(&"option auto_helper '1'"));
    assert!(alg.mechanism.contains("lan") && !alg.mechanism.contains("phones"));
    // Two zones forward to the wan; the scanner drop from the wan to the phones.
    let drop = d.filters.iter().find(|f| f.path == Path::Inbound).unwrap();
    assert_eq!(drop.action, Action::Drop);
    assert_eq!(drop.destination_ports, Ports::single(5060));
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn uci_show_output_reads_like_an_export() {
    let (source, parsed) = parse_fixture("uci-show.txt");
    let d = &parsed.device;
    assert_eq!(d.forwards.len(), 2);
    let web = &d.forwards[1];
    assert_eq!(web.outside_ports, Ports::single(8080));
    assert_eq!(web.to_ports, Some(Ports::single(80)));
    assert!(texts(&source, &web.evidence).contains(&"firewall.@redirect[1].dest_port='80'"));
    // `network='wan' 'wan6'`: a list.
    assert_eq!(d.source_nat.len(), 1);
    assert_eq!(parsed.coverage.summary().unknown, 0);
    let ids = audit(&fixture("uci-show.txt"), "fonality-pbxtra-premise");
    // FTP opened on the router, port 80 of the PBX forwarded.
    assert!(ids.contains(&"ACL-003"), "{ids:?}");
}

#[test]
fn an_old_release_is_a_version_issue() {
    let (source, parsed) = parse_fixture("fw3-19.07-export.conf");
    let d = &parsed.device;
    assert_eq!(d.version_issues.len(), 1);
    assert_eq!(
        texts(&source, &d.version_issues[0].evidence),
        ["DISTRIB_RELEASE='19.07.10'"]
    );
    assert!(audit(&fixture("fw3-19.07-export.conf"), "rfc-baseline").contains(&"VER-001"));
}

#[test]
fn corpus_parses_with_its_coverage_floor() {
    let files = common::corpus_files("openwrt");
    assert_eq!(files.len(), 2);
    for (name, parsed) in common::corpus_parsed(Format::Openwrt, files, |_| 0.95) {
        let d = &parsed.device;
        // Both keep auto_helper at its default: on for the lan zone.
        assert!(d.sip_alg[0].enabled, "{name}");
        assert_eq!(
            d.udp_timeouts[0].evidence.certainty,
            Certainty::DefaultInferred {
                default: OPENWRT_UDP_TIMEOUT_DEFAULT
            }
        );
        // No redirects in either; the masquerading zones are the WAN.
        assert!(d.forwards.is_empty(), "{name}");
        assert!(!d.source_nat.is_empty(), "{name}");
    }
}

#[test]
fn corpus_multi_wan_and_vpn_zone() {
    let files = common::corpus_files("openwrt");
    let parse = |prefix: &str| {
        let (_, text) = files.iter().find(|(n, _)| n.starts_with(prefix)).unwrap();
        common::parse(Format::Openwrt, text, &Hints::default()).device
    };
    // Three masquerading WAN zones, all uplinks.
    let mwan = parse("openwrt-mwan");
    assert_eq!(mwan.source_nat.len(), 3);
    // The Tailscale zone masquerades too, but it is no uplink: only wan is the WAN.
    let xray = parse("openwrt-xray");
    assert_eq!(xray.source_nat.len(), 1);
}

#[test]
fn renderings_read_back_into_the_policy() {
    for id in common::profile_ids() {
        let options = openwrt_options();
        let policy = common::policy(id, &options);
        let text = common::render(Vendor::Openwrt, id, &options);
        let parsed = common::parse(Format::Openwrt, &text, &Hints::default());
        assert_eq!(parsed.coverage.summary().unknown, 0, "{id}");
        let d = parsed.device;
        assert!(!d.sip_alg.is_empty());
        if policy.sip_alg_off() {
            assert!(d.sip_alg.iter().all(|a| !a.enabled), "{id}");
            assert_eq!(d.sip_alg[0].evidence.certainty, Certainty::Explicit);
        } else {
            // The profile says nothing on the ALG: the script leaves fw4's default (on).
            assert_eq!(
                d.sip_alg[0].evidence.certainty,
                Certainty::DefaultInferred {
                    default: FW4_AUTO_HELPER
                },
                "{id}"
            );
        }
        let global = d
            .udp_timeouts
            .iter()
            .rev()
            .find(|t| t.scope == TimeoutScope::Global)
            .unwrap();
        for t in policy
            .timeouts
            .iter()
            .filter(|t| t.protocol == Protocol::Udp)
        {
            assert!(global.replied_seconds.unwrap() >= t.replied_seconds, "{id}");
            assert!(
                global.unreplied_seconds.unwrap() >= t.unreplied_seconds,
                "{id}"
            );
            assert_eq!(global.evidence.certainty, Certainty::Explicit);
        }
        // The script leaves masquerading to the wan zone OpenWrt ships with.
        assert_eq!(d.source_nat.len(), 1);
        assert_eq!(d.source_nat[0].port_preservation, Some(true));
        assert_eq!(
            d.source_nat[0].evidence.certainty,
            Certainty::DefaultInferred {
                default: OPENWRT_SHIPPED_CONFIG
            }
        );
        // Forwards: per protocol and target, the policy's ports (split per whitelisted source
        // in the script), none a DMZ host.
        let mut want: BTreeMap<(Protocol, std::net::IpAddr), Vec<PortRange>> = BTreeMap::new();
        for f in &policy.nat.port_forwards {
            for p in f
                .protocol
                .map(|p| vec![p])
                .unwrap_or(vec![Protocol::Udp, Protocol::Tcp])
            {
                want.entry((p, f.to)).or_default().extend(f.ports.ranges());
            }
        }
        let mut got: BTreeMap<(Protocol, std::net::IpAddr), Vec<PortRange>> = BTreeMap::new();
        for f in &d.forwards {
            assert!(
                f.protocol.is_some() && !f.outside_ports.is_any(),
                "{id}: DMZ"
            );
            got.entry((f.protocol.unwrap(), f.to.unwrap()))
                .or_default()
                .extend(f.outside_ports.ranges());
        }
        let normal = |m: BTreeMap<_, Vec<PortRange>>| -> BTreeMap<_, Ports> {
            m.into_iter()
                .map(|(k, v)| (k, Ports::from_ranges(v)))
                .collect()
        };
        assert_eq!(normal(got), normal(want), "{id}");
        // Whitelisted forwards keep their sources.
        for w in &policy.hygiene.source_whitelists {
            for f in d.forwards.iter().filter(|f| {
                f.protocol == Some(w.protocol) && f.outside_ports.intersect(&w.ports).is_some()
            }) {
                assert!(!f.source.is_empty(), "{id}: {f:?}");
            }
        }
        // fw4 has no per-source limit: sipwall writes none.
        assert!(d.brute_force.is_empty());
    }
}

#[test]
fn renderings_audit_clean_against_their_profile() {
    let accept = Options {
        lan_prefixes: vec![
            "192.168.1.0/24".parse().unwrap(),
            "fd00::/64".parse().unwrap(),
        ],
        forward_default: Action::Accept,
        ..openwrt_options()
    };
    for id in common::profile_ids() {
        for options in [openwrt_options(), accept.clone()] {
            let text = common::render(Vendor::Openwrt, id, &options);
            for hints in [
                Hints::default(),
                Hints {
                    wan: vec!["wan".into()],
                    lan: vec!["lan".into()],
                },
            ] {
                let ids = common::audit_ids(Format::Openwrt, &text, &hints, id, &options);
                assert!(ids.is_empty(), "{id} ({options:?}, {hints:?}): {ids:?}");
            }
        }
    }
}

/// Applies `edit` to every line (return `None` to drop the line).
fn mutate(text: &str, edit: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if let Some(line) = edit(line) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    assert_ne!(out, format!("{text}\n"), "the mutation changed nothing");
    out
}

#[test]
fn weakening_a_safety_line_yields_its_finding() {
    let id = "fonality-pbxtra-premise";
    let text = common::render(Vendor::Openwrt, id, &openwrt_options());
    assert!(audit(&text, id).is_empty());
    // auto_helper back to its default (on).
    let alg = mutate(&text, |l| {
        (l != "uci set firewall.@defaults[0].auto_helper='0'").then(|| l.to_string())
    });
    assert_eq!(audit(&alg, id), ["ALG-001"]);
    // No sysctl file: OpenWrt's 60 s unreplied is below the profile's 90.
    let timeout = mutate(&text, |l| {
        (!l.starts_with("net.netfilter.")).then(|| l.to_string())
    });
    assert_eq!(audit(&timeout, id), ["TMO-001"]);
    // ssh accepted on the router instead of dropped.
    let ssh = mutate(&text, |l| {
        Some(
            if l == "uci set firewall.sipwall_never_open_tcp_22.target='DROP'" {
                l.replace("DROP", "ACCEPT")
            } else {
                l.to_string()
            },
        )
    });
    assert_eq!(audit(&ssh, id), ["ACL-003"]);
    // The SIP forward's source whitelist (its src_ip and the drops for everyone else) removed.
    let whitelist = mutate(&text, |l| {
        let gone = l.starts_with("uci set firewall.sipwall_fwd_sip_inbound_udp.src_ip=")
            || l.contains("firewall.sipwall_whitelist_");
        (!gone).then(|| l.to_string())
    });
    assert_eq!(audit(&whitelist, id), ["ACL-002"]);
}

#[test]
fn garbage_empty_binary_and_other_formats() {
    let hints = Hints::default();
    let parse = |text: &str| Format::Openwrt.parse(&Source::new("g", text), &hints);
    common::assert_refused_with_hint(
        Format::Openwrt,
        &[
            "",
            " \n\t\n",
            "\0\u{2}x",
            "just some text\nwithout sections\n",
        ],
    );
    let odd = "config\noption x\nlist\nconfig zone 'a\n\toption name 'x'\nuci set firewall.=\n\
               uci set firewall.@rule[99999999999999999999].x='1'\nuci add firewall\n\
               firewall.@zone[-5].name='q'\nuci delete firewall.@x[-1]\ncat <<'EOF'\nstuff\n";
    let parsed = parse(odd).unwrap();
    assert!(parsed.coverage.summary().unknown >= 5);
    common::assert_renderings_claimed_only_by_own(
        Format::Openwrt,
        |v| v == Vendor::Openwrt,
        "rfc-baseline",
        &openwrt_options(),
        100,
    );
    let text = common::render(
        Vendor::Openwrt,
        "fonality-pbxtra-premise",
        &openwrt_options(),
    );
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    common::assert_truncations_parse_or_hint(Format::Openwrt, &text, &hints, &mut seed, 20);
}

#[test]
fn fixtures_and_renderings_are_detected_as_openwrt() {
    for name in FIXTURES {
        assert_eq!(
            Format::detect(&fixture(name)).unwrap(),
            Format::Openwrt,
            "{name}"
        );
    }
    let text = common::render(Vendor::Openwrt, "cloudli", &openwrt_options());
    assert_eq!(Format::detect(&text).unwrap(), Format::Openwrt);
}

fn rendering_lines() -> Vec<String> {
    common::render(Vendor::Openwrt, "algar-cloudphone-pro", &openwrt_options())
        .lines()
        .map(str::to_string)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        let _ = Format::Openwrt.parse(&Source::new("p", text.clone()), &Hints::default());
        let _ = sipwall_audit::formats::openwrt::fingerprint(&text);
    }

    #[test]
    fn shuffled_renderings_never_panic(order in Just(rendering_lines()).prop_shuffle()) {
        let text = order.join("\n");
        let _ = Format::Openwrt.parse(&Source::new("p", text), &Hints::default());
    }

    #[test]
    fn uci_shaped_noise_never_panics(
        words in prop::collection::vec(
            prop_oneof![
                Just("config".to_string()), Just("option".to_string()), Just("list".to_string()),
                Just("'".to_string()), Just("\n".to_string()), Just("uci set".to_string()),
                Just("firewall.@rule[-1]".to_string()), Just("=".to_string()),
                Just("zone".to_string()), Just("redirect".to_string()), Just("<<EOF".to_string()),
                "[a-z0-9_.@\\[\\]=-]{0,10}",
            ],
            0..60,
        )
    ) {
        let text = words.join(" ");
        let _ = Format::Openwrt.parse(&Source::new("p", text), &Hints::default());
    }
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let id = "rfc-baseline";
    let options = openwrt_options();
    let hints = Hints {
        wan: vec![options.wan.clone()],
        lan: vec![options.lan.clone()],
    };
    // OpenWrt's shipped lan → wan forwarding accepts what no rule does: a reject of everything
    // else from the LAN after the rendered accepts makes them count.
    let last = "uci set firewall.sipwall_stun_out_udp.target='ACCEPT'\n";
    let text = common::replaced(
        &common::render(Vendor::Openwrt, id, &options),
        last,
        &format!(
            "{last}uci set firewall.sipwall_lan_reject=rule\n\
             uci set firewall.sipwall_lan_reject.src='lan'\n\
             uci set firewall.sipwall_lan_reject.dest='wan'\n\
             uci set firewall.sipwall_lan_reject.proto='all'\n\
             uci set firewall.sipwall_lan_reject.target='REJECT'\n"
        ),
    );
    let line = "uci add_list firewall.sipwall_sip_udp_tcp_out_udp.dest_port='5060'\n";
    let with = |ports: &str| {
        common::replaced(
            &text,
            line,
            &format!("{line}uci set firewall.sipwall_sip_udp_tcp_out_udp.src_port='{ports}'\n"),
        )
    };
    common::assert_source_port_limit_blocks(
        Format::Openwrt,
        &text,
        &with("55000-56000"),
        Some(&with("1-65535")),
        (&hints, id, &options),
        "sip-udp-tcp-out-udp",
    );
}
