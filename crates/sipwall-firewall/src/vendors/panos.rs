//! Palo Alto PAN-OS (9.0 to 11.x): set-form commands to paste in configuration mode
//! (`configure`), then `commit`. `#` starts a comment (the set CLI takes none: paste only the
//! command lines).
//!
//! Vendor facts used here, with their sources (research/anchors-firewall.md unless said):
//! - §2 table, §3.6 [V] (pan-os-python example, Ansible `panos_config_element` playbook): the
//!   SIP ALG is on for the predefined application `sip`; `set shared alg-override application
//!   sip alg-disabled yes` disables it (XML `/config/shared/alg-override/application/
//!   entry[@name='sip']/alg-disabled` = `yes`; GUI Objects › Applications › sip › ALG Disable).
//! - §3.6 [D] PAN-OS 10.2 "Configure session settings and timeouts": global TCP/UDP timeouts,
//!   application timeouts override global ones; default UDP 30 s [C]. The global UDP timeout is
//!   rendered as `set deviceconfig setting session timeout-udp N` (the set form of the XML path
//!   …/deviceconfig/setting/session/timeout-udp); application timeouts are instructions.
//! - §2 table [C]: dynamic IP and port (DIPP) translates source ports; PAN-OS 10.1
//!   "Translate internal client IP addresses to your public IP address (source DIPP NAT)":
//!   source NAT to the egress interface address; persistent NAT for DIPP (10.1.6 / 10.2.4 and
//!   later) for STUN-like endpoint-independent mapping, syntax not verified: an instruction.
//! - PAN-OS web help "NAT Translated Packet tab" (10.x): destination address translation to a
//!   translated address; the original packet names the public destination. Security rules
//!   match the pre-NAT destination address and the post-NAT zone (PAN-OS NAT admin guide).
//! - Set form of objects and rules, as public set-form configurations and generators use them
//!   (found in public repositories: lab notes, automation scripts; none authoritative):
//!   `set address NAME ip-netmask PREFIX | fqdn NAME`, `set address-group NAME static [ … ]`,
//!   `set service NAME protocol udp|tcp port P[,P-Q] [source-port …]`, `set rulebase security
//!   rules NAME from Z to Z source … destination … application any service S action allow`,
//!   `set rulebase nat rules NAME … source-translation dynamic-ip-and-port interface-address
//!   interface IFC`, `… destination-translation translated-address A`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{
    Action, Address, AlgProtocol, Direction, Origin, Policy, PortForward, Ports, Protocol,
    TimeoutScope,
};

pub const ID: &str = "panos";
pub const FAMILY: &str = "panos";
pub const VERSIONS: &str = "PAN-OS 9 to 11";

/// PAN-OS 9.x, 10.x and 11.x ("10.2.4", "PAN-OS 11.1", "9.1", "v10").
pub fn matches_version(version: &str) -> bool {
    let text = version.trim().to_ascii_lowercase();
    let text = text
        .strip_prefix("pan-os")
        .or_else(|| text.strip_prefix("panos"))
        .map(str::trim)
        .unwrap_or(&text)
        .trim_start_matches('v');
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse::<u32>()
        .is_ok_and(|major| (9..=11).contains(&major))
}

/// PAN-OS names (objects, rules) are at most 63 characters.
const NAME_MAX: usize = 63;

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Native,
        how: "security rules between the LAN and WAN zones with address objects and custom \
              services",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::Native,
        how: "`fqdn` address objects (resolved by the firewall's DNS settings)",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::Approximate,
        how: "dynamic IP and port translates ports; persistent NAT for DIPP (10.1.6+) given as \
              an instruction",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "`set shared alg-override application sip alg-disabled yes`",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::Approximate,
        how: "the global UDP timeout (`set deviceconfig setting session timeout-udp`); \
              application timeouts (sip, rtp) as instructions",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Native,
        how: "WAN-to-LAN rules allow only the listed services and sources; destination NAT per \
              service only",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::None,
        how: "not rendered: keep the PBX's own failed-authentication ban (or fail2ban)",
    },
    Capability {
        concern: "port forward of a port range",
        support: Support::Native,
        how: "destination NAT rule with a service of the range; the port is kept",
    },
];

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

