//! The check ↔ reflector control protocol, version 1 (docs/protocol.md is the reference).
//!
//! Newline-delimited JSON over one TCP (or TLS) connection. The client opens with `hello`, the
//! server answers `welcome` with a session token and the address it saw. Every later request
//! carries a client-chosen `id`; every answer and every later event about that request carries
//! the same `id`. Requests may overlap: callbacks and media sessions answer long after others.
//!
//! Only types and framing live here (sans-IO); `sipwall-serve` runs the server side and
//! `sipwall check` the client side, both with these same types.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::rtp::StreamReport;

/// The protocol version this code speaks.
pub const VERSION: u32 = 1;
/// The longest line either side accepts; a longer one ends the connection.
pub const MAX_LINE: usize = 64 * 1024;
/// Token length in hex characters (128 random bits).
pub const TOKEN_HEX_LEN: usize = 32;

/// First payload bytes of every datagram or stream the reflector sends on its own initiative
/// (callbacks, inbound tests) and of every port-matrix answer: easy to recognise, never SIP.
pub const CALLBACK_MAGIC: &str = "SIPWALL-CALLBACK";
pub const INBOUND_MAGIC: &str = "SIPWALL-INBOUND";
pub const PORT_PROBE_MAGIC: &str = "SIPWALL-PORT";

/// What the client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// No deny_unknown_fields here: serde cannot combine it with the flattened request; the
// request enums below deny unknown fields themselves.
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Must be the first line. `version` is the highest version the client speaks.
    Hello {
        version: u32,
        /// Free text for the server's log, e.g. "sipwall 0.1.0".
        #[serde(default)]
        client: String,
    },
    /// Any request, with its id.
    Request {
        id: u64,
        #[serde(flatten)]
        request: Request,
    },
    /// Keeps the connection and its NAT state alive; answered with `pong`.
    Ping,
    /// Ends the session; the server closes the connection.
    Bye,
}

/// A request inside a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Which sockets the server listens on (answer: `Answer::Ports`).
    Ports {},
    /// Send `count` token-bearing datagrams from the named server socket to the control
    /// peer's own IP at `port`, the first after `delay_ms`, then every `every_ms`.
    /// Binding-lifetime tests: the client primes a mapping, goes quiet, and waits for it.
    Callback {
        /// A socket name from the `ports` answer, e.g. "stun-pp" or "sip-udp-5060".
        socket: String,
        /// The client's public port (its mapping, learned from STUN or the SIP mirror).
        port: u16,
        delay_ms: u64,
        #[serde(default = "one")]
        count: u32,
        #[serde(default)]
        every_ms: u64,
        /// Echoed inside each datagram so the client can match it; ≤ 64 printable ASCII.
        nonce: String,
    },
    /// Reach the requester's own public IP on `port` from an address the client never
    /// contacted (port-forward test). UDP: `copies` datagrams (and, with `sip_options`, a SIP
    /// OPTIONS whose answer the server waits for); TCP: one connection attempt.
    Inbound {
        transport: InboundTransport,
        port: u16,
        nonce: String,
        #[serde(default)]
        sip_options: bool,
    },
    /// Open `streams` RTP echo sockets for `duration_ms`; answered at once with the ports,
    /// and at the end (or on `media_stop`) with upstream statistics per stream.
    Media {
        #[serde(default = "one")]
        streams: u32,
        duration_ms: u64,
        /// RTP clock rate for the jitter maths (8000 for G.711).
        #[serde(default = "g711_clock")]
        clock_rate: u32,
    },
    /// End a media session early; its statistics follow at once.
    MediaStop { media: u64 },
    /// The SIP probes this session sent, as the server received and answered them.
    Mirror { call_id: String },
}

fn one() -> u32 {
    1
}

fn g711_clock() -> u32 {
    8000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InboundTransport {
    Udp,
    Tcp,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome {
        version: u32,
        /// Carried by SIP probes (`X-Sipwall-Probe`) and port probes of this session.
        session: String,
        /// The control connection's source as the server saw it (the client's public IP).
        observed: SocketAddr,
        server: String,
        /// The session ends this long after `welcome`, whatever happens.
        max_session_ms: u64,
        limits: SessionLimits,
    },
    /// The answer to request `id` (for `callback` and `media`: an acknowledgement; results
    /// follow as `Event`s with the same id).
    Answer {
        id: u64,
        #[serde(flatten)]
        answer: Answer,
    },
    Event {
        id: u64,
        #[serde(flatten)]
        event: Event,
    },
    /// A request failed, or (without id) the session as a whole did.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        code: ErrorCode,
        message: String,
    },
    Pong,
}

