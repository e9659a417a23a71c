//! The RTP echo of a media test: each stream gets its own UDP socket; RTP from the session's
//! peer is echoed back byte for byte and measured on the way in (loss, RFC 3550 jitter,
//! reordering, duplicates, the TOS byte as received). The statistics go back over the control
//! channel when the stream ends.

use std::io::IoSliceMut;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use sipwall_proto::control::MediaStream;
use sipwall_proto::rtp::ReceiverStats;
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::counters::ServiceCounters;

/// RTP datagrams are far below this; anything longer is not a voice packet.
const MAX_RTP: usize = 2048;

/// Binds one socket per stream on `ip`, port chosen by the kernel.
pub async fn bind_streams(ip: IpAddr, streams: u32) -> std::io::Result<Vec<UdpSocket>> {
    let mut sockets = Vec::with_capacity(streams as usize);
    for _ in 0..streams {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        if ip.is_ipv4() {
            // Ask the kernel for the TOS byte of each datagram (DSCP kept or bleached?).
            let _ = setsockopt(&socket, sockopt::IpRecvTos, &true);
        }
        sockets.push(socket);
    }
    Ok(sockets)
}

/// Runs every stream until `duration` passes or `stop` is notified; returns their statistics.
pub async fn run(
    sockets: Vec<UdpSocket>,
    peer_ip: IpAddr,
    clock_rate: u32,
    duration: Duration,
    stop: watch::Receiver<bool>,
    counters: Arc<ServiceCounters>,
) -> Vec<MediaStream> {
    let deadline = tokio::time::Instant::now() + duration;
    let streams = sockets.into_iter().map(|socket| {
        let (stop, counters) = (stop.clone(), counters.clone());
        async move { echo_stream(socket, peer_ip, clock_rate, deadline, stop, counters).await }
    });
    futures_join_all(streams).await
}

/// Joins futures without pulling in the `futures` crate: spawn each and await in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<MediaStream>
where
    F: std::future::Future<Output = MediaStream> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        if let Ok(stream) = handle.await {
            results.push(stream);
        }
    }
    results
}

async fn echo_stream(
    socket: UdpSocket,
    peer_ip: IpAddr,
    clock_rate: u32,
    deadline: tokio::time::Instant,
    mut stop: watch::Receiver<bool>,
    counters: Arc<ServiceCounters>,
) -> MediaStream {
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    let started = Instant::now();
    let mut stats = ReceiverStats::new(clock_rate, Duration::from_secs(1));
    let mut stream = MediaStream {
        port,
        source: None,
        echoed: 0,
        foreign_source: 0,
        report: stats.report(),
    };
    let mut buffer = [0u8; MAX_RTP];
    loop {
        let received = tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            // A stop, or the control connection gone (sender dropped): either way, finish.
            _ = stop.wait_for(|stopped| *stopped) => break,
            received = socket.async_io(Interest::READABLE, || receive_with_tos(&socket, &mut buffer)) => received,
        };
        let Ok((len, source, tos)) = received else {
            continue; // ICMP errors from earlier echoes surface here; nothing to do
        };
        // Only the session's peer is echoed, and only from the first source it used, so the
        // echo can never be pointed at anyone else.
        if source.ip() != peer_ip || stream.source.is_some_and(|s| s != source) {
            stream.foreign_source += 1;
            continue;
        }
        let arrival = started.elapsed();
        if stats.on_datagram(&buffer[..len], arrival, tos).is_err() {
            continue;
        }
        stream.source = Some(source);
        if socket.try_send_to(&buffer[..len], source).is_ok() {
            stream.echoed += 1;
            counters.media_echoed();
        }
    }
    stream.report = stats.report();
    stream
}

/// One datagram with its source and, when the kernel reports it, the IPv4 TOS byte.
fn receive_with_tos(
    socket: &UdpSocket,
    buffer: &mut [u8],
) -> std::io::Result<(usize, SocketAddr, Option<u8>)> {
    let mut control = nix::cmsg_space!(u32);
    let mut iov = [IoSliceMut::new(buffer)];
    let message = recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::MSG_DONTWAIT,
    )
    .map_err(std::io::Error::from)?;
    let mut tos = None;
    if let Ok(cmsgs) = message.cmsgs() {
        for cmsg in cmsgs {
            if let ControlMessageOwned::Ipv4Tos(value) = cmsg {
                tos = Some(value);
            }
        }
    }
    let source = message
        .address
        .as_ref()
        .and_then(to_socket_addr)
        .ok_or_else(|| std::io::Error::other("datagram without a source address"))?;
    Ok((message.bytes, source, tos))
}

fn to_socket_addr(address: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = address.as_sockaddr_in() {
        return Some(SocketAddr::from((v4.ip(), v4.port())));
    }
    address
        .as_sockaddr_in6()
        .map(|v6| SocketAddr::from((v6.ip(), v6.port())))
}
