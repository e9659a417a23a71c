//! `sipwall check`: the live tests a phone system's network must pass, run from behind the
//! firewall against a `sipwall serve` reflector (docs/protocol.md).
//!
//! Each test is a sans-IO state machine (`sansio`): it asks for sockets, says what to send
//! and when it next needs the clock, takes the datagrams that arrive, and ends with a report
//! that carries its evidence. The async drivers do the I/O; the verdict model judges the
//! reports against a provider profile.

pub mod alg;
pub mod driver;
pub mod lifetime;
pub mod media;
pub mod nat;
pub mod path;
pub mod ports;
pub mod run;
pub mod sansio;
pub mod verdict;
