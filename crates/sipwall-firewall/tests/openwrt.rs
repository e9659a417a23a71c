//! OpenWrt (fw4, UCI) rendering of every built-in profile: golden files and structural checks
//! (no offline validator for UCI exists: every command has a known shape, every section a known
//! type and only options fw4 knows for it, the SIP helper is switched off, each required flow's
//! ports appear in a rule).
//!
//! Golden files live in `tests/snapshots/openwrt/`; after a deliberate change, regenerate them
//! with `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall --test openwrt` and review the diff.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::builtin_filled;
use sipwall_firewall::model::{Direction, Ports};
use sipwall_firewall::{Options, Policy, Rendering, Vendor, render};
use sipwall_profile::builtin::BUILTINS;

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/openwrt")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; create it with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from the snapshot from line {}:\n  expected: {:?}\n  actual:   {:?}\n\
             (UPDATE_SNAPSHOTS=1 to accept)",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

fn openwrt_options() -> Options {
    Options {
        wan: "wan".into(),
        lan: "lan".into(),
        ..Options::default()
    }
}

fn rendering(id: &str, explain: bool) -> (Policy, Rendering) {
    let profile = builtin_filled(id);
    let options = openwrt_options();
    let policy = Policy::from_profile(&profile, &options).unwrap();
    let rendering = render(&profile, Vendor::Openwrt, &options, explain).unwrap();
    (policy, rendering)
}

#[test]
fn every_builtin_matches_its_snapshot() {
    for builtin in BUILTINS {
        let (_, plain) = rendering(builtin.id, false);
        snapshot(&format!("{}.sh", builtin.id), &plain.text);
    }
    let (_, explained) = rendering("fonality-pbxtra-premise", true);
    snapshot("fonality-pbxtra-premise.explain.sh", &explained.text);
}

/// Options fw4 accepts per section type (openwrt/firewall4 fw4.uc parse_rule, parse_redirect,
/// parse_ipset), restricted to those sipwall writes; `true` marks list options.
fn known_options(kind: &str) -> BTreeMap<&'static str, bool> {
    let list: &[(&str, bool)] = match kind {
        "rule" => &[
            ("name", false),
            ("src", false),
            ("dest", false),
            ("proto", false),
            ("family", false),
            ("src_ip", true),
            ("dest_ip", true),
            ("src_port", true),
            ("dest_port", true),
            ("ipset", false),
            ("target", false),
        ],
        "redirect" => &[
            ("name", false),
            ("src", false),
            ("dest", false),
            ("proto", false),
            ("src_ip", false),
            ("src_dport", false),
            ("dest_ip", false),
            ("ipset", false),
            ("target", false),
        ],
        "ipset" => &[
            ("name", false),
            ("comment", false),
            ("family", false),
            ("match", true),
        ],
        other => panic!("unexpected section type {other}"),
    };
    list.iter().copied().collect()
}

