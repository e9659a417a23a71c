//! Cisco IOS 15 and IOS-XE 16/17 routers: CLI lines to paste in configuration mode. `!` starts
//! a comment.
//!
//! Vendor facts used here, with their sources (research/anchors-firewall.md unless said):
//! - §2 table, §3.4: the NAT SIP ALG is on by default; `no ip nat service sip udp port 5060` and
//!   `no ip nat service sip tcp port 5060` turn it off [C] (many provider guides, e.g. Cisco
//!   WebEx Telepresence "Firewall requirements for SIP ALG").
//! - §2 table, §3.4: `ip nat translation udp-timeout <s>`, default 300 s [C] (O'Reilly "Cisco
//!   IOS in a Nutshell" re351, copy of the Cisco command reference).
//! - §2 table: PAT (`ip nat inside source list ACL interface IF overload`) keeps the source port
//!   when it is free [C]; `ip nat inside source static` for fixed maps. §3.4: the NAT TCP SIP ALG
//!   uses endpoint-independent mapping [D] (Cisco 12.2(8)T "NAT Support for SIP" guide).
//! - Static port forward to the interface address: `ip nat inside source static {udp|tcp}
//!   INSIDE-IP PORT interface IF PORT` (brief of this module, §2 "static for fixed maps").
//! - A router ACL is stateless; inbound filtering is made stateful with the zone-based policy
//!   firewall (ZBF): `zone security`, `zone-member security` on the interfaces, `class-map type
//!   inspect match-any` with `match access-group name ACL` / `match protocol tcp|udp|icmp`,
//!   `policy-map type inspect` with `class type inspect X` / `inspect [PARAMETER-MAP]` and `class
//!   class-default` / `drop`, `parameter-map type inspect` with `udp idle-time <s>` (§2 table;
//!   ZBF/CBAC UDP idle default 30 s [C]), and `zone-pair security NAME source Z destination Z` /
//!   `service-policy type inspect P` (Cisco "Zone-Based Policy Firewall" configuration guides,
//!   cisco.com sec_data_zbf …/sec-zone-pol-fw.html, 15-M&T and IOS-XE books). Interfaces in no
//!   zone cannot talk to zone members; zone pairs without a policy drop.
//! - Cisco "NAT Order of Operation": outside-to-inside NAT is done before routing and before
//!   the inspection on the egress interface, so the ZBF class ACL for inbound flows names the
//!   inside (real) address.
//! - Extended named ACLs: `ip access-list extended NAME`, ` permit udp|tcp SRC [eq P | range A
//!   B] DST [eq P | range A B]`, `remark`; `host A` or `A WILDCARD`; no FQDN entries.

// cisco_common.rs is loaded once, by cisco_asa (`pub(super) mod common`): a second `#[path]`
// mod would trip clippy::duplicate_mod.
use super::cisco_asa::common;

use std::net::Ipv4Addr;

use ipnet::IpNet;

use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{
    Action, Address, AlgProtocol, Direction, Policy, PortForward, PortRange, Ports, Protocol, Rule,
};
use common::{Out, mask, name};

pub const ID: &str = "cisco-ios";
pub const FAMILY: &str = "cisco-ios";
pub const VERSIONS: &str = "IOS 15 and IOS-XE 16/17";

/// IOS 15 ("15.2(4)M", "IOS 15.9") and IOS-XE 16 / 17 ("IOS-XE 17.9.4a", "16.12").
pub fn matches_version(version: &str) -> bool {
    let lower = version.trim().to_ascii_lowercase();
    if lower.starts_with("asa") {
        return false;
    }
    common::parse_version(version).is_some_and(|(major, _)| (15..=17).contains(&major))
}

/// IOS default `ip nat translation udp-timeout` (research §2, §3.4).
const DEFAULT_NAT_UDP_SECONDS: u32 = 300;
/// ZBF default UDP idle time (research §2 table [C]).
const DEFAULT_ZBF_UDP_SECONDS: u32 = 30;
/// Name length kept for ACLs, class-maps and policy-maps.
const NAME_MAX: usize = 40;

