//! The text forms: `nft list ruleset` output (what the kernel prints back) and `nft -f`
//! scripts (ours and hand-written ones: `table`/`delete table`/`flush ruleset`, `define` and
//! `$NAME`, `add rule …` commands, `#` comments, `\` continuations). Sysctl lines appended by an
//! admin (`net.netfilter.nf_conntrack_udp_timeout = 30`) are read as well.
//!
//! Syntax facts used here (nft(8), "LEXICAL CONVENTIONS", "CHAINS", "SETS", "MAPS",
//! "STATEFUL OBJECTS", "STATEMENTS"): statements end at a newline or `;`, blocks are `{ … }`,
//! `#` starts a comment outside strings, `define` values are substituted where `$NAME` appears.

use std::collections::HashMap;

use super::ir::{
    BaseChain, ChainPolicy, Cmp, CtTimeout, Family, Flowtable, Helper, Item, L4, MapData, MapKey,
    NamedSet, Rule, Ruleset, Sel, Sysctl, Value, Verdict,
};
use super::{priority_value, sysctl_class, sysctl_line, sysctl_message};
use crate::coverage::{Coverage, LineClass};
use crate::source::{Source, Span};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Word,
    Str,
    Open,
    Close,
    /// A newline or `;`.
    End,
    Comma,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
    line: u32,
}

fn is_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}' | b',' | b'"' | b'#' | b'='
    )
}

/// Splits the text into tokens; linear, never fails.
fn lex(text: &str) -> Vec<Tok> {
    let bytes = text.as_bytes();
    let mut toks = Vec::with_capacity(bytes.len() / 4);
    let mut line: u32 = 1;
    // A byte order mark (Windows editors) is not part of the first word.
    let mut i = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let push = |toks: &mut Vec<Tok>, kind, start, end, line| {
        toks.push(Tok {
            kind,
            start,
            end,
            line,
        })
    };
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b'\n' => {
                push(&mut toks, Kind::End, i, i + 1, line);
                line = line.saturating_add(1);
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => {
                line = line.saturating_add(1);
                i += 2;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') => {
                line = line.saturating_add(1);
                i += 3;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b';' => {
                push(&mut toks, Kind::End, i, i + 1, line);
                i += 1;
            }
            b'{' => {
                push(&mut toks, Kind::Open, i, i + 1, line);
                i += 1;
            }
            b'}' => {
                push(&mut toks, Kind::Close, i, i + 1, line);
                i += 1;
            }
            b',' => {
                push(&mut toks, Kind::Comma, i, i + 1, line);
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' && bytes[j] != b'\n' {
                    j += if bytes[j] == b'\\' && bytes.get(j + 1).is_some_and(|b| *b != b'\n') {
                        2
                    } else {
                        1
                    };
                }
                let end = if j < bytes.len() && bytes[j] == b'"' {
                    j + 1
                } else {
                    j.min(bytes.len())
                };
                push(&mut toks, Kind::Str, i, end, line);
                i = end;
            }
            b'=' | b'!' | b'<' | b'>' => {
                let mut j = i;
                while j < bytes.len() && matches!(bytes[j], b'=' | b'!' | b'<' | b'>') {
                    j += 1;
                }
                push(&mut toks, Kind::Word, i, j, line);
                i = j;
            }
            _ => {
                let mut j = i;
                while j < bytes.len() && !is_delimiter(bytes[j]) {
                    j += 1;
                }
                push(&mut toks, Kind::Word, i, j, line);
                i = j;
            }
        }
    }
    toks
}

/// Words that start a match, a statement or a verdict: skipping over an expression the reader
/// does not model stops at the next of these.
const STOP_WORDS: &[&str] = &[
    "iifname",
    "oifname",
    "iif",
    "oif",
    "meta",
    "ip",
    "ip6",
    "tcp",
    "udp",
    "th",
    "ct",
    "fib",
    "icmp",
    "icmpv6",
    "mark",
    "counter",
    "log",
    "limit",
    "quota",
    "accept",
    "drop",
    "continue",
    "return",
    "reject",
    "jump",
    "goto",
    "queue",
    "masquerade",
    "snat",
    "dnat",
    "redirect",
    "tproxy",
    "notrack",
    "flow",
    "meter",
    "comment",
];

/// Meta keys nft accepts without the `meta` prefix.
const BARE_META: &[&str] = &[
    "mark",
    "pkttype",
    "cpu",
    "skuid",
    "skgid",
    "iifgroup",
    "oifgroup",
    "cgroup",
    "nftrace",
    "priority",
    "rtclassid",
    "iiftype",
    "oiftype",
    "ibrname",
    "obrname",
    "ibriport",
    "obriport",
];

/// Header expressions of protocols other than TCP and UDP.
const OTHER_PROTO: &[&str] = &[
    "icmp", "icmpv6", "igmp", "esp", "ah", "comp", "ipcomp", "gre",
];

/// Expressions the facts do not model; a rule with one only matches some packets.
const NARROW_EXPR: &[&str] = &[
    "ether", "vlan", "arp", "rt", "rt0", "rt2", "rt4", "exthdr", "hbh", "frag", "dst", "mh", "srh",
    "socket", "osf", "ipsec", "numgen", "jhash", "symhash", "tunnel", "cgroupv2", "dccp", "sctp",
    "geneve", "vxlan", "gretap",
];

/// Top-level (or table-level) object keywords with a block that carry nothing for VoIP.
const IGNORED_OBJECTS: &[&str] = &["counter", "quota", "limit", "secmark", "synproxy", "tunnel"];

/// A cap on `$NAME` expansion, so nested defines cannot blow up (each define may be used
/// many times; the total stays linear in practice and bounded always).
const EXPANSION_BUDGET: usize = 2_000_000;

pub(super) struct Reader<'a> {
    source: &'a Source,
    text: &'a str,
    toks: Vec<Tok>,
    i: usize,
    pub ruleset: Ruleset,
    coverage: &'a mut Coverage,
    defines: HashMap<String, Vec<Tok>>,
    budget: usize,
}

/// Reads `source` (whole) into a ruleset, marking the coverage of every line.
pub(super) fn read(source: &Source, coverage: &mut Coverage) -> Ruleset {
    let mut reader = Reader {
        source,
        text: &source.text,
        toks: lex(&source.text),
        i: 0,
        ruleset: Ruleset::default(),
        coverage,
        defines: HashMap::new(),
        budget: EXPANSION_BUDGET,
    };
    reader.top();
    reader.finish_coverage();
    reader.ruleset
}

impl<'a> Reader<'a> {
    // ---- token access -------------------------------------------------------------------

    fn tok(&self, at: usize) -> Option<Tok> {
        self.toks.get(at).copied()
    }

