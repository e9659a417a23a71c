//! Junos tokens, one line at a time: words (quotes removed), `{ } ;` in the curly-brace form,
//! `[ ]` lists, `#` comments to the end of the line and `/* … */` comments that may span lines.
//! Quoted strings end at the end of their line (Junos prints newlines inside strings escaped).
//! Words borrow from the source unless a quoted string had escapes.

use std::borrow::Cow;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    /// `{` (curly-brace form only).
    Open,
    /// `}` (curly-brace form only).
    Close,
    /// `;` (curly-brace form only).
    Semi,
}

/// One token: its text (a word without its quotes) and its byte range in the whole source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: Cow<'a, str>,
    pub start: usize,
    pub end: usize,
}

/// Lexer state carried from line to line (an open `/* */` comment).
#[derive(Debug, Default)]
pub struct State {
    pub in_comment: bool,
}

/// Tokens of one line. `base` is the byte offset of the line in the source. With `braces`
/// false (the `set` form), `{ } ;` are ordinary word characters (`${node}`).
pub fn line<'a>(
    text: &'a str,
    base: usize,
    braces: bool,
    state: &mut State,
    out: &mut Vec<Token<'a>>,
) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if state.in_comment {
            match text[i..].find("*/") {
                Some(at) => {
                    i += at + 2;
                    state.in_comment = false;
                    continue;
                }
                None => return,
            }
        }
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' {
            return;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            state.in_comment = true;
            i += 2;
            continue;
        }
        if braces && matches!(c, b'{' | b'}' | b';') {
            let kind = match c {
                b'{' => Kind::Open,
                b'}' => Kind::Close,
                _ => Kind::Semi,
            };
            out.push(Token {
                kind,
                text: Cow::Borrowed(""),
                start: base + i,
                end: base + i + 1,
            });
            i += 1;
            continue;
        }
        if c == b'"' {
            let start = i;
            i += 1;
            // Borrowed until an escape makes a copy necessary.
            let mut owned: Option<String> = None;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' if i + 1 < bytes.len() => {
                        let copy = owned.get_or_insert_with(|| text[start + 1..i].to_string());
                        // The escaped character, taken whole (`\` is ASCII, so `i + 1` is on a
                        // char boundary).
                        let next = text[i + 1..].chars().next().unwrap_or('\\');
                        copy.push(next);
                        i += 1 + next.len_utf8();
                    }
                    b'"' => break,
                    _ => {
                        let ch = text[i..].chars().next().unwrap_or(' ');
                        if let Some(copy) = owned.as_mut() {
                            copy.push(ch);
                        }
                        i += ch.len_utf8();
                    }
                }
            }
            let value = match owned {
                Some(copy) => Cow::Owned(copy),
                None => Cow::Borrowed(&text[start + 1..i.min(bytes.len())]),
            };
            if i < bytes.len() {
                i += 1; // the closing quote
            }
            out.push(Token {
                kind: Kind::Word,
                text: value,
                start: base + start,
                end: base + i,
            });
            continue;
        }
        let start = i;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_whitespace() || b == b'"' || (braces && matches!(b, b'{' | b'}' | b';')) {
                break;
            }
            i += 1;
        }
        // `i` stops only at ASCII bytes, so `start..i` is on char boundaries.
        out.push(Token {
            kind: Kind::Word,
            text: Cow::Borrowed(&text[start..i]),
            start: base + start,
            end: base + i,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, braces: bool) -> Vec<String> {
        let mut out = Vec::new();
        line(text, 0, braces, &mut State::default(), &mut out);
        out.iter()
            .map(|t| match t.kind {
                Kind::Word => t.text.to_string(),
                Kind::Open => "{".into(),
                Kind::Close => "}".into(),
                Kind::Semi => ";".into(),
            })
            .collect()
    }

    #[test]
    fn curly_tokens_and_comments() {
        assert_eq!(
            words(r#"  encrypted-password "a\"b"; ## SECRET-DATA"#, true),
            vec!["encrypted-password", "a\"b", ";"]
        );
        assert_eq!(
            words("ssh { /* note */ x; }", true),
            vec!["ssh", "{", "x", ";", "}"]
        );
        assert_eq!(
            words("members [ a b ];", true),
            vec!["members", "[", "a", "b", "]", ";"]
        );
    }

    #[test]
    fn set_tokens_keep_braces_in_words() {
        assert_eq!(
            words("set apply-groups ${node} # trailing", false),
            vec!["set", "apply-groups", "${node}"]
        );
        assert_eq!(
            words(r#"set x "unterminated"#, false),
            vec!["set", "x", "unterminated"]
        );
    }

    #[test]
    fn block_comment_spans_lines() {
        let mut state = State::default();
        let mut out = Vec::new();
        line("a /* start", 0, true, &mut state, &mut out);
        assert!(state.in_comment);
        line("still */ b;", 20, true, &mut state, &mut out);
        let texts: Vec<&str> = out.iter().map(|t| t.text.as_ref()).collect();
        assert_eq!(texts, vec!["a", "b", ""]);
        assert_eq!(out[1].start, 29);
    }

    #[test]
    fn multibyte_text_does_not_panic() {
        let mut out = Vec::new();
        line(
            "descr \"é\\é\" ü{;",
            0,
            true,
            &mut State::default(),
            &mut out,
        );
        assert_eq!(out[1].text, "éé");
        assert_eq!(out[2].text, "ü");
    }
}
