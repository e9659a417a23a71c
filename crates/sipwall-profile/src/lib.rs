//! sipwall's provider profiles: what a VoIP service requires of a firewall and NAT, as a
//! typed, validated and sourced model read from TOML (`docs/profile-format.md`).
//!
//! ```
//! let loaded = sipwall_profile::builtin::find("fonality-pbxtra-premise").unwrap().load();
//! assert!(loaded.profile.security.brute_force.is_some());
//! ```

pub mod builtin;
pub mod diagnostic;
pub mod endpoint;
pub mod load;
pub mod model;
pub mod params;
pub mod ports;
pub mod validate;
pub mod walk;

pub use diagnostic::{Diagnostic, Location, Severity};
pub use endpoint::Endpoint;
pub use load::{Loaded, load_file, load_str};
pub use model::*;
pub use params::{ResolveError, Resolved, resolve};
pub use ports::{PortRange, PortSpec};

/// The JSON Schema of the profile format, generated from the types.
pub fn json_schema() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(Profile)).expect("schema serialises");
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".into(),
            "https://sipwall.invalid/schema/profile-v1.json".into(),
        );
        object.insert("title".into(), "sipwall provider profile, format 1".into());
    }
    schema
}
