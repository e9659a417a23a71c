//! Verdicts: each requirement of a profile, judged from the tests' reports, with the evidence,
//! the requirement's source and a fix. A verdict says *inconclusive* whenever the evidence does
//! not carry a pass or a fail — a wrong "fine" is the worst result this tool can give.

use serde::{Deserialize, Serialize};
use sipwall_profile::model::{Direction, Flow, Profile, Source};
use sipwall_proto::control::{InboundTransport, SocketTransport};

use crate::alg::{AlgReport, AlgVerdict};
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
    /// What the profile requires, in words.
    pub requirement: String,
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
                "{} {}: {:?} — {}",
                transport_name(r.target.transport),
                r.target.port,
                r.status,
                r.evidence
            )
        })
        .collect();
    let blocked: Vec<String> = ports
        .iter()
        .filter(|r| r.status == PortStatus::Blocked)
        .map(|r| format!("{} {}", transport_name(r.target.transport), r.target.port))
        .collect();
    let tested = ports
        .iter()
        .any(|r| matches!(r.status, PortStatus::Open | PortStatus::Blocked));
    let all_open = ports.iter().all(|r| r.status == PortStatus::Open);
    let status = if !blocked.is_empty() {
        if flow.required {
            Status::Fail
        } else {
            Status::Warn
        }
    } else if all_open {
        Status::Pass
    } else if tested {
        Status::Inconclusive
    } else if ports.iter().all(|r| r.status == PortStatus::NotTestable) {
        Status::NotTested
    } else {
        Status::Inconclusive
    };
    let observed = match status {
        Status::Pass => format!("all {} sampled ports get out", ports.len()),
        Status::Fail | Status::Warn => format!("blocked: {}", blocked.join(", ")),
        Status::NotTested => "the reflector does not listen on these ports".to_owned(),
        _ => "some ports could not be tested conclusively".to_owned(),
    };
    let remote: Vec<String> = flow.remote.iter().map(ToString::to_string).collect();
    Some(Verdict {
        id: format!("ports.outbound.{}", flow.name),
        requirement: format!(
            "outbound {} to {} port(s) {} ({})",
            flow.transports
                .iter()
                .map(|t| format!("{t:?}").to_uppercase())
                .collect::<Vec<_>>()
                .join("/"),
            remote.join(", "),
            flow.remote_ports
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if flow.required {
                "required"
            } else {
                "optional"
            }
        ),
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

/// Inbound forwards must reach in; never-forward ports must not.
pub fn judge_inbound(profile: &Profile, report: &InboundReport) -> Vec<Verdict> {
    if let Some(why) = &report.unavailable {
        return vec![Verdict {
            id: "ports.inbound".into(),
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
            let sources = if target.must_be_reachable {
                profile
                    .flows
                    .iter()
                    .find(|f| target.reason.ends_with(&f.name))
                    .map(|f| f.sources.clone())
            } else {
                profile
                    .security
                    .never_forward
                    .iter()
                    .find(|n| n.port == target.port)
                    .map(|n| n.sources.clone())
            };
            Verdict {
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
                sources: sources.unwrap_or_default(),
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
