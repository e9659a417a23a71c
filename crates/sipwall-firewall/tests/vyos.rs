//! VyOS 1.4+, VyOS 1.3 and EdgeOS rendering of every built-in profile: golden files and
//! structural checks (no offline validator for VyOS or EdgeOS is available here: every
//! non-comment line is a `set`/`delete` under a known top-level node, rule numbers are unique
//! per ruleset, the SIP helper is switched off and never on, each required flow's ports appear
//! in a rule, source NAT is a masquerade, forwards are destination NAT rules).
//!
//! Golden files live in `tests/snapshots/vyos/` and `tests/snapshots/edgeos/`; after a
//! deliberate change, regenerate them with
//! `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall --test vyos` and review the diff.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::builtin_filled;
use sipwall_firewall::model::{Ports, Protocol};
use sipwall_firewall::{Options, Policy, Rendering, Vendor, render};
use sipwall_profile::builtin::BUILTINS;

const DIALECTS: [(Vendor, &str, &str); 3] = [
    (Vendor::Vyos14, "vyos", "vyos-1.4"),
    (Vendor::Vyos13, "vyos", "vyos-1.3"),
    (Vendor::Edgeos, "edgeos", "edgeos"),
];

fn snapshot(dir: &str, name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(dir)
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).expect("snapshot dir");
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
            "{dir}/{name} differs from the snapshot from line {}:\n  expected: {:?}\n  actual:   \
             {:?}\n(UPDATE_SNAPSHOTS=1 to accept)",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

fn options() -> Options {
    Options {
        wan: "eth0".into(),
        lan: "eth1".into(),
        ..Options::default()
    }
}

fn rendering(id: &str, vendor: Vendor, explain: bool) -> (Policy, Rendering) {
    let profile = builtin_filled(id);
    let options = options();
    let policy = Policy::from_profile(&profile, &options).unwrap();
    let rendering = render(&profile, vendor, &options, explain).unwrap();
    (policy, rendering)
}

#[test]
fn every_builtin_matches_its_snapshot() {
    for (vendor, dir, suffix) in DIALECTS {
        for builtin in BUILTINS {
            let (_, plain) = rendering(builtin.id, vendor, false);
            snapshot(dir, &format!("{}.{suffix}.conf", builtin.id), &plain.text);
        }
        let (_, explained) = rendering("fonality-pbxtra-premise", vendor, true);
        snapshot(
            dir,
            &format!("fonality-pbxtra-premise.explain.{suffix}.conf"),
            &explained.text,
        );
    }
}

/// The commands of a rendering: `(commented, verb, words)`. Commented commands are
/// `# set …` lines (rules for DNS names a legacy dialect cannot match). Panics on a line of
/// unknown shape.
fn commands(vendor: Vendor, id: &str, text: &str) -> Vec<(bool, String, Vec<String>)> {
    let tops: &[&str] = match vendor {
        Vendor::Edgeos => &["firewall", "service", "system", "interfaces"],
        _ => &["firewall", "nat", "system", "interfaces"],
    };
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        let (commented, command) = match line.strip_prefix("# ") {
            Some(rest) if rest.starts_with("set ") || rest.starts_with("delete ") => (true, rest),
            _ if line.starts_with('#') => continue,
            _ => (false, line),
        };
        let mut words: Vec<String> = Vec::new();
        let mut rest = command;
        // Split on spaces, keeping single-quoted values whole.
        while !rest.is_empty() {
            if let Some(quoted) = rest.strip_prefix('\'') {
                let end = quoted
                    .find('\'')
                    .unwrap_or_else(|| panic!("{id}: unterminated quote: {line}"));
                words.push(quoted[..end].to_string());
                rest = quoted[end + 1..].trim_start();
            } else {
                let end = rest.find(' ').unwrap_or(rest.len());
                words.push(rest[..end].to_string());
                rest = rest[end..].trim_start();
            }
        }
        let verb = words.remove(0);
        assert!(
            verb == "set" || verb == "delete",
            "{vendor}/{id}: line of unknown shape: {line}"
        );
        assert!(
            tops.contains(&words[0].as_str()),
            "{vendor}/{id}: unknown top-level node: {line}"
        );
        if vendor == Vendor::Edgeos && words[0] == "service" {
            assert_eq!(words[1], "nat", "{id}: {line}");
        }
        for word in &words {
            assert!(
                !word.contains(['"', '\\', ';', '`']),
                "{vendor}/{id}: {line}"
            );
        }
        out.push((commented, verb, words));
    }
    out
}