/// A PAN-OS name: letters, digits and `-_.`; at most `NAME_MAX` characters.
fn name(text: &str) -> String {
    super::object_name(text, NAME_MAX)
}

/// Address objects: one per distinct address; groups for rules with several.
struct Objects {
    names: BTreeMap<String, String>,
    defs: Vec<(String, String)>,
    groups: Vec<(String, Vec<String>)>,
    fqdns: Vec<String>,
}

impl Objects {
    fn collect(policy: &Policy) -> Self {
        let mut out = Objects {
            names: BTreeMap::new(),
            defs: Vec::new(),
            groups: Vec::new(),
            fqdns: Vec::new(),
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
        if self.names.contains_key(&key) {
            return;
        }
        let (base, def) = match address {
            Address::Net(net) => {
                let net = net.trunc();
                (
                    format!("sipwall-{}-{}", net.addr(), net.prefix_len()).replace(':', "."),
                    format!("ip-netmask {net}"),
                )
            }
            Address::Fqdn(fqdn) => {
                self.fqdns.push(fqdn.clone());
                (format!("sipwall-{fqdn}"), format!("fqdn {fqdn}"))
            }
        };
        let mut object = name(&base);
        if self.defs.iter().any(|(n, _)| *n == object) {
            let short: String = object.chars().take(NAME_MAX - 4).collect();
            object = format!("{short}-{}", self.defs.len());
        }
        self.names.insert(key, object.clone());
        self.defs.push((object, def));
    }

    /// The rule's address argument: `any`, one object, or a group built for the rule.
    fn side(&mut self, addresses: &[Address], base: &str) -> String {
        let members: Vec<String> = addresses
            .iter()
            .filter_map(|a| self.names.get(&a.to_string()).cloned())
            .collect();
        match members.len() {
            0 => "any".into(),
            1 => members[0].clone(),
            _ => {
                let group = name(base);
                self.groups.push((group.clone(), members));
                group
            }
        }
    }
}

/// A port list in PAN-OS service form (`5060,10000-20000`); `Any` is `1-65535`.
fn port_list(ports: &Ports) -> String {
    ports
        .ranges()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The forwards rendered: a protocol, ports and an IPv4 target.
fn forwards(policy: &Policy) -> Vec<(&PortForward, Protocol)> {
    policy
        .nat
        .port_forwards
        .iter()
        .filter(|f| f.to.is_ipv4() && !f.ports.is_any() && !f.is_dmz_host())
        .filter_map(|f| f.protocol.map(|p| (f, p)))
        .collect()
}

fn limitations(policy: &Policy, objects: &Objects) -> Vec<Limitation> {
    let (lan, wan) = (&policy.zones.lan, &policy.zones.wan);
    let mut out = vec![Limitation {
        topic: "zones".into(),
        text: format!(
            "the LAN \"{lan}\" and WAN \"{wan}\" names are used as zone names (often `trust` \
             and `untrust`), and \"{wan}\" also as the egress interface of the source NAT rule \
             (e.g. `ethernet1/1`): pass your zone names with the interface options and replace \
             the interface, or create the zones; they must exist before `commit`"
        ),
        origins: Vec::new(),
    }];
    if policy.nat.source_nat.is_some() {
        out.push(Limitation {
            topic: "port-preservation".into(),
            text: "dynamic IP and port (DIPP) translates source ports (no port preservation by \
                   default); persistent NAT for DIPP (PAN-OS 10.1.6 / 10.2.4 and later) gives \
                   endpoint-independent mapping and is given as an instruction, its set syntax \
                   not verified here"
                .into(),
            origins: policy
                .nat
                .source_nat
                .iter()
                .flat_map(|s| s.origins.clone())
                .collect(),
        });
    }
    if !policy.timeouts.is_empty() {
        out.push(Limitation {
            topic: "udp-timeout-global".into(),
            text: "the UDP timeout is raised globally (`deviceconfig setting session \
                   timeout-udp`, all UDP sessions, not per port); per-application timeouts \
                   (`sip`, `rtp`) are given as instructions"
                .into(),
            origins: policy
                .timeouts
                .iter()
                .flat_map(|t| t.origins.clone())
                .collect(),
        });
    }
    if !objects.fqdns.is_empty() {
        out.push(Limitation {
            topic: "fqdn-dns".into(),
            text: format!(
                "the fqdn address objects ({}) work only when the firewall resolves names \
                 (Device › Setup › Services › DNS); not rendered",
                objects.fqdns.join(", ")
            ),
            origins: Vec::new(),
        });
    }
    if !forwards(policy).is_empty() {
        out.push(Limitation {
            topic: "forward-destination-address".into(),
            text: format!(
                "the destination NAT rules and the {wan}-to-{lan} security rules match \
                 destination `any` (PAN-OS matches the pre-NAT, public destination address, not \
                 known here); replace `any` with an address object of your WAN address"
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
            text: "PAN-OS has no per-source ban after failed SIP authentications in these \
                   rules; keep the PBX's own failed-authentication ban (or fail2ban) on"
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
                "hairpinning ({}): needs a U-turn NAT rule from zone {lan} to the public address \
                 with source and destination translation; not rendered, since the public \
                 address is not known here",
                note.text
            ),
            "dedicated-rule" => format!(
                "{} (the sipwall security rules below are those dedicated rules)",
                note.text
            ),
            "clear-sessions-after-change" => format!(
                "{} (see the `clear session` instructions at the end)",
                note.text
            ),
            "disable-hardware-offload" => format!(
                "{} (not rendered: session offload on PAN-OS hardware is not a per-rule set \
                 knob verified here)",
                note.text
            ),
            "session-ttl" => format!("{}: not rendered (see the timeouts note)", note.text),
            _ => format!("not expressed for PAN-OS: {}", note.text),
        };
        out.push(Limitation {
            topic: note.topic.clone(),
            text,
            origins: note.origins.clone(),
        });
    }
    out
}

/// Renders the policy as PAN-OS set-form commands.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let mut objects = Objects::collect(policy);
    let limitations = limitations(policy, &objects);
    let mut out = Out {
        text: String::new(),
        explain,
        policy,
    };
    header(&mut out, &limitations);
    alg(&mut out);
    timeouts(&mut out);
    rules(&mut out, &mut objects);
    nat(&mut out);
    after(&mut out);
    Rendering {
        vendor: Vendor::Panos,
        text: out.text,
        limitations,
    }
}

fn header(out: &mut Out<'_>, limitations: &[Limitation]) {
    let policy = out.policy;
    match &policy.profile {
        Some(p) => out.note(&format!(
            "sipwall rules: profile {} ({}), Palo Alto PAN-OS, {VERSIONS}",
            p.id, p.name
        )),
        None => out.note(&format!("sipwall rules: Palo Alto PAN-OS, {VERSIONS}")),
    }
    out.note(&format!(
        "Zones: \"{}\" (LAN, inside; often `trust`) and \"{}\" (WAN, outside; often `untrust`) \
         are the LAN and WAN names of the options, used as zone names. Paste the command lines \
         in configuration mode (`configure`); lines starting with # are comments for you, not \
         for the CLI. No offline PAN-OS validator exists: `validate full`, then `commit`.",
        policy.zones.lan, policy.zones.wan
    ));
    match policy.forward_default {
        Action::Drop => out.note(&format!(
            "Only the flows below are allowed from {} to {} (VoIP-only firewall); the default \
             interzone rule denies the rest. Rules are evaluated in order: move the sipwall \
             rules above any broader deny (`move rulebase security rules NAME top`).",
            policy.zones.lan, policy.zones.wan
        )),
        Action::Accept => out.note(&format!(
            "Forward default accept: a last rule sipwall-default-accept allows other traffic \
             from {} to {}; from the WAN only the flows below are allowed.",
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
        // research §2 table, §3.6 [V] (pan-os-python example): `set shared alg-override
        // application sip alg-disabled yes`.
        out.note(&format!(
            "SIP ALG off for the predefined application `sip` (on by default; GUI Objects › \
             Applications › sip › ALG: Disable). SIP ports of this profile: {}. An application \
             override rule for the SIP ports also keeps the ALG out, but disables App-ID for \
             them; not rendered.",
            if scope.is_empty() {
                "none".to_string()
            } else {
                scope.join(" ")
            }
        ));
        out.line("set shared alg-override application sip alg-disabled yes");
        out.blank();
    }
}

fn timeouts(out: &mut Out<'_>) {
    let policy = out.policy;
    if policy.timeouts.is_empty() {
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
        // research §3.6 [D] "Configure session settings and timeouts": application timeouts
        // override the global ones; default UDP 30 s [C]. The set form mirrors the XML path
        // /config/devices/entry/deviceconfig/setting/session/timeout-udp.
        out.note(&format!(
            "{} idle timeout of at least {} s ({scope}): PAN-OS takes the timeout of the \
             application App-ID identifies (e.g. `sip`, `rtp`; Objects › Applications › \
             Options), else the global one (Device › Setup › Session › Session Timeouts; UDP \
             default 30 s). The global UDP timeout is raised below (all UDP sessions); if an \
             application's own timeout is shorter, raise it too (`show running application \
             setting`); changing a predefined application's timeout applies to every vsys.",
            timeout.protocol, timeout.replied_seconds
        ));
    }
    let udp = policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == Protocol::Udp)
        .map(|t| t.replied_seconds.max(t.unreplied_seconds))
        .max();
    if let Some(seconds) = udp {
        out.line(&format!(
            "set deviceconfig setting session timeout-udp {seconds}"
        ));
    }
    out.blank();
}

fn rules(out: &mut Out<'_>, objects: &mut Objects) {
    let policy = out.policy;
    let (lan, wan) = (&policy.zones.lan, &policy.zones.wan);
    if !objects.defs.is_empty() {
        out.note("Address objects (fqdn objects are resolved by the firewall: see fqdn-dns).");
        for (object, def) in &objects.defs {
            out.line(&format!("set address {object} {def}"));
        }
        out.blank();
    }
    if policy.rules.is_empty() {
        return;
    }
    // Build the services and rules first, so the groups exist before the rules use them.
    let mut services = Vec::new();
    let mut lines = Vec::new();
    let forwarded = !forwards(policy).is_empty();
    for rule in &policy.rules {
        let base = format!("sipwall-{}", rule.name);
        let (from, to) = match rule.direction {
            Direction::Outbound => (lan, wan),
            Direction::Inbound => (wan, lan),
        };
        let source = objects.side(&rule.source, &format!("{base}-src"));
        // PAN-OS matches the pre-NAT destination: with port forwards, inbound rules use `any`
        // (see the forward-destination-address note), not the inside address.
        let destination = match rule.direction {
            Direction::Inbound if forwarded => "any".to_string(),
            _ => objects.side(&rule.destination, &format!("{base}-dst")),
        };
        let service = name(&base);
        let mut def = format!(
            "set service {service} protocol {} port {}",
            rule.protocol,
            port_list(&rule.destination_ports)
        );
        if !rule.source_ports.is_any() {
            let _ = write!(def, " source-port {}", port_list(&rule.source_ports));
        }
        services.push(def);
        let action = match rule.action {
            Action::Accept => "allow",
            Action::Drop => "deny",
        };
        lines.push((
            rule,
            format!(
                "set rulebase security rules {} from {from} to {to} source {source} destination \
                 {destination} application any service {service} action {action}",
                name(&base)
            ),
        ));
    }
    if !objects.groups.is_empty() {
        out.note("Address groups for rules with several addresses.");
        for (group, members) in &objects.groups {
            out.line(&format!(
                "set address-group {group} static [ {} ]",
                members.join(" ")
            ));
        }
        out.blank();
    }
    out.note("Services, one per flow, direction and protocol (destination ports).");
    for def in &services {
        out.line(def);
    }
    out.blank();
    if !policy.hygiene.forbidden_inbound.is_empty() {
        let ports: Vec<String> = policy
            .hygiene
            .forbidden_inbound
            .iter()
            .map(|f| format!("{}/{} ({})", f.protocol, f.port, f.service))
            .collect();
        out.note(&format!(
            "hygiene: never forwarded or opened from the WAN: {}. No NAT or security rule below \
             opens them. For the firewall itself, the interface management profile of the {wan} \
             interface must allow no ssh, telnet, http or https.",
            ports.join(", ")
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
             sources (source of the WAN-to-LAN rules).",
        );
    }
    out.note(
        "Security rules, one per flow, direction and protocol (`application any`: the service \
         decides). With port forwards, inbound rules match destination `any`: PAN-OS matches the \
         pre-NAT (public) destination address, see the forward-destination-address note.",
    );
    for (rule, line) in &lines {
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
        out.line(line);
    }
    if policy.forward_default == Action::Accept {
        out.line(&format!(
            "set rulebase security rules sipwall-default-accept from {lan} to {wan} source any \
             destination any application any service any action allow"
        ));
    }
    out.blank();
}

fn nat(out: &mut Out<'_>) {
    let policy = out.policy;
    let (lan, wan) = (&policy.zones.lan, &policy.zones.wan);
    if let Some(snat) = &policy.nat.source_nat {
        out.origins("source NAT keeping ports", &snat.origins);
        // PAN-OS 10.1 "source DIPP NAT": translate to the egress interface address.
        out.note(&format!(
            "Source NAT: dynamic IP and port to the address of the egress interface \"{wan}\" \
             (replace with the interface name, e.g. ethernet1/1). DIPP translates source ports \
             (no port preservation by default). If a source NAT rule from {lan} to {wan} already \
             exists, keep that one instead."
        ));
        out.line(&format!(
            "set rulebase nat rules sipwall-snat from {lan} to {wan} source any destination any \
             service any source-translation dynamic-ip-and-port interface-address interface \
             {wan}"
        ));
        if snat.endpoint_independent_mapping || snat.port_preservation {
            out.note(
                "Endpoint-independent mapping: PAN-OS 10.1.6 / 10.2.4 and later offer persistent \
                 NAT for DIPP (PAN-OS networking guide, \"source DIPP NAT\"). Its knob is not \
                 verified here: enable it as the guide of your release says. Port preservation \
                 needs static IP or dynamic IP (no PAT) translation to public addresses; not \
                 rendered (the public addresses are not known here).",
            );
        }
        out.blank();
    }
    if let Some(origin) = &policy.hygiene.no_dmz {
        out.origins("no DMZ / exposed host", std::slice::from_ref(origin));
        out.note("no DMZ host: only the services below are forwarded, one NAT rule each.");
    }
    let forwards = forwards(policy);
    if forwards.is_empty() {
        return;
    }
    out.note(&format!(
        "Port forwards: destination NAT from zone {wan} to {wan} (zones of the original packet) \
         to the inside address, inside port = outside port (no translated-port). Destination \
         `any`: replace with an address object of your WAN address. The WAN-to-LAN security \
         rules above allow the traffic."
    ));
    for (forward, protocol) in forwards {
        out.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
        let service = name(&format!("sipwall-fwd-{}", forward.name));
        out.line(&format!(
            "set service {service} protocol {protocol} port {}",
            port_list(&forward.ports)
        ));
        out.line(&format!(
            "set rulebase nat rules {service} from {wan} to {wan} source any destination any \
             service {service} destination-translation translated-address {}",
            forward.to
        ));
    }
    out.blank();
}

fn after(out: &mut Out<'_>) {
    let policy = out.policy;
    if policy.sip_alg_off() || policy.has_note("clear-sessions-after-change") {
        out.note(
            "After the commit: sessions set up while the SIP ALG was on keep their state. List \
             them with `show session all filter application sip` and clear them with `clear \
             session all filter application sip` (operational mode), then let the phones \
             re-register.",
        );
    }
    out.note(
        "Then: `validate full`, `commit`, and test that the phones register and calls have \
         audio both ways.",
    );
}