const ZONE_LAN: &str = "sipwall-lan";
const ZONE_WAN: &str = "sipwall-wan";
const ACL_OUT: &str = "sipwall-out";
const ACL_IN: &str = "sipwall-in";
const ACL_NAT: &str = "sipwall-nat";
const PARAMS: &str = "sipwall-voip";

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "extended named ACLs matched by zone-based firewall class-maps (stateful inspect)",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::None,
        how: "IOS ACLs take addresses only: outbound FQDN destinations are widened to any, \
              inbound FQDN sources are left as instructions",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "`ip nat inside source list … interface … overload` keeps the port when free; \
              endpoint-independent reuse is documented for the TCP SIP ALG only",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "`no ip nat service sip udp port 5060` and `… tcp port 5060`",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Approximate,
        how: "global `ip nat translation udp-timeout`; ZBF `parameter-map type inspect` `udp \
              idle-time` for the sipwall classes only",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "the WAN-to-LAN zone pair inspects only the listed flows and drops the rest; \
              static NAT per port only",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::None,
        how: "not rendered: keep the PBX's own failed-authentication ban (or fail2ban)",
    },
    Capability {
        concern: "port forward of a port range",
        support: Support::None,
        how: "static NAT forwards single ports; ranges are left as instructions",
    },
];

/// An IOS address argument: `host A` or `A WILDCARD`; `None` for IPv6 and FQDNs.
fn address_arg(address: &Address) -> Option<String> {
    match address {
        Address::Net(IpNet::V4(net)) => {
            let net = net.trunc();
            if net.prefix_len() == 32 {
                Some(format!("host {}", net.addr()))
            } else {
                let wildcard = Ipv4Addr::from(!u32::from(mask(net.prefix_len())));
                Some(format!("{} {wildcard}", net.addr()))
            }
        }
        Address::Net(IpNet::V6(_)) | Address::Fqdn(_) => None,
    }
}

fn port_operator(range: PortRange) -> String {
    if range.first == range.last {
        format!("eq {}", range.first)
    } else {
        format!("range {} {}", range.first, range.last)
    }
}

fn port_args(ports: &Ports) -> Vec<String> {
    match ports {
        Ports::Any => vec![String::new()],
        Ports::Set(ranges) => ranges.iter().map(|r| port_operator(*r)).collect(),
    }
}

/// One side of a rule as ACL arguments, and the addresses an IOS ACL cannot match.
fn side(addresses: &[Address]) -> (Vec<String>, Vec<String>) {
    if addresses.is_empty() {
        return (vec!["any".into()], Vec::new());
    }
    let mut args = Vec::new();
    let mut unmatched = Vec::new();
    for address in addresses {
        match address_arg(address) {
            Some(arg) => args.push(arg),
            None => unmatched.push(address.to_string()),
        }
    }
    (args, unmatched)
}

/// How a rule is rendered.
struct RuleLines {
    /// ACL name (`sipwall-out` / `sipwall-in`).
    acl: &'static str,
    /// `remark` and `permit`/`deny` entries (sub-commands of the ACL).
    entries: Vec<String>,
    /// Instruction comments for entries IOS cannot express (FQDN / IPv6 only sides).
    instructions: Vec<String>,
    /// Addresses dropped from the rule, and whether a side was widened to `any`.
    unmatched: Vec<String>,
    widened: bool,
}

