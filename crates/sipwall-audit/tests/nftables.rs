//! The nftables reader: hand-written fixtures (text, scripts, JSON, sysctl lines), the
//! third-party corpus, round trips of every built-in profile through `sipwall rules`, and the
//! real kernel: each ruleset is loaded with `nft -f` in a throwaway namespace (`unshare -rn`)
//! and read back as `nft list ruleset` and `nft -j list ruleset`; those must give the same facts
//! as the script.

mod common;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::process::Command;

use proptest::prelude::*;
use sipwall_audit::device::{Certainty, Device, FilterRule, Path};
use sipwall_audit::{Format, Hints, LineClass, Parsed, Source};
use sipwall_firewall::model::{
    Action, Address, Direction, PortRange, Ports, Protocol, Rule, TimeoutScope,
};
use sipwall_firewall::{Options, Vendor};

// ---- helpers -----------------------------------------------------------------------------------

fn fixture(name: &str) -> String {
    common::fixture_text("nftables", name)
}

fn parse(text: &str) -> (Source, Parsed) {
    common::read(Format::Nftables, "test", text)
}

fn ports(ranges: &[(u16, u16)]) -> Ports {
    Ports::from_ranges(ranges.iter().map(|&(a, b)| PortRange::new(a, b)))
}

/// The text of every evidence span, for assertions on where a fact points.
fn texts<'a>(source: &'a Source, spans: &[sipwall_audit::Span]) -> Vec<&'a str> {
    spans.iter().map(|s| source.text_of(*s)).collect()
}

/// The lines the options of the nftables renderer tests use (default, and LAN prefixes with
/// forward default accept).
fn option_sets() -> Vec<(&'static str, Options)> {
    vec![
        ("default", Options::default()),
        (
            "lan",
            Options {
                lan_prefixes: vec![
                    "192.168.1.0/24".parse().unwrap(),
                    "fd00::/64".parse().unwrap(),
                ],
                forward_default: Action::Accept,
                ..Options::default()
            },
        ),
    ]
}

/// Loads `text` with `nft -f` into a new user and network namespace and lists the ruleset
/// back (`json`: `nft -j`). Fails, never skips, when `unshare` or `nft` is missing.
fn kernel(text: &str, json: bool) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rules.nft");
    std::fs::write(&path, text).expect("write rules");
    let list = if json {
        "nft -j list ruleset"
    } else {
        "nft list ruleset"
    };
    let output = Command::new("unshare")
        .args(["-rn", "sh", "-c", &format!("nft -f \"$1\" && {list}"), "sh"])
        .arg(&path)
        .output()
        .expect(
            "`unshare` (util-linux) must be installed: this test loads rulesets into the kernel \
             in a throwaway namespace",
        );
    assert!(
        output.status.success(),
        "`nft -f` (nftables must be installed) rejected the ruleset: {}\n--- file ---\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("nft prints UTF-8")
}

/// One forward without evidence: protocol, outside ports, target, inside ports, sources.
type ForwardFact = (
    Option<Protocol>,
    Ports,
    Option<IpAddr>,
    Option<Ports>,
    Vec<String>,
);

/// One filter rule without evidence: path, protocol, sources, destinations, ports, action,
/// conditional.
type FilterFact = (
    Path,
    Option<Protocol>,
    Vec<String>,
    Vec<String>,
    Ports,
    Action,
    bool,
);

/// The facts without evidence, addresses sorted: what text and JSON must agree on.
#[derive(Debug, PartialEq)]
struct Facts {
    alg: Vec<(bool, Vec<(Protocol, Ports)>)>,
    timeouts: Vec<(TimeoutScope, Option<u32>, Option<u32>)>,
    snat: Vec<(Option<bool>, Ports, Option<Protocol>)>,
    forwards: Vec<ForwardFact>,
    filters: Vec<FilterFact>,
    defaults: Vec<(Path, Action)>,
    offload: Vec<Ports>,
    brute_force: Vec<(Option<Protocol>, Ports)>,
}

fn sorted(addresses: &[Address]) -> Vec<String> {
    let set: BTreeSet<String> = addresses.iter().map(ToString::to_string).collect();
    set.into_iter().collect()
}

fn facts(device: &Device) -> Facts {
    Facts {
        alg: device
            .sip_alg
            .iter()
            .map(|a| (a.enabled, a.scope.clone()))
            .collect(),
        timeouts: device
            .udp_timeouts
            .iter()
            .map(|t| (t.scope.clone(), t.unreplied_seconds, t.replied_seconds))
            .collect(),
        snat: device
            .source_nat
            .iter()
            .map(|s| (s.port_preservation, s.ports.clone(), s.protocol))
            .collect(),
        forwards: device
            .forwards
            .iter()
            .map(|f| {
                (
                    f.protocol,
                    f.outside_ports.clone(),
                    f.to,
                    f.to_ports.clone(),
                    sorted(&f.source),
                )
            })
            .collect(),
        filters: device
            .filters
            .iter()
            .map(|f| {
                (
                    f.path,
                    f.protocol,
                    sorted(&f.source),
                    sorted(&f.destination),
                    f.destination_ports.clone(),
                    f.action,
                    f.conditional,
                )
            })
            .collect(),
        defaults: device
            .default_actions
            .iter()
            .map(|d| (d.path, d.action))
            .collect(),
        offload: device.offload.iter().map(|o| o.ports.clone()).collect(),
        brute_force: device
            .brute_force
            .iter()
            .map(|b| (b.protocol, b.ports.clone()))
            .collect(),
    }
}

fn assert_full_coverage(name: &str, source: &Source, parsed: &Parsed) {
    let unknown: Vec<String> = parsed
        .coverage
        .unknown_lines()
        .map(|n| format!("{n}: {}", source.line(n)))
        .collect();
    assert!(unknown.is_empty(), "{name}: unknown lines {unknown:#?}");
}

