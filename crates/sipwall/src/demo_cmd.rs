//! `sipwall demo`: the whole product in one command. Without `--lab`, a reflector on
//! 127.0.0.1 + 127.0.0.2 inside this process and the full check against it (no NAT, no ALG:
//! everything should pass). With `--lab` (root), a real Linux NAT router in network
//! namespaces with the kernel SIP ALG on UDP and TCP 5060, the reflector on its "internet"
//! side and the check behind it: the ALG is found, field by field.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use sipwall_lab::{AlgPort, Lab, Nat};
use sipwall_proto::control::SocketTransport;
use sipwall_serve::rate_limit::DEFAULT_LIMITS;
use sipwall_serve::session::DEFAULT_SESSION_CAPS;
use sipwall_serve::tls::CertificateSource;
use sipwall_serve::{Reflector, ReflectorConfig, StunServerConfig};

use crate::cli::DemoArgs;
use crate::exit::{CliError, Exit};

/// Reflector addresses of the local demo (127.0.0.2 is loopback on Linux too).
const PRIMARY: &str = "127.0.0.1:3478";
const ALTERNATE: &str = "127.0.0.2:3479";
const CONTROL: &str = "127.0.0.1:7443";
/// The lab's reflector (its "internet" side).
const LAB_PRIMARY: &str = "198.18.0.10:3478";
const LAB_ALTERNATE: &str = "198.18.0.11:3479";

pub fn run(args: &DemoArgs) -> Result<Exit, CliError> {
    if args.lab {
        return lab_demo(args);
    }
    eprintln!(
        "sipwall demo: a reflector on 127.0.0.1 + 127.0.0.2 and the full check against it.\n\
No NAT and no SIP ALG on loopback, so expect passes (the binding lifetime is not tested).\n\
`sipwall demo --lab` (as root) runs the same check behind a real Linux NAT with the kernel SIP ALG.\n"
    );
    let config = ReflectorConfig {
        stun: StunServerConfig {
            primary: PRIMARY.parse().expect("a valid address"),
            alternate: Some(ALTERNATE.parse().expect("a valid address")),
            advertised_primary_ip: None,
            advertised_alternate_ip: None,
            limits: DEFAULT_LIMITS,
        },
        stun_tls: None,
        sip: [
            (SocketTransport::Udp, 5060),
            (SocketTransport::Tcp, 5060),
            (SocketTransport::Udp, 5080),
            (SocketTransport::Tcp, 5080),
            (SocketTransport::Tls, 5061),
        ]
        .to_vec(),
        control: Some(CONTROL.parse().expect("a valid address")),
        control_tls: false,
        certificate: CertificateSource::SelfSigned,
        port_matrix: Vec::new(),
        port_ranges: Vec::new(),
        inbound_source: None,
        metrics: None,
        sessions: DEFAULT_SESSION_CAPS,
    };
    let reflector = Reflector::start(&config).map_err(|e| {
        CliError::usage(format!(
            "error: the demo reflector cannot start: {e}\n  = hint: something else uses one of its ports \
(STUN 3478/3479, SIP 5060/5080/5061, control 7443); stop it, or run `sipwall serve` with other ports \
and `sipwall check --server 127.0.0.1:PORT`"
        ))
    })?;
    let status = Command::new(std::env::current_exe().map_err(|e| CliError::usage(e.to_string()))?)
        .args([
            "check",
            "--server",
            CONTROL,
            "--profile",
            &args.profile,
            "--media-seconds",
            "3",
        ])
        .status()
        .map_err(|e| CliError::usage(format!("error: cannot run the check: {e}")))?;
    reflector.shutdown();
    Ok(exit_of(status.code()))
}

/// The demo succeeds when the check ran to its report, whatever the report found (the lab
/// demo is meant to find the ALG); a check that could not run is the demo's failure.
fn exit_of(code: Option<i32>) -> Exit {
    match code {
        Some(0 | 1) => Exit::Success,
        Some(3) => Exit::Unreachable,
        _ => Exit::Usage,
    }
}

fn lab_demo(args: &DemoArgs) -> Result<Exit, CliError> {
    if !nix::unistd::Uid::effective().is_root() {
        return Err(CliError::usage(
            "error: `sipwall demo --lab` builds network namespaces and needs root\n  = hint: run it with sudo, or `sipwall demo` without --lab",
        ));
    }
    eprintln!(
        "sipwall demo --lab: a Linux NAT router (port-preserving masquerade) with the kernel SIP ALG\n\
(nf_conntrack_sip) on UDP and TCP 5060, the reflector on 198.18.0.10 + .11, the check on 10.77.0.2.\n"
    );
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .sip_alg(AlgPort::udp(5060))
        .sip_alg(AlgPort::tcp(5060))
        .build()
        .map_err(|e| CliError::usage(format!("error: the lab cannot be built: {e}")))?;
    let exe = std::env::current_exe().map_err(|e| CliError::usage(e.to_string()))?;
    let exe = exe.to_string_lossy();
    let mut server = lab
        .server()
        .command(&exe)
        .args([
            "serve",
            "--primary",
            LAB_PRIMARY,
            "--alternate",
            LAB_ALTERNATE,
            "--duration",
            "120",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            CliError::usage(format!("error: cannot start the reflector in the lab: {e}"))
        })?;
    // Wait until it serves its control channel.
    let mut lines = BufReader::new(server.stderr.take().expect("piped")).lines();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        if line.contains("error") {
            let _ = server.kill();
            return Err(CliError::usage(format!(
                "error: the lab reflector failed: {line}"
            )));
        }
        if line.contains("serving CONTROL/") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    let status = lab
        .client()
        .command(&exe)
        .args([
            "check",
            "--server",
            "198.18.0.10",
            "--profile",
            &args.profile,
            "--media-seconds",
            "3",
        ])
        .status()
        .map_err(|e| CliError::usage(format!("error: cannot run the check in the lab: {e}")));
    let _ = server.kill();
    let _ = server.wait();
    Ok(exit_of(status?.code()))
}
