//! `sipwall rules` with real packets (root): the nftables and the iptables rendering of a
//! built-in profile loaded into the lab router, then probed from the lab's hosts.
//!
//! What each test proves, for its vendor:
//! 1. Control, before: the lab router (port-preserving masquerade, kernel SIP ALG attached to
//!    udp/5060 by the lab's own `ct helper` rules, no input filtering) attaches the `sip` helper
//!    to a client→server udp/5060 flow (conntrack shows `helper=sip`), and a TCP listener on the
//!    router's WAN address at each never-forward port of the profile is reachable from the
//!    server.
//! 2. Applying the rules means what an admin does with the output: the router's previous
//!    firewall configuration (the lab's table, including its helper rules) is replaced by the
//!    rendering (`nft flush ruleset; nft -f -`, or `nft flush ruleset; iptables-restore;
//!    ip6tables-restore`), then sessions are cleared (`conntrack -F`, which the rendering's
//!    notes ask for: an existing session keeps its helper). sipwall's own file never deletes
//!    other tables; its comments tell how to find helpers elsewhere.
//! 3. After: every required outbound flow of the profile whose destination the lab server can
//!    stand for passes (a UDP datagram or a TCP connect from the client to a listener on the
//!    server at the flow's port), masqueraded to the router's WAN address with the client's
//!    port kept; a port no flow allows is dropped (so the passes are not an accept-all); the
//!    never-forward TCP ports on the router's WAN address no longer answer; a new udp/5060
//!    flow has no helper in conntrack and the loaded ruleset has no helper rule: the kernel SIP
//!    ALG is not attached; with nftables that flow also carries the profile's UDP timeout
//!    (the `ct timeout` object really attaches).
//!
//! Every wait is bounded (2 s per probe); run with
//! `cargo test -p sipwall --test rules_lab -- --include-ignored` as root.

use std::io::ErrorKind;
use std::net::{SocketAddr, SocketAddrV4, TcpListener};
use std::process::Command;
use std::time::{Duration, Instant};

use sipwall_firewall::model::{Direction, Ports, Protocol, Rule};
use sipwall_firewall::{Options, Policy};
use sipwall_lab::netns::run_with_input;
use sipwall_lab::{AlgPort, Lab, Nat};

/// A cloud profile whose outbound flows go to any address (so the lab server can stand for
/// the provider) and which forbids inbound tcp/80.
const PROFILE: &str = "fonality-pbxtra";
/// The lab router's interfaces (lab/src/lab.rs: the LAN bridge and the WAN veth).
const LAN: &str = "lan";
const WAN: &str = "wan";
const WAIT: Duration = Duration::from_secs(2);
/// No outbound flow of the profile allows it.
const UNLISTED_UDP_PORT: u16 = 9;

#[derive(Clone, Copy, Debug)]
enum Vendor {
    Nftables,
    Iptables,
}

impl Vendor {
    fn id(self) -> &'static str {
        match self {
            Vendor::Nftables => "nftables",
            Vendor::Iptables => "iptables",
        }
    }
}

