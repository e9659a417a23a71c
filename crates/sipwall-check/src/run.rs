//! One whole check: open a session with the reflector, run the tests in the order their
//! side effects allow, and judge the reports against the profile.
//!
//! Order matters: inbound tests come first, before anything is sent to the reflector's
//! alternate address (the inbound tests come from there, and an address-dependent NAT would
//! let them in once the client had talked to it). Everything else runs in parallel.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sipwall_profile::model::Profile;
use sipwall_proto::control::ServerSocket;
use sipwall_proto::stun::{BindingResponse, Seal, TransactionId, binding_request};

use crate::alg::{AlgConfig, AlgReport, AlgTest, AlgTiming};
use crate::driver::{self, ControlClient, ControlError};
use crate::lifetime::{LifetimeConfig, LifetimeReport, LifetimeTest, Mode};
use crate::media::{MediaConfig, MediaReport, MediaTest};
use crate::nat::{NatBehaviour, NatConfig, NatReport, ServerAddresses};
use crate::path::{self, PathReport};
use crate::ports::{self, InboundPorts, InboundReport, OutboundPorts, OutboundReport};
use crate::verdict::{self, Verdict};

/// A test may take at most this long before it is reported as stuck (inconclusive).
const TEST_LIMIT: Duration = Duration::from_secs(60);
/// Hops probed towards the reflector (the walk stops at the first public address).
const MAX_HOPS: u8 = 5;

/// What to run.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The reflector's control address.
    pub control: SocketAddr,
    pub control_tls: bool,
    pub profile: Profile,
    /// Run inbound (port-forward) tests.
    pub inbound: bool,
    pub ports: bool,
    pub alg: bool,
    pub nat: bool,
    /// Length of the media test in seconds; `None` skips it.
    pub media_seconds: Option<u64>,
    pub media_streams: u32,
    /// The binding-lifetime test; `None` skips it (it takes as long as the lifetime).
    pub lifetime: Option<Mode>,
}

/// Progress for a terminal: a test started or finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Started(&'static str),
    Finished(&'static str, Duration),
}

/// Everything a check found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub server: String,
    pub control: SocketAddr,
    /// The client's public address as the reflector saw the control connection.
    pub observed: SocketAddr,
    pub local_ip: IpAddr,
    pub profile: String,
    pub elapsed_ms: u64,
    pub sockets: Vec<ServerSocket>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat: Option<NatReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<AlgReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound: Option<OutboundReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound: Option<InboundReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<LifetimeReport>,
    pub verdicts: Vec<Verdict>,
}