/// Parses the script; returns section name -> (type, option -> values). Panics on a line of
/// unknown shape.
fn parse(id: &str, text: &str) -> BTreeMap<String, (String, BTreeMap<String, Vec<String>>)> {
    let mut sections: BTreeMap<String, (String, BTreeMap<String, Vec<String>>)> = BTreeMap::new();
    let mut in_heredoc = false;
    for line in text.lines() {
        if in_heredoc {
            if line == "EOF" {
                in_heredoc = false;
            } else {
                let (key, value) = line
                    .split_once('=')
                    .unwrap_or_else(|| panic!("{id}: {line}"));
                assert!(
                    key.starts_with("net.netfilter.nf_conntrack_udp_timeout"),
                    "{id}: {line}"
                );
                value.parse::<u32>().unwrap();
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("cat > /etc/sysctl.d/") && line.ends_with("<<'EOF'") {
            in_heredoc = true;
            continue;
        }
        if [
            "set -e",
            "uci commit firewall",
            "service firewall reload",
            "uci set firewall.@defaults[0].auto_helper='0'",
        ]
        .contains(&line)
            || line.starts_with("sysctl -p /etc/sysctl.d/")
            || line.starts_with("for s in $(uci -q show firewall | sed -n ")
        {
            continue;
        }
        let (verb, rest) = if let Some(rest) = line.strip_prefix("uci set firewall.") {
            ("set", rest)
        } else if let Some(rest) = line.strip_prefix("uci add_list firewall.") {
            ("add_list", rest)
        } else {
            panic!("{id}: line of unknown shape: {line}");
        };
        let (path, value) = rest.split_once('=').unwrap();
        let valid_name = |n: &str| {
            n.starts_with("sipwall_") && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        match path.split_once('.') {
            None => {
                assert_eq!(verb, "set", "{id}: {line}");
                assert!(valid_name(path), "{id}: {line}");
                assert!(
                    ["rule", "redirect", "ipset"].contains(&value),
                    "{id}: {line}"
                );
                assert!(
                    sections
                        .insert(path.to_string(), (value.to_string(), BTreeMap::new()))
                        .is_none(),
                    "{id}: section {path} defined twice"
                );
            }
            Some((name, option)) => {
                let value = value
                    .strip_prefix('\'')
                    .and_then(|v| v.strip_suffix('\''))
                    .unwrap_or_else(|| panic!("{id}: unquoted value: {line}"));
                assert!(!value.contains('\''), "{id}: {line}");
                let (kind, options) = sections
                    .get_mut(name)
                    .unwrap_or_else(|| panic!("{id}: option before its section: {line}"));
                let known = known_options(kind);
                let is_list = *known
                    .get(option)
                    .unwrap_or_else(|| panic!("{id}: option {option} unknown to fw4 for {kind}"));
                assert_eq!(is_list, verb == "add_list", "{id}: {line}");
                let values = options.entry(option.to_string()).or_default();
                assert!(is_list || values.is_empty(), "{id}: {option} set twice");
                values.push(value.to_string());
            }
        }
    }
    assert!(!in_heredoc, "{id}: unterminated heredoc");
    sections
}

#[test]
fn every_line_has_a_known_shape_and_sections_are_complete() {
    for builtin in BUILTINS {
        for explain in [false, true] {
            let (_, rendering) = rendering(builtin.id, explain);
            let sections = parse(builtin.id, &rendering.text);
            let ipsets: BTreeSet<&str> = sections
                .iter()
                .filter(|(_, (k, _))| k == "ipset")
                .map(|(n, _)| n.as_str())
                .collect();
            for (name, (kind, options)) in &sections {
                let one = |o: &str| options.get(o).map(|v| v[0].as_str());
                match kind.as_str() {
                    "rule" => {
                        assert!(["wan", "lan"].contains(&one("src").unwrap()), "{name}");
                        assert!(
                            ["ACCEPT", "DROP"].contains(&one("target").unwrap()),
                            "{name}"
                        );
                        assert!(["udp", "tcp"].contains(&one("proto").unwrap()), "{name}");
                    }
                    "redirect" => {
                        assert_eq!(one("src"), Some("wan"), "{name}");
                        assert_eq!(one("target"), Some("DNAT"), "{name}");
                        assert!(one("dest_ip").unwrap().parse::<std::net::IpAddr>().is_ok());
                    }
                    _ => {}
                }
                if let Some(set) = one("ipset") {
                    let (set, dir) = set.split_once(' ').unwrap();
                    assert!(ipsets.contains(set), "{name}: unknown ipset {set}");
                    assert!(["src", "dest"].contains(&dir), "{name}");
                }
                for port in options
                    .iter()
                    .filter(|(o, _)| o.ends_with("port") || o.as_str() == "src_dport")
                    .flat_map(|(_, v)| v)
                {
                    let ok = port
                        .split('-')
                        .all(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
                    assert!(ok, "{name}: port {port}");
                }
            }
        }
    }
}

#[test]
fn the_sip_helper_is_switched_off_and_never_on() {
    for builtin in BUILTINS {
        let (policy, rendering) = rendering(builtin.id, true);
        let code: Vec<&str> = rendering
            .text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect();
        let wants_off = policy.algs.iter().any(|a| !a.enabled);
        assert_eq!(
            code.contains(&"uci set firewall.@defaults[0].auto_helper='0'"),
            wants_off,
            "{}",
            builtin.id
        );
        for line in &code {
            assert!(!line.contains("helper='1'"), "{}: {line}", builtin.id);
            assert!(!line.contains(".helper="), "{}: {line}", builtin.id);
            assert!(!line.contains("set_helper"), "{}: {line}", builtin.id);
            assert!(!line.contains("flow_offloading"), "{}: {line}", builtin.id);
        }
        // The commit comes last, after every change.
        assert_eq!(code.iter().rev().nth(1), Some(&"uci commit firewall"));
    }
}

#[test]
fn every_required_flow_port_is_in_a_rule_and_forbidden_ports_are_dropped() {
    for builtin in BUILTINS {
        let (policy, rendering) = rendering(builtin.id, false);
        let sections = parse(builtin.id, &rendering.text);
        for rule in policy.rules.iter().filter(|r| r.required) {
            let wanted = format!("sipwall: {}", rule.name);
            let matching: Vec<_> = sections
                .values()
                .filter(|(k, o)| k == "rule" && o.get("name").is_some_and(|n| n[0] == wanted))
                .collect();
            assert!(
                !matching.is_empty(),
                "{}: no section for {}",
                builtin.id,
                rule.name
            );
            for (_, options) in matching {
                assert_eq!(options["proto"][0], rule.protocol.name());
                let (src, dest) = match rule.direction {
                    Direction::Outbound => ("lan", "wan"),
                    Direction::Inbound => ("wan", "lan"),
                };
                assert_eq!(options["src"][0], src, "{}", rule.name);
                assert_eq!(options["dest"][0], dest, "{}", rule.name);
                match &rule.destination_ports {
                    Ports::Any => assert!(!options.contains_key("dest_port")),
                    Ports::Set(ranges) => {
                        let want: Vec<String> = ranges.iter().map(ToString::to_string).collect();
                        assert_eq!(options["dest_port"], want, "{}", rule.name);
                    }
                }
            }
        }
        for item in &policy.hygiene.forbidden_inbound {
            let drops = sections
                .values()
                .filter(|(k, o)| {
                    k == "rule"
                        && o["target"][0] == "DROP"
                        && o["src"][0] == "wan"
                        && o.get("dest_port")
                            .is_some_and(|p| p[0] == item.port.to_string())
                        && o["proto"][0] == item.protocol.name()
                })
                .count();
            assert_eq!(drops, 2, "{}: {}/{}", builtin.id, item.protocol, item.port);
            // Never forwarded.
            assert!(
                !sections.values().any(|(k, o)| k == "redirect"
                    && o.get("src_dport")
                        .is_some_and(|p| p[0] == item.port.to_string())),
                "{}",
                builtin.id
            );
        }
    }
}

#[test]
fn timeouts_are_raised_never_lowered() {
    for builtin in BUILTINS {
        let (policy, rendering) = rendering(builtin.id, false);
        let value = |key: &str| -> Option<u32> {
            rendering
                .text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .map(|v| v.parse().unwrap())
        };
        let unreplied = value("net.netfilter.nf_conntrack_udp_timeout");
        let stream = value("net.netfilter.nf_conntrack_udp_timeout_stream");
        let udp: Vec<_> = policy
            .timeouts
            .iter()
            .filter(|t| t.protocol.name() == "udp")
            .collect();
        if udp.is_empty() {
            assert_eq!((unreplied, stream), (None, None), "{}", builtin.id);
            continue;
        }
        let (unreplied, stream) = (unreplied.unwrap(), stream.unwrap());
        assert!(unreplied >= 60 && stream >= 180, "{}", builtin.id);
        for t in udp {
            assert!(unreplied >= t.unreplied_seconds && stream >= t.replied_seconds);
        }
        assert!(
            rendering
                .limitations
                .iter()
                .any(|l| l.topic == "udp-timeout-global")
        );
    }
}

#[test]
fn whitelisted_forwards_only_take_the_whitelisted_sources() {
    let (_, rendering) = rendering("fonality-pbxtra-premise", false);
    let sections = parse("fonality-pbxtra-premise", &rendering.text);
    let sip_udp: Vec<_> = sections
        .values()
        .filter(|(k, o)| k == "redirect" && o["proto"][0] == "udp" && o["src_dport"][0] == "5060")
        .collect();
    assert_eq!(sip_udp.len(), 1);
    assert_eq!(sip_udp[0].1["src_ip"], ["203.0.113.0/24"]);
    assert!(rendering.text.contains("service firewall reload"));
}

#[test]
fn limitations_are_stated_and_the_vendor_is_selectable() {
    let (_, rendering) = rendering("algar-cloudphone-pro", false);
    for limitation in &rendering.limitations {
        assert!(
            rendering
                .text
                .contains(&format!("# - {}:", limitation.topic)),
            "{}",
            limitation.topic
        );
    }
    let topics: Vec<&str> = rendering
        .limitations
        .iter()
        .map(|l| l.topic.as_str())
        .collect();
    assert!(topics.contains(&"fqdn"), "{topics:?}");
    assert_eq!(Vendor::select("OpenWrt", None).unwrap(), Vendor::Openwrt);
    assert_eq!(
        Vendor::select("openwrt", Some("23.05")).unwrap(),
        Vendor::Openwrt
    );
    assert!(Vendor::select("openwrt", Some("19.07")).is_err());
}
