//! Hand-computed streams and property tests for [`ReceiverStats`].

use std::time::Duration;

use proptest::prelude::*;

use super::*;

const SSRC: u32 = 0x1234_5678;
const SECOND: Duration = Duration::from_secs(1);

/// A 172-byte G.711 packet (12-byte header, 160 bytes of payload).
fn rtp(seq: u16, timestamp: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&timestamp.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.resize(172, 0xff);
    p
}

fn us(micros: u64) -> Duration {
    Duration::from_micros(micros)
}

/// Feeds `(seq, arrival)` pairs with the timestamp that belongs to the sequence number
/// (160 per packet from `first`), as a sender does.
fn feed(stats: &mut ReceiverStats, first: u16, packets: &[(u16, Duration)]) {
    for &(seq, arrival) in packets {
        let timestamp = u32::from(seq.wrapping_sub(first)) * 160;
        stats
            .on_datagram(&rtp(seq, timestamp, SSRC), arrival, None)
            .unwrap();
    }
}

/// Sequence numbers `first..first+count` (wrapping), each arriving at its nominal 20 ms slot,
/// except those in `skip`.
fn clean_stream(first: u16, count: u16, skip: &[u16]) -> Vec<(u16, Duration)> {
    (0..count)
        .map(|i| (first.wrapping_add(i), us(u64::from(i) * 20_000)))
        .filter(|(seq, _)| !skip.contains(seq))
        .collect()
}

fn report_of(first: u16, packets: &[(u16, Duration)]) -> StreamReport {
    let mut stats = ReceiverStats::new(8000, SECOND);
    feed(&mut stats, first, packets);
    stats.report()
}

