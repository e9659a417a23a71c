//! Verdicts: each requirement of a profile, judged from the tests' reports, with the evidence,
//! the requirement's source and a fix. A verdict says *inconclusive* whenever the evidence does
//! not carry a pass or a fail — a wrong "fine" is the worst result this tool can give.

use serde::{Deserialize, Serialize};
use sipwall_profile::model::{Direction, Flow, MappingBehaviour, NatType, Profile, Source};
use sipwall_proto::control::{InboundTransport, SocketTransport};

use crate::alg::{AlgReport, AlgVerdict};
use crate::lifetime::{LifetimeOutcome, LifetimeReport, PatternResult, Priming};
use crate::media::{DirectionResult, DscpStatus, MediaReport, StreamOutcome};
use crate::nat::{Filtering, GenericAlg, Hairpin, LargePackets, Mapping, NatReport, TopologyHint};
use crate::path::{PathFinding, PathReport};
use crate::ports::{InboundReport, OutboundReport, PortStatus, Reachability};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Inconclusive,
    /// The test was not run (turned off, or this reflector cannot test it).
    NotTested,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Inconclusive => "inconclusive",
            Status::NotTested => "not tested",
        }
    }
}

/// One requirement, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Stable id, e.g. `ports.outbound.sip-udp`, `ports.never-forward.tcp-22`, `nat.mapping`.
    pub id: String,
    /// What the profile requires, in a few words.
    pub requirement: String,
    /// Why it is required, in the source's words or ours (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
    pub status: Status,
    /// What the test found, in one line.
    pub observed: String,
    pub evidence: Vec<String>,
    /// What to change when it is not a pass (generic; vendor-specific with `sipwall rules`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    pub sources: Vec<Source>,
}

fn transport_name(transport: SocketTransport) -> &'static str {
    match transport {
        SocketTransport::Udp => "UDP",
        SocketTransport::Tcp => "TCP",
        SocketTransport::Tls => "TLS",
    }
}

/// Outbound flows: every sampled port of a flow must get out.
pub fn judge_outbound(profile: &Profile, report: &OutboundReport) -> Vec<Verdict> {
    profile
        .flows
        .iter()
        .filter(|f| f.direction != Direction::Inbound)
        .filter_map(|flow| judge_flow(flow, report))
        .collect()
}

fn judge_flow(flow: &Flow, report: &OutboundReport) -> Option<Verdict> {
    let ports: Vec<_> = report
        .ports
        .iter()
        .filter(|r| r.target.flows.contains(&flow.name))
        .collect();
    if ports.is_empty() {
        return None; // "any" ports or parameters only: nothing port-specific to test
    }
    let evidence: Vec<String> = ports
        .iter()
        .map(|r| {
            format!(
                "{} {}: {} — {}",
                transport_name(r.target.transport),
                r.target.port,
                r.status.as_str(),
                r.evidence
            )
        })
        .collect();
    let blocked: Vec<String> = ports
        .iter()
        .filter(|r| r.status == PortStatus::Blocked)
        .map(|r| format!("{} {}", transport_name(r.target.transport), r.target.port))
        .collect();
    let count = |status: PortStatus| ports.iter().filter(|r| r.status == status).count();
    let (open, untestable, unclear) = (
        count(PortStatus::Open),
        count(PortStatus::NotTestable),
        count(PortStatus::Inconclusive),
    );
    let plural = |n: usize| if n == 1 { "port" } else { "ports" };
    let (status, observed) = if !blocked.is_empty() {
        let status = if flow.required {
            Status::Fail
        } else {
            Status::Warn
        };
        (status, format!("blocked: {}", blocked.join(", ")))
    } else if unclear > 0 {
        (
            Status::Inconclusive,
            format!(
                "{unclear} {} could not be judged (the control failed too)",
                plural(unclear)
            ),
        )
    } else if open == 0 {
        (
            Status::NotTested,
            "the reflector does not listen on these ports".to_owned(),
        )
    } else if untestable > 0 {
        // Only part of the flow could be tried: never a plain pass.
        (
            Status::Warn,
            format!(
                "{open} {} get out; {untestable} not testable on this reflector",
                plural(open)
            ),
        )
    } else {
        let verb = if open == 1 { "gets" } else { "get" };
        (
            Status::Pass,
            format!("{open} sampled {} {verb} out", plural(open)),
        )
    };
    let remote: Vec<String> = flow.remote.iter().map(ToString::to_string).collect();
    Some(Verdict {
        id: format!("ports.outbound.{}", flow.name),
        requirement: flow_requirement(flow),
        why: flow.notes.clone().unwrap_or_default(),
        fix: (!blocked.is_empty()).then(|| {
            format!(
                "allow outbound {} to {} on the firewall",
                blocked.join(", "),
                remote.join(", ")
            )
        }),
        status,
        observed,
        evidence,
        sources: flow.sources.clone(),
    })
}

