//! Test helpers: a fixed random source, a model of the Linux kernel SIP helper, single
//! exchanges through the real mirror logic, and a simulated network + reflector that drives
//! an [`AlgTest`] to its report.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sipwall_proto::control::{
    Answer, MirrorRecord, Request, ServerSocket, Service, SocketTransport,
};
use sipwall_proto::sip::{MirrorOutcome, SipTransport, respond};

use crate::alg::{
    AlgConfig, AlgReport, AlgTest, AlgTiming, PathEvidence, PathRole, ProbeEnd, ProbeEvidence,
    ProbeKind, ProbeRandom, ProbeTarget, build_probe,
};
use crate::sansio::{Machine, Reply, SocketId, SocketKind, StreamEnd};

pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const PRIVATE_IP: &str = "192.168.1.20";
pub const PUBLIC_IP: &str = "203.0.113.5";
pub const SERVER_IP: &str = "198.51.100.10";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Counts up from a seed: deterministic and unique.
pub struct Counter(pub u64);

impl ProbeRandom for Counter {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x1111_1111_1111_1111);
        self.0
    }
}

/// A model of Linux `nf_nat_sip` (and `nf_nat_sdp`): addresses equal to the flow's own
/// `from` tuple become the `to` tuple in the top Via, Contact, From and To (a URI without a
/// port counts as port 5060, as the kernel assumes), Via `received`/`rport`, and the SDP
/// `o=`/`c=` addresses; Content-Length follows the body. Upstream: private → public; on the
/// answers: public → private.
pub fn kernel_alg(message: &[u8], from: SocketAddr, to: SocketAddr) -> Vec<u8> {
    let text = String::from_utf8(message.to_vec()).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let hp = |a: SocketAddr| format!("{}:{}", a.ip(), a.port());
    let mut lines: Vec<String> = Vec::new();
    let mut top_via_done = false;
    for (i, line) in head.split("\r\n").enumerate() {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let mut line = line.to_owned();
        let is_via = name == "via" || name == "v";
        if i > 0
            && (is_via && !top_via_done
                || ["contact", "m", "from", "f", "to", "t"].contains(&name.as_str()))
        {
            top_via_done |= is_via;
            line = line.replace(&hp(from), &hp(to));
            if from.port() == 5060 {
                for end in [">", ";"] {
                    line = line.replace(
                        &format!("@{}{end}", from.ip()),
                        &format!("@{}{end}", hp(to)),
                    );
                }
            }
            if is_via {
                line = line
                    .replace(
                        &format!("received={}", from.ip()),
                        &format!("received={}", to.ip()),
                    )
                    .replace(
                        &format!("rport={}", from.port()),
                        &format!("rport={}", to.port()),
                    );
            }
        }
        lines.push(line);
    }
    let body: String = body
        .split_inclusive("\r\n")
        .map(|l| {
            if l.starts_with("o=") || l.starts_with("c=") {
                l.replace(&format!(" {}\r", from.ip()), &format!(" {}\r", to.ip()))
            } else {
                l.to_owned()
            }
        })
        .collect();
    let head: Vec<String> = lines
        .into_iter()
        .map(|l| {
            if l.to_ascii_lowercase().starts_with("content-length:") {
                format!("Content-Length: {}", body.len())
            } else {
                l
            }
        })
        .collect();
    format!("{}\r\n\r\n{body}", head.join("\r\n")).into_bytes()
}

/// Leaves a message alone.
pub fn untouched(message: &[u8], _from: SocketAddr, _to: SocketAddr) -> Vec<u8> {
    message.to_vec()
}

/// A rewrite applied to a message: `(bytes, from tuple, to tuple)`.
pub type Rewrite = fn(&[u8], SocketAddr, SocketAddr) -> Vec<u8>;

fn sip_transport(t: SocketTransport) -> SipTransport {
    match t {
        SocketTransport::Udp => SipTransport::Udp,
        SocketTransport::Tcp => SipTransport::Tcp,
        SocketTransport::Tls => SipTransport::Tls,
    }
}

