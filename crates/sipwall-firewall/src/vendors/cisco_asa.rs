//! Cisco ASA (9.x, object NAT syntax of 8.3 and later): CLI lines to paste in configuration
//! mode. `!` starts a comment.
//!
//! Vendor facts used here, with their sources (research/anchors-firewall.md unless said):
//! - §2 table and §3.3 [D] Cisco ASA Series Firewall CLI Configuration Guide (mirrors listed in
//!   §3.3): SIP inspection is on by default through `class inspection_default` of
//!   `policy-map global_policy`; `no inspect sip` under that class turns it off.
//! - §3.3 [V] public default export (ciscoconfparse `sample_01.asa`): `timeout udp 0:02:00`,
//!   `timeout sip 0:30:00 sip_media 0:02:00`, `inspect sip` under `class inspection_default`.
//! - §2 table: `timeout udp hh:mm:ss` is global; a class of the modular policy framework can
//!   carry `set connection timeout idle hh:mm:ss` (idle timeout of any protocol, 8.2(2)+) for
//!   the traffic it matches (`class-map` / `match port udp eq|range`).
//! - Cisco ASA CLI configuration guide, "Network Object NAT" / "Twice NAT", Dynamic PAT
//!   guidelines (8.4 guide mirrors on manualsdir.com / manualsonline.com): "If available, the
//!   real source port number is used for the mapped port"; PAT does not consider the
//!   destination unless `extended` is given, and "For VoIP deployments that use ICE or TURN, do
//!   not use extended PAT. ICE and TURN rely on the PAT binding to be the same for all
//!   destinations" (so plain PAT is endpoint-independent); `flat` / `include-reserve` exist only
//!   for PAT pools. Multi-session PAT (all UDP except DNS) keeps one xlate per real address and
//!   port; TCP and DNS use per-session PAT by default (ASA 9.0(1) feature history).
//! - Object NAT: one NAT rule per network object, `nat (real_ifc,mapped_ifc) static interface
//!   service {tcp|udp} real_port mapped_port` for a port forward to the interface address
//!   (cubiclewizard.blogspot.com "ASA Object NAT breakdown", CLI guide "Static Interface NAT
//!   with Port Translation"); `object network obj_any` / `subnet 0.0.0.0 0.0.0.0` / `nat
//!   (inside,outside) dynamic interface` for PAT to the interface address.
//! - ACLs since 8.3 use the real (untranslated) addresses; `object-group network` /
//!   `object-group service NAME udp|tcp` with `port-object eq|range`; `access-list NAME
//!   extended permit …`, `access-list NAME remark …`, `access-group NAME in interface IFC`.
//! - FQDN objects (`object network X` / `fqdn NAME`, 8.4(2)+) are resolved by the ASA and need
//!   `dns domain-lookup IFC` and a DNS server group (Cisco community document "Using hostnames
//!   (DNS) in access-lists", networkbits.es "Using FQDNs in ASA ACLs").

#[path = "cisco_common.rs"]
pub(super) mod common;

use std::collections::BTreeMap;

use ipnet::IpNet;

use self::common::{Out, hms, mask, name};
use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{
    Action, Address, AlgProtocol, Direction, Policy, PortForward, PortRange, Ports, Protocol,
    TimeoutScope,
};

pub const ID: &str = "cisco-asa";
pub const FAMILY: &str = "cisco-asa";
pub const VERSIONS: &str = "ASA 9.x";

/// ASA 9.x ("9", "9.16(4)", "ASA 9.18", "9.x").
pub fn matches_version(version: &str) -> bool {
    common::parse_version(version).is_some_and(|(major, _)| major == 9)
}

