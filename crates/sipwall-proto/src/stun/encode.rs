//! Writing messages into a caller's buffer (no allocation once the buffer has capacity).
//! Attributes are appended in call order; the header length is kept current after each one
//! so MESSAGE-INTEGRITY and FINGERPRINT can be computed in place (RFC 8489 §14.5, §14.7).

use super::attributes::{Attribute, AttributeError, ErrorCode, attr};
use super::integrity::{self, FINGERPRINT_ATTR_LEN, MESSAGE_INTEGRITY_ATTR_LEN};
use super::message::{
    HEADER_LEN, LegacyTransactionId, MAGIC_COOKIE, MAX_BODY_LEN, MessageType, TransactionId, padded,
};

/// Why a message could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The attribute value breaks a limit of its type.
    #[error(transparent)]
    Attribute(#[from] AttributeError),
    /// The value is longer than a 16-bit attribute length can say.
    #[error("attribute value of {len} bytes does not fit a 16-bit length")]
    ValueTooLong {
        /// Value length.
        len: usize,
    },
    /// The message would exceed 65532 bytes of attributes (RFC 8489 §5).
    #[error("message would exceed the 65552-byte STUN maximum")]
    MessageTooLong,
    /// Nothing may follow FINGERPRINT (RFC 8489 §14.7).
    #[error("attribute after FINGERPRINT")]
    AfterFingerprint,
    /// MESSAGE-INTEGRITY and FINGERPRINT are computed; use the dedicated methods.
    #[error("attribute 0x{typ:04x} is computed by the encoder; use its add_* method")]
    Computed {
        /// The attribute type.
        typ: u16,
    },
}

/// Appends one message to a `Vec<u8>`.
///
/// ```
/// use sipwall_proto::stun::{Attribute, MessageEncoder, MessageType, TransactionId};
/// let mut out = Vec::new();
/// let mut enc = MessageEncoder::new(&mut out, MessageType::BINDING_REQUEST, TransactionId([7; 12]));
/// enc.add(&Attribute::Software("sipwall")).unwrap();
/// enc.add_fingerprint().unwrap();
/// assert_eq!(enc.finish(), 20 + 12 + 8);
/// ```
#[derive(Debug)]
pub struct MessageEncoder<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
    key: [u8; 16],
    pad_byte: u8,
    sealed: bool,
}

