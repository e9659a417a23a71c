//! Lab addressing and the router options (NAT type, ALG ports, drops, loss, forwards).
//!
//! ```text
//!  client 10.77.0.2 ─┐                    (optional cgn: 100.64.0.1 | 198.18.0.1)
//!                    ├─ bridge "lan" 10.77.0.1 [router] wan 198.18.0.1 ─── server 198.18.0.10
//!  pbx    10.77.0.3 ─┘                    (or 100.64.0.2 with cgn)                198.18.0.11
//! ```

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// The client's address on the LAN.
pub const CLIENT_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
/// The optional on-site PBX's address on the LAN.
pub const PBX_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 3);
/// The router's LAN address (on its bridge); the LAN hosts' default gateway.
pub const ROUTER_LAN_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
/// The LAN network address.
pub const LAN_NETWORK: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 0);
/// Prefix length of the LAN.
pub const LAN_PREFIX_LEN: u8 = 24;
/// The public address the server sees when NAT is on (router WAN, or the CGN's public side).
pub const PUBLIC_ADDR: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// The server's primary address (198.18.0.0/15 is the benchmarking range, RFC 2544).
pub const SERVER_PRIMARY_ADDR: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 10);
/// The server's second address, for RFC 5780 "alternate address" tests.
pub const SERVER_SECONDARY_ADDR: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 11);
/// Prefix length of the public segment.
pub const PUBLIC_PREFIX_LEN: u8 = 24;
/// The CGN's inside address (shared address space, RFC 6598); the inner router's gateway.
pub const CGN_INSIDE_ADDR: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 1);
/// The inner router's WAN address when a CGN layer is present.
pub const ROUTER_CGN_SIDE_ADDR: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 2);
/// Prefix length of the router–CGN segment.
pub const CGN_PREFIX_LEN: u8 = 24;

/// How a NAT layer translates outgoing flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Nat {
    /// Plain routing: the far side sees the private source address.
    None,
    /// `masquerade`: endpoint-independent mapping that keeps the source port when it is free.
    #[default]
    PortPreserving,
    /// `masquerade fully-random`: a fresh random port for every new flow
    /// (address-and-port-dependent mapping, "symmetric NAT").
    Symmetric,
}

impl fmt::Display for Nat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Nat::None => "none",
            Nat::PortPreserving => "port-preserving",
            Nat::Symmetric => "symmetric",
        })
    }
}

impl FromStr for Nat {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(Nat::None),
            "port-preserving" => Ok(Nat::PortPreserving),
            "symmetric" => Ok(Nat::Symmetric),
            other => Err(format!(
                "unknown NAT type {other:?}; expected none, port-preserving or symmetric"
            )),
        }
    }
}

/// Transport protocol of a port rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        })
    }
}

impl FromStr for Transport {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "udp" => Ok(Transport::Udp),
            "tcp" => Ok(Transport::Tcp),
            other => Err(format!("unknown transport {other:?}; expected udp or tcp")),
        }
    }
}

/// An inclusive port range; a single port is `first == last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// Lowest port in the range.
    pub first: u16,
    /// Highest port in the range.
    pub last: u16,
}

impl PortRange {
    /// A range holding exactly one port.
    pub fn single(port: u16) -> Self {
        PortRange {
            first: port,
            last: port,
        }
    }

    /// An inclusive range `first..=last`.
    pub fn new(first: u16, last: u16) -> Self {
        PortRange { first, last }
    }

    /// Whether `port` lies in the range.
    pub fn contains(&self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }

    fn validate(&self) -> Result<(), String> {
        if self.first == 0 || self.first > self.last {
            return Err(format!(
                "port range {self} must be non-empty and start above 0"
            ));
        }
        Ok(())
    }
}

impl From<u16> for PortRange {
    fn from(port: u16) -> Self {
        PortRange::single(port)
    }
}

impl fmt::Display for PortRange {
    /// Renders as nft expects: `5060` or `10000-20000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

impl FromStr for PortRange {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parse_port = |part: &str| {
            part.parse::<u16>()
                .map_err(|_| format!("{part:?} is not a port number (1-65535)"))
        };
        let range = match text.split_once('-') {
            Some((first, last)) => PortRange::new(parse_port(first)?, parse_port(last)?),
            None => PortRange::single(parse_port(text)?),
        };
        range.validate()?;
        Ok(range)
    }
}