/// ASA default `timeout udp` (research §3.3 [V]).
const DEFAULT_UDP_SECONDS: u32 = 120;
/// ASA names (objects, groups, ACLs) are at most 64 characters.
const NAME_MAX: usize = 64;

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "network objects, object-groups and one extended ACL per interface (access-group in)",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Native,
        how: "`object network` with `fqdn` (8.4(2)+); needs DNS lookup configured on the ASA",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Native,
        how: "object NAT `dynamic interface` PAT: real source port kept when free, one binding \
              for all destinations (no `extended`)",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "`no inspect sip` in `policy-map global_policy` / `class inspection_default`; other \
              policy-maps are checked by hand",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Native,
        how: "class-map `match port udp` + `set connection timeout idle` in global_policy; global \
              `timeout udp`",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "outside ACL permits only the listed ports and sources; static NAT only per port",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::None,
        how: "not rendered: keep the PBX's own failed-authentication ban (or fail2ban)",
    },
    Capability {
        concern: "port forward of a port range",
        support: Support::Approximate,
        how: "single ports as static object NAT; ranges as twice-NAT instructions to check",
    },
];

/// Network objects: one per distinct address, by name.
struct Objects {
    /// Address text → object name.
    names: BTreeMap<String, String>,
    /// Object name → its one definition line.
    defs: Vec<(String, String)>,
    fqdns: Vec<String>,
}

impl Objects {
    fn collect(policy: &Policy) -> Self {
        let mut out = Objects {
            names: BTreeMap::new(),
            defs: Vec::new(),
            fqdns: Vec::new(),
        };
        for rule in &policy.rules {
            for address in rule.source.iter().chain(&rule.destination) {
                out.add(address);
            }
        }
        out
    }

    fn add(&mut self, address: &Address) {
        let key = address.to_string();
        if self.names.contains_key(&key) {
            return;
        }
        let (base, def) = match address {
            Address::Net(net) => {
                let net = net.trunc();
                let def = match net {
                    IpNet::V4(v4) if v4.prefix_len() == 32 => format!("host {}", v4.addr()),
                    IpNet::V4(v4) => {
                        format!("subnet {} {}", v4.addr(), mask(v4.prefix_len()))
                    }
                    IpNet::V6(v6) if v6.prefix_len() == 128 => format!("host {}", v6.addr()),
                    IpNet::V6(v6) => format!("subnet {v6}"),
                };
                (
                    format!("sipwall-{}-{}", net.addr(), net.prefix_len()).replace(':', "."),
                    def,
                )
            }
            Address::Fqdn(fqdn) => {
                self.fqdns.push(fqdn.clone());
                (format!("sipwall-{fqdn}"), format!("fqdn {fqdn}"))
            }
        };
        let mut object = name(&base, NAME_MAX);
        if self.defs.iter().any(|(n, _)| *n == object) {
            object = format!("{}-{}", name(&base, NAME_MAX - 4), self.defs.len());
        }
        self.names.insert(key, object.clone());
        self.defs.push((object, def));
    }
}

/// Object-groups and ACL entries, built per rule.
struct Acl {
    /// `object-group …` blocks: header and member lines.
    groups: Vec<(String, Vec<String>)>,
    /// Per rule, in order: the ACL name and its entries (remark and permit lines).
    entries: Vec<(String, Vec<String>)>,
}

fn acl_name(interface: &str) -> String {
    name(&format!("sipwall_{interface}_in"), NAME_MAX)
}

impl Acl {
    fn group_name(&self, base: &str) -> String {
        let mut group = name(base, NAME_MAX);
        if self
            .groups
            .iter()
            .any(|(h, _)| h.split_whitespace().nth(2) == Some(group.as_str()))
        {
            group = format!("{}-{}", name(base, NAME_MAX - 4), self.groups.len());
        }
        group
    }

    /// The address argument: `any`, `object X` or `object-group X`.
    fn side(&mut self, objects: &Objects, addresses: &[Address], base: &str) -> String {
        let names: Vec<&String> = addresses
            .iter()
            .filter_map(|a| objects.names.get(&a.to_string()))
            .collect();
        match names.as_slice() {
            [] => "any".into(),
            [one] => format!("object {one}"),
            many => {
                let group = self.group_name(base);
                let members = many
                    .iter()
                    .map(|n| format!("network-object object {n}"))
                    .collect();
                self.groups
                    .push((format!("object-group network {group}"), members));
                format!("object-group {group}")
            }
        }
    }

