//! SonicWall SonicOS 7: numbered steps for the web management interface, every line a `#`
//! comment. No CLI is rendered: research/anchors-firewall.md §3.2 names some VoIP CLI keywords
//! (`consistent-nat`, `signaling-timeout`, …) only from an unidentified automation example [C],
//! without the command paths, so a command would only look right.
//!
//! Vendor facts used here, with their sources (research/anchors-firewall.md unless said):
//! - §2 table, §3.2 [D] (help.sonicwall.com "Configuring Consistent NAT"; SonicWall KB
//!   "Navigating the VOIP Settings" for SonicOS 7.X): NETWORK | VoIP | Settings, General
//!   Settings, "Enable Consistent NAT" (off by default) maps one private IP and port to the same
//!   public IP and port (MD5 hash); click Accept.
//! - §3.2 [D] (SonicOS 7.0 VoIP guide "Enabling SIP"): in SIP Settings, global or firewall
//!   rule-based control of SIP transformations; "Enable SIP Transformations is not selected by
//!   default".
//! - §2 table: UDP idle timeout per access rule (Advanced: UDP connection inactivity timeout) or
//!   the global Default UDP Connection Timeout; UDP default 30 s [C].
//! - SonicOS 7 Rules and Policies guide (sonicwall.com technical documentation): access rules at
//!   POLICY | Rules and Policies > Access Rules ("the service or service group that the rule
//!   applies to must first be defined"); NAT rules at POLICY | Rules and Policies > NAT Rules,
//!   with the example "Inbound Port Address Translation via WAN IP Address".

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{
    Action, Address, AlgProtocol, Direction, Origin, Policy, PortRange, Ports, Protocol, Rule,
    TimeoutScope,
};

pub const ID: &str = "sonicwall";
pub const FAMILY: &str = "sonicwall";
pub const VERSIONS: &str = "SonicOS 7";

/// SonicOS 7 ("7", "7.0.1", "SonicOS 7.1", "SonicOS/X 7").
pub fn matches_version(version: &str) -> bool {
    let text = version.trim().to_ascii_lowercase();
    let Some(start) = text.find(|c: char| c.is_ascii_digit()) else {
        return false;
    };
    let prefix = text[..start].trim();
    if !["", "v", "sonicos", "sonicos/x", "sonicos x"].contains(&prefix) {
        return false;
    }
    let major: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    major == "7"
}

/// SonicOS default UDP connection timeout (research §2 table [C]).
const DEFAULT_UDP_SECONDS: u32 = 30;

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "address and service objects, access rules LAN→WAN / WAN→LAN (GUI steps)",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Native,
        how: "FQDN address objects (resolved by the firewall)",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Native,
        how: "VoIP settings: Enable Consistent NAT",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "VoIP settings: Enable SIP Transformations cleared",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Native,
        how: "access rule Advanced: UDP connection inactivity timeout",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "WAN→LAN access rules only for the listed flows; one NAT rule per forward",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::None,
        how: "not rendered (SonicOS's VoIP registration tracking is not used with SIP \
              transformations off): keep the PBX's own ban",
    },
    Capability {
        concern: "port forward of a port range",
        support: Support::Native,
        how: "service object with a port range in an inbound NAT rule",
    },
];

/// `#` output: notes, numbered steps and their sub-items, wrapped at about 96 columns.
struct Steps<'a> {
    text: String,
    explain: bool,
    policy: &'a Policy,
    step: usize,
}

impl<'a> Steps<'a> {
    fn wrap(&mut self, first: &str, rest: &str, text: &str) {
        let mut current = first.trim_end().to_string();
        let mut empty = true;
        for word in text.split_whitespace() {
            if current.len() + word.len() + 1 > 96 && !empty {
                self.text.push_str(&current);
                self.text.push('\n');
                current = rest.to_string();
            }
            current.push(' ');
            current.push_str(word);
            empty = false;
        }
        self.text.push_str(&current);
        self.text.push('\n');
    }

    fn note(&mut self, text: &str) {
        self.wrap("#", "#  ", text);
    }

    fn blank(&mut self) {
        self.text.push_str("#\n");
    }

    /// A numbered step: `# N. text`.
    fn step(&mut self, text: &str) {
        self.step += 1;
        let first = format!("# {}.", self.step);
        let rest = format!("#{}", " ".repeat(first.len() - 1));
        self.wrap(&first, &rest, text);
    }

