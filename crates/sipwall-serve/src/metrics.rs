//! Counters in the Prometheus text exposition format (version 0.0.4), served over plain HTTP
//! on a separate address (`--metrics`), meant for a private interface or loopback.

use std::fmt::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::counters::{Counters, Service, ServiceCounters};
use crate::session::Sessions;

/// Renders every counter and gauge.
pub fn render(stun: &Counters, services: &ServiceCounters, sessions: &Sessions) -> String {
    let mut text = String::new();
    let snapshot = stun.snapshot();
    let mut counter = |name: &str, help: &str, value: u64| {
        let _ = writeln!(
            text,
            "# HELP sipwall_{name} {help}\n# TYPE sipwall_{name} counter\nsipwall_{name} {value}"
        );
    };
    counter(
        "stun_received_total",
        "STUN requests received (UDP and TCP)",
        snapshot.received,
    );
    counter("stun_replied_total", "STUN answers sent", snapshot.replied);
    counter(
        "stun_send_errors_total",
        "STUN answers the kernel refused to send",
        snapshot.send_errors,
    );
    counter(
        "stun_rate_limited_total",
        "STUN requests dropped by the per-source rate limit",
        snapshot.rate_limited,
    );
    counter(
        "stun_tcp_refused_total",
        "STUN TCP connections closed at once because the cap was reached",
        snapshot.tcp_refused,
    );
    for (name, help, value) in services.all() {
        counter(name, help, value);
    }
    let _ = writeln!(
        text,
        "# HELP sipwall_stun_dropped_total STUN input dropped, by reason\n# TYPE sipwall_stun_dropped_total counter"
    );
    for (reason, value) in &snapshot.dropped {
        let _ = writeln!(
            text,
            "sipwall_stun_dropped_total{{reason=\"{}\"}} {value}",
            reason.as_str()
        );
    }
    let _ = writeln!(
        text,
        "# HELP sipwall_sessions_open check sessions open now\n# TYPE sipwall_sessions_open gauge\nsipwall_sessions_open {}",
        sessions.count()
    );
    text
}

/// Answers any HTTP request with the metrics; one request per connection.
pub async fn serve(
    listener: TcpListener,
    stun: Arc<Counters>,
    services: Arc<ServiceCounters>,
    sessions: Arc<Sessions>,
) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        services.add(Service::MetricsRequests);
        let body = render(&stun, &services, &sessions);
        tokio::spawn(async move {
            // Read (and ignore) the request head, bounded in size and time.
            let mut head = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut head)).await;
            let response = format!(
                "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}
