//! sipwall rules: a provider profile as a vendor-independent firewall model ([`Policy`]) and
//! its rendering into paste-ready configuration per firewall vendor.
//!
//! ```
//! use sipwall_firewall::{Options, Vendor, render};
//!
//! let profile = sipwall_profile::builtin::find("rfc-baseline").unwrap().load().profile;
//! let rendering = render(&profile, Vendor::Nftables, &Options::default(), false).unwrap();
//! assert!(rendering.text.contains("table inet sipwall"));
//! ```
//!
//! One vendor, one module (`vendors/<vendor>.rs`, DESIGN principle 4); each exposes `ID`,
//! `render(&Policy, explain) -> Rendering` and `CAPABILITIES`.

pub mod from_profile;
pub mod model;
pub mod vendors;

pub use from_profile::Options;
pub use model::Policy;
pub use vendors::{Capability, Limitation, Rendering, Support, Vendor};

use sipwall_profile::{Profile, ResolveError};

/// Why a profile could not be turned into rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A `${parameter}` without a value (the message names each one and how to set it).
    #[error(transparent)]
    Parameters(#[from] ResolveError),
    /// A `${parameter}` left in a profile field (only when the profile was not resolved).
    #[error("parameter `{name}` not set (used in {field}); set it with --set {name}=VALUE")]
    Unresolved { name: String, field: String },
    #[error(
        "flow `{flow}`: the forward target `{target}` must be one IP address (a port forward \
         cannot point at a prefix or a DNS name)"
    )]
    ForwardTarget { flow: String, target: String },
    #[error(
        "--{option} `{name}`: interface names are 1-15 characters of letters, digits and `_-.+*`"
    )]
    BadInterface { option: &'static str, name: String },
    #[error("unknown vendor `{given}`; valid vendors: {}", .valid.join(", "))]
    UnknownVendor { given: String, valid: Vec<String> },
    #[error("{vendor} has no dialect for version `{given}`; valid: {}", .valid.join(", "))]
    UnknownVersion {
        vendor: String,
        given: String,
        valid: Vec<String>,
    },
}

/// Profile → model → vendor text. `explain` precedes each block with comments naming the
/// requirement and its sources.
pub fn render(
    profile: &Profile,
    vendor: Vendor,
    options: &Options,
    explain: bool,
) -> Result<Rendering, Error> {
    let policy = Policy::from_profile(profile, options)?;
    Ok(vendor.render(&policy, explain))
}
