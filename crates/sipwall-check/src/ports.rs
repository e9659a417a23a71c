//! Ports, both ways.
//!
//! **Outbound:** every port the profile's outbound flows need (SIP, STUN, samples across RTP
//! ranges…) is tried against a reflector socket that really listens there, with an answer the
//! reflector only gives to this session (a port probe, a token-bearing SIP OPTIONS, a STUN
//! Binding). Known-good controls — STUN on the primary socket for UDP, the control connection
//! itself for TCP — keep "blocked" apart from "reflector down": without a working control, a
//! silent port is *inconclusive*, never *blocked*. A port the reflector does not serve is
//! reported as not testable, with the flag that would make it testable.
//!
//! **Inbound** (`--inbound`, on-site PBX profiles): the reflector tries to reach this network's
//! public address on each forwarded port from an address the check never contacted; ports that
//! must never be forwarded (e.g. 22) must not be reachable.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sipwall_profile::model::{Direction, Flow, NeverForward, Purpose, Transport};
use sipwall_proto::control::{
    self, Answer, Event, InboundOutcome, InboundTransport, Request, ServerSocket, Service,
    SocketTransport,
};
use sipwall_proto::stun::{BindingResponse, Seal, TransactionId, binding_request};

use crate::sansio::{
    Machine, Reply, RequestTag, SocketId, SocketKind, SocketRequest, StreamEnd, Transmit,
};

/// UDP probes are sent this many times, this far apart; then the port has `UDP_DEADLINE`.
const UDP_COPIES: u32 = 3;
const UDP_SPACING: Duration = Duration::from_millis(300);
const UDP_DEADLINE: Duration = Duration::from_millis(1500);
/// After a stream connects, the probe's answer must come within this time.
const STREAM_DEADLINE: Duration = Duration::from_secs(3);
/// Samples taken inside a port range besides its first and last port.
const RANGE_SAMPLES: u16 = 3;

/// Which reflector service answers a probe on a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    Stun,
    SipOptions,
    PortProbe,
    /// The control channel: the connection the check already holds proves the port open.
    Control,
}

/// One port to try, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortTarget {
    pub transport: SocketTransport,
    pub port: u16,
    /// The profile flows that need this port.
    pub flows: Vec<String>,
    /// The reflector socket that answers on it, if any.
    pub server: Option<SocketAddr>,
    pub kind: Option<ProbeKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortStatus {
    /// The reflector answered through this port.
    Open,
    /// No answer (or connection refused) while the control on the same transport worked.
    Blocked,
    /// No answer and the control failed too: the firewall cannot be blamed.
    Inconclusive,
    /// The reflector does not listen on this port.
    NotTestable,
}

impl PortStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PortStatus::Open => "open",
            PortStatus::Blocked => "blocked",
            PortStatus::Inconclusive => "inconclusive",
            PortStatus::NotTestable => "not testable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortResult {
    pub target: PortTarget,
    pub status: PortStatus,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundReport {
    pub udp_control: bool,
    pub tcp_control: bool,
    pub ports: Vec<PortResult>,
}

/// The ports the profile's outbound flows need, each matched to a reflector socket.
pub fn plan_outbound(flows: &[Flow], sockets: &[ServerSocket]) -> Vec<PortTarget> {
    let mut wanted: Vec<(SocketTransport, u16, String)> = Vec::new();
    for flow in flows.iter().filter(|f| f.direction != Direction::Inbound) {
        let ranges: Vec<_> = flow.remote_ports.iter().filter_map(|p| p.range()).collect();
        for transport in &flow.transports {
            let transport = match transport {
                Transport::Udp => SocketTransport::Udp,
                Transport::Tcp => SocketTransport::Tcp,
                Transport::Tls => SocketTransport::Tls,
            };
            for range in &ranges {
                // "any" remote port says nothing testable about the firewall's port rules.
                if range.first == 1 && range.last == 65535 {
                    continue;
                }
                for port in samples(range.first, range.last) {
                    wanted.push((transport, port, flow.name.clone()));
                }
            }
        }
    }
    let mut targets: Vec<PortTarget> = Vec::new();
    for (transport, port, flow) in wanted {
        if let Some(existing) = targets
            .iter_mut()
            .find(|t| t.transport == transport && t.port == port)
        {
            if !existing.flows.contains(&flow) {
                existing.flows.push(flow);
            }
            continue;
        }
        let served = serving_socket(sockets, transport, port);
        targets.push(PortTarget {
            transport,
            port,
            flows: vec![flow],
            server: served.map(|(address, _)| address),
            kind: served.map(|(_, kind)| kind),
        });
    }
    targets.sort_by_key(|t| (t.transport as u8, t.port));
    targets
}

