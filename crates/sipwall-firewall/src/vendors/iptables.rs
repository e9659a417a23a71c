//! Linux iptables + ip6tables: one text holding two `iptables-save` files, `rules.v4` for
//! `iptables-restore` and `rules.v6` for `ip6tables-restore`, each between a `# BEGIN rules.vN`
//! and a `# END rules.vN` line (use [`sections`] to split it).
//!
//! Vendor facts used here (research/anchors-firewall.md §2, §3.10, §7, Appendix A):
//! - conntrack helpers (the kernel SIP ALG) are attached only by explicit rules since Linux 4.7:
//!   with iptables that is `-t raw … -j CT --helper sip`. This rendering has none, and its empty
//!   `*raw` section removes such rules of the same family when the file is loaded.
//! - `MASQUERADE` without `--random`/`--random-fully` keeps the inside source port when free.
//! - per-port UDP timeouts need `-j CT --timeout NAME` with a timeout policy made by `nfct add
//!   timeout` (conntrack-tools); iptables-restore cannot create it, so the global sysctls are
//!   rendered instead, as comments.
//! - `iptables-restore --test` with the nft backend misses undefined targets: check with
//!   `iptables-legacy-restore --test` as well.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ipnet::IpNet;

use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{
    Action, Address, AlgProtocol, BruteForceLimit, Direction, Origin, Policy, PortForward,
    PortRange, Ports, Protocol, Rule, TimeoutScope,
};

pub const ID: &str = "iptables";
pub const FAMILY: &str = "iptables";
pub const VERSIONS: &str =
    "iptables and ip6tables 1.4.x and later, nft or legacy backend; checked with 1.8.9";

/// One dialect: the iptables-save format has not changed in the parts used here.
pub fn matches_version(_version: &str) -> bool {
    true
}

/// The file name of the IPv4 part (Debian `iptables-persistent`: `/etc/iptables/rules.v4`).
pub const V4_FILE: &str = "rules.v4";
/// The file name of the IPv6 part (`/etc/iptables/rules.v6`).
pub const V6_FILE: &str = "rules.v6";

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "FORWARD rules, one per address; multiport for port lists; IPv6 in ip6tables",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Approximate,
        how: "no DNS-following objects (-d NAME resolves once): an empty chain per name that you \
              fill with resolved addresses",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "MASQUERADE without --random/--random-fully keeps the port when free; no EIM guarantee",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "no -j CT --helper rule; the empty *raw section removes existing ones",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::None,
        how: "-j CT --timeout needs an nfct timeout object iptables cannot create: global sysctls \
              nf_conntrack_udp_timeout(_stream) instead",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "DROP rules from the WAN in FORWARD and INPUT; only the listed ports are forwarded",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::Approximate,
        how: "-m hashlimit per-source rate of new SIP sessions and a -m recent ban list; failed \
              logins are invisible to it",
    },
    Capability {
        concern: "per-policy session TTL",
        support: Support::None,
        how: "conntrack timeouts only (global sysctls)",
    },
];

/// The parts of a rendering: (file name, iptables-save text) for `rules.v4` and `rules.v6`, in
/// that order; `None` when a `# BEGIN`/`# END` pair is missing.
pub fn sections(text: &str) -> Option<Vec<(&'static str, String)>> {
    let mut out = Vec::new();
    for name in [V4_FILE, V6_FILE] {
        let begin = format!("# BEGIN {name}");
        let end = format!("# END {name}");
        let mut lines = text.lines().skip_while(|l| *l != begin);
        lines.next()?;
        let mut part = String::new();
        let mut closed = false;
        for line in lines {
            if line == end {
                closed = true;
                break;
            }
            part.push_str(line);
            part.push('\n');
        }
        if !closed {
            return None;
        }
        out.push((name, part));
    }
    Some(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }

    fn file(self) -> &'static str {
        match self {
            Family::V4 => V4_FILE,
            Family::V6 => V6_FILE,
        }
    }

    fn tool(self) -> &'static str {
        match self {
            Family::V4 => "iptables",
            Family::V6 => "ip6tables",
        }
    }
}

