//! Oracle test: the same RTP stream through `ReceiverStats` and through Wireshark's
//! `tshark -z rtp,streams`, which must agree.
//!
//! The stream: 500 G.711 packets (PT 0, 20 ms, 172 bytes) whose sequence numbers wrap past
//! 65535 and whose timestamps wrap past 2^32, with 5 packets dropped (one burst of 3), one
//! duplicate, one reordered pair and 0-8 ms of arrival jitter. It ends on its highest sequence
//! number.
//!
//! What is compared, like with like (checked against tshark 4.0; see `ui/tap-rtp-analysis.c`):
//! - tshark's "Lost" is (last sequence number - first + 1) - packets seen, duplicates included,
//!   so a duplicate cancels a loss (it prints negative loss for a duplicate-only stream). Ours
//!   subtracts unique packets. The like-for-like quantity is our `packets_expected -
//!   packets_received`; our `packets_lost` is that plus `duplicates`.
//! - Jitter: both are RFC 3550 A.8 between consecutive arrivals, duplicates and the reordered
//!   packet included, in ms. "Max Jitter" and "Mean Jitter" (mean over every packet but the
//!   first) are our `max_jitter_ms` and `mean_jitter_ms`. tshark also leaves out packets with
//!   the marker bit (only the first one has it here, and the first has no jitter anyway) and
//!   packets timestamped before the first. Later Wireshark releases changed how a reordered
//!   packet counts (it stops being the reference for the next one); a mismatch on another
//!   version prints the tshark version.
//! - "Max Delta" (largest gap between consecutive arrivals) checks that tshark read the same
//!   arrival times we fed.
//!
//! tshark is required: without it the test fails and says how to install it.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sipwall_proto::rtp::{ReceiverStats, StreamReport, TosCount};

const SSRC: u32 = 0x5eed_1234;
const FIRST_SEQ: u16 = 65_300;
const FIRST_TIMESTAMP: u32 = u32::MAX - 40_000;
const PACKETS: u16 = 500;
const DROPPED: [u16; 5] = [100, 250, 251, 252, 400];
const DUPLICATED: u16 = 300;
/// Packet 350 arrives 2 ms after packet 351.
const LATE: u16 = 350;
const RTP_PORT: u16 = 5004;
const TOS_EF: u8 = 0xb8;

/// One datagram of the test stream: RTP bytes and arrival since the first packet.
struct Arrival {
    rtp: Vec<u8>,
    at: Duration,
}

/// Deterministic 0..8000 us of extra delay per packet (a small LCG; no dependency needed).
fn jitter_us(i: u16) -> u64 {
    let x = u64::from(i)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (x >> 33) % 8_000
}

fn rtp(i: u16) -> Vec<u8> {
    let marker = if i == 0 { 0x80 } else { 0x00 };
    let mut p = vec![0x80, marker];
    p.extend_from_slice(&FIRST_SEQ.wrapping_add(i).to_be_bytes());
    p.extend_from_slice(
        &FIRST_TIMESTAMP
            .wrapping_add(u32::from(i) * 160)
            .to_be_bytes(),
    );
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.resize(172, 0xd5); // A-law-ish silence; the payload doesn't matter.
    p
}

fn stream() -> Vec<Arrival> {
    let nominal = |i: u16| Duration::from_micros(u64::from(i) * 20_000 + jitter_us(i));
    let mut out = Vec::new();
    for i in 0..PACKETS {
        if DROPPED.contains(&i) || i == LATE {
            continue;
        }
        out.push(Arrival {
            rtp: rtp(i),
            at: nominal(i),
        });
        if i == DUPLICATED {
            out.push(Arrival {
                rtp: rtp(i),
                at: nominal(i) + Duration::from_micros(500),
            });
        }
        if i == LATE + 1 {
            out.push(Arrival {
                rtp: rtp(LATE),
                at: nominal(i) + Duration::from_millis(2),
            });
        }
    }
    out
}

fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Ethernet + IPv4 (TOS EF, header checksum) + UDP (checksum 0: none) around an RTP packet.
fn frame(rtp: &[u8]) -> Vec<u8> {
    let udp_len = 8 + rtp.len();
    let ip_len = 20 + udp_len;
    let mut ip = vec![0x45, TOS_EF];
    ip.extend_from_slice(&(ip_len as u16).to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0]); // id, DF, TTL, UDP, checksum
    ip.extend_from_slice(&[192, 0, 2, 1, 198, 51, 100, 2]);
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());

    let mut f = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];
    f.extend_from_slice(&ip);
    f.extend_from_slice(&40_000u16.to_be_bytes());
    f.extend_from_slice(&RTP_PORT.to_be_bytes());
    f.extend_from_slice(&(udp_len as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(rtp);
    f
}

/// Classic little-endian pcap, microsecond timestamps, link type Ethernet.
fn pcap(stream: &[Arrival]) -> Vec<u8> {
    const EPOCH_S: u64 = 1_700_000_000;
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]); // thiszone, sigfigs
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for a in stream {
        let f = frame(&a.rtp);
        out.extend_from_slice(&((EPOCH_S + a.at.as_secs()) as u32).to_le_bytes());
        out.extend_from_slice(&a.at.subsec_micros().to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&f);
    }
    out
}

/// Removes the capture file however the test ends.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The numbers of tshark's `rtp,streams` row for our SSRC.
#[derive(Debug)]
struct TsharkRow {
    packets: u64,
    lost: i64,
    max_delta_ms: f64,
    mean_jitter_ms: f64,
    max_jitter_ms: f64,
}

