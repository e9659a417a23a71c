//! The shape every test state machine shares, so one driver loop can run any of them.
//!
//! A machine declares the sockets it needs (`SocketRequest`), is told where each got bound
//! (`Machine::bound`), and is then driven by a handful of calls: `poll_transmit` (what to send
//! now), `handle_receive` (what arrived, on which socket, from whom), `poll_timeout` (when it
//! next needs the clock), `handle_timeout`, and for tests that need the reflector's help
//! (callbacks, media, mirror records) `poll_request` / `handle_reply` on the control channel.
//! Time is always passed in, never read, so tests replay any timing exactly.

use std::net::SocketAddr;
use std::time::Instant;

use sipwall_proto::control::{Answer, ErrorCode, Event, Request};

/// A socket of one machine, numbered by the machine itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    Udp,
    /// A TCP connection to `remote`, opened by the driver before the machine starts.
    Tcp {
        remote: SocketAddr,
    },
    /// TLS over TCP to `remote` (the reflector's certificate is not verified: the test looks
    /// at what arrives, and nothing secret is sent).
    Tls {
        remote: SocketAddr,
    },
    /// A TCP listener (inbound tests): bytes of every accepted connection arrive through
    /// `handle_receive` with the connecting peer as `from`.
    TcpListen,
}

/// A socket the machine needs before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketRequest {
    pub id: SocketId,
    pub kind: SocketKind,
    /// A specific local port (e.g. 5060 to test port preservation), or `None` for any.
    /// The driver falls back to any port when the wanted one is taken; `Machine::bound` gets
    /// the address actually bound, so the machine can tell.
    pub port: Option<u16>,
    /// The IPv4 TOS byte to mark outgoing packets with (e.g. 0xB8 = DSCP EF for RTP).
    pub tos: Option<u8>,
}

/// Bytes to send. On a UDP socket one datagram to `destination`; on a stream socket bytes
/// written to the connection (`destination` is its remote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub socket: SocketId,
    pub destination: SocketAddr,
    pub payload: Vec<u8>,
}

/// How a stream socket ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The connection was refused (a reset: nothing listens, or a firewall rejects).
    ConnectRefused,
    /// The connection could not be opened otherwise (timed out, TLS failed).
    ConnectFailed,
    /// The peer closed it in order.
    Closed,
    /// Reset (a middlebox that tears down connections shows up here).
    Reset,
}

/// A machine's own label for a control request, echoed with every reply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestTag(pub u32);

/// What the reflector said about a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Answer(Answer),
    Event(Event),
    Error { code: ErrorCode, message: String },
}

/// A test as a state machine.
pub trait Machine {
    type Report;

    /// The sockets to open before the first `poll_transmit`.
    fn sockets(&self) -> Vec<SocketRequest>;
    /// Where a requested socket was bound (its local address as the OS reports it), or that
    /// it could not be opened (`None`; for stream sockets `handle_stream_end` follows).
    fn bound(&mut self, socket: SocketId, local: Option<SocketAddr>);
    /// The next bytes to send now, if any. Called until it returns `None`.
    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit>;
    /// Bytes arrived on `socket` from `from`: one datagram (UDP), or whatever the stream
    /// delivered (TCP/TLS: the machine frames it).
    fn handle_receive(&mut self, now: Instant, socket: SocketId, from: SocketAddr, payload: &[u8]);
    /// A stream socket ended.
    fn handle_stream_end(&mut self, _now: Instant, _socket: SocketId, _end: StreamEnd) {}
    /// A control request to make now; the driver assigns the protocol id. A request that
    /// refers to an earlier one (`media_stop {media}`) puts that request's *tag* in the field;
    /// the driver translates it to the protocol id.
    fn poll_request(&mut self, _now: Instant) -> Option<(RequestTag, Request)> {
        None
    }
    /// A reply (answer, event or error) to the request with this tag.
    fn handle_reply(&mut self, _now: Instant, _tag: RequestTag, _reply: Reply) {}
    /// When the machine next needs `handle_timeout`; `None` when it waits for nothing.
    fn poll_timeout(&self) -> Option<Instant>;
    fn handle_timeout(&mut self, now: Instant);
    /// The report, once the test is over (then the driver stops).
    fn report(&self) -> Option<Self::Report>;
}
