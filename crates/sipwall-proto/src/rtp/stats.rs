//! [`ReceiverStats`]: per-stream receiver statistics, fed one datagram at a time.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::seq::{SeqArrival, SeqTracker};

/// Most time buckets a report carries; packets after the last bucket's start fold into it.
pub const MAX_INTERVALS: usize = 600;

/// Fixed RTP header length (RFC 3550 5.1), the shortest datagram that can be RTP.
const RTP_HEADER_LEN: usize = 12;

/// Why [`ReceiverStats::on_datagram`] did not count a datagram as part of the stream. Both are
/// counted in the report ([`StreamReport::not_rtp`], [`StreamReport::foreign_ssrc`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RtpDrop {
    /// Shorter than an RTP header, version other than 2, inconsistent CSRC/extension/padding
    /// lengths, or an RTCP packet multiplexed on the port (RFC 5761 4: "payload types" 72-76).
    #[error("not an RTP packet")]
    NotRtp,
    /// Valid RTP, but from another SSRC than the one the stream's first packet fixed.
    #[error("RTP packet from foreign SSRC 0x{0:08x}")]
    ForeignSsrc(u32),
}

/// Receiver statistics for one RTP stream (one SSRC), sans-IO: the driver passes each
/// datagram with its arrival time since the session start and the IP TOS byte if known.
///
/// Memory is fixed up front except the time buckets, which stop growing at [`MAX_INTERVALS`].
#[derive(Clone, Debug)]
pub struct ReceiverStats {
    clock_rate: u32,
    interval: Duration,
    ssrc: Option<u32>,
    payload_type: Option<u8>,
    seq: SeqTracker,
    received: u64,
    duplicates: u64,
    reordered: u64,
    foreign_ssrc: u64,
    not_rtp: u64,
    jitter: Jitter,
    tos: [u64; 256],
    first_arrival: Option<Duration>,
    last_arrival: Option<Duration>,
    intervals: Vec<Bucket>,
}

/// RFC 3550 A.8 interarrival jitter, kept in timestamp units as `f64` (the RFC's sample code
/// uses fixed point; a float loses nothing here and matches Wireshark's arithmetic).
#[derive(Clone, Debug, Default)]
struct Jitter {
    /// Arrival and RTP timestamp of the previous packet of the stream, in arrival order.
    previous: Option<(Duration, u32)>,
    value: f64,
    max: f64,
    sum: f64,
    samples: u64,
}

#[derive(Clone, Debug)]
struct Bucket {
    packets: u64,
    lost: u64,
    jitter: f64,
}

/// What [`ReceiverStats::report`] returns; also the JSON the echo server sends back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamReport {
    /// Valid RTP packets of the stream, duplicates included.
    pub packets_received: u64,
    /// RFC 3550 A.3: highest extended sequence number minus the lowest received, plus one.
    pub packets_expected: u64,
    /// `packets_expected` minus unique packets received, never below 0.
    pub packets_lost: u64,
    /// `packets_lost` as a percentage (0-100) of `packets_expected`; 0 when nothing expected.
    pub loss_percent: f64,
    /// Packets whose sequence number had already arrived, among the last 1024 numbers; an
    /// older repeat counts as reordered instead (and as unique, so it hides one loss).
    pub duplicates: u64,
    /// Packets that arrived with a lower sequence number than the highest so far, not
    /// duplicates.
    pub reordered: u64,
    /// Longest run of consecutive sequence numbers never received (filled gaps don't count).
    pub max_burst_lost: u64,
    /// RFC 3550 A.8 interarrival jitter after the last packet, in milliseconds.
    pub jitter_ms: f64,
    /// Highest jitter value seen after any packet, in milliseconds.
    pub max_jitter_ms: f64,
    /// Mean of the jitter value after each packet but the first, in milliseconds (Wireshark's
    /// "Mean Jitter").
    pub mean_jitter_ms: f64,
    /// Packets per IP TOS byte, sorted by value; empty when the driver never knew the TOS.
    pub tos: Vec<TosCount>,
    /// Arrival of the stream's first packet, in ms since the session start.
    pub first_arrival_ms: Option<f64>,
    /// Arrival of the stream's most recent packet, in ms since the session start.
    pub last_arrival_ms: Option<f64>,
    /// The SSRC fixed by the first valid packet.
    pub ssrc: Option<u32>,
    /// Payload type of the first valid packet.
    pub payload_type: Option<u8>,
    /// Valid RTP packets from other SSRCs, otherwise ignored.
    pub foreign_ssrc: u64,
    /// Datagrams that were not RTP.
    pub not_rtp: u64,
    /// Time buckets from the first packet on, see [`IntervalReport`].
    pub intervals: Vec<IntervalReport>,
}