fn rule_lines(rule: &Rule) -> RuleLines {
    let acl = match rule.direction {
        Direction::Outbound => ACL_OUT,
        Direction::Inbound => ACL_IN,
    };
    let (mut sources, src_unmatched) = side(&rule.source);
    let (mut destinations, dst_unmatched) = side(&rule.destination);
    let mut unmatched: Vec<String> = src_unmatched
        .iter()
        .chain(&dst_unmatched)
        .cloned()
        .collect();
    let mut widened = false;
    let mut instructions = Vec::new();
    // Outbound: an unmatchable destination is widened to any (the inside host opens the flow).
    if rule.direction == Direction::Outbound && destinations.is_empty() {
        destinations.push("any".into());
        widened = true;
    }
    let action = match rule.action {
        Action::Accept => "permit",
        Action::Drop => "deny",
    };
    let mut entries = vec![format!(
        "remark sipwall {}{}",
        rule.name,
        if rule.required { "" } else { " (optional)" }
    )];
    if sources.is_empty() || destinations.is_empty() {
        // Never widen an inbound source (or an outbound source): leave instructions.
        let placeholder = |list: &mut Vec<String>, names: &[String]| {
            if list.is_empty() {
                list.extend(names.iter().map(|n| format!("host <IPv4 address of {n}>")));
            }
        };
        placeholder(&mut sources, &src_unmatched);
        placeholder(&mut destinations, &dst_unmatched);
        entries.clear();
        unmatched.clear();
        for line in aces(rule, action, &sources, &destinations) {
            instructions.push(format!("{acl}: {line}"));
        }
    } else {
        entries.extend(aces(rule, action, &sources, &destinations));
    }
    RuleLines {
        acl,
        entries,
        instructions,
        unmatched,
        widened,
    }
}

fn aces(rule: &Rule, action: &str, sources: &[String], destinations: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for src in sources {
        for sport in port_args(&rule.source_ports) {
            for dst in destinations {
                for dport in port_args(&rule.destination_ports) {
                    let mut ace = format!("{action} {} {src}", rule.protocol);
                    for part in [&sport, dst, &dport] {
                        if !part.is_empty() {
                            ace.push(' ');
                            ace.push_str(part);
                        }
                    }
                    out.push(ace);
                }
            }
        }
    }
    out
}

/// The longest UDP idle time the policy asks for.
fn udp_seconds(policy: &Policy) -> Option<u32> {
    policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp)
        .map(|t| t.replied_seconds)
        .max()
}

/// The forwards rendered as static NAT: (forward, protocol, range).
fn forwards(policy: &Policy) -> Vec<(&PortForward, Protocol, PortRange)> {
    let mut out = Vec::new();
    for forward in &policy.nat.port_forwards {
        let (Some(protocol), true, false) = (
            forward.protocol,
            forward.to.is_ipv4(),
            forward.is_dmz_host() || forward.ports.is_any(),
        ) else {
            continue;
        };
        for range in forward.ports.ranges() {
            out.push((forward, protocol, range));
        }
    }
    out
}

