//! Cisco IOS / IOS-XE and SonicWall SonicOS 7 renderings of every built-in profile: golden files
//! and structural checks (no offline validator exists for either, research/anchors-firewall.md
//! §7).
//!
//! Golden files live in `tests/snapshots/cisco-ios/` and `tests/snapshots/sonicwall/`; after a
//! deliberate change, regenerate them with `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall
//! --test ios_sonicwall` and review the diff.

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

fn policy(id: &str) -> Policy {
    Policy::from_profile(&builtin_filled(id), &Options::default()).unwrap()
}

fn ios(id: &str, explain: bool) -> String {
    render(
        &builtin_filled(id),
        Vendor::CiscoIos,
        &Options::default(),
        explain,
    )
    .unwrap()
    .text
}

#[test]
fn ios_every_builtin_matches_its_snapshot() {
    for builtin in BUILTINS {
        snapshot(
            "cisco-ios",
            &format!("{}.ios.conf", builtin.id),
            &ios(builtin.id, false),
        );
    }
    snapshot(
        "cisco-ios",
        "algar-cloudphone-pro.explain.ios.conf",
        &ios("algar-cloudphone-pro", true),
    );
}

/// Every command is a known IOS shape, in the mode it belongs to.
#[test]
fn ios_commands_are_known_shapes() {
    for builtin in BUILTINS {
        for explain in [false, true] {
            let text = ios(builtin.id, explain);
            assert!(text.contains("\nend\n"), "{}", builtin.id);
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
                            "no" => {
                                assert!(
                                    line == "no ip nat service sip udp port 5060"
                                        || line == "no ip nat service sip tcp port 5060",
                                    "{line}"
                                );
                                ""
                            }
                            "ip" => match words[1] {
                                "access-list" => {
                                    assert!(["extended", "standard"].contains(&words[2]));
                                    assert_eq!(words.len(), 4, "{line}");
                                    "acl"
                                }
                                "nat" => {
                                    assert!(
                                        line.starts_with("ip nat translation udp-timeout ")
                                            || line
                                                == "ip nat inside source list sipwall-nat interface wan0 overload"
                                            || line.starts_with("ip nat inside source static udp ")
                                            || line.starts_with("ip nat inside source static tcp "),
                                        "{line}"
                                    );
                                    ""
                                }
                                other => panic!("unknown ip command {other:?}: {line}"),
                            },
                            "zone" => {
                                assert_eq!(words[1], "security", "{line}");
                                assert!(words.len() == 3 || words.len() == 7, "{line}");
                                if words.len() == 7 {
                                    assert_eq!(words[3], "source", "{line}");
                                    assert_eq!(words[5], "destination", "{line}");
                                    "zone-pair"
                                } else {
                                    ""
                                }
                            }
                            "zone-pair" => {
                                assert_eq!(words.len(), 7, "{line}");
                                assert_eq!(words[1], "security", "{line}");
                                assert_eq!(words[3], "source", "{line}");
                                assert_eq!(words[5], "destination", "{line}");
                                "zone-pair"
                            }
                            "interface" => "interface",
                            "parameter-map" => {
                                assert_eq!(&words[1..3], ["type", "inspect"], "{line}");
                                "parameter-map"
                            }
                            "class-map" => {
                                assert_eq!(&words[1..4], ["type", "inspect", "match-any"]);
                                "class-map"
                            }
                            "policy-map" => {
                                assert_eq!(&words[1..3], ["type", "inspect"], "{line}");
                                "policy-map"
                            }
                            "end" => "",
                            other => {
                                panic!("{}: unknown command {other:?} in {line:?}", builtin.id)
                            }
                        };
                    }
                    1 => {
                        let ok = match mode {
                            "acl" => {
                                ["remark", "permit", "deny"].contains(&words[0])
                                    && (words[0] == "remark"
                                        || words[1] == "any"
                                        || ["udp", "tcp"].contains(&words[1]))
                            }
                            "interface" => {
                                line.starts_with("zone-member security ")
                                    || line == "ip nat inside"
                                    || line == "ip nat outside"
                            }
                            "parameter-map" => line.starts_with("udp idle-time "),
                            "class-map" => {
                                line.starts_with("match access-group name sipwall-")
                                    || [
                                        "match protocol tcp",
                                        "match protocol udp",
                                        "match protocol icmp",
                                    ]
                                    .contains(&line)
                            }
                            "policy-map" => {
                                line == "class class-default"
                                    || (line.starts_with("class type inspect ") && words.len() == 4)
                            }
                            "zone-pair" => line.starts_with("service-policy type inspect "),
                            _ => false,
                        };
                        assert!(ok, "{}: {line:?} under {mode:?}", builtin.id);
                    }
                    2 => {
                        assert_eq!(mode, "policy-map", "{line}");
                        assert!(
                            ["inspect", "inspect sipwall-voip", "drop"].contains(&line),
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
fn ios_alg_off_iff_the_profile_wants_it_and_nothing_enables_sip_inspection() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = ios(builtin.id, true);
        let lines: Vec<&str> = commands(&text).collect();
        let off = policy.algs.iter().any(|a| !a.enabled);
        for knob in [
            "no ip nat service sip udp port 5060",
            "no ip nat service sip tcp port 5060",
        ] {
            assert_eq!(lines.contains(&knob), off, "{}: {knob}", builtin.id);
        }
        for line in &lines {
            assert!(
                !line.starts_with("ip nat service"),
                "{}: {line}",
                builtin.id
            );
            assert!(!line.contains("protocol sip"), "{}: {line}", builtin.id);
            assert!(!line.starts_with("ip inspect"), "{}: {line}", builtin.id);
        }
    }
}

#[test]
fn ios_every_required_flow_port_appears() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = ios(builtin.id, false);
        for rule in policy.rules.iter().filter(|r| r.required) {
            let acl = match rule.direction {
                Direction::Outbound => "sipwall-out",
                Direction::Inbound => "sipwall-in",
            };
            // The ACL block of that name (entries are indented one space).
            let block: Vec<&str> = text
                .split(&format!("ip access-list extended {acl}\n"))
                .nth(1)
                .map(|rest| rest.lines().take_while(|l| l.starts_with(' ')).collect())
                .unwrap_or_default();
            let instructions: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("! {acl}: ")))
                .collect();
            assert!(
                block
                    .iter()
                    .any(|l| l.trim() == format!("remark sipwall {}", rule.name))
                    || !instructions.is_empty(),
                "{}: {} not in {acl}",
                builtin.id,
                rule.name
            );
            let Ports::Set(ranges) = &rule.destination_ports else {
                continue;
            };
            for range in ranges {
                let shape = if range.first == range.last {
                    format!("eq {}", range.first)
                } else {
                    format!("range {} {}", range.first, range.last)
                };
                let found = block
                    .iter()
                    .chain(&instructions)
                    .any(|l| l.contains(&format!(" {} ", rule.protocol)) && l.ends_with(&shape));
                assert!(found, "{}: {} {shape} missing", builtin.id, rule.name);
            }
        }
        let lines: Vec<&str> = commands(&text).collect();
        for acl in ["sipwall-out", "sipwall-in"] {
            if lines.contains(&format!("ip access-list extended {acl}").as_str()) {
                assert!(
                    lines.contains(&format!("match access-group name {acl}").as_str()),
                    "{}: {acl} not matched by a class",
                    builtin.id
                );
            }
        }
        assert!(lines.contains(&"zone-member security sipwall-lan"));
        assert!(lines.contains(&"zone-member security sipwall-wan"));
        assert!(lines.contains(&"service-policy type inspect sipwall-wan-to-lan"));
        assert!(lines.contains(&"service-policy type inspect sipwall-lan-to-wan"));
    }
}

