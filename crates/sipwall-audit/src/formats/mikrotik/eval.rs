//! The configuration read from an export → the device facts.
//!
//! Filter rules are followed from the built-in chains `forward` and `input` (and raw
//! `prerouting`) through `jump`s into user chains, in order, so every fact keeps RouterOS's
//! first-match order; a packet that reaches the end of a built-in chain is accepted (the
//! implicit default, [`super::FILTER_DEFAULT`]). WAN and LAN come from `--wan`/`--lan`, else
//! from the `WAN` interface list, the masquerade interfaces and PPPoE clients, else `ether1`
//! (the default configuration's WAN port).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use sipwall_firewall::model::{Action, Address, Ports, Protocol, TimeoutScope};

use super::config::{CONDITIONAL_KEYS, Config, Item, VersionOnly};
use super::values::{self, Protocols};
use super::{FILTER_DEFAULT, SIP_HELPER_DEFAULT, UDP_TIMEOUTS_DEFAULT};
use crate::coverage::{Coverage, LineClass};
use crate::device::{
    AlgState, BruteForce, DefaultAction, Device, Evidence, FilterRule, Forward, Offload, Path,
    SourceNat, UdpTimeout, VersionIssue,
};
use crate::formats::Hints;
use crate::source::Span;

/// How deep `jump`s are followed (RouterOS itself allows loops to be configured; they are cut).
const MAX_JUMP_DEPTH: usize = 16;
/// Rule visits allowed per rule while following jumps (at least [`MIN_VISITS`]), against
/// chains that jump into each other many times: the facts stay linear in the input.
const VISITS_PER_RULE: usize = 16;
const MIN_VISITS: usize = 10_000;

/// Fills `device` from `config`; lines whose values cannot be read become unknown.
pub(super) fn evaluate(
    config: &Config,
    hints: &Hints,
    device: &mut Device,
    coverage: &mut Coverage,
) {
    let lists = Lists::new(config, coverage);
    let interfaces = Interfaces::new(config, hints);
    let mut reader = RuleReader {
        lists: &lists,
        interfaces: &interfaces,
        coverage,
        nat: false,
    };
    let filter: Vec<Rule> = config
        .filter
        .iter()
        .filter(|i| !i.disabled())
        .filter_map(|i| reader.rule(i))
        .collect();
    let raw: Vec<Rule> = config
        .raw
        .iter()
        .filter(|i| !i.disabled())
        .filter_map(|i| reader.rule(i))
        .collect();
    reader.nat = true;
    let nat: Vec<Rule> = config
        .nat
        .iter()
        .filter(|i| !i.disabled())
        .filter_map(|i| reader.rule(i))
        .collect();

    let mut walker = Walker::new(&filter);
    let forward = walker.chain("forward");
    let input = walker.chain("input");
    let mut raw_walker = Walker::new(&raw);
    let prerouting = raw_walker.chain("prerouting");

    filters(device, &prerouting, &forward, &input);
    offload(device, &forward);
    brute_force(
        device,
        &[prerouting.as_slice(), forward.as_slice(), input.as_slice()],
    );
    nat_facts(device, &nat);
    alg(device, config);
    timeouts(device, config);
    version(device, config);
}

/// Which sides of the device an interface matcher lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sides {
    wan: bool,
    inside: bool,
}

impl Sides {
    const BOTH: Sides = Sides {
        wan: true,
        inside: true,
    };

    fn and(self, other: Sides) -> Sides {
        Sides {
            wan: self.wan && other.wan,
            inside: self.inside && other.inside,
        }
    }
}

/// The WAN interfaces and interface lists.
struct Interfaces<'h> {
    hints: &'h Hints,
    wan: HashSet<String>,
    wan_lists: HashSet<String>,
    members: HashMap<String, Vec<String>>,
    /// No WAN found at all: `ether1` is taken, as in the default configuration.
    fallback: bool,
}