    /// The text of a word, or the content of a string.
    fn text_of(&self, tok: Tok) -> &'a str {
        let raw = self.text.get(tok.start..tok.end).unwrap_or("");
        if tok.kind == Kind::Str {
            let inner = raw.strip_prefix('"').unwrap_or(raw);
            inner.strip_suffix('"').unwrap_or(inner)
        } else {
            raw
        }
    }

    /// Word or string text at `at`.
    fn word(&self, at: usize) -> Option<&'a str> {
        match self.tok(at) {
            Some(tok) if matches!(tok.kind, Kind::Word | Kind::Str) => Some(self.text_of(tok)),
            _ => None,
        }
    }

    fn kind(&self, at: usize) -> Option<Kind> {
        self.tok(at).map(|t| t.kind)
    }

    fn skip_ends(&mut self) {
        while self.kind(self.i) == Some(Kind::End) {
            self.i += 1;
        }
    }

    /// Index of the token ending the statement that starts at `from`: a newline or `;` outside
    /// braces, a `}` closing the enclosing block, or the end of input.
    fn statement_end(&self, from: usize) -> usize {
        let mut depth = 0usize;
        let mut at = from;
        while let Some(tok) = self.tok(at) {
            match tok.kind {
                Kind::Open => depth += 1,
                Kind::Close if depth == 0 => return at,
                Kind::Close => depth -= 1,
                Kind::End if depth == 0 => return at,
                _ => {}
            }
            at += 1;
        }
        at
    }

    /// With `at` on `{`, the index just after its matching `}` (or the end of input).
    fn block_end(&self, at: usize) -> usize {
        let mut depth = 0usize;
        let mut pos = at;
        while let Some(tok) = self.tok(pos) {
            match tok.kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return pos + 1;
                    }
                }
                _ => {}
            }
            pos += 1;
        }
        pos
    }

    /// The span from the start of token `first` to the end of token `last` (cut to the first
    /// line), for evidence.
    fn span(&self, first: usize, last: usize) -> Span {
        match (self.tok(first), self.tok(last)) {
            (Some(a), Some(b)) => self.source.span_at(a.start, b.end.max(a.start)),
            (Some(a), None) => self.source.span_at(a.start, a.end),
            _ => self.source.span_at(self.text.len(), self.text.len()),
        }
    }

    /// Marks the lines of tokens `first..end` (exclusive end).
    fn mark(&mut self, first: usize, end: usize, class: LineClass) {
        let Some(a) = self.tok(first) else { return };
        let last = end.saturating_sub(1).max(first);
        let b = self.tok(last).unwrap_or(a);
        self.coverage.mark_range(a.line, b.line.max(a.line), class);
    }

    /// Lines no statement claimed: comments are ignored, lone braces are structure.
    fn finish_coverage(&mut self) {
        for (number, line) in self.source.lines() {
            if self.coverage.class(number) != Some(LineClass::Unknown) {
                continue;
            }
            let code = match line.find('#') {
                Some(at) if !line[..at].contains('"') => &line[..at],
                _ => line,
            };
            let code = code.trim();
            if code.is_empty() {
                self.coverage.mark(number, LineClass::Ignored);
            } else if code.chars().all(|c| matches!(c, '}' | ';' | ' ' | '\t')) {
                self.coverage.mark(number, LineClass::Blank);
            }
        }
    }

    // ---- `define` ----------------------------------------------------------------------------

    /// Tokens `from..to` with every `$NAME` replaced by its definition (nested, bounded).
    fn expand(&mut self, from: usize, to: usize) -> Vec<Tok> {
        let mut out = Vec::with_capacity(to.saturating_sub(from));
        let toks: Vec<Tok> = self.toks.get(from..to).unwrap_or(&[]).to_vec();
        self.expand_into(&toks, 0, &mut out);
        out
    }

    fn expand_into(&mut self, toks: &[Tok], depth: u32, out: &mut Vec<Tok>) {
        for &tok in toks {
            let name = if tok.kind == Kind::Word {
                self.text_of(tok).strip_prefix('$')
            } else {
                None
            };
            let size = name.and_then(|n| self.defines.get(n)).map(Vec::len);
            match (name, size) {
                (Some(name), Some(size)) if depth < 8 && self.budget >= size => {
                    self.budget -= size;
                    let body = self.defines.get(name).cloned().unwrap_or_default();
                    self.expand_into(&body, depth + 1, out);
                }
                _ => out.push(tok),
            }
        }
    }

    // ---- top level --------------------------------------------------------------------------

    fn top(&mut self) {
        loop {
            self.skip_ends();
            let Some(tok) = self.tok(self.i) else { return };
            let start = self.i;
            if tok.kind != Kind::Word {
                // A stray `}` or a value outside any statement.
                let end = self.statement_end(start).max(start + 1);
                if tok.kind != Kind::Close {
                    self.mark(start, end, LineClass::Unknown);
                }
                self.i = end;
                continue;
            }
            let word = self.text_of(tok).to_string();
            match word.as_str() {
                "table" => self.table_statement(),
                "add" | "create" | "insert" | "replace" => self.command(),
                "delete" | "destroy" | "flush" | "list" | "reset" | "rename" => self.admin(),
                "define" | "redefine" => self.define(),
                "undefine" => {
                    let end = self.statement_end(start);
                    if let Some(name) = self.word(start + 1) {
                        let name = name.to_string();
                        self.defines.remove(&name);
                    }
                    self.mark(start, end, LineClass::Understood);
                    self.i = end;
                }
                "include" => {
                    // The included file is not part of the export: its rules are unseen.
                    let end = self.statement_end(start);
                    self.mark(start, end, LineClass::Unknown);
                    self.i = end;
                }
                _ if is_sysctl_start(&word) => self.sysctl(tok.line),
                _ => self.unknown_statement(),
            }
        }
    }

    /// Skips a statement the reader does not know (with any block it opens).
    fn unknown_statement(&mut self) {
        let start = self.i;
        let end = self.statement_end(start);
        let end = if self.kind(end) == Some(Kind::Close) && end == start {
            end + 1
        } else {
            end
        };
        self.mark(start, end.max(start + 1), LineClass::Unknown);
        self.i = end.max(start + 1);
    }

    /// A `key = value` sysctl line (or `sysctl -w key=value`): read as a whole line.
    fn sysctl(&mut self, line: u32) {
        let text = self.source.line(line);
        if sysctl_message(text) {
            self.coverage.mark(line, LineClass::Ignored);
        } else if let Some((key, value)) = sysctl_line(text) {
            let span = self.source.line_span(line);
            self.coverage.mark(line, sysctl_class(&key));
            self.ruleset.sysctls.push(Sysctl { key, value, span });
        } else {
            self.coverage.mark(line, LineClass::Unknown);
        }
        while let Some(tok) = self.tok(self.i) {
            if tok.line > line {
                break;
            }
            self.i += 1;
        }
    }

    fn define(&mut self) {
        let start = self.i;
        let end = self.statement_end(start);
        let name = self.word(start + 1).map(str::to_string);
        let eq = self.word(start + 2) == Some("=");
        match name {
            Some(name) if eq => {
                let body = self.expand(start + 3, end);
                self.defines.insert(name, body);
                self.mark(start, end, LineClass::Understood);
            }
            _ => self.mark(start, end, LineClass::Unknown),
        }
        self.i = end;
    }

    /// `family name` or `name` at `at`; the index after them.
    fn family_and_name(&self, at: usize) -> Option<(Family, String, usize)> {
        let first = self.word(at)?;
        if let Some(family) = Family::from_name(first)
            && let Some(name) = self.word(at + 1)
        {
            return Some((family, name.to_string(), at + 2));
        }
        Some((Family::Ip, first.to_string(), at + 1))
    }

    fn table_index(&mut self, family: Family, name: &str) -> usize {
        self.ruleset.table_at(family, name)
    }

    /// `table [family] name { … }` or `table [family] name` (create).
    fn table_statement(&mut self) {
        let start = self.i;
        let Some((family, name, after)) = self.family_and_name(start + 1) else {
            return self.unknown_statement();
        };
        let t = self.table_index(family, &name);
        if self.kind(after) == Some(Kind::Open) {
            self.mark(start, after + 1, LineClass::Understood);
            self.i = after + 1;
            self.table_body(t);
        } else {
            let end = self.statement_end(start);
            self.mark(start, end, LineClass::Understood);
            self.i = end;
        }
    }

    /// The inside of a table block, up to and including its `}`.
    fn table_body(&mut self, t: usize) {
        loop {
            self.skip_ends();
            let Some(tok) = self.tok(self.i) else { return };
            if tok.kind == Kind::Close {
                self.i += 1;
                return;
            }
            let start = self.i;
            let word = self.word(start).unwrap_or("").to_string();
            match word.as_str() {
                "chain" => match self.word(start + 1).map(str::to_string) {
                    Some(name) if self.kind(start + 2) == Some(Kind::Open) => {
                        self.mark(start, start + 3, LineClass::Understood);
                        self.i = start + 3;
                        self.chain_body(t, &name);
                    }
                    _ => self.unknown_statement(),
                },
                "set" | "map" => match self.word(start + 1).map(str::to_string) {
                    Some(name) if self.kind(start + 2) == Some(Kind::Open) => {
                        self.mark(start, start + 3, LineClass::Understood);
                        self.i = start + 3;
                        self.set_body(t, &name, word == "map", self.span(start, start + 1));
                    }
                    _ => self.unknown_statement(),
                },
                "flowtable" => match self.word(start + 1).map(str::to_string) {
                    Some(name) if self.kind(start + 2) == Some(Kind::Open) => {
                        self.flowtable_block(t, &name, start);
                    }
                    _ => self.unknown_statement(),
                },
                "ct" => {
                    let kind = self.word(start + 1).unwrap_or("").to_string();
                    match self.word(start + 2).map(str::to_string) {
                        Some(name) if self.kind(start + 3) == Some(Kind::Open) => {
                            self.ct_object(t, &kind, &name, start);
                        }
                        _ => self.unknown_statement(),
                    }
                }
                w if IGNORED_OBJECTS.contains(&w) => {
                    let end = if self.kind(start + 2) == Some(Kind::Open) {
                        self.block_end(start + 2)
                    } else {
                        self.statement_end(start)
                    };
                    self.mark(start, end, LineClass::Ignored);
                    self.i = end;
                }
                "flags" => {
                    let end = self.statement_end(start);
                    let dormant = (start + 1..end).any(|k| self.word(k) == Some("dormant"));
                    if let Some(table) = self.ruleset.tables.get_mut(t) {
                        table.dormant |= dormant;
                    }
                    self.mark(start, end, LineClass::Understood);
                    self.i = end;
                }
                "comment" => {
                    let end = self.statement_end(start);
                    self.mark(start, end, LineClass::Ignored);
                    self.i = end;
                }
                _ => self.unknown_statement(),
            }
        }
    }

    /// The inside of a chain block (base chain spec, policy, rules), up to its `}`.
    fn chain_body(&mut self, t: usize, name: &str) {
        if let Some(table) = self.ruleset.tables.get_mut(t) {
            table.chain_mut(name);
        }
        loop {
            self.skip_ends();
            let Some(tok) = self.tok(self.i) else { return };
            if tok.kind == Kind::Close {
                self.i += 1;
                return;
            }
            let start = self.i;
            let end = self.statement_end(start);
            match self.word(start).unwrap_or("") {
                "type" => self.base_spec(t, name, start, end),
                "policy" => self.policy(t, name, start, end),
                "comment" | "devices" | "device" => self.mark(start, end, LineClass::Ignored),
                _ => self.rule(t, name, start, end, false),
            }
            self.i = end.max(start + 1);
        }
    }

    /// `type filter hook input [device x] priority filter`.
    fn base_spec(&mut self, t: usize, chain: &str, start: usize, end: usize) {
        let kind = self.word(start + 1).unwrap_or("").to_string();
        let mut hook = None;
        let mut priority_text = String::new();
        let mut k = start + 2;
        while k < end {
            match self.word(k) {
                Some("hook") => {
                    hook = self.word(k + 1).map(str::to_string);
                    k += 2;
                }
                Some("device") => k += 2,
                Some("devices") => {
                    k += 1;
                    while k < end && self.word(k) != Some("priority") {
                        k += 1;
                    }
                }
                Some("priority") => {
                    k += 1;
                    while k < end {
                        if let Some(word) = self.word(k) {
                            priority_text.push_str(word);
                        }
                        k += 1;
                    }
                }
                _ => k += 1,
            }
        }
        let family = self.ruleset.tables.get(t).map(|t| t.family);
        let span = self.span(start, end.saturating_sub(1));
        let Some(hook) = hook else {
            return self.mark(start, end, LineClass::Unknown);
        };
        let priority = family.and_then(|f| priority_value(&priority_text, f));
        if let Some(table) = self.ruleset.tables.get_mut(t) {
            let chain = table.chain_mut(chain);
            let policy = chain.base.as_ref().and_then(|b| b.policy);
            chain.base = Some(BaseChain {
                kind,
                hook,
                priority,
                policy,
                span,
            });
        }
        self.mark(start, end, LineClass::Understood);
    }

    fn policy(&mut self, t: usize, chain: &str, start: usize, end: usize) {
        let accept = match self.word(start + 1) {
            Some("accept") => true,
            Some("drop") => false,
            _ => return self.mark(start, end, LineClass::Unknown),
        };
        let span = self.span(start, start + 1);
        let mut understood = false;
        if let Some(table) = self.ruleset.tables.get_mut(t)
            && let Some(at) = table.chain_at(chain)
            && let Some(base) = table.chains.get_mut(at).and_then(|c| c.base.as_mut())
        {
            base.policy = Some(ChainPolicy { accept, span });
            understood = true;
        }
        let class = if understood {
            LineClass::Understood
        } else {
            LineClass::Unknown
        };
        self.mark(start, end, class);
    }

    /// One rule (tokens `start..end`) appended to (or, for `insert`, put first in) a chain.
    fn rule(&mut self, t: usize, chain: &str, start: usize, end: usize, first: bool) {
        if start >= end {
            return;
        }
        let span = self.span(start, end.saturating_sub(1));
        let toks = self.expand(start, end);
        let mut reader = RuleReader {
            r: self,
            toks: &toks,
            i: 0,
            items: Vec::new(),
            unknown: false,
        };
        reader.read();
        let (items, unknown) = (reader.items, reader.unknown);
        if let Some(table) = self.ruleset.tables.get_mut(t) {
            let chain = table.chain_mut(chain);
            let rule = Rule { items, span };
            if first {
                chain.rules.insert(0, rule);
            } else {
                chain.rules.push(rule);
            }
        }
        let class = if unknown {
            LineClass::Unknown
        } else {
            LineClass::Understood
        };
        self.mark(start, end, class);
    }

    /// `set`/`map` body: type, flags, elements, comment.
    fn set_body(&mut self, t: usize, name: &str, is_map: bool, span: Span) {
        let mut set = NamedSet {
            span,
            ..NamedSet::default()
        };
        loop {
            self.skip_ends();
            let Some(tok) = self.tok(self.i) else { break };
            if tok.kind == Kind::Close {
                self.i += 1;
                break;
            }
            let start = self.i;
            let end = self.statement_end(start);
            let class = match self.word(start).unwrap_or("") {
                "flags" => {
                    set.dynamic |= (start + 1..end).any(|k| self.word(k) == Some("dynamic"));
                    LineClass::Understood
                }
                "elements" => {
                    let open = (start + 1..end).find(|&k| self.kind(k) == Some(Kind::Open));
                    match open {
                        Some(open) => {
                            let close = self.block_end(open);
                            self.elements(open, close, is_map, &mut set);
                            LineClass::Understood
                        }
                        None => LineClass::Unknown,
                    }
                }
                "comment" => {
                    set.comment = self.word(start + 1).map(str::to_string);
                    LineClass::Understood
                }
                "type" | "typeof" | "timeout" | "gc-interval" | "size" | "policy"
                | "auto-merge" | "counter" => LineClass::Understood,
                _ => LineClass::Unknown,
            };
            self.mark(start, end, class);
            self.i = end.max(start + 1);
        }
        if let Some(table) = self.ruleset.tables.get_mut(t) {
            let entry = table.sets.entry(name.to_string()).or_default();
            entry.span = set.span;
            entry.dynamic |= set.dynamic;
            entry.comment = set.comment.or(entry.comment.take());
            entry.elements.extend(set.elements);
            entry.verdicts.extend(set.verdicts);
        }
    }

    /// Elements between the `{` at `open` and the index `close` (after its `}`).
    fn elements(&mut self, open: usize, close: usize, is_map: bool, set: &mut NamedSet) {
        let toks = self.expand(open + 1, close.saturating_sub(1));
        for element in split_elements(&toks) {
            if is_map {
                if let Some((key, verdict)) = self.map_element(element) {
                    set.verdicts.push((key.clone(), verdict));
                    set.elements.push(key);
                } else {
                    set.elements.push("?".to_string());
                }
            } else {
                set.elements.push(self.element_atom(element));
            }
        }
    }

    /// One set element as an atom: `5060`, `10000-20000`, `192.0.2.0/24`, `"wan0"` → `wan0`;
    /// `?` for concatenations and anything else not one value.
    fn element_atom(&self, toks: &[Tok]) -> String {
        // Per-element annotations (`timeout 1h`, `expires …`, `comment "…"`, `counter …`).
        let end = toks
            .iter()
            .position(|&t| {
                t.kind == Kind::Word
                    && matches!(
                        self.text_of(t),
                        "timeout" | "expires" | "comment" | "counter"
                    )
            })
            .unwrap_or(toks.len());
        let key = &toks[..end];
        match key {
            [one] if matches!(one.kind, Kind::Word | Kind::Str) => self.text_of(*one).to_string(),
            [a, dash, b] if self.text_of(*dash) == "-" => {
                format!("{}-{}", self.text_of(*a), self.text_of(*b))
            }
            _ => "?".to_string(),
        }
    }

    /// `key : verdict` of a verdict map element.
    fn map_element(&self, toks: &[Tok]) -> Option<(String, Verdict)> {
        let colon = toks.iter().position(|&t| {
            t.kind == Kind::Word && (self.text_of(t) == ":" || self.text_of(t).ends_with(':'))
        })?;
        let colon_tok = toks[colon];
        let colon_text = self.text_of(colon_tok);
        let key = if colon_text == ":" {
            self.element_atom(&toks[..colon])
        } else if colon == 0 {
            colon_text.trim_end_matches(':').to_string()
        } else {
            return None;
        };
        let value: Vec<&str> = toks[colon + 1..]
            .iter()
            .filter(|t| matches!(t.kind, Kind::Word | Kind::Str))
            .map(|&t| self.text_of(t))
            .collect();
        let verdict = match value.as_slice() {
            ["accept", ..] => Verdict::Accept,
            ["drop", ..] => Verdict::Drop,
            ["reject", ..] => Verdict::Reject,
            ["return", ..] => Verdict::Return,
            ["continue", ..] => Verdict::Continue,
            ["queue", ..] => Verdict::Queue,
            ["jump", target, ..] => Verdict::Jump((*target).to_string()),
            ["goto", target, ..] => Verdict::Goto((*target).to_string()),
            _ => return None,
        };
        Some((key, verdict))
    }

    fn flowtable_block(&mut self, t: usize, name: &str, start: usize) {
        let open = start + 2;
        let close = self.block_end(open);
        let hardware = (open..close).any(|k| self.word(k) == Some("offload"));
        let span = self.span(start, start + 1);
        if let Some(table) = self.ruleset.tables.get_mut(t) {
            table
                .flowtables
                .insert(name.to_string(), Flowtable { hardware, span });
        }
        self.mark(start, close, LineClass::Understood);
        self.i = close;
    }

    /// `ct helper NAME { type "sip" protocol udp; l3proto ip; }`, `ct timeout NAME { … }`,
    /// `ct expectation NAME { … }`.
    fn ct_object(&mut self, t: usize, kind: &str, name: &str, start: usize) {
        let open = start + 3;
        let close = self.block_end(open);
        let span = self.span(start, start + 2);
        let mut protocol = None;
        let mut helper_type = None;
        let mut unreplied = None;
        let mut replied = None;
        let mut understood = true;
        let mut k = open + 1;
        while k < close {
            match self.word(k) {
                Some("type") => {
                    helper_type = self.word(k + 1).map(|w| w.to_ascii_lowercase());
                    k += 2;
                }
                Some("protocol") => {
                    protocol = self.word(k + 1).map(|w| w.to_ascii_lowercase());
                    k += 2;
                }
                Some(word) if word.trim_end_matches(':') == "unreplied" => {
                    unreplied = self.policy_value(&mut k);
                }
                Some(word) if word.trim_end_matches(':') == "replied" => {
                    replied = self.policy_value(&mut k);
                }
                _ => k += 1,
            }
        }
        match (kind, self.ruleset.tables.get_mut(t)) {
            ("helper", Some(table)) => match helper_type {
                Some(kind) => {
                    table.helpers.insert(
                        name.to_string(),
                        Helper {
                            kind,
                            protocol,
                            span,
                        },
                    );
                }
                None => understood = false,
            },
            ("timeout", Some(table)) => {
                table.timeouts.insert(
                    name.to_string(),
                    CtTimeout {
                        protocol,
                        unreplied,
                        replied,
                        span,
                    },
                );
            }
            ("expectation", Some(_)) => {}
            _ => understood = false,
        }
        let class = if understood {
            LineClass::Understood
        } else {
            LineClass::Unknown
        };
        self.mark(start, close, class);
        self.i = close;
    }

    /// The number after `unreplied :` / `replied:` in a ct timeout policy; advances `k`.
    fn policy_value(&self, k: &mut usize) -> Option<u32> {
        let mut at = *k + 1;
        if self.word(at) == Some(":") {
            at += 1;
        }
        *k = at + 1;
        self.word(at).and_then(parse_seconds)
    }

    // ---- commands ---------------------------------------------------------------------------

    /// `add|create|insert|replace table|chain|rule|set|map|element|ct|flowtable …`.
    fn command(&mut self) {
        let start = self.i;
        let end = self.statement_end(start);
        let verb = self.word(start).unwrap_or("").to_string();
        let what = self.word(start + 1).unwrap_or("").to_string();
        match what.as_str() {
            "table" => {
                let Some((family, name, after)) = self.family_and_name(start + 2) else {
                    return self.unknown_statement();
                };
                let t = self.table_index(family, &name);
                if self.kind(after) == Some(Kind::Open) {
                    self.mark(start, after + 1, LineClass::Understood);
                    self.i = after + 1;
                    self.table_body(t);
                } else {
                    self.mark(start, end, LineClass::Understood);
                    self.i = end;
                }
            }
            "chain" | "rule" | "set" | "map" | "element" | "flowtable" | "ct" => {
                let object_at = if what == "ct" { start + 3 } else { start + 2 };
                let Some((family, table, after)) = self.family_and_name(object_at) else {
                    return self.unknown_statement();
                };
                let Some(name) = self.word(after).map(str::to_string) else {
                    return self.unknown_statement();
                };
                let t = self.table_index(family, &table);
                let body = after + 1;
                match what.as_str() {
                    "chain" => {
                        if self.kind(body) == Some(Kind::Open) {
                            self.mark(start, body + 1, LineClass::Understood);
                            self.i = body + 1;
                            self.chain_body(t, &name);
                        } else {
                            if let Some(table) = self.ruleset.tables.get_mut(t) {
                                table.chain_mut(&name);
                            }
                            self.mark(start, end, LineClass::Understood);
                            self.i = end;
                        }
                    }
                    "rule" => {
                        // `add rule T C [position N|handle N|index N] <rule>`.
                        let mut first = body;
                        while matches!(self.word(first), Some("position" | "handle" | "index")) {
                            first += 2;
                        }
                        self.rule(t, &name, first.min(end), end, verb == "insert");
                        self.mark(start, first.min(end), LineClass::Understood);
                        self.i = end;
                    }
                    "set" | "map" if self.kind(body) == Some(Kind::Open) => {
                        let span = self.span(start, after);
                        self.mark(start, body + 1, LineClass::Understood);
                        self.i = body + 1;
                        self.set_body(t, &name, what == "map", span);
                    }
                    "element" if self.kind(body) == Some(Kind::Open) => {
                        let close = self.block_end(body);
                        let is_map = self
                            .ruleset
                            .tables
                            .get(t)
                            .and_then(|tb| tb.sets.get(&name))
                            .is_some_and(|s| !s.verdicts.is_empty());
                        let mut set = NamedSet::default();
                        self.elements(body, close, is_map, &mut set);
                        if let Some(table) = self.ruleset.tables.get_mut(t) {
                            let entry = table.sets.entry(name.clone()).or_default();
                            entry.elements.extend(set.elements);
                            entry.verdicts.extend(set.verdicts);
                        }
                        self.mark(start, close, LineClass::Understood);
                        self.i = close.max(end);
                    }
                    "flowtable" if self.kind(body) == Some(Kind::Open) => {
                        // Reuse the table-level reader: it expects `flowtable NAME {` at i.
                        self.flowtable_block(t, &name, after - 1);
                        self.mark(start, self.i, LineClass::Understood);
                    }
                    "ct" if self.kind(body) == Some(Kind::Open) => {
                        let kind = self.word(start + 2).unwrap_or("").to_string();
                        self.ct_object(t, &kind, &name, after - 2);
                        self.mark(start, self.i, LineClass::Understood);
                    }
                    _ => {
                        self.mark(start, end, LineClass::Unknown);
                        self.i = end;
                    }
                }
            }
            _ if IGNORED_OBJECTS.contains(&what.as_str()) => {
                let end = match (start..end).find(|&k| self.kind(k) == Some(Kind::Open)) {
                    Some(open) => self.block_end(open),
                    None => end,
                };
                self.mark(start, end, LineClass::Ignored);
                self.i = end;
            }
            _ => self.unknown_statement(),
        }
    }

    /// `delete|destroy|flush|list|reset|rename …`: applied where it changes what the script
    /// leaves loaded (a deleted table, a flushed ruleset, table or chain).
    fn admin(&mut self) {
        let start = self.i;
        let end = self.statement_end(start);
        let verb = self.word(start).unwrap_or("").to_string();
        let what = self.word(start + 1).unwrap_or("").to_string();
        let target = self.family_and_name(start + 2);
        match (verb.as_str(), what.as_str(), target) {
            ("delete" | "destroy", "table", Some((family, name, _))) => {
                self.ruleset.remove_table(family, &name);
            }
            ("flush", "ruleset", _) => self.ruleset.clear(),
            ("flush", "table", Some((family, name, _))) => {
                if let Some(table) = self
                    .ruleset
                    .tables
                    .iter_mut()
                    .find(|t| t.family == family && t.name == name)
                {
                    for chain in &mut table.chains {
                        chain.rules.clear();
                    }
                }
            }
            ("flush", "chain", Some((family, name, after))) => {
                let chain_name: Option<String> = self.word(after).map(str::to_string);
                if let Some(chain_name) = chain_name
                    && let Some(table) = self
                        .ruleset
                        .tables
                        .iter_mut()
                        .find(|t| t.family == family && t.name == name)
                    && let Some(at) = table.chain_at(&chain_name)
                    && let Some(found) = table.chains.get_mut(at)
                {
                    found.rules.clear();
                }
            }
            _ => {}
        }
        let class = if verb == "list" {
            LineClass::Ignored
        } else {
            LineClass::Understood
        };
        self.mark(start, end, class);
        self.i = end.max(start + 1);
    }
}

