//! Typed attributes: the registry numbers we use and how their values read and write.

use std::net::SocketAddr;

use super::address::{self, AddressError};
use super::message::{RawAttribute, be16, be32};

/// Attribute type numbers. Types below 0x8000 are comprehension-required, the others
/// comprehension-optional (RFC 8489 §14).
pub mod attr {
    /// RFC 8489 §14.1 (RFC 3489 §11.2.1).
    pub const MAPPED_ADDRESS: u16 = 0x0001;
    /// RFC 3489 §11.2.2; reserved since RFC 5389 (§18.2) because it reflects to third parties.
    pub const RESPONSE_ADDRESS: u16 = 0x0002;
    /// RFC 5780 §7.2 (first in RFC 3489 §11.2.4).
    pub const CHANGE_REQUEST: u16 = 0x0003;
    /// RFC 3489 §11.2.5; reserved since RFC 5389.
    pub const SOURCE_ADDRESS: u16 = 0x0004;
    /// RFC 3489 §11.2.3; reserved since RFC 5389, same number as OTHER-ADDRESS's ancestor.
    pub const CHANGED_ADDRESS: u16 = 0x0005;
    /// RFC 8489 §14.3.
    pub const USERNAME: u16 = 0x0006;
    /// RFC 3489 §11.2.7; reserved since RFC 5389.
    pub const PASSWORD: u16 = 0x0007;
    /// RFC 8489 §14.5.
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    /// RFC 8489 §14.8.
    pub const ERROR_CODE: u16 = 0x0009;
    /// RFC 8489 §14.13.
    pub const UNKNOWN_ATTRIBUTES: u16 = 0x000A;
    /// RFC 3489 §11.2.11; reserved since RFC 5389.
    pub const REFLECTED_FROM: u16 = 0x000B;
    /// RFC 8489 §14.9.
    pub const REALM: u16 = 0x0014;
    /// RFC 8489 §14.10.
    pub const NONCE: u16 = 0x0015;
    /// RFC 8489 §14.6.
    pub const MESSAGE_INTEGRITY_SHA256: u16 = 0x001C;
    /// RFC 8489 §14.12.
    pub const PASSWORD_ALGORITHM: u16 = 0x001D;
    /// RFC 8489 §14.4.
    pub const USERHASH: u16 = 0x001E;
    /// RFC 8489 §14.2.
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    /// RFC 5780 §7.6.
    pub const PADDING: u16 = 0x0026;
    /// RFC 5780 §7.5.
    pub const RESPONSE_PORT: u16 = 0x0027;
    /// RFC 8489 §14.11.
    pub const PASSWORD_ALGORITHMS: u16 = 0x8002;
    /// RFC 8489 §14.16.
    pub const ALTERNATE_DOMAIN: u16 = 0x8003;
    /// RFC 8489 §14.14.
    pub const SOFTWARE: u16 = 0x8022;
    /// RFC 8489 §14.15.
    pub const ALTERNATE_SERVER: u16 = 0x8023;
    /// RFC 5780 §9.1.
    pub const CACHE_TIMEOUT: u16 = 0x8027;
    /// RFC 8489 §14.7.
    pub const FINGERPRINT: u16 = 0x8028;
    /// RFC 5780 §7.3.
    pub const RESPONSE_ORIGIN: u16 = 0x802B;
    /// RFC 5780 §7.4.
    pub const OTHER_ADDRESS: u16 = 0x802C;

    /// RFC 8489 §14: types 0x0000-0x7FFF must be understood or the message rejected.
    pub const fn is_comprehension_required(typ: u16) -> bool {
        typ < 0x8000
    }
}

/// RFC 8489 §14.3: USERNAME is fewer than 509 bytes.
pub const MAX_USERNAME_BYTES: usize = 508;
/// RFC 8489 §14.8, §14.9, §14.10, §14.14: reason phrase, REALM, NONCE and SOFTWARE are fewer
/// than 128 characters.
pub const MAX_TEXT_CHARS: usize = 127;

/// RFC 5780 §7.2: the CHANGE-REQUEST flags (bit A = change IP 0x04, bit B = change port 0x02).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChangeRequest {
    /// Flag A: answer from the other IP address.
    pub change_ip: bool,
    /// Flag B: answer from the other port.
    pub change_port: bool,
}

impl ChangeRequest {
    /// RFC 5780 §7.2 flag A.
    pub const CHANGE_IP: u32 = 0x04;
    /// RFC 5780 §7.2 flag B.
    pub const CHANGE_PORT: u32 = 0x02;

