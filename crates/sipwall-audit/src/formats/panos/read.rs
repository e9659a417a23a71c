//! The three PAN-OS export forms read into one shape: statements, each a path of tokens from the
//! configuration root (`deviceconfig setting session timeout-udp 60`), every token with its span.
//! The set form gives one statement per `set` line (which may hold several keys of one rule);
//! the brace form (`show config running`) and the XML form (`xml.rs`) give one statement per
//! leaf, its path made of the enclosing blocks or elements.
//!
//! Statements are handed to a sink as they are read, in one reused buffer, and tokens borrow
//! from the text: a 100 000-line export is read without a heap allocation per line.

use std::borrow::Cow;

use crate::coverage::LineClass;
use crate::source::{Source, Span};

/// Deeper nesting is not read (no PAN-OS hierarchy comes near it); this keeps hostile input from
/// making every statement's path as long as the file.
pub(super) const MAX_DEPTH: usize = 64;

/// Words borrow from the text (XML values with entities are owned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value<'a> {
    Word(Cow<'a, str>),
    /// `[ a b ]`, or XML `<member>` elements.
    List(Vec<Cow<'a, str>>),
}

#[derive(Debug, Clone)]
pub(super) struct Tok<'a> {
    pub value: Value<'a>,
    /// Where the token starts (cut to its first line).
    pub span: Span,
    /// The last line the token covers (a quoted banner or a list can run over several).
    pub last_line: u32,
}

impl Default for Value<'_> {
    fn default() -> Self {
        Value::List(Vec::new())
    }
}

impl<'a> Value<'a> {
    /// The value as a list: a word is a list of one.
    pub fn items(&self) -> &[Cow<'a, str>] {
        match self {
            Value::Word(word) => std::slice::from_ref(word),
            Value::List(items) => items,
        }
    }
}

impl<'a> Tok<'a> {
    pub fn word(&self) -> Option<&str> {
        match &self.value {
            Value::Word(word) => Some(word),
            Value::List(_) => None,
        }
    }

    /// The word, as borrowed from the text as it is.
    pub fn name(&self) -> Option<Cow<'a, str>> {
        match &self.value {
            Value::Word(word) => Some(word.clone()),
            Value::List(_) => None,
        }
    }
}

