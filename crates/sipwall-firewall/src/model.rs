//! The vendor-independent firewall model: what a firewall does for the VoIP traffic, in five
//! concerns (allow rules, NAT, ALG/helper state, session timeouts, hygiene) plus brute-force
//! limits.
//!
//! The same types serve both directions of DESIGN principle 4: `from_profile` builds a [`Policy`]
//! from a provider profile and a vendor module renders it; a vendor parser (the auditor, not
//! written yet) will read an export into the same types. Items built from a profile carry
//! [`Origin`]s naming the profile requirement and its sources (principle 1); items read from an
//! export will carry none until the auditor adds a location.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sipwall_profile::{Document, Purpose, Source};

/// A firewall policy for one profile on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// The profile the policy was built from (`id`, `name`), when it was built from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRef>,
    /// Documents the origins' `doc` entries refer to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// Interface or zone names.
    pub zones: Zones,
    /// What happens to forwarded traffic that no rule allows.
    pub forward_default: Action,
    /// Allow rules, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    pub nat: Nat,
    /// ALG / helper state per protocol.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub algs: Vec<Alg>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeouts: Vec<Timeout>,
    pub hygiene: Hygiene,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brute_force: Vec<BruteForceLimit>,
    /// Requirements the model holds but no rule expresses (session TTLs, advice, …), kept so a
    /// renderer can say so instead of dropping them silently.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<PolicyNote>,
}

impl Policy {
    /// The profile wants the SIP ALG (helper, inspection, fixup) off.
    pub fn sip_alg_off(&self) -> bool {
        self.algs
            .iter()
            .any(|a| matches!(a.protocol, AlgProtocol::Sip) && !a.enabled)
    }

    /// The policy carries a note on `topic` (e.g. `clear-sessions-after-change`).
    pub fn has_note(&self, topic: &str) -> bool {
        self.notes.iter().any(|n| n.topic == topic)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRef {
    pub id: String,
    pub name: String,
}

/// The inside and outside of the device, as interface names (Linux) or zone names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zones {
    pub lan: String,
    pub wan: String,
    /// The virtual domain (FortiGate VDOM) the rules belong to; `None` on a unit without them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vdom: Option<String>,
}

/// Where an item of the policy comes from: the profile requirement and its sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// The profile path of the requirement, e.g. `flows[sip]` or `security.never_forward[22]`.
    pub requirement: String,
    /// The seed document sections or RFCs the requirement cites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
}

impl Origin {
    pub fn new(requirement: impl Into<String>, sources: &[Source]) -> Self {
        Origin {
            requirement: requirement.into(),
            sources: sources.to_vec(),
        }
    }
}

/// Which side opens the connection, seen from the customer's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// LAN to WAN; replies return through connection state.
    Outbound,
    /// WAN to LAN (after a port forward, or to routed inside addresses).
    Inbound,
}

/// The layer-4 protocol a firewall matches. TLS is TCP to a firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    Udp,
    Tcp,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One side of a rule. An empty list of addresses means any address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Address {
    /// An address (a /32 or /128) or a prefix.
    Net(IpNet),
    /// A DNS name; vendors with FQDN objects match it natively, others need it resolved.
    Fqdn(String),
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Net(net) if net.prefix_len() == net.max_prefix_len() => net.addr().fmt(f),
            Address::Net(net) => net.fmt(f),
            Address::Fqdn(name) => f.write_str(name),
        }
    }
}

