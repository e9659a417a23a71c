//! The loader must never panic, whatever it is given: random text, and built-in profiles with
//! random damage (cut, insertion, replaced character). Errors must come back located.

use proptest::prelude::*;
use sipwall_profile::builtin::BUILTINS;
use sipwall_profile::load_str;

fn damaged_builtin() -> impl Strategy<Value = String> {
    (
        0..BUILTINS.len(),
        any::<prop::sample::Index>(),
        0usize..40,
        ".{0,12}",
    )
        .prop_map(|(which, at, cut, insert)| {
            let text = BUILTINS[which].text;
            let mut start = at.index(text.len().max(1)).min(text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}{insert}{}", &text[..start], &text[end..])
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_text_never_panics(text in ".{0,400}") {
        let _ = load_str(&text, "random.toml");
    }

    #[test]
    fn damaged_profiles_fail_with_located_errors_or_load(text in damaged_builtin()) {
        match load_str(&text, "damaged.toml") {
            Ok(_) => {}
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for error in &errors {
                    let location = error.location.as_ref();
                    prop_assert!(location.is_some(), "unlocated: {}", error.render());
                    let location = location.unwrap();
                    prop_assert!(location.line >= 1 && location.column >= 1);
                    prop_assert!(location.span.end <= text.len());
                    let _ = error.render();
                }
            }
        }
    }
}