/// Splits the tokens inside a set's braces at top-level commas (newlines are not separators).
fn split_elements(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut from = 0;
    for (k, tok) in toks.iter().enumerate() {
        match tok.kind {
            Kind::Open => depth += 1,
            Kind::Close => depth = depth.saturating_sub(1),
            Kind::Comma if depth == 0 => {
                out.push(&toks[from..k]);
                from = k + 1;
            }
            _ => {}
        }
    }
    out.push(&toks[from..]);
    out.into_iter()
        .map(|element| {
            let first = element
                .iter()
                .position(|t| t.kind != Kind::End)
                .unwrap_or(element.len());
            let last = element
                .iter()
                .rposition(|t| t.kind != Kind::End)
                .map_or(first, |p| p + 1);
            &element[first..last.max(first)]
        })
        .filter(|element| !element.is_empty())
        .collect()
}

/// A sysctl key at the start of a statement (`net.netfilter.…`, `kernel.…`), or `sysctl`.
fn is_sysctl_start(word: &str) -> bool {
    word == "sysctl"
        || word == "sysctl:"
        || [
            "net.", "kernel.", "vm.", "fs.", "dev.", "user.", "abi.", "debug.", "crypto.",
        ]
        .iter()
        .any(|p| word.starts_with(p))
}

