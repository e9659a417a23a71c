//! The port matrix: extra UDP and TCP ports that answer the probes of a running check
//! (`SIPWALL-PORT 1 <session> <nonce>`), so the check can tell which ports its firewall lets
//! out. Anything else is ignored: the answer is never sent without a session and is never
//! larger than the probe.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sipwall_proto::control::{parse_port_probe, port_probe_answer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;

use crate::counters::{Service, ServiceCounters};
use crate::session::Sessions;
use crate::stream::BoxedStream;

/// A probe is one short line; a TCP client has this long to send it.
const TCP_PROBE_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_PROBE: usize = 512;

/// The answer to one probe, if it deserves one.
fn answer(probe: &[u8], source: SocketAddr, sessions: &Sessions) -> Option<Vec<u8>> {
    let (token, nonce) = parse_port_probe(probe)?;
    sessions.find(token)?;
    port_probe_answer(probe.len(), nonce, source)
}

pub async fn serve_udp(
    socket: Arc<UdpSocket>,
    sessions: Arc<Sessions>,
    counters: Arc<ServiceCounters>,
) {
    let mut buffer = [0u8; MAX_PROBE];
    loop {
        let Ok((len, source)) = socket.recv_from(&mut buffer).await else {
            continue;
        };
        match answer(&buffer[..len], source, &sessions) {
            Some(reply) => {
                let _ = socket.send_to(&reply, source).await;
                counters.add(Service::PortProbesAnswered);
            }
            None => counters.add(Service::PortProbesIgnored),
        }
    }
}

pub async fn serve_tcp(
    mut stream: BoxedStream,
    peer: SocketAddr,
    sessions: Arc<Sessions>,
    counters: Arc<ServiceCounters>,
) {
    let mut probe = Vec::with_capacity(128);
    let read = tokio::time::timeout(TCP_PROBE_TIMEOUT, async {
        let mut chunk = [0u8; 128];
        while !probe.contains(&b'\n') && probe.len() < MAX_PROBE {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => probe.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    match read.ok().and_then(|_| answer(&probe, peer, &sessions)) {
        Some(reply) => {
            let _ = stream.write_all(&reply).await;
            let _ = stream.shutdown().await;
            counters.add(Service::PortProbesAnswered);
        }
        None => counters.add(Service::PortProbesIgnored),
    }
}
