//! Junos statements read into device facts: SIP ALG, application timeouts, security policies
//! per path, host-inbound services, source / destination / static NAT, screens. The reader is
//! fed every active statement once (`feed`, which also says how well it understood it), then
//! `finish` resolves names (zones, address books, applications, pools) and builds the facts.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::rc::Rc;

use ipnet::{IpNet, Ipv4Net, Ipv4Subnets, Ipv6Net, Ipv6Subnets};
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};

use super::defaults;
use super::stmt::Stmt;
use super::tables::{self, Service};
use crate::coverage::LineClass;
use crate::device::{
    AlgState, BruteForce, DefaultAction, Device, Evidence, FilterRule, Forward, Offload, Path,
    SourceNat, UdpTimeout, Versioned,
};
use crate::formats::Hints;
use crate::source::{Source, Span};

/// Nesting bound for address sets and application sets (Junos allows 3 levels of sets).
const MAX_SET_DEPTH: usize = 8;
/// Most addresses (or application terms) one name may resolve to; a larger set is not
/// evaluated (its rule does not count, its lines are unknown).
const MAX_RESOLVED: usize = 1024;
/// `inactivity-timeout never`: sessions never age out.
const NEVER: u32 = u32::MAX;

/// Where a statement is: its index (for coverage) and its span.
#[derive(Debug, Clone, Copy)]
struct At {
    idx: usize,
    span: Span,
}

// ---------------------------------------------------------------- word helpers

/// `(key, values)` pairs of a statement tail: `source-address a destination-address [ b c ]
/// application any`; `flags` take no value; a port value may continue with `to N`.
fn pairs<'s>(stmt: &'s Stmt<'_>, from: usize, flags: &[&str]) -> Vec<(&'s str, Vec<&'s str>)> {
    let words = stmt.tail(from);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&key) = words.get(i) {
        i += 1;
        if flags.contains(&key) {
            out.push((key, Vec::new()));
            continue;
        }
        let mut values = Vec::new();
        if words.get(i) == Some(&"[") {
            i += 1;
            while let Some(&w) = words.get(i) {
                i += 1;
                if w == "]" {
                    break;
                }
                values.push(w);
            }
        } else if let Some(&value) = words.get(i) {
            values.push(value);
            i += 1;
            if words.get(i) == Some(&"to")
                && let Some(&end) = words.get(i + 1)
            {
                values.push("to");
                values.push(end);
                i += 2;
            }
        }
        out.push((key, values));
    }
    out
}

/// Values of a statement tail without list brackets.
fn values<'s>(stmt: &'s Stmt<'_>, from: usize) -> Vec<&'s str> {
    stmt.tail(from)
        .into_iter()
        .filter(|w| *w != "[" && *w != "]")
        .collect()
}

fn port(text: &str) -> Option<u16> {
    text.parse::<u16>()
        .ok()
        .or_else(|| tables::named_port(text))
}

/// `5060`, `5060-5070`, `sip`; `0` or `1-65535` means any.
fn port_range(text: &str) -> Option<PortRange> {
    match text.split_once('-') {
        Some((a, b)) if !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) => {
            Some(PortRange::new(a.parse().ok()?, b.parse().ok()?))
        }
        _ => {
            let p = port(text)?;
            Some(if p == 0 {
                PortRange::new(1, u16::MAX)
            } else {
                PortRange::single(p)
            })
        }
    }
}

/// Port values as `pairs` returns them: `5060`, `[ 5060 5061 ]`, `100 to 200`.
fn ports_of(values: &[&str]) -> Option<Ports> {
    let mut ranges = Vec::new();
    let mut i = 0;
    while let Some(&v) = values.get(i) {
        if values.get(i + 1) == Some(&"to") {
            let a = port(v)?;
            let b = port(values.get(i + 2)?)?;
            ranges.push(PortRange::new(a, b));
            i += 3;
        } else {
            ranges.push(port_range(v)?);
            i += 1;
        }
    }
    if ranges.is_empty() {
        return None;
    }
    Some(Ports::from_ranges(ranges))
}

/// `10.0.0.0/24`, `10.0.0.1` (a host), IPv6 alike.
fn net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// The covering prefixes of an address range (at most 2 × 128).
fn range_nets(a: &str, b: &str) -> Option<Vec<IpNet>> {
    let (a, b) = (
        strip_len(a).parse::<IpAddr>().ok()?,
        strip_len(b).parse::<IpAddr>().ok()?,
    );
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => Some(
            Ipv4Subnets::new(a.min(b), a.max(b), 0)
                .map(|n: Ipv4Net| IpNet::V4(n))
                .collect(),
        ),
        (IpAddr::V6(a), IpAddr::V6(b)) => Some(
            Ipv6Subnets::new(a.min(b), a.max(b), 0)
                .map(|n: Ipv6Net| IpNet::V6(n))
                .collect(),
        ),
        _ => None,
    }
}

fn strip_len(text: &str) -> &str {
    text.split('/').next().unwrap_or(text)
}

fn protocol(text: &str) -> Option<Protocol> {
    match text {
        "udp" | "17" => Some(Protocol::Udp),
        "tcp" | "6" => Some(Protocol::Tcp),
        _ => None,
    }
}

