//! The binding lifetime and the provider's keepalive interval.

use sipwall_profile::model::Profile;

use super::{Status, Verdict};
use crate::lifetime::{LifetimeOutcome, LifetimeReport, PatternResult, Priming};

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
