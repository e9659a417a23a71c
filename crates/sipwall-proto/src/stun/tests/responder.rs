//! The responder's rules, one test per rule, each checking the amplification bound.

use std::net::SocketAddr;

use crate::stun::*;

pub(super) fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const TID: TransactionId = TransactionId([3; 12]);
const CLIENT: &str = "203.0.113.5:40000";

pub(super) fn one_address() -> ResponderConfig {
    ResponderConfig::new(addr("192.0.2.10:3478"))
}

pub(super) fn two_addresses() -> ResponderConfig {
    ResponderConfig {
        alternate: Some(addr("198.51.100.20:3479")),
        ..one_address()
    }
}

fn request(attrs: &[Attribute<'_>], fingerprint: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let seal = Seal {
        integrity_key: None,
        fingerprint,
    };
    binding_request(TID, attrs, seal, &mut out).unwrap();
    out
}

fn legacy_request(attrs: &[Attribute<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    legacy_binding_request(LegacyTransactionId(*b"classic-stun-tid"), attrs, &mut out).unwrap();
    out
}

/// What the RFCs force a reply to contain, computed from the request and the config
/// independently of the responder (the module doc's table).
pub(super) fn required_len(
    request: &[u8],
    reply: &[u8],
    kind: ReplyKind,
    source: SocketAddr,
    cfg: &ResponderConfig,
) -> usize {
    let req = Message::parse(request).unwrap();
    let a = |s: &SocketAddr| {
        if s.ip().to_canonical().is_ipv4() {
            12
        } else {
            24
        }
    };
    let server = a(&cfg.primary);
    let alt = cfg.alternate.is_some();
    let has = |t: u16| req.attributes().any(|x| x.typ == t);
    let fp = if !req.is_legacy() && has(attr::FINGERPRINT) {
        8
    } else {
        0
    };
    let listed = || {
        let r = BindingResponse::parse(reply).unwrap();
        r.unknown_attributes.map_or(0, |t| t.len())
    };
    match kind {
        ReplyKind::Success => {
            let mapped = if cfg.mapped_address == MappedAddressPolicy::Always {
                a(&source)
            } else {
                0
            };
            let pad = if has(attr::PADDING) { 4 } else { 0 };
            20 + a(&source) + mapped + server + if alt { server } else { 0 } + pad + fp
        }
        ReplyKind::LegacySuccess => 20 + a(&source) + server + if alt { server } else { 0 },
        ReplyKind::BadRequest | ReplyKind::LegacyBadRequest => 28 + fp,
        ReplyKind::UnknownAttribute | ReplyKind::LegacyUnknownAttribute => {
            let n = listed();
            assert!(n <= MAX_LISTED_UNKNOWN + 1);
            32 + ((2 * n + 3) & !3) + fp
        }
    }
}

/// Runs the responder and checks what must hold for every reply: it parses, echoes the
/// transaction, FINGERPRINT (if any) is valid, and it does not amplify beyond the RFC floor.
pub(super) fn run(
    req: &[u8],
    source: SocketAddr,
    role: SocketRole,
    transport: Transport,
    cfg: &ResponderConfig,
) -> (Outcome, Vec<u8>) {
    let mut out = Vec::new();
    let outcome = respond(req, source, role, transport, cfg, &mut out);
    match outcome {
        Outcome::Reply { kind, .. } => {
            let reply = Message::parse(&out).expect("reply parses");
            let request = Message::parse(req).unwrap();
            assert_eq!(
                reply.legacy_transaction_id(),
                request.legacy_transaction_id()
            );
            assert_ne!(reply.fingerprint_status(), FingerprintStatus::Invalid);
            let required = required_len(req, &out, kind, source, cfg);
            assert!(required <= MAX_REQUIRED_REPLY_LEN, "{required}");
            assert!(
                out.len() <= req.len().max(required),
                "{kind:?}: reply {} > max(request {}, required {required})",
                out.len(),
                req.len()
            );
        }
        Outcome::Drop(_) => assert!(out.is_empty()),
    }
    (outcome, out)
}

fn udp(req: &[u8], cfg: &ResponderConfig) -> (Outcome, Vec<u8>) {
    run(
        req,
        addr(CLIENT),
        SocketRole::PrimaryIpPrimaryPort,
        Transport::Udp,
        cfg,
    )
}

#[test]
fn plain_binding_one_address() {
    let (outcome, reply) = udp(&request(&[], false), &one_address());
    assert_eq!(
        outcome,
        Outcome::Reply {
            from: SocketRole::PrimaryIpPrimaryPort,
            to: addr(CLIENT),
            kind: ReplyKind::Success
        }
    );
    let r = BindingResponse::parse(&reply).unwrap();
    assert!(r.success);
    assert_eq!(r.message.transaction_id(), TID);
    assert_eq!(r.xor_mapped_address, Some(addr(CLIENT)));
    assert_eq!(r.mapped_address, Some(addr(CLIENT)));
    assert_eq!(r.response_origin, Some(addr("192.0.2.10:3478")));
    assert_eq!(
        r.other_address, None,
        "RFC 5780 §6: none without a second address"
    );
    assert_eq!(r.software, None);
    assert_eq!(r.fingerprint, FingerprintStatus::Absent);
    assert_eq!(reply.len(), 56);
}

#[test]
fn other_address_is_ca_cp_relative_to_the_receiving_socket() {
    let cfg = two_addresses();
    let req = request(&[], false);
    for (role, origin, other) in [
        (
            SocketRole::PrimaryIpPrimaryPort,
            "192.0.2.10:3478",
            "198.51.100.20:3479",
        ),
        (
            SocketRole::PrimaryIpAlternatePort,
            "192.0.2.10:3479",
            "198.51.100.20:3478",
        ),
        (
            SocketRole::AlternateIpPrimaryPort,
            "198.51.100.20:3478",
            "192.0.2.10:3479",
        ),
        (
            SocketRole::AlternateIpAlternatePort,
            "198.51.100.20:3479",
            "192.0.2.10:3478",
        ),
    ] {
        let (outcome, reply) = run(&req, addr(CLIENT), role, Transport::Udp, &cfg);
        assert!(matches!(outcome, Outcome::Reply { from, .. } if from == role));
        let r = BindingResponse::parse(&reply).unwrap();
        assert_eq!(r.response_origin, Some(addr(origin)), "{role:?}");
        assert_eq!(r.other_address, Some(addr(other)), "{role:?}");
        assert_eq!(reply.len(), 68);
    }
}

#[test]
fn change_request_picks_the_reply_socket_per_rfc5780_table1() {
    let cfg = two_addresses();
    for received_on in SocketRole::ALL {
        for (change_ip, change_port) in [(false, false), (true, false), (false, true), (true, true)]
        {
            let change = ChangeRequest {
                change_ip,
                change_port,
            };
            let req = request(&[Attribute::ChangeRequest(change)], false);
            let (outcome, reply) = run(&req, addr(CLIENT), received_on, Transport::Udp, &cfg);
            let want = SocketRole::from_parts(
                received_on.alternate_ip() ^ change_ip,
                received_on.alternate_port() ^ change_port,
            );
            assert_eq!(
                outcome,
                Outcome::Reply {
                    from: want,
                    to: addr(CLIENT),
                    kind: ReplyKind::Success
                }
            );
            let r = BindingResponse::parse(&reply).unwrap();
            assert_eq!(r.response_origin, cfg.advertised_address(want));
            assert_eq!(r.other_address, cfg.advertised_address(received_on.other()));
        }
    }
    // Both flags from PP → AA, the EIF test (RFC 5780 §4.4 test II).
    let both = ChangeRequest {
        change_ip: true,
        change_port: true,
    };
    assert_eq!(
        SocketRole::PrimaryIpPrimaryPort.changed(both),
        SocketRole::AlternateIpAlternatePort
    );
}

fn listed(reply: &[u8]) -> Vec<u16> {
    let r = BindingResponse::parse(reply).unwrap();
    r.unknown_attributes
        .map(|t| t.iter().collect())
        .unwrap_or_default()
}

#[test]
fn change_request_without_alternate_gets_420() {
    // RFC 5780 §6: "MUST respond with a 420 (Unknown Attribute) to any Request with a
    // CHANGE-REQUEST attribute" — even one with no flags set.
    for change in [
        ChangeRequest::default(),
        ChangeRequest {
            change_ip: true,
            change_port: true,
        },
    ] {
        let req = request(&[Attribute::ChangeRequest(change)], false);
        let (outcome, reply) = udp(&req, &one_address());
        assert_eq!(
            outcome,
            Outcome::Reply {
                from: SocketRole::PrimaryIpPrimaryPort,
                to: addr(CLIENT),
                kind: ReplyKind::UnknownAttribute
            }
        );
        let r = BindingResponse::parse(&reply).unwrap();
        assert!(!r.success);
        assert_eq!(r.error.unwrap().code, 420);
        assert_eq!(listed(&reply), [attr::CHANGE_REQUEST]);
        assert_eq!(reply.len(), 36);
        assert_eq!(r.xor_mapped_address, None);
    }
}

#[test]
fn tcp_refuses_changes_and_response_port_with_420() {
    let cfg = two_addresses();
    let tcp = |req: &[u8]| {
        run(
            req,
            addr(CLIENT),
            SocketRole::PrimaryIpPrimaryPort,
            Transport::Tcp,
            &cfg,
        )
    };
    let change = ChangeRequest {
        change_ip: false,
        change_port: true,
    };
    let (outcome, reply) = tcp(&request(&[Attribute::ChangeRequest(change)], false));
    assert!(matches!(
        outcome,
        Outcome::Reply {
            kind: ReplyKind::UnknownAttribute,
            ..
        }
    ));
    assert_eq!(listed(&reply), [attr::CHANGE_REQUEST]);
    // No flags: nothing to change, answer normally.
    let (outcome, _) = tcp(&request(
        &[Attribute::ChangeRequest(ChangeRequest::default())],
        false,
    ));
    assert!(matches!(
        outcome,
        Outcome::Reply {
            from: SocketRole::PrimaryIpPrimaryPort,
            kind: ReplyKind::Success,
            ..
        }
    ));
    let (outcome, reply) = tcp(&request(&[Attribute::ResponsePort(5000)], false));
    assert!(matches!(
        outcome,
        Outcome::Reply {
            kind: ReplyKind::UnknownAttribute,
            ..
        }
    ));
    assert_eq!(listed(&reply), [attr::RESPONSE_PORT]);
}

#[test]
fn response_port_redirects_to_the_source_ip_only() {
    let req = request(&[Attribute::ResponsePort(5000)], false);
    let (outcome, reply) = udp(&req, &two_addresses());
    assert_eq!(
        outcome,
        Outcome::Reply {
            from: SocketRole::PrimaryIpPrimaryPort,
            to: addr("203.0.113.5:5000"),
            kind: ReplyKind::Success
        }
    );
    // RFC 5780 §7.5 asks nothing of the response; the mapping reported is the source's.
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.xor_mapped_address, Some(addr(CLIENT)));
    let m = Message::parse(&reply).unwrap();
    assert!(m.get(attr::RESPONSE_PORT).is_none());
}

