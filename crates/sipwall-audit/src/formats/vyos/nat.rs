//! Source and destination NAT: VyOS `nat source|destination rule N`, EdgeOS `service nat rule
//! N type masquerade|source|destination` and EdgeOS `port-forward` (with its automatic
//! firewall rules). Read before the WAN is known (NAT names it), turned into facts after.

use std::net::IpAddr;

use ipnet::IpNet;
use sipwall_firewall::model::{Action, Address, Ports, Protocol};

use super::Ctx;
use super::objects::{Endpoint, Groups, IfMatch, endpoint, if_match};
use super::topology::{Side, Sides};
use super::tree::{NodeId, ROOT};
use super::values::{PortMatch, Proto, nets, port_match, proto};
use crate::device::{Device, FilterRule, Forward, Path, SourceNat};

#[derive(Debug)]
struct SourceRule<'a> {
    node: NodeId,
    out: Option<IfMatch<'a>>,
    protocols: Vec<Option<Protocol>>,
    ports: Ports,
    preservation: Option<bool>,
}

#[derive(Debug)]
struct DestRule<'a> {
    /// The rule and other nodes its evidence includes (`wan-interface`, …).
    nodes: Vec<NodeId>,
    inbound: Option<IfMatch<'a>>,
    /// `None`: every protocol (`tcp_udp`, `all`, none given).
    protocol: Option<Protocol>,
    /// The protocols for filter rules (`tcp_udp` is two).
    protocols: Vec<Option<Protocol>>,
    outside: Ports,
    to: Option<IpAddr>,
    to_ports: Option<Ports>,
    source: Vec<Address>,
}

#[derive(Debug, Default)]
pub(super) struct Nat<'a> {
    sources: Vec<SourceRule<'a>>,
    dests: Vec<DestRule<'a>>,
    /// EdgeOS `port-forward` rules and, with `auto-firewall enable`, its leaf.
    port_forwards: Vec<DestRule<'a>>,
    auto_firewall: Option<NodeId>,
    /// Interfaces the NAT configuration names as the WAN.
    pub wan: Vec<&'a str>,
}

/// The rules of a `rule` tag node in number order.
pub(super) fn numbered(ctx: &Ctx<'_>, rules: NodeId) -> Vec<(u32, NodeId)> {
    let tree = &ctx.tree;
    let mut out: Vec<(u32, NodeId)> = tree
        .children(rules)
        .filter_map(|r| Some((tree.key(r).parse::<u32>().ok()?, r)))
        .collect();
    out.sort_unstable();
    out
}

/// A single inside address (`192.168.1.10`, `192.168.1.10/32`); `None` for ranges and subnets.
fn host(text: &str) -> Option<IpAddr> {
    match nets(text)?.as_slice() {
        [net] if net.prefix_len() == net.max_prefix_len() => Some(net.addr()),
        _ => None,
    }
}

/// The ports of an endpoint's port match, `None` when it matches no port or was not read.
fn ports_of(endpoint: &Endpoint) -> Option<Ports> {
    if endpoint.unresolved {
        return None;
    }
    match &endpoint.ports {
        None => Some(Ports::Any),
        Some(PortMatch::Ports(p)) => Some(p.clone()),
        Some(PortMatch::Nothing) => None,
    }
}

/// A forward's sources: none (any) when negated or not read.
fn sources(endpoint: &Endpoint) -> Vec<Address> {
    if endpoint.negated || endpoint.unresolved {
        Vec::new()
    } else {
        endpoint.addresses.clone()
    }
}

fn forward_protocol(p: Proto) -> Option<Option<Protocol>> {
    match p {
        Proto::One(p) => Some(Some(p)),
        Proto::Any | Proto::TcpUdp | Proto::Negated => Some(None),
        Proto::Other => None,
    }
}

