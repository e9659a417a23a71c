//! The `set` form (`show configuration | display set`) and CLI session scripts around it
//! (`configure`, `edit`, `delete`, `commit and-quit`). `delete X` removes what was set under X
//! before it; `deactivate X` / `activate X` mark X (and everything under it, set before or
//! after) inactive or active again, as the CLI does. Both are applied after reading, by looking
//! up every prefix of every statement among the (few) deleted and deactivated paths.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::lex::{self, Token};
use super::stmt::{Read, Stmt, Word, cli_noise, lines, prompt_len};
use crate::coverage::LineClass;

/// Hashes of path prefixes, word by word, so every prefix of a statement is looked up without
/// building it.
fn prefix_hashes<'w>(words: impl Iterator<Item = &'w str>) -> impl Iterator<Item = u64> {
    let mut hasher = DefaultHasher::new();
    words.map(move |w| {
        w.hash(&mut hasher);
        hasher.finish()
    })
}

fn path_hash<'w>(words: impl Iterator<Item = &'w str>) -> u64 {
    prefix_hashes(words).last().unwrap_or(0)
}

/// What `delete`, `deactivate` and `activate` did to a path.
#[derive(Debug, Default)]
struct Marks {
    /// Path hash → (words, sequence number of the last `delete` of it).
    deleted: HashMap<u64, Vec<(Vec<String>, usize)>>,
    /// Path hash → (words, deactivated after the last `deactivate` / `activate` of it).
    inactive: HashMap<u64, Vec<(Vec<String>, bool)>>,
    /// Sequence number of a `delete` of everything (at the top).
    delete_all: Option<usize>,
}

