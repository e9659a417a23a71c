//! Helpers shared by the audit integration tests: built-in profiles with plausible parameter
//! values, their renderings by `sipwall rules`, and the third-party corpus (read in place from
//! `../shared/corpus`, never copied into the repository).

#![allow(dead_code)]

use std::path::PathBuf;

use sipwall_audit::{Format, Hints, Parsed, Source};
use sipwall_firewall::{Options, Policy, Vendor};
use sipwall_profile::Profile;

/// Every built-in profile id.
pub fn profile_ids() -> Vec<&'static str> {
    sipwall_profile::builtin::BUILTINS
        .iter()
        .map(|b| b.id)
        .collect()
}

/// A built-in profile with every parameter lacking a default set to the profile's own example.
pub fn builtin_filled(id: &str) -> Profile {
    sipwall_profile::builtin::find(id)
        .unwrap_or_else(|| panic!("no built-in profile {id}"))
        .load_with_examples()
}

/// The policy of a built-in profile with `options`.
pub fn policy(id: &str, options: &Options) -> Policy {
    Policy::from_profile(&builtin_filled(id), options).expect("built-in profiles build")
}

/// `sipwall rules --vendor V --profile ID` with `options` (no --explain).
pub fn render(vendor: Vendor, id: &str, options: &Options) -> String {
    vendor.render(&policy(id, options), false).text
}

/// Parses `text` as `format`, panicking with the error (for texts that must parse).
pub fn parse(format: Format, text: &str, hints: &Hints) -> Parsed {
    let source = Source::new("test", text);
    format
        .parse(&source, hints)
        .unwrap_or_else(|e| panic!("{format}: {e} at {:?} ({})", e.span, e.hint))
}

/// `../shared/corpus/<dir>` beside the checkout.
pub fn corpus_dir(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(dir)
}

/// Every file of a corpus directory, sorted, as (file name, text). Fails when the directory is
/// missing: the corpus is part of the test set.
pub fn corpus_files(dir: &str) -> Vec<(String, String)> {
    let path = corpus_dir(dir);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("corpus {} missing: {e}", path.display()))
        .map(|entry| entry.expect("dir entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read corpus file");
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The audit report of `text` (parsed as `format`) against built-in profile `profile_id` built
/// with `options` (use the same options the rendering used). Fixes are not rendered.
pub fn audit_report(
    format: Format,
    text: &str,
    hints: &Hints,
    profile_id: &str,
    options: &Options,
) -> sipwall_audit::Report {
    let parsed = parse(format, text, hints);
    let audit_options = sipwall_audit::AuditOptions {
        render_fixes: false,
        ..sipwall_audit::AuditOptions::default()
    };
    sipwall_audit::audit(
        &policy(profile_id, options),
        format,
        &parsed,
        &audit_options,
    )
}

/// The finding ids of [`audit_report`], sorted, duplicates kept; `Info` findings (coverage)
/// included.
pub fn audit_ids(
    format: Format,
    text: &str,
    hints: &Hints,
    profile_id: &str,
    options: &Options,
) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = audit_report(format, text, hints, profile_id, options)
        .findings
        .iter()
        .map(|f| f.id)
        .collect();
    ids.sort();
    ids
}

/// The names of the required flows ACL-001 reports blocked in `text`, sorted.
pub fn blocked_flows(
    format: Format,
    text: &str,
    hints: &Hints,
    profile_id: &str,
    options: &Options,
) -> Vec<String> {
    let mut names: Vec<String> = audit_report(format, text, hints, profile_id, options)
        .findings
        .iter()
        .filter(|f| f.id == "ACL-001")
        .flat_map(|f| f.rules.iter().cloned())
        .collect();
    names.sort();
    names
}

/// The rendering of `profile_id` with the accept of the required flow `flow` limited to some
/// source ports (`mutated`) no longer covers that flow, which goes from any port: ACL-001
/// names it, and the audit finds nothing else new. `widened` (the same accept from every
/// source port, when given) still covers it.
pub fn assert_source_port_limit_blocks(
    format: Format,
    original: &str,
    mutated: &str,
    widened: Option<&str>,
    (hints, profile_id, options): (&Hints, &str, &Options),
    flow: &str,
) {
    assert_ne!(original, mutated, "the mutation changed nothing");
    let before = blocked_flows(format, original, hints, profile_id, options);
    let after = blocked_flows(format, mutated, hints, profile_id, options);
    let added = minus(after.clone(), &before);
    assert_eq!(
        added,
        vec![flow.to_string()],
        "before {before:?}, after {after:?}"
    );
    let other = |text: &str| -> Vec<&'static str> {
        audit_ids(format, text, hints, profile_id, options)
            .into_iter()
            .filter(|id| *id != "ACL-001")
            .collect()
    };
    assert_eq!(other(mutated), other(original), "findings besides ACL-001");
    if let Some(widened) = widened {
        assert_ne!(original, widened, "the widening changed nothing");
        assert_eq!(
            blocked_flows(format, widened, hints, profile_id, options),
            before,
            "an accept from every source port covers the flow"
        );
    }
}

/// `after` with each item of `before` taken out once (a multiset difference; order kept).
pub fn minus<T: PartialEq>(mut after: Vec<T>, before: &[T]) -> Vec<T> {
    for known in before {
        if let Some(at) = after.iter().position(|x| x == known) {
            after.remove(at);
        }
    }
    after
}

/// The finding ids [`audit_ids`] gives `mutated` beyond those it gives `original` (each of
/// `original`'s taken out once), sorted, repeats kept.
pub fn added_ids(
    format: Format,
    original: &str,
    mutated: &str,
    (hints, profile_id, options): (&Hints, &str, &Options),
) -> Vec<&'static str> {
    let before = audit_ids(format, original, hints, profile_id, options);
    minus(
        audit_ids(format, mutated, hints, profile_id, options),
        &before,
    )
}