#[test]
fn ios_nat_and_forwards() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = ios(builtin.id, false);
        let lines: Vec<&str> = commands(&text).collect();
        if policy.nat.source_nat.is_some() {
            assert!(
                lines.contains(&"ip nat inside source list sipwall-nat interface wan0 overload"),
                "{}",
                builtin.id
            );
            assert!(lines.contains(&"ip nat inside") && lines.contains(&"ip nat outside"));
        }
        for forward in &policy.nat.port_forwards {
            let Some(protocol) = forward.protocol else {
                continue;
            };
            for range in forward.ports.ranges() {
                if range.first == range.last {
                    let nat = format!(
                        "ip nat inside source static {protocol} {} {1} interface wan0 {1}",
                        forward.to, range.first
                    );
                    assert!(lines.contains(&nat.as_str()), "{}: {nat}", builtin.id);
                } else {
                    assert!(
                        text.contains(&format!(
                            "{} {protocol}/{range} is a port range",
                            forward.name
                        )),
                        "{}: {}",
                        builtin.id,
                        forward.name
                    );
                }
            }
        }
        if policy.nat.port_forwards.is_empty() {
            assert!(!text.contains("source static"), "{}", builtin.id);
        }
    }
}

#[test]
fn ios_timeouts_and_limitations() {
    let algar = render(
        &builtin_filled("algar-cloudphone-pro"),
        Vendor::CiscoIos,
        &Options::default(),
        false,
    )
    .unwrap();
    // 300 s asked: the IOS NAT default covers it; the ZBF idle time is raised.
    assert!(!algar.text.contains("\nip nat translation udp-timeout"));
    assert!(
        algar
            .text
            .contains("\nparameter-map type inspect sipwall-voip\n udp idle-time 300\n")
    );
    let topics: Vec<&str> = algar.limitations.iter().map(|l| l.topic.as_str()).collect();
    for topic in ["interfaces", "zone-based-firewall", "nat-acl", "fqdn"] {
        assert!(topics.contains(&topic), "{topics:?}");
        assert!(algar.text.contains(&format!("! - {topic}:")), "{topic}");
    }
}

#[test]
fn ios_version_selection() {
    for version in ["15.2(4)M", "IOS 15.9", "IOS-XE 17.9.4a", "16.12", "17"] {
        assert_eq!(
            Vendor::select("cisco-ios", Some(version)).unwrap(),
            Vendor::CiscoIos,
            "{version}"
        );
    }
    let err = Vendor::select("cisco-ios", Some("12.4")).unwrap_err();
    assert!(matches!(err, Error::UnknownVersion { .. }), "{err:?}");
    assert_eq!(Vendor::select("cisco-asa", None).unwrap(), Vendor::CiscoAsa);
}

