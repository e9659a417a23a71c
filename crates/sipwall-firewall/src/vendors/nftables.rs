//! Linux nftables: a paste-ready `nft -f` file with a table of its own (`inet sipwall`).
//!
//! Vendor facts used here (research/anchors-firewall.md §2, §3.10, §7, Appendix A):
//! - conntrack helpers (the kernel SIP ALG, `nf_conntrack_sip`/`nf_nat_sip`) are attached only
//!   by explicit rules since Linux 4.7 (`ct helper set`, iptables `-j CT --helper`); the old
//!   automatic assignment and its sysctl `net.netfilter.nf_conntrack_helper` were removed in
//!   Linux 6.0. So "SIP ALG off" here is the absence of any helper rule.
//! - `masquerade` without `random`/`fully-random` keeps the inside source port when it is free.
//! - per-port UDP timeouts: a `ct timeout` object (nftables ≥ 0.9.1, Linux ≥ 4.19) assigned in a
//!   prerouting chain at priority `mangle` (-150): after conntrack (-200) has created the entry
//!   and before it is confirmed, the only window in which `nft_ct_timeout_obj_eval` (Linux
//!   net/netfilter/nft_ct.c) attaches it. At priority `raw` there is no entry yet and the rule
//!   silently does nothing (measured here: 29 s left of the 30 s default at raw, 776 s of 777 at
//!   mangle; the auditor's nftables parser caught it).
//! - several tables may hook the same point: a packet must be accepted by every base chain, and
//!   a drop anywhere wins.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ipnet::IpNet;

use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{
    Action, Address, AlgProtocol, BruteForceLimit, Direction, Origin, Policy, PortForward, Ports,
    Protocol, Rule, TimeoutScope,
};

pub const ID: &str = "nftables";
pub const FAMILY: &str = "nftables";
pub const VERSIONS: &str = "nftables 0.9.1 and later (ct timeout objects); checked with 1.0.6";

/// One dialect for every nftables version that has `ct timeout` objects.
pub fn matches_version(_version: &str) -> bool {
    true
}
/// The table sipwall owns; reloading the file replaces it and touches nothing else.
pub const TABLE: &str = "sipwall";

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "forward-chain rules with anonymous sets",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Approximate,
        how: "no DNS-following objects: named sets per name that you fill with resolved addresses",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "masquerade without random/fully-random keeps the port when free; no EIM guarantee",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "no `ct helper` rule: no helper since Linux 4.7",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Native,
        how: "`ct timeout` object set in prerouting at priority mangle",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "drop rules from the WAN; only the listed ports are forwarded",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::Approximate,
        how: "per-source rate of new SIP sessions and a ban set; failed logins are invisible to it",
    },
    Capability {
        concern: "per-policy session TTL",
        support: Support::None,
        how: "conntrack timeouts only (see UDP timeout)",
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn keyword(self) -> &'static str {
        match self {
            Family::V4 => "ip",
            Family::V6 => "ip6",
        }
    }

    fn addr_type(self) -> &'static str {
        match self {
            Family::V4 => "ipv4_addr",
            Family::V6 => "ipv6_addr",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Family::V4 => "v4",
            Family::V6 => "v6",
        }
    }

    fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }
}

/// One way of matching one side of a rule.
#[derive(Clone)]
enum Side {
    Any,
    Nets(Family, Vec<IpNet>),
    Set(Family, String),
}

impl Side {
    fn family(&self) -> Option<Family> {
        match self {
            Side::Any => None,
            Side::Nets(f, _) | Side::Set(f, _) => Some(*f),
        }
    }

    fn expr(&self, field: &str) -> Option<String> {
        match self {
            Side::Any => None,
            Side::Nets(family, nets) => {
                let items: Vec<String> = nets.iter().map(net_text).collect();
                Some(format!("{} {field} {}", family.keyword(), braces(&items)))
            }
            Side::Set(family, name) => Some(format!("{} {field} @{name}", family.keyword())),
        }
    }
}

