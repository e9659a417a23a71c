//! End-to-end tests of `sipwall profile …` through the real binary.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn sipwall() -> Command {
    Command::cargo_bin("sipwall").expect("binary builds")
}

fn json_of(args: &[&str]) -> Value {
    let output = sipwall().args(args).output().expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("valid JSON")
}

#[test]
fn list_shows_the_seven_builtins() {
    let list = json_of(&["profile", "list", "--json"]);
    assert_eq!(list["schema"], "sipwall.profile-list");
    assert_eq!(list["version"], 1);
    let ids: Vec<&str> = list["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cloudli",
            "tw-solutions",
            "swyx-linkmanager",
            "algar-cloudphone-pro",
            "fonality-pbxtra",
            "fonality-pbxtra-premise",
            "rfc-baseline"
        ]
    );
    sipwall()
        .args(["profile", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("fonality-pbxtra-premise"));
}

#[test]
fn every_builtin_shows_as_text_and_json() {
    for id in [
        "cloudli",
        "tw-solutions",
        "swyx-linkmanager",
        "algar-cloudphone-pro",
        "fonality-pbxtra",
        "fonality-pbxtra-premise",
        "rfc-baseline",
    ] {
        sipwall()
            .args(["profile", "show", id])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("({id})")));
        let shown = json_of(&["profile", "show", id, "--json"]);
        assert_eq!(shown["profile"]["id"], id);
        assert_eq!(shown["warnings"].as_array().unwrap().len(), 0, "{id}");
    }
}

fn has_source(item: &Value) -> bool {
    item["sources"]
        .as_array()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|s| s["section"].is_string()))
}

#[test]
fn premise_profile_carries_forwards_bans_and_timeouts_with_sources() {
    let shown = json_of(&["profile", "show", "fonality-pbxtra-premise", "--json"]);
    let profile = &shown["profile"];
    let flows = profile["flows"].as_array().unwrap();
    let forwards: Vec<&Value> = flows
        .iter()
        .filter(|f| f["forward_to"] == "${pbx_address}")
        .collect();
    let forwarded = |port: u64, transport: &str| {
        forwards.iter().any(|f| {
            f["transports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == transport)
                && f["local_ports"].as_array().unwrap().iter().any(|p| {
                    p.as_u64() == Some(port)
                        || p.as_str()
                            .and_then(|r| r.split_once('-'))
                            .is_some_and(|(a, b)| {
                                a.parse::<u64>().unwrap() <= port
                                    && port <= b.parse::<u64>().unwrap()
                            })
                })
        })
    };
    for (port, transport) in [
        (5060, "udp"),
        (5060, "tcp"),
        (10000, "udp"),
        (20000, "udp"),
        (5222, "tcp"),
        (4569, "udp"),
        (4000, "tcp"),
        (4031, "udp"),
        (8997, "tcp"),
    ] {
        assert!(
            forwarded(port, transport),
            "no forward for {port}/{transport}"
        );
    }
    assert!(forwards.iter().all(|f| has_source(f)));
    let never: Vec<u64> = profile["security"]["never_forward"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["port"].as_u64().unwrap())
        .collect();
    for port in [21, 22, 69, 80] {
        assert!(never.contains(&port), "never_forward lacks {port}");
        assert!(
            !forwarded(port, "tcp") && !forwarded(port, "udp"),
            "{port} is forwarded"
        );
    }
    assert!(
        profile["security"]["never_forward"]
            .as_array()
            .unwrap()
            .iter()
            .all(has_source)
    );
    let ban = &profile["security"]["brute_force"];
    assert_eq!(
        (ban["max_failures"].as_u64(), ban["ban_seconds"].as_u64()),
        (Some(20), Some(3600))
    );
    assert!(has_source(ban));
    let lifetime = &profile["nat"]["binding_lifetime"];
    assert_eq!(lifetime["min_seconds"], 90);
    assert!(has_source(lifetime));
    assert!(
        shown["open_parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "pbx_address")
    );
}

#[test]
fn algar_profile_shows_the_sonicwall_conflict() {
    sipwall()
        .args(["profile", "show", "algar-cloudphone-pro"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Conflicts in the sources"))
        .stdout(predicate::str::contains("SIP Transformations"));
    let shown = json_of(&["profile", "show", "algar-cloudphone-pro", "--json"]);
    let conflict = &shown["profile"]["conflicts"][0];
    assert!(conflict["sides"].as_array().unwrap().len() >= 2);
    assert!(conflict["sides"].as_array().unwrap().iter().all(has_source));
}

#[test]
fn cloudli_names_its_open_parameter_until_set() {
    sipwall()
        .args(["profile", "show", "cloudli"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Open parameters: outbound_proxy"))
        .stdout(predicate::str::contains("--set outbound_proxy="));
    let open = json_of(&["profile", "show", "cloudli", "--json"]);
    assert_eq!(
        open["open_parameters"],
        serde_json::json!(["outbound_proxy"])
    );
    assert_eq!(
        open["profile"]["flows"][0]["remote"][0],
        "${outbound_proxy}"
    );

    let set = json_of(&[
        "profile",
        "show",
        "cloudli",
        "--set",
        "outbound_proxy=proxy.example.net",
        "--json",
    ]);
    assert_eq!(set["open_parameters"], serde_json::json!([]));
    assert_eq!(set["profile"]["flows"][0]["remote"][0], "proxy.example.net");
}

#[test]
fn bad_set_values_are_refused_with_the_parameter_named() {
    sipwall()
        .args([
            "profile",
            "show",
            "cloudli",
            "--set",
            "outbond_proxy=x.example",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no parameter `outbond_proxy`"))
        .stderr(predicate::str::contains("outbound_proxy"));
    sipwall()
        .args([
            "profile",
            "show",
            "cloudli",
            "--set",
            "device_sip_port=70000",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "device_sip_port=70000: port 70000 is out of range",
        ));
    sipwall()
        .args(["profile", "show", "cloudli", "--set", "outbound_proxy"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NAME=VALUE"));
}

#[test]
fn unknown_profile_lists_the_builtins() {
    sipwall()
        .args(["profile", "show", "no-such-provider"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "neither a built-in profile nor a file",
        ))
        .stderr(predicate::str::contains("rfc-baseline"));
}

#[test]
fn schema_is_json_schema_for_the_format() {
    let schema = json_of(&["profile", "schema"]);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(schema["properties"]["flows"].is_object());
    assert_eq!(schema["additionalProperties"], false);
}
