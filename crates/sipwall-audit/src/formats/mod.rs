//! Export formats, one module each, alike in shape: `ID` (the `--format` name), `EXPORT` (how to
//! get the export from the device, in words), `fn fingerprint(&str) -> u32` (how sure the text is
//! this format: 0 not at all, 100 certain) and `fn parse(&Source, &Hints) -> Result<Parsed,
//! ParseError>`.

use std::fmt;

use serde::Serialize;

use crate::coverage::Coverage;
use crate::device::Device;
use crate::source::{Source, Span};

macro_rules! formats {
    ($($variant:ident => $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// A firewall export format sipwall reads.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Format {
            $($variant),*
        }

        impl Format {
            pub const ALL: &'static [Format] = &[$(Format::$variant),*];

            /// The `--format` name.
            pub fn id(self) -> &'static str {
                match self { $(Format::$variant => $module::ID),* }
            }

            /// How to get this export from the device.
            pub fn export(self) -> &'static str {
                match self { $(Format::$variant => $module::EXPORT),* }
            }

            /// 0 (not this format) to 100 (certainly this format).
            pub fn fingerprint(self, text: &str) -> u32 {
                match self { $(Format::$variant => $module::fingerprint(text)),* }
            }

            pub fn parse(self, source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
                match self { $(Format::$variant => $module::parse(source, hints)),* }
            }
        }
    };
}

formats! {
    Nftables => nftables,
    Iptables => iptables,
    Openwrt => openwrt,
    Mikrotik => mikrotik,
    Fortigate => fortigate,
    CiscoAsa => cisco_asa,
    Junos => junos,
    Panos => panos,
    Vyos => vyos,
    Pfsense => pfsense,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Format {
    /// The format for `--format NAME`; the error lists the valid names.
    pub fn from_id(name: &str) -> Result<Format, String> {
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.id().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let valid: Vec<&str> = Format::ALL.iter().map(|f| f.id()).collect();
                format!(
                    "unknown format `{name}`; valid formats: {}",
                    valid.join(", ")
                )
            })
    }

    /// The format whose fingerprint is strongest, when one is at least 30 and ahead of the
    /// next; otherwise an error naming the candidates.
    pub fn detect(text: &str) -> Result<Format, ParseError> {
        if text.contains('\0') {
            return Err(ParseError::new(
                "the input is binary, not a text export",
                None,
                "export the configuration as text (see `sipwall audit --help` for the command per vendor)",
            ));
        }
        let mut scores: Vec<(u32, Format)> = Format::ALL
            .iter()
            .map(|f| (f.fingerprint(text), *f))
            .collect();
        scores.sort_by_key(|s| std::cmp::Reverse(s.0));
        let (best, format) = scores[0];
        let second = scores.get(1).map(|s| s.0).unwrap_or(0);
        if best >= 30 && best > second {
            Ok(format)
        } else {
            let valid: Vec<&str> = Format::ALL.iter().map(|f| f.id()).collect();
            Err(ParseError::new(
                "could not tell which firewall this export is from",
                None,
                format!("name it with --format ({})", valid.join(", ")),
            ))
        }
    }
}

/// What the user told us about the device that the export may not say.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// WAN interface or zone names (`--wan`); parsers infer them when empty.
    pub wan: Vec<String>,
    /// LAN interface or zone names (`--lan`).
    pub lan: Vec<String>,
}

impl Hints {
    pub fn is_wan(&self, name: &str) -> bool {
        self.wan.iter().any(|w| w == name)
    }

    pub fn is_lan(&self, name: &str) -> bool {
        self.lan.iter().any(|l| l == name)
    }
}

/// A parsed export: the device facts and the coverage of its lines.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub device: Device,
    pub coverage: Coverage,
}

/// Why an export could not be read at all (a line the parser does not know is not an error:
/// it is counted as unknown in the coverage).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    pub span: Option<Span>,
    pub hint: String,
}

impl ParseError {
    pub fn new(message: impl Into<String>, span: Option<Span>, hint: impl Into<String>) -> Self {
        ParseError {
            message: message.into(),
            span,
            hint: hint.into(),
        }
    }
}
