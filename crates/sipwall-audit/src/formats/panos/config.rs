//! The statements of any export form interpreted: objects, zones and rules of each virtual
//! system and of the shared scope, and the device settings that matter for VoIP. Every
//! statement is classified for the coverage: read into these structures (understood), a known
//! section with no bearing on VoIP (ignored), or not recognised (unknown).
//!
//! Paths as PAN-OS writes them (XML `/config/devices/entry/vsys/entry/…`, the same keys in the
//! brace form and in `set` commands; the set form of a single-vsys firewall leaves out
//! `devices localhost.localdomain vsys vsys1`): see the PAN-OS XML API / CLI references and the
//! Batfish PAN-OS grammar (research note §3.6) for the keys read here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;
use sipwall_firewall::model::{PortRange, Ports, Protocol};

use super::read::{Tok, Value};
use crate::coverage::LineClass;
use crate::source::{Source, Span};

/// The virtual system the set form of a single-vsys firewall means when it names none.
pub(super) const DEFAULT_VSYS: &str = "vsys1";

/// A name as the export spells it, borrowed from the text where it can be.
pub(super) type Name<'a> = Cow<'a, str>;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum AddressDef {
    Net(IpNet),
    Range(IpAddr, IpAddr),
    Fqdn(String),
    /// `ip-wildcard` and other forms a prefix list cannot express.
    Opaque,
}

#[derive(Debug, Clone, Default)]
pub(super) struct GroupDef<'a> {
    pub members: Value<'a>,
    /// A dynamic (tag-filter) group: its members are known only at run time.
    pub dynamic: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ServiceProtocol {
    Tcp,
    Udp,
    Sctp,
}

#[derive(Debug, Clone, Default)]
pub(super) struct ServiceDef {
    pub protocol: Option<ServiceProtocol>,
    pub ports: Option<Ports>,
    pub source_ports: Option<Ports>,
    /// A value could not be read (the rules using it are not evaluated as covering).
    pub bad: bool,
    /// `override yes timeout N`: a session timeout for sessions of this service.
    pub timeout: Option<u32>,
    pub spans: Vec<Span>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct AppDef {
    /// `default port [ udp/5060 tcp/5060-5061 ]`.
    pub default_ports: Vec<(Protocol, Ports)>,
    pub timeout: Option<u32>,
    pub udp_timeout: Option<u32>,
    pub spans: Vec<Span>,
}

/// Objects of one scope (a vsys or `shared`).
#[derive(Debug, Default)]
pub(super) struct Objects<'a> {
    pub addresses: HashMap<Name<'a>, AddressDef>,
    pub groups: HashMap<Name<'a>, GroupDef<'a>>,
    pub services: HashMap<Name<'a>, ServiceDef>,
    pub service_groups: HashMap<Name<'a>, Value<'a>>,
    pub applications: HashMap<Name<'a>, AppDef>,
    pub app_groups: HashMap<Name<'a>, Value<'a>>,
}

/// Security rule (`rulebase security rules NAME …`).
#[derive(Debug, Clone, Default)]
pub(super) struct SecurityRule<'a> {
    pub from: Value<'a>,
    pub to: Value<'a>,
    pub source: Value<'a>,
    pub destination: Value<'a>,
    pub application: Value<'a>,
    pub service: Value<'a>,
    pub action: Option<Name<'a>>,
    pub disabled: bool,
    pub negate_source: bool,
    pub negate_destination: bool,
    pub rule_type: Option<Name<'a>>,
    /// Match criteria the facts cannot express (users, URL categories, HIP, schedule): the rule
    /// matches only some traffic.
    pub narrowed: Vec<&'static str>,
    pub spans: Vec<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceTranslation {
    /// `dynamic-ip-and-port` (DIPP, PAT).
    Dipp,
    /// `dynamic-ip` (a pool, no port translation).
    DynamicIp,
    /// `static-ip` (1:1).
    StaticIp,
}

/// NAT rule (`rulebase nat rules NAME …`).
#[derive(Debug, Clone, Default)]
pub(super) struct NatRule<'a> {
    pub from: Value<'a>,
    pub to: Value<'a>,
    pub source: Value<'a>,
    pub destination: Value<'a>,
    pub service: Option<Name<'a>>,
    pub to_interface: Option<Name<'a>>,
    pub disabled: bool,
    pub source_translation: Option<SourceTranslation>,
    pub bi_directional: bool,
    pub static_translated: Option<Name<'a>>,
    /// `destination-translation` or `dynamic-destination-translation` present.
    pub destination_translation: bool,
    pub translated_address: Option<Name<'a>>,
    pub translated_port: Option<u16>,
    /// A value could not be read.
    pub bad: bool,
    pub spans: Vec<Span>,
}

/// Application override rule (`rulebase application-override rules NAME …`): traffic on these
/// ports is the given (custom) application, App-ID and its decoders (the SIP ALG's included)
/// are bypassed.
#[derive(Debug, Clone, Default)]
pub(super) struct OverrideRule<'a> {
    pub name: Name<'a>,
    pub from: Value<'a>,
    pub to: Value<'a>,
    pub source: Value<'a>,
    pub destination: Value<'a>,
    pub protocol: Option<Protocol>,
    pub ports: Option<Ports>,
    pub application: Option<Name<'a>>,
    pub disabled: bool,
    pub bad: bool,
    pub spans: Vec<Span>,
}

/// Rules in order of first appearance, by name (the set form spreads a rule over many lines).
#[derive(Debug)]
pub(super) struct Rules<'a, T> {
    pub list: Vec<T>,
    index: HashMap<Name<'a>, usize>,
}