/// An inclusive port range; a single port has `first == last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn new(first: u16, last: u16) -> Self {
        PortRange {
            first: first.min(last),
            last: first.max(last),
        }
    }

    pub fn single(port: u16) -> Self {
        PortRange::new(port, port)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// A set of ports: any, or sorted, merged, non-empty ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "ranges")]
pub enum Ports {
    Any,
    Set(Vec<PortRange>),
}

impl Ports {
    /// A normalised set (sorted, overlapping and adjacent ranges merged); ranges covering
    /// 0-65535 or 1-65535 become `Any`. An empty input is `Any`.
    pub fn from_ranges(ranges: impl IntoIterator<Item = PortRange>) -> Ports {
        let mut ranges: Vec<PortRange> = ranges.into_iter().collect();
        if ranges.is_empty() {
            return Ports::Any;
        }
        ranges.sort();
        let mut merged: Vec<PortRange> = Vec::with_capacity(ranges.len());
        for range in ranges {
            match merged.last_mut() {
                Some(last) if u32::from(range.first) <= u32::from(last.last) + 1 => {
                    last.last = last.last.max(range.last);
                }
                _ => merged.push(range),
            }
        }
        if merged.len() == 1 && merged[0].first <= 1 && merged[0].last == u16::MAX {
            Ports::Any
        } else {
            Ports::Set(merged)
        }
    }

    pub fn single(port: u16) -> Ports {
        Ports::Set(vec![PortRange::single(port)])
    }

    pub fn is_any(&self) -> bool {
        matches!(self, Ports::Any)
    }

    /// The ranges; `Any` is 1-65535.
    pub fn ranges(&self) -> Vec<PortRange> {
        match self {
            Ports::Any => vec![PortRange::new(1, u16::MAX)],
            Ports::Set(ranges) => ranges.clone(),
        }
    }

    /// The ports in both sets; `None` when they share none.
    pub fn intersect(&self, other: &Ports) -> Option<Ports> {
        match (self, other) {
            (Ports::Any, other) | (other, Ports::Any) => Some(other.clone()),
            (Ports::Set(a), Ports::Set(b)) => {
                let mut out = Vec::new();
                for x in a {
                    for y in b {
                        let first = x.first.max(y.first);
                        let last = x.last.min(y.last);
                        if first <= last {
                            out.push(PortRange::new(first, last));
                        }
                    }
                }
                (!out.is_empty()).then(|| Ports::from_ranges(out))
            }
        }
    }

    /// The ports of `self` not in `other`; `None` when nothing is left.
    pub fn subtract(&self, other: &Ports) -> Option<Ports> {
        let mut left = self.ranges();
        for cut in other.ranges() {
            let mut next = Vec::new();
            for range in left {
                if cut.last < range.first || cut.first > range.last {
                    next.push(range);
                    continue;
                }
                if cut.first > range.first {
                    next.push(PortRange::new(range.first, cut.first - 1));
                }
                if cut.last < range.last {
                    next.push(PortRange::new(cut.last + 1, range.last));
                }
            }
            left = next;
        }
        (!left.is_empty()).then(|| Ports::from_ranges(left))
    }
}

impl fmt::Display for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ports::Any => f.write_str("any"),
            Ports::Set(ranges) => {
                let parts: Vec<String> = ranges.iter().map(PortRange::to_string).collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Accept,
    Drop,
}

/// An allow (or deny) rule for one protocol. Empty address lists mean any address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable name, e.g. `sip-out-udp`; vendors use it in comments and object names.
    pub name: String,
    /// What the traffic is for, when known (the auditor uses it to find the SIP rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    pub direction: Direction,
    pub protocol: Protocol,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<Address>,
    pub source_ports: Ports,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destination: Vec<Address>,
    pub destination_ports: Ports,
    pub action: Action,
    /// False for flows the source calls optional.
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

/// NAT behaviour of the device towards the WAN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nat {
    /// Source NAT of inside hosts to the WAN address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_nat: Option<SourceNat>,
    /// Destination NAT of inbound ports to an inside host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_forwards: Vec<PortForward>,
}

/// Source NAT (masquerade / PAT) and the mapping behaviour it must keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceNat {
    /// The inside source port is kept when it is free (no port randomisation).
    pub port_preservation: bool,
    /// Same public address and port for one inside address and port, whatever the destination
    /// (RFC 4787 REQ-1, "consistent NAT").
    pub endpoint_independent_mapping: bool,
    /// Names of the rules whose traffic needs this behaviour; empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub for_rules: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

/// An inbound port forward. `ports = Any` with no protocol is an exposed (DMZ) host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortForward {
    pub name: String,
    /// `None`: every protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The outside ports; the inside port is the same.
    pub ports: Ports,
    pub to: IpAddr,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

