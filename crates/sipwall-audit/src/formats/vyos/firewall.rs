//! The firewall: rulesets (VyOS 1.3 / EdgeOS `firewall name|ipv6-name`, VyOS 1.4
//! `firewall ipv4|ipv6 name` and base chains), where they apply (interface `in|out|local`
//! bindings, zones, 1.4 base chains with interface matchers and jumps), and the paths they
//! make: `Outbound` (LAN → WAN), `Inbound` (WAN → LAN) and `ToDevice` (WAN → the router).
//!
//! A path is evaluated like the router does, first match wins: a jump inlines the target
//! chain under the jump's own matchers; a chain's default ends the path when the jump was
//! unconditional (else it becomes a rule limited to the jump's matchers). Several rulesets on
//! one path (a LAN `in` and a WAN `out`) are listed in the order a packet meets them; the
//! path's default is a drop when any of them drops.

use std::collections::{HashMap, HashSet};

use sipwall_firewall::model::{Action, Address, Ports, Protocol};

use super::nat::numbered;
use super::objects::{Endpoint, Family, Groups, IfMatch, endpoint, if_match};
use super::system::Dialect;
use super::topology::{Interfaces, Side, Sides, Zone};
use super::tree::{NodeId, ROOT};
use super::values::{PortMatch, Proto, proto};
use super::{
    BASE_CHAIN_ACCEPT, CUSTOM_CHAIN_DROP, Ctx, NO_RULESET_ACCEPT, RULESET_DROP, ZONE_DROP,
};
use crate::device::{
    BruteForce, DefaultAction, Device, Evidence, FilterRule, Offload, Path, VendorDefault,
};

/// Jumps followed from one base chain (a loop of jumps stops here).
const MAX_JUMPS: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act<'a> {
    Accept,
    Drop,
    Jump(&'a str),
    Return,
    Offload,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefaultAct<'a> {
    Verdict(Action),
    Return,
    Jump(&'a str),
}

#[derive(Debug)]
struct Rule<'a> {
    node: NodeId,
    disabled: bool,
    action: Act<'a>,
    proto: Proto,
    source: Endpoint,
    destination: Endpoint,
    inbound: Option<IfMatch<'a>>,
    outbound: Option<IfMatch<'a>>,
    /// `Some(true)`: the states include `new`; `Some(false)`: only established, related,
    /// invalid or untracked packets match.
    new_state: Option<bool>,
    recent: bool,
    /// A matcher the model has no field for (time, rate limit, IPsec, TCP flags, an unknown
    /// key): only some packets match.
    narrow: bool,
}

impl Rule<'_> {
    /// Matches some packets of a flow only: never counts as covering its ports.
    fn conditional(&self) -> bool {
        self.narrow
            || self.recent
            || self.new_state == Some(false)
            || self.source.unresolved
            || self.destination.unresolved
            || self.source.narrow
            || self.destination.narrow
    }

    /// Matchers other than the interfaces (which decide the path).
    fn has_matchers(&self) -> bool {
        self.proto != Proto::Any
            || !self.source.is_any()
            || !self.destination.is_any()
            || self.new_state.is_some()
            || self.recent
            || self.narrow
    }
}

#[derive(Debug)]
struct Chain<'a> {
    family: Family,
    node: NodeId,
    /// 1.4 base chain (`forward filter`, `input filter`): accepts when no default is set.
    base: bool,
    /// VyOS 1.3 / EdgeOS ruleset (for the default's citation).
    legacy: bool,
    default: Option<(DefaultAct<'a>, NodeId)>,
    rules: Vec<Rule<'a>>,
}