fn rendering(vendor: Vendor) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args([
            "rules",
            "--vendor",
            vendor.id(),
            "--profile",
            PROFILE,
            "--wan",
            WAN,
            "--lan",
            LAN,
        ])
        .output()
        .expect("run sipwall rules");
    assert!(
        output.status.success(),
        "sipwall rules --vendor {}: {}",
        vendor.id(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 rules")
}

/// Replaces the router's ruleset with the rendering and clears the sessions.
fn apply(lab: &Lab, vendor: Vendor, text: &str) {
    let router = lab.router();
    router.run("nft", &["flush", "ruleset"]).expect("flush");
    match vendor {
        Vendor::Nftables => {
            run_with_input(router.command("nft").args(["-f", "-"]), Some(text))
                .expect("nft -f accepts the rendering");
        }
        Vendor::Iptables => {
            let parts = sipwall_firewall::vendors::iptables::sections(text)
                .expect("rules.v4 and rules.v6 sections");
            for (file, part) in parts {
                let program = if file == "rules.v4" {
                    "iptables-restore"
                } else {
                    "ip6tables-restore"
                };
                run_with_input(&mut router.command(program), Some(&part))
                    .unwrap_or_else(|e| panic!("{program} {file}: {e}"));
            }
        }
    }
    router.run("conntrack", &["-F"]).expect("conntrack -F");
}

/// Sends one datagram from the client to the server at `port`; the address and port the
/// server saw, or `None` when nothing arrived within [`WAIT`].
fn udp_probe(lab: &Lab, source_port: u16, port: u16) -> Option<SocketAddr> {
    let server = lab
        .server()
        .udp_socket(SocketAddr::from(([198, 18, 0, 10], port)))
        .expect("server udp socket");
    server.set_read_timeout(Some(WAIT)).unwrap();
    let client = lab
        .client()
        .udp_socket(SocketAddr::from(([10, 77, 0, 2], source_port)))
        .expect("client udp socket");
    client
        .send_to(b"sipwall probe", SocketAddr::from(([198, 18, 0, 10], port)))
        .expect("send");
    let mut buffer = [0u8; 64];
    match server.recv_from(&mut buffer) {
        Ok((_, from)) => Some(from),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
        Err(e) => panic!("recv: {e}"),
    }
}

/// TCP connect from the client to a listener on the server at `port`.
fn tcp_probe(lab: &Lab, port: u16) -> bool {
    let addr = SocketAddr::from(([198, 18, 0, 10], port));
    let _listener = lab.server().tcp_listener(addr).expect("server listener");
    lab.client().tcp_connect(addr, WAIT).is_ok()
}

/// The required outbound flows the lab server can stand for: (rule, destination port).
fn outbound_probes(policy: &Policy) -> Vec<(&Rule, u16)> {
    policy
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Outbound && r.required)
        .filter(|r| r.destination.is_empty() && r.source_ports.is_any())
        .map(|r| {
            let port = match &r.destination_ports {
                Ports::Any => 5060,
                Ports::Set(ranges) => ranges[0].first,
            };
            (r, port)
        })
        .collect()
}

/// Listeners on the router's WAN address at each never-forward TCP port.
fn never_forward_listeners(lab: &Lab, policy: &Policy) -> Vec<(u16, TcpListener)> {
    policy
        .hygiene
        .forbidden_inbound
        .iter()
        .filter(|f| f.protocol == Protocol::Tcp)
        .map(|f| {
            let addr = SocketAddr::from(([198, 18, 0, 1], f.port));
            (
                f.port,
                lab.router().tcp_listener(addr).expect("router listener"),
            )
        })
        .collect()
}

fn sip_helper_of_udp_5060(lab: &Lab) -> Option<Option<String>> {
    lab.router()
        .conntrack_udp()
        .expect("conntrack -L")
        .into_iter()
        .find(|e| e.original.destination.port() == 5060)
        .map(|e| e.helper)
}