#[test]
fn response_port_errors_go_to_the_source_port() {
    for attrs in [
        vec![Attribute::ResponsePort(5000), Attribute::Padding(1000)],
        vec![Attribute::ResponsePort(0)],
        vec![Attribute::Other {
            typ: attr::RESPONSE_PORT,
            value: &[0x13, 0x88],
        }],
    ] {
        let req = request(&attrs, false);
        let (outcome, reply) = udp(&req, &two_addresses());
        assert_eq!(
            outcome,
            Outcome::Reply {
                from: SocketRole::PrimaryIpPrimaryPort,
                to: addr(CLIENT),
                kind: ReplyKind::BadRequest
            },
            "{attrs:?}"
        );
        assert_eq!(
            BindingResponse::parse(&reply).unwrap().error.unwrap().code,
            400
        );
    }
}

#[test]
fn malformed_change_request_is_400() {
    let req = request(
        &[Attribute::Other {
            typ: attr::CHANGE_REQUEST,
            value: &[],
        }],
        false,
    );
    let (outcome, reply) = udp(&req, &two_addresses());
    assert!(matches!(
        outcome,
        Outcome::Reply {
            kind: ReplyKind::BadRequest,
            ..
        }
    ));
    // 24-byte request: no room for the reason phrase, so the reply is the 28-byte floor.
    assert_eq!(reply.len(), 28);
    assert_eq!(
        BindingResponse::parse(&reply)
            .unwrap()
            .error
            .unwrap()
            .reason,
        ""
    );
}

