//! The reflector's SIP mirror, sans-IO: one request in, at most one answer out.
//!
//! `sipwall check` sends probe requests carrying its private address (Via, Contact, SDP) and
//! `X-Sipwall-Probe: <session token>`. The mirror answers with the public mapping it saw, in
//! Via `received`/`rport` (RFC 3261 §18.2.1, RFC 3581), in Contact, in `X-Sipwall-Observed`
//! and in the SDP, so the check can tell whether an ALG rewrites the way back too.
//!
//! A probe over UDP from 203.0.113.5:40000 (line ends are CRLF on the wire):
//!
//! ```text
//! OPTIONS sip:mirror@192.0.2.10:5060 SIP/2.0
//! Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-1a2b3c;rport
//! Max-Forwards: 70
//! From: <sip:check@192.168.1.20>;tag=f00d
//! To: <sip:mirror@192.0.2.10>
//! Call-ID: 8c4f1b2e@192.168.1.20
//! CSeq: 1 OPTIONS
//! Contact: <sip:check@192.168.1.20:5060>
//! X-Sipwall-Probe: 0123456789abcdef0123456789abcdef
//! Content-Length: 0
//! ```
//!
//! gets
//!
//! ```text
//! SIP/2.0 200 OK
//! Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-1a2b3c;rport=40000;received=203.0.113.5
//! From: <sip:check@192.168.1.20>;tag=f00d
//! To: <sip:mirror@192.0.2.10>;tag=e96f2b4d
//! Call-ID: 8c4f1b2e@192.168.1.20
//! CSeq: 1 OPTIONS
//! Contact: <sip:mirror@203.0.113.5:40000;transport=udp>
//! X-Sipwall-Observed: UDP 203.0.113.5:40000
//! Server: sipwall-mirror
//! Content-Length: 0
//! ```
//!
//! where the To tag is [`to_tag`] of Call-ID and CSeq (CRC-32 of
//! `8c4f1b2e@192.168.1.20 1 OPTIONS`). With an SDP offer, the answer also has
//! `Content-Type: application/sdp` and the offer with every `c=IN IP4|IP6` address and the
//! `o=` address replaced by the source IP (`m=` lines untouched). The 403 to any other request
//! has only the copied Via (unchanged), From, To (tagged the same way), Call-ID, CSeq and
//! `Content-Length: 0`.
//!
//! Amplification bound (a public reflector must not be a traffic multiplier):
//! - 200 OK, only to requests whose token the control channel handed out: at most
//!   [`PROBE_ANSWER_SLACK`] bytes more than the request; a larger one is not sent.
//! - 403 Forbidden, to any other request: never larger than the request; else not sent.
//! - Nothing to ACKs, responses, unparseable bytes or unusable source addresses.
//!
//! Answers are deterministic, so a retransmitted request gets byte-identical bytes back.

use std::fmt::{self, Write as _};
use std::net::{IpAddr, SocketAddr};

use super::message::{SipMessage, StartLine, find_top_level, split_top_level, trim_lws};

/// The request header carrying the session token.
pub const PROBE_HEADER: &str = "X-Sipwall-Probe";
/// The answer header with what the mirror saw: `<TRANSPORT> <ip>:<port>`.
pub const OBSERVED_HEADER: &str = "X-Sipwall-Observed";
/// The Server header's value.
pub const SERVER: &str = "sipwall-mirror";
/// Session tokens are this many lowercase hex characters.
pub const TOKEN_LEN: usize = 32;
/// How much larger than the request a probe's 200 OK may be. Covers the mirror's own headers
/// (~250 bytes), `received`/`rport`, the To tag, and IPv6 addresses replacing short ones in
/// the SDP; a request needing more gets no answer.
pub const PROBE_ANSWER_SLACK: usize = 1024;

/// The transport a request arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SipTransport {
    /// UDP (5060, 5080).
    Udp,
    /// TCP (5060, 5080).
    Tcp,
    /// TLS over TCP (5061).
    Tls,
}

impl SipTransport {
    /// Every transport.
    pub const ALL: [SipTransport; 3] = [SipTransport::Udp, SipTransport::Tcp, SipTransport::Tls];

    /// The Via transport token (RFC 3261 §20.42).
    pub const fn as_str(self) -> &'static str {
        match self {
            SipTransport::Udp => "UDP",
            SipTransport::Tcp => "TCP",
            SipTransport::Tls => "TLS",
        }
    }

    /// The `transport=` URI parameter value (RFC 3261 §19.1.1).
    pub const fn uri_param(self) -> &'static str {
        match self {
            SipTransport::Udp => "udp",
            SipTransport::Tcp => "tcp",
            SipTransport::Tls => "tls",
        }
    }
}

