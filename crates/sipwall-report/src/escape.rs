//! HTML escaping: the one way text reaches the page.

use std::fmt;

/// `text` made safe for HTML: for element content and for attribute values in double or
/// single quotes. `& < > " '` become character references; control characters other than
/// tab and line feed (which no legitimate report text carries, and which some parsers
/// treat oddly) become U+FFFD.
pub fn escape(text: &str) -> String {
    Escaped(text).to_string()
}

/// Escapes `text` as it is formatted (`write!(out, "<td>{}</td>", Escaped(s))`), without an
/// intermediate string.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let mut start = 0;
        for (i, c) in text.char_indices() {
            let replacement = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '\t' | '\n' => continue,
                c if c.is_control() => "\u{FFFD}",
                _ => continue,
            };
            f.write_str(&text[start..i])?;
            f.write_str(replacement)?;
            start = i + c.len_utf8();
        }
        f.write_str(&text[start..])
    }
}
