//! The reflector's STUN core, sans-IO: one request datagram (or one framed TCP message) in,
//! one reply and the socket to send it from out — or a counted reason to stay silent.
//!
//! It answers Binding requests per RFC 8489 §6.3 and the NAT Behavior Discovery usage (RFC
//! 5780 §6), and classic RFC 3489 §8.1 Binding requests in their own format.
//!
//! The size rules and the amplification table are documented on [`respond`].

use std::net::{IpAddr, SocketAddr};

use super::attributes::{
    Attribute, AttributeTypes, ChangeRequest, ErrorCode, MAX_TEXT_CHARS, attr,
};
use super::encode::{EncodeError, MessageEncoder};
use super::integrity::{FINGERPRINT_ATTR_LEN, FingerprintStatus};
use super::legacy;
use super::message::{Class, DecodeError, Message, MessageType, Method, padded};

/// The four sockets of an RFC 5780 §6 server: primary/alternate IP × primary/alternate port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketRole {
    /// PP: primary IP, primary port.
    PrimaryIpPrimaryPort,
    /// PA: primary IP, alternate port.
    PrimaryIpAlternatePort,
    /// AP: alternate IP, primary port.
    AlternateIpPrimaryPort,
    /// AA: alternate IP, alternate port.
    AlternateIpAlternatePort,
}

impl SocketRole {
    /// All four roles, PP PA AP AA.
    pub const ALL: [SocketRole; 4] = [
        SocketRole::PrimaryIpPrimaryPort,
        SocketRole::PrimaryIpAlternatePort,
        SocketRole::AlternateIpPrimaryPort,
        SocketRole::AlternateIpAlternatePort,
    ];

    /// The role with the given IP and port choices.
    pub const fn from_parts(alternate_ip: bool, alternate_port: bool) -> SocketRole {
        match (alternate_ip, alternate_port) {
            (false, false) => SocketRole::PrimaryIpPrimaryPort,
            (false, true) => SocketRole::PrimaryIpAlternatePort,
            (true, false) => SocketRole::AlternateIpPrimaryPort,
            (true, true) => SocketRole::AlternateIpAlternatePort,
        }
    }

    /// Whether this socket is on the alternate IP.
    pub const fn alternate_ip(self) -> bool {
        matches!(
            self,
            SocketRole::AlternateIpPrimaryPort | SocketRole::AlternateIpAlternatePort
        )
    }

    /// Whether this socket is on the alternate port.
    pub const fn alternate_port(self) -> bool {
        matches!(
            self,
            SocketRole::PrimaryIpAlternatePort | SocketRole::AlternateIpAlternatePort
        )
    }

    /// RFC 5780 §6.1 Table 1: the socket to answer from, relative to the one the request
    /// arrived on (Da, Dp): "change IP" → Ca, "change port" → Cp.
    pub const fn changed(self, change: ChangeRequest) -> SocketRole {
        SocketRole::from_parts(
            self.alternate_ip() != change.change_ip,
            self.alternate_port() != change.change_port,
        )
    }

    /// RFC 5780 §6.1 Table 1: Ca:Cp, what OTHER-ADDRESS / CHANGED-ADDRESS advertise.
    pub const fn other(self) -> SocketRole {
        SocketRole::from_parts(!self.alternate_ip(), !self.alternate_port())
    }
}

/// The transport a request came over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP: CHANGE-REQUEST and RESPONSE-PORT can be honoured.
    Udp,
    /// TCP or TLS-over-TCP: the reply goes back on the same connection (RFC 8489 §6.3.1.2).
    Tcp,
}

/// When to include MAPPED-ADDRESS in a success response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MappedAddressPolicy {
    /// Always, as RFC 5780 §6.1 requires ("MUST include both MAPPED-ADDRESS and
    /// XOR-MAPPED-ADDRESS"); it is also what generic-ALG detection compares (§3.6 there).
    #[default]
    Always,
    /// Only while the reply stays no larger than the request (RFC 8489-only servers).
    WhenItFits,
}

