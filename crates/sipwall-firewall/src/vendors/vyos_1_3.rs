//! VyOS 1.3 (equuleus; iptables firewall: named rulesets `firewall name` attached to
//! interfaces, conntrack helpers on by default and disabled with `modules sip disable`).
//!
//! The rendering is shared with `vyos_1_4` (module `common`, file `vyatta_common.rs`, which lists
//! the vendor facts and their sources).

use super::vyos_1_4::common;
use super::{Capability, Rendering};
use crate::model::Policy;

pub const ID: &str = "vyos-1.3";
pub const FAMILY: &str = "vyos";
pub const VERSIONS: &str = "VyOS 1.3 (equuleus); 1.2 (crux) uses the same commands";

/// `major.minor` 1.2 or 1.3.
pub fn matches_version(version: &str) -> bool {
    common::parse_version(version).is_some_and(|v| v == (1, 3) || v == (1, 2))
}

pub const CAPABILITIES: &[Capability] = common::CAPABILITIES_LEGACY;

/// Renders the policy as VyOS 1.3 configuration-mode `set` commands.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    common::render(policy, explain, common::Dialect::Vyos13)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(matches_version("1.3"));
        assert!(matches_version("1.3.8"));
        assert!(matches_version("1.2.9"));
        assert!(!matches_version("1.4"));
        assert!(!matches_version("1.1"));
    }
}
