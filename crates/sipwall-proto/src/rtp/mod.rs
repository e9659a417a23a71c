//! RTP receiver statistics, sans-IO: the RTP echo's driver feeds every datagram with its
//! arrival time (a `Duration` since the session start; no clocks in here) and IP TOS byte to
//! a [`ReceiverStats`], and sends the [`StreamReport`] back as JSON at the end.
//!
//! Definitions (each field's doc says more):
//! - Sequence numbers follow RFC 3550 A.1/A.3, without the probation/restart machinery: a
//!   number up to 32767 ahead of the highest is accepted (the skipped ones count as lost),
//!   anything behind is a duplicate or a late (reordered) packet. `packets_expected` runs from
//!   the lowest number received to the highest.
//! - Duplicates are recognised among the last 1024 sequence numbers (a fixed bitmap); an older
//!   repeat counts as reordered.
//! - Jitter is RFC 3550 A.8 between consecutive arrivals, reordered packets included, which is
//!   also what Wireshark 4.0's `rtp,streams` reports (`tests/rtp_tshark.rs` checks it).
//! - The first valid packet fixes the SSRC (and the reported payload type); packets of other
//!   SSRCs and non-RTP datagrams (including RTCP multiplexed on the port) are only counted.
//! - Time buckets count the losses *detected* in them (numbers skipped over); a late packet
//!   filling a gap afterwards doesn't reduce its bucket, only the stream's `packets_lost`.
//! - Memory is bounded: a 1024-bit bitmap, 256 TOS counters, at most [`MAX_INTERVALS`] buckets.
//!
//! Nothing here panics on any input.

mod seq;
mod stats;

#[cfg(test)]
mod tests;

pub use stats::{IntervalReport, MAX_INTERVALS, ReceiverStats, RtpDrop, StreamReport, TosCount};
