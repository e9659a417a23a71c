//! FortiGate / FortiOS: a CLI script (paste into the CLI console or run as a script), shared by
//! the two dialects `fortigate-6.0` (FortiOS before 6.2) and `fortigate-6.2` (6.2 and later).
//! The dialects differ only in the SIP ALG knobs (research/anchors-firewall.md §3.1).
//!
//! Vendor facts used here, with their sources (all from research/anchors-firewall.md):
//! - §3.1 [D] Fortinet community ta-p/211669, docs2.fortinet.com 7.4.9 admin guide 147933: the
//!   SIP ALG (`proxy-based`, the default since 5.2) runs unless `config system settings` /
//!   `set default-voip-alg-mode kernel-helper-based`; then the `sip` session helper acts unless
//!   its entry in `config system session-helper` is deleted; a policy with a `voip-profile`
//!   still uses the ALG.
//! - §3.1 [C] AdminToolbox.FortiWizard `Disable-SipALG.ps1` (PowerShell Gallery): the per-version
//!   keys (`sip-helper`/`sip-nat-trace` before 6.2, `sip-expectation`/`sip-nat-trace` from 6.2;
//!   `config voip profile` / `edit default` / `config sip`: `status disable` + `rtp disable`
//!   before 6.2, `rtp disable` from 6.2). The script deletes helper 13; the number differs per
//!   unit, so sipwall renders instructions to look it up instead.
//! - §3.1 [D] community ta-p/384586: `default-voip-alg-mode` is per VDOM (`config system
//!   settings`), the session helper is global (`config global`); clear existing sessions with
//!   `diagnose sys session clear` and a filter after the change.
//! - §3.1 [D] FortiOS 6.0 CLI reference 476602 (`system session-ttl`): port-range timeouts for
//!   TCP, UDP or SCTP (`config port`, `protocol`, `start-port`, `end-port`, `timeout`).
//! - §2 table: `config system global` / `set udp-idle-timer` (all UDP, default 180 s); policy
//!   `set nat enable` + `set fixedport enable` for port preservation [C]; per-policy
//!   `set session-ttl`; `set auto-asic-offload disable` on the VoIP policy [D] ta-p/194368.
//! - VIPs: docs.fortinet.com admin guide "Configuring VIPs" (443514): with `extintf` not `any`,
//!   `extip 0.0.0.0` means the external interface's own address.
//! - Policy keys (`srcintf`, `dstintf`, `srcaddr`, `dstaddr`, `action`, `schedule`, `service`,
//!   `nat`, `voip-profile`, `comments`): FortiOS 6.2 CLI reference `config firewall policy`
//!   (docs.fortinet.com/document/fortigate/6.2.10/cli-reference/291620).

use std::collections::BTreeMap;

use ipnet::IpNet;

use crate::model::{
    Action, Address, AlgProtocol, Direction, Origin, Policy, PortForward, PortRange, Ports,
    Protocol, Rule, TimeoutScope,
};
use crate::vendors::{Capability, Limitation, Rendering, Support, Vendor};

/// First `config system session-ttl` / `config port` entry id sipwall uses.
const SESSION_TTL_FIRST_ID: u32 = 901;

/// Which FortiOS dialect: the ALG knobs differ before and from 6.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::vendors) enum Dialect {
    Before62,
    From62,
}

/// `major.minor` from "6.2", "6.2.15", "v7.4.3", "FortiOS 7.0" or "7"; `None` when unparsable.
pub(in crate::vendors) fn parse_version(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let text = text
        .strip_prefix("FortiOS")
        .or_else(|| text.strip_prefix("fortios"))
        .unwrap_or(text)
        .trim();
    let text = text
        .strip_prefix('v')
        .or_else(|| text.strip_prefix('V'))
        .unwrap_or(text);
    let mut parts = text.split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = match parts.next() {
        Some(minor) => minor.parse().ok()?,
        None => 0,
    };
    for rest in parts {
        rest.parse::<u32>().ok()?;
    }
    Some((major, minor))
}

