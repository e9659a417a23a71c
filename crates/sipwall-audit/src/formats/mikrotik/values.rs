//! RouterOS values: port lists, protocols, addresses (prefixes, ranges, DNS names), negations
//! and times.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net, Ipv4Subnets, Ipv6Subnets};
use sipwall_firewall::model::{Address, PortRange, Ports};

/// A value with an optional leading `!` (RouterOS negates a whole matcher that way).
pub(super) fn negated(text: &str) -> (bool, &str) {
    match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    }
}

/// `5060`, `10000-20000`, `80,443,8000-8100`; `None` when a piece is not a port or range.
pub(super) fn ports(text: &str) -> Option<Ports> {
    let mut ranges = Vec::new();
    for piece in text.split(',') {
        let piece = piece.trim();
        let (first, last) = piece.split_once('-').unwrap_or((piece, piece));
        let first: u16 = first.trim().parse().ok()?;
        let last: u16 = last.trim().parse().ok()?;
        ranges.push(PortRange::new(first, last));
    }
    Some(Ports::from_ranges(ranges))
}

/// A port matcher (`dst-port=!22`): `Ok(Some(ports))` it matches, `Ok(None)` it matches no
/// port at all, `Err` unreadable.
pub(super) fn port_match(text: &str) -> Result<Option<Ports>, ()> {
    let (negate, body) = negated(text);
    let set = ports(body).ok_or(())?;
    Ok(if negate {
        Ports::Any.subtract(&set)
    } else {
        Some(set)
    })
}

/// The layer-4 protocols a `protocol=` matcher covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Protocols {
    pub udp: bool,
    pub tcp: bool,
    /// Anything else (icmp, gre, …).
    pub other: bool,
}

impl Protocols {
    pub const ALL: Protocols = Protocols {
        udp: true,
        tcp: true,
        other: true,
    };

    pub fn and(self, other: Protocols) -> Protocols {
        Protocols {
            udp: self.udp && other.udp,
            tcp: self.tcp && other.tcp,
            other: self.other && other.other,
        }
    }
}

/// `udp`, `17`, `!tcp`, `icmp`; `None` for a value that is not a protocol name or number.
pub(super) fn protocol(text: &str) -> Option<Protocols> {
    let (negate, body) = negated(text.trim());
    let body = body.to_ascii_lowercase();
    let one = match body.as_str() {
        "udp" | "17" => Protocols {
            udp: true,
            tcp: false,
            other: false,
        },
        "tcp" | "6" => Protocols {
            udp: false,
            tcp: true,
            other: false,
        },
        name if !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            if name.bytes().all(|b| b.is_ascii_digit()) && name.parse::<u8>().is_err() {
                return None;
            }
            Protocols {
                udp: false,
                tcp: false,
                other: true,
            }
        }
        _ => return None,
    };
    Some(if negate {
        Protocols {
            udp: !one.udp,
            tcp: !one.tcp,
            // "not icmp" still matches other protocols than icmp.
            other: true,
        }
    } else {
        one
    })
}

/// One address entry: `192.0.2.1`, `192.0.2.0/24`, `192.0.2.10-192.0.2.20` (as prefixes),
/// or a DNS name (address lists only). `None` when it is none of these.
pub(super) fn entry(text: &str) -> Option<Vec<Address>> {
    let text = text.trim();
    if let Some((first, last)) = text.split_once('-')
        && let (Ok(first), Ok(last)) = (
            first.trim().parse::<IpAddr>(),
            last.trim().parse::<IpAddr>(),
        )
    {
        let nets: Vec<Address> = match (first, last) {
            (IpAddr::V4(a), IpAddr::V4(b)) => Ipv4Subnets::new(a.min(b), a.max(b), 0)
                .map(|n| Address::Net(IpNet::V4(n)))
                .collect(),
            (IpAddr::V6(a), IpAddr::V6(b)) => Ipv6Subnets::new(a.min(b), a.max(b), 0)
                .map(|n| Address::Net(IpNet::V6(n)))
                .collect(),
            _ => return None,
        };
        return Some(nets);
    }
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(vec![Address::Net(net.trunc())]);
    }
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Some(vec![Address::Net(IpNet::from(addr))]);
    }
    is_dns_name(text).then(|| vec![Address::Fqdn(text.to_ascii_lowercase())])
}

