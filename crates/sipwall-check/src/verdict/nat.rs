//! NAT behaviour and the path: mapping, NAT type, hairpinning, payload rewriting, large
//! packets, CGNAT and double NAT.

use sipwall_profile::model::{MappingBehaviour, NatType, Profile};

use super::{Status, Verdict};
use crate::nat::{Filtering, GenericAlg, Hairpin, LargePackets, Mapping, NatReport, TopologyHint};
use crate::path::{PathFinding, PathReport};

fn mapping_name(mapping: &Mapping) -> String {
    match mapping {
        Mapping::Eim => "endpoint-independent mapping (consistent NAT)".into(),
        Mapping::Adm => "address-dependent mapping".into(),
        Mapping::Apdm => "address-and-port-dependent mapping (symmetric NAT)".into(),
        Mapping::Inconclusive { reason } => format!("mapping inconclusive: {reason}"),
    }
}

fn filtering_name(filtering: &Filtering) -> String {
    match filtering {
        Filtering::Eif => "endpoint-independent filtering".into(),
        Filtering::Adf => "address-dependent filtering".into(),
        Filtering::Apdf => "address-and-port-dependent filtering".into(),
        Filtering::Inconclusive { reason } => format!("filtering inconclusive: {reason}"),
    }
}

/// NAT behaviour: the profile's mapping, accepted NAT types and hairpinning; plus what any
/// VoIP network should know (a rewriting middlebox, dropped large packets, CGNAT).
pub fn judge_nat(profile: &Profile, report: &NatReport) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let no_nat = report.nat_present == Some(false);
    let words = if report.seed_terms.is_empty() {
        String::new()
    } else {
        format!(" — \"{}\"", report.seed_terms.join("\", \""))
    };
    let observed = if no_nat {
        "no NAT: the public address is this host's own".to_owned()
    } else {
        format!(
            "{}, {}{words}",
            mapping_name(&report.mapping),
            filtering_name(&report.filtering)
        )
    };
    let evidence: Vec<String> = report
        .mapped_by_destination
        .iter()
        .map(|m| format!("{:?} {} → mapped {}", m.role, m.destination, m.mapped))
        .chain(
            report
                .server_issues
                .iter()
                .map(|i| format!("reflector issue: {i:?}")),
        )
        .collect();
    if let Some(requirement) = &profile.nat.mapping {
        let wanted = requirement.behaviour;
        let status = match (&report.mapping, wanted) {
            _ if no_nat => Status::Pass,
            (Mapping::Inconclusive { .. }, _) => Status::Inconclusive,
            (Mapping::Eim, _) => Status::Pass,
            (
                Mapping::Adm,
                MappingBehaviour::AddressDependent | MappingBehaviour::AddressAndPortDependent,
            ) => Status::Pass,
            (Mapping::Apdm, MappingBehaviour::AddressAndPortDependent) => Status::Pass,
            _ => Status::Fail,
        };
        verdicts.push(Verdict {
            id: "nat.mapping".into(),
            requirement: match wanted {
                MappingBehaviour::EndpointIndependent => "consistent NAT (endpoint-independent mapping)".to_owned(),
                MappingBehaviour::AddressDependent => "address-dependent mapping or better".to_owned(),
                MappingBehaviour::AddressAndPortDependent => "any NAT mapping".to_owned(),
            },
            why: requirement.why.clone(),
            status,
            observed: observed.clone(),
            evidence: evidence.clone(),
            fix: (status == Status::Fail).then(|| {
                "make the NAT keep one public port per inside address and port (\"consistent NAT\", \
static port / port preservation / no port randomisation for the phones' traffic)"
                    .to_owned()
            }),
            sources: requirement.sources.clone(),
        });
    }
    if let Some(accepted) = &profile.nat.accepted_types {
        let names: Vec<String> = accepted.types.iter().map(|t| format!("{t:?}")).collect();
        // A public address behind a stateful firewall has no classic NAT type; for a list of
        // acceptable NAT types it counts as "open" (there is no NAT to be wrong).
        let kind = report.classic_type.or(no_nat.then_some(NatType::Open));
        let status = match kind {
            Some(kind) if accepted.types.contains(&kind) => Status::Pass,
            Some(_) => Status::Fail,
            None => Status::Inconclusive,
        };
        verdicts.push(Verdict {
            id: "nat.type".into(),
            why: String::new(),
            requirement: format!("NAT type one of: {}", names.join(", ")),
            status,
            observed: report
                .classic_type
                .map_or_else(|| "unknown".to_owned(), |t| format!("{t:?}")),
            evidence: vec![observed.clone()],
            fix: (status == Status::Fail).then(|| {
                "change the NAT behaviour to one of the accepted types (see nat.mapping)".to_owned()
            }),
            sources: accepted.sources.clone(),
        });
    }
    if let Some(requirement) = &profile.nat.hairpinning {
        let (status, seen) = match &report.hairpin {
            Hairpin::Works { .. } => (Status::Pass, "hairpinning works".to_owned()),
            Hairpin::NoHairpin => (Status::Fail, "no hairpinning".to_owned()),
            Hairpin::NotApplicable { reason } => {
                (Status::Pass, format!("not applicable: {reason}"))
            }
            Hairpin::Inconclusive { reason } => {
                (Status::Inconclusive, format!("inconclusive: {reason}"))
            }
        };
        verdicts.push(Verdict {
            id: "nat.hairpinning".into(),
            requirement: "hairpinning (NAT loopback)".into(),
            why: requirement.why.clone(),
            status: if no_nat { Status::Pass } else { status },
            observed: seen,
            evidence: Vec::new(),
            fix: (status == Status::Fail)
                .then(|| "enable NAT loopback / hairpin NAT on the router".to_owned()),
            sources: requirement.sources.clone(),
        });
    }
    // Not a profile requirement, but it breaks VoIP wherever it happens.
    if let GenericAlg::Detected { rewritten, .. } = &report.generic_alg {
        verdicts.push(Verdict {
            id: "nat.address-rewriting".into(),
            why: "a device that rewrites addresses inside packets usually mangles SIP and SDP too"
                .into(),
            requirement: "nothing rewrites IP addresses inside packets".into(),
            status: Status::Warn,
            observed: format!(
                "a middlebox rewrote addresses inside STUN payloads ({} times)",
                rewritten.len()
            ),
            evidence: rewritten
                .iter()
                .map(|r| {
                    format!(
                        "XOR-MAPPED-ADDRESS {} but MAPPED-ADDRESS {}",
                        r.xor_mapped, r.mapped
                    )
                })
                .collect(),
            fix: Some("turn off \"ALG\" / payload-rewriting features on the router".into()),
            sources: Vec::new(),
        });
    }
    if let LargePackets::Dropped { .. } = &report.large_packets {
        verdicts.push(Verdict {
            id: "nat.large-packets".into(),
            why: "an INVITE with a large SDP needs more than one packet; dropped fragments stop calls from setting up".into(),
            requirement: "1500-byte UDP packets (large INVITEs, fragments) get through".into(),
            status: Status::Warn,
            observed: "large UDP packets were dropped while small ones passed".into(),
            evidence: vec![format!("{:?}", report.large_packets)],
            fix: Some("allow IP fragments, or use SIP over TCP/TLS for large messages".into()),
            sources: Vec::new(),
        });
    }
    if !report.topology.is_empty() && !no_nat {
        verdicts.push(Verdict {
            id: "nat.topology".into(),
            why: "every NAT layer adds its own timeouts and filtering; inbound calls and port forwards need each layer set up".into(),
            requirement: "one NAT between the phones and the internet".into(),
            status: Status::Warn,
            observed: report.topology.iter().map(TopologyHint::describe).collect::<Vec<_>>().join("; "),
            evidence: Vec::new(),
            fix: Some("avoid double NAT: bridge the ISP modem, or ask the ISP for a public address instead of CGNAT".into()),
            sources: Vec::new(),
        });
    }
    verdicts
}

/// What lies between this host and the internet: a warning for CGNAT or a router behind a
/// router (both make inbound calls and port forwards unreliable).
pub fn judge_path(report: &PathReport) -> Vec<Verdict> {
    if report.findings.is_empty() {
        return Vec::new();
    }
    let hops = report
        .hops
        .iter()
        .map(|h| {
            format!(
                "hop {}: {}",
                h.ttl,
                h.address.map_or("no answer".to_owned(), |a| a.to_string())
            )
        })
        .collect();
    vec![Verdict {
        id: "nat.path".into(),
        why: "every NAT layer adds its own timeouts and filtering; inbound calls and port forwards need each layer set up".into(),
        requirement: "one NAT between the phones and the internet".into(),
        status: Status::Warn,
        observed: report.findings.iter().map(PathFinding::describe).collect::<Vec<_>>().join("; "),
        evidence: hops,
        fix: Some(
            "avoid double NAT: put the ISP router in bridge mode, or ask the ISP for a public address instead of CGNAT"
                .into(),
        ),
        sources: Vec::new(),
    }]
}
