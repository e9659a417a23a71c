//! pfSense 2.6+ / CE and OPNsense 23+: numbered GUI steps (`#` comments) followed by a
//! `config.xml` fragment for the aliases, filter rules, outbound NAT and port forwards.
//!
//! Why one dialect for both: both filter with pf, both keep the same legacy `config.xml`
//! sections sipwall writes (`<aliases>`, `<filter><rule>`, `<nat><outbound>` with
//! `<staticnatport/>`, `<nat><rule>` port forwards), and the steps differ only in menu names,
//! which each step gives side by side. The fragment follows pfSense's schema; where OPNsense
//! differs (newer releases keep aliases in an MVC model) the GUI steps are the way.
//!
//! Vendor facts used here (research/anchors-firewall.md §2 rows "pfSense", "OPNsense", §3.9):
//! - no SIP ALG in pf; `siproxd` (pfSense package) / `os-siproxd` (OPNsense plugin) is a SIP
//!   proxy, not an ALG: sipwall says to remove it and never enables it.
//! - outbound NAT: automatic mode rewrites source ports (except UDP 500); Hybrid mode plus a rule
//!   with Static Port (`<staticnatport/>`) keeps them (pfSense docs nat/static-port).
//! - UDP state timeouts: System › Advanced › Firewall & NAT (OPNsense: Firewall › Settings ›
//!   Advanced), `<udpfirsttimeout>`, `<udpsingletimeout>`, `<udpmultipletimeout>`; pf defaults
//!   udp.first 60, udp.single 30, udp.multiple 60; the optimisation levels change TCP timeouts
//!   only (FreeBSD `sbin/pfctl/pfctl.c`, the `pf_hint_*` tables).
//! - host aliases take DNS names (FQDN aliases, re-resolved periodically).

use std::fmt::Write as _;

use super::script::{self, Script, Split, clean, ident, net_text};
use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{Action, Address, Direction, Policy, PortForward, Ports, Rule};

pub const ID: &str = "pfsense";
pub const FAMILY: &str = "pfsense";
pub const VERSIONS: &str = "pfSense 2.6+/CE, OPNsense 23+";

/// pfSense 2.6 and later (2.6, 2.7, 2.8, CE), OPNsense 23 and later (23.1, 24.7, 25.1, …).
pub fn matches_version(version: &str) -> bool {
    let v = version.trim();
    if v.is_empty() {
        return true;
    }
    let mut parts = v.split('.');
    let major: Option<u32> = parts.next().and_then(|p| p.parse().ok());
    let minor: u32 = parts
        .next()
        .and_then(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        })
        .unwrap_or(0);
    match major {
        Some(2) => minor >= 6,
        Some(major) => major >= 23,
        None => false,
    }
}

/// pf's own UDP state timeouts (first, single, multiple); sipwall never lowers them.
pub const DEFAULT_UDP_TIMEOUTS: (u32, u32, u32) = (60, 30, 60);

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "filter rules on the LAN and WAN interfaces, port aliases for several ranges",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Native,
        how: "host aliases take DNS names and are re-resolved periodically",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Native,
        how: "Hybrid outbound NAT with a Static Port rule for the phones (<staticnatport/>)",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "pf has no SIP ALG; remove the siproxd package / os-siproxd plugin if installed",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Approximate,
        how: "global UDP state timeouts (first/single/multiple) for all UDP, never lowered",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "WAN block rules first; port forwards and pass rules restricted to the whitelist",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::None,
        how: "pf's max-src-conn-rate overload counts TCP only: use the PBX's own ban",
    },
    Capability {
        concern: "per-policy session TTL",
        support: Support::None,
        how: "state timeouts only (see UDP timeout)",
    },
];

/// Text safe inside an XML element.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// pfSense alias names: letters, digits, `_`; at most 31 characters; unique.
struct Names {
    used: Vec<String>,
}

impl Names {
    fn take(&mut self, base: &str) -> String {
        let mut base = format!("sw_{}", ident(base));
        base.truncate(28);
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

/// An alias to write into `<aliases>`.
struct Alias {
    name: String,
    kind: &'static str,
    entries: Vec<String>,
    descr: String,
}

/// The collected fragment and the GUI steps.
struct Out<'a> {
    script: Script<'a>,
    names: Names,
    aliases: Vec<Alias>,
    filter: Vec<String>,
    outbound: Vec<String>,
    forwards: Vec<String>,
    steps: u32,
}

impl Out<'_> {
    fn step(&mut self, text: &str) {
        self.steps += 1;
        let text = format!("{}. {text}", self.steps);
        self.script.note(&text);
    }