#[derive(Debug, Default)]
struct Chains<'a> {
    named: HashMap<(Family, &'a str), Chain<'a>>,
    base: HashMap<(Family, &'static str), Chain<'a>>,
}

fn read_chains<'a>(ctx: &Ctx<'a>, groups: &Groups<'a>) -> Chains<'a> {
    let tree = &ctx.tree;
    let mut chains = Chains::default();
    let named = [
        (&["firewall", "name"][..], Family::V4, true),
        (&["firewall", "ipv6-name"], Family::V6, true),
        (&["firewall", "ipv4", "name"], Family::V4, false),
        (&["firewall", "ipv6", "name"], Family::V6, false),
    ];
    for (path, family, legacy) in named {
        let Some(root) = tree.find(ROOT, path) else {
            continue;
        };
        tree.mark(root);
        for node in tree.children(root).collect::<Vec<_>>() {
            let chain = read_chain(ctx, groups, node, family, false, legacy);
            chains.named.insert((family, tree.key(node)), chain);
        }
    }
    for (family, key) in [(Family::V4, "ipv4"), (Family::V6, "ipv6")] {
        for hook in ["forward", "input"] {
            if let Some(node) = tree.find(ROOT, &["firewall", key, hook, "filter"]) {
                tree.mark(node);
                if let Some(parent) = tree.find(ROOT, &["firewall", key, hook]) {
                    tree.mark(parent);
                }
                let chain = read_chain(ctx, groups, node, family, true, false);
                chains.base.insert((family, hook), chain);
            }
        }
        if let Some(node) = tree.find(ROOT, &["firewall", key]) {
            tree.mark(node);
        }
    }
    // Known firewall nodes without facts of their own: flowtables (used through `action
    // offload` rules) and the state policies (established / related / invalid only).
    for path in [
        &["firewall", "flowtable"][..],
        &["firewall", "global-options", "state-policy"],
        &["firewall", "state-policy"],
    ] {
        if let Some(node) = tree.find(ROOT, path) {
            tree.mark_tree(node);
        }
    }
    if let Some(node) = tree.find(ROOT, &["firewall", "global-options"]) {
        tree.mark(node);
    }
    chains
}

fn read_chain<'a>(
    ctx: &Ctx<'a>,
    groups: &Groups<'a>,
    node: NodeId,
    family: Family,
    base: bool,
    legacy: bool,
) -> Chain<'a> {
    let tree = &ctx.tree;
    tree.mark(node);
    let mut chain = Chain {
        family,
        node,
        base,
        legacy,
        default: None,
        rules: Vec::new(),
    };
    if let Some((action, leaf)) = tree.value(node, "default-action") {
        chain.default = match action {
            "accept" => Some((DefaultAct::Verdict(Action::Accept), leaf)),
            "drop" | "reject" => Some((DefaultAct::Verdict(Action::Drop), leaf)),
            "return" | "continue" => Some((DefaultAct::Return, leaf)),
            "jump" => tree
                .value(node, "default-jump-target")
                .map(|(target, _)| (DefaultAct::Jump(target), leaf)),
            _ => None,
        };
    }
    for key in ["description", "default-log", "enable-default-log"] {
        tree.mark_child(node, key);
    }
    if let Some(rules) = tree.child(node, "rule") {
        tree.mark(rules);
        for (_, rule) in numbered(ctx, rules) {
            chain.rules.push(read_rule(ctx, groups, rule, family));
        }
    }
    chain
}

