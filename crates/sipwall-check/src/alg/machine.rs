//! The SIP ALG test as a sans-IO [`Machine`].
//!
//! One UDP socket (asking for local port 5060, as a phone would) carries the UDP paths; each
//! TCP/TLS path gets its own connection. On every path the four probes go out one after the
//! other, the paths run in parallel. UDP probes are retransmitted as RFC 3261 §17.1.1.2 and
//! §17.1.2.2 do (T1 = 500 ms, doubling), at most 3 transmissions: a lost datagram is not
//! taken for an ALG. Each probe's answer is matched by Call-ID and CSeq (by branch and CSeq
//! if an ALG changed the Call-ID). When a probe is done, answered or not, the machine asks
//! the reflector over the control channel for its mirror record: what arrived there and what
//! it sent back. The classifier compares the four versions of each exchange.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sipwall_proto::control::{
    Answer, MirrorRecord, Request, ServerSocket, Service, SocketTransport,
};
use sipwall_proto::sip::{OBSERVED_HEADER, SipMessage, StreamFrame, stream_message_len};

use super::classify::{PathEvidence, ProbeEnd, ProbeEvidence, classify};
use super::probe::{OsRandom, Probe, ProbeRandom, ProbeTarget, build_probe};
use super::report::{AlgReport, PathRole, ProbeKind, StreamEndKind};
use crate::sansio::{
    Machine, Reply, RequestTag, SocketId, SocketKind, SocketRequest, StreamEnd, Transmit,
};

/// The local port the UDP socket asks for: phones send SIP from 5060, and some ALGs only
/// look at flows from it.
pub const SIP_PORT: u16 = 5060;

/// Timers of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgTiming {
    /// RFC 3261 T1: the first UDP retransmission interval, doubled for each next one.
    pub t1: Duration,
    /// Transmissions of a UDP probe, the first included.
    pub transmissions: u32,
    /// How long a probe on a stream waits for its answer.
    pub stream_timeout: Duration,
    /// How long a mirror request waits for the reflector's reply.
    pub mirror_timeout: Duration,
}

impl Default for AlgTiming {
    fn default() -> Self {
        AlgTiming {
            t1: Duration::from_millis(500),
            transmissions: 3,
            stream_timeout: Duration::from_secs(4),
            mirror_timeout: Duration::from_secs(10),
        }
    }
}

impl AlgTiming {
    /// How long a UDP probe waits after its first transmission: each retransmission interval
    /// plus one more doubled interval after the last (500 + 1000 + 2000 ms by default).
    fn udp_wait(&self) -> Duration {
        let intervals = 2u32.saturating_pow(self.transmissions.max(1)) - 1;
        self.t1.saturating_mul(intervals)
    }
}

/// What the test needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct AlgConfig {
    /// The session token from `welcome`.
    pub token: String,
    /// The client's private IP (the one its traffic to the reflector leaves from).
    pub private_ip: IpAddr,
    /// The reflector's sockets from the `ports` answer; the `sip_mirror` ones are used.
    pub servers: Vec<ServerSocket>,
    pub timing: AlgTiming,
}

/// The SIP ALG test.
#[derive(Debug)]
pub struct AlgTest<R: ProbeRandom = OsRandom> {
    token: String,
    private_ip: IpAddr,
    timing: AlgTiming,
    random: R,
    paths: Vec<PathRun>,
    /// The UDP socket's local port once bound.
    udp_port: Option<u16>,
    /// Mirror requests in flight: tag → (path, probe).
    mirror_waits: BTreeMap<RequestTag, (usize, usize)>,
    next_tag: u32,
    /// The public IP, once the reflector reported one (for Call-ID fallbacks).
    public_ip: Option<IpAddr>,
}

const UDP_SOCKET: SocketId = SocketId(0);

impl AlgTest<OsRandom> {
    /// A test drawing its identifiers from the operating system's random source.
    pub fn new(config: AlgConfig) -> Self {
        Self::with_random(config, OsRandom::default())
    }
}

impl<R: ProbeRandom> AlgTest<R> {
    /// A test drawing Call-IDs, branches and tags from `random` (tests pass a fixed one).
    pub fn with_random(config: AlgConfig, random: R) -> Self {
        let mut servers: Vec<&ServerSocket> = config
            .servers
            .iter()
            .filter(|s| s.service == Service::SipMirror)
            .collect();
        // Tested paths first (UDP, then TCP), then the controls; stable otherwise.
        servers.sort_by_key(|s| (role_of(s) == PathRole::Control, transport_rank(s.transport)));
        // UDP paths share socket 0; each stream path gets its own, numbered from 1.
        let mut streams = 0;
        let paths = servers
            .into_iter()
            .map(|s| {
                let socket = if s.transport == SocketTransport::Udp {
                    UDP_SOCKET
                } else {
                    streams += 1;
                    SocketId(streams)
                };
                PathRun::new(s, socket)
            })
            .collect();
        AlgTest {
            token: config.token,
            private_ip: config.private_ip,
            timing: config.timing,
            random,
            paths,
            udp_port: None,
            mirror_waits: BTreeMap::new(),
            next_tag: 0,
            public_ip: None,
        }
    }

