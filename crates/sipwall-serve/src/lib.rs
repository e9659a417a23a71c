//! The reflector `sipwall check` talks to. For now it serves STUN over UDP and TCP (RFC 8489 Binding,
//! RFC 5780 NAT behaviour discovery on up to four sockets, classic RFC 3489); the SIP mirror,
//! the control channel and the RTP echo are still to come (see docs/serve.md).
//!
//! The protocol logic is `sipwall_proto::stun::respond`; this crate only binds sockets, runs
//! one receive loop per socket and counts what happened.

pub mod config;
mod counters;
pub mod rate_limit;
mod stun_server;
mod stun_tcp;

pub use counters::{Counters, Snapshot};
pub use stun_server::{StartError, StunServer, StunServerConfig};
