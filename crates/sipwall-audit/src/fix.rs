//! The fix of a finding: the part of the policy the finding is about, rendered by `sipwall
//! rules` for the device's own vendor and version, so the support desk pastes what the generator
//! would have written.

use sipwall_firewall::model::{Hygiene, Nat};
use sipwall_firewall::{Policy, Vendor};

use crate::finding::{Concern, Finding, Fix};

pub fn render(policy: &Policy, vendor: Vendor, finding: &Finding) -> Option<Fix> {
    let part = part(policy, finding)?;
    let profile = policy
        .profile
        .as_ref()
        .map(|p| p.id.as_str())
        .unwrap_or("PROFILE");
    Some(Fix {
        vendor,
        command: format!("sipwall rules --vendor {} --profile {profile}", vendor.id()),
        text: vendor.render(&part, false).text,
    })
}

/// The policy cut down to the finding's concern; `None` when `sipwall rules` has nothing to
/// say about it.
fn part(policy: &Policy, finding: &Finding) -> Option<Policy> {
    let mut part = Policy {
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
    };
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