fn enabled_alg_meets_5060(device: &Device) -> bool {
    device.sip_alg.iter().any(|a| {
        a.enabled
            && (a.scope.is_empty()
                || a.scope
                    .iter()
                    .any(|(_, p)| p.intersect(&Ports::single(5060)).is_some()))
    })
}

/// The sysctl lines `--live` appends (a 6.x kernel has no nf_conntrack_helper any more).
const SYSCTL: &str = "net.netfilter.nf_conntrack_max = 262144\n\
                      net.netfilter.nf_conntrack_udp_timeout = 45\n\
                      net.netfilter.nf_conntrack_udp_timeout_stream = 180\n\
                      sysctl: cannot stat /proc/sys/net/netfilter/nf_conntrack_helper: No such file or directory\n";

// ---- fixtures ----------------------------------------------------------------------------------

#[test]
fn a_prerouting_helper_rule_turns_the_sip_alg_on() {
    let text = fixture("sip-helper-prerouting.nft");
    let (source, parsed) = parse(&text);
    let device = &parsed.device;
    assert_full_coverage("sip-helper-prerouting.nft", &source, &parsed);
    assert_eq!(device.vendor, Some(Vendor::Nftables));

    let [alg] = device.sip_alg.as_slice() else {
        panic!("one ALG state: {:#?}", device.sip_alg)
    };
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(alg.scope, vec![(Protocol::Udp, Ports::single(5060))]);
    let spans = texts(&source, &alg.evidence.spans);
    assert!(
        spans[0].ends_with("udp dport 5060 ct helper set \"sip-5060\""),
        "{spans:?}"
    );
    assert!(spans.contains(&"ct helper sip-5060"), "{spans:?}");

    // The per-port timeout (set at priority filter, after conntrack) and the default global.
    assert_eq!(device.udp_timeouts.len(), 2);
    let global = &device.udp_timeouts[0];
    assert_eq!(global.scope, TimeoutScope::Global);
    assert_eq!(
        (global.unreplied_seconds, global.replied_seconds),
        (Some(30), Some(120))
    );
    assert!(matches!(
        global.evidence.certainty,
        Certainty::DefaultInferred { .. }
    ));
    let sip = &device.udp_timeouts[1];
    assert_eq!(sip.scope, TimeoutScope::Ports(Ports::single(5060)));
    assert_eq!(
        (sip.unreplied_seconds, sip.replied_seconds),
        (Some(60), Some(300))
    );
    assert_eq!(
        source.text_of(sip.evidence.spans[0]),
        "udp dport 5060 ct timeout set \"sip-udp\""
    );

    assert_eq!(device.source_nat.len(), 1);
    assert_eq!(device.source_nat[0].port_preservation, Some(true));
    let forwards: Vec<_> = facts(device).forwards;
    let pbx: IpAddr = "192.168.10.5".parse().unwrap();
    assert_eq!(
        forwards,
        vec![
            (
                Some(Protocol::Udp),
                Ports::single(5060),
                Some(pbx),
                None,
                vec![]
            ),
            (
                Some(Protocol::Udp),
                ports(&[(10000, 20000)]),
                Some(pbx),
                None,
                vec![]
            ),
            (
                Some(Protocol::Tcp),
                Ports::single(8443),
                Some("192.168.10.7".parse().unwrap()),
                Some(Ports::single(443)),
                vec![]
            ),
        ]
    );
    // The provider whitelist on the SIP forward, expanded from `define PROVIDER`.
    let sip_in: &FilterRule = device
        .filters
        .iter()
        .find(|f| f.path == Path::Inbound && f.destination_ports == Ports::single(5060))
        .expect("inbound SIP rule");
    assert_eq!(
        sorted(&sip_in.source),
        vec!["198.51.100.10".to_string(), "203.0.113.0/24".to_string()]
    );
    assert!(
        source
            .text_of(sip_in.evidence.spans[0])
            .contains("ip saddr $PROVIDER")
    );
    for path in [Path::Outbound, Path::Inbound, Path::ToDevice] {
        let default = device
            .default_actions
            .iter()
            .find(|d| d.path == path)
            .unwrap();
        assert_eq!(default.action, Action::Drop, "{path:?}");
        assert_eq!(source.text_of(default.evidence.spans[0]), "policy drop");
    }
    // The per-source SSH limit.
    assert_eq!(
        facts(device).brute_force,
        vec![(Some(Protocol::Tcp), Ports::single(22))]
    );
}

#[test]
fn the_hand_written_json_gives_the_same_facts_as_the_text() {
    let (_, text) = parse(&fixture("sip-helper-prerouting.nft"));
    let json_text = fixture("sip-helper-prerouting.json");
    let (source, json) = parse(&json_text);
    assert_full_coverage("sip-helper-prerouting.json", &source, &json);
    let mut expected = facts(&text.device);
    // The JSON carries the sysctl lines: the global timeouts are the same numbers, now explicit.
    assert_eq!(facts(&json.device).timeouts, expected.timeouts);
    expected.timeouts.clear();
    let mut got = facts(&json.device);
    got.timeouts.clear();
    assert_eq!(got, expected);

    let device = &json.device;
    assert_eq!(device.version.as_ref().unwrap().version, "nftables 1.0.6");
    let alg = &device.sip_alg[0];
    assert!(alg.enabled);
    let spans = texts(&source, &alg.evidence.spans);
    assert!(
        spans[0].contains("{\"ct helper\": \"sip-5060\"}"),
        "{spans:?}"
    );
    assert!(spans[1].starts_with("{\"ct helper\": {"), "{spans:?}");
    let global = &device.udp_timeouts[0];
    assert_eq!(global.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        texts(&source, &global.evidence.spans),
        vec![
            "net.netfilter.nf_conntrack_udp_timeout = 30",
            "net.netfilter.nf_conntrack_udp_timeout_stream = 120"
        ]
    );
    let default = &device.default_actions[0];
    assert_eq!(
        source.text_of(default.evidence.spans[0]),
        "\"policy\": \"drop\""
    );
    // Other conntrack sysctls are known and irrelevant.
    let max_line = source
        .lines()
        .find(|(_, l)| l.starts_with("net.netfilter.nf_conntrack_max"))
        .unwrap()
        .0;
    assert_eq!(json.coverage.class(max_line), Some(LineClass::Ignored));
}

