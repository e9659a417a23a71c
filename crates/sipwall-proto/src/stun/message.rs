//! The STUN header and attribute framing (RFC 8489 §5, §14; RFC 3489 §11.1): a borrowed view
//! over one message, validated once so that iterating it later cannot fail.

use super::attributes::attr;

/// RFC 8489 §5: the fixed value in bytes 4..8 of every message since RFC 5389. Its absence
/// marks an RFC 3489 ("classic") message, whose transaction ID was 128 bits.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// RFC 8489 §5: the header is 20 bytes.
pub const HEADER_LEN: usize = 20;
/// RFC 8489 §5: the length field is 16 bits and a multiple of 4, so 65532 bytes of attributes.
pub const MAX_BODY_LEN: usize = 0xFFFC;
/// The largest STUN message: header plus [`MAX_BODY_LEN`].
pub const MAX_MESSAGE_LEN: usize = HEADER_LEN + MAX_BODY_LEN;

/// RFC 8489 §5: the two class bits C1 C0 of the message type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// 0b00
    Request,
    /// 0b01
    Indication,
    /// 0b10
    SuccessResponse,
    /// 0b11
    ErrorResponse,
}

impl Class {
    const fn bits(self) -> u16 {
        match self {
            Class::Request => 0,
            Class::Indication => 1,
            Class::SuccessResponse => 2,
            Class::ErrorResponse => 3,
        }
    }

    const fn from_bits(bits: u16) -> Class {
        match bits & 3 {
            0 => Class::Request,
            1 => Class::Indication,
            2 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        }
    }
}

/// RFC 8489 §5: the 12-bit method of the message type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Method(u16);

impl Method {
    /// RFC 8489 §18.2: Binding, the only method the reflector answers.
    pub const BINDING: Method = Method(0x001);

    /// A method from its 12-bit value; `None` above 0xFFF.
    pub const fn new(value: u16) -> Option<Method> {
        if value <= 0x0FFF {
            Some(Method(value))
        } else {
            None
        }
    }

    /// The 12-bit value.
    pub const fn value(self) -> u16 {
        self.0
    }
}

/// RFC 8489 §5 Figure 3: class and method interleaved into the 14 low bits of the first
/// 16-bit word (`M11..M7 C1 M6..M4 C0 M3..M0`). RFC 3489's types (Binding Request 0x0001,
/// Response 0x0101, Error Response 0x0111) fit the same layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageType {
    /// Request, indication, success or error response.
    pub class: Class,
    /// The method.
    pub method: Method,
}

impl MessageType {
    /// Binding request (0x0001).
    pub const BINDING_REQUEST: MessageType = MessageType::new(Class::Request, Method::BINDING);
    /// Binding indication (0x0011).
    pub const BINDING_INDICATION: MessageType =
        MessageType::new(Class::Indication, Method::BINDING);
    /// Binding success response (0x0101).
    pub const BINDING_SUCCESS: MessageType =
        MessageType::new(Class::SuccessResponse, Method::BINDING);
    /// Binding error response (0x0111).
    pub const BINDING_ERROR: MessageType = MessageType::new(Class::ErrorResponse, Method::BINDING);

    /// A message type from class and method.
    pub const fn new(class: Class, method: Method) -> MessageType {
        MessageType { class, method }
    }

    /// The 16-bit wire value (top two bits zero).
    pub const fn to_u16(self) -> u16 {
        let m = self.method.0;
        let c = self.class.bits();
        ((m & 0x0F80) << 2) | ((m & 0x0070) << 1) | (m & 0x000F) | ((c & 1) << 4) | ((c & 2) << 7)
    }

