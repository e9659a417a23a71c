//! What the reflector did, counted without locks so the receive loops never wait on each other.

use std::sync::atomic::{AtomicU64, Ordering};

use sipwall_proto::stun::DropReason;

/// Shared by every receive loop.
#[derive(Debug, Default)]
pub struct Counters {
    received: AtomicU64,
    replied: AtomicU64,
    send_errors: AtomicU64,
    tcp_refused: AtomicU64,
    rate_limited: AtomicU64,
    dropped: [AtomicU64; DropReason::ALL.len()],
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub received: u64,
    pub replied: u64,
    pub send_errors: u64,
    /// TCP connections closed at once because `MAX_CONNECTIONS` were open.
    pub tcp_refused: u64,
    /// Requests dropped by the per-source rate limit.
    pub rate_limited: u64,
    /// Dropped requests per reason, in `DropReason::ALL` order.
    pub dropped: Vec<(DropReason, u64)>,
}

impl Counters {
    pub(crate) fn received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn replied(&self) {
        self.replied.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn send_error(&self) {
        self.send_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn tcp_refused(&self) {
        self.tcp_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dropped(&self, reason: DropReason) {
        self.dropped[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            received: self.received.load(Ordering::Relaxed),
            replied: self.replied.load(Ordering::Relaxed),
            send_errors: self.send_errors.load(Ordering::Relaxed),
            tcp_refused: self.tcp_refused.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            dropped: DropReason::ALL
                .iter()
                .map(|r| (*r, self.dropped[r.index()].load(Ordering::Relaxed)))
                .collect(),
        }
    }
}

impl Snapshot {
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().map(|(_, n)| n).sum()
    }
}

/// Counters of everything but STUN: the SIP mirror, the control channel, callbacks, inbound
/// tests, the RTP echo and the port matrix. One relaxed atomic each.
#[derive(Debug, Default)]
pub struct ServiceCounters {
    values: [AtomicU64; SERVICE_COUNTERS.len()],
}

/// Name (Prometheus style, without the `sipwall_` prefix) and help text of each counter.
pub const SERVICE_COUNTERS: [(&str, &str); 17] = [
    (
        "sip_received_total",
        "SIP datagrams and stream messages received",
    ),
    (
        "sip_probes_answered_total",
        "SIP probes of a check session answered with the mirror",
    ),
    (
        "sip_forbidden_total",
        "SIP requests without a valid probe token answered with 403",
    ),
    (
        "sip_dropped_total",
        "SIP input dropped (malformed, ACK, responses, too large for an answer)",
    ),
    (
        "sip_rate_limited_total",
        "SIP requests dropped by the per-source rate limit",
    ),
    (
        "stream_connections_refused_total",
        "TCP/TLS connections closed at once because the cap was reached",
    ),
    (
        "tls_handshake_failures_total",
        "TLS handshakes that failed or timed out",
    ),
    ("control_sessions_total", "check sessions opened"),
    (
        "control_rejected_total",
        "control connections refused (full, too many from one address, bad hello)",
    ),
    (
        "control_bad_requests_total",
        "control lines that were not a valid request",
    ),
    ("callbacks_sent_total", "callback datagrams sent"),
    ("inbound_tests_total", "inbound tests run"),
    ("media_streams_total", "RTP echo streams opened"),
    ("media_echoed_total", "RTP packets echoed"),
    ("port_probes_answered_total", "port-matrix probes answered"),
    (
        "port_probes_ignored_total",
        "port-matrix datagrams or connections without a valid probe",
    ),
    ("metrics_requests_total", "requests to the metrics endpoint"),
];

/// Index into `SERVICE_COUNTERS`.
#[derive(Debug, Clone, Copy)]
pub enum Service {
    SipReceived,
    SipProbesAnswered,
    SipForbidden,
    SipDropped,
    SipRateLimited,
    StreamRefused,
    TlsHandshakeFailures,
    ControlSessions,
    ControlRejected,
    ControlBadRequests,
    CallbacksSent,
    InboundTests,
    MediaStreams,
    MediaEchoed,
    PortProbesAnswered,
    PortProbesIgnored,
    MetricsRequests,
}

impl ServiceCounters {
    pub fn add(&self, counter: Service) {
        self.values[counter as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn media_echoed(&self) {
        self.add(Service::MediaEchoed);
    }

    pub fn get(&self, counter: Service) -> u64 {
        self.values[counter as usize].load(Ordering::Relaxed)
    }

    /// (name, help, value) of every counter, in `SERVICE_COUNTERS` order.
    pub fn all(&self) -> Vec<(&'static str, &'static str, u64)> {
        SERVICE_COUNTERS
            .iter()
            .zip(&self.values)
            .map(|((name, help), value)| (*name, *help, value.load(Ordering::Relaxed)))
            .collect()
    }
}