#[test]
fn pretty_printed_json_reads_the_same() {
    // `nft -j list ruleset | jq .`: every element over many lines.
    let text = fixture("sip-helper-prerouting.json");
    let json_part = &text[..text.find("\nnet.").unwrap()];
    let value: serde_json::Value = serde_json::from_str(json_part).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let (source, parsed) = parse(&pretty);
    assert_full_coverage("pretty JSON", &source, &parsed);
    let (_, compact) = parse(json_part);
    assert_eq!(facts(&parsed.device), facts(&compact.device));
    let alg = &parsed.device.sip_alg[0];
    assert!(alg.enabled);
    // The span is the rule object's key line.
    assert_eq!(source.text_of(alg.evidence.spans[0]), "\"rule\": {");
}

#[test]
fn openwrt_fw4_helper_chains_turn_the_sip_alg_on() {
    let text = fixture("openwrt-fw4-helpers.nft");
    let (source, parsed) = parse(&text);
    assert_full_coverage("openwrt-fw4-helpers.nft", &source, &parsed);
    let device = &parsed.device;
    // Only the sip helper is the SIP ALG (RAS, Q.931, tftp are not).
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:#?}", device.sip_alg)
    };
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(alg.scope, vec![(Protocol::Udp, Ports::single(5060))]);
    assert_eq!(
        texts(&source, &alg.evidence.spans),
        vec![
            "udp dport 5060 ct helper set \"sip\" comment \"!fw4: SIP VoIP connection tracking\"",
            "iifname \"br-lan\" jump helper_lan comment \"!fw4: Handle lan IPv4/IPv6 helper assignment\"",
            "ct helper sip",
        ]
    );
    assert!(enabled_alg_meets_5060(device));
    // The WAN is the masquerading zone's interface; its port forwards and defaults.
    let f = facts(device);
    assert_eq!(f.snat, vec![(Some(true), Ports::Any, None)]);
    let pbx: IpAddr = "192.168.1.20".parse().unwrap();
    assert_eq!(
        f.forwards,
        vec![
            (
                Some(Protocol::Udp),
                Ports::single(5060),
                Some(pbx),
                None,
                vec![]
            ),
            (
                Some(Protocol::Udp),
                ports(&[(10000, 20000)]),
                Some(pbx),
                None,
                vec![]
            ),
        ]
    );
    assert!(f.defaults.iter().all(|(_, a)| *a == Action::Drop));
    // LAN to WAN accepted through forward_lan -> accept_to_wan; port forwards accepted from
    // the WAN (`ct status dnat`), everything else rejected by handle_reject.
    let outbound: Vec<_> = device
        .filters
        .iter()
        .filter(|r| r.path == Path::Outbound)
        .collect();
    assert_eq!(outbound[0].action, Action::Accept);
    assert_eq!(outbound[0].protocol, None);
    assert!(!outbound[0].conditional);
    let inbound: Vec<_> = device
        .filters
        .iter()
        .filter(|r| r.path == Path::Inbound && !r.conditional)
        .collect();
    assert_eq!(
        source.text_of(inbound[1].evidence.spans[0]),
        "ct status dnat accept comment \"!fw4: Accept port forwards\""
    );
    // The SYN flood limit is not a brute-force ban (no port, not per source).
    assert!(device.brute_force.is_empty());
}

#[test]
fn openwrt_fw4_json_agrees() {
    let (source, parsed) = parse(&fixture("openwrt-fw4-helpers.json"));
    assert_full_coverage("openwrt-fw4-helpers.json", &source, &parsed);
    let device = &parsed.device;
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:#?}", device.sip_alg)
    };
    assert!(alg.enabled);
    assert_eq!(alg.scope, vec![(Protocol::Udp, Ports::single(5060))]);
    assert!(
        source
            .text_of(alg.evidence.spans[0])
            .contains("\"chain\": \"helper_lan\"")
    );
    let f = facts(device);
    assert_eq!(f.snat, vec![(Some(true), Ports::Any, None)]);
    assert_eq!(
        f.forwards,
        vec![(
            Some(Protocol::Udp),
            Ports::single(5060),
            Some("192.168.1.20".parse().unwrap()),
            None,
            vec![]
        )]
    );
    assert_eq!(device.version.as_ref().unwrap().version, "nftables 1.0.8");
}

#[test]
fn offload_dmz_random_nat_and_the_helper_sysctl() {
    let text = fixture("ubuntu-offload-dmz.nft");
    let (source, parsed) = parse(&text);
    assert_full_coverage("ubuntu-offload-dmz.nft", &source, &parsed);
    let device = &parsed.device;
    // `nf_conntrack_helper = 1` on a pre-6.0 kernel: on, if the module is loaded.
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:#?}", device.sip_alg)
    };
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Unknown);
    assert!(alg.scope.is_empty());
    assert_eq!(
        source.text_of(alg.evidence.spans[0]),
        "net.netfilter.nf_conntrack_helper = 1"
    );
    let f = facts(device);
    assert_eq!(
        f.timeouts,
        vec![(TimeoutScope::Global, Some(30), Some(180))]
    );
    assert_eq!(f.snat, vec![(Some(false), Ports::Any, None)]);
    assert_eq!(
        f.forwards,
        vec![
            (
                Some(Protocol::Tcp),
                Ports::single(2222),
                Some("10.20.0.9".parse().unwrap()),
                Some(Ports::single(22)),
                vec![]
            ),
            (
                None,
                Ports::Any,
                Some("10.20.0.40".parse().unwrap()),
                None,
                vec![]
            ),
        ]
    );
    assert_eq!(f.offload, vec![Ports::Any]);
    assert!(device.offload[0].mechanism.contains("hardware offload"));
    // Irrelevant sysctls are ignored, the three read ones understood.
    let summary = parsed.coverage.summary();
    assert!(summary.ignored >= 9, "{summary:?}");
}

