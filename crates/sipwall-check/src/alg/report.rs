//! What the SIP ALG test reports: a verdict overall and per path, each backed by the probes
//! and the field-level changes seen on them. Serialised as part of `sipwall check --json`.

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};
use sipwall_proto::control::SocketTransport;

/// The verdict about SIP ALG behaviour, overall or for one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlgVerdict {
    /// Probes and answers arrived unchanged both ways (benign notes at most).
    None,
    /// Something rewrites SIP consistently: our private address and port became exactly the
    /// public mapping the reflector saw (and back), Content-Length stayed right, nothing broke.
    Rewriting,
    /// Something rewrites or drops SIP in a way that breaks calls: a wrong port, an
    /// inconsistent Content-Length, a mangled SDP, a changed Call-ID, a lost large INVITE,
    /// a reset connection.
    Destructive,
    /// Nothing gets through on this path while the control paths work.
    Blocked,
    /// Not enough evidence: the controls failed too, or the reflector kept no records.
    Inconclusive,
}

impl AlgVerdict {
    /// How strongly a verdict weighs when several are combined (higher wins).
    pub(crate) fn weight(self) -> u8 {
        match self {
            AlgVerdict::None => 0,
            AlgVerdict::Inconclusive => 1,
            AlgVerdict::Rewriting => 2,
            AlgVerdict::Blocked => 3,
            AlgVerdict::Destructive => 4,
        }
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            AlgVerdict::None => "no SIP ALG",
            AlgVerdict::Rewriting => "rewriting SIP ALG (consistent)",
            AlgVerdict::Destructive => "destructive SIP ALG",
            AlgVerdict::Blocked => "SIP blocked",
            AlgVerdict::Inconclusive => "inconclusive",
        }
    }
}

/// The whole SIP ALG test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlgReport {
    /// The verdict over every path: the worst of the tested paths' verdicts, and of the
    /// controls' when they show rewriting too (then the ALG is not bound to port 5060).
    pub verdict: AlgVerdict,
    /// One or two sentences for people.
    pub summary: String,
    /// The private IP written into the probes.
    pub private_ip: IpAddr,
    /// The UDP socket's local port, when it is not the 5060 it asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp_port_fallback: Option<u16>,
    /// Every path, tested ones (5060) first, then the controls.
    pub paths: Vec<PathReport>,
    /// Observations that hold across paths (e.g. "the ALG also inspects port 5080").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Whether a path is what the test is about or a control for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathRole {
    /// UDP or TCP to port 5060, where SIP helpers attach.
    Tested,
    /// Another port (5080) or TLS, which ALGs usually leave alone: shows what an untouched
    /// exchange looks like on this network.
    Control,
}

/// One transport and server port: all probes sent there and what became of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathReport {
    /// The reflector's socket name, e.g. `sip-udp-5060`.
    pub name: String,
    pub transport: SocketTransport,
    pub server: SocketAddr,
    pub role: PathRole,
    /// The private address and port written into the probes (the socket's real ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<SocketAddr>,
    /// The public mapping the reflector saw the probes come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<SocketAddr>,
    pub verdict: AlgVerdict,
    /// Why this verdict, most important first.
    pub reasons: Vec<String>,
    pub probes: Vec<ProbeReport>,
    /// How the stream ended before the test was done with it (TCP/TLS only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_end: Option<StreamEndKind>,
}

/// A stream that ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamEndKind {
    ConnectFailed,
    Closed,
    Reset,
    /// The bytes that came back could not be framed as SIP.
    Garbled,
}

/// The four probes of every path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    Register,
    /// An INVITE with a realistic SDP offer (~700 bytes).
    Invite,
    /// An INVITE of at least 1300 bytes: crosses the sizes where ALGs and fragmentation
    /// start losing messages.
    InviteLarge,
    Options,
}

impl ProbeKind {
    /// The order probes are sent in on each path.
    pub const ALL: [ProbeKind; 4] = [
        ProbeKind::Register,
        ProbeKind::Invite,
        ProbeKind::InviteLarge,
        ProbeKind::Options,
    ];

    /// The SIP method.
    pub fn method(self) -> &'static str {
        match self {
            ProbeKind::Register => "REGISTER",
            ProbeKind::Invite | ProbeKind::InviteLarge => "INVITE",
            ProbeKind::Options => "OPTIONS",
        }
    }

    /// A short name for messages.
    pub fn label(self) -> &'static str {
        match self {
            ProbeKind::Register => "REGISTER",
            ProbeKind::Invite => "INVITE",
            ProbeKind::InviteLarge => "large INVITE",
            ProbeKind::Options => "OPTIONS",
        }
    }
}

