//! The probe builder.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use sipwall_proto::control::SocketTransport;
use sipwall_proto::sip::{PROBE_ANSWER_SLACK, SipMessage};

use super::support::{Counter, TOKEN, addr, mirror};
use crate::alg::{OsRandom, ProbeKind, ProbeTarget, build_probe};

fn target(transport: SocketTransport, local: &str, server: &str) -> ProbeTarget<'static> {
    ProbeTarget {
        transport,
        local: addr(local),
        server: addr(server),
        token: TOKEN,
    }
}

fn udp() -> ProbeTarget<'static> {
    target(
        SocketTransport::Udp,
        "192.168.1.20:5060",
        "198.51.100.10:5060",
    )
}

/// The draws, in order: Call-ID 0x1111…, branch 0x2222…, tag 0x33333333, SDP session
/// 0x4444… mod 10^10, RTP port 16384 + 2 × (0x5555… mod 8192).
const INVITE: &str = "INVITE sip:mirror@198.51.100.10:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK2222222222222222;rport\r\n\
Max-Forwards: 70\r\n\
From: \"sipwall\" <sip:sipwall@192.168.1.20>;tag=33333333\r\n\
To: <sip:mirror@198.51.100.10:5060>\r\n\
Call-ID: 1111111111111111@192.168.1.20\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:sipwall@192.168.1.20:5060;transport=udp>\r\n\
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER\r\n\
User-Agent: sipwall-check\r\n\
X-Sipwall-Probe: 0123456789abcdef0123456789abcdef\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 250\r\n\
\r\n\
v=0\r\n\
o=sipwall 2989213764 2989213764 IN IP4 192.168.1.20\r\n\
s=sipwall\r\n\
c=IN IP4 192.168.1.20\r\n\
t=0 0\r\n\
m=audio 27306 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

const REGISTER_TCP: &str = "REGISTER sip:198.51.100.10:5060 SIP/2.0\r\n\
Via: SIP/2.0/TCP 192.168.1.20:40002;branch=z9hG4bK2222222222222222;rport\r\n\
Max-Forwards: 70\r\n\
From: \"sipwall\" <sip:sipwall@192.168.1.20>;tag=33333333\r\n\
To: <sip:sipwall@198.51.100.10:5060>\r\n\
Call-ID: 1111111111111111@192.168.1.20\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:sipwall@192.168.1.20:40002;transport=tcp>\r\n\
Expires: 60\r\n\
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n\
User-Agent: sipwall-check\r\n\
X-Sipwall-Probe: 0123456789abcdef0123456789abcdef\r\n\
Content-Length: 0\r\n\
\r\n";

#[test]
fn small_invite_exact_bytes() {
    let p = build_probe(ProbeKind::Invite, &udp(), &mut Counter(0));
    assert_eq!(std::str::from_utf8(&p.bytes).unwrap(), INVITE);
    assert_eq!(p.call_id, "1111111111111111@192.168.1.20");
    assert_eq!(p.branch, "z9hG4bK2222222222222222");
    assert_eq!(p.cseq, "1 INVITE");
    assert_eq!(p.rtp_port, Some(27306));
}

#[test]
fn register_over_tcp_exact_bytes() {
    let t = target(
        SocketTransport::Tcp,
        "192.168.1.20:40002",
        "198.51.100.10:5060",
    );
    let p = build_probe(ProbeKind::Register, &t, &mut Counter(0));
    assert_eq!(std::str::from_utf8(&p.bytes).unwrap(), REGISTER_TCP);
    assert_eq!(p.rtp_port, None);
}

#[test]
fn sizes_are_realistic_and_large_invite_crosses_1300_bytes() {
    let size = |kind| build_probe(kind, &udp(), &mut Counter(0)).bytes.len();
    assert!(
        (650..=800).contains(&size(ProbeKind::Invite)),
        "{}",
        size(ProbeKind::Invite)
    );
    // IPv4 and a short address make the smallest large INVITE there is.
    let short = target(SocketTransport::Udp, "10.0.0.2:5060", "1.2.3.4:5060");
    let large = build_probe(ProbeKind::InviteLarge, &short, &mut Counter(0));
    assert!(large.bytes.len() >= 1300, "{}", large.bytes.len());
}

