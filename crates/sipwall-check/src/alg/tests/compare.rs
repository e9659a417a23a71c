//! Field-by-field comparison on hand-made pairs.

use sipwall_proto::control::SocketTransport;

use super::support::{Counter, TOKEN, addr, kernel_alg, mirror};
use crate::alg::{
    ChangeKind, Direction, Ends, Field, FieldChange, ProbeKind, ProbeTarget, RewriterRole,
    Severity, build_probe, compare,
};

/// (field, change, severity) of every change, in order.
fn summary(changes: &[FieldChange]) -> Vec<(Field, ChangeKind, Severity)> {
    changes
        .iter()
        .map(|c| (c.field, c.change, c.severity))
        .collect()
}

fn invite(local: &str) -> Vec<u8> {
    let target = ProbeTarget {
        transport: SocketTransport::Udp,
        local: addr(local),
        server: addr("198.51.100.10:5060"),
        token: TOKEN,
    };
    build_probe(ProbeKind::Invite, &target, &mut Counter(0)).bytes
}

fn ends(private: &str, public: &str) -> Ends {
    Ends {
        private: addr(private),
        public: addr(public),
    }
}

use ChangeKind::*;
use Field::*;
use Severity::{Benign, Destructive};

const REWRITE: Severity = Severity::Rewrite;

#[test]
fn identical_messages_have_no_changes() {
    let sent = invite("192.168.1.20:5060");
    let e = ends("192.168.1.20:5060", "203.0.113.5:5060");
    assert!(compare(Direction::Upstream, &sent, &sent, e).is_empty());
}

/// The kernel helper on a port-preserving NAT: Via, Contact, From (no port, so 5060 is
/// assumed and matches), SDP o=/c= and Content-Length, all to exactly the mapping.
#[test]
fn kernel_helper_request_is_a_consistent_rewrite() {
    let sent = invite("192.168.1.20:5060");
    let (private, public) = (addr("192.168.1.20:5060"), addr("203.0.113.5:5060"));
    let received = kernel_alg(&sent, private, public);
    let changes = compare(
        Direction::Upstream,
        &sent,
        &received,
        Ends { private, public },
    );
    assert_eq!(
        summary(&changes),
        vec![
            (ViaSentBy, Rewritten, REWRITE),
            (Contact, Rewritten, REWRITE),
            (From, Rewritten, REWRITE),
            (ContentLength, Rewritten, REWRITE),
            (SdpOrigin, Rewritten, REWRITE),
            (SdpConnection, Rewritten, REWRITE),
        ],
        "{changes:#?}"
    );
    let via = &changes[0];
    assert_eq!(via.from.as_deref(), Some("192.168.1.20:5060"));
    assert_eq!(via.to.as_deref(), Some("203.0.113.5:5060"));
    let by = via.by.as_ref().unwrap();
    assert_eq!(
        (by.address.as_str(), by.role),
        ("203.0.113.5:5060", RewriterRole::PublicMapping)
    );
    assert_eq!(
        changes[2].to.as_deref(),
        Some("203.0.113.5:5060"),
        "From gains the port"
    );
    assert_eq!(
        (changes[3].from.as_deref(), changes[3].to.as_deref()),
        (Some("250"), Some("248"))
    );
}

/// The answer on its way back: the mirror wrote the public mapping (here with a NAT that
/// changed the port), the helper turns it back into our private address everywhere.
#[test]
fn kernel_helper_answer_is_rewritten_back_consistently() {
    let sent = invite("192.168.1.20:5060");
    let (private, public) = (addr("192.168.1.20:5060"), addr("203.0.113.5:61000"));
    let received = kernel_alg(&sent, private, public);
    let (_, answer, _) = mirror(&received, public, SocketTransport::Udp, 5060).unwrap();
    let got = kernel_alg(&answer, public, private);
    let e = Ends { private, public };
    let up = compare(Direction::Upstream, &sent, &received, e);
    assert!(up.iter().all(|c| c.severity == REWRITE), "{up:#?}");
    let down = compare(Direction::Downstream, &answer, &got, e);
    assert_eq!(
        summary(&down),
        vec![
            (ViaSentBy, Rewritten, REWRITE),
            (ViaRport, Rewritten, REWRITE),
            (ViaReceived, Rewritten, REWRITE),
            (Contact, Rewritten, REWRITE),
            (From, Rewritten, REWRITE),
            (ContentLength, Rewritten, REWRITE),
            (SdpOrigin, Rewritten, REWRITE),
            (SdpConnection, Rewritten, REWRITE),
        ],
        "{down:#?}"
    );
    assert_eq!(down[1].from.as_deref(), Some("61000"));
    assert_eq!(down[1].to.as_deref(), Some("5060"));
    assert_eq!(
        down[3].by.as_ref().unwrap().role,
        RewriterRole::PrivateAddress
    );
}

