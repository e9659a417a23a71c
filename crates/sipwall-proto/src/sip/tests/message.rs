//! The message view and stream framing.

use proptest::prelude::*;

use crate::sip::*;

/// A realistic INVITE with an SDP offer, CRLF line ends.
pub(super) const INVITE: &str = "INVITE sip:bob@192.0.2.10:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-74bf9;rport\r\n\
Max-Forwards: 70\r\n\
From: \"Check\" <sip:check@192.168.1.20>;tag=9fxced76sl\r\n\
To: <sip:bob@192.0.2.10>\r\n\
Call-ID: 3848276298220188511@192.168.1.20\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:check@192.168.1.20:5060>\r\n\
X-Sipwall-Probe: 0123456789abcdef0123456789abcdef\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 138\r\n\
\r\n\
v=0\r\n\
o=check 2890844526 2890844526 IN IP4 192.168.1.20\r\n\
s=-\r\n\
c=IN IP4 192.168.1.20\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

fn parse(text: &str) -> SipMessage<'_> {
    SipMessage::parse(text.as_bytes()).expect("parses")
}

fn err(text: &[u8]) -> SipError {
    SipMessage::parse(text).expect_err("fails")
}

fn check_invite(m: &SipMessage<'_>, crlf: bool) {
    assert_eq!(
        *m.start_line(),
        StartLine::Request {
            method: "INVITE",
            uri: "sip:bob@192.0.2.10:5060",
            version: "SIP/2.0"
        }
    );
    assert!(m.is_request());
    assert_eq!(m.method(), Some("INVITE"));
    assert_eq!(m.headers().len(), 10);
    let names: Vec<&str> = m.headers().iter().map(Header::name).collect();
    assert_eq!(
        names,
        [
            "Via",
            "Max-Forwards",
            "From",
            "To",
            "Call-ID",
            "CSeq",
            "Contact",
            "X-Sipwall-Probe",
            "Content-Type",
            "Content-Length"
        ]
    );
    assert_eq!(
        m.header("call-id"),
        Some("3848276298220188511@192.168.1.20")
    );
    assert_eq!(m.header("i"), Some("3848276298220188511@192.168.1.20"));
    assert_eq!(
        m.header("From"),
        Some("\"Check\" <sip:check@192.168.1.20>;tag=9fxced76sl")
    );
    assert_eq!(m.header("Subject"), None);
    let body_len = if crlf { 138 } else { 131 };
    assert_eq!(m.body().len(), body_len);
    assert!(m.body().starts_with(b"v=0"));
    assert_eq!(m.content_length(), Ok(Some(138)));
    // Raw lines and ranges point into the input.
    let bytes = m.as_bytes();
    for h in m.headers() {
        assert_eq!(&bytes[h.range()], h.raw().as_bytes());
        assert!(h.raw().starts_with(h.raw_name()));
    }
    assert_eq!(
        m.headers()[4].raw(),
        "Call-ID: 3848276298220188511@192.168.1.20"
    );
    assert_eq!(m.headers()[4].line(), 6);
}

#[test]
fn invite_with_sdp_crlf() {
    let m = parse(INVITE);
    check_invite(&m, true);
    assert_eq!(m.head_len() + 138, INVITE.len());
}

#[test]
fn invite_with_sdp_lf() {
    let lf = INVITE.replace("\r\n", "\n");
    let m = parse(&lf);
    check_invite(&m, false);
    assert_eq!(m.head_len() + 131, lf.len());
}

#[test]
fn status_line() {
    let m = parse("SIP/2.0 180 Ringing\r\nVia: x\r\n\r\n");
    assert_eq!(
        *m.start_line(),
        StartLine::Status {
            version: "SIP/2.0",
            code: 180,
            reason: "Ringing"
        }
    );
    assert_eq!(m.status_code(), Some(180));
    assert!(!m.is_request());
    let m = parse("SIP/2.0 503 Service Unavailable\r\n\r\n");
    assert!(matches!(
        m.start_line(),
        StartLine::Status {
            reason: "Service Unavailable",
            ..
        }
    ));
    let m = parse("SIP/2.0 200\r\n\r\n");
    assert!(matches!(
        m.start_line(),
        StartLine::Status {
            code: 200,
            reason: "",
            ..
        }
    ));
}

