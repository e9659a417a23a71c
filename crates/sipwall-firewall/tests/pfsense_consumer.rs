//! pfSense/OPNsense (GUI steps + config.xml fragment) and the consumer-router checklist for
//! every built-in profile: golden files and structural checks (the XML fragment is well-formed,
//! checked with Python's xml.dom.minidom; static-port outbound NAT when the profile needs
//! consistent NAT; nothing enables siproxd or an ALG; each required flow's port is in a rule or a
//! forward; the checklist covers every brand with a sourced path or "not documented in our
//! sources").
//!
//! Golden files live in `tests/snapshots/pfsense/` and `tests/snapshots/consumer/`; after a
//! deliberate change, regenerate them with
//! `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall --test pfsense_consumer` and review the diff.

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::builtin_filled;
use sipwall_firewall::model::{Direction, Ports};
use sipwall_firewall::{Options, Policy, Rendering, Vendor, render};
use sipwall_profile::builtin::BUILTINS;

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
        wan: "wan".into(),
        lan: "lan".into(),
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

/// The config.xml fragment: every line from the XML declaration on.
fn fragment(text: &str) -> &str {
    let start = text
        .find("<?xml version=\"1.0\"?>")
        .expect("an XML fragment");
    &text[start..]
}

/// Checks well-formedness with Python's minidom (fails, never skips, when python3 is missing).
fn well_formed(id: &str, xml: &str) {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed to check the XML fragment");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{id}: XML fragment not well-formed:\n{}\n{xml}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The text with comment markers and line wraps removed: one line of words.
fn words(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_start_matches('#'))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_builtin_matches_its_snapshot() {
    for builtin in BUILTINS {
        let (_, pf) = rendering(builtin.id, Vendor::Pfsense, false);
        snapshot("pfsense", &format!("{}.txt", builtin.id), &pf.text);
        let (_, consumer) = rendering(builtin.id, Vendor::Consumer, false);
        snapshot("consumer", &format!("{}.txt", builtin.id), &consumer.text);
    }
    let (_, pf) = rendering("fonality-pbxtra-premise", Vendor::Pfsense, true);
    snapshot("pfsense", "fonality-pbxtra-premise.explain.txt", &pf.text);
    let (_, consumer) = rendering("fonality-pbxtra-premise", Vendor::Consumer, true);
    snapshot(
        "consumer",
        "fonality-pbxtra-premise.explain.txt",
        &consumer.text,
    );
}

#[test]
fn the_fragment_is_well_formed_and_steps_are_comments() {
    for builtin in BUILTINS {
        for explain in [false, true] {
            let (_, r) = rendering(builtin.id, Vendor::Pfsense, explain);
            let xml = fragment(&r.text);
            well_formed(builtin.id, xml);
            let before = &r.text[..r.text.len() - xml.len()];
            for line in before.lines() {
                assert!(
                    line.is_empty() || line.starts_with('#'),
                    "{}: not a comment before the XML: {line}",
                    builtin.id
                );
            }
            assert!(before.contains("# 1. "), "{}: numbered steps", builtin.id);
            assert!(xml.trim_end().ends_with("</pfsense>"));
        }
    }
}

#[test]
fn static_port_outbound_nat_when_consistent_nat_is_needed() {
    for builtin in BUILTINS {
        let (policy, r) = rendering(builtin.id, Vendor::Pfsense, false);
        let needs = policy
            .nat
            .source_nat
            .as_ref()
            .is_some_and(|s| s.port_preservation || s.endpoint_independent_mapping);
        let xml = fragment(&r.text);
        assert_eq!(xml.contains("<staticnatport/>"), needs, "{}", builtin.id);
        if needs {
            assert!(xml.contains("<mode>hybrid</mode>"), "{}", builtin.id);
            assert!(r.text.contains("\"Static Port\""), "{}", builtin.id);
        }
    }
}

#[test]
fn nothing_enables_siproxd_or_an_alg() {
    for builtin in BUILTINS {
        for vendor in [Vendor::Pfsense, Vendor::Consumer] {
            let (policy, r) = rendering(builtin.id, vendor, true);
            let lower = words(&r.text)
                .to_lowercase()
                .replace("untick enable sip alg", "");
            for bad in [
                "install siproxd",
                "enable siproxd",
                "enable sip alg",
                " tick sip alg",
                "sip alg on",
            ] {
                assert!(!lower.contains(bad), "{}: {bad}", builtin.id);
            }
            assert!(!lower.contains("<siproxd"), "{}", builtin.id);
            if vendor == Vendor::Pfsense && policy.algs.iter().any(|a| !a.enabled) {
                assert!(lower.contains("remove it"), "{}", builtin.id);
            }
        }
    }
}

#[test]
fn every_required_flow_port_is_in_a_rule_or_forward() {
    for builtin in BUILTINS {
        let (policy, r) = rendering(builtin.id, Vendor::Pfsense, false);
        let xml = fragment(&r.text);
        for rule in policy.rules.iter().filter(|rule| rule.required) {
            let descr = format!("<descr>sipwall: {}</descr>", rule.name);
            let line = xml
                .lines()
                .find(|l| l.contains(&descr))
                .unwrap_or_else(|| panic!("{}: no rule for {}", builtin.id, rule.name));
            assert!(
                line.contains(&format!("<protocol>{}</protocol>", rule.protocol.name())),
                "{}",
                rule.name
            );
            let interface = match rule.direction {
                Direction::Outbound => "lan",
                Direction::Inbound => "wan",
            };
            assert!(line.contains(&format!("<interface>{interface}</interface>")));
            if let Ports::Set(ranges) = &rule.destination_ports {
                for range in ranges {
                    let single = format!("<port>{range}</port>");
                    let in_alias = xml.lines().any(|l| {
                        l.contains("<type>port</type>")
                            && l.contains(&if range.first == range.last {
                                range.first.to_string()
                            } else {
                                format!("{}:{}", range.first, range.last)
                            })
                    });
                    assert!(
                        line.contains(&single) || in_alias,
                        "{}: {} port {range}",
                        builtin.id,
                        rule.name
                    );
                }
            }
        }
        for forward in &policy.nat.port_forwards {
            if let Ports::Set(ranges) = &forward.ports {
                for range in ranges {
                    assert!(
                        xml.lines().any(|l| l.contains("<target>")
                            && l.contains(&format!("<port>{range}</port>"))
                            && l.contains(&forward.to.to_string())),
                        "{}: forward {} {range}",
                        builtin.id,
                        forward.name
                    );
                }
            }
        }
        for item in &policy.hygiene.forbidden_inbound {
            assert!(
                xml.lines().any(|l| l.contains("<type>block</type>")
                    && l.contains(&format!("<port>{}</port>", item.port))),
                "{}: block {}",
                builtin.id,
                item.port
            );
            assert!(
                !xml.lines().any(|l| l.contains("<target>")
                    && l.contains(&format!("<port>{}</port>", item.port))),
                "{}: {} forwarded",
                builtin.id,
                item.port
            );
        }
    }
}

#[test]
fn the_checklist_covers_every_brand() {
    let brands = [
        "TP-Link",
        "Netgear",
        "D-Link",
        "Linksys",
        "DrayTek",
        "Zyxel",
        "Barracuda",
        "Ubiquiti UniFi",
    ];
    for builtin in BUILTINS {
        let (policy, r) = rendering(builtin.id, Vendor::Consumer, false);
        let text = &r.text;
        for line in text.lines() {
            assert!(line.starts_with('#'), "{}: {line}", builtin.id);
        }
        let joined = words(text);
        for brand in brands {
            let head = format!("== {brand} ==");
            let start = joined
                .find(&head)
                .unwrap_or_else(|| panic!("{}: no section for {brand}", builtin.id));
            let rest = &joined[start + head.len()..];
            let end = rest
                .find(" == ")
                .or_else(|| rest.find("What consumer routers cannot do"))
                .unwrap_or(rest.len());
            let section = &rest[..end];
            assert!(
                section.contains('›') || section.contains("not documented in our sources"),
                "{brand}"
            );
            if policy.algs.iter().any(|a| !a.enabled) {
                assert!(section.contains("[ ] SIP ALG off"), "{brand}");
            }
        }
        for forward in &policy.nat.port_forwards {
            assert!(
                joined.contains(&format!("{} (same inside port)", forward.to)),
                "{}",
                builtin.id
            );
            assert!(text.contains(&forward.ports.to_string()));
        }
        assert!(text.contains("What consumer routers cannot do"));
    }
}

#[test]
fn the_vendors_are_selectable() {
    assert_eq!(Vendor::select("pfsense", None).unwrap(), Vendor::Pfsense);
    assert_eq!(
        Vendor::select("pfSense", Some("2.7.2")).unwrap(),
        Vendor::Pfsense
    );
    assert_eq!(
        Vendor::select("pfsense", Some("24.7")).unwrap(),
        Vendor::Pfsense
    );
    assert!(Vendor::select("pfsense", Some("2.4.5")).is_err());
    assert_eq!(Vendor::select("consumer", None).unwrap(), Vendor::Consumer);
    let (_, r) = rendering("algar-cloudphone-pro", Vendor::Pfsense, false);
    for limitation in &r.limitations {
        assert!(
            r.text.contains(&format!("# - {}:", limitation.topic)),
            "{}",
            limitation.topic
        );
    }
}
