//! Inbound tests as a machine: the reflector tries to reach this network's public address on
//! each forwarded port (and each never-forward port) from an address the check never
//! contacted; the check listens on those ports itself where it can, to see the test arrive.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sipwall_profile::model::{Direction, Flow, NeverForward, Purpose, Transport};
use sipwall_proto::control::{self, Answer, Event, InboundOutcome, InboundTransport, Request};

use super::samples;
use crate::sansio::{Machine, Reply, RequestTag, SocketId, SocketKind, SocketRequest, Transmit};

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
