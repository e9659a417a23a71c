//! The whole reflector: the STUN server (its own threads, the hot path) plus an async runtime
//! for the SIP mirror, the control channel, the port matrix and the metrics endpoint.
//! Every socket is bound before `start` returns, so a port in use is an error at start.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use sipwall_proto::control::{ServerSocket, Service as SocketService, SocketTransport};
use sipwall_proto::sip::SipTransport;
use sipwall_proto::stun::SocketRole;
use tokio::net::{TcpListener, UdpSocket};
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::control::{self, Shared};
use crate::counters::{ServiceCounters, Snapshot};
use crate::directory::{Directory, UdpSender};
use crate::port_redirect::{self, PortRange};
use crate::session::{SessionCaps, Sessions};
use crate::stream::accept_loop;
use crate::tls::{CertificateSource, TlsError};
use crate::{StartError, StunServer, StunServerConfig, metrics, port_probe, sip_mirror};

/// TCP and TLS connections at once, per kind of service (SIP mirror, control, port matrix).
pub const MAX_STREAMS: usize = 512;

#[derive(Debug, Clone)]
pub struct ReflectorConfig {
    pub stun: StunServerConfig,
    /// STUN over TLS ("stuns", 5349 by convention); `None`: not served.
    pub stun_tls: Option<SocketAddr>,
    /// SIP mirror ports on the primary IP, e.g. UDP/TCP 5060 and 5080, TLS 5061.
    pub sip: Vec<(SocketTransport, u16)>,
    /// The control channel's address; `None` serves no control channel (STUN and mirror only).
    pub control: Option<SocketAddr>,
    pub control_tls: bool,
    pub certificate: CertificateSource,
    /// Extra ports of the port matrix on the primary IP (UDP or TCP).
    pub port_matrix: Vec<(SocketTransport, u16)>,
    /// Whole port ranges for the port matrix, redirected with nftables (root only).
    pub port_ranges: Vec<PortRange>,
    /// Where inbound tests come from; by default the alternate IP (never contacted by a
    /// check before its inbound tests).
    pub inbound_source: Option<IpAddr>,
    pub metrics: Option<SocketAddr>,
    pub sessions: SessionCaps,
}

#[derive(Debug, thiserror::Error)]
pub enum ReflectorError {
    #[error(transparent)]
    Stun(#[from] StartError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot bind {what} {address}: {source}")]
    Bind {
        what: String,
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Config(String),
}

pub struct Reflector {
    /// Declared first so the nftables redirect is removed before the sockets close.
    _redirect: Option<port_redirect::Installed>,
    stun: StunServer,
    runtime: Runtime,
    directory: Directory,
    services: Arc<ServiceCounters>,
    sessions: Arc<Sessions>,
}

impl Reflector {
    pub fn start(config: &ReflectorConfig) -> Result<Reflector, ReflectorError> {
        let stun = StunServer::start(&config.stun)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sipwall-io")
            .enable_all()
            .build()
            .map_err(ReflectorError::Runtime)?;
        let services = Arc::new(ServiceCounters::default());
        let sessions = Arc::new(Sessions::new(config.sessions));
        let needs_tls = config.control_tls
            || config.stun_tls.is_some()
            || config.sip.iter().any(|(t, _)| *t == SocketTransport::Tls);
        let tls = if needs_tls {
            Some(TlsAcceptor::from(crate::tls::server_config(
                &config.certificate,
            )?))
        } else {
            None
        };
        let directory =
            runtime.block_on(bind_and_spawn(config, &stun, tls, &services, &sessions))?;
        let redirect = if config.port_ranges.is_empty() {
            None
        } else {
            let installed = port_redirect::install(&config.port_ranges, config.stun.primary.ip());
            Some(installed.map_err(ReflectorError::Config)?)
        };
        Ok(Reflector {
            _redirect: redirect,
            stun,
            runtime,
            directory,
            services,
            sessions,
        })
    }

    /// Every socket served, by name (what a check's `ports` request gets).
    pub fn sockets(&self) -> Vec<ServerSocket> {
        self.directory.sockets()
    }

    pub fn stun_counters(&self) -> Snapshot {
        self.stun.counters()
    }

    pub fn service_counters(&self) -> &ServiceCounters {
        &self.services
    }

    pub fn open_sessions(&self) -> usize {
        self.sessions.count()
    }

    /// Stops everything; open connections are dropped.
    pub fn shutdown(self) -> Snapshot {
        self.runtime.shutdown_timeout(Duration::from_secs(1));
        self.stun.shutdown()
    }
}

/// The address to tell clients: the advertised IP when the server is behind a 1:1 NAT.
fn advertised(config: &StunServerConfig, bound: SocketAddr) -> SocketAddr {
    let primary_ip = config.primary.ip();
    let advertised_ip = if bound.ip() == primary_ip {
        config.advertised_primary_ip
    } else {
        config.advertised_alternate_ip
    };
    SocketAddr::new(advertised_ip.unwrap_or(bound.ip()), bound.port())
}

async fn bind_udp(what: &str, address: SocketAddr) -> Result<Arc<UdpSocket>, ReflectorError> {
    UdpSocket::bind(address)
        .await
        .inspect(crate::enlarge_receive_buffer)
        .map(Arc::new)
        .map_err(|source| ReflectorError::Bind {
            what: what.to_owned(),
            address,
            source,
        })
}

async fn bind_tcp(what: &str, address: SocketAddr) -> Result<TcpListener, ReflectorError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| ReflectorError::Bind {
            what: what.to_owned(),
            address,
            source,
        })
}

