//! The STUN server: over UDP one socket per RFC 5780 role (PP, PA, AP, AA), one receive loop each;
//! plus the TCP listener on the primary address (`stun_tcp`).
//!
//! A reply can leave from another socket than the one the request came in on (CHANGE-REQUEST),
//! so every loop holds a handle to all four sockets.

use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sipwall_proto::stun::{ConfigError, Outcome, ResponderConfig, SocketRole, Transport, respond};

use crate::counters::{Counters, Snapshot};
use crate::rate_limit::{Limits, RateLimiter};

/// How often a receive loop looks at the stop flag when no datagram arrives.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// A UDP datagram can carry at most this much; STUN requests are far smaller.
const MAX_DATAGRAM: usize = 65_535;

/// Where to serve STUN.
#[derive(Debug, Clone)]
pub struct StunServerConfig {
    /// The primary address (PP). Port 3478 by convention.
    pub primary: SocketAddr,
    /// Another IP *and* another port (AA) for RFC 5780; `None` serves one address only and
    /// answers CHANGE-REQUEST with 420, as RFC 5780 §6 requires.
    pub alternate: Option<SocketAddr>,
    /// Public IPs to report when the server sits behind a 1:1 NAT.
    pub advertised_primary_ip: Option<std::net::IpAddr>,
    pub advertised_alternate_ip: Option<std::net::IpAddr>,
    /// Per-source rate limit, applied per socket (`rate_limit::DEFAULT_LIMITS`).
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid STUN configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("cannot bind the {role} socket {address}: {source}")]
    Bind {
        role: &'static str,
        address: SocketAddr,
        source: io::Error,
    },
    #[error(
        "self-test failed: the {role} socket {address} cannot send to the primary socket ({detail}); \
refusing to advertise an address the server cannot send from"
    )]
    SelfTest {
        role: &'static str,
        address: SocketAddr,
        detail: String,
    },
}

/// A running STUN server; dropping it stops the receive loops.
pub struct StunServer {
    addresses: Vec<(SocketRole, SocketAddr)>,
    sockets: Arc<[Option<Arc<UdpSocket>>; 4]>,
    responder: Arc<ResponderConfig>,
    tcp_address: SocketAddr,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

fn role_name(role: SocketRole) -> &'static str {
    match role {
        SocketRole::PrimaryIpPrimaryPort => "PP (primary IP, primary port)",
        SocketRole::PrimaryIpAlternatePort => "PA (primary IP, alternate port)",
        SocketRole::AlternateIpPrimaryPort => "AP (alternate IP, primary port)",
        SocketRole::AlternateIpAlternatePort => "AA (alternate IP, alternate port)",
    }
}

impl StunServer {
    /// Binds every socket, proves each can send, and starts one receive loop per socket.
    pub fn start(config: &StunServerConfig) -> Result<StunServer, StartError> {
        let mut responder = ResponderConfig::new(config.primary);
        responder.alternate = config.alternate;
        responder.advertised_primary_ip = config.advertised_primary_ip;
        responder.advertised_alternate_ip = config.advertised_alternate_ip;
        responder.software = Some(concat!("sipwall ", env!("CARGO_PKG_VERSION")));
        responder.validate()?;

        let mut sockets: [Option<Arc<UdpSocket>>; 4] = Default::default();
        let mut addresses = Vec::new();
        for role in SocketRole::ALL {
            let Some(address) = responder.local_address(role) else {
                continue;
            };
            let socket = UdpSocket::bind(address).map_err(|source| StartError::Bind {
                role: role_name(role),
                address,
                source,
            })?;
            let bound = socket.local_addr().unwrap_or(address);
            crate::enlarge_receive_buffer(&socket);
            addresses.push((role, bound));
            sockets[role_index(role)] = Some(Arc::new(socket));
        }
        self_test(&sockets, &addresses)?;
        let listener = TcpListener::bind(config.primary).map_err(|source| StartError::Bind {
            role: "TCP primary",
            address: config.primary,
            source,
        })?;
        let tcp_address = listener.local_addr().unwrap_or(config.primary);

        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let responder = Arc::new(responder);
        let limits = config.limits;
        let sockets = Arc::new(sockets);
        let mut threads: Vec<JoinHandle<()>> = addresses
            .iter()
            .map(|(role, _)| {
                let (role, sockets, responder) = (*role, sockets.clone(), responder.clone());
                let (counters, stop) = (counters.clone(), stop.clone());
                std::thread::Builder::new()
                    .name(format!("stun-udp-{}", role_index(role)))
                    .spawn(move || {
                        receive_loop(role, &sockets, &responder, &counters, &stop, limits)
                    })
                    .expect("spawning a thread")
            })
            .collect();
        let (tcp_responder, tcp_counters, tcp_stop) =
            (responder.clone(), counters.clone(), stop.clone());
        threads.push(
            std::thread::Builder::new()
                .name("stun-tcp-accept".into())
                .spawn(move || {
                    crate::stun_tcp::accept_loop(listener, tcp_responder, tcp_counters, tcp_stop)
                })
                .expect("spawning a thread"),
        );
        Ok(StunServer {
            addresses,
            sockets,
            responder: responder.clone(),
            tcp_address,
            counters,
            stop,
            threads,
        })
    }