fn limitations(policy: &Policy, rules: &[RuleLines]) -> Vec<Limitation> {
    let mut out = Vec::new();
    out.push(Limitation {
        topic: "interfaces".into(),
        text: format!(
            "the WAN \"{}\" and LAN \"{}\" names are used as IOS interface names: pass your \
             interfaces (e.g. GigabitEthernet0/0/0) with the interface options or replace them",
            policy.zones.wan, policy.zones.lan
        ),
        origins: Vec::new(),
    });
    out.push(Limitation {
        topic: "zone-based-firewall".into(),
        text: format!(
            "inbound filtering is stateful through the zone-based firewall: once {} and {} are \
             zone members, every other interface (other VLANs, tunnels) must join a zone and a \
             zone pair too or it can no longer reach them; if the router already runs a ZBF or \
             CBAC (`show zone security`, `show ip inspect all`), merge the sipwall class-maps \
             into the existing policy-maps instead of pasting new zones; traffic to the router \
             itself (self zone) is not filtered by these lines",
            policy.zones.lan, policy.zones.wan
        ),
        origins: Vec::new(),
    });
    out.push(Limitation {
        topic: "firewall-sip-alg".into(),
        text: "the sipwall classes match by ACL (layer 4), not `match protocol sip`, so the \
               firewall's own SIP inspection is not requested; check `show policy-map type \
               inspect zone-pair sessions` shows the SIP sessions as plain udp/tcp"
            .into(),
        origins: Vec::new(),
    });
    out.push(Limitation {
        topic: "nat-acl".into(),
        text: format!(
            "the NAT ACL {ACL_NAT} is `permit any`: replace it with your inside network \
             (e.g. `permit 192.168.1.0 0.0.0.255`), or keep the existing `ip nat inside source \
             list … overload` rule (`show running-config | include ip nat`)"
        ),
        origins: Vec::new(),
    });
    if let Some(snat) = &policy.nat.source_nat
        && snat.endpoint_independent_mapping
    {
        out.push(Limitation {
            topic: "nat-mapping".into(),
            text: "PAT (`overload`) keeps the inside port when it is free; that one inside \
                   address and port get the same mapping for every destination is documented \
                   only for the NAT TCP SIP ALG: check with `show ip nat translations verbose` \
                   that a phone's REGISTER and its calls use one outside port"
                .into(),
            origins: snat.origins.clone(),
        });
    }
    let mut unmatched: Vec<String> = rules.iter().flat_map(|r| r.unmatched.clone()).collect();
    unmatched.sort();
    unmatched.dedup();
    let widened: Vec<String> = rules
        .iter()
        .zip(&policy.rules)
        .filter(|(r, _)| r.widened)
        .map(|(_, rule)| rule.name.clone())
        .collect();
    let instructed: Vec<String> = rules
        .iter()
        .zip(&policy.rules)
        .filter(|(r, _)| !r.instructions.is_empty())
        .map(|(_, rule)| rule.name.clone())
        .collect();
    if !unmatched.is_empty() || !widened.is_empty() || !instructed.is_empty() {
        let mut text = String::from("IOS ACLs match IPv4 addresses only (no FQDN, no IPv6 here)");
        if !widened.is_empty() {
            text.push_str(&format!(
                "; outbound rules whose destinations are all names are widened to any \
                 destination (ports kept): {}",
                widened.join(", ")
            ));
        }
        if !instructed.is_empty() {
            text.push_str(&format!(
                "; rules left as instruction comments (resolve the names, then paste the \
                 entries under their ACL): {}",
                instructed.join(", ")
            ));
        }
        if !unmatched.is_empty() {
            text.push_str(&format!(
                "; names and IPv6 addresses not matched: {}",
                unmatched.join(", ")
            ));
        }
        out.push(Limitation {
            topic: "fqdn".into(),
            text,
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
                "`ip nat inside source static` forwards one port per line; the ranges {} are \
                 not forwarded (instruction comments): prefer a provider setup without inbound \
                 media, or a routed public address for the PBX",
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
            text: "IOS has no per-source ban after failed SIP authentications; keep the PBX's \
                   own failed-authentication ban (or fail2ban) on"
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
                "hairpinning ({}): IOS NAT does not hairpin inside-to-inside traffic to the \
                 outside address by default (NAT Virtual Interface, `ip nat enable`, would be \
                 needed); not rendered",
                note.text
            ),
            "dedicated-rule" => format!(
                "{} (the sipwall ACL entries below are those dedicated rules)",
                note.text
            ),
            "clear-sessions-after-change" => format!(
                "{} (see the `clear ip nat translation` instructions at the end)",
                note.text
            ),
            "disable-hardware-offload" => format!(
                "{} (IOS routers have no per-rule offload switch in these lines; check the \
                 platform's CEF / QFP documentation)",
                note.text
            ),
            "session-ttl" => format!("{}: not rendered for Cisco IOS", note.text),
            _ => format!("not expressed for Cisco IOS: {}", note.text),
        };
        out.push(Limitation {
            topic: note.topic.clone(),
            text,
            origins: note.origins.clone(),
        });
    }
    out
}

/// Renders the policy as IOS / IOS-XE configuration-mode lines.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let rules: Vec<RuleLines> = policy.rules.iter().map(rule_lines).collect();
    let limitations = limitations(policy, &rules);
    let mut out = Out::new(policy, explain);
    header(&mut out, &limitations);
    alg(&mut out);
    nat_timeout(&mut out);
    interfaces(&mut out);
    acls(&mut out, &rules);
    zbf(&mut out, &rules);
    nat(&mut out);
    after(&mut out);
    Rendering {
        vendor: Vendor::CiscoIos,
        text: out.text,
        limitations,
    }
}

