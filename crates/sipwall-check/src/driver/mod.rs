//! The thin async layer around the sans-IO machines: real sockets, real time, and the control
//! channel. One `run` drives any `Machine` to its report.

pub mod control;
mod tls;
pub mod trace;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::socket::{setsockopt, sockopt};
use sipwall_proto::control::{ErrorCode, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub use control::{ControlClient, ControlError, Session};

use crate::sansio::{Machine, Reply, RequestTag, SocketId, SocketKind, SocketRequest, StreamEnd};

/// How long a TCP connect or TLS handshake of a test socket may take: Linux sends SYNs at 0,
/// 1 and 3 s, so three tries fit (one lost SYN must not look like a blocked port).
const STREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(7);

enum Input {
    Received {
        socket: SocketId,
        from: SocketAddr,
        payload: Vec<u8>,
    },
    StreamEnd {
        socket: SocketId,
        end: StreamEnd,
    },
    Reply {
        tag: RequestTag,
        reply: Reply,
    },
}

enum Endpoint {
    Udp(Arc<UdpSocket>),
    Stream(mpsc::UnboundedSender<Vec<u8>>),
}

/// Runs `machine` until it reports or `limit` passes (then `None`: the machine is stuck, which
/// is a bug or an absurd network; the caller reports the test as inconclusive).
///
/// `control` is `None` against a plain STUN server (the NAT test needs nothing else).
/// `namespace` keeps this machine's control request ids apart from other machines running on
/// the same session at the same time (id = namespace << 32 | tag).
pub async fn run<M: Machine>(
    machine: &mut M,
    control: Option<&ControlClient>,
    namespace: u32,
    local_ip: IpAddr,
    limit: Duration,
) -> Option<M::Report> {
    let give_up = tokio::time::Instant::now() + limit;
    let (inputs, mut incoming) = mpsc::unbounded_channel::<Input>();
    let mut tasks = JoinSet::new();
    let mut endpoints = HashMap::new();
    // Every socket at once: a blocked TCP port must not hold up the others' connects.
    let mut opening = JoinSet::new();
    for request in machine.sockets() {
        let inputs = inputs.clone();
        opening.spawn(async move {
            let opened = open(&request, local_ip, &inputs).await;
            (request, opened)
        });
    }
    while let Some(joined) = opening.join_next().await {
        let Ok((request, opened)) = joined else {
            continue;
        };
        match opened {
            Ok((endpoint, local, readers)) => {
                endpoints.insert(request.id, endpoint);
                for reader in readers {
                    tasks.spawn(reader);
                }
                machine.bound(request.id, Some(local));
            }
            Err(error) => {
                tracing::debug!(socket = request.id.0, %error, "test socket could not be opened");
                machine.bound(request.id, None);
                if matches!(
                    request.kind,
                    SocketKind::Tcp { .. } | SocketKind::Tls { .. }
                ) {
                    let end = if error.kind() == io::ErrorKind::ConnectionRefused {
                        StreamEnd::ConnectRefused
                    } else {
                        StreamEnd::ConnectFailed
                    };
                    machine.handle_stream_end(Instant::now(), request.id, end);
                }
            }
        }
    }
    let id_of = |tag: u64| (u64::from(namespace) << 32) | tag;
    loop {
        let now = Instant::now();
        while let Some(transmit) = machine.poll_transmit(now) {
            match endpoints.get(&transmit.socket) {
                Some(Endpoint::Udp(socket)) => {
                    // Wait for the socket to be writable: `try_send_to` on a socket tokio has
                    // not yet seen writable returns WouldBlock, which silently lost every
                    // first datagram of a fresh socket (found in the lab). Errors such as an
                    // ICMP-refused destination are the network's answer, not ours to retry.
                    let _ = socket
                        .send_to(&transmit.payload, transmit.destination)
                        .await;
                }
                Some(Endpoint::Stream(writer)) => {
                    let _ = writer.send(transmit.payload);
                }
                None => {}
            }
        }
        while let Some((tag, request)) = machine.poll_request(now) {
            let request = match request {
                Request::MediaStop { media } => Request::MediaStop {
                    media: id_of(media),
                },
                other => other,
            };
            let Some(control) = control else {
                // A plain STUN server has no control channel: say so, the machine decides.
                let reply = Reply::Error {
                    code: ErrorCode::Unavailable,
                    message: "no control channel (a plain STUN server)".into(),
                };
                machine.handle_reply(now, tag, reply);
                continue;
            };
            let (_, mut replies) = control.request_with_id(id_of(u64::from(tag.0)), request);
            let forward = inputs.clone();
            tasks.spawn(async move {
                while let Some(reply) = replies.recv().await {
                    if forward.send(Input::Reply { tag, reply }).is_err() {
                        break;
                    }
                }
            });
        }
        if let Some(report) = machine.report() {
            return Some(report);
        }
        let wake = machine
            .poll_timeout()
            .map(tokio::time::Instant::from_std)
            .unwrap_or(give_up)
            .min(give_up);
        tokio::select! {
            input = incoming.recv() => {
                let now = Instant::now();
                match input.expect("this function holds a sender") {
                    Input::Received { socket, from, payload } => machine.handle_receive(now, socket, from, &payload),
                    Input::StreamEnd { socket, end } => machine.handle_stream_end(now, socket, end),
                    Input::Reply { tag, reply } => machine.handle_reply(now, tag, reply),
                }
            }
            _ = tokio::time::sleep_until(wake) => {
                if tokio::time::Instant::now() >= give_up {
                    return machine.report();
                }
                machine.handle_timeout(Instant::now());
            }
        }
    }
}

/// Opens one test socket and starts the task that feeds what it receives into `inputs`.
/// A task that feeds what a socket receives into the machine's inputs.
type Reader = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

async fn open(
    request: &SocketRequest,
    local_ip: IpAddr,
    inputs: &mpsc::UnboundedSender<Input>,
) -> io::Result<(Endpoint, SocketAddr, Vec<Reader>)> {
    let id = request.id;
    match request.kind {
        SocketKind::Udp => {
            let wanted = SocketAddr::new(local_ip, request.port.unwrap_or(0));
            let socket = match UdpSocket::bind(wanted).await {
                Ok(socket) => socket,
                // The wanted port is taken (a softphone on 5060): any port, and the machine
                // sees from `bound` that it did not get its port.
                Err(_) if request.port.is_some() => {
                    UdpSocket::bind(SocketAddr::new(local_ip, 0)).await?
                }
                Err(e) => return Err(e),
            };
            if let (Some(tos), true) = (request.tos, local_ip.is_ipv4()) {
                setsockopt(&socket, sockopt::Ipv4Tos, &i32::from(tos)).map_err(io::Error::from)?;
            }
            let local = socket.local_addr()?;
            let socket = Arc::new(socket);
            let (reader, inputs) = (socket.clone(), inputs.clone());
            let reader: Reader = Box::pin(async move {
                let mut buffer = vec![0u8; 65_535];
                loop {
                    match reader.recv_from(&mut buffer).await {
                        Ok((len, from)) => {
                            let payload = buffer[..len].to_vec();
                            if inputs
                                .send(Input::Received {
                                    socket: id,
                                    from,
                                    payload,
                                })
                                .is_err()
                            {
                                break;
                            }
                        }
                        // ICMP errors of earlier sends surface here; they are not data.
                        Err(_) => continue,
                    }
                }
            });
            Ok((Endpoint::Udp(socket), local, vec![reader]))
        }
        SocketKind::TcpListen => {
            let wanted = SocketAddr::new(local_ip, request.port.unwrap_or(0));
            let listener = tokio::net::TcpListener::bind(wanted).await?;
            let local = listener.local_addr()?;
            let inputs = inputs.clone();
            let acceptor: Reader = Box::pin(async move {
                // Each accepted connection: read what it says (bounded), then close.
                while let Ok((mut stream, peer)) = listener.accept().await {
                    let inputs = inputs.clone();
                    tokio::spawn(async move {
                        let mut buffer = [0u8; 512];
                        let read =
                            tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer))
                                .await;
                        let payload = match read {
                            Ok(Ok(n)) => buffer[..n].to_vec(),
                            _ => Vec::new(),
                        };
                        let _ = inputs.send(Input::Received {
                            socket: id,
                            from: peer,
                            payload,
                        });
                    });
                }
            });
            // Nothing is ever written to a listener.
            let (unused, _) = mpsc::unbounded_channel();
            Ok((Endpoint::Stream(unused), local, vec![acceptor]))
        }
        SocketKind::Tcp { remote } | SocketKind::Tls { remote } => {
            let tcp = if local_ip.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            let wanted = SocketAddr::new(local_ip, request.port.unwrap_or(0));
            if tcp.bind(wanted).is_err() {
                tcp.bind(SocketAddr::new(local_ip, 0))?;
            }
            let stream = tokio::time::timeout(STREAM_CONNECT_TIMEOUT, tcp.connect(remote))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
            let _ = stream.set_nodelay(true);
            let local = stream.local_addr()?;
            let (writer_tx, writer_rx) = mpsc::unbounded_channel::<Vec<u8>>();
            if matches!(request.kind, SocketKind::Tls { .. }) {
                let tls =
                    tokio::time::timeout(STREAM_CONNECT_TIMEOUT, tls::connect(stream, remote))
                        .await
                        .map_err(|_| {
                            io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")
                        })??;
                let readers = stream_tasks(tls, id, remote, writer_rx, inputs.clone());
                Ok((Endpoint::Stream(writer_tx), local, readers))
            } else {
                let readers = stream_tasks(stream, id, remote, writer_rx, inputs.clone());
                Ok((Endpoint::Stream(writer_tx), local, readers))
            }
        }
    }
}

/// The writer and the reader of one connection.
fn stream_tasks<S>(
    stream: S,
    id: SocketId,
    remote: SocketAddr,
    mut writes: mpsc::UnboundedReceiver<Vec<u8>>,
    inputs: mpsc::UnboundedSender<Input>,
) -> Vec<Reader>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let (mut read_half, mut write_half) = tokio::io::split(stream);
    let writer: Reader = Box::pin(async move {
        while let Some(bytes) = writes.recv().await {
            if write_half.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    let reader: Reader = Box::pin(async move {
        let mut buffer = vec![0u8; 16 * 1024];
        let end = loop {
            match read_half.read(&mut buffer).await {
                Ok(0) => break StreamEnd::Closed,
                Ok(n) => {
                    let payload = buffer[..n].to_vec();
                    if inputs
                        .send(Input::Received {
                            socket: id,
                            from: remote,
                            payload,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break StreamEnd::Reset,
                Err(_) => break StreamEnd::Closed,
            }
        };
        let _ = inputs.send(Input::StreamEnd { socket: id, end });
    });
    vec![writer, reader]
}
