//! What the NAT test reports: RFC 4787 behaviours, the other cheap checks, the words provider
//! pages use for them, and the evidence behind every verdict.

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};
use sipwall_profile::NatType;

use super::ServerAddresses;

/// The complete result of a [`super::NatBehaviour`] run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NatReport {
    /// Which of the reflector's four RFC 5780 addresses were available.
    pub server: ServerCoverage,
    /// `Some(false)` when every mapped address equals the socket's own address, `Some(true)`
    /// when any differs, `None` when nothing answered.
    pub nat_present: Option<bool>,
    /// The public address the reflector saw for the mapping socket (what other tests and a
    /// phone's Contact would use).
    pub public_address: Option<SocketAddr>,
    /// RFC 4787 §4.1 mapping behaviour (RFC 5780 §4.3).
    pub mapping: Mapping,
    /// What the mapping socket's requests were mapped to, per destination.
    pub mapped_by_destination: Vec<MappingSample>,
    /// RFC 4787 §5 filtering behaviour (RFC 5780 §4.4).
    pub filtering: Filtering,
    /// Whether the SIP port and the RTP base port keep their number through the NAT.
    pub port_preservation: Vec<PortPreservation>,
    /// RFC 4787 REQ-9 (RFC 5780 §4.5).
    pub hairpin: Hairpin,
    /// A middlebox rewriting addresses inside payloads (RFC 5780 §3.6).
    pub generic_alg: GenericAlg,
    /// Whether a ≈1500-byte datagram gets through (fragments, MTU black holes).
    pub large_packets: LargePackets,
    /// CGNAT, double NAT and no-NAT hints.
    pub topology: Vec<TopologyHint>,
    /// The RFC 3489 name of the behaviour, when the evidence supports one.
    pub classic_type: Option<NatType>,
    /// The words provider pages use for this behaviour ("consistent NAT", "full cone", ...).
    /// The translation follows RFC 4787 §4.1 / §5 and RFC 3489 §5.
    pub seed_terms: Vec<String>,
    /// The RFC 4787 requirements this test can score.
    pub rfc4787: Vec<RequirementCheck>,
    /// Things the reflector's replies got wrong (RESPONSE-ORIGIN, OTHER-ADDRESS, sources).
    pub server_issues: Vec<ServerIssue>,
    /// The loss seen on requests that should all have been answered; silence is only read
    /// as a verdict when this loss cannot plausibly explain it.
    pub loss: LossEstimate,
    /// Rounds of transactions run (a round is repeated when loss left a verdict open).
    pub rounds: u8,
    /// From the first datagram to the report.
    pub elapsed_ms: u64,
    /// Datagrams that matched no transaction (ignored).
    pub stray_datagrams: u32,
    /// Every transaction, in the order they were started.
    pub evidence: Vec<TransactionEvidence>,
}

impl NatReport {
    /// The words provider pages use for what was measured (see [`NatReport::seed_terms`]).
    pub fn seed_terms(&self) -> &[String] {
        &self.seed_terms
    }
}

/// RFC 4787 §4.1 mapping behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Mapping {
    /// Endpoint-independent: one public address per inside socket ("consistent NAT").
    Eim,
    /// Address-dependent: a new public address per destination IP.
    Adm,
    /// Address-and-port-dependent: a new public address per destination IP and port.
    Apdm,
    /// The evidence does not decide.
    Inconclusive {
        /// Why, including what was seen.
        reason: String,
    },
}

/// RFC 4787 §5 filtering behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Filtering {
    /// Endpoint-independent: anyone may send to an open mapping.
    Eif,
    /// Address-dependent: only IPs the inside socket has sent to.
    Adf,
    /// Address-and-port-dependent: only IP:ports the inside socket has sent to.
    Apdf,
    /// The evidence does not decide.
    Inconclusive {
        /// Why.
        reason: String,
    },
}

/// An RFC 5780 §6 server socket: primary/alternate IP × primary/alternate port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ServerRole {
    /// Primary IP, primary port.
    Pp,
    /// Primary IP, alternate port.
    Pa,
    /// Alternate IP, primary port.
    Ap,
    /// Alternate IP, alternate port.
    Aa,
}

