//! Cisco ASA: `show running-config` (8.3+ object NAT syntax, 9.x), oxidized captures of it (the
//! `show version` output as `! ` comments before `ASA Version`), and the configuration-mode
//! lines `sipwall rules --vendor cisco-asa` writes.
//!
//! What is read, and the vendor facts behind it (research/anchors-firewall.md §2, §3.3 unless
//! said otherwise):
//! - SIP inspection: `inspect sip [MAP]` / `no inspect sip` under a `class` of a `policy-map`
//!   that a `service-policy NAME global|interface IFC` applies. The factory `global_policy`
//!   inspects SIP in `class inspection_default` (`match default-inspection-traffic`, which holds
//!   TCP and UDP 5060 for SIP). A complete running-config without the `service-policy` line has
//!   the policy-map defined but not applied; a configuration fragment (no `ASA Version` header,
//!   such as our own rendering) relies on the factory `service-policy global_policy global`.
//! - UDP idle timeout: `timeout udp` (shown inside `timeout conn … udp 0:02:00`), default
//!   0:02:00; `set connection timeout idle` in a class of an applied policy-map for the ports its
//!   class-map matches (the first class with a connection setting wins for a flow). `timeout sip`
//!   / `sip_media` govern SIP signalling and media connections while SIP inspection is on: they
//!   are reported with the inspection state, not as UDP binding timeouts.
//! - Access rules: `access-list NAME extended permit|deny …` bound by `access-group NAME in|out
//!   interface IFC` or `global`; an access list ends with an implicit deny. Without an access
//!   list an interface follows its security level: higher to lower allowed, lower to higher
//!   denied. Since 8.3 access lists name the real (untranslated) addresses.
//! - NAT: object NAT (` nat (real,mapped) dynamic|static …` inside `object network`) and twice
//!   NAT (`nat (real,mapped) source dynamic|static …`). Dynamic PAT keeps the real source port
//!   when it is free (no randomisation) unless `block-allocation` hands out port blocks; static
//!   NAT with `service` is a port forward, without it a whole host (1:1).
//! - The ASA itself: `ssh|http|telnet ADDR MASK IFC` open its management services per interface;
//!   interface access lists do not govern traffic to the box.
//!
//! Interfaces: WAN and LAN are the `--wan` / `--lan` nameifs (or hardware names), else
//! inferred (`outside` / `inside`, the interfaces of dynamic PAT, names like
//! wan/internet/untrust, security levels).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use sipwall_firewall::Vendor;
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};

use super::{Hints, ParseError, Parsed};
use crate::coverage::{Coverage, LineClass};
use crate::device::{
    AlgState, DefaultAction, Device, Evidence, FilterRule, Forward, Offload, Path, SourceNat,
    UdpTimeout, VendorDefault, VersionIssue, Versioned,
};
use crate::source::{Source, Span};

pub const ID: &str = "cisco-asa";
pub const EXPORT: &str = "Cisco ASA: `show running-config` (or `more system:running-config`) in \
                          privileged EXEC mode, the whole output saved as text";

/// SIP inspection in the factory configuration (research §2 table, §3.3 [D]).
pub const SIP_INSPECTION_DEFAULT: VendorDefault = VendorDefault {
    statement: "SIP inspection on: the factory policy-map global_policy inspects SIP (TCP and UDP \
                5060) in class inspection_default (`match default-inspection-traffic`), applied \
                by `service-policy global_policy global`",
    versions: "ASA 7.0 and later (incl. 9.x)",
    source: "Cisco ASA Series Firewall CLI Configuration Guide, Getting Started with Application \
             Layer Protocol Inspection, Default Inspection Policy (mirrors \
             https://easymanua.ls/cisco/asa-5512-x/manual/124633?p=342 , \
             https://www.manualslib.com/manual/1658143/Cisco-Asa-5506-X.html?page=217); \
             anchors-firewall.md §2, §3.3",
};

/// The factory `service-policy global_policy global` a configuration fragment relies on.
pub const GLOBAL_POLICY_APPLIED: VendorDefault = VendorDefault {
    statement: "policy-map global_policy is applied to all interfaces by `service-policy \
                global_policy global`, part of the factory configuration (a fragment without \
                service-policy lines keeps it)",
    versions: "ASA 7.0 and later (incl. 9.x)",
    source: "Cisco ASA Series Firewall CLI Configuration Guide, Default Inspection Policy; factory \
             export mpenning/ciscoconfparse tests/fixtures/configs/sample_01.asa \
             (anchors-firewall.md §3.3 [V])",
};

/// `timeout udp` default (research §2 table, §3.3 [V]).
pub const UDP_TIMEOUT_DEFAULT: VendorDefault = VendorDefault {
    statement: "UDP idle timeout 0:02:00 (`timeout udp`, shown as `timeout conn … udp 0:02:00`)",
    versions: "ASA 7.0 and later (incl. 9.x)",
    source: "Cisco ASA Series Command Reference, `timeout`; factory export \
             mpenning/ciscoconfparse tests/fixtures/configs/sample_01.asa `timeout conn 1:00:00 \
             half-closed 0:59:00 udp 0:02:00` (anchors-firewall.md §2, §3.3 [V])",
};

/// Dynamic PAT port allocation (the fact our renderer relies on too).
pub const PAT_KEEPS_PORT: VendorDefault = VendorDefault {
    statement: "dynamic PAT uses the real source port as the mapped port when it is free (no \
                randomisation); dynamic NAT without PAT does not change ports",
    versions: "ASA 8.4 and later (incl. 9.x)",
    source: "Cisco ASA CLI Configuration Guide, Network Object NAT / Twice NAT, Dynamic PAT \
             guidelines: \"If available, the real source port number is used for the mapped \
             port\" (8.4 guide mirrors on manualsdir.com / manualsonline.com)",
};

/// PAT port block allocation.
pub const PAT_BLOCK_ALLOCATION: VendorDefault = VendorDefault {
    statement: "PAT with `block-allocation` gives each host a block of ports and maps its \
                connections into that block, not to the real source port",
    versions: "ASA 9.5(1) and later",
    source: "Cisco ASA Series Firewall CLI Configuration Guide, Network Address Translation, PAT \
             Pool Object Guidelines (port block allocation)",
};

/// Interfaces without an access list.
pub const SECURITY_LEVELS: VendorDefault = VendorDefault {
    statement: "without an access list bound to the interface, traffic from a higher to a lower \
                security level passes and from a lower to a higher one is dropped; `nameif \
                inside` gets level 100, other nameifs 0 unless set",
    versions: "all",
    source: "Cisco ASA Series General Operations CLI Configuration Guide, Basic Interface \
             Configuration, Security Levels",
};

/// The end of every access list.
pub const ACL_IMPLICIT_DENY: VendorDefault = VendorDefault {
    statement: "an access list bound with `access-group` ends with an implicit deny of what it \
                does not permit",
    versions: "all",
    source: "Cisco ASA Series Firewall CLI Configuration Guide, Access Rules, Implicit Deny",
};

/// Traffic to the ASA itself.
pub const MANAGEMENT_ACCESS: VendorDefault = VendorDefault {
    statement: "the ASA answers SSH, ASDM/HTTPS and Telnet only from the addresses listed per \
                interface by `ssh`, `http` and `telnet`; interface access lists do not open it",
    versions: "all",
    source: "Cisco ASA Series General Operations CLI Configuration Guide, Management Access",
};

/// SIP's default inspection port.
const SIP_PORT: u16 = 5060;
const DEFAULT_UDP_SECONDS: u32 = 120;
const DEFAULT_SIP_MEDIA: &str = "0:02:00";
/// Nesting of object-groups followed at most.
const MAX_DEPTH: usize = 16;

const HINT: &str = "export the configuration with `show running-config` on the ASA (privileged \
                    EXEC) and pass the whole output, or name the format with --format";

// ---------------------------------------------------------------------------------------------
// Detection

/// How sure the text is an ASA running-config (or an ASA paste of our own).
pub fn fingerprint(text: &str) -> u32 {
    let mut score: u32 = 0;
    let mut ios = false;
    for (index, raw) in text.lines().take(4000).enumerate() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if index == 0 && trimmed.starts_with(": Saved") {
            score += 60;
        }
        if line.starts_with("ASA Version ") {
            return 100;
        }
        if trimmed.starts_with("! Cisco Adaptive Security Appliance Software Version") {
            score += 60;
        }
        if trimmed.starts_with("nameif ") {
            score += 25;
        } else if trimmed.starts_with("security-level ") {
            score += 10;
        } else if line == "policy-map global_policy" {
            score += 30;
        } else if trimmed == "class inspection_default" || line == "class-map inspection_default" {
            score += 20;
        } else if (line.starts_with("access-group ") && line.contains(" interface "))
            || trimmed.starts_with("nat (")
        {
            score += 25;
        } else if line.starts_with("object network ") {
            score += 15;
        } else if line.starts_with("access-list ") && line.contains(" extended ") {
            score += 20;
        } else if line.starts_with("service-policy ") {
            score += 15;
        } else if line.starts_with("ip nat ")
            || line.starts_with("ip access-list ")
            || line.starts_with("zone-pair ")
            || line.starts_with("zone security ")
            || line.starts_with("config ")
            || line.starts_with("set ")
            || line.starts_with("/ip ")
        {
            ios = true;
        }
        if score >= 95 {
            break;
        }
    }
    if ios {
        return 0;
    }
    score.min(95)
}

// ---------------------------------------------------------------------------------------------
// Small parsers

/// `h:mm:ss` (also `mm:ss`) in seconds; `None` when malformed or too large.
fn hms(text: &str) -> Option<u32> {
    let mut total: u32 = 0;
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    for part in parts {
        let value: u32 = part.parse().ok()?;
        total = total.checked_mul(60)?.checked_add(value)?;
    }
    Some(total)
}

/// ASA port literals (Cisco ASA configuration guide, "TCP and UDP Ports" table).
fn port_literal(name: &str) -> Option<u16> {
    Some(match name {
        "aol" => 5190,
        "bgp" => 179,
        "biff" => 512,
        "bootpc" => 68,
        "bootps" => 67,
        "chargen" => 19,
        "cifs" => 3020,
        "citrix-ica" => 1494,
        "cmd" => 514,
        "ctiqbe" => 2748,
        "daytime" => 13,
        "discard" => 9,
        "dnsix" => 195,
        "domain" => 53,
        "echo" => 7,
        "exec" => 512,
        "finger" => 79,
        "ftp" => 21,
        "ftp-data" => 20,
        "gopher" => 70,
        "h323" => 1720,
        "hostname" => 101,
        "http" | "www" => 80,
        "https" => 443,
        "ident" => 113,
        "imap4" => 143,
        "irc" => 194,
        "isakmp" => 500,
        "kerberos" => 750,
        "klogin" => 543,
        "kshell" => 544,
        "ldap" => 389,
        "ldaps" => 636,
        "login" => 513,
        "lotusnotes" => 1352,
        "lpd" => 515,
        "mobile-ip" => 434,
        "nameserver" => 42,
        "netbios-dgm" => 138,
        "netbios-ns" => 137,
        "netbios-ssn" => 139,
        "nfs" => 2049,
        "nntp" => 119,
        "ntp" => 123,
        "pcanywhere-data" => 5631,
        "pcanywhere-status" => 5632,
        "pim-auto-rp" => 496,
        "pop2" => 109,
        "pop3" => 110,
        "pptp" => 1723,
        "radius" => 1645,
        "radius-acct" => 1646,
        "rip" => 520,
        "rsh" => 514,
        "rtsp" => 554,
        "secureid-udp" => 5510,
        "sip" => 5060,
        "smtp" => 25,
        "snmp" => 161,
        "snmptrap" => 162,
        "sqlnet" => 1521,
        "ssh" => 22,
        "sunrpc" => 111,
        "syslog" => 514,
        "tacacs" => 49,
        "talk" => 517,
        "telnet" => 23,
        "tftp" => 69,
        "time" => 37,
        "uucp" => 540,
        "vxlan" => 4789,
        "who" => 513,
        "whois" => 43,
        "xdmcp" => 177,
        _ => return None,
    })
}

