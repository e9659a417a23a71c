//! pfSense and OPNsense `config.xml` (and the `config.xml` fragment `sipwall rules --vendor
//! pfsense` writes after its GUI steps) read into the device facts.
//!
//! What is read, and the vendor facts behind it (research/anchors-firewall.md §2 rows pfSense
//! and OPNsense, §3.9, unless said otherwise):
//! - SIP ALG: pf has none. The siproxd package (pfSense, `<installedpackages><siproxdsettings>`,
//!   `sipenable`) and the os-siproxd plugin (OPNsense, `<OPNsense><siproxd><general>`,
//!   `enabled`) are SIP proxies that rewrite SIP like an ALG: reported as one when enabled.
//! - UDP state timeouts: `<system><udpfirsttimeout|udpsingletimeout|udpmultipletimeout>`, else
//!   pf's 60 / 30 / 60 s. An unanswered flow lives `min(first, single)`, an answered one
//!   `multiple`. `<optimization>` (pf's `set optimization`) changes TCP timeouts only: pfctl's
//!   hint tables for normal, high-latency, aggressive and conservative list `tcp.*` entries
//!   alone (FreeBSD `sbin/pfctl/pfctl.c`, `pf_hint_*`).
//! - Outbound NAT: `<nat><outbound><mode>` automatic (the default), hybrid, advanced (manual) or
//!   disabled; automatic rules rewrite source ports (all but ISAKMP); a mapping keeps them only
//!   with `<staticnatport/>`. Hybrid evaluates the manual mappings before the automatic ones.
//! - Port forwards: `<nat><rule>` (`<disabled/>`, `<nordr/>`, `<destination><port>`, `<target>`,
//!   `<local-port>` = first inside port), the filter rule association (`pass` passes the
//!   forwarded traffic without a filter rule); 1:1 NAT `<nat><onetoone>`.
//! - Filter: `<filter><rule>`, first match per interface (floating quick rules first), `pass`,
//!   `block`, `reject`; whatever no rule passes is blocked ("Default deny rule"). WAN rules see
//!   forwarded traffic after translation (inside address and port).
//! - OPNsense writes `<disabled>0</disabled>`, `<any>1</any>`: a flag is set when present and
//!   not `0`. Its aliases live in `<OPNsense><Firewall><Alias>`; port forwards of 26.1+ carry a
//!   `<sequence>`. The MVC rules of `<OPNsense><Firewall><Filter>` are not read (their lines
//!   count as unknown when there are any).
//! - Approximations, since the facts have no address family: IPv6-only rules and rules limited
//!   by schedule, tag, OS or negation are conditional (never counted as covering). Source ports
//!   (`<source><port>`) are kept with the rule. A pass rule with `max-src-conn-rate` is a
//!   brute-force limit (pf counts TCP connections only).
//!
//! Interfaces: the `--wan` / `--lan` names (config keys such as `wan`, `opt1`, their
//! descriptions, or their devices such as `igb0`), else `wan` and `lan`.
//!
//! Our own rendering is GUI steps as `#` comments followed by one XML document: the parser
//! reads the document after the comments (the whole rendering is not XML), and refuses text
//! with several documents or other text before it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use roxmltree::{Document, Node, NodeType, ParsingOptions};
use sipwall_firewall::Vendor;
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};

use super::{Hints, ParseError, Parsed};
use crate::coverage::{Coverage, LineClass};
use crate::device::{
    AlgState, BruteForce, DefaultAction, Device, Evidence, FilterRule, Forward, Path, SourceNat,
    UdpTimeout, VendorDefault, Versioned,
};
use crate::source::{Source, Span};

pub const ID: &str = "pfsense";
pub const EXPORT: &str = "pfSense: Diagnostics › Backup & Restore › Download configuration as \
                          XML (config.xml); OPNsense: System › Configuration › Backups › \
                          Download configuration";

/// No SIP ALG in pf (research §2 rows pfSense/OPNsense, §1 finding 3).
pub const PF_NO_ALG: VendorDefault = VendorDefault {
    statement: "no SIP ALG: pf has no SIP helper; SIP rewriting needs the siproxd package \
                (pfSense) or the os-siproxd plugin (OPNsense), neither installed by default",
    versions: "pfSense 2.x / CE / Plus, OPNsense",
    source: "anchors-firewall.md §1 (3), §2 rows pfSense and OPNsense; Netgate docs, Siproxd \
             package (pfsense/docs source/packages/siproxd-package.rst)",
};

/// pf's UDP state timeouts (research §2 table, §3.9).
pub const PF_UDP_TIMEOUTS: VendorDefault = VendorDefault {
    statement: "pf UDP state timeouts: udp.first 60 s, udp.single 30 s, udp.multiple 60 s; \
                Firewall Optimization (`set optimization`) changes TCP timeouts only",
    versions: "pfSense 2.x / CE / Plus, OPNsense (FreeBSD pf)",
    source: "anchors-firewall.md §2, §3.9 (pfctl -s all dump https://pastebin.com/FdEYvTfc ; \
             https://openbsd.org/faq/pf/options.html); FreeBSD sbin/pfctl/pfctl.c, pf_hint_normal \
             / satellite / conservative / aggressive (tcp.* entries only)",
};

/// Automatic outbound NAT (research §2 row pfSense, §3.9).
pub const PF_AUTO_OUTBOUND: VendorDefault = VendorDefault {
    statement: "automatic outbound NAT (the default mode) rewrites the source port of all \
                outgoing traffic except ISAKMP (UDP 500)",
    versions: "pfSense 2.x / CE / Plus, OPNsense",
    source: "pfSense documentation, Static Port (https://pfsense-docs.netlify.app/nat/static-port.html): \
             \"By default, pfSense software rewrites the source port on all outgoing packets\"; \
             factory config.xml <nat><outbound><mode>automatic</mode> (pfsense/pfsense \
             src/conf.default/config.xml); anchors-firewall.md §2, §3.9",
};

/// A manual outbound mapping without Static Port.
pub const PF_RANDOM_PORT: VendorDefault = VendorDefault {
    statement: "an outbound NAT mapping without Static Port rewrites the source port",
    versions: "pfSense 2.x / CE / Plus, OPNsense",
    source: "pfSense documentation, Static Port (https://pfsense-docs.netlify.app/nat/static-port.html); \
             anchors-firewall.md §3.9",
};

/// What no filter rule passes.
pub const PF_DEFAULT_DENY: VendorDefault = VendorDefault {
    statement: "traffic no rule passes is blocked (the generated \"Default deny rule\"); the LAN \
                pass rule of a fresh install is an ordinary rule in <filter>",
    versions: "pfSense 2.x / CE / Plus, OPNsense",
    source: "pfSense generated ruleset `block in log inet all label \"Default deny rule IPv4\"` \
             (pfctl -s rules dump https://pastebin.com/raw/KwQzwuxe); OPNsense manual, Firewall \
             › Rules (https://docs.opnsense.org/manual/firewall.html)",
};

const PF_FIRST: u32 = 60;
const PF_SINGLE: u32 = 30;
const PF_MULTIPLE: u32 = 60;
const SIP_PORT: u16 = 5060;
/// Nesting of aliases followed at most.
const MAX_DEPTH: usize = 16;

const HINT: &str = "export config.xml (pfSense: Diagnostics › Backup & Restore › Download \
                    configuration as XML; OPNsense: System › Configuration › Backups) and pass \
                    the whole file, or name the format with --format";

// ---------------------------------------------------------------------------------------------
// Detection

