//! The lifetime machine against a simulated NAT and reflector on a virtual clock.
//!
//! The NAT keeps one binding per client socket and forgets it after its timeout; the model
//! can refresh bindings on inbound packets or not, and can behave like Linux conntrack: a
//! flow that has seen a reply and is still active more than 2 s after it began moves from
//! the short "unreplied" timeout to the long "stream" timeout, and every packet either way
//! refreshes it. The reflector answers STUN (or SIP OPTIONS through the real mirror code),
//! schedules callbacks like `sipwall serve` (caps included) and reports `callback_sent`;
//! callback datagrams are lost at a set rate from a seeded generator.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipwall_proto::control::{self, Answer, ErrorCode, Event, Request};
use sipwall_proto::sip::{SipTransport, respond as mirror_respond};
use sipwall_proto::stun::{Attribute, Message, Seal, binding_success};

use super::*;
use crate::media::tests::SplitMix;
use crate::sansio::{Machine, Reply, RequestTag, SocketId};

const SERVER: ([u8; 4], u16) = ([198, 51, 100, 10], 3478);
const PUBLIC_IP: [u8; 4] = [203, 0, 113, 5];
const DATA_ONE_WAY: Duration = Duration::from_millis(20);
const CONTROL_ONE_WAY: Duration = Duration::from_millis(25);
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn server() -> SocketAddr {
    SocketAddr::from(SERVER)
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[derive(Debug, Clone, Copy)]
struct NatModel {
    unreplied: Duration,
    /// Linux-like: flows with a reply, active past 2 s, get this timeout.
    stream: Option<Duration>,
    refresh_on_inbound: bool,
    /// An inbound packet can move the flow to the stream timer (Linux). Off: only an outbound
    /// packet can (a NAT whose timer follows the client's own activity), so callbacks alone
    /// leave a one-exchange binding on the short timer.
    inbound_promotes: bool,
}

impl NatModel {
    /// One timeout, refreshed by outbound packets only (RFC 4787 REQ-6's minimum).
    fn simple(timeout: f64) -> NatModel {
        NatModel {
            unreplied: secs(timeout),
            stream: None,
            refresh_on_inbound: false,
            inbound_promotes: true,
        }
    }

    /// Linux conntrack: 30 s unreplied, 120 s stream, refreshed both ways.
    fn linux() -> NatModel {
        NatModel::linux_with(30.0, 120.0)
    }

    /// Linux conntrack with other timeouts (the network-namespace lab: 12 s / 36 s).
    fn linux_with(unreplied: f64, stream: f64) -> NatModel {
        NatModel {
            unreplied: secs(unreplied),
            stream: Some(secs(stream)),
            refresh_on_inbound: true,
            inbound_promotes: true,
        }
    }
}

#[derive(Debug)]
struct Binding {
    socket: SocketId,
    port: u16,
    first: Duration,
    last_out: Duration,
    last_in: Duration,
    seen_reply: bool,
    assured: bool,
}

struct Nat {
    model: NatModel,
    bindings: Vec<Binding>,
    next_port: u16,
}

impl Nat {
    fn alive(&self, b: &Binding, t: Duration) -> bool {
        let timeout = match (b.assured, self.model.stream) {
            (true, Some(stream)) => stream,
            _ => self.model.unreplied,
        };
        let last = if self.model.refresh_on_inbound {
            b.last_out.max(b.last_in)
        } else {
            b.last_out
        };
        t < last + timeout
    }

    fn promote(model: &NatModel, b: &mut Binding, t: Duration) {
        if model.stream.is_some() && b.seen_reply && t > b.first + secs(2.0) {
            b.assured = true;
        }
    }

    /// The public port an outbound packet leaves from (a new binding if the old one expired).
    fn outbound(&mut self, socket: SocketId, t: Duration) -> u16 {
        let live = (0..self.bindings.len())
            .find(|&i| self.bindings[i].socket == socket && self.alive(&self.bindings[i], t));
        let i = live.unwrap_or_else(|| {
            self.next_port += 1;
            self.bindings.push(Binding {
                socket,
                port: self.next_port,
                first: t,
                last_out: t,
                last_in: t,
                seen_reply: false,
                assured: false,
            });
            self.bindings.len() - 1
        });
        let model = self.model;
        let b = &mut self.bindings[i];
        b.last_out = t;
        Self::promote(&model, b, t);
        b.port
    }

    /// The socket an inbound packet to `port` reaches, if its binding is alive.
    fn inbound(&mut self, port: u16, t: Duration) -> Option<SocketId> {
        let i = (0..self.bindings.len())
            .find(|&i| self.bindings[i].port == port && self.alive(&self.bindings[i], t))?;
        let model = self.model;
        let b = &mut self.bindings[i];
        b.last_in = t;
        b.seen_reply = true;
        if model.inbound_promotes {
            Self::promote(&model, b, t);
        }
        Some(b.socket)
    }
}

#[derive(Debug)]
enum Ev {
    ToServer {
        from: SocketAddr,
        payload: Vec<u8>,
    },
    ToNat {
        port: u16,
        payload: Vec<u8>,
    },
    Request(RequestTag, Request),
    Reply(RequestTag, Reply),
    Fire {
        tag: RequestTag,
        sequence: u32,
        port: u16,
        nonce: String,
    },
}

struct Sim {
    nat: Nat,
    rng: SplitMix,
    /// Loss of callback datagrams.
    callback_loss: f64,
    /// From this time on, every callback datagram is lost (a path outage).
    blackout_from: Option<Duration>,
    /// The reflector does not answer STUN / SIP.
    mute: bool,
    /// The reflector schedules callbacks but never sends them (nor their events).
    never_fires: bool,
    /// Callback datagrams the reflector accepts (its per-session cap).
    callback_cap: u32,
    callbacks_planned: u32,
    queue: BTreeMap<(Duration, u64), Ev>,
    counter: u64,
    /// Send times of every client datagram.
    sends: Vec<Duration>,
    requests: Vec<(Duration, Request)>,
}

impl Sim {
    fn new(model: NatModel, seed: u64) -> Sim {
        Sim {
            nat: Nat {
                model,
                bindings: Vec::new(),
                next_port: 50_000,
            },
            rng: SplitMix::new(seed),
            callback_loss: 0.0,
            blackout_from: None,
            mute: false,
            never_fires: false,
            callback_cap: 512,
            callbacks_planned: 0,
            queue: BTreeMap::new(),
            counter: 0,
            sends: Vec::new(),
            requests: Vec::new(),
        }
    }

    fn schedule(&mut self, at: Duration, ev: Ev) {
        self.counter += 1;
        self.queue.insert((at, self.counter), ev);
    }

    fn client_send(&mut self, now: Duration, transmit: Transmit) {
        assert_eq!(transmit.destination, server());
        self.sends.push(now);
        let port = self.nat.outbound(transmit.socket, now);
        let from = SocketAddr::from((PUBLIC_IP, port));
        self.schedule(
            now + DATA_ONE_WAY,
            Ev::ToServer {
                from,
                payload: transmit.payload,
            },
        );
    }

    /// The reflector's STUN server or SIP mirror.
    fn server_receive(&mut self, now: Duration, from: SocketAddr, payload: Vec<u8>) {
        if self.mute {
            return;
        }
        let mut answer = Vec::new();
        if let Ok(message) = Message::parse(&payload) {
            binding_success(
                message.transaction_id(),
                &[Attribute::XorMappedAddress(from)],
                Seal::NONE,
                &mut answer,
            )
            .unwrap();
        } else {
            mirror_respond(
                &payload,
                from,
                SipTransport::Udp,
                |t| t == TOKEN,
                &mut answer,
            );
        }
        if !answer.is_empty() {
            self.schedule(
                now + DATA_ONE_WAY,
                Ev::ToNat {
                    port: from.port(),
                    payload: answer,
                },
            );
        }
    }

    fn server_request(&mut self, now: Duration, tag: RequestTag, request: Request) {
        self.requests.push((now, request.clone()));
        let Request::Callback {
            socket,
            port,
            delay_ms,
            count,
            every_ms,
            nonce,
        } = request
        else {
            panic!("unexpected request {request:?}");
        };
        assert!(socket == "stun-pp" || socket == "sip-udp-5060");
        assert!(control::valid_nonce(&nonce), "{nonce}");
        assert!(delay_ms <= 30 * 60 * 1000);
        assert!(count == 1 || every_ms >= 20);
        let reply = if self.callbacks_planned + count > self.callback_cap {
            Reply::Error {
                code: ErrorCode::Limit,
                message: format!("at most {} callback datagrams", self.callback_cap),
            }
        } else {
            self.callbacks_planned += count;
            if !self.never_fires {
                for sequence in 1..=count {
                    let at =
                        now + Duration::from_millis(delay_ms + every_ms * u64::from(sequence - 1));
                    self.schedule(
                        at,
                        Ev::Fire {
                            tag,
                            sequence,
                            port,
                            nonce: nonce.clone(),
                        },
                    );
                }
            }
            Reply::Answer(Answer::CallbackScheduled)
        };
        self.schedule(now + CONTROL_ONE_WAY, Ev::Reply(tag, reply));
    }

    fn fire(&mut self, now: Duration, tag: RequestTag, sequence: u32, port: u16, nonce: String) {
        let event = Event::CallbackSent {
            sequence,
            at_ms: now.as_millis() as u64,
        };
        self.schedule(now + CONTROL_ONE_WAY, Ev::Reply(tag, Reply::Event(event)));
        let blackout = self.blackout_from.is_some_and(|b| now >= b);
        if blackout || self.rng.chance(self.callback_loss) {
            return;
        }
        self.schedule(
            now + DATA_ONE_WAY,
            Ev::ToNat {
                port,
                payload: control::callback_payload(&nonce, sequence),
            },
        );
    }
}

/// Runs the machine to its report; also returns the simulated time it took.
fn run(test: &mut LifetimeTest, sim: &mut Sim) -> LifetimeReport {
    let t0 = Instant::now();
    for request in test.sockets() {
        let local = SocketAddr::from(([192, 168, 1, 20], 20_000 + request.id.0 as u16));
        test.bound(request.id, Some(local));
    }
    let mut now = Duration::ZERO;
    for _ in 0..5_000_000 {
        while let Some(transmit) = test.poll_transmit(t0 + now) {
            sim.client_send(now, transmit);
        }
        while let Some((tag, request)) = test.poll_request(t0 + now) {
            sim.schedule(now + CONTROL_ONE_WAY, Ev::Request(tag, request));
        }
        if let Some(report) = test.report() {
            return report;
        }
        let timer = test.poll_timeout().map(|t| t - t0);
        let event = sim.queue.keys().next().map(|&(at, _)| at);
        let take_event = match (timer, event) {
            (Some(timer), Some(event)) => event <= timer,
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (None, None) => panic!("the machine waits for nothing and has not reported"),
        };
        if !take_event {
            now = now.max(timer.expect("a timer"));
            test.handle_timeout(t0 + now);
            continue;
        }
        let ((at, _), ev) = sim.queue.pop_first().expect("an event");
        now = now.max(at);
        match ev {
            Ev::ToServer { from, payload } => sim.server_receive(now, from, payload),
            Ev::ToNat { port, payload } => {
                if let Some(socket) = sim.nat.inbound(port, now) {
                    test.handle_receive(t0 + now, socket, server(), &payload);
                }
            }
            Ev::Request(tag, request) => sim.server_request(now, tag, request),
            Ev::Reply(tag, reply) => test.handle_reply(t0 + now, tag, reply),
            Ev::Fire {
                tag,
                sequence,
                port,
                nonce,
            } => sim.fire(now, tag, sequence, port, nonce),
        }
        assert!(now < secs(3.0 * 3600.0), "runaway simulation");
    }
    panic!("the simulation did not end");
}

fn test_with(mode: Mode, primings: &[Priming]) -> LifetimeTest {
    LifetimeTest::new(LifetimeConfig {
        primings: primings.to_vec(),
        ..LifetimeConfig::stun(server(), mode)
    })
    .unwrap()
}

fn result(report: &LifetimeReport, priming: Priming) -> &PatternResult {
    report
        .patterns
        .iter()
        .find(|r| r.priming == priming)
        .unwrap_or_else(|| panic!("no {priming:?} in {report:#?}"))
}

/// Asserts an `Expired` bracket that contains `t` and whose midpoint is within ±(1 s + 10 %).
fn assert_brackets(r: &PatternResult, t: f64) {
    assert_eq!(r.outcome, LifetimeOutcome::Expired, "{r:#?}");
    let lower = r.lower_s.unwrap();
    let upper = r.upper_s.unwrap();
    assert!(
        lower <= t && t < upper,
        "{t} not in [{lower}, {upper}): {r:#?}"
    );
    let midpoint = (lower + upper) / 2.0;
    assert!((midpoint - t).abs() <= 1.0 + 0.1 * t, "{midpoint} vs {t}");
}

#[test]
fn one_shot_brackets_the_timeout_and_stops_early() {
    for t in [8.0, 30.0, 47.5, 95.0, 150.0] {
        let mut sim = Sim::new(NatModel::simple(t), 1);
        let report = run(&mut test_with(Mode::Quick, &[Priming::OneShot]), &mut sim);
        assert_brackets(result(&report, Priming::OneShot), t);
        assert!(
            report.elapsed_s <= 1.3 * t + 5.0,
            "T {t}: took {} s",
            report.elapsed_s
        );
        assert_eq!(report.control.missed, 0);
    }
}

#[test]
fn ten_percent_loss_gives_the_same_answer() {
    for t in [30.0, 70.0] {
        for seed in 1..=6 {
            let mut sim = Sim::new(NatModel::simple(t), seed);
            sim.callback_loss = 0.10;
            let primings = [Priming::OneShot, Priming::SipLike];
            let report = run(&mut test_with(Mode::Quick, &primings), &mut sim);
            for priming in primings {
                assert_brackets(result(&report, priming), t);
            }
            // The SIP-like priming adds its 2.5 s; a fourth miss may be needed on a lossy path.
            assert!(
                report.elapsed_s <= 1.3 * t + 5.0,
                "T {t}, seed {seed}: took {} s",
                report.elapsed_s
            );
        }
    }
}

#[test]
fn linux_conntrack_gives_each_priming_its_own_lifetime() {
    let mut sim = Sim::new(NatModel::linux(), 2);
    let report = run(&mut test_with(Mode::Quick, &Priming::ALL), &mut sim);
    // One request/response: the 30 s unreplied timer.
    assert_brackets(result(&report, Priming::OneShot), 30.0);
    // Two-way for 2.5 s: the 120 s stream timer.
    assert_brackets(result(&report, Priming::SipLike), 120.0);
    // Inbound callbacks every 15 s refresh it (and make it a stream): it is kept alive by
    // inbound traffic. (This used to wait for the top of the grid, lower_s >= 180 s; the test
    // now stops once the series clearly outlived the SIP-like lifetime.)
    let inbound = result(&report, Priming::InboundKeepalive);
    assert_eq!(
        inbound.outcome,
        LifetimeOutcome::LongerThanTested,
        "{inbound:#?}"
    );
    assert!(inbound.kept_alive_by_inbound, "{inbound:#?}");
    let sip_upper = result(&report, Priming::SipLike).upper_s.unwrap();
    assert!(inbound.lower_s.unwrap() > 1.2 * sip_upper, "{inbound:#?}");
    assert_eq!(report.inbound_refresh, Some(true));
    assert!(
        report.elapsed_s <= 1.3 * 120.0 + 5.0,
        "{}",
        report.elapsed_s
    );
    // The keepalive follows the shortest client-driven lifetime: 0.8 × ~30 s.
    assert_eq!(report.keepalive.based_on, Some(Priming::OneShot));
    let interval = report.keepalive.interval_s.unwrap();
    assert!((22.0..=24.0).contains(&interval), "{:?}", report.keepalive);
    assert!(report.keepalive.shorter_than_rfc5626);
    assert!(report.callbacks_planned <= DEFAULT_BUDGET);
}

#[test]
fn inbound_keepalives_that_do_not_refresh_are_found() {
    let primings = [Priming::OneShot, Priming::InboundKeepalive];
    let mut sim = Sim::new(NatModel::simple(60.0), 3);
    let report = run(&mut test_with(Mode::Quick, &primings), &mut sim);
    assert_brackets(result(&report, Priming::OneShot), 60.0);
    // Three phase-shifted series: 5 s resolution.
    let inbound = result(&report, Priming::InboundKeepalive);
    assert_eq!(inbound.outcome, LifetimeOutcome::Expired, "{inbound:#?}");
    let (lower, upper) = (inbound.lower_s.unwrap(), inbound.upper_s.unwrap());
    assert!(
        lower <= 60.0 && 60.0 < upper && upper - lower <= 10.5,
        "{inbound:#?}"
    );
    assert_eq!(report.inbound_refresh, Some(false));

    // The same NAT refreshing on inbound traffic: the series keeps it alive.
    let mut model = NatModel::simple(60.0);
    model.refresh_on_inbound = true;
    let mut sim = Sim::new(model, 3);
    let report = run(&mut test_with(Mode::Quick, &primings), &mut sim);
    let inbound = result(&report, Priming::InboundKeepalive);
    assert_eq!(inbound.outcome, LifetimeOutcome::LongerThanTested);
    assert_eq!(report.inbound_refresh, Some(true));
    assert!(inbound.kept_alive_by_inbound);
    // Without the SIP-like pattern nothing bounds the NAT's longer timer (an inbound callback
    // may have moved the binding to it): no early stop, the series runs to the top.
    assert!(inbound.lower_s.unwrap() >= 180.0, "{inbound:#?}");
}

#[test]
fn a_binding_outliving_the_grid_is_longer_than_tested() {
    let mut sim = Sim::new(NatModel::simple(1000.0), 4);
    let report = run(&mut test_with(Mode::Quick, &[Priming::OneShot]), &mut sim);
    let r = result(&report, Priming::OneShot);
    assert_eq!(r.outcome, LifetimeOutcome::LongerThanTested);
    assert!(r.lower_s.unwrap() >= 180.0);
    assert_eq!(report.keepalive.interval_s, Some(29.0));
    assert!(!report.keepalive.shorter_than_rfc5626);
    // It waited for the longest idle time, no longer.
    assert!(
        report.elapsed_s < report.grid.max_idle_s + 10.0,
        "{}",
        report.elapsed_s
    );
}

#[test]
fn full_mode_measures_long_timeouts() {
    let mut sim = Sim::new(NatModel::simple(600.0), 5);
    let report = run(&mut test_with(Mode::Full, &[Priming::OneShot]), &mut sim);
    assert_brackets(result(&report, Priming::OneShot), 600.0);
    assert!(
        report.elapsed_s <= 1.3 * 600.0 + 5.0,
        "{}",
        report.elapsed_s
    );
    assert_eq!(report.grid.max_idle_s, 1800.0);
}

#[test]
fn callbacks_lost_with_the_controls_are_inconclusive_never_expired() {
    // The binding lives 1000 s, but from 40 s on the path loses every callback, controls too.
    let mut sim = Sim::new(NatModel::simple(1000.0), 6);
    sim.blackout_from = Some(secs(40.0));
    let report = run(&mut test_with(Mode::Quick, &[Priming::OneShot]), &mut sim);
    let r = result(&report, Priming::OneShot);
    assert_eq!(r.outcome, LifetimeOutcome::Inconclusive, "{r:#?}");
    assert!(r.lower_s.unwrap() >= 35.0, "{r:#?}");
    assert!(r.explanation.contains("controls"), "{}", r.explanation);
    assert!(report.control.missed >= 2);
    assert_eq!(report.keepalive.interval_s, None);
}

#[test]
fn silence_without_callback_sent_is_never_a_miss() {
    let mut sim = Sim::new(NatModel::simple(30.0), 7);
    sim.never_fires = true;
    let report = run(&mut test_with(Mode::Quick, &[Priming::OneShot]), &mut sim);
    let r = result(&report, Priming::OneShot);
    assert_eq!(r.outcome, LifetimeOutcome::Inconclusive);
    assert_eq!(r.missed, 0);
    assert!(
        r.explanation.contains("ran out of time"),
        "{}",
        r.explanation
    );
}

#[test]
fn an_unanswering_reflector_is_inconclusive() {
    let mut sim = Sim::new(NatModel::simple(30.0), 8);
    sim.mute = true;
    let report = run(&mut test_with(Mode::Quick, &[Priming::OneShot]), &mut sim);
    let r = result(&report, Priming::OneShot);
    assert_eq!(r.outcome, LifetimeOutcome::Inconclusive);
    assert_eq!(r.sockets, 0);
    assert!(
        report
            .evidence
            .iter()
            .any(|e| e.contains("no answer to 4 requests")),
        "{:?}",
        report.evidence
    );
    // Every socket gives up after 0.5 + 1 + 2 + 4 s of retransmissions.
    assert!(report.elapsed_s < 20.0, "{}", report.elapsed_s);
}

#[test]
fn refused_callbacks_are_not_planned_and_the_rest_still_decides() {
    // The cap leaves the controls and the idle times up to ~40 s: enough for 30 s.
    let mut sim = Sim::new(NatModel::simple(30.0), 9);
    sim.callback_cap = 60;
    let report = run(&mut test_with(Mode::Quick, &[Priming::OneShot]), &mut sim);
    assert_brackets(result(&report, Priming::OneShot), 30.0);
    assert!(
        report
            .evidence
            .iter()
            .any(|e| e.contains("refused a callback")),
        "{:?}",
        report.evidence
    );
    assert!(
        report
            .timeline
            .iter()
            .any(|e| e.outcome == ProbeOutcome::NotPlanned)
    );

    // Not enough for a 100 s binding: received as far as scheduled is no "longer than".
    let mut sim = Sim::new(NatModel::simple(100.0), 9);
    sim.callback_cap = 60;
    let report = run(&mut test_with(Mode::Quick, &[Priming::OneShot]), &mut sim);
    let r = result(&report, Priming::OneShot);
    assert_eq!(r.outcome, LifetimeOutcome::Inconclusive, "{r:#?}");
    assert!(r.lower_s.unwrap() > 30.0 && r.lower_s.unwrap() < 100.0);
    assert_eq!(report.keepalive.interval_s, None);
}

#[test]
fn requests_carry_the_mapping_and_the_planned_idle_time() {
    let mut sim = Sim::new(NatModel::simple(30.0), 10);
    let mut test = test_with(Mode::Quick, &[Priming::OneShot]);
    let nonces: Vec<String> = test.requests.iter().map(|r| r.nonce.clone()).collect();
    run(&mut test, &mut sim);
    for (_, request) in &sim.requests {
        let Request::Callback {
            port,
            delay_ms,
            count,
            nonce,
            ..
        } = request
        else {
            unreachable!()
        };
        let r = &test.requests[nonces.iter().position(|n| n == nonce).unwrap()];
        let socket = &test.sockets[r.socket];
        assert_eq!(Some(*port), socket.mapped.map(|m| m.port()));
        assert_eq!(*count, 1);
        // Sent within one control round trip of the end of priming.
        let planned = r.offset.as_millis() as u64;
        assert!(
            *delay_ms <= planned && planned - delay_ms < 100,
            "{delay_ms} {planned}"
        );
    }
    // Nonces are unique and valid.
    let mut sorted = nonces.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), nonces.len());
}