/// First, last and a few evenly spaced ports of a range.
fn samples(first: u16, last: u16) -> Vec<u16> {
    let mut ports = BTreeSet::from([first, last]);
    let span = u32::from(last - first);
    for i in 1..=RANGE_SAMPLES {
        let offset = span * u32::from(i) / u32::from(RANGE_SAMPLES + 1);
        ports.insert(first + offset as u16);
    }
    ports.into_iter().collect()
}

/// The reflector socket that answers on `port`, and how it answers.
fn serving_socket(
    sockets: &[ServerSocket],
    transport: SocketTransport,
    port: u16,
) -> Option<(SocketAddr, ProbeKind)> {
    sockets.iter().find_map(|socket| {
        if socket.transport != transport {
            return None;
        }
        let first = socket.address.port();
        let last = socket.last_port.unwrap_or(first);
        if !(first..=last).contains(&port) {
            return None;
        }
        let kind = match socket.service {
            Service::StunPp | Service::StunPa | Service::StunAp | Service::StunAa => {
                ProbeKind::Stun
            }
            Service::SipMirror => ProbeKind::SipOptions,
            Service::PortProbe => ProbeKind::PortProbe,
            Service::Control => ProbeKind::Control,
        };
        Some((SocketAddr::new(socket.address.ip(), port), kind))
    })
}

