//! The dialect and version, and the `system` facts: the SIP conntrack helper, the UDP conntrack
//! timeouts, EdgeOS hardware/software offload; plus the keys the stated version does not have.

use sipwall_firewall::Vendor;
use sipwall_firewall::model::{Ports, Protocol, TimeoutScope};

use super::lines::Read;
use super::tree::{NodeId, ROOT};
use super::values::{PortMatch, port_match};
use super::{
    Ctx, DEFAULT_UDP_SECONDS, SIP_HELPER_LEGACY, SIP_HELPER_VYOS14, UDP_TIMEOUTS_EDGEOS,
    UDP_TIMEOUTS_VYOS,
};
use crate::device::{AlgState, Device, Evidence, Offload, UdpTimeout, VersionIssue, Versioned};

/// How the dialect was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Dialect {
    pub vendor: Vendor,
    /// From a version line (footer or header), not from the syntax.
    pub stated: bool,
}

impl Dialect {
    pub fn legacy(self) -> bool {
        self.vendor != Vendor::Vyos14
    }
}

/// `major.minor` of a version ("1.4.3", "1.5-rolling-2025", "1.2.6-S1").
fn major_minor(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// EdgeOS release strings carry a build number and date after the version
/// (`v1.9.1.4939093.161214.0705`, `v2.0.9-hotfix.7.5622731.230615.0857`): keep
/// `major.minor.patch` and a `-hotfix.N` suffix.
fn edgeos_version(text: &str) -> String {
    let text = text.trim_start_matches(['v', 'V']);
    let (base, hotfix) = match text.split_once("-hotfix.") {
        Some((base, rest)) => {
            let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (base, Some(number))
        }
        None => (text, None),
    };
    let mut version: String = base.split('.').take(3).collect::<Vec<_>>().join(".");
    if let Some(number) = hotfix {
        version.push_str("-hotfix.");
        version.push_str(&number);
    }
    version
}

/// The dialect a version string names, with the version to report.
fn from_version(text: &str) -> Option<(Vendor, String)> {
    let text = text.trim().trim_matches('"');
    let lower = text.to_ascii_lowercase();
    match lower.as_str() {
        "crux" | "equuleus" => return Some((Vendor::Vyos13, text.to_string())),
        "sagitta" | "circinus" => return Some((Vendor::Vyos14, text.to_string())),
        _ => {}
    }
    if let Some(rest) = text.strip_prefix(['v', 'V'])
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return Some((Vendor::Edgeos, edgeos_version(text)));
    }
    let (major, minor) = major_minor(text)?;
    let vendor = if (major, minor) >= (1, 4) && major < 100 {
        Vendor::Vyos14
    } else {
        Vendor::Vyos13
    };
    Some((vendor, text.to_string()))
}

/// The `conntrack@N` component of a config-version footer.
fn component(components: &str, name: &str) -> Option<u32> {
    components.split(':').find_map(|c| {
        let (key, version) = c.split_once('@')?;
        (key.trim() == name).then(|| version.trim().parse().ok())?
    })
}

/// Syntax that only one dialect has.
struct Markers {
    v14: Vec<NodeId>,
    legacy: Vec<NodeId>,
    edgeos: Vec<NodeId>,
}