#[test]
fn starts_are_paced_under_the_reflectors_rate_limit() {
    let mut sim = Sim::new(NatModel::linux(), 11);
    run(&mut test_with(Mode::Quick, &Priming::ALL), &mut sim);
    // At most the burst plus the rate (plus one socket's prepaid exchanges and the control's
    // keepalives) by any time t: below the reflector's 200 + 50/s.
    for (n, at) in sim.sends.iter().enumerate() {
        let allowed = PACE_BURST + PACE_RATE * at.as_secs_f64() + 6.0 + at.as_secs_f64() / 5.0;
        assert!((n as f64) < allowed + 1.0, "{n} sends by {at:?}");
        assert!(
            (n as f64) < 200.0 + 50.0 * at.as_secs_f64(),
            "{n} by {at:?}"
        );
    }
}

#[test]
fn sip_like_priming_exchanges_six_times_in_two_and_a_half_seconds() {
    let mut sim = Sim::new(NatModel::simple(20.0), 12);
    let mut test = test_with(Mode::Quick, &[Priming::SipLike]);
    run(&mut test, &mut sim);
    let socket = test
        .sockets
        .iter()
        .find(|s| s.group == Group::Pattern(Priming::SipLike))
        .unwrap();
    assert_eq!(socket.sent, 6);
    let primed = socket.primed_at.unwrap() - socket.first_answer.unwrap();
    // Five more exchanges 500 ms apart, plus the last answer's round trip.
    assert!(primed >= secs(2.5) && primed < secs(2.6), "{primed:?}");
}

