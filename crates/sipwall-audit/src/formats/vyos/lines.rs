//! The two shapes of a Vyatta-family export, read into one list of commands:
//!
//! - set commands (`show configuration commands`, or a vbash script of `set …` / `delete …`
//!   lines between `configure` and `commit`), one command per line;
//! - `config.boot` (nested `name { … }` blocks with `key value` leaves, `/* … */` comments and
//!   the version footer), flattened: every leaf becomes the `set` of its full path, every block
//!   head an `Open` of its path, so both shapes build the same tree.
//!
//! Lines that are not commands get their coverage class here (comments and braces blank,
//! script keywords ignored, anything else unknown).

use crate::coverage::LineClass;
use crate::source::Source;

/// Blocks nested deeper than this are not followed (their lines stay unknown): it bounds the
/// path length, so a hostile input cannot make flattening quadratic.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    Set,
    Delete,
    /// A `config.boot` block head (`rule 10 {`): creates the path, carries no value.
    Open,
}

#[derive(Debug, Clone)]
pub(super) struct Command<'a> {
    pub verb: Verb,
    pub path: Vec<&'a str>,
    pub line: u32,
}

/// Which shape the text has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Commands,
    Boot,
}

/// A version string found in a footer or header, with where it is.
#[derive(Debug, Clone)]
pub(super) struct Found<'a> {
    pub text: &'a str,
    pub line: u32,
}

/// What the reader made of the text.
#[derive(Debug)]
pub(super) struct Read<'a> {
    pub commands: Vec<Command<'a>>,
    /// The class of every line that is not a command (index 0 is line 1); `None` for command
    /// lines, which the interpretation classifies.
    pub classes: Vec<Option<LineClass>>,
    /// `Release version: …` (config.boot footer) or `Version: …` (a `show version` header).
    pub release: Option<Found<'a>>,
    /// The component list of `vyos-config-version` / `vyatta-config-version`.
    pub components: Option<Found<'a>>,
}

/// Splits a line into words: blanks separate, `'…'` and `"…"` quote (an unterminated quote
/// runs to the end of the line). With `hash_comments`, an unquoted word starting with `#` ends
/// the line (a shell comment after a `set` command).
pub(super) fn words(line: &str, hash_comments: bool) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b == b'\'' || b == b'"' {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && bytes[j] != b {
                // Double-quoted config.boot values escape quotes with a backslash.
                if b == b'"' && bytes[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = j.min(bytes.len());
            out.push(line.get(start..end).unwrap_or(""));
            i = end + 1;
            continue;
        }
        if b == b'#' && hash_comments {
            break;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        out.push(line.get(start..i).unwrap_or(""));
    }
    out
}

/// The shape of the text: set commands when most command-like lines start with `set` /
/// `delete`, config.boot when most open or close blocks; `None` when it is neither.
pub(super) fn shape(text: &str) -> Option<Shape> {
    let mut commands = 0usize;
    let mut blocks = 0usize;
    for line in text.lines() {
        let t = line.trim();
        let t = strip_wrapper(t);
        if t.starts_with("set ") || t.starts_with("delete ") {
            commands += 1;
        } else if t.ends_with('{') || t == "}" {
            blocks += 1;
        }
    }
    if commands == 0 && blocks == 0 {
        None
    } else if commands >= blocks {
        Some(Shape::Commands)
    } else {
        Some(Shape::Boot)
    }
}

/// Scripts call the configuration commands through a wrapper (`$cmd set …`,
/// `/opt/vyatta/sbin/vyatta-cfg-cmd-wrapper set …`); the command is what follows.
fn strip_wrapper(line: &str) -> &str {
    for prefix in [
        "/opt/vyatta/sbin/vyatta-cfg-cmd-wrapper ",
        "vyatta-cfg-cmd-wrapper ",
        "${vyatta_sbindir}/my_",
        "$cmd ",
        "${cmd} ",
        "$SET ",
    ] {
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim_start();
        }
    }
    line
}

/// Operational and configuration-mode words a pasted session or vbash script carries around
/// the commands.
fn script_keyword(first: &str, line: &str) -> bool {
    match first {
        "configure" | "commit" | "commit-confirm" | "confirm" | "save" | "exit" | "compare"
        | "discard" | "end_configure" | "begin" | "end" | "top" | "up" | "run" | "load"
        | "merge" | "rollback" | "echo" => true,
        "source" => line.contains("script-template") || line.contains("vyatta"),
        _ => false,
    }
}

/// `Version: …` in a header (`# Version:          VyOS 1.4.3`, EdgeOS
/// `Version:      v2.0.9-hotfix.7`): the version token.
fn header_version(line: &str) -> Option<&str> {
    let t = line.trim_start_matches('#').trim();
    let rest = t.strip_prefix("Version:")?.trim();
    let rest = rest.strip_prefix("VyOS").unwrap_or(rest).trim();
    let token = rest.split_whitespace().next()?;
    token
        .trim_start_matches(['v', 'V'])
        .starts_with(|c: char| c.is_ascii_digit())
        .then_some(token)
}