    /// The alias for a set of addresses (one address needs none).
    fn host_alias(&mut self, base: &str, split: &Split, descr: &str) -> Option<String> {
        if split.is_any() {
            return None;
        }
        let entries: Vec<String> = split
            .v4
            .iter()
            .chain(&split.v6)
            .map(net_text)
            .chain(split.fqdn.iter().cloned())
            .collect();
        if let Some(existing) = self
            .aliases
            .iter()
            .find(|a| a.kind != "port" && a.entries == entries)
        {
            return Some(existing.name.clone());
        }
        let nets = !split.v4.is_empty() || !split.v6.is_empty();
        let kind = if nets
            && split
                .v4
                .iter()
                .chain(&split.v6)
                .any(|n| n.prefix_len() != n.max_prefix_len())
        {
            "network"
        } else {
            "host"
        };
        let name = self.names.take(base);
        self.aliases.push(Alias {
            name: name.clone(),
            kind,
            entries,
            descr: descr.to_string(),
        });
        Some(name)
    }

    /// One port or range as written in a rule (`5060`, `10000-20000`), or a port alias.
    fn port_text(&mut self, base: &str, ports: &Ports) -> Option<String> {
        match ports {
            Ports::Any => None,
            Ports::Set(ranges) if ranges.len() == 1 => Some(ranges[0].to_string()),
            Ports::Set(ranges) => {
                let entries: Vec<String> = ranges
                    .iter()
                    .map(|r| {
                        if r.first == r.last {
                            r.first.to_string()
                        } else {
                            format!("{}:{}", r.first, r.last)
                        }
                    })
                    .collect();
                if let Some(existing) = self
                    .aliases
                    .iter()
                    .find(|a| a.kind == "port" && a.entries == entries)
                {
                    return Some(existing.name.clone());
                }
                let name = self.names.take(&format!("{base}_ports"));
                self.aliases.push(Alias {
                    name: name.clone(),
                    kind: "port",
                    entries,
                    descr: format!("sipwall: ports of {base}"),
                });
                Some(name)
            }
        }
    }
}

/// `<source>` / `<destination>` content: any, an address, an alias or an interface network.
fn endpoint(tag: &str, address: Option<&str>, network: Option<&str>, port: Option<&str>) -> String {
    let mut s = format!("<{tag}>");
    match (address, network) {
        (Some(a), _) => {
            let _ = write!(s, "<address>{}</address>", xml(a));
        }
        (None, Some(n)) => {
            let _ = write!(s, "<network>{}</network>", xml(n));
        }
        (None, None) => s.push_str("<any/>"),
    }
    if let Some(port) = port {
        let _ = write!(s, "<port>{}</port>", xml(port));
    }
    let _ = write!(s, "</{tag}>");
    s
}

fn address_text(out: &mut Out<'_>, base: &str, addresses: &[Address]) -> Option<String> {
    let split = Split::of(addresses);
    if split.is_any() {
        return None;
    }
    let single = split.v4.len() + split.v6.len() + split.fqdn.len() == 1
        && split
            .v4
            .iter()
            .chain(&split.v6)
            .all(|n| n.prefix_len() == n.max_prefix_len());
    if single && split.fqdn.is_empty() {
        return split.v4.iter().chain(&split.v6).map(net_text).next();
    }
    out.host_alias(base, &split, &format!("sipwall: addresses of {base}"))
}

fn ipprotocol(addresses: &[&[Address]]) -> &'static str {
    let mut v4 = false;
    let mut v6 = false;
    let mut other = false;
    for side in addresses {
        for a in *side {
            match a {
                Address::Net(n) if n.addr().is_ipv4() => v4 = true,
                Address::Net(_) => v6 = true,
                Address::Fqdn(_) => other = true,
            }
        }
    }
    match (v4, v6, other) {
        (true, false, false) => "inet",
        (false, true, false) => "inet6",
        _ => "inet46",
    }
}

