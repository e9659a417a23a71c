//! A simulated network for the NAT test: one client host, a NAT with a chosen RFC 4787
//! behaviour, and the reflector's own STUN responder (`sipwall_proto::stun::respond`) on
//! four addresses, all in simulated time with seeded random loss.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use sipwall_proto::stun::{
    Attribute, Message, MessageEncoder, Outcome, ResponderConfig, SocketRole, Transport, attr,
    respond,
};

use crate::nat::{NatBehaviour, NatReport, ServerAddresses, TransactionIds};
use crate::sansio::{Machine, SocketId, Transmit};

pub const LOCAL_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
pub const PUBLIC_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
const PRIMARY_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
const ALTERNATE_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 11);
/// One way between the NAT and the reflector: RTT 50 ms.
const WAN_DELAY: Duration = Duration::from_millis(25);
const HAIRPIN_DELAY: Duration = Duration::from_millis(1);

fn addr(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(ip), port)
}

/// The reflector's four sockets as the `ports` answer would list them.
pub fn server_addresses() -> ServerAddresses {
    ServerAddresses {
        pp: addr(PRIMARY_IP, 3478),
        pa: Some(addr(PRIMARY_IP, 3479)),
        ap: Some(addr(ALTERNATE_IP, 3478)),
        aa: Some(addr(ALTERNATE_IP, 3479)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Map {
    Eim,
    Adm,
    Apdm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Eif,
    Adf,
    Apdf,
}

/// The NAT's behaviour and the path's faults.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `false`: the host has a public address and the router only filters, with
    /// `filtering` (a stateful firewall: `ct state established,related accept`; `Eif` lets
    /// everything in, like no firewall at all). `mapping` is then meaningless.
    pub nat: bool,
    pub mapping: Map,
    pub filtering: Filter,
    pub preserve_ports: bool,
    pub hairpin: bool,
    /// Drop IP packets larger than this (a fragment-dropping path).
    pub max_ip_packet: Option<usize>,
    /// Chance that one datagram is lost on one leg.
    pub loss: f64,
    /// Rewrite the public IP inside inbound payloads to the inside IP (a generic ALG).
    pub alg: bool,
    /// The host drops every datagram sent before its sockets were first polled, i.e. the
    /// whole first burst of a run. What sipwall's driver did in the namespace lab: tokio's
    /// `try_send_to` on a freshly registered socket fails with WouldBlock until the reactor
    /// has seen it writable, and the datagram was dropped; also what an ARP queue or a
    /// router that drops the packet creating a flow does to the first burst.
    pub cold_sockets: bool,
}

impl Policy {
    /// No NAT: the host has a public address, behind a firewall filtering with `filtering`.
    pub fn no_nat(filtering: Filter) -> Policy {
        Policy {
            nat: false,
            ..Policy::nat(Map::Eim, filtering)
        }
    }

    pub fn nat(mapping: Map, filtering: Filter) -> Policy {
        Policy {
            nat: true,
            mapping,
            filtering,
            preserve_ports: true,
            hairpin: true,
            max_ip_packet: None,
            loss: 0.0,
            alg: false,
            cold_sockets: false,
        }
    }
}

/// What a reflector writes in OTHER-ADDRESS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherAddress {
    /// RFC 5780 §6.1 Table 1, relative to the socket the request arrived on (our responder).
    Rfc5780,
    /// coturn 4.6.1 (`turnserver --listening-ip A --listening-ip B --listening-port 3478
    /// --alt-listening-port 3479`), as measured in the namespace lab: the alternate IP and
    /// the other port, whatever the socket: PP → B:3479, PA → B:3478, AP → B:3479 (RFC: PA),
    /// AA → B:3478 (RFC: PP). CHANGE-REQUEST answers carry the value of the socket the
    /// request arrived on.
    Coturn,
    /// Relative to the socket the reply is sent from (another reading of §7.4): differs from
    /// RFC 5780 only in CHANGE-REQUEST answers (from AA: PP; from PA: AP).
    FromSender,
}

/// The reflector: the real responder, plus ways to misbehave.
#[derive(Debug, Clone)]
pub struct Server {
    pub config: ResponderConfig,
    /// How OTHER-ADDRESS is written.
    pub other_address: OtherAddress,
    /// Answer CHANGE-REQUEST from the socket the request arrived on (a reflector behind a
    /// NAT that rewrites its source, or one that does not implement RFC 5780).
    pub ignore_change: bool,
    /// Also send every reply from this address, 5 ms before the real one.
    pub spoof_from: Option<SocketAddr>,
}

impl Server {
    pub fn full() -> Server {
        let mut config = ResponderConfig::new(addr(PRIMARY_IP, 3478));
        config.alternate = Some(addr(ALTERNATE_IP, 3479));
        Server {
            config,
            other_address: OtherAddress::Rfc5780,
            ignore_change: false,
            spoof_from: None,
        }
    }

    pub fn one_address() -> Server {
        Server {
            config: ResponderConfig::new(addr(PRIMARY_IP, 3478)),
            other_address: OtherAddress::Rfc5780,
            ignore_change: false,
            spoof_from: None,
        }
    }

    /// Four sockets, OTHER-ADDRESS written like coturn 4.6.
    pub fn coturn() -> Server {
        Server {
            other_address: OtherAddress::Coturn,
            ..Server::full()
        }
    }

    /// The OTHER-ADDRESS this server writes for a request that arrived on `received_on` and
    /// is answered from `sent_from`; `None` to leave the responder's value.
    fn other_address(&self, received_on: SocketRole, sent_from: SocketRole) -> Option<SocketAddr> {
        let alternate = self.config.alternate?;
        match self.other_address {
            OtherAddress::Rfc5780 => None,
            OtherAddress::Coturn => {
                let port = if received_on.alternate_port() {
                    self.config.primary.port()
                } else {
                    alternate.port()
                };
                Some(SocketAddr::new(alternate.ip(), port))
            }
            OtherAddress::FromSender => self.config.advertised_address(sent_from.other()),
        }
    }

    fn role_of(&self, to: SocketAddr) -> Option<SocketRole> {
        SocketRole::ALL
            .into_iter()
            .find(|r| self.config.advertised_address(*r) == Some(to))
    }
}

/// Transaction IDs from a counter, so every run is reproducible.
pub struct CountingIds(pub u64);

impl TransactionIds for CountingIds {
    fn next_id(&mut self) -> sipwall_proto::stun::TransactionId {
        self.0 += 1;
        let mut id = [0u8; 12];
        id[4..].copy_from_slice(&self.0.to_be_bytes());
        sipwall_proto::stun::TransactionId(id)
    }
}

/// xorshift64: small, seeded, good enough to drop packets.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

struct NatMapping {
    internal: SocketAddr,
    /// `None` for EIM; the destination IP (port 0) for ADM; the destination for APDM.
    key: Option<SocketAddr>,
    public_port: u16,
    sent_to: Vec<SocketAddr>,
}

enum Event {
    AtServer {
        to: SocketAddr,
        from: SocketAddr,
        payload: Vec<u8>,
    },
    /// Arriving at the NAT's outside (or, without NAT, at the host).
    Inbound {
        to: SocketAddr,
        from: SocketAddr,
        payload: Vec<u8>,
    },
}

struct Scheduled {
    at: Instant,
    seq: u64,
    event: Event,
}

/// A datagram for the machine.
pub struct Delivery {
    pub socket: SocketId,
    pub from: SocketAddr,
    pub payload: Vec<u8>,
}

pub struct Net {
    pub policy: Policy,
    pub server: Server,
    pub start: Instant,
    pub now: Instant,
    /// Local ports another program holds.
    pub taken_ports: Vec<u16>,
    rng: XorShift,
    sockets: Vec<(SocketId, SocketAddr)>,
    next_ephemeral: u16,
    mappings: Vec<NatMapping>,
    next_public: u16,
    events: Vec<Scheduled>,
    seq: u64,
}

impl Net {
    pub fn new(policy: Policy, server: Server, seed: u64) -> Net {
        let start = Instant::now();
        Net {
            policy,
            server,
            start,
            now: start,
            taken_ports: Vec::new(),
            rng: XorShift::new(seed),
            sockets: Vec::new(),
            next_ephemeral: 50000,
            mappings: Vec::new(),
            next_public: 40000,
            events: Vec::new(),
            seq: 0,
        }
    }

    fn local_ip(&self) -> Ipv4Addr {
        if self.policy.nat { LOCAL_IP } else { PUBLIC_IP }
    }

    pub fn bind(&mut self, id: SocketId, port: Option<u16>) -> SocketAddr {
        let in_use = |net: &Net, p: u16| {
            net.taken_ports.contains(&p) || net.sockets.iter().any(|(_, a)| a.port() == p)
        };
        let port = match port {
            Some(p) if !in_use(self, p) => p,
            _ => {
                while in_use(self, self.next_ephemeral) {
                    self.next_ephemeral += 1;
                }
                self.next_ephemeral
            }
        };
        let local = addr(self.local_ip(), port);
        self.sockets.push((id, local));
        local
    }

    fn schedule(&mut self, delay: Duration, event: Event) {
        self.seq += 1;
        self.events.push(Scheduled {
            at: self.now + delay,
            seq: self.seq,
            event,
        });
    }

    /// Loss and the size limit, applied on every leg.
    fn dropped(&mut self, payload_len: usize) -> bool {
        let too_big = self
            .policy
            .max_ip_packet
            .is_some_and(|max| payload_len + 28 > max);
        self.rng.chance(self.policy.loss) || too_big
    }

    pub fn client_send(&mut self, t: Transmit) {
        let Some(&(_, local)) = self.sockets.iter().find(|(id, _)| *id == t.socket) else {
            return;
        };
        if self.dropped(t.payload.len()) || (self.policy.cold_sockets && self.now == self.start) {
            return;
        }
        let on_host = t.destination.ip() == IpAddr::V4(self.local_ip()) && !self.policy.nat;
        let source = if self.policy.nat {
            addr(PUBLIC_IP, self.outbound_mapping(local, t.destination))
        } else {
            if !on_host {
                self.firewall_flow(local, t.destination);
            }
            local
        };
        let inbound = Event::Inbound {
            to: t.destination,
            from: source,
            payload: t.payload,
        };
        if on_host {
            self.schedule(HAIRPIN_DELAY, inbound);
        } else if t.destination.ip() == IpAddr::V4(PUBLIC_IP) {
            if self.policy.hairpin {
                self.schedule(HAIRPIN_DELAY, inbound);
            }
        } else if let Event::Inbound { to, from, payload } = inbound {
            self.schedule(WAN_DELAY, Event::AtServer { to, from, payload });
        }
    }

    fn outbound_mapping(&mut self, internal: SocketAddr, destination: SocketAddr) -> u16 {
        let key = match self.policy.mapping {
            Map::Eim => None,
            Map::Adm => Some(SocketAddr::new(destination.ip(), 0)),
            Map::Apdm => Some(destination),
        };
        if let Some(m) = self
            .mappings
            .iter_mut()
            .find(|m| m.internal == internal && m.key == key)
        {
            if !m.sent_to.contains(&destination) {
                m.sent_to.push(destination);
            }
            return m.public_port;
        }
        let used = |net: &Net, p: u16| net.mappings.iter().any(|m| m.public_port == p);
        let public_port = if self.policy.preserve_ports && !used(self, internal.port()) {
            internal.port()
        } else {
            while used(self, self.next_public) {
                self.next_public += 1;
            }
            self.next_public
        };
        self.mappings.push(NatMapping {
            internal,
            key,
            public_port,
            sent_to: vec![destination],
        });
        public_port
    }

    /// Without NAT: the flow the router's connection tracking records for an outbound
    /// datagram (kept as a mapping that translates nothing).
    fn firewall_flow(&mut self, internal: SocketAddr, destination: SocketAddr) {
        if let Some(m) = self.mappings.iter_mut().find(|m| m.internal == internal) {
            if !m.sent_to.contains(&destination) {
                m.sent_to.push(destination);
            }
            return;
        }
        self.mappings.push(NatMapping {
            internal,
            key: None,
            public_port: internal.port(),
            sent_to: vec![destination],
        });
    }

    /// Whether the router lets a datagram from `from` in to the mapping `m`.
    fn admits(&self, m: &NatMapping, from: SocketAddr) -> bool {
        match self.policy.filtering {
            Filter::Eif => true,
            Filter::Adf => m.sent_to.iter().any(|d| d.ip() == from.ip()),
            Filter::Apdf => m.sent_to.contains(&from),
        }
    }

    pub fn next_event(&self) -> Option<Instant> {
        self.events.iter().map(|e| e.at).min()
    }

    /// Processes the earliest event due now; returns a datagram for the machine, if any.
    /// `None` when nothing was due.
    pub fn step(&mut self) -> Option<Option<Delivery>> {
        let index = self
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.at <= self.now)
            .min_by_key(|(_, e)| (e.at, e.seq))
            .map(|(i, _)| i)?;
        let event = self.events.swap_remove(index).event;
        Some(match event {
            Event::AtServer { to, from, payload } => {
                self.at_server(to, from, &payload);
                None
            }
            Event::Inbound { to, from, payload } => self.inbound(to, from, payload),
        })
    }

    fn at_server(&mut self, to: SocketAddr, from: SocketAddr, payload: &[u8]) {
        let Some(role) = self.server.role_of(to) else {
            return;
        };
        let mut out = Vec::new();
        let outcome = respond(
            payload,
            from,
            role,
            Transport::Udp,
            &self.server.config,
            &mut out,
        );
        let Outcome::Reply {
            from: reply_role,
            to: reply_to,
            ..
        } = outcome
        else {
            return;
        };
        let send_role = if self.server.ignore_change {
            role
        } else {
            reply_role
        };
        let Some(source) = self.server.config.advertised_address(send_role) else {
            return;
        };
        if let Some(other) = self.server.other_address(role, send_role) {
            out = with_other_address(&out, other);
        }
        if let Some(spoof) = self.server.spoof_from {
            let early = WAN_DELAY - Duration::from_millis(5);
            self.schedule(
                early,
                Event::Inbound {
                    to: reply_to,
                    from: spoof,
                    payload: out.clone(),
                },
            );
        }
        self.schedule(
            WAN_DELAY,
            Event::Inbound {
                to: reply_to,
                from: source,
                payload: out,
            },
        );
    }

    fn inbound(&mut self, to: SocketAddr, from: SocketAddr, payload: Vec<u8>) -> Option<Delivery> {
        if self.dropped(payload.len()) {
            return None;
        }
        let internal = if self.policy.nat {
            if to.ip() != IpAddr::V4(PUBLIC_IP) {
                return None;
            }
            let m = self.mappings.iter().find(|m| m.public_port == to.port())?;
            if !self.admits(m, from) {
                return None;
            }
            m.internal
        } else if from.ip() == IpAddr::V4(self.local_ip()) || self.policy.filtering == Filter::Eif {
            // From this host to itself (never crosses the router), or nothing filters.
            to
        } else {
            // A stateful firewall: only what answers a flow the host opened.
            let m = self.mappings.iter().find(|m| m.internal == to)?;
            if !self.admits(m, from) {
                return None;
            }
            to
        };
        let socket = self.sockets.iter().find(|(_, a)| *a == internal)?.0;
        let payload = if self.policy.alg {
            rewrite(payload, PUBLIC_IP.octets(), LOCAL_IP.octets())
        } else {
            payload
        };
        Some(Delivery {
            socket,
            from,
            payload,
        })
    }
}