fn read_rule<'a>(ctx: &Ctx<'a>, groups: &Groups<'a>, node: NodeId, family: Family) -> Rule<'a> {
    let tree = &ctx.tree;
    tree.mark(node);
    let mut rule = Rule {
        node,
        disabled: false,
        action: Act::Other,
        proto: Proto::Any,
        source: Endpoint::default(),
        destination: Endpoint::default(),
        inbound: None,
        outbound: None,
        new_state: None,
        recent: false,
        narrow: false,
    };
    for child in tree.children(node).collect::<Vec<_>>() {
        let key = tree.key(child);
        let value = tree.children(child).last().map(|v| tree.key(v));
        match key {
            "action" => {
                rule.action = match value {
                    Some("accept") => Act::Accept,
                    Some("drop" | "reject") => Act::Drop,
                    Some("jump") => match tree.value(node, "jump-target") {
                        Some((target, _)) => Act::Jump(target),
                        None => Act::Other,
                    },
                    Some("return") => Act::Return,
                    Some("offload") => Act::Offload,
                    Some("continue" | "queue" | "synproxy" | "inspect") => Act::Other,
                    _ => {
                        rule.narrow = true;
                        continue;
                    }
                };
                tree.mark_tree(child);
            }
            "disable" => {
                tree.mark_tree(child);
                rule.disabled = true;
            }
            "protocol" => {
                tree.mark_tree(child);
                rule.proto = value.map_or(Proto::Any, proto);
            }
            "source" => rule.source = endpoint(ctx, groups, Some(child), Some(family)),
            "destination" => {
                rule.destination = endpoint(ctx, groups, Some(child), Some(family));
            }
            "state" => {
                tree.mark_tree(child);
                let mut new = false;
                let mut any = false;
                for state in tree.children(child) {
                    // 1.3 / EdgeOS: `state new enable|disable`; 1.4: `state new`.
                    let on = tree
                        .children(state)
                        .last()
                        .is_none_or(|v| tree.key(v) == "enable");
                    if on {
                        any = true;
                        new |= tree.key(state) == "new";
                    }
                }
                if any {
                    rule.new_state = Some(new);
                }
            }
            "recent" => {
                tree.mark_tree(child);
                rule.recent = true;
            }
            "inbound-interface" => rule.inbound = if_match(ctx, groups, node, key),
            "outbound-interface" => rule.outbound = if_match(ctx, groups, node, key),
            "ipsec" => {
                tree.mark_tree(child);
                if value.is_some_and(|v| v.starts_with("match-ipsec")) {
                    rule.narrow = true;
                }
            }
            "connection-status" => {
                // `nat destination`: every forwarded packet from the WAN is DNATed.
                tree.mark_tree(child);
            }
            "limit"
            | "time"
            | "tcp"
            | "fragment"
            | "packet-length"
            | "packet-length-exclude"
            | "packet-type"
            | "ttl"
            | "hop-limit"
            | "dscp"
            | "dscp-exclude"
            | "mark"
            | "connection-mark"
            | "p2p"
            | "application"
            | "conntrack-helper"
            | "gre" => {
                tree.mark_tree(child);
                rule.narrow = true;
            }
            "description"
            | "log"
            | "log-level"
            | "log-options"
            | "jump-target"
            | "offload-target"
            | "icmp"
            | "icmpv6"
            | "set"
            | "add-address-to-group"
            | "queue-options"
            | "synproxy"
            | "queue" => tree.mark_tree(child),
            // Unknown key: its lines stay unknown, and the rule matches only some packets.
            _ => rule.narrow = true,
        }
    }
    rule
}

/// The matchers of the jumps leading to a chain, applied to the rules inlined from it.
#[derive(Debug, Clone)]
struct Scope {
    protocols: Vec<Option<Protocol>>,
    ports: Ports,
    source_ports: Ports,
    source: Vec<Address>,
    destination: Vec<Address>,
    conditional: bool,
}

impl Scope {
    fn all() -> Scope {
        Scope {
            protocols: vec![None],
            ports: Ports::Any,
            source_ports: Ports::Any,
            source: Vec::new(),
            destination: Vec::new(),
            conditional: false,
        }
    }

    /// This scope limited to what `rule` matches; `None` when they share no packet.
    fn narrow(&self, rule: &Rule<'_>) -> Option<Scope> {
        let protocols = intersect_protocols(&self.protocols, &rule.proto.protocols());
        if protocols.is_empty() {
            return None;
        }
        let ports = match &rule.destination.ports {
            None => self.ports.clone(),
            Some(PortMatch::Ports(p)) => self.ports.intersect(p)?,
            Some(PortMatch::Nothing) => return None,
        };
        let source_ports = match &rule.source.ports {
            None => self.source_ports.clone(),
            Some(PortMatch::Ports(p)) => self.source_ports.intersect(p)?,
            Some(PortMatch::Nothing) => return None,
        };
        Some(Scope {
            protocols,
            ports,
            source_ports,
            source: rule
                .source
                .effective()
                .unwrap_or_else(|| self.source.clone()),
            destination: rule
                .destination
                .effective()
                .unwrap_or_else(|| self.destination.clone()),
            conditional: self.conditional || rule.conditional(),
        })
    }
}

