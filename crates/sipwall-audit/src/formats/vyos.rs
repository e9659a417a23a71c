//! VyOS, Ubiquiti EdgeOS (and the UniFi USG, which runs EdgeOS): `show configuration
//! commands` output, vbash scripts of `set` / `delete` commands, and `config.boot`.
//!
//! Both shapes are read into one configuration tree (`lines`, `tree`), then interpreted:
//! the dialect and version (`system`), the SIP helper, conntrack timeouts and offload
//! (`system`), source and destination NAT (`nat`), and the firewall rulesets with the paths
//! they sit on (`firewall`). The dialect decides the defaults: VyOS ≤ 1.3 and EdgeOS load the
//! SIP helper unless `modules sip disable`; VyOS 1.4+ loads it only when `modules sip` is set.

mod firewall;
mod lines;
mod nat;
mod objects;
mod system;
mod topology;
mod tree;
mod values;

use super::{Hints, ParseError, Parsed};
use crate::coverage::{Coverage, LineClass};
use crate::device::{Device, Evidence, VendorDefault};
use crate::source::{Source, Span};
use lines::Verb;
use tree::{NodeId, Tree};

pub const ID: &str = "vyos";
pub const EXPORT: &str = "VyOS / EdgeOS: run `show configuration commands` (operational mode) \
                          and save the output, or copy /config/config.boot";

/// SIP helper state when `system conntrack modules sip` is absent, VyOS ≤ 1.3 and EdgeOS.
pub const SIP_HELPER_LEGACY: VendorDefault = VendorDefault {
    statement: "SIP conntrack helper loaded (no `system conntrack modules sip disable`)",
    versions: "VyOS 1.2-1.3, EdgeOS 1.x and 2.x (UniFi USG)",
    source: "vyos/vyos-1x src/migration-scripts/conntrack/2-to-3 (\"If it wasn't manually \
             'disable'd, it was enabled by default\"); vyos-documentation (equuleus) \
             docs/configuration/system/conntrack.rst (\"All modules are enable by default\"); \
             EdgeOS: research anchors-firewall §2 (Ubiquiti EdgeOS row) and §3.8",
};

/// SIP helper state when `system conntrack modules sip` is absent, VyOS 1.4 and later.
pub const SIP_HELPER_VYOS14: VendorDefault = VendorDefault {
    statement: "SIP conntrack helper not loaded (no `system conntrack modules sip`: helper \
                modules are opt-in)",
    versions: "VyOS 1.4 and later",
    source: "vyos/vyos-1x interface-definitions/system_conntrack.xml.in (modules are valueless \
             opt-in leaves); research anchors-firewall §3.8",
};

/// Conntrack UDP timeouts when `system conntrack timeout udp` is absent, VyOS.
pub const UDP_TIMEOUTS_VYOS: VendorDefault = VendorDefault {
    statement: "conntrack UDP timeouts: udp other 30 s (unreplied), udp stream 180 s (replied)",
    versions: "VyOS 1.2 and later",
    source: "vyos/vyos-1x interface-definitions/include/conntrack/timeout-common-protocols.xml.i \
             (defaultValue 30 / 180); vyos-documentation docs/configuration/system/conntrack.rst",
};

/// Conntrack UDP timeouts when `system conntrack timeout udp` is absent, EdgeOS.
pub const UDP_TIMEOUTS_EDGEOS: VendorDefault = VendorDefault {
    statement: "conntrack UDP timeouts: udp other 30 s (unreplied), udp stream 180 s (replied)",
    versions: "EdgeOS 1.x and 2.x (UniFi USG)",
    source: "research anchors-firewall §2 (Ubiquiti EdgeOS row: \"UDP 30/180\"); the Linux \
             nf_conntrack defaults EdgeOS keeps (nf_conntrack_udp_timeout 30, \
             nf_conntrack_udp_timeout_stream 180)",
};

/// The seconds of the default UDP timeouts (unreplied, replied).
pub const DEFAULT_UDP_SECONDS: (u32, u32) = (30, 180);

/// The base chains of the 1.4 firewall without a `default-action`.
pub const BASE_CHAIN_ACCEPT: VendorDefault = VendorDefault {
    statement: "base chain `firewall ipv4|ipv6 forward|input filter` accepts what no rule \
                matched (no default-action set, or no base chain configured)",
    versions: "VyOS 1.4 and later",
    source: "vyos-documentation docs/configuration/firewall/ipv4.rst (base chains: \
             default-action accept or drop, accept when unset)",
};

