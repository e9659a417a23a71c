//! The schedule of a lifetime test: which idle times to probe, on how many sockets, and what
//! that costs in callback datagrams (the reflector allows 512 per session).
//!
//! **Idle grid.** From 5 s up, each idle time is the previous one times 1.05, but at least
//! 1 s more: below 20 s a 5 % step would be finer than the measurement's own timing error
//! (round trips, scheduling; ~±0.5 s), so it would cost sockets and buy nothing. The grid runs
//! two steps past the mode's maximum so that a lifetime just under the maximum still gets the
//! three misses the verdict needs (see `decide`), capped at the reflector's 30-minute delay.
//!
//! **Bound.** A verdict brackets the lifetime between the longest idle time that was received
//! and the next-to-last miss of the closing run (`decide`): two steps wide on a clean path,
//! three on a lossy one, so the midpoint is within 1.5 steps of the truth — ±5 % (±7.9 %
//! lossy) above 20 s, ±1–1.5 s below — plus the timing error of ~one round trip. That is
//! inside the ±(1 s + 10 %) the product promises; the tests assert exactly that bound.
//!
//! **Inbound keepalive series.** That priming sends one request/response and then only
//! receives: the reflector calls back every 15 s (`count`, `every_ms`). Each callback is
//! itself a probe of "idle since the last outbound packet", so a few phase-shifted series
//! (first callbacks at 5, 10 and 15 s with three phases) measure the whole range at 5 s
//! resolution. In full mode a series to 30 min is 120 callbacks, so fewer phases are used.
//!
//! **Controls.** A control socket keeps its binding alive with outbound keepalives every 5 s
//! and asks for callbacks at offsets 10 % (at least 5 s) apart; an expiry only counts when a
//! control callback arrived after the misses began (the path could deliver callbacks then).
//! At 10 % the next control is due before the run of misses is complete, so waiting for it
//! costs no time.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The shortest idle time probed.
pub const MIN_IDLE: Duration = Duration::from_secs(5);
/// The smallest step between idle times (see the module documentation).
pub const MIN_STEP: Duration = Duration::from_secs(1);
/// The relative step between idle times.
pub const RATIO: f64 = 1.05;
/// The coarsest step the budget may force.
const MAX_RATIO: f64 = 1.25;
/// Idle times probed past the mode's maximum.
pub const EXTRA_LEVELS: usize = 2;
/// The reflector's longest callback delay.
pub const MAX_DELAY: Duration = Duration::from_secs(30 * 60);
/// Inbound keepalive interval of the `InboundKeepalive` priming.
pub const KEEPALIVE_EVERY: Duration = Duration::from_secs(15);
/// Phase-shifted inbound keepalive series at most.
pub const MAX_KEEPALIVE_PHASES: u32 = 3;
/// Control callbacks are this far apart (relative), at least [`MIN_IDLE`].
const CONTROL_RATIO: f64 = 1.10;
/// Control callbacks continue this long past the last idle time.
const CONTROL_TAIL: Duration = Duration::from_secs(30);
/// Callback datagrams a lifetime test plans by default: well inside the session's 512,
/// leaving room for the other tests of the session.
pub const DEFAULT_BUDGET: u32 = 400;

/// How far the test looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Idle times up to 3 minutes (RFC 4787 REQ-5 asks for at least 2).
    Quick,
    /// Idle times up to 30 minutes, the reflector's longest callback delay.
    Full,
}

impl Mode {
    pub fn max_idle(self) -> Duration {
        match self {
            Mode::Quick => Duration::from_secs(180),
            Mode::Full => MAX_DELAY,
        }
    }
}

/// How a socket is used before it goes quiet — the pattern decides which timer a NAT applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priming {
    /// One request/response (what RFC 5780 §4.6 tools do). Linux conntrack gives this its
    /// short "unreplied/new" timeout (30 s).
    OneShot,
    /// Two-way exchanges every 500 ms for 2.5 s, like a registration; Linux moves a flow
    /// "still active after 2 s" to its long stream timeout (120 s, formerly 180 s).
    SipLike,
    /// One request/response, then only inbound packets (the reflector's callbacks every
    /// 15 s): does inbound traffic keep the binding?
    InboundKeepalive,
}

impl Priming {
    pub const ALL: [Priming; 3] = [
        Priming::OneShot,
        Priming::SipLike,
        Priming::InboundKeepalive,
    ];
}