fn limitations(policy: &Policy) -> Vec<Limitation> {
    let mut out = Vec::new();
    if policy.forward_default == Action::Drop {
        out.push(Limitation {
            topic: "forward-default".into(),
            text: "the profile wants other forwarded traffic dropped; the default LAN rule \
                   \"Default allow LAN to any\" passes all LAN traffic, so the LAN rules below \
                   narrow nothing while it exists. Disable it only if this firewall carries \
                   nothing but VoIP (not done here). The WAN blocks everything not passed by \
                   default."
                .into(),
            origins: Vec::new(),
        });
    }
    if let Some((unreplied, replied)) = script::udp_timeouts(policy) {
        out.push(Limitation {
            topic: "udp-timeout-global".into(),
            text: format!(
                "pf state timeouts are global: UDP first/single {} / {} s and multiple {} s \
                 apply to all UDP, not only the profile's ports (never below pf's 60/30/60)",
                unreplied.max(DEFAULT_UDP_TIMEOUTS.0),
                unreplied.max(DEFAULT_UDP_TIMEOUTS.1),
                replied.max(DEFAULT_UDP_TIMEOUTS.2)
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
            text: "pf's per-source limits (max-src-conn-rate with an overload table) count TCP \
                   connections only, not SIP over UDP or failed authentications: not rendered; \
                   keep the PBX's failed-authentication ban on"
                .into(),
            origins: policy
                .brute_force
                .iter()
                .flat_map(|b| b.origins.clone())
                .collect(),
        });
    }
    out.push(Limitation {
        topic: "opnsense-xml".into(),
        text: "the config.xml fragment follows pfSense's schema; OPNsense keeps <filter> and \
               <nat> alike but stores aliases in its own model on current releases: on OPNsense \
               follow the GUI steps (the fragment is a reference)"
            .into(),
        origins: Vec::new(),
    });
    out.extend(script::note_limitations(
        policy,
        "pfSense/OPNsense",
        |topic| match topic {
            "session-ttl" => Some(
                "pf has no per-rule session TTL; states use the UDP/TCP state \
                 timeouts"
                    .into(),
            ),
            "hairpinning" => Some(
                "NAT reflection is off by default (System › Advanced › Firewall & NAT); \
                 not changed here"
                    .into(),
            ),
            "dedicated-rule" => Some("the sipwall rules below are that dedicated rule set".into()),
            "disable-hardware-offload" => {
                Some("pf has no session offload to switch off for these rules".into())
            }
            "clear-sessions-after-change" => Some(
                "after the changes: pfSense Diagnostics › States › Reset States, or reboot".into(),
            ),
            _ => None,
        },
    ));
    out
}

/// Renders GUI steps plus a `config.xml` fragment.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let limitations = limitations(policy);
    let mut out = Out {
        script: Script::new(policy, explain),
        names: Names { used: Vec::new() },
        aliases: Vec::new(),
        filter: Vec::new(),
        outbound: Vec::new(),
        forwards: Vec::new(),
        steps: 0,
    };
    out.script.header(
        "pfSense 2.6+/CE, OPNsense 23+ (GUI steps and config.xml)",
        &limitations,
    );
    out.script.line("#");
    let hint = if policy.zones.wan == "wan" && policy.zones.lan == "lan" {
        ""
    } else {
        " (config.xml names them wan and lan by default: render with --wan wan --lan lan)"
    };
    out.script.note(&format!(
        "Interfaces: WAN \"{}\", LAN \"{}\"{hint}. Take a backup first (pfSense: Diagnostics › \
         Backup & Restore; OPNsense: System › Configuration › Backups). Each step names the \
         pfSense menu, then the OPNsense one. The config.xml fragment after the steps holds the \
         same aliases, rules and NAT: merge its sections into the matching sections of a backup \
         and restore it, or use it as the reference for the GUI.",
        policy.zones.wan, policy.zones.lan
    ));
    out.script.line("#");
    alg(&mut out);
    hygiene(&mut out);
    for rule in &policy.rules {
        filter_rule(&mut out, rule);
    }
    source_nat(&mut out);
    forwards(&mut out);
    let system = timeouts(&mut out);
    out.step(
        "Apply: pfSense Firewall › Rules and Firewall › NAT › Apply Changes; OPNsense Apply on \
         each page. Then reset the states (Diagnostics › States › Reset States) so calls pick \
         up the new NAT.",
    );
    out.script.blank();
    let fragment = fragment(&out, system);
    out.script.text.push_str(&fragment);
    Rendering {
        vendor: Vendor::Pfsense,
        text: out.script.text,
        limitations,
    }
}

