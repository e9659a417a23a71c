//! Named objects and matchers shared by firewall and NAT rules: `firewall group …` (address,
//! network, port, domain and interface groups, with `include`), the `source` / `destination`
//! side of a rule, and interface matches (`inbound-interface eth0`, `… name eth0`,
//! `… group IFS`).

use std::collections::{HashMap, HashSet};

use ipnet::IpNet;
use sipwall_firewall::model::{Address, Ports};

use super::Ctx;
use super::topology::{Side, Sides};
use super::tree::{NodeId, ROOT};
use super::values::{self, PortMatch, port_list, port_match};

/// Group `include`s followed.
const MAX_INCLUDES: u8 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Family {
    V4,
    V6,
}

#[derive(Debug)]
struct RawGroup<'a> {
    members: Vec<&'a str>,
    includes: Vec<&'a str>,
    /// Members the export cannot show (`remote-group` URL, `dynamic-group`).
    opaque: bool,
}

/// `firewall group …`: address, network, port, domain and interface groups.
#[derive(Debug, Default)]
pub(super) struct Groups<'a> {
    raw: HashMap<(&'static str, &'a str), RawGroup<'a>>,
}

/// Group kinds and the key of their members.
const GROUP_KINDS: &[(&str, &str)] = &[
    ("address-group", "address"),
    ("network-group", "network"),
    ("ipv6-address-group", "address"),
    ("ipv6-network-group", "network"),
    ("port-group", "port"),
    ("domain-group", "address"),
    ("interface-group", "interface"),
    ("mac-group", "mac-address"),
    ("remote-group", "url"),
    ("dynamic-group", ""),
];

impl<'a> Groups<'a> {
    pub fn read(ctx: &Ctx<'a>) -> Groups<'a> {
        let tree = &ctx.tree;
        let mut groups = Groups::default();
        let Some(root) = tree.find(ROOT, &["firewall", "group"]) else {
            return groups;
        };
        tree.mark(root);
        for kind_node in tree.children(root).collect::<Vec<_>>() {
            let Some(&(kind, member_key)) =
                GROUP_KINDS.iter().find(|(k, _)| *k == tree.key(kind_node))
            else {
                continue;
            };
            tree.mark(kind_node);
            for group in tree.children(kind_node).collect::<Vec<_>>() {
                tree.mark(group);
                let mut raw = RawGroup {
                    members: Vec::new(),
                    includes: Vec::new(),
                    opaque: matches!(kind, "remote-group" | "dynamic-group"),
                };
                for child in tree.children(group).collect::<Vec<_>>() {
                    let key = tree.key(child);
                    if key == member_key {
                        raw.members.extend(tree.values(group, key));
                    } else if key == "include" {
                        raw.includes.extend(tree.values(group, key));
                    } else if key == "description" || raw.opaque {
                        tree.mark_tree(child);
                    }
                }
                groups.raw.insert((kind, tree.key(group)), raw);
            }
        }
        groups
    }

    /// The members of a group and its includes; `None` when a group is missing or opaque.
    fn members(&self, kind: &'static str, name: &str, out: &mut Vec<&'a str>) -> bool {
        // Each group once (a group included twice, or a loop, adds nothing more), at most
        // MAX_INCLUDES levels deep.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<(&str, u8)> = vec![(name, 0)];
        while let Some((name, depth)) = stack.pop() {
            if !seen.insert(name) {
                continue;
            }
            let Some(group) = self.raw.get(&(kind, name)) else {
                return false;
            };
            if group.opaque || (depth >= MAX_INCLUDES && !group.includes.is_empty()) {
                return false;
            }
            out.extend_from_slice(&group.members);
            stack.extend(group.includes.iter().map(|include| (*include, depth + 1)));
        }
        // An empty group matches nothing; read as "any" it would be the opposite.
        !out.is_empty()
    }

    fn kind(kind: &str) -> Option<&'static str> {
        GROUP_KINDS.iter().map(|(k, _)| *k).find(|k| *k == kind)
    }

    /// The networks of an address or network group; IPv6 rules name IPv6 groups with the
    /// same keywords on 1.4, so the other family's kind is tried too.
    pub fn nets(&self, kind: &str, name: &str, family: Option<Family>) -> Option<Vec<IpNet>> {
        let base = kind.trim_start_matches("ipv6-");
        let v6 = format!("ipv6-{base}");
        let order: [&str; 2] = if family == Some(Family::V6) || kind.starts_with("ipv6-") {
            [v6.as_str(), base]
        } else {
            [base, v6.as_str()]
        };
        for candidate in order {
            let Some(kind) = Self::kind(candidate) else {
                continue;
            };
            let mut members = Vec::new();
            if self.members(kind, name, &mut members) {
                let mut out = Vec::new();
                for member in members {
                    out.extend(values::nets(member)?);
                }
                return Some(out);
            }
        }
        None
    }