/// Where the XML document starts: after `#` comment lines and blank lines only (our own
/// rendering puts its GUI steps there). `Err` with the line number of other text.
fn xml_start(text: &str) -> Result<usize, u32> {
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        // A byte-order mark counts as blank (Windows editors add one).
        let lead = line.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        let trimmed = lead.trim_end();
        if trimmed.starts_with('<') {
            return Ok(offset + (line.len() - lead.len()));
        }
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            return Err(index as u32 + 1);
        }
        offset += line.len();
    }
    Err(0)
}

/// The root element's name, read without parsing the document.
fn root_name(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let at = rest.find('<')?;
        rest = rest.get(at..)?;
        if rest.starts_with("<?") {
            rest = rest.get(rest.find("?>")? + 2..)?;
        } else if rest.starts_with("<!--") {
            rest = rest.get(rest.find("-->")? + 3..)?;
        } else if rest.starts_with("<!") {
            rest = rest.get(rest.find('>')? + 1..)?;
        } else {
            let name = rest.get(1..)?;
            let end = name
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(name.len());
            return name.get(..end);
        }
    }
}

/// How sure the text is a pfSense/OPNsense config.xml (or our fragment after its steps).
pub fn fingerprint(text: &str) -> u32 {
    let Ok(start) = xml_start(text) else {
        return 0;
    };
    let Some(document) = text.get(start..) else {
        return 0;
    };
    match root_name(document) {
        Some("pfsense" | "opnsense") if start == 0 => 100,
        Some("pfsense" | "opnsense") => 95,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Small parsers

/// Service names config.xml may hold instead of port numbers (OPNsense stores names).
fn service_port(name: &str) -> Option<u16> {
    Some(match name.to_ascii_lowercase().as_str() {
        "ftp" => 21,
        "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "domain" | "dns" => 53,
        "tftp" => 69,
        "http" | "www" => 80,
        "pop3" => 110,
        "ntp" => 123,
        "imap" => 143,
        "snmp" => 161,
        "ldap" => 389,
        "https" => 443,
        "smtps" => 465,
        "isakmp" => 500,
        "syslog" => 514,
        "submission" => 587,
        "ldaps" => 636,
        "imaps" => 993,
        "pop3s" => 995,
        "openvpn" => 1194,
        "ms-sql-s" => 1433,
        "pptp" => 1723,
        "radius" => 1812,
        "nfs" => 2049,
        "mysql" => 3306,
        "ms-wbt-server" | "rdp" => 3389,
        "stun" => 3478,
        "ipsec-nat-t" => 4500,
        "iax" => 4569,
        "sip" => 5060,
        "sip-tls" | "sips" => 5061,
        "http-alt" => 8080,
        _ => return None,
    })
}

fn port_number(text: &str) -> Option<u16> {
    match text.parse::<u16>() {
        Ok(0) => None,
        Ok(p) => Some(p),
        Err(_) => service_port(text),
    }
}

/// `5060`, `10000-20000`, `10000:20000` or a service name.
fn port_range(text: &str) -> Option<PortRange> {
    match text.split_once(['-', ':']) {
        Some((a, b)) => Some(PortRange::new(
            port_number(a.trim())?,
            port_number(b.trim())?,
        )),
        None => Some(PortRange::single(port_number(text.trim())?)),
    }
}

/// The text of a flag element: set when present and not `0` (pfSense writes `<x/>` or
/// `<x></x>`, OPNsense `<x>1</x>` / `<x>0</x>`).
fn flag(node: Node, name: &str) -> bool {
    child(node, name).is_some_and(|c| text_of(c) != "0")
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The trimmed text of an element (CDATA included); empty when it has none.
fn text_of<'a>(node: Node<'a, '_>) -> &'a str {
    node.text().map(str::trim).unwrap_or("")
}

fn text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name).map(text_of).filter(|t| !t.is_empty())
}

fn protocols(text: Option<&str>) -> Option<Vec<Option<Protocol>>> {
    Some(match text.map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "any") => vec![None],
        Some("tcp") => vec![Some(Protocol::Tcp)],
        Some("udp") => vec![Some(Protocol::Udp)],
        Some("tcp/udp" | "tcp_udp" | "tcpudp") => vec![Some(Protocol::Tcp), Some(Protocol::Udp)],
        // icmp, esp, gre, …: no facts about TCP/UDP ports.
        Some(_) => return None,
    })
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The prefixes covering an IPv4 range `a-b` (at most 64 of them).
fn range_nets(first: Ipv4Addr, last: Ipv4Addr) -> Option<Vec<Address>> {
    let (mut current, end) = (u64::from(u32::from(first)), u64::from(u32::from(last)));
    if current > end {
        return None;
    }
    let mut out = Vec::new();
    while current <= end && out.len() < 64 {
        let mut size_bits = if current == 0 {
            32
        } else {
            current.trailing_zeros().min(32)
        };
        while size_bits > 0 && current + (1u64 << size_bits) - 1 > end {
            size_bits -= 1;
        }
        let addr = Ipv4Addr::from(u32::try_from(current).ok()?);
        let net = Ipv4Net::new(addr, (32 - size_bits) as u8).ok()?;
        out.push(Address::Net(IpNet::V4(net)));
        current += 1u64 << size_bits;
    }
    Some(out)
}

fn loopback(addresses: &[Address]) -> bool {
    !addresses.is_empty()
        && addresses.iter().all(|a| match a {
            Address::Net(net) => net.addr().is_loopback(),
            Address::Fqdn(name) => name == "localhost",
        })
}

