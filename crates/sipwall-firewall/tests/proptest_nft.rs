//! Property: every valid policy renders to nftables that the real `nft -c` accepts.
//! Each case spawns `unshare -rn nft -c`, so the case count is small.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use proptest::prelude::*;
use sipwall_firewall::model::{
    Action, Address, Alg, AlgProtocol, BruteForceLimit, Direction, ForbiddenInbound, Hygiene, Nat,
    Origin, Policy, PortForward, PortRange, Ports, Protocol, Rule, SourceNat, SourceWhitelist,
    Timeout, TimeoutScope, Zones,
};
use sipwall_firewall::vendors::nftables;

fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![Just(Protocol::Udp), Just(Protocol::Tcp)]
}

fn ports() -> impl Strategy<Value = Ports> {
    prop_oneof![
        1 => Just(Ports::Any),
        4 => prop::collection::vec((1u16..=65535, 0u16..2000), 1..4).prop_map(|ranges| {
            Ports::from_ranges(
                ranges
                    .into_iter()
                    .map(|(first, len)| PortRange::new(first, first.saturating_add(len))),
            )
        }),
    ]
}

fn net() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (any::<u32>(), 8u8..=32).prop_map(|(a, len)| {
            IpNet::new(IpAddr::V4(Ipv4Addr::from(a)), len)
                .unwrap()
                .trunc()
        }),
        (any::<u128>(), 16u8..=128).prop_map(|(a, len)| {
            IpNet::new(IpAddr::V6(Ipv6Addr::from(a)), len)
                .unwrap()
                .trunc()
        }),
    ]
}

fn address() -> impl Strategy<Value = Address> {
    prop_oneof![
        4 => net().prop_map(Address::Net),
        1 => "[a-z]{1,12}(\\.[a-z0-9-]{1,10}){1,3}\\.(net|com|example)"
            .prop_map(Address::Fqdn),
    ]
}

fn addresses() -> impl Strategy<Value = Vec<Address>> {
    prop::collection::vec(address(), 0..4)
}

fn origin() -> Origin {
    Origin {
        requirement: "generated".into(),
        sources: Vec::new(),
    }
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        "[a-z][a-z0-9-]{0,20}",
        prop_oneof![Just(Direction::Outbound), Just(Direction::Inbound)],
        protocol(),
        addresses(),
        ports(),
        addresses(),
        ports(),
        any::<bool>(),
    )
        .prop_map(
            |(name, direction, protocol, source, sp, destination, dp, required)| Rule {
                name,
                purpose: None,
                direction,
                protocol,
                source,
                source_ports: sp,
                destination,
                destination_ports: dp,
                action: Action::Accept,
                required,
                origins: vec![origin()],
            },
        )
}

fn forward() -> impl Strategy<Value = PortForward> {
    (
        prop::option::of(protocol()),
        ports(),
        prop_oneof![
            any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        ],
    )
        .prop_map(|(protocol, ports, to)| PortForward {
            name: "fwd".into(),
            protocol,
            ports,
            to,
            origins: vec![origin()],
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        prop::collection::vec(rule(), 0..6),
        prop::collection::vec(forward(), 0..3),
        prop::collection::vec((protocol(), 1u16..=65535), 0..4),
        prop::collection::vec(
            (protocol(), ports(), prop::collection::vec(address(), 1..3)),
            0..2,
        ),
        prop::option::of((prop::option::of(ports()), 1u32..100_000, 1u32..100_000)),
        prop::collection::vec(
            (
                protocol(),
                ports(),
                1u32..1000,
                1u32..100_000,
                1u32..100_000,
            ),
            0..2,
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(rules, port_forwards, forbidden, whitelists, timeout, limits, drop, snat)| Policy {
                profile: None,
                documents: Vec::new(),
                zones: Zones {
                    lan: "lan0".into(),
                    wan: "wan0".into(),
                    vdom: None,
                },
                forward_default: if drop { Action::Drop } else { Action::Accept },
                rules,
                nat: Nat {
                    source_nat: snat.then(|| SourceNat {
                        port_preservation: true,
                        endpoint_independent_mapping: true,
                        for_rules: Vec::new(),
                        origins: vec![origin()],
                    }),
                    port_forwards,
                },
                algs: vec![Alg {
                    protocol: AlgProtocol::Sip,
                    enabled: false,
                    scope: vec![(Protocol::Udp, Ports::single(5060))],
                    known_as: Vec::new(),
                    origins: vec![origin()],
                }],
                timeouts: timeout
                    .into_iter()
                    .map(|(scope, unreplied, replied)| Timeout {
                        name: "udp-binding".into(),
                        protocol: Protocol::Udp,
                        scope: match scope {
                            None => TimeoutScope::Global,
                            Some(p) => TimeoutScope::Ports(p),
                        },
                        unreplied_seconds: unreplied,
                        replied_seconds: replied,
                        origins: vec![origin()],
                    })
                    .collect(),
                hygiene: Hygiene {
                    forbidden_inbound: forbidden
                        .into_iter()
                        .map(|(protocol, port)| ForbiddenInbound {
                            protocol,
                            port,
                            service: "svc".into(),
                            origins: vec![origin()],
                        })
                        .collect(),
                    source_whitelists: whitelists
                        .into_iter()
                        .map(|(protocol, ports, allowed)| SourceWhitelist {
                            protocol,
                            ports,
                            allowed,
                            origins: vec![origin()],
                        })
                        .collect(),
                    no_dmz: Some(origin()),
                },
                brute_force: limits
                    .into_iter()
                    .enumerate()
                    .map(|(i, (protocol, ports, max, per, ban))| BruteForceLimit {
                        name: format!("sip-{i}"),
                        protocol,
                        ports,
                        max_new_sessions: max,
                        per_seconds: per,
                        window_assumed: false,
                        ban_seconds: ban,
                        origins: vec![origin()],
                    })
                    .collect(),
                notes: Vec::new(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn random_policies_render_to_nftables_that_nft_accepts(
        policy in policy(),
        explain in any::<bool>(),
    ) {
        let rendering = nftables::render(&policy, explain);
        if let Err(err) = common::nft_check(&rendering.text) {
            prop_assert!(false, "{err}\n--- policy ---\n{policy:#?}");
        }
    }
}
