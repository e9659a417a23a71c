//! `sipwall serve`: starts the reflector's STUN sockets and reports counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sipwall_serve::config::{ConfigFile, read_config};
use sipwall_serve::rate_limit::{DEFAULT_LIMITS, Limits};
use sipwall_serve::{Snapshot, StunServer, StunServerConfig};

use crate::cli::ServeArgs;
use crate::exit::{CliError, Exit};

pub fn run(args: &ServeArgs) -> Result<Exit, CliError> {
    let file = match &args.config {
        Some(path) => read_config(path).map_err(|e| CliError::usage(format!("error: {e}")))?,
        None => ConfigFile::default(),
    };
    let rate = args
        .rate
        .or(file.limits.rate)
        .unwrap_or(DEFAULT_LIMITS.per_second);
    let burst = args
        .burst
        .or(file.limits.burst)
        .unwrap_or(DEFAULT_LIMITS.burst);
    if !(rate > 0.0 && burst >= 1.0) {
        return Err(CliError::usage(
            "error: the rate must be above 0 and the burst at least 1",
        ));
    }
    let config = StunServerConfig {
        primary: args
            .primary
            .or(file.stun.primary)
            .unwrap_or_else(|| "127.0.0.1:3478".parse().expect("a valid address")),
        alternate: args.alternate.or(file.stun.alternate),
        advertised_primary_ip: args.advertise.or(file.stun.advertise),
        advertised_alternate_ip: args.advertise_alternate.or(file.stun.advertise_alternate),
        limits: Limits {
            per_second: rate,
            burst,
            ..DEFAULT_LIMITS
        },
    };
    let server = StunServer::start(&config).map_err(|e| CliError::usage(format!("error: {e}")))?;
    for (role, address) in server.addresses() {
        eprintln!("sipwall serve: STUN/UDP {address} ({role:?})");
    }
    eprintln!("sipwall serve: STUN/TCP {}", server.tcp_address());
    if config.alternate.is_none() {
        eprintln!(
            "sipwall serve: one address only: CHANGE-REQUEST is answered with 420 (RFC 5780 §6)"
        );
    }
    // SIGINT / SIGTERM end the loop below, so the sockets close and the final counters print.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone()).map_err(|e| {
            CliError::usage(format!("error: cannot install the signal handler: {e}"))
        })?;
    }
    let started = Instant::now();
    let mut last_report = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let expired = args
            .duration
            .is_some_and(|d| started.elapsed() >= Duration::from_secs(d));
        if expired || stop.load(Ordering::Relaxed) {
            break;
        }
        if args.stats_every > 0 && last_report.elapsed() >= Duration::from_secs(args.stats_every) {
            eprintln!("{}", format_stats(&server.counters()));
            last_report = Instant::now();
        }
    }
    eprintln!("{}", format_stats(&server.shutdown()));
    Ok(Exit::Success)
}

fn format_stats(snapshot: &Snapshot) -> String {
    let dropped: Vec<String> = snapshot
        .dropped
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(reason, n)| format!("{}={n}", reason.as_str()))
        .collect();
    format!(
        "sipwall serve: received {} replied {} send-errors {} tcp-refused {} rate-limited {} dropped {}{}",
        snapshot.received,
        snapshot.replied,
        snapshot.send_errors,
        snapshot.tcp_refused,
        snapshot.rate_limited,
        snapshot.dropped_total(),
        if dropped.is_empty() {
            String::new()
        } else {
            format!(" ({})", dropped.join(" "))
        }
    )
}
