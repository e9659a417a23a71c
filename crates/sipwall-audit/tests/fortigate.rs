//! FortiGate / FortiOS parser: fixtures written for these tests (`tests/fixtures/fortigate/`),
//! the third-party `fortios` corpus read in place, round trips of `sipwall rules --vendor
//! fortigate-6.0|6.2` (with and without a VDOM), robustness against garbage, truncation and
//! other vendors' renderings, and the audit of renderings and of their weakened variants.

mod common;

use proptest::prelude::*;
use sipwall_audit::device::{AlgState, Certainty, Device, FilterRule, Path};
use sipwall_audit::{Format, Hints, LineClass, Parsed, Source};
use sipwall_firewall::model::{Action, Address, Direction, Ports, Protocol, TimeoutScope};
use sipwall_firewall::{Options, Policy, Vendor};

const DIALECTS: [Vendor; 2] = [Vendor::Fortigate60, Vendor::Fortigate62];

fn fixture(name: &str) -> (Source, Parsed) {
    let (source, parsed) = common::read(
        Format::Fortigate,
        name,
        &common::fixture_text("fortigate", name),
    );
    common::read_share(name, &parsed);
    (source, parsed)
}

fn parse_text(text: &str, hints: &Hints) -> (Source, Parsed) {
    common::read_with(Format::Fortigate, "inline", text, hints)
}

/// The text of every span of a fact's evidence.
fn texts<'s>(source: &'s Source, evidence: &sipwall_audit::device::Evidence) -> Vec<&'s str> {
    evidence.spans.iter().map(|s| source.text_of(*s)).collect()
}

fn is_default(certainty: &Certainty) -> bool {
    matches!(certainty, Certainty::DefaultInferred { .. })
}

fn enabled_on_5060(device: &Device) -> Vec<&AlgState> {
    device
        .sip_alg
        .iter()
        .filter(|a| a.enabled)
        .filter(|a| {
            a.scope.is_empty()
                || a.scope
                    .iter()
                    .any(|(_, p)| p.intersect(&Ports::single(5060)).is_some())
        })
        .collect()
}

/// The effective UDP timeout of a port: the last port-scoped one containing it, else the last
/// global one (the engine's rule).
fn effective_udp(device: &Device, port: u16) -> Option<u32> {
    let wanted = Ports::single(port);
    device
        .udp_timeouts
        .iter()
        .rev()
        .find(|t| matches!(&t.scope, TimeoutScope::Ports(p) if p.intersect(&wanted).is_some()))
        .or_else(|| {
            device
                .udp_timeouts
                .iter()
                .rev()
                .find(|t| t.scope == TimeoutScope::Global)
        })
        .and_then(|t| t.replied_seconds)
}

fn classes(parsed: &Parsed, source: &Source, needle: &str) -> Vec<LineClass> {
    source
        .lines()
        .filter(|(_, line)| line.contains(needle))
        .filter_map(|(n, _)| parsed.coverage.class(n))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

#[test]
fn backup_without_voip_mode_has_the_alg_on_by_default() {
    let (source, parsed) = fixture("fgt60f-7.2-backup-alg-default.conf");
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::Fortigate62));
    let version = device.version.as_ref().unwrap();
    assert_eq!(version.version, "7.2.5");
    assert_eq!(source.text_of(version.span), "7.2.5");
    // proxy-based mode by default: one ALG state, on, inferred, pointing at the settings block.
    assert_eq!(device.sip_alg.len(), 1, "{:#?}", device.sip_alg);
    let alg = &device.sip_alg[0];
    assert!(alg.enabled);
    assert!(is_default(&alg.evidence.certainty));
    assert_eq!(texts(&source, &alg.evidence), ["config system settings"]);
    assert!(alg.scope.contains(&(Protocol::Udp, Ports::single(5060))));
    // The SIP helper entry is there, but proxy mode supersedes it: no helper state.
    assert!(
        !device
            .sip_alg
            .iter()
            .any(|a| a.mechanism.contains("session helper"))
    );
    // Default UDP timeout 180 s.
    assert_eq!(effective_udp(device, 5060), Some(180));
    assert!(is_default(&device.udp_timeouts[0].evidence.certainty));
    // NAT without fixedport: ports randomised, inferred from the `set nat enable` line.
    let sip_nat = device
        .source_nat
        .iter()
        .find(|n| n.protocol == Some(Protocol::Udp))
        .unwrap();
    assert_eq!(sip_nat.port_preservation, Some(false));
    assert!(is_default(&sip_nat.evidence.certainty));
    assert_eq!(texts(&source, &sip_nat.evidence), ["set nat enable"]);
    assert_eq!(sip_nat.ports.to_string(), "5060,10000-20000");
    // The outbound VoIP policy to the provider's FQDN.
    let out: Vec<&FilterRule> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound)
        .collect();
    assert_eq!(
        out[0].destination,
        [Address::Fqdn("sip.carrier.example".into())]
    );
    assert_eq!(
        out[0].source,
        [Address::Net("192.168.10.0/24".parse().unwrap())]
    );
    assert!(texts(&source, &out[0].evidence).contains(&"set service \"SIP\" \"RTP-carrier\""));
    // HTTPS administration on the WAN, on the changed admin-sport.
    let admin: Vec<&FilterRule> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice)
        .collect();
    assert_eq!(admin[0].destination_ports, Ports::single(8443));
    assert_eq!(source.text_of(admin[0].evidence.spans[0]), "https");
    // Multi-line certificate and replacement-message values are read and ignored.
    assert_eq!(parsed.coverage.summary().unknown, 0);
    assert_eq!(
        classes(&parsed, &source, "cGFyc2luZy1vZi1tdWx0aS1saW5l"),
        [LineClass::Ignored]
    );
    assert_eq!(
        classes(&parsed, &source, "Activity is logged"),
        [LineClass::Ignored]
    );
}