    fn is_done(&self) -> bool {
        self.mirror_waits.is_empty() && self.paths.iter().all(PathRun::is_done)
    }

    /// Starts the current probe of path `i` if it is due and not built yet.
    fn ensure_probe(&mut self, i: usize) {
        let path = &mut self.paths[i];
        let (Opened::Open(local), None) = (path.opened, path.stream_end) else {
            return;
        };
        if path.probes.len() != path.current || path.current >= ProbeKind::ALL.len() {
            return;
        }
        let target = ProbeTarget {
            transport: path.transport,
            local,
            server: path.server,
            token: &self.token,
        };
        let probe = build_probe(ProbeKind::ALL[path.current], &target, &mut self.random);
        path.probes.push(ProbeRun::new(probe));
    }

    /// The address written into probes: the configured private IP (a UDP socket bound to the
    /// wildcard reports no IP) unless the socket reports a specific one.
    fn local_for(&self, bound: SocketAddr) -> SocketAddr {
        let ip = if bound.ip().is_unspecified() {
            self.private_ip
        } else {
            bound.ip()
        };
        SocketAddr::new(ip, bound.port())
    }

    /// One SIP message from the reflector's side arrived on path `i`.
    fn handle_message(&mut self, i: usize, bytes: &[u8]) {
        let Ok(msg) = SipMessage::parse(bytes) else {
            return;
        };
        let Some(code) = msg.status_code() else {
            return; // requests towards the client are not part of this test
        };
        let call_id = msg.header("Call-ID").unwrap_or_default();
        let cseq = msg.header("CSeq").unwrap_or_default();
        let branch = msg
            .via_values()
            .next()
            .and_then(|v| v.split(';').find_map(|p| p.trim().strip_prefix("branch=")))
            .unwrap_or_default();
        let path = &mut self.paths[i];
        let found = path
            .probes
            .iter()
            .position(|p| p.probe.call_id == call_id && p.probe.cseq == cseq)
            .or_else(|| {
                path.probes
                    .iter()
                    .position(|p| p.probe.branch == branch && p.probe.cseq == cseq)
            });
        let Some(k) = found else {
            return;
        };
        if let Some(ip) = observed_ip(&msg) {
            self.public_ip.get_or_insert(ip);
        }
        let probe = &mut path.probes[k];
        if code < 200 {
            probe.provisional.push(code);
            // RFC 3261 §17.1.1.2: a provisional answer stops retransmissions.
            probe.next_retransmit = None;
            return;
        }
        if probe.response.is_none() {
            probe.response = Some(bytes.to_vec());
            if call_id != probe.probe.call_id {
                probe.mirror.candidates.push(call_id.to_owned());
            }
        }
        if probe.end.is_none() {
            path.finish_current(ProbeEnd::Answered);
        }
    }

    /// A stream delivered bytes: frame them into messages.
    fn handle_stream_bytes(&mut self, i: usize, payload: &[u8]) {
        self.paths[i].buffer.extend_from_slice(payload);
        loop {
            match stream_message_len(&self.paths[i].buffer) {
                StreamFrame::NeedMore => return,
                StreamFrame::Keepalive(n) => {
                    self.paths[i].buffer.drain(..n);
                }
                StreamFrame::Complete(n) => {
                    let message: Vec<u8> = self.paths[i].buffer.drain(..n).collect();
                    self.handle_message(i, &message);
                }
                StreamFrame::Invalid(_) => {
                    self.paths[i].buffer.clear();
                    self.paths[i].end_stream(StreamEndKind::Garbled);
                    return;
                }
            }
        }
    }

    /// Evidence for the classifier.
    fn evidence(&self) -> Vec<PathEvidence> {
        self.paths.iter().map(PathRun::evidence).collect()
    }
}

impl<R: ProbeRandom> Machine for AlgTest<R> {
    type Report = AlgReport;

