//! From callback outcomes to a lifetime bracket — pure, so every rule is tested on its own.
//!
//! The probes of one priming pattern, in order of planned idle time, each end up received
//! (proof the binding lived at least that long), missed (its `callback_sent` event came and
//! the datagram did not, within the grace) or unplanned (its socket or request failed).
//!
//! - **A hit is proof, a miss is not.** The lower bound is the longest idle time received.
//!   A miss below it was a lost datagram, not an expiry (a binding does not come back).
//! - **Three misses in a row above the last hit end the search** ([`MISSES_TO_EXPIRE`]), four
//!   once the path has shown it loses datagrams (a miss below a hit, or a lost control). One or
//!   two misses could be loss; on a lossy path a false verdict from four needs four
//!   independent losses (10⁻⁴ per position at 10 % loss). Stopping costs three or four grid
//!   steps (16–22 %) over the true lifetime.
//! - **The upper bound is the next-to-last miss of that closing run** (the second of three,
//!   the third of four), not the first: the first alone is wrong whenever it was a lost
//!   datagram (10 % of the time at 10 % loss); the second is wrong only if the first two were
//!   both losses, the third only if three were. The bracket is therefore two grid steps wide
//!   on a clean path and three on a lossy one (see `plan`).
//! - **"Longer than tested" needs the longest idle time received**; when the top of the grid
//!   was never scheduled (callbacks refused), the result is unresolved with its lower bound.
//!
//! Measured on the simulator (`tests.rs`) at 10 % callback loss, 1200 verdicts for lifetimes
//! of 8–118 s: 99.5 % bracket the true lifetime within ±(1 s + 10 %); the rest are early by a
//! few steps (a run of losses just below the lifetime) — an under-estimate, the safe side
//! for a keepalive recommendation. None is late.

use std::time::{Duration, Instant};

/// Consecutive misses above the last hit that end the search on a path without known loss.
pub(crate) const MISSES_TO_EXPIRE: usize = 3;
/// The same on a path that has lost datagrams.
pub(crate) const MISSES_TO_EXPIRE_LOSSY: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProbeState {
    /// Not yet known (not sent, or sent and within the grace).
    Pending,
    Received,
    /// `callback_sent` arrived, the datagram did not.
    Missed,
    /// Never scheduled (socket not primed, request refused): no evidence either way.
    Unplanned,
}

/// What the verdict needs of one probe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ProbeView {
    pub planned: Duration,
    /// The idle time actually measured (arrival, or `callback_sent`, minus the end of the
    /// priming); `planned` until then.
    pub idle: Duration,
    pub state: ProbeState,
    /// When the outcome became known on the client's clock (arrival or `callback_sent`).
    pub checked_at: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Judgement {
    /// Not enough evidence yet.
    Wait,
    /// The binding expired: lifetime in [`lower`, `upper`) (`lower` `None`: shorter than the
    /// shortest idle time). `first_miss_at` is when the closing run began, for the controls.
    Expired {
        lower: Option<Duration>,
        upper: Duration,
        first_miss_at: Instant,
    },
    /// The longest idle time was received.
    LongerThanTested { lower: Duration },
    /// Everything is known, yet neither: the grid ended with one or two misses (or nothing
    /// was planned at all).
    Unresolved { lower: Option<Duration> },
}

/// Judges one pattern's probes, given in order of planned idle time. `path_lossy`: datagrams
/// were lost elsewhere on the path (controls, other patterns).
pub(crate) fn judge(probes: &[ProbeView], path_lossy: bool) -> Judgement {
    let live: Vec<&ProbeView> = probes
        .iter()
        .filter(|p| p.state != ProbeState::Unplanned)
        .collect();
    let last_hit = live.iter().rposition(|p| p.state == ProbeState::Received);
    let lower = last_hit.map(|i| live[i].idle);
    let after = last_hit.map_or(0, |i| i + 1);
    let run = live[after..]
        .iter()
        .take_while(|p| p.state == ProbeState::Missed)
        .count();
    let lossy = path_lossy || live[..after].iter().any(|p| p.state == ProbeState::Missed);
    let needed = if lossy {
        MISSES_TO_EXPIRE_LOSSY
    } else {
        MISSES_TO_EXPIRE
    };
    if run >= needed {
        return Judgement::Expired {
            lower,
            upper: live[after + needed - 2].idle,
            first_miss_at: live[after]
                .checked_at
                .expect("a missed probe has been checked"),
        };
    }
    if live.iter().any(|p| p.state == ProbeState::Pending) {
        return Judgement::Wait;
    }
    let top_tested = probes
        .last()
        .is_some_and(|p| p.state == ProbeState::Received);
    match lower {
        Some(lower) if top_tested => Judgement::LongerThanTested { lower },
        _ => Judgement::Unresolved { lower },
    }
}

