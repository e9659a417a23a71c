//! FortiGate, FortiOS before 6.2: the SIP ALG is switched off with `default-voip-alg-mode
//! kernel-helper-based`, `sip-helper disable` and `sip-nat-trace disable` in `config system
//! settings`, SIP `status disable` + `rtp disable` in the default VoIP profile and the deletion
//! of the `sip` session-helper entry (research/anchors-firewall.md §3.1, after the public
//! generator script AdminToolbox.FortiWizard `Disable-SipALG.ps1` [C]).
//!
//! The rendering is shared with `fortigate_6_2` (module `common`, file `fortigate_common.rs`).

#[path = "fortigate_common.rs"]
pub(super) mod common;

use super::{Capability, Rendering, Vendor};
use crate::model::Policy;

pub const ID: &str = "fortigate-6.0";
pub const FAMILY: &str = "fortigate";
pub const VERSIONS: &str = "FortiOS before 6.2";

/// `major.minor` below 6.2 ("6.0", "5.6.14", "v6.0.9").
pub fn matches_version(version: &str) -> bool {
    common::parse_version(version).is_some_and(|v| v < (6, 2))
}

pub const CAPABILITIES: &[Capability] = common::CAPABILITIES;

/// Renders the policy as a FortiOS (before 6.2) CLI script (for one VDOM with `--vdom`).
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    common::render(
        policy,
        explain,
        common::Dialect::Before62,
        Vendor::Fortigate60,
    )
}
