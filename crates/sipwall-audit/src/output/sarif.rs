//! SARIF 2.1.0 (OASIS): one run, one rule per catalogue id, one result per finding with its
//! evidence as regions, the certainty and severity as properties and the fix text in
//! `properties.fix` (SARIF `fixes` describe in-place edits, which a fix for a firewall is not).

use serde_json::{Value, json};

use crate::device::Certainty;
use crate::finding::{Finding, Report, Severity};
use crate::source::Source;

pub fn render(report: &Report, source: &Source) -> Value {
    let uri = file_uri(&report.file);
    let mut rules: Vec<&Finding> = Vec::new();
    for finding in &report.findings {
        if !rules.iter().any(|r| r.id == finding.id) {
            rules.push(finding);
        }
    }
    let rule_objects: Vec<Value> = rules
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "name": f.id.replace('-', ""),
                "shortDescription": {"text": f.title},
                "fullDescription": {"text": f.rationale},
                "help": {"text": format!("{} See docs/audit.md#{}", f.rationale, f.id.to_lowercase())},
                "defaultConfiguration": {"level": level(f.severity)},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = rules.iter().position(|r| r.id == f.id).unwrap_or(0);
            let locations: Vec<Value> = if f.evidence.is_empty() {
                vec![json!({"physicalLocation": {"artifactLocation": {"uri": uri}}})]
            } else {
                f.evidence
                    .iter()
                    .map(|span| {
                        json!({"physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": {
                                "startLine": span.line,
                                "startColumn": column(source.line(span.line), span.start),
                                "endColumn": column(source.line(span.line), span.end.max(span.start)),
                                "snippet": {"text": source.line(span.line)},
                            },
                        }})
                    })
                    .collect()
            };
            let mut properties = json!({
                "severity": f.severity.name(),
                "certainty": certainty(&f.certainty),
            });
            if let Some(requirement) = &f.requirement {
                properties["requirement"] = json!(requirement);
            }
            if let Some(fix) = &f.fix {
                properties["fix"] = json!({
                    "vendor": fix.vendor.id(),
                    "command": fix.command,
                    "text": fix.text,
                    "full": fix.full,
                });
            }
            json!({
                "ruleId": f.id,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": {"text": format!("{}: {}", f.title, f.found)},
                "locations": locations,
                "properties": properties,
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sipwall",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/sipwall",
                "rules": rule_objects,
            }},
            "artifacts": [{"location": {"uri": uri}}],
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {
                "profile": report.profile,
                "format": report.format.id(),
                "coverage": report.coverage,
                "verdictWithheld": report.verdict_withheld,
            },
        }],
    })
}

/// The file name as a URI reference (SARIF §3.10): an absolute path becomes a `file://` URI,
/// a relative one stays relative; bytes outside the unreserved set and `/` are
/// percent-encoded (real export names contain `#`, `,`, `=` and spaces).
fn file_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The 1-based column, in Unicode code points (the run's `columnKind`), of byte offset `at`.
fn column(line: &str, at: u32) -> usize {
    let at = (at as usize).min(line.len());
    let mut boundary = at;
    while !line.is_char_boundary(boundary) {
        boundary -= 1;
    }
    line[..boundary].chars().count() + 1
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

fn certainty(certainty: &Certainty) -> &'static str {
    match certainty {
        Certainty::Explicit => "explicit",
        Certainty::DefaultInferred { .. } => "default-inferred",
        Certainty::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::file_uri;

    #[test]
    fn file_names_become_uri_references() {
        assert_eq!(file_uri("/tmp/fw.conf"), "file:///tmp/fw.conf");
        assert_eq!(file_uri("asa#5512_9.12 x.txt"), "asa%235512_9.12%20x.txt");
        assert_eq!(file_uri("<stdin>"), "%3Cstdin%3E");
    }

    #[test]
    fn columns_count_code_points() {
        use super::column;
        let line = "set comment \"Büro\" sip";
        let at = line.find("sip").unwrap() as u32;
        assert_eq!(column(line, at), line[..at as usize].chars().count() + 1);
        assert_eq!(column(line, 0), 1);
        assert_eq!(column(line, 999), line.chars().count() + 1);
    }
}