impl<T> Default for Rules<'_, T> {
    fn default() -> Self {
        Rules {
            list: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<'a, T: Default> Rules<'a, T> {
    fn entry(&mut self, name: &Name<'a>, make: impl FnOnce(&Name<'a>) -> T) -> &mut T {
        let index = match self.index.get(name.as_ref()) {
            Some(&index) => index,
            None => {
                self.list.push(make(name));
                self.index.insert(name.clone(), self.list.len() - 1);
                self.list.len() - 1
            }
        };
        // The index was just looked up or pushed.
        &mut self.list[index]
    }
}

/// One virtual system.
#[derive(Debug, Default)]
pub(super) struct Vsys<'a> {
    pub objects: Objects<'a>,
    /// Zone name → its interfaces, in order of appearance.
    pub zones: Vec<(Name<'a>, Vec<Name<'a>>)>,
    pub security: Rules<'a, SecurityRule<'a>>,
    pub nat: Rules<'a, NatRule<'a>>,
    pub overrides: Rules<'a, OverrideRule<'a>>,
    /// `default-security-rules rules intrazone-default|interzone-default action …`.
    pub default_rules: HashMap<Name<'a>, (Name<'a>, Span)>,
}

/// An interface management profile: the services the firewall answers on interfaces using it.
#[derive(Debug, Clone, Default)]
pub(super) struct MgmtProfile<'a> {
    /// Service name (`ssh`, `https`, …) → enabled, with its line.
    pub services: Vec<(Name<'a>, bool, Span)>,
    pub permitted_ip: Vec<Name<'a>>,
}

/// Everything read.
#[derive(Debug, Default)]
pub(super) struct Config<'a> {
    pub shared: Objects<'a>,
    /// Virtual systems in order of appearance.
    pub vsys: Vec<(Name<'a>, Vsys<'a>)>,
    /// `alg-override application APP alg-disabled yes|no`, by application.
    pub alg_overrides: HashMap<Name<'a>, (bool, Span)>,
    /// `deviceconfig setting session timeout-udp N`.
    pub udp_timeout: Option<(u32, Span)>,
    pub mgmt_profiles: HashMap<Name<'a>, MgmtProfile<'a>>,
    /// (interface, management profile, line).
    pub interface_profiles: Vec<(Name<'a>, Name<'a>, Span)>,
}

impl<'a> Config<'a> {
    #[cfg(test)]
    pub fn vsys(&self, name: &str) -> Option<&Vsys<'a>> {
        self.vsys.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    fn vsys_mut(&mut self, name: &Name<'a>) -> &mut Vsys<'a> {
        let index = match self.vsys.iter().position(|(n, _)| n == name) {
            Some(index) => index,
            None => {
                self.vsys.push((name.clone(), Vsys::default()));
                self.vsys.len() - 1
            }
        };
        // The index was just found or pushed.
        &mut self.vsys[index].1
    }
}

/// Where a statement belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope<'a> {
    Shared,
    Vsys(Name<'a>),
    Device,
    /// Known configuration with no bearing on VoIP (`mgt-config`, an empty Panorama policy).
    Ignored,
    Unknown,
}

/// Vsys-level sections with no bearing on VoIP through the firewall.
const VSYS_IGNORED: &[&str] = &[
    "tag",
    "profiles",
    "profile-group",
    "log-settings",
    "schedule",
    "external-list",
    "region",
    "dynamic-user-group",
    "import",
    "display-name",
    "setting",
    "user-id-agent",
    "user-id-collector",
    "user-id-ssl-auth",
    "reports",
    "report-group",
    "email-scheduler",
    "pdf-summary-report",
    "threats",
    "url-admin-override",
    "response-page",
    "ocsp-responder",
    "certificate",
    "certificate-profile",
    "ssl-tls-service-profile",
    "server-profile",
    "authentication-profile",
    "authentication-sequence",
    "local-user-database",
    "admin-role",
    "botnet",
    "content-preview",
    "application-status",
    "application-tag",
    "application-filter",
    "ssl-decrypt",
    "global-protect",
    "group-mapping",
    "redistribution-agent",
    "captive-portal",
    "authentication-object",
    "device-object",
    "hip-objects",
    "hip-profiles",
    "ts-agent",
    "vm-info-source",
    "cloud-identity-engine",
    "log-interface",
    "scep",
    "sslvpn",
    "data-objects",
    "mfa-server-profile",
    "saml-idp-profile",
    "saml-sp-profile",
    "alg",
    "qos",
    "dos-protection",
    "zone-protection",
    "url-filtering",
    "credential-enforcement",
    "override",
];

/// Vsys-level sections read here.
const VSYS_READ: &[&str] = &[
    "zone",
    "address",
    "address-group",
    "service",
    "service-group",
    "application",
    "application-group",
    "rulebase",
    "alg-override",
];

/// Rulebases with no bearing on VoIP through the firewall.
const RULEBASE_IGNORED: &[&str] = &[
    "pbf",
    "qos",
    "decryption",
    "authentication",
    "tunnel-inspect",
    "sdwan",
    "network-packet-broker",
    "dos",
    "captive-portal",
];

/// Interface management profile services and their ports (the firewall's own services on a
/// dataplane interface; PAN-OS web help "Network › Network Profiles › Interface Mgmt").
pub(super) const MGMT_SERVICES: &[(&str, Protocol, u16, u16)] = &[
    ("telnet", Protocol::Tcp, 23, 23),
    ("ssh", Protocol::Tcp, 22, 22),
    ("http", Protocol::Tcp, 80, 80),
    ("https", Protocol::Tcp, 443, 443),
    ("http-ocsp", Protocol::Tcp, 6080, 6080),
    ("snmp", Protocol::Udp, 161, 161),
    ("response-pages", Protocol::Tcp, 6080, 6082),
    ("userid-service", Protocol::Tcp, 5007, 5007),
    ("userid-syslog-listener-ssl", Protocol::Tcp, 6514, 6514),
    ("userid-syslog-listener-udp", Protocol::Udp, 514, 514),
];

fn word<'t>(toks: &'t [Tok<'_>], index: usize) -> Option<&'t str> {
    toks.get(index).and_then(Tok::word)
}

fn name<'a>(toks: &[Tok<'a>], index: usize) -> Option<Name<'a>> {
    toks.get(index).and_then(Tok::name)
}

