//! MikroTik RouterOS v6 and v7: a script of console commands (paste into a terminal or
//! `/import file-name=…`), shared by `mikrotik_v6` and `mikrotik_v7` (module `common` of
//! `mikrotik_v7`, file `routeros_common.rs`).
//!
//! Vendor facts used here, each with its source (research/anchors-firewall.md §2 row "MikroTik
//! RouterOS" and §3.7 unless said otherwise):
//! - SIP ALG: `/ip firewall service-port set sip disabled=yes`, the same command on v6 and v7
//!   (§2; no source for a different v7 form was found). Default: enabled, `ports=5060,5061`
//!   (§3.7, public `/export verbose` dumps [V]).
//! - UDP timeouts: `/ip firewall connection tracking set udp-timeout=… udp-stream-timeout=…`;
//!   defaults 10 s / 3 m; `udp-timeout` is for UDP connections that saw packets in one
//!   direction, `udp-stream-timeout` for those that saw packets in both (MikroTik wiki
//!   Manual:IP/Firewall/Connection_tracking, revision of 8 July 2016). v7 keeps the names and the
//!   defaults (7.10 defaults identical, terraform-routeros
//!   routeros/resource_ip_firewall_connection_tracking.go [V], §3.7). Global for all UDP.
//! - source NAT: `chain=srcnat action=masquerade` keeps the inside source port when it is free
//!   (Linux NAT); sipwall writes no `to-ports`, which would remap ports (§2).
//! - filter rules: `/ip firewall filter add chain=… in-interface=… out-interface=… protocol=…
//!   dst-port=…` with comma-separated ports and ranges; `add` appends to the end of a chain, so
//!   the jump rules into sipwall's own chains are moved to the top with `move … destination=0`.
//!   A rule without a match at the end of a user chain returns to the calling chain.
//! - address lists: `/ip firewall address-list add list=… address=…`, where `address` is "a
//!   single IP address or range of IPs … or DNS name" (MikroTik docs, Address-lists,
//!   help.mikrotik.com/docs/display/ROS/Address-lists and manual.mikrotik.com
//!   cli-reference/ip/firewall/address-list): the router resolves the name with its own DNS
//!   client and keeps the addresses as dynamic entries of the list.
//! - brute force: a per-source `dst-limit=rate,burst,src-address/expire` match on
//!   `connection-state=new` with `add-src-to-address-list` + `address-list-timeout` (the ban)
//!   for the sources above it; pattern of MikroTik wiki "Bruteforce login prevention"
//!   (wiki.mikrotik.com/wiki/Bruteforce_login_prevention: `dst-limit=1/1m,9,dst-address/1m`,
//!   `action=add-src-to-address-list address-list-timeout=…`). It counts new sessions, not
//!   failed SIP authentications.
//! - `/ip firewall` is IPv4 only; IPv6 is `/ipv6 firewall`, which sipwall does not render here.

use std::fmt::Write as _;

use super::super::script::{self, Script, Split, clean, ident, net_text};
use super::super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{
    Action, Address, Direction, Policy, PortForward, PortRange, Ports, Protocol, Rule, TimeoutScope,
};
use sipwall_profile::Purpose;

/// The two RouterOS dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    V6,
    V7,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::V6 => "MikroTik RouterOS v6",
            Dialect::V7 => "MikroTik RouterOS v7",
        }
    }

    fn vendor(self) -> Vendor {
        match self {
            Dialect::V6 => Vendor::MikrotikV6,
            Dialect::V7 => Vendor::MikrotikV7,
        }
    }
}

/// The major version of "7", "7.14.2", "v6.49.10", "RouterOS 7.1"; `None` when there is none.
pub(crate) fn parse_major(version: &str) -> Option<u32> {
    let text = version.trim().to_ascii_lowercase();
    let text = text.strip_prefix("routeros").unwrap_or(&text).trim();
    let text = text.strip_prefix('v').unwrap_or(text);
    let major: String = text.chars().take_while(char::is_ascii_digit).collect();
    let rest = &text[major.len()..];
    if !(rest.is_empty() || rest.starts_with('.') || rest.starts_with("rc")) {
        return None;
    }
    major.parse().ok()
}

