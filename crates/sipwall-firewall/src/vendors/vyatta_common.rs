//! The Vyatta family (VyOS 1.4+, VyOS 1.3, Ubiquiti EdgeOS): `set` commands to paste in
//! configuration mode, shared by `vyos_1_4`, `vyos_1_3` and `edgeos` (module `common`).
//!
//! Vendor facts used here, each with its source (research/anchors-firewall.md §2 rows "Ubiquiti
//! EdgeOS" and "VyOS", §3.8):
//! - SIP helper. VyOS 1.4+: `system conntrack modules sip` is a valueless opt-in leaf, so the
//!   helper is off by deleting it: `delete system conntrack modules sip` (vyos/vyos-1x
//!   interface-definitions/system_conntrack.xml.in). Fresh 1.4 installs have no module set, but
//!   the conntrack 2→3 migration writes `modules sip` into every upgraded config that had not
//!   disabled it (vyos/vyos-1x src/migration-scripts/conntrack/2-to-3). VyOS 1.3 and EdgeOS:
//!   every helper is on by default and `set system conntrack modules sip disable` turns SIP off
//!   (research §2; EdgeOS hardening scripts [C]).
//! - UDP timeouts: `set system conntrack timeout udp other <s>` and `… udp stream <s>`, global
//!   for all UDP; defaults 30 / 180 on VyOS (vyos/vyos-1x
//!   interface-definitions/include/firewall/timeout-common-protocols.xml.i) and EdgeOS [C]
//!   (vyos/vyos-documentation docs/configuration/system/conntrack.rst).
//! - Firewall, VyOS 1.4+: base chains `firewall ipv4|ipv6 forward|input filter` (default action
//!   accept when unset) and custom chains `firewall ipv4|ipv6 name <n>` (default drop when
//!   unset) reached by `action jump` + `jump-target`; matchers `inbound-interface name`,
//!   `outbound-interface name`, `state established|related|new|invalid` (multi-value),
//!   `source|destination address|port|group network-group|domain-group`, `recent count <1-255>`
//!   and `recent time second|minute|hour` (vyos/vyos-documentation
//!   docs/configuration/firewall/ipv4.rst, groups.rst). Domain groups: `firewall group
//!   domain-group <n> address <fqdn>`, resolved by the router (groups.rst).
//! - Firewall, VyOS 1.3 / EdgeOS: named rulesets `firewall name <n>` (IPv4) and `firewall
//!   ipv6-name <n>`, attached per interface with `interfaces … firewall in|local name <n>` /
//!   `… ipv6-name <n>`; `state established enable`; `recent count <1-255>` and `recent time <s>`
//!   in seconds (vyos/vyos-1x 1.3 interface-definitions, "Source addresses seen in the last N
//!   seconds"). No DNS-name objects in either (domain groups arrived with the 1.4 firewall).
//! - NAT, VyOS: `nat source rule <n> outbound-interface name <if>` (1.4; plain
//!   `outbound-interface <if>` on 1.3) and `translation address masquerade`; port forwards `nat
//!   destination rule <n> inbound-interface [name] <if>`, `protocol`, `destination port`,
//!   `translation address`. EdgeOS: `service nat rule <n> type masquerade|destination`,
//!   `outbound-interface`, `inbound-interface`, `inside-address address` (public EdgeOS
//!   configs [C]). Masquerade is Linux masquerade without random: the inside port is kept when
//!   free.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ipnet::IpNet;

use super::super::script::{self, Script, Split, clean, ident, net_text};
use super::super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{
    Action, Address, BruteForceLimit, Direction, Origin, Policy, PortForward, Ports, Protocol,
    Rule, TimeoutScope,
};

/// The three dialects this module renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in super::super) enum Dialect {
    Vyos14,
    Vyos13,
    Edgeos,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::Vyos14 => "VyOS 1.4+",
            Dialect::Vyos13 => "VyOS 1.3",
            Dialect::Edgeos => "EdgeOS",
        }
    }

    fn vendor(self) -> Vendor {
        match self {
            Dialect::Vyos14 => Vendor::Vyos14,
            Dialect::Vyos13 => Vendor::Vyos13,
            Dialect::Edgeos => Vendor::Edgeos,
        }
    }

    fn legacy(self) -> bool {
        self != Dialect::Vyos14
    }
}

/// Conntrack UDP defaults (udp other, udp stream) of VyOS (timeout-common-protocols.xml.i) and
/// EdgeOS [C]; sipwall never lowers them.
pub(in super::super) const DEFAULT_UDP_TIMEOUTS: (u32, u32) = (30, 180);

/// `major.minor` of a version string ("1.4", "v1.3.8", "2.0.9-hotfix.7", "1.5-rolling").
pub(in super::super) fn parse_version(version: &str) -> Option<(u32, u32)> {
    let version = version.trim().trim_start_matches(['v', 'V']);
    let mut parts = version.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

pub(in super::super) const CAPABILITIES_VYOS14: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "custom chains SIPWALL-* jumped to from the ipv4/ipv6 forward and input filters",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Native,
        how: "`firewall group domain-group` (resolved by the router; IPv4 rules only here)",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "`nat source … translation address masquerade` keeps the port when free; no EIM",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "`delete system conntrack modules sip` (opt-in since 1.4; upgrades keep it on)",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Approximate,
        how: "global `system conntrack timeout udp other|stream` (all UDP, never lowered)",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "drop rules from the WAN (forward and input); forwards restricted to whitelisted sources",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::Approximate,
        how: "`recent count/time` drops a source's excess new sessions; no ban, no login view",
    },
    Capability {
        concern: "per-policy session TTL",
        support: Support::None,
        how: "conntrack timeouts only (see UDP timeout)",
    },
];