#[test]
fn padding_mirrors_the_request_size() {
    let cfg = ResponderConfig {
        software: Some("sipwall test"),
        ..two_addresses()
    };
    for pad in [0usize, 4, 100, 1400, 1472] {
        let req = request(&[Attribute::Padding(pad)], false);
        let (outcome, reply) = udp(&req, &cfg);
        assert!(matches!(
            outcome,
            Outcome::Reply {
                kind: ReplyKind::Success,
                ..
            }
        ));
        let r = BindingResponse::parse(&reply).unwrap();
        assert!(
            r.padding.is_some(),
            "RFC 5780 §6.1: PADDING MUST be in the response"
        );
        if req.len() >= 72 {
            assert_eq!(reply.len(), req.len(), "pad {pad}");
        } else {
            assert_eq!(reply.len(), 72, "pad {pad}: required floor");
        }
        if req.len() >= 68 + 4 + 16 + 8 {
            assert_eq!(r.software, Some("sipwall test"));
            assert_eq!(r.fingerprint, FingerprintStatus::Valid);
        }
    }
}

#[test]
fn optional_attributes_only_when_they_fit() {
    let cfg = ResponderConfig {
        software: Some("sipwall test"),
        ..one_address()
    };
    let (_, reply) = udp(&request(&[], false), &cfg);
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(
        (r.software, r.fingerprint),
        (None, FingerprintStatus::Absent)
    );
    // A request that is large anyway (long USERNAME) leaves room for both.
    let big = request(&[Attribute::Username(&"u".repeat(60))], false);
    let (_, reply) = udp(&big, &cfg);
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.software, Some("sipwall test"));
    assert_eq!(r.fingerprint, FingerprintStatus::Valid);
    assert!(reply.len() <= big.len());
}

