//! `sipwall serve` end to end: the control channel (docs/protocol.md), the SIP mirror over
//! UDP/TCP/TLS, the port matrix, the RTP echo, inbound tests, the metrics endpoint and a flood
//! during a real session. Real processes and sockets on loopback (127.0.0.1 and 127.0.0.2),
//! real peers (sipp, openssl s_client, tshark).
//!
//! Every test starts its own server on its own ports: 20-port blocks from 36000 (block k =
//! 36000 + 20 k; primary +0, alternate +1, SIP +2/+3, TLS +4, control +5, port matrix +6/+7,
//! metrics +8), so the tests run in parallel. Every server stops by itself (`--duration`).

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use sipwall_proto::control::{
    self, Answer, ClientMessage, ErrorCode, Event, InboundOutcome, InboundTransport, MediaStream,
    Request, ServerMessage, ServerSocket, Service, SocketTransport,
};
use sipwall_proto::sip::SipMessage;
use sipwall_proto::stun::{
    BindingResponse, LegacyTransactionId, Seal, TransactionId, binding_request,
    legacy_binding_request,
};
use support::*;

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("a socket address")
}

/// Local port of a socket.
fn port_of(socket: &UdpSocket) -> u16 {
    socket.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------
// 1. The control session

#[test]
fn control_session_end_to_end() {
    let server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36000".into()),
            ("--alternate", "127.0.0.2:36001".into()),
            (
                "--sip",
                "udp:36002,tcp:36002,udp:36003,tcp:36003,tls:36004".into(),
            ),
            ("--control", "127.0.0.1:36005".into()),
            ("--port-matrix", "udp:36006,tcp:36007".into()),
            ("--metrics", "127.0.0.1:36008".into()),
        ]),
        120,
    );
    let mut control = Control::open(addr("127.0.0.1:36005"));
    assert_eq!(
        control.observed.ip().to_string(),
        "127.0.0.1",
        "welcome.observed is the control connection's source"
    );
    assert_eq!(
        control.observed,
        control.local_addr(),
        "welcome.observed is exactly our end of the connection"
    );
    assert!(
        control.token.len() == 32 && control.token.bytes().all(|b| b.is_ascii_hexdigit()),
        "the session token is 32 hex characters: {:?}",
        control.token
    );

    // `ports` lists every configured socket, by name, with the address to send to.
    let (_, answer) = control.ask(Request::Ports {});
    let Answer::Ports { sockets } = answer else {
        panic!("ports answered {answer:?}")
    };
    let socket = |name: &str, service, transport, address: &str| ServerSocket {
        name: name.into(),
        service,
        transport,
        address: addr(address),
        last_port: None,
    };
    use SocketTransport::{Tcp, Tls, Udp};
    let mut expected = vec![
        socket("stun-pp", Service::StunPp, Udp, "127.0.0.1:36000"),
        socket("stun-pa", Service::StunPa, Udp, "127.0.0.1:36001"),
        socket("stun-ap", Service::StunAp, Udp, "127.0.0.2:36000"),
        socket("stun-aa", Service::StunAa, Udp, "127.0.0.2:36001"),
        socket("stun-tcp", Service::StunPp, Tcp, "127.0.0.1:36000"),
        socket("sip-udp-36002", Service::SipMirror, Udp, "127.0.0.1:36002"),
        socket("sip-tcp-36002", Service::SipMirror, Tcp, "127.0.0.1:36002"),
        socket("sip-udp-36003", Service::SipMirror, Udp, "127.0.0.1:36003"),
        socket("sip-tcp-36003", Service::SipMirror, Tcp, "127.0.0.1:36003"),
        socket("sip-tls-36004", Service::SipMirror, Tls, "127.0.0.1:36004"),
        socket("port-udp-36006", Service::PortProbe, Udp, "127.0.0.1:36006"),
        socket("port-tcp-36007", Service::PortProbe, Tcp, "127.0.0.1:36007"),
        socket("control", Service::Control, Tcp, "127.0.0.1:36005"),
    ];
    let mut listed = sockets.clone();
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(listed, expected, "ports answer");
    // The log names the same sockets at the same addresses.
    for s in &sockets {
        assert_eq!(server.address(&s.name), s.address, "log line of {}", s.name);
    }

    // Two callbacks at once: three datagrams from stun-pp, one from the SIP UDP socket.
    let client = udp_on("127.0.0.1");
    let requested = Instant::now();
    let stun_id = control.request(Request::Callback {
        socket: "stun-pp".into(),
        port: port_of(&client),
        delay_ms: 300,
        count: 3,
        every_ms: 100,
        nonce: "e2e-stun".into(),
    });
    let sip_id = control.request(Request::Callback {
        socket: "sip-udp-36002".into(),
        port: port_of(&client),
        delay_ms: 300,
        count: 1,
        every_ms: 0,
        nonce: "e2e-sip".into(),
    });
    for id in [stun_id, sip_id] {
        assert_eq!(
            control.reply(id, PATIENCE),
            Ok(Answer::CallbackScheduled),
            "callback {id}"
        );
    }
    let mut arrivals = Vec::new();
    while arrivals.len() < 4 {
        let (payload, from) = recv_within(&client, PATIENCE).unwrap_or_else(|| {
            panic!(
                "only {} of 4 callback datagrams arrived: {arrivals:?}",
                arrivals.len()
            )
        });
        arrivals.push((
            requested.elapsed(),
            String::from_utf8(payload).unwrap(),
            from,
        ));
    }
    // The timer starts when the server reads the request, after we sent it: a datagram can
    // never arrive before the delay. 5 ms covers timer granularity and clock reads.
    let slack = Duration::from_millis(5);
    for sequence in 1..=3u32 {
        let payload = format!("SIPWALL-CALLBACK 1 e2e-stun {sequence}\n");
        let (at, _, from) = arrivals
            .iter()
            .find(|(_, p, _)| *p == payload)
            .unwrap_or_else(|| panic!("no {payload:?} among {arrivals:?}"));
        assert_eq!(*from, addr("127.0.0.1:36000"), "stun-pp callback source");
        let due = Duration::from_millis(300 + 100 * u64::from(sequence - 1));
        assert!(
            *at + slack >= due,
            "callback {sequence} arrived after {at:?}, before its time {due:?}"
        );
    }
    let (at, _, from) = arrivals
        .iter()
        .find(|(_, p, _)| p == "SIPWALL-CALLBACK 1 e2e-sip 1\n")
        .unwrap_or_else(|| panic!("no SIP callback among {arrivals:?}"));
    assert_eq!(*from, addr("127.0.0.1:36002"), "SIP UDP callback source");
    assert!(*at + slack >= Duration::from_millis(300), "early: {at:?}");
    assert_eq!(
        control::callback_payload("e2e-sip", 1),
        b"SIPWALL-CALLBACK 1 e2e-sip 1\n"
    );

    // One callback_sent event per datagram, sequence from 1, every_ms apart.
    let mut sent_at = Vec::new();
    for sequence in 1..=3 {
        match control.event(stun_id, PATIENCE).0 {
            Event::CallbackSent { sequence: s, at_ms } => {
                assert_eq!(s, sequence, "callback_sent sequence");
                sent_at.push(at_ms);
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert!(sent_at[0] >= 295, "first callback_sent at {sent_at:?}");
    for pair in sent_at.windows(2) {
        assert!(
            pair[1] >= pair[0] + 95,
            "callbacks every 100 ms: at_ms {sent_at:?}"
        );
    }
    match control.event(sip_id, PATIENCE).0 {
        Event::CallbackSent { sequence, at_ms } => {
            assert_eq!(sequence, 1);
            assert!(at_ms >= 295, "SIP callback_sent at {at_ms}");
        }
        other => panic!("unexpected event {other:?}"),
    }
    assert!(
        drain_now(&client).is_empty(),
        "no datagrams beyond the four planned"
    );

    let rtt = control.ping(PATIENCE);
    assert!(rtt < PATIENCE);
    control.send(&ClientMessage::Bye);
    assert!(
        control.closed_within(PATIENCE),
        "the server closes the connection after bye"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. SIP probes over UDP, TCP and TLS

/// What the mirror must have answered to `request` from `source` over `transport`; returns
/// the source port the mirror reported (the only way to learn it over openssl).
fn check_mirror_answer(
    request: &[u8],
    response: &[u8],
    transport: &str,
    source_port: Option<u16>,
) -> u16 {
    let req = SipMessage::parse(request).expect("our request parses");
    let call_id = req.header("Call-ID").unwrap();
    let what = format!("{transport} {} {call_id}", req.method().unwrap());
    let text = String::from_utf8_lossy(response);
    let res = SipMessage::parse(response).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    assert_eq!(res.status_code(), Some(200), "{what}: {text}");
    assert!(
        response.starts_with(b"SIP/2.0 200 OK\r\n"),
        "{what}: {text}"
    );

    // Top Via: received=<source ip>, rport=<source port> (RFC 3261 18.2.1, RFC 3581).
    let via = res.via_values().next().expect("a Via");
    let prefix = format!("SIP/2.0/{transport} {PRIVATE_IP}:5060;branch=z9hG4bK-{call_id}");
    assert!(via.starts_with(&prefix), "{what}: Via {via:?}");
    assert!(via.contains(";received=127.0.0.1"), "{what}: Via {via:?}");
    let rport: u16 = via
        .split(';')
        .find_map(|p| p.strip_prefix("rport="))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no rport=<port> in Via {via:?}"));
    if let Some(port) = source_port {
        assert_eq!(rport, port, "{what}: rport is the client's source port");
    }
    let lower = transport.to_ascii_lowercase();
    assert_eq!(
        res.header("Contact"),
        Some(format!("<sip:mirror@127.0.0.1:{rport};transport={lower}>").as_str()),
        "{what}: Contact"
    );
    assert_eq!(
        res.header("X-Sipwall-Observed"),
        Some(format!("{transport} 127.0.0.1:{rport}").as_str()),
        "{what}: X-Sipwall-Observed"
    );
    assert_eq!(res.header("Call-ID"), Some(call_id), "{what}: Call-ID");
    assert_eq!(res.header("CSeq"), req.header("CSeq"), "{what}: CSeq");

    let length = res.content_length().unwrap().expect("a Content-Length");
    assert_eq!(length, res.body().len(), "{what}: Content-Length");
    if req.method() == Some("INVITE") {
        let offer = std::str::from_utf8(req.body()).unwrap();
        let body = std::str::from_utf8(res.body()).expect("UTF-8 SDP");
        assert_eq!(res.header("Content-Type"), Some("application/sdp"));
        assert!(
            body.contains("\r\nc=IN IP4 127.0.0.1\r\n")
                && body.contains("\r\no=check 4242 1 IN IP4 127.0.0.1\r\n"),
            "{what}: c= and o= carry the public address: {body}"
        );
        assert!(
            body.contains("\r\nm=audio 40000 RTP/AVP 0 8 101\r\n"),
            "{what}: m= unchanged: {body}"
        );
        assert!(!body.contains(PRIVATE_IP), "{what}: {body}");
        assert_eq!(body, mirrored_sdp(offer, "127.0.0.1"), "{what}: SDP");
    } else {
        assert!(res.body().is_empty(), "{what}: no body");
    }
    rport
}

/// The single mirror record of `call_id`, checked byte for byte against both directions.
fn check_mirror_record(
    control: &mut Control,
    call_id: &str,
    request: &[u8],
    response: &[u8],
    transport: SocketTransport,
    server_port: u16,
    source_port: u16,
) {
    let records = control.mirror(call_id);
    assert_eq!(records.len(), 1, "one record for {call_id}: {records:?}");
    let record = &records[0];
    assert_eq!(record.transport, transport, "{call_id}: transport");
    assert_eq!(record.server_port, server_port, "{call_id}: server_port");
    assert_eq!(
        record.source,
        SocketAddr::from(([127, 0, 0, 1], source_port)),
        "{call_id}: source"
    );
    assert!(
        base64_decode(&record.received) == request,
        "{call_id}: `received` is not byte-identical to what was sent:\n{}",
        String::from_utf8_lossy(&base64_decode(&record.received))
    );
    assert!(
        base64_decode(&record.sent) == response,
        "{call_id}: `sent` is not byte-identical to what arrived:\n{}",
        String::from_utf8_lossy(&base64_decode(&record.sent))
    );
}

/// One request over TLS through `openssl s_client`; returns the answer it printed.
fn over_openssl(server: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &server.to_string()])
        // -quiet: no certificate dump on stdout; -ign_eof: keep the connection after stdin
        // ends; -nocommands: a line starting with Q or R is data, not quit/renegotiate.
        .args(["-quiet", "-ign_eof", "-nocommands"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("openssl must be installed (scripts/install-deps): {e}"));
    child.stdin.take().unwrap().write_all(request).unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    // A blocking read with no timeout of its own: the thread hands the message over, and
    // killing openssl (below) ends the read if nothing comes.
    std::thread::spawn(move || {
        let message = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_sip_message(&mut stdout, Duration::from_secs(3600))
        }));
        let _ = tx.send(message.ok());
    });
    let answer = rx.recv_timeout(PATIENCE).ok().flatten();
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    answer.unwrap_or_else(|| {
        panic!(
            "no SIP answer over TLS from {server}; openssl said: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn sip_probe_over_udp_tcp_and_tls_is_mirrored_and_recorded() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36020".into()),
            ("--sip", "udp:36022,tcp:36022,tls:36024".into()),
            ("--control", "127.0.0.1:36025".into()),
        ]),
        120,
    );
    let mut control = Control::open(addr("127.0.0.1:36025"));
    let token = control.token.clone();
    let sdp = sdp_offer(1300);
    assert!(sdp.len() >= 1300);

    // UDP: one socket, two probes.
    let udp = udp_on("127.0.0.1");
    for (method, body) in [("OPTIONS", None), ("INVITE", Some(sdp.as_str()))] {
        let call_id = format!("e2e-udp-{method}");
        let request = sip_request(method, "UDP", &call_id, Some(&token), body);
        udp.send_to(&request, "127.0.0.1:36022").unwrap();
        let (response, from) =
            recv_within(&udp, PATIENCE).unwrap_or_else(|| panic!("no answer to UDP {method}"));
        assert_eq!(from, addr("127.0.0.1:36022"), "answered from the SIP port");
        check_mirror_answer(&request, &response, "UDP", Some(port_of(&udp)));
        check_mirror_record(
            &mut control,
            &call_id,
            &request,
            &response,
            SocketTransport::Udp,
            36022,
            port_of(&udp),
        );
    }

    // TCP: one connection, two probes in turn.
    let mut tcp = TcpStream::connect_timeout(&addr("127.0.0.1:36022"), PATIENCE).unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let tcp_port = tcp.local_addr().unwrap().port();
    for (method, body) in [("OPTIONS", None), ("INVITE", Some(sdp.as_str()))] {
        let call_id = format!("e2e-tcp-{method}");
        let request = sip_request(method, "TCP", &call_id, Some(&token), body);
        tcp.write_all(&request).unwrap();
        let response = read_sip_message(&mut tcp, PATIENCE);
        check_mirror_answer(&request, &response, "TCP", Some(tcp_port));
        check_mirror_record(
            &mut control,
            &call_id,
            &request,
            &response,
            SocketTransport::Tcp,
            36022,
            tcp_port,
        );
    }

    // TLS: openssl's own client against the self-signed certificate.
    for (method, body) in [("OPTIONS", None), ("INVITE", Some(sdp.as_str()))] {
        let call_id = format!("e2e-tls-{method}");
        let request = sip_request(method, "TLS", &call_id, Some(&token), body);
        let response = over_openssl(addr("127.0.0.1:36024"), &request);
        let source_port = check_mirror_answer(&request, &response, "TLS", None);
        check_mirror_record(
            &mut control,
            &call_id,
            &request,
            &response,
            SocketTransport::Tls,
            36024,
            source_port,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Requests without a session

#[test]
fn unauthenticated_sip_gets_a_small_403_or_nothing() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36040".into()),
            ("--sip", "udp:36042".into()),
            ("--control", "127.0.0.1:36045".into()),
            ("--metrics", "127.0.0.1:36048".into()),
            ("--rate", "10".into()),
            ("--burst", "20".into()),
        ]),
        120,
    );
    let sip = addr("127.0.0.1:36042");
    let client = udp_on("127.0.0.1");

    let forbidden = |request: &[u8], what: &str| {
        client.send_to(request, sip).unwrap();
        let (answer, _) =
            recv_within(&client, PATIENCE).unwrap_or_else(|| panic!("{what}: no 403"));
        let text = String::from_utf8_lossy(&answer).into_owned();
        assert!(
            answer.starts_with(b"SIP/2.0 403 Forbidden\r\n"),
            "{what}: {text}"
        );
        assert!(
            answer.len() <= request.len(),
            "{what}: a 403 of {} bytes to a request of {}",
            answer.len(),
            request.len()
        );
        let parsed = SipMessage::parse(&answer).unwrap();
        let request = SipMessage::parse(request).unwrap();
        assert_eq!(
            parsed.header("Call-ID"),
            request.header("Call-ID"),
            "{what}"
        );
        assert_eq!(
            parsed.header("Via"),
            request.header("Via"),
            "{what}: a 403 reveals nothing (Via unchanged)"
        );
        assert!(!text.contains("X-Sipwall-Observed"), "{what}: {text}");
    };
    forbidden(
        &sip_request("OPTIONS", "UDP", "no-token", None, None),
        "no token",
    );
    forbidden(
        &sip_request(
            "OPTIONS",
            "UDP",
            "wrong-token",
            Some("0123456789abcdef0123456789abcdef"),
            None,
        ),
        "a token of no session",
    );
    forbidden(
        &sip_request(
            "INVITE",
            "UDP",
            "not-a-token",
            Some("NOT-A-TOKEN"),
            Some(&sdp_offer(200)),
        ),
        "a malformed token",
    );

    // Nothing answers these. The server reads its socket in order, so once the sentinel's
    // 403 is back, any answer to them would have arrived before it.
    let silent: Vec<(&str, Vec<u8>)> = vec![
        ("tiny request", b"OPTIONS sip:x SIP/2.0\r\n\r\n".to_vec()),
        (
            // Valid (compact headers), but the 403 would be larger than it.
            "small valid request",
            b"OPTIONS sip:x SIP/2.0\r\nv: SIP/2.0/UDP a\r\nf: a\r\nt: b\r\ni: c\r\nCSeq: 1 OPTIONS\r\n\r\n"
                .to_vec(),
        ),
        (
            "garbage",
            (0..300u32).map(|i| (i * 131 + 7) as u8 | 0x80).collect(),
        ),
        (
            "a response",
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-r\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: response\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
        ),
        ("ACK", sip_request("ACK", "UDP", "ack", None, None)),
    ];
    for (_, datagram) in &silent {
        client.send_to(datagram, sip).unwrap();
    }
    let sentinel = sip_request("OPTIONS", "UDP", "sentinel", None, None);
    client.send_to(&sentinel, sip).unwrap();
    let (first, _) = recv_within(&client, PATIENCE).expect("the sentinel's 403");
    let first = String::from_utf8_lossy(&first);
    assert!(
        first.starts_with("SIP/2.0 403") && first.contains("Call-ID: sentinel\r\n"),
        "something answered one of {:?}: {first}",
        silent.iter().map(|(what, _)| *what).collect::<Vec<_>>()
    );

    // A burst of 1000 from one source (another IP: its own bucket) is cut to the burst plus
    // the rate.
    let flooder = udp_on("127.0.0.3");
    let request = sip_request("OPTIONS", "UDP", "burst", None, None);
    let started = Instant::now();
    for _ in 0..1000 {
        flooder.send_to(&request, sip).unwrap();
    }
    let mut answers = 0u32;
    let mut last = started.elapsed();
    // 500 ms of silence ends the answers (no readiness signal exists for "nothing more").
    while recv_within(&flooder, Duration::from_millis(500)).is_some() {
        answers += 1;
        last = started.elapsed();
    }
    let allowed = 20.0 + 10.0 * last.as_secs_f64();
    assert!(answers >= 20, "the burst passes: {answers} answers");
    assert!(
        f64::from(answers) <= allowed.floor() + 1.0,
        "{answers} answers to a burst of 1000 within {last:?}: at most {allowed:.1} allowed"
    );

    let (_, body) = fetch_metrics(addr("127.0.0.1:36048"));
    let received = metric(&body, "sipwall_sip_received_total");
    let rate_limited = metric(&body, "sipwall_sip_rate_limited_total");
    let sent = 3 + silent.len() as u64 + 1 + 1000;
    assert_eq!(
        metric(&body, "sipwall_sip_forbidden_total"),
        4 + u64::from(answers),
        "403s counted"
    );
    assert_eq!(
        metric(&body, "sipwall_sip_dropped_total"),
        5,
        "drops counted"
    );
    assert_eq!(metric(&body, "sipwall_sip_probes_answered_total"), 0);
    assert_eq!(
        received,
        4 + u64::from(answers) + 5,
        "every datagram past the rate limit was answered or dropped"
    );
    assert!(
        rate_limited > 0 && received + rate_limited <= sent,
        "received {received} + rate-limited {rate_limited} <= sent {sent}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. sipp

#[test]
fn sipp_options_gets_the_mirror_reply_over_udp_and_tcp() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36060".into()),
            ("--sip", "udp:36062,tcp:36062".into()),
            ("--control", "127.0.0.1:36065".into()),
        ]),
        120,
    );
    let mut control = Control::open(addr("127.0.0.1:36065"));
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sipp/options.xml"
    );
    let workdir = tempfile::tempdir().unwrap();
    for (transport, local_port, record_transport) in [
        ("u1", 36070, SocketTransport::Udp),
        ("t1", 36071, SocketTransport::Tcp),
    ] {
        // A Call-ID we can ask the mirror about: sipp's %u is the call number (1).
        let cid = format!("sipwall-sipp-{transport}-%u@%s");
        let output = run_with_timeout(
            Command::new("sipp")
                .current_dir(workdir.path())
                .arg("127.0.0.1:36062")
                .args(["-sf", scenario])
                .args(["-key", "token", &control.token])
                .args(["-i", "127.0.0.1", "-p", &local_port.to_string()])
                .args(["-t", transport, "-cid_str", &cid])
                .args(["-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin"]),
            Duration::from_secs(60),
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "sipp -t {transport} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // The server recorded sipp's probe (retransmissions over UDP make more than one).
        let records = control.mirror(&format!("sipwall-sipp-{transport}-1@127.0.0.1"));
        assert!(!records.is_empty(), "sipp -t {transport}: no mirror record");
        for record in records {
            assert_eq!(record.transport, record_transport);
            assert_eq!(record.server_port, 36062);
            assert!(base64_decode(&record.received).starts_with(b"OPTIONS sip:mirror@"));
            assert!(base64_decode(&record.sent).starts_with(b"SIP/2.0 200 OK\r\n"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. tshark

/// Runs tshark on a capture file with the test's decode-as rules; returns one line per frame.
fn tshark_frames(file: &std::path::Path, decode_as: &[String], filter: &str) -> Vec<String> {
    let mut command = Command::new("tshark");
    command.arg("-r").arg(file);
    for rule in decode_as {
        command.args(["-d", rule]);
    }
    // The canaries only mark when the capture runs; they are not part of the test traffic.
    let filter = format!("({filter}) && !(udp.port == {CANARY_PORT})");
    command.args([
        "-Y",
        &filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "_ws.col.Info",
    ]);
    let output = run_with_timeout(&mut command, Duration::from_secs(60));
    assert!(
        output.status.success(),
        "tshark -Y {filter:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A port nothing listens on: datagrams to it mark points in the capture.
const CANARY_PORT: u16 = 36099;

/// `tshark -i lo` writing a capture file and printing each frame as it goes (`-P -l`), so the
/// test can tell when the capture is live and when it has caught up.
struct Capture {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
    canary: UdpSocket,
}

impl Capture {
    fn start(bpf: &str, file: &std::path::Path) -> Capture {
        let mut child = Command::new("tshark")
            .args(["-i", "lo", "-f", bpf, "-P", "-l", "-w"])
            .arg(file)
            // Stops by itself at the latest after two minutes.
            .args(["-a", "duration:120"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("tshark must be installed (scripts/install-deps): {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in
                std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Capture {
            child,
            lines,
            stderr,
            canary: udp_on("127.0.0.1"),
        }
    }

    /// Sends `word` to the canary port until tshark prints it (at most 30 s).
    fn canary(&mut self, word: &str) {
        let payload = format!("sipwall-canary-{word}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let target = format!(" {CANARY_PORT} ");
        loop {
            assert!(
                Instant::now() < deadline,
                "tshark never showed the {word} canary"
            );
            self.canary
                .send_to(payload.as_bytes(), ("127.0.0.1", CANARY_PORT))
                .unwrap();
            let resend = Instant::now() + Duration::from_millis(200);
            while let Ok(line) = self
                .lines
                .recv_timeout(resend.saturating_duration_since(Instant::now()))
            {
                // e.g. "7 0.01 127.0.0.1 → 127.0.0.1 UDP 62 41994 → 36099 Len=20"
                if line.contains(&target) && line.contains(&format!("Len={}", payload.len())) {
                    return;
                }
            }
        }
    }

    /// Stops tshark (SIGINT: it closes the file properly); returns what it said on stderr.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("tshark did not stop on SIGINT");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stderr.join().unwrap()
    }
}

#[test]
fn tshark_decodes_stun_sip_and_rtp_without_malformed_frames() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36080".into()),
            ("--sip", "udp:36082".into()),
            ("--control", "127.0.0.1:36085".into()),
        ]),
        120,
    );
    let mut control = Control::open(addr("127.0.0.1:36085"));
    let (media_id, answer) = control.ask(Request::Media {
        streams: 1,
        duration_ms: 60_000,
        clock_rate: 8000,
    });
    let Answer::MediaReady { ports } = answer else {
        panic!("media answered {answer:?}")
    };
    let media = ports[0];

    // What we will send; every request gets exactly one answer, every RTP packet one echo.
    const STUN: usize = 10;
    const LEGACY_STUN: usize = 2;
    const SIP_PROBES: usize = 2;
    const SIP_FORBIDDEN: usize = 3;
    const RTP: usize = 50;
    let frames = 2 * (STUN + LEGACY_STUN + SIP_PROBES + SIP_FORBIDDEN + RTP);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serve.pcapng");
    let bpf =
        format!("udp port 36080 or udp port 36082 or udp port {media} or udp port {CANARY_PORT}");
    let mut capture = Capture::start(&bpf, &file);
    capture.canary("start");
    // STUN: RFC 8489 binding requests (some with FINGERPRINT) and classic RFC 3489 ones.
    let client = udp_on("127.0.0.1");
    for i in 0..STUN {
        let mut request = Vec::new();
        let seal = if i % 2 == 0 {
            Seal::NONE
        } else {
            Seal::FINGERPRINT
        };
        binding_request(TransactionId([i as u8 + 1; 12]), &[], seal, &mut request).unwrap();
        client.send_to(&request, "127.0.0.1:36080").unwrap();
        let (reply, _) = recv_within(&client, PATIENCE).expect("a STUN answer");
        let response = BindingResponse::parse(&reply).expect("a STUN response");
        assert!(response.success);
    }
    for i in 0..LEGACY_STUN {
        let mut request = Vec::new();
        legacy_binding_request(LegacyTransactionId([0x40 + i as u8; 16]), &[], &mut request)
            .unwrap();
        client.send_to(&request, "127.0.0.1:36080").unwrap();
        recv_within(&client, PATIENCE).expect("an RFC 3489 answer");
    }

    // SIP: two probes of the session (one INVITE with SDP) and three 403s.
    let sdp = sdp_offer(600);
    let requests = [
        sip_request("OPTIONS", "UDP", "pcap-1", Some(&control.token), None),
        sip_request("INVITE", "UDP", "pcap-2", Some(&control.token), Some(&sdp)),
        sip_request("OPTIONS", "UDP", "pcap-3", None, None),
        sip_request("OPTIONS", "UDP", "pcap-4", None, None),
        sip_request("INVITE", "UDP", "pcap-5", None, Some(&sdp)),
    ];
    for request in &requests {
        client.send_to(request, "127.0.0.1:36082").unwrap();
        recv_within(&client, PATIENCE).expect("a SIP answer");
    }

    // RTP to the echo, every packet awaited.
    let rtp = udp_on("127.0.0.1");
    for i in 0..RTP as u16 {
        let packet = rtp_packet(2000 + i, 160 * u32::from(i), 0x5157_0A11);
        rtp.send_to(&packet, ("127.0.0.1", media)).unwrap();
        let (echo, _) = recv_within(&rtp, PATIENCE).expect("an RTP echo");
        assert_eq!(echo, packet);
    }

    // Once tshark has printed the end canary, every frame before it is in the file.
    capture.canary("end");
    let captured = capture.stop();
    let _ = control.ask(Request::MediaStop { media: media_id });

    let decode_as = vec![
        format!("udp.port=={media},rtp"),
        "udp.port==36082,sip".to_owned(),
        "udp.port==36080,stun".to_owned(),
    ];
    let all = tshark_frames(&file, &decode_as, "frame");
    let bad = tshark_frames(
        &file,
        &decode_as,
        "_ws.malformed || _ws.expert.severity == error",
    );
    let stun = tshark_frames(&file, &decode_as, "stun || classicstun");
    let classic = tshark_frames(&file, &decode_as, "classicstun");
    let sip = tshark_frames(&file, &decode_as, "sip");
    let rtp_frames = tshark_frames(&file, &decode_as, "rtp");
    eprintln!(
        "tshark: {} frames captured; stun {} (classicstun {}) sip {} rtp {} malformed/error {}",
        all.len(),
        stun.len(),
        classic.len(),
        sip.len(),
        rtp_frames.len(),
        bad.len()
    );
    assert!(bad.is_empty(), "malformed or error frames: {bad:#?}");
    assert_eq!(
        all.len(),
        frames,
        "frames captured (tshark: {captured}): {all:#?}"
    );
    assert_eq!(
        stun.len(),
        2 * (STUN + LEGACY_STUN),
        "STUN frames: {stun:#?}"
    );
    assert_eq!(
        sip.len(),
        2 * (SIP_PROBES + SIP_FORBIDDEN),
        "SIP frames: {sip:#?}"
    );
    let forbidden = sip.iter().filter(|l| l.contains("403")).count();
    assert_eq!(forbidden, SIP_FORBIDDEN, "403s: {sip:#?}");
    assert_eq!(rtp_frames.len(), 2 * RTP, "RTP frames (packets and echoes)");
}

// ---------------------------------------------------------------------------------------------
// 6. The RTP echo

/// Sends `packets` on `socket` every 10 ms; returns the bytes sent.
fn send_rtp(socket: &UdpSocket, to: SocketAddr, seqs: impl Iterator<Item = u16>) -> Vec<Vec<u8>> {
    let started = Instant::now();
    let mut sent = Vec::new();
    for (i, seq) in seqs.enumerate() {
        // Paced against the clock, not by sleeping a fixed time after each send.
        let due = started + Duration::from_millis(10 * i as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let ts = u32::from(seq.wrapping_sub(1000)) * 160;
        let packet = rtp_packet(seq, ts, 0x1234_5678);
        socket.send_to(&packet, to).unwrap();
        sent.push(packet);
    }
    sent
}

fn media_stats(event: Event) -> Vec<MediaStream> {
    match event {
        Event::MediaStats { streams } => streams,
        other => panic!("expected media_stats, got {other:?}"),
    }
}

#[test]
fn media_echo_reports_loss_and_tos() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36100".into()),
            ("--sip", "none".into()),
            ("--control", "127.0.0.1:36105".into()),
        ]),
        120,
    );
    let mut control = Control::open(addr("127.0.0.1:36105"));
    let (media_id, answer) = control.ask(Request::Media {
        streams: 1,
        duration_ms: 2000,
        clock_rate: 8000,
    });
    let requested = Instant::now();
    let Answer::MediaReady { ports } = answer else {
        panic!("media answered {answer:?}")
    };
    assert_eq!(ports.len(), 1);
    let media = SocketAddr::from(([127, 0, 0, 1], ports[0]));

    let socket = udp_on("127.0.0.1");
    set_tos(&socket, 0xB8); // EF
    let receiver = socket.try_clone().unwrap();
    // Echoes are collected while sending (the socket buffer need not hold them all).
    let echoes = std::thread::spawn(move || {
        let mut echoes = Vec::new();
        while let Some((echo, from)) = recv_within(&receiver, Duration::from_millis(1500)) {
            assert_eq!(from, media, "echo from the media port");
            echoes.push(echo);
        }
        echoes
    });
    // A packet from another IP than the session's, halfway: ignored and counted.
    let foreign = udp_on("127.0.0.2");
    let first_half = send_rtp(&socket, media, 1000..1010);
    foreign
        .send_to(&rtp_packet(1010, 1600, 0x1234_5678), media)
        .unwrap();
    // 1010-1014 are lost on the way.
    let second_half = send_rtp(&socket, media, 1015..1100);
    let sent: Vec<Vec<u8>> = first_half.into_iter().chain(second_half).collect();
    assert_eq!(sent.len(), 95);
    assert!(
        requested.elapsed() < Duration::from_millis(1900),
        "the machine is too slow to send 1 s of RTP within the 2 s session"
    );

    let echoes = echoes.join().unwrap();
    assert_eq!(echoes.len(), 95, "every packet echoed once");
    assert!(echoes == sent, "echoes are byte-identical and in order");
    assert!(
        drain_now(&foreign).is_empty(),
        "nothing echoed to the foreign source"
    );

    let (event, at) = control.event(media_id, PATIENCE);
    let streams = media_stats(event);
    assert!(
        at.duration_since(requested) >= Duration::from_millis(1900),
        "stats come at the end of the 2 s session"
    );
    assert_eq!(streams.len(), 1);
    let stream = &streams[0];
    let report = &stream.report;
    let context = format!("{stream:#?}");
    assert_eq!(stream.port, media.port(), "{context}");
    assert_eq!(
        stream.source,
        Some(socket.local_addr().unwrap()),
        "{context}"
    );
    assert_eq!(stream.echoed, 95, "{context}");
    assert_eq!(stream.foreign_source, 1, "{context}");
    assert_eq!(report.packets_received, 95, "{context}");
    assert_eq!(report.packets_expected, 100, "{context}");
    assert_eq!(report.packets_lost, 5, "{context}");
    assert!((report.loss_percent - 5.0).abs() < 1e-9, "{context}");
    assert_eq!(report.max_burst_lost, 5, "{context}");
    assert_eq!(report.duplicates, 0, "{context}");
    assert_eq!(report.reordered, 0, "{context}");
    assert_eq!(report.ssrc, Some(0x1234_5678), "{context}");
    assert_eq!(report.payload_type, Some(0), "{context}");
    assert_eq!(report.tos.len(), 1, "{context}");
    assert_eq!(
        (
            report.tos[0].value,
            report.tos[0].dscp,
            report.tos[0].packets
        ),
        (184, 46, 95),
        "TOS EF kept on loopback: {context}"
    );

    // A second session, ended early by media_stop.
    let (second, answer) = control.ask(Request::Media {
        streams: 1,
        duration_ms: 60_000,
        clock_rate: 8000,
    });
    let Answer::MediaReady { ports } = answer else {
        panic!("media answered {answer:?}")
    };
    let media = SocketAddr::from(([127, 0, 0, 1], ports[0]));
    let sent = send_rtp(&socket, media, 1000..1010);
    for packet in &sent {
        let (echo, _) = recv_within(&socket, PATIENCE).expect("an echo");
        assert_eq!(&echo, packet);
    }
    let stopped = Instant::now();
    let (_, answer) = control.ask(Request::MediaStop { media: second });
    assert_eq!(answer, Answer::MediaStopping);
    let (event, at) = control.event(second, PATIENCE);
    assert!(
        at.duration_since(stopped) < Duration::from_secs(5),
        "media_stop ends the 60 s session at once"
    );
    let streams = media_stats(event);
    assert_eq!(streams[0].report.packets_received, 10, "{streams:#?}");
    assert_eq!(streams[0].report.packets_lost, 0, "{streams:#?}");
    assert_eq!(streams[0].echoed, 10, "{streams:#?}");
    // Stopping it again is an error: it is no longer running.
    assert_eq!(
        control.refused(Request::MediaStop { media: second }),
        ErrorCode::BadRequest
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Inbound tests

fn inbound(control: &mut Control, request: Request) -> (u64, SocketAddr) {
    match control.ask(request) {
        (id, Answer::InboundStarted { source }) => (id, source),
        (_, other) => panic!("inbound answered {other:?}"),
    }
}

fn inbound_outcome(control: &mut Control, id: u64) -> InboundOutcome {
    match control.event(id, PATIENCE).0 {
        Event::InboundResult { outcome } => outcome,
        other => panic!("expected inbound_result, got {other:?}"),
    }
}

#[test]
fn inbound_tests_come_from_the_alternate_address() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36120".into()),
            ("--alternate", "127.0.0.2:36121".into()),
            ("--sip", "none".into()),
            ("--control", "127.0.0.1:36125".into()),
        ]),
        120,
    );
    let mut control = Control::open(addr("127.0.0.1:36125"));

    // UDP: three copies from the alternate IP; the outcome is "sent".
    let client = udp_on("127.0.0.1");
    let (id, source) = inbound(
        &mut control,
        Request::Inbound {
            transport: InboundTransport::Udp,
            port: port_of(&client),
            nonce: "in-udp".into(),
            sip_options: false,
        },
    );
    assert_eq!(
        source.ip().to_string(),
        "127.0.0.2",
        "inbound_started.source"
    );
    for copy in 1..=3 {
        let (payload, from) =
            recv_within(&client, PATIENCE).unwrap_or_else(|| panic!("copy {copy} missing"));
        assert_eq!(payload, b"SIPWALL-INBOUND 1 in-udp\n");
        assert_eq!(from, source, "copy {copy} comes from the announced source");
    }
    assert_eq!(inbound_outcome(&mut control, id), InboundOutcome::Sent);

    // UDP with sip_options: we answer the OPTIONS like a PBX would.
    let pbx = udp_on("127.0.0.1");
    let (id, source) = inbound(
        &mut control,
        Request::Inbound {
            transport: InboundTransport::Udp,
            port: port_of(&pbx),
            nonce: "in-sip".into(),
            sip_options: true,
        },
    );
    let options = loop {
        let (payload, from) = recv_within(&pbx, PATIENCE).expect("the inbound OPTIONS");
        assert_eq!(from, source);
        if payload.starts_with(b"OPTIONS ") {
            break payload;
        }
        assert_eq!(payload, b"SIPWALL-INBOUND 1 in-sip\n");
    };
    let options = SipMessage::parse(&options).expect("a SIP OPTIONS");
    let answer = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=pbx\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        options.header("Via").unwrap(),
        options.header("From").unwrap(),
        options.header("To").unwrap(),
        options.header("Call-ID").unwrap(),
        options.header("CSeq").unwrap(),
    );
    pbx.send_to(answer.as_bytes(), source).unwrap();
    assert_eq!(inbound_outcome(&mut control, id), InboundOutcome::Answered);

    // TCP to a listener: connected, and the listener reads the payload.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::thread::spawn(move || {
        let (mut stream, peer) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut payload = Vec::new();
        stream.read_to_end(&mut payload).unwrap();
        (payload, peer)
    });
    let (id, source) = inbound(
        &mut control,
        Request::Inbound {
            transport: InboundTransport::Tcp,
            port,
            nonce: "in-tcp".into(),
            sip_options: false,
        },
    );
    assert_eq!(inbound_outcome(&mut control, id), InboundOutcome::Connected);
    let (payload, peer) = accepted.join().unwrap();
    assert_eq!(payload, b"SIPWALL-INBOUND 1 in-tcp\n");
    assert_eq!(
        peer, source,
        "the connection comes from the announced source"
    );
    assert_eq!(peer.ip().to_string(), "127.0.0.2");

    // TCP to a closed port (in this test's block, nothing listens there): refused.
    let (id, _) = inbound(
        &mut control,
        Request::Inbound {
            transport: InboundTransport::Tcp,
            port: 36139,
            nonce: "in-closed".into(),
            sip_options: false,
        },
    );
    assert_eq!(inbound_outcome(&mut control, id), InboundOutcome::Refused);

    // A server without a second address cannot run inbound tests.
    let _single = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36130".into()),
            ("--sip", "none".into()),
            ("--control", "127.0.0.1:36135".into()),
        ]),
        120,
    );
    let mut control = Control::open(addr("127.0.0.1:36135"));
    assert_eq!(
        control.refused(Request::Inbound {
            transport: InboundTransport::Udp,
            port: port_of(&client),
            nonce: "in-none".into(),
            sip_options: false,
        }),
        ErrorCode::Unavailable
    );
}

