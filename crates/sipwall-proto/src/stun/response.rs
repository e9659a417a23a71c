//! The check client's view of a Binding response: every address the RFCs define, the error,
//! and integrity status, read in one pass without allocating.

use std::net::SocketAddr;

use super::attributes::{Attribute, AttributeError, AttributeTypes, ErrorCode, attr};
use super::integrity::{FingerprintStatus, IntegrityStatus};
use super::message::{Class, DecodeError, Message, Method};

/// Why bytes are not a usable Binding response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// Not a well-formed STUN message.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A request or indication, or another method.
    #[error("not a Binding success or error response")]
    NotBindingResponse,
    /// FINGERPRINT present and wrong (RFC 8489 §6.3: discard).
    #[error("FINGERPRINT does not match")]
    BadFingerprint,
    /// A known attribute with a malformed value.
    #[error(transparent)]
    Attribute(#[from] AttributeError),
    /// A success response with an attribute the client must understand but does not
    /// (RFC 8489 §6.3.3: discard, the transaction failed).
    #[error("unknown comprehension-required attribute 0x{0:04x}")]
    UnknownComprehensionRequired(u16),
}

/// A parsed Binding response (success or error). Fields hold the first occurrence of each
/// attribute (RFC 8489 §14). The caller still has to match the transaction ID and check
/// where the datagram came from (DESIGN §2.3).
#[derive(Clone, Copy, Debug)]
pub struct BindingResponse<'a> {
    /// The message, for transaction ID, legacy flag and integrity checks.
    pub message: Message<'a>,
    /// True for a success response, false for an error response.
    pub success: bool,
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2), in clear.
    pub xor_mapped_address: Option<SocketAddr>,
    /// MAPPED-ADDRESS (RFC 8489 §14.1). Differing from XOR-MAPPED-ADDRESS means a NAT
    /// rewrote the payload (generic ALG, RFC 5780 §3.6).
    pub mapped_address: Option<SocketAddr>,
    /// RESPONSE-ORIGIN (RFC 5780 §7.3).
    pub response_origin: Option<SocketAddr>,
    /// OTHER-ADDRESS (RFC 5780 §7.4).
    pub other_address: Option<SocketAddr>,
    /// SOURCE-ADDRESS (RFC 3489 §11.2.5).
    pub source_address: Option<SocketAddr>,
    /// CHANGED-ADDRESS (RFC 3489 §11.2.3).
    pub changed_address: Option<SocketAddr>,
    /// ERROR-CODE (RFC 8489 §14.8).
    pub error: Option<ErrorCode<'a>>,
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    pub unknown_attributes: Option<AttributeTypes<'a>>,
    /// SOFTWARE (RFC 8489 §14.14).
    pub software: Option<&'a str>,
    /// Length of the PADDING value (RFC 5780 §7.6), if any.
    pub padding: Option<usize>,
    /// FINGERPRINT status; `Invalid` never gets here (parse fails).
    pub fingerprint: FingerprintStatus,
}

impl<'a> BindingResponse<'a> {
    /// Parses and checks a Binding response datagram.
    pub fn parse(datagram: &'a [u8]) -> Result<BindingResponse<'a>, ResponseError> {
        let message = Message::parse(datagram)?;
        let success = match (message.class(), message.method()) {
            (Class::SuccessResponse, Method::BINDING) => true,
            (Class::ErrorResponse, Method::BINDING) => false,
            _ => return Err(ResponseError::NotBindingResponse),
        };
        let fingerprint = message.fingerprint_status();
        if fingerprint == FingerprintStatus::Invalid {
            return Err(ResponseError::BadFingerprint);
        }
        let mut r = BindingResponse {
            message,
            success,
            xor_mapped_address: None,
            mapped_address: None,
            response_origin: None,
            other_address: None,
            source_address: None,
            changed_address: None,
            error: None,
            unknown_attributes: None,
            software: None,
            padding: None,
            fingerprint,
        };
        for raw in message.attributes() {
            let typed = message.attribute(raw)?;
            match typed {
                Attribute::XorMappedAddress(a) => set(&mut r.xor_mapped_address, a),
                Attribute::MappedAddress(a) => set(&mut r.mapped_address, a),
                Attribute::ResponseOrigin(a) => set(&mut r.response_origin, a),
                Attribute::OtherAddress(a) => set(&mut r.other_address, a),
                Attribute::SourceAddress(a) => set(&mut r.source_address, a),
                Attribute::ChangedAddress(a) => set(&mut r.changed_address, a),
                Attribute::ErrorCode(e) => set(&mut r.error, e),
                Attribute::UnknownAttributes(t) => set(&mut r.unknown_attributes, t),
                Attribute::Software(s) => set(&mut r.software, s),
                Attribute::Padding(n) => set(&mut r.padding, n),
                Attribute::Other { typ, .. }
                    if success && attr::is_comprehension_required(typ) && !known(typ) =>
                {
                    return Err(ResponseError::UnknownComprehensionRequired(typ));
                }
                _ => {}
            }
        }
        Ok(r)
    }

    /// Checks MESSAGE-INTEGRITY with `key` (see [`Message::verify_integrity`]).
    pub fn verify_integrity(&self, key: &[u8]) -> IntegrityStatus {
        self.message.verify_integrity(key)
    }
}

fn set<T>(slot: &mut Option<T>, value: T) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

/// Comprehension-required types a client understands in a response (RFC 8489 §18.3 plus
/// RFC 5780 §7 and the RFC 3489 ones RFC 5389 §12.1 says to ignore).
fn known(typ: u16) -> bool {
    matches!(
        typ,
        attr::MAPPED_ADDRESS
            ..=attr::REFLECTED_FROM
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