/// Per-session caps, announced so the client can plan within them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionLimits {
    pub max_callbacks: u32,
    pub max_callback_delay_ms: u64,
    pub max_inbound: u32,
    pub max_media_streams: u32,
    pub max_media_duration_ms: u64,
    pub max_mirror_records: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Answers and events tolerate unknown fields: a newer server may add some (docs/protocol.md).
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Ports {
        sockets: Vec<ServerSocket>,
    },
    CallbackScheduled,
    InboundStarted {
        source: SocketAddr,
    },
    MediaReady {
        ports: Vec<u16>,
    },
    /// `media_stop` was accepted; the `media_stats` event of that media request follows.
    MediaStopping,
    Mirror {
        records: Vec<MirrorRecord>,
    },
}

/// One socket the server listens on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSocket {
    /// Stable name used by `callback`, e.g. "stun-pp", "sip-udp-5060", "port-udp-10000".
    pub name: String,
    pub service: Service,
    pub transport: SocketTransport,
    /// The address to send to (the advertised one when the server is behind a 1:1 NAT).
    pub address: SocketAddr,
    /// For a port range (port matrix): every port from `address`'s up to this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_port: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// RFC 5780 role PP (primary IP, primary port).
    StunPp,
    StunPa,
    StunAp,
    StunAa,
    SipMirror,
    /// A port of the port matrix: answers `SIPWALL-PORT` probes of a session.
    PortProbe,
    Control,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SocketTransport {
    Udp,
    Tcp,
    Tls,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// One callback datagram left the server (`sequence` counts from 1).
    CallbackSent {
        sequence: u32,
        at_ms: u64,
    },
    InboundResult {
        outcome: InboundOutcome,
    },
    MediaStats {
        streams: Vec<MediaStream>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundOutcome {
    /// UDP: the datagrams were sent; only the client can tell whether they arrived.
    Sent,
    /// UDP with `sip_options`: something answered the OPTIONS from that port.
    Answered,
    /// TCP: the connection was accepted.
    Connected,
    /// TCP: reset (nothing listens, or a firewall rejects).
    Refused,
    /// No answer within the deadline (a firewall drops, or nothing is there).
    Timeout,
    /// The server could not send (e.g. no route).
    Unreachable,
}

/// Upstream statistics of one RTP echo stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaStream {
    pub port: u16,
    /// The first RTP source seen (the client's public media mapping), if any arrived.
    pub source: Option<SocketAddr>,
    /// Datagrams echoed back to `source`.
    pub echoed: u64,
    /// Datagrams from any other source, ignored.
    pub foreign_source: u64,
    pub report: StreamReport,
}

/// One SIP probe of the session, exactly as received and as answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorRecord {
    pub transport: SocketTransport,
    /// The server port the probe arrived on.
    pub server_port: u16,
    pub source: SocketAddr,
    /// Milliseconds since `welcome`.
    pub at_ms: u64,
    /// Base64 of the bytes that arrived.
    pub received: String,
    /// Base64 of the bytes sent back.
    pub sent: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, unknown message or field, line too long.
    BadRequest,
    /// The client's version is not supported (the message says which are).
    Version,
    /// A per-session cap would be exceeded.
    Limit,
    /// No such socket, or the socket cannot be used for that.
    UnknownSocket,
    /// The server cannot do this (e.g. no alternate address for inbound tests).
    Unavailable,
    /// The server is full or shutting down.
    Busy,
    /// Too long without a line, or the session reached its maximum length.
    Timeout,
}

/// Encodes one message as a JSON line (with the trailing newline).
pub fn encode_line<T: Serialize>(message: &T) -> Vec<u8> {
    let mut line = serde_json::to_vec(message).expect("protocol types always serialise");
    line.push(b'\n');
    line
}

/// Decodes one line (without its newline).
pub fn decode_line<T: for<'de> Deserialize<'de>>(line: &[u8]) -> Result<T, String> {
    if line.len() > MAX_LINE {
        return Err(format!("line longer than {MAX_LINE} bytes"));
    }
    serde_json::from_slice(line).map_err(|e| e.to_string())
}

/// A nonce travels inside datagrams: short printable ASCII only, never a way to smuggle bytes.
pub fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty() && nonce.len() <= 64 && nonce.bytes().all(|b| b.is_ascii_graphic())
}

/// The payload of a callback datagram.
pub fn callback_payload(nonce: &str, sequence: u32) -> Vec<u8> {
    format!("{CALLBACK_MAGIC} {VERSION} {nonce} {sequence}\n").into_bytes()
}

/// The payload of an inbound-test datagram or the first bytes on an inbound TCP connection.
pub fn inbound_payload(nonce: &str) -> Vec<u8> {
    format!("{INBOUND_MAGIC} {VERSION} {nonce}\n").into_bytes()
}

/// A port-matrix probe: `SIPWALL-PORT 1 <session> <nonce>` plus optional padding. The answer,
/// `SIPWALL-PORT 1 <nonce> <observed>`, is only sent when it is no larger than the probe, so a
/// client pads short probes (an answer never amplifies).
pub fn port_probe(session: &str, nonce: &str) -> Vec<u8> {
    let mut probe = format!("{PORT_PROBE_MAGIC} {VERSION} {session} {nonce} ").into_bytes();
    probe.resize(probe.len().max(96), b'.');
    probe.push(b'\n');
    probe
}

