//! The terminal report: each finding with its evidence drawn under the export's own lines, the
//! rationale, the requirement and its sources, and the fix.

use std::borrow::Cow;
use std::fmt::Write;

use crate::device::Certainty;
use crate::finding::{Finding, Report};
use crate::source::Source;

use super::citation;

/// The whole report. `coverage_lines` also lists every line not understood.
pub fn render(report: &Report, source: &Source, unknown_lines: &[u32]) -> String {
    let mut out = String::new();
    let version = report
        .device_version
        .as_ref()
        .map(|v| format!(", version {}", v.version))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "sipwall audit: {} ({}{version}) against profile {}",
        report.file, report.format, report.profile
    );
    let c = &report.coverage;
    let _ = writeln!(
        out,
        "coverage: {} configuration lines: {} understood, {} known and ignored, {} unknown ({:.1} %)",
        c.total(),
        c.understood,
        c.ignored,
        c.unknown,
        c.unknown_share() * 100.0
    );
    for finding in &report.findings {
        out.push('\n');
        finding_text(&mut out, finding, source);
    }
    if !unknown_lines.is_empty() {
        let _ = writeln!(out, "\nlines not understood:");
        for &line in unknown_lines {
            let _ = writeln!(out, "{line:>6} | {}", printable(source.line(line)));
        }
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for note in &report.notes {
            let _ = writeln!(out, "  - {}", printable(note));
        }
    }
    out.push('\n');
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// One line: how many findings of which severity, and whether the verdict is withheld.
pub fn summary(report: &Report) -> String {
    if report.findings.is_empty() {
        return "verdict: no findings".into();
    }
    let mut counts = Vec::new();
    for severity in crate::finding::Severity::ALL.iter().rev() {
        let n = report
            .findings
            .iter()
            .filter(|f| f.severity == *severity)
            .count();
        if n > 0 {
            counts.push(format!("{n} {severity}"));
        }
    }
    let withheld = if report.verdict_withheld {
        " — too much was not understood to call the rest clean"
    } else {
        ""
    };
    format!(
        "verdict: {} finding{} ({}){withheld}",
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" },
        counts.join(", ")
    )
}

/// The text with every control character shown as one visible character: a hostile export
/// must not drive the terminal (escape sequences that clear the screen or set the clipboard
/// next to a paste-ready fix). One character in, one out, so the `^^^` underline stays aligned.
fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\t' => ' ',
                c if c.is_control() => '\u{FFFD}',
                c => c,
            })
            .collect(),
    )
}

fn finding_text(out: &mut String, finding: &Finding, source: &Source) {
    let certainty = match finding.certainty {
        Certainty::Explicit => "explicit".to_string(),
        Certainty::DefaultInferred { .. } => "default-inferred".to_string(),
        Certainty::Unknown => "unknown".to_string(),
    };
    let _ = writeln!(
        out,
        "{} {}: {}  [{certainty}]",
        finding.severity.name().to_uppercase(),
        finding.id,
        finding.title
    );
    let _ = writeln!(out, "  found: {}", printable(&finding.found));
    if let Certainty::DefaultInferred { default } = finding.certainty {
        let _ = writeln!(
            out,
            "  default: {} ({}; {})",
            default.statement, default.versions, default.source
        );
    }
    let mut spans = finding.evidence.clone();
    spans.sort();
    for span in spans {
        let line = source.line(span.line);
        let _ = writeln!(out, "  {:>6} | {}", span.line, printable(line));
        let start = line
            .get(..span.start as usize)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        let width = line
            .get(span.start as usize..span.end as usize)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            .max(1);
        let _ = writeln!(out, "         | {}{}", " ".repeat(start), "^".repeat(width));
    }
    if !finding.rationale.is_empty() {
        let _ = writeln!(out, "  why: {}", finding.rationale);
    }
    if let Some(requirement) = &finding.requirement {
        let _ = writeln!(out, "  requirement: {requirement}");
    }
    for cited in &finding.sources {
        let _ = writeln!(out, "    source: {}", citation(cited));
    }
    if let Some(fix) = &finding.fix {
        let _ = writeln!(
            out,
            "  fix ({}, the lines for this finding; JSON has the whole part as fix.full):",
            fix.command
        );
        for line in fix.text.lines() {
            let _ = writeln!(out, "    | {}", printable(line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("a\x1b[2Jb\tc\u{9b}d"), "a\u{FFFD}[2Jb c\u{FFFD}d");
    }
}