fn intersect_protocols(a: &[Option<Protocol>], b: &[Option<Protocol>]) -> Vec<Option<Protocol>> {
    if a == [None] {
        return b.to_vec();
    }
    if b == [None] {
        return a.to_vec();
    }
    a.iter().filter(|p| b.contains(p)).copied().collect()
}

/// What ends a path: an action with its evidence.
#[derive(Debug, Clone)]
struct Terminal {
    action: Action,
    evidence: Evidence,
}

struct Walker<'s, 'a> {
    ctx: &'s Ctx<'a>,
    chains: &'s Chains<'a>,
    sides: &'s Sides,
    path: Path,
    filters: Vec<FilterRule>,
    brute: Vec<BruteForce>,
    offloads: Vec<(NodeId, Offload)>,
    offload_nodes: HashSet<NodeId>,
    /// Rules left to visit: jumps multiply rules (a chain jumped to from many rules is
    /// walked for each), so a hostile configuration could make the walk quadratic.
    budget: usize,
}

/// Rule visits per path and family.
const MAX_VISITS: usize = 200_000;

impl Walker<'_, '_> {
    /// Whether a rule's interface matchers let it see traffic of this path.
    fn applies(&self, rule: &Rule<'_>) -> bool {
        let (want_in, want_out) = match self.path {
            Path::Outbound => (Side::Lan, Some(Side::Wan)),
            Path::Inbound => (Side::Wan, Some(Side::Lan)),
            Path::ToDevice => (Side::Wan, None),
        };
        let in_ok = rule
            .inbound
            .as_ref()
            .is_none_or(|m| m.matches(self.sides, want_in));
        let out_ok = match &rule.outbound {
            None => true,
            Some(m) => want_out.is_some_and(|side| m.matches(self.sides, side)),
        };
        in_ok && out_ok
    }

    fn emit(&mut self, rule: &Rule<'_>, scope: &Scope, action: Action) {
        let Some(inner) = scope.narrow(rule) else {
            return;
        };
        let evidence = self.ctx.evidence(rule.node);
        for protocol in &inner.protocols {
            self.filters.push(FilterRule {
                path: self.path,
                protocol: *protocol,
                source: inner.source.clone(),
                source_ports: inner.source_ports.clone(),
                destination: inner.destination.clone(),
                destination_ports: inner.ports.clone(),
                action,
                conditional: inner.conditional,
                evidence: evidence.clone(),
            });
            if rule.recent && action == Action::Drop && self.path != Path::Outbound {
                self.brute.push(BruteForce {
                    protocol: *protocol,
                    ports: inner.ports.clone(),
                    evidence: evidence.clone(),
                });
            }
        }
    }

    /// A chain's end reached only by the packets of `scope`: a rule limited to them.
    fn emit_terminal(&mut self, scope: &Scope, terminal: Terminal) {
        for protocol in &scope.protocols {
            self.filters.push(FilterRule {
                path: self.path,
                protocol: *protocol,
                source: scope.source.clone(),
                source_ports: scope.source_ports.clone(),
                destination: scope.destination.clone(),
                destination_ports: scope.ports.clone(),
                action: terminal.action,
                conditional: scope.conditional,
                evidence: terminal.evidence.clone(),
            });
        }
    }

