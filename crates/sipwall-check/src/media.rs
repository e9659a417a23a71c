//! Media quality: concurrent G.711 RTP streams through the reflector's RTP echo, measured in
//! both directions and rated with the ITU-T G.107 E-model ([`emodel`]).
//!
//! **Flow.** One `media` request opens the echo (`streams` sockets on the reflector, for the
//! test's duration plus one second so the reflector never stops first). On `media_ready` the
//! machine sends one RTP packet per stream every 20 ms — slot `k` is due at `start + k·20 ms`,
//! so a late wake-up never shifts the rest of the call — from one socket per stream to the
//! reflector's primary IP at that stream's port. The reflector echoes each packet back and
//! measures what arrived (the upstream half). One second after the last packet the machine
//! sends `media_stop` and waits for the `media_stats` event with the reflector's numbers.
//!
//! **What is measured, honestly:**
//! - *Upstream* (this network → internet): the reflector's [`StreamReport`] — loss (against
//!   the packets this machine really sent, so lost first and last packets count too), longest
//!   loss burst, RFC 3550 jitter, reordering, duplicates, and the TOS byte as received, which
//!   tells whether the DSCP mark survived ([`DscpStatus`]).
//! - *Round trip*: what came back to the client — loss, RFC 3550 jitter of the echo stream
//!   ("round-trip jitter": upstream and downstream variation together), and the round-trip
//!   time of each packet (matched by sequence number against a ring of send times), p50/p95.
//! - *Downstream* (internet → this network): loss = packets the reflector says it echoed
//!   minus the unique packets that arrived. Downstream jitter cannot be measured alone
//!   without synchronised clocks; it is *estimated* as `sqrt(max(0, J_rt² − J_up²))`. Why
//!   that is defensible: RFC 3550 J is a smoothed mean absolute transit-time difference,
//!   proportional to the standard deviation of the transit time for a given shape of delay
//!   distribution; independent upstream and downstream variations add as variances, so
//!   `J_rt² ≈ J_up² + J_down²`. The client's own send-timing variation is in both J_rt and
//!   J_up and cancels. When the reflector's numbers are missing, the round-trip jitter is used
//!   as a (pessimistic) stand-in and the report says so ([`JitterBasis`]).
//!
//! **Scores.** Per direction, `R` and MOS from [`emodel::score`] with G.711 + PLC, loss in
//! percent, and a one-way delay `Ta = RTT_p50 / 2 + 2 × jitter + 20 ms` — half the measured
//! round trip (no synchronised clocks, so the path is assumed symmetric), plus a jitter
//! buffer sized at twice the direction's jitter, plus one 20 ms packetisation interval.
//! `BurstR` comes from the loss runs the client sees on the round trip (the only per-packet
//! view there is; the reflector reports just the longest run), or is 1 when fewer than
//! [`emodel::MIN_LOSSES_FOR_BURST_RATIO`] packets were lost.
//!
//! **Evidence, never silence** (DESIGN §2.3): a stream with no echo is *upstream blocked* only
//! when the reflector's own numbers say nothing arrived, *downstream blocked* when the
//! reflector received and echoed but nothing came back, and *inconclusive* when the reflector
//! never reported.
//!
//! **Control requests:** the media request is always [`MEDIA_TAG`]; `media_stop` carries that
//! tag in its `media` field and the driver translates it to the protocol id it assigned
//! (`sansio::Machine::poll_request`). DSCP marking is done by the driver on each socket
//! (`SocketRequest::tos`); the machine only reports what it asked for.

pub mod emodel;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sipwall_proto::control::{Answer, Event, MediaStream, Request};
use sipwall_proto::rtp::{IntervalReport, ReceiverStats, StreamReport, TosCount};

use crate::sansio::{Machine, Reply, RequestTag, SocketId, SocketKind, SocketRequest, Transmit};

/// G.711 µ-law (RFC 3551): payload type 0, 8000 Hz, 20 ms of audio = 160 bytes per packet.
pub const PAYLOAD_TYPE: u8 = 0;
pub const CLOCK_RATE: u32 = 8000;
pub const PTIME: Duration = Duration::from_millis(20);
pub const PAYLOAD_LEN: usize = 160;
/// RTP timestamp units per packet (20 ms at 8000 Hz).
const TIMESTAMP_STEP: u32 = 160;
const RTP_HEADER_LEN: usize = 12;
/// µ-law silence: what a muted phone sends.
const MULAW_SILENCE: u8 = 0xFF;

pub const DEFAULT_STREAMS: u32 = 1;
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);
/// Expedited Forwarding (RFC 3246), what phones mark voice with: TOS byte 0xB8.
pub const DSCP_EF: u8 = 46;