/// A small token-bearing OPTIONS: the mirror answers it 200 (any SIP answer proves the path).
fn sip_options(
    token: &str,
    transport: SocketTransport,
    local: SocketAddr,
    remote: SocketAddr,
    call: u32,
) -> Vec<u8> {
    let via = match transport {
        SocketTransport::Udp => "UDP",
        SocketTransport::Tcp => "TCP",
        SocketTransport::Tls => "TLS",
    };
    format!(
        "OPTIONS sip:ports@{remote} SIP/2.0\r\n\
Via: SIP/2.0/{via} {local};branch=z9hG4bK-sipwall-ports-{call};rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:ports@{local}>;tag=sipwall{call}\r\n\
To: <sip:ports@{remote}>\r\n\
Call-ID: sipwall-ports-{call}-{token_part}\r\n\
CSeq: 1 OPTIONS\r\n\
X-Sipwall-Probe: {token}\r\n\
Content-Length: 0\r\n\r\n",
        token_part = &token[..8.min(token.len())]
    )
    .into_bytes()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Waiting,
    Answered,
    Failed(&'static str),
}

struct Probe {
    target: PortTarget,
    socket: SocketId,
    local: Option<SocketAddr>,
    request: Vec<u8>,
    /// What a valid answer starts with (port probes echo the nonce; STUN answers are matched
    /// by transaction id).
    transaction: Option<TransactionId>,
    nonce: String,
    sent: u32,
    next_send: Option<Instant>,
    deadline: Option<Instant>,
    progress: Progress,
    received: Vec<u8>,
}

/// The outbound port matrix as a machine.
pub struct OutboundPorts {
    token: String,
    probes: Vec<Probe>,
    /// Index of the UDP control probe (STUN to the primary socket) in `probes`.
    udp_control: Option<usize>,
    results: Vec<PortResult>,
    started: Option<Instant>,
}

impl OutboundPorts {
    /// `stun_primary`: the reflector's STUN primary socket (the UDP control).
    pub fn new(
        token: &str,
        targets: Vec<PortTarget>,
        stun_primary: SocketAddr,
        ids: &mut impl FnMut() -> [u8; 12],
    ) -> OutboundPorts {
        let mut probes = Vec::new();
        let mut results = Vec::new();
        let control_target = PortTarget {
            transport: SocketTransport::Udp,
            port: stun_primary.port(),
            flows: vec!["(control)".into()],
            server: Some(stun_primary),
            kind: Some(ProbeKind::Stun),
        };
        for target in std::iter::once(control_target).chain(targets) {
            let kind = match (target.server, target.kind) {
                (Some(_), Some(kind)) => kind,
                _ => {
                    let hint = match target.transport {
                        SocketTransport::Udp => format!("--port-matrix udp:{}", target.port),
                        SocketTransport::Tcp => format!("--port-matrix tcp:{}", target.port),
                        SocketTransport::Tls => "a TLS port".to_owned(),
                    };
                    results.push(PortResult {
                        evidence: format!(
                            "the reflector does not listen here (it would with {hint})"
                        ),
                        status: PortStatus::NotTestable,
                        target,
                    });
                    continue;
                }
            };
            let socket = SocketId(probes.len() as u32);
            let transaction = (kind == ProbeKind::Stun).then(|| TransactionId(ids()));
            let nonce = format!("p{}-{}", socket.0, target.port);
            probes.push(Probe {
                target,
                socket,
                local: None,
                request: Vec::new(),
                transaction,
                nonce,
                sent: 0,
                next_send: None,
                deadline: None,
                progress: Progress::Waiting,
                received: Vec::new(),
            });
        }
        OutboundPorts {
            token: token.to_owned(),
            udp_control: Some(0).filter(|_| !probes.is_empty()),
            probes,
            results,
            started: None,
        }
    }

    fn build_request(&self, probe: &Probe) -> Vec<u8> {
        let remote = probe.target.server.expect("only served targets are probed");
        let local = probe
            .local
            .unwrap_or(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 0));
        match probe.target.kind {
            Some(ProbeKind::Stun) => {
                let mut request = Vec::new();
                let id = probe.transaction.expect("STUN probes have a transaction");
                binding_request(id, &[], Seal::FINGERPRINT, &mut request)
                    .expect("a plain request encodes");
                request
            }
            Some(ProbeKind::SipOptions) => sip_options(
                &self.token,
                probe.target.transport,
                local,
                remote,
                probe.socket.0,
            ),
            Some(ProbeKind::PortProbe) => control::port_probe(&self.token, &probe.nonce),
            Some(ProbeKind::Control) | None => Vec::new(),
        }
    }

    fn answered(&self, probe: &Probe, payload: &[u8]) -> bool {
        match probe.target.kind {
            Some(ProbeKind::Stun) => BindingResponse::parse(payload)
                .is_ok_and(|r| r.success && Some(r.message.transaction_id()) == probe.transaction),
            Some(ProbeKind::SipOptions) => payload.starts_with(b"SIP/2.0 "),
            Some(ProbeKind::PortProbe) => {
                let expected = format!("{} 1 {} ", control::PORT_PROBE_MAGIC, probe.nonce);
                payload.starts_with(expected.as_bytes())
            }
            Some(ProbeKind::Control) | None => false,
        }
    }

    fn control_answered(&self) -> bool {
        self.udp_control
            .is_some_and(|i| self.probes[i].progress == Progress::Answered)
    }

    /// Every probe's status; controls decide between blocked and inconclusive.
    fn results(&self) -> Vec<PortResult> {
        let udp_control = self.control_answered();
        // The control connection is TCP and it is open (the session exists): TCP gets out.
        let tcp_control = true;
        let mut results = self.results.clone();
        for (index, probe) in self.probes.iter().enumerate() {
            if Some(index) == self.udp_control {
                continue;
            }
            let control_ok = match probe.target.transport {
                SocketTransport::Udp => udp_control,
                _ => tcp_control,
            };
            let (status, evidence) = match probe.progress {
                Progress::Answered => (
                    PortStatus::Open,
                    "the reflector answered through this port".to_owned(),
                ),
                _ if !control_ok => (
                    PortStatus::Inconclusive,
                    "no answer, and the control on this transport failed too".to_owned(),
                ),
                Progress::Failed(why) => (
                    PortStatus::Blocked,
                    format!("{why}; the control on this transport works"),
                ),
                Progress::Waiting => continue,
            };
            results.push(PortResult {
                target: probe.target.clone(),
                status,
                evidence,
            });
        }
        results.sort_by_key(|r| (r.target.transport as u8, r.target.port));
        results
    }
}

impl Machine for OutboundPorts {
    type Report = OutboundReport;

    fn sockets(&self) -> Vec<SocketRequest> {
        self.probes
            .iter()
            .filter(|p| p.target.kind != Some(ProbeKind::Control))
            .map(|p| {
                let remote = p.target.server.expect("served");
                let kind = match p.target.transport {
                    SocketTransport::Udp => SocketKind::Udp,
                    SocketTransport::Tcp => SocketKind::Tcp { remote },
                    SocketTransport::Tls => SocketKind::Tls { remote },
                };
                SocketRequest {
                    id: p.socket,
                    kind,
                    port: None,
                    tos: None,
                }
            })
            .collect()
    }