fn sonicwall(id: &str, explain: bool) -> String {
    render(
        &builtin_filled(id),
        Vendor::Sonicwall,
        &Options::default(),
        explain,
    )
    .unwrap()
    .text
}

#[test]
fn sonicwall_every_builtin_matches_its_snapshot() {
    for builtin in BUILTINS {
        snapshot(
            "sonicwall",
            &format!("{}.sonicwall.txt", builtin.id),
            &sonicwall(builtin.id, false),
        );
    }
    snapshot(
        "sonicwall",
        "algar-cloudphone-pro.explain.sonicwall.txt",
        &sonicwall("algar-cloudphone-pro", true),
    );
}

/// Every line is a `#` comment; steps are numbered 1, 2, 3, … in order.
#[test]
fn sonicwall_is_numbered_gui_steps_only() {
    for builtin in BUILTINS {
        for explain in [false, true] {
            let text = sonicwall(builtin.id, explain);
            let mut next = 1;
            for line in text.lines() {
                assert!(line.starts_with('#'), "{}: {line:?}", builtin.id);
                let body = line.trim_start_matches('#');
                if let Some((number, _)) = body.strip_prefix(' ').and_then(|b| b.split_once(". "))
                    && number.chars().all(|c| c.is_ascii_digit())
                    && !number.is_empty()
                {
                    assert_eq!(number, next.to_string(), "{}: {line}", builtin.id);
                    next += 1;
                }
            }
            assert!(next > 3, "{}: too few steps", builtin.id);
        }
    }
}

#[test]
fn sonicwall_voip_knobs_iff_the_profile_wants_them() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = sonicwall(builtin.id, true);
        let off = policy.algs.iter().any(|a| !a.enabled);
        assert_eq!(
            text.contains("clear \"Enable SIP Transformations\""),
            off,
            "{}",
            builtin.id
        );
        assert_eq!(
            text.contains("select \"Enable Consistent NAT\""),
            policy.nat.source_nat.is_some(),
            "{}",
            builtin.id
        );
        assert!(!text.contains("select \"Enable SIP Transformations\""));
        assert!(
            !text
                .to_lowercase()
                .contains("enable sip transformation on tcp")
        );
    }
}

#[test]
fn sonicwall_every_required_flow_and_forward_appears() {
    for builtin in BUILTINS {
        let policy = policy(builtin.id);
        let text = sonicwall(builtin.id, false);
        let flat = text.replace("\n#      ", " ");
        for rule in policy.rules.iter().filter(|r| r.required) {
            let (from, to) = match rule.direction {
                Direction::Outbound => ("LAN", "WAN"),
                Direction::Inbound => ("WAN", "LAN"),
            };
            let item = flat
                .lines()
                .find(|l| l.starts_with(&format!("#    - sipwall-{}:", rule.name)))
                .unwrap_or_else(|| panic!("{}: no rule {}", builtin.id, rule.name));
            assert!(item.contains(&format!("from {from} to {to}")), "{item}");
            if let Ports::Set(ranges) = &rule.destination_ports {
                for range in ranges {
                    let service = format!("sipwall-{}-{range}", rule.protocol);
                    assert!(item.contains(&service), "{item}: {service}");
                    assert!(
                        flat.contains(&format!(
                            "#    - {service}: {}, ports {}-{}",
                            rule.protocol.name().to_uppercase(),
                            range.first,
                            range.last
                        )),
                        "{}: service {service} not defined",
                        builtin.id
                    );
                }
            }
        }
        for forward in &policy.nat.port_forwards {
            let Some(protocol) = forward.protocol else {
                continue;
            };
            for range in forward.ports.ranges() {
                assert!(
                    flat.contains(&format!(
                        "#    - sipwall-fwd-{}: wan0 to sipwall-{}, service sipwall-{protocol}-{range}",
                        forward.name, forward.to
                    )),
                    "{}: forward {}",
                    builtin.id,
                    forward.name
                );
            }
        }
        if policy.nat.source_nat.is_some() {
            assert!(flat.contains("Outbound NAT (POLICY | Rules and Policies > NAT Rules)"));
        }
    }
}

#[test]
fn sonicwall_timeouts_and_version_selection() {
    let premise = sonicwall("fonality-pbxtra-premise", false).replace("\n#      ", " ");
    assert!(premise.contains("UDP connection inactivity timeout 90 s"));
    let algar = sonicwall("algar-cloudphone-pro", false);
    assert!(algar.contains("\"Default UDP Connection Timeout\": set it to at least 300 s"));
    for version in ["7", "7.0.1", "SonicOS 7.1", "SonicOS/X 7"] {
        assert_eq!(
            Vendor::select("sonicwall", Some(version)).unwrap(),
            Vendor::Sonicwall,
            "{version}"
        );
    }
    assert!(Vendor::select("sonicwall", Some("6.5")).is_err());
}
