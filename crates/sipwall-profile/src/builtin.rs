//! The profiles shipped inside sipwall: the five seed providers and the RFC baseline.
//!
//! They are plain profile files (`profiles/*.toml`), compiled in so the binary needs nothing
//! beside it; tests check that each one loads without error or warning.

use crate::load::{Loaded, load_str};

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
}
