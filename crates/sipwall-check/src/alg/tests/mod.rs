//! Tests of the SIP ALG test: probe bytes, field comparison, verdicts, and whole runs against
//! a simulated reflector (the real mirror logic) behind a simulated kernel SIP helper.

mod classify;
mod compare;
mod machine;
mod probe;
mod robustness;
mod support;