#[test]
fn fingerprint_in_request_is_echoed() {
    let req = request(&[], true);
    assert_eq!(req.len(), 28);
    let (_, reply) = udp(&req, &two_addresses());
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.fingerprint, FingerprintStatus::Valid);
    assert_eq!(reply.len(), 76);
    // Errors echo it too.
    let req = request(
        &[Attribute::Other {
            typ: 0x7777,
            value: &[],
        }],
        true,
    );
    let (_, reply) = udp(&req, &two_addresses());
    assert_eq!(
        BindingResponse::parse(&reply).unwrap().fingerprint,
        FingerprintStatus::Valid
    );
    assert_eq!(reply.len(), 44);
}

#[test]
fn mapped_address_policy() {
    let cfg = ResponderConfig {
        mapped_address: MappedAddressPolicy::WhenItFits,
        ..two_addresses()
    };
    let (_, reply) = udp(&request(&[], false), &cfg);
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.mapped_address, None);
    assert_eq!(reply.len(), 56);
    let (_, reply) = udp(&request(&[Attribute::Padding(60)], false), &cfg);
    assert_eq!(
        BindingResponse::parse(&reply).unwrap().mapped_address,
        Some(addr(CLIENT))
    );
}

#[test]
fn unknown_comprehension_required_gets_420_optional_is_ignored() {
    let cfg = two_addresses();
    let req = request(
        &[
            Attribute::Other {
                typ: 0x7777,
                value: b"x",
            },
            Attribute::Other {
                typ: 0x8999,
                value: b"y",
            },
            Attribute::Other {
                typ: 0x7777,
                value: b"z",
            },
            Attribute::Other {
                typ: attr::SOURCE_ADDRESS,
                value: &[0; 8],
            },
        ],
        false,
    );
    let (outcome, reply) = udp(&req, &cfg);
    assert!(matches!(
        outcome,
        Outcome::Reply {
            kind: ReplyKind::UnknownAttribute,
            ..
        }
    ));
    // Deduplicated, in order; RFC 3489's SOURCE-ADDRESS is unknown to an RFC 8489 server.
    assert_eq!(listed(&reply), [0x7777, attr::SOURCE_ADDRESS]);
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.error.unwrap().reason, "Unknown Attribute");

    let req = request(
        &[Attribute::Other {
            typ: 0x8999,
            value: b"y",
        }],
        false,
    );
    assert!(matches!(
        udp(&req, &cfg).0,
        Outcome::Reply {
            kind: ReplyKind::Success,
            ..
        }
    ));
}