/// The mirror's answer and record for one request arriving from `source`.
pub fn mirror(
    request: &[u8],
    source: SocketAddr,
    transport: SocketTransport,
    server_port: u16,
) -> Option<(String, Vec<u8>, MirrorRecord)> {
    let mut out = Vec::new();
    match respond(
        request,
        source,
        sip_transport(transport),
        |t| t == TOKEN,
        &mut out,
    ) {
        MirrorOutcome::Probe { call_id, .. } => {
            let record = MirrorRecord {
                transport,
                server_port,
                source,
                at_ms: 0,
                received: BASE64.encode(request),
                sent: BASE64.encode(&out),
            };
            Some((call_id.to_owned(), out, record))
        }
        _ => None,
    }
}

/// One probe through `up` to the real mirror and its answer back through `down`.
pub fn exchange(
    kind: ProbeKind,
    path: &PathEvidence,
    public: SocketAddr,
    up: Rewrite,
    down: Rewrite,
    random: &mut Counter,
) -> ProbeEvidence {
    let local = path.local.unwrap();
    let target = ProbeTarget {
        transport: path.transport,
        local,
        server: path.server,
        token: TOKEN,
    };
    let probe = build_probe(kind, &target, random);
    let arrived = up(&probe.bytes, local, public);
    let (_, answer, record) = mirror(&arrived, public, path.transport, path.server.port()).unwrap();
    ProbeEvidence {
        kind,
        call_id: probe.call_id,
        sent: probe.bytes,
        transmissions: 1,
        response: Some(down(&answer, public, local)),
        provisional: Vec::new(),
        end: ProbeEnd::Answered,
        records: Ok(vec![record]),
    }
}

/// A path with no probes yet.
pub fn path(name: &str, transport: SocketTransport, port: u16, local_port: u16) -> PathEvidence {
    let role = if transport != SocketTransport::Tls && port == 5060 {
        PathRole::Tested
    } else {
        PathRole::Control
    };
    PathEvidence {
        name: name.into(),
        transport,
        server: SocketAddr::new(ip(SERVER_IP), port),
        role,
        local: Some(SocketAddr::new(ip(PRIVATE_IP), local_port)),
        stream_end: None,
        probes: Vec::new(),
    }
}

/// A path whose four probes all went through `up`/`down` (port-preserving NAT).
pub fn full_path(
    mut p: PathEvidence,
    up: Rewrite,
    down: Rewrite,
    random: &mut Counter,
) -> PathEvidence {
    let public = SocketAddr::new(ip(PUBLIC_IP), p.local.unwrap().port());
    p.probes = ProbeKind::ALL
        .iter()
        .map(|k| exchange(*k, &p, public, up, down, random))
        .collect();
    p
}

/// A probe that was sent three times and vanished.
pub fn dropped(kind: ProbeKind, p: &PathEvidence, random: &mut Counter) -> ProbeEvidence {
    let target = ProbeTarget {
        transport: p.transport,
        local: p.local.unwrap(),
        server: p.server,
        token: TOKEN,
    };
    let probe = build_probe(kind, &target, random);
    ProbeEvidence {
        kind,
        call_id: probe.call_id,
        sent: probe.bytes,
        transmissions: 3,
        response: None,
        provisional: Vec::new(),
        end: ProbeEnd::TimedOut,
        records: Ok(Vec::new()),
    }
}

/// The five reflector SIP sockets.
pub fn servers() -> Vec<ServerSocket> {
    [
        ("sip-udp-5060", SocketTransport::Udp, 5060),
        ("sip-tcp-5060", SocketTransport::Tcp, 5060),
        ("sip-udp-5080", SocketTransport::Udp, 5080),
        ("sip-tls-5061", SocketTransport::Tls, 5061),
        ("sip-tcp-5080", SocketTransport::Tcp, 5080),
    ]
    .into_iter()
    .map(|(name, transport, port)| ServerSocket {
        name: name.into(),
        service: Service::SipMirror,
        transport,
        address: SocketAddr::new(ip(SERVER_IP), port),
        last_port: None,
    })
    .collect()
}

