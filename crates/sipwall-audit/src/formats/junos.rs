//! Juniper SRX / vSRX (Junos): `show configuration | display set` (set form, with `deactivate` /
//! `delete` lines), the curly-brace `show configuration`, and CLI session scripts wrapping set
//! lines (`configure` … `commit and-quit`). Both forms are read into one list of statements
//! (full hierarchy paths, `flatten` for the curly-brace form, `setform` for the set form),
//! groups are applied where simple (`groups`), and one reader (`facts`) turns the statements
//! into device facts.
//!
//! What is read: SIP ALG (`security alg sip disable`; absent → on, the SRX default), the
//! default UDP timeout (60 s) and application `inactivity-timeout`s, security policies (zone and
//! global) per path with address books and applications (custom, sets, predefined `junos-*`),
//! `default-policy`, `services-offload`, `host-inbound-traffic system-services` of the WAN
//! zones (the path to the device), source NAT (interface / pool, `port no-translation`),
//! destination and static NAT (port forwards, 1:1 hosts), per-source screens. A Junos box
//! without a `security` stanza (a router or switch) has no flow, ALG or NAT facts: only its
//! version is reported, and the coverage shows what was read.

mod defaults;
mod facts;
mod flatten;
mod groups;
mod lex;
mod setform;
mod stmt;
mod tables;

use super::{Hints, ParseError, Parsed};
use crate::coverage::{Coverage, LineClass};
use crate::device::Versioned;
use crate::source::Source;

pub const ID: &str = "junos";
pub const EXPORT: &str = "On the SRX CLI: `show configuration | display set | no-more` (the \
                          curly-brace `show configuration` is read too)";

const HINT: &str = "export the SRX configuration with `show configuration | display set | \
                    no-more` (or name the right format with --format)";

/// Lines looked at by the fingerprint and the form detection (they must stay cheap).
const SCAN_LINES: usize = 4000;

/// Set-form prefixes only Junos writes (at the start of a line).
const JUNOS_SET: &[&str] = &[
    "set security ",
    "set applications ",
    "set version ",
    "set chassis ",
    "set routing-options ",
    "set policy-options ",
    "set routing-instances ",
    "set groups ",
    "set apply-groups ",
    "set snmp ",
    "set class-of-service ",
    "set forwarding-options ",
    "set event-options ",
    "set firewall family ",
    "set firewall filter ",
    "set system root-authentication ",
    "set system login class ",
    "set system services ",
    "deactivate ",
    "delete security ",
];

/// Top-level blocks of the curly-brace form that only Junos has.
const JUNOS_CURLY: &[&str] = &[
    "security {",
    "applications {",
    "routing-options {",
    "policy-options {",
    "routing-instances {",
    "chassis {",
    "groups {",
    "snmp {",
];

/// Line starts of other vendors' exports (some share Junos's `set` or brace syntax).
const OTHER: &[(&str, &str)] = &[
    ("config ", "FortiOS / OpenWrt"),
    ("config {", "PAN-OS"),
    ("deviceconfig {", "PAN-OS"),
    ("mgt-config {", "PAN-OS"),
    ("set deviceconfig ", "PAN-OS"),
    ("set rulebase ", "PAN-OS"),
    ("set shared ", "PAN-OS"),
    ("set vsys ", "PAN-OS"),
    ("set mgt-config ", "PAN-OS"),
    ("set address ", "PAN-OS"),
    ("set zone ", "PAN-OS"),
    ("set network ", "PAN-OS"),
    ("set service ", "PAN-OS / VyOS"),
    ("set firewall name ", "VyOS / EdgeOS"),
    ("set firewall ipv4 ", "VyOS"),
    ("set firewall ipv6 ", "VyOS"),
    ("set firewall group ", "VyOS / EdgeOS"),
    ("set firewall zone ", "VyOS"),
    ("set firewall global-options ", "VyOS"),
    ("set firewall all-ping ", "VyOS / EdgeOS"),
    ("set firewall state-policy ", "VyOS"),
    ("set nat ", "VyOS / EdgeOS"),
    ("delete nat ", "VyOS / EdgeOS"),
    ("delete firewall ", "VyOS / EdgeOS"),
    ("set system conntrack ", "VyOS / EdgeOS"),
    ("set interfaces ethernet ", "VyOS / EdgeOS"),
    ("set interfaces loopback ", "VyOS / EdgeOS"),
    ("set interfaces pppoe", "VyOS / EdgeOS"),
    ("set interfaces bridge ", "VyOS / EdgeOS"),
    ("set protocols static ", "VyOS / EdgeOS"),
    ("set vpn ", "VyOS / EdgeOS"),
    ("service {", "EdgeOS / VyOS"),
    ("/* === vyatta-config-version", "EdgeOS / VyOS"),
    ("/ip ", "RouterOS"),
    ("/interface ", "RouterOS"),
    ("/system ", "RouterOS"),
    (": Saved", "Cisco ASA"),
    ("ASA Version", "Cisco ASA"),
    ("access-list ", "Cisco"),
    ("object network ", "Cisco ASA"),
    ("hostname ", "Cisco"),
    ("*filter", "iptables"),
    ("*nat", "iptables"),
    ("-A ", "iptables"),
    ("table inet ", "nftables"),
    ("table ip ", "nftables"),
    ("<?xml", "XML (pfSense / OPNsense / PAN-OS)"),
    ("uci ", "OpenWrt"),
];