#[test]
fn iptables_nft_extensions_are_unknown_but_a_ct_target_is_reported() {
    let text = fixture("iptables-nft-fail2ban.nft");
    let (source, parsed) = parse(&text);
    let device = &parsed.device;
    let unknown: Vec<u32> = parsed.coverage.unknown_lines().collect();
    assert_eq!(unknown.len(), 2, "{unknown:?}");
    assert!(source.line(unknown[0]).contains("xt target CT"));
    let [alg] = device.sip_alg.as_slice() else {
        panic!("{:#?}", device.sip_alg)
    };
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Unknown);
    assert_eq!(alg.scope, vec![(Protocol::Udp, Ports::single(5060))]);
    // fail2ban's bans are source-restricted drops reached through the jump; the two in one
    // chain are one rule with both sources.
    let bans: Vec<_> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice && !f.source.is_empty())
        .collect();
    assert_eq!(bans.len(), 2);
    assert_eq!(sorted(&bans[0].source), ["193.107.216.41", "45.134.26.17"]);
    assert_eq!(
        texts(&source, &bans[0].evidence.spans),
        [
            "ip saddr 45.134.26.17 counter packets 312 bytes 171600 reject with icmp port-unreachable",
            "meta l4proto udp udp dport 5060 counter packets 8123 bytes 4211022 jump f2b-asterisk-udp",
            "ip saddr 193.107.216.41 counter packets 95 bytes 52250 reject with icmp port-unreachable",
        ]
    );
    // The `recent` match makes its drop conditional.
    assert!(
        device
            .filters
            .iter()
            .any(|f| f.conditional && f.destination_ports == Ports::single(22))
    );
    assert!(
        device
            .default_actions
            .iter()
            .any(|d| d.path == Path::ToDevice && d.action == Action::Drop)
    );
}

#[test]
fn helper_and_timeout_before_conntrack_do_nothing() {
    let text = fixture("raw-priority-noop.nft");
    let (source, parsed) = parse(&text);
    assert_full_coverage("raw-priority-noop.nft", &source, &parsed);
    let device = &parsed.device;
    // The helper rule at priority raw is inert; the commented-out one is not a fact.
    assert!(!enabled_alg_meets_5060(device), "{:#?}", device.sip_alg);
    let raw = &device.sip_alg[0];
    assert!(matches!(
        raw.evidence.certainty,
        Certainty::DefaultInferred { .. }
    ));
    assert!(
        source
            .text_of(raw.evidence.spans[0])
            .contains("ct helper set \"sip-5060\"")
    );
    // The timeout at raw falls back to the global values; the one at mangle applies.
    let f = facts(device);
    assert_eq!(
        f.timeouts,
        vec![
            (TimeoutScope::Global, Some(30), Some(120)),
            (
                TimeoutScope::Ports(Ports::single(5060)),
                Some(30),
                Some(120)
            ),
            (
                TimeoutScope::Ports(ports(&[(10000, 20000)])),
                Some(60),
                Some(180)
            ),
        ]
    );
    assert!(matches!(
        device.udp_timeouts[1].evidence.certainty,
        Certainty::DefaultInferred { default } if default.statement.contains("priority -200")
    ));
}

#[test]
fn a_helper_object_nobody_sets_is_not_active() {
    let text = "table inet t {\n\tct helper sip-5060 {\n\t\ttype \"sip\" protocol udp\n\t\tl3proto inet\n\t}\n\n\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\t# udp dport 5060 ct helper set \"sip-5060\"\n\t}\n}\n";
    let (source, parsed) = parse(text);
    let [alg] = parsed.device.sip_alg.as_slice() else {
        panic!("{:#?}", parsed.device.sip_alg)
    };
    assert!(!alg.enabled);
    assert!(matches!(
        alg.evidence.certainty,
        Certainty::DefaultInferred { .. }
    ));
    assert_eq!(source.text_of(alg.evidence.spans[0]), "ct helper sip-5060");
    assert_eq!(parsed.coverage.class(9), Some(LineClass::Ignored));
}