/// RouterOS defaults (udp-timeout, udp-stream-timeout) in seconds; sipwall never lowers them.
pub(crate) const DEFAULT_UDP_TIMEOUTS: (u32, u32) = (10, 180);

/// The comment every item sipwall adds carries (the cleanup at the top finds them by it).
pub(crate) const TAG: &str = "sipwall";

/// Ports and ranges per `dst-port`/`src-port` value. RouterOS, like iptables multiport, is
/// believed to take at most 15 entries per rule [?]; longer sets are split over several rules,
/// which is harmless if the limit is higher.
const MAX_PORTS: usize = 15;

pub(crate) const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "/ip firewall filter rules in chains sipwall-forward / sipwall-input (IPv4 only)",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Native,
        how: "address-list entries may be DNS names; the router resolves and refreshes them",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "srcnat masquerade without to-ports keeps the port when free; no EIM guarantee",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "/ip firewall service-port set sip disabled=yes",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Approximate,
        how: "global /ip firewall connection tracking udp-timeout / udp-stream-timeout (never lowered)",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "drop rules from the WAN (forward and input); whitelists as negated address lists",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::Approximate,
        how: "per-source dst-limit on new sessions + add-src-to-address-list ban; not auth failures",
    },
    Capability {
        concern: "per-policy session TTL",
        support: Support::None,
        how: "connection tracking timeouts only (see UDP timeout)",
    },
];

