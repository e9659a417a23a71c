//! `sipwall rules` from the command line: paste-ready nftables that the real `nft -c` accepts,
//! and clear errors (exit 2) for an unknown vendor or a missing parameter.

use std::io::Write;
use std::process::{Command, Stdio};

fn sipwall(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args(args)
        .output()
        .unwrap()
}

/// `nft -c` inside a fresh user and network namespace: checks without touching this host.
fn nft_accepts(ruleset: &[u8]) -> Result<(), String> {
    let mut child = Command::new("unshare")
        .args(["-rn", "nft", "-c", "-f", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare and nft are installed (scripts/install-deps)");
    child.stdin.take().unwrap().write_all(ruleset).unwrap();
    let output = child.wait_with_output().unwrap();
    output
        .status
        .success()
        .then_some(())
        .ok_or_else(|| String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn the_on_site_pbx_profile_renders_to_rules_nft_accepts() {
    let output = sipwall(&[
        "rules",
        "--vendor",
        "nftables",
        "--profile",
        "fonality-pbxtra-premise",
        "--set",
        "pbx_address=192.168.1.10",
        "--set",
        "sip_trusted_sources=203.0.113.0/24",
        "--explain",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("table inet sipwall") && !text.contains("ct helper set"),
        "{text}"
    );
    assert!(
        text.contains("dnat") && text.contains("requirement:"),
        "{text}"
    );
    nft_accepts(&output.stdout).unwrap();
}

#[test]
fn unknown_vendors_and_missing_parameters_are_named() {
    let output = sipwall(&["rules", "--vendor", "checkpoint", "--profile", "cloudli"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("valid vendors: nftables") && stderr.contains("fortigate-6.2"),
        "{stderr}"
    );

    let output = sipwall(&[
        "rules",
        "--vendor",
        "fortigate",
        "--version",
        "latest",
        "--profile",
        "rfc-baseline",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("fortigate-6.0") && stderr.contains("fortigate-6.2"),
        "{stderr}"
    );

    let output = sipwall(&["rules", "--vendor", "nftables", "--profile", "cloudli"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("outbound_proxy") && stderr.contains("--set"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing half-rendered on stdout");
}

#[test]
fn json_carries_the_text_its_limitations_and_the_model() {
    let output = sipwall(&[
        "rules",
        "--vendor",
        "nftables",
        "--profile",
        "cloudli",
        "--set",
        "outbound_proxy=proxy.example.net",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["schema"], "sipwall.rules");
    assert!(
        json["rendering"]["text"]
            .as_str()
            .unwrap()
            .contains("table inet sipwall")
    );
    // cloudli names its proxy by DNS: nftables cannot follow DNS, and says so.
    assert!(
        !json["rendering"]["limitations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(json["policy"].is_object());
}