/// Custom chains of the 1.4 firewall without a `default-action`.
pub const CUSTOM_CHAIN_DROP: VendorDefault = VendorDefault {
    statement: "custom chain `firewall ipv4|ipv6 name` without default-action drops what no \
                rule matched",
    versions: "VyOS 1.4 and later",
    source: "vyos-documentation docs/configuration/firewall/ipv4.rst (custom chain \
             default-action); sipwall-firewall vendors/vyatta_common.rs (custom chains default \
             drop when unset)",
};

/// Rulesets of the VyOS 1.3 / EdgeOS firewall without a `default-action`.
pub const RULESET_DROP: VendorDefault = VendorDefault {
    statement: "ruleset `firewall name` / `ipv6-name` without default-action drops what no rule \
                matched",
    versions: "VyOS 1.2-1.3, EdgeOS",
    source: "VyOS 1.3 firewall documentation (rule-set default-action); ansible vyos.vyos \
             vyos_firewall_rules: \"drop (Drop if no prior rules are hit (default))\"",
};

/// No ruleset on a path (VyOS 1.3 / EdgeOS interfaces without `firewall in|out|local`).
pub const NO_RULESET_ACCEPT: VendorDefault = VendorDefault {
    statement: "no ruleset attached on this path: the traffic is not filtered (netfilter chain \
                policy ACCEPT)",
    versions: "VyOS 1.2-1.3, EdgeOS",
    source: "vyos-documentation (equuleus) docs/configuration/firewall/index.rst (rulesets act \
             only when applied to an interface `in`, `out` or `local`, or to a zone)",
};

/// Zones of a zone-based firewall without a `default-action`.
pub const ZONE_DROP: VendorDefault = VendorDefault {
    statement: "zone without default-action drops traffic from zones it has no rule-set for",
    versions: "VyOS 1.2 and later (zone-policy, firewall zone), EdgeOS zone-policy",
    source: "vyos-documentation docs/configuration/firewall/zone.rst (default-action drop)",
};

/// The parse: the text, the tree and the hints, shared by the interpreting modules.
struct Ctx<'a> {
    pub source: &'a Source,
    pub tree: Tree<'a>,
    pub hints: &'a Hints,
}

impl Ctx<'_> {
    pub fn spans(&self, lines: &[u32]) -> Vec<Span> {
        lines.iter().map(|&l| self.source.line_span(l)).collect()
    }

    /// Explicit evidence: every line of a node's subtree.
    pub fn evidence(&self, node: NodeId) -> Evidence {
        Evidence::explicit(self.spans(&self.tree.lines_of(node)))
    }

    /// Evidence from the lines of several nodes.
    pub fn evidence_of(&self, nodes: &[NodeId]) -> Evidence {
        let mut lines: Vec<u32> = nodes.iter().flat_map(|&n| self.tree.lines_of(n)).collect();
        lines.sort_unstable();
        lines.dedup();
        Evidence::explicit(self.spans(&lines))
    }
}

/// VyOS-only command paths (after `set ` / `delete `), for the fingerprint.
const COMMAND_MARKERS: &[&str] = &[
    "firewall name ",
    "firewall ipv6-name ",
    "firewall ipv4 ",
    "firewall ipv6 ",
    "firewall group ",
    "firewall zone ",
    "firewall global-options ",
    "firewall all-ping ",
    "nat source rule ",
    "nat destination rule ",
    "service nat rule ",
    "system conntrack ",
    "interfaces ethernet eth",
    "interfaces loopback lo",
    "interfaces switch switch",
    "interfaces wireguard wg",
    "port-forward ",
    "zone-policy ",
    "protocols static route ",
    "service ssh port",
    "service dhcp-server shared-network-name",
    "system offload ",
    "service dns forwarding",
];

/// Other vendors' `set` exports (Junos, PAN-OS) and block formats (FortiOS, nftables, UCI).
const FOREIGN_MARKERS: &[&str] = &[
    "set security ",
    "set routing-options",
    "set policy-options",
    "set applications ",
    "family inet",
    "set deviceconfig",
    "set rulebase",
    "set network interface",
    "set vsys",
    "set interfaces ge-",
    "set interfaces xe-",
    "set interfaces ae",
];

