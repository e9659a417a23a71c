//! Firewall dialects, one module each, alike in shape: `ID`, `CAPABILITIES` and
//! `render(&Policy, explain) -> Rendering`. A parser for the auditor will sit beside `render`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::model::{Origin, Policy};
use sipwall_profile::Source;

/// Every dialect, one line each: `Variant => module`. A module has `ID` (the `--vendor` name),
/// `FAMILY` (what `--vendor` also accepts when `--version` picks among dialects), `VERSIONS`
/// (the versions it renders for, in words), `fn matches_version(&str) -> bool`,
/// `CAPABILITIES` and `fn render(&Policy, explain) -> Rendering`.
macro_rules! vendors {
    ($($variant:ident => $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// A firewall dialect sipwall renders.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Vendor {
            $($variant),*
        }

        impl Vendor {
            pub const ALL: &'static [Vendor] = &[$(Vendor::$variant),*];

            /// The id used on the command line (`--vendor nftables`).
            pub fn id(self) -> &'static str {
                match self { $(Vendor::$variant => $module::ID),* }
            }

            /// The product the dialect belongs to (`fortigate` for `fortigate-6.0`).
            pub fn family(self) -> &'static str {
                match self { $(Vendor::$variant => $module::FAMILY),* }
            }

            /// The versions the dialect is for, in words.
            pub fn versions(self) -> &'static str {
                match self { $(Vendor::$variant => $module::VERSIONS),* }
            }

            pub fn matches_version(self, version: &str) -> bool {
                match self { $(Vendor::$variant => $module::matches_version(version)),* }
            }

            pub fn render(self, policy: &Policy, explain: bool) -> Rendering {
                match self { $(Vendor::$variant => $module::render(policy, explain)),* }
            }

            /// What the vendor can express natively, approximately, or not at all.
            pub fn capabilities(self) -> &'static [Capability] {
                match self { $(Vendor::$variant => $module::CAPABILITIES),* }
            }
        }
    };
}

vendors! {
    Nftables => nftables,
    Iptables => iptables,
    Openwrt => openwrt,
    Fortigate60 => fortigate_6_0,
    Fortigate62 => fortigate_6_2,
    CiscoAsa => cisco_asa,
    MikrotikV6 => mikrotik_v6,
    MikrotikV7 => mikrotik_v7,
    Vyos13 => vyos_1_3,
    Vyos14 => vyos_1_4,
    Edgeos => edgeos,
    JuniperSrx => juniper_srx,
    Pfsense => pfsense,
    Consumer => consumer,
    CiscoIos => cisco_ios,
    Panos => panos,
    Sonicwall => sonicwall,
}

/// Shared by the script dialects (OpenWrt, RouterOS, VyOS, EdgeOS).
mod script;

impl Vendor {
    /// The dialect for `--vendor NAME [--version V]`: NAME is a dialect id, or a family whose
    /// dialect is chosen by the version (the newest when no version is given).
    pub fn select(name: &str, version: Option<&str>) -> Result<Vendor, Error> {
        let name = name.trim();
        let candidates: Vec<Vendor> = Vendor::ALL
            .iter()
            .copied()
            .filter(|v| v.id().eq_ignore_ascii_case(name) || v.family().eq_ignore_ascii_case(name))
            .collect();
        if candidates.is_empty() {
            return Err(Error::UnknownVendor {
                given: name.to_string(),
                valid: Vendor::ALL.iter().map(|v| v.id().to_string()).collect(),
            });
        }
        match version {
            None => Ok(*candidates.last().expect("not empty")),
            Some(version) => candidates
                .iter()
                .copied()
                .find(|v| v.matches_version(version))
                .ok_or_else(|| Error::UnknownVersion {
                    vendor: name.to_string(),
                    given: version.to_string(),
                    valid: candidates
                        .iter()
                        .map(|v| format!("{} ({})", v.id(), v.versions()))
                        .collect(),
                }),
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Vendor {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Vendor::select(text, None)
    }
}

/// How `--explain` names one source of a requirement: `doc § section — "quote"` (the quote
/// on one line, cut at 200 characters). Every dialect prints it in its own comment syntax.
pub(crate) fn source_text(source: &Source) -> String {
    let mut text = match (&source.doc, source.rfc) {
        (Some(doc), _) => format!("{doc} § {}", source.section),
        (None, Some(rfc)) => format!("RFC {rfc} § {}", source.section),
        (None, None) => format!("§ {}", source.section),
    };
    if let Some(quote) = &source.quote {
        let quote: String = quote.split_whitespace().collect::<Vec<_>>().join(" ");
        let short: String = quote.chars().take(200).collect();
        let ellipsis = if short.len() < quote.len() { "…" } else { "" };
        text.push_str(&format!(" — \"{short}{ellipsis}\""));
    }
    text
}

/// An object, rule or group name the zone-based dialects accept (ASA, IOS, Junos, PAN-OS):
/// letters, digits and `-_.`, anything else as `-`; at most `max` characters.
pub(crate) fn object_name(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(max)
        .collect()
}

/// What `--explain` writes above a block, one comment line each: the headline, then every
/// requirement and its sources. Every dialect prints these lines in its own comment syntax.
pub(crate) fn explanation(headline: &str, origins: &[Origin]) -> Vec<String> {
    let mut lines = vec![headline.to_string()];
    for origin in origins {
        lines.push(format!("  requirement: {}", origin.requirement));
        for source in &origin.sources {
            lines.push(format!("    source: {}", source_text(source)));
        }
    }
    lines
}

/// What `--explain` writes at the end: the documents the sources cite, one line each after a
/// headline.
pub(crate) fn document_lines(policy: &Policy) -> Vec<String> {
    std::iter::once("Documents the sources below cite:".to_string())
        .chain(
            policy
                .documents
                .iter()
                .map(|doc| format!("  {}: {} ({})", doc.id, doc.title, doc.location)),
        )
        .collect()
}

/// A rendered configuration and what it could not express.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rendering {
    pub vendor: Vendor,
    /// The configuration to paste (also printed with `limitations` as comments).
    pub text: String,
    pub limitations: Vec<Limitation>,
}

/// A requirement the rendering does not (fully) express, and what to do instead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limitation {
    pub topic: String,
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Support {
    Native,
    Approximate,
    None,
}

/// One row of the capability matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capability {
    pub concern: &'static str,
    pub support: Support,
    pub how: &'static str,
}