fn prove(vendor: Vendor) {
    let started = Instant::now();
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .sip_alg(AlgPort::udp(5060))
        .build()
        .expect("lab (run as root)");
    let profile = sipwall_profile::builtin::find(PROFILE)
        .expect("built-in profile")
        .load()
        .profile;
    let options = Options {
        wan: WAN.into(),
        lan: LAN.into(),
        ..Options::default()
    };
    let policy = Policy::from_profile(&profile, &options).expect("policy");

    // 1. Control: the ALG is attached and the never-forward ports answer.
    assert!(
        udp_probe(&lab, 0, 5060).is_some(),
        "udp/5060 before the rules"
    );
    assert_eq!(
        sip_helper_of_udp_5060(&lab),
        Some(Some("sip".to_string())),
        "the lab's SIP ALG must be attached before the rules"
    );
    let listeners = never_forward_listeners(&lab, &policy);
    assert!(
        !listeners.is_empty(),
        "{PROFILE} forbids no inbound TCP port"
    );
    for (port, _) in &listeners {
        let addr = SocketAddr::from(([198, 18, 0, 1], *port));
        assert!(
            lab.server().tcp_connect(addr, WAIT).is_ok(),
            "control: tcp/{port} on the router answers before the rules"
        );
    }

    // 2. Apply.
    let text = rendering(vendor);
    apply(&lab, vendor, &text);
    let applied = started.elapsed();

    // 3a. Every required outbound flow passes, masqueraded with the port kept.
    let probes = outbound_probes(&policy);
    assert!(probes.len() >= 5, "{probes:?}", probes = probes.len());
    for (index, (rule, port)) in probes.iter().enumerate() {
        match rule.protocol {
            Protocol::Udp => {
                let source_port = 40000 + u16::try_from(index).unwrap();
                let seen = udp_probe(&lab, source_port, *port)
                    .unwrap_or_else(|| panic!("{}: udp/{port} did not pass", rule.name));
                assert_eq!(
                    seen,
                    SocketAddr::V4(SocketAddrV4::new([198, 18, 0, 1].into(), source_port)),
                    "{}: masquerade to the WAN address, port kept",
                    rule.name
                );
            }
            Protocol::Tcp => assert!(tcp_probe(&lab, *port), "{}: tcp/{port}", rule.name),
        }
    }
    // 3b. Not an accept-all: a port no flow allows is dropped.
    assert_eq!(udp_probe(&lab, 0, UNLISTED_UDP_PORT), None, "udp/9 passed");
    // 3c. The never-forward ports no longer answer from the WAN.
    for (port, _) in &listeners {
        let addr = SocketAddr::from(([198, 18, 0, 1], *port));
        assert!(
            lab.server().tcp_connect(addr, WAIT).is_err(),
            "tcp/{port} on the router's WAN address still answers"
        );
    }
    // 3d. The ALG is not attached: no helper on a new SIP flow, no helper rule loaded.
    assert!(udp_probe(&lab, 5060, 5060).is_some(), "udp/5060 after");
    assert_eq!(
        sip_helper_of_udp_5060(&lab),
        Some(None),
        "a helper is still attached"
    );
    let ruleset = lab.router().run("nft", &["list", "ruleset"]).unwrap();
    assert!(!ruleset.contains("ct helper"), "{ruleset}");
    // 3e. nftables: the new udp/5060 flow carries the profile's timeout, not the kernel's 30 s
    // (a `ct timeout set` at priority raw would silently do nothing).
    if let Vendor::Nftables = vendor
        && let Some(wanted) = policy
            .timeouts
            .iter()
            .find(|t| t.protocol == Protocol::Udp)
            .map(|t| t.unreplied_seconds)
    {
        let entry = lab
            .router()
            .conntrack_udp()
            .expect("conntrack -L")
            .into_iter()
            .find(|e| e.original.destination.port() == 5060)
            .expect("a udp/5060 conntrack entry");
        assert!(
            entry.timeout_secs + 5 >= u64::from(wanted) && entry.timeout_secs > 30,
            "udp/5060 expires in {} s, the profile wants {wanted} s",
            entry.timeout_secs
        );
    }
    if let Vendor::Iptables = vendor {
        for save in ["iptables-save", "ip6tables-save"] {
            let raw = lab.router().run(save, &["-t", "raw"]).unwrap();
            assert!(!raw.contains("--helper"), "{save}: {raw}");
        }
        assert!(ruleset.contains("MASQUERADE") || ruleset.contains("masquerade"));
    }
    eprintln!(
        "{}: {} outbound flows passed, {} never-forward ports dropped, helper detached; \
         lab + rules loaded in {:?}, total {:?}",
        vendor.id(),
        probes.len(),
        listeners.len(),
        applied,
        started.elapsed()
    );
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn nftables_rules_pass_the_flows_drop_never_forward_and_detach_the_alg() {
    prove(Vendor::Nftables);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn iptables_rules_pass_the_flows_drop_never_forward_and_detach_the_alg() {
    prove(Vendor::Iptables);
}