    pub fn domains(&self, name: &str) -> Option<Vec<&'a str>> {
        let mut members = Vec::new();
        self.members("domain-group", name, &mut members)
            .then_some(members)
    }

    pub fn ports(&self, name: &str) -> Option<Ports> {
        let mut members = Vec::new();
        if !self.members("port-group", name, &mut members) {
            return None;
        }
        let mut ranges = Vec::new();
        for member in members {
            ranges.extend(port_list(member)?.ranges());
        }
        Some(Ports::from_ranges(ranges))
    }

    pub fn interfaces(&self, name: &str) -> Option<Vec<&'a str>> {
        let mut members = Vec::new();
        self.members("interface-group", name, &mut members)
            .then_some(members)
    }
}

/// One side (`source` / `destination`) of a rule.
#[derive(Debug, Clone, Default)]
pub(super) struct Endpoint {
    /// Empty: any address.
    pub addresses: Vec<Address>,
    pub negated: bool,
    /// A group or value that could not be read: the match is unknown.
    pub unresolved: bool,
    /// `None`: any port.
    pub ports: Option<PortMatch>,
    /// A matcher the model has no field for (MAC, GeoIP): only some packets match.
    pub narrow: bool,
}

impl Endpoint {
    pub fn is_any(&self) -> bool {
        self.addresses.is_empty() && self.ports.is_none() && !self.unresolved && !self.narrow
    }

    /// The addresses a packet from anywhere meets: a negation matches an arbitrary address.
    pub fn effective(&self) -> Option<Vec<Address>> {
        if self.negated || self.addresses.is_empty() {
            None
        } else {
            Some(self.addresses.clone())
        }
    }
}

fn nets_to_addresses(nets: Vec<IpNet>) -> impl Iterator<Item = Address> {
    nets.into_iter().map(Address::Net)
}

pub(super) fn endpoint<'a>(
    ctx: &Ctx<'a>,
    groups: &Groups<'a>,
    node: Option<NodeId>,
    family: Option<Family>,
) -> Endpoint {
    let tree = &ctx.tree;
    let mut out = Endpoint::default();
    let Some(node) = node else {
        return out;
    };
    tree.mark(node);
    for child in tree.children(node).collect::<Vec<_>>() {
        match tree.key(child) {
            "address" => match tree.children(child).last().map(|v| tree.key(v)) {
                Some(text) => match values::address(text) {
                    Some((nets, negated)) => {
                        tree.mark_tree(child);
                        out.addresses.extend(nets_to_addresses(nets));
                        out.negated |= negated;
                    }
                    None => out.unresolved = true,
                },
                None => out.unresolved = true,
            },
            "port" => match tree.children(child).last().map(|v| tree.key(v)) {
                Some(text) => match port_match(text) {
                    Some(ports) => {
                        tree.mark_tree(child);
                        out.ports = Some(ports);
                    }
                    None => out.unresolved = true,
                },
                None => out.unresolved = true,
            },
            "fqdn" => {
                tree.mark_tree(child);
                out.addresses.extend(
                    tree.children(child)
                        .map(|v| Address::Fqdn(tree.key(v).to_string())),
                );
            }
            "group" => {
                tree.mark(child);
                for kind_node in tree.children(child).collect::<Vec<_>>() {
                    tree.mark(kind_node);
                    let kind = tree.key(kind_node);
                    for name_node in tree.children(kind_node).collect::<Vec<_>>() {
                        let name = tree.key(name_node);
                        let (negated, name) = match name.strip_prefix('!') {
                            Some(rest) => (true, rest),
                            None => (false, name),
                        };
                        let resolved = match kind {
                            "address-group" | "network-group" | "ipv6-address-group"
                            | "ipv6-network-group" => groups.nets(kind, name, family).map(|nets| {
                                out.addresses.extend(nets_to_addresses(nets));
                                out.negated |= negated;
                            }),
                            "domain-group" => groups.domains(name).map(|names| {
                                out.addresses
                                    .extend(names.iter().map(|n| Address::Fqdn(n.to_string())));
                                out.negated |= negated;
                            }),
                            "port-group" => groups.ports(name).map(|ports| {
                                out.ports = Some(if negated {
                                    match Ports::Any.subtract(&ports) {
                                        Some(left) => PortMatch::Ports(left),
                                        None => PortMatch::Nothing,
                                    }
                                } else {
                                    PortMatch::Ports(ports)
                                });
                            }),
                            "mac-group" => {
                                out.narrow = true;
                                Some(())
                            }
                            _ => None,
                        };
                        // A group that is missing (or named in another file) leaves its line
                        // unknown and the match unresolved.
                        match resolved {
                            Some(()) => tree.mark_tree(name_node),
                            None => out.unresolved = true,
                        }
                    }
                }
            }
            "mac-address" | "geoip" | "address-mask" => {
                tree.mark_tree(child);
                out.narrow = true;
            }
            _ => out.unresolved = true,
        }
    }
    out
}