/// Footer facts inside a comment line: the release version and the config-version components.
fn footer<'a>(line: &'a str, number: u32, read: &mut Read<'a>) {
    if let Some(at) = line.find("Release version:") {
        let rest = &line[at + "Release version:".len()..];
        if let Some(token) = rest.split_whitespace().next() {
            let token = token.trim_end_matches("*/").trim_matches('"');
            if !token.is_empty() {
                read.release = Some(Found {
                    text: token,
                    line: number,
                });
            }
        }
    }
    for key in ["vyos-config-version:", "vyatta-config-version:"] {
        if let Some(at) = line.find(key) {
            let rest = line[at + key.len()..].trim();
            let rest = rest.strip_prefix('"').unwrap_or(rest);
            let end = rest.find('"').unwrap_or(rest.len());
            read.components = Some(Found {
                text: &rest[..end],
                line: number,
            });
        }
    }
}

/// Reads the text of `source` in the given shape.
pub(super) fn read<'a>(source: &'a Source, shape: Shape) -> Read<'a> {
    let count = source.line_count();
    let mut read = Read {
        commands: Vec::with_capacity(count),
        classes: vec![None; count],
        release: None,
        components: None,
    };
    match shape {
        Shape::Commands => read_commands(source, &mut read),
        Shape::Boot => read_boot(source, &mut read),
    }
    read
}

fn set_class(read: &mut Read<'_>, number: u32, class: LineClass) {
    if let Some(slot) = read.classes.get_mut((number as usize).wrapping_sub(1)) {
        *slot = Some(class);
    }
}

fn read_commands<'a>(source: &'a Source, read: &mut Read<'a>) {
    for (number, line) in source.lines() {
        let t = line.trim();
        if t.is_empty() {
            set_class(read, number, LineClass::Blank);
            continue;
        }
        if t.starts_with('#') && !t.starts_with("#!") {
            if let Some(version) = header_version(t) {
                read.release.get_or_insert(Found {
                    text: version,
                    line: number,
                });
            }
            footer(t, number, read);
            set_class(read, number, LineClass::Blank);
            continue;
        }
        if t.starts_with("#!") {
            set_class(read, number, LineClass::Ignored);
            continue;
        }
        let t = strip_wrapper(t);
        let words = words(t, true);
        let Some(first) = words.first().copied() else {
            set_class(read, number, LineClass::Blank);
            continue;
        };
        match first {
            "set" | "delete" if words.len() > 1 => {
                let verb = if first == "set" {
                    Verb::Set
                } else {
                    Verb::Delete
                };
                read.commands.push(Command {
                    verb,
                    path: words[1..].to_vec(),
                    line: number,
                });
            }
            _ if script_keyword(first, t) => set_class(read, number, LineClass::Ignored),
            // A pasted prompt: `vyos@router:~$ show configuration commands`.
            _ if t.contains("show configuration") || t.contains("show version") => {
                set_class(read, number, LineClass::Ignored);
            }
            _ => {
                if let Some(version) = header_version(t) {
                    read.release.get_or_insert(Found {
                        text: version,
                        line: number,
                    });
                    set_class(read, number, LineClass::Ignored);
                } else {
                    set_class(read, number, LineClass::Unknown);
                }
            }
        }
    }
}