impl<'h> Interfaces<'h> {
    fn new(config: &Config, hints: &'h Hints) -> Interfaces<'h> {
        let mut members: HashMap<String, Vec<String>> = HashMap::new();
        for item in config.list_members.iter().filter(|i| !i.disabled()) {
            if let (Some(list), Some(interface)) = (item.get("list"), item.get("interface")) {
                members
                    .entry(list.to_string())
                    .or_default()
                    .push(interface.to_string());
            }
        }
        // `include=`/`exclude=` of interface lists, one level deep.
        let direct = members.clone();
        for item in config.interface_lists.iter().filter(|i| !i.disabled()) {
            let Some(name) = item.get("name") else {
                continue;
            };
            let entry = members.entry(name.to_string()).or_default();
            for included in item.get("include").unwrap_or("").split(',') {
                entry.extend(direct.get(included.trim()).cloned().unwrap_or_default());
            }
            for excluded in item.get("exclude").unwrap_or("").split(',') {
                if let Some(out) = direct.get(excluded.trim()) {
                    entry.retain(|i| !out.contains(i));
                }
            }
        }
        let mut wan = HashSet::new();
        let mut wan_lists = HashSet::new();
        if hints.wan.is_empty() {
            for name in members.keys() {
                if name.to_ascii_lowercase().contains("wan") && !hints.is_lan(name) {
                    wan_lists.insert(name.clone());
                }
            }
            for item in config.nat.iter().filter(|i| !i.disabled()) {
                if item.get("chain") != Some("srcnat")
                    || !matches!(item.get("action"), Some("masquerade" | "src-nat"))
                {
                    continue;
                }
                if let Some(out) = item.get("out-interface").filter(|o| !o.starts_with('!')) {
                    wan.insert(out.to_string());
                }
                if let Some(out) = item
                    .get("out-interface-list")
                    .filter(|o| !o.starts_with('!'))
                {
                    wan_lists.insert(out.to_string());
                }
            }
            wan.extend(config.pppoe_clients.iter().cloned());
        } else {
            for name in &hints.wan {
                wan.insert(name.clone());
                wan_lists.insert(name.clone());
            }
        }
        for list in &wan_lists {
            wan.extend(members.get(list).cloned().unwrap_or_default());
        }
        wan.retain(|name| !hints.is_lan(name));
        let fallback = hints.wan.is_empty() && wan.is_empty() && wan_lists.is_empty();
        Interfaces {
            hints,
            wan,
            wan_lists,
            members,
            fallback,
        }
    }

    fn is_wan(&self, name: &str) -> bool {
        if self.hints.is_lan(name) {
            return false;
        }
        if self.wan.contains(name) {
            return true;
        }
        if !self.hints.wan.is_empty() {
            return false;
        }
        let lower = name.to_ascii_lowercase();
        lower.contains("wan")
            || lower.starts_with("pppoe-out")
            || lower.starts_with("lte")
            || matches!(lower.as_str(), "outside" | "untrust" | "internet")
            || (self.fallback && name == "ether1")
    }

    fn interface(&self, name: &str, negate: bool) -> Sides {
        let wan = self.is_wan(name);
        if negate {
            Sides {
                wan: !wan || self.wan.len() > 1,
                inside: true,
            }
        } else {
            Sides { wan, inside: !wan }
        }
    }

    fn list(&self, name: &str, negate: bool) -> Sides {
        let sides = match name {
            "all" | "dynamic" | "static" => Sides::BOTH,
            "none" => Sides {
                wan: false,
                inside: false,
            },
            _ => {
                let is_wan_list = self.wan_lists.contains(name);
                match self.members.get(name).filter(|m| !m.is_empty()) {
                    Some(members) => Sides {
                        wan: is_wan_list || members.iter().any(|i| self.is_wan(i)),
                        inside: members.iter().any(|i| !self.is_wan(i)),
                    },
                    None => {
                        let wan = is_wan_list || self.is_wan(name);
                        Sides { wan, inside: !wan }
                    }
                }
            }
        };
        if negate {
            Sides {
                wan: !sides.wan,
                inside: !sides.inside,
            }
        } else {
            sides
        }
    }
}

/// Address lists: static entries, and those rules fill at run time.
struct Lists {
    entries: HashMap<String, Vec<Address>>,
    dynamic: HashSet<String>,
}

impl Lists {
    fn new(config: &Config, coverage: &mut Coverage) -> Lists {
        let mut entries: HashMap<String, Vec<Address>> = HashMap::new();
        for item in config.address_list.iter().filter(|i| !i.disabled()) {
            let (Some(list), Some(address)) = (item.get("list"), item.get("address")) else {
                continue;
            };
            match values::entry(address) {
                Some(addresses) => entries
                    .entry(list.to_string())
                    .or_default()
                    .extend(addresses),
                None => {
                    for span in &item.spans {
                        coverage.mark(span.line, LineClass::Unknown);
                    }
                }
            }
        }
        let mut dynamic: HashSet<String> = config.mangle_lists.iter().cloned().collect();
        for item in config.filter.iter().chain(&config.raw) {
            if !item.disabled()
                && matches!(
                    item.get("action"),
                    Some("add-src-to-address-list" | "add-dst-to-address-list")
                )
                && let Some(list) = item.get("address-list")
            {
                dynamic.insert(list.to_string());
            }
        }
        Lists { entries, dynamic }
    }
}

/// Addresses a rule matches on one side.
#[derive(Debug, Clone, PartialEq)]
enum Addrs {
    Any,
    Only(Vec<Address>),
}

impl Addrs {
    fn and(&self, other: &Addrs) -> Option<(Addrs, bool)> {
        match (self, other) {
            (Addrs::Any, x) | (x, Addrs::Any) => Some((x.clone(), false)),
            (Addrs::Only(a), Addrs::Only(b)) => {
                let (both, uncertain) = values::intersect(a, b);
                (!both.is_empty()).then_some((Addrs::Only(both), uncertain))
            }
        }
    }