/// A value token as a field (an empty list when the statement ends before it).
fn value<'a>(tok: Option<&Tok<'a>>) -> Value<'a> {
    tok.map(|t| t.value.clone()).unwrap_or_default()
}

fn yes(tok: Option<&Tok>) -> Option<bool> {
    match tok.and_then(Tok::word) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

/// `5060,10000-20000` (or a list of such) as a port set; `None` when a part is not a port.
pub(super) fn parse_ports<'x>(items: impl IntoIterator<Item = &'x str>) -> Option<Ports> {
    let mut ranges = Vec::new();
    for item in items {
        for part in item.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let range = match part.split_once('-') {
                Some((a, b)) => {
                    PortRange::new(a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)
                }
                None => PortRange::single(part.parse::<u16>().ok()?),
            };
            ranges.push(range);
        }
    }
    (!ranges.is_empty()).then(|| Ports::from_ranges(ranges))
}

fn parse_seconds(tok: Option<&Tok>) -> Option<u32> {
    tok.and_then(Tok::word)?.parse::<u32>().ok()
}

/// `ip-netmask` values: `10.0.0.0/8`, `10.1.1.1` (a host), `2001:db8::/32`.
pub(super) fn parse_net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// `10.0.0.1-10.0.0.20`.
pub(super) fn parse_range(text: &str) -> Option<(IpAddr, IpAddr)> {
    let (a, b) = text.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Where a statement belongs, and where its path goes on after the scope prefix.
fn scope<'a>(toks: &[Tok<'a>]) -> (Scope<'a>, usize) {
    let default = || Scope::Vsys(Cow::Borrowed(DEFAULT_VSYS));
    let mut i = 0;
    // The XML API envelope.
    if word(toks, i) == Some("response") {
        i += 1;
        if word(toks, i) == Some("result") {
            i += 1;
        }
    }
    if word(toks, i) == Some("config") {
        i += 1;
    }
    match word(toks, i) {
        None => (Scope::Ignored, i),
        Some("shared") => (Scope::Shared, i + 1),
        Some("mgt-config" | "readonly" | "cli") => (Scope::Ignored, i),
        Some("policy") => {
            // Rules pushed by Panorama live here; an empty container is nothing.
            if toks.len() <= i + 2 {
                (Scope::Ignored, i)
            } else {
                (Scope::Unknown, i)
            }
        }
        Some("devices") => {
            let at = i + 2;
            match word(toks, at) {
                Some("vsys") => match name(toks, at + 1) {
                    Some(vsys) => (Scope::Vsys(vsys), at + 2),
                    None => (Scope::Ignored, at),
                },
                Some(key) if VSYS_READ.contains(&key) || VSYS_IGNORED.contains(&key) => {
                    (default(), at)
                }
                Some(_) => (Scope::Device, at),
                None => (Scope::Ignored, at),
            }
        }
        Some("vsys") => match name(toks, i + 1) {
            Some(vsys) => (Scope::Vsys(vsys), i + 2),
            None => (Scope::Ignored, i),
        },
        Some("deviceconfig" | "network") => (Scope::Device, i),
        Some(key) if VSYS_READ.contains(&key) || VSYS_IGNORED.contains(&key) => (default(), i),
        Some(_) => (Scope::Unknown, i),
    }
}

/// Reads statements one at a time into a [`Config`], classifying each.
pub(super) struct Collector<'s, 'a> {
    source: &'s Source,
    config: Config<'a>,
    /// The line of the statement being read.
    line: u32,
}

/// Adds the line of the current statement to a rule's spans, once.
fn note_line(spans: &mut Vec<Span>, span: Span) {
    if spans.last() != Some(&span) {
        spans.push(span);
    }
}

impl<'s, 'a> Collector<'s, 'a> {
    pub fn new(source: &'s Source) -> Self {
        Collector {
            source,
            config: Config::default(),
            line: 0,
        }
    }