pub(in crate::vendors) const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "firewall address + custom service objects and one firewall policy per rule",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Native,
        how: "firewall address `set type fqdn` (IPv4); IPv6 literal addresses are not rendered",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "policy `set nat enable` + `set fixedport enable`: source port kept; no EIM guarantee",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "default-voip-alg-mode kernel-helper-based, per-version settings keys, default VoIP \
              profile; the session-helper entry is deleted by hand (its number differs per unit)",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Native,
        how: "`config system session-ttl` port entries (protocol 17); global `udp-idle-timer`",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "implicit deny; VIPs only for the listed ports; inbound policies limited to the \
              whitelisted sources",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::None,
        how: "not rendered: keep the PBX's own failed-authentication ban (or fail2ban)",
    },
    Capability {
        concern: "per-policy session TTL",
        support: Support::Native,
        how: "policy `set session-ttl`",
    },
];

/// Output with four-space indentation and `#` comments.
struct Out<'a> {
    text: String,
    explain: bool,
    policy: &'a Policy,
}

impl Out<'_> {
    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.text.push_str("    ");
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// A `#` comment wrapped at about 96 columns; leading spaces of `text` are kept.
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
}

/// A quoted FortiOS string: printable ASCII without quotes or backslashes.
fn quoted(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '-'
            }
        })
        .take(max)
        .collect();
    format!("\"{clean}\"")
}

fn mask(prefix: u8) -> String {
    let bits: u32 = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    };
    std::net::Ipv4Addr::from(bits).to_string()
}

/// Address objects: one per distinct IPv4 network or DNS name, by name.
struct Addresses {
    /// Address → object name.
    names: BTreeMap<String, String>,
    /// Object name → `set` lines.
    objects: Vec<(String, Vec<String>)>,
    /// IPv6 literals that could not be rendered.
    skipped_v6: Vec<String>,
}

impl Addresses {
    fn collect(policy: &Policy) -> Self {
        let mut out = Addresses {
            names: BTreeMap::new(),
            objects: Vec::new(),
            skipped_v6: Vec::new(),
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
        if self.names.contains_key(&key) || self.skipped_v6.contains(&key) {
            return;
        }
        let (name, lines) = match address {
            Address::Net(IpNet::V4(net)) => {
                let net = net.trunc();
                (
                    format!("sipwall-{}-{}", net.addr(), net.prefix_len()),
                    vec![format!(
                        "set subnet {} {}",
                        net.addr(),
                        mask(net.prefix_len())
                    )],
                )
            }
            Address::Net(IpNet::V6(_)) => {
                self.skipped_v6.push(key);
                return;
            }
            Address::Fqdn(fqdn) => (
                format!("sipwall-{fqdn}"),
                vec![
                    "set type fqdn".to_string(),
                    format!("set fqdn {}", quoted(fqdn, 255)),
                ],
            ),
        };
        // Address names are at most 79 characters (FortiOS CLI reference, address name).
        let mut name: String = name.chars().take(72).collect();
        if self.objects.iter().any(|(n, _)| *n == name) {
            name = format!("{name}-{}", self.objects.len());
        }
        self.names.insert(key, name.clone());
        self.objects.push((name, lines));
    }

    /// The object names for a rule side; `None` when every address of a non-empty side is an
    /// unrendered IPv6 literal (the rule must then be skipped, never widened to `all`).
    fn side(&self, addresses: &[Address]) -> Option<Vec<String>> {
        if addresses.is_empty() {
            return Some(vec!["\"all\"".into()]);
        }
        let names: Vec<String> = addresses
            .iter()
            .filter_map(|a| self.names.get(&a.to_string()))
            .map(|n| quoted(n, 79))
            .collect();
        (!names.is_empty()).then_some(names)
    }
}

/// `set udp-portrange` value: `dst[:src]` items (FortiOS `firewall service custom`:
/// `<dstport_low>[-<dstport_high>:<srcport_low>-<srcport_high>]`).
fn portrange(rule: &Rule) -> String {
    let dst = rule.destination_ports.ranges();
    let mut items = Vec::new();
    for d in &dst {
        match &rule.source_ports {
            Ports::Any => items.push(d.to_string()),
            Ports::Set(src) => {
                for s in src {
                    items.push(format!("{}:{}", range_text(*d), range_text(*s)));
                }
            }
        }
    }
    items.join(" ")
}

fn range_text(range: PortRange) -> String {
    range.to_string()
}

fn service_name(rule: &Rule) -> String {
    format!("sipwall-{}", rule.name).chars().take(79).collect()
}

fn vip_names(forward: &PortForward) -> Vec<(String, PortRange)> {
    let ranges = forward.ports.ranges();
    ranges
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let base = format!("sipwall-{}", forward.name);
            let name = if ranges.len() == 1 {
                base
            } else {
                format!("{base}-{}", i + 1)
            };
            (name.chars().take(79).collect(), *r)
        })
        .collect()
}