    /// A sub-item of the current step: `#    - text`.
    fn item(&mut self, text: &str) {
        self.wrap("#    -", "#     ", text);
    }

    fn origins(&mut self, headline: &str, origins: &[Origin]) {
        if !self.explain {
            return;
        }
        self.wrap("#    why:", "#         ", headline);
        for origin in origins {
            self.wrap("#      requirement:", "#        ", &origin.requirement);
            for source in &origin.sources {
                let text = format!("source: {}", crate::vendors::source_text(source));
                self.wrap("#       ", "#          ", &text);
            }
        }
    }
}

/// Address objects: address text → (object name, type words, zone).
struct Objects {
    by_address: BTreeMap<String, String>,
    defs: Vec<(String, String, &'static str)>,
}

impl Objects {
    fn collect(policy: &Policy) -> Self {
        let mut out = Objects {
            by_address: BTreeMap::new(),
            defs: Vec::new(),
        };
        for rule in &policy.rules {
            let (source_zone, destination_zone) = match rule.direction {
                Direction::Outbound => ("LAN", "WAN"),
                Direction::Inbound => ("WAN", "LAN"),
            };
            for address in &rule.source {
                out.add(address, source_zone);
            }
            for address in &rule.destination {
                out.add(address, destination_zone);
            }
        }
        for forward in &policy.nat.port_forwards {
            out.add(&Address::Net(forward.to.into()), "LAN");
        }
        out
    }

    fn add(&mut self, address: &Address, zone: &'static str) {
        let key = address.to_string();
        if self.by_address.contains_key(&key) {
            return;
        }
        let (name, kind) = match address {
            Address::Net(net) if net.prefix_len() == net.max_prefix_len() => (
                format!("sipwall-{}", net.addr()),
                format!("Host {}", net.addr()),
            ),
            Address::Net(net) => (
                format!("sipwall-{}-{}", net.trunc().addr(), net.prefix_len()),
                format!("Network {}", net.trunc()),
            ),
            Address::Fqdn(fqdn) => (format!("sipwall-{fqdn}"), format!("FQDN {fqdn}")),
        };
        self.by_address.insert(key, name.clone());
        self.defs.push((name, kind, zone));
    }

