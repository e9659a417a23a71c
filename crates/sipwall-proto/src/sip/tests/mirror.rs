//! The mirror's answers.

use std::net::SocketAddr;

use proptest::prelude::*;

use super::message::INVITE;
use crate::sip::*;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

const OPTIONS: &str = "OPTIONS sip:mirror@192.0.2.10:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-1a2b3c;rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:check@192.168.1.20>;tag=f00d\r\n\
To: <sip:mirror@192.0.2.10>\r\n\
Call-ID: 8c4f1b2e@192.168.1.20\r\n\
CSeq: 1 OPTIONS\r\n\
Contact: <sip:check@192.168.1.20:5060>\r\n\
X-Sipwall-Probe: 0123456789abcdef0123456789abcdef\r\n\
Content-Length: 0\r\n\
\r\n";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn valid(t: &str) -> bool {
    t == TOKEN
}

fn run<'a>(
    request: &'a [u8],
    source: &str,
    transport: SipTransport,
) -> (MirrorOutcome<'a>, Vec<u8>) {
    let mut out = Vec::new();
    let outcome = respond(request, addr(source), transport, valid, &mut out);
    (outcome, out)
}

fn text(out: &[u8]) -> &str {
    std::str::from_utf8(out).unwrap()
}

#[test]
fn probe_options_over_udp_exact_answer() {
    let (outcome, out) = run(OPTIONS.as_bytes(), "203.0.113.5:40000", SipTransport::Udp);
    assert_eq!(
        outcome,
        MirrorOutcome::Probe {
            token: TOKEN,
            call_id: "8c4f1b2e@192.168.1.20",
            method: "OPTIONS"
        }
    );
    let expected = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-1a2b3c;rport=40000;received=203.0.113.5\r\n\
From: <sip:check@192.168.1.20>;tag=f00d\r\n\
To: <sip:mirror@192.0.2.10>;tag=e96f2b4d\r\n\
Call-ID: 8c4f1b2e@192.168.1.20\r\n\
CSeq: 1 OPTIONS\r\n\
Contact: <sip:mirror@203.0.113.5:40000;transport=udp>\r\n\
X-Sipwall-Observed: UDP 203.0.113.5:40000\r\n\
Server: sipwall-mirror\r\n\
Content-Length: 0\r\n\
\r\n";
    assert_eq!(text(&out), expected);
    assert_eq!(to_tag("8c4f1b2e@192.168.1.20", "1 OPTIONS"), "e96f2b4d");
    assert_eq!(
        crc32fast::hash(b"8c4f1b2e@192.168.1.20 1 OPTIONS"),
        0xe96f_2b4d
    );
}

#[test]
fn retransmission_gets_identical_bytes() {
    let mut out = b"stale".to_vec();
    let first = respond(
        OPTIONS.as_bytes(),
        addr("203.0.113.5:40000"),
        SipTransport::Udp,
        valid,
        &mut out,
    );
    let a = out.clone();
    let again = respond(
        OPTIONS.as_bytes(),
        addr("203.0.113.5:40000"),
        SipTransport::Udp,
        valid,
        &mut out,
    );
    assert_eq!(first, again);
    assert_eq!(a, out);
    // Same for a 403.
    let other = OPTIONS.replace(TOKEN, "ffffffffffffffffffffffffffffffff");
    let (f1, o1) = run(other.as_bytes(), "203.0.113.5:40000", SipTransport::Udp);
    let (f2, o2) = run(other.as_bytes(), "203.0.113.5:40000", SipTransport::Udp);
    assert_eq!((f1, &o1), (f2, &o2));
    assert_eq!(f1, MirrorOutcome::Forbidden);
}

