//! FortiGate / FortiOS: `show full-configuration` output, configuration backups
//! (`#config-version=…` header), oxidized captures (`get system status` as `#` comments) and
//! the CLI scripts `sipwall rules --vendor fortigate` writes, with or without VDOMs.
//!
//! Layout: `tree` reads the generic `config`/`edit`/`set`/`next`/`end` structure with lines,
//! `sections` classifies every line for coverage, `objects` resolves the named objects
//! (addresses, services, VIPs, interfaces and zones), `facts` turns it into the device facts.
//!
//! The vendor facts and their sources are in research/anchors-firewall.md §3.1; each default
//! the parser infers is a [`VendorDefault`] below.

mod facts;
mod objects;
mod sections;
mod tree;

use std::fmt;

use sipwall_firewall::Vendor;

use super::{Hints, ParseError, Parsed};
use crate::coverage::{Coverage, LineClass};
use crate::device::{VendorDefault, Versioned};
use crate::source::Source;

pub const ID: &str = "fortigate";
pub const EXPORT: &str = "FortiGate CLI: `show full-configuration` (or a configuration backup file \
     from System > Configuration > Backup); with VDOMs run it in the global context so the \
     export holds `config global` and every VDOM";

const HINT: &str = "export the FortiGate configuration with `show full-configuration` on the CLI \
     (or a backup file from System > Configuration > Backup)";

/// SIP ALG in proxy-based mode when `default-voip-alg-mode` is absent.
pub(crate) const ALG_MODE_DEFAULT: VendorDefault = VendorDefault {
    statement: "SIP ALG on: without `default-voip-alg-mode` FortiOS runs in proxy-based mode, so \
                SIP through policies without a VoIP profile is inspected by the SIP ALG with the \
                `default` VoIP profile",
    versions: "5.2 and later",
    source: "FortiOS 7.4.9 Administration Guide, SIP ALG and SIP session helper \
             (docs2.fortinet.com/document/fortigate/7.4.9/administration-guide/147933); Fortinet \
             community ta-p/211669; FortiOS 5.2 Help, other new features (proxy-based default \
             since 5.2)",
};

/// Before 5.2 the session helper handled SIP on policies without a VoIP profile.
pub(crate) const ALG_MODE_DEFAULT_50: VendorDefault = VendorDefault {
    statement: "SIP session helper mode: before FortiOS 5.2 policies without a VoIP profile use \
                the SIP session helper, not the ALG",
    versions: "before 5.2",
    source: "Fortinet community ta-p/194131 (Disabling VoIP inspection: \"In FortiOS 5.0, if VoIP \
             profile is not applied, the SIP session helper will be applied\")",
};

/// The factory session-helper table carries a `sip` entry.
pub(crate) const SESSION_HELPER_DEFAULT: VendorDefault = VendorDefault {
    statement: "SIP session helper on: the factory `config system session-helper` table has a \
                `sip` entry (protocol 17, port 5060; entry 13 on most units)",
    versions: "all",
    source: "FortiOS 5.2 Help, SIP session helper configuration overview \
             (help.fortinet.com/fos50hlp/52/FortiOS%205.2%20Help/SIP.190.024.html); Fortinet \
             community ta-p/211669 (session helper 13)",
};

/// A VoIP profile inspects SIP unless its `config sip` says `set status disable`.
pub(crate) const VOIP_PROFILE_SIP_DEFAULT: VendorDefault = VendorDefault {
    statement: "SIP inspection on in a VoIP profile (`config sip` without `set status disable`)",
    versions: "all",
    source: "FortiOS CLI reference, config voip profile, sip status \
             (docs.fortinet.com/document/fortigate/6.2.11/cli-reference/485620)",
};

/// `udp-idle-timer` default.
pub(crate) const UDP_IDLE_DEFAULT: VendorDefault = VendorDefault {
    statement: "UDP session idle timeout 180 s (`udp-idle-timer` in `config system global` not set)",
    versions: "all",
    source: "Fortinet community ta-p/191228, Session timeout settings (udp-idle-timer 180 s by \
             default); research/anchors-firewall.md §3.1",
};

/// A session-ttl port entry without `timeout`.
pub(crate) const SESSION_TTL_PORT_DEFAULT: VendorDefault = VendorDefault {
    statement: "session timeout 300 s for a `config system session-ttl` port entry without \
                `set timeout`",
    versions: "all",
    source: "Fortinet community ta-p/191228, Session timeout settings (port timeout 300 s by \
             default)",
};

