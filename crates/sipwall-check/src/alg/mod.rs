//! SIP ALG detection (DESIGN.md §4): does something between the phone and the internet
//! rewrite, break or block SIP?
//!
//! The test sends real SIP — REGISTER, a small and a large INVITE with SDP, OPTIONS — carrying
//! the socket's real private IP and port (ALGs only rewrite what matches the flow), over
//! UDP/5060 and TCP/5060 where SIP helpers attach, and over UDP/5080, TCP/5080 and TLS/5061 as
//! controls ALGs usually leave alone. The reflector answers each probe in-band with the public
//! mapping it saw and keeps a base64 record of what it received and sent, fetched over the
//! control channel where no ALG can rewrite it. Each exchange is then compared field by
//! field in both directions ([`compare`]), and judged per path and overall ([`classify`]).
//!
//! - [`probe`]: the probe builder (pure).
//! - [`machine`]: [`AlgTest`], the sans-IO state machine.
//! - [`classify`] and [`compare`]: evidence → field changes → verdicts (pure).
//! - [`report`]: the serialisable report.

pub mod classify;
pub mod compare;
mod fields;
pub mod machine;
pub mod probe;
pub mod report;

#[cfg(test)]
mod tests;

pub use classify::{PathEvidence, ProbeEnd, ProbeEvidence, classify};
pub use compare::{Ends, compare};
pub use machine::{AlgConfig, AlgTest, AlgTiming, SIP_PORT};
pub use probe::{OsRandom, Probe, ProbeRandom, ProbeTarget, USER_AGENT, build_probe};
pub use report::{
    AlgReport, AlgVerdict, ChangeKind, Direction, Field, FieldChange, PathReport, PathRole,
    ProbeKind, ProbeOutcome, ProbeReport, Rewriter, RewriterRole, Severity, StreamEndKind,
};
