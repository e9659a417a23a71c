//! CIDR helpers shared by the parsers (nftables, iptables): a negated address match (`!= X`,
//! `! -s X`) becomes the prefixes of everything else, so the walk can match it like any other
//! address list.

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

/// Every address of the family not in `nets`, as prefixes.
pub(crate) fn complement(nets: &[IpNet], v6: bool) -> Vec<IpNet> {
    let mut ranges: Vec<(u128, u128)> = nets
        .iter()
        .filter_map(|net| match (net, v6) {
            (IpNet::V4(n), false) => Some((
                u128::from(u32::from(n.network())),
                u128::from(u32::from(n.broadcast())),
            )),
            (IpNet::V6(n), true) => Some((u128::from(n.network()), u128::from(n.broadcast()))),
            _ => None,
        })
        .collect();
    ranges.sort_unstable();
    let max: u128 = if v6 { u128::MAX } else { u128::from(u32::MAX) };
    let mut gaps = Vec::new();
    let mut next: Option<u128> = Some(0);
    for (first, last) in ranges {
        if let Some(n) = next
            && first > n
        {
            gaps.push((n, first - 1));
        }
        next = match next {
            Some(n) if last < n => Some(n),
            _ => last.checked_add(1).filter(|v| *v <= max),
        };
    }
    if let Some(n) = next {
        gaps.push((n, max));
    }
    let mut out = Vec::new();
    for (first, last) in gaps {
        if v6 {
            out.extend(Ipv6Subnets::new(first.into(), last.into(), 0).map(IpNet::V6));
        } else {
            let (Ok(a), Ok(b)) = (u32::try_from(first), u32::try_from(last)) else {
                continue;
            };
            out.extend(Ipv4Subnets::new(a.into(), b.into(), 0).map(IpNet::V4));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn complements() {
        let ten: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let out = complement(&ten, false);
        assert!(out.contains(&"0.0.0.0/5".parse().unwrap()));
        assert!(out.contains(&"11.0.0.0/8".parse().unwrap()));
        assert!(
            !out.iter()
                .any(|n| n.contains(&"10.1.2.3".parse::<IpAddr>().unwrap()))
        );
        assert!(
            out.iter()
                .any(|n| n.contains(&"255.255.255.255".parse::<IpAddr>().unwrap()))
        );
        assert_eq!(complement(&["0.0.0.0/0".parse().unwrap()], false), vec![]);
        assert_eq!(
            complement(&[], true),
            vec!["::/0".parse::<IpNet>().unwrap()]
        );
    }
}