/// `30`, `30s`, `2m`, `1h`, `1d` → seconds.
pub(super) fn parse_seconds(text: &str) -> Option<u32> {
    let text = text.trim().trim_end_matches(',');
    if let Ok(n) = text.parse::<u32>() {
        return Some(n);
    }
    // Compound forms like `1h30m` as nft prints them.
    let mut total: u64 = 0;
    let mut number: u64 = 0;
    let mut digits = false;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            number = number.checked_mul(10)?.checked_add(u64::from(d))?;
            digits = true;
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        if !digits {
            return None;
        }
        total = total.checked_add(number.checked_mul(unit)?)?;
        number = 0;
        digits = false;
    }
    if digits {
        return None;
    }
    u32::try_from(total).ok()
}

/// Reads one rule's tokens (after `$NAME` expansion) into items.
struct RuleReader<'r, 'a> {
    r: &'r Reader<'a>,
    toks: &'r [Tok],
    i: usize,
    items: Vec<Item>,
    /// Some token was not recognised: the rule's line is counted unknown.
    unknown: bool,
}

impl RuleReader<'_, '_> {
    fn tok(&self, at: usize) -> Option<Tok> {
        self.toks.get(at).copied()
    }

    fn word_at(&self, at: usize) -> Option<&str> {
        match self.tok(at) {
            Some(t) if matches!(t.kind, Kind::Word | Kind::Str) => Some(self.r.text_of(t)),
            _ => None,
        }
    }

