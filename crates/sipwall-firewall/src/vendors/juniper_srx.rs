//! Juniper SRX (Junos 15.1X49 and later): `set` commands to paste in configuration mode
//! (`configure`), then `commit check` / `commit`. `#` starts a comment.
//!
//! Vendor facts used here, with their sources (research/anchors-firewall.md unless said):
//! - Junos "ALG applications" guide (juniper.net …/interfaces-adaptive-services/…/alg-applications):
//!   `[edit applications] application NAME { protocol; source-port; destination-port;
//!   inactivity-timeout; }` and `application-set`.
//! - §2 table, §3.5 [D] Junos CLI reference "alg (Security)" and junos-es93 swcmdref `sip`:
//!   "ALGs are enabled by default", "By default, SIP ALG is enabled"; `set security alg sip
//!   disable` turns it off; `show security alg status` shows the state.
//! - §2 table, §3.5 [D] Junos 12.2 "policy application timeout configuration lookup": protocol
//!   default timeouts UDP 60 s, TCP 1800 s; lookup order application timeout → port table →
//!   protocol default; overlapping custom applications share the last timeout configured. A
//!   custom `applications application NAME protocol udp destination-port …` takes an
//!   `inactivity-timeout` (also Aerleon `junipersrx.py`, §3.5 [V]).
//! - Address book: `set security address-book global address NAME PREFIX`, `… address NAME
//!   dns-name FQDN`, `… address-set NAME address X` (brief §3.5; Batfish SRX test configs §3.5
//!   [V]).
//! - Security policies: `set security policies from-zone A to-zone B policy NAME match
//!   source-address … destination-address … application …` and `… then permit` (§3.5 [V] Batfish
//!   test configs; Juniper NAT feature guide example `set security policies from-zone trust
//!   to-zone untrust … then permit`).
//! - NAT: junos-es93 swcmdref `rule-set` (source and destination NAT): `from zone`, `to zone`,
//!   `rule … match source-address|destination-address|destination-port`, `then source-nat
//!   interface`, `then destination-nat pool NAME`; Junos 12.2 "Understanding destination NAT
//!   rules": a rule matches "a single destination port number"; destination NAT happens before
//!   the security policy (junos-security95 "Understanding rule-based destination NAT"), so
//!   inbound policies name the inside address.
//! - §3.5: `persistent-nat` syntax per release is unverified [?]: it is given as an instruction
//!   comment, never as a command. Interface source NAT translates source ports (pool `port
//!   no-translation` keeps them, but needs a pool of public addresses).

use std::collections::BTreeMap;

use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{
    Action, Address, AlgProtocol, Direction, Origin, Policy, PortForward, PortRange, Ports,
    Protocol, Rule, TimeoutScope,
};

pub const ID: &str = "juniper-srx";
pub const FAMILY: &str = "juniper-srx";
pub const VERSIONS: &str = "Junos 15.1X49 and later";

/// Junos 15.1X49 and later ("15.1X49-D110", "Junos 18.4R3", "21.2", "22.4R1").
pub fn matches_version(version: &str) -> bool {
    let text = version.trim().to_ascii_lowercase();
    let text = text
        .strip_prefix("junos")
        .map(str::trim)
        .unwrap_or(&text)
        .trim_start_matches('v');
    let mut parts = text.split(|c: char| !c.is_ascii_digit());
    let Some(Ok(major)) = parts.next().map(str::parse::<u32>) else {
        return false;
    };
    if major != 15 {
        return major > 15 && major < 100;
    }
    // 15.1X49 (the first SRX release of the 15 train) and later 15.1X releases.
    text.starts_with("15.1x") && {
        let rest = &text["15.1x".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().is_ok_and(|d| d >= 49)
    }
}

/// Protocol default idle timeouts (research §3.5 [D]).
const DEFAULT_UDP_SECONDS: u32 = 60;
const DEFAULT_TCP_SECONDS: u32 = 1800;
/// Junos object names (addresses, applications, policies) are at most 63 characters.
const NAME_MAX: usize = 63;

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "security policies between the LAN and WAN zones with address-book entries and \
              custom applications",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Native,
        how: "address-book `dns-name` entries (resolved by the SRX; needs system name-server)",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "interface source NAT translates ports; persistent NAT (endpoint-independent) given \
              as an instruction to check on the release",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "`set security alg sip disable`",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Native,
        how: "`inactivity-timeout` on the custom applications the policies use",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "WAN-to-LAN policies permit only the listed ports and sources; destination NAT per \
              port only",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::None,
        how: "not rendered: keep the PBX's own failed-authentication ban (or fail2ban)",
    },
    Capability {
        concern: "port forward of a port range",
        support: Support::Approximate,
        how: "single ports as destination NAT rules; ranges as instructions (a rule matches one \
              destination port)",
    },
];

