//! The outbound port matrix as a machine.
//!
//! UDP: each port gets copies of its probe until it is answered or until silence is
//! trustworthy — "blocked" needs the chance that every copy (or its answer) was simply lost
//! to be below `SILENCE_ERROR`, given the round-trip loss measured meanwhile by beacons (STUN
//! requests to the reflector's primary socket, the UDP control); otherwise the port is
//! *inconclusive*. TCP and TLS: several connection attempts in parallel; a reset is
//! a rejection, timeouts count like silent copies (each attempt's kernel sends three SYNs).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sipwall_proto::control::{self, SocketTransport};
use sipwall_proto::stun::{BindingResponse, Seal, TransactionId, binding_request};

use super::{OutboundReport, PortResult, PortStatus, PortTarget, ProbeKind};
use crate::sansio::{Machine, SocketId, SocketKind, SocketRequest, StreamEnd, Transmit};

/// UDP copies: at least this many before silence can count, at most this many in all; in
/// between, copies stop as soon as the measured loss makes silence trustworthy (a sequential
/// test: a clean path decides after ~6 copies, a lossy one takes more or ends inconclusive).
const UDP_MIN_COPIES: u32 = 3;
const UDP_COPIES: u32 = 20;
const UDP_SPACING: Duration = Duration::from_millis(200);
/// At least this many beacons, so the UDP control is tried even without UDP probes; at most
/// this many in all (4 s of them).
const MIN_BEACONS: usize = 3;
const MAX_BEACONS: usize = 40;
/// Loss beacons to the UDP control while UDP probes are pending (within the reflector's
/// per-source burst, alongside the other tests).
const BEACON_SPACING: Duration = Duration::from_millis(100);
/// After the last copy, how long an answer may take.
const UDP_LINGER: Duration = Duration::from_millis(800);
/// Parallel connection attempts per TCP/TLS port, and the SYNs each sends before the
/// driver's connect timeout.
const STREAM_ATTEMPTS: usize = 5;
const SYNS_PER_ATTEMPT: i32 = 3;
/// After a connection opens, the probe's answer must come within this time.
const STREAM_DEADLINE: Duration = Duration::from_secs(3);
/// The highest acceptable chance that "blocked" is only bad luck.
const SILENCE_ERROR: f64 = 1e-4;

/// One connection attempt (streams) or the single socket (UDP).
struct Attempt {
    socket: SocketId,
    local: Option<SocketAddr>,
    end: Option<StreamEnd>,
    /// Stream attempts: the probe was written; bytes received so far.
    sent: bool,
    received: Vec<u8>,
}

struct Probe {
    target: PortTarget,
    kind: ProbeKind,
    server: SocketAddr,
    attempts: Vec<Attempt>,
    transaction: Option<TransactionId>,
    nonce: String,
    /// UDP datagrams sent, and how many had been sent when the answer came.
    sent: u32,
    answered_after: Option<u32>,
    next_send: Option<Instant>,
    deadline: Option<Instant>,
    answered: bool,
}

impl Probe {
    fn is_udp(&self) -> bool {
        self.target.transport == SocketTransport::Udp
    }

    fn done(&self, now: Instant) -> bool {
        self.answered
            || if self.is_udp() {
                self.next_send.is_none() && self.deadline.is_some_and(|d| d <= now)
            } else {
                self.attempts.iter().all(|a| a.end.is_some())
            }
    }
}

/// A STUN request to the UDP control, sent to measure round-trip loss.
struct Beacon {
    id: TransactionId,
    sent_at: Instant,
    answered: bool,
}

pub struct OutboundPorts {
    token: String,
    /// The UDP control: the reflector's STUN primary socket, and the beacons sent to it.
    control: SocketAddr,
    control_socket: SocketId,
    control_local: Option<SocketAddr>,
    beacons: Vec<Beacon>,
    next_beacon: Option<Instant>,
    ids: Box<dyn FnMut() -> [u8; 12] + Send>,
    /// The latest time the machine was given (beacons expire against it).
    now: Option<Instant>,
    probes: Vec<Probe>,
    /// Targets the reflector does not serve, reported as they are.
    untestable: Vec<PortResult>,
    started: Option<Instant>,
    finished: bool,
}