impl ServerRole {
    /// All four, in RFC 5780 order.
    pub const ALL: [ServerRole; 4] = [
        ServerRole::Pp,
        ServerRole::Pa,
        ServerRole::Ap,
        ServerRole::Aa,
    ];

    /// The socket on the other IP and the other port (RFC 5780 §6.1 Table 1, "Ca:Cp"): what
    /// OTHER-ADDRESS names in a reply from this one.
    pub fn other(self) -> ServerRole {
        match self {
            ServerRole::Pp => ServerRole::Aa,
            ServerRole::Pa => ServerRole::Ap,
            ServerRole::Ap => ServerRole::Pa,
            ServerRole::Aa => ServerRole::Pp,
        }
    }

    /// The role's short name, as RFC 5780 and docs/protocol.md write it.
    pub fn name(self) -> &'static str {
        match self {
            ServerRole::Pp => "PP",
            ServerRole::Pa => "PA",
            ServerRole::Ap => "AP",
            ServerRole::Aa => "AA",
        }
    }
}

/// Which server addresses the test had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCoverage {
    /// The addresses the test was given.
    pub addresses: ServerAddresses,
    /// All four present: every test can be decided.
    pub complete: bool,
    /// What a partial server cannot tell.
    pub note: Option<String>,
}

/// One answer of the mapping socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingSample {
    /// The server socket the request went to.
    pub role: ServerRole,
    /// Its address.
    pub destination: SocketAddr,
    /// The public address the server saw (XOR-MAPPED-ADDRESS).
    pub mapped: SocketAddr,
}

/// The local port a preservation test used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortPurpose {
    /// The SIP port (5060 by default).
    Sip,
    /// The RTP base port (10000 by default).
    Rtp,
}

/// Port preservation for one local port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortPreservation {
    /// What the port is for.
    pub purpose: PortPurpose,
    /// The local port the test wanted.
    pub port: u16,
    /// What happened.
    pub result: PortResult,
}

/// Whether the NAT kept a local port's number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum PortResult {
    /// The public port equals the local port.
    Preserved {
        /// The public address.
        mapped: SocketAddr,
    },
    /// The NAT chose another port.
    NotPreserved {
        /// The public address.
        mapped: SocketAddr,
    },
    /// The port could not be used (taken by another program, or no socket).
    NotTested {
        /// Why.
        reason: String,
    },
    /// The socket was bound but the server never answered it.
    Inconclusive {
        /// Why.
        reason: String,
    },
}

/// RFC 4787 REQ-9 / RFC 5780 §4.5 hairpinning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Hairpin {
    /// A request sent to another inside socket's public address arrived.
    Works {
        /// The source it arrived from.
        source: SocketAddr,
        /// The source was the sender's public address (REQ-9 b), not its inside one.
        external_source: bool,
    },
    /// Nothing arrived although both sockets had working paths and the loss seen cannot
    /// explain the silence.
    NoHairpin,
    /// The question does not arise (no NAT).
    NotApplicable {
        /// Why.
        reason: String,
    },
    /// The evidence does not decide.
    Inconclusive {
        /// Why.
        reason: String,
    },
}

/// Generic ALG: a middlebox rewriting the public address inside payloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum GenericAlg {
    /// MAPPED-ADDRESS equalled XOR-MAPPED-ADDRESS in every answer that had both.
    NotDetected {
        /// How many answers were compared.
        responses_compared: u32,
    },
    /// Some answer was rewritten on the way.
    Detected {
        /// MAPPED-ADDRESS values that differed from XOR-MAPPED-ADDRESS.
        rewritten: Vec<RewrittenAddress>,
        /// Replies whose FINGERPRINT no longer matched (payload changed in flight).
        fingerprint_failures: u32,
    },
    /// No answer carried both attributes.
    NotTested {
        /// Why.
        reason: String,
    },
}

/// A MAPPED-ADDRESS that a middlebox rewrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewrittenAddress {
    /// What the server saw (XOR-MAPPED-ADDRESS, which ALGs do not recognise).
    pub xor_mapped: SocketAddr,
    /// What arrived in MAPPED-ADDRESS.
    pub mapped: SocketAddr,
}

