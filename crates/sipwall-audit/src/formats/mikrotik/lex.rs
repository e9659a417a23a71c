//! RouterOS export text → commands: physical lines joined where a line ends in a backslash
//! (the continuation lines `/export` indents by four spaces), then split into a menu path, a
//! verb and arguments (`key=value`, `!key`, `[ find … ]`, bare item names).
//!
//! Syntax facts (MikroTik manual "Scripting", and the layout of public `/export` files): a
//! backslash escapes the next character inside and outside double quotes, `\` at the end of
//! a line continues the command on the next line, `/a b c` or `/a/b/c` (v7) names a menu, and
//! a menu line on its own changes the current menu while `/menu verb …` runs one command there.

use std::borrow::Cow;

use crate::source::Span;

/// One command as written, possibly over several physical lines.
#[derive(Debug, Clone)]
pub(super) struct Logical {
    /// First and last physical line (1-based).
    pub first: u32,
    pub last: u32,
    /// The joined text, continuation backslashes and indents removed.
    pub text: String,
    segments: Vec<Segment>,
}

/// Where a piece of the joined text sits in the source.
#[derive(Debug, Clone, Copy)]
struct Segment {
    joined: usize,
    len: usize,
    /// The physical line and the column the piece starts at.
    line: u32,
    column: usize,
}

impl Logical {
    fn new(number: u32) -> Logical {
        Logical {
            first: number,
            last: number,
            text: String::new(),
            segments: Vec::new(),
        }
    }

    fn push(&mut self, part: &str, column: usize, number: u32) {
        self.segments.push(Segment {
            joined: self.text.len(),
            len: part.len(),
            line: number,
            column,
        });
        self.text.push_str(part);
        self.last = number;
    }

    /// Drops the continuation backslash at the end of the joined text.
    fn pop_backslash(&mut self) {
        if self.text.ends_with('\\') {
            self.text.pop();
            if let Some(last) = self.segments.last_mut() {
                last.len = last.len.saturating_sub(1);
            }
        }
    }

    fn segment(&self, start: usize) -> Option<&Segment> {
        self.segments
            .iter()
            .rev()
            .find(|s| s.joined <= start)
            .or(self.segments.first())
    }

    /// The span of the joined range `start..end`, cut to the physical line `start` is on
    /// (what `Source::span_at` gives, without searching the line table).
    pub fn span(&self, start: usize, end: usize) -> Span {
        let Some(segment) = self.segment(start) else {
            return Span {
                line: self.first,
                start: 0,
                end: 0,
            };
        };
        let from = start.saturating_sub(segment.joined).min(segment.len);
        let to = end
            .saturating_sub(segment.joined)
            .min(segment.len)
            .max(from);
        Span {
            line: segment.line,
            start: (segment.column + from) as u32,
            end: (segment.column + to) as u32,
        }
    }
}

/// What the previous physical line left open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// It ended in a continuation backslash.
    Backslash,
    /// It ended inside a double-quoted value (seen in hand-edited files): an indented next
    /// line continues it.
    Quote,
}