impl OutboundPorts {
    /// `stun_primary`: the reflector's STUN primary socket, the UDP control. `ids` makes STUN
    /// transaction ids (injectable for tests).
    pub fn new(
        token: &str,
        targets: Vec<PortTarget>,
        stun_primary: SocketAddr,
        mut ids: Box<dyn FnMut() -> [u8; 12] + Send>,
    ) -> OutboundPorts {
        let mut probes = Vec::new();
        let mut untestable = Vec::new();
        let mut next_socket = 0u32;
        for target in targets {
            let (Some(server), Some(kind)) = (target.server, target.kind) else {
                untestable.push(not_testable(target));
                continue;
            };
            let count = if target.transport == SocketTransport::Udp || kind == ProbeKind::Control {
                1
            } else {
                STREAM_ATTEMPTS
            };
            let attempts = (0..count)
                .map(|_| {
                    next_socket += 1;
                    Attempt {
                        socket: SocketId(next_socket),
                        local: None,
                        end: None,
                        sent: false,
                        received: Vec::new(),
                    }
                })
                .collect();
            probes.push(Probe {
                nonce: format!("p{next_socket}-{}", target.port),
                transaction: (kind == ProbeKind::Stun).then(|| TransactionId(ids())),
                target,
                kind,
                server,
                attempts,
                sent: 0,
                answered_after: None,
                next_send: None,
                deadline: None,
                // The control connection already proves its own port open.
                answered: kind == ProbeKind::Control,
            });
        }
        OutboundPorts {
            token: token.to_owned(),
            control: stun_primary,
            control_socket: SocketId(0),
            control_local: None,
            beacons: Vec::new(),
            next_beacon: None,
            ids,
            now: None,
            probes,
            untestable,
            started: None,
            finished: false,
        }
    }

    fn request(&self, probe: &Probe, local: Option<SocketAddr>) -> Vec<u8> {
        let local = local.unwrap_or(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 0));
        match probe.kind {
            ProbeKind::Stun => {
                let mut request = Vec::new();
                let id = probe.transaction.expect("STUN probes have a transaction");
                binding_request(id, &[], Seal::FINGERPRINT, &mut request)
                    .expect("a plain request encodes");
                request
            }
            ProbeKind::SipOptions => sip_options(
                &self.token,
                probe.target.transport,
                local,
                probe.server,
                &probe.nonce,
            ),
            ProbeKind::PortProbe => control::port_probe(&self.token, &probe.nonce),
            ProbeKind::Control => Vec::new(),
        }
    }

    /// Round-trip loss per datagram, as a one-sided 95 % upper bound, from the beacons whose
    /// answer is in or overdue.
    fn loss_upper_bound(&self) -> f64 {
        let now = self.now.unwrap_or_else(Instant::now);
        let judged = self
            .beacons
            .iter()
            .filter(|b| b.answered || b.sent_at + UDP_LINGER <= now);
        let (trials, failures) =
            judged.fold((0, 0), |(t, f), b| (t + 1, f + u32::from(!b.answered)));
        wilson_upper(failures, trials)
    }

    fn udp_control(&self) -> bool {
        self.beacons.iter().any(|b| b.answered)
    }

    /// Probes still waiting: beacons keep measuring the loss their silence is judged by.
    fn pending(&self, now: Instant) -> bool {
        self.probes.iter().any(|p| !p.done(now))
    }

    fn results(&self) -> (bool, Vec<PortResult>) {
        let loss = self.loss_upper_bound();
        let udp_control = self.udp_control();
        let mut results = self.untestable.clone();
        for probe in &self.probes {
            let (status, evidence) = self.judge(probe, udp_control, loss);
            results.push(PortResult {
                target: probe.target.clone(),
                status,
                evidence,
            });
        }
        results.sort_by_key(|r| (r.target.transport as u8, r.target.port));
        (udp_control, results)
    }

    fn judge(&self, probe: &Probe, udp_control: bool, loss: f64) -> (PortStatus, String) {
        if probe.answered {
            return (
                PortStatus::Open,
                "the reflector answered through this port".into(),
            );
        }
        let percent = loss * 100.0;
        if probe.is_udp() {
            if !udp_control {
                return (
                    PortStatus::Inconclusive,
                    "no answer, and the UDP control failed too".into(),
                );
            }
            let chance = loss.powi(probe.sent as i32);
            if chance <= SILENCE_ERROR {
                return (
                    PortStatus::Blocked,
                    format!(
                        "no answer to {} datagrams while other UDP ports answered (path loss ≤ {percent:.0} %)",
                        probe.sent
                    ),
                );
            }
            return (
                PortStatus::Inconclusive,
                format!(
                    "no answer to {} datagrams, but the path loses up to {percent:.0} %: silence proves nothing",
                    probe.sent
                ),
            );
        }
        let refused = probe
            .attempts
            .iter()
            .filter(|a| a.end == Some(StreamEnd::ConnectRefused))
            .count();
        let connected_silent = probe.attempts.iter().filter(|a| a.sent).count();
        if refused > 0 {
            return (
                PortStatus::Blocked,
                format!(
                    "the connection was refused ({refused} of {} attempts): a firewall rejects it",
                    probe.attempts.len()
                ),
            );
        }
        if connected_silent > 0 {
            return (PortStatus::Blocked, "the connection opened but the reflector's answer never came: something in the path intercepts this port".into());
        }
        let syns = SYNS_PER_ATTEMPT * probe.attempts.len() as i32;
        if loss.powi(syns) <= SILENCE_ERROR {
            (
                PortStatus::Blocked,
                format!(
                    "{} connection attempts timed out (dropped); path loss ≤ {percent:.0} %",
                    probe.attempts.len()
                ),
            )
        } else {
            (
                PortStatus::Inconclusive,
                format!(
                    "{} connection attempts timed out, but the path loses up to {percent:.0} %",
                    probe.attempts.len()
                ),
            )
        }
    }

    fn probe_of(&mut self, socket: SocketId) -> Option<(&mut Probe, usize)> {
        self.probes.iter_mut().find_map(|p| {
            let index = p.attempts.iter().position(|a| a.socket == socket)?;
            Some((p, index))
        })
    }
}

