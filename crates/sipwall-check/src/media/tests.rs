//! The media machine against a simulated RTP echo: a reflector that behaves like
//! `sipwall serve`'s (echo to the first source, `ReceiverStats` on the way in, `media_stats` at
//! the end or on `media_stop`), behind links with set loss, delay and jitter drawn from a seeded
//! generator, on a virtual clock.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sipwall_proto::control::{Answer, ErrorCode, Event, MediaStream, Request};
use sipwall_proto::rtp::ReceiverStats;

use super::*;
use crate::sansio::{Machine, Reply, RequestTag, SocketId, Transmit};

/// SplitMix64: a small seeded generator, so every simulated loss and delay replays exactly.
/// Shared with the lifetime tests.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

const SERVER_IP: [u8; 4] = [198, 51, 100, 10];
const PUBLIC_IP: [u8; 4] = [203, 0, 113, 5];
const FIRST_ECHO_PORT: u16 = 46_000;
const FIRST_PUBLIC_PORT: u16 = 40_000;
const CONTROL_DELAY: Duration = Duration::from_millis(15);

#[derive(Debug, Clone, Copy)]
enum Loss {
    Random(f64),
    /// Gilbert model: `enter` = P(lose | previous arrived), `leave` = P(arrive | previous lost).
    Bursty {
        enter: f64,
        leave: f64,
    },
}

/// One direction of the simulated path.
#[derive(Debug, Clone, Copy)]
struct Link {
    loss: Loss,
    delay: Duration,
    /// Each packet gets an extra delay uniform in [0, jitter).
    jitter: Duration,
}

impl Link {
    fn clean(delay_ms: u64) -> Link {
        Link {
            loss: Loss::Random(0.0),
            delay: Duration::from_millis(delay_ms),
            jitter: Duration::ZERO,
        }
    }
}

/// Per-direction state of the loss model.
#[derive(Default)]
struct LinkState {
    in_burst: bool,
}

impl LinkState {
    /// The delay of a packet entering the link, or `None` if it is lost.
    fn carry(&mut self, link: &Link, rng: &mut SplitMix) -> Option<Duration> {
        let lost = match link.loss {
            Loss::Random(p) => rng.chance(p),
            Loss::Bursty { enter, leave } => {
                self.in_burst = if self.in_burst {
                    !rng.chance(leave)
                } else {
                    rng.chance(enter)
                };
                self.in_burst
            }
        };
        (!lost).then(|| link.delay + link.jitter.mul_f64(rng.unit()))
    }
}

#[derive(Debug)]
enum Ev {
    Request(RequestTag, Request),
    Reply(RequestTag, Reply),
    ToServer {
        port: u16,
        from: SocketAddr,
        payload: Vec<u8>,
    },
    ToClient {
        socket: SocketId,
        from: SocketAddr,
        payload: Vec<u8>,
    },
    ServerEnd,
}

struct EchoStream {
    port: u16,
    stats: ReceiverStats,
    source: Option<SocketAddr>,
    echoed: u64,
    foreign: u64,
}

/// The reflector's media service and the network in between.
struct Sim {
    rng: SplitMix,
    up: Link,
    down: Link,
    up_state: LinkState,
    down_state: LinkState,
    /// The TOS byte the reflector's kernel reports (None: not available).
    tos_seen: Option<u8>,
    /// Never answers the media request.
    silent: bool,
    /// Answers `media_ready` but never reports statistics.
    no_stats: bool,
    streams: Vec<EchoStream>,
    server_start: Duration,
    media_tag: Option<RequestTag>,
    reported: bool,
    queue: BTreeMap<(Duration, u64), Ev>,
    counter: u64,
    /// Every transmit with its virtual time.
    sent: Vec<(Duration, Transmit)>,
}

impl Sim {
    fn new(seed: u64, up: Link, down: Link) -> Sim {
        Sim {
            rng: SplitMix::new(seed),
            up,
            down,
            up_state: LinkState::default(),
            down_state: LinkState::default(),
            tos_seen: Some(0xB8),
            silent: false,
            no_stats: false,
            streams: Vec::new(),
            server_start: Duration::ZERO,
            media_tag: None,
            reported: false,
            queue: BTreeMap::new(),
            counter: 0,
            sent: Vec::new(),
        }
    }

