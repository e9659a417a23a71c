//! `sipwall-lab`: build, inspect, self-test and clean up the network-namespace lab.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use nix::sys::signal::{SigSet, Signal};
use sipwall_lab::{AlgPort, DropRule, Lab, LabError, LabOptions, Loss, Nat, PortForward, netns};

const EXAMPLES: &str = "\
Examples:
  sipwall-lab selftest
  sipwall-lab up --nat symmetric
  sipwall-lab up --alg udp/5060 --udp-timeout 30 --udp-stream-timeout 60
  sipwall-lab up --forward udp/5060 --forward udp/10000-10100 --loss 5
  sipwall-lab up --cgn --cgn-nat symmetric
  sipwall-lab cleanup

While a lab is up, work in it with e.g.
  ip netns exec swlab-<pid>-<n>-client <program>
  ip netns exec swlab-<pid>-<n>-router conntrack -L";

/// Network-namespace lab for testing VoIP through firewalls and NAT.
///
/// Builds throw-away network namespaces: a LAN client (10.77.0.2) behind a Linux NAT
/// router (10.77.0.1 | 198.18.0.1) and a public server with two addresses
/// (198.18.0.10 and 198.18.0.11); optionally an on-site PBX (10.77.0.3) and a second
/// carrier-grade NAT layer. Needs root.
#[derive(Parser)]
#[command(version, propagate_version = true, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build labs and prove each router property with real probes; exit 0 only if all pass.
    Selftest,
    /// Build one lab, print its namespaces, addresses and router ruleset, and keep it
    /// until Ctrl-C or SIGTERM. Use `ip netns exec <namespace> <program>` to work in it.
    Up(UpArgs),
    /// Delete every `swlab-*` namespace, including those of labs still running.
    Cleanup,
}

#[derive(Args)]
struct UpArgs {
    /// NAT on the router: none (plain routing), port-preserving (masquerade) or
    /// symmetric (masquerade fully-random).
    #[arg(long, default_value = "port-preserving", value_name = "TYPE")]
    nat: Nat,

    /// Attach the kernel SIP ALG (nf_conntrack_sip) to TRANSPORT/PORT, e.g. udp/5060.
    /// Repeatable.
    #[arg(long, value_name = "TRANSPORT/PORT")]
    alg: Vec<AlgPort>,

    /// Router conntrack timeout for unreplied (and very young) UDP flows, in seconds.
    #[arg(long, value_name = "SECS")]
    udp_timeout: Option<u32>,

    /// Router conntrack timeout for replied UDP flows, in seconds.
    #[arg(long, value_name = "SECS")]
    udp_stream_timeout: Option<u32>,

    /// Drop forwarded packets to TRANSPORT/PORT[-LAST][/in|/out] (default direction out,
    /// i.e. LAN to WAN). Repeatable. Example: --drop udp/5060 --drop udp/10000-20000/in
    #[arg(long, value_name = "RULE")]
    drop: Vec<DropRule>,

    /// Random loss in percent, both directions.
    #[arg(long, value_name = "PCT", conflicts_with_all = ["loss_out", "loss_in"])]
    loss: Option<u8>,

    /// Random loss in percent for LAN-to-WAN packets only.
    #[arg(long, value_name = "PCT")]
    loss_out: Option<u8>,

    /// Random loss in percent for WAN-to-LAN packets only.
    #[arg(long, value_name = "PCT")]
    loss_in: Option<u8>,

    /// Add the on-site PBX host 10.77.0.3 on the LAN.
    #[arg(long)]
    pbx: bool,

    /// Forward TRANSPORT/PORT[-LAST] on the router's WAN address to the PBX (implies
    /// --pbx). Repeatable.
    #[arg(long, value_name = "TRANSPORT/PORT")]
    forward: Vec<PortForward>,

    /// Add a carrier-grade NAT layer: the router's WAN becomes 100.64.0.2 and the CGN
    /// owns 198.18.0.1.
    #[arg(long)]
    cgn: bool,

    /// Tear down by itself after SECS seconds (default: keep until a signal).
    #[arg(long, value_name = "SECS")]
    duration: Option<u64>,

    /// NAT type of the CGN layer (with --cgn).
    #[arg(
        long,
        default_value = "port-preserving",
        value_name = "TYPE",
        requires = "cgn"
    )]
    cgn_nat: Nat,
}

impl UpArgs {
    fn into_options(self) -> LabOptions {
        let loss = match self.loss {
            Some(percent) => Loss {
                outbound_percent: percent,
                inbound_percent: percent,
            },
            None => Loss {
                outbound_percent: self.loss_out.unwrap_or(0),
                inbound_percent: self.loss_in.unwrap_or(0),
            },
        };
        LabOptions {
            nat: self.nat,
            sip_alg: self.alg,
            udp_timeout_secs: self.udp_timeout,
            udp_stream_timeout_secs: self.udp_stream_timeout,
            drops: self.drop,
            loss,
            pbx: self.pbx || !self.forward.is_empty(),
            forwards: self.forward,
            cgn: self.cgn.then_some(self.cgn_nat),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !nix::unistd::geteuid().is_root() {
        eprintln!("error: {}", LabError::NotRoot);
        return ExitCode::FAILURE;
    }
    let outcome = match cli.command {
        Command::Selftest => selftest(),
        Command::Up(args) => {
            let duration = args.duration.map(std::time::Duration::from_secs);
            up(args.into_options(), duration)
        }
        Command::Cleanup => cleanup(),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn selftest() -> Result<ExitCode> {
    let outcomes = sipwall_lab::selftest::run_all();
    let mut failed = 0;
    for outcome in &outcomes {
        let seconds = outcome.elapsed.as_secs_f64();
        match &outcome.result {
            Ok(evidence) => println!("PASS {} ({seconds:.1}s): {evidence}", outcome.name),
            Err(error) => {
                failed += 1;
                println!("FAIL {} ({seconds:.1}s): {error:#}", outcome.name);
            }
        }
    }
    println!("{} passed, {failed} failed", outcomes.len() - failed);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn up(options: LabOptions, duration: Option<std::time::Duration>) -> Result<ExitCode> {
    // Block the stop signals before anything exists, so a Ctrl-C during the build is
    // only noticed afterwards and still leads to an orderly teardown.
    let mut stop_signals = SigSet::empty();
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        stop_signals.add(signal);
    }
    stop_signals
        .thread_block()
        .context("blocking SIGINT/SIGTERM")?;

    let lab = Lab::builder().options(options).build()?;
    println!("{}", lab.describe());
    println!("lab is up; run programs with `ip netns exec <namespace> <program>`.");
    println!("press Ctrl-C (or send SIGTERM) to tear it down.");
    if let Some(duration) = duration {
        println!("tearing down by itself after {} s.", duration.as_secs());
        // The timer ends the wait below the same way Ctrl-C would.
        std::thread::spawn(move || {
            std::thread::sleep(duration);
            let _ = nix::sys::signal::kill(nix::unistd::getpid(), Signal::SIGTERM);
        });
    }
    let signal = stop_signals.wait().context("waiting for a stop signal")?;
    println!("received {signal}, tearing down");
    drop(lab);
    Ok(ExitCode::SUCCESS)
}

fn cleanup() -> Result<ExitCode> {
    let deleted = netns::delete_all()?;
    if deleted.is_empty() {
        println!("no swlab-* namespaces found");
    }
    for name in deleted {
        println!("deleted {name}");
    }
    Ok(ExitCode::SUCCESS)
}
