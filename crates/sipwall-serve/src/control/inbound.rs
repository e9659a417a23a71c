//! Inbound tests: can the internet reach the requester's own public IP on a port (a port
//! forward to an on-site PBX, or a port that must stay closed)? The test comes from an address
//! the client never contacted, so a NAT's filtering state cannot let it through by accident.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sipwall_proto::control::{self, InboundOutcome, InboundTransport};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

/// How long a TCP connect or an answer to the SIP OPTIONS may take.
const DEADLINE: Duration = Duration::from_secs(3);
/// UDP datagrams are sent this many times, 20 ms apart: one lost packet is not "closed".
const COPIES: u32 = 3;

pub struct Test {
    pub transport: InboundTransport,
    pub target: SocketAddr,
    pub nonce: String,
    pub sip_options: bool,
}

/// A socket bound on the inbound address, before anything is sent.
pub enum Prepared {
    Udp(UdpSocket),
    Tcp(TcpSocket, SocketAddr),
}

impl Prepared {
    pub fn source(&self) -> SocketAddr {
        match self {
            Prepared::Udp(socket) => socket
                .local_addr()
                .unwrap_or(SocketAddr::new([0, 0, 0, 0].into(), 0)),
            Prepared::Tcp(_, source) => *source,
        }
    }
}

pub async fn prepare(test: &Test, source_ip: IpAddr) -> io::Result<Prepared> {
    if source_ip.is_ipv4() != test.target.is_ipv4() {
        return Err(io::Error::other(
            "the inbound address is of another IP family than this connection",
        ));
    }
    let source = SocketAddr::new(source_ip, 0);
    match test.transport {
        InboundTransport::Udp => Ok(Prepared::Udp(UdpSocket::bind(source).await?)),
        InboundTransport::Tcp => {
            let socket = if source_ip.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            socket.bind(source)?;
            let bound = socket.local_addr()?;
            Ok(Prepared::Tcp(socket, bound))
        }
    }
}

pub async fn run(test: Test, prepared: Prepared) -> InboundOutcome {
    match prepared {
        Prepared::Udp(socket) => udp(&test, socket).await,
        Prepared::Tcp(socket, _) => tcp(&test, socket).await,
    }
}

async fn udp(test: &Test, socket: UdpSocket) -> InboundOutcome {
    // Connected, so an ICMP port-unreachable comes back as an error and only the target's
    // answers are read.
    if socket.connect(test.target).await.is_err() {
        return InboundOutcome::Unreachable;
    }
    let payload = control::inbound_payload(&test.nonce);
    for copy in 0..COPIES {
        if copy > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        match socket.send(&payload).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                return InboundOutcome::Refused;
            }
            Err(_) => return InboundOutcome::Unreachable,
        }
    }
    if !test.sip_options {
        // Give an ICMP port-unreachable a moment to come back; silence means "sent".
        let mut buffer = [0u8; 64];
        return match tokio::time::timeout(Duration::from_millis(200), socket.recv(&mut buffer))
            .await
        {
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => InboundOutcome::Refused,
            _ => InboundOutcome::Sent,
        };
    }
    let source = socket.local_addr().ok();
    let options = sip_options(test, source);
    if socket.send(&options).await.is_err() {
        return InboundOutcome::Refused;
    }
    let mut buffer = [0u8; 2048];
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await {
            Err(_) => return InboundOutcome::Timeout,
            Ok(Ok(len)) if buffer[..len].starts_with(b"SIP/2.0 ") => {
                return InboundOutcome::Answered;
            }
            Ok(Ok(_)) => continue,
            // An ICMP port unreachable came back: the port is forwarded to nothing, or rejected.
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                return InboundOutcome::Refused;
            }
            Ok(Err(_)) => continue,
        }
    }
}

/// A minimal OPTIONS a PBX answers (RFC 3261 §11), addressed to the target.
fn sip_options(test: &Test, source: Option<SocketAddr>) -> Vec<u8> {
    let source = source.map_or_else(|| "0.0.0.0:0".to_owned(), |s| s.to_string());
    let target = test.target;
    let nonce = &test.nonce;
    format!(
        "OPTIONS sip:{target} SIP/2.0\r\n\
Via: SIP/2.0/UDP {source};branch=z9hG4bK-sipwall-{nonce};rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:inbound-test@{source}>;tag=sipwall\r\n\
To: <sip:{target}>\r\n\
Call-ID: sipwall-inbound-{nonce}\r\n\
CSeq: 1 OPTIONS\r\n\
User-Agent: sipwall inbound test\r\n\
Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

async fn tcp(test: &Test, socket: TcpSocket) -> InboundOutcome {
    match tokio::time::timeout(DEADLINE, socket.connect(test.target)).await {
        Err(_) => InboundOutcome::Timeout,
        Ok(Ok(stream)) => {
            greet(stream, &test.nonce).await;
            InboundOutcome::Connected
        }
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => InboundOutcome::Refused,
        Ok(Err(_)) => InboundOutcome::Unreachable,
    }
}

/// Says who is calling and leaves: a listener in the client's own test can match the nonce.
async fn greet(mut stream: TcpStream, nonce: &str) {
    use tokio::io::AsyncWriteExt;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(&control::inbound_payload(nonce)).await;
        let _ = stream.shutdown().await;
    })
    .await;
}
