//! The configuration turned into device facts: zones sorted into WAN and LAN, security rules
//! into filter rules per path (first match, disabled rules skipped), the NAT rulebase into
//! source NAT and forwards, the SIP ALG state (alg-override and application-override rules),
//! UDP timeouts (global and per application), and the firewall's own services from interface
//! management profiles.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};
use sipwall_firewall::Vendor;
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};

use super::config::{
    AddressDef, Config, DEFAULT_VSYS, GroupDef, MGMT_SERVICES, NatRule, Objects, SecurityRule,
    ServiceProtocol, SourceTranslation, Vsys, parse_net, parse_range,
};
use super::defaults::{INTERZONE_DEFAULT, MGMT_DEFAULT, SIP_ALG_DEFAULT, UDP_TIMEOUT_DEFAULT};
use super::read::Value;
use crate::device::{
    AlgState, DefaultAction, Device, Evidence, FilterRule, Forward, Path, SourceNat, UdpTimeout,
};
use crate::formats::Hints;
use crate::source::Span;

/// Object references nest (groups of groups); deeper chains are loops or hostile input.
const MAX_NESTING: usize = 8;

/// Protocol and port ranges, as constant tables.
type PortTable = &'static [(Protocol, u16, u16)];
type RangeTable = &'static [(u16, u16)];

/// Applications whose traffic is VoIP: a rule limited to them still covers the VoIP ports.
const VOIP_APPS: &[&str] = &["sip", "rtp", "rtcp", "rtp-base", "stun"];

/// Default ports of a few predefined applications, for `service application-default`.
/// Approximate: Applipedia lists the standard port of each (sip udp+tcp 5060, web-browsing tcp
/// 80, ssl tcp 443, ssh 22, ftp 21, tftp udp 69, ntp udp 123, dns 53); some applications list
/// more ports, and `rtp`/`rtcp` have none (their ports are negotiated), so a rule relying on
/// application-default covers no RTP port here.
const APP_DEFAULT_PORTS: &[(&str, PortTable)] = &[
    (
        "sip",
        &[(Protocol::Udp, 5060, 5060), (Protocol::Tcp, 5060, 5060)],
    ),
    ("web-browsing", &[(Protocol::Tcp, 80, 80)]),
    ("ssl", &[(Protocol::Tcp, 443, 443)]),
    ("ssh", &[(Protocol::Tcp, 22, 22)]),
    ("ftp", &[(Protocol::Tcp, 21, 21)]),
    ("tftp", &[(Protocol::Udp, 69, 69)]),
    ("ntp", &[(Protocol::Udp, 123, 123)]),
    ("dns", &[(Protocol::Udp, 53, 53), (Protocol::Tcp, 53, 53)]),
];

/// Predefined service objects (PAN-OS "Objects › Services": `service-http` and
/// `service-https` are predefined; tcp/80,8080 and tcp/443).
const PREDEFINED_SERVICES: &[(&str, Protocol, RangeTable)] = &[
    ("service-http", Protocol::Tcp, &[(80, 80), (8080, 8080)]),
    ("service-https", Protocol::Tcp, &[(443, 443)]),
];

/// Zone names that usually face the internet, and the inside.
const WAN_NAMES: &[&str] = &[
    "untrust", "outside", "wan", "internet", "external", "public", "isp", "uplink",
];
const LAN_NAMES: &[&str] = &[
    "trust", "inside", "lan", "internal", "private", "corp", "office", "voice", "voip",
];

pub(super) fn facts(config: &Config<'_>, hints: &Hints, version: Option<(String, Span)>) -> Device {
    let mut device = Device {
        vendor: Some(Vendor::Panos),
        version: version.map(|(version, span)| crate::device::Versioned { version, span }),
        ..Device::default()
    };
    let empty = Vsys::default();
    let vsys = choose_vsys(config, hints).unwrap_or(&empty);
    let resolver = Resolver {
        vsys: &vsys.objects,
        shared: &config.shared,
        override_apps: vsys
            .overrides
            .list
            .iter()
            .filter(|r| !r.disabled)
            .filter_map(|r| r.application.as_deref())
            .collect(),
    };
    let zones = Zones::classify(vsys, hints);
    security(vsys, &resolver, &zones, &mut device);
    defaults(vsys, &mut device);
    nat(vsys, &resolver, &zones, &mut device);
    alg(config, vsys, &mut device);
    timeouts(config, vsys, &mut device);
    to_device(config, vsys, &resolver, &zones, hints, &mut device);
    device
}