    fn side(&self, addresses: &[Address]) -> String {
        if addresses.is_empty() {
            return "Any".into();
        }
        let names: Vec<&str> = addresses
            .iter()
            .filter_map(|a| self.by_address.get(&a.to_string()).map(String::as_str))
            .collect();
        names.join(", ")
    }
}

fn service_name(protocol: Protocol, range: PortRange) -> String {
    format!("sipwall-{protocol}-{range}")
}

/// Service objects for every destination port range of the rules and forwards.
fn services(policy: &Policy) -> Vec<(Protocol, PortRange)> {
    let mut out: Vec<(Protocol, PortRange)> = Vec::new();
    let mut add = |protocol: Protocol, ports: &Ports| {
        if let Ports::Set(ranges) = ports {
            for range in ranges {
                if !out.contains(&(protocol, *range)) {
                    out.push((protocol, *range));
                }
            }
        }
    };
    for rule in &policy.rules {
        add(rule.protocol, &rule.destination_ports);
    }
    for forward in &policy.nat.port_forwards {
        if let Some(protocol) = forward.protocol {
            add(protocol, &forward.ports);
        }
    }
    out
}

fn rule_service(rule: &Rule) -> String {
    match &rule.destination_ports {
        Ports::Any => format!("Any {}", rule.protocol.name().to_uppercase()),
        Ports::Set(ranges) => ranges
            .iter()
            .map(|r| service_name(rule.protocol, *r))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The UDP idle seconds a rule's flows need, when the policy asks for more than the default.
fn rule_timeout(policy: &Policy, rule: &Rule) -> Option<u32> {
    if rule.protocol != Protocol::Udp {
        return None;
    }
    policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp)
        .filter(|t| match &t.scope {
            TimeoutScope::Global => true,
            TimeoutScope::Ports(ports) => {
                ports.intersect(&rule.destination_ports).is_some()
                    || (!rule.source_ports.is_any()
                        && ports.intersect(&rule.source_ports).is_some())
            }
        })
        .map(|t| t.replied_seconds)
        .max()
        .filter(|s| *s > DEFAULT_UDP_SECONDS)
}

fn limitations(policy: &Policy) -> Vec<Limitation> {
    let mut out = vec![Limitation {
        topic: "gui-steps".into(),
        text: "rendered as numbered steps for the SonicOS 7 web interface, not CLI: the CLI \
               command paths for the VoIP settings are not documented in sipwall's sources"
            .into(),
        origins: Vec::new(),
    }];
    out.push(Limitation {
        topic: "interfaces".into(),
        text: format!(
            "the steps use the zones LAN and WAN and the WAN interface \"{}\" (usually X1; \
             the LAN is usually X0): use your zones and interfaces",
            policy.zones.wan
        ),
        origins: Vec::new(),
    });
    let source_ports: Vec<String> = policy
        .rules
        .iter()
        .filter(|r| !r.source_ports.is_any())
        .map(|r| format!("{} (source ports {})", r.name, r.source_ports))
        .collect();
    if !source_ports.is_empty() {
        out.push(Limitation {
            topic: "source-ports".into(),
            text: format!(
                "the access rule steps match destination ports only; the source ports of {} \
                 are not enforced (the source address still is)",
                source_ports.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    let skipped: Vec<String> = policy
        .nat
        .port_forwards
        .iter()
        .filter(|f| f.protocol.is_none() || f.ports.is_any())
        .map(|f| f.name.clone())
        .collect();
    if !skipped.is_empty() {
        out.push(Limitation {
            topic: "forwards-not-rendered".into(),
            text: format!(
                "port forwards without a protocol or without ports are not rendered (no DMZ \
                 host): {}",
                skipped.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    if !policy.brute_force.is_empty() {
        out.push(Limitation {
            topic: "brute-force".into(),
            text: "no per-source ban after failed SIP authentications is rendered (SonicOS's \
                   VoIP endpoint tracking is tied to its SIP processing, which stays off); keep \
                   the PBX's own failed-authentication ban (or fail2ban) on"
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
            "dedicated-rule" => format!("{} (the sipwall access rules are those)", note.text),
            "clear-sessions-after-change" => {
                format!("{} (see the last step)", note.text)
            }
            _ => format!("not expressed for SonicWall: {}", note.text),
        };
        out.push(Limitation {
            topic: note.topic.clone(),
            text,
            origins: note.origins.clone(),
        });
    }
    out
}

/// Renders the policy as SonicOS 7 web-interface steps (`#` comments).
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let limitations = limitations(policy);
    let objects = Objects::collect(policy);
    let mut out = Steps {
        text: String::new(),
        explain,
        policy,
        step: 0,
    };
    header(&mut out, &limitations);
    voip(&mut out);
    object_steps(&mut out, &objects);
    rule_steps(&mut out, &objects);
    nat_steps(&mut out, &objects);
    after(&mut out);
    Rendering {
        vendor: Vendor::Sonicwall,
        text: out.text,
        limitations,
    }
}

fn header(out: &mut Steps<'_>, limitations: &[Limitation]) {
    let policy = out.policy;
    match &policy.profile {
        Some(p) => out.note(&format!(
            "sipwall steps: profile {} ({}), SonicWall, {VERSIONS}",
            p.id, p.name
        )),
        None => out.note(&format!("sipwall steps: SonicWall, {VERSIONS}")),
    }
    out.note(
        "Steps for the SonicOS 7 web management interface, in order; every line is a comment \
         (nothing to paste). Object and rule names start with sipwall-.",
    );
    if explain_documents(out) {
        out.blank();
    }
    if !limitations.is_empty() {
        out.blank();
        out.note("Not (fully) expressed by these steps, do it by hand:");
        for limitation in limitations {
            out.note(&format!("- {}: {}", limitation.topic, limitation.text));
        }
    }
    out.blank();
}

fn explain_documents(out: &mut Steps<'_>) -> bool {
    let policy = out.policy;
    if !out.explain || policy.documents.is_empty() {
        return false;
    }
    out.blank();
    for line in crate::vendors::document_lines(policy) {
        out.note(&line);
    }
    true
}

fn voip(out: &mut Steps<'_>) {
    let policy = out.policy;
    if let Some(snat) = &policy.nat.source_nat {
        // research §3.2 [D] help.sonicwall.com; SonicWall KB "Navigating the VOIP Settings".
        out.step(
            "NETWORK | VoIP > Settings, General Settings: select \"Enable Consistent NAT\" (off by \
             default) and click Accept. It keeps one public address and port for each inside \
             address and port, whatever the destination.",
        );
        out.origins("consistent NAT", &snat.origins);
    }
    for alg in &policy.algs {
        let AlgProtocol::Sip = alg.protocol;
        if alg.enabled {
            out.note("SIP transformations: the policy wants them on; no step changes them.");
            continue;
        }
        let scope: Vec<String> = alg
            .scope
            .iter()
            .map(|(protocol, ports)| format!("{protocol}/{ports}"))
            .collect();
        // research §3.2 [D] SonicOS 7.0 VoIP guide "Enabling SIP".
        out.step(
            "NETWORK | VoIP > Settings, SIP Settings: clear \"Enable SIP Transformations\" \
             (SonicWall's SIP ALG; not selected by default on SonicOS 7, but often on in \
             configurations carried over from older releases) and click Accept.",
        );
        out.item(
            "If \"firewall Rule-based control\" is chosen instead of global control, no access \
             rule may enable SIP transformations: check the rules for the SIP ports.",
        );
        out.item(&format!(
            "SIP ports of this profile: {}.",
            if scope.is_empty() {
                "none".to_string()
            } else {
                scope.join(" ")
            }
        ));
        out.origins("SIP ALG (SIP transformations) off", &alg.origins);
    }
    let global: Vec<u32> = policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp && t.scope == TimeoutScope::Global)
        .map(|t| t.replied_seconds)
        .collect();
    if let Some(seconds) = global.iter().copied().max() {
        // research §2 table: global Default UDP Connection Timeout, default 30 s [C].
        if seconds > DEFAULT_UDP_SECONDS {
            out.step(&format!(
                "Global \"Default UDP Connection Timeout\": set it to at least {seconds} s \
                 (default {DEFAULT_UDP_SECONDS} s; search the setting in the SonicOS 7 \
                 interface). Trade-off: every UDP connection stays this long. The UDP access \
                 rules below also carry it."
            ));
        }
        for timeout in policy
            .timeouts
            .iter()
            .filter(|t| t.protocol == Protocol::Udp && t.scope == TimeoutScope::Global)
        {
            out.origins(
                &format!("UDP idle timeout {} s", timeout.replied_seconds),
                &timeout.origins,
            );
        }
    }
}

fn object_steps(out: &mut Steps<'_>, objects: &Objects) {
    let policy = out.policy;
    if !objects.defs.is_empty() {
        out.step(
            "Address objects (OBJECT | Match Objects > Addresses, Add), one per line: name, type \
             and address, zone. FQDN objects are resolved by the firewall (DNS must be set).",
        );
        for (name, kind, zone) in &objects.defs {
            out.item(&format!("{name}: {kind}, zone {zone}"));
        }
    }
    let services = services(policy);
    if !services.is_empty() {
        out.step(
            "Service objects (OBJECT | Match Objects > Services, Add), one per line: name, \
             protocol, port range (start and end).",
        );
        for (protocol, range) in services {
            out.item(&format!(
                "{}: {}, ports {}-{}",
                service_name(protocol, range),
                protocol.name().to_uppercase(),
                range.first,
                range.last
            ));
        }
    }
}

fn rule_steps(out: &mut Steps<'_>, objects: &Objects) {
    let policy = out.policy;
    if policy.rules.is_empty() {
        return;
    }
    out.step(
        "Access rules (POLICY | Rules and Policies > Access Rules, Add), one per line, action \
         Allow; SonicOS is stateful, so replies need no rule.",
    );
    for rule in &policy.rules {
        let (from, to) = match rule.direction {
            Direction::Outbound => ("LAN", "WAN"),
            Direction::Inbound => ("WAN", "LAN"),
        };
        let action = match rule.action {
            Action::Accept => "Allow",
            Action::Drop => "Deny",
        };
        let mut text = format!(
            "sipwall-{}{}: {action} from {from} to {to}, source {}, destination {}, service {}",
            rule.name,
            if rule.required { "" } else { " (optional)" },
            objects.side(&rule.source),
            objects.side(&rule.destination),
            rule_service(rule)
        );
        if let Some(seconds) = rule_timeout(policy, rule) {
            // research §2 table: per access rule, Advanced: UDP connection inactivity timeout.
            let _ = write!(
                text,
                "; Advanced: UDP connection inactivity timeout {seconds} s (check the unit the \
                 field shows)"
            );
        }
        out.item(&text);
        out.origins(&rule.name, &rule.origins);
    }
    for timeout in policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp && t.scope != TimeoutScope::Global)
    {
        out.origins(
            &format!("UDP idle timeout {} s", timeout.replied_seconds),
            &timeout.origins,
        );
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
        out.item(
            "hygiene: the whitelisted inbound ports are allowed only from the whitelisted \
             sources (source of the WAN-to-LAN rules above).",
        );
    }
    match policy.forward_default {
        Action::Drop => out.item(
            "Forward default drop (VoIP-only firewall): below the sipwall LAN-to-WAN rules, add \
             a rule Deny from LAN to WAN, source Any, destination Any, service Any (or disable \
             the default LAN-to-WAN Allow rule).",
        ),
        Action::Accept => out.item(
            "Forward default accept: keep the default LAN-to-WAN Allow rule; from the WAN only \
             the rules above allow traffic.",
        ),
    }
    if !policy.hygiene.forbidden_inbound.is_empty() {
        let ports: Vec<String> = policy
            .hygiene
            .forbidden_inbound
            .iter()
            .map(|f| format!("{}/{} ({})", f.protocol, f.port, f.service))
            .collect();
        out.item(&format!(
            "hygiene: never forward or allow from the WAN: {}; no rule above does. On the WAN \
             interface ({}), clear the management options (HTTPS, SSH) unless you need them.",
            ports.join(", "),
            policy.zones.wan
        ));
    }
}

fn nat_steps(out: &mut Steps<'_>, objects: &Objects) {
    let policy = out.policy;
    if let Some(snat) = &policy.nat.source_nat {
        out.step(&format!(
            "Outbound NAT (POLICY | Rules and Policies > NAT Rules): a rule must translate the \
             LAN subnets to the WAN interface address (original source: the LAN subnets, \
             translated source: the {} interface IP, outbound interface: {}). The default \
             configuration has one; keep it. Consistent NAT (VoIP settings step above) keeps its mapping stable.",
            policy.zones.wan, policy.zones.wan
        ));
        out.origins("source NAT", &snat.origins);
    }
    if let Some(origin) = &policy.hygiene.no_dmz {
        out.origins("no DMZ / exposed host", std::slice::from_ref(origin));
    }
    let forwards: Vec<_> = policy
        .nat
        .port_forwards
        .iter()
        .filter(|f| f.protocol.is_some() && !f.ports.is_any())
        .collect();
    if forwards.is_empty() {
        return;
    }
    out.step(&format!(
        "Port forwards (POLICY | Rules and Policies > NAT Rules, Add; SonicOS 7 guide \"Inbound \
         Port Address Translation via WAN IP Address\"), one NAT rule per line: original source \
         Any, translated source Original, original destination the {0} interface IP, \
         translated destination the host object, original service the service object, \
         translated service Original, inbound interface {0}. The WAN-to-LAN access rules above \
         allow the traffic. No DMZ host: nothing else is forwarded.",
        policy.zones.wan
    ));
    for forward in forwards {
        let Some(protocol) = forward.protocol else {
            continue;
        };
        let host = objects
            .by_address
            .get(&forward.to.to_string())
            .cloned()
            .unwrap_or_else(|| forward.to.to_string());
        for range in forward.ports.ranges() {
            out.item(&format!(
                "sipwall-fwd-{}: {} to {host}, service {}",
                forward.name,
                policy.zones.wan,
                service_name(protocol, range)
            ));
        }
        out.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
    }
}

fn after(out: &mut Steps<'_>) {
    let policy = out.policy;
    if policy.sip_alg_off()
        || policy
            .notes
            .iter()
            .any(|n| n.topic == "clear-sessions-after-change")
    {
        out.step(
            "After the change: connections set up while SIP transformations were on keep their \
             state. Restart the phones (or the PBX's trunk) so they register again, and check \
             that calls have audio both ways.",
        );
    }
    out.note("End of the sipwall steps.");
}
