//! Hop discovery: UDP datagrams to the reflector's STUN socket with TTL 1, 2, 3…; each router
//! that drops one for its TTL sends ICMP "time exceeded", which Linux queues on the socket's
//! error queue (IP_RECVERR) with the router's address — no raw socket, no root.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};

use crate::path::Hop;

/// How long each TTL waits for its ICMP or the reflector's answer.
const PER_HOP: Duration = Duration::from_millis(300);

/// Probes hops 1..=`max_ttl` towards `server` (a STUN socket: at full TTL it answers, which
/// ends the walk). Returns the hops and whether the server was reached. IPv4 only.
pub fn trace(
    local_ip: IpAddr,
    server: SocketAddr,
    max_ttl: u8,
) -> std::io::Result<(Vec<Hop>, bool)> {
    let socket = UdpSocket::bind(SocketAddr::new(local_ip, 0))?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(Duration::from_millis(20)))?;
    setsockopt(&socket, sockopt::Ipv4RecvErr, &true).map_err(std::io::Error::from)?;
    let mut hops = Vec::new();
    let mut request = Vec::new();
    for ttl in 1..=max_ttl {
        setsockopt(&socket, sockopt::Ipv4Ttl, &i32::from(ttl)).map_err(std::io::Error::from)?;
        let id = sipwall_proto::stun::TransactionId(crate::run::random_transaction_id());
        request.clear();
        sipwall_proto::stun::binding_request(
            id,
            &[],
            sipwall_proto::stun::Seal::NONE,
            &mut request,
        )
        .expect("a plain request encodes");
        let _ = socket.send(&request);
        let deadline = Instant::now() + PER_HOP;
        let mut address = None;
        let mut reached = false;
        while Instant::now() < deadline && address.is_none() && !reached {
            if let Some(router) = icmp_offender(&socket) {
                address = Some(IpAddr::V4(router));
            } else {
                let mut buffer = [0u8; 512];
                // The reflector's answer: the walk has arrived.
                reached = socket.recv(&mut buffer).is_ok();
            }
        }
        if reached {
            hops.push(Hop {
                ttl,
                address: Some(server.ip()),
            });
            return Ok((hops, true));
        }
        let public = matches!(address, Some(IpAddr::V4(ip)) if !ip.is_private() && !crate::path::is_shared(ip));
        hops.push(Hop { ttl, address });
        if public {
            break; // past the customer's edge: nothing further matters here
        }
    }
    Ok((hops, false))
}

/// The router named by the next queued ICMP error, if any.
fn icmp_offender(socket: &UdpSocket) -> Option<Ipv4Addr> {
    use std::io::IoSliceMut;
    use std::os::fd::AsRawFd;
    let mut data = [0u8; 512];
    let mut iov = [IoSliceMut::new(&mut data)];
    let mut control = nix::cmsg_space!([u8; 64]);
    let message = recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT,
    )
    .ok()?;
    for cmsg in message.cmsgs().ok()? {
        if let ControlMessageOwned::Ipv4RecvErr(_, Some(offender)) = cmsg {
            return Some(Ipv4Addr::from(u32::from_be(offender.sin_addr.s_addr)));
        }
    }
    None
}
