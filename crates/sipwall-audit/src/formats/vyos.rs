//! Placeholder until the vyos parser lands (being written in this change set).

use super::{Hints, ParseError, Parsed};
use crate::source::Source;

pub const ID: &str = "vyos";
pub const EXPORT: &str = "";

pub fn fingerprint(_text: &str) -> u32 {
    0
}

pub fn parse(_source: &Source, _hints: &Hints) -> Result<Parsed, ParseError> {
    Err(ParseError::new("vyos: parser not written yet", None, ""))
}
