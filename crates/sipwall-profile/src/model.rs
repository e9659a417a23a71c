//! The profile model: what a VoIP provider asks of a customer's firewall and NAT.
//!
//! The types mirror the TOML format one to one (`docs/profile-format.md`); unknown keys are
//! rejected everywhere so that a typo is an error, not a silently ignored requirement.
//! Every requirement carries `sources`: where the fact comes from (a document of the profile
//! and its section, or an RFC and its section).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::ports::PortSpec;

/// The profile format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A provider profile: the firewall and NAT requirements of one VoIP service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Profile format version; must be 1.
    pub format: u32,
    /// Short identifier: lowercase letters, digits and dashes (e.g. `cloudli`).
    pub id: String,
    /// Human name of the provider or system.
    pub name: String,
    /// Hosted service, on-premise PBX, or a standards baseline.
    pub kind: ProfileKind,
    /// One or two sentences: what this profile is for.
    pub summary: String,
    /// Documents that `sources` entries refer to by `doc`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// Values the provider leaves to the customer, referenced as `${name}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// Traffic the firewall must let through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Flow>,
    /// Requirements on NAT behaviour, binding lifetime and keepalives.
    #[serde(default, skip_serializing_if = "Nat::is_empty")]
    pub nat: Nat,
    /// SIP ALG / SIP helper requirement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_alg: Option<SipAlg>,
    /// Codecs and call volume, for bandwidth sizing and media tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    /// Hardening advice: forwards to avoid, source whitelists, brute-force bans.
    #[serde(default, skip_serializing_if = "Security::is_empty")]
    pub security: Security,
    /// How the firewall policy for the VoIP traffic should be set up.
    #[serde(default, skip_serializing_if = "Policy::is_empty")]
    pub policy: Policy,
    /// Settings the sources give for one firewall vendor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vendor_notes: Vec<VendorNote>,
    /// Places where the sources contradict each other, kept with both sides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileKind {
    /// Phones at the customer talk to the provider's cloud.
    Hosted,
    /// A PBX on the customer's premises, reached from outside through port forwards.
    OnPremise,
    /// A standards baseline (RFCs), not a provider.
    Baseline,
}

/// A document that requirements cite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Identifier used in `sources = [{ doc = "…" }]`.
    pub id: String,
    /// Title of the document.
    pub title: String,
    /// File name (e.g. the seed file) or URL where the document can be read.
    pub location: String,
    /// Language(s) of the document, e.g. `pt` or `fr,en`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// Where a requirement comes from: a profile document and section, or an RFC and section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Id of an entry in `documents` (exactly one of `doc` and `rfc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// RFC number (exactly one of `doc` and `rfc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfc: Option<u16>,
    /// Section heading or number within the document.
    pub section: String,
    /// A short quotation of the source's words, for the reader to check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

/// A value the provider leaves to the customer (e.g. their outbound proxy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Name used in `${name}` references and `--set name=value`.
    pub name: String,
    /// What kind of value it takes; `--set` values are checked against it.
    pub kind: ParameterKind,
    /// What the value is and where the customer finds it.
    pub description: String,
    /// Value used when the customer sets none; without one the parameter is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// An example value, shown in help and errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ParameterKind {
    /// An IP address, a CIDR prefix or a DNS name.
    Host,
    /// One port, a range `a-b`, or `any`.
    Ports,
    /// A network interface or zone name on the firewall.
    Interface,
}

/// Traffic the firewall must let through. `local` is the customer side, `remote` the other side;
/// `direction` says which side opens the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Unique name within the profile, e.g. `sip-udp`.
    pub name: String,
    pub purpose: Purpose,
    pub direction: Direction,
    /// One or more of `udp`, `tcp`, `tls`.
    pub transports: Vec<Transport>,
    /// Ports on the customer side; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_ports: Vec<PortSpec>,
    /// The other side: `any`, addresses, CIDR prefixes, DNS names or `${parameter}`.
    pub remote: Vec<Endpoint>,
    /// Ports on the other side: numbers, ranges `a-b`, `any` or `${parameter}`.
    pub remote_ports: Vec<PortSpec>,
    /// For inbound flows to an on-site server: the inside host the router forwards to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_to: Option<Endpoint>,
    /// False for flows the source calls optional or conditional.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub sources: Vec<Source>,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    SipSignalling,
    SipTls,
    Rtp,
    Stun,
    Ntp,
    Dns,
    Provisioning,
    Web,
    Chat,
    RemoteSupport,
    Iax2,
    License,
    Vpn,
    Ftp,
    Tftp,
    Ssh,
    Api,
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The customer side opens the conversation; replies come back through state.
    Outbound,
    /// The remote side opens the conversation (port forward or pinhole needed).
    Inbound,
    /// Either side may open it.
    Both,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    Udp,
    Tcp,
    /// TLS over TCP (SIPS); a firewall sees it as TCP.
    Tls,
}

/// NAT requirements.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Nat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<MappingRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_types: Option<AcceptedNatTypes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_lifetime: Option<BindingLifetime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keepalives: Vec<Keepalive>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_ttl: Option<SessionTtl>,
    /// The NAT must hairpin: an inside host can reach another inside host's public mapping
    /// (RFC 4787 REQ-9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hairpinning: Option<Requirement>,
    /// Outbound traffic must refresh a binding's timer (RFC 4787 REQ-6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_refresh: Option<Requirement>,
}

/// A requirement that is met or not, with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub why: String,
    pub sources: Vec<Source>,
}

impl Nat {
    pub fn is_empty(&self) -> bool {
        self == &Nat::default()
    }
}

