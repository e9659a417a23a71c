//! `sipwall serve`: merges flags over the configuration file, starts the reflector, logs what
//! it serves and its counters, and stops cleanly on SIGINT / SIGTERM.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sipwall_proto::control::{ServerSocket, Service, SocketTransport};
use sipwall_serve::config::{ConfigFile, parse_port_list, parse_port_ranges, read_config};
use sipwall_serve::rate_limit::{DEFAULT_LIMITS, Limits};
use sipwall_serve::session::{DEFAULT_SESSION_CAPS, SessionCaps};
use sipwall_serve::tls::CertificateSource;
use sipwall_serve::{Reflector, ReflectorConfig, ServiceCounters, Snapshot, StunServerConfig};
use tracing::info;

use crate::cli::ServeArgs;
use crate::exit::{CliError, Exit};

const DEFAULT_SIP_PORTS: &str = "udp:5060,tcp:5060,udp:5080,tcp:5080,tls:5061";
const DEFAULT_CONTROL_PORT: u16 = 7443;

pub fn run(args: &ServeArgs) -> Result<Exit, CliError> {
    let file = match &args.config {
        Some(path) => read_config(path).map_err(|e| CliError::usage(format!("error: {e}")))?,
        None => ConfigFile::default(),
    };
    let log_format = args.log_format.clone().or(file.log.format.clone());
    init_logging(log_format.as_deref().unwrap_or("text"))?;
    let config = reflector_config(args, &file)?;
    // SIGINT / SIGTERM end the loop below, so the sockets close and the final counters print.
    // Installed before anything is served: a signal right after the first "serving" line
    // (a supervisor stopping it at once) must still get the clean stop.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone()).map_err(|e| {
            CliError::usage(format!("error: cannot install the signal handler: {e}"))
        })?;
    }
    let reflector =
        Reflector::start(&config).map_err(|e| CliError::usage(format!("error: {e}")))?;
    for socket in reflector.sockets() {
        info!(
            "serving {} {} as {}",
            service_label(&socket),
            socket.address,
            socket.name
        );
    }
    if config.stun.alternate.is_none() {
        info!(
            "one address only: CHANGE-REQUEST is answered with 420 (RFC 5780 §6) and inbound tests are unavailable"
        );
    }
    if let Some(address) = config.metrics {
        info!(%address, "metrics (Prometheus text format) over HTTP");
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
            log_stats(
                &reflector.stun_counters(),
                reflector.service_counters(),
                reflector.open_sessions(),
            );
            last_report = Instant::now();
        }
    }
    let services: Vec<_> = reflector.service_counters().all();
    let stun = reflector.shutdown();
    log_final(&stun, &services);
    Ok(Exit::Success)
}

/// "STUN/UDP", "SIP/TLS", "CONTROL/TCP", "PORT/UDP": what a log reader looks for.
fn service_label(socket: &ServerSocket) -> String {
    let service = match socket.service {
        Service::StunPp | Service::StunPa | Service::StunAp | Service::StunAa => "STUN",
        Service::SipMirror => "SIP",
        Service::PortProbe => "PORT",
        Service::Control => "CONTROL",
    };
    let transport = match socket.transport {
        SocketTransport::Udp => "UDP",
        SocketTransport::Tcp => "TCP",
        SocketTransport::Tls => "TLS",
    };
    format!("{service}/{transport}")
}

fn init_logging(format: &str) -> Result<(), CliError> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let result = match format {
        "text" => builder.try_init(),
        "json" => builder.json().try_init(),
        other => {
            return Err(CliError::usage(format!(
                "error: unknown log format {other:?}\n  hint: use text or json"
            )));
        }
    };
    // A second init (tests calling run twice) keeps the first subscriber: fine.
    let _ = result;
    Ok(())
}