#[test]
fn sysctl_lines_alone_and_after_json() {
    let (_, parsed) = parse(SYSCTL);
    let f = facts(&parsed.device);
    assert_eq!(
        f.timeouts,
        vec![(TimeoutScope::Global, Some(45), Some(180))]
    );
    let json =
        format!("{{\"nftables\": [{{\"metainfo\": {{\"version\": \"1.1.1\"}}}}]}}\n{SYSCTL}");
    let (source, parsed) = parse(&json);
    assert_eq!(
        facts(&parsed.device).timeouts,
        vec![(TimeoutScope::Global, Some(45), Some(180))]
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
    assert_eq!(source.line_count(), 5);
}

// ---- corpus ------------------------------------------------------------------------------------

#[test]
fn corpus_files_parse_with_good_coverage() {
    let files = common::corpus_files("nftables");
    assert_eq!(files.len(), 2);
    let floor = |name: &str| if name == "nft.conf" { 0.95 } else { 1.0 };
    for (name, parsed) in common::corpus_parsed(Format::Nftables, files, floor) {
        let device = &parsed.device;
        assert!(!enabled_alg_meets_5060(device), "{name}");
        if name.ends_with(".golden") {
            // Docker: DNAT of 8080 to 192.168.0.2:80 and masquerade; the WAN is "not br-dummy".
            let f = facts(device);
            assert_eq!(
                f.forwards,
                vec![(
                    Some(Protocol::Tcp),
                    Ports::single(8080),
                    Some("192.168.0.2".parse().unwrap()),
                    Some(Ports::single(80)),
                    vec![]
                )]
            );
            assert_eq!(f.snat, vec![(Some(true), Ports::Any, None)]);
            let inbound: Vec<_> = f.filters.iter().filter(|r| r.0 == Path::Inbound).collect();
            assert_eq!(inbound[0].4, Ports::single(80));
            assert_eq!(inbound[0].5, Action::Accept);
            assert_eq!(inbound[1].5, Action::Drop);
        } else {
            // The xray tproxy script: no forward or input chain, nothing filtered.
            assert!(device.filters.is_empty());
            assert!(
                device
                    .default_actions
                    .iter()
                    .all(|d| d.action == Action::Accept
                        && matches!(d.evidence.certainty, Certainty::DefaultInferred { .. }))
            );
        }
    }
}

// ---- round trips -------------------------------------------------------------------------------

/// The verdict the filters give a probe on `path` (first match; conditional rules skipped),
/// from `from` (any source when `None`) to `to`.
fn verdict(
    device: &Device,
    path: Path,
    protocol: Protocol,
    port: u16,
    from: Option<&Address>,
    to: &Address,
) -> Action {
    let v4 = [from, Some(to)]
        .into_iter()
        .flatten()
        .find_map(|a| match a {
            Address::Net(net) => Some(net.addr().is_ipv4()),
            Address::Fqdn(_) => None,
        });
    let inside = |list: &[Address], probe: &Address| {
        list.iter().any(|d| match (d, probe) {
            (Address::Net(a), Address::Net(b)) => a.contains(b),
            (a, b) => a == b,
        })
    };
    for f in device
        .filters
        .iter()
        .filter(|f| f.path == path && !f.conditional)
    {
        let proto_ok = f.protocol.is_none_or(|p| p == protocol);
        let port_ok = f
            .destination_ports
            .intersect(&Ports::single(port))
            .is_some();
        let family_ok = f
            .source
            .iter()
            .chain(&f.destination)
            .all(|a| match (a, v4) {
                (Address::Net(net), Some(v4)) => net.addr().is_ipv4() == v4,
                _ => true,
            });
        let src_ok = f.source.is_empty() || from.is_some_and(|a| inside(&f.source, a));
        let dst_ok = f.destination.is_empty() || inside(&f.destination, to);
        if proto_ok && port_ok && family_ok && src_ok && dst_ok {
            return f.action;
        }
    }
    device
        .default_actions
        .iter()
        .find(|d| d.path == path)
        .map(|d| d.action)
        .expect("a default per path")
}

fn required_outbound_covered(id: &str, device: &Device, rule: &Rule) {
    let any: Address = Address::Net("0.0.0.0/0".parse().unwrap());
    let destinations = if rule.destination.is_empty() {
        vec![any]
    } else {
        rule.destination.clone()
    };
    let sources: Vec<Option<&Address>> = if rule.source.is_empty() {
        vec![None]
    } else {
        rule.source.iter().map(Some).collect()
    };
    for to in &destinations {
        for from in &sources {
            let mixed = matches!((from, to), (Some(Address::Net(a)), Address::Net(b))
                if a.addr().is_ipv4() != b.addr().is_ipv4());
            if mixed {
                continue;
            }
            for range in rule.destination_ports.ranges() {
                for port in [range.first, range.last] {
                    assert_eq!(
                        verdict(device, Path::Outbound, rule.protocol, port, *from, to),
                        Action::Accept,
                        "{id}: {} {}/{port} from {from:?} to {to}",
                        rule.name,
                        rule.protocol
                    );
                }
            }
        }
    }
}

#[test]
fn every_builtin_rendering_reads_back() {
    for id in common::profile_ids() {
        for (label, options) in option_sets() {
            let policy = common::policy(id, &options);
            let text = common::render(Vendor::Nftables, id, &options);
            assert_eq!(
                Format::detect(&text).unwrap(),
                Format::Nftables,
                "{id}/{label}"
            );
            let (source, parsed) = parse(&text);
            assert_full_coverage(&format!("{id}/{label}"), &source, &parsed);
            let device = &parsed.device;

            assert!(!enabled_alg_meets_5060(device), "{id}/{label}");
            assert!(!device.sip_alg.is_empty());

            // Timeouts: every profile timeout met for every port of its scope.
            for timeout in &policy.timeouts {
                let probe_ports: Vec<u16> = match &timeout.scope {
                    TimeoutScope::Global => vec![5060],
                    TimeoutScope::Ports(p) => p.ranges().iter().map(|r| r.first).collect(),
                };
                for port in probe_ports {
                    let effective = device
                        .udp_timeouts
                        .iter()
                        .rev()
                        .find(|t| match &t.scope {
                            TimeoutScope::Ports(p) => p.intersect(&Ports::single(port)).is_some(),
                            TimeoutScope::Global => false,
                        })
                        .or_else(|| {
                            device
                                .udp_timeouts
                                .iter()
                                .find(|t| t.scope == TimeoutScope::Global)
                        })
                        .expect("a UDP timeout");
                    assert!(
                        effective.replied_seconds >= Some(timeout.replied_seconds)
                            && effective.unreplied_seconds >= Some(timeout.unreplied_seconds),
                        "{id}/{label}: port {port}: {effective:?} vs {timeout:?}"
                    );
                }
            }

            // Source NAT keeps ports.
            assert!(!device.source_nat.is_empty(), "{id}/{label}");
            assert!(
                device
                    .source_nat
                    .iter()
                    .all(|s| s.port_preservation == Some(true))
            );

            // Forwards: exactly the policy's, no DMZ.
            let got: BTreeSet<String> = device
                .forwards
                .iter()
                .map(|f| {
                    assert!(f.to_ports.is_none());
                    format!("{:?} {} {:?}", f.protocol, f.outside_ports, f.to)
                })
                .collect();
            let want: BTreeSet<String> = policy
                .nat
                .port_forwards
                .iter()
                .map(|f| format!("{:?} {} {:?}", f.protocol, f.ports, Some(f.to)))
                .collect();
            assert_eq!(got, want, "{id}/{label}");
            assert!(
                !device
                    .forwards
                    .iter()
                    .any(|f| f.protocol.is_none() && f.outside_ports.is_any())
            );

            // Required outbound flows are accepted.
            for rule in policy
                .rules
                .iter()
                .filter(|r| r.direction == Direction::Outbound && r.required)
            {
                required_outbound_covered(id, device, rule);
            }

            // Brute-force limits.
            for limit in &policy.brute_force {
                assert!(
                    device
                        .brute_force
                        .iter()
                        .any(|b| b.protocol == Some(limit.protocol)
                            && limit.ports.subtract(&b.ports).is_none()),
                    "{id}/{label}: {}",
                    limit.name
                );
            }

            // Forbidden inbound ports are dropped towards the device.
            for item in &policy.hygiene.forbidden_inbound {
                let any: Address = Address::Net("0.0.0.0/0".parse().unwrap());
                assert_eq!(
                    verdict(device, Path::ToDevice, item.protocol, item.port, None, &any),
                    Action::Drop,
                    "{id}/{label}: {}",
                    item.service
                );
            }
        }
    }
}

// ---- the kernel's own printouts ----------------------------------------------------------------

/// Text sources the kernel round trip uses: every rendering (both option sets, plain and
/// explained) and the loadable fixtures (the offload fixture needs flowtable support and the
/// iptables-nft one `xt` extensions, which a namespace may lack; they are read above).
fn loadable() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for id in common::profile_ids() {
        for (label, options) in option_sets() {
            let text = common::render(Vendor::Nftables, id, &options);
            out.push((format!("{id}/{label}"), text));
        }
    }
    for name in [
        "sip-helper-prerouting.nft",
        "openwrt-fw4-helpers.nft",
        "raw-priority-noop.nft",
    ] {
        out.push((name.to_string(), fixture(name)));
    }
    out
}