/// The reflector's caps (docs/protocol.md `welcome.limits`): 8 streams, 120 s per session.
pub const MAX_STREAMS: u32 = 8;
/// The reflector runs the session this much longer than the call, so it never stops first.
const SERVER_EXTRA: Duration = Duration::from_millis(1000);
/// Longest call: the reflector's 120 s minus [`SERVER_EXTRA`].
pub const MAX_DURATION: Duration = Duration::from_millis(119_000);

/// After the last packet, echoes still on their way get this long before `media_stop`.
const DRAIN: Duration = Duration::from_secs(1);
/// `media_ready` must come this soon after the request.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// `media_stats` must come this soon after `media_stop`.
const STATS_TIMEOUT: Duration = Duration::from_secs(5);
/// Send times kept per stream for RTT matching: 512 × 20 ms ≈ 10 s; an echo later than that
/// is counted but gives no RTT sample.
const RTT_RING: usize = 512;
/// A packet handed out this long after its slot counts as sent late (the client's own
/// scheduling, which the reflector would otherwise see as network jitter).
const LATE_SEND: Duration = Duration::from_millis(5);
/// Width of the per-second series.
const SERIES_INTERVAL: Duration = Duration::from_secs(1);

/// The tag of the `media` request; `media_stop` refers to it.
pub const MEDIA_TAG: RequestTag = RequestTag(1);
/// The tag of the `media_stop` request.
pub const STOP_TAG: RequestTag = RequestTag(2);

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// The reflector's primary IP: every stream is sent there, to the port `media_ready` gives.
    pub server_ip: IpAddr,
    /// Concurrent calls, 1–[`MAX_STREAMS`].
    pub streams: u32,
    /// Length of each call, up to [`MAX_DURATION`]; whole 20 ms packets are sent.
    pub duration: Duration,
    /// DSCP to mark the RTP with (0 = unmarked). The driver sets it as TOS `dscp << 2`.
    pub dscp: u8,
}

impl MediaConfig {
    /// One 10-second G.711 call marked EF.
    pub fn new(server_ip: IpAddr) -> MediaConfig {
        MediaConfig {
            server_ip,
            streams: DEFAULT_STREAMS,
            duration: DEFAULT_DURATION,
            dscp: DSCP_EF,
        }
    }

    /// The IPv4 TOS byte carrying [`MediaConfig::dscp`] (ECN bits zero).
    pub fn tos(&self) -> u8 {
        self.dscp << 2
    }
}

/// A configuration the reflector would refuse, caught before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaConfigError {
    #[error("streams must be 1 to {MAX_STREAMS}, not {0}")]
    Streams(u32),
    #[error("the duration must be 20 ms to {} s", MAX_DURATION.as_secs())]
    Duration,
    #[error("a DSCP is 0 to 63, not {0}")]
    Dscp(u8),
}

/// Identifiers of one run: SSRC and first sequence number of each stream. Random in
/// production (RFC 3550 §5.1, §8), fixed in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StreamIds {
    ssrc: u32,
    first_seq: u16,
}

impl StreamIds {
    fn random() -> StreamIds {
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        StreamIds {
            ssrc: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            first_seq: u16::from_be_bytes([bytes[4], bytes[5]]),
        }
    }
}

/// One sent packet's slot in the RTT ring.
#[derive(Debug, Clone, Copy)]
struct Sent {
    seq: u16,
    at: Instant,
    echoed: bool,
}

/// One call: its socket, what was sent, and what came back.
#[derive(Debug)]
struct Stream {
    socket: SocketId,
    ids: StreamIds,
    local: Option<SocketAddr>,
    bind_failed: bool,
    /// The reflector's echo port for this stream, from `media_ready`.
    server_port: Option<u16>,
    sent: u64,
    late_sends: u64,
    max_send_lag: Duration,
    ring: Vec<Option<Sent>>,
    rtt_ms: Vec<f64>,
    /// Echoes that arrived after their send time left the ring.
    echoes_without_rtt: u64,
    /// The echo stream, measured as any receiver would.
    echo: ReceiverStats,
    /// One bit per packet index: did its echo come back?
    echoed_bits: Vec<u64>,
    /// Datagrams on this socket from anywhere but the stream's echo port, or foreign RTP.
    foreign: u64,
    /// The reflector's numbers, once `media_stats` came.
    upstream: Option<MediaStream>,
}

impl Stream {
    fn new(index: u32, ids: StreamIds, packets: u64) -> Stream {
        Stream {
            socket: SocketId(index),
            ids,
            local: None,
            bind_failed: false,
            server_port: None,
            sent: 0,
            late_sends: 0,
            max_send_lag: Duration::ZERO,
            ring: vec![None; RTT_RING],
            rtt_ms: Vec::new(),
            echoes_without_rtt: 0,
            echo: ReceiverStats::new(CLOCK_RATE, SERIES_INTERVAL),
            echoed_bits: vec![0; packets.div_ceil(64) as usize],
            foreign: 0,
            upstream: None,
        }
    }

    fn can_send(&self) -> bool {
        self.server_port.is_some() && !self.bind_failed
    }