fn not_testable(target: PortTarget) -> PortResult {
    let hint = match target.transport {
        SocketTransport::Udp => format!("--port-matrix udp:{}", target.port),
        SocketTransport::Tcp => format!("--port-matrix tcp:{}", target.port),
        SocketTransport::Tls => "a TLS port".to_owned(),
    };
    PortResult {
        evidence: format!("the reflector does not listen here (it would with {hint})"),
        status: PortStatus::NotTestable,
        target,
    }
}

/// One-sided 95 % Wilson upper bound of a failure rate (z = 1.645). No trials: 1 (nothing
/// is known, so silence can never be trusted).
fn wilson_upper(failures: u32, trials: u32) -> f64 {
    if trials == 0 {
        return 1.0;
    }
    let (n, p, z) = (
        f64::from(trials),
        f64::from(failures) / f64::from(trials),
        1.645_f64,
    );
    let centre = p + z * z / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((centre + spread) / (1.0 + z * z / n)).min(1.0)
}

/// A small token-bearing OPTIONS: the mirror answers it 200 (any SIP answer proves the path).
fn sip_options(
    token: &str,
    transport: SocketTransport,
    local: SocketAddr,
    remote: SocketAddr,
    nonce: &str,
) -> Vec<u8> {
    let via = match transport {
        SocketTransport::Udp => "UDP",
        SocketTransport::Tcp => "TCP",
        SocketTransport::Tls => "TLS",
    };
    format!(
        "OPTIONS sip:ports@{remote} SIP/2.0\r\n\
Via: SIP/2.0/{via} {local};branch=z9hG4bK-sipwall-{nonce};rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:ports@{local}>;tag=sipwall-{nonce}\r\n\
To: <sip:ports@{remote}>\r\n\
Call-ID: sipwall-ports-{nonce}-{token_part}\r\n\
CSeq: 1 OPTIONS\r\n\
X-Sipwall-Probe: {token}\r\n\
Content-Length: 0\r\n\r\n",
        token_part = &token[..8.min(token.len())]
    )
    .into_bytes()
}

fn answers(probe: &Probe, payload: &[u8]) -> bool {
    match probe.kind {
        ProbeKind::Stun => BindingResponse::parse(payload)
            .is_ok_and(|r| r.success && Some(r.message.transaction_id()) == probe.transaction),
        ProbeKind::SipOptions => payload.starts_with(b"SIP/2.0 "),
        ProbeKind::PortProbe => {
            let expected = format!("{} 1 {} ", control::PORT_PROBE_MAGIC, probe.nonce);
            payload.starts_with(expected.as_bytes())
        }
        ProbeKind::Control => false,
    }
}

