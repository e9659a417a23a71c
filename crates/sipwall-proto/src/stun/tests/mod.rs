//! Cross-module tests: published vectors, property tests, the responder's rules.

mod properties;
mod responder;
mod rfc5769;
