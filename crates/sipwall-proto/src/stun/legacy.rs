//! RFC 3489 ("classic STUN") specifics the responder needs. Classic messages have no magic
//! cookie; RFC 5389 §12 (kept as RFC 8489 §11) tells a server how to recognise and answer
//! them. RFC 5780 §3 says new servers SHOULD NOT support them, but deployed SIP phones and
//! ATAs still send them and the classic NAT-type tests (RFC 3489 §10.1) use them, so the
//! reflector answers Binding requests in the classic format.

use super::attributes::attr;

/// RFC 3489 §11.2: the attribute types a classic server understands (0x0001-0x000B).
/// Anything else at or below 0x7FFF earns a 420 (RFC 3489 §8.1).
pub(crate) const fn is_known(typ: u16) -> bool {
    matches!(typ, attr::MAPPED_ADDRESS..=attr::REFLECTED_FROM)
}

/// RFC 3489 §11.2.9: "the length of the reason phrase MUST be a multiple of 4 ... by adding
/// spaces". These are the RFC 8489 §14.8 phrases, space-padded.
pub(crate) const BAD_REQUEST_REASON: &str = "Bad Request ";
/// See [`BAD_REQUEST_REASON`].
pub(crate) const UNKNOWN_ATTRIBUTE_REASON: &str = "Unknown Attribute   ";

/// RFC 3489 §11.2.10: "if the number of attributes is odd, one of the attributes MUST be
/// repeated in the list, so that the total length of the list is a multiple of 4 bytes".
pub(crate) const fn listed_len(unique: usize) -> usize {
    unique + (unique % 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_word_aligned() {
        assert_eq!(BAD_REQUEST_REASON.len() % 4, 0);
        assert_eq!(UNKNOWN_ATTRIBUTE_REASON.len() % 4, 0);
        assert_eq!(BAD_REQUEST_REASON.trim_end(), "Bad Request");
        assert_eq!(UNKNOWN_ATTRIBUTE_REASON.trim_end(), "Unknown Attribute");
    }

    #[test]
    fn known_range() {
        assert!(is_known(attr::RESPONSE_ADDRESS));
        assert!(is_known(attr::REFLECTED_FROM));
        assert!(!is_known(attr::XOR_MAPPED_ADDRESS));
        assert!(!is_known(attr::PADDING));
        assert_eq!(listed_len(1), 2);
        assert_eq!(listed_len(2), 2);
        assert_eq!(listed_len(0), 0);
    }
}