#[test]
fn nft_json_of_each_ruleset_gives_the_script_facts() {
    for (name, text) in loadable() {
        let (_, script) = parse(&text);
        let json = kernel(&text, true);
        let (source, from_json) = parse(&json);
        assert_eq!(source.line_count(), 1, "{name}: nft -j prints one line");
        assert_eq!(
            facts(&from_json.device),
            facts(&script.device),
            "{name}: JSON and script facts differ"
        );
        assert!(from_json.device.version.is_some());
        // `--live` mode: the JSON line, a newline, the sysctl lines.
        let live = format!("{json}\n{SYSCTL}");
        let script_live = format!("{text}\n{SYSCTL}");
        let (_, a) = parse(&live);
        let (_, b) = parse(&script_live);
        assert_eq!(facts(&a.device), facts(&b.device), "{name} + sysctl");
        assert_eq!(
            a.device.udp_timeouts[0].replied_seconds,
            Some(180),
            "{name}"
        );
        assert_eq!(a.coverage.summary().unknown, 0, "{name}");
    }
}

#[test]
fn nft_list_ruleset_of_each_ruleset_gives_the_script_facts() {
    for (name, text) in loadable() {
        let (_, script) = parse(&text);
        let printed = kernel(&text, false);
        let (source, from_kernel) = parse(&printed);
        assert_full_coverage(&format!("{name} (kernel printout)"), &source, &from_kernel);
        assert_eq!(
            facts(&from_kernel.device),
            facts(&script.device),
            "{name}: kernel printout and script facts differ"
        );
    }
}

// ---- robustness --------------------------------------------------------------------------------

fn must_not_panic(text: &str) {
    common::assert_parses_or_hints(Format::Nftables, text, &Hints::default());
}

#[test]
fn garbage_empty_binary_and_other_vendors() {
    for text in [
        "",
        "\n\n",
        "\0\0\u{7}binary",
        "}}}}{{{{",
        "table",
        "table inet",
        "table inet x { chain",
        "{\"nftables\": [",
        "{\"nftables\": [{\"rule\": {\"family\": \"inet\", \"expr\": [{\"match\": 5}]}}]}",
        "{\"nftables\": [{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"c\", \"hook\": \"input\", \"prio\": 99999999999999}}]}",
        "define A = $A\ntable ip t { chain c { ip saddr $A accept } }",
        "table ip t { chain c { jump c } }",
        "table ip t { chain c { type filter hook input priority filter; jump d } chain d { jump c } }",
    ] {
        must_not_panic(text);
    }
    // Hostile depth and fan-out: no recursion on input depth, bounded jump walks.
    must_not_panic(&format!(
        "table ip t {{ chain c {{ type filter hook input priority 0; tcp flags {}syn accept }} }}",
        "syn / ".repeat(50_000)
    ));
    must_not_panic(&format!("{{\"nftables\": [{}]}}", "[".repeat(50_000)));
    must_not_panic(&format!("table ip t {{ {} }}", "{".repeat(50_000)));
    let mut fan =
        String::from("table ip t {\n chain c0 { type filter hook forward priority 0; }\n");
    for k in 0..40 {
        fan.push_str(&format!(
            " chain c{k} {{ jump c{n}\n jump c{n}\n jump c{n}\n udp dport 5060 accept }}\n",
            n = k + 1
        ));
    }
    fan.push_str(" chain c40 { drop }\n}\n");
    must_not_panic(&fan);

    common::assert_refused_with_hint_naming(Format::Nftables, &[""], "nft list ruleset");
    common::assert_renderings_claimed_only_by_own(
        Format::Nftables,
        |v| v == Vendor::Nftables,
        "fonality-pbxtra-premise",
        &Options::default(),
        29,
    );
}

