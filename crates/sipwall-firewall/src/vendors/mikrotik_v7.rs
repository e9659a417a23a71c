//! MikroTik RouterOS v7: a script of console commands (paste into a terminal or `/import`).
//!
//! What differs from v6 for this rendering (research/anchors-firewall.md §2, §3.7): nothing in
//! the commands sipwall writes. The SIP helper is switched off with the same `/ip firewall
//! service-port set sip disabled=yes` (no source for a different v7 form was found), and
//! `/ip firewall connection tracking` keeps the names `udp-timeout` / `udp-stream-timeout` and
//! their defaults 10s / 3m (7.10 defaults checked in terraform-routeros
//! routeros/resource_ip_firewall_connection_tracking.go [V]). v7 also accepts the slash form
//! `/ip/firewall/filter`; sipwall writes the space form, which v6 and v7 both take. `/export`
//! hides secrets by default in v7 (`show-sensitive` to include them) where v6 shows them unless
//! `hide-sensitive` [C].
//!
//! The rendering is shared with `mikrotik_v6` (module `common`, file `routeros_common.rs`).

#[path = "routeros_common.rs"]
pub(super) mod common;

use super::{Capability, Rendering};
use crate::model::Policy;

pub const ID: &str = "mikrotik-v7";
pub const FAMILY: &str = "mikrotik";
pub const VERSIONS: &str = "RouterOS 7.x";

/// Major version 7 ("7", "7.14.2", "v7.1rc4").
pub fn matches_version(version: &str) -> bool {
    common::parse_major(version) == Some(7)
}

pub const CAPABILITIES: &[Capability] = common::CAPABILITIES;

/// Renders the policy as a RouterOS v7 script.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    common::render(policy, explain, common::Dialect::V7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(matches_version("7"));
        assert!(matches_version("7.14.2"));
        assert!(matches_version("v7.1rc4"));
        assert!(!matches_version("6.49.10"));
        assert!(!matches_version(""));
    }
}
