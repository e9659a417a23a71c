//! OpenWrt firewall4 (22.03 and later): `uci export firewall` / `/etc/config/firewall`,
//! `uci show firewall`, and the `uci` command script `sipwall rules --vendor openwrt` writes
//! (its sysctl heredoc included), plus appended sysctl lines, `opkg list-installed` lines and
//! the `DISTRIB_RELEASE` line of /etc/openwrt_release.
//!
//! How fw4 turns sections into a ruleset (openwrt/firewall4 root/usr/share/ucode/fw4.uc and
//! templates/ruleset.uc), which the facts follow:
//! - a `rule` with `src` and `dest` is a forward rule, with `src` only an input rule; `src '*'`
//!   rules sit in the global chains before every zone's; in a zone's chain the forwardings
//!   (`config forwarding`, parsed before the rules) come first, then the rules in file order,
//!   then `ct status dnat accept` for port forwards, then the zone's policy (which applies to
//!   traffic back into the same zone only); what falls through gets the defaults' policy;
//! - `proto` defaults to tcp+udp; a redirect without `dest_ip` redirects to the router itself;
//!   ports of a redirect apply to tcp/udp only (`proto all` forwards everything);
//! - helpers: `(auto_helper && !masq) || helper list` per zone, `auto_helper` 1 unless the
//!   defaults section turns it off, and only helpers whose kernel module is present.
//!
//! A script (no `config zone` anywhere) changes a device whose other sections the text does
//! not show: for those, OpenWrt's shipped configuration is assumed (defaults input and forward
//! REJECT, zone wan masq, forwarding lan → wan), each such fact marked default-inferred.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;
use sipwall_firewall::Vendor;
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol};

use super::iptables::merge_runs;
use super::linux::Sysctls;
use super::{Hints, ParseError, Parsed};
use crate::coverage::{Coverage, LineClass};
use crate::device::{
    AlgState, BruteForce, DefaultAction, Device, Evidence, FilterRule, Forward, Offload, Path,
    SourceNat, VendorDefault, VersionIssue, Versioned,
};
use crate::source::{Source, Span};

pub const ID: &str = "openwrt";
pub const EXPORT: &str = "run `uci export firewall` on the router (or copy /etc/config/firewall) \
     and append `sysctl -a 2>/dev/null | grep nf_conntrack_udp_timeout`, `opkg list-installed | \
     grep nathelper` and `grep DISTRIB_RELEASE /etc/openwrt_release`";

/// fw4's automatic helper assignment.
pub const FW4_AUTO_HELPER: VendorDefault = VendorDefault {
    statement: "auto_helper defaults to 1: fw4 attaches the SIP conntrack helper (udp/5060) to \
                every zone without masquerading (the LAN) when kmod-nf-nathelper-extra is \
                installed",
    versions: "OpenWrt 22.03 and later (firewall4)",
    source: "research note §3.10; openwrt/firewall4 root/usr/share/ucode/fw4.uc (parse_defaults \
             and parse_zone: auto_helper [\"bool\", \"1\"]; helper chains when auto_helper and \
             not masq, or a helper list) and root/usr/share/firewall4/helpers (sip: udp/5060)",
};

/// What fw4 assumes for a policy the configuration does not state.
pub const FW4_POLICY_DEFAULT: VendorDefault = VendorDefault {
    statement: "a missing input/forward policy drops (fw4's default `drop`; a zone inherits the \
                defaults section's)",
    versions: "OpenWrt 22.03 and later (firewall4)",
    source: "openwrt/firewall4 root/usr/share/ucode/fw4.uc (parse_defaults: input/output/forward \
             [\"policy\", \"drop\"]; parse_zone: policies default to the defaults section's)",
};

/// OpenWrt's shipped /etc/config/firewall, for what a `uci` script does not show.
pub const OPENWRT_SHIPPED_CONFIG: VendorDefault = VendorDefault {
    statement: "OpenWrt's shipped firewall configuration: defaults input REJECT and forward \
                REJECT, zone wan with masq 1 and input REJECT, zone lan without masquerading, \
                forwarding lan → wan",
    versions: "OpenWrt 22.03 and later (firewall4)",
    source: "openwrt/firewall4 root/etc/config/firewall",
};

/// OpenWrt's conntrack UDP timeouts.
pub const OPENWRT_UDP_TIMEOUT_DEFAULT: VendorDefault = VendorDefault {
    statement: "UDP conntrack timeouts 60 s unreplied and 180 s stream \
                (nf_conntrack_udp_timeout, nf_conntrack_udp_timeout_stream)",
    versions: "OpenWrt 22.03 and later",
    source: "research note §3.10: openwrt/openwrt \
             package/kernel/linux/files/sysctl-nf-conntrack.conf",
};

/// OpenWrt's UDP defaults (unreplied, stream), seconds.
pub const OPENWRT_UDP_TIMEOUTS: (u32, u32) = (60, 180);

/// The package that brings `nf_conntrack_sip` (the SIP helper fw4 can attach).
const NATHELPER_EXTRA: &str = "kmod-nf-nathelper-extra";

/// fw4 attaches only helpers whose module is present.
pub const NATHELPER_ABSENT: VendorDefault = VendorDefault {
    statement: "no SIP helper: fw4 attaches only helpers whose kernel module is loaded, and the \
                installed packages listed do not include kmod-nf-nathelper-extra \
                (nf_conntrack_sip)",
    versions: "OpenWrt 22.03 and later (firewall4)",
    source: "research note §2 row \"OpenWrt (fw4)\" and §3.10; openwrt/firewall4 fw4.uc \
             parse_helper (helper.available only when /sys/module/<module> exists)",
};

/// Section types of the firewall package.
const KINDS: &[&str] = &[
    "defaults",
    "zone",
    "forwarding",
    "rule",
    "redirect",
    "include",
    "ipset",
    "helper",
    "nat",
];

/// `0` not OpenWrt … `100` certainly (looks at the first lines only).
pub fn fingerprint(text: &str) -> u32 {
    let (mut headers, mut options, mut uci) = (0, 0, 0);
    let mut package = false;
    for line in text.lines().take(4000) {
        let t = line.trim_start();
        if t.starts_with("package firewall") {
            package = true;
        } else if let Some(rest) = t.strip_prefix("config ") {
            let kind = rest.split_whitespace().next().unwrap_or("");
            if KINDS.contains(&kind) {
                headers += 1;
            }
        } else if t.starts_with("option ") || t.starts_with("list ") {
            options += 1;
        } else if t.starts_with("uci ") && t.contains(" firewall") || t.starts_with("firewall.") {
            uci += 1;
        }
    }
    if uci >= 2 {
        95
    } else if headers > 0 && options > 0 {
        if package { 98 } else { 90 }
    } else if uci == 1 {
        50
    } else {
        0
    }
}

pub fn parse(source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
    if source.text.contains('\0') {
        return Err(ParseError::new(
            "the input is binary, not a UCI text export",
            None,
            EXPORT,
        ));
    }
    if source.text.trim().is_empty() {
        return Err(ParseError::new("the input is empty", None, EXPORT));
    }
    let mut coverage = Coverage::new(source);
    let mut reader = Reader::default();
    for (number, line) in source.lines() {
        let class = reader.line(number, line);
        coverage.mark(number, class);
    }
    if !reader.structure {
        let first = source
            .lines()
            .find(|(_, l)| !l.trim().is_empty())
            .map(|(n, _)| source.line_span(n));
        return Err(ParseError::new(
            "no UCI firewall section or uci command found: this is not an OpenWrt firewall \
             configuration",
            first,
            EXPORT,
        ));
    }
    let device = Evaluator::new(source, hints, &reader).run();
    Ok(Parsed { device, coverage })
}

// ---------------------------------------------------------------------------------------------
// Words