/// What the responder needs to know about the server's addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponderConfig {
    /// The primary socket address (PP).
    pub primary: SocketAddr,
    /// The alternate address: other IP *and* other port (AA), as RFC 5780 OTHER-ADDRESS.
    /// `None` for a one-address server (RFC 5780 §6: no OTHER-ADDRESS, 420 to CHANGE-REQUEST).
    pub alternate: Option<SocketAddr>,
    /// 1:1 NAT mode: the public IP for the primary address, written in RESPONSE-ORIGIN,
    /// OTHER-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS instead of the bound one.
    pub advertised_primary_ip: Option<IpAddr>,
    /// 1:1 NAT mode: the public IP for the alternate address.
    pub advertised_alternate_ip: Option<IpAddr>,
    /// SOFTWARE text (RFC 8489 §14.14: fewer than 128 characters), sent when it fits.
    pub software: Option<&'static str>,
    /// MAPPED-ADDRESS policy; the default follows RFC 5780 §6.1.
    pub mapped_address: MappedAddressPolicy,
}

/// Why a [`ResponderConfig`] cannot serve RFC 5780 correctly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// RFC 5780 §6: the alternate must be a second IP address.
    #[error("the alternate address must use a different IP than the primary")]
    AlternateSameIp,
    /// RFC 5780 §6: the alternate must use the other port of the pair.
    #[error("the alternate address must use a different port than the primary")]
    AlternateSamePort,
    /// Addresses of one responder are of one family.
    #[error("primary, alternate and advertised addresses must all be IPv4 or all IPv6")]
    FamilyMismatch,
    /// Nothing to advertise for the alternate.
    #[error("an advertised alternate IP is set but no alternate address")]
    AdvertisedWithoutAlternate,
    /// A wildcard bind needs an advertised IP, or RESPONSE-ORIGIN would say 0.0.0.0.
    #[error("an unspecified (wildcard) address needs an advertised IP")]
    UnspecifiedWithoutAdvertised,
    /// Port 0 cannot be advertised.
    #[error("port 0 cannot be served")]
    PortZero,
    /// RFC 8489 §14.14.
    #[error("SOFTWARE must be fewer than 128 characters")]
    SoftwareTooLong,
}

impl ResponderConfig {
    /// A one-address server on `primary`, RFC 5780 §6.1 defaults.
    pub fn new(primary: SocketAddr) -> ResponderConfig {
        ResponderConfig {
            primary,
            alternate: None,
            advertised_primary_ip: None,
            advertised_alternate_ip: None,
            software: None,
            mapped_address: MappedAddressPolicy::Always,
        }
    }