async fn bind_and_spawn(
    config: &ReflectorConfig,
    stun: &StunServer,
    tls: Option<TlsAcceptor>,
    services: &Arc<ServiceCounters>,
    sessions: &Arc<Sessions>,
) -> Result<Directory, ReflectorError> {
    let mut directory = Directory::default();
    let entry = |name: String, service, transport, address| ServerSocket {
        name,
        service,
        transport,
        address,
        last_port: None,
    };

    for (role, address) in stun.addresses() {
        let (name, service) = match role {
            SocketRole::PrimaryIpPrimaryPort => ("stun-pp", SocketService::StunPp),
            SocketRole::PrimaryIpAlternatePort => ("stun-pa", SocketService::StunPa),
            SocketRole::AlternateIpPrimaryPort => ("stun-ap", SocketService::StunAp),
            SocketRole::AlternateIpAlternatePort => ("stun-aa", SocketService::StunAa),
        };
        let sender = stun.udp_socket(*role).map(UdpSender::Std);
        directory.add(
            entry(
                name.into(),
                service,
                SocketTransport::Udp,
                advertised(&config.stun, *address),
            ),
            sender,
        );
    }
    directory.add(
        entry(
            "stun-tcp".into(),
            SocketService::StunPp,
            SocketTransport::Tcp,
            advertised(&config.stun, stun.tcp_address()),
        ),
        None,
    );

    let stream_permits = Arc::new(Semaphore::new(MAX_STREAMS));
    if let Some(address) = config.stun_tls {
        let listener = bind_tcp("the STUN over TLS listener", address).await?;
        let bound = listener.local_addr().unwrap_or(address);
        let name = "stun-tls".to_owned();
        directory.add(
            entry(
                name,
                SocketService::StunPp,
                SocketTransport::Tls,
                advertised(&config.stun, bound),
            ),
            None,
        );
        let (responder, counters) = (stun.responder(), stun.shared_counters());
        tokio::spawn(accept_loop(
            listener,
            tls.clone(),
            stream_permits.clone(),
            services.clone(),
            move |stream, peer, _| {
                crate::stun_tls::serve_connection(stream, peer, responder.clone(), counters.clone())
            },
        ));
    }

    let primary_ip = config.stun.primary.ip();
    let limits = config.stun.limits;
    for (transport, port) in &config.sip {
        let address = SocketAddr::new(primary_ip, *port);
        let name = format!("sip-{}-{port}", transport_name(*transport));
        match transport {
            SocketTransport::Udp => {
                let socket = bind_udp("the SIP mirror socket", address).await?;
                let bound = socket.local_addr().unwrap_or(address);
                directory.add(
                    entry(
                        name,
                        SocketService::SipMirror,
                        *transport,
                        advertised(&config.stun, bound),
                    ),
                    Some(UdpSender::Async(socket.clone())),
                );
                tokio::spawn(sip_mirror::serve_udp(
                    socket,
                    limits,
                    sessions.clone(),
                    services.clone(),
                ));
            }
            SocketTransport::Tcp | SocketTransport::Tls => {
                let listener = bind_tcp("the SIP mirror listener", address).await?;
                let bound = listener.local_addr().unwrap_or(address);
                directory.add(
                    entry(
                        name,
                        SocketService::SipMirror,
                        *transport,
                        advertised(&config.stun, bound),
                    ),
                    None,
                );
                let sip_transport = if *transport == SocketTransport::Tls {
                    SipTransport::Tls
                } else {
                    SipTransport::Tcp
                };
                let acceptor = (*transport == SocketTransport::Tls)
                    .then(|| tls.clone())
                    .flatten();
                let (sessions, counters) = (sessions.clone(), services.clone());
                tokio::spawn(accept_loop(
                    listener,
                    acceptor,
                    stream_permits.clone(),
                    services.clone(),
                    move |stream, peer, local| {
                        sip_mirror::serve_stream(
                            stream,
                            peer,
                            local,
                            sip_transport,
                            sessions.clone(),
                            counters.clone(),
                        )
                    },
                ));
            }
        }
    }

    let probe_permits = Arc::new(Semaphore::new(MAX_STREAMS));
    let singles = config.port_matrix.iter().map(|(t, p)| (*t, *p, None));
    let ranges = config
        .port_ranges
        .iter()
        .map(|r| (r.transport, r.first, Some(r.last)));
    for (transport, port, last_port) in singles.chain(ranges) {
        let (transport, port) = (&transport, &port);
        let address = SocketAddr::new(primary_ip, *port);
        let name = match last_port {
            None => format!("port-{}-{port}", transport_name(*transport)),
            Some(last) => format!("port-{}-{port}-{last}", transport_name(*transport)),
        };
        let entry = |name, service, transport, address| ServerSocket {
            last_port,
            ..entry(name, service, transport, address)
        };
        match transport {
            SocketTransport::Udp => {
                let socket = bind_udp("the port-matrix socket", address).await?;
                let bound = socket.local_addr().unwrap_or(address);
                directory.add(
                    entry(
                        name,
                        SocketService::PortProbe,
                        *transport,
                        advertised(&config.stun, bound),
                    ),
                    Some(UdpSender::Async(socket.clone())),
                );
                tokio::spawn(port_probe::serve_udp(
                    socket,
                    sessions.clone(),
                    services.clone(),
                ));
            }
            SocketTransport::Tcp => {
                let listener = bind_tcp("the port-matrix listener", address).await?;
                let bound = listener.local_addr().unwrap_or(address);
                directory.add(
                    entry(
                        name,
                        SocketService::PortProbe,
                        *transport,
                        advertised(&config.stun, bound),
                    ),
                    None,
                );
                let (sessions, counters) = (sessions.clone(), services.clone());
                tokio::spawn(accept_loop(
                    listener,
                    None,
                    probe_permits.clone(),
                    services.clone(),
                    move |stream, peer, _| {
                        port_probe::serve_tcp(stream, peer, sessions.clone(), counters.clone())
                    },
                ));
            }
            SocketTransport::Tls => {
                return Err(ReflectorError::Config(
                    "port-matrix ports are UDP or TCP".into(),
                ));
            }
        }
    }

    if let Some(address) = config.control {
        let listener = bind_tcp("the control listener", address).await?;
        let bound = listener.local_addr().unwrap_or(address);
        let transport = if config.control_tls {
            SocketTransport::Tls
        } else {
            SocketTransport::Tcp
        };
        directory.add(
            entry(
                "control".into(),
                SocketService::Control,
                transport,
                advertised(&config.stun, bound),
            ),
            None,
        );
        let shared = Arc::new(Shared {
            sessions: sessions.clone(),
            directory: directory.clone(),
            counters: services.clone(),
            inbound_ip: config
                .inbound_source
                .or(config.stun.alternate.map(|a| a.ip())),
            server_name: concat!("sipwall ", env!("CARGO_PKG_VERSION")).to_owned(),
        });
        let acceptor = config.control_tls.then(|| tls.clone()).flatten();
        // Sessions are capped by `Sessions`; connections still saying hello by this.
        let permits = Arc::new(Semaphore::new(config.sessions.max_sessions + 64));
        tokio::spawn(accept_loop(
            listener,
            acceptor,
            permits,
            services.clone(),
            move |stream, peer, local| {
                control::serve_connection(stream, peer, local, shared.clone())
            },
        ));
    }

    if let Some(address) = config.metrics {
        let listener = bind_tcp("the metrics listener", address).await?;
        tokio::spawn(metrics::serve(
            listener,
            stun.shared_counters(),
            services.clone(),
            sessions.clone(),
        ));
    }
    Ok(directory)
}

fn transport_name(transport: SocketTransport) -> &'static str {
    match transport {
        SocketTransport::Udp => "udp",
        SocketTransport::Tcp => "tcp",
        SocketTransport::Tls => "tls",
    }
}