/// `#`-comment output.
struct Out<'a> {
    text: String,
    explain: bool,
    policy: &'a Policy,
}

impl<'a> Out<'a> {
    fn line(&mut self, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// A `#` comment wrapped at about 96 columns; leading spaces of `text` are kept.
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

    /// A `# ` comment kept on one line (a command to check and uncomment).
    fn verbatim(&mut self, text: &str) {
        self.line(&format!("# {text}"));
    }

    fn blank(&mut self) {
        self.line("");
    }

    fn origins(&mut self, headline: &str, origins: &[Origin]) {
        if !self.explain {
            return;
        }
        for line in crate::vendors::explanation(headline, origins) {
            self.note(&line);
        }
    }

    fn documents(&mut self) {
        let policy = self.policy;
        if self.explain && !policy.documents.is_empty() {
            self.blank();
            for line in crate::vendors::document_lines(policy) {
                self.note(&line);
            }
        }
    }
}

/// A Junos name: letters, digits and `-_.`; at most `NAME_MAX` characters.
fn name(text: &str) -> String {
    super::object_name(text, NAME_MAX)
}

/// Address-book entries: one per distinct address.
struct Book {
    /// Address text → entry name.
    names: BTreeMap<String, String>,
    /// Entry name → `PREFIX` or `dns-name FQDN`.
    defs: Vec<(String, String)>,
    /// Address-set name → member entry names.
    sets: Vec<(String, Vec<String>)>,
    fqdns: Vec<String>,
}

impl Book {
    fn collect(policy: &Policy) -> Self {
        let mut book = Book {
            names: BTreeMap::new(),
            defs: Vec::new(),
            sets: Vec::new(),
            fqdns: Vec::new(),
        };
        for rule in &policy.rules {
            for address in rule.source.iter().chain(&rule.destination) {
                book.add(address);
            }
        }
        book
    }

    fn add(&mut self, address: &Address) {
        let key = address.to_string();
        if self.names.contains_key(&key) {
            return;
        }
        let (base, def) = match address {
            Address::Net(net) => {
                let net = net.trunc();
                (
                    format!("sipwall-{}-{}", net.addr(), net.prefix_len()).replace(':', "."),
                    net.to_string(),
                )
            }
            Address::Fqdn(fqdn) => {
                self.fqdns.push(fqdn.clone());
                (format!("sipwall-{fqdn}"), format!("dns-name {fqdn}"))
            }
        };
        let mut entry = name(&base);
        if self.defs.iter().any(|(n, _)| *n == entry) {
            let short: String = name(&base).chars().take(NAME_MAX - 4).collect();
            entry = format!("{short}-{}", self.defs.len());
        }
        self.names.insert(key, entry.clone());
        self.defs.push((entry, def));
    }

    /// The policy match argument: `any`, one entry, or an address-set built for the rule.
    fn side(&mut self, addresses: &[Address], base: &str) -> String {
        let members: Vec<String> = addresses
            .iter()
            .filter_map(|a| self.names.get(&a.to_string()).cloned())
            .collect();
        match members.len() {
            0 => "any".into(),
            1 => members[0].clone(),
            _ => {
                let set = name(base);
                self.sets.push((set.clone(), members));
                set
            }
        }
    }
}

/// One custom application (one protocol, one destination range, optional source ranges).
struct App {
    name: String,
    protocol: Protocol,
    source: Option<PortRange>,
    destination: Option<PortRange>,
    timeout: Option<u32>,
}

/// A security policy and what it matches.
struct SecPolicy<'p> {
    rule: &'p Rule,
    from: String,
    to: String,
    name: String,
    source: String,
    destination: String,
    application: String,
}