/// The vsys a hinted zone is in, else vsys1, else the first.
fn choose_vsys<'c, 'a>(config: &'c Config<'a>, hints: &Hints) -> Option<&'c Vsys<'a>> {
    let hinted = config.vsys.iter().find(|(_, v)| {
        v.zones
            .iter()
            .any(|(zone, _)| hints.is_wan(zone) || hints.is_lan(zone))
    });
    hinted
        .or_else(|| config.vsys.iter().find(|(n, _)| n == DEFAULT_VSYS))
        .or_else(|| config.vsys.first())
        .map(|(_, v)| v)
}

struct Zones {
    wan: HashSet<String>,
    lan: HashSet<String>,
}

fn is_any(list: &[Cow<str>]) -> bool {
    list.is_empty() || list.iter().any(|z| z == "any")
}

fn name_like(zone: &str, names: &[&str]) -> bool {
    let lower = zone.to_ascii_lowercase();
    names.iter().any(|n| lower.contains(n))
}

impl Zones {
    /// WAN and LAN zones: from the hints (zone or interface names), else the source NAT rules
    /// (their `to` zone faces the internet), destination NAT (`from`), then the usual names.
    fn classify(vsys: &Vsys, hints: &Hints) -> Zones {
        let mut known: Vec<String> = vsys.zones.iter().map(|(z, _)| z.to_string()).collect();
        let mut seen: HashSet<String> = known.iter().cloned().collect();
        let mut note = |list: &Value| {
            for zone in list.items().iter().filter(|z| *z != "any") {
                if !seen.contains(zone.as_ref()) {
                    seen.insert(zone.to_string());
                    known.push(zone.to_string());
                }
            }
        };
        for rule in &vsys.security.list {
            note(&rule.from);
            note(&rule.to);
        }
        for rule in &vsys.nat.list {
            note(&rule.from);
            note(&rule.to);
        }
        let hinted = |names: &[String]| -> HashSet<String> {
            let mut out: HashSet<String> = names.iter().cloned().collect();
            for (zone, interfaces) in &vsys.zones {
                if interfaces.iter().any(|i| names.iter().any(|n| n == i)) {
                    out.insert(zone.to_string());
                }
            }
            out
        };
        let mut wan = hinted(&hints.wan);
        let mut lan = hinted(&hints.lan);
        if wan.is_empty() {
            for rule in vsys.nat.list.iter().filter(|r| !r.disabled) {
                let named = |list: &Value| -> Vec<String> {
                    list.items()
                        .iter()
                        .filter(|z| *z != "any")
                        .map(|z| z.to_string())
                        .collect()
                };
                if rule.source_translation.is_some() && !rule.destination_translation {
                    wan.extend(named(&rule.to));
                    if lan.is_empty() || hints.lan.is_empty() {
                        lan.extend(named(&rule.from));
                    }
                } else if rule.destination_translation {
                    wan.extend(named(&rule.from));
                }
            }
            lan.retain(|z| !wan.contains(z));
        }
        if wan.is_empty() {
            wan = known
                .iter()
                .filter(|z| name_like(z, WAN_NAMES))
                .cloned()
                .collect();
        }
        if lan.is_empty() {
            lan = known
                .iter()
                .filter(|z| !wan.contains(*z) && name_like(z, LAN_NAMES))
                .cloned()
                .collect();
        }
        if lan.is_empty() && !wan.is_empty() {
            lan = known
                .iter()
                .filter(|z| !wan.contains(*z))
                .cloned()
                .collect();
        }
        if wan.is_empty() && !lan.is_empty() && hints.wan.is_empty() {
            wan = known
                .iter()
                .filter(|z| !lan.contains(*z))
                .cloned()
                .collect();
        }
        Zones { wan, lan }
    }

    fn meets(set: &HashSet<String>, list: &Value) -> bool {
        let list = list.items();
        is_any(list) || list.iter().any(|z| set.contains(z.as_ref()))
    }

