//! Juniper SRX and Palo Alto PAN-OS rendering of every built-in profile: golden files and
//! structural checks (no offline Junos or PAN-OS validator exists, research/anchors-firewall.md
//! §7).
//!
//! Golden files live in `tests/snapshots/juniper-srx/` and `tests/snapshots/panos/`; after a deliberate change, regenerate
//! them with `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall --test juniper_panos` and review
//! the diff.

mod common;

use std::path::PathBuf;

use common::builtin_filled;
use sipwall_firewall::model::{Direction, Ports};
use sipwall_firewall::{Error, Options, Policy, Vendor, render};
use sipwall_profile::builtin::BUILTINS;

fn snapshot(dir: &str, name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(dir)
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
            "{dir}/{name} differs from the snapshot from line {}:\n  expected: {:?}\n  \
             actual:   {:?}\n(UPDATE_SNAPSHOTS=1 to accept)",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// The command lines (not comments, not blank).
fn commands(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect()
}

fn srx(id: &str, explain: bool) -> String {
    render(
        &builtin_filled(id),
        Vendor::JuniperSrx,
        &Options::default(),
        explain,
    )
    .unwrap()
    .text
}

fn policy(id: &str) -> Policy {
    Policy::from_profile(&builtin_filled(id), &Options::default()).unwrap()
}

#[test]
fn srx_every_builtin_matches_its_snapshot() {
    for builtin in BUILTINS {
        snapshot(
            "juniper-srx",
            &format!("{}.set", builtin.id),
            &srx(builtin.id, false),
        );
    }
    snapshot(
        "juniper-srx",
        "algar-cloudphone-pro.explain.set",
        &srx("algar-cloudphone-pro", true),
    );
}

/// Every command is a `set` line of a known hierarchy; nothing turns an ALG on.
#[test]
fn srx_commands_are_set_lines_of_known_hierarchies() {
    let known = [
        "set security alg sip disable",
        "set security address-book global address ",
        "set security address-book global address-set ",
        "set applications application ",
        "set applications application-set ",
        "set security policies from-zone ",
        "set security nat source rule-set sipwall-snat ",
        "set security nat destination ",
    ];
    for builtin in BUILTINS {
        for explain in [false, true] {
            let text = srx(builtin.id, explain);
            for line in commands(&text) {
                assert!(
                    line.starts_with("set ") || line.starts_with("delete "),
                    "{}: {line:?}",
                    builtin.id
                );
                assert!(
                    known.iter().any(|k| line.starts_with(k)),
                    "{}: unknown hierarchy {line:?}",
                    builtin.id
                );
                assert!(
                    !line.starts_with("set security alg") || line == "set security alg sip disable",
                    "{line}"
                );
                assert!(!line.contains("persistent-nat"), "{line}");
            }
        }
    }
}

#[test]
fn srx_alg_off_iff_the_profile_wants_it() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = srx(builtin.id, true);
        let lines = commands(&text);
        let off = policy.algs.iter().any(|a| !a.enabled);
        assert_eq!(
            lines.contains(&"set security alg sip disable"),
            off,
            "{}",
            builtin.id
        );
    }
}

#[test]
fn srx_every_required_flow_port_appears_in_a_policy() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = srx(builtin.id, false);
        let lines = commands(&text);
        for rule in policy.rules.iter().filter(|r| r.required) {
            let zones = match rule.direction {
                Direction::Outbound => "from-zone lan0 to-zone wan0",
                Direction::Inbound => "from-zone wan0 to-zone lan0",
            };
            let head = format!(
                "set security policies {zones} policy sipwall-{} ",
                rule.name
            );
            let head: String = head.chars().collect();
            let matched = lines
                .iter()
                .find(|l| l.starts_with(&head) && l.contains(" match "))
                .unwrap_or_else(|| panic!("{}: no policy for {}", builtin.id, rule.name));
            assert!(lines.contains(&format!("{head}then permit").as_str()));
            let application = matched.rsplit(' ').next().unwrap();
            let app_lines: Vec<&&str> = lines
                .iter()
                .filter(|l| {
                    l.starts_with(&format!("set applications application {application}"))
                        || l.starts_with(&format!(
                            "set applications application-set {application} "
                        ))
                })
                .collect();
            assert!(!app_lines.is_empty(), "{}: {application}", builtin.id);
            let Ports::Set(ranges) = &rule.destination_ports else {
                continue;
            };
            for range in ranges {
                let shape = format!(" destination-port {range}");
                assert!(
                    lines
                        .iter()
                        .any(|l| l.starts_with("set applications application ")
                            && l.contains(&format!("sipwall-{}", rule.name))
                            && l.ends_with(&shape)),
                    "{}: {} {range} in no application",
                    builtin.id,
                    rule.name
                );
            }
        }
    }
}