/// Splits a UCI or shell line into words: blanks separate, `'…'` is literal, `"…"` and bare
/// words take `\` escapes, pieces next to each other join (`'it'\''s'`), `#` at a word's start
/// ends the line. `None` for an unterminated quote.
fn words(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.peek() {
            None => break,
            Some('#') => break,
            _ => {}
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                '\'' => loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return None,
                    }
                },
                '"' => loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => word.push(c),
                            None => return None,
                        },
                        Some(c) => word.push(c),
                        None => return None,
                    }
                },
                '\\' => {
                    if let Some(c) = chars.next() {
                        word.push(c);
                    }
                }
                c => word.push(c),
            }
        }
        out.push(word);
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Sections

#[derive(Debug, Clone)]
struct Value {
    text: String,
    line: u32,
}

#[derive(Debug, Clone, Default)]
struct Section {
    kind: String,
    /// The `config` line or the `uci set firewall.NAME=TYPE` line.
    header: Option<u32>,
    /// Options in the order first set; `index` finds them by name.
    options: Vec<(String, Vec<Value>)>,
    index: HashMap<String, usize>,
    deleted: bool,
}

impl Section {
    fn values(&self, key: &str) -> Option<&Vec<Value>> {
        let at = *self.index.get(key)?;
        self.options
            .get(at)
            .map(|(_, v)| v)
            .filter(|v| !v.is_empty())
    }

    fn values_mut(&mut self, key: &str) -> Option<&mut Vec<Value>> {
        let at = *self.index.get(key)?;
        self.options.get_mut(at).map(|(_, v)| v)
    }

    /// The first value of an option.
    fn get(&self, key: &str) -> Option<&Value> {
        self.values(key).and_then(|v| v.first())
    }