fn read_boot<'a>(source: &'a Source, read: &mut Read<'a>) {
    // The words of every open block, and how many words each block added.
    let mut path: Vec<&'a str> = Vec::new();
    let mut frames: Vec<usize> = Vec::new();
    // Blocks opened beyond MAX_DEPTH: counted so their closing braces match.
    let mut overflow = 0usize;
    let mut in_comment = false;
    for (number, line) in source.lines() {
        let t = line.trim();
        if in_comment {
            footer(t, number, read);
            if t.contains("*/") {
                in_comment = false;
            }
            set_class(read, number, LineClass::Blank);
            continue;
        }
        if t.is_empty() {
            set_class(read, number, LineClass::Blank);
            continue;
        }
        if let Some(rest) = t.strip_prefix("/*") {
            footer(t, number, read);
            in_comment = !rest.contains("*/");
            set_class(read, number, LineClass::Blank);
            continue;
        }
        if t.starts_with("//") || t.starts_with('#') {
            if let Some(version) = header_version(t) {
                read.release.get_or_insert(Found {
                    text: version,
                    line: number,
                });
            }
            footer(t, number, read);
            set_class(read, number, LineClass::Blank);
            continue;
        }
        if t.bytes().all(|b| b == b'}' || b.is_ascii_whitespace()) {
            let mut unmatched = false;
            for _ in t.bytes().filter(|&b| b == b'}') {
                if overflow > 0 {
                    overflow -= 1;
                } else if let Some(added) = frames.pop() {
                    path.truncate(path.len().saturating_sub(added));
                } else {
                    unmatched = true;
                }
            }
            let class = if unmatched {
                LineClass::Unknown
            } else {
                LineClass::Blank
            };
            set_class(read, number, class);
            continue;
        }
        if overflow > 0 {
            if t.ends_with('{') {
                overflow += 1;
            }
            set_class(read, number, LineClass::Unknown);
            continue;
        }
        // `name { }` on one line: an empty block, the same as a valueless leaf.
        let (head, opens, empty) = if let Some(head) = t.strip_suffix("{ }") {
            (head, false, true)
        } else if let Some(head) = t.strip_suffix("{}") {
            (head, false, true)
        } else if let Some(head) = t.strip_suffix('{') {
            (head, true, false)
        } else {
            (t, false, false)
        };
        let words = words(head.trim(), false);
        if opens {
            if frames.len() >= MAX_DEPTH {
                overflow += 1;
                set_class(read, number, LineClass::Unknown);
                continue;
            }
            path.extend_from_slice(&words);
            frames.push(words.len());
            read.commands.push(Command {
                verb: Verb::Open,
                path: path.clone(),
                line: number,
            });
            continue;
        }
        if words.is_empty() {
            set_class(read, number, LineClass::Unknown);
            continue;
        }
        let mut full = Vec::with_capacity(path.len() + words.len());
        full.extend_from_slice(&path);
        full.extend_from_slice(&words);
        read.commands.push(Command {
            verb: if empty { Verb::Open } else { Verb::Set },
            path: full,
            line: number,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_quotes_and_comments() {
        assert_eq!(
            words("set a b 'x y' \"q \\\" r\" # note", true),
            vec!["set", "a", "b", "x y", "q \\\" r"]
        );
        assert_eq!(
            words("description 'unterminated", true),
            vec!["description", "unterminated"]
        );
        assert_eq!(words("a #b", false), vec!["a", "#b"]);
        assert_eq!(
            words("plaintext-password \"\"", false),
            vec!["plaintext-password", ""]
        );
    }

    #[test]
    fn set_commands_and_script_lines() {
        let source = Source::new(
            "x",
            "#!/bin/vbash\nsource /opt/vyatta/etc/functions/script-template\nconfigure\n\
             set system conntrack modules sip disable\n# comment\n$cmd delete nat source rule 10\n\
             commit\nsave\nexit\nbogus line\n",
        );
        let read = read(&source, Shape::Commands);
        assert_eq!(read.commands.len(), 2);
        assert_eq!(
            read.commands[0].path,
            vec!["system", "conntrack", "modules", "sip", "disable"]
        );
        assert_eq!(read.commands[0].line, 4);
        assert_eq!(read.commands[1].verb, Verb::Delete);
        assert_eq!(read.classes[0], Some(LineClass::Ignored));
        assert_eq!(read.classes[4], Some(LineClass::Blank));
        assert_eq!(read.classes[9], Some(LineClass::Unknown));
    }

    #[test]
    fn boot_is_flattened_with_footer() {
        let text = "/* header */\nsystem {\n    conntrack {\n        modules {\n            sip {\n\
                    \x20               disable\n            }\n        }\n    }\n    ntp {\n        \
                    server a.b {\n        }\n    }\n}\n/* Warning: Do not remove the following line. */\n\
                    /* === vyatta-config-version: \"conntrack@1:ubnt-util@1\" === */\n\
                    /* Release version: v2.0.9-hotfix.7.5622731.230615.0857 */\n";
        let source = Source::new("x", text);
        let read = read(&source, Shape::Boot);
        let sets: Vec<_> = read
            .commands
            .iter()
            .filter(|c| c.verb == Verb::Set)
            .map(|c| c.path.join(" "))
            .collect();
        assert_eq!(sets, vec!["system conntrack modules sip disable"]);
        let opens = read
            .commands
            .iter()
            .filter(|c| c.verb == Verb::Open)
            .count();
        assert_eq!(opens, 6);
        assert_eq!(
            read.release.as_ref().map(|f| f.text),
            Some("v2.0.9-hotfix.7.5622731.230615.0857")
        );
        assert_eq!(
            read.components.as_ref().map(|f| f.text),
            Some("conntrack@1:ubnt-util@1")
        );
        assert_eq!(read.classes[6], Some(LineClass::Blank));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut text = String::new();
        for _ in 0..200 {
            text.push_str("a {\n");
        }
        text.push_str("leaf x\n");
        for _ in 0..201 {
            text.push_str("}\n");
        }
        let source = Source::new("x", text);
        let read = read(&source, Shape::Boot);
        assert!(read.commands.iter().all(|c| c.path.len() <= MAX_DEPTH + 1));
        assert_eq!(
            read.classes.last().copied().flatten(),
            Some(LineClass::Unknown)
        );
    }

    #[test]
    fn shapes() {
        assert_eq!(shape("set a b\n"), Some(Shape::Commands));
        assert_eq!(shape("a {\n b c\n}\n"), Some(Shape::Boot));
        assert_eq!(shape("hello\n"), None);
    }
}
