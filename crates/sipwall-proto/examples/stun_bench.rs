//! Rough decode + respond timing for the reflector's hot path. Not a benchmark suite, no
//! assertions: `cargo run --release -p sipwall-proto --example stun_bench [name filter]`.
//! On a noisy VM, `perf stat -e instructions` with a filter gives a steadier number.

use std::hint::black_box;
use std::time::Instant;

use sipwall_proto::stun::{
    Attribute, ChangeRequest, LegacyTransactionId, ResponderConfig, Seal, SocketRole,
    TransactionId, Transport, binding_request, legacy_binding_request, respond,
};

fn time(name: &str, request: &[u8], cfg: &ResponderConfig, iterations: u32) {
    if let Some(filter) = std::env::args().nth(1)
        && !name.contains(&filter)
    {
        return;
    }
    let source = "203.0.113.5:40000".parse().unwrap();
    let mut out = Vec::with_capacity(2048);
    // Warm up (and size `out` once: no allocation inside the timed loop).
    for _ in 0..10_000 {
        black_box(respond(
            request,
            source,
            SocketRole::PrimaryIpPrimaryPort,
            Transport::Udp,
            cfg,
            &mut out,
        ));
    }
    let start = Instant::now();
    for _ in 0..iterations {
        let outcome = respond(
            black_box(request),
            black_box(source),
            SocketRole::PrimaryIpPrimaryPort,
            Transport::Udp,
            cfg,
            &mut out,
        );
        black_box((&outcome, &out));
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(iterations);
    println!(
        "{name:<44} request {:>5} B  reply {:>5} B  {ns:>7.1} ns/op  ({:.1} M/s)",
        request.len(),
        out.len(),
        1e3 / ns
    );
}

fn main() {
    let cfg = ResponderConfig {
        alternate: Some("198.51.100.20:3479".parse().unwrap()),
        software: Some("sipwall"),
        ..ResponderConfig::new("192.0.2.10:3478".parse().unwrap())
    };
    let tid = TransactionId(*b"0123456789ab");
    let n = 5_000_000;
    let mut req = Vec::new();

    binding_request(tid, &[], Seal::NONE, &mut req).unwrap();
    time("Binding, 20-byte request", &req, &cfg, n);

    req.clear();
    binding_request(tid, &[], Seal::FINGERPRINT, &mut req).unwrap();
    time("Binding + FINGERPRINT (CRC both ways)", &req, &cfg, n);

    req.clear();
    let change = ChangeRequest {
        change_ip: true,
        change_port: true,
    };
    binding_request(
        tid,
        &[Attribute::ChangeRequest(change)],
        Seal::NONE,
        &mut req,
    )
    .unwrap();
    time("Binding + CHANGE-REQUEST", &req, &cfg, n);

    for pad in [508, 1452] {
        req.clear();
        binding_request(tid, &[Attribute::Padding(pad)], Seal::NONE, &mut req).unwrap();
        time(
            &format!("Binding + PADDING ({} B datagram)", req.len()),
            &req,
            &cfg,
            n,
        );
    }

    req.clear();
    legacy_binding_request(LegacyTransactionId(*b"0123456789abcdef"), &[], &mut req).unwrap();
    time("RFC 3489 Binding", &req, &cfg, n);

    req.clear();
    binding_request(
        tid,
        &[Attribute::Other {
            typ: 0x7777,
            value: b"x",
        }],
        Seal::NONE,
        &mut req,
    )
    .unwrap();
    time("420 (unknown attribute)", &req, &cfg, n);

    time(
        "garbage (dropped)",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &cfg,
        n,
    );
}
