//! `sipwall audit` end to end: the binary on our own renderings and hand-made variants — exit
//! codes, bad input, JSON, and SARIF checked against the OASIS SARIF 2.1.0 schema and by
//! Microsoft's SARIF validator (both installed by scripts/install-deps; the test fails, never
//! skips, without them).

use std::path::PathBuf;
use std::process::Command;

use assert_cmd::prelude::*;
use predicates::prelude::*;

fn sipwall() -> Command {
    Command::cargo_bin("sipwall").expect("binary built")
}

/// `sipwall rules --vendor nftables --profile fonality-pbxtra` (interfaces wan0/lan0).
fn rendering() -> String {
    let output = sipwall()
        .args([
            "rules",
            "--vendor",
            "nftables",
            "--profile",
            "fonality-pbxtra",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// The rendering with the kernel SIP helper attached to udp/5060 (what OpenWrt's nathelper or
/// an old distribution default does).
fn with_alg(text: &str) -> String {
    let helper = "table ip legacy_helpers {\n\tct helper sip-5060 {\n\t\ttype \"sip\" protocol udp\n\t\tl3proto ip\n\t}\n\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\tudp dport 5060 ct helper set \"sip-5060\"\n\t}\n}\n";
    format!("{text}\n{helper}")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_rendering_audits_clean_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "rules.nft", &rendering());
    sipwall()
        .args(["audit", "--profile", "fonality-pbxtra"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("verdict: no findings"))
        .stdout(predicate::str::contains("coverage:"));
}

#[test]
fn findings_exit_1_with_evidence_and_fix_unless_below_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "rules.nft", &with_alg(&rendering()));
    sipwall()
        .args(["audit", "--profile", "fonality-pbxtra"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("HIGH ALG-001"))
        .stdout(predicate::str::contains("ct helper set \"sip-5060\""))
        .stdout(predicate::str::contains("^^^"))
        .stdout(predicate::str::contains(
            "fix (sipwall rules --vendor nftables",
        ));
    sipwall()
        .args([
            "audit",
            "--profile",
            "fonality-pbxtra",
            "--fail-on",
            "critical",
        ])
        .arg(&file)
        .assert()
        .code(0);
}

#[test]
fn json_report_has_schema_findings_and_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "rules.nft", &with_alg(&rendering()));
    let output = sipwall()
        .args(["audit", "--profile", "fonality-pbxtra", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["schema"], "sipwall.audit");
    assert_eq!(report["version"], 1);
    assert_eq!(report["format"], "nftables");
    let alg = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "ALG-001")
        .expect("ALG-001");
    assert_eq!(alg["certainty"]["kind"], "explicit");
    assert!(alg["evidence"].as_array().is_some_and(|e| !e.is_empty()));
    assert!(report["coverage"]["understood"].as_u64().unwrap() > 0);
}

fn tools() -> PathBuf {
    PathBuf::from(std::env::var("SIPWALL_TOOLS").unwrap_or_else(|_| "/opt/sipwall-tools".into()))
        .join("sarif-multitool-5.7.0")
}

#[test]
fn sarif_is_valid_by_the_schema_and_by_microsofts_validator() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "rules.nft", &with_alg(&rendering()));
    let output = sipwall()
        .args(["audit", "--profile", "fonality-pbxtra", "--sarif"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "ALG-001"
        && r["level"] == "error"
        && r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64() > Some(0)));

    let schema_path = tools().join("sarif-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap_or_else(|e| {
            panic!("{}: {e} (run scripts/install-deps)", schema_path.display())
        }))
        .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");

    let log = write(
        &dir,
        "audit.sarif",
        &String::from_utf8(output.stdout).unwrap(),
    );
    let out = dir.path().join("validation.sarif");
    let status = Command::new(tools().join("Sarif.Multitool"))
        .arg("validate")
        .arg(&log)
        .arg("--output")
        .arg(&out)
        .arg("--json-schema")
        .arg(&schema_path)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .expect("Sarif.Multitool (run scripts/install-deps)");
    let validation: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap_or_else(|e| {
            panic!(
                "validator wrote no log ({e}): {}",
                String::from_utf8_lossy(&status.stdout)
            )
        }))
        .unwrap();
    let problems: Vec<&serde_json::Value> = validation["runs"][0]["results"]
        .as_array()
        .map(|r| r.iter().filter(|r| r["level"] == "error").collect())
        .unwrap_or_default();
    assert!(problems.is_empty(), "Sarif.Multitool errors: {problems:#?}");
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2_and_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = write(&dir, "garbage.txt", "hello world\nthis is not a firewall\n");
    sipwall()
        .args(["audit"])
        .arg(&garbage)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("could not tell which firewall"))
        .stderr(predicate::str::contains("hint: name it with --format"));
    let binary = dir.path().join("binary.bin");
    std::fs::write(&binary, [0x7f, b'E', b'L', b'F', 0, 1, 2, 3]).unwrap();
    sipwall()
        .args(["audit"])
        .arg(&binary)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("binary"));
    sipwall()
        .args(["audit", "--format", "cisco-pix"])
        .arg(&garbage)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("valid formats: nftables"));
    sipwall()
        .args(["audit", "/nonexistent/export.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read /nonexistent/export.txt",
        ));
    sipwall()
        .args(["audit", "--fail-on", "severe"])
        .arg(&garbage)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("valid: info, low"));
}

#[test]
fn too_much_unknown_withholds_the_verdict_and_strict_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = rendering();
    for i in 0..400 {
        text.push_str(&format!("frobnicate widget {i} --with-gusto\n"));
    }
    let file = write(&dir, "rules.nft", &text);
    sipwall()
        .args([
            "audit",
            "--profile",
            "fonality-pbxtra",
            "--format",
            "nftables",
        ])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PRS-001"))
        .stdout(predicate::str::contains("too much was not understood"));
    sipwall()
        .args([
            "audit",
            "--profile",
            "fonality-pbxtra",
            "--format",
            "nftables",
            "--strict",
            "--coverage",
        ])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("frobnicate widget 399"));
}
