//! Parses `conntrack -L` output: the router's real NAT mappings, used as ground truth.

use std::net::{Ipv4Addr, SocketAddrV4};

use crate::error::{LabError, LabResult};

/// One direction of a tracked flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowTuple {
    /// Source address and port.
    pub source: SocketAddrV4,
    /// Destination address and port.
    pub destination: SocketAddrV4,
}

/// One conntrack entry (flow) as listed by `conntrack -L`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConntrackEntry {
    /// Protocol name, e.g. `udp` or `tcp`.
    pub protocol: String,
    /// Seconds until the entry expires.
    pub timeout_secs: u64,
    /// The flow as the initiator sent it (before NAT).
    pub original: FlowTuple,
    /// The expected reply (after NAT: its destination is the translated source).
    pub reply: FlowTuple,
    /// No reply has been seen yet.
    pub unreplied: bool,
    /// The flow is assured (saw traffic both ways long enough).
    pub assured: bool,
    /// Attached helper, e.g. `sip`.
    pub helper: Option<String>,
}

impl ConntrackEntry {
    /// The source address and port the far side sees for this flow (the NAT mapping).
    pub fn translated_source(&self) -> SocketAddrV4 {
        self.reply.destination
    }

    /// Whether source NAT changed the address or port of this flow.
    pub fn is_source_translated(&self) -> bool {
        self.translated_source() != self.original.source
    }
}

/// Parses every entry line of `conntrack -L` output; blank lines are skipped.
pub fn parse_entries(output: &str) -> LabResult<Vec<ConntrackEntry>> {
    output
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(parse_line)
        .collect()
}

/// Parses a line like
/// `udp 17 29 src=10.77.0.2 dst=198.18.0.10 sport=40000 dport=5060 [UNREPLIED] src=... helper=sip use=1`.
fn parse_line(line: &str) -> LabResult<ConntrackEntry> {
    let malformed = || LabError::ConntrackParse(line.to_string());
    let mut words = line.split_whitespace();
    let protocol = words.next().ok_or_else(malformed)?.to_string();
    let _protocol_number = words.next().ok_or_else(malformed)?;
    let timeout_secs = words
        .next()
        .and_then(|word| word.parse().ok())
        .ok_or_else(malformed)?;

    // The first src/dst/sport/dport group is the original direction, the second the reply.
    let mut addresses: Vec<Ipv4Addr> = Vec::new();
    let mut ports: Vec<u16> = Vec::new();
    let mut unreplied = false;
    let mut assured = false;
    let mut helper = None;
    for word in words {
        match word.split_once('=') {
            Some(("src" | "dst", value)) => {
                addresses.push(value.parse().map_err(|_| malformed())?);
            }
            Some(("sport" | "dport", value)) => {
                ports.push(value.parse().map_err(|_| malformed())?);
            }
            Some(("helper", value)) => helper = Some(value.to_string()),
            Some(_) => {}
            None => match word {
                "[UNREPLIED]" => unreplied = true,
                "[ASSURED]" => assured = true,
                _ => {} // e.g. a TCP state such as ESTABLISHED
            },
        }
    }
    if addresses.len() != 4 || ports.len() != 4 {
        return Err(malformed());
    }
    let tuple = |at: usize| FlowTuple {
        source: SocketAddrV4::new(addresses[at], ports[at]),
        destination: SocketAddrV4::new(addresses[at + 1], ports[at + 1]),
    };
    Ok(ConntrackEntry {
        protocol,
        timeout_secs,
        original: tuple(0),
        reply: tuple(2),
        unreplied,
        assured,
        helper,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_udp_and_tcp_lines() {
        let output = "\
udp      17 3598 src=10.77.0.2 dst=198.18.0.10 sport=40000 dport=5060 [UNREPLIED] src=198.18.0.10 dst=198.18.0.1 sport=5060 dport=40000 mark=0 helper=sip use=1
tcp      6 431999 ESTABLISHED src=198.18.0.10 dst=198.18.0.1 sport=51000 dport=5061 src=10.77.0.3 dst=198.18.0.10 sport=5061 dport=51000 [ASSURED] mark=0 use=1

";
        let entries = parse_entries(output).unwrap();
        assert_eq!(entries.len(), 2);
        let udp = &entries[0];
        assert_eq!(udp.protocol, "udp");
        assert_eq!(udp.timeout_secs, 3598);
        assert!(udp.unreplied && !udp.assured);
        assert_eq!(udp.helper.as_deref(), Some("sip"));
        assert_eq!(udp.original.source, "10.77.0.2:40000".parse().unwrap());
        assert_eq!(udp.translated_source(), "198.18.0.1:40000".parse().unwrap());
        assert!(udp.is_source_translated());
        let tcp = &entries[1];
        assert!(tcp.assured && !tcp.unreplied);
        assert_eq!(tcp.reply.source, "10.77.0.3:5061".parse().unwrap());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_entries("udp 17 nonsense").is_err());
    }
}