    /// Checks the addresses once at start-up; [`respond`] never panics on a bad config, but
    /// may then drop with [`DropReason::RoleNotConfigured`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        let v4 = self.primary.is_ipv4();
        let same_family = |ip: IpAddr| ip.is_ipv4() == v4;
        if self.primary.port() == 0 {
            return Err(ConfigError::PortZero);
        }
        if let Some(alt) = self.alternate {
            if !same_family(alt.ip()) {
                return Err(ConfigError::FamilyMismatch);
            }
            if alt.ip() == self.primary.ip() {
                return Err(ConfigError::AlternateSameIp);
            }
            if alt.port() == self.primary.port() {
                return Err(ConfigError::AlternateSamePort);
            }
            if alt.port() == 0 {
                return Err(ConfigError::PortZero);
            }
        } else if self.advertised_alternate_ip.is_some() {
            return Err(ConfigError::AdvertisedWithoutAlternate);
        }
        for ip in [self.advertised_primary_ip, self.advertised_alternate_ip]
            .into_iter()
            .flatten()
        {
            if !same_family(ip) {
                return Err(ConfigError::FamilyMismatch);
            }
        }
        for role in SocketRole::ALL {
            if let Some(addr) = self.advertised_address(role)
                && addr.ip().is_unspecified()
            {
                return Err(ConfigError::UnspecifiedWithoutAdvertised);
            }
        }
        if let Some(sw) = self.software
            && sw.chars().count() > MAX_TEXT_CHARS
        {
            return Err(ConfigError::SoftwareTooLong);
        }
        Ok(())
    }

    /// The address the socket of `role` is bound to; `None` for PA/AP/AA without alternate.
    pub fn local_address(&self, role: SocketRole) -> Option<SocketAddr> {
        self.address(role, false)
    }

    /// The address written in attributes for `role` (bound IP replaced by the advertised one).
    pub fn advertised_address(&self, role: SocketRole) -> Option<SocketAddr> {
        self.address(role, true)
    }

    fn address(&self, role: SocketRole, advertised: bool) -> Option<SocketAddr> {
        let alt = match (role, self.alternate) {
            (SocketRole::PrimaryIpPrimaryPort, _) => None,
            (_, Some(alt)) => Some(alt),
            (_, None) => return None,
        };
        let pick = |alternate: bool, bound: IpAddr| {
            let adv = if alternate {
                self.advertised_alternate_ip
            } else {
                self.advertised_primary_ip
            };
            if advertised {
                adv.unwrap_or(bound)
            } else {
                bound
            }
        };
        let ip = match (role.alternate_ip(), alt) {
            (true, Some(a)) => pick(true, a.ip()),
            _ => pick(false, self.primary.ip()),
        };
        let port = match (role.alternate_port(), alt) {
            (true, Some(a)) => a.port(),
            _ => self.primary.port(),
        };
        Some(SocketAddr::new(ip, port))
    }
}

/// What kind of reply was produced, for per-kind counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    /// RFC 8489 Binding success response.
    Success,
    /// RFC 3489 Binding Response.
    LegacySuccess,
    /// Error 400 (malformed CHANGE-REQUEST / RESPONSE-PORT, RESPONSE-PORT with PADDING,
    /// RESPONSE-PORT 0).
    BadRequest,
    /// Error 420 with UNKNOWN-ATTRIBUTES.
    UnknownAttribute,
    /// RFC 3489 Binding Error Response 400.
    LegacyBadRequest,
    /// RFC 3489 Binding Error Response 420.
    LegacyUnknownAttribute,
}

/// Why a datagram got no reply. Every variant is countable (`index()` is dense).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Shorter than a header, first bits set, or length field inconsistent (RFC 8489 §5).
    NotStun,
    /// Header fine but attribute framing broken, or FINGERPRINT not last (RFC 8489 §14).
    Malformed,
    /// FINGERPRINT present and wrong (RFC 8489 §6.3: silently discard).
    BadFingerprint,
    /// A success or error response: servers never answer responses (no reflector loops).
    Response,
    /// An indication: never answered (RFC 8489 §6.3.2).
    Indication,
    /// A request of a method other than Binding (RFC 8489 §6.3: unsupported → discard).
    UnsupportedMethod,
    /// Source port 0, or an unspecified, multicast or broadcast source address.
    InvalidSource,
    /// The request arrived on (or asks for) a socket role the config has no address for.
    RoleNotConfigured,
    /// The reply could not be encoded (a bug or an invalid config, e.g. SOFTWARE too long
    /// would only be skipped; kept so the responder never panics).
    EncodeFailed,
}

impl DropReason {
    /// Every reason, in `index()` order.
    pub const ALL: [DropReason; 9] = [
        DropReason::NotStun,
        DropReason::Malformed,
        DropReason::BadFingerprint,
        DropReason::Response,
        DropReason::Indication,
        DropReason::UnsupportedMethod,
        DropReason::InvalidSource,
        DropReason::RoleNotConfigured,
        DropReason::EncodeFailed,
    ];

    /// A dense index for counter arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// A stable snake_case name for metrics and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            DropReason::NotStun => "not_stun",
            DropReason::Malformed => "malformed",
            DropReason::BadFingerprint => "bad_fingerprint",
            DropReason::Response => "response",
            DropReason::Indication => "indication",
            DropReason::UnsupportedMethod => "unsupported_method",
            DropReason::InvalidSource => "invalid_source",
            DropReason::RoleNotConfigured => "role_not_configured",
            DropReason::EncodeFailed => "encode_failed",
        }
    }
}