pub(in super::super) const CAPABILITIES_LEGACY: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "named rulesets SIPWALL_* attached `in` on the WAN and LAN interfaces",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::None,
        how: "no DNS-name objects: commented-out rules with an address-group you fill by hand",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "masquerade keeps the port when free; no EIM guarantee",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "`set system conntrack modules sip disable` (the helper is on by default)",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Approximate,
        how: "global `system conntrack timeout udp other|stream` (all UDP, never lowered)",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "drop rules in the WAN `in` ruleset; a `local` ruleset you attach yourself",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::Approximate,
        how: "`recent count/time` (xt_recent) drops a source's excess new sessions; no ban",
    },
    Capability {
        concern: "per-policy session TTL",
        support: Support::None,
        how: "conntrack timeouts only (see UDP timeout)",
    },
];

/// Where a rule goes: traffic from the WAN to the LAN, from the LAN to the WAN, or from the WAN
/// to the router itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Hook {
    WanIn,
    LanOut,
    WanLocal,
}

impl Hook {
    const ALL: [Hook; 3] = [Hook::WanIn, Hook::LanOut, Hook::WanLocal];

    fn chain(self, dialect: Dialect, v6: bool) -> String {
        let base = match self {
            Hook::WanIn => "WAN_IN",
            Hook::LanOut => "LAN_OUT",
            Hook::WanLocal => "WAN_LOCAL",
        };
        let name = format!("SIPWALL{}_{base}", if v6 { "6" } else { "" });
        match dialect {
            Dialect::Vyos14 => name.replace('_', "-"),
            _ => name,
        }
    }
}

/// The path of a ruleset, without `set`.
fn ruleset_path(dialect: Dialect, chain: &str, v6: bool) -> String {
    match (dialect, v6) {
        (Dialect::Vyos14, false) => format!("firewall ipv4 name {chain}"),
        (Dialect::Vyos14, true) => format!("firewall ipv6 name {chain}"),
        (_, false) => format!("firewall name {chain}"),
        (_, true) => format!("firewall ipv6-name {chain}"),
    }
}

/// One firewall rule: its fields (`action accept`, `protocol udp`, …), comments before it, and
/// whether it is rendered commented out (a DNS name a legacy dialect cannot match).
#[derive(Debug, Clone, Default)]
struct FwRule {
    explain: Option<(String, Vec<Origin>)>,
    notes: Vec<String>,
    fields: Vec<String>,
    commented: bool,
}

/// A side of a rule as a VyOS matcher.
#[derive(Debug, Clone)]
enum Match {
    Any,
    /// One address or prefix (`address X`) or several (`group network-group G`).
    Nets(Vec<IpNet>),
    /// DNS names: a domain group (1.4) or, commented out, an address group to fill (legacy).
    Names(Vec<String>),
}

struct Renderer<'a> {
    dialect: Dialect,
    out: Script<'a>,
    /// (hook, v6) -> rules in order.
    chains: BTreeMap<(Hook, bool), Vec<FwRule>>,
    /// Group definitions: name -> (kind, members, commented).
    groups: BTreeMap<String, (String, Vec<String>, bool)>,
    group_keys: BTreeMap<String, String>,
}

fn fnv16(text: &str) -> u32 {
    // FNV-1a folded to 16 bits: stable across runs and platforms.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    (hash ^ (hash >> 16)) & 0xffff
}

fn ports_text(ports: &Ports) -> Option<String> {
    match ports {
        Ports::Any => None,
        Ports::Set(ranges) => Some(
            ranges
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
    }
}

fn verdict(action: Action) -> &'static str {
    match action {
        Action::Accept => "accept",
        Action::Drop => "drop",
    }
}

