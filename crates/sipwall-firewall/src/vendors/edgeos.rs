//! Ubiquiti EdgeOS (EdgeRouter; Vyatta-derived: named rulesets `firewall name` attached to
//! interfaces, `service nat rule … type masquerade|destination`, conntrack helpers on by
//! default and disabled with `set system conntrack modules sip disable`).
//!
//! The rendering is shared with `vyos_1_4` (module `common`, file `vyatta_common.rs`, which lists
//! the vendor facts and their sources). Not for UniFi OS consoles (UDM, UCG, UXG): they have no
//! EdgeOS CLI (research/anchors-firewall.md §3.8).

use super::vyos_1_4::common;
use super::{Capability, Rendering};
use crate::model::Policy;

pub const ID: &str = "edgeos";
pub const FAMILY: &str = "edgeos";
pub const VERSIONS: &str = "EdgeOS 1.10 and 2.x (EdgeRouter)";

/// EdgeOS 1.x (1.10 and later) and 2.x.
pub fn matches_version(version: &str) -> bool {
    common::parse_version(version).is_some_and(|v| v == (2, 0) || (v.0 == 1 && v.1 >= 10))
}

pub const CAPABILITIES: &[Capability] = common::CAPABILITIES_LEGACY;

/// Renders the policy as EdgeOS configuration-mode `set` commands.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    common::render(policy, explain, common::Dialect::Edgeos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(matches_version("2.0.9-hotfix.7"));
        assert!(matches_version("v1.10.11"));
        assert!(!matches_version("1.9"));
        assert!(!matches_version("3.0"));
    }
}
