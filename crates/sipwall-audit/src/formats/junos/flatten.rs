//! The curly-brace form (`show configuration`) flattened into statements: every leaf
//! (`disable;`) becomes the full path from the top (`security alg sip disable`), the same
//! statement a `display set` line gives, with the spans of its words. `inactive:` marks a whole
//! subtree as deactivated. Blocks nested deeper than `MAX_DEPTH` are left unread (unknown).

use super::lex::{self, Kind, Token};
use super::stmt::{Container, Read, Stmt, Word, cli_noise, lines};

/// Junos hierarchies are about 12 levels deep; anything far deeper is not a configuration.
const MAX_DEPTH: usize = 64;

struct Frame {
    /// Length of the path before this block's words were added.
    path_len: usize,
    inactive: bool,
    container: usize,
    children: usize,
    /// Too deep: nothing inside is read.
    overflow: bool,
    /// The block's first line and text start, for an empty block (`zone { }`) that still says
    /// something.
    first_line: u32,
    start: usize,
    open_end: usize,
}

struct Flattener<'a> {
    read: Read<'a>,
    path: Vec<Word<'a>>,
    frames: Vec<Frame>,
    /// Words of the statement being read, its first line and its `inactive:` prefix.
    current: Vec<Word<'a>>,
    current_line: u32,
    current_start: usize,
    current_inactive: bool,
}

impl<'a> Flattener<'a> {
    fn inactive(&self) -> bool {
        self.frames.last().is_some_and(|f| f.inactive)
    }

    fn overflow(&self) -> bool {
        self.frames.last().is_some_and(|f| f.overflow)
    }

    fn word(&mut self, token: Token<'a>, line: u32) {
        if self.current.is_empty() {
            // Prefixes the curly-brace display puts before a statement.
            match token.text.as_ref() {
                "inactive:" => {
                    self.current_inactive = true;
                    self.current_line = line;
                    self.current_start = token.start;
                    return;
                }
                "protect:" | "unprotect:" | "replace:" => return,
                _ => {}
            }
            if !self.current_inactive {
                self.current_line = line;
                self.current_start = token.start;
            }
        }
        self.current.push(Word {
            text: token.text,
            start: token.start,
            end: token.end,
        });
    }

    fn emit(
        &mut self,
        words: Vec<Word<'a>>,
        lines: (u32, u32),
        range: (usize, usize),
        inactive: bool,
    ) {
        if self.overflow() {
            return;
        }
        let mut all = Vec::with_capacity(self.path.len() + words.len());
        all.extend(self.path.iter().cloned());
        all.extend(words);
        self.read.stmts.push(Stmt {
            words: all,
            inactive,
            line: lines.0,
            last_line: lines.1,
            start: range.0,
            end: range.1,
        });
        if let Some(frame) = self.frames.last_mut() {
            frame.children += 1;
        }
    }

    /// Ends the current statement at byte `end` (its `;`, or its last word).
    fn semi(&mut self, line: u32, end: usize) {
        if self.current.is_empty() {
            self.current_inactive = false;
            return;
        }
        let words = std::mem::take(&mut self.current);
        let inactive = self.inactive() || self.current_inactive;
        let range = (self.current_start, end.max(self.current_start));
        self.emit(words, (self.current_line, line), range, inactive);
        self.current_inactive = false;
    }

    fn open(&mut self, line: u32, at: usize) {
        let words = std::mem::take(&mut self.current);
        let (first_line, start) = if words.is_empty() {
            (line, at)
        } else {
            (self.current_line, self.current_start)
        };
        let inactive = self.inactive() || self.current_inactive;
        self.current_inactive = false;
        let overflow = self.overflow() || self.frames.len() >= MAX_DEPTH;
        let path_len = self.path.len();
        if !overflow {
            self.path.extend(words);
        }
        self.read.containers.push(Container {
            line: first_line,
            first: self.read.stmts.len(),
            end: self.read.stmts.len(),
        });
        if let Some(frame) = self.frames.last_mut() {
            frame.children += 1;
        }
        self.frames.push(Frame {
            path_len,
            inactive,
            container: self.read.containers.len() - 1,
            children: 0,
            overflow,
            first_line,
            start,
            open_end: at + 1,
        });
    }

    /// Closes the innermost block; false for a `}` with no block open.
    fn close(&mut self, line: u32) -> bool {
        if !self.current.is_empty() {
            // A last statement without `;` before `}`: read it anyway.
            let end = self.current.last().map_or(self.current_start, |w| w.end);
            self.semi(line, end);
        }
        let Some(frame) = self.frames.pop() else {
            return false;
        };
        if frame.children == 0 && !frame.overflow && frame.path_len < self.path.len() {
            // An empty block still says its path exists (`security-zone dmz { }`).
            let words: Vec<Word<'a>> = Vec::new();
            let inactive = frame.inactive;
            self.emit(
                words,
                (frame.first_line, line),
                (frame.start, frame.open_end),
                inactive,
            );
            // `emit` counted the statement as a child of the parent frame, which is right.
        }
        self.path.truncate(frame.path_len);
        let end = self.read.stmts.len();
        if let Some(container) = self.read.containers.get_mut(frame.container) {
            container.end = end;
        }
        true
    }
}