#[test]
fn truncated_renderings_and_json_parse_partially() {
    let mut seed = 0x5eed;
    let text = common::render(
        Vendor::Nftables,
        "fonality-pbxtra-premise",
        &Options::default(),
    );
    let json = fixture("sip-helper-prerouting.json");
    for whole in [text.as_str(), json.as_str()] {
        let cut = |len: usize| common::lcg(&mut seed) as usize % len.max(1);
        common::truncations_parse_or_hint(Format::Nftables, whole, &Hints::default(), 20, cut);
    }
    // A JSON export cut inside its last element keeps the elements before.
    let cut = json.find("{\"table\": {\"family\": \"ip\"").unwrap() + 10;
    let (_, parsed) = parse(&json[..cut]);
    assert!(enabled_alg_meets_5060(&parsed.device));
    assert!(parsed.coverage.summary().unknown > 0);
}

#[test]
fn a_hundred_thousand_rules_stay_linear() {
    // Shape only; the lead's benchmark measures speed.
    let mut text = String::from(
        "table inet big {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n",
    );
    for k in 0..20_000u32 {
        text.push_str(&format!(
            "\t\tiifname \"lan0\" oifname \"wan0\" ip daddr 10.{}.{}.0/24 udp dport {} accept\n",
            (k >> 8) & 255,
            k & 255,
            1024 + (k % 60000)
        ));
    }
    text.push_str("\t}\n\tchain post {\n\t\ttype nat hook postrouting priority srcnat;\n\t\toifname \"wan0\" masquerade\n\t}\n}\n");
    let (_, parsed) = parse(&text);
    assert_eq!(parsed.device.filters.len(), 20_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        must_not_panic(&text);
    }

    #[test]
    fn nft_like_noise_never_panics(words in proptest::collection::vec(prop_oneof![
        Just("table"), Just("inet"), Just("chain"), Just("{"), Just("}"), Just(";"), Just("\n"),
        Just("type"), Just("filter"), Just("hook"), Just("input"), Just("priority"), Just("raw"),
        Just("policy"), Just("drop"), Just("jump"), Just("goto"), Just("c"), Just("ip"),
        Just("saddr"), Just("!="), Just("@s"), Just("$X"), Just("define"), Just("X"), Just("="),
        Just("udp"), Just("dport"), Just("5060"), Just("1-2"), Just("ct"), Just("helper"),
        Just("set"), Just("\"sip\""), Just("vmap"), Just(":"), Just("accept"), Just(","),
        Just("dnat"), Just("to"), Just("1.2.3.4:5"), Just("masquerade"), Just("random"),
        Just("{\"nftables\": ["), Just("]}"), Just("\"rule\""), Just("net.netfilter.x = 1"),
    ], 0..120)) {
        must_not_panic(&words.join(" "));
    }

    #[test]
    fn shuffled_renderings_never_panic(seed in any::<u64>()) {
        let text = common::render(Vendor::Nftables, "fonality-pbxtra-premise", &Options::default());
        let mut lines: Vec<&str> = text.lines().collect();
        let mut state = seed;
        for i in (1..lines.len()).rev() {
            let j = common::lcg(&mut state) as usize % (i + 1);
            lines.swap(i, j);
        }
        must_not_panic(&lines.join("\n"));
    }
}

// ---- the audit ---------------------------------------------------------------------------------