/// Top-level config.boot sections.
const BOOT_SECTIONS: &[&str] = &[
    "firewall {",
    "interfaces {",
    "nat {",
    "service {",
    "system {",
    "protocols {",
    "port-forward {",
    "zone-policy {",
    "vpn {",
    "policy {",
    "high-availability {",
    "traffic-control {",
    "load-balance {",
];

/// The first `limit` bytes of `text`, cut at a character boundary.
fn head(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The last `limit` bytes of `text`, cut at a character boundary.
fn tail(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut start = text.len() - limit;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

pub fn fingerprint(text: &str) -> u32 {
    let head = head(text, 256 * 1024);
    let tail = tail(text, 4096);
    if tail.contains("vyos-config-version:") || tail.contains("vyatta-config-version:") {
        return 100;
    }
    let mut set_lines = 0usize;
    let mut markers = 0usize;
    let mut seen = [false; COMMAND_MARKERS.len()];
    let mut foreign = 0usize;
    let mut sections = 0usize;
    let mut semicolons = 0usize;
    let mut blocks = 0usize;
    let mut vbash = false;
    for line in head.lines() {
        let t = line.trim_end();
        if t.starts_with("#!/bin/vbash") || t.contains("/opt/vyatta/") {
            vbash = true;
        }
        if FOREIGN_MARKERS.iter().any(|m| t.contains(m))
            || t.starts_with("config ")
            || t.starts_with("table ")
            || t.trim_start().starts_with("chain ")
        {
            foreign += 1;
        }
        let command = t.strip_prefix("set ").or_else(|| t.strip_prefix("delete "));
        if let Some(command) = command {
            set_lines += 1;
            for (i, marker) in COMMAND_MARKERS.iter().enumerate() {
                if command.starts_with(marker) {
                    markers += 1;
                    if let Some(flag) = seen.get_mut(i) {
                        *flag = true;
                    }
                }
            }
            continue;
        }
        if BOOT_SECTIONS.contains(&t) {
            sections += 1;
        }
        let trimmed = t.trim_start();
        if trimmed.ends_with(';') {
            semicolons += 1;
        }
        if trimmed.ends_with('{') {
            blocks += 1;
        }
    }
    let distinct = seen.iter().filter(|&&s| s).count();
    if foreign > 0 && foreign * 4 >= markers.max(sections) {
        return 0;
    }
    if vbash && (set_lines > 0 || markers > 0) {
        return 95;
    }
    if set_lines > 0 && markers > 0 {
        return match distinct {
            0 => 0,
            1 => 50,
            2 => 70,
            _ => 90,
        };
    }
    if sections > 0 && semicolons * 5 <= blocks {
        return if sections >= 2 { 80 } else { 50 };
    }
    0
}

/// How the CLI groups the top of a path, for the coverage: `Relevant` paths are understood
/// when the interpretation read them and unknown otherwise; `Ignored` paths are known
/// configuration without bearing on VoIP through the firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Relevant,
    Ignored,
    Unknown,
}

fn section(path: &[&str]) -> Section {
    let at = |i: usize| path.get(i).copied().unwrap_or("");
    match at(0) {
        "firewall" => match at(1) {
            "all-ping"
            | "broadcast-ping"
            | "ip-src-route"
            | "ipv6-receive-redirects"
            | "ipv6-src-route"
            | "log-martians"
            | "receive-redirects"
            | "send-redirects"
            | "source-validation"
            | "syn-cookies"
            | "twa-hazards-protection"
            | "options"
            | "config-trap"
            | "bridge"
            | "" => Section::Ignored,
            "global-options" if at(2) != "state-policy" => Section::Ignored,
            "ipv4" | "ipv6" if matches!(at(2), "output" | "prerouting") => Section::Ignored,
            _ => Section::Relevant,
        },
        "nat" => Section::Relevant,
        "interfaces" => {
            if path.iter().skip(3).any(|w| *w == "firewall") {
                Section::Relevant
            } else {
                Section::Ignored
            }
        }
        "service" => match at(1) {
            "nat" => Section::Relevant,
            _ => Section::Ignored,
        },
        "system" => match (at(1), at(2), at(3)) {
            ("conntrack", "modules", "sip") => Section::Relevant,
            ("conntrack", "timeout", "udp" | "custom") => Section::Relevant,
            ("offload", _, _) => Section::Relevant,
            _ => Section::Ignored,
        },
        "port-forward" | "zone-policy" => Section::Relevant,
        "nat64" | "nat66" | "protocols" | "vpn" | "policy" | "high-availability" | "pki"
        | "container" | "qos" | "traffic-policy" | "traffic-control" | "load-balancing"
        | "load-balance" | "vrf" | "cluster" | "netns" | "service-manager" => Section::Ignored,
        _ => Section::Unknown,
    }
}

/// Whether the text is plainly something else: no line a VyOS export has.
fn not_vyatta(text: &str) -> Option<ParseError> {
    if text.trim().is_empty() {
        return Some(ParseError::new("the input is empty", None, EXPORT));
    }
    if text.contains('\0') {
        return Some(ParseError::new(
            "the input is binary, not a text export",
            None,
            EXPORT,
        ));
    }
    None
}

pub fn parse(source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
    if let Some(error) = not_vyatta(&source.text) {
        return Err(error);
    }
    let Some(shape) = lines::shape(&source.text) else {
        return Err(ParseError::new(
            "no `set` commands and no config.boot blocks: not a VyOS / EdgeOS configuration",
            None,
            EXPORT,
        ));
    };
    if fingerprint(&source.text) == 0 {
        let first = source
            .lines()
            .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with(['#', '/']))
            .map(|(n, _)| source.line_span(n));
        return Err(ParseError::new(
            "this does not look like a VyOS / EdgeOS configuration (no VyOS keys, or another \
             vendor's keys)",
            first,
            format!("{EXPORT}; for another vendor's export, name its format with --format"),
        ));
    }
    let read = lines::read(source, shape);
    let mut tree = Tree::with_capacity(read.commands.len());
    // The last `delete` that removed the SIP module or its `disable` (none once set again).
    let mut sip_delete: Option<u32> = None;
    const SIP: [&str; 4] = ["system", "conntrack", "modules", "sip"];
    for command in &read.commands {
        let touches = command.path.iter().zip(SIP.iter()).all(|(a, b)| a == b);
        if touches {
            match command.verb {
                Verb::Delete => sip_delete = Some(command.line),
                Verb::Set | Verb::Open if command.path.len() >= SIP.len() => sip_delete = None,
                _ => {}
            }
        }
        tree.apply(command);
    }
    let ctx = Ctx {
        source,
        tree,
        hints,
    };
    let mut device = Device::default();
    let dialect = system::dialect(&ctx, &read, &mut device);
    let groups = objects::Groups::read(&ctx);
    let interfaces = topology::interfaces(&ctx);
    let nat = nat::read(&ctx, &groups);
    let zones = topology::zones(&ctx);
    let sides = topology::Sides::infer(&ctx, &nat, &interfaces, &zones);
    system::sip_helper(&ctx, dialect, sip_delete, &mut device);
    system::timeouts(&ctx, dialect, &mut device);
    system::offload(&ctx, &mut device);
    let auto_accepts = nat.facts(&ctx, &sides, &mut device);
    firewall::facts(
        &ctx,
        &firewall::Setup {
            dialect,
            sides: &sides,
            groups: &groups,
            interfaces: &interfaces,
            zones: &zones,
            auto_accepts,
        },
        &mut device,
    );
    system::version_issues(&ctx, dialect, &read, &mut device);
    let coverage = coverage(&ctx, &read);
    Ok(Parsed { device, coverage })
}

