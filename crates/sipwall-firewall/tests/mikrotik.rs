//! MikroTik RouterOS v6 and v7 rendering of every built-in profile: golden files and structural
//! checks (no offline RouterOS parser exists: every command line has a known shape, the SIP
//! helper is switched off iff the profile wants it and never on, each required flow's ports are
//! in a filter rule, masquerade has no port remapping, forwards are dst-nat rules).
//!
//! Golden files live in `tests/snapshots/mikrotik/`; after a deliberate change, regenerate them
//! with `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall --test mikrotik` and review the diff.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::builtin_filled;
use sipwall_firewall::model::{Direction, Ports};
use sipwall_firewall::{Options, Policy, Rendering, Vendor, render};
use sipwall_profile::builtin::BUILTINS;

const DIALECTS: [(Vendor, &str); 2] = [(Vendor::MikrotikV6, "v6"), (Vendor::MikrotikV7, "v7")];

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/mikrotik")
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

fn options() -> Options {
    Options {
        wan: "ether1".into(),
        lan: "bridge".into(),
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
    for (vendor, suffix) in DIALECTS {
        for builtin in BUILTINS {
            let (_, plain) = rendering(builtin.id, vendor, false);
            snapshot(&format!("{}.{suffix}.rsc", builtin.id), &plain.text);
        }
    }
    let (_, explained) = rendering("fonality-pbxtra-premise", Vendor::MikrotikV7, true);
    snapshot("fonality-pbxtra-premise.explain.v7.rsc", &explained.text);
}

/// One `add`/`set` command: the menu it is in and its `key=value` pairs (values unquoted).
#[derive(Debug, Clone)]
struct Command {
    menu: String,
    verb: String,
    item: Option<String>,
    props: BTreeMap<String, String>,
}

/// Splits `key=value key="quoted value"` pairs; panics on anything else.
fn pairs(id: &str, line: &str, text: &str) -> BTreeMap<String, String> {
    let mut props = BTreeMap::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .unwrap_or_else(|| panic!("{id}: not key=value: {line}"));
        assert!(
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id}: bad key {key:?}: {line}"
        );
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .unwrap_or_else(|| panic!("{id}: unterminated quote: {line}"));
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        assert!(!value.is_empty(), "{id}: empty value: {line}");
        assert!(
            props.insert(key.to_string(), value.to_string()).is_none(),
            "{id}: {key} twice: {line}"
        );
        rest = next.trim_start();
    }
    props
}

const MENUS: &[&str] = &[
    "/ip firewall filter",
    "/ip firewall nat",
    "/ip firewall address-list",
    "/ip firewall service-port",
    "/ip firewall connection tracking",
];

/// Parses the script into commands; panics on a line of unknown shape.
fn parse(id: &str, text: &str) -> Vec<Command> {
    let mut menu: Option<String> = None;
    let mut commands = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('/') {
            if MENUS.contains(&line) {
                menu = Some(line.to_string());
                continue;
            }
            // A one-line path command: cleanup or move of sipwall's own items.
            let (path, command) = MENUS
                .iter()
                .find_map(|m| line.strip_prefix(m).map(|rest| (*m, rest.trim())))
                .unwrap_or_else(|| panic!("{id}: unknown menu: {line}"));
            let ok = (command.starts_with("remove [find where ")
                && command.contains("~\"^sipwall")
                && command.ends_with(']'))
                || (path == "/ip firewall filter"
                    && command.starts_with("move [find where comment=\"sipwall: jump ")
                    && command.ends_with("\"] destination=0"));
            assert!(ok, "{id}: unexpected path command: {line}");
            continue;
        }
        let menu = menu
            .clone()
            .unwrap_or_else(|| panic!("{id}: command before any menu: {line}"));
        let (verb, rest) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("{id}: {line}"));
        let (item, rest) = match verb {
            "add" => (None, rest),
            "set" => match rest.split_once(' ') {
                Some((item, rest)) if !item.contains('=') => (Some(item.to_string()), rest),
                _ => (None, rest),
            },
            _ => panic!("{id}: line of unknown shape: {line}"),
        };
        commands.push(Command {
            menu,
            verb: verb.to_string(),
            item,
            props: pairs(id, line, rest),
        });
    }
    commands
}