fn port(text: &str) -> Option<u16> {
    match text.parse::<u16>() {
        Ok(0) => None,
        Ok(p) => Some(p),
        Err(_) => port_literal(text),
    }
}

fn is_port_op(word: &str) -> bool {
    matches!(word, "eq" | "neq" | "lt" | "gt" | "range")
}

/// A port operator and its operands (`eq 5060`, `range 10000 20000`, …): the ports and the
/// number of words used.
fn port_op(words: &[&str]) -> Option<(Ports, usize)> {
    let op = *words.first()?;
    let first = port(words.get(1)?)?;
    match op {
        "eq" => Some((Ports::single(first), 2)),
        "neq" => Some((Ports::Any.subtract(&Ports::single(first))?, 2)),
        "lt" if first > 1 => Some((Ports::from_ranges([PortRange::new(1, first - 1)]), 2)),
        "gt" if first < u16::MAX => {
            Some((Ports::from_ranges([PortRange::new(first + 1, u16::MAX)]), 2))
        }
        "range" => {
            let last = port(words.get(2)?)?;
            Some((Ports::from_ranges([PortRange::new(first, last)]), 3))
        }
        _ => None,
    }
}

/// The layer-4 protocols of a protocol word: `None` in the list is "every protocol" (`ip`);
/// an empty list is a protocol the facts do not track (icmp, esp, …).
fn protocols(word: &str) -> Option<Vec<Option<Protocol>>> {
    Some(match word {
        "ip" | "0" => vec![None],
        "tcp" | "6" => vec![Some(Protocol::Tcp)],
        "udp" | "17" => vec![Some(Protocol::Udp)],
        "tcp-udp" => vec![Some(Protocol::Tcp), Some(Protocol::Udp)],
        "icmp" | "icmp6" | "esp" | "ah" | "gre" | "sctp" | "igmp" | "pim" | "eigrp" | "ospf"
        | "ipinip" | "ipsec" | "nos" | "pcp" | "snp" | "igrp" => Vec::new(),
        other if other.parse::<u8>().is_ok() => Vec::new(),
        _ => return None,
    })
}

fn mask_prefix(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    let ones = bits.leading_ones();
    // A netmask is contiguous ones: everything after them must be zero.
    if ones < 32 && bits << ones != 0 {
        return None;
    }
    u8::try_from(ones).ok()
}

fn v4(addr: Ipv4Addr, prefix: u8) -> Option<Address> {
    Ipv4Net::new(addr, prefix)
        .ok()
        .map(|n| Address::Net(IpNet::V4(n.trunc())))
}

fn host(addr: IpAddr) -> Address {
    Address::Net(IpNet::from(addr))
}

/// `A/len` (IPv6 or IPv4 prefix notation).
fn prefix_net(text: &str) -> Option<Address> {
    let net: IpNet = text.parse().ok()?;
    Some(Address::Net(net.trunc()))
}

/// The prefixes covering `first..=last` (IPv4 or IPv6 as integers of `bits` bits).
fn range_nets(first: IpAddr, last: IpAddr) -> Option<Vec<Address>> {
    let (start, end, bits) = match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return None,
    };
    if start > end {
        return None;
    }
    let mut out = Vec::new();
    let mut current = start;
    // At most 2 * bits prefixes cover any range; the bound keeps the loop finite.
    for _ in 0..(2 * bits + 2) {
        let align = if current == 0 {
            bits
        } else {
            current.trailing_zeros().min(bits)
        };
        let span_bits = (0..=align)
            .rev()
            .find(|b| {
                let size = if *b >= 128 {
                    u128::MAX
                } else {
                    (1u128 << b) - 1
                };
                current.checked_add(size).is_some_and(|top| top <= end)
            })
            .unwrap_or(0);
        let prefix = (bits - span_bits) as u8;
        let net = if bits == 32 {
            let addr = Ipv4Addr::from(u32::try_from(current).ok()?);
            IpNet::V4(Ipv4Net::new(addr, prefix).ok()?)
        } else {
            IpNet::V6(Ipv6Net::new(Ipv6Addr::from(current), prefix).ok()?)
        };
        out.push(Address::Net(net));
        let size = if span_bits >= 128 {
            return Some(out);
        } else {
            1u128 << span_bits
        };
        match current.checked_add(size) {
            Some(next) if next <= end => current = next,
            _ => return Some(out),
        }
    }
    Some(out)
}

fn ip(text: &str) -> Option<IpAddr> {
    text.parse().ok()
}

/// The words of a line, without a trailing comment-free split.
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The two interface names of `(real,mapped)`.
fn nat_interfaces(word: &str) -> Option<(String, String)> {
    let inner = word.strip_prefix('(')?.strip_suffix(')')?;
    let (real, mapped) = inner.split_once(',')?;
    Some((real.trim().to_string(), mapped.trim().to_string()))
}

// ---------------------------------------------------------------------------------------------
// What the first pass collects

#[derive(Debug, Default)]
struct Interface {
    /// The hardware name (`GigabitEthernet0/0`), for hints that give it instead of the nameif.
    physical: String,
    nameif: Option<String>,
    security: Option<(u8, u32)>,
    management: bool,
}

#[derive(Debug, Clone)]
struct SvcEntry {
    protocols: Vec<Option<Protocol>>,
    source: Ports,
    destination: Ports,
}