    fn schedule(&mut self, at: Duration, ev: Ev) {
        self.counter += 1;
        self.queue.insert((at, self.counter), ev);
    }

    fn uplink(&mut self, now: Duration, transmit: Transmit) {
        self.sent.push((now, transmit.clone()));
        assert_eq!(transmit.destination.ip(), IpAddr::from(SERVER_IP));
        let from = SocketAddr::from((PUBLIC_IP, FIRST_PUBLIC_PORT + transmit.socket.0 as u16));
        if let Some(delay) = self.up_state.carry(&self.up, &mut self.rng) {
            self.schedule(
                now + delay,
                Ev::ToServer {
                    port: transmit.destination.port(),
                    from,
                    payload: transmit.payload,
                },
            );
        }
    }

    fn on_request(&mut self, now: Duration, tag: RequestTag, request: Request) {
        match request {
            Request::Media {
                streams,
                duration_ms,
                clock_rate,
            } => {
                if self.silent {
                    return;
                }
                assert_eq!(clock_rate, 8000);
                self.media_tag = Some(tag);
                self.server_start = now;
                self.streams = (0..streams as u16)
                    .map(|i| EchoStream {
                        port: FIRST_ECHO_PORT + i,
                        stats: ReceiverStats::new(clock_rate, Duration::from_secs(1)),
                        source: None,
                        echoed: 0,
                        foreign: 0,
                    })
                    .collect();
                let ports = self.streams.iter().map(|s| s.port).collect();
                self.schedule(
                    now + CONTROL_DELAY,
                    Ev::Reply(tag, Reply::Answer(Answer::MediaReady { ports })),
                );
                self.schedule(now + Duration::from_millis(duration_ms), Ev::ServerEnd);
            }
            Request::MediaStop { media } => {
                // The machine puts the media request's tag here; the driver maps it to the
                // protocol id. In this simulation tags are the ids.
                let media_tag = self.media_tag.expect("stop after media");
                assert_eq!(media, u64::from(media_tag.0));
                self.schedule(
                    now + CONTROL_DELAY,
                    Ev::Reply(tag, Reply::Answer(Answer::MediaStopping)),
                );
                self.end(now);
            }
            other => panic!("unexpected request {other:?}"),
        }
    }

    /// Ends the echo and reports, once.
    fn end(&mut self, now: Duration) {
        if self.reported || self.no_stats {
            return;
        }
        self.reported = true;
        let streams = self
            .streams
            .iter()
            .map(|s| MediaStream {
                port: s.port,
                source: s.source,
                echoed: s.echoed,
                foreign_source: s.foreign,
                report: s.stats.report(),
            })
            .collect();
        let tag = self.media_tag.expect("a media session");
        self.schedule(
            now + CONTROL_DELAY,
            Ev::Reply(tag, Reply::Event(Event::MediaStats { streams })),
        );
    }

    fn on_server_receive(&mut self, now: Duration, port: u16, from: SocketAddr, payload: Vec<u8>) {
        if self.reported {
            return; // the echo socket is closed
        }
        let arrival = now - self.server_start;
        let tos = self.tos_seen;
        let Some(stream) = self.streams.iter_mut().find(|s| s.port == port) else {
            return;
        };
        if stream.source.is_some_and(|s| s != from) {
            stream.foreign += 1;
            return;
        }
        if stream.stats.on_datagram(&payload, arrival, tos).is_err() {
            return;
        }
        stream.source = Some(from);
        stream.echoed += 1;
        let socket = SocketId(u32::from(from.port() - FIRST_PUBLIC_PORT));
        let echo_from = SocketAddr::from((SERVER_IP, port));
        if let Some(delay) = self.down_state.carry(&self.down, &mut self.rng) {
            self.schedule(
                now + delay,
                Ev::ToClient {
                    socket,
                    from: echo_from,
                    payload,
                },
            );
        }
    }
}

