//! The reflector's configuration file (TOML, `sipwall serve --config FILE`); flags override it.
//!
//! ```toml
//! [stun]
//! primary = "198.51.100.10:3478"
//! alternate = "198.51.100.11:3479"
//! advertise = "203.0.113.10"            # behind a 1:1 NAT
//! advertise_alternate = "203.0.113.11"
//!
//! [limits]
//! rate = 50      # requests per second per source and socket
//! burst = 200
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub stun: StunSection,
    #[serde(default)]
    pub limits: LimitsSection,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StunSection {
    pub primary: Option<SocketAddr>,
    pub alternate: Option<SocketAddr>,
    pub advertise: Option<IpAddr>,
    pub advertise_alternate: Option<IpAddr>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    pub rate: Option<f64>,
    pub burst: Option<f64>,
}

/// Reads a configuration file; the error names the file and, from the TOML parser, the line,
/// the column and the offending text.
pub fn read_config(path: &Path) -> Result<ConfigFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_example() {
        let text = "[stun]\nprimary = \"198.51.100.10:3478\"\nalternate = \"198.51.100.11:3479\"\n\n[limits]\nrate = 50\nburst = 200\n";
        let config: ConfigFile = toml::from_str(text).unwrap();
        assert_eq!(
            config.stun.primary,
            Some("198.51.100.10:3478".parse().unwrap())
        );
        assert_eq!(config.limits.burst, Some(200.0));
    }

    #[test]
    fn unknown_keys_and_bad_addresses_are_located() {
        let error = toml::from_str::<ConfigFile>("[stun]\nprimry = \"1.2.3.4:3478\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("line 2") && error.contains("unknown field `primry`"),
            "{error}"
        );
        let error = toml::from_str::<ConfigFile>("[stun]\nprimary = \"1.2.3.4\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 2"), "{error}");
    }
}
