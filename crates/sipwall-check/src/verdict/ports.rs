//! Ports: outbound flows (every sampled port must get out) and inbound forwards /
//! never-forward ports.

use sipwall_profile::model::{Direction, Flow, Profile};
use sipwall_proto::control::{InboundTransport, SocketTransport};

use super::{Status, Verdict};
use crate::ports::{InboundReport, OutboundReport, PortStatus, Reachability};

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