#[test]
fn compact_headers() {
    let text = "OPTIONS sip:a@b SIP/2.0\r\n\
v: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1\r\n\
f: <sip:x@y>;tag=1\r\n\
t: <sip:a@b>\r\n\
i: abc@10.0.0.1\r\n\
m: <sip:x@10.0.0.1>\r\n\
l: 0\r\n\
c: text/plain\r\n\
k: path\r\n\
s: hi\r\n\
e: gzip\r\n\
CSEQ: 1 OPTIONS\r\n\
\r\n";
    let m = parse(text);
    let names: Vec<(&str, &str)> = m
        .headers()
        .iter()
        .map(|h| (h.raw_name(), h.name()))
        .collect();
    assert_eq!(
        names,
        [
            ("v", "Via"),
            ("f", "From"),
            ("t", "To"),
            ("i", "Call-ID"),
            ("m", "Contact"),
            ("l", "Content-Length"),
            ("c", "Content-Type"),
            ("k", "Supported"),
            ("s", "Subject"),
            ("e", "Content-Encoding"),
            ("CSEQ", "CSeq"),
        ]
    );
    assert_eq!(
        m.header("Via"),
        Some("SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1")
    );
    assert_eq!(
        m.header("VIA"),
        Some("SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1")
    );
    assert_eq!(m.header("content-length"), Some("0"));
    assert_eq!(m.header("l"), Some("0"));
    assert_eq!(m.content_length(), Ok(Some(0)));
    assert_eq!(m.header("cseq"), Some("1 OPTIONS"));
    assert_eq!(canonical_header_name("I"), Some("Call-ID"));
    assert_eq!(canonical_header_name("x-other"), None);
}

#[test]
fn folded_header() {
    let text = concat!(
        "OPTIONS sip:a@b SIP/2.0\r\n",
        "Subject: I know you're there,\r\n",
        "   pick up the phone\r\n",
        "\tand talk to me!\r\n",
        "To:\r\n <sip:a@b>\r\n",
        "Via: x\r\n",
        "\r\n",
    );
    let m = parse(text);
    assert_eq!(m.headers().len(), 3);
    let subject = &m.headers()[0];
    assert_eq!(
        subject.value(),
        "I know you're there, pick up the phone and talk to me!"
    );
    assert_eq!(subject.borrowed_value(), None);
    assert_eq!(
        subject.raw(),
        "Subject: I know you're there,\r\n   pick up the phone\r\n\tand talk to me!"
    );
    assert_eq!(&text.as_bytes()[subject.range()], subject.raw().as_bytes());
    // A single non-empty part stays borrowed.
    assert_eq!(m.headers()[1].borrowed_value(), Some("<sip:a@b>"));
    assert_eq!(m.headers()[2].line(), 7);
}

#[test]
fn two_vias_in_one_line_and_in_two() {
    let one = parse(
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP a:5060;branch=z9hG4bK1, SIP/2.0/UDP b;received=\"x,y\"\r\n\r\n",
    );
    assert_eq!(one.headers_named("Via").count(), 1);
    let vias: Vec<&str> = one.via_values().collect();
    assert_eq!(
        vias,
        [
            "SIP/2.0/UDP a:5060;branch=z9hG4bK1",
            "SIP/2.0/UDP b;received=\"x,y\""
        ]
    );
    let two = parse(
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP a:5060;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nv: SIP/2.0/UDP b\r\n\r\n",
    );
    assert_eq!(
        two.headers_named("via").collect::<Vec<_>>(),
        ["SIP/2.0/UDP a:5060;branch=z9hG4bK1", "SIP/2.0/UDP b"]
    );
    assert_eq!(two.via_values().count(), 2);
    let split: Vec<&str> = split_top_level_commas("\"a, b\" <sip:x,y@z>, c ,, d").collect();
    assert_eq!(split, ["\"a, b\" <sip:x,y@z>", "c", "d"]);
}

#[test]
fn ipv6_via() {
    let m = parse(
        "REGISTER sip:[2001:db8::10] SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK9;rport\r\n\r\n",
    );
    assert_eq!(
        m.via_values().collect::<Vec<_>>(),
        ["SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK9;rport"]
    );
    assert_eq!(m.method(), Some("REGISTER"));
}

#[test]
fn lenient_bits() {
    // Leading CRLFs are skipped (RFC 3261 §7.5), space before the colon, body kept as is.
    let m = parse("\r\n\r\nMESSAGE sip:a@b SIP/2.0\r\nVia : x\r\nX-Custom:y\r\n\r\nbody");
    assert_eq!(m.header("via"), Some("x"));
    assert_eq!(m.headers()[0].raw_name(), "Via");
    assert_eq!(m.headers()[0].line(), 4);
    assert_eq!(m.header("x-custom"), Some("y"));
    // The body may be anything, including non-UTF-8.
    let mut bytes = b"INFO sip:a@b SIP/2.0\nl: 2\n\n".to_vec();
    bytes.extend_from_slice(&[0xff, 0x00]);
    let m = SipMessage::parse(&bytes).unwrap();
    assert_eq!(m.body(), [0xff, 0x00]);
    assert_eq!(m.content_length(), Ok(Some(2)));
}

