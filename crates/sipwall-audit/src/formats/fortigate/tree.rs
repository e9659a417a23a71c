//! The FortiOS CLI configuration as a tree: `config <path>` … `end` blocks, `edit <name>` …
//! `next` entries inside them, and statements (`set`, `unset`, `append`, `select`,
//! `unselect`, `delete`, `move`, …), each with the lines it came from.
//!
//! Syntax facts (FortiOS CLI reference, "CLI basics" / `show` output): words are separated by
//! blanks; values may be quoted with `"` or `'`, a backslash escapes the next character inside
//! quotes, and a quoted value may span lines (certificates, replacement-message buffers);
//! `#` starts a comment line; `end` closes the innermost `config` (and an `edit` still open
//! inside it), `next` closes an `edit`.
//!
//! Built with an explicit stack in one pass (no recursion); nesting deeper than [`MAX_DEPTH`]
//! is not built, its lines are reported as stray. Words borrow the text unless escapes had to be
//! removed.

use std::borrow::Cow;

/// Deepest `config`/`edit` nesting that is built into the tree (real exports stay below 12).
pub(super) const MAX_DEPTH: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Config,
    Edit,
}

/// The verb of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    Set,
    Unset,
    Append,
    Select,
    Unselect,
    Delete,
    Purge,
    Move,
    /// Any other word (`rename`, `clone`, `get`, `show`, garbage …).
    Other,
}

impl Verb {
    fn from_word(word: &str) -> Verb {
        match word {
            "set" => Verb::Set,
            "unset" => Verb::Unset,
            "append" => Verb::Append,
            "select" => Verb::Select,
            "unselect" => Verb::Unselect,
            "delete" => Verb::Delete,
            "purge" => Verb::Purge,
            "move" => Verb::Move,
            _ => Verb::Other,
        }
    }
}

/// One word: borrowed from the text unless quotes were joined or escapes removed.
pub(super) type Word<'a> = Cow<'a, str>;

/// One statement: the verb, its arguments (for `set`: key then values) and its lines.
#[derive(Debug, Clone)]
pub(super) struct Stmt<'a> {
    pub verb: Verb,
    /// The words after the verb, unquoted.
    pub args: Vec<Word<'a>>,
    pub line: u32,
    /// Last line of the statement (a quoted value may span several).
    pub last_line: u32,
}

impl<'a> Stmt<'a> {
    /// The key of a `set`-like statement (first argument), `""` when none.
    pub fn key(&self) -> &str {
        self.args.first().map(|a| a.as_ref()).unwrap_or("")
    }

    /// The values of a `set`-like statement (the arguments after the key).
    pub fn values(&self) -> &[Word<'a>] {
        self.args.get(1..).unwrap_or(&[])
    }
}

#[derive(Debug, Clone)]
pub(super) enum Item<'a> {
    Stmt(Stmt<'a>),
    /// Index of a child node in [`Tree::nodes`].
    Child(usize),
}

/// A `config` block or an `edit` entry.
#[derive(Debug, Clone)]
pub(super) struct Node<'a> {
    pub kind: Kind,
    /// `config`: the path words (`["firewall", "policy"]`); `edit`: the entry name (one word).
    pub words: Vec<Word<'a>>,
    pub line: u32,
    /// The `end` (config) or `next` (edit) line; `None` when closed implicitly or never.
    pub close_line: Option<u32>,
    /// Last line that belongs to the node (its close line, or the last line read inside it).
    pub last_line: u32,
    pub items: Vec<Item<'a>>,
}

impl<'a> Node<'a> {
    /// The entry name of an `edit` node (empty for a config).
    pub fn name(&self) -> &str {
        self.words.first().map(|w| w.as_ref()).unwrap_or("")
    }

    /// The config path joined with single spaces (`"firewall policy"`).
    pub fn path(&self) -> String {
        self.words.join(" ")
    }

    pub fn stmts(&self) -> impl Iterator<Item = &Stmt<'a>> {
        self.items.iter().filter_map(|item| match item {
            Item::Stmt(stmt) => Some(stmt),
            Item::Child(_) => None,
        })
    }

    pub fn children(&self) -> impl Iterator<Item = usize> + '_ {
        self.items.iter().filter_map(|item| match item {
            Item::Child(child) => Some(*child),
            Item::Stmt(_) => None,
        })
    }
}

/// What a line outside the tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Loose {
    /// `#…` comment line (first line number only; comments are one line).
    Comment,
    /// A statement outside any `config` block, an unmatched `end`/`next`, or a block nested
    /// deeper than [`MAX_DEPTH`].
    Stray,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Tree<'a> {
    pub nodes: Vec<Node<'a>>,
    /// Top-level nodes in order.
    pub roots: Vec<usize>,
    /// Lines (first..=last) that are not part of a node: comments and strays.
    pub loose: Vec<(u32, u32, Loose)>,
    /// Statements outside any block (`show …`, status lines, garbage), with their lines.
    pub top_stmts: Vec<Stmt<'a>>,
}