    fn to_vec(&self) -> Vec<Address> {
        match self {
            Addrs::Any => Vec::new(),
            Addrs::Only(v) => v.clone(),
        }
    }
}

/// What a rule (or a chain of jumps down to it) matches.
#[derive(Debug, Clone)]
struct Match {
    inbound: Sides,
    outbound: Sides,
    protocols: Protocols,
    dst_ports: Ports,
    src_ports: Ports,
    /// `port=`: source or destination.
    either_ports: Ports,
    src: Addrs,
    dst: Addrs,
    /// Matches packets of new connections / of established or related ones.
    new: bool,
    established: bool,
    /// Matches connections that were / were not destination-NATed.
    dnat: bool,
    plain: bool,
    conditional: bool,
    /// Dynamic address lists matched as source (brute-force bans).
    dynamic_sources: Vec<String>,
    spans: Vec<Span>,
}

impl Match {
    fn all() -> Match {
        Match {
            inbound: Sides::BOTH,
            outbound: Sides::BOTH,
            protocols: Protocols::ALL,
            dst_ports: Ports::Any,
            src_ports: Ports::Any,
            either_ports: Ports::Any,
            src: Addrs::Any,
            dst: Addrs::Any,
            new: true,
            established: true,
            dnat: true,
            plain: true,
            conditional: false,
            dynamic_sources: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// Matches every packet (a `return` like that ends a user chain).
    fn is_everything(&self) -> bool {
        self.inbound == Sides::BOTH
            && self.outbound == Sides::BOTH
            && self.protocols == Protocols::ALL
            && self.dst_ports.is_any()
            && self.src_ports.is_any()
            && self.either_ports.is_any()
            && self.src == Addrs::Any
            && self.dst == Addrs::Any
            && self.new
            && self.established
            && self.dnat
            && self.plain
            && !self.conditional
    }

    /// Both matches at once (a jump's match and a rule of its target chain); `None` when no
    /// packet can match both.
    fn and(&self, other: &Match) -> Option<Match> {
        let protocols = self.protocols.and(other.protocols);
        if !(protocols.udp || protocols.tcp || protocols.other) {
            return None;
        }
        let (src, src_uncertain) = self.src.and(&other.src)?;
        let (dst, dst_uncertain) = self.dst.and(&other.dst)?;
        let mut spans = self.spans.clone();
        spans.extend(other.spans.iter().copied());
        let mut dynamic_sources = self.dynamic_sources.clone();
        dynamic_sources.extend(other.dynamic_sources.iter().cloned());
        let m = Match {
            inbound: self.inbound.and(other.inbound),
            outbound: self.outbound.and(other.outbound),
            protocols,
            dst_ports: self.dst_ports.intersect(&other.dst_ports)?,
            src_ports: self.src_ports.intersect(&other.src_ports)?,
            either_ports: self.either_ports.intersect(&other.either_ports)?,
            src,
            dst,
            new: self.new && other.new,
            established: self.established && other.established,
            dnat: self.dnat && other.dnat,
            plain: self.plain && other.plain,
            conditional: self.conditional || other.conditional || src_uncertain || dst_uncertain,
            dynamic_sources,
            spans,
        };
        ((m.new || m.established) && (m.dnat || m.plain)).then_some(m)
    }

    /// The destination ports a fact states: `dst-port` narrowed by `port=`.
    fn ports(&self) -> Ports {
        self.dst_ports
            .intersect(&self.either_ports)
            .unwrap_or(Ports::Any)
    }

    fn protocol(&self) -> Option<Option<Protocol>> {
        match (self.protocols.udp, self.protocols.tcp) {
            (true, true) => Some(None),
            (true, false) => Some(Some(Protocol::Udp)),
            (false, true) => Some(Some(Protocol::Tcp)),
            (false, false) => None,
        }
    }
}

/// A filter, raw or NAT rule as the walk needs it.
#[derive(Debug, Clone)]
struct Rule {
    chain: String,
    action: String,
    m: Match,
    jump_target: Option<String>,
    address_list: Option<String>,
    /// A per-source rate or connection limit (`dst-limit=…,src-address…`, `connection-limit=N,32`).
    per_source_limit: bool,
    hw_offload: bool,
    to_addresses: Option<String>,
    to_ports: Option<String>,
}

struct RuleReader<'a> {
    lists: &'a Lists,
    interfaces: &'a Interfaces<'a>,
    coverage: &'a mut Coverage,
    /// Reading NAT rules: `dst-address-type=local` (a forward of the router's own address,
    /// the usual hairpin-proof form) and `ipsec-policy` leave the rule what it is.
    nat: bool,
}

impl RuleReader<'_> {
    /// The rule an item states; `None` when it matches nothing. A value the parser cannot
    /// read makes the rule conditional and its lines unknown.
    fn rule(&mut self, item: &Item) -> Option<Rule> {
        let mut m = Match::all();
        m.spans = item.spans.clone();
        let mut unreadable = !item.unknown_keys.is_empty();
        let mut per_source_limit = false;
        for prop in &item.props {
            let value = prop.value.as_str();
            if value.is_empty() {
                continue;
            }
            let (negate, body) = values::negated(value);
            match prop.key.as_ref() {
                "protocol" => match values::protocol(value) {
                    Some(p) => m.protocols = m.protocols.and(p),
                    None => unreadable = true,
                },
                key @ ("dst-port" | "src-port" | "port") => match values::port_match(value) {
                    Ok(Some(ports)) => {
                        let slot = match key {
                            "dst-port" => &mut m.dst_ports,
                            "src-port" => &mut m.src_ports,
                            _ => &mut m.either_ports,
                        };
                        *slot = slot.intersect(&ports)?;
                    }
                    Ok(None) => return None,
                    Err(()) => unreadable = true,
                },
                key @ ("src-address" | "dst-address") => match values::entry(body) {
                    Some(addresses) => {
                        let side = self.addresses(addresses, negate, &mut m);
                        let slot = if key == "src-address" {
                            &mut m.src
                        } else {
                            &mut m.dst
                        };
                        *slot = match slot.and(&side) {
                            Some((side, uncertain)) => {
                                m.conditional |= uncertain;
                                side
                            }
                            None => return None,
                        };
                    }
                    None => unreadable = true,
                },
                key @ ("src-address-list" | "dst-address-list") => {
                    let side = self.list(body, negate, key == "src-address-list", &mut m);
                    let slot = if key == "src-address-list" {
                        &mut m.src
                    } else {
                        &mut m.dst
                    };
                    *slot = match slot.and(&side) {
                        Some((side, uncertain)) => {
                            m.conditional |= uncertain;
                            side
                        }
                        None => return None,
                    };
                }
                "in-interface" => {
                    m.inbound = m.inbound.and(self.interfaces.interface(body, negate))
                }
                "out-interface" => {
                    m.outbound = m.outbound.and(self.interfaces.interface(body, negate))
                }
                "in-interface-list" => {
                    m.inbound = m.inbound.and(self.interfaces.list(body, negate))
                }
                "out-interface-list" => {
                    m.outbound = m.outbound.and(self.interfaces.list(body, negate))
                }
                "connection-state" => {
                    let states: Vec<&str> = body.split(',').map(str::trim).collect();
                    let has = |s: &str| states.contains(&s) != negate;
                    m.new = has("new");
                    m.established = has("established") || has("related");
                    if states.iter().any(|s| {
                        !matches!(
                            *s,
                            "new" | "established" | "related" | "invalid" | "untracked"
                        )
                    }) {
                        unreadable = true;
                    }
                }
                "connection-nat-state" => {
                    let states: Vec<&str> = body.split(',').map(str::trim).collect();
                    if states.iter().any(|s| !matches!(*s, "srcnat" | "dstnat")) {
                        unreadable = true;
                    } else if states.contains(&"dstnat") {
                        m.dnat = !negate;
                        m.plain = negate;
                    }
                    if states.contains(&"srcnat") {
                        m.conditional = true;
                    }
                }
                "dst-address-type" | "src-address-type" | "ipsec-policy" if self.nat => {}
                key if CONDITIONAL_KEYS.contains(&key) => {
                    m.conditional = true;
                    per_source_limit |= match key {
                        "dst-limit" => value.contains("src-address"),
                        "connection-limit" => value.trim().ends_with(",32"),
                        _ => false,
                    };
                }
                _ => {}
            }
        }
        if unreadable {
            m.conditional = true;
            for span in &item.spans {
                self.coverage.mark(span.line, LineClass::Unknown);
            }
        }
        if !(m.new || m.established) {
            return None;
        }
        Some(Rule {
            chain: item.get("chain").unwrap_or("").to_string(),
            action: item.get("action").unwrap_or("accept").to_string(),
            jump_target: item.get("jump-target").map(str::to_string),
            address_list: item.get("address-list").map(str::to_string),
            per_source_limit,
            hw_offload: matches!(item.get("hw-offload"), Some("yes" | "true")),
            to_addresses: item.get("to-addresses").map(str::to_string),
            to_ports: item.get("to-ports").map(str::to_string),
            m,
        })
    }