impl PortForward {
    /// True for a forward of everything to one host (a "DMZ host").
    pub fn is_dmz_host(&self) -> bool {
        self.protocol.is_none() && self.ports.is_any()
    }
}

/// An application-level gateway (ALG) or conntrack helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlgProtocol {
    Sip,
}

/// The state an ALG must have, and the ports it would hook (its scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alg {
    pub protocol: AlgProtocol,
    pub enabled: bool,
    /// The profile's ports for that protocol, which an ALG must not touch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<(Protocol, Ports)>,
    /// The names the sources use for the feature ("SIP ALG", "SIP Fixup", …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known_as: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

/// Where a session timeout applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "ports")]
pub enum TimeoutScope {
    /// Every session of the protocol.
    Global,
    /// Sessions to these destination ports (either direction).
    Ports(Ports),
}

/// The idle timeout sessions of a protocol must have at least.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeout {
    pub name: String,
    pub protocol: Protocol,
    pub scope: TimeoutScope,
    /// Idle seconds before a session that saw no reply expires.
    pub unreplied_seconds: u32,
    /// Idle seconds before a session that saw replies expires.
    pub replied_seconds: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

/// Hygiene: what must never be reachable from outside.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hygiene {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbidden_inbound: Vec<ForbiddenInbound>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_whitelists: Vec<SourceWhitelist>,
    /// Set when the profile forbids a DMZ / exposed host: renderers emit none and the auditor
    /// flags any [`PortForward::is_dmz_host`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_dmz: Option<Origin>,
}

/// An inbound port that must be neither forwarded nor opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForbiddenInbound {
    pub protocol: Protocol,
    pub port: u16,
    /// The service usually on that port, e.g. `ssh`.
    pub service: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

/// Only `allowed` sources may reach these inbound ports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceWhitelist {
    pub protocol: Protocol,
    pub ports: Ports,
    pub allowed: Vec<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

/// A per-source limit on new inbound sessions to a port, with a ban for sources that exceed
/// it. A packet filter cannot see failed SIP authentications; this is the nearest it can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BruteForceLimit {
    pub name: String,
    pub protocol: Protocol,
    pub ports: Ports,
    /// New sessions per source allowed per `per_seconds`.
    pub max_new_sessions: u32,
    pub per_seconds: u32,
    /// True when the profile gives no window and `per_seconds` is sipwall's assumption.
    #[serde(default)]
    pub window_assumed: bool,
    pub ban_seconds: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

/// A requirement kept in the model but not expressed as a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyNote {
    pub topic: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ranges: &[(u16, u16)]) -> Ports {
        Ports::from_ranges(ranges.iter().map(|&(a, b)| PortRange::new(a, b)))
    }

    #[test]
    fn port_sets_are_normalised() {
        assert_eq!(
            set(&[(5080, 5080), (5060, 5061), (5062, 5062)]),
            set(&[(5060, 5062), (5080, 5080)])
        );
        assert_eq!(set(&[(1, 100), (50, 65535)]), Ports::Any);
        assert_eq!(Ports::from_ranges([]), Ports::Any);
        assert_eq!(set(&[(10, 20), (5, 7)]).to_string(), "5-7,10-20");
    }

    #[test]
    fn port_set_algebra() {
        let sip = set(&[(5060, 5060)]);
        let range = set(&[(5000, 5100)]);
        assert_eq!(range.intersect(&sip), Some(sip.clone()));
        assert_eq!(
            range.subtract(&sip),
            Some(set(&[(5000, 5059), (5061, 5100)]))
        );
        assert_eq!(sip.subtract(&range), None);
        assert_eq!(sip.intersect(&set(&[(1, 10)])), None);
        assert_eq!(Ports::Any.subtract(&set(&[(1, 65535)])), None);
        assert_eq!(
            Ports::Any.subtract(&sip),
            Some(set(&[(1, 5059), (5061, 65535)]))
        );
    }
}
