//! STUN Binding load generator for `bench/stun.sh`: keeps WINDOW requests in flight on one
//! socket against TARGET for SECONDS and prints transactions per second and latency
//! percentiles. Loopback only: it refuses any other target.
//!
//!     cargo run --release -p sipwall-serve --example stun_load -- 127.0.0.1:3478 5 64
//!
//! With STUN_LOAD_ECHO set, replies are not checked to be STUN (for the echo baseline).

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use sipwall_proto::stun::{BindingResponse, Seal, TransactionId, binding_request};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target: SocketAddr = args
        .get(1)
        .map_or("127.0.0.1:3478", String::as_str)
        .parse()
        .expect("TARGET is IP:PORT");
    let seconds: u64 = args.get(2).map_or(5, |s| s.parse().expect("SECONDS"));
    let window: usize = args.get(3).map_or(64, |s| s.parse().expect("WINDOW"));
    assert!(target.ip().is_loopback(), "load tests only go to loopback");

    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut in_flight: HashMap<[u8; 12], Instant> = HashMap::new();
    let mut request = Vec::with_capacity(64);
    let mut buffer = [0u8; 1500];
    let mut counter: u64 = 0;
    let mut latencies = Vec::new();
    let send =
        |counter: &mut u64, request: &mut Vec<u8>, in_flight: &mut HashMap<[u8; 12], Instant>| {
            *counter += 1;
            let mut id = [0u8; 12];
            id[..8].copy_from_slice(&counter.to_be_bytes());
            request.clear();
            binding_request(TransactionId(id), &[], Seal::NONE, request).expect("encode");
            socket.send_to(request, target).expect("send");
            in_flight.insert(id, Instant::now());
        };
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    for _ in 0..window {
        send(&mut counter, &mut request, &mut in_flight);
    }
    let mut completed: u64 = 0;
    let mut invalid: u64 = 0;
    let check_replies = std::env::var_os("STUN_LOAD_ECHO").is_none();
    while Instant::now() < deadline {
        match socket.recv_from(&mut buffer) {
            Ok((n, _)) => {
                // Matched by transaction id (bytes 8..20), so a plain echo server counts too:
                // that is the baseline the STUN servers are compared with.
                if n >= 20 {
                    let id: [u8; 12] = buffer[8..20].try_into().expect("12 bytes");
                    if let Some(sent) = in_flight.remove(&id) {
                        completed += 1;
                        latencies.push(sent.elapsed());
                        if check_replies && BindingResponse::parse(&buffer[..n]).is_err() {
                            invalid += 1;
                        }
                    }
                }
                send(&mut counter, &mut request, &mut in_flight);
            }
            Err(_) => {
                // Lost requests: refill the window so the load continues.
                in_flight.clear();
                for _ in 0..window {
                    send(&mut counter, &mut request, &mut in_flight);
                }
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    println!(
        "transactions_per_second={:.0} completed={completed} invalid={invalid} sent={counter} p50_us={:.0} p99_us={:.0}",
        completed as f64 / elapsed,
        percentile(0.5),
        percentile(0.99)
    );
}