fn is_dns_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.contains('.')
        && text.bytes().any(|b| b.is_ascii_alphabetic())
        && !text.starts_with(['-', '.'])
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// The IPv4 space outside `addresses` (IPv6 prefixes and DNS names are not subtracted), as
/// prefixes: a negated source like `src-address=!203.0.113.0/24` matches exactly these.
pub(super) fn complement_v4(addresses: &[Address]) -> Vec<Address> {
    let mut ranges: Vec<(u32, u32)> = addresses
        .iter()
        .filter_map(|a| match a {
            Address::Net(IpNet::V4(net)) => {
                Some((u32::from(net.network()), u32::from(net.broadcast())))
            }
            _ => None,
        })
        .collect();
    ranges.sort_unstable();
    let mut out = Vec::new();
    let mut next: Option<u32> = Some(0);
    for (first, last) in ranges {
        let Some(from) = next else { break };
        if first > from {
            push_range(&mut out, from, first - 1);
        }
        if last >= from {
            next = last.checked_add(1);
        }
    }
    if let Some(from) = next {
        push_range(&mut out, from, u32::MAX);
    }
    out
}

fn push_range(out: &mut Vec<Address>, first: u32, last: u32) {
    out.extend(
        Ipv4Subnets::new(Ipv4Addr::from(first), Ipv4Addr::from(last), 0)
            .map(|n: Ipv4Net| Address::Net(IpNet::V4(n))),
    );
}

/// The addresses in both lists (for a rule reached through a jump that also matched
/// addresses). The flag is set when the result is uncertain (a DNS name against a prefix, or
/// lists too long to intersect pairwise: then `b` is kept).
pub(super) fn intersect(a: &[Address], b: &[Address]) -> (Vec<Address>, bool) {
    if a.len().saturating_mul(b.len()) > 10_000 {
        return (b.to_vec(), true);
    }
    let mut out: Vec<Address> = Vec::new();
    let mut uncertain = false;
    for x in a {
        for y in b {
            let keep = match (x, y) {
                (Address::Net(n), Address::Net(m)) => {
                    if n.contains(m) {
                        Some(y)
                    } else if m.contains(n) {
                        Some(x)
                    } else {
                        None
                    }
                }
                (Address::Fqdn(f), Address::Fqdn(g)) => f.eq_ignore_ascii_case(g).then_some(x),
                (Address::Fqdn(_), _) => {
                    uncertain = true;
                    Some(x)
                }
                (_, Address::Fqdn(_)) => {
                    uncertain = true;
                    Some(y)
                }
            };
            if let Some(keep) = keep
                && !out.contains(keep)
            {
                out.push(keep.clone());
            }
        }
    }
    (out, uncertain)
}

/// A RouterOS time in seconds: `10s`, `3m`, `1h30m`, `4w2d`, `00:03:00`, `1d02:00:00`, `90`
/// (seconds); milliseconds are dropped. `None` when unreadable or above `u32::MAX`.
pub(super) fn seconds(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    let mut number_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte.is_ascii_digit() {
            if number.is_none() {
                number_start = i;
            }
            let n = number.unwrap_or(0);
            number = Some(n.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?);
            if number > Some(u64::from(u32::MAX)) {
                return None;
            }
            i += 1;
            continue;
        }
        if byte == b':' {
            total = total.checked_add(clock(&text[number_start..])?)?;
            return u32::try_from(total).ok();
        }
        if text[i..].starts_with("ms") {
            number.take()?;
            i += 2;
            continue;
        }
        let unit: u64 = match byte {
            b'w' => 604_800,
            b'd' => 86_400,
            b'h' => 3_600,
            b'm' => 60,
            b's' => 1,
            _ => return None,
        };
        total = total.checked_add(number.take()?.checked_mul(unit)?)?;
        i += 1;
    }
    if let Some(n) = number {
        total = total.checked_add(n)?;
    }
    u32::try_from(total).ok()
}

