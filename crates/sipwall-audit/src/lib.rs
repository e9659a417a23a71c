//! sipwall audit: a firewall export parsed into the firewall model, checked against a provider
//! profile, and reported as findings that point at the lines, say how sure they are, and give
//! the fix rendered by `sipwall rules` for the same vendor and version.
//!
//! Layout, in the order data flows: `source` (the text and spans into it), `formats/<vendor>`
//! (one parser per export format, detection by fingerprint, shared Linux and port helpers),
//! `device` (the facts a parser reads, in the firewall model's types, each with evidence and
//! certainty), `coverage` (every line understood, ignored or unknown), `checks` (the rule
//! catalogue against the profile's policy), `finding` (findings and the report), `fix` (the
//! fix per finding, rendered by `sipwall rules`), `output` (text and SARIF; JSON is the
//! serialised report).
//!
//! ```
//! use sipwall_audit::{AuditOptions, Format, Hints, Source, audit};
//! use sipwall_firewall::{Options, Policy, Vendor};
//!
//! let profile = sipwall_profile::builtin::find("rfc-baseline").unwrap().load().profile;
//! let policy = Policy::from_profile(&profile, &Options::default()).unwrap();
//! let text = Vendor::Nftables.render(&policy, false).text;
//! let source = Source::new("rules.nft", text);
//! let format = Format::detect(&source.text).unwrap();
//! let parsed = format.parse(&source, &Hints::default()).unwrap();
//! let report = audit(&policy, format, &parsed, &AuditOptions::default());
//! assert!(report.findings.is_empty());
//! ```

pub mod checks;
pub mod coverage;
pub mod device;
pub mod finding;
pub mod fix;
pub mod formats;
pub mod output;
pub mod source;

pub use checks::{AuditOptions, audit};
pub use coverage::{Coverage, CoverageSummary, LineClass};
pub use device::Device;
pub use finding::{Finding, Report, Severity};
pub use formats::{Format, Hints, ParseError, Parsed};
pub use source::{Source, Span};
