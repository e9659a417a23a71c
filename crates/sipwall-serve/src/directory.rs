//! Every socket the reflector serves, by name: what `ports` lists and what a callback names.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

use sipwall_proto::control::{ServerSocket, SocketTransport};

/// A UDP socket something can be sent from: a STUN socket (std, served by its own thread) or
/// one served by the async runtime.
#[derive(Debug, Clone)]
pub enum UdpSender {
    Std(Arc<UdpSocket>),
    Async(Arc<tokio::net::UdpSocket>),
}

impl UdpSender {
    /// Sends without waiting: UDP sends complete at once unless the kernel buffer is full,
    /// and then dropping the datagram is what a router would do too.
    pub fn send_to(&self, payload: &[u8], to: SocketAddr) -> io::Result<usize> {
        match self {
            UdpSender::Std(socket) => socket.send_to(payload, to),
            UdpSender::Async(socket) => socket.try_send_to(payload, to),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub socket: ServerSocket,
    /// Set for UDP sockets: callbacks may be sent from them.
    pub sender: Option<UdpSender>,
}

#[derive(Debug, Clone, Default)]
pub struct Directory {
    entries: Vec<Entry>,
}

impl Directory {
    pub fn add(&mut self, socket: ServerSocket, sender: Option<UdpSender>) {
        debug_assert_eq!(sender.is_some(), socket.transport == SocketTransport::Udp);
        self.entries.push(Entry { socket, sender });
    }

    pub fn sockets(&self) -> Vec<ServerSocket> {
        self.entries.iter().map(|e| e.socket.clone()).collect()
    }

    pub fn find(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.socket.name == name)
    }
}