/// Parses a port-matrix probe into (session, nonce).
pub fn parse_port_probe(bytes: &[u8]) -> Option<(&str, &str)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut words = text.split_ascii_whitespace();
    if words.next()? != PORT_PROBE_MAGIC || words.next()? != "1" {
        return None;
    }
    let session = words.next()?;
    let nonce = words.next()?;
    (session.len() == TOKEN_HEX_LEN && valid_nonce(nonce)).then_some((session, nonce))
}

/// The answer to a port-matrix probe, or `None` if it would be larger than the probe.
pub fn port_probe_answer(probe_len: usize, nonce: &str, observed: SocketAddr) -> Option<Vec<u8>> {
    let answer = format!("{PORT_PROBE_MAGIC} {VERSION} {nonce} {observed}\n").into_bytes();
    (answer.len() <= probe_len).then_some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip_client(message: ClientMessage, json: &str) {
        let line = encode_line(&message);
        assert_eq!(std::str::from_utf8(&line).unwrap(), format!("{json}\n"));
        assert_eq!(
            decode_line::<ClientMessage>(json.as_bytes()).unwrap(),
            message
        );
    }

    #[test]
    fn client_messages_have_the_documented_shape() {
        round_trip_client(
            ClientMessage::Hello {
                version: 1,
                client: "sipwall 0.1.0".into(),
            },
            r#"{"type":"hello","version":1,"client":"sipwall 0.1.0"}"#,
        );
        round_trip_client(
            ClientMessage::Request {
                id: 7,
                request: Request::Callback {
                    socket: "stun-pp".into(),
                    port: 40000,
                    delay_ms: 30000,
                    count: 1,
                    every_ms: 0,
                    nonce: "n7".into(),
                },
            },
            r#"{"type":"request","id":7,"request":"callback","socket":"stun-pp","port":40000,"delay_ms":30000,"count":1,"every_ms":0,"nonce":"n7"}"#,
        );
        round_trip_client(
            ClientMessage::Request {
                id: 2,
                request: Request::Ports {},
            },
            r#"{"type":"request","id":2,"request":"ports"}"#,
        );
        round_trip_client(ClientMessage::Ping, r#"{"type":"ping"}"#);
    }

    #[test]
    fn defaults_fill_optional_fields() {
        let message: ClientMessage =
            decode_line(br#"{"type":"request","id":3,"request":"media","duration_ms":10000}"#)
                .unwrap();
        assert_eq!(
            message,
            ClientMessage::Request {
                id: 3,
                request: Request::Media {
                    streams: 1,
                    duration_ms: 10000,
                    clock_rate: 8000
                }
            }
        );
    }

    #[test]
    fn unknown_fields_and_types_are_errors() {
        // Requests are strict; `hello` tolerates extra fields so a newer client can still
        // introduce itself to an older server and be told which version to speak.
        assert!(
            decode_line::<ClientMessage>(br#"{"type":"request","id":1,"request":"ports","x":1}"#)
                .is_err()
        );
        assert!(decode_line::<ClientMessage>(br#"{"type":"hello","version":2,"x":1}"#).is_ok());
        assert!(decode_line::<ClientMessage>(br#"{"type":"shout"}"#).is_err());
        assert!(decode_line::<ClientMessage>(b"not json").is_err());
        let long = vec![b' '; MAX_LINE + 1];
        assert!(
            decode_line::<ClientMessage>(&long)
                .unwrap_err()
                .contains("longer")
        );
    }

    #[test]
    fn server_events_round_trip() {
        let message = ServerMessage::Event {
            id: 9,
            event: Event::CallbackSent {
                sequence: 1,
                at_ms: 30001,
            },
        };
        let line = encode_line(&message);
        assert_eq!(
            std::str::from_utf8(&line).unwrap(),
            "{\"type\":\"event\",\"id\":9,\"event\":\"callback_sent\",\"sequence\":1,\"at_ms\":30001}\n"
        );
        assert_eq!(
            decode_line::<ServerMessage>(&line[..line.len() - 1]).unwrap(),
            message
        );
    }

    #[test]
    fn port_probes_never_amplify() {
        let session = "0123456789abcdef0123456789abcdef";
        let probe = port_probe(session, "p1");
        assert_eq!(parse_port_probe(&probe), Some((session, "p1")), "{probe:?}");
        let observed: SocketAddr = "[2001:db8::1]:65535".parse().unwrap();
        let answer = port_probe_answer(probe.len(), "p1", observed).unwrap();
        assert!(answer.len() <= probe.len());
        assert_eq!(port_probe_answer(20, "p1", observed), None);
        assert_eq!(parse_port_probe(b"SIPWALL-PORT 1 short p1"), None);
    }

    #[test]
    fn nonces_are_short_printable_ascii() {
        assert!(valid_nonce("abc-123"));
        assert!(!valid_nonce(""));
        assert!(!valid_nonce("a b"));
        assert!(!valid_nonce(&"x".repeat(65)));
    }
}