    fn bound(&mut self, socket: SocketId, local: Option<SocketAddr>) {
        if let Some(probe) = self.probes.iter_mut().find(|p| p.socket == socket) {
            probe.local = local;
        }
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if self.started.is_none() {
            self.started = Some(now);
            for index in 0..self.probes.len() {
                let request = self.build_request(&self.probes[index]);
                let probe = &mut self.probes[index];
                probe.request = request;
                match probe.target.kind {
                    Some(ProbeKind::Control) => probe.progress = Progress::Answered,
                    _ if probe.local.is_none()
                        && probe.target.transport == SocketTransport::Udp =>
                    {
                        probe.progress = Progress::Failed("no local socket");
                    }
                    _ => {
                        probe.next_send = Some(now);
                        let wait = if probe.target.transport == SocketTransport::Udp {
                            UDP_DEADLINE
                        } else {
                            STREAM_DEADLINE
                        };
                        probe.deadline = Some(now + wait);
                    }
                }
            }
        }
        for probe in self.probes.iter_mut() {
            if probe.progress != Progress::Waiting || probe.next_send.is_none_or(|t| t > now) {
                continue;
            }
            probe.sent += 1;
            let udp = probe.target.transport == SocketTransport::Udp;
            probe.next_send = (udp && probe.sent < UDP_COPIES).then_some(now + UDP_SPACING);
            return Some(Transmit {
                socket: probe.socket,
                destination: probe.target.server.expect("served"),
                payload: probe.request.clone(),
            });
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
        let Some(index) = self.probes.iter().position(|p| p.socket == socket) else {
            return;
        };
        let probe = &self.probes[index];
        // Only the probed socket's own answer counts: anything else on the port proves nothing.
        if probe.target.transport == SocketTransport::Udp && Some(from) != probe.target.server {
            return;
        }
        let mut buffer = std::mem::take(&mut self.probes[index].received);
        buffer.extend_from_slice(payload);
        buffer.truncate(4096);
        let answered = self.answered(&self.probes[index], &buffer);
        let probe = &mut self.probes[index];
        probe.received = buffer;
        if answered && probe.progress == Progress::Waiting {
            probe.progress = Progress::Answered;
        }
    }

    fn handle_stream_end(&mut self, _now: Instant, socket: SocketId, end: StreamEnd) {
        if let Some(probe) = self.probes.iter_mut().find(|p| p.socket == socket)
            && probe.progress == Progress::Waiting
        {
            probe.progress = Progress::Failed(match end {
                StreamEnd::ConnectFailed => "the connection could not be opened",
                StreamEnd::Reset => "the connection was reset",
                StreamEnd::Closed => "the connection was closed without an answer",
            });
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let started = self.started?;
        self.probes
            .iter()
            .filter(|p| p.progress == Progress::Waiting)
            .flat_map(|p| [p.next_send, p.deadline])
            .flatten()
            .min()
            .or(Some(started))
    }

    fn handle_timeout(&mut self, now: Instant) {
        for probe in self.probes.iter_mut() {
            if probe.progress == Progress::Waiting && probe.deadline.is_some_and(|d| d <= now) {
                probe.progress =
                    Progress::Failed(if probe.target.transport == SocketTransport::Udp {
                        "no answer to 3 datagrams"
                    } else {
                        "connected, but no answer"
                    });
            }
        }
    }

    fn report(&self) -> Option<OutboundReport> {
        let finished =
            self.started.is_some() && self.probes.iter().all(|p| p.progress != Progress::Waiting);
        finished.then(|| OutboundReport {
            udp_control: self.control_answered(),
            tcp_control: true,
            ports: self.results(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Inbound

/// One port the reflector tries to reach on this network's public address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundTarget {
    pub transport: InboundTransport,
    pub port: u16,
    /// The flow that forwards it, or the never-forward rule that forbids it.
    pub reason: String,
    /// True for a port that must be reachable (a forward), false for one that must not be.
    pub must_be_reachable: bool,
    /// Send a SIP OPTIONS too (UDP SIP ports): a PBX behind the forward answers it.
    pub sip_options: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    Reachable,
    NotReachable,
    /// Sent, but this host could not listen on the port and nothing answered: the forward
    /// may point at another host (run the check on that host).
    Unknown,
}

impl Reachability {
    pub fn as_str(self) -> &'static str {
        match self {
            Reachability::Reachable => "reachable",
            Reachability::NotReachable => "not reachable",
            Reachability::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundResult {
    pub target: InboundTarget,
    pub reachability: Reachability,
    pub outcome: Option<InboundOutcome>,
    /// The address the test came from.
    pub source: Option<SocketAddr>,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundReport {
    pub results: Vec<InboundResult>,
    /// Set when the reflector cannot run inbound tests (no second address).
    pub unavailable: Option<String>,
}

/// Forwards the profile asks for and ports it forbids forwarding.
pub fn plan_inbound(flows: &[Flow], never_forward: &[NeverForward]) -> Vec<InboundTarget> {
    let mut targets: Vec<InboundTarget> = Vec::new();
    let mut push = |target: InboundTarget| {
        if !targets
            .iter()
            .any(|t| t.transport == target.transport && t.port == target.port)
        {
            targets.push(target);
        }
    };
    for flow in flows
        .iter()
        .filter(|f| f.direction != Direction::Outbound && f.forward_to.is_some())
    {
        for spec in &flow.local_ports {
            let Some(range) = spec.range() else { continue };
            for port in samples(range.first, range.last) {
                for transport in &flow.transports {
                    let transport = match transport {
                        Transport::Udp => InboundTransport::Udp,
                        Transport::Tcp | Transport::Tls => InboundTransport::Tcp,
                    };
                    push(InboundTarget {
                        transport,
                        port,
                        reason: format!("forward {}", flow.name),
                        must_be_reachable: flow.required,
                        sip_options: transport == InboundTransport::Udp
                            && flow.purpose == Purpose::SipSignalling,
                    });
                }
            }
        }
    }
    for rule in never_forward {
        for transport in &rule.transports {
            let transport = match transport {
                Transport::Udp => InboundTransport::Udp,
                Transport::Tcp | Transport::Tls => InboundTransport::Tcp,
            };
            push(InboundTarget {
                transport,
                port: rule.port,
                reason: format!("never forward {} ({})", rule.port, rule.service),
                must_be_reachable: false,
                sip_options: false,
            });
        }
    }
    targets
}

struct InboundState {
    target: InboundTarget,
    socket: Option<SocketId>,
    listening: bool,
    requested: bool,
    outcome: Option<InboundOutcome>,
    source: Option<SocketAddr>,
    datagram: bool,
    done: bool,
    /// After the outcome, how long to keep listening for the datagrams.
    linger_until: Option<Instant>,
}

/// Inbound tests as a machine: one `inbound` request per target, with a local UDP socket on
/// the port where possible so the datagrams can be seen arriving.
pub struct InboundPorts {
    states: Vec<InboundState>,
    unavailable: Option<String>,
}

impl InboundPorts {
    pub fn new(targets: Vec<InboundTarget>) -> InboundPorts {
        let states = targets
            .into_iter()
            .enumerate()
            .map(|(i, target)| InboundState {
                socket: Some(SocketId(i as u32)),
                target,
                listening: false,
                requested: false,
                outcome: None,
                source: None,
                datagram: false,
                done: false,
                linger_until: None,
            })
            .collect();
        InboundPorts {
            states,
            unavailable: None,
        }
    }

    fn nonce(index: usize) -> String {
        format!("in{index}")
    }
}

impl Machine for InboundPorts {
    type Report = InboundReport;

    fn sockets(&self) -> Vec<SocketRequest> {
        self.states
            .iter()
            .filter_map(|s| {
                let kind = match s.target.transport {
                    InboundTransport::Udp => SocketKind::Udp,
                    InboundTransport::Tcp => SocketKind::TcpListen,
                };
                s.socket.map(|id| SocketRequest {
                    id,
                    kind,
                    port: Some(s.target.port),
                    tos: None,
                })
            })
            .collect()
    }

    fn bound(&mut self, socket: SocketId, local: Option<SocketAddr>) {
        if let Some(state) = self.states.iter_mut().find(|s| s.socket == Some(socket)) {
            state.listening = local.is_some_and(|l| l.port() == state.target.port);
        }
    }

    fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit> {
        None
    }

    fn poll_request(&mut self, _now: Instant) -> Option<(RequestTag, Request)> {
        if self.unavailable.is_some() {
            return None;
        }
        let (index, state) = self
            .states
            .iter_mut()
            .enumerate()
            .find(|(_, s)| !s.requested)?;
        state.requested = true;
        let request = Request::Inbound {
            transport: state.target.transport,
            port: state.target.port,
            nonce: Self::nonce(index),
            sip_options: state.target.sip_options,
        };
        Some((RequestTag(index as u32), request))
    }

    fn handle_reply(&mut self, now: Instant, tag: RequestTag, reply: Reply) {
        let Some(state) = self.states.get_mut(tag.0 as usize) else {
            return;
        };
        match reply {
            Reply::Answer(Answer::InboundStarted { source }) => state.source = Some(source),
            Reply::Event(Event::InboundResult { outcome }) => {
                state.outcome = Some(outcome);
                // Datagrams were sent before the outcome; give the last one a moment.
                state.linger_until = Some(now + Duration::from_millis(300));
            }
            Reply::Error { message, .. } => {
                self.unavailable = Some(message);
                for state in &mut self.states {
                    state.done = true;
                }
            }
            _ => {}
        }
    }

    fn handle_receive(
        &mut self,
        _now: Instant,
        socket: SocketId,
        from: SocketAddr,
        payload: &[u8],
    ) {
        let Some((index, state)) = self
            .states
            .iter_mut()
            .enumerate()
            .find(|(_, s)| s.socket == Some(socket))
        else {
            return;
        };
        let expected = control::inbound_payload(&Self::nonce(index));
        // Only the reflector's own test payload from its inbound address counts.
        if payload == expected.as_slice() && state.source.is_none_or(|s| s.ip() == from.ip()) {
            state.datagram = true;
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.states
            .iter()
            .filter(|s| !s.done)
            .filter_map(|s| s.linger_until)
            .min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        for state in &mut self.states {
            if state.linger_until.is_some_and(|t| t <= now) {
                state.done = true;
            }
        }
    }

    fn report(&self) -> Option<InboundReport> {
        if !self.states.iter().all(|s| s.done) {
            return None;
        }
        let results = self
            .states
            .iter()
            .filter(|_| self.unavailable.is_none())
            .map(|s| {
                let (reachability, evidence) = judge_inbound(s);
                InboundResult {
                    target: s.target.clone(),
                    reachability,
                    outcome: s.outcome,
                    source: s.source,
                    evidence,
                }
            })
            .collect();
        Some(InboundReport {
            results,
            unavailable: self.unavailable.clone(),
        })
    }
}

fn judge_inbound(state: &InboundState) -> (Reachability, String) {
    let from = state
        .source
        .map_or_else(|| "the reflector".to_owned(), |s| s.to_string());
    let port = state.target.port;
    if state.datagram {
        return (
            Reachability::Reachable,
            format!("the test from {from} arrived on this host's port {port}"),
        );
    }
    let here = if state.listening {
        format!("this host listened on port {port}")
    } else {
        format!("port {port} is in use on this host")
    };
    match state.outcome {
        Some(InboundOutcome::Connected) if state.listening => (
            Reachability::Reachable,
            format!(
                "{from} connected, though not to this host ({here}): the forward points elsewhere"
            ),
        ),
        Some(InboundOutcome::Connected) => (
            Reachability::Reachable,
            format!("{from} opened a TCP connection ({here})"),
        ),
        Some(InboundOutcome::Answered) => (
            Reachability::Reachable,
            format!("something answered a SIP OPTIONS from {from}"),
        ),
        Some(InboundOutcome::Refused) if state.listening => (
            Reachability::NotReachable,
            format!(
                "rejected before reaching this host ({here}): not forwarded, or forwarded to another host"
            ),
        ),
        Some(InboundOutcome::Refused) => (
            Reachability::Unknown,
            format!(
                "rejected (reset or ICMP port unreachable) while {here}: the firewall or the service here refused it"
            ),
        ),
        Some(InboundOutcome::Timeout) => (
            Reachability::NotReachable,
            "no answer within 3 s (dropped)".to_owned(),
        ),
        Some(InboundOutcome::Unreachable) => (
            Reachability::NotReachable,
            "the reflector could not send to this address".to_owned(),
        ),
        Some(InboundOutcome::Sent) if state.listening => (
            Reachability::NotReachable,
            format!("sent from {from}, but nothing arrived ({here})"),
        ),
        Some(InboundOutcome::Sent) | None => (
            Reachability::Unknown,
            format!(
                "sent, but {here} so arrival could not be seen; run the check on the host the forward points at"
            ),
        ),
    }
}

#[cfg(test)]
mod tests;
