//! RFC 5769 test vectors (§2.1-§2.4; bytes from the RFC, Simplified BSD licence).
//!
//! §2.1-§2.3 pad SOFTWARE/USERNAME with 0x20: RFC 5389 §15 allowed any padding value, RFC
//! 8489 §14 now says zero on sending and "ignore" on receiving. We decode and verify them as
//! they are, and reproduce them byte for byte by setting the encoder's padding byte to 0x20;
//! with the default zero padding the attributes are identical but MESSAGE-INTEGRITY and
//! FINGERPRINT differ (they cover the padding), which we also check.

use std::net::SocketAddr;

use crate::stun::*;

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

const PASSWORD: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";
const TID: TransactionId = TransactionId([
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
]);

/// §2.1 Sample Request.
fn request() -> Vec<u8> {
    hex("00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
         00 24 00 04 6e 00 01 ff
         80 29 00 08 93 2f f9 b1 51 26 3b 36
         00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
         00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
         80 28 00 04 e5 7a 3b cf")
}

/// §2.2 Sample IPv4 Response.
fn ipv4_response() -> Vec<u8> {
    hex("01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
         00 20 00 08 00 01 a1 47 e1 12 a6 43
         00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
         80 28 00 04 c0 7d 4c 96")
}

/// §2.3 Sample IPv6 Response.
fn ipv6_response() -> Vec<u8> {
    hex("01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
         00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
         00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
         80 28 00 04 c8 fb 0b 4c")
}

/// §2.4 Sample Request with Long-Term Authentication (zero padding, no FINGERPRINT).
fn long_term_request() -> Vec<u8> {
    hex("00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
         00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
         00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
         00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
         00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66")
}

fn typed<'a>(m: &Message<'a>) -> Vec<Attribute<'a>> {
    m.attributes().map(|a| m.attribute(a).unwrap()).collect()
}

#[test]
fn sample_request_decodes_and_verifies() {
    let bytes = request();
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.message_type(), MessageType::BINDING_REQUEST);
    assert!(!m.is_legacy());
    assert_eq!(m.transaction_id(), TID);
    assert!(looks_like_stun(&bytes));
    assert_eq!(m.fingerprint_status(), FingerprintStatus::Valid);
    assert_eq!(m.verify_integrity(PASSWORD), IntegrityStatus::Valid);
    assert_eq!(
        m.verify_integrity(b"VOkJxbRl1RmTxUk/WvJxBT"),
        IntegrityStatus::Invalid
    );
    let attrs = typed(&m);
    assert_eq!(attrs[0], Attribute::Software("STUN test client"));
    // PRIORITY and ICE-CONTROLLED (RFC 8445) are outside this codec: kept raw.
    assert_eq!(
        attrs[1],
        Attribute::Other {
            typ: 0x0024,
            value: &[0x6e, 0x00, 0x01, 0xff]
        }
    );
    assert_eq!(attrs[2].typ(), 0x8029);
    assert_eq!(attrs[3], Attribute::Username("evtj:h6vY"));
    assert!(matches!(attrs[4], Attribute::MessageIntegrity(_)));
    assert_eq!(attrs[5], Attribute::Fingerprint(0xe57a3bcf));
}

#[test]
fn ipv4_response_decodes_and_verifies() {
    let bytes = ipv4_response();
    let r = BindingResponse::parse(&bytes).unwrap();
    assert!(r.success);
    assert_eq!(r.message.transaction_id(), TID);
    assert_eq!(
        r.xor_mapped_address,
        Some("192.0.2.1:32853".parse().unwrap())
    );
    assert_eq!(r.software, Some("test vector"));
    assert_eq!(r.fingerprint, FingerprintStatus::Valid);
    assert_eq!(r.verify_integrity(PASSWORD), IntegrityStatus::Valid);
}

#[test]
fn ipv6_response_decodes_and_verifies() {
    let bytes = ipv6_response();
    let r = BindingResponse::parse(&bytes).unwrap();
    let want: SocketAddr = "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
        .parse()
        .unwrap();
    assert_eq!(r.xor_mapped_address, Some(want));
    assert_eq!(r.software, Some("test vector"));
    assert_eq!(r.fingerprint, FingerprintStatus::Valid);
    assert_eq!(r.verify_integrity(PASSWORD), IntegrityStatus::Valid);
}

#[test]
fn long_term_request_decodes() {
    // MESSAGE-INTEGRITY here is keyed with MD5(username:realm:password) (RFC 8489 §9.2.2);
    // verifying it needs an MD5 crate, which the reflector does not otherwise use.
    let bytes = long_term_request();
    let m = Message::parse(&bytes).unwrap();
    let attrs = typed(&m);
    assert_eq!(attrs[0], Attribute::Username("マトリックス"));
    assert_eq!(attrs[1], Attribute::Nonce("f//499k954d6OL34oL9FSTvy64sA"));
    assert_eq!(attrs[2], Attribute::Realm("example.org"));
    assert!(matches!(attrs[3], Attribute::MessageIntegrity(_)));
    assert_eq!(m.fingerprint_status(), FingerprintStatus::Absent);
    assert_eq!(m.verify_integrity(b"TheMatrIX"), IntegrityStatus::Invalid);
}

/// Re-encodes a vector's attributes (all but MESSAGE-INTEGRITY and FINGERPRINT, which are
/// recomputed) with the given padding byte.
fn reencode(bytes: &[u8], pad: u8, key: &[u8], fingerprint: bool) -> Vec<u8> {
    let m = Message::parse(bytes).unwrap();
    let mut out = Vec::new();
    let mut enc = MessageEncoder::new(&mut out, m.message_type(), m.transaction_id());
    enc.set_padding_byte(pad);
    for a in typed(&m) {
        match a {
            Attribute::MessageIntegrity(_) => enc.add_message_integrity(key).unwrap(),
            Attribute::Fingerprint(_) => enc.add_fingerprint().unwrap(),
            other => enc.add(&other).unwrap(),
        }
    }
    assert_eq!(
        fingerprint,
        m.fingerprint_status() != FingerprintStatus::Absent
    );
    enc.finish();
    out
}

#[test]
fn reencoding_reproduces_vectors_byte_for_byte() {
    for v in [request(), ipv4_response(), ipv6_response()] {
        assert_eq!(reencode(&v, 0x20, PASSWORD, true), v);
    }
}

#[test]
fn zero_padding_changes_only_padding_mi_and_fingerprint() {
    for v in [request(), ipv4_response(), ipv6_response()] {
        let ours = reencode(&v, 0, PASSWORD, true);
        assert_eq!(ours.len(), v.len());
        let m = Message::parse(&ours).unwrap();
        assert_eq!(m.verify_integrity(PASSWORD), IntegrityStatus::Valid);
        assert_eq!(m.fingerprint_status(), FingerprintStatus::Valid);
        let theirs = Message::parse(&v).unwrap();
        let (a, b) = (typed(&m), typed(&theirs));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            match (x, y) {
                (Attribute::MessageIntegrity(_), Attribute::MessageIntegrity(_))
                | (Attribute::Fingerprint(_), Attribute::Fingerprint(_)) => {}
                _ => assert_eq!(x, y),
            }
        }
    }
}