fn single_host(addresses: &[Address]) -> Option<IpAddr> {
    match addresses {
        [Address::Net(net)] if net.prefix_len() == net.max_prefix_len() => Some(net.addr()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Facts

/// Where a rule's source or destination points.
#[derive(Debug, Clone)]
enum Where {
    Any,
    /// The firewall itself (`(self)`, `wanip`, `lanip`, …).
    Firewall,
    /// An interface's subnet (`lan`, `opt1`): the key.
    Net(String),
    Addresses(Vec<Address>),
    /// An alias or value the export does not resolve (URL tables, GeoIP, …).
    Unknown,
}

#[derive(Debug, Clone)]
struct Endpoint {
    at: Where,
    negated: bool,
    /// `None`: no port given; `Some(None)`: a port the parser cannot resolve.
    port: Option<Option<Ports>>,
}

struct Alias {
    kind: String,
    entries: Vec<String>,
}

struct InterfaceInfo {
    descr: Option<String>,
    /// The operating system's name (`igb0`), for hints that give it.
    device: Option<String>,
    net: Option<IpNet>,
}

struct Parser<'s, 'a, 'i> {
    source: &'s Source,
    hints: &'s Hints,
    /// Byte offset of the XML document in the source text.
    base: usize,
    /// Byte offsets of the newlines of the source text (line lookups of every element).
    newlines: Vec<usize>,
    root: Node<'a, 'i>,
    interfaces: HashMap<String, InterfaceInfo>,
    aliases: HashMap<String, Alias>,
}

pub fn parse(source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
    let text = source.text.as_str();
    if text.trim().is_empty() {
        return Err(ParseError::new("the input is empty", None, HINT));
    }
    if text.contains('\0') {
        return Err(ParseError::new(
            "the input is binary, not a config.xml",
            None,
            HINT,
        ));
    }
    let start = match xml_start(text) {
        Ok(start) => start,
        Err(line) => {
            return Err(ParseError::new(
                "not a pfSense/OPNsense config.xml: text that is neither XML nor a `#` comment \
                 comes first",
                (line > 0).then(|| source.line_span(line)),
                HINT,
            ));
        }
    };
    let document_text = text.get(start..).unwrap_or("");
    // Our rendering holds exactly one document after its `#` steps; a second XML declaration
    // means two documents pasted together.
    let declarations = document_text
        .lines()
        .filter(|l| l.trim_start().starts_with("<?xml"))
        .count();
    if declarations > 1 {
        return Err(ParseError::new(
            "several XML documents in one input",
            None,
            "pass one config.xml per run",
        ));
    }
    match root_name(document_text) {
        Some("pfsense" | "opnsense") => {}
        other => {
            return Err(ParseError::new(
                format!(
                    "not a pfSense/OPNsense config.xml (root element <{}>)",
                    other.unwrap_or("?")
                ),
                Some(source.span_at(start, start + 1)),
                HINT,
            ));
        }
    }
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(document_text, options).map_err(|e| {
        let pos = e.pos();
        let line_before = source.span_at(start, start).line.saturating_sub(1);
        let line = line_before.saturating_add(pos.row);
        let col = pos.col.saturating_sub(1);
        let first_line = pos.row == 1;
        let col = if first_line {
            col.saturating_add(source.span_at(start, start).start)
        } else {
            col
        };
        ParseError::new(
            format!("the XML is broken: {e}"),
            Some(Span {
                line,
                start: col,
                end: col.saturating_add(1),
            }),
            "export config.xml again (a truncated or hand-edited file does not parse)",
        )
    })?;
    let mut coverage = Coverage::new(source);
    for number in 1..=source.span_at(start, start).line.saturating_sub(1) {
        // The GUI steps of our rendering: comments.
        coverage.mark(number, LineClass::Ignored);
    }
    let root = document.root_element();
    let mut parser = Parser {
        source,
        hints,
        base: start,
        newlines: text.match_indices('\n').map(|(i, _)| i).collect(),
        root,
        interfaces: HashMap::new(),
        aliases: HashMap::new(),
    };
    parser.classify(&mut coverage);
    parser.collect();
    let device = parser.facts();
    Ok(Parsed { device, coverage })
}

/// How the lines of an element and its subtree are classed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Classify each child by its own name.
    Recurse,
    /// The element and everything in it have this class.
    Same(LineClass),
}

/// Children of `<system>` the facts read.
const SYSTEM_READ: &[&str] = &[
    "optimization",
    "maximumstates",
    "udpfirsttimeout",
    "udpsingletimeout",
    "udpmultipletimeout",
    "disablefilter",
];

/// Children of `<system>` with no bearing on VoIP through the firewall (by name or prefix).
const SYSTEM_IGNORED: &[&str] = &[
    "hostname",
    "domain",
    "group",
    "user",
    "nextuid",
    "nextgid",
    "timezone",
    "timeservers",
    "webgui",
    "ssh",
    "language",
    "bogons",
    "firmware",
    "serialspeed",
    "primaryconsole",
    "secondaryconsole",
    "enableserial",
    "ipv6allow",
    "backupcount",
    "crypto_hardware",
    "kill_states",
    "lb_use_sticky",
    "netflowbackup",
    "rrdbackup",
    "dhcpbackup",
    "pf_share_forward",
    "usevirtualterminal",
    "already_run_config_upgrade",
    "hn_altq_enable",
    "maximumtableentries",
    "maximumfrags",
    "aliasesresolveinterval",
    "checkaliasesurlcert",
    "bypassstaticroutes",
    "reflectiontimeout",
    "tftpinterface",
    "statepolicy",
    "state-policy",
    "rulesetoptimization",
    "harddiskstandby",
    "apinterface",
    "authserver",
    "notifications",
    "sshguard_threshold",
    "sshguard_blocktime",
    "sshguard_detection_time",
    "sshguard_whitelist",
    "gw_switch_default",
    "prefer_ipv4",
    "thermal_hardware",
    "cryptographic_hardware",
    "do_not_send_uniqueid",
    "webguihostnamemenu",
    "deployment",
    "earlyshellcmd",
    "shellcmd",
    "sudo_allowed_group",
    "mvc_reload",
    "ui_theme",
    "theme",
    "lastchange",
    "trigger_initial_wizard",
];

const SYSTEM_IGNORED_PREFIXES: &[&str] = &[
    "dns",
    "powerd_",
    "use_mfs",
    "disable",
    "enable",
    "tcp",
    "icmp",
    "other",
    "sctp",
    "scrub",
    "adaptive",
    "reflection",
    "acb",
    "ntp",
    "syslog",
    "route",
    "maximum",
];

/// Top-level sections with no bearing on VoIP through the firewall.
const IGNORED_SECTIONS: &[&str] = &[
    "lastchange",
    "theme",
    "trigger_initial_wizard",
    "sysctl",
    "dhcpd",
    "dhcpdv6",
    "dhcrelay",
    "dhcrelay6",
    "unbound",
    "dnsmasq",
    "snmpd",
    "syslog",
    "rrd",
    "load_balancer",
    "widgets",
    "revision",
    "hasync",
    "ifgroups",
    "gifs",
    "gres",
    "laggs",
    "virtualip",
    "vlans",
    "qinqs",
    "openvpn",
    "staticroutes",
    "bridges",
    "bridge",
    "ppps",
    "wireless",
    "ca",
    "cert",
    "crl",
    "wizardtemp",
    "ntpd",
    "cron",
    "wol",
    "diag",
    "shaper",
    "dnshaper",
    "ipsec",
    "proxyarp",
    "gateways",
    "captiveportal",
    "dyndnses",
    "dnsupdates",
    "igmpproxy",
    "voucher",
    "notifications",
    "l2tp",
    "pppoes",
    "schedules",
    "switches",
    "sshdata",
    "hasyncsettings",
    "ovpnserver",
    "system_tunables",
    "dnsmasq6",
    "radvd",
    "unboundplus",
];

/// Fields of `<rule>` / `<onetoone>` elements the facts read (any depth inside the rule).
const RULE_READ: &[&str] = &[
    "type",
    "interface",
    "ipprotocol",
    "protocol",
    "source",
    "destination",
    "any",
    "network",
    "address",
    "port",
    "not",
    "disabled",
    "floating",
    "quick",
    "direction",
    "target",
    "local-port",
    "associated-rule-id",
    "nordr",
    "pass",
    "sequence",
    "staticnatport",
    "nonat",
    "dstport",
    "natport",
    "sourceport",
    "external",
    "subnet",
    "max-src-conn-rate",
    "max-src-conn-rates",
    "sched",
    "tagged",
    "os",
    "statetype",
    "targetip",
    "targetip_subnet",
    "target_subnet",
];

/// Bookkeeping fields of rules (descriptions, audit trail, logging, queues, …).
const RULE_IGNORED: &[&str] = &[
    "descr",
    "tracker",
    "created",
    "updated",
    "audit",
    "category",
    "tag",
    "log",
    "nosync",
    "natreflection",
    "id",
    "max",
    "max-src-conn",
    "max-src-nodes",
    "max-src-states",
    "statetimeout",
    "gateway",
    "poolopts",
    "poolopts_sourcehashkey",
    "source_hash_key",
    "label",
    "icmptype",
    "icmp6-type",
    "tcpflags1",
    "tcpflags2",
    "tcpflags_any",
    "allowopts",
    "disablereplyto",
    "nopfsync",
    "nottagged",
    "dnpipe",
    "pdnpipe",
    "ackqueue",
    "defaultqueue",
    "vlanprio",
    "vlanprioset",
    "set-prio",
    "set-prio-low",
    "prio",
    "reply-to",
    "shaper",
    "associated",
    "username",
    "time",
    "description",
];

impl<'s, 'a, 'i> Parser<'s, 'a, 'i> {
    /// The line (1-based) of a byte offset into the XML document.
    fn line_of(&self, offset: usize) -> u32 {
        let at = self.base + offset;
        // Line n+1 starts after the n-th newline: count the newlines before the offset.
        let newlines = self.newlines.partition_point(|&n| n < at);
        u32::try_from(newlines + 1).unwrap_or(u32::MAX)
    }

    /// The span of an element's first line (its start tag and what follows on that line).
    fn span(&self, node: Node) -> Span {
        let range = node.range();
        self.source
            .span_at(self.base + range.start, self.base + range.end)
    }

    fn class_of(path: &[&str], node: Node) -> (LineClass, Mode) {
        use LineClass::{Ignored, Understood, Unknown};
        let same = |class| (class, Mode::Same(class));
        let has_elements = || node.children().any(|c| c.is_element());
        match path {
            [] => (Understood, Mode::Recurse),
            ["version"] => same(Understood),
            ["system"] => (Understood, Mode::Recurse),
            ["system", key] => {
                if SYSTEM_READ.contains(key) {
                    same(Understood)
                } else if SYSTEM_IGNORED.contains(key)
                    || SYSTEM_IGNORED_PREFIXES.iter().any(|p| key.starts_with(p))
                {
                    same(Ignored)
                } else {
                    same(Unknown)
                }
            }
            ["interfaces"] => (Understood, Mode::Recurse),
            ["interfaces", _] => (Understood, Mode::Recurse),
            [
                "interfaces",
                _,
                "ipaddr" | "subnet" | "descr" | "if" | "enable",
            ] => same(Understood),
            ["interfaces", ..] => same(Ignored),
            ["nat"] | ["filter"] | ["nat", "outbound"] => (Understood, Mode::Recurse),
            ["nat", "outbound", "mode"] => same(Understood),
            ["nat", "rule" | "onetoone", ..] | ["nat", "outbound", "rule", ..] => {
                Self::rule_field(path.last().copied().unwrap_or(""))
            }
            ["filter", "rule", ..] => Self::rule_field(path.last().copied().unwrap_or("")),
            ["nat", "separator" | "npt" | "advancedoutbound"] | ["filter", "separator"] => {
                same(Ignored)
            }
            ["aliases"] => (Understood, Mode::Recurse),
            ["aliases", "alias", ..] => same(Understood),
            ["installedpackages"] => (Understood, Mode::Recurse),
            ["installedpackages", "siproxdsettings" | "siproxd", ..] => same(Understood),
            ["installedpackages", ..] => same(Ignored),
            ["OPNsense"] | ["OPNsense", "Firewall"] => (Understood, Mode::Recurse),
            ["OPNsense", "Firewall", "Alias", ..] => same(Understood),
            ["OPNsense", "Firewall", "Filter"] => (Understood, Mode::Recurse),
            // The MVC filter and NAT rules of newer OPNsense: read only when empty.
            ["OPNsense", "Firewall", "Filter", _] if has_elements() => same(Unknown),
            ["OPNsense", "Firewall", "Filter", ..] => same(Understood),
            ["OPNsense", "siproxd", ..] => same(Understood),
            ["OPNsense", ..] => same(Ignored),
            [section] if IGNORED_SECTIONS.contains(section) => same(Ignored),
            _ => same(Unknown),
        }
    }

    /// A field at any depth inside a rule (`<source><address>` as well as `<descr>`).
    fn rule_field(name: &str) -> (LineClass, Mode) {
        if name == "rule" || name == "onetoone" {
            return (LineClass::Understood, Mode::Recurse);
        }
        if RULE_READ.contains(&name) {
            (LineClass::Understood, Mode::Recurse)
        } else if RULE_IGNORED.contains(&name) {
            (LineClass::Ignored, Mode::Same(LineClass::Ignored))
        } else {
            (LineClass::Unknown, Mode::Same(LineClass::Unknown))
        }
    }

    /// Marks every line of the document: elements by their path, comments as ignored.
    fn classify(&self, coverage: &mut Coverage) {
        // Depth-first with an explicit stack (nesting depth costs no call stack): each entry
        // is a node, the mode of its parent and the length of its parent's path.
        let mut stack: Vec<(Node, Mode, usize)> = vec![(self.root, Mode::Recurse, 0)];
        let mut path: Vec<&str> = Vec::new();
        while let Some((node, inherited, depth)) = stack.pop() {
            path.truncate(depth);
            let range = node.range();
            let first = self.line_of(range.start);
            let last = self.line_of(range.end.saturating_sub(1).max(range.start));
            match node.node_type() {
                NodeType::Element => {
                    if node != self.root {
                        path.push(node.tag_name().name());
                    }
                    let (class, mode) = match inherited {
                        Mode::Same(class) => (class, Mode::Same(class)),
                        Mode::Recurse => Self::class_of(&path, node),
                    };
                    if inherited == Mode::Recurse {
                        if matches!(mode, Mode::Same(_)) || !node.children().any(|c| c.is_element())
                        {
                            coverage.mark_range(first, last, class);
                        } else {
                            coverage.mark(first, class);
                            coverage.mark(last, class);
                        }
                    }
                    if mode == Mode::Recurse {
                        // Last child first, so the first is visited first.
                        let depth = path.len();
                        let mut kid = node.last_child();
                        while let Some(k) = kid {
                            stack.push((k, mode, depth));
                            kid = k.prev_sibling();
                        }
                    }
                }
                NodeType::Comment | NodeType::PI if inherited == Mode::Recurse => {
                    coverage.mark_range(first, last, LineClass::Ignored);
                }
                _ => {}
            }
        }
        // Comments and the declaration outside the root element.
        for node in self.root.document().root().children() {
            if matches!(node.node_type(), NodeType::Comment | NodeType::PI) {
                let range = node.range();
                let first = self.line_of(range.start);
                let last = self.line_of(range.end.saturating_sub(1).max(range.start));
                coverage.mark_range(first, last, LineClass::Ignored);
            }
        }
        // The XML declaration is not a node: its line is structure.
        let declaration = self.line_of(0);
        if self
            .source
            .line(declaration)
            .trim_start()
            .starts_with("<?xml")
        {
            coverage.mark(declaration, LineClass::Ignored);
        }
    }

    /// Interfaces and aliases, needed to read rules.
    fn collect(&mut self) {
        if let Some(interfaces) = child(self.root, "interfaces") {
            for interface in interfaces.children().filter(|c| c.is_element()) {
                let net = match (
                    text(interface, "ipaddr").and_then(|a| a.parse::<IpAddr>().ok()),
                    text(interface, "subnet").and_then(|s| s.parse::<u8>().ok()),
                ) {
                    (Some(IpAddr::V4(a)), Some(len)) => {
                        Ipv4Net::new(a, len).ok().map(|n| IpNet::V4(n.trunc()))
                    }
                    (Some(IpAddr::V6(a)), Some(len)) => {
                        Ipv6Net::new(a, len).ok().map(|n| IpNet::V6(n.trunc()))
                    }
                    _ => None,
                };
                self.interfaces.insert(
                    interface.tag_name().name().to_string(),
                    InterfaceInfo {
                        descr: text(interface, "descr").map(str::to_string),
                        device: text(interface, "if").map(str::to_string),
                        net,
                    },
                );
            }
        }
        if let Some(aliases) = child(self.root, "aliases") {
            for alias in children(aliases, "alias") {
                if let Some(name) = text(alias, "name") {
                    let entries = text(alias, "address")
                        .map(|a| split_list(a).map(str::to_string).collect())
                        .unwrap_or_default();
                    self.aliases.insert(
                        name.to_string(),
                        Alias {
                            kind: text(alias, "type").unwrap_or("").to_string(),
                            entries,
                        },
                    );
                }
            }
        }
        let mvc = child(self.root, "OPNsense")
            .and_then(|o| child(o, "Firewall"))
            .and_then(|f| child(f, "Alias"))
            .and_then(|a| child(a, "aliases"));
        if let Some(aliases) = mvc {
            for alias in children(aliases, "alias") {
                if child(alias, "enabled").is_some_and(|e| text_of(e) == "0") {
                    continue;
                }
                if let Some(name) = text(alias, "name") {
                    let entries = text(alias, "content")
                        .map(|a| split_list(a).map(str::to_string).collect())
                        .unwrap_or_default();
                    self.aliases.insert(
                        name.to_string(),
                        Alias {
                            kind: text(alias, "type").unwrap_or("").to_string(),
                            entries,
                        },
                    );
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Names

    fn named(&self, names: &[String], key: &str) -> bool {
        let interface = self.interfaces.get(key);
        let descr = interface.and_then(|i| i.descr.as_deref());
        let device = interface.and_then(|i| i.device.as_deref());
        names.iter().any(|n| {
            n.eq_ignore_ascii_case(key)
                || descr.is_some_and(|d| d.eq_ignore_ascii_case(n))
                || device.is_some_and(|d| d.eq_ignore_ascii_case(n))
        })
    }

    fn is_wan(&self, key: &str) -> bool {
        if self.hints.wan.is_empty() {
            key.eq_ignore_ascii_case("wan")
        } else {
            self.named(&self.hints.wan, key)
        }
    }

    fn is_lan(&self, key: &str) -> bool {
        if self.hints.lan.is_empty() {
            key.eq_ignore_ascii_case("lan")
        } else {
            self.named(&self.hints.lan, key)
        }
    }

    /// The addresses of an alias (nested aliases followed); `None` for alias kinds whose
    /// content is not in the export (URL tables, GeoIP, …) or entries that do not parse.
    fn alias_addresses(&self, name: &str, depth: usize) -> Option<Vec<Address>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let alias = self.aliases.get(name)?;
        if !matches!(
            alias.kind.as_str(),
            "host" | "network" | "networkgroup" | ""
        ) {
            return None;
        }
        let mut out = Vec::new();
        for entry in &alias.entries {
            out.extend(self.address_value(entry, depth + 1)?);
        }
        Some(out)
    }

    /// An address, prefix, range, FQDN or alias name.
    fn address_value(&self, value: &str, depth: usize) -> Option<Vec<Address>> {
        if let Ok(net) = value.parse::<IpNet>() {
            return Some(vec![Address::Net(net.trunc())]);
        }
        if let Ok(addr) = value.parse::<IpAddr>() {
            return Some(vec![Address::Net(IpNet::from(addr))]);
        }
        if let Some((a, b)) = value.split_once('-')
            && let (Ok(a), Ok(b)) = (a.trim().parse::<Ipv4Addr>(), b.trim().parse::<Ipv4Addr>())
        {
            return range_nets(a, b);
        }
        if self.aliases.contains_key(value) {
            return self.alias_addresses(value, depth);
        }
        // A host name (aliases take FQDNs, re-resolved by the firewall).
        let fqdn = value.contains('.')
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        fqdn.then(|| vec![Address::Fqdn(value.to_string())])
    }

    /// A port value: number, range, service name or port alias; `None` when not resolvable.
    fn ports_value(&self, value: &str, depth: usize) -> Option<Ports> {
        if depth > MAX_DEPTH {
            return None;
        }
        if value.eq_ignore_ascii_case("any") {
            return Some(Ports::Any);
        }
        if let Some(range) = port_range(value) {
            return Some(Ports::from_ranges([range]));
        }
        let alias = self.aliases.get(value)?;
        if alias.kind != "port" {
            return None;
        }
        let mut ranges = Vec::new();
        for entry in &alias.entries {
            ranges.extend(self.ports_value(entry, depth + 1)?.ranges());
        }
        (!ranges.is_empty()).then(|| Ports::from_ranges(ranges))
    }

    fn endpoint(&self, node: Option<Node>) -> Endpoint {
        let Some(node) = node else {
            return Endpoint {
                at: Where::Any,
                negated: false,
                port: None,
            };
        };
        let network = text(node, "network");
        let address = text(node, "address");
        let at = if flag(node, "any") {
            Where::Any
        } else if let Some(network) = network {
            self.network_value(network)
        } else if let Some(address) = address {
            match self.address_value(address, 0) {
                // An empty alias matches nothing; it must not read as `any`.
                Some(a) if !a.is_empty() => Where::Addresses(a),
                _ => Where::Unknown,
            }
        } else {
            Where::Any
        };
        let port = text(node, "port").map(|p| self.ports_value(p, 0));
        Endpoint {
            at,
            negated: flag(node, "not"),
            port,
        }
    }

    /// `<network>`: `any`, `(self)`, an interface (`lan`), its address (`lanip`), an alias or
    /// a prefix.
    fn network_value(&self, value: &str) -> Where {
        if value.eq_ignore_ascii_case("any") {
            return Where::Any;
        }
        if value == "(self)" {
            return Where::Firewall;
        }
        if self.interfaces.contains_key(value) || value == "wan" || value == "lan" {
            return Where::Net(value.to_string());
        }
        if let Some(key) = value.strip_suffix("ip")
            && (self.interfaces.contains_key(key) || key == "wan" || key == "lan")
        {
            return Where::Firewall;
        }
        match self.address_value(value, 0) {
            Some(a) if !a.is_empty() => Where::Addresses(a),
            _ => Where::Unknown,
        }
    }

    /// The addresses of a side for a rule entering on `ingress` (`None`: it cannot be said,
    /// so the rule is conditional). An interface's own subnet on that interface is any source.
    fn addresses(&self, at: &Where, ingress: &str) -> Option<Vec<Address>> {
        match at {
            Where::Any => Some(Vec::new()),
            Where::Addresses(a) => Some(a.clone()),
            Where::Net(key) if key == ingress => Some(Vec::new()),
            Where::Net(key) => self
                .interfaces
                .get(key)
                .and_then(|i| i.net)
                .map(|n| vec![Address::Net(n)]),
            Where::Firewall | Where::Unknown => None,
        }
    }
}

impl<'s, 'a, 'i> Parser<'s, 'a, 'i> {
    fn facts(&self) -> Device {
        let mut device = Device {
            vendor: Some(Vendor::Pfsense),
            ..Device::default()
        };
        device.version = self.version();
        self.alg(&mut device);
        self.timeouts(&mut device);
        let filtering = !child(self.root, "system").is_some_and(|s| flag(s, "disablefilter"));
        if filtering {
            self.outbound_nat(&mut device);
            self.forwards(&mut device);
            self.filter(&mut device);
            for path in [Path::Outbound, Path::Inbound, Path::ToDevice] {
                device.default_actions.push(DefaultAction {
                    path,
                    action: Action::Drop,
                    evidence: Evidence::default(PF_DEFAULT_DENY),
                });
            }
        } else if let Some(node) =
            child(self.root, "system").and_then(|s| child(s, "disablefilter"))
        {
            // "Disable all packet filtering" also turns NAT off: everything passes.
            for path in [Path::Outbound, Path::Inbound, Path::ToDevice] {
                device.default_actions.push(DefaultAction {
                    path,
                    action: Action::Accept,
                    evidence: Evidence::explicit([self.span(node)]),
                });
            }
        }
        device
    }

    /// The release from oxidized's trailing comment (`<!-- PFsense 2.7.2-RELEASE -->`), else
    /// the config.xml schema version `<version>` (not the release; OPNsense has none).
    fn version(&self) -> Option<Versioned> {
        let document = self.root.document();
        for node in document.root().children() {
            if node.node_type() == NodeType::Comment {
                let text = node.text().unwrap_or("").trim();
                let lower = text.to_ascii_lowercase();
                if (lower.starts_with("pfsense") || lower.starts_with("opnsense"))
                    && let Some(version) = text.split_whitespace().nth(1)
                    && version.starts_with(|c: char| c.is_ascii_digit())
                {
                    return Some(Versioned {
                        version: version.to_string(),
                        span: self.span(node),
                    });
                }
            }
        }
        let node = child(self.root, "version")?;
        let version = text_of(node);
        (!version.is_empty()).then(|| Versioned {
            version: format!("config {version}"),
            span: self.span(node),
        })
    }

    fn alg(&self, device: &mut Device) {
        // pfSense package: <installedpackages><siproxdsettings><config><sipenable>on</…>.
        let package = child(self.root, "installedpackages").and_then(|p| {
            child(p, "siproxdsettings").map(|s| (s, child(s, "config").unwrap_or(s)))
        });
        if let Some((settings, config)) = package {
            let enabled = child(config, "sipenable").filter(|e| {
                let v = text_of(*e).to_ascii_lowercase();
                v != "0" && v != "off" && v != "no"
            });
            let port = text(config, "port")
                .and_then(port_number)
                .unwrap_or(SIP_PORT);
            device.sip_alg.push(AlgState {
                enabled: enabled.is_some(),
                mechanism: format!(
                    "siproxd package (a SIP proxy that rewrites SIP like an ALG) on port {port}{}",
                    if enabled.is_some() {
                        ""
                    } else {
                        ", not enabled"
                    }
                ),
                scope: vec![
                    (Protocol::Udp, Ports::single(port)),
                    (Protocol::Tcp, Ports::single(port)),
                ],
                evidence: Evidence::explicit([self.span(enabled.unwrap_or(settings))]),
            });
            return;
        }
        // OPNsense plugin: <OPNsense><siproxd><general><enabled>1</enabled>.
        let plugin = child(self.root, "OPNsense")
            .and_then(|o| child(o, "siproxd"))
            .and_then(|s| child(s, "general"));
        if let Some(general) = plugin {
            let enabled = child(general, "enabled");
            let on = enabled.is_some_and(|e| text_of(e) == "1");
            let port = text(general, "sip_listen_port")
                .and_then(port_number)
                .unwrap_or(SIP_PORT);
            device.sip_alg.push(AlgState {
                enabled: on,
                mechanism: format!(
                    "os-siproxd plugin (a SIP proxy that rewrites SIP like an ALG) on port {port}{}",
                    if on { "" } else { ", not enabled" }
                ),
                scope: vec![
                    (Protocol::Udp, Ports::single(port)),
                    (Protocol::Tcp, Ports::single(port)),
                ],
                evidence: Evidence::explicit([self.span(enabled.unwrap_or(general))]),
            });
            return;
        }
        device.sip_alg.push(AlgState {
            enabled: false,
            mechanism: "pf (no SIP ALG; no siproxd package or plugin in the export)".into(),
            scope: Vec::new(),
            evidence: Evidence::default(PF_NO_ALG),
        });
    }

    fn timeouts(&self, device: &mut Device) {
        let system = child(self.root, "system");
        let value = |name: &str| -> Option<(u32, Node)> {
            let node = child(system?, name)?;
            Some((text_of(node).parse().ok()?, node))
        };
        let first = value("udpfirsttimeout");
        let single = value("udpsingletimeout");
        let multiple = value("udpmultipletimeout");
        let spans: Vec<Span> = [&first, &single, &multiple]
            .iter()
            .filter_map(|v| v.as_ref().map(|(_, n)| self.span(*n)))
            .collect();
        let unreplied = first
            .map(|v| v.0)
            .unwrap_or(PF_FIRST)
            .min(single.map(|v| v.0).unwrap_or(PF_SINGLE));
        let replied = multiple.map(|v| v.0).unwrap_or(PF_MULTIPLE);
        let evidence = if spans.is_empty() {
            match system.and_then(|s| child(s, "optimization")) {
                Some(node) => Evidence::default_at(PF_UDP_TIMEOUTS, [self.span(node)]),
                None => Evidence::default(PF_UDP_TIMEOUTS),
            }
        } else {
            Evidence::explicit(spans)
        };
        device.udp_timeouts.push(UdpTimeout {
            scope: TimeoutScope::Global,
            unreplied_seconds: Some(unreplied),
            replied_seconds: Some(replied),
            evidence,
        });
    }

    fn outbound_nat(&self, device: &mut Device) {
        let outbound = child(self.root, "nat").and_then(|n| child(n, "outbound"));
        let mode_node = outbound.and_then(|o| child(o, "mode"));
        let mode = mode_node.map(text_of).unwrap_or("automatic");
        let manual = matches!(mode, "hybrid" | "advanced" | "manual");
        let automatic = matches!(mode, "automatic" | "hybrid" | "");
        let mut kept: Vec<PortRange> = Vec::new();
        if manual && let Some(outbound) = outbound {
            for rule in children(outbound, "rule") {
                if flag(rule, "disabled") || flag(rule, "nonat") {
                    continue;
                }
                let interfaces = text(rule, "interface").unwrap_or("wan");
                if !split_list(interfaces).any(|i| self.is_wan(i)) {
                    continue;
                }
                let source = self.endpoint(child(rule, "source"));
                if let Where::Addresses(a) = &source.at
                    && loopback(a)
                {
                    continue; // the firewall's own traffic
                }
                let Some(protos) = protocols(text(rule, "protocol")) else {
                    continue;
                };
                let ports = match text(rule, "dstport") {
                    Some(p) => match self.ports_value(p, 0) {
                        Some(p) => p,
                        None => continue,
                    },
                    None => Ports::Any,
                };
                let keeps = child(rule, "staticnatport").filter(|n| text_of(*n) != "0");
                let mut spans = vec![self.span(rule)];
                if let Some(node) = keeps {
                    spans.push(self.span(node));
                }
                for protocol in protos {
                    if keeps.is_some() && protocol.is_none() {
                        kept.extend(ports.ranges());
                    }
                    device.source_nat.push(SourceNat {
                        port_preservation: Some(keeps.is_some()),
                        ports: ports.clone(),
                        protocol,
                        evidence: if keeps.is_some() {
                            Evidence::explicit(spans.clone())
                        } else {
                            Evidence::default_at(PF_RANDOM_PORT, spans.clone())
                        },
                    });
                }
            }
        }
        if automatic {
            // Hybrid: the automatic rules come after the manual ones and rewrite what the
            // Static Port mappings above them do not take.
            let rest = if kept.is_empty() {
                Some(Ports::Any)
            } else {
                Ports::Any.subtract(&Ports::from_ranges(kept))
            };
            if let Some(rest) = rest {
                device.source_nat.push(SourceNat {
                    port_preservation: Some(false),
                    ports: rest,
                    protocol: None,
                    evidence: match mode_node {
                        Some(node) => Evidence::default_at(PF_AUTO_OUTBOUND, [self.span(node)]),
                        None => Evidence::default(PF_AUTO_OUTBOUND),
                    },
                });
            }
        }
    }

    /// Port forwards and 1:1 NAT; forwards with the `pass` association also pass their
    /// traffic (first on the inbound path: pf's `rdr pass` skips the filter rules).
    fn forwards(&self, device: &mut Device) {
        let Some(nat) = child(self.root, "nat") else {
            return;
        };
        let mut rules: Vec<(Option<u64>, Node)> = children(nat, "rule")
            .map(|r| (text(r, "sequence").and_then(|s| s.parse().ok()), r))
            .collect();
        if rules.iter().all(|(s, _)| s.is_some()) {
            rules.sort_by_key(|(s, _)| *s);
        }
        for (_, rule) in rules {
            if flag(rule, "disabled") || flag(rule, "nordr") {
                continue;
            }
            let interfaces = text(rule, "interface").unwrap_or("wan");
            if !split_list(interfaces).any(|i| self.is_wan(i)) {
                continue;
            }
            let Some(protos) = protocols(text(rule, "protocol")) else {
                continue;
            };
            let destination = self.endpoint(child(rule, "destination"));
            let outside = match &destination.port {
                None => Ports::Any,
                Some(Some(p)) => p.clone(),
                Some(None) => continue,
            };
            let to = text(rule, "target").and_then(|t| {
                t.parse::<IpAddr>()
                    .ok()
                    .or_else(|| single_host(&self.address_value(t, 0)?))
            });
            let to_ports = match text(rule, "local-port") {
                None => None,
                Some(local) => self.local_ports(local, &outside),
            };
            let source_end = self.endpoint(child(rule, "source"));
            let (source, certain) = match (&source_end.at, source_end.negated) {
                (_, true) | (Where::Any, false) => (Vec::new(), true),
                (at, false) => match self.addresses(at, "") {
                    Some(a) => (a, true),
                    None => (Vec::new(), false),
                },
            };
            let (source_ports, source_port_known) = endpoint_ports(&source_end.port);
            let span = self.span(rule);
            let evidence = if certain {
                Evidence::explicit([span])
            } else {
                Evidence::unknown([span])
            };
            // TCP/UDP without a port is every TCP and UDP port: a DMZ host in all but name.
            let protos = if outside.is_any() && protos.len() == 2 {
                vec![None]
            } else {
                protos
            };
            // `pass`: the forward passes its traffic itself (pf `rdr pass`). Other
            // associations keep a filter rule in <filter>, read with the other rules (OPNsense
            // 26.1+ `<pass>rule</pass>` taken the same way).
            let passes = text(rule, "associated-rule-id") == Some("pass")
                || text(rule, "pass") == Some("pass");
            for protocol in protos {
                let forward = Forward {
                    protocol,
                    outside_ports: outside.clone(),
                    to,
                    to_ports: to_ports.clone(),
                    source: source.clone(),
                    evidence: evidence.clone(),
                };
                if passes {
                    device.filters.push(FilterRule {
                        path: Path::Inbound,
                        protocol,
                        source: source.clone(),
                        source_ports: if protocol.is_some() {
                            source_ports.clone()
                        } else {
                            Ports::Any
                        },
                        destination: to
                            .map(|t| vec![Address::Net(IpNet::from(t))])
                            .unwrap_or_default(),
                        destination_ports: if protocol.is_some() {
                            forward.inside_ports().clone()
                        } else {
                            Ports::Any
                        },
                        action: Action::Accept,
                        conditional: !certain || !source_port_known,
                        evidence: evidence.clone(),
                    });
                }
                device.forwards.push(forward);
            }
        }
        for one in children(nat, "onetoone") {
            if flag(one, "disabled") {
                continue;
            }
            let interfaces = text(one, "interface").unwrap_or("wan");
            if !split_list(interfaces).any(|i| self.is_wan(i)) {
                continue;
            }
            let inside = self.endpoint(child(one, "source"));
            let to = match &inside.at {
                Where::Addresses(a) => single_host(a),
                _ => None,
            };
            let peers = self.endpoint(child(one, "destination"));
            let source = match (&peers.at, peers.negated) {
                (Where::Addresses(a), false) => a.clone(),
                _ => Vec::new(),
            };
            device.forwards.push(Forward {
                protocol: None,
                outside_ports: Ports::Any,
                to,
                to_ports: None,
                source,
                evidence: Evidence::explicit([self.span(one)]),
            });
        }
    }

    /// `<local-port>`: the first inside port (pfSense keeps the range's length), or a port
    /// alias / range; `None` when the inside ports are the outside ones.
    fn local_ports(&self, local: &str, outside: &Ports) -> Option<Ports> {
        let inside = match (local.parse::<u16>(), outside) {
            (Ok(first), Ports::Set(ranges)) if ranges.len() == 1 => {
                let range = ranges.first()?;
                let last = u32::from(first) + u32::from(range.last - range.first);
                let last = u16::try_from(last).unwrap_or(u16::MAX);
                Ports::from_ranges([PortRange::new(first, last)])
            }
            _ => self.ports_value(local, 0)?,
        };
        (inside != *outside).then_some(inside)
    }

    fn filter(&self, device: &mut Device) {
        let Some(filter) = child(self.root, "filter") else {
            return;
        };
        let rules: Vec<Node> = children(filter, "rule").collect();
        // Floating rules are evaluated before the interface rules.
        let floating = |r: &Node| flag(*r, "floating");
        for rule in rules.iter().filter(|r| floating(r)) {
            self.filter_rule(device, *rule, true);
        }
        for rule in rules.iter().filter(|r| !floating(r)) {
            self.filter_rule(device, *rule, false);
        }
    }

    fn filter_rule(&self, device: &mut Device, rule: Node, floating: bool) {
        if flag(rule, "disabled") {
            return;
        }
        let action = match text(rule, "type").unwrap_or("pass") {
            "pass" => Action::Accept,
            "block" | "reject" => Action::Drop,
            _ => return, // `match` rules only tag or queue
        };
        let Some(protos) = protocols(text(rule, "protocol")) else {
            return;
        };
        let source = self.endpoint(child(rule, "source"));
        let destination = self.endpoint(child(rule, "destination"));
        let direction = text(rule, "direction").unwrap_or(if floating { "any" } else { "in" });
        let quick = if floating {
            flag(rule, "quick")
        } else {
            child(rule, "quick").is_none_or(|q| text_of(q) != "0")
        };
        let limited = ["sched", "tagged", "os"]
            .iter()
            .any(|f| text(rule, f).is_some());
        let rate = text(rule, "max-src-conn-rate").is_some();
        let (destination_ports, port_known) = match &destination.port {
            None => (Ports::Any, true),
            Some(Some(p)) => (p.clone(), true),
            Some(None) => (Ports::Any, false),
        };
        let (source_ports, source_port_known) = endpoint_ports(&source.port);
        // IPv6-only rules leave the IPv4 flows the profile describes alone.
        let ipv6_only = text(rule, "ipprotocol") == Some("inet6");
        let base_conditional = !quick
            || limited
            || ipv6_only
            || (rate && action == Action::Accept)
            || source.negated
            || destination.negated
            || !port_known
            || !source_port_known;
        let mut spans = vec![self.span(rule)];
        for name in ["type", "interface"] {
            if let Some(node) = child(rule, name) {
                spans.push(self.span(node));
            }
        }
        for side in ["source", "destination"] {
            if let Some(port) = child(rule, side).and_then(|d| child(d, "port")) {
                spans.push(self.span(port));
            }
        }
        spans.sort();
        spans.dedup();
        let evidence = Evidence::explicit(spans);
        let interfaces = text(rule, "interface").unwrap_or("");
        let mut emitted: Vec<Path> = Vec::new();
        for interface in split_list(interfaces) {
            let wan = self.is_wan(interface);
            let lan = self.is_lan(interface);
            if !wan && !lan {
                continue;
            }
            let incoming = matches!(direction, "in" | "any");
            let outgoing = floating && matches!(direction, "out" | "any");
            let mut paths: Vec<(Path, &str)> = Vec::new();
            if wan && incoming {
                match destination.at {
                    Where::Firewall => paths.push((Path::ToDevice, interface)),
                    Where::Any => {
                        paths.push((Path::Inbound, interface));
                        paths.push((Path::ToDevice, interface));
                    }
                    _ => paths.push((Path::Inbound, interface)),
                }
            }
            if wan && outgoing {
                paths.push((Path::Outbound, ""));
            }
            if lan && incoming && !matches!(destination.at, Where::Firewall) {
                paths.push((Path::Outbound, interface));
            }
            if lan && outgoing {
                paths.push((Path::Inbound, ""));
            }
            for (path, ingress) in paths {
                if emitted.contains(&path) {
                    continue;
                }
                emitted.push(path);
                let from = self.addresses(&source.at, ingress);
                let to = match (&destination.at, path) {
                    (Where::Firewall, Path::ToDevice) => Some(Vec::new()),
                    (at, _) => self.addresses(at, ""),
                };
                let conditional = base_conditional || from.is_none() || to.is_none();
                for protocol in &protos {
                    device.filters.push(FilterRule {
                        path,
                        protocol: *protocol,
                        source: from.clone().unwrap_or_default(),
                        source_ports: if protocol.is_some() {
                            source_ports.clone()
                        } else {
                            Ports::Any
                        },
                        destination: to.clone().unwrap_or_default(),
                        destination_ports: if protocol.is_some() {
                            destination_ports.clone()
                        } else {
                            Ports::Any
                        },
                        action,
                        conditional,
                        evidence: evidence.clone(),
                    });
                }
                // pf's max-src-conn-rate counts TCP connections only.
                if rate
                    && action == Action::Accept
                    && path == Path::Inbound
                    && protos.contains(&Some(Protocol::Tcp))
                {
                    device.brute_force.push(BruteForce {
                        protocol: Some(Protocol::Tcp),
                        ports: destination_ports.clone(),
                        evidence: evidence.clone(),
                    });
                }
            }
        }
    }
}

/// The ports of an endpoint's `<port>` (`Any` without one) and whether they are known.
fn endpoint_ports(port: &Option<Option<Ports>>) -> (Ports, bool) {
    match port {
        None => (Ports::Any, true),
        Some(Some(ports)) => (ports.clone(), true),
        Some(None) => (Ports::Any, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Parsed {
        parse(&Source::new("t", text), &Hints::default()).expect("parses")
    }

    #[test]
    fn document_start_and_root() {
        assert_eq!(xml_start("<?xml version=\"1.0\"?>\n<pfsense/>"), Ok(0));
        assert_eq!(xml_start("# step\n\n  <pfsense/>"), Ok(10));
        assert_eq!(xml_start("# step\ntable inet x {\n"), Err(2));
        assert_eq!(
            xml_start("\u{feff}<?xml version=\"1.0\"?>\n<pfsense/>"),
            Ok(3)
        );
        assert_eq!(
            root_name("<?xml version=\"1.0\"?>\n<!-- c -->\n<opnsense>"),
            Some("opnsense")
        );
        assert_eq!(root_name("<config version=\"9\">"), Some("config"));
        assert_eq!(
            fingerprint("<?xml version=\"1.0\"?>\n<pfsense>\n</pfsense>\n"),
            100
        );
        assert_eq!(
            fingerprint("# steps\n<?xml version=\"1.0\"?>\n<pfsense/>\n"),
            95
        );
        assert_eq!(
            fingerprint("<response status=\"success\"><result/></response>"),
            0
        );
        assert_eq!(fingerprint("#!/usr/sbin/nft -f\ntable inet sipwall {\n"), 0);
    }

    #[test]
    fn ports_and_ranges() {
        assert_eq!(port_range("5060"), Some(PortRange::single(5060)));
        assert_eq!(
            port_range("10000-20000"),
            Some(PortRange::new(10000, 20000))
        );
        assert_eq!(
            port_range("10000:20000"),
            Some(PortRange::new(10000, 20000))
        );
        assert_eq!(port_range("https"), Some(PortRange::single(443)));
        assert_eq!(port_range("0"), None);
        assert_eq!(port_range("nope"), None);
        let nets = range_nets(
            "192.168.1.10".parse().unwrap(),
            "192.168.1.13".parse().unwrap(),
        );
        let text: Vec<String> = nets.unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(text, ["192.168.1.10/31", "192.168.1.12/31"]);
    }

    #[test]
    fn flags_follow_both_products() {
        let parsed = parse_text(
            "<opnsense><nat><rule><disabled>0</disabled><protocol>udp</protocol>\
             <interface>wan</interface><destination><network>wanip</network><port>5060</port>\
             </destination><target>10.0.0.5</target></rule>\
             <rule><disabled/><protocol>udp</protocol><interface>wan</interface>\
             <destination><port>5061</port></destination><target>10.0.0.5</target></rule>\
             </nat></opnsense>",
        );
        let forwards = &parsed.device.forwards;
        assert_eq!(forwards.len(), 1);
        assert_eq!(forwards[0].outside_ports, Ports::single(5060));
    }

    #[test]
    fn local_port_shifts_a_range() {
        let parsed = parse_text(
            "<pfsense><nat><rule><protocol>udp</protocol><interface>wan</interface>\
             <destination><network>wanip</network><port>20000-20010</port></destination>\
             <target>10.0.0.5</target><local-port>65530</local-port></rule></nat></pfsense>",
        );
        let forward = &parsed.device.forwards[0];
        // Clamped at 65535 rather than overflowing.
        assert_eq!(
            forward.to_ports,
            Some(Ports::from_ranges([PortRange::new(65530, 65535)]))
        );
    }

    #[test]
    fn nested_aliases_terminate() {
        let parsed = parse_text(
            "<pfsense><aliases><alias><name>A</name><type>host</type><address>B</address></alias>\
             <alias><name>B</name><type>host</type><address>A</address></alias></aliases>\
             <filter><rule><type>pass</type><interface>wan</interface><protocol>udp</protocol>\
             <source><address>A</address></source><destination><any/><port>5060</port>\
             </destination></rule></filter></pfsense>",
        );
        // The cycle resolves to nothing: the rule cannot be counted.
        assert!(parsed.device.filters.iter().all(|f| f.conditional));
    }

    #[test]
    fn unknown_sections_are_unknown() {
        let parsed = parse_text("<pfsense>\n<frobnicator>\n<x>1</x>\n</frobnicator>\n</pfsense>\n");
        assert_eq!(parsed.coverage.summary().unknown, 3);
    }
}
