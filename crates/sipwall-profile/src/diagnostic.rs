//! Located errors and warnings about a profile, for people (`render`) and machines (serde).

use std::fmt::Write as _;
use std::ops::Range;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A position in a profile file. Lines and columns count from 1; columns in characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Byte range of the offending text.
    pub span: Range<usize>,
    /// The offending text itself (cut to its first line).
    pub text: String,
    /// The whole line it stands on, for display.
    #[serde(skip)]
    pub line_text: String,
}

impl Location {
    /// Locates a byte range in `source`; ranges past the end are clamped.
    pub fn new(file: &str, source: &str, span: Range<usize>) -> Location {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let end = floor_char_boundary(source, span.end.clamp(start, source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let text = source[start..end].lines().next().unwrap_or("").to_string();
        Location {
            file: file.to_string(),
            line,
            column,
            span: start..end,
            text,
            line_text: source[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// One problem found in a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The field concerned, as `flows[2].remote_ports[0]`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            hint: None,
            path: None,
            location: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic as text:
    ///
    /// ```text
    /// error: my.toml:12:17: port 70000 is out of range: ports are 1-65535
    ///    |
    /// 12 | remote_ports = [70000]
    ///    |                 ^^^^^ here
    ///    = hint: ports are whole numbers from 1 to 65535
    /// ```
    pub fn render(&self) -> String {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = String::new();
        match &self.location {
            Some(loc) => {
                let _ = writeln!(
                    out,
                    "{label}: {}:{}:{}: {}",
                    loc.file, loc.line, loc.column, self.message
                );
                let number = loc.line.to_string();
                let pad = " ".repeat(number.len());
                let marker_width = loc.text.chars().count().max(1);
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{number} | {}", loc.line_text);
                let _ = writeln!(
                    out,
                    "{pad} | {}{}",
                    " ".repeat(loc.column - 1),
                    "^".repeat(marker_width.min(80))
                );
                if let Some(path) = &self.path {
                    let _ = writeln!(out, "{pad} = field: {path}");
                }
                if let Some(hint) = &self.hint {
                    let _ = writeln!(out, "{pad} = hint: {hint}");
                }
            }
            None => {
                let _ = writeln!(out, "{label}: {}", self.message);
                if let Some(path) = &self.path {
                    let _ = writeln!(out, "  = field: {path}");
                }
                if let Some(hint) = &self.hint {
                    let _ = writeln!(out, "  = hint: {hint}");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_and_column() {
        let source = "a = 1\nremote_ports = [70000]\n";
        let start = source.find("70000").unwrap();
        let loc = Location::new("p.toml", source, start..start + 5);
        assert_eq!((loc.line, loc.column), (2, 17));
        assert_eq!(loc.text, "70000");
        let text = Diagnostic::error("port 70000 is out of range")
            .with_hint("ports are 1-65535")
            .render_at(loc);
        assert!(text.starts_with("error: p.toml:2:17: port 70000"), "{text}");
        assert!(text.contains("2 | remote_ports = [70000]"));
        assert!(text.contains("  |                 ^^^^^"));
    }

    #[test]
    fn clamps_spans_outside_the_source() {
        let loc = Location::new("p.toml", "é", 1..99);
        assert_eq!((loc.line, loc.column), (1, 1));
    }

    impl Diagnostic {
        fn render_at(mut self, location: Location) -> String {
            self.location = Some(location);
            self.render()
        }
    }
}
