//! The rule catalogue (research note Appendix B, docs/audit.md): the device facts a parser read,
//! compared with the [`Policy`] the profile asks for. One module per concern; each adds
//! findings to the list and may add notes.

mod abuse;
mod access;
mod alg;
mod coverage;
mod nat;
mod timeouts;
mod walk;

use std::collections::HashMap;

use serde::Serialize;
use sipwall_firewall::Policy;
use sipwall_firewall::model::{PortRange, Ports, Protocol};
use sipwall_profile::Purpose;

use crate::finding::{Concern, Finding, Fix, Report};
use crate::fix;
use crate::formats::{Format, Parsed};

/// Knobs of one audit run.
#[derive(Debug, Clone, Serialize)]
pub struct AuditOptions {
    /// Share of unknown lines (0.0-1.0) above which "no findings" is not called clean.
    pub max_unknown_share: f64,
    /// Render a fix per finding with `sipwall rules` (off for the benchmark's raw speed).
    pub render_fixes: bool,
    /// The file name reports and SARIF use.
    pub file: String,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            max_unknown_share: 0.10,
            render_fixes: true,
            file: "-".into(),
        }
    }
}

/// Audits a parsed export (of `format`) against the policy built from the profile.
pub fn audit(policy: &Policy, format: Format, parsed: &Parsed, options: &AuditOptions) -> Report {
    let context = Context::new(policy);
    let device = &parsed.device;
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    alg::check(&context, device, &mut findings);
    timeouts::check(&context, device, &mut findings, &mut notes);
    nat::check(&context, device, &mut findings);
    access::check(&context, device, &mut findings, &mut notes);
    abuse::check(&context, device, &mut findings, &mut notes);
    let summary = parsed.coverage.summary();
    let withheld = coverage::check(device, &summary, options.max_unknown_share, &mut findings);
    let mut findings = merge_repeats(findings);
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
    if options.render_fixes
        && let Some(vendor) = device.vendor
    {
        // One rendering per concern and rule set, however many findings share it.
        let mut fixes: HashMap<(Concern, Vec<String>), Option<Fix>> = HashMap::new();
        for finding in &mut findings {
            finding.fix = fixes
                .entry((finding.concern, finding.rules.clone()))
                .or_insert_with(|| fix::render(policy, vendor, finding))
                .clone();
        }
    }
    Report {
        schema: "sipwall.audit",
        version: 1,
        file: options.file.clone(),
        format,
        device_version: device.version.clone(),
        vendor: device.vendor,
        profile: policy
            .profile
            .as_ref()
            .map(|p| p.id.clone())
            .unwrap_or_default(),
        coverage: summary,
        verdict_withheld: withheld,
        findings,
        notes,
    }
}

/// One finding per distinct statement: the same id saying the same thing with the same
/// certainty (e.g. fifty automatic outbound NAT rules that all randomise ports) becomes one
/// finding with every line as evidence.
fn merge_repeats(findings: Vec<Finding>) -> Vec<Finding> {
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut seen: HashMap<(&'static str, String, String), usize> = HashMap::new();
    for finding in findings {
        let key = (
            finding.id,
            finding.found.clone(),
            format!("{:?}", finding.certainty),
        );
        match seen.get(&key) {
            Some(&at) => merged[at].evidence.extend(finding.evidence),
            None => {
                seen.insert(key, merged.len());
                merged.push(finding);
            }
        }
    }
    for finding in &mut merged {
        finding.evidence.sort_unstable();
        finding.evidence.dedup();
    }
    merged
}

/// What the checks need to know about the profile besides the policy itself.
struct Context<'a> {
    policy: &'a Policy,
    /// The SIP ports per protocol (the ALG's scope in the policy, else the profile's SIP rules,
    /// else 5060).
    sip_ports: Vec<(Protocol, Ports)>,
    /// SIP and RTP ports per protocol, the traffic NAT behaviour and offload matter for.
    voip_ports: Vec<(Protocol, Ports)>,
}

impl<'a> Context<'a> {
    fn new(policy: &'a Policy) -> Context<'a> {
        let from_rules = |wanted: &dyn Fn(Purpose) -> bool| -> Vec<(Protocol, Ports)> {
            [Protocol::Udp, Protocol::Tcp]
                .into_iter()
                .filter_map(|protocol| {
                    let ranges: Vec<PortRange> = policy
                        .rules
                        .iter()
                        .filter(|r| r.protocol == protocol && r.purpose.is_some_and(wanted))
                        .flat_map(|r| r.destination_ports.ranges())
                        .collect();
                    (!ranges.is_empty()).then(|| (protocol, Ports::from_ranges(ranges)))
                })
                .collect()
        };
        let is_sip = |p: Purpose| matches!(p, Purpose::SipSignalling | Purpose::SipTls);
        let mut sip_ports: Vec<(Protocol, Ports)> = policy
            .algs
            .iter()
            .flat_map(|a| a.scope.iter().cloned())
            .collect();
        if sip_ports.is_empty() {
            sip_ports = from_rules(&is_sip);
        }
        if sip_ports.is_empty() {
            sip_ports = standard_sip_ports();
        }
        let mut voip_ports = from_rules(&|p| is_sip(p) || p == Purpose::Rtp);
        if voip_ports.is_empty() {
            voip_ports = sip_ports.clone();
        }
        Context {
            policy,
            sip_ports,
            voip_ports,
        }
    }
}

/// udp/5060 and tcp/5060, what an ALG hooks when nothing says otherwise.
fn standard_sip_ports() -> Vec<(Protocol, Ports)> {
    vec![
        (Protocol::Udp, Ports::single(5060)),
        (Protocol::Tcp, Ports::single(5060)),
    ]
}

/// The ports of `scope` that `protocol`/`ports` meet (`protocol: None` meets both).
fn meets(
    scope: &[(Protocol, Ports)],
    protocol: Option<Protocol>,
    ports: &Ports,
) -> Vec<(Protocol, Ports)> {
    scope
        .iter()
        .filter(|(p, _)| protocol.is_none_or(|q| q == *p))
        .filter_map(|(p, wanted)| wanted.intersect(ports).map(|common| (*p, common)))
        .collect()
}

/// `udp/5060, tcp/5060-5061` for messages.
fn describe(scope: &[(Protocol, Ports)]) -> String {
    scope
        .iter()
        .map(|(p, ports)| format!("{p}/{ports}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
