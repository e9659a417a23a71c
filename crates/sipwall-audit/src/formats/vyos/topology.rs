//! Where things are: interfaces (with their `firewall in|out|local` bindings on VyOS 1.3 /
//! EdgeOS, descriptions, PPPoE sessions), zones (`zone-policy zone`, `firewall zone`), and
//! which of them are the WAN and the LAN: `--wan` / `--lan` first, else what NAT, zones,
//! ruleset names and descriptions say.

use std::collections::{HashMap, HashSet};

use sipwall_firewall::model::Action;

use super::Ctx;
use super::nat::Nat;
use super::objects::Family;
use super::tree::{NodeId, ROOT};

/// Where an interface or zone is, seen from the customer's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Wan,
    Lan,
    /// The router itself (loopback, the local zone).
    Local,
    Unknown,
}

/// `interfaces … firewall in|out|local name|ipv6-name X` (VyOS 1.3, EdgeOS).
#[derive(Debug, Clone)]
pub(super) struct Binding<'a> {
    pub iface: String,
    pub direction: &'a str,
    pub family: Family,
    pub chain: &'a str,
}

#[derive(Debug, Default)]
pub(super) struct Interfaces<'a> {
    pub bindings: Vec<Binding<'a>>,
    pub descriptions: Vec<(String, &'a str)>,
    /// PPPoE sessions and the interface they run over (`pppoe0` over `eth0`): one WAN.
    pub pppoe: Vec<(String, String)>,
}

pub(super) fn interfaces<'a>(ctx: &Ctx<'a>) -> Interfaces<'a> {
    let tree = &ctx.tree;
    let mut out = Interfaces::default();
    let Some(root) = tree.child(ROOT, "interfaces") else {
        return out;
    };
    // (node, interface name, depth): vif / pppoe / vif-s / vif-c nest a few levels.
    let mut stack: Vec<(NodeId, String, u8)> = Vec::new();
    for kind in tree.children(root) {
        for iface in tree.children(kind) {
            stack.push((iface, tree.key(iface).to_string(), 0));
        }
    }
    while let Some((node, name, depth)) = stack.pop() {
        for child in tree.children(node) {
            match tree.key(child) {
                "description" => {
                    if let Some(value) = tree.children(child).last() {
                        out.descriptions.push((name.clone(), tree.key(value)));
                    }
                }
                "firewall" => bindings(ctx, child, &name, &mut out.bindings),
                "vif" | "vif-s" | "vif-c" if depth < 4 => {
                    for sub in tree.children(child) {
                        stack.push((sub, format!("{name}.{}", tree.key(sub)), depth + 1));
                    }
                }
                "pppoe" if depth < 4 => {
                    for sub in tree.children(child) {
                        let session = format!("pppoe{}", tree.key(sub));
                        out.pppoe.push((session.clone(), name.clone()));
                        stack.push((sub, session, depth + 1));
                    }
                }
                "source-interface" if name.starts_with("pppoe") => {
                    if let Some(value) = tree.children(child).last() {
                        out.pppoe.push((name.clone(), tree.key(value).to_string()));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn bindings<'a>(ctx: &Ctx<'a>, firewall: NodeId, iface: &str, out: &mut Vec<Binding<'a>>) {
    let tree = &ctx.tree;
    tree.mark(firewall);
    for direction in tree.children(firewall) {
        let dir = tree.key(direction);
        match dir {
            "in" | "out" | "local" => {
                tree.mark(direction);
                for (key, family) in [("name", Family::V4), ("ipv6-name", Family::V6)] {
                    if let Some((chain, _)) = tree.value(direction, key) {
                        out.push(Binding {
                            iface: iface.to_string(),
                            direction: dir,
                            family,
                            chain,
                        });
                    }
                }
                // Policy routing rulesets on the same node: not filtering.
                for key in ["modify", "ipv6-modify"] {
                    tree.mark_child(direction, key);
                }
            }
            _ => {}
        }
    }
}

#[derive(Debug)]
pub(super) struct ZoneFrom<'a> {
    pub zone: &'a str,
    pub v4: Option<&'a str>,
    pub v6: Option<&'a str>,
}

/// A zone of `zone-policy zone` (1.3, EdgeOS) or `firewall zone` (1.4).
#[derive(Debug)]
pub(super) struct Zone<'a> {
    pub name: &'a str,
    pub interfaces: Vec<&'a str>,
    pub local: bool,
    pub default: Option<(Action, NodeId)>,
    pub from: Vec<ZoneFrom<'a>>,
}

pub(super) fn zones<'a>(ctx: &Ctx<'a>) -> Vec<Zone<'a>> {
    let tree = &ctx.tree;
    let mut out = Vec::new();
    for path in [&["zone-policy", "zone"][..], &["firewall", "zone"]] {
        let Some(root) = tree.find(ROOT, path) else {
            continue;
        };
        tree.mark(root);
        for node in tree.children(root) {
            tree.mark(node);
            let mut zone = Zone {
                name: tree.key(node),
                interfaces: tree.values(node, "interface"),
                local: false,
                default: None,
                from: Vec::new(),
            };
            if let Some(member) = tree.child(node, "member") {
                tree.mark(member);
                zone.interfaces.extend(tree.values(member, "interface"));
            }
            if let Some(local) = tree.child(node, "local-zone") {
                tree.mark_tree(local);
                zone.local = true;
            }
            if let Some((action, leaf)) = tree.value(node, "default-action") {
                zone.default = match action {
                    "accept" => Some((Action::Accept, leaf)),
                    "drop" | "reject" => Some((Action::Drop, leaf)),
                    _ => None,
                };
            }
            for key in [
                "description",
                "intra-zone-filtering",
                "default-log",
                "enable-default-log",
            ] {
                tree.mark_child(node, key);
            }
            if let Some(from) = tree.child(node, "from") {
                tree.mark(from);
                for source in tree.children(from) {
                    tree.mark(source);
                    let firewall = tree.child(source, "firewall");
                    if let Some(firewall) = firewall {
                        tree.mark(firewall);
                    }
                    zone.from.push(ZoneFrom {
                        zone: tree.key(source),
                        v4: firewall.and_then(|f| tree.value(f, "name")).map(|v| v.0),
                        v6: firewall
                            .and_then(|f| tree.value(f, "ipv6-name"))
                            .map(|v| v.0),
                    });
                }
            }
            out.push(zone);
        }
    }
    out
}

