//! Property tests: encode → decode round trips, and nothing panics or amplifies on any input.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::prelude::*;

use super::responder::{addr, one_address, run, two_addresses};
use crate::stun::*;

fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<u128>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,40}"
}

/// Owned attribute descriptions (the codec's `Attribute` borrows).
#[derive(Clone, Debug)]
enum Owned {
    Addr(u8, SocketAddr),
    Change(bool, bool),
    Text(u8, String),
    Error(u16, String),
    Unknown(Vec<u16>),
    Padding(usize),
    Port(u16),
    Other(u16, Vec<u8>),
}

fn owned() -> impl Strategy<Value = Owned> {
    prop_oneof![
        (0u8..8, socket_addr()).prop_map(|(k, a)| Owned::Addr(k, a)),
        (any::<bool>(), any::<bool>()).prop_map(|(i, p)| Owned::Change(i, p)),
        (0u8..4, text()).prop_map(|(k, t)| Owned::Text(k, t)),
        (300u16..700, text()).prop_map(|(c, t)| Owned::Error(c, t)),
        prop::collection::vec(any::<u16>(), 0..8).prop_map(Owned::Unknown),
        (0usize..300).prop_map(Owned::Padding),
        any::<u16>().prop_map(Owned::Port),
        // Types the typed decoder leaves alone.
        (0x4000u16..0x5000, prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(t, v)| Owned::Other(t, v)),
    ]
}

fn borrow(o: &Owned) -> Attribute<'_> {
    match o {
        Owned::Addr(k, a) => match k {
            0 => Attribute::MappedAddress(*a),
            1 => Attribute::XorMappedAddress(*a),
            2 => Attribute::ResponseOrigin(*a),
            3 => Attribute::OtherAddress(*a),
            4 => Attribute::SourceAddress(*a),
            5 => Attribute::ChangedAddress(*a),
            6 => Attribute::ResponseAddress(*a),
            _ => Attribute::ReflectedFrom(*a),
        },
        Owned::Change(i, p) => Attribute::ChangeRequest(ChangeRequest {
            change_ip: *i,
            change_port: *p,
        }),
        Owned::Text(k, t) => match k {
            0 => Attribute::Software(t),
            1 => Attribute::Username(t),
            2 => Attribute::Realm(t),
            _ => Attribute::Nonce(t),
        },
        Owned::Error(code, reason) => Attribute::ErrorCode(ErrorCode {
            code: *code,
            reason,
        }),
        Owned::Unknown(types) => Attribute::UnknownAttributes(AttributeTypes::new(types)),
        Owned::Padding(n) => Attribute::Padding(*n),
        Owned::Port(p) => Attribute::ResponsePort(*p),
        Owned::Other(t, v) => Attribute::Other { typ: *t, value: v },
    }
}

fn mutate(mut bytes: Vec<u8>, flips: &[(usize, u8)], cut: usize) -> Vec<u8> {
    for &(at, x) in flips {
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] ^= x;
        }
    }
    let keep = bytes.len().saturating_sub(cut);
    bytes.truncate(keep);
    bytes
}

/// Everything a hostile datagram can reach: decoders, checks, the response view, the
/// responder in every role, transport and config.
fn exercise(bytes: &[u8]) {
    let _ = looks_like_stun(bytes);
    let _ = stream_message_len(bytes);
    if let Ok(m) = Message::parse(bytes) {
        for raw in m.raw_attributes() {
            let _ = m.attribute(raw);
        }
        let _ = m.fingerprint_status();
        let _ = m.verify_integrity(b"key");
    }
    let _ = BindingResponse::parse(bytes);
    let configs = [one_address(), two_addresses()];
    for cfg in &configs {
        for role in SocketRole::ALL {
            for transport in [Transport::Udp, Transport::Tcp] {
                for src in ["203.0.113.5:40000", "[2001:db8::9]:1024"] {
                    let mut out = Vec::new();
                    let outcome = respond(bytes, addr(src), role, transport, cfg, &mut out);
                    if let Outcome::Reply { .. } = outcome {
                        // Re-run through the checking helper (bound, parse, transaction ID).
                        run(bytes, addr(src), role, transport, cfg);
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn encode_decode_round_trip(
        tid in any::<[u8; 12]>(),
        attrs in prop::collection::vec(owned(), 0..10),
        legacy in any::<bool>(),
        key in prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        fingerprint in any::<bool>(),
    ) {
        let attrs: Vec<Attribute<'_>> = attrs.iter().map(borrow).collect();
        let mut out = Vec::new();
        let mut enc = if legacy {
            let mut id = [0x55u8; 16];
            id[4..].copy_from_slice(&tid);
            MessageEncoder::new_legacy(&mut out, MessageType::BINDING_SUCCESS, LegacyTransactionId(id))
        } else {
            MessageEncoder::new(&mut out, MessageType::BINDING_SUCCESS, TransactionId(tid))
        };
        for a in &attrs {
            enc.add(a).unwrap();
        }
        if let Some(k) = &key {
            enc.add_message_integrity(k).unwrap();
        }
        if fingerprint {
            enc.add_fingerprint().unwrap();
        }
        let len = enc.finish();
        prop_assert_eq!(len, out.len());
        prop_assert!(looks_like_stun(&out));
        prop_assert_eq!(stream_message_len(&out), Some(out.len()));
        let m = Message::parse(&out).unwrap();
        prop_assert_eq!(m.is_legacy(), legacy);
        prop_assert_eq!(m.transaction_id(), TransactionId(tid));
        let decoded: Vec<Attribute<'_>> = m.raw_attributes()
            .filter(|a| a.typ != attr::MESSAGE_INTEGRITY && a.typ != attr::FINGERPRINT)
            .map(|a| m.attribute(a).unwrap())
            .collect();
        prop_assert_eq!(decoded, attrs);
        if let Some(k) = &key {
            prop_assert_eq!(m.verify_integrity(k), IntegrityStatus::Valid);
        }
        let fp = if fingerprint { FingerprintStatus::Valid } else { FingerprintStatus::Absent };
        prop_assert_eq!(m.fingerprint_status(), fp);
    }

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        exercise(&bytes);
    }

    #[test]
    fn responder_on_mutated_requests(
        attrs in prop::collection::vec(owned(), 0..6),
        legacy in any::<bool>(),
        fingerprint in any::<bool>(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        cut in 0usize..3,
    ) {
        let attrs: Vec<Attribute<'_>> = attrs.iter().map(borrow).collect();
        let mut req = Vec::new();
        if legacy {
            legacy_binding_request(LegacyTransactionId([7; 16]), &attrs, &mut req).unwrap();
        } else {
            let seal = Seal { integrity_key: None, fingerprint };
            binding_request(TransactionId([7; 12]), &attrs, seal, &mut req).unwrap();
        }
        exercise(&req);
        exercise(&mutate(req, &flips, cut * 4));
    }

    #[test]
    fn valid_header_random_attribute_soup(
        typ in prop_oneof![Just(0x0001u16), any::<u16>()],
        cookie in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..30),
    ) {
        // Most random bytes die at the header; this gets past it to the attribute walker.
        let words = body.len() / 4 * 4;
        let mut m = Vec::new();
        m.extend_from_slice(&(typ & 0x3FFF).to_be_bytes());
        m.extend_from_slice(&(words as u16).to_be_bytes());
        m.extend_from_slice(if cookie { &[0x21, 0x12, 0xa4, 0x42] } else { &[1, 2, 3, 4] });
        m.extend_from_slice(&[9; 12]);
        m.extend_from_slice(&body[..words]);
        exercise(&m);
    }
}