fn net_text(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

fn braces(items: &[String]) -> String {
    if items.len() == 1 {
        items[0].clone()
    } else {
        format!("{{ {} }}", items.join(", "))
    }
}

fn ports_text(ports: &Ports) -> Option<String> {
    match ports {
        Ports::Any => None,
        Ports::Set(ranges) => Some(braces(
            &ranges.iter().map(ToString::to_string).collect::<Vec<_>>(),
        )),
    }
}

/// `udp sport 5060 udp dport 5065`, or `meta l4proto udp` when no port is matched.
fn l4(protocol: Protocol, sport: &Ports, dport: &Ports) -> String {
    let mut parts = Vec::new();
    if let Some(p) = ports_text(sport) {
        parts.push(format!("{protocol} sport {p}"));
    }
    if let Some(p) = ports_text(dport) {
        parts.push(format!("{protocol} dport {p}"));
    }
    if parts.is_empty() {
        format!("meta l4proto {protocol}")
    } else {
        parts.join(" ")
    }
}

/// nft identifiers: letters, digits and `_`, starting with a letter.
fn ident(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'x');
    }
    out
}

/// A `comment "…"` clause: printable ASCII without quotes, at most 120 bytes.
fn comment(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                ' '
            }
        })
        .take(120)
        .collect();
    format!("comment \"{}\"", clean.trim())
}

/// The named sets standing for DNS names, one per name and family.
struct FqdnSets {
    names: BTreeMap<String, String>,
}

impl FqdnSets {
    fn collect(policy: &Policy) -> Self {
        let mut names = BTreeMap::new();
        let all = policy
            .rules
            .iter()
            .flat_map(|r| r.source.iter().chain(&r.destination))
            .chain(
                policy
                    .hygiene
                    .source_whitelists
                    .iter()
                    .flat_map(|w| &w.allowed),
            );
        for address in all {
            if let Address::Fqdn(name) = address {
                let next = names.len();
                names.entry(name.clone()).or_insert_with(|| {
                    let mut id = ident(&format!("fqdn_{name}"));
                    if id.len() > 40 {
                        id.truncate(36);
                        id = format!("{id}_{next}");
                    }
                    id
                });
            }
        }
        FqdnSets { names }
    }

    fn set(&self, name: &str, family: Family) -> String {
        format!("{}_{}", self.names[name], family.suffix())
    }
}

fn sides(addresses: &[Address], fqdn: &FqdnSets) -> Vec<Side> {
    if addresses.is_empty() {
        return vec![Side::Any];
    }
    let mut out = Vec::new();
    for family in [Family::V4, Family::V6] {
        let nets: Vec<IpNet> = addresses
            .iter()
            .filter_map(|a| match a {
                Address::Net(net) if Family::of(net) == family => Some(net.trunc()),
                _ => None,
            })
            .collect();
        if !nets.is_empty() {
            out.push(Side::Nets(family, IpNet::aggregate(&nets)));
        }
    }
    for address in addresses {
        if let Address::Fqdn(name) = address {
            for family in [Family::V4, Family::V6] {
                out.push(Side::Set(family, fqdn.set(name, family)));
            }
        }
    }
    out
}

/// The address matches of a rule: every source × destination alternative of one family.
fn address_matches(rule: &Rule, fqdn: &FqdnSets) -> Vec<String> {
    let mut out = Vec::new();
    for src in sides(&rule.source, fqdn) {
        for dst in sides(&rule.destination, fqdn) {
            if let (Some(a), Some(b)) = (src.family(), dst.family())
                && a != b
            {
                continue;
            }
            let parts: Vec<String> = [src.expr("saddr"), dst.expr("daddr")]
                .into_iter()
                .flatten()
                .collect();
            out.push(parts.join(" "));
        }
    }
    out
}