/// Why the mirror sends nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MirrorDrop {
    /// Not a SIP message, or a request without Via, From, To, Call-ID or CSeq.
    Malformed,
    /// A response: servers never answer responses (no reflector loops).
    NotRequest,
    /// ACK is never answered (RFC 3261 §17).
    Ack,
    /// The answer would exceed its amplification bound.
    TooLargeForAnswer,
    /// Source port 0, or an unspecified, multicast or broadcast source address.
    InvalidSource,
}

impl MirrorDrop {
    /// Every reason, in `index()` order.
    pub const ALL: [MirrorDrop; 5] = [
        MirrorDrop::Malformed,
        MirrorDrop::NotRequest,
        MirrorDrop::Ack,
        MirrorDrop::TooLargeForAnswer,
        MirrorDrop::InvalidSource,
    ];

    /// A dense index for counter arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// A stable snake_case name for metrics and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            MirrorDrop::Malformed => "malformed",
            MirrorDrop::NotRequest => "not_request",
            MirrorDrop::Ack => "ack",
            MirrorDrop::TooLargeForAnswer => "too_large_for_answer",
            MirrorDrop::InvalidSource => "invalid_source",
        }
    }
}

/// The mirror's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MirrorOutcome<'a> {
    /// A probe with a valid token: `out` holds the 200 OK. Borrowed from the request.
    Probe {
        /// The X-Sipwall-Probe value.
        token: &'a str,
        /// The Call-ID value.
        call_id: &'a str,
        /// The request method.
        method: &'a str,
    },
    /// Any other request: `out` holds a 403 no larger than the request.
    Forbidden,
    /// Nothing to send; `out` is empty.
    Drop(MirrorDrop),
}

/// Whether `token` looks like a session token: [`TOKEN_LEN`] lowercase hex characters.
pub fn is_token_syntax(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The To tag the mirror adds: CRC-32 of `Call-ID SP CSeq` as 8 lowercase hex characters, so
/// retransmissions (same Call-ID and CSeq) get the same tag.
pub fn to_tag(call_id: &str, cseq: &str) -> String {
    let mut h = crc32fast::Hasher::new();
    h.update(call_id.as_bytes());
    h.update(b" ");
    h.update(cseq.as_bytes());
    format!("{:08x}", h.finalize())
}

/// Answers one request (a UDP datagram or one framed stream message) from `source`.
///
/// `out` is cleared first and holds the answer for [`MirrorOutcome::Probe`] and
/// [`MirrorOutcome::Forbidden`]. `is_valid_token` is only asked about values with the token
/// syntax ([`is_token_syntax`]).
pub fn respond<'a>(
    request: &'a [u8],
    source: SocketAddr,
    transport: SipTransport,
    is_valid_token: impl Fn(&str) -> bool,
    out: &mut Vec<u8>,
) -> MirrorOutcome<'a> {
    out.clear();
    let Ok(msg) = SipMessage::parse(request) else {
        return MirrorOutcome::Drop(MirrorDrop::Malformed);
    };
    let StartLine::Request { method, .. } = *msg.start_line() else {
        return MirrorOutcome::Drop(MirrorDrop::NotRequest);
    };
    if method == "ACK" {
        return MirrorOutcome::Drop(MirrorDrop::Ack);
    }
    if !replyable(source) {
        return MirrorOutcome::Drop(MirrorDrop::InvalidSource);
    }
    let Some(dialog) = Dialog::of(&msg) else {
        return MirrorOutcome::Drop(MirrorDrop::Malformed);
    };
    let token = msg
        .find_header(PROBE_HEADER)
        .and_then(|h| h.borrowed_value())
        .filter(|t| is_token_syntax(t) && is_valid_token(t));

    let mut w = Bounded {
        out,
        limit: request.len(),
        overflow: false,
    };
    let outcome = match token {
        Some(token) => {
            // Call-ID is a single word; a folded one (joined with a space) is broken.
            let Some(call_id) = msg.find_header("Call-ID").and_then(|h| h.borrowed_value()) else {
                return MirrorOutcome::Drop(MirrorDrop::Malformed);
            };
            let Ok(sdp) = offered_sdp(&msg) else {
                return MirrorOutcome::Drop(MirrorDrop::Malformed);
            };
            w.limit = request.len().saturating_add(PROBE_ANSWER_SLACK);
            write_probe_answer(&mut w, &dialog, sdp, source, transport);
            MirrorOutcome::Probe {
                token,
                call_id,
                method,
            }
        }
        None => {
            write_forbidden(&mut w, &dialog);
            MirrorOutcome::Forbidden
        }
    };
    if w.overflow {
        w.out.clear();
        return MirrorOutcome::Drop(MirrorDrop::TooLargeForAnswer);
    }
    outcome
}