fn alg(out: &mut Out<'_>) {
    let algs = out.script.policy.algs.clone();
    for alg in algs.iter().filter(|a| !a.enabled) {
        out.script.origins("SIP ALG off", &alg.origins);
        out.step(
            "SIP ALG: pf has no SIP ALG, nothing to switch off in the base system. If the \
             siproxd package (pfSense: System › Package Manager › Installed Packages) or the \
             os-siproxd plugin (OPNsense: System › Firmware › Plugins) is installed, remove it: \
             it is a SIP proxy that rewrites SIP like an ALG.",
        );
    }
    if algs.iter().any(|a| a.enabled) {
        out.script
            .note("SIP ALG: the policy wants it on; pf has none and sipwall renders none.");
    }
}

fn hygiene(out: &mut Out<'_>) {
    let policy = out.script.policy;
    if policy.hygiene.forbidden_inbound.is_empty() {
        return;
    }
    let items: Vec<String> = policy
        .hygiene
        .forbidden_inbound
        .iter()
        .map(|i| format!("{}/{} ({})", i.protocol, i.port, i.service))
        .collect();
    for item in &policy.hygiene.forbidden_inbound {
        out.script.origins(
            &format!(
                "never forward {}/{} ({})",
                item.protocol, item.port, item.service
            ),
            &item.origins,
        );
    }
    out.step(&format!(
        "Firewall › Rules › WAN (both products): at the top, a Block rule per port that must \
         never be reachable from outside: {}. Never add a port forward for them.",
        items.join(", ")
    ));
    let wan = policy.zones.wan.clone();
    for item in &policy.hygiene.forbidden_inbound {
        out.filter.push(format!(
            "<rule><type>block</type><interface>{}</interface><ipprotocol>inet46</ipprotocol>\
             <protocol>{}</protocol>{}{}<descr>{}</descr></rule>",
            xml(&wan),
            item.protocol,
            endpoint("source", None, None, None),
            endpoint("destination", None, None, Some(&item.port.to_string())),
            xml(&clean(
                &format!("sipwall: never forward {} {}", item.service, item.port),
                80
            ))
        ));
    }
}

fn filter_rule(out: &mut Out<'_>, rule: &Rule) {
    let policy = out.script.policy;
    let (interface, menu) = match rule.direction {
        Direction::Outbound => (policy.zones.lan.clone(), "LAN"),
        Direction::Inbound => (policy.zones.wan.clone(), "WAN"),
    };
    out.script.origins(
        &format!(
            "{} ({}{})",
            rule.name,
            menu,
            if rule.required { "" } else { ", optional" }
        ),
        &rule.origins,
    );
    let source = address_text(out, &format!("{}_src", rule.name), &rule.source);
    let destination = address_text(out, &format!("{}_dst", rule.name), &rule.destination);
    let sport = out.port_text(&format!("{}_src", rule.name), &rule.source_ports);
    let dport = out.port_text(&rule.name, &rule.destination_ports);
    let proto = ipprotocol(&[&rule.source, &rule.destination]);
    let action = match rule.action {
        Action::Accept => "Pass",
        Action::Drop => "Block",
    };
    let src_text = source.clone().unwrap_or_else(|| match rule.direction {
        Direction::Outbound => "LAN net or any".into(),
        Direction::Inbound => "any".into(),
    });
    out.step(&format!(
        "Firewall › Rules › {menu}: {action} {} from {src_text}{} to {}{}, description \
         \"sipwall: {}\"{}.",
        rule.protocol.name().to_uppercase(),
        sport
            .as_ref()
            .map(|p| format!(" port {p}"))
            .unwrap_or_default(),
        destination.clone().unwrap_or_else(|| "any".into()),
        dport
            .as_ref()
            .map(|p| format!(" port {p}"))
            .unwrap_or_default(),
        rule.name,
        if rule.required { "" } else { " (optional)" }
    ));
    let mut source_xml = endpoint("source", source.as_deref(), None, None);
    if let Some(p) = &sport {
        source_xml = endpoint("source", source.as_deref(), None, Some(p));
    }
    out.filter.push(format!(
        "<rule><type>{}</type><interface>{}</interface><ipprotocol>{proto}</ipprotocol>\
         <protocol>{}</protocol>{source_xml}{}<descr>{}</descr></rule>",
        match rule.action {
            Action::Accept => "pass",
            Action::Drop => "block",
        },
        xml(&interface),
        rule.protocol,
        endpoint(
            "destination",
            destination.as_deref(),
            None,
            dport.as_deref()
        ),
        xml(&clean(&format!("sipwall: {}", rule.name), 80))
    ));
}