/// An interface match: `inbound-interface eth0` (1.3, EdgeOS NAT), `… name eth0` or
/// `… group IFS` (1.4).
#[derive(Debug, Clone)]
pub(super) struct IfMatch<'a> {
    pub names: Vec<&'a str>,
    pub negated: bool,
}

pub(super) fn if_match<'a>(
    ctx: &Ctx<'a>,
    groups: &Groups<'a>,
    parent: NodeId,
    key: &str,
) -> Option<IfMatch<'a>> {
    let tree = &ctx.tree;
    let leaf = tree.child(parent, key)?;
    tree.mark_tree(leaf);
    let (kind, value) = if let Some((value, _)) = tree.value(leaf, "name") {
        ("name", value)
    } else if let Some((value, _)) = tree.value(leaf, "group") {
        ("group", value)
    } else {
        ("name", tree.key(tree.children(leaf).last()?))
    };
    let (negated, value) = match value.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    if value == "any" {
        return None;
    }
    let names = if kind == "group" {
        groups.interfaces(value).unwrap_or_default()
    } else {
        vec![value]
    };
    Some(IfMatch { names, negated })
}

impl IfMatch<'_> {
    pub fn matches(&self, sides: &Sides, side: Side) -> bool {
        if self.negated {
            !self.names.iter().all(|n| sides.side(n) == side)
        } else {
            self.names.iter().any(|n| sides.side(n) == side)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Hints;
    use crate::formats::vyos::test_ctx;
    use crate::source::Source;

    const GROUPS: &str = "\
set firewall group address-group A address '10.0.0.1'
set firewall group address-group A address '10.0.0.8-10.0.0.9'
set firewall group address-group A include 'B'
set firewall group address-group B address '10.0.1.0/24'
set firewall group address-group LOOP include 'LOOP'
set firewall group ipv6-address-group A address '2001:db8::1'
set firewall group port-group P port 'sip'
set firewall group port-group P port '10000-20000'
set firewall group domain-group D address 'sip.example.net'
set firewall group interface-group WAN interface 'eth0'
set firewall group remote-group R url 'https://example.net/list'
set firewall name X rule 1 source group address-group '!A'
set firewall name X rule 1 destination group port-group 'P'
set firewall name X rule 2 destination group address-group 'MISSING'
set firewall name X rule 2 source geoip country-code 'nl'
set nat source rule 1 outbound-interface group 'WAN'
";

    #[test]
    fn groups_resolve_with_includes_and_families() {
        let source = Source::new("x", GROUPS);
        let hints = Hints::default();
        let ctx = test_ctx(&source, &hints);
        let groups = Groups::read(&ctx);
        let text = |nets: Vec<IpNet>| nets.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            text(groups.nets("address-group", "A", Some(Family::V4)).unwrap()),
            vec!["10.0.0.1/32", "10.0.0.8/31", "10.0.1.0/24"]
        );
        assert_eq!(
            text(groups.nets("address-group", "A", Some(Family::V6)).unwrap()),
            vec!["2001:db8::1/128"]
        );
        assert!(groups.nets("address-group", "LOOP", None).is_none());
        assert!(groups.nets("address-group", "MISSING", None).is_none());
        assert_eq!(groups.ports("P").unwrap().to_string(), "5060,10000-20000");
        assert_eq!(groups.domains("D").unwrap(), vec!["sip.example.net"]);
        assert_eq!(groups.interfaces("WAN").unwrap(), vec!["eth0"]);
        assert!(groups.nets("address-group", "R", None).is_none());
    }

    #[test]
    fn endpoints_and_interface_matches() {
        let source = Source::new("x", GROUPS);
        let hints = Hints::default();
        let ctx = test_ctx(&source, &hints);
        let groups = Groups::read(&ctx);
        let tree = &ctx.tree;
        let rule = |n: &str| {
            tree.find(ROOT, &["firewall", "name", "X", "rule", n])
                .unwrap()
        };
        let source_1 = endpoint(&ctx, &groups, tree.child(rule("1"), "source"), None);
        assert!(source_1.negated);
        assert_eq!(source_1.addresses.len(), 3);
        assert!(source_1.effective().is_none());
        let destination_1 = endpoint(&ctx, &groups, tree.child(rule("1"), "destination"), None);
        assert_eq!(
            destination_1.ports,
            Some(PortMatch::Ports(port_list("5060,10000-20000").unwrap()))
        );
        let destination_2 = endpoint(&ctx, &groups, tree.child(rule("2"), "destination"), None);
        assert!(destination_2.unresolved);
        let source_2 = endpoint(&ctx, &groups, tree.child(rule("2"), "source"), None);
        assert!(source_2.narrow && !source_2.is_any());
        let nat = tree.find(ROOT, &["nat", "source", "rule", "1"]).unwrap();
        let m = if_match(&ctx, &groups, nat, "outbound-interface").unwrap();
        assert_eq!(m.names, vec!["eth0"]);
        assert!(!m.negated);
    }
}
