//! The iptables parser on its fixtures (checked by the real `iptables-restore --test`), on the
//! third-party corpus, on sipwall's own renderings (round trip through the audit engine, and
//! mutations of the safety lines), and on garbage.

mod common;

use std::process::Command;

use proptest::prelude::*;
use sipwall_audit::device::{Certainty, Device, Path};
use sipwall_audit::formats::linux::{HELPER_DEFAULT, UDP_TIMEOUT_DEFAULT};
use sipwall_audit::{Format, Hints, Parsed, Source};
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};
use sipwall_firewall::{Options, Vendor};

fn fixture(name: &str) -> String {
    common::fixture_text("iptables", name)
}

fn parse_fixture(name: &str) -> (Source, Parsed) {
    common::read(Format::Iptables, name, &fixture(name))
}

const FIXTURES: &[&str] = &[
    "debian-pbx-router-alg-on.rules",
    "ubuntu-counters-default.rules",
    "openwrt-fw3-alg-on.rules",
    "legacy-dmz-helper-sysctl.rules",
];

fn range(a: u16, b: u16) -> Ports {
    Ports::from_ranges([PortRange::new(a, b)])
}

fn net(text: &str) -> Address {
    Address::Net(text.parse().unwrap())
}

/// The first line of each evidence span, as text.
fn first_text<'s>(source: &'s Source, evidence: &sipwall_audit::device::Evidence) -> &'s str {
    source.text_of(evidence.spans[0])
}