    /// Every word of every value (`option network 'wan wan6'` is a list too).
    fn list(&self, key: &str) -> Vec<(&str, u32)> {
        self.values(key)
            .map(|values| {
                values
                    .iter()
                    .flat_map(|v| v.text.split_whitespace().map(move |w| (w, v.line)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn set(&mut self, key: &str, value: Value, append: bool) {
        match self.values_mut(key) {
            Some(values) if append => values.push(value),
            Some(values) => *values = vec![value],
            None => {
                self.index.insert(key.to_string(), self.options.len());
                self.options.push((key.to_string(), vec![value]));
            }
        }
    }

    fn flag(&self, key: &str) -> Option<(bool, u32)> {
        let v = self.get(key)?;
        let on = match v.text.trim().to_ascii_lowercase().as_str() {
            "1" | "yes" | "on" | "true" | "enabled" => true,
            "0" | "no" | "off" | "false" | "disabled" => false,
            _ => return None,
        };
        Some((on, v.line))
    }

    fn enabled(&self) -> bool {
        self.flag("enabled").is_none_or(|(on, _)| on)
    }

    /// The lines of the header and of the given options, for evidence.
    fn lines(&self, keys: &[&str]) -> Vec<u32> {
        let mut out: Vec<u32> = self.header.into_iter().collect();
        for key in keys {
            if let Some(values) = self.values(key) {
                out.extend(values.iter().map(|v| v.line));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// How the options of each section type count for coverage: read into facts, or known and
/// of no bearing on VoIP. Anything else is unknown.
fn option_class(kind: &str, key: &str) -> LineClass {
    let (read, known): (&[&str], &[&str]) = match kind {
        "defaults" => (
            &[
                "input",
                "output",
                "forward",
                "auto_helper",
                "flow_offloading",
                "flow_offloading_hw",
            ],
            &[
                "syn_flood",
                "synflood_protect",
                "synflood_rate",
                "synflood_burst",
                "drop_invalid",
                "tcp_syncookies",
                "tcp_ecn",
                "tcp_window_scaling",
                "accept_redirects",
                "accept_source_route",
                "custom_chains",
                "disable_ipv6",
                "tcp_reject_code",
                "any_reject_code",
                "auto_includes",
            ],
        ),
        "zone" => (
            &[
                "name",
                "network",
                "device",
                "subnet",
                "input",
                "output",
                "forward",
                "masq",
                "masq6",
                "auto_helper",
                "helper",
                "enabled",
            ],
            &[
                "family",
                "mtu_fix",
                "log",
                "log_limit",
                "masq_src",
                "masq_dest",
                "masq_allow_invalid",
                "counter",
                "conntrack",
                "custom_chains",
                "extra",
                "extra_src",
                "extra_dest",
            ],
        ),
        "forwarding" => (&["src", "dest", "enabled"], &["name", "family"]),
        "rule" => (
            &[
                "src",
                "dest",
                "proto",
                "dest_port",
                "src_ip",
                "dest_ip",
                "target",
                "enabled",
                "limit",
                "ipset",
                "set_helper",
                "helper",
                "src_port",
                "src_mac",
                "start_time",
                "stop_time",
                "start_date",
                "stop_date",
                "weekdays",
                "monthdays",
                "mark",
                "dscp",
                "device",
                "direction",
                "extra",
                "icmp_type",
            ],
            &[
                "name",
                "family",
                "counter",
                "log",
                "limit_burst",
                "utc_time",
                "set_mark",
                "set_xmark",
                "set_dscp",
                "_name",
            ],
        ),
        "redirect" => (
            &[
                "src",
                "dest",
                "proto",
                "src_dport",
                "dest_port",
                "dest_ip",
                "src_ip",
                "target",
                "enabled",
                "ipset",
                "helper",
                "src_port",
            ],
            &[
                "name",
                "family",
                "src_dip",
                "src_mac",
                "reflection",
                "reflection_src",
                "reflection_zone",
                "counter",
                "limit",
                "limit_burst",
                "mark",
                "utc_time",
                "start_time",
                "stop_time",
                "start_date",
                "stop_date",
                "weekdays",
                "monthdays",
                "extra",
                "_name",
            ],
        ),
        "ipset" => (
            &["name", "entry", "comment", "match", "family", "enabled"],
            &[
                "storage",
                "maxelem",
                "timeout",
                "loadfile",
                "reload_set",
                "counters",
                "netmask",
                "hashsize",
                "external",
                "iprange",
                "portrange",
            ],
        ),
        "helper" => (
            &["name", "proto", "port", "module", "enabled"],
            &["description", "family"],
        ),
        "nat" => (
            &[
                "src",
                "proto",
                "target",
                "snat_ip",
                "snat_port",
                "enabled",
                "dest_port",
            ],
            &[
                "name",
                "family",
                "src_ip",
                "src_port",
                "dest_ip",
                "device",
                "mark",
                "counter",
                "connlimit_ports",
                "limit",
                "limit_burst",
                "extra",
            ],
        ),
        "include" => return LineClass::Ignored,
        _ => return LineClass::Unknown,
    };
    if read.contains(&key) {
        LineClass::Understood
    } else if known.contains(&key) {
        LineClass::Ignored
    } else {
        LineClass::Unknown
    }
}

/// What the lines of a heredoc are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heredoc {
    Sysctl,
    UciBatch,
    Other,
}

#[derive(Default)]
struct Reader {
    sections: Vec<Section>,
    named: HashMap<String, usize>,
    /// Section indices per type, for `@type[i]` references.
    by_kind: HashMap<String, Vec<usize>>,
    /// The section `option`/`list` lines of the file format add to.
    current: Option<usize>,
    /// `package X` other than firewall: its sections are ignored.
    foreign_package: bool,
    foreign_section: bool,
    heredoc: Option<(String, Heredoc)>,
    sysctls: Sysctls,
    version: Option<(String, u32)>,
    /// Lines of `opkg list-installed` seen, and the nathelper-extra line.
    packages_listed: usize,
    nathelper: Option<u32>,
    structure: bool,
}

impl Reader {
    fn line(&mut self, number: u32, raw: &str) -> LineClass {
        let line = raw.trim();
        if let Some((end, kind)) = &self.heredoc {
            if line == end {
                self.heredoc = None;
                return LineClass::Understood;
            }
            let kind = *kind;
            return match kind {
                Heredoc::Sysctl => self.sysctls.line(number, line).unwrap_or(
                    if line.is_empty() || line.starts_with('#') {
                        LineClass::Blank
                    } else {
                        LineClass::Unknown
                    },
                ),
                Heredoc::UciBatch => self.uci_command(number, line, true),
                Heredoc::Other => LineClass::Unknown,
            };
        }
        if line.is_empty() {
            return LineClass::Blank;
        }
        if line.starts_with('#') {
            return LineClass::Blank;
        }
        // File format.
        if let Some(rest) = line.strip_prefix("package ") {
            self.foreign_package = rest.trim().trim_matches(['\'', '"']) != "firewall";
            self.current = None;
            return if self.foreign_package {
                LineClass::Ignored
            } else {
                LineClass::Understood
            };
        }
        if line.starts_with("config ") || line == "config" {
            return self.config_line(number, line);
        }
        if line.starts_with("option ") || line.starts_with("list ") {
            return self.option_line(number, line);
        }
        if let Some(class) = self.shell_line(number, line) {
            return class;
        }
        if line.starts_with("firewall.") {
            return self.show_line(number, line);
        }
        if let Some(class) = self.sysctls.line(number, line) {
            return class;
        }
        if let Some(class) = self.other_line(number, line) {
            return class;
        }
        LineClass::Unknown
    }

    fn config_line(&mut self, number: u32, line: &str) -> LineClass {
        let Some(w) = words(line) else {
            return LineClass::Unknown;
        };
        let kind = w.get(1).cloned().unwrap_or_default();
        if self.foreign_package {
            self.current = None;
            self.foreign_section = true;
            return LineClass::Ignored;
        }
        self.foreign_section = false;
        let at = self.new_section(&kind, w.get(2).map(String::as_str));
        if let Some(section) = self.sections.get_mut(at) {
            section.header = Some(number);
        }
        self.current = Some(at);
        self.structure = true;
        match kind.as_str() {
            "include" => LineClass::Ignored,
            k if KINDS.contains(&k) => LineClass::Understood,
            _ => LineClass::Unknown,
        }
    }

    fn option_line(&mut self, number: u32, line: &str) -> LineClass {
        if self.foreign_package || self.foreign_section {
            return LineClass::Ignored;
        }
        let Some(w) = words(line) else {
            return LineClass::Unknown;
        };
        let (Some(key), Some(value)) = (w.get(1), w.get(2)) else {
            return LineClass::Unknown;
        };
        let Some(section) = self.current.and_then(|at| self.sections.get_mut(at)) else {
            return LineClass::Unknown;
        };
        let append = w.first().is_some_and(|v| v == "list");
        section.set(
            key,
            Value {
                text: value.clone(),
                line: number,
            },
            append,
        );
        option_class(&section.kind, key)
    }

    /// `uci …` commands, heredocs and the shell lines of sipwall's script.
    fn shell_line(&mut self, number: u32, line: &str) -> Option<LineClass> {
        if line == "set -e" || line == "set -eu" || line == "set -u" {
            return Some(LineClass::Ignored);
        }
        // sipwall's cleanup: removes its own sections from the device's configuration, which
        // this text does not hold.
        if line.starts_with("for s in $(uci -q show firewall") {
            self.structure = true;
            return Some(LineClass::Understood);
        }
        // `uci set …='a<<b'` is a command, not a heredoc; `uci batch <<EOF` is one.
        if line.starts_with("uci ") && !line.starts_with("uci batch") {
            return Some(self.uci_command(number, line, false));
        }
        if let Some(at) = line.find("<<") {
            let rest = line[at + 2..].trim_start_matches('-').trim();
            let end: String = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_matches(['\'', '"'])
                .to_string();
            if end.is_empty() {
                return Some(LineClass::Unknown);
            }
            let kind = if line.contains("uci batch") {
                Heredoc::UciBatch
            } else if line.contains("sysctl") {
                Heredoc::Sysctl
            } else {
                Heredoc::Other
            };
            self.heredoc = Some((end, kind));
            return Some(if kind == Heredoc::Other {
                LineClass::Unknown
            } else {
                LineClass::Understood
            });
        }
        if line.starts_with("sysctl -p")
            || line.starts_with("service firewall ")
            || line.starts_with("/etc/init.d/firewall ")
            || line == "fw4 reload"
            || line == "fw4 restart"
        {
            return Some(LineClass::Understood);
        }
        None
    }

    /// One `uci …` command (or a `uci batch` line without the `uci`).
    fn uci_command(&mut self, number: u32, line: &str, batch: bool) -> LineClass {
        let Some(w) = words(line) else {
            return LineClass::Unknown;
        };
        let mut args = w.iter().map(String::as_str).peekable();
        if !batch && args.next() != Some("uci") {
            return LineClass::Unknown;
        }
        // Options before the command: -q, -c DIR, -P DIR, -d SEP …
        while let Some(a) = args.peek() {
            if !a.starts_with('-') {
                break;
            }
            let takes_value = matches!(*a, "-c" | "-P" | "-d" | "-t");
            args.next();
            if takes_value {
                args.next();
            }
        }
        let Some(verb) = args.next() else {
            return LineClass::Unknown;
        };
        let rest: Vec<&str> = args.collect();
        let first = rest.first().copied().unwrap_or("");
        let firewall = first == "firewall" || first.starts_with("firewall.");
        match verb {
            "commit" | "revert" | "changes" | "show" | "export" | "import" => {
                if firewall {
                    self.structure = true;
                }
                LineClass::Understood
            }
            _ if !firewall && !first.is_empty() => LineClass::Ignored,
            "set" | "add_list" | "del_list" => {
                self.structure = true;
                let Some((path, value)) = first.split_once('=') else {
                    return if verb == "set" {
                        LineClass::Unknown
                    } else {
                        self.delete(first)
                    };
                };
                let mut values = vec![value];
                values.extend(rest.iter().skip(1));
                self.assign(number, path, &values, verb)
            }
            "add" => {
                self.structure = true;
                let Some(kind) = rest.get(1) else {
                    return LineClass::Unknown;
                };
                let at = self.new_section(kind, None);
                if let Some(s) = self.sections.get_mut(at) {
                    s.header = Some(number);
                }
                if KINDS.contains(kind) {
                    LineClass::Understood
                } else {
                    LineClass::Unknown
                }
            }
            "delete" => {
                self.structure = true;
                self.delete(first)
            }
            "rename" | "reorder" => LineClass::Unknown,
            _ => LineClass::Unknown,
        }
    }

    /// A `uci show` line: `firewall.SEC=TYPE` or `firewall.SEC.OPT='v' 'w'`.
    fn show_line(&mut self, number: u32, line: &str) -> LineClass {
        let Some(w) = words(line) else {
            return LineClass::Unknown;
        };
        let Some((path, value)) = w.first().and_then(|p| p.split_once('=')) else {
            return LineClass::Unknown;
        };
        self.structure = true;
        let mut values = vec![value];
        values.extend(w.iter().skip(1).map(String::as_str));
        let verb = if values.len() > 1 { "add_list" } else { "set" };
        self.assign(number, path, &values, verb)
    }

    /// `firewall.SEC=TYPE` declares; `firewall.SEC.OPT=V` sets (`add_list` appends).
    fn assign(&mut self, number: u32, path: &str, values: &[&str], verb: &str) -> LineClass {
        let mut parts = path.splitn(3, '.');
        if parts.next() != Some("firewall") {
            return LineClass::Ignored;
        }
        let Some(section_ref) = parts.next() else {
            return LineClass::Unknown;
        };
        match parts.next() {
            None => {
                let kind = values.first().copied().unwrap_or("");
                let at = match self.resolve(section_ref, Some(kind)) {
                    Some(at) => at,
                    None => return LineClass::Unknown,
                };
                if let Some(section) = self.sections.get_mut(at) {
                    if section.kind != kind {
                        section.kind = kind.to_string();
                    }
                    section.deleted = false;
                    section.header = Some(number);
                }
                if KINDS.contains(&kind) {
                    LineClass::Understood
                } else {
                    LineClass::Unknown
                }
            }
            Some(option) => {
                let Some(at) = self.resolve(section_ref, None) else {
                    return LineClass::Unknown;
                };
                let Some(section) = self.sections.get_mut(at) else {
                    return LineClass::Unknown;
                };
                for (i, value) in values.iter().enumerate() {
                    let value = Value {
                        text: value.to_string(),
                        line: number,
                    };
                    match verb {
                        "del_list" => {
                            // Bounded: hostile lists of removals stay linear.
                            match section.values_mut(option) {
                                Some(list) if list.len() <= 4096 => {
                                    list.retain(|v| v.text != value.text);
                                }
                                Some(_) => return LineClass::Unknown,
                                None => {}
                            }
                        }
                        _ => section.set(option, value, verb == "add_list" || i > 0),
                    }
                }
                option_class(&section.kind, option)
            }
        }
    }

    fn delete(&mut self, path: &str) -> LineClass {
        let mut parts = path.splitn(3, '.');
        if parts.next() != Some("firewall") {
            return LineClass::Ignored;
        }
        let Some(section_ref) = parts.next() else {
            return LineClass::Unknown;
        };
        // Deleting a section the text never made changes nothing it shows.
        let Some(at) = self.find(section_ref) else {
            return LineClass::Understood;
        };
        let Some(section) = self.sections.get_mut(at) else {
            return LineClass::Unknown;
        };
        match parts.next() {
            None => section.deleted = true,
            Some(option) => {
                if let Some(values) = section.values_mut(option) {
                    values.clear();
                }
            }
        }
        LineClass::Understood
    }

    fn new_section(&mut self, kind: &str, name: Option<&str>) -> usize {
        if let Some(name) = name
            && let Some(&at) = self.named.get(name)
        {
            return at;
        }
        self.sections.push(Section {
            kind: kind.to_string(),
            ..Section::default()
        });
        let at = self.sections.len() - 1;
        if let Some(name) = name {
            self.named.insert(name.to_string(), at);
        }
        self.by_kind.entry(kind.to_string()).or_default().push(at);
        at
    }

    /// A section by name or `@type[index]`.
    fn find(&self, reference: &str) -> Option<usize> {
        if let Some(rest) = reference.strip_prefix('@') {
            let (kind, index) = rest.strip_suffix(']')?.split_once('[')?;
            let list = self.by_kind.get(kind)?;
            let index: i64 = index.parse().ok()?;
            let at = if index < 0 {
                list.len().checked_sub(index.unsigned_abs() as usize)?
            } else {
                usize::try_from(index).ok()?
            };
            return list.get(at).copied();
        }
        self.named.get(reference).copied()
    }

    /// A section by reference, made when missing (`@defaults[0]` in a script names the
    /// device's defaults section; `firewall.NAME=TYPE` creates NAME).
    fn resolve(&mut self, reference: &str, kind: Option<&str>) -> Option<usize> {
        if let Some(at) = self.find(reference) {
            return Some(at);
        }
        if let Some(rest) = reference.strip_prefix('@') {
            let (kind, _) = rest.strip_suffix(']')?.split_once('[')?;
            return Some(self.new_section(kind, None));
        }
        let valid = !reference.is_empty()
            && reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        valid.then(|| self.new_section(kind.unwrap_or(""), Some(reference)))
    }

    /// Release and package lines appended to the export.
    fn other_line(&mut self, number: u32, line: &str) -> Option<LineClass> {
        if let Some(value) = line.strip_prefix("DISTRIB_RELEASE=") {
            let version = value.trim().trim_matches(['\'', '"']).to_string();
            self.version = Some((version, number));
            return Some(LineClass::Understood);
        }
        if line.starts_with("DISTRIB_") || line.starts_with("OPENWRT_") {
            return Some(LineClass::Ignored);
        }
        // `opkg list-installed`: `name - version`.
        let mut parts = line.split(" - ");
        if let (Some(name), Some(version), None) = (parts.next(), parts.next(), parts.next())
            && !name.is_empty()
            && !version.trim().is_empty()
            && !version.contains(' ')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
        {
            self.packages_listed += 1;
            if name == NATHELPER_EXTRA {
                self.nathelper = Some(number);
                return Some(LineClass::Understood);
            }
            return Some(LineClass::Ignored);
        }
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

#[derive(Debug)]
struct Zone<'r> {
    name: &'r str,
    section: &'r Section,
    masq: Option<u32>,
    wan: bool,
}

/// Which side of a zone reference a rule names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZoneRef {
    None,
    Any,
    Wan,
    Inside,
}

struct Evaluator<'a> {
    source: &'a Source,
    hints: &'a Hints,
    reader: &'a Reader,
    device: Device,
    /// The configuration shows zones (else it is a script changing an unseen one).
    full: bool,
    zones: Vec<Zone<'a>>,
    /// Zone name → is a WAN zone.
    zone_wan: HashMap<&'a str, bool>,
    defaults: Option<&'a Section>,
    ipsets: HashMap<&'a str, &'a Section>,
}

/// Filters in fw4's order for one path: the global chain's rules, then the zone chain's.
#[derive(Default)]
struct PathRules {
    global: Vec<FilterRule>,
    zone: Vec<FilterRule>,
}

impl PathRules {
    fn into_rules(mut self) -> Vec<FilterRule> {
        self.global.append(&mut self.zone);
        merge_runs(self.global)
    }
}

impl<'a> Evaluator<'a> {
    fn new(source: &'a Source, hints: &'a Hints, reader: &'a Reader) -> Evaluator<'a> {
        let live = |kind: &'static str| {
            reader
                .sections
                .iter()
                .filter(move |s| !s.deleted && s.kind == kind)
        };
        let defaults = live("defaults").next();
        let mut zones: Vec<Zone<'a>> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for section in live("zone").filter(|s| s.enabled()) {
            let Some(name) = section.get("name").map(|v| v.text.as_str()) else {
                continue;
            };
            // fw4 keeps the first zone of a name.
            if !seen.insert(name) {
                continue;
            }
            let masq = ["masq", "masq6"]
                .iter()
                .filter_map(|k| section.flag(k))
                .find(|(on, _)| *on)
                .map(|(_, line)| line);
            zones.push(Zone {
                name,
                section,
                masq,
                wan: false,
            });
        }
        let full = !zones.is_empty();
        mark_wan(&mut zones, hints);
        let ipsets = live("ipset")
            .filter_map(|s| s.get("name").map(|n| (n.text.as_str(), s)))
            .collect();
        let version = reader.version.as_ref().map(|(v, line)| Versioned {
            version: v.clone(),
            span: source.line_span(*line),
        });
        Evaluator {
            source,
            hints,
            reader,
            device: Device {
                vendor: Some(Vendor::Openwrt),
                version,
                ..Device::default()
            },
            full,
            zone_wan: zones.iter().map(|z| (z.name, z.wan)).collect(),
            zones,
            defaults,
            ipsets,
        }
    }

    /// Spans of whole lines, in line order.
    fn spans(&self, lines: &[u32]) -> Vec<Span> {
        let mut lines = lines.to_vec();
        lines.sort_unstable();
        lines.dedup();
        lines.iter().map(|l| self.source.line_span(*l)).collect()
    }

    fn explicit(&self, lines: &[u32]) -> Evidence {
        Evidence::explicit(self.spans(lines))
    }

    /// Where a zone reference points: the WAN, an inside zone, anywhere, or nowhere.
    fn zone_ref(&self, value: Option<&Value>) -> ZoneRef {
        let Some(value) = value else {
            return ZoneRef::None;
        };
        let name = value.text.trim();
        if name == "*" {
            return ZoneRef::Any;
        }
        if let Some(&wan) = self.zone_wan.get(name) {
            return if wan { ZoneRef::Wan } else { ZoneRef::Inside };
        }
        // A script's zones are not in the text: the hints, else OpenWrt's names.
        let wan = if self.hints.wan.is_empty() {
            name == "wan" || name == "wan6"
        } else {
            self.hints.is_wan(name)
        };
        if wan { ZoneRef::Wan } else { ZoneRef::Inside }
    }

    fn run(mut self) -> Device {
        let reader = self.reader;
        let live: Vec<&Section> = reader.sections.iter().filter(|s| !s.deleted).collect();
        let mut inbound = PathRules::default();
        let mut outbound = PathRules::default();
        let mut to_device = PathRules::default();
        let mut lan_to_wan: Vec<u32> = Vec::new();
        // Forwardings first (fw4 parses them before the rules).
        for section in live
            .iter()
            .filter(|s| s.kind == "forwarding" && s.enabled())
        {
            let src = self.zone_ref(section.get("src"));
            let dest = self.zone_ref(section.get("dest"));
            let lines = section.lines(&["src", "dest"]);
            let rule = |path| FilterRule {
                path,
                protocol: None,
                source: Vec::new(),
                source_ports: Ports::Any,
                destination: Vec::new(),
                destination_ports: Ports::Any,
                action: Action::Accept,
                conditional: false,
                evidence: self.explicit(&lines),
            };
            let global = src == ZoneRef::Any;
            if matches!(src, ZoneRef::Inside | ZoneRef::Any)
                && matches!(dest, ZoneRef::Wan | ZoneRef::Any)
            {
                lan_to_wan.extend(lines.iter().copied());
                let list = if global {
                    &mut outbound.global
                } else {
                    &mut outbound.zone
                };
                list.push(rule(Path::Outbound));
            }
            if matches!(src, ZoneRef::Wan | ZoneRef::Any)
                && matches!(dest, ZoneRef::Inside | ZoneRef::Any)
            {
                let list = if global {
                    &mut inbound.global
                } else {
                    &mut inbound.zone
                };
                list.push(rule(Path::Inbound));
            }
        }
        for section in live.iter().filter(|s| s.kind == "rule" && s.enabled()) {
            self.rule(section, &mut inbound, &mut outbound, &mut to_device);
        }
        for section in live.iter().filter(|s| s.kind == "redirect" && s.enabled()) {
            self.redirect(section, &mut inbound, &mut to_device);
        }
        for section in live.iter().filter(|s| s.kind == "nat" && s.enabled()) {
            self.nat(section);
        }
        let mut filters = to_device.into_rules();
        filters.extend(inbound.into_rules());
        filters.extend(outbound.into_rules());
        self.device.filters = filters;
        self.default_actions(&lan_to_wan);
        self.masquerade();
        self.helpers(&live);
        self.offload();
        let timeout = reader.sysctls.udp_timeout(
            self.source,
            OPENWRT_UDP_TIMEOUTS,
            OPENWRT_UDP_TIMEOUT_DEFAULT,
        );
        self.device.udp_timeouts.push(timeout);
        self.version_issue();
        self.device
    }

    /// One `config rule`.
    fn rule(
        &mut self,
        section: &Section,
        inbound: &mut PathRules,
        outbound: &mut PathRules,
        to_device: &mut PathRules,
    ) {
        let action = match section.get("target").map(|v| v.text.to_ascii_uppercase()) {
            Some(t) if t == "ACCEPT" => Action::Accept,
            Some(t) if t == "DROP" || t == "REJECT" => Action::Drop,
            // fw4 rejects a rule without a target; OpenWrt's documentation names DROP.
            None => Action::Drop,
            Some(t) => {
                if t == "HELPER" {
                    self.helper_rule(section);
                }
                return;
            }
        };
        let src = self.zone_ref(section.get("src"));
        let dest = self.zone_ref(section.get("dest"));
        let Some(matched) = self.matches(section, &["dest_port"]) else {
            return;
        };
        let mut lines = section.lines(&["src", "dest", "proto", "dest_port", "src_ip", "target"]);
        lines.extend(matched.extra_lines.iter().copied());
        let evidence = self.explicit(&lines);
        for protocol in &matched.protocols {
            let rule = |path| FilterRule {
                path,
                protocol: *protocol,
                source: matched.source.clone(),
                source_ports: matched.source_ports.clone(),
                destination: matched.destination.clone(),
                destination_ports: matched.ports.clone(),
                action,
                conditional: matched.conditional,
                evidence: evidence.clone(),
            };
            let global = src == ZoneRef::Any;
            let mut from_wan = false;
            if dest == ZoneRef::None {
                if matches!(src, ZoneRef::Wan | ZoneRef::Any) {
                    pick(to_device, global).push(rule(Path::ToDevice));
                    from_wan = true;
                }
            } else {
                if matches!(src, ZoneRef::Wan | ZoneRef::Any)
                    && matches!(dest, ZoneRef::Inside | ZoneRef::Any)
                {
                    pick(inbound, global).push(rule(Path::Inbound));
                    from_wan = true;
                }
                if matches!(src, ZoneRef::Inside | ZoneRef::Any)
                    && matches!(dest, ZoneRef::Wan | ZoneRef::Any)
                {
                    pick(outbound, global).push(rule(Path::Outbound));
                }
            }
            if from_wan && matched.limit {
                self.device.brute_force.push(BruteForce {
                    protocol: *protocol,
                    ports: matched.ports.clone(),
                    evidence: evidence.clone(),
                });
            }
        }
    }

    /// A rule with `target HELPER` and `set_helper 'sip'`: the helper on those packets.
    fn helper_rule(&mut self, section: &Section) {
        let Some(helper) = section.get("set_helper") else {
            return;
        };
        if !helper.text.eq_ignore_ascii_case("sip") {
            return;
        }
        let Some(matched) = self.matches(section, &["dest_port"]) else {
            return;
        };
        let scope = matched
            .protocols
            .iter()
            .flat_map(|p| match p {
                Some(p) => vec![*p],
                None => vec![Protocol::Udp, Protocol::Tcp],
            })
            .map(|p| (p, matched.ports.clone()))
            .collect();
        let lines = section.lines(&["target", "set_helper", "proto", "dest_port"]);
        self.device.sip_alg.push(AlgState {
            enabled: true,
            mechanism: "rule with target HELPER, set_helper sip".into(),
            scope,
            evidence: self.explicit(&lines),
        });
    }

    /// The matches of a rule or redirect shared by its facts; `None` when it can never see
    /// TCP or UDP.
    fn matches(&self, section: &Section, port_keys: &[&str]) -> Option<Matched> {
        let mut matched = Matched::default();
        // Protocols: default tcp+udp.
        let protos = section.list("proto");
        let mut protocols: Vec<Option<Protocol>> = Vec::new();
        if protos.is_empty() {
            protocols = vec![Some(Protocol::Tcp), Some(Protocol::Udp)];
        }
        for (proto, _) in &protos {
            let proto = proto.to_ascii_lowercase();
            let list: &[Option<Protocol>] = match proto.trim_start_matches('!') {
                "tcp" | "6" => &[Some(Protocol::Tcp)],
                "udp" | "17" => &[Some(Protocol::Udp)],
                "tcpudp" => &[Some(Protocol::Tcp), Some(Protocol::Udp)],
                "all" | "any" | "*" | "0" => &[None],
                _ => &[],
            };
            if proto.starts_with('!') {
                matched.conditional = true;
            }
            for p in list {
                if !protocols.contains(p) {
                    protocols.push(*p);
                }
            }
        }
        if protocols.is_empty() {
            return None;
        }
        let any_protocol = protocols.contains(&None);
        // Ports (fw4 applies them to tcp and udp only).
        let mut ranges = Vec::new();
        let mut negated = Vec::new();
        for key in port_keys {
            for (word, _) in section.list(key) {
                let (neg, word) = match word.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, word),
                };
                match port_range(word) {
                    Some(range) if neg => negated.push(range),
                    Some(range) => ranges.push(range),
                    None => return None,
                }
            }
        }
        if !any_protocol {
            let mut ports = Ports::from_ranges(ranges);
            if !negated.is_empty() {
                ports = ports.subtract(&Ports::from_ranges(negated))?;
            }
            matched.ports = ports;
            // Source ports; one fw4 cannot read leaves the rule matching some packets only.
            let (mut ranges, mut negated) = (Vec::new(), Vec::new());
            for (word, line) in section.list("src_port") {
                let (neg, word) = match word.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, word),
                };
                matched.extra_lines.push(line);
                match port_range(word) {
                    Some(range) if neg => negated.push(range),
                    Some(range) => ranges.push(range),
                    None => matched.conditional = true,
                }
            }
            let mut ports = Ports::from_ranges(ranges);
            if !negated.is_empty() {
                ports = ports.subtract(&Ports::from_ranges(negated))?;
            }
            matched.source_ports = ports;
        }
        matched.protocols = if any_protocol { vec![None] } else { protocols };
        // Addresses.
        let (source, src_conditional) = addresses(&section.list("src_ip"));
        let (destination, dst_conditional) = addresses(&section.list("dest_ip"));
        matched.source = source;
        matched.destination = destination;
        matched.conditional |= src_conditional || dst_conditional;
        if let Some(ipset) = section.get("ipset") {
            matched.extra_lines.push(ipset.line);
            let mut w = ipset.text.split_whitespace();
            let name = w.next().unwrap_or("").trim_start_matches('!');
            let negated = ipset.text.trim_start().starts_with('!');
            let direction = w.next().unwrap_or("src");
            match self.ipset_addresses(name) {
                Some(list) if !negated => {
                    if direction.starts_with("dest") {
                        matched.destination.extend(list);
                    } else {
                        matched.source.extend(list);
                    }
                }
                _ => matched.conditional = true,
            }
        }
        // Matches the model does not carry: the rule sees only some packets.
        const PARTIAL: &[&str] = &[
            "src_mac",
            "start_time",
            "stop_time",
            "start_date",
            "stop_date",
            "weekdays",
            "monthdays",
            "mark",
            "dscp",
            "helper",
            "device",
            "direction",
            "extra",
        ];
        for key in PARTIAL {
            if let Some(v) = section.get(key) {
                matched.conditional = true;
                matched.extra_lines.push(v.line);
            }
        }
        if let Some(v) = section.get("limit") {
            matched.conditional = true;
            matched.limit = true;
            matched.extra_lines.push(v.line);
        }
        Some(matched)
    }

    /// The addresses of an ipset: its entries, or the DNS name sipwall's sets stand for.
    fn ipset_addresses(&self, name: &str) -> Option<Vec<Address>> {
        let set = self.ipsets.get(name)?;
        // A long list is a blocklist or a country set, not a provider's addresses: the rule
        // is read as matching some packets only (and the list is not copied into each fact).
        if set.values("entry").is_some_and(|v| v.len() > 1024) {
            return None;
        }
        let entries = set.list("entry");
        if !entries.is_empty() {
            let (list, partial) = addresses(&entries);
            return (!partial && !list.is_empty()).then_some(list);
        }
        let comment = set.get("comment")?;
        let fqdn = comment.text.strip_prefix("addresses of ")?.trim();
        (!fqdn.is_empty()).then(|| vec![Address::Fqdn(fqdn.to_ascii_lowercase())])
    }

    /// One `config redirect`: a forward, and fw4's accept of the forwarded connections.
    fn redirect(&mut self, section: &Section, inbound: &mut PathRules, to_device: &mut PathRules) {
        let target = section
            .get("target")
            .map(|v| v.text.to_ascii_uppercase())
            .unwrap_or_else(|| "DNAT".into());
        if target != "DNAT" {
            return;
        }
        if self.zone_ref(section.get("src")) != ZoneRef::Wan {
            return;
        }
        let Some(matched) = self.matches(section, &["src_dport"]) else {
            return;
        };
        let to: Option<IpAddr> = section.get("dest_ip").and_then(|v| {
            let text = v.text.trim();
            text.parse::<IpAddr>()
                .ok()
                .or_else(|| text.parse::<IpNet>().ok().map(|n| n.addr()))
        });
        let to_ports = section.get("dest_port").and_then(|v| {
            let range = port_range(v.text.trim())?;
            let ports = Ports::from_ranges([range]);
            (ports != matched.ports).then_some(ports)
        });
        // A negated source is open to almost everyone.
        let source = if section
            .get("src_ip")
            .is_some_and(|v| v.text.trim_start().starts_with('!'))
        {
            Vec::new()
        } else {
            matched.source.clone()
        };
        let lines = section.lines(&[
            "src",
            "proto",
            "src_dport",
            "src_ip",
            "ipset",
            "dest_ip",
            "dest_port",
            "target",
        ]);
        let evidence = self.explicit(&lines);
        // tcp+udp without ports: everything reaches the host (a DMZ host).
        let protocols = if matched.ports.is_any() && matched.protocols.len() > 1 {
            vec![None]
        } else {
            matched.protocols.clone()
        };
        for protocol in protocols {
            let forward = Forward {
                protocol,
                outside_ports: matched.ports.clone(),
                to,
                to_ports: to_ports.clone(),
                source: source.clone(),
                evidence: evidence.clone(),
            };
            // `ct status dnat accept` after the zone's rules.
            let accept = FilterRule {
                path: if to.is_some() {
                    Path::Inbound
                } else {
                    Path::ToDevice
                },
                protocol,
                source: source.clone(),
                source_ports: matched.source_ports.clone(),
                destination: to
                    .map(|ip| vec![Address::Net(IpNet::from(ip))])
                    .unwrap_or_default(),
                destination_ports: forward.inside_ports().clone(),
                action: Action::Accept,
                conditional: false,
                evidence: evidence.clone(),
            };
            if to.is_some() {
                inbound.zone.push(accept);
            } else {
                to_device.zone.push(accept);
            }
            self.device.forwards.push(forward);
        }
        if let Some(helper) = section.get("helper")
            && helper.text.eq_ignore_ascii_case("sip")
        {
            self.device.sip_alg.push(AlgState {
                enabled: true,
                mechanism: "redirect with helper sip".into(),
                scope: Vec::new(),
                evidence: self.explicit(&[helper.line]),
            });
        }
    }

    /// One `config nat` (source NAT rules of fw4) towards the WAN.
    fn nat(&mut self, section: &Section) {
        if !matches!(
            self.zone_ref(section.get("src")),
            ZoneRef::Wan | ZoneRef::Any
        ) {
            return;
        }
        let target = section
            .get("target")
            .map(|v| v.text.to_ascii_uppercase())
            .unwrap_or_else(|| "MASQUERADE".into());
        let preserved = match target.as_str() {
            "MASQUERADE" => true,
            "SNAT" => section.get("snat_port").is_none(),
            _ => return,
        };
        let Some(matched) = self.matches(section, &["dest_port"]) else {
            return;
        };
        let lines = section.lines(&["src", "target", "snat_port", "proto", "dest_port"]);
        for protocol in matched.protocols {
            self.device.source_nat.push(SourceNat {
                port_preservation: Some(preserved),
                ports: matched.ports.clone(),
                protocol,
                evidence: self.explicit(&lines),
            });
        }
    }

    fn default_actions(&mut self, lan_to_wan: &[u32]) {
        let policy = |value: &Value| -> Option<Action> {
            match value.text.trim().to_ascii_uppercase().as_str() {
                "ACCEPT" => Some(Action::Accept),
                "DROP" | "REJECT" => Some(Action::Drop),
                _ => None,
            }
        };
        // The defaults section's policy, else fw4's (a configuration) or the shipped one (a
        // script).
        let defaults_policy = |key: &str| -> (Action, Evidence) {
            if let Some(value) = self.defaults.and_then(|d| d.get(key))
                && let Some(action) = policy(value)
            {
                return (action, self.explicit(&[value.line]));
            }
            if self.full {
                (Action::Drop, Evidence::default(FW4_POLICY_DEFAULT))
            } else {
                (Action::Drop, Evidence::default(OPENWRT_SHIPPED_CONFIG))
            }
        };
        let (forward, forward_evidence) = defaults_policy("forward");
        let mut actions = vec![DefaultAction {
            path: Path::Inbound,
            action: forward,
            evidence: forward_evidence.clone(),
        }];
        let outbound = if !lan_to_wan.is_empty() {
            DefaultAction {
                path: Path::Outbound,
                action: Action::Accept,
                evidence: self.explicit(lan_to_wan),
            }
        } else if !self.full {
            DefaultAction {
                path: Path::Outbound,
                action: Action::Accept,
                evidence: Evidence::default(OPENWRT_SHIPPED_CONFIG),
            }
        } else {
            DefaultAction {
                path: Path::Outbound,
                action: forward,
                evidence: forward_evidence,
            }
        };
        actions.push(outbound);
        // To the router: the WAN zone's input policy (the most open one when several).
        let mut to_device: Option<(Action, Evidence)> = None;
        for zone in self.zones.iter().filter(|z| z.wan) {
            let found = match zone.section.get("input") {
                Some(value) => policy(value).map(|a| (a, self.explicit(&[value.line]))),
                None => Some(defaults_policy("input")),
            };
            if let Some((action, evidence)) = found
                && (to_device.is_none() || action == Action::Accept)
            {
                to_device = Some((action, evidence));
            }
        }
        let (action, evidence) = match to_device {
            Some(found) => found,
            // No WAN zone seen: a script's device has OpenWrt's wan zone (input REJECT).
            None if !self.full => (Action::Drop, Evidence::default(OPENWRT_SHIPPED_CONFIG)),
            None => defaults_policy("input"),
        };
        actions.push(DefaultAction {
            path: Path::ToDevice,
            action,
            evidence,
        });
        self.device.default_actions = actions;
    }

    /// The WAN zones' masquerading (nft `masquerade`, which keeps ports when free).
    fn masquerade(&mut self) {
        if !self.full {
            self.device.source_nat.push(SourceNat {
                port_preservation: Some(true),
                ports: Ports::Any,
                protocol: None,
                evidence: Evidence::default(OPENWRT_SHIPPED_CONFIG),
            });
            return;
        }
        let lines: Vec<(u32, u32)> = self
            .zones
            .iter()
            .filter(|z| z.wan)
            .filter_map(|z| z.masq.map(|m| (z.section.header.unwrap_or(m), m)))
            .collect();
        for (header, masq) in lines {
            self.device.source_nat.push(SourceNat {
                port_preservation: Some(true),
                ports: Ports::Any,
                protocol: None,
                evidence: self.explicit(&[header, masq]),
            });
        }
    }

    /// The SIP helper: zone helper lists, and fw4's automatic assignment.
    fn helpers(&mut self, live: &[&Section]) {
        // The sip helper's ports (a `config helper` may redefine them).
        let mut scope = vec![(Protocol::Udp, Ports::single(5060))];
        for helper in live.iter().filter(|s| s.kind == "helper") {
            if helper
                .get("name")
                .is_some_and(|n| n.text.eq_ignore_ascii_case("sip"))
                && let Some(port) = helper.get("port").and_then(|p| port_range(p.text.trim()))
            {
                let protocol = match helper.get("proto").map(|p| p.text.to_ascii_lowercase()) {
                    Some(p) if p == "tcp" => Protocol::Tcp,
                    _ => Protocol::Udp,
                };
                scope = vec![(protocol, Ports::from_ranges([port]))];
            }
        }
        for zone in &self.zones {
            let sip = zone
                .section
                .list("helper")
                .into_iter()
                .find(|(h, _)| h.eq_ignore_ascii_case("sip"));
            if let Some((_, line)) = sip {
                let evidence = self.explicit(&[line]);
                self.device.sip_alg.push(AlgState {
                    enabled: true,
                    mechanism: format!("zone {} helper sip", zone.name),
                    scope: scope.clone(),
                    evidence,
                });
            }
        }
        let explicit_off = self
            .defaults
            .and_then(|d| d.flag("auto_helper"))
            .filter(|(on, _)| !on);
        let state = if let Some((_, line)) = explicit_off {
            AlgState {
                enabled: false,
                mechanism: "auto_helper 0 (defaults)".into(),
                scope: scope.clone(),
                evidence: self.explicit(&[line]),
            }
        } else if self.reader.packages_listed >= 3 && self.reader.nathelper.is_none() {
            AlgState {
                enabled: false,
                mechanism: "fw4 auto_helper (no kmod-nf-nathelper-extra installed)".into(),
                scope: scope.clone(),
                evidence: Evidence::default(NATHELPER_ABSENT),
            }
        } else {
            self.auto_helper(scope)
        };
        self.device.sip_alg.insert(0, state);
    }

    /// `auto_helper` on (stated or by default): on for the zones without masquerading.
    fn auto_helper(&self, scope: Vec<(Protocol, Ports)>) -> AlgState {
        let stated_on = self
            .defaults
            .and_then(|d| d.flag("auto_helper"))
            .map(|(_, line)| line);
        let mut helped: Vec<&str> = Vec::new();
        let mut helped_lines = Vec::new();
        let mut off_lines = Vec::new();
        for zone in &self.zones {
            match (zone.masq, zone.section.flag("auto_helper")) {
                (Some(masq), _) => off_lines.push(masq),
                (None, Some((false, line))) => off_lines.push(line),
                (None, _) => {
                    helped.push(zone.name);
                    helped_lines.extend(zone.section.header);
                }
            }
        }
        if self.full && helped.is_empty() {
            // Every zone masquerades or turns auto_helper off.
            return AlgState {
                enabled: false,
                mechanism: "fw4 auto_helper (no zone without masquerading)".into(),
                scope,
                evidence: self.explicit(&off_lines),
            };
        }
        let zones = if self.full {
            helped.join(", ")
        } else {
            "lan".into()
        };
        let mut lines: Vec<u32> = stated_on.into_iter().collect();
        lines.extend(self.reader.nathelper);
        let evidence = match stated_on {
            Some(_) => {
                lines.extend(helped_lines);
                self.explicit(&lines)
            }
            None => {
                lines.extend(helped_lines);
                Evidence::default_at(FW4_AUTO_HELPER, self.spans(&lines))
            }
        };
        AlgState {
            enabled: true,
            mechanism: format!("fw4 auto_helper (sip helper on zone {zones})"),
            scope,
            evidence,
        }
    }

    fn offload(&mut self) {
        let Some(defaults) = self.defaults else {
            return;
        };
        let Some((true, line)) = defaults.flag("flow_offloading") else {
            return;
        };
        let hw = defaults.flag("flow_offloading_hw");
        let mut lines = vec![line];
        let mechanism = match hw {
            Some((true, hw_line)) => {
                lines.push(hw_line);
                "flow_offloading_hw (hardware flow offload)"
            }
            _ => "flow_offloading (software flow offload)",
        };
        self.device.offload.push(Offload {
            mechanism: mechanism.into(),
            protocol: None,
            ports: Ports::Any,
            evidence: self.explicit(&lines),
        });
    }

    /// A release before 22.03 runs firewall3, which sipwall does not write for.
    fn version_issue(&mut self) {
        let Some((version, line)) = &self.reader.version else {
            return;
        };
        let mut parts = version.split('.');
        let major: Option<u32> = parts.next().and_then(|p| p.parse().ok());
        let minor: u32 = parts
            .next()
            .and_then(|p| {
                p.trim_end_matches(|c: char| !c.is_ascii_digit())
                    .parse()
                    .ok()
            })
            .unwrap_or(0);
        if let Some(major) = major
            && (major, minor) < (22, 3)
        {
            self.device.version_issues.push(VersionIssue {
                key: "firewall4".into(),
                message: format!(
                    "OpenWrt {version} runs firewall3 (iptables), not firewall4: the sections \
                     read the same, but `sipwall rules --vendor openwrt` writes for 22.03 and \
                     later (or audit the iptables-save output of this router instead)"
                ),
                evidence: self.explicit(&[*line]),
            });
        }
    }
}

fn pick(rules: &mut PathRules, global: bool) -> &mut Vec<FilterRule> {
    if global {
        &mut rules.global
    } else {
        &mut rules.zone
    }
}

/// What a rule or redirect matches.
#[derive(Debug)]
struct Matched {
    /// `None` in the list: every protocol.
    protocols: Vec<Option<Protocol>>,
    ports: Ports,
    /// `src_port`; `Any` when the section has none.
    source_ports: Ports,
    source: Vec<Address>,
    destination: Vec<Address>,
    conditional: bool,
    limit: bool,
    extra_lines: Vec<u32>,
}

impl Default for Matched {
    fn default() -> Self {
        Matched {
            protocols: Vec::new(),
            ports: Ports::Any,
            source_ports: Ports::Any,
            source: Vec::new(),
            destination: Vec::new(),
            conditional: false,
            limit: false,
            extra_lines: Vec::new(),
        }
    }
}

/// `5060`, `10000-20000`, `10000:20000` → a range (fw4 takes numbers only).
fn port_range(text: &str) -> Option<PortRange> {
    let text = text.trim();
    match text.split_once(['-', ':']) {
        Some((a, b)) => Some(PortRange::new(
            a.trim().parse().ok()?,
            b.trim().parse().ok()?,
        )),
        None => Some(PortRange::single(text.parse().ok()?)),
    }
}

/// Addresses of `src_ip`/`dest_ip`/ipset entries; the flag is set when some cannot be
/// represented (negations, ranges, network names): the rule then sees only some packets.
fn addresses(words: &[(&str, u32)]) -> (Vec<Address>, bool) {
    let mut out = Vec::new();
    let mut partial = false;
    for (word, _) in words {
        if word.starts_with('!') {
            partial = true;
            continue;
        }
        if let Ok(net) = word.parse::<IpNet>() {
            if net.prefix_len() == 0 {
                // 0.0.0.0/0 or ::/0: every address of one family.
                continue;
            }
            out.push(Address::Net(net.trunc()));
        } else if let Ok(ip) = word.parse::<IpAddr>() {
            out.push(Address::Net(IpNet::from(ip)));
        } else {
            partial = true;
        }
    }
    (out, partial)
}

/// Marks the WAN zones: the hints, else the masquerading zones (those that look like an
/// uplink when several masquerade), else a zone named `wan`.
fn mark_wan(zones: &mut [Zone<'_>], hints: &Hints) {
    let names = |z: &Zone<'_>| -> Vec<String> {
        let mut out = vec![z.name.to_string()];
        for key in ["network", "device"] {
            out.extend(z.section.list(key).into_iter().map(|(n, _)| n.to_string()));
        }
        out
    };
    if !hints.wan.is_empty() {
        for zone in zones.iter_mut() {
            zone.wan = names(zone).iter().any(|n| hints.is_wan(n)) && !hints.is_lan(zone.name);
        }
        return;
    }
    let masq: Vec<usize> = (0..zones.len())
        .filter(|&i| zones.get(i).is_some_and(|z| z.masq.is_some()))
        .filter(|&i| zones.get(i).is_some_and(|z| !hints.is_lan(z.name)))
        .collect();
    let looks_wan = |z: &Zone<'_>| {
        names(z).iter().any(|n| {
            let n = n.to_ascii_lowercase();
            n.contains("wan") || n.starts_with("ppp")
        })
    };
    let wan_like: Vec<usize> = masq
        .iter()
        .copied()
        .filter(|&i| zones.get(i).is_some_and(looks_wan))
        .collect();
    let chosen = if !wan_like.is_empty() {
        wan_like
    } else if !masq.is_empty() {
        masq
    } else {
        (0..zones.len())
            .filter(|&i| zones.get(i).is_some_and(|z| z.name == "wan"))
            .collect()
    };
    for i in chosen {
        if let Some(zone) = zones.get_mut(i) {
            zone.wan = true;
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
    fn words_follow_uci_quoting() {
        assert_eq!(
            words("option name 'Allow it'  # c").unwrap(),
            ["option", "name", "Allow it"]
        );
        assert_eq!(words(r#"list x "a\"b""#).unwrap(), ["list", "x", "a\"b"]);
        assert_eq!(
            words(r"option x 'it'\''s'").unwrap(),
            ["option", "x", "it's"]
        );
        assert!(words("option x 'open").is_none());
        assert_eq!(
            words("uci set firewall.a.name='b c'").unwrap(),
            ["uci", "set", "firewall.a.name=b c"]
        );
    }

    #[test]
    fn zones_rules_and_redirects() {
        let text = "config defaults\n\toption input 'REJECT'\n\toption forward 'REJECT'\n\
                    config zone\n\toption name 'lan'\n\tlist network 'lan'\n\toption input 'ACCEPT'\n\
                    config zone\n\toption name 'wan'\n\toption network 'wan wan6'\n\toption input 'REJECT'\n\toption masq '1'\n\
                    config forwarding\n\toption src 'lan'\n\toption dest 'wan'\n\
                    config rule\n\toption src 'wan'\n\toption proto 'tcp'\n\toption dest_port '22'\n\toption target 'ACCEPT'\n\
                    config rule\n\toption src 'wan'\n\toption dest_port '5060'\n\toption target 'ACCEPT'\n\toption enabled '0'\n\
                    config redirect\n\toption src 'wan'\n\toption src_dport '5060'\n\toption proto 'udp'\n\toption dest_ip '192.168.1.2'\n\
                    config redirect\n\toption src 'wan'\n\toption dest_ip '192.168.1.3'\n";
        let parsed = parse_text(text);
        let d = &parsed.device;
        assert_eq!(d.forwards.len(), 2);
        assert_eq!(d.forwards[1].protocol, None);
        assert!(d.forwards[1].outside_ports.is_any());
        let dev: Vec<_> = d
            .filters
            .iter()
            .filter(|f| f.path == Path::ToDevice)
            .collect();
        assert_eq!(dev.len(), 1, "the disabled rule is no fact");
        assert_eq!(dev[0].destination_ports, Ports::single(22));
        assert!(
            d.sip_alg[0].enabled,
            "auto_helper by default on the lan zone"
        );
        assert_eq!(d.source_nat[0].port_preservation, Some(true));
        assert_eq!(d.udp_timeouts[0].replied_seconds, Some(180));
        assert_eq!(parsed.coverage.summary().unknown, 0);
    }

    #[test]
    fn scripts_and_show_output() {
        let text = "uci set firewall.@defaults[0].auto_helper='0'\n\
                    uci set firewall.x=rule\nuci set firewall.x.src='wan'\n\
                    uci add_list firewall.x.dest_port='22'\nuci set firewall.x.proto='tcp'\n\
                    uci set firewall.x.target='DROP'\nuci commit firewall\n\
                    firewall.@zone[0]=zone\nfirewall.@zone[0].name='guest'\n";
        let parsed = parse_text(text);
        let d = &parsed.device;
        assert!(!d.sip_alg[0].enabled);
        assert!(d.filters.iter().any(|f| f.action == Action::Drop));
        assert_eq!(parsed.coverage.summary().unknown, 0);
    }

    #[test]
    fn heredocs_and_batches() {
        let text = "uci set firewall.x=rule\nuci set firewall.x.name='a<<b'\n\
                    uci batch <<EOF\nset firewall.x.src='wan'\nset firewall.x.dest_port='22'\n\
                    set firewall.x.proto='tcp'\nset firewall.x.target='ACCEPT'\nEOF\n\
                    cat > /etc/sysctl.d/x.conf <<'EOF'\nnet.netfilter.nf_conntrack_udp_timeout=120\nEOF\n";
        let parsed = parse_text(text);
        let d = &parsed.device;
        assert!(d.filters.iter().any(|f| f.path == Path::ToDevice
            && f.action == Action::Accept
            && f.destination_ports == Ports::single(22)));
        assert_eq!(d.udp_timeouts[0].unreplied_seconds, Some(120));
        assert_eq!(d.udp_timeouts[0].replied_seconds, Some(180));
        assert_eq!(parsed.coverage.summary().unknown, 0);
    }

    #[test]
    fn not_openwrt_is_an_error() {
        assert!(parse(&Source::new("t", "*filter\nCOMMIT\n"), &Hints::default()).is_err());
        assert_eq!(fingerprint("*filter\nCOMMIT\n"), 0);
        assert!(fingerprint("config zone\n\toption name 'lan'\n") >= 90);
    }
}