    /// The paths of a rule from zones `from` to zones `to`.
    fn paths(&self, from: &Value, to: &Value, rule_type: Option<&str>) -> Vec<Path> {
        if rule_type == Some("intrazone") {
            return Vec::new();
        }
        let mut out = Vec::new();
        if Self::meets(&self.lan, from) && Self::meets(&self.wan, to) {
            out.push(Path::Outbound);
        }
        if Self::meets(&self.wan, from) && Self::meets(&self.lan, to) {
            out.push(Path::Inbound);
        }
        out
    }

    /// True when traffic from `zones` comes from the WAN (or the WAN is unknown).
    fn faces_wan(&self, zones: &Value) -> bool {
        self.wan.is_empty() || Self::meets(&self.wan, zones)
    }
}

/// Looks names up in the vsys, then in `shared`.
struct Resolver<'c, 'a> {
    vsys: &'c Objects<'a>,
    shared: &'c Objects<'a>,
    /// Applications that application-override rules assign (port-based, no App-ID).
    override_apps: HashSet<&'c str>,
}

/// `(protocol, destination ports, source ports)`; `None`: every protocol.
type PortSets = Vec<(Option<Protocol>, Ports, Ports)>;

fn range_nets(a: IpAddr, b: IpAddr) -> Option<Vec<IpNet>> {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => {
            Some(Ipv4Subnets::new(a, b, 0).map(IpNet::V4).collect())
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => {
            Some(Ipv6Subnets::new(a, b, 0).map(IpNet::V6).collect())
        }
        _ => None,
    }
}

