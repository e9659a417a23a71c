//! STUN Binding load generator for `bench/stun.sh`. Loopback only: it refuses any other target.
//!
//!     cargo run --release -p sipwall-serve --example stun_load -- 127.0.0.1:3478 [options]
//!
//! Options (defaults in brackets):
//!   --seconds S    measure for S seconds, after the warm-up [5]
//!   --warmup S     seconds of load before measuring starts [0.5]
//!   --sockets N    UDP sockets, i.e. source ports: the server sees N 5-tuples [8]
//!   --window W     peak mode: requests in flight per socket (closed loop) [16]
//!   --rate R       paced mode: send R requests/s on a fixed schedule whatever the replies
//!                  (open loop, not window-limited), round robin over the sockets
//!   --timeout MS   a request without a reply after MS milliseconds is lost [200]
//!   --echo         replies must be the request byte for byte (the `udp_echo` baseline)
//!
//! How it works: one thread, N *connected* non-blocking sockets (send/recv, no per-packet
//! address or route lookup), polled round robin without ever sleeping. Not sleeping matters:
//! the server's replies then never have to wake the generator (a wake-up costs the *server's*
//! core an IPI and a scheduler call), and timestamps are taken the moment a reply is there.
//! `bench/README.md` has the measurements behind this choice. Each request has a transaction
//! id `[socket index: u32][sequence: u64]` and a send timestamp; every reply is validated
//! (STUN: a Binding success response with that id and an XOR-MAPPED-ADDRESS equal to the
//! socket's own address; echo: the same bytes) and its latency recorded. Only requests sent
//! after the warm-up count; after the measured interval the generator stops sending and waits
//! up to the timeout for the last replies, so `lost` is exact.
//!
//! Output: one line of key=value. `transactions_per_second`: validated replies to measured
//! requests per second; `lost`: no reply within the timeout; `invalid`: a reply that failed
//! validation; `server_drops`: datagrams the server's sockets dropped (receive queue full). In
//! paced mode latency runs from the *scheduled* send time, so a generator that falls behind
//! shows up in the numbers instead of hiding (no coordinated omission); `send_lag_max_us`
//! tells how far behind it got. Who was the bottleneck: `queued_server_bytes` and
//! `queued_generator_bytes` are the mean bytes waiting in the server's and the generator's
//! receive queues (/proc/net/udp) during the measured interval; in peak mode the requests pile
//! up in front of the slower side. With `--server-pid`, `server_cpu_pct` is the server's share
//! of a core and `tx_per_server_cpu_s` its transactions per CPU-second (stable on a noisy
//! machine, where tx/s is not); `gen_cpu_pct` is ours; `cpuN=busy/steal` are each core's busy
//! and hypervisor-steal percentages over the measured interval.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use sipwall_proto::stun::{BindingResponse, Seal, TransactionId, binding_request};

/// How often in-flight requests are checked for the timeout and the queues are sampled.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_millis(20);
/// Paced mode sends at most this many requests in one go when it has fallen behind.
const MAX_CATCH_UP: u64 = 64;

struct Options {
    target: SocketAddr,
    seconds: f64,
    warmup: f64,
    sockets: usize,
    window: usize,
    rate: Option<f64>,
    timeout: Duration,
    echo: bool,
    server_pid: Option<u32>,
}