    /// RTP packet number `index` of this stream: header (RFC 3550 §5.1) and µ-law silence.
    fn packet(&self, index: u64) -> Vec<u8> {
        let seq = self.ids.first_seq.wrapping_add(index as u16);
        let timestamp = (index as u32).wrapping_mul(TIMESTAMP_STEP);
        let mut packet = Vec::with_capacity(RTP_HEADER_LEN + PAYLOAD_LEN);
        packet.extend_from_slice(&[0x80, PAYLOAD_TYPE]);
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&timestamp.to_be_bytes());
        packet.extend_from_slice(&self.ids.ssrc.to_be_bytes());
        packet.resize(RTP_HEADER_LEN + PAYLOAD_LEN, MULAW_SILENCE);
        packet
    }

    fn record_send(&mut self, index: u64, due: Instant, now: Instant) {
        let seq = self.ids.first_seq.wrapping_add(index as u16);
        self.ring[usize::from(seq) % RTT_RING] = Some(Sent {
            seq,
            at: now,
            echoed: false,
        });
        self.sent += 1;
        let lag = now.saturating_duration_since(due);
        if lag > LATE_SEND {
            self.late_sends += 1;
        }
        self.max_send_lag = self.max_send_lag.max(lag);
    }

    /// Accounts one echoed packet whose header has been checked to be ours.
    fn record_echo(&mut self, seq: u16, now: Instant) {
        match &mut self.ring[usize::from(seq) % RTT_RING] {
            Some(sent) if sent.seq == seq && !sent.echoed => {
                sent.echoed = true;
                self.rtt_ms.push(ms(now.saturating_duration_since(sent.at)));
            }
            Some(sent) if sent.seq == seq => {} // a duplicate echo: one RTT sample per packet
            _ => self.echoes_without_rtt += 1,
        }
        // The run never exceeds 65 536 packets, so the distance from the first number is the
        // packet index.
        let index = u64::from(seq.wrapping_sub(self.ids.first_seq));
        if index < self.sent {
            self.echoed_bits[(index / 64) as usize] |= 1 << (index % 64);
        }
    }

    /// Lost packets and the number of loss runs among the packets sent, as the client saw the
    /// round trip.
    fn round_trip_loss_runs(&self) -> (u64, u64) {
        let (mut lost, mut runs, mut in_run) = (0, 0, false);
        for index in 0..self.sent {
            let echoed = self.echoed_bits[(index / 64) as usize] & (1 << (index % 64)) != 0;
            if echoed {
                in_run = false;
            } else {
                lost += 1;
                if !in_run {
                    runs += 1;
                }
                in_run = true;
            }
        }
        (lost, runs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// The `media` request is still to be made.
    Idle,
    AwaitReady {
        since: Instant,
    },
    /// Sending; the next slot is `next_index`.
    Sending {
        start: Instant,
    },
    /// Every packet sent; echoes may still arrive.
    Draining {
        until: Instant,
    },
    AwaitStats {
        since: Instant,
    },
    Done {
        at: Instant,
    },
}

/// The media test as a state machine; see the module documentation.
#[derive(Debug)]
pub struct MediaTest {
    config: MediaConfig,
    streams: Vec<Stream>,
    /// Packets per stream.
    packets: u64,
    phase: Phase,
    next_index: u64,
    /// (stream, packet index, due time) handed out by `poll_transmit`, in order.
    due: VecDeque<(usize, u64, Instant)>,
    stop_pending: bool,
    stats_received: bool,
    /// The clock's origin: the first `now` the machine saw.
    epoch: Option<Instant>,
    evidence: Vec<String>,
}

impl MediaTest {
    /// A test with random SSRCs and sequence numbers.
    pub fn new(config: MediaConfig) -> Result<MediaTest, MediaConfigError> {
        let ids = (0..config.streams).map(|_| StreamIds::random()).collect();
        MediaTest::with_ids(config, ids)
    }

    fn with_ids(config: MediaConfig, ids: Vec<StreamIds>) -> Result<MediaTest, MediaConfigError> {
        if config.streams == 0 || config.streams > MAX_STREAMS {
            return Err(MediaConfigError::Streams(config.streams));
        }
        if config.duration < PTIME || config.duration > MAX_DURATION {
            return Err(MediaConfigError::Duration);
        }
        if config.dscp > 63 {
            return Err(MediaConfigError::Dscp(config.dscp));
        }
        let packets = (config.duration.as_nanos() / PTIME.as_nanos()) as u64;
        let streams = ids
            .into_iter()
            .enumerate()
            .map(|(i, ids)| Stream::new(i as u32, ids, packets))
            .collect();
        Ok(MediaTest {
            config,
            streams,
            packets,
            phase: Phase::Idle,
            next_index: 0,
            due: VecDeque::new(),
            stop_pending: false,
            stats_received: false,
            epoch: None,
            evidence: Vec::new(),
        })
    }

    fn since_epoch(&mut self, now: Instant) -> Duration {
        let epoch = *self.epoch.get_or_insert(now);
        now.saturating_duration_since(epoch)
    }

    fn finish(&mut self, now: Instant) {
        self.due.clear();
        self.phase = Phase::Done { at: now };
    }

    /// Queues every slot due by `now`; after the last one, starts draining.
    fn queue_due(&mut self, now: Instant) {
        let Phase::Sending { start } = self.phase else {
            return;
        };
        while self.next_index < self.packets {
            let due = start + PTIME * self.next_index as u32;
            if due > now {
                return;
            }
            for (i, stream) in self.streams.iter().enumerate() {
                if stream.can_send() {
                    self.due.push_back((i, self.next_index, due));
                }
            }
            self.next_index += 1;
        }
        let last = start + PTIME * (self.packets as u32 - 1);
        self.phase = Phase::Draining {
            until: last + DRAIN,
        };
    }

    fn on_ready(&mut self, now: Instant, ports: Vec<u16>) {
        if ports.len() < self.streams.len() {
            self.evidence.push(format!(
                "the reflector opened {} of {} streams; the others were not tested",
                ports.len(),
                self.streams.len()
            ));
        }
        for (stream, port) in self.streams.iter_mut().zip(ports) {
            stream.server_port = Some(port);
        }
        if self.streams.iter().any(Stream::can_send) {
            self.phase = Phase::Sending { start: now };
            self.next_index = 0;
            self.queue_due(now);
        } else {
            self.evidence
                .push("no stream could be sent (no socket or no reflector port)".into());
            self.finish(now);
        }
    }

    fn on_stats(&mut self, now: Instant, streams: Vec<MediaStream>) {
        self.stats_received = true;
        for upstream in streams {
            if let Some(stream) = self
                .streams
                .iter_mut()
                .find(|s| s.server_port == Some(upstream.port))
            {
                stream.upstream = Some(upstream);
            }
        }
        if matches!(self.phase, Phase::Sending { .. }) {
            self.evidence.push(format!(
                "the reflector ended the media session after {} of {} packets",
                self.next_index, self.packets
            ));
        }
        self.finish(now);
    }

    fn echo_port(&self, stream: &Stream) -> Option<SocketAddr> {
        stream
            .server_port
            .map(|port| SocketAddr::new(self.config.server_ip, port))
    }
}

impl Machine for MediaTest {
    type Report = MediaReport;

    fn sockets(&self) -> Vec<SocketRequest> {
        let tos = (self.config.dscp != 0).then(|| self.config.tos());
        self.streams
            .iter()
            .map(|s| SocketRequest {
                id: s.socket,
                kind: SocketKind::Udp,
                port: None,
                tos,
            })
            .collect()
    }

    fn bound(&mut self, socket: SocketId, local: Option<SocketAddr>) {
        if let Some(stream) = self.streams.iter_mut().find(|s| s.socket == socket) {
            stream.local = local;
            stream.bind_failed = local.is_none();
        }
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.since_epoch(now);
        self.queue_due(now);
        let (i, index, due) = self.due.pop_front()?;
        let destination = self.echo_port(&self.streams[i])?;
        let stream = &mut self.streams[i];
        let payload = stream.packet(index);
        stream.record_send(index, due, now);
        Some(Transmit {
            socket: stream.socket,
            destination,
            payload,
        })
    }

    fn handle_receive(&mut self, now: Instant, socket: SocketId, from: SocketAddr, payload: &[u8]) {
        let arrival = self.since_epoch(now);
        let Some(i) = self.streams.iter().position(|s| s.socket == socket) else {
            return;
        };
        let expected_source = self.echo_port(&self.streams[i]);
        let stream = &mut self.streams[i];
        // Only the echo of our own stream from our own reflector port counts (DESIGN §2.3).
        let ours = expected_source == Some(from)
            && payload.len() >= RTP_HEADER_LEN
            && payload[8..12] == stream.ids.ssrc.to_be_bytes();
        if !ours {
            stream.foreign += 1;
            return;
        }
        if stream.echo.on_datagram(payload, arrival, None).is_ok() {
            stream.record_echo(u16::from_be_bytes([payload[2], payload[3]]), now);
        }
    }

    fn poll_request(&mut self, now: Instant) -> Option<(RequestTag, Request)> {
        self.since_epoch(now);
        if self.phase == Phase::Idle {
            self.phase = Phase::AwaitReady { since: now };
            let duration = PTIME * self.packets as u32 + SERVER_EXTRA;
            return Some((
                MEDIA_TAG,
                Request::Media {
                    streams: self.config.streams,
                    duration_ms: duration.as_millis() as u64,
                    clock_rate: CLOCK_RATE,
                },
            ));
        }
        if self.stop_pending {
            self.stop_pending = false;
            // The tag, not a protocol id: the driver translates it (sansio::Machine).
            return Some((
                STOP_TAG,
                Request::MediaStop {
                    media: u64::from(MEDIA_TAG.0),
                },
            ));
        }
        None
    }

    fn handle_reply(&mut self, now: Instant, tag: RequestTag, reply: Reply) {
        self.since_epoch(now);
        if matches!(self.phase, Phase::Done { .. }) {
            return;
        }
        match (tag, reply) {
            (MEDIA_TAG, Reply::Answer(Answer::MediaReady { ports })) => {
                if matches!(self.phase, Phase::AwaitReady { .. }) {
                    self.on_ready(now, ports);
                }
            }
            (MEDIA_TAG, Reply::Event(Event::MediaStats { streams })) => self.on_stats(now, streams),
            (MEDIA_TAG, Reply::Error { code, message }) => {
                self.evidence.push(format!(
                    "the reflector refused the media test ({code:?}): {message}"
                ));
                self.finish(now);
            }
            // A refused stop (e.g. the session already ended on its own) changes nothing: the
            // stats come anyway, or the stats timeout ends the test.
            (STOP_TAG, Reply::Error { code, message }) => self
                .evidence
                .push(format!("media_stop refused ({code:?}): {message}")),
            _ => {}
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Idle | Phase::Done { .. } => None,
            Phase::AwaitReady { since } => Some(since + READY_TIMEOUT),
            Phase::Sending { start } => Some(start + PTIME * self.next_index as u32),
            Phase::Draining { until } => Some(until),
            Phase::AwaitStats { since } => Some(since + STATS_TIMEOUT),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.since_epoch(now);
        match self.phase {
            Phase::AwaitReady { since } if now >= since + READY_TIMEOUT => {
                self.evidence.push(format!(
                    "no media_ready within {} s: the reflector did not open the echo",
                    READY_TIMEOUT.as_secs()
                ));
                self.finish(now);
            }
            Phase::Sending { .. } => self.queue_due(now),
            Phase::Draining { until } if now >= until && self.due.is_empty() => {
                if self.stats_received {
                    self.finish(now);
                } else {
                    self.stop_pending = true;
                    self.phase = Phase::AwaitStats { since: now };
                }
            }
            Phase::AwaitStats { since } if now >= since + STATS_TIMEOUT => {
                self.evidence.push(format!(
                    "no media_stats within {} s of media_stop: upstream not measured",
                    STATS_TIMEOUT.as_secs()
                ));
                self.finish(now);
            }
            _ => {}
        }
    }

    fn report(&self) -> Option<MediaReport> {
        let Phase::Done { at } = self.phase else {
            return None;
        };
        let streams: Vec<StreamResult> = self
            .streams
            .iter()
            .map(|s| stream_result(s, self.config.dscp))
            .collect();
        let outcome = streams
            .iter()
            .map(|s| s.outcome)
            .max()
            .unwrap_or(StreamOutcome::Inconclusive);
        let min_mos = |pick: fn(&StreamResult) -> Option<&DirectionResult>| {
            streams
                .iter()
                .filter_map(|s| pick(s)?.score.map(|score| score.mos))
                .reduce(f64::min)
        };
        Some(MediaReport {
            codec: Codec::g711_ulaw(),
            streams_requested: self.config.streams,
            duration_ms: (PTIME * self.packets as u32).as_millis() as u64,
            dscp_requested: self.config.dscp,
            tos_requested: self.config.tos(),
            outcome,
            upstream_mos_min: min_mos(|s| s.upstream.as_ref()),
            downstream_mos_min: min_mos(|s| s.downstream.as_ref()),
            elapsed_ms: self
                .epoch
                .map_or(0, |e| at.saturating_duration_since(e).as_millis() as u64),
            streams,
            evidence: self.evidence.clone(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

/// The whole media test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaReport {
    pub codec: Codec,
    pub streams_requested: u32,
    /// Audio sent per stream.
    pub duration_ms: u64,
    /// The DSCP the RTP was marked with (the driver sets it) and its TOS byte.
    pub dscp_requested: u8,
    pub tos_requested: u8,
    /// The worst stream outcome.
    pub outcome: StreamOutcome,
    /// The lowest MOS of any stream, per direction (for a one-line summary).
    pub upstream_mos_min: Option<f64>,
    pub downstream_mos_min: Option<f64>,
    pub streams: Vec<StreamResult>,
    /// Test-level evidence (refused requests, missing statistics, early end).
    pub evidence: Vec<String>,
    pub elapsed_ms: u64,
}

/// The codec the test imitates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Codec {
    pub name: String,
    pub payload_type: u8,
    pub clock_rate: u32,
    pub ptime_ms: u32,
    pub payload_bytes: u32,
}

impl Codec {
    /// What this test sends: G.711 µ-law ("PCMU", RFC 3551) at 20 ms.
    pub fn g711_ulaw() -> Codec {
        Codec {
            name: "PCMU".into(),
            payload_type: PAYLOAD_TYPE,
            clock_rate: CLOCK_RATE,
            ptime_ms: PTIME.as_millis() as u32,
            payload_bytes: PAYLOAD_LEN as u32,
        }
    }
}

/// What a stream showed, worst last (the report's `outcome` is the maximum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamOutcome {
    /// Both directions measured.
    Measured,
    /// Echoes came back, but the reflector's upstream numbers did not: round trip only.
    RoundTripOnly,
    /// Not enough evidence either way (not sent, or no echo and no reflector report).
    Inconclusive,
    /// The reflector received and echoed the stream, and nothing came back.
    DownstreamBlocked,
    /// The reflector says none of the stream arrived.
    UpstreamBlocked,
}

/// One call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamResult {
    pub index: u32,
    pub server_port: Option<u16>,
    /// The local socket the stream was sent from.
    pub local: Option<SocketAddr>,
    /// Where the reflector saw it come from (the NAT's media mapping).
    pub public: Option<SocketAddr>,
    pub outcome: StreamOutcome,
    pub packets_sent: u64,
    /// Packets this client sent more than 5 ms after their slot, and the worst lag: the
    /// client's own scheduling, included in every jitter figure.
    pub late_sends: u64,
    pub max_send_lag_ms: f64,
    pub upstream: Option<DirectionResult>,
    pub downstream: Option<DirectionResult>,
    pub round_trip: RoundTrip,
    pub dscp: DscpResult,
    pub series: Series,
    pub evidence: Vec<String>,
}

/// One direction of one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectionResult {
    /// Packets that entered this direction: sent by the client (upstream) or echoed by the
    /// reflector (downstream).
    pub packets_sent: u64,
    /// Unique packets that arrived.
    pub packets_received: u64,
    pub packets_lost: u64,
    /// Loss in percent (0–100) of `packets_sent`.
    pub loss_percent: f64,
    /// Longest run of lost packets (upstream: the reflector's; downstream: unknown).
    pub max_burst_lost: Option<u64>,
    pub duplicates: Option<u64>,
    pub reordered: Option<u64>,
    /// Mean RFC 3550 jitter in ms (see `jitter_basis` for how it was obtained).
    pub jitter_ms: Option<f64>,
    pub max_jitter_ms: Option<f64>,
    pub jitter_basis: JitterBasis,
    /// `BurstR` used for the score, and where it came from.
    pub burst_ratio: f64,
    pub burst_basis: BurstBasis,
    /// The assumed one-way delay `Ta` (RTT p50 / 2 + 2 × jitter + 20 ms), if an RTT exists.
    pub one_way_delay_ms: Option<f64>,
    pub score: Option<emodel::Score>,
}

/// How a direction's jitter figure was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JitterBasis {
    /// Measured by the receiver (the reflector, for upstream).
    Measured,
    /// `sqrt(max(0, J_rt² − J_up²))`: independent variations add as variances.
    EstimatedFromRoundTrip,
    /// The whole round-trip jitter, for lack of the upstream half (an upper bound).
    RoundTripUpperBound,
    /// Nothing arrived to measure.
    Unknown,
}

/// Where `BurstR` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BurstBasis {
    /// From the loss runs the client saw on the round trip.
    RoundTripPattern,
    /// Too few losses to tell: random loss assumed (BurstR = 1).
    AssumedRandom,
}