/// What the simulated network does to traffic towards server port 5060 (not TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Middlebox {
    /// Plain port-preserving NAT.
    None,
    /// The kernel SIP helper on the 5060 paths.
    KernelAlg,
    /// A firewall dropping UDP and refusing TCP to 5060.
    Block5060,
    /// Drops every SIP datagram and refuses every connection (the reflector is unreachable).
    BlockAll,
    /// Resets the TCP/5060 connection when an INVITE passes.
    ResetOnInvite,
    /// Rewrites the private IP in Call-ID to the public one (requests only).
    CallIdRewrite,
}

/// A simulated network: NAT (public IP, ports preserved), a middlebox, and the reflector
/// answering with the real mirror logic; `now` advances from timer to timer.
pub struct Sim {
    pub middlebox: Middlebox,
    /// Bind the UDP socket to this port instead of the one asked for.
    pub udp_port_taken: Option<u16>,
    /// The control channel never answers mirror requests.
    pub mirror_silent: bool,
    /// Datagrams the middlebox dropped (counted).
    pub dropped: usize,
    /// Every transmit: (time since start, socket, destination, size).
    pub transmits: Vec<(Duration, SocketId, SocketAddr, usize)>,
    records: BTreeMap<String, Vec<MirrorRecord>>,
    /// (arrival, socket, from, bytes) or a stream end.
    pending: VecDeque<(Instant, SocketId, Delivery)>,
    locals: BTreeMap<SocketId, SocketAddr>,
    kinds: BTreeMap<SocketId, SocketKind>,
}

enum Delivery {
    Bytes(SocketAddr, Vec<u8>),
    End(StreamEnd),
    Reply(crate::sansio::RequestTag, Reply),
}

const LATENCY: Duration = Duration::from_millis(15);

impl Sim {
    pub fn new(middlebox: Middlebox) -> Sim {
        Sim {
            middlebox,
            udp_port_taken: None,
            mirror_silent: false,
            dropped: 0,
            transmits: Vec::new(),
            records: BTreeMap::new(),
            pending: VecDeque::new(),
            locals: BTreeMap::new(),
            kinds: BTreeMap::new(),
        }
    }