    pub fn finish(self) -> Config<'a> {
        self.config
    }

    /// Reads one statement (on `line`); returns its class.
    pub fn stmt(&mut self, line: u32, toks: &[Tok<'a>]) -> LineClass {
        self.line = line;
        let (scope, at) = scope(toks);
        let rest = toks.get(at..).unwrap_or(&[]);
        match scope {
            Scope::Ignored => LineClass::Ignored,
            Scope::Unknown => LineClass::Unknown,
            Scope::Device => self.device(rest),
            Scope::Shared => self.shared(rest),
            Scope::Vsys(name) => self.vsys(&name, rest),
        }
    }

    fn span(&self) -> Span {
        self.source.line_span(self.line)
    }

    fn device(&mut self, rest: &[Tok<'a>]) -> LineClass {
        match word(rest, 0) {
            Some("deviceconfig") => {
                if word(rest, 1) == Some("setting")
                    && word(rest, 2) == Some("session")
                    && word(rest, 3) == Some("timeout-udp")
                {
                    return match parse_seconds(rest.get(4)) {
                        Some(seconds) => {
                            self.config.udp_timeout = Some((seconds, self.span()));
                            LineClass::Understood
                        }
                        None => LineClass::Unknown,
                    };
                }
                LineClass::Ignored
            }
            Some("network") => self.network(rest.get(1..).unwrap_or(&[])),
            // Panorama device groups and templates hold policies not evaluated here.
            Some("device-group" | "template" | "template-stack") => LineClass::Unknown,
            Some(_) | None => LineClass::Ignored,
        }
    }

    fn network(&mut self, rest: &[Tok<'a>]) -> LineClass {
        match word(rest, 0) {
            Some("interface") => {
                let Some(at) = rest
                    .iter()
                    .position(|t| t.word() == Some("interface-management-profile"))
                else {
                    return LineClass::Ignored;
                };
                let Some(profile) = name(rest, at + 1) else {
                    return LineClass::Understood;
                };
                // `interface ethernet NAME [layer3] [units SUB] interface-management-profile P`,
                // `interface vlan|loopback|tunnel [units SUB] interface-management-profile P`.
                let head = rest.get(..at).unwrap_or(&[]);
                let interface = match head.iter().position(|t| t.word() == Some("units")) {
                    Some(units) => name(head, units + 1),
                    None => match word(head, 1) {
                        Some("ethernet" | "aggregate-ethernet") => name(head, 2),
                        _ => name(head, 1),
                    },
                };
                match interface {
                    Some(interface) => {
                        let span = self.span();
                        self.config
                            .interface_profiles
                            .push((interface, profile, span));
                        LineClass::Understood
                    }
                    None => LineClass::Unknown,
                }
            }
            Some("profiles") if word(rest, 1) == Some("interface-management-profile") => {
                let Some(profile) = name(rest, 2) else {
                    return LineClass::Understood;
                };
                let span = self.span();
                let profile = self.config.mgmt_profiles.entry(profile).or_default();
                mgmt_keys(profile, rest.get(3..).unwrap_or(&[]), span)
            }
            _ => LineClass::Ignored,
        }
    }

    fn shared(&mut self, rest: &[Tok<'a>]) -> LineClass {
        match word(rest, 0) {
            None => LineClass::Ignored,
            Some("alg-override") => self.alg_override(rest.get(1..).unwrap_or(&[])),
            Some(key) if VSYS_READ.contains(&key) && key != "rulebase" => {
                let span = self.span();
                let tail = rest.get(1..).unwrap_or(&[]);
                objects(&mut self.config.shared, key, tail, span)
            }
            // Panorama's shared pre/post rulebases are not a firewall's policy.
            Some("pre-rulebase" | "post-rulebase") => LineClass::Unknown,
            Some(key) if VSYS_IGNORED.contains(&key) => LineClass::Ignored,
            Some(_) => LineClass::Unknown,
        }
    }

    fn alg_override(&mut self, rest: &[Tok<'a>]) -> LineClass {
        // `alg-override application APP alg-disabled yes|no`
        match (word(rest, 0), name(rest, 1), word(rest, 2)) {
            (Some("application"), Some(app), Some("alg-disabled")) => match yes(rest.get(3)) {
                Some(disabled) => {
                    let span = self.span();
                    self.config.alg_overrides.insert(app, (disabled, span));
                    LineClass::Understood
                }
                None => LineClass::Unknown,
            },
            (Some("application"), _, None) | (None, _, _) => LineClass::Understood,
            _ => LineClass::Unknown,
        }
    }

    fn vsys(&mut self, name: &Name<'a>, rest: &[Tok<'a>]) -> LineClass {
        let span = self.span();
        if word(rest, 0) == Some("alg-override") {
            return self.alg_override(rest.get(1..).unwrap_or(&[]));
        }
        let vsys = self.config.vsys_mut(name);
        let tail = rest.get(1..).unwrap_or(&[]);
        match word(rest, 0) {
            None => LineClass::Understood,
            Some("zone") => zone(vsys, tail),
            Some("rulebase") => rulebase(vsys, tail, span),
            Some(key) if VSYS_READ.contains(&key) => objects(&mut vsys.objects, key, tail, span),
            Some(key) if VSYS_IGNORED.contains(&key) => LineClass::Ignored,
            Some(_) => LineClass::Unknown,
        }
    }
}

fn mgmt_keys<'a>(profile: &mut MgmtProfile<'a>, mut rest: &[Tok<'a>], span: Span) -> LineClass {
    while let Some(key) = rest.first().and_then(Tok::name) {
        match key.as_ref() {
            "permitted-ip" => match rest.get(1) {
                Some(value) => profile
                    .permitted_ip
                    .extend(value.value.items().iter().cloned()),
                None => return LineClass::Understood,
            },
            "ping" => {}
            service if MGMT_SERVICES.iter().any(|(s, ..)| *s == service) => {
                match yes(rest.get(1)) {
                    Some(on) => {
                        profile.services.retain(|(s, ..)| *s != key);
                        profile.services.push((key, on, span));
                    }
                    None => return LineClass::Unknown,
                }
            }
            _ => return LineClass::Unknown,
        }
        rest = rest.get(2..).unwrap_or(&[]);
    }
    LineClass::Understood
}

fn zone<'a>(vsys: &mut Vsys<'a>, rest: &[Tok<'a>]) -> LineClass {
    let Some(zone) = name(rest, 0) else {
        return LineClass::Understood;
    };
    let index = match vsys.zones.iter().position(|(n, _)| *n == zone) {
        Some(index) => index,
        None => {
            vsys.zones.push((zone, Vec::new()));
            vsys.zones.len() - 1
        }
    };
    match (word(rest, 1), word(rest, 2)) {
        (None, _) => LineClass::Understood,
        (
            Some("network"),
            Some("layer3" | "layer2" | "virtual-wire" | "tap" | "tunnel" | "external"),
        ) => {
            if let Some(members) = rest.get(3)
                && let Some((_, interfaces)) = vsys.zones.get_mut(index)
            {
                for member in members.value.items() {
                    if !interfaces.contains(member) {
                        interfaces.push(member.clone());
                    }
                }
            }
            LineClass::Understood
        }
        (Some("network"), None) => LineClass::Understood,
        // zone protection profile, log setting, user identification, ACLs: no bearing here.
        _ => LineClass::Ignored,
    }
}

/// Address, group, service, service group, application and application group definitions.
fn objects<'a>(objects: &mut Objects<'a>, kind: &str, rest: &[Tok<'a>], span: Span) -> LineClass {
    let Some(object) = name(rest, 0) else {
        return LineClass::Understood;
    };
    let tail = rest.get(1..).unwrap_or(&[]);
    match kind {
        "address" => address(objects, object, tail),
        "address-group" => {
            let group = objects.groups.entry(object).or_default();
            match (word(tail, 0), tail.get(1)) {
                (None, _) | (Some("static"), None) => LineClass::Understood,
                (Some("static"), Some(members)) => {
                    group.members = members.value.clone();
                    LineClass::Understood
                }
                (Some("dynamic"), _) => {
                    group.dynamic = true;
                    LineClass::Understood
                }
                (Some("description" | "tag" | "disable-override"), _) => LineClass::Ignored,
                _ => LineClass::Unknown,
            }
        }
        "service" => {
            let service = objects.services.entry(object).or_default();
            note_line(&mut service.spans, span);
            service_keys(service, tail)
        }
        "service-group" => match (word(tail, 0), tail.get(1)) {
            (Some("members"), Some(members)) => {
                objects.service_groups.insert(object, members.value.clone());
                LineClass::Understood
            }
            (None, _) | (Some("members"), None) => {
                objects.service_groups.entry(object).or_default();
                LineClass::Understood
            }
            (Some("tag" | "disable-override"), _) => LineClass::Ignored,
            _ => LineClass::Unknown,
        },
        "application" => {
            let app = objects.applications.entry(object).or_default();
            note_line(&mut app.spans, span);
            application_keys(app, tail)
        }
        "application-group" => match (word(tail, 0), tail.get(1)) {
            (Some("members"), Some(members)) => {
                objects.app_groups.insert(object, members.value.clone());
                LineClass::Understood
            }
            (None, _) | (Some("members"), None) => LineClass::Understood,
            (Some("tag" | "disable-override"), _) => LineClass::Ignored,
            _ => LineClass::Unknown,
        },
        _ => LineClass::Unknown,
    }
}

fn address<'a>(objects: &mut Objects<'a>, object: Name<'a>, tail: &[Tok<'a>]) -> LineClass {
    let value = tail.get(1).and_then(Tok::word);
    let def = match (word(tail, 0), value) {
        (None, _) => return LineClass::Understood,
        (Some("description" | "tag" | "disable-override"), _) => return LineClass::Ignored,
        (Some("ip-netmask"), Some(v)) => parse_net(v).map(AddressDef::Net),
        (Some("ip-range"), Some(v)) => parse_range(v).map(|(a, b)| AddressDef::Range(a, b)),
        (Some("fqdn"), Some(v)) => Some(AddressDef::Fqdn(v.to_string())),
        (Some("ip-wildcard"), Some(_)) => Some(AddressDef::Opaque),
        _ => None,
    };
    match def {
        Some(def) => {
            objects.addresses.insert(object, def);
            LineClass::Understood
        }
        None => {
            objects.addresses.insert(object, AddressDef::Opaque);
            LineClass::Unknown
        }
    }
}

/// `protocol udp|tcp|sctp (port P | source-port P | override (no | yes [timeout N …]))…`
fn service_keys(service: &mut ServiceDef, tail: &[Tok]) -> LineClass {
    let mut rest = tail;
    while let Some(key) = rest.first().and_then(Tok::word) {
        match key {
            "description" | "tag" | "disable-override" => return LineClass::Understood,
            "protocol" => {
                service.protocol = match word(rest, 1) {
                    Some("tcp") => Some(ServiceProtocol::Tcp),
                    Some("udp") => Some(ServiceProtocol::Udp),
                    Some("sctp") => Some(ServiceProtocol::Sctp),
                    None => return LineClass::Understood,
                    Some(_) => {
                        service.bad = true;
                        return LineClass::Unknown;
                    }
                };
                rest = rest.get(2..).unwrap_or(&[]);
            }
            "port" | "source-port" => {
                let Some(value) = rest.get(1) else {
                    return LineClass::Understood;
                };
                let ports = parse_ports(value.value.items().iter().map(|i| i.as_ref()));
                if ports.is_none() {
                    service.bad = true;
                    return LineClass::Unknown;
                }
                if key == "port" {
                    service.ports = ports;
                } else {
                    service.source_ports = ports;
                }
                rest = rest.get(2..).unwrap_or(&[]);
            }
            "override" => {
                rest = rest.get(1..).unwrap_or(&[]);
                match word(rest, 0) {
                    Some("no") | None => rest = rest.get(1..).unwrap_or(&[]),
                    Some("yes") => {
                        rest = rest.get(1..).unwrap_or(&[]);
                        while let Some(k) = word(rest, 0) {
                            match k {
                                "timeout" => service.timeout = parse_seconds(rest.get(1)),
                                "halfclose-timeout" | "timewait-timeout" => {}
                                _ => break,
                            }
                            rest = rest.get(2..).unwrap_or(&[]);
                        }
                    }
                    Some(_) => return LineClass::Unknown,
                }
            }
            _ => return LineClass::Unknown,
        }
    }
    LineClass::Understood
}

/// Custom application keys: default ports and timeouts are read, the descriptive keys ignored.
fn application_keys(app: &mut AppDef, tail: &[Tok]) -> LineClass {
    match word(tail, 0) {
        None => LineClass::Understood,
        Some("default") => match word(tail, 1) {
            Some("port") => {
                let Some(value) = tail.get(2) else {
                    return LineClass::Understood;
                };
                let mut ok = true;
                for item in value.value.items() {
                    // `udp/5060`, `tcp/5060,5061`, `tcp/dynamic`
                    let parsed = item.split_once('/').and_then(|(proto, ports)| {
                        let proto = match proto {
                            "udp" => Protocol::Udp,
                            "tcp" => Protocol::Tcp,
                            _ => return None,
                        };
                        if ports == "dynamic" {
                            return Some(None);
                        }
                        Some(parse_ports([ports]).map(|p| (proto, p)))
                    });
                    match parsed {
                        Some(Some(pair)) => app.default_ports.push(pair),
                        Some(None) => {}
                        None => ok = false,
                    }
                }
                if ok {
                    LineClass::Understood
                } else {
                    LineClass::Unknown
                }
            }
            _ => LineClass::Ignored,
        },
        Some("timeout") => match parse_seconds(tail.get(1)) {
            Some(seconds) => {
                app.timeout = Some(seconds);
                LineClass::Understood
            }
            None => LineClass::Unknown,
        },
        Some("udp-timeout") => match parse_seconds(tail.get(1)) {
            Some(seconds) => {
                app.udp_timeout = Some(seconds);
                LineClass::Understood
            }
            None => LineClass::Unknown,
        },
        // category, subcategory, technology, risk, signatures, TCP timers, …
        Some(_) => LineClass::Ignored,
    }
}

fn rulebase<'a>(vsys: &mut Vsys<'a>, rest: &[Tok<'a>], span: Span) -> LineClass {
    let kind = word(rest, 0);
    if kind.is_some_and(|k| RULEBASE_IGNORED.contains(&k)) {
        return LineClass::Ignored;
    }
    match (kind, word(rest, 1), name(rest, 2)) {
        (None, ..) | (Some(_), None, _) | (Some(_), Some("rules"), None) => LineClass::Understood,
        (Some(kind), Some("rules"), Some(rule)) => {
            let keys = skip_uuid(rest.get(3..).unwrap_or(&[]));
            match kind {
                "security" => {
                    let entry = vsys.security.entry(&rule, |_| SecurityRule::default());
                    note_line(&mut entry.spans, span);
                    security_keys(entry, keys)
                }
                "nat" => {
                    let entry = vsys.nat.entry(&rule, |_| NatRule::default());
                    note_line(&mut entry.spans, span);
                    nat_keys(entry, keys)
                }
                "application-override" => {
                    let entry = vsys.overrides.entry(&rule, |n| OverrideRule {
                        name: n.clone(),
                        ..OverrideRule::default()
                    });
                    note_line(&mut entry.spans, span);
                    override_keys(entry, keys)
                }
                "default-security-rules" => match (word(keys, 0), name(keys, 1)) {
                    (Some("action"), Some(action)) => {
                        vsys.default_rules.insert(rule, (action, span));
                        LineClass::Understood
                    }
                    (None, _) => LineClass::Understood,
                    // tags, logging, profiles of the default rules
                    _ => LineClass::Ignored,
                },
                _ => LineClass::Unknown,
            }
        }
        _ => LineClass::Unknown,
    }
}

/// Set-form exports may write a rule's UUID right after its name.
fn skip_uuid<'t, 'a>(keys: &'t [Tok<'a>]) -> &'t [Tok<'a>] {
    let looks_like_uuid = |w: &str| {
        w.len() == 36 && w.chars().all(|c| c.is_ascii_hexdigit() || c == '-') && w.contains('-')
    };
    match keys.first().and_then(Tok::word) {
        Some(w) if looks_like_uuid(w) => keys.get(1..).unwrap_or(&[]),
        _ => keys,
    }
}