/// Packets that carried one IP TOS byte value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TosCount {
    /// The whole TOS / traffic class byte.
    pub value: u8,
    /// Its DSCP part (`value >> 2`), e.g. 46 for EF.
    pub dscp: u8,
    /// Packets of the stream that carried it.
    pub packets: u64,
}

/// One time bucket of the stream. Bucket `i` covers arrivals from `first_arrival + i *
/// interval` on; buckets without packets are kept (an outage shows as zeros), and the last of
/// [`MAX_INTERVALS`] buckets also takes every later packet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntervalReport {
    /// Bucket start, in ms since the session start.
    pub start_ms: f64,
    /// Packets of the stream that arrived in the bucket, duplicates included.
    pub packets: u64,
    /// Sequence numbers found missing in this bucket (skipped over by a new highest number).
    /// Not reduced when a late packet fills the gap afterwards, so the buckets' sum can exceed
    /// [`StreamReport::packets_lost`] by up to [`StreamReport::reordered`].
    pub lost: u64,
    /// The jitter value at the end of the bucket, in milliseconds.
    pub jitter_ms: f64,
}

impl ReceiverStats {
    /// `clock_rate`: RTP timestamp units per second (8000 for G.711); 0 disables jitter.
    /// `interval`: width of the report's time buckets; zero puts every packet in one bucket.
    pub fn new(clock_rate: u32, interval: Duration) -> Self {
        Self {
            clock_rate,
            interval,
            ssrc: None,
            payload_type: None,
            seq: SeqTracker::default(),
            received: 0,
            duplicates: 0,
            reordered: 0,
            foreign_ssrc: 0,
            not_rtp: 0,
            jitter: Jitter::default(),
            tos: [0; 256],
            first_arrival: None,
            last_arrival: None,
            intervals: Vec::new(),
        }
    }

    /// Accounts one datagram. `arrival` is the time since the session start (arrival order is
    /// the order of calls; times going backwards are tolerated), `tos` the IP TOS byte if the
    /// kernel reported it.
    pub fn on_datagram(
        &mut self,
        bytes: &[u8],
        arrival: Duration,
        tos: Option<u8>,
    ) -> Result<(), RtpDrop> {
        let Some((ssrc, seq, timestamp, payload_type)) = parse(bytes) else {
            self.not_rtp += 1;
            return Err(RtpDrop::NotRtp);
        };
        match self.ssrc {
            None => {
                self.ssrc = Some(ssrc);
                self.payload_type = Some(payload_type);
            }
            Some(ours) if ours != ssrc => {
                self.foreign_ssrc += 1;
                return Err(RtpDrop::ForeignSsrc(ssrc));
            }
            Some(_) => {}
        }

        self.received += 1;
        if let Some(tos) = tos {
            self.tos[usize::from(tos)] += 1;
        }
        let first = *self.first_arrival.get_or_insert(arrival);
        self.last_arrival = Some(arrival);

        let skipped = match self.seq.on_seq(seq) {
            SeqArrival::First => 0,
            SeqArrival::Ahead { skipped } => skipped,
            SeqArrival::Duplicate => {
                self.duplicates += 1;
                0
            }
            SeqArrival::Late => {
                self.reordered += 1;
                0
            }
        };
        self.update_jitter(arrival, timestamp);

        let jitter = self.jitter.value;
        let bucket = self.bucket(arrival.saturating_sub(first));
        bucket.packets += 1;
        bucket.lost += skipped;
        bucket.jitter = jitter;
        Ok(())
    }