/// Firewall rules: (ruleset path, number) -> fields (words after the number), commented or not.
type Rules = BTreeMap<(String, u32), (bool, Vec<Vec<String>>)>;

fn firewall_rules(commands: &[(bool, String, Vec<String>)]) -> Rules {
    let mut rules: Rules = BTreeMap::new();
    for (commented, verb, words) in commands {
        if verb != "set" || words[0] != "firewall" {
            continue;
        }
        let Some(at) = words.iter().position(|w| w == "rule") else {
            continue;
        };
        let ruleset = words[..at].join(" ");
        let number: u32 = words[at + 1].parse().expect("rule number");
        let fields = words[at + 2..].to_vec();
        let entry = rules
            .entry((ruleset, number))
            .or_insert((*commented, Vec::new()));
        assert_eq!(entry.0, *commented, "a rule half commented out");
        entry.1.push(fields);
    }
    rules
}

fn field<'r>(fields: &'r [Vec<String>], name: &str) -> Vec<&'r str> {
    fields
        .iter()
        .filter(|f| f.len() == 2 && f[0] == name)
        .map(|f| f[1].as_str())
        .collect()
}

fn field2<'r>(fields: &'r [Vec<String>], a: &str, b: &str) -> Vec<&'r str> {
    fields
        .iter()
        .filter(|f| f.len() == 3 && f[0] == a && f[1] == b)
        .map(|f| f[2].as_str())
        .collect()
}