/// The seconds of a `session-ttl` note ("session lifetime of N s for …").
fn session_ttl_seconds(policy: &Policy) -> Option<u32> {
    let note = policy.notes.iter().find(|n| n.topic == "session-ttl")?;
    let rest = note.text.strip_prefix("session lifetime of ")?;
    rest.split_whitespace().next()?.parse().ok()
}

fn limitations(policy: &Policy, addresses: &Addresses, dialect: Dialect) -> Vec<Limitation> {
    let mut out = Vec::new();
    if policy.sip_alg_off() {
        out.push(Limitation {
            topic: "session-helper".into(),
            text: "the `sip` entry of `config system session-helper` is deleted by hand: its \
                   number differs per unit and deleting a guessed number could remove another \
                   helper (the steps are in the SIP ALG block)"
                .into(),
            origins: policy.algs.iter().flat_map(|a| a.origins.clone()).collect(),
        });
    }
    if policy.zones.vdom.is_none() {
        out.push(Limitation {
            topic: "vdom".into(),
            text: "written for a FortiGate without VDOMs; on a unit with VDOMs render with \
                   `--vdom NAME` (the VoIP settings, addresses, services, VIPs and policies are \
                   per VDOM, the session helper and `udp-idle-timer` global)"
                .into(),
            origins: Vec::new(),
        });
    }
    if !addresses.skipped_v6.is_empty() {
        out.push(Limitation {
            topic: "ipv6".into(),
            text: format!(
                "IPv6 addresses are not rendered (FortiOS keeps them in `config firewall \
                 address6` and, before 6.4, in separate `policy6` policies): {}; rules whose \
                 addresses are all IPv6 are left out, not widened",
                addresses.skipped_v6.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    if let Some(snat) = &policy.nat.source_nat
        && snat.endpoint_independent_mapping
    {
        out.push(Limitation {
            topic: "endpoint-independent-mapping".into(),
            text: "`set fixedport enable` keeps the inside source port; FortiOS gives no \
                   endpoint-independent mapping guarantee through policy NAT (an IP pool of \
                   type fixed-port-range or one-to-one is the stronger form, not rendered: it \
                   needs public addresses sipwall does not know)"
                .into(),
            origins: snat.origins.clone(),
        });
    }
    if !policy.brute_force.is_empty() {
        out.push(Limitation {
            topic: "brute-force".into(),
            text: "FortiOS has no per-source ban after failed SIP authentications without the \
                   SIP ALG (which must stay off); keep the PBX's own failed-authentication ban \
                   (or fail2ban) on"
                .into(),
            origins: policy
                .brute_force
                .iter()
                .flat_map(|b| b.origins.clone())
                .collect(),
        });
    }
    if dialect == Dialect::Before62 {
        out.push(Limitation {
            topic: "fortios-5.0".into(),
            text: "`default-voip-alg-mode` exists since FortiOS 5.2 (proxy-based became the \
                   default then); on 5.0 leave that line out"
                .into(),
            origins: Vec::new(),
        });
    }
    if !policy.timeouts.is_empty() {
        out.push(Limitation {
            topic: "session-ttl-ids".into(),
            text: format!(
                "the `config system session-ttl` port entries use ids from \
                 {SESSION_TTL_FIRST_ID}: check `show system session-ttl` first and change an id \
                 that is already taken (editing it would overwrite that entry)"
            ),
            origins: Vec::new(),
        });
    }
    for note in &policy.notes {
        let text = match note.topic.as_str() {
            "session-ttl" => match session_ttl_seconds(policy) {
                Some(s) => format!(
                    "{} (rendered as `set session-ttl {s}` on the policies)",
                    note.text
                ),
                None => format!(
                    "{}: add `set session-ttl <seconds>` to the policies below",
                    note.text
                ),
            },
            "hairpinning" => format!(
                "hairpinning ({}): needs a VIP for the public address used from inside plus a \
                 LAN-to-LAN policy with NAT; not rendered, since the public address is not \
                 known here",
                note.text
            ),
            "dedicated-rule" => {
                format!(
                    "{} (the sipwall policies below are those dedicated policies)",
                    note.text
                )
            }
            "disable-hardware-offload" => format!(
                "{} (rendered as `set auto-asic-offload disable` on the policies)",
                note.text
            ),
            "clear-sessions-after-change" => format!(
                "{} (see the `diagnose sys session` commands at the end of the script)",
                note.text
            ),
            _ => format!("not expressed for FortiGate: {}", note.text),
        };
        out.push(Limitation {
            topic: note.topic.clone(),
            text,
            origins: note.origins.clone(),
        });
    }
    out
}

/// Renders the policy as a FortiOS CLI script.
pub(in crate::vendors) fn render(
    policy: &Policy,
    explain: bool,
    dialect: Dialect,
    vendor: Vendor,
) -> Rendering {
    let addresses = Addresses::collect(policy);
    let limitations = limitations(policy, &addresses, dialect);
    let mut out = Out {
        text: String::new(),
        explain,
        policy,
    };
    header(&mut out, &limitations, dialect, vendor);
    global_part(&mut out, dialect);
    // With VDOMs everything below is per VDOM (research §3.1 [D] ta-p/384586).
    let vdom = policy.zones.vdom.clone();
    if let Some(vdom) = &vdom {
        out.line(0, "config vdom");
        out.line(0, &format!("edit {vdom}"));
    }
    alg_settings(&mut out, dialect);
    session_ttl(&mut out);
    address_objects(&mut out, &addresses);
    services(&mut out);
    vips(&mut out);
    policies(&mut out, &addresses);
    if vdom.is_some() {
        out.line(0, "next");
        out.line(0, "end");
    }
    clear_sessions(&mut out);
    Rendering {
        vendor,
        text: out.text,
        limitations,
    }
}

fn header(out: &mut Out<'_>, limitations: &[Limitation], dialect: Dialect, vendor: Vendor) {
    let policy = out.policy;
    let product = format!("FortiGate, {}", vendor.versions());
    match &policy.profile {
        Some(p) => out.note(
            0,
            &format!("sipwall rules: profile {} ({}), {product}", p.id, p.name),
        ),
        None => out.note(0, &format!("sipwall rules: {product}")),
    }
    out.note(
        0,
        &format!(
            "WAN interface \"{}\", LAN interface \"{}\". Paste into the CLI console (lines \
             starting with # are comments) or run as a CLI script; no offline validator exists, \
             so check the output of each command. {}",
            policy.zones.wan,
            policy.zones.lan,
            match &policy.zones.vdom {
                Some(vdom) => format!("Written for VDOM \"{vdom}\" (`--vdom`)."),
                None => "Written for a unit without VDOMs (`--vdom NAME` for one with them).".to_owned(),
            }
        ),
    );
    out.note(
        0,
        "Policies are added with `edit 0` (the next free policy id), so they land at the end of \
         the policy list: FortiOS uses the first matching policy, so move them above any broader \
         deny policy (`move <id> before <id>`). Traffic no policy allows is dropped by the \
         implicit deny policy.",
    );
    if policy.forward_default == Action::Accept {
        out.note(
            0,
            "The forward default `accept` has no FortiOS equivalent here (the implicit deny \
             stays); your other policies keep carrying the other traffic.",
        );
    }
    if dialect == Dialect::Before62 {
        out.note(
            0,
            "Dialect for FortiOS before 6.2 (settings keys sip-helper / sip-nat-trace); use \
             --version 6.2 or later for newer units.",
        );
    }
    if out.explain && !policy.documents.is_empty() {
        out.line(0, "#");
        for line in crate::vendors::document_lines(policy) {
            out.note(0, &line);
        }
    }
    if !limitations.is_empty() {
        out.line(0, "#");
        out.note(0, "Not (fully) expressed by this script, do it by hand:");
        for limitation in limitations {
            out.note(0, &format!("- {}: {}", limitation.topic, limitation.text));
        }
    }
    out.blank();
}

/// Global scope: the session helper (instructions) and the global UDP idle timer.
fn global_part(out: &mut Out<'_>, _dialect: Dialect) {
    let policy = out.policy;
    if policy.sip_alg_off() {
        let origins: Vec<Origin> = policy.algs.iter().flat_map(|a| a.origins.clone()).collect();
        out.origins(0, "SIP ALG / session helper off", &origins);
        // research §3.1 [D] ta-p/211669 and ta-p/384586: the `sip` session helper is global and
        // its entry number differs per unit, so it is looked up, never guessed.
        let global = if policy.zones.vdom.is_some() {
            "`config global`, then "
        } else {
            ""
        };
        out.note(
            0,
            &format!(
                "SIP session helper (global): its entry number differs per unit (often 13), so \
             sipwall does not delete a guessed number. In the CLI run {}`show system \
             session-helper`, and find the entry with `set name sip` (usually `set protocol 17` \
             and `set port 5060`). Then delete that entry:",
                global
            ),
        );
        out.note(0, "  config system session-helper");
        out.note(0, "      delete <number of the sip entry>");
        out.note(0, "  end");
        if policy.zones.vdom.is_some() {
            out.note(
                0,
                "With VDOMs the helper can only be removed globally, for every VDOM.",
            );
        }
        out.blank();
    }
    let global: Vec<_> = policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp && t.scope == TimeoutScope::Global)
        .cloned()
        .collect();
    if let Some(timeout) = global.first() {
        out.origins(
            0,
            &format!(
                "UDP idle timeout {} s (all UDP sessions)",
                timeout.replied_seconds
            ),
            &timeout.origins,
        );
        // research §2 table: `config system global` / `set udp-idle-timer <s>` (default 180 s).
        out.note(
            0,
            "UDP idle timeout for every UDP session (global; the profile has no port list for \
             it): `udp-idle-timer` in `config system global` (default 180 s). Trade-off: every \
             UDP flow through the unit keeps its session this long.",
        );
        let vdoms = policy.zones.vdom.is_some();
        if vdoms {
            out.line(0, "config global");
        }
        out.line(0, "config system global");
        out.line(
            1,
            &format!("set udp-idle-timer {}", timeout.replied_seconds.max(1)),
        );
        out.line(0, "end");
        if vdoms {
            out.line(0, "end");
        }
        out.blank();
    }
}

fn alg_settings(out: &mut Out<'_>, dialect: Dialect) {
    let policy = out.policy;
    for alg in &policy.algs {
        let AlgProtocol::Sip = alg.protocol;
        if alg.enabled {
            out.note(
                1,
                "SIP ALG: the policy wants it on; sipwall renders no change to the VoIP settings.",
            );
            continue;
        }
        let scope: Vec<String> = alg
            .scope
            .iter()
            .map(|(protocol, ports)| format!("{protocol}/{ports}"))
            .collect();
        out.origins(1, "SIP ALG off (per VDOM)", &alg.origins);
        out.note(
            1,
            &format!(
                "SIP ALG off: kernel-helper-based mode stops the SIP ALG (proxy-based is the \
                 default since 5.2); with the sip session helper deleted (above) nothing \
                 rewrites SIP. The ALG hooks sip-udp-port/sip-tcp-port 5060 and sip-ssl-port \
                 5061 unless changed. SIP ports of this profile: {}.",
                if scope.is_empty() {
                    "none".to_string()
                } else {
                    scope.join(" ")
                }
            ),
        );
        // research §3.1 [D] ta-p/211669 (modes) and [C] Disable-SipALG.ps1 (per-version keys).
        out.line(1, "config system settings");
        out.line(2, "set default-voip-alg-mode kernel-helper-based");
        match dialect {
            Dialect::Before62 => out.line(2, "set sip-helper disable"),
            Dialect::From62 => out.line(2, "set sip-expectation disable"),
        }
        out.line(2, "set sip-nat-trace disable");
        out.line(1, "end");
        out.note(
            1,
            "The default VoIP profile: its SIP inspection would apply to any policy that uses \
             it (research §3.1, Disable-SipALG.ps1).",
        );
        out.line(1, "config voip profile");
        out.line(2, "edit \"default\"");
        out.line(3, "config sip");
        if dialect == Dialect::Before62 {
            out.line(4, "set status disable");
        }
        out.line(4, "set rtp disable");
        out.line(3, "end");
        out.line(2, "next");
        out.line(1, "end");
        out.note(
            1,
            "A policy with a VoIP profile still runs the SIP ALG (research §3.1): the sipwall \
             policies below set none. For other policies that carry SIP, find them with `show \
             firewall policy | grep -f voip-profile` and either remove the profile (`config \
             firewall policy`, `edit <id>`, `unset voip-profile`, `next`, `end`) or disable SIP \
             in that profile (`config voip profile`, `edit <name>`, `config sip`, `set status \
             disable`, `end`, `next`, `end`).",
        );
        out.blank();
    }
}

fn session_ttl(out: &mut Out<'_>) {
    let policy = out.policy;
    let timeouts: Vec<_> = policy
        .timeouts
        .iter()
        .filter(|t| matches!(t.scope, TimeoutScope::Ports(_)))
        .cloned()
        .collect();
    if timeouts.is_empty() {
        return;
    }
    let mut id = SESSION_TTL_FIRST_ID;
    for timeout in &timeouts {
        let TimeoutScope::Ports(ports) = &timeout.scope else {
            continue;
        };
        out.origins(
            1,
            &format!(
                "{} idle timeout {} s (destination ports {ports})",
                timeout.protocol, timeout.replied_seconds
            ),
            &timeout.origins,
        );
        // research §3.1 [D] FortiOS 6.0 CLI reference 476602: session-ttl port entries for
        // TCP, UDP or SCTP port ranges; the timeout counts idle time.
        out.note(
            1,
            &format!(
                "{} idle timeout {} s for destination ports {ports} only (other UDP keeps \
                 udp-idle-timer, default 180 s). Entry ids start at {SESSION_TTL_FIRST_ID}: \
                 change them if `show system session-ttl` already has them.",
                timeout.protocol, timeout.replied_seconds
            ),
        );
        out.line(1, "config system session-ttl");
        out.line(2, "config port");
        let protocol = match timeout.protocol {
            Protocol::Udp => 17,
            Protocol::Tcp => 6,
        };
        for range in ports.ranges() {
            out.line(3, &format!("edit {id}"));
            out.line(4, &format!("set protocol {protocol}"));
            out.line(4, &format!("set start-port {}", range.first));
            out.line(4, &format!("set end-port {}", range.last));
            out.line(
                4,
                &format!("set timeout {}", timeout.replied_seconds.max(1)),
            );
            out.line(3, "next");
            id += 1;
        }
        out.line(2, "end");
        out.line(1, "end");
        out.blank();
    }
}

fn address_objects(out: &mut Out<'_>, addresses: &Addresses) {
    if addresses.objects.is_empty() {
        return;
    }
    out.note(
        1,
        "Address objects (FQDN objects follow the provider's DNS; FortiOS resolves them).",
    );
    out.line(1, "config firewall address");
    for (name, lines) in &addresses.objects {
        out.line(2, &format!("edit {}", quoted(name, 79)));
        for line in lines {
            out.line(3, line);
        }
        out.line(2, "next");
    }
    out.line(1, "end");
    out.blank();
}

fn services(out: &mut Out<'_>) {
    let policy = out.policy;
    if policy.rules.is_empty() {
        return;
    }
    out.note(
        1,
        "One custom service per rule (destination[:source] port ranges).",
    );
    out.line(1, "config firewall service custom");
    for rule in &policy.rules {
        out.line(2, &format!("edit {}", quoted(&service_name(rule), 79)));
        out.line(
            3,
            &format!("set {}-portrange {}", rule.protocol, portrange(rule)),
        );
        out.line(2, "next");
    }
    out.line(1, "end");
    out.blank();
}

fn vips(out: &mut Out<'_>) {
    let policy = out.policy;
    if let Some(origin) = &policy.hygiene.no_dmz {
        out.origins(1, "no DMZ / exposed host", std::slice::from_ref(origin));
        out.note(
            1,
            "no DMZ host: only the ports listed below are forwarded (port-forward VIPs, the \
             inside port is the outside port).",
        );
    }
    let forwards: Vec<&PortForward> = policy
        .nat
        .port_forwards
        .iter()
        .filter(|f| f.protocol.is_some() && f.to.is_ipv4())
        .collect();
    if forwards.is_empty() {
        return;
    }
    out.note(
        1,
        "Port forwards: VIPs on the WAN interface; `extip 0.0.0.0` stands for the WAN \
         interface's own address (Fortinet admin guide, Configuring VIPs).",
    );
    out.line(1, "config firewall vip");
    for forward in forwards {
        let Some(protocol) = forward.protocol else {
            continue;
        };
        out.origins(
            2,
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
        for (name, range) in vip_names(forward) {
            out.line(2, &format!("edit {}", quoted(&name, 79)));
            out.line(3, "set extip 0.0.0.0");
            out.line(3, &format!("set extintf {}", quoted(&policy.zones.wan, 79)));
            out.line(3, &format!("set mappedip \"{}\"", forward.to));
            out.line(3, "set portforward enable");
            out.line(3, &format!("set protocol {protocol}"));
            out.line(3, &format!("set extport {range}"));
            out.line(3, &format!("set mappedport {range}"));
            out.line(2, "next");
        }
    }
    out.line(1, "end");
    out.blank();
}

/// The VIPs whose protocol and ports overlap an inbound rule.
fn rule_vips(policy: &Policy, rule: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    for forward in &policy.nat.port_forwards {
        if forward.protocol != Some(rule.protocol) || !forward.to.is_ipv4() {
            continue;
        }
        for (name, range) in vip_names(forward) {
            if rule
                .destination_ports
                .intersect(&Ports::Set(vec![range]))
                .is_some()
            {
                out.push(quoted(&name, 79));
            }
        }
    }
    out
}

fn policies(out: &mut Out<'_>, addresses: &Addresses) {
    let policy = out.policy;
    if policy.rules.is_empty() {
        return;
    }
    let ttl = session_ttl_seconds(policy);
    let no_offload = policy.has_note("disable-hardware-offload");
    let fixedport = policy
        .nat
        .source_nat
        .as_ref()
        .is_some_and(|s| s.port_preservation);
    if !policy.hygiene.forbidden_inbound.is_empty() {
        let ports: Vec<String> = policy
            .hygiene
            .forbidden_inbound
            .iter()
            .map(|f| format!("{}/{} ({})", f.protocol, f.port, f.service))
            .collect();
        out.note(
            1,
            &format!(
                "hygiene: never forwarded or opened from the WAN: {}. No VIP or policy below \
                 opens them (the implicit deny drops them); for the unit itself check `show \
                 system interface {}`: `allowaccess` on the WAN should hold no http, ssh, \
                 telnet or ftp.",
                ports.join(", "),
                policy.zones.wan
            ),
        );
    }
    for whitelist in &policy.hygiene.source_whitelists {
        let allowed: Vec<String> = whitelist.allowed.iter().map(ToString::to_string).collect();
        out.origins(
            1,
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
            1,
            "hygiene: the whitelisted inbound ports are allowed only from the whitelisted \
             sources (srcaddr of the inbound policies).",
        );
    }
    out.note(1, "Policies, one per flow, direction and protocol.");
    out.line(1, "config firewall policy");
    for rule in &policy.rules {
        let (srcintf, dstintf) = match rule.direction {
            Direction::Outbound => (&policy.zones.lan, &policy.zones.wan),
            Direction::Inbound => (&policy.zones.wan, &policy.zones.lan),
        };
        let src = addresses.side(&rule.source);
        let dst = if rule.direction == Direction::Inbound {
            let vips = rule_vips(policy, rule);
            if vips.is_empty() {
                addresses.side(&rule.destination)
            } else {
                Some(vips)
            }
        } else {
            addresses.side(&rule.destination)
        };
        let (Some(src), Some(dst)) = (src, dst) else {
            out.note(
                1,
                &format!(
                    "{}: left out (IPv6 addresses only; see the ipv6 note)",
                    rule.name
                ),
            );
            continue;
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
        out.line(2, "edit 0");
        out.line(
            3,
            &format!(
                "set comments {}",
                quoted(&format!("sipwall {}", rule.name), 1023)
            ),
        );
        out.line(3, &format!("set srcintf {}", quoted(srcintf, 79)));
        out.line(3, &format!("set dstintf {}", quoted(dstintf, 79)));
        out.line(3, &format!("set srcaddr {}", src.join(" ")));
        out.line(3, &format!("set dstaddr {}", dst.join(" ")));
        out.line(
            3,
            match rule.action {
                Action::Accept => "set action accept",
                Action::Drop => "set action deny",
            },
        );
        out.line(3, "set schedule \"always\"");
        out.line(
            3,
            &format!("set service {}", quoted(&service_name(rule), 79)),
        );
        if rule.direction == Direction::Outbound && policy.nat.source_nat.is_some() {
            // research §2 table [C]: policy NAT with fixedport keeps the source port.
            out.line(3, "set nat enable");
            if fixedport {
                out.line(3, "set fixedport enable");
            }
        }
        if let Some(seconds) = ttl {
            // research §2 table: per-policy `set session-ttl`; the profile's seed quotes it.
            out.line(3, &format!("set session-ttl {seconds}"));
        }
        if no_offload {
            // research §3.1 [D] community ta-p/194368: NP offload off per policy.
            out.line(3, "set auto-asic-offload disable");
        }
        out.line(2, "next");
    }
    out.line(1, "end");
}

fn clear_sessions(out: &mut Out<'_>) {
    let policy = out.policy;
    if !policy.sip_alg_off() && !policy.has_note("clear-sessions-after-change") {
        return;
    }
    out.blank();
    // research §3.1 [D] ta-p/384586: clear the existing SIP sessions after the change.
    out.note(
        0,
        &format!(
            "After the change, clear the existing SIP sessions so that new ones are set up \
             without the ALG{}, once per port the ALG hooks:",
            policy
                .zones
                .vdom
                .as_ref()
                .map_or(String::new(), |v| format!(
                    " (first `config vdom`, `edit {v}`)"
                ))
        ),
    );
    out.note(0, "  diagnose sys session filter clear");
    // The ALG hooks sip-udp-port/sip-tcp-port 5060 and sip-ssl-port 5061 unless changed
    // (research §3.1): only sessions on those ports can carry its rewrites.
    let scope: Vec<Ports> = policy
        .algs
        .iter()
        .flat_map(|a| a.scope.iter().map(|(_, p)| p.clone()))
        .collect();
    let mut ports: Vec<u16> = [5060, 5061]
        .into_iter()
        .filter(|port| {
            scope.is_empty()
                || scope
                    .iter()
                    .any(|p| p.intersect(&Ports::single(*port)).is_some())
        })
        .collect();
    if ports.is_empty() {
        out.note(
            0,
            "  (the profile's SIP ports are outside the ALG's default ports 5060/5061; if \
             sip-udp-port or sip-tcp-port was changed, filter on that port instead)",
        );
        ports.push(5060);
    }
    for port in ports {
        out.note(0, &format!("  diagnose sys session filter dport {port}"));
        out.note(0, "  diagnose sys session clear");
    }
    out.note(
        0,
        "Re-enabling the ALG later may need a reboot (research §3.1, community ta-p/384586).",
    );
}