/// Runs the check. `Err` only when the reflector cannot be used at all (exit code 3).
pub async fn run_check(
    options: &CheckOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<CheckOutcome, ControlError> {
    let started = Instant::now();
    let control = ControlClient::connect(options.control, options.control_tls).await?;
    let session = control.session().clone();
    let sockets = control.ports().await?;
    let local_ip = session.local_address.ip();
    let mut verdicts = Vec::new();

    let inbound = if options.inbound {
        let targets = ports::plan_inbound(
            &options.profile.flows,
            &options.profile.security.never_forward,
        );
        let report = timed("inbound ports", progress, async {
            let mut machine = InboundPorts::new(targets);
            driver::run(&mut machine, Some(&control), 1, local_ip, TEST_LIMIT).await
        })
        .await;
        if let Some(report) = &report {
            verdicts.extend(verdict::judge_inbound(&options.profile, report));
        }
        report
    } else {
        None
    };

    // The rest runs in parallel, each machine in its own id namespace on the session.
    let alg = async {
        if !options.alg {
            return None;
        }
        let config = AlgConfig {
            token: session.token.clone(),
            private_ip: local_ip,
            servers: sockets.clone(),
            timing: AlgTiming::default(),
        };
        timed("SIP ALG", progress, async {
            let mut machine = AlgTest::new(config);
            driver::run(&mut machine, Some(&control), 3, local_ip, TEST_LIMIT).await
        })
        .await
    };
    let outbound = async {
        if !options.ports {
            return None;
        }
        let stun_primary = sockets.iter().find(|s| s.name == "stun-pp")?.address;
        let targets = ports::plan_outbound(&options.profile.flows, &sockets);
        timed("outbound ports", progress, async {
            let ids = Box::new(random_transaction_id);
            let mut machine = OutboundPorts::new(&session.token, targets, stun_primary, ids);
            driver::run(&mut machine, Some(&control), 2, local_ip, TEST_LIMIT).await
        })
        .await
    };
    let nat = async {
        if !options.nat {
            return None;
        }
        let address = |name: &str| sockets.iter().find(|s| s.name == name).map(|s| s.address);
        let server = ServerAddresses {
            pp: address("stun-pp")?,
            pa: address("stun-pa"),
            ap: address("stun-ap"),
            aa: address("stun-aa"),
        };
        timed("NAT behaviour", progress, async {
            let mut machine = NatBehaviour::new(NatConfig::new(server, local_ip));
            driver::run(&mut machine, Some(&control), 4, local_ip, TEST_LIMIT).await
        })
        .await
    };
    let path = async {
        let stun = sockets.iter().find(|s| s.name == "stun-pp")?.address;
        if !options.nat || !local_ip.is_ipv4() {
            return None;
        }
        timed("path", progress, async {
            let traced =
                tokio::task::spawn_blocking(move || driver::trace::trace(local_ip, stun, MAX_HOPS))
                    .await;
            let (hops, reached) = traced.ok()?.ok()?;
            Some(path::read_path(hops, reached))
        })
        .await
    };
    let media = async {
        let seconds = options.media_seconds?;
        let config = MediaConfig {
            streams: options.media_streams,
            duration: Duration::from_secs(seconds),
            ..MediaConfig::new(session.server_address.ip())
        };
        let mut machine = MediaTest::new(config).ok()?;
        timed("media", progress, async {
            driver::run(
                &mut machine,
                Some(&control),
                5,
                local_ip,
                Duration::from_secs(seconds + 30),
            )
            .await
        })
        .await
    };
    let lifetime = async {
        let mode = options.lifetime?;
        let stun = sockets.iter().find(|s| s.name == "stun-pp")?.address;
        let config = LifetimeConfig {
            observed_ip: Some(session.observed.ip()),
            ..LifetimeConfig::stun(stun, mode)
        };
        let mut machine = LifetimeTest::new(config).ok()?;
        // The longest idle time plus the priming and the decision grace.
        let limit = mode.max_idle() + Duration::from_secs(120);
        timed("binding lifetime", progress, async {
            driver::run(&mut machine, Some(&control), 6, local_ip, limit).await
        })
        .await
    };
    // The lifetime test primes dozens of sockets against the same STUN socket as the NAT test
    // and the port beacons: it starts when those are done, so the reflector's per-source rate
    // limit never sees them at once (a rate-limited request would look like loss).
    // The SIP ALG test and the NAT test's port-preservation probe both want local port 5060:
    // the ALG test goes first (ALGs key on it), the NAT test and the path right after.
    let alg_then_nat = async {
        let alg = alg.await;
        let (nat, path) = tokio::join!(nat, path);
        (alg, nat, path)
    };
    let quick = async {
        let ((alg, nat, path), outbound) = tokio::join!(alg_then_nat, outbound);
        ((alg, outbound, nat, path), lifetime.await)
    };
    let (((alg, outbound, nat, path), lifetime), media) = tokio::join!(quick, media);
    if let Some(report) = &media {
        verdicts.extend(verdict::judge_media(report));
    }
    match &lifetime {
        Some(report) => verdicts.extend(verdict::judge_lifetime(&options.profile, report)),
        None if options.lifetime.is_none() => {
            verdicts.extend(verdict::lifetime_not_tested(&options.profile))
        }
        None => {}
    }
    if let Some(report) = &path {
        verdicts.extend(verdict::judge_path(report));
    }
    if let Some(report) = &nat {
        verdicts.extend(verdict::judge_nat(&options.profile, report));
    }
    if let Some(report) = &alg {
        verdicts.push(verdict::judge_alg(&options.profile, report));
    }
    if let Some(report) = &outbound {
        verdicts.extend(verdict::judge_outbound(&options.profile, report));
    }

    verdict::sort(&mut verdicts);
    control.close().await;
    Ok(CheckOutcome {
        server: session.server,
        control: options.control,
        observed: session.observed,
        local_ip,
        profile: options.profile.id.clone(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        sockets,
        nat,
        path,
        alg,
        outbound,
        inbound,
        media,
        lifetime,
        verdicts,
    })
}

/// The NAT behaviour test alone, against any RFC 5780 STUN server (coturn, stuntman, or a
/// `sipwall serve` without its control channel). The server's other addresses come from the
/// OTHER-ADDRESS of a first Binding.
pub async fn run_stun_only(
    primary: SocketAddr,
    profile: &Profile,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<CheckOutcome, ControlError> {
    let started = Instant::now();
    let unreachable = |detail: String| ControlError::Unreachable {
        address: primary,
        detail,
    };
    let socket = tokio::net::UdpSocket::bind(if primary.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .await
    .map_err(|e| unreachable(e.to_string()))?;
    socket
        .connect(primary)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let local_ip = socket
        .local_addr()
        .map_err(|e| unreachable(e.to_string()))?
        .ip();
    let other = first_binding(&socket)
        .await
        .ok_or_else(|| unreachable("no STUN answer within 3 s".into()))?;
    let server = ServerAddresses {
        pp: primary,
        pa: other.map(|aa| SocketAddr::new(primary.ip(), aa.port())),
        ap: other.map(|aa| SocketAddr::new(aa.ip(), primary.port())),
        aa: other,
    };
    let nat = timed("NAT behaviour", progress, async {
        let mut machine = NatBehaviour::new(NatConfig::new(server, local_ip));
        driver::run(&mut machine, None, 4, local_ip, TEST_LIMIT).await
    })
    .await;
    let verdicts = nat
        .as_ref()
        .map(|r| verdict::judge_nat(profile, r))
        .unwrap_or_default();
    Ok(CheckOutcome {
        server: "STUN server".into(),
        control: primary,
        observed: nat
            .as_ref()
            .and_then(|r| r.public_address)
            .unwrap_or(SocketAddr::new(local_ip, 0)),
        local_ip,
        profile: profile.id.clone(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        sockets: Vec::new(),
        nat,
        path: None,
        alg: None,
        outbound: None,
        inbound: None,
        media: None,
        lifetime: None,
        verdicts,
    })
}

/// One Binding to the primary address: `Some(OTHER-ADDRESS)` (or `Some(None)` for a
/// one-address server), `None` when nothing answers.
async fn first_binding(socket: &tokio::net::UdpSocket) -> Option<Option<SocketAddr>> {
    let id = TransactionId(random_transaction_id());
    let mut request = Vec::new();
    binding_request(id, &[], Seal::NONE, &mut request).ok()?;
    let mut buffer = [0u8; 1500];
    for _ in 0..6 {
        let _ = socket.send(&request).await;
        if let Ok(Ok(len)) =
            tokio::time::timeout(Duration::from_millis(500), socket.recv(&mut buffer)).await
            && let Ok(response) = BindingResponse::parse(&buffer[..len])
            && response.message.transaction_id() == id
        {
            return Some(response.other_address);
        }
    }
    None
}

async fn timed<T>(
    name: &'static str,
    progress: &(dyn Fn(Progress) + Sync),
    work: impl Future<Output = T>,
) -> T {
    progress(Progress::Started(name));
    let started = Instant::now();
    let result = work.await;
    progress(Progress::Finished(name, started.elapsed()));
    result
}

/// 96 random bits for a STUN transaction id.
pub fn random_transaction_id() -> [u8; 12] {
    let mut id = [0u8; 12];
    getrandom::fill(&mut id).expect("the OS random source works");
    id
}