pub(super) fn read<'a>(ctx: &Ctx<'a>, groups: &Groups<'a>) -> Nat<'a> {
    let mut nat = Nat::default();
    let tree = &ctx.tree;
    if let Some(rules) = tree.find(ROOT, &["nat", "source", "rule"]) {
        for (_, rule) in numbered(ctx, rules) {
            vyos_source(ctx, groups, rule, &mut nat);
        }
    }
    if let Some(rules) = tree.find(ROOT, &["nat", "destination", "rule"]) {
        for (_, rule) in numbered(ctx, rules) {
            vyos_destination(ctx, groups, rule, &mut nat);
        }
    }
    if let Some(rules) = tree.find(ROOT, &["service", "nat", "rule"]) {
        for (_, rule) in numbered(ctx, rules) {
            edgeos_rule(ctx, groups, rule, &mut nat);
        }
    }
    port_forward(ctx, &mut nat);
    // UPnP names the WAN too (EdgeOS `upnp2 wan`, `upnp … outbound-interface`).
    for (service, key) in [("upnp2", "wan"), ("upnp", "outbound-interface")] {
        if let Some(node) = tree.find(ROOT, &["service", service]) {
            nat.wan.extend(tree.values(node, key));
        }
    }
    nat
}

/// Marks the keys every NAT rule may carry without bearing on the facts.
fn mark_common(ctx: &Ctx<'_>, rule: NodeId) {
    let tree = &ctx.tree;
    tree.mark(rule);
    for key in ["description", "log", "packet-type", "load-balance"] {
        tree.mark_child(rule, key);
    }
}

/// `disable` / `exclude`: the rule translates nothing.
fn inactive(ctx: &Ctx<'_>, rule: NodeId) -> bool {
    let tree = &ctx.tree;
    let mut inactive = false;
    for key in ["disable", "exclude"] {
        if let Some(child) = tree.child(rule, key) {
            tree.mark_tree(child);
            inactive = true;
        }
    }
    inactive
}

fn protocol_of(ctx: &Ctx<'_>, rule: NodeId) -> Proto {
    ctx.tree
        .value(rule, "protocol")
        .map_or(Proto::Any, |(p, _)| proto(p))
}

fn vyos_source<'a>(ctx: &Ctx<'a>, groups: &Groups<'a>, rule: NodeId, nat: &mut Nat<'a>) {
    let tree = &ctx.tree;
    mark_common(ctx, rule);
    let out = if_match(ctx, groups, rule, "outbound-interface");
    if let Some(out) = &out
        && !out.negated
    {
        nat.wan
            .extend(out.names.iter().copied().filter(|n| *n != "any"));
    }
    let disabled = inactive(ctx, rule);
    let protocol = protocol_of(ctx, rule);
    // The source does not change a source NAT fact; read for the coverage.
    endpoint(ctx, groups, tree.child(rule, "source"), None);
    let destination = endpoint(ctx, groups, tree.child(rule, "destination"), None);
    let mut preservation = Some(true);
    if let Some(translation) = tree.child(rule, "translation") {
        tree.mark(translation);
        if tree.value(translation, "address").is_none() {
            // A rule without a translation address translates nothing the model knows.
            preservation = None;
        }
        if tree.value(translation, "port").is_some() {
            // Ports mapped into a range: kept only when inside it; cannot tell.
            preservation = None;
        }
        if let Some(options) = tree.child(translation, "options") {
            tree.mark(options);
            tree.mark_child(options, "address-mapping");
            match tree.value(options, "port-mapping") {
                Some(("random" | "fully-random", _)) => preservation = Some(false),
                Some(("none", _)) | None => {}
                Some(_) => preservation = None,
            }
        }
    } else {
        return;
    }
    if disabled {
        return;
    }
    let Some(ports) = ports_of(&destination) else {
        return;
    };
    let protocols = match protocol {
        Proto::One(p) => vec![Some(p)],
        Proto::Other => return,
        _ => vec![None],
    };
    nat.sources.push(SourceRule {
        node: rule,
        out,
        protocols,
        ports,
        preservation,
    });
}

