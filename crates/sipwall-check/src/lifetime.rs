//! UDP binding lifetime: how long the firewall keeps an idle mapping, per priming pattern, and
//! the keepalive interval that follows (DESIGN §4 "Binding lifetime").
//!
//! **Parallel probes with early stop.** Instead of testing one idle time after another (6–16 ×
//! the lifetime in today's tools), every idle time gets its own socket at once. Each socket
//! primes its binding like a phone would ([`Priming`]), learns its public mapping from the
//! reflector's answer (STUN XOR-MAPPED-ADDRESS, or the SIP mirror's `X-Sipwall-Observed`), goes
//! quiet, and asks the reflector for a `callback` to that mapping after its idle time. The
//! token-bearing datagram (`SIPWALL-CALLBACK 1 <nonce> <seq>`) arrives only if the binding is
//! still there. The search stops as soon as the evidence brackets the lifetime (`decide`):
//! total time ≈ 1.16 × the lifetime (1.22 × on a lossy path) + priming + one grace period.
//!
//! **The end of the test.** The report comes the moment every pattern has its verdict;
//! callbacks still planned on the reflector are not waited for (the control session ends with
//! the check). The inbound-keepalive pattern only has to show whether inbound traffic keeps a
//! binding: where it does (Linux conntrack refreshes on every packet), its sockets never
//! expire, and waiting for the top of the grid cost 4–5 × the lifetime. So once the one-shot
//! and SIP-like patterns have both expired, a socket of the series reached by a callback that
//! was not its first (it lived on inbound traffic for at least one keepalive interval) after
//! more than 1.2 × the larger of their upper bounds, and at least 5 s beyond it, ends the
//! pattern: `longer_than_tested` with `kept_alive_by_inbound`, `lower_s` the longest idle
//! time survived — "kept alive by inbound traffic", not "never expires". If either pattern did
//! not expire (or is not tested), nothing bounds the NAT's own timers and the series runs to
//! the top of the grid as before. A socket of the series that expired before its first
//! callback (it missed while another socket was reached later) measured the one-shot
//! lifetime; it is left out of the series' verdict and is no loss.
//!
//! **Never inferring from silence** (DESIGN §2.3):
//! - a probe is *missed* only once its `callback_sent` event arrived and the datagram did not
//!   within a grace of max(1 s, 2 × the worst exchange round trip) — the event and the datagram
//!   leave the reflector together;
//! - a miss only counts while a *control* works: a socket that sends a keepalive every 5 s
//!   asks for callbacks all along (10 % apart); an expiry verdict needs a control callback
//!   received after the misses began, and three lost controls there make the pattern
//!   inconclusive (a path outage is not an expiry);
//! - every callback is matched by its nonce to the socket it was meant for; one arriving on
//!   another socket (the NAT reused the public port of an expired binding) is not a hit;
//! - answers count only from the reflector's address, with a transaction key we sent.
//!
//! **Load.** Sockets start in order of idle time, paced by a token bucket (40 requests/s after
//! a burst of 100, under the reflector's per-source 50/s and 200), so short idle times are
//! primed first and the reflector's rate limit never mistakes the test for a flood. The
//! callback budget (default [`DEFAULT_BUDGET`] of the session's 512) is planned up front
//! ([`Plan`]).
//!
//! **Idle time** is measured on the client's clock from the end of the priming (the last
//! answer, or the last request if it went unanswered) to the callback's arrival (for a miss:
//! to its `callback_sent` event, which travels alongside). It includes about one round trip of
//! uncertainty; the [`plan`] module documents the resulting bound.
//!
//! The driver must keep the control connection alive while this runs (it lasts up to the
//! mode's maximum plus ~1.5 min) and give the machine that long.

pub mod plan;

mod decide;
mod exchange;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sipwall_proto::control::{Answer, Event, Request};

pub use exchange::Prober;
pub use plan::{DEFAULT_BUDGET, Mode, Plan, PlanError, Priming};

use crate::sansio::{Machine, Reply, RequestTag, SocketId, SocketKind, SocketRequest, Transmit};
use decide::{Judgement, ProbeState, ProbeView};
use exchange::Key;

/// SIP-like priming: this many two-way exchanges, this far apart (2.5 s in all).
const SIP_LIKE_EXCHANGES: u32 = 6;
const SIP_LIKE_EVERY: Duration = Duration::from_millis(500);
/// First retransmission timeout of the mapping exchange; it doubles per attempt (RFC 8489
/// §6.2.1), and the socket gives up after `FIRST_ATTEMPTS` sends (3.5 s).
const RTO: Duration = Duration::from_millis(500);
const FIRST_ATTEMPTS: u32 = 4;
/// The control socket's outbound keepalive: far below any lifetime worth measuring.
const CONTROL_KEEPALIVE: Duration = Duration::from_secs(5);
const MIN_GRACE: Duration = Duration::from_secs(1);
/// Lost controls after the first miss that make a pattern inconclusive: three, so that
/// ordinary loss (10 %: 0.1 %) does not, while an outage still does within ~three control
/// intervals (30 %) of the misses.
const CONTROL_MISSES_TO_FAIL: usize = 3;
/// Request pacing (see the module documentation).
const PACE_RATE: f64 = 40.0;
const PACE_BURST: f64 = 100.0;
/// The test ends at the latest this long after the longest idle time (paced starts, priming,
/// grace, a slow control channel).
const DEADLINE_ALLOWANCE: Duration = Duration::from_secs(90);
/// Exchange keys remembered per socket (late answers to earlier exchanges still count).
const KEY_HISTORY: usize = 8;
/// RFC 5626 §4.4.2: UDP keepalives "between 24 and 29 seconds".
const RFC5626_MIN: f64 = 24.0;
const RFC5626_MAX: f64 = 29.0;
/// The inbound series' early stop: a socket living on callbacks alone must outlast the longest
/// lifetime measured without inbound traffic by this factor, and by at least
/// `KEPT_ALIVE_MARGIN` (one step of the three-phase series; well above the ~one round trip of
/// timing error of either measurement).
const KEPT_ALIVE_FACTOR: f64 = 1.2;
const KEPT_ALIVE_MARGIN: Duration = Duration::from_secs(5);
/// A keepalive at 80 % of the shortest measured lifetime leaves room for a lost keepalive's
/// retry and the measurement's own uncertainty.
const KEEPALIVE_FRACTION: f64 = 0.8;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifetimeConfig {
    /// The reflector socket the callbacks come from (`ports` answer), e.g. "stun-pp", or
    /// "sip-udp-5060" for a run on the SIP port.
    pub socket: String,
    /// That socket's address: every request goes there, every answer must come from it.
    pub server: SocketAddr,
    pub prober: Prober,
    pub mode: Mode,
    pub primings: Vec<Priming>,
    /// Callback datagrams this test may plan (the session allows 512).
    pub callback_budget: u32,
    /// The control connection's public IP (`welcome.observed`). Callbacks only ever go there,
    /// so a socket the NAT maps to another IP cannot be tested; with this set, such sockets
    /// are reported instead of silently missing.
    pub observed_ip: Option<IpAddr>,
}