/// Receives each statement: the line it is on (the `set` line; the leaf's line in the other
/// forms) and its token path, in a buffer the reader reuses.
pub(super) type Sink<'s, 'a> = dyn FnMut(u32, &[Tok<'a>]) + 's;

/// What a reader made of the text besides its statements.
#[derive(Debug, Default)]
pub(super) struct Read {
    /// Lines the reader classified itself: comments (blank), CLI prompts and echoes (ignored).
    pub marks: Vec<(u32, LineClass)>,
    /// The software version the text states (`sw-version: 10.2.4`, XML `version=`), with its span.
    pub version: Option<(String, Span)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `set` lines: only `[ ]` and quotes are special; a statement ends at the end of its line.
    Set,
    /// `show config running`: `{ } ; [ ]` and quotes are special; line ends are not.
    Brace,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lex<'a> {
    Word(&'a str),
    Open,
    Close,
    Semi,
    ListOpen,
    ListClose,
    Eol,
}

#[derive(Debug, Clone)]
struct Lexeme<'a> {
    lex: Lex<'a>,
    line: u32,
    col: u32,
    end_line: u32,
    end_col: u32,
}

/// A single pass over the text: words, quoted strings (which may span lines), punctuation and
/// line ends, with byte columns. `#` starts a comment only as the first thing on a line.
struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    mode: Mode,
    pos: usize,
    line: u32,
    line_start: usize,
    at_line_start: bool,
    comments: Vec<u32>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str, mode: Mode) -> Self {
        Lexer {
            text,
            bytes: text.as_bytes(),
            mode,
            pos: 0,
            line: 1,
            line_start: 0,
            at_line_start: true,
            comments: Vec::new(),
        }
    }

    fn col(&self, pos: usize) -> u32 {
        u32::try_from(pos.saturating_sub(self.line_start)).unwrap_or(u32::MAX)
    }

    fn single(&mut self, lex: Lex<'a>) -> Lexeme<'a> {
        let (line, col) = (self.line, self.col(self.pos));
        self.pos += 1;
        self.at_line_start = false;
        Lexeme {
            lex,
            line,
            col,
            end_line: line,
            end_col: col.saturating_add(1),
        }
    }

    fn is_delimiter(&self, byte: u8) -> bool {
        byte.is_ascii_whitespace()
            || byte == b'['
            || byte == b']'
            || (self.mode == Mode::Brace && matches!(byte, b'{' | b'}' | b';'))
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Lexeme<'a>;

    fn next(&mut self) -> Option<Lexeme<'a>> {
        loop {
            let byte = *self.bytes.get(self.pos)?;
            match byte {
                b'\n' => {
                    let lexeme = Lexeme {
                        lex: Lex::Eol,
                        line: self.line,
                        col: self.col(self.pos),
                        end_line: self.line,
                        end_col: self.col(self.pos),
                    };
                    self.pos += 1;
                    self.line = self.line.saturating_add(1);
                    self.line_start = self.pos;
                    self.at_line_start = true;
                    return Some(lexeme);
                }
                b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => self.pos += 1,
                b'#' if self.at_line_start => {
                    self.comments.push(self.line);
                    let rest = self.text.get(self.pos..).unwrap_or("");
                    self.pos += rest.find('\n').unwrap_or(rest.len());
                }
                b'[' => return Some(self.single(Lex::ListOpen)),
                b']' => return Some(self.single(Lex::ListClose)),
                b'{' if self.mode == Mode::Brace => return Some(self.single(Lex::Open)),
                b'}' if self.mode == Mode::Brace => return Some(self.single(Lex::Close)),
                b';' if self.mode == Mode::Brace => return Some(self.single(Lex::Semi)),
                b'"' => {
                    self.at_line_start = false;
                    let (line, col) = (self.line, self.col(self.pos));
                    let body_start = self.pos + 1;
                    let text = self.text;
                    let rest = text.get(body_start..).unwrap_or("");
                    let body_len = rest.find('"').unwrap_or(rest.len());
                    let body = rest.get(..body_len).unwrap_or("");
                    // A quoted value may run over several lines (login banners).
                    for (offset, _) in body.match_indices('\n') {
                        self.line = self.line.saturating_add(1);
                        self.line_start = body_start + offset + 1;
                    }
                    self.pos = (body_start + body_len + 1).min(self.bytes.len());
                    return Some(Lexeme {
                        lex: Lex::Word(body),
                        line,
                        col,
                        end_line: self.line,
                        end_col: self.col(self.pos),
                    });
                }
                _ => {
                    self.at_line_start = false;
                    let start = self.pos;
                    while let Some(&b) = self.bytes.get(self.pos) {
                        if self.is_delimiter(b) {
                            break;
                        }
                        self.pos += 1;
                    }
                    // Delimiters are ASCII, so `start..pos` falls on character boundaries.
                    let text = self.text;
                    let word = text.get(start..self.pos).unwrap_or("");
                    return Some(Lexeme {
                        lex: Lex::Word(word),
                        line: self.line,
                        col: self.col(start),
                        end_line: self.line,
                        end_col: self.col(self.pos),
                    });
                }
            }
        }
    }
}

/// A list being collected between `[` and `]`.
struct ListAcc<'a> {
    items: Vec<Cow<'a, str>>,
    span: Span,
}

fn word_tok<'a>(word: &'a str, lexeme: &Lexeme) -> Tok<'a> {
    let end = if lexeme.end_line == lexeme.line {
        lexeme.end_col
    } else {
        u32::MAX
    };
    Tok {
        value: Value::Word(Cow::Borrowed(word)),
        span: Span {
            line: lexeme.line,
            start: lexeme.col,
            end: end.max(lexeme.col),
        },
        last_line: lexeme.end_line,
    }
}

fn list_tok<'a>(list: ListAcc<'a>, close: &Lexeme) -> Tok<'a> {
    let end = if close.line == list.span.line {
        close.end_col
    } else {
        u32::MAX
    };
    Tok {
        value: Value::List(list.items),
        span: Span {
            end: end.max(list.span.start),
            ..list.span
        },
        last_line: close.line,
    }
}