/// What came back to the client: both directions together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundTrip {
    pub packets_received: u64,
    pub packets_lost: u64,
    pub loss_percent: f64,
    /// Runs of consecutive packets that never came back, and the longest.
    pub loss_runs: u64,
    pub max_burst_lost: u64,
    pub duplicates: u64,
    pub reordered: u64,
    /// RFC 3550 jitter of the echo stream ("round-trip jitter"), mean and max, in ms.
    pub jitter_ms: f64,
    pub max_jitter_ms: f64,
    /// Round-trip times of echoed packets, in ms.
    pub rtt_samples: u64,
    pub rtt_min_ms: Option<f64>,
    pub rtt_p50_ms: Option<f64>,
    pub rtt_p95_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    /// Echoes too late to match their send time (more than ~10 s).
    pub echoes_without_rtt: u64,
    /// Datagrams on the stream's socket that were not its echo.
    pub foreign: u64,
}

/// Whether the DSCP mark survived to the reflector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DscpResult {
    pub requested: u8,
    /// TOS bytes as the reflector received them, with packet counts.
    pub received: Vec<TosCount>,
    pub status: DscpStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DscpStatus {
    /// Nothing was marked (DSCP 0 requested).
    NotRequested,
    /// Every packet arrived with the DSCP it was sent with.
    Kept,
    /// Every packet arrived with DSCP 0: the mark was removed on the way.
    Bleached,
    /// Every packet arrived with another non-zero DSCP.
    Remarked,
    /// Some packets kept the mark, some did not.
    Mixed,
    /// The reflector could not read the TOS byte (IPv6, or no packets arrived).
    Unknown,
}

