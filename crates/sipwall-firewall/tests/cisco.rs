//! Cisco ASA rendering of every built-in profile: golden files and structural checks (no
//! offline ASA validator exists, research/anchors-firewall.md §7).
//!
//! Golden files live in `tests/snapshots/cisco-asa/`; after a deliberate change, regenerate
//! them with `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall --test cisco` and review the
//! diff.

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

/// The command lines (not comments, not blank), trimmed.
fn commands(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('!'))
}

fn asa(id: &str, explain: bool) -> String {
    render(
        &builtin_filled(id),
        Vendor::CiscoAsa,
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
fn asa_every_builtin_matches_its_snapshot() {
    for builtin in BUILTINS {
        snapshot(
            "cisco-asa",
            &format!("{}.asa.conf", builtin.id),
            &asa(builtin.id, false),
        );
    }
    snapshot(
        "cisco-asa",
        "algar-cloudphone-pro.explain.asa.conf",
        &asa("algar-cloudphone-pro", true),
    );
}

/// Every command is a known ASA shape, in the mode it belongs to.
#[test]
fn asa_commands_are_known_shapes() {
    for builtin in BUILTINS {
        for explain in [false, true] {
            let text = asa(builtin.id, explain);
            assert!(text.ends_with("end\n!   Save with `write memory` once the phones register and calls have audio both ways.\n") || text.contains("\nend\n"), "{}", builtin.id);
            // The mode the previous top-level command opened.
            let mut mode = "";
            for raw in text.lines() {
                if raw.trim().is_empty() || raw.starts_with('!') {
                    continue;
                }
                let depth = raw.len() - raw.trim_start().len();
                let line = raw.trim();
                let words: Vec<&str> = line.split_whitespace().collect();
                match depth {
                    0 => {
                        mode = match words[0] {
                            "policy-map" => {
                                assert_eq!(words, ["policy-map", "global_policy"], "{line}");
                                "policy-map"
                            }
                            "class-map" | "object" | "object-group" => {
                                assert!(words.len() >= 3 || words[0] == "class-map", "{line}");
                                words[0]
                            }
                            "access-list" => {
                                assert!(words[1].starts_with("sipwall_"), "{line}");
                                assert!(
                                    words[2] == "remark"
                                        || (words[2] == "extended"
                                            && ["permit", "deny"].contains(&words[3])
                                            && ["udp", "tcp", "ip"].contains(&words[4])),
                                    "{line}"
                                );
                                ""
                            }
                            "access-group" => {
                                assert_eq!(words.len(), 5, "{line}");
                                assert_eq!(&words[2..4], ["in", "interface"], "{line}");
                                ""
                            }
                            "timeout" => {
                                assert_eq!(words[1], "udp", "{line}");
                                assert!(words[2].split(':').count() == 3, "{line}");
                                ""
                            }
                            "end" => "",
                            other => {
                                panic!("{}: unknown command {other:?} in {line:?}", builtin.id)
                            }
                        };
                    }
                    1 => {
                        let ok = match mode {
                            "policy-map" => words[0] == "class" && words.len() == 2,
                            "class-map" => line.starts_with("match port udp "),
                            "object" => ["host", "subnet", "fqdn", "nat"].contains(&words[0]),
                            "object-group" => ["network-object", "port-object"].contains(&words[0]),
                            _ => false,
                        };
                        assert!(ok, "{}: {line:?} under {mode:?}", builtin.id);
                    }
                    2 => {
                        assert_eq!(mode, "policy-map", "{line}");
                        assert!(
                            line == "no inspect sip"
                                || line.starts_with("set connection timeout idle "),
                            "{line}"
                        );
                    }
                    _ => panic!("{}: too deep {line:?}", builtin.id),
                }
            }
        }
    }
}

#[test]
fn asa_no_inspect_sip_iff_the_profile_wants_the_alg_off() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = asa(builtin.id, true);
        let lines: Vec<&str> = commands(&text).collect();
        let off = policy.algs.iter().any(|a| !a.enabled);
        assert_eq!(lines.contains(&"no inspect sip"), off, "{}", builtin.id);
        if off {
            let at = lines.iter().position(|l| *l == "no inspect sip").unwrap();
            assert_eq!(
                &lines[at - 2..at],
                ["policy-map global_policy", "class inspection_default"]
            );
        }
        for line in &lines {
            assert!(!line.starts_with("inspect"), "{}: {line}", builtin.id);
            assert!(
                !line.contains(" extended") || line.starts_with("access-list"),
                "{line}"
            );
            assert!(!line.contains("pat-pool"), "{line}");
        }
    }
}