    /// Evaluates `chain` for packets of `scope`: pushes its rules, returns how the packets
    /// that reach its end are handled (`None`: they return to the caller).
    fn chain(&mut self, chain: &Chain<'_>, scope: &Scope, depth: u32) -> Option<Terminal> {
        for rule in &chain.rules {
            if self.budget == 0 {
                return None;
            }
            self.budget -= 1;
            if rule.disabled || !self.applies(rule) {
                continue;
            }
            match rule.action {
                Act::Accept => self.emit(rule, scope, Action::Accept),
                Act::Drop => self.emit(rule, scope, Action::Drop),
                Act::Offload => {
                    if let Some(inner) = scope.narrow(rule)
                        && self.offload_nodes.insert(rule.node)
                    {
                        self.offloads.push((
                            rule.node,
                            Offload {
                                mechanism: "firewall flowtable (action offload)".into(),
                                protocol: match inner.protocols.as_slice() {
                                    [one] => *one,
                                    _ => None,
                                },
                                ports: inner.ports,
                                evidence: self.ctx.evidence(rule.node),
                            },
                        ));
                    }
                }
                Act::Return => {
                    if !rule.has_matchers() {
                        return None;
                    }
                }
                Act::Jump(target) => {
                    let Some(inner) = scope.narrow(rule) else {
                        continue;
                    };
                    if let Some(terminal) = self.jump(chain.family, target, &inner, depth) {
                        if !rule.has_matchers() {
                            return Some(terminal);
                        }
                        self.emit_terminal(&inner, terminal);
                    }
                }
                Act::Other => {}
            }
        }
        self.end(chain, scope, depth)
    }

    fn jump(
        &mut self,
        family: Family,
        target: &str,
        scope: &Scope,
        depth: u32,
    ) -> Option<Terminal> {
        if depth >= MAX_JUMPS {
            return None;
        }
        let target = self.chains.named.get(&(family, target))?;
        self.chain(target, scope, depth + 1)
    }

    fn end(&mut self, chain: &Chain<'_>, scope: &Scope, depth: u32) -> Option<Terminal> {
        let ctx = self.ctx;
        match chain.default {
            Some((DefaultAct::Verdict(action), leaf)) => Some(Terminal {
                action,
                evidence: ctx.evidence(leaf),
            }),
            Some((DefaultAct::Return, _)) => None,
            Some((DefaultAct::Jump(target), _)) => self.jump(chain.family, target, scope, depth),
            None => {
                let at = ctx.tree.first_line(chain.node);
                let spans = ctx.spans(&at.into_iter().collect::<Vec<_>>());
                Some(if chain.base {
                    Terminal {
                        action: Action::Accept,
                        evidence: Evidence::default(BASE_CHAIN_ACCEPT),
                    }
                } else {
                    let default = if chain.legacy {
                        RULESET_DROP
                    } else {
                        CUSTOM_CHAIN_DROP
                    };
                    Terminal {
                        action: Action::Drop,
                        evidence: Evidence::default_at(default, spans),
                    }
                })
            }
        }
    }
}

/// The path's default from the ends of its rulesets: a drop when any drops, else an explicit
/// accept before an inferred one.
fn combine(terminals: Vec<Terminal>) -> Option<Terminal> {
    let explicit =
        |t: &Terminal| matches!(t.evidence.certainty, crate::device::Certainty::Explicit);
    if let Some(drop) = terminals
        .iter()
        .filter(|t| t.action == Action::Drop)
        .max_by_key(|t| explicit(t))
    {
        return Some(drop.clone());
    }
    terminals.iter().max_by_key(|t| explicit(t)).cloned()
}

/// Everything `facts` needs besides the context.
pub(super) struct Setup<'s, 'a> {
    pub dialect: Dialect,
    pub sides: &'s Sides,
    pub groups: &'s Groups<'a>,
    pub interfaces: &'s Interfaces<'a>,
    pub zones: &'s [Zone<'a>],
    /// EdgeOS port-forward `auto-firewall` accepts, ahead of the Inbound rulesets.
    pub auto_accepts: Vec<FilterRule>,
}