    /// `src-address=X` (or `!X`): the addresses, the IPv4 complement for a negation.
    fn addresses(&self, addresses: Vec<Address>, negate: bool, m: &mut Match) -> Addrs {
        if !negate {
            return Addrs::Only(addresses);
        }
        if addresses.iter().any(|a| matches!(a, Address::Fqdn(_))) {
            m.conditional = true;
        }
        Addrs::Only(values::complement_v4(&addresses))
    }

    /// `src-address-list=L` (or `!L`): the list's entries. A list rules fill at run time (a
    /// ban) or one without entries matches an unknown set: the rule is conditional.
    fn list(&self, name: &str, negate: bool, source: bool, m: &mut Match) -> Addrs {
        if self.lists.dynamic.contains(name) {
            m.conditional = true;
            if source && !negate {
                m.dynamic_sources.push(name.to_string());
            }
            return Addrs::Any;
        }
        match self.lists.entries.get(name) {
            Some(entries) => self.addresses(entries.clone(), negate, m),
            None => {
                m.conditional = true;
                Addrs::Any
            }
        }
    }
}

/// What a rule reached from a built-in chain does.
#[derive(Debug, Clone)]
enum Effect {
    Accept,
    Drop,
    /// `fasttrack-connection` (with `hw-offload=yes` or not).
    Fasttrack {
        hw: bool,
    },
    /// `add-src-to-address-list`: fills a list.
    AddSource(String),
}

#[derive(Debug, Clone)]
struct Effective {
    m: Match,
    effect: Effect,
    per_source_limit: bool,
}

/// Follows jumps from a built-in chain, in order.
struct Walker<'r> {
    chains: HashMap<&'r str, Vec<&'r Rule>>,
    visits: usize,
    max_visits: usize,
}

