//! The export being audited, and spans into it: every fact and finding points at the lines it
//! came from, so a support desk can see the evidence under the customer's own text.

use serde::Serialize;

/// One input file: its name (as given on the command line) and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
    /// Byte offset of the start of each line (line 1 at index 0).
    line_starts: Vec<usize>,
}

/// A piece of one line: 1-based line number, 0-based byte columns `[start, end)`.
/// Facts spanning several lines carry several spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub line: u32,
    pub start: u32,
    pub end: u32,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if line_starts.len() > 1 && *line_starts.last().expect("not empty") == text.len() {
            line_starts.pop();
        }
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// Number of lines (a final newline does not start another line).
    pub fn line_count(&self) -> usize {
        if self.text.is_empty() {
            0
        } else {
            self.line_starts.len()
        }
    }

    /// Line `number` (1-based) without its line ending; empty when out of range.
    pub fn line(&self, number: u32) -> &str {
        let index = number as usize;
        if index == 0 || index > self.line_count() {
            return "";
        }
        let start = self.line_starts[index - 1];
        let end = self
            .line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// `(line number, text)` for every line, numbers from 1.
    pub fn lines(&self) -> impl Iterator<Item = (u32, &str)> {
        (1..=self.line_count() as u32).map(|n| (n, self.line(n)))
    }

    /// The whole of line `number`, without leading and trailing blanks.
    pub fn line_span(&self, number: u32) -> Span {
        let text = self.line(number);
        let start = text.len() - text.trim_start().len();
        let end = text.trim_end().len().max(start);
        Span {
            line: number,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The span of `needle` inside line `number` (first occurrence), or the whole line when it
    /// does not occur there.
    pub fn span_of(&self, number: u32, needle: &str) -> Span {
        match self.line(number).find(needle) {
            Some(at) if !needle.is_empty() => Span {
                line: number,
                start: at as u32,
                end: (at + needle.len()) as u32,
            },
            _ => self.line_span(number),
        }
    }

    /// The span of the byte range `start..end` of the whole text, cut to the line `start` is on.
    pub fn span_at(&self, start: usize, end: usize) -> Span {
        let start = start.min(self.text.len());
        let index = match self.line_starts.binary_search(&start) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(index).copied().unwrap_or(0);
        let line_len = self.line(index as u32 + 1).len();
        let col = (start - line_start).min(line_len);
        let end_col = (end.max(start) - line_start).min(line_len).max(col);
        Span {
            line: index as u32 + 1,
            start: col as u32,
            end: end_col as u32,
        }
    }

    /// The text of a span (empty when it is out of range).
    pub fn text_of(&self, span: Span) -> &str {
        let line = self.line(span.line);
        line.get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_spans() {
        let source = Source::new("x", "a b\r\n  inspect sip \nlast");
        assert_eq!(source.line_count(), 3);
        assert_eq!(source.line(2), "  inspect sip ");
        assert_eq!(source.line(4), "");
        let span = source.span_of(2, "sip");
        assert_eq!(source.text_of(span), "sip");
        assert_eq!(source.text_of(source.line_span(2)), "inspect sip");
        let at = source.text.find("last").unwrap();
        assert_eq!(
            source.span_at(at, at + 4),
            Span {
                line: 3,
                start: 0,
                end: 4
            }
        );
    }

    #[test]
    fn final_newline_adds_no_line() {
        assert_eq!(Source::new("x", "one\ntwo\n").line_count(), 2);
        assert_eq!(Source::new("x", "").line_count(), 0);
        assert_eq!(Source::new("x", "\n").line_count(), 1);
    }
}