/// "outbound UDP/TCP to port 5060 (any destination)", "… to ports 10000-40000 at X (optional)".
fn flow_requirement(flow: &Flow) -> String {
    let transports: Vec<String> = flow
        .transports
        .iter()
        .map(|t| format!("{t:?}").to_uppercase())
        .collect();
    let ports: Vec<String> = flow.remote_ports.iter().map(ToString::to_string).collect();
    let single = ports.len() == 1 && !ports[0].contains('-');
    let remote: Vec<String> = flow.remote.iter().map(ToString::to_string).collect();
    let to = if remote.iter().all(|r| r == "any") {
        "any destination".to_owned()
    } else {
        remote.join(", ")
    };
    format!(
        "outbound {} to {} {} ({to}){}",
        transports.join("/"),
        if single { "port" } else { "ports" },
        ports.join(", "),
        if flow.required { "" } else { ", optional" }
    )
}

/// Inbound forwards must reach in; never-forward ports must not.
pub fn judge_inbound(profile: &Profile, report: &InboundReport) -> Vec<Verdict> {
    if let Some(why) = &report.unavailable {
        return vec![Verdict {
            id: "ports.inbound".into(),
            why: String::new(),
            requirement: "port forwards and never-forward ports".into(),
            status: Status::NotTested,
            observed: format!("the reflector cannot run inbound tests: {why}"),
            evidence: Vec::new(),
            fix: Some("use a reflector with a second address (sipwall serve --alternate)".into()),
            sources: Vec::new(),
        }];
    }
    report
        .results
        .iter()
        .map(|result| {
            let target = &result.target;
            let proto = match target.transport {
                InboundTransport::Udp => "udp",
                InboundTransport::Tcp => "tcp",
            };
            let (status, fix) = match (target.must_be_reachable, result.reachability) {
                (true, Reachability::Reachable) | (false, Reachability::NotReachable) => {
                    (Status::Pass, None)
                }
                (true, Reachability::NotReachable) => (
                    Status::Fail,
                    Some(format!(
                        "forward {} {} from the WAN to the PBX, and allow it in",
                        proto.to_uppercase(),
                        target.port
                    )),
                ),
                (false, Reachability::Reachable) => (
                    Status::Fail,
                    Some(format!(
                        "remove the port forward / open port {} {} from the WAN",
                        proto.to_uppercase(),
                        target.port
                    )),
                ),
                (_, Reachability::Unknown) => (Status::Inconclusive, None),
            };
            // The flow that forwards the port, or the rule that forbids forwarding it.
            let (why, sources) = if target.must_be_reachable {
                profile
                    .flows
                    .iter()
                    .find(|f| target.reason.ends_with(&f.name))
                    .map(|f| (f.notes.clone().unwrap_or_default(), f.sources.clone()))
            } else {
                profile
                    .security
                    .never_forward
                    .iter()
                    .find(|n| n.port == target.port)
                    .map(|n| (n.why.clone(), n.sources.clone()))
            }
            .unwrap_or_default();
            Verdict {
                why,
                id: if target.must_be_reachable {
                    format!("ports.forward.{proto}-{}", target.port)
                } else {
                    format!("ports.never-forward.{proto}-{}", target.port)
                },
                requirement: if target.must_be_reachable {
                    format!(
                        "{} {} reachable from the internet ({})",
                        proto.to_uppercase(),
                        target.port,
                        target.reason
                    )
                } else {
                    format!(
                        "{} {} not reachable from the internet ({})",
                        proto.to_uppercase(),
                        target.port,
                        target.reason
                    )
                },
                status,
                observed: result.reachability.as_str().to_owned(),
                evidence: vec![result.evidence.clone()],
                fix,
                sources,
            }
        })
        .collect()
}