/// Splits `udp/5060` style text into transport and the rest.
fn split_transport(text: &str) -> Result<(Transport, &str), String> {
    let (transport, rest) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} should look like udp/5060 or tcp/5060"))?;
    Ok((transport.parse()?, rest))
}

/// A port on which the kernel SIP helper (the "SIP ALG") inspects and rewrites traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgPort {
    /// Transport the helper watches.
    pub transport: Transport,
    /// Destination port of the SIP flows to inspect.
    pub port: u16,
}

impl AlgPort {
    /// SIP ALG on a UDP port.
    pub fn udp(port: u16) -> Self {
        AlgPort {
            transport: Transport::Udp,
            port,
        }
    }

    /// SIP ALG on a TCP port.
    pub fn tcp(port: u16) -> Self {
        AlgPort {
            transport: Transport::Tcp,
            port,
        }
    }

    /// Name of the nft `ct helper` object for this port.
    pub fn helper_name(&self) -> String {
        format!("sip_{}_{}", self.transport, self.port)
    }
}

impl FromStr for AlgPort {
    type Err = String;
    /// Parses `udp/5060` or `tcp/5060`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (transport, port) = split_transport(text)?;
        let range: PortRange = port.parse()?;
        if range.first != range.last {
            return Err(format!("SIP ALG takes single ports, not ranges: {text:?}"));
        }
        Ok(AlgPort {
            transport,
            port: range.first,
        })
    }
}

/// Which way across the router a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// LAN → WAN.
    Outbound,
    /// WAN → LAN.
    Inbound,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Outbound => "out",
            Direction::Inbound => "in",
        })
    }
}

/// Drop forwarded packets of one transport whose *destination* port is in a range.
///
/// Outbound rules match LAN→WAN packets by the remote service port (e.g. block
/// outgoing SIP to 5060). Inbound rules match WAN→LAN packets by the LAN-side
/// destination port after NAT (e.g. the client's local port, or a forwarded port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropRule {
    /// Transport to match.
    pub transport: Transport,
    /// Destination ports to match.
    pub ports: PortRange,
    /// Direction to match.
    pub direction: Direction,
}

impl DropRule {
    /// Drop LAN→WAN traffic to these destination ports.
    pub fn outbound(transport: Transport, ports: impl Into<PortRange>) -> Self {
        DropRule {
            transport,
            ports: ports.into(),
            direction: Direction::Outbound,
        }
    }

    /// Drop WAN→LAN traffic to these (LAN-side) destination ports.
    pub fn inbound(transport: Transport, ports: impl Into<PortRange>) -> Self {
        DropRule {
            transport,
            ports: ports.into(),
            direction: Direction::Inbound,
        }
    }
}

impl FromStr for DropRule {
    type Err = String;
    /// Parses `udp/5060`, `udp/10000-20000`, with optional `/in` or `/out` (default out).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (transport, rest) = split_transport(text)?;
        let (ports, direction) = match rest.split_once('/') {
            Some((ports, "in")) => (ports, Direction::Inbound),
            Some((ports, "out")) => (ports, Direction::Outbound),
            Some((_, other)) => {
                return Err(format!("direction {other:?} in {text:?} must be in or out"));
            }
            None => (rest, Direction::Outbound),
        };
        Ok(DropRule {
            transport,
            ports: ports.parse()?,
            direction,
        })
    }
}

/// A port forward (DNAT) from the router's WAN address to the same port(s) on the PBX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortForward {
    /// Transport to forward.
    pub transport: Transport,
    /// Ports to forward (kept unchanged on the PBX).
    pub ports: PortRange,
}

impl PortForward {
    /// Forward UDP ports to the PBX.
    pub fn udp(ports: impl Into<PortRange>) -> Self {
        PortForward {
            transport: Transport::Udp,
            ports: ports.into(),
        }
    }

    /// Forward TCP ports to the PBX.
    pub fn tcp(ports: impl Into<PortRange>) -> Self {
        PortForward {
            transport: Transport::Tcp,
            ports: ports.into(),
        }
    }
}

impl FromStr for PortForward {
    type Err = String;
    /// Parses `udp/5060` or `udp/10000-10100`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (transport, ports) = split_transport(text)?;
        Ok(PortForward {
            transport,
            ports: ports.parse()?,
        })
    }
}

