//! `Host`: a handle on one lab namespace for running programs and opening sockets in it.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;

use crate::conntrack::{self, ConntrackEntry};
use crate::error::LabResult;
use crate::netns;
use crate::topology::Transport;

/// The part a namespace plays in the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// LAN host behind the router.
    Client,
    /// The NAT router / firewall under test.
    Router,
    /// Public host with two addresses (STUN/SIP reflector side).
    Server,
    /// Optional second LAN host (on-site PBX, target of port forwards).
    Pbx,
    /// Optional carrier-grade NAT between router and the public segment.
    Cgn,
}

impl Role {
    /// Short lowercase name, used as the namespace name suffix.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Router => "router",
            Role::Server => "server",
            Role::Pbx => "pbx",
            Role::Cgn => "cgn",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One host (network namespace) of a lab. Borrowed from the [`crate::Lab`], so it
/// cannot outlive the namespaces.
#[derive(Debug, Clone)]
pub struct Host {
    namespace: String,
    role: Role,
    addresses: Vec<Ipv4Addr>,
}

impl Host {
    pub(crate) fn new(namespace: String, role: Role, addresses: Vec<Ipv4Addr>) -> Self {
        Host {
            namespace,
            role,
            addresses,
        }
    }

    /// The namespace name (as shown by `ip netns list`).
    pub fn name(&self) -> &str {
        &self.namespace
    }

    /// The role this host plays.
    pub fn role(&self) -> Role {
        self.role
    }

    /// All IPv4 addresses configured on this host, primary first.
    pub fn addresses(&self) -> &[Ipv4Addr] {
        &self.addresses
    }

    /// The primary address (LAN side for routers).
    pub fn address(&self) -> Ipv4Addr {
        self.addresses[0]
    }

    /// A `Command` running `program` inside this namespace (`ip netns exec NAME program`).
    /// Add arguments and spawn it like any other command.
    pub fn command(&self, program: &str) -> Command {
        netns::command_in(&self.namespace, program)
    }

    /// Runs `program args...` in this namespace to completion and returns its stdout;
    /// the error names the command and its stderr.
    pub fn run(&self, program: &str, args: &[&str]) -> LabResult<String> {
        netns::run(self.command(program).args(args))
    }

    /// Runs `work` on a helper thread that has joined this namespace; anything it
    /// creates (sockets) stays in this namespace.
    pub fn in_namespace<T, F>(&self, work: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T> + Send,
        T: Send,
    {
        netns::run_in(&self.namespace, work)
    }

    /// A UDP socket bound to `addr` inside this namespace, usable from any thread.
    pub fn udp_socket(&self, addr: SocketAddr) -> io::Result<UdpSocket> {
        self.in_namespace(|| UdpSocket::bind(addr))
    }

    /// A TCP listener bound to `addr` inside this namespace.
    pub fn tcp_listener(&self, addr: SocketAddr) -> io::Result<TcpListener> {
        self.in_namespace(|| TcpListener::bind(addr))
    }

    /// A TCP connection from this namespace to `addr`, giving up after `timeout`.
    pub fn tcp_connect(&self, addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        self.in_namespace(|| TcpStream::connect_timeout(&addr, timeout))
    }

    /// This namespace's conntrack table for one transport (meaningful on the router and
    /// CGN): the real NAT mappings.
    pub fn conntrack(&self, transport: Transport) -> LabResult<Vec<ConntrackEntry>> {
        let protocol = transport.to_string();
        let output = self.run("conntrack", &["-L", "-p", &protocol])?;
        conntrack::parse_entries(&output)
    }

    /// Shorthand for [`Host::conntrack`] with UDP.
    pub fn conntrack_udp(&self) -> LabResult<Vec<ConntrackEntry>> {
        self.conntrack(Transport::Udp)
    }

    /// This namespace's conntrack expectations (`conntrack -L expect`), one raw line
    /// each: e.g. the RTP/RTCP flows the SIP helper announced from an SDP body.
    pub fn conntrack_expectations(&self) -> LabResult<Vec<String>> {
        let output = self.run("conntrack", &["-L", "expect"])?;
        Ok(output
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_string)
            .collect())
    }

    /// Sets a sysctl in this namespace (network sysctls are per namespace).
    pub fn sysctl(&self, key: &str, value: &str) -> LabResult<()> {
        self.run("sysctl", &["-w", &format!("{key}={value}")])
            .map(drop)
    }
}