    /// The port argument (empty for any port): `eq P`, `range A B` or `object-group X`.
    fn ports(&mut self, protocol: Protocol, ports: &Ports, base: &str) -> String {
        match ports {
            Ports::Any => String::new(),
            Ports::Set(ranges) => match ranges.as_slice() {
                [one] => port_operator(*one),
                many => {
                    let group = self.group_name(base);
                    let members = many
                        .iter()
                        .map(|r| format!("port-object {}", port_operator(*r)))
                        .collect();
                    self.groups
                        .push((format!("object-group service {group} {protocol}"), members));
                    format!("object-group {group}")
                }
            },
        }
    }

    fn build(policy: &Policy, objects: &Objects) -> Self {
        let mut acl = Acl {
            groups: Vec::new(),
            entries: Vec::new(),
        };
        for rule in &policy.rules {
            let interface = match rule.direction {
                Direction::Outbound => &policy.zones.lan,
                Direction::Inbound => &policy.zones.wan,
            };
            let base = format!("sipwall-{}", rule.name);
            let src = acl.side(objects, &rule.source, &format!("{base}-src"));
            let sport = acl.ports(rule.protocol, &rule.source_ports, &format!("{base}-sport"));
            let dst = acl.side(objects, &rule.destination, &format!("{base}-dst"));
            let dport = acl.ports(
                rule.protocol,
                &rule.destination_ports,
                &format!("{base}-dport"),
            );
            let action = match rule.action {
                Action::Accept => "permit",
                Action::Drop => "deny",
            };
            let list = acl_name(interface);
            let mut ace = format!(
                "access-list {list} extended {action} {} {src}",
                rule.protocol
            );
            for part in [sport, format!(" {dst}"), dport] {
                if !part.is_empty() {
                    if !part.starts_with(' ') {
                        ace.push(' ');
                    }
                    ace.push_str(&part);
                }
            }
            let remark = format!(
                "access-list {list} remark sipwall {}{}",
                rule.name,
                if rule.required { "" } else { " (optional)" }
            );
            acl.entries.push((list, vec![remark, ace]));
        }
        acl
    }
}

fn port_operator(range: PortRange) -> String {
    if range.first == range.last {
        format!("eq {}", range.first)
    } else {
        format!("range {} {}", range.first, range.last)
    }
}

/// The forwards rendered as static object NAT (one port each) and those needing twice NAT.
fn forwards(policy: &Policy) -> Vec<(&PortForward, Protocol, PortRange)> {
    let mut out = Vec::new();
    for forward in &policy.nat.port_forwards {
        let (Some(protocol), true, false) = (
            forward.protocol,
            forward.to.is_ipv4(),
            forward.is_dmz_host(),
        ) else {
            continue;
        };
        if forward.ports.is_any() {
            continue;
        }
        for range in forward.ports.ranges() {
            out.push((forward, protocol, range));
        }
    }
    out
}