/// Which side of a rule an address list stands for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Source,
    Destination,
}

impl Role {
    fn flag(self) -> &'static str {
        match self {
            Role::Source => "-s",
            Role::Destination => "-d",
        }
    }
}

fn verdict(action: Action) -> &'static str {
    match action {
        Action::Accept => "ACCEPT",
        Action::Drop => "DROP",
    }
}

/// The empty chains standing for DNS names: one per name, side and verdict.
struct FqdnChains {
    chains: BTreeMap<(String, Role, &'static str), String>,
}

impl FqdnChains {
    fn collect(policy: &Policy) -> Self {
        let mut chains = BTreeMap::new();
        for rule in &policy.rules {
            for (role, addresses) in [
                (Role::Source, &rule.source),
                (Role::Destination, &rule.destination),
            ] {
                for address in addresses {
                    if let Address::Fqdn(name) = address {
                        let next = chains.len() + 1;
                        chains
                            .entry((name.clone(), role, verdict(rule.action)))
                            .or_insert_with(|| {
                                let side = match role {
                                    Role::Source => "SRC",
                                    Role::Destination => "DST",
                                };
                                format!("SW-FQDN{next}-{side}-{}", verdict(rule.action))
                            });
                    }
                }
            }
        }
        FqdnChains { chains }
    }

    fn chain(&self, name: &str, role: Role, action: Action) -> &str {
        &self.chains[&(name.to_string(), role, verdict(action))]
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.chains.keys().map(|(n, _, _)| n.as_str()).collect();
        names.dedup();
        names
    }
}

/// One way of matching one side of a rule in one family.
#[derive(Clone)]
enum Side {
    Any,
    Net(IpNet),
    Fqdn(String),
}

fn net_text(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// The alternatives of one side in `family`; empty when the side has addresses, none of them
/// of this family.
fn sides(addresses: &[Address], family: Family) -> Vec<Side> {
    if addresses.is_empty() {
        return vec![Side::Any];
    }
    let nets: Vec<IpNet> = addresses
        .iter()
        .filter_map(|a| match a {
            Address::Net(net) if Family::of(net) == family => Some(net.trunc()),
            _ => None,
        })
        .collect();
    let mut out: Vec<Side> = IpNet::aggregate(&nets).into_iter().map(Side::Net).collect();
    for address in addresses {
        if let Address::Fqdn(name) = address {
            out.push(Side::Fqdn(name.clone()));
        }
    }
    out
}

/// The port-list syntax of one `--sport`/`--dport` or `multiport` match; lists longer than
/// multiport's 15 slots (a range takes two) are split.
fn port_matches(ports: &Ports, single: &str, multi: &str) -> Vec<Option<String>> {
    let ranges = match ports {
        Ports::Any => return vec![None],
        Ports::Set(ranges) => ranges,
    };
    let text = |r: &PortRange| {
        if r.first == r.last {
            r.first.to_string()
        } else {
            format!("{}:{}", r.first, r.last)
        }
    };
    if ranges.len() == 1 {
        return vec![Some(format!("{single} {}", text(&ranges[0])))];
    }
    let mut chunks: Vec<Vec<String>> = vec![Vec::new()];
    let mut slots = 0;
    for range in ranges {
        let cost = if range.first == range.last { 1 } else { 2 };
        if slots + cost > 15 {
            chunks.push(Vec::new());
            slots = 0;
        }
        slots += cost;
        chunks.last_mut().expect("not empty").push(text(range));
    }
    chunks
        .into_iter()
        .map(|c| Some(format!("-m multiport {multi} {}", c.join(","))))
        .collect()
}

/// `-p udp -m udp --sport 5060 -m multiport --dports 5060,5080`, one string per alternative.
fn l4(protocol: Protocol, sport: &Ports, dport: &Ports) -> Vec<String> {
    let mut out = Vec::new();
    for s in port_matches(sport, "--sport", "--sports") {
        for d in port_matches(dport, "--dport", "--dports") {
            let mut text = format!("-p {protocol}");
            let plain: Vec<&String> = [&s, &d]
                .into_iter()
                .flatten()
                .filter(|m| !m.starts_with("-m "))
                .collect();
            if !plain.is_empty() {
                let _ = write!(text, " -m {protocol}");
                for m in plain {
                    let _ = write!(text, " {m}");
                }
            }
            for m in [&s, &d].into_iter().flatten() {
                if m.starts_with("-m ") {
                    let _ = write!(text, " {m}");
                }
            }
            out.push(text);
        }
    }
    out
}

/// A `-m comment --comment "…"` match: printable ASCII without quotes, at most 120 bytes.
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
    format!("-m comment --comment \"{}\"", clean.trim())
}

/// Names for `-m recent --name` and `-m hashlimit --hashlimit-name` (at most 15 bytes).
fn limit_names(index: usize, limit: &BruteForceLimit) -> (String, String) {
    let base: String = limit
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    (format!("sw_ban_{base}"), format!("sw_bf{index}"))
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
        (u64::from(limit.max_new_sessions) * 60).div_ceil(u64::from(limit.per_seconds.max(1)));
    format!("{}/minute", per_minute.max(1))
}

/// Output with optional explanations and plain comments.
struct Out<'a> {
    text: String,
    explain: bool,
    policy: &'a Policy,
}

