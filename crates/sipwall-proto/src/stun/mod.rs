//! STUN: the wire format (RFC 8489, RFC 5780 NAT Behavior Discovery attributes, RFC 3489
//! classic messages) and the reflector's sans-IO responder.
//!
//! - [`Message`] borrows a datagram, validated once ([`Message::parse`]); attributes are read
//!   typed with [`Message::attribute`]; [`Message::fingerprint_status`] and
//!   [`Message::verify_integrity`] check FINGERPRINT and MESSAGE-INTEGRITY.
//! - [`MessageEncoder`] and the builders ([`binding_request`], ...) append to a caller's
//!   `Vec<u8>`, so a reused buffer means no allocation per packet.
//! - [`respond`] is the reflector's core: a request in, a reply and the socket role to send
//!   it from out, or a counted [`DropReason`]. Its module documents the amplification bound.
//! - [`BindingResponse`] is the check client's view of a reply.
//! - [`looks_like_stun`] and [`stream_message_len`] demultiplex and frame.
//!
//! Nothing here panics on any input; `fuzz/fuzz_targets/stun_decode.rs` keeps it that way.

mod address;
mod attributes;
mod encode;
mod integrity;
mod legacy;
mod message;
mod responder;
mod response;

#[cfg(test)]
mod tests;

pub use address::{FAMILY_IPV4, FAMILY_IPV6};
pub use attributes::{
    Attribute, AttributeError, AttributeTypes, ChangeRequest, ErrorCode, MAX_TEXT_CHARS,
    MAX_USERNAME_BYTES, attr,
};
pub use encode::{
    EncodeError, MessageEncoder, Seal, binding_error, binding_request, binding_success,
    encode_message, legacy_binding_request,
};
pub use integrity::{
    FINGERPRINT_ATTR_LEN, FINGERPRINT_XOR, FingerprintStatus, IntegrityStatus,
    MESSAGE_INTEGRITY_ATTR_LEN,
};
pub use message::{
    Attributes, Class, DecodeError, HEADER_LEN, LegacyTransactionId, MAGIC_COOKIE, MAX_BODY_LEN,
    MAX_MESSAGE_LEN, Message, MessageType, Method, RawAttribute, RawAttributes, TransactionId,
    looks_like_stun, stream_message_len,
};
pub use responder::{
    ConfigError, DropReason, MAX_LISTED_UNKNOWN, MAX_REQUIRED_REPLY_LEN, MappedAddressPolicy,
    Outcome, ReplyKind, ResponderConfig, SocketRole, Transport, respond,
};
pub use response::{BindingResponse, ResponseError};
