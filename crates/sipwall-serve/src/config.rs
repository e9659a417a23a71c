//! The reflector's configuration file (TOML, `sipwall serve --config FILE`); flags override it.
//!
//! ```toml
//! [stun]
//! primary = "198.51.100.10:3478"
//! alternate = "198.51.100.11:3479"
//! advertise = "203.0.113.10"            # behind a 1:1 NAT
//! advertise_alternate = "203.0.113.11"
//! tls = "198.51.100.10:5349"            # STUN over TLS (optional)
//!
//! [limits]
//! rate = 50      # requests per second per source and socket
//! burst = 200
//! max_sessions = 256
//! max_sessions_per_ip = 8
//!
//! [sip]
//! ports = "udp:5060,tcp:5060,udp:5080,tcp:5080,tls:5061"
//!
//! [control]
//! address = "198.51.100.10:7443"
//! tls = false
//!
//! [tls]                                 # without it: a self-signed certificate
//! certificate = "/etc/sipwall/cert.pem"
//! key = "/etc/sipwall/key.pem"
//!
//! [ports]
//! matrix = "udp:10000,udp:20000,tcp:8080"
//! ranges = "udp:16384-16484"            # nftables redirect, needs root
//!
//! [inbound]
//! source = "198.51.100.12"              # default: the alternate IP
//!
//! [metrics]
//! address = "127.0.0.1:9478"
//!
//! [log]
//! format = "json"                       # or "text"
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sipwall_proto::control::SocketTransport;

use crate::port_redirect::PortRange;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub stun: StunSection,
    #[serde(default)]
    pub limits: LimitsSection,
    #[serde(default)]
    pub sip: SipSection,
    #[serde(default)]
    pub control: ControlSection,
    #[serde(default)]
    pub tls: TlsSection,
    #[serde(default)]
    pub ports: PortsSection,
    #[serde(default)]
    pub inbound: InboundSection,
    #[serde(default)]
    pub metrics: MetricsSection,
    #[serde(default)]
    pub log: LogSection,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipSection {
    pub ports: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlSection {
    pub address: Option<String>,
    pub tls: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortsSection {
    pub matrix: Option<String>,
    pub ranges: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundSection {
    pub source: Option<IpAddr>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    pub address: Option<SocketAddr>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    pub format: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StunSection {
    pub primary: Option<SocketAddr>,
    pub alternate: Option<SocketAddr>,
    pub advertise: Option<IpAddr>,
    pub advertise_alternate: Option<IpAddr>,
    /// STUN over TLS address, e.g. "198.51.100.10:5349".
    pub tls: Option<SocketAddr>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    pub rate: Option<f64>,
    pub burst: Option<f64>,
    pub max_sessions: Option<usize>,
    pub max_sessions_per_ip: Option<usize>,
}

/// Splits `udp:5060,tcp:5060,…` into (transport, rest) pairs; `none` (or empty) is none.
/// `hint` explains the expected form for the error message.
fn parse_items<T>(
    text: &str,
    allow_tls: bool,
    hint: &str,
    mut item: impl FnMut(SocketTransport, &str) -> Option<T>,
) -> Result<Vec<T>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|raw| {
            let raw = raw.trim();
            let error = || format!("{raw:?} is not {hint}");
            let (transport, rest) = raw.split_once(':').ok_or_else(error)?;
            let transport = match transport.to_ascii_lowercase().as_str() {
                "udp" => SocketTransport::Udp,
                "tcp" => SocketTransport::Tcp,
                "tls" if allow_tls => SocketTransport::Tls,
                _ => return Err(error()),
            };
            item(transport, rest.trim()).ok_or_else(error)
        })
        .collect()
}

/// Parses a port list such as `udp:5060,tcp:5060,tls:5061`; `none` (or empty) is no ports.
pub fn parse_port_list(text: &str) -> Result<Vec<(SocketTransport, u16)>, String> {
    parse_items(
        text,
        true,
        "TRANSPORT:PORT (e.g. udp:5060, tcp:5060, tls:5061)",
        |transport, port| Some((transport, port.parse().ok()?)),
    )
}

/// Reads a configuration file; the error names the file and, from the TOML parser, the line,
/// the column and the offending text.
pub fn read_config(path: &Path) -> Result<ConfigFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses port ranges such as `udp:16384-32767,tcp:8000-8100`; `none` (or empty) is none.
pub fn parse_port_ranges(text: &str) -> Result<Vec<PortRange>, String> {
    let hint = "TRANSPORT:FIRST-LAST with 0 < FIRST <= LAST (e.g. udp:16384-16484)";
    parse_items(text, false, hint, |transport, range| {
        let (first, last) = range.split_once('-')?;
        let (first, last): (u16, u16) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
        (first > 0 && first <= last).then_some(PortRange {
            transport,
            first,
            last,
        })
    })
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
    fn port_lists() {
        assert_eq!(
            parse_port_list("udp:5060, TCP:5060,tls:5061").unwrap(),
            vec![
                (SocketTransport::Udp, 5060),
                (SocketTransport::Tcp, 5060),
                (SocketTransport::Tls, 5061)
            ]
        );
        assert!(parse_port_list("none").unwrap().is_empty());
        let error = parse_port_list("udp:5060,sctp:5060").unwrap_err();
        assert!(
            error.contains("sctp:5060") && error.contains("e.g."),
            "{error}"
        );
        assert!(parse_port_list("udp:70000").is_err());
    }

    #[test]
    fn port_ranges() {
        assert_eq!(
            parse_port_ranges("udp:16384-16484").unwrap(),
            vec![PortRange {
                transport: SocketTransport::Udp,
                first: 16384,
                last: 16484
            }]
        );
        assert!(
            parse_port_ranges("udp:20-10")
                .unwrap_err()
                .contains("FIRST <= LAST")
        );
        assert!(parse_port_ranges("tls:1-2").is_err());
    }

    #[test]
    fn the_module_example_parses() {
        let example: String = include_str!("config.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| format!("{}\n", l.trim_start_matches("//!").trim_start()))
            .collect();
        let config: ConfigFile = toml::from_str(&example).unwrap();
        assert_eq!(config.limits.max_sessions, Some(256));
        assert_eq!(config.log.format.as_deref(), Some("json"));
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