// ---------------------------------------------------------------------------------------------
// 8. The port matrix

#[test]
fn port_matrix_answers_only_session_probes() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36140".into()),
            ("--sip", "none".into()),
            ("--control", "127.0.0.1:36145".into()),
            ("--port-matrix", "udp:36146,tcp:36147".into()),
        ]),
        120,
    );
    let control = Control::open(addr("127.0.0.1:36145"));
    let token = control.token.clone();
    let udp_port = addr("127.0.0.1:36146");
    let tcp_port = addr("127.0.0.1:36147");

    // UDP: ignored probes first, then a valid one as the sentinel (answers come in order).
    let client = udp_on("127.0.0.1");
    let unknown = control::port_probe("0123456789abcdef0123456789abcdef", "u-unknown");
    let truncated_token = b"SIPWALL-PORT 1 0123456789abcdef u-short\n".to_vec();
    let garbage = vec![0xAB; 120];
    for probe in [&unknown, &truncated_token, &garbage] {
        client.send_to(probe, udp_port).unwrap();
    }
    let probe = control::port_probe(&token, "u-ok");
    client.send_to(&probe, udp_port).unwrap();
    let (answer, from) = recv_within(&client, PATIENCE).expect("a port-matrix answer");
    assert_eq!(from, udp_port);
    assert_eq!(
        String::from_utf8(answer.clone()).unwrap(),
        format!("SIPWALL-PORT 1 u-ok 127.0.0.1:{}\n", port_of(&client)),
        "the first answer is the valid probe's: nothing answered the others"
    );
    assert!(answer.len() <= probe.len(), "no amplification");

    // A well-formed probe without padding is longer than its IPv4 answer (the token alone
    // is 32 characters), so it is answered; the answer is still no larger than the probe.
    let unpadded = format!("SIPWALL-PORT 1 {token} u-unpadded\n").into_bytes();
    client.send_to(&unpadded, udp_port).unwrap();
    let (answer, _) = recv_within(&client, PATIENCE).expect("an answer to the unpadded probe");
    assert!(answer.starts_with(b"SIPWALL-PORT 1 u-unpadded "));
    assert!(
        answer.len() <= unpadded.len(),
        "{} byte answer to a {} byte probe",
        answer.len(),
        unpadded.len()
    );

    // TCP: one probe per connection; the answer, then the server closes.
    let tcp_probe = |probe: &[u8]| -> (Vec<u8>, u16) {
        let mut stream = TcpStream::connect_timeout(&tcp_port, PATIENCE).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.write_all(probe).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer); // a reset counts as "nothing"
        (answer, stream.local_addr().unwrap().port())
    };
    let probe = control::port_probe(&token, "t-ok");
    let (answer, local) = tcp_probe(&probe);
    assert_eq!(
        String::from_utf8(answer.clone()).unwrap(),
        format!("SIPWALL-PORT 1 t-ok 127.0.0.1:{local}\n")
    );
    assert!(answer.len() <= probe.len());
    for (what, probe) in [
        ("unknown token", &unknown),
        ("truncated token", &truncated_token),
    ] {
        let (answer, _) = tcp_probe(probe);
        assert!(
            answer.is_empty(),
            "{what} over TCP answered {:?}",
            String::from_utf8_lossy(&answer)
        );
    }

    // Once the session ends, its token opens nothing.
    drop(control);
    let probe = control::port_probe(&token, "u-late");
    let deadline = Instant::now() + PATIENCE;
    loop {
        // The server notices the closed connection asynchronously: retry until it has.
        client.send_to(&probe, udp_port).unwrap();
        if recv_within(&client, Duration::from_millis(200)).is_none() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a closed session's probes are still answered"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Control channel limits

fn session_error(message: ServerMessage) -> ErrorCode {
    match message {
        ServerMessage::Error { id: None, code, .. } => code,
        other => panic!("expected a session error, got {other:?}"),
    }
}

#[test]
fn control_channel_limits() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36160".into()),
            ("--sip", "udp:36162".into()),
            ("--control", "127.0.0.1:36165".into()),
            ("--max-sessions-per-ip", "2".into()),
        ]),
        120,
    );
    let control_address = addr("127.0.0.1:36165");

    // Silence after connecting: after 5 s an error with code timeout, then the close. Runs
    // in the background while the rest goes on.
    let silent = std::thread::spawn(move || {
        let (_stream, mut reader) = Control::connect_raw(control_address);
        let connected = Instant::now();
        let mut partial = Vec::new();
        let line = read_line_within(&mut reader, &mut partial, Duration::from_secs(30))
            .expect("an error line");
        let waited = connected.elapsed();
        let message: ServerMessage = control::decode_line(&line).unwrap();
        let closed = read_line_within(&mut reader, &mut partial, PATIENCE);
        (message, waited, closed)
    });

    // hello with version 0: error code version, and the close.
    let (mut stream, mut reader) = Control::connect_raw(control_address);
    stream
        .write_all(br#"{"type":"hello","version":0,"client":"old"}"#)
        .unwrap();
    stream.write_all(b"\n").unwrap();
    let mut partial = Vec::new();
    let line = read_line_within(&mut reader, &mut partial, PATIENCE).expect("an answer");
    assert_eq!(
        session_error(control::decode_line(&line).unwrap()),
        ErrorCode::Version
    );
    assert_eq!(
        read_line_within(&mut reader, &mut partial, PATIENCE),
        Err("closed".into())
    );

    // Request errors in a session.
    let mut a = Control::open(control_address);
    let callback = |socket: &str, count: u32, nonce: &str| Request::Callback {
        socket: socket.into(),
        port: 9,
        // Far in the future: nothing is sent during the test.
        delay_ms: 30 * 60 * 1000,
        count,
        every_ms: 20,
        nonce: nonce.into(),
    };
    assert_eq!(
        a.refused(callback("nope", 1, "n")),
        ErrorCode::UnknownSocket,
        "unknown socket name"
    );
    assert_eq!(
        a.refused(callback("stun-tcp", 1, "n")),
        ErrorCode::UnknownSocket,
        "a TCP socket"
    );
    assert_eq!(
        a.refused(callback("control", 1, "n")),
        ErrorCode::UnknownSocket,
        "the control socket"
    );
    assert_eq!(
        a.refused(callback("stun-pp", 1, "two words")),
        ErrorCode::BadRequest,
        "a nonce with a space"
    );
    assert_eq!(
        a.refused(callback("stun-pp", 1, &"x".repeat(65))),
        ErrorCode::BadRequest,
        "a 65-character nonce"
    );
    assert_eq!(
        a.refused(callback("stun-pp", 513, "n")),
        ErrorCode::Limit,
        "513 datagrams in one request"
    );
    let (_, answer) = a.ask(callback("sip-udp-36162", 512, "all"));
    assert_eq!(answer, Answer::CallbackScheduled, "512 fit");
    assert_eq!(
        a.refused(callback("stun-pp", 1, "one-more")),
        ErrorCode::Limit,
        "the 513th datagram of the session"
    );
    a.ping(PATIENCE);

    // Two sessions per IP: the third gets busy.
    let _b = Control::open(control_address);
    match Control::try_open(control_address) {
        Ok(_) => panic!("a third session from 127.0.0.1 was opened"),
        Err(message) => assert_eq!(session_error(*message), ErrorCode::Busy),
    }

    // A line longer than 64 KiB: bad_request, and the server closes.
    let long = vec![b'x'; 70_000];
    let _ = a.send_raw(&long); // the server may close before reading it all
    let _ = a.send_raw(b"\n");
    let message = a
        .read_message(PATIENCE)
        .unwrap_or_else(|e| panic!("no error for the long line: {e}"));
    assert_eq!(session_error(message), ErrorCode::BadRequest);
    assert!(a.closed_within(PATIENCE), "closed after the long line");

    let (message, waited, closed) = silent.join().unwrap();
    assert_eq!(session_error(message), ErrorCode::Timeout);
    assert!(
        waited >= Duration::from_millis(4900) && waited < Duration::from_secs(15),
        "the hello timeout is 5 s: {waited:?}"
    );
    assert_eq!(closed, Err("closed".into()), "closed after the timeout");
}

