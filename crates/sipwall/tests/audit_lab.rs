//! `sipwall audit --live` on a real router (root): the lab router's own ruleset and conntrack
//! settings, read the way an admin would run the audit on the box itself.
//!
//! 1. Before: the lab attaches the kernel SIP helper to udp/5060 with its own `ct helper`
//!    rules and sets the UDP conntrack timeouts to 20 s / 40 s. The audit must find the ALG
//!    (ALG-001, explicit, pointing at the `ct helper set` rule) and the short timeout (TMO-001,
//!    from the sysctl lines), and exit 1.
//! 2. Applying `sipwall rules --vendor nftables` the way an admin does (the previous ruleset
//!    replaced: `nft flush ruleset; nft -f -`).
//! 3. After: the same audit has no finding and exits 0 — the helper is gone and the rendering's
//!    `ct timeout` objects give the VoIP ports the profile's timeout although the sysctls are
//!    still short.
//!
//! Run with `cargo test -p sipwall --test audit_lab -- --include-ignored` as root.

use std::process::Command;

use sipwall_lab::netns::run_with_input;
use sipwall_lab::{AlgPort, Lab, Nat};

const PROFILE: &str = "fonality-pbxtra";
/// The lab router's interfaces (lab/src/lab.rs).
const LAN: &str = "lan";
const WAN: &str = "wan";

fn audit(lab: &Lab) -> (i32, serde_json::Value) {
    let output = lab
        .router()
        .command(env!("CARGO_BIN_EXE_sipwall"))
        .args([
            "audit",
            "--live",
            "--json",
            "--profile",
            PROFILE,
            "--wan",
            WAN,
            "--lan",
            LAN,
        ])
        .output()
        .expect("run sipwall audit --live in the router namespace");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "audit --live printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

fn ids(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
#[ignore = "lab: needs root (network namespaces, nftables, conntrack sysctls)"]
fn live_audit_finds_the_kernel_alg_and_not_after_the_rendering_is_applied() {
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .sip_alg(AlgPort::udp(5060))
        .udp_timeout_secs(20)
        .udp_stream_timeout_secs(40)
        .build()
        .expect("lab (run as root)");

    let (code, before) = audit(&lab);
    let found = ids(&before);
    assert_eq!(code, 1, "findings before: {found:?}");
    let alg = before["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "ALG-001")
        .unwrap_or_else(|| panic!("the lab's kernel SIP ALG not found: {before:#}"));
    assert_eq!(alg["certainty"]["kind"], "explicit");
    assert!(
        found.iter().any(|id| id == "TMO-001"),
        "20 s / 40 s UDP timeouts not found: {found:?}"
    );

    let rendering = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args([
            "rules",
            "--vendor",
            "nftables",
            "--profile",
            PROFILE,
            "--wan",
            WAN,
            "--lan",
            LAN,
        ])
        .output()
        .expect("sipwall rules");
    assert!(rendering.status.success());
    let router = lab.router();
    router.run("nft", &["flush", "ruleset"]).expect("flush");
    run_with_input(
        router.command("nft").args(["-f", "-"]),
        Some(&String::from_utf8(rendering.stdout).unwrap()),
    )
    .expect("nft -f accepts the rendering");

    let (code, after) = audit(&lab);
    assert_eq!(
        ids(&after),
        Vec::<String>::new(),
        "findings after: {after:#}"
    );
    assert_eq!(code, 0);
}