#[test]
fn perfect_stream_at_50_pps() {
    let r = report_of(1000, &clean_stream(1000, 250, &[]));
    assert_eq!(r.packets_received, 250);
    assert_eq!(r.packets_expected, 250);
    assert_eq!(r.packets_lost, 0);
    assert_eq!(r.loss_percent, 0.0);
    assert_eq!((r.duplicates, r.reordered, r.max_burst_lost), (0, 0, 0));
    assert_eq!(
        (r.jitter_ms, r.max_jitter_ms, r.mean_jitter_ms),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(r.first_arrival_ms, Some(0.0));
    assert_eq!(r.last_arrival_ms, Some(4980.0));
    assert_eq!((r.ssrc, r.payload_type), (Some(SSRC), Some(0)));
    assert!(r.tos.is_empty());
    // 250 packets in 5 s: five full one-second buckets.
    let per_bucket: Vec<_> = r
        .intervals
        .iter()
        .map(|b| (b.start_ms, b.packets, b.lost))
        .collect();
    assert_eq!(
        per_bucket,
        [
            (0.0, 50, 0),
            (1000.0, 50, 0),
            (2000.0, 50, 0),
            (3000.0, 50, 0),
            (4000.0, 50, 0)
        ]
    );
}

#[test]
fn two_missing_packets() {
    let r = report_of(0, &clean_stream(0, 10, &[5, 6]));
    assert_eq!(
        (r.packets_received, r.packets_expected, r.packets_lost),
        (8, 10, 2)
    );
    assert_eq!(r.loss_percent, 20.0);
    assert_eq!(r.max_burst_lost, 2);
    assert_eq!(r.reordered, 0);
    // Arrivals keep to the timestamps, so the gap adds no jitter.
    assert_eq!(r.max_jitter_ms, 0.0);
    assert_eq!(r.intervals[0].lost, 2);
}

#[test]
fn loss_percent_is_a_percentage() {
    let r = report_of(0, &clean_stream(0, 100, &[50]));
    assert_eq!((r.packets_expected, r.packets_lost), (100, 1));
    assert_eq!(r.loss_percent, 1.0);
}

#[test]
fn duplicate_is_counted_once_for_loss() {
    let mut packets = clean_stream(0, 10, &[]);
    packets.insert(5, (4, us(81_000)));
    let r = report_of(0, &packets);
    assert_eq!((r.packets_received, r.packets_expected), (11, 10));
    assert_eq!((r.duplicates, r.reordered, r.packets_lost), (1, 0, 0));
    // The copy arrives 1 ms after the original with the same timestamp: |D| = 8 units, J = 0.5.
    // Seq 5 then comes 19 ms after the copy for 20 ms of timestamp: |D| = 8, J = 0.5 + 7.5/16.
    // Units of 1/8 ms: 0.96875 / 8 = 0.12109375 ms; it decays by 15/16 over the last 4 packets.
    let after = 0.121_093_75 * (15.0_f64 / 16.0).powi(4);
    assert!((r.jitter_ms - after).abs() < 1e-12, "{}", r.jitter_ms);
    assert!((r.max_jitter_ms - 0.121_093_75).abs() < 1e-12);
}

#[test]
fn reordered_packet_is_not_lost() {
    let packets = [
        (0, us(0)),
        (1, us(20_000)),
        (2, us(40_000)),
        (4, us(80_000)),
        (3, us(81_000)),
        (5, us(100_000)),
        (6, us(120_000)),
    ];
    let r = report_of(0, &packets);
    assert_eq!(
        (r.packets_received, r.packets_expected, r.packets_lost),
        (7, 7, 0)
    );
    assert_eq!((r.reordered, r.duplicates, r.max_burst_lost), (1, 0, 0));
    // The gap was seen when 4 arrived; the bucket keeps it (documented choice).
    assert_eq!(r.intervals[0].lost, 1);
}

#[test]
fn late_fill_splits_a_burst() {
    let mut packets = clean_stream(0, 20, &[5, 6, 7, 8, 9]);
    packets.push((7, us(400_000)));
    let r = report_of(0, &packets);
    assert_eq!((r.packets_lost, r.reordered), (4, 1));
    assert_eq!(r.max_burst_lost, 2);
}

#[test]
fn sequence_wrap() {
    // 65530..=65535 then 0..=9; 0 is lost.
    let r = report_of(65530, &clean_stream(65530, 16, &[0]));
    assert_eq!(
        (r.packets_received, r.packets_expected, r.packets_lost),
        (15, 16, 1)
    );
    assert_eq!((r.reordered, r.max_burst_lost), (0, 1));
    assert_eq!(r.max_jitter_ms, 0.0);

    let r = report_of(65535, &clean_stream(65535, 3, &[]));
    assert_eq!((r.packets_expected, r.packets_lost), (3, 0));
}

#[test]
fn late_packet_below_the_first_extends_expected() {
    let r = report_of(
        10,
        &[
            (10, us(0)),
            (11, us(20_000)),
            (8, us(21_000)),
            (12, us(40_000)),
        ],
    );
    // 8..=12 expected, 9 missing.
    assert_eq!((r.packets_expected, r.packets_lost, r.reordered), (5, 1, 1));
    assert_eq!(r.max_burst_lost, 1);
}

#[test]
fn repeat_older_than_the_window_is_late() {
    let mut packets = clean_stream(0, 2000, &[]);
    packets.push((3, us(40_000_000)));
    let r = report_of(0, &packets);
    assert_eq!((r.duplicates, r.reordered), (0, 1));
    // Counted as unique, so it masks nothing here: expected 2000, 2001 "unique", lost clamps.
    assert_eq!(r.packets_lost, 0);
}

#[test]
fn big_jump_counts_skipped_numbers_as_lost() {
    let r = report_of(
        0,
        &[
            (0, us(0)),
            (1, us(20_000)),
            (10_001, us(40_000)),
            (10_002, us(60_000)),
        ],
    );
    assert_eq!(
        (r.packets_expected, r.packets_lost, r.max_burst_lost),
        (10_003, 9999, 9999)
    );
}

/// Every other packet arrives 5 ms late, so |D| = 5 ms = 40 units for every packet after the
/// first (late after on-time, then on-time after late). J_n = 40 (1 - (15/16)^n) after the
/// n-th difference: it converges to |D| = 5 ms, not to the 2.5 ms average delay.
#[test]
fn alternating_delay_converges_to_the_delay() {
    let n = 500;
    let packets: Vec<_> = (0..n)
        .map(|i| (i, us(u64::from(i) * 20_000 + u64::from(i % 2) * 5_000)))
        .collect();
    let r = report_of(0, &packets);
    let q = 15.0_f64 / 16.0;
    let diffs = f64::from(n - 1);
    let last = 5.0 * (1.0 - q.powf(diffs));
    assert!((r.jitter_ms - last).abs() < 1e-9, "{}", r.jitter_ms);
    assert!((r.jitter_ms - 5.0).abs() < 1e-9);
    assert_eq!(r.max_jitter_ms, r.jitter_ms);
    // Mean of J_1..J_{n-1}: 5 (1 - 15 (1 - q^(n-1)) / (n-1)).
    let mean = 5.0 * (1.0 - 15.0 * (1.0 - q.powf(diffs)) / diffs);
    assert!(
        (r.mean_jitter_ms - mean).abs() < 1e-9,
        "{} vs {mean}",
        r.mean_jitter_ms
    );
}

#[test]
fn foreign_ssrc_is_ignored() {
    let mut stats = ReceiverStats::new(8000, SECOND);
    stats
        .on_datagram(&rtp(1, 0, SSRC), us(0), Some(0xb8))
        .unwrap();
    let other = stats
        .on_datagram(&rtp(500, 99, 0xdead_beef), us(1_000), Some(0))
        .unwrap_err();
    assert_eq!(other, RtpDrop::ForeignSsrc(0xdead_beef));
    stats
        .on_datagram(&rtp(2, 160, SSRC), us(20_000), Some(0xb8))
        .unwrap();
    let r = stats.report();
    assert_eq!((r.ssrc, r.foreign_ssrc), (Some(SSRC), 1));
    assert_eq!(
        (r.packets_received, r.packets_expected, r.packets_lost),
        (2, 2, 0)
    );
    assert_eq!(r.max_jitter_ms, 0.0);
    assert_eq!(
        r.tos,
        [TosCount {
            value: 0xb8,
            dscp: 46,
            packets: 2
        }]
    );
}

#[test]
fn garbage_is_not_rtp() {
    let mut version_1 = rtp(1, 0, SSRC);
    version_1[0] = 0x40;
    let mut csrc_past_end = rtp(1, 0, SSRC);
    csrc_past_end[0] = 0x8f;
    csrc_past_end.truncate(20);
    let mut rtcp_sr = rtp(1, 0, SSRC);
    rtcp_sr[1] = 200;
    let stun = [
        0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let garbage: [&[u8]; 6] = [
        &[],
        &[0x80; 11],
        &version_1,
        &csrc_past_end,
        &rtcp_sr,
        &stun,
    ];

    let mut stats = ReceiverStats::new(8000, SECOND);
    for bytes in garbage {
        assert_eq!(
            stats.on_datagram(bytes, us(0), Some(0)),
            Err(RtpDrop::NotRtp)
        );
    }
    let r = stats.report();
    assert_eq!(r.not_rtp, 6);
    assert_eq!(
        r,
        StreamReport {
            not_rtp: 6,
            ..StreamReport::default()
        }
    );

    // The first valid packet still fixes the stream.
    stats.on_datagram(&rtp(7, 0, 42), us(5_000), None).unwrap();
    let r = stats.report();
    assert_eq!((r.ssrc, r.packets_received, r.not_rtp), (Some(42), 1, 6));
    assert_eq!(r.first_arrival_ms, Some(5.0));
}

#[test]
fn tos_counts_sorted_by_value() {
    let mut stats = ReceiverStats::new(8000, SECOND);
    let tos = [Some(0xb8), Some(0), Some(0xb8), None, Some(0xb8), Some(0)];
    for (i, tos) in (0u16..).zip(tos) {
        stats
            .on_datagram(
                &rtp(i, u32::from(i) * 160, SSRC),
                us(u64::from(i) * 20_000),
                tos,
            )
            .unwrap();
    }
    let r = stats.report();
    assert_eq!(
        r.tos,
        [
            TosCount {
                value: 0,
                dscp: 0,
                packets: 2
            },
            TosCount {
                value: 0xb8,
                dscp: 46,
                packets: 3
            }
        ]
    );
    assert_eq!(r.packets_received, 6);
}

#[test]
fn intervals_are_capped() {
    // One packet a second for 700 s; the 600th bucket takes the last 101.
    let packets: Vec<_> = (0..700u16)
        .map(|i| (i, Duration::from_secs(u64::from(i))))
        .collect();
    let mut stats = ReceiverStats::new(8000, SECOND);
    for &(seq, arrival) in &packets {
        stats
            .on_datagram(&rtp(seq, u32::from(seq) * 8000, SSRC), arrival, None)
            .unwrap();
    }
    let r = stats.report();
    assert_eq!(r.intervals.len(), MAX_INTERVALS);
    assert!(r.intervals[..599].iter().all(|b| b.packets == 1));
    assert_eq!(r.intervals[599].packets, 101);
    assert_eq!(r.intervals[599].start_ms, 599_000.0);
}

#[test]
fn quiet_seconds_leave_empty_buckets_and_zero_interval_one_bucket() {
    let packets = [(0, us(500_000)), (1, us(3_700_000))];
    let r = report_of(0, &packets);
    let shape: Vec<_> = r
        .intervals
        .iter()
        .map(|b| (b.start_ms, b.packets, b.lost))
        .collect();
    assert_eq!(
        shape,
        [
            (500.0, 1, 0),
            (1500.0, 0, 0),
            (2500.0, 0, 0),
            (3500.0, 1, 0)
        ]
    );

    let mut stats = ReceiverStats::new(8000, Duration::ZERO);
    feed(&mut stats, 0, &packets);
    assert_eq!(stats.report().intervals.len(), 1);
}

#[test]
fn zero_clock_rate_disables_jitter() {
    let mut stats = ReceiverStats::new(0, SECOND);
    feed(
        &mut stats,
        0,
        &[(0, us(0)), (1, us(33_000)), (2, us(35_000))],
    );
    let r = stats.report();
    assert_eq!(
        (r.jitter_ms, r.max_jitter_ms, r.mean_jitter_ms),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(r.packets_received, 3);
}

#[test]
fn report_round_trips_through_json() {
    // Values exact in binary (2 % loss, zero jitter), so float parsing can't differ by an ulp.
    let mut packets = clean_stream(65500, 100, &[65510, 65511]);
    packets.swap(40, 41);
    let mut stats = ReceiverStats::new(8000, SECOND);
    for (i, &(seq, arrival)) in packets.iter().enumerate() {
        let tos = if i % 3 == 0 { Some(0xb8) } else { None };
        let timestamp = u32::from(seq.wrapping_sub(65500)) * 160;
        stats
            .on_datagram(&rtp(seq, timestamp, SSRC), arrival, tos)
            .unwrap();
    }
    let r = stats.report();
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"loss_percent\":2.0"), "{json}");
    assert_eq!(r.reordered, 1);
    assert_eq!(serde_json::from_str::<StreamReport>(&json).unwrap(), r);
}

/// Longest run of numbers in `min..=max` absent from `received` (extended numbers).
fn naive_max_run(received: &[i64]) -> u64 {
    let set: std::collections::BTreeSet<_> = received.iter().copied().collect();
    let (mut best, mut run) = (0, 0);
    for n in *set.first().unwrap()..=*set.last().unwrap() {
        if set.contains(&n) {
            run = 0;
        } else {
            run += 1;
            best = best.max(run);
        }
    }
    best
}

proptest! {
    #[test]
    fn never_panics_on_any_bytes(
        datagrams in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..40), any::<u64>(), any::<Option<u8>>()),
            0..60,
        ),
        clock_rate in any::<u32>(),
        interval_ns in any::<u64>(),
    ) {
        let mut stats = ReceiverStats::new(clock_rate, Duration::from_nanos(interval_ns));
        for (mut bytes, arrival_ns, tos) in datagrams {
            // Make about half of them look like RTP of one of two SSRCs.
            if bytes.len() >= 12 && bytes[0] & 1 == 0 {
                bytes[0] = 0x80;
                let ssrc = u32::from(bytes[8] & 1);
                bytes[8..12].copy_from_slice(&ssrc.to_be_bytes());
            }
            let _ = stats.on_datagram(&bytes, Duration::from_nanos(arrival_ns), tos);
        }
        let r = stats.report();
        // A repeat older than the 1024-number window counts as unique, but that needs
        // `expected` > 1024, far above 60 packets.
        prop_assert!(r.packets_expected >= r.packets_received - r.duplicates);
        prop_assert!((0.0..=100.0).contains(&r.loss_percent));
        prop_assert!(r.intervals.len() <= MAX_INTERVALS);
        prop_assert!(r.max_jitter_ms.is_finite());
        prop_assert!(r.mean_jitter_ms <= r.max_jitter_ms * (1.0 + 1e-9) + 1e-9);
        prop_assert!(serde_json::to_string(&r).is_ok());
    }

    /// Random sequence numbers (one SSRC): whatever the order, the expected count covers every
    /// unique packet.
    #[test]
    fn expected_covers_unique(seqs in proptest::collection::vec(any::<u16>(), 1..300)) {
        let mut stats = ReceiverStats::new(8000, SECOND);
        for (i, &seq) in (0u64..).zip(&seqs) {
            stats.on_datagram(&rtp(seq, seq.into(), SSRC), us(i * 20_000), None).unwrap();
        }
        let r = stats.report();
        prop_assert_eq!(r.packets_received, seqs.len() as u64);
        prop_assert!(r.packets_expected >= r.packets_received - r.duplicates);
    }

    /// Any arrival order of distinct sequence numbers (spanning less than half the number
    /// space, no wrap): loss is the holes between min and max, and nothing is a duplicate.
    #[test]
    fn permutation_of_distinct_seqs(
        base in 0u16..60_000,
        order in proptest::collection::btree_set(0u16..3000, 1..400)
            .prop_map(|s| s.into_iter().collect::<Vec<_>>())
            .prop_shuffle(),
    ) {
        let mut stats = ReceiverStats::new(8000, SECOND);
        for (i, &offset) in (0u64..).zip(&order) {
            let seq = base + offset;
            stats.on_datagram(&rtp(seq, u32::from(offset) * 160, SSRC), us(i * 20_000), None)
                .unwrap();
        }
        let r = stats.report();
        let (min, max) = (order.iter().min().unwrap(), order.iter().max().unwrap());
        let n = order.len() as u64;
        prop_assert_eq!(r.packets_lost, u64::from(max - min) + 1 - n);
        prop_assert_eq!(r.duplicates, 0);
        prop_assert_eq!(r.packets_received, n);
    }

    /// In-order stream with drops (gaps up to 5000, across the wrap) and neighbour swaps: the
    /// longest burst matches a naive scan over the extended numbers received.
    #[test]
    fn max_burst_matches_naive_scan(
        first in any::<u16>(),
        segments in proptest::collection::vec((1i64..40, 0i64..5000), 1..12),
        swaps in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let mut ext = Vec::new();
        let mut next = 0i64;
        for (kept, gap) in segments {
            ext.extend(next..next + kept);
            next += kept + gap;
        }
        let naive = naive_max_run(&ext);
        let lost = (ext.last().unwrap() - ext[0] + 1) as u64 - ext.len() as u64;
        // Swap close neighbours (at most 10 swaps of < 100 numbers, so a late packet stays in
        // the 1024-number window), never moving the first packet (it would lower the base).
        for i in swaps {
            if ext.len() > 2 {
                let i = 1 + i.index(ext.len() - 2);
                if (ext[i] - ext[i + 1]).abs() < 100 {
                    ext.swap(i, i + 1);
                }
            }
        }
        let mut stats = ReceiverStats::new(8000, SECOND);
        for (i, &n) in (0u64..).zip(&ext) {
            let seq = first.wrapping_add(n as u16);
            stats.on_datagram(&rtp(seq, n as u32 * 160, SSRC), us(i * 20_000), None).unwrap();
        }
        let r = stats.report();
        prop_assert_eq!(r.max_burst_lost, naive);
        prop_assert_eq!(r.packets_lost, lost);
        prop_assert_eq!(r.duplicates, 0);
    }
}