    /// Parses the 16-bit wire value; `None` when either of the top two bits is set
    /// (RFC 8489 §5: "The most significant 2 bits of every STUN message MUST be zeroes").
    pub const fn from_u16(value: u16) -> Option<MessageType> {
        if value & 0xC000 != 0 {
            return None;
        }
        let method = (value & 0x000F) | ((value & 0x00E0) >> 1) | ((value & 0x3E00) >> 2);
        let class = ((value >> 4) & 1) | ((value >> 7) & 2);
        Some(MessageType {
            class: Class::from_bits(class),
            method: Method(method),
        })
    }
}

/// RFC 8489 §5: the 96-bit transaction ID that follows the magic cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TransactionId(pub [u8; 12]);

/// RFC 3489 §11.1: the 128-bit transaction ID of a classic message (bytes 4..20, where RFC
/// 5389 later put the cookie). Responses must echo all 16 bytes (RFC 5389 §12.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LegacyTransactionId(pub [u8; 16]);

/// Why bytes are not a well-formed STUN message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer than the 20 header bytes (RFC 8489 §5).
    #[error("{len} bytes is shorter than the 20-byte STUN header")]
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// One of the first two bits is set (RFC 8489 §5): not STUN.
    #[error("the first two bits are not zero")]
    NotStun,
    /// The length field is not a multiple of 4 (RFC 8489 §5).
    #[error("message length {declared} is not a multiple of 4")]
    UnalignedLength {
        /// The header's length field.
        declared: usize,
    },
    /// Header length + 20 differs from the datagram size.
    #[error("header says {declared} bytes of attributes, datagram has {available}")]
    LengthMismatch {
        /// The header's length field.
        declared: usize,
        /// Bytes after the header.
        available: usize,
    },
    /// An attribute's length runs past the end of the message (RFC 8489 §14).
    #[error("attribute at offset {offset} runs past the end of the message")]
    AttributeOverrun {
        /// Offset of the attribute header in the message.
        offset: usize,
    },
    /// FINGERPRINT is followed by another attribute (RFC 8489 §14.7: it MUST be last).
    #[error("FINGERPRINT is not the last attribute")]
    FingerprintNotLast,
}

/// One attribute as it is on the wire: type, unpadded value, and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// The 16-bit attribute type (see [`attr`]).
    pub typ: u16,
    /// The value without its padding.
    pub value: &'a [u8],
    /// Offset of the 4-byte attribute header from the start of the message.
    pub offset: usize,
}

/// A validated, borrowed STUN message.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    bytes: &'a [u8],
    msg_type: MessageType,
}

/// Rounds an attribute value length up to the 4-byte boundary (RFC 8489 §14).
pub(crate) const fn padded(len: usize) -> usize {
    (len + 3) & !3
}

/// Reads a big-endian u16 at `at`, or 0 when out of range (callers check ranges first; this
/// only keeps a logic slip from becoming a panic on hostile input).
pub(crate) fn be16(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(b) => u16::from_be_bytes([b[0], b[1]]),
        None => 0,
    }
}

pub(crate) fn be32(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

/// Checks the fixed header (RFC 8489 §5) and returns the type and the declared body length.
fn check_header(bytes: &[u8]) -> Result<(MessageType, usize), DecodeError> {
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::TooShort { len: bytes.len() });
    }
    let msg_type = MessageType::from_u16(be16(bytes, 0)).ok_or(DecodeError::NotStun)?;
    let declared = usize::from(be16(bytes, 2));
    if !declared.is_multiple_of(4) {
        return Err(DecodeError::UnalignedLength { declared });
    }
    Ok((msg_type, declared))
}