fn with_length(head: &str, body: &str, length_header: &str) -> Vec<u8> {
    format!("{head}{length_header}{}\r\n\r\n{body}", body.len()).into_bytes()
}

const IBC_BODY_SENT: &str = "v=0\r\n\
o=vpujzk2x 21066632 3068032 IN IP4 192.168.1.102\r\n\
s=-\r\n\
c=IN IP4 192.168.1.102\r\n\
t=0 0\r\n\
m=audio 4731 RTP/AVP 8 0 3 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:3 GSM/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=ptime:20\r\n";

/// The request of the sip-alg-detector README (Max-Forwards 70 here, and a session token).
pub fn ibc_sent() -> Vec<u8> {
    let head = "INVITE sip:sip-alg-detector-daemon@99.98.130.199:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.102:6060;rport;branch=z9hG4bKt6gf1sqa\r\n\
Max-Forwards: 70\r\n\
To: <sip:sip-alg-detector-daemon@99.98.130.199:5060>\r\n\
From: \"SIP ALG Detector\" <sip:sip-alg-detector@killing-alg-routers.war>;tag=g15guctc\r\n\
Call-ID: bggvcdx2d8@192.168.1.102\r\n\
CSeq: 405 INVITE\r\n\
Contact: <sip:0123@192.168.1.102:6060;transport=udp>\r\n\
Allow: INVITE\r\n\
X-Sipwall-Probe: 0123456789abcdef0123456789abcdef\r\n\
Content-Type: application/sdp\r\n";
    with_length(head, IBC_BODY_SENT, "Content-Length: ")
}

/// What the README's router delivered: a proxy's Via on top, Max-Forwards lower-cased,
/// decremented and moved, To moved, o=/c= public, the m= port changed, Content-Length
/// updated (with odd spacing) — and the Contact left private.
pub fn ibc_received() -> Vec<u8> {
    let head = "INVITE sip:sip-alg-detector-daemon@99.98.130.199:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 66.111.222.111:5060;branch=z9hG4bKe7a074d2e0e180b508243c764c661a7e\r\n\
Via: SIP/2.0/UDP 192.168.1.102:6060;rport;branch=z9hG4bKt6gf1sqa\r\n\
From: \"SIP ALG Detector\" <sip:sip-alg-detector@killing-alg-routers.war>;tag=g15guctc\r\n\
To: <sip:sip-alg-detector-daemon@99.98.130.199:5060>\r\n\
Call-ID: bggvcdx2d8@192.168.1.102\r\n\
CSeq: 405 INVITE\r\n\
Contact: <sip:0123@192.168.1.102:6060;transport=udp>\r\n\
max-forwards: 69\r\n\
Allow: INVITE\r\n\
X-Sipwall-Probe: 0123456789abcdef0123456789abcdef\r\n\
Content-Type: application/sdp\r\n";
    let body = IBC_BODY_SENT
        .replace("192.168.1.102", "66.111.222.111")
        .replace("m=audio 4731", "m=audio 7070");
    with_length(head, &body, "Content-Length:   ")
}

pub fn ibc_ends() -> Ends {
    ends("192.168.1.102:6060", "66.111.222.111:5060")
}

#[test]
fn ibc_readme_router_is_a_proxying_destructive_alg() {
    let changes = compare(
        Direction::Upstream,
        &ibc_sent(),
        &ibc_received(),
        ibc_ends(),
    );
    let s = summary(&changes);
    for expected in [
        (Via, Added, REWRITE),
        (MaxForwards, Decremented, REWRITE),
        (MaxForwards, Recased, Benign),
        (HeaderOrder, Reordered, Benign),
        (ContentLength, Rewritten, REWRITE),
        (SdpOrigin, Rewritten, REWRITE),
        (SdpConnection, Rewritten, REWRITE),
        (SdpMediaPort, Rewritten, Destructive),
        (Contact, NotRewritten, Destructive),
    ] {
        assert!(
            s.contains(&expected),
            "{expected:?} missing from {changes:#?}"
        );
    }
    let port = changes.iter().find(|c| c.field == SdpMediaPort).unwrap();
    assert_eq!(
        (port.from.as_deref(), port.to.as_deref()),
        (Some("4731"), Some("7070"))
    );
    let via = changes.iter().find(|c| c.field == Via).unwrap();
    assert_eq!(via.by.as_ref().unwrap().role, RewriterRole::PublicMapping);
    let mf = changes.iter().find(|c| c.change == Decremented).unwrap();
    assert_eq!(
        (mf.from.as_deref(), mf.to.as_deref()),
        (Some("70"), Some("69"))
    );
    // Our own Via stayed private behind the proxy's: that is how a proxy works, not a defect.
    assert!(!s.contains(&(ViaSentBy, NotRewritten, Destructive)));
    assert!(!s.iter().any(|(f, ..)| *f == CallId));
}

