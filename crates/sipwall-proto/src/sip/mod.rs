//! SIP: a lenient, zero-copy message view and the reflector's mirror responder, sans-IO.
//!
//! - [`SipMessage::parse`] borrows one message (CRLF or LF line ends, compact and folded
//!   headers), keeping every header's raw text and byte range so ALG rewrites can be diffed.
//! - [`stream_message_len`] frames TCP/TLS streams (RFC 3261 §18.3) and reports RFC 5626
//!   keepalives separately.
//! - [`respond`] is the mirror: a probe with a valid session token gets a 200 OK describing
//!   the public mapping; other requests get a 403 no larger than themselves. Its module
//!   documents the reply format and the amplification bound.
//!
//! Nothing here panics on any input; `fuzz/fuzz_targets/sip_mirror.rs` keeps it that way.

mod message;
mod mirror;

#[cfg(test)]
mod tests;

pub use message::{
    Header, MAX_HEADERS, MAX_MESSAGE, SipError, SipMessage, StartLine, StreamFrame,
    canonical_header_name, split_top_level_commas, stream_message_len,
};
pub use mirror::{
    MirrorDrop, MirrorOutcome, OBSERVED_HEADER, PROBE_ANSWER_SLACK, PROBE_HEADER, SERVER,
    SipTransport, TOKEN_LEN, is_token_syntax, respond, to_tag,
};
