//! Fuzzes every export parser and the audit behind it: any bytes, as any format (the first
//! byte picks one; 0xf0 and above: detection), parse to facts or a clear error, never a panic;
//! spans stay inside the input; the audit of whatever parsed never panics either.
//! Run: scripts/fuzz audit_parse 600
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sipwall_audit::{AuditOptions, Format, Hints, Source, audit};
use sipwall_firewall::{Options, Policy};

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let profile = sipwall_profile::builtin::find("rfc-baseline")
            .expect("built in")
            .load()
            .profile;
        Policy::from_profile(&profile, &Options::default()).expect("builds")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    // 0xf0 and above: let detection pick, as `sipwall audit` does without --format.
    let format = if selector >= 0xf0 {
        match Format::detect(&text) {
            Ok(format) => format,
            Err(_) => return,
        }
    } else {
        Format::ALL[usize::from(selector) % Format::ALL.len()]
    };
    let source = Source::new("fuzz", text);
    let Ok(parsed) = format.parse(&source, &Hints::default()) else {
        return;
    };
    let lines = source.line_count() as u32;
    let device = &parsed.device;
    let spans = device
        .sip_alg
        .iter()
        .flat_map(|f| &f.evidence.spans)
        .chain(device.forwards.iter().flat_map(|f| &f.evidence.spans))
        .chain(device.filters.iter().flat_map(|f| &f.evidence.spans));
    for span in spans {
        assert!(span.line >= 1 && span.line <= lines.max(1), "span {span:?} outside {lines} lines");
        assert!(span.start <= span.end);
    }
    let options = AuditOptions {
        render_fixes: false,
        ..AuditOptions::default()
    };
    let _ = audit(policy(), format, &parsed, &options);
});
