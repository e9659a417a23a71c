//! MikroTik RouterOS v6: a script of console commands (paste into a terminal or `/import`).
//!
//! The commands are those of v7 (research/anchors-firewall.md §2 gives `/ip firewall
//! service-port set sip disabled=yes` and the `udp-timeout` / `udp-stream-timeout` names for
//! both). What differs for v6 is stated in the rendering: DNS names in address lists need a
//! late 6.x release (6.36 or later by the changelog, not verified here [?]), and `/export`
//! shows secrets unless `hide-sensitive` is given [C].
//!
//! The rendering is shared with `mikrotik_v7` (module `common`, file `routeros_common.rs`).

use super::mikrotik_v7::common;
use super::{Capability, Rendering};
use crate::model::Policy;

pub const ID: &str = "mikrotik-v6";
pub const FAMILY: &str = "mikrotik";
pub const VERSIONS: &str = "RouterOS 6.x";

/// Major version 6 ("6", "6.49.10", "v6.48").
pub fn matches_version(version: &str) -> bool {
    common::parse_major(version) == Some(6)
}

pub const CAPABILITIES: &[Capability] = common::CAPABILITIES;

/// Renders the policy as a RouterOS v6 script.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    common::render(policy, explain, common::Dialect::V6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(matches_version("6"));
        assert!(matches_version("6.49.10"));
        assert!(matches_version("v6.48"));
        assert!(!matches_version("7.1"));
        assert!(!matches_version("5.26"));
    }
}