fn reflector_config(args: &ServeArgs, file: &ConfigFile) -> Result<ReflectorConfig, CliError> {
    let usage = |message: String| CliError::usage(format!("error: {message}"));
    let rate = args
        .rate
        .or(file.limits.rate)
        .unwrap_or(DEFAULT_LIMITS.per_second);
    let burst = args
        .burst
        .or(file.limits.burst)
        .unwrap_or(DEFAULT_LIMITS.burst);
    if !(rate > 0.0 && burst >= 1.0) {
        return Err(usage(
            "the rate must be above 0 and the burst at least 1".into(),
        ));
    }
    let primary = args
        .primary
        .or(file.stun.primary)
        .unwrap_or_else(|| "127.0.0.1:3478".parse().expect("a valid address"));
    let sip_text = args.sip.clone().or(file.sip.ports.clone());
    let sip = parse_port_list(sip_text.as_deref().unwrap_or(DEFAULT_SIP_PORTS))
        .map_err(|e| usage(format!("--sip: {e}")))?;
    let port_matrix = parse_port_list(
        args.port_matrix
            .clone()
            .or(file.ports.matrix.clone())
            .as_deref()
            .unwrap_or("none"),
    )
    .map_err(|e| usage(format!("--port-matrix: {e}")))?;
    let port_ranges = parse_port_ranges(
        args.port_range
            .clone()
            .or(file.ports.ranges.clone())
            .as_deref()
            .unwrap_or("none"),
    )
    .map_err(|e| usage(format!("--port-range: {e}")))?;
    let control = match args.control.clone().or(file.control.address.clone()) {
        None => Some(SocketAddr::new(primary.ip(), DEFAULT_CONTROL_PORT)),
        Some(text) if text.eq_ignore_ascii_case("none") => None,
        Some(text) => Some(
            text.parse()
                .map_err(|_| usage(format!("--control: {text:?} is not IP:PORT or none")))?,
        ),
    };
    let certificate = match (
        args.cert.clone().or(file.tls.certificate.clone()),
        args.key.clone().or(file.tls.key.clone()),
    ) {
        (Some(certificate), Some(key)) => CertificateSource::Files { certificate, key },
        (None, None) => CertificateSource::SelfSigned,
        _ => {
            return Err(usage(
                "a TLS certificate needs its key, and a key its certificate".into(),
            ));
        }
    };
    let sessions = SessionCaps {
        max_sessions: args
            .max_sessions
            .or(file.limits.max_sessions)
            .unwrap_or(DEFAULT_SESSION_CAPS.max_sessions),
        max_per_ip: args
            .max_sessions_per_ip
            .or(file.limits.max_sessions_per_ip)
            .unwrap_or(DEFAULT_SESSION_CAPS.max_per_ip),
        ..DEFAULT_SESSION_CAPS
    };
    Ok(ReflectorConfig {
        stun: StunServerConfig {
            primary,
            alternate: args.alternate.or(file.stun.alternate),
            advertised_primary_ip: args.advertise.or(file.stun.advertise),
            advertised_alternate_ip: args.advertise_alternate.or(file.stun.advertise_alternate),
            limits: Limits {
                per_second: rate,
                burst,
                ..DEFAULT_LIMITS
            },
        },
        stun_tls: args.stun_tls.or(file.stun.tls),
        sip,
        control,
        control_tls: args.control_tls || file.control.tls.unwrap_or(false),
        certificate,
        port_matrix,
        port_ranges,
        inbound_source: args.inbound_source.or(file.inbound.source),
        metrics: args.metrics.or(file.metrics.address),
        sessions,
    })
}

fn stun_fields(snapshot: &Snapshot) -> String {
    let dropped: Vec<String> = snapshot
        .dropped
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(reason, n)| format!("{}={n}", reason.as_str()))
        .collect();
    format!(
        "received {} replied {} send-errors {} tcp-refused {} rate-limited {} dropped {}{}",
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

fn service_fields(services: &[(&str, &str, u64)]) -> String {
    services
        .iter()
        .filter(|(_, _, value)| *value > 0)
        .map(|(name, _, value)| format!("{}={value}", name.trim_end_matches("_total")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn log_stats(stun: &Snapshot, services: &ServiceCounters, sessions: usize) {
    info!(
        sessions,
        "STUN {} | {}",
        stun_fields(stun),
        service_fields(&services.all())
    );
}

fn log_final(stun: &Snapshot, services: &[(&str, &str, u64)]) {
    info!(
        "stopped. STUN {} | {}",
        stun_fields(stun),
        service_fields(services)
    );
}