#[test]
fn invite_sdp_is_rewritten_to_the_source() {
    let (outcome, out) = run(INVITE.as_bytes(), "198.51.100.7:61000", SipTransport::Tcp);
    assert!(matches!(
        outcome,
        MirrorOutcome::Probe {
            method: "INVITE",
            ..
        }
    ));
    let answer = SipMessage::parse(&out).expect("the answer parses");
    assert_eq!(answer.status_code(), Some(200));
    assert_eq!(answer.header("Content-Type"), Some("application/sdp"));
    assert_eq!(answer.content_length(), Ok(Some(answer.body().len())));
    assert_eq!(
        text(answer.body()),
        "v=0\r\n\
o=check 2890844526 2890844526 IN IP4 198.51.100.7\r\n\
s=-\r\n\
c=IN IP4 198.51.100.7\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n"
    );
    assert_eq!(
        answer.header("Via"),
        Some(
            "SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-74bf9;rport=61000;received=198.51.100.7"
        )
    );
    assert_eq!(
        answer.header("To"),
        Some("<sip:bob@192.0.2.10>;tag=2c1490c8")
    );
    assert_eq!(
        answer.header("Contact"),
        Some("<sip:mirror@198.51.100.7:61000;transport=tcp>")
    );
    assert_eq!(
        answer.header("X-Sipwall-Observed"),
        Some("TCP 198.51.100.7:61000")
    );
    assert_eq!(stream_message_len(&out), StreamFrame::Complete(out.len()));
}

#[test]
fn invite_over_ipv6_lf_and_multicast_c_line() {
    let lf = INVITE
        .replace("\r\n", "\n")
        .replace("c=IN IP4 192.168.1.20", "c=IN IP4 224.2.1.1/127/3")
        .replace("Content-Length: 138", "Content-Length: 134");
    let (outcome, out) = run(lf.as_bytes(), "[2001:db8::9]:1024", SipTransport::Tls);
    assert!(matches!(outcome, MirrorOutcome::Probe { .. }));
    let answer = SipMessage::parse(&out).unwrap();
    let body = text(answer.body());
    assert!(
        body.contains("\r\no=check 2890844526 2890844526 IN IP6 2001:db8::9\r\n"),
        "{body}"
    );
    assert!(body.contains("\r\nc=IN IP6 2001:db8::9\r\n"), "{body}");
    assert!(body.contains("\r\nm=audio 49170 RTP/AVP 0\r\n"), "{body}");
    assert_eq!(answer.content_length(), Ok(Some(answer.body().len())));
    assert_eq!(
        answer.header("Contact"),
        Some("<sip:mirror@[2001:db8::9]:1024;transport=tls>")
    );
    assert_eq!(
        answer.header("X-Sipwall-Observed"),
        Some("TLS [2001:db8::9]:1024")
    );
    assert!(
        answer
            .header("Via")
            .unwrap()
            .ends_with(";rport=1024;received=2001:db8::9")
    );
    // An IPv4-mapped source (dual-stack socket) is reported as IPv4.
    let (_, out) = run(
        OPTIONS.as_bytes(),
        "[::ffff:203.0.113.5]:40000",
        SipTransport::Udp,
    );
    assert!(text(&out).contains("X-Sipwall-Observed: UDP 203.0.113.5:40000\r\n"));
}

#[test]
fn via_params_and_existing_tags() {
    let req = "REGISTER sip:192.0.2.10 SIP/2.0\r\n\
v: SIP/2.0/UDP 10.0.0.2:5062;received=10.9.9.9;rport=5062;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.3\r\n\
Via: SIP/2.0/UDP 10.0.0.4;rport\r\n\
f: <sip:c@10.0.0.2>;tag=a\r\n\
t: \"x<y\" <sip:c@10.0.0.2>;tag=already\r\n\
i: reg-1\r\n\
CSeq: 7 REGISTER\r\n\
X-Sipwall-Probe: 0123456789abcdef0123456789abcdef\r\n\
\r\n";
    let (outcome, out) = run(req.as_bytes(), "203.0.113.5:40000", SipTransport::Udp);
    assert!(matches!(
        outcome,
        MirrorOutcome::Probe {
            call_id: "reg-1",
            ..
        }
    ));
    let answer = SipMessage::parse(&out).unwrap();
    let vias: Vec<&str> = answer.headers_named("Via").collect();
    assert_eq!(
        vias,
        [
            "SIP/2.0/UDP 10.0.0.2:5062;received=203.0.113.5;rport=40000;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.3",
            "SIP/2.0/UDP 10.0.0.4;rport",
        ]
    );
    assert_eq!(
        answer.header("To"),
        Some("\"x<y\" <sip:c@10.0.0.2>;tag=already")
    );
    // Canonical names in the answer.
    assert!(answer.headers().iter().all(|h| h.raw_name() == h.name()));
    // A bare addr-spec with a tag keeps it; a tag-like URI parameter inside <> does not count.
    for (to, has) in [
        ("sip:c@h;tag=1", true),
        ("<sip:c@h;tag=1>", false),
        ("<sip:c@h>;Tag=2", true),
    ] {
        let r = req.replace("\"x<y\" <sip:c@10.0.0.2>;tag=already", to);
        let (_, out) = run(r.as_bytes(), "203.0.113.5:40000", SipTransport::Udp);
        let a = SipMessage::parse(&out).unwrap();
        assert_eq!(
            a.header("To")
                .unwrap()
                .to_lowercase()
                .matches("tag=")
                .count(),
            if has { 1 } else { 2 },
            "{to}"
        );
    }
}

