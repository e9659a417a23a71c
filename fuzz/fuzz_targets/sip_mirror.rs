//! Fuzzes the SIP view, stream framing and the mirror: any bytes in, an answer or a counted
//! drop out, never a panic; a 403 never larger than the request, a 200 OK at most
//! PROBE_ANSWER_SLACK larger, and every answer parses back with a matching Content-Length.
//! Run: cargo +nightly fuzz run sip_mirror
#![no_main]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use sipwall_proto::sip::{
    MirrorOutcome, PROBE_ANSWER_SLACK, SipMessage, SipTransport, StreamFrame, respond,
    stream_message_len,
};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = SipMessage::parse(data) {
        for h in m.headers() {
            assert_eq!(&data[h.range()], h.raw().as_bytes());
        }
        let _ = m.via_values().count();
        let _ = m.content_length();
    }
    match stream_message_len(data) {
        StreamFrame::Keepalive(n) | StreamFrame::Complete(n) => assert!(n > 0 && n <= data.len()),
        StreamFrame::NeedMore | StreamFrame::Invalid(_) => {}
    }

    let sources: [SocketAddr; 2] = [
        "203.0.113.5:40000".parse().unwrap(),
        "[2001:db8::9]:1024".parse().unwrap(),
    ];
    let mut out = Vec::new();
    for transport in [SipTransport::Udp, SipTransport::Tcp, SipTransport::Tls] {
        for source in sources {
            match respond(data, source, transport, |t| t == TOKEN, &mut out) {
                MirrorOutcome::Forbidden => {
                    assert!(out.len() <= data.len());
                    let answer = SipMessage::parse(&out).expect("403s parse");
                    assert_eq!(answer.status_code(), Some(403));
                }
                MirrorOutcome::Probe { token, .. } => {
                    assert_eq!(token, TOKEN);
                    assert!(out.len() <= data.len() + PROBE_ANSWER_SLACK);
                    let answer = SipMessage::parse(&out).expect("200s parse");
                    assert_eq!(answer.content_length(), Ok(Some(answer.body().len())));
                }
                MirrorOutcome::Drop(_) => assert!(out.is_empty()),
            }
        }
    }
});