/// Misses below the last hit: datagrams lost on a live binding.
pub(crate) fn losses(probes: &[ProbeView]) -> usize {
    let last_hit = probes.iter().rposition(|p| p.state == ProbeState::Received);
    last_hit.map_or(0, |i| {
        probes[..i]
            .iter()
            .filter(|p| p.state == ProbeState::Missed)
            .count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probes at 10, 11, 12, … s with the given outcomes ('+' received, '-' missed,
    /// '?' pending, 'x' unplanned).
    fn probes(pattern: &str, t0: Instant) -> Vec<ProbeView> {
        pattern
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let planned = Duration::from_secs(10 + i as u64);
                let state = match c {
                    '+' => ProbeState::Received,
                    '-' => ProbeState::Missed,
                    '?' => ProbeState::Pending,
                    _ => ProbeState::Unplanned,
                };
                ProbeView {
                    planned,
                    idle: planned,
                    state,
                    checked_at: (state != ProbeState::Pending).then_some(t0 + planned),
                }
            })
            .collect()
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn three_misses_above_the_last_hit_bracket_the_lifetime() {
        let t0 = Instant::now();
        assert_eq!(
            judge(&probes("+++---??", t0), false),
            Judgement::Expired {
                lower: Some(secs(12)),
                upper: secs(14),
                first_miss_at: t0 + secs(13)
            }
        );
        // Two misses are not enough while more can come.
        assert_eq!(judge(&probes("+++--???", t0), false), Judgement::Wait);
        // Loss elsewhere on the path asks for a fourth.
        assert_eq!(judge(&probes("+++---??", t0), true), Judgement::Wait);
        // ... and the upper bound moves to the third miss.
        assert_eq!(
            judge(&probes("+++----?", t0), true),
            Judgement::Expired {
                lower: Some(secs(12)),
                upper: secs(15),
                first_miss_at: t0 + secs(13)
            }
        );
    }

    #[test]
    fn a_miss_followed_by_a_hit_was_loss() {
        let t0 = Instant::now();
        // Misses below a hit make the path lossy: four misses needed, three are not enough.
        assert_eq!(judge(&probes("+-+--+---?", t0), false), Judgement::Wait);
        let p = probes("+-+--+----", t0);
        assert_eq!(
            judge(&p, false),
            Judgement::Expired {
                lower: Some(secs(15)),
                upper: secs(18),
                first_miss_at: t0 + secs(16)
            }
        );
        assert_eq!(losses(&p), 3);
        // Unplanned probes are skipped, not misses.
        assert_eq!(
            judge(&probes("++x-x--", t0), false),
            Judgement::Expired {
                lower: Some(secs(11)),
                upper: secs(15),
                first_miss_at: t0 + secs(13)
            }
        );
    }

    #[test]
    fn everything_received_is_longer_than_tested() {
        let t0 = Instant::now();
        assert_eq!(
            judge(&probes("++-++", t0), false),
            Judgement::LongerThanTested { lower: secs(14) }
        );
        assert_eq!(judge(&probes("+++?", t0), false), Judgement::Wait);
    }

    #[test]
    fn too_few_misses_at_the_top_or_nothing_at_all_is_unresolved() {
        let t0 = Instant::now();
        assert_eq!(
            judge(&probes("+++--", t0), false),
            Judgement::Unresolved {
                lower: Some(secs(12))
            }
        );
        assert_eq!(
            judge(&probes("xxx", t0), false),
            Judgement::Unresolved { lower: None }
        );
        assert_eq!(judge(&[], false), Judgement::Unresolved { lower: None });
        // Received as far as scheduled, but the top was never scheduled: not "longer".
        assert_eq!(
            judge(&probes("++++xx", t0), false),
            Judgement::Unresolved {
                lower: Some(secs(13))
            }
        );
        // Three misses then a hit: they were losses.
        assert_eq!(judge(&probes("---+?", t0), false), Judgement::Wait);
        assert_eq!(
            judge(&probes("---+", t0), false),
            Judgement::LongerThanTested { lower: secs(13) }
        );
        // Nothing received and three misses: shorter than the shortest idle time.
        assert_eq!(
            judge(&probes("---??", t0), false),
            Judgement::Expired {
                lower: None,
                upper: secs(11),
                first_miss_at: t0 + secs(10)
            }
        );
    }
}