/// Zone names that say "outside".
pub fn looks_wan(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "untrust", "wan", "outside", "internet", "external", "public",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// Zone names that say "inside".
pub fn looks_lan(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !looks_wan(name)
        && [
            "trust", "lan", "inside", "internal", "private", "voice", "voip",
        ]
        .iter()
        .any(|k| n.contains(k))
}

// ---------------------------------------------------------------- collected objects

#[derive(Debug, Clone)]
struct Svc {
    name: String,
    except: bool,
    at: At,
}

#[derive(Debug, Default)]
struct Zone {
    interfaces: Vec<String>,
    services: Vec<Svc>,
    /// Interface-level `host-inbound-traffic system-services`, which replaces the zone's.
    if_services: HashMap<String, Vec<Svc>>,
    screen: Option<(String, At)>,
}

#[derive(Debug, Clone)]
enum AddrDef {
    Nets(Vec<IpNet>),
    Fqdn(String),
    /// Defined, but not as something the model holds (wildcard address).
    Opaque,
}

/// One address book: addresses and address sets (members: (is a set, name)).
#[derive(Debug, Default)]
struct Book {
    addresses: HashMap<String, AddrDef>,
    sets: HashMap<String, Vec<(bool, String)>>,
}

#[derive(Debug, Default, Clone)]
struct AppTerm {
    protocol: Option<String>,
    dst: Option<Ports>,
    dst_at: Option<At>,
    /// `source-port`; `None`: any.
    src: Option<Ports>,
    timeout: Option<(u32, At)>,
    alg: Option<String>,
    bad: bool,
}

impl AppTerm {
    /// This term with the application-level attributes filled in where it has none.
    fn over(&self, top: &AppTerm) -> AppTerm {
        AppTerm {
            protocol: self.protocol.clone().or_else(|| top.protocol.clone()),
            dst: self.dst.clone().or_else(|| top.dst.clone()),
            dst_at: self.dst_at.or(top.dst_at),
            src: self.src.clone().or_else(|| top.src.clone()),
            timeout: self.timeout.or(top.timeout),
            alg: self.alg.clone().or_else(|| top.alg.clone()),
            bad: self.bad || top.bad,
        }
    }
}

#[derive(Debug, Default)]
struct App {
    top: AppTerm,
    terms: Ordered<AppTerm>,
}

impl App {
    fn effective(&self) -> Vec<AppTerm> {
        if self.terms.items.is_empty() {
            vec![self.top.clone()]
        } else {
            self.terms
                .items
                .iter()
                .map(|(_, t)| t.over(&self.top))
                .collect()
        }
    }
}

/// A protocol (`None`: any), destination ports and source ports an application matches.
type AppPorts = (Option<Protocol>, Ports, Ports);

/// Name → what it resolved to (`None`: it does not resolve, or is being resolved).
type Resolved<T> = HashMap<String, Option<Rc<Vec<T>>>>;

/// Names resolved once each: address sets and application sets shared by many policies.
#[derive(Debug, Default)]
struct Memo {
    /// Zone ("" for none) → name → addresses.
    addresses: HashMap<String, Resolved<Address>>,
    apps: Resolved<AppPorts>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Ctx {
    Zones(String, String),
    Global,
}

#[derive(Debug)]
struct Pol {
    ctx: Ctx,
    src: Vec<(String, usize)>,
    dst: Vec<(String, usize)>,
    apps: Vec<(String, usize)>,
    from_zones: Vec<String>,
    to_zones: Vec<String>,
    action: Option<Action>,
    offload: bool,
    conditional: bool,
    /// `source-address-excluded` / `destination-address-excluded`.
    src_excluded: bool,
    dst_excluded: bool,
    stmts: Vec<usize>,
    spans: Vec<Span>,
}

impl Pol {
    fn new(ctx: Ctx) -> Pol {
        Pol {
            ctx,
            src: Vec::new(),
            dst: Vec::new(),
            apps: Vec::new(),
            from_zones: Vec::new(),
            to_zones: Vec::new(),
            action: None,
            offload: false,
            conditional: false,
            src_excluded: false,
            dst_excluded: false,
            stmts: Vec::new(),
            spans: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PoolPort {
    Default,
    NoTranslation,
    Translated,
}

#[derive(Debug)]
struct SnatPool {
    port: PoolPort,
    port_at: Option<At>,
}

#[derive(Debug, Default)]
struct DnatPool {
    address: Option<IpAddr>,
    port: Option<u16>,
    spans: Vec<Span>,
}

#[derive(Debug, Clone)]
enum NatThen {
    Off,
    Interface,
    Pool(String),
    Prefix(IpNet),
    PrefixName(String),
    Other,
}

#[derive(Debug, Default)]
struct NatRule {
    ports: Option<Ports>,
    ports_at: Option<At>,
    protocols: Vec<String>,
    sources: Vec<String>,
    source_names: Vec<(String, usize)>,
    then: Option<(NatThen, At)>,
    mapped: Option<Ports>,
    stmts: Vec<usize>,
}

#[derive(Debug, Default)]
struct RuleSet {
    from_zones: Vec<String>,
    from_ifs: Vec<String>,
    from_other: bool,
    to_zones: Vec<String>,
    to_ifs: Vec<String>,
    to_other: bool,
    rules: Ordered<NatRule>,
    stmts: Vec<usize>,
}

#[derive(Debug, Default)]
struct Screen {
    syn_source: Option<At>,
    limit_source: Option<At>,
}

/// Ordered map: names in first-seen order, for deterministic output.
#[derive(Debug)]
struct Ordered<T> {
    index: HashMap<String, usize>,
    items: Vec<(String, T)>,
}

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered {
            index: HashMap::new(),
            items: Vec::new(),
        }
    }
}

impl<T: Default> Ordered<T> {
    fn new() -> Self {
        Ordered::default()
    }

    fn entry(&mut self, name: &str) -> &mut T {
        let at = match self.index.get(name) {
            Some(&at) => at,
            None => {
                self.items.push((name.to_string(), T::default()));
                self.index.insert(name.to_string(), self.items.len() - 1);
                self.items.len() - 1
            }
        };
        &mut self.items[at].1
    }

    fn get(&self, name: &str) -> Option<&T> {
        self.index
            .get(name)
            .and_then(|&at| self.items.get(at))
            .map(|(_, t)| t)
    }
}

// ---------------------------------------------------------------- the reader

pub struct Reader<'a> {
    source: &'a Source,
    /// A `security` statement was seen (an SRX / vSRX, not a router).
    pub srx: bool,
    version: Option<Versioned>,
    alg_disable: Option<At>,
    alg_knobs: Vec<At>,
    zones: Ordered<Zone>,
    /// Address books by name: `global`, `zone:Z` (a zone's own book) or a named book.
    books: HashMap<String, Book>,
    /// Zone → named address books attached to it.
    attached: HashMap<String, Vec<String>>,
    apps: Ordered<App>,
    app_sets: HashMap<String, Vec<(bool, String)>>,
    policies: Vec<(String, Pol)>,
    policy_index: HashMap<(Ctx, String), usize>,
    /// The policy the previous policy statement belonged to.
    last_policy: Option<usize>,
    default_policy: Option<(Action, At)>,
    snat_pools: HashMap<String, SnatPool>,
    snat: Ordered<RuleSet>,
    dnat_pools: HashMap<String, DnatPool>,
    dnat: Ordered<RuleSet>,
    static_nat: Ordered<RuleSet>,
    screens: HashMap<String, Screen>,
    /// Interface (with and without its unit) → zone, built when the facts are made.
    if_zone: HashMap<String, String>,
    /// Statements to reclassify once names are resolved.
    reclass: Vec<(usize, LineClass)>,
}

use LineClass::{Ignored, Understood, Unknown};

impl<'a> Reader<'a> {
    pub fn new(source: &'a Source) -> Reader<'a> {
        Reader {
            source,
            srx: false,
            version: None,
            alg_disable: None,
            alg_knobs: Vec::new(),
            zones: Ordered::new(),
            books: HashMap::new(),
            attached: HashMap::new(),
            apps: Ordered::new(),
            app_sets: HashMap::new(),
            policies: Vec::new(),
            policy_index: HashMap::new(),
            last_policy: None,
            default_policy: None,
            snat_pools: HashMap::new(),
            snat: Ordered::new(),
            dnat_pools: HashMap::new(),
            dnat: Ordered::new(),
            static_nat: Ordered::new(),
            screens: HashMap::new(),
            if_zone: HashMap::new(),
            reclass: Vec::new(),
        }
    }

    fn span(&self, stmt: &Stmt<'_>) -> Span {
        if stmt.end > stmt.start {
            self.source.span_at(stmt.start, stmt.end)
        } else {
            self.source.line_span(stmt.line)
        }
    }

    fn at(&self, idx: usize, stmt: &Stmt<'_>) -> At {
        At {
            idx,
            span: self.span(stmt),
        }
    }

    /// Reads one active statement; returns how well it was understood.
    pub fn feed(&mut self, idx: usize, stmt: &Stmt<'_>) -> LineClass {
        match stmt.word(0) {
            "version" => {
                if let Some(word) = stmt.words.get(1) {
                    self.version = Some(Versioned {
                        version: word.text.to_string(),
                        span: self.source.span_at(word.start, word.end),
                    });
                    Understood
                } else {
                    Unknown
                }
            }
            "security" => {
                self.srx = true;
                self.security(idx, stmt)
            }
            "applications" => self.applications(idx, stmt),
            // Stateless firewall filters (applied to interfaces) can drop VoIP traffic; they
            // are not evaluated here.
            "firewall" => match stmt.word(1) {
                "family" | "filter" => Unknown,
                _ => Ignored,
            },
            top if tables::IGNORED_TOP.binary_search(&top).is_ok() => Ignored,
            _ => Unknown,
        }
    }

    fn security(&mut self, idx: usize, stmt: &Stmt<'_>) -> LineClass {
        match stmt.word(1) {
            "" => Understood,
            "alg" => {
                if stmt.word(2) != "sip" {
                    // Other ALGs (FTP, H.323, …) do not touch SIP.
                    return Ignored;
                }
                let at = self.at(idx, stmt);
                if stmt.word(3) == "disable" && stmt.len() == 4 {
                    self.alg_disable = Some(at);
                } else {
                    self.alg_knobs.push(at);
                }
                Understood
            }
            "policies" => self.policies(idx, stmt),
            "zones" => self.zones(idx, stmt),
            "address-book" => {
                let book = stmt.word(2).to_string();
                match stmt.word(3) {
                    "attach" if stmt.word(4) == "zone" && !stmt.word(5).is_empty() => {
                        self.attached
                            .entry(stmt.word(5).to_string())
                            .or_default()
                            .push(book);
                        Understood
                    }
                    "description" | "" => Understood,
                    _ => self.address_entry(&book, stmt, 3),
                }
            }
            "nat" => self.nat(idx, stmt),
            "screen" => self.screen(idx, stmt),
            // Aggressive aging (`early-ageout` once the session table passes `high-watermark`)
            // shortens timeouts only under load; it sets no UDP timeout.
            "flow" if stmt.word(2) == "aging" => Understood,
            sub if tables::IGNORED_SECURITY.binary_search(&sub).is_ok() => Ignored,
            _ => Unknown,
        }
    }

    // ------------------------------------------------------------ policies

    fn policies(&mut self, idx: usize, stmt: &Stmt<'_>) -> LineClass {
        match stmt.word(2) {
            "from-zone" if stmt.word(4) == "to-zone" && stmt.word(6) == "policy" => {
                self.policy(Some((stmt.word(3), stmt.word(5))), idx, stmt, 7)
            }
            "global" if stmt.word(3) == "policy" => self.policy(None, idx, stmt, 4),
            "default-policy" => match stmt.word(3) {
                "permit-all" => {
                    self.default_policy = Some((Action::Accept, self.at(idx, stmt)));
                    Understood
                }
                "deny-all" => {
                    self.default_policy = Some((Action::Drop, self.at(idx, stmt)));
                    Understood
                }
                _ => Unknown,
            },
            "pre-id-default-policy" | "policy-rematch" | "policy-stats" | "traceoptions" => Ignored,
            _ => Unknown,
        }
    }

    /// A statement of policy `name` in the zone pair `zones` (`None`: global).
    fn policy(
        &mut self,
        zones: Option<(&str, &str)>,
        idx: usize,
        stmt: &Stmt<'_>,
        name_at: usize,
    ) -> LineClass {
        let name = stmt.word(name_at);
        if name.is_empty() {
            return Unknown;
        }
        // The statements of one policy come together: check the last one first.
        let same = |(n, pol): &(String, Pol)| {
            n == name
                && match (&pol.ctx, zones) {
                    (Ctx::Zones(f, t), Some((from, to))) => f == from && t == to,
                    (Ctx::Global, None) => true,
                    _ => false,
                }
        };
        let last = self
            .last_policy
            .filter(|&i| self.policies.get(i).is_some_and(same));
        let at = match last {
            Some(at) => at,
            None => {
                let ctx = match zones {
                    Some((from, to)) => Ctx::Zones(from.to_string(), to.to_string()),
                    None => Ctx::Global,
                };
                let key = (ctx.clone(), name.to_string());
                match self.policy_index.get(&key) {
                    Some(&at) => at,
                    None => {
                        self.policies.push((name.to_string(), Pol::new(ctx)));
                        self.policy_index.insert(key, self.policies.len() - 1);
                        self.policies.len() - 1
                    }
                }
            }
        };
        self.last_policy = Some(at);
        let span = self.span(stmt);
        let Some((_, pol)) = self.policies.get_mut(at) else {
            return Unknown;
        };
        pol.stmts.push(idx);
        if pol.spans.last() != Some(&span) {
            pol.spans.push(span);
        }
        let k = name_at + 1;
        let mut class = Understood;
        match stmt.word(k) {
            "match" => {
                for (key, vals) in pairs(
                    stmt,
                    k + 1,
                    &["source-address-excluded", "destination-address-excluded"],
                ) {
                    let list: Vec<(String, usize)> =
                        vals.iter().map(|v| (v.to_string(), idx)).collect();
                    match key {
                        "source-address" => pol.src.extend(list),
                        "destination-address" => pol.dst.extend(list),
                        "application" => pol.apps.extend(list),
                        "from-zone" => pol.from_zones.extend(vals.iter().map(|v| v.to_string())),
                        "to-zone" => pol.to_zones.extend(vals.iter().map(|v| v.to_string())),
                        // Everything but the listed addresses (turned into the complement).
                        "source-address-excluded" => pol.src_excluded = true,
                        "destination-address-excluded" => pol.dst_excluded = true,
                        "dynamic-application"
                        | "source-identity"
                        | "url-category"
                        | "source-end-user-profile" => {
                            if !vals.iter().all(|v| *v == "any" || *v == "none") {
                                pol.conditional = true;
                            }
                        }
                        _ => {
                            pol.conditional = true;
                            class = Unknown;
                        }
                    }
                }
            }
            "then" => match stmt.word(k + 1) {
                "permit" => {
                    pol.action = Some(Action::Accept);
                    match stmt.word(k + 2) {
                        "services-offload" => pol.offload = true,
                        // Traffic into a VPN tunnel, after user authentication, or only for
                        // some destinations: not a plain permit.
                        "tunnel" | "firewall-authentication" | "destination-address" => {
                            pol.conditional = true
                        }
                        _ => {}
                    }
                }
                "deny" | "reject" => pol.action = Some(Action::Drop),
                "count" | "log" | "trace" => {}
                _ => class = Unknown,
            },
            "scheduler-name" => pol.conditional = true,
            "description" | "" => {}
            _ => class = Unknown,
        }
        class
    }

    // ------------------------------------------------------------ zones

    fn zones(&mut self, idx: usize, stmt: &Stmt<'_>) -> LineClass {
        if stmt.word(2) != "security-zone" {
            // The management functional zone carries no transit or WAN traffic.
            return if stmt.word(2) == "functional-zone" {
                Ignored
            } else {
                Unknown
            };
        }
        let name = stmt.word(3).to_string();
        if name.is_empty() {
            return Unknown;
        }
        let at = self.at(idx, stmt);
        match stmt.word(4) {
            "" => {
                self.zones.entry(&name);
                Understood
            }
            "interfaces" => {
                let interface = stmt.word(5).to_string();
                if interface.is_empty() {
                    return Unknown;
                }
                let zone = self.zones.entry(&name);
                if !zone.interfaces.contains(&interface) {
                    zone.interfaces.push(interface.clone());
                }
                match stmt.word(6) {
                    "" => Understood,
                    "host-inbound-traffic" => {
                        self.host_inbound(&name, Some(&interface), stmt, 7, at)
                    }
                    _ => Ignored,
                }
            }
            "host-inbound-traffic" => self.host_inbound(&name, None, stmt, 5, at),
            "screen" if !stmt.word(5).is_empty() => {
                self.zones.entry(&name).screen = Some((stmt.word(5).to_string(), at));
                Understood
            }
            "address-book" => self.address_entry(&format!("zone:{name}"), stmt, 5),
            "description"
            | "tcp-rst"
            | "application-tracking"
            | "enable-reverse-reroute"
            | "source-identity-log"
            | "advance-policy-based-routing-profile"
            | "unidirectional-session-refreshing" => Ignored,
            _ => Unknown,
        }
    }

    fn host_inbound(
        &mut self,
        zone: &str,
        interface: Option<&str>,
        stmt: &Stmt<'_>,
        k: usize,
        at: At,
    ) -> LineClass {
        match stmt.word(k) {
            "system-services" => {
                let name = stmt.word(k + 1);
                if name.is_empty() {
                    return Understood;
                }
                let svc = Svc {
                    name: name.to_string(),
                    except: stmt.word(k + 2) == "except",
                    at,
                };
                let known = tables::service(name).is_some();
                let z = self.zones.entry(zone);
                match interface {
                    Some(interface) => z
                        .if_services
                        .entry(interface.to_string())
                        .or_default()
                        .push(svc),
                    None => z.services.push(svc),
                }
                if known { Understood } else { Unknown }
            }
            // Routing protocols to the device (BGP, OSPF, …): not VoIP.
            "protocols" | "" => Ignored,
            _ => Unknown,
        }
    }

    // ------------------------------------------------------------ address books

    /// `address NAME VALUE…` / `address-set NAME address|address-set MEMBER` at word `k` of
    /// a statement, in `book`.
    fn address_entry(&mut self, book: &str, stmt: &Stmt<'_>, k: usize) -> LineClass {
        let name = stmt.word(k + 1);
        if name.is_empty() {
            return Unknown;
        }
        if !self.books.contains_key(book) {
            self.books.insert(book.to_string(), Book::default());
        }
        let Some(book) = self.books.get_mut(book) else {
            return Unknown;
        };
        match stmt.word(k) {
            "address" => {
                let value = stmt.word(k + 2);
                let def = match value {
                    "description" | "" => return Understood,
                    "dns-name" if !stmt.word(k + 3).is_empty() => {
                        AddrDef::Fqdn(stmt.word(k + 3).to_string())
                    }
                    "range-address" if stmt.word(k + 4) == "to" => {
                        match range_nets(stmt.word(k + 3), stmt.word(k + 5)) {
                            Some(nets) => AddrDef::Nets(nets),
                            None => return Unknown,
                        }
                    }
                    "wildcard-address" => AddrDef::Opaque,
                    _ => match net(value) {
                        Some(n) => AddrDef::Nets(vec![n]),
                        None => return Unknown,
                    },
                };
                book.addresses.insert(name.to_string(), def);
                Understood
            }
            "address-set" => match stmt.word(k + 2) {
                kind @ ("address" | "address-set") if !stmt.word(k + 3).is_empty() => {
                    let members = book.sets.entry(name.to_string()).or_default();
                    for v in values(stmt, k + 3) {
                        members.push((kind == "address-set", v.to_string()));
                    }
                    Understood
                }
                "description" | "" => {
                    book.sets.entry(name.to_string()).or_default();
                    Understood
                }
                _ => Unknown,
            },
            _ => Unknown,
        }
    }

    // ------------------------------------------------------------ applications

    fn applications(&mut self, idx: usize, stmt: &Stmt<'_>) -> LineClass {
        let name = stmt.word(2).to_string();
        match stmt.word(1) {
            "application" if !name.is_empty() => {
                let at = self.at(idx, stmt);
                let app = self.apps.entry(&name);
                let (term, k) = if stmt.word(3) == "term" && !stmt.word(4).is_empty() {
                    (app.terms.entry(stmt.word(4)), 5)
                } else {
                    (&mut app.top, 3)
                };
                let mut class = Understood;
                for (key, vals) in pairs(stmt, k, &[]) {
                    let first = vals.first().copied().unwrap_or("");
                    match key {
                        "protocol" => term.protocol = Some(first.to_string()),
                        "destination-port" => match ports_of(&vals) {
                            Some(p) => {
                                term.dst = Some(p);
                                term.dst_at = Some(at);
                            }
                            None => {
                                term.bad = true;
                                class = Unknown;
                            }
                        },
                        "source-port" => match ports_of(&vals) {
                            Some(p) => term.src = Some(p),
                            None => {
                                term.bad = true;
                                class = Unknown;
                            }
                        },
                        // ICMP types, RPC programs are not in the model: the rule keeps its
                        // protocol and destination ports (a wider match).
                        "icmp-type" | "icmp-code" | "icmp6-type" | "icmp6-code"
                        | "rpc-program-number" | "uuid" => {}
                        "inactivity-timeout" => {
                            let seconds = if first == "never" {
                                Some(NEVER)
                            } else {
                                first.parse::<u32>().ok()
                            };
                            match seconds {
                                Some(s) => term.timeout = Some((s, at)),
                                None => class = Unknown,
                            }
                        }
                        "application-protocol" => term.alg = Some(first.to_string()),
                        "description"
                        | "ttl-threshold"
                        | "alg"
                        | "snmp-command"
                        | "learn-sip-register"
                        | "sip-call-hold-timeout"
                        | "ether-type" => {}
                        _ => class = Unknown,
                    }
                }
                class
            }
            "application-set" if !name.is_empty() => match stmt.word(3) {
                kind @ ("application" | "application-set") if !stmt.word(4).is_empty() => {
                    let members = self.app_sets.entry(name).or_default();
                    for v in values(stmt, 4) {
                        members.push((kind == "application-set", v.to_string()));
                    }
                    Understood
                }
                "description" | "" => {
                    self.app_sets.entry(name).or_default();
                    Understood
                }
                _ => Unknown,
            },
            _ => Unknown,
        }
    }

    // ------------------------------------------------------------ NAT

    fn nat(&mut self, idx: usize, stmt: &Stmt<'_>) -> LineClass {
        let at = self.at(idx, stmt);
        match stmt.word(2) {
            "source" => match stmt.word(3) {
                "pool" if !stmt.word(4).is_empty() => {
                    let pool =
                        self.snat_pools
                            .entry(stmt.word(4).to_string())
                            .or_insert(SnatPool {
                                port: PoolPort::Default,
                                port_at: None,
                            });
                    if stmt.word(5) == "port" {
                        pool.port = if stmt.word(6) == "no-translation" {
                            PoolPort::NoTranslation
                        } else {
                            PoolPort::Translated
                        };
                        pool.port_at = Some(at);
                    }
                    Understood
                }
                "rule-set" => self.rule_set(Kind::Source, idx, stmt, at),
                // Global knobs: pooling and port allocation (ports stay translated either
                // way), alarms, persistence scans.
                "address-persistent"
                | "port-randomization"
                | "interface"
                | "persistent-nat"
                | "pool-default-port-range"
                | "pool-default-twin-port-range"
                | "pool-utilization-alarm"
                | "session-persistence-scan"
                | "session-drop-hold-down"
                | "traceoptions" => Understood,
                _ => Unknown,
            },
            "destination" => match stmt.word(3) {
                "pool" if !stmt.word(4).is_empty() => {
                    let pool = self.dnat_pools.entry(stmt.word(4).to_string()).or_default();
                    let mut class = Understood;
                    if stmt.word(5) == "address" && stmt.word(6) == "port" {
                        // `address port N`: the pool's port given on its own.
                        match stmt.word(7).parse::<u16>() {
                            Ok(p) => pool.port = Some(p),
                            Err(_) => class = Unknown,
                        }
                    } else {
                        for (key, vals) in pairs(stmt, 5, &[]) {
                            let first = vals.first().copied().unwrap_or("");
                            match key {
                                "address" => match net(strip_len(first)) {
                                    Some(n) => pool.address = Some(n.addr()),
                                    None => class = Unknown,
                                },
                                "port" => match first.parse::<u16>() {
                                    Ok(p) => pool.port = Some(p),
                                    Err(_) => class = Unknown,
                                },
                                "description" | "routing-instance" => {}
                                _ => class = Unknown,
                            }
                        }
                    }
                    pool.spans.push(at.span);
                    class
                }
                "rule-set" => self.rule_set(Kind::Destination, idx, stmt, at),
                "traceoptions" => Ignored,
                _ => Unknown,
            },
            "static" => match stmt.word(3) {
                "rule-set" => self.rule_set(Kind::Static, idx, stmt, at),
                _ => Unknown,
            },
            "proxy-arp" | "proxy-ndp" | "natv6v4" | "traceoptions" | "" => Ignored,
            _ => Unknown,
        }
    }

    fn rule_set(&mut self, kind: Kind, idx: usize, stmt: &Stmt<'_>, at: At) -> LineClass {
        let name = stmt.word(4);
        if name.is_empty() {
            return Unknown;
        }
        let set = match kind {
            Kind::Source => self.snat.entry(name),
            Kind::Destination => self.dnat.entry(name),
            Kind::Static => self.static_nat.entry(name),
        };
        set.stmts.push(idx);
        match stmt.word(5) {
            side @ ("from" | "to") => {
                let targets: Vec<String> = values(stmt, 7).iter().map(|v| v.to_string()).collect();
                let (zones, ifs, other) = if side == "from" {
                    (&mut set.from_zones, &mut set.from_ifs, &mut set.from_other)
                } else {
                    (&mut set.to_zones, &mut set.to_ifs, &mut set.to_other)
                };
                match stmt.word(6) {
                    "zone" => zones.extend(targets),
                    "interface" => ifs.extend(targets),
                    "routing-instance" => *other = true,
                    _ => return Unknown,
                }
                Understood
            }
            "rule" if !stmt.word(6).is_empty() => {
                let rule = set.rules.entry(stmt.word(6));
                rule.stmts.push(idx);
                match stmt.word(7) {
                    "match" => {
                        let mut class = Understood;
                        for (key, vals) in pairs(stmt, 8, &[]) {
                            match key {
                                "destination-port" => match ports_of(&vals) {
                                    Some(p) => {
                                        rule.ports = Some(match rule.ports.take() {
                                            Some(old) => Ports::from_ranges(
                                                old.ranges().into_iter().chain(p.ranges()),
                                            ),
                                            None => p,
                                        });
                                        rule.ports_at = Some(at);
                                    }
                                    None => class = Unknown,
                                },
                                "protocol" => {
                                    rule.protocols.extend(vals.iter().map(|v| v.to_string()))
                                }
                                "source-address" => {
                                    rule.sources.extend(vals.iter().map(|v| v.to_string()))
                                }
                                "source-address-name" => rule
                                    .source_names
                                    .extend(vals.iter().map(|v| (v.to_string(), idx))),
                                "destination-address"
                                | "destination-address-name"
                                | "source-port"
                                | "application" => {}
                                _ => class = Unknown,
                            }
                        }
                        class
                    }
                    "then" => {
                        // Knobs under the action (curly form: `pool { P; persistent-nat
                        // { … } }`) keep the action set by their own statement.
                        if stmt.word(9) == "pool"
                            && matches!(
                                stmt.word(10),
                                "persistent-nat"
                                    | "rule-session-count-alarm"
                                    | "address-persistent"
                            )
                        {
                            return Understood;
                        }
                        let then = match (kind, stmt.word(8), stmt.word(9)) {
                            (Kind::Source, "source-nat", "off")
                            | (Kind::Destination, "destination-nat", "off") => NatThen::Off,
                            (Kind::Source, "source-nat", "interface") => NatThen::Interface,
                            (Kind::Source, "source-nat", "pool")
                            | (Kind::Destination, "destination-nat", "pool")
                                if !stmt.word(10).is_empty() =>
                            {
                                NatThen::Pool(stmt.word(10).to_string())
                            }
                            (Kind::Static, "static-nat", "prefix") => {
                                let (prefix, mapped_at) = if stmt.word(10) == "mapped-port" {
                                    (None, 11)
                                } else {
                                    (Some(stmt.word(10)), 12)
                                };
                                if stmt.word(mapped_at - 1) == "mapped-port" {
                                    rule.mapped = ports_of(&values(stmt, mapped_at));
                                }
                                match prefix {
                                    // `mapped-port` alone adds to the prefix set elsewhere.
                                    None => return Understood,
                                    Some(p) => match net(p) {
                                        Some(n) => NatThen::Prefix(n),
                                        None => return Unknown,
                                    },
                                }
                            }
                            (Kind::Static, "static-nat", "prefix-name")
                                if !stmt.word(10).is_empty() =>
                            {
                                NatThen::PrefixName(stmt.word(10).to_string())
                            }
                            (Kind::Static, "static-nat", _) => NatThen::Other,
                            // Alarms and logging on a rule that translates as set elsewhere.
                            (_, _, "rule-session-count-alarm") => return Understood,
                            _ => return Unknown,
                        };
                        // A `source-nat interface persistent-nat …` knob keeps the action.
                        rule.then = Some((then, at));
                        Understood
                    }
                    "description" | "" => Understood,
                    _ => Unknown,
                }
            }
            "description" | "" => Understood,
            _ => Unknown,
        }
    }

    // ------------------------------------------------------------ screens

    fn screen(&mut self, idx: usize, stmt: &Stmt<'_>) -> LineClass {
        if stmt.word(2) != "ids-option" || stmt.word(3).is_empty() {
            return Ignored;
        }
        let at = self.at(idx, stmt);
        let screen = self.screens.entry(stmt.word(3).to_string()).or_default();
        match (stmt.word(4), stmt.word(5), stmt.word(6)) {
            ("limit-session", "source-ip-based", _) => {
                screen.limit_source = Some(at);
                Understood
            }
            ("tcp", "syn-flood", "source-threshold") => {
                screen.syn_source = Some(at);
                Understood
            }
            _ => Ignored,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Source,
    Destination,
    Static,
}

// ---------------------------------------------------------------- resolution

/// WAN and LAN zones.
struct Sides {
    wan: HashSet<String>,
    lan: HashSet<String>,
}

impl Sides {
    fn known(&self) -> bool {
        !self.wan.is_empty()
    }
}

impl Reader<'_> {
    fn zone_of_interface(&self, interface: &str) -> Option<&str> {
        self.if_zone.get(interface).map(String::as_str)
    }

    fn index_interfaces(&mut self) {
        let mut map = HashMap::new();
        for (name, zone) in &self.zones.items {
            for interface in &zone.interfaces {
                map.entry(interface.clone()).or_insert_with(|| name.clone());
                // `ge-0/0/0` names the unit `ge-0/0/0.0` too.
                let base = interface.split('.').next().unwrap_or(interface);
                map.entry(base.to_string()).or_insert_with(|| name.clone());
            }
        }
        self.if_zone = map;
    }

    /// Every zone name the configuration mentions, in first-seen order.
    fn all_zones(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut add = |z: &str| {
            if !z.is_empty() && z != "junos-host" && z != "any" && seen.insert(z.to_string()) {
                out.push(z.to_string());
            }
        };
        for (name, _) in &self.zones.items {
            add(name);
        }
        for (_, pol) in &self.policies {
            if let Ctx::Zones(from, to) = &pol.ctx {
                add(from);
                add(to);
            }
            for z in pol.from_zones.iter().chain(&pol.to_zones) {
                add(z);
            }
        }
        for set in [&self.snat, &self.dnat, &self.static_nat] {
            for (_, rs) in &set.items {
                for z in rs.from_zones.iter().chain(&rs.to_zones) {
                    add(z);
                }
            }
        }
        out
    }

    fn hinted(&self, names: &[String]) -> HashSet<String> {
        names
            .iter()
            .map(|n| {
                if self.zones.get(n).is_some() {
                    n.clone()
                } else {
                    self.zone_of_interface(n)
                        .map(str::to_string)
                        .unwrap_or_else(|| n.clone())
                }
            })
            .collect()
    }

    fn sides(&self, hints: &Hints) -> Sides {
        let zones = self.all_zones();
        let wan: HashSet<String> = if !hints.wan.is_empty() {
            self.hinted(&hints.wan)
        } else {
            let mut wan: HashSet<String> = zones.iter().filter(|z| looks_wan(z)).cloned().collect();
            // The zone source NAT translates towards is the outside.
            for (_, rs) in &self.snat.items {
                let translates = rs.rules.items.iter().any(|(_, r)| {
                    matches!(
                        r.then,
                        Some((NatThen::Interface, _)) | Some((NatThen::Pool(_), _))
                    )
                });
                if translates {
                    wan.extend(rs.to_zones.iter().cloned());
                    for i in &rs.to_ifs {
                        if let Some(z) = self.zone_of_interface(i) {
                            wan.insert(z.to_string());
                        }
                    }
                }
            }
            wan
        };
        let lan: HashSet<String> = if !hints.lan.is_empty() {
            self.hinted(&hints.lan)
        } else {
            let named: HashSet<String> = zones
                .iter()
                .filter(|z| !wan.contains(*z) && looks_lan(z))
                .cloned()
                .collect();
            if named.is_empty() {
                zones
                    .iter()
                    .filter(|z| !wan.contains(*z))
                    .cloned()
                    .collect()
            } else {
                named
            }
        };
        Sides { wan, lan }
    }

    /// The addresses of `names` seen from `zone`; `Err` gives the statement of the first name
    /// that does not resolve (or resolves to more addresses than a rule is evaluated with).
    fn resolve_addresses(
        &self,
        names: &[(String, usize)],
        zone: Option<&str>,
        memo: &mut Memo,
    ) -> Result<Vec<Address>, usize> {
        let mut out = Vec::new();
        for (name, idx) in names {
            match name.as_str() {
                "any" | "any-ipv4" => return Ok(Vec::new()),
                "any-ipv6" => {
                    out.push(Address::Net(IpNet::V6(Ipv6Net::default())));
                    continue;
                }
                _ => {}
            }
            match self.address(name, zone, 0, memo) {
                Some(found) if out.len() + found.len() <= MAX_RESOLVED => {
                    out.extend(found.iter().cloned())
                }
                _ => return Err(*idx),
            }
        }
        Ok(out)
    }

    /// The address books a zone's policies look names up in, in order.
    fn book_names(&self, zone: Option<&str>) -> Vec<String> {
        let mut books = Vec::new();
        if let Some(zone) = zone {
            books.push(format!("zone:{zone}"));
            if let Some(named) = self.attached.get(zone) {
                books.extend(named.iter().cloned());
            }
        }
        books.push("global".to_string());
        books
    }

    /// The addresses of one name (an address, an address set, or a literal prefix) seen from
    /// `zone`, resolved once per zone and name; `None` when it does not resolve (undefined,
    /// a cycle, too deep, too many addresses).
    fn address(
        &self,
        name: &str,
        zone: Option<&str>,
        depth: usize,
        memo: &mut Memo,
    ) -> Option<Rc<Vec<Address>>> {
        let zone_key = zone.unwrap_or("");
        if let Some(done) = memo.addresses.get(zone_key).and_then(|m| m.get(name)) {
            return done.clone();
        }
        if depth > MAX_SET_DEPTH {
            return None;
        }
        // In progress: a set that contains itself resolves to nothing.
        memo.addresses
            .entry(zone_key.to_string())
            .or_default()
            .insert(name.to_string(), None);
        let found = self.address_uncached(name, zone, depth, memo).map(Rc::new);
        if let Some(slot) = memo
            .addresses
            .get_mut(zone_key)
            .and_then(|m| m.get_mut(name))
        {
            *slot = found.clone();
        }
        found
    }

    fn address_uncached(
        &self,
        name: &str,
        zone: Option<&str>,
        depth: usize,
        memo: &mut Memo,
    ) -> Option<Vec<Address>> {
        for book in self.book_names(zone) {
            let Some(book) = self.books.get(&book) else {
                continue;
            };
            if let Some(def) = book.addresses.get(name) {
                return match def {
                    AddrDef::Nets(nets) => Some(nets.iter().map(|n| Address::Net(*n)).collect()),
                    AddrDef::Fqdn(f) => Some(vec![Address::Fqdn(f.clone())]),
                    AddrDef::Opaque => None,
                };
            }
            if let Some(members) = book.sets.get(name) {
                let mut out = Vec::new();
                for (_, member) in members {
                    let found = self.address(member, zone, depth + 1, memo)?;
                    if out.len() + found.len() > MAX_RESOLVED {
                        return None;
                    }
                    out.extend(found.iter().cloned());
                }
                return Some(out);
            }
        }
        // A literal prefix (Junos wants book entries; accept it anyway).
        net(name).map(|n| vec![Address::Net(n)])
    }

    /// The (protocol, destination ports, source ports) of `names`; terms matching no TCP/UDP
    /// are left out. `Err` gives the statement of the first unresolved name.
    fn resolve_apps(
        &self,
        names: &[(String, usize)],
        memo: &mut Memo,
    ) -> Result<Vec<AppPorts>, usize> {
        let mut out = Vec::new();
        for (name, idx) in names {
            if name == "any" {
                return Ok(vec![(None, Ports::Any, Ports::Any)]);
            }
            match self.app(name, 0, memo) {
                Some(found) if out.len() + found.len() <= MAX_RESOLVED => {
                    out.extend(found.iter().cloned())
                }
                _ => return Err(*idx),
            }
        }
        Ok(out)
    }

    /// The terms of one application or application set, resolved once per name.
    fn app(&self, name: &str, depth: usize, memo: &mut Memo) -> Option<Rc<Vec<AppPorts>>> {
        if let Some(done) = memo.apps.get(name) {
            return done.clone();
        }
        if depth > MAX_SET_DEPTH {
            return None;
        }
        memo.apps.insert(name.to_string(), None);
        let found = self.app_uncached(name, depth, memo).map(Rc::new);
        memo.apps.insert(name.to_string(), found.clone());
        found
    }

    fn app_uncached(&self, name: &str, depth: usize, memo: &mut Memo) -> Option<Vec<AppPorts>> {
        if let Some(app) = self.apps.get(name) {
            let mut out = Vec::new();
            for term in app.effective() {
                if term.bad {
                    return None;
                }
                let ports = term.dst.clone().unwrap_or(Ports::Any);
                let source_ports = term.src.clone().unwrap_or(Ports::Any);
                match term.protocol.as_deref() {
                    None => out.push((None, ports, source_ports)),
                    // Other protocols (ICMP, GRE, ESP, …) match no VoIP port.
                    Some(p) => out.extend(protocol(p).map(|p| (Some(p), ports, source_ports))),
                }
            }
            return Some(out);
        }
        if let Some(members) = self.app_sets.get(name) {
            let mut out = Vec::new();
            for (_, member) in members {
                let found = self.app(member, depth + 1, memo)?;
                if out.len() + found.len() > MAX_RESOLVED {
                    return None;
                }
                out.extend(found.iter().cloned());
            }
            return Some(out);
        }
        tables::predefined(name).map(|terms| {
            terms
                .iter()
                .map(|&(p, a, b)| {
                    (
                        Some(p),
                        Ports::from_ranges([PortRange::new(a, b)]),
                        Ports::Any,
                    )
                })
                .collect()
        })
    }
}

// ---------------------------------------------------------------- facts

impl Reader<'_> {
    /// Builds the facts; returns them with statements to reclassify (names that do not
    /// resolve, policies whose path cannot be told).
    pub fn finish(mut self, hints: &Hints) -> (Device, Vec<(usize, LineClass)>) {
        let mut device = Device {
            version: self.version.take(),
            ..Device::default()
        };
        if !self.srx {
            // A router or switch (no `security` stanza): no flow, ALG or NAT facts to read.
            return (device, std::mem::take(&mut self.reclass));
        }
        device.vendor = Some(sipwall_firewall::Vendor::JuniperSrx);
        self.index_interfaces();
        let sides = self.sides(hints);
        self.alg(&mut device);
        self.timeouts(&mut device);
        self.filters(&mut device, &sides);
        self.host_inbound_facts(&mut device, &sides);
        self.source_nat(&mut device, &sides);
        self.forwards(&mut device, &sides);
        self.brute_force(&mut device, &sides);
        (device, std::mem::take(&mut self.reclass))
    }

    /// SIP ALG scope: `junos-sip` (UDP and TCP 5060) plus custom applications that name the
    /// SIP ALG (`application-protocol sip`) on other ports.
    fn alg_scope(&self) -> Vec<(Protocol, Ports)> {
        let mut udp = vec![PortRange::single(5060)];
        let mut tcp = vec![PortRange::single(5060)];
        if let Some(app) = self.apps.get("junos-sip") {
            udp.clear();
            tcp.clear();
            for term in app.effective() {
                let ranges = term.dst.clone().unwrap_or(Ports::Any).ranges();
                match term.protocol.as_deref().and_then(protocol) {
                    Some(Protocol::Udp) => udp.extend(ranges),
                    Some(Protocol::Tcp) => tcp.extend(ranges),
                    None => {
                        udp.extend(ranges.clone());
                        tcp.extend(ranges);
                    }
                }
            }
        }
        for (name, app) in &self.apps.items {
            if name == "junos-sip" {
                continue;
            }
            for term in app.effective() {
                if term.alg.as_deref() != Some("sip") {
                    continue;
                }
                let ranges = term.dst.clone().unwrap_or(Ports::Any).ranges();
                match term.protocol.as_deref().and_then(protocol) {
                    Some(Protocol::Udp) => udp.extend(ranges),
                    Some(Protocol::Tcp) => tcp.extend(ranges),
                    None => {
                        udp.extend(ranges.clone());
                        tcp.extend(ranges);
                    }
                }
            }
        }
        let mut scope = Vec::new();
        if !udp.is_empty() {
            scope.push((Protocol::Udp, Ports::from_ranges(udp)));
        }
        if !tcp.is_empty() {
            scope.push((Protocol::Tcp, Ports::from_ranges(tcp)));
        }
        scope
    }

    fn alg(&self, device: &mut Device) {
        let scope = self.alg_scope();
        let evidence = match self.alg_disable {
            Some(at) => {
                device.sip_alg.push(AlgState {
                    enabled: false,
                    mechanism: "security alg sip disable".into(),
                    scope,
                    evidence: Evidence::explicit([at.span]),
                });
                return;
            }
            // Knobs tune the ALG; they do not turn it on or off.
            None if !self.alg_knobs.is_empty() => {
                Evidence::default_at(defaults::SIP_ALG, self.alg_knobs.iter().map(|a| a.span))
            }
            None => Evidence::default(defaults::SIP_ALG),
        };
        device.sip_alg.push(AlgState {
            enabled: true,
            mechanism: "security alg sip (no disable)".into(),
            scope,
            evidence,
        });
    }

    fn timeouts(&self, device: &mut Device) {
        device.udp_timeouts.push(UdpTimeout {
            scope: TimeoutScope::Global,
            unreplied_seconds: Some(defaults::UDP_TIMEOUT_SECONDS),
            replied_seconds: Some(defaults::UDP_TIMEOUT_SECONDS),
            evidence: Evidence::default(defaults::UDP_TIMEOUT),
        });
        // Application timeouts go into the port timeout table whether or not a policy names
        // the application (lookup: application → port table → protocol default).
        for (_, app) in &self.apps.items {
            for term in app.effective() {
                let Some((seconds, at)) = term.timeout else {
                    continue;
                };
                let udp = match term.protocol.as_deref() {
                    None => true,
                    Some(p) => protocol(p) == Some(Protocol::Udp),
                };
                if !udp || term.bad {
                    continue;
                }
                let mut spans = vec![at.span];
                if let Some(d) = term.dst_at
                    && d.span != at.span
                {
                    spans.push(d.span);
                }
                device.udp_timeouts.push(UdpTimeout {
                    scope: TimeoutScope::Ports(term.dst.clone().unwrap_or(Ports::Any)),
                    unreplied_seconds: Some(seconds),
                    replied_seconds: Some(seconds),
                    evidence: Evidence::explicit(spans),
                });
            }
        }
    }

    fn filters(&mut self, device: &mut Device, sides: &Sides) {
        let mut zone_rules: Vec<FilterRule> = Vec::new();
        let mut global_rules: Vec<FilterRule> = Vec::new();
        let mut to_device: Vec<FilterRule> = Vec::new();
        let mut reclass = Vec::new();
        let mut memo = Memo::default();
        for (_, pol) in &self.policies {
            let paths: Vec<(Path, Option<&str>, Option<&str>)> = match &pol.ctx {
                Ctx::Zones(from, to) => {
                    let mut paths = Vec::new();
                    if sides.wan.contains(from) && to == "junos-host" {
                        paths.push((Path::ToDevice, Some(from.as_str()), None));
                    } else if sides.lan.contains(from) && sides.wan.contains(to) {
                        paths.push((Path::Outbound, Some(from.as_str()), Some(to.as_str())));
                    } else if sides.wan.contains(from) && sides.lan.contains(to) {
                        paths.push((Path::Inbound, Some(from.as_str()), Some(to.as_str())));
                    } else if !sides.known() {
                        // The policy cannot be placed on a path: not evaluated.
                        for &i in &pol.stmts {
                            reclass.push((i, Unknown));
                        }
                    }
                    paths
                }
                Ctx::Global => {
                    let any = |zones: &[String], side: &HashSet<String>| {
                        zones.is_empty() || zones.iter().any(|z| z == "any" || side.contains(z))
                    };
                    let mut paths = Vec::new();
                    if any(&pol.from_zones, &sides.lan) && any(&pol.to_zones, &sides.wan) {
                        paths.push((Path::Outbound, None, None));
                    }
                    if any(&pol.from_zones, &sides.wan) && any(&pol.to_zones, &sides.lan) {
                        paths.push((Path::Inbound, None, None));
                    }
                    paths
                }
            };
            let Some(action) = pol.action else {
                // No `then`: the policy does nothing the export shows (Junos rejects it).
                for &i in &pol.stmts {
                    reclass.push((i, Unknown));
                }
                continue;
            };
            let sources =
                self.resolve_addresses(&pol.src, paths.first().and_then(|p| p.1), &mut memo);
            let dests =
                self.resolve_addresses(&pol.dst, paths.first().and_then(|p| p.2), &mut memo);
            let apps = if pol.apps.is_empty() {
                Err(pol.stmts.first().copied().unwrap_or(0))
            } else {
                self.resolve_apps(&pol.apps, &mut memo)
            };
            let mut conditional = pol.conditional;
            for result in [
                sources.as_ref().err(),
                dests.as_ref().err(),
                apps.as_ref().err(),
            ]
            .into_iter()
            .flatten()
            {
                reclass.push((*result, Unknown));
                conditional = true;
            }
            let mut sources = sources.unwrap_or_default();
            let mut dests = dests.unwrap_or_default();
            for (excluded, side) in [
                (pol.src_excluded, &mut sources),
                (pol.dst_excluded, &mut dests),
            ] {
                if !excluded {
                    continue;
                }
                match complement(side) {
                    Some(rest) if !rest.is_empty() => *side = rest,
                    // Everything excluded: the policy matches nothing.
                    Some(_) => conditional = true,
                    // Names (FQDNs) cannot be complemented.
                    None => conditional = true,
                }
            }
            let terms = apps.unwrap_or_else(|_| vec![(None, Ports::Any, Ports::Any)]);
            if pol.offload && action == Action::Accept {
                let ports = Ports::from_ranges(terms.iter().flat_map(|(_, p, _)| p.ranges()));
                let protocol = match terms.first() {
                    Some((Some(first), ..)) if terms.iter().all(|t| t.0 == Some(*first)) => {
                        Some(*first)
                    }
                    _ => None,
                };
                device.offload.push(Offload {
                    mechanism: "services-offload".into(),
                    protocol,
                    ports,
                    evidence: Evidence::explicit(pol.spans.iter().copied()),
                });
            }
            // Terms of one protocol joined, split where their source ports differ.
            let mut protocols: Vec<Option<Protocol>> = Vec::new();
            for (proto, ..) in &terms {
                if !protocols.contains(proto) {
                    protocols.push(*proto);
                }
            }
            let mut joined: Vec<(Option<Protocol>, Ports, Ports)> = Vec::new();
            for proto in protocols {
                let items: Vec<(Ports, Ports)> = terms
                    .iter()
                    .filter(|t| t.0 == proto)
                    .map(|(_, ports, source_ports)| (ports.clone(), source_ports.clone()))
                    .collect();
                for (source_ports, ports) in crate::formats::by_source_ports(&items) {
                    joined.push((proto, ports, source_ports));
                }
            }
            for (path, _, _) in paths {
                for (proto, ports, source_ports) in &joined {
                    let rule = FilterRule {
                        path,
                        protocol: *proto,
                        source: sources.clone(),
                        source_ports: source_ports.clone(),
                        destination: dests.clone(),
                        destination_ports: ports.clone(),
                        action,
                        // A permit towards the device also needs host-inbound-traffic.
                        conditional: conditional
                            || (path == Path::ToDevice && action == Action::Accept),
                        evidence: Evidence::explicit(pol.spans.iter().copied()),
                    };
                    match (path, &pol.ctx) {
                        (Path::ToDevice, _) => to_device.push(rule),
                        (_, Ctx::Global) => global_rules.push(rule),
                        _ => zone_rules.push(rule),
                    }
                }
            }
        }
        self.reclass.extend(reclass);
        // Zone policies first, global policies after them (Junos lookup order).
        device.filters.extend(zone_rules);
        device.filters.extend(global_rules);
        device.filters.extend(to_device);
        let evidence = match self.default_policy {
            Some((_, at)) => Evidence::explicit([at.span]),
            None => Evidence::default(defaults::DEFAULT_POLICY),
        };
        let action = self.default_policy.map_or(Action::Drop, |(a, _)| a);
        for path in [Path::Outbound, Path::Inbound] {
            device.default_actions.push(DefaultAction {
                path,
                action,
                evidence: evidence.clone(),
            });
        }
    }

    /// `host-inbound-traffic system-services` of the WAN zones (an interface's own list
    /// replaces its zone's), as accept rules on the path to the device.
    fn host_inbound_facts(&mut self, device: &mut Device, sides: &Sides) {
        let mut rules: Vec<FilterRule> = Vec::new();
        let mut seen: HashSet<(Option<Protocol>, Ports)> = HashSet::new();
        let mut unevaluated = Vec::new();
        for (name, zone) in &self.zones.items {
            if !sides.wan.contains(name) {
                if !sides.known() {
                    let all = zone
                        .services
                        .iter()
                        .chain(zone.if_services.values().flatten());
                    unevaluated.extend(all.map(|s| s.at.idx));
                }
                continue;
            }
            let mut lists: Vec<&Vec<Svc>> = Vec::new();
            let uses_zone = zone.interfaces.is_empty()
                || zone
                    .interfaces
                    .iter()
                    .any(|i| !zone.if_services.contains_key(i));
            if uses_zone {
                lists.push(&zone.services);
            }
            for interface in &zone.interfaces {
                if let Some(list) = zone.if_services.get(interface) {
                    lists.push(list);
                }
            }
            for list in lists {
                for rule in service_rules(list) {
                    if seen.insert((rule.protocol, rule.destination_ports.clone())) {
                        rules.push(rule);
                    }
                }
            }
        }
        for idx in unevaluated {
            self.reclass.push((idx, Unknown));
        }
        device.filters.extend(rules);
        device.default_actions.push(DefaultAction {
            path: Path::ToDevice,
            action: Action::Drop,
            evidence: Evidence::default(defaults::HOST_INBOUND),
        });
    }

    fn towards_wan(&self, zones: &[String], ifs: &[String], other: bool, sides: &Sides) -> bool {
        !sides.known()
            || other
            || zones.iter().any(|z| sides.wan.contains(z))
            || ifs.iter().any(|i| {
                self.zone_of_interface(i)
                    .is_some_and(|z| sides.wan.contains(z))
                    || sides.wan.contains(i)
            })
    }

    fn source_nat(&self, device: &mut Device, sides: &Sides) {
        for (_, rs) in &self.snat.items {
            if !self.towards_wan(&rs.to_zones, &rs.to_ifs, rs.to_other, sides) {
                continue;
            }
            for (_, rule) in &rs.rules.items {
                let Some((then, at)) = &rule.then else {
                    continue;
                };
                let (preservation, evidence) = match then {
                    NatThen::Interface => (
                        Some(false),
                        Evidence::default_at(defaults::PAT_PORTS, [at.span]),
                    ),
                    NatThen::Pool(name) => match self.snat_pools.get(name) {
                        Some(pool) => match (pool.port, pool.port_at) {
                            (PoolPort::NoTranslation, Some(p)) => {
                                (Some(true), Evidence::explicit([at.span, p.span]))
                            }
                            (PoolPort::Translated, Some(p)) => {
                                (Some(false), Evidence::explicit([at.span, p.span]))
                            }
                            _ => (
                                Some(false),
                                Evidence::default_at(defaults::PAT_PORTS, [at.span]),
                            ),
                        },
                        None => (None, Evidence::unknown([at.span])),
                    },
                    _ => continue,
                };
                let protocols: Vec<Protocol> =
                    rule.protocols.iter().filter_map(|p| protocol(p)).collect();
                device.source_nat.push(SourceNat {
                    port_preservation: preservation,
                    ports: rule.ports.clone().unwrap_or(Ports::Any),
                    protocol: match protocols.as_slice() {
                        [one] => Some(*one),
                        _ => None,
                    },
                    evidence,
                });
            }
        }
    }

    fn forwards(&mut self, device: &mut Device, sides: &Sides) {
        let mut reclass = Vec::new();
        let mut memo = Memo::default();
        for (kind, set) in [
            (Kind::Destination, &self.dnat),
            (Kind::Static, &self.static_nat),
        ] {
            for (_, rs) in &set.items {
                if !self.towards_wan(&rs.from_zones, &rs.from_ifs, rs.from_other, sides) {
                    continue;
                }
                for (_, rule) in &rs.rules.items {
                    let Some((then, at)) = &rule.then else {
                        continue;
                    };
                    let mut spans = vec![at.span];
                    if let Some(p) = rule.ports_at
                        && p.span != at.span
                    {
                        spans.push(p.span);
                    }
                    let (to, to_port) = match (kind, then) {
                        (Kind::Destination, NatThen::Pool(name)) => match self.dnat_pools.get(name)
                        {
                            Some(pool) => {
                                spans.extend(pool.spans.iter().copied());
                                (pool.address, pool.port.map(Ports::single))
                            }
                            None => {
                                reclass.extend(rule.stmts.iter().map(|&i| (i, Unknown)));
                                (None, None)
                            }
                        },
                        (Kind::Static, NatThen::Prefix(n)) => (Some(n.addr()), rule.mapped.clone()),
                        (Kind::Static, NatThen::PrefixName(name)) => {
                            if let Some(found) = self.address(name, None, 0, &mut memo) {
                                let addr = found.iter().find_map(|a| match a {
                                    Address::Net(n) => Some(n.addr()),
                                    Address::Fqdn(_) => None,
                                });
                                (addr, rule.mapped.clone())
                            } else {
                                reclass.extend(rule.stmts.iter().map(|&i| (i, Unknown)));
                                (None, rule.mapped.clone())
                            }
                        }
                        _ => continue,
                    };
                    let protocols: Vec<Protocol> =
                        rule.protocols.iter().filter_map(|p| protocol(p)).collect();
                    if !rule.protocols.is_empty() && protocols.is_empty() {
                        // Only ICMP or other protocols: no port is forwarded.
                        continue;
                    }
                    let outside = rule.ports.clone().unwrap_or(Ports::Any);
                    let to_ports = to_port.filter(|p| *p != outside);
                    let mut source = Vec::new();
                    for s in &rule.sources {
                        if let Some(n) = net(s) {
                            source.push(Address::Net(n));
                        }
                    }
                    for (name, idx) in &rule.source_names {
                        match self.address(name, None, 0, &mut memo) {
                            Some(found) => source.extend(found.iter().cloned()),
                            // Not in the address book: the forward's sources are incomplete.
                            None => reclass.push((*idx, Unknown)),
                        }
                    }
                    device.forwards.push(Forward {
                        protocol: match protocols.as_slice() {
                            [one] => Some(*one),
                            _ => None,
                        },
                        outside_ports: outside,
                        to,
                        to_ports,
                        source,
                        evidence: Evidence::explicit(spans),
                    });
                }
            }
        }
        self.reclass.extend(reclass);
    }

    fn brute_force(&self, device: &mut Device, sides: &Sides) {
        for (name, zone) in &self.zones.items {
            if sides.known() && !sides.wan.contains(name) {
                continue;
            }
            let Some((screen_name, zone_at)) = &zone.screen else {
                continue;
            };
            let Some(screen) = self.screens.get(screen_name) else {
                continue;
            };
            if let Some(at) = screen.syn_source {
                device.brute_force.push(BruteForce {
                    protocol: Some(Protocol::Tcp),
                    ports: Ports::Any,
                    evidence: Evidence::explicit([at.span, zone_at.span]),
                });
            }
            if let Some(at) = screen.limit_source {
                device.brute_force.push(BruteForce {
                    protocol: None,
                    ports: Ports::Any,
                    evidence: Evidence::explicit([at.span, zone_at.span]),
                });
            }
        }
    }
}

/// Every address but `excluded` (an empty list: any address) as prefixes; `None` when a name
/// is among them or the complement would be too long to evaluate.
fn complement(excluded: &[Address]) -> Option<Vec<Address>> {
    if excluded.is_empty() {
        return Some(Vec::new());
    }
    let mut v4: Vec<(u128, u8)> = vec![(0, 0)];
    let mut v6: Vec<(u128, u8)> = vec![(0, 0)];
    for address in excluded {
        let Address::Net(cut) = address else {
            return None;
        };
        let (set, bits, value) = match cut {
            IpNet::V4(n) => (&mut v4, 32u8, u128::from(u32::from(n.network()))),
            IpNet::V6(n) => (&mut v6, 128u8, u128::from(n.network())),
        };
        let cut_len = cut.prefix_len();
        let mut next = Vec::new();
        for &(base, len) in set.iter() {
            if !prefix_contains(base, len, value, bits)
                && !prefix_contains(value, cut_len, base, bits)
            {
                next.push((base, len));
            } else if len < cut_len && prefix_contains(base, len, value, bits) {
                // Keep the sibling at every level between the prefix and the cut.
                for level in len + 1..=cut_len {
                    let bit = 1u128 << bits.saturating_sub(level);
                    let sibling = (value & mask(level, bits)) ^ bit;
                    next.push((sibling, level));
                }
            }
            // Otherwise the prefix lies inside the cut and goes.
        }
        if next.len() > MAX_RESOLVED {
            return None;
        }
        *set = next;
    }
    let mut out = Vec::new();
    for (base, len) in v4 {
        let addr = std::net::Ipv4Addr::from(u32::try_from(base).ok()?);
        out.push(Address::Net(IpNet::V4(Ipv4Net::new(addr, len).ok()?)));
    }
    for (base, len) in v6 {
        let addr = std::net::Ipv6Addr::from(base);
        out.push(Address::Net(IpNet::V6(Ipv6Net::new(addr, len).ok()?)));
    }
    Some(out)
}

/// The network mask of a `len`-bit prefix in a `bits`-bit address, as the low bits of a u128.
fn mask(len: u8, bits: u8) -> u128 {
    let all = if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    if len == 0 {
        0
    } else {
        all & !((1u128 << (bits.saturating_sub(len))) - 1)
    }
}

/// The prefix `base/len` contains address `value`.
fn prefix_contains(base: u128, len: u8, value: u128, bits: u8) -> bool {
    (base & mask(len, bits)) == (value & mask(len, bits))
}

/// Accept rules for one list of system services: `all` (minus `except` entries) or each
/// service's ports.
fn service_rules(list: &[Svc]) -> Vec<FilterRule> {
    let mut out = Vec::new();
    let all: Vec<&Svc> = list
        .iter()
        .filter(|s| !s.except && matches!(tables::service(&s.name), Some(Service::All)))
        .collect();
    let excepted: Vec<&Svc> = list.iter().filter(|s| s.except).collect();
    if !all.is_empty() {
        let mut spans: Vec<Span> = all.iter().map(|s| s.at.span).collect();
        spans.extend(excepted.iter().map(|s| s.at.span));
        if excepted.is_empty() {
            out.push(accept(None, Ports::Any, spans));
        } else {
            for proto in [Protocol::Tcp, Protocol::Udp] {
                let cut: Vec<PortRange> = excepted
                    .iter()
                    .filter_map(|s| match tables::service(&s.name) {
                        Some(Service::Ports(ports)) => Some(ports),
                        _ => None,
                    })
                    .flat_map(|ports| ports.iter())
                    .filter(|(p, _, _)| *p == proto)
                    .map(|&(_, a, b)| PortRange::new(a, b))
                    .collect();
                let left = if cut.is_empty() {
                    Some(Ports::Any)
                } else {
                    Ports::Any.subtract(&Ports::from_ranges(cut))
                };
                if let Some(left) = left {
                    out.push(accept(Some(proto), left, spans.clone()));
                }
            }
        }
        return out;
    }
    for svc in list.iter().filter(|s| !s.except) {
        if let Some(Service::Ports(ports)) = tables::service(&svc.name) {
            for &(proto, a, b) in ports {
                out.push(accept(
                    Some(proto),
                    Ports::from_ranges([PortRange::new(a, b)]),
                    vec![svc.at.span],
                ));
            }
        }
    }
    out
}

fn accept(protocol: Option<Protocol>, ports: Ports, spans: Vec<Span>) -> FilterRule {
    FilterRule {
        path: Path::ToDevice,
        protocol,
        source: Vec::new(),
        source_ports: Ports::Any,
        destination: Vec::new(),
        destination_ports: ports,
        action: Action::Accept,
        conditional: false,
        evidence: Evidence::explicit(spans),
    }
}

#[cfg(test)]
mod tests {
    use super::super::stmt::Word;
    use super::*;

    fn stmt(text: &str) -> Stmt<'_> {
        Stmt {
            words: text
                .split(' ')
                .map(|w| Word {
                    text: w.into(),
                    start: 0,
                    end: 0,
                })
                .collect(),
            inactive: false,
            line: 1,
            last_line: 1,
            start: 0,
            end: 0,
        }
    }

    #[test]
    fn pairs_read_keys_values_lists_and_ranges() {
        let s = stmt(
            "x match source-address a destination-address [ b c ] destination-port 100 to 200 source-address-excluded application any",
        );
        let got = pairs(&s, 2, &["source-address-excluded"]);
        assert_eq!(
            got,
            vec![
                ("source-address", vec!["a"]),
                ("destination-address", vec!["b", "c"]),
                ("destination-port", vec!["100", "to", "200"]),
                ("source-address-excluded", vec![]),
                ("application", vec!["any"]),
            ]
        );
    }

    #[test]
    fn ports_and_addresses() {
        assert_eq!(ports_of(&["5060"]), Some(Ports::single(5060)));
        assert_eq!(ports_of(&["sip"]), Some(Ports::single(5060)));
        assert_eq!(
            ports_of(&["100", "to", "200"]),
            Some(Ports::from_ranges([PortRange::new(100, 200)]))
        );
        assert_eq!(
            ports_of(&["10000-20000"]),
            Some(Ports::from_ranges([PortRange::new(10000, 20000)]))
        );
        assert_eq!(ports_of(&["0"]), Some(Ports::Any));
        assert_eq!(ports_of(&["99999"]), None);
        assert_eq!(ports_of(&["-5"]), None);
        assert_eq!(ports_of(&["5-x"]), None);
        assert_eq!(net("10.0.0.1"), "10.0.0.1/32".parse().ok());
        assert_eq!(range_nets("10.0.0.0", "10.0.0.3").map(|v| v.len()), Some(1));
        assert!(range_nets("10.0.0.1", "::1").is_none());
    }

    #[test]
    fn curly_pool_knobs_keep_the_pool() {
        let source = Source::new("t", "");
        let mut reader = Reader::new(&source);
        let base = "security nat source rule-set r rule a then source-nat pool";
        reader.feed(0, &stmt(&format!("{base} p1")));
        reader.feed(
            1,
            &stmt(&format!("{base} persistent-nat permit any-remote-host")),
        );
        let rule = &reader.snat.get("r").unwrap().rules.get("a").unwrap();
        assert!(matches!(&rule.then, Some((NatThen::Pool(p), _)) if p == "p1"));
    }

    #[test]
    fn complement_of_prefixes() {
        let n = |t: &str| Address::Net(t.parse().unwrap());
        let rest = complement(&[n("10.0.0.0/8")]).unwrap();
        // 8 v4 prefixes (0/5 … 11/8 siblings) and ::/0.
        assert_eq!(rest.len(), 9);
        assert!(rest.contains(&n("0.0.0.0/5")));
        assert!(rest.contains(&n("11.0.0.0/8")));
        assert!(rest.contains(&n("::/0")));
        assert!(!rest.iter().any(|a| match (a, n("10.1.2.3/32")) {
            (Address::Net(o), Address::Net(i)) => o.contains(&i),
            _ => false,
        }));
        let two = complement(&[n("0.0.0.0/1"), n("128.0.0.0/1"), n("::/0")]).unwrap();
        assert!(two.is_empty());
        assert!(complement(&[Address::Fqdn("x".into())]).is_none());
        assert_eq!(complement(&[]), Some(Vec::new()));
    }

    #[test]
    fn zone_names() {
        assert!(looks_wan("untrust") && looks_wan("WAN0") && !looks_wan("trust"));
        assert!(looks_lan("trust") && looks_lan("lan0") && !looks_lan("untrust"));
    }
}