impl<'a> Tree<'a> {
    pub fn node(&self, index: usize) -> &Node<'a> {
        &self.nodes[index]
    }

    /// The child configs of a node (`config sip` under a VoIP profile entry).
    pub fn child_configs<'b>(
        &'b self,
        node: &'b Node<'a>,
    ) -> impl Iterator<Item = &'b Node<'a>> + 'b {
        node.children()
            .map(|c| &self.nodes[c])
            .filter(|c| c.kind == Kind::Config)
    }

    /// The `edit` entries of a config node, in order.
    pub fn entries<'b>(&'b self, node: &'b Node<'a>) -> impl Iterator<Item = &'b Node<'a>> + 'b {
        node.children()
            .map(|c| &self.nodes[c])
            .filter(|c| c.kind == Kind::Edit)
    }
}

/// One logical statement: its words and its first and last line.
struct Words<'a> {
    words: Vec<Word<'a>>,
    first: u32,
    last: u32,
}

/// Splits the text into logical statements (a quoted value may continue over newlines).
struct Lexer<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Lexer<'a> {
        Lexer {
            bytes: text.as_bytes(),
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The next statement, or a comment (`Err(line)`), or `None` at the end.
    fn next_statement(&mut self) -> Option<Result<Words<'a>, u32>> {
        loop {
            // Skip blanks and empty lines.
            while let Some(&b) = self.bytes.get(self.pos) {
                match b {
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    b'\n' => {
                        self.pos += 1;
                        self.line = self.line.saturating_add(1);
                    }
                    _ => break,
                }
            }
            let &first = self.bytes.get(self.pos)?;
            if first == b'#' {
                let line = self.line;
                self.skip_to_line_end();
                return Some(Err(line));
            }
            let start_line = self.line;
            let mut words = Vec::new();
            let mut current: Option<Word<'a>> = None;
            // Reads words up to the end of the logical line.
            while let Some(&b) = self.bytes.get(self.pos) {
                match b {
                    b'\n' => break,
                    b' ' | b'\t' | b'\r' => {
                        if let Some(word) = current.take() {
                            words.push(word);
                        }
                        self.pos += 1;
                    }
                    b'"' | b'\'' => {
                        self.pos += 1;
                        self.quoted(b, &mut current);
                    }
                    _ => {
                        // The run of plain bytes at once (keeps UTF-8 intact).
                        let start = self.pos;
                        while let Some(&c) = self.bytes.get(self.pos) {
                            if matches!(c, b'\n' | b' ' | b'\t' | b'\r' | b'"' | b'\'') {
                                break;
                            }
                            self.pos += 1;
                        }
                        push_piece(&mut current, self.text.get(start..self.pos).unwrap_or(""));
                    }
                }
            }
            if let Some(word) = current {
                words.push(word);
            }
            let last = self.line;
            if words.is_empty() {
                continue;
            }
            return Some(Ok(Words {
                words,
                first: start_line,
                last,
            }));
        }
    }

    /// Reads a quoted value after its opening quote, up to the closing one (or the end).
    fn quoted(&mut self, quote: u8, out: &mut Option<Word<'a>>) {
        // An empty quoted value is still a word (`set comments ''`).
        push_piece(out, "");
        let mut run_start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == quote {
                push_piece(out, self.text.get(run_start..self.pos).unwrap_or(""));
                self.pos += 1;
                return;
            }
            if b == b'\\' {
                push_piece(out, self.text.get(run_start..self.pos).unwrap_or(""));
                self.pos += 1;
                // The escaped character is kept as is (it may be a multi-byte one).
                let rest = self.text.get(self.pos..).unwrap_or("");
                if let Some(c) = rest.chars().next() {
                    if c == '\n' {
                        self.line = self.line.saturating_add(1);
                    }
                    let mut owned = out.take().map(Cow::into_owned).unwrap_or_default();
                    owned.push(c);
                    *out = Some(Cow::Owned(owned));
                    self.pos += c.len_utf8();
                }
                run_start = self.pos;
                continue;
            }
            if b == b'\n' {
                self.line = self.line.saturating_add(1);
            }
            self.pos += 1;
        }
        // Unclosed quote: the value runs to the end of the text.
        push_piece(out, self.text.get(run_start..self.pos).unwrap_or(""));
    }

    fn skip_to_line_end(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }
}