#[test]
fn at_most_32_unknown_types_are_listed() {
    let values: Vec<u16> = (0x4000..0x4040).collect();
    let attrs: Vec<Attribute<'_>> = values
        .iter()
        .map(|&typ| Attribute::Other { typ, value: &[] })
        .collect();
    let req = request(&attrs, false);
    let (_, reply) = udp(&req, &two_addresses());
    assert_eq!(listed(&reply), values[..MAX_LISTED_UNKNOWN]);
    assert!(reply.len() < req.len());
}

#[test]
fn attributes_after_message_integrity_are_ignored() {
    // RFC 8489 §14.5: only FINGERPRINT (and MI-SHA256) count after MESSAGE-INTEGRITY; the
    // reflector does not authenticate (RFC 8489 §12), so MI itself is known-and-ignored.
    let mut req = Vec::new();
    let mut enc = MessageEncoder::new(&mut req, MessageType::BINDING_REQUEST, TID);
    enc.add(&Attribute::Username("alice")).unwrap();
    enc.add_message_integrity(b"pw").unwrap();
    enc.add_raw(0x7777, b"ignored").unwrap();
    enc.add_fingerprint().unwrap();
    enc.finish();
    let (outcome, reply) = udp(&req, &two_addresses());
    assert!(matches!(
        outcome,
        Outcome::Reply {
            kind: ReplyKind::Success,
            ..
        }
    ));
    assert_eq!(
        BindingResponse::parse(&reply).unwrap().fingerprint,
        FingerprintStatus::Valid
    );
}

#[test]
fn legacy_binding_gets_a_classic_response() {
    let cfg = two_addresses();
    let req = legacy_request(&[]);
    assert!(looks_like_stun(&req));
    let (outcome, reply) = udp(&req, &cfg);
    assert_eq!(
        outcome,
        Outcome::Reply {
            from: SocketRole::PrimaryIpPrimaryPort,
            to: addr(CLIENT),
            kind: ReplyKind::LegacySuccess
        }
    );
    assert_eq!(&reply[..2], &[0x01, 0x01]);
    assert_eq!(&reply[4..20], b"classic-stun-tid", "all 16 bytes echoed");
    let r = BindingResponse::parse(&reply).unwrap();
    assert!(r.message.is_legacy());
    assert_eq!(r.mapped_address, Some(addr(CLIENT)));
    assert_eq!(r.source_address, Some(addr("192.0.2.10:3478")));
    assert_eq!(r.changed_address, Some(addr("198.51.100.20:3479")));
    assert_eq!(r.xor_mapped_address, None);
    assert_eq!(reply.len(), 56);
    // One address: no CHANGED-ADDRESS.
    let (_, reply) = udp(&req, &one_address());
    assert_eq!(
        BindingResponse::parse(&reply).unwrap().changed_address,
        None
    );
    assert_eq!(reply.len(), 44);
}

#[test]
fn legacy_change_request_is_honoured() {
    let cfg = two_addresses();
    let req = legacy_request(&[Attribute::ChangeRequest(ChangeRequest {
        change_ip: true,
        change_port: false,
    })]);
    let (outcome, reply) = udp(&req, &cfg);
    assert!(matches!(
        outcome,
        Outcome::Reply {
            from: SocketRole::AlternateIpPrimaryPort,
            kind: ReplyKind::LegacySuccess,
            ..
        }
    ));
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.source_address, Some(addr("198.51.100.20:3478")));
    assert_eq!(r.changed_address, Some(addr("198.51.100.20:3479")));
    // Without an alternate: 420, classic format.
    let (outcome, reply) = udp(&req, &one_address());
    assert!(matches!(
        outcome,
        Outcome::Reply {
            kind: ReplyKind::LegacyUnknownAttribute,
            ..
        }
    ));
    assert_eq!(&reply[4..20], b"classic-stun-tid");
    assert_eq!(listed(&reply), [attr::CHANGE_REQUEST, attr::CHANGE_REQUEST]);
}