impl<'r> Walker<'r> {
    fn new(rules: &'r [Rule]) -> Walker<'r> {
        let mut chains: HashMap<&str, Vec<&Rule>> = HashMap::new();
        for rule in rules {
            chains.entry(rule.chain.as_str()).or_default().push(rule);
        }
        Walker {
            chains,
            visits: 0,
            max_visits: rules.len().saturating_mul(VISITS_PER_RULE).max(MIN_VISITS),
        }
    }

    fn chain(&mut self, name: &str) -> Vec<Effective> {
        let mut out = Vec::new();
        let mut stack = vec![name.to_string()];
        self.walk(name, &Match::all(), 0, &mut stack, &mut out);
        out
    }

    fn walk(
        &mut self,
        name: &str,
        context: &Match,
        depth: usize,
        stack: &mut Vec<String>,
        out: &mut Vec<Effective>,
    ) {
        let Some(rules) = self.chains.get(name).cloned() else {
            return;
        };
        // Rules after a `return` that only some new packets take see only the rest.
        let mut rest_conditional = false;
        for rule in rules {
            self.visits += 1;
            if self.visits > self.max_visits {
                return;
            }
            let Some(mut m) = context.and(&rule.m) else {
                continue;
            };
            m.conditional |= rest_conditional;
            let effect = match rule.action.as_str() {
                "accept" => Effect::Accept,
                "drop" | "reject" | "tarpit" => Effect::Drop,
                "fasttrack-connection" => Effect::Fasttrack {
                    hw: rule.hw_offload,
                },
                "add-src-to-address-list" => match &rule.address_list {
                    Some(list) => Effect::AddSource(list.clone()),
                    None => continue,
                },
                "jump" => {
                    if let Some(target) = &rule.jump_target
                        && depth < MAX_JUMP_DEPTH
                        && !stack.contains(target)
                    {
                        stack.push(target.clone());
                        self.walk(target, &m, depth + 1, stack, out);
                        stack.pop();
                    }
                    continue;
                }
                "return" if depth > 0 => {
                    if rule.m.is_everything() {
                        return;
                    }
                    if m.new {
                        rest_conditional = true;
                    }
                    continue;
                }
                _ => continue,
            };
            out.push(Effective {
                m,
                effect,
                per_source_limit: rule.per_source_limit,
            });
        }
    }
}

/// The built-in chain a rule was reached from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hook {
    Prerouting,
    Forward,
    Input,
}

/// The paths a rule applies to, each with whether it only matches part of that path's
/// traffic (a rule for non-DNATed connections on the inbound path).
fn paths(hook: Hook, m: &Match) -> Vec<(Path, bool)> {
    let mut out = Vec::new();
    match hook {
        Hook::Forward => {
            if m.inbound.inside && m.outbound.wan && m.plain {
                out.push((Path::Outbound, false));
            }
            if m.inbound.wan && m.outbound.inside {
                out.push((Path::Inbound, !m.dnat));
            }
        }
        Hook::Input => {
            if m.inbound.wan {
                out.push((Path::ToDevice, !m.plain));
            }
        }
        Hook::Prerouting => {
            if m.inbound.inside && m.outbound.wan {
                out.push((Path::Outbound, false));
            }
            if m.inbound.wan {
                out.push((Path::Inbound, false));
                out.push((Path::ToDevice, false));
            }
        }
    }
    out
}

fn filters(
    device: &mut Device,
    prerouting: &[Effective],
    forward: &[Effective],
    input: &[Effective],
) {
    // A raw `accept` only skips the rest of raw; later raw drops then miss that traffic.
    let mut raw_accepted = false;
    for eff in prerouting {
        match eff.effect {
            Effect::Accept => raw_accepted = true,
            Effect::Drop => push_rule(device, Hook::Prerouting, eff, Action::Drop, raw_accepted),
            _ => {}
        }
    }
    for (hook, effs) in [(Hook::Forward, forward), (Hook::Input, input)] {
        for eff in effs {
            let action = match eff.effect {
                Effect::Accept => Action::Accept,
                Effect::Drop => Action::Drop,
                _ => continue,
            };
            push_rule(device, hook, eff, action, false);
        }
    }
    for path in [Path::Outbound, Path::Inbound, Path::ToDevice] {
        let catch_all = device.filters.iter().find(|r| {
            r.path == path
                && !r.conditional
                && r.protocol.is_none()
                && r.source_ports.is_any()
                && r.destination_ports.is_any()
                && r.source.is_empty()
                && r.destination.is_empty()
        });
        let default = match catch_all {
            Some(rule) => DefaultAction {
                path,
                action: rule.action,
                evidence: rule.evidence.clone(),
            },
            None => DefaultAction {
                path,
                action: Action::Accept,
                evidence: Evidence::default(FILTER_DEFAULT),
            },
        };
        device.default_actions.push(default);
    }
}

fn push_rule(device: &mut Device, hook: Hook, eff: &Effective, action: Action, conditional: bool) {
    // Only rules that see the first packet of a connection decide whether it may start.
    if !eff.m.new {
        return;
    }
    let Some(protocol) = eff.m.protocol() else {
        return;
    };
    for (path, partial) in paths(hook, &eff.m) {
        device.filters.push(FilterRule {
            path,
            protocol,
            source: eff.m.src.to_vec(),
            source_ports: eff.m.src_ports.clone(),
            destination: eff.m.dst.to_vec(),
            destination_ports: eff.m.ports(),
            action,
            conditional: eff.m.conditional || partial || conditional,
            evidence: Evidence::explicit(eff.m.spans.iter().copied()),
        });
    }
}

