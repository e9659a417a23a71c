//! Shared by the Cisco dialects (`cisco-asa`; meant for `cisco-ios` too): `!` comment output (a comment in
//! both CLIs), explain blocks, masks, object names and version parsing.

use std::net::Ipv4Addr;

use crate::model::{Origin, Policy};

/// Output with one-space sub-command indentation and `!` comments.
pub(in crate::vendors) struct Out<'a> {
    pub text: String,
    pub explain: bool,
    pub policy: &'a Policy,
}

impl<'a> Out<'a> {
    pub fn new(policy: &'a Policy, explain: bool) -> Self {
        Out {
            text: String::new(),
            explain,
            policy,
        }
    }

    /// A command line; `indent` is the sub-command depth (one space each).
    pub fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.text.push(' ');
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// A `!` comment wrapped at about 96 columns; leading spaces of `text` are kept.
    pub fn note(&mut self, text: &str) {
        let lead = &text[..text.len() - text.trim_start().len()];
        let first = format!("!{lead}");
        let mut current = first.clone();
        for word in text.split_whitespace() {
            if current.len() + word.len() + 1 > 96 && current != first {
                self.line(0, &current);
                current = format!("!{lead}  ");
            }
            current.push(' ');
            current.push_str(word);
        }
        self.line(0, &current);
    }

    /// A `! ` comment kept on one line (a command to uncomment must not be wrapped).
    pub fn verbatim(&mut self, text: &str) {
        self.line(0, &format!("! {text}"));
    }

    /// A lone `!` (ends a sub-mode block in a paste, and separates sections).
    pub fn bang(&mut self) {
        self.line(0, "!");
    }

    /// In explain mode: the requirement and each of its sources.
    pub fn origins(&mut self, headline: &str, origins: &[Origin]) {
        if !self.explain {
            return;
        }
        for line in crate::vendors::explanation(headline, origins) {
            self.note(&line);
        }
    }

    /// In explain mode: the documents the sources cite.
    pub fn documents(&mut self) {
        let policy = self.policy;
        if self.explain && !policy.documents.is_empty() {
            self.bang();
            for line in crate::vendors::document_lines(policy) {
                self.note(&line);
            }
        }
    }
}

/// A dotted netmask for a prefix length (`24` → `255.255.255.0`).
pub(in crate::vendors) fn mask(prefix: u8) -> Ipv4Addr {
    let bits: u32 = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    };
    Ipv4Addr::from(bits)
}

/// An object / ACL name: the shared rule of the zone-based dialects.
pub(in crate::vendors) use crate::vendors::object_name as name;

/// Seconds as the ASA `hh:mm:ss` form (`90` → `0:01:30`).
pub(in crate::vendors) fn hms(seconds: u32) -> String {
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    )
}

/// The numbers of a version text after an optional product word: "9.16(4)", "ASA 9.18",
/// "v9.x", "IOS-XE 17.9.4a", "15.2(4)M" → the leading `major` and `minor` (0 when absent or
/// `x`); `None` when no number leads.
pub(in crate::vendors) fn parse_version(text: &str) -> Option<(u32, u32)> {
    let text = text.trim().to_ascii_lowercase();
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let prefix = text[..start].trim();
    let known = [
        "", "v", "asa", "asa v", "ios", "ios-xe", "iosxe", "ios xe", "xe",
    ];
    if !known.contains(&prefix) {
        return None;
    }
    let rest = &text[start..];
    let mut parts = rest.split(['.', '(', ')']);
    let major: u32 = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        None | Some("") | Some("x") => 0,
        Some(minor) => {
            let digits: String = minor.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()?
        }
    };
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_names_and_times() {
        assert_eq!(mask(24).to_string(), "255.255.255.0");
        assert_eq!(mask(0).to_string(), "0.0.0.0");
        assert_eq!(name("sip out/udp", 64), "sip-out-udp");
        assert_eq!(hms(90), "0:01:30");
        assert_eq!(hms(43200), "12:00:00");
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("9.16(4)"), Some((9, 16)));
        assert_eq!(parse_version("ASA 9.18"), Some((9, 18)));
        assert_eq!(parse_version("9.x"), Some((9, 0)));
        assert_eq!(parse_version("IOS-XE 17.9.4a"), Some((17, 9)));
        assert_eq!(parse_version("15.2(4)M"), Some((15, 2)));
        assert_eq!(parse_version("nine"), None);
        assert_eq!(parse_version("FortiOS 7.0"), None);
    }
}
