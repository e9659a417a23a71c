//! Tests for the SIP view and the mirror.

mod message;
mod mirror;
