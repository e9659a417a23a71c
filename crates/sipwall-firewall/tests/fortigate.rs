//! FortiGate (FortiOS before 6.2 and 6.2+) rendering of every built-in profile: golden files and
//! structural checks (no offline FortiOS validator exists, research/anchors-firewall.md §7).
//!
//! Golden files live in `tests/snapshots/fortigate/`; after a deliberate change, regenerate them
//! with `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall --test fortigate` and review the diff.

mod common;

use std::path::PathBuf;

use common::builtin_filled;
use sipwall_firewall::model::{Direction, Ports};
use sipwall_firewall::{Error, Options, Policy, Vendor, render};
use sipwall_profile::builtin::BUILTINS;

const DIALECTS: [(Vendor, &str); 2] = [
    (Vendor::Fortigate60, "fortios-6.0"),
    (Vendor::Fortigate62, "fortios-6.2"),
];

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/fortigate")
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

/// The command lines (not comments, not blank).
fn commands(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[test]
fn every_builtin_matches_its_snapshot() {
    for (vendor, tag) in DIALECTS {
        for builtin in BUILTINS {
            let profile = builtin_filled(builtin.id);
            let plain = render(&profile, vendor, &Options::default(), false).unwrap();
            snapshot(&format!("{}.{tag}.conf", builtin.id), &plain.text);
        }
        let premise = builtin_filled("algar-cloudphone-pro");
        let explained = render(&premise, vendor, &Options::default(), true).unwrap();
        snapshot(
            &format!("algar-cloudphone-pro.explain.{tag}.conf"),
            &explained.text,
        );
    }
}

/// `config`/`end` and `edit`/`next` nest properly, and every command is a known shape.
#[test]
fn config_blocks_are_balanced_and_commands_are_known_shapes() {
    for (vendor, _) in DIALECTS {
        for builtin in BUILTINS {
            let profile = builtin_filled(builtin.id);
            for explain in [false, true] {
                let text = render(&profile, vendor, &Options::default(), explain)
                    .unwrap()
                    .text;
                let mut stack: Vec<&str> = Vec::new();
                for line in commands(&text) {
                    let word = line.split_whitespace().next().unwrap();
                    match word {
                        "config" => stack.push("config"),
                        "edit" => {
                            assert_eq!(stack.last(), Some(&"config"), "{}: {line}", builtin.id);
                            stack.push("edit");
                        }
                        "next" => assert_eq!(stack.pop(), Some("edit"), "{}", builtin.id),
                        "end" => assert_eq!(stack.pop(), Some("config"), "{}", builtin.id),
                        "set" => {
                            assert!(!stack.is_empty(), "{}: set outside a block", builtin.id);
                            assert!(line.split_whitespace().count() >= 3, "{line}");
                        }
                        other => panic!("{}: unknown command `{other}` in {line:?}", builtin.id),
                    }
                    assert_eq!(
                        line.matches('"').count() % 2,
                        0,
                        "{}: unbalanced quotes {line:?}",
                        builtin.id
                    );
                }
                assert!(stack.is_empty(), "{}: unclosed {stack:?}", builtin.id);
            }
        }
    }
}

#[test]
fn the_alg_knobs_are_set_per_version_and_nothing_enables_the_alg() {
    for (vendor, _) in DIALECTS {
        for builtin in BUILTINS {
            let profile = builtin_filled(builtin.id);
            let policy = Policy::from_profile(&profile, &Options::default()).unwrap();
            let text = render(&profile, vendor, &Options::default(), true)
                .unwrap()
                .text;
            let lines: Vec<&str> = commands(&text).collect();
            for line in &lines {
                assert!(!line.contains("proxy-based"), "{}: {line}", builtin.id);
                assert!(!line.ends_with(" enable") || allowed_enable(line), "{line}");
                assert!(!line.starts_with("set voip-profile"), "{line}");
                assert!(!line.starts_with("delete"), "{line}");
            }
            if policy.algs.iter().any(|a| !a.enabled) {
                let expected: &[&str] = match vendor {
                    Vendor::Fortigate60 => &[
                        "set default-voip-alg-mode kernel-helper-based",
                        "set sip-helper disable",
                        "set sip-nat-trace disable",
                        "set status disable",
                        "set rtp disable",
                    ],
                    _ => &[
                        "set default-voip-alg-mode kernel-helper-based",
                        "set sip-expectation disable",
                        "set sip-nat-trace disable",
                        "set rtp disable",
                    ],
                };
                for knob in expected {
                    assert!(lines.contains(knob), "{}: {knob} missing", builtin.id);
                }
                let other = match vendor {
                    Vendor::Fortigate60 => "set sip-expectation",
                    _ => "set sip-helper",
                };
                assert!(!lines.iter().any(|l| l.starts_with(other)), "{other}");
                // The helper entry is looked up, never a guessed number.
                assert!(text.contains("show system"), "{}", builtin.id);
                assert!(text.contains("#       delete <number of the sip entry>"));
                assert!(text.contains("#   diagnose sys session clear"));
            }
        }
    }
}

fn allowed_enable(line: &str) -> bool {
    [
        "set nat enable",
        "set fixedport enable",
        "set portforward enable",
    ]
    .contains(&line)
}

#[test]
fn every_required_flow_port_appears_in_a_service_and_outbound_nat_keeps_ports() {
    for (vendor, _) in DIALECTS {
        for builtin in BUILTINS {
            let profile = builtin_filled(builtin.id);
            let policy = Policy::from_profile(&profile, &Options::default()).unwrap();
            let text = render(&profile, vendor, &Options::default(), false)
                .unwrap()
                .text;
            let services: Vec<&str> = commands(&text)
                .filter(|l| {
                    l.starts_with("set udp-portrange") || l.starts_with("set tcp-portrange")
                })
                .collect();
            for rule in policy.rules.iter().filter(|r| r.required) {
                let Ports::Set(ranges) = &rule.destination_ports else {
                    continue;
                };
                let key = format!("set {}-portrange", rule.protocol);
                for range in ranges {
                    let port = range.to_string();
                    assert!(
                        services.iter().any(|l| l.starts_with(&key)
                            && l.split_whitespace()
                                .skip(2)
                                .any(|item| item.split(':').next() == Some(port.as_str()))),
                        "{}: {} {port} not in a service",
                        builtin.id,
                        rule.name
                    );
                }
            }
            let outbound = policy
                .rules
                .iter()
                .filter(|r| r.direction == Direction::Outbound)
                .count();
            let fixed = commands(&text)
                .filter(|l| *l == "set fixedport enable")
                .count();
            assert_eq!(fixed, outbound, "{}", builtin.id);
            let policies = commands(&text).filter(|l| *l == "edit 0").count();
            assert_eq!(policies, policy.rules.len(), "{}", builtin.id);
        }
    }
}

#[test]
fn port_forwards_become_vips_on_the_wan_and_inbound_policies_use_them() {
    let profile = builtin_filled("fonality-pbxtra-premise");
    let text = render(&profile, Vendor::Fortigate62, &Options::default(), false)
        .unwrap()
        .text;
    assert!(text.contains(
        "        edit \"sipwall-sip-inbound-udp\"\n            set extip 0.0.0.0\n            \
         set extintf \"wan0\"\n            set mappedip \"192.168.1.10\"\n            set \
         portforward enable\n            set protocol udp\n            set extport 5060\n            \
         set mappedport 5060\n"
    ));
    // The SIP whitelist narrows the inbound SIP policy's sources.
    assert!(text.contains(
        "set comments \"sipwall-sip-inbound-in-udp-whitelisted\"\n            set srcintf \"wan0\"\n            \
         set dstintf \"lan0\"\n            set srcaddr \"sipwall-203.0.113.0-24\"\n            \
         set dstaddr \"sipwall-sip-inbound-udp\"\n"
    ));
    assert!(!text.contains("set extport 22\n"));
}

#[test]
fn per_port_timeouts_and_policy_knobs_from_the_profile() {
    let premise = builtin_filled("fonality-pbxtra-premise");
    let premise = render(&premise, Vendor::Fortigate60, &Options::default(), false).unwrap();
    assert!(premise.text.contains("config system session-ttl\n        config port\n            edit 901\n                set protocol 17\n"));
    assert!(!premise.text.contains("set udp-idle-timer"));
    // algar: the timeout covers every UDP port (global), the seed's own FortiGate knobs.
    let profile = builtin_filled("algar-cloudphone-pro");
    let rendering = render(&profile, Vendor::Fortigate62, &Options::default(), false).unwrap();
    let text = &rendering.text;
    // Without VDOMs the global setting stands alone; with them it sits in `config global`
    // and everything per VDOM inside `config vdom` / `edit NAME`.
    assert!(text.contains("config system global\n    set udp-idle-timer 300\nend\n"));
    assert!(!text.contains("config vdom") && !text.contains("config global"));
    let vdom = Options {
        vdom: Some("voice".into()),
        ..Options::default()
    };
    let with_vdom = render(&profile, Vendor::Fortigate62, &vdom, false)
        .unwrap()
        .text;
    assert!(
        with_vdom.contains(
            "config global\nconfig system global\n    set udp-idle-timer 300\nend\nend\n"
        )
    );
    assert!(with_vdom.contains("config vdom\nedit voice\n"));
    assert!(with_vdom.trim_end().ends_with("end") || with_vdom.contains("\nnext\nend\n"));
    assert!(text.contains("set session-ttl 43200"));
    assert!(text.contains("set auto-asic-offload disable"));
    assert!(text.contains("set type fqdn"));
    let topics: Vec<&str> = rendering
        .limitations
        .iter()
        .map(|l| l.topic.as_str())
        .collect();
    for topic in ["vdom", "endpoint-independent-mapping", "session-ttl"] {
        assert!(topics.contains(&topic), "{topics:?}");
        assert!(text.contains(&format!("# - {topic}:")), "{topic}");
    }
}

#[test]
fn the_version_picks_the_dialect() {
    assert_eq!(
        Vendor::select("fortigate", None).unwrap(),
        Vendor::Fortigate62
    );
    for (version, vendor) in [
        ("6.0", Vendor::Fortigate60),
        ("6.0.9", Vendor::Fortigate60),
        ("5.6.14", Vendor::Fortigate60),
        ("6.2", Vendor::Fortigate62),
        ("v6.2.15", Vendor::Fortigate62),
        ("7.4.3", Vendor::Fortigate62),
        ("FortiOS 7.0", Vendor::Fortigate62),
    ] {
        assert_eq!(
            Vendor::select("FortiGate", Some(version)).unwrap(),
            vendor,
            "{version}"
        );
    }
    assert_eq!(
        Vendor::select("fortigate-6.0", None).unwrap(),
        Vendor::Fortigate60
    );
    let err = Vendor::select("fortigate", Some("six")).unwrap_err();
    assert!(matches!(err, Error::UnknownVersion { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("fortigate-6.0 (FortiOS before 6.2)"),
        "{message}"
    );
    assert!(
        message.contains("fortigate-6.2 (FortiOS 6.2 and later)"),
        "{message}"
    );
}