fn limitations(policy: &Policy, objects: &Objects) -> Vec<Limitation> {
    let mut out = Vec::new();
    out.push(Limitation {
        topic: "interfaces".into(),
        text: format!(
            "the WAN \"{}\" and LAN \"{}\" names are used as ASA nameifs (usually `outside` and \
             `inside`): pass your nameifs with the interface options or replace them",
            policy.zones.wan, policy.zones.lan
        ),
        origins: Vec::new(),
    });
    out.push(Limitation {
        topic: "access-group".into(),
        text: format!(
            "an interface takes one ACL per direction: if `show running-config access-group` \
             already binds an ACL in on {} or {}, add the sipwall entries to that ACL (rename \
             them) instead of binding the sipwall ACL, which would replace it",
            policy.zones.lan, policy.zones.wan
        ),
        origins: Vec::new(),
    });
    if !objects.fqdns.is_empty() {
        out.push(Limitation {
            topic: "fqdn-dns".into(),
            text: format!(
                "the FQDN objects ({}) work only when the ASA resolves names: configure `dns \
                 domain-lookup <interface>` and a `dns server-group DefaultDNS` with a \
                 `name-server` (not rendered: the DNS server is not known here); `show dns` \
                 lists what the ASA resolved",
                objects.fqdns.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    let ranges: Vec<String> = forwards(policy)
        .iter()
        .filter(|(_, _, r)| r.first != r.last)
        .map(|(f, p, r)| format!("{} {p}/{r}", f.name))
        .collect();
    if !ranges.is_empty() {
        out.push(Limitation {
            topic: "port-range-forward".into(),
            text: format!(
                "object NAT forwards one port per rule; the port ranges {} are given as twice-NAT \
                 instructions (comments) to check with `show nat detail` on your release",
                ranges.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    let skipped: Vec<String> = policy
        .nat
        .port_forwards
        .iter()
        .filter(|f| f.protocol.is_none() || !f.to.is_ipv4() || f.ports.is_any())
        .map(|f| f.name.clone())
        .collect();
    if !skipped.is_empty() {
        out.push(Limitation {
            topic: "forwards-not-rendered".into(),
            text: format!(
                "port forwards without a protocol, without ports or to an IPv6 address are not \
                 rendered (no DMZ host): {}",
                skipped.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    if !policy.brute_force.is_empty() {
        out.push(Limitation {
            topic: "brute-force".into(),
            text: "the ASA has no per-source ban after failed SIP authentications (its SIP \
                   inspection must stay off); keep the PBX's own failed-authentication ban (or \
                   fail2ban) on"
                .into(),
            origins: policy
                .brute_force
                .iter()
                .flat_map(|b| b.origins.clone())
                .collect(),
        });
    }
    for note in &policy.notes {
        let text = match note.topic.as_str() {
            "hairpinning" => format!(
                "hairpinning ({}): needs a twice-NAT rule for inside-to-inside traffic to the \
                 public address and `same-security-traffic permit intra-interface`; not \
                 rendered, since the public address is not known here",
                note.text
            ),
            "dedicated-rule" => format!(
                "{} (the sipwall ACL entries below are those dedicated rules)",
                note.text
            ),
            "clear-sessions-after-change" => format!(
                "{} (see the `clear conn` instructions at the end)",
                note.text
            ),
            "disable-hardware-offload" => format!(
                "{} (the ASA offloads no sessions unless `flow-offload` is configured, on \
                 Firepower 9300/4100 only; check `show running-config flow-offload`)",
                note.text
            ),
            "session-ttl" => format!(
                "{}: not rendered (an MPF class with `set connection timeout idle` for the \
                 provider's addresses could express it)",
                note.text
            ),
            _ => format!("not expressed for Cisco ASA: {}", note.text),
        };
        out.push(Limitation {
            topic: note.topic.clone(),
            text,
            origins: note.origins.clone(),
        });
    }
    out
}

/// Renders the policy as ASA 9.x configuration-mode lines.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let objects = Objects::collect(policy);
    let acl = Acl::build(policy, &objects);
    let limitations = limitations(policy, &objects);
    let mut out = Out::new(policy, explain);
    header(&mut out, &limitations);
    alg(&mut out);
    timeouts(&mut out);
    object_lines(&mut out, &objects);
    acl_lines(&mut out, &acl);
    nat(&mut out);
    after(&mut out);
    Rendering {
        vendor: Vendor::CiscoAsa,
        text: out.text,
        limitations,
    }
}

fn header(out: &mut Out<'_>, limitations: &[Limitation]) {
    let policy = out.policy;
    match &policy.profile {
        Some(p) => out.note(&format!(
            "sipwall rules: profile {} ({}), Cisco ASA, {VERSIONS}",
            p.id, p.name
        )),
        None => out.note(&format!("sipwall rules: Cisco ASA, {VERSIONS}")),
    }
    out.note(&format!(
        "Interface names: \"{}\" (WAN, outside) and \"{}\" (LAN, inside) are used as the ASA \
         nameifs. Paste in configuration mode (`configure terminal`); lines starting with ! are \
         comments. No offline ASA validator exists: check the output of each command, then \
         `write memory`.",
        policy.zones.wan, policy.zones.lan
    ));
    match policy.forward_default {
        Action::Drop => out.note(&format!(
            "The sipwall ACL bound in on {} allows only the flows below out (VoIP-only \
             firewall); the implicit deny at the end of each ACL drops the rest.",
            policy.zones.lan
        )),
        Action::Accept => out.note(&format!(
            "Forward default accept: the ACL bound in on {} ends with `permit ip any any`, so \
             other inside traffic keeps flowing; from the WAN only the flows below are allowed.",
            policy.zones.lan
        )),
    }
    out.documents();
    if !limitations.is_empty() {
        out.bang();
        out.note("Not (fully) expressed by these lines, do it by hand:");
        for limitation in limitations {
            out.note(&format!("- {}: {}", limitation.topic, limitation.text));
        }
    }
    out.bang();
}

fn alg(out: &mut Out<'_>) {
    let policy = out.policy;
    for alg in &policy.algs {
        let AlgProtocol::Sip = alg.protocol;
        if alg.enabled {
            out.note("SIP inspection: the policy wants it on; sipwall renders no change to it.");
            continue;
        }
        let scope: Vec<String> = alg
            .scope
            .iter()
            .map(|(protocol, ports)| format!("{protocol}/{ports}"))
            .collect();
        out.origins("SIP ALG (SIP inspection) off", &alg.origins);
        // research §2 table, §3.3 [D] ASA CLI configuration guide: `inspect sip` is in the
        // default global_policy; `no inspect sip` under class inspection_default removes it.
        out.note(&format!(
            "SIP inspection (the ASA's SIP ALG) off: it is on by default in global_policy / \
             inspection_default, which matches TCP and UDP 5060. SIP ports of this profile: {}.",
            if scope.is_empty() {
                "none".to_string()
            } else {
                scope.join(" ")
            }
        ));
        out.line(0, "policy-map global_policy");
        out.line(1, "class inspection_default");
        out.line(2, "no inspect sip");
        out.bang();
        out.note(
            "Other policy-maps can inspect SIP too: `show running-config policy-map | include \
             policy-map|class|inspect sip` lists them; under each such class enter `no inspect \
             sip` the same way. `show service-policy inspect sip` must then show nothing.",
        );
        out.bang();
    }
}

fn timeouts(out: &mut Out<'_>) {
    let policy = out.policy;
    let mut class = 0;
    for timeout in policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp)
    {
        let seconds = timeout.replied_seconds.max(DEFAULT_UDP_SECONDS);
        let kept = if timeout.replied_seconds < DEFAULT_UDP_SECONDS {
            format!(
                " The profile asks for {} s; the ASA default of {DEFAULT_UDP_SECONDS} s already \
                 covers it and is not lowered.",
                timeout.replied_seconds
            )
        } else {
            String::new()
        };
        match &timeout.scope {
            TimeoutScope::Global => {
                out.origins(
                    &format!("UDP idle timeout {seconds} s (all UDP)"),
                    &timeout.origins,
                );
                // research §2 table, §3.3 [V]: global `timeout udp hh:mm:ss`, default 0:02:00.
                out.note(&format!(
                    "UDP idle timeout for every UDP connection (global; the profile has no port \
                     list for it): `timeout udp` (default 0:02:00). Trade-off: every UDP flow \
                     through the ASA keeps its connection this long.{kept}"
                ));
                out.line(0, &format!("timeout udp {}", hms(seconds)));
                out.bang();
            }
            TimeoutScope::Ports(ports) => {
                out.origins(
                    &format!("UDP idle timeout {seconds} s (ports {ports})"),
                    &timeout.origins,
                );
                // research §2 table: per-class `set connection timeout idle` (MPF).
                out.note(&format!(
                    "UDP idle timeout {} for destination ports {ports} only: one class-map per \
                     range in global_policy (applied by `service-policy global_policy global`, \
                     the default); other UDP keeps `timeout udp` (default 0:02:00).{kept}",
                    hms(seconds)
                ));
                for range in ports.ranges() {
                    class += 1;
                    let name = format!("sipwall-udp-timeout-{class}");
                    out.line(0, &format!("class-map {name}"));
                    out.line(1, &format!("match port udp {}", port_operator(range)));
                    out.line(0, "policy-map global_policy");
                    out.line(1, &format!("class {name}"));
                    out.line(2, &format!("set connection timeout idle {}", hms(seconds)));
                }
                out.bang();
            }
        }
    }
}

fn object_lines(out: &mut Out<'_>, objects: &Objects) {
    if objects.defs.is_empty() {
        return;
    }
    out.note("Network objects (FQDN objects are resolved by the ASA: see the fqdn-dns note).");
    for (object, def) in &objects.defs {
        out.line(0, &format!("object network {object}"));
        out.line(1, def);
    }
    out.bang();
}

fn acl_lines(out: &mut Out<'_>, acl: &Acl) {
    let policy = out.policy;
    if policy.rules.is_empty() {
        return;
    }
    if !acl.groups.is_empty() {
        out.note("Object-groups for rules with several addresses or port ranges.");
        for (head, members) in &acl.groups {
            out.line(0, head);
            for member in members {
                out.line(1, member);
            }
        }
        out.bang();
    }
    if !policy.hygiene.forbidden_inbound.is_empty() {
        let ports: Vec<String> = policy
            .hygiene
            .forbidden_inbound
            .iter()
            .map(|f| format!("{}/{} ({})", f.protocol, f.port, f.service))
            .collect();
        out.note(&format!(
            "hygiene: never forwarded or opened from the WAN: {}. No static NAT or ACL entry \
             below opens them. For the ASA itself, `show running-config http`, `ssh` and \
             `telnet` must list no entry for {}.",
            ports.join(", "),
            policy.zones.wan
        ));
    }
    for whitelist in &policy.hygiene.source_whitelists {
        let allowed: Vec<String> = whitelist.allowed.iter().map(ToString::to_string).collect();
        out.origins(
            &format!(
                "source whitelist {}/{}: only {}",
                whitelist.protocol,
                whitelist.ports,
                allowed.join(", ")
            ),
            &whitelist.origins,
        );
    }
    if !policy.hygiene.source_whitelists.is_empty() {
        out.note(
            "hygiene: the whitelisted inbound ports are allowed only from the whitelisted \
             sources (source of the WAN ACL entries).",
        );
    }
    out.note(
        "ACLs, one entry per flow, direction and protocol; inbound entries name the real \
         (inside) address, as ACLs do since ASA 8.3.",
    );
    for (rule, (_, entries)) in policy.rules.iter().zip(&acl.entries) {
        out.origins(
            &format!(
                "{} ({}{})",
                rule.name,
                match rule.direction {
                    Direction::Outbound => "outbound",
                    Direction::Inbound => "inbound",
                },
                if rule.required { "" } else { ", optional" }
            ),
            &rule.origins,
        );
        for entry in entries {
            out.line(0, entry);
        }
    }
    for (interface, inside) in [(&policy.zones.lan, true), (&policy.zones.wan, false)] {
        let name = acl_name(interface);
        if !acl.entries.iter().any(|(list, _)| *list == name) {
            continue;
        }
        if inside && policy.forward_default == Action::Accept {
            out.line(
                0,
                &format!("access-list {name} remark sipwall forward default accept"),
            );
            out.line(0, &format!("access-list {name} extended permit ip any any"));
        }
        out.line(0, &format!("access-group {name} in interface {interface}"));
    }
    out.bang();
}

fn nat(out: &mut Out<'_>) {
    let policy = out.policy;
    let (lan, wan) = (&policy.zones.lan, &policy.zones.wan);
    if let Some(snat) = &policy.nat.source_nat {
        out.origins("source NAT keeping ports", &snat.origins);
        // ASA CLI guide, Dynamic PAT guidelines: the real source port is used when free; no
        // `extended` keeps one binding for all destinations (ICE/TURN note).
        out.note(
            "Source NAT: dynamic PAT to the WAN interface address. The ASA keeps the real \
             source port when it is free, and without `extended` one real address and port \
             get the same mapping for every destination (endpoint-independent), so leave \
             `extended` off. `flat` / `include-reserve` are PAT-pool options (they need public \
             pool addresses, not rendered). If an `nat … dynamic interface` rule for the inside \
             network already exists, keep that one instead (`show running-config nat`).",
        );
        out.line(0, "object network sipwall-inside-any");
        out.line(1, "subnet 0.0.0.0 0.0.0.0");
        out.line(1, &format!("nat ({lan},{wan}) dynamic interface"));
        out.note(
            "UDP SIP uses multi-session PAT (one xlate per real address and port); SIP over TCP \
             uses per-session PAT by default: to keep its mapping across connections add a \
             per-session deny rule for TCP 5060 (`xlate per-session deny tcp any4 any4 eq 5060` \
             on 9.x; check `show running-config all xlate`).",
        );
        out.bang();
    }
    if let Some(origin) = &policy.hygiene.no_dmz {
        out.origins("no DMZ / exposed host", std::slice::from_ref(origin));
        out.note("no DMZ host: only the ports below are forwarded, one static NAT per port.");
    }
    let forwards = forwards(policy);
    if forwards.is_empty() {
        return;
    }
    out.note(&format!(
        "Port forwards: static object NAT from the WAN interface address to the inside host, \
         inside port = outside port (one object per port: object NAT allows one rule per \
         object). The ACL on {wan} above allows the traffic."
    ));
    for (forward, protocol, range) in forwards {
        out.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
        if range.first == range.last {
            let object = name(
                &format!("sipwall-fwd-{}-{}", forward.name, range.first),
                NAME_MAX,
            );
            out.line(0, &format!("object network {object}"));
            out.line(1, &format!("host {}", forward.to));
            out.line(
                1,
                &format!(
                    "nat ({lan},{wan}) static interface service {protocol} {} {}",
                    range.first, range.first
                ),
            );
        } else {
            let host = name(&format!("sipwall-fwd-{}-host", forward.name), NAME_MAX);
            let service = name(
                &format!(
                    "sipwall-fwd-{}-{}-{}",
                    forward.name, range.first, range.last
                ),
                NAME_MAX,
            );
            out.note(&format!(
                "{} {protocol}/{range} is a port range: object NAT forwards single ports only. \
                 Twice NAT with a service object takes a range; check these lines on your \
                 release, then remove the leading `! `:",
                forward.name
            ));
            out.verbatim(&format!("object network {host}"));
            out.verbatim(&format!(" host {}", forward.to));
            out.verbatim(&format!("object service {service}"));
            out.verbatim(&format!(
                " service {protocol} source range {} {}",
                range.first, range.last
            ));
            out.verbatim(&format!(
                "nat ({lan},{wan}) source static {host} interface service {service} {service}"
            ));
        }
    }
    out.bang();
}

fn after(out: &mut Out<'_>) {
    let policy = out.policy;
    if policy.sip_alg_off() || policy.has_note("clear-sessions-after-change") {
        out.note(
            "After the change: connections set up while SIP inspection was on keep their state. \
         List them with `show conn port 5060` and clear them, e.g. `clear conn address <phone \
         or PBX address>` (see `clear conn ?` for the filters of your release; a bare `clear \
         conn` drops every connection), then `clear xlate` for the same address if the phones \
         re-register through a stale mapping.",
        );
    }
    out.line(0, "end");
    out.note("Save with `write memory` once the phones register and calls have audio both ways.");
}