fn vyos_destination<'a>(ctx: &Ctx<'a>, groups: &Groups<'a>, rule: NodeId, nat: &mut Nat<'a>) {
    let tree = &ctx.tree;
    mark_common(ctx, rule);
    let inbound = if_match(ctx, groups, rule, "inbound-interface");
    let disabled = inactive(ctx, rule);
    let protocol = protocol_of(ctx, rule);
    let source = endpoint(ctx, groups, tree.child(rule, "source"), None);
    let destination = endpoint(ctx, groups, tree.child(rule, "destination"), None);
    let Some(translation) = tree.child(rule, "translation") else {
        return;
    };
    tree.mark(translation);
    let to = tree
        .value(translation, "address")
        .and_then(|(a, _)| host(a));
    let to_ports = tree
        .value(translation, "port")
        .and_then(|(p, _)| match port_match(p) {
            Some(PortMatch::Ports(p)) => Some(p),
            _ => None,
        });
    tree.mark_child(translation, "options");
    tree.mark_child(translation, "redirect");
    if disabled {
        return;
    }
    let Some(outside) = ports_of(&destination) else {
        return;
    };
    let Some(forward_protocol) = forward_protocol(protocol) else {
        return;
    };
    let to_ports = to_ports.filter(|p| *p != outside);
    nat.dests.push(DestRule {
        nodes: vec![rule],
        inbound,
        protocol: forward_protocol,
        protocols: protocol.protocols(),
        outside,
        to,
        to_ports,
        source: sources(&source),
    });
}

fn edgeos_rule<'a>(ctx: &Ctx<'a>, groups: &Groups<'a>, rule: NodeId, nat: &mut Nat<'a>) {
    let tree = &ctx.tree;
    mark_common(ctx, rule);
    let kind = tree.value(rule, "type").map(|(t, _)| t);
    let disabled = inactive(ctx, rule);
    let protocol = protocol_of(ctx, rule);
    let source = endpoint(ctx, groups, tree.child(rule, "source"), None);
    let destination = endpoint(ctx, groups, tree.child(rule, "destination"), None);
    match kind {
        Some("masquerade" | "source") => {
            let out = if_match(ctx, groups, rule, "outbound-interface");
            if let Some(out) = &out
                && !out.negated
            {
                nat.wan.extend(out.names.iter().copied());
            }
            let mut preservation = Some(true);
            if let Some(outside) = tree.child(rule, "outside-address") {
                tree.mark(outside);
                tree.mark_child(outside, "address");
                if tree.value(outside, "port").is_some() {
                    preservation = None;
                }
            }
            if disabled {
                return;
            }
            let Some(ports) = ports_of(&destination) else {
                return;
            };
            let protocols = match protocol {
                Proto::One(p) => vec![Some(p)],
                Proto::Other => return,
                _ => vec![None],
            };
            nat.sources.push(SourceRule {
                node: rule,
                out,
                protocols,
                ports,
                preservation,
            });
        }
        Some("destination") => {
            let inbound = if_match(ctx, groups, rule, "inbound-interface");
            let (mut to, mut to_ports) = (None, None);
            if let Some(inside) = tree.child(rule, "inside-address") {
                tree.mark(inside);
                to = tree.value(inside, "address").and_then(|(a, _)| host(a));
                to_ports = tree
                    .value(inside, "port")
                    .and_then(|(p, _)| match port_match(p) {
                        Some(PortMatch::Ports(p)) => Some(p),
                        _ => None,
                    });
            }
            if disabled {
                return;
            }
            let Some(outside) = ports_of(&destination) else {
                return;
            };
            let Some(forward_protocol) = forward_protocol(protocol) else {
                return;
            };
            let to_ports = to_ports.filter(|p| *p != outside);
            nat.dests.push(DestRule {
                nodes: vec![rule],
                inbound,
                protocol: forward_protocol,
                protocols: protocol.protocols(),
                outside,
                to,
                to_ports,
                source: sources(&source),
            });
        }
        // No type, or one the model has no fact for: the line stays unread.
        _ => {}
    }
}