fn parse_options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        target: "127.0.0.1:3478".parse().expect("address"),
        seconds: 5.0,
        warmup: 0.5,
        sockets: 8,
        window: 16,
        rate: None,
        timeout: Duration::from_millis(200),
        echo: false,
        server_pid: None,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> f64 {
            let v = args
                .next()
                .unwrap_or_else(|| panic!("{name} needs a value"));
            v.parse()
                .unwrap_or_else(|_| panic!("{name}: not a number: {v}"))
        };
        match arg.as_str() {
            "--seconds" => options.seconds = value("--seconds"),
            "--warmup" => options.warmup = value("--warmup"),
            "--sockets" => options.sockets = value("--sockets") as usize,
            "--window" => options.window = value("--window") as usize,
            "--rate" => options.rate = Some(value("--rate")),
            "--timeout" => options.timeout = Duration::from_secs_f64(value("--timeout") / 1e3),
            "--echo" => options.echo = true,
            "--server-pid" => options.server_pid = Some(value("--server-pid") as u32),
            target if !target.starts_with("--") => {
                options.target = target.parse().expect("TARGET is IP:PORT")
            }
            other => panic!("unknown option {other}"),
        }
    }
    assert!(
        options.target.ip().is_loopback(),
        "load tests only go to loopback"
    );
    assert!(
        options.sockets >= 1 && options.window >= 1,
        "sockets and window must be >= 1"
    );
    assert!(
        options.rate.is_none_or(|r| r > 0.0),
        "the rate must be above 0"
    );
    options
}

/// One socket (one source port) and the requests it has in flight.
struct Flow {
    socket: UdpSocket,
    /// Our own address: what the server must report in XOR-MAPPED-ADDRESS.
    local: SocketAddr,
    index: u32,
    next_sequence: u64,
    /// Sequence number -> send time (scheduled send time in paced mode).
    in_flight: HashMap<u64, Instant>,
}

/// What happened to the measured requests (those sent after the warm-up).
#[derive(Default)]
struct Tally {
    sent: u64,
    completed: u64,
    /// Replies that failed validation.
    invalid: u64,
    /// No reply within the timeout.
    lost: u64,
    /// Replies to requests already counted lost, duplicates, or ids we never sent.
    unexpected: u64,
    send_errors: u64,
    receive_errors: u64,
    /// Round-trip times in nanoseconds.
    latencies: Vec<u64>,
}

struct Generator {
    options: Options,
    flows: Vec<Flow>,
    /// Requests sent before this instant are warm-up and not counted.
    measure_from: Instant,
    tally: Tally,
    request: Vec<u8>,
    buffer: [u8; 1500],
    /// Paced mode: requests scheduled so far, and the worst delay behind the schedule.
    scheduled: u64,
    max_lag: Duration,
    next_housekeeping: Instant,
    queues: QueueSamples,
}

/// Sums of receive-queue bytes (/proc/net/udp) over the samples: a queue that builds up at the
/// server means the server sets the pace; one at the generator's sockets, the generator.
#[derive(Default)]
struct QueueSamples {
    samples: u64,
    server: u64,
    generator: u64,
}

/// The first 8 bytes of every request: Binding request, no attributes, magic cookie. With the
/// transaction id they make the whole request, which is what an echo must send back.
const REQUEST_HEADER: [u8; 8] = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42];

fn transaction_id(index: u32, sequence: u64) -> TransactionId {
    let mut id = [0u8; 12];
    id[..4].copy_from_slice(&index.to_be_bytes());
    id[4..].copy_from_slice(&sequence.to_be_bytes());
    TransactionId(id)
}

impl Generator {
    /// Sends the next request on flow `f`, recording `stamp` as its send time.
    fn send(&mut self, f: usize, stamp: Instant) {
        let flow = &mut self.flows[f];
        let sequence = flow.next_sequence;
        flow.next_sequence += 1;
        self.request.clear();
        binding_request(
            transaction_id(flow.index, sequence),
            &[],
            Seal::NONE,
            &mut self.request,
        )
        .expect("encode");
        let measured = stamp >= self.measure_from;
        match flow.socket.send(&self.request) {
            Ok(_) => {
                flow.in_flight.insert(sequence, stamp);
                if measured {
                    self.tally.sent += 1;
                }
            }
            // A full send buffer or an ICMP error from an earlier send: not in flight.
            Err(_) => self.tally.send_errors += 1,
        }
    }

