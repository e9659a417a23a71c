//! Profile → [`Policy`]: the provider's requirements as the vendor-independent firewall model.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sipwall_profile::{self as profile, Endpoint, PortSpec, Profile, Purpose, Transport};

use crate::Error;
use crate::model::{
    Action, Address, Alg, AlgProtocol, BruteForceLimit, Direction, ForbiddenInbound, Hygiene, Nat,
    Origin, Policy, PolicyNote, PortForward, PortRange, Ports, ProfileRef, Protocol, Rule,
    SourceNat, SourceWhitelist, Timeout, TimeoutScope, Zones,
};

/// What the profile does not know about the device: its interfaces and inside network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// The WAN (outside) interface or zone name.
    pub wan: String,
    /// The LAN (inside) interface or zone name.
    pub lan: String,
    /// Inside prefixes; when set, outbound rules match only these sources and inbound rules
    /// without a forward target only these destinations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lan_prefixes: Vec<IpNet>,
    /// What happens to forwarded traffic no rule allows: `drop` (a VoIP-only firewall) or
    /// `accept` (the rules are added to a device that carries other traffic too).
    pub forward_default: Action,
    /// FortiGate: the VDOM to write the rules into, on a unit with VDOMs enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vdom: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            wan: "wan0".into(),
            lan: "lan0".into(),
            lan_prefixes: Vec::new(),
            forward_default: Action::Drop,
            vdom: None,
        }
    }
}

/// Window assumed for a brute-force limit when the profile gives none.
pub const DEFAULT_BRUTE_FORCE_WINDOW_SECONDS: u32 = 60;

impl Policy {
    /// Builds the policy. Parameter defaults are filled in; a parameter without a value is an
    /// error naming it (fill it with `sipwall_profile::resolve` first).
    pub fn from_profile(profile: &Profile, options: &Options) -> Result<Policy, Error> {
        check_interface("wan", &options.wan)?;
        check_interface("lan", &options.lan)?;
        let profile = profile::resolve(profile, &BTreeMap::new())?.require_complete()?;
        let mut policy = Policy {
            profile: Some(ProfileRef {
                id: profile.id.clone(),
                name: profile.name.clone(),
            }),
            documents: profile.documents.clone(),
            zones: Zones {
                lan: options.lan.clone(),
                wan: options.wan.clone(),
                vdom: options.vdom.clone(),
            },
            forward_default: options.forward_default,
            rules: Vec::new(),
            nat: Nat {
                source_nat: None,
                port_forwards: Vec::new(),
            },
            algs: Vec::new(),
            timeouts: Vec::new(),
            hygiene: Hygiene::default(),
            brute_force: Vec::new(),
            notes: Vec::new(),
        };
        hygiene(&profile, &mut policy)?;
        flows(&profile, options, &mut policy)?;
        source_nat(&profile, &mut policy);
        alg(&profile, &mut policy);
        timeouts(&profile, &mut policy);
        brute_force(&profile, &mut policy);
        notes(&profile, &mut policy);
        Ok(policy)
    }
}

fn check_interface(option: &'static str, name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.+*".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::BadInterface {
            option,
            name: name.to_string(),
        })
    }
}

fn protocols(transports: &[Transport]) -> Vec<Protocol> {
    let set: BTreeSet<Protocol> = transports
        .iter()
        .map(|t| match t {
            Transport::Udp => Protocol::Udp,
            Transport::Tcp | Transport::Tls => Protocol::Tcp,
        })
        .collect();
    set.into_iter().collect()
}

/// Endpoints as addresses; an empty result means any.
fn addresses(endpoints: &[Endpoint], field: &str) -> Result<Vec<Address>, Error> {
    let mut out = Vec::new();
    for endpoint in endpoints {
        match endpoint {
            Endpoint::Any => return Ok(Vec::new()),
            Endpoint::Net(net) => out.push(Address::Net(*net)),
            Endpoint::Host(name) => out.push(Address::Fqdn(name.clone())),
            Endpoint::Param(name) => return Err(unresolved(name, field)),
        }
    }
    out.dedup();
    Ok(out)
}