#[test]
fn every_line_has_a_known_shape_and_rule_numbers_are_unique() {
    for (vendor, _, _) in DIALECTS {
        for builtin in BUILTINS {
            for explain in [false, true] {
                let (_, rendering) = rendering(builtin.id, vendor, explain);
                let commands = commands(vendor, builtin.id, &rendering.text);
                let rules = firewall_rules(&commands);
                assert!(!rules.is_empty(), "{vendor}/{}", builtin.id);
                for ((ruleset, number), (_, fields)) in &rules {
                    let at = format!("{vendor}/{}: {ruleset} rule {number}", builtin.id);
                    // One action per (ruleset, number): numbers are unique per ruleset.
                    let actions = field(fields, "action");
                    assert_eq!(actions.len(), 1, "{at}: {actions:?}");
                    assert!(
                        ["accept", "drop", "jump"].contains(&actions[0]),
                        "{at}: {actions:?}"
                    );
                    let limit = if vendor == Vendor::Vyos14 {
                        999_999
                    } else {
                        9_999
                    };
                    assert!(*number >= 1 && *number <= limit, "{at}");
                    for port in field2(fields, "destination", "port")
                        .into_iter()
                        .chain(field2(fields, "source", "port"))
                    {
                        for part in port.split(',') {
                            let ok = part
                                .split('-')
                                .all(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
                            assert!(ok, "{at}: port {port}");
                        }
                    }
                    for protocol in field(fields, "protocol") {
                        assert!(["udp", "tcp"].contains(&protocol), "{at}");
                    }
                    if let [target] = field(fields, "jump-target")[..] {
                        assert_eq!(vendor, Vendor::Vyos14);
                        let family = ruleset.split(' ').nth(1).unwrap();
                        let defined = commands.iter().any(|(_, v, w)| {
                            v == "set"
                                && w.len() > 4
                                && w[1] == family
                                && w[2] == "name"
                                && w[3] == target
                        });
                        assert!(defined, "{at}: jump to undefined chain {target}");
                    }
                    match vendor {
                        Vendor::Vyos14 => {
                            for state in field(fields, "state") {
                                assert!(
                                    ["established", "related", "new", "invalid"].contains(&state),
                                    "{at}"
                                );
                            }
                        }
                        _ => {
                            for f in fields.iter().filter(|f| f[0] == "state") {
                                assert_eq!(f.len(), 3, "{at}: {f:?}");
                                assert_eq!(f[2], "enable", "{at}: {f:?}");
                            }
                        }
                    }
                }
                // Every group a rule refers to is defined (or, commented, described).
                for (commented, fields) in rules.values() {
                    for f in fields.iter().filter(|f| f.len() == 4 && f[1] == "group") {
                        let (kind, name) = (&f[2], &f[3]);
                        let defined = commands.iter().any(|(c, v, w)| {
                            v == "set"
                                && *c == *commented
                                && w.len() >= 4
                                && w[0] == "firewall"
                                && w[1] == "group"
                                && (w[2] == *kind || w[2] == format!("ipv6-{kind}"))
                                && w[3] == *name
                        }) || (*commented
                            && rendering.text.contains(&format!(
                                "# set firewall group address-group {name} address ADDRESS"
                            )));
                        assert!(defined, "{vendor}/{}: group {name} undefined", builtin.id);
                    }
                }
            }
        }
    }
}

#[test]
fn the_sip_helper_is_switched_off_and_never_on() {
    for (vendor, _, _) in DIALECTS {
        for builtin in BUILTINS {
            let (policy, rendering) = rendering(builtin.id, vendor, true);
            let commands = commands(vendor, builtin.id, &rendering.text);
            let wants_off = policy.algs.iter().any(|a| !a.enabled);
            let off: Vec<String> = match vendor {
                Vendor::Vyos14 => vec!["delete system conntrack modules sip".into()],
                _ => vec!["set system conntrack modules sip disable".into()],
            };
            let lines: Vec<String> = commands
                .iter()
                .filter(|(c, _, _)| !c)
                .map(|(_, v, w)| format!("{v} {}", w.join(" ")))
                .collect();
            assert_eq!(
                lines.contains(&off[0]),
                wants_off,
                "{vendor}/{}",
                builtin.id
            );
            for line in &lines {
                let at = format!("{vendor}/{}: {line}", builtin.id);
                assert!(!line.contains("conntrack-helper"), "{at}");
                if line.starts_with("set system conntrack modules") {
                    // 1.4: setting a module enables it; 1.3/EdgeOS: only `disable` is allowed.
                    assert_ne!(vendor, Vendor::Vyos14, "{at}");
                    assert!(line.ends_with(" disable"), "{at}");
                }
            }
        }
    }
}

#[test]
fn every_required_flow_port_is_in_a_rule_and_forbidden_ports_are_dropped() {
    for (vendor, _, _) in DIALECTS {
        for builtin in BUILTINS {
            let (policy, rendering) = rendering(builtin.id, vendor, false);
            let commands = commands(vendor, builtin.id, &rendering.text);
            let rules = firewall_rules(&commands);
            for rule in policy.rules.iter().filter(|r| r.required) {
                let wanted = format!("sipwall: {}", rule.name);
                let matching: Vec<_> = rules
                    .values()
                    .filter(|(_, f)| field(f, "description") == [wanted.as_str()])
                    .collect();
                assert!(
                    !matching.is_empty(),
                    "{vendor}/{}: no rule for {}",
                    builtin.id,
                    rule.name
                );
                for (_, fields) in matching {
                    assert_eq!(field(fields, "protocol"), [rule.protocol.name()]);
                    let ports = field2(fields, "destination", "port");
                    match &rule.destination_ports {
                        Ports::Any => assert!(ports.is_empty(), "{}", rule.name),
                        Ports::Set(ranges) => {
                            let want: Vec<String> =
                                ranges.iter().map(ToString::to_string).collect();
                            assert_eq!(ports, [want.join(",")], "{}", rule.name);
                        }
                    }
                }
            }
            for item in &policy.hygiene.forbidden_inbound {
                let drops = rules
                    .values()
                    .filter(|(c, f)| {
                        !c && field(f, "action") == ["drop"]
                            && field(f, "protocol") == [item.protocol.name()]
                            && field2(f, "destination", "port") == [item.port.to_string()]
                    })
                    .count();
                // Forward and router input, IPv4 and IPv6.
                assert_eq!(drops, 4, "{vendor}/{}: {}", builtin.id, item.port);
            }
        }
    }
}

/// NAT commands: rule path -> fields.
fn nat_rules(
    vendor: Vendor,
    commands: &[(bool, String, Vec<String>)],
) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut rules: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for (commented, verb, words) in commands {
        if *commented || verb != "set" {
            continue;
        }
        let depth = match (vendor, words[0].as_str(), words.get(1).map(String::as_str)) {
            (Vendor::Edgeos, "service", Some("nat")) => 4,
            (Vendor::Vyos14 | Vendor::Vyos13, "nat", _) => 4,
            _ => continue,
        };
        rules
            .entry(words[..depth].join(" "))
            .or_default()
            .push(words[depth..].to_vec());
    }
    rules
}