impl Renderer<'_> {
    fn push(&mut self, hook: Hook, v6: bool, rule: FwRule) {
        self.chains.entry((hook, v6)).or_default().push(rule);
    }

    /// A group for `members`, shared by equal member lists. `kind` is the group type
    /// (`network-group`, `ipv6-network-group`, `domain-group`, `address-group`).
    fn group(&mut self, kind: &str, label: &str, members: Vec<String>, commented: bool) -> String {
        let key = format!("{kind}:{}", members.join(","));
        if let Some(name) = self.group_keys.get(&key) {
            return name.clone();
        }
        let prefix = match kind {
            "domain-group" | "address-group" => "SWD",
            "ipv6-network-group" => "SWN6",
            _ => "SWN",
        };
        let mut short = ident(label).to_ascii_uppercase();
        short.truncate(14);
        let name = format!("{prefix}_{short}_{:04X}", fnv16(&key));
        self.group_keys.insert(key, name.clone());
        self.groups
            .insert(name.clone(), (kind.to_string(), members, commented));
        name
    }

    /// The matchers of one side of a rule for one address family; empty when the side names
    /// addresses of the other family only.
    fn side(&mut self, split: &Split, v6: bool) -> Vec<Match> {
        if split.is_any() {
            return vec![Match::Any];
        }
        let mut out = Vec::new();
        let nets = if v6 { &split.v6 } else { &split.v4 };
        if !nets.is_empty() {
            out.push(Match::Nets(nets.clone()));
        }
        if !split.fqdn.is_empty() {
            // Domain groups are matched in IPv4 rules only (limitation "fqdn").
            if !v6 {
                out.push(Match::Names(split.fqdn.clone()));
            }
        }
        out
    }

    /// `source …` / `destination …` fields for a matcher; sets `commented` for legacy names.
    fn match_fields(
        &mut self,
        rule: &mut FwRule,
        side: &str,
        label: &str,
        matcher: &Match,
        v6: bool,
    ) {
        match matcher {
            Match::Any => {}
            Match::Nets(nets) if nets.len() == 1 => {
                rule.fields
                    .push(format!("{side} address {}", net_text(&nets[0])));
            }
            Match::Nets(nets) => {
                let kind = if v6 {
                    "ipv6-network-group"
                } else {
                    "network-group"
                };
                let members = nets.iter().map(ToString::to_string).collect();
                let name = self.group(kind, label, members, false);
                rule.fields
                    .push(format!("{side} group network-group {name}"));
            }
            Match::Names(names) => {
                if self.dialect.legacy() {
                    let name = self.group("address-group", label, names.clone(), true);
                    rule.fields
                        .push(format!("{side} group address-group {name}"));
                    rule.commented = true;
                    rule.notes.push(format!(
                        "{} has no DNS-name objects: fill address-group {name} with the \
                         addresses of {} (and keep them current), then uncomment this rule",
                        self.dialect.name(),
                        names.join(", ")
                    ));
                } else {
                    let name = self.group("domain-group", label, names.clone(), false);
                    rule.fields
                        .push(format!("{side} group domain-group {name}"));
                }
            }
        }
    }

    fn state(&self, rule: &mut FwRule, states: &[&str]) {
        for state in states {
            if self.dialect.legacy() {
                rule.fields.push(format!("state {state} enable"));
            } else {
                rule.fields.push(format!("state {state}"));
            }
        }
    }

    fn allow_rule(&mut self, rule: &Rule) {
        let hook = match rule.direction {
            Direction::Outbound => Hook::LanOut,
            Direction::Inbound => Hook::WanIn,
        };
        let source = Split::of(&rule.source);
        let destination = Split::of(&rule.destination);
        let mut first = true;
        for v6 in [false, true] {
            let sources = self.side(&source, v6);
            let destinations = self.side(&destination, v6);
            for s in &sources {
                for d in &destinations {
                    // A DNS name on both sides cannot be matched by one rule of a family.
                    let mut fw = FwRule::default();
                    if first {
                        fw.explain = Some((
                            format!(
                                "{} ({}{})",
                                rule.name,
                                match rule.direction {
                                    Direction::Outbound => "outbound",
                                    Direction::Inbound => "inbound",
                                },
                                if rule.required { "" } else { ", optional" }
                            ),
                            rule.origins.clone(),
                        ));
                        first = false;
                    }
                    fw.fields.push(format!("action {}", verdict(rule.action)));
                    fw.fields
                        .push(format!("description 'sipwall: {}'", clean(&rule.name, 60)));
                    fw.fields.push(format!("protocol {}", rule.protocol));
                    let label = format!("{}_S", rule.name);
                    self.match_fields(&mut fw, "source", &label, s, v6);
                    if let Some(ports) = ports_text(&rule.source_ports) {
                        fw.fields.push(format!("source port {ports}"));
                    }
                    let label = format!("{}_D", rule.name);
                    self.match_fields(&mut fw, "destination", &label, d, v6);
                    if let Some(ports) = ports_text(&rule.destination_ports) {
                        fw.fields.push(format!("destination port {ports}"));
                    }
                    self.push(hook, v6, fw);
                }
            }
        }
    }

    fn brute_force(&mut self, limit: &BruteForceLimit) {
        for v6 in [false, true] {
            let mut fw = FwRule::default();
            if !v6 {
                fw.explain = Some((
                    format!("brute-force limit {}", limit.name),
                    limit.origins.clone(),
                ));
            }
            fw.fields.push("action drop".into());
            fw.fields.push(format!(
                "description 'sipwall: brute-force {}'",
                clean(&limit.name, 50)
            ));
            fw.fields.push(format!("protocol {}", limit.protocol));
            if let Some(ports) = ports_text(&limit.ports) {
                fw.fields.push(format!("destination port {ports}"));
            }
            self.state(&mut fw, &["new"]);
            let assumed = if limit.window_assumed {
                " (window assumed: the profile gives none)"
            } else {
                ""
            };
            match self.dialect {
                Dialect::Vyos14 => {
                    // `recent time` is second|minute|hour on 1.4 (ipv4.rst): scale the count to
                    // the nearest unit at least as long as the window.
                    let (unit, seconds) = if limit.per_seconds <= 1 {
                        ("second", 1u64)
                    } else if limit.per_seconds <= 60 {
                        ("minute", 60)
                    } else {
                        ("hour", 3600)
                    };
                    let scaled = (u64::from(limit.max_new_sessions) * seconds)
                        .div_ceil(u64::from(limit.per_seconds.max(1)));
                    let count = scaled.clamp(1, 255);
                    fw.fields.push(format!("recent count {count}"));
                    fw.fields.push(format!("recent time {unit}"));
                    fw.notes.push(format!(
                        "brute force: more than {count} new {} sessions per {unit} from one \
                         source are dropped (profile: {} per {} s{assumed}; its {} s ban has \
                         no VyOS equivalent)",
                        limit.protocol,
                        limit.max_new_sessions,
                        limit.per_seconds,
                        limit.ban_seconds
                    ));
                }
                Dialect::Vyos13 | Dialect::Edgeos => {
                    // xt_recent refuses a hit count above ip_pkt_list_tot (20 by default).
                    if limit.max_new_sessions > 20 {
                        fw.commented = true;
                        fw.notes.push(format!(
                            "brute force: xt_recent accepts at most 20 hits by default; the \
                             profile's {} per {} s cannot be rendered (left commented)",
                            limit.max_new_sessions, limit.per_seconds
                        ));
                    }
                    fw.fields.push(format!(
                        "recent count {}",
                        limit.max_new_sessions.clamp(1, 255)
                    ));
                    fw.fields.push(format!("recent time {}", limit.per_seconds));
                    fw.notes.push(format!(
                        "brute force: more than {} new {} sessions per {} s{assumed} from one \
                         source are dropped (the profile's {} s ban has no equivalent)",
                        limit.max_new_sessions,
                        limit.protocol,
                        limit.per_seconds,
                        limit.ban_seconds
                    ));
                }
            }
            self.push(Hook::WanIn, v6, fw);
        }
    }

    fn hygiene(&mut self) {
        let policy = self.out.policy;
        for item in &policy.hygiene.forbidden_inbound {
            for hook in [Hook::WanIn, Hook::WanLocal] {
                for v6 in [false, true] {
                    let mut fw = FwRule::default();
                    if !v6 && hook == Hook::WanIn {
                        fw.explain = Some((
                            format!(
                                "never forward {}/{} ({})",
                                item.protocol, item.port, item.service
                            ),
                            item.origins.clone(),
                        ));
                    }
                    let what = if hook == Hook::WanIn {
                        "forward"
                    } else {
                        "open"
                    };
                    fw.fields.push("action drop".into());
                    fw.fields.push(format!(
                        "description 'sipwall: never {what} {} {}'",
                        clean(&item.service, 30),
                        item.port
                    ));
                    fw.fields.push(format!("protocol {}", item.protocol));
                    fw.fields.push(format!("destination port {}", item.port));
                    self.push(hook, v6, fw);
                }
            }
        }
    }

    fn whitelist_drops(&mut self) {
        let policy = self.out.policy;
        for whitelist in &policy.hygiene.source_whitelists {
            let allowed: Vec<String> = whitelist.allowed.iter().map(ToString::to_string).collect();
            for v6 in [false, true] {
                let mut fw = FwRule::default();
                if !v6 {
                    fw.explain = Some((
                        format!(
                            "source whitelist {}/{}: only {}",
                            whitelist.protocol,
                            whitelist.ports,
                            allowed.join(", ")
                        ),
                        whitelist.origins.clone(),
                    ));
                    fw.notes.push(
                        "hygiene: the whitelisted port is closed to every other source (after \
                         the allow rules above)"
                            .into(),
                    );
                }
                fw.fields.push("action drop".into());
                fw.fields
                    .push("description 'sipwall: source whitelist'".into());
                fw.fields.push(format!("protocol {}", whitelist.protocol));
                if let Some(ports) = ports_text(&whitelist.ports) {
                    fw.fields.push(format!("destination port {ports}"));
                }
                self.push(Hook::WanIn, v6, fw);
            }
        }
    }

    fn stateful_first(&mut self) {
        for hook in [Hook::WanIn, Hook::LanOut] {
            for v6 in [false, true] {
                let mut accept = FwRule::default();
                accept.fields.push("action accept".into());
                accept
                    .fields
                    .push("description 'sipwall: replies and related'".into());
                self.state(&mut accept, &["established", "related"]);
                let mut invalid = FwRule::default();
                invalid.fields.push("action drop".into());
                invalid.fields.push("description 'sipwall: invalid'".into());
                self.state(&mut invalid, &["invalid"]);
                self.push(hook, v6, accept);
                self.push(hook, v6, invalid);
            }
        }
    }

    fn set(&mut self, path: &str) {
        self.out.line(&format!("set {path}"));
    }

    fn emit_groups(&mut self) {
        if self.groups.is_empty() {
            return;
        }
        self.out
            .note("Groups: addresses and DNS names the rules below refer to.");
        let groups = std::mem::take(&mut self.groups);
        for (name, (kind, members, commented)) in &groups {
            if *commented {
                self.out.note(&format!(
                    "address-group {name}: the addresses of {} (resolve them yourself):",
                    members.join(", ")
                ));
                self.out.line(&format!(
                    "# set firewall group address-group {name} address ADDRESS"
                ));
                continue;
            }
            self.out
                .line(&format!("delete firewall group {kind} {name}"));
            let member = match kind.as_str() {
                "domain-group" => "address",
                _ => "network",
            };
            for m in members {
                self.set(&format!("firewall group {kind} {name} {member} {m}"));
            }
        }
        self.groups = groups;
        self.out.blank();
    }

    fn emit_chains(&mut self) {
        let policy = self.out.policy;
        let default = match (policy.forward_default, self.dialect) {
            (Action::Drop, _) => "drop",
            (Action::Accept, Dialect::Vyos14) => "return",
            (Action::Accept, _) => "accept",
        };
        let chains = std::mem::take(&mut self.chains);
        for ((hook, v6), rules) in &chains {
            let chain = hook.chain(self.dialect, *v6);
            let path = ruleset_path(self.dialect, &chain, *v6);
            let (what, default) = match hook {
                Hook::WanIn => ("forwarded traffic from the WAN", default),
                Hook::LanOut => ("forwarded traffic from the LAN", default),
                Hook::WanLocal => (
                    "traffic from the WAN to the router itself",
                    if self.dialect == Dialect::Vyos14 {
                        "return"
                    } else {
                        "accept"
                    },
                ),
            };
            self.out.note(&format!(
                "{chain}: {what} ({}), default action {default}",
                if *v6 { "IPv6" } else { "IPv4" }
            ));
            self.out.line(&format!("delete {path}"));
            self.set(&format!("{path} default-action {default}"));
            self.set(&format!("{path} description 'sipwall: {what}'"));
            for (i, rule) in rules.iter().enumerate() {
                let number = (i + 1) * 10;
                if let Some((headline, origins)) = &rule.explain {
                    self.out.origins(headline, origins);
                }
                for note in &rule.notes {
                    self.out.note(note);
                }
                for field in &rule.fields {
                    let line = format!("set {path} rule {number} {field}");
                    if rule.commented {
                        self.out.line(&format!("# {line}"));
                    } else {
                        self.out.line(&line);
                    }
                }
            }
            self.out.blank();
        }
        self.chains = chains;
    }

    /// VyOS 1.4+: a jump from the base chains to each custom chain, filtered by interface.
    fn emit_jumps(&mut self) {
        let zones = self.out.policy.zones.clone();
        let present: Vec<(Hook, bool)> = self.chains.keys().copied().collect();
        self.out.note(&format!(
            "Jumps from the base chains: rule 1 and 2 of each forward filter and rule 1 of each \
             input filter are sipwall's (deleted and set again; renumber yours first if you \
             use them). WAN \"{}\", LAN \"{}\".",
            zones.wan, zones.lan
        ));
        for (hook, v6) in present {
            let family = if v6 { "ipv6" } else { "ipv4" };
            let chain = hook.chain(self.dialect, v6);
            let (base, number) = match hook {
                Hook::WanIn => ("forward", 1),
                Hook::LanOut => ("forward", 2),
                Hook::WanLocal => ("input", 1),
            };
            let path = format!("firewall {family} {base} filter rule {number}");
            self.out.line(&format!("delete {path}"));
            self.set(&format!("{path} action jump"));
            self.set(&format!("{path} jump-target {chain}"));
            self.set(&format!("{path} description 'sipwall: to {chain}'"));
            match hook {
                Hook::WanIn | Hook::WanLocal => {
                    self.set(&format!("{path} inbound-interface name {}", zones.wan));
                }
                Hook::LanOut => {
                    self.set(&format!("{path} inbound-interface name {}", zones.lan));
                    self.set(&format!("{path} outbound-interface name {}", zones.wan));
                }
            }
        }
        self.out.blank();
    }

    /// VyOS 1.3 / EdgeOS: attach the rulesets to the interfaces.
    fn emit_attachments(&mut self) {
        let zones = self.out.policy.zones.clone();
        let present: Vec<(Hook, bool)> = self.chains.keys().copied().collect();
        self.out.note(
            "Attach the rulesets: an interface takes one ruleset per direction, so these lines \
             replace any `firewall in` ruleset already on the interface (check `show \
             interfaces` first and merge yours if needed).",
        );
        for (hook, v6) in present {
            let chain = hook.chain(self.dialect, v6);
            let key = if v6 { "ipv6-name" } else { "name" };
            let iface = match hook {
                Hook::WanIn | Hook::WanLocal => &zones.wan,
                Hook::LanOut => &zones.lan,
            };
            let direction = if hook == Hook::WanLocal {
                "local"
            } else {
                "in"
            };
            let node = interface_node(self.dialect, iface);
            match (hook, node) {
                (Hook::WanLocal, Some(node)) => {
                    self.out.note(&format!(
                        "{chain} is not attached: it would replace the router's own WAN \
                         `local` ruleset. Copy its rules into yours, or, if {iface} has none: \
                         set {node} firewall local {key} {chain}"
                    ));
                }
                (_, Some(node)) => {
                    self.set(&format!("{node} firewall {direction} {key} {chain}"));
                }
                (_, None) => {
                    self.out.note(&format!(
                        "attach {chain} `{direction}` on {iface} yourself: sipwall does not \
                         know the configuration node of that interface name"
                    ));
                }
            }
        }
        self.out.blank();
    }

    fn emit_alg(&mut self) {
        let algs = self.out.policy.algs.clone();
        for alg in algs.iter().filter(|a| !a.enabled) {
            self.out.origins("SIP ALG / helper off", &alg.origins);
            let scope: Vec<String> = alg
                .scope
                .iter()
                .map(|(protocol, ports)| format!("{protocol}/{ports}"))
                .collect();
            let scope = if scope.is_empty() {
                "none".to_string()
            } else {
                scope.join(" ")
            };
            match self.dialect {
                Dialect::Vyos14 => {
                    self.out.note(&format!(
                        "SIP ALG off: since 1.4 the conntrack helpers are opt-in (valueless \
                         leaves under system conntrack modules, vyos-1x \
                         system_conntrack.xml.in); fresh installs have none, but the 2-to-3 \
                         conntrack migration wrote `modules sip` into every upgraded config \
                         that had not disabled it. Deleting it is harmless when absent \
                         (\"Nothing to delete\"). SIP ports of this profile: {scope}."
                    ));
                    self.out.line("delete system conntrack modules sip");
                }
                Dialect::Vyos13 | Dialect::Edgeos => {
                    self.out.note(&format!(
                        "SIP ALG off: {} loads every conntrack helper by default; `modules sip \
                         disable` unloads nf_conntrack_sip / nf_nat_sip (research \
                         anchors-firewall §2, §3.8). SIP ports of this profile: {scope}.",
                        self.dialect.name()
                    ));
                    self.set("system conntrack modules sip disable");
                }
            }
            self.out.blank();
        }
        if algs.iter().any(|a| a.enabled) {
            self.out
                .note("SIP ALG: the policy wants it on; sipwall renders no helper change for it.");
            self.out.blank();
        }
    }

    fn emit_timeouts(&mut self) {
        let policy = self.out.policy;
        let Some((unreplied, replied)) = script::udp_timeouts(policy) else {
            return;
        };
        for timeout in policy
            .timeouts
            .iter()
            .filter(|t| t.protocol == Protocol::Udp)
        {
            self.out.origins(
                &format!(
                    "{} idle timeout {} s ({})",
                    timeout.protocol,
                    timeout.replied_seconds,
                    match &timeout.scope {
                        TimeoutScope::Global => "all sessions".to_string(),
                        TimeoutScope::Ports(p) => format!("destination ports {p}"),
                    }
                ),
                &timeout.origins,
            );
        }
        let unreplied = unreplied.max(DEFAULT_UDP_TIMEOUTS.0);
        let replied = replied.max(DEFAULT_UDP_TIMEOUTS.1);
        self.out.note(
            "UDP timeouts: global for all UDP (udp other = unreplied, udp stream = replied; \
             defaults 30 / 180 s, vyos-1x timeout-common-protocols.xml.i; never lowered here).",
        );
        self.set(&format!("system conntrack timeout udp other {unreplied}"));
        self.set(&format!("system conntrack timeout udp stream {replied}"));
        self.out.blank();
    }

    fn emit_source_nat(&mut self) {
        let policy = self.out.policy;
        let Some(snat) = &policy.nat.source_nat else {
            return;
        };
        self.out.origins("source NAT", &snat.origins);
        self.out.note(
            "Source NAT: masquerade without random keeps the inside source port when it is free \
             (port preservation). A masquerade rule of yours with a lower number matches first \
             and does the same.",
        );
        let wan = policy.zones.wan.clone();
        match self.dialect {
            Dialect::Vyos14 | Dialect::Vyos13 => {
                let path = "nat source rule 6000";
                self.out.line(&format!("delete {path}"));
                self.set(&format!("{path} description 'sipwall: masquerade'"));
                if self.dialect == Dialect::Vyos14 {
                    self.set(&format!("{path} outbound-interface name {wan}"));
                } else {
                    self.set(&format!("{path} outbound-interface {wan}"));
                }
                self.set(&format!("{path} translation address masquerade"));
            }
            Dialect::Edgeos => {
                let path = "service nat rule 6000";
                self.out.line(&format!("delete {path}"));
                self.set(&format!("{path} description 'sipwall: masquerade'"));
                self.set(&format!("{path} type masquerade"));
                self.set(&format!("{path} outbound-interface {wan}"));
                self.set(&format!("{path} protocol all"));
            }
        }
        self.out.blank();
    }

    fn emit_port_forwards(&mut self) {
        let policy = self.out.policy;
        if policy.nat.port_forwards.is_empty() && policy.hygiene.no_dmz.is_none() {
            return;
        }
        if let Some(origin) = &policy.hygiene.no_dmz {
            self.out
                .origins("no DMZ / exposed host", std::slice::from_ref(origin));
            self.out.note(
                "Port forwards: no DMZ host, only the ports below are forwarded (the inside \
                 port is the outside port).",
            );
        }
        let wan = policy.zones.wan.clone();
        let mut number = match self.dialect {
            Dialect::Edgeos => 4000,
            _ => 6000,
        };
        for forward in &policy.nat.port_forwards {
            self.out.origins(
                &format!("port forward {} to {}", forward.name, forward.to),
                &forward.origins,
            );
            if forward.to.is_ipv6() {
                self.out.note(&format!(
                    "{}: forwards to an IPv6 address are not rendered (NAT66 destination rules \
                     are rarely wanted: allow the inbound flow instead)",
                    forward.name
                ));
                continue;
            }
            for (ports, allowed) in forward_pieces(policy, forward) {
                let split = Split::of(&allowed);
                let mut sources: Vec<Option<String>> = Vec::new();
                if allowed.is_empty() {
                    sources.push(None);
                }
                for net in &split.v4 {
                    sources.push(Some(net_text(net)));
                }
                if !split.fqdn.is_empty() {
                    self.out.note(&format!(
                        "{}: whitelisted DNS names {} are not matched by the NAT rule; the \
                         forward is limited to the listed addresses",
                        forward.name,
                        split.fqdn.join(", ")
                    ));
                }
                for source in sources {
                    number += 1;
                    let path = match self.dialect {
                        Dialect::Edgeos => format!("service nat rule {number}"),
                        _ => format!("nat destination rule {number}"),
                    };
                    let mut label = format!("sipwall: {}", forward.name);
                    if let Some(ip) = &source {
                        let _ = write!(label, " from {ip}");
                    }
                    self.out.line(&format!("delete {path}"));
                    self.set(&format!("{path} description '{}'", clean(&label, 80)));
                    match self.dialect {
                        Dialect::Vyos14 => {
                            self.set(&format!("{path} inbound-interface name {wan}"));
                        }
                        Dialect::Vyos13 => {
                            self.set(&format!("{path} inbound-interface {wan}"));
                        }
                        Dialect::Edgeos => {
                            self.set(&format!("{path} type destination"));
                            self.set(&format!("{path} inbound-interface {wan}"));
                        }
                    }
                    let protocol = match forward.protocol {
                        Some(p) => p.name(),
                        None => "tcp_udp",
                    };
                    self.set(&format!("{path} protocol {protocol}"));
                    if let Some(ports) = ports_text(&ports) {
                        self.set(&format!("{path} destination port {ports}"));
                    }
                    if let Some(ip) = &source {
                        self.set(&format!("{path} source address {ip}"));
                    }
                    match self.dialect {
                        Dialect::Edgeos => {
                            self.set(&format!("{path} inside-address address {}", forward.to));
                        }
                        _ => {
                            self.set(&format!("{path} translation address {}", forward.to));
                        }
                    }
                }
            }
        }
        self.out.blank();
    }
}

