//! The round trip across every dialect that has a parser, in one table: for every built-in
//! profile, `sipwall rules` renders it, the auditor detects the format, reads every line, and
//! finds nothing — except what the rendering itself says it cannot express (a stated
//! limitation) or a vendor default below RFC 4787 that the profile does not ask to change.
//! The per-vendor test files prove the facts and the mutations; this one keeps the whole
//! matrix honest in one place and prints it.

mod common;

use sipwall_audit::{Format, Hints};
use sipwall_firewall::{Options, Vendor};

/// Each dialect with a parser, its export format and the interface or zone names its own
/// tests render with.
fn dialects() -> Vec<(Vendor, Format, Options)> {
    let named = |wan: &str, lan: &str| Options {
        wan: wan.into(),
        lan: lan.into(),
        ..Options::default()
    };
    vec![
        (Vendor::Nftables, Format::Nftables, Options::default()),
        (Vendor::Iptables, Format::Iptables, Options::default()),
        (Vendor::Openwrt, Format::Openwrt, named("wan", "lan")),
        (Vendor::Fortigate60, Format::Fortigate, Options::default()),
        (Vendor::Fortigate62, Format::Fortigate, Options::default()),
        (
            Vendor::CiscoAsa,
            Format::CiscoAsa,
            named("outside", "inside"),
        ),
        (
            Vendor::MikrotikV6,
            Format::Mikrotik,
            named("ether1", "bridge"),
        ),
        (
            Vendor::MikrotikV7,
            Format::Mikrotik,
            named("ether1", "bridge"),
        ),
        (Vendor::Vyos13, Format::Vyos, named("eth0", "eth1")),
        (Vendor::Vyos14, Format::Vyos, named("eth0", "eth1")),
        (Vendor::Edgeos, Format::Vyos, named("eth0", "eth1")),
        (Vendor::JuniperSrx, Format::Junos, named("untrust", "trust")),
        (Vendor::Panos, Format::Panos, named("untrust", "trust")),
        (Vendor::Pfsense, Format::Pfsense, named("wan", "lan")),
    ]
}

/// The finding ids a rendering may keep, from what it says it cannot do.
fn allowed(vendor: Vendor, profile: &str, options: &Options) -> Vec<&'static str> {
    let policy = common::policy(profile, options);
    let rendering = vendor.render(&policy, false);
    let said = |topics: &[&str]| {
        rendering
            .limitations
            .iter()
            .any(|l| topics.contains(&l.topic.as_str()))
    };
    let mut ids = Vec::new();
    if said(&[
        "port-preservation",
        "source-nat",
        "nat-mapping",
        "endpoint-independent-mapping",
    ]) {
        ids.push("NAT-001");
    }
    if said(&[
        "port-range-forward",
        "forwards-not-rendered",
        "inbound-without-forward",
        "forward-destination-address",
        "fqdn",
        "fqdn-dns",
    ]) {
        ids.push("ACL-001");
    }
    if said(&["session-helper"]) {
        ids.push("ALG-001");
    }
    // The drops for the router itself are left for the user to attach (VyOS 1.3, EdgeOS).
    if said(&["router-input"]) {
        ids.push("ACL-003");
    }
    if policy.timeouts.is_empty() {
        ids.push("TMO-002");
    }
    ids
}

#[test]
fn every_rendering_audits_clean_but_for_its_stated_limitations() {
    let mut failures = Vec::new();
    let mut table = String::new();
    for (vendor, format, options) in dialects() {
        let hints = Hints {
            wan: vec![options.wan.clone()],
            lan: vec![options.lan.clone()],
        };
        for profile in common::profile_ids() {
            let text = common::render(vendor, profile, &options);
            if Format::detect(&text) != Ok(format) {
                failures.push(format!(
                    "{vendor} {profile}: detected {:?}",
                    Format::detect(&text)
                ));
            }
            let parsed = common::parse(format, &text, &hints);
            let unknown: Vec<u32> = parsed.coverage.unknown_lines().collect();
            if !unknown.is_empty() {
                failures.push(format!("{vendor} {profile}: unknown lines {unknown:?}"));
            }
            let ids = common::audit_ids(format, &text, &hints, profile, &options);
            let allowed = allowed(vendor, profile, &options);
            let unexpected: Vec<&&str> = ids.iter().filter(|id| !allowed.contains(id)).collect();
            if !unexpected.is_empty() {
                failures.push(format!("{vendor} {profile}: {unexpected:?} (all: {ids:?})"));
            }
            table.push_str(&format!("{:<14} {:<26} {ids:?}\n", vendor.id(), profile));
        }
    }
    eprintln!("{table}");
    assert!(failures.is_empty(), "{failures:#?}");
}