fn default_seconds(protocol: Protocol) -> u32 {
    match protocol {
        Protocol::Udp => DEFAULT_UDP_SECONDS,
        Protocol::Tcp => DEFAULT_TCP_SECONDS,
    }
}

/// The idle timeout the policy asks for on this protocol and destination range, if longer than
/// the protocol default.
fn timeout_for(policy: &Policy, protocol: Protocol, range: Option<PortRange>) -> Option<u32> {
    let ports = range.map_or(Ports::Any, |r| Ports::Set(vec![r]));
    policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == protocol)
        .filter(|t| match &t.scope {
            TimeoutScope::Global => true,
            TimeoutScope::Ports(scope) => scope.intersect(&ports).is_some(),
        })
        .map(|t| t.replied_seconds)
        .max()
        .filter(|s| *s > default_seconds(protocol))
}

struct Plan<'p> {
    book: Book,
    apps: Vec<App>,
    /// Application-set name → member application names.
    app_sets: Vec<(String, Vec<String>)>,
    policies: Vec<SecPolicy<'p>>,
}

impl<'p> Plan<'p> {
    fn build(policy: &'p Policy) -> Self {
        let mut plan = Plan {
            book: Book::collect(policy),
            apps: Vec::new(),
            app_sets: Vec::new(),
            policies: Vec::new(),
        };
        let (lan, wan) = (&policy.zones.lan, &policy.zones.wan);
        for rule in &policy.rules {
            let base = format!("sipwall-{}", rule.name);
            let (from, to) = match rule.direction {
                Direction::Outbound => (lan.clone(), wan.clone()),
                Direction::Inbound => (wan.clone(), lan.clone()),
            };
            let source = plan.book.side(&rule.source, &format!("{base}-src"));
            let destination = plan.book.side(&rule.destination, &format!("{base}-dst"));
            let sources: Vec<Option<PortRange>> = match &rule.source_ports {
                Ports::Any => vec![None],
                Ports::Set(ranges) => ranges.iter().copied().map(Some).collect(),
            };
            let destinations: Vec<Option<PortRange>> = match &rule.destination_ports {
                Ports::Any => vec![None],
                Ports::Set(ranges) => ranges.iter().copied().map(Some).collect(),
            };
            let mut members = Vec::new();
            for s in &sources {
                for d in &destinations {
                    let app = if sources.len() * destinations.len() == 1 {
                        name(&base)
                    } else {
                        name(&format!("{base}-{}", members.len() + 1))
                    };
                    plan.apps.push(App {
                        name: app.clone(),
                        protocol: rule.protocol,
                        source: *s,
                        destination: *d,
                        timeout: timeout_for(policy, rule.protocol, *d),
                    });
                    members.push(app);
                }
            }
            let application = if members.len() == 1 {
                members[0].clone()
            } else {
                let set = name(&format!("{base}-set"));
                plan.app_sets.push((set.clone(), members));
                set
            };
            plan.policies.push(SecPolicy {
                rule,
                from,
                to,
                name: name(&base),
                source,
                destination,
                application,
            });
        }
        plan
    }
}

/// The forwards rendered (protocol, ports and an IPv4 target), one entry per range.
fn forwards(policy: &Policy) -> Vec<(&PortForward, Protocol, PortRange)> {
    let mut out = Vec::new();
    for forward in &policy.nat.port_forwards {
        let (Some(protocol), true) = (forward.protocol, forward.to.is_ipv4()) else {
            continue;
        };
        if forward.ports.is_any() || forward.is_dmz_host() {
            continue;
        }
        for range in forward.ports.ranges() {
            out.push((forward, protocol, range));
        }
    }
    out
}