fn source_nat(out: &mut Out<'_>) {
    let policy = out.script.policy;
    let Some(snat) = policy.nat.source_nat.clone() else {
        return;
    };
    out.script
        .origins("source NAT keeps the phones' ports", &snat.origins);
    if !(snat.port_preservation || snat.endpoint_independent_mapping) {
        return;
    }
    // The inside sources: those of the rules the NAT requirement names (all outbound rules
    // when it names none).
    let mut sources: Vec<Address> = Vec::new();
    for rule in policy.rules.iter().filter(|r| {
        r.direction == Direction::Outbound
            && (snat.for_rules.is_empty() || snat.for_rules.contains(&r.name))
    }) {
        for a in &rule.source {
            if !sources.contains(a) {
                sources.push(a.clone());
            }
        }
    }
    let split = Split::of(&sources);
    let nets: Vec<String> = split.v4.iter().map(net_text).collect();
    out.step(&format!(
        "Firewall › NAT › Outbound (both products): Mode \"Hybrid Outbound NAT rule \
         generation\", Save. Add a mapping above the automatic rules: Interface WAN, Source \
         {}, Destination any, Translation: interface address, tick \"Static Port\", \
         description \"sipwall: static port for the phones\". Automatic outbound NAT rewrites \
         the source port of everything but UDP 500, which breaks SIP registrations and RTP \
         behind NAT.",
        if nets.is_empty() {
            "any (better: your phones' or PBX's network only)".to_string()
        } else {
            nets.join(", ")
        }
    ));
    let wan = policy.zones.wan.clone();
    let source_nets = if nets.is_empty() {
        vec!["any".to_string()]
    } else {
        nets
    };
    for net in source_nets {
        out.outbound.push(format!(
            "<rule><interface>{}</interface><ipprotocol>inet</ipprotocol>\
             <source><network>{}</network></source><destination><any/></destination>\
             <target></target><staticnatport/><descr>sipwall: static port for the phones</descr>\
             </rule>",
            xml(&wan),
            xml(&net)
        ));
    }
}

/// Pieces of a forward's port set, each with the whitelisted sources (empty: any source).
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

fn forwards(out: &mut Out<'_>) {
    let policy = out.script.policy;
    if policy.nat.port_forwards.is_empty() {
        return;
    }
    if let Some(origin) = &policy.hygiene.no_dmz {
        out.script
            .origins("no DMZ / exposed host", std::slice::from_ref(origin));
    }
    let wan = policy.zones.wan.clone();
    for forward in &policy.nat.port_forwards {
        out.script.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
        for (ports, allowed) in forward_pieces(policy, forward) {
            let source = address_text(out, &format!("{}_from", forward.name), &allowed);
            let proto = match forward.protocol {
                Some(p) => p.name(),
                None => "tcp/udp",
            };
            let ranges = match &ports {
                Ports::Any => vec![None],
                Ports::Set(ranges) => ranges.iter().map(|r| Some(*r)).collect(),
            };
            for range in ranges {
                let port = range.map(|r| r.to_string());
                let local = range.map(|r| r.first.to_string());
                out.step(&format!(
                    "Firewall › NAT › Port Forward (both products): \
                     Interface WAN, Protocol {}, Source {}, Destination WAN address port {}, \
                     Redirect target {} port {}, Filter rule association: None (the WAN rules \
                     above pass it), description \"sipwall: {}\". Never use 1:1 NAT or a DMZ \
                     host for it.",
                    proto.to_uppercase(),
                    source.clone().unwrap_or_else(|| "any".into()),
                    port.clone().unwrap_or_else(|| "any".into()),
                    forward.to,
                    port.clone().unwrap_or_else(|| "any".into()),
                    forward.name
                ));
                let ipp = if forward.to.is_ipv4() {
                    "inet"
                } else {
                    "inet6"
                };
                let mut label = format!("sipwall: {}", forward.name);
                if let Some(s) = &source {
                    let _ = write!(label, " from {s}");
                }
                out.forwards.push(format!(
                    "<rule>{}{}<ipprotocol>{ipp}</ipprotocol><protocol>{proto}</protocol>\
                     <target>{}</target>{}<interface>{}</interface><descr>{}</descr>\
                     <associated-rule-id></associated-rule-id></rule>",
                    endpoint("source", source.as_deref(), None, None),
                    endpoint("destination", None, Some("wanip"), port.as_deref()),
                    forward.to,
                    local
                        .map(|l| format!("<local-port>{l}</local-port>"))
                        .unwrap_or_default(),
                    xml(&wan),
                    xml(&clean(&label, 80))
                ));
            }
        }
    }
}