#[test]
fn srx_nat_and_forwards_present() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = srx(builtin.id, false);
        let lines = commands(&text);
        if policy.nat.source_nat.is_some() {
            assert!(
                lines.contains(
                    &"set security nat source rule-set sipwall-snat rule sipwall-snat then source-nat interface"
                ),
                "{}",
                builtin.id
            );
            assert!(
                lines.contains(&"set security nat source rule-set sipwall-snat from zone lan0")
            );
            assert!(lines.contains(&"set security nat source rule-set sipwall-snat to zone wan0"));
        }
        for forward in &policy.nat.port_forwards {
            let Some(_) = forward.protocol else {
                continue;
            };
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with("set security nat destination pool ")
                        && l.ends_with(&format!(" address {}/32", forward.to))),
                "{}: pool for {}",
                builtin.id,
                forward.name
            );
            for range in forward.ports.ranges() {
                if range.first == range.last {
                    assert!(
                        lines.iter().any(|l| l.starts_with(
                            "set security nat destination rule-set sipwall-dnat rule "
                        ) && l
                            .ends_with(&format!(" match destination-port {}", range.first))),
                        "{}: forward {} {range}",
                        builtin.id,
                        forward.name
                    );
                } else {
                    assert!(
                        text.contains(&format!(
                            " match destination-port {} to {}\n",
                            range.first, range.last
                        )),
                        "{}: range instruction for {}",
                        builtin.id,
                        forward.name
                    );
                }
            }
        }
        if policy.nat.port_forwards.is_empty() {
            assert!(!text.contains("destination-nat"), "{}", builtin.id);
        }
    }
}

#[test]
fn srx_timeouts_fqdn_and_limitations() {
    let premise = srx("fonality-pbxtra-premise", false);
    let lines = commands(&premise);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("set applications application ")
                && l.ends_with(" destination-port 4000-4031")),
        "{premise}"
    );
    let profile = builtin_filled("algar-cloudphone-pro");
    let rendering = render(&profile, Vendor::JuniperSrx, &Options::default(), false).unwrap();
    assert!(rendering.text.contains(" inactivity-timeout 300\n"));
    assert!(rendering.text.contains(" dns-name dps.digivox.com.br\n"));
    let topics: Vec<&str> = rendering
        .limitations
        .iter()
        .map(|l| l.topic.as_str())
        .collect();
    for topic in ["zones", "port-preservation", "fqdn-dns", "session-ttl"] {
        assert!(topics.contains(&topic), "{topics:?}");
        assert!(rendering.text.contains(&format!("# - {topic}:")), "{topic}");
    }
}

#[test]
fn srx_zone_names_come_from_the_options() {
    let options = Options {
        wan: "untrust".into(),
        lan: "trust".into(),
        ..Options::default()
    };
    let text = render(
        &builtin_filled("rfc-baseline"),
        Vendor::JuniperSrx,
        &options,
        false,
    )
    .unwrap()
    .text;
    assert!(text.contains("\nset security policies from-zone trust to-zone untrust policy "));
    assert!(text.contains("\nset security nat source rule-set sipwall-snat from zone trust\n"));
}

#[test]
fn srx_version_selection() {
    for version in ["15.1X49-D110", "Junos 18.4R3", "21.2", "22.4R1"] {
        assert_eq!(
            Vendor::select("juniper-srx", Some(version)).unwrap(),
            Vendor::JuniperSrx,
            "{version}"
        );
    }
    for version in ["12.3X48", "15.1R7", "junos"] {
        let err = Vendor::select("juniper-srx", Some(version)).unwrap_err();
        assert!(matches!(err, Error::UnknownVersion { .. }), "{err:?}");
    }
}

// ---- Palo Alto PAN-OS (`tests/snapshots/panos/`) ----

fn panos(id: &str, explain: bool) -> String {
    render(
        &builtin_filled(id),
        Vendor::Panos,
        &Options::default(),
        explain,
    )
    .unwrap()
    .text
}

#[test]
fn panos_every_builtin_matches_its_snapshot() {
    for builtin in BUILTINS {
        snapshot(
            "panos",
            &format!("{}.set", builtin.id),
            &panos(builtin.id, false),
        );
    }
    snapshot(
        "panos",
        "algar-cloudphone-pro.explain.set",
        &panos("algar-cloudphone-pro", true),
    );
}