impl Machine for OutboundPorts {
    type Report = OutboundReport;

    fn sockets(&self) -> Vec<SocketRequest> {
        let control = SocketRequest {
            id: self.control_socket,
            kind: SocketKind::Udp,
            port: None,
            tos: None,
        };
        std::iter::once(control)
            .chain(
                self.probes
                    .iter()
                    .filter(|p| p.kind != ProbeKind::Control)
                    .flat_map(|p| {
                        let kind = match p.target.transport {
                            SocketTransport::Udp => SocketKind::Udp,
                            SocketTransport::Tcp => SocketKind::Tcp { remote: p.server },
                            SocketTransport::Tls => SocketKind::Tls { remote: p.server },
                        };
                        p.attempts.iter().map(move |a| SocketRequest {
                            id: a.socket,
                            kind,
                            port: None,
                            tos: None,
                        })
                    }),
            )
            .collect()
    }

    fn bound(&mut self, socket: SocketId, local: Option<SocketAddr>) {
        if socket == self.control_socket {
            self.control_local = local;
        }
        if let Some((probe, index)) = self.probe_of(socket) {
            probe.attempts[index].local = local;
        }
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if self.started.is_none() {
            self.started = Some(now);
            for probe in &mut self.probes {
                if probe.is_udp() && !probe.answered {
                    if probe.attempts[0].local.is_some() {
                        probe.next_send = Some(now);
                    } else {
                        probe.deadline = Some(now); // no socket: nothing can be sent
                    }
                }
            }
            if self.control_local.is_some() {
                self.next_beacon = Some(now);
            }
            self.update(now);
        }
        self.now = Some(now);
        if self.next_beacon.is_some_and(|t| t <= now) {
            let keep_going = (self.pending(now) && self.beacons.len() < MAX_BEACONS)
                || self.beacons.len() < MIN_BEACONS;
            self.next_beacon = keep_going.then_some(now + BEACON_SPACING);
            if keep_going {
                let id = TransactionId((self.ids)());
                self.beacons.push(Beacon {
                    id,
                    sent_at: now,
                    answered: false,
                });
                let mut payload = Vec::new();
                binding_request(id, &[], Seal::NONE, &mut payload)
                    .expect("a plain request encodes");
                return Some(Transmit {
                    socket: self.control_socket,
                    destination: self.control,
                    payload,
                });
            }
        }
        for index in 0..self.probes.len() {
            let probe = &self.probes[index];
            if probe.answered {
                continue;
            }
            if probe.is_udp() {
                if probe.next_send.is_none_or(|t| t > now) || probe.attempts[0].local.is_none() {
                    continue;
                }
                let payload = self.request(probe, probe.attempts[0].local);
                let loss = self.loss_upper_bound();
                let probe = &mut self.probes[index];
                probe.sent += 1;
                let trustworthy =
                    probe.sent >= UDP_MIN_COPIES && loss.powi(probe.sent as i32) <= SILENCE_ERROR;
                if probe.sent < UDP_COPIES && !trustworthy {
                    probe.next_send = Some(now + UDP_SPACING);
                } else {
                    probe.next_send = None;
                    probe.deadline = Some(now + UDP_LINGER);
                }
                let socket = probe.attempts[0].socket;
                return Some(Transmit {
                    socket,
                    destination: probe.server,
                    payload,
                });
            }
            // Streams: the probe goes out once on every attempt that connected.
            let Some(ready) = probe
                .attempts
                .iter()
                .position(|a| a.local.is_some() && a.end.is_none() && !a.sent)
            else {
                continue;
            };
            let payload = self.request(probe, probe.attempts[ready].local);
            let probe = &mut self.probes[index];
            probe.attempts[ready].sent = true;
            probe.deadline.get_or_insert(now + STREAM_DEADLINE);
            return Some(Transmit {
                socket: probe.attempts[ready].socket,
                destination: probe.server,
                payload,
            });
        }
        None
    }

    fn handle_receive(&mut self, now: Instant, socket: SocketId, from: SocketAddr, payload: &[u8]) {
        self.receive(socket, from, payload);
        self.update(now);
    }

