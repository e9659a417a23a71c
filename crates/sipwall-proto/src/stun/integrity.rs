//! FINGERPRINT (RFC 8489 §14.7) and MESSAGE-INTEGRITY (RFC 8489 §14.5, short-term key =
//! the password, §9.1.1). Both are computed over the message *prefix* before the attribute,
//! with the header length field rewritten to end where the attribute ends; we feed the
//! rewritten length to the hash instead of copying the message, so nothing is allocated.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use super::attributes::attr;
use super::message::{HEADER_LEN, Message, be32};

/// RFC 8489 §14.7: the CRC-32 is XOR'ed with this ("STUN" in ASCII).
pub const FINGERPRINT_XOR: u32 = 0x5354_554E;
/// RFC 8489 §14.7: FINGERPRINT attribute size on the wire (4-byte header + 4-byte CRC).
pub const FINGERPRINT_ATTR_LEN: usize = 8;
/// RFC 8489 §14.5: MESSAGE-INTEGRITY attribute size on the wire (header + 20-byte HMAC-SHA1).
pub const MESSAGE_INTEGRITY_ATTR_LEN: usize = 24;

/// Whether a message's FINGERPRINT checks out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FingerprintStatus {
    /// No FINGERPRINT attribute.
    Absent,
    /// Present and correct.
    Valid,
    /// Present and wrong (or malformed): RFC 8489 §6.3 says discard the message.
    Invalid,
}

/// Whether a message's MESSAGE-INTEGRITY checks out with a given key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntegrityStatus {
    /// No MESSAGE-INTEGRITY attribute.
    Absent,
    /// Present and the HMAC matches.
    Valid,
    /// Present and wrong (or malformed).
    Invalid,
}

/// CRC-32 of `prefix` with its length field replaced by `body_len`, XOR'ed per §14.7.
pub(crate) fn fingerprint(prefix: &[u8], body_len: usize) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&prefix[..2]);
    h.update(&(body_len as u16).to_be_bytes());
    h.update(&prefix[4..]);
    h.finalize() ^ FINGERPRINT_XOR
}

/// HMAC-SHA1 of `prefix` with its length field replaced by `body_len` (§14.5).
pub(crate) fn hmac_sha1(key: &[u8], prefix: &[u8], body_len: usize) -> [u8; 20] {
    // HMAC takes keys of any length (RFC 2104 §2), so this cannot fail.
    let mut mac = match <Hmac<Sha1> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 20],
    };
    mac.update(&prefix[..2]);
    mac.update(&(body_len as u16).to_be_bytes());
    mac.update(&prefix[4..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// Constant-time comparison, so a verifier does not leak how many HMAC bytes matched.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Message<'_> {
    /// Checks FINGERPRINT (RFC 8489 §14.7). Parsing already guaranteed it is last.
    pub fn fingerprint_status(&self) -> FingerprintStatus {
        match self.raw_attributes().find(|a| a.typ == attr::FINGERPRINT) {
            None => FingerprintStatus::Absent,
            Some(a) if a.value.len() != 4 => FingerprintStatus::Invalid,
            Some(a) => {
                let bytes = self.as_bytes();
                let body_len = a.offset + FINGERPRINT_ATTR_LEN - HEADER_LEN;
                if fingerprint(&bytes[..a.offset], body_len) == be32(a.value, 0) {
                    FingerprintStatus::Valid
                } else {
                    FingerprintStatus::Invalid
                }
            }
        }
    }

    /// Checks the first MESSAGE-INTEGRITY with `key` (for short-term credentials the
    /// password, RFC 8489 §9.1.1; for long-term the MD5 key of §9.2.2).
    pub fn verify_integrity(&self, key: &[u8]) -> IntegrityStatus {
        match self
            .raw_attributes()
            .find(|a| a.typ == attr::MESSAGE_INTEGRITY)
        {
            None => IntegrityStatus::Absent,
            Some(a) if a.value.len() != 20 => IntegrityStatus::Invalid,
            Some(a) => {
                let bytes = self.as_bytes();
                let body_len = a.offset + MESSAGE_INTEGRITY_ATTR_LEN - HEADER_LEN;
                if ct_eq(&hmac_sha1(key, &bytes[..a.offset], body_len), a.value) {
                    IntegrityStatus::Valid
                } else {
                    IntegrityStatus::Invalid
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_compare() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    #[test]
    fn crc_is_ieee() {
        // crc32fast is the ITU V.42 / IEEE 802.3 CRC that RFC 8489 §14.7 names.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }
}