    /// The sockets served, with their roles and actual bound addresses.
    pub fn addresses(&self) -> &[(SocketRole, SocketAddr)] {
        &self.addresses
    }

    /// The UDP socket of a role, to send callbacks from.
    pub fn udp_socket(&self, role: SocketRole) -> Option<Arc<UdpSocket>> {
        self.sockets[role_index(role)].clone()
    }

    /// The answering rules, shared with STUN over TLS.
    pub(crate) fn responder(&self) -> Arc<ResponderConfig> {
        self.responder.clone()
    }

    /// The counters, shared (for the metrics endpoint and STUN over TLS).
    pub fn shared_counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// The TCP listener (on the primary address).
    pub fn tcp_address(&self) -> SocketAddr {
        self.tcp_address
    }

    pub fn counters(&self) -> Snapshot {
        self.counters.snapshot()
    }

    /// Stops the receive loops and waits for them (at most one poll interval).
    pub fn shutdown(mut self) -> Snapshot {
        self.stop_threads();
        self.counters.snapshot()
    }

    fn stop_threads(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for StunServer {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

fn role_index(role: SocketRole) -> usize {
    SocketRole::ALL
        .iter()
        .position(|r| *r == role)
        .expect("role is in ALL")
}

/// Every non-primary socket sends one datagram to the primary socket, which must receive it
/// with that socket's address as the source: a server that advertises OTHER-ADDRESS must be
/// able to send from it (RFC 5780 §4.1 filtering tests depend on it).
fn self_test(
    sockets: &[Option<Arc<UdpSocket>>; 4],
    addresses: &[(SocketRole, SocketAddr)],
) -> Result<(), StartError> {
    let primary = sockets[0]
        .as_ref()
        .expect("the primary socket is always bound");
    let primary_address = addresses[0].1;
    let deadline = Duration::from_secs(2);
    primary
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("setting a timeout");
    for (role, address) in addresses.iter().skip(1) {
        let socket = sockets[role_index(*role)].as_ref().expect("bound above");
        let token = format!("sipwall-selftest-{}", role_index(*role));
        let failure = |detail: String| StartError::SelfTest {
            role: role_name(*role),
            address: *address,
            detail,
        };
        let target = if primary_address.ip().is_unspecified() {
            SocketAddr::new(address.ip(), primary_address.port())
        } else {
            primary_address
        };
        socket
            .send_to(token.as_bytes(), target)
            .map_err(|e| failure(e.to_string()))?;
        let started = Instant::now();
        let mut buffer = [0u8; 64];
        loop {
            if started.elapsed() > deadline {
                return Err(failure("nothing arrived within 2 s".into()));
            }
            match primary.recv_from(&mut buffer) {
                Ok((n, from)) if &buffer[..n] == token.as_bytes() => {
                    if from != *address && !address.ip().is_unspecified() {
                        return Err(failure(format!("it arrived from {from}")));
                    }
                    break;
                }
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(failure(e.to_string())),
            }
        }
    }
    Ok(())
}

fn receive_loop(
    role: SocketRole,
    sockets: &[Option<Arc<UdpSocket>>; 4],
    responder: &ResponderConfig,
    counters: &Counters,
    stop: &AtomicBool,
    limits: Limits,
) {
    let socket = sockets[role_index(role)]
        .as_ref()
        .expect("loop runs for a bound socket");
    socket
        .set_read_timeout(Some(POLL_INTERVAL))
        .expect("setting a timeout");
    let mut request = vec![0u8; MAX_DATAGRAM];
    let mut reply = Vec::with_capacity(1500);
    // One limiter per socket: no lock on the hot path; a source's budget is per socket.
    let mut limiter = RateLimiter::new(limits);
    while !stop.load(Ordering::Relaxed) {
        let (len, source) = match socket.recv_from(&mut request) {
            Ok(received) => received,
            // Timeouts let the loop see the stop flag; ICMP errors from earlier sends show
            // up here as ConnectionRefused and concern no one now.
            Err(_) => continue,
        };
        counters.received();
        if !limiter.allow(source.ip(), Instant::now()) {
            counters.rate_limited();
            continue;
        }
        match respond(
            &request[..len],
            source,
            role,
            Transport::Udp,
            responder,
            &mut reply,
        ) {
            Outcome::Reply { from, to, .. } => {
                let sent = sockets[role_index(from)]
                    .as_ref()
                    .map(|s| s.send_to(&reply, to));
                match sent {
                    Some(Ok(_)) => counters.replied(),
                    _ => counters.send_error(),
                }
            }
            Outcome::Drop(reason) => counters.dropped(reason),
        }
    }
}