/// Appends a piece of text to the word being read: borrowed while it is one piece, owned once
/// pieces are joined (`a"b c"` is one word).
fn push_piece<'a>(word: &mut Option<Word<'a>>, piece: &'a str) {
    *word = Some(match word.take() {
        None => Cow::Borrowed(piece),
        Some(Cow::Borrowed("")) => Cow::Borrowed(piece),
        Some(existing) if piece.is_empty() => existing,
        Some(existing) => {
            let mut owned = existing.into_owned();
            owned.push_str(piece);
            Cow::Owned(owned)
        }
    });
}

/// A frame of the open-block stack: the node index, or `None` for a block too deep to build.
#[derive(Clone, Copy)]
struct Frame {
    kind: Kind,
    node: Option<usize>,
}

/// Reads the whole text into a tree.
pub(super) fn read(text: &str) -> Tree<'_> {
    let mut tree = Tree::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut lexer = Lexer::new(text);
    while let Some(next) = lexer.next_statement() {
        let words = match next {
            Ok(words) => words,
            Err(line) => {
                tree.loose.push((line, line, Loose::Comment));
                continue;
            }
        };
        let Words {
            mut words,
            first,
            last,
        } = words;
        let head = words.remove(0);
        match head.as_ref() {
            "config" if !words.is_empty() => {
                open(&mut tree, &mut stack, Kind::Config, words, first)
            }
            "edit" if words.len() == 1 && stack.last().is_some_and(|f| f.kind == Kind::Config) => {
                open(&mut tree, &mut stack, Kind::Edit, words, first)
            }
            "end" if words.is_empty() => {
                if !close(&mut tree, &mut stack, Kind::Config, first) {
                    tree.loose.push((first, last, Loose::Stray));
                }
            }
            "next" if words.is_empty() => {
                if !close(&mut tree, &mut stack, Kind::Edit, first) {
                    tree.loose.push((first, last, Loose::Stray));
                }
            }
            _ => {
                let stmt = Stmt {
                    verb: Verb::from_word(&head),
                    args: words,
                    line: first,
                    last_line: last,
                };
                match stack.last() {
                    Some(Frame {
                        node: Some(index), ..
                    }) => {
                        let node = &mut tree.nodes[*index];
                        node.last_line = last;
                        node.items.push(Item::Stmt(stmt));
                    }
                    Some(Frame { node: None, .. }) => {
                        tree.loose.push((first, last, Loose::Stray));
                    }
                    None => {
                        // Keep the verb word for the caller (status lines, prompts …).
                        let mut args = vec![head];
                        args.extend(stmt.args);
                        tree.top_stmts.push(Stmt {
                            verb: Verb::Other,
                            args,
                            line: first,
                            last_line: last,
                        });
                    }
                }
            }
        }
        // Every line read inside an open node extends it (and its ancestors).
        extend_open(&mut tree, &stack, last);
    }
    // Blocks left open at the end (a truncated export) contain what was read inside them.
    let mut inner_last = 0;
    for frame in stack.iter().rev() {
        if let Some(index) = frame.node {
            let node = &mut tree.nodes[index];
            node.last_line = node.last_line.max(inner_last);
            inner_last = node.last_line;
        }
    }
    tree
}

/// Sets `last_line` of every open node to at least `line`.
fn extend_open(tree: &mut Tree<'_>, stack: &[Frame], line: u32) {
    // Only the innermost built node needs updating here; ancestors are updated on close.
    if let Some(index) = stack.iter().rev().find_map(|f| f.node) {
        let node = &mut tree.nodes[index];
        node.last_line = node.last_line.max(line);
    }
}

fn open<'a>(
    tree: &mut Tree<'a>,
    stack: &mut Vec<Frame>,
    kind: Kind,
    words: Vec<Word<'a>>,
    line: u32,
) {
    let deep = stack.len() >= MAX_DEPTH || stack.last().is_some_and(|f| f.node.is_none());
    if deep {
        tree.loose.push((line, line, Loose::Stray));
        stack.push(Frame { kind, node: None });
        return;
    }
    let index = tree.nodes.len();
    tree.nodes.push(Node {
        kind,
        words,
        line,
        close_line: None,
        last_line: line,
        items: Vec::new(),
    });
    match stack.last() {
        Some(Frame {
            node: Some(parent), ..
        }) => tree.nodes[*parent].items.push(Item::Child(index)),
        _ => tree.roots.push(index),
    }
    stack.push(Frame {
        kind,
        node: Some(index),
    });
}