impl LifetimeConfig {
    /// All three primings over STUN to `stun-pp` at `server`.
    pub fn stun(server: SocketAddr, mode: Mode) -> LifetimeConfig {
        LifetimeConfig {
            socket: "stun-pp".into(),
            server,
            prober: Prober::Stun,
            mode,
            primings: Priming::ALL.to_vec(),
            callback_budget: DEFAULT_BUDGET,
            observed_ip: None,
        }
    }

    /// All three primings over SIP OPTIONS to the mirror on `sip-udp-5060` at `server`.
    pub fn sip(server: SocketAddr, token: &str, mode: Mode) -> LifetimeConfig {
        LifetimeConfig {
            socket: "sip-udp-5060".into(),
            prober: Prober::SipOptions {
                token: token.into(),
            },
            ..LifetimeConfig::stun(server, mode)
        }
    }
}

/// Which verdict a socket's probes feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Pattern(Priming),
    Control,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for its turn (pacing).
    Waiting,
    Priming,
    /// Quiet (or, for the control, keeping alive) and waiting for callbacks.
    Primed,
    Failed,
}

#[derive(Debug)]
struct Socket {
    id: SocketId,
    group: Group,
    /// Exchanges that prime it.
    exchanges: u32,
    /// The shortest idle time it probes (start order).
    first_offset: Duration,
    /// Its callback requests (indices into `LifetimeTest::requests`).
    requests: Vec<usize>,
    local: Option<SocketAddr>,
    phase: Phase,
    mapped: Option<SocketAddr>,
    first_answer: Option<Instant>,
    /// End of the priming: idle times count from here.
    primed_at: Option<Instant>,
    last_activity: Option<Instant>,
    /// Distinct exchanges sent.
    sent: u32,
    /// Sends of the mapping exchange so far.
    attempts: u32,
    /// Recent sends: exchange key and send time (a retransmission repeats the key).
    keys: VecDeque<(Key, Instant)>,
    next_send: Option<Instant>,
    /// When to end the priming if the last exchange stays unanswered.
    finish_at: Option<Instant>,
}

/// One `callback` request.
#[derive(Debug)]
struct CallbackRequest {
    socket: usize,
    /// Idle time of its first callback.
    offset: Duration,
    count: u32,
    every: Duration,
    nonce: String,
    /// Its probes by sequence number − 1.
    probes: Vec<usize>,
}

/// One expected callback datagram.
#[derive(Debug)]
struct Probe {
    group: Group,
    socket: usize,
    planned: Duration,
    /// Its position in its request (1 = the first callback of the series).
    sequence: u32,
    sent_at: Option<Instant>,
    received_at: Option<Instant>,
    deadline: Option<Instant>,
    state: ProbeState,
}

/// The binding-lifetime test as a state machine; see the module documentation.
#[derive(Debug)]
pub struct LifetimeTest {
    config: LifetimeConfig,
    plan: Plan,
    sockets: Vec<Socket>,
    requests: Vec<CallbackRequest>,
    probes: Vec<Probe>,
    nonces: HashMap<String, usize>,
    /// Per pattern, its probes in planned order, and its verdict once made.
    patterns: Vec<(Priming, Vec<usize>, Option<PatternResult>)>,
    /// Sockets not yet started, in start order.
    start_queue: VecDeque<usize>,
    tokens: f64,
    tokens_at: Option<Instant>,
    transmits: VecDeque<Transmit>,
    /// Requests ready to go out.
    outgoing: VecDeque<usize>,
    /// Worst round trip of an unambiguous exchange.
    worst_rtt: Duration,
    epoch: Option<Instant>,
    done_at: Option<Instant>,
    evidence: Vec<String>,
}

impl LifetimeTest {
    pub fn new(config: LifetimeConfig) -> Result<LifetimeTest, PlanError> {
        let plan = Plan::new(config.mode, &config.primings, config.callback_budget)?;
        let mut run = [0u8; 3];
        getrandom::fill(&mut run).expect("the OS random source works");
        let run: String = run.iter().map(|b| format!("{b:02x}")).collect();
        let mut test = LifetimeTest {
            config,
            sockets: Vec::new(),
            requests: Vec::new(),
            probes: Vec::new(),
            nonces: HashMap::new(),
            patterns: Vec::new(),
            start_queue: VecDeque::new(),
            tokens: PACE_BURST,
            tokens_at: None,
            transmits: VecDeque::new(),
            outgoing: VecDeque::new(),
            worst_rtt: Duration::ZERO,
            epoch: None,
            done_at: None,
            evidence: Vec::new(),
            plan: plan.clone(),
        };
        // The control: one socket, one single-callback request per control offset.
        let control = test.add_socket(Group::Control, 1);
        for (k, offset) in plan.controls.iter().enumerate() {
            test.add_request(control, *offset, 1, Duration::ZERO, format!("lt{run}-c{k}"));
        }
        for priming in plan.level_primings() {
            let exchanges = if priming == Priming::SipLike {
                SIP_LIKE_EXCHANGES
            } else {
                1
            };
            for level in &plan.levels {
                let socket = test.add_socket(Group::Pattern(priming), exchanges);
                let nonce = format!("lt{run}-{socket}");
                test.add_request(socket, *level, 1, Duration::ZERO, nonce);
            }
        }
        if plan.primings.contains(&Priming::InboundKeepalive) {
            for series in &plan.keepalive {
                let socket = test.add_socket(Group::Pattern(Priming::InboundKeepalive), 1);
                let nonce = format!("lt{run}-{socket}");
                test.add_request(
                    socket,
                    series.first,
                    series.count,
                    plan::KEEPALIVE_EVERY,
                    nonce,
                );
            }
        }
        test.index_patterns();
        Ok(test)
    }

