//! The NAT test against a simulated NAT and the real STUN responder: every behaviour
//! combination, loss, misbehaving reflectors, and the pure classification helpers.

mod sim;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use proptest::prelude::*;
use sipwall_profile::NatType;

use super::report::{NO_NAT_FIREWALL, naming, topology_hints};
use super::transaction::Rto;
use super::verdicts::{
    Silence, classify_mapping, combine_filtering, wilson_lower_bound, wilson_upper_bound,
};
use super::*;
use sim::{
    CountingIds, Filter, LOCAL_IP, Map, Net, OtherAddress, PUBLIC_IP, Policy, Server,
    server_addresses,
};

fn machine(server: ServerAddresses, local: IpAddr) -> NatBehaviour {
    NatBehaviour::with_ids(NatConfig::new(server, local), Box::new(CountingIds(0)))
}

fn run_with(policy: Policy, server: Server, listed: ServerAddresses, seed: u64) -> NatReport {
    let local = if policy.nat { LOCAL_IP } else { PUBLIC_IP };
    let mut m = machine(listed, IpAddr::V4(local));
    let mut net = Net::new(policy, server, seed);
    sim::run(&mut m, &mut net)
}

fn run(policy: Policy, seed: u64) -> NatReport {
    run_with(policy, Server::full(), server_addresses(), seed)
}

const MAPS: [Map; 3] = [Map::Eim, Map::Adm, Map::Apdm];
const FILTERS: [Filter; 3] = [Filter::Eif, Filter::Adf, Filter::Apdf];

fn expected_mapping(m: Map) -> Mapping {
    match m {
        Map::Eim => Mapping::Eim,
        Map::Adm => Mapping::Adm,
        Map::Apdm => Mapping::Apdm,
    }
}

fn expected_filtering(f: Filter) -> Filtering {
    match f {
        Filter::Eif => Filtering::Eif,
        Filter::Adf => Filtering::Adf,
        Filter::Apdf => Filtering::Apdf,
    }
}

/// What the hairpin verdict must be: silence is only readable when the probe's source is
/// one the other socket's filter knows (EIM) or the filter lets anyone in (EIF).
fn expected_hairpin(p: &Policy) -> &'static str {
    let readable = p.mapping == Map::Eim || p.filtering == Filter::Eif;
    match (p.hairpin, readable) {
        (true, true) => "works",
        (false, true) => "no_hairpin",
        (_, false) => "inconclusive",
    }
}

fn hairpin_kind(h: &Hairpin) -> &'static str {
    match h {
        Hairpin::Works {
            external_source: true,
            ..
        } => "works",
        Hairpin::Works { .. } => "works-internal",
        Hairpin::NoHairpin => "no_hairpin",
        Hairpin::NotApplicable { .. } => "not_applicable",
        Hairpin::Inconclusive { .. } => "inconclusive",
    }
}

fn port_kinds(r: &NatReport) -> Vec<&'static str> {
    r.port_preservation
        .iter()
        .map(|p| match p.result {
            PortResult::Preserved { .. } => "preserved",
            PortResult::NotPreserved { .. } => "not_preserved",
            PortResult::NotTested { .. } => "not_tested",
            PortResult::Inconclusive { .. } => "inconclusive",
        })
        .collect()
}

fn large_kind(l: &LargePackets) -> &'static str {
    match l {
        LargePackets::Passed { .. } => "passed",
        LargePackets::Dropped { .. } => "dropped",
        LargePackets::NotTested { .. } => "not_tested",
        LargePackets::Inconclusive { .. } => "inconclusive",
    }
}

