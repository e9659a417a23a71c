//! Values of Vyatta-family leaves: port lists (`5060,10000-20000`, `!22`, `/etc/services`
//! names), addresses (`192.0.2.1`, `192.0.2.0/24`, `192.0.2.1-192.0.2.9`, `!…`) and protocols.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use sipwall_firewall::model::{Ports, Protocol};

use crate::formats::ports;

/// A port list as written (without negation), `/etc/services` names included: `None` when a
/// part is not a port (an unknown name makes the line unknown instead of a wrong guess).
pub(super) fn port_list(text: &str) -> Option<Ports> {
    ports::comma_list(text, ports::dash_range)
}

/// What a port match selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PortMatch {
    Ports(Ports),
    /// A negation that leaves no port: the rule never matches.
    Nothing,
}

/// A port match, negation (`!22,80`) included.
pub(super) fn port_match(text: &str) -> Option<PortMatch> {
    match text.strip_prefix('!') {
        Some(rest) => {
            let excluded = port_list(rest)?;
            Some(match Ports::Any.subtract(&excluded) {
                Some(left) => PortMatch::Ports(left),
                None => PortMatch::Nothing,
            })
        }
        None => Some(PortMatch::Ports(port_list(text)?)),
    }
}

/// An address match: the networks and whether it is negated (`!…`).
pub(super) fn address(text: &str) -> Option<(Vec<IpNet>, bool)> {
    let (negated, text) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    Some((nets(text)?, negated))
}

/// An address, a prefix or a range as networks.
pub(super) fn nets(text: &str) -> Option<Vec<IpNet>> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(vec![net.trunc()]);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(vec![IpNet::from(ip)]);
    }
    let (first, last) = text.split_once('-')?;
    match (first.parse::<IpAddr>().ok()?, last.parse::<IpAddr>().ok()?) {
        (IpAddr::V4(a), IpAddr::V4(b)) => Some(
            range_v4(
                u32::from(a).min(u32::from(b)),
                u32::from(a).max(u32::from(b)),
            )
            .into_iter()
            .map(IpNet::V4)
            .collect(),
        ),
        (IpAddr::V6(a), IpAddr::V6(b)) => Some(
            range_v6(
                u128::from(a).min(u128::from(b)),
                u128::from(a).max(u128::from(b)),
            )
            .into_iter()
            .map(IpNet::V6)
            .collect(),
        ),
        _ => None,
    }
}

/// The prefixes covering `first..=last` exactly (at most 62 of them).
fn range_v4(first: u32, last: u32) -> Vec<Ipv4Net> {
    let mut out = Vec::new();
    let mut at = u64::from(first);
    let end = u64::from(last);
    while at <= end {
        // The largest aligned block starting at `at` that stays within the range.
        let mut size: u32 = if at == 0 {
            32
        } else {
            (at.trailing_zeros()).min(32)
        };
        while size > 0 && at + (1u64 << size) - 1 > end {
            size -= 1;
        }
        let prefix = (32 - size) as u8;
        if let Ok(net) = Ipv4Net::new(Ipv4Addr::from(at as u32), prefix) {
            out.push(net);
        }
        at += 1u64 << size;
    }
    out
}

/// The prefixes covering `first..=last` exactly (at most 254 of them).
fn range_v6(first: u128, last: u128) -> Vec<Ipv6Net> {
    if first == 0 && last == u128::MAX {
        return vec![Ipv6Net::default()];
    }
    let mut out = Vec::new();
    let mut at = first;
    loop {
        let mut size: u32 = if at == 0 {
            128
        } else {
            at.trailing_zeros().min(128)
        };
        // `at + 2^size - 1 <= last`, computed without overflow.
        while size > 0 && (size == 128 || (1u128 << size) - 1 > last - at) {
            size -= 1;
        }
        let prefix = (128 - size) as u8;
        if let Ok(net) = Ipv6Net::new(Ipv6Addr::from(at), prefix) {
            out.push(net);
        }
        let step = 1u128 << size;
        match at.checked_add(step) {
            Some(next) if next <= last && next > at => at = next,
            _ => break,
        }
    }
    out
}

/// A `protocol` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Proto {
    Any,
    One(Protocol),
    TcpUdp,
    /// ICMP, GRE, ESP, …: not TCP or UDP.
    Other,
    /// `!tcp` and the like.
    Negated,
}

pub(super) fn proto(text: &str) -> Proto {
    if text.starts_with('!') {
        return Proto::Negated;
    }
    match text {
        "all" => Proto::Any,
        "udp" | "17" => Proto::One(Protocol::Udp),
        "tcp" | "6" => Proto::One(Protocol::Tcp),
        "tcp_udp" => Proto::TcpUdp,
        _ => Proto::Other,
    }
}

impl Proto {
    /// The model protocols of the match (`None` for every protocol); empty when it matches
    /// neither TCP nor UDP.
    pub fn protocols(self) -> Vec<Option<Protocol>> {
        match self {
            Proto::Any | Proto::Negated => vec![None],
            Proto::One(p) => vec![Some(p)],
            Proto::TcpUdp => vec![Some(Protocol::Udp), Some(Protocol::Tcp)],
            Proto::Other => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(
            port_list("5060,10000-20000").unwrap().to_string(),
            "5060,10000-20000"
        );
        assert_eq!(port_list("domain,domain-s").unwrap().to_string(), "53,853");
        assert_eq!(port_list("http,9100").unwrap().to_string(), "80,9100");
        assert!(port_list("nosuch").is_none());
        assert!(port_list("70000").is_none());
        assert!(port_list("").is_none());
        assert_eq!(
            port_match("!22"),
            Some(PortMatch::Ports(
                Ports::Any.subtract(&Ports::single(22)).unwrap()
            ))
        );
        assert_eq!(port_match("!1-65535"), Some(PortMatch::Nothing));
    }

    #[test]
    fn addresses() {
        let (negated_nets, negated) = address("!10.0.0.0/8").unwrap();
        assert!(negated);
        assert_eq!(negated_nets[0].to_string(), "10.0.0.0/8");
        assert_eq!(nets_text("192.0.2.1"), "192.0.2.1/32");
        assert_eq!(nets_text("192.0.2.7/24"), "192.0.2.0/24");
        assert_eq!(
            nets_text("10.0.0.1-10.0.0.6"),
            "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32"
        );
        assert_eq!(nets_text("0.0.0.0-255.255.255.255"), "0.0.0.0/0");
        assert_eq!(
            nets_text("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            "::/0"
        );
        assert_eq!(
            nets_text("2001:db8::1-2001:db8::2"),
            "2001:db8::1/128 2001:db8::2/128"
        );
        assert!(nets("10.0.0.1-2001:db8::1").is_none());
        assert!(nets("host").is_none());
    }

    fn nets_text(text: &str) -> String {
        nets(text)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn protocols() {
        assert_eq!(proto("tcp_udp").protocols().len(), 2);
        assert_eq!(proto("icmp").protocols().len(), 0);
        assert_eq!(proto("all").protocols(), vec![None]);
    }
}
