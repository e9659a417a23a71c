//! Fuzzes the STUN codec and the reflector's responder: any bytes in, a reply or a counted
//! drop out, never a panic, and never a reply larger than max(request, RFC-required floor).
//! Run: cargo +nightly fuzz run stun_decode
#![no_main]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use sipwall_proto::stun::{
    BindingResponse, MAX_REQUIRED_REPLY_LEN, Message, Outcome, ResponderConfig, SocketRole,
    Transport, looks_like_stun, respond, stream_message_len,
};

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_stun(data);
    let _ = stream_message_len(data);
    if let Ok(m) = Message::parse(data) {
        for raw in m.raw_attributes() {
            let _ = m.attribute(raw);
        }
        let _ = m.fingerprint_status();
        let _ = m.verify_integrity(b"fuzz");
    }
    let _ = BindingResponse::parse(data);

    let primary: SocketAddr = "192.0.2.10:3478".parse().unwrap();
    let configs = [
        ResponderConfig::new(primary),
        ResponderConfig {
            alternate: Some("198.51.100.20:3479".parse().unwrap()),
            software: Some("sipwall fuzz"),
            ..ResponderConfig::new(primary)
        },
    ];
    let sources: [SocketAddr; 2] = [
        "203.0.113.5:40000".parse().unwrap(),
        "[2001:db8::9]:1024".parse().unwrap(),
    ];
    let mut out = Vec::new();
    for cfg in &configs {
        for role in SocketRole::ALL {
            for transport in [Transport::Udp, Transport::Tcp] {
                for source in sources {
                    if let Outcome::Reply { .. } = respond(data, source, role, transport, cfg, &mut out) {
                        assert!(out.len() <= data.len().max(MAX_REQUIRED_REPLY_LEN));
                        let reply = Message::parse(&out).expect("replies parse");
                        let request = Message::parse(data).expect("only parsed requests get replies");
                        assert_eq!(reply.legacy_transaction_id(), request.legacy_transaction_id());
                    } else {
                        assert!(out.is_empty());
                    }
                }
            }
        }
    }
});