fn union(a: &Ports, b: &Ports) -> Ports {
    Ports::from_ranges(a.ranges().into_iter().chain(b.ranges()))
}

fn union_into(slot: &mut Option<Ports>, ports: &Ports) {
    *slot = Some(match slot {
        Some(old) => union(old, ports),
        None => ports.clone(),
    });
}

/// FastTrack: connections it marks skip the firewall and connection tracking. Ports that an
/// earlier `accept` takes in both directions (no interface, no address restriction) never
/// reach it.
fn offload(device: &mut Device, forward: &[Effective]) {
    let mut either: Option<Ports> = None;
    let mut dst: Option<Ports> = None;
    let mut src: Option<Ports> = None;
    for eff in forward {
        let m = &eff.m;
        match eff.effect {
            Effect::Accept
                if m.established
                    && !m.conditional
                    && m.inbound == Sides::BOTH
                    && m.outbound == Sides::BOTH
                    && m.src == Addrs::Any
                    && m.dst == Addrs::Any =>
            {
                match (
                    m.either_ports.is_any(),
                    m.dst_ports.is_any(),
                    m.src_ports.is_any(),
                ) {
                    (false, _, _) => union_into(&mut either, &m.either_ports),
                    (true, false, true) => union_into(&mut dst, &m.dst_ports),
                    (true, true, false) => union_into(&mut src, &m.src_ports),
                    (true, true, true) => union_into(&mut either, &Ports::Any),
                    _ => {}
                }
            }
            Effect::Fasttrack { hw } if m.established => {
                let mut exempt = either.clone();
                if let (Some(d), Some(s)) = (&dst, &src)
                    && let Some(both) = d.intersect(s)
                {
                    union_into(&mut exempt, &both);
                }
                let ports = match &exempt {
                    Some(exempt) => match m.ports().subtract(exempt) {
                        Some(left) => left,
                        None => continue,
                    },
                    None => m.ports(),
                };
                let mut mechanism = String::from("fasttrack-connection");
                if hw {
                    mechanism.push_str(" hw-offload=yes");
                }
                let Some(protocol) = m.protocol() else {
                    continue;
                };
                if let Some(p) = protocol {
                    mechanism.push_str(&format!(" ({p} only)"));
                }
                let spans = m.spans.iter().copied();
                device.offload.push(Offload {
                    mechanism,
                    protocol,
                    ports,
                    evidence: if m.conditional {
                        Evidence::unknown(spans)
                    } else {
                        Evidence::explicit(spans)
                    },
                });
            }
            _ => {}
        }
    }
}

/// Per-source bans (`add-src-to-address-list` filling a list a drop rule matches) and
/// per-source limits on drop rules, on the WAN side.
fn brute_force(device: &mut Device, hooks: &[&[Effective]; 3]) {
    let mut blocking: HashMap<&str, &Effective> = HashMap::new();
    for effs in hooks {
        for eff in effs.iter() {
            if matches!(eff.effect, Effect::Drop) {
                for list in &eff.m.dynamic_sources {
                    blocking.entry(list.as_str()).or_insert(eff);
                }
            }
        }
    }
    let hook_of = [Hook::Prerouting, Hook::Forward, Hook::Input];
    let mut seen: Vec<(Option<Protocol>, Ports)> = Vec::new();
    for (effs, hook) in hooks.iter().zip(hook_of) {
        for eff in effs.iter() {
            let blocker = match &eff.effect {
                Effect::AddSource(list) => match blocking.get(list.as_str()) {
                    Some(b) => Some(*b),
                    None => continue,
                },
                Effect::Drop if eff.per_source_limit => None,
                _ => continue,
            };
            let outside = paths(hook, &eff.m)
                .iter()
                .any(|(p, _)| matches!(p, Path::Inbound | Path::ToDevice));
            let Some(protocol) = eff.m.protocol() else {
                continue;
            };
            if !outside {
                continue;
            }
            let ports = eff.m.ports();
            if seen.contains(&(protocol, ports.clone())) {
                continue;
            }
            seen.push((protocol, ports.clone()));
            let mut spans = eff.m.spans.clone();
            if let Some(b) = blocker {
                spans.extend(b.m.spans.iter().copied());
            }
            spans.sort();
            spans.dedup();
            device.brute_force.push(BruteForce {
                protocol,
                ports,
                evidence: Evidence::explicit(spans),
            });
        }
    }
}

/// The first address of `to-addresses` (an address, a range or a prefix).
fn first_address(text: &str) -> Option<IpAddr> {
    let first = text.split('-').next()?.trim();
    first
        .parse::<IpAddr>()
        .ok()
        .or_else(|| first.parse::<ipnet::IpNet>().ok().map(|n| n.addr()))
}

