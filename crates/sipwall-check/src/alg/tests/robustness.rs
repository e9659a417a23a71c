//! No input makes the comparison or the machine panic (DESIGN.md §2.6).

use std::time::Instant;

use proptest::prelude::*;
use sipwall_proto::control::SocketTransport;

use super::support::{Counter, TOKEN, addr, servers};
use crate::alg::{
    AlgConfig, AlgTest, AlgTiming, Direction, Ends, ProbeKind, ProbeTarget, build_probe, compare,
};
use crate::sansio::{Machine, SocketId};

fn probe(kind: ProbeKind) -> Vec<u8> {
    let target = ProbeTarget {
        transport: SocketTransport::Udp,
        local: addr("192.168.1.20:5060"),
        server: addr("198.51.100.10:5060"),
        token: TOKEN,
    };
    build_probe(kind, &target, &mut Counter(1)).bytes
}

/// Replaces `len` bytes at `at` with `insert` (all clamped to the message).
fn splice(bytes: &[u8], at: usize, len: usize, insert: &[u8]) -> Vec<u8> {
    let at = at % (bytes.len() + 1);
    let end = (at + len).min(bytes.len());
    [&bytes[..at], insert, &bytes[end..]].concat()
}

proptest! {
    #[test]
    fn compare_survives_any_edit(
        kind in 0usize..4,
        at in any::<usize>(),
        len in 0usize..64,
        insert in proptest::collection::vec(any::<u8>(), 0..48),
        downstream in any::<bool>(),
    ) {
        let sent = probe(ProbeKind::ALL[kind]);
        let after = splice(&sent, at, len, &insert);
        let ends = Ends { private: addr("192.168.1.20:5060"), public: addr("203.0.113.5:5060") };
        let direction = if downstream { Direction::Downstream } else { Direction::Upstream };
        let changes = compare(direction, &sent, &after, ends);
        if after == sent {
            prop_assert!(changes.is_empty());
        }
    }

    #[test]
    fn machine_survives_any_bytes(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..8),
        socket in 0u32..4,
    ) {
        let config = AlgConfig {
            token: TOKEN.into(),
            private_ip: addr("192.168.1.20:0").ip(),
            servers: servers(),
            timing: AlgTiming::default(),
        };
        let mut m = AlgTest::with_random(config, Counter(3));
        let now = Instant::now();
        for request in m.sockets() {
            m.bound(request.id, Some(addr("192.168.1.20:40000")));
        }
        while m.poll_transmit(now).is_some() {}
        for payload in &payloads {
            m.handle_receive(now, SocketId(socket), addr("198.51.100.10:5060"), payload);
        }
        let _ = m.poll_timeout();
        prop_assert!(m.report().is_none());
    }
}