    /// Runs a fresh test to its report; also returns how long it took in simulated time.
    pub fn run(&mut self) -> (AlgReport, Duration) {
        let config = AlgConfig {
            token: TOKEN.into(),
            private_ip: ip(PRIVATE_IP),
            servers: servers(),
            timing: AlgTiming::default(),
        };
        let mut m = AlgTest::with_random(config, Counter(7));
        let start = Instant::now();
        let mut now = start;
        self.open(&mut m, now);
        for _ in 0..100_000 {
            while let Some(t) = m.poll_transmit(now) {
                let at = now - start;
                self.transmits
                    .push((at, t.socket, t.destination, t.payload.len()));
                self.carry(now, t.socket, t.destination, &t.payload);
            }
            while let Some((tag, request)) = m.poll_request(now) {
                let Request::Mirror { call_id } = request else {
                    panic!("unexpected request {request:?}");
                };
                if self.mirror_silent {
                    continue;
                }
                let records = self.records.get(&call_id).cloned().unwrap_or_default();
                let reply = Reply::Answer(Answer::Mirror { records });
                self.pending.push_back((
                    now + LATENCY,
                    SocketId(u32::MAX),
                    Delivery::Reply(tag, reply),
                ));
            }
            if let Some(report) = m.report() {
                return (report, now - start);
            }
            let next_delivery = self.pending.iter().map(|(at, ..)| *at).min();
            now = match (next_delivery, m.poll_timeout()) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => panic!("the machine waits for nothing but has no report"),
            };
            self.deliver_due(&mut m, now);
            if m.poll_timeout().is_some_and(|t| t <= now) {
                m.handle_timeout(now);
            }
        }
        panic!("the test did not finish");
    }

    fn open(&mut self, m: &mut AlgTest<Counter>, _now: Instant) {
        let mut next_port = 40_001;
        for request in m.sockets() {
            self.kinds.insert(request.id, request.kind);
            let local = match request.kind {
                SocketKind::Udp => {
                    // A wildcard bind, as a real driver does: the machine must fill in the IP.
                    let port = self.udp_port_taken.unwrap_or(request.port.unwrap_or(0));
                    Some(SocketAddr::new(ip("0.0.0.0"), port))
                }
                SocketKind::Tcp { remote } | SocketKind::Tls { remote } => {
                    let refused = match self.middlebox {
                        Middlebox::BlockAll => true,
                        Middlebox::Block5060 => {
                            matches!(request.kind, SocketKind::Tcp { .. }) && remote.port() == 5060
                        }
                        _ => false,
                    };
                    next_port += 1;
                    (!refused).then(|| SocketAddr::new(ip(PRIVATE_IP), next_port))
                }
                SocketKind::TcpListen => None,
            };
            match local {
                Some(l) => {
                    self.locals.insert(request.id, l);
                    m.bound(request.id, Some(l));
                }
                None => {
                    m.bound(request.id, None);
                    m.handle_stream_end(Instant::now(), request.id, StreamEnd::ConnectFailed);
                }
            }
        }
    }

    /// Takes one transmit across NAT, middlebox and reflector.
    fn carry(&mut self, now: Instant, socket: SocketId, destination: SocketAddr, payload: &[u8]) {
        let kind = self.kinds[&socket];
        let transport = match kind {
            SocketKind::Udp => SocketTransport::Udp,
            SocketKind::Tls { .. } => SocketTransport::Tls,
            _ => SocketTransport::Tcp,
        };
        let local_port = self.locals[&socket].port();
        let private = SocketAddr::new(ip(PRIVATE_IP), local_port);
        let public = SocketAddr::new(ip(PUBLIC_IP), local_port);
        let inspected = transport != SocketTransport::Tls && destination.port() == 5060;
        let arrived = match (self.middlebox, inspected) {
            (Middlebox::BlockAll, _) | (Middlebox::Block5060, true) => {
                self.dropped += 1;
                return;
            }
            (Middlebox::ResetOnInvite, true)
                if transport == SocketTransport::Tcp && payload.starts_with(b"INVITE") =>
            {
                self.pending
                    .push_back((now + LATENCY, socket, Delivery::End(StreamEnd::Reset)));
                return;
            }
            (Middlebox::KernelAlg, true) => kernel_alg(payload, private, public),
            (Middlebox::CallIdRewrite, true) => String::from_utf8(payload.to_vec())
                .unwrap()
                .replace(&format!("@{PRIVATE_IP}\r\n"), &format!("@{PUBLIC_IP}\r\n"))
                .into_bytes(),
            _ => payload.to_vec(),
        };
        let Some((call_id, answer, record)) =
            mirror(&arrived, public, transport, destination.port())
        else {
            return;
        };
        self.records.entry(call_id).or_default().push(record);
        let answer = match (self.middlebox, inspected) {
            (Middlebox::KernelAlg, true) => kernel_alg(&answer, public, private),
            _ => answer,
        };
        if transport == SocketTransport::Udp {
            self.pending.push_back((
                now + 2 * LATENCY,
                socket,
                Delivery::Bytes(destination, answer),
            ));
        } else {
            // Streams deliver in pieces; the machine must frame them.
            let (a, b) = answer.split_at(answer.len() / 2);
            self.pending.push_back((
                now + 2 * LATENCY,
                socket,
                Delivery::Bytes(destination, a.to_vec()),
            ));
            self.pending.push_back((
                now + 2 * LATENCY,
                socket,
                Delivery::Bytes(destination, b.to_vec()),
            ));
        }
    }

    fn deliver_due(&mut self, m: &mut AlgTest<Counter>, now: Instant) {
        let (due, later): (Vec<_>, Vec<_>) =
            self.pending.drain(..).partition(|(at, ..)| *at <= now);
        self.pending = later.into();
        for (_, socket, delivery) in due {
            match delivery {
                Delivery::Bytes(from, bytes) => m.handle_receive(now, socket, from, &bytes),
                Delivery::End(end) => m.handle_stream_end(now, socket, end),
                Delivery::Reply(tag, reply) => m.handle_reply(now, tag, reply),
            }
        }
    }
}