/// The large-packet (PADDING) test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum LargePackets {
    /// The padded request was answered.
    Passed {
        /// Size of the padded STUN request (UDP payload).
        request_bytes: usize,
        /// Size of the answer (the reflector pads it to the request's size).
        response_bytes: usize,
    },
    /// Small requests from the same socket were answered, every padded one was lost, and
    /// the loss seen cannot explain that: large datagrams (or their fragments) are dropped
    /// in one direction or both.
    Dropped {
        /// Size of the padded STUN request.
        request_bytes: usize,
    },
    /// Not run (option off).
    NotTested {
        /// Why.
        reason: String,
    },
    /// The evidence does not decide.
    Inconclusive {
        /// Why.
        reason: String,
    },
}

/// Facts about the path between the client and the internet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hint", rename_all = "snake_case")]
pub enum TopologyHint {
    /// The mapped address is the client's own: no NAT (maybe still a firewall).
    NoNat,
    /// The client's own address is in 100.64.0.0/10 (RFC 6598): the ISP's carrier-grade
    /// NAT is in the path.
    LocalSharedAddress {
        /// The client's address.
        local: IpAddr,
    },
    /// The reflector saw an RFC 6598 address: the reflector is inside the same CGNAT.
    ServerSeesSharedAddress {
        /// The mapped address.
        public: IpAddr,
    },
    /// The reflector saw a private (RFC 1918 / ULA) address: it is inside a private network.
    ServerSeesPrivateAddress {
        /// The mapped address.
        public: IpAddr,
    },
    /// The router's own public address differs from the mapped one: another NAT is upstream.
    DoubleNat {
        /// What the router says its public address is.
        router: IpAddr,
        /// What the reflector saw.
        public: IpAddr,
    },
}

impl TopologyHint {
    /// One sentence for people.
    pub fn describe(&self) -> String {
        match self {
            TopologyHint::NoNat => "no NAT: the reflector saw this host's own address".into(),
            TopologyHint::LocalSharedAddress { local } => format!(
                "this host has {local}, an RFC 6598 shared address: the ISP uses carrier-grade NAT"
            ),
            TopologyHint::ServerSeesSharedAddress { public } => format!(
                "the reflector saw {public} (RFC 6598): it sits inside the same carrier-grade NAT, results do not describe the path to the internet"
            ),
            TopologyHint::ServerSeesPrivateAddress { public } => format!(
                "the reflector saw {public}, a private address: it is inside a private network, results do not describe the path to the internet"
            ),
            TopologyHint::DoubleNat { router, public } => format!(
                "the router's public address {router} differs from {public} seen by the reflector: there is another NAT upstream (double NAT)"
            ),
        }
    }
}

/// One RFC 4787 requirement, scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementCheck {
    /// "REQ-1", "REQ-8", "REQ-9".
    pub id: String,
    /// What it asks, in a few words.
    pub summary: String,
    /// The score.
    pub status: RequirementStatus,
    /// Why, when not plainly met.
    pub note: Option<String>,
}

/// How a requirement was scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementStatus {
    /// Met.
    Met,
    /// Not met.
    NotMet,
    /// The evidence does not decide.
    Unknown,
    /// There is no NAT to score.
    NotApplicable,
}

/// Loss on the requests that should all have been answered (plain Binding requests).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossEstimate {
    /// Transmissions of those requests.
    pub attempts: u32,
    /// Transmissions that got no answer (an answer is credited to the last one).
    pub unanswered: u32,
    /// `unanswered / attempts`.
    pub observed: f64,
    /// The per-transmission failure rate used to read silence: the upper end of a one-sided
    /// 95 % Wilson score interval, so that a lucky streak on a few samples never makes
    /// silence look more telling than it is (1.0 when nothing was measured). Used for every
    /// transmission unless [`LossEstimate::split`] is set.
    pub upper_bound: f64,
    /// The same count for the first transmission of each request only.
    #[serde(default)]
    pub first_transmissions: LossCount,
    /// The same count for retransmissions only.
    #[serde(default)]
    pub retransmissions: LossCount,
    /// First transmissions and retransmissions were lost at clearly different rates (one's
    /// 95 % lower bound above the other's upper bound), so silence was read with each kind's
    /// own upper bound instead of [`LossEstimate::upper_bound`]. Typical when the first
    /// datagram of every request is lost and its retransmissions are not: a client that
    /// could not send yet, ARP resolution, or a middlebox that drops the packet that sets up
    /// a flow.
    #[serde(default)]
    pub split: bool,
}

