//! Wire formats sipwall owns, as sans-IO code: bytes and addresses in, bytes and decisions out.
//! The drivers in `sipwall-serve` (and later `sipwall-check`) do the socket I/O.

pub mod control;
pub mod rtp;
pub mod sip;
pub mod stun;
