//! One STUN transaction of the NAT test: the request, its retransmissions, what came back,
//! and the retransmission timer they share.

use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipwall_proto::stun::TransactionId;

use super::Step;
use super::report::RejectedReply;
use crate::sansio::SocketId;

/// First retransmission timeout, before any round trip has been measured. Shorter than RFC
/// 8489's 500 ms: the test talks to one known reflector and is paced by its slowest silence.
pub(crate) const INITIAL_RTO: Duration = Duration::from_millis(300);
/// Floor of the adaptive timeout (a LAN reflector would otherwise retransmit in microseconds).
pub(crate) const MIN_RTO: Duration = Duration::from_millis(100);
/// Ceiling of the adaptive timeout, so a slow path costs seconds, not minutes.
pub(crate) const MAX_RTO: Duration = Duration::from_secs(1);

/// The retransmission timeout: 2 × the largest round trip measured so far, clamped.
///
/// The largest sample rather than a smoothed mean, because every verdict read from silence
/// depends on not giving up on an answer that is merely slow.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rto {
    current: Duration,
    max_rtt: Option<Duration>,
}

impl Rto {
    pub(crate) fn new() -> Rto {
        Rto {
            current: INITIAL_RTO,
            max_rtt: None,
        }
    }

    pub(crate) fn current(&self) -> Duration {
        self.current
    }

    /// A round trip of a request sent once (Karn's rule: retransmitted requests are skipped,
    /// their answer could belong to any copy).
    pub(crate) fn sample(&mut self, rtt: Duration) {
        let max = self.max_rtt.map_or(rtt, |m| m.max(rtt));
        self.max_rtt = Some(max);
        self.current = (max * 2).clamp(MIN_RTO, MAX_RTO);
    }
}

/// Where transaction IDs come from; injectable so tests are reproducible.
pub trait TransactionIds: Send {
    /// A fresh ID, unique within the run.
    fn next_id(&mut self) -> TransactionId;
}

/// Random IDs from the operating system, as RFC 8489 §6 asks (unguessable, so an off-path
/// sender cannot forge answers).
#[derive(Debug, Default)]
pub struct RandomTransactionIds {
    counter: u64,
}

impl TransactionIds for RandomTransactionIds {
    fn next_id(&mut self) -> TransactionId {
        let mut id = [0u8; 12];
        if getrandom::fill(&mut id).is_err() {
            // No OS randomness: std's per-process random hasher keys still make IDs that an
            // off-path sender cannot predict, and the counter keeps them unique.
            self.counter += 1;
            let state = std::hash::RandomState::new();
            id[..8].copy_from_slice(&state.hash_one(self.counter).to_le_bytes());
            id[8..].copy_from_slice(&(self.counter as u32).to_le_bytes());
        }
        TransactionId(id)
    }
}

/// An accepted success response.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub source: SocketAddr,
    pub xor_mapped: Option<SocketAddr>,
    pub plain_mapped: Option<SocketAddr>,
    pub response_origin: Option<SocketAddr>,
    pub other_address: Option<SocketAddr>,
    pub rtt: Option<Duration>,
    pub late: bool,
    pub bytes: usize,
}

impl Answer {
    /// The public address the server saw; XOR-MAPPED-ADDRESS, which ALGs leave alone.
    pub(crate) fn mapped(&self) -> Option<SocketAddr> {
        self.xor_mapped.or(self.plain_mapped)
    }
}

/// How far a transaction got.
#[derive(Debug, Clone)]
pub(crate) enum TxResult {
    /// Queued or in flight.
    Pending,
    Answered(Answer),
    /// A hairpin probe that reached the other socket.
    Received {
        source: SocketAddr,
    },
    Error {
        source: SocketAddr,
        code: u16,
    },
    Lost,
    NotSent(&'static str),
}

/// A request and everything that happened to it.
#[derive(Debug, Clone)]
pub(crate) struct Transaction {
    pub step: Step,
    pub round: u8,
    pub socket: SocketId,
    pub tid: TransactionId,
    pub destination: SocketAddr,
    /// `None` for hairpin probes (they are received, not answered).
    pub expected_source: Option<SocketAddr>,
    pub request: Vec<u8>,
    pub attempts: u8,
    pub first_sent: Option<Instant>,
    /// When the current transmission times out; `None` while queued or when done.
    pub deadline: Option<Instant>,
    pub result: TxResult,
    pub rejected: Vec<RejectedReply>,
    /// Size of a reply from the right source whose payload was changed on the way (broken
    /// FINGERPRINT): not an answer, but proof that a datagram got through.
    pub mangled_arrival: Option<usize>,
}

impl Transaction {
    pub(crate) fn is_pending(&self) -> bool {
        matches!(self.result, TxResult::Pending)
    }

    pub(crate) fn answer(&self) -> Option<&Answer> {
        match &self.result {
            TxResult::Answered(a) => Some(a),
            _ => None,
        }
    }

    pub(crate) fn is_lost(&self) -> bool {
        matches!(self.result, TxResult::Lost)
    }

    /// Transmissions that went unanswered, once the transaction is over (`None` before, or
    /// if it was never sent). An answer is credited to the last transmission: conservative,
    /// it can only overstate loss.
    pub(crate) fn unanswered_attempts(&self) -> Option<u32> {
        let attempts = u32::from(self.attempts);
        match self.result {
            TxResult::Answered(_) | TxResult::Error { .. } | TxResult::Received { .. } => {
                Some(attempts.saturating_sub(1))
            }
            TxResult::Lost => Some(attempts),
            TxResult::Pending | TxResult::NotSent(_) => None,
        }
    }
}