/// The rulesets a packet of `path` meets, in order, for one family.
fn entries<'c, 'a>(
    ctx: &Ctx<'a>,
    chains: &'c Chains<'a>,
    setup: &Setup<'_, 'a>,
    path: Path,
    family: Family,
) -> (Vec<&'c Chain<'a>>, Vec<Terminal>) {
    let sides = setup.sides;
    let mut out: Vec<&'c Chain<'a>> = Vec::new();
    let mut extra: Vec<Terminal> = Vec::new();
    let hook = match path {
        Path::ToDevice => "input",
        _ => "forward",
    };
    if let Some(base) = chains.base.get(&(family, hook)) {
        out.push(base);
    }
    // Interface bindings: (direction, side of the interface) in the order a packet meets them.
    let order: &[(&str, Side)] = match path {
        Path::Outbound => &[("in", Side::Lan), ("out", Side::Wan)],
        Path::Inbound => &[("in", Side::Wan), ("out", Side::Lan)],
        Path::ToDevice => &[("local", Side::Wan)],
    };
    let mut seen: HashSet<NodeId> = HashSet::new();
    for (direction, side) in order {
        for binding in &setup.interfaces.bindings {
            if binding.family == family
                && binding.direction == *direction
                && sides.side(&binding.iface) == *side
                && let Some(chain) = chains.named.get(&(family, binding.chain))
                && seen.insert(chain.node)
            {
                out.push(chain);
            }
        }
    }
    // Zones: the rulesets from a zone of one side to a zone of the other.
    let (from_side, to_side) = match path {
        Path::Outbound => (Side::Lan, Side::Wan),
        Path::Inbound => (Side::Wan, Side::Lan),
        Path::ToDevice => (Side::Wan, Side::Local),
    };
    let sources: HashSet<&str> = setup
        .zones
        .iter()
        .filter(|z| sides.zone(z.name) == from_side)
        .map(|z| z.name)
        .collect();
    for zone in setup.zones {
        if sides.zone(zone.name) != to_side {
            continue;
        }
        let mut covered = 0;
        for entry in zone.from.iter().filter(|f| sources.contains(f.zone)) {
            covered += 1;
            let chain = match family {
                Family::V4 => entry.v4,
                Family::V6 => entry.v6,
            };
            if let Some(chain) = chain.and_then(|c| chains.named.get(&(family, c)))
                && seen.insert(chain.node)
            {
                out.push(chain);
            }
        }
        if covered < sources.len() {
            // No rule-set from some zone: the destination zone's default applies to it.
            extra.push(match zone.default {
                Some((action, leaf)) => Terminal {
                    action,
                    evidence: ctx.evidence(leaf),
                },
                None => Terminal {
                    action: Action::Drop,
                    evidence: Evidence::default(ZONE_DROP),
                },
            });
        }
    }
    (out, extra)
}

