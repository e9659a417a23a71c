//! The practical ceiling for `bench/stun.sh`: a single-socket UDP echo on loopback that does
//! nothing but send each datagram back. Same shape as sipwall's receive loop (one thread, one
//! blocking socket, `recv_from` + `send_to` per datagram, a read timeout to see the deadline),
//! minus the STUN work, so `sipwall / echo` is the share of the ceiling sipwall reaches.
//!
//!     cargo run --release -p sipwall-serve --example udp_echo -- 127.0.0.1:35480 SECONDS

use std::net::UdpSocket;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let address = args.get(1).map_or("127.0.0.1:35480", String::as_str);
    let seconds: u64 = args.get(2).map_or(30, |s| s.parse().expect("SECONDS"));
    let socket = UdpSocket::bind(address).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut buffer = [0u8; 1500];
    while Instant::now() < deadline {
        if let Ok((n, from)) = socket.recv_from(&mut buffer) {
            let _ = socket.send_to(&buffer[..n], from);
        }
    }
}
