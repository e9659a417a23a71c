//! The SIP ALG verdict.

use sipwall_profile::model::Profile;

use super::{Status, Verdict};
use crate::alg::{AlgReport, AlgVerdict};

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
