//! The SIP probes: real-looking REGISTER, INVITE (small and large, with SDP) and OPTIONS.
//!
//! ALGs only rewrite what matches the flow they sit on (Linux `nf_nat_sip` compares every
//! address with the connection's own source IP *and port*), so every probe carries the
//! socket's real private IP and real local port in Via, Contact, From and the SDP. A probe
//! with made-up addresses would pass an ALG untouched and prove nothing.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use sipwall_proto::control::SocketTransport;
use sipwall_proto::sip::PROBE_HEADER;

use super::report::ProbeKind;

/// The User-Agent every probe carries.
pub const USER_AGENT: &str = "sipwall-check";
/// RFC 3261 §8.1.1.7: branches of RFC 3261 clients start with this magic cookie.
const BRANCH_COOKIE: &str = "z9hG4bK";

/// Where unique identifiers come from; tests inject a fixed sequence.
pub trait ProbeRandom {
    fn next_u64(&mut self) -> u64;
}

/// Identifiers from the operating system's random source.
#[derive(Debug, Clone, Default)]
pub struct OsRandom {
    /// Used only if the OS source fails, so a probe never panics for want of entropy.
    fallback: u64,
}

impl ProbeRandom for OsRandom {
    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        match getrandom::fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => {
                // SplitMix64: uniqueness is all that matters here, not secrecy.
                self.fallback = self.fallback.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.fallback;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^ (z >> 31)
            }
        }
    }
}

/// Where a probe goes and where it claims to come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeTarget<'a> {
    pub transport: SocketTransport,
    /// The socket's private IP and real local port.
    pub local: SocketAddr,
    /// The reflector's SIP socket.
    pub server: SocketAddr,
    /// The session token (`X-Sipwall-Probe`).
    pub token: &'a str,
}

/// One built probe and the identifiers its answer and mirror record are matched by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub kind: ProbeKind,
    pub call_id: String,
    /// The top Via `branch`, cookie included.
    pub branch: String,
    /// The CSeq value, e.g. `1 INVITE`.
    pub cseq: String,
    /// The SDP `m=audio` port (INVITEs only).
    pub rtp_port: Option<u16>,
    pub bytes: Vec<u8>,
}

/// Builds one probe. Draws, in order: Call-ID, branch, From tag and, for INVITEs, the SDP
/// session id and the RTP port.
pub fn build_probe(
    kind: ProbeKind,
    target: &ProbeTarget<'_>,
    random: &mut impl ProbeRandom,
) -> Probe {
    let ip = target.local.ip();
    let call_id = format!("{:016x}@{ip}", random.next_u64());
    let branch = format!("{BRANCH_COOKIE}{:016x}", random.next_u64());
    let tag = format!("{:08x}", random.next_u64() as u32);
    let sdp = match kind {
        ProbeKind::Invite | ProbeKind::InviteLarge => {
            let session = random.next_u64() % 10_000_000_000;
            // An even port in the range phones use; nothing listens (no media is sent), the
            // ALG rewrites `m=` all the same.
            let rtp_port = 16_384 + (random.next_u64() % 8_192) as u16 * 2;
            Some((sdp_offer(kind, ip, session, rtp_port), rtp_port))
        }
        ProbeKind::Register | ProbeKind::Options => None,
    };
    let method = kind.method();
    let cseq = format!("1 {method}");
    let head = ProbeHead {
        kind,
        target,
        call_id: &call_id,
        branch: &branch,
        tag: &tag,
        cseq: &cseq,
    };
    let body = sdp.as_ref().map_or("", |(body, _)| body.as_str());
    let mut text = head.render(body.len());
    text.push_str(body);
    Probe {
        kind,
        call_id,
        branch,
        cseq,
        rtp_port: sdp.map(|(_, port)| port),
        bytes: text.into_bytes(),
    }
}

/// The identifiers a probe's head is written from.
struct ProbeHead<'a> {
    kind: ProbeKind,
    target: &'a ProbeTarget<'a>,
    call_id: &'a str,
    branch: &'a str,
    tag: &'a str,
    cseq: &'a str,
}

