//! A check's result as text: one line per requirement, then what to fix and the evidence for
//! everything that did not pass.

use std::fmt::Write as _;

use comfy_table::{ContentArrangement, Table, presets};
use sipwall_check::run::CheckOutcome;
use sipwall_check::verdict::{Status, overall};
use sipwall_profile::Source;

const PIPE_WIDTH: u16 = 140;
/// Evidence lines shown per verdict; `--json` has every one.
const MAX_EVIDENCE: usize = 8;

/// The first sentence, for the table (the details below have the rest).
fn headline(text: &str) -> String {
    match text.find(". ") {
        Some(end) => text[..=end].to_owned(),
        None => text.to_owned(),
    }
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
        Status::Inconclusive => "??",
        Status::NotTested => "--",
    }
}

fn source(source: &Source) -> String {
    match (&source.doc, source.rfc) {
        (_, Some(rfc)) => format!("RFC {rfc} {}", source.section),
        (Some(doc), None) => format!("{doc}: {}", source.section),
        (None, None) => source.section.clone(),
    }
}

pub fn summary(outcome: &CheckOutcome) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "sipwall check against {} ({}) — profile {}, public address {} (local {}), {:.1} s\n",
        outcome.control,
        outcome.server,
        outcome.profile,
        outcome.observed.ip(),
        outcome.local_ip,
        outcome.elapsed_ms as f64 / 1000.0
    );
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    // Piped, or a terminal that reports no width (e.g. under `script`): a fixed width.
    if !table.is_tty() || table.width().is_none_or(|w| w == 0) {
        table.set_width(PIPE_WIDTH);
    }
    table.set_header(vec!["", "requirement", "observed"]);
    for verdict in &outcome.verdicts {
        table.add_row(vec![
            mark(verdict.status).to_owned(),
            verdict.requirement.clone(),
            headline(&verdict.observed),
        ]);
    }
    let _ = writeln!(text, "{table}");
    for verdict in outcome.verdicts.iter().filter(|v| v.status != Status::Pass) {
        let _ = writeln!(
            text,
            "\n{} {} — {}",
            mark(verdict.status),
            verdict.id,
            verdict.requirement
        );
        if verdict.observed != headline(&verdict.observed) {
            let _ = writeln!(text, "  found: {}", verdict.observed);
        }
        if !verdict.why.is_empty() {
            let _ = writeln!(text, "  why: {}", verdict.why);
        }
        if let Some(fix) = &verdict.fix {
            let _ = writeln!(text, "  fix: {fix}");
        }
        for line in verdict.evidence.iter().take(MAX_EVIDENCE) {
            let _ = writeln!(text, "  evidence: {line}");
        }
        if verdict.evidence.len() > MAX_EVIDENCE {
            let _ = writeln!(
                text,
                "  evidence: … {} more (--json has all)",
                verdict.evidence.len() - MAX_EVIDENCE
            );
        }
        let mut seen = Vec::new();
        for s in &verdict.sources {
            let line = source(s);
            if !seen.contains(&line) {
                let _ = writeln!(text, "  source: {line}");
                seen.push(line);
            }
        }
    }
    let counts = |status| {
        outcome
            .verdicts
            .iter()
            .filter(|v| v.status == status)
            .count()
    };
    let _ = writeln!(
        text,
        "\n{}: {} pass, {} warn, {} fail, {} inconclusive, {} not tested",
        overall(&outcome.verdicts).as_str().to_uppercase(),
        counts(Status::Pass),
        counts(Status::Warn),
        counts(Status::Fail),
        counts(Status::Inconclusive),
        counts(Status::NotTested)
    );
    text
}