fn header(out: &mut Out<'_>, limitations: &[Limitation]) {
    let policy = out.policy;
    match &policy.profile {
        Some(p) => out.note(&format!(
            "sipwall rules: profile {} ({}), Cisco IOS / IOS-XE, {VERSIONS}",
            p.id, p.name
        )),
        None => out.note(&format!("sipwall rules: Cisco IOS / IOS-XE, {VERSIONS}")),
    }
    out.note(&format!(
        "Interface names: \"{}\" (WAN, NAT outside) and \"{}\" (LAN, NAT inside). Paste in \
         configuration mode (`configure terminal`); lines starting with ! are comments. No \
         offline IOS validator exists: check the output of each command, then `write memory`.",
        policy.zones.wan, policy.zones.lan
    ));
    out.note(
        "Filtering: a router ACL is stateless, so the flows are allowed through the zone-based \
         policy firewall (ZBF): the LAN-to-WAN and WAN-to-LAN zone pairs inspect the sipwall \
         ACLs (replies return through the session state) and drop the rest.",
    );
    match policy.forward_default {
        Action::Drop => out.note(
            "Forward default drop: only the flows below go from the LAN to the WAN (VoIP-only \
             firewall).",
        ),
        Action::Accept => out.note(
            "Forward default accept: the LAN-to-WAN policy also inspects any other TCP, UDP and \
             ICMP traffic; from the WAN only the flows below are allowed.",
        ),
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
            out.note("NAT SIP ALG: the policy wants it on; sipwall renders no change to it.");
            continue;
        }
        let scope: Vec<String> = alg
            .scope
            .iter()
            .map(|(protocol, ports)| format!("{protocol}/{ports}"))
            .collect();
        out.origins("SIP ALG (NAT SIP service) off", &alg.origins);
        // research §2 table, §3.4: NAT SIP ALG on by default; these two lines turn it off.
        out.note(&format!(
            "NAT SIP ALG off: it is on by default and rewrites SIP on UDP and TCP 5060. SIP \
             ports of this profile: {}. `show running-config | include ip nat service` must \
             then list both lines.",
            if scope.is_empty() {
                "none".to_string()
            } else {
                scope.join(" ")
            }
        ));
        out.line(0, "no ip nat service sip udp port 5060");
        out.line(0, "no ip nat service sip tcp port 5060");
        out.bang();
    }
}

fn nat_timeout(out: &mut Out<'_>) {
    let policy = out.policy;
    let Some(seconds) = udp_seconds(policy) else {
        return;
    };
    for timeout in policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp)
    {
        out.origins(
            &format!("UDP idle timeout {} s", timeout.replied_seconds),
            &timeout.origins,
        );
    }
    if seconds <= DEFAULT_NAT_UDP_SECONDS {
        out.note(&format!(
            "UDP NAT translations: the profile asks for {seconds} s; the IOS default `ip nat \
             translation udp-timeout` of {DEFAULT_NAT_UDP_SECONDS} s already covers it and is \
             not lowered."
        ));
        out.bang();
        return;
    }
    // research §2 table, §3.4: `ip nat translation udp-timeout <s>`, default 300 s.
    out.note(&format!(
        "UDP NAT translations kept {seconds} s (global: IOS has one UDP translation timeout; \
         default {DEFAULT_NAT_UDP_SECONDS} s). Trade-off: every UDP translation lives this long."
    ));
    out.line(0, &format!("ip nat translation udp-timeout {seconds}"));
    out.bang();
}

fn interfaces(out: &mut Out<'_>) {
    let policy = out.policy;
    // ZBF guide: zones, then zone-member security on each interface; NAT inside / outside.
    out.note("Security zones and NAT roles of the two interfaces.");
    out.line(0, &format!("zone security {ZONE_LAN}"));
    out.line(0, &format!("zone security {ZONE_WAN}"));
    out.line(0, &format!("interface {}", policy.zones.lan));
    out.line(1, &format!("zone-member security {ZONE_LAN}"));
    if policy.nat.source_nat.is_some() || !policy.nat.port_forwards.is_empty() {
        out.line(1, "ip nat inside");
    }
    out.line(0, &format!("interface {}", policy.zones.wan));
    out.line(1, &format!("zone-member security {ZONE_WAN}"));
    if policy.nat.source_nat.is_some() || !policy.nat.port_forwards.is_empty() {
        out.line(1, "ip nat outside");
    }
    out.bang();
}