/// The SIP ALG: the profile's "turn it off", or (without one) what breaks calls.
pub fn judge_alg(profile: &Profile, report: &AlgReport) -> Verdict {
    let must_be_off = profile.sip_alg.as_ref().is_some_and(|a| a.must_be_off);
    let status = match report.verdict {
        AlgVerdict::None => Status::Pass,
        AlgVerdict::Rewriting if must_be_off => Status::Fail,
        AlgVerdict::Rewriting => Status::Warn,
        AlgVerdict::Destructive | AlgVerdict::Blocked => Status::Fail,
        AlgVerdict::Inconclusive => Status::Inconclusive,
    };
    let controls_clean = report.notes.iter().any(|n| n.contains("controls"));
    let fix = match report.verdict {
        AlgVerdict::Rewriting | AlgVerdict::Destructive => Some(format!(
            "turn off the SIP ALG / SIP helper / SIP inspection on the router or firewall \
(`sipwall rules` renders the steps for your vendor){}",
            if controls_clean { "; until then, port 5080 or TLS on 5061 avoid it" } else { "" }
        )),
        AlgVerdict::Blocked => Some("allow SIP (UDP and TCP 5060) out; if only SIP is blocked, look for a SIP inspection policy set to drop".into()),
        _ => None,
    };
    let mut evidence: Vec<String> = report
        .paths
        .iter()
        .flat_map(|p| p.reasons.iter().map(move |r| format!("{}: {r}", p.name)))
        .collect();
    evidence.extend(report.notes.iter().cloned());
    let requirement = match &profile.sip_alg {
        Some(alg) if alg.must_be_off => format!(
            "SIP ALG off{}",
            if alg.features.is_empty() {
                String::new()
            } else {
                format!(" ({})", alg.features.join(", "))
            }
        ),
        _ => "nothing rewrites or drops SIP on the way".to_owned(),
    };
    Verdict {
        id: "sip-alg".into(),
        why: profile
            .sip_alg
            .as_ref()
            .map(|a| a.why.clone())
            .unwrap_or_default(),
        requirement,
        status,
        observed: report.summary.clone(),
        evidence,
        fix,
        sources: profile
            .sip_alg
            .as_ref()
            .map(|a| a.sources.clone())
            .unwrap_or_default(),
    }
}

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
            evidence: rewritten.iter().map(|r| format!("{r:?}")).collect(),
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

/// MOS thresholds (ITU-T G.107 Annex B user satisfaction): R 80 (MOS 4.03) "satisfied",
/// R 70 (MOS 3.60) "some users dissatisfied".
const MOS_GOOD: f64 = 4.03;
const MOS_FAIR: f64 = 3.60;

fn direction_line(name: &str, d: &DirectionResult) -> String {
    let jitter = d.jitter_ms.map_or("?".to_owned(), |j| format!("{j:.1} ms"));
    let score = d.score.as_ref().map_or(String::new(), |s| {
        format!(", R {:.1}, MOS {:.2}", s.r, s.mos)
    });
    format!(
        "{name}: {} of {} lost ({:.2} %), longest burst {}, jitter {jitter}{score}",
        d.packets_lost,
        d.packets_sent,
        d.loss_percent,
        d.max_burst_lost.map_or("?".to_owned(), |b| b.to_string())
    )
}