fn markers(ctx: &Ctx<'_>) -> Markers {
    let tree = &ctx.tree;
    let find = |path: &[&str]| tree.find(ROOT, path);
    let v14: Vec<NodeId> = [
        &["firewall", "ipv4"][..],
        &["firewall", "ipv6"],
        &["firewall", "global-options"],
        &["firewall", "zone"],
        &["firewall", "flowtable"],
    ]
    .iter()
    .filter_map(|p| find(p))
    .collect();
    let mut legacy: Vec<NodeId> = [
        &["firewall", "name"][..],
        &["firewall", "ipv6-name"],
        &["zone-policy"],
    ]
    .iter()
    .filter_map(|p| find(p))
    .collect();
    // 1.3: `outbound-interface eth0`; 1.4: `outbound-interface name eth0`.
    for (kind, key) in [
        ("source", "outbound-interface"),
        ("destination", "inbound-interface"),
    ] {
        if let Some(rules) = find(&["nat", kind, "rule"]) {
            for rule in tree.children(rules) {
                if let Some(leaf) = tree.child(rule, key) {
                    let modern = tree
                        .children(leaf)
                        .any(|c| matches!(tree.key(c), "name" | "group"));
                    if !modern {
                        legacy.push(leaf);
                        break;
                    }
                }
            }
        }
    }
    let edgeos: Vec<NodeId> = [
        &["service", "nat"][..],
        &["port-forward"],
        &["system", "offload"],
        &["interfaces", "switch"],
        &["service", "gui"],
        &["service", "unms"],
        &["service", "ubnt-discover"],
        &["system", "traffic-analysis"],
        &["service", "upnp2"],
    ]
    .iter()
    .filter_map(|p| find(p))
    .collect();
    Markers {
        v14,
        legacy,
        edgeos,
    }
}

/// Decides the dialect (from a stated version when there is one, else from the syntax) and
/// sets `device.vendor` and `device.version`.
pub(super) fn dialect(ctx: &Ctx<'_>, read: &Read<'_>, device: &mut Device) -> Dialect {
    let components = read.components.as_ref().map(|c| c.text).unwrap_or("");
    let ubnt = components.contains("ubnt");
    let mut stated: Option<Vendor> = None;
    if let Some(release) = &read.release
        && let Some((vendor, version)) = from_version(release.text)
    {
        // A UniFi / EdgeOS footer names EdgeOS whatever the number looks like.
        let vendor = if ubnt { Vendor::Edgeos } else { vendor };
        device.version = Some(Versioned {
            version,
            span: ctx.source.span_of(release.line, release.text),
        });
        stated = Some(vendor);
    }
    if stated.is_none() && !components.is_empty() {
        stated = if ubnt {
            Some(Vendor::Edgeos)
        } else {
            // The 2-to-3 conntrack migration (opt-in helper modules) is 1.4.
            match component(components, "conntrack") {
                Some(n) if n >= 3 => Some(Vendor::Vyos14),
                Some(_) => Some(Vendor::Vyos13),
                None => None,
            }
        };
    }
    match stated {
        Some(vendor) => {
            device.vendor = Some(vendor);
            Dialect {
                vendor,
                stated: true,
            }
        }
        None => from_syntax(ctx, device, false),
    }
}

fn from_syntax(ctx: &Ctx<'_>, device: &mut Device, stated: bool) -> Dialect {
    let markers = markers(ctx);
    let vendor = if !markers.edgeos.is_empty() && markers.v14.is_empty() {
        Vendor::Edgeos
    } else if !markers.legacy.is_empty() && markers.v14.is_empty() {
        Vendor::Vyos13
    } else {
        // VyOS 1.4 syntax, or nothing that tells: the current VyOS.
        Vendor::Vyos14
    };
    device.vendor = Some(vendor);
    Dialect { vendor, stated }
}

const SIP_MECHANISM: &str = "system conntrack modules sip";