#[test]
fn masquerade_and_forwards_are_nat_rules() {
    for (vendor, _, _) in DIALECTS {
        for builtin in BUILTINS {
            let (policy, rendering) = rendering(builtin.id, vendor, false);
            let commands = commands(vendor, builtin.id, &rendering.text);
            let nat = nat_rules(vendor, &commands);
            let masquerades: Vec<_> = nat
                .iter()
                .filter(|(_, f)| match vendor {
                    Vendor::Edgeos => field(f, "type") == ["masquerade"],
                    _ => field2(f, "translation", "address") == ["masquerade"],
                })
                .collect();
            assert_eq!(
                masquerades.len(),
                usize::from(policy.nat.source_nat.is_some()),
                "{vendor}/{}",
                builtin.id
            );
            for (path, fields) in &masquerades {
                match vendor {
                    Vendor::Vyos14 => {
                        assert!(path.starts_with("nat source rule"));
                        assert_eq!(field2(fields, "outbound-interface", "name"), ["eth0"]);
                    }
                    Vendor::Vyos13 => {
                        assert!(path.starts_with("nat source rule"));
                        assert_eq!(field(fields, "outbound-interface"), ["eth0"]);
                    }
                    _ => assert_eq!(field(fields, "outbound-interface"), ["eth0"]),
                }
            }
            let dnat: Vec<_> = nat
                .iter()
                .filter(|(p, f)| match vendor {
                    Vendor::Edgeos => field(f, "type") == ["destination"],
                    _ => p.starts_with("nat destination rule"),
                })
                .map(|(_, f)| f)
                .collect();
            let mut seen = BTreeSet::new();
            for forward in &policy.nat.port_forwards {
                let ranges = forward.ports.ranges();
                for range in ranges {
                    let found = dnat.iter().any(|f| {
                        let to = match vendor {
                            Vendor::Edgeos => field2(f, "inside-address", "address"),
                            _ => field2(f, "translation", "address"),
                        };
                        let protocol = match forward.protocol {
                            Some(Protocol::Udp) => "udp",
                            Some(Protocol::Tcp) => "tcp",
                            None => "tcp_udp",
                        };
                        to == [forward.to.to_string().as_str()]
                            && field(f, "protocol") == [protocol]
                            && field2(f, "destination", "port")
                                .iter()
                                .any(|p| p.split(',').any(|p| p == range.to_string()))
                    });
                    assert!(
                        found,
                        "{vendor}/{}: no destination NAT for {} {range}",
                        builtin.id, forward.name
                    );
                    seen.insert(forward.name.clone());
                }
            }
            if policy.nat.port_forwards.is_empty() {
                assert!(dnat.is_empty(), "{vendor}/{}", builtin.id);
            }
            // Forbidden ports are never forwarded.
            for item in &policy.hygiene.forbidden_inbound {
                assert!(
                    !dnat.iter().any(|f| field2(f, "destination", "port")
                        .iter()
                        .any(|p| p.split(',').any(|p| p == item.port.to_string()))),
                    "{vendor}/{}: {} forwarded",
                    builtin.id,
                    item.port
                );
            }
        }
    }
}

#[test]
fn timeouts_are_raised_never_lowered_and_global() {
    for (vendor, _, _) in DIALECTS {
        for builtin in BUILTINS {
            let (policy, rendering) = rendering(builtin.id, vendor, false);
            let value = |key: &str| -> Option<u32> {
                rendering
                    .text
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix(&format!("set system conntrack timeout udp {key} "))
                    })
                    .map(|v| v.parse().unwrap())
            };
            let udp: Vec<_> = policy
                .timeouts
                .iter()
                .filter(|t| t.protocol == Protocol::Udp)
                .collect();
            if udp.is_empty() {
                assert_eq!((value("other"), value("stream")), (None, None));
                continue;
            }
            let (other, stream) = (value("other").unwrap(), value("stream").unwrap());
            assert!(other >= 30 && stream >= 180, "{vendor}/{}", builtin.id);
            for t in udp {
                assert!(other >= t.unreplied_seconds && stream >= t.replied_seconds);
            }
            assert!(
                rendering
                    .limitations
                    .iter()
                    .any(|l| l.topic == "udp-timeout-global")
            );
        }
    }
}