/// Reads the curly-brace form of `text` (which has `line_count` lines).
pub fn read(text: &str, line_count: usize) -> Read<'_> {
    let mut f = Flattener {
        read: Read::with_lines(line_count),
        path: Vec::new(),
        frames: Vec::new(),
        current: Vec::new(),
        current_line: 0,
        current_start: 0,
        current_inactive: false,
    };
    let mut state = lex::State::default();
    let mut tokens: Vec<Token<'_>> = Vec::new();
    for (number, offset, line) in lines(text) {
        if !state.in_comment
            && let Some(class) = cli_noise(line)
        {
            f.read.fixed.push((number, class));
            continue;
        }
        tokens.clear();
        lex::line(line, offset, true, &mut state, &mut tokens);
        let mut stray = false;
        for token in tokens.drain(..) {
            match token.kind {
                Kind::Word => {
                    f.read.set_wordy(number);
                    f.word(token, number);
                }
                Kind::Semi => f.semi(number, token.end),
                Kind::Open => f.open(number, token.start),
                Kind::Close => stray |= !f.close(number),
            }
        }
        if stray {
            // A `}` closing nothing: the text is not a well-formed configuration here.
            f.read.set_wordy(number);
        }
    }
    // A truncated export: close what is open; an unterminated statement stays unread.
    while !f.frames.is_empty() {
        f.current.clear();
        let last = line_count as u32;
        f.close(last);
    }
    f.read
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(read: &Read) -> Vec<String> {
        read.stmts
            .iter()
            .map(|s| {
                let mut text = s.tail(0).join(" ");
                if s.inactive {
                    text.insert_str(0, "(inactive) ");
                }
                text
            })
            .collect()
    }

    #[test]
    fn flattens_nested_blocks() {
        let text = "## Last changed: 2024-01-01\nversion 22.4R1.10;\nsecurity {\n    alg {\n        sip {\n            disable;\n        }\n    }\n    inactive: policies {\n        default-policy {\n            permit-all;\n        }\n    }\n    zones {\n        security-zone dmz { }\n        security-zone trust {\n            interfaces {\n                irb.0;\n            }\n        }\n    }\n}\n";
        let read = read(text, text.lines().count());
        assert_eq!(
            paths(&read),
            vec![
                "version 22.4R1.10",
                "security alg sip disable",
                "(inactive) security policies default-policy permit-all",
                "security zones security-zone dmz",
                "security zones security-zone trust interfaces irb.0",
            ]
        );
        let sip = &read.stmts[1];
        assert_eq!((sip.line, sip.last_line), (6, 6));
        assert_eq!(&text[sip.start..sip.end], "disable;");
        let inactive = &read.stmts[2];
        assert_eq!(&text[inactive.start..inactive.end], "permit-all;");
        assert_eq!(&text[sip.words[3].start..sip.words[3].end], "disable");
        // security, alg, sip, policies, default-policy, zones, dmz, trust, interfaces
        assert_eq!(read.containers.len(), 9);
        assert_eq!(read.containers[0].line, 3);
        assert_eq!((read.containers[0].first, read.containers[0].end), (1, 5));
        assert!(!read.wordy[1], "comment line");
        assert!(read.wordy[2]);
    }

    #[test]
    fn lists_quotes_and_comments() {
        let text = "applications {\n    application-set s {\n        application [ a b ]; /* two */\n    }\n}\nsystem { host-name \"fw 1\"; } ## trailing\n";
        let read = read(text, 6);
        assert_eq!(
            paths(&read),
            vec![
                "applications application-set s application [ a b ]",
                "system host-name fw 1",
            ]
        );
    }

    #[test]
    fn truncated_and_unbalanced_input_does_not_panic() {
        let read = read("security {\n  alg {\n    sip { disable; ", 3);
        assert_eq!(paths(&read), vec!["security alg sip disable"]);
        let read = read_text("}\n}\nfoo;\n");
        assert_eq!(paths(&read), vec!["foo"]);
        assert!(read.wordy[1]);
        let deep = "a {\n".repeat(200);
        let read = read_text(&deep);
        assert!(read.stmts.is_empty());
    }

    fn read_text(text: &str) -> Read<'_> {
        read(text, text.lines().count())
    }

    #[test]
    fn cluster_banners_are_skipped() {
        let read = read_text("{master:0}\nroot@fw> show configuration\nsystem {\n  ssh;\n}\n");
        assert_eq!(paths(&read), vec!["system ssh"]);
        assert_eq!(read.fixed.len(), 2);
    }
}
