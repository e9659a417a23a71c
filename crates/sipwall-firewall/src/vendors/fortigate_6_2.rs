//! FortiGate, FortiOS 6.2 and later: the SIP ALG is switched off with `default-voip-alg-mode
//! kernel-helper-based`, `sip-expectation disable` and `sip-nat-trace disable` in `config system
//! settings`, `rtp disable` in the default VoIP profile and the deletion of the `sip`
//! session-helper entry (research/anchors-firewall.md §3.1, after the public generator script
//! AdminToolbox.FortiWizard `Disable-SipALG.ps1` [C]; modes [D] Fortinet community ta-p/211669).
//!
//! The rendering is shared with `fortigate_6_0` (module `common`, file `fortigate_common.rs`).

use super::fortigate_6_0::common;
use super::{Capability, Rendering, Vendor};
use crate::model::Policy;

pub const ID: &str = "fortigate-6.2";
pub const FAMILY: &str = "fortigate";
pub const VERSIONS: &str = "FortiOS 6.2 and later";

/// `major.minor` 6.2 or later ("6.2", "7.4.3", "v7.0").
pub fn matches_version(version: &str) -> bool {
    common::parse_version(version).is_some_and(|v| v >= (6, 2))
}

pub const CAPABILITIES: &[Capability] = common::CAPABILITIES;

/// Renders the policy as a FortiOS (6.2 and later) CLI script (for one VDOM with `--vdom`).
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    common::render(
        policy,
        explain,
        common::Dialect::From62,
        Vendor::Fortigate62,
    )
}