/// One inbound keepalive series: `count` callbacks, the first `first` after priming, then
/// every [`KEEPALIVE_EVERY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepaliveSeries {
    pub first: Duration,
    pub count: u32,
}

impl KeepaliveSeries {
    /// The idle time (since the last outbound packet) of each callback of the series.
    pub fn offsets(&self) -> impl Iterator<Item = Duration> + '_ {
        (0..self.count).map(|j| self.first + KEEPALIVE_EVERY * j)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("no priming pattern to test")]
    NothingToTest,
    #[error("{needed} callbacks needed at the coarsest spacing, but the budget is {budget}")]
    OverBudget { needed: u32, budget: u32 },
}

/// The whole schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub primings: Vec<Priming>,
    /// The relative step actually used (1.05 unless the budget forced a coarser one).
    pub ratio: f64,
    /// Idle times for the one-socket-per-idle-time primings.
    pub levels: Vec<Duration>,
    /// Inbound keepalive series (empty without that priming).
    pub keepalive: Vec<KeepaliveSeries>,
    /// Control callback offsets.
    pub controls: Vec<Duration>,
}

impl Plan {
    /// The finest plan for `mode` and `primings` that plans at most `budget` callbacks.
    pub fn new(mode: Mode, primings: &[Priming], budget: u32) -> Result<Plan, PlanError> {
        let mut primings = primings.to_vec();
        primings.sort();
        primings.dedup();
        if primings.is_empty() {
            return Err(PlanError::NothingToTest);
        }
        let keepalive = primings.contains(&Priming::InboundKeepalive);
        let mut phases = if keepalive { MAX_KEEPALIVE_PHASES } else { 0 };
        let mut ratio = RATIO;
        loop {
            let plan = Plan::build(mode, &primings, ratio, phases);
            let needed = plan.callbacks();
            if needed <= budget {
                return Ok(plan);
            }
            // Coarser keepalive phases first (5 s → 7.5 s → 15 s resolution on one pattern),
            // then a coarser grid for all.
            if phases > 1 {
                phases -= 1;
            } else if ratio + 0.01 <= MAX_RATIO + 1e-9 {
                ratio += 0.01;
            } else {
                return Err(PlanError::OverBudget { needed, budget });
            }
        }
    }

    fn build(mode: Mode, primings: &[Priming], ratio: f64, phases: u32) -> Plan {
        let levels = idle_levels(mode.max_idle(), ratio);
        let top = *levels.last().expect("the grid has at least one level");
        let keepalive = (1..=phases)
            .map(|phase| {
                let first = KEEPALIVE_EVERY * phase / phases;
                let count = ((top.saturating_sub(first)).as_millis() / KEEPALIVE_EVERY.as_millis())
                    as u32
                    + 1;
                KeepaliveSeries { first, count }
            })
            .collect();
        Plan {
            primings: primings.to_vec(),
            ratio,
            levels,
            keepalive,
            controls: control_offsets((top + CONTROL_TAIL).min(MAX_DELAY)),
        }
    }

    /// Primings that get one socket per idle time.
    pub fn level_primings(&self) -> impl Iterator<Item = Priming> + '_ {
        self.primings
            .iter()
            .copied()
            .filter(|p| *p != Priming::InboundKeepalive)
    }

    /// Callback datagrams the plan asks the reflector for.
    pub fn callbacks(&self) -> u32 {
        let per_level = self.level_primings().count() * self.levels.len();
        let keepalive: u32 = self.keepalive.iter().map(|s| s.count).sum();
        per_level as u32 + keepalive + self.controls.len() as u32
    }

    /// The longest idle time probed.
    pub fn top(&self) -> Duration {
        self.levels.last().copied().unwrap_or(MIN_IDLE)
    }
}

/// The idle grid up to `max` (plus [`EXTRA_LEVELS`]), capped at [`MAX_DELAY`].
pub fn idle_levels(max: Duration, ratio: f64) -> Vec<Duration> {
    let mut levels = vec![MIN_IDLE];
    let mut beyond = 0;
    while beyond < EXTRA_LEVELS {
        let last = *levels.last().expect("starts non-empty");
        if last >= max {
            beyond += 1;
        }
        let next = Duration::from_millis((last.as_millis() as f64 * ratio).round() as u64)
            .max(last + MIN_STEP)
            .min(MAX_DELAY);
        if next == last {
            break; // at the reflector's cap
        }
        levels.push(next);
    }
    levels
}