/// Loss on one kind of transmission of the plain requests.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LossCount {
    /// Transmissions of this kind.
    pub attempts: u32,
    /// Those that got no answer.
    pub unanswered: u32,
    /// One-sided 95 % Wilson upper bound of the failure rate (1.0 without transmissions).
    pub upper_bound: f64,
}

/// Something wrong with the reflector's replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "issue", rename_all = "snake_case")]
pub enum ServerIssue {
    /// RESPONSE-ORIGIN named another address than the reply came from: a NAT in front of the
    /// reflector, or a wrong advertised address.
    OriginMismatch {
        /// Where the reply came from.
        source: SocketAddr,
        /// What RESPONSE-ORIGIN said.
        origin: SocketAddr,
    },
    /// Replies carry no RESPONSE-ORIGIN: not an RFC 5780 server.
    OriginMissing,
    /// OTHER-ADDRESS in an answer from PP differs from the listed AA. PP's OTHER-ADDRESS is
    /// what defines the alternate address (RFC 5780 §7.2), so silence from AA or PA then
    /// says nothing: filtering stays inconclusive.
    OtherAddressMismatch {
        /// The address from the reflector's socket list.
        listed: SocketAddr,
        /// OTHER-ADDRESS.
        advertised: SocketAddr,
    },
    /// AA was listed but answers from PP carry no OTHER-ADDRESS (RFC 5780 §6: the server
    /// has no alternate address): filtering stays inconclusive.
    OtherAddressMissing {
        /// The address from the list.
        listed: SocketAddr,
    },
    /// Informational, never changes a verdict: an answer from PA, AP or AA (including one to
    /// a CHANGE-REQUEST) carries another OTHER-ADDRESS than RFC 5780 §6.1 Table 1 gives for
    /// the socket the request went to, or none. Servers read §7.4 differently: coturn 4.6
    /// answers with the alternate IP and the other port whatever the socket (AP → AA, AA →
    /// AP), and its own client classifies fine.
    OtherAddressNote {
        /// The socket the request was sent to.
        role: ServerRole,
        /// Where the answer came from.
        source: SocketAddr,
        /// The listed socket on the other IP and port of `role`.
        expected: SocketAddr,
        /// OTHER-ADDRESS (`None`: absent).
        advertised: Option<SocketAddr>,
    },
    /// OTHER-ADDRESS is advertised but the reflector listed no such socket.
    OtherAddressUnlisted {
        /// OTHER-ADDRESS.
        advertised: SocketAddr,
    },
    /// A reply with a known transaction ID came from an address other than expected; it was
    /// not accepted.
    UnexpectedSource {
        /// The address the answer had to come from.
        expected: SocketAddr,
        /// Where it came from.
        source: SocketAddr,
    },
}

impl ServerIssue {
    /// Whether the issue casts doubt on the reflector's alternate address, so that waiting
    /// for a reply from it in vain says nothing about the NAT. Only what PP says counts
    /// ([`ServerIssue::OtherAddressNote`] never does).
    pub(crate) fn doubts_alternate(&self) -> bool {
        matches!(
            self,
            ServerIssue::OtherAddressMismatch { .. } | ServerIssue::OtherAddressMissing { .. }
        )
    }
}

