//! What the audit reports: findings with evidence, certainty, rationale and fix, and the
//! report around them.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sipwall_firewall::Vendor;
use sipwall_profile::Source as Citation;

use crate::coverage::CoverageSummary;
use crate::device::{Certainty, Evidence, Versioned};
use crate::formats::Format;
use crate::source::Span;

/// How bad a finding is. `Info` never fails a run unless asked (`--fail-on info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .iter()
            .copied()
            .find(|s| s.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                format!("unknown severity `{text}`; valid: info, low, medium, high, critical")
            })
    }
}

/// Which part of the policy a finding is about; the fix renders that part only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Concern {
    Alg,
    Timeouts,
    SourceNat,
    /// Allow rules and port forwards (the names of the rules concerned are in `Finding::rules`).
    Access,
    Hygiene,
    BruteForce,
    /// Nothing `sipwall rules` can write (version keys, offload, coverage).
    None,
}

/// The paste-ready fix: the part of `sipwall rules` output for this finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    pub vendor: Vendor,
    /// The command that renders the whole policy for this device.
    pub command: String,
    /// The lines this concern adds to the vendor's rendering (with their comments): what to
    /// change.
    pub text: String,
    /// The whole rendering of just this concern, with the vendor's preamble, for dialects
    /// whose lines only work in context (an nftables table, a RouterOS menu).
    pub full: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Catalogue id, e.g. `ALG-001` (docs/audit.md lists them).
    pub id: &'static str,
    pub severity: Severity,
    pub title: String,
    /// What the export says, in one or two sentences.
    pub found: String,
    pub certainty: Certainty,
    /// The lines it was read from (none for a vendor default).
    pub evidence: Vec<Span>,
    /// Why it matters.
    pub rationale: String,
    /// The profile requirement it breaks (`flows[sip]`, `security.never_forward[22]` …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// The seed sections or RFCs behind the requirement.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Citation>,
    pub concern: Concern,
    /// Names of the policy rules / forwards concerned (for `Concern::Access`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Finding {
    /// A finding with the evidence's certainty and spans; the rest filled by the builder methods.
    pub fn new(
        id: &'static str,
        severity: Severity,
        title: impl Into<String>,
        found: impl Into<String>,
        evidence: &Evidence,
    ) -> Finding {
        Finding {
            id,
            severity,
            title: title.into(),
            found: found.into(),
            certainty: evidence.certainty,
            evidence: evidence.spans.clone(),
            rationale: String::new(),
            requirement: None,
            sources: Vec::new(),
            concern: Concern::None,
            rules: Vec::new(),
            fix: None,
        }
    }

    pub fn rationale(mut self, text: impl Into<String>) -> Finding {
        self.rationale = text.into();
        self
    }

    pub fn concern(mut self, concern: Concern) -> Finding {
        self.concern = concern;
        self
    }

    /// The requirement and its sources, from a policy item's origins.
    pub fn origins(mut self, origins: &[sipwall_firewall::model::Origin]) -> Finding {
        if let Some(first) = origins.first() {
            self.requirement = Some(first.requirement.clone());
        }
        for origin in origins {
            for source in &origin.sources {
                if !self.sources.contains(source) {
                    self.sources.push(source.clone());
                }
            }
        }
        self
    }

    pub fn more_evidence(mut self, spans: impl IntoIterator<Item = Span>) -> Finding {
        for span in spans {
            if !self.evidence.contains(&span) {
                self.evidence.push(span);
            }
        }
        self
    }

    pub fn rules(mut self, names: impl IntoIterator<Item = String>) -> Finding {
        self.rules.extend(names);
        self
    }
}

/// The outcome of one audit.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub version: u32,
    /// The input file name.
    pub file: String,
    pub format: Format,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_version: Option<Versioned>,
    /// The dialect fixes are rendered in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Vendor>,
    /// The profile audited against.
    pub profile: String,
    pub coverage: CoverageSummary,
    /// Set when too much of the input was not understood for "no findings" to mean clean.
    pub verdict_withheld: bool,
    pub findings: Vec<Finding>,
    /// Things worth knowing that are not findings (capabilities the vendor lacks, facts the
    /// export cannot show).
    pub notes: Vec<String>,
}

impl Report {
    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}