/// Closes the innermost frame of `kind` (for `end`, also the edits open inside it). False
/// when no such frame is open.
fn close(tree: &mut Tree<'_>, stack: &mut Vec<Frame>, kind: Kind, line: u32) -> bool {
    if !stack.iter().any(|f| f.kind == kind) {
        return false;
    }
    // `next` only closes an edit that is innermost or has unclosed configs inside it.
    let mut closed_deep = false;
    while let Some(frame) = stack.pop() {
        let last = match frame.node {
            Some(index) => {
                let node = &mut tree.nodes[index];
                node.last_line = node.last_line.max(line);
                if frame.kind == kind {
                    node.close_line = Some(line);
                }
                node.last_line
            }
            None => {
                closed_deep = true;
                line
            }
        };
        // The parent contains everything its child contains.
        if let Some(index) = stack.iter().rev().find_map(|f| f.node) {
            let parent = &mut tree.nodes[index];
            parent.last_line = parent.last_line.max(last);
        }
        if frame.kind == kind {
            break;
        }
    }
    if closed_deep {
        tree.loose.push((line, line, Loose::Stray));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt_args(node: &Node<'_>) -> Vec<Vec<String>> {
        node.stmts()
            .map(|s| s.args.iter().map(|a| a.to_string()).collect())
            .collect()
    }

    #[test]
    fn configs_edits_and_statements_nest() {
        let text = "config firewall policy\n    edit 1\n        set srcintf \"port1\" port2\n        \
                    append srcintf port3\n    next\nend\n";
        let tree = read(text);
        assert_eq!(tree.roots.len(), 1);
        let config = tree.node(tree.roots[0]);
        assert_eq!(config.words, ["firewall", "policy"]);
        assert_eq!(
            (config.line, config.close_line, config.last_line),
            (1, Some(6), 6)
        );
        let entry = tree.entries(config).next().unwrap();
        assert_eq!(entry.name(), "1");
        assert_eq!(entry.close_line, Some(5));
        let stmts: Vec<&Stmt> = entry.stmts().collect();
        assert_eq!(stmts[0].verb, Verb::Set);
        assert_eq!(stmts[0].key(), "srcintf");
        assert_eq!(stmts[0].values(), ["port1", "port2"]);
        assert_eq!(stmts[1].verb, Verb::Append);
        assert_eq!(stmt_args(entry)[1], ["srcintf", "port3"]);
        assert!(matches!(stmts[0].args[1], Cow::Borrowed(_)));
    }

    #[test]
    fn quoted_values_escape_and_span_lines() {
        let text = "config system replacemsg auth \"x\"\n    set buffer \"<a href=\\\"y\\\">\nsecond line\n\"\n    set format html\nend\n";
        let tree = read(text);
        let node = tree.node(tree.roots[0]);
        assert_eq!(node.words, ["system", "replacemsg", "auth", "x"]);
        let stmts: Vec<&Stmt> = node.stmts().collect();
        assert_eq!(stmts[0].values(), ["<a href=\"y\">\nsecond line\n"]);
        assert_eq!((stmts[0].line, stmts[0].last_line), (2, 4));
        assert_eq!(stmts[1].line, 5);
        assert_eq!(node.close_line, Some(6));
    }

    #[test]
    fn end_closes_an_open_edit_and_strays_are_kept() {
        let text =
            "next\nconfig vdom\nedit root\nconfig system settings\nset a b\nend\nend\nend\n# c\n";
        let tree = read(text);
        assert_eq!(tree.roots.len(), 1);
        let vdom = tree.node(tree.roots[0]);
        assert_eq!(vdom.close_line, Some(7));
        let root = tree.entries(vdom).next().unwrap();
        assert_eq!(root.name(), "root");
        assert_eq!(root.close_line, None);
        assert_eq!(root.last_line, 7);
        assert!(tree.loose.contains(&(1, 1, Loose::Stray)));
        assert!(tree.loose.contains(&(8, 8, Loose::Stray)));
        assert!(tree.loose.contains(&(9, 9, Loose::Comment)));
    }

    #[test]
    fn unclosed_quote_and_deep_nesting_do_not_break() {
        let tree = read("config a b\nset x \"never closed\nend\n");
        let node = tree.node(tree.roots[0]);
        assert_eq!(node.stmts().count(), 1);
        let deep = "config a b\n".repeat(MAX_DEPTH + 5) + &"end\n".repeat(MAX_DEPTH + 5);
        let tree = read(&deep);
        assert_eq!(tree.nodes.len(), MAX_DEPTH);
        assert!(tree.loose.iter().any(|l| l.2 == Loose::Stray));
    }

    #[test]
    fn single_quotes_and_utf8() {
        let tree = read("config system global\n    set alias 'Zürich büro'\n    set x ''\nend\n");
        let node = tree.node(tree.roots[0]);
        let stmts: Vec<&Stmt> = node.stmts().collect();
        assert_eq!(stmts[0].values(), ["Zürich büro"]);
        assert_eq!(stmts[1].values(), [""]);
    }
}
