//! The path to the reflector, hop by hop (UDP with rising TTL; the routers' ICMP "time
//! exceeded" name each hop): the only way a client can see a NAT behind its own router — a
//! carrier-grade NAT (a hop in 100.64.0.0/10, RFC 6598) or a router behind a router (two
//! private gateways in a row). The probing is in `driver::trace`; this is the reading.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

/// One hop: its TTL and, if it answered, its address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    pub ttl: u8,
    pub address: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum PathFinding {
    /// A hop in the shared address space reserved for carrier-grade NAT.
    CarrierGradeNat { hop: Hop },
    /// Two or more private gateways before the first public address: a router behind a
    /// router (or an ISP that routes privately — the evidence says which hops).
    PrivateGateways { hops: Vec<Hop> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathReport {
    pub hops: Vec<Hop>,
    /// True when the probes reached the reflector (the last hop answered as the destination).
    pub reached: bool,
    pub findings: Vec<PathFinding>,
}

/// In 100.64.0.0/10, the shared address space of RFC 6598.
pub fn is_shared(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    a == 100 && (64..128).contains(&b)
}

/// Reads the hops: what lies between this host and the first public address.
pub fn read_path(hops: Vec<Hop>, reached: bool) -> PathReport {
    let mut findings = Vec::new();
    let mut private_run = Vec::new();
    for hop in &hops {
        let Some(IpAddr::V4(ip)) = hop.address else {
            continue;
        };
        if is_shared(ip) {
            findings.push(PathFinding::CarrierGradeNat { hop: hop.clone() });
        }
        if ip.is_private() || is_shared(ip) {
            private_run.push(hop.clone());
        } else {
            break; // the first public hop: the edge of the customer's side
        }
    }
    if private_run.len() >= 2 {
        findings.push(PathFinding::PrivateGateways { hops: private_run });
    }
    PathReport {
        hops,
        reached,
        findings,
    }
}

impl PathFinding {
    pub fn describe(&self) -> String {
        let show = |hop: &Hop| {
            format!(
                "hop {} {}",
                hop.ttl,
                hop.address.map_or("?".to_owned(), |a| a.to_string())
            )
        };
        match self {
            PathFinding::CarrierGradeNat { hop } => format!(
                "{} is in 100.64.0.0/10, the address space of carrier-grade NAT (RFC 6598): the ISP translates again",
                show(hop)
            ),
            PathFinding::PrivateGateways { hops } => format!(
                "private gateways in a row ({}): a router behind another router (double NAT), unless the ISP routes privately",
                hops.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(ttl: u8, address: &str) -> Hop {
        Hop {
            ttl,
            address: Some(address.parse().unwrap()),
        }
    }

    #[test]
    fn one_home_router_is_fine() {
        let report = read_path(
            vec![
                hop(1, "192.168.1.1"),
                hop(2, "203.0.113.1"),
                hop(3, "198.51.100.10"),
            ],
            true,
        );
        assert!(report.findings.is_empty(), "{report:?}");
    }

    #[test]
    fn a_shared_address_hop_is_carrier_grade_nat() {
        let report = read_path(
            vec![
                hop(1, "10.77.0.1"),
                hop(2, "100.64.0.1"),
                hop(3, "198.18.0.10"),
            ],
            true,
        );
        assert_eq!(report.findings.len(), 2, "{report:?}");
        assert!(matches!(
            report.findings[0],
            PathFinding::CarrierGradeNat { .. }
        ));
        assert!(report.findings[0].describe().contains("RFC 6598"));
    }

    #[test]
    fn two_private_gateways_are_a_router_behind_a_router() {
        let hops = vec![
            hop(1, "192.168.1.1"),
            hop(2, "192.168.0.1"),
            Hop {
                ttl: 3,
                address: None,
            },
            hop(4, "203.0.113.1"),
        ];
        let report = read_path(hops, false);
        assert!(
            matches!(&report.findings[..], [PathFinding::PrivateGateways { hops }] if hops.len() == 2)
        );
    }
}