impl ProbeHead<'_> {
    /// The start line and headers, ending with the blank line.
    fn render(&self, body_len: usize) -> String {
        let t = self.target;
        let local = HostPort(t.local);
        let local_host = UriHost(t.local.ip());
        let server = HostPort(t.server);
        let via_transport = transport_token(t.transport);
        let uri_transport = via_transport.to_ascii_lowercase();
        let method = self.kind.method();
        // A registrar is addressed by its domain, everything else by a user at the server.
        let (uri, to) = match self.kind {
            ProbeKind::Register => (format!("sip:{server}"), format!("<sip:sipwall@{server}>")),
            _ => (
                format!("sip:mirror@{server}"),
                format!("<sip:mirror@{server}>"),
            ),
        };
        let mut s = String::with_capacity(1024);
        let _ = write!(
            s,
            "{method} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/{via_transport} {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: \"sipwall\" <sip:sipwall@{local_host}>;tag={tag}\r\n\
             To: {to}\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq}\r\n\
             Contact: <sip:sipwall@{local};transport={uri_transport}>\r\n",
            branch = self.branch,
            tag = self.tag,
            call_id = self.call_id,
            cseq = self.cseq,
        );
        s.push_str(match self.kind {
            ProbeKind::Register => "Expires: 60\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n",
            ProbeKind::Invite => "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER\r\n",
            ProbeKind::InviteLarge => {
                "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER, UPDATE, PRACK\r\n\
                 Allow-Events: talk, hold, conference, refer, check-sync\r\n\
                 Supported: replaces, timer, 100rel, path, outbound\r\n\
                 Session-Expires: 1800;refresher=uac\r\n\
                 Min-SE: 90\r\n\
                 Accept: application/sdp, application/dtmf-relay\r\n\
                 Subject: sipwall SIP ALG probe\r\n"
            }
            ProbeKind::Options => "Accept: application/sdp\r\n",
        });
        let _ = write!(
            s,
            "User-Agent: {USER_AGENT}\r\n{PROBE_HEADER}: {}\r\n",
            t.token
        );
        if body_len > 0 {
            s.push_str("Content-Type: application/sdp\r\n");
        }
        let _ = write!(s, "Content-Length: {body_len}\r\n\r\n");
        s
    }
}

/// An SDP offer as a desk phone sends it: the private IP in `o=` and `c=`, G.711 and DTMF
/// events (RFC 4733); the large one adds the codecs and attributes of a feature-rich phone.
fn sdp_offer(kind: ProbeKind, ip: IpAddr, session: u64, rtp_port: u16) -> String {
    let net = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut s = format!(
        "v=0\r\n\
         o=sipwall {session} {session} IN {net} {ip}\r\n\
         s=sipwall\r\n"
    );
    if kind == ProbeKind::InviteLarge {
        s.push_str("i=sipwall SIP ALG probe, large offer\r\n");
    }
    let _ = write!(s, "c=IN {net} {ip}\r\nt=0 0\r\n");
    if kind == ProbeKind::InviteLarge {
        let _ = write!(
            s,
            "m=audio {rtp_port} RTP/AVP 9 0 8 18 3 97 98 99 100 101\r\n\
             b=AS:84\r\n\
             a=rtpmap:9 G722/8000\r\n\
             a=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:18 G729/8000\r\n\
             a=fmtp:18 annexb=no\r\n\
             a=rtpmap:3 GSM/8000\r\n\
             a=rtpmap:97 iLBC/8000\r\n\
             a=fmtp:97 mode=30\r\n\
             a=rtpmap:98 opus/48000/2\r\n\
             a=fmtp:98 useinbandfec=1; maxplaybackrate=16000; sprop-maxcapturerate=16000\r\n\
             a=rtpmap:99 speex/16000\r\n\
             a=rtpmap:100 AMR-WB/16000\r\n\
             a=fmtp:100 octet-align=1; mode-change-capability=2\r\n\
             a=rtpmap:101 telephone-event/8000\r\n\
             a=fmtp:101 0-16\r\n\
             a=rtcp:{rtcp}\r\n\
             a=ptime:20\r\n\
             a=maxptime:150\r\n\
             a=rtcp-fb:* nack\r\n\
             a=label:main-audio\r\n\
             a=sendrecv\r\n",
            rtcp = rtp_port + 1,
        );
    } else {
        let _ = write!(
            s,
            "m=audio {rtp_port} RTP/AVP 0 8 101\r\n\
             a=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\n\
             a=fmtp:101 0-16\r\n\
             a=ptime:20\r\n\
             a=sendrecv\r\n"
        );
    }
    s
}

/// The Via transport token.
pub(crate) fn transport_token(transport: SocketTransport) -> &'static str {
    match transport {
        SocketTransport::Udp => "UDP",
        SocketTransport::Tcp => "TCP",
        SocketTransport::Tls => "TLS",
    }
}

/// `ip:port` as a SIP hostport (IPv6 in brackets).
struct HostPort(SocketAddr);

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", UriHost(self.0.ip()), self.0.port())
    }
}

/// An IP as a SIP URI host (IPv6 in brackets).
struct UriHost(IpAddr);

impl std::fmt::Display for UriHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(ip) => write!(f, "{ip}"),
            IpAddr::V6(ip) => write!(f, "[{ip}]"),
        }
    }
}