/// The SIP conntrack helper: one `AlgState`, explicit from the lines or the dialect's default.
pub(super) fn sip_helper(
    ctx: &Ctx<'_>,
    dialect: Dialect,
    deleted: Option<u32>,
    device: &mut Device,
) {
    let tree = &ctx.tree;
    let sip = tree.find(ROOT, &["system", "conntrack", "modules", "sip"]);
    let deleted_span = deleted.map(|l| ctx.source.line_span(l));
    if let Some(sip) = sip {
        tree.mark(sip);
    }
    let state = match (dialect.legacy(), sip) {
        (false, Some(sip)) => {
            if let Some(disable) = tree.child(sip, "disable") {
                tree.mark_tree(disable);
                // 1.4 has no `disable`: the line does not switch the helper off, and whether
                // the module is on depends on a key this export cannot show.
                AlgState {
                    enabled: true,
                    mechanism: SIP_MECHANISM.into(),
                    scope: Vec::new(),
                    evidence: Evidence::unknown(ctx.spans(&tree.lines_of(sip))),
                }
            } else {
                for child in tree.children(sip).collect::<Vec<_>>() {
                    // Options of the module (1.4 has none; older keys are read as "set").
                    if matches!(
                        tree.key(child),
                        "port" | "enable-indirect-media" | "enable-indirect-signalling"
                    ) {
                        tree.mark_tree(child);
                    }
                }
                AlgState {
                    enabled: true,
                    mechanism: SIP_MECHANISM.into(),
                    scope: scope(ctx, sip),
                    evidence: ctx.evidence(sip),
                }
            }
        }
        (false, None) => match deleted_span {
            Some(span) => AlgState {
                enabled: false,
                mechanism: SIP_MECHANISM.into(),
                scope: Vec::new(),
                evidence: Evidence::explicit([span]),
            },
            None => AlgState {
                enabled: false,
                mechanism: SIP_MECHANISM.into(),
                scope: Vec::new(),
                evidence: Evidence::default(SIP_HELPER_VYOS14),
            },
        },
        (true, Some(sip)) => {
            if let Some(disable) = tree.child(sip, "disable") {
                tree.mark_tree(disable);
                AlgState {
                    enabled: false,
                    mechanism: SIP_MECHANISM.into(),
                    scope: Vec::new(),
                    evidence: Evidence::explicit(ctx.spans(&tree.lines_of(disable))),
                }
            } else {
                for key in [
                    "enable-indirect-media",
                    "enable-indirect-signalling",
                    "port",
                ] {
                    tree.mark_child(sip, key);
                }
                let mut evidence = ctx.evidence(sip);
                evidence.spans.extend(deleted_span);
                if evidence.spans.is_empty() {
                    evidence = Evidence::default(SIP_HELPER_LEGACY);
                }
                AlgState {
                    enabled: true,
                    mechanism: SIP_MECHANISM.into(),
                    scope: scope(ctx, sip),
                    evidence,
                }
            }
        }
        (true, None) => AlgState {
            enabled: true,
            mechanism: SIP_MECHANISM.into(),
            scope: Vec::new(),
            // A `delete` of the module (or of its `disable`) brings the default back.
            evidence: match deleted_span {
                Some(span) => Evidence::default_at(SIP_HELPER_LEGACY, [span]),
                None => Evidence::default(SIP_HELPER_LEGACY),
            },
        },
    };
    device.sip_alg.push(state);
}

/// The ports of `modules sip port N` (VyOS 1.3 / EdgeOS); empty for the standard 5060.
fn scope(ctx: &Ctx<'_>, sip: NodeId) -> Vec<(Protocol, Ports)> {
    let ports: Vec<Ports> = ctx
        .tree
        .values(sip, "port")
        .iter()
        .filter_map(|p| match port_match(p) {
            Some(PortMatch::Ports(ports)) => Some(ports),
            _ => None,
        })
        .collect();
    if ports.is_empty() {
        return Vec::new();
    }
    let merged = Ports::from_ranges(ports.iter().flat_map(Ports::ranges));
    vec![(Protocol::Udp, merged.clone()), (Protocol::Tcp, merged)]
}

fn seconds(ctx: &Ctx<'_>, node: NodeId, key: &str) -> Option<(u32, NodeId)> {
    let (value, leaf) = ctx.tree.value(node, key)?;
    let seconds = value.parse::<u32>().ok()?;
    Some((seconds, leaf))
}