/// Which interfaces are the WAN and the LAN: `--wan` / `--lan` first, else what NAT, zones,
/// ruleset names and descriptions say.
#[derive(Debug, Default)]
pub(super) struct Sides {
    wan: HashSet<String>,
    lan: HashSet<String>,
    lan_hinted: bool,
    zones: HashMap<String, Side>,
}

fn wan_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "wan", "internet", "outside", "untrust", "external", "isp", "uplink",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

impl Sides {
    pub fn infer(
        ctx: &Ctx<'_>,
        nat: &Nat<'_>,
        interfaces: &Interfaces<'_>,
        zones: &[Zone<'_>],
    ) -> Sides {
        let hints = ctx.hints;
        let usable = |n: &&&str| !n.is_empty() && **n != "lo" && !n.ends_with(['+', '*']);
        let mut sides = Sides {
            wan: hints.wan.iter().cloned().collect(),
            lan: hints.lan.iter().cloned().collect(),
            lan_hinted: !hints.lan.is_empty(),
            zones: HashMap::new(),
        };
        // Hints may name zones: their interfaces take the zone's side.
        for zone in zones {
            if hints.is_wan(zone.name) {
                sides
                    .wan
                    .extend(zone.interfaces.iter().map(|s| s.to_string()));
            }
            if hints.is_lan(zone.name) {
                sides
                    .lan
                    .extend(zone.interfaces.iter().map(|s| s.to_string()));
                sides.lan_hinted = true;
            }
        }
        if hints.wan.is_empty() {
            sides
                .wan
                .extend(nat.wan.iter().filter(usable).map(|s| s.to_string()));
            for zone in zones.iter().filter(|z| !z.local && wan_like(z.name)) {
                sides
                    .wan
                    .extend(zone.interfaces.iter().filter(usable).map(|s| s.to_string()));
            }
        }
        if sides.wan.is_empty() {
            // EdgeOS wizards name the WAN rulesets WAN_IN / WAN_LOCAL.
            for binding in &interfaces.bindings {
                if binding.direction != "out" && binding.chain.to_ascii_uppercase().contains("WAN")
                {
                    sides.wan.insert(binding.iface.clone());
                }
            }
        }
        if sides.wan.is_empty() {
            for (iface, description) in &interfaces.descriptions {
                if wan_like(description) {
                    sides.wan.insert(iface.clone());
                }
            }
        }
        // A PPPoE session and the interface under it are one WAN.
        for (session, under) in &interfaces.pppoe {
            if sides.wan.contains(session) {
                sides.wan.insert(under.clone());
            } else if sides.wan.contains(under) {
                sides.wan.insert(session.clone());
            }
        }
        if sides.wan.is_empty() && sides.lan.is_empty() {
            for binding in &interfaces.bindings {
                if binding.direction == "in" && binding.chain.to_ascii_uppercase().contains("LAN") {
                    sides.lan.insert(binding.iface.clone());
                }
            }
        }
        for zone in zones {
            let side = if zone.local {
                Side::Local
            } else if hints.is_wan(zone.name) {
                Side::Wan
            } else if hints.is_lan(zone.name) {
                Side::Lan
            } else {
                let ifaces: Vec<Side> = zone.interfaces.iter().map(|i| sides.side(i)).collect();
                if ifaces.contains(&Side::Wan) || (hints.wan.is_empty() && wan_like(zone.name)) {
                    Side::Wan
                } else if ifaces.contains(&Side::Lan) {
                    Side::Lan
                } else {
                    Side::Unknown
                }
            };
            sides.zones.insert(zone.name.to_string(), side);
        }
        sides
    }

    pub fn side(&self, iface: &str) -> Side {
        if iface == "lo" {
            Side::Local
        } else if self.wan.contains(iface) {
            Side::Wan
        } else if self.lan.contains(iface) {
            Side::Lan
        } else if !self.lan_hinted && !self.wan.is_empty() {
            // Every interface that is not the WAN is inside.
            Side::Lan
        } else {
            Side::Unknown
        }
    }

    pub fn zone(&self, name: &str) -> Side {
        self.zones.get(name).copied().unwrap_or(Side::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Hints;
    use crate::formats::vyos::objects::Groups;
    use crate::formats::vyos::{nat, test_ctx};
    use crate::source::Source;

    fn sides(text: &str, hints: &Hints) -> Sides {
        let source = Source::new("x", text.to_string());
        let ctx = test_ctx(&source, hints);
        let groups = Groups::read(&ctx);
        let nat = nat::read(&ctx, &groups);
        Sides::infer(&ctx, &nat, &interfaces(&ctx), &zones(&ctx))
    }

    #[test]
    fn the_wan_comes_from_hints_nat_pppoe_names_and_descriptions() {
        let text = "set nat source rule 1 outbound-interface name 'pppoe0'\n\
                    set nat source rule 1 translation address 'masquerade'\n\
                    set interfaces pppoe pppoe0 source-interface 'eth0'\n";
        let s = sides(text, &Hints::default());
        assert_eq!(s.side("pppoe0"), Side::Wan);
        assert_eq!(s.side("eth0"), Side::Wan);
        assert_eq!(s.side("eth1"), Side::Lan);
        assert_eq!(s.side("lo"), Side::Local);
        let hinted = Hints {
            wan: vec!["eth9".into()],
            lan: vec!["eth1".into()],
        };
        let s = sides(text, &hinted);
        assert_eq!(s.side("eth9"), Side::Wan);
        assert_eq!(s.side("pppoe0"), Side::Unknown);
        assert_eq!(s.side("eth1"), Side::Lan);
        // EdgeOS wizard ruleset names.
        let s = sides(
            "set interfaces ethernet eth3 firewall in name 'WAN_IN'\n",
            &Hints::default(),
        );
        assert_eq!(s.side("eth3"), Side::Wan);
        // Descriptions, when nothing else tells.
        let s = sides(
            "set interfaces ethernet eth2 description 'Internet uplink'\n",
            &Hints::default(),
        );
        assert_eq!(s.side("eth2"), Side::Wan);
        // Nothing at all: unknown.
        let s = sides("set system host-name x\n", &Hints::default());
        assert_eq!(s.side("eth0"), Side::Unknown);
    }

    #[test]
    fn zones_and_their_sides() {
        let text = "set firewall zone OUTSIDE interface 'eth0'\n\
                    set firewall zone INSIDE interface 'eth1'\n\
                    set firewall zone INSIDE from OUTSIDE firewall name 'O-I'\n\
                    set firewall zone INSIDE default-action 'drop'\n\
                    set firewall zone ME local-zone\n";
        let source = Source::new("x", text);
        let hints = Hints::default();
        let ctx = test_ctx(&source, &hints);
        let zones = zones(&ctx);
        assert_eq!(zones.len(), 3);
        let inside = zones.iter().find(|z| z.name == "INSIDE").unwrap();
        assert_eq!(inside.from[0].v4, Some("O-I"));
        assert_eq!(inside.default.map(|d| d.0), Some(Action::Drop));
        let s = sides(text, &hints);
        assert_eq!(s.zone("OUTSIDE"), Side::Wan);
        assert_eq!(s.zone("INSIDE"), Side::Lan);
        assert_eq!(s.zone("ME"), Side::Local);
    }

    #[test]
    fn legacy_bindings_and_pppoe_sessions() {
        let source = Source::new(
            "x",
            "set interfaces ethernet eth0 vif 2 pppoe 0 firewall in name 'WAN_IN'\n\
             set interfaces ethernet eth0 vif 2 pppoe 0 firewall local ipv6-name 'WAN6_LOCAL'\n\
             set interfaces switch switch0 vif 10 firewall out name 'GUEST_OUT'\n",
        );
        let hints = Hints::default();
        let ctx = test_ctx(&source, &hints);
        let interfaces = interfaces(&ctx);
        let found: Vec<(String, &str, Family, &str)> = interfaces
            .bindings
            .iter()
            .map(|b| (b.iface.clone(), b.direction, b.family, b.chain))
            .collect();
        assert!(found.contains(&("pppoe0".into(), "in", Family::V4, "WAN_IN")));
        assert!(found.contains(&("pppoe0".into(), "local", Family::V6, "WAN6_LOCAL")));
        assert!(found.contains(&("switch0.10".into(), "out", Family::V4, "GUEST_OUT")));
        assert_eq!(
            interfaces.pppoe,
            vec![("pppoe0".to_string(), "eth0.2".to_string())]
        );
    }
}