/// Random packet loss in percent (0–100) for each direction across the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loss {
    /// Percent of LAN→WAN packets dropped.
    pub outbound_percent: u8,
    /// Percent of WAN→LAN packets dropped.
    pub inbound_percent: u8,
}

/// Everything that shapes a lab. Build one with [`crate::Lab::builder`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabOptions {
    /// NAT done by the (inner) router.
    pub nat: Nat,
    /// Ports where the router's kernel SIP helper is active.
    pub sip_alg: Vec<AlgPort>,
    /// Router `nf_conntrack_udp_timeout` in seconds (kernel default 30).
    pub udp_timeout_secs: Option<u32>,
    /// Router `nf_conntrack_udp_timeout_stream` in seconds (kernel default 120).
    pub udp_stream_timeout_secs: Option<u32>,
    /// Ports dropped in the router's forward chain.
    pub drops: Vec<DropRule>,
    /// Random loss in the router's forward chain.
    pub loss: Loss,
    /// Whether to add the on-site PBX host (implied by any port forward).
    pub pbx: bool,
    /// Port forwards from the router's WAN address to the PBX.
    pub forwards: Vec<PortForward>,
    /// When set, a second NAT layer (carrier-grade NAT) with this NAT type sits
    /// between the router and the public segment.
    pub cgn: Option<Nat>,
}

impl LabOptions {
    /// Checks ranges and combinations, returning a readable complaint.
    pub fn validate(&self) -> Result<(), String> {
        for (name, percent) in [
            ("outbound", self.loss.outbound_percent),
            ("inbound", self.loss.inbound_percent),
        ] {
            if percent > 100 {
                return Err(format!("{name} loss {percent}% is above 100%"));
            }
        }
        for (name, secs) in [
            ("udp timeout", self.udp_timeout_secs),
            ("udp stream timeout", self.udp_stream_timeout_secs),
        ] {
            if secs == Some(0) {
                return Err(format!("{name} must be at least 1 second"));
            }
        }
        for rule in &self.drops {
            rule.ports.validate()?;
        }
        for forward in &self.forwards {
            forward.ports.validate()?;
        }
        for alg in &self.sip_alg {
            if alg.port == 0 {
                return Err("SIP ALG port must be above 0".to_string());
            }
        }
        if !self.forwards.is_empty() && !self.pbx {
            return Err("port forwards need the PBX host (enable pbx)".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cli_rule_syntax() {
        assert_eq!("udp/5060".parse::<AlgPort>(), Ok(AlgPort::udp(5060)));
        assert_eq!("tcp/5061".parse::<AlgPort>(), Ok(AlgPort::tcp(5061)));
        assert!("udp/5060-5070".parse::<AlgPort>().is_err());
        assert_eq!(
            "udp/10000-20000".parse::<DropRule>(),
            Ok(DropRule::outbound(
                Transport::Udp,
                PortRange::new(10000, 20000)
            ))
        );
        assert_eq!(
            "tcp/22/in".parse::<DropRule>(),
            Ok(DropRule::inbound(Transport::Tcp, 22))
        );
        assert!("udp/22/sideways".parse::<DropRule>().is_err());
        assert_eq!(
            "udp/5060".parse::<PortForward>(),
            Ok(PortForward::udp(5060))
        );
        assert!("sctp/1".parse::<PortForward>().is_err());
        assert!("udp/0".parse::<PortForward>().is_err());
        assert!("udp/9-8".parse::<PortForward>().is_err());
        assert_eq!("symmetric".parse::<Nat>(), Ok(Nat::Symmetric));
        assert!("full-cone".parse::<Nat>().is_err());
    }

    #[test]
    fn validation_catches_bad_combinations() {
        let forwards_without_pbx = LabOptions {
            forwards: vec![PortForward::udp(5060)],
            ..LabOptions::default()
        };
        assert!(forwards_without_pbx.validate().is_err());
        let too_much_loss = LabOptions {
            loss: Loss {
                outbound_percent: 101,
                inbound_percent: 0,
            },
            ..LabOptions::default()
        };
        assert!(too_much_loss.validate().is_err());
        assert!(LabOptions::default().validate().is_ok());
    }
}