/// Every verdict of a run against what the policy implies: `Ok` if all are right,
/// `Err(wrong)` listing verdicts that are wrong; inconclusive ones are wrong only when
/// `strict`.
fn check(p: &Policy, r: &NatReport, strict: bool) -> Result<(), Vec<String>> {
    let mut wrong = Vec::new();
    let mut compare = |what: &str, got: String, want: String, inconclusive: bool| {
        if got != want && (strict || !inconclusive) {
            wrong.push(format!("{what}: got {got}, want {want}"));
        }
    };
    compare(
        "mapping",
        format!("{:?}", r.mapping),
        format!("{:?}", expected_mapping(p.mapping)),
        matches!(r.mapping, Mapping::Inconclusive { .. }),
    );
    compare(
        "filtering",
        format!("{:?}", r.filtering),
        format!("{:?}", expected_filtering(p.filtering)),
        matches!(r.filtering, Filtering::Inconclusive { .. }),
    );
    let hairpin = hairpin_kind(&r.hairpin);
    compare(
        "hairpin",
        hairpin.into(),
        expected_hairpin(p).into(),
        hairpin == "inconclusive",
    );
    let want_port = if p.preserve_ports {
        "preserved"
    } else {
        "not_preserved"
    };
    for got in port_kinds(r) {
        compare("port", got.into(), want_port.into(), got == "inconclusive");
    }
    let want_large = if p.max_ip_packet.is_some() {
        "dropped"
    } else {
        "passed"
    };
    let large = large_kind(&r.large_packets);
    compare(
        "large packets",
        large.into(),
        want_large.into(),
        large == "inconclusive",
    );
    compare(
        "nat present",
        format!("{:?}", r.nat_present),
        format!("{:?}", Some(p.nat)),
        r.nat_present.is_none(),
    );
    if wrong.is_empty() { Ok(()) } else { Err(wrong) }
}