/// Per-second series for charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The reflector's buckets (upstream): packets, losses detected, jitter.
    pub upstream: Vec<IntervalReport>,
    /// The client's buckets of the echo stream (round trip).
    pub round_trip: Vec<IntervalReport>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn round_trip(stream: &Stream, echo: &StreamReport) -> RoundTrip {
    let mut rtt = stream.rtt_ms.clone();
    rtt.sort_by(f64::total_cmp);
    let (lost, runs) = stream.round_trip_loss_runs();
    RoundTrip {
        packets_received: stream.sent - lost,
        packets_lost: lost,
        loss_percent: percent(lost, stream.sent),
        loss_runs: runs,
        max_burst_lost: echo.max_burst_lost,
        duplicates: echo.duplicates,
        reordered: echo.reordered,
        jitter_ms: echo.mean_jitter_ms,
        max_jitter_ms: echo.max_jitter_ms,
        rtt_samples: rtt.len() as u64,
        rtt_min_ms: rtt.first().copied(),
        rtt_p50_ms: percentile(&rtt, 50.0),
        rtt_p95_ms: percentile(&rtt, 95.0),
        rtt_max_ms: rtt.last().copied(),
        echoes_without_rtt: stream.echoes_without_rtt,
        foreign: stream.foreign,
    }
}