/// Drives `machine` against `sim` on a virtual clock until it reports.
fn run(machine: &mut MediaTest, sim: &mut Sim) -> MediaReport {
    let t0 = Instant::now();
    for request in machine.sockets() {
        let local = SocketAddr::from(([192, 168, 1, 20], 30_000 + request.id.0 as u16));
        machine.bound(request.id, Some(local));
    }
    let mut now = Duration::ZERO;
    for _ in 0..10_000_000 {
        while let Some(transmit) = machine.poll_transmit(t0 + now) {
            sim.uplink(now, transmit);
        }
        while let Some((tag, request)) = machine.poll_request(t0 + now) {
            sim.schedule(now + CONTROL_DELAY, Ev::Request(tag, request));
        }
        if let Some(report) = machine.report() {
            return report;
        }
        let timer = machine.poll_timeout().map(|t| t - t0);
        let event = sim.queue.keys().next().map(|&(at, _)| at);
        match (timer, event) {
            (Some(timer), Some(event)) if timer < event => {
                now = now.max(timer);
                machine.handle_timeout(t0 + now);
            }
            (Some(timer), None) => {
                now = now.max(timer);
                machine.handle_timeout(t0 + now);
            }
            (_, Some(_)) => {
                let ((at, _), ev) = sim.queue.pop_first().expect("an event");
                now = now.max(at);
                match ev {
                    Ev::Request(tag, request) => sim.on_request(now, tag, request),
                    Ev::Reply(tag, reply) => machine.handle_reply(t0 + now, tag, reply),
                    Ev::ToServer {
                        port,
                        from,
                        payload,
                    } => sim.on_server_receive(now, port, from, payload),
                    Ev::ToClient {
                        socket,
                        from,
                        payload,
                    } => machine.handle_receive(t0 + now, socket, from, &payload),
                    Ev::ServerEnd => sim.end(now),
                }
            }
            (None, None) => panic!("the machine waits for nothing and has not reported"),
        }
    }
    panic!("the simulation did not end");
}

fn config(streams: u32, seconds: u64) -> MediaConfig {
    MediaConfig {
        streams,
        duration: Duration::from_secs(seconds),
        ..MediaConfig::new(IpAddr::from(SERVER_IP))
    }
}

fn machine(config: MediaConfig) -> MediaTest {
    // Fixed identifiers close to the 16-bit wrap, so every run crosses it.
    let ids = (0..config.streams)
        .map(|i| StreamIds {
            ssrc: 0x5157_0000 + i,
            first_seq: 65_500,
        })
        .collect();
    MediaTest::with_ids(config, ids).unwrap()
}

