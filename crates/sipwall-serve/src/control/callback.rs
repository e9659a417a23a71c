//! Timed callbacks: token-bearing datagrams from a named server socket to the session peer's
//! own IP, at a time the client chose (binding-lifetime tests). Never to any other address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sipwall_proto::control::{self, ErrorCode, Event, ServerMessage, SocketTransport};
use tokio::sync::mpsc;

use crate::counters::{Service, ServiceCounters};
use crate::directory::{Directory, UdpSender};
use crate::session::{SESSION_LIMITS, Session};

/// Repeated callbacks at least this far apart: keepalive-like, never a flood.
const MIN_EVERY_MS: u64 = 20;

pub struct Plan {
    pub socket: String,
    pub port: u16,
    pub delay_ms: u64,
    pub count: u32,
    pub every_ms: u64,
    pub nonce: String,
}

/// Checks a plan against the session's caps (`used`: callback datagrams planned before it).
pub fn check(
    plan: &Plan,
    used: u32,
    directory: &Directory,
    peer: SocketAddr,
) -> Result<(), (ErrorCode, String)> {
    let entry = directory.find(&plan.socket).ok_or_else(|| {
        (
            ErrorCode::UnknownSocket,
            format!("no socket named {:?}; ask for ports", plan.socket),
        )
    })?;
    if entry.socket.transport != SocketTransport::Udp || entry.sender.is_none() {
        return Err((
            ErrorCode::UnknownSocket,
            format!("{} is not a UDP socket", plan.socket),
        ));
    }
    if entry.socket.address.is_ipv4() != peer.is_ipv4() {
        return Err((
            ErrorCode::UnknownSocket,
            format!(
                "{} is of another IP family than this connection",
                plan.socket
            ),
        ));
    }
    if !control::valid_nonce(&plan.nonce) {
        return Err((
            ErrorCode::BadRequest,
            "the nonce must be 1-64 printable ASCII characters".into(),
        ));
    }
    if plan.port == 0 {
        return Err((ErrorCode::BadRequest, "port 0 cannot receive".into()));
    }
    if plan.delay_ms > SESSION_LIMITS.max_callback_delay_ms {
        return Err((
            ErrorCode::Limit,
            format!(
                "delay_ms is at most {}",
                SESSION_LIMITS.max_callback_delay_ms
            ),
        ));
    }
    if plan.count == 0 || (plan.count > 1 && plan.every_ms < MIN_EVERY_MS) {
        return Err((
            ErrorCode::BadRequest,
            format!(
                "count must be at least 1, and every_ms at least {MIN_EVERY_MS} when count > 1"
            ),
        ));
    }
    let total = u64::from(used) + u64::from(plan.count);
    if total > u64::from(SESSION_LIMITS.max_callbacks) {
        return Err((
            ErrorCode::Limit,
            format!(
                "at most {} callback datagrams per session",
                SESSION_LIMITS.max_callbacks
            ),
        ));
    }
    Ok(())
}

/// Sends the planned datagrams and reports each one as an event of request `id`.
pub async fn run(
    id: u64,
    plan: Plan,
    sender: UdpSender,
    session: Arc<Session>,
    outbox: mpsc::Sender<ServerMessage>,
    counters: Arc<ServiceCounters>,
) {
    let target = SocketAddr::new(session.peer.ip(), plan.port);
    let first = tokio::time::Instant::now() + Duration::from_millis(plan.delay_ms);
    for sequence in 1..=plan.count {
        let at = first + Duration::from_millis(plan.every_ms * u64::from(sequence - 1));
        tokio::time::sleep_until(at).await;
        let payload = control::callback_payload(&plan.nonce, sequence);
        if sender.send_to(&payload, target).is_ok() {
            counters.add(Service::CallbacksSent);
        }
        let event = Event::CallbackSent {
            sequence,
            at_ms: session.elapsed_ms(),
        };
        if outbox
            .send(ServerMessage::Event { id, event })
            .await
            .is_err()
        {
            return;
        }
    }
}