/// Policy NAT without `fixedport` changes source ports.
pub(crate) const FIXEDPORT_DEFAULT: VendorDefault = VendorDefault {
    statement: "source ports translated: policy NAT without `set fixedport enable` changes the \
                source port (from 7.4.4 `port-preserve` keeps only free ports 5117-65533, so \
                SIP's 5060 still changes)",
    versions: "all",
    source: "FortiOS 6.0 Handbook, Fixed port (docs.fortinet.com/document/fortigate/6.0.0/\
             Handbook/788974); FortiOS 7.4 New Features, Fine-tuning source port behavior for \
             SNAT (docs2.fortinet.com/document/fortigate/7.4.0/new-features/758009)",
};

/// NP offload is on for a policy unless disabled.
pub(crate) const ASIC_OFFLOAD_DEFAULT: VendorDefault = VendorDefault {
    statement: "hardware offload on: `auto-asic-offload` is enabled on a policy that does not \
                disable it (sessions go to the NP/SoC processors on models that have them)",
    versions: "all",
    source: "Fortinet community ta-p/194368, Disabling NP offloading in security policy; FortiOS \
             CLI reference, config firewall policy (auto-asic-offload)",
};

/// The implicit deny policy.
pub(crate) const IMPLICIT_DENY: VendorDefault = VendorDefault {
    statement: "traffic no firewall policy accepts is dropped by the implicit deny policy \
                (policy ID 0, last in the list)",
    versions: "all",
    source: "FortiOS Administration Guide, Policy and Objects > Firewall policy (implicit deny \
             policy)",
};

/// Traffic to the unit is dropped unless a service listens for it.
pub(crate) const LOCAL_IN_DEFAULT: VendorDefault = VendorDefault {
    statement: "traffic to the unit is dropped unless an interface's `allowaccess` lists the \
                service (or a configured feature such as a VPN listens)",
    versions: "all",
    source: "FortiOS Administration Guide, Network > Interface settings (Administrative access) \
             and Policy and Objects > Local-in policy",
};