/// The configuration node of an interface name, when sipwall knows it.
fn interface_node(dialect: Dialect, name: &str) -> Option<String> {
    let numbered = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    if let Some((parent, vid)) = name.split_once('.') {
        let parent_ok = parent
            .strip_prefix("eth")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        let vid_ok = !vid.is_empty() && vid.chars().all(|c| c.is_ascii_digit());
        return (parent_ok && vid_ok).then(|| format!("interfaces ethernet {parent} vif {vid}"));
    }
    if numbered("eth") {
        return Some(format!("interfaces ethernet {name}"));
    }
    match dialect {
        Dialect::Edgeos if numbered("switch") => Some(format!("interfaces switch {name}")),
        Dialect::Edgeos | Dialect::Vyos13 if numbered("br") => {
            Some(format!("interfaces bridge {name}"))
        }
        Dialect::Vyos13 if numbered("bond") => Some(format!("interfaces bonding {name}")),
        Dialect::Vyos13 if numbered("pppoe") => Some(format!("interfaces pppoe {name}")),
        _ => None,
    }
}

/// The pieces of a forward's ports, each with the whitelisted sources (empty: any source).
fn forward_pieces(policy: &Policy, forward: &PortForward) -> Vec<(Ports, Vec<Address>)> {
    let mut pieces = Vec::new();
    let mut rest = Some(forward.ports.clone());
    for whitelist in &policy.hygiene.source_whitelists {
        if forward.protocol.is_some_and(|p| p != whitelist.protocol) {
            continue;
        }
        let Some(current) = rest.clone() else { break };
        if let Some(inside) = current.intersect(&whitelist.ports) {
            pieces.push((inside, whitelist.allowed.clone()));
            rest = current.subtract(&whitelist.ports);
        }
    }
    if let Some(rest) = rest {
        pieces.push((rest, Vec::new()));
    }
    pieces
}