    fn add_socket(&mut self, group: Group, exchanges: u32) -> usize {
        let index = self.sockets.len();
        self.sockets.push(Socket {
            id: SocketId(index as u32),
            group,
            exchanges,
            first_offset: Duration::MAX,
            requests: Vec::new(),
            local: None,
            phase: Phase::Waiting,
            mapped: None,
            first_answer: None,
            primed_at: None,
            last_activity: None,
            sent: 0,
            attempts: 0,
            keys: VecDeque::new(),
            next_send: None,
            finish_at: None,
        });
        index
    }

    fn add_request(
        &mut self,
        socket: usize,
        offset: Duration,
        count: u32,
        every: Duration,
        nonce: String,
    ) {
        let index = self.requests.len();
        let group = self.sockets[socket].group;
        let probes = (0..count)
            .map(|j| {
                self.probes.push(Probe {
                    group,
                    socket,
                    planned: offset + every * j,
                    sequence: j + 1,
                    sent_at: None,
                    received_at: None,
                    deadline: None,
                    state: ProbeState::Pending,
                });
                self.probes.len() - 1
            })
            .collect();
        self.nonces.insert(nonce.clone(), index);
        self.requests.push(CallbackRequest {
            socket,
            offset,
            count,
            every,
            nonce,
            probes,
        });
        let s = &mut self.sockets[socket];
        s.requests.push(index);
        s.first_offset = s.first_offset.min(offset);
    }

    /// Start order (control first, then shortest idle time first) and each pattern's probes
    /// in planned order.
    fn index_patterns(&mut self) {
        let mut order: Vec<usize> = (0..self.sockets.len()).collect();
        order.sort_by_key(|&i| {
            let s = &self.sockets[i];
            (s.group != Group::Control, s.first_offset, i)
        });
        self.start_queue = order.into();
        for priming in self.plan.primings.clone() {
            let mut probes: Vec<usize> = (0..self.probes.len())
                .filter(|&p| self.probes[p].group == Group::Pattern(priming))
                .collect();
            probes.sort_by_key(|&p| (self.probes[p].planned, p));
            self.patterns.push((priming, probes, None));
        }
    }

    fn grace(&self) -> Duration {
        (self.worst_rtt * 2).max(MIN_GRACE)
    }

    fn deadline(&self) -> Option<Instant> {
        self.epoch.map(|e| e + self.plan.top() + DEADLINE_ALLOWANCE)
    }

    fn new_key() -> Key {
        let mut key = [0u8; 12];
        getrandom::fill(&mut key).expect("the OS random source works");
        key
    }

    // --- sending -----------------------------------------------------------------------------