#[test]
fn wrong_token_gets_a_small_403() {
    let asked = std::cell::RefCell::new(Vec::new());
    for token in [
        "ffffffffffffffffffffffffffffffff",
        "0123456789ABCDEF0123456789ABCDEF",
        "short",
        "",
    ] {
        let req = OPTIONS.replace(TOKEN, token);
        let mut out = Vec::new();
        let outcome = respond(
            req.as_bytes(),
            addr("203.0.113.5:40000"),
            SipTransport::Udp,
            |t| {
                asked.borrow_mut().push(t.to_owned());
                false
            },
            &mut out,
        );
        assert_eq!(outcome, MirrorOutcome::Forbidden, "{token}");
        assert!(out.len() <= req.len());
    }
    // Only well-formed tokens reach the validator.
    assert_eq!(*asked.borrow(), ["ffffffffffffffffffffffffffffffff"]);
    let no_token: String = OPTIONS
        .lines()
        .filter(|l| !l.starts_with("X-Sipwall"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (outcome, out) = run(no_token.as_bytes(), "203.0.113.5:40000", SipTransport::Udp);
    assert_eq!(outcome, MirrorOutcome::Forbidden);
    assert_eq!(
        text(&out),
        "SIP/2.0 403 Forbidden\r\n\
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-1a2b3c;rport\r\n\
From: <sip:check@192.168.1.20>;tag=f00d\r\n\
To: <sip:mirror@192.0.2.10>;tag=e96f2b4d\r\n\
Call-ID: 8c4f1b2e@192.168.1.20\r\n\
CSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\
\r\n"
    );
    assert!(out.len() <= no_token.len());
}

#[test]
fn tiny_request_whose_403_would_be_larger_is_dropped() {
    let req = b"OPTIONS sip:a SIP/2.0\nv:a\nf:b\nt:c\ni:d\nCSeq:1 OPTIONS\n\n";
    let (outcome, out) = run(req, "203.0.113.5:40000", SipTransport::Udp);
    assert_eq!(outcome, MirrorOutcome::Drop(MirrorDrop::TooLargeForAnswer));
    assert!(out.is_empty());
}

#[test]
fn probe_answer_over_its_bound_is_dropped() {
    let mut req = OPTIONS.replace("Content-Length: 0\r\n", "Content-Type: application/sdp\r\n");
    let sdp = "c=IN IP4 1.1.1.1\n".repeat(60);
    req.push_str(&sdp);
    let (outcome, out) = run(
        req.as_bytes(),
        "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:1",
        SipTransport::Udp,
    );
    assert_eq!(outcome, MirrorOutcome::Drop(MirrorDrop::TooLargeForAnswer));
    assert!(out.is_empty());
    // The same from IPv4 fits.
    let (outcome, out) = run(req.as_bytes(), "203.0.113.5:40000", SipTransport::Udp);
    assert!(matches!(outcome, MirrorOutcome::Probe { .. }));
    assert!(out.len() <= req.len() + PROBE_ANSWER_SLACK);
}

#[test]
fn silent_cases() {
    let ack = OPTIONS
        .replace("OPTIONS sip:", "ACK sip:")
        .replace("1 OPTIONS", "1 ACK");
    assert_eq!(
        run(ack.as_bytes(), "203.0.113.5:40000", SipTransport::Udp).0,
        MirrorOutcome::Drop(MirrorDrop::Ack)
    );
    let response = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_eq!(
        run(response.as_bytes(), "203.0.113.5:40000", SipTransport::Udp).0,
        MirrorOutcome::Drop(MirrorDrop::NotRequest)
    );
    for garbage in [
        &b""[..],
        b"\x00\x01\x00\x00\x21\x12\xa4\x42",
        b"GET / HTTP/1.1\r\n\r\n",
        b"\r\n\r\n",
    ] {
        let (outcome, out) = run(garbage, "203.0.113.5:40000", SipTransport::Udp);
        assert_eq!(outcome, MirrorOutcome::Drop(MirrorDrop::Malformed));
        assert!(out.is_empty());
    }
    for missing in ["Via", "From", "To", "Call-ID", "CSeq"] {
        let req: String = OPTIONS
            .split_inclusive("\r\n")
            .filter(|l| !l.starts_with(&format!("{missing}:")))
            .collect();
        assert_eq!(
            run(req.as_bytes(), "203.0.113.5:40000", SipTransport::Udp).0,
            MirrorOutcome::Drop(MirrorDrop::Malformed),
            "{missing}"
        );
    }
    for source in [
        "0.0.0.0:5060",
        "203.0.113.5:0",
        "224.0.0.1:5060",
        "255.255.255.255:5060",
        "[ff02::1]:5060",
        "[::]:5060",
    ] {
        assert_eq!(
            run(OPTIONS.as_bytes(), source, SipTransport::Udp).0,
            MirrorOutcome::Drop(MirrorDrop::InvalidSource),
            "{source}"
        );
    }
}

#[test]
fn drop_reasons_and_transports() {
    for (i, d) in MirrorDrop::ALL.iter().enumerate() {
        assert_eq!(d.index(), i);
    }
    let names: Vec<&str> = MirrorDrop::ALL.iter().map(|d| d.as_str()).collect();
    assert_eq!(
        names,
        [
            "malformed",
            "not_request",
            "ack",
            "too_large_for_answer",
            "invalid_source"
        ]
    );
    let t: Vec<&str> = SipTransport::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(t, ["UDP", "TCP", "TLS"]);
    assert!(is_token_syntax(TOKEN));
    assert!(!is_token_syntax(&TOKEN.to_uppercase()));
}

fn header_line() -> impl Strategy<Value = String> {
    let names = prop_oneof![
        Just("Via"),
        Just("v"),
        Just("From"),
        Just("f"),
        Just("To"),
        Just("t"),
        Just("Call-ID"),
        Just("i"),
        Just("CSeq"),
        Just("Content-Type"),
        Just("c"),
        Just("l"),
        Just("X-Sipwall-Probe"),
        Just("Contact"),
        Just("X-Other"),
    ];
    let values = prop_oneof![
        Just(TOKEN.to_owned()),
        Just("application/sdp".to_owned()),
        "[0-9]{1,3}",
        "[ -~]{0,40}",
        "SIP/2.0/UDP [0-9.]{1,15}(;rport)?(;received=[0-9.]{1,15})?(, SIP/2.0/TCP h)?",
        "<sip:[a-z]{1,5}@[a-z]{1,5}>(;tag=[a-z]{0,3})?",
    ];
    (names, values).prop_map(|(n, v)| format!("{n}:{v}"))
}

/// `Name: value` with the full or the compact name.
fn named(
    full: &'static str,
    compact: &'static str,
    value: impl Strategy<Value = String>,
) -> impl Strategy<Value = String> {
    (prop_oneof![Just(full), Just(compact)], value).prop_map(|(n, v)| format!("{n}: {v}"))
}

/// Requests with the headers the mirror needs, in any order, some probes, some SDP.
fn request() -> impl Strategy<Value = Vec<u8>> {
    let method = prop_oneof![
        Just("OPTIONS"),
        Just("INVITE"),
        Just("REGISTER"),
        Just("ACK"),
        Just("BYE")
    ];
    let via = "SIP/2.0/UDP [0-9.]{1,15}(:[0-9]{1,5})?(;rport(=[0-9]{1,5})?)?(;received=[0-9.]{1,15})?(;branch=z9hG4bK[a-z0-9]{0,8})?(, SIP/2.0/TCP h)?";
    let name_addr = "(\"[a-z <>,;]{0,8}\" )?<sip:[a-z]{1,5}@[a-z0-9.]{1,15}>(;tag=[a-z0-9]{0,8})?";
    let headers = (
        named("Via", "v", via),
        named("From", "f", name_addr),
        named("To", "t", name_addr),
        named("Call-ID", "i", "[a-z0-9@.-]{1,20}"),
        named("CSeq", "CSeq", "[0-9]{1,3} [A-Z]{3,8}"),
        proptest::option::of(named(
            "X-Sipwall-Probe",
            "x-sipwall-probe",
            prop_oneof![Just(TOKEN.to_owned()), "[0-9a-f]{32}"],
        )),
        proptest::option::of(named(
            "Content-Type",
            "c",
            Just("application/sdp".to_owned()),
        )),
        proptest::collection::vec(header_line(), 0..6),
    )
        .prop_flat_map(|(via, from, to, call_id, cseq, token, ct, extras)| {
            let mut lines = vec![via, from, to, call_id, cseq];
            lines.extend(token);
            lines.extend(ct);
            lines.extend(extras);
            Just(lines).prop_shuffle()
        });
    let sdp_line = prop_oneof![
        "c=IN IP[46] [0-9a-f.:/]{0,20}",
        "o=[a-z]{0,3} 1 2 IN IP[46] [0-9.]{0,15}",
        "m=audio [0-9]{1,5} RTP/AVP 0",
        "[a-z]=[ -~]{0,10}",
    ];
    (
        method,
        headers,
        proptest::collection::vec(sdp_line, 0..8),
        any::<bool>(),
    )
        .prop_map(|(m, headers, sdp, crlf)| {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut s = format!("{m} sip:x@y SIP/2.0{end}");
            for h in headers {
                s.push_str(&h);
                s.push_str(end);
            }
            s.push_str(end);
            for l in sdp {
                s.push_str(&l);
                s.push_str(end);
            }
            s.into_bytes()
        })
}

fn source() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), any::<u16>())
            .prop_map(|(ip, p)| SocketAddr::from((std::net::Ipv4Addr::from(ip), p))),
        (any::<u128>(), any::<u16>())
            .prop_map(|(ip, p)| SocketAddr::from((std::net::Ipv6Addr::from(ip), p))),
    ]
}

fn check_bounds(request: &[u8], source: SocketAddr) -> Result<(), TestCaseError> {
    let mut out = Vec::new();
    for transport in SipTransport::ALL {
        match respond(request, source, transport, valid, &mut out) {
            MirrorOutcome::Forbidden => {
                prop_assert!(out.len() <= request.len());
                let a = SipMessage::parse(&out).expect("403 parses");
                prop_assert_eq!(a.status_code(), Some(403));
            }
            MirrorOutcome::Probe { .. } => {
                prop_assert!(out.len() <= request.len() + PROBE_ANSWER_SLACK);
                let a = SipMessage::parse(&out).expect("200 parses");
                prop_assert_eq!(a.content_length(), Ok(Some(a.body().len())));
            }
            MirrorOutcome::Drop(_) => prop_assert!(out.is_empty()),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_amplify(bytes in proptest::collection::vec(any::<u8>(), 0..1024), src in source()) {
        check_bounds(&bytes, src)?;
    }

    #[test]
    fn sip_like_requests_never_amplify(req in request(), src in source()) {
        check_bounds(&req, src)?;
    }
}