    /// Reads, validates and times every reply waiting on flow `f`.
    fn receive(&mut self, f: usize) {
        loop {
            let n = match self.flows[f].socket.recv(&mut self.buffer) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                // ConnectionRefused: nothing listens (ICMP port unreachable).
                Err(_) => {
                    self.tally.receive_errors += 1;
                    return;
                }
            };
            let now = Instant::now();
            let Some((sequence, valid)) = self.check_reply(&self.flows[f], n) else {
                self.tally.invalid += 1;
                continue;
            };
            let Some(sent) = self.flows[f].in_flight.remove(&sequence) else {
                self.tally.unexpected += 1;
                continue;
            };
            if sent < self.measure_from {
                continue; // a warm-up request
            }
            if valid {
                self.tally.completed += 1;
                let rtt = now.saturating_duration_since(sent).as_nanos();
                self.tally.latencies.push(rtt as u64);
            } else {
                self.tally.invalid += 1;
            }
        }
    }

    /// The sequence number the reply of `n` bytes in `buffer` answers (None if it cannot be
    /// one of ours) and whether it is a valid reply.
    fn check_reply(&self, flow: &Flow, n: usize) -> Option<(u64, bool)> {
        let reply = &self.buffer[..n];
        let id: [u8; 12] = reply.get(8..20)?.try_into().ok()?;
        if id[..4] != flow.index.to_be_bytes() {
            return None;
        }
        let sequence = u64::from_be_bytes(id[4..].try_into().ok()?);
        let valid = if self.options.echo {
            n == 20 && reply[..8] == REQUEST_HEADER
        } else {
            BindingResponse::parse(reply).is_ok_and(|r| {
                r.success
                    && r.message.transaction_id().0 == id
                    && r.xor_mapped_address == Some(flow.local)
            })
        };
        Some((sequence, valid))
    }

    /// Counts requests older than the timeout as lost and forgets them (which frees their
    /// window slot in peak mode).
    fn expire(&mut self, now: Instant) {
        let (timeout, measure_from) = (self.options.timeout, self.measure_from);
        let mut lost = 0;
        for flow in &mut self.flows {
            flow.in_flight.retain(|_, sent| {
                let expired = now.saturating_duration_since(*sent) > timeout;
                if expired && *sent >= measure_from {
                    lost += 1;
                }
                !expired
            });
        }
        self.tally.lost += lost;
    }

    /// Closed loop until `end`: keeps `window` requests in flight on every socket.
    fn run_peak(&mut self, end: Instant) {
        loop {
            let now = Instant::now();
            if now >= end {
                return;
            }
            for f in 0..self.flows.len() {
                self.receive(f);
                let now = Instant::now();
                while self.flows[f].in_flight.len() < self.options.window {
                    self.send(f, now);
                }
            }
            self.housekeeping(now);
        }
    }

    /// Open loop until `end`: request k is due at `start + k / rate`, whatever came back.
    fn run_paced(&mut self, rate: f64, start: Instant, end: Instant) {
        loop {
            let now = Instant::now();
            if now >= end {
                return;
            }
            // Send what is due: after a stall that is many requests, sent in bursts of at most
            // MAX_CATCH_UP with a receive sweep in between.
            for _ in 0..MAX_CATCH_UP {
                let due = start + Duration::from_secs_f64(self.scheduled as f64 / rate);
                if due > now {
                    break;
                }
                self.max_lag = self.max_lag.max(now - due);
                let f = (self.scheduled % self.flows.len() as u64) as usize;
                self.send(f, due);
                self.scheduled += 1;
            }
            for f in 0..self.flows.len() {
                self.receive(f);
            }
            self.housekeeping(now);
        }
    }

    /// Every few milliseconds: expires requests; during the measured interval, notes where
    /// the in-flight requests wait (server or generator receive queues).
    fn housekeeping(&mut self, now: Instant) {
        if now < self.next_housekeeping {
            return;
        }
        self.next_housekeeping = now + HOUSEKEEPING_INTERVAL;
        self.expire(now);
        if now >= self.measure_from {
            let port = self.options.target.port();
            for (local, queued, _) in udp_sockets() {
                if local == port {
                    self.queues.server += queued;
                } else if self.flows.iter().any(|f| f.local.port() == local) {
                    self.queues.generator += queued;
                }
            }
            self.queues.samples += 1;
        }
    }

    /// After the load: waits up to the timeout for outstanding replies, then counts the rest
    /// as lost.
    fn drain(&mut self) {
        let until = Instant::now() + self.options.timeout;
        while Instant::now() < until && self.flows.iter().any(|f| !f.in_flight.is_empty()) {
            for f in 0..self.flows.len() {
                self.receive(f);
            }
        }
        self.expire(until + self.options.timeout + Duration::from_secs(1));
    }
}