impl From<DecodeError> for DropReason {
    fn from(e: DecodeError) -> DropReason {
        match e {
            DecodeError::TooShort { .. }
            | DecodeError::NotStun
            | DecodeError::UnalignedLength { .. }
            | DecodeError::LengthMismatch { .. } => DropReason::NotStun,
            DecodeError::AttributeOverrun { .. } | DecodeError::FingerprintNotLast => {
                DropReason::Malformed
            }
        }
    }
}

/// The responder's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Send `out` from the socket of role `from` to `to` (over TCP: on the connection the
    /// request came in on; `from` and `to` are then that connection's ends).
    Reply {
        /// The socket to send from.
        from: SocketRole,
        /// The destination.
        to: SocketAddr,
        /// What was written.
        kind: ReplyKind,
    },
    /// Send nothing.
    Drop(DropReason),
}

/// The largest reply the RFCs can force for any request (see the module table): an IPv6
/// success with XOR-MAPPED-, MAPPED-, RESPONSE-ORIGIN, OTHER-ADDRESS (4 × 24), an empty
/// PADDING (4) and FINGERPRINT (8) after the 20-byte header.
pub const MAX_REQUIRED_REPLY_LEN: usize = 20 + 4 * 24 + 4 + 8;

/// At most this many distinct types are listed in UNKNOWN-ATTRIBUTES; more only happen in
/// hostile requests, and the client learns enough from the first ones.
pub const MAX_LISTED_UNKNOWN: usize = 32;

