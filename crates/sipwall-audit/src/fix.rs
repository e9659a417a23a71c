//! The fix of a finding: the part of the policy the finding is about, rendered by `sipwall
//! rules` for the device's own vendor and version, so the support desk pastes what the generator
//! would have written.

use std::collections::HashMap;

use sipwall_firewall::model::{Hygiene, Nat};
use sipwall_firewall::{Policy, Vendor};

use crate::finding::{Concern, Finding, Fix};

pub fn render(policy: &Policy, vendor: Vendor, finding: &Finding) -> Option<Fix> {
    let mut part = part(policy, finding)?;
    let preamble = vendor.render(&empty(policy), false).text;
    let mut full = vendor.render(&part, false).text;
    let mut text = added_lines(&full, &preamble);
    if text.trim().is_empty() && finding.concern == Concern::Timeouts {
        // Dialects that set timeouts on the rules' services or applications (Junos, SonicOS)
        // need the rules to say anything.
        part.rules = policy.rules.clone();
        full = vendor.render(&part, false).text;
        text = added_lines(&full, &preamble);
    }
    let profile = policy
        .profile
        .as_ref()
        .map(|p| p.id.as_str())
        .unwrap_or("PROFILE");
    (!text.trim().is_empty()).then(|| Fix {
        vendor,
        command: format!("sipwall rules --vendor {} --profile {profile}", vendor.id()),
        text,
        full,
    })
}

/// The lines of `full` that `preamble` does not have (as a multiset, in `full`'s order), with
/// runs of blank lines squeezed.
fn added_lines(full: &str, preamble: &str) -> String {
    let mut left: HashMap<&str, usize> = HashMap::new();
    for line in preamble.lines() {
        *left.entry(line).or_default() += 1;
    }
    let mut out = String::new();
    for line in full.lines() {
        if let Some(n) = left.get_mut(line).filter(|n| **n > 0) {
            *n -= 1;
            continue;
        }
        if line.trim().is_empty() && (out.is_empty() || out.ends_with("\n\n")) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string() + "\n"
}

/// The policy with no concern at all: what every rendering of it has anyway.
fn empty(policy: &Policy) -> Policy {
    Policy {
        profile: policy.profile.clone(),
        documents: policy.documents.clone(),
        zones: policy.zones.clone(),
        forward_default: policy.forward_default,
        rules: Vec::new(),
        nat: Nat {
            source_nat: None,
            port_forwards: Vec::new(),
        },
        algs: Vec::new(),
        timeouts: Vec::new(),
        hygiene: Hygiene::default(),
        brute_force: Vec::new(),
        notes: Vec::new(),
    }
}

/// The policy cut down to the finding's concern; `None` when `sipwall rules` has nothing to
/// say about it.
fn part(policy: &Policy, finding: &Finding) -> Option<Policy> {
    let mut part = empty(policy);
    match finding.concern {
        Concern::Alg => part.algs = policy.algs.clone(),
        Concern::Timeouts => part.timeouts = policy.timeouts.clone(),
        Concern::SourceNat => part.nat.source_nat = policy.nat.source_nat.clone(),
        Concern::Access => {
            part.rules = policy
                .rules
                .iter()
                .filter(|r| finding.rules.contains(&r.name))
                .cloned()
                .collect();
            part.nat.port_forwards = policy
                .nat
                .port_forwards
                .iter()
                .filter(|f| finding.rules.contains(&f.name))
                .cloned()
                .collect();
            if part.rules.is_empty() && part.nat.port_forwards.is_empty() {
                return None;
            }
        }
        Concern::Hygiene => part.hygiene = policy.hygiene.clone(),
        Concern::BruteForce => part.brute_force = policy.brute_force.clone(),
        Concern::None => return None,
    }
    Some(part)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Evidence;
    use crate::finding::Severity;
    use sipwall_firewall::Options;

    fn finding(concern: Concern, rules: &[&str]) -> Finding {
        Finding::new("X", Severity::High, "t", "f", &Evidence::explicit([]))
            .concern(concern)
            .rules(rules.iter().map(|r| r.to_string()))
    }

    #[test]
    fn every_vendor_renders_every_concern_alone() {
        let profile = sipwall_profile::builtin::find("rfc-baseline")
            .unwrap()
            .load()
            .profile;
        let policy = Policy::from_profile(&profile, &Options::default()).unwrap();
        let rule = policy.rules[0].name.clone();
        let port = policy.rules[0].destination_ports.ranges()[0]
            .first
            .to_string();
        for vendor in Vendor::ALL {
            for concern in [Concern::Alg, Concern::Timeouts, Concern::SourceNat] {
                let fix = render(&policy, *vendor, &finding(concern, &[]))
                    .unwrap_or_else(|| panic!("{vendor} {concern:?}: no fix"));
                assert!(fix.full.contains(fix.text.lines().last().unwrap()));
            }
            // rfc-baseline forbids no port and asks for no ban: nothing to add.
            for concern in [Concern::Hygiene, Concern::BruteForce] {
                assert!(render(&policy, *vendor, &finding(concern, &[])).is_none());
            }
            let access = render(&policy, *vendor, &finding(Concern::Access, &[&rule])).unwrap();
            // The lines added are the rule's own: its port is in them.
            assert!(access.text.contains(&port), "{vendor}: {}", access.text);
            assert!(render(&policy, *vendor, &finding(Concern::Access, &["nope"])).is_none());
            assert!(render(&policy, *vendor, &finding(Concern::None, &[])).is_none());
        }
        let alg = render(&policy, Vendor::Fortigate62, &finding(Concern::Alg, &[])).unwrap();
        assert!(alg.text.contains("default-voip-alg-mode"), "{}", alg.text);
        assert!(
            !alg.text.lines().any(|l| l.trim() == "edit 0"),
            "no policy in an ALG fix: {}",
            alg.text
        );
    }
}