/// Every IPv4 UDP socket: (local port, bytes waiting in its receive queue, datagrams dropped
/// because that queue was full), from /proc/net/udp.
fn udp_sockets() -> Vec<(u16, u64, u64)> {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            // sl local_address rem_address st tx_queue:rx_queue ... drops (last)
            let fields: Vec<&str> = line.split_whitespace().collect();
            let port = u16::from_str_radix(fields.get(1)?.rsplit_once(':')?.1, 16).ok()?;
            let rx_queue = u64::from_str_radix(fields.get(4)?.split_once(':')?.1, 16).ok()?;
            let drops = fields.last()?.parse().ok()?;
            Some((port, rx_queue, drops))
        })
        .collect()
}

/// Per-core (busy, steal) jiffies from /proc/stat, for the busy/steal percentages.
fn cpu_times() -> Vec<(u64, u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|line| {
            // user nice system idle iowait irq softirq steal
            let v: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .map(|x| x.parse().unwrap_or(0))
                .collect();
            let field = |i: usize| v.get(i).copied().unwrap_or(0);
            let busy = field(0) + field(1) + field(2) + field(5) + field(6);
            let steal = field(7);
            (busy, steal, busy + steal + field(3) + field(4))
        })
        .collect()
}

/// CPU time (user + system, all threads) a process has used, in clock ticks (1/100 s on
/// Linux); `who` is "self" or a PID.
fn cpu_ticks(who: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{who}/stat")).unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime and stime are 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

fn main() {
    let options = parse_options();
    let flows = (0..options.sockets)
        .map(|i| {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
            socket.connect(options.target).expect("connect");
            socket.set_nonblocking(true).expect("non-blocking");
            let local = socket.local_addr().expect("local address");
            Flow {
                socket,
                local,
                index: i as u32,
                next_sequence: 0,
                in_flight: HashMap::new(),
            }
        })
        .collect();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(options.warmup);
    let end = measure_from + Duration::from_secs_f64(options.seconds);
    let expected_replies = options.rate.unwrap_or(500_000.0) * options.seconds;
    let mut generator = Generator {
        flows,
        measure_from,
        tally: Tally {
            latencies: Vec::with_capacity(expected_replies as usize),
            ..Tally::default()
        },
        request: Vec::with_capacity(64),
        buffer: [0; 1500],
        scheduled: 0,
        max_lag: Duration::ZERO,
        next_housekeeping: start,
        queues: QueueSamples::default(),
        options,
    };
    // The echo check relies on this layout.
    binding_request(
        transaction_id(0, 0),
        &[],
        Seal::NONE,
        &mut generator.request,
    )
    .expect("encode");
    assert_eq!(generator.request[..8], REQUEST_HEADER);

    let run = |generator: &mut Generator, until: Instant| match generator.options.rate {
        None => generator.run_peak(until),
        Some(rate) => generator.run_paced(rate, start, until),
    };
    // The warm-up, then the measured interval between two samples of the CPU counters.
    run(&mut generator, measure_from);
    let before = Sample::take(&generator.options);
    run(&mut generator, end);
    let after = Sample::take(&generator.options);
    generator.drain();
    println!("{}", report(&mut generator, &before, &after));
}

/// Counters read at the start and the end of the measured interval.
struct Sample {
    /// Per core: (busy, steal, total) jiffies.
    cores: Vec<(u64, u64, u64)>,
    /// CPU ticks of this process and of the server (`--server-pid`).
    own_ticks: u64,
    server_ticks: u64,
    /// Datagrams the server's sockets dropped because their receive queue was full.
    server_drops: u64,
}

impl Sample {
    fn take(options: &Options) -> Sample {
        let port = options.target.port();
        Sample {
            cores: cpu_times(),
            own_ticks: cpu_ticks("self"),
            server_ticks: options
                .server_pid
                .map_or(0, |pid| cpu_ticks(&pid.to_string())),
            server_drops: udp_sockets()
                .iter()
                .filter(|s| s.0 == port)
                .map(|s| s.2)
                .sum(),
        }
    }
}

/// The key=value result line.
fn report(generator: &mut Generator, before: &Sample, after: &Sample) -> String {
    let options = &generator.options;
    let seconds = options.seconds;
    let tally = &mut generator.tally;
    tally.latencies.sort_unstable();
    let percentile = |p: f64| {
        let l = &tally.latencies;
        l.get(((l.len() as f64 - 1.0) * p).round() as usize)
            .map_or(0.0, |ns| *ns as f64 / 1e3)
    };
    let mut line = format!(
        "transactions_per_second={:.0} sent={} completed={} lost={} invalid={} unexpected={} \
send_errors={} receive_errors={} server_drops={} p50_us={:.1} p99_us={:.1} p999_us={:.1} \
max_us={:.1} sockets={}",
        tally.completed as f64 / seconds,
        tally.sent,
        tally.completed,
        tally.lost,
        tally.invalid,
        tally.unexpected,
        tally.send_errors,
        tally.receive_errors,
        after.server_drops - before.server_drops,
        percentile(0.5),
        percentile(0.99),
        percentile(0.999),
        percentile(1.0),
        options.sockets,
    );
    match options.rate {
        None => line += &format!(" mode=peak window={}", options.window),
        Some(rate) => {
            let lag = generator.max_lag.as_secs_f64() * 1e6;
            line += &format!(" mode=paced rate={rate:.0} send_lag_max_us={lag:.0}");
        }
    }
    // Mean bytes waiting in the receive queues: where the in-flight requests sit.
    let queues = &generator.queues;
    let samples = queues.samples.max(1);
    line += &format!(
        " queued_server_bytes={} queued_generator_bytes={}",
        queues.server / samples,
        queues.generator / samples
    );
    // Ticks are 1/100 s, so ticks per second is percent of one core.
    let own_pct = (after.own_ticks - before.own_ticks) as f64 / seconds;
    line += &format!(" gen_cpu_pct={own_pct:.0}");
    if options.server_pid.is_some() {
        // The server's CPU time per transaction, as a rate: what it would do with a core of
        // its own, whatever else ran on that core (which shows as server_cpu_pct < 100).
        let server_pct = (after.server_ticks - before.server_ticks) as f64 / seconds;
        let per_cpu_second = tally.completed as f64 / (server_pct / 100.0 * seconds).max(0.01);
        line += &format!(" server_cpu_pct={server_pct:.0} tx_per_server_cpu_s={per_cpu_second:.0}");
    }
    for (i, (b, a)) in before.cores.iter().zip(&after.cores).enumerate() {
        let total = (a.2 - b.2).max(1) as f64;
        let busy = 100.0 * (a.0 - b.0) as f64 / total;
        let steal = 100.0 * (a.1 - b.1) as f64 / total;
        line += &format!(" cpu{i}={busy:.0}/{steal:.0}");
    }
    line
}