/// Control offsets from [`MIN_IDLE`], 10 % (at least 5 s) apart, up to `end`.
fn control_offsets(end: Duration) -> Vec<Duration> {
    let mut offsets = vec![MIN_IDLE];
    loop {
        let last = *offsets.last().expect("starts non-empty");
        let next = last.mul_f64(CONTROL_RATIO).max(last + MIN_IDLE);
        let next = Duration::from_secs(next.as_secs());
        if next > end {
            return offsets;
        }
        offsets.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(d: Duration) -> f64 {
        d.as_secs_f64()
    }

    #[test]
    fn the_grid_steps_5_percent_and_at_least_1_s() {
        let levels = idle_levels(Duration::from_secs(180), RATIO);
        assert_eq!(secs(levels[0]), 5.0);
        assert_eq!(secs(levels[1]), 6.0, "1 s steps below 20 s");
        for pair in levels.windows(2) {
            let (a, b) = (secs(pair[0]), secs(pair[1]));
            assert!(b - a >= 1.0 - 1e-9, "{a} {b}");
            assert!(b / a <= 1.05 + 1e-3 || b - a <= 1.0 + 1e-9, "{a} {b}");
        }
        // Two levels past 180 s.
        let past: Vec<_> = levels.iter().filter(|l| secs(**l) >= 180.0).collect();
        assert_eq!(past.len(), EXTRA_LEVELS + 1, "{past:?}");
        assert!(levels.len() < 70, "{}", levels.len());
    }

    #[test]
    fn full_mode_stops_at_the_reflectors_30_minutes() {
        let levels = idle_levels(Mode::Full.max_idle(), RATIO);
        assert_eq!(*levels.last().unwrap(), MAX_DELAY);
        assert!(levels.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn every_plan_fits_the_budget_and_the_callback_limits() {
        for mode in [Mode::Quick, Mode::Full] {
            for primings in [
                &Priming::ALL[..],
                &[Priming::OneShot][..],
                &[Priming::InboundKeepalive][..],
            ] {
                let plan = Plan::new(mode, primings, DEFAULT_BUDGET).unwrap();
                assert!(plan.callbacks() <= DEFAULT_BUDGET, "{mode:?} {primings:?}");
                assert!(plan.top() <= MAX_DELAY);
                assert!(plan.controls.iter().all(|c| *c <= MAX_DELAY));
                for series in &plan.keepalive {
                    assert!(series.first <= MAX_DELAY);
                    assert!(series.offsets().last().unwrap() <= plan.top());
                }
            }
        }
        // Quick mode with everything keeps the 5 % grid and three keepalive phases.
        let quick = Plan::new(Mode::Quick, &Priming::ALL, DEFAULT_BUDGET).unwrap();
        assert_eq!(quick.ratio, RATIO);
        assert_eq!(quick.keepalive.len(), 3);
        assert_eq!(
            quick
                .keepalive
                .iter()
                .map(|s| secs(s.first))
                .collect::<Vec<_>>(),
            vec![5.0, 10.0, 15.0]
        );
        assert!(quick.callbacks() < 260, "{}", quick.callbacks());
        // Full mode with everything keeps the 5 % grid by using one keepalive phase.
        let full = Plan::new(Mode::Full, &Priming::ALL, DEFAULT_BUDGET).unwrap();
        assert_eq!(full.ratio, RATIO);
        assert_eq!(full.keepalive.len(), 1);
    }

    #[test]
    fn a_small_budget_coarsens_the_grid_or_fails() {
        let plan = Plan::new(Mode::Quick, &Priming::ALL, 120).unwrap();
        assert!(plan.ratio > RATIO && plan.callbacks() <= 120, "{plan:?}");
        assert_eq!(plan.keepalive.len(), 1);
        assert!(matches!(
            Plan::new(Mode::Full, &Priming::ALL, 20),
            Err(PlanError::OverBudget { .. })
        ));
        assert_eq!(
            Plan::new(Mode::Quick, &[], 400),
            Err(PlanError::NothingToTest)
        );
    }

    #[test]
    fn controls_cover_the_whole_test_at_most_10_percent_apart() {
        let plan = Plan::new(Mode::Quick, &[Priming::OneShot], DEFAULT_BUDGET).unwrap();
        assert_eq!(secs(plan.controls[0]), 5.0);
        assert!(*plan.controls.last().unwrap() + Duration::from_secs(60) > plan.top());
        for pair in plan.controls.windows(2) {
            let (a, b) = (secs(pair[0]), secs(pair[1]));
            assert!(b <= (a * 1.10).max(a + 5.0) + 1e-9, "{a} {b}");
        }
    }
}