fn port_forward<'a>(ctx: &Ctx<'a>, nat: &mut Nat<'a>) {
    let tree = &ctx.tree;
    let Some(pf) = tree.find(ROOT, &["port-forward"]) else {
        return;
    };
    tree.mark(pf);
    let wan = tree.value(pf, "wan-interface");
    if let Some((name, _)) = wan {
        nat.wan.push(name);
    }
    for key in ["lan-interface", "hairpin-nat"] {
        tree.mark_child(pf, key);
    }
    if let Some(("enable", leaf)) = tree.value(pf, "auto-firewall") {
        nat.auto_firewall = Some(leaf);
    }
    let Some(rules) = tree.child(pf, "rule") else {
        return;
    };
    for (_, rule) in numbered(ctx, rules) {
        mark_common(ctx, rule);
        let protocol = protocol_of(ctx, rule);
        let Some((original, _)) = tree.value(rule, "original-port") else {
            continue;
        };
        let Some(PortMatch::Ports(outside)) = port_match(original) else {
            continue;
        };
        let (mut to, mut to_ports) = (None, None);
        if let Some(target) = tree.child(rule, "forward-to") {
            tree.mark(target);
            to = tree.value(target, "address").and_then(|(a, _)| host(a));
            to_ports = tree
                .value(target, "port")
                .and_then(|(p, _)| match port_match(p) {
                    Some(PortMatch::Ports(p)) => Some(p),
                    _ => None,
                });
        }
        let Some(forward_protocol) = forward_protocol(protocol) else {
            continue;
        };
        let mut nodes = vec![rule];
        nodes.extend(wan.map(|(_, leaf)| leaf));
        nat.port_forwards.push(DestRule {
            nodes,
            inbound: wan.map(|(name, _)| IfMatch {
                names: vec![name],
                negated: false,
            }),
            protocol: forward_protocol,
            protocols: protocol.protocols(),
            to_ports: to_ports.filter(|p| *p != outside),
            outside,
            to,
            source: Vec::new(),
        });
    }
}

/// Whether an interface match names only inside interfaces (a LAN redirect, a hairpin rule).
fn inside_only(sides: &Sides, m: &Option<IfMatch<'_>>) -> bool {
    match m {
        Some(m) if !m.negated && !m.names.is_empty() => m
            .names
            .iter()
            .all(|n| matches!(sides.side(n), Side::Lan | Side::Local)),
        _ => false,
    }
}

