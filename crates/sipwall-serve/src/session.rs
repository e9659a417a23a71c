//! Check sessions: one per control connection, found by its token.
//!
//! The token is the only thing that turns a SIP or port probe from "unauthenticated" (403 or
//! silence, never larger than the request) into "a probe of a running check" (a full answer
//! and a record the check fetches). Sessions are capped in number, per IP and in age.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sipwall_proto::control::{MirrorRecord, SessionLimits, TOKEN_HEX_LEN};

/// Caps on what one session may ask for; announced in `welcome`.
pub const SESSION_LIMITS: SessionLimits = SessionLimits {
    max_callbacks: 512,
    max_callback_delay_ms: 30 * 60 * 1000,
    max_inbound: 64,
    max_media_streams: 8,
    max_media_duration_ms: 120_000,
    max_mirror_records: 128,
};

/// Global caps on sessions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionCaps {
    pub max_sessions: usize,
    pub max_per_ip: usize,
    /// A session ends this long after it began, whatever happens (covers a full lifetime test).
    pub max_age: Duration,
}

pub const DEFAULT_SESSION_CAPS: SessionCaps = SessionCaps {
    max_sessions: 256,
    max_per_ip: 8,
    max_age: Duration::from_secs(40 * 60),
};

/// One running check.
#[derive(Debug)]
pub struct Session {
    pub token: String,
    /// The control connection's source: the only IP anything unsolicited may go to.
    pub peer: SocketAddr,
    pub started: Instant,
    /// SIP probes with the Call-ID they carried.
    mirror: Mutex<Vec<(String, MirrorRecord)>>,
}

impl Session {
    pub fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Keeps a SIP probe for the check to fetch; false when the session's record cap is reached
    /// (the probe is then answered like an unauthenticated one).
    pub fn record_mirror(&self, call_id: &str, record: MirrorRecord) -> bool {
        let mut records = self.mirror.lock().expect("mirror lock");
        if records.len() >= SESSION_LIMITS.max_mirror_records as usize {
            return false;
        }
        records.push((call_id.to_owned(), record));
        true
    }

    /// Whether another probe fits under the record cap.
    pub fn mirror_has_room(&self) -> bool {
        self.mirror.lock().expect("mirror lock").len() < SESSION_LIMITS.max_mirror_records as usize
    }

    /// The records whose request carried this Call-ID (the check matches its own probes).
    pub fn mirror_records(&self, call_id: &str) -> Vec<MirrorRecord> {
        let records = self.mirror.lock().expect("mirror lock");
        records
            .iter()
            .filter(|(id, _)| id == call_id)
            .map(|(_, record)| record.clone())
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the server has the maximum number of check sessions open; try again later")]
    Full,
    #[error("this address has the maximum number of check sessions open")]
    TooManyFromAddress,
}

/// All open sessions.
#[derive(Debug)]
pub struct Sessions {
    caps: SessionCaps,
    by_token: Mutex<HashMap<String, Arc<Session>>>,
}

impl Sessions {
    pub fn new(caps: SessionCaps) -> Sessions {
        Sessions {
            caps,
            by_token: Mutex::new(HashMap::new()),
        }
    }

    pub fn caps(&self) -> SessionCaps {
        self.caps
    }

    /// Opens a session for a control connection from `peer`.
    pub fn open(&self, peer: SocketAddr) -> Result<Arc<Session>, OpenError> {
        let mut sessions = self.by_token.lock().expect("sessions lock");
        sessions.retain(|_, s| s.started.elapsed() < self.caps.max_age);
        if sessions.len() >= self.caps.max_sessions {
            return Err(OpenError::Full);
        }
        let from_ip = sessions
            .values()
            .filter(|s| s.peer.ip() == peer.ip())
            .count();
        if from_ip >= self.caps.max_per_ip {
            return Err(OpenError::TooManyFromAddress);
        }
        let session = Arc::new(Session {
            token: new_token(),
            peer,
            started: Instant::now(),
            mirror: Mutex::new(Vec::new()),
        });
        sessions.insert(session.token.clone(), session.clone());
        Ok(session)
    }

    pub fn close(&self, token: &str) {
        self.by_token.lock().expect("sessions lock").remove(token);
    }

    /// The live session with this token, if any.
    pub fn find(&self, token: &str) -> Option<Arc<Session>> {
        if token.len() != TOKEN_HEX_LEN {
            return None;
        }
        let sessions = self.by_token.lock().expect("sessions lock");
        sessions
            .get(token)
            .filter(|s| s.started.elapsed() < self.caps.max_age)
            .cloned()
    }

    pub fn count(&self) -> usize {
        self.by_token.lock().expect("sessions lock").len()
    }
}

/// 128 random bits as 32 lowercase hex characters.
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(last: u8, port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, last], port))
    }

    #[test]
    fn tokens_are_random_hex_and_find_their_session() {
        let sessions = Sessions::new(DEFAULT_SESSION_CAPS);
        let a = sessions.open(peer(1, 1000)).unwrap();
        let b = sessions.open(peer(1, 1001)).unwrap();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), TOKEN_HEX_LEN);
        assert!(a.token.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(sessions.find(&a.token).unwrap().peer, peer(1, 1000));
        sessions.close(&a.token);
        assert!(sessions.find(&a.token).is_none());
        assert!(sessions.find("short").is_none());
    }

    #[test]
    fn caps_per_ip_and_in_total() {
        let sessions = Sessions::new(SessionCaps {
            max_sessions: 3,
            max_per_ip: 2,
            max_age: Duration::from_secs(60),
        });
        sessions.open(peer(1, 1)).unwrap();
        sessions.open(peer(1, 2)).unwrap();
        assert_eq!(
            sessions.open(peer(1, 3)).unwrap_err(),
            OpenError::TooManyFromAddress
        );
        sessions.open(peer(2, 1)).unwrap();
        assert_eq!(sessions.open(peer(3, 1)).unwrap_err(), OpenError::Full);
    }

    #[test]
    fn sessions_expire() {
        let sessions = Sessions::new(SessionCaps {
            max_sessions: 1,
            max_per_ip: 1,
            max_age: Duration::ZERO,
        });
        let a = sessions.open(peer(1, 1)).unwrap();
        assert!(sessions.find(&a.token).is_none());
        // The expired one no longer counts against the cap.
        sessions.open(peer(1, 2)).unwrap();
    }
}