#[test]
fn six_zero_export_with_a_voip_profile_on_its_policies() {
    let (source, parsed) = fixture("fgt100e-6.0-helper-voip-profile.conf");
    let device = &parsed.device;
    assert_eq!(device.vendor, Some(Vendor::Fortigate60));
    // Both policies carry the VoIP profile `pbx-trunk`: the ALG inspects their SIP.
    let by_profile: Vec<&AlgState> = device
        .sip_alg
        .iter()
        .filter(|a| a.mechanism.contains("voip-profile"))
        .collect();
    assert_eq!(by_profile.len(), 2);
    for alg in &by_profile {
        assert!(alg.enabled);
        assert_eq!(
            texts(&source, &alg.evidence),
            ["set voip-profile \"pbx-trunk\""]
        );
        // The profile's `config sip` has no `set status`: SIP inspection is on by default.
        assert!(is_default(&alg.evidence.certainty));
        assert!(alg.scope.contains(&(Protocol::Udp, Ports::single(5060))));
    }
    // Policies without a profile would use the `default` profile (proxy mode by default).
    assert!(device.sip_alg.iter().any(|a| a.enabled
        && a.mechanism.contains("proxy-based")
        && is_default(&a.evidence.certainty)));
    // The session-ttl port entry for 5060 (600 s) and the 180 s default elsewhere.
    assert_eq!(effective_udp(device, 5060), Some(600));
    assert_eq!(effective_udp(device, 16384), Some(180));
    let port_ttl = device
        .udp_timeouts
        .iter()
        .find(|t| t.replied_seconds == Some(600))
        .unwrap();
    assert!(texts(&source, &port_ttl.evidence).contains(&"set timeout 600"));
    // fixedport enable keeps ports.
    assert!(
        device
            .source_nat
            .iter()
            .all(|n| n.port_preservation == Some(true))
    );
    // The VIP forwards udp/5060 to the PBX; the inbound policy allows it from the carrier only.
    assert_eq!(device.forwards.len(), 1);
    let forward = &device.forwards[0];
    assert_eq!(forward.protocol, Some(Protocol::Udp));
    assert_eq!(forward.outside_ports, Ports::single(5060));
    assert_eq!(forward.to, Some("192.168.1.20".parse().unwrap()));
    assert!(texts(&source, &forward.evidence).contains(&"set mappedip \"192.168.1.20\""));
    let inbound = device
        .filters
        .iter()
        .find(|f| f.path == Path::Inbound && f.protocol == Some(Protocol::Udp))
        .unwrap();
    assert_eq!(
        inbound.source,
        [Address::Net("198.51.100.0/28".parse().unwrap())]
    );
    assert_eq!(
        inbound.destination,
        [Address::Net("192.168.1.20/32".parse().unwrap())]
    );
    assert!(device.version_issues.is_empty());
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn multi_vdom_backup_reads_each_vdom_and_the_global_helper() {
    let (source, parsed) = fixture("fg200f-7.0-multi-vdom.conf");
    let device = &parsed.device;
    assert_eq!(device.version.as_ref().unwrap().version, "7.0.12");
    // root: proxy-based by default.
    let root = device
        .sip_alg
        .iter()
        .find(|a| a.mechanism.contains("VDOM root"))
        .unwrap();
    assert!(root.enabled && is_default(&root.evidence.certainty));
    // voice: kernel-helper-based, and the global session-helper table still has `sip`.
    let voice: Vec<&AlgState> = device
        .sip_alg
        .iter()
        .filter(|a| a.mechanism.contains("VDOM voice"))
        .collect();
    assert_eq!(voice.len(), 2);
    assert!(!voice[0].enabled);
    assert_eq!(
        texts(&source, &voice[0].evidence),
        ["set default-voip-alg-mode kernel-helper-based"]
    );
    assert!(voice[1].enabled);
    assert_eq!(voice[1].evidence.certainty, Certainty::Explicit);
    assert!(texts(&source, &voice[1].evidence).contains(&"set name sip"));
    assert_eq!(voice[1].scope, [(Protocol::Udp, Ports::single(5060))]);
    // Global udp-idle-timer 120; the voice VDOM's port entry without `timeout` is 300 s.
    assert_eq!(effective_udp(device, 5061), Some(300));
    assert_eq!(effective_udp(device, 10000), Some(120));
    let port_entry = device
        .udp_timeouts
        .iter()
        .find(|t| t.replied_seconds == Some(300))
        .unwrap();
    assert!(is_default(&port_entry.evidence.certainty));
    // The voice policy's destination group resolves to the ITSP's address range.
    let sip_out = device
        .filters
        .iter()
        .find(|f| f.path == Path::Outbound && f.protocol == Some(Protocol::Udp))
        .unwrap();
    assert_eq!(sip_out.destination.len(), 4);
    assert_eq!(sip_out.destination_ports, Ports::single(5060));
    // The disabled RTP policy is no fact: no rule to any address for all UDP ports.
    assert!(
        !device
            .filters
            .iter()
            .any(|f| f.destination.is_empty() && f.protocol == Some(Protocol::Udp))
    );
    // Offload disabled on the voice policy; enabled (default) on root's internet policy.
    assert_eq!(device.offload.len(), 1);
    assert!(device.offload[0].mechanism.contains("VDOM root"));
    // Administration on port1 from the trusted hosts only.
    let admin: Vec<&FilterRule> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice)
        .collect();
    assert_eq!(admin.len(), 2);
    assert!(
        admin
            .iter()
            .all(|f| f.source == [Address::Net("10.0.0.0/24".parse().unwrap())])
    );
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn alg_off_export_with_exposed_hosts() {
    let (source, parsed) = fixture("fgt61f-6.4-alg-off-exposed.conf");
    let device = &parsed.device;
    assert!(enabled_on_5060(device).is_empty(), "{:#?}", device.sip_alg);
    let helper = device
        .sip_alg
        .iter()
        .find(|a| a.mechanism.starts_with("SIP session helper"))
        .unwrap();
    assert_eq!(
        texts(&source, &helper.evidence),
        ["config system session-helper"]
    );
    assert_eq!(effective_udp(device, 5060), Some(600));
    // Forwards: SIP from the trunk only, RTP, SSH on 2200 → 22, and a DMZ host.
    let sip = &device.forwards[0];
    assert_eq!(
        sip.source,
        [Address::Net("203.0.113.0/24".parse().unwrap())]
    );
    let ssh = device
        .forwards
        .iter()
        .find(|f| f.outside_ports == Ports::single(2200))
        .unwrap();
    assert_eq!(ssh.protocol, Some(Protocol::Tcp));
    assert_eq!(ssh.inside_ports(), &Ports::single(22));
    let dmz = device
        .forwards
        .iter()
        .find(|f| f.protocol.is_none())
        .unwrap();
    assert!(dmz.outside_ports.is_any());
    assert_eq!(dmz.to, Some("192.168.30.7".parse().unwrap()));
    assert!(texts(&source, &dmz.evidence).contains(&"set mappedip \"192.168.30.7\""));
    // The DoS policy's per-source session limit on SIP counts; the flood threshold does not.
    assert_eq!(device.brute_force.len(), 1);
    let limit = &device.brute_force[0];
    assert_eq!(
        (limit.protocol, &limit.ports),
        (Some(Protocol::Udp), &Ports::single(5060))
    );
    assert!(texts(&source, &limit.evidence).contains(&"edit \"udp_src_session\""));
    // To the unit: the local-in deny comes first, then the allowaccess services.
    let to_device: Vec<&FilterRule> = device
        .filters
        .iter()
        .filter(|f| f.path == Path::ToDevice)
        .collect();
    assert_eq!(to_device[0].action, Action::Drop);
    assert!(
        to_device
            .iter()
            .any(|f| f.action == Action::Accept && f.destination_ports == Ports::single(2222))
    );
    assert!(device.version_issues.is_empty());
    assert_eq!(parsed.coverage.summary().unknown, 0);
}

#[test]
fn pasted_cli_session_with_status_output() {
    let (source, parsed) = fixture("fgt40f-6.4-cli-session.txt");
    let device = &parsed.device;
    let version = device.version.as_ref().unwrap();
    assert_eq!(version.version, "6.4.12");
    assert_eq!(source.text_of(version.span), "6.4.12");
    // `show full-configuration` states the default explicitly.
    let alg = &device.sip_alg[0];
    assert!(alg.enabled);
    assert_eq!(alg.evidence.certainty, Certainty::Explicit);
    assert_eq!(
        texts(&source, &alg.evidence),
        ["set default-voip-alg-mode proxy-based"]
    );
    assert!(alg.scope.contains(&(
        Protocol::Udp,
        Ports::from_ranges([
            sipwall_firewall::model::PortRange::single(5060),
            sipwall_firewall::model::PortRange::single(5080),
        ])
    )));
    assert_eq!(
        device.udp_timeouts[0].evidence.certainty,
        Certainty::Explicit
    );
    // Prompt and status lines are known noise, not unknown configuration.
    assert_eq!(parsed.coverage.summary().unknown, 0);
    assert_eq!(
        classes(&parsed, &source, "Current virtual domain"),
        [LineClass::Ignored]
    );
    assert_eq!(
        classes(&parsed, &source, "FGT40F-HOME # show firewall policy"),
        [LineClass::Ignored]
    );
}

// ---------------------------------------------------------------------------------------
// Inline cases
// ---------------------------------------------------------------------------------------

#[test]
fn keys_the_stated_version_does_not_have() {
    let (source, parsed) = parse_text(
        "#config-version=FGT60F-7.0.12-FW-build0523-230524:opmode=0:vdom=0:user=admin\n\
         config system settings\n    set default-voip-alg-mode kernel-helper-based\n    \
         set sip-helper disable\nend\n",
        &Hints::default(),
    );
    let device = &parsed.device;
    assert_eq!(device.version_issues.len(), 1);
    let issue = &device.version_issues[0];
    assert_eq!(issue.key, "sip-helper");
    assert_eq!(texts(&source, &issue.evidence), ["set sip-helper disable"]);
    // The key does not exist on 7.0, so it cannot switch the helper off: the factory entry is
    // assumed.
    assert!(device.sip_alg.iter().any(|a| a.enabled
        && a.mechanism.contains("session helper")
        && is_default(&a.evidence.certainty)));

    let (_, parsed) = parse_text(
        "#config-version=FGT60E-6.0.9-FW-build0335-191113:opmode=0:vdom=0:user=admin\n\
         config system settings\n    set sip-expectation disable\nend\n",
        &Hints::default(),
    );
    assert_eq!(parsed.device.version_issues[0].key, "sip-expectation");
    assert_eq!(parsed.device.vendor, Some(Vendor::Fortigate60));
}

#[test]
fn before_five_two_the_helper_is_the_default() {
    let (_, parsed) = parse_text(
        "#config-version=FG100D-5.00-FW-build292-140801:opmode=0:vdom=0:user=admin\n\
         config system global\n    set hostname \"old\"\nend\n",
        &Hints::default(),
    );
    let algs = &parsed.device.sip_alg;
    assert!(!algs[0].enabled && is_default(&algs[0].evidence.certainty));
    assert!(algs[1].enabled && algs[1].mechanism.contains("session helper"));
    assert_eq!(parsed.device.vendor, Some(Vendor::Fortigate60));
}

#[test]
fn default_profile_without_sip_hands_sip_to_the_helper() {
    let (source, parsed) = parse_text(
        "config voip profile\n    edit \"default\"\n        config sip\n            \
         set status disable\n        end\n    next\nend\nconfig system session-helper\n    \
         edit 13\n        set name sip\n        set protocol 17\n        set port 5080\n    next\nend\n",
        &Hints::default(),
    );
    let algs = &parsed.device.sip_alg;
    assert!(!algs[0].enabled);
    assert_eq!(texts(&source, &algs[0].evidence), ["set status disable"]);
    assert!(algs[1].enabled);
    assert_eq!(algs[1].scope, [(Protocol::Udp, Ports::single(5080))]);
}

#[test]
fn hints_name_the_wan_and_policy_order_follows_move_and_append() {
    let text = "config firewall service custom\n    edit \"sip\"\n        set udp-portrange 5060\n    next\nend\n\
                config firewall policy\n    edit 1\n        set srcintf \"port2\"\n        set dstintf \"port1\"\n        \
                set srcaddr \"all\"\n        set dstaddr \"all\"\n        set action accept\n        set service \"sip\"\n    next\n    \
                edit 2\n        set srcintf \"port2\"\n        set dstintf \"port1\"\n        set srcaddr \"all\"\n        \
                set dstaddr \"all\"\n        set service \"sip\"\n        append service \"HTTPS\"\n    next\n    \
                move 2 before 1\nend\n";
    let (_, parsed) = parse_text(text, &Hints::default());
    // Without hints nothing says port1 is the WAN: no outbound path.
    assert!(parsed.device.filters.is_empty());
    let hints = Hints {
        wan: vec!["port1".into()],
        lan: Vec::new(),
    };
    let (_, parsed) = parse_text(text, &hints);
    let out: Vec<(Action, Option<Protocol>)> = parsed
        .device
        .filters
        .iter()
        .map(|f| (f.action, f.protocol))
        .collect();
    // Policy 2 (no action: deny) moved first, with HTTPS appended.
    assert_eq!(
        out,
        [
            (Action::Drop, Some(Protocol::Udp)),
            (Action::Drop, Some(Protocol::Tcp)),
            (Action::Accept, Some(Protocol::Udp)),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Corpus
// ---------------------------------------------------------------------------------------

/// Coverage floors: (understood + ignored) / total, per corpus file.
const FLOORS: &[(&str, f64)] = &[
    ("firewall_policy", 0.99),
    ("fortigate#FortiGate-3001F_7.4.8_HA#output.txt", 0.99),
    ("fortigate#FortiGate-91G_7.4.7#output.txt", 0.99),
    ("fortios_full_sent.txt", 0.99),
    ("fortios_ignored", 0.99),
    // `set action allow` is not a FortiOS action.
    ("policy", 0.95),
    ("service_custom", 0.99),
];

#[test]
fn every_corpus_file_parses_with_its_coverage_floor_and_is_detected() {
    let files = common::corpus_files("fortios");
    assert_eq!(files.len(), FLOORS.len());
    for (name, text) in &files {
        let floor = FLOORS
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no floor for {name}"))
            .1;
        let parsed = common::parse(Format::Fortigate, text, &Hints::default());
        let summary = parsed.coverage.summary();
        let share = (summary.understood + summary.ignored) as f64 / summary.total() as f64;
        eprintln!(
            "{name}: understood {} ignored {} unknown {} of {} ({:.1} %)",
            summary.understood,
            summary.ignored,
            summary.unknown,
            summary.total(),
            share * 100.0
        );
        assert!(share >= floor, "{name}: {share} < {floor}");
        assert_eq!(Format::detect(text), Ok(Format::Fortigate), "{name}");
        // Every FortiOS export says something about the SIP ALG.
        assert!(!parsed.device.sip_alg.is_empty(), "{name}");
    }
}

#[test]
fn corpus_facts() {
    let files = common::corpus_files("fortios");
    let get = |name: &str| {
        let text = &files.iter().find(|(n, _)| n == name).unwrap().1;
        (
            Source::new(name, text.clone()),
            common::parse(Format::Fortigate, text, &Hints::default()),
        )
    };
    // 91G 7.4.7 capture: no settings, no session-helper, no VIPs — the defaults apply.
    let (source, parsed) = get("fortigate#FortiGate-91G_7.4.7#output.txt");
    let device = &parsed.device;
    assert_eq!(device.version.as_ref().unwrap().version, "7.4.7");
    assert_eq!(device.vendor, Some(Vendor::Fortigate62));
    assert_eq!(enabled_on_5060(device).len(), 1);
    assert!(is_default(&device.sip_alg[0].evidence.certainty));
    assert!(device.forwards.is_empty());
    // wan1 (role wan) answers SSH and HTTP, but only to the administrator's trusted hosts.
    let ssh = device
        .filters
        .iter()
        .find(|f| f.path == Path::ToDevice && f.destination_ports == Ports::single(22))
        .unwrap();
    assert_eq!(ssh.source, [Address::Net("192.0.2.0/24".parse().unwrap())]);
    assert_eq!(source.text_of(ssh.evidence.spans[0]), "ssh");

    // The session-helper table without a `sip` entry, under the default proxy mode.
    let (_, parsed) = get("fortios_ignored");
    assert_eq!(enabled_on_5060(&parsed.device).len(), 1);
    assert!(parsed.device.sip_alg[0].mechanism.contains("proxy-based"));

    // `set action allow` is not an action: the line is unknown, the policy denies.
    let (source, parsed) = get("policy");
    let unknown: Vec<&str> = parsed
        .coverage
        .unknown_lines()
        .map(|n| source.line(n).trim())
        .collect();
    assert_eq!(unknown, ["set action allow"]);

    // The disabled deny policy of `firewall_policy` is no fact; with port2 as the WAN the
    // remaining policies are read in list order, `append` included.
    let text = &files
        .iter()
        .find(|(n, _)| n == "firewall_policy")
        .unwrap()
        .1;
    let hints = Hints {
        wan: vec!["port2".into()],
        lan: Vec::new(),
    };
    let parsed = common::parse(Format::Fortigate, text, &hints);
    let out: Vec<(Action, String, String)> = parsed
        .device
        .filters
        .iter()
        .filter(|f| f.path == Path::Outbound)
        .map(|f| {
            (
                f.action,
                f.source_ports.to_string(),
                f.destination_ports.to_string(),
            )
        })
        .collect();
    let fact = |action, from: &str, to: &str| (action, from.to_string(), to.to_string());
    // `custom_tcp_12_from_11` is `12:11`: port 12 from source port 11 only.
    assert_eq!(out[0], fact(Action::Drop, "11", "12"));
    assert_eq!(out[1], fact(Action::Accept, "any", "11"));
    assert_eq!(out[2], fact(Action::Accept, "11", "12"));
    assert_eq!(out[3], fact(Action::Accept, "any", "any"));
}

// ---------------------------------------------------------------------------------------
// Round trips of our own renderings
// ---------------------------------------------------------------------------------------

fn option_sets() -> Vec<Options> {
    vec![
        Options::default(),
        Options {
            vdom: Some("voice".into()),
            ..Options::default()
        },
    ]
}

/// A rule address is covered by a filter side (empty = any).
fn covered(side: &[Address], wanted: &[Address]) -> bool {
    side.is_empty()
        || wanted.iter().all(|w| {
            side.iter().any(|s| match (s, w) {
                (Address::Net(s), Address::Net(w)) => s.contains(w),
                (a, b) => a == b,
            })
        })
}

fn check_round_trip(id: &str, vendor: Vendor, options: &Options) {
    let policy: Policy = common::policy(id, options);
    let text = common::render(vendor, id, options);
    let parsed = common::parse(Format::Fortigate, &text, &Hints::default());
    let device = &parsed.device;
    let what = format!("{id} {vendor} vdom={:?}", options.vdom);
    // Without a version header only `sip-helper` (before 6.2) tells the dialect.
    let expected = if text.contains("set sip-helper") {
        Vendor::Fortigate60
    } else {
        Vendor::Fortigate62
    };
    assert_eq!(device.vendor, Some(expected), "{what}");
    assert_eq!(parsed.coverage.summary().unknown, 0, "{what}");
    // ALG off: nothing the export says turns it on. The 6.2 dialect cannot delete the sip
    // session-helper entry (its number differs per unit) and says so in a comment, so the
    // factory entry is assumed; the 6.0 dialect switches the helper off with `sip-helper`.
    if policy.sip_alg_off() {
        for alg in enabled_on_5060(device) {
            assert!(
                vendor == Vendor::Fortigate62
                    && alg.mechanism.contains("session helper")
                    && is_default(&alg.evidence.certainty),
                "{what}: {alg:#?}"
            );
        }
        assert!(
            device
                .sip_alg
                .iter()
                .any(|a| !a.enabled && a.evidence.certainty == Certainty::Explicit),
            "{what}"
        );
    }
    // UDP timeouts at least the policy's.
    for timeout in policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp)
    {
        let ports: Vec<u16> = match &timeout.scope {
            TimeoutScope::Global => vec![5060, 10000, 40000],
            TimeoutScope::Ports(p) => p.ranges().iter().flat_map(|r| [r.first, r.last]).collect(),
        };
        for port in ports {
            let got = effective_udp(device, port).unwrap_or(0);
            assert!(got >= timeout.replied_seconds, "{what}: udp/{port} {got} s");
        }
    }
    // Source NAT keeps ports when the policy asks.
    if let Some(snat) = &policy.nat.source_nat {
        assert!(!device.source_nat.is_empty(), "{what}");
        for nat in &device.source_nat {
            assert_eq!(
                nat.port_preservation,
                Some(snat.port_preservation),
                "{what}"
            );
        }
    }
    // Forwards: exactly the policy's (one VIP per range), never a DMZ host.
    let mut wanted: Vec<(Option<Protocol>, String, Option<std::net::IpAddr>)> = policy
        .nat
        .port_forwards
        .iter()
        .filter(|f| f.protocol.is_some() && f.to.is_ipv4())
        .flat_map(|f| {
            f.ports
                .ranges()
                .into_iter()
                .map(move |r| (f.protocol, Ports::from_ranges([r]).to_string(), Some(f.to)))
        })
        .collect();
    let mut got: Vec<(Option<Protocol>, String, Option<std::net::IpAddr>)> = device
        .forwards
        .iter()
        .map(|f| (f.protocol, f.outside_ports.to_string(), f.to))
        .collect();
    wanted.sort();
    got.sort();
    assert_eq!(got, wanted, "{what}");
    assert!(
        device
            .forwards
            .iter()
            .all(|f| f.protocol.is_some() && !f.outside_ports.is_any())
    );
    // Required outbound rules are accepted by the first matching rule.
    for rule in policy
        .rules
        .iter()
        .filter(|r| r.required && r.direction == Direction::Outbound)
    {
        let renderable = |side: &[Address]| {
            side.is_empty()
                || side
                    .iter()
                    .any(|a| !matches!(a, Address::Net(ipnet::IpNet::V6(_))))
        };
        if !renderable(&rule.source) || !renderable(&rule.destination) {
            continue; // IPv6-only rules are left out by the renderer (its ipv6 note)
        }
        let v4 = |side: &[Address]| -> Vec<Address> {
            side.iter()
                .filter(|a| !matches!(a, Address::Net(ipnet::IpNet::V6(_))))
                .cloned()
                .collect()
        };
        for range in rule.destination_ports.ranges() {
            let hit = device.filters.iter().find(|f| {
                f.path == Path::Outbound
                    && !f.conditional
                    && f.protocol.is_none_or(|p| p == rule.protocol)
                    && f.destination_ports
                        .intersect(&Ports::from_ranges([range]))
                        .is_some_and(|common| common == Ports::from_ranges([range]))
                    && covered(&f.destination, &v4(&rule.destination))
            });
            let hit = hit.unwrap_or_else(|| panic!("{what}: {} {range} not covered", rule.name));
            assert_eq!(hit.action, Action::Accept, "{what}: {}", rule.name);
        }
    }
    // The renderer writes no brute-force limits (FortiOS cannot ban after failed SIP logins).
    assert!(device.brute_force.is_empty(), "{what}");
    // Offload off where the profile asks.
    if policy.has_note("disable-hardware-offload") {
        assert!(device.offload.is_empty(), "{what}");
    }
    assert!(device.version_issues.is_empty(), "{what}");
    // Implicit deny on both forwarded paths.
    for path in [Path::Outbound, Path::Inbound] {
        assert!(device.default_actions.iter().any(|d| d.path == path
            && d.action == Action::Drop
            && is_default(&d.evidence.certainty)));
    }
}

#[test]
fn our_renderings_parse_back_to_the_policy() {
    for id in common::profile_ids() {
        for vendor in DIALECTS {
            for options in option_sets() {
                check_round_trip(id, vendor, &options);
            }
        }
    }
}

#[test]
fn explained_renderings_parse_as_well() {
    for vendor in DIALECTS {
        let policy = common::policy("algar-cloudphone-pro", &Options::default());
        let text = vendor.render(&policy, true).text;
        let parsed = common::parse(Format::Fortigate, &text, &Hints::default());
        assert_eq!(parsed.coverage.summary().unknown, 0);
        assert_eq!(Format::detect(&text), Ok(Format::Fortigate));
    }
}

// ---------------------------------------------------------------------------------------
// Audit of renderings, and of renderings with a safety line weakened
// ---------------------------------------------------------------------------------------

/// Findings the FortiGate renderings leave, each a limitation the rendering states.
fn known_gap(id: &str, vendor: Vendor, finding: &str) -> bool {
    let options = Options::default();
    let topics: Vec<String> = vendor
        .render(&common::policy(id, &options), false)
        .limitations
        .into_iter()
        .map(|l| l.topic)
        .collect();
    match finding {
        // The 6.2 dialect leaves the deletion of the sip session-helper entry to the user (its
        // `session-helper` limitation); `applied_renderings_leave_no_alg` shows the rest is off.
        "ALG-001" => vendor == Vendor::Fortigate62 && topics.iter().any(|t| t == "session-helper"),
        _ => false,
    }
}

#[test]
fn audit_of_our_renderings_finds_nothing_else() {
    for id in common::profile_ids() {
        for vendor in DIALECTS {
            for options in option_sets() {
                let text = common::render(vendor, id, &options);
                let ids =
                    common::audit_ids(Format::Fortigate, &text, &Hints::default(), id, &options);
                let unexpected: Vec<&str> = ids
                    .iter()
                    .copied()
                    .filter(|f| !known_gap(id, vendor, f))
                    .collect();
                assert!(unexpected.is_empty(), "{id} {vendor}: {ids:?}");
            }
        }
    }
}

/// The session-helper table as `show system session-helper` lists it after the manual step the
/// renderings ask for (the `sip` entry deleted).
const HELPER_TABLE_WITHOUT_SIP: &str = "config system session-helper\n    edit 1\n        \
    set name pptp\n        set protocol 6\n        set port 1723\n    next\n    edit 14\n        \
    set name dns-udp\n        set protocol 17\n        set port 53\n    next\nend\n";

/// A rendering as the unit holds it once applied: with VDOMs the helper table is global.
fn applied(id: &str, vendor: Vendor, options: &Options) -> String {
    let text = common::render(vendor, id, options);
    if options.vdom.is_some() {
        format!("config global\n{HELPER_TABLE_WITHOUT_SIP}end\n{text}")
    } else {
        format!("{HELPER_TABLE_WITHOUT_SIP}{text}")
    }
}

#[test]
fn applied_renderings_leave_no_alg() {
    for id in common::profile_ids() {
        for vendor in DIALECTS {
            for options in option_sets() {
                let text = applied(id, vendor, &options);
                let ids =
                    common::audit_ids(Format::Fortigate, &text, &Hints::default(), id, &options);
                assert!(!ids.contains(&"ALG-001"), "{id} {vendor}: {ids:?}");
            }
        }
    }
}

/// The new finding ids after `mutate` changed an applied rendering (baseline findings removed
/// once).
fn new_findings(id: &str, vendor: Vendor, mutate: impl Fn(&str) -> String) -> Vec<&'static str> {
    let options = Options::default();
    let text = applied(id, vendor, &options);
    let changed = mutate(&text);
    assert_ne!(changed, text, "{id} {vendor}: the mutation changed nothing");
    let context = (&Hints::default(), id, &options);
    let mut added = common::added_ids(Format::Fortigate, &text, &changed, context);
    added.dedup();
    added
}

#[test]
fn weakening_a_safety_line_yields_its_finding() {
    for vendor in DIALECTS {
        // ALG off → the proxy-based default (before 6.2 the default VoIP profile's
        // `set status disable` also keeps the ALG off, so both go).
        let added = new_findings("cloudli", vendor, |t| {
            t.replace(
                "        set default-voip-alg-mode kernel-helper-based\n",
                "",
            )
            .replace("                set status disable\n", "")
        });
        assert_eq!(added, ["ALG-001"], "{vendor}");
        // Port-range UDP timeout shortened.
        let added = new_findings("fonality-pbxtra-premise", vendor, |t| {
            t.replace("set timeout 90", "set timeout 30")
        });
        assert_eq!(added, ["TMO-001"], "{vendor}");
        // Global UDP timeout shortened (with the per-policy session TTLs gone, which would
        // otherwise keep the VoIP sessions alive).
        let added = new_findings("algar-cloudphone-pro", vendor, |t| {
            t.replace("set udp-idle-timer 300", "set udp-idle-timer 60")
                .replace("            set session-ttl 43200\n", "")
        });
        assert_eq!(added, ["TMO-001"], "{vendor}");
        // The SIP source whitelist widened to any source.
        let added = new_findings("fonality-pbxtra-premise", vendor, |t| {
            t.replace(
                "set srcaddr \"sipwall-203.0.113.0-24\"",
                "set srcaddr \"all\"",
            )
        });
        assert_eq!(added, ["ACL-002"], "{vendor}");
        // Port preservation dropped.
        let added = new_findings("cloudli", vendor, |t| {
            t.replace("            set fixedport enable\n", "")
        });
        assert_eq!(added, ["NAT-001"], "{vendor}");
        // A forward removed.
        let added = new_findings("fonality-pbxtra-premise", vendor, |t| {
            t.replace("set extport 4569\n", "set extport 4570\n")
                .replace("set mappedport 4569\n", "set mappedport 4570\n")
        });
        assert!(added.contains(&"ACL-001"), "{vendor}: {added:?}");
        // Offload left on where the profile asks it off.
        let added = new_findings("algar-cloudphone-pro", vendor, |t| {
            t.replace("            set auto-asic-offload disable\n", "")
        });
        assert_eq!(added, ["NAT-002"], "{vendor}");
        // SSH administration opened on the WAN interface (the renderer leaves `allowaccess`
        // alone and says so): the device path accepts 22 from anywhere.
        let added = new_findings("fonality-pbxtra-premise", vendor, |t| {
            format!(
                "{t}config system interface\n    edit \"wan0\"\n        set allowaccess ping https ssh\n    \
                 next\nend\n"
            )
        });
        assert_eq!(added, ["ACL-003"], "{vendor}");
        // … unless every administrator is limited to trusted hosts.
        let added = new_findings("fonality-pbxtra-premise", vendor, |t| {
            format!(
                "{t}config system interface\n    edit \"wan0\"\n        set allowaccess ping https ssh\n    \
                 next\nend\nconfig system admin\n    edit \"admin\"\n        \
                 set trusthost1 192.168.1.0 255.255.255.0\n    next\nend\n"
            )
        });
        assert!(added.is_empty(), "{vendor}: {added:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------

#[test]
fn garbage_empty_binary_and_truncated_inputs_never_panic() {
    let hints = Hints::default();
    for text in [
        "",
        "\n\n",
        "\0\u{1}binary",
        "end\nnext\nend\n",
        "config\n",
        "edit 1\nset x\n",
        "config firewall policy\n    edit 1\n        set srcintf \"unclosed\n",
        "config system settings\n    set sip-udp-port 99999 -5 abc\nend\n",
        "config system session-ttl\n    config port\n        edit 1\n            set start-port 70000\n            set timeout never\n        next\n    end\nend\n",
    ] {
        common::assert_parses_or_hints(Format::Fortigate, text, &hints);
    }
    let mut seed = 7;
    for vendor in DIALECTS {
        let text = common::render(vendor, "fonality-pbxtra-premise", &Options::default());
        common::truncations_parse_or_hint(Format::Fortigate, &text, &hints, 20, |len| {
            common::lcg(&mut seed) as usize % len
        });
    }
}

#[test]
fn other_vendors_renderings_are_not_taken_for_fortios() {
    common::assert_renderings_claimed_only_by_own(
        Format::Fortigate,
        |v| v.family() == "fortigate",
        "rfc-baseline",
        &Options::default(),
        29,
    );
}

fn shuffled_lines(text: &str, seed: u64) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let mut state = seed;
    for i in (1..lines.len()).rev() {
        let j = (common::lcg(&mut state) as usize) % (i + 1);
        lines.swap(i, j);
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let source = Source::new("p", text.as_str());
        let _ = Format::Fortigate.parse(&source, &Hints::default());
        let _ = Format::Fortigate.fingerprint(&text);
    }

    #[test]
    fn fortios_shaped_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                Just("config firewall policy".to_string()),
                Just("config system settings".to_string()),
                Just("config vdom".to_string()),
                Just("config global".to_string()),
                Just("edit 0".to_string()),
                Just("next".to_string()),
                Just("end".to_string()),
                "set [a-z-]{1,12} [\"a-z0-9 .:/-]{0,20}",
                "append [a-z]{1,8} [a-z0-9]{1,8}",
                "(delete|move) [0-9]{1,3}( before| after)? [0-9]{0,3}",
                "#[ -~]{0,30}",
            ],
            0..60,
        )
    ) {
        let text = lines.join("\n");
        let source = Source::new("p", text.as_str());
        if let Ok(parsed) = Format::Fortigate.parse(&source, &Hints::default()) {
            let _ = parsed.coverage.summary();
        }
    }

    #[test]
    fn shuffled_renderings_never_panic(seed in any::<u64>(), dialect in 0usize..2) {
        let vendor = DIALECTS[dialect];
        let text = common::render(vendor, "algar-cloudphone-pro", &Options::default());
        let text = shuffled_lines(&text, seed);
        let source = Source::new("p", text.as_str());
        let _ = Format::Fortigate.parse(&source, &Hints::default());
    }
}

#[test]
fn an_accept_limited_to_some_source_ports_does_not_cover_a_required_flow() {
    let (id, options, hints) = ("rfc-baseline", Options::default(), Hints::default());
    for vendor in DIALECTS {
        let text = common::render(vendor, id, &options);
        let service = "edit \"sipwall-sip-udp-tcp-out-udp\"\n            set udp-portrange 5060\n";
        let with = |ports: &str| {
            common::replaced(
                &text,
                service,
                &service.replace("portrange 5060", &format!("portrange 5060:{ports}")),
            )
        };
        common::assert_source_port_limit_blocks(
            Format::Fortigate,
            &text,
            &with("55000-56000"),
            Some(&with("1-65535")),
            (&hints, id, &options),
            "sip-udp-tcp-out-udp",
        );
    }
}