/// Answers one STUN message. `out` is cleared and, on [`Outcome::Reply`], holds the reply.
/// `source` is the request's source address as the socket saw it; `received_on` the role of
/// the socket it arrived on. Never panics, whatever the bytes.
///
/// # Anti-amplification
///
/// The reflector faces the internet, and UDP sources can be spoofed, so every reply is kept
/// as small as the RFCs allow: attributes the RFCs make mandatory are always written; the
/// optional ones (SOFTWARE, FINGERPRINT when the request had none, the ERROR-CODE reason
/// phrase, and MAPPED-ADDRESS under [`MappedAddressPolicy::WhenItFits`]) only while the reply
/// stays no larger than the request. A client that wants them pads its request (PADDING,
/// RFC 5780 §7.6). A FINGERPRINT in the request is echoed (the client multiplexes, RFC 5780
/// §5) and counts as required. PADDING in the reply fills up to the request's size, never
/// beyond (RFC 5780 §6.1 only says SHOULD be the MTU). Hence for every reply:
/// `reply_len <= max(request_len, required_len)`, with `required_len` from this table
/// (bytes of STUN message; IPv4 / IPv6 client and server addresses; factor = required reply
/// / smallest request that gets it):
///
/// | reply (trigger) | smallest request | required reply, IPv4 | factor | IPv6 | factor |
/// |---|---|---|---|---|---|
/// | success, one address (no OTHER-ADDRESS) | 20 | 56 | 2.8 | 92 | 4.6 |
/// | success, alternate configured (+ OTHER-ADDRESS) | 20 | 68 | 3.4 | 116 | 5.8 |
/// | same with `MappedAddressPolicy::WhenItFits`, one / two addresses | 20 | 44 / 56 | 2.2 / 2.8 | 68 / 92 | 3.4 / 4.6 |
/// | success to a request with an empty PADDING (+4), one / two addresses | 24 | 60 / 72 | 2.5 / 3.0 | 96 / 120 | 4.0 / 5.0 |
/// | success to a request with FINGERPRINT (+8), one / two addresses | 28 | 64 / 76 | 2.3 / 2.7 | 100 / 124 | 3.6 / 4.4 |
/// | RFC 3489 success, one / two addresses | 20 | 44 / 56 | 2.2 / 2.8 | 68 / 92 | 3.4 / 4.6 |
/// | 400 Bad Request (e.g. empty CHANGE-REQUEST) | 24 | 28 | 1.17 | 28 | 1.17 |
/// | 420 with *n* types listed (+8 if FINGERPRINT requested) | 20 + 4*n* | 32 + 4⌈*n*/2⌉ | 1.5 at *n* = 1, ≤ 1 from *n* = 6 | same | same |
/// | 420 to CHANGE-REQUEST without an alternate address | 28 | 36 | 1.29 | 36 | 1.29 |
///
/// Success sizes are 20 + one address attribute (12 B IPv4, 24 B IPv6) each for
/// XOR-MAPPED-ADDRESS, MAPPED-ADDRESS, RESPONSE-ORIGIN and OTHER-ADDRESS; RFC 3489 replies
/// carry MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS. On the wire (adding 28 B of
/// IPv4+UDP or 48 B of IPv6+UDP headers to both sides) the worst success factor is 2.0
/// (IPv4) and 2.4 (IPv6). No reply is ever required to exceed
/// [`MAX_REQUIRED_REPLY_LEN`] = 128 bytes, so a reply above 128 bytes is never larger than
/// its request. The same rules apply over TCP, although there the source cannot be spoofed.
///
/// RFC 5780 §6.1 says the server MUST include MAPPED-ADDRESS as well as XOR-MAPPED-ADDRESS,
/// so [`MappedAddressPolicy::Always`] is the default even though it costs 12 / 24 bytes.
pub fn respond(
    request: &[u8],
    source: SocketAddr,
    received_on: SocketRole,
    transport: Transport,
    config: &ResponderConfig,
    out: &mut Vec<u8>,
) -> Outcome {
    out.clear();
    let msg = match Message::parse(request) {
        Ok(msg) => msg,
        Err(e) => return Outcome::Drop(e.into()),
    };
    match msg.class() {
        Class::Request => {}
        Class::Indication => return Outcome::Drop(DropReason::Indication),
        Class::SuccessResponse | Class::ErrorResponse => {
            return Outcome::Drop(DropReason::Response);
        }
    }
    if msg.method() != Method::BINDING {
        return Outcome::Drop(DropReason::UnsupportedMethod);
    }
    if !replyable(source) {
        return Outcome::Drop(DropReason::InvalidSource);
    }
    if config.advertised_address(received_on).is_none() {
        return Outcome::Drop(DropReason::RoleNotConfigured);
    }
    let legacy = msg.is_legacy();
    // RFC 3489 has no FINGERPRINT; in a classic message 0x8028 is just an unknown optional.
    if !legacy && msg.fingerprint_status() == FingerprintStatus::Invalid {
        return Outcome::Drop(DropReason::BadFingerprint);
    }
    let scan = Scan::run(&msg, legacy, transport, config);
    let ctx = Ctx {
        msg: &msg,
        legacy,
        budget: request.len(),
        fingerprint: !legacy && scan.fingerprint,
        config,
    };

    // RFC 8489 §6.3.1: unknown comprehension-required attributes are checked first.
    if scan.unsupported_len > 0 {
        let listed = &scan.unsupported[..scan.unsupported_len];
        return ctx.error(420, listed, received_on, source, out);
    }
    let bad_request = scan.malformed
        // RFC 5780 §6.1 / §7.5: RESPONSE-PORT with PADDING is an amplification attack → 400.
        || (scan.response_port.is_some() && scan.padding)
        // Nothing can be sent to port 0.
        || scan.response_port == Some(0);
    if bad_request {
        return ctx.error(400, &[], received_on, source, out);
    }

    // RFC 5780 §6.1 Table 1. Over TCP a non-empty CHANGE-REQUEST was refused above.
    let from = match scan.change {
        Some(change) if transport == Transport::Udp => received_on.changed(change),
        _ => received_on,
    };
    let Some(origin) = config.advertised_address(from) else {
        return Outcome::Drop(DropReason::RoleNotConfigured);
    };
    let other = config
        .alternate
        .and_then(|_| config.advertised_address(received_on.other()));
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; clients compare the
    // mapped address with their IPv4 socket, so report it as IPv4.
    let mapped = SocketAddr::new(source.ip().to_canonical(), source.port());
    let written = if legacy {
        ctx.legacy_success(mapped, origin, other, out)
    } else {
        ctx.success(mapped, origin, other, scan.padding, out)
    };
    match written {
        Ok(_) => {
            // RFC 5780 §6.1 / §7.5: RESPONSE-PORT redirects to the source IP, that port.
            let to = match scan.response_port {
                Some(port) if !legacy => SocketAddr::new(source.ip(), port),
                _ => source,
            };
            let kind = if legacy {
                ReplyKind::LegacySuccess
            } else {
                ReplyKind::Success
            };
            Outcome::Reply { from, to, kind }
        }
        Err(_) => {
            out.clear();
            Outcome::Drop(DropReason::EncodeFailed)
        }
    }
}