/// Keys that carry no matching or action (descriptions, logging, tags).
const INERT_KEYS: &[&str] = &[
    "description",
    "tag",
    "group-tag",
    "log-setting",
    "log-start",
    "log-end",
    "uuid",
    "icmp-unreachable",
    "audit-comment",
    "active-active-device-binding",
    "nat-type",
];

/// `key value` pairs of a nested block while the key is one of `keys`; returns tokens used.
fn pairs(rest: &[Tok], keys: &[&str]) -> usize {
    let mut used = 0;
    while word(rest, used).is_some_and(|k| keys.contains(&k)) {
        used += if rest.get(used + 1).is_some() { 2 } else { 1 };
    }
    used
}

/// The tokens a nested key uses (`profile-setting group G`, `option … yes`, `qos marking …`),
/// `None` for an unknown nested key.
fn nested(key: &str, rest: &[Tok]) -> Option<usize> {
    match key {
        "profile-setting" => match word(rest, 0) {
            Some("group") => Some(rest.len().min(2)),
            Some("profiles") => {
                let kinds = [
                    "virus",
                    "spyware",
                    "vulnerability",
                    "url-filtering",
                    "file-blocking",
                    "wildfire-analysis",
                    "data-filtering",
                ];
                Some(1 + pairs(rest.get(1..).unwrap_or(&[]), &kinds))
            }
            None => Some(0),
            Some(_) => None,
        },
        "option" => Some(pairs(rest, &["disable-server-response-inspection"])),
        "qos" => match word(rest, 0) {
            Some("marking") => match word(rest, 1) {
                Some("ip-dscp" | "ip-precedence") => Some(rest.len().min(3)),
                Some("follow-c2s-flow") | None => Some(rest.len().min(2)),
                Some(_) => None,
            },
            None => Some(0),
            Some(_) => None,
        },
        // Panorama targets: the rest of the statement.
        "target" => Some(rest.len()),
        _ => None,
    }
}