#[test]
fn long_term_vector_reencodes_with_its_own_mac() {
    // §2.4 uses zero padding, so everything but the (MD5-keyed) MAC is reproduced; we copy
    // the MAC bytes as a raw attribute to check the framing byte for byte.
    let v = long_term_request();
    let m = Message::parse(&v).unwrap();
    let mut out = Vec::new();
    let mut enc = MessageEncoder::new(&mut out, m.message_type(), m.transaction_id());
    for raw in m.attributes() {
        enc.add_raw(raw.typ, raw.value).unwrap();
    }
    enc.finish();
    assert_eq!(out, v);
}

#[test]
fn xor_mapped_address_encodes_as_in_vectors() {
    let mut out = Vec::new();
    binding_success(
        TID,
        &[Attribute::XorMappedAddress(
            "192.0.2.1:32853".parse().unwrap(),
        )],
        Seal::NONE,
        &mut out,
    )
    .unwrap();
    assert_eq!(&out[20..], &hex("00 20 00 08 00 01 a1 47 e1 12 a6 43")[..]);
    out.clear();
    binding_success(
        TID,
        &[Attribute::XorMappedAddress(
            "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
                .parse()
                .unwrap(),
        )],
        Seal::NONE,
        &mut out,
    )
    .unwrap();
    assert_eq!(
        &out[20..],
        &hex("00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9")[..]
    );
}

#[test]
fn responder_answers_the_sample_request_with_420() {
    // The sample request carries PRIORITY (0x0024, comprehension-required, ICE only): a STUN
    // server that is not an ICE agent answers 420 listing it (RFC 8489 §6.3.1), and echoes
    // FINGERPRINT because the request had one.
    let bytes = request();
    let cfg = ResponderConfig::new("192.0.2.10:3478".parse().unwrap());
    let mut out = Vec::new();
    let outcome = respond(
        &bytes,
        "192.0.2.1:32853".parse().unwrap(),
        SocketRole::PrimaryIpPrimaryPort,
        Transport::Udp,
        &cfg,
        &mut out,
    );
    assert!(matches!(
        outcome,
        Outcome::Reply {
            kind: ReplyKind::UnknownAttribute,
            ..
        }
    ));
    let r = BindingResponse::parse(&out).unwrap();
    assert_eq!(r.error.unwrap().code, 420);
    assert_eq!(
        r.unknown_attributes.unwrap().iter().collect::<Vec<_>>(),
        [0x0024]
    );
    assert_eq!(r.fingerprint, FingerprintStatus::Valid);
    assert!(out.len() <= bytes.len());
}