    /// Sends an exchange request: a new one, or the current one again (retransmission).
    fn send_exchange(&mut self, i: usize, now: Instant, retransmit: bool) {
        let s = &mut self.sockets[i];
        let key = match s.keys.back() {
            Some(&(key, _)) if retransmit => key,
            _ => Self::new_key(),
        };
        let local = s
            .local
            .unwrap_or(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 0));
        let payload = self.config.prober.request(key, local, self.config.server);
        s.keys.push_back((key, now));
        if s.keys.len() > KEY_HISTORY {
            s.keys.pop_front();
        }
        s.last_activity = Some(now);
        self.transmits.push_back(Transmit {
            socket: s.id,
            destination: self.config.server,
            payload,
        });
    }

    fn start(&mut self, i: usize, now: Instant) {
        let s = &mut self.sockets[i];
        s.phase = Phase::Priming;
        s.sent = 1;
        s.attempts = 1;
        s.next_send = Some(now + RTO);
        self.send_exchange(i, now, false);
    }

    /// Starts waiting sockets while the token bucket allows.
    fn start_paced(&mut self, now: Instant) {
        let last = *self.tokens_at.get_or_insert(now);
        let refill = now.saturating_duration_since(last).as_secs_f64() * PACE_RATE;
        self.tokens = (self.tokens + refill).min(PACE_BURST);
        self.tokens_at = Some(now);
        while let Some(&i) = self.start_queue.front() {
            if self.sockets[i].phase != Phase::Waiting {
                self.start_queue.pop_front(); // failed to bind
                continue;
            }
            let cost = f64::from(self.sockets[i].exchanges);
            // The tolerance keeps float rounding from leaving the bucket a hair short forever.
            if self.tokens + 1e-6 < cost {
                return;
            }
            self.tokens -= cost;
            self.start_queue.pop_front();
            self.start(i, now);
        }
    }

    fn next_start(&self) -> Option<Instant> {
        let &i = self.start_queue.front()?;
        let missing = f64::from(self.sockets[i].exchanges) - self.tokens;
        let at = self.tokens_at?;
        // Whole milliseconds, rounded up: the clock must move for the bucket to refill.
        let wait_ms = (missing / PACE_RATE * 1000.0).ceil().max(0.0);
        Some(at + Duration::from_millis(wait_ms as u64))
    }

    /// The socket's timers: retransmissions, SIP-like exchanges, control keepalives, and the
    /// end of a priming whose last answer did not come.
    fn drive(&mut self, i: usize, now: Instant) {
        let s = &self.sockets[i];
        if s.next_send.is_some_and(|t| t <= now) {
            match (s.phase, s.first_answer) {
                (Phase::Priming, None) if s.attempts < FIRST_ATTEMPTS => {
                    let s = &mut self.sockets[i];
                    s.next_send = Some(now + RTO * (1 << s.attempts));
                    s.attempts += 1;
                    self.send_exchange(i, now, true);
                }
                (Phase::Priming, None) => {
                    let attempts = s.attempts;
                    self.fail(i, &format!("no answer to {attempts} requests"));
                    return;
                }
                (Phase::Priming, Some(first)) => {
                    let s = &mut self.sockets[i];
                    s.sent += 1;
                    if s.sent < s.exchanges {
                        s.next_send = Some(first + SIP_LIKE_EVERY * s.sent);
                    } else {
                        s.next_send = None;
                        s.finish_at = Some(now + RTO);
                    }
                    self.send_exchange(i, now, false);
                }
                (Phase::Primed, _) => {
                    self.sockets[i].next_send = Some(now + CONTROL_KEEPALIVE);
                    self.send_exchange(i, now, false);
                }
                _ => self.sockets[i].next_send = None,
            }
        }
        let s = &self.sockets[i];
        if s.phase == Phase::Priming && s.finish_at.is_some_and(|t| t <= now) {
            self.finish_priming(i, now);
        }
    }

    fn fail(&mut self, i: usize, why: &str) {
        let s = &mut self.sockets[i];
        s.phase = Phase::Failed;
        s.next_send = None;
        s.finish_at = None;
        for &r in &s.requests {
            for &p in &self.requests[r].probes {
                if self.probes[p].state == ProbeState::Pending {
                    self.probes[p].state = ProbeState::Unplanned;
                }
            }
        }
        let what = match s.group {
            Group::Control => "the control socket".to_owned(),
            Group::Pattern(p) => format!("a {p:?} socket"),
        };
        self.note(format!("{what} was not tested: {why}"));
    }

    /// Records evidence once per distinct text.
    fn note(&mut self, text: String) {
        if !self.evidence.contains(&text) {
            self.evidence.push(text);
        }
    }

    fn finish_priming(&mut self, i: usize, now: Instant) {
        let observed = self.config.observed_ip;
        let s = &mut self.sockets[i];
        s.phase = Phase::Primed;
        s.primed_at = s.last_activity.or(Some(now));
        s.finish_at = None;
        s.next_send = (s.group == Group::Control).then(|| now + CONTROL_KEEPALIVE);
        let mapped = s.mapped;
        if let (Some(observed), Some(mapped)) = (observed, mapped)
            && mapped.ip() != observed
        {
            self.fail(
                i,
                &format!(
                    "the NAT mapped it to {}, not to the control connection's {observed}, \
                     and callbacks only go to the latter (a NAT with several public IPs)",
                    mapped.ip()
                ),
            );
            return;
        }
        let requests = self.sockets[i].requests.clone();
        self.outgoing.extend(requests);
    }

    // --- receiving ---------------------------------------------------------------------------

    fn on_answer(&mut self, i: usize, now: Instant, key: Key, mapped: SocketAddr) {
        let s = &mut self.sockets[i];
        let mut sends = s.keys.iter().filter(|(k, _)| *k == key);
        let Some(&(_, sent_at)) = sends.next() else {
            return; // not an exchange of this socket
        };
        // Karn's rule: an answer to a retransmitted request says nothing about the round trip.
        if sends.next().is_none() {
            self.worst_rtt = self.worst_rtt.max(now.saturating_duration_since(sent_at));
        }
        let is_last = s.keys.back().is_some_and(|(k, _)| *k == key);
        let changed = s.mapped.is_some_and(|m| m != mapped);
        s.mapped = Some(mapped);
        s.last_activity = Some(now);
        if changed {
            self.note(
                "a socket's public mapping changed between two exchanges seconds apart \
                 (the NAT re-mapped an active flow)"
                    .into(),
            );
        }
        let s = &mut self.sockets[i];
        if s.phase != Phase::Priming {
            return;
        }
        if s.first_answer.is_none() {
            s.first_answer = Some(now);
            if s.exchanges == 1 {
                self.finish_priming(i, now);
            } else {
                s.next_send = Some(now + SIP_LIKE_EVERY);
            }
        } else if s.sent == s.exchanges && is_last {
            self.finish_priming(i, now);
        }
    }

    fn on_callback(&mut self, i: usize, now: Instant, from: SocketAddr, nonce: &str, seq: u32) {
        let Some(&r) = self.nonces.get(nonce) else {
            self.note(format!(
                "a callback with a nonce this test never used ({nonce})"
            ));
            return;
        };
        let request = &self.requests[r];
        if request.socket != i {
            // The NAT gave this socket the public port another socket's binding had: that
            // binding is gone, and this is no hit for it.
            self.note(
                "a callback meant for one socket arrived on another: the NAT reused the public \
                 port of an expired binding"
                    .into(),
            );
            return;
        }
        let Some(&p) = seq
            .checked_sub(1)
            .and_then(|s| request.probes.get(s as usize))
        else {
            return;
        };
        if from != self.config.server {
            self.note(format!(
                "callbacks arrived from {from}, not from {} (the reflector sends from another \
                 address than it advertises)",
                self.config.server
            ));
        }
        if self.probes[p].received_at.is_some() {
            return; // a duplicate
        }
        let (was_missed, group) = (
            self.probes[p].state == ProbeState::Missed,
            self.probes[p].group,
        );
        if was_missed && self.decided(group) {
            self.note("a callback arrived after its grace period and after the verdict".into());
        }
        // A hit is proof even when late: the binding was alive.
        self.probes[p].received_at = Some(now);
        self.probes[p].state = ProbeState::Received;
    }

    fn decided(&self, group: Group) -> bool {
        self.patterns
            .iter()
            .any(|(p, _, result)| Group::Pattern(*p) == group && result.is_some())
    }

    // --- verdicts ----------------------------------------------------------------------------

    /// The idle time a probe's outcome speaks for.
    fn idle(&self, p: usize) -> Duration {
        let probe = &self.probes[p];
        let checked = probe.received_at.or(probe.sent_at);
        match (checked, self.sockets[probe.socket].primed_at) {
            (Some(checked), Some(primed)) => checked.saturating_duration_since(primed),
            _ => probe.planned,
        }
    }

    fn view(&self, p: usize) -> ProbeView {
        let probe = &self.probes[p];
        ProbeView {
            planned: probe.planned,
            idle: self.idle(p),
            state: probe.state,
            checked_at: probe.received_at.or(probe.sent_at),
        }
    }

    /// Whether the controls show the path still delivered callbacks once the misses began:
    /// a control callback received after `first_miss_at` (less one grace period of clock
    /// slop) confirms; [`CONTROL_MISSES_TO_FAIL`] controls lost after it, or none left to
    /// come, fail.
    fn controls_at(&self, first_miss_at: Instant) -> ControlCheck {
        let from = first_miss_at
            .checked_sub(self.grace())
            .unwrap_or(first_miss_at);
        let controls = self.probes.iter().filter(|p| p.group == Group::Control);
        let (mut missed, mut waiting) = (0, false);
        for probe in controls {
            match probe.state {
                ProbeState::Received if probe.received_at.is_some_and(|t| t >= from) => {
                    return ControlCheck::Confirmed;
                }
                ProbeState::Missed if probe.sent_at.is_some_and(|t| t >= from) => missed += 1,
                ProbeState::Pending => waiting = true,
                _ => {}
            }
        }
        if missed >= CONTROL_MISSES_TO_FAIL || !waiting {
            ControlCheck::Failed
        } else {
            ControlCheck::Waiting
        }
    }

    /// Whether the path has lost a callback anywhere: a control, or a miss below a hit.
    fn path_lossy(&self) -> bool {
        let controls_lost = self
            .probes
            .iter()
            .any(|p| p.group == Group::Control && p.state == ProbeState::Missed);
        controls_lost
            || self
                .patterns
                .iter()
                .any(|(priming, order, _)| self.losses(*priming, order) > 0)
    }

    /// Callbacks lost on a live binding. A one-socket-per-idle-time pattern samples one timer
    /// with all its sockets, so any miss below its longest hit was a loss. An inbound series
    /// is one binding per socket, and its sockets may legitimately differ (one that expired
    /// before its first callback next to one the callbacks keep alive): only a miss followed
    /// by a hit *on the same socket* was a loss.
    fn losses(&self, priming: Priming, order: &[usize]) -> usize {
        if priming != Priming::InboundKeepalive {
            let views: Vec<ProbeView> = order.iter().map(|&p| self.view(p)).collect();
            return decide::losses(&views);
        }
        let mut sockets: Vec<usize> = order.iter().map(|&p| self.probes[p].socket).collect();
        sockets.sort_unstable();
        sockets.dedup();
        sockets
            .into_iter()
            .map(|s| {
                let views: Vec<ProbeView> = order
                    .iter()
                    .filter(|&&p| self.probes[p].socket == s)
                    .map(|&p| self.view(p))
                    .collect();
                decide::losses(&views)
            })
            .sum()
    }

    /// The probes a pattern's verdict is judged on. For the inbound series, a socket that
    /// missed before it ever received anything, while another socket of the series was still
    /// reached at a longer idle time, expired before its first callback could refresh it: its
    /// misses measure the one-shot lifetime, not the inbound keepalive, and would otherwise
    /// interleave with the live sockets' probes and make two ordinary losses look like a run
    /// of three misses.
    fn judged(&self, priming: Priming, order: &[usize]) -> Vec<usize> {
        if priming != Priming::InboundKeepalive {
            return order.to_vec();
        }
        let stillborn = |s: usize| {
            let of = || {
                order
                    .iter()
                    .map(|&p| &self.probes[p])
                    .filter(move |p| p.socket == s)
            };
            if of().any(|p| p.state == ProbeState::Received) {
                return false;
            }
            let Some(first_miss) = of()
                .filter(|p| p.state == ProbeState::Missed)
                .map(|p| p.planned)
                .min()
            else {
                return false;
            };
            order
                .iter()
                .map(|&p| &self.probes[p])
                .any(|p| p.socket != s && p.state == ProbeState::Received && p.planned > first_miss)
        };
        order
            .iter()
            .copied()
            .filter(|&p| !stillborn(self.probes[p].socket))
            .collect()
    }

    /// The longest lifetime measured without inbound traffic: the larger upper bound of the
    /// one-shot and SIP-like patterns, once both expired (`None` before, or when either is
    /// not part of the test or did not expire: then nothing bounds a binding's own timer).
    fn longest_outbound_lifetime(&self) -> Option<f64> {
        [Priming::OneShot, Priming::SipLike]
            .iter()
            .map(|priming| {
                let (_, _, result) = self.patterns.iter().find(|(p, _, _)| p == priming)?;
                let result = result.as_ref()?;
                (result.outcome == LifetimeOutcome::Expired)
                    .then_some(result.upper_s)
                    .flatten()
            })
            .try_fold(0.0_f64, |longest, upper| Some(longest.max(upper?)))
    }

    /// The early stop of the inbound-keepalive pattern (see the module documentation): a
    /// socket reached by a callback that was not its first (so it had lived on inbound traffic
    /// for at least one keepalive interval), after an idle time clearly beyond the longest
    /// lifetime measured without inbound traffic. Returns the longest idle time any of the
    /// pattern's sockets survived, and that lifetime.
    fn kept_alive_by_inbound(&self, order: &[usize]) -> Option<(Duration, f64)> {
        let longest = self.longest_outbound_lifetime()?;
        let threshold = (longest * KEPT_ALIVE_FACTOR).max(longest + secs(KEPT_ALIVE_MARGIN));
        let received = || {
            order
                .iter()
                .copied()
                .filter(|&p| self.probes[p].state == ProbeState::Received)
        };
        let proven = received()
            .filter(|&p| self.probes[p].sequence >= 2)
            .any(|p| secs(self.idle(p)) > threshold);
        let survived = received().map(|p| self.idle(p)).max()?;
        proven.then_some((survived, longest))
    }

    fn judge_patterns(&mut self, now: Instant) {
        let timed_out = self.deadline().is_some_and(|d| now >= d);
        let path_lossy = self.path_lossy();
        for k in 0..self.patterns.len() {
            if self.patterns[k].2.is_some() {
                continue;
            }
            let (priming, order) = (self.patterns[k].0, &self.patterns[k].1);
            let judged: Vec<ProbeView> = self
                .judged(priming, order)
                .into_iter()
                .map(|p| self.view(p))
                .collect();
            let verdict = match decide::judge(&judged, path_lossy) {
                Judgement::Expired {
                    lower,
                    upper,
                    first_miss_at,
                } => match self.controls_at(first_miss_at) {
                    ControlCheck::Confirmed => Some(Verdict::Expired { lower, upper }),
                    ControlCheck::Failed => Some(Verdict::ControlsFailed { lower }),
                    ControlCheck::Waiting if timed_out => Some(Verdict::ControlsFailed { lower }),
                    ControlCheck::Waiting => None,
                },
                Judgement::LongerThanTested { lower } => Some(Verdict::LongerThanTested { lower }),
                Judgement::Unresolved { lower } => Some(Verdict::Unresolved { lower }),
                Judgement::Wait => {
                    let kept_alive = (priming == Priming::InboundKeepalive)
                        .then(|| self.kept_alive_by_inbound(order))
                        .flatten();
                    match kept_alive {
                        Some((lower, longest)) => Some(Verdict::KeptAlive { lower, longest }),
                        None if timed_out => Some(Verdict::TimedOut),
                        None => None,
                    }
                }
            };
            if let Some(verdict) = verdict {
                let order = &self.patterns[k].1;
                let views: Vec<ProbeView> = order.iter().map(|&p| self.view(p)).collect();
                let losses = self.losses(priming, order);
                let result = self.pattern_result(priming, &views, losses, verdict, now);
                self.patterns[k].2 = Some(result);
            }
        }
        if self.patterns.iter().all(|(_, _, r)| r.is_some()) {
            self.done_at = Some(now);
            self.transmits.clear();
            self.outgoing.clear();
        }
    }

    fn pattern_result(
        &self,
        priming: Priming,
        views: &[ProbeView],
        losses: usize,
        verdict: Verdict,
        now: Instant,
    ) -> PatternResult {
        let count = |state| views.iter().filter(|v| v.state == state).count() as u32;
        let top = secs(self.plan.top());
        let (outcome, lower, upper, explanation) = match verdict {
            Verdict::Expired { lower, upper } => (
                LifetimeOutcome::Expired,
                lower.map(secs),
                Some(secs(upper)),
                match lower {
                    Some(l) => format!(
                        "the binding survived {:.1} s idle and was gone by {:.1} s",
                        secs(l),
                        secs(upper)
                    ),
                    None => format!(
                        "no callback came back even after the shortest idle time; the binding \
                         lasted less than {:.1} s",
                        secs(upper)
                    ),
                },
            ),
            Verdict::LongerThanTested { lower } => (
                LifetimeOutcome::LongerThanTested,
                Some(secs(lower)),
                None,
                format!(
                    "the binding was still there after {:.1} s idle, the longest time tested",
                    secs(lower)
                ),
            ),
            Verdict::KeptAlive { lower, longest } => (
                LifetimeOutcome::LongerThanTested,
                Some(secs(lower)),
                None,
                format!(
                    "kept alive by inbound traffic: with only the reflector's callbacks every \
                     {:.0} s arriving, the binding was still there after {:.1} s without an \
                     outbound packet, well past the longest lifetime measured without inbound \
                     traffic ({longest:.1} s); the test stopped there, so this is how long it \
                     was followed, not a limit",
                    secs(plan::KEEPALIVE_EVERY),
                    secs(lower)
                ),
            ),
            Verdict::ControlsFailed { lower } => (
                LifetimeOutcome::Inconclusive,
                lower.map(secs),
                None,
                "callbacks stopped arriving, but so did the controls on a kept-alive socket: \
                 the path, not the binding, may have failed"
                    .to_owned(),
            ),
            Verdict::Unresolved { lower: Some(l) } => (
                LifetimeOutcome::Inconclusive,
                Some(secs(l)),
                None,
                format!(
                    "received up to {:.1} s idle; too few probes near {top:.0} s missed to \
                     tell expiry from loss",
                    secs(l)
                ),
            ),
            Verdict::Unresolved { lower: None } => (
                LifetimeOutcome::Inconclusive,
                None,
                None,
                "no socket of this pattern could be primed or scheduled".to_owned(),
            ),
            Verdict::TimedOut => (
                LifetimeOutcome::Inconclusive,
                None,
                None,
                "the test ran out of time waiting for callbacks or their events".to_owned(),
            ),
        };
        let primed = self
            .sockets
            .iter()
            .filter(|s| s.group == Group::Pattern(priming) && s.primed_at.is_some())
            .count() as u32;
        PatternResult {
            priming,
            outcome,
            lower_s: lower,
            upper_s: upper,
            sockets: primed,
            received: count(ProbeState::Received),
            missed: count(ProbeState::Missed),
            losses: losses as u32,
            kept_alive_by_inbound: false,
            decided_after_s: self.epoch.map(|e| secs(now.saturating_duration_since(e))),
            explanation,
        }
    }

    fn advance(&mut self, now: Instant) {
        self.epoch.get_or_insert(now);
        if self.done_at.is_some() {
            return;
        }
        self.start_paced(now);
        for i in 0..self.sockets.len() {
            self.drive(i, now);
        }
        for probe in &mut self.probes {
            if probe.state == ProbeState::Pending && probe.deadline.is_some_and(|d| d <= now) {
                probe.state = ProbeState::Missed;
            }
        }
        self.judge_patterns(now);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ControlCheck {
    Confirmed,
    Failed,
    Waiting,
}

#[derive(Debug, Clone, Copy)]
enum Verdict {
    Expired {
        lower: Option<Duration>,
        upper: Duration,
    },
    LongerThanTested {
        lower: Duration,
    },
    /// The inbound series outlived the longest lifetime measured without inbound traffic:
    /// `lower` is the longest idle time survived, `longest` that lifetime (seconds).
    KeptAlive {
        lower: Duration,
        longest: f64,
    },
    ControlsFailed {
        lower: Option<Duration>,
    },
    Unresolved {
        lower: Option<Duration>,
    },
    TimedOut,
}

impl Machine for LifetimeTest {
    type Report = LifetimeReport;

    fn sockets(&self) -> Vec<SocketRequest> {
        self.sockets
            .iter()
            .map(|s| SocketRequest {
                id: s.id,
                kind: SocketKind::Udp,
                port: None,
                tos: None,
            })
            .collect()
    }

    fn bound(&mut self, socket: SocketId, local: Option<SocketAddr>) {
        let i = socket.0 as usize;
        if i >= self.sockets.len() {
            return;
        }
        self.sockets[i].local = local;
        if local.is_none() {
            self.fail(i, "its socket could not be opened");
        }
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if self.transmits.is_empty() {
            self.advance(now);
        }
        self.transmits.pop_front()
    }

    fn handle_receive(&mut self, now: Instant, socket: SocketId, from: SocketAddr, payload: &[u8]) {
        self.epoch.get_or_insert(now);
        let i = socket.0 as usize;
        if i >= self.sockets.len() || self.done_at.is_some() {
            return;
        }
        if let Some((nonce, seq)) = exchange::parse_callback(payload) {
            self.on_callback(i, now, from, nonce, seq);
        } else if from == self.config.server
            && let Some((key, mapped)) = self.config.prober.parse(payload)
        {
            self.on_answer(i, now, key, mapped);
        }
    }

    fn poll_request(&mut self, now: Instant) -> Option<(RequestTag, Request)> {
        self.epoch.get_or_insert(now);
        let r = self.outgoing.pop_front()?;
        let request = &self.requests[r];
        let s = &self.sockets[request.socket];
        let port = s.mapped.map_or(0, |m| m.port());
        // Keep the idle time as planned even if the request leaves a little after priming.
        let spent = s
            .primed_at
            .map_or(Duration::ZERO, |p| now.saturating_duration_since(p));
        let delay = request.offset.saturating_sub(spent);
        Some((
            RequestTag(r as u32 + 1),
            Request::Callback {
                socket: self.config.socket.clone(),
                port,
                delay_ms: delay.as_millis() as u64,
                count: request.count,
                every_ms: request.every.as_millis() as u64,
                nonce: request.nonce.clone(),
            },
        ))
    }

    fn handle_reply(&mut self, now: Instant, tag: RequestTag, reply: Reply) {
        self.epoch.get_or_insert(now);
        let Some(r) = (tag.0 as usize)
            .checked_sub(1)
            .filter(|&r| r < self.requests.len())
        else {
            return;
        };
        match reply {
            Reply::Answer(Answer::CallbackScheduled) => {}
            Reply::Event(Event::CallbackSent { sequence, .. }) => {
                let grace = self.grace();
                let probe = sequence
                    .checked_sub(1)
                    .and_then(|s| self.requests[r].probes.get(s as usize))
                    .copied();
                if let Some(p) = probe {
                    let probe = &mut self.probes[p];
                    probe.sent_at.get_or_insert(now);
                    probe.deadline.get_or_insert(now + grace);
                }
            }
            Reply::Error { code, message } => {
                for p in self.requests[r].probes.clone() {
                    if self.probes[p].state == ProbeState::Pending
                        && self.probes[p].sent_at.is_none()
                    {
                        self.probes[p].state = ProbeState::Unplanned;
                    }
                }
                self.note(format!(
                    "the reflector refused a callback ({code:?}): {message}"
                ));
            }
            _ => {}
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.done_at.is_some() {
            return None;
        }
        let sockets = self
            .sockets
            .iter()
            .filter(|s| matches!(s.phase, Phase::Priming | Phase::Primed))
            .flat_map(|s| [s.next_send, s.finish_at]);
        let probes = self
            .probes
            .iter()
            .filter(|p| p.state == ProbeState::Pending)
            .map(|p| p.deadline);
        sockets
            .chain(probes)
            .chain([self.next_start(), self.deadline()])
            .flatten()
            .min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
    }

    fn report(&self) -> Option<LifetimeReport> {
        let done = self.done_at?;
        let epoch = self.epoch.unwrap_or(done);
        let at = |t: Option<Instant>| t.map(|t| secs(t.saturating_duration_since(epoch)));
        let mut results: Vec<PatternResult> = self
            .patterns
            .iter()
            .filter_map(|(_, _, r)| r.clone())
            .collect();
        let inbound_refresh = inbound_refresh(&results);
        for r in &mut results {
            r.kept_alive_by_inbound = r.priming == Priming::InboundKeepalive
                && r.outcome == LifetimeOutcome::LongerThanTested
                && inbound_refresh == Some(true);
        }
        let timeline = (0..self.probes.len())
            .map(|p| {
                let probe = &self.probes[p];
                let socket = &self.sockets[probe.socket];
                TimelineEntry {
                    priming: match probe.group {
                        Group::Pattern(p) => Some(p),
                        Group::Control => None,
                    },
                    socket: socket.id.0,
                    planned_idle_s: secs(probe.planned),
                    idle_s: (probe.state != ProbeState::Pending
                        && probe.state != ProbeState::Unplanned)
                        .then(|| secs(self.idle(p))),
                    primed_at_s: at(socket.primed_at),
                    sent_at_s: at(probe.sent_at),
                    received_at_s: at(probe.received_at),
                    outcome: match probe.state {
                        ProbeState::Pending => ProbeOutcome::Pending,
                        ProbeState::Received => ProbeOutcome::Received,
                        ProbeState::Missed => ProbeOutcome::Missed,
                        ProbeState::Unplanned => ProbeOutcome::NotPlanned,
                    },
                }
            })
            .collect();
        let controls = self.probes.iter().filter(|p| p.group == Group::Control);
        let (received, missed) = controls.fold((0, 0), |(r, m), p| match p.state {
            ProbeState::Received => (r + 1, m),
            ProbeState::Missed => (r, m + 1),
            _ => (r, m),
        });
        Some(LifetimeReport {
            socket: self.config.socket.clone(),
            server: self.config.server,
            mode: self.config.mode,
            grid: Grid {
                min_idle_s: secs(plan::MIN_IDLE),
                max_idle_s: secs(self.plan.top()),
                ratio: self.plan.ratio,
                levels: self.plan.levels.len() as u32,
                keepalive_phases: self.plan.keepalive.len() as u32,
            },
            inbound_refresh,
            keepalive: keepalive_advice(&results),
            patterns: results,
            control: ControlSummary { received, missed },
            callbacks_planned: self.plan.callbacks(),
            timeline,
            evidence: self.evidence.clone(),
            elapsed_s: secs(done.saturating_duration_since(epoch)),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifetimeReport {
    /// The reflector socket the callbacks came from, and its address.
    pub socket: String,
    pub server: SocketAddr,
    pub mode: Mode,
    pub grid: Grid,
    pub patterns: Vec<PatternResult>,
    /// Whether inbound-only traffic kept a binding alive (inbound keepalive vs one-shot):
    /// `None` when the results cannot tell.
    pub inbound_refresh: Option<bool>,
    pub keepalive: KeepaliveAdvice,
    pub control: ControlSummary,
    pub callbacks_planned: u32,
    /// Every expected callback, for the report's chart.
    pub timeline: Vec<TimelineEntry>,
    pub evidence: Vec<String>,
    pub elapsed_s: f64,
}

/// The idle times probed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub min_idle_s: f64,
    pub max_idle_s: f64,
    /// Relative step (1.05: 5 %; at least 1 s).
    pub ratio: f64,
    pub levels: u32,
    pub keepalive_phases: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifetimeOutcome {
    /// The binding expired between `lower_s` and `upper_s` of idle time.
    Expired,
    /// The binding outlived the longest idle time tested (`lower_s`). For the inbound
    /// keepalive pattern with `kept_alive_by_inbound`, it means "kept alive by inbound
    /// traffic": the test stopped once the binding had clearly outlived every lifetime
    /// measured without inbound traffic, and `lower_s` is how long it was followed.
    LongerThanTested,
    /// Not enough evidence; `lower_s` is still a proven minimum if present.
    Inconclusive,
}

/// The lifetime under one priming pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternResult {
    pub priming: Priming,
    pub outcome: LifetimeOutcome,
    /// Longest idle time a callback was received after: a proven minimum lifetime.
    pub lower_s: Option<f64>,
    /// The binding was gone at this idle time (with `Expired`).
    pub upper_s: Option<f64>,
    /// Sockets primed for this pattern.
    pub sockets: u32,
    pub received: u32,
    pub missed: u32,
    /// Misses below `lower_s`: callbacks lost on a live binding (for the inbound series,
    /// counted per socket: a socket that expired before its first callback lost nothing).
    pub losses: u32,
    /// Seconds from the start of the test to this verdict.
    pub decided_after_s: Option<f64>,
    pub explanation: String,
    /// Inbound keepalive only: the binding lived on the reflector's callbacks alone longer
    /// than any binding lived without inbound traffic — it was kept alive by inbound traffic
    /// (`inbound_refresh`), it did not "never expire". With `LongerThanTested`, `lower_s` is
    /// then how long the test followed it: the test stops as soon as this is clear.
    #[serde(default)]
    pub kept_alive_by_inbound: bool,
}

/// What to configure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeepaliveAdvice {
    /// The longest UDP keepalive interval that keeps the binding, if one can be given.
    pub interval_s: Option<f64>,
    /// The pattern whose lifetime decided it.
    pub based_on: Option<Priming>,
    /// True when phones keeping RFC 5626's default (a random 24–29 s) would lose the binding.
    pub shorter_than_rfc5626: bool,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlSummary {
    pub received: u32,
    pub missed: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeOutcome {
    Received,
    Missed,
    /// Not yet known when the test stopped (early stop: not needed).
    Pending,
    NotPlanned,
}

/// One expected callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// `None` for the control socket.
    pub priming: Option<Priming>,
    pub socket: u32,
    pub planned_idle_s: f64,
    /// The idle time its outcome speaks for.
    pub idle_s: Option<f64>,
    /// Seconds since the start of the test.
    pub primed_at_s: Option<f64>,
    pub sent_at_s: Option<f64>,
    pub received_at_s: Option<f64>,
    pub outcome: ProbeOutcome,
}

/// Seconds with millisecond resolution: finer is noise, and short decimals read well in JSON.
fn secs(d: Duration) -> f64 {
    d.as_millis() as f64 / 1000.0
}

fn result_of(results: &[PatternResult], priming: Priming) -> Option<&PatternResult> {
    results.iter().find(|r| r.priming == priming)
}

/// Inbound keepalives (every 15 s) vs a single exchange: if the former outlived the latter,
/// inbound traffic kept the binding (refreshed it, or moved it to a longer timer as Linux
/// does once a flow shows two-way traffic); if it expired anyway, it did not.
fn inbound_refresh(results: &[PatternResult]) -> Option<bool> {
    let inbound = result_of(results, Priming::InboundKeepalive)?;
    match inbound.outcome {
        LifetimeOutcome::Expired => Some(false),
        LifetimeOutcome::LongerThanTested => {
            let one_shot = result_of(results, Priming::OneShot)?;
            (one_shot.outcome == LifetimeOutcome::Expired).then_some(true)
        }
        LifetimeOutcome::Inconclusive => None,
    }
}

/// The keepalive interval: 80 % of the shortest proven lifetime of the client-driven patterns
/// (one-shot, SIP-like: a phone's keepalive is sent from inside, with or without an answer),
/// no longer than RFC 5626's 29 s — longer saves almost nothing and leaves phones on their
/// standard setting.
fn keepalive_advice(results: &[PatternResult]) -> KeepaliveAdvice {
    let client_driven: Vec<&PatternResult> = [Priming::OneShot, Priming::SipLike]
        .iter()
        .filter_map(|p| result_of(results, *p))
        .collect();
    let expired = client_driven
        .iter()
        .filter(|r| r.outcome == LifetimeOutcome::Expired)
        .min_by(|a, b| {
            a.lower_s
                .unwrap_or(0.0)
                .total_cmp(&b.lower_s.unwrap_or(0.0))
        });
    if let Some(shortest) = expired {
        let Some(lower) = shortest.lower_s else {
            return KeepaliveAdvice {
                interval_s: None,
                based_on: Some(shortest.priming),
                shorter_than_rfc5626: true,
                explanation: "bindings expire within seconds: no keepalive can hold them; the \
                              firewall's UDP timeout must be raised"
                    .into(),
            };
        };
        let interval = (lower * KEEPALIVE_FRACTION).floor().max(1.0);
        let shorter = interval < RFC5626_MAX;
        let explanation = if !shorter {
            format!(
                "bindings last at least {lower:.0} s; RFC 5626's standard 24–29 s keepalive \
                 keeps them"
            )
        } else if interval >= RFC5626_MIN {
            format!(
                "bindings last at least {lower:.0} s: configure keepalives of at most \
                 {interval:.0} s (RFC 5626 phones may pick up to 29 s), or raise the \
                 firewall's UDP timeout to 120 s or more (RFC 4787 REQ-5)"
            )
        } else {
            format!(
                "bindings last only {lower:.0} s: keepalives every {interval:.0} s at most — \
                 shorter than RFC 5626's 24–29 s default — or raise the firewall's UDP timeout \
                 to 120 s or more (RFC 4787 REQ-5)"
            )
        };
        return KeepaliveAdvice {
            interval_s: Some(interval.min(RFC5626_MAX)),
            based_on: Some(shortest.priming),
            shorter_than_rfc5626: shorter,
            explanation,
        };
    }
    let outlived = client_driven
        .iter()
        .filter(|r| r.outcome == LifetimeOutcome::LongerThanTested)
        .min_by(|a, b| {
            a.lower_s
                .unwrap_or(0.0)
                .total_cmp(&b.lower_s.unwrap_or(0.0))
        });
    match outlived {
        Some(r) => KeepaliveAdvice {
            interval_s: Some(RFC5626_MAX),
            based_on: Some(r.priming),
            shorter_than_rfc5626: false,
            explanation: format!(
                "no binding expired within {:.0} s; RFC 5626's standard 24–29 s keepalive \
                 keeps them",
                r.lower_s.unwrap_or(0.0)
            ),
        },
        None => KeepaliveAdvice {
            interval_s: None,
            based_on: None,
            shorter_than_rfc5626: false,
            explanation: "no lifetime could be measured".into(),
        },
    }
}