fn security_keys<'a>(rule: &mut SecurityRule<'a>, keys: &[Tok<'a>]) -> LineClass {
    let mut rest = keys;
    while let Some(key) = rest.first().and_then(Tok::word) {
        let value = rest.get(1);
        let mut used = 2;
        match key {
            "from" | "to" | "source" | "destination" | "application" | "service" => {
                let Some(value) = value else { break };
                let field = value.value.clone();
                match key {
                    "from" => rule.from = field,
                    "to" => rule.to = field,
                    "source" => rule.source = field,
                    "destination" => rule.destination = field,
                    "application" => rule.application = field,
                    _ => rule.service = field,
                }
            }
            "action" => rule.action = value.and_then(Tok::name),
            "disabled" => rule.disabled = yes(value).unwrap_or(false),
            "negate-source" => rule.negate_source = yes(value).unwrap_or(false),
            "negate-destination" => rule.negate_destination = yes(value).unwrap_or(false),
            "rule-type" => rule.rule_type = value.and_then(Tok::name),
            "source-user" | "category" | "source-hip" | "destination-hip" | "hip-profiles"
            | "source-imei" | "source-imsi" | "source-nw-slice" | "schedule" => {
                let any = value.is_some_and(|v| v.value.items().iter().all(|i| i == "any"));
                if !any || key == "schedule" {
                    let narrowed: &'static str = match key {
                        "source-user" => "source-user",
                        "category" => "category",
                        "schedule" => "schedule",
                        _ => "hip-or-subscriber",
                    };
                    if !rule.narrowed.contains(&narrowed) {
                        rule.narrowed.push(narrowed);
                    }
                }
            }
            _ if INERT_KEYS.contains(&key) => {}
            _ => match nested(key, rest.get(1..).unwrap_or(&[])) {
                Some(n) => used = 1 + n,
                None => return LineClass::Unknown,
            },
        }
        rest = rest.get(used..).unwrap_or(&[]);
    }
    LineClass::Understood
}