fn run_tshark(path: &std::path::Path) -> (TsharkRow, String) {
    let output = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args([
            "-d",
            &format!("udp.port=={RTP_PORT},rtp"),
            "-q",
            "-z",
            "rtp,streams",
        ])
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "tshark is not on PATH: this oracle test needs it. Run scripts/install-deps \
             (as root; CI does) or `apt-get install tshark`."
        ),
        Err(e) => panic!("could not run tshark: {e}"),
    };
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "tshark failed: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    (parse_row(&text), text)
}

/// Parses the row: `start end src sport dst dport SSRC payload pkts lost (pct%) min-delta
/// mean-delta max-delta min-jitter mean-jitter max-jitter [X]`, after checking the header
/// still names those columns in that order.
fn parse_row(text: &str) -> TsharkRow {
    let header = text
        .lines()
        .find(|l| l.contains("SSRC"))
        .expect("no rtp,streams header");
    let columns = [
        "SSRC",
        "Payload",
        "Pkts",
        "Lost",
        "Min Delta(ms)",
        "Mean Delta(ms)",
        "Max Delta(ms)",
        "Min Jitter(ms)",
        "Mean Jitter(ms)",
        "Max Jitter(ms)",
    ];
    let positions: Vec<_> = columns.iter().map(|c| header.find(c)).collect();
    assert!(
        positions.iter().all(Option::is_some) && positions.is_sorted(),
        "unexpected rtp,streams columns:\n{text}"
    );

    let ssrc = format!("0x{SSRC:08x}");
    let row = text
        .lines()
        .find(|l| l.to_ascii_lowercase().contains(&ssrc))
        .unwrap_or_else(|| panic!("no stream with SSRC {ssrc}:\n{text}"));
    let tokens: Vec<_> = row.split_whitespace().collect();
    let at = tokens
        .iter()
        .position(|t| t.eq_ignore_ascii_case(&ssrc))
        .unwrap();
    let number = |offset: usize| -> f64 {
        tokens[at + offset]
            .parse()
            .unwrap_or_else(|_| panic!("bad column {offset} in: {row}"))
    };
    TsharkRow {
        packets: number(2) as u64,
        lost: number(3) as i64,
        // number(4) is "(x.y%)".
        max_delta_ms: number(7),
        mean_jitter_ms: number(9),
        max_jitter_ms: number(10),
    }
}

fn tshark_version() -> String {
    Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

fn our_report(stream: &[Arrival]) -> StreamReport {
    let mut stats = ReceiverStats::new(8000, Duration::from_secs(1));
    for a in stream {
        stats.on_datagram(&a.rtp, a.at, Some(TOS_EF)).unwrap();
    }
    stats.report()
}

#[test]
fn receiver_stats_agree_with_tshark() {
    let stream = stream();
    let ours = our_report(&stream);

    // Ground truth, known by construction.
    assert_eq!(ours.packets_received, 496);
    assert_eq!(ours.packets_expected, 500);
    assert_eq!(ours.packets_lost, 5);
    assert_eq!(ours.loss_percent, 1.0);
    assert_eq!(
        (ours.duplicates, ours.reordered, ours.max_burst_lost),
        (1, 1, 3)
    );
    assert_eq!(
        ours.tos,
        [TosCount {
            value: TOS_EF,
            dscp: 46,
            packets: 496
        }]
    );
    assert_eq!(ours.intervals.len(), 10);

    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let file = TempFile(std::env::temp_dir().join(format!(
        "sipwall-rtp-tshark-{}-{nanos}.pcap",
        std::process::id()
    )));
    std::fs::write(&file.0, pcap(&stream)).expect("write pcap");
    let (tshark, text) = run_tshark(&file.0);

    let max_delta_ms = stream
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs_f64() * 1000.0)
        .fold(0.0, f64::max);
    eprintln!(
        "tshark: {tshark:?}\nours: expected {} received {} lost {} (dup {}) max jitter {:.6} \
         mean jitter {:.6} max delta {max_delta_ms:.6}",
        ours.packets_expected,
        ours.packets_received,
        ours.packets_lost,
        ours.duplicates,
        ours.max_jitter_ms,
        ours.mean_jitter_ms,
    );

    let context = format!("{}\n{text}", tshark_version());
    assert_eq!(tshark.packets, ours.packets_received, "{context}");
    // Like with like: tshark subtracts every packet seen, duplicates included.
    let ours_lost_tshark_style = ours.packets_expected as i64 - ours.packets_received as i64;
    assert_eq!(tshark.lost, ours_lost_tshark_style, "{context}");
    assert_eq!(
        ours.packets_lost as i64,
        tshark.lost + ours.duplicates as i64
    );
    // tshark prints 3 decimals, so agreement within 0.001 ms is all that can be asked; the
    // brief allows 0.01.
    let close = |a: f64, b: f64| (a - b).abs() <= 0.001;
    assert!(
        close(tshark.max_delta_ms, max_delta_ms),
        "max delta {max_delta_ms}: {context}"
    );
    assert!(
        close(tshark.max_jitter_ms, ours.max_jitter_ms),
        "max jitter {}: {context}",
        ours.max_jitter_ms
    );
    assert!(
        close(tshark.mean_jitter_ms, ours.mean_jitter_ms),
        "mean jitter {}: {context}",
        ours.mean_jitter_ms
    );
}