/// The request headers both answers copy.
struct Dialog<'m> {
    vias: Vec<&'m str>,
    from: &'m str,
    to: &'m str,
    call_id: &'m str,
    cseq: &'m str,
}

impl<'m> Dialog<'m> {
    fn of(msg: &'m SipMessage<'_>) -> Option<Dialog<'m>> {
        let vias: Vec<&str> = msg.headers_named("Via").collect();
        if vias.is_empty() {
            return None;
        }
        Some(Dialog {
            vias,
            from: msg.header("From")?,
            to: msg.header("To")?,
            call_id: msg.header("Call-ID")?,
            cseq: msg.header("CSeq")?,
        })
    }

    /// From, To (with the mirror's tag unless it has one), Call-ID, CSeq.
    fn write_dialog_headers(&self, w: &mut Bounded<'_>) {
        header(w, "From", self.from);
        if has_tag(self.to) {
            header(w, "To", self.to);
        } else {
            let _ = write!(
                w,
                "To: {};tag={}\r\n",
                self.to,
                to_tag(self.call_id, self.cseq)
            );
        }
        header(w, "Call-ID", self.call_id);
        header(w, "CSeq", self.cseq);
    }
}

fn write_forbidden(w: &mut Bounded<'_>, d: &Dialog<'_>) {
    w.put(b"SIP/2.0 403 Forbidden\r\n");
    for via in &d.vias {
        header(w, "Via", via);
    }
    d.write_dialog_headers(w);
    w.put(b"Content-Length: 0\r\n\r\n");
}

fn write_probe_answer(
    w: &mut Bounded<'_>,
    d: &Dialog<'_>,
    sdp: Option<&[u8]>,
    source: SocketAddr,
    transport: SipTransport,
) {
    let ip = source.ip().to_canonical();
    let port = source.port();
    let host_port = HostPort(ip, port);
    w.put(b"SIP/2.0 200 OK\r\n");
    for (i, via) in d.vias.iter().enumerate() {
        if i == 0 {
            w.put(b"Via: ");
            write_top_via(w, via, ip, port);
            w.put(b"\r\n");
        } else {
            header(w, "Via", via);
        }
    }
    d.write_dialog_headers(w);
    let _ = write!(
        w,
        "Contact: <sip:mirror@{host_port};transport={}>\r\n\
         {OBSERVED_HEADER}: {} {host_port}\r\n\
         Server: {SERVER}\r\n",
        transport.uri_param(),
        transport.as_str(),
    );
    match sdp {
        Some(body) => {
            let ip_text = ip.to_string();
            let ip_type = if ip.is_ipv4() { "IP4" } else { "IP6" };
            // Two passes (count, then write) so the body needs no buffer of its own.
            let mut len = 0;
            rewrite_sdp(body, &ip_text, ip_type, &mut |b| len += b.len());
            let _ = write!(
                w,
                "Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n"
            );
            rewrite_sdp(body, &ip_text, ip_type, &mut |b| w.put(b));
        }
        None => w.put(b"Content-Length: 0\r\n\r\n"),
    }
}

/// The top Via entry with `received` set to the source IP (replaced in place, else appended)
/// and any `rport` given the source port (RFC 3581 §4); later entries of the line unchanged.
fn write_top_via(w: &mut Bounded<'_>, via: &str, ip: IpAddr, port: u16) {
    let (top, rest) = via.split_at(find_top_level(via, b',').unwrap_or(via.len()));
    let mut parts = split_top_level(top, b';');
    w.put(parts.next().unwrap_or_default().as_bytes());
    let mut received = false;
    for param in parts {
        let name = trim_lws(param.split('=').next().unwrap_or_default());
        if name.eq_ignore_ascii_case("received") {
            if !received {
                let _ = write!(w, ";received={ip}");
                received = true;
            }
        } else if name.eq_ignore_ascii_case("rport") {
            let _ = write!(w, ";rport={port}");
        } else {
            w.put(b";");
            w.put(param.as_bytes());
        }
    }
    if !received {
        let _ = write!(w, ";received={ip}");
    }
    w.put(rest.as_bytes());
}

/// Whether a To/From value has a `tag` parameter (after the `>` of a name-addr, or after the
/// URI of a bare addr-spec, where URI parameters count as header parameters: RFC 3261 §20).
fn has_tag(value: &str) -> bool {
    split_top_level(params_after_uri(value), b';')
        .skip(1)
        .any(|p| trim_lws(p.split('=').next().unwrap_or_default()).eq_ignore_ascii_case("tag"))
}