#[test]
fn a_run_on_the_sip_port_uses_the_mirror() {
    let mut sim = Sim::new(NatModel::linux(), 13);
    let mut config = LifetimeConfig::sip(server(), TOKEN, Mode::Quick);
    config.primings = vec![Priming::OneShot, Priming::SipLike];
    let report = run(&mut LifetimeTest::new(config).unwrap(), &mut sim);
    assert_eq!(report.socket, "sip-udp-5060");
    assert_brackets(result(&report, Priming::OneShot), 30.0);
    assert_brackets(result(&report, Priming::SipLike), 120.0);
}

#[test]
fn a_callback_on_the_wrong_socket_is_no_hit() {
    let mut test = test_with(Mode::Quick, &[Priming::OneShot]);
    let t0 = Instant::now();
    let meant_for = test.sockets.len() - 1;
    let nonce = test.requests[test.sockets[meant_for].requests[0]]
        .nonce
        .clone();
    let payload = control::callback_payload(&nonce, 1);
    test.handle_receive(t0, SocketId(1), server(), &payload);
    let p = test.requests[test.sockets[meant_for].requests[0]].probes[0];
    assert_eq!(test.probes[p].state, ProbeState::Pending);
    assert!(test.evidence[0].contains("reused the public port"));
    test.handle_receive(t0, SocketId(meant_for as u32), server(), &payload);
    assert_eq!(test.probes[p].state, ProbeState::Received);
}