fn all_policies() -> Vec<Policy> {
    let mut out = Vec::new();
    for m in MAPS {
        for f in FILTERS {
            for hairpin in [true, false] {
                let mut p = Policy::nat(m, f);
                p.hairpin = hairpin;
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn every_mapping_filtering_hairpin_and_preservation_combination_is_classified() {
    for mut p in all_policies() {
        for preserve in [true, false] {
            p.preserve_ports = preserve;
            let r = run(p.clone(), 1);
            if let Err(wrong) = check(&p, &r, true) {
                panic!("{p:?}: {wrong:?}");
            }
            assert_eq!(r.rounds, 1, "{p:?}: no loss, one round");
            assert!(r.server_issues.is_empty(), "{:?}", r.server_issues);
            assert_eq!(
                r.generic_alg,
                GenericAlg::NotDetected {
                    responses_compared: r
                        .evidence
                        .iter()
                        .filter(|e| matches!(e.outcome, TransactionOutcome::Answered { .. }))
                        .count() as u32
                }
            );
            assert_eq!(
                r.public_address.map(|a| a.ip()),
                Some(IpAddr::V4(PUBLIC_IP))
            );
        }
    }
}

#[test]
fn names_follow_rfc_4787_and_3489() {
    let cases = [
        (Map::Eim, Filter::Eif, NatType::FullCone, "full cone NAT"),
        (
            Map::Eim,
            Filter::Adf,
            NatType::RestrictedCone,
            "restricted cone NAT",
        ),
        (
            Map::Eim,
            Filter::Apdf,
            NatType::PortRestrictedCone,
            "port restricted cone NAT",
        ),
        (Map::Adm, Filter::Apdf, NatType::Symmetric, "symmetric NAT"),
        (Map::Apdm, Filter::Eif, NatType::Symmetric, "symmetric NAT"),
    ];
    for (m, f, class, term) in cases {
        let r = run(Policy::nat(m, f), 1);
        assert_eq!(r.classic_type, Some(class));
        assert!(
            r.seed_terms().iter().any(|t| t == term),
            "{:?}",
            r.seed_terms
        );
        let consistent = r.seed_terms().iter().any(|t| t == "consistent NAT");
        assert_eq!(consistent, m == Map::Eim);
        let req1 = &r.rfc4787[0];
        assert_eq!(req1.id, "REQ-1");
        let met = if m == Map::Eim {
            RequirementStatus::Met
        } else {
            RequirementStatus::NotMet
        };
        assert_eq!(req1.status, met);
    }
}

/// Runs every policy over `seeds` with `loss`; returns (runs, inconclusive verdicts, wrong
/// verdicts with their seed).
fn sweep(loss: f64, seeds: std::ops::Range<u64>, strict: bool) -> (usize, usize, Vec<String>) {
    let (mut runs, mut open, mut wrong) = (0, 0, Vec::new());
    for p in all_policies() {
        for seed in seeds.clone() {
            let mut p = p.clone();
            p.loss = loss;
            // Vary the cheap tests with the seed too.
            p.preserve_ports = seed % 2 == 0;
            p.max_ip_packet = (seed % 3 == 0).then_some(1400);
            let r = run(p.clone(), seed);
            runs += 1;
            if let Err(w) = check(&p, &r, false) {
                wrong.push(format!("seed {seed} {p:?}: {w:?}"));
            } else if check(&p, &r, true).is_err() {
                open += 1;
                if strict {
                    wrong.push(format!(
                        "seed {seed} {p:?}: inconclusive {:?}",
                        check(&p, &r, true)
                    ));
                }
            }
        }
    }
    (runs, open, wrong)
}

#[test]
fn ten_percent_loss_changes_no_verdict() {
    let (runs, _, wrong) = sweep(0.10, 1..41, true);
    assert!(
        wrong.is_empty(),
        "{} of {runs} runs differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn thirty_percent_loss_is_never_wrong() {
    let (runs, open, wrong) = sweep(0.30, 100..141, false);
    assert!(
        wrong.is_empty(),
        "{} of {runs} runs wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Rounds exist to keep heavy loss from making everything inconclusive.
    assert!(
        open * 2 < runs,
        "{open} of {runs} runs had an inconclusive verdict"
    );
}

#[test]
fn one_address_server_gives_partial_results() {
    let pp = server_addresses().pp;
    let r = run_with(
        Policy::nat(Map::Eim, Filter::Apdf),
        Server::one_address(),
        ServerAddresses::one_address(pp),
        1,
    );
    assert!(!r.server.complete);
    assert!(r.server.note.as_deref().unwrap().contains("one IP"));
    let Mapping::Inconclusive { reason } = &r.mapping else {
        panic!("{:?}", r.mapping)
    };
    assert!(reason.contains("EIM or unknown") && reason.contains("PP → 203.0.113.5"));
    let Filtering::Inconclusive { reason } = &r.filtering else {
        panic!("{:?}", r.filtering)
    };
    assert!(reason.contains("lists no AA"), "{reason}");
    assert_eq!(r.mapped_by_destination.len(), 1);
    assert_eq!(r.nat_present, Some(true));
    assert_eq!(
        hairpin_kind(&r.hairpin),
        "works",
        "EIM: hairpin needs no second IP"
    );
    assert_eq!(port_kinds(&r), ["preserved", "preserved"]);
    // "Consistent NAT" needs a second IP to prove.
    assert_eq!(r.classic_type, None);
    assert!(r.seed_terms.is_empty(), "{:?}", r.seed_terms);
}

#[test]
fn one_address_reflector_listing_four_addresses_says_420() {
    let r = run_with(
        Policy::nat(Map::Eim, Filter::Eif),
        Server::one_address(),
        server_addresses(),
        1,
    );
    let Filtering::Inconclusive { reason } = &r.filtering else {
        panic!("{:?}", r.filtering)
    };
    assert!(reason.contains("420"), "{reason}");
    assert!(
        matches!(r.mapping, Mapping::Inconclusive { .. }),
        "{:?}",
        r.mapping
    );
    assert!(
        r.server_issues
            .iter()
            .any(|i| matches!(i, ServerIssue::OtherAddressMissing { .. }))
    );
}

#[test]
fn replies_from_the_wrong_source_are_evidence_not_answers() {
    let mut server = Server::full();
    server.spoof_from = Some("198.51.100.99:3478".parse().unwrap());
    let p = Policy::nat(Map::Eim, Filter::Eif);
    let r = run_with(p.clone(), server, server_addresses(), 1);
    check(&p, &r, true).unwrap();
    let rejected: Vec<_> = r.evidence.iter().flat_map(|e| &e.rejected).collect();
    assert!(!rejected.is_empty());
    assert!(
        rejected
            .iter()
            .all(|x| x.source.to_string() == "198.51.100.99:3478")
    );
    assert!(r.server_issues.iter().any(|i| matches!(
        i,
        ServerIssue::UnexpectedSource { source, .. } if source.port() == 3478
    )));
}

#[test]
fn reflector_ignoring_change_request_never_looks_like_full_cone() {
    for f in [Filter::Eif, Filter::Adf, Filter::Apdf] {
        let mut server = Server::full();
        server.ignore_change = true;
        let r = run_with(Policy::nat(Map::Eim, f), server, server_addresses(), 1);
        let Filtering::Inconclusive { reason } = &r.filtering else {
            panic!("{f:?}: {:?}", r.filtering)
        };
        assert!(reason.contains("ignored CHANGE-REQUEST"), "{reason}");
        assert_eq!(r.mapping, Mapping::Eim);
        assert!(r.server_issues.iter().any(|i| matches!(
            i,
            ServerIssue::UnexpectedSource { source, .. } if *source == server_addresses().pp
        )));
    }
}

#[test]
fn misconfigured_alternate_is_inconclusive_not_wrong() {
    let mut listed = server_addresses();
    listed.aa = Some("198.51.100.12:3479".parse().unwrap());
    let r = run_with(
        Policy::nat(Map::Eim, Filter::Apdf),
        Server::full(),
        listed,
        1,
    );
    assert!(
        r.server_issues
            .iter()
            .any(|i| matches!(i, ServerIssue::OtherAddressMismatch { .. }))
    );
    assert!(
        matches!(r.filtering, Filtering::Inconclusive { .. }),
        "{:?}",
        r.filtering
    );
    assert_eq!(
        r.mapping,
        Mapping::Eim,
        "PP and AP still decide the mapping"
    );
}

#[test]
fn large_packets_dropped_on_the_path() {
    let mut p = Policy::nat(Map::Eim, Filter::Adf);
    p.max_ip_packet = Some(1400);
    let r = run(p.clone(), 1);
    check(&p, &r, true).unwrap();
    assert_eq!(
        r.large_packets,
        LargePackets::Dropped {
            request_bytes: LARGE_PACKET_IP_BYTES - 28
        }
    );
    p.max_ip_packet = None;
    let LargePackets::Passed {
        request_bytes,
        response_bytes,
    } = run(p, 1).large_packets
    else {
        panic!()
    };
    assert_eq!((request_bytes, response_bytes), (1472, 1472));
}

#[test]
fn generic_alg_is_flagged_and_does_not_spoil_the_verdicts() {
    let mut p = Policy::nat(Map::Eim, Filter::Apdf);
    p.alg = true;
    let r = run(p.clone(), 1);
    check(&p, &r, true).unwrap();
    let GenericAlg::Detected { rewritten, .. } = &r.generic_alg else {
        panic!("{:?}", r.generic_alg)
    };
    assert!(
        rewritten
            .iter()
            .all(|w| w.mapped.ip() == IpAddr::V4(LOCAL_IP))
    );
    assert!(
        rewritten
            .iter()
            .all(|w| w.xor_mapped.ip() == IpAddr::V4(PUBLIC_IP))
    );
}

#[test]
fn no_nat_is_reported_as_open() {
    let mut p = Policy::nat(Map::Eim, Filter::Eif);
    p.nat = false;
    let r = run(p, 1);
    assert_eq!(r.nat_present, Some(false));
    assert_eq!(r.classic_type, Some(NatType::Open));
    assert!(r.topology.contains(&TopologyHint::NoNat));
    assert!(matches!(r.hairpin, Hairpin::NotApplicable { .. }));
    assert!(
        r.rfc4787
            .iter()
            .all(|c| c.status == RequirementStatus::NotApplicable)
    );
}

#[test]
fn a_taken_port_is_not_tested_and_says_why() {
    let mut m = machine(server_addresses(), IpAddr::V4(LOCAL_IP));
    let mut net = Net::new(Policy::nat(Map::Eim, Filter::Eif), Server::full(), 1);
    net.taken_ports.push(5060);
    let r = sim::run(&mut m, &mut net);
    let PortResult::NotTested { reason } = &r.port_preservation[0].result else {
        panic!("{:?}", r.port_preservation)
    };
    assert!(reason.contains("5060 is in use"), "{reason}");
    assert!(matches!(
        r.port_preservation[1].result,
        PortResult::Preserved { mapped } if mapped.port() == 10000
    ));
}

#[test]
fn a_whole_run_takes_about_a_second_at_50_ms_rtt() {
    // Worst case without loss: both filtering tests and the hairpin wait for silence.
    let mut slow = Policy::nat(Map::Eim, Filter::Apdf);
    slow.hairpin = false;
    let r = run(slow, 1);
    assert!((400..=1100).contains(&r.elapsed_ms), "{} ms", r.elapsed_ms);
    // Nothing silent: done after a couple of round trips.
    let r = run(Policy::nat(Map::Eim, Filter::Eif), 1);
    assert!(r.elapsed_ms <= 150, "{} ms", r.elapsed_ms);
    let rtts: Vec<f64> = r
        .evidence
        .iter()
        .filter_map(|e| match e.outcome {
            TransactionOutcome::Answered { rtt_ms, .. } => rtt_ms,
            _ => None,
        })
        .collect();
    assert!(rtts.iter().all(|&ms| (ms - 50.0).abs() < 1e-6), "{rtts:?}");
}

#[test]
fn report_round_trips_through_json() {
    let mut p = Policy::nat(Map::Eim, Filter::Adf);
    p.alg = true;
    let r = run(p, 1);
    let json = serde_json::to_string_pretty(&r).unwrap();
    let back: NatReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["mapping"]["verdict"], "eim");
    assert_eq!(v["filtering"]["verdict"], "adf");
    assert_eq!(v["classic_type"], "restricted-cone");
    assert_eq!(v["server"]["addresses"]["pp"], "198.51.100.10:3478");
}

#[test]
fn mapping_classification_from_partial_samples() {
    let s = |role, dest: &str, mapped: &str| MappingSample {
        role,
        destination: dest.parse().unwrap(),
        mapped: mapped.parse().unwrap(),
    };
    let pp = |m| s(ServerRole::Pp, "10.0.0.1:3478", m);
    let pa = |m| s(ServerRole::Pa, "10.0.0.1:3479", m);
    let ap = |m| s(ServerRole::Ap, "10.0.0.2:3478", m);
    let aa = |m| s(ServerRole::Aa, "10.0.0.2:3479", m);
    let (x, y, z) = ("1.1.1.1:1", "1.1.1.1:2", "1.1.1.1:3");
    assert_eq!(classify_mapping(&[pp(x), ap(x), aa(x)]), Mapping::Eim);
    assert_eq!(classify_mapping(&[pp(x), ap(y), aa(y)]), Mapping::Adm);
    assert_eq!(classify_mapping(&[pp(x), ap(y), aa(z)]), Mapping::Apdm);
    // AA lost: PP ≠ AP alone cannot tell ADM from APDM...
    assert!(matches!(
        classify_mapping(&[pp(x), ap(y)]),
        Mapping::Inconclusive { .. }
    ));
    // ...unless PA answered the same as PP.
    assert_eq!(classify_mapping(&[pp(x), ap(y), pa(x)]), Mapping::Adm);
    // One IP, two ports: a change proves APDM, no change is "EIM or ADM".
    assert_eq!(classify_mapping(&[pp(x), pa(y)]), Mapping::Apdm);
    let Mapping::Inconclusive { reason } = classify_mapping(&[pp(x), pa(x)]) else {
        panic!()
    };
    assert!(reason.contains("EIM or ADM"));
    // PP and AA alone: equal means EIM (both IP and port changed).
    assert_eq!(classify_mapping(&[pp(x), aa(x)]), Mapping::Eim);
}

#[test]
fn filtering_combination_never_guesses() {
    let open = || Silence::Open {
        reason: "r".into(),
        retry: false,
    };
    use Silence::{Blocked, Passed};
    assert_eq!(combine_filtering(&Passed, &Passed), Filtering::Eif);
    assert_eq!(combine_filtering(&Blocked, &Passed), Filtering::Adf);
    assert_eq!(combine_filtering(&Blocked, &Blocked), Filtering::Apdf);
    assert_eq!(combine_filtering(&open(), &Blocked), Filtering::Apdf);
    assert_eq!(combine_filtering(&Passed, &open()), Filtering::Eif);
    for (e, a) in [
        (open(), Passed),
        (Blocked, open()),
        (Passed, Blocked),
        (open(), open()),
    ] {
        assert!(matches!(
            combine_filtering(&e, &a),
            Filtering::Inconclusive { .. }
        ));
    }
}

#[test]
fn rto_starts_at_300_ms_then_follows_twice_the_rtt_within_bounds() {
    let mut rto = Rto::new();
    assert_eq!(rto.current(), Duration::from_millis(300));
    rto.sample(Duration::from_millis(20));
    assert_eq!(rto.current(), Duration::from_millis(100));
    rto.sample(Duration::from_millis(80));
    assert_eq!(rto.current(), Duration::from_millis(160));
    rto.sample(Duration::from_millis(10)); // the largest sample rules
    assert_eq!(rto.current(), Duration::from_millis(160));
    rto.sample(Duration::from_secs(3));
    assert_eq!(rto.current(), Duration::from_secs(1));
}

#[test]
fn topology_hints_for_cgnat_private_server_and_double_nat() {
    let public: SocketAddr = "203.0.113.5:4000".parse().unwrap();
    let cgnat_local: IpAddr = "100.64.1.2".parse().unwrap();
    let hints = topology_hints(cgnat_local, Some(public), Some(true), None);
    assert_eq!(
        hints,
        [TopologyHint::LocalSharedAddress { local: cgnat_local }]
    );
    let shared: SocketAddr = "100.127.0.9:4000".parse().unwrap();
    let local: IpAddr = "192.168.1.10".parse().unwrap();
    let hints = topology_hints(local, Some(shared), Some(true), None);
    assert_eq!(
        hints,
        [TopologyHint::ServerSeesSharedAddress {
            public: shared.ip()
        }]
    );
    let private: SocketAddr = "10.1.2.3:4000".parse().unwrap();
    let hints = topology_hints(local, Some(private), Some(true), None);
    assert!(matches!(
        hints[..],
        [TopologyHint::ServerSeesPrivateAddress { .. }]
    ));
    let router: IpAddr = "198.18.0.1".parse().unwrap();
    let hints = topology_hints(local, Some(public), Some(true), Some(router));
    assert_eq!(
        hints,
        [TopologyHint::DoubleNat {
            router,
            public: public.ip()
        }]
    );
    assert!(topology_hints(local, Some(public), Some(true), Some(public.ip())).is_empty());
    // 100.128.0.0 is outside the /10.
    let outside: IpAddr = "100.128.0.1".parse().unwrap();
    assert!(topology_hints(outside, Some(public), Some(true), None).is_empty());
}

#[test]
fn no_nat_with_a_filtering_firewall_is_named_as_such() {
    let (class, terms) = naming(Some(false), &Mapping::Eim, &Filtering::Apdf);
    assert_eq!(class, None);
    assert!(terms.contains(&"symmetric UDP firewall".to_string()));
    let (class, terms) = naming(
        Some(true),
        &Mapping::Eim,
        &Filtering::Inconclusive { reason: "x".into() },
    );
    assert_eq!((class, terms), (None, vec!["consistent NAT".to_string()]));
}

#[test]
fn random_transaction_ids_differ() {
    let mut ids = RandomTransactionIds::default();
    assert_ne!(ids.next_id(), ids.next_id());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever arrives, from wherever, on any socket: no panic, and nothing is accepted
    /// unless it matches a transaction.
    #[test]
    fn arbitrary_datagrams_never_panic(
        datagrams in proptest::collection::vec(
            (0u32..20, any::<u16>(), proptest::collection::vec(any::<u8>(), 0..200)),
            1..20,
        )
    ) {
        let mut m = machine(server_addresses(), IpAddr::V4(LOCAL_IP));
        for request in m.sockets() {
            let local = SocketAddr::new(IpAddr::V4(LOCAL_IP), 50000 + request.id.0 as u16);
            m.bound(request.id, Some(local));
        }
        let now = std::time::Instant::now();
        while m.poll_transmit(now).is_some() {}
        for (socket, port, mut payload) in datagrams {
            // Make some of them look like STUN responses to reach deeper code.
            if payload.len() >= 20 && port % 2 == 0 {
                payload[0] = 0x01;
                payload[1] = 0x01;
                payload[4..8].copy_from_slice(&0x2112_A442u32.to_be_bytes());
            }
            let from = SocketAddr::new(IpAddr::V4(PUBLIC_IP), port);
            m.handle_receive(now, crate::sansio::SocketId(socket), from, &payload);
        }
        prop_assert!(m.report().is_none());
    }
}

/// What a no-NAT run must say whatever the firewall does: no NAT everywhere a consumer looks.
fn assert_no_nat(r: &NatReport, f: Filter) {
    assert_eq!(r.nat_present, Some(false));
    assert_eq!(r.filtering, expected_filtering(f), "{f:?}");
    assert_eq!(
        r.mapping,
        Mapping::Eim,
        "{f:?}: no translation is endpoint-independent"
    );
    assert_eq!(r.seed_terms.first().map(String::as_str), Some("no NAT"));
    assert!(r.topology.contains(&TopologyHint::NoNat));
    assert!(
        matches!(r.hairpin, Hairpin::NotApplicable { .. }),
        "{:?}",
        r.hairpin
    );
    assert!(
        r.rfc4787
            .iter()
            .all(|c| c.status == RequirementStatus::NotApplicable)
    );
    assert_eq!(port_kinds(r), ["preserved", "preserved"]);
    match f {
        Filter::Eif => {
            assert_eq!(r.classic_type, Some(NatType::Open));
            assert!(r.seed_terms.iter().any(|t| t == "open internet"));
        }
        Filter::Adf | Filter::Apdf => {
            // RFC 3489 §10.1: "Symmetric UDP Firewall", which NatType cannot say.
            assert_eq!(r.classic_type, None);
            assert!(
                r.seed_terms.iter().any(|t| t == NO_NAT_FIREWALL),
                "{:?}",
                r.seed_terms
            );
            assert!(!r.seed_terms.iter().any(|t| t == "open internet"));
        }
    }
}

/// The lab's "no NAT, stateful firewall" router (forward policy drop, `ct state
/// established,related accept`, LAN→WAN accept) and a plain router: one round, no loss
/// counted (the hairpin probes go host to host and are received, the CHANGE-REQUEST answers
/// the firewall drops are not plain requests), named per RFC 3489 §10.1.
#[test]
fn no_nat_with_or_without_a_stateful_firewall_takes_one_round() {
    for f in FILTERS {
        let r = run(Policy::no_nat(f), 1);
        assert_no_nat(&r, f);
        assert_eq!(r.rounds, 1, "{f:?}");
        assert_eq!((r.loss.attempts, r.loss.unanswered), (19, 0), "{f:?}");
        assert!(!r.loss.split);
        assert!(r.server_issues.is_empty(), "{:?}", r.server_issues);
        let limit = if f == Filter::Eif { 150 } else { 600 };
        assert!(r.elapsed_ms <= limit, "{f:?}: {} ms", r.elapsed_ms);
    }
}

#[test]
fn no_nat_firewall_verdicts_survive_ten_percent_loss() {
    for f in FILTERS {
        for seed in 1..41 {
            let mut p = Policy::no_nat(f);
            p.loss = 0.10;
            let r = run(p, seed);
            assert_eq!(r.nat_present, Some(false), "seed {seed}");
            assert_eq!(r.filtering, expected_filtering(f), "{f:?} seed {seed}");
        }
    }
}

/// What the namespace lab showed (no NAT: rounds 3, 2.7 s, loss 19 of 38 with every plain
/// request answered): the first transmission of every request of the first burst never left
/// the host, every retransmission was answered. That is no reason to doubt the silence of
/// the probes, whose retransmissions were sent as well.
#[test]
fn a_lost_first_burst_costs_no_extra_round() {
    let mut policies: Vec<Policy> = FILTERS.into_iter().map(Policy::no_nat).collect();
    policies.extend(all_policies());
    for mut p in policies {
        p.cold_sockets = true;
        let r = run(p.clone(), 1);
        if p.nat {
            if let Err(wrong) = check(&p, &r, true) {
                panic!("{p:?}: {wrong:?}");
            }
        } else {
            assert_no_nat(&r, p.filtering);
        }
        assert_eq!(r.rounds, 1, "{p:?}: {:?}", r.loss);
        let loss = r.loss;
        assert_eq!((loss.attempts, loss.unanswered), (38, 19), "{loss:?}");
        assert_eq!(loss.first_transmissions.attempts, 19);
        assert_eq!(loss.first_transmissions.unanswered, 19);
        assert_eq!(loss.retransmissions.unanswered, 0);
        assert!(loss.split, "{loss:?}");
        // Three transmissions at the initial 300 ms RTO (no RTT sample survives Karn's rule),
        // plus the hairpin probes started once the retransmitted learns were answered.
        assert!(r.elapsed_ms <= 1300, "{p:?}: {} ms", r.elapsed_ms);
    }
}

/// Without a lost burst, random loss must not pass for it: the pooled rate is used.
#[test]
fn loss_is_split_by_transmission_only_when_the_kinds_differ() {
    assert!(wilson_lower_bound(19, 19) > wilson_upper_bound(0, 19));
    assert_eq!(wilson_lower_bound(0, 19), 0.0);
    assert_eq!(wilson_lower_bound(3, 0), 0.0);
    let mut split = 0;
    for seed in 1..41 {
        let mut p = Policy::nat(Map::Eim, Filter::Apdf);
        p.loss = 0.10;
        split += usize::from(run(p, seed).loss.split);
    }
    assert!(split <= 2, "{split} of 40 runs split a uniform 10 % loss");
}

/// coturn 4.6 answers OTHER-ADDRESS B:3479 from AP and B:3478 from AA where RFC 5780 §6.1
/// has PA and PP. Its PP answer names AA, so the alternate is what the list says: every
/// verdict stands, and the two differences are notes.
#[test]
fn coturn_other_address_is_noted_and_every_verdict_stands() {
    let listed = server_addresses();
    for p in all_policies() {
        let r = run_with(p.clone(), Server::coturn(), listed, 1);
        if let Err(wrong) = check(&p, &r, true) {
            panic!("{p:?}: {wrong:?}; issues {:?}", r.server_issues);
        }
        assert_eq!(r.rounds, 1);
        let mut notes: Vec<(ServerRole, SocketAddr, Option<SocketAddr>)> = r
            .server_issues
            .iter()
            .map(|i| match i {
                ServerIssue::OtherAddressNote {
                    role,
                    expected,
                    advertised,
                    ..
                } => (*role, *expected, *advertised),
                other => panic!("{p:?}: only notes expected, got {other:?}"),
            })
            .collect();
        notes.sort_by_key(|n| n.0.name());
        assert_eq!(
            notes,
            [
                (ServerRole::Aa, listed.pp, Some(listed.ap.unwrap())),
                (ServerRole::Ap, listed.pa.unwrap(), Some(listed.aa.unwrap())),
            ],
            "{p:?}"
        );
    }
}

/// Answers to CHANGE-REQUEST whose OTHER-ADDRESS follows the socket they are sent from: a
/// note, and ADF is still ADF (it used to read "EIF or ADF": the note doubted the alternate).
#[test]
fn change_request_answers_may_name_the_other_address_of_their_own_socket() {
    let mut server = Server::full();
    server.other_address = OtherAddress::FromSender;
    for f in FILTERS {
        let p = Policy::nat(Map::Eim, f);
        let r = run_with(p.clone(), server.clone(), server_addresses(), 1);
        check(&p, &r, true).unwrap_or_else(|w| panic!("{f:?}: {w:?}"));
        assert!(
            r.server_issues
                .iter()
                .all(|i| matches!(i, ServerIssue::OtherAddressNote { .. })),
            "{:?}",
            r.server_issues
        );
        assert_eq!(r.server_issues.is_empty(), f == Filter::Apdf, "{f:?}");
    }
}

/// PP's OTHER-ADDRESS still decides: when it is not the listed AA, filtering read from
/// silence stays inconclusive even though the other sockets only give notes.
#[test]
fn other_address_from_pp_still_has_to_match_the_listed_alternate() {
    let mut listed = server_addresses();
    listed.aa = Some("198.51.100.12:3479".parse().unwrap());
    for server in [Server::full(), Server::coturn()] {
        let r = run_with(Policy::nat(Map::Eim, Filter::Apdf), server, listed, 1);
        assert!(
            r.server_issues
                .contains(&ServerIssue::OtherAddressMismatch {
                    listed: listed.aa.unwrap(),
                    advertised: server_addresses().aa.unwrap(),
                }),
            "{:?}",
            r.server_issues
        );
        assert!(
            matches!(r.filtering, Filtering::Inconclusive { .. }),
            "{:?}",
            r.filtering
        );
    }
}

#[test]
fn report_json_only_grows() {
    let mut p = Policy::no_nat(Filter::Apdf);
    p.cold_sockets = true;
    let r = run_with(p, Server::coturn(), server_addresses(), 1);
    let mut v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["loss"]["split"], true);
    assert_eq!(v["loss"]["first_transmissions"]["unanswered"], 19);
    assert_eq!(v["classic_type"], serde_json::Value::Null);
    assert_eq!(v["seed_terms"][0], "no NAT");
    let note = v["server_issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["issue"] == "other_address_note")
        .expect("a note");
    assert!(note["role"].is_string() && note["expected"].is_string());
    // A report written before these fields existed still reads.
    let loss = v["loss"].as_object_mut().unwrap();
    for key in ["first_transmissions", "retransmissions", "split"] {
        loss.remove(key);
    }
    let back: NatReport = serde_json::from_value(v).unwrap();
    assert!(!back.loss.split);
    assert_eq!(back.loss.attempts, r.loss.attempts);
}
