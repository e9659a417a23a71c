//! iptables + ip6tables rendering of every built-in profile: golden files, the real validators
//! (`iptables-restore --test` with the nft AND the legacy backend, ip6tables likewise, inside
//! `unshare -rn`), and the properties every rendering must have.
//!
//! Golden files live in `tests/snapshots/iptables/`; after a deliberate change, regenerate them
//! with `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall --test iptables` and review the diff.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::builtin_filled;
use sipwall_firewall::model::Action;
use sipwall_firewall::vendors::iptables::{V4_FILE, V6_FILE, sections};
use sipwall_firewall::{Options, Vendor, render};
use sipwall_profile::builtin::BUILTINS;

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/iptables")
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
            "{name} differs from the snapshot from line {}:\n  expected: {:?}\n  actual:   {:?}\n\
             (UPDATE_SNAPSHOTS=1 to accept)",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// The restore programs that must accept a part: both backends, because the nft one misses
/// undefined targets (research/anchors-firewall.md §7).
fn validators(file: &str) -> [&'static str; 2] {
    if file == V4_FILE {
        ["iptables-restore", "iptables-legacy-restore"]
    } else {
        ["ip6tables-restore", "ip6tables-legacy-restore"]
    }
}

/// Runs `unshare -rn PROGRAM --test FILE`. Fails (never skips) when a tool is missing.
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
        return Ok(());
    }
    let numbered: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| format!("{:4} {line}\n", i + 1))
        .collect();
    Err(format!(
        "{program} --test rejected it ({}; exit 127 or `not found` means the tool is missing: \
         scripts/install-deps installs iptables):\n{}\n--- file ---\n{numbered}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// Both parts of a rendering through both backends each.
fn check_all(text: &str) -> Result<(), String> {
    let parts = sections(text).ok_or("the rendering lacks a BEGIN/END pair")?;
    assert_eq!(
        parts.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        [V4_FILE, V6_FILE]
    );
    for (file, part) in &parts {
        for program in validators(file) {
            restore_test(program, part).map_err(|e| format!("{file}: {e}"))?;
        }
    }
    Ok(())
}

#[test]
fn every_builtin_matches_its_snapshot() {
    for builtin in BUILTINS {
        let profile = builtin_filled(builtin.id);
        let plain = render(&profile, Vendor::Iptables, &Options::default(), false).unwrap();
        snapshot(&format!("{}.rules", builtin.id), &plain.text);
    }
    let premise = builtin_filled("fonality-pbxtra-premise");
    let explained = render(&premise, Vendor::Iptables, &Options::default(), true).unwrap();
    snapshot("fonality-pbxtra-premise.explain.rules", &explained.text);
}

#[test]
fn both_backends_accept_every_builtin_rendering_v4_and_v6() {
    let lan = Options {
        lan_prefixes: vec![
            "192.168.1.0/24".parse().unwrap(),
            "fd00::/64".parse().unwrap(),
        ],
        forward_default: Action::Accept,
        ..Options::default()
    };
    for builtin in BUILTINS {
        let profile = builtin_filled(builtin.id);
        for (options, explain) in [(&Options::default(), false), (&lan, true)] {
            let rendering = render(&profile, Vendor::Iptables, options, explain).unwrap();
            if let Err(err) = check_all(&rendering.text) {
                panic!("{} (explain={explain}): {err}", builtin.id);
            }
        }
    }
}

#[test]
fn the_validators_reject_what_they_must() {
    // Positive controls: an undefined target passes the nft backend's --test but not the
    // legacy one (the reason both run); an IPv6 address is no IPv4 rule; a good file passes.
    let good =
        "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -p udp -m udp --dport 5060 -j ACCEPT\nCOMMIT\n";
    for program in validators(V4_FILE) {
        restore_test(program, good).unwrap();
    }
    let undefined = "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -j NOSUCHCHAIN\nCOMMIT\n";
    assert!(restore_test("iptables-legacy-restore", undefined).is_err());
    let v6_in_v4 = "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -s fd00::1 -j ACCEPT\nCOMMIT\n";
    assert!(restore_test("iptables-restore", v6_in_v4).is_err());
}

#[test]
fn no_rendering_attaches_a_helper_randomises_ports_or_names_a_timeout_policy() {
    for builtin in BUILTINS {
        let profile = builtin_filled(builtin.id);
        let text = render(&profile, Vendor::Iptables, &Options::default(), true)
            .unwrap()
            .text;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(!line.contains("--helper"), "{}: {line}", builtin.id);
            assert!(!line.contains("-j CT"), "{}: {line}", builtin.id);
            assert!(!line.contains("random"), "{}: {line}", builtin.id);
            assert!(!line.contains("NOTRACK"), "{}: {line}", builtin.id);
        }
        let parts = sections(&text).unwrap();
        for (file, part) in &parts {
            assert!(
                part.contains("-j MASQUERADE"),
                "{}: {file} has no masquerade",
                builtin.id
            );
            // The raw table is declared empty, so loading removes older helper rules.
            assert!(
                part.contains("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"),
                "{}: {file}",
                builtin.id
            );
        }
    }
}

#[test]
fn families_stay_in_their_file() {
    let lan = Options {
        lan_prefixes: vec![
            "192.168.1.0/24".parse().unwrap(),
            "fd00::/64".parse().unwrap(),
        ],
        ..Options::default()
    };
    let profile = builtin_filled("algar-cloudphone-pro");
    let text = render(&profile, Vendor::Iptables, &lan, false)
        .unwrap()
        .text;
    let parts = sections(&text).unwrap();
    let (v4, v6) = (&parts[0].1, &parts[1].1);
    assert!(v4.contains("-s 192.168.1.0/24") && !v4.contains("fd00::"));
    assert!(v6.contains("-s fd00::/64") && !v6.contains("192.168.1.0/24"));
    // IPv4-only provider addresses: no IPv6 rule towards them.
    assert!(v4.contains("-d 187.72.201.43") && !v6.contains("187.72.201.43"));
}

#[test]
fn limitations_are_stated_in_the_text_with_the_sysctls() {
    let profile = builtin_filled("fonality-pbxtra-premise");
    let rendering = render(&profile, Vendor::Iptables, &Options::default(), false).unwrap();
    let topics: Vec<&str> = rendering
        .limitations
        .iter()
        .map(|l| l.topic.as_str())
        .collect();
    for topic in ["timeouts-global", "brute-force"] {
        assert!(topics.contains(&topic), "{topics:?}");
        assert!(rendering.text.contains(&format!("# - {topic}:")), "{topic}");
    }
    assert!(
        rendering
            .text
            .contains("#   sysctl -w net.netfilter.nf_conntrack_udp_timeout_stream=90\n")
    );
    let cloudli = builtin_filled("cloudli");
    let rendering = render(&cloudli, Vendor::Iptables, &Options::default(), false).unwrap();
    assert!(rendering.limitations.iter().any(|l| l.topic == "fqdn"));
    assert!(rendering.text.contains(":SW-FQDN1-"));
}

#[test]
fn the_vendor_is_selectable_by_name() {
    assert_eq!("iptables".parse::<Vendor>().unwrap(), Vendor::Iptables);
    assert_eq!("IPTables".parse::<Vendor>().unwrap(), Vendor::Iptables);
    assert!(Vendor::Iptables.matches_version("1.8.9"));
    assert!(!Vendor::Iptables.capabilities().is_empty());
}