/// Whether a reply to `source` can go anywhere sensible: never to port 0, an unspecified,
/// multicast or broadcast address (a spoofed source there would fan the reply out).
fn replyable(source: SocketAddr) -> bool {
    if source.port() == 0 {
        return false;
    }
    match source.ip().to_canonical() {
        IpAddr::V4(ip) => !(ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast()),
        IpAddr::V6(ip) => !(ip.is_unspecified() || ip.is_multicast()),
    }
}

/// Comprehension-required types an RFC 8489 + RFC 5780 Binding server understands. The
/// RFC 3489 types reserved by RFC 5389 §18.2 are deliberately absent: RFC 5389 §12.2 says a
/// server treats RESPONSE-ADDRESS and the like as unknown.
fn known_modern(typ: u16) -> bool {
    matches!(
        typ,
        attr::MAPPED_ADDRESS
            | attr::CHANGE_REQUEST
            | attr::USERNAME
            | attr::MESSAGE_INTEGRITY
            | attr::ERROR_CODE
            | attr::UNKNOWN_ATTRIBUTES
            | attr::REALM
            | attr::NONCE
            | attr::MESSAGE_INTEGRITY_SHA256
            | attr::PASSWORD_ALGORITHM
            | attr::USERHASH
            | attr::XOR_MAPPED_ADDRESS
            | attr::PADDING
            | attr::RESPONSE_PORT
    )
}

/// What the request asks for, from one pass over its processed attributes.
struct Scan {
    change: Option<ChangeRequest>,
    response_port: Option<u16>,
    padding: bool,
    fingerprint: bool,
    malformed: bool,
    unsupported: [u16; MAX_LISTED_UNKNOWN],
    unsupported_len: usize,
}

impl Scan {
    fn run(
        msg: &Message<'_>,
        legacy: bool,
        transport: Transport,
        config: &ResponderConfig,
    ) -> Scan {
        let mut s = Scan {
            change: None,
            response_port: None,
            padding: false,
            fingerprint: false,
            malformed: false,
            unsupported: [0; MAX_LISTED_UNKNOWN],
            unsupported_len: 0,
        };
        let mut seen_change = false;
        let mut seen_port = false;
        for a in msg.attributes() {
            match a.typ {
                // Only the first occurrence counts (RFC 8489 §14).
                attr::CHANGE_REQUEST if !seen_change => {
                    seen_change = true;
                    if config.alternate.is_none() {
                        // RFC 5780 §6: one-address server → 420 to any CHANGE-REQUEST.
                        s.unsupported(a.typ);
                    } else if a.value.len() != 4 {
                        s.malformed = true;
                    } else {
                        let change = match msg.attribute(a) {
                            Ok(Attribute::ChangeRequest(c)) => c,
                            _ => ChangeRequest::default(),
                        };
                        // Over TCP the reply can only go back on the connection (RFC 8489
                        // §6.2.2: never open one towards the client), so a change cannot be
                        // honoured; answering from the same address would fake EIF.
                        if transport == Transport::Tcp && change != ChangeRequest::default() {
                            s.unsupported(a.typ);
                        }
                        s.change = Some(change);
                    }
                }
                attr::RESPONSE_PORT if !legacy && !seen_port => {
                    seen_port = true;
                    if transport == Transport::Tcp {
                        // RFC 5780 §5: clients must expect 420 to RESPONSE-PORT.
                        s.unsupported(a.typ);
                    } else if a.value.len() != 4 {
                        s.malformed = true;
                    } else {
                        s.response_port = Some(u16::from_be_bytes([a.value[0], a.value[1]]));
                    }
                }
                attr::PADDING if !legacy => s.padding = true,
                attr::FINGERPRINT => s.fingerprint = true,
                // RFC 5389 §12.2: RESPONSE-ADDRESS is answered with 420, never followed —
                // sending to an address named in the payload would reflect to third parties.
                attr::RESPONSE_ADDRESS if legacy => s.unsupported(a.typ),
                t if !attr::is_comprehension_required(t) => {}
                t if legacy && !legacy::is_known(t) => s.unsupported(t),
                t if !legacy && !known_modern(t) => s.unsupported(t),
                _ => {}
            }
        }
        s
    }

