use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipwall_proto::control::{
    Answer, Event, InboundOutcome, InboundTransport, ServerSocket, Service, SocketTransport,
};
use sipwall_proto::stun::{Outcome, ResponderConfig, SocketRole, Transport, respond};

use super::*;
use crate::sansio::{Machine, Reply, SocketId, SocketKind, StreamEnd};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn socket(
    name: &str,
    service: Service,
    transport: SocketTransport,
    address: &str,
    last_port: Option<u16>,
) -> ServerSocket {
    ServerSocket {
        name: name.into(),
        service,
        transport,
        address: address.parse().unwrap(),
        last_port,
    }
}

fn reflector_sockets() -> Vec<ServerSocket> {
    vec![
        socket(
            "stun-pp",
            Service::StunPp,
            SocketTransport::Udp,
            "192.0.2.10:3478",
            None,
        ),
        socket(
            "stun-tcp",
            Service::StunPp,
            SocketTransport::Tcp,
            "192.0.2.10:3478",
            None,
        ),
        socket(
            "sip-udp-5060",
            Service::SipMirror,
            SocketTransport::Udp,
            "192.0.2.10:5060",
            None,
        ),
        socket(
            "sip-tcp-5060",
            Service::SipMirror,
            SocketTransport::Tcp,
            "192.0.2.10:5060",
            None,
        ),
        socket(
            "sip-tls-5061",
            Service::SipMirror,
            SocketTransport::Tls,
            "192.0.2.10:5061",
            None,
        ),
        socket(
            "port-udp-10000-20000",
            Service::PortProbe,
            SocketTransport::Udp,
            "192.0.2.10:10000",
            Some(20000),
        ),
        socket(
            "control",
            Service::Control,
            SocketTransport::Tcp,
            "192.0.2.10:7443",
            None,
        ),
    ]
}

fn profile(id: &str) -> sipwall_profile::model::Profile {
    sipwall_profile::builtin::find(id)
        .expect("built-in")
        .load()
        .profile
}

#[test]
fn samples_cover_both_ends_and_the_inside_of_a_range() {
    assert_eq!(
        samples(10000, 20000),
        vec![10000, 12500, 15000, 17500, 20000]
    );
    assert_eq!(samples(5060, 5060), vec![5060]);
}

#[test]
fn the_outbound_plan_matches_every_port_to_a_reflector_socket_or_says_why_not() {
    let targets = plan_outbound(&profile("rfc-baseline").flows, &reflector_sockets());
    assert!(!targets.is_empty());
    for target in &targets {
        if let Some(server) = target.server {
            assert_eq!(server.port(), target.port, "{target:?}");
        } else {
            assert!(target.kind.is_none());
        }
    }
    let sip = targets
        .iter()
        .find(|t| t.transport == SocketTransport::Udp && t.port == 5060)
        .expect("the baseline needs UDP 5060");
    assert_eq!(sip.kind, Some(ProbeKind::SipOptions));
}

/// A simulated network between the machine and a reflector: `blocked` ports drop everything,
/// `rejected` TCP ports answer with a reset, `udp_dead` drops all UDP (the control too), and
/// `loss` drops each datagram (and each SYN) in each direction with that probability.
#[derive(Default)]
struct Network {
    blocked: Vec<(SocketTransport, u16)>,
    rejected: Vec<u16>,
    udp_dead: bool,
    loss: f64,
    seed: u64,
}

/// xorshift64: a tiny seeded generator, enough for loss.
struct Rng(u64);

impl Rng {
    fn chance(&mut self, p: f64) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 1_000_000) as f64 / 1_000_000.0 < p
    }
}

const LATENCY: Duration = Duration::from_millis(20);

