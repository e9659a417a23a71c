//! Exit codes (documented in docs/exit-codes.md) and the error type that carries them.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done and nothing failed.
    Success = 0,
    /// The command ran and found failures (e.g. warnings under --strict).
    Findings = 1,
    /// Bad flag, bad or missing input, or a command not available yet.
    Usage = 2,
    /// `sipwall check`: the reflector could not be reached (said within 5 s).
    Unreachable = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// An error for the user: the text to print on stderr and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: Exit,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: Exit::Usage,
            message: message.into(),
        }
    }
}