/// Every probe on every transport and address family: valid SIP, exact Content-Length, the
/// real private address and port wherever a phone writes its own address, and answered by
/// the real mirror within its amplification bound.
#[test]
fn every_probe_carries_the_real_address_and_is_answered_by_the_mirror() {
    let cases = [
        (
            SocketTransport::Udp,
            "192.168.1.20:5060",
            "198.51.100.10:5060",
        ),
        (
            SocketTransport::Tcp,
            "192.168.1.20:40002",
            "198.51.100.10:5080",
        ),
        (SocketTransport::Tls, "10.1.2.3:51234", "198.51.100.10:5061"),
        (
            SocketTransport::Udp,
            "[fd00::20]:5060",
            "[2001:db8::10]:5060",
        ),
    ];
    for (transport, local, server) in cases {
        for kind in ProbeKind::ALL {
            let t = target(transport, local, server);
            let p = build_probe(kind, &t, &mut Counter(9));
            check_probe(&p.bytes, kind, &t);
            let public: SocketAddr = addr("203.0.113.5:61000");
            let (call_id, answer, _) = mirror(&p.bytes, public, transport, t.server.port())
                .unwrap_or_else(|| panic!("mirror refused {kind:?} over {transport:?}"));
            assert_eq!(call_id, p.call_id);
            assert!(answer.len() <= p.bytes.len() + PROBE_ANSWER_SLACK);
        }
    }
}

fn check_probe(bytes: &[u8], kind: ProbeKind, t: &ProbeTarget<'_>) {
    let m = SipMessage::parse(bytes).unwrap();
    assert_eq!(m.method(), Some(kind.method()));
    assert_eq!(m.content_length().unwrap(), Some(m.body().len()));
    let ip = t.local.ip();
    let host = if ip.is_ipv6() {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    let hostport = format!("{host}:{}", t.local.port());
    let via = m.header("Via").unwrap();
    let token = match t.transport {
        SocketTransport::Udp => "UDP",
        SocketTransport::Tcp => "TCP",
        SocketTransport::Tls => "TLS",
    };
    assert!(
        via.starts_with(&format!("SIP/2.0/{token} {hostport};branch=z9hG4bK")),
        "{via}"
    );
    assert!(via.ends_with(";rport"));
    assert!(
        m.header("Contact")
            .unwrap()
            .contains(&format!("@{hostport};"))
    );
    assert!(m.header("From").unwrap().contains(&format!("@{host}>")));
    assert!(m.header("Call-ID").unwrap().ends_with(&format!("@{ip}")));
    assert_eq!(m.header("Max-Forwards"), Some("70"));
    assert_eq!(m.header("X-Sipwall-Probe"), Some(TOKEN));
    assert_eq!(
        m.header("CSeq"),
        Some(format!("1 {}", kind.method()).as_str())
    );
    if matches!(kind, ProbeKind::Invite | ProbeKind::InviteLarge) {
        let sdp = std::str::from_utf8(m.body()).unwrap();
        let net = if ip.is_ipv4() { "IP4" } else { "IP6" };
        assert!(sdp.contains(&format!("c=IN {net} {ip}\r\n")), "{sdp}");
        assert!(sdp.contains(&format!(" IN {net} {ip}\r\ns=")), "{sdp}");
        let port: u16 = sdp
            .split("m=audio ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|p| p.parse().ok())
            .unwrap();
        assert!(port.is_multiple_of(2) && (16_384..32_768).contains(&port));
        assert_eq!(m.header("Content-Type"), Some("application/sdp"));
    } else {
        assert!(m.body().is_empty());
    }
}

#[test]
fn call_ids_and_branches_are_unique() {
    let mut random = OsRandom::default();
    let mut call_ids = BTreeSet::new();
    let mut branches = BTreeSet::new();
    for _ in 0..200 {
        for kind in ProbeKind::ALL {
            let p = build_probe(kind, &udp(), &mut random);
            assert!(call_ids.insert(p.call_id));
            assert!(branches.insert(p.branch));
        }
    }
}