fn dscp_result(requested: u8, upstream: Option<&MediaStream>) -> DscpResult {
    let received = upstream.map(|u| u.report.tos.clone()).unwrap_or_default();
    let status = if requested == 0 {
        DscpStatus::NotRequested
    } else if received.is_empty() {
        DscpStatus::Unknown
    } else if received.iter().all(|t| t.dscp == requested) {
        DscpStatus::Kept
    } else if received.iter().all(|t| t.dscp == 0) {
        DscpStatus::Bleached
    } else if received.iter().all(|t| t.dscp != requested) {
        DscpStatus::Remarked
    } else {
        DscpStatus::Mixed
    };
    DscpResult {
        requested,
        received,
        status,
    }
}

/// `Ta` for one direction: half the median RTT, a jitter buffer of twice the jitter, and one
/// packetisation interval.
fn one_way_delay(rtt_p50_ms: Option<f64>, jitter_ms: f64) -> Option<f64> {
    rtt_p50_ms.map(|rtt| rtt / 2.0 + 2.0 * jitter_ms + ms(PTIME))
}

fn scored(
    mut direction: DirectionResult,
    rtt_p50_ms: Option<f64>,
    jitter_for_buffer: f64,
) -> DirectionResult {
    direction.one_way_delay_ms = one_way_delay(rtt_p50_ms, jitter_for_buffer);
    direction.score = direction.one_way_delay_ms.map(|ta| {
        emodel::score(emodel::Inputs {
            one_way_delay_ms: ta,
            loss_percent: direction.loss_percent,
            burst_ratio: direction.burst_ratio,
            codec: emodel::G711_PLC,
        })
    });
    direction
}

