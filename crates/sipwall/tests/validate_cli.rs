//! `sipwall profile validate`: each kind of bad profile gets a located error and exit code 2.

use assert_cmd::Command;
use predicates::prelude::*;
use std::io::Write;

const GOOD: &str = r#"format = 1
id = "acme"
name = "Acme VoIP"
kind = "hosted"
summary = "test profile"

[[documents]]
id = "page"
title = "Acme firewall page"
location = "https://acme.example/firewall"

[[flows]]
name = "sip"
purpose = "sip-signalling"
direction = "outbound"
transports = ["udp"]
remote = ["198.51.100.0/24"]
remote_ports = [5060]
sources = [{ doc = "page", section = "Ports" }]

[nat.binding_lifetime]
min_seconds = 60
sources = [{ doc = "page", section = "NAT" }]

[[nat.keepalives]]
interval_seconds = 30
sender = "device"
method = "sip"
transport = "udp"
sources = [{ doc = "page", section = "NAT" }]
"#;

fn profile_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

/// Validates `text` and returns the assertion on its output, after checking the exit code.
fn validate(text: &str, code: i32) -> (assert_cmd::assert::Assert, String) {
    let file = profile_file(text);
    let path = file.path().display().to_string();
    let assert = Command::cargo_bin("sipwall")
        .unwrap()
        .args(["profile", "validate", &path])
        .assert()
        .code(code);
    (assert, path)
}

/// The error must name FILE:LINE:COLUMN, quote the line, and carry a hint.
fn assert_located(text: &str, line: usize, column: usize, message: &str) {
    let (assert, path) = validate(text, 2);
    assert
        .stderr(predicate::str::contains(format!(
            "error: {path}:{line}:{column}: "
        )))
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains(format!("{line} | ")))
        .stderr(predicate::str::contains("= hint: "));
}

#[test]
fn the_good_profile_is_valid() {
    validate(GOOD, 0)
        .0
        .stdout(predicate::str::contains("valid profile `acme`"));
}

#[test]
fn bad_toml_syntax_is_located() {
    let text = GOOD.replace("name = \"sip\"", "name = \"sip");
    assert_located(&text, 13, 12, "invalid basic string");
}

#[test]
fn port_out_of_range_is_located() {
    let text = GOOD.replace("remote_ports = [5060]", "remote_ports = [70000]");
    assert_located(&text, 18, 17, "port 70000 is out of range");
}

#[test]
fn bad_cidr_is_located() {
    let text = GOOD.replace("198.51.100.0/24", "198.51.100.0/33");
    assert_located(&text, 17, 10, "is not a valid CIDR prefix");
    let text = GOOD.replace("198.51.100.0/24", "198.51.100.7/24");
    assert_located(&text, 17, 10, "did you mean 198.51.100.0/24?");
}

#[test]
fn keepalive_not_shorter_than_lifetime_is_located() {
    let text = GOOD.replace("interval_seconds = 30", "interval_seconds = 60");
    assert_located(
        &text,
        26,
        20,
        "keepalives every 60 s cannot keep alive a binding that may expire after 60 s",
    );
}

#[test]
fn unknown_key_is_located_with_a_suggestion() {
    let text = GOOD.replace("remote_ports = [5060]", "remote_port = [5060]");
    let (assert, _) = validate(&text, 2);
    assert
        .stderr(predicate::str::contains("unknown field `remote_port`"))
        .stderr(predicate::str::contains("did you mean `remote_ports`?"));
    assert_located(&text, 18, 1, "unknown field");
}

#[test]
fn undeclared_document_and_parameter_are_located() {
    let text = GOOD.replace(
        "{ doc = \"page\", section = \"Ports\" }",
        "{ doc = \"pgae\", section = \"Ports\" }",
    );
    assert_located(&text, 19, 20, "cites document `pgae`");
    let text = GOOD.replace("[\"198.51.100.0/24\"]", "[\"${proxy}\"]");
    assert_located(
        &text,
        17,
        11,
        "`${proxy}` refers to a parameter that is not declared",
    );
}

#[test]
fn warnings_fail_only_under_strict() {
    let overlapping = format!(
        "{GOOD}\n[[flows]]\nname = \"sip-again\"\npurpose = \"sip-signalling\"\ndirection = \"outbound\"\n\
transports = [\"udp\"]\nremote = [\"any\"]\nremote_ports = [\"5000-5100\"]\nsources = [{{ doc = \"page\", section = \"Ports\" }}]\n"
    );
    validate(&overlapping, 0)
        .0
        .stdout(predicate::str::contains("1 warning"));
    let file = profile_file(&overlapping);
    Command::cargo_bin("sipwall")
        .unwrap()
        .args(["profile", "validate", "--strict"])
        .arg(file.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "flows `sip` and `sip-again` overlap",
        ));
}

#[test]
fn json_report_carries_line_column_and_hint() {
    let text = GOOD.replace("remote_ports = [5060]", "remote_ports = [70000]");
    let file = profile_file(&text);
    let output = Command::cargo_bin("sipwall")
        .unwrap()
        .args(["profile", "validate", "--json"])
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["schema"], "sipwall.profile-validation");
    let diagnostic = &report["files"][0]["diagnostics"][0];
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["location"]["line"], 18);
    assert_eq!(diagnostic["location"]["column"], 17);
    assert_eq!(diagnostic["location"]["text"], "70000");
    assert!(diagnostic["hint"].is_string());
}

#[test]
fn missing_and_binary_files_are_input_errors() {
    Command::cargo_bin("sipwall")
        .unwrap()
        .args(["profile", "validate", "/nonexistent/profile.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read /nonexistent/profile.toml",
        ));
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&[0x66, 0x6f, 0xff, 0xfe, 0x00]).unwrap();
    Command::cargo_bin("sipwall")
        .unwrap()
        .args(["profile", "validate"])
        .arg(file.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not valid UTF-8"));
}
