//! sipwall audit: a firewall export parsed into the firewall model, checked against a provider
//! profile, and reported as findings that point at the lines, say how sure they are, and give
//! the fix rendered by `sipwall rules` for the same vendor and version.
//!
//! Layout: `source` (the text and spans into it), `formats/<vendor>` (one parser per export
//! format, detection by fingerprint), `device` (the facts a parser reads), `coverage` (every
//! line understood, ignored or unknown).

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