/// Splits `text` into commands. Line numbers follow [`crate::Source`] (a final newline starts
/// no line; `\r` before `\n` is dropped). One pass, linear in the text.
pub(super) fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut current: Option<Logical> = None;
    let mut pending = Pending::None;
    let mut in_quote = false;
    let mut offset = 0usize;
    let mut number = 0u32;
    for piece in text.split('\n') {
        let start = offset;
        if piece.is_empty() && start == text.len() && (text.is_empty() || text.ends_with('\n')) {
            break;
        }
        offset = offset.saturating_add(piece.len() + 1);
        number = number.saturating_add(1);
        let line = piece.strip_suffix('\r').unwrap_or(piece);
        let join = match pending {
            Pending::Backslash => true,
            Pending::Quote => line.starts_with([' ', '\t']) && !line.trim().is_empty(),
            Pending::None => false,
        };
        let part_start;
        match current.as_mut() {
            Some(cur) if join => {
                if pending == Pending::Quote {
                    cur.text.push('\n');
                }
                // `/export` indents continuation lines by four spaces.
                let strip = line.bytes().take(4).take_while(|b| *b == b' ').count();
                part_start = cur.text.len();
                cur.push(&line[strip..], strip, number);
            }
            _ => {
                if let Some(done) = current.take() {
                    out.push(done);
                }
                let mut cur = Logical::new(number);
                cur.push(line, 0, number);
                part_start = 0;
                in_quote = false;
                current = Some(cur);
            }
        }
        let Some(cur) = current.as_mut() else {
            continue;
        };
        if cur.text.trim_start().starts_with('#') {
            // A comment never continues.
            pending = Pending::None;
        } else {
            let trailing_escape = scan(&cur.text[part_start..], &mut in_quote);
            pending = if trailing_escape {
                cur.pop_backslash();
                Pending::Backslash
            } else if in_quote {
                Pending::Quote
            } else {
                Pending::None
            };
        }
        if pending == Pending::None
            && let Some(done) = current.take()
        {
            out.push(done);
        }
    }
    if let Some(done) = current.take() {
        out.push(done);
    }
    out
}

/// Follows quotes and escapes through `part`; true when it ends in an unescaped backslash.
fn scan(part: &str, in_quote: &mut bool) -> bool {
    let mut escape = false;
    for byte in part.bytes() {
        if escape {
            escape = false;
            continue;
        }
        match byte {
            b'\\' => escape = true,
            b'"' => *in_quote = !*in_quote,
            _ => {}
        }
    }
    escape
}

/// Byte ranges of the whitespace-separated tokens of `text`; quotes, escapes and `[ … ]`
/// keep their spaces. `None` for an unterminated quote or bracket.
pub(super) fn tokens(text: &str) -> Option<Vec<(usize, usize)>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let mut in_quote = false;
        let mut depth = 0usize;
        while i < bytes.len() {
            let byte = bytes[i];
            if byte == b'\\' {
                i += 2;
                continue;
            }
            if in_quote {
                if byte == b'"' {
                    in_quote = false;
                }
            } else {
                match byte {
                    b'"' => in_quote = true,
                    b'[' => depth += 1,
                    b']' => depth = depth.checked_sub(1)?,
                    _ if byte.is_ascii_whitespace() && depth == 0 => break,
                    _ => {}
                }
            }
            i += 1;
        }
        if in_quote || depth != 0 {
            return None;
        }
        let end = i.min(bytes.len());
        out.push((start, end));
    }
    Some(out)
}