fn nat_facts(device: &mut Device, nat: &[Rule]) {
    for rule in nat {
        let m = &rule.m;
        let Some(protocol) = m.protocol() else {
            continue;
        };
        let spans = m.spans.iter().copied();
        let source_nat = rule.chain == "srcnat";
        match rule.action.as_str() {
            "dst-nat" | "netmap" if !source_nat => {
                // Only forwards from the WAN side (not LAN redirects or hairpins).
                if !m.inbound.wan {
                    continue;
                }
                let outside_ports = m.ports();
                let to_ports = rule
                    .to_ports
                    .as_deref()
                    .and_then(values::ports)
                    .filter(|p| *p != outside_ports);
                let certain = !m.conditional && m.dynamic_sources.is_empty();
                device.forwards.push(Forward {
                    protocol,
                    outside_ports,
                    to: rule.to_addresses.as_deref().and_then(first_address),
                    to_ports,
                    source: m.src.to_vec(),
                    evidence: if certain {
                        Evidence::explicit(spans)
                    } else {
                        Evidence::unknown(spans)
                    },
                });
            }
            "masquerade" | "src-nat" | "same" | "netmap" => {
                if !m.outbound.wan {
                    continue;
                }
                // Linux NAT keeps a free source port unless `to-ports` narrows the range.
                let port_preservation = match rule.to_ports.as_deref() {
                    None => Some(true),
                    Some(text) => values::ports(text).map(|p| p.is_any()),
                };
                device.source_nat.push(SourceNat {
                    port_preservation,
                    ports: m.ports(),
                    protocol,
                    evidence: Evidence::explicit(spans),
                });
            }
            _ => {}
        }
    }
}

fn alg(device: &mut Device, config: &Config) {
    let sip = &config.sip;
    let ports = sip.ports.as_ref().map(|p| p.0.clone()).unwrap_or_else(|| {
        Ports::from_ranges([sipwall_firewall::model::PortRange::new(5060, 5061)])
    });
    let scope = vec![(Protocol::Udp, ports.clone()), (Protocol::Tcp, ports)];
    let (enabled, evidence) = match sip.disabled {
        Some((off, span)) => {
            let mut spans = vec![span];
            if let Some((_, ports_span)) = &sip.ports
                && *ports_span != span
            {
                spans.push(*ports_span);
            }
            (!off, Evidence::explicit(spans))
        }
        None if !sip.spans.is_empty() => (
            true,
            Evidence::default_at(SIP_HELPER_DEFAULT, sip.spans.iter().copied()),
        ),
        None => (true, Evidence::default(SIP_HELPER_DEFAULT)),
    };
    device.sip_alg.push(AlgState {
        enabled,
        mechanism: "service-port sip".into(),
        scope,
        evidence,
    });
}

fn timeouts(device: &mut Device, config: &Config) {
    let tracking = &config.tracking;
    let (default_unreplied, default_replied) = super::DEFAULT_UDP_TIMEOUTS;
    let evidence = match (&tracking.udp_timeout, &tracking.udp_stream_timeout) {
        (None, None) => match tracking.line {
            Some(line) => Evidence::default_at(UDP_TIMEOUTS_DEFAULT, [line]),
            None => Evidence::default(UDP_TIMEOUTS_DEFAULT),
        },
        (a, b) => Evidence::explicit(a.iter().chain(b.iter()).map(|(_, span)| *span)),
    };
    device.udp_timeouts.push(UdpTimeout {
        scope: TimeoutScope::Global,
        unreplied_seconds: Some(
            tracking
                .udp_timeout
                .map(|t| t.0)
                .unwrap_or(default_unreplied),
        ),
        replied_seconds: Some(
            tracking
                .udp_stream_timeout
                .map(|t| t.0)
                .unwrap_or(default_replied),
        ),
        evidence,
    });
}