#[test]
fn an_other_public_ip_is_reported_not_missed() {
    let mut sim = Sim::new(NatModel::simple(30.0), 14);
    let mut config = LifetimeConfig::stun(server(), Mode::Quick);
    config.primings = vec![Priming::OneShot];
    config.observed_ip = Some([203, 0, 113, 99].into());
    let report = run(&mut LifetimeTest::new(config).unwrap(), &mut sim);
    assert_eq!(report.patterns[0].outcome, LifetimeOutcome::Inconclusive);
    assert!(
        report
            .evidence
            .iter()
            .any(|e| e.contains("several public IPs"))
    );
}

#[test]
fn the_report_round_trips_through_json() {
    let mut sim = Sim::new(NatModel::linux(), 15);
    let primings = [Priming::OneShot, Priming::SipLike];
    let report = run(&mut test_with(Mode::Quick, &primings), &mut sim);
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"priming\":\"one_shot\""), "{json}");
    assert!(json.contains("\"outcome\":\"expired\""));
    // Compared as JSON values: serde_json parses long decimals to within an ulp, not always
    // exactly, so the struct may differ in the last bit while the document is the same.
    let back: LifetimeReport = serde_json::from_str(&json).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), value);
    assert_eq!(back.patterns.len(), report.patterns.len());
    // A report from before `kept_alive_by_inbound` still reads.
    let older = json.replace(",\"kept_alive_by_inbound\":false", "");
    assert!(!older.contains("kept_alive_by_inbound"), "{older}");
    let back: LifetimeReport = serde_json::from_str(&older).unwrap();
    assert!(back.patterns.iter().all(|p| !p.kept_alive_by_inbound));
}