fn nat_keys<'a>(rule: &mut NatRule<'a>, keys: &[Tok<'a>]) -> LineClass {
    let mut rest = keys;
    while let Some(key) = rest.first().and_then(Tok::word) {
        let tok = rest.get(1);
        let mut used = 2;
        match key {
            "from" => rule.from = value(tok),
            "to" => rule.to = value(tok),
            "source" => rule.source = value(tok),
            "destination" => rule.destination = value(tok),
            "service" => rule.service = tok.and_then(Tok::name),
            "disabled" => rule.disabled = yes(tok).unwrap_or(false),
            "to-interface" => rule.to_interface = tok.and_then(Tok::name),
            "source-translation" => match source_translation(rule, rest.get(1..).unwrap_or(&[])) {
                Some(n) => used = 1 + n,
                None => return LineClass::Unknown,
            },
            "destination-translation" | "dynamic-destination-translation" => {
                rule.destination_translation = true;
                used = 1 + destination_translation(rule, rest.get(1..).unwrap_or(&[]));
            }
            _ if INERT_KEYS.contains(&key) => {}
            "target" => used = rest.len(),
            _ => return LineClass::Unknown,
        }
        rest = rest.get(used..).unwrap_or(&[]);
    }
    if rule.bad {
        LineClass::Unknown
    } else {
        LineClass::Understood
    }
}

/// `dynamic-ip-and-port (interface-address interface I [ip A] | translated-address [..])`,
/// `dynamic-ip translated-address [..] [fallback …]`, `static-ip translated-address A
/// [bi-directional yes]`.
fn source_translation<'a>(rule: &mut NatRule<'a>, rest: &[Tok<'a>]) -> Option<usize> {
    let kind = match word(rest, 0)? {
        "dynamic-ip-and-port" => SourceTranslation::Dipp,
        "dynamic-ip" => SourceTranslation::DynamicIp,
        "static-ip" => SourceTranslation::StaticIp,
        _ => return None,
    };
    let sub = rest.get(1..).unwrap_or(&[]);
    rule.source_translation = Some(kind);
    let mut used = 0;
    loop {
        match word(sub, used) {
            Some("translated-address") => {
                if kind == SourceTranslation::StaticIp {
                    rule.static_translated = name(sub, used + 1);
                }
                used += 2;
            }
            Some("bi-directional") => {
                rule.bi_directional = yes(sub.get(used + 1)).unwrap_or(false);
                used += 2;
            }
            Some("interface-address") => {
                used += 1;
                used += pairs(
                    sub.get(used..).unwrap_or(&[]),
                    &["interface", "ip", "floating-ip"],
                );
            }
            Some("fallback") => {
                used += 1;
                loop {
                    match word(sub, used) {
                        Some("translated-address") => used += 2,
                        Some("interface-address") => {
                            used += 1;
                            used += pairs(
                                sub.get(used..).unwrap_or(&[]),
                                &["interface", "ip", "floating-ip", "type"],
                            );
                        }
                        _ => break,
                    }
                }
            }
            _ => break,
        }
    }
    Some(1 + used.min(sub.len()))
}

/// `translated-address A [translated-port P] [distribution …] [dns-rewrite direction …]`;
/// returns the tokens used.
fn destination_translation<'a>(rule: &mut NatRule<'a>, rest: &[Tok<'a>]) -> usize {
    let mut used = 0;
    loop {
        match word(rest, used) {
            Some("translated-address") => {
                rule.translated_address = name(rest, used + 1);
                used += 2;
            }
            Some("translated-port") => {
                match word(rest, used + 1).map(str::parse::<u16>) {
                    Some(Ok(port)) => rule.translated_port = Some(port),
                    Some(Err(_)) => rule.bad = true,
                    None => {}
                }
                used += 2;
            }
            Some("distribution") => used += 2,
            Some("dns-rewrite") => {
                used += 1;
                used += pairs(rest.get(used..).unwrap_or(&[]), &["direction"]);
            }
            _ => break,
        }
    }
    used.min(rest.len())
}