/// A FortiOS version `major.minor.patch` (`7.02` reads as 7.2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// `7.2.5`, `7.02`, `6.0`, `v7.4.7`; `None` when not a version.
    fn parse(text: &str) -> Option<Version> {
        let text = text.trim().trim_start_matches(['v', 'V']);
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(patch) => patch.parse().ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The version in `#config-version=FGT60F-7.2.5-FW-build1517-230606:opmode=0:…`.
fn config_version(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("#config-version=")?;
    let head = rest.split(':').next()?;
    head.split('-')
        .find(|part| part.contains('.') && Version::parse(part).is_some())
}

/// The version in `Version: FortiGate-91G v7.4.7,build2731,250120 (GA.M)` (status output,
/// with or without a leading `#`).
fn status_version(line: &str) -> Option<&str> {
    let rest = line.trim().trim_start_matches('#').trim();
    let rest = rest.strip_prefix("Version:")?;
    rest.split_whitespace()
        .map(|word| word.split(',').next().unwrap_or(word))
        .find(|word| word.starts_with(['v', 'V']) && Version::parse(word).is_some())
}

/// The export's version: the backup header, else the status output; with its line.
fn find_version(source: &Source, tree: &tree::Tree) -> Option<(String, Version, u32)> {
    let mut status = None;
    let candidates = tree
        .loose
        .iter()
        .filter(|(_, _, kind)| *kind == tree::Loose::Comment)
        .map(|(line, _, _)| *line)
        .chain(tree.top_stmts.iter().map(|s| s.line));
    for line in candidates {
        let text = source.line(line);
        if let Some(version) = config_version(text) {
            return Some((version.to_string(), Version::parse(version)?, line));
        }
        if status.is_none()
            && let Some(version) = status_version(text)
            && let Some(parsed) = Version::parse(version)
        {
            status = Some((
                version.trim_start_matches(['v', 'V']).to_string(),
                parsed,
                line,
            ));
        }
    }
    status
}

/// Top-level words a FortiOS configuration block starts with.
const FAMILIES: &[&str] = &[
    "system",
    "firewall",
    "vpn",
    "router",
    "user",
    "log",
    "voip",
    "global",
    "vdom",
    "wireless-controller",
    "switch-controller",
    "webfilter",
    "antivirus",
    "ips",
    "application",
    "dnsfilter",
    "endpoint-control",
    "certificate",
    "report",
    "alertemail",
    "waf",
    "dlp",
];

/// How sure the text is a FortiOS configuration. Cheap: looks at the first 256 KiB only.
pub fn fingerprint(text: &str) -> u32 {
    let mut end = text.len().min(256 * 1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let (mut configs, mut ends, mut edits, mut nexts, mut sets) = (0u32, 0u32, 0u32, 0u32, 0u32);
    let mut status = false;
    for line in head.lines() {
        let line = line.trim();
        if line.starts_with("#config-version=F") {
            return 100;
        }
        if let Some(rest) = line.strip_prefix("config ") {
            let family = rest.split_whitespace().next().unwrap_or("");
            if FAMILIES.contains(&family) {
                configs += 1;
            }
        } else if line == "end" {
            ends += 1;
        } else if line == "next" {
            nexts += 1;
        } else if line.starts_with("edit ") {
            edits += 1;
        } else if line.starts_with("set ") || line.starts_with("unset ") {
            sets += 1;
        } else if status_version(line).is_some_and(|_| line.contains("Forti")) {
            status = true;
        }
    }
    if configs == 0 || ends == 0 || sets + edits == 0 {
        return if status { 40 } else { 0 };
    }
    let mut score = 70;
    if edits > 0 && nexts > 0 {
        score += 15;
    }
    if ends * 2 >= configs {
        score += 5;
    }
    if status {
        score += 5;
    }
    score
}

/// Reads a FortiOS export into the device facts.
pub fn parse(source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
    let text = source.text.as_str();
    if text.trim().is_empty() {
        return Err(ParseError::new("the input is empty", None, HINT));
    }
    if text.contains('\0') {
        return Err(ParseError::new(
            "the input is binary, not a FortiOS configuration",
            None,
            HINT,
        ));
    }
    let tree = tree::read(text);
    let version = find_version(source, &tree);
    if version.is_none() && !looks_like_fortios(&tree) {
        let span = source
            .lines()
            .find(|(_, line)| !line.trim().is_empty())
            .map(|(n, _)| source.line_span(n));
        return Err(ParseError::new(
            "not a FortiOS configuration: no `config …` block with `set`/`edit` statements and no \
             `#config-version=` header",
            span,
            HINT,
        ));
    }
    let mut coverage = Coverage::new(source);
    sections::classify(&tree, &mut coverage);
    let parsed_version = version.as_ref().map(|(_, v, _)| *v);
    let mut builder = facts::Builder::new(source, &tree, hints, parsed_version, &mut coverage);
    builder.build();
    let mut device = builder.device;
    device.vendor = Some(match parsed_version {
        Some(v) if v < Version(6, 2, 0) => Vendor::Fortigate60,
        Some(_) => Vendor::Fortigate62,
        // No version: `sip-helper` only exists before 6.2 (see facts::VERSIONED_KEYS).
        None if uses_key(&tree, "system settings", "sip-helper") => Vendor::Fortigate60,
        None => Vendor::Fortigate62,
    });
    if let Some((text, _, line)) = version {
        coverage.mark(line, LineClass::Understood);
        device.version = Some(Versioned {
            span: source.span_of(line, &text),
            version: text,
        });
    }
    Ok(Parsed { device, coverage })
}

/// True when a `config <path>` block anywhere (top level, `config global`, a VDOM) sets `key`.
fn uses_key(tree: &tree::Tree, path: &str, key: &str) -> bool {
    tree.nodes.iter().any(|node| {
        node.kind == tree::Kind::Config
            && node.path() == path
            && node
                .stmts()
                .any(|s| s.verb == tree::Verb::Set && s.key() == key)
    })
}

/// At least one block of a FortiOS family that holds statements or entries, or is closed by
/// `end` (UCI's `config` sections have neither).
fn looks_like_fortios(tree: &tree::Tree) -> bool {
    tree.roots.iter().any(|&root| {
        let node = tree.node(root);
        let family = node.words.first().map(|w| w.as_ref()).unwrap_or("");
        FAMILIES.contains(&family)
            && (node.close_line.is_some()
                || node.stmts().any(|s| s.verb == tree::Verb::Set)
                || tree.entries(node).next().is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Certainty, Path};
    use sipwall_firewall::model::{Action, Ports, Protocol, TimeoutScope};

    fn parse_text(text: &str) -> (Source, Parsed) {
        let source = Source::new("t", text);
        let parsed = parse(&source, &Hints::default()).expect("parses");
        (source, parsed)
    }

    #[test]
    fn versions_from_headers() {
        assert_eq!(
            config_version(
                "#config-version=FGT60F-7.2.5-FW-build1517-230606:opmode=0:vdom=0:user=admin"
            ),
            Some("7.2.5")
        );
        assert_eq!(
            config_version("#config-version=FG100F-7.02-FW-build1234-220101:opmode=0"),
            Some("7.02")
        );
        assert_eq!(Version::parse("7.02"), Some(Version(7, 2, 0)));
        assert_eq!(
            status_version("# Version: FortiGate-91G v7.4.7,build2731,250120 (GA.M)"),
            Some("v7.4.7")
        );
        assert_eq!(
            status_version("Version: FortiGate-60F v6.0.9,build0335,191113 (GA)"),
            Some("v6.0.9")
        );
        assert_eq!(Version::parse("six"), None);
    }

    #[test]
    fn fingerprints() {
        assert_eq!(
            fingerprint(
                "#config-version=FGT60F-7.2.5-FW-build1517:opmode=0\nconfig system global\nend\n"
            ),
            100
        );
        assert!(fingerprint("config system global\n    set hostname x\nend\n") >= 70);
        assert_eq!(
            fingerprint("config defaults\n\toption input 'ACCEPT'\nconfig zone\n"),
            0
        );
        assert_eq!(
            fingerprint("set system host-name fw\nset security zones\n"),
            0
        );
        assert_eq!(fingerprint(""), 0);
    }

    #[test]
    fn defaults_apply_when_lines_are_absent() {
        let (_, parsed) = parse_text(
            "#config-version=FGT60F-7.2.5-FW-build1517-230606:opmode=0:vdom=0:user=admin\n\
             config system global\n    set hostname \"fw\"\nend\n",
        );
        let device = &parsed.device;
        assert_eq!(device.vendor, Some(Vendor::Fortigate62));
        assert_eq!(device.version.as_ref().unwrap().version, "7.2.5");
        let alg = &device.sip_alg[0];
        assert!(alg.enabled);
        assert!(matches!(
            alg.evidence.certainty,
            Certainty::DefaultInferred { .. }
        ));
        let udp = &device.udp_timeouts[0];
        assert_eq!(
            (udp.scope.clone(), udp.replied_seconds),
            (TimeoutScope::Global, Some(180))
        );
        assert!(
            device
                .default_actions
                .iter()
                .any(|d| d.path == Path::Outbound && d.action == Action::Drop)
        );
    }

    #[test]
    fn kernel_helper_mode_and_helper_table() {
        let (source, parsed) = parse_text(
            "config system settings\n    set default-voip-alg-mode kernel-helper-based\nend\n\
             config system session-helper\n    edit 13\n        set name sip\n        set protocol 17\n        \
             set port 5060\n    next\nend\n",
        );
        let algs = &parsed.device.sip_alg;
        assert_eq!(algs.len(), 2);
        assert!(!algs[0].enabled);
        assert_eq!(
            source.text_of(algs[0].evidence.spans[0]),
            "set default-voip-alg-mode kernel-helper-based"
        );
        assert!(algs[1].enabled);
        assert_eq!(algs[1].scope, vec![(Protocol::Udp, Ports::single(5060))]);
    }

    #[test]
    fn policy_nat_without_fixedport_randomises() {
        let (_, parsed) = parse_text(
            "config firewall policy\n    edit 1\n        set srcintf \"internal\"\n        set dstintf \"wan1\"\n        \
             set srcaddr \"all\"\n        set dstaddr \"all\"\n        set action accept\n        \
             set schedule \"always\"\n        set service \"SIP\"\n        set nat enable\n    next\nend\n",
        );
        let device = &parsed.device;
        assert_eq!(device.filters.len(), 2);
        assert!(device.filters.iter().all(|f| f.path == Path::Outbound));
        assert!(
            device
                .source_nat
                .iter()
                .all(|s| s.port_preservation == Some(false))
        );
        assert_eq!(device.offload.len(), 1);
    }

    #[test]
    fn errors_carry_hints() {
        for text in [
            "",
            "   \n",
            "a\0b",
            "config defaults\n\toption input 'ACCEPT'\n",
        ] {
            let err = parse(&Source::new("t", text), &Hints::default()).unwrap_err();
            assert!(!err.hint.is_empty());
        }
    }
}