fn upstream_result(
    stream: &Stream,
    up: &MediaStream,
    burst: (f64, BurstBasis),
    rtt_p50: Option<f64>,
) -> DirectionResult {
    let r = &up.report;
    let unique = r.packets_received.saturating_sub(r.duplicates);
    let lost = stream.sent.saturating_sub(unique);
    let received_any = r.packets_received > 0;
    let direction = DirectionResult {
        packets_sent: stream.sent,
        packets_received: unique,
        packets_lost: lost,
        loss_percent: percent(lost, stream.sent),
        max_burst_lost: Some(r.max_burst_lost),
        duplicates: Some(r.duplicates),
        reordered: Some(r.reordered),
        jitter_ms: received_any.then_some(r.mean_jitter_ms),
        max_jitter_ms: received_any.then_some(r.max_jitter_ms),
        jitter_basis: if received_any {
            JitterBasis::Measured
        } else {
            JitterBasis::Unknown
        },
        burst_ratio: burst.0,
        burst_basis: burst.1,
        one_way_delay_ms: None,
        score: None,
    };
    scored(direction, rtt_p50, r.mean_jitter_ms)
}

fn downstream_result(
    up: &MediaStream,
    echo: &StreamReport,
    trip: &RoundTrip,
    burst: (f64, BurstBasis),
) -> DirectionResult {
    let unique = echo.packets_received.saturating_sub(echo.duplicates);
    let lost = up.echoed.saturating_sub(unique);
    let (jitter, basis) = if unique == 0 {
        (None, JitterBasis::Unknown)
    } else if up.report.packets_received > 0 {
        let rt = trip.jitter_ms;
        let upstream = up.report.mean_jitter_ms;
        let estimate = (rt * rt - upstream * upstream).max(0.0).sqrt();
        (Some(estimate), JitterBasis::EstimatedFromRoundTrip)
    } else {
        (Some(trip.jitter_ms), JitterBasis::RoundTripUpperBound)
    };
    let direction = DirectionResult {
        packets_sent: up.echoed,
        packets_received: unique,
        packets_lost: lost,
        loss_percent: percent(lost, up.echoed),
        max_burst_lost: None,
        duplicates: Some(echo.duplicates),
        reordered: Some(echo.reordered),
        jitter_ms: jitter,
        max_jitter_ms: None,
        jitter_basis: basis,
        burst_ratio: burst.0,
        burst_basis: burst.1,
        one_way_delay_ms: None,
        score: None,
    };
    scored(direction, trip.rtt_p50_ms, jitter.unwrap_or(0.0))
}