#[test]
fn keepalive_advice_follows_rfc_5626_and_the_measurement() {
    let result = |priming, outcome, lower: Option<f64>| PatternResult {
        priming,
        outcome,
        lower_s: lower,
        upper_s: None,
        sockets: 1,
        received: 1,
        missed: 0,
        losses: 0,
        decided_after_s: None,
        explanation: String::new(),
        kept_alive_by_inbound: false,
    };
    use LifetimeOutcome::*;
    use Priming::*;
    // Long bindings: the RFC 5626 default suffices.
    let a = keepalive_advice(&[result(OneShot, Expired, Some(118.0))]);
    assert_eq!((a.interval_s, a.shorter_than_rfc5626), (Some(29.0), false));
    // 32 s: 25 s keepalives, inside RFC 5626's range but not all of it.
    let a = keepalive_advice(&[result(OneShot, Expired, Some(32.0))]);
    assert_eq!((a.interval_s, a.shorter_than_rfc5626), (Some(25.0), true));
    // 20 s: 16 s, below RFC 5626.
    let a = keepalive_advice(&[
        result(OneShot, Expired, Some(20.0)),
        result(SipLike, Expired, Some(118.0)),
    ]);
    assert_eq!(a.interval_s, Some(16.0));
    assert_eq!(a.based_on, Some(OneShot));
    assert!(a.explanation.contains("shorter than RFC 5626"));
    // The inbound pattern does not decide a client-sent keepalive.
    let a = keepalive_advice(&[
        result(InboundKeepalive, Expired, Some(10.0)),
        result(OneShot, LongerThanTested, Some(180.0)),
    ]);
    assert_eq!(a.interval_s, Some(29.0));
    // Nothing measured: no advice.
    assert_eq!(
        keepalive_advice(&[result(OneShot, Inconclusive, None)]).interval_s,
        None
    );
}