/// `reply` re-encoded with OTHER-ADDRESS (if it has one) set to `other`, FINGERPRINT
/// recomputed.
fn with_other_address(reply: &[u8], other: SocketAddr) -> Vec<u8> {
    let Ok(message) = Message::parse(reply) else {
        return reply.to_vec();
    };
    let mut out = Vec::new();
    let mut enc = MessageEncoder::new(&mut out, message.message_type(), message.transaction_id());
    let mut fingerprint = false;
    for a in message.attributes() {
        let added = match a.typ {
            attr::FINGERPRINT => {
                fingerprint = true;
                Ok(())
            }
            attr::OTHER_ADDRESS => enc.add(&Attribute::OtherAddress(other)),
            typ => enc.add_raw(typ, a.value),
        };
        added.expect("re-encoding a reply the responder encoded");
    }
    if fingerprint {
        enc.add_fingerprint().expect("room for FINGERPRINT");
    }
    enc.finish();
    out
}

/// What a naive generic ALG does: every copy of the public IP becomes the inside IP.
fn rewrite(mut payload: Vec<u8>, from: [u8; 4], to: [u8; 4]) -> Vec<u8> {
    let mut i = 0;
    while i + 4 <= payload.len() {
        if payload[i..i + 4] == from {
            payload[i..i + 4].copy_from_slice(&to);
            i += 4;
        } else {
            i += 1;
        }
    }
    payload
}

/// Drives the machine over the network until it reports (at most 60 simulated seconds).
pub fn run(machine: &mut NatBehaviour, net: &mut Net) -> NatReport {
    for request in machine.sockets() {
        let local = net.bind(request.id, request.port);
        machine.bound(request.id, Some(local));
    }
    let limit = net.start + Duration::from_secs(60);
    loop {
        while let Some(transmit) = machine.poll_transmit(net.now) {
            net.client_send(transmit);
        }
        if let Some(report) = machine.report() {
            return report;
        }
        match net.step() {
            Some(Some(d)) => machine.handle_receive(net.now, d.socket, d.from, &d.payload),
            Some(None) => {}
            None => {
                let timer = machine.poll_timeout();
                if timer.is_some_and(|t| t <= net.now) {
                    machine.handle_timeout(net.now);
                    continue;
                }
                let next = [net.next_event(), timer].into_iter().flatten().min();
                let next = next.expect("the machine waits for nothing and has not reported");
                assert!(next <= limit, "no report after 60 simulated seconds");
                net.now = next;
            }
        }
    }
}