/// Clamps spans that were left open to the end of their line (`u32::MAX` above).
fn clamp(source: &Source, toks: &mut [Tok<'_>]) {
    for tok in toks {
        if tok.span.end == u32::MAX {
            let len = u32::try_from(source.line(tok.span.line).len()).unwrap_or(u32::MAX);
            tok.span.end = len.max(tok.span.start.min(len));
            tok.span.start = tok.span.start.min(len);
        }
    }
}

/// Hands the set statement being read to the sink (a `[` left open closes at the end of its
/// line).
fn finish_set<'a>(
    source: &Source,
    current: &mut Option<u32>,
    toks: &mut Vec<Tok<'a>>,
    list: &mut Option<ListAcc<'a>>,
    sink: &mut Sink<'_, 'a>,
) {
    if let Some(line) = current.take() {
        if let Some(open) = list.take() {
            let close = Lexeme {
                lex: Lex::ListClose,
                line: open.span.line,
                col: u32::MAX,
                end_line: open.span.line,
                end_col: u32::MAX,
            };
            toks.push(list_tok(open, &close));
        }
        clamp(source, toks);
        sink(line, toks);
    }
    toks.clear();
    *list = None;
}

/// The set form: `set …` lines; `[ a b ]` lists and quoted values (which may span lines).
pub(super) fn read_set<'a>(source: &'a Source, sink: &mut Sink<'_, 'a>) -> Read {
    let mut lexer = Lexer::new(&source.text, Mode::Set);
    let mut out = Read::default();
    let mut current: Option<u32> = None;
    let mut toks: Vec<Tok<'a>> = Vec::new();
    let mut list: Option<ListAcc> = None;
    let mut first_on_line = true;
    for lexeme in lexer.by_ref() {
        if lexeme.lex == Lex::Eol {
            finish_set(source, &mut current, &mut toks, &mut list, sink);
            first_on_line = true;
            continue;
        }
        if first_on_line {
            first_on_line = false;
            if lexeme.lex == Lex::Word("set") {
                current = Some(lexeme.line);
                continue;
            }
            other_line(source, lexeme.line, &mut out);
            continue;
        }
        if current.is_none() {
            continue;
        }
        match lexeme.lex {
            Lex::Word(word) => match list.as_mut() {
                Some(open) => open.items.push(Cow::Borrowed(word)),
                None => toks.push(word_tok(word, &lexeme)),
            },
            Lex::ListOpen if list.is_none() => {
                list = Some(ListAcc {
                    items: Vec::new(),
                    span: Span {
                        line: lexeme.line,
                        start: lexeme.col,
                        end: lexeme.end_col,
                    },
                });
            }
            Lex::ListClose => {
                if let Some(open) = list.take() {
                    toks.push(list_tok(open, &lexeme));
                }
            }
            _ => {}
        }
    }
    finish_set(source, &mut current, &mut toks, &mut list, sink);
    out.marks
        .extend(lexer.comments.iter().map(|&line| (line, LineClass::Blank)));
    out
}

/// A line of a set-form paste that is not a `set` command: CLI prompts and echoes are ignored,
/// `sw-version:` (from `show system info`) states the version; anything else stays unknown.
fn other_line(source: &Source, number: u32, out: &mut Read) {
    let text = source.line(number).trim();
    if let Some(version) = text.strip_prefix("sw-version:") {
        let version = version.trim();
        if !version.is_empty() && out.version.is_none() {
            out.version = Some((version.to_string(), source.span_of(number, version)));
            out.marks.push((number, LineClass::Understood));
        }
        return;
    }
    // `admin@PA-VM# show`, `admin@PA-VM> configure`
    let first = text.split_whitespace().next().unwrap_or("");
    let prompt = first.contains('@') && (first.ends_with('#') || first.ends_with('>'));
    let noise = [
        "[edit]",
        "configure",
        "Entering configuration mode",
        "exit",
        "quit",
        "commit",
        "show",
    ];
    // Other `show system info` lines pasted with the configuration: `model: PA-850`.
    let system_info = text.split_once(": ").is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    if prompt || system_info || noise.iter().any(|n| text == *n || text.starts_with(n)) {
        out.marks.push((number, LineClass::Ignored));
    }
}