impl<'a> Message<'a> {
    /// Parses one whole datagram: the header, then every attribute's framing. The datagram
    /// must be exactly one message (header length + 20 bytes); use [`stream_message_len`] to
    /// cut messages out of a TCP stream first.
    pub fn parse(datagram: &'a [u8]) -> Result<Message<'a>, DecodeError> {
        let (msg_type, declared) = check_header(datagram)?;
        let available = datagram.len() - HEADER_LEN;
        if declared != available {
            return Err(DecodeError::LengthMismatch {
                declared,
                available,
            });
        }
        let mut pos = HEADER_LEN;
        while pos < datagram.len() {
            if pos + 4 > datagram.len() {
                return Err(DecodeError::AttributeOverrun { offset: pos });
            }
            let typ = be16(datagram, pos);
            let end = pos + 4 + padded(usize::from(be16(datagram, pos + 2)));
            if end > datagram.len() {
                return Err(DecodeError::AttributeOverrun { offset: pos });
            }
            if typ == attr::FINGERPRINT && end != datagram.len() {
                return Err(DecodeError::FingerprintNotLast);
            }
            pos = end;
        }
        Ok(Message {
            bytes: datagram,
            msg_type,
        })
    }

    /// The message type.
    pub fn message_type(&self) -> MessageType {
        self.msg_type
    }

    /// The class (request, indication, success, error).
    pub fn class(&self) -> Class {
        self.msg_type.class
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.msg_type.method
    }

    /// True when bytes 4..8 are not the magic cookie: an RFC 3489 message (RFC 5389 §12.2).
    pub fn is_legacy(&self) -> bool {
        be32(self.bytes, 4) != MAGIC_COOKIE
    }

    /// Bytes 8..20: the RFC 8489 transaction ID (for a legacy message, its last 12 bytes).
    pub fn transaction_id(&self) -> TransactionId {
        let mut id = [0u8; 12];
        if let Some(src) = self.bytes.get(8..HEADER_LEN) {
            id.copy_from_slice(src);
        }
        TransactionId(id)
    }

    /// Bytes 4..20: the RFC 3489 transaction ID (cookie included for a modern message).
    pub fn legacy_transaction_id(&self) -> LegacyTransactionId {
        LegacyTransactionId(self.xor_key())
    }

    /// Bytes 4..20, the value XOR-MAPPED-ADDRESS is masked with (RFC 8489 §14.2: cookie for
    /// IPv4 and the port, cookie followed by the transaction ID for IPv6).
    pub(crate) fn xor_key(&self) -> [u8; 16] {
        let mut key = [0u8; 16];
        if let Some(src) = self.bytes.get(4..HEADER_LEN) {
            key.copy_from_slice(src);
        }
        key
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Total length in bytes, header included.
    #[allow(clippy::len_without_is_empty)] // a message is never empty (20-byte header)
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Every attribute in wire order, including those a receiver must ignore.
    pub fn raw_attributes(&self) -> RawAttributes<'a> {
        RawAttributes {
            bytes: self.bytes,
            pos: HEADER_LEN,
        }
    }

    /// The attributes a receiver processes (RFC 8489 §14.5, §14.6): after MESSAGE-INTEGRITY
    /// only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count, after MESSAGE-INTEGRITY-SHA256
    /// only FINGERPRINT; everything else that follows is ignored.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            raw: self.raw_attributes(),
            after: After::Nothing,
        }
    }

    /// The first processed attribute of type `typ` (RFC 8489 §14: only the first occurrence
    /// needs to be processed).
    pub fn get(&self, typ: u16) -> Option<RawAttribute<'a>> {
        self.attributes().find(|a| a.typ == typ)
    }
}

/// Iterator over every attribute of a [`Message`].
#[derive(Clone, Debug)]
pub struct RawAttributes<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for RawAttributes<'a> {
    type Item = RawAttribute<'a>;

    fn next(&mut self) -> Option<RawAttribute<'a>> {
        let offset = self.pos;
        let typ = be16(self.bytes, offset);
        let len = usize::from(be16(self.bytes, offset + 2));
        let value = self.bytes.get(offset + 4..offset + 4 + len)?;
        self.pos = offset + 4 + padded(len);
        Some(RawAttribute { typ, value, offset })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum After {
    Nothing,
    Integrity,
    IntegritySha256,
}

