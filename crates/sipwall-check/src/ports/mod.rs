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
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use sipwall_profile::model::{Direction, Flow, Transport};
use sipwall_proto::control::{ServerSocket, Service, SocketTransport};

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

mod inbound;
mod outbound;

pub use inbound::{
    InboundPorts, InboundReport, InboundResult, InboundTarget, Reachability, plan_inbound,
};
pub use outbound::OutboundPorts;

#[cfg(test)]
mod tests;