#[test]
fn header_case_and_compact_forms_are_benign() {
    let sent = invite("192.168.1.20:5060");
    let text = String::from_utf8(sent.clone()).unwrap();
    let received = text
        .replace("Max-Forwards:", "MAX-FORWARDS:")
        .replace("Call-ID:", "i:")
        .into_bytes();
    let changes = compare(
        Direction::Upstream,
        &sent,
        &received,
        ends("192.168.1.20:5060", "203.0.113.5:5060"),
    );
    assert_eq!(
        summary(&changes),
        vec![(MaxForwards, Recased, Benign), (CallId, Recased, Benign)],
        "{changes:#?}"
    );
}

#[test]
fn rewrite_to_another_port_than_the_mapping_is_destructive() {
    let sent = invite("192.168.1.20:5060");
    let (private, public) = (addr("192.168.1.20:5060"), addr("203.0.113.5:5060"));
    let received = kernel_alg(&sent, private, addr("203.0.113.5:5062"));
    let changes = compare(
        Direction::Upstream,
        &sent,
        &received,
        Ends { private, public },
    );
    let via = changes.iter().find(|c| c.field == ViaSentBy).unwrap();
    assert_eq!(via.severity, Destructive);
    assert_eq!(
        via.by.as_ref().unwrap().role,
        RewriterRole::PublicIpOtherPort
    );
    assert!(via.note.contains("port 5060"), "{}", via.note);
}

#[test]
fn rewrite_without_content_length_update_is_destructive() {
    let sent = invite("192.168.1.20:5060");
    let text = String::from_utf8(sent.clone()).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let received = format!(
        "{head}\r\n\r\n{}",
        body.replace("192.168.1.20", "203.0.113.5")
    );
    let changes = compare(
        Direction::Upstream,
        &sent,
        received.as_bytes(),
        ends("192.168.1.20:5060", "203.0.113.5:5060"),
    );
    let cl = changes.iter().find(|c| c.field == ContentLength).unwrap();
    assert_eq!((cl.change, cl.severity), (Inconsistent, Destructive));
    assert!(
        cl.note.contains("says 250 but") && cl.note.contains("248 bytes"),
        "{}",
        cl.note
    );
}

#[test]
fn changed_call_id_truncated_or_mangled_sdp_are_destructive() {
    let sent = invite("192.168.1.20:5060");
    let text = String::from_utf8(sent.clone()).unwrap();
    let e = ends("192.168.1.20:5060", "203.0.113.5:5060");

    let call_id = text.replace(
        "1111111111111111@192.168.1.20",
        "1111111111111111@203.0.113.5",
    );
    let changes = compare(Direction::Upstream, &sent, call_id.as_bytes(), e);
    assert_eq!(summary(&changes), vec![(CallId, Rewritten, Destructive)]);

    let cut = &sent[..sent.len() - 40];
    let changes = compare(Direction::Upstream, &sent, cut, e);
    let s = summary(&changes);
    assert!(s.contains(&(Sdp, Truncated, Destructive)), "{changes:#?}");
    assert!(
        s.contains(&(ContentLength, Inconsistent, Destructive)),
        "{changes:#?}"
    );

    let mangled = text.replace(
        "a=rtpmap:101 telephone-event/8000\r\n",
        "a=rtpmap:101 telephone-event/800\r\n",
    );
    let changes = compare(Direction::Upstream, &sent, mangled.as_bytes(), e);
    let sdp = changes.iter().find(|c| c.field == Sdp).unwrap();
    assert_eq!(sdp.severity, Destructive);
    assert_eq!(sdp.to.as_deref(), Some("a=rtpmap:101 telephone-event/800"));
}

#[test]
fn injected_received_and_rport_are_proxy_edits() {
    let sent = invite("192.168.1.20:5060");
    let text = String::from_utf8(sent.clone()).unwrap();
    let received = text.replace(";rport\r\n", ";rport=5060;received=203.0.113.5\r\n");
    let changes = compare(
        Direction::Upstream,
        &sent,
        received.as_bytes(),
        ends("192.168.1.20:5060", "203.0.113.5:5060"),
    );
    assert_eq!(
        summary(&changes),
        vec![
            (ViaRport, Rewritten, REWRITE),
            (ViaReceived, Added, REWRITE)
        ]
    );
}

#[test]
fn garbage_instead_of_sip_is_destructive() {
    let sent = invite("192.168.1.20:5060");
    let e = ends("192.168.1.20:5060", "203.0.113.5:5060");
    let changes = compare(Direction::Upstream, &sent, b"\x00\x01garbage", e);
    assert_eq!(
        summary(&changes),
        vec![(RequestLine, Rewritten, Destructive)]
    );
}