/// Iterator over the attributes a receiver processes; see [`Message::attributes`].
#[derive(Clone, Debug)]
pub struct Attributes<'a> {
    raw: RawAttributes<'a>,
    after: After,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = RawAttribute<'a>;

    fn next(&mut self) -> Option<RawAttribute<'a>> {
        loop {
            let a = self.raw.next()?;
            let keep = matches!(
                (self.after, a.typ),
                (After::Nothing, _)
                    | (_, attr::FINGERPRINT)
                    | (After::Integrity, attr::MESSAGE_INTEGRITY_SHA256)
            );
            if !keep {
                continue;
            }
            match a.typ {
                attr::MESSAGE_INTEGRITY if self.after == After::Nothing => {
                    self.after = After::Integrity
                }
                attr::MESSAGE_INTEGRITY_SHA256 => self.after = After::IntegritySha256,
                _ => {}
            }
            return Some(a);
        }
    }
}

/// For stream transports (RFC 8489 §6.2.2: STUN alone on a TCP connection needs no extra
/// framing): the total length of the message starting at `prefix`, from its first 4 bytes.
/// `None` when fewer than 4 bytes are there or they cannot start a STUN message.
pub fn stream_message_len(prefix: &[u8]) -> Option<usize> {
    if prefix.len() < 4 || prefix[0] & 0xC0 != 0 {
        return None;
    }
    let declared = usize::from(be16(prefix, 2));
    declared.is_multiple_of(4).then_some(HEADER_LEN + declared)
}

/// RFC 3489 §11.1 message types: Binding Request/Response/Error Response, Shared Secret
/// Request/Response/Error Response. A cookie-less message must be one of these to be taken
/// for classic STUN.
const LEGACY_TYPES: [u16; 6] = [0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112];