fn acls(out: &mut Out<'_>, rules: &[RuleLines]) {
    let policy = out.policy;
    if !policy.hygiene.forbidden_inbound.is_empty() {
        let ports: Vec<String> = policy
            .hygiene
            .forbidden_inbound
            .iter()
            .map(|f| format!("{}/{} ({})", f.protocol, f.port, f.service))
            .collect();
        out.note(&format!(
            "hygiene: never forwarded or opened from the WAN: {}. No static NAT or {ACL_IN} \
             entry below opens them. For the router itself, `show running-config | include ip \
             http|transport input` must not expose them on {} (the self zone is not filtered \
             here).",
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
             sources (source of the sipwall-in entries).",
        );
    }
    if let Some(origin) = &policy.hygiene.no_dmz {
        out.origins("no DMZ / exposed host", std::slice::from_ref(origin));
        out.note("no DMZ host: only single ports are forwarded, one static NAT each.");
    }
    let instructions: Vec<&String> = rules.iter().flat_map(|r| &r.instructions).collect();
    if !instructions.is_empty() {
        out.note(
            "Entries IOS cannot match by name: resolve each name, then add the entry under the \
             ACL it names (`ip access-list extended ACL`):",
        );
        for line in instructions {
            out.verbatim(line);
        }
        out.bang();
    }
    out.note(&format!(
        "ACLs the firewall classes match: {ACL_OUT} (LAN to WAN, sources are inside \
         addresses) and {ACL_IN} (WAN to LAN; destinations are the inside, untranslated \
         addresses, as outside-to-inside NAT happens before the inspection)."
    ));
    for acl in [ACL_OUT, ACL_IN] {
        let members: Vec<(&Rule, &RuleLines)> = policy
            .rules
            .iter()
            .zip(rules)
            .filter(|(_, r)| r.acl == acl && !r.entries.is_empty())
            .collect();
        if members.is_empty() {
            continue;
        }
        out.line(0, &format!("ip access-list extended {acl}"));
        for (rule, lines) in members {
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
            for entry in &lines.entries {
                out.line(1, entry);
            }
        }
    }
    out.bang();
}

fn has_entries(rules: &[RuleLines], acl: &str) -> bool {
    rules.iter().any(|r| r.acl == acl && !r.entries.is_empty())
}

fn zbf(out: &mut Out<'_>, rules: &[RuleLines]) {
    let policy = out.policy;
    let params = match udp_seconds(policy) {
        Some(seconds) => {
            let seconds = seconds.max(DEFAULT_ZBF_UDP_SECONDS);
            // research §2 table: ZBF `parameter-map type inspect` / `udp idle-time <s>`.
            out.note(&format!(
                "UDP sessions of the sipwall classes stay open {seconds} s idle (ZBF default \
                 {DEFAULT_ZBF_UDP_SECONDS} s): parameter-map {PARAMS}."
            ));
            out.line(0, &format!("parameter-map type inspect {PARAMS}"));
            out.line(1, &format!("udp idle-time {seconds}"));
            format!("inspect {PARAMS}")
        }
        None => "inspect".to_string(),
    };
    let out_class = name(ACL_OUT, NAME_MAX);
    let in_class = name(ACL_IN, NAME_MAX);
    out.note(
        "Firewall classes match the sipwall ACLs (layer 4 only: no `match protocol sip`, so no \
         SIP inspection is asked for).",
    );
    if has_entries(rules, ACL_OUT) {
        out.line(0, &format!("class-map type inspect match-any {out_class}"));
        out.line(1, &format!("match access-group name {ACL_OUT}"));
    }
    if has_entries(rules, ACL_IN) {
        out.line(0, &format!("class-map type inspect match-any {in_class}"));
        out.line(1, &format!("match access-group name {ACL_IN}"));
    }
    let any_class = "sipwall-lan-any";
    if policy.forward_default == Action::Accept {
        out.line(0, &format!("class-map type inspect match-any {any_class}"));
        out.line(1, "match protocol tcp");
        out.line(1, "match protocol udp");
        out.line(1, "match protocol icmp");
    }
    out.line(0, "policy-map type inspect sipwall-lan-to-wan");
    if has_entries(rules, ACL_OUT) {
        out.line(1, &format!("class type inspect {out_class}"));
        out.line(2, &params);
    }
    if policy.forward_default == Action::Accept {
        out.line(1, &format!("class type inspect {any_class}"));
        out.line(2, "inspect");
    }
    out.line(1, "class class-default");
    out.line(2, "drop");
    out.line(0, "policy-map type inspect sipwall-wan-to-lan");
    if has_entries(rules, ACL_IN) {
        out.line(1, &format!("class type inspect {in_class}"));
        out.line(2, &params);
    }
    out.line(1, "class class-default");
    out.line(2, "drop");
    out.line(
        0,
        &format!("zone-pair security sipwall-lan-to-wan source {ZONE_LAN} destination {ZONE_WAN}"),
    );
    out.line(1, "service-policy type inspect sipwall-lan-to-wan");
    out.line(
        0,
        &format!("zone-pair security sipwall-wan-to-lan source {ZONE_WAN} destination {ZONE_LAN}"),
    );
    out.line(1, "service-policy type inspect sipwall-wan-to-lan");
    out.bang();
}

fn nat(out: &mut Out<'_>) {
    let policy = out.policy;
    let wan = &policy.zones.wan;
    if let Some(snat) = &policy.nat.source_nat {
        out.origins("source NAT keeping ports", &snat.origins);
        // research §2 table: PAT (`overload`) keeps the source port when free [C]; §3.4 TCP SIP
        // ALG uses endpoint-independent mapping [D].
        out.note(&format!(
            "Source NAT: PAT (`overload`) to the address of {wan}. IOS keeps the inside source \
             port when it is free. Replace `permit any` in {ACL_NAT} with your inside network; \
             if an `ip nat inside source list … overload` rule already exists, keep that one \
             instead."
        ));
        out.line(0, &format!("ip access-list standard {ACL_NAT}"));
        out.line(1, "permit any");
        out.line(
            0,
            &format!("ip nat inside source list {ACL_NAT} interface {wan} overload"),
        );
        out.bang();
    }
    let forwards = forwards(policy);
    if forwards.is_empty() {
        return;
    }
    out.note(&format!(
        "Port forwards: static NAT from the address of {wan} to the inside host, inside port = \
         outside port; {ACL_IN} above lets the traffic through the firewall."
    ));
    for (forward, protocol, range) in forwards {
        out.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
        if range.first == range.last {
            out.line(
                0,
                &format!(
                    "ip nat inside source static {protocol} {} {} interface {wan} {}",
                    forward.to, range.first, range.first
                ),
            );
        } else {
            out.note(&format!(
                "{} {protocol}/{range} is a port range: `ip nat inside source static` takes one \
                 port per line, so it is not forwarded here (see the port-range-forward note).",
                forward.name
            ));
        }
    }
    out.bang();
}

fn after(out: &mut Out<'_>) {
    let policy = out.policy;
    if policy.sip_alg_off() || policy.has_note("clear-sessions-after-change") {
        out.note(
            "After the change: translations set up while the NAT SIP ALG was on keep their \
             state. List them with `show ip nat translations | include 5060` and clear those of \
             the phones or PBX, e.g. `clear ip nat translation inside <inside address> <port> \
             <outside address> <port>` with the values shown (`clear ip nat translation *` \
             drops every translation).",
        );
    }
    out.line(0, "end");
    out.note("Save with `write memory` once the phones register and calls have audio both ways.");
}