#[test]
fn legacy_response_address_is_never_followed() {
    // RFC 3489 §8.1 would send the reply to RESPONSE-ADDRESS: a reflection vector. RFC 5389
    // §12.2: answer it as an unknown attribute instead, to the source.
    let req = legacy_request(&[Attribute::ResponseAddress(addr("198.18.0.1:53"))]);
    let (outcome, reply) = udp(&req, &two_addresses());
    assert_eq!(
        outcome,
        Outcome::Reply {
            from: SocketRole::PrimaryIpPrimaryPort,
            to: addr(CLIENT),
            kind: ReplyKind::LegacyUnknownAttribute
        }
    );
    // RFC 3489 §11.2.10: odd count → one type repeated to fill 4 bytes.
    assert_eq!(
        listed(&reply),
        [attr::RESPONSE_ADDRESS, attr::RESPONSE_ADDRESS]
    );
    let r = BindingResponse::parse(&reply).unwrap();
    // 32-byte request leaves room for the space-padded reason (RFC 3489 §11.2.9)? No: 20 + 8
    // + 20 + 8 > 32, so the reason is left out and the reply is the 36-byte floor.
    assert_eq!(r.error.unwrap().reason, "");
    assert_eq!(reply.len(), 36);
    // Same in an RFC 8489 request: unknown comprehension-required attribute.
    let req = request(&[Attribute::ResponseAddress(addr("198.18.0.1:53"))], false);
    let (_, reply) = udp(&req, &two_addresses());
    assert_eq!(listed(&reply), [attr::RESPONSE_ADDRESS]);
}

#[test]
fn legacy_reason_phrase_is_space_padded_when_it_fits() {
    let big = "x".repeat(40);
    let req = legacy_request(&[
        Attribute::Other {
            typ: 0x0020,
            value: &[0; 8],
        },
        Attribute::Username(&big),
    ]);
    let (_, reply) = udp(&req, &two_addresses());
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.error.unwrap().reason, "Unknown Attribute   ");
    assert_eq!(listed(&reply), [0x0020, 0x0020]);
}

#[test]
fn drops_are_counted_by_reason() {
    let cfg = one_address();
    let mut counters = [0u32; DropReason::ALL.len()];
    let src = addr(CLIENT);
    let mut count = |req: &[u8], source: SocketAddr, role: SocketRole| match run(
        req,
        source,
        role,
        Transport::Udp,
        &cfg,
    )
    .0
    {
        Outcome::Drop(reason) => counters[reason.index()] += 1,
        other => panic!("expected a drop, got {other:?}"),
    };
    let pp = SocketRole::PrimaryIpPrimaryPort;
    let mut response = Vec::new();
    binding_success(
        TID,
        &[Attribute::XorMappedAddress(src)],
        Seal::NONE,
        &mut response,
    )
    .unwrap();
    count(&response, src, pp);
    let mut error = Vec::new();
    binding_error(
        TID,
        ErrorCode {
            code: 400,
            reason: "",
        },
        &[],
        Seal::NONE,
        &mut error,
    )
    .unwrap();
    count(&error, src, pp);
    let mut indication = Vec::new();
    encode_message(
        MessageType::BINDING_INDICATION,
        TID,
        &[],
        Seal::NONE,
        &mut indication,
    )
    .unwrap();
    count(&indication, src, pp);
    let mut allocate = Vec::new();
    let allocate_type = MessageType::new(Class::Request, Method::new(0x003).unwrap());
    encode_message(allocate_type, TID, &[], Seal::NONE, &mut allocate).unwrap();
    count(&allocate, src, pp);
    count(b"GET / HTTP/1.1\r\n\r\n", src, pp);
    count(&[0; 19], src, pp);
    let mut truncated = request(&[], false);
    truncated[3] = 8;
    truncated.extend_from_slice(&[0x80, 0x22, 0, 9, 0, 0, 0, 0]);
    count(&truncated, src, pp);
    let mut bad_fp = request(&[], true);
    *bad_fp.last_mut().unwrap() ^= 1;
    count(&bad_fp, src, pp);
    let ok = request(&[], false);
    count(&ok, addr("203.0.113.5:0"), pp);
    count(&ok, addr("224.0.0.1:5000"), pp);
    count(&ok, addr("255.255.255.255:5000"), pp);
    count(&ok, addr("[::]:5000"), pp);
    count(&ok, src, SocketRole::AlternateIpAlternatePort);

    let by_name = |r: DropReason| counters[r.index()];
    assert_eq!(by_name(DropReason::Response), 2);
    assert_eq!(by_name(DropReason::Indication), 1);
    assert_eq!(by_name(DropReason::UnsupportedMethod), 1);
    assert_eq!(by_name(DropReason::NotStun), 2);
    assert_eq!(by_name(DropReason::Malformed), 1);
    assert_eq!(by_name(DropReason::BadFingerprint), 1);
    assert_eq!(by_name(DropReason::InvalidSource), 4);
    assert_eq!(by_name(DropReason::RoleNotConfigured), 1);
    assert_eq!(by_name(DropReason::EncodeFailed), 0);
}

