//! The SIP mirror's sockets: UDP receive loops and TCP/TLS connections around the sans-IO
//! `sipwall_proto::sip::mirror::respond`. A probe of a running check (valid `X-Sipwall-Probe`
//! token) is answered in-band with the client's public mapping and recorded, bytes in and out,
//! for the check to fetch over the control channel; anything else gets at most a 403 no
//! larger than the request, under the per-source rate limit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sipwall_proto::control::{MirrorRecord, SocketTransport};
use sipwall_proto::sip::{MirrorOutcome, SipTransport, StreamFrame, respond, stream_message_len};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;

use crate::counters::{Service, ServiceCounters};
use crate::rate_limit::{Limits, RateLimiter};
use crate::session::Sessions;
use crate::stream::BoxedStream;

/// A SIP message over UDP fits a datagram; over a stream the view's limit applies.
const MAX_DATAGRAM: usize = 65_535;
/// A stream must deliver a complete message within this time, and may idle this long.
const STREAM_IDLE: Duration = Duration::from_secs(10);

/// Counts one message and returns the answer to send, if any.
fn answer(
    request: &[u8],
    source: SocketAddr,
    transport: SipTransport,
    server_port: u16,
    sessions: &Sessions,
    counters: &ServiceCounters,
) -> Option<Vec<u8>> {
    counters.add(Service::SipReceived);
    let mut reply = Vec::with_capacity(request.len() + 256);
    let valid = |token: &str| sessions.find(token).is_some_and(|s| s.mirror_has_room());
    match respond(request, source, transport, valid, &mut reply) {
        MirrorOutcome::Probe { token, call_id, .. } => {
            let session = sessions.find(token)?;
            let record = MirrorRecord {
                transport: match transport {
                    SipTransport::Udp => SocketTransport::Udp,
                    SipTransport::Tcp => SocketTransport::Tcp,
                    SipTransport::Tls => SocketTransport::Tls,
                },
                server_port,
                source,
                at_ms: session.elapsed_ms(),
                received: BASE64.encode(request),
                sent: BASE64.encode(&reply),
            };
            // Two probes racing for the last record slot: only the recorded one is answered,
            // so every 200 OK the check sees has its record.
            if !session.record_mirror(call_id, record) {
                counters.add(Service::SipDropped);
                return None;
            }
            counters.add(Service::SipProbesAnswered);
            Some(reply)
        }
        MirrorOutcome::Forbidden => {
            counters.add(Service::SipForbidden);
            Some(reply)
        }
        MirrorOutcome::Drop(_) => {
            counters.add(Service::SipDropped);
            None
        }
    }
}

/// One UDP SIP port.
pub async fn serve_udp(
    socket: Arc<UdpSocket>,
    limits: Limits,
    sessions: Arc<Sessions>,
    counters: Arc<ServiceCounters>,
) {
    let server_port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    let mut limiter = RateLimiter::new(limits);
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        let Ok((len, source)) = socket.recv_from(&mut buffer).await else {
            continue; // ICMP errors of earlier answers
        };
        if !limiter.allow(source.ip(), Instant::now()) {
            counters.add(Service::SipRateLimited);
            continue;
        }
        if let Some(reply) = answer(
            &buffer[..len],
            source,
            SipTransport::Udp,
            server_port,
            &sessions,
            &counters,
        ) {
            let _ = socket.send_to(&reply, source).await;
        }
    }
}

/// One TCP or TLS connection: messages framed by Content-Length (RFC 3261 §18.3), answered
/// in order on the same connection. Keepalive CRLFs are skipped (a double-CRLF ping gets the
/// single-CRLF pong of RFC 5626 §4.4.1).
pub async fn serve_stream(
    mut stream: BoxedStream,
    peer: SocketAddr,
    local: SocketAddr,
    transport: SipTransport,
    sessions: Arc<Sessions>,
    counters: Arc<ServiceCounters>,
) {
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        // Answer every complete message already buffered.
        loop {
            match stream_message_len(&buffer) {
                StreamFrame::NeedMore => break,
                StreamFrame::Keepalive(n) => {
                    let ping = n >= 4;
                    buffer.drain(..n);
                    if ping && stream.write_all(b"\r\n").await.is_err() {
                        return;
                    }
                }
                StreamFrame::Complete(len) => {
                    let reply = answer(
                        &buffer[..len],
                        peer,
                        transport,
                        local.port(),
                        &sessions,
                        &counters,
                    );
                    buffer.drain(..len);
                    if let Some(reply) = reply
                        && stream.write_all(&reply).await.is_err()
                    {
                        return;
                    }
                }
                StreamFrame::Invalid(_) => {
                    // The stream cannot be resynchronised after a framing error.
                    counters.add(Service::SipReceived);
                    counters.add(Service::SipDropped);
                    let _ = stream.shutdown().await;
                    return;
                }
            }
        }
        match tokio::time::timeout(STREAM_IDLE, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => {
                let _ = stream.shutdown().await;
                return;
            }
            Ok(Ok(n)) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}