impl<'c, 'a> Resolver<'c, 'a> {
    fn lookup<T>(&self, pick: impl Fn(&'c Objects<'a>) -> Option<&'c T>) -> Option<&'c T> {
        pick(self.vsys).or_else(|| pick(self.shared))
    }

    /// Addresses of a rule side; `any` is the empty list. `false` when some name could not be
    /// resolved (dynamic groups, regions, external lists, unknown names).
    fn addresses(&self, names: &[Cow<str>]) -> (Vec<Address>, bool) {
        let mut out = Vec::new();
        if is_any(names) {
            return (out, true);
        }
        let mut resolved = true;
        for name in names {
            resolved &= self.address(name, 0, &mut out);
        }
        (out, resolved)
    }

    fn address(&self, name: &str, depth: usize, out: &mut Vec<Address>) -> bool {
        if depth > MAX_NESTING {
            return false;
        }
        if let Some(def) = self.lookup(|o| o.addresses.get(name)) {
            return match def {
                AddressDef::Net(net) => {
                    out.push(Address::Net(net.trunc()));
                    true
                }
                AddressDef::Range(a, b) => match range_nets(*a, *b) {
                    Some(nets) => {
                        out.extend(nets.into_iter().map(Address::Net));
                        true
                    }
                    None => false,
                },
                AddressDef::Fqdn(fqdn) => {
                    out.push(Address::Fqdn(fqdn.clone()));
                    true
                }
                AddressDef::Opaque => false,
            };
        }
        if let Some(GroupDef { members, dynamic }) = self.lookup(|o| o.groups.get(name)) {
            if *dynamic {
                return false;
            }
            let mut ok = true;
            for member in members.items() {
                ok &= self.address(member, depth + 1, out);
            }
            return ok;
        }
        if let Some(net) = parse_net(name) {
            out.push(Address::Net(net.trunc()));
            return true;
        }
        if let Some(nets) = parse_range(name).and_then(|(a, b)| range_nets(a, b)) {
            out.extend(nets.into_iter().map(Address::Net));
            return true;
        }
        false
    }

    /// One host address for a translated address (`192.168.1.10`, an object of a /32).
    fn host(&self, name: &str) -> Option<IpAddr> {
        let mut out = Vec::new();
        if !self.address(name, 0, &mut out) {
            return None;
        }
        match out.as_slice() {
            [Address::Net(net)] if net.prefix_len() == net.max_prefix_len() => Some(net.addr()),
            _ => None,
        }
    }

    /// Applications with groups expanded.
    fn applications(&self, names: &[Cow<str>]) -> Vec<String> {
        let mut out = Vec::new();
        let mut todo: Vec<(String, usize)> = names.iter().map(|n| (n.to_string(), 0)).collect();
        while let Some((name, depth)) = todo.pop() {
            match self.lookup(|o| o.app_groups.get(name.as_str())) {
                Some(members) if depth < MAX_NESTING => {
                    todo.extend(members.items().iter().map(|m| (m.to_string(), depth + 1)));
                }
                Some(_) => {}
                None => out.push(name),
            }
        }
        out
    }

    /// The ports of a service name; `false` when it cannot be resolved.
    fn service(&self, name: &str, depth: usize, out: &mut PortSets) -> bool {
        if depth > MAX_NESTING {
            return false;
        }
        if name == "any" {
            out.push((None, Ports::Any, Ports::Any));
            return true;
        }
        if let Some(def) = self.lookup(|o| o.services.get(name)) {
            if def.bad {
                return false;
            }
            let protocol = match def.protocol {
                Some(ServiceProtocol::Udp) => Protocol::Udp,
                Some(ServiceProtocol::Tcp) => Protocol::Tcp,
                // SCTP carries no VoIP traffic here: resolved, no ports.
                Some(ServiceProtocol::Sctp) => return true,
                None => return false,
            };
            return match &def.ports {
                Some(ports) => {
                    let source_ports = def.source_ports.clone().unwrap_or(Ports::Any);
                    out.push((Some(protocol), ports.clone(), source_ports));
                    true
                }
                None => false,
            };
        }
        if let Some(members) = self.lookup(|o| o.service_groups.get(name)) {
            let mut ok = true;
            for member in members.items() {
                ok &= self.service(member, depth + 1, out);
            }
            return ok;
        }
        if let Some((_, protocol, ranges)) = PREDEFINED_SERVICES.iter().find(|(n, ..)| *n == name) {
            let ports = Ports::from_ranges(ranges.iter().map(|&(a, b)| PortRange::new(a, b)));
            out.push((Some(*protocol), ports, Ports::Any));
            return true;
        }
        false
    }

    /// The default ports of an application (`service application-default`).
    fn app_ports(&self, app: &str, overrides: &Vsys<'_>, out: &mut PortSets) -> bool {
        let mut found = false;
        for rule in overrides.overrides.list.iter().filter(|r| !r.disabled) {
            if rule.application.as_deref() == Some(app)
                && let (Some(protocol), Some(ports)) = (rule.protocol, &rule.ports)
            {
                out.push((Some(protocol), ports.clone(), Ports::Any));
                found = true;
            }
        }
        if found {
            return true;
        }
        if let Some(def) = self.lookup(|o| o.applications.get(app)) {
            out.extend(
                def.default_ports
                    .iter()
                    .map(|(protocol, ports)| (Some(*protocol), ports.clone(), Ports::Any)),
            );
            return !def.default_ports.is_empty();
        }
        match APP_DEFAULT_PORTS.iter().find(|(name, _)| *name == app) {
            Some((_, ports)) => {
                out.extend(ports.iter().map(|&(p, a, b)| {
                    (
                        Some(p),
                        Ports::from_ranges([PortRange::new(a, b)]),
                        Ports::Any,
                    )
                }));
                true
            }
            None => false,
        }
    }
}

/// Port sets merged per protocol, split where source ports differ
/// ([`by_source_ports`](crate::formats::by_source_ports); `sources: false`: the source ports
/// dropped); an entry for every protocol (`None`) absorbs the rest.
fn merge(sets: PortSets, sources: bool) -> PortSets {
    if sets.iter().any(|(p, ..)| p.is_none()) {
        return vec![(None, Ports::Any, Ports::Any)];
    }
    let mut out = Vec::new();
    for protocol in [Protocol::Udp, Protocol::Tcp] {
        let items: Vec<(Ports, Ports)> = sets
            .iter()
            .filter(|(p, ..)| *p == Some(protocol))
            .map(|(_, ports, source_ports)| {
                let source_ports = if sources {
                    source_ports.clone()
                } else {
                    Ports::Any
                };
                (ports.clone(), source_ports)
            })
            .collect();
        for (source_ports, ports) in crate::formats::by_source_ports(&items) {
            out.push((Some(protocol), ports, source_ports));
        }
    }
    out
}

fn action(word: Option<&str>) -> Option<Action> {
    match word? {
        "allow" => Some(Action::Accept),
        "deny" | "drop" | "reset-client" | "reset-server" | "reset-both" => Some(Action::Drop),
        _ => None,
    }
}

/// Security rules in order: one filter rule per path and protocol.
fn security(vsys: &Vsys<'_>, resolver: &Resolver, zones: &Zones, device: &mut Device) {
    for rule in vsys.security.list.iter().filter(|r| !r.disabled) {
        // A rule without an action (a truncated export) decides nothing.
        let Some(action) = action(rule.action.as_deref()) else {
            continue;
        };
        let paths = zones.paths(&rule.from, &rule.to, rule.rule_type.as_deref());
        if paths.is_empty() {
            continue;
        }
        let (ports, mut conditional) = rule_ports(rule, resolver, vsys);
        let (source, source_ok) = resolver.addresses(rule.source.items());
        let (destination, destination_ok) = resolver.addresses(rule.destination.items());
        conditional |= !source_ok
            || !destination_ok
            || rule.negate_source
            || rule.negate_destination
            || !rule.narrowed.is_empty();
        let (source, destination) = if conditional {
            // What the rule matches is not a plain address list.
            (
                if source_ok && !rule.negate_source {
                    source
                } else {
                    Vec::new()
                },
                if destination_ok && !rule.negate_destination {
                    destination
                } else {
                    Vec::new()
                },
            )
        } else {
            (source, destination)
        };
        for path in paths {
            for (protocol, ports, source_ports) in &ports {
                device.filters.push(FilterRule {
                    path,
                    protocol: *protocol,
                    source: source.clone(),
                    source_ports: source_ports.clone(),
                    destination: destination.clone(),
                    destination_ports: ports.clone(),
                    action,
                    conditional,
                    evidence: Evidence::explicit(rule.spans.iter().copied()),
                });
            }
        }
    }
}

/// The ports a security rule matches, and whether it matches only some of that traffic
/// (specific non-VoIP applications, unresolvable services).
fn rule_ports(rule: &SecurityRule, resolver: &Resolver, vsys: &Vsys<'_>) -> (PortSets, bool) {
    let apps = resolver.applications(rule.application.items());
    let any_app = apps.is_empty() || apps.iter().any(|a| a == "any");
    let voip_app = apps
        .iter()
        .any(|a| VOIP_APPS.contains(&a.as_str()) || resolver.override_apps.contains(a.as_str()));
    // App-ID matches only the listed applications: conservative unless they are VoIP.
    let mut conditional = !any_app && !voip_app;
    let mut sets = PortSets::new();
    let any = [Cow::Borrowed("any")];
    let services = match rule.service.items() {
        [] => &any[..],
        listed => listed,
    };
    for service in services {
        if service == "application-default" {
            if any_app {
                // Each application on its own default ports: not a port list.
                sets.push((None, Ports::Any, Ports::Any));
                conditional = true;
                continue;
            }
            let mut known = false;
            for app in &apps {
                known |= resolver.app_ports(app, vsys, &mut sets);
            }
            if !known {
                sets.push((None, Ports::Any, Ports::Any));
                conditional = true;
            }
        } else if !resolver.service(service, 0, &mut sets) {
            sets.push((None, Ports::Any, Ports::Any));
            conditional = true;
        }
    }
    (merge(sets, true), conditional)
}

/// What traffic no rule matches meets: the interzone default (deny unless overridden) for
/// both forwarded paths; the firewall itself answers only what management profiles enable.
fn defaults(vsys: &Vsys<'_>, device: &mut Device) {
    let (action, evidence) = match vsys.default_rules.get("interzone-default") {
        Some((word, span)) => (
            action(Some(word.as_ref())).unwrap_or(Action::Drop),
            Evidence::explicit([*span]),
        ),
        None => (Action::Drop, Evidence::default(INTERZONE_DEFAULT)),
    };
    for path in [Path::Outbound, Path::Inbound] {
        device.default_actions.push(DefaultAction {
            path,
            action,
            evidence: evidence.clone(),
        });
    }
    device.default_actions.push(DefaultAction {
        path: Path::ToDevice,
        action: Action::Drop,
        evidence: Evidence::default(MGMT_DEFAULT),
    });
}

/// The match of a NAT rule, to find rules an earlier one with the same match shadows.
fn nat_key(rule: &NatRule) -> String {
    let sorted = |list: &Value| {
        let mut list: Vec<&str> = list.items().iter().map(|i| i.as_ref()).collect();
        list.sort_unstable();
        list.join(",")
    };
    format!(
        "{}|{}|{}|{}|{}|{}",
        sorted(&rule.from),
        sorted(&rule.to),
        sorted(&rule.source),
        sorted(&rule.destination),
        rule.service.as_deref().unwrap_or("any"),
        rule.to_interface.as_deref().unwrap_or("")
    )
}

fn nat(vsys: &Vsys<'_>, resolver: &Resolver, zones: &Zones, device: &mut Device) {
    let mut seen = HashSet::new();
    for rule in vsys.nat.list.iter().filter(|r| !r.disabled) {
        // First match: a rule with the same match as an earlier one never applies.
        if !seen.insert(nat_key(rule)) {
            continue;
        }
        let mut sets = PortSets::new();
        let service_ok = match rule.service.as_deref() {
            None | Some("any") => {
                sets.push((None, Ports::Any, Ports::Any));
                true
            }
            Some(name) => resolver.service(name, 0, &mut sets),
        };
        let sets = if service_ok {
            merge(sets, false)
        } else {
            vec![(None, Ports::Any, Ports::Any)]
        };
        let evidence = Evidence::explicit(rule.spans.iter().copied());
        if let Some(kind) = rule.source_translation {
            let toward_wan = zones.wan.is_empty() || Zones::meets(&zones.wan, &rule.to);
            if toward_wan {
                // PAN-OS 10.1 networking admin, "Source NAT": static IP leaves the source port
                // unchanged, dynamic IP translates the address only (no port), DIPP translates
                // to the same public address "with different port numbers".
                let port_preservation = Some(kind != SourceTranslation::Dipp);
                for (protocol, ports, _) in &sets {
                    device.source_nat.push(SourceNat {
                        port_preservation,
                        ports: ports.clone(),
                        protocol: *protocol,
                        evidence: evidence.clone(),
                    });
                }
            }
            // A bi-directional static NAT also maps the public address back to the inside
            // host: everything sent to it is forwarded (a 1:1 NAT).
            if kind == SourceTranslation::StaticIp && rule.bi_directional && toward_wan {
                let (inside, _) = resolver.addresses(rule.source.items());
                let to = match inside.as_slice() {
                    [Address::Net(net)] if net.prefix_len() == net.max_prefix_len() => {
                        Some(net.addr())
                    }
                    _ => None,
                };
                for (protocol, ports, _) in &sets {
                    device.forwards.push(Forward {
                        protocol: *protocol,
                        outside_ports: ports.clone(),
                        to,
                        to_ports: None,
                        source: Vec::new(),
                        evidence: evidence.clone(),
                    });
                }
            }
        }
        if rule.destination_translation && zones.faces_wan(&rule.from) {
            let to = rule
                .translated_address
                .as_deref()
                .and_then(|a| resolver.host(a));
            let (source, source_ok) = resolver.addresses(rule.source.items());
            let evidence = if source_ok && service_ok && !rule.bad {
                evidence.clone()
            } else {
                Evidence::unknown(rule.spans.iter().copied())
            };
            for (protocol, ports, _) in &sets {
                device.forwards.push(Forward {
                    protocol: *protocol,
                    outside_ports: ports.clone(),
                    to,
                    to_ports: rule.translated_port.map(Ports::single),
                    source: source.clone(),
                    evidence: evidence.clone(),
                });
            }
        }
    }
}

/// The ports of `ports` minus `cut`, as a scope entry.
fn minus(protocol: Protocol, cut: &[PortRange]) -> Option<(Protocol, Ports)> {
    if cut.is_empty() {
        return Some((protocol, Ports::Any));
    }
    Ports::Any
        .subtract(&Ports::from_ranges(cut.iter().copied()))
        .map(|left| (protocol, left))
}

/// The SIP ALG: `alg-override application sip alg-disabled yes` turns it off; without it it is
/// on for the predefined application `sip`, which App-ID finds on any port, except on the ports
/// application-override rules take out of App-ID (each of those an explicit "off" state).
fn alg(config: &Config<'_>, vsys: &Vsys<'_>, device: &mut Device) {
    let overrides: Vec<_> = vsys
        .overrides
        .list
        .iter()
        .filter(|r| !r.disabled)
        .filter_map(|r| Some((r, r.protocol?, r.ports.clone()?)))
        .collect();
    let cut = |protocol: Protocol| -> Vec<PortRange> {
        overrides
            .iter()
            .filter(|(_, p, _)| *p == protocol)
            .flat_map(|(_, _, ports)| ports.ranges())
            .collect()
    };
    let scope: Vec<(Protocol, Ports)> = [Protocol::Udp, Protocol::Tcp]
        .into_iter()
        .filter_map(|p| minus(p, &cut(p)))
        .collect();
    match config.alg_overrides.get("sip") {
        Some((true, span)) => device.sip_alg.push(AlgState {
            enabled: false,
            mechanism: "alg-override application sip alg-disabled yes".into(),
            scope: Vec::new(),
            evidence: Evidence::explicit([*span]),
        }),
        Some((false, span)) if !scope.is_empty() => device.sip_alg.push(AlgState {
            enabled: true,
            mechanism: "SIP ALG of the application sip (alg-override … alg-disabled no)".into(),
            scope,
            evidence: Evidence::explicit([*span]),
        }),
        None if !scope.is_empty() => device.sip_alg.push(AlgState {
            enabled: true,
            mechanism: "SIP ALG of the predefined application sip (no alg-override)".into(),
            scope,
            evidence: Evidence::default(SIP_ALG_DEFAULT),
        }),
        _ => {}
    }
    for (rule, protocol, ports) in overrides {
        device.sip_alg.push(AlgState {
            enabled: false,
            mechanism: format!(
                "application-override rule {} ({protocol}/{ports} as application {}: App-ID \
                 and the SIP ALG bypassed)",
                rule.name,
                rule.application.as_deref().unwrap_or("?")
            ),
            scope: vec![(protocol, ports)],
            evidence: Evidence::explicit(rule.spans.iter().copied()),
        });
    }
}

/// The global UDP timeout (default 30 s), then the UDP timeouts of custom applications on the
/// ports they are known on (their application-override rules, else their default ports) and of
/// services with a timeout override.
fn timeouts(config: &Config<'_>, vsys: &Vsys<'_>, device: &mut Device) {
    device.udp_timeouts.push(match config.udp_timeout {
        Some((seconds, span)) => UdpTimeout {
            scope: TimeoutScope::Global,
            unreplied_seconds: Some(seconds),
            replied_seconds: Some(seconds),
            evidence: Evidence::explicit([span]),
        },
        None => UdpTimeout {
            scope: TimeoutScope::Global,
            unreplied_seconds: Some(30),
            replied_seconds: Some(30),
            evidence: Evidence::default(UDP_TIMEOUT_DEFAULT),
        },
    });
    // The vsys's applications shadow shared ones of the same name; sorted for a stable order.
    let mut apps: HashMap<&Cow<str>, _> = config.shared.applications.iter().collect();
    apps.extend(vsys.objects.applications.iter());
    let mut apps: Vec<_> = apps.into_iter().collect();
    apps.sort_by(|a, b| a.0.cmp(b.0));
    for (name, app) in apps {
        // KB "Order of Processing Timeout Values": app UDP timeout > app timeout > global.
        let Some(seconds) = app.udp_timeout.or(app.timeout) else {
            continue;
        };
        let mut ranges: Vec<PortRange> = vsys
            .overrides
            .list
            .iter()
            .filter(|r| !r.disabled && r.protocol == Some(Protocol::Udp))
            .filter(|r| r.application.as_deref() == Some(name.as_ref()))
            .filter_map(|r| r.ports.as_ref())
            .flat_map(Ports::ranges)
            .collect();
        if ranges.is_empty() {
            ranges = app
                .default_ports
                .iter()
                .filter(|(p, _)| *p == Protocol::Udp)
                .flat_map(|(_, ports)| ports.ranges())
                .collect();
        }
        if ranges.is_empty() {
            continue;
        }
        device.udp_timeouts.push(UdpTimeout {
            scope: TimeoutScope::Ports(Ports::from_ranges(ranges)),
            unreplied_seconds: Some(seconds),
            replied_seconds: Some(seconds),
            evidence: Evidence::explicit(app.spans.iter().copied()),
        });
    }
    let mut services: HashMap<&Cow<str>, _> = config.shared.services.iter().collect();
    services.extend(vsys.objects.services.iter());
    let mut services: Vec<_> = services.into_iter().collect();
    services.sort_by(|a, b| a.0.cmp(b.0));
    for (_, service) in services {
        if let (Some(ServiceProtocol::Udp), Some(seconds), Some(ports)) =
            (service.protocol, service.timeout, &service.ports)
        {
            device.udp_timeouts.push(UdpTimeout {
                scope: TimeoutScope::Ports(ports.clone()),
                unreplied_seconds: Some(seconds),
                replied_seconds: Some(seconds),
                evidence: Evidence::explicit(service.spans.iter().copied()),
            });
        }
    }
}

/// The firewall's own services on WAN interfaces: an interface management profile on an
/// interface of a WAN zone (or a hinted WAN interface) accepts its enabled services from its
/// permitted addresses (any when none).
fn to_device(
    config: &Config<'_>,
    vsys: &Vsys<'_>,
    resolver: &Resolver,
    zones: &Zones,
    hints: &Hints,
    device: &mut Device,
) {
    let mut done = HashSet::new();
    for (interface, profile_name, span) in &config.interface_profiles {
        let on_wan = hints.is_wan(interface)
            || vsys.zones.iter().any(|(zone, members)| {
                zones.wan.contains(zone.as_ref()) && members.contains(interface)
            });
        if !on_wan || !done.insert(profile_name) {
            continue;
        }
        let Some(profile) = config.mgmt_profiles.get(profile_name) else {
            continue;
        };
        let (source, _) = resolver.addresses(&profile.permitted_ip);
        for (service, enabled, service_span) in &profile.services {
            let Some((_, protocol, first, last)) = MGMT_SERVICES
                .iter()
                .find(|(name, ..)| *name == service.as_ref())
            else {
                continue;
            };
            if !enabled {
                continue;
            }
            device.filters.push(FilterRule {
                path: Path::ToDevice,
                protocol: Some(*protocol),
                source: source.clone(),
                source_ports: Ports::Any,
                destination: Vec::new(),
                destination_ports: Ports::from_ranges([PortRange::new(*first, *last)]),
                action: Action::Accept,
                conditional: false,
                evidence: Evidence::explicit([*span, *service_span]),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Certainty;
    use crate::formats::panos::config::tests::collect;
    use crate::source::Source;

    fn device(text: &str, hints: &Hints) -> Device {
        let source = Source::new("t", text);
        let (config, _) = collect(&source);
        facts(&config, hints, None)
    }

    #[test]
    fn zones_from_nat_and_names() {
        let d = device(
            "set rulebase nat rules s from inside to outside source any destination any \
             service any source-translation dynamic-ip-and-port interface-address interface \
             ethernet1/1\n\
             set rulebase security rules out from inside to outside source any destination any \
             application any service any action allow\n",
            &Hints::default(),
        );
        assert_eq!(d.filters.len(), 1);
        assert_eq!(d.filters[0].path, Path::Outbound);
        assert_eq!(d.source_nat[0].port_preservation, Some(false));
    }

    #[test]
    fn specific_applications_are_conditional_unless_voip() {
        let hints = Hints {
            wan: vec!["untrust".into()],
            lan: vec!["trust".into()],
        };
        let d = device(
            "set rulebase security rules web from trust to untrust application [ web-browsing \
             ssl ] service application-default action allow\n\
             set rulebase security rules voice from trust to untrust application sip service \
             application-default action allow\n",
            &hints,
        );
        assert!(d.filters[0].conditional);
        let voice: Vec<_> = d.filters.iter().filter(|f| !f.conditional).collect();
        assert_eq!(voice.len(), 2);
        assert!(
            voice
                .iter()
                .all(|f| f.destination_ports == Ports::single(5060))
        );
    }

    #[test]
    fn alg_default_and_override_scope() {
        let d = device(
            "set rulebase application-override rules sipudp protocol udp port 5060 application \
             my-sip\n",
            &Hints::default(),
        );
        let on = d.sip_alg.iter().find(|a| a.enabled).unwrap();
        assert!(matches!(
            on.evidence.certainty,
            Certainty::DefaultInferred { .. }
        ));
        let udp = on.scope.iter().find(|(p, _)| *p == Protocol::Udp).unwrap();
        assert!(udp.1.intersect(&Ports::single(5060)).is_none());
        assert!(
            on.scope
                .iter()
                .any(|(p, ports)| *p == Protocol::Tcp && ports.is_any())
        );
        assert!(d.sip_alg.iter().any(|a| !a.enabled));
    }
}