impl Out<'_> {
    fn line(&mut self, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// A comment wrapped at about 96 columns; leading spaces of `text` are kept.
    fn note(&mut self, text: &str) {
        let lead = &text[..text.len() - text.trim_start().len()];
        let first = format!("#{lead}");
        let mut current = first.clone();
        for word in text.split_whitespace() {
            if current.len() + word.len() + 1 > 96 && current != first {
                self.line(&current);
                current = format!("#{lead}  ");
            }
            current.push(' ');
            current.push_str(word);
        }
        self.line(&current);
    }

    /// In explain mode: the requirement and each of its sources.
    fn origins(&mut self, headline: &str, origins: &[Origin]) {
        if !self.explain {
            return;
        }
        for line in crate::vendors::explanation(headline, origins) {
            self.note(&line);
        }
    }

    fn wan_in(&self) -> String {
        format!("-i {}", self.policy.zones.wan)
    }
}

/// The global conntrack sysctls standing in for the per-port timeouts: (key, seconds).
fn timeout_sysctls(policy: &Policy) -> Vec<(&'static str, u32)> {
    let mut out = Vec::new();
    let udp: Vec<_> = policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp)
        .collect();
    if let Some(unreplied) = udp.iter().map(|t| t.unreplied_seconds).max() {
        out.push(("net.netfilter.nf_conntrack_udp_timeout", unreplied));
    }
    if let Some(replied) = udp.iter().map(|t| t.replied_seconds).max() {
        out.push(("net.netfilter.nf_conntrack_udp_timeout_stream", replied));
    }
    if let Some(replied) = policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Tcp)
        .map(|t| t.replied_seconds)
        .max()
    {
        out.push((
            "net.netfilter.nf_conntrack_tcp_timeout_established",
            replied,
        ));
    }
    out
}