/// Output with tab indentation, optional explanations and plain comments.
struct Out<'a> {
    text: String,
    explain: bool,
    policy: &'a Policy,
}

impl Out<'_> {
    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.text.push('\t');
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// A comment wrapped at about 96 columns.
    /// Leading spaces of `text` are kept as its indentation inside the comment.
    fn note(&mut self, indent: usize, text: &str) {
        let lead = &text[..text.len() - text.trim_start().len()];
        let first = format!("#{lead}");
        let mut current = first.clone();
        for word in text.split_whitespace() {
            if current.len() + word.len() + 1 > 96 && current != first {
                self.line(indent, &current);
                current = format!("#{lead}  ");
            }
            current.push(' ');
            current.push_str(word);
        }
        self.line(indent, &current);
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    /// In explain mode: the requirement and each of its sources.
    fn origins(&mut self, indent: usize, headline: &str, origins: &[Origin]) {
        if !self.explain {
            return;
        }
        for line in crate::vendors::explanation(headline, origins) {
            self.note(indent, &line);
        }
    }

    fn wan(&self) -> String {
        format!("iifname \"{}\"", self.policy.zones.wan)
    }
}

fn limitations(policy: &Policy, fqdn: &FqdnSets) -> Vec<Limitation> {
    let mut out = Vec::new();
    if !fqdn.names.is_empty() {
        let names: Vec<&str> = fqdn.names.keys().map(String::as_str).collect();
        out.push(Limitation {
            topic: "fqdn".into(),
            text: format!(
                "nftables cannot follow DNS names: the sets fqdn_*_v4/_v6 start empty; resolve \
                 {} and add the addresses (nft add element inet {TABLE} SET {{ ADDR }}), and \
                 refresh them when the provider's DNS changes",
                names.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    let unforwarded: Vec<&str> = policy
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Inbound)
        .filter(|r| {
            !policy.nat.port_forwards.iter().any(|f| {
                f.protocol.is_none_or(|p| p == r.protocol)
                    && r.destination_ports.intersect(&f.ports).is_some()
            })
        })
        .map(|r| r.name.as_str())
        .collect();
    if !unforwarded.is_empty() && policy.nat.source_nat.is_some() {
        out.push(Limitation {
            topic: "inbound-without-forward".into(),
            text: format!(
                "{}: behind masquerade these reach an inside host only as replies to its own                  outbound traffic (connection state); the accept rules matter for routed inside                  addresses. If the provider opens new connections to a fixed inside port, add a                  port forward (a forward_to in the profile)",
                unforwarded.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    if let Some(snat) = &policy.nat.source_nat
        && snat.endpoint_independent_mapping
    {
        out.push(Limitation {
            topic: "endpoint-independent-mapping".into(),
            text: "Linux masquerade keeps the inside port when it is free, so one inside \
                   address:port keeps one public port across destinations in practice; Linux \
                   guarantees no endpoint-independent mapping when two inside hosts use the same \
                   port (the second one gets another port)"
                .into(),
            origins: snat.origins.clone(),
        });
    }
    if !policy.timeouts.is_empty() {
        out.push(Limitation {
            topic: "ct-timeout-support".into(),
            text: "ct timeout objects need nftables >= 0.9.1 and Linux >= 4.19 with \
                   nf_conntrack_timeout; without them raise the global sysctls \
                   net.netfilter.nf_conntrack_udp_timeout and \
                   net.netfilter.nf_conntrack_udp_timeout_stream instead (all UDP, not per port)"
                .into(),
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
            text: "a packet filter cannot see failed SIP authentications: the limit below \
                   counts new SIP sessions per source and bans sources that exceed it; keep the \
                   PBX's own failed-authentication ban (or fail2ban) on as well"
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
            "session-ttl" => format!(
                "{}: nftables has no per-policy session TTL; UDP sessions use the ct timeout \
                 below (or the conntrack default), TCP sessions the conntrack default \
                 (established: 5 days)",
                note.text
            ),
            "hairpinning" => format!(
                "hairpinning ({}): needs a DNAT of the public address plus masquerade on the \
                 LAN side; not rendered, since the public address is not known here",
                note.text
            ),
            "dedicated-rule" => format!("{} (this table is that dedicated rule set)", note.text),
            "disable-hardware-offload" => format!(
                "{} (this table adds no flowtable; do not offload VoIP traffic with a \
                 `flow add @…` rule elsewhere)",
                note.text
            ),
            "clear-sessions-after-change" => format!(
                "{} (after loading: conntrack -F, from conntrack-tools)",
                note.text
            ),
            _ => format!("not expressed by nftables: {}", note.text),
        };
        out.push(Limitation {
            topic: note.topic.clone(),
            text,
            origins: note.origins.clone(),
        });
    }
    out
}

/// Renders the policy as an `nft -f` file.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let fqdn = FqdnSets::collect(policy);
    let limitations = limitations(policy, &fqdn);
    let mut out = Out {
        text: String::new(),
        explain,
        policy,
    };
    header(&mut out, &limitations);
    out.line(0, &format!("table inet {TABLE}"));
    out.line(0, &format!("delete table inet {TABLE}"));
    out.blank();
    out.line(0, &format!("table inet {TABLE} {{"));
    alg_statement(&mut out);
    sets(&mut out, &fqdn);
    timeouts(&mut out);
    forward_chain(&mut out, &fqdn);
    input_chain(&mut out);
    nat_chains(&mut out);
    out.line(0, "}");
    Rendering {
        vendor: Vendor::Nftables,
        text: out.text,
        limitations,
    }
}

fn header(out: &mut Out<'_>, limitations: &[Limitation]) {
    let policy = out.policy;
    out.line(0, "#!/usr/sbin/nft -f");
    match &policy.profile {
        Some(p) => out.note(
            0,
            &format!("sipwall rules: profile {} ({}), nftables", p.id, p.name),
        ),
        None => out.note(0, "sipwall rules: nftables"),
    }
    out.note(
        0,
        &format!(
            "WAN interface \"{}\", LAN interface \"{}\". Check with `nft -c -f FILE`, load with \
             `nft -f FILE`; reloading replaces table inet {TABLE} and touches no other table.",
            policy.zones.wan, policy.zones.lan
        ),
    );
    match policy.forward_default {
        Action::Drop => out.note(
            0,
            "Forwarded traffic that no rule below allows is DROPPED (chain forward, policy \
             drop): on a router that carries other traffic, render with the forward default \
             `accept` or add your own rules.",
        ),
        Action::Accept => out.note(
            0,
            "Forwarded traffic that no rule below matches is left to your other tables (chain \
             forward, policy accept); the drops below still apply.",
        ),
    }
    explain_documents(out);
    if !limitations.is_empty() {
        out.line(0, "#");
        out.note(0, "Not (fully) expressed by nftables, do it elsewhere:");
        for limitation in limitations {
            out.note(0, &format!("- {}: {}", limitation.topic, limitation.text));
        }
    }
    out.blank();
}

fn explain_documents(out: &mut Out<'_>) {
    if !out.explain || out.policy.documents.is_empty() {
        return;
    }
    out.line(0, "#");
    for line in crate::vendors::document_lines(out.policy) {
        out.note(0, &line);
    }
}

fn alg_statement(out: &mut Out<'_>) {
    let algs: Vec<_> = out.policy.algs.clone();
    for alg in algs {
        let AlgProtocol::Sip = alg.protocol;
        if alg.enabled {
            out.note(
                1,
                "SIP ALG: the policy wants it on; sipwall renders no helper attachment.",
            );
            continue;
        }
        let scope: Vec<String> = alg
            .scope
            .iter()
            .map(|(protocol, ports)| format!("{protocol}/{ports}"))
            .collect();
        out.origins(1, "SIP ALG / helper off", &alg.origins);
        out.note(
            1,
            &format!(
                "SIP ALG off: this table attaches no conntrack helper (no `ct helper` object or \
                 rule). Since Linux 4.7 helpers are attached only by such rules (the automatic \
                 assignment and its sysctl net.netfilter.nf_conntrack_helper were removed in \
                 Linux 6.0). Other tables may still attach one: `nft list ruleset | grep \"ct \
                 helper\"`, `iptables-save -t raw | grep -- --helper`, OpenWrt `auto_helper`; \
                 to be sure, `modprobe -r nf_nat_sip nf_conntrack_sip` and blacklist both. SIP \
                 ports of this profile: {}.",
                if scope.is_empty() {
                    "none".to_string()
                } else {
                    scope.join(" ")
                }
            ),
        );
        out.blank();
    }
}

fn sets(out: &mut Out<'_>, fqdn: &FqdnSets) {
    for (name, id) in &fqdn.names {
        for family in [Family::V4, Family::V6] {
            out.line(1, &format!("set {id}_{} {{", family.suffix()));
            out.line(2, &format!("type {}", family.addr_type()));
            out.line(2, "flags interval");
            out.line(2, &comment(&format!("addresses of {name}; fill by hand")));
            out.line(1, "}");
        }
        out.blank();
    }
    let limits = out.policy.brute_force.clone();
    for limit in &limits {
        out.origins(
            1,
            &format!("brute-force limit {}", limit.name),
            &limit.origins,
        );
        let base = ident(&format!("bf_{}", limit.name));
        for family in [Family::V4, Family::V6] {
            out.line(1, &format!("set {base}_rate_{} {{", family.suffix()));
            out.line(2, &format!("type {}", family.addr_type()));
            out.line(2, "size 65535");
            out.line(2, "flags dynamic,timeout");
            out.line(
                2,
                &format!("timeout {}s", limit.per_seconds.saturating_mul(2)),
            );
            out.line(1, "}");
            out.line(1, &format!("set {base}_ban_{} {{", family.suffix()));
            out.line(2, &format!("type {}", family.addr_type()));
            out.line(2, "size 65535");
            out.line(2, "flags dynamic,timeout");
            out.line(2, &format!("timeout {}s", limit.ban_seconds));
            out.line(1, "}");
        }
        out.blank();
    }
}

fn timeouts(out: &mut Out<'_>) {
    let timeouts = out.policy.timeouts.clone();
    if timeouts.is_empty() {
        return;
    }
    for timeout in &timeouts {
        out.origins(
            1,
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
        out.line(1, &format!("ct timeout {} {{", ident(&timeout.name)));
        out.line(2, &format!("protocol {}", timeout.protocol));
        out.line(2, "l3proto inet");
        out.line(
            2,
            &format!(
                "policy = {{ unreplied : {}, replied : {} }}",
                timeout.unreplied_seconds, timeout.replied_seconds
            ),
        );
        out.line(1, "}");
        out.blank();
    }
    out.note(
        1,
        "A ct timeout attaches only to a connection conntrack has created (priority -200) but \
         not yet confirmed, so it is set in prerouting at priority mangle (-150); at priority raw \
         it would silently do nothing.",
    );
    out.line(1, "chain timeout_prerouting {");
    out.line(
        2,
        "type filter hook prerouting priority mangle; policy accept;",
    );
    for timeout in &timeouts {
        let name = ident(&timeout.name);
        let matcher = match &timeout.scope {
            TimeoutScope::Global => format!("meta l4proto {}", timeout.protocol),
            TimeoutScope::Ports(ports) => l4(timeout.protocol, &Ports::Any, ports),
        };
        out.line(
            2,
            &format!(
                "{matcher} ct timeout set \"{name}\" {}",
                comment(&timeout.name)
            ),
        );
    }
    out.line(1, "}");
    out.blank();
}

fn rate(limit: &BruteForceLimit) -> String {
    let units = [
        (1, "second"),
        (60, "minute"),
        (3600, "hour"),
        (86400, "day"),
    ];
    if let Some((_, unit)) = units.iter().find(|(s, _)| *s == limit.per_seconds) {
        return format!("{}/{unit}", limit.max_new_sessions);
    }
    // Other windows: the same average rate per minute, rounded up.
    let per_minute =
        (u64::from(limit.max_new_sessions) * 60).div_ceil(u64::from(limit.per_seconds));
    format!("{}/minute", per_minute.max(1))
}

fn forward_chain(out: &mut Out<'_>, fqdn: &FqdnSets) {
    let policy = out.policy;
    let wan = out.wan();
    let zones = &policy.zones;
    out.line(1, "chain forward {");
    out.line(
        2,
        &format!(
            "type filter hook forward priority filter; policy {};",
            match policy.forward_default {
                Action::Accept => "accept",
                Action::Drop => "drop",
            }
        ),
    );
    out.line(2, "ct state established,related accept");
    out.line(2, "ct state invalid drop");
    for limit in &policy.brute_force {
        out.blank();
        out.origins(
            2,
            &format!("brute-force limit {}", limit.name),
            &limit.origins,
        );
        out.note(
            2,
            &format!(
                "brute force: more than {} new {} sessions to port {} per {} s{} from one source \
                 bans it for {} s",
                limit.max_new_sessions,
                limit.protocol,
                limit.ports,
                limit.per_seconds,
                if limit.window_assumed {
                    " (window assumed: the profile gives none)"
                } else {
                    ""
                },
                limit.ban_seconds
            ),
        );
        let base = ident(&format!("bf_{}", limit.name));
        for family in [Family::V4, Family::V6] {
            let (k, s) = (family.keyword(), family.suffix());
            out.line(
                2,
                &format!(
                    "{wan} {k} saddr @{base}_ban_{s} drop {}",
                    comment(&format!("brute-force ban {}", limit.name))
                ),
            );
        }
        let l4 = l4(limit.protocol, &Ports::Any, &limit.ports);
        for family in [Family::V4, Family::V6] {
            let (k, s) = (family.keyword(), family.suffix());
            out.line(
                2,
                &format!(
                    "{wan} ct state new {l4} add @{base}_rate_{s} {{ {k} saddr limit rate over \
                     {} burst {} packets }} add @{base}_ban_{s} {{ {k} saddr }} drop {}",
                    rate(limit),
                    limit.max_new_sessions,
                    comment(&format!("brute-force limit {}", limit.name))
                ),
            );
        }
    }
    if !policy.hygiene.forbidden_inbound.is_empty() {
        out.blank();
        out.note(2, "hygiene: ports never forwarded or opened from the WAN");
        for item in &policy.hygiene.forbidden_inbound {
            out.origins(
                2,
                &format!(
                    "never forward {}/{} ({})",
                    item.protocol, item.port, item.service
                ),
                &item.origins,
            );
            out.line(
                2,
                &format!(
                    "{wan} {} dport {} drop {}",
                    item.protocol,
                    item.port,
                    comment(&format!("never forward {}", item.service))
                ),
            );
        }
    }
    if !policy.rules.is_empty() {
        out.blank();
        out.note(2, "allow rules, one per flow, direction and protocol");
    }
    for rule in &policy.rules {
        let (iif, oif) = match rule.direction {
            Direction::Outbound => (&zones.lan, &zones.wan),
            Direction::Inbound => (&zones.wan, &zones.lan),
        };
        out.origins(
            2,
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
        let verdict = match rule.action {
            Action::Accept => "accept",
            Action::Drop => "drop",
        };
        let l4 = l4(rule.protocol, &rule.source_ports, &rule.destination_ports);
        for addresses in address_matches(rule, fqdn) {
            let mut text = format!("iifname \"{iif}\" oifname \"{oif}\" ");
            if !addresses.is_empty() {
                text.push_str(&addresses);
                text.push(' ');
            }
            let _ = write!(text, "{l4} {verdict} {}", comment(&rule.name));
            out.line(2, &text);
        }
    }
    if !policy.hygiene.source_whitelists.is_empty() {
        out.blank();
        out.note(
            2,
            "hygiene: whitelisted ports are closed to every other source (also under policy \
             accept)",
        );
        for whitelist in &policy.hygiene.source_whitelists {
            let allowed: Vec<String> = whitelist.allowed.iter().map(ToString::to_string).collect();
            out.origins(
                2,
                &format!(
                    "source whitelist {}/{}: only {}",
                    whitelist.protocol,
                    whitelist.ports,
                    allowed.join(", ")
                ),
                &whitelist.origins,
            );
            out.line(
                2,
                &format!(
                    "{wan} {} drop {}",
                    l4(whitelist.protocol, &Ports::Any, &whitelist.ports),
                    comment("source whitelist")
                ),
            );
        }
    }
    out.line(1, "}");
    out.blank();
}

fn input_chain(out: &mut Out<'_>) {
    let policy = out.policy;
    let wan = out.wan();
    out.note(
        1,
        "The router itself: only the forbidden ports are closed from the WAN (policy accept, so \
         this never locks you out).",
    );
    out.line(1, "chain input {");
    out.line(2, "type filter hook input priority filter; policy accept;");
    out.line(2, "ct state established,related accept");
    for item in &policy.hygiene.forbidden_inbound {
        out.line(
            2,
            &format!(
                "{wan} {} dport {} drop {}",
                item.protocol,
                item.port,
                comment(&format!("never open {}", item.service))
            ),
        );
    }
    out.line(1, "}");
}

fn dnat(forward: &PortForward, wan: &str) -> String {
    let family = if forward.to.is_ipv4() { "ip" } else { "ip6" };
    let matcher = match forward.protocol {
        Some(protocol) => format!(" {}", l4(protocol, &Ports::Any, &forward.ports)),
        None => String::new(),
    };
    format!(
        "{wan}{matcher} dnat {family} to {} {}",
        forward.to,
        comment(&forward.name)
    )
}

fn nat_chains(out: &mut Out<'_>) {
    let policy = out.policy;
    let wan = out.wan();
    if !policy.nat.port_forwards.is_empty() || policy.hygiene.no_dmz.is_some() {
        out.blank();
        if let Some(origin) = &policy.hygiene.no_dmz {
            out.origins(1, "no DMZ / exposed host", std::slice::from_ref(origin));
            out.note(
                1,
                "no DMZ host: only the ports listed below are forwarded (the inside port is the \
                 outside port).",
            );
        }
    }
    if !policy.nat.port_forwards.is_empty() {
        out.line(1, "chain prerouting_nat {");
        out.line(
            2,
            "type nat hook prerouting priority dstnat; policy accept;",
        );
        for forward in &policy.nat.port_forwards {
            out.origins(
                2,
                &format!("port forward {} to {}", forward.name, forward.to),
                &forward.origins,
            );
            out.line(2, &dnat(forward, &wan));
        }
        out.line(1, "}");
    }
    if let Some(snat) = &policy.nat.source_nat {
        out.blank();
        out.origins(1, "source NAT keeping ports", &snat.origins);
        out.note(
            1,
            "masquerade without `random` or `fully-random`: the inside source port is kept when \
             it is free (port preservation).",
        );
        out.line(1, "chain postrouting_nat {");
        out.line(
            2,
            "type nat hook postrouting priority srcnat; policy accept;",
        );
        out.line(
            2,
            &format!(
                "oifname \"{}\" masquerade {}",
                policy.zones.wan,
                comment("source NAT, ports preserved")
            ),
        );
        out.line(1, "}");
    }
}