/// `text` with `from` replaced by `to` (which must occur).
pub fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "no {from:?} in the rendering");
    text.replace(from, to)
}

/// `tests/fixtures/<dir>/<name>`.
pub fn fixture_text(dir: &str, name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `text` (named `name`) parsed as `format` with default hints, and its source; panics with
/// the error (for texts that must parse).
pub fn read(format: Format, name: &str, text: &str) -> (Source, Parsed) {
    read_with(format, name, text, &Hints::default())
}

/// [`read`] with `hints`.
pub fn read_with(format: Format, name: &str, text: &str, hints: &Hints) -> (Source, Parsed) {
    let source = Source::new(name, text);
    let parsed = format
        .parse(&source, hints)
        .unwrap_or_else(|e| panic!("{name}: {e} at {:?} ({})", e.span, e.hint));
    (source, parsed)
}

/// The share of `parsed`'s lines understood or ignored, logged under `name`.
pub fn read_share(name: &str, parsed: &Parsed) -> f64 {
    let s = parsed.coverage.summary();
    let share = (s.understood + s.ignored) as f64 / s.total().max(1) as f64;
    eprintln!(
        "{name}: understood {} ignored {} unknown {} ({:.1} % read)",
        s.understood,
        s.ignored,
        s.unknown,
        share * 100.0
    );
    share
}

/// Every corpus file (`(name, text)`) is detected as `format`, parses, and has at least the
/// share `floor(name)` of its lines read; the parses, for the vendor's own checks.
pub fn corpus_parsed(
    format: Format,
    files: Vec<(String, String)>,
    floor: impl Fn(&str) -> f64,
) -> Vec<(String, Parsed)> {
    files
        .into_iter()
        .map(|(name, text)| {
            assert_eq!(Format::detect(&text), Ok(format), "{name}");
            let (_, parsed) = read(format, &name, &text);
            let (share, floor) = (read_share(&name, &parsed), floor(&name));
            assert!(share >= floor, "{name}: coverage {share} < {floor}");
            (name, parsed)
        })
        .collect()
}

/// Each text is refused as `format`, with a hint.
pub fn assert_refused_with_hint(format: Format, texts: &[&str]) {
    assert_refused_with_hint_naming(format, texts, "");
}

/// Each text is refused as `format`, with a hint that contains `needle`.
pub fn assert_refused_with_hint_naming(format: Format, texts: &[&str], needle: &str) {
    for text in texts {
        let err = format
            .parse(&Source::new("x", *text), &Hints::default())
            .expect_err(text);
        assert!(!err.hint.is_empty(), "{text:?}");
        assert!(err.hint.contains(needle), "{text:?}: {}", err.hint);
    }
}

/// Reading `text` as `format` does not panic, and an error carries a hint; the parse, when it
/// succeeds, for the caller's own checks.
pub fn assert_parses_or_hints(format: Format, text: &str, hints: &Hints) -> Option<Parsed> {
    match format.parse(&Source::new("x", text), hints) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            assert!(!e.hint.is_empty(), "{format}: {e} in {text:?}");
            None
        }
    }
}

/// One xorshift64 step: the next value of `seed`.
pub fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// One step of the 64-bit LCG (Knuth's MMIX constants): the high 31 bits of the next `seed`.
pub fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

/// `count` prefixes of `text` cut at `at(text.len())` (moved back to a char boundary) each
/// read as `format`: no panic, an error carries a hint. The prefixes that parse, with their
/// parses, for the vendor's own checks.
pub fn truncations_parse_or_hint<'t>(
    format: Format,
    text: &'t str,
    hints: &Hints,
    count: usize,
    mut at: impl FnMut(usize) -> usize,
) -> Vec<(&'t str, Parsed)> {
    let mut parsed = Vec::new();
    for _ in 0..count {
        let mut cut = at(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(p) = assert_parses_or_hints(format, &text[..cut], hints) {
            parsed.push((&text[..cut], p));
        }
    }
    parsed
}

/// `count` prefixes of `text` cut at deterministic (xorshift from `seed`) char boundaries each
/// read as `format`: no panic, an error carries a hint.
pub fn assert_truncations_parse_or_hint(
    format: Format,
    text: &str,
    hints: &Hints,
    seed: &mut u64,
    count: usize,
) {
    truncations_parse_or_hint(format, text, hints, count, |len| {
        (xorshift(seed) % len as u64) as usize
    });
}

/// Every vendor's rendering of `profile_id`: detected as `format` exactly when `own(vendor)`;
/// another vendor's scores at most `max_foreign` in `format`'s fingerprint; reading any of
/// them as `format` does not panic and an error carries a hint. The own vendors' renderings,
/// for the vendor's own checks.
pub fn assert_renderings_claimed_only_by_own(
    format: Format,
    own: impl Fn(Vendor) -> bool,
    profile_id: &str,
    options: &Options,
    max_foreign: u32,
) -> Vec<(Vendor, String)> {
    let mut owns = Vec::new();
    for vendor in Vendor::ALL.iter().copied() {
        let text = render(vendor, profile_id, options);
        let detected = Format::detect(&text).ok();
        assert_parses_or_hints(format, &text, &Hints::default());
        if own(vendor) {
            assert_eq!(detected, Some(format), "{vendor:?}");
            owns.push((vendor, text));
        } else {
            assert_ne!(detected, Some(format), "{vendor:?}");
            let score = format.fingerprint(&text);
            assert!(score <= max_foreign, "{vendor:?}: fingerprint {score}");
        }
    }
    owns
}