#[test]
fn errors() {
    assert_eq!(err(b""), SipError::Empty);
    assert_eq!(err(b"\r\n\r\n"), SipError::Empty);
    assert_eq!(
        err(b"OPTIONS sip:a@b SIP/2.0\r\nSubject: caf\xe9\r\n\r\n"),
        SipError::NotUtf8 { line: 2 }
    );
    assert_eq!(err(b"HELLO\r\n\r\n"), SipError::BadStartLine { line: 1 });
    assert_eq!(
        err(b"OPTIONS sip:a@b SIP/3.0\r\n\r\n"),
        SipError::BadStartLine { line: 1 }
    );
    assert_eq!(
        err(b"OPTIONS sip:a@b SIP/2.0 x\r\n\r\n"),
        SipError::BadStartLine { line: 1 }
    );
    assert_eq!(
        err(b"SIP/2.0 99 Low\r\n\r\n"),
        SipError::BadStartLine { line: 1 }
    );
    assert_eq!(
        err(b"SIP/2.0 abc\r\n\r\n"),
        SipError::BadStartLine { line: 1 }
    );
    assert_eq!(
        err(b"\r\nGET / HTTP/1.1\r\n\r\n"),
        SipError::BadStartLine { line: 2 }
    );
    assert_eq!(
        err(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\nno colon here\r\n\r\n"),
        SipError::MissingColon { line: 3 }
    );
    assert_eq!(
        err(b"OPTIONS sip:a@b SIP/2.0\r\n: x\r\n\r\n"),
        SipError::BadHeaderName { line: 2 }
    );
    assert_eq!(
        err(b"OPTIONS sip:a@b SIP/2.0\r\nbad name: x\r\n\r\n"),
        SipError::BadHeaderName { line: 2 }
    );
    assert_eq!(
        err(b"OPTIONS sip:a@b SIP/2.0\r\n  folded: x\r\n\r\n"),
        SipError::OrphanContinuation { line: 2 }
    );
    let mut big = b"OPTIONS sip:a@b SIP/2.0\r\n\r\n".to_vec();
    big.resize(MAX_MESSAGE + 1, b'x');
    assert_eq!(err(&big), SipError::TooLarge);
    let mut many = String::from("OPTIONS sip:a@b SIP/2.0\r\n");
    for i in 0..MAX_HEADERS {
        many.push_str(&format!("X-{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    assert_eq!(parse(&many).headers().len(), MAX_HEADERS);
    many.insert_str(many.len() - 2, "X-One-More: 1\r\n");
    assert_eq!(err(many.as_bytes()), SipError::TooManyHeaders);
    assert_eq!(
        err(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n"),
        SipError::UnterminatedHead
    );
    assert_eq!(err(b"OPTIONS sip:a@b SIP/2.0"), SipError::UnterminatedHead);
    // Content-Length errors surface from content_length().
    for bad in [
        "l: +5",
        "l: 5 5",
        "l:",
        "l: 99999999999999999999999",
        "l: 1\r\nl: 2",
    ] {
        let text = format!("OPTIONS sip:a@b SIP/2.0\r\n{bad}\r\n\r\n");
        assert!(
            matches!(
                parse(&text).content_length(),
                Err(SipError::BadContentLength { .. })
            ),
            "{bad}"
        );
    }
    assert_eq!(
        parse("OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\n").content_length(),
        Ok(Some(1))
    );
    // Every error has a human message.
    assert_eq!(
        SipError::MissingColon { line: 3 }.to_string(),
        "line 3: header line without a colon"
    );
}

fn frames(mut buffer: &[u8]) -> Vec<StreamFrame> {
    let mut out = Vec::new();
    loop {
        let f = stream_message_len(buffer);
        out.push(f);
        match f {
            StreamFrame::Keepalive(n) | StreamFrame::Complete(n) => buffer = &buffer[n..],
            StreamFrame::NeedMore | StreamFrame::Invalid(_) => return out,
        }
    }
}

#[test]
fn stream_framing() {
    use StreamFrame::*;
    let msg = INVITE.as_bytes();
    assert_eq!(stream_message_len(msg), Complete(msg.len()));
    assert_eq!(stream_message_len(&msg[..msg.len() - 1]), NeedMore);
    assert_eq!(stream_message_len(&msg[..100]), NeedMore);
    let mut two = msg.to_vec();
    two.extend_from_slice(b"\r\n\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n");
    assert_eq!(
        frames(&two),
        [
            Complete(msg.len()),
            Keepalive(4),
            Keepalive(2),
            Complete(35),
            NeedMore
        ]
    );
    // Keepalives: a ping is reported whole; a lone line end waits for the next byte.
    assert_eq!(stream_message_len(b"\r\n\r\n"), Keepalive(4));
    assert_eq!(stream_message_len(b"\n\n"), Keepalive(2));
    assert_eq!(stream_message_len(b"\r\n"), NeedMore);
    assert_eq!(stream_message_len(b"\r"), NeedMore);
    assert_eq!(stream_message_len(b"\r\nO"), Keepalive(2));
    assert_eq!(stream_message_len(b""), NeedMore);
    // Missing Content-Length on a stream means no body.
    assert_eq!(
        stream_message_len(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\nextra"),
        Complete(35)
    );
    // Invalid streams.
    assert_eq!(
        stream_message_len(b"\rX"),
        Invalid(SipError::BadStartLine { line: 1 })
    );
    assert_eq!(
        stream_message_len(b"OPTIONS sip:a@b SIP/2.0\r\nl: x\r\n\r\n"),
        Invalid(SipError::BadContentLength { line: 2 })
    );
    assert_eq!(
        stream_message_len(b"OPTIONS sip:a@b SIP/2.0\r\nl: 20000\r\n\r\n"),
        Invalid(SipError::TooLarge)
    );
    assert_eq!(
        stream_message_len(b"GET / HTTP/1.1\r\n\r\n"),
        Invalid(SipError::BadStartLine { line: 1 })
    );
    let endless = vec![b'a'; MAX_MESSAGE];
    assert_eq!(stream_message_len(&endless), Invalid(SipError::TooLarge));
    assert_eq!(stream_message_len(&endless[..MAX_MESSAGE - 1]), NeedMore);
}

/// Two messages and keepalives, as a client might send them.
fn stream_fixture(body: &[u8], pings: usize, leading: usize) -> Vec<u8> {
    let mut s = b"\r\n".repeat(leading);
    s.extend_from_slice(
        format!(
            "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    s.extend_from_slice(body);
    s.extend_from_slice(&b"\r\n\r\n".repeat(pings));
    s.extend_from_slice(b"OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h\nContent-Length: 3\n\nabc");
    s.extend_from_slice(b"\r\n\r\n");
    s
}

/// Feeds `chunks` one by one into a reassembly buffer, like a TCP driver.
fn reassemble(stream: &[u8], cuts: &[usize]) -> Vec<StreamFrame> {
    let mut frames = Vec::new();
    let mut buffer = Vec::new();
    let mut at = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.push(stream.len());
    points.sort_unstable();
    for p in points {
        buffer.extend_from_slice(&stream[at..p]);
        at = p;
        loop {
            match stream_message_len(&buffer) {
                StreamFrame::NeedMore => break,
                f @ (StreamFrame::Keepalive(n) | StreamFrame::Complete(n)) => {
                    frames.push(f);
                    buffer.drain(..n);
                }
                f @ StreamFrame::Invalid(_) => {
                    frames.push(f);
                    return frames;
                }
            }
        }
    }
    frames
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(m) = SipMessage::parse(&bytes) {
            for h in m.headers() {
                prop_assert_eq!(&bytes[h.range()], h.raw().as_bytes());
            }
            let _ = m.content_length();
            let _ = m.via_values().count();
        }
        let _ = stream_message_len(&bytes);
    }

    #[test]
    fn sip_like_bytes_never_panic(
        lines in proptest::collection::vec("[ \t:;,<>\"\\\\a-zA-Z0-9/.@=-]{0,30}", 0..12),
        crlf in any::<bool>(),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let text = format!("INVITE sip:a@b SIP/2.0{end}{}{end}{end}", lines.join(end));
        if let Ok(m) = SipMessage::parse(text.as_bytes()) {
            let _ = m.via_values().count();
            let _ = m.content_length();
        }
        let _ = stream_message_len(text.as_bytes());
    }

    #[test]
    fn stream_splits_reassemble_the_same_frames(
        body in proptest::collection::vec(any::<u8>(), 0..64),
        pings in 0usize..3,
        leading in 0usize..3,
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let stream = stream_fixture(&body, pings, leading);
        let whole = reassemble(&stream, &[]);
        prop_assert_eq!(whole.iter().filter(|f| matches!(f, StreamFrame::Complete(_))).count(), 2);
        prop_assert!(!whole.iter().any(|f| matches!(f, StreamFrame::Invalid(_))));
        let total: usize = whole.iter().map(|f| match f {
            StreamFrame::Keepalive(n) | StreamFrame::Complete(n) => *n,
            _ => 0,
        }).sum();
        prop_assert_eq!(total, stream.len());
        prop_assert_eq!(reassemble(&stream, &cuts), whole);
    }
}