#[test]
fn auditing_our_own_renderings_finds_nothing() {
    for id in common::profile_ids() {
        for (label, options) in option_sets() {
            let text = common::render(Vendor::Nftables, id, &options);
            let ids = common::audit_ids(Format::Nftables, &text, &Hints::default(), id, &options);
            assert!(ids.is_empty(), "{id}/{label}: {ids:?}");
            // The same with the interfaces given instead of inferred.
            let hints = Hints {
                wan: vec![options.wan.clone()],
                lan: vec![options.lan.clone()],
            };
            let ids = common::audit_ids(Format::Nftables, &text, &hints, id, &options);
            assert!(ids.is_empty(), "{id}/{label} with hints: {ids:?}");
            // And its kernel JSON (what `--live` reads).
            let json = kernel(&text, true);
            let ids = common::audit_ids(Format::Nftables, &json, &Hints::default(), id, &options);
            assert!(ids.is_empty(), "{id}/{label} as nft -j: {ids:?}");
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
    assert_ne!(out, text, "the mutation changed nothing");
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
    let text = common::render(Vendor::Nftables, id, &options);
    let audit = |text: &str| {
        distinct(common::audit_ids(
            Format::Nftables,
            text,
            &Hints::default(),
            id,
            &options,
        ))
    };
    assert!(audit(&text).is_empty());
    let replace =
        |from: &'static str, to: &'static str| mutate(&text, move |l| Some(l.replace(from, to)));
    let drop_lines =
        |needle: &'static str| mutate(&text, move |l| (!l.contains(needle)).then(|| l.to_string()));

    // A SIP helper attached after conntrack.
    let alg = mutate(&text, |l| {
        Some(if l.contains("ct timeout set \"udp_binding\"") {
            format!("{l}\n\t\tudp dport 5060 ct helper set \"sip-5060\"")
        } else if l == "table inet sipwall {" {
            format!("{l}\n\tct helper sip-5060 {{\n\t\ttype \"sip\" protocol udp\n\t}}")
        } else {
            l.to_string()
        })
    });
    assert_eq!(audit(&alg), ["ALG-001"]);
    // The same rule commented out changes nothing.
    let commented = mutate(&text, |l| {
        Some(if l.contains("ct timeout set \"udp_binding\"") {
            format!("{l}\n\t\t# udp dport 5060 ct helper set \"sip-5060\"")
        } else {
            l.to_string()
        })
    });
    assert!(audit(&commented).is_empty());
    // The per-port timeout removed, or weakened below the profile's 90 s.
    assert_eq!(audit(&drop_lines("ct timeout set")), ["TMO-001"]);
    assert_eq!(
        audit(&replace(
            "unreplied : 90, replied : 90",
            "unreplied : 30, replied : 60"
        )),
        ["TMO-001"]
    );
    // ssh accepted on the router, or its drop removed under `policy accept`.
    assert_eq!(
        audit(&replace(
            "tcp dport 22 drop comment \"never open ssh\"",
            "tcp dport 22 accept comment \"never open ssh\""
        )),
        ["ACL-003"]
    );
    assert_eq!(audit(&drop_lines("never open ssh")), ["ACL-003"]);
    // The provider whitelist on the forwarded SIP port removed.
    assert_eq!(audit(&replace("ip saddr 203.0.113.0/24 ", "")), ["ACL-002"]);
    // The brute-force limit removed.
    assert_eq!(audit(&drop_lines("add @bf_sip_udp_rate")), ["ABU-001"]);
    // Source ports randomised.
    assert_eq!(
        audit(&replace(
            "masquerade comment",
            "masquerade fully-random comment"
        )),
        ["NAT-001"]
    );
    // A DMZ host, and a forward of ssh.
    let add_nat = |line: &'static str| {
        mutate(&text, move |l| {
            Some(if l.contains("comment \"sip-inbound-udp\"") {
                format!("{l}\n\t\t{line}")
            } else {
                l.to_string()
            })
        })
    };
    assert_eq!(
        audit(&add_nat("iifname \"wan0\" dnat ip to 192.168.1.10")),
        ["ACL-004"]
    );
    assert_eq!(
        audit(&add_nat(
            "iifname \"wan0\" tcp dport 22 dnat ip to 192.168.1.10"
        )),
        ["ACL-003"]
    );
    // Flowtable offload of everything.
    let offload = mutate(&text, |l| {
        Some(if l.contains("ct state invalid drop") {
            format!("{l}\n\t\tflow add @ft")
        } else if l == "table inet sipwall {" {
            format!(
                "{l}\n\tflowtable ft {{\n\t\thook ingress priority filter\n\t\tdevices = {{ wan0, lan0 }}\n\t}}"
            )
        } else {
            l.to_string()
        })
    });
    assert_eq!(audit(&offload), ["NAT-002"]);
    // A narrower RTP range outbound.
    assert_eq!(
        audit(&replace(
            "udp dport 10000-20000 accept comment \"rtp-outbound-out-udp\"",
            "udp dport 10000-15000 accept comment \"rtp-outbound-out-udp\""
        )),
        ["ACL-001"]
    );
}

#[test]
fn without_the_whitelist_drop_policy_accept_exposes_sip() {
    let id = "fonality-pbxtra-premise";
    let (_, options) = option_sets().remove(1);
    let text = common::render(Vendor::Nftables, id, &options);
    let open = mutate(&text, |l| {
        (!l.contains("comment \"source whitelist\"")).then(|| l.to_string())
    });
    let ids = distinct(common::audit_ids(
        Format::Nftables,
        &open,
        &Hints::default(),
        id,
        &options,
    ));
    assert_eq!(ids, ["ACL-002"]);
}

#[test]
fn fixtures_audit_to_their_findings() {
    let audit = |name: &str, profile: &str| {
        distinct(common::audit_ids(
            Format::Nftables,
            &fixture(name),
            &Hints::default(),
            profile,
            &Options::default(),
        ))
    };
    for name in [
        "sip-helper-prerouting.nft",
        "sip-helper-prerouting.json",
        "openwrt-fw4-helpers.nft",
        "openwrt-fw4-helpers.json",
        "iptables-nft-fail2ban.nft",
        "ubuntu-offload-dmz.nft",
    ] {
        let ids = audit(name, "rfc-baseline");
        assert!(ids.contains(&"ALG-001"), "{name}: {ids:?}");
    }
    let ubuntu = audit("ubuntu-offload-dmz.nft", "rfc-baseline");
    for id in ["NAT-001", "NAT-002", "ACL-004"] {
        assert!(ubuntu.contains(&id), "{ubuntu:?}");
    }
    let raw = audit("raw-priority-noop.nft", "rfc-baseline");
    assert!(!raw.contains(&"ALG-001"), "{raw:?}");
    assert!(
        raw.contains(&"TMO-001") || raw.contains(&"TMO-002"),
        "{raw:?}"
    );
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let (id, options, hints) = ("rfc-baseline", Options::default(), Hints::default());
    let text = common::render(Vendor::Nftables, id, &options);
    let accept = "udp dport 5060 accept comment \"sip-udp-tcp-out-udp\"";
    for (limited, all) in [
        ("udp sport 55000-56000", "udp sport 1-65535"),
        ("th sport { 55000-56000 }", "th sport 0-65535"),
    ] {
        common::assert_source_port_limit_blocks(
            Format::Nftables,
            &text,
            &common::replaced(&text, accept, &format!("{limited} {accept}")),
            Some(&common::replaced(&text, accept, &format!("{all} {accept}"))),
            (&hints, id, &options),
            "sip-udp-tcp-out-udp",
        );
    }
}