/// The class of every line: non-command lines from the reader; commands by their section and
/// whether the interpretation read them; block heads by what is below them.
fn coverage(ctx: &Ctx<'_>, read: &lines::Read<'_>) -> Coverage {
    let source = ctx.source;
    let mut coverage = Coverage::new(source);
    let count = source.line_count();
    for (i, class) in read.classes.iter().enumerate() {
        if let Some(class) = class {
            coverage.mark(i as u32 + 1, *class);
        }
    }
    let usage = ctx.tree.usage(count);
    // Command classes first; block heads take the best class found below them.
    let mut classes: Vec<Option<LineClass>> = vec![None; count];
    let mut heads: Vec<(u32, Section)> = Vec::new();
    for command in &read.commands {
        let section = section(&command.path);
        let class = match (command.verb, section) {
            (Verb::Open, _) => {
                heads.push((command.line, section));
                continue;
            }
            (_, Section::Ignored) => LineClass::Ignored,
            (_, Section::Unknown) => LineClass::Unknown,
            (Verb::Delete, Section::Relevant) => LineClass::Understood,
            (Verb::Set, Section::Relevant) => {
                if usage.used(command.line) {
                    LineClass::Understood
                } else {
                    LineClass::Unknown
                }
            }
        };
        if let Some(slot) = classes.get_mut((command.line as usize).wrapping_sub(1)) {
            *slot = Some(class);
        }
    }
    if !heads.is_empty() {
        let rank = |line: u32| match classes
            .get((line as usize).wrapping_sub(1))
            .copied()
            .flatten()
        {
            Some(LineClass::Understood) => 3,
            Some(LineClass::Ignored) => 2,
            Some(LineClass::Unknown) => 1,
            _ => 0,
        };
        let ranked: std::collections::HashMap<u32, u8> =
            ctx.tree.heads_ranked(rank).into_iter().collect();
        for (head, section) in heads {
            let class = match ranked.get(&head).copied().unwrap_or(0) {
                3 => LineClass::Understood,
                2 => LineClass::Ignored,
                1 => LineClass::Unknown,
                // An empty block is a valueless leaf: classed like a command.
                _ => match section {
                    Section::Ignored => LineClass::Ignored,
                    Section::Relevant if usage.used(head) => LineClass::Understood,
                    _ => LineClass::Unknown,
                },
            };
            if let Some(slot) = classes.get_mut((head as usize).wrapping_sub(1)) {
                *slot = Some(class);
            }
        }
    }
    for (i, class) in classes.iter().enumerate() {
        if let Some(class) = class {
            coverage.mark(i as u32 + 1, *class);
        }
    }
    coverage
}