    fn word(&self) -> Option<&str> {
        self.word_at(self.i)
    }

    fn is(&self, word: &str) -> bool {
        matches!(self.tok(self.i), Some(t) if t.kind == Kind::Word && self.r.text_of(t) == word)
    }

    fn is_stop(&self) -> bool {
        match self.tok(self.i) {
            Some(t) if t.kind == Kind::Word => STOP_WORDS.contains(&self.r.text_of(t)),
            Some(_) => false,
            None => true,
        }
    }

    fn read(&mut self) {
        while self.i < self.toks.len() {
            let before = self.i;
            self.item();
            if self.i == before {
                self.i += 1;
                self.unknown = true;
            }
        }
    }

    /// Skips tokens (and whole brace groups) until the next stop word.
    fn skip_to_stop(&mut self) {
        while let Some(tok) = self.tok(self.i) {
            if tok.kind == Kind::Word && STOP_WORDS.contains(&self.r.text_of(tok)) {
                return;
            }
            if tok.kind == Kind::Open {
                self.skip_group();
            } else {
                self.i += 1;
            }
        }
    }

    /// With `i` on `{`: past its matching `}`.
    fn skip_group(&mut self) {
        let mut depth = 0usize;
        while let Some(tok) = self.tok(self.i) {
            self.i += 1;
            match tok.kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    fn item(&mut self) {
        let Some(tok) = self.tok(self.i) else { return };
        match tok.kind {
            Kind::Word => {}
            Kind::Open => {
                self.skip_group();
                self.unknown = true;
                self.items.push(Item::Narrow);
                return;
            }
            Kind::End | Kind::Comma | Kind::Close => {
                self.i += 1;
                return;
            }
            Kind::Str => {
                self.i += 1;
                self.unknown = true;
                return;
            }
        }
        let word = self.r.text_of(tok);
        match word {
            "iifname" | "oifname" | "iif" | "oif" => {
                self.i += 1;
                self.selector(Sel::Iface {
                    out: word.starts_with('o'),
                });
            }
            "meta" => self.meta(),
            "ip" | "ip6" => self.ip(word == "ip6"),
            "tcp" | "udp" | "udplite" | "th" => self.transport(word),
            "ct" => self.ct(),
            "fib" => self.fib(),
            w if OTHER_PROTO.contains(&w) => {
                self.i += 1;
                if self.word().is_some_and(|f| !STOP_WORDS.contains(&f)) {
                    self.i += 1;
                }
                self.selector(Sel::OtherProto);
            }
            w if BARE_META.contains(&w) => {
                self.i += 1;
                self.selector(Sel::Narrow);
            }
            "xt" => {
                // iptables-nft: `xt match recent`, `xt target CT`; the options are not shown,
                // so the line cannot be fully read.
                self.unknown = true;
                let target = self.word_at(self.i + 1) == Some("target");
                let name = self.word_at(self.i + 2).unwrap_or("").to_string();
                self.i += 3;
                self.items.push(Item::Xt { target, name });
            }
            w if NARROW_EXPR.contains(&w) => {
                self.i += 1;
                self.skip_to_stop();
                self.items.push(Item::Narrow);
            }
            "counter" => {
                self.i += 1;
                while let Some("packets" | "bytes" | "name") = self.word() {
                    self.i += 2;
                }
                self.items.push(Item::Other);
            }
            "log" => self.log(),
            "limit" => self.limit(),
            "quota" => {
                self.i += 1;
                self.skip_to_stop();
                self.items.push(Item::Narrow);
            }
            "accept" | "drop" | "continue" | "return" => {
                self.i += 1;
                self.items.push(Item::Verdict(match word {
                    "accept" => Verdict::Accept,
                    "drop" => Verdict::Drop,
                    "continue" => Verdict::Continue,
                    _ => Verdict::Return,
                }));
            }
            "reject" => self.reject(),
            "jump" | "goto" => {
                let target = self.word_at(self.i + 1).map(str::to_string);
                self.i += 2;
                match target {
                    Some(target) if word == "jump" => {
                        self.items.push(Item::Verdict(Verdict::Jump(target)))
                    }
                    Some(target) => self.items.push(Item::Verdict(Verdict::Goto(target))),
                    None => self.unknown = true,
                }
            }
            "queue" => {
                self.i += 1;
                self.skip_to_stop();
                self.items.push(Item::Verdict(Verdict::Queue));
            }
            "masquerade" => self.masquerade(),
            "snat" | "dnat" => self.nat(word == "dnat"),
            "redirect" | "tproxy" => {
                self.i += 1;
                self.skip_to_stop();
                self.items.push(if word == "redirect" {
                    Item::Redirect
                } else {
                    Item::Other
                });
            }
            "notrack" => {
                self.i += 1;
                self.items.push(Item::Other);
            }
            "flow" => {
                self.i += 1;
                if matches!(self.word(), Some("add" | "offload")) {
                    self.i += 1;
                }
                match self.word() {
                    Some(name) if name.starts_with('@') => {
                        let name = name.trim_start_matches('@').to_string();
                        self.i += 1;
                        self.items.push(Item::Flow(name));
                    }
                    _ => self.unknown = true,
                }
            }
            "meter" => {
                self.i += 1;
                while self.tok(self.i).is_some_and(|t| t.kind != Kind::Open) && !self.is_stop() {
                    self.i += 1;
                }
                self.set_statement();
            }
            "add" | "update" | "delete"
                if self.word_at(self.i + 1).is_some_and(|w| w.starts_with('@')) =>
            {
                self.i += 2;
                self.set_statement();
            }
            "comment" => {
                self.i += 2;
                self.items.push(Item::Other);
            }
            "dup" | "fwd" | "synproxy" => {
                self.i += 1;
                self.skip_to_stop();
                self.items.push(Item::Other);
            }
            _ => {
                self.unknown = true;
                self.i += 1;
            }
        }
    }

    /// `meta KEY …`.
    fn meta(&mut self) {
        let key = self.word_at(self.i + 1).unwrap_or("");
        let sel = match key {
            "iifname" | "oifname" | "iif" | "oif" => Sel::Iface {
                out: key.starts_with('o'),
            },
            "l4proto" => Sel::L4proto,
            "nfproto" => Sel::Nfproto,
            "protocol" => Sel::Neutral,
            "" => {
                self.unknown = true;
                self.i += 1;
                return;
            }
            _ => Sel::Narrow,
        };
        self.i += 2;
        self.selector(sel);
    }

    /// `ip saddr …`, `ip protocol …`, `ip6 daddr …`, `ip6 nexthdr …`, other header fields.
    fn ip(&mut self, v6: bool) {
        let field = self.word_at(self.i + 1).unwrap_or("");
        let sel = match field {
            "saddr" => Sel::Addr { v6, dst: false },
            "daddr" => Sel::Addr { v6, dst: true },
            "protocol" if !v6 => Sel::L4proto,
            "nexthdr" if v6 => Sel::L4proto,
            "" => {
                self.unknown = true;
                self.i += 1;
                return;
            }
            _ => Sel::Narrow,
        };
        self.i += 2;
        self.selector(sel);
    }

    /// `tcp dport …`, `udp sport …`, `th dport …`, `tcp flags …`, `tcp option … set …`.
    fn transport(&mut self, proto: &str) {
        let l4 = match proto {
            "tcp" => L4::Tcp,
            "udp" => L4::Udp,
            "th" => L4::Any,
            _ => L4::Other,
        };
        match self.word_at(self.i + 1).unwrap_or("") {
            "dport" => {
                self.i += 2;
                self.selector(Sel::Port { l4, dst: true });
            }
            "sport" => {
                self.i += 2;
                self.selector(Sel::Port { l4, dst: false });
            }
            "option" => {
                // `tcp option maxseg size set rt mtu`, `tcp option sack-perm exists`, …
                self.i += 2;
                let mut set = false;
                while let Some(tok) = self.tok(self.i) {
                    let text = self.r.text_of(tok);
                    if tok.kind == Kind::Word && STOP_WORDS.contains(&text) && text != "tcp" {
                        break;
                    }
                    set |= text == "set";
                    self.i += 1;
                }
                self.items
                    .push(if set { Item::Other } else { Item::Narrow });
            }
            "" => {
                self.unknown = true;
                self.i += 1;
            }
            _ => {
                // `tcp flags …`, `udp length …`: only that protocol's packets, some of them.
                self.i += 2;
                self.selector(Sel::Narrow);
                if let Some(last) = self.items.last_mut()
                    && *last == Item::Narrow
                    && matches!(l4, L4::Tcp | L4::Udp)
                {
                    *last = Item::NarrowProto(l4);
                }
            }
        }
    }

    /// `ct state …`, `ct status …`, `ct helper set "x"`, `ct timeout set "x"`, `ct original
    /// ip daddr …`, `ct count over N`, `ct mark set …`.
    fn ct(&mut self) {
        let key = self.word_at(self.i + 1).unwrap_or("").to_string();
        match key.as_str() {
            "state" => {
                self.i += 2;
                self.selector(Sel::CtState);
            }
            "status" => {
                self.i += 2;
                self.selector(Sel::CtStatus);
            }
            "helper" | "timeout" | "expectation" if self.word_at(self.i + 2) == Some("set") => {
                let name = self.word_at(self.i + 3).map(str::to_string);
                self.i += 4;
                match (key.as_str(), name) {
                    ("helper", Some(name)) => self.items.push(Item::CtHelper(name)),
                    ("timeout", Some(name)) => self.items.push(Item::CtTimeout(name)),
                    ("expectation", Some(_)) => self.items.push(Item::Other),
                    _ => self.unknown = true,
                }
            }
            "original" | "reply" => {
                self.i += 2;
                if matches!(self.word(), Some("ip" | "ip6")) {
                    self.i += 1;
                }
                self.i += 1;
                self.selector(Sel::Narrow);
            }
            "count" => {
                self.i += 2;
                if self.is("over") {
                    self.i += 1;
                }
                self.i += 1;
                self.items.push(Item::Narrow);
            }
            "" => {
                self.unknown = true;
                self.i += 1;
            }
            _ => {
                self.i += 2;
                if matches!(self.word(), Some("original" | "reply")) {
                    self.i += 1;
                }
                self.selector(Sel::Narrow);
            }
        }
    }

    /// `fib saddr . iif oif missing`, `fib daddr type local`, …
    fn fib(&mut self) {
        self.i += 1;
        let mut flags = Vec::new();
        while let Some(word) = self.word() {
            match word {
                "." => self.i += 1,
                "saddr" | "daddr" | "mark" | "iif" => {
                    flags.push(word.to_string());
                    self.i += 1;
                }
                _ => break,
            }
        }
        let result = self.word().unwrap_or("").to_string();
        if !matches!(result.as_str(), "oif" | "oifname" | "type" | "check") {
            self.unknown = true;
            self.items.push(Item::Narrow);
            return;
        }
        self.i += 1;
        let cmp = self.cmp();
        let value = self.value();
        let neutral = flags == ["daddr"]
            && result == "type"
            && cmp == Cmp::Eq
            && value == Some(Value::Atoms(vec!["local".to_string()]));
        if value.is_none() {
            self.unknown = true;
        }
        self.items
            .push(if neutral { Item::Neutral } else { Item::Narrow });
    }

    /// After a selector: `set VALUE` (a statement), `vmap {…}`, `. concatenation`, or an
    /// operator and a value.
    fn selector(&mut self, sel: Sel) {
        if self.is(".") {
            // A concatenation (`ip saddr . tcp dport @x`): not modelled.
            while self.tok(self.i).is_some_and(|t| t.kind == Kind::Word)
                && !self.is("vmap")
                && !self.is("map")
                && self.cmp_word().is_none()
                && !self.word().is_some_and(|w| w.starts_with('@'))
            {
                self.i += 1;
            }
            if self.is("vmap") || self.is("map") {
                self.i += 1;
                let data = self.map_data();
                self.items.push(Item::Vmap {
                    key: MapKey::Other,
                    data,
                });
                return;
            }
            self.cmp();
            if self.value().is_none() {
                self.unknown = true;
            }
            self.items.push(Item::Narrow);
            return;
        }
        if self.is("set") {
            self.i += 1;
            if self.value().is_none() {
                self.unknown = true;
            }
            // `… set VALUE map { … }` and similar: skip what follows the value.
            if self.is("map") {
                self.i += 1;
                self.map_data();
            }
            self.items.push(Item::Other);
            return;
        }
        if self.is("vmap") {
            self.i += 1;
            let data = self.map_data();
            self.items.push(Item::Vmap {
                key: sel.map_key(),
                data,
            });
            return;
        }
        if self.is("map") {
            self.i += 1;
            self.map_data();
            self.items.push(Item::Other);
            return;
        }
        let cmp = self.cmp();
        let Some(value) = self.value() else {
            self.unknown = true;
            self.items.push(Item::Narrow);
            return;
        };
        self.items.push(sel.item(cmp, value));
    }

    fn cmp_word(&self) -> Option<Cmp> {
        Some(match self.word()? {
            "==" | "eq" => Cmp::Eq,
            "!=" | "ne" => Cmp::Ne,
            "<" | "lt" => Cmp::Lt,
            ">" | "gt" => Cmp::Gt,
            "<=" | "le" => Cmp::Le,
            ">=" | "ge" => Cmp::Ge,
            _ => return None,
        })
    }

    /// An optional comparison operator (`==` when absent).
    fn cmp(&mut self) -> Cmp {
        match self.cmp_word() {
            Some(cmp) if self.tok(self.i).is_some_and(|t| t.kind == Kind::Word) => {
                self.i += 1;
                cmp
            }
            _ => Cmp::Eq,
        }
    }

    /// A value: `{ a, b }`, `@set`, or a literal with `,`-joined flags and `/ mask` parts.
    fn value(&mut self) -> Option<Value> {
        let tok = self.tok(self.i)?;
        match tok.kind {
            Kind::Open => {
                let close = {
                    let mut depth = 0usize;
                    let mut at = self.i;
                    while let Some(t) = self.tok(at) {
                        match t.kind {
                            Kind::Open => depth += 1,
                            Kind::Close => {
                                depth = depth.saturating_sub(1);
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        at += 1;
                    }
                    at
                };
                let inner = self.toks.get(self.i + 1..close).unwrap_or(&[]);
                let atoms = split_elements(inner)
                    .into_iter()
                    .map(|element| self.r.element_atom(element))
                    .collect();
                self.i = close + 1;
                Some(Value::Atoms(atoms))
            }
            Kind::Word if self.r.text_of(tok).starts_with('@') => {
                self.i += 1;
                Some(Value::Set(
                    self.r.text_of(tok).trim_start_matches('@').to_string(),
                ))
            }
            Kind::Word | Kind::Str => {
                let mut atoms = vec![self.r.text_of(tok).to_string()];
                self.i += 1;
                loop {
                    let next = self.tok(self.i);
                    let after = self.tok(self.i + 1);
                    match (next, after) {
                        (Some(n), Some(a))
                            if n.kind == Kind::Comma
                                && matches!(a.kind, Kind::Word | Kind::Str) =>
                        {
                            atoms.push(self.r.text_of(a).to_string());
                            self.i += 2;
                        }
                        (Some(n), Some(a))
                            if n.kind == Kind::Word
                                && self.r.text_of(n) == "-"
                                && a.kind == Kind::Word =>
                        {
                            // `10000 - 20000` written with blanks.
                            if let Some(last) = atoms.last_mut() {
                                last.push('-');
                                last.push_str(self.r.text_of(a));
                            }
                            self.i += 2;
                        }
                        (Some(n), Some(a))
                            if n.kind == Kind::Word
                                && matches!(self.r.text_of(n), "/" | "&" | "|" | "^") =>
                        {
                            // A mask (`syn / fin,syn,rst,ack`): the match stays narrow. Read
                            // without recursion, so a long chain of masks cannot overflow.
                            self.i += 1;
                            if a.kind == Kind::Open {
                                self.skip_group();
                            } else {
                                self.i += 1;
                            }
                        }
                        _ => break,
                    }
                }
                Some(Value::Atoms(atoms))
            }
            _ => None,
        }
    }

    /// `{ key : verdict, … }` or `@map`.
    fn map_data(&mut self) -> MapData {
        match self.tok(self.i) {
            Some(tok) if tok.kind == Kind::Open => {
                let start = self.i;
                self.skip_group();
                let inner = self
                    .toks
                    .get(start + 1..self.i.saturating_sub(1))
                    .unwrap_or(&[]);
                let mut entries = Vec::new();
                for element in split_elements(inner) {
                    match self.r.map_element(element) {
                        Some(entry) => entries.push(entry),
                        None => self.unknown = true,
                    }
                }
                MapData::Inline(entries)
            }
            Some(tok) if tok.kind == Kind::Word && self.r.text_of(tok).starts_with('@') => {
                self.i += 1;
                MapData::Named(self.r.text_of(tok).trim_start_matches('@').to_string())
            }
            _ => {
                self.unknown = true;
                MapData::Inline(Vec::new())
            }
        }
    }

    fn log(&mut self) {
        self.i += 1;
        loop {
            match self.word() {
                Some("prefix" | "level" | "group" | "snaplen" | "queue-threshold") => self.i += 2,
                Some("flags") => {
                    self.i += 1;
                    while let Some(tok) = self.tok(self.i) {
                        let text = self.r.text_of(tok);
                        let flag = matches!(
                            text,
                            "tcp" | "ip" | "sequence" | "options" | "skuid" | "ether" | "all"
                        );
                        if tok.kind == Kind::Comma || flag {
                            self.i += 1;
                        } else {
                            break;
                        }
                    }
                }
                _ => break,
            }
        }
        self.items.push(Item::Other);
    }

    /// `limit rate [over] N/unit [burst N packets]`, `limit name "x"`.
    fn limit(&mut self) {
        self.i += 1;
        if self.is("name") {
            self.i += 2;
        } else {
            if self.is("rate") {
                self.i += 1;
            }
            while let Some(word) = self.word() {
                if STOP_WORDS.contains(&word) {
                    break;
                }
                self.i += 1;
            }
        }
        self.items.push(Item::Limit { per_source: false });
    }

    fn reject(&mut self) {
        self.i += 1;
        if self.is("with") {
            self.i += 1;
            let kind = self.word().unwrap_or("").to_string();
            self.i += 1;
            if self.is("type") {
                self.i += 2;
            } else if (kind == "tcp" && self.is("reset"))
                || (self.word().is_some() && !self.is_stop())
            {
                self.i += 1;
            }
        }
        self.items.push(Item::Verdict(Verdict::Reject));
    }

    /// `masquerade [to :PORTS] [random|fully-random|persistent[,…]]`.
    fn masquerade(&mut self) {
        self.i += 1;
        let mut randomised = false;
        loop {
            if self.is("to") {
                self.i += 1;
                randomised |= self.word().is_some_and(|w| w.contains(':'));
                self.i += 1;
                continue;
            }
            match self.tok(self.i) {
                Some(tok) if tok.kind == Kind::Comma => self.i += 1,
                Some(tok) if tok.kind == Kind::Word => match self.r.text_of(tok) {
                    "random" | "fully-random" => {
                        randomised = true;
                        self.i += 1;
                    }
                    "persistent" => self.i += 1,
                    _ => break,
                },
                _ => break,
            }
        }
        self.items.push(Item::Masquerade { randomised });
    }

    /// `snat|dnat [ip|ip6] [prefix] to ADDR[:PORT[-PORT]] [flags]` and the map forms.
    fn nat(&mut self, dnat: bool) {
        self.i += 1;
        if matches!(self.word(), Some("ip" | "ip6"))
            && matches!(self.word_at(self.i + 1), Some("to" | "prefix" | "addr"))
        {
            self.i += 1;
        }
        let mut map = false;
        while matches!(self.word(), Some("prefix" | "addr" | "." | "port")) {
            map = true;
            self.i += 1;
        }
        if self.is("to") {
            self.i += 1;
        }
        let mut to = None;
        let mut port = None;
        let target_is_expression = self
            .word()
            .is_some_and(|w| STOP_WORDS.contains(&w) || matches!(w, "numgen" | "jhash"));
        if target_is_expression || map {
            // `dnat to ip daddr map { … }`, `dnat ip to numgen inc mod 2 map { … }`, …
            while let Some(tok) = self.tok(self.i) {
                if tok.kind == Kind::Open || self.is("map") {
                    break;
                }
                if tok.kind == Kind::Word && self.r.text_of(tok).starts_with('@') {
                    break;
                }
                self.i += 1;
            }
            if self.is("map") {
                self.i += 1;
            }
            self.map_data();
        } else if let Some(target) = self.word() {
            let (addr, ports) = split_target(target);
            to = addr;
            port = ports;
            if addr.is_none() && ports.is_none() {
                self.unknown = true;
            }
            self.i += 1;
        } else {
            self.unknown = true;
        }
        let mut randomised = port.is_some_and(|(a, b)| a != b);
        loop {
            match self.tok(self.i) {
                Some(tok) if tok.kind == Kind::Comma => self.i += 1,
                Some(tok) if tok.kind == Kind::Word => match self.r.text_of(tok) {
                    "random" | "fully-random" => {
                        randomised = true;
                        self.i += 1;
                    }
                    "persistent" | "netmap" => self.i += 1,
                    _ => break,
                },
                _ => break,
            }
        }
        self.items.push(if dnat {
            Item::Dnat { to, port }
        } else {
            Item::Snat { randomised }
        });
    }

    /// `{ KEY [limit rate …] }` after `meter NAME [size N]` or `add|update @set`.
    fn set_statement(&mut self) {
        let Some(tok) = self.tok(self.i) else {
            self.unknown = true;
            return;
        };
        if tok.kind != Kind::Open {
            self.unknown = true;
            return;
        }
        let start = self.i;
        self.skip_group();
        let inner = self.toks.get(start + 1..self.i).unwrap_or(&[]);
        let words: Vec<&str> = inner
            .iter()
            .filter(|t| t.kind == Kind::Word)
            .map(|&t| self.r.text_of(t))
            .collect();
        let limited = words.contains(&"limit") || words.windows(2).any(|w| w == ["ct", "count"]);
        let per_source = words.iter().take(3).any(|w| *w == "saddr");
        self.items.push(if limited {
            Item::Limit { per_source }
        } else {
            Item::Other
        });
    }
}

/// `192.0.2.1:80`, `[2001:db8::1]:5062`, `10.0.0.1-10.0.0.5`, `:8080`, `2001:db8::1` →
/// (first address, port range).
pub(super) fn split_target(text: &str) -> (Option<std::net::IpAddr>, Option<(u16, u16)>) {
    let text = text.trim();
    let (addr, port) = if let Some(rest) = text.strip_prefix('[') {
        match rest.split_once(']') {
            Some((addr, tail)) => (addr, tail.strip_prefix(':')),
            None => (rest, None),
        }
    } else if text.matches(':').count() == 1 {
        match text.split_once(':') {
            Some((addr, port)) => (addr, Some(port)),
            None => (text, None),
        }
    } else {
        (text, None)
    };
    let first = addr.split('-').next().unwrap_or("");
    let addr = first.parse().ok();
    let port = port.and_then(|p| {
        let (a, b) = p.split_once('-').unwrap_or((p, p));
        Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
    });
    (addr, port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (Ruleset, Coverage) {
        let source = Source::new("t", text);
        let mut coverage = Coverage::new(&source);
        let ruleset = read(&source, &mut coverage);
        (ruleset, coverage)
    }

    fn rule_items(text: &str) -> Vec<Item> {
        let full = format!("table inet t {{\n\tchain c {{\n\t\t{text}\n\t}}\n}}\n");
        let (ruleset, coverage) = read_text(&full);
        assert_eq!(coverage.class(3), Some(LineClass::Understood), "{text}");
        ruleset.tables[0].chains[0].rules[0].items.clone()
    }

    #[test]
    fn lexer_splits_words_strings_and_operators() {
        let text = "iifname != \"wan 0\" ip saddr { 1.2.3.4, 10.0.0.0/8 } # note\n;x=1";
        let toks = lex(text);
        let kinds: Vec<Kind> = toks.iter().map(|t| t.kind).collect();
        use Kind::*;
        assert_eq!(
            kinds,
            vec![
                Word, Word, Str, Word, Word, Open, Word, Comma, Word, Close, End, End, Word, Word,
                Word
            ]
        );
        assert_eq!(&text[toks[2].start..toks[2].end], "\"wan 0\"");
        assert_eq!(toks[12].line, 2);
    }

    #[test]
    fn seconds_and_targets() {
        assert_eq!(parse_seconds("30"), Some(30));
        assert_eq!(parse_seconds("2m"), Some(120));
        assert_eq!(parse_seconds("1h30m"), Some(5400));
        assert_eq!(parse_seconds("99999999999999999999d"), None);
        assert_eq!(parse_seconds("x"), None);
        assert_eq!(
            split_target("192.168.0.2:80"),
            (Some("192.168.0.2".parse().unwrap()), Some((80, 80)))
        );
        assert_eq!(
            split_target("[2001:db8::1]:5060-5061"),
            (Some("2001:db8::1".parse().unwrap()), Some((5060, 5061)))
        );
        assert_eq!(
            split_target("2001:db8::1"),
            (Some("2001:db8::1".parse().unwrap()), None)
        );
        assert_eq!(split_target(":99999"), (None, None));
    }

    #[test]
    fn matches_and_verdicts() {
        let items = rule_items(
            "iifname \"wan0\" oifname != { \"lan0\", \"lan1\" } ip saddr @trusted udp dport { 5060, 10000-20000 } accept",
        );
        assert_eq!(
            items,
            vec![
                Item::Iface {
                    out: false,
                    neg: false,
                    value: Value::Atoms(vec!["wan0".into()])
                },
                Item::Iface {
                    out: true,
                    neg: true,
                    value: Value::Atoms(vec!["lan0".into(), "lan1".into()])
                },
                Item::Addr {
                    v6: false,
                    dst: false,
                    neg: false,
                    value: Value::Set("trusted".into())
                },
                Item::Port {
                    l4: L4::Udp,
                    dst: true,
                    cmp: Cmp::Eq,
                    value: Value::Atoms(vec!["5060".into(), "10000-20000".into()])
                },
                Item::Verdict(Verdict::Accept),
            ]
        );
        let items = rule_items("ct state established,related counter packets 0 bytes 0 accept");
        assert_eq!(
            items[0],
            Item::CtState {
                neg: false,
                states: vec!["established".into(), "related".into()]
            }
        );
        assert_eq!(items[1], Item::Other);
    }

    #[test]
    fn statements() {
        assert_eq!(
            rule_items("udp dport 5060 ct helper set \"sip-5060\"")[1],
            Item::CtHelper("sip-5060".into())
        );
        assert_eq!(
            rule_items("oifname \"wan0\" masquerade random,persistent")[1],
            Item::Masquerade { randomised: true }
        );
        assert_eq!(
            rule_items("oifname \"wan0\" masquerade comment \"x\"")[1],
            Item::Masquerade { randomised: false }
        );
        assert_eq!(
            rule_items("tcp dport 8080 dnat ip to 192.168.0.2:80")[1],
            Item::Dnat {
                to: Some("192.168.0.2".parse().unwrap()),
                port: Some((80, 80))
            }
        );
        assert_eq!(
            rule_items("snat ip to 1.2.3.4:1024-65535")[0],
            Item::Snat { randomised: true }
        );
        let items = rule_items(
            "iifname \"wan0\" ct state new udp dport 5060 add @r { ip saddr limit rate over 20/minute burst 20 packets } add @b { ip saddr } drop",
        );
        assert!(items.contains(&Item::Limit { per_source: true }));
        assert_eq!(items.last(), Some(&Item::Verdict(Verdict::Drop)));
        let items = rule_items("tcp flags syn / fin,syn,rst,ack jump syn_flood");
        assert_eq!(
            items,
            vec![
                Item::NarrowProto(L4::Tcp),
                Item::Verdict(Verdict::Jump("syn_flood".into()))
            ]
        );
        let items = rule_items("iifname vmap { \"wan0\" : jump in_wan, \"lo\" : accept }");
        assert_eq!(
            items,
            vec![Item::Vmap {
                key: MapKey::Iface { out: false },
                data: MapData::Inline(vec![
                    ("wan0".into(), Verdict::Jump("in_wan".into())),
                    ("lo".into(), Verdict::Accept)
                ])
            }]
        );
        let items = rule_items("ip protocol tcp tproxy to 127.0.0.1:61219 meta mark set 1");
        assert_eq!(
            items,
            vec![
                Item::L4proto {
                    neg: false,
                    value: Value::Atoms(vec!["tcp".into()])
                },
                Item::Other,
                Item::Other
            ]
        );
        assert_eq!(
            rule_items("fib daddr type local counter jump x")[0],
            Item::Neutral
        );
        assert_eq!(
            rule_items("ct original ip daddr != 192.168.0.2 accept"),
            vec![Item::Narrow, Item::Verdict(Verdict::Accept)]
        );
    }

    #[test]
    fn script_commands_defines_and_objects() {
        let text = "#!/usr/sbin/nft -f\n\
            define SIP = { 5060, 5061 }\n\
            define WAN = \"wan0\"\n\
            table inet s\n\
            delete table inet s\n\
            table inet s {\n\
            \tct helper sip-5060 {\n\t\ttype \"sip\" protocol udp;\n\t\tl3proto ip;\n\t}\n\
            \tct timeout long { protocol udp; policy = { unreplied: 60, replied : 300 }; }\n\
            \tset ban { type ipv4_addr; flags dynamic,timeout; timeout 1h; }\n\
            \tmap m {\n\t\ttype ifname : verdict\n\t\telements = { \"wan0\" : jump w,\n\t\t\t\"lan0\" : accept }\n\t}\n\
            \tchain pre { type filter hook prerouting priority raw + 10; policy accept; }\n\
            }\n\
            add rule inet s pre iifname $WAN udp dport $SIP ct helper set \"sip-5060\"\n\
            net.netfilter.nf_conntrack_udp_timeout = 45\n";
        let (ruleset, coverage) = read_text(text);
        let summary = coverage.summary();
        assert_eq!(
            summary.unknown,
            0,
            "{:?}",
            coverage.unknown_lines().collect::<Vec<_>>()
        );
        let table = &ruleset.tables[0];
        assert_eq!(table.helpers["sip-5060"].kind, "sip");
        assert_eq!(table.timeouts["long"].unreplied, Some(60));
        assert_eq!(table.timeouts["long"].replied, Some(300));
        assert!(table.sets["ban"].dynamic);
        assert_eq!(table.sets["m"].verdicts.len(), 2);
        let chain = &table.chains[0];
        assert_eq!(chain.base.as_ref().unwrap().priority, Some(-290));
        assert_eq!(
            chain.rules[0].items[1],
            Item::Port {
                l4: L4::Udp,
                dst: true,
                cmp: Cmp::Eq,
                value: Value::Atoms(vec!["5060".into(), "5061".into()])
            }
        );
        assert_eq!(ruleset.sysctls[0].value, "45");
    }

    #[test]
    fn delete_table_drops_what_came_before() {
        let text = "table ip a { chain c { accept } }\ndelete table ip a\ntable ip b { }\n";
        let (ruleset, _) = read_text(text);
        assert_eq!(ruleset.tables.len(), 1);
        assert_eq!(ruleset.tables[0].name, "b");
    }

    #[test]
    fn unknown_tokens_are_counted() {
        let text = "table ip a {\n chain c {\n  frobnicate 3 accept\n }\n}\nwhat is this\n";
        let (_, coverage) = read_text(text);
        assert_eq!(coverage.class(3), Some(LineClass::Unknown));
        assert_eq!(coverage.class(6), Some(LineClass::Unknown));
        assert_eq!(coverage.class(4), Some(LineClass::Blank));
    }

    #[test]
    fn defines_cannot_explode() {
        let mut text = String::from("define A0 = { 1, 2 }\n");
        for k in 1..40 {
            text.push_str(&format!("define A{k} = {{ $A{p}, $A{p} }}\n", p = k - 1));
        }
        text.push_str("table ip t { chain c { tcp dport $A39 accept } }\n");
        let (ruleset, _) = read_text(&text);
        assert_eq!(ruleset.tables.len(), 1);
    }
}