/// The mapping behaviour the NAT must have (RFC 4787 §4.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingRequirement {
    pub behaviour: MappingBehaviour,
    /// Why, in the provider's words or ours.
    pub why: String,
    pub sources: Vec<Source>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum MappingBehaviour {
    /// Same public address and port for one inside address and port, whatever the destination
    /// ("consistent NAT", RFC 4787 REQ-1).
    EndpointIndependent,
    AddressDependent,
    AddressAndPortDependent,
}

/// The classic (RFC 3489) NAT types a provider accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptedNatTypes {
    pub types: Vec<NatType>,
    pub sources: Vec<Source>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum NatType {
    /// No NAT at all: the device has a public address.
    Open,
    FullCone,
    RestrictedCone,
    PortRestrictedCone,
    Symmetric,
}

impl NatType {
    /// The RFC 4787 mapping behaviour each classic type implies.
    pub fn mapping(self) -> MappingBehaviour {
        match self {
            NatType::Symmetric => MappingBehaviour::AddressAndPortDependent,
            _ => MappingBehaviour::EndpointIndependent,
        }
    }
}

/// How long an idle UDP binding must survive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingLifetime {
    /// Shortest acceptable idle timeout, in seconds.
    pub min_seconds: u32,
    /// The value the source recommends, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_seconds: Option<u32>,
    /// Which traffic the timeout applies to (e.g. `SIP over UDP`); all UDP when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<String>,
    /// Where the timeout is set, or other context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub sources: Vec<Source>,
}

/// Keepalive traffic that refreshes NAT bindings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keepalive {
    pub interval_seconds: u32,
    /// Who sends it: the customer's device, or the provider (inbound keepalives).
    pub sender: KeepaliveSender,
    pub method: KeepaliveMethod,
    pub transport: Transport,
    /// Ports the keepalives use on the customer side, when the source names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_ports: Vec<PortSpec>,
    /// Ports the keepalives use on the remote side, when the source names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_ports: Vec<PortSpec>,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KeepaliveSender {
    Device,
    Provider,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KeepaliveMethod {
    /// SIP requests (OPTIONS/NOTIFY) or re-REGISTER.
    Sip,
    /// STUN Binding requests (RFC 5389/8489).
    Stun,
    /// Double-CRLF ping (RFC 5626 §4.4.1).
    Crlf,
    /// The source does not say.
    Unspecified,
}

/// A session lifetime the firewall policy for the VoIP traffic should have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionTtl {
    pub seconds: u32,
    /// Which sessions (e.g. the policy towards the provider's SBC).
    pub scope: String,
    pub sources: Vec<Source>,
}

/// SIP ALG / helper requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SipAlg {
    /// True when every SIP-rewriting feature must be off.
    pub must_be_off: bool,
    /// Names the source uses for the features to switch off.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    pub why: String,
    pub sources: Vec<Source>,
}

/// Media: codecs and volume, for bandwidth sizing and media tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// Codecs in use; empty when the source names none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codecs: Vec<Codec>,
    /// Packetisation interval in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptime_ms: Option<u16>,
    /// Concurrent calls to size for; when absent, the `--calls` of the check decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_calls: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Codec {
    Pcmu,
    Pcma,
    G722,
    G729,
    Opus,
    T38,
}

/// Hardening requirements.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// Inbound ports that must never be forwarded or opened.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub never_forward: Vec<NeverForward>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_source_whitelist: Option<SourceWhitelist>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brute_force: Option<BruteForce>,
    /// The PBX or phones must not sit in a DMZ / exposed host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_dmz: Option<Advice>,
    /// Other advice (toll fraud, voicemail callout, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<Advice>,
}

impl Security {
    pub fn is_empty(&self) -> bool {
        self == &Security::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeverForward {
    pub port: u16,
    pub transports: Vec<Transport>,
    /// The service usually on that port (e.g. `ssh`).
    pub service: String,
    pub why: String,
    pub sources: Vec<Source>,
}

/// Only these sources may reach the SIP port from outside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceWhitelist {
    /// Ports to protect on the customer side.
    pub ports: Vec<PortSpec>,
    pub transports: Vec<Transport>,
    /// Allowed sources; often a `${parameter}` the customer fills in.
    pub allowed: Vec<Endpoint>,
    pub why: String,
    pub sources: Vec<Source>,
}

/// Ban a source after repeated failed SIP authentications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BruteForce {
    pub max_failures: u32,
    /// Window in which failures are counted; absent when the source gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<u32>,
    pub ban_seconds: u32,
    /// Where the policy is set and how binding the numbers are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub sources: Vec<Source>,
}

/// A piece of advice with its reason and source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Advice {
    /// Short name, e.g. `disable-voicemail-callout`.
    pub topic: String,
    pub text: String,
    pub sources: Vec<Source>,
}

/// Vendor-neutral policy advice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Give the VoIP traffic its own firewall policy / rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedicated_rule: Option<Advice>,
    /// Turn hardware/ASIC session offload off for the VoIP traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_hardware_offload: Option<Advice>,
    /// Clear existing sessions (or reboot) after changing the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_sessions_after_change: Option<Advice>,
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        self == &Policy::default()
    }
}

/// A setting the sources give for one firewall vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorNote {
    /// Vendor id, e.g. `fortigate`, `sonicwall`, `mikrotik`.
    pub vendor: String,
    /// The setting, in the vendor's words.
    pub setting: String,
    /// The value asked for.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub sources: Vec<Source>,
}

/// A contradiction between sources, with every side kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    pub topic: String,
    pub sides: Vec<ConflictSide>,
    /// What sipwall does about it, and why.
    pub resolution: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictSide {
    pub claim: String,
    pub sources: Vec<Source>,
}