fn run_outbound(targets: Vec<PortTarget>, network: &Network) -> OutboundReport {
    let stun: SocketAddr = "192.0.2.10:3478".parse().unwrap();
    let mut counter = 0u32;
    let ids = Box::new(move || {
        counter += 1;
        let mut id = [0u8; 12];
        id[..4].copy_from_slice(&counter.to_be_bytes());
        id
    });
    let mut rng = Rng(network.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut machine = OutboundPorts::new(TOKEN, targets, stun, ids);
    let client: SocketAddr = "10.0.0.2:40000".parse().unwrap();
    let mut now = Instant::now();
    let start = now;
    let mut stream_of = std::collections::HashMap::new();
    for request in machine.sockets() {
        let (remote, transport) = match request.kind {
            SocketKind::Udp | SocketKind::TcpListen => {
                machine.bound(request.id, Some(client));
                continue;
            }
            SocketKind::Tcp { remote } => (remote, SocketTransport::Tcp),
            SocketKind::Tls { remote } => (remote, SocketTransport::Tls),
        };
        // Three SYNs (and their SYN-ACKs) before the connect timeout.
        let syn_gets_through =
            (0..3).any(|_| !rng.chance(network.loss) && !rng.chance(network.loss));
        if network.rejected.contains(&remote.port()) {
            machine.bound(request.id, None);
            machine.handle_stream_end(now, request.id, StreamEnd::ConnectRefused);
        } else if network.blocked.contains(&(transport, remote.port())) || !syn_gets_through {
            machine.bound(request.id, None);
            machine.handle_stream_end(now, request.id, StreamEnd::ConnectFailed);
        } else {
            machine.bound(request.id, Some(client));
            stream_of.insert(request.id, transport);
        }
    }
    let responder = ResponderConfig::new(stun);
    let mut pending: Vec<(Instant, SocketId, SocketAddr, Vec<u8>)> = Vec::new();
    loop {
        while let Some(transmit) = machine.poll_transmit(now) {
            let stream = stream_of.get(&transmit.socket).copied();
            let transport = stream.unwrap_or(SocketTransport::Udp);
            // Streams are reliable once open; datagrams can be lost both ways.
            let lost = stream.is_none() && (network.udp_dead || rng.chance(network.loss));
            if lost
                || network
                    .blocked
                    .contains(&(transport, transmit.destination.port()))
            {
                continue;
            }
            // The reflector's answer, by what listens on the destination port.
            let answer = if transmit.payload.starts_with(b"OPTIONS") {
                Some(b"SIP/2.0 200 OK\r\n\r\n".to_vec())
            } else if transmit.payload.starts_with(b"SIPWALL-PORT") {
                let text = String::from_utf8_lossy(&transmit.payload).to_string();
                let nonce = text.split_whitespace().nth(3).unwrap().to_owned();
                sipwall_proto::control::port_probe_answer(transmit.payload.len(), &nonce, client)
            } else {
                let mut out = Vec::new();
                let transport = if stream.is_some() {
                    Transport::Tcp
                } else {
                    Transport::Udp
                };
                match respond(
                    &transmit.payload,
                    client,
                    SocketRole::PrimaryIpPrimaryPort,
                    transport,
                    &responder,
                    &mut out,
                ) {
                    Outcome::Reply { .. } => Some(out),
                    Outcome::Drop(_) => None,
                }
            };
            if let Some(answer) = answer
                && (stream.is_some() || !rng.chance(network.loss))
            {
                pending.push((now + LATENCY, transmit.socket, transmit.destination, answer));
            }
        }
        if let Some(report) = machine.report() {
            assert!(
                now - start < Duration::from_secs(10),
                "took {:?}",
                now - start
            );
            return report;
        }
        let next_delivery = pending.iter().map(|p| p.0).min();
        let wake = [machine.poll_timeout(), next_delivery]
            .into_iter()
            .flatten()
            .min()
            .expect("something to wait for");
        now = wake.max(now);
        let (due, later): (Vec<_>, Vec<_>) = pending.into_iter().partition(|p| p.0 <= now);
        pending = later;
        for (_, socket, from, payload) in due {
            machine.handle_receive(now, socket, from, &payload);
        }
        if machine.poll_timeout().is_some_and(|t| t <= now) {
            machine.handle_timeout(now);
        }
    }
}

fn status(report: &OutboundReport, transport: SocketTransport, port: u16) -> PortStatus {
    report
        .ports
        .iter()
        .find(|r| r.target.transport == transport && r.target.port == port)
        .unwrap_or_else(|| panic!("no result for {transport:?} {port}: {report:?}"))
        .status
}

fn targets() -> Vec<PortTarget> {
    let sockets = reflector_sockets();
    let mut targets = Vec::new();
    for (transport, port) in [
        (SocketTransport::Udp, 5060),
        (SocketTransport::Tcp, 5060),
        (SocketTransport::Tls, 5061),
        (SocketTransport::Udp, 15000),
        (SocketTransport::Udp, 5062),
    ] {
        let served = serving_socket(&sockets, transport, port);
        targets.push(PortTarget {
            transport,
            port,
            flows: vec!["test".into()],
            server: served.map(|s| s.0),
            kind: served.map(|s| s.1),
        });
    }
    targets
}

#[test]
fn open_ports_are_open_and_unserved_ones_not_testable() {
    let report = run_outbound(targets(), &Network::default());
    assert!(report.udp_control);
    for (transport, port) in [
        (SocketTransport::Udp, 5060),
        (SocketTransport::Tcp, 5060),
        (SocketTransport::Tls, 5061),
        (SocketTransport::Udp, 15000),
    ] {
        assert_eq!(
            status(&report, transport, port),
            PortStatus::Open,
            "{transport:?} {port}"
        );
    }
    assert_eq!(
        status(&report, SocketTransport::Udp, 5062),
        PortStatus::NotTestable
    );
}

#[test]
fn exactly_the_blocked_ports_are_blocked() {
    let network = Network {
        blocked: vec![(SocketTransport::Udp, 5060), (SocketTransport::Tcp, 5060)],
        ..Network::default()
    };
    let report = run_outbound(targets(), &network);
    assert_eq!(
        status(&report, SocketTransport::Udp, 5060),
        PortStatus::Blocked
    );
    assert_eq!(
        status(&report, SocketTransport::Tcp, 5060),
        PortStatus::Blocked
    );
    assert_eq!(
        status(&report, SocketTransport::Tls, 5061),
        PortStatus::Open
    );
    assert_eq!(
        status(&report, SocketTransport::Udp, 15000),
        PortStatus::Open
    );
}

#[test]
fn without_a_working_udp_control_silence_is_inconclusive_not_blocked() {
    let report = run_outbound(
        targets(),
        &Network {
            udp_dead: true,
            ..Network::default()
        },
    );
    assert!(!report.udp_control);
    assert_eq!(
        status(&report, SocketTransport::Udp, 5060),
        PortStatus::Inconclusive
    );
    assert_eq!(
        status(&report, SocketTransport::Tcp, 5060),
        PortStatus::Open
    );
}

#[test]
fn a_rejected_tcp_port_is_blocked_with_its_reset_as_evidence() {
    let network = Network {
        rejected: vec![5060],
        ..Network::default()
    };
    let report = run_outbound(targets(), &network);
    assert_eq!(
        status(&report, SocketTransport::Tcp, 5060),
        PortStatus::Blocked
    );
    let result = report
        .ports
        .iter()
        .find(|r| r.target.transport == SocketTransport::Tcp && r.target.port == 5060)
        .unwrap();
    assert!(result.evidence.contains("refused"), "{result:?}");
}

/// 10 % loss each way changes nothing; 30 % each way may make a port inconclusive but never
/// turns an open port into a blocked one, and a blocked port is never called open.
#[test]
fn loss_never_flips_a_port_verdict() {
    let blocked = vec![(SocketTransport::Udp, 5060), (SocketTransport::Tcp, 5060)];
    let truth = |transport, port| {
        if blocked.contains(&(transport, port)) {
            PortStatus::Blocked
        } else {
            PortStatus::Open
        }
    };
    let mut unsure = 0;
    for (loss, may_be_unsure) in [(0.10, false), (0.30, true)] {
        for seed in 1..=200 {
            let network = Network {
                blocked: blocked.clone(),
                loss,
                seed,
                ..Network::default()
            };
            let report = run_outbound(targets(), &network);
            for result in report
                .ports
                .iter()
                .filter(|r| r.status != PortStatus::NotTestable)
            {
                let expected = truth(result.target.transport, result.target.port);
                if result.status == PortStatus::Inconclusive && may_be_unsure {
                    unsure += 1;
                    continue;
                }
                assert_eq!(
                    result.status, expected,
                    "loss {loss}, seed {seed}: {result:?}"
                );
            }
        }
    }
    eprintln!("30 % loss: {unsure} inconclusive port results of 1000");
}

#[test]
fn the_inbound_plan_has_the_forwards_and_the_never_forward_ports() {
    let premise = profile("fonality-pbxtra-premise");
    let targets = plan_inbound(&premise.flows, &premise.security.never_forward);
    let sip = targets
        .iter()
        .find(|t| t.transport == InboundTransport::Udp && t.port == 5060)
        .expect("the SIP forward");
    assert!(sip.must_be_reachable && sip.sip_options);
    let ssh = targets
        .iter()
        .find(|t| t.port == 22)
        .expect("22 must never be forwarded");
    assert!(!ssh.must_be_reachable);
    assert!(targets.iter().any(|t| t.port == 10000) && targets.iter().any(|t| t.port == 20000));
}

fn inbound_target(transport: InboundTransport, port: u16, must: bool) -> InboundTarget {
    InboundTarget {
        transport,
        port,
        reason: "test".into(),
        must_be_reachable: must,
        sip_options: false,
    }
}

#[test]
fn inbound_outcomes_become_reachability_with_evidence() {
    let targets = vec![
        inbound_target(InboundTransport::Udp, 5060, true),
        inbound_target(InboundTransport::Udp, 5070, true),
        inbound_target(InboundTransport::Tcp, 22, false),
        inbound_target(InboundTransport::Tcp, 5222, true),
    ];
    let mut machine = InboundPorts::new(targets);
    for request in machine.sockets() {
        let port = if request.id.0 == 1 {
            45000
        } else {
            request.port.unwrap()
        };
        machine.bound(request.id, Some(SocketAddr::from(([10, 0, 0, 2], port))));
    }
    let now = Instant::now();
    let source: SocketAddr = "192.0.2.11:41000".parse().unwrap();
    let mut tags = Vec::new();
    while let Some((tag, _)) = machine.poll_request(now) {
        tags.push(tag);
        machine.handle_reply(now, tag, Reply::Answer(Answer::InboundStarted { source }));
    }
    assert_eq!(tags.len(), 4);
    // 5060: the datagram arrives; 5070: the port was taken locally, nothing more is known;
    // 22: connected (a failure for a never-forward port); 5222: dropped.
    machine.handle_receive(
        now,
        SocketId(0),
        source,
        &sipwall_proto::control::inbound_payload("in0"),
    );
    let outcomes = [
        InboundOutcome::Sent,
        InboundOutcome::Sent,
        InboundOutcome::Connected,
        InboundOutcome::Timeout,
    ];
    for (tag, outcome) in tags.iter().zip(outcomes) {
        machine.handle_reply(now, *tag, Reply::Event(Event::InboundResult { outcome }));
    }
    assert!(machine.report().is_none(), "waits for late datagrams");
    machine.handle_timeout(now + Duration::from_secs(1));
    let report = machine.report().unwrap();
    let reach: Vec<_> = report.results.iter().map(|r| r.reachability).collect();
    assert_eq!(
        reach,
        [
            Reachability::Reachable,
            Reachability::Unknown,
            Reachability::Reachable,
            Reachability::NotReachable
        ]
    );
}

#[test]
fn a_server_without_inbound_support_is_reported_not_guessed() {
    let mut machine = InboundPorts::new(vec![inbound_target(InboundTransport::Tcp, 22, false)]);
    let now = Instant::now();
    let (tag, _) = machine.poll_request(now).unwrap();
    machine.handle_reply(
        now,
        tag,
        Reply::Error {
            code: sipwall_proto::control::ErrorCode::Unavailable,
            message: "no second address".into(),
        },
    );
    let report = machine.report().unwrap();
    assert!(report.results.is_empty());
    assert_eq!(report.unavailable.as_deref(), Some("no second address"));
}
