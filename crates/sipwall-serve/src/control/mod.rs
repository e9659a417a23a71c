//! The control channel (docs/protocol.md): one check session per connection, JSON lines.
//!
//! A connection must say `hello` within `HELLO_TIMEOUT`, then stay within `IDLE_TIMEOUT`
//! between lines and within the session's maximum age. Everything a request starts
//! (callbacks, inbound tests, media streams) is a task of the connection and ends with it.

mod callback;
mod inbound;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sipwall_proto::control::{
    self, Answer, ClientMessage, ErrorCode, Event, MAX_LINE, Request, ServerMessage,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{debug, info};

use crate::counters::{Service, ServiceCounters};
use crate::directory::Directory;
use crate::media;
use crate::session::{SESSION_LIMITS, Session, Sessions};

pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// A client pings every 30 s during long waits (lifetime tests); twice that plus margin.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// Media requests per session (each may hold several streams).
const MAX_MEDIA_REQUESTS: u32 = 64;

/// What every control connection shares.
#[derive(Debug)]
pub struct Shared {
    pub sessions: Arc<Sessions>,
    pub directory: Directory,
    pub counters: Arc<ServiceCounters>,
    /// The address inbound tests come from: one the client never sends to (the alternate IP
    /// unless configured otherwise). `None`: inbound tests are unavailable.
    pub inbound_ip: Option<IpAddr>,
    pub server_name: String,
}

/// Serves one control connection to its end.
pub async fn serve_connection<S>(
    stream: S,
    peer: SocketAddr,
    local: SocketAddr,
    shared: Arc<Shared>,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (read_half, mut write_half) = tokio::io::split(stream);
    let mut reader = BufReader::new(read_half);
    let (outbox, mut outgoing) = mpsc::channel::<ServerMessage>(64);
    let writer = tokio::spawn(async move {
        // Runs until every sender is gone: the connection's end drops them all.
        while let Some(message) = outgoing.recv().await {
            if write_half
                .write_all(&control::encode_line(&message))
                .await
                .is_err()
            {
                break;
            }
        }
        let _ = write_half.shutdown().await;
    });

    let session = match open_session(&mut reader, peer, &shared).await {
        Ok(session) => session,
        Err((code, message)) => {
            shared.counters.add(Service::ControlRejected);
            debug!(%peer, ?code, %message, "control connection refused");
            let _ = outbox
                .send(ServerMessage::Error {
                    id: None,
                    code,
                    message,
                })
                .await;
            drop(outbox);
            let _ = writer.await;
            return;
        }
    };
    shared.counters.add(Service::ControlSessions);
    info!(%peer, session = %short(&session.token), "check session opened");
    let welcome = ServerMessage::Welcome {
        version: control::VERSION,
        session: session.token.clone(),
        observed: peer,
        server: shared.server_name.clone(),
        max_session_ms: shared.sessions.caps().max_age.as_millis() as u64,
        limits: SESSION_LIMITS,
    };
    if outbox.send(welcome).await.is_ok() {
        let mut connection = Connection {
            session: session.clone(),
            local,
            shared: shared.clone(),
            outbox: outbox.clone(),
            tasks: JoinSet::new(),
            media_stops: HashMap::new(),
            media_active: Arc::new(AtomicU32::new(0)),
            media_requests: 0,
            callbacks_used: 0,
            inbound_used: 0,
        };
        let end = connection.run(&mut reader).await;
        if let Some((code, message)) = end {
            let _ = outbox
                .send(ServerMessage::Error {
                    id: None,
                    code,
                    message,
                })
                .await;
        }
        // Dropping the connection aborts its callbacks, inbound tests and media streams.
        drop(connection);
    }
    shared.sessions.close(&session.token);
    info!(%peer, session = %short(&session.token), "check session closed");
    drop(outbox);
    let _ = writer.await;
}

/// The first 8 characters of a token: enough to follow a session in logs, useless to anyone
/// reading them.
fn short(token: &str) -> &str {
    &token[..8.min(token.len())]
}

type Failure = (ErrorCode, String);

async fn open_session<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    peer: SocketAddr,
    shared: &Shared,
) -> Result<Arc<Session>, Failure> {
    let line = match tokio::time::timeout(HELLO_TIMEOUT, read_line(reader)).await {
        Ok(Ok(Some(line))) => line,
        Ok(Ok(None)) => {
            return Err((
                ErrorCode::BadRequest,
                "connection closed before hello".into(),
            ));
        }
        Ok(Err(message)) => return Err((ErrorCode::BadRequest, message)),
        Err(_) => return Err((ErrorCode::Timeout, "no hello within 5 s".into())),
    };
    match control::decode_line::<ClientMessage>(&line) {
        Ok(ClientMessage::Hello { version, .. }) if version >= control::VERSION => {}
        Ok(ClientMessage::Hello { version, .. }) => {
            return Err((
                ErrorCode::Version,
                format!(
                    "version {version} is not supported; this server speaks version {}",
                    control::VERSION
                ),
            ));
        }
        Ok(_) => {
            return Err((
                ErrorCode::BadRequest,
                "the first message must be hello".into(),
            ));
        }
        Err(e) => return Err((ErrorCode::BadRequest, format!("not a hello: {e}"))),
    }
    shared
        .sessions
        .open(peer)
        .map_err(|e| (ErrorCode::Busy, e.to_string()))
}

