//! `sipwall check`: loads the profile, finds the reflector, runs the tests and prints the
//! verdicts (human or JSON) with the documented exit code.

use std::io::IsTerminal;
use std::net::{SocketAddr, ToSocketAddrs};

use serde_json::json;
use sipwall_check::lifetime::Mode;
use sipwall_check::run::{CheckOptions, Progress, run_check, run_stun_only};
use sipwall_check::verdict::{Status, overall};

use crate::cli::CheckArgs;
use crate::exit::{CliError, Exit};
use crate::profile_cmd::{emit, open_resolved, pretty};
use crate::render;

const DEFAULT_CONTROL_PORT: u16 = 7443;
/// STUN's port (RFC 8489 §18.6).
const DEFAULT_STUN_PORT: u16 = 3478;
const JSON_VERSION: u32 = 1;

pub fn run(args: &CheckArgs) -> Result<Exit, CliError> {
    let (origin, _, resolved) = open_resolved(&args.profile, &args.set)?;
    let (address_text, default_port) = match (&args.server, &args.stun) {
        (_, Some(stun)) => (stun.as_str(), DEFAULT_STUN_PORT),
        (Some(server), None) => (server.as_str(), DEFAULT_CONTROL_PORT),
        (None, None) => {
            return Err(CliError::usage(
                "error: give --server (a sipwall reflector) or --stun (any STUN server)",
            ));
        }
    };
    let control = resolve_server(address_text, default_port)?;
    let options = CheckOptions {
        control,
        control_tls: args.control_tls,
        profile: resolved.profile,
        inbound: args.inbound,
        ports: true,
        alg: true,
        nat: true,
        media_seconds: (args.media_seconds > 0).then_some(args.media_seconds),
        media_streams: args.streams,
        lifetime: match args.lifetime.as_str() {
            "quick" => Some(Mode::Quick),
            "full" => Some(Mode::Full),
            _ => None,
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("error: cannot start the async runtime: {e}")))?;
    let show_progress = !args.json && std::io::stderr().is_terminal();
    let progress = move |event: Progress| {
        if show_progress {
            match event {
                Progress::Started(name) => eprintln!("  … {name}"),
                Progress::Finished(name, took) => {
                    eprintln!("  ✓ {name} ({:.1} s)", took.as_secs_f64())
                }
            }
        }
    };
    let work = async {
        if args.stun.is_some() {
            run_stun_only(control, &options.profile, &progress).await
        } else {
            run_check(&options, &progress).await
        }
    };
    let outcome = runtime.block_on(work).map_err(|e| CliError {
        code: Exit::Unreachable,
        message: format!("error: {e}\n  = hint: is `sipwall serve` running there, and is its control port ({}) allowed out?", control.port()),
    })?;
    if let Some(path) = &args.html {
        let generated = sipwall_report::format_utc(std::time::SystemTime::now());
        std::fs::write(path, sipwall_report::check_html(&outcome, &generated)).map_err(|e| {
            CliError::usage(format!(
                "error: cannot write the HTML report {}: {e}",
                path.display()
            ))
        })?;
    }
    if args.json {
        emit(&pretty(&json!({
            "schema": "sipwall.check",
            "version": JSON_VERSION,
            "profile_origin": origin,
            "status": overall(&outcome.verdicts).as_str(),
            "check": outcome,
        })))?;
    } else {
        emit(&render::check::summary(&outcome))?;
    }
    Ok(match overall(&outcome.verdicts) {
        Status::Pass | Status::Warn | Status::NotTested => Exit::Success,
        Status::Fail | Status::Inconclusive => Exit::Findings,
    })
}

/// HOST, HOST:PORT, IPv6 in brackets; names are resolved here (before any test runs).
fn resolve_server(server: &str, default_port: u16) -> Result<SocketAddr, CliError> {
    let bad = |detail: String| {
        CliError::usage(format!(
            "error: {server:?}: {detail}\n  = hint: give HOST or HOST:PORT, e.g. reflector.example.net or 198.51.100.10:7443"
        ))
    };
    if let Ok(address) = server.parse::<SocketAddr>() {
        return Ok(address);
    }
    let with_port = if server.parse::<std::net::IpAddr>().is_ok() || !server.contains(':') {
        let host = server.trim_start_matches('[').trim_end_matches(']');
        if host.contains(':') {
            format!("[{host}]:{default_port}")
        } else {
            format!("{host}:{default_port}")
        }
    } else {
        server.to_owned()
    };
    let mut addresses = with_port
        .to_socket_addrs()
        .map_err(|e| bad(e.to_string()))?;
    addresses
        .next()
        .ok_or_else(|| bad("the name has no address".into()))
}