/// One argument of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Arg<'a> {
    /// `key=value` (value unquoted and unescaped).
    Pair {
        key: &'a str,
        value: Cow<'a, str>,
        range: (usize, usize),
    },
    /// `!key`: `/export verbose` writes it for a property that is not set.
    Unset { key: &'a str },
    /// `[ … ]`: the text between the brackets.
    Bracket { inner: &'a str },
    /// A bare word: an item name (`sip`), a number, `*1F`.
    Word { text: Cow<'a, str> },
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Command<'a> {
    /// The menu the line names (`Some` when it starts with `/`), lower-case words.
    pub path: Option<Vec<String>>,
    /// Written `/ip/firewall/filter` (v7 syntax) rather than `/ip firewall filter`.
    pub slash_form: bool,
    pub verb: Option<&'a str>,
    pub args: Vec<Arg<'a>>,
}

/// The console commands that act on a menu's items (the rest of a line are arguments).
const VERBS: &[&str] = &[
    "add",
    "set",
    "remove",
    "move",
    "print",
    "export",
    "enable",
    "disable",
    "unset",
    "reset",
    "reset-counters",
    "reset-counters-all",
    "edit",
    "comment",
    "find",
    "get",
    "import",
];

pub(super) fn is_verb(word: &str) -> bool {
    VERBS.contains(&word)
}

fn is_key(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn is_path_word(text: &str) -> bool {
    is_key(text) && text.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Splits a command line. `None` when it is not one (unbalanced quotes or brackets, a first
/// word that is neither a menu nor a verb, arguments after a menu without a verb).
pub(super) fn command(text: &str) -> Option<Command<'_>> {
    let spans = tokens(text)?;
    let word = |i: usize| spans.get(i).map(|&(s, e)| &text[s..e]);
    let index;
    let mut path = None;
    let mut slash_form = false;
    let mut verb = None;
    if let Some(first) = word(0).filter(|w| w.starts_with('/')) {
        let parts: Vec<&str> = first.split('/').filter(|p| !p.is_empty()).collect();
        slash_form = parts.len() > 1;
        let mut words = Vec::new();
        for (n, part) in parts.iter().enumerate() {
            if n + 1 == parts.len() && is_verb(part) {
                verb = Some(*part);
            } else if is_path_word(part) {
                words.push(part.to_ascii_lowercase());
            } else {
                return None;
            }
        }
        let mut next_index = 1;
        while verb.is_none() {
            let Some(next) = word(next_index) else { break };
            if is_verb(next) {
                verb = Some(next);
            } else if is_path_word(next) {
                words.push(next.to_ascii_lowercase());
            } else {
                break;
            }
            next_index += 1;
        }
        index = next_index;
        path = Some(words);
        if verb.is_none() && index < spans.len() {
            return None;
        }
    } else {
        let first = word(0)?;
        if !is_verb(first) {
            return None;
        }
        verb = Some(first);
        index = 1;
    }
    let mut args = Vec::new();
    for &(start, end) in spans.get(index..).unwrap_or(&[]) {
        args.push(arg(&text[start..end], (start, end))?);
    }
    Some(Command {
        path,
        slash_form,
        verb,
        args,
    })
}

fn arg(token: &str, range: (usize, usize)) -> Option<Arg<'_>> {
    if let Some(inner) = token.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        return Some(Arg::Bracket { inner });
    }
    if let Some(key) = token.strip_prefix('!')
        && is_key(key)
    {
        return Some(Arg::Unset { key });
    }
    if let Some((key, raw)) = token.split_once('=')
        && is_key(key)
    {
        return Some(Arg::Pair {
            key,
            value: value(raw)?,
            range,
        });
    }
    Some(Arg::Word {
        text: value(token)?,
    })
}

/// A value as RouterOS reads it: surrounding quotes removed, escapes decoded. `None` for a
/// quote that does not close at the end.
pub(super) fn value(raw: &str) -> Option<Cow<'_, str>> {
    let body = if let Some(rest) = raw.strip_prefix('"') {
        let body = rest.strip_suffix('"')?;
        // The closing quote must not be escaped: an odd run of backslashes before it.
        let run = body.bytes().rev().take_while(|b| *b == b'\\').count();
        if run % 2 == 1 {
            return None;
        }
        body
    } else {
        raw
    };
    if !body.contains('\\') {
        return Some(Cow::Borrowed(body));
    }
    Some(Cow::Owned(unescape(body)))
}

/// Decodes RouterOS escapes: `\"`, `\\`, `\n`, `\r`, `\t`, `\$`, `\?`, `\_` (space), and two
/// hexadecimal digits for a byte.
fn unescape(body: &str) -> String {
    let bytes = body.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte != b'\\' {
            out.push(byte);
            i += 1;
            continue;
        }
        let Some(&next) = bytes.get(i + 1) else {
            i += 1;
            continue;
        };
        let hex = |b: u8| (b as char).to_digit(16);
        if let (Some(high), Some(low)) = (hex(next), bytes.get(i + 2).and_then(|b| hex(*b))) {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(match next {
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'_' => b' ',
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            other => other,
        });
        i += 2;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_are_joined_and_mapped_back() {
        let text = "/ip firewall filter\nadd action=drop chain=input log=\\\n    yes comment=\"a b\\\n    c\"\n# c \\\nadd chain=x\n";
        let lines = logical_lines(text);
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[1].text,
            "add action=drop chain=input log=yes comment=\"a bc\""
        );
        assert_eq!((lines[1].first, lines[1].last), (2, 4));
        assert_eq!(lines[2].text, "# c \\");
        assert_eq!((lines[3].first, lines[3].last), (6, 6));
        // `yes` sits on line 3 after the four-space indent.
        let at = lines[1].text.find("yes").unwrap();
        let source = crate::Source::new("t", text);
        let span = lines[1].span(at, at + 3);
        assert_eq!(span.line, 3);
        assert_eq!(source.text_of(span), "yes");
        let from = text.find("    yes").unwrap() + 4;
        assert_eq!(span, source.span_at(from, from + 3));
    }

    #[test]
    fn escaped_backslash_is_no_continuation_and_crlf_is_dropped() {
        let lines = logical_lines("set note=\"x\\\\\"\r\nset y=1\r\n");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "set note=\"x\\\\\"");
        assert_eq!(lines[1].first, 2);
    }

    #[test]
    fn open_quote_takes_indented_lines_only() {
        let lines = logical_lines("set note=\"one\n    two\"\nset x=1\nset y=\"open\nset z=2");
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].text, "set note=\"one\ntwo\"");
        assert_eq!(lines[2].text, "set y=\"open");
        assert_eq!(lines[3].text, "set z=2");
    }

    #[test]
    fn line_numbers_match_source() {
        for text in ["", "\n", "a", "a\n", "a\n\nb", "a\\\n"] {
            let source = crate::Source::new("x", text);
            let last = logical_lines(text).last().map(|l| l.last).unwrap_or(0);
            assert_eq!(last as usize, source.line_count(), "{text:?}");
        }
    }

    #[test]
    fn commands_split() {
        let c = command("/ip firewall filter").unwrap();
        assert_eq!(
            c.path,
            Some(vec!["ip".into(), "firewall".into(), "filter".into()])
        );
        assert_eq!(c.verb, None);
        let c = command("/ip/firewall/filter/add chain=forward action=accept").unwrap();
        assert!(c.slash_form);
        assert_eq!(c.verb, Some("add"));
        assert_eq!(c.args.len(), 2);
        let c =
            command("/interface wireless security-profiles set [ find default=yes ] a=b").unwrap();
        assert_eq!(c.verb, Some("set"));
        assert_eq!(
            c.args[0],
            Arg::Bracket {
                inner: " find default=yes "
            }
        );
        let c = command("set sip disabled=yes !to-ports comment=\"x \\\"y\\\" \\_z\"").unwrap();
        assert_eq!(
            c.args[0],
            Arg::Word {
                text: Cow::Borrowed("sip")
            }
        );
        assert_eq!(c.args[2], Arg::Unset { key: "to-ports" });
        match &c.args[3] {
            Arg::Pair { key, value, .. } => {
                assert_eq!(*key, "comment");
                assert_eq!(value, "x \"y\"  z");
            }
            other => panic!("{other:?}"),
        }
        assert!(command("chain=forward").is_none());
        assert!(command("add comment=\"open").is_none());
        assert!(command("/ip firewall filter chain=x").is_none());
        assert!(command("-A INPUT -j ACCEPT").is_none());
        let c = command("/tool mac-server ping").unwrap();
        assert_eq!(c.path.unwrap().len(), 3);
    }

    #[test]
    fn hex_escapes_and_broken_values() {
        assert_eq!(value("\"\\41\\42\"").unwrap(), "AB");
        assert_eq!(value("\\$(X)").unwrap(), "$(X)");
        assert!(value("\"abc\\\"").is_none());
        assert_eq!(value("\"\"").unwrap(), "");
        assert_eq!(value("\"\\").map(|v| v.into_owned()), None);
    }
}