/// One transaction as it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionEvidence {
    /// What the transaction was for.
    pub test: String,
    /// The round it belongs to (1 = first).
    pub round: u8,
    /// The machine's socket number.
    pub socket: u32,
    /// The socket's local address.
    pub local: Option<SocketAddr>,
    /// Where the request went.
    pub destination: SocketAddr,
    /// The address the answer had to come from (`None` for hairpin probes, which are
    /// received by the other socket).
    pub expected_source: Option<SocketAddr>,
    /// Size of the request.
    pub request_bytes: usize,
    /// Transmissions.
    pub attempts: u8,
    /// What came back.
    pub outcome: TransactionOutcome,
    /// Replies with this transaction's ID that were not accepted.
    pub rejected: Vec<RejectedReply>,
}

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TransactionOutcome {
    /// A success response from the expected source.
    Answered {
        /// Where it came from.
        source: SocketAddr,
        /// XOR-MAPPED-ADDRESS.
        xor_mapped: Option<SocketAddr>,
        /// MAPPED-ADDRESS.
        mapped: Option<SocketAddr>,
        /// RESPONSE-ORIGIN.
        response_origin: Option<SocketAddr>,
        /// OTHER-ADDRESS.
        other_address: Option<SocketAddr>,
        /// Round-trip time, when the request was sent once (Karn: retransmitted requests
        /// give ambiguous samples).
        rtt_ms: Option<f64>,
        /// Arrived after the transaction had been given up.
        late: bool,
        /// Size of the answer.
        response_bytes: usize,
    },
    /// An error response from the expected source.
    Error {
        /// Where it came from.
        source: SocketAddr,
        /// ERROR-CODE (0 when absent).
        code: u16,
    },
    /// A hairpin probe arrived at the other socket.
    Received {
        /// The source it arrived from.
        source: SocketAddr,
    },
    /// No acceptable answer after the last retransmission timeout.
    Lost,
    /// Never sent.
    NotSent {
        /// Why.
        reason: String,
    },
}

/// A reply that carried a transaction's ID but was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedReply {
    /// Where it came from.
    pub source: SocketAddr,
    /// Why it was not accepted.
    pub reason: String,
}

/// The seed term for a public address behind a stateful firewall (no translation, but
/// unsolicited inbound traffic is dropped).
pub(crate) const NO_NAT_FIREWALL: &str =
    "no NAT, stateful firewall (symmetric UDP firewall, RFC 3489)";

/// The names for a measured behaviour: the RFC 3489 class and the words provider pages use.
///
/// RFC 4787 §4.1 and §5 define the mapping and filtering behaviours and note how the RFC
/// 3489 §5 "cone" names map onto them: full cone = EIM + EIF, restricted cone = EIM + ADF,
/// port-restricted cone = EIM + APDF, symmetric = a mapping that is not endpoint-independent
/// (RFC 3489 only defined it with port-dependent filtering; providers use it for any such
/// mapping). "Consistent NAT" in provider pages is EIM (RFC 4787 REQ-1).
///
/// Without NAT, RFC 3489 §10.1 says "Open Internet" only when unsolicited inbound traffic
/// gets through (test II answered: EIF); when it does not, the host sits behind a stateful
/// firewall, "Symmetric UDP Firewall", which [`NatType`] has no value for: no class then,
/// and the seed terms say it in words.
pub(crate) fn naming(
    nat_present: Option<bool>,
    mapping: &Mapping,
    filtering: &Filtering,
) -> (Option<NatType>, Vec<String>) {
    let mut terms: Vec<&str> = Vec::new();
    let classic = if nat_present == Some(false) {
        terms.push("no NAT");
        match filtering {
            Filtering::Eif => {
                terms.push("open internet");
                Some(NatType::Open)
            }
            // RFC 3489 §5 / §10.1's name for a public address behind a filtering firewall
            // (its test II fails for ADF too).
            Filtering::Adf | Filtering::Apdf => {
                terms.extend([
                    NO_NAT_FIREWALL,
                    "stateful firewall",
                    "symmetric UDP firewall",
                ]);
                None
            }
            Filtering::Inconclusive { .. } => None,
        }
    } else {
        match (mapping, filtering) {
            (Mapping::Adm | Mapping::Apdm, _) => {
                terms.extend(["not consistent NAT", "symmetric NAT"]);
                Some(NatType::Symmetric)
            }
            (Mapping::Eim, f) => {
                terms.push("consistent NAT");
                let cone = match f {
                    Filtering::Eif => Some(("full cone NAT", NatType::FullCone)),
                    Filtering::Adf => Some(("restricted cone NAT", NatType::RestrictedCone)),
                    Filtering::Apdf => {
                        Some(("port restricted cone NAT", NatType::PortRestrictedCone))
                    }
                    Filtering::Inconclusive { .. } => None,
                };
                cone.map(|(term, class)| {
                    terms.push(term);
                    class
                })
            }
            (Mapping::Inconclusive { .. }, _) => None,
        }
    };
    (classic, terms.into_iter().map(String::from).collect())
}

