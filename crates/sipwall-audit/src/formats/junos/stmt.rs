//! The common shape both Junos forms are read into: one statement per `set` line (or per leaf
//! of the curly-brace tree), as the full path of words from the top of the hierarchy, with the
//! byte range of every word so facts can point at the text.

use std::borrow::Cow;

use crate::coverage::LineClass;

/// One word of a statement and where it is in the source (byte offsets of the whole text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'a> {
    pub text: Cow<'a, str>,
    pub start: usize,
    pub end: usize,
}

/// One configuration statement: `security alg sip disable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt<'a> {
    pub words: Vec<Word<'a>>,
    /// Deactivated (`inactive:` / `deactivate …`): part of the text, not of the running
    /// configuration.
    pub inactive: bool,
    /// First and last line of the statement (1-based).
    pub line: u32,
    pub last_line: u32,
    /// Byte range of the statement's own text (from its first word to its last word or `;`;
    /// without a CLI prompt before it); `start == end` when unknown.
    pub start: usize,
    pub end: usize,
}

impl Stmt<'_> {
    /// Word `i`, or "" past the end.
    pub fn word(&self, i: usize) -> &str {
        self.words.get(i).map_or("", |w| w.text.as_ref())
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// The texts of words `from..`.
    pub fn tail(&self, from: usize) -> Vec<&str> {
        self.words
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .map(|w| w.text.as_ref())
            .collect()
    }
}

/// An opening line of the curly-brace form (`security {`): its class comes from the
/// statements inside it, `stmts` (indices into the statement list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub line: u32,
    pub first: usize,
    pub end: usize,
}

/// A form reader's output: the statements, the block openings, and lines it classified itself
/// (comments, CLI commands, prompts, …). Lines in none of them are blank when they hold no word
/// and unknown otherwise.
#[derive(Debug, Default)]
pub struct Read<'a> {
    pub stmts: Vec<Stmt<'a>>,
    pub containers: Vec<Container>,
    pub fixed: Vec<(u32, LineClass)>,
    /// Lines that hold at least one word of configuration text.
    pub wordy: Vec<bool>,
}

impl Read<'_> {
    pub fn with_lines(count: usize) -> Self {
        Read {
            wordy: vec![false; count + 2],
            ..Read::default()
        }
    }

    pub fn set_wordy(&mut self, line: u32) {
        if let Some(slot) = self.wordy.get_mut(line as usize) {
            *slot = true;
        }
    }
}

/// `(line number, byte offset, text without the line ending)` for every line of `text`, as
/// `Source` numbers them.
pub fn lines(text: &str) -> impl Iterator<Item = (u32, usize, &str)> {
    let mut offset = 0usize;
    text.split_inclusive('\n').enumerate().map(move |(i, raw)| {
        let at = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        ((i as u32).saturating_add(1), at, line)
    })
}

/// CLI output around a pasted configuration: `{master:0}` cluster banners, `[edit …]`
/// context lines, `user@host> show configuration` prompts and CLI messages. `Some(class)` for
/// such a line.
pub fn cli_noise(line: &str) -> Option<LineClass> {
    let t = line.trim();
    if t.starts_with('{') && t.ends_with('}') && t.contains(':') && !t.contains(' ') {
        return Some(LineClass::Blank);
    }
    if t == "[edit]" || (t.starts_with("[edit ") && t.ends_with(']')) {
        return Some(LineClass::Blank);
    }
    if prompt_len(t).is_some() {
        return Some(LineClass::Ignored);
    }
    const MESSAGES: &[&str] = &[
        "commit complete",
        "Entering configuration mode",
        "Exiting configuration mode",
        "configuration check succeeds",
        "load complete",
    ];
    if MESSAGES.contains(&t) {
        return Some(LineClass::Ignored);
    }
    None
}

/// The length of a CLI prompt at the start of `t` (`user@host> `, `user@host# `), if any.
pub fn prompt_len(t: &str) -> Option<usize> {
    let at = t.find('@')?;
    let user = &t[..at];
    if user.is_empty()
        || !user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return None;
    }
    let rest = &t[at + 1..];
    let end = rest.find(['>', '#', '%'])?;
    let host = &rest[..end];
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-:".contains(&b))
    {
        return None;
    }
    let after = at + 1 + end + 1;
    match t.as_bytes().get(after) {
        None | Some(b' ') => Some(after),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_match_source_numbering() {
        let got: Vec<(u32, usize, &str)> = lines("a\r\nbc\n\nd").collect();
        assert_eq!(
            got,
            vec![(1, 0, "a"), (2, 3, "bc"), (3, 6, ""), (4, 7, "d")]
        );
        assert_eq!(lines("x\n").count(), 1);
    }

    #[test]
    fn noise_lines() {
        assert_eq!(cli_noise("{master:0}"), Some(LineClass::Blank));
        assert_eq!(cli_noise("[edit security]"), Some(LineClass::Blank));
        assert_eq!(
            cli_noise("admin@srx-1> show configuration | display set"),
            Some(LineClass::Ignored)
        );
        assert_eq!(prompt_len("root@fw# set a b"), Some(8));
        assert_eq!(cli_noise("set security alg sip disable"), None);
        assert_eq!(cli_noise("x@y#z"), None);
    }
}