    fn to_u32(self) -> u32 {
        (if self.change_ip { Self::CHANGE_IP } else { 0 })
            | (if self.change_port {
                Self::CHANGE_PORT
            } else {
                0
            })
    }

    fn from_u32(v: u32) -> ChangeRequest {
        // Other bits are reserved; RFC 5780 §7.2 gives them no meaning, so ignore them.
        ChangeRequest {
            change_ip: v & Self::CHANGE_IP != 0,
            change_port: v & Self::CHANGE_PORT != 0,
        }
    }
}

/// RFC 8489 §14.8: an error code (300-699) and its reason phrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode<'a> {
    /// The code, class × 100 + number.
    pub code: u16,
    /// Free text for people; may be empty.
    pub reason: &'a str,
}

/// RFC 8489 §14.13: a list of attribute types, as read from the wire or given to encode.
#[derive(Clone, Copy, Debug)]
pub struct AttributeTypes<'a>(TypesRepr<'a>);

#[derive(Clone, Copy, Debug)]
enum TypesRepr<'a> {
    Wire(&'a [u8]),
    List(&'a [u16]),
}

impl<'a> AttributeTypes<'a> {
    /// A list to encode.
    pub fn new(types: &'a [u16]) -> AttributeTypes<'a> {
        AttributeTypes(TypesRepr::List(types))
    }

    /// The number of types listed.
    pub fn len(&self) -> usize {
        match self.0 {
            TypesRepr::Wire(b) => b.len() / 2,
            TypesRepr::List(l) => l.len(),
        }
    }

    /// True when nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The types, in order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + 'a {
        let (wire, list): (&'a [u8], &'a [u16]) = match self.0 {
            TypesRepr::Wire(b) => (b, &[]),
            TypesRepr::List(l) => (&[], l),
        };
        wire.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .chain(list.iter().copied())
    }
}

impl PartialEq for AttributeTypes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for AttributeTypes<'_> {}

/// A typed attribute, for reading ([`Attribute::decode`]) and writing
/// ([`super::MessageEncoder::add`]). XOR'ed addresses are held in clear; the codec applies
/// the mask of the message they are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute<'a> {
    /// 0x0001, RFC 8489 §14.1.
    MappedAddress(SocketAddr),
    /// 0x0002, RFC 3489 §11.2.2.
    ResponseAddress(SocketAddr),
    /// 0x0003, RFC 5780 §7.2.
    ChangeRequest(ChangeRequest),
    /// 0x0004, RFC 3489 §11.2.5.
    SourceAddress(SocketAddr),
    /// 0x0005, RFC 3489 §11.2.3.
    ChangedAddress(SocketAddr),
    /// 0x0006, RFC 8489 §14.3.
    Username(&'a str),
    /// 0x0008, RFC 8489 §14.5: the 20-byte HMAC-SHA1 as read. To write one, use
    /// [`super::MessageEncoder::add_message_integrity`], which computes it.
    MessageIntegrity(&'a [u8; 20]),
    /// 0x0009, RFC 8489 §14.8.
    ErrorCode(ErrorCode<'a>),
    /// 0x000A, RFC 8489 §14.13.
    UnknownAttributes(AttributeTypes<'a>),
    /// 0x000B, RFC 3489 §11.2.11.
    ReflectedFrom(SocketAddr),
    /// 0x0014, RFC 8489 §14.9.
    Realm(&'a str),
    /// 0x0015, RFC 8489 §14.10.
    Nonce(&'a str),
    /// 0x0020, RFC 8489 §14.2 (in clear).
    XorMappedAddress(SocketAddr),
    /// 0x0026, RFC 5780 §7.6: only the length matters; written as zero bytes.
    Padding(usize),
    /// 0x0027, RFC 5780 §7.5.
    ResponsePort(u16),
    /// 0x8022, RFC 8489 §14.14.
    Software(&'a str),
    /// 0x8028, RFC 8489 §14.7: the value as read. To write one, use
    /// [`super::MessageEncoder::add_fingerprint`], which computes it.
    Fingerprint(u32),
    /// 0x802B, RFC 5780 §7.3.
    ResponseOrigin(SocketAddr),
    /// 0x802C, RFC 5780 §7.4.
    OtherAddress(SocketAddr),
    /// Any other type, value uninterpreted.
    Other {
        /// The attribute type.
        typ: u16,
        /// The value without padding.
        value: &'a [u8],
    },
}

/// Why an attribute value is malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttributeError {
    /// The value has the wrong length for its type.
    #[error("attribute 0x{typ:04x} has a bad length {len}")]
    BadLength {
        /// Attribute type.
        typ: u16,
        /// Value length.
        len: usize,
    },
    /// An address family other than 0x01 / 0x02 (RFC 8489 §14.1).
    #[error("attribute 0x{typ:04x} has unknown address family 0x{family:02x}")]
    BadFamily {
        /// Attribute type.
        typ: u16,
        /// The family byte.
        family: u8,
    },
    /// A text attribute that is not UTF-8.
    #[error("attribute 0x{typ:04x} is not UTF-8")]
    InvalidUtf8 {
        /// Attribute type.
        typ: u16,
    },
    /// ERROR-CODE class outside 3..=6 or number above 99 (RFC 8489 §14.8).
    #[error("error code {code} is outside 300-699")]
    BadErrorCode {
        /// class × 100 + number as read (or as given).
        code: u32,
    },
}

impl<'a> Attribute<'a> {
    /// The attribute type number.
    pub fn typ(&self) -> u16 {
        match self {
            Attribute::MappedAddress(_) => attr::MAPPED_ADDRESS,
            Attribute::ResponseAddress(_) => attr::RESPONSE_ADDRESS,
            Attribute::ChangeRequest(_) => attr::CHANGE_REQUEST,
            Attribute::SourceAddress(_) => attr::SOURCE_ADDRESS,
            Attribute::ChangedAddress(_) => attr::CHANGED_ADDRESS,
            Attribute::Username(_) => attr::USERNAME,
            Attribute::MessageIntegrity(_) => attr::MESSAGE_INTEGRITY,
            Attribute::ErrorCode(_) => attr::ERROR_CODE,
            Attribute::UnknownAttributes(_) => attr::UNKNOWN_ATTRIBUTES,
            Attribute::ReflectedFrom(_) => attr::REFLECTED_FROM,
            Attribute::Realm(_) => attr::REALM,
            Attribute::Nonce(_) => attr::NONCE,
            Attribute::XorMappedAddress(_) => attr::XOR_MAPPED_ADDRESS,
            Attribute::Padding(_) => attr::PADDING,
            Attribute::ResponsePort(_) => attr::RESPONSE_PORT,
            Attribute::Software(_) => attr::SOFTWARE,
            Attribute::Fingerprint(_) => attr::FINGERPRINT,
            Attribute::ResponseOrigin(_) => attr::RESPONSE_ORIGIN,
            Attribute::OtherAddress(_) => attr::OTHER_ADDRESS,
            Attribute::Other { typ, .. } => *typ,
        }
    }

    /// Reads a raw attribute. `xor_key` is bytes 4..20 of the message header (see
    /// [`super::Message::attribute`] which supplies it).
    pub fn decode(
        raw: RawAttribute<'a>,
        xor_key: &[u8; 16],
    ) -> Result<Attribute<'a>, AttributeError> {
        let typ = raw.typ;
        let v = raw.value;
        let bad_len = AttributeError::BadLength { typ, len: v.len() };
        let addr = |xor: Option<&[u8; 16]>| {
            address::decode(v, xor).map_err(|e| match e {
                AddressError::Length => bad_len,
                AddressError::Family(family) => AttributeError::BadFamily { typ, family },
            })
        };
        let text = || std::str::from_utf8(v).map_err(|_| AttributeError::InvalidUtf8 { typ });
        Ok(match typ {
            attr::MAPPED_ADDRESS => Attribute::MappedAddress(addr(None)?),
            attr::RESPONSE_ADDRESS => Attribute::ResponseAddress(addr(None)?),
            attr::SOURCE_ADDRESS => Attribute::SourceAddress(addr(None)?),
            attr::CHANGED_ADDRESS => Attribute::ChangedAddress(addr(None)?),
            attr::REFLECTED_FROM => Attribute::ReflectedFrom(addr(None)?),
            attr::RESPONSE_ORIGIN => Attribute::ResponseOrigin(addr(None)?),
            attr::OTHER_ADDRESS => Attribute::OtherAddress(addr(None)?),
            attr::XOR_MAPPED_ADDRESS => Attribute::XorMappedAddress(addr(Some(xor_key))?),
            attr::CHANGE_REQUEST => {
                if v.len() != 4 {
                    return Err(bad_len);
                }
                Attribute::ChangeRequest(ChangeRequest::from_u32(be32(v, 0)))
            }
            attr::RESPONSE_PORT => {
                // RFC 5780 §7.5: a 16-bit port followed by 2 bytes of padding.
                if v.len() != 4 {
                    return Err(bad_len);
                }
                Attribute::ResponsePort(be16(v, 0))
            }
            attr::USERNAME => Attribute::Username(text()?),
            attr::REALM => Attribute::Realm(text()?),
            attr::NONCE => Attribute::Nonce(text()?),
            attr::SOFTWARE => Attribute::Software(text()?),
            attr::MESSAGE_INTEGRITY => {
                Attribute::MessageIntegrity(v.try_into().map_err(|_| bad_len)?)
            }
            attr::FINGERPRINT => {
                if v.len() != 4 {
                    return Err(bad_len);
                }
                Attribute::Fingerprint(be32(v, 0))
            }
            attr::ERROR_CODE => {
                if v.len() < 4 {
                    return Err(bad_len);
                }
                // RFC 8489 §14.8: 21 reserved bits, 3-bit class, 8-bit number.
                let class = u32::from(v[2] & 0x07);
                let number = u32::from(v[3]);
                let code = class * 100 + number;
                if !(3..=6).contains(&class) || number > 99 {
                    return Err(AttributeError::BadErrorCode { code });
                }
                let reason = std::str::from_utf8(&v[4..])
                    .map_err(|_| AttributeError::InvalidUtf8 { typ })?;
                Attribute::ErrorCode(ErrorCode {
                    code: code as u16,
                    reason,
                })
            }
            attr::UNKNOWN_ATTRIBUTES => {
                if !v.len().is_multiple_of(2) {
                    return Err(bad_len);
                }
                Attribute::UnknownAttributes(AttributeTypes(TypesRepr::Wire(v)))
            }
            attr::PADDING => Attribute::Padding(v.len()),
            _ => Attribute::Other { typ, value: v },
        })
    }

    /// The value length this attribute encodes to (before padding), after checking the
    /// limits the RFCs put on senders.
    pub(crate) fn value_len(&self) -> Result<usize, AttributeError> {
        let typ = self.typ();
        let text = |s: &str, max_chars: usize| {
            if s.chars().count() > max_chars {
                Err(AttributeError::BadLength { typ, len: s.len() })
            } else {
                Ok(s.len())
            }
        };
        Ok(match self {
            Attribute::MappedAddress(a)
            | Attribute::ResponseAddress(a)
            | Attribute::SourceAddress(a)
            | Attribute::ChangedAddress(a)
            | Attribute::ReflectedFrom(a)
            | Attribute::XorMappedAddress(a)
            | Attribute::ResponseOrigin(a)
            | Attribute::OtherAddress(a) => address::value_len(a),
            Attribute::ChangeRequest(_) | Attribute::ResponsePort(_) => 4,
            Attribute::Fingerprint(_) => 4,
            Attribute::MessageIntegrity(_) => 20,
            Attribute::Username(s) => {
                if s.len() > MAX_USERNAME_BYTES {
                    return Err(AttributeError::BadLength { typ, len: s.len() });
                }
                s.len()
            }
            Attribute::Realm(s) | Attribute::Nonce(s) | Attribute::Software(s) => {
                text(s, MAX_TEXT_CHARS)?
            }
            Attribute::ErrorCode(e) => {
                if !(300..=699).contains(&e.code) {
                    return Err(AttributeError::BadErrorCode {
                        code: u32::from(e.code),
                    });
                }
                4 + text(e.reason, MAX_TEXT_CHARS)?
            }
            Attribute::UnknownAttributes(t) => 2 * t.len(),
            Attribute::Padding(len) => *len,
            Attribute::Other { value, .. } => value.len(),
        })
    }

    /// Appends the value (no header, no padding).
    pub(crate) fn write_value(&self, out: &mut Vec<u8>, xor_key: &[u8; 16]) {
        match self {
            Attribute::MappedAddress(a)
            | Attribute::ResponseAddress(a)
            | Attribute::SourceAddress(a)
            | Attribute::ChangedAddress(a)
            | Attribute::ReflectedFrom(a)
            | Attribute::ResponseOrigin(a)
            | Attribute::OtherAddress(a) => address::encode(out, a, None),
            Attribute::XorMappedAddress(a) => address::encode(out, a, Some(xor_key)),
            Attribute::ChangeRequest(c) => out.extend_from_slice(&c.to_u32().to_be_bytes()),
            Attribute::ResponsePort(p) => {
                out.extend_from_slice(&p.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            Attribute::Fingerprint(v) => out.extend_from_slice(&v.to_be_bytes()),
            Attribute::MessageIntegrity(mac) => out.extend_from_slice(&mac[..]),
            Attribute::Username(s)
            | Attribute::Realm(s)
            | Attribute::Nonce(s)
            | Attribute::Software(s) => out.extend_from_slice(s.as_bytes()),
            Attribute::ErrorCode(e) => {
                let class = (e.code / 100) as u8;
                let number = (e.code % 100) as u8;
                out.extend_from_slice(&[0, 0, class, number]);
                out.extend_from_slice(e.reason.as_bytes());
            }
            Attribute::UnknownAttributes(t) => {
                for typ in t.iter() {
                    out.extend_from_slice(&typ.to_be_bytes());
                }
            }
            Attribute::Padding(len) => out.resize(out.len() + len, 0),
            Attribute::Other { value, .. } => out.extend_from_slice(value),
        }
    }
}

impl<'a> super::Message<'a> {
    /// Typed view of a raw attribute of this message (supplies the XOR mask).
    pub fn attribute(&self, raw: RawAttribute<'a>) -> Result<Attribute<'a>, AttributeError> {
        Attribute::decode(raw, &self.xor_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(typ: u16, value: &[u8]) -> RawAttribute<'_> {
        RawAttribute {
            typ,
            value,
            offset: 20,
        }
    }

    const KEY: [u8; 16] = [0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    #[test]
    fn change_request_flags() {
        let a = Attribute::decode(raw(attr::CHANGE_REQUEST, &[0, 0, 0, 6]), &KEY).unwrap();
        assert_eq!(
            a,
            Attribute::ChangeRequest(ChangeRequest {
                change_ip: true,
                change_port: true
            })
        );
        let a = Attribute::decode(raw(attr::CHANGE_REQUEST, &[0xff, 0xff, 0xff, 0xf9]), &KEY);
        assert_eq!(a, Ok(Attribute::ChangeRequest(ChangeRequest::default())));
        assert!(Attribute::decode(raw(attr::CHANGE_REQUEST, &[0, 0, 4]), &KEY).is_err());
    }

    #[test]
    fn error_code_bounds() {
        let ok = Attribute::decode(raw(attr::ERROR_CODE, b"\0\0\x04\x14Unknown"), &KEY);
        assert_eq!(
            ok,
            Ok(Attribute::ErrorCode(ErrorCode {
                code: 420,
                reason: "Unknown"
            }))
        );
        assert_eq!(
            Attribute::decode(raw(attr::ERROR_CODE, &[0, 0, 2, 0]), &KEY),
            Err(AttributeError::BadErrorCode { code: 200 })
        );
        assert_eq!(
            Attribute::decode(raw(attr::ERROR_CODE, &[0, 0, 4, 100]), &KEY),
            Err(AttributeError::BadErrorCode { code: 500 })
        );
        assert!(Attribute::decode(raw(attr::ERROR_CODE, &[0, 0, 4]), &KEY).is_err());
        let too_big = Attribute::ErrorCode(ErrorCode {
            code: 700,
            reason: "",
        });
        assert!(too_big.value_len().is_err());
    }

    #[test]
    fn text_limits_on_encode() {
        let long: String = "é".repeat(128);
        assert!(Attribute::Software(&long).value_len().is_err());
        assert_eq!(Attribute::Software(&long[..254]).value_len(), Ok(254));
        let name = "a".repeat(509);
        assert!(Attribute::Username(&name).value_len().is_err());
        assert!(Attribute::Username(&name[..508]).value_len().is_ok());
        assert!(Attribute::decode(raw(attr::SOFTWARE, &[0xff]), &KEY).is_err());
    }

    #[test]
    fn unknown_attributes_list() {
        let a =
            Attribute::decode(raw(attr::UNKNOWN_ATTRIBUTES, &[0, 2, 0x7f, 0xff]), &KEY).unwrap();
        let Attribute::UnknownAttributes(t) = a else {
            panic!("{a:?}")
        };
        assert_eq!(t.iter().collect::<Vec<_>>(), [2, 0x7fff]);
        assert_eq!(t, AttributeTypes::new(&[2, 0x7fff]));
        assert!(Attribute::decode(raw(attr::UNKNOWN_ATTRIBUTES, &[0, 2, 0]), &KEY).is_err());
    }

    #[test]
    fn response_port_and_padding() {
        assert_eq!(
            Attribute::decode(raw(attr::RESPONSE_PORT, &[0x13, 0x88, 0, 0]), &KEY),
            Ok(Attribute::ResponsePort(5000))
        );
        assert_eq!(
            Attribute::decode(raw(attr::PADDING, &[0x20; 7]), &KEY),
            Ok(Attribute::Padding(7))
        );
    }
}