/// Scores RFC 4787 REQ-1 (EIM), REQ-8 (EIF or ADF recommended) and REQ-9 (hairpinning).
pub(crate) fn rfc4787_checks(
    nat_present: Option<bool>,
    mapping: &Mapping,
    filtering: &Filtering,
    hairpin: &Hairpin,
) -> Vec<RequirementCheck> {
    let no_nat = nat_present == Some(false);
    let check = |id: &str, summary: &str, status, note: Option<String>| RequirementCheck {
        id: id.into(),
        summary: summary.into(),
        status: if no_nat {
            RequirementStatus::NotApplicable
        } else {
            status
        },
        note: if no_nat {
            Some("no NAT in the path".into())
        } else {
            note
        },
    };
    let (m_status, m_note) = match mapping {
        Mapping::Eim => (RequirementStatus::Met, None),
        Mapping::Adm | Mapping::Apdm => (RequirementStatus::NotMet, None),
        Mapping::Inconclusive { reason } => (RequirementStatus::Unknown, Some(reason.clone())),
    };
    let (f_status, f_note) = match filtering {
        Filtering::Eif | Filtering::Adf => (RequirementStatus::Met, None),
        Filtering::Apdf => (
            RequirementStatus::NotMet,
            Some("address-and-port-dependent filtering: works with keepalives, but RFC 4787 recommends EIF or ADF".into()),
        ),
        Filtering::Inconclusive { reason } => (RequirementStatus::Unknown, Some(reason.clone())),
    };
    let (h_status, h_note) = match hairpin {
        Hairpin::Works {
            external_source: true,
            ..
        } => (RequirementStatus::Met, None),
        Hairpin::Works { source, .. } => (
            RequirementStatus::NotMet,
            Some(format!(
                "hairpinned with the inside source {source}; REQ-9 b asks for the external one"
            )),
        ),
        Hairpin::NoHairpin => (RequirementStatus::NotMet, None),
        Hairpin::NotApplicable { reason } | Hairpin::Inconclusive { reason } => {
            (RequirementStatus::Unknown, Some(reason.clone()))
        }
    };
    vec![
        check("REQ-1", "endpoint-independent mapping", m_status, m_note),
        check(
            "REQ-8",
            "endpoint-independent or address-dependent filtering (recommended)",
            f_status,
            f_note,
        ),
        check("REQ-9", "hairpinning", h_status, h_note),
    ]
}

/// CGNAT, private-server, double-NAT and no-NAT hints from the addresses alone.
pub(crate) fn topology_hints(
    local_ip: IpAddr,
    public: Option<SocketAddr>,
    nat_present: Option<bool>,
    router_public_ip: Option<IpAddr>,
) -> Vec<TopologyHint> {
    let mut hints = Vec::new();
    if nat_present == Some(false) {
        hints.push(TopologyHint::NoNat);
    }
    if is_shared(local_ip) {
        hints.push(TopologyHint::LocalSharedAddress { local: local_ip });
    }
    if let Some(public) = public.map(|p| p.ip().to_canonical()) {
        if is_shared(public) {
            hints.push(TopologyHint::ServerSeesSharedAddress { public });
        } else if is_private(public) && nat_present == Some(true) {
            // Without NAT a private mapped address just means both ends share a LAN.
            hints.push(TopologyHint::ServerSeesPrivateAddress { public });
        }
        if let Some(router) = router_public_ip
            && router.to_canonical() != public
        {
            hints.push(TopologyHint::DoubleNat { router, public });
        }
    }
    hints
}

/// RFC 6598 shared address space, 100.64.0.0/10.
fn is_shared(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            a == 100 && (b & 0xC0) == 64
        }
        IpAddr::V6(_) => false,
    }
}

/// RFC 1918 and IPv6 unique-local addresses.
fn is_private(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => v6.is_unique_local(),
    }
}
