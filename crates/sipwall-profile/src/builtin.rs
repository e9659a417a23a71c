//! The profiles shipped inside sipwall: the five seed providers and the RFC baseline.
//!
//! They are plain profile files (`profiles/*.toml`), compiled in so the binary needs nothing
//! beside it; tests check that each one loads without error or warning.

use std::collections::BTreeMap;

use crate::load::{Loaded, load_str};
use crate::model::Profile;
use crate::params::resolve;

/// A profile compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub id: &'static str,
    pub text: &'static str,
}

macro_rules! builtin {
    ($id:literal) => {
        Builtin {
            id: $id,
            text: include_str!(concat!("../profiles/", $id, ".toml")),
        }
    };
}

/// Every built-in profile, in the order `sipwall profile list` shows them.
pub const BUILTINS: &[Builtin] = &[
    builtin!("cloudli"),
    builtin!("tw-solutions"),
    builtin!("swyx-linkmanager"),
    builtin!("algar-cloudphone-pro"),
    builtin!("fonality-pbxtra"),
    builtin!("fonality-pbxtra-premise"),
    builtin!("rfc-baseline"),
];

impl Builtin {
    pub fn load(&self) -> Loaded {
        load_str(self.text, &self.origin())
            .unwrap_or_else(|errors| panic!("built-in profile {} is invalid: {errors:?}", self.id))
    }

    /// The profile with every parameter lacking a default set to its own example: a complete
    /// profile with plausible values (for tests, benchmarks and demonstrations). Panics when a
    /// parameter has no example or an example is no valid value (the tests below keep both
    /// true).
    pub fn load_with_examples(&self) -> Profile {
        let profile = self.load().profile;
        let values: BTreeMap<String, String> = profile
            .parameters
            .iter()
            .filter(|p| p.default.is_none())
            .map(|p| {
                let example = p
                    .example
                    .clone()
                    .unwrap_or_else(|| panic!("{}: parameter {} has no example", self.id, p.name));
                (p.name.clone(), example)
            })
            .collect();
        resolve(&profile, &values)
            .unwrap_or_else(|e| panic!("{}: examples are valid values: {e}", self.id))
            .require_complete()
            .unwrap_or_else(|e| panic!("{}: every parameter has a value: {e}", self.id))
    }

    /// How messages name the profile, e.g. `builtin:cloudli`.
    pub fn origin(&self) -> String {
        format!("builtin:{}", self.id)
    }
}

/// The built-in profile with this id.
pub fn find(id: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads_cleanly_under_its_own_id() {
        for builtin in BUILTINS {
            let loaded = load_str(builtin.text, &builtin.origin()).unwrap_or_else(|errors| {
                panic!(
                    "{}:\n{}",
                    builtin.id,
                    errors.iter().map(|d| d.render()).collect::<String>()
                )
            });
            let rendered: String = loaded.warnings.iter().map(|d| d.render()).collect();
            assert!(loaded.warnings.is_empty(), "{}:\n{rendered}", builtin.id);
            assert_eq!(loaded.profile.id, builtin.id);
        }
    }

    #[test]
    fn every_builtin_loads_complete_with_its_examples() {
        for builtin in BUILTINS {
            let profile = builtin.load_with_examples();
            assert_eq!(profile.id, builtin.id);
            let open = crate::resolve(&profile, &BTreeMap::new()).unwrap();
            assert!(open.open().is_empty(), "{}: {:?}", builtin.id, open.open());
        }
    }
}