/// Filter rules, defaults, brute-force limits and flowtable offloads of every path.
pub(super) fn facts(ctx: &Ctx<'_>, setup: &Setup<'_, '_>, device: &mut Device) {
    let chains = read_chains(ctx, setup.groups);
    let mut offloads: Vec<Offload> = Vec::new();
    let mut offload_nodes: HashSet<NodeId> = HashSet::new();
    for path in [Path::Outbound, Path::Inbound, Path::ToDevice] {
        let mut walker = Walker {
            ctx,
            chains: &chains,
            sides: setup.sides,
            path,
            filters: Vec::new(),
            brute: Vec::new(),
            offloads: Vec::new(),
            offload_nodes: HashSet::new(),
            budget: MAX_VISITS,
        };
        if path == Path::Inbound {
            walker.filters.extend(setup.auto_accepts.iter().cloned());
        }
        let mut defaults: Vec<Option<Terminal>> = Vec::new();
        for family in [Family::V4, Family::V6] {
            walker.budget = MAX_VISITS;
            let (list, mut terminals) = entries(ctx, &chains, setup, path, family);
            let any = !list.is_empty() || !terminals.is_empty();
            for chain in list {
                if let Some(terminal) = walker.chain(chain, &Scope::all(), 0) {
                    terminals.push(terminal);
                }
            }
            defaults.push(if any { combine(terminals) } else { None });
        }
        let default = defaults.into_iter().flatten().next().unwrap_or_else(|| {
            let default: VendorDefault = if setup.dialect.legacy() {
                NO_RULESET_ACCEPT
            } else {
                BASE_CHAIN_ACCEPT
            };
            Terminal {
                action: Action::Accept,
                evidence: Evidence::default(default),
            }
        });
        device.filters.append(&mut walker.filters);
        device.brute_force.append(&mut walker.brute);
        for (node, offload) in walker.offloads {
            if offload_nodes.insert(node) {
                offloads.push(offload);
            }
        }
        device.default_actions.push(DefaultAction {
            path,
            action: default.action,
            evidence: default.evidence,
        });
    }
    device.offload.extend(offloads);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Hints;
    use crate::formats::vyos::test_device;

    fn hints() -> Hints {
        Hints {
            wan: vec!["eth0".into()],
            lan: vec!["eth1".into()],
        }
    }

    fn on(device: &Device, path: Path) -> Vec<(Option<Protocol>, String, Action, bool)> {
        device
            .filters
            .iter()
            .filter(|f| f.path == path)
            .map(|f| {
                (
                    f.protocol,
                    f.destination_ports.to_string(),
                    f.action,
                    f.conditional,
                )
            })
            .collect()
    }

    fn default_of(device: &Device, path: Path) -> Action {
        device
            .default_actions
            .iter()
            .find(|d| d.path == path)
            .map(|d| d.action)
            .unwrap()
    }

    #[test]
    fn a_jump_with_matchers_scopes_the_target_and_its_default() {
        let device = test_device(
            "set firewall ipv4 forward filter default-action 'accept'\n\
             set firewall ipv4 forward filter rule 10 action 'jump'\n\
             set firewall ipv4 forward filter rule 10 jump-target 'SIP'\n\
             set firewall ipv4 forward filter rule 10 inbound-interface name 'eth0'\n\
             set firewall ipv4 forward filter rule 10 protocol 'udp'\n\
             set firewall ipv4 forward filter rule 10 destination port '5060-5080'\n\
             set firewall ipv4 name SIP rule 1 action 'accept'\n\
             set firewall ipv4 name SIP rule 1 destination port '5060,9999'\n\
             set firewall ipv4 name SIP rule 1 protocol 'tcp_udp'\n",
            &hints(),
        );
        assert_eq!(
            on(&device, Path::Inbound),
            vec![
                (Some(Protocol::Udp), "5060".into(), Action::Accept, false),
                // The chain's unset default (drop) for what the jump sent there.
                (Some(Protocol::Udp), "5060-5080".into(), Action::Drop, false),
            ]
        );
        assert_eq!(default_of(&device, Path::Inbound), Action::Accept);
        // The jump names the WAN: nothing of it on the outbound path.
        assert!(on(&device, Path::Outbound).is_empty());
    }

    #[test]
    fn an_unconditional_jump_ends_the_path_with_the_target_default() {
        let device = test_device(
            "set firewall ipv4 input filter rule 1 action 'jump'\n\
             set firewall ipv4 input filter rule 1 jump-target 'LOCAL'\n\
             set firewall ipv4 input filter rule 2 action 'accept'\n\
             set firewall ipv4 name LOCAL default-action 'drop'\n\
             set firewall ipv4 name LOCAL rule 1 action 'return'\n\
             set firewall ipv4 name LOCAL rule 1 source address '10.0.0.0/8'\n\
             set firewall ipv4 name LOCAL rule 2 action 'accept'\n\
             set firewall ipv4 name LOCAL rule 2 destination port '443'\n\
             set firewall ipv4 name LOCAL rule 2 protocol 'tcp'\n\
             set firewall ipv4 name LOCAL rule 2 recent count '10'\n\
             set firewall ipv4 name LOCAL rule 2 recent time 'minute'\n\
             set firewall ipv4 name LOCAL rule 3 action 'drop'\n\
             set firewall ipv4 name LOCAL rule 3 destination port '22'\n\
             set firewall ipv4 name LOCAL rule 3 protocol 'tcp'\n\
             set firewall ipv4 name LOCAL rule 3 state 'new'\n\
             set firewall ipv4 name LOCAL rule 3 disable\n",
            &hints(),
        );
        assert_eq!(
            on(&device, Path::ToDevice),
            vec![(Some(Protocol::Tcp), "443".into(), Action::Accept, true)]
        );
        assert_eq!(default_of(&device, Path::ToDevice), Action::Drop);
        // A recent on an accept is no brute-force limit; the disabled drop is no fact.
        assert!(device.brute_force.is_empty());
    }

    #[test]
    fn jump_loops_stop() {
        let device = test_device(
            "set firewall ipv4 forward filter rule 1 action 'jump'\n\
             set firewall ipv4 forward filter rule 1 jump-target 'A'\n\
             set firewall ipv4 name A rule 1 action 'jump'\n\
             set firewall ipv4 name A rule 1 jump-target 'A'\n\
             set firewall ipv4 name A rule 1 protocol 'udp'\n",
            &hints(),
        );
        assert!(device.filters.len() <= 2 * (MAX_JUMPS as usize + 1) * 2);
        assert_eq!(device.default_actions.len(), 3);
    }

    #[test]
    fn legacy_rulesets_on_several_interfaces_combine() {
        let device = test_device(
            "set firewall name LAN_IN default-action 'accept'\n\
             set firewall name LAN_IN rule 10 action 'drop'\n\
             set firewall name LAN_IN rule 10 destination port '25'\n\
             set firewall name LAN_IN rule 10 protocol 'tcp'\n\
             set firewall name WAN_OUT rule 10 action 'accept'\n\
             set firewall name WAN_OUT rule 10 destination port '5060'\n\
             set firewall name WAN_OUT rule 10 protocol 'udp'\n\
             set interfaces ethernet eth1 firewall in name 'LAN_IN'\n\
             set interfaces ethernet eth0 firewall out name 'WAN_OUT'\n",
            &hints(),
        );
        assert_eq!(
            on(&device, Path::Outbound),
            vec![
                (Some(Protocol::Tcp), "25".into(), Action::Drop, false),
                (Some(Protocol::Udp), "5060".into(), Action::Accept, false),
            ]
        );
        // WAN_OUT has no default: it drops, so the path does.
        assert_eq!(default_of(&device, Path::Outbound), Action::Drop);
        let defaults: Vec<_> = device
            .default_actions
            .iter()
            .filter(|d| d.path == Path::Outbound)
            .collect();
        assert!(matches!(
            defaults[0].evidence.certainty,
            crate::device::Certainty::DefaultInferred { default } if default == RULESET_DROP
        ));
        // No ruleset toward the router: not filtered.
        assert_eq!(default_of(&device, Path::ToDevice), Action::Accept);
    }

    #[test]
    fn combine_prefers_drops_then_explicit_accepts() {
        let inferred = Terminal {
            action: Action::Accept,
            evidence: Evidence::default(BASE_CHAIN_ACCEPT),
        };
        let explicit = Terminal {
            action: Action::Accept,
            evidence: Evidence::explicit([]),
        };
        let drop = Terminal {
            action: Action::Drop,
            evidence: Evidence::default(ZONE_DROP),
        };
        assert_eq!(
            combine(vec![inferred.clone(), explicit.clone()]).map(|t| t.evidence.certainty),
            Some(crate::device::Certainty::Explicit)
        );
        assert_eq!(
            combine(vec![explicit, drop, inferred]).map(|t| t.action),
            Some(Action::Drop)
        );
        assert!(combine(Vec::new()).is_none());
    }
}