/// The major version of `7.15.2`, `6.49.10`, `7.1rc4`.
pub(super) fn major(version: &str) -> Option<u32> {
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn version(device: &mut Device, config: &Config) {
    let Some(major) = config.version.as_ref().and_then(|(v, _)| major(v)) else {
        return;
    };
    let mut issues: Vec<VersionIssue> = Vec::new();
    let mut add =
        |key: &str, message: &str, span: Span| match issues.iter_mut().find(|i| i.key == key) {
            Some(issue) => {
                if issue.evidence.spans.len() < 20 {
                    issue.evidence.spans.push(span);
                }
            }
            None => issues.push(VersionIssue {
                key: key.to_string(),
                message: message.to_string(),
                evidence: Evidence::explicit([span]),
            }),
        };
    for item in &config.version_only {
        match item {
            VersionOnly::SlashPath(span) if major < 7 => add(
                "slash-separated menu path",
                "menu paths written with `/` between the words (`/ip/firewall/filter`) are \
                 RouterOS v7 syntax; v6 takes only `/ip firewall filter`",
                *span,
            ),
            VersionOnly::HwOffload(span) if major < 7 => add(
                "hw-offload",
                "`hw-offload` (FastTrack into the switch chip) is RouterOS v7 (MikroTik docs, \
                 L3 Hardware Offloading); v6 does not have it",
                *span,
            ),
            VersionOnly::Menu(menu, span) if menu.only_in != major => {
                add(menu.path, menu.message, *span)
            }
            _ => {}
        }
    }
    device.version_issues.extend(issues);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    fn device(text: &str, hints: &Hints) -> Device {
        let source = Source::new("t", text);
        let (config, mut coverage) = super::super::config::read(&source);
        let mut device = Device::default();
        evaluate(&config, hints, &mut device, &mut coverage);
        device
    }

    fn read_config(text: &str) -> Config {
        super::super::config::read(&Source::new("t", text)).0
    }

    #[test]
    fn wan_inference() {
        let config = read_config(
            "/interface list member\nadd interface=ether2 list=WAN\nadd interface=bridge list=LAN\n\
             /ip firewall nat\nadd chain=srcnat action=masquerade out-interface=sfp1\n\
             /interface pppoe-client\nadd name=pppoe-isp interface=ether3\n",
        );
        let none = Hints::default();
        let interfaces = Interfaces::new(&config, &none);
        for wan in ["ether2", "sfp1", "pppoe-isp", "lte1", "wan2"] {
            assert!(interfaces.is_wan(wan), "{wan}");
        }
        for inside in ["bridge", "ether1", "ether5"] {
            assert!(!interfaces.is_wan(inside), "{inside}");
        }
        assert_eq!(
            interfaces.list("LAN", true),
            Sides {
                wan: true,
                inside: false
            }
        );
        assert_eq!(
            interfaces.list("WAN", true),
            Sides {
                wan: false,
                inside: true
            }
        );
        // --wan decides alone.
        let hints = Hints {
            wan: vec!["ether5".into()],
            lan: vec![],
        };
        let interfaces = Interfaces::new(&config, &hints);
        assert!(interfaces.is_wan("ether5"));
        assert!(!interfaces.is_wan("sfp1"));
        assert!(!interfaces.is_wan("wan2"));
        // Nothing at all: the default configuration's ether1.
        let empty = read_config("/ip firewall filter\n");
        let interfaces = Interfaces::new(&empty, &none);
        assert!(interfaces.is_wan("ether1"));
        assert!(!interfaces.is_wan("ether2"));
    }

    #[test]
    fn returns_and_loops() {
        let d = device(
            "/ip firewall filter\n\
             add chain=input action=jump jump-target=a in-interface=ether1\n\
             add chain=a action=return src-address=192.0.2.1\n\
             add chain=a action=drop protocol=tcp dst-port=22\n\
             add chain=a action=jump jump-target=a\n\
             add chain=a action=return\n\
             add chain=a action=drop protocol=tcp dst-port=23\n",
            &Hints::default(),
        );
        assert_eq!(d.filters.len(), 1);
        let rule = &d.filters[0];
        assert_eq!(rule.path, Path::ToDevice);
        assert_eq!(rule.destination_ports, Ports::single(22));
        // After a return that only some new packets take, the rest is conditional.
        assert!(rule.conditional);
        assert_eq!(rule.evidence.spans.len(), 2, "the jump and the rule");
    }

    #[test]
    fn jump_context_narrows_rules() {
        let d = device(
            "/ip firewall filter\n\
             add chain=forward action=jump jump-target=v protocol=udp dst-port=5000-6000 \
             in-interface=ether1\n\
             add chain=v action=accept dst-port=5060\n\
             add chain=v action=accept protocol=tcp\n\
             add chain=v action=drop\n",
            &Hints::default(),
        );
        let facts: Vec<(Path, Option<Protocol>, String, Action)> = d
            .filters
            .iter()
            .map(|r| {
                (
                    r.path,
                    r.protocol,
                    r.destination_ports.to_string(),
                    r.action,
                )
            })
            .collect();
        assert_eq!(
            facts,
            vec![
                (
                    Path::Inbound,
                    Some(Protocol::Udp),
                    "5060".into(),
                    Action::Accept
                ),
                (
                    Path::Inbound,
                    Some(Protocol::Udp),
                    "5000-6000".into(),
                    Action::Drop
                ),
            ]
        );
    }

    #[test]
    fn visits_are_bounded_by_the_input() {
        let mut text = String::from("/ip firewall filter\n");
        for _ in 0..50 {
            text.push_str("add chain=forward action=jump jump-target=x\n");
        }
        for _ in 0..50 {
            text.push_str("add chain=x action=jump jump-target=y\n");
        }
        for _ in 0..50 {
            text.push_str("add chain=y action=drop protocol=udp dst-port=9\n");
        }
        let d = device(&text, &Hints::default());
        // 50 × 50 × 50 paths; at most MIN_VISITS rule visits are followed.
        assert!(d.filters.len() <= 2 * MIN_VISITS);
        assert!(!d.filters.is_empty());
    }

    #[test]
    fn nat_state_on_paths() {
        let d = device(
            "/ip firewall filter\n\
             add chain=forward action=accept connection-nat-state=dstnat in-interface=ether1\n\
             add chain=forward action=drop connection-nat-state=!dstnat\n",
            &Hints::default(),
        );
        let facts: Vec<(Path, Action, bool)> = d
            .filters
            .iter()
            .map(|r| (r.path, r.action, r.conditional))
            .collect();
        assert_eq!(
            facts,
            vec![
                (Path::Inbound, Action::Accept, false),
                (Path::Outbound, Action::Drop, false),
                (Path::Inbound, Action::Drop, true),
            ]
        );
    }
}
