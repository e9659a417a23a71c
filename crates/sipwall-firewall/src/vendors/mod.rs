//! Firewall dialects, one module each, alike in shape: `ID`, `CAPABILITIES` and
//! `render(&Policy, explain) -> Rendering`. A parser for the auditor will sit beside `render`.

pub mod nftables;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::model::{Origin, Policy};

/// A firewall dialect sipwall renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vendor {
    Nftables,
}

impl Vendor {
    pub const ALL: &'static [Vendor] = &[Vendor::Nftables];

    /// The id used on the command line (`--vendor nftables`).
    pub fn id(self) -> &'static str {
        match self {
            Vendor::Nftables => nftables::ID,
        }
    }

    pub fn render(self, policy: &Policy, explain: bool) -> Rendering {
        match self {
            Vendor::Nftables => nftables::render(policy, explain),
        }
    }

    /// What the vendor can express natively, approximately, or not at all.
    pub fn capabilities(self) -> &'static [Capability] {
        match self {
            Vendor::Nftables => nftables::CAPABILITIES,
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
        Vendor::ALL
            .iter()
            .copied()
            .find(|v| v.id().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| Error::UnknownVendor {
                given: text.to_string(),
                valid: Vendor::ALL.iter().map(|v| v.id().to_string()).collect(),
            })
    }
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