    fn sockets(&self) -> Vec<SocketRequest> {
        let mut out = Vec::new();
        if self.paths.iter().any(|p| p.socket == UDP_SOCKET) {
            out.push(SocketRequest {
                id: UDP_SOCKET,
                kind: SocketKind::Udp,
                port: Some(SIP_PORT),
                tos: None,
            });
        }
        for p in self.paths.iter().filter(|p| p.socket != UDP_SOCKET) {
            let kind = match p.transport {
                SocketTransport::Tls => SocketKind::Tls { remote: p.server },
                _ => SocketKind::Tcp { remote: p.server },
            };
            out.push(SocketRequest {
                id: p.socket,
                kind,
                port: None,
                tos: None,
            });
        }
        out
    }

    fn bound(&mut self, socket: SocketId, local: Option<SocketAddr>) {
        let local = local.map(|l| self.local_for(l));
        if socket == UDP_SOCKET {
            self.udp_port = local.map(|l| l.port());
        }
        for path in self.paths.iter_mut().filter(|p| p.socket == socket) {
            path.opened = match local {
                Some(l) => Opened::Open(l),
                None => Opened::Failed,
            };
        }
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        for i in 0..self.paths.len() {
            self.ensure_probe(i);
            if let Some(t) = self.paths[i].poll_transmit(now, &self.timing) {
                return Some(t);
            }
        }
        None
    }

    fn handle_receive(
        &mut self,
        _now: Instant,
        socket: SocketId,
        from: SocketAddr,
        payload: &[u8],
    ) {
        if socket == UDP_SOCKET {
            // Only the reflector's own address counts as an answer (never infer from others).
            if let Some(i) = self
                .paths
                .iter()
                .position(|p| p.socket == UDP_SOCKET && p.server == from)
            {
                self.handle_message(i, payload);
            }
        } else if let Some(i) = self.paths.iter().position(|p| p.socket == socket) {
            self.handle_stream_bytes(i, payload);
        }
    }

    fn handle_stream_end(&mut self, _now: Instant, socket: SocketId, end: StreamEnd) {
        let kind = match end {
            StreamEnd::ConnectFailed | StreamEnd::ConnectRefused => StreamEndKind::ConnectFailed,
            StreamEnd::Closed => StreamEndKind::Closed,
            StreamEnd::Reset => StreamEndKind::Reset,
        };
        for path in self.paths.iter_mut().filter(|p| p.socket == socket) {
            if kind == StreamEndKind::ConnectFailed {
                path.opened = Opened::Failed;
            }
            path.end_stream(kind);
        }
    }

    fn poll_request(&mut self, now: Instant) -> Option<(RequestTag, Request)> {
        for (i, path) in self.paths.iter_mut().enumerate() {
            for (k, probe) in path.probes.iter_mut().enumerate() {
                if probe.mirror.state != LookupState::Queued {
                    continue;
                }
                let Some(call_id) = probe.mirror.candidates.get(probe.mirror.tried).cloned() else {
                    probe.mirror.state = LookupState::Done(Ok(Vec::new()));
                    continue;
                };
                probe.mirror.state = LookupState::Waiting(now + self.timing.mirror_timeout);
                let tag = RequestTag(self.next_tag);
                self.next_tag += 1;
                self.mirror_waits.insert(tag, (i, k));
                return Some((tag, Request::Mirror { call_id }));
            }
        }
        None
    }

