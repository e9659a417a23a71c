//! The client side of the control channel (docs/protocol.md): connect, say hello, then send
//! requests and route every answer, event and error back to whoever asked, by id.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sipwall_proto::control::{
    self, Answer, ClientMessage, ErrorCode, Request, ServerMessage, ServerSocket, SessionLimits,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::tls;
use crate::sansio::Reply;

/// `sipwall check` says "server unreachable" within this time (exit code 3).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Keeps the connection (and its NAT state) alive during long waits; the server allows 120 s.
const PING_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("cannot reach the reflector's control channel at {address}: {detail}")]
    Unreachable { address: SocketAddr, detail: String },
    #[error("the reflector refused the session ({code:?}): {message}")]
    Refused { code: ErrorCode, message: String },
    #[error("the reflector's answer is not the sipwall protocol: {0}")]
    Protocol(String),
    #[error("the control connection closed")]
    Closed,
}

/// What `welcome` said.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    /// The control connection's source as the server saw it: the public IP.
    pub observed: SocketAddr,
    pub server: String,
    pub limits: SessionLimits,
    /// Where the control connection goes (its server IP is the reflector's primary IP).
    pub server_address: SocketAddr,
    /// The local address of the control connection: the interface that routes to the server.
    pub local_address: SocketAddr,
}

type Routes = Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Reply>>>>;

/// An open check session.
pub struct ControlClient {
    session: Session,
    outbox: mpsc::UnboundedSender<ClientMessage>,
    routes: Routes,
    next_id: Mutex<u64>,
    tasks: Vec<JoinHandle<()>>,
}

impl ControlClient {
    /// Connects (TLS when `use_tls`), says hello and waits for welcome, all within
    /// `CONNECT_TIMEOUT`.
    pub async fn connect(
        address: SocketAddr,
        use_tls: bool,
    ) -> Result<ControlClient, ControlError> {
        let unreachable = |detail: String| ControlError::Unreachable { address, detail };
        let opened = tokio::time::timeout(CONNECT_TIMEOUT, async {
            let tcp = TcpStream::connect(address)
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            let _ = tcp.set_nodelay(true);
            let local = tcp.local_addr().map_err(|e| unreachable(e.to_string()))?;
            if use_tls {
                let stream = tls::connect(tcp, address)
                    .await
                    .map_err(|e| unreachable(format!("TLS: {e}")))?;
                Self::start(stream, address, local).await
            } else {
                Self::start(tcp, address, local).await
            }
        })
        .await;
        opened.unwrap_or_else(|_| Err(unreachable("no welcome within 5 s".into())))
    }

    async fn start<S>(
        stream: S,
        address: SocketAddr,
        local: SocketAddr,
    ) -> Result<ControlClient, ControlError>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read_half, mut write_half) = tokio::io::split(stream);
        let mut reader = BufReader::new(read_half);
        let hello = ClientMessage::Hello {
            version: control::VERSION,
            client: concat!("sipwall ", env!("CARGO_PKG_VERSION")).into(),
        };
        write_half
            .write_all(&control::encode_line(&hello))
            .await
            .map_err(|_| ControlError::Closed)?;
        let mut line = String::new();
        if reader
            .read_line(&mut line)
            .await
            .map_err(|_| ControlError::Closed)?
            == 0
        {
            return Err(ControlError::Closed);
        }
        let session = match control::decode_line::<ServerMessage>(line.trim_end().as_bytes()) {
            Ok(ServerMessage::Welcome {
                session,
                observed,
                server,
                limits,
                ..
            }) => Session {
                token: session,
                observed,
                server,
                limits,
                server_address: address,
                local_address: local,
            },
            Ok(ServerMessage::Error { code, message, .. }) => {
                return Err(ControlError::Refused { code, message });
            }
            Ok(other) => {
                return Err(ControlError::Protocol(format!(
                    "expected welcome, got {other:?}"
                )));
            }
            Err(e) => return Err(ControlError::Protocol(e)),
        };

        let routes: Routes = Arc::default();
        let (outbox, mut outgoing) = mpsc::unbounded_channel::<ClientMessage>();
        let writer = tokio::spawn(async move {
            while let Some(message) = outgoing.recv().await {
                if write_half
                    .write_all(&control::encode_line(&message))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        let reader_routes = routes.clone();
        let reader = tokio::spawn(async move {
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => route(&reader_routes, line.trim_end()),
                }
            }
            // The connection is gone: every waiting request learns it from its closed channel.
            reader_routes.lock().expect("routes lock").clear();
        });
        let pinger_outbox = outbox.clone();
        let pinger = tokio::spawn(async move {
            loop {
                tokio::time::sleep(PING_EVERY).await;
                if pinger_outbox.send(ClientMessage::Ping).is_err() {
                    break;
                }
            }
        });
        Ok(ControlClient {
            session,
            outbox,
            routes,
            next_id: Mutex::new(1),
            tasks: vec![writer, reader, pinger],
        })
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Sends a request; its answer, events and errors arrive on the returned channel.
    pub fn request(&self, request: Request) -> (u64, mpsc::UnboundedReceiver<Reply>) {
        let id = {
            let mut next = self.next_id.lock().expect("id lock");
            *next += 1;
            *next - 1
        };
        self.request_with_id(id, request)
    }

    /// Like `request` with a caller-chosen id (the machine runner namespaces ids per machine).
    pub fn request_with_id(
        &self,
        id: u64,
        request: Request,
    ) -> (u64, mpsc::UnboundedReceiver<Reply>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.routes.lock().expect("routes lock").insert(id, sender);
        let _ = self.outbox.send(ClientMessage::Request { id, request });
        (id, receiver)
    }

    /// The server's sockets (`ports`).
    pub async fn ports(&self) -> Result<Vec<ServerSocket>, ControlError> {
        let (_, mut replies) = self.request(Request::Ports {});
        match replies.recv().await {
            Some(Reply::Answer(Answer::Ports { sockets })) => Ok(sockets),
            Some(Reply::Error { code, message }) => Err(ControlError::Refused { code, message }),
            Some(other) => Err(ControlError::Protocol(format!(
                "expected ports, got {other:?}"
            ))),
            None => Err(ControlError::Closed),
        }
    }

    /// Ends the session politely.
    pub async fn close(self) {
        let _ = self.outbox.send(ClientMessage::Bye);
        // Give the writer a moment to flush the bye.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Drop for ControlClient {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Hands one server line to the request it belongs to.
fn route(routes: &Routes, line: &str) {
    let Ok(message) = control::decode_line::<ServerMessage>(line.as_bytes()) else {
        tracing::debug!(%line, "unreadable line from the reflector");
        return;
    };
    let (id, reply) = match message {
        ServerMessage::Answer { id, answer } => (id, Reply::Answer(answer)),
        ServerMessage::Event { id, event } => (id, Reply::Event(event)),
        ServerMessage::Error {
            id: Some(id),
            code,
            message,
        } => (id, Reply::Error { code, message }),
        ServerMessage::Error {
            id: None,
            code,
            message,
        } => {
            tracing::warn!(?code, %message, "the reflector ended the session");
            return;
        }
        ServerMessage::Pong | ServerMessage::Welcome { .. } => return,
    };
    if let Some(sender) = routes.lock().expect("routes lock").get(&id) {
        let _ = sender.send(reply);
    }
}