/// docs/protocol.md: "a client must ... treat an `error` with code `bad_request` to a new
/// request as 'not supported by this server'", and a line that is not JSON is a
/// `bad_request`: neither is a reason to lose the session.
#[test]
fn bad_lines_after_welcome_are_bad_requests_and_the_session_goes_on() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36220".into()),
            ("--sip", "none".into()),
            ("--control", "127.0.0.1:36225".into()),
        ]),
        120,
    );
    let mut control = Control::open(addr("127.0.0.1:36225"));

    // A line that is not JSON at all.
    control.send_raw(b"{this is not json\n").unwrap();
    match control.next(PATIENCE) {
        ServerMessage::Error {
            code: ErrorCode::BadRequest,
            ..
        } => {}
        other => panic!("expected bad_request, got {other:?}"),
    }
    assert_still_usable(&mut control, "a line that is not JSON");

    // A request this server does not know (a newer client's): bad_request, for that id.
    control
        .send_raw(b"{\"type\":\"request\",\"id\":9,\"request\":\"from_the_future\"}\n")
        .unwrap();
    match control.next(PATIENCE) {
        ServerMessage::Error {
            code: ErrorCode::BadRequest,
            id,
            ..
        } => assert_eq!(
            id,
            Some(9),
            "the error names the request, so the client can tell it is not supported"
        ),
        other => panic!("expected bad_request, got {other:?}"),
    }
    assert_still_usable(&mut control, "an unknown request");
}

