//! Integration tests: each self-test property in its own test (they run in parallel,
//! each with its own lab), plus checks of the lab's own plumbing.
//!
//! They need root and network namespaces, so they are ignored by default; run them with
//! `cargo test -p sipwall-lab -- --include-ignored` as root.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};

use sipwall_lab::selftest;
use sipwall_lab::{Lab, LabError, LabOptions, Nat, PortForward, netns};

/// Runs a self-test check, printing its evidence, failing with its explanation.
fn assert_property(check: selftest::Check) {
    match check() {
        Ok(evidence) => println!("evidence: {evidence}"),
        Err(error) => panic!("{error:#}"),
    }
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn namespace_sockets_stay_in_their_namespace() {
    assert_property(selftest::namespace_sockets);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn no_nat_server_sees_private_source() {
    assert_property(selftest::no_nat_keeps_private_source);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn port_preserving_nat_is_endpoint_independent() {
    assert_property(selftest::port_preserving_nat);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn symmetric_nat_maps_per_destination() {
    assert_property(selftest::symmetric_nat);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn kernel_sip_alg_rewrites_only_its_port() {
    assert_property(selftest::sip_alg_rewrites);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn udp_timeout_expires_idle_binding() {
    assert_property(selftest::udp_timeout_expires_binding);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn dropped_port_does_not_arrive() {
    assert_property(selftest::dropped_port);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn random_loss_stays_in_band() {
    assert_property(selftest::random_loss);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn port_forward_reaches_pbx_only() {
    assert_property(selftest::port_forward);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn double_nat_translates_twice() {
    assert_property(selftest::double_nat);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn teardown_removes_all_namespaces() {
    assert_property(selftest::teardown);
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn host_command_runs_inside_the_namespace() {
    let lab = Lab::builder().build().expect("lab builds");
    let output = lab
        .client()
        .command("ip")
        .args(["-4", "-brief", "addr", "show", "dev", "eth0"])
        .output()
        .expect("ip runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("10.77.0.2/24"), "client addresses: {text}");
    let router_text = lab.router().run("ip", &["-4", "-brief", "addr"]).unwrap();
    assert!(router_text.contains("10.77.0.1/24") && router_text.contains("198.18.0.1/24"));
    assert!(lab.router_ruleset().contains("masquerade"));
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn expected_source_matches_every_nat_layering() {
    let cases = [
        (Nat::None, None, Ipv4Addr::new(10, 77, 0, 2)),
        (
            Nat::None,
            Some(Nat::PortPreserving),
            Ipv4Addr::new(198, 18, 0, 1),
        ),
        (
            Nat::PortPreserving,
            Some(Nat::None),
            Ipv4Addr::new(100, 64, 0, 2),
        ),
        (
            Nat::Symmetric,
            Some(Nat::Symmetric),
            Ipv4Addr::new(198, 18, 0, 1),
        ),
    ];
    for (nat, cgn, expected) in cases {
        let mut builder = Lab::builder().nat(nat);
        if let Some(cgn_nat) = cgn {
            builder = builder.cgn(cgn_nat);
        }
        let lab = builder.build().expect("lab builds");
        assert_eq!(lab.expected_client_source_at_server(), expected);
        let client = lab
            .client()
            .udp_socket("10.77.0.2:0".parse().unwrap())
            .unwrap();
        let server = lab
            .server()
            .udp_socket(SocketAddr::new(lab.server_primary_address().into(), 3478))
            .unwrap();
        let token = b"expected-source";
        let received = sipwall_lab::probe::udp_probe(
            &client,
            server.local_addr().unwrap(),
            &server,
            token,
            3,
            std::time::Duration::from_millis(500),
        )
        .unwrap()
        .unwrap_or_else(|| panic!("nat {nat} / cgn {cgn:?}: nothing arrived"));
        assert_eq!(
            received.from.ip(),
            expected,
            "nat {nat} / cgn {cgn:?}: server saw {}",
            received.from
        );
    }
}

#[test]
fn invalid_options_fail_before_anything_is_created() {
    let options = LabOptions {
        forwards: vec![PortForward::udp(5060)],
        pbx: false,
        ..LabOptions::default()
    };
    let error = Lab::builder().options(options).build().unwrap_err();
    assert!(matches!(error, LabError::InvalidOption(_)), "{error}");
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn namespace_guard_deletes_on_drop() {
    let stem = netns::new_lab_stem();
    let name = format!("{stem}-guard");
    {
        let mut guard = netns::NamespaceGuard::default();
        guard.create(name.clone()).unwrap();
        assert!(netns::list_lab_namespaces().unwrap().contains(&name));
    }
    assert!(!netns::list_lab_namespaces().unwrap().contains(&name));
}

/// A failing `nft` (fake, first on PATH for a child `sipwall-lab up`) makes the build
/// fail late; the error must carry nft's stderr and the ruleset, and every namespace
/// created before must be gone.
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn failed_build_reports_ruleset_and_cleans_up() {
    use std::os::unix::fs::PermissionsExt;

    let fake_bin = std::env::temp_dir().join(format!("swlab-fake-nft-{}", std::process::id()));
    std::fs::create_dir_all(&fake_bin).unwrap();
    let fake_nft = fake_bin.join("nft");
    std::fs::write(
        &fake_nft,
        "#!/bin/sh\necho 'fake nft: ruleset refused' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake_nft, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        fake_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let child = Command::new(env!("CARGO_BIN_EXE_sipwall-lab"))
        .args(["up", "--pbx", "--cgn", "--duration", "10"])
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let child_prefix = format!("swlab-{}-", child.id());
    let output = child.wait_with_output().unwrap();
    std::fs::remove_dir_all(&fake_bin).unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "build should fail");
    assert!(stderr.contains("nft rejected the ruleset"), "{stderr}");
    assert!(stderr.contains("fake nft: ruleset refused"), "{stderr}");
    assert!(stderr.contains("table ip swlab"), "{stderr}");
    let leftovers: Vec<String> = netns::list_lab_namespaces()
        .unwrap()
        .into_iter()
        .filter(|name| name.starts_with(&child_prefix))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

/// Kills a child `sipwall-lab up` if a test fails before doing so itself.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Namespaces of a lab whose process was SIGKILLed are removed by the next build.
#[test]
#[ignore = "lab: needs root and network namespaces"]
fn stale_namespaces_of_killed_runs_are_swept() {
    use std::io::BufRead;

    // --duration: even if this test dies, the child stops by itself.
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sipwall-lab"))
            .args(["up", "--nat", "symmetric", "--duration", "60"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let child_prefix = format!("swlab-{}-", child.0.id());
    // Wait (bounded by the child's own output ending) until the lab is up.
    let stdout = std::io::BufReader::new(child.0.stdout.take().unwrap());
    let came_up = stdout
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("lab is up"));
    assert!(came_up, "child lab did not come up");
    let owned_by_child = || -> Vec<String> {
        netns::list_lab_namespaces()
            .unwrap()
            .into_iter()
            .filter(|name| name.starts_with(&child_prefix))
            .collect()
    };
    assert_eq!(owned_by_child().len(), 3);

    child.0.kill().unwrap(); // SIGKILL: no chance to tear down
    child.0.wait().unwrap();
    // (Another test's build may already have swept them; either way they must go.)

    let _lab = Lab::builder().build().expect("lab builds");
    assert!(
        owned_by_child().is_empty(),
        "stale namespaces were not swept"
    );
}