fn limitations(dialect: Dialect, policy: &Policy, fqdns: &[String]) -> Vec<Limitation> {
    let mut out = Vec::new();
    if !fqdns.is_empty() {
        let text = if dialect.legacy() {
            format!(
                "{} has no DNS-name objects: the rules for {} are commented out with an \
                 address-group to fill by hand (and refresh when the provider's DNS changes)",
                dialect.name(),
                fqdns.join(", ")
            )
        } else {
            format!(
                "{} are matched through domain groups the router resolves itself (IPv4 only \
                 here: the IPv6 addresses of these names are not matched)",
                fqdns.join(", ")
            )
        };
        out.push(Limitation {
            topic: "fqdn".into(),
            text,
            origins: Vec::new(),
        });
    }
    if policy.forward_default == Action::Drop {
        let text = if dialect.legacy() {
            "the profile wants other forwarded traffic dropped: the `in` rulesets on the WAN \
             and LAN interfaces end in drop, so traffic from the LAN to any other interface \
             that no rule allows is dropped too"
        } else {
            "the profile wants other forwarded traffic dropped: the SIPWALL-* chains end in drop \
             for LAN -> WAN and WAN -> LAN traffic; other interfaces are untouched"
        };
        out.push(Limitation {
            topic: "forward-default".into(),
            text: text.into(),
            origins: Vec::new(),
        });
    }
    if let Some((unreplied, replied)) = script::udp_timeouts(policy) {
        let ports = policy
            .timeouts
            .iter()
            .any(|t| matches!(t.scope, TimeoutScope::Ports(_)));
        out.push(Limitation {
            topic: "udp-timeout-global".into(),
            text: format!(
                "the UDP timeouts are global: udp other {} s / udp stream {} s for all UDP{} \
                 (more conntrack entries kept longer; never below the defaults 30/180){}",
                unreplied.max(DEFAULT_UDP_TIMEOUTS.0),
                replied.max(DEFAULT_UDP_TIMEOUTS.1),
                if ports {
                    ", not only the profile's ports"
                } else {
                    ""
                },
                if dialect == Dialect::Vyos14 {
                    "; per-port `system conntrack timeout custom ipv4 rule` exists but is not \
                     rendered"
                } else {
                    ""
                }
            ),
            origins: policy
                .timeouts
                .iter()
                .flat_map(|t| t.origins.clone())
                .collect(),
        });
    }
    if policy.timeouts.iter().any(|t| t.protocol == Protocol::Tcp) {
        out.push(Limitation {
            topic: "tcp-timeout".into(),
            text: "TCP idle timeouts of the profile are not rendered (the conntrack default \
                   for established TCP is days)"
                .into(),
            origins: Vec::new(),
        });
    }
    if !policy.brute_force.is_empty() {
        out.push(Limitation {
            topic: "brute-force".into(),
            text: "`recent count/time` drops new sessions of a source above the rate; it does \
                   not ban the source for a while and cannot see failed SIP authentications: \
                   keep the PBX's own failed-authentication ban (or fail2ban) on"
                .into(),
            origins: policy
                .brute_force
                .iter()
                .flat_map(|b| b.origins.clone())
                .collect(),
        });
    }
    if let Some(snat) = &policy.nat.source_nat
        && snat.endpoint_independent_mapping
    {
        out.push(Limitation {
            topic: "source-nat".into(),
            text: "masquerade keeps the inside port when it is free, but Linux guarantees no \
                   endpoint-independent mapping when two inside hosts use the same port"
                .into(),
            origins: snat.origins.clone(),
        });
    }
    if dialect.legacy() && !policy.hygiene.forbidden_inbound.is_empty() {
        out.push(Limitation {
            topic: "router-input".into(),
            text: "the drops for the router itself (ruleset SIPWALL_WAN_LOCAL / \
                   SIPWALL6_WAN_LOCAL) are not attached automatically: attaching would replace \
                   your WAN `local` ruleset; copy the rules into it"
                .into(),
            origins: Vec::new(),
        });
    }
    out.extend(script::note_limitations(
        policy,
        dialect.name(),
        |topic| match topic {
            "session-ttl" => {
                Some("no per-policy session TTL; sessions use the conntrack timeouts".into())
            }
            "hairpinning" => Some(
                "NAT reflection needs extra source NAT rules on the LAN interface; not \
                 rendered"
                    .into(),
            ),
            "dedicated-rule" => Some("the SIPWALL* rulesets are that dedicated rule set".into()),
            "disable-hardware-offload" => Some(if dialect == Dialect::Edgeos {
                "keep `system offload` hardware NAT off for VoIP if calls break (not changed \
                 here)"
                    .into()
            } else {
                "keep flow offload (`firewall flowtable`) off for VoIP traffic (not changed \
                 here)"
                    .into()
            }),
            "clear-sessions-after-change" => Some(
                "after commit, reboot or flush the conntrack table (`sudo conntrack -F`) so \
                 that no session keeps the old helper state"
                    .into(),
            ),
            _ => None,
        },
    ));
    out
}