fn only_stream(report: &MediaReport) -> &StreamResult {
    assert_eq!(report.streams.len(), 1);
    &report.streams[0]
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn a_clean_path_scores_a_perfect_call() {
    let mut sim = Sim::new(1, Link::clean(20), Link::clean(20));
    let report = run(&mut machine(config(1, 10)), &mut sim);
    assert_eq!(report.outcome, StreamOutcome::Measured, "{report:#?}");
    let s = only_stream(&report);
    assert_eq!(s.packets_sent, 500);
    assert_eq!(s.late_sends, 0);
    let up = s.upstream.as_ref().unwrap();
    let down = s.downstream.as_ref().unwrap();
    assert_eq!((up.packets_received, up.packets_lost), (500, 0));
    assert_eq!((down.packets_sent, down.packets_lost), (500, 0));
    assert_eq!(s.round_trip.rtt_p50_ms, Some(40.0));
    assert_eq!(s.round_trip.rtt_p95_ms, Some(40.0));
    // Ta = 20 + 0 + 20 ms: no delay impairment, no loss: R = 93.2, MOS 4.41.
    for direction in [up, down] {
        let score = direction.score.unwrap();
        assert_eq!(direction.one_way_delay_ms, Some(40.0));
        assert!(close(score.r, 93.2, 1e-9), "{score:?}");
        assert!(close(score.mos, 4.41, 0.005), "{score:?}");
    }
    assert_eq!(s.dscp.status, DscpStatus::Kept);
    assert_eq!(
        s.public,
        Some(SocketAddr::from((PUBLIC_IP, FIRST_PUBLIC_PORT)))
    );
    // Per-second series from both ends, ~10 buckets each.
    assert!(
        (10..=11).contains(&s.series.upstream.len()),
        "{:?}",
        s.series
    );
    assert!((10..=11).contains(&s.series.round_trip.len()));
    assert_eq!(report.upstream_mos_min, Some(up.score.unwrap().mos));
    // Stop after the last packet + 1 s, stats one control round trip later.
    assert!(
        report.elapsed_ms < 10_000 + 1_000 + 200,
        "{}",
        report.elapsed_ms
    );
}

#[test]
fn loss_is_split_per_direction_and_counted_in_percent() {
    let up = Link {
        loss: Loss::Random(0.02),
        delay: Duration::from_millis(30),
        jitter: Duration::from_millis(6),
    };
    let down = Link {
        loss: Loss::Random(0.01),
        ..up
    };
    let mut sim = Sim::new(7, up, down);
    let report = run(&mut machine(config(1, 60)), &mut sim);
    let s = only_stream(&report);
    assert_eq!(s.outcome, StreamOutcome::Measured);
    let up = s.upstream.as_ref().unwrap();
    let down = s.downstream.as_ref().unwrap();
    // 3000 packets: 2 % ± 3 σ and 1 % ± 3 σ, in percent (not fractions).
    assert!((1.2..=2.8).contains(&up.loss_percent), "{up:?}");
    assert!((0.45..=1.55).contains(&down.loss_percent), "{down:?}");
    assert_eq!(
        down.packets_sent, up.packets_received,
        "echoed = received upstream"
    );
    assert_eq!(
        s.round_trip.packets_lost,
        up.packets_lost + down.packets_lost
    );
    // Random loss: the burst ratio stays ~1.
    assert!(up.burst_ratio < 1.3, "{up:?}");
    // R follows the measured loss through Ie,eff = 95·Ppl/(Ppl/BurstR + 25.1); the delay is
    // far below 100 ms so Idd = 0.
    for d in [up, down] {
        let ie_eff = 95.0 * d.loss_percent / (d.loss_percent / d.burst_ratio + 25.1);
        let score = d.score.unwrap();
        assert!(close(score.r, 93.2 - ie_eff, 1e-9), "{d:?}");
    }
    let up_mos = up.score.unwrap().mos;
    let down_mos = down.score.unwrap().mos;
    assert!((4.15..=4.35).contains(&up_mos), "{up_mos}");
    assert!(down_mos > up_mos, "less loss downstream, better score");
    // Uniform 0–6 ms extra delay per packet: RFC 3550 jitter of ~2 ms per direction.
    let up_jitter = up.jitter_ms.unwrap();
    assert!((1.0..=3.0).contains(&up_jitter), "{up_jitter}");
    assert_eq!(down.jitter_basis, JitterBasis::EstimatedFromRoundTrip);
    let down_jitter = down.jitter_ms.unwrap();
    assert!((1.0..=3.5).contains(&down_jitter), "{down_jitter}");
    assert!(s.round_trip.jitter_ms > up_jitter);
    let (p50, p95) = (
        s.round_trip.rtt_p50_ms.unwrap(),
        s.round_trip.rtt_p95_ms.unwrap(),
    );
    assert!(
        (63.0..=69.0).contains(&p50) && p95 > p50 && p95 <= 72.0,
        "{p50} {p95}"
    );
}

#[test]
fn bursty_loss_raises_the_burst_ratio() {
    // Mean burst 4 packets, ~2 % loss.
    let up = Link {
        loss: Loss::Bursty {
            enter: 0.005,
            leave: 0.25,
        },
        ..Link::clean(20)
    };
    let mut sim = Sim::new(3, up, Link::clean(20));
    let report = run(&mut machine(config(1, 60)), &mut sim);
    let up = only_stream(&report).upstream.as_ref().unwrap();
    assert_eq!(up.burst_basis, BurstBasis::RoundTripPattern);
    assert!(up.burst_ratio > 2.5, "{up:?}");
    assert!(up.max_burst_lost.unwrap() >= 4);
    // The same loss rate at random would have scored better.
    let random = emodel::effective_equipment_impairment(emodel::G711_PLC, up.loss_percent, 1.0);
    assert!(up.score.unwrap().loss_impairment > random);
}

#[test]
fn dscp_kept_bleached_remarked_or_unknown() {
    for (seen, status) in [
        (Some(0xB8), DscpStatus::Kept),
        (Some(0x00), DscpStatus::Bleached),
        (Some(0x28), DscpStatus::Remarked),
        (None, DscpStatus::Unknown),
    ] {
        let mut sim = Sim::new(5, Link::clean(10), Link::clean(10));
        sim.tos_seen = seen;
        let report = run(&mut machine(config(1, 2)), &mut sim);
        let dscp = &only_stream(&report).dscp;
        assert_eq!(dscp.status, status, "{seen:?}");
        assert_eq!(dscp.requested, 46);
        assert_eq!(report.tos_requested, 0xB8);
    }
    let unmarked = MediaConfig {
        dscp: 0,
        ..config(1, 2)
    };
    let test = machine(unmarked.clone());
    assert_eq!(test.sockets()[0].tos, None);
    let mut sim = Sim::new(5, Link::clean(10), Link::clean(10));
    let report = run(&mut machine(unmarked), &mut sim);
    assert_eq!(only_stream(&report).dscp.status, DscpStatus::NotRequested);
    assert_eq!(machine(config(2, 2)).sockets()[1].tos, Some(0xB8));
}

#[test]
fn nothing_upstream_is_upstream_blocked() {
    let blocked = Link {
        loss: Loss::Random(1.0),
        ..Link::clean(20)
    };
    let mut sim = Sim::new(9, blocked, Link::clean(20));
    let report = run(&mut machine(config(1, 3)), &mut sim);
    assert_eq!(report.outcome, StreamOutcome::UpstreamBlocked);
    let s = only_stream(&report);
    assert!(s.evidence[0].contains("received none"), "{:?}", s.evidence);
    assert_eq!(s.upstream.as_ref().unwrap().loss_percent, 100.0);
    assert!(
        s.downstream.is_none(),
        "nothing echoed: downstream untested"
    );
}

#[test]
fn echoes_that_never_return_are_downstream_blocked() {
    let blocked = Link {
        loss: Loss::Random(1.0),
        ..Link::clean(20)
    };
    let mut sim = Sim::new(9, Link::clean(20), blocked);
    let report = run(&mut machine(config(1, 3)), &mut sim);
    assert_eq!(report.outcome, StreamOutcome::DownstreamBlocked);
    let s = only_stream(&report);
    let down = s.downstream.as_ref().unwrap();
    assert_eq!(down.loss_percent, 100.0);
    assert!(down.score.is_none(), "no RTT, no delay, no score");
    assert_eq!(s.upstream.as_ref().unwrap().loss_percent, 0.0);
}

#[test]
fn a_silent_reflector_is_inconclusive_never_blocked() {
    let mut sim = Sim::new(2, Link::clean(20), Link::clean(20));
    sim.silent = true;
    let report = run(&mut machine(config(1, 3)), &mut sim);
    assert_eq!(report.outcome, StreamOutcome::Inconclusive);
    assert!(report.evidence[0].contains("no media_ready"), "{report:?}");

    // Ready, but the echo is dropped and no statistics ever come.
    let blocked = Link {
        loss: Loss::Random(1.0),
        ..Link::clean(20)
    };
    let mut sim = Sim::new(2, blocked, Link::clean(20));
    sim.no_stats = true;
    let report = run(&mut machine(config(1, 3)), &mut sim);
    assert_eq!(report.outcome, StreamOutcome::Inconclusive);
    assert!(report.evidence[0].contains("no media_stats"), "{report:?}");

    // Echoes but no statistics: round trip only.
    let mut sim = Sim::new(2, Link::clean(20), Link::clean(20));
    sim.no_stats = true;
    let report = run(&mut machine(config(1, 3)), &mut sim);
    assert_eq!(report.outcome, StreamOutcome::RoundTripOnly);
    assert_eq!(only_stream(&report).round_trip.rtt_p50_ms, Some(40.0));
}

#[test]
fn a_refused_media_request_ends_the_test_with_the_reason() {
    let mut test = machine(config(1, 3));
    let t0 = Instant::now();
    let (tag, request) = test.poll_request(t0).unwrap();
    assert_eq!(tag, MEDIA_TAG);
    assert_eq!(
        request,
        Request::Media {
            streams: 1,
            duration_ms: 4000,
            clock_rate: 8000
        }
    );
    test.handle_reply(
        t0,
        tag,
        Reply::Error {
            code: ErrorCode::Limit,
            message: "at most 8 media streams".into(),
        },
    );
    let report = test.report().unwrap();
    assert_eq!(report.outcome, StreamOutcome::Inconclusive);
    assert!(report.evidence[0].contains("at most 8"));
}

#[test]
fn packets_leave_exactly_every_20_ms_with_consecutive_numbers() {
    let mut sim = Sim::new(4, Link::clean(20), Link::clean(20));
    let report = run(&mut machine(config(2, 2)), &mut sim);
    assert_eq!(report.outcome, StreamOutcome::Measured);
    for socket in [SocketId(0), SocketId(1)] {
        let sent: Vec<_> = sim
            .sent
            .iter()
            .filter(|(_, t)| t.socket == socket)
            .collect();
        assert_eq!(sent.len(), 100);
        let start = sent[0].0;
        for (k, (at, transmit)) in sent.iter().enumerate() {
            assert_eq!(*at - start, PTIME * k as u32, "packet {k}");
            let p = &transmit.payload;
            assert_eq!(p.len(), 172);
            assert_eq!((p[0], p[1]), (0x80, 0), "RTP v2, PT 0");
            let seq = u16::from_be_bytes([p[2], p[3]]);
            let ts = u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
            let ssrc = u32::from_be_bytes([p[8], p[9], p[10], p[11]]);
            assert_eq!(seq, 65_500u16.wrapping_add(k as u16), "wraps at 65535");
            assert_eq!(ts, 160 * k as u32);
            assert_eq!(ssrc, 0x5157_0000 + socket.0);
            assert_eq!(
                transmit.destination.port(),
                FIRST_ECHO_PORT + socket.0 as u16
            );
        }
    }
}

#[test]
fn a_late_driver_catches_up_without_shifting_the_slots() {
    let mut test = machine(config(1, 1));
    let t0 = Instant::now();
    test.bound(
        SocketId(0),
        Some(SocketAddr::from(([192, 168, 1, 20], 30_000))),
    );
    test.poll_request(t0).unwrap();
    test.handle_reply(
        t0,
        MEDIA_TAG,
        Reply::Answer(Answer::MediaReady {
            ports: vec![FIRST_ECHO_PORT],
        }),
    );
    // Slot 0 went at once; the driver then sleeps 70 ms: slots 1–3 are due, 4 is not.
    assert!(test.poll_transmit(t0).is_some());
    assert!(test.poll_transmit(t0).is_none());
    assert_eq!(test.poll_timeout(), Some(t0 + PTIME));
    let late = t0 + Duration::from_millis(70);
    let caught_up: Vec<_> = std::iter::from_fn(|| test.poll_transmit(late)).collect();
    assert_eq!(caught_up.len(), 3);
    assert_eq!(test.poll_timeout(), Some(t0 + PTIME * 4));
    // Lags 50, 30 and 10 ms, all over the 5 ms the report tolerates.
    assert_eq!(test.streams[0].late_sends, 3);
    assert_eq!(test.streams[0].max_send_lag, Duration::from_millis(50));
    // The catch-up keeps RTP timestamps on the 160-unit grid: the jitter it causes is real
    // and shows in the reflector's numbers, with this counter as the explanation.
    let ts = |p: &[u8]| u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
    assert_eq!(ts(&caught_up[2].payload), 480);
}

#[test]
fn a_long_path_costs_delay_impairment() {
    let mut sim = Sim::new(6, Link::clean(200), Link::clean(200));
    let report = run(&mut machine(config(1, 3)), &mut sim);
    let up = only_stream(&report).upstream.as_ref().unwrap();
    // Ta = 400 / 2 + 0 + 20 = 220 ms.
    assert_eq!(up.one_way_delay_ms, Some(220.0));
    let score = up.score.unwrap();
    assert!(close(
        score.delay_impairment,
        emodel::delay_impairment(220.0),
        1e-12
    ));
    assert!(score.r < 93.2 - 1.0, "{score:?}");
}

#[test]
fn concurrent_streams_are_measured_separately() {
    let up = Link {
        loss: Loss::Random(0.01),
        ..Link::clean(25)
    };
    let mut sim = Sim::new(11, up, Link::clean(25));
    let report = run(&mut machine(config(3, 5)), &mut sim);
    assert_eq!(report.outcome, StreamOutcome::Measured);
    assert_eq!(report.streams.len(), 3);
    let ports: Vec<_> = report.streams.iter().map(|s| s.server_port).collect();
    assert_eq!(
        ports,
        vec![Some(46_000), Some(46_001), Some(46_002)],
        "each stream matched to its own echo port"
    );
    for s in &report.streams {
        assert_eq!(s.packets_sent, 250);
        assert_eq!(s.round_trip.foreign, 0);
        assert!(s.upstream.as_ref().unwrap().loss_percent < 5.0);
    }
    let worst = report
        .streams
        .iter()
        .map(|s| s.upstream.as_ref().unwrap().score.unwrap().mos)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(report.upstream_mos_min, Some(worst));
}

#[test]
fn foreign_datagrams_are_counted_not_measured() {
    let mut test = machine(config(1, 1));
    let t0 = Instant::now();
    test.poll_request(t0);
    test.handle_reply(
        t0,
        MEDIA_TAG,
        Reply::Answer(Answer::MediaReady {
            ports: vec![FIRST_ECHO_PORT],
        }),
    );
    let packet = test.poll_transmit(t0).unwrap().payload;
    // Right bytes from the wrong port, and garbage from the right one.
    let wrong_port = SocketAddr::from((SERVER_IP, 5060));
    test.handle_receive(t0, SocketId(0), wrong_port, &packet);
    let right = SocketAddr::from((SERVER_IP, FIRST_ECHO_PORT));
    test.handle_receive(t0, SocketId(0), right, b"hello");
    assert_eq!(test.streams[0].foreign, 2);
    assert!(test.streams[0].rtt_ms.is_empty());
    test.handle_receive(t0 + Duration::from_millis(30), SocketId(0), right, &packet);
    test.handle_receive(t0 + Duration::from_millis(31), SocketId(0), right, &packet);
    assert_eq!(
        test.streams[0].rtt_ms,
        vec![30.0],
        "one RTT sample per packet"
    );
}

#[test]
fn the_report_round_trips_through_json() {
    let mut sim = Sim::new(8, Link::clean(15), Link::clean(15));
    let report = run(&mut machine(config(1, 2)), &mut sim);
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"outcome\":\"measured\""), "{json}");
    assert!(json.contains("\"status\":\"kept\""));
    // Compared as JSON values: serde_json parses long decimals to within an ulp, not always
    // exactly, so the struct may differ in the last bit while the document is the same.
    let back: MediaReport = serde_json::from_str(&json).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), value);
    assert_eq!(back.streams.len(), report.streams.len());
}

#[test]
fn configurations_the_reflector_would_refuse_are_errors() {
    let ip = IpAddr::from(SERVER_IP);
    let bad = |f: fn(&mut MediaConfig)| {
        let mut c = MediaConfig::new(ip);
        f(&mut c);
        MediaTest::new(c).unwrap_err()
    };
    assert_eq!(bad(|c| c.streams = 0), MediaConfigError::Streams(0));
    assert_eq!(bad(|c| c.streams = 9), MediaConfigError::Streams(9));
    assert_eq!(
        bad(|c| c.duration = Duration::from_secs(120)),
        MediaConfigError::Duration
    );
    assert_eq!(
        bad(|c| c.duration = Duration::ZERO),
        MediaConfigError::Duration
    );
    assert_eq!(bad(|c| c.dscp = 64), MediaConfigError::Dscp(64));
    let ok = MediaTest::new(MediaConfig::new(ip)).unwrap();
    assert_eq!(ok.packets, 500);
    assert_eq!(ok.sockets().len(), 1);
}