/// `hh:mm:ss` or `mm:ss`.
fn clock(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    for part in parts {
        let n: u64 = part.parse().ok()?;
        total = total.checked_mul(60)?.checked_add(n)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> Address {
        Address::Net(text.parse().unwrap())
    }

    #[test]
    fn port_lists() {
        assert_eq!(ports("5060").unwrap(), Ports::single(5060));
        assert_eq!(
            ports("80,443,10000-20000").unwrap().to_string(),
            "80,443,10000-20000"
        );
        assert_eq!(ports("0-65535").unwrap(), Ports::Any);
        assert!(ports("sip").is_none());
        assert!(ports("70000").is_none());
        assert!(ports("").is_none());
        assert_eq!(
            port_match("!22").unwrap().unwrap().to_string(),
            "1-21,23-65535"
        );
        assert_eq!(port_match("!0-65535").unwrap(), None);
        assert!(port_match("!x").is_err());
    }

    #[test]
    fn protocols() {
        assert_eq!(
            protocol("udp").unwrap(),
            Protocols {
                udp: true,
                tcp: false,
                other: false
            }
        );
        assert!(protocol("6").unwrap().tcp);
        let not_tcp = protocol("!tcp").unwrap();
        assert!(not_tcp.udp && !not_tcp.tcp && not_tcp.other);
        assert!(protocol("icmp").unwrap().other);
        assert!(protocol("300").is_none());
        assert!(protocol("a b").is_none());
    }

    #[test]
    fn entries() {
        assert_eq!(entry("192.0.2.1").unwrap(), vec![net("192.0.2.1/32")]);
        assert_eq!(entry("192.0.2.7/24").unwrap(), vec![net("192.0.2.0/24")]);
        assert_eq!(
            entry("192.0.2.0-192.0.2.4").unwrap(),
            vec![net("192.0.2.0/30"), net("192.0.2.4/32")]
        );
        assert_eq!(
            entry("sip.Example.com").unwrap(),
            vec![Address::Fqdn("sip.example.com".into())]
        );
        assert!(entry("bad name").is_none());
        assert!(entry("nodot").is_none());
        assert_eq!(entry("2001:db8::/32").unwrap(), vec![net("2001:db8::/32")]);
    }

    #[test]
    fn complements() {
        let out = complement_v4(&[net("203.0.113.0/24")]);
        assert_eq!(out.len(), 24);
        assert!(!out.iter().any(|a| match a {
            Address::Net(n) => n.contains(&"203.0.113.5".parse::<IpAddr>().unwrap()),
            _ => false,
        }));
        assert_eq!(complement_v4(&[net("0.0.0.0/0")]), Vec::<Address>::new());
        assert_eq!(complement_v4(&[]), vec![net("0.0.0.0/0")]);
        assert_eq!(
            complement_v4(&[net("0.0.0.0/1"), net("128.0.0.0/2"), net("100.0.0.0/8")]),
            vec![net("192.0.0.0/2")]
        );
    }

    #[test]
    fn intersections() {
        let (out, uncertain) = intersect(
            &[net("10.0.0.0/8"), net("192.0.2.0/24")],
            &[net("10.1.0.0/16"), net("198.51.100.0/24")],
        );
        assert_eq!(out, vec![net("10.1.0.0/16")]);
        assert!(!uncertain);
        let (out, uncertain) =
            intersect(&[Address::Fqdn("a.example".into())], &[net("10.0.0.0/8")]);
        assert_eq!(out.len(), 1);
        assert!(uncertain);
    }

    #[test]
    fn times() {
        assert_eq!(seconds("10s"), Some(10));
        assert_eq!(seconds("3m"), Some(180));
        assert_eq!(seconds("1h30m"), Some(5400));
        assert_eq!(seconds("4w2d"), Some(4 * 604_800 + 2 * 86_400));
        assert_eq!(seconds("00:03:00"), Some(180));
        assert_eq!(seconds("1d02:00:00"), Some(86_400 + 7200));
        assert_eq!(seconds("90"), Some(90));
        assert_eq!(seconds("500ms"), Some(0));
        assert_eq!(seconds("x"), None);
        assert_eq!(seconds("99999999999999999999s"), None);
        assert_eq!(seconds("9999999w"), None);
        assert_eq!(seconds("s"), None);
    }
}