#[test]
fn raw_table_helper_turns_the_alg_on() {
    let (source, parsed) = parse_fixture("debian-pbx-router-alg-on.rules");
    let d = &parsed.device;
    assert_eq!(d.vendor, Some(Vendor::Iptables));
    assert_eq!(d.version.as_ref().unwrap().version, "1.8.9");
    let on: Vec<_> = d.sip_alg.iter().filter(|a| a.enabled).collect();
    assert_eq!(on.len(), 1);
    assert_eq!(on[0].evidence.certainty, Certainty::Explicit);
    assert_eq!(on[0].scope, vec![(Protocol::Udp, Ports::single(5060))]);
    assert!(first_text(&source, &on[0].evidence).ends_with("-j CT --helper sip"));
    // Appended sysctls, explicit.
    let t = &d.udp_timeouts[0];
    assert_eq!(t.scope, TimeoutScope::Global);
    assert_eq!(
        (t.unreplied_seconds, t.replied_seconds),
        (Some(30), Some(120))
    );
    assert_eq!(t.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        first_text(&source, &t.evidence),
        "net.netfilter.nf_conntrack_udp_timeout = 30"
    );
    // Forwards of SIP and RTP to the PBX, port preserving masquerade on enp1s0.
    assert_eq!(d.forwards.len(), 2);
    assert_eq!(d.forwards[0].protocol, Some(Protocol::Udp));
    assert_eq!(d.forwards[0].to, Some("192.168.10.5".parse().unwrap()));
    assert_eq!(d.forwards[1].outside_ports, range(10000, 20000));
    assert_eq!(d.source_nat.len(), 1);
    assert_eq!(d.source_nat[0].port_preservation, Some(true));
    assert!(first_text(&source, &d.source_nat[0].evidence).ends_with("-o enp1s0 -j MASQUERADE"));
    // The ssh rules of the user chain `wan-in`, reached from INPUT on the WAN: whitelisted
    // accept, rate-limited ban (conditional and a brute-force limit), then a drop of the rest.
    let to_device: Vec<_> = d
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice)
        .collect();
    assert_eq!(to_device.len(), 4, "{to_device:#?}");
    assert_eq!(to_device[0].source, vec![net("198.51.100.0/28")]);
    assert!(to_device[1].conditional);
    assert_eq!(to_device[3].action, Action::Drop);
    assert!(to_device[3].destination_ports.is_any());
    // Evidence: the rule, then the jump into its chain.
    assert_eq!(
        source.text_of(to_device[0].evidence.spans[1]),
        "-A INPUT -i enp1s0 -j wan-in"
    );
    assert_eq!(d.brute_force.len(), 1);
    assert_eq!(d.brute_force[0].ports, Ports::single(22));
    // Inbound to the PBX: whitelisted SIP, open RTP; the chain ends in RETURN, then the
    // FORWARD policy DROP.
    let inbound: Vec<_> = d
        .filters
        .iter()
        .filter(|f| f.path == Path::Inbound)
        .collect();
    assert_eq!(inbound.len(), 2);
    assert_eq!(inbound[0].source, vec![net("203.0.113.0/24")]);
    let default = |path| {
        d.default_actions
            .iter()
            .rev()
            .find(|a| a.path == path)
            .unwrap()
    };
    assert_eq!(default(Path::Inbound).action, Action::Drop);
    assert_eq!(
        source.text_of(default(Path::Inbound).evidence.spans[0]),
        ":FORWARD DROP [918:55310]"
    );
    // Outbound: the rules of `lan-out` in order, SMTP refused before the final accept.
    let outbound: Vec<_> = d
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound)
        .collect();
    assert!(
        outbound
            .iter()
            .any(|f| f.action == Action::Drop && f.destination_ports == Ports::single(25))
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn modern_kernel_without_helper_rule_has_the_alg_off_by_default() {
    let (source, parsed) = parse_fixture("ubuntu-counters-default.rules");
    let d = &parsed.device;
    assert_eq!(d.sip_alg.len(), 1);
    assert!(!d.sip_alg[0].enabled);
    assert_eq!(
        d.sip_alg[0].evidence.certainty,
        Certainty::DefaultInferred {
            default: HELPER_DEFAULT
        }
    );
    // No sysctl lines: the kernel's 30/120.
    let t = &d.udp_timeouts[0];
    assert_eq!(
        (t.unreplied_seconds, t.replied_seconds),
        (Some(30), Some(120))
    );
    assert_eq!(
        t.evidence.certainty,
        Certainty::DefaultInferred {
            default: UDP_TIMEOUT_DEFAULT
        }
    );
    // `--random-fully` (read through `[p:b]` counters and an escaped quote in the comment).
    assert_eq!(d.source_nat.len(), 1);
    assert_eq!(d.source_nat[0].port_preservation, Some(false));
    assert!(first_text(&source, &d.source_nat[0].evidence).contains("--random-fully"));
    // 22222 → 22 on the NAS.
    let ssh = &d.forwards[0];
    assert_eq!(ssh.outside_ports, Ports::single(22222));
    assert_eq!(ssh.to_ports, Some(Ports::single(22)));
    assert_eq!(ssh.inside_ports(), &Ports::single(22));
    // The hashlimit drop is conditional and a brute-force limit on udp/5060.
    assert!(
        d.brute_force
            .iter()
            .any(|b| b.protocol == Some(Protocol::Udp) && b.ports == Ports::single(5060))
    );
    let negated = d
        .filters
        .iter()
        .find(|f| f.destination_ports == Ports::single(8443))
        .unwrap();
    // `! -s X` is everyone but X: the complement prefixes, so the walk can match it.
    assert!(!negated.conditional);
    assert!(!negated.source.is_empty());
    let excluded = negated
        .source
        .iter()
        .filter_map(|a| match a {
            sipwall_firewall::model::Address::Net(net) => Some(net),
            _ => None,
        })
        .any(|net| net.contains(&"10.0.0.1".parse::<std::net::IpAddr>().unwrap()));
    assert!(!excluded, "{:?}", negated.source);
    // The IPv6 part adds its rules but the IPv4 policies stay the defaults.
    assert_eq!(
        d.default_actions
            .iter()
            .filter(|a| a.path == Path::ToDevice)
            .count(),
        1
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn fw3_zone_chains_helper_offload_and_port_forward_accepts() {
    let (source, parsed) = parse_fixture("openwrt-fw3-alg-on.rules");
    let d = &parsed.device;
    let on: Vec<_> = d.sip_alg.iter().filter(|a| a.enabled).collect();
    assert_eq!(on.len(), 1, "ftp and tftp helpers are not SIP");
    assert!(first_text(&source, &on[0].evidence).contains("!fw3: SIP VoIP connection tracking"));
    // The WAN is found through the jump into zone_wan_postrouting.
    assert_eq!(d.source_nat.len(), 1);
    assert_eq!(
        source.text_of(d.source_nat[0].evidence.spans[1]),
        "-A POSTROUTING -o eth0.2 -m comment --comment \"!fw3\" -j zone_wan_postrouting"
    );
    assert_eq!(d.offload.len(), 1);
    assert!(d.offload[0].ports.is_any());
    // `--ctstate DNAT` accepts exactly the forwarded ports.
    let accepted: Vec<_> = d
        .filters
        .iter()
        .filter(|f| f.path == Path::Inbound && f.action == Action::Accept)
        .map(|f| f.destination_ports.clone())
        .collect();
    assert_eq!(
        accepted,
        vec![Ports::single(500), Ports::single(5060), range(10000, 10100)]
    );
    // ssh opened on the router from the WAN by a rule.
    assert!(d.filters.iter().any(|f| f.path == Path::ToDevice
        && f.action == Action::Accept
        && f.destination_ports == Ports::single(22)
        && !f.conditional));
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn helper_sysctl_dmz_host_and_commented_rules() {
    let (source, parsed) = parse_fixture("legacy-dmz-helper-sysctl.rules");
    let d = &parsed.device;
    assert_eq!(d.sip_alg.len(), 1);
    assert!(d.sip_alg[0].enabled);
    assert_eq!(
        first_text(&source, &d.sip_alg[0].evidence),
        "net.netfilter.nf_conntrack_helper = 1"
    );
    // Only the live DNAT: a DMZ host; the commented-out 3389 and 8080 forwards are no facts.
    assert_eq!(d.forwards.len(), 1);
    assert!(d.forwards[0].protocol.is_none() && d.forwards[0].outside_ports.is_any());
    assert!(
        !d.filters
            .iter()
            .any(|f| f.destination_ports == Ports::single(21))
    );
    // SNAT to a port range randomises (udp), the plain SNAT keeps ports.
    let kept: Vec<_> = d.source_nat.iter().map(|n| n.port_preservation).collect();
    assert_eq!(kept, vec![Some(false), Some(true)]);
    // `-j CT --timeout` names a policy the export cannot show.
    let scoped = d
        .udp_timeouts
        .iter()
        .find(|t| t.scope != TimeoutScope::Global)
        .unwrap();
    assert_eq!(scoped.scope, TimeoutScope::Ports(range(5060, 5061)));
    assert_eq!(scoped.replied_seconds, None);
    assert_eq!(scoped.evidence.certainty, Certainty::Unknown);
    let global = &d.udp_timeouts[0];
    assert_eq!(global.replied_seconds, Some(180));
    // A raw-table drop of telnet on the WAN, before routing.
    assert_eq!(
        first_text(
            &source,
            &d.filters
                .iter()
                .find(|f| f.destination_ports == Ports::single(23))
                .unwrap()
                .evidence
        ),
        "-A PREROUTING -i eth0 -p tcp -m tcp --dport 23 -j DROP"
    );
    let summary = parsed.coverage.summary();
    assert_eq!(summary.unknown, 0);
    assert!(
        summary.ignored >= 2,
        "unrelated sysctls are ignored: {summary:?}"
    );
}

#[test]
fn fixtures_are_found_in_an_audit() {
    let audit = |name: &str, profile: &str| {
        common::audit_ids(
            Format::Iptables,
            &fixture(name),
            &Hints::default(),
            profile,
            &Options::default(),
        )
    };
    let debian = audit("debian-pbx-router-alg-on.rules", "rfc-baseline");
    assert!(debian.contains(&"ALG-001"), "{debian:?}");
    let ubuntu = audit("ubuntu-counters-default.rules", "rfc-baseline");
    assert!(ubuntu.contains(&"NAT-001"), "{ubuntu:?}");
    assert!(ubuntu.contains(&"ACL-002"), "{ubuntu:?}");
    assert!(!ubuntu.contains(&"ALG-001"), "{ubuntu:?}");
    // The premise profile forbids forwarding ssh: 22222 → 22 is found.
    let premise = audit("ubuntu-counters-default.rules", "fonality-pbxtra-premise");
    assert!(premise.contains(&"ACL-003"), "{premise:?}");
    let legacy = audit("legacy-dmz-helper-sysctl.rules", "rfc-baseline");
    assert!(legacy.contains(&"ACL-004"), "{legacy:?}");
    assert!(legacy.contains(&"ALG-001"), "{legacy:?}");
    let fw3 = audit("openwrt-fw3-alg-on.rules", "rfc-baseline");
    assert!(fw3.contains(&"NAT-002"), "{fw3:?}");
}

/// The parts of a fixture for each family: the blocks between `# Generated by …-save` and
/// `# Completed on` (what iptables-save prints), IPv4 first.
fn restore_parts(text: &str) -> Vec<(bool, String)> {
    let mut v4 = String::new();
    let mut v6 = String::new();
    let mut current: Option<bool> = None;
    for line in text.lines() {
        if current.is_none() && line.starts_with("# Generated by ") {
            current = Some(line.contains("ip6tables"));
        }
        if let Some(v6_part) = current {
            let part = if v6_part { &mut v6 } else { &mut v4 };
            part.push_str(line);
            part.push('\n');
        }
        if line.starts_with("# Completed on") {
            current = None;
        }
    }
    [(false, v4), (true, v6)]
        .into_iter()
        .filter(|(_, t)| !t.is_empty())
        .collect()
}

/// `unshare -rn PROGRAM --test FILE`; fails (never skips) when a tool is missing.
fn restore_test(program: &str, text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rules");
    std::fs::write(&path, text).expect("write rules");
    let output = Command::new("unshare")
        .args(["-rn", program, "--test"])
        .arg(&path)
        .output()
        .expect("`unshare` must be installed (util-linux)");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} --test rejected it ({}; exit 127 or `not found`: install iptables):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[test]
fn fixtures_pass_the_real_restore_validators() {
    for name in FIXTURES {
        let text = fixture(name);
        let parts = restore_parts(&text);
        assert!(!parts.is_empty(), "{name}");
        for (v6, part) in parts {
            let mut programs = if v6 {
                vec!["ip6tables-restore"]
            } else {
                vec!["iptables-restore"]
            };
            // The legacy backend also checks targets, but knows no OpenWrt FLOWOFFLOAD.
            if !part.contains("FLOWOFFLOAD") {
                programs.push(if v6 {
                    "ip6tables-legacy-restore"
                } else {
                    "iptables-legacy-restore"
                });
            }
            for program in programs {
                if let Err(e) = restore_test(program, &part) {
                    panic!("{name}: {e}");
                }
            }
        }
    }
    // Positive control: a broken rule is refused (so a pass above means something).
    assert!(
        restore_test(
            "iptables-restore",
            "*filter\n-A INPUT --dprt 22 -j ACCEPT\nCOMMIT\n"
        )
        .is_err()
    );
}

#[test]
fn corpus_parses_with_its_coverage_floor() {
    let files = common::corpus_files("iptables");
    assert_eq!(files.len(), 5);
    for (_, parsed) in common::corpus_parsed(Format::Iptables, files, |_| 0.95) {
        assert!(!parsed.device.sip_alg.is_empty() && !parsed.device.udp_timeouts.is_empty());
    }
}

#[test]
fn corpus_facts() {
    let files: Vec<(String, String)> = common::corpus_files("iptables");
    let device = |prefix: &str| -> Device {
        let (_, text) = files.iter().find(|(n, _)| n.starts_with(prefix)).unwrap();
        common::parse(Format::Iptables, text, &Hints::default()).device
    };
    // pi-router: its DNAT port forwards of 22 and 22222→22 are commented out.
    let pi = device("pi-router");
    assert!(pi.forwards.is_empty());
    assert!(
        !pi.filters
            .iter()
            .any(|f| f.destination_ports == Ports::single(22))
    );
    assert_eq!(pi.source_nat.len(), 1);
    // Docker: tcp/8080 → 192.168.0.2:80, the WAN being every interface but the bridge.
    let docker = device("hairpin");
    assert_eq!(docker.forwards.len(), 1);
    assert_eq!(docker.forwards[0].to_ports, Some(Ports::single(80)));
    assert!(docker.filters.iter().any(|f| f.path == Path::Inbound
        && f.action == Action::Accept
        && f.destination_ports == Ports::single(80)));
    // host2: ssh to the host from anywhere, INPUT policy DROP.
    let host2 = device("host2");
    assert!(host2.filters.iter().any(|f| f.path == Path::ToDevice
        && f.action == Action::Accept
        && f.destination_ports == Ports::single(22)));
}

/// The renderer tests' two option sets.
fn option_sets() -> Vec<Options> {
    vec![
        Options::default(),
        Options {
            lan_prefixes: vec![
                "192.168.1.0/24".parse().unwrap(),
                "fd00::/64".parse().unwrap(),
            ],
            forward_default: Action::Accept,
            ..Options::default()
        },
    ]
}

#[test]
fn renderings_read_back_into_the_policy() {
    for id in common::profile_ids() {
        for options in option_sets() {
            let policy = common::policy(id, &options);
            let text = common::render(Vendor::Iptables, id, &options);
            let d = common::parse(Format::Iptables, &text, &Hints::default()).device;
            // ALG off (the kernel default, and no helper rule even when the profile is silent).
            assert!(!d.sip_alg.is_empty());
            assert!(d.sip_alg.iter().all(|a| !a.enabled), "{id}");
            // UDP timeouts at least the policy's.
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
            }
            // Source NAT keeps ports.
            if policy.nat.source_nat.is_some() {
                assert!(!d.source_nat.is_empty(), "{id}");
            }
            assert!(
                d.source_nat
                    .iter()
                    .all(|n| n.port_preservation == Some(true))
            );
            // Forwards: exactly the policy's (per protocol), none a DMZ host.
            let mut want: Vec<(Protocol, Ports, std::net::IpAddr)> = Vec::new();
            for f in &policy.nat.port_forwards {
                for p in f
                    .protocol
                    .map(|p| vec![p])
                    .unwrap_or(vec![Protocol::Udp, Protocol::Tcp])
                {
                    want.push((p, f.ports.clone(), f.to));
                }
            }
            let mut got: Vec<(Protocol, Ports, std::net::IpAddr)> = d
                .forwards
                .iter()
                .map(|f| (f.protocol.unwrap(), f.outside_ports.clone(), f.to.unwrap()))
                .collect();
            want.sort_by_key(|w| format!("{w:?}"));
            got.sort_by_key(|w| format!("{w:?}"));
            assert_eq!(got, want, "{id}");
            assert!(d.forwards.iter().all(|f| f.to_ports.is_none()));
            // Brute-force limits where the policy has them.
            for limit in &policy.brute_force {
                assert!(
                    d.brute_force
                        .iter()
                        .any(|b| b.protocol == Some(limit.protocol)
                            && b.ports.intersect(&limit.ports).is_some()),
                    "{id}: {}",
                    limit.name
                );
            }
        }
    }
}

#[test]
fn renderings_audit_clean_against_their_profile() {
    for id in common::profile_ids() {
        for options in option_sets() {
            let text = common::render(Vendor::Iptables, id, &options);
            let ids = common::audit_ids(Format::Iptables, &text, &Hints::default(), id, &options);
            assert!(ids.is_empty(), "{id} ({options:?}): {ids:?}");
            // The same with the interfaces given instead of inferred.
            let hints = Hints {
                wan: vec![options.wan.clone()],
                lan: vec![options.lan.clone()],
            };
            let ids = common::audit_ids(Format::Iptables, &text, &hints, id, &options);
            assert!(ids.is_empty(), "{id} with hints: {ids:?}");
        }
    }
}

/// Applies `edit` to every line of the rendering (return `None` to drop the line).
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

fn distinct(mut ids: Vec<&'static str>) -> Vec<&'static str> {
    ids.dedup();
    ids
}

#[test]
fn weakening_a_safety_line_yields_its_finding() {
    let id = "fonality-pbxtra-premise";
    let options = Options::default();
    let text = common::render(Vendor::Iptables, id, &options);
    let audit = |text: &str| {
        distinct(common::audit_ids(
            Format::Iptables,
            text,
            &Hints::default(),
            id,
            &options,
        ))
    };
    assert!(audit(&text).is_empty());
    // A helper rule in the raw table.
    let alg = mutate(&text, |l| {
        Some(if l == ":OUTPUT ACCEPT [0:0]" {
            format!("{l}\n-A PREROUTING -p udp -m udp --dport 5060 -j CT --helper sip")
        } else {
            l.to_string()
        })
    });
    assert_eq!(audit(&alg), ["ALG-001"]);
    // The sysctl lines dropped: the kernel's 30 s unreplied is below the profile's 90.
    let timeout = mutate(&text, |l| {
        (!l.starts_with("#   sysctl -w ")).then(|| l.to_string())
    });
    assert_eq!(audit(&timeout), ["TMO-001"]);
    // ssh accepted on the router instead of dropped.
    let ssh = mutate(&text, |l| {
        Some(if l.contains("\"never open ssh\" -j DROP") {
            l.replace("-j DROP", "-j ACCEPT")
        } else {
            l.to_string()
        })
    });
    assert_eq!(audit(&ssh), ["ACL-003"]);
    // The whitelisted SIP accept opened to every source.
    let whitelist = mutate(&text, |l| {
        Some(if l.contains("sip-inbound-in-udp-whitelisted") {
            l.replace("-s 203.0.113.0/24 ", "")
        } else {
            l.to_string()
        })
    });
    assert_eq!(audit(&whitelist), ["ACL-002"]);
    // The per-source limit on udp/5060 removed.
    let brute = mutate(&text, |l| {
        (!l.contains("\"brute-force limit sip-udp\"")).then(|| l.to_string())
    });
    assert_eq!(audit(&brute), ["ABU-001"]);
}

#[test]
fn garbage_empty_binary_and_other_formats() {
    let hints = Hints::default();
    let parse = |text: &str| Format::Iptables.parse(&Source::new("g", text), &hints);
    common::assert_refused_with_hint(
        Format::Iptables,
        &[
            "",
            "   \n\n",
            "\0\u{1}binary",
            "hello world\nthis is not a firewall\n",
        ],
    );
    // Half a rule, unknown options, huge ports: unknown lines, no panic.
    let odd = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n\
               -A INPUT --frobnicate -j ACCEPT\n-A INPUT -m comment --comment \"open\n\
               -A INPUT -j\n-A\n[1:2] -A INPUT -s 300.1.1.1 -j DROP\n-A X -j X\n";
    let parsed = parse(odd).unwrap();
    assert!(parsed.coverage.summary().unknown >= 5);
    // Every other vendor's rendering: no panic, never detected as iptables; an error carries
    // a hint.
    common::assert_renderings_claimed_only_by_own(
        Format::Iptables,
        |v| v == Vendor::Iptables,
        "rfc-baseline",
        &Options::default(),
        100,
    );
    // Truncated renderings: every cut parses or errs cleanly.
    let text = common::render(
        Vendor::Iptables,
        "fonality-pbxtra-premise",
        &Options::default(),
    );
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    common::assert_truncations_parse_or_hint(Format::Iptables, &text, &hints, &mut seed, 20);
}

#[test]
fn fixtures_and_renderings_are_detected_as_iptables() {
    for name in FIXTURES {
        assert_eq!(
            Format::detect(&fixture(name)).unwrap(),
            Format::Iptables,
            "{name}"
        );
    }
    let text = common::render(Vendor::Iptables, "cloudli", &Options::default());
    assert_eq!(Format::detect(&text).unwrap(), Format::Iptables);
}

#[test]
fn script_form_is_read_too() {
    let text = "#!/bin/sh\niptables -P FORWARD DROP\niptables -t nat -A POSTROUTING -o ppp0 -j MASQUERADE\n\
                iptables -A FORWARD -i ppp0 -p udp --dport 5060 -j ACCEPT\n\
                ip6tables -A INPUT -p tcp --dport 22 -j ACCEPT\n";
    let d = common::parse(Format::Iptables, text, &Hints::default()).device;
    assert_eq!(d.source_nat.len(), 1);
    assert!(d.filters.iter().any(|f| f.path == Path::Inbound
        && f.action == Action::Accept
        && f.destination_ports == Ports::single(5060)));
    assert!(
        d.default_actions
            .iter()
            .any(|a| a.path == Path::Inbound && a.action == Action::Drop)
    );
}

fn rendering_lines() -> Vec<String> {
    common::render(
        Vendor::Iptables,
        "fonality-pbxtra-premise",
        &Options::default(),
    )
    .lines()
    .map(str::to_string)
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        let _ = Format::Iptables.parse(&Source::new("p", text.clone()), &Hints::default());
        let _ = sipwall_audit::formats::iptables::fingerprint(&text);
    }

    #[test]
    fn shuffled_renderings_never_panic(order in Just(rendering_lines()).prop_shuffle()) {
        let text = order.join("\n");
        let _ = Format::Iptables.parse(&Source::new("p", text), &Hints::default());
    }

    #[test]
    fn rule_shaped_noise_never_panics(
        words in prop::collection::vec(
            prop_oneof![
                Just("-A".to_string()), Just("-j".to_string()), Just("!".to_string()),
                Just("-m".to_string()), Just("--dport".to_string()), Just("-p".to_string()),
                Just("FORWARD".to_string()), Just("X".to_string()), Just("*nat".to_string()),
                Just(":X - [0:0]".to_string()), Just("-j X".to_string()), Just("\n".to_string()),
                "[a-z0-9:,./-]{0,8}",
            ],
            0..60,
        )
    ) {
        let text = words.join(" ");
        let _ = Format::Iptables.parse(&Source::new("p", text), &Hints::default());
    }
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let (id, options, hints) = ("rfc-baseline", Options::default(), Hints::default());
    let text = common::render(Vendor::Iptables, id, &options);
    let accept = "-p udp -m udp --dport 5060 -m comment --comment \"sip-udp-tcp-out-udp\"";
    for (limited, all) in [
        (
            "-p udp -m udp --sport 55000:56000 --dport 5060",
            "-p udp -m udp --sport 1:65535 --dport 5060",
        ),
        (
            "-p udp -m multiport --sports 55000:56000,65002 -m udp --dport 5060",
            "-p udp -m multiport --sports 0:65535 -m udp --dport 5060",
        ),
    ] {
        let with = |ports: &str| {
            common::replaced(
                &text,
                accept,
                &accept.replace("-p udp -m udp --dport 5060", ports),
            )
        };
        common::assert_source_port_limit_blocks(
            Format::Iptables,
            &text,
            &with(limited),
            Some(&with(all)),
            (&hints, id, &options),
            "sip-udp-tcp-out-udp",
        );
    }
}

/// `iptables-save; ip6tables-save` in one file: the IPv6 table's accepts must not stand in for
/// IPv4 accepts that are missing (the walk has no address families).
#[test]
fn ipv6_accepts_do_not_cover_missing_ipv4_accepts() {
    let options = Options::default();
    let id = "fonality-pbxtra";
    let text = common::render(Vendor::Iptables, id, &options);
    let parts = sipwall_firewall::vendors::iptables::sections(&text).expect("v4 and v6 parts");
    let v4_without_outbound: String = parts[0]
        .1
        .lines()
        .filter(|l| !(l.contains("-i lan0 -o wan0") && l.ends_with("-j ACCEPT")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(v4_without_outbound, parts[0].1);
    assert!(
        text.contains(&parts[0].1),
        "the v4 part is a piece of the rendering"
    );
    let broken = text.replacen(&parts[0].1, &v4_without_outbound, 1);
    let hints = Hints::default();
    assert_eq!(
        common::audit_ids(Format::Iptables, &text, &hints, id, &options),
        Vec::<&str>::new()
    );
    let ids = common::audit_ids(Format::Iptables, &broken, &hints, id, &options);
    assert!(
        !ids.is_empty() && ids.iter().all(|i| *i == "ACL-001"),
        "{ids:?}"
    );
}