#[test]
fn drop_reason_indices_are_dense_and_named() {
    for (i, r) in DropReason::ALL.iter().enumerate() {
        assert_eq!(r.index(), i);
        assert!(!r.as_str().is_empty());
    }
}

#[test]
fn ipv6_sizes_and_mapping() {
    let cfg = ResponderConfig {
        alternate: Some(addr("[2001:db8::2]:3479")),
        ..ResponderConfig::new(addr("[2001:db8::1]:3478"))
    };
    cfg.validate().unwrap();
    let client = addr("[2001:db8:1234:5678:11:2233:4455:6677]:32853");
    let (_, reply) = run(
        &request(&[], false),
        client,
        SocketRole::PrimaryIpPrimaryPort,
        Transport::Udp,
        &cfg,
    );
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.xor_mapped_address, Some(client));
    assert_eq!(r.other_address, Some(addr("[2001:db8::2]:3479")));
    assert_eq!(reply.len(), 116);
    let one = ResponderConfig::new(addr("[2001:db8::1]:3478"));
    let (_, reply) = run(
        &request(&[], false),
        client,
        SocketRole::PrimaryIpPrimaryPort,
        Transport::Udp,
        &one,
    );
    assert_eq!(reply.len(), 92);
}

#[test]
fn dual_stack_mapped_ipv4_sources_are_reported_as_ipv4() {
    let v6cfg = ResponderConfig::new(addr("[2001:db8::1]:3478"));
    let source = addr("[::ffff:203.0.113.5]:40000");
    let (outcome, reply) = run(
        &request(&[], false),
        source,
        SocketRole::PrimaryIpPrimaryPort,
        Transport::Udp,
        &v6cfg,
    );
    assert!(
        matches!(outcome, Outcome::Reply { to, .. } if to == source),
        "reply to the socket's form"
    );
    assert_eq!(
        BindingResponse::parse(&reply).unwrap().xor_mapped_address,
        Some(addr(CLIENT))
    );
}

#[test]
fn advertised_addresses_for_one_to_one_nat() {
    let cfg = ResponderConfig {
        primary: addr("10.0.0.1:3478"),
        alternate: Some(addr("10.0.0.2:3479")),
        advertised_primary_ip: Some("192.0.2.10".parse().unwrap()),
        advertised_alternate_ip: Some("198.51.100.20".parse().unwrap()),
        ..one_address()
    };
    cfg.validate().unwrap();
    assert_eq!(
        cfg.local_address(SocketRole::AlternateIpPrimaryPort),
        Some(addr("10.0.0.2:3478"))
    );
    let change = ChangeRequest {
        change_ip: true,
        change_port: false,
    };
    let (_, reply) = udp(&request(&[Attribute::ChangeRequest(change)], false), &cfg);
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.response_origin, Some(addr("198.51.100.20:3478")));
    assert_eq!(r.other_address, Some(addr("198.51.100.20:3479")));
    let (_, reply) = udp(&legacy_request(&[]), &cfg);
    let r = BindingResponse::parse(&reply).unwrap();
    assert_eq!(r.source_address, Some(addr("192.0.2.10:3478")));
    assert_eq!(r.changed_address, Some(addr("198.51.100.20:3479")));
}

