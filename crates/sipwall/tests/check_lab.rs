//! `sipwall check` in the namespace lab (root): the reflector in the server namespace, the
//! check behind a real Linux NAT router, and every verdict compared with what the lab built.

mod support;

use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;
use sipwall_lab::{AlgPort, DropRule, Lab, Nat, PortForward, Transport};
use support::Server;

/// Kills a helper process (coturn) when the test ends, however it ends.
struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The reflector on both server addresses, with default SIP and control ports.
fn serve(lab: &Lab) -> Server {
    let args: Vec<String> = [
        "--primary",
        "198.18.0.10:3478",
        "--alternate",
        "198.18.0.11:3479",
    ]
    .map(String::from)
    .to_vec();
    Server::start_with(
        lab.server().command(env!("CARGO_BIN_EXE_sipwall")),
        &args,
        300,
    )
}

fn check(command: &mut Command, args: &[&str]) -> (Output, Value) {
    let output = command
        .args(["check", "--server", "198.18.0.10", "--json"])
        .args(args)
        .output()
        .expect("sipwall check runs");
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "check printed no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, json)
}

fn verdict<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["check"]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no verdict {id} in {json:#}"))
}

fn port_status(json: &Value, transport: &str, port: u64) -> String {
    json["check"]["outbound"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["target"]["transport"] == transport && p["target"]["port"] == port)
        .unwrap_or_else(|| panic!("no {transport} {port} in {json:#}"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn exactly_the_blocked_ports_are_reported_blocked() {
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .drop_rule(DropRule::outbound(Transport::Udp, 5060))
        .build()
        .expect("lab builds (root)");
    let _server = serve(&lab);
    let (output, json) = check(
        &mut lab.client().command(env!("CARGO_BIN_EXE_sipwall")),
        &[],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "a required port is blocked: {json:#}"
    );
    assert_eq!(port_status(&json, "udp", 5060), "blocked");
    assert_eq!(port_status(&json, "tcp", 5060), "open");
    assert_eq!(port_status(&json, "tls", 5061), "open");
    assert_eq!(port_status(&json, "udp", 3478), "open");
    assert_eq!(
        json["check"]["observed"]
            .as_str()
            .unwrap()
            .split(':')
            .next(),
        Some("198.18.0.1")
    );
    let sip = json["check"]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["status"] == "fail" && v["id"].as_str().unwrap().starts_with("ports.outbound"))
        .expect("one failing outbound verdict");
    assert!(
        sip["observed"].as_str().unwrap().contains("UDP 5060"),
        "{sip:#}"
    );
}

/// Nothing blocked, no ALG: every port, the ALG test and the mapping pass. Linux masquerade
/// does not hairpin without an extra rule, and the check says exactly that.
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn an_open_network_passes_everything_but_hairpinning() {
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .build()
        .expect("lab builds (root)");
    let _server = serve(&lab);
    let (output, json) = check(
        &mut lab.client().command(env!("CARGO_BIN_EXE_sipwall")),
        &[],
    );
    for v in json["check"]["verdicts"].as_array().unwrap() {
        let expected = match v["id"].as_str().unwrap() {
            "nat.hairpinning" => "fail",
            "nat.binding-lifetime" => "not_tested", // it takes minutes: only with --lifetime
            _ => "pass",
        };
        assert_eq!(v["status"], expected, "{v:#}");
    }
    assert_eq!(output.status.code(), Some(1));
}

/// The on-site PBX profile: 5060/UDP is forwarded (pass), 5222/TCP is not (fail), and 22/TCP
/// is forwarded although it must never be (fail). The check runs on the PBX host itself.
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn inbound_forwards_and_a_forwarded_ssh_port_are_judged() {
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .pbx()
        .forward(PortForward::udp(5060))
        .forward(PortForward::tcp(22))
        .build()
        .expect("lab builds (root)");
    let _server = serve(&lab);
    let pbx = lab.pbx().expect("the lab has a PBX");
    let (output, json) = check(
        &mut pbx.command(env!("CARGO_BIN_EXE_sipwall")),
        &[
            "--profile",
            "fonality-pbxtra-premise",
            "--set",
            "pbx_address=10.77.0.3",
            "--inbound",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{json:#}");
    assert_eq!(
        verdict(&json, "ports.forward.udp-5060")["status"],
        "pass",
        "{json:#}"
    );
    assert_eq!(verdict(&json, "ports.forward.tcp-5222")["status"], "fail");
    let ssh = verdict(&json, "ports.never-forward.tcp-22");
    assert_eq!(ssh["status"], "fail", "{ssh:#}");
    assert_eq!(
        verdict(&json, "ports.never-forward.tcp-80")["status"],
        "pass"
    );
}

/// An unreachable reflector is said within 5 s, with exit code 3.
#[test]
fn an_unreachable_reflector_is_exit_code_3_within_5_seconds() {
    let started = std::time::Instant::now();
    // 127.0.0.1:1 refuses at once; nothing listens there.
    let output = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args(["check", "--server", "127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(started.elapsed().as_secs() < 5);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach") && stderr.contains("hint"),
        "{stderr}"
    );
}

/// The kernel SIP ALG (nf_conntrack_sip / nf_nat_sip) on UDP and TCP 5060, not on 5080: the
/// check finds it on exactly those paths, lists the fields it rewrote, and the controls are
/// clean. Port-preserving NAT makes the kernel's rewrite consistent with the mapping.
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn the_kernel_sip_alg_is_found_on_5060_only_with_its_rewritten_fields() {
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .sip_alg(AlgPort::udp(5060))
        .sip_alg(AlgPort::tcp(5060))
        .build()
        .expect("lab builds (root)");
    let _server = serve(&lab);
    let (output, json) = check(
        &mut lab.client().command(env!("CARGO_BIN_EXE_sipwall")),
        &[
            "--profile",
            "cloudli",
            "--set",
            "outbound_proxy=198.18.0.10",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "cloudli wants the ALG off: {json:#}"
    );
    let alg = &json["check"]["alg"];
    assert_eq!(verdict(&json, "sip-alg")["status"], "fail", "{alg:#}");
    let paths = alg["paths"].as_array().unwrap();
    let path = |name: &str| {
        paths
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no path {name}: {alg:#}"))
    };
    for name in ["sip-udp-5060", "sip-tcp-5060"] {
        assert_ne!(
            path(name)["verdict"],
            "none",
            "{name} is behind the ALG: {:#}",
            path(name)
        );
        let fields: Vec<&str> = path(name)["probes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["changes"].as_array().unwrap().iter())
            .filter(|c| c["direction"] == "upstream")
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        // What nf_nat_sip rewrites in a request whose addresses equal the flow's source.
        for field in ["via_sent_by", "contact", "sdp_connection"] {
            assert!(
                fields.contains(&field),
                "{name}: {field} not among {fields:?}"
            );
        }
    }
    for name in ["sip-udp-5080", "sip-tcp-5080", "sip-tls-5061"] {
        assert_eq!(
            path(name)["verdict"],
            "none",
            "{name} is a control: {:#}",
            path(name)
        );
    }
}

fn nat_verdicts(json: &Value) -> (String, String) {
    let nat = &json["check"]["nat"];
    (
        nat["mapping"]["verdict"].as_str().unwrap_or("?").to_owned(),
        nat["filtering"]["verdict"]
            .as_str()
            .unwrap_or("?")
            .to_owned(),
    )
}

/// The NAT behaviour the check reports for each kind of real Linux NAT, against our reflector.
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn nat_behaviour_matches_the_lab_router() {
    // The lab router's forwarding policy drops unsolicited inbound packets, so even without
    // NAT the filtering is address-and-port-dependent (a stateful firewall).
    for (nat, mapping, classic) in [
        (Nat::None, "eim", Value::Null),
        (
            Nat::PortPreserving,
            "eim",
            Value::from("port-restricted-cone"),
        ),
        (Nat::Symmetric, "apdm", Value::from("symmetric")),
    ] {
        let lab = Lab::builder().nat(nat).build().expect("lab builds (root)");
        let _server = serve(&lab);
        let (_, json) = check(
            &mut lab.client().command(env!("CARGO_BIN_EXE_sipwall")),
            &[],
        );
        let report = &json["check"]["nat"];
        assert_eq!(report["classic_type"], classic, "{nat:?}: {report:#}");
        assert_eq!(
            nat_verdicts(&json),
            (mapping.to_owned(), "apdf".to_owned()),
            "{nat:?}"
        );
        assert_eq!(report["nat_present"], nat != Nat::None, "{nat:?}");
        assert_eq!(
            report["rounds"], 1,
            "{nat:?}: no loss in the lab, one round is enough"
        );
        let expected = if nat == Nat::Symmetric {
            "fail"
        } else {
            "pass"
        };
        assert_eq!(verdict(&json, "nat.mapping")["status"], expected, "{nat:?}");
    }
}

/// Two NAT layers (a carrier-grade NAT in front of the router): the check says so.
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn double_nat_is_reported() {
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .cgn(Nat::PortPreserving)
        .build()
        .expect("lab builds (root)");
    let _server = serve(&lab);
    let (_, json) = check(
        &mut lab.client().command(env!("CARGO_BIN_EXE_sipwall")),
        &[],
    );
    let path = verdict(&json, "nat.path");
    assert_eq!(path["status"], "warn", "{path:#}");
    assert!(
        path["observed"].as_str().unwrap().contains("100.64.0.1"),
        "{path:#}"
    );
}

/// Interop: our client (`check --stun`) against coturn's server with two addresses agrees with
/// coturn's own client (`turnutils_natdiscovery -m -f`) on mapping and filtering.
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn our_client_agrees_with_coturns_against_coturn() {
    for nat in [Nat::PortPreserving, Nat::Symmetric] {
        let lab = Lab::builder().nat(nat).build().expect("lab builds (root)");
        let coturn = lab
            .server()
            .command("turnserver")
            .args([
                "-n",
                "--stun-only",
                "--no-cli",
                "--no-tls",
                "--no-dtls",
                "--no-auth",
                "--listening-ip",
                "198.18.0.10",
                "--listening-ip",
                "198.18.0.11",
                "--listening-port",
                "3478",
                "--alt-listening-port",
                "3479",
                "--log-file",
                "/dev/null",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("coturn is installed (scripts/install-deps)");
        let _coturn = Stop(coturn);
        std::thread::sleep(std::time::Duration::from_millis(800));
        let theirs = lab
            .client()
            .command("timeout")
            .args([
                "30",
                "turnutils_natdiscovery",
                "-m",
                "-f",
                "-p",
                "3478",
                "198.18.0.10",
            ])
            .output()
            .unwrap();
        let theirs = String::from_utf8_lossy(&theirs.stdout).to_string()
            + &String::from_utf8_lossy(&theirs.stderr);
        let (_, json) = {
            let output = lab
                .client()
                .command(env!("CARGO_BIN_EXE_sipwall"))
                .args(["check", "--stun", "198.18.0.10", "--json"])
                .output()
                .unwrap();
            (
                output.status,
                serde_json::from_slice::<Value>(&output.stdout).expect("JSON"),
            )
        };
        let (mapping, filtering) = nat_verdicts(&json);
        let coturn_mapping = if theirs.contains("Endpoint Independent Mapping") {
            "eim"
        } else if theirs.contains("Address and Port Dependent Mapping") {
            "apdm"
        } else if theirs.contains("Address Dependent Mapping") {
            "adm"
        } else {
            panic!("coturn's client said: {theirs}")
        };
        let coturn_filtering = if theirs.contains("Endpoint Independent Filtering") {
            "eif"
        } else if theirs.contains("Address and Port Dependent Filtering") {
            "apdf"
        } else if theirs.contains("Address Dependent Filtering") {
            "adf"
        } else {
            panic!("coturn's client said: {theirs}")
        };
        assert_eq!(
            (mapping.as_str(), filtering.as_str()),
            (coturn_mapping, coturn_filtering),
            "{nat:?}: {theirs}"
        );
    }
}

/// Binding lifetime against the router's conntrack timeouts: a flow that saw one request and
/// its answer lives `udp_timeout` s; one with traffic both ways for a while is "assured" and
/// lives `udp_stream_timeout` s. Each measured bracket must contain the truth, within
/// ±(1 s + 10 %) of it, and the whole test must end within 1.3 × the longest lifetime + 5 s
/// (plus the check's own start).
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn binding_lifetime_is_measured_per_priming_pattern() {
    const UNREPLIED: f64 = 12.0;
    const ASSURED: f64 = 36.0;
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .udp_timeout_secs(UNREPLIED as u32)
        .udp_stream_timeout_secs(ASSURED as u32)
        .build()
        .expect("lab builds (root)");
    let _server = serve(&lab);
    let started = std::time::Instant::now();
    let (_, json) = check(
        &mut lab.client().command(env!("CARGO_BIN_EXE_sipwall")),
        &["--lifetime", "quick", "--media-seconds", "0"],
    );
    let elapsed = started.elapsed().as_secs_f64();
    let report = &json["check"]["lifetime"];
    let pattern = |name: &str| {
        report["patterns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["priming"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report:#}"))
            .clone()
    };
    for (name, truth) in [("one_shot", UNREPLIED), ("sip_like", ASSURED)] {
        let p = pattern(name);
        assert_eq!(p["outcome"], "expired", "{name}: {p:#}");
        let (lower, upper) = (
            p["lower_s"].as_f64().unwrap(),
            p["upper_s"].as_f64().unwrap(),
        );
        let slack = 1.0 + 0.1 * truth;
        assert!(
            lower <= truth + slack && upper >= truth - slack,
            "{name}: [{lower}, {upper}] vs {truth}"
        );
        assert!(
            (lower + upper) / 2.0 - truth <= slack && truth - (lower + upper) / 2.0 <= slack,
            "{name}: [{lower}, {upper}] vs {truth}"
        );
    }
    assert!(elapsed <= 1.3 * ASSURED + 5.0 + 3.0, "took {elapsed:.1} s");
    let keepalive = report["keepalive"]["interval_s"]
        .as_f64()
        .expect("a keepalive advice");
    assert!(
        keepalive < UNREPLIED,
        "keepalive {keepalive} s must fit inside {UNREPLIED} s"
    );
    eprintln!(
        "lifetime test: {elapsed:.1} s for a {ASSURED} s binding; one-shot {:#}, sip-like {:#}",
        pattern("one_shot"),
        pattern("sip_like")
    );
}

/// Verdicts do not depend on luck: with 10 % random loss both ways every verdict but the
/// media score is what it is without loss; with 30 % each is the same or inconclusive.
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn loss_never_changes_a_verdict_only_its_certainty() {
    let statuses = |loss: u8| -> Vec<(String, String)> {
        let lab = Lab::builder()
            .nat(Nat::PortPreserving)
            .sip_alg(AlgPort::udp(5060))
            .loss_percent(loss)
            .build()
            .expect("lab builds (root)");
        let _server = serve(&lab);
        let (_, json) = check(
            &mut lab.client().command(env!("CARGO_BIN_EXE_sipwall")),
            &["--media-seconds", "0"],
        );
        json["check"]["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["id"].as_str().unwrap().to_owned(),
                    v["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let clean = statuses(0);
    assert!(clean.iter().all(|(_, s)| s != "inconclusive"), "{clean:?}");
    for (loss, may_be_unsure) in [(10, false), (30, true)] {
        let lossy = statuses(loss);
        for (id, status) in &clean {
            let got = lossy.iter().find(|(i, _)| i == id).map(|(_, s)| s.as_str());
            let fine =
                got == Some(status.as_str()) || (may_be_unsure && got == Some("inconclusive"));
            assert!(
                fine,
                "{loss} % loss: {id} was {status} without loss, {got:?} with it\nclean: {clean:?}\nlossy: {lossy:?}"
            );
        }
    }
}
