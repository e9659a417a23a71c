//! VyOS 1.4 and later (the nftables firewall: `firewall ipv4|ipv6 …` base and custom chains,
//! `outbound-interface name`, opt-in conntrack helper modules).
//!
//! The rendering is shared with `vyos_1_3` and `edgeos` (module `common`, file
//! `vyatta_common.rs`, which lists the vendor facts and their sources).

#[path = "vyatta_common.rs"]
pub(super) mod common;

use super::{Capability, Rendering};
use crate::model::Policy;

pub const ID: &str = "vyos-1.4";
pub const FAMILY: &str = "vyos";
pub const VERSIONS: &str = "VyOS 1.4 (sagitta) and later, rolling included";

/// `major.minor` 1.4 or later ("1.4", "1.4.3", "1.5-rolling-…", "2025.01" is not a version).
pub fn matches_version(version: &str) -> bool {
    common::parse_version(version).is_some_and(|v| v >= (1, 4) && v.0 < 100)
}

pub const CAPABILITIES: &[Capability] = common::CAPABILITIES_VYOS14;

/// Renders the policy as VyOS 1.4+ configuration-mode `set` commands.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    common::render(policy, explain, common::Dialect::Vyos14)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(matches_version("1.4"));
        assert!(matches_version("1.4.3"));
        assert!(matches_version("1.5-rolling-202501010000"));
        assert!(!matches_version("1.3.8"));
        assert!(!matches_version("1.2"));
        assert!(!matches_version("rolling"));
    }
}
