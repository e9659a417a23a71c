//! Provenance: every `quote` a built-in profile attributes to a seed document must stand in
//! that document, word for word (white space folded). The seeds live in `shared/seeds/` beside
//! the repository, as on every developer machine and in CI.

use std::path::PathBuf;

use sipwall_profile::builtin::BUILTINS;

fn folded(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `location = "shared/seeds/FILE"` resolves against the directory that holds the repository.
fn seed_path(location: &str) -> PathBuf {
    let repository = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    repository.join("..").join(location)
}

#[test]
fn every_seed_quote_is_verbatim() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for builtin in BUILTINS {
        let profile = builtin.load().profile;
        let value = serde_json::to_value(&profile).unwrap();
        for document in profile
            .documents
            .iter()
            .filter(|d| d.location.starts_with("shared/seeds/"))
        {
            let path = seed_path(&document.location);
            let seed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: cannot read seed {} ({e}); shared/ must sit beside the repository",
                    builtin.id,
                    path.display()
                )
            });
            let seed = folded(&seed);
            let mut quotes = Vec::new();
            collect_quotes(&value, &document.id, &mut quotes);
            for quote in quotes {
                checked += 1;
                if !seed.contains(&folded(&quote)) {
                    wrong.push(format!("{}: {quote:?}", builtin.id));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "quotes not found in their seed:\n{}",
        wrong.join("\n")
    );
    assert!(checked > 50, "only {checked} quotes checked");
}

/// Every `quote` of a source object with `doc == document`, anywhere in the profile.
fn collect_quotes(value: &serde_json::Value, document: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("doc").and_then(|d| d.as_str()) == Some(document)
                && let Some(quote) = map.get("quote").and_then(|q| q.as_str())
            {
                out.push(quote.to_string());
            }
            map.values().for_each(|v| collect_quotes(v, document, out));
        }
        serde_json::Value::Array(items) => {
            items.iter().for_each(|v| collect_quotes(v, document, out))
        }
        _ => {}
    }
}
