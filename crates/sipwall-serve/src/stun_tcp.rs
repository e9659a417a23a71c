//! STUN over TCP on the primary address (RFC 8489 §6.2.2): messages back to back on the
//! stream, no extra framing. CHANGE-REQUEST cannot be honoured on a connection; the responder
//! answers it with 420.
//!
//! Bounded for a public server: at most `MAX_CONNECTIONS` at once, an idle connection is
//! closed after `IDLE_TIMEOUT`, and a message larger than `MAX_MESSAGE` ends the connection.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sipwall_proto::stun::{
    DropReason, Outcome, ResponderConfig, SocketRole, Transport, respond, stream_message_len,
};

use crate::counters::Counters;

pub const MAX_CONNECTIONS: usize = 256;
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Far above any Binding request, even one padded to an Ethernet MTU.
pub const MAX_MESSAGE: usize = 4096;
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Accepts connections until `stop` is set; each connection gets its own short-lived thread.
pub(crate) fn accept_loop(
    listener: TcpListener,
    responder: Arc<ResponderConfig>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let open = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(POLL_INTERVAL / 4);
                continue;
            }
            Err(_) => continue,
        };
        if open.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
            counters.tcp_refused();
            continue; // dropping the stream closes it
        }
        open.fetch_add(1, Ordering::Relaxed);
        let (responder, thread_counters, stop, still_open) = (
            responder.clone(),
            counters.clone(),
            stop.clone(),
            open.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("stun-tcp".into())
            .spawn(move || {
                serve_connection(stream, peer, &responder, &thread_counters, &stop);
                still_open.fetch_sub(1, Ordering::Relaxed);
            });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::Relaxed);
            counters.tcp_refused();
        }
    }
}

fn serve_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    responder: &ResponderConfig,
    counters: &Counters,
    stop: &AtomicBool,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(POLL_INTERVAL));
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::with_capacity(MAX_MESSAGE);
    let mut chunk = [0u8; 2048];
    let mut reply = Vec::with_capacity(512);
    let mut idle = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) && idle < IDLE_TIMEOUT {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                idle = Duration::ZERO;
                buffer.extend_from_slice(&chunk[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                idle += POLL_INTERVAL;
                continue;
            }
            Err(_) => return,
        }
        let mut replies = Vec::new();
        let framing = answer_buffered(
            &mut buffer,
            peer,
            responder,
            counters,
            &mut reply,
            &mut replies,
        );
        // On a connection the replies can only go back on the connection.
        if !replies.is_empty() && stream.write_all(&replies).is_err() {
            counters.send_error();
            return;
        }
        if framing == Framing::Close {
            return;
        }
    }
}

/// Whether a stream can go on after its buffered messages were answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    Continue,
    /// Not STUN or too large: a stream cannot be resynchronised.
    Close,
}

/// Answers every complete STUN message at the front of `buffer` (RFC 8489 §6.2.2 framing),
/// appending the replies to `replies`; shared by STUN over TCP and over TLS.
pub(crate) fn answer_buffered(
    buffer: &mut Vec<u8>,
    peer: SocketAddr,
    responder: &ResponderConfig,
    counters: &Counters,
    reply: &mut Vec<u8>,
    replies: &mut Vec<u8>,
) -> Framing {
    while buffer.len() >= 4 {
        let Some(len) = stream_message_len(buffer) else {
            counters.received();
            counters.dropped(DropReason::NotStun);
            return Framing::Close;
        };
        if len > MAX_MESSAGE {
            counters.received();
            counters.dropped(DropReason::Malformed);
            return Framing::Close;
        }
        if buffer.len() < len {
            break;
        }
        counters.received();
        let outcome = respond(
            &buffer[..len],
            peer,
            SocketRole::PrimaryIpPrimaryPort,
            Transport::Tcp,
            responder,
            reply,
        );
        buffer.drain(..len);
        match outcome {
            Outcome::Reply { .. } => {
                replies.extend_from_slice(reply);
                counters.replied();
            }
            Outcome::Drop(reason) => counters.dropped(reason),
        }
    }
    Framing::Continue
}