#[derive(Debug, Clone)]
enum Member {
    Addresses(Vec<Address>),
    Object(String),
    Group(String),
    Ports(Ports),
    Service(SvcEntry),
    ServiceObject(String),
    Protocols(Vec<Option<Protocol>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupKind {
    Network,
    /// `object-group service NAME tcp|udp|tcp-udp` with `port-object` members.
    PortGroup,
    /// `object-group service NAME` with `service-object` members.
    ServiceGroup,
    Protocol,
}

#[derive(Debug)]
struct Group {
    kind: GroupKind,
    members: Vec<Member>,
}

#[derive(Debug, Default)]
struct NetObject {
    addresses: Option<Vec<Address>>,
}

#[derive(Debug, Clone)]
enum ClassMatch {
    DefaultInspection,
    Any,
    Port(Vec<Protocol>, Ports),
    Acl(String),
    Other,
}

#[derive(Debug, Default)]
struct PolicyClass {
    name: String,
    line: u32,
    /// `inspect sip` (true) or `no inspect sip` (false), the line and the inspect map.
    sip: Option<(bool, u32, Option<String>)>,
    idle: Option<(u32, u32)>,
    offload: Option<u32>,
}

#[derive(Debug, Default)]
struct PolicyMap {
    name: String,
    line: u32,
    classes: Vec<PolicyClass>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bind {
    In,
    Out,
    ControlPlane,
    Global,
}

#[derive(Debug)]
struct AccessGroup {
    acl: String,
    bind: Bind,
    interface: Option<String>,
    line: u32,
}

#[derive(Debug)]
struct ServicePolicy {
    policy: String,
    line: u32,
}

#[derive(Debug)]
struct Management {
    port: u16,
    web: bool,
    source: Vec<Address>,
    interface: String,
    line: u32,
}

enum Block<'a> {
    None,
    Interface(usize),
    Object(&'a str),
    Service(&'a str),
    Group(&'a str),
    ClassMap(&'a str),
    /// The policy-map and the class being edited.
    PolicyMap(usize, Option<usize>),
    Ignored,
    Unknown,
}

/// A resolved side of an access-list entry.
enum Side {
    Any,
    Nets(Vec<Address>),
    /// `interface IFC` (the ASA's own address) or something not in the export.
    Unusable,
}

struct Ace {
    permit: bool,
    /// (protocol, destination ports, source ports)
    services: Vec<(Option<Protocol>, Ports, Ports)>,
    source: Side,
    destination: Side,
    conditional: bool,
}

/// Top-level commands with no bearing on VoIP through the firewall.
const IGNORED_TOP: &[&str] = &[
    "hostname",
    "domain-name",
    "enable",
    "passwd",
    "names",
    "name",
    "mac-address",
    "banner",
    "boot",
    "ftp",
    "clock",
    "dns",
    "dns-guard",
    "pager",
    "logging",
    "mtu",
    "icmp",
    "ipv6",
    "asdm",
    "arp",
    "route",
    "aaa-server",
    "aaa",
    "user-identity",
    "snmp-server",
    "crypto",
    "console",
    "threat-detection",
    "ntp",
    "username",
    "dynamic-access-policy-record",
    "webvpn",
    "group-policy",
    "tunnel-group",
    "prompt",
    "call-home",
    "password",
    "service-module",
    "terminal",
    "monitor-interface",
    "failover",
    "license",
    "vpn",
    "vpdn",
    "ip",
    "dhcpd",
    "dhcprelay",
    "management-access",
    "service",
    "firewall",
    "tls-proxy",
    "privilege",
    "jumbo-frame",
    "sysopt",
    "time-range",
    "smtp-server",
    "auth-prompt",
    "flow-export",
    "wccp",
    "router",
    "prefix-list",
    "route-map",
    "tcp-map",
    "regex",
    "virtual",
    "quota",
    "hpm",
    "cluster",
    "context",
    "config-url",
    "allocate-interface",
    "admin-context",
    "mode",
    "anyconnect",
    "cts",
    "dynamic-filter",
    "snmp-map",
    "ldap",
    "certificate",
    "end",
    "mgcp-map",
    "gtp-map",
    "h323-map",
    "dhcp-client",
    "multicast-routing",
    "pim",
    "igmp",
    "ssl",
    "scansafe",
    "http-map",
    "tftp-server",
    "auto-update",
    "email",
    "resource",
    "limit-resource",
    "upgrade-profile",
    "mac-list",
    "rest-api",
    "fragment",
    "shun",
    "phone-proxy",
    "ctl-file",
    "media-termination",
    "uc-ime",
    "dp",
];

// ---------------------------------------------------------------------------------------------
// The parser

struct Parser<'a> {
    source: &'a Source,
    hints: &'a Hints,
    coverage: Coverage,
    version: Option<(String, u32)>,
    /// A complete running-config (`ASA Version` / `: Saved`), not a fragment to paste.
    full_export: bool,
    interfaces: Vec<Interface>,
    /// Interface names in the order the export mentions them.
    names_seen: Vec<String>,
    objects: HashMap<String, NetObject>,
    services: HashMap<String, Vec<SvcEntry>>,
    groups: HashMap<String, Group>,
    acls: HashMap<String, Vec<u32>>,
    access_groups: Vec<AccessGroup>,
    object_nats: Vec<(String, u32)>,
    twice_nats: Vec<u32>,
    /// `timeout` keys and values: (key, seconds, line, value text).
    timeouts: Vec<(String, u32, u32, String)>,
    class_maps: HashMap<String, Vec<ClassMatch>>,
    policies: Vec<PolicyMap>,
    policy_index: HashMap<String, usize>,
    service_policies: Vec<ServicePolicy>,
    management: Vec<Management>,
    http_server: Option<(u16, u32)>,
    same_security: bool,
    flow_offload: bool,
    legacy_nat: Vec<u32>,
    /// Resolved network groups and objects, by name.
    net_cache: HashMap<String, Option<Vec<Address>>>,
}

pub fn parse(source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
    let text = &source.text;
    if text.trim().is_empty() {
        return Err(ParseError::new("the input is empty", None, HINT));
    }
    if text.contains('\0') {
        return Err(ParseError::new(
            "the input is binary, not an ASA configuration",
            None,
            HINT,
        ));
    }
    if fingerprint(text) == 0 {
        return Err(ParseError::new(
            "this does not look like a Cisco ASA configuration (no `ASA Version`, nameif, \
             access-group, object NAT or policy-map line)",
            None,
            HINT,
        ));
    }
    let mut parser = Parser {
        source,
        hints,
        coverage: Coverage::new(source),
        version: None,
        full_export: false,
        interfaces: Vec::new(),
        names_seen: Vec::new(),
        objects: HashMap::new(),
        services: HashMap::new(),
        groups: HashMap::new(),
        acls: HashMap::new(),
        access_groups: Vec::new(),
        object_nats: Vec::new(),
        twice_nats: Vec::new(),
        timeouts: Vec::new(),
        class_maps: HashMap::new(),
        policies: Vec::new(),
        policy_index: HashMap::new(),
        service_policies: Vec::new(),
        management: Vec::new(),
        http_server: None,
        same_security: false,
        flow_offload: false,
        legacy_nat: Vec::new(),
        net_cache: HashMap::new(),
    };
    parser.scan();
    let device = parser.facts();
    Ok(Parsed {
        device,
        coverage: parser.coverage,
    })
}

impl<'a> Parser<'a> {
    fn mark(&mut self, line: u32, class: LineClass) {
        self.coverage.mark(line, class);
    }

    fn see(&mut self, name: &str) {
        if name != "any" && !self.names_seen.iter().any(|n| n == name) {
            self.names_seen.push(name.to_string());
        }
    }

    /// First pass: definitions, bindings and line classes of everything but access-list
    /// entries and NAT rules (those need every object and group first).
    fn scan(&mut self) {
        let source = self.source;
        let mut block = Block::None;
        let mut w: Vec<&'a str> = Vec::new();
        for (number, line) in source.lines() {
            // A byte-order mark before the first line (Windows editors) is no text.
            let line = line.trim_start_matches('\u{feff}');
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.starts_with('!') || trimmed.starts_with(':') {
                // A lone `!` or `:` separates sections; `! text` / `: text` are comments (the
                // oxidized `show version` block, `: Saved`, `: end`, our instructions).
                if trimmed == "!" || trimmed == ":" {
                    self.mark(number, LineClass::Blank);
                    block = Block::None;
                } else {
                    self.mark(number, LineClass::Ignored);
                }
                continue;
            }
            w.clear();
            w.extend(trimmed.split_whitespace());
            if indent_of(line) == 0 {
                block = self.top(number, &w);
            } else {
                let class = self.sub(number, indent_of(line), &w, &mut block);
                self.mark(number, class);
            }
        }
    }

    /// A top-level command: its class, and the block its sub-commands belong to.
    fn top(&mut self, number: u32, w: &[&'a str]) -> Block<'a> {
        let first = w.first().copied().unwrap_or("");
        let second = w.get(1).copied().unwrap_or("");
        let (class, block) = match first {
            "ASA" if second == "Version" => {
                self.full_export = true;
                if let Some(version) = w.get(2) {
                    self.version = Some((version.to_string(), number));
                }
                (LineClass::Understood, Block::None)
            }
            "interface" => {
                self.interfaces.push(Interface {
                    physical: second.to_string(),
                    ..Interface::default()
                });
                (
                    LineClass::Understood,
                    Block::Interface(self.interfaces.len() - 1),
                )
            }
            "object" => match (second, w.get(2)) {
                ("network", Some(name)) => {
                    if !self.objects.contains_key(*name) {
                        self.objects.insert(name.to_string(), NetObject::default());
                    }
                    (LineClass::Understood, Block::Object(name))
                }
                ("service", Some(name)) => {
                    if !self.services.contains_key(*name) {
                        self.services.insert(name.to_string(), Vec::new());
                    }
                    (LineClass::Understood, Block::Service(name))
                }
                _ => (LineClass::Unknown, Block::Unknown),
            },
            "object-group" => self.group_header(w),
            "access-list" => {
                if let Some(name) = w.get(1) {
                    match self.acls.get_mut(*name) {
                        Some(lines) => lines.push(number),
                        None => {
                            self.acls.insert(name.to_string(), vec![number]);
                        }
                    }
                }
                (LineClass::Unknown, Block::None)
            }
            "access-group" => (self.access_group(number, w), Block::None),
            "nat" => {
                if w.get(1)
                    .is_some_and(|x| x.starts_with('(') && !x.contains(','))
                {
                    // `nat (inside) 1 0 0`: the NAT syntax removed in 8.3.
                    self.legacy_nat.push(number);
                    (LineClass::Unknown, Block::None)
                } else {
                    if let Some((real, mapped)) = w.get(1).and_then(|x| nat_interfaces(x)) {
                        self.see(&real);
                        self.see(&mapped);
                    }
                    self.twice_nats.push(number);
                    (LineClass::Unknown, Block::None)
                }
            }
            "static" | "global" if w.get(1).is_some_and(|x| x.starts_with('(')) => {
                self.legacy_nat.push(number);
                (LineClass::Unknown, Block::None)
            }
            "timeout" => (self.timeout(number, w), Block::None),
            "class-map" => {
                if second == "type" {
                    (LineClass::Ignored, Block::Ignored)
                } else if let Some(name) = w.last().filter(|_| w.len() >= 2) {
                    self.class_maps.entry(name.to_string()).or_default();
                    (LineClass::Understood, Block::ClassMap(name))
                } else {
                    (LineClass::Unknown, Block::Unknown)
                }
            }
            "policy-map" => {
                if second == "type" {
                    // Inspection parameter maps (`policy-map type inspect sip MAP`): they tune
                    // an inspection; whether it runs is the `inspect` line.
                    (LineClass::Ignored, Block::Ignored)
                } else if w.len() == 2 {
                    let index = match self.policy_index.get(second) {
                        Some(index) => *index,
                        None => {
                            self.policies.push(PolicyMap {
                                name: second.to_string(),
                                line: number,
                                classes: Vec::new(),
                            });
                            self.policy_index
                                .insert(second.to_string(), self.policies.len() - 1);
                            self.policies.len() - 1
                        }
                    };
                    (LineClass::Understood, Block::PolicyMap(index, None))
                } else {
                    (LineClass::Unknown, Block::Unknown)
                }
            }
            "service-policy" => (self.service_policy(number, w), Block::None),
            "ssh" | "http" | "telnet" => (self.management_line(number, w), Block::Ignored),
            "same-security-traffic" => {
                if w.get(2) == Some(&"inter-interface") {
                    self.same_security = true;
                }
                (LineClass::Understood, Block::None)
            }
            "xlate" => {
                // Per-session PAT settings: they decide when an xlate is freed, not which
                // port it maps to.
                (LineClass::Understood, Block::None)
            }
            "flow-offload" => {
                if second == "enable" {
                    self.flow_offload = true;
                }
                (LineClass::Understood, Block::None)
            }
            "no" => {
                let applied = [
                    "nat",
                    "access-list",
                    "access-group",
                    "service-policy",
                    "policy-map",
                    "class-map",
                    "object",
                    "object-group",
                    "timeout",
                    "static",
                    "global",
                ];
                if applied.contains(&second) {
                    // Removals in a paste: the facts cannot apply them to an unseen config.
                    (LineClass::Unknown, Block::None)
                } else {
                    (LineClass::Ignored, Block::None)
                }
            }
            f if f.starts_with("Cryptochecksum:") => (LineClass::Ignored, Block::None),
            f if IGNORED_TOP.contains(&f) => (LineClass::Ignored, Block::Ignored),
            _ => (LineClass::Unknown, Block::Unknown),
        };
        self.mark(number, class);
        block
    }

    fn group_header(&mut self, w: &[&'a str]) -> (LineClass, Block<'a>) {
        let (Some(kind), Some(name)) = (w.get(1), w.get(2)) else {
            return (LineClass::Unknown, Block::Unknown);
        };
        let kind = match *kind {
            "network" => GroupKind::Network,
            "service" if w.len() > 3 => GroupKind::PortGroup,
            "service" => GroupKind::ServiceGroup,
            "protocol" => GroupKind::Protocol,
            // icmp-type, user, security groups: not about TCP/UDP ports.
            _ => return (LineClass::Ignored, Block::Ignored),
        };
        if self.groups.contains_key(*name) {
            // Entering a group again (in a paste) adds members to it.
            return (LineClass::Understood, Block::Group(name));
        }
        let mut members = Vec::new();
        if kind == GroupKind::PortGroup {
            match w.get(3).and_then(|p| protocols(p)) {
                Some(protos) => members.push(Member::Protocols(protos)),
                None => return (LineClass::Unknown, Block::Unknown),
            }
        }
        self.groups
            .insert(name.to_string(), Group { kind, members });
        (LineClass::Understood, Block::Group(name))
    }

    fn access_group(&mut self, number: u32, w: &[&str]) -> LineClass {
        let Some(acl) = w.get(1) else {
            return LineClass::Unknown;
        };
        let (bind, interface) = match (w.get(2).copied(), w.get(3).copied(), w.get(4)) {
            (Some("global"), _, _) => (Bind::Global, None),
            (Some(dir @ ("in" | "out")), Some("interface"), Some(ifc)) => {
                let bind = if w.get(5) == Some(&"control-plane") {
                    Bind::ControlPlane
                } else if dir == "in" {
                    Bind::In
                } else {
                    Bind::Out
                };
                (bind, Some(ifc.to_string()))
            }
            _ => return LineClass::Unknown,
        };
        if let Some(ifc) = &interface {
            self.see(ifc);
        }
        self.access_groups.push(AccessGroup {
            acl: acl.to_string(),
            bind,
            interface,
            line: number,
        });
        LineClass::Understood
    }

    /// `timeout KEY h:mm:ss [KEY h:mm:ss …]` (several keys per line in a running-config).
    fn timeout(&mut self, number: u32, w: &[&str]) -> LineClass {
        let mut key: Vec<&str> = Vec::new();
        let mut any = false;
        for word in w.iter().skip(1) {
            match hms(word) {
                Some(seconds) if !key.is_empty() => {
                    self.timeouts
                        .push((key.join(" "), seconds, number, word.to_string()));
                    key.clear();
                    any = true;
                }
                _ => {
                    if *word != "absolute" && *word != "inactivity" {
                        key.push(word);
                    }
                }
            }
        }
        if any {
            LineClass::Understood
        } else {
            LineClass::Unknown
        }
    }

    fn service_policy(&mut self, number: u32, w: &[&str]) -> LineClass {
        match (w.get(1), w.get(2).copied(), w.get(3)) {
            (Some(policy), Some("global"), _) => {
                self.service_policies.push(ServicePolicy {
                    policy: policy.to_string(),
                    line: number,
                });
                LineClass::Understood
            }
            (Some(policy), Some("interface"), Some(ifc)) => {
                let ifc = ifc.to_string();
                self.see(&ifc);
                self.service_policies.push(ServicePolicy {
                    policy: policy.to_string(),
                    line: number,
                });
                LineClass::Understood
            }
            _ => LineClass::Unknown,
        }
    }

    /// `ssh|http|telnet ADDR MASK IFC`, `ssh|http|telnet ADDR/LEN IFC`, `http server enable
    /// [PORT]`; the other forms (timeouts, versions, ciphers) are ignored.
    fn management_line(&mut self, number: u32, w: &[&str]) -> LineClass {
        let kind = w.first().copied().unwrap_or("");
        if kind == "http" && w.get(1) == Some(&"server") && w.get(2) == Some(&"enable") {
            let port = match w.get(3) {
                Some(p) => match p.parse::<u16>() {
                    Ok(p) if p > 0 => p,
                    _ => return LineClass::Unknown,
                },
                None => 443,
            };
            self.http_server = Some((port, number));
            return LineClass::Understood;
        }
        if kind == "http" && w.get(1) == Some(&"redirect") {
            // `http redirect IFC [PORT]`: the ASA listens on PORT (80) there to redirect to
            // HTTPS, for everyone.
            let (Some(interface), port) = (w.get(2), w.get(3).map(|p| p.parse::<u16>())) else {
                return LineClass::Unknown;
            };
            let port = match port {
                None => 80,
                Some(Ok(p)) if p > 0 => p,
                Some(_) => return LineClass::Unknown,
            };
            self.see(interface);
            self.management.push(Management {
                port,
                web: false,
                source: Vec::new(),
                interface: interface.to_string(),
                line: number,
            });
            return LineClass::Understood;
        }
        let (source, interface) = match (w.get(1), w.get(2), w.get(3)) {
            (Some(a), Some(m), Some(ifc)) if a.parse::<Ipv4Addr>().is_ok() => {
                let (Ok(addr), Ok(mask)) = (a.parse::<Ipv4Addr>(), m.parse::<Ipv4Addr>()) else {
                    return LineClass::Unknown;
                };
                let Some(prefix) = mask_prefix(mask) else {
                    return LineClass::Unknown;
                };
                (v4(addr, prefix), ifc.to_string())
            }
            (Some(a), Some(ifc), None) if a.contains('/') => match prefix_net(a) {
                Some(net) => (Some(net), ifc.to_string()),
                None => return LineClass::Unknown,
            },
            _ => return LineClass::Ignored,
        };
        let Some(source) = source else {
            return LineClass::Unknown;
        };
        let port = match kind {
            "ssh" => 22,
            "telnet" => 23,
            _ => 443,
        };
        let any = matches!(&source, Address::Net(n) if n.prefix_len() == 0);
        self.see(&interface);
        self.management.push(Management {
            port,
            web: kind == "http",
            source: if any { Vec::new() } else { vec![source] },
            interface,
            line: number,
        });
        LineClass::Understood
    }

    /// A sub-command (indented line) of the current block.
    fn sub(
        &mut self,
        number: u32,
        indent: usize,
        w: &[&'a str],
        block: &mut Block<'a>,
    ) -> LineClass {
        let first = w.first().copied().unwrap_or("");
        match block {
            Block::Interface(index) => {
                let Some(interface) = self.interfaces.get_mut(*index) else {
                    return LineClass::Unknown;
                };
                match first {
                    "nameif" => {
                        if let Some(name) = w.get(1) {
                            interface.nameif = Some(name.to_string());
                            let name = name.to_string();
                            self.see(&name);
                        }
                        LineClass::Understood
                    }
                    "security-level" => match w.get(1).and_then(|l| l.parse::<u8>().ok()) {
                        Some(level) if level <= 100 => {
                            interface.security = Some((level, number));
                            LineClass::Understood
                        }
                        _ => LineClass::Unknown,
                    },
                    "management-only" => {
                        interface.management = true;
                        LineClass::Understood
                    }
                    "no" if matches!(w.get(1), Some(&"nameif") | Some(&"security-level")) => {
                        LineClass::Understood
                    }
                    _ => LineClass::Ignored,
                }
            }
            Block::Object(name) => {
                let name = *name;
                self.object_member(number, name, w)
            }
            Block::Service(name) => {
                if first == "description" {
                    return LineClass::Ignored;
                }
                if first != "service" {
                    return LineClass::Unknown;
                }
                match service_entry(w.get(1..).unwrap_or(&[])) {
                    Some(entry) => {
                        if let Some(entries) = self.services.get_mut(*name) {
                            entries.push(entry);
                        }
                        LineClass::Understood
                    }
                    None => LineClass::Unknown,
                }
            }
            Block::Group(name) => {
                let name = *name;
                self.group_member(name, w)
            }
            Block::ClassMap(name) => {
                let matched = match (first, w.get(1).copied()) {
                    ("description", _) => return LineClass::Ignored,
                    ("match", Some("default-inspection-traffic")) => ClassMatch::DefaultInspection,
                    ("match", Some("any")) => ClassMatch::Any,
                    ("match", Some("access-list")) => match w.get(2) {
                        Some(acl) => ClassMatch::Acl(acl.to_string()),
                        None => return LineClass::Unknown,
                    },
                    ("match", Some("port")) => {
                        let protos: Vec<Protocol> = match w.get(2).and_then(|p| protocols(p)) {
                            Some(p) => p.into_iter().flatten().collect(),
                            None => return LineClass::Unknown,
                        };
                        match port_op(w.get(3..).unwrap_or(&[])) {
                            Some((ports, _)) => ClassMatch::Port(protos, ports),
                            None => return LineClass::Unknown,
                        }
                    }
                    ("match", Some(_)) => ClassMatch::Other,
                    _ => return LineClass::Unknown,
                };
                if let Some(matches) = self.class_maps.get_mut(*name) {
                    matches.push(matched);
                }
                LineClass::Understood
            }
            Block::PolicyMap(index, current) => {
                let Some(policy) = self.policies.get_mut(*index) else {
                    return LineClass::Unknown;
                };
                if first == "class" {
                    let Some(class) = w.get(1) else {
                        return LineClass::Unknown;
                    };
                    // Re-entering a class edits it in place (our paste re-enters
                    // global_policy for each timeout class); the order of classes stays.
                    let position = match policy.classes.iter().position(|c| c.name == *class) {
                        Some(position) => position,
                        None => {
                            policy.classes.push(PolicyClass {
                                name: class.to_string(),
                                line: number,
                                ..PolicyClass::default()
                            });
                            policy.classes.len() - 1
                        }
                    };
                    *current = Some(position);
                    return LineClass::Understood;
                }
                if indent == 1 {
                    return if first == "description" {
                        LineClass::Ignored
                    } else {
                        LineClass::Unknown
                    };
                }
                let Some(class) = current.and_then(|c| policy.classes.get_mut(c)) else {
                    return LineClass::Unknown;
                };
                match (first, w.get(1).copied(), w.get(2).copied()) {
                    ("inspect", Some("sip"), map) => {
                        class.sip = Some((true, number, map.map(str::to_string)));
                        LineClass::Understood
                    }
                    ("no", Some("inspect"), Some("sip")) => {
                        class.sip = Some((false, number, None));
                        LineClass::Understood
                    }
                    ("inspect", Some(_), _) | ("no", Some("inspect"), _) => LineClass::Understood,
                    ("set", Some("connection"), _) => {
                        if let Some(at) = w.iter().position(|x| *x == "idle") {
                            match w.get(at + 1).and_then(|t| hms(t)) {
                                Some(seconds) => class.idle = Some((seconds, number)),
                                None => return LineClass::Unknown,
                            }
                        }
                        if w.contains(&"flow-offload") {
                            class.offload = Some(number);
                        }
                        LineClass::Understood
                    }
                    // QoS and statistics: no bearing on SIP or timeouts.
                    ("police" | "priority" | "user-statistics" | "shape" | "set", _, _) => {
                        LineClass::Ignored
                    }
                    _ => LineClass::Unknown,
                }
            }
            Block::Ignored => LineClass::Ignored,
            Block::None | Block::Unknown => LineClass::Unknown,
        }
    }
}

/// `PROTO [source OP] [destination OP]` (also `PROTO OP`, the older form for the destination)
/// of `service` and `service-object` lines.
fn service_entry(w: &[&str]) -> Option<SvcEntry> {
    let protos = protocols(w.first()?)?;
    let mut entry = SvcEntry {
        protocols: protos,
        source: Ports::Any,
        destination: Ports::Any,
    };
    if entry.protocols.iter().all(|p| p.is_none()) || entry.protocols.is_empty() {
        // ip, icmp types, …: no ports to read.
        return Some(entry);
    }
    let mut i = 1;
    while i < w.len() {
        match w.get(i).copied() {
            Some("source") => {
                let (ports, used) = port_op(w.get(i + 1..)?)?;
                entry.source = ports;
                i += 1 + used;
            }
            Some("destination") => {
                let (ports, used) = port_op(w.get(i + 1..)?)?;
                entry.destination = ports;
                i += 1 + used;
            }
            Some(op) if is_port_op(op) => {
                let (ports, used) = port_op(w.get(i..)?)?;
                entry.destination = ports;
                i += used;
            }
            _ => return None,
        }
    }
    Some(entry)
}

/// One address operand of a group or object line: `host A`, `A MASK`, `A/LEN`.
fn address_operand(w: &[&str]) -> Option<Address> {
    match *w.first()? {
        "host" => Some(host(ip(w.get(1)?)?)),
        a if a.contains('/') => prefix_net(a),
        a => {
            let addr: Ipv4Addr = a.parse().ok()?;
            let mask: Ipv4Addr = w.get(1)?.parse().ok()?;
            v4(addr, mask_prefix(mask)?)
        }
    }
}

impl<'a> Parser<'a> {
    fn object_member(&mut self, number: u32, name: &str, w: &[&str]) -> LineClass {
        let addresses = match (w.first().copied(), w.get(1).copied()) {
            (Some("description"), _) => return LineClass::Ignored,
            (Some("nat"), _) => {
                if let Some((real, mapped)) = w.get(1).and_then(|x| nat_interfaces(x)) {
                    self.see(&real);
                    self.see(&mapped);
                }
                self.object_nats.push((name.to_string(), number));
                return LineClass::Unknown;
            }
            (Some("host"), Some(a)) => ip(a).map(|a| vec![host(a)]),
            (Some("subnet"), Some(a)) if a.contains('/') => prefix_net(a).map(|n| vec![n]),
            (Some("subnet"), Some(_)) => {
                address_operand(w.get(1..).unwrap_or(&[])).map(|n| vec![n])
            }
            (Some("range"), Some(a)) => match (ip(a), w.get(2).and_then(|b| ip(b))) {
                (Some(a), Some(b)) => range_nets(a, b),
                _ => None,
            },
            (Some("fqdn"), Some(_)) => w.last().map(|f| vec![Address::Fqdn(f.to_string())]),
            _ => None,
        };
        match addresses {
            Some(addresses) => {
                if let Some(object) = self.objects.get_mut(name) {
                    object.addresses = Some(addresses);
                }
                LineClass::Understood
            }
            None => LineClass::Unknown,
        }
    }

    fn group_member(&mut self, name: &str, w: &[&str]) -> LineClass {
        let rest = w.get(1..).unwrap_or(&[]);
        let member = match (w.first().copied(), rest.first().copied()) {
            (Some("description"), _) => return LineClass::Ignored,
            (Some("network-object"), Some("object")) => {
                rest.get(1).map(|o| Member::Object(o.to_string()))
            }
            (Some("network-object"), Some(_)) => {
                address_operand(rest).map(|a| Member::Addresses(vec![a]))
            }
            (Some("group-object"), Some(g)) => Some(Member::Group(g.to_string())),
            (Some("port-object"), Some(_)) => port_op(rest).map(|(p, _)| Member::Ports(p)),
            (Some("service-object"), Some("object")) => {
                rest.get(1).map(|o| Member::ServiceObject(o.to_string()))
            }
            (Some("service-object"), Some(_)) => service_entry(rest).map(Member::Service),
            (Some("protocol-object"), Some(p)) => protocols(p).map(Member::Protocols),
            _ => None,
        };
        match (member, self.groups.get_mut(name)) {
            (Some(member), Some(group)) => {
                group.members.push(member);
                LineClass::Understood
            }
            _ => LineClass::Unknown,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Resolution of names

    /// The addresses of a network object or group, an IP literal, or `any` (empty list).
    fn resolve(&mut self, name: &str) -> Option<Vec<Address>> {
        if matches!(name, "any" | "any4" | "any6") {
            return Some(Vec::new());
        }
        if let Some(addr) = ip(name) {
            return Some(vec![host(addr)]);
        }
        self.resolve_net(name, 0)
    }

    fn resolve_net(&mut self, name: &str, depth: usize) -> Option<Vec<Address>> {
        if let Some(cached) = self.net_cache.get(name) {
            return cached.clone();
        }
        if depth > MAX_DEPTH {
            return None;
        }
        let result = if let Some(object) = self.objects.get(name) {
            object.addresses.clone()
        } else if let Some(group) = self.groups.get(name) {
            if group.kind != GroupKind::Network {
                return None;
            }
            let members = group.members.clone();
            let mut out = Vec::new();
            let mut ok = true;
            for member in members {
                match member {
                    Member::Addresses(a) => out.extend(a),
                    Member::Object(o) | Member::Group(o) => match self.resolve_net(&o, depth + 1) {
                        Some(a) => out.extend(a),
                        None => ok = false,
                    },
                    _ => ok = false,
                }
            }
            ok.then_some(out)
        } else {
            None
        };
        self.net_cache.insert(name.to_string(), result.clone());
        result
    }

    /// The services of a service object or a service group (`service-object` members).
    fn resolve_services(&self, name: &str, depth: usize) -> Option<Vec<SvcEntry>> {
        if depth > MAX_DEPTH {
            return None;
        }
        if let Some(entries) = self.services.get(name) {
            return Some(entries.clone());
        }
        let group = self.groups.get(name)?;
        let mut out = Vec::new();
        match group.kind {
            GroupKind::ServiceGroup => {
                for member in &group.members {
                    match member {
                        Member::Service(entry) => out.push(entry.clone()),
                        Member::ServiceObject(o) | Member::Group(o) => {
                            out.extend(self.resolve_services(o, depth + 1)?)
                        }
                        _ => return None,
                    }
                }
            }
            GroupKind::PortGroup => {
                let protocols = self.port_group_protocols(name)?;
                let ports = self.resolve_port_group(name, 0)?;
                out.push(SvcEntry {
                    protocols,
                    source: Ports::Any,
                    destination: ports,
                });
            }
            _ => return None,
        }
        Some(out)
    }

    fn port_group_protocols(&self, name: &str) -> Option<Vec<Option<Protocol>>> {
        let group = self.groups.get(name)?;
        group.members.iter().find_map(|m| match m {
            Member::Protocols(p) => Some(p.clone()),
            _ => None,
        })
    }

    /// The ports of a port group (`port-object` and nested `group-object`).
    fn resolve_port_group(&self, name: &str, depth: usize) -> Option<Ports> {
        if depth > MAX_DEPTH {
            return None;
        }
        let group = self.groups.get(name)?;
        if group.kind != GroupKind::PortGroup {
            return None;
        }
        let mut ranges = Vec::new();
        for member in &group.members {
            match member {
                Member::Ports(p) => ranges.extend(p.ranges()),
                Member::Group(g) => ranges.extend(self.resolve_port_group(g, depth + 1)?.ranges()),
                Member::Protocols(_) => {}
                _ => return None,
            }
        }
        if ranges.is_empty() {
            return None;
        }
        Some(Ports::from_ranges(ranges))
    }

    /// The protocols of a protocol group.
    fn resolve_protocol_group(&self, name: &str, depth: usize) -> Option<Vec<Option<Protocol>>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let group = self.groups.get(name)?;
        let mut out: Vec<Option<Protocol>> = Vec::new();
        for member in &group.members {
            match member {
                Member::Protocols(p) => out.extend(p.iter().copied()),
                Member::Group(g) => out.extend(self.resolve_protocol_group(g, depth + 1)?),
                _ => return None,
            }
        }
        out.dedup();
        Some(out)
    }

    fn group_kind(&self, name: &str) -> Option<GroupKind> {
        self.groups.get(name).map(|g| g.kind)
    }

    // -----------------------------------------------------------------------------------------
    // Access lists

    /// One access-list line: `Ok(None)` for remarks and list types without ports (standard,
    /// webtype, ethertype), `Err(())` for an entry that cannot be read.
    fn ace(&mut self, w: &[&str]) -> Result<Option<Ace>, ()> {
        let mut i = 2;
        if w.get(i) == Some(&"line") {
            i += 2;
        }
        match w.get(i).copied() {
            Some("remark" | "standard" | "webtype" | "ethertype") => return Ok(None),
            Some("extended") => i += 1,
            _ => {}
        }
        let permit = match w.get(i).copied() {
            Some("permit") => true,
            Some("deny") => false,
            _ => return Err(()),
        };
        i += 1;
        // Protocol: a word, a protocol group, a service group or a service object.
        let mut services: Option<Vec<SvcEntry>> = None;
        let mut protos: Vec<Option<Protocol>> = Vec::new();
        let used = match (w.get(i).copied(), w.get(i + 1).copied()) {
            (Some("object-group"), Some(g)) => {
                match self.group_kind(g) {
                    Some(GroupKind::Protocol) => {
                        protos = self.resolve_protocol_group(g, 0).ok_or(())?
                    }
                    Some(GroupKind::ServiceGroup | GroupKind::PortGroup) => {
                        services = Some(self.resolve_services(g, 0).ok_or(())?)
                    }
                    _ => return Err(()),
                }
                2
            }
            (Some("object"), Some(o)) => {
                services = Some(self.resolve_services(o, 0).ok_or(())?);
                2
            }
            (Some(p), _) => {
                protos = protocols(p).ok_or(())?;
                1
            }
            _ => return Err(()),
        };
        i += used;
        let ports_allowed = services.is_none()
            && protos.iter().any(|p| p.is_some())
            && protos.iter().all(|p| p.is_some());
        let (source, used) = self.side(w.get(i..).unwrap_or(&[]))?;
        i += used;
        let mut source_ports = Ports::Any;
        if ports_allowed && let Some((ports, used)) = self.ports_operand(w.get(i..).unwrap_or(&[]))
        {
            source_ports = ports;
            i += used;
        }
        let (destination, used) = self.side(w.get(i..).unwrap_or(&[]))?;
        i += used;
        let mut destination_ports = Ports::Any;
        if ports_allowed && let Some((ports, used)) = self.ports_operand(w.get(i..).unwrap_or(&[]))
        {
            destination_ports = ports;
            i += used;
        }
        let mut conditional = false;
        while let Some(word) = w.get(i).copied() {
            match word {
                "inactive" => return Ok(None),
                "time-range" => {
                    conditional = true;
                    i += 2;
                }
                "log" => {
                    i += 1;
                    while let Some(next) = w.get(i).copied() {
                        if next == "interval" {
                            i += 2;
                        } else if next == "disable"
                            || next == "default"
                            || next.parse::<u8>().is_ok()
                            || matches!(
                                next,
                                "emergencies"
                                    | "alerts"
                                    | "critical"
                                    | "errors"
                                    | "warnings"
                                    | "notifications"
                                    | "informational"
                                    | "debugging"
                            )
                        {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
                _ => return Err(()),
            }
        }
        let mut out = Vec::new();
        match services {
            Some(entries) => {
                for entry in entries {
                    for protocol in entry.protocols {
                        let (ports, source) = if protocol.is_some() {
                            (entry.destination.clone(), entry.source.clone())
                        } else {
                            (Ports::Any, Ports::Any)
                        };
                        out.push((protocol, ports, source));
                    }
                }
            }
            None => {
                for protocol in protos {
                    let (ports, source) = if protocol.is_some() {
                        (destination_ports.clone(), source_ports.clone())
                    } else {
                        (Ports::Any, Ports::Any)
                    };
                    out.push((protocol, ports, source));
                }
            }
        }
        // Entries of one protocol joined, split where their source ports differ.
        let mut protocols: Vec<Option<Protocol>> = Vec::new();
        for (protocol, ..) in &out {
            if !protocols.contains(protocol) {
                protocols.push(*protocol);
            }
        }
        let mut services = Vec::new();
        for protocol in protocols {
            let items: Vec<(Ports, Ports)> = out
                .iter()
                .filter(|s| s.0 == protocol)
                .map(|(_, ports, source)| (ports.clone(), source.clone()))
                .collect();
            for (source, ports) in super::by_source_ports(&items) {
                services.push((protocol, ports, source));
            }
        }
        Ok(Some(Ace {
            permit,
            services,
            source,
            destination,
            conditional,
        }))
    }

    /// A port operand after an address: an operator or a port group.
    fn ports_operand(&self, w: &[&str]) -> Option<(Ports, usize)> {
        match *w.first()? {
            "object-group" => {
                let name = w.get(1)?;
                if self.group_kind(name) == Some(GroupKind::PortGroup) {
                    Some((self.resolve_port_group(name, 0)?, 2))
                } else {
                    None
                }
            }
            op if is_port_op(op) => port_op(w),
            _ => None,
        }
    }

    /// An address operand of an access-list entry and the number of words it uses.
    fn side(&mut self, w: &[&str]) -> Result<(Side, usize), ()> {
        match w.first().copied() {
            Some("any" | "any4" | "any6") => Ok((Side::Any, 1)),
            Some("host") => {
                let addr = w.get(1).and_then(|a| ip(a)).ok_or(())?;
                Ok((Side::Nets(vec![host(addr)]), 2))
            }
            Some("object" | "object-group") => {
                let name = w.get(1).ok_or(())?;
                // An empty group matches nothing; it must not read as `any`.
                match self.resolve_net(name, 0) {
                    Some(a) if !a.is_empty() => Ok((Side::Nets(a), 2)),
                    _ => Ok((Side::Unusable, 2)),
                }
            }
            Some("interface") => Ok((Side::Unusable, 2)),
            Some(a) if a.contains('/') => {
                let net = prefix_net(a).ok_or(())?;
                Ok((Side::Nets(vec![net]), 1))
            }
            Some(_) => {
                let net = address_operand(w).ok_or(())?;
                Ok((Side::Nets(vec![net]), 2))
            }
            None => Err(()),
        }
    }
}

/// The one host of an address list, when it is exactly one host.
fn single_host(addresses: &[Address]) -> Option<IpAddr> {
    match addresses {
        [Address::Net(net)] if net.prefix_len() == net.max_prefix_len() => Some(net.addr()),
        _ => None,
    }
}

fn side_addresses(side: &Side) -> Vec<Address> {
    match side {
        Side::Nets(a) => a.clone(),
        Side::Any | Side::Unusable => Vec::new(),
    }
}

fn sip_default_scope() -> Vec<(Protocol, Ports)> {
    vec![
        (Protocol::Udp, Ports::single(SIP_PORT)),
        (Protocol::Tcp, Ports::single(SIP_PORT)),
    ]
}

fn contains(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Parsed access lists: per list, its entries with their lines.
type Acls = HashMap<String, Vec<(u32, Ace)>>;

impl<'a> Parser<'a> {
    fn facts(&mut self) -> Device {
        let mut device = Device {
            vendor: Some(Vendor::CiscoAsa),
            ..Device::default()
        };
        if let Some((version, line)) = &self.version {
            device.version = Some(Versioned {
                version: version.clone(),
                span: self.source.span_of(*line, version),
            });
        }
        let acls = self.read_acls();
        let (wan, lan) = self.zones();
        self.version_checks(&mut device);
        self.nat_facts(&mut device, &wan);
        self.acl_facts(&mut device, &acls, &wan, &lan);
        self.management_facts(&mut device, &wan);
        self.timeout_facts(&mut device);
        self.policy_facts(&mut device, &acls);
        device
    }

    /// Every access-list entry read once; the lines get their coverage class here.
    fn read_acls(&mut self) -> Acls {
        let mut names: Vec<String> = self.acls.keys().cloned().collect();
        names.sort();
        let mut out: Acls = HashMap::new();
        for name in names {
            let lines = self.acls.get(&name).cloned().unwrap_or_default();
            let mut entries = Vec::new();
            for line in lines {
                let text = self.source.line(line);
                let w = words(text.trim());
                let remark = w.get(2) == Some(&"remark");
                match self.ace(&w) {
                    Ok(Some(ace)) => {
                        self.mark(line, LineClass::Understood);
                        entries.push((line, ace));
                    }
                    Ok(None) if remark => self.mark(line, LineClass::Ignored),
                    // Inactive entries are read and left out; standard/webtype lists have
                    // no ports.
                    Ok(None) => self.mark(line, LineClass::Understood),
                    Err(()) => self.mark(line, LineClass::Unknown),
                }
            }
            out.insert(name, entries);
        }
        out
    }

    /// The real and mapped interfaces of every dynamic NAT rule.
    fn dynamic_pairs(&self) -> Vec<(String, String)> {
        let lines = self
            .object_nats
            .iter()
            .map(|(_, l)| *l)
            .chain(self.twice_nats.iter().copied());
        let mut out = Vec::new();
        for line in lines {
            let w = words(self.source.line(line).trim());
            if w.contains(&"dynamic")
                && let Some(pair) = w.get(1).and_then(|x| nat_interfaces(x))
            {
                out.push(pair);
            }
        }
        out
    }

    fn nameifs(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .interfaces
            .iter()
            .filter_map(|i| i.nameif.clone())
            .collect();
        for name in &self.names_seen {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces
            .iter()
            .find(|i| i.nameif.as_deref() == Some(name))
    }

    /// The security level of a nameif (explicit, or the `inside` 100 / other 0 rule when the
    /// interface block does not set one); `None` when the export has no block for it.
    fn security(&self, name: &str) -> Option<(u8, Option<u32>)> {
        let interface = self.interface(name)?;
        Some(match interface.security {
            Some((level, line)) => (level, Some(line)),
            None if name == "inside" => (100, None),
            None => (0, None),
        })
    }

    /// WAN and LAN nameifs: the hints, else inferred.
    fn zones(&self) -> (Vec<String>, Vec<String>) {
        let names = self.nameifs();
        let pairs = self.dynamic_pairs();
        let usable = |n: &String| self.interface(n).is_none_or(|i| !i.management);
        // A hint may give the hardware name; the configuration speaks in nameifs.
        let hinted = |hints: &[String]| -> Vec<String> {
            hints
                .iter()
                .map(|h| {
                    self.interfaces
                        .iter()
                        .find(|i| i.physical.eq_ignore_ascii_case(h))
                        .and_then(|i| i.nameif.clone())
                        .unwrap_or_else(|| h.clone())
                })
                .collect()
        };
        let wan: Vec<String> = if !self.hints.wan.is_empty() {
            hinted(&self.hints.wan)
        } else if let Some(n) = names.iter().find(|n| n.eq_ignore_ascii_case("outside")) {
            vec![n.clone()]
        } else if let Some((_, mapped)) = pairs.iter().find(|(_, m)| m != "any") {
            vec![mapped.clone()]
        } else if let Some(n) = names.iter().find(|n| {
            let l = n.to_ascii_lowercase();
            ["outside", "wan", "internet", "untrust", "isp", "external"]
                .iter()
                .any(|k| l.contains(k))
        }) {
            vec![n.clone()]
        } else if let Some(n) = names
            .iter()
            .filter(|n| usable(n))
            .find(|n| self.interface(n).and_then(|i| i.security).map(|s| s.0) == Some(0))
        {
            vec![n.clone()]
        } else {
            Vec::new()
        };
        let candidates: Vec<&String> = names
            .iter()
            .filter(|n| !contains(&wan, n) && usable(n))
            .collect();
        let lan: Vec<String> = if !self.hints.lan.is_empty() {
            hinted(&self.hints.lan)
        } else if let Some(n) = candidates.iter().find(|n| n.eq_ignore_ascii_case("inside")) {
            vec![(*n).clone()]
        } else if let Some((real, _)) = pairs.iter().find(|(r, _)| r != "any" && !contains(&wan, r))
        {
            vec![real.clone()]
        } else if let Some(n) = candidates.iter().find(|n| {
            let l = n.to_ascii_lowercase();
            !l.contains("untrust")
                && ["inside", "lan", "internal", "trust"]
                    .iter()
                    .any(|k| l.contains(k))
        }) {
            vec![(*n).clone()]
        } else if let Some(n) = candidates
            .iter()
            .filter(|n| self.security(n).is_some())
            .max_by_key(|n| self.security(n).map(|s| s.0))
        {
            vec![(*n).clone()]
        } else {
            Vec::new()
        };
        (wan, lan)
    }

    fn version_checks(&mut self, device: &mut Device) {
        let numbers = self.version.as_ref().and_then(|(v, _)| {
            let mut parts = v.split(['.', '(', ')']);
            let major: u32 = parts.next()?.parse().ok()?;
            let minor: u32 = parts.next()?.parse().ok()?;
            Some((major, minor))
        });
        if !self.legacy_nat.is_empty() {
            let spans: Vec<Span> = self
                .legacy_nat
                .iter()
                .map(|l| self.source.line_span(*l))
                .collect();
            let message = match numbers {
                Some(v) if v < (8, 3) => format!(
                    "ASA {}.{} uses the NAT syntax of 8.2 and earlier (`nat (IFC) ID`, `global`, \
                     `static`), which sipwall does not read; 8.3 and later use object and twice \
                     NAT",
                    v.0, v.1
                ),
                _ => "NAT lines in the syntax of ASA 8.2 and earlier (`nat (IFC) ID`, `global`, \
                      `static`): 8.3 and later reject them; these lines are not read"
                    .to_string(),
            };
            device.version_issues.push(VersionIssue {
                key: "legacy NAT".into(),
                message,
                evidence: Evidence::explicit(spans),
            });
        }
        if let Some(v) = numbers
            && v < (8, 3)
        {
            let spans: Vec<Span> = self
                .object_nats
                .iter()
                .map(|(_, l)| *l)
                .chain(self.twice_nats.iter().copied())
                .map(|l| self.source.line_span(l))
                .collect();
            if !spans.is_empty() {
                device.version_issues.push(VersionIssue {
                    key: "nat (real,mapped)".into(),
                    message: format!(
                        "object and twice NAT need ASA 8.3 or later; the export states {}.{}",
                        v.0, v.1
                    ),
                    evidence: Evidence::explicit(spans),
                });
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // NAT

    fn nat_facts(&mut self, device: &mut Device, wan: &[String]) {
        let objects = self.object_nats.clone();
        for (object, line) in objects {
            let class = self.object_nat(device, &object, line, wan);
            self.mark(line, class);
        }
        let twice = self.twice_nats.clone();
        for line in twice {
            let class = self.twice_nat(device, line, wan);
            self.mark(line, class);
        }
    }

    fn source_nat(
        &self,
        line: u32,
        block: bool,
        ports: Ports,
        protocol: Option<Protocol>,
    ) -> SourceNat {
        let span = self.source.line_span(line);
        SourceNat {
            port_preservation: Some(!block),
            ports,
            protocol,
            evidence: Evidence::default_at(
                if block {
                    PAT_BLOCK_ALLOCATION
                } else {
                    PAT_KEEPS_PORT
                },
                [span],
            ),
        }
    }

    /// ` nat (real,mapped) dynamic …` / ` nat (real,mapped) static …` of `object network X`.
    fn object_nat(
        &mut self,
        device: &mut Device,
        object: &str,
        line: u32,
        wan: &[String],
    ) -> LineClass {
        let w = words(self.source.line(line).trim());
        let Some((real, mapped)) = w.get(1).and_then(|x| nat_interfaces(x)) else {
            return LineClass::Unknown;
        };
        let towards_wan = mapped == "any" || contains(wan, &mapped);
        match w.get(2).copied() {
            Some("dynamic") => {
                if w.len() < 4 {
                    return LineClass::Unknown;
                }
                if towards_wan {
                    let nat =
                        self.source_nat(line, w.contains(&"block-allocation"), Ports::Any, None);
                    device.source_nat.push(nat);
                }
                LineClass::Understood
            }
            Some("static") => {
                let Some(target) = w.get(3).copied() else {
                    return LineClass::Unknown;
                };
                let service = match w.iter().position(|x| *x == "service") {
                    Some(at) => {
                        let parsed = (
                            w.get(at + 1).copied(),
                            w.get(at + 2).and_then(|p| port(p)),
                            w.get(at + 3).and_then(|p| port(p)),
                        );
                        match parsed {
                            (Some(proto), Some(real_port), Some(mapped_port)) => {
                                Some((proto, real_port, mapped_port))
                            }
                            _ => return LineClass::Unknown,
                        }
                    }
                    None => None,
                };
                if !towards_wan || contains(wan, &real) || target == object {
                    // Not a translation that lets WAN traffic in, or identity NAT.
                    return LineClass::Understood;
                }
                let Some(addresses) = self.resolve(object) else {
                    return LineClass::Unknown;
                };
                let to = single_host(&addresses);
                let span = self.source.line_span(line);
                match service {
                    Some((proto, real_port, mapped_port)) => {
                        let protocol = match proto {
                            "tcp" => Protocol::Tcp,
                            "udp" => Protocol::Udp,
                            // sctp: outside the facts.
                            _ => return LineClass::Understood,
                        };
                        device.forwards.push(Forward {
                            protocol: Some(protocol),
                            outside_ports: Ports::single(mapped_port),
                            to,
                            to_ports: (real_port != mapped_port).then(|| Ports::single(real_port)),
                            source: Vec::new(),
                            evidence: Evidence::explicit([span]),
                        });
                    }
                    None => device.forwards.push(Forward {
                        protocol: None,
                        outside_ports: Ports::Any,
                        to,
                        to_ports: None,
                        source: Vec::new(),
                        evidence: Evidence::explicit([span]),
                    }),
                }
                LineClass::Understood
            }
            _ => LineClass::Unknown,
        }
    }

    /// `nat [(real,mapped)] [LINE|after-auto] source dynamic|static REAL MAPPED [options]`.
    fn twice_nat(&mut self, device: &mut Device, line: u32, wan: &[String]) -> LineClass {
        let text = self.source.line(line).trim();
        let all = words(text);
        // `description` takes the rest of the line.
        let w: Vec<&str> = match all.iter().position(|x| *x == "description") {
            Some(at) => all.get(..at).unwrap_or(&[]).to_vec(),
            None => all,
        };
        let mut i = 1;
        let (real, mapped) = match w.get(1).and_then(|x| nat_interfaces(x)) {
            Some(pair) => {
                i = 2;
                pair
            }
            None => ("any".to_string(), "any".to_string()),
        };
        while let Some(x) = w.get(i) {
            if *x == "after-auto" || x.parse::<u32>().is_ok() {
                i += 1;
            } else {
                break;
            }
        }
        if w.get(i) != Some(&"source") {
            return LineClass::Unknown;
        }
        let (Some(kind), Some(real_obj), Some(mapped_obj)) = (
            w.get(i + 1).copied(),
            w.get(i + 2).copied(),
            w.get(i + 3).copied(),
        ) else {
            return LineClass::Unknown;
        };
        let rest: Vec<&str> = w.get(i + 4..).unwrap_or(&[]).to_vec();
        if rest.contains(&"inactive") {
            return LineClass::Understood;
        }
        let towards_wan = mapped == "any" || contains(wan, &mapped);
        let service = match rest.iter().position(|x| *x == "service") {
            Some(at) => match (rest.get(at + 1), rest.get(at + 2)) {
                (Some(a), Some(b)) => {
                    match (self.resolve_services(a, 0), self.resolve_services(b, 0)) {
                        (Some(a), Some(b)) => Some((a, b)),
                        _ => return LineClass::Unknown,
                    }
                }
                _ => return LineClass::Unknown,
            },
            None => None,
        };
        match kind {
            "dynamic" => {
                if towards_wan {
                    let block = rest.contains(&"block-allocation");
                    match &service {
                        Some((real_svc, _)) => {
                            for entry in real_svc {
                                for protocol in &entry.protocols {
                                    let nat = self.source_nat(
                                        line,
                                        block,
                                        entry.destination.clone(),
                                        *protocol,
                                    );
                                    device.source_nat.push(nat);
                                }
                            }
                        }
                        None => {
                            let nat = self.source_nat(line, block, Ports::Any, None);
                            device.source_nat.push(nat);
                        }
                    }
                }
                LineClass::Understood
            }
            "static" => {
                if real_obj == mapped_obj
                    || real_obj == "any"
                    || rest.contains(&"unidirectional")
                    || !towards_wan
                    || contains(wan, &real)
                {
                    // Identity NAT, outbound-only, or not a way in from the WAN.
                    return LineClass::Understood;
                }
                let to = match self.resolve(real_obj) {
                    Some(a) => single_host(&a),
                    None => None,
                };
                // `destination static MAPPED REAL`: only those peers reach the host.
                let mut sources = Vec::new();
                let mut certain = true;
                if let Some(at) = rest.iter().position(|x| *x == "destination") {
                    match rest.get(at + 3) {
                        Some(peer) => match self.resolve(peer) {
                            Some(a) => sources = a,
                            None => certain = false,
                        },
                        None => return LineClass::Unknown,
                    }
                }
                let span = self.source.line_span(line);
                let evidence = if certain {
                    Evidence::explicit([span])
                } else {
                    Evidence::unknown([span])
                };
                match service {
                    Some((real_svc, mapped_svc)) => {
                        // For a server the service objects give its port as the source port.
                        let pick = |e: &SvcEntry| {
                            if e.source.is_any() {
                                e.destination.clone()
                            } else {
                                e.source.clone()
                            }
                        };
                        for (real_entry, mapped_entry) in real_svc.iter().zip(mapped_svc.iter()) {
                            let inside = pick(real_entry);
                            let outside = pick(mapped_entry);
                            for protocol in real_entry.protocols.iter().flatten() {
                                device.forwards.push(Forward {
                                    protocol: Some(*protocol),
                                    outside_ports: outside.clone(),
                                    to,
                                    to_ports: (inside != outside).then(|| inside.clone()),
                                    source: sources.clone(),
                                    evidence: evidence.clone(),
                                });
                            }
                        }
                    }
                    None => device.forwards.push(Forward {
                        protocol: None,
                        outside_ports: Ports::Any,
                        to,
                        to_ports: None,
                        source: sources,
                        evidence,
                    }),
                }
                LineClass::Understood
            }
            _ => LineClass::Unknown,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Access rules

    fn acl_facts(&mut self, device: &mut Device, acls: &Acls, wan: &[String], lan: &[String]) {
        let mut outbound: Vec<&AccessGroup> = Vec::new();
        let mut outbound_late: Vec<&AccessGroup> = Vec::new();
        let mut inbound: Vec<&AccessGroup> = Vec::new();
        let mut inbound_late: Vec<&AccessGroup> = Vec::new();
        let mut to_device: Vec<&AccessGroup> = Vec::new();
        let mut global: Vec<&AccessGroup> = Vec::new();
        for group in &self.access_groups {
            let ifc = group.interface.as_deref().unwrap_or("");
            match group.bind {
                Bind::Global => global.push(group),
                Bind::In if contains(lan, ifc) => outbound.push(group),
                Bind::Out if contains(wan, ifc) => outbound_late.push(group),
                Bind::In if contains(wan, ifc) => inbound.push(group),
                Bind::Out if contains(lan, ifc) => inbound_late.push(group),
                Bind::ControlPlane if contains(wan, ifc) => to_device.push(group),
                _ => {}
            }
        }
        // An `out` list on the way is checked after the `in` list; both must permit, which
        // first-match cannot express: its entries follow the `in` list's (an approximation).
        outbound.extend(outbound_late);
        inbound.extend(inbound_late);
        let emit = |path: Path, groups: &[&AccessGroup], device: &mut Device| {
            for group in groups {
                for (line, ace) in acls.get(&group.acl).map(Vec::as_slice).unwrap_or(&[]) {
                    if matches!(ace.source, Side::Unusable)
                        || matches!(ace.destination, Side::Unusable)
                    {
                        continue;
                    }
                    for (protocol, ports, source_ports) in &ace.services {
                        device.filters.push(FilterRule {
                            path,
                            protocol: *protocol,
                            source: side_addresses(&ace.source),
                            source_ports: source_ports.clone(),
                            destination: side_addresses(&ace.destination),
                            destination_ports: ports.clone(),
                            action: if ace.permit {
                                Action::Accept
                            } else {
                                Action::Drop
                            },
                            conditional: ace.conditional,
                            evidence: Evidence::explicit([self.source.line_span(*line)]),
                        });
                    }
                }
            }
        };
        let mut outbound_all = outbound.clone();
        outbound_all.extend(global.iter().copied());
        let mut inbound_all = inbound.clone();
        inbound_all.extend(global.iter().copied());
        if !lan.is_empty() {
            emit(Path::Outbound, &outbound_all, device);
        }
        if !wan.is_empty() {
            emit(Path::Inbound, &inbound_all, device);
            emit(Path::ToDevice, &to_device, device);
        }
        // What no entry matches.
        let spans = |groups: &[&AccessGroup]| -> Vec<Span> {
            groups
                .iter()
                .map(|g| self.source.line_span(g.line))
                .collect()
        };
        if !lan.is_empty() && !wan.is_empty() {
            for (path, groups, from, to) in [
                (Path::Outbound, &outbound_all, lan, wan),
                (Path::Inbound, &inbound_all, wan, lan),
            ] {
                let default = if !groups.is_empty() {
                    DefaultAction {
                        path,
                        action: Action::Drop,
                        evidence: Evidence::default_at(ACL_IMPLICIT_DENY, spans(groups)),
                    }
                } else {
                    self.security_default(path, from, to)
                };
                device.default_actions.push(default);
            }
        }
        device.default_actions.push(DefaultAction {
            path: Path::ToDevice,
            action: Action::Drop,
            evidence: Evidence::default(MANAGEMENT_ACCESS),
        });
    }

    /// Higher to lower security level passes, lower to higher is dropped, equal levels pass
    /// only with `same-security-traffic permit inter-interface`.
    fn security_default(&self, path: Path, from: &[String], to: &[String]) -> DefaultAction {
        let from_level = from.first().and_then(|n| self.security(n));
        let to_level = to.first().and_then(|n| self.security(n));
        let mut spans = Vec::new();
        for level in [from_level, to_level].into_iter().flatten() {
            if let Some(line) = level.1 {
                spans.push(self.source.line_span(line));
            }
        }
        let action = match (from_level, to_level) {
            (Some((a, _)), Some((b, _))) if a > b => Action::Accept,
            (Some((a, _)), Some((b, _))) if a == b && self.same_security => Action::Accept,
            (Some(_), Some(_)) => Action::Drop,
            // Levels not in the export: the LAN side is taken as the higher one, as on every
            // inside/outside pair.
            _ if path == Path::Outbound => Action::Accept,
            _ => Action::Drop,
        };
        DefaultAction {
            path,
            action,
            evidence: Evidence::default_at(SECURITY_LEVELS, spans),
        }
    }

    /// `ssh|http|telnet ADDR MASK IFC` on a WAN interface open the ASA itself.
    fn management_facts(&self, device: &mut Device, wan: &[String]) {
        for entry in &self.management {
            if !contains(wan, &entry.interface) {
                continue;
            }
            let mut spans = vec![self.source.line_span(entry.line)];
            let mut port = entry.port;
            if entry.web {
                match self.http_server {
                    Some((p, line)) => {
                        port = p;
                        spans.push(self.source.line_span(line));
                    }
                    // ASDM access needs `http server enable`; a fragment may omit it.
                    None if self.full_export => continue,
                    None => {}
                }
            }
            device.filters.push(FilterRule {
                path: Path::ToDevice,
                protocol: Some(Protocol::Tcp),
                source: entry.source.clone(),
                source_ports: Ports::Any,
                destination: Vec::new(),
                destination_ports: Ports::single(port),
                action: Action::Accept,
                conditional: false,
                evidence: Evidence::explicit(spans),
            });
        }
    }

    // -----------------------------------------------------------------------------------------
    // Timeouts, inspection and the modular policy framework

    fn timeout_facts(&self, device: &mut Device) {
        match self.timeouts.iter().rev().find(|t| t.0 == "udp") {
            Some((_, seconds, line, text)) => {
                // `0:00:00` means no idle timeout at all.
                let seconds = if *seconds == 0 { u32::MAX } else { *seconds };
                device.udp_timeouts.push(UdpTimeout {
                    scope: TimeoutScope::Global,
                    unreplied_seconds: Some(seconds),
                    replied_seconds: Some(seconds),
                    evidence: Evidence::explicit([self
                        .source
                        .span_of(*line, &format!("udp {text}"))]),
                });
            }
            None => device.udp_timeouts.push(UdpTimeout {
                scope: TimeoutScope::Global,
                unreplied_seconds: Some(DEFAULT_UDP_SECONDS),
                replied_seconds: Some(DEFAULT_UDP_SECONDS),
                evidence: Evidence::default(UDP_TIMEOUT_DEFAULT),
            }),
        }
    }

    /// The policy-maps in effect, with the `service-policy` line applying each (`None`: the
    /// factory `service-policy global_policy global` a fragment relies on).
    fn applied_policies(&self) -> Vec<(usize, Option<u32>)> {
        let mut out: Vec<(usize, Option<u32>)> = Vec::new();
        if !self.full_export
            && !self
                .service_policies
                .iter()
                .any(|s| s.policy == "global_policy")
            && let Some(index) = self.policy_index.get("global_policy")
        {
            out.push((*index, None));
        }
        for applied in &self.service_policies {
            if let Some(index) = self.policy_index.get(&applied.policy)
                && !out.iter().any(|(i, _)| i == index)
            {
                out.push((*index, Some(applied.line)));
            }
        }
        out
    }

    /// The ports SIP inspection hooks in a class.
    fn sip_scope(&self, class: &str, acls: &Acls) -> Vec<(Protocol, Ports)> {
        let Some(matches) = self.class_maps.get(class) else {
            return if class == "inspection_default" {
                sip_default_scope()
            } else {
                Vec::new()
            };
        };
        let mut out = Vec::new();
        for matched in matches {
            match matched {
                ClassMatch::DefaultInspection => out.extend(sip_default_scope()),
                ClassMatch::Any => {
                    out.push((Protocol::Udp, Ports::Any));
                    out.push((Protocol::Tcp, Ports::Any));
                }
                ClassMatch::Port(protos, ports) => {
                    out.extend(protos.iter().map(|p| (*p, ports.clone())));
                }
                ClassMatch::Acl(acl) => {
                    for (_, ace) in acls.get(acl).map(Vec::as_slice).unwrap_or(&[]) {
                        if !ace.permit {
                            continue;
                        }
                        for (protocol, ports, _) in &ace.services {
                            match protocol {
                                Some(p) => out.push((*p, ports.clone())),
                                None => {
                                    out.push((Protocol::Udp, Ports::Any));
                                    out.push((Protocol::Tcp, Ports::Any));
                                }
                            }
                        }
                    }
                }
                ClassMatch::Other => {}
            }
        }
        out
    }

    /// The UDP ports a class matches, for its connection settings; `None` when not a port set.
    fn class_udp_ports(&self, class: &str, acls: &Acls) -> Option<Ports> {
        let matches = self.class_maps.get(class)?;
        let mut ranges = Vec::new();
        for matched in matches {
            match matched {
                ClassMatch::Any => return Some(Ports::Any),
                ClassMatch::Port(protos, ports) if protos.contains(&Protocol::Udp) => {
                    ranges.extend(ports.ranges())
                }
                ClassMatch::Acl(acl) => {
                    for (_, ace) in acls.get(acl).map(Vec::as_slice).unwrap_or(&[]) {
                        for (protocol, ports, _) in &ace.services {
                            if ace.permit && protocol.is_none_or(|p| p == Protocol::Udp) {
                                ranges.extend(ports.ranges());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        (!ranges.is_empty()).then(|| Ports::from_ranges(ranges))
    }

    fn policy_facts(&self, device: &mut Device, acls: &Acls) {
        let applied = self.applied_policies();
        let media = self
            .timeouts
            .iter()
            .rev()
            .find(|t| t.0 == "sip_media")
            .map(|t| t.3.clone())
            .unwrap_or_else(|| format!("{DEFAULT_SIP_MEDIA} (default)"));
        let media_note = format!(
            "; while on, SIP media connections follow `timeout sip_media` {media} instead of \
             `timeout udp`"
        );
        let mut states = Vec::new();
        for (index, policy) in self.policies.iter().enumerate() {
            let application = applied.iter().find(|(i, _)| *i == index);
            for class in &policy.classes {
                let Some((on, line, map)) = &class.sip else {
                    continue;
                };
                let scope = self.sip_scope(&class.name, acls);
                let map = map.as_ref().map(|m| format!(" {m}")).unwrap_or_default();
                let needle = if *on { "inspect sip" } else { "no inspect sip" };
                let span = self.source.span_of(*line, needle);
                let state = match (on, application) {
                    (false, _) => AlgState {
                        enabled: false,
                        mechanism: format!(
                            "no inspect sip (policy-map {}, class {})",
                            policy.name, class.name
                        ),
                        scope,
                        evidence: Evidence::explicit([span]),
                    },
                    (true, Some((_, Some(applied_at)))) => AlgState {
                        enabled: true,
                        mechanism: format!(
                            "inspect sip{map} (policy-map {}, class {}){media_note}",
                            policy.name, class.name
                        ),
                        scope,
                        evidence: Evidence::explicit([span, self.source.line_span(*applied_at)]),
                    },
                    (true, Some((_, None))) => AlgState {
                        enabled: true,
                        mechanism: format!(
                            "inspect sip{map} (policy-map {}, class {}; the policy-map is applied \
                             by the factory `service-policy global_policy global`){media_note}",
                            policy.name, class.name
                        ),
                        scope,
                        evidence: Evidence::default_at(GLOBAL_POLICY_APPLIED, [span]),
                    },
                    (true, None) => AlgState {
                        enabled: false,
                        mechanism: format!(
                            "inspect sip{map} in policy-map {} (class {}), which no \
                             service-policy applies",
                            policy.name, class.name
                        ),
                        scope,
                        evidence: Evidence::explicit([span, self.source.line_span(policy.line)]),
                    },
                };
                states.push(state);
            }
        }
        if states.is_empty() {
            let mut state = self.sip_absent(&applied);
            if state.enabled {
                state.mechanism.push_str(&media_note);
            }
            states.push(state);
        }
        device.sip_alg.extend(states);
        // Connection settings per class: the first class of a policy with one wins a flow.
        for (index, applied_at) in &applied {
            let Some(policy) = self.policies.get(*index) else {
                continue;
            };
            let mut claimed: Option<Ports> = None;
            for class in &policy.classes {
                let ports = self.class_udp_ports(&class.name, acls);
                if let (Some((seconds, line)), Some(ports)) = (class.idle, &ports) {
                    let left = match &claimed {
                        Some(taken) => ports.subtract(taken),
                        None => Some(ports.clone()),
                    };
                    if let Some(left) = left {
                        let seconds = if seconds == 0 { u32::MAX } else { seconds };
                        let span = self.source.line_span(line);
                        let evidence = match applied_at {
                            Some(at) => Evidence::explicit([span, self.source.line_span(*at)]),
                            None => Evidence::default_at(GLOBAL_POLICY_APPLIED, [span]),
                        };
                        device.udp_timeouts.push(UdpTimeout {
                            scope: TimeoutScope::Ports(left),
                            unreplied_seconds: Some(seconds),
                            replied_seconds: Some(seconds),
                            evidence,
                        });
                    }
                    claimed = Some(match claimed.take() {
                        Some(taken) => {
                            Ports::from_ranges(taken.ranges().into_iter().chain(ports.ranges()))
                        }
                        None => ports.clone(),
                    });
                }
                if let Some(line) = class.offload
                    && (self.flow_offload || !self.full_export)
                {
                    device.offload.push(Offload {
                        mechanism: "flow-offload (set connection advanced-options flow-offload)"
                            .into(),
                        protocol: None,
                        ports: ports.clone().unwrap_or(Ports::Any),
                        evidence: Evidence::explicit([self.source.line_span(line)]),
                    });
                }
            }
        }
    }

    /// No `inspect sip` line anywhere: off when the export shows the inspection list of
    /// global_policy without it, or shows global_policy unapplied; on by default otherwise.
    fn sip_absent(&self, applied: &[(usize, Option<u32>)]) -> AlgState {
        let Some(index) = self.policy_index.get("global_policy") else {
            return AlgState {
                enabled: true,
                mechanism: "inspect sip (factory global_policy / inspection_default; no \
                            policy-map global_policy in the export)"
                    .into(),
                scope: sip_default_scope(),
                evidence: Evidence::default(SIP_INSPECTION_DEFAULT),
            };
        };
        let policy = self.policies.get(*index);
        let class = policy.and_then(|p| p.classes.iter().find(|c| c.name == "inspection_default"));
        let policy_line = policy.map(|p| p.line).unwrap_or(1);
        let is_applied = applied.iter().any(|(i, _)| i == index);
        match (class, is_applied) {
            (Some(class), true) => AlgState {
                enabled: false,
                mechanism: "inspect sip absent from the inspection list of policy-map \
                            global_policy (class inspection_default)"
                    .into(),
                scope: sip_default_scope(),
                evidence: Evidence::explicit([
                    self.source.line_span(policy_line),
                    self.source.line_span(class.line),
                ]),
            },
            (_, false) if self.full_export => AlgState {
                enabled: false,
                mechanism: "policy-map global_policy is not applied (no `service-policy \
                            global_policy global` in the running-config)"
                    .into(),
                scope: sip_default_scope(),
                evidence: Evidence::explicit([self.source.line_span(policy_line)]),
            },
            (Some(class), false) => AlgState {
                enabled: false,
                mechanism: "inspect sip absent from the inspection list of policy-map \
                            global_policy (class inspection_default)"
                    .into(),
                scope: sip_default_scope(),
                evidence: Evidence::explicit([self.source.line_span(class.line)]),
            },
            (None, true) if self.full_export => AlgState {
                enabled: false,
                mechanism: "policy-map global_policy has no class inspection_default (the \
                            default inspections were removed)"
                    .into(),
                scope: sip_default_scope(),
                evidence: Evidence::explicit([self.source.line_span(policy_line)]),
            },
            // A fragment that edits other classes of global_policy leaves the factory
            // inspection_default class (and its `inspect sip`) as it is.
            (None, _) => AlgState {
                enabled: true,
                mechanism: "inspect sip (factory class inspection_default of global_policy, \
                            which the export does not list)"
                    .into(),
                scope: sip_default_scope(),
                evidence: Evidence::default_at(
                    SIP_INSPECTION_DEFAULT,
                    [self.source.line_span(policy_line)],
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Parsed {
        parse(&Source::new("t", text), &Hints::default()).expect("parses")
    }

    #[test]
    fn times_ports_and_masks() {
        assert_eq!(hms("0:02:00"), Some(120));
        assert_eq!(hms("1:00:00"), Some(3600));
        assert_eq!(hms("12:00"), Some(720));
        assert_eq!(hms("99999999999:00:00"), None);
        assert_eq!(hms("2"), None);
        assert_eq!(port("sip"), Some(5060));
        assert_eq!(port("www"), Some(80));
        assert_eq!(port("0"), None);
        assert_eq!(
            port_op(&["range", "10000", "20000"]),
            Some((Ports::from_ranges([PortRange::new(10000, 20000)]), 3))
        );
        assert_eq!(
            port_op(&["gt", "1023"]),
            Some((Ports::from_ranges([PortRange::new(1024, 65535)]), 2))
        );
        assert_eq!(port_op(&["lt", "1"]), None);
        assert_eq!(port_op(&["gt", "65535"]), None);
        assert_eq!(
            port_op(&["neq", "5060"]).map(|p| p.0),
            Ports::Any.subtract(&Ports::single(5060))
        );
        assert_eq!(mask_prefix("255.255.255.0".parse().unwrap()), Some(24));
        assert_eq!(mask_prefix("0.0.0.0".parse().unwrap()), Some(0));
        assert_eq!(mask_prefix("255.0.255.0".parse().unwrap()), None);
    }

    #[test]
    fn ranges_become_prefixes() {
        let nets = range_nets("10.0.0.1".parse().unwrap(), "10.0.0.6".parse().unwrap()).unwrap();
        let text: Vec<String> = nets.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["10.0.0.1", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6"]);
        let all = range_nets(
            "0.0.0.0".parse().unwrap(),
            "255.255.255.255".parse().unwrap(),
        );
        assert_eq!(all.unwrap().len(), 1);
        let v6 = range_nets(
            "::".parse().unwrap(),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap(),
        );
        assert_eq!(v6.unwrap().len(), 1);
        assert!(range_nets("10.0.0.9".parse().unwrap(), "10.0.0.1".parse().unwrap()).is_none());
    }

    #[test]
    fn fingerprints() {
        assert_eq!(fingerprint("ASA Version 9.8(4)\n"), 100);
        assert!(
            fingerprint("policy-map global_policy\n class inspection_default\n  no inspect sip\n")
                >= 30
        );
        assert_eq!(
            fingerprint(
                "ip nat inside source list 1 interface Gi0 overload\npolicy-map global_policy\n"
            ),
            0
        );
        assert_eq!(fingerprint("config firewall policy\n"), 0);
        assert_eq!(fingerprint(""), 0);
    }

    #[test]
    fn timeout_lines_hold_several_keys() {
        let parsed = parse_text(
            "ASA Version 9.8(1)\ntimeout conn 1:00:00 half-closed 0:10:00 udp 0:04:00 icmp 0:00:02\n\
             timeout sip 0:30:00 sip_media 0:03:00 sip-invite 0:03:00\ntimeout uauth 0:05:00 absolute\n",
        );
        let timeout = &parsed.device.udp_timeouts[0];
        assert_eq!(timeout.replied_seconds, Some(240));
        assert_eq!(parsed.coverage.summary().unknown, 0);
        assert!(parsed.device.sip_alg[0].mechanism.contains("0:03:00"));
    }

    #[test]
    fn inspect_sip_then_no_inspect_sip_in_one_class() {
        let parsed = parse_text(
            "policy-map global_policy\n class inspection_default\n  inspect sip\n  no inspect sip\n",
        );
        assert!(parsed.device.sip_alg.iter().all(|a| !a.enabled));
    }

    #[test]
    fn global_policy_without_the_default_class() {
        let full = parse_text(
            "ASA Version 9.8(1)\npolicy-map global_policy\n class voice\n  set connection timeout idle 0:05:00\nservice-policy global_policy global\n",
        );
        assert!(!full.device.sip_alg[0].enabled);
        // A paste that only adds a class keeps the factory inspection_default.
        let paste = parse_text(
            "policy-map global_policy\n class voice\n  set connection timeout idle 0:05:00\n",
        );
        assert!(paste.device.sip_alg[0].enabled);
    }

    #[test]
    fn management_access_on_the_wan() {
        let parsed = parse_text(
            "ASA Version 9.8(1)\ninterface G0\n nameif outside\n security-level 0\n\
             interface G1\n nameif inside\n security-level 100\n\
             ssh 203.0.113.0 255.255.255.0 outside\nssh 10.0.0.0 255.0.0.0 inside\n\
             telnet 0.0.0.0 0.0.0.0 outside\nhttp 0.0.0.0 0.0.0.0 outside\n\
             http redirect outside 80\nssh version 2\n",
        );
        let to_device: Vec<(u16, usize)> = parsed
            .device
            .filters
            .iter()
            .filter(|f| f.path == Path::ToDevice)
            .map(|f| (f.destination_ports.ranges()[0].first, f.source.len()))
            .collect();
        // ASDM needs `http server enable`, absent from this running-config.
        assert_eq!(to_device, vec![(22, 1), (23, 0), (80, 0)]);
        assert_eq!(parsed.coverage.summary().unknown, 0);
    }

    #[test]
    fn unknown_commands_stay_unknown() {
        let parsed = parse_text("ASA Version 9.8(1)\nfrobnicate all the things\n sub-line\n");
        assert_eq!(parsed.coverage.summary().unknown, 2);
    }

    #[test]
    fn group_cycles_terminate() {
        let parsed = parse_text(
            "ASA Version 9.8(1)\ninterface G0\n nameif outside\n security-level 0\n\
             object-group network A\n group-object B\nobject-group network B\n group-object A\n\
             access-list in extended permit udp object-group A any eq 5060\n\
             access-group in in interface outside\n",
        );
        // The entry names a group that never resolves: no fact, the line unknown.
        assert!(
            parsed
                .device
                .filters
                .iter()
                .all(|f| f.path != Path::Inbound)
        );
    }
}