/// Media quality: both directions of every stream, scored with the E-model; DSCP kept.
pub fn judge_media(report: &MediaReport) -> Vec<Verdict> {
    let worst = [report.upstream_mos_min, report.downstream_mos_min]
        .into_iter()
        .flatten()
        .reduce(f64::min);
    let (status, observed) = match report.outcome {
        StreamOutcome::UpstreamBlocked => (Status::Fail, "no RTP reached the reflector: media is blocked on the way out".to_owned()),
        StreamOutcome::DownstreamBlocked => (
            Status::Fail,
            "the reflector got the RTP and echoed it, but nothing came back: media is blocked on the way in".to_owned(),
        ),
        StreamOutcome::Inconclusive => (Status::Inconclusive, "the media test did not produce enough evidence".to_owned()),
        _ => match worst {
            Some(mos) if mos >= MOS_GOOD => (Status::Pass, format!("MOS {mos:.2} (G.711, worst direction)")),
            Some(mos) if mos >= MOS_FAIR => (Status::Warn, format!("MOS {mos:.2}: some users would be dissatisfied")),
            Some(mos) => (Status::Fail, format!("MOS {mos:.2}: poor voice quality")),
            None => (Status::Inconclusive, "no quality score could be computed".to_owned()),
        },
    };
    let mut evidence = Vec::new();
    for stream in &report.streams {
        if let Some(up) = &stream.upstream {
            evidence.push(format!(
                "stream {}: {}",
                stream.index,
                direction_line("upstream", up)
            ));
        }
        if let Some(down) = &stream.downstream {
            evidence.push(format!(
                "stream {}: {}",
                stream.index,
                direction_line("downstream", down)
            ));
        }
        if let Some(rtt) = stream.round_trip.rtt_p50_ms {
            evidence.push(format!(
                "stream {}: round trip p50 {rtt:.1} ms",
                stream.index
            ));
        }
    }
    evidence.extend(report.evidence.iter().cloned());
    let mut verdicts = vec![Verdict {
        id: "media.quality".into(),
        requirement: format!("{} call(s) of {} s, G.711, both directions: MOS ≥ {MOS_GOOD}", report.streams_requested, report.duration_ms / 1000),
        why: "loss, jitter and delay decide what a caller hears (ITU-T G.107 E-model)".into(),
        status,
        observed,
        evidence,
        fix: (status == Status::Fail || status == Status::Warn).then(|| {
            "find the lossy or congested link (Wi-Fi, an overloaded uplink); give voice priority (QoS / DSCP EF) on the router".to_owned()
        }),
        sources: Vec::new(),
    }];
    let bleached: Vec<String> = report
        .streams
        .iter()
        .filter(|s| {
            matches!(
                s.dscp.status,
                DscpStatus::Bleached | DscpStatus::Remarked | DscpStatus::Mixed
            )
        })
        .map(|s| {
            format!(
                "stream {}: sent DSCP {}, received {:?}",
                s.index, s.dscp.requested, s.dscp.received
            )
        })
        .collect();
    if !bleached.is_empty() {
        verdicts.push(Verdict {
            id: "media.dscp".into(),
            requirement: "the DSCP marking of voice (EF) survives the way out".into(),
            why: "routers and ISPs prioritise voice by its DSCP mark; a cleared mark loses that priority".into(),
            status: Status::Warn,
            observed: "the voice packets' DSCP mark was changed on the way".into(),
            evidence: bleached,
            fix: Some("stop the router from clearing DSCP (\"trust DSCP\" / remove the re-marking rule); some ISPs clear it regardless".into()),
            sources: Vec::new(),
        });
    }
    verdicts
}

fn pattern_line(p: &PatternResult) -> String {
    let bound = |v: Option<f64>| v.map_or("?".to_owned(), |v| format!("{v:.0} s"));
    match p.outcome {
        LifetimeOutcome::Expired => format!(
            "{:?}: expired between {} and {}",
            p.priming,
            bound(p.lower_s),
            bound(p.upper_s)
        ),
        LifetimeOutcome::LongerThanTested => {
            format!("{:?}: alive after {}", p.priming, bound(p.lower_s))
        }
        LifetimeOutcome::Inconclusive => format!("{:?}: inconclusive", p.priming),
    }
}