struct Signals {
    junos: u32,
    other: u32,
    other_name: Option<&'static str>,
}

fn is_version_line(line: &str) -> bool {
    line.strip_prefix("version ")
        .and_then(|v| v.strip_suffix(';'))
        .is_some_and(|v| !v.is_empty() && !v.contains(' '))
}

/// `set interfaces ge-0/0/0 …`: Junos interface names carry digits (`ge-0/0/0`, `irb`, `lo0`);
/// VyOS writes a type first (`set interfaces ethernet eth0`).
fn junos_interface_line(line: &str) -> bool {
    line.strip_prefix("set interfaces ")
        .and_then(|rest| rest.split_whitespace().next())
        .is_some_and(|name| name.bytes().any(|b| b.is_ascii_digit()) || name == "irb")
}

fn signals(text: &str) -> Signals {
    let mut s = Signals {
        junos: 0,
        other: 0,
        other_name: None,
    };
    for line in text.lines().take(SCAN_LINES) {
        let line = line.trim_end();
        // A captured CLI session: `user@host# set …`.
        let line = match stmt::prompt_len(line) {
            Some(len) => line.get(len..).unwrap_or("").trim_start(),
            None => line,
        };
        if JUNOS_SET.iter().any(|p| line.starts_with(p)) || junos_interface_line(line) {
            s.junos += 1;
        } else if line.starts_with("## Last changed:")
            || line.starts_with("## Last commit:")
            || is_version_line(line)
        {
            s.junos += 5;
        } else if line.ends_with("; ## SECRET-DATA") {
            s.junos += 3;
        } else if JUNOS_CURLY.contains(&line)
            || (line.starts_with("apply-groups ") && line.ends_with(';'))
            || line == "commit and-quit"
            || line == "Entering configuration mode"
        {
            s.junos += 2;
        } else if let Some((_, name)) = OTHER.iter().find(|(p, _)| line.starts_with(p)) {
            s.other += 1;
            s.other_name.get_or_insert(name);
        }
    }
    s
}

/// 0 (not Junos) to 100.
pub fn fingerprint(text: &str) -> u32 {
    if text.contains('\0') {
        return 0;
    }
    let s = signals(text);
    if s.junos == 0 || s.other >= s.junos {
        return 0;
    }
    (40 + 10 * (s.junos - s.other)).min(100)
}

/// The curly-brace form (more block lines than CLI command lines).
fn is_curly(text: &str) -> bool {
    let (mut commands, mut blocks) = (0usize, 0usize);
    for line in text.lines().take(SCAN_LINES) {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let first = t.split_whitespace().next().unwrap_or("");
        if matches!(
            first,
            "set"
                | "delete"
                | "deactivate"
                | "activate"
                | "edit"
                | "configure"
                | "commit"
                | "top"
                | "up"
                | "exit"
                | "quit"
                | "rollback"
                | "load"
                | "insert"
                | "rename"
        ) {
            commands += 1;
        } else if t.ends_with('{') || t.ends_with(';') || t == "}" || t.contains("; ##") {
            blocks += 1;
        }
    }
    blocks > commands
}

/// Version and model from an oxidized-style comment header (`# Junos: 22.4R3-S2.11`,
/// `# Model: srx300`).
fn header(source: &Source) -> (Option<Versioned>, bool) {
    let mut version = None;
    let mut srx = false;
    for (number, line) in source.lines().take(60) {
        let t = line.trim();
        let Some(comment) = t.strip_prefix('#') else {
            continue;
        };
        let comment = comment.trim();
        if let Some(v) = comment.strip_prefix("Junos:")
            && version.is_none()
        {
            let v = v.trim();
            if !v.is_empty() && !v.contains(' ') {
                version = Some(Versioned {
                    version: v.to_string(),
                    span: source.span_of(number, v),
                });
            }
        }
        if let Some(model) = comment.strip_prefix("Model:") {
            let model = model.trim().to_ascii_lowercase();
            srx |= model.starts_with("srx") || model.starts_with("vsrx");
        }
    }
    (version, srx)
}