    /// RFC 3550 A.8 between consecutive arrivals: D = (Rj - Ri) - (Sj - Si) in timestamp units,
    /// J += (|D| - J) / 16. A reordered packet is compared with the one that arrived before it
    /// and becomes the reference for the next, as in the RFC's code and Wireshark 4.0.
    fn update_jitter(&mut self, arrival: Duration, timestamp: u32) {
        let j = &mut self.jitter;
        if let Some((prev_arrival, prev_timestamp)) = j.previous
            && self.clock_rate != 0
        {
            // Difference in integer nanoseconds first: exact however long the session.
            let arrival_ns = (arrival.as_nanos() as i128 - prev_arrival.as_nanos() as i128) as f64;
            let arrival_units = arrival_ns * f64::from(self.clock_rate) / 1e9;
            // Signed 32-bit difference, so a timestamp wrap or a reordered packet is small.
            let timestamp_units = f64::from(timestamp.wrapping_sub(prev_timestamp) as i32);
            let d = arrival_units - timestamp_units;
            j.value += (d.abs() - j.value) / 16.0;
            j.max = j.max.max(j.value);
            j.sum += j.value;
            j.samples += 1;
        }
        j.previous = Some((arrival, timestamp));
    }

    /// The bucket for an arrival `offset` after the first packet, creating it (and any empty
    /// ones before it) as needed.
    fn bucket(&mut self, offset: Duration) -> &mut Bucket {
        let index = match offset.as_nanos().checked_div(self.interval.as_nanos()) {
            Some(i) => usize::try_from(i)
                .unwrap_or(usize::MAX)
                .min(MAX_INTERVALS - 1),
            None => 0,
        };
        // Index < MAX_INTERVALS, so this never grows past the cap. The jitter of an empty
        // bucket is the value it inherits, unchanged through it.
        let jitter = self.intervals.last().map_or(0.0, |b| b.jitter);
        while self.intervals.len() <= index {
            self.intervals.push(Bucket {
                packets: 0,
                lost: 0,
                jitter,
            });
        }
        &mut self.intervals[index]
    }

    /// A snapshot of the statistics so far; cheap enough to call at any time.
    pub fn report(&self) -> StreamReport {
        let expected = self.seq.expected();
        let unique = self.received - self.duplicates;
        let lost = expected.saturating_sub(unique);
        let loss_percent = if expected == 0 {
            0.0
        } else {
            lost as f64 * 100.0 / expected as f64
        };
        let to_ms = |units: f64| {
            if self.clock_rate == 0 {
                0.0
            } else {
                units * 1000.0 / f64::from(self.clock_rate)
            }
        };
        let j = &self.jitter;
        let mean = if j.samples == 0 {
            0.0
        } else {
            j.sum / j.samples as f64
        };
        let tos = (0..=u8::MAX)
            .filter(|&value| self.tos[usize::from(value)] != 0)
            .map(|value| TosCount {
                value,
                dscp: value >> 2,
                packets: self.tos[usize::from(value)],
            })
            .collect();
        let first_ms = self.first_arrival.map(duration_ms);
        let interval_ms = duration_ms(self.interval);
        let intervals = self
            .intervals
            .iter()
            .enumerate()
            .map(|(i, b)| IntervalReport {
                start_ms: first_ms.unwrap_or(0.0) + i as f64 * interval_ms,
                packets: b.packets,
                lost: b.lost,
                jitter_ms: to_ms(b.jitter),
            })
            .collect();
        StreamReport {
            packets_received: self.received,
            packets_expected: expected,
            packets_lost: lost,
            loss_percent,
            duplicates: self.duplicates,
            reordered: self.reordered,
            max_burst_lost: self.seq.max_missing_run(),
            jitter_ms: to_ms(j.value),
            max_jitter_ms: to_ms(j.max),
            mean_jitter_ms: to_ms(mean),
            tos,
            first_arrival_ms: first_ms,
            last_arrival_ms: self.last_arrival.map(duration_ms),
            ssrc: self.ssrc,
            payload_type: self.payload_type,
            foreign_ssrc: self.foreign_ssrc,
            not_rtp: self.not_rtp,
            intervals,
        }
    }
}

fn duration_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// SSRC, sequence number, timestamp and payload type of an RTP packet, or `None`.
fn parse(bytes: &[u8]) -> Option<(u32, u16, u32, u8)> {
    // rtp-types checks these too; checking first keeps the rule visible here.
    if bytes.len() < RTP_HEADER_LEN || bytes[0] >> 6 != 2 {
        return None;
    }
    let packet = rtp_types::RtpPacket::parse(bytes).ok()?;
    let payload_type = packet.payload_type();
    // RTCP SR/RR/SDES/BYE/APP (200-204) read as RTP with the marker bit: RFC 5761 4.
    if (72..=76).contains(&payload_type) {
        return None;
    }
    Some((
        packet.ssrc(),
        packet.sequence_number(),
        packet.timestamp(),
        payload_type,
    ))
}