#[test]
fn vyos_1_4_jumps_and_1_3_attachments() {
    let (_, v14) = rendering("fonality-pbxtra-premise", Vendor::Vyos14, false);
    for line in [
        "set firewall ipv4 forward filter rule 1 jump-target SIPWALL-WAN-IN",
        "set firewall ipv4 forward filter rule 1 inbound-interface name eth0",
        "set firewall ipv4 forward filter rule 2 outbound-interface name eth0",
        "set firewall ipv4 input filter rule 1 jump-target SIPWALL-WAN-LOCAL",
        "set firewall ipv4 name SIPWALL-WAN-IN default-action drop",
    ] {
        assert!(v14.text.lines().any(|l| l == line), "{line}");
    }
    let (_, v13) = rendering("fonality-pbxtra-premise", Vendor::Vyos13, false);
    for line in [
        "set interfaces ethernet eth0 firewall in name SIPWALL_WAN_IN",
        "set interfaces ethernet eth1 firewall in name SIPWALL_LAN_OUT",
        "set interfaces ethernet eth0 firewall in ipv6-name SIPWALL6_WAN_IN",
        "set firewall name SIPWALL_WAN_IN rule 10 state established enable",
    ] {
        assert!(v13.text.lines().any(|l| l == line), "{line}");
    }
    // The router's own input ruleset is never attached automatically on 1.3 / EdgeOS.
    assert!(
        !v13.text
            .lines()
            .any(|l| l.contains("firewall local") && l.starts_with("set "))
    );
    // Whitelisted forwards only take the whitelisted sources.
    let (_, edge) = rendering("fonality-pbxtra-premise", Vendor::Edgeos, false);
    let commands = commands(Vendor::Edgeos, "fonality-pbxtra-premise", &edge.text);
    let nat = nat_rules(Vendor::Edgeos, &commands);
    let sip_udp: Vec<_> = nat
        .values()
        .filter(|f| field(f, "protocol") == ["udp"] && field2(f, "destination", "port") == ["5060"])
        .collect();
    assert_eq!(sip_udp.len(), 1);
    assert_eq!(field2(sip_udp[0], "source", "address"), ["203.0.113.0/24"]);
}

#[test]
fn fqdns_brute_force_and_selection() {
    let (_, v14) = rendering("algar-cloudphone-pro", Vendor::Vyos14, false);
    assert!(v14.text.contains("set firewall group domain-group "));
    assert!(v14.text.contains(" destination group domain-group "));
    let (_, v13) = rendering("algar-cloudphone-pro", Vendor::Vyos13, false);
    assert!(!v13.text.contains("domain-group"));
    assert!(
        v13.text
            .contains("\n# set firewall name SIPWALL_LAN_OUT rule ")
    );
    for (vendor, unit) in [
        (Vendor::Vyos14, "recent time minute"),
        (Vendor::Vyos13, "recent time 60"),
        (Vendor::Edgeos, "recent time 60"),
    ] {
        let (policy, r) = rendering("fonality-pbxtra-premise", vendor, false);
        assert!(!policy.brute_force.is_empty());
        assert!(r.text.contains(unit), "{vendor}");
        assert!(r.limitations.iter().any(|l| l.topic == "brute-force"));
        for limitation in &r.limitations {
            assert!(
                r.text.contains(&format!("# - {}:", limitation.topic)),
                "{vendor}: {}",
                limitation.topic
            );
        }
    }
    assert_eq!(Vendor::select("vyos", None).unwrap(), Vendor::Vyos14);
    assert_eq!(
        Vendor::select("VyOS", Some("1.3.8")).unwrap(),
        Vendor::Vyos13
    );
    assert_eq!(Vendor::select("vyos", Some("1.4")).unwrap(), Vendor::Vyos14);
    assert_eq!(
        Vendor::select("vyos", Some("1.5-rolling")).unwrap(),
        Vendor::Vyos14
    );
    assert_eq!(Vendor::select("vyos-1.3", None).unwrap(), Vendor::Vyos13);
    assert_eq!(
        Vendor::select("edgeos", Some("2.0.9")).unwrap(),
        Vendor::Edgeos
    );
    assert!(Vendor::select("vyos", Some("1.1")).is_err());
}
