//! The generated JSON Schema, checked by a real validator: every built-in profile conforms,
//! and the schema rejects what the loader rejects (unknown keys, bad ports, bad enum values).

use serde_json::{Value, json};
use sipwall_profile::builtin::BUILTINS;

/// A way to break a valid profile.
type Mutation = (&'static str, fn(&mut Value));

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&sipwall_profile::json_schema())
        .expect("the schema is a valid JSON Schema")
}

#[test]
fn every_builtin_conforms_to_the_schema() {
    let validator = validator();
    for builtin in BUILTINS {
        let profile = serde_json::to_value(builtin.load().profile).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&profile)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", builtin.id);
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let validator = validator();
    let good = serde_json::to_value(BUILTINS[0].load().profile).unwrap();
    let mutations: [Mutation; 4] = [
        ("unknown key", |p| {
            p["flows"][0]["remote_port"] = json!([5060]);
        }),
        ("port out of range", |p| {
            p["flows"][0]["remote_ports"] = json!([70000]);
        }),
        ("bad enum value", |p| {
            p["flows"][0]["direction"] = json!("sideways");
        }),
        ("missing field", |p| {
            p["flows"][0].as_object_mut().unwrap().remove("sources");
        }),
    ];
    assert!(validator.is_valid(&good));
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(
            !validator.is_valid(&bad),
            "schema accepted a profile with a {what}"
        );
    }
}