/// The lifetime of the longest-lived client-driven binding under `model`, and the model.
fn inbound_refresh_nats() -> [(&'static str, NatModel, f64); 3] {
    let mut simple = NatModel::simple(20.0);
    simple.refresh_on_inbound = true;
    [
        // The network-namespace lab: conntrack 12 s unreplied, 36 s assured.
        ("linux 12/36", NatModel::linux_with(12.0, 36.0), 36.0),
        ("linux 30/120", NatModel::linux(), 120.0),
        ("one 20 s timer", simple, 20.0),
    ]
}

#[test]
fn inbound_refresh_ends_the_test_as_soon_as_it_is_clear() {
    for (name, model, longest) in inbound_refresh_nats() {
        let mut sim = Sim::new(model, 21);
        let report = run(&mut test_with(Mode::Quick, &Priming::ALL), &mut sim);
        let inbound = result(&report, Priming::InboundKeepalive);
        assert_eq!(
            inbound.outcome,
            LifetimeOutcome::LongerThanTested,
            "{name}: {inbound:#?}"
        );
        assert!(inbound.kept_alive_by_inbound, "{name}: {inbound:#?}");
        assert!(
            inbound
                .explanation
                .contains("kept alive by inbound traffic"),
            "{}",
            inbound.explanation
        );
        let upper = [Priming::OneShot, Priming::SipLike]
            .map(|p| result(&report, p).upper_s.unwrap())
            .into_iter()
            .fold(0.0, f64::max);
        let lower = inbound.lower_s.unwrap();
        assert!(
            lower > 1.2 * upper && lower >= upper + 5.0,
            "{name}: {lower} vs {upper}"
        );
        // The socket that expired before its first callback is no loss.
        assert_eq!(inbound.losses, 0, "{name}: {inbound:#?}");
        assert_eq!(report.inbound_refresh, Some(true), "{name}");
        // The product's target, far below the grid's top.
        assert!(
            report.elapsed_s <= 1.3 * longest + 5.0,
            "{name}: took {} s",
            report.elapsed_s
        );
        // The report comes with the last verdict: nothing else (pacing, control keepalives,
        // callbacks still planned) holds the end back.
        let last = report
            .patterns
            .iter()
            .map(|p| p.decided_after_s.unwrap())
            .fold(0.0, f64::max);
        assert_eq!(report.elapsed_s, last, "{name}");
        assert!(
            report
                .timeline
                .iter()
                .any(|e| e.outcome == ProbeOutcome::Pending),
            "{name}: planned callbacks are not waited for"
        );
    }
    // The lab's own numbers: 12 s and 36 s, in ≤ 1.3 × 36 + 5 s (it took 205 s before).
    let mut sim = Sim::new(NatModel::linux_with(12.0, 36.0), 22);
    let report = run(&mut test_with(Mode::Quick, &Priming::ALL), &mut sim);
    assert_brackets(result(&report, Priming::OneShot), 12.0);
    assert_brackets(result(&report, Priming::SipLike), 36.0);
    assert!(report.elapsed_s <= 1.3 * 36.0 + 5.0, "{}", report.elapsed_s);
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"kept_alive_by_inbound\":true"), "{json}");
}