/// A RouterOS time value: `2h`, `3m`, `90s`.
pub(crate) fn time(seconds: u32) -> String {
    if seconds > 0 && seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds > 0 && seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

/// `comment="sipwall: …"`.
fn comment(text: &str) -> String {
    format!("comment=\"{}\"", clean(&format!("{TAG}: {text}"), 120))
}

/// Port sets as `dst-port` values of at most [`MAX_PORTS`] entries; `[None]` for any port.
fn port_values(ports: &Ports) -> Vec<Option<String>> {
    match ports {
        Ports::Any => vec![None],
        Ports::Set(ranges) => ranges
            .chunks(MAX_PORTS)
            .map(|chunk| {
                Some(
                    chunk
                        .iter()
                        .map(PortRange::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                )
            })
            .collect(),
    }
}

/// One side of a rule as a RouterOS match: nothing (any), `src-address=NET` or an address
/// list. `None`: the side has addresses but none IPv4 can match.
#[derive(Debug, Clone)]
enum Side {
    Any,
    Net(String),
    List(String),
}

impl Side {
    fn matcher(&self, key: &str) -> Option<String> {
        match self {
            Side::Any => None,
            Side::Net(net) => Some(format!("{key}-address={net}")),
            Side::List(list) => Some(format!("{key}-address-list={list}")),
        }
    }
}

/// Collects the address lists and the IPv6 items left out while the filter rules are built.
struct Lists {
    /// (list name, entries, what for).
    lists: Vec<(String, Vec<String>, String)>,
    /// IPv6 prefixes or targets not rendered, with where they come from.
    skipped_v6: Vec<String>,
}

impl Lists {
    fn name(&self, base: &str) -> String {
        let base = format!("{TAG}-{}", ident(base).replace('_', "-"));
        let mut name = base.clone();
        let mut n = 2;
        while self.lists.iter().any(|(l, _, _)| *l == name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        name
    }

    /// The IPv4 match of `addresses`; `None` when only IPv6 prefixes were given.
    fn side(&mut self, addresses: &[Address], base: &str, what: &str) -> Option<Side> {
        if addresses.is_empty() {
            return Some(Side::Any);
        }
        let split = Split::of(addresses);
        for net in &split.v6 {
            self.skipped_v6.push(format!("{} ({what})", net_text(net)));
        }
        let mut entries: Vec<String> = split.v4.iter().map(net_text).collect();
        entries.extend(split.fqdn.iter().cloned());
        match entries.len() {
            0 => None,
            1 if split.fqdn.is_empty() => Some(Side::Net(entries.remove(0))),
            _ => {
                // The same entries already have a list: reuse it.
                if let Some((name, _, _)) = self.lists.iter().find(|(_, e, _)| *e == entries) {
                    return Some(Side::List(name.clone()));
                }
                let name = self.name(base);
                self.lists.push((name.clone(), entries, what.to_string()));
                Some(Side::List(name))
            }
        }
    }
}

/// The filter rules of sipwall's chains, built before they are written.
struct Filter<'a> {
    out: Script<'a>,
}

impl Filter<'_> {
    fn add(&mut self, parts: &[Option<String>]) {
        let mut line = String::from("add");
        for part in parts.iter().flatten() {
            line.push(' ');
            line.push_str(part);
        }
        self.out.line(&line);
    }
}

fn kv(key: &str, value: impl std::fmt::Display) -> Option<String> {
    Some(format!("{key}={value}"))
}

fn limitations(
    policy: &Policy,
    dialect: Dialect,
    fqdns: &[String],
    v6: &[String],
) -> Vec<Limitation> {
    let mut out = Vec::new();
    if !fqdns.is_empty() {
        out.push(Limitation {
            topic: "fqdn".into(),
            text: format!(
                "the DNS names ({}) are address-list entries: RouterOS resolves each with its own \
                 DNS client (/ip dns needs a server) and keeps the addresses as dynamic entries, \
                 re-resolved as their DNS TTL runs out (MikroTik docs, Address-lists); IPv4 (A \
                 records) only here{}",
                fqdns.join(", "),
                match dialect {
                    Dialect::V6 => {
                        "; on RouterOS v6 DNS names in address lists need a late 6.x release \
                         (6.36 or later by the changelog, not verified here [?]): on an older \
                         release the `add` fails, so upgrade or enter the addresses"
                    }
                    Dialect::V7 => "",
                }
            ),
            origins: Vec::new(),
        });
    }
    if !v6.is_empty() {
        out.push(Limitation {
            topic: "ipv6".into(),
            text: format!(
                "/ip firewall is IPv4 only: the IPv6 items {} are not rendered; add the same \
                 rules under /ipv6 firewall filter (and /ipv6 firewall address-list) by hand",
                v6.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    if policy.forward_default == Action::Drop {
        out.push(Limitation {
            topic: "forward-default".into(),
            text: "the profile wants other forwarded traffic dropped; the RouterOS default \
                   configuration forwards everything from the LAN, so the last rule of chain \
                   sipwall-forward (a LAN-to-WAN drop) is added disabled: enable it only if this \
                   router carries nothing but VoIP"
                .into(),
            origins: Vec::new(),
        });
    }
    if let Some(snat) = &policy.nat.source_nat {
        out.push(Limitation {
            topic: "source-nat".into(),
            text: format!(
                "source NAT is a srcnat masquerade on the WAN interface without to-ports, which \
                 keeps the inside port when it is free (Linux NAT){}; the default configuration \
                 already has one (`defconf: masquerade`), sipwall's is harmless beside it",
                if snat.endpoint_independent_mapping {
                    ", but RouterOS guarantees no endpoint-independent mapping when two inside \
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
            .any(|t| matches!(t.scope, TimeoutScope::Ports(_)));
        out.push(Limitation {
            topic: "udp-timeout-global".into(),
            text: format!(
                "RouterOS has no per-port connection-tracking timeout: udp-timeout={} and \
                 udp-stream-timeout={} apply to all UDP{} (more connections kept longer; never \
                 below the defaults 10s / 3m)",
                time(unreplied.max(DEFAULT_UDP_TIMEOUTS.0)),
                time(replied.max(DEFAULT_UDP_TIMEOUTS.1)),
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
            text: "the ban counts new sessions per source (dst-limit), not failed SIP \
                   authentications, which a packet filter cannot see; keep the PBX's own \
                   failed-authentication ban on"
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
        dialect.name(),
        |topic| match topic {
            "session-ttl" => Some(
                "RouterOS has no per-rule session TTL; sessions use the connection-tracking \
                 timeouts"
                    .into(),
            ),
            "hairpinning" => Some(
                "RouterOS needs an extra srcnat rule for hairpin NAT; not rendered for \
                 outbound-only flows"
                    .into(),
            ),
            "dedicated-rule" => Some("the sipwall-forward chain is that dedicated rule set".into()),
            "disable-hardware-offload" => Some(
                "the default configuration's FastTrack rule (action=fasttrack-connection) \
                 bypasses the firewall for established traffic; the sipwall-forward chain \
                 accepts established SIP and RTP before it, so VoIP is never fasttracked"
                    .into(),
            ),
            "clear-sessions-after-change" => Some(
                "after the script: `/ip firewall connection remove [find]` (drops every \
                 tracked connection) or reboot"
                    .into(),
            ),
            _ => None,
        },
    ));
    out
}

/// Renders the policy as a RouterOS script.
pub(crate) fn render(policy: &Policy, explain: bool, dialect: Dialect) -> Rendering {
    let fqdns = script::fqdns(policy);
    let mut lists = Lists {
        lists: Vec::new(),
        skipped_v6: Vec::new(),
    };
    // Filter and NAT rules first: they decide which address lists exist.
    let mut filter = Filter {
        out: Script::new(policy, explain),
    };
    filter_rules(&mut filter, &mut lists);
    let mut nat = Filter {
        out: Script::new(policy, explain),
    };
    nat_rules(&mut nat, &mut lists);
    let limitations = limitations(policy, dialect, &fqdns, &lists.skipped_v6);

    let mut out = Script::new(policy, explain);
    out.header(dialect.name(), &limitations);
    out.line("#");
    let hint = if policy.zones.wan == "ether1" && policy.zones.lan == "bridge" {
        ""
    } else {
        " (the default configuration's are ether1 and bridge: render with --wan ether1 --lan \
         bridge)"
    };
    out.note(&format!(
        "Interfaces: WAN \"{}\", LAN \"{}\"{hint}. Paste into a terminal or run /import \
         file-name=FILE. Every item sipwall adds has a comment starting with \"{TAG}\"; the \
         first commands remove the previous run's items, so running it again replaces them and \
         touches nothing else. IPv4 only (/ip firewall).{}",
        policy.zones.wan,
        policy.zones.lan,
        match dialect {
            Dialect::V6 => " Check afterwards with /export hide-sensitive.",
            Dialect::V7 => " Check afterwards with /export.",
        }
    ));
    out.blank();
    // `find where` with the regex operator `~`; dynamic entries (resolved DNS names, bans) are
    // left to RouterOS.
    out.line(&format!(
        "/ip firewall filter remove [find where comment~\"^{TAG}\"]"
    ));
    out.line(&format!(
        "/ip firewall nat remove [find where comment~\"^{TAG}\"]"
    ));
    out.line(&format!(
        "/ip firewall address-list remove [find where dynamic=no list~\"^{TAG}-\"]"
    ));
    out.blank();
    alg(&mut out);
    if !lists.lists.is_empty() {
        out.note(
            "address lists: addresses, prefixes and DNS names (RouterOS resolves the names and \
             adds their addresses as dynamic entries)",
        );
        out.line("/ip firewall address-list");
        for (name, entries, what) in &lists.lists {
            for entry in entries {
                out.line(&format!(
                    "add list={name} address={entry} {}",
                    comment(what)
                ));
            }
        }
        out.blank();
    }
    out.line("/ip firewall filter");
    out.text.push_str(&filter.out.text);
    // `add` appends; the jump rules must come before the default configuration's drops.
    out.note(
        "move the two jump rules to the top of forward and input (before the default \
         configuration's drop rules and FastTrack)",
    );
    out.line(&format!(
        "/ip firewall filter move [find where comment=\"{TAG}: jump input\"] destination=0"
    ));
    out.line(&format!(
        "/ip firewall filter move [find where comment=\"{TAG}: jump forward\"] destination=0"
    ));
    out.blank();
    if !nat.out.text.is_empty() {
        out.line("/ip firewall nat");
        out.text.push_str(&nat.out.text);
        out.blank();
    }
    timeouts(&mut out);
    Rendering {
        vendor: dialect.vendor(),
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
            "SIP ALG off: the sip service port (the SIP helper; on by default with \
             ports=5060,5061) is disabled, the same command on v6 and v7 (research §2, §3.7). \
             Disabled, it hooks no port at all, whatever its ports= list. SIP ports of this \
             profile: {}. Check: /ip firewall service-port print where name=sip",
            if scope.is_empty() {
                "none".to_string()
            } else {
                scope.join(" ")
            }
        ));
        out.line("/ip firewall service-port");
        out.line("set sip disabled=yes");
        out.blank();
    }
    if algs.iter().any(|a| a.enabled) {
        out.note("SIP ALG: the policy wants it on; sipwall renders no service-port change for it.");
        out.blank();
    }
}

fn filter_rules(f: &mut Filter<'_>, lists: &mut Lists) {
    let policy = f.out.policy;
    let wan = policy.zones.wan.clone();
    let lan = policy.zones.lan.clone();
    f.add(&[
        kv("chain", "forward"),
        kv("action", "jump"),
        kv("jump-target", "sipwall-forward"),
        Some(comment("jump forward")),
    ]);
    f.add(&[
        kv("chain", "input"),
        kv("action", "jump"),
        kv("jump-target", "sipwall-input"),
        kv("in-interface", &wan),
        Some(comment("jump input")),
    ]);
    // FastTrack (the default configuration's `action=fasttrack-connection` for established
    // traffic) bypasses connection tracking updates; VoIP must stay off it, so its established
    // packets are accepted here, before the main chain's FastTrack rule sees them. `port=`
    // matches the source or the destination port, so both directions are covered.
    for (protocol, ports) in voip_ports(policy) {
        f.out.note(&format!(
            "established {protocol} VoIP traffic (ports {ports}) accepted here, so the default \
             configuration's FastTrack rule never offloads it (offloaded SIP and RTP lose \
             their connection-tracking updates)"
        ));
        f.add(&[
            kv("chain", "sipwall-forward"),
            kv("action", "accept"),
            kv("connection-state", "established,related"),
            kv("protocol", protocol.name()),
            kv("port", &ports),
            Some(comment("VoIP not fasttracked")),
        ]);
    }
    f.out.note(
        "other replies and related traffic go back to the main chains (the default \
         configuration accepts or FastTracks them there)",
    );
    for chain in ["sipwall-forward", "sipwall-input"] {
        f.add(&[
            kv("chain", chain),
            kv("action", "return"),
            kv("connection-state", "established,related"),
            Some(comment("established")),
        ]);
    }

    if !policy.hygiene.forbidden_inbound.is_empty() {
        f.out
            .note("hygiene: ports never forwarded or opened from the WAN");
        for item in &policy.hygiene.forbidden_inbound {
            f.out.origins(
                &format!(
                    "never forward {}/{} ({})",
                    item.protocol, item.port, item.service
                ),
                &item.origins,
            );
            for (what, chain, iface) in [
                ("forward", "sipwall-forward", Some(wan.clone())),
                ("open", "sipwall-input", None),
            ] {
                f.add(&[
                    kv("chain", chain),
                    kv("action", "drop"),
                    iface.map(|i| format!("in-interface={i}")),
                    kv("protocol", item.protocol),
                    kv("dst-port", item.port),
                    Some(comment(&format!(
                        "never {what} {} {}",
                        item.service, item.port
                    ))),
                ]);
            }
        }
    }

    for (i, whitelist) in policy.hygiene.source_whitelists.iter().enumerate() {
        let allowed: Vec<String> = whitelist.allowed.iter().map(ToString::to_string).collect();
        f.out.origins(
            &format!(
                "source whitelist {}/{}: only {}",
                whitelist.protocol,
                whitelist.ports,
                allowed.join(", ")
            ),
            &whitelist.origins,
        );
        let Some(side) = lists.side(
            &whitelist.allowed,
            &format!("wl_{}", i + 1),
            &format!(
                "source whitelist {}/{}",
                whitelist.protocol, whitelist.ports
            ),
        ) else {
            f.out.note(&format!(
                "source whitelist {}/{}: only IPv6 sources, not rendered (see ipv6 above)",
                whitelist.protocol, whitelist.ports
            ));
            continue;
        };
        // A single prefix becomes a negated `src-address`; several become a negated list.
        let negated = match &side {
            Side::Any => None,
            Side::Net(net) => Some(format!("src-address=!{net}")),
            Side::List(list) => Some(format!("src-address-list=!{list}")),
        };
        f.out.note(&format!(
            "hygiene: {}/{} from the WAN only from {} (forward and input)",
            whitelist.protocol,
            whitelist.ports,
            allowed.join(", ")
        ));
        for (chain, iface) in [
            ("sipwall-forward", Some(wan.clone())),
            ("sipwall-input", None),
        ] {
            for ports in port_values(&whitelist.ports) {
                f.add(&[
                    kv("chain", chain),
                    kv("action", "drop"),
                    iface.clone().map(|i| format!("in-interface={i}")),
                    kv("protocol", whitelist.protocol),
                    ports.map(|p| format!("dst-port={p}")),
                    negated.clone(),
                    Some(comment("source whitelist")),
                ]);
            }
        }
    }

    for limit in &policy.brute_force {
        f.out
            .origins(&format!("brute-force limit {}", limit.name), &limit.origins);
        let chain = format!("{TAG}-bf-{}", ident(&limit.name).replace('_', "-"));
        let ban = format!("{chain}-ban");
        f.out.note(&format!(
            "brute force: more than {} new {} sessions to port {} per {} s{} from one source \
             bans it for {} s (dst-limit per src-address, MikroTik wiki Bruteforce login \
             prevention)",
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
        for ports in port_values(&limit.ports) {
            let dport = ports.map(|p| format!("dst-port={p}"));
            f.add(&[
                kv("chain", "sipwall-forward"),
                kv("action", "drop"),
                kv("in-interface", &wan),
                kv("protocol", limit.protocol),
                dport.clone(),
                kv("src-address-list", &ban),
                Some(comment(&format!("brute-force ban {}", limit.name))),
            ]);
            f.add(&[
                kv("chain", "sipwall-forward"),
                kv("action", "jump"),
                kv("jump-target", &chain),
                kv("connection-state", "new"),
                kv("in-interface", &wan),
                kv("protocol", limit.protocol),
                dport,
                Some(comment(&format!("brute-force limit {}", limit.name))),
            ]);
        }
        let window = time(limit.per_seconds.max(1));
        f.add(&[
            kv("chain", &chain),
            kv("action", "return"),
            kv(
                "dst-limit",
                format!(
                    "{}/{window},{},src-address/{window}",
                    limit.max_new_sessions.max(1),
                    limit.max_new_sessions.max(1)
                ),
            ),
            Some(comment(&format!("brute-force limit {}", limit.name))),
        ]);
        f.add(&[
            kv("chain", &chain),
            kv("action", "add-src-to-address-list"),
            kv("address-list", &ban),
            kv("address-list-timeout", time(limit.ban_seconds.max(1))),
            Some(comment(&format!("brute-force ban {}", limit.name))),
        ]);
        f.add(&[
            kv("chain", &chain),
            kv("action", "drop"),
            Some(comment(&format!("brute-force ban {}", limit.name))),
        ]);
    }

    for rule in &policy.rules {
        rule_lines(f, lists, rule, &wan, &lan);
    }

    if policy.forward_default == Action::Drop {
        f.out.note(
            "forward default drop: disabled, enable it only if this router carries nothing but \
             VoIP (see forward-default above)",
        );
        f.add(&[
            kv("chain", "sipwall-forward"),
            kv("action", "drop"),
            kv("in-interface", &lan),
            kv("out-interface", &wan),
            kv("disabled", "yes"),
            Some(comment("forward default drop")),
        ]);
    }
}

/// The SIP and RTP ports of the policy's rules, per protocol.
fn voip_ports(policy: &Policy) -> Vec<(Protocol, Ports)> {
    [Protocol::Udp, Protocol::Tcp]
        .into_iter()
        .filter_map(|protocol| {
            let ranges: Vec<_> = policy
                .rules
                .iter()
                .filter(|r| r.protocol == protocol)
                .filter(|r| {
                    matches!(
                        r.purpose,
                        Some(Purpose::SipSignalling | Purpose::SipTls | Purpose::Rtp)
                    )
                })
                .flat_map(|r| r.destination_ports.ranges())
                .collect();
            (!ranges.is_empty()).then(|| (protocol, Ports::from_ranges(ranges)))
        })
        .filter(|(_, ports)| !ports.is_any())
        .collect()
}

fn rule_lines(f: &mut Filter<'_>, lists: &mut Lists, rule: &Rule, wan: &str, lan: &str) {
    let (iin, iout) = match rule.direction {
        Direction::Outbound => (lan, wan),
        Direction::Inbound => (wan, lan),
    };
    f.out.origins(
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
    let source = lists.side(
        &rule.source,
        &format!("{}_src", rule.name),
        &format!("{} sources", rule.name),
    );
    let destination = lists.side(
        &rule.destination,
        &format!("{}_dst", rule.name),
        &format!("{} destinations", rule.name),
    );
    let (Some(source), Some(destination)) = (source, destination) else {
        f.out.note(&format!(
            "{}: IPv6 addresses only, not rendered (see ipv6 above)",
            rule.name
        ));
        return;
    };
    let action = match rule.action {
        Action::Accept => "accept",
        Action::Drop => "drop",
    };
    for sports in port_values(&rule.source_ports) {
        for dports in port_values(&rule.destination_ports) {
            f.add(&[
                kv("chain", "sipwall-forward"),
                kv("action", action),
                kv("in-interface", iin),
                kv("out-interface", iout),
                kv("protocol", rule.protocol),
                source.matcher("src"),
                destination.matcher("dst"),
                sports.clone().map(|p| format!("src-port={p}")),
                dports.map(|p| format!("dst-port={p}")),
                Some(comment(&rule.name)),
            ]);
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

fn nat_rules(f: &mut Filter<'_>, lists: &mut Lists) {
    let policy = f.out.policy;
    let wan = policy.zones.wan.clone();
    if let Some(snat) = &policy.nat.source_nat {
        f.out.origins("source NAT keeping ports", &snat.origins);
        f.out.note(
            "source NAT: masquerade without to-ports keeps the inside source port when it is \
             free (research §2: avoid port randomisation)",
        );
        f.add(&[
            kv("chain", "srcnat"),
            kv("action", "masquerade"),
            kv("out-interface", &wan),
            Some(comment("source NAT")),
        ]);
    }
    if let Some(origin) = &policy.hygiene.no_dmz {
        f.out
            .origins("no DMZ / exposed host", std::slice::from_ref(origin));
        f.out.note(
            "no DMZ host: only the ports listed below are forwarded (the inside port is the \
             outside port: no to-ports)",
        );
    }
    for forward in &policy.nat.port_forwards {
        f.out.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
        if forward.to.is_ipv6() {
            lists
                .skipped_v6
                .push(format!("{} (port forward {})", forward.to, forward.name));
            f.out.note(&format!(
                "port forward {}: IPv6 target, not rendered (see ipv6 above)",
                forward.name
            ));
            continue;
        }
        if forward.is_dmz_host() && policy.hygiene.no_dmz.is_some() {
            f.out.note(&format!(
                "port forward {}: a DMZ host, which the profile forbids; not rendered",
                forward.name
            ));
            continue;
        }
        for (ports, allowed) in forward_pieces(policy, forward) {
            let source = if allowed.is_empty() {
                Some(Side::Any)
            } else {
                lists.side(
                    &allowed,
                    &format!("fwd_{}_src", forward.name),
                    &format!("sources of port forward {}", forward.name),
                )
            };
            let Some(source) = source else {
                f.out.note(&format!(
                    "port forward {} ({ports}): only IPv6 sources are allowed, not rendered",
                    forward.name
                ));
                continue;
            };
            // `dst-port` needs a protocol: a forward of both gets one rule per protocol.
            let protocols: Vec<Option<Protocol>> = match (forward.protocol, &ports) {
                (Some(p), _) => vec![Some(p)],
                (None, Ports::Any) => vec![None],
                (None, Ports::Set(_)) => vec![Some(Protocol::Udp), Some(Protocol::Tcp)],
            };
            for protocol in protocols {
                for dports in port_values(&ports) {
                    let mut label = format!("forward {}", forward.name);
                    if let Side::Net(net) = &source {
                        let _ = write!(label, " from {net}");
                    }
                    f.add(&[
                        kv("chain", "dstnat"),
                        kv("action", "dst-nat"),
                        kv("in-interface", &wan),
                        protocol.map(|p| format!("protocol={p}")),
                        source.matcher("src"),
                        dports.map(|p| format!("dst-port={p}")),
                        kv("to-addresses", forward.to),
                        Some(comment(&label)),
                    ]);
                }
            }
        }
    }
}

fn timeouts(out: &mut Script<'_>) {
    let policy = out.policy;
    let Some((unreplied, replied)) = script::udp_timeouts(policy) else {
        return;
    };
    for timeout in &policy.timeouts {
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
        "UDP timeouts: RouterOS has one global value per state, raised here for all UDP \
         (defaults udp-timeout=10s for one-way, udp-stream-timeout=3m for two-way traffic, \
         MikroTik wiki Manual:IP/Firewall/Connection_tracking; same names and defaults in v7; \
         never lowered here)",
    );
    out.line("/ip firewall connection tracking");
    out.line(&format!(
        "set udp-timeout={} udp-stream-timeout={}",
        time(unreplied.max(DEFAULT_UDP_TIMEOUTS.0)),
        time(replied.max(DEFAULT_UDP_TIMEOUTS.1))
    ));
    out.blank();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_and_times() {
        assert_eq!(parse_major("7"), Some(7));
        assert_eq!(parse_major("7.14.2"), Some(7));
        assert_eq!(parse_major("v6.49.10"), Some(6));
        assert_eq!(parse_major("RouterOS 7.1rc4"), Some(7));
        assert_eq!(parse_major("7rc1"), Some(7));
        assert_eq!(parse_major("seven"), None);
        assert_eq!(parse_major("7x"), None);
        assert_eq!(time(90), "90s");
        assert_eq!(time(180), "3m");
        assert_eq!(time(7200), "2h");
        assert_eq!(time(0), "0s");
    }

    #[test]
    fn long_port_sets_are_split() {
        let ports = Ports::from_ranges((0..20).map(|i| PortRange::single(1000 + 2 * i)));
        let values = port_values(&ports);
        assert_eq!(values.len(), 2);
        assert_eq!(values[0].as_ref().unwrap().split(',').count(), MAX_PORTS);
        assert_eq!(port_values(&Ports::Any), vec![None]);
    }
}