/// The `id` of a request line that did not decode, when it has one.
fn request_id(line: &[u8]) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_slice(line).ok()?;
    (value.get("type")?.as_str()? == "request")
        .then(|| value.get("id")?.as_u64())
        .flatten()
}

/// Reads one line without its newline; `None` at end of stream; an error for a line longer
/// than `MAX_LINE` (memory stays bounded whatever the client sends).
async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
) -> Result<Option<Vec<u8>>, String> {
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| e.to_string())?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        if line.len() > MAX_LINE {
            return Err(format!("line longer than {MAX_LINE} bytes"));
        }
        return Ok(None); // end of stream inside a line
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(line))
}

struct Connection {
    session: Arc<Session>,
    /// The server address the control connection arrived at: media sockets bind there.
    local: SocketAddr,
    shared: Arc<Shared>,
    outbox: mpsc::Sender<ServerMessage>,
    tasks: JoinSet<()>,
    /// Stop switches of running media requests, by request id.
    media_stops: HashMap<u64, watch::Sender<bool>>,
    /// Streams running now (each media task subtracts its own when it ends).
    media_active: Arc<AtomicU32>,
    media_requests: u32,
    callbacks_used: u32,
    inbound_used: u32,
}

impl Connection {
    /// Answers requests until the client leaves; returns why the server ended it, if it did.
    async fn run<R: AsyncRead + Unpin>(&mut self, reader: &mut BufReader<R>) -> Option<Failure> {
        let max_age = self.shared.sessions.caps().max_age;
        let expires = tokio::time::Instant::from_std(self.session.started + max_age);
        loop {
            let line = tokio::select! {
                _ = tokio::time::sleep_until(expires) => {
                    return Some((ErrorCode::Timeout, "the session reached its maximum length".into()));
                }
                line = tokio::time::timeout(IDLE_TIMEOUT, read_line(reader)) => line,
            };
            let line = match line {
                Err(_) => return Some((ErrorCode::Timeout, "no message for 120 s".into())),
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) => return None,
                Ok(Err(message)) => return Some((ErrorCode::BadRequest, message)),
            };
            if line.is_empty() {
                continue;
            }
            match control::decode_line::<ClientMessage>(&line) {
                Ok(ClientMessage::Request { id, request }) => {
                    let reply = self.handle(id, request).await;
                    if let Err((code, message)) = reply {
                        let _ = self
                            .outbox
                            .send(ServerMessage::Error {
                                id: Some(id),
                                code,
                                message,
                            })
                            .await;
                    }
                }
                Ok(ClientMessage::Ping) => {
                    let _ = self.outbox.send(ServerMessage::Pong).await;
                }
                Ok(ClientMessage::Bye) => return None,
                Ok(ClientMessage::Hello { .. }) => {
                    self.bad_request(None, "hello was already said").await;
                }
                // A request this server does not know still gets its id back, so a newer
                // client can tell "not supported here" (docs/protocol.md, versioning).
                Err(e) => self.bad_request(request_id(&line), &e).await,
            }
        }
    }

    async fn bad_request(&self, id: Option<u64>, message: &str) {
        self.shared.counters.add(Service::ControlBadRequests);
        let _ = self
            .outbox
            .send(ServerMessage::Error {
                id,
                code: ErrorCode::BadRequest,
                message: message.to_owned(),
            })
            .await;
    }

    async fn answer(&self, id: u64, answer: Answer) {
        let _ = self.outbox.send(ServerMessage::Answer { id, answer }).await;
    }

    async fn handle(&mut self, id: u64, request: Request) -> Result<(), Failure> {
        match request {
            Request::Ports {} => {
                let sockets = self.shared.directory.sockets();
                self.answer(id, Answer::Ports { sockets }).await;
            }
            Request::Mirror { call_id } => {
                let records = self.session.mirror_records(&call_id);
                self.answer(id, Answer::Mirror { records }).await;
            }
            Request::Callback {
                socket,
                port,
                delay_ms,
                count,
                every_ms,
                nonce,
            } => {
                let plan = callback::Plan {
                    socket,
                    port,
                    delay_ms,
                    count,
                    every_ms,
                    nonce,
                };
                callback::check(
                    &plan,
                    self.callbacks_used,
                    &self.shared.directory,
                    self.session.peer,
                )?;
                self.callbacks_used += plan.count;
                let sender = self
                    .shared
                    .directory
                    .find(&plan.socket)
                    .and_then(|e| e.sender.clone())
                    .expect("checked");
                self.answer(id, Answer::CallbackScheduled).await;
                let (outbox, counters, session) = (
                    self.outbox.clone(),
                    self.shared.counters.clone(),
                    self.session.clone(),
                );
                self.tasks
                    .spawn(callback::run(id, plan, sender, session, outbox, counters));
            }
            Request::Inbound {
                transport,
                port,
                nonce,
                sip_options,
            } => {
                let Some(source_ip) = self.shared.inbound_ip else {
                    return Err((
                        ErrorCode::Unavailable,
                        "this server has no second address to run inbound tests from".into(),
                    ));
                };
                if !control::valid_nonce(&nonce) {
                    return Err((
                        ErrorCode::BadRequest,
                        "the nonce must be 1-64 printable ASCII characters".into(),
                    ));
                }
                if self.inbound_used >= SESSION_LIMITS.max_inbound {
                    return Err((
                        ErrorCode::Limit,
                        format!(
                            "at most {} inbound tests per session",
                            SESSION_LIMITS.max_inbound
                        ),
                    ));
                }
                self.inbound_used += 1;
                self.shared.counters.add(Service::InboundTests);
                let target = SocketAddr::new(self.session.peer.ip(), port);
                let test = inbound::Test {
                    transport,
                    target,
                    nonce,
                    sip_options,
                };
                let prepared = inbound::prepare(&test, source_ip)
                    .await
                    .map_err(|e| (ErrorCode::Unavailable, e.to_string()))?;
                self.answer(
                    id,
                    Answer::InboundStarted {
                        source: prepared.source(),
                    },
                )
                .await;
                let outbox = self.outbox.clone();
                self.tasks.spawn(async move {
                    let outcome = inbound::run(test, prepared).await;
                    let _ = outbox
                        .send(ServerMessage::Event {
                            id,
                            event: Event::InboundResult { outcome },
                        })
                        .await;
                });
            }
            Request::Media {
                streams,
                duration_ms,
                clock_rate,
            } => {
                let active = self.media_active.load(Ordering::Relaxed);
                let max = SESSION_LIMITS.max_media_streams;
                if streams == 0
                    || active + streams > max
                    || self.media_requests >= MAX_MEDIA_REQUESTS
                {
                    return Err((
                        ErrorCode::Limit,
                        format!(
                            "1 to {max} media streams at once, {MAX_MEDIA_REQUESTS} media requests per session"
                        ),
                    ));
                }
                if duration_ms == 0
                    || duration_ms > SESSION_LIMITS.max_media_duration_ms
                    || clock_rate == 0
                {
                    return Err((
                        ErrorCode::Limit,
                        format!(
                            "duration_ms must be 1 to {} and clock_rate above 0",
                            SESSION_LIMITS.max_media_duration_ms
                        ),
                    ));
                }
                let sockets = media::bind_streams(self.local.ip(), streams)
                    .await
                    .map_err(|e| (ErrorCode::Unavailable, e.to_string()))?;
                let ports = sockets
                    .iter()
                    .filter_map(|s| s.local_addr().ok())
                    .map(|a| a.port())
                    .collect();
                self.media_requests += 1;
                self.media_active.fetch_add(streams, Ordering::Relaxed);
                for _ in 0..streams {
                    self.shared.counters.add(Service::MediaStreams);
                }
                self.answer(id, Answer::MediaReady { ports }).await;
                let (stop, stopped) = watch::channel(false);
                self.media_stops.insert(id, stop);
                let (outbox, counters, peer_ip, active) = (
                    self.outbox.clone(),
                    self.shared.counters.clone(),
                    self.session.peer.ip(),
                    self.media_active.clone(),
                );
                self.tasks.spawn(async move {
                    let streams_report = media::run(
                        sockets,
                        peer_ip,
                        clock_rate,
                        Duration::from_millis(duration_ms),
                        stopped,
                        counters,
                    )
                    .await;
                    active.fetch_sub(streams, Ordering::Relaxed);
                    let _ = outbox
                        .send(ServerMessage::Event {
                            id,
                            event: Event::MediaStats {
                                streams: streams_report,
                            },
                        })
                        .await;
                });
            }
            Request::MediaStop { media } => {
                let Some(stop) = self.media_stops.remove(&media) else {
                    return Err((
                        ErrorCode::BadRequest,
                        format!("no running media session with id {media}"),
                    ));
                };
                let _ = stop.send(true);
                self.answer(id, Answer::MediaStopping).await;
            }
        }
        Ok(())
    }
}
