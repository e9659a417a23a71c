//! Fuzzes the profile loader: any bytes in, a profile or located errors out, never a panic.
//! Run: cargo +nightly fuzz run profile_load fuzz/seeds/profile_load  (see docs/development.md)
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match sipwall_profile::load_str(text, "fuzz.toml") {
            Ok(loaded) => {
                // A loaded profile must survive parameter resolution too.
                let _ = sipwall_profile::resolve(&loaded.profile, &Default::default());
            }
            Err(errors) => {
                for error in errors {
                    let _ = error.render();
                }
            }
        }
    }
});