/// The text after the `>` closing the first `<` outside quotes; the whole value without one.
fn params_after_uri(value: &str) -> &str {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, b) in value.bytes().enumerate() {
        if in_quotes {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = false,
                _ => {}
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == b'<' {
            // URIs cannot contain `>`; an unclosed `<` leaves no parameters.
            return value[i..].find('>').map_or("", |j| &value[i + j + 1..]);
        }
    }
    value
}

/// The SDP offer to mirror: a non-empty body with Content-Type application/sdp, cut to
/// Content-Length when that is shorter (RFC 3261 §18.3: extra datagram bytes are dropped).
fn offered_sdp<'a>(msg: &SipMessage<'a>) -> Result<Option<&'a [u8]>, ()> {
    let is_sdp = msg.header("Content-Type").is_some_and(|ct| {
        trim_lws(ct.split(';').next().unwrap_or_default()).eq_ignore_ascii_case("application/sdp")
    });
    let mut body = msg.body();
    if let Some(n) = msg.content_length().map_err(|_| ())? {
        body = &body[..n.min(body.len())];
    }
    Ok((is_sdp && !body.is_empty()).then_some(body))
}

/// Emits the SDP with CRLF line ends, `c=IN IP4|IP6 <addr>` and the `o=` address replaced.
fn rewrite_sdp(body: &[u8], ip: &str, ip_type: &str, emit: &mut dyn FnMut(&[u8])) {
    let mut rest = body;
    while !rest.is_empty() {
        let (line, terminated) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &rest[..i];
                rest = &rest[i + 1..];
                (line, true)
            }
            None => (std::mem::take(&mut rest), false),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !rewrite_sdp_line(line, ip, ip_type, emit) {
            emit(line);
        }
        if terminated {
            emit(b"\r\n");
        }
    }
}

/// Emits a rewritten `c=` or `o=` line; false (nothing emitted) for any other line.
fn rewrite_sdp_line(line: &[u8], ip: &str, ip_type: &str, emit: &mut dyn FnMut(&[u8])) -> bool {
    let trimmed = line.trim_ascii_end();
    let is_inet = |net: &[u8], typ: &[u8]| net == b"IN" && (typ == b"IP4" || typ == b"IP6");
    if let Some(rest) = trimmed.strip_prefix(b"c=") {
        // c=<nettype> <addrtype> <connection-address>
        let mut f = rest.split(|&b| b == b' ');
        if let (Some(net), Some(typ), Some(_), None) = (f.next(), f.next(), f.next(), f.next())
            && is_inet(net, typ)
        {
            for part in [b"c=IN ".as_slice(), ip_type.as_bytes(), b" ", ip.as_bytes()] {
                emit(part);
            }
            return true;
        }
    } else if let Some(rest) = trimmed.strip_prefix(b"o=") {
        // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
        let f: [Option<&[u8]>; 7] = {
            let mut it = rest.split(|&b| b == b' ');
            std::array::from_fn(|_| it.next())
        };
        if let [
            Some(user),
            Some(id),
            Some(version),
            Some(net),
            Some(typ),
            Some(_),
            None,
        ] = f
            && is_inet(net, typ)
        {
            for part in [
                &b"o="[..],
                user,
                b" ",
                id,
                b" ",
                version,
                b" IN ",
                ip_type.as_bytes(),
            ] {
                emit(part);
            }
            emit(b" ");
            emit(ip.as_bytes());
            return true;
        }
    }
    false
}

/// Appends `Name: value` CRLF.
fn header(w: &mut Bounded<'_>, name: &str, value: &str) {
    for part in [name, ": ", value, "\r\n"] {
        w.put(part.as_bytes());
    }
}

/// `ip:port`, IPv6 in brackets (without a scope id, which means nothing to the peer).
struct HostPort(IpAddr, u16);

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.1),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.1),
        }
    }
}

/// A writer that refuses to grow `out` past `limit`, so no answer allocates more than its
/// bound; `overflow` records that something did not fit.
struct Bounded<'o> {
    out: &'o mut Vec<u8>,
    limit: usize,
    overflow: bool,
}

impl Bounded<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if self.overflow || self.out.len() + bytes.len() > self.limit {
            self.overflow = true;
            return;
        }
        self.out.extend_from_slice(bytes);
    }
}

impl fmt::Write for Bounded<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s.as_bytes());
        if self.overflow {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

/// Never answer towards addresses that cannot be a real client (reflection abuse).
fn replyable(source: SocketAddr) -> bool {
    if source.port() == 0 {
        return false;
    }
    match source.ip().to_canonical() {
        IpAddr::V4(ip) => !(ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast()),
        IpAddr::V6(ip) => !(ip.is_unspecified() || ip.is_multicast()),
    }
}