    fn unsupported(&mut self, typ: u16) {
        let listed = &self.unsupported[..self.unsupported_len];
        if self.unsupported_len < MAX_LISTED_UNKNOWN && !listed.contains(&typ) {
            self.unsupported[self.unsupported_len] = typ;
            self.unsupported_len += 1;
        }
    }
}

/// The request facts every reply writer needs.
struct Ctx<'m, 'a, 'c> {
    msg: &'m Message<'a>,
    legacy: bool,
    /// The request's size: optional content is added only up to it.
    budget: usize,
    /// The request carried FINGERPRINT: echo one (it counts as required).
    fingerprint: bool,
    config: &'c ResponderConfig,
}

impl Ctx<'_, '_, '_> {
    fn encoder<'o>(&self, out: &'o mut Vec<u8>, msg_type: MessageType) -> MessageEncoder<'o> {
        if self.legacy {
            MessageEncoder::new_legacy(out, msg_type, self.msg.legacy_transaction_id())
        } else {
            MessageEncoder::new(out, msg_type, self.msg.transaction_id())
        }
    }

    /// Adds SOFTWARE and (if not already required) FINGERPRINT while the reply stays within
    /// budget, leaving `reserved` bytes for what must still follow.
    fn optional_tail(&self, enc: &mut MessageEncoder<'_>, reserved: usize) -> bool {
        if let Some(sw) = self.config.software {
            let size = 4 + padded(sw.len());
            if enc.len() + size + reserved <= self.budget {
                // Optional: an over-long SOFTWARE is skipped rather than failing the reply.
                let _ = enc.add(&Attribute::Software(sw));
            }
        }
        self.fingerprint || enc.len() + reserved + FINGERPRINT_ATTR_LEN <= self.budget
    }

    fn success(
        &self,
        mapped: SocketAddr,
        origin: SocketAddr,
        other: Option<SocketAddr>,
        padding: bool,
        out: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        let mut enc = self.encoder(out, MessageType::BINDING_SUCCESS);
        // Required: RFC 8489 §6.3.1.1, RFC 5780 §6.1.
        enc.add(&Attribute::XorMappedAddress(mapped))?;
        let mapped_attr = Attribute::MappedAddress(mapped);
        if self.config.mapped_address == MappedAddressPolicy::Always {
            enc.add(&mapped_attr)?;
        }
        enc.add(&Attribute::ResponseOrigin(origin))?;
        if let Some(other) = other {
            enc.add(&Attribute::OtherAddress(other))?;
        }
        let fp = if self.fingerprint {
            FINGERPRINT_ATTR_LEN
        } else {
            0
        };
        let pad = if padding { 4 } else { 0 };
        if self.config.mapped_address == MappedAddressPolicy::WhenItFits
            && enc.len() + 4 + super::address::value_len(&mapped) + pad + fp <= self.budget
        {
            enc.add(&mapped_attr)?;
        }
        let with_fp = self.optional_tail(&mut enc, pad + fp);
        if padding {
            // RFC 5780 §6.1: PADDING MUST be in the response; sized to the request, not the
            // MTU, so it never amplifies (and mirrors the client's fragment test).
            let tail = if with_fp { FINGERPRINT_ATTR_LEN } else { 0 };
            let room = self.budget.saturating_sub(enc.len() + 4 + tail);
            enc.add(&Attribute::Padding(room & !3))?;
        }
        if with_fp {
            enc.add_fingerprint()?;
        }
        Ok(enc.finish())
    }

    /// RFC 3489 §8.1: MAPPED-ADDRESS, SOURCE-ADDRESS, CHANGED-ADDRESS (the last only when an
    /// alternate exists — a one-address server has nothing true to put there).
    fn legacy_success(
        &self,
        mapped: SocketAddr,
        origin: SocketAddr,
        other: Option<SocketAddr>,
        out: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        let mut enc = self.encoder(out, MessageType::BINDING_SUCCESS);
        enc.add(&Attribute::MappedAddress(mapped))?;
        enc.add(&Attribute::SourceAddress(origin))?;
        if let Some(other) = other {
            enc.add(&Attribute::ChangedAddress(other))?;
        }
        Ok(enc.finish())
    }

    /// An error response from the socket the request came in on, to its source (RFC 8489
    /// §6.3.1.2; RFC 3489 §8.1). RESPONSE-PORT and CHANGE-REQUEST are not applied to errors.
    fn error(
        &self,
        code: u16,
        unknown: &[u16],
        received_on: SocketRole,
        source: SocketAddr,
        out: &mut Vec<u8>,
    ) -> Outcome {
        match self.write_error(code, unknown, out) {
            Ok(_) => {
                let kind = match (code, self.legacy) {
                    (420, false) => ReplyKind::UnknownAttribute,
                    (420, true) => ReplyKind::LegacyUnknownAttribute,
                    (_, false) => ReplyKind::BadRequest,
                    (_, true) => ReplyKind::LegacyBadRequest,
                };
                Outcome::Reply {
                    from: received_on,
                    to: source,
                    kind,
                }
            }
            Err(_) => {
                out.clear();
                Outcome::Drop(DropReason::EncodeFailed)
            }
        }
    }

    fn write_error(
        &self,
        code: u16,
        unknown: &[u16],
        out: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        let mut enc = self.encoder(out, MessageType::BINDING_ERROR);
        // RFC 3489 §11.2.10 wants an even list; repeat the last type if needed.
        let mut list = [0u16; MAX_LISTED_UNKNOWN + 1];
        let mut listed = unknown.len().min(MAX_LISTED_UNKNOWN);
        list[..listed].copy_from_slice(&unknown[..listed]);
        if self.legacy && listed % 2 == 1 {
            list[listed] = list[listed - 1];
            listed = legacy::listed_len(listed);
        }
        let list_size = if unknown.is_empty() {
            0
        } else {
            4 + padded(2 * listed)
        };
        let fp = if self.fingerprint {
            FINGERPRINT_ATTR_LEN
        } else {
            0
        };
        let reason = match (code, self.legacy) {
            (420, false) => "Unknown Attribute",
            (420, true) => legacy::UNKNOWN_ATTRIBUTE_REASON,
            (_, false) => "Bad Request",
            (_, true) => legacy::BAD_REQUEST_REASON,
        };
        // RFC 8489 §14.8: the reason phrase is for people and may be empty; only when it fits.
        let with_reason = enc.len() + 4 + padded(4 + reason.len()) + list_size + fp <= self.budget;
        let reason = if with_reason { reason } else { "" };
        enc.add(&Attribute::ErrorCode(ErrorCode { code, reason }))?;
        if !unknown.is_empty() {
            enc.add(&Attribute::UnknownAttributes(AttributeTypes::new(
                &list[..listed],
            )))?;
        }
        if !self.legacy && self.optional_tail(&mut enc, fp) {
            enc.add_fingerprint()?;
        }
        Ok(enc.finish())
    }
}
