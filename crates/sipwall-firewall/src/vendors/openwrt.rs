//! OpenWrt 22.03 and later (firewall4 on nftables): a `/bin/sh` script of `uci` commands plus a
//! sysctl file for the UDP timeouts.
//!
//! Why `uci` commands and not `/etc/config/firewall` sections to paste: every section sipwall
//! writes is a *named* section (`sipwall_…`), and the script first deletes every `sipwall_*`
//! section, so running it again replaces the previous run and touches nothing else; nothing is
//! live until `uci commit firewall` at the end (`set -e` stops before it on any error). Sections
//! pasted into `/etc/config/firewall` by hand are duplicated on every paste and a typo breaks the
//! whole file.
//!
//! Vendor facts used here (research/anchors-firewall.md §2 row "OpenWrt (fw4)", §3.10):
//! - SIP helper: fw4 attaches the `sip` conntrack helper (udp/5060) to zones with
//!   `auto_helper` (default 1) and no masquerading, when `kmod-nf-nathelper-extra` is installed;
//!   `firewall.@defaults[0].auto_helper='0'` turns it off for every zone (fw4.uc:
//!   `if (this.state.defaults.auto_helper === false) zone.auto_helper = false`,
//!   openwrt/firewall4 root/usr/share/ucode/fw4.uc). An explicit zone `list helper` still
//!   attaches one.
//! - option types (fw4.uc `parse_rule`/`parse_redirect`): rule `src_ip`, `dest_ip`, `src_port`,
//!   `dest_port` are lists; redirect `src_ip`, `src_dport`, `dest_ip` take one value each; an
//!   address is an IP/prefix or a network name, never a DNS name (`parse_subnet`), so DNS names
//!   go through `config ipset` sets the admin fills.
//! - UDP timeouts: sysctls `net.netfilter.nf_conntrack_udp_timeout` (OpenWrt default 60) and
//!   `…_udp_timeout_stream` (180), openwrt/openwrt
//!   package/kernel/linux/files/sysctl-nf-conntrack.conf; global for all UDP (UCI has no per-port
//!   conntrack timeout).
//! - source NAT: the wan zone's `masq '1'` (the default) is an nft `masquerade`, which keeps the
//!   inside source port when it is free.

use std::fmt::Write as _;

use super::script::{self, Script, Split, clean, ident, net_text};
use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{Action, Address, Direction, Policy, PortForward, Ports, Protocol, Rule};

pub const ID: &str = "openwrt";
pub const FAMILY: &str = "openwrt";
pub const VERSIONS: &str = "OpenWrt 22.03 and later (firewall4)";

/// One dialect: every OpenWrt with firewall4 (22.03, 23.05, 24.10, …).
pub fn matches_version(version: &str) -> bool {
    let mut parts = version.trim().split('.');
    let major: Option<u32> = parts.next().and_then(|p| p.parse().ok());
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    match major {
        Some(major) => (major, minor) >= (22, 3),
        None => version.trim().is_empty() || version.trim().eq_ignore_ascii_case("snapshot"),
    }
}

/// OpenWrt's own conntrack UDP defaults (unreplied, stream); sipwall never lowers them.
pub const DEFAULT_UDP_TIMEOUTS: (u32, u32) = (60, 180);

/// The sysctl file the script writes.
pub const SYSCTL_FILE: &str = "/etc/sysctl.d/90-sipwall.conf";

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "`config rule` sections between the LAN and WAN zones",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Approximate,
        how: "fw4 takes no DNS names: an empty `config ipset` per name that you fill with addresses",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "the wan zone's masq (nft masquerade) keeps the port when free; no EIM guarantee",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "firewall.@defaults[0].auto_helper='0'; check zones for an explicit `list helper`",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Approximate,
        how: "global sysctls nf_conntrack_udp_timeout / _stream (all UDP, never lowered)",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "DROP rules from the wan zone; whitelisted sources on the redirect itself",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::None,
        how: "fw4 `limit` is one global rate, not per source: use fail2ban or the PBX's own ban",
    },
    Capability {
        concern: "per-policy session TTL",
        support: Support::None,
        how: "conntrack timeouts only (see UDP timeout)",
    },
];

