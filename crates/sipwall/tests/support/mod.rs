//! Helpers for the `sipwall serve` session tests: start the binary and wait for its sockets, a
//! blocking control-channel client, SIP probe builders, the metrics endpoint, base64.
//!
//! Everything here has a deadline: a test that waits for the server waits at most that long
//! and then fails with what it saw (the server's log included).

#![allow(dead_code)] // not every test file uses every helper

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sipwall_proto::control::{
    self, Answer, ClientMessage, ErrorCode, Event, Request, ServerMessage,
};

/// How long anything that should happen at once may take on a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A running `sipwall serve`, killed when dropped.
pub struct Server {
    child: Child,
    /// Socket name → address, from the "serving …" log lines.
    pub sockets: HashMap<String, SocketAddr>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `sipwall serve <args> --duration <secs>` and waits until it has logged every
    /// socket (the control line comes last, then the metrics line when `--metrics` is given).
    pub fn start(args: &[String], duration_secs: u32) -> Server {
        Server::start_with(
            Command::new(env!("CARGO_BIN_EXE_sipwall")),
            args,
            duration_secs,
        )
    }

    /// Like `start`, through a prepared command (e.g. one that runs inside a lab namespace).
    pub fn start_with(mut command: Command, args: &[String], duration_secs: u32) -> Server {
        let mut child = command
            .arg("serve")
            .args(args)
            .args(["--duration", &duration_secs.to_string()])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sipwall serve starts");
        let stderr = child.stderr.take().expect("piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (lines_tx, lines) = mpsc::channel::<String>();
        let kept = log.clone();
        // Reads stderr to the end so the server never blocks on a full pipe, and keeps every
        // line for failure messages.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line.clone());
                let _ = lines_tx.send(line);
            }
        });
        let wants_metrics = args.iter().any(|a| a == "--metrics");
        let mut sockets = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let line = match lines.recv_timeout(remaining) {
                Ok(line) => line,
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "sipwall serve {args:?} did not report its sockets within 30 s:\n{}",
                        log.lock().unwrap().join("\n")
                    );
                }
            };
            assert!(
                !line.starts_with("error"),
                "sipwall serve {args:?} failed to start: {line}"
            );
            // "... INFO serving SIP/UDP 127.0.0.1:36002 as sip-udp-36002"
            if let Some(rest) = line.split(" serving ").nth(1) {
                let words: Vec<&str> = rest.split_whitespace().collect();
                if let [_, address, "as", name] = words[..] {
                    sockets.insert(name.to_owned(), address.parse().expect("an address"));
                }
                if rest.starts_with("CONTROL/") && !wants_metrics {
                    break;
                }
            }
            if line.contains("metrics (Prometheus") {
                break;
            }
        }
        Server {
            child,
            sockets,
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server with SIGTERM (its clean shutdown path) and returns its exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM failed");
        self.child.wait().expect("the server can be waited for")
    }

    pub fn address(&self, name: &str) -> SocketAddr {
        *self
            .sockets
            .get(name)
            .unwrap_or_else(|| panic!("no socket {name} in {:?}", self.sockets))
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// A line of /proc/<pid>/status in kB, e.g. "VmHWM".
    pub fn status_kb(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server is running");
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {status}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sipwall serve` arguments from pairs, e.g. `args(&[("--primary", "127.0.0.1:36000")])`.
pub fn args(pairs: &[(&str, String)]) -> Vec<String> {
    pairs
        .iter()
        .flat_map(|(flag, value)| [flag.to_string(), value.clone()])
        .collect()
}

/// What an answer-or-error wait returns.
pub type Reply = Result<Answer, (ErrorCode, String)>;

/// A blocking control-channel client: JSON lines over TCP.
pub struct Control {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
    /// Bytes of a line not complete yet (kept across read timeouts).
    partial: Vec<u8>,
    /// Messages read while waiting for something else.
    stash: VecDeque<ServerMessage>,
    next_id: u64,
    pub token: String,
    pub observed: SocketAddr,
    /// When `welcome` arrived: `at_ms` of events counts from about here.
    pub welcomed: Instant,
}

impl Control {
    /// Connects without saying anything (for the hello tests).
    pub fn connect_raw(address: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
        let stream = TcpStream::connect_timeout(&address, PATIENCE).expect("control connects");
        let reader = BufReader::new(stream.try_clone().unwrap());
        (stream, reader)
    }

    /// hello → welcome.
    pub fn open(address: SocketAddr) -> Control {
        match Control::try_open(address) {
            Ok(control) => control,
            Err(message) => panic!("no welcome from {address}: {message:?}"),
        }
    }

    /// hello → welcome, or the message the server answered instead.
    pub fn try_open(address: SocketAddr) -> Result<Control, Box<ServerMessage>> {
        let (stream, reader) = Control::connect_raw(address);
        let mut control = Control {
            stream,
            reader,
            partial: Vec::new(),
            stash: VecDeque::new(),
            next_id: 1,
            token: String::new(),
            observed: "0.0.0.0:0".parse().unwrap(),
            welcomed: Instant::now(),
        };
        control.send(&ClientMessage::Hello {
            version: control::VERSION,
            client: "sipwall serve_session test".into(),
        });
        match control.next(PATIENCE) {
            ServerMessage::Welcome {
                version,
                session,
                observed,
                ..
            } => {
                assert_eq!(version, control::VERSION);
                control.token = session;
                control.observed = observed;
                control.welcomed = Instant::now();
                Ok(control)
            }
            other => Err(Box::new(other)),
        }
    }

    /// Our end of the control connection.
    pub fn local_addr(&self) -> SocketAddr {
        self.stream.local_addr().unwrap()
    }

    pub fn send(&mut self, message: &ClientMessage) {
        self.stream
            .write_all(&control::encode_line(message))
            .expect("control write");
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends a request; returns its id.
    pub fn request(&mut self, request: Request) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&ClientMessage::Request { id, request });
        id
    }

    /// The next line as a message, stashed ones first.
    pub fn next(&mut self, timeout: Duration) -> ServerMessage {
        if let Some(message) = self.stash.pop_front() {
            return message;
        }
        self.read_message(timeout)
            .unwrap_or_else(|e| panic!("waiting for a control message: {e}"))
    }

    /// Reads one line (no stash), or why not: "closed" at end of stream, "timeout".
    pub fn read_message(&mut self, timeout: Duration) -> Result<ServerMessage, String> {
        let line = read_line_within(&mut self.reader, &mut self.partial, timeout)?;
        control::decode_line::<ServerMessage>(&line)
            .map_err(|e| format!("bad line {:?}: {e}", String::from_utf8_lossy(&line)))
    }

    /// Waits for the answer or error of request `id`; events meanwhile are stashed.
    pub fn reply(&mut self, id: u64, timeout: Duration) -> Reply {
        let deadline = Instant::now() + timeout;
        if let Some(i) = self.stash.iter().position(|m| is_reply_to(m, id)) {
            return into_reply(self.stash.remove(i).unwrap());
        }
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let message = self
                .read_message(remaining)
                .unwrap_or_else(|e| panic!("waiting for the reply to request {id}: {e}"));
            if is_reply_to(&message, id) {
                return into_reply(message);
            }
            self.stash.push_back(message);
        }
    }

    /// Sends a request and waits for its answer; panics on an error.
    pub fn ask(&mut self, request: Request) -> (u64, Answer) {
        let described = format!("{request:?}");
        let id = self.request(request);
        match self.reply(id, PATIENCE) {
            Ok(answer) => (id, answer),
            Err(error) => panic!("{described} failed: {error:?}"),
        }
    }

    /// Sends a request that must fail; returns the error code.
    pub fn refused(&mut self, request: Request) -> ErrorCode {
        let described = format!("{request:?}");
        let id = self.request(request);
        match self.reply(id, PATIENCE) {
            Err((code, _)) => code,
            Ok(answer) => panic!("{described} was accepted: {answer:?}"),
        }
    }

    /// Waits for the next event of request `id` (with the time it was read); other messages
    /// are stashed.
    pub fn event(&mut self, id: u64, timeout: Duration) -> (Event, Instant) {
        let deadline = Instant::now() + timeout;
        if let Some(i) = self
            .stash
            .iter()
            .position(|m| matches!(m, ServerMessage::Event { id: e, .. } if *e == id))
            && let Some(ServerMessage::Event { event, .. }) = self.stash.remove(i)
        {
            return (event, Instant::now());
        }
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let message = self
                .read_message(remaining)
                .unwrap_or_else(|e| panic!("waiting for an event of request {id}: {e}"));
            match message {
                ServerMessage::Event { id: e, event } if e == id => return (event, Instant::now()),
                other => self.stash.push_back(other),
            }
        }
    }

    /// ping → pong; returns the round-trip time.
    pub fn ping(&mut self, timeout: Duration) -> Duration {
        let sent = Instant::now();
        self.send(&ClientMessage::Ping);
        let deadline = sent + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.read_message(remaining) {
                Ok(ServerMessage::Pong) => return sent.elapsed(),
                Ok(other) => self.stash.push_back(other),
                Err(e) => panic!("no pong within {timeout:?}: {e}"),
            }
        }
    }

    /// The mirror records of a Call-ID.
    pub fn mirror(&mut self, call_id: &str) -> Vec<control::MirrorRecord> {
        match self.ask(Request::Mirror {
            call_id: call_id.into(),
        }) {
            (_, Answer::Mirror { records }) => records,
            (_, other) => panic!("mirror answered {other:?}"),
        }
    }

    /// Whether the server closed the connection within `timeout` (EOF or reset), after
    /// skipping whatever it still had to say.
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.read_message(remaining) {
                Err(e) if e == "closed" => return true,
                Err(e) if e == "timeout" => return false,
                Err(_) | Ok(_) => continue,
            }
        }
    }
}

fn is_reply_to(message: &ServerMessage, id: u64) -> bool {
    matches!(message, ServerMessage::Answer { id: a, .. } if *a == id)
        || matches!(message, ServerMessage::Error { id: Some(e), .. } if *e == id)
}

fn into_reply(message: ServerMessage) -> Reply {
    match message {
        ServerMessage::Answer { answer, .. } => Ok(answer),
        ServerMessage::Error { code, message, .. } => Err((code, message)),
        other => unreachable!("not a reply: {other:?}"),
    }
}

/// Reads one `\n`-terminated line (without it) within `timeout`. `partial` keeps the bytes of
/// an unfinished line across calls. Errors: "closed" (EOF or reset), "timeout".
pub fn read_line_within(
    reader: &mut BufReader<TcpStream>,
    partial: &mut Vec<u8>,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err("timeout".into());
        }
        reader.get_ref().set_read_timeout(Some(remaining)).unwrap();
        match reader.read_until(b'\n', partial) {
            Ok(0) => return Err("closed".into()),
            Ok(_) if partial.last() == Some(&b'\n') => {
                let mut line = std::mem::take(partial);
                line.pop();
                return Ok(line);
            }
            Ok(_) => return Err("closed".into()), // EOF inside a line
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                continue;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Err("closed".into()),
        }
    }
}

/// Receives one datagram within `timeout`.
pub fn recv_within(socket: &UdpSocket, timeout: Duration) -> Option<(Vec<u8>, SocketAddr)> {
    let deadline = Instant::now() + timeout;
    let mut buffer = vec![0u8; 65_536];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return None;
        }
        socket.set_read_timeout(Some(remaining)).unwrap();
        match socket.recv_from(&mut buffer) {
            Ok((n, from)) => return Some((buffer[..n].to_vec(), from)),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // An ICMP error of an earlier send to a closed port: not a datagram.
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
            Err(e) => panic!("recv_from: {e}"),
        }
    }
}

/// Whatever is queued on `socket` right now, without waiting.
pub fn drain_now(socket: &UdpSocket) -> Vec<(Vec<u8>, SocketAddr)> {
    socket.set_nonblocking(true).unwrap();
    let mut buffer = vec![0u8; 65_536];
    let mut queued = Vec::new();
    loop {
        match socket.recv_from(&mut buffer) {
            Ok((n, from)) => queued.push((buffer[..n].to_vec(), from)),
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => continue,
            Err(_) => break,
        }
    }
    socket.set_nonblocking(false).unwrap();
    queued
}

/// A UDP socket on 127.0.0.1 (or another loopback IP), port chosen by the kernel.
pub fn udp_on(ip: &str) -> UdpSocket {
    UdpSocket::bind(format!("{ip}:0")).expect("bind a loopback UDP socket")
}

// ---------------------------------------------------------------------------------------------
// SIP

/// The private address a phone behind NAT would write into its messages.
pub const PRIVATE_IP: &str = "10.0.0.2";

/// An SDP offer from the private address, padded with attribute lines to at least `min_len`
/// bytes (an INVITE this size is what fragments on real networks).
pub fn sdp_offer(min_len: usize) -> String {
    let mut sdp = format!(
        "v=0\r\n\
o=check 4242 1 IN IP4 {PRIVATE_IP}\r\n\
s=sipwall\r\n\
c=IN IP4 {PRIVATE_IP}\r\n\
t=0 0\r\n\
m=audio 40000 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n"
    );
    let mut line = 0;
    while sdp.len() < min_len {
        line += 1;
        sdp.push_str(&format!(
            "a=x-sipwall-padding:{line:03} abcdefghijklmnopqrstuvwxyz0123456789\r\n"
        ));
    }
    sdp
}

/// The SDP the mirror should send back: `o=` and `c=` addresses replaced by `ip`.
pub fn mirrored_sdp(offer: &str, ip: &str) -> String {
    offer
        .replace(
            &format!("o=check 4242 1 IN IP4 {PRIVATE_IP}"),
            &format!("o=check 4242 1 IN IP4 {ip}"),
        )
        .replace(&format!("c=IN IP4 {PRIVATE_IP}"), &format!("c=IN IP4 {ip}"))
}

/// A SIP request from the private address. `transport` is the Via token (UDP, TCP, TLS);
/// `token` goes into X-Sipwall-Probe; `sdp` makes it carry an offer.
pub fn sip_request(
    method: &str,
    transport: &str,
    call_id: &str,
    token: Option<&str>,
    sdp: Option<&str>,
) -> Vec<u8> {
    let mut text = format!(
        "{method} sip:mirror@192.0.2.10 SIP/2.0\r\n\
Via: SIP/2.0/{transport} {PRIVATE_IP}:5060;branch=z9hG4bK-{call_id};rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:check@{PRIVATE_IP}>;tag=f00d\r\n\
To: <sip:mirror@192.0.2.10>\r\n\
Call-ID: {call_id}\r\n\
CSeq: 1 {method}\r\n\
Contact: <sip:check@{PRIVATE_IP}:5060>\r\n\
User-Agent: sipwall serve_session test\r\n"
    );
    if let Some(token) = token {
        text.push_str(&format!("X-Sipwall-Probe: {token}\r\n"));
    }
    match sdp {
        Some(body) => text.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )),
        None => text.push_str("Content-Length: 0\r\n\r\n"),
    }
    text.into_bytes()
}

/// Reads one whole SIP message from a stream within `timeout` (framed by Content-Length).
pub fn read_sip_message(stream: &mut impl Read, timeout: Duration) -> Vec<u8> {
    use sipwall_proto::sip::{StreamFrame, stream_message_len};
    let deadline = Instant::now() + timeout;
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let StreamFrame::Complete(len) = stream_message_len(&buffer) {
            assert_eq!(len, buffer.len(), "one message, nothing after it");
            return buffer;
        }
        assert!(
            Instant::now() < deadline,
            "no whole SIP message within {timeout:?}: {:?}",
            String::from_utf8_lossy(&buffer)
        );
        match stream.read(&mut chunk) {
            Ok(0) => panic!(
                "stream closed inside a SIP message: {:?}",
                String::from_utf8_lossy(&buffer)
            ),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("reading a SIP message: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// GET /metrics over a raw TCP connection: (status line, body).
pub fn fetch_metrics(address: SocketAddr) -> (String, String) {
    let mut stream = TcpStream::connect_timeout(&address, PATIENCE).expect("metrics connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("the metrics response");
    let text = String::from_utf8(response).expect("UTF-8 metrics");
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP head");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("a Content-Length");
    assert_eq!(length, body.len(), "Content-Length matches the body");
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

/// The value of an unlabelled metric (`sipwall_...`), or the sum over its labels.
pub fn metric(body: &str, name: &str) -> u64 {
    let values: Vec<u64> = body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            let bare = key.split('{').next()?;
            (bare == name).then(|| value.parse().expect("an integer value"))
        })
        .collect();
    assert!(!values.is_empty(), "no metric {name} in:\n{body}");
    values.iter().sum()
}

// ---------------------------------------------------------------------------------------------
// Small helpers for codecs and socket options

/// Decodes standard base64 (with padding), as the mirror records carry.
pub fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("the mirror records are base64")
}

/// A G.711 RTP packet: 12-byte header (V=2, PT 0), 160 payload bytes derived from `seq`.
pub fn rtp_packet(seq: u16, timestamp: u32, ssrc: u32) -> Vec<u8> {
    let mut packet = Vec::with_capacity(172);
    packet.extend_from_slice(&[0x80, 0x00]);
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&timestamp.to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend((0..160u16).map(|i| (i as u8) ^ (seq as u8)));
    packet
}

/// Sets the IPv4 TOS byte of a UDP socket's outgoing packets (e.g. 0xB8, DSCP EF).
pub fn set_tos(socket: &UdpSocket, tos: u8) {
    use nix::sys::socket::{setsockopt, sockopt};
    setsockopt(socket, sockopt::Ipv4Tos, &i32::from(tos)).expect("setsockopt(IP_TOS)");
}

/// Small deterministic PRNG (xorshift64*) for flood payloads: no `rand` dependency.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Runs a command within `timeout`; a missing tool is a failure, never a skip.
pub fn run_with_timeout(command: &mut Command, timeout: Duration) -> std::process::Output {
    let program = format!("{:?}", command.get_program());
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} must be installed (scripts/install-deps): {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}
