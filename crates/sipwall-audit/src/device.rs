//! What a firewall export says the device does, in the terms of the firewall model
//! (`sipwall_firewall::model`): the same protocols, port sets, addresses and actions that
//! `sipwall rules` renders from, each fact with the spans it was read from and how sure the
//! parser is. A parser fills a [`Device`]; the rule catalogue compares it with the profile's
//! [`Policy`](sipwall_firewall::Policy).

use std::net::IpAddr;

use serde::Serialize;
use sipwall_firewall::Vendor;
use sipwall_firewall::model::{Action, Address, Ports, Protocol, TimeoutScope};

use crate::source::Span;

/// A vendor default: what the device does when the export has no line for it. Exports omit
/// defaults, so "SIP ALG on" is usually the absence of a line; each default cites where the
/// vendor documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VendorDefault {
    /// What the default is, in words: "SIP ALG enabled (`security alg sip` absent)".
    pub statement: &'static str,
    /// Versions it holds for, in words: "all", "6.2 and later".
    pub versions: &'static str,
    /// Where the vendor says so (document and section, or URL).
    pub source: &'static str,
}

/// How a fact is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Certainty {
    /// A line of the export says so.
    Explicit,
    /// No line says so; this is the vendor's default for the version.
    DefaultInferred { default: VendorDefault },
    /// The export cannot tell (version unknown, key unknown, state outside the export).
    Unknown,
}

/// Where a fact comes from and how sure it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub certainty: Certainty,
    /// The lines the fact was read from; empty for a default (no line says it).
    pub spans: Vec<Span>,
}

impl Evidence {
    pub fn explicit(spans: impl IntoIterator<Item = Span>) -> Evidence {
        Evidence {
            certainty: Certainty::Explicit,
            spans: spans.into_iter().collect(),
        }
    }

    pub fn default(default: VendorDefault) -> Evidence {
        Evidence {
            certainty: Certainty::DefaultInferred { default },
            spans: Vec::new(),
        }
    }

    /// A default that also points at lines (e.g. the section whose missing key implies it).
    pub fn default_at(default: VendorDefault, spans: impl IntoIterator<Item = Span>) -> Evidence {
        Evidence {
            certainty: Certainty::DefaultInferred { default },
            spans: spans.into_iter().collect(),
        }
    }

    pub fn unknown(spans: impl IntoIterator<Item = Span>) -> Evidence {
        Evidence {
            certainty: Certainty::Unknown,
            spans: spans.into_iter().collect(),
        }
    }
}

/// Where a filter rule applies, seen from the customer's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Path {
    /// LAN → WAN, forwarded.
    Outbound,
    /// WAN → LAN, forwarded (after any destination NAT).
    Inbound,
    /// WAN → the firewall itself.
    ToDevice,
}

/// Everything the export says about the VoIP-relevant behaviour of the device.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Device {
    /// The dialect `sipwall rules` renders fixes in for this device (from format and version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Vendor>,
    /// The OS version the export states, with its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Versioned>,
    /// SIP ALG / helper / inspection state; several when the device has several places that
    /// can enable it (a kernel helper and a ruleset, a global and a per-VDOM setting, …).
    pub sip_alg: Vec<AlgState>,
    pub udp_timeouts: Vec<UdpTimeout>,
    pub source_nat: Vec<SourceNat>,
    pub forwards: Vec<Forward>,
    /// Filter rules in evaluation order (first match wins within one path).
    pub filters: Vec<FilterRule>,
    /// What each path does with traffic no rule matches.
    pub default_actions: Vec<DefaultAction>,
    pub offload: Vec<Offload>,
    pub brute_force: Vec<BruteForce>,
    /// Keys the stated version does not have (or that changed meaning), with their lines.
    pub version_issues: Vec<VersionIssue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Versioned {
    pub version: String,
    pub span: Span,
}

/// Whether a SIP ALG is active, through what, and on which ports it hooks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlgState {
    pub enabled: bool,
    /// The feature in the vendor's words: "inspect sip", "ct helper type sip", "service-port sip".
    pub mechanism: String,
    /// The ports it hooks; empty when unknown (then the vendor's standard 5060 is assumed by
    /// the catalogue).
    pub scope: Vec<(Protocol, Ports)>,
    pub evidence: Evidence,
}

/// An idle timeout that applies to UDP sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UdpTimeout {
    pub scope: TimeoutScope,
    /// Seconds an unreplied (one-way) session lives; `None` when the export says nothing.
    pub unreplied_seconds: Option<u32>,
    /// Seconds a replied (two-way, "stream" / "assured") session lives.
    pub replied_seconds: Option<u32>,
    pub evidence: Evidence,
}

/// Source NAT toward the WAN and whether it keeps source ports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceNat {
    /// `Some(false)`: source ports are randomised (`random-fully`, no `fixedport`, …).
    /// `None`: the export cannot tell.
    pub port_preservation: Option<bool>,
    /// Destination ports this NAT rule is limited to (`Any` for all traffic).
    pub ports: Ports,
    pub protocol: Option<Protocol>,
    pub evidence: Evidence,
}

/// A destination NAT from the WAN to an inside host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forward {
    /// `None`: every protocol.
    pub protocol: Option<Protocol>,
    /// The outside ports (`Any` when the rule has no port match: a DMZ host).
    pub outside_ports: Ports,
    /// The inside host, when the rule names one.
    pub to: Option<IpAddr>,
    /// The inside ports when they differ from the outside ones (`22222 → 22`).
    pub to_ports: Option<Ports>,
    /// Sources the forward is limited to; empty means any source.
    pub source: Vec<Address>,
    pub evidence: Evidence,
}

impl Forward {
    /// The ports that reach the inside host.
    pub fn inside_ports(&self) -> &Ports {
        self.to_ports.as_ref().unwrap_or(&self.outside_ports)
    }
}

/// One filter rule. Empty address lists mean any address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterRule {
    pub path: Path,
    /// `None`: every protocol.
    pub protocol: Option<Protocol>,
    pub source: Vec<Address>,
    /// Source ports the rule is limited to; `Any` for all.
    pub source_ports: Ports,
    pub destination: Vec<Address>,
    pub destination_ports: Ports,
    pub action: Action,
    /// True when the rule also rate-limits or otherwise only matches some packets, so it
    /// cannot be counted as covering its ports.
    pub conditional: bool,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefaultAction {
    pub path: Path,
    pub action: Action,
    pub evidence: Evidence,
}

/// Hardware or software fast-path offload that bypasses the stateful path for some traffic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offload {
    /// The feature in the vendor's words: "auto-asic-offload", "fasttrack-connection", "flowtable".
    pub mechanism: String,
    /// `None`: every protocol.
    pub protocol: Option<Protocol>,
    /// The ports it applies to (`Any` for all).
    pub ports: Ports,
    pub evidence: Evidence,
}

/// A per-source limit on new sessions (the nearest a packet filter gets to a brute-force ban).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BruteForce {
    pub protocol: Option<Protocol>,
    pub ports: Ports,
    pub evidence: Evidence,
}

/// A key the stated version does not know, or one whose meaning changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionIssue {
    pub key: String,
    pub message: String,
    pub evidence: Evidence,
}
