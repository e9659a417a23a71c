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