fn filters(commands: &[Command]) -> impl Iterator<Item = &Command> {
    commands
        .iter()
        .filter(|c| c.menu == "/ip firewall filter" && c.verb == "add")
}

#[test]
fn every_line_has_a_known_shape() {
    for (vendor, _) in DIALECTS {
        for builtin in BUILTINS {
            for explain in [false, true] {
                let (_, rendering) = rendering(builtin.id, vendor, explain);
                let commands = parse(builtin.id, &rendering.text);
                for c in &commands {
                    let p = &c.props;
                    assert!(
                        c.menu == "/ip firewall service-port"
                            || c.menu == "/ip firewall connection tracking"
                            || p.get("comment").is_some_and(|t| t.starts_with("sipwall")),
                        "{}: {c:?}",
                        builtin.id
                    );
                    if let Some(ports) = p.get("dst-port").or(p.get("src-port")) {
                        assert!(ports.split(',').count() <= 15, "{ports}");
                        for part in ports.split(',') {
                            assert!(
                                part.split('-')
                                    .all(|n| n.parse::<u16>().is_ok_and(|n| n > 0)),
                                "{}: port {part}",
                                builtin.id
                            );
                        }
                        assert!(p.contains_key("protocol"), "{}: {c:?}", builtin.id);
                    }
                    if c.menu == "/ip firewall filter" {
                        let action = p["action"].as_str();
                        assert!(
                            [
                                "accept",
                                "drop",
                                "jump",
                                "return",
                                "add-src-to-address-list"
                            ]
                            .contains(&action),
                            "{}: {c:?}",
                            builtin.id
                        );
                        assert!(p["chain"].starts_with("sipwall") || p.contains_key("jump-target"));
                    }
                }
                // Every list a rule refers to is defined (or is a brute-force ban list).
                let defined: Vec<&str> = commands
                    .iter()
                    .filter(|c| c.menu == "/ip firewall address-list")
                    .map(|c| c.props["list"].as_str())
                    .collect();
                for c in &commands {
                    for key in ["src-address-list", "dst-address-list"] {
                        if let Some(list) = c.props.get(key) {
                            let list = list.trim_start_matches('!');
                            assert!(
                                defined.contains(&list) || list.ends_with("-ban"),
                                "{}: undefined list {list}",
                                builtin.id
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_sip_helper_is_switched_off_iff_wanted_and_never_on() {
    for (vendor, _) in DIALECTS {
        for builtin in BUILTINS {
            let (policy, rendering) = rendering(builtin.id, vendor, true);
            let commands = parse(builtin.id, &rendering.text);
            let wants_off = policy.algs.iter().any(|a| !a.enabled);
            let off = commands.iter().any(|c| {
                c.menu == "/ip firewall service-port"
                    && c.verb == "set"
                    && c.item.as_deref() == Some("sip")
                    && c.props.get("disabled").map(String::as_str) == Some("yes")
            });
            assert_eq!(off, wants_off, "{}", builtin.id);
            for c in &commands {
                assert!(
                    !(c.menu == "/ip firewall service-port"
                        && c.props.get("disabled").map(String::as_str) == Some("no")),
                    "{}: {c:?}",
                    builtin.id
                );
            }
            for line in rendering.text.lines().filter(|l| !l.starts_with('#')) {
                assert!(!line.contains("disabled=no"), "{}: {line}", builtin.id);
                assert!(!line.contains("enable sip"), "{}: {line}", builtin.id);
            }
        }
    }
}

#[test]
fn every_required_flow_port_is_in_a_filter_rule() {
    for (vendor, _) in DIALECTS {
        for builtin in BUILTINS {
            let (policy, rendering) = rendering(builtin.id, vendor, false);
            let commands = parse(builtin.id, &rendering.text);
            for rule in policy.rules.iter().filter(|r| r.required) {
                let wanted = format!("sipwall: {}", rule.name);
                let matching: Vec<_> = filters(&commands)
                    .filter(|c| c.props["comment"] == wanted)
                    .collect();
                assert!(
                    !matching.is_empty(),
                    "{}: no filter rule for {}",
                    builtin.id,
                    rule.name
                );
                let (iin, iout) = match rule.direction {
                    Direction::Outbound => ("bridge", "ether1"),
                    Direction::Inbound => ("ether1", "bridge"),
                };
                let mut seen: Vec<String> = Vec::new();
                for c in &matching {
                    assert_eq!(c.props["chain"], "sipwall-forward");
                    assert_eq!(c.props["protocol"], rule.protocol.name());
                    assert_eq!(c.props["in-interface"], iin, "{}", rule.name);
                    assert_eq!(c.props["out-interface"], iout, "{}", rule.name);
                    if let Some(p) = c.props.get("dst-port") {
                        seen.extend(p.split(',').map(str::to_string));
                    }
                }
                match &rule.destination_ports {
                    Ports::Any => assert!(seen.is_empty(), "{}", rule.name),
                    Ports::Set(ranges) => {
                        for range in ranges {
                            assert!(
                                seen.contains(&range.to_string()),
                                "{}: {} port {range} missing",
                                builtin.id,
                                rule.name
                            );
                        }
                    }
                }
            }
            for item in &policy.hygiene.forbidden_inbound {
                let drops = filters(&commands)
                    .filter(|c| {
                        c.props["action"] == "drop"
                            && c.props.get("dst-port") == Some(&item.port.to_string())
                            && c.props.get("protocol").map(String::as_str)
                                == Some(item.protocol.name())
                    })
                    .count();
                assert_eq!(drops, 2, "{}: {}/{}", builtin.id, item.protocol, item.port);
                assert!(
                    !commands.iter().any(|c| c.menu == "/ip firewall nat"
                        && c.props.get("dst-port") == Some(&item.port.to_string())),
                    "{}: forbidden port {} forwarded",
                    builtin.id,
                    item.port
                );
            }
        }
    }
}

#[test]
fn masquerade_without_randomisation_and_forwards_are_dst_nat() {
    for (vendor, _) in DIALECTS {
        for builtin in BUILTINS {
            let (policy, rendering) = rendering(builtin.id, vendor, false);
            let commands = parse(builtin.id, &rendering.text);
            let nat: Vec<&Command> = commands
                .iter()
                .filter(|c| c.menu == "/ip firewall nat")
                .collect();
            let masquerades: Vec<_> = nat
                .iter()
                .filter(|c| c.props["action"] == "masquerade")
                .collect();
            assert_eq!(
                masquerades.len(),
                usize::from(policy.nat.source_nat.is_some()),
                "{}",
                builtin.id
            );
            for m in masquerades {
                assert_eq!(m.props["chain"], "srcnat");
                assert_eq!(m.props["out-interface"], "ether1");
                assert!(!m.props.contains_key("to-ports"), "{}", builtin.id);
                assert!(!m.props.contains_key("random"), "{}", builtin.id);
            }
            for forward in &policy.nat.port_forwards {
                let label = format!("sipwall: forward {}", forward.name);
                let rules: Vec<_> = nat
                    .iter()
                    .filter(|c| c.props["comment"].starts_with(&label))
                    .collect();
                assert!(!rules.is_empty(), "{}: {}", builtin.id, forward.name);
                for r in rules {
                    assert_eq!(r.props["chain"], "dstnat");
                    assert_eq!(r.props["action"], "dst-nat");
                    assert_eq!(r.props["in-interface"], "ether1");
                    assert_eq!(r.props["to-addresses"], forward.to.to_string());
                    assert!(!r.props.contains_key("to-ports"));
                    if !forward.ports.is_any() {
                        assert!(r.props.contains_key("dst-port"), "{}", forward.name);
                    }
                }
            }
        }
    }
}

#[test]
fn timeouts_are_raised_never_lowered() {
    for (vendor, _) in DIALECTS {
        for builtin in BUILTINS {
            let (policy, rendering) = rendering(builtin.id, vendor, false);
            let commands = parse(builtin.id, &rendering.text);
            let set: Vec<_> = commands
                .iter()
                .filter(|c| c.menu == "/ip firewall connection tracking")
                .collect();
            let udp: Vec<_> = policy
                .timeouts
                .iter()
                .filter(|t| t.protocol.name() == "udp")
                .collect();
            if udp.is_empty() {
                assert!(set.is_empty(), "{}", builtin.id);
                continue;
            }
            assert_eq!(set.len(), 1);
            let seconds = |v: &str| -> u32 {
                let (n, unit) = v.split_at(v.len() - 1);
                let n: u32 = n.parse().unwrap();
                match unit {
                    "s" => n,
                    "m" => n * 60,
                    "h" => n * 3600,
                    _ => panic!("{v}"),
                }
            };
            let unreplied = seconds(&set[0].props["udp-timeout"]);
            let stream = seconds(&set[0].props["udp-stream-timeout"]);
            assert!(unreplied >= 10 && stream >= 180, "{}", builtin.id);
            for t in udp {
                assert!(unreplied >= t.unreplied_seconds && stream >= t.replied_seconds);
            }
        }
    }
}

#[test]
fn whitelists_and_brute_force_limits() {
    let (policy, rendering) = rendering("fonality-pbxtra-premise", Vendor::MikrotikV7, false);
    let commands = parse("fonality-pbxtra-premise", &rendering.text);
    // The SIP forward takes only the whitelisted sources.
    let sip_udp: Vec<_> = commands
        .iter()
        .filter(|c| {
            c.menu == "/ip firewall nat"
                && c.props.get("protocol").map(String::as_str) == Some("udp")
                && c.props.get("dst-port").map(String::as_str) == Some("5060")
        })
        .collect();
    assert_eq!(sip_udp.len(), 1);
    assert_eq!(sip_udp[0].props["src-address"], "203.0.113.0/24");
    // Other sources are dropped on the whitelisted port.
    assert!(filters(&commands).any(|c| c.props["action"] == "drop"
        && c.props.get("src-address").map(String::as_str) == Some("!203.0.113.0/24")));
    // Brute force: ban list drop, jump on new sessions, dst-limit return, ban, drop.
    assert!(!policy.brute_force.is_empty());
    assert!(
        filters(&commands).any(|c| c.props["action"] == "add-src-to-address-list"
            && c.props.contains_key("address-list-timeout"))
    );
    assert!(filters(&commands).any(|c| c.props["action"] == "jump"
        && c.props.get("connection-state").map(String::as_str) == Some("new")));
    assert!(filters(&commands).any(|c| {
        c.props
            .get("dst-limit")
            .is_some_and(|d| d.contains(",src-address/"))
    }));
}

#[test]
fn limitations_are_stated_and_the_vendor_is_selectable() {
    for (vendor, _) in DIALECTS {
        let (_, rendering) = rendering("algar-cloudphone-pro", vendor, false);
        for limitation in &rendering.limitations {
            assert!(
                rendering
                    .text
                    .contains(&format!("# - {}:", limitation.topic)),
                "{}",
                limitation.topic
            );
        }
        assert!(rendering.limitations.iter().any(|l| l.topic == "fqdn"));
        // DNS names are address-list entries, resolved by the router.
        let commands = parse("algar-cloudphone-pro", &rendering.text);
        assert!(
            commands
                .iter()
                .any(|c| c.menu == "/ip firewall address-list"
                    && c.props["address"] == "dps.digivox.com.br")
        );
    }
    assert_eq!(
        Vendor::select("mikrotik", None).unwrap(),
        Vendor::MikrotikV7
    );
    assert_eq!(
        Vendor::select("mikrotik", Some("6.49.10")).unwrap(),
        Vendor::MikrotikV6
    );
    assert_eq!(
        Vendor::select("MikroTik", Some("7.14")).unwrap(),
        Vendor::MikrotikV7
    );
    assert_eq!(
        Vendor::select("mikrotik-v6", None).unwrap(),
        Vendor::MikrotikV6
    );
    assert!(Vendor::select("mikrotik", Some("5.26")).is_err());
}
