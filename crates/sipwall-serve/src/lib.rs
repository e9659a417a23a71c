//! The reflector `sipwall check` talks to (`sipwall serve`): RFC 5780 STUN over UDP and TCP,
//! the SIP mirror on UDP/TCP/TLS, the control channel (check sessions, timed callbacks,
//! inbound tests, the RTP echo), the port matrix and a Prometheus metrics endpoint.
//!
//! Protocol logic lives in `sipwall_proto` (sans-IO); this crate binds sockets, runs the loops,
//! enforces the caps and counts what happened. `Reflector` starts all of it.

pub mod config;
mod control;
mod counters;
mod directory;
mod media;
mod metrics;
mod port_probe;
pub mod port_redirect;
pub mod rate_limit;
mod reflector;
pub mod session;
mod sip_mirror;
mod stream;
mod stun_server;
mod stun_tcp;
mod stun_tls;
pub mod tls;

pub use counters::{Counters, SERVICE_COUNTERS, Service, ServiceCounters, Snapshot};
pub use reflector::{MAX_STREAMS, Reflector, ReflectorConfig, ReflectorError};
pub use stun_server::{StartError, StunServer, StunServerConfig};

/// Receive buffer asked for on every UDP socket. The kernel default (~208 KiB, ~300 STUN
/// requests, about a millisecond at full rate) drops requests whenever the server thread is
/// descheduled for a moment (bench/README.md); coturn asks for a few MiB too. The kernel caps
/// it at `net.core.rmem_max`; failing is harmless.
const RECEIVE_BUFFER: usize = 4 * 1024 * 1024;

pub(crate) fn enlarge_receive_buffer(socket: &impl std::os::fd::AsFd) {
    let _ =
        nix::sys::socket::setsockopt(socket, nix::sys::socket::sockopt::RcvBuf, &RECEIVE_BUFFER);
}