/// The UDP state timeouts step; returns the `<system>` elements.
fn timeouts(out: &mut Out<'_>) -> Vec<String> {
    let policy = out.script.policy;
    let Some((unreplied, replied)) = script::udp_timeouts(policy) else {
        return Vec::new();
    };
    for timeout in &policy.timeouts {
        out.script.origins(
            &format!(
                "{} idle timeout {} s",
                timeout.protocol, timeout.replied_seconds
            ),
            &timeout.origins,
        );
    }
    let first = unreplied.max(DEFAULT_UDP_TIMEOUTS.0);
    let single = unreplied.max(DEFAULT_UDP_TIMEOUTS.1);
    let multiple = replied.max(DEFAULT_UDP_TIMEOUTS.2);
    out.step(&format!(
        "UDP state timeouts: pfSense System › Advanced › Firewall & NAT, OPNsense Firewall › \
         Settings › Advanced: under State Timeouts set UDP First {first}, UDP Single {single}, \
         UDP Multiple {multiple} (seconds; pf defaults 60 / 30 / 60). Firewall Optimization \
         does not help here: its levels change TCP timeouts only (FreeBSD pfctl, \
         `pf_hint_*`). These apply to all UDP."
    ));
    vec![
        format!("<udpfirsttimeout>{first}</udpfirsttimeout>"),
        format!("<udpsingletimeout>{single}</udpsingletimeout>"),
        format!("<udpmultipletimeout>{multiple}</udpmultipletimeout>"),
    ]
}

fn fragment(out: &Out<'_>, system: Vec<String>) -> String {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\"?>\n");
    x.push_str("<pfsense>\n");
    if !system.is_empty() {
        x.push_str("  <system>\n");
        for s in system {
            let _ = writeln!(x, "    {s}");
        }
        x.push_str("  </system>\n");
    }
    if !out.aliases.is_empty() {
        x.push_str("  <aliases>\n");
        for a in &out.aliases {
            let _ = writeln!(
                x,
                "    <alias><name>{}</name><type>{}</type><address>{}</address><descr>{}</descr></alias>",
                a.name,
                a.kind,
                xml(&a.entries.join(" ")),
                xml(&clean(&a.descr, 80))
            );
        }
        x.push_str("  </aliases>\n");
    }
    if !out.filter.is_empty() {
        x.push_str("  <filter>\n");
        for r in &out.filter {
            let _ = writeln!(x, "    {r}");
        }
        x.push_str("  </filter>\n");
    }
    if !out.outbound.is_empty() || !out.forwards.is_empty() {
        x.push_str("  <nat>\n");
        if !out.outbound.is_empty() {
            x.push_str("    <outbound>\n      <mode>hybrid</mode>\n");
            for r in &out.outbound {
                let _ = writeln!(x, "      {r}");
            }
            x.push_str("    </outbound>\n");
        }
        for r in &out.forwards {
            let _ = writeln!(x, "    {r}");
        }
        x.push_str("  </nat>\n");
    }
    x.push_str("</pfsense>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(matches_version("2.6.0"));
        assert!(matches_version("2.7.2"));
        assert!(matches_version("24.7"));
        assert!(matches_version("23.1"));
        assert!(!matches_version("2.5.2"));
        assert!(!matches_version("22.7"));
    }

    #[test]
    fn xml_escapes() {
        assert_eq!(xml("a<b>&c"), "a&lt;b&gt;&amp;c");
    }
}