fn same(stored: &[String], words: &[Word<'_>]) -> bool {
    stored.len() == words.len() && stored.iter().zip(words).all(|(s, w)| *s == w.text)
}

impl Marks {
    fn delete(&mut self, path: &[Word<'_>], seq: usize) {
        if path.is_empty() {
            self.delete_all = Some(seq);
            return;
        }
        let entries = self
            .deleted
            .entry(path_hash(path.iter().map(|w| w.text.as_ref())))
            .or_default();
        match entries.iter_mut().find(|(p, _)| same(p, path)) {
            Some(entry) => entry.1 = seq,
            None => entries.push((path.iter().map(|w| w.text.to_string()).collect(), seq)),
        }
    }

    fn activate(&mut self, path: &[Word<'_>], inactive: bool) {
        let entries = self
            .inactive
            .entry(path_hash(path.iter().map(|w| w.text.as_ref())))
            .or_default();
        match entries.iter_mut().find(|(p, _)| same(p, path)) {
            Some(entry) => entry.1 = inactive,
            None => entries.push((path.iter().map(|w| w.text.to_string()).collect(), inactive)),
        }
    }

    /// (deleted after `seq`, deactivated) for a statement set at `seq`.
    fn state(&self, stmt: &Stmt<'_>, seq: usize) -> (bool, bool) {
        let mut deleted = self.delete_all.is_some_and(|d| d > seq);
        let mut inactive = false;
        if self.deleted.is_empty() && self.inactive.is_empty() {
            return (deleted, inactive);
        }
        let hashes = prefix_hashes(stmt.words.iter().map(|w| w.text.as_ref()));
        for (k, hash) in hashes.enumerate() {
            let prefix = stmt.words.get(..=k).unwrap_or(&[]);
            if let Some(entries) = self.deleted.get(&hash)
                && entries.iter().any(|(p, d)| *d > seq && same(p, prefix))
            {
                deleted = true;
            }
            if let Some(entries) = self.inactive.get(&hash)
                && entries.iter().any(|(p, off)| *off && same(p, prefix))
            {
                inactive = true;
            }
        }
        (deleted, inactive)
    }
}

/// Reads the `set` form / CLI script in `text` (which has `line_count` lines).
pub fn read(text: &str, line_count: usize) -> Read<'_> {
    let mut read = Read::with_lines(line_count);
    let mut marks = Marks::default();
    // Statements with the sequence number of the command that set them.
    let mut stmts: Vec<(Stmt<'_>, usize)> = Vec::new();
    // The `edit` context.
    let mut context: Vec<Word<'_>> = Vec::new();
    let mut tokens: Vec<Token<'_>> = Vec::new();
    for (seq, (number, offset, line)) in lines(text).enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('#') {
            // Comments, `## Last changed`, and commented-out commands.
            read.fixed.push((number, LineClass::Blank));
            continue;
        }
        let (line, offset) = match prompt_len(trimmed) {
            Some(len) => {
                let skip = line.len() - trimmed.len() + len;
                (line.get(skip..).unwrap_or(""), offset + skip)
            }
            None => {
                if let Some(class) = cli_noise(line) {
                    read.fixed.push((number, class));
                    continue;
                }
                (line, offset)
            }
        };
        tokens.clear();
        lex::line(line, offset, false, &mut lex::State::default(), &mut tokens);
        let (start, end) = match (tokens.first(), tokens.last()) {
            (Some(first), Some(last)) => (first.start, last.end),
            _ => {
                read.fixed.push((number, LineClass::Blank));
                continue;
            }
        };
        read.set_wordy(number);
        let mut words = tokens.drain(..).map(|t| Word {
            text: t.text,
            start: t.start,
            end: t.end,
        });
        let Some(command) = words.next() else {
            continue;
        };
        let rest: Vec<Word<'_>> = words.collect();
        let mut class = LineClass::Ignored;
        match command.text.as_ref() {
            "set" if !rest.is_empty() => {
                let mut all = Vec::with_capacity(context.len() + rest.len());
                all.extend(context.iter().cloned());
                all.extend(rest);
                stmts.push((
                    Stmt {
                        words: all,
                        inactive: false,
                        line: number,
                        last_line: number,
                        start,
                        end,
                    },
                    seq,
                ));
                continue;
            }
            // Deleting what is not there changes nothing (the CLI warns): either way the line
            // is read.
            "delete" => {
                let mut path = context.clone();
                path.extend(rest);
                marks.delete(&path, seq);
            }
            verb @ ("deactivate" | "activate") if !rest.is_empty() => {
                let mut path = context.clone();
                path.extend(rest);
                marks.activate(&path, verb == "deactivate");
            }
            "edit" if !rest.is_empty() => context.extend(rest),
            "top" => {
                context.clear();
                if !rest.is_empty() {
                    // `top set …` / `top edit …`: not followed (rare in scripts).
                    class = LineClass::Unknown;
                }
            }
            verb @ ("up" | "exit" | "quit") => {
                let levels = match (verb, rest.first().map(|w| w.text.as_ref())) {
                    ("up", Some(n)) => n.parse::<usize>().unwrap_or(1),
                    (_, Some("configuration-mode")) => usize::MAX,
                    _ => 1,
                };
                // One level of `edit` is one word here; `edit a b` then `up` keeps `a`, as the
                // CLI does for most hierarchy levels.
                let keep = context.len().saturating_sub(levels.min(context.len()));
                context.truncate(keep);
            }
            // Session commands and operational output around the configuration.
            "configure" | "commit" | "show" | "run" | "save" | "status" | "annotate"
            | "protect" | "unprotect" | "help" | "compare" => {}
            // Commands whose effect is not followed: the configuration may differ.
            _ => class = LineClass::Unknown,
        }
        read.fixed.push((number, class));
    }
    for (mut stmt, seq) in stmts {
        let (deleted, inactive) = marks.state(&stmt, seq);
        if deleted {
            // Removed by a later `delete`: the line is read and has no effect.
            read.fixed.push((stmt.line, LineClass::Ignored));
            continue;
        }
        stmt.inactive = inactive;
        read.stmts.push(stmt);
    }
    read
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

    fn class(read: &Read, line: u32) -> Option<LineClass> {
        read.fixed.iter().find(|(l, _)| *l == line).map(|(_, c)| *c)
    }

    #[test]
    fn set_delete_deactivate() {
        let text = "set security policies from-zone a to-zone b policy p then permit\n\
                    delete security policies\n\
                    set security alg sip disable\n\
                    set security alg sip t1-interval 500\n\
                    deactivate security alg sip disable\n\
                    #set security alg sip disable\n\
                    set security nat source rule-set r from zone trust\n";
        let read = read(text, 7);
        assert_eq!(
            paths(&read),
            vec![
                "(inactive) security alg sip disable",
                "security alg sip t1-interval 500",
                "security nat source rule-set r from zone trust",
            ]
        );
        assert_eq!(class(&read, 1), Some(LineClass::Ignored));
        assert_eq!(class(&read, 6), Some(LineClass::Blank));
        assert_eq!(read.stmts[0].line, 3);
    }

    #[test]
    fn cli_session_with_edit_context() {
        let text = "configure\nedit security zones\nset security-zone trust interfaces ge-0/0/1.0\nup\nup\nedit security\nset policies default-policy permit-all\ntop\nactivate security\nrollback 1\ncommit and-quit\nroot@fw# set system host-name fw\n";
        let read = read(text, 12);
        assert_eq!(
            paths(&read),
            vec![
                "security zones security-zone trust interfaces ge-0/0/1.0",
                "security policies default-policy permit-all",
                "system host-name fw",
            ]
        );
        assert_eq!(class(&read, 1), Some(LineClass::Ignored));
        assert_eq!(class(&read, 10), Some(LineClass::Unknown));
        assert_eq!(class(&read, 11), Some(LineClass::Ignored));
        // Spans point into the original line, after the prompt.
        let last = &read.stmts[2];
        let start = last.words[0].start;
        assert_eq!(&text[start..start + 6], "system");
        assert_eq!(&text[last.start..last.end], "set system host-name fw");
    }

    #[test]
    fn recreated_after_delete_is_alive() {
        let text = "set a b c\ndelete a b\nset a b d\ndeactivate a\nset x y\ndeactivate x\nactivate x\ndelete\nset z 1\n";
        assert_eq!(paths(&read(text, 9)), vec!["z 1"]);
        let text =
            "set a b c\ndelete a b\nset a b d\ndeactivate a\nset x y\ndeactivate x\nactivate x\n";
        assert_eq!(paths(&read(text, 7)), vec!["(inactive) a b d", "x y"]);
    }
}
