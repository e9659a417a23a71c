//! Rendering speed for `bench/rules.sh`: every vendor dialect × every built-in profile
//! (parameters filled from each profile's own examples), plain and `--explain`, as one pass;
//! PASSES passes; prints min and median of a pass. The target: one pass < 100 ms.
//!
//!     cargo run --release -p sipwall-firewall --example render_bench -- [PASSES]

use std::collections::BTreeMap;
use std::time::Instant;

use sipwall_firewall::{Options, Vendor, render};
use sipwall_profile::builtin::BUILTINS;

fn main() {
    let passes: usize = std::env::args()
        .nth(1)
        .map_or(50, |s| s.parse().expect("PASSES"));
    let profiles: Vec<_> = BUILTINS
        .iter()
        .map(|builtin| {
            let profile = builtin.load().profile;
            let values: BTreeMap<String, String> = profile
                .parameters
                .iter()
                .filter(|p| p.default.is_none())
                .filter_map(|p| Some((p.name.clone(), p.example.clone()?)))
                .collect();
            sipwall_profile::resolve(&profile, &values)
                .expect("examples are valid values")
                .require_complete()
                .expect("every parameter has a value")
        })
        .collect();
    let options = Options::default();
    let mut times = Vec::with_capacity(passes);
    let mut bytes = 0;
    for _ in 0..passes {
        let started = Instant::now();
        bytes = 0;
        for vendor in Vendor::ALL {
            for profile in &profiles {
                for explain in [false, true] {
                    let rendering = render(profile, *vendor, &options, explain).expect("renders");
                    bytes += rendering.text.len();
                }
            }
        }
        times.push(started.elapsed());
    }
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "renderings_per_pass={} vendors={} profiles={} bytes_per_pass={bytes} min_ms={:.2} median_ms={:.2} passes={passes}",
        Vendor::ALL.len() * profiles.len() * 2,
        Vendor::ALL.len(),
        profiles.len(),
        ms(times[0]),
        ms(times[passes / 2])
    );
}
