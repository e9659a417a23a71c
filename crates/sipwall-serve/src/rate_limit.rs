//! Per-source token buckets: a full check from one address passes, a flood from it does not.
//!
//! Sans-IO: the caller passes the time, so tests are deterministic. Memory is bounded: at most
//! `max_sources` addresses are tracked; when the table is full, buckets that have refilled
//! completely (idle sources) are forgotten first, and if none has, new sources are refused
//! until some have (a spoofed-source flood cannot grow the table).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Sustained requests per second per source.
    pub per_second: f64,
    /// Requests a source may send at once.
    pub burst: f64,
    pub max_sources: usize,
}

/// A STUN NAT discovery run (coturn's natdiscovery -m -f -H: a dozen requests, with retries a
/// few dozen) fits in the burst; a sustained flood is cut to `per_second`.
pub const DEFAULT_LIMITS: Limits = Limits {
    per_second: 50.0,
    burst: 200.0,
    max_sources: 65_536,
};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    limits: Limits,
    buckets: HashMap<IpAddr, Bucket>,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> RateLimiter {
        RateLimiter {
            limits,
            buckets: HashMap::new(),
        }
    }

    /// Takes one token for `source`; false means the request must be dropped.
    pub fn allow(&mut self, source: IpAddr, now: Instant) -> bool {
        let limits = self.limits;
        // One hash lookup on the hot path (a known source); the full-table case is rare.
        let bucket = match self.buckets.get_mut(&source) {
            Some(bucket) => bucket,
            None => {
                if self.buckets.len() >= limits.max_sources {
                    self.forget_idle(now);
                    if self.buckets.len() >= limits.max_sources {
                        return false;
                    }
                }
                self.buckets.entry(source).or_insert(Bucket {
                    tokens: limits.burst,
                    updated: now,
                })
            }
        };
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * limits.per_second).min(limits.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn tracked_sources(&self) -> usize {
        self.buckets.len()
    }

    fn forget_idle(&mut self, now: Instant) {
        let limits = self.limits;
        self.buckets.retain(|_, b| {
            let refilled = b.tokens
                + now.saturating_duration_since(b.updated).as_secs_f64() * limits.per_second;
            refilled < limits.burst
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const LIMITS: Limits = Limits {
        per_second: 10.0,
        burst: 20.0,
        max_sources: 3,
    };

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn burst_passes_then_the_rate_applies() {
        let mut limiter = RateLimiter::new(LIMITS);
        let start = Instant::now();
        assert_eq!((0..30).filter(|_| limiter.allow(ip(1), start)).count(), 20);
        // One second later ten more tokens have come.
        let later = start + Duration::from_secs(1);
        assert_eq!((0..30).filter(|_| limiter.allow(ip(1), later)).count(), 10);
        // Another source is not affected.
        assert!(limiter.allow(ip(2), later));
    }

    #[test]
    fn the_table_is_bounded_and_idle_sources_make_room() {
        let mut limiter = RateLimiter::new(LIMITS);
        let start = Instant::now();
        for last in 1..=3 {
            assert!(limiter.allow(ip(last), start));
        }
        // Full, and every source still has a partly used bucket: a new source is refused.
        assert!(!limiter.allow(ip(4), start));
        assert_eq!(limiter.tracked_sources(), 3);
        // Once the old buckets have refilled, they are forgotten and the new source fits.
        let later = start + Duration::from_secs(5);
        assert!(limiter.allow(ip(4), later));
        assert!(limiter.tracked_sources() <= 3);
    }
}