    fn handle_reply(&mut self, _now: Instant, tag: RequestTag, reply: Reply) {
        let Some((i, k)) = self.mirror_waits.remove(&tag) else {
            return;
        };
        let transport = self.paths[i].transport;
        let public_ip = self.public_ip;
        let lookup = &mut self.paths[i].probes[k].mirror;
        match reply {
            Reply::Answer(Answer::Mirror { records }) => {
                if let Some(r) = records.first() {
                    self.public_ip.get_or_insert(r.source.ip());
                }
                let ours = records.iter().any(|r| r.transport == transport);
                lookup.tried += 1;
                if !ours {
                    // An ALG may have rewritten the Call-ID's host part: try it with the
                    // public IP before concluding the probe never arrived.
                    lookup.add_public_candidate(public_ip);
                }
                if ours || lookup.tried >= lookup.candidates.len() {
                    lookup.state = LookupState::Done(Ok(records));
                } else {
                    lookup.state = LookupState::Queued;
                }
            }
            Reply::Error { code, message } => {
                lookup.state = LookupState::Done(Err(format!("{code:?}: {message}")));
            }
            other => {
                lookup.state = LookupState::Done(Err(format!("unexpected reply {other:?}")));
            }
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.paths.iter().filter_map(PathRun::next_timer).min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        for path in &mut self.paths {
            path.handle_timeout(now);
            for probe in &mut path.probes {
                if let LookupState::Waiting(deadline) = probe.mirror.state
                    && deadline <= now
                {
                    let why = "the reflector did not answer the mirror request";
                    probe.mirror.state = LookupState::Done(Err(why.into()));
                }
            }
        }
        self.mirror_waits.retain(|_, (i, k)| {
            !matches!(self.paths[*i].probes[*k].mirror.state, LookupState::Done(_))
        });
    }

    fn report(&self) -> Option<AlgReport> {
        if !self.is_done() {
            return None;
        }
        let fallback = self.udp_port.filter(|p| *p != SIP_PORT);
        Some(classify(self.private_ip, fallback, &self.evidence()))
    }
}

/// Whether a reflector socket is where ALGs act (UDP/TCP 5060) or a control.
fn role_of(s: &ServerSocket) -> PathRole {
    if s.transport != SocketTransport::Tls && s.address.port() == SIP_PORT {
        PathRole::Tested
    } else {
        PathRole::Control
    }
}

fn transport_rank(t: SocketTransport) -> u8 {
    match t {
        SocketTransport::Udp => 0,
        SocketTransport::Tcp => 1,
        SocketTransport::Tls => 2,
    }
}

/// The IP in the mirror's `X-Sipwall-Observed: <TRANSPORT> <ip>:<port>`.
fn observed_ip(msg: &SipMessage<'_>) -> Option<IpAddr> {
    let value = msg.header(OBSERVED_HEADER)?;
    let addr: SocketAddr = value.split_whitespace().nth(1)?.parse().ok()?;
    Some(addr.ip())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opened {
    /// `bound` not called yet.
    Waiting,
    /// Open; probes carry this private address.
    Open(SocketAddr),
    Failed,
}

/// One path's progress.
#[derive(Debug)]
struct PathRun {
    name: String,
    transport: SocketTransport,
    server: SocketAddr,
    role: PathRole,
    socket: SocketId,
    opened: Opened,
    /// Built so far, in `ProbeKind::ALL` order.
    probes: Vec<ProbeRun>,
    /// The probe being sent or waited for; `ProbeKind::ALL.len()` when all are done.
    current: usize,
    /// Stream bytes not framed yet.
    buffer: Vec<u8>,
    /// Set when the stream ended (or failed to open) before the last probe was done.
    stream_end: Option<StreamEndKind>,
}

impl PathRun {
    fn new(s: &ServerSocket, socket: SocketId) -> PathRun {
        PathRun {
            name: s.name.clone(),
            transport: s.transport,
            server: s.address,
            role: role_of(s),
            socket,
            opened: Opened::Waiting,
            probes: Vec::new(),
            current: 0,
            buffer: Vec::new(),
            stream_end: None,
        }
    }

    fn is_done(&self) -> bool {
        let sending_over = self.current >= ProbeKind::ALL.len()
            || self.opened == Opened::Failed
            || self.stream_end.is_some();
        sending_over
            && self
                .probes
                .iter()
                .filter(|p| p.transmissions > 0)
                .all(|p| p.end.is_some() && p.mirror.is_settled())
    }

    fn poll_transmit(&mut self, now: Instant, timing: &AlgTiming) -> Option<Transmit> {
        if self.stream_end.is_some() {
            return None;
        }
        let udp = self.transport == SocketTransport::Udp;
        let probe = self.probes.get_mut(self.current)?;
        if !probe.send_now {
            return None;
        }
        probe.send_now = false;
        probe.transmissions += 1;
        if probe.transmissions == 1 {
            let wait = if udp {
                timing.udp_wait()
            } else {
                timing.stream_timeout
            };
            probe.deadline = Some(now + wait);
        }
        probe.next_retransmit = (udp && probe.transmissions < timing.transmissions).then(|| {
            now + timing
                .t1
                .saturating_mul(1 << (probe.transmissions - 1).min(16))
        });
        Some(Transmit {
            socket: self.socket,
            destination: self.server,
            payload: probe.probe.bytes.clone(),
        })
    }

    fn handle_timeout(&mut self, now: Instant) {
        let Some(probe) = self.probes.get_mut(self.current) else {
            return;
        };
        if probe.deadline.is_some_and(|d| d <= now) {
            self.finish_current(ProbeEnd::TimedOut);
        } else if probe.next_retransmit.is_some_and(|t| t <= now) {
            probe.next_retransmit = None;
            probe.send_now = true;
        }
    }

    fn next_timer(&self) -> Option<Instant> {
        let probe = self.probes.get(self.current);
        let probe_timer = probe.and_then(|p| match (p.next_retransmit, p.deadline) {
            (Some(r), Some(d)) => Some(r.min(d)),
            (r, d) => r.or(d),
        });
        let mirror = self.probes.iter().filter_map(|p| match p.mirror.state {
            LookupState::Waiting(d) => Some(d),
            _ => None,
        });
        probe_timer.into_iter().chain(mirror).min()
    }

    /// Ends the current probe's wait and queues its mirror lookup; the next probe follows.
    fn finish_current(&mut self, end: ProbeEnd) {
        if let Some(probe) = self.probes.get_mut(self.current) {
            probe.end = Some(end);
            probe.next_retransmit = None;
            probe.deadline = None;
            probe.mirror.state = LookupState::Queued;
            self.current += 1;
        }
    }

    /// The stream is over: the probe waiting gets `kind`, the rest are never sent.
    fn end_stream(&mut self, kind: StreamEndKind) {
        if self.stream_end.is_some() || self.current >= ProbeKind::ALL.len() {
            return;
        }
        self.stream_end = Some(kind);
        let waiting = self
            .probes
            .get(self.current)
            .is_some_and(|p| p.transmissions > 0);
        if waiting {
            self.finish_current(ProbeEnd::Stream(kind));
        }
    }

    fn evidence(&self) -> PathEvidence {
        let probes = ProbeKind::ALL
            .iter()
            .enumerate()
            .map(
                |(k, kind)| match self.probes.get(k).filter(|p| p.transmissions > 0) {
                    Some(p) => p.evidence(),
                    None => ProbeEvidence {
                        kind: *kind,
                        call_id: String::new(),
                        sent: Vec::new(),
                        transmissions: 0,
                        response: None,
                        provisional: Vec::new(),
                        end: ProbeEnd::NotSent,
                        records: Ok(Vec::new()),
                    },
                },
            )
            .collect();
        PathEvidence {
            name: self.name.clone(),
            transport: self.transport,
            server: self.server,
            role: self.role,
            local: match self.opened {
                Opened::Open(l) => Some(l),
                _ => None,
            },
            stream_end: self.stream_end,
            probes,
        }
    }
}

/// One probe's progress.
#[derive(Debug)]
struct ProbeRun {
    probe: Probe,
    send_now: bool,
    transmissions: u32,
    next_retransmit: Option<Instant>,
    deadline: Option<Instant>,
    response: Option<Vec<u8>>,
    provisional: Vec<u16>,
    end: Option<ProbeEnd>,
    mirror: MirrorLookup,
}

impl ProbeRun {
    fn new(probe: Probe) -> ProbeRun {
        let call_id = probe.call_id.clone();
        ProbeRun {
            probe,
            send_now: true,
            transmissions: 0,
            next_retransmit: None,
            deadline: None,
            response: None,
            provisional: Vec::new(),
            end: None,
            mirror: MirrorLookup {
                candidates: vec![call_id],
                tried: 0,
                state: LookupState::Idle,
            },
        }
    }

    fn evidence(&self) -> ProbeEvidence {
        let records = match &self.mirror.state {
            LookupState::Done(r) => r.clone(),
            _ => Err("the mirror record was not fetched".into()),
        };
        ProbeEvidence {
            kind: self.probe.kind,
            call_id: self.probe.call_id.clone(),
            sent: self.probe.bytes.clone(),
            transmissions: self.transmissions,
            response: self.response.clone(),
            provisional: self.provisional.clone(),
            end: self.end.unwrap_or(ProbeEnd::TimedOut),
            records,
        }
    }
}

/// Fetching a probe's mirror records, trying Call-IDs an ALG may have produced.
#[derive(Debug)]
struct MirrorLookup {
    /// Our Call-ID first, then the one the answer carried (if different), then ours with the
    /// public IP as host.
    candidates: Vec<String>,
    tried: usize,
    state: LookupState,
}

impl MirrorLookup {
    fn is_settled(&self) -> bool {
        matches!(self.state, LookupState::Done(_))
    }

    fn add_public_candidate(&mut self, public_ip: Option<IpAddr>) {
        let (Some(ip), Some(first)) = (public_ip, self.candidates.first()) else {
            return;
        };
        let Some((random, _)) = first.split_once('@') else {
            return;
        };
        let candidate = format!("{random}@{ip}");
        if !self.candidates.contains(&candidate) {
            self.candidates.push(candidate);
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum LookupState {
    /// The probe is still in flight.
    Idle,
    /// Ready to be asked for (candidate `tried`).
    Queued,
    /// Asked; the reply is due by then.
    Waiting(Instant),
    Done(Result<Vec<MirrorRecord>, String>),
}