/// Renders the policy as `set` commands for `dialect`.
pub(in super::super) fn render(policy: &Policy, explain: bool, dialect: Dialect) -> Rendering {
    let fqdns = script::fqdns(policy);
    let limitations = limitations(dialect, policy, &fqdns);
    let mut r = Renderer {
        dialect,
        out: Script::new(policy, explain),
        chains: BTreeMap::new(),
        groups: BTreeMap::new(),
        group_keys: BTreeMap::new(),
    };
    r.out.header(
        &format!("{} (configuration mode set commands)", dialect.name()),
        &limitations,
    );
    r.out.line("#");
    r.out.note(&format!(
        "WAN interface \"{}\", LAN interface \"{}\". Paste in configuration mode \
         (`configure`), check with `compare`, then `commit` and `save`. Everything sipwall \
         creates is named SIPWALL* / SW*; it is deleted and set again, so pasting again \
         replaces the last paste.",
        policy.zones.wan, policy.zones.lan
    ));
    r.out.blank();
    r.emit_alg();
    r.emit_timeouts();
    // The chains' contents, in evaluation order.
    r.stateful_first();
    for limit in &policy.brute_force {
        r.brute_force(limit);
    }
    r.hygiene();
    for rule in &policy.rules {
        r.allow_rule(rule);
    }
    r.whitelist_drops();
    // Drop chains that hold only the stateful rules of a family no rule uses.
    let used: Vec<(Hook, bool)> = r
        .chains
        .iter()
        .filter(|((hook, _), rules)| rules.len() > if *hook == Hook::WanLocal { 0 } else { 2 })
        .map(|(k, _)| *k)
        .collect();
    for hook in Hook::ALL {
        for v6 in [false, true] {
            let key = (hook, v6);
            let paired = (hook, !v6);
            // Keep IPv6 whenever IPv4 exists so v6 traffic is filtered alike.
            if !used.contains(&key) && !used.contains(&paired) {
                r.chains.remove(&key);
            }
        }
    }
    r.emit_groups();
    r.emit_chains();
    if dialect == Dialect::Vyos14 {
        r.emit_jumps();
    } else {
        r.emit_attachments();
    }
    r.emit_source_nat();
    r.emit_port_forwards();
    Rendering {
        vendor: dialect.vendor(),
        text: r.out.text,
        limitations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("1.4"), Some((1, 4)));
        assert_eq!(parse_version("v1.3.8"), Some((1, 3)));
        assert_eq!(parse_version("2.0.9-hotfix.7"), Some((2, 0)));
        assert_eq!(parse_version("1.5-rolling-202501"), Some((1, 5)));
        assert_eq!(parse_version("x"), None);
    }

    #[test]
    fn interface_nodes() {
        assert_eq!(
            interface_node(Dialect::Vyos13, "eth0").as_deref(),
            Some("interfaces ethernet eth0")
        );
        assert_eq!(
            interface_node(Dialect::Edgeos, "eth0.10").as_deref(),
            Some("interfaces ethernet eth0 vif 10")
        );
        assert_eq!(
            interface_node(Dialect::Edgeos, "switch0").as_deref(),
            Some("interfaces switch switch0")
        );
        assert_eq!(interface_node(Dialect::Edgeos, "pppoe0"), None);
        assert_eq!(interface_node(Dialect::Vyos13, "wan0"), None);
    }
}