#[test]
fn inbound_refresh_is_found_on_a_lossy_path() {
    // A socket of the series that expired before its first callback used to join two
    // ordinary losses into a "run of misses": a false expiry (inbound_refresh false) in half
    // of these runs.
    for seed in 1..=8 {
        let mut sim = Sim::new(NatModel::linux_with(12.0, 36.0), seed);
        sim.callback_loss = 0.10;
        let report = run(&mut test_with(Mode::Quick, &Priming::ALL), &mut sim);
        assert_brackets(result(&report, Priming::OneShot), 12.0);
        assert_brackets(result(&report, Priming::SipLike), 36.0);
        let inbound = result(&report, Priming::InboundKeepalive);
        assert!(inbound.kept_alive_by_inbound, "seed {seed}: {inbound:#?}");
        assert_eq!(report.inbound_refresh, Some(true), "seed {seed}");
        // A lost callback of the survivor costs one step of the series (5 s).
        assert!(
            report.elapsed_s <= 1.3 * 36.0 + 5.0 + 5.0,
            "seed {seed}: took {} s",
            report.elapsed_s
        );
    }
}

#[test]
fn without_inbound_refresh_the_series_expires_like_one_shot_and_the_test_ends_early() {
    // Linux-like timers, but inbound packets neither refresh a binding nor promote it: the
    // series lives on the one-shot's 12 s timer.
    let mut model = NatModel::linux_with(12.0, 36.0);
    model.refresh_on_inbound = false;
    model.inbound_promotes = false;
    for (seed, loss) in [(1, 0.0), (2, 0.0), (3, 0.10), (4, 0.10)] {
        let mut sim = Sim::new(model, seed);
        sim.callback_loss = loss;
        let report = run(&mut test_with(Mode::Quick, &Priming::ALL), &mut sim);
        assert_brackets(result(&report, Priming::OneShot), 12.0);
        assert_brackets(result(&report, Priming::SipLike), 36.0);
        let inbound = result(&report, Priming::InboundKeepalive);
        assert_eq!(inbound.outcome, LifetimeOutcome::Expired, "{inbound:#?}");
        let (lower, upper) = (inbound.lower_s.unwrap(), inbound.upper_s.unwrap());
        assert!(
            lower <= 12.0 && 12.0 < upper && upper <= 30.1,
            "{inbound:#?}"
        );
        assert!(!inbound.kept_alive_by_inbound);
        assert_eq!(report.inbound_refresh, Some(false));
        assert!(
            report.elapsed_s <= 1.3 * 36.0 + 5.0,
            "seed {seed}: took {} s",
            report.elapsed_s
        );
    }
}