impl Nat<'_> {
    /// Source NAT and forwards into `device`; returns the Inbound accepts EdgeOS
    /// `auto-firewall` adds for its port forwards (evaluated before the `in` rulesets).
    pub fn facts(&self, ctx: &Ctx<'_>, sides: &Sides, device: &mut Device) -> Vec<FilterRule> {
        for rule in &self.sources {
            if inside_only(sides, &rule.out) {
                continue;
            }
            for protocol in &rule.protocols {
                device.source_nat.push(SourceNat {
                    port_preservation: rule.preservation,
                    ports: rule.ports.clone(),
                    protocol: *protocol,
                    evidence: ctx.evidence(rule.node),
                });
            }
        }
        let mut accepts = Vec::new();
        for rule in self.dests.iter().chain(self.port_forwards.iter()) {
            if inside_only(sides, &rule.inbound) {
                continue;
            }
            device.forwards.push(Forward {
                protocol: rule.protocol,
                outside_ports: rule.outside.clone(),
                to: rule.to,
                to_ports: rule.to_ports.clone(),
                source: rule.source.clone(),
                evidence: ctx.evidence_of(&rule.nodes),
            });
        }
        if let Some(leaf) = self.auto_firewall {
            for rule in &self.port_forwards {
                if inside_only(sides, &rule.inbound) {
                    continue;
                }
                let mut nodes = rule.nodes.clone();
                nodes.push(leaf);
                let inside = rule
                    .to_ports
                    .clone()
                    .unwrap_or_else(|| rule.outside.clone());
                for protocol in &rule.protocols {
                    accepts.push(FilterRule {
                        path: Path::Inbound,
                        protocol: *protocol,
                        source: Vec::new(),
                        source_ports: Ports::Any,
                        destination: rule
                            .to
                            .map(|ip| vec![Address::Net(IpNet::from(ip))])
                            .unwrap_or_default(),
                        destination_ports: inside.clone(),
                        action: Action::Accept,
                        conditional: false,
                        evidence: ctx.evidence_of(&nodes),
                    });
                }
            }
        }
        accepts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::formats::Hints;
    use crate::formats::vyos::test_device;

    #[test]
    fn source_nat_port_preservation() {
        let device = test_device(
            "set nat source rule 10 outbound-interface name 'eth0'\n\
             set nat source rule 10 translation address 'masquerade'\n\
             set nat source rule 20 outbound-interface name 'eth0'\n\
             set nat source rule 20 protocol 'udp'\n\
             set nat source rule 20 destination port '5060'\n\
             set nat source rule 20 translation address '203.0.113.5'\n\
             set nat source rule 20 translation port '40000-50000'\n\
             set nat source rule 30 outbound-interface name 'eth0'\n\
             set nat source rule 30 translation address 'masquerade'\n\
             set nat source rule 30 translation options port-mapping 'random'\n\
             set nat source rule 40 outbound-interface name 'eth0'\n\
             set nat source rule 40 exclude\n\
             set nat source rule 40 translation address 'masquerade'\n\
             set nat source rule 50 outbound-interface name 'eth1'\n\
             set nat source rule 50 destination address '10.0.0.0/8'\n\
             set nat source rule 50 translation address 'masquerade'\n",
            &Hints {
                wan: vec!["eth0".into()],
                lan: vec!["eth1".into()],
            },
        );
        let found: Vec<_> = device
            .source_nat
            .iter()
            .map(|n| (n.port_preservation, n.protocol, n.ports.to_string()))
            .collect();
        assert_eq!(
            found,
            vec![
                (Some(true), None, "any".to_string()),
                (None, Some(Protocol::Udp), "5060".to_string()),
                (Some(false), None, "any".to_string()),
            ]
        );
    }

    #[test]
    fn edgeos_destination_rules_and_port_forwards() {
        let device = test_device(
            "set service nat rule 1 type destination\n\
             set service nat rule 1 inbound-interface eth0\n\
             set service nat rule 1 protocol tcp_udp\n\
             set service nat rule 1 inside-address address 192.168.1.2\n\
             set service nat rule 2 type destination\n\
             set service nat rule 2 inbound-interface eth0\n\
             set service nat rule 2 protocol tcp\n\
             set service nat rule 2 destination port 2222\n\
             set service nat rule 2 inside-address address 192.168.1.3\n\
             set service nat rule 2 inside-address port 22\n\
             set service nat rule 3 type masquerade\n\
             set service nat rule 3 outbound-interface eth0\n\
             set port-forward wan-interface eth0\n\
             set port-forward rule 1 original-port 5060\n\
             set port-forward rule 1 protocol udp\n\
             set port-forward rule 1 forward-to address 192.168.1.4\n",
            &Hints::default(),
        );
        let forwards: Vec<_> = device
            .forwards
            .iter()
            .map(|f| {
                (
                    f.protocol,
                    f.outside_ports.to_string(),
                    f.inside_ports().to_string(),
                    f.to.map(|t| t.to_string()),
                )
            })
            .collect();
        assert_eq!(
            forwards,
            vec![
                // A DMZ host: every port, every protocol.
                (None, "any".into(), "any".into(), Some("192.168.1.2".into())),
                (
                    Some(Protocol::Tcp),
                    "2222".into(),
                    "22".into(),
                    Some("192.168.1.3".into())
                ),
                (
                    Some(Protocol::Udp),
                    "5060".into(),
                    "5060".into(),
                    Some("192.168.1.4".into())
                ),
            ]
        );
        // Without `auto-firewall enable` the forwards add no filter rules.
        assert!(device.filters.is_empty());
    }

    #[test]
    fn hosts() {
        assert_eq!(host("192.168.1.10"), "192.168.1.10".parse().ok());
        assert_eq!(host("192.168.1.10/32"), "192.168.1.10".parse().ok());
        assert_eq!(host("192.168.1.0/24"), None);
        assert_eq!(host("10.0.0.1-10.0.0.9"), None);
    }
}