/// The binding lifetime against the profile's minimum, and the keepalive to configure.
pub fn judge_lifetime(profile: &Profile, report: &LifetimeReport) -> Vec<Verdict> {
    // Phones exchange SIP both ways, so the SIP-like priming is what they live with; the
    // one-shot pattern (a single request) is the floor.
    let pattern = |priming| report.patterns.iter().find(|p| p.priming == priming);
    let decisive = pattern(Priming::SipLike).or(pattern(Priming::OneShot));
    let evidence: Vec<String> = report
        .patterns
        .iter()
        .map(pattern_line)
        .chain([report.keepalive.explanation.clone()])
        .collect();
    let keepalive = report
        .keepalive
        .interval_s
        .map(|s| format!("send keepalives at least every {s:.0} s"));
    let (requirement, why, sources, min) = match &profile.nat.binding_lifetime {
        Some(required) => (
            format!("UDP bindings last at least {} s", required.min_seconds),
            required.notes.clone().unwrap_or_default(),
            required.sources.clone(),
            f64::from(required.min_seconds),
        ),
        None => (
            "UDP bindings outlive the phones' keepalives (RFC 4787 REQ-5: at least 120 s)"
                .to_owned(),
            String::new(),
            Vec::new(),
            120.0,
        ),
    };
    let (status, observed) = match decisive {
        None => (
            Status::Inconclusive,
            "no priming pattern gave a result".to_owned(),
        ),
        Some(p) => match (p.outcome, p.lower_s, p.upper_s) {
            (LifetimeOutcome::Inconclusive, ..) => (Status::Inconclusive, pattern_line(p)),
            (_, Some(lower), _) if lower >= min => (Status::Pass, pattern_line(p)),
            (LifetimeOutcome::Expired, _, Some(upper)) if upper < min => {
                (Status::Fail, pattern_line(p))
            }
            (LifetimeOutcome::LongerThanTested, ..) => (
                Status::Inconclusive,
                format!(
                    "{} (the test stopped below {min:.0} s; use --lifetime full)",
                    pattern_line(p)
                ),
            ),
            _ => (
                Status::Inconclusive,
                format!("{} — the bracket contains {min:.0} s", pattern_line(p)),
            ),
        },
    };
    let mut verdicts = vec![Verdict {
        id: "nat.binding-lifetime".into(),
        requirement,
        why,
        status,
        observed,
        evidence,
        fix: (status == Status::Fail).then(|| {
            format!(
                "raise the router's UDP timeout to at least {min:.0} s{}",
                keepalive
                    .as_ref()
                    .map_or(String::new(), |k| format!(", or {k} from the phones"))
            )
        }),
        sources,
    }];
    // The provider's own keepalive interval must fit inside the measured lifetime.
    for configured in &profile.nat.keepalives {
        let interval = f64::from(configured.interval_seconds);
        let Some(lower) = decisive.and_then(|p| p.lower_s) else {
            continue;
        };
        let expired_below = decisive.is_some_and(|p| {
            p.outcome == LifetimeOutcome::Expired && p.upper_s.is_some_and(|u| u <= interval)
        });
        let status = if interval < lower {
            Status::Pass
        } else if expired_below {
            Status::Fail
        } else {
            Status::Inconclusive
        };
        verdicts.push(Verdict {
            id: format!("nat.keepalive-{}s", configured.interval_seconds),
            requirement: format!(
                "keepalives every {} s keep the binding open",
                configured.interval_seconds
            ),
            why: String::new(),
            status,
            observed: decisive.map(pattern_line).unwrap_or_default(),
            evidence: Vec::new(),
            fix: (status == Status::Fail).then(|| {
                keepalive
                    .clone()
                    .unwrap_or_else(|| "shorten the keepalive interval".into())
            }),
            sources: configured.sources.clone(),
        });
    }
    verdicts
}

/// Without `--lifetime`, the requirement is named as untested rather than left out.
pub fn lifetime_not_tested(profile: &Profile) -> Vec<Verdict> {
    let Some(required) = &profile.nat.binding_lifetime else {
        return Vec::new();
    };
    vec![Verdict {
        id: "nat.binding-lifetime".into(),
        requirement: format!("UDP bindings last at least {} s", required.min_seconds),
        why: required.notes.clone().unwrap_or_default(),
        status: Status::NotTested,
        observed:
            "not tested: add --lifetime quick (up to 3 min) or --lifetime full (up to 30 min)"
                .into(),
        evidence: Vec::new(),
        fix: None,
        sources: required.sources.clone(),
    }]
}

/// Verdicts in reading order: the NAT, the path, the ALG, ports, media, lifetime.
pub fn sort(verdicts: &mut [Verdict]) {
    const ORDER: [&str; 8] = [
        "nat.",
        "sip-alg",
        "ports.outbound",
        "ports.",
        "media.",
        "nat.binding",
        "nat.keepalive",
        "",
    ];
    // The longest matching prefix decides ("nat.binding" before "nat.").
    let rank = |id: &str| {
        (0..ORDER.len())
            .filter(|&i| id.starts_with(ORDER[i]))
            .max_by_key(|&i| ORDER[i].len())
            .unwrap_or(ORDER.len())
    };
    verdicts.sort_by_key(|v| rank(&v.id));
}

/// The overall status: the worst of all verdicts (fail > inconclusive > warn > pass).
pub fn overall(verdicts: &[Verdict]) -> Status {
    let rank = |s: Status| match s {
        Status::Fail => 4,
        Status::Inconclusive => 3,
        Status::Warn => 2,
        Status::Pass => 1,
        Status::NotTested => 0,
    };
    verdicts
        .iter()
        .map(|v| v.status)
        .max_by_key(|s| rank(*s))
        .unwrap_or(Status::NotTested)
}