#[test]
fn inbound_promotion_without_refresh_is_not_taken_for_refresh() {
    // The first callback moves the series' bindings to the 36 s timer, but inbound packets
    // do not refresh it: they live 36 s, like the SIP-like ones — no early stop on refresh.
    let mut model = NatModel::linux_with(12.0, 36.0);
    model.refresh_on_inbound = false;
    let mut sim = Sim::new(model, 23);
    let report = run(&mut test_with(Mode::Quick, &Priming::ALL), &mut sim);
    let inbound = result(&report, Priming::InboundKeepalive);
    assert_eq!(inbound.outcome, LifetimeOutcome::Expired, "{inbound:#?}");
    let (lower, upper) = (inbound.lower_s.unwrap(), inbound.upper_s.unwrap());
    assert!(lower <= 36.0 && 36.0 < upper, "{inbound:#?}");
    assert_eq!(report.inbound_refresh, Some(false));
    // Two live sockets of the series, each 15 s apart: three misses take up to 20 s past the
    // lifetime (56 s here), still far from the grid's 208 s.
    assert!(report.elapsed_s < 60.0, "{}", report.elapsed_s);
}

#[test]
fn bindings_outliving_the_grid_still_run_to_its_top() {
    let mut model = NatModel::simple(1000.0);
    model.refresh_on_inbound = true;
    let mut sim = Sim::new(model, 24);
    let report = run(&mut test_with(Mode::Quick, &Priming::ALL), &mut sim);
    for r in &report.patterns {
        assert_eq!(r.outcome, LifetimeOutcome::LongerThanTested, "{r:#?}");
        assert!(r.lower_s.unwrap() >= 180.0, "{r:#?}");
        assert!(!r.kept_alive_by_inbound);
    }
    // Nothing expired, so nothing tells what inbound traffic does.
    assert_eq!(report.inbound_refresh, None);
    assert!(
        report.elapsed_s >= report.grid.max_idle_s
            && report.elapsed_s < report.grid.max_idle_s + 15.0,
        "{}",
        report.elapsed_s
    );
}