/// Global `udp other|stream` and per-port `custom` rules.
pub(super) fn timeouts(ctx: &Ctx<'_>, dialect: Dialect, device: &mut Device) {
    let tree = &ctx.tree;
    let default = if dialect.vendor == Vendor::Edgeos {
        UDP_TIMEOUTS_EDGEOS
    } else {
        UDP_TIMEOUTS_VYOS
    };
    let udp = tree.find(ROOT, &["system", "conntrack", "timeout", "udp"]);
    let other = udp.and_then(|n| seconds(ctx, n, "other"));
    let stream = udp.and_then(|n| seconds(ctx, n, "stream"));
    let global = (
        other.map_or(DEFAULT_UDP_SECONDS.0, |o| o.0),
        stream.map_or(DEFAULT_UDP_SECONDS.1, |s| s.0),
    );
    let leaves: Vec<NodeId> = other.iter().chain(stream.iter()).map(|(_, n)| *n).collect();
    device.udp_timeouts.push(UdpTimeout {
        scope: TimeoutScope::Global,
        // A value the export does not set keeps its default.
        unreplied_seconds: Some(global.0),
        replied_seconds: Some(global.1),
        evidence: if leaves.is_empty() {
            Evidence::default(default)
        } else {
            ctx.evidence_of(&leaves)
        },
    });
    // Custom rules: 1.4 `custom ipv4|ipv6 rule N … protocol udp replied|unreplied`, 1.3
    // `custom rule N … protocol udp stream|other`. Every matching rule sets the timeout, so
    // the later (higher-numbered) one wins; IPv6 first so IPv4 wins for the same ports.
    let Some(custom) = tree.find(ROOT, &["system", "conntrack", "timeout", "custom"]) else {
        return;
    };
    let mut tables: Vec<NodeId> = Vec::new();
    for family in ["ipv6", "ipv4"] {
        if let Some(rules) = tree.find(custom, &[family, "rule"]) {
            tables.push(rules);
        }
    }
    if let Some(rules) = tree.child(custom, "rule") {
        tables.push(rules);
    }
    for rules in tables {
        let mut numbered: Vec<(u32, NodeId)> = tree
            .children(rules)
            .filter_map(|r| Some((tree.key(r).parse::<u32>().ok()?, r)))
            .collect();
        numbered.sort_unstable();
        for (_, rule) in numbered {
            custom_rule(ctx, rule, global, device);
        }
    }
}

fn custom_rule(ctx: &Ctx<'_>, rule: NodeId, global: (u32, u32), device: &mut Device) {
    let tree = &ctx.tree;
    for key in ["description", "source", "inbound-interface"] {
        tree.mark_child(rule, key);
    }
    let mut ports = Ports::Any;
    if let Some(destination) = tree.child(rule, "destination") {
        tree.mark_child(destination, "address");
        if let Some((text, _)) = tree.value(destination, "port") {
            match port_match(text) {
                Some(PortMatch::Ports(p)) => ports = p,
                // A port list matching nothing, or one not read: no fact from this rule.
                _ => return,
            }
        }
    }
    let Some(udp) = tree.find(rule, &["protocol", "udp"]) else {
        tree.mark_child(rule, "protocol");
        return;
    };
    tree.mark(udp);
    let replied = seconds(ctx, udp, "replied").or_else(|| seconds(ctx, udp, "stream"));
    let unreplied = seconds(ctx, udp, "unreplied").or_else(|| seconds(ctx, udp, "other"));
    if replied.is_none() && unreplied.is_none() {
        return;
    }
    device.udp_timeouts.push(UdpTimeout {
        scope: TimeoutScope::Ports(ports),
        // The value a custom rule leaves out stays the global one.
        unreplied_seconds: Some(unreplied.map_or(global.0, |u| u.0)),
        replied_seconds: Some(replied.map_or(global.1, |r| r.0)),
        evidence: ctx.evidence(rule),
    });
}

/// EdgeOS `system offload`: software forwarding offload and hardware NAT bypass netfilter for
/// established flows.
pub(super) fn offload(ctx: &Ctx<'_>, device: &mut Device) {
    let tree = &ctx.tree;
    let Some(node) = tree.find(ROOT, &["system", "offload"]) else {
        return;
    };
    tree.mark(node);
    for child in tree.children(node).collect::<Vec<_>>() {
        match tree.key(child) {
            "hwnat" => {
                if let Some(("enable", leaf)) = tree.value(node, "hwnat") {
                    device.offload.push(Offload {
                        mechanism: "system offload hwnat".into(),
                        protocol: None,
                        ports: Ports::Any,
                        evidence: ctx.evidence(leaf),
                    });
                }
            }
            family @ ("ipv4" | "ipv6") => {
                tree.mark_tree(child);
                if let Some(("enable", leaf)) = tree.value(child, "forwarding") {
                    device.offload.push(Offload {
                        mechanism: format!("system offload {family} forwarding"),
                        protocol: None,
                        ports: Ports::Any,
                        evidence: ctx.evidence(leaf),
                    });
                }
            }
            "ipsec" | "flow-lifetime" => tree.mark_tree(child),
            _ => {}
        }
    }
}