fn ports(specs: &[PortSpec], field: &str) -> Result<Ports, Error> {
    let mut ranges = Vec::new();
    for spec in specs {
        match spec {
            PortSpec::Any => return Ok(Ports::Any),
            PortSpec::Range(r) => ranges.push(PortRange::new(r.first, r.last)),
            PortSpec::Param(name) => return Err(unresolved(name, field)),
        }
    }
    Ok(Ports::from_ranges(ranges))
}

fn unresolved(name: &str, field: &str) -> Error {
    Error::Unresolved {
        name: name.to_string(),
        field: field.to_string(),
    }
}

fn is_sip(purpose: Purpose) -> bool {
    matches!(purpose, Purpose::SipSignalling | Purpose::SipTls)
}

fn is_voip(purpose: Purpose) -> bool {
    is_sip(purpose) || matches!(purpose, Purpose::Rtp | Purpose::Stun | Purpose::Iax2)
}

fn flows(profile: &Profile, options: &Options, policy: &mut Policy) -> Result<(), Error> {
    let lan: Vec<Address> = options
        .lan_prefixes
        .iter()
        .map(|net| Address::Net(net.trunc()))
        .collect();
    for flow in &profile.flows {
        let requirement = format!("flows[{}]", flow.name);
        let origin = Origin::new(&requirement, &flow.sources);
        let remote = addresses(&flow.remote, &format!("{requirement}.remote"))?;
        let remote_ports = ports(&flow.remote_ports, &format!("{requirement}.remote_ports"))?;
        let local_ports = ports(&flow.local_ports, &format!("{requirement}.local_ports"))?;
        let forward_to = match &flow.forward_to {
            None => None,
            Some(Endpoint::Net(net)) if net.prefix_len() == net.max_prefix_len() => {
                Some(net.addr())
            }
            Some(Endpoint::Param(name)) => {
                return Err(unresolved(name, &format!("{requirement}.forward_to")));
            }
            Some(other) => {
                return Err(Error::ForwardTarget {
                    flow: flow.name.clone(),
                    target: other.to_string(),
                });
            }
        };
        let local = match forward_to {
            Some(addr) => vec![Address::Net(IpNet::from(addr))],
            None => lan.clone(),
        };
        let directions: &[Direction] = match flow.direction {
            profile::Direction::Outbound => &[Direction::Outbound],
            profile::Direction::Inbound => &[Direction::Inbound],
            profile::Direction::Both => &[Direction::Outbound, Direction::Inbound],
        };
        for &direction in directions {
            for protocol in protocols(&flow.transports) {
                let suffix = match direction {
                    Direction::Outbound => "out",
                    Direction::Inbound => "in",
                };
                let rule = Rule {
                    name: format!("{}-{suffix}-{protocol}", flow.name),
                    purpose: Some(flow.purpose),
                    direction,
                    protocol,
                    source: Vec::new(),
                    source_ports: Ports::Any,
                    destination: Vec::new(),
                    destination_ports: Ports::Any,
                    action: Action::Accept,
                    required: flow.required,
                    origins: vec![origin.clone()],
                };
                match direction {
                    Direction::Outbound => policy.rules.push(Rule {
                        source: local.clone(),
                        source_ports: local_ports.clone(),
                        destination: remote.clone(),
                        destination_ports: remote_ports.clone(),
                        ..rule
                    }),
                    Direction::Inbound => {
                        let rule = Rule {
                            source: remote.clone(),
                            source_ports: remote_ports.clone(),
                            destination: local.clone(),
                            destination_ports: local_ports.clone(),
                            ..rule
                        };
                        if let Some(to) = forward_to {
                            policy.nat.port_forwards.push(PortForward {
                                name: format!("{}-{protocol}", flow.name),
                                protocol: Some(protocol),
                                ports: local_ports.clone(),
                                to,
                                origins: vec![origin.clone()],
                            });
                        }
                        policy
                            .rules
                            .extend(apply_whitelists(rule, &policy.hygiene.source_whitelists));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Narrows an inbound rule open to any source to the whitelisted sources on the whitelisted
/// ports; the rest of its ports stay as they were.
fn apply_whitelists(rule: Rule, whitelists: &[SourceWhitelist]) -> Vec<Rule> {
    if !rule.source.is_empty() {
        return vec![rule];
    }
    for whitelist in whitelists.iter().filter(|w| w.protocol == rule.protocol) {
        let Some(inside) = rule.destination_ports.intersect(&whitelist.ports) else {
            continue;
        };
        let mut origins = rule.origins.clone();
        origins.extend(whitelist.origins.iter().cloned());
        let mut out = vec![Rule {
            name: format!("{}-whitelisted", rule.name),
            source: whitelist.allowed.clone(),
            destination_ports: inside,
            origins,
            ..rule.clone()
        }];
        if let Some(rest) = rule.destination_ports.subtract(&whitelist.ports) {
            out.push(Rule {
                destination_ports: rest,
                ..rule
            });
        }
        return out;
    }
    vec![rule]
}

fn hygiene(profile: &Profile, policy: &mut Policy) -> Result<(), Error> {
    let security = &profile.security;
    for item in &security.never_forward {
        for protocol in protocols(&item.transports) {
            policy.hygiene.forbidden_inbound.push(ForbiddenInbound {
                protocol,
                port: item.port,
                service: item.service.clone(),
                origins: vec![Origin::new(
                    format!("security.never_forward[{}]", item.port),
                    &item.sources,
                )],
            });
        }
    }
    if let Some(whitelist) = &security.sip_source_whitelist {
        let field = "security.sip_source_whitelist";
        let allowed = addresses(&whitelist.allowed, &format!("{field}.allowed"))?;
        let origin = Origin::new(field, &whitelist.sources);
        if allowed.is_empty() {
            policy.notes.push(PolicyNote {
                topic: "sip-source-whitelist".into(),
                text: "the whitelist allows any source, so it restricts nothing".into(),
                origins: vec![origin],
            });
        } else {
            let ports = ports(&whitelist.ports, &format!("{field}.ports"))?;
            for protocol in protocols(&whitelist.transports) {
                policy.hygiene.source_whitelists.push(SourceWhitelist {
                    protocol,
                    ports: ports.clone(),
                    allowed: allowed.clone(),
                    origins: vec![origin.clone()],
                });
            }
        }
    }
    if let Some(advice) = &security.no_dmz {
        policy.hygiene.no_dmz = Some(Origin::new("security.no_dmz", &advice.sources));
    }
    Ok(())
}

fn source_nat(profile: &Profile, policy: &mut Policy) {
    let mut origins = Vec::new();
    let mut eim = false;
    if let Some(mapping) = &profile.nat.mapping {
        eim |= mapping.behaviour == profile::MappingBehaviour::EndpointIndependent;
        origins.push(Origin::new("nat.mapping", &mapping.sources));
    }
    if let Some(accepted) = &profile.nat.accepted_types {
        eim |= !accepted.types.is_empty()
            && accepted
                .types
                .iter()
                .all(|t| t.mapping() == profile::MappingBehaviour::EndpointIndependent);
        origins.push(Origin::new("nat.accepted_types", &accepted.sources));
    }
    policy.nat.source_nat = Some(SourceNat {
        port_preservation: true,
        endpoint_independent_mapping: eim,
        for_rules: Vec::new(),
        origins,
    });
}

/// The ports SIP uses per protocol: the far end's ports outbound, the local ports inbound.
fn sip_scope(policy: &Policy) -> Vec<(Protocol, Ports)> {
    let mut scope: BTreeMap<Protocol, Vec<PortRange>> = BTreeMap::new();
    for rule in &policy.rules {
        if rule.purpose.is_some_and(is_sip) {
            scope
                .entry(rule.protocol)
                .or_default()
                .extend(rule.destination_ports.ranges());
        }
    }
    scope
        .into_iter()
        .map(|(protocol, ranges)| (protocol, Ports::from_ranges(ranges)))
        .collect()
}

fn alg(profile: &Profile, policy: &mut Policy) {
    let Some(sip_alg) = &profile.sip_alg else {
        return;
    };
    if !sip_alg.must_be_off {
        return;
    }
    policy.algs.push(Alg {
        protocol: AlgProtocol::Sip,
        enabled: false,
        scope: sip_scope(policy),
        known_as: sip_alg.features.clone(),
        origins: vec![Origin::new("sip_alg", &sip_alg.sources)],
    });
}

fn timeouts(profile: &Profile, policy: &mut Policy) {
    let Some(lifetime) = &profile.nat.binding_lifetime else {
        return;
    };
    let seconds = lifetime
        .recommended_seconds
        .unwrap_or(lifetime.min_seconds)
        .max(lifetime.min_seconds);
    // The VoIP flows' UDP ports (SIP, RTP, STUN, IAX2); all UDP flows when there are none.
    let udp_rules = || policy.rules.iter().filter(|r| r.protocol == Protocol::Udp);
    let voip: Vec<&Ports> = udp_rules()
        .filter(|r| r.purpose.is_some_and(is_voip))
        .map(|r| &r.destination_ports)
        .collect();
    let udp = if voip.is_empty() {
        udp_rules().map(|r| &r.destination_ports).collect()
    } else {
        voip
    };
    let scope = if udp.is_empty() || udp.iter().any(|p| p.is_any()) {
        TimeoutScope::Global
    } else {
        TimeoutScope::Ports(Ports::from_ranges(udp.iter().flat_map(|p| p.ranges())))
    };
    policy.timeouts.push(Timeout {
        name: "udp-binding".into(),
        protocol: Protocol::Udp,
        scope,
        unreplied_seconds: seconds,
        replied_seconds: seconds,
        origins: vec![Origin::new("nat.binding_lifetime", &lifetime.sources)],
    });
}

fn brute_force(profile: &Profile, policy: &mut Policy) {
    let Some(limit) = &profile.security.brute_force else {
        return;
    };
    let origin = Origin::new("security.brute_force", &limit.sources);
    let mut inbound: BTreeMap<Protocol, Vec<PortRange>> = BTreeMap::new();
    for rule in &policy.rules {
        if rule.direction == Direction::Inbound && rule.purpose.is_some_and(is_sip) {
            inbound
                .entry(rule.protocol)
                .or_default()
                .extend(rule.destination_ports.ranges());
        }
    }
    if inbound.is_empty() {
        policy.notes.push(PolicyNote {
            topic: "brute-force".into(),
            text: format!(
                "ban a source after {} failed SIP authentications for {} s: no inbound SIP flow to \
                 protect on the firewall; enforce it where SIP is answered",
                limit.max_failures, limit.ban_seconds
            ),
            origins: vec![origin],
        });
        return;
    }
    for (protocol, ranges) in inbound {
        policy.brute_force.push(BruteForceLimit {
            name: format!("sip-{protocol}"),
            protocol,
            ports: Ports::from_ranges(ranges),
            max_new_sessions: limit.max_failures.max(1),
            per_seconds: limit
                .window_seconds
                .unwrap_or(DEFAULT_BRUTE_FORCE_WINDOW_SECONDS)
                .max(1),
            window_assumed: limit.window_seconds.is_none(),
            ban_seconds: limit.ban_seconds.max(1),
            origins: vec![origin.clone()],
        });
    }
}

fn notes(profile: &Profile, policy: &mut Policy) {
    let nat = &profile.nat;
    if let Some(ttl) = &nat.session_ttl {
        policy.notes.push(PolicyNote {
            topic: "session-ttl".into(),
            text: format!("session lifetime of {} s for {}", ttl.seconds, ttl.scope),
            origins: vec![Origin::new("nat.session_ttl", &ttl.sources)],
        });
    }
    if let Some(req) = &nat.hairpinning {
        policy.notes.push(PolicyNote {
            topic: "hairpinning".into(),
            text: req.why.clone(),
            origins: vec![Origin::new("nat.hairpinning", &req.sources)],
        });
    }
    let advice = [
        (
            "dedicated-rule",
            "policy.dedicated_rule",
            &profile.policy.dedicated_rule,
        ),
        (
            "disable-hardware-offload",
            "policy.disable_hardware_offload",
            &profile.policy.disable_hardware_offload,
        ),
        (
            "clear-sessions-after-change",
            "policy.clear_sessions_after_change",
            &profile.policy.clear_sessions_after_change,
        ),
    ];
    for (topic, requirement, item) in advice {
        if let Some(item) = item {
            policy.notes.push(PolicyNote {
                topic: topic.into(),
                text: item.text.clone(),
                origins: vec![Origin::new(requirement, &item.sources)],
            });
        }
    }
}