#[test]
fn asa_every_required_flow_port_appears_in_an_acl() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = asa(builtin.id, false);
        let lines: Vec<&str> = commands(&text).collect();
        for rule in policy.rules.iter().filter(|r| r.required) {
            let list = match rule.direction {
                Direction::Outbound => "access-list sipwall_lan0_in extended permit",
                Direction::Inbound => "access-list sipwall_wan0_in extended permit",
            };
            let ace = lines
                .iter()
                .find(|l| {
                    l.starts_with(list) && l.contains(&format!(" {} ", rule.protocol))
                        || (l.starts_with(list) && l.ends_with(&format!(" {}", rule.protocol)))
                })
                .unwrap_or_else(|| panic!("{}: no ACE for {}", builtin.id, rule.name));
            let _ = ace;
            let Ports::Set(ranges) = &rule.destination_ports else {
                continue;
            };
            for range in ranges {
                let shape = if range.first == range.last {
                    format!("eq {}", range.first)
                } else {
                    format!("range {} {}", range.first, range.last)
                };
                let in_ace = lines
                    .iter()
                    .any(|l| l.starts_with(list) && l.ends_with(&shape));
                let in_group = lines.iter().any(|l| *l == format!("port-object {shape}"));
                assert!(
                    in_ace || in_group,
                    "{}: {} {shape} in no ACL",
                    builtin.id,
                    rule.name
                );
            }
        }
        for interface in ["lan0", "wan0"] {
            let list = format!("access-list sipwall_{interface}_in extended");
            if lines.iter().any(|l| l.starts_with(&list)) {
                assert!(
                    lines.contains(
                        &format!("access-group sipwall_{interface}_in in interface {interface}")
                            .as_str()
                    ),
                    "{}: {interface} ACL not bound",
                    builtin.id
                );
            }
        }
    }
}

#[test]
fn asa_nat_keeps_ports_and_forwards_are_static_nat() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = asa(builtin.id, false);
        let lines: Vec<&str> = commands(&text).collect();
        if policy.nat.source_nat.is_some() {
            assert!(
                lines.contains(&"nat (lan0,wan0) dynamic interface"),
                "{}",
                builtin.id
            );
        }
        for line in &lines {
            assert!(
                !line.contains("extended") || line.starts_with("access-list"),
                "{line}"
            );
            if line.starts_with("nat ") {
                assert!(
                    *line == "nat (lan0,wan0) dynamic interface"
                        || line.starts_with("nat (lan0,wan0) static interface service "),
                    "{line}"
                );
            }
        }
        for forward in &policy.nat.port_forwards {
            let Some(protocol) = forward.protocol else {
                continue;
            };
            for range in forward.ports.ranges() {
                if range.first == range.last {
                    let nat = format!(
                        "nat (lan0,wan0) static interface service {protocol} {0} {0}",
                        range.first
                    );
                    let at = lines
                        .iter()
                        .position(|l| *l == nat)
                        .unwrap_or_else(|| panic!("{}: {nat} missing", builtin.id));
                    assert_eq!(lines[at - 1], format!("host {}", forward.to));
                } else {
                    assert!(
                        text.contains(&format!(
                            "!  service {protocol} source range {} {}",
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
            assert!(!text.contains("static interface"), "{}", builtin.id);
        }
    }
}

#[test]
fn asa_timeouts_fqdn_and_limitations() {
    let premise = asa("fonality-pbxtra-premise", false);
    assert!(premise.contains(
        "class-map sipwall-udp-timeout-1\n match port udp range 4000 4031\npolicy-map global_policy\n class sipwall-udp-timeout-1\n  set connection timeout idle 0:02:00\n"
    ));
    assert!(!premise.contains("\ntimeout udp"));
    let profile = builtin_filled("algar-cloudphone-pro");
    let rendering = render(&profile, Vendor::CiscoAsa, &Options::default(), false).unwrap();
    assert!(rendering.text.contains("\ntimeout udp 0:05:00\n"));
    assert!(rendering.text.contains("\n fqdn dps.digivox.com.br\n"));
    let topics: Vec<&str> = rendering
        .limitations
        .iter()
        .map(|l| l.topic.as_str())
        .collect();
    for topic in ["interfaces", "access-group", "fqdn-dns", "session-ttl"] {
        assert!(topics.contains(&topic), "{topics:?}");
        assert!(rendering.text.contains(&format!("! - {topic}:")), "{topic}");
    }
}

#[test]
fn asa_interface_names_come_from_the_options() {
    let options = Options {
        wan: "outside".into(),
        lan: "inside".into(),
        ..Options::default()
    };
    let text = render(
        &builtin_filled("fonality-pbxtra-premise"),
        Vendor::CiscoAsa,
        &options,
        false,
    )
    .unwrap()
    .text;
    assert!(text.contains("\naccess-group sipwall_outside_in in interface outside\n"));
    assert!(text.contains("\naccess-group sipwall_inside_in in interface inside\n"));
    assert!(text.contains(" nat (inside,outside) dynamic interface\n"));
}

#[test]
fn asa_version_selection() {
    for version in ["9", "9.16(4)", "ASA 9.18", "9.x"] {
        assert_eq!(
            Vendor::select("cisco-asa", Some(version)).unwrap(),
            Vendor::CiscoAsa,
            "{version}"
        );
    }
    let err = Vendor::select("cisco-asa", Some("8.2")).unwrap_err();
    assert!(matches!(err, Error::UnknownVersion { .. }), "{err:?}");
    assert!(err.to_string().contains("cisco-asa (ASA 9.x)"));
}