    fn handle_stream_end(&mut self, now: Instant, socket: SocketId, end: StreamEnd) {
        if let Some((probe, index)) = self.probe_of(socket) {
            probe.attempts[index].end.get_or_insert(end);
        }
        self.update(now);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.started?;
        // Only real timers: a stream still connecting wakes the machine through its end; an
        // unanswered beacon's expiry counts until it has passed.
        let now = self.now?;
        let beacon_expiries = self
            .beacons
            .iter()
            .filter(|b| !b.answered)
            .map(|b| Some(b.sent_at + UDP_LINGER));
        self.probes
            .iter()
            .filter(|p| !p.answered)
            .flat_map(|p| [p.next_send, p.deadline])
            .chain([self.next_beacon])
            .chain(beacon_expiries)
            .flatten()
            // Timers already passed have been handled; waiting on them would spin.
            .filter(|t| *t > now)
            .min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        // A connected stream whose answer is overdue counts as ended.
        for probe in self
            .probes
            .iter_mut()
            .filter(|p| !p.is_udp() && !p.answered)
        {
            if probe.deadline.is_some_and(|d| d <= now) {
                for attempt in probe
                    .attempts
                    .iter_mut()
                    .filter(|a| a.sent && a.end.is_none())
                {
                    attempt.end = Some(StreamEnd::Closed);
                }
            }
        }
        self.update(now);
    }

    fn report(&self) -> Option<OutboundReport> {
        let all_answered = self.started.is_some()
            && self.probes.iter().all(|p| p.answered)
            && self.beacons.len() >= MIN_BEACONS
            && self.beacons.iter().all(|b| b.answered);
        if !(self.finished || all_answered) {
            return None;
        }
        let (udp_control, ports) = self.results();
        Some(OutboundReport {
            udp_control,
            tcp_control: true,
            ports,
        })
    }
}

impl OutboundPorts {
    fn update(&mut self, now: Instant) {
        self.now = Some(now);
        // A silent UDP port whose silence the loss measured since cannot yet carry: more
        // copies, up to the cap.
        let loss = self.loss_upper_bound();
        for probe in self.probes.iter_mut().filter(|p| p.is_udp() && !p.answered) {
            let expired = probe.next_send.is_none() && probe.deadline.is_some_and(|d| d <= now);
            let trustworthy = loss.powi(probe.sent as i32) <= SILENCE_ERROR;
            if expired && !trustworthy && probe.sent > 0 && probe.sent < UDP_COPIES {
                probe.next_send = Some(now);
                probe.deadline = None;
            }
        }

        let beacons_judged = self.beacons.len() >= MIN_BEACONS.min(1)
            && self
                .beacons
                .iter()
                .all(|b| b.answered || b.sent_at + UDP_LINGER <= now)
            || self.control_local.is_none();
        self.finished =
            self.started.is_some() && self.probes.iter().all(|p| p.done(now)) && beacons_judged;
    }

    fn receive(&mut self, socket: SocketId, from: SocketAddr, payload: &[u8]) {
        if socket == self.control_socket {
            if from == self.control
                && let Ok(response) = BindingResponse::parse(payload)
                && let Some(beacon) = self
                    .beacons
                    .iter_mut()
                    .find(|b| b.id == response.message.transaction_id())
            {
                beacon.answered = true;
            }
            return;
        }
        let Some((probe, index)) = self.probe_of(socket) else {
            return;
        };
        // Only the probed socket's own answer counts: anything else on the port proves nothing.
        if probe.is_udp() && from != probe.server {
            return;
        }
        let buffer = &mut probe.attempts[index].received;
        buffer.extend_from_slice(payload);
        buffer.truncate(4096);
        let answered = answers(probe, &probe.attempts[index].received);
        if answered && !probe.answered {
            probe.answered = true;
            probe.answered_after = Some(probe.sent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wilson_bound_is_loose_with_few_trials_and_tight_with_many() {
        assert_eq!(wilson_upper(0, 0), 1.0);
        let few = wilson_upper(0, 10);
        assert!(few > 0.15 && few < 0.25, "{few}");
        // With no loss seen on ~10 datagrams, 7 silent copies are trustworthy.
        assert!(few.powi(7) <= SILENCE_ERROR);
        // Half lost: silence is never trustworthy within 7 copies.
        assert!(wilson_upper(10, 20).powi(7) > SILENCE_ERROR);
    }
}