fn rank(class: LineClass) -> u8 {
    match class {
        LineClass::Blank => 0,
        LineClass::Unknown => 1,
        LineClass::Ignored => 2,
        LineClass::Understood => 3,
    }
}

fn merge(slot: &mut Option<LineClass>, class: LineClass) {
    match slot {
        Some(old) if rank(*old) >= rank(class) => {}
        _ => *slot = Some(class),
    }
}

pub fn parse(source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
    let text = source.text.as_str();
    if text.trim().is_empty() {
        return Err(ParseError::new("the input is empty", None, HINT));
    }
    if text.contains('\0') {
        return Err(ParseError::new(
            "the input is binary, not a text export",
            None,
            HINT,
        ));
    }
    let signals = signals(text);
    if signals.other > 0 && signals.other >= signals.junos {
        let name = signals.other_name.unwrap_or("another vendor");
        return Err(ParseError::new(
            format!("this is not a Junos configuration (it looks like {name})"),
            Some(source.line_span(1)),
            HINT,
        ));
    }
    let lines = source.line_count();
    let read = if is_curly(text) {
        flatten::read(text, lines)
    } else {
        setform::read(text, lines)
    };
    if read.stmts.is_empty() && signals.junos == 0 {
        return Err(ParseError::new(
            "no Junos configuration statement found",
            Some(source.line_span(1)),
            HINT,
        ));
    }
    let expanded = groups::expand(&read.stmts);
    let inherited = expanded.inherited.len();
    let mut reader = facts::Reader::new(source);
    let (header_version, header_srx) = header(source);
    reader.srx |= header_srx;
    let mut classes: Vec<LineClass> = Vec::with_capacity(inherited + read.stmts.len());
    for (k, (_, stmt)) in expanded.inherited.iter().enumerate() {
        classes.push(if stmt.inactive {
            LineClass::Ignored
        } else {
            reader.feed(k, stmt)
        });
    }
    for (i, stmt) in read.stmts.iter().enumerate() {
        let role = expanded
            .roles
            .get(i)
            .copied()
            .unwrap_or(groups::Role::Config);
        classes.push(match role {
            groups::Role::Config if stmt.inactive => LineClass::Ignored,
            groups::Role::Config => reader.feed(inherited + i, stmt),
            // Decided below from the group's inherited copies.
            groups::Role::GroupDef => LineClass::Unknown,
            groups::Role::Apply { ok: true } => LineClass::Understood,
            groups::Role::Apply { ok: false } => LineClass::Unknown,
        });
    }
    let (mut device, reclass) = reader.finish(hints);
    for (idx, class) in reclass {
        if let Some(slot) = classes.get_mut(idx) {
            *slot = class;
        }
    }
    if device.version.is_none() {
        device.version = header_version;
    }
    // Group statements: as well understood as their best inherited copy; without one, of no
    // effect (ignored), unless their application was not followed (then ignored only when
    // their section is irrelevant anyway).
    let mut group_class: Vec<Option<LineClass>> = vec![None; read.stmts.len()];
    for (k, (origin, _)) in expanded.inherited.iter().enumerate() {
        if let (Some(slot), Some(&class)) = (group_class.get_mut(*origin), classes.get(k)) {
            merge(slot, class);
        }
    }
    let mut scratch = facts::Reader::new(source);
    for (i, stmt) in read.stmts.iter().enumerate() {
        if expanded.roles.get(i) != Some(&groups::Role::GroupDef) {
            continue;
        }
        let class = match group_class.get(i).copied().flatten() {
            Some(class) => class,
            None if !expanded.undetermined.get(i).copied().unwrap_or(false) => LineClass::Ignored,
            None => {
                let body = stmt::Stmt {
                    words: stmt.words.get(2..).unwrap_or(&[]).to_vec(),
                    ..stmt.clone()
                };
                match scratch.feed(0, &body) {
                    LineClass::Ignored => LineClass::Ignored,
                    _ if body.words.is_empty() => LineClass::Ignored,
                    _ => LineClass::Unknown,
                }
            }
        };
        if let Some(slot) = classes.get_mut(inherited + i) {
            *slot = class;
        }
    }
    // Line classes: statements, then block openings from what they contain, then the lines
    // the form readers classified themselves.
    let mut line_class: Vec<Option<LineClass>> = vec![None; lines + 2];
    let originals = classes.get(inherited..).unwrap_or(&[]);
    for (stmt, &class) in read.stmts.iter().zip(originals) {
        let last = stmt.last_line.max(stmt.line).min(lines as u32);
        for number in stmt.line..=last {
            if let Some(slot) = line_class.get_mut(number as usize) {
                merge(slot, class);
            }
        }
    }
    let mut understood = vec![0usize; originals.len() + 1];
    let mut ignored = vec![0usize; originals.len() + 1];
    for (i, class) in originals.iter().enumerate() {
        understood[i + 1] = understood[i] + usize::from(*class == LineClass::Understood);
        ignored[i + 1] = ignored[i] + usize::from(*class == LineClass::Ignored);
    }
    for container in &read.containers {
        let (a, b) = (container.first, container.end.max(container.first));
        let count = |prefix: &Vec<usize>| {
            prefix.get(b).copied().unwrap_or(0) - prefix.get(a).copied().unwrap_or(0)
        };
        let class = if count(&understood) > 0 {
            LineClass::Understood
        } else if count(&ignored) > 0 {
            LineClass::Ignored
        } else {
            LineClass::Unknown
        };
        if let Some(slot) = line_class.get_mut(container.line as usize) {
            merge(slot, class);
        }
    }
    for &(number, class) in &read.fixed {
        if let Some(slot) = line_class.get_mut(number as usize) {
            merge(slot, class);
        }
    }
    let mut coverage = Coverage::new(source);
    for number in 1..=lines as u32 {
        match line_class.get(number as usize).copied().flatten() {
            Some(class) => coverage.mark(number, class),
            None if !read.wordy.get(number as usize).copied().unwrap_or(true) => {
                coverage.mark(number, LineClass::Blank)
            }
            None => {}
        }
    }
    Ok(Parsed { device, coverage })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Certainty, Path};
    use sipwall_firewall::model::{Action, Ports};

    fn parse_text(text: &str) -> (Source, Parsed) {
        let source = Source::new("t", text);
        let parsed = parse(&source, &Hints::default()).expect("parses");
        (source, parsed)
    }

    #[test]
    fn fingerprint_tells_junos_from_others() {
        assert!(
            fingerprint("set security alg sip disable\nset security zones security-zone trust\n")
                >= 50
        );
        assert!(fingerprint("## Last changed: x\nversion 18.4R1.8;\nsecurity {\n}\n") >= 80);
        assert_eq!(
            fingerprint("set firewall name WAN_IN rule 10 action drop\nset nat source rule 1\n"),
            0
        );
        assert_eq!(
            fingerprint("config system global\n    set security x\nend\n"),
            0
        );
        assert_eq!(
            fingerprint(
                "set rulebase security rules a from any\nset address a ip-netmask 1.2.3.4\n"
            ),
            0
        );
        assert_eq!(fingerprint(""), 0);
    }

    #[test]
    fn alg_off_and_default() {
        let (source, parsed) = parse_text("set security alg sip disable\n");
        let alg = &parsed.device.sip_alg[0];
        assert!(!alg.enabled);
        assert_eq!(
            source.text_of(alg.evidence.spans[0]),
            "set security alg sip disable"
        );
        let (_, parsed) =
            parse_text("set security zones security-zone trust interfaces ge-0/0/1.0\n");
        let alg = &parsed.device.sip_alg[0];
        assert!(alg.enabled);
        assert!(matches!(
            alg.evidence.certainty,
            Certainty::DefaultInferred { .. }
        ));
    }

    #[test]
    fn curly_policy_and_default() {
        let text = "version 21.2R3.4;\nsecurity {\n    policies {\n        from-zone trust to-zone untrust {\n            policy out {\n                match {\n                    source-address any;\n                    destination-address any;\n                    application junos-sip;\n                }\n                then {\n                    permit;\n                }\n            }\n        }\n    }\n}\n";
        let (source, parsed) = parse_text(text);
        let d = &parsed.device;
        assert_eq!(
            d.version.as_ref().map(|v| v.version.as_str()),
            Some("21.2R3.4")
        );
        let out: Vec<_> = d
            .filters
            .iter()
            .filter(|f| f.path == Path::Outbound)
            .collect();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].destination_ports, Ports::single(5060));
        assert_eq!(out[0].action, Action::Accept);
        assert!(
            out[0]
                .evidence
                .spans
                .iter()
                .any(|s| source.text_of(*s) == "permit;")
        );
        let summary = parsed.coverage.summary();
        assert_eq!(summary.unknown, 0, "{summary:?}");
    }

    #[test]
    fn errors_carry_hints() {
        let source = Source::new("t", "   \n");
        let err = parse(&source, &Hints::default()).unwrap_err();
        assert!(!err.hint.is_empty());
        let source = Source::new("t", "set firewall name X rule 1 action drop\n");
        let err = parse(&source, &Hints::default()).unwrap_err();
        assert!(err.message.contains("VyOS"));
        let source = Source::new("t", "hello world\n");
        assert!(parse(&source, &Hints::default()).is_err());
    }
}
