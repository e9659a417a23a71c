//! nftables rendering of every built-in profile: golden files, the real `nft -c` validator, and
//! the properties every rendering must have.
//!
//! Golden files live in `tests/snapshots/`; after a deliberate change, regenerate them with
//! `UPDATE_SNAPSHOTS=1 cargo test -p sipwall-firewall --test nftables` and review the diff.

mod common;

use std::path::PathBuf;

use common::{builtin_filled, nft_check};
use sipwall_firewall::model::{Action, Address, Direction, Protocol};
use sipwall_firewall::{Error, Options, Policy, Vendor, render};
use sipwall_profile::builtin::BUILTINS;

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
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

#[test]
fn every_builtin_matches_its_snapshot() {
    for builtin in BUILTINS {
        let profile = builtin_filled(builtin.id);
        let plain = render(&profile, Vendor::Nftables, &Options::default(), false).unwrap();
        snapshot(&format!("{}.nft", builtin.id), &plain.text);
    }
    let premise = builtin_filled("fonality-pbxtra-premise");
    let explained = render(&premise, Vendor::Nftables, &Options::default(), true).unwrap();
    snapshot("fonality-pbxtra-premise.explain.nft", &explained.text);
}

#[test]
fn nft_accepts_every_builtin_rendering() {
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
            let rendering = render(&profile, Vendor::Nftables, options, explain).unwrap();
            if let Err(err) = nft_check(&rendering.text) {
                panic!("{} (explain={explain}): {err}", builtin.id);
            }
        }
    }
}

#[test]
fn no_rendering_attaches_a_helper_or_randomises_ports() {
    for builtin in BUILTINS {
        let profile = builtin_filled(builtin.id);
        let text = render(&profile, Vendor::Nftables, &Options::default(), true)
            .unwrap()
            .text;
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            assert!(!line.contains("ct helper"), "{}: {line}", builtin.id);
            assert!(!line.contains("random"), "{}: {line}", builtin.id);
            assert!(!line.contains("notrack"), "{}: {line}", builtin.id);
        }
        assert!(text.contains("masquerade"), "{}", builtin.id);
    }
}

#[test]
fn a_missing_parameter_is_named() {
    let profile = sipwall_profile::builtin::find("fonality-pbxtra-premise")
        .unwrap()
        .load()
        .profile;
    let err = render(&profile, Vendor::Nftables, &Options::default(), false).unwrap_err();
    assert!(matches!(err, Error::Parameters(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("`pbx_address`"), "{message}");
    assert!(message.contains("`sip_trusted_sources`"), "{message}");
    assert!(
        message.contains("--set pbx_address=192.168.1.10"),
        "{message}"
    );
}

#[test]
fn a_forward_target_must_be_one_address() {
    let profile = sipwall_profile::builtin::find("fonality-pbxtra-premise")
        .unwrap()
        .load()
        .profile;
    let values = [
        ("pbx_address".to_string(), "pbx.example.net".to_string()),
        (
            "sip_trusted_sources".to_string(),
            "203.0.113.0/24".to_string(),
        ),
    ]
    .into_iter()
    .collect();
    let profile = sipwall_profile::resolve(&profile, &values)
        .unwrap()
        .require_complete()
        .unwrap();
    let err = Policy::from_profile(&profile, &Options::default()).unwrap_err();
    assert!(
        matches!(&err, Error::ForwardTarget { target, .. } if target == "pbx.example.net"),
        "{err:?}"
    );
}

#[test]
fn bad_interface_names_and_vendors_are_refused_with_the_valid_choices() {
    let profile = builtin_filled("rfc-baseline");
    let options = Options {
        wan: "wan0\" accept".into(),
        ..Options::default()
    };
    let err = Policy::from_profile(&profile, &options).unwrap_err();
    assert!(
        matches!(err, Error::BadInterface { option: "wan", .. }),
        "{err:?}"
    );
    let err = "checkpoint".parse::<Vendor>().unwrap_err().to_string();
    assert!(
        err.starts_with("unknown vendor `checkpoint`; valid vendors: nftables"),
        "{err}"
    );
    assert_eq!("NFTables".parse::<Vendor>().unwrap(), Vendor::Nftables);
}

#[test]
fn the_sip_whitelist_narrows_the_inbound_sip_forward() {
    let profile = builtin_filled("fonality-pbxtra-premise");
    let policy = Policy::from_profile(&profile, &Options::default()).unwrap();
    let sip_udp: Vec<_> = policy
        .rules
        .iter()
        .filter(|r| r.name.starts_with("sip-inbound-in-udp"))
        .collect();
    assert_eq!(sip_udp.len(), 1, "{sip_udp:#?}");
    assert_eq!(
        sip_udp[0].source,
        vec![Address::Net("203.0.113.0/24".parse().unwrap())]
    );
    assert_eq!(sip_udp[0].direction, Direction::Inbound);
    let requirements: Vec<&str> = sip_udp[0]
        .origins
        .iter()
        .map(|o| o.requirement.as_str())
        .collect();
    assert_eq!(
        requirements,
        ["flows[sip-inbound]", "security.sip_source_whitelist"]
    );
    // TCP 5060 is not in the whitelist (the seed names UDP only): it stays open to any source.
    let sip_tcp = policy
        .rules
        .iter()
        .find(|r| r.name == "sip-inbound-in-tcp")
        .unwrap();
    assert!(sip_tcp.source.is_empty());
    assert_eq!(sip_tcp.protocol, Protocol::Tcp);
    assert_eq!(policy.nat.port_forwards.len(), 10);
    assert!(policy.nat.port_forwards.iter().all(|f| !f.is_dmz_host()));
}

#[test]
fn every_item_cites_its_requirement_and_the_model_round_trips_through_json() {
    for builtin in BUILTINS {
        let profile = builtin_filled(builtin.id);
        let policy = Policy::from_profile(&profile, &Options::default()).unwrap();
        for rule in &policy.rules {
            assert!(!rule.origins.is_empty(), "{}: {}", builtin.id, rule.name);
            assert!(
                rule.origins.iter().all(|o| !o.sources.is_empty()),
                "{}: {}",
                builtin.id,
                rule.name
            );
        }
        for alg in &policy.algs {
            assert!(!alg.enabled && !alg.origins.is_empty());
        }
        let json = serde_json::to_string(&policy).unwrap();
        let back: Policy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, policy, "{}", builtin.id);
    }
}

#[test]
fn limitations_are_stated_in_the_text() {
    let profile = builtin_filled("algar-cloudphone-pro");
    let rendering = render(&profile, Vendor::Nftables, &Options::default(), false).unwrap();
    let topics: Vec<&str> = rendering
        .limitations
        .iter()
        .map(|l| l.topic.as_str())
        .collect();
    for topic in ["fqdn", "endpoint-independent-mapping", "session-ttl"] {
        assert!(topics.contains(&topic), "{topics:?}");
        assert!(rendering.text.contains(&format!("# - {topic}:")), "{topic}");
    }
}

#[test]
fn the_validator_rejects_a_broken_ruleset() {
    // Positive control for nft_check: a jump to a missing chain is a kernel-side error.
    let broken = "table inet t {\n\tchain c {\n\t\ttype filter hook forward priority filter;\n\t\tjump nowhere\n\t}\n}\n";
    assert!(nft_check(broken).is_err());
    assert!(nft_check("table inet t {\n\tchain c {\n\t}\n}\n").is_ok());
}