/// `uci` commands for one named section.
struct Section<'s, 'a> {
    out: &'s mut Script<'a>,
    name: String,
}

impl Section<'_, '_> {
    fn set(&mut self, option: &str, value: &str) {
        let line = format!("uci set firewall.{}.{option}='{value}'", self.name);
        self.out.line(&line);
    }

    fn add(&mut self, option: &str, value: &str) {
        let line = format!("uci add_list firewall.{}.{option}='{value}'", self.name);
        self.out.line(&line);
    }
}

fn section<'s, 'a>(out: &'s mut Script<'a>, name: &str, kind: &str) -> Section<'s, 'a> {
    out.line(&format!("uci set firewall.{name}={kind}"));
    Section {
        out,
        name: name.to_string(),
    }
}

/// Section names: `sipwall_` and letters, digits, `_`; unique within the script.
struct Names {
    used: Vec<String>,
}

impl Names {
    fn take(&mut self, base: &str) -> String {
        let base = format!("sipwall_{}", ident(base));
        let mut name = base.clone();
        let mut n = 2;
        while self.used.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.used.push(name.clone());
        name
    }
}

/// `sipwall_<name, shortened>_<hash>_v4`: unique per DNS name even when shortened.
fn ipset_name(fqdn: &str, family: u8) -> String {
    let mut id = ident(fqdn);
    id.truncate(20);
    // FNV-1a, 16 bits: stable across runs and platforms.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in fqdn.to_ascii_lowercase().bytes() {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    format!(
        "sipwall_{id}_{:04x}_v{family}",
        (hash ^ (hash >> 16)) & 0xffff
    )
}

fn proto_value(protocol: Option<Protocol>) -> &'static str {
    match protocol {
        Some(p) => p.name(),
        None => "tcp udp",
    }
}