/// A cheap test for demultiplexing a shared port (RFC 7983 §7 puts STUN at first byte 0..3):
/// at least a header, first two bits zero, length a multiple of 4 that matches the datagram,
/// and either the magic cookie or (without it) an RFC 3489 message type.
pub fn looks_like_stun(datagram: &[u8]) -> bool {
    let Ok((_, declared)) = check_header(datagram) else {
        return false;
    };
    if HEADER_LEN + declared != datagram.len() {
        return false;
    }
    be32(datagram, 4) == MAGIC_COOKIE || LEGACY_TYPES.contains(&be16(datagram, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_type_bit_layout() {
        // RFC 8489 §5: Binding request 0x0001, success 0x0101, error 0x0111, indication 0x0011.
        assert_eq!(MessageType::BINDING_REQUEST.to_u16(), 0x0001);
        assert_eq!(MessageType::BINDING_SUCCESS.to_u16(), 0x0101);
        assert_eq!(MessageType::BINDING_ERROR.to_u16(), 0x0111);
        assert_eq!(MessageType::BINDING_INDICATION.to_u16(), 0x0011);
        // TURN Allocate (method 0x003) error response is 0x0113; method 0xFFF fills the bits.
        let t = MessageType::new(Class::ErrorResponse, Method::new(0x003).unwrap());
        assert_eq!(t.to_u16(), 0x0113);
        let t = MessageType::new(Class::Request, Method::new(0xFFF).unwrap());
        assert_eq!(t.to_u16(), 0x3EEF);
        for v in 0..=0x3FFFu16 {
            assert_eq!(MessageType::from_u16(v).unwrap().to_u16(), v);
        }
        assert_eq!(MessageType::from_u16(0x4001), None);
        assert_eq!(Method::new(0x1000), None);
    }

    fn header(typ: u16, len: u16, cookie: bool) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&typ.to_be_bytes());
        m.extend_from_slice(&len.to_be_bytes());
        if cookie {
            m.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        } else {
            m.extend_from_slice(&[9, 9, 9, 9]);
        }
        m.extend_from_slice(&[1; 12]);
        m
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            Message::parse(&[0; 19]).unwrap_err(),
            DecodeError::TooShort { len: 19 }
        );
        assert_eq!(
            Message::parse(&header(0x8001, 0, true)).unwrap_err(),
            DecodeError::NotStun
        );
        assert_eq!(
            Message::parse(&header(1, 2, true)).unwrap_err(),
            DecodeError::UnalignedLength { declared: 2 }
        );
        assert_eq!(
            Message::parse(&header(1, 4, true)).unwrap_err(),
            DecodeError::LengthMismatch {
                declared: 4,
                available: 0
            }
        );
        let mut m = header(1, 8, true);
        m.extend_from_slice(&[0x80, 0x22, 0, 5, 1, 2, 3, 4]);
        assert_eq!(
            Message::parse(&m).unwrap_err(),
            DecodeError::AttributeOverrun { offset: 20 }
        );
        let mut m = header(1, 16, true);
        m.extend_from_slice(&[0x80, 0x28, 0, 4, 1, 2, 3, 4, 0x80, 0x22, 0, 0, 0, 0, 0, 0]);
        m[2..4].copy_from_slice(&16u16.to_be_bytes());
        assert!(Message::parse(&m).is_err());
        let mut m = header(1, 12, true);
        m.extend_from_slice(&[0x80, 0x28, 0, 4, 1, 2, 3, 4, 0x80, 0x22, 0, 0]);
        assert_eq!(
            Message::parse(&m).unwrap_err(),
            DecodeError::FingerprintNotLast
        );
    }

    #[test]
    fn legacy_detection_and_ids() {
        let m = header(1, 0, false);
        let msg = Message::parse(&m).unwrap();
        assert!(msg.is_legacy());
        assert_eq!(&msg.legacy_transaction_id().0[..4], &[9, 9, 9, 9]);
        let m = header(1, 0, true);
        assert!(!Message::parse(&m).unwrap().is_legacy());
    }

    #[test]
    fn demux_and_framing() {
        assert!(looks_like_stun(&header(1, 0, true)));
        assert!(looks_like_stun(&header(0x0111, 0, false)));
        // Cookie-less with a non-RFC-3489 type: not taken for STUN.
        assert!(!looks_like_stun(&header(0x0003, 0, false)));
        assert!(!looks_like_stun(&header(1, 4, true)));
        assert!(!looks_like_stun(b"\x80\x00\x00\x00RTP.............."));
        assert!(!looks_like_stun(b"INVITE sip:x SIP/2.0\r\n"));
        assert_eq!(stream_message_len(&[0, 1, 0, 8]), Some(28));
        assert_eq!(stream_message_len(&[0, 1, 0, 7]), None);
        assert_eq!(stream_message_len(&[0x40, 1, 0, 8]), None);
        assert_eq!(stream_message_len(&[0, 1, 0]), None);
    }

    #[test]
    fn processed_attributes_stop_after_integrity() {
        let mut m = header(1, 0, true);
        for (typ, len) in [
            (0x8022u16, 4u16),
            (attr::MESSAGE_INTEGRITY, 20),
            (0x0006, 4),
            (attr::MESSAGE_INTEGRITY_SHA256, 32),
            (attr::MESSAGE_INTEGRITY, 20),
            (attr::FINGERPRINT, 4),
        ] {
            m.extend_from_slice(&typ.to_be_bytes());
            m.extend_from_slice(&len.to_be_bytes());
            m.extend(std::iter::repeat_n(0, usize::from(len)));
        }
        let body = (m.len() - HEADER_LEN) as u16;
        m[2..4].copy_from_slice(&body.to_be_bytes());
        let msg = Message::parse(&m).unwrap();
        let seen: Vec<u16> = msg.attributes().map(|a| a.typ).collect();
        assert_eq!(
            seen,
            [
                0x8022,
                attr::MESSAGE_INTEGRITY,
                attr::MESSAGE_INTEGRITY_SHA256,
                attr::FINGERPRINT
            ]
        );
        assert_eq!(msg.raw_attributes().count(), 6);
    }
}
