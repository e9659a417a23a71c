//! The lab's error type: every failure names what was being done.

use std::process::ExitStatus;

/// Everything that can go wrong while building, using or tearing down a lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// Creating namespaces needs privileges an ordinary user does not have.
    #[error("the lab needs root (CAP_NET_ADMIN) to create network namespaces; run it as root")]
    NotRoot,

    /// A lab option is inconsistent or out of range.
    #[error("invalid lab option: {0}")]
    InvalidOption(String),

    /// A helper program (`ip`, `nft`, `conntrack`, `sysctl`) could not be started at all.
    #[error("could not run `{command}`: {source} (is it installed and on PATH?)")]
    Spawn {
        /// The command line that was attempted.
        command: String,
        /// Why starting it failed.
        source: std::io::Error,
    },

    /// A helper program ran but reported failure.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        /// The command line that failed.
        command: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on stderr, trimmed.
        stderr: String,
    },

    /// The router's nftables ruleset was rejected by `nft`.
    #[error(
        "nft rejected the ruleset for namespace {namespace}: {stderr}\n--- ruleset ---\n{ruleset}"
    )]
    Ruleset {
        /// Namespace the ruleset was loaded into.
        namespace: String,
        /// nft's error output.
        stderr: String,
        /// The full rendered ruleset text, for debugging.
        ruleset: String,
    },

    /// A socket or file operation inside a namespace failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// `conntrack -L` printed a line this crate does not understand.
    #[error("could not parse conntrack line: {0}")]
    ConntrackParse(String),
}

/// Shorthand for results carrying a [`LabError`].
pub type LabResult<T> = Result<T, LabError>;