/// The brace form of `show config running`: `name { … }` blocks, `key value;` leaves, `[ a b ]`
/// lists, `#` comment lines.
/// A `{` block of the brace form being read.
struct Frame {
    /// The path length before the block's words were added.
    base: usize,
    had_child: bool,
    /// Nested beyond `MAX_DEPTH`: nothing inside is read.
    deep: bool,
}

/// Hands the pending words of the brace form to the sink as a statement under `path`.
fn emit<'a>(
    source: &Source,
    path: &mut Vec<Tok<'a>>,
    pending: &mut Vec<Tok<'a>>,
    frames: &mut [Frame],
    sink: &mut Sink<'_, 'a>,
) {
    if pending.is_empty() {
        return;
    }
    if let Some(frame) = frames.last_mut() {
        frame.had_child = true;
    }
    if frames.last().is_some_and(|f| f.deep) {
        pending.clear();
        return;
    }
    let line = pending.last().map(|t| t.span.line).unwrap_or(0);
    let base = path.len();
    path.append(pending);
    if let Some(added) = path.get_mut(base..) {
        clamp(source, added);
    }
    sink(line, path);
    path.truncate(base);
}

pub(super) fn read_brace<'a>(source: &'a Source, sink: &mut Sink<'_, 'a>) -> Read {
    let mut lexer = Lexer::new(&source.text, Mode::Brace);
    let mut out = Read::default();
    let mut path: Vec<Tok<'a>> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut pending: Vec<Tok<'a>> = Vec::new();
    let mut list: Option<ListAcc> = None;
    for lexeme in lexer.by_ref() {
        match lexeme.lex {
            Lex::Word(word) => match list.as_mut() {
                Some(open) => open.items.push(Cow::Borrowed(word)),
                None => pending.push(word_tok(word, &lexeme)),
            },
            Lex::ListOpen if list.is_none() => {
                list = Some(ListAcc {
                    items: Vec::new(),
                    span: Span {
                        line: lexeme.line,
                        start: lexeme.col,
                        end: lexeme.end_col,
                    },
                });
            }
            Lex::ListClose => {
                if let Some(open) = list.take() {
                    pending.push(list_tok(open, &lexeme));
                }
            }
            Lex::Open => {
                if let Some(frame) = frames.last_mut() {
                    frame.had_child = true;
                }
                let deep = frames.len() >= MAX_DEPTH || frames.last().is_some_and(|f| f.deep);
                let base = path.len();
                if deep {
                    pending.clear();
                } else {
                    clamp(source, &mut pending);
                    path.append(&mut pending);
                }
                frames.push(Frame {
                    base,
                    had_child: false,
                    deep,
                });
            }
            Lex::Semi => emit(source, &mut path, &mut pending, &mut frames, sink),
            Lex::Close => {
                emit(source, &mut path, &mut pending, &mut frames, sink);
                if let Some(frame) = frames.pop() {
                    // An empty block (`panorama { }`) is a statement of its own.
                    if !frame.had_child && !frame.deep && path.len() > frame.base {
                        let line = path.last().map(|t| t.span.line).unwrap_or(0);
                        sink(line, &path);
                    }
                    path.truncate(frame.base);
                }
            }
            _ => {}
        }
    }
    // A truncated export: what was read so far still counts.
    if let Some(open) = list.take() {
        let close = Lexeme {
            lex: Lex::ListClose,
            line: open.span.line,
            col: u32::MAX,
            end_line: open.span.line,
            end_col: u32::MAX,
        };
        pending.push(list_tok(open, &close));
    }
    emit(source, &mut path, &mut pending, &mut frames, sink);
    for &line in &lexer.comments {
        out.marks.push((line, LineClass::Blank));
        if out.version.is_none() {
            // `# PAN-OS 10.2.4` style headers are not standard; only `sw-version:` is read.
            let text = source.line(line);
            if let Some(at) = text.find("sw-version:") {
                let version = text.get(at + "sw-version:".len()..).unwrap_or("").trim();
                if !version.is_empty() {
                    out.version = Some((version.to_string(), source.span_of(line, version)));
                }
            }
        }
    }
    for (number, text) in source.lines() {
        let trimmed = text.trim();
        if !trimmed.is_empty() && trimmed.chars().all(|c| "{};[] \t".contains(c)) {
            out.marks.push((number, LineClass::Blank));
        }
        if let Some(version) = trimmed.strip_prefix("sw-version:") {
            let version = version.trim();
            if !version.is_empty() && out.version.is_none() {
                out.version = Some((version.to_string(), source.span_of(number, version)));
                out.marks.push((number, LineClass::Understood));
            }
        }
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A statement as the tests see it: line, words (`[a b]` for lists), tokens.
    pub(crate) type Owned = (u32, Vec<String>, Vec<Tok<'static>>);

    fn owned(tok: &Tok<'_>) -> Tok<'static> {
        let value = match &tok.value {
            Value::Word(w) => Value::Word(Cow::Owned(w.to_string())),
            Value::List(items) => {
                Value::List(items.iter().map(|i| Cow::Owned(i.to_string())).collect())
            }
        };
        Tok {
            value,
            span: tok.span,
            last_line: tok.last_line,
        }
    }

    /// Runs a reader and keeps copies of its statements.
    pub(crate) fn statements<'a>(
        read: impl FnOnce(&mut Sink<'_, 'a>) -> Read,
    ) -> (Vec<Owned>, Read) {
        let mut out = Vec::new();
        let mut sink = |line: u32, toks: &[Tok<'a>]| {
            let words = toks
                .iter()
                .map(|t| match &t.value {
                    Value::Word(w) => w.to_string(),
                    Value::List(items) => format!("[{}]", items.join(" ")),
                })
                .collect();
            out.push((line, words, toks.iter().map(owned).collect()));
        };
        let read = read(&mut sink);
        (out, read)
    }

    #[test]
    fn set_lines_lists_and_multiline_quotes() {
        let text = "set deviceconfig system hostname fw1\n\
                    # a comment\n\
                    set deviceconfig system login-banner \"\nline two\n\"\n\
                    set rulebase security rules \"my rule\" from [ trust dmz] to untrust\n\
                    admin@PA-VM# show\n";
        let source = Source::new("t", text);
        let (stmts, read) = statements(|sink| read_set(&source, sink));
        assert_eq!(stmts.len(), 3);
        assert_eq!(stmts[0].1, ["deviceconfig", "system", "hostname", "fw1"]);
        let banner = &stmts[1].2[3];
        assert_eq!(banner.span.line, 3);
        assert_eq!(banner.last_line, 5);
        assert_eq!(
            stmts[2].1,
            [
                "rulebase",
                "security",
                "rules",
                "my rule",
                "from",
                "[trust dmz]",
                "to",
                "untrust"
            ]
        );
        let name = &stmts[2].2[3];
        assert_eq!(source.text_of(name.span), "\"my rule\"");
        assert!(read.marks.contains(&(2, LineClass::Blank)));
        assert!(read.marks.contains(&(7, LineClass::Ignored)));
    }

    #[test]
    fn brace_blocks_leaves_and_empty_blocks() {
        let text = "config {\n  panorama {\n  }\n  devices {\n    localhost.localdomain {\n      \
                    vsys {\n        vsys1 {\n          zone {\n            trust {\n              \
                    network {\n                layer3 [ ethernet1/2 ethernet1/3];\n              }\n            \
                    }\n          }\n        }\n      }\n    }\n  }\n}\n";
        let source = Source::new("t", text);
        let (stmts, read) = statements(|sink| read_brace(&source, sink));
        assert_eq!(stmts[0].1, ["config", "panorama"]);
        assert_eq!(
            stmts[1].1,
            [
                "config",
                "devices",
                "localhost.localdomain",
                "vsys",
                "vsys1",
                "zone",
                "trust",
                "network",
                "layer3",
                "[ethernet1/2 ethernet1/3]"
            ]
        );
        assert_eq!(stmts[1].0, 11);
        assert!(read.marks.contains(&(3, LineClass::Blank)));
    }

    #[test]
    fn hostile_nesting_is_bounded() {
        let text = "a {\n".repeat(500) + "x y;\n" + &"}\n".repeat(500);
        let source = Source::new("t", text);
        let (stmts, _) = statements(|sink| read_brace(&source, sink));
        assert!(stmts.iter().all(|s| s.2.len() <= MAX_DEPTH + 2));
    }
}