fn limitations(policy: &Policy, fqdn: &FqdnChains) -> Vec<Limitation> {
    let mut out = Vec::new();
    if !fqdn.chains.is_empty() {
        out.push(Limitation {
            topic: "fqdn".into(),
            text: format!(
                "iptables cannot follow DNS names (-d NAME is resolved once, at load time): the \
                 chains SW-FQDN* start empty; resolve {} and add one rule per address to the \
                 chain named in its comment (e.g. -A SW-FQDN1-DST-ACCEPT -d ADDR -j ACCEPT; \
                 IPv6 addresses in {V6_FILE}), and refresh them when the provider's DNS changes",
                fqdn.names().join(", ")
            ),
            origins: Vec::new(),
        });
    }
    let both: Vec<&str> = policy
        .rules
        .iter()
        .filter(|r| {
            r.source.iter().any(|a| matches!(a, Address::Fqdn(_)))
                && r.destination.iter().any(|a| matches!(a, Address::Fqdn(_)))
        })
        .map(|r| r.name.as_str())
        .collect();
    if !both.is_empty() {
        out.push(Limitation {
            topic: "fqdn-both-sides".into(),
            text: format!(
                "{}: DNS names on both sides; the alternatives naming two DNS names are not \
                 rendered (one chain cannot match both): add them by hand with resolved addresses",
                both.join(", ")
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
                "{}: behind MASQUERADE these reach an inside host only as replies to its own \
                 outbound traffic (connection state); the ACCEPT rules matter for routed inside \
                 addresses. If the provider opens new connections to a fixed inside port, add a \
                 port forward (a forward_to in the profile)",
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
            text: "Linux MASQUERADE keeps the inside port when it is free, so one inside \
                   address:port keeps one public port across destinations in practice; Linux \
                   guarantees no endpoint-independent mapping when two inside hosts use the same \
                   port (the second one gets another port)"
                .into(),
            origins: snat.origins.clone(),
        });
    }
    if !policy.timeouts.is_empty() {
        let sysctls: Vec<String> = timeout_sysctls(policy)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push(Limitation {
            topic: "timeouts-global".into(),
            text: format!(
                "per-port timeouts need -j CT --timeout NAME in the raw table with a timeout \
                 policy created by `nfct add timeout NAME inet udp unreplied N replied N` \
                 (conntrack-tools); iptables-restore cannot create it and a rule naming a \
                 missing policy fails to load, so none is rendered. Set the global sysctls \
                 instead: {}. Trade-off: they apply to every UDP session of the router, not \
                 only to the VoIP ports; keep a larger current value",
                sysctls.join(", ")
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
            text: "a packet filter cannot see failed SIP authentications: the limit below \
                   counts new SIP sessions per source (-m hashlimit) and bans sources that \
                   exceed it (-m recent, whose lists hold 100 addresses unless xt_recent is \
                   loaded with ip_list_tot=N); keep the PBX's own failed-authentication ban (or \
                   fail2ban) on as well"
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
                "{}: iptables has no per-policy session TTL; sessions use the conntrack \
                 timeouts (UDP: the sysctls above or the defaults; TCP established: 5 days)",
                note.text
            ),
            "hairpinning" => format!(
                "hairpinning ({}): needs a DNAT of the public address plus MASQUERADE on the \
                 LAN side; not rendered, since the public address is not known here",
                note.text
            ),
            "dedicated-rule" => format!("{} (these files are that dedicated rule set)", note.text),
            "disable-hardware-offload" => format!(
                "{} (these files add no FLOWOFFLOAD target; do not offload VoIP traffic \
                 elsewhere)",
                note.text
            ),
            "clear-sessions-after-change" => format!(
                "{} (after loading: conntrack -F, from conntrack-tools)",
                note.text
            ),
            _ => format!("not expressed by iptables: {}", note.text),
        };
        out.push(Limitation {
            topic: note.topic.clone(),
            text,
            origins: note.origins.clone(),
        });
    }
    out
}

/// Renders the policy as two iptables-save files (IPv4, IPv6) in one text.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let fqdn = FqdnChains::collect(policy);
    let limitations = limitations(policy, &fqdn);
    let mut out = Out {
        text: String::new(),
        explain,
        policy,
    };
    header(&mut out, &limitations);
    for family in [Family::V4, Family::V6] {
        out.text.push('\n');
        out.line(&format!("# BEGIN {}", family.file()));
        out.note(&format!(
            "{} for {}-restore: save as /etc/iptables/{}",
            family.file(),
            family.tool(),
            family.file()
        ));
        raw_table(&mut out, family);
        filter_table(&mut out, family, &fqdn);
        nat_table(&mut out, family);
        out.line(&format!("# END {}", family.file()));
    }
    Rendering {
        vendor: Vendor::Iptables,
        text: out.text,
        limitations,
    }
}

fn header(out: &mut Out<'_>, limitations: &[Limitation]) {
    let policy = out.policy;
    match &policy.profile {
        Some(p) => out.note(&format!(
            "sipwall rules: profile {} ({}), iptables + ip6tables (iptables-save format)",
            p.id, p.name
        )),
        None => out.note("sipwall rules: iptables + ip6tables (iptables-save format)"),
    }
    out.note(&format!(
        "WAN interface \"{}\", LAN interface \"{}\". Two files: the lines between \"# BEGIN \
         {V4_FILE}\" and \"# END {V4_FILE}\" for iptables-restore, between \"# BEGIN {V6_FILE}\" \
         and \"# END {V6_FILE}\" for ip6tables-restore. Split with `sed -n '/^# BEGIN \
         {V4_FILE}$/,/^# END {V4_FILE}$/p' FILE > {V4_FILE}` (same for {V6_FILE}); check each \
         with `iptables-restore --test {V4_FILE}` AND `iptables-legacy-restore --test \
         {V4_FILE}` (the nft backend misses undefined targets), ip6tables-restore and \
         ip6tables-legacy-restore for {V6_FILE}; load with `iptables-restore {V4_FILE}` and \
         `ip6tables-restore {V6_FILE}`.",
        policy.zones.wan, policy.zones.lan
    ));
    out.note(
        "Loading a file REPLACES the raw, filter and nat tables of its family (everything else \
         in them is removed; nftables tables of your own are not touched).",
    );
    match policy.forward_default {
        Action::Drop => out.note(
            "Forwarded traffic that no rule below allows is DROPPED (FORWARD policy DROP): on a \
             router that carries other traffic, render with the forward default `accept` or add \
             your own rules.",
        ),
        Action::Accept => out.note(
            "Forwarded traffic that no rule below matches is accepted (FORWARD policy ACCEPT); \
             the drops below still apply.",
        ),
    }
    let sysctls = timeout_sysctls(policy);
    if !sysctls.is_empty() {
        out.line("#");
        for timeout in policy.timeouts.clone() {
            out.origins(
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
        out.note(
            "Timeouts: iptables cannot create the nfct timeout policy `-j CT --timeout` needs, \
             so set these global conntrack sysctls (every session of the protocol, not only the \
             VoIP ports; keep a larger current value), e.g. in /etc/sysctl.d/90-sipwall.conf:",
        );
        for (key, value) in &sysctls {
            out.line(&format!("#   sysctl -w {key}={value}"));
        }
    }
    explain_documents(out);
    if !limitations.is_empty() {
        out.line("#");
        out.note("Not (fully) expressed by iptables, do it elsewhere:");
        for limitation in limitations {
            out.note(&format!("- {}: {}", limitation.topic, limitation.text));
        }
    }
}

fn explain_documents(out: &mut Out<'_>) {
    if !out.explain || out.policy.documents.is_empty() {
        return;
    }
    out.line("#");
    for line in crate::vendors::document_lines(out.policy) {
        out.note(&line);
    }
}

fn raw_table(out: &mut Out<'_>, family: Family) {
    let algs = out.policy.algs.clone();
    for alg in &algs {
        let AlgProtocol::Sip = alg.protocol;
        if alg.enabled {
            out.note("SIP ALG: the policy wants it on; sipwall renders no helper attachment.");
            continue;
        }
        let scope: Vec<String> = alg
            .scope
            .iter()
            .map(|(protocol, ports)| format!("{protocol}/{ports}"))
            .collect();
        out.origins("SIP ALG / helper off", &alg.origins);
        out.note(&format!(
            "SIP ALG off: no `-j CT --helper` rule anywhere. Since Linux 4.7 helpers are attached \
             only by such rules (the automatic assignment and its sysctl \
             net.netfilter.nf_conntrack_helper were removed in Linux 6.0); this empty raw table \
             removes any {tool} helper rule when loaded. Check afterwards: `{tool}-save -t raw \
             | grep -- --helper` (both backends: also {tool}-legacy-save), `nft list ruleset | \
             grep \"ct helper\"`, and no `helper=` in `conntrack -L`; to be sure, `modprobe -r \
             nf_nat_sip nf_conntrack_sip` and blacklist both. SIP ports of this profile: {}.",
            if scope.is_empty() {
                "none".to_string()
            } else {
                scope.join(" ")
            },
            tool = family.tool()
        ));
    }
    out.line("*raw");
    out.line(":PREROUTING ACCEPT [0:0]");
    out.line(":OUTPUT ACCEPT [0:0]");
    out.line("COMMIT");
}

/// `-s`/`-d` and the jump target for one source × destination alternative; `None` when the
/// alternative cannot be expressed (DNS names on both sides).
fn addresses(src: &Side, dst: &Side, rule: &Rule, fqdn: &FqdnChains) -> Option<(String, String)> {
    let mut matches = Vec::new();
    let mut target = verdict(rule.action).to_string();
    let mut jumps = 0;
    for (side, role) in [(src, Role::Source), (dst, Role::Destination)] {
        match side {
            Side::Any => {}
            Side::Net(net) => matches.push(format!("{} {}", role.flag(), net_text(net))),
            Side::Fqdn(name) => {
                jumps += 1;
                target = fqdn.chain(name, role, rule.action).to_string();
            }
        }
    }
    (jumps < 2).then(|| (matches.join(" "), target))
}

fn forward_rules(out: &mut Out<'_>, family: Family, fqdn: &FqdnChains) {
    let policy = out.policy;
    let wan = out.wan_in();
    out.line("-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
    out.line("-A FORWARD -m conntrack --ctstate INVALID -j DROP");
    for (index, limit) in policy.brute_force.iter().enumerate() {
        out.origins(&format!("brute-force limit {}", limit.name), &limit.origins);
        out.note(&format!(
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
        ));
        let (ban, rate_name) = limit_names(index, limit);
        out.line(&format!(
            "-A FORWARD {wan} -m recent --rcheck --seconds {} --name {ban} --rsource {} -j DROP",
            limit.ban_seconds,
            comment(&format!("brute-force ban {}", limit.name))
        ));
        for l4 in l4(limit.protocol, &Ports::Any, &limit.ports) {
            out.line(&format!(
                "-A FORWARD {wan} {l4} -m conntrack --ctstate NEW -m hashlimit --hashlimit-above \
                 {} --hashlimit-burst {} --hashlimit-mode srcip --hashlimit-name {rate_name} \
                 --hashlimit-htable-expire {} -m recent --set --name {ban} --rsource {} -j DROP",
                rate(limit),
                limit.max_new_sessions.max(1),
                u64::from(limit.per_seconds.max(1)) * 2000,
                comment(&format!("brute-force limit {}", limit.name))
            ));
        }
    }
    if !policy.hygiene.forbidden_inbound.is_empty() {
        out.note("hygiene: ports never forwarded or opened from the WAN");
        for item in &policy.hygiene.forbidden_inbound {
            out.origins(
                &format!(
                    "never forward {}/{} ({})",
                    item.protocol, item.port, item.service
                ),
                &item.origins,
            );
            out.line(&format!(
                "-A FORWARD {wan} -p {p} -m {p} --dport {} {} -j DROP",
                item.port,
                comment(&format!("never forward {}", item.service)),
                p = item.protocol
            ));
        }
    }
    if !policy.rules.is_empty() {
        out.note("allow rules, one per flow, direction, protocol and address");
    }
    for rule in &policy.rules {
        let (iif, oif) = match rule.direction {
            Direction::Outbound => (&policy.zones.lan, &policy.zones.wan),
            Direction::Inbound => (&policy.zones.wan, &policy.zones.lan),
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
        for src in sides(&rule.source, family) {
            for dst in sides(&rule.destination, family) {
                let Some((addresses, target)) = addresses(&src, &dst, rule, fqdn) else {
                    continue;
                };
                for l4 in l4(rule.protocol, &rule.source_ports, &rule.destination_ports) {
                    let mut text = format!("-A FORWARD -i {iif} -o {oif} ");
                    if !addresses.is_empty() {
                        text.push_str(&addresses);
                        text.push(' ');
                    }
                    let _ = write!(text, "{l4} {} -j {target}", comment(&rule.name));
                    out.line(&text);
                }
            }
        }
    }
    if !policy.hygiene.source_whitelists.is_empty() {
        out.note(
            "hygiene: whitelisted ports are closed to every other source (also under policy \
             ACCEPT)",
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
            for l4 in l4(whitelist.protocol, &Ports::Any, &whitelist.ports) {
                out.line(&format!(
                    "-A FORWARD {wan} {l4} {} -j DROP",
                    comment("source whitelist")
                ));
            }
        }
    }
}

fn filter_table(out: &mut Out<'_>, family: Family, fqdn: &FqdnChains) {
    let policy = out.policy;
    out.line("*filter");
    out.line(":INPUT ACCEPT [0:0]");
    out.line(&format!(
        ":FORWARD {} [0:0]",
        verdict(policy.forward_default)
    ));
    out.line(":OUTPUT ACCEPT [0:0]");
    for ((name, role, target), chain) in &fqdn.chains {
        out.note(&format!(
            "{chain}: empty, fill with one `-A {chain} {} ADDR -j {target}` per {} address of \
             {name}",
            role.flag(),
            match family {
                Family::V4 => "IPv4",
                Family::V6 => "IPv6",
            }
        ));
        out.line(&format!(":{chain} - [0:0]"));
    }
    forward_rules(out, family, fqdn);
    let wan = out.wan_in();
    out.note(
        "The router itself (INPUT): only the forbidden ports are closed from the WAN (policy \
         ACCEPT, so this never locks you out).",
    );
    out.line("-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
    for item in &policy.hygiene.forbidden_inbound {
        out.line(&format!(
            "-A INPUT {wan} -p {p} -m {p} --dport {} {} -j DROP",
            item.port,
            comment(&format!("never open {}", item.service)),
            p = item.protocol
        ));
    }
    out.line("COMMIT");
}

fn dnat(forward: &PortForward, wan: &str) -> Vec<String> {
    let matchers = match forward.protocol {
        Some(protocol) => l4(protocol, &Ports::Any, &forward.ports)
            .into_iter()
            .map(|m| format!(" {m}"))
            .collect(),
        None => vec![String::new()],
    };
    matchers
        .into_iter()
        .map(|m| {
            format!(
                "-A PREROUTING {wan}{m} {} -j DNAT --to-destination {}",
                comment(&forward.name),
                forward.to
            )
        })
        .collect()
}

fn nat_table(out: &mut Out<'_>, family: Family) {
    let policy = out.policy;
    let wan = out.wan_in();
    out.line("*nat");
    out.line(":PREROUTING ACCEPT [0:0]");
    out.line(":INPUT ACCEPT [0:0]");
    out.line(":OUTPUT ACCEPT [0:0]");
    out.line(":POSTROUTING ACCEPT [0:0]");
    if let Some(origin) = &policy.hygiene.no_dmz {
        out.origins("no DMZ / exposed host", std::slice::from_ref(origin));
        out.note(
            "no DMZ host: only the ports listed below are forwarded (the inside port is the \
             outside port).",
        );
    }
    for forward in &policy.nat.port_forwards {
        let of_family = match family {
            Family::V4 => forward.to.is_ipv4(),
            Family::V6 => forward.to.is_ipv6(),
        };
        if !of_family {
            continue;
        }
        out.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
        for line in dnat(forward, &wan) {
            out.line(&line);
        }
    }
    if let Some(snat) = &policy.nat.source_nat {
        out.origins("source NAT keeping ports", &snat.origins);
        out.note(
            "MASQUERADE without --random or --random-fully: the inside source port is kept when \
             it is free (port preservation).",
        );
        out.line(&format!(
            "-A POSTROUTING -o {} {} -j MASQUERADE",
            policy.zones.wan,
            comment("source NAT, ports preserved")
        ));
    }
    out.line("COMMIT");
}
