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

use crate::alg::{AlgConfig, AlgReport, AlgTest, AlgTiming};
use crate::driver::{self, ControlClient, ControlError};
use crate::ports::{self, InboundPorts, InboundReport, OutboundPorts, OutboundReport};
use crate::verdict::{self, Verdict};

/// A test may take at most this long before it is reported as stuck (inconclusive).
const TEST_LIMIT: Duration = Duration::from_secs(60);

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
    pub alg: Option<AlgReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound: Option<OutboundReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound: Option<InboundReport>,
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
            driver::run(&mut machine, &control, 1, local_ip, TEST_LIMIT).await
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
            driver::run(&mut machine, &control, 3, local_ip, TEST_LIMIT).await
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
            let mut ids = random_transaction_id;
            let mut machine = OutboundPorts::new(&session.token, targets, stun_primary, &mut ids);
            driver::run(&mut machine, &control, 2, local_ip, TEST_LIMIT).await
        })
        .await
    };
    let (alg, outbound) = tokio::join!(alg, outbound);
    if let Some(report) = &alg {
        verdicts.push(verdict::judge_alg(&options.profile, report));
    }
    if let Some(report) = &outbound {
        verdicts.extend(verdict::judge_outbound(&options.profile, report));
    }

    control.close().await;
    Ok(CheckOutcome {
        server: session.server,
        control: options.control,
        observed: session.observed,
        local_ip,
        profile: options.profile.id.clone(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        sockets,
        alg,
        outbound,
        inbound,
        verdicts,
    })
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