impl<'o> MessageEncoder<'o> {
    /// Starts an RFC 8489 message (magic cookie + 96-bit transaction ID) at the end of `out`.
    pub fn new(out: &'o mut Vec<u8>, msg_type: MessageType, tid: TransactionId) -> Self {
        let mut key = [0u8; 16];
        key[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
        key[4..].copy_from_slice(&tid.0);
        Self::start(out, msg_type, key)
    }

    /// Starts an RFC 3489 message (128-bit transaction ID, no cookie) at the end of `out`.
    pub fn new_legacy(
        out: &'o mut Vec<u8>,
        msg_type: MessageType,
        tid: LegacyTransactionId,
    ) -> Self {
        Self::start(out, msg_type, tid.0)
    }

    fn start(out: &'o mut Vec<u8>, msg_type: MessageType, key: [u8; 16]) -> Self {
        let start = out.len();
        out.extend_from_slice(&msg_type.to_u16().to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&key);
        MessageEncoder {
            out,
            start,
            key,
            pad_byte: 0,
            sealed: false,
        }
    }

    /// The byte used to pad values to 4 bytes. RFC 8489 §14 says zero (the default); RFC 5389
    /// §15 allowed any value, and the RFC 5769 vectors use 0x20, so tests reproducing them
    /// byte for byte set it.
    pub fn set_padding_byte(&mut self, byte: u8) {
        self.pad_byte = byte;
    }

    /// Bytes written so far (header included).
    #[allow(clippy::len_without_is_empty)] // never empty: the header is written at once
    pub fn len(&self) -> usize {
        self.out.len() - self.start
    }

    fn body_len(&self) -> usize {
        self.len() - HEADER_LEN
    }

    fn set_body_len(&mut self, body_len: usize) {
        if let Some(field) = self.out.get_mut(self.start + 2..self.start + 4) {
            field.copy_from_slice(&(body_len as u16).to_be_bytes());
        }
    }

    /// Checks that a value of `len` bytes may be appended.
    fn room(&self, len: usize) -> Result<(), EncodeError> {
        if self.sealed {
            return Err(EncodeError::AfterFingerprint);
        }
        if len > usize::from(u16::MAX) {
            return Err(EncodeError::ValueTooLong { len });
        }
        if self.body_len() + 4 + padded(len) > MAX_BODY_LEN {
            return Err(EncodeError::MessageTooLong);
        }
        Ok(())
    }

    /// Writes the attribute header, reserving room for the whole attribute at once.
    fn header(&mut self, typ: u16, len: usize) {
        self.out.reserve(4 + padded(len));
        let [t0, t1] = typ.to_be_bytes();
        let [l0, l1] = (len as u16).to_be_bytes();
        self.out.extend_from_slice(&[t0, t1, l0, l1]);
    }

    fn pad_and_update(&mut self, len: usize) {
        let pad = padded(len) - len;
        self.out.extend_from_slice(&[self.pad_byte; 3][..pad]);
        let body = self.body_len();
        self.set_body_len(body);
    }

    /// Appends a typed attribute (XOR'ed addresses are masked here).
    pub fn add(&mut self, attribute: &Attribute<'_>) -> Result<(), EncodeError> {
        let typ = attribute.typ();
        if typ == attr::MESSAGE_INTEGRITY || typ == attr::FINGERPRINT {
            return Err(EncodeError::Computed { typ });
        }
        let len = attribute.value_len()?;
        self.room(len)?;
        self.header(typ, len);
        let key = self.key;
        attribute.write_value(self.out, &key);
        self.pad_and_update(len);
        Ok(())
    }

    /// Appends an attribute of any type with an uninterpreted value, as is: nothing is
    /// computed, even for MESSAGE-INTEGRITY or FINGERPRINT (for relaying and tests). A raw
    /// FINGERPRINT still ends the message.
    pub fn add_raw(&mut self, typ: u16, value: &[u8]) -> Result<(), EncodeError> {
        self.room(value.len())?;
        self.header(typ, value.len());
        self.out.extend_from_slice(value);
        self.pad_and_update(value.len());
        self.sealed = typ == attr::FINGERPRINT;
        Ok(())
    }

    /// Appends MESSAGE-INTEGRITY: HMAC-SHA1 over the message so far, with the length field
    /// covering the attribute itself (RFC 8489 §14.5). `key` is the password for short-term
    /// credentials (§9.1.1) or the long-term key (§9.2.2).
    pub fn add_message_integrity(&mut self, key: &[u8]) -> Result<(), EncodeError> {
        self.room(20)?;
        let body_len = self.body_len() + MESSAGE_INTEGRITY_ATTR_LEN;
        let mac = integrity::hmac_sha1(key, &self.out[self.start..], body_len);
        self.header(attr::MESSAGE_INTEGRITY, 20);
        self.out.extend_from_slice(&mac);
        self.set_body_len(body_len);
        Ok(())
    }

    /// Appends FINGERPRINT, which must be last (RFC 8489 §14.7); later additions fail.
    pub fn add_fingerprint(&mut self) -> Result<(), EncodeError> {
        self.room(4)?;
        let body_len = self.body_len() + FINGERPRINT_ATTR_LEN;
        let crc = integrity::fingerprint(&self.out[self.start..], body_len);
        self.header(attr::FINGERPRINT, 4);
        self.out.extend_from_slice(&crc.to_be_bytes());
        self.set_body_len(body_len);
        self.sealed = true;
        Ok(())
    }

    /// Ends the message and returns its length.
    pub fn finish(self) -> usize {
        self.len()
    }
}

/// What to append after the attributes: MESSAGE-INTEGRITY with a key, then FINGERPRINT.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seal<'k> {
    /// Append MESSAGE-INTEGRITY computed with this key.
    pub integrity_key: Option<&'k [u8]>,
    /// Append FINGERPRINT (RFC 5780 §5: SHOULD, when STUN shares a flow with other traffic).
    pub fingerprint: bool,
}