/// Test helper: the context of a text (set commands or config.boot).
#[cfg(test)]
fn test_ctx<'a>(source: &'a Source, hints: &'a Hints) -> Ctx<'a> {
    let shape = lines::shape(&source.text).unwrap_or(lines::Shape::Commands);
    let read = lines::read(source, shape);
    let mut tree = Tree::with_capacity(read.commands.len());
    for command in &read.commands {
        tree.apply(command);
    }
    Ctx {
        source,
        tree,
        hints,
    }
}

/// Test helper: the device facts of a text.
#[cfg(test)]
fn test_device(text: &str, hints: &Hints) -> Device {
    parse(&Source::new("test", text), hints)
        .unwrap_or_else(|e| panic!("{e}: {}", e.hint))
        .device
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        assert_eq!(section(&["firewall", "name", "X"]), Section::Relevant);
        assert_eq!(
            section(&["firewall", "all-ping", "enable"]),
            Section::Ignored
        );
        assert_eq!(
            section(&["interfaces", "ethernet", "eth0", "address", "dhcp"]),
            Section::Ignored
        );
        assert_eq!(
            section(&[
                "interfaces",
                "ethernet",
                "eth0",
                "firewall",
                "in",
                "name",
                "X"
            ]),
            Section::Relevant
        );
        assert_eq!(
            section(&["system", "conntrack", "modules", "ftp"]),
            Section::Ignored
        );
        assert_eq!(section(&["frobnicate"]), Section::Unknown);
    }

    #[test]
    fn fingerprints() {
        assert_eq!(
            fingerprint("set system conntrack modules sip disable\n"),
            50
        );
        assert!(
            fingerprint(
                "set firewall name WAN_IN default-action drop\nset nat source rule 10 \
                 outbound-interface eth0\nset system conntrack modules sip disable\n"
            ) >= 90
        );
        assert_eq!(
            fingerprint("set security alg sip disable\nset system host-name x\n"),
            0
        );
        assert_eq!(
            fingerprint("config firewall policy\n    edit 1\n    set name x\n"),
            0
        );
        assert_eq!(
            fingerprint("table inet filter {\n  chain input {\n  }\n}\n"),
            0
        );
        assert_eq!(
            fingerprint("system {\n    host-name x;\n}\nsecurity {\n}\n"),
            0
        );
        assert_eq!(
            fingerprint("firewall {\n    name X {\n    }\n}\nsystem {\n    host-name y\n}\n"),
            80
        );
        assert_eq!(
            fingerprint("/* x */\n/* === vyatta-config-version: \"a@1\" === */\n"),
            100
        );
        assert_eq!(fingerprint(""), 0);
    }

    #[test]
    fn errors_carry_a_hint() {
        for text in [
            "",
            "   \n",
            "a\0b",
            "hello world\n",
            "set security alg sip disable\n",
        ] {
            let source = Source::new("x", text);
            let error = parse(&source, &Hints::default()).expect_err("error");
            assert!(!error.hint.is_empty(), "{text:?}");
        }
    }
}