#[test]
fn config_validation() {
    let base = two_addresses();
    assert_eq!(base.validate(), Ok(()));
    let bad = |c: ResponderConfig| c.validate().unwrap_err();
    assert_eq!(
        bad(ResponderConfig {
            alternate: Some(addr("192.0.2.10:3479")),
            ..base.clone()
        }),
        ConfigError::AlternateSameIp
    );
    assert_eq!(
        bad(ResponderConfig {
            alternate: Some(addr("198.51.100.20:3478")),
            ..base.clone()
        }),
        ConfigError::AlternateSamePort
    );
    assert_eq!(
        bad(ResponderConfig {
            alternate: Some(addr("[2001:db8::2]:3479")),
            ..base.clone()
        }),
        ConfigError::FamilyMismatch
    );
    assert_eq!(
        bad(ResponderConfig {
            advertised_alternate_ip: Some("198.51.100.1".parse().unwrap()),
            ..one_address()
        }),
        ConfigError::AdvertisedWithoutAlternate
    );
    assert_eq!(
        bad(ResponderConfig::new(addr("0.0.0.0:3478"))),
        ConfigError::UnspecifiedWithoutAdvertised
    );
    assert_eq!(
        bad(ResponderConfig::new(addr("192.0.2.1:0"))),
        ConfigError::PortZero
    );
    let long: &'static str = Box::leak("s".repeat(128).into_boxed_str());
    assert_eq!(
        bad(ResponderConfig {
            software: Some(long),
            ..base.clone()
        }),
        ConfigError::SoftwareTooLong
    );
    let wildcard_ok = ResponderConfig {
        advertised_primary_ip: Some("192.0.2.10".parse().unwrap()),
        ..ResponderConfig::new(addr("0.0.0.0:3478"))
    };
    assert_eq!(wildcard_ok.validate(), Ok(()));
}

#[test]
fn amplification_table_rows() {
    // The module doc's table, row by row (IPv4; IPv6 rows in ipv6_sizes_and_mapping).
    let len = |req: &[u8], cfg: &ResponderConfig| udp(req, cfg).1.len();
    let plain = request(&[], false);
    assert_eq!(plain.len(), 20);
    assert_eq!(len(&plain, &one_address()), 56);
    assert_eq!(len(&plain, &two_addresses()), 68);
    let fits = |c: ResponderConfig| ResponderConfig {
        mapped_address: MappedAddressPolicy::WhenItFits,
        ..c
    };
    assert_eq!(len(&plain, &fits(one_address())), 44);
    assert_eq!(len(&plain, &fits(two_addresses())), 56);
    let padded = request(&[Attribute::Padding(0)], false);
    assert_eq!(
        (
            padded.len(),
            len(&padded, &one_address()),
            len(&padded, &two_addresses())
        ),
        (24, 60, 72)
    );
    let fp = request(&[], true);
    assert_eq!(
        (
            fp.len(),
            len(&fp, &one_address()),
            len(&fp, &two_addresses())
        ),
        (28, 64, 76)
    );
    let legacy = legacy_request(&[]);
    assert_eq!(
        (len(&legacy, &one_address()), len(&legacy, &two_addresses())),
        (44, 56)
    );
    let bad = request(
        &[Attribute::Other {
            typ: attr::CHANGE_REQUEST,
            value: &[],
        }],
        false,
    );
    assert_eq!((bad.len(), len(&bad, &two_addresses())), (24, 28));
    let unknown = request(
        &[Attribute::Other {
            typ: 0x7000,
            value: &[],
        }],
        false,
    );
    assert_eq!((unknown.len(), len(&unknown, &two_addresses())), (24, 36));
    let change = request(&[Attribute::ChangeRequest(ChangeRequest::default())], false);
    assert_eq!((change.len(), len(&change, &one_address())), (28, 36));
    for n in 1..=40u16 {
        let types: Vec<Attribute<'_>> = (0..n)
            .map(|i| Attribute::Other {
                typ: 0x7000 + i,
                value: &[],
            })
            .collect();
        let req = request(&types, false);
        let listed = usize::from(n).min(MAX_LISTED_UNKNOWN);
        let floor = 32 + ((2 * listed + 3) & !3);
        // At least the floor; beyond it only optional content that fits (run() checks).
        assert!(len(&req, &two_addresses()) >= floor, "n = {n}");
        if n >= 6 {
            assert!(len(&req, &two_addresses()) <= req.len(), "n = {n}");
        }
    }
}

#[test]
fn message_integrity_requests_are_answered_without_authentication() {
    // RFC 8489 §12: a basic server SHOULD NOT use credentials; MI is known, not checked.
    let mut req = Vec::new();
    let seal = Seal {
        integrity_key: Some(b"pw"),
        fingerprint: false,
    };
    binding_request(TID, &[Attribute::Username("bob")], seal, &mut req).unwrap();
    assert!(matches!(
        udp(&req, &two_addresses()).0,
        Outcome::Reply {
            kind: ReplyKind::Success,
            ..
        }
    ));
}