impl Seal<'_> {
    /// Neither MESSAGE-INTEGRITY nor FINGERPRINT.
    pub const NONE: Seal<'static> = Seal {
        integrity_key: None,
        fingerprint: false,
    };
    /// FINGERPRINT only.
    pub const FINGERPRINT: Seal<'static> = Seal {
        integrity_key: None,
        fingerprint: true,
    };
}

/// Appends a whole RFC 8489 message to `out` and returns its length. On error `out` is left
/// as it was.
pub fn encode_message(
    msg_type: MessageType,
    tid: TransactionId,
    attributes: &[Attribute<'_>],
    seal: Seal<'_>,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    encode_sealed(msg_type, tid, None, attributes, seal, out)
}

/// Encodes `first` (if any), then `attributes`, then the seal; on error `out` is left as it was.
fn encode_sealed(
    msg_type: MessageType,
    tid: TransactionId,
    first: Option<&Attribute<'_>>,
    attributes: &[Attribute<'_>],
    seal: Seal<'_>,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    let start = out.len();
    let result = (|| {
        let mut enc = MessageEncoder::new(out, msg_type, tid);
        for a in first.into_iter().chain(attributes) {
            enc.add(a)?;
        }
        if let Some(key) = seal.integrity_key {
            enc.add_message_integrity(key)?;
        }
        if seal.fingerprint {
            enc.add_fingerprint()?;
        }
        Ok(enc.finish())
    })();
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// A Binding request (RFC 8489 §6.1) with the given attributes, e.g.
/// `[Attribute::ChangeRequest(..)]` or `[Attribute::Padding(1472)]` (RFC 5780 §4).
pub fn binding_request(
    tid: TransactionId,
    attributes: &[Attribute<'_>],
    seal: Seal<'_>,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    encode_message(MessageType::BINDING_REQUEST, tid, attributes, seal, out)
}

/// A Binding success response with the given attributes.
pub fn binding_success(
    tid: TransactionId,
    attributes: &[Attribute<'_>],
    seal: Seal<'_>,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    encode_message(MessageType::BINDING_SUCCESS, tid, attributes, seal, out)
}

/// A Binding error response: ERROR-CODE first (RFC 8489 §6.3.1.1), then `attributes`.
pub fn binding_error(
    tid: TransactionId,
    error: ErrorCode<'_>,
    attributes: &[Attribute<'_>],
    seal: Seal<'_>,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    encode_sealed(
        MessageType::BINDING_ERROR,
        tid,
        Some(&Attribute::ErrorCode(error)),
        attributes,
        seal,
        out,
    )
}

/// An RFC 3489 Binding Request (§11.1: no cookie, 128-bit transaction ID), for talking to
/// classic servers; RFC 3489 has no FINGERPRINT and its MESSAGE-INTEGRITY needs a shared
/// secret we never have, so neither is offered.
pub fn legacy_binding_request(
    tid: LegacyTransactionId,
    attributes: &[Attribute<'_>],
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    let start = out.len();
    let result = (|| {
        let mut enc = MessageEncoder::new_legacy(out, MessageType::BINDING_REQUEST, tid);
        for a in attributes {
            enc.add(a)?;
        }
        Ok(enc.finish())
    })();
    if result.is_err() {
        out.truncate(start);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stun::{FingerprintStatus, IntegrityStatus, Message};

    #[test]
    fn header_and_length_are_kept_current() {
        let mut out = vec![0xAA]; // encoder appends after existing bytes
        let mut enc = MessageEncoder::new(
            &mut out,
            MessageType::BINDING_REQUEST,
            TransactionId([1; 12]),
        );
        enc.add(&Attribute::Software("abc")).unwrap();
        assert_eq!(enc.finish(), 28);
        assert_eq!(&out[1..9], &[0, 1, 0, 8, 0x21, 0x12, 0xa4, 0x42]);
        assert_eq!(&out[21..29], &[0x80, 0x22, 0, 3, b'a', b'b', b'c', 0]);
    }

    #[test]
    fn nothing_after_fingerprint_and_computed_attributes_refused() {
        let mut out = Vec::new();
        let mut enc = MessageEncoder::new(
            &mut out,
            MessageType::BINDING_REQUEST,
            TransactionId([1; 12]),
        );
        assert_eq!(
            enc.add(&Attribute::Fingerprint(0)),
            Err(EncodeError::Computed {
                typ: attr::FINGERPRINT
            })
        );
        enc.add_fingerprint().unwrap();
        assert_eq!(
            enc.add(&Attribute::Software("x")),
            Err(EncodeError::AfterFingerprint)
        );
        assert_eq!(enc.add_fingerprint(), Err(EncodeError::AfterFingerprint));
    }

    #[test]
    fn size_limits() {
        let mut out = Vec::new();
        let big = vec![0u8; 70_000];
        let mut enc = MessageEncoder::new(
            &mut out,
            MessageType::BINDING_REQUEST,
            TransactionId([1; 12]),
        );
        assert_eq!(
            enc.add_raw(0x8001, &big),
            Err(EncodeError::ValueTooLong { len: 70_000 })
        );
        enc.add_raw(0x8001, &big[..65_000]).unwrap();
        assert_eq!(
            enc.add_raw(0x8001, &big[..1000]),
            Err(EncodeError::MessageTooLong)
        );
        assert_eq!(enc.finish(), 20 + 65_004);
        // A failed builder leaves the buffer untouched.
        let mut out = vec![1, 2, 3];
        let r = binding_request(
            TransactionId([0; 12]),
            &[Attribute::Other {
                typ: 1,
                value: &big,
            }],
            Seal::NONE,
            &mut out,
        );
        assert!(r.is_err());
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn integrity_then_fingerprint_verify() {
        let mut out = Vec::new();
        let seal = Seal {
            integrity_key: Some(b"secret"),
            fingerprint: true,
        };
        let len = binding_request(
            TransactionId([9; 12]),
            &[Attribute::Username("u")],
            seal,
            &mut out,
        )
        .unwrap();
        assert_eq!(len, out.len());
        let m = Message::parse(&out).unwrap();
        assert_eq!(m.verify_integrity(b"secret"), IntegrityStatus::Valid);
        assert_eq!(m.verify_integrity(b"wrong"), IntegrityStatus::Invalid);
        assert_eq!(m.fingerprint_status(), FingerprintStatus::Valid);
        out[25] ^= 1; // inside USERNAME
        let m = Message::parse(&out).unwrap();
        assert_eq!(m.verify_integrity(b"secret"), IntegrityStatus::Invalid);
        assert_eq!(m.fingerprint_status(), FingerprintStatus::Invalid);
    }

    #[test]
    fn legacy_request_has_no_cookie() {
        let mut out = Vec::new();
        let tid = LegacyTransactionId(*b"0123456789abcdef");
        legacy_binding_request(tid, &[], &mut out).unwrap();
        assert_eq!(&out[..4], &[0, 1, 0, 0]);
        assert_eq!(&out[4..], b"0123456789abcdef");
        let m = Message::parse(&out).unwrap();
        assert!(m.is_legacy());
        assert_eq!(m.legacy_transaction_id(), tid);
    }
}