fn assert_still_usable(control: &mut Control, after: &str) {
    control.send(&ClientMessage::Ping);
    match control.read_message(PATIENCE) {
        Ok(ServerMessage::Pong) => {}
        other => panic!(
            "the session is not usable after {after}: ping got {other:?} \
             (the server's writer stops after an error without id, control/mod.rs)"
        ),
    }
    let (_, answer) = control.ask(Request::Ports {});
    assert!(matches!(answer, Answer::Ports { .. }), "{answer:?}");
}

// ---------------------------------------------------------------------------------------------
// 10. Metrics

#[test]
fn metrics_endpoint_serves_prometheus_text() {
    let _server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36180".into()),
            ("--sip", "udp:36182".into()),
            ("--control", "127.0.0.1:36185".into()),
            ("--metrics", "127.0.0.1:36188".into()),
        ]),
        120,
    );
    let metrics = addr("127.0.0.1:36188");
    let (status, body) = fetch_metrics(metrics);
    assert!(status.contains(" 200 "), "{status}");
    for name in [
        "sipwall_stun_received_total",
        "sipwall_sip_forbidden_total",
        "sipwall_control_sessions_total",
    ] {
        assert!(
            body.contains(&format!("# TYPE {name} counter\n")),
            "{name} in:\n{body}"
        );
    }
    assert!(
        body.contains("# TYPE sipwall_sessions_open gauge\n"),
        "{body}"
    );
    assert_eq!(metric(&body, "sipwall_stun_received_total"), 0);

    // Traffic, each answer awaited so the counters are final when we read them.
    let client = udp_on("127.0.0.1");
    let mut request = Vec::new();
    binding_request(TransactionId([3; 12]), &[], Seal::NONE, &mut request).unwrap();
    for _ in 0..3 {
        client.send_to(&request, "127.0.0.1:36180").unwrap();
        recv_within(&client, PATIENCE).expect("a STUN answer");
    }
    client.send_to(b"not stun", "127.0.0.1:36180").unwrap();
    let options = sip_request("OPTIONS", "UDP", "metrics", None, None);
    client.send_to(&options, "127.0.0.1:36182").unwrap();
    recv_within(&client, PATIENCE).expect("a 403");
    let control = Control::open(addr("127.0.0.1:36185"));

    // The garbage STUN datagram is counted once its loop has read it: poll for it.
    let deadline = Instant::now() + PATIENCE;
    let body = loop {
        let (_, body) = fetch_metrics(metrics);
        if metric(&body, "sipwall_stun_received_total") >= 4 || Instant::now() > deadline {
            break body;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(metric(&body, "sipwall_stun_received_total"), 4, "{body}");
    assert_eq!(metric(&body, "sipwall_stun_replied_total"), 3, "{body}");
    assert_eq!(metric(&body, "sipwall_stun_dropped_total"), 1, "{body}");
    assert_eq!(metric(&body, "sipwall_sip_received_total"), 1, "{body}");
    assert_eq!(metric(&body, "sipwall_sip_forbidden_total"), 1, "{body}");
    assert_eq!(metric(&body, "sipwall_control_sessions_total"), 1, "{body}");
    assert_eq!(metric(&body, "sipwall_sessions_open"), 1, "{body}");
    assert!(
        metric(&body, "sipwall_metrics_requests_total") >= 2,
        "{body}"
    );
    drop(control);
}

// ---------------------------------------------------------------------------------------------
// 11. A flood during a real session

/// One flooding thread's work: `per_kind` malformed datagrams (alternately to the STUN and
/// the SIP port) and `per_kind` valid unauthenticated ones (alternately a STUN binding request
/// and an untokened SIP OPTIONS). Returns (sent to STUN, sent to SIP).
fn flood(
    source_ip: &str,
    stun: SocketAddr,
    sip: SocketAddr,
    per_kind: u32,
    seed: u64,
) -> (u64, u64) {
    let socket = udp_on(source_ip);
    let mut random = XorShift(seed);
    // Malformed: random bytes, first byte >= 0x80 so it is neither STUN (first two bits 0,
    // RFC 8489 §6) nor SIP (a method or "SIP/2.0" starts with ASCII).
    let garbage: Vec<Vec<u8>> = (0..1024)
        .map(|_| {
            let len = 1 + (random.next() % 200) as usize;
            let mut datagram: Vec<u8> = (0..len).map(|_| random.next() as u8).collect();
            datagram[0] |= 0x80;
            datagram
        })
        .collect();
    let mut binding = Vec::new();
    binding_request(TransactionId([0x5A; 12]), &[], Seal::NONE, &mut binding).unwrap();
    let options = sip_request("OPTIONS", "UDP", &format!("flood-{source_ip}"), None, None);
    let (mut to_stun, mut to_sip) = (0u64, 0u64);
    for i in 0..per_kind as usize {
        let malformed = &garbage[i % garbage.len()];
        let (valid, valid_to) = if i % 2 == 0 {
            (&binding, stun)
        } else {
            (&options, sip)
        };
        let malformed_to = if i % 2 == 0 { sip } else { stun };
        // Loopback sends do not fail when the receiver's buffer is full: the kernel drops.
        if socket.send_to(malformed, malformed_to).is_ok() {
            if malformed_to == stun {
                to_stun += 1;
            } else {
                to_sip += 1;
            }
        }
        if socket.send_to(valid, valid_to).is_ok() {
            if valid_to == stun {
                to_stun += 1;
            } else {
                to_sip += 1;
            }
        }
    }
    (to_stun, to_sip)
}

/// UDP receive-buffer drops of the whole host (/proc/net/snmp), to report kernel losses.
fn udp_rcvbuf_errors() -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp: "));
    let (Some(names), Some(values)) = (udp.next(), udp.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(name, _)| *name == "RcvbufErrors")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

/// One SIP probe over UDP, retransmitted like a UA would (the flood fills the socket's
/// buffer, so the kernel may drop it): (request, answer, tries).
fn probe_with_retransmissions(
    socket: &UdpSocket,
    sip: SocketAddr,
    call_id: &str,
    token: &str,
) -> (Vec<u8>, Vec<u8>, u32) {
    let request = sip_request("OPTIONS", "UDP", call_id, Some(token), None);
    for tries in 1..=40 {
        socket.send_to(&request, sip).unwrap();
        if let Some((answer, _)) = recv_within(socket, Duration::from_millis(250)) {
            // A late answer to an earlier try is the same bytes (answers are deterministic).
            return (request, answer, tries);
        }
    }
    panic!("no answer to {call_id} after 40 tries (10 s)");
}

#[test]
fn flood_during_a_real_session() {
    const PER_KIND_PER_FLOODER: u32 = 250_000; // 4 flooders: 1 000 000 of each kind
    let server = Server::start(
        &args(&[
            ("--primary", "127.0.0.1:36200".into()),
            ("--sip", "udp:36202,tcp:36202".into()),
            ("--control", "127.0.0.1:36205".into()),
            ("--metrics", "127.0.0.1:36208".into()),
        ]),
        180,
    );
    let stun = addr("127.0.0.1:36200");
    let sip = addr("127.0.0.1:36202");
    let metrics = addr("127.0.0.1:36208");
    let vm_hwm_idle = server.status_kb("VmHWM");

    let mut control = Control::open(addr("127.0.0.1:36205"));
    let token = control.token.clone();
    let (media_id, answer) = control.ask(Request::Media {
        streams: 1,
        duration_ms: 15_000,
        clock_rate: 8000,
    });
    let Answer::MediaReady { ports } = answer else {
        panic!("media answered {answer:?}")
    };
    let media = SocketAddr::from(([127, 0, 0, 1], ports[0]));
    let callback_socket = udp_on("127.0.0.1");
    let callback_id = control.request(Request::Callback {
        socket: "sip-udp-36202".into(),
        port: port_of(&callback_socket),
        delay_ms: 10_000,
        count: 1,
        every_ms: 0,
        nonce: "flood-cb".into(),
    });
    let callback_requested = Instant::now();
    assert_eq!(
        control.reply(callback_id, PATIENCE),
        Ok(Answer::CallbackScheduled)
    );

    // The session's RTP stream, 50 packets/s, and its echo, for the whole test.
    let rtp = udp_on("127.0.0.1");
    let stop_rtp = Arc::new(AtomicBool::new(false));
    let echoes = Arc::new(AtomicU64::new(0));
    let rtp_sender = {
        let (rtp, stop) = (rtp.try_clone().unwrap(), stop_rtp.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let due = started + Duration::from_millis(20 * sent);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let seq = sent as u16;
                rtp.send_to(&rtp_packet(seq, 160 * sent as u32, 0xF100D), media)
                    .unwrap();
                sent += 1;
            }
            sent
        })
    };
    let rtp_receiver = {
        let (rtp, echoes, stop) = (rtp.try_clone().unwrap(), echoes.clone(), stop_rtp.clone());
        std::thread::spawn(move || {
            let mut identical = true;
            loop {
                match recv_within(&rtp, Duration::from_millis(500)) {
                    Some((echo, _)) => {
                        let seq = u16::from_be_bytes([echo[2], echo[3]]);
                        let ts = u32::from_be_bytes([echo[4], echo[5], echo[6], echo[7]]);
                        identical &= echo == rtp_packet(seq, ts, 0xF100D);
                        echoes.fetch_add(1, Ordering::Relaxed);
                    }
                    None if stop.load(Ordering::Relaxed) => break,
                    None => {}
                }
            }
            identical
        })
    };

    // The flood: 4 sources (127.0.0.3-6, so the session's own 127.0.0.1 keeps its rate
    // budget), as fast as they can.
    let drops_before = udp_rcvbuf_errors();
    let flood_started = Instant::now();
    let flooders: Vec<_> = (0..4u64)
        .map(|i| {
            std::thread::spawn(move || {
                let source = format!("127.0.0.{}", 3 + i);
                flood(
                    &source,
                    stun,
                    sip,
                    PER_KIND_PER_FLOODER,
                    0x9E37_79B9_7F4A_7C15 + i,
                )
            })
        })
        .collect();

    // Meanwhile the session goes on: pings, and mirror probes over UDP and TCP.
    let probe_socket = udp_on("127.0.0.1");
    let mut probes: Vec<(String, Vec<u8>, Vec<u8>)> = Vec::new();
    let mut sip_sent_by_session = 0u64;
    let mut max_ping = Duration::ZERO;
    let mut max_tries = 0;
    let mut round = 0;
    // Paced at 4 rounds a second and at most 50 rounds: a session keeps at most 128 mirror
    // records (then its probes are answered like unauthenticated ones, by design).
    while (!flooders.iter().all(|f| f.is_finished()) || round < 2) && round < 50 {
        let round_started = Instant::now();
        round += 1;
        max_ping = max_ping.max(control.ping(Duration::from_secs(30)));
        let call_id = format!("flood-udp-{round}");
        let (request, answer, tries) =
            probe_with_retransmissions(&probe_socket, sip, &call_id, &token);
        sip_sent_by_session += u64::from(tries);
        max_tries = max_tries.max(tries);
        check_mirror_answer(&request, &answer, "UDP", Some(port_of(&probe_socket)));
        probes.push((call_id, request, answer));

        let call_id = format!("flood-tcp-{round}");
        let request = sip_request("OPTIONS", "TCP", &call_id, Some(&token), None);
        let mut tcp = TcpStream::connect_timeout(&sip, Duration::from_secs(30)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        tcp.write_all(&request).unwrap();
        let answer = read_sip_message(&mut tcp, Duration::from_secs(30));
        check_mirror_answer(
            &request,
            &answer,
            "TCP",
            Some(tcp.local_addr().unwrap().port()),
        );
        probes.push((call_id, request, answer));
        if let Some(rest) =
            (round_started + Duration::from_millis(250)).checked_duration_since(Instant::now())
        {
            std::thread::sleep(rest); // pacing, not synchronisation
        }
    }
    let (mut sent_stun, mut sent_sip) = (0u64, 0u64);
    for flooder in flooders {
        let (s, p) = flooder.join().unwrap();
        sent_stun += s;
        sent_sip += p;
    }
    let flood_time = flood_started.elapsed();

    // The callback, 10 s after it was asked for.
    let (payload, from) = recv_within(&callback_socket, Duration::from_secs(30))
        .expect("the callback arrives despite the flood");
    assert_eq!(payload, b"SIPWALL-CALLBACK 1 flood-cb 1\n");
    assert_eq!(from, sip);
    let callback_after = callback_requested.elapsed();
    assert!(matches!(
        control.event(callback_id, PATIENCE).0,
        Event::CallbackSent { sequence: 1, .. }
    ));

    // End the RTP stream; the receiver stops after 500 ms without echoes.
    stop_rtp.store(true, Ordering::Relaxed);
    let rtp_sent = rtp_sender.join().unwrap();
    let identical = rtp_receiver.join().unwrap();
    let rtp_echoed = echoes.load(Ordering::Relaxed);
    let (_, answer) = control.ask(Request::MediaStop { media: media_id });
    assert_eq!(answer, Answer::MediaStopping);
    let streams = media_stats(control.event(media_id, Duration::from_secs(30)).0);
    let report = &streams[0].report;

    // The mirror kept recording during the flood, byte for byte.
    for (call_id, request, answer) in &probes {
        let records = control.mirror(call_id);
        assert!(!records.is_empty(), "no record of {call_id}");
        for record in &records {
            assert!(base64_decode(&record.received) == *request, "{call_id}");
            assert!(base64_decode(&record.sent) == *answer, "{call_id}");
        }
    }
    control.ping(PATIENCE);

    // Counters, once the server has read everything the kernel queued (two equal reads).
    let mut body = fetch_metrics(metrics).1;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let next = fetch_metrics(metrics).1;
        let settled = ["sipwall_stun_received_total", "sipwall_sip_received_total"]
            .iter()
            .all(|n| metric(&next, n) == metric(&body, n));
        body = next;
        if settled || Instant::now() > deadline {
            break;
        }
    }
    let drops_after = udp_rcvbuf_errors();
    let vm_hwm = server.status_kb("VmHWM");
    let m = |name: &str| metric(&body, &format!("sipwall_{name}"));
    let stun_received = m("stun_received_total");
    let stun_replied = m("stun_replied_total");
    let stun_send_errors = m("stun_send_errors_total");
    let stun_rate_limited = m("stun_rate_limited_total");
    let stun_dropped = m("stun_dropped_total");
    let sip_received = m("sip_received_total");
    let sip_answered = m("sip_probes_answered_total");
    let sip_forbidden = m("sip_forbidden_total");
    let sip_dropped = m("sip_dropped_total");
    let sip_rate_limited = m("sip_rate_limited_total");
    let tcp_probes = probes.len() as u64 / 2;
    let sip_sent = sent_sip + sip_sent_by_session + tcp_probes;

    eprintln!(
        "flood: {} datagrams in {:.2} s ({:.0}/s): STUN port {sent_stun}, SIP port {sent_sip} \
         (+{sip_sent_by_session} UDP probe tries, {tcp_probes} TCP probes); kernel UDP \
         receive-buffer drops (host-wide) {}",
        sent_stun + sent_sip,
        flood_time.as_secs_f64(),
        (sent_stun + sent_sip) as f64 / flood_time.as_secs_f64(),
        drops_after - drops_before
    );
    eprintln!(
        "flood: STUN received {stun_received} = replied {stun_replied} + send errors \
         {stun_send_errors} + rate-limited {stun_rate_limited} + dropped {stun_dropped}"
    );
    eprintln!(
        "flood: SIP received {sip_received} = answered {sip_answered} + forbidden \
         {sip_forbidden} + dropped {sip_dropped}; rate-limited (not in received) \
         {sip_rate_limited}"
    );
    eprintln!(
        "flood: RTP sent {rtp_sent}, server received {} (lost {}, {:.2} %), echoes back \
         {rtp_echoed}; max ping {max_ping:?}; mirror probes {} (UDP tries at most {max_tries}); \
         callback after {callback_after:?}",
        report.packets_received,
        report.packets_lost,
        report.loss_percent,
        probes.len()
    );
    eprintln!(
        "flood: VmHWM {vm_hwm} kB (idle {vm_hwm_idle} kB), test duration {:?}",
        callback_requested.elapsed()
    );

    // STUN: every datagram read is replied, refused by the kernel, rate-limited or dropped
    // (stun_server.rs counts `received` before the rate limiter).
    assert_eq!(
        stun_received,
        stun_replied + stun_send_errors + stun_rate_limited + stun_dropped,
        "STUN counters add up"
    );
    assert!(stun_received <= sent_stun, "STUN received <= sent");
    // SIP: sip_mirror.rs checks the rate limiter before it counts `received`, so
    // received = answered + forbidden + dropped, and rate-limited datagrams come on top.
    assert_eq!(
        sip_received,
        sip_answered + sip_forbidden + sip_dropped,
        "SIP counters add up"
    );
    assert!(
        sip_received + sip_rate_limited <= sip_sent,
        "SIP received + rate-limited <= sent"
    );
    assert!(
        stun_rate_limited > 0 && sip_rate_limited > 0,
        "the flood was rate-limited"
    );
    assert!(
        sip_answered >= probes.len() as u64,
        "every probe was answered"
    );
    // Per flooder and socket at most burst (200) + 50/s of answers; 4 flooders.
    let allowed = 4.0 * (200.0 + 50.0 * (flood_time.as_secs_f64() + 5.0));
    assert!(
        (stun_replied as f64) <= allowed,
        "STUN replies {stun_replied} within the rate limits ({allowed:.0})"
    );

    assert!(identical, "RTP echoes are byte-identical");
    // Upstream loss: the media socket is not flooded, so only a server starved for seconds
    // would lose RTP (its receive buffer holds ~1 s of it). 1 % of ~550 packets = 5.
    assert!(
        report.loss_percent <= 1.0,
        "upstream RTP loss {:.2} % under flood",
        report.loss_percent
    );
    assert!(
        rtp_echoed as f64 >= 0.98 * rtp_sent as f64,
        "round trip: {rtp_echoed} echoes of {rtp_sent}"
    );
    // Measured: VmHWM 13.0-14.5 MiB after the flood (about 1 MiB more than before it; debug
    // build, 4 flooding sources, 5 runs). 64 MiB leaves room for a noisy machine while still catching memory
    // that grows per source or per datagram.
    assert!(
        vm_hwm < 64 * 1024,
        "VmHWM {vm_hwm} kB: the flood must not grow memory"
    );
}