fn limitations(policy: &Policy, fqdns: &[String]) -> Vec<Limitation> {
    let mut out = Vec::new();
    if !fqdns.is_empty() {
        out.push(Limitation {
            topic: "fqdn".into(),
            text: format!(
                "fw4 takes no DNS names in rules: the ipsets sipwall_*_v4/_v6 start empty; \
                 resolve {} and add the addresses (uci add_list firewall.SET.entry=ADDR; uci \
                 commit firewall; service firewall reload), and refresh them when the \
                 provider's DNS changes",
                fqdns.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    if policy.forward_default == Action::Drop {
        out.push(Limitation {
            topic: "forward-default".into(),
            text: "the profile wants other forwarded traffic dropped; OpenWrt's default `config \
                   forwarding` lan -> wan accepts all LAN traffic, so the outbound rules below \
                   narrow nothing while it exists. Delete that forwarding only if this router \
                   carries nothing but VoIP (not done here)"
                .into(),
            origins: Vec::new(),
        });
    }
    if let Some(snat) = &policy.nat.source_nat {
        out.push(Limitation {
            topic: "source-nat".into(),
            text: format!(
                "source NAT is the WAN zone's `option masq '1'` (OpenWrt's default; check with \
                 `uci show firewall | grep masq`); fw4 masquerade keeps the inside port when it \
                 is free{}",
                if snat.endpoint_independent_mapping {
                    ", but Linux guarantees no endpoint-independent mapping when two inside \
                     hosts use the same port"
                } else {
                    ""
                }
            ),
            origins: snat.origins.clone(),
        });
    }
    if let Some((unreplied, replied)) = script::udp_timeouts(policy) {
        let ports = policy
            .timeouts
            .iter()
            .any(|t| matches!(t.scope, crate::model::TimeoutScope::Ports(_)));
        out.push(Limitation {
            topic: "udp-timeout-global".into(),
            text: format!(
                "UCI has no per-port conntrack timeout: {SYSCTL_FILE} raises the global UDP \
                 timeouts to {} s unreplied / {} s stream for all UDP{} (more conntrack entries \
                 kept longer; never below OpenWrt's 60/180)",
                unreplied.max(DEFAULT_UDP_TIMEOUTS.0),
                replied.max(DEFAULT_UDP_TIMEOUTS.1),
                if ports {
                    ", not only the profile's ports"
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
    if !policy.brute_force.is_empty() {
        out.push(Limitation {
            topic: "brute-force".into(),
            text: "fw4 has no per-source rate limit with a ban (its `limit` option is one rate \
                   for all sources, which would drop legitimate calls): not rendered; keep the \
                   PBX's failed-authentication ban or fail2ban on"
                .into(),
            origins: policy
                .brute_force
                .iter()
                .flat_map(|b| b.origins.clone())
                .collect(),
        });
    }
    out.extend(script::note_limitations(
        policy,
        "OpenWrt",
        |topic| match topic {
            "session-ttl" => Some(
                "fw4 has no per-policy session TTL; sessions use the conntrack timeouts".into(),
            ),
            "hairpinning" => Some(
                "fw4 adds NAT reflection to each redirect by default (`option reflection 1`); \
                 for outbound-only flows it is not rendered"
                    .into(),
            ),
            "dedicated-rule" => Some("the sipwall_* sections are that dedicated rule set".into()),
            "disable-hardware-offload" => Some(
                "keep `flow_offloading` and `flow_offloading_hw` off in firewall.@defaults[0] \
                 (not changed here)"
                    .into(),
            ),
            "clear-sessions-after-change" => Some(
                "after running the script: `conntrack -F` (package conntrack) or reboot".into(),
            ),
            _ => None,
        },
    ));
    out
}

/// Renders the policy as a `/bin/sh` script of `uci` commands.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let fqdns = script::fqdns(policy);
    let limitations = limitations(policy, &fqdns);
    let mut out = Script::new(policy, explain);
    let mut names = Names { used: Vec::new() };
    out.line("#!/bin/sh");
    out.header("OpenWrt (fw4, UCI)", &limitations);
    out.line("#");
    let hint = if policy.zones.wan == "wan" && policy.zones.lan == "lan" {
        ""
    } else {
        " (OpenWrt's default zones are wan and lan: render with --wan wan --lan lan)"
    };
    out.note(&format!(
        "Zones: WAN zone \"{}\", LAN zone \"{}\"{hint}. Run as root on the router: sh FILE. \
         Every section is named sipwall_*; the script first deletes all sipwall_* sections, so \
         running it again replaces the last run and touches nothing else. Uncommitted uci \
         changes of your own are committed with it: check `uci changes firewall` first.",
        policy.zones.wan, policy.zones.lan
    ));
    out.blank();
    out.line("set -e");
    out.line(
        "for s in $(uci -q show firewall | sed -n 's/^firewall\\.\\(sipwall_[A-Za-z0-9_]*\\)=.*/\\1/p'); do uci delete \"firewall.$s\"; done",
    );
    out.blank();
    alg(&mut out);
    ipsets(&mut out, &fqdns);
    hygiene_drops(&mut out, &mut names);
    for rule in &policy.rules {
        rule_sections(&mut out, &mut names, rule);
    }
    whitelist_drops(&mut out, &mut names);
    redirects(&mut out, &mut names);
    timeouts(&mut out);
    out.line("uci commit firewall");
    out.line("service firewall reload");
    Rendering {
        vendor: Vendor::Openwrt,
        text: out.text,
        limitations,
    }
}

fn alg(out: &mut Script<'_>) {
    let algs = out.policy.algs.clone();
    for alg in algs.iter().filter(|a| !a.enabled) {
        out.origins("SIP ALG / helper off", &alg.origins);
        let scope: Vec<String> = alg
            .scope
            .iter()
            .map(|(protocol, ports)| format!("{protocol}/{ports}"))
            .collect();
        out.note(&format!(
            "SIP ALG off: fw4 attaches the sip helper (udp/5060) to every zone with auto_helper \
             (default on) and no masquerading when kmod-nf-nathelper-extra is installed; \
             auto_helper 0 in the defaults section turns it off in every zone (research §3.10; \
             openwrt/firewall4 fw4.uc). A zone with an explicit `list helper 'sip'` still gets \
             it: check `uci show firewall | grep helper`. To be sure, `opkg remove \
             kmod-nf-nathelper-extra` (also removes the other helpers). SIP ports of this \
             profile: {}.",
            if scope.is_empty() {
                "none".to_string()
            } else {
                scope.join(" ")
            }
        ));
        out.line("uci set firewall.@defaults[0].auto_helper='0'");
        out.blank();
    }
    if algs.iter().any(|a| a.enabled) {
        out.note("SIP ALG: the policy wants it on; sipwall renders no helper change for it.");
        out.blank();
    }
}

fn ipsets(out: &mut Script<'_>, fqdns: &[String]) {
    if fqdns.is_empty() {
        return;
    }
    out.note(
        "DNS names: fw4 rules take addresses only; one set per name and family, empty until \
         you add its addresses (list entry).",
    );
    for name in fqdns {
        for family in [4u8, 6] {
            let set = ipset_name(name, family);
            let mut s = section(out, &set, "ipset");
            s.set("name", &set);
            s.set("comment", &clean(&format!("addresses of {name}"), 80));
            s.set("family", if family == 4 { "ipv4" } else { "ipv6" });
            s.add("match", "ip");
        }
    }
    out.blank();
}

fn hygiene_drops(out: &mut Script<'_>, names: &mut Names) {
    let policy = out.policy;
    if policy.hygiene.forbidden_inbound.is_empty() {
        return;
    }
    out.note("hygiene: ports never forwarded or opened from the WAN (to the LAN and the router)");
    for item in &policy.hygiene.forbidden_inbound {
        out.origins(
            &format!(
                "never forward {}/{} ({})",
                item.protocol, item.port, item.service
            ),
            &item.origins,
        );
        for (what, dest) in [("forward", Some("*")), ("open", None)] {
            let name = names.take(&format!("never_{what}_{}_{}", item.protocol, item.port));
            let mut s = section(out, &name, "rule");
            s.set(
                "name",
                &clean(
                    &format!("sipwall: never {what} {} {}", item.service, item.port),
                    80,
                ),
            );
            s.set("src", &policy.zones.wan);
            if let Some(dest) = dest {
                s.set("dest", dest);
            }
            s.set("proto", item.protocol.name());
            s.add("dest_port", &item.port.to_string());
            s.set("target", "DROP");
        }
    }
    out.blank();
}

fn ports_list(s: &mut Section<'_, '_>, option: &str, ports: &Ports) {
    if let Ports::Set(ranges) = ports {
        for range in ranges {
            s.add(option, &range.to_string());
        }
    }
}

/// One `config rule` of a model rule: source nets, destination nets, an ipset and its direction.
type Variant = (Split, Split, Option<(String, &'static str)>);

/// One or more `config rule` sections: addresses as lists, each DNS name through its ipsets.
fn rule_sections(out: &mut Script<'_>, names: &mut Names, rule: &Rule) {
    let zones = out.policy.zones.clone();
    let (src, dest) = match rule.direction {
        Direction::Outbound => (&zones.lan, &zones.wan),
        Direction::Inbound => (&zones.wan, &zones.lan),
    };
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
    let source = Split::of(&rule.source);
    let destination = Split::of(&rule.destination);
    // Alternatives: (source nets, destination nets, ipset with its direction).
    let mut variants: Vec<Variant> = Vec::new();
    let nets = |s: &Split| Split {
        v4: s.v4.clone(),
        v6: s.v6.clone(),
        fqdn: Vec::new(),
    };
    let src_has_nets = !source.v4.is_empty() || !source.v6.is_empty() || source.is_any();
    let dst_has_nets =
        !destination.v4.is_empty() || !destination.v6.is_empty() || destination.is_any();
    if src_has_nets && dst_has_nets {
        variants.push((nets(&source), nets(&destination), None));
    }
    for name in &destination.fqdn {
        if src_has_nets {
            for family in [4u8, 6] {
                variants.push((
                    nets(&source),
                    Split::default(),
                    Some((ipset_name(name, family), "dest")),
                ));
            }
        }
    }
    for name in &source.fqdn {
        if dst_has_nets {
            for family in [4u8, 6] {
                variants.push((
                    Split::default(),
                    nets(&destination),
                    Some((ipset_name(name, family), "src")),
                ));
            }
        }
    }
    if !source.fqdn.is_empty() && !destination.fqdn.is_empty() {
        out.note(&format!(
            "{}: DNS names on both sides cannot be matched by one fw4 rule (one ipset per rule); \
             the name-to-name combinations are not rendered",
            rule.name
        ));
    }
    for (i, (s_nets, d_nets, ipset)) in variants.into_iter().enumerate() {
        // A family-specific ipset cannot be combined with addresses of the other family.
        let family = ipset.as_ref().map(|(set, _)| set.ends_with("_v6"));
        let (sv4, sv6) = (s_nets.v4, s_nets.v6);
        let (dv4, dv6) = (d_nets.v4, d_nets.v6);
        let keep = |nets: Vec<ipnet::IpNet>, v6: bool| match family {
            Some(f) if f != v6 => Vec::new(),
            _ => nets,
        };
        let (sv4, sv6, dv4, dv6) = (
            keep(sv4, false),
            keep(sv6, true),
            keep(dv4, false),
            keep(dv6, true),
        );
        if family.is_some() {
            let had_source =
                !rule.source.is_empty() && ipset.as_ref().is_some_and(|(_, d)| *d == "dest");
            let had_dest =
                !rule.destination.is_empty() && ipset.as_ref().is_some_and(|(_, d)| *d == "src");
            if (had_source && sv4.is_empty() && sv6.is_empty())
                || (had_dest && dv4.is_empty() && dv6.is_empty())
            {
                // No address of this family on the other side: nothing to match.
                continue;
            }
        }
        let base = if i == 0 {
            rule.name.clone()
        } else {
            format!("{}_{i}", rule.name)
        };
        let name = names.take(&base);
        let mut s = section(out, &name, "rule");
        s.set("name", &clean(&format!("sipwall: {}", rule.name), 80));
        s.set("src", src);
        s.set("dest", dest);
        s.set("proto", rule.protocol.name());
        if let Some(v6) = family {
            s.set("family", if v6 { "ipv6" } else { "ipv4" });
        }
        for net in sv4.iter().chain(&sv6) {
            s.add("src_ip", &net_text(net));
        }
        for net in dv4.iter().chain(&dv6) {
            s.add("dest_ip", &net_text(net));
        }
        if let Some((set, direction)) = &ipset {
            s.set("ipset", &format!("{set} {direction}"));
        }
        ports_list(&mut s, "src_port", &rule.source_ports);
        ports_list(&mut s, "dest_port", &rule.destination_ports);
        s.set("target", script::verdict_upper(rule.action));
    }
}

fn whitelist_drops(out: &mut Script<'_>, names: &mut Names) {
    let policy = out.policy;
    if policy.hygiene.source_whitelists.is_empty() {
        return;
    }
    out.blank();
    out.note(
        "hygiene: whitelisted ports are closed to every other source (after the allow rules \
         above; the port forwards below are restricted to the same sources)",
    );
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
        for (what, dest) in [("forward", Some("*")), ("input", None)] {
            let name = names.take(&format!("whitelist_{what}_{}", whitelist.protocol));
            let mut s = section(out, &name, "rule");
            s.set("name", "sipwall: source whitelist");
            s.set("src", &policy.zones.wan);
            if let Some(dest) = dest {
                s.set("dest", dest);
            }
            s.set("proto", whitelist.protocol.name());
            ports_list(&mut s, "dest_port", &whitelist.ports);
            s.set("target", "DROP");
        }
    }
}

/// The sources a forward of `ports` must be restricted to: pieces of the port set, each with
/// the whitelisted sources (empty: any source).
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

fn redirects(out: &mut Script<'_>, names: &mut Names) {
    let policy = out.policy;
    if policy.nat.port_forwards.is_empty() && policy.hygiene.no_dmz.is_none() {
        return;
    }
    out.blank();
    if let Some(origin) = &policy.hygiene.no_dmz {
        out.origins("no DMZ / exposed host", std::slice::from_ref(origin));
        out.note(
            "no DMZ host: only the ports listed below are forwarded (the inside port is the \
             outside port).",
        );
    }
    for forward in &policy.nat.port_forwards {
        out.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
        for (ports, allowed) in forward_pieces(policy, forward) {
            let split = Split::of(&allowed);
            let mut sources: Vec<(Option<String>, Option<String>)> = Vec::new();
            if allowed.is_empty() {
                sources.push((None, None));
            }
            let same_family = |net: &&ipnet::IpNet| net.addr().is_ipv4() == forward.to.is_ipv4();
            for net in split.v4.iter().chain(&split.v6).filter(same_family) {
                sources.push((Some(net_text(net)), None));
            }
            for name in &split.fqdn {
                let family = if forward.to.is_ipv4() { 4 } else { 6 };
                sources.push((None, Some(ipset_name(name, family))));
            }
            let ranges = match &ports {
                Ports::Any => vec![None],
                Ports::Set(ranges) => ranges.iter().map(|r| Some(r.to_string())).collect(),
            };
            for range in &ranges {
                for (src_ip, ipset) in &sources {
                    let name = names.take(&format!("fwd_{}", forward.name));
                    let mut s = section(out, &name, "redirect");
                    let mut label = format!("sipwall: {}", forward.name);
                    if let Some(ip) = src_ip {
                        let _ = write!(label, " from {ip}");
                    }
                    s.set("name", &clean(&label, 80));
                    s.set("src", &policy.zones.wan);
                    s.set("dest", &policy.zones.lan);
                    s.set("proto", proto_value(forward.protocol));
                    if let Some(ip) = src_ip {
                        s.set("src_ip", ip);
                    }
                    if let Some(set) = ipset {
                        s.set("ipset", &format!("{set} src"));
                    }
                    if let Some(range) = range {
                        s.set("src_dport", range);
                    }
                    s.set("dest_ip", &forward.to.to_string());
                    s.set("target", "DNAT");
                }
            }
        }
    }
}

fn timeouts(out: &mut Script<'_>) {
    let policy = out.policy;
    let Some((unreplied, replied)) = script::udp_timeouts(policy) else {
        out.blank();
        return;
    };
    out.blank();
    for timeout in &policy.timeouts {
        out.origins(
            &format!(
                "{} idle timeout {} s ({})",
                timeout.protocol,
                timeout.replied_seconds,
                match &timeout.scope {
                    crate::model::TimeoutScope::Global => "all sessions".to_string(),
                    crate::model::TimeoutScope::Ports(p) => format!("destination ports {p}"),
                }
            ),
            &timeout.origins,
        );
    }
    let unreplied = unreplied.max(DEFAULT_UDP_TIMEOUTS.0);
    let replied = replied.max(DEFAULT_UDP_TIMEOUTS.1);
    out.note(&format!(
        "UDP timeouts: UCI has no per-port conntrack timeout, so the global sysctls are raised \
         for all UDP (OpenWrt defaults 60 / 180 s, openwrt/openwrt \
         package/kernel/linux/files/sysctl-nf-conntrack.conf; never lowered here). {SYSCTL_FILE} \
         is read after OpenWrt's own 11-nf-conntrack.conf at boot."
    ));
    out.line(&format!("cat > {SYSCTL_FILE} <<'EOF'"));
    out.line(&format!(
        "net.netfilter.nf_conntrack_udp_timeout={unreplied}"
    ));
    out.line(&format!(
        "net.netfilter.nf_conntrack_udp_timeout_stream={replied}"
    ));
    out.line("EOF");
    out.line(&format!("sysctl -p {SYSCTL_FILE}"));
    out.blank();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(matches_version("22.03"));
        assert!(matches_version("23.05.5"));
        assert!(matches_version("24.10"));
        assert!(matches_version("SNAPSHOT"));
        assert!(!matches_version("21.02"));
        assert!(!matches_version("19.07.10"));
    }
}