fn limitations(policy: &Policy, book: &Book) -> Vec<Limitation> {
    let (lan, wan) = (&policy.zones.lan, &policy.zones.wan);
    let mut out = vec![Limitation {
        topic: "zones".into(),
        text: format!(
            "the LAN \"{lan}\" and WAN \"{wan}\" names are used as security zone names (often \
             `trust` and `untrust`): pass your zone names with the interface options, or create \
             the zones (`set security zones security-zone {lan} interfaces …`); the zones must \
             exist before `commit`"
        ),
        origins: Vec::new(),
    }];
    if policy.nat.source_nat.is_some() {
        out.push(Limitation {
            topic: "port-preservation".into(),
            text: "interface source NAT translates source ports (no port preservation) and its \
                   mapping is per session; endpoint-independent mapping needs persistent NAT, \
                   given as an instruction to check on your release (research §3.5 marks its \
                   syntax unverified)"
                .into(),
            origins: policy
                .nat
                .source_nat
                .iter()
                .flat_map(|s| s.origins.clone())
                .collect(),
        });
    }
    if !book.fqdns.is_empty() {
        out.push(Limitation {
            topic: "fqdn-dns".into(),
            text: format!(
                "the dns-name entries ({}) work only when the SRX resolves names: configure \
                 `set system name-server <address>` (not rendered: the DNS server is not known \
                 here)",
                book.fqdns.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    if !forwards(policy).is_empty() {
        out.push(Limitation {
            topic: "forward-destination-address".into(),
            text: format!(
                "the destination NAT rules match destination 0.0.0.0/0 from zone {wan} (the \
                 public address is not known here); replace it with your WAN address/32"
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
                "a destination NAT rule matches one destination port (Junos 12.2 destination NAT \
                 rules); the port ranges {} are given as instructions (comments) to check on \
                 your release",
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
            text: "the SRX has no per-source ban after failed SIP authentications (its SIP ALG \
                   must stay off); keep the PBX's own failed-authentication ban (or fail2ban) on"
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
                "hairpinning ({}): needs a destination NAT rule from zone {lan} and a source NAT \
                 rule for inside-to-inside traffic to the public address; not rendered, since \
                 the public address is not known here",
                note.text
            ),
            "dedicated-rule" => format!(
                "{} (the sipwall security policies below are those dedicated rules)",
                note.text
            ),
            "clear-sessions-after-change" => format!(
                "{} (see the `clear security flow session` instructions at the end)",
                note.text
            ),
            "disable-hardware-offload" => format!(
                "{} (SRX services offload is off unless `services-offload` is set on a policy; \
                 the sipwall policies set none)",
                note.text
            ),
            "session-ttl" => format!(
                "{}: not rendered (an `inactivity-timeout` on the applications of the policies \
                 towards the provider could express it)",
                note.text
            ),
            _ => format!("not expressed for Juniper SRX: {}", note.text),
        };
        out.push(Limitation {
            topic: note.topic.clone(),
            text,
            origins: note.origins.clone(),
        });
    }
    out
}

/// Renders the policy as Junos `set` commands.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let mut plan = Plan::build(policy);
    let limitations = limitations(policy, &plan.book);
    let mut out = Out {
        text: String::new(),
        explain,
        policy,
    };
    header(&mut out, &limitations);
    alg(&mut out);
    addresses(&mut out, &plan.book);
    applications(&mut out, &plan);
    policies(&mut out, &mut plan);
    nat(&mut out);
    after(&mut out);
    Rendering {
        vendor: Vendor::JuniperSrx,
        text: out.text,
        limitations,
    }
}

fn header(out: &mut Out<'_>, limitations: &[Limitation]) {
    let policy = out.policy;
    match &policy.profile {
        Some(p) => out.note(&format!(
            "sipwall rules: profile {} ({}), Juniper SRX, {VERSIONS}",
            p.id, p.name
        )),
        None => out.note(&format!("sipwall rules: Juniper SRX, {VERSIONS}")),
    }
    out.note(&format!(
        "Security zones: \"{}\" (LAN, inside; often `trust`) and \"{}\" (WAN, outside; often \
         `untrust`) are the LAN and WAN names of the options, used as zone names. Paste in \
         configuration mode (`configure`); lines starting with # are comments. No offline Junos \
         validator exists: run `commit check`, then `commit confirmed 10` and `commit`.",
        policy.zones.lan, policy.zones.wan
    ));
    match policy.forward_default {
        Action::Drop => out.note(&format!(
            "Only the flows below are permitted from {} to {} (VoIP-only firewall); the default \
             policy (deny-all) drops the rest. Policies are evaluated in order: move the sipwall \
             policies above any broader deny with `insert security policies … before policy …`.",
            policy.zones.lan, policy.zones.wan
        )),
        Action::Accept => out.note(&format!(
            "Forward default accept: a last policy sipwall-default-accept permits other traffic \
             from {} to {}; from the WAN only the flows below are permitted.",
            policy.zones.lan, policy.zones.wan
        )),
    }
    out.documents();
    if !limitations.is_empty() {
        out.blank();
        out.note("Not (fully) expressed by these lines, do it by hand:");
        for limitation in limitations {
            out.note(&format!("- {}: {}", limitation.topic, limitation.text));
        }
    }
    out.blank();
}

fn alg(out: &mut Out<'_>) {
    let policy = out.policy;
    for alg in &policy.algs {
        let AlgProtocol::Sip = alg.protocol;
        if alg.enabled {
            out.note("SIP ALG: the policy wants it on; sipwall renders no change to it.");
            out.blank();
            continue;
        }
        let scope: Vec<String> = alg
            .scope
            .iter()
            .map(|(protocol, ports)| format!("{protocol}/{ports}"))
            .collect();
        out.origins("SIP ALG off", &alg.origins);
        // research §2 table, §3.5 [D]: ALGs are enabled by default; `set security alg sip
        // disable`; `show security alg status` to check.
        out.note(&format!(
            "SIP ALG off: Junos enables ALGs by default. SIP ports of this profile: {}. Check with \
             `show security alg status` (SIP: Disabled) after the commit.",
            if scope.is_empty() {
                "none".to_string()
            } else {
                scope.join(" ")
            }
        ));
        out.line("set security alg sip disable");
        out.blank();
    }
}

fn addresses(out: &mut Out<'_>, book: &Book) {
    if book.defs.is_empty() {
        return;
    }
    // Brief §3.5: global address book, `dns-name` for FQDNs.
    out.note("Address book (dns-name entries are resolved by the SRX: see the fqdn-dns note).");
    for (entry, def) in &book.defs {
        out.line(&format!(
            "set security address-book global address {entry} {def}"
        ));
    }
    out.blank();
}

fn applications(out: &mut Out<'_>, plan: &Plan<'_>) {
    let policy = out.policy;
    if plan.apps.is_empty() {
        return;
    }
    for timeout in &policy.timeouts {
        let scope = match &timeout.scope {
            TimeoutScope::Global => "all ports".to_string(),
            TimeoutScope::Ports(ports) => format!("ports {ports}"),
        };
        out.origins(
            &format!(
                "{} idle timeout {} s ({scope})",
                timeout.protocol, timeout.replied_seconds
            ),
            &timeout.origins,
        );
    }
    // research §2 table, §3.5 [D]: application timeout → port table → protocol default (UDP
    // 60 s, TCP 1800 s); overlapping custom applications share the last timeout configured.
    out.note(&format!(
        "Custom applications, one per protocol and port range. `inactivity-timeout` is set where \
         the profile asks for a longer idle timeout than the protocol default (UDP \
         {DEFAULT_UDP_SECONDS} s, TCP {DEFAULT_TCP_SECONDS} s); it applies to the sessions the \
         policies below match with that application. Overlapping custom applications share the \
         last timeout configured."
    ));
    for app in &plan.apps {
        let prefix = format!("set applications application {}", app.name);
        out.line(&format!("{prefix} protocol {}", app.protocol));
        if let Some(range) = app.source {
            out.line(&format!("{prefix} source-port {range}"));
        }
        if let Some(range) = app.destination {
            out.line(&format!("{prefix} destination-port {range}"));
        }
        if let Some(seconds) = app.timeout {
            out.line(&format!("{prefix} inactivity-timeout {seconds}"));
        }
    }
    for (set, members) in &plan.app_sets {
        for member in members {
            out.line(&format!(
                "set applications application-set {set} application {member}"
            ));
        }
    }
    out.blank();
}

fn policies(out: &mut Out<'_>, plan: &mut Plan<'_>) {
    let policy = out.policy;
    if !plan.book.sets.is_empty() {
        out.note("Address sets for rules with several addresses.");
        for (set, members) in &plan.book.sets {
            for member in members {
                out.line(&format!(
                    "set security address-book global address-set {set} address {member}"
                ));
            }
        }
        out.blank();
    }
    if !policy.hygiene.forbidden_inbound.is_empty() {
        let ports: Vec<String> = policy
            .hygiene
            .forbidden_inbound
            .iter()
            .map(|f| format!("{}/{} ({})", f.protocol, f.port, f.service))
            .collect();
        out.note(&format!(
            "hygiene: never forwarded or opened from the WAN: {}. No destination NAT rule or \
             policy below opens them. For the SRX itself, `show configuration security zones \
             security-zone {} | display set` must list no `host-inbound-traffic system-services` \
             for ssh, telnet, http or https.",
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
            "hygiene: the whitelisted inbound ports are permitted only from the whitelisted \
             sources (source-address of the WAN-to-LAN policies).",
        );
    }
    if plan.policies.is_empty() {
        return;
    }
    out.note(
        "Security policies, one per flow, direction and protocol; inbound policies name the \
         inside (translated) address, since destination NAT comes before the policy lookup.",
    );
    for p in &plan.policies {
        let rule = p.rule;
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
        let prefix = format!(
            "set security policies from-zone {} to-zone {} policy {}",
            p.from, p.to, p.name
        );
        out.line(&format!(
            "{prefix} match source-address {} destination-address {} application {}",
            p.source, p.destination, p.application
        ));
        let action = match rule.action {
            Action::Accept => "permit",
            Action::Drop => "deny",
        };
        out.line(&format!("{prefix} then {action}"));
        if !rule.required {
            out.line(&format!(
                "{prefix} description \"sipwall {} (optional)\"",
                rule.name
            ));
        }
    }
    if policy.forward_default == Action::Accept {
        let prefix = format!(
            "set security policies from-zone {} to-zone {} policy sipwall-default-accept",
            policy.zones.lan, policy.zones.wan
        );
        out.line(&format!(
            "{prefix} match source-address any destination-address any application any"
        ));
        out.line(&format!("{prefix} then permit"));
    }
    out.blank();
}

fn nat(out: &mut Out<'_>) {
    let policy = out.policy;
    let (lan, wan) = (&policy.zones.lan, &policy.zones.wan);
    if let Some(snat) = &policy.nat.source_nat {
        out.origins("source NAT keeping ports", &snat.origins);
        // junos-es93 swcmdref `rule-set` (source NAT): from/to zone, match, `then source-nat
        // interface`.
        out.note(
            "Source NAT to the WAN interface address. Interface NAT translates source ports (no \
             port preservation) and maps per session. If a source NAT rule-set from the LAN \
             zone to the WAN zone already exists, keep that one instead (`show security nat \
             source rule all`).",
        );
        let prefix = "set security nat source rule-set sipwall-snat";
        out.line(&format!("{prefix} from zone {lan}"));
        out.line(&format!("{prefix} to zone {wan}"));
        out.line(&format!(
            "{prefix} rule sipwall-snat match source-address 0.0.0.0/0"
        ));
        out.line(&format!(
            "{prefix} rule sipwall-snat then source-nat interface"
        ));
        if snat.endpoint_independent_mapping || snat.port_preservation {
            // research §3.5: `persistent-nat permit any-remote-host` [?] (syntax per release
            // unverified): an instruction, not a command.
            out.note(
                "Endpoint-independent mapping (same public port for every destination): Junos \
                 has persistent NAT under the source-nat interface action. Its syntax varies by \
                 release and is not verified here; check `set security nat source rule-set \
                 sipwall-snat rule sipwall-snat then source-nat interface ?` and, if offered, \
                 enter:",
            );
            out.verbatim(&format!(
                "{prefix} rule sipwall-snat then source-nat interface persistent-nat permit \
                 any-remote-host"
            ));
            out.note(
                "Port preservation needs a source pool of public addresses with `port \
                 no-translation` (junos-es93 swcmdref); not rendered (the public addresses are \
                 not known here).",
            );
        }
        out.blank();
    }
    if let Some(origin) = &policy.hygiene.no_dmz {
        out.origins("no DMZ / exposed host", std::slice::from_ref(origin));
        out.note("no DMZ host: only the ports below are forwarded, one destination NAT rule each.");
    }
    let forwards = forwards(policy);
    if forwards.is_empty() {
        return;
    }
    out.note(&format!(
        "Port forwards: destination NAT from zone {wan} to a pool of one inside address, inside \
         port = outside port (the pool has no port, so the port is kept). Destination 0.0.0.0/0: \
         replace with your WAN address/32. The WAN-to-LAN policies above permit the traffic."
    ));
    let prefix = "set security nat destination";
    out.line(&format!("{prefix} rule-set sipwall-dnat from zone {wan}"));
    let mut pools: Vec<String> = Vec::new();
    // One rule per target and port: a rule without `match protocol` covers TCP and UDP.
    let mut seen: Vec<(std::net::IpAddr, PortRange)> = Vec::new();
    for (forward, protocol, range) in forwards {
        out.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
        let pool = name(&format!("sipwall-fwd-{}", forward.to).replace(':', "."));
        if !pools.contains(&pool) {
            out.line(&format!("{prefix} pool {pool} address {}/32", forward.to));
            pools.push(pool.clone());
        }
        if seen.contains(&(forward.to, range)) {
            out.note(&format!(
                "{} {protocol}/{range}: the rule for this port above covers it.",
                forward.name
            ));
            continue;
        }
        seen.push((forward.to, range));
        if range.first == range.last {
            let rule = name(&format!("sipwall-fwd-{}-{}", forward.name, range.first));
            let rule_prefix = format!("{prefix} rule-set sipwall-dnat rule {rule}");
            out.line(&format!(
                "{rule_prefix} match destination-address 0.0.0.0/0"
            ));
            out.line(&format!(
                "{rule_prefix} match destination-port {}",
                range.first
            ));
            out.line(&format!("{rule_prefix} then destination-nat pool {pool}"));
        } else {
            let rule = name(&format!(
                "sipwall-fwd-{}-{}-{}",
                forward.name, range.first, range.last
            ));
            out.note(&format!(
                "{} {protocol}/{range} is a port range: a destination NAT rule matches one \
                 port in the releases checked here. Some releases take `destination-port {} to \
                 {}`; check with `set security nat destination rule-set sipwall-dnat rule {rule} \
                 match destination-port ?`, then remove the leading `# `:",
                forward.name, range.first, range.last
            ));
            let rule_prefix = format!("{prefix} rule-set sipwall-dnat rule {rule}");
            out.verbatim(&format!(
                "{rule_prefix} match destination-address 0.0.0.0/0"
            ));
            out.verbatim(&format!(
                "{rule_prefix} match destination-port {} to {}",
                range.first, range.last
            ));
            out.verbatim(&format!("{rule_prefix} then destination-nat pool {pool}"));
        }
    }
    out.note(
        "A destination NAT rule without `match protocol` translates TCP and UDP alike; the \
         policies above permit only the protocol of each flow.",
    );
    out.blank();
}

fn after(out: &mut Out<'_>) {
    let policy = out.policy;
    if policy.sip_alg_off() || policy.has_note("clear-sessions-after-change") {
        out.note(
            "After the commit: sessions set up while the SIP ALG was on keep their state. List \
             them with `show security flow session destination-port 5060` and clear them with \
             `clear security flow session destination-port 5060` (and the other SIP ports of \
             the profile), then let the phones re-register.",
        );
    }
    out.note(
        "Then: `commit check`, `commit confirmed 10`, test that the phones register and calls \
         have audio both ways, and `commit` to keep the change.",
    );
}