fn override_keys<'a>(rule: &mut OverrideRule<'a>, keys: &[Tok<'a>]) -> LineClass {
    let mut rest = keys;
    while let Some(key) = rest.first().and_then(Tok::word) {
        let tok = rest.get(1);
        match key {
            "from" => rule.from = value(tok),
            "to" => rule.to = value(tok),
            "source" => rule.source = value(tok),
            "destination" => rule.destination = value(tok),
            "protocol" => {
                rule.protocol = match tok.and_then(Tok::word) {
                    Some("udp") => Some(Protocol::Udp),
                    Some("tcp") => Some(Protocol::Tcp),
                    None => None,
                    Some(_) => {
                        rule.bad = true;
                        return LineClass::Unknown;
                    }
                }
            }
            "port" => {
                if let Some(tok) = tok {
                    rule.ports = parse_ports(tok.value.items().iter().map(|i| i.as_ref()));
                    if rule.ports.is_none() {
                        rule.bad = true;
                        return LineClass::Unknown;
                    }
                }
            }
            "application" => rule.application = tok.and_then(Tok::name),
            "disabled" => rule.disabled = yes(tok).unwrap_or(false),
            "negate-source" | "negate-destination" => {}
            "target" => break,
            _ if INERT_KEYS.contains(&key) => {}
            _ => return LineClass::Unknown,
        }
        rest = rest.get(2..).unwrap_or(&[]);
    }
    LineClass::Understood
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::formats::panos::read::read_set;

    pub(crate) fn collect(source: &Source) -> (Config<'_>, Vec<LineClass>) {
        let mut collector = Collector::new(source);
        let mut classes = Vec::new();
        read_set(source, &mut |line, toks| {
            classes.push(collector.stmt(line, toks))
        });
        (collector.finish(), classes)
    }

    fn collected(text: &str) -> (Config<'static>, Vec<LineClass>) {
        let source: &'static Source = Box::leak(Box::new(Source::new("t", text)));
        collect(source)
    }

    #[test]
    fn one_line_rules_and_split_rules_agree() {
        let (one, classes) = collected(
            "set rulebase security rules R from trust to untrust source any destination any \
             application sip service application-default action allow\n",
        );
        assert_eq!(classes, [LineClass::Understood]);
        let (split, _) = collected(
            "set rulebase security rules R from trust\nset rulebase security rules R to untrust\n\
             set rulebase security rules R application [ sip ]\n\
             set rulebase security rules R service application-default\n\
             set rulebase security rules R action allow\n",
        );
        let (a, b) = (
            &one.vsys(DEFAULT_VSYS).unwrap().security.list[0],
            &split.vsys(DEFAULT_VSYS).unwrap().security.list[0],
        );
        assert_eq!(
            (
                a.from.items(),
                a.to.items(),
                a.application.items(),
                a.service.items(),
                &a.action
            ),
            (
                b.from.items(),
                b.to.items(),
                b.application.items(),
                b.service.items(),
                &b.action
            )
        );
        assert_eq!(b.spans.len(), 5);
    }

    #[test]
    fn nat_translations() {
        let (config, classes) = collected(
            "set rulebase nat rules S from trust to untrust source any destination any service any \
             source-translation dynamic-ip-and-port interface-address interface ethernet1/1\n\
             set rulebase nat rules D from untrust to untrust destination 198.51.100.7 service svc \
             destination-translation translated-address 192.168.1.10 translated-port 5060\n\
             set rulebase nat rules X source-translation static-ip translated-address 198.51.100.9 \
             bi-directional yes\n",
        );
        assert!(classes.iter().all(|c| *c == LineClass::Understood));
        let nat = &config.vsys(DEFAULT_VSYS).unwrap().nat.list;
        assert_eq!(nat[0].source_translation, Some(SourceTranslation::Dipp));
        assert_eq!(nat[1].translated_address.as_deref(), Some("192.168.1.10"));
        assert_eq!(nat[1].translated_port, Some(5060));
        assert!(nat[2].bi_directional);
    }

    #[test]
    fn services_ports_and_bad_values() {
        let (config, classes) = collected(
            "set service voip protocol udp port 5060,10000-20000 source-port 1-65535\n\
             set service bad protocol udp port 99999\n",
        );
        assert_eq!(classes, [LineClass::Understood, LineClass::Unknown]);
        let objects = &config.vsys(DEFAULT_VSYS).unwrap().objects;
        assert_eq!(
            objects.services["voip"].ports,
            Some(Ports::from_ranges([
                PortRange::single(5060),
                PortRange::new(10000, 20000)
            ]))
        );
        assert_eq!(objects.services["voip"].source_ports, Some(Ports::Any));
        assert!(objects.services["bad"].bad);
    }

    #[test]
    fn scopes_and_sections() {
        let (config, classes) = collected(
            "set shared alg-override application sip alg-disabled yes\n\
             set deviceconfig system hostname fw\n\
             set deviceconfig setting session timeout-udp 300\n\
             set mgt-config users admin phash x\n\
             set network interface ethernet ethernet1/1 layer3 interface-management-profile m\n\
             set network profiles interface-management-profile m ssh yes permitted-ip 10.0.0.0/8\n\
             set vsys vsys2 zone dmz network layer3 ethernet1/3\n\
             set frobnicate x\n",
        );
        use LineClass::*;
        assert_eq!(
            classes,
            [
                Understood, Ignored, Understood, Ignored, Understood, Understood, Understood,
                Unknown
            ]
        );
        assert!(config.alg_overrides["sip"].0);
        assert_eq!(config.udp_timeout.map(|t| t.0), Some(300));
        assert_eq!(config.interface_profiles[0].0, "ethernet1/1");
        assert_eq!(config.mgmt_profiles["m"].permitted_ip, ["10.0.0.0/8"]);
        assert!(config.vsys("vsys2").is_some());
    }
}