/// Judges one stream from what was sent, what came back and what the reflector reported.
fn judge(stream: &Stream, trip: &RoundTrip) -> (StreamOutcome, Vec<String>) {
    let mut evidence = Vec::new();
    if stream.bind_failed {
        evidence.push("the stream's socket could not be opened".into());
        return (StreamOutcome::Inconclusive, evidence);
    }
    if stream.sent == 0 {
        evidence.push("nothing was sent on this stream".into());
        return (StreamOutcome::Inconclusive, evidence);
    }
    let echoed_back = trip.packets_received > 0;
    let outcome = match &stream.upstream {
        Some(up) if up.report.packets_received == 0 => {
            evidence.push(format!(
                "the reflector received none of the {} packets sent: RTP from this network \
                 to the internet is blocked",
                stream.sent
            ));
            if up.foreign_source > 0 {
                evidence.push(format!(
                    "{} datagrams reached the echo port from another address than the \
                     control connection's (a different public IP for media?)",
                    up.foreign_source
                ));
            }
            StreamOutcome::UpstreamBlocked
        }
        Some(up) if !echoed_back && up.echoed > 0 => {
            evidence.push(format!(
                "the reflector received {} packets and echoed {}, none came back: RTP from \
                 the internet to this network is blocked",
                up.report.packets_received, up.echoed
            ));
            StreamOutcome::DownstreamBlocked
        }
        Some(up) if up.echoed == 0 => {
            evidence.push("the reflector received the stream but could not echo it".into());
            StreamOutcome::Inconclusive
        }
        Some(up) => {
            if up.foreign_source > 0 {
                evidence.push(format!(
                    "{} datagrams reached the echo port from another source than the first \
                     (the NAT changed the media mapping during the call?)",
                    up.foreign_source
                ));
            }
            StreamOutcome::Measured
        }
        None if echoed_back => {
            evidence.push(
                "echoes came back but the reflector's statistics did not: round trip only".into(),
            );
            StreamOutcome::RoundTripOnly
        }
        None => {
            evidence.push(
                "no echo and no statistics from the reflector: media may be blocked in either \
                 direction, or the reflector is gone"
                    .into(),
            );
            StreamOutcome::Inconclusive
        }
    };
    if stream.late_sends > 0 {
        evidence.push(format!(
            "{} packets left this client more than {} ms late (worst {:.1} ms): the client \
             was busy, which shows as jitter",
            stream.late_sends,
            LATE_SEND.as_millis(),
            ms(stream.max_send_lag)
        ));
    }
    (outcome, evidence)
}

fn stream_result(stream: &Stream, dscp: u8) -> StreamResult {
    let echo = stream.echo.report();
    let trip = round_trip(stream, &echo);
    let (outcome, evidence) = judge(stream, &trip);
    let pattern_known =
        trip.packets_lost >= emodel::MIN_LOSSES_FOR_BURST_RATIO && trip.packets_lost < stream.sent;
    let burst = (
        emodel::burst_ratio(trip.packets_lost, trip.loss_runs, stream.sent),
        if pattern_known {
            BurstBasis::RoundTripPattern
        } else {
            BurstBasis::AssumedRandom
        },
    );
    let upstream = stream
        .upstream
        .as_ref()
        .filter(|_| stream.sent > 0)
        .map(|up| upstream_result(stream, up, burst, trip.rtt_p50_ms));
    let downstream = stream
        .upstream
        .as_ref()
        .filter(|up| up.echoed > 0)
        .map(|up| downstream_result(up, &echo, &trip, burst));
    StreamResult {
        index: stream.socket.0,
        server_port: stream.server_port,
        local: stream.local,
        public: stream.upstream.as_ref().and_then(|u| u.source),
        outcome,
        packets_sent: stream.sent,
        late_sends: stream.late_sends,
        max_send_lag_ms: ms(stream.max_send_lag),
        upstream,
        downstream,
        dscp: dscp_result(dscp, stream.upstream.as_ref()),
        series: Series {
            upstream: stream
                .upstream
                .as_ref()
                .map(|u| u.report.intervals.clone())
                .unwrap_or_default(),
            round_trip: echo.intervals.clone(),
        },
        round_trip: trip,
        evidence,
    }
}