/// Every command is a `set` line of a known hierarchy; nothing turns an ALG on.
#[test]
fn panos_commands_are_set_lines_of_known_hierarchies() {
    let known = [
        "set shared alg-override application sip alg-disabled yes",
        "set address ",
        "set address-group ",
        "set service ",
        "set rulebase security rules ",
        "set rulebase nat rules ",
        "set deviceconfig setting session timeout-udp ",
    ];
    for builtin in BUILTINS {
        for explain in [false, true] {
            let text = panos(builtin.id, explain);
            for line in commands(&text) {
                assert!(
                    line.starts_with("set ") || line.starts_with("delete "),
                    "{}: {line:?}",
                    builtin.id
                );
                assert!(
                    known.iter().any(|k| line.starts_with(k)),
                    "{}: unknown hierarchy {line:?}",
                    builtin.id
                );
                assert!(
                    !line.contains("alg-override") || line.ends_with("alg-disabled yes"),
                    "{line}"
                );
                assert!(!line.contains("application-override"), "{line}");
                if line.starts_with("set rulebase security rules ") {
                    assert!(line.contains(" application any service "), "{line}");
                    assert!(line.ends_with(" action allow"), "{line}");
                }
            }
        }
    }
}

#[test]
fn panos_alg_off_iff_the_profile_wants_it() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = panos(builtin.id, true);
        let lines = commands(&text);
        let off = policy.algs.iter().any(|a| !a.enabled);
        assert_eq!(
            lines.contains(&"set shared alg-override application sip alg-disabled yes"),
            off,
            "{}",
            builtin.id
        );
    }
}

#[test]
fn panos_every_required_flow_port_appears_in_a_rule() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = panos(builtin.id, false);
        let lines = commands(&text);
        for rule in policy.rules.iter().filter(|r| r.required) {
            let zones = match rule.direction {
                Direction::Outbound => "from lan0 to wan0",
                Direction::Inbound => "from wan0 to lan0",
            };
            let service = format!("sipwall-{}", rule.name);
            let head = format!("set rulebase security rules {service} {zones} ");
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(&head) && l.contains(&format!(" service {service} "))),
                "{}: no rule for {}",
                builtin.id,
                rule.name
            );
            let def = lines
                .iter()
                .find(|l| {
                    l.starts_with(&format!(
                        "set service {service} protocol {} port ",
                        rule.protocol
                    ))
                })
                .unwrap_or_else(|| panic!("{}: no service {service}", builtin.id));
            let Ports::Set(ranges) = &rule.destination_ports else {
                continue;
            };
            let ports = def
                .split(" port ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            for range in ranges {
                assert!(
                    ports.split(',').any(|p| p == range.to_string()),
                    "{}: {} {range} not in {def}",
                    builtin.id,
                    rule.name
                );
            }
        }
    }
}

#[test]
fn panos_nat_and_forwards_present() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = panos(builtin.id, false);
        let lines = commands(&text);
        if policy.nat.source_nat.is_some() {
            assert!(
                lines.contains(
                    &"set rulebase nat rules sipwall-snat from lan0 to wan0 source any destination any service any source-translation dynamic-ip-and-port interface-address interface wan0"
                ),
                "{}",
                builtin.id
            );
        }
        for forward in &policy.nat.port_forwards {
            let Some(protocol) = forward.protocol else {
                continue;
            };
            let service = format!("sipwall-fwd-{}", forward.name);
            assert!(
                lines.contains(
                    &format!(
                        "set service {service} protocol {protocol} port {}",
                        forward.ports
                    )
                    .as_str()
                ),
                "{}: service for {}",
                builtin.id,
                forward.name
            );
            assert!(
                lines.contains(
                    &format!(
                        "set rulebase nat rules {service} from wan0 to wan0 source any destination any service {service} destination-translation translated-address {}",
                        forward.to
                    )
                    .as_str()
                ),
                "{}: NAT rule for {}",
                builtin.id,
                forward.name
            );
        }
        if policy.nat.port_forwards.is_empty() {
            assert!(!text.contains("destination-translation"), "{}", builtin.id);
        }
    }
}

#[test]
fn panos_fqdn_timeouts_and_limitations() {
    let profile = builtin_filled("algar-cloudphone-pro");
    let rendering = render(&profile, Vendor::Panos, &Options::default(), false).unwrap();
    assert!(
        rendering
            .text
            .contains("\nset address sipwall-dps.digivox.com.br fqdn dps.digivox.com.br\n")
    );
    let topics: Vec<&str> = rendering
        .limitations
        .iter()
        .map(|l| l.topic.as_str())
        .collect();
    for topic in [
        "zones",
        "port-preservation",
        "udp-timeout-global",
        "fqdn-dns",
        "session-ttl",
    ] {
        assert!(topics.contains(&topic), "{topics:?}");
        assert!(rendering.text.contains(&format!("# - {topic}:")), "{topic}");
    }
}

#[test]
fn panos_version_selection() {
    for version in ["9.1", "10.2.4", "PAN-OS 11.1", "v10"] {
        assert_eq!(
            Vendor::select("panos", Some(version)).unwrap(),
            Vendor::Panos,
            "{version}"
        );
    }
    for version in ["8.1", "12.1", "pan"] {
        let err = Vendor::select("panos", Some(version)).unwrap_err();
        assert!(matches!(err, Error::UnknownVersion { .. }), "{err:?}");
    }
}