/// What became of one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// The reflector recorded it and its answer came back.
    Answered,
    /// An answer came back but the reflector had no record of the probe (or the record
    /// could not be fetched): only the answer could be checked.
    AnsweredWithoutRecord,
    /// The reflector recorded it and answered, but the answer never arrived.
    AnswerLost,
    /// Neither an answer nor a record: the probe was dropped on the way.
    Dropped,
    /// The connection was reset while the probe waited for its answer.
    Reset,
    /// The connection was closed while the probe waited for its answer.
    Closed,
    /// What came back on the stream was not SIP.
    Garbled,
    /// Never sent: the socket could not be opened, or the stream ended before.
    NotSent,
}

impl ProbeOutcome {
    /// Whether the reflector got the probe or something answered it: the path carries SIP.
    pub fn got_through(self) -> bool {
        matches!(
            self,
            ProbeOutcome::Answered | ProbeOutcome::AnsweredWithoutRecord | ProbeOutcome::AnswerLost
        )
    }
}

/// One probe's evidence, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub kind: ProbeKind,
    pub call_id: String,
    /// The probe's size in bytes.
    pub size: usize,
    /// How often it was sent (UDP retransmits; 1 on streams).
    pub transmissions: u32,
    pub outcome: ProbeOutcome,
    /// The final response's status code, when one arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The source the reflector saw (the public mapping of this flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<SocketAddr>,
    /// Every difference, upstream (what we sent → what the reflector received) then
    /// downstream (what the reflector sent → what we received).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
}

/// Which way a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Our probe on its way to the reflector.
    Upstream,
    /// The reflector's answer on its way back.
    Downstream,
}

/// The part of a SIP message that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Method, Request-URI and version.
    RequestLine,
    /// Version, status code and reason phrase.
    StatusLine,
    /// A whole Via entry (added above ours, or ours removed).
    Via,
    /// The `sent-by` host:port of our Via entry.
    ViaSentBy,
    /// Our Via's `received` parameter.
    ViaReceived,
    /// Our Via's `rport` parameter.
    ViaRport,
    /// Other parameters, or the transport, of our Via entry.
    ViaParams,
    Contact,
    From,
    To,
    CallId,
    CSeq,
    MaxForwards,
    ContentLength,
    /// SDP `o=` unicast address.
    SdpOrigin,
    /// SDP `c=` connection address.
    SdpConnection,
    /// SDP `m=` port.
    SdpMediaPort,
    /// Other SDP lines.
    Sdp,
    /// A body that is not SDP.
    Body,
    /// Any other header, named in `header`.
    Header,
    /// The order of the headers.
    HeaderOrder,
    /// The mirror's `X-Sipwall-Observed` header.
    ObservedHeader,
    /// A 1xx response: the reflector never sends one, so something on the path answered.
    Provisional,
}

/// What happened to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Rewritten,
    Added,
    Removed,
    /// Moved relative to the other headers.
    Reordered,
    /// Same header, name spelled in another case or in compact form.
    Recased,
    /// Left with the private address while other fields were rewritten to the public one.
    NotRewritten,
    /// Content-Length disagrees with the body that arrived.
    Inconsistent,
    /// The body arrived cut short.
    Truncated,
    /// Max-Forwards went down: something forwarded the message as a proxy.
    Decremented,
}

/// How much a change matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// No SIP implementation cares (case, order, compact names).
    Benign,
    /// A consistent rewrite: works, but a middlebox is editing SIP.
    Rewrite,
    /// Breaks calls or registrations.
    Destructive,
}

/// Who wrote the new value, judged by the address written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewriterRole {
    /// Exactly the public mapping the reflector saw: the NAT device that owns it.
    PublicMapping,
    /// The public IP, but another port than the mapping.
    PublicIpOtherPort,
    /// Our own private address (an answer rewritten back on its way in).
    PrivateAddress,
    /// Neither ours nor the mapping: an upstream device (ISP router, CGNAT, SBC) or garbage.
    OtherAddress,
}

/// The address a middlebox wrote into a field, and what that address is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewriter {
    pub address: String,
    pub role: RewriterRole,
}

/// One field-level difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub direction: Direction,
    pub field: Field,
    /// The header's name, for [`Field::Header`] and [`ChangeKind::Recased`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    pub change: ChangeKind,
    pub severity: Severity,
    /// The value as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The value as it arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// For address rewrites: the address written in, and whose it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Rewriter>,
    /// What it means.
    pub note: String,
}
