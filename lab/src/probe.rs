//! Tiny UDP/TCP probes with short timeouts and bounded retries, used by the self-test
//! (and handy for later test suites).

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Largest datagram the probes expect (SIP messages in the self-test are far smaller).
const MAX_DATAGRAM: usize = 65_535;

/// How many datagrams a burst sends between short pauses (at most ~5000/s), so a
/// receiver reading concurrently never overflows its socket buffer, even on a busy
/// machine: veth itself loses nothing, a full receive buffer does.
const BURST_BATCH: usize = 5;
const BURST_PAUSE: Duration = Duration::from_millis(1);

static NEXT_TOKEN: AtomicU64 = AtomicU64::new(0);

/// A payload no other probe in this process uses, so stray datagrams are not mistaken
/// for answers.
pub fn unique_token(label: &str) -> String {
    let number = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    format!("swlab-probe {label} {}-{number}", std::process::id())
}

/// One received datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Source address as seen by the receiver (after any NAT).
    pub from: SocketAddr,
    /// The datagram's content.
    pub payload: Vec<u8>,
}

/// Waits up to `wait` for a datagram whose content starts with `prefix`, discarding
/// others. `Ok(None)` means nothing matching arrived in time.
pub fn receive_matching(
    socket: &UdpSocket,
    prefix: &[u8],
    wait: Duration,
) -> io::Result<Option<Received>> {
    let deadline = Instant::now() + wait;
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Ok(None);
        }
        // A zero read timeout means "block forever", so never pass zero.
        socket.set_read_timeout(Some(remaining.max(Duration::from_millis(1))))?;
        match socket.recv_from(&mut buffer) {
            Ok((length, from)) if buffer[..length].starts_with(prefix) => {
                return Ok(Some(Received {
                    from,
                    payload: buffer[..length].to_vec(),
                }));
            }
            Ok(_) => continue,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None);
            }
            // ICMP errors from earlier sends can surface here; they are not answers.
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => continue,
            Err(error) => return Err(error),
        }
    }
}

/// Sends `payload` from `sender` to `destination` and waits up to `wait` for it to
/// arrive at `receiver`; repeats up to `attempts` times. Returns what the receiver got
/// (notably the source address it saw) or `None` if nothing arrived.
pub fn udp_probe(
    sender: &UdpSocket,
    destination: SocketAddr,
    receiver: &UdpSocket,
    payload: &[u8],
    attempts: u32,
    wait: Duration,
) -> io::Result<Option<Received>> {
    for _ in 0..attempts {
        sender.send_to(payload, destination)?;
        if let Some(received) = receive_matching(receiver, payload, wait)? {
            return Ok(Some(received));
        }
    }
    Ok(None)
}

/// Sends `count` datagrams tagged with `tag` (plus a sequence number), paced gently.
pub fn send_burst(
    socket: &UdpSocket,
    destination: SocketAddr,
    tag: &str,
    count: usize,
) -> io::Result<()> {
    for sequence in 0..count {
        socket.send_to(format!("{tag} {sequence}").as_bytes(), destination)?;
        if sequence % BURST_BATCH == BURST_BATCH - 1 {
            std::thread::sleep(BURST_PAUSE);
        }
    }
    Ok(())
}

/// Counts datagrams starting with `tag` until none arrived for `idle`, `expected`
/// were counted, or `max_wait` passed.
pub fn count_burst(
    socket: &UdpSocket,
    tag: &str,
    expected: usize,
    idle: Duration,
    max_wait: Duration,
) -> io::Result<usize> {
    // Kept lean (one buffer, one timeout) so the reader keeps up with the sender.
    let deadline = Instant::now() + max_wait;
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    socket.set_read_timeout(Some(idle))?;
    let mut count = 0;
    while count < expected && Instant::now() < deadline {
        match socket.recv_from(&mut buffer) {
            Ok((length, _)) if buffer[..length].starts_with(tag.as_bytes()) => count += 1,
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break;
            }
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {}
            Err(error) => return Err(error),
        }
    }
    Ok(count)
}

/// Whether `error` means the TCP handshake did not complete (refused, timed out,
/// unreachable) as opposed to a local failure worth reporting.
pub fn is_connect_failure(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::TimedOut
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::ConnectionReset
    )
}