/// Keys the dialect does not have: `modules sip disable` on 1.4 (always), and the other
/// generation's firewall syntax under a stated version.
pub(super) fn version_issues(
    ctx: &Ctx<'_>,
    dialect: Dialect,
    read: &Read<'_>,
    device: &mut Device,
) {
    let tree = &ctx.tree;
    let version = device
        .version
        .as_ref()
        .map(|v| v.version.clone())
        .unwrap_or_else(|| "1.4+".into());
    if !dialect.legacy()
        && let Some(disable) =
            tree.find(ROOT, &["system", "conntrack", "modules", "sip", "disable"])
    {
        device.version_issues.push(VersionIssue {
            key: "system conntrack modules sip disable".into(),
            message: format!(
                "VyOS {version} has no `disable` under `system conntrack modules sip` (removed \
                 in 1.4, where the helper is on while `modules sip` exists): the line does not \
                 switch the SIP helper off; use `delete system conntrack modules sip`"
            ),
            evidence: ctx.evidence(disable),
        });
    }
    if !dialect.stated || read.release.is_none() {
        return;
    }
    let markers = markers(ctx);
    let first = |nodes: &[NodeId]| -> Evidence {
        let lines: Vec<u32> = nodes.iter().filter_map(|&n| tree.first_line(n)).collect();
        Evidence::explicit(ctx.spans(&lines))
    };
    let name = match dialect.vendor {
        Vendor::Edgeos => format!("EdgeOS {version}"),
        _ => format!("VyOS {version}"),
    };
    if dialect.legacy() && !markers.v14.is_empty() {
        device.version_issues.push(VersionIssue {
            key: "firewall ipv4".into(),
            message: format!(
                "{name} has no `firewall ipv4|ipv6 …`, `global-options`, `zone` or \
                 `flowtable` (VyOS 1.4 firewall syntax); its rulesets are `firewall name` / \
                 `ipv6-name` attached to interfaces"
            ),
            evidence: first(&markers.v14),
        });
    }
    if !dialect.legacy() && !markers.legacy.is_empty() {
        device.version_issues.push(VersionIssue {
            key: "firewall name".into(),
            message: format!(
                "{name} has no `firewall name` / `ipv6-name` rulesets, `zone-policy` or plain \
                 `outbound-interface <if>` (VyOS 1.3 syntax); 1.4 uses `firewall ipv4|ipv6 \
                 name`, base chains and `outbound-interface name <if>`"
            ),
            evidence: first(&markers.legacy),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            from_version("v1.9.1.4939093.161214.0705"),
            Some((Vendor::Edgeos, "1.9.1".into()))
        );
        assert_eq!(
            from_version("v2.0.9-hotfix.7.5622731.230615.0857"),
            Some((Vendor::Edgeos, "2.0.9-hotfix.7".into()))
        );
        assert_eq!(
            from_version("1.4.3"),
            Some((Vendor::Vyos14, "1.4.3".into()))
        );
        assert_eq!(
            from_version("1.5-rolling-202501010000").map(|v| v.0),
            Some(Vendor::Vyos14)
        );
        assert_eq!(
            from_version("1.3.8"),
            Some((Vendor::Vyos13, "1.3.8".into()))
        );
        assert_eq!(from_version("1.2.6-S1").map(|v| v.0), Some(Vendor::Vyos13));
        assert_eq!(from_version("equuleus").map(|v| v.0), Some(Vendor::Vyos13));
        assert_eq!(from_version("hello"), None);
        assert_eq!(component("a@1:conntrack@3:b@2", "conntrack"), Some(3));
        assert_eq!(component("a@1", "conntrack"), None);
    }
}
