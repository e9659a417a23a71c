//! Shared by the line-oriented dialects sipwall renders as a script to paste (OpenWrt UCI shell,
//! RouterOS, VyOS/EdgeOS): a writer with `#` comments wrapped at about 96 columns, the
//! `--explain` blocks (requirement and sources), and small helpers on the model.

use ipnet::IpNet;

use super::Limitation;
use crate::model::{Action, Address, Origin, Policy};

/// Script text with `#` comments, optional explanations.
pub(super) struct Script<'a> {
    pub text: String,
    pub explain: bool,
    pub policy: &'a Policy,
}

impl<'a> Script<'a> {
    pub fn new(policy: &'a Policy, explain: bool) -> Self {
        Script {
            text: String::new(),
            explain,
            policy,
        }
    }

    pub fn line(&mut self, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
    }

    pub fn blank(&mut self) {
        self.text.push('\n');
    }

    /// A `#` comment wrapped at about 96 columns; leading spaces of `text` are kept.
    pub fn note(&mut self, text: &str) {
        let lead = &text[..text.len() - text.trim_start().len()];
        let first = format!("#{lead}");
        let mut current = first.clone();
        for word in text.split_whitespace() {
            if current.len() + word.len() + 1 > 96 && current != first {
                self.line(&current);
                current = format!("#{lead}  ");
            }
            current.push(' ');
            current.push_str(word);
        }
        self.line(&current);
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

    /// The header lines every dialect shares: profile, forward default, documents, limitations.
    pub fn header(&mut self, dialect: &str, limitations: &[Limitation]) {
        let policy = self.policy;
        match &policy.profile {
            Some(p) => self.note(&format!(
                "sipwall rules: profile {} ({}), {dialect}",
                p.id, p.name
            )),
            None => self.note(&format!("sipwall rules: {dialect}")),
        }
        if self.explain && !policy.documents.is_empty() {
            self.line("#");
            for line in crate::vendors::document_lines(policy) {
                self.note(&line);
            }
        }
        if !limitations.is_empty() {
            self.line("#");
            self.note(&format!(
                "Not (fully) expressed by {dialect}, do it elsewhere:"
            ));
            for limitation in limitations {
                self.note(&format!("- {}: {}", limitation.topic, limitation.text));
            }
        }
    }
}

/// Printable ASCII without quotes or backslashes, at most `max` characters: safe inside
/// single or double quotes in every dialect here.
pub(super) fn clean(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | '$' | '`' | ';') {
                c
            } else {
                ' '
            }
        })
        .take(max)
        .collect();
    clean.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Letters, digits and `_`; lower case.
pub(super) fn ident(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The addresses of one side of a rule, split into IPv4 and IPv6 prefixes (aggregated) and DNS
/// names. All three empty means any address.
#[derive(Debug, Clone, Default)]
pub(super) struct Split {
    pub v4: Vec<IpNet>,
    pub v6: Vec<IpNet>,
    pub fqdn: Vec<String>,
}

impl Split {
    pub fn of(addresses: &[Address]) -> Split {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        let mut fqdn = Vec::new();
        for address in addresses {
            match address {
                Address::Net(net @ IpNet::V4(_)) => v4.push(net.trunc()),
                Address::Net(net @ IpNet::V6(_)) => v6.push(net.trunc()),
                Address::Fqdn(name) => {
                    if !fqdn.contains(name) {
                        fqdn.push(name.clone());
                    }
                }
            }
        }
        Split {
            v4: IpNet::aggregate(&v4),
            v6: IpNet::aggregate(&v6),
            fqdn,
        }
    }

    pub fn is_any(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty() && self.fqdn.is_empty()
    }
}

/// An address or prefix as admins write it (no `/32` or `/128`).
pub(super) fn net_text(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// The DNS names a policy uses, in order of first use.
pub(super) fn fqdns(policy: &Policy) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let all = policy
        .rules
        .iter()
        .flat_map(|r| r.source.iter().chain(&r.destination))
        .chain(
            policy
                .hygiene
                .source_whitelists
                .iter()
                .flat_map(|w| &w.allowed),
        );
    for address in all {
        if let Address::Fqdn(name) = address
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    }
    names
}

/// The limitations every dialect states the same way: the profile's notes (session TTL,
/// hairpinning, advice), each with the dialect's own hint.
pub(super) fn note_limitations(
    policy: &Policy,
    dialect: &str,
    hint: impl Fn(&str) -> Option<String>,
) -> Vec<Limitation> {
    policy
        .notes
        .iter()
        .map(|note| {
            let text = match hint(&note.topic) {
                Some(hint) => format!("{}: {hint}", note.text),
                None => format!("not expressed by {dialect}: {}", note.text),
            };
            Limitation {
                topic: note.topic.clone(),
                text,
                origins: note.origins.clone(),
            }
        })
        .collect()
}

/// The largest unreplied and replied UDP timeouts the policy asks for, if any.
pub(super) fn udp_timeouts(policy: &Policy) -> Option<(u32, u32)> {
    let udp: Vec<_> = policy
        .timeouts
        .iter()
        .filter(|t| t.protocol == crate::model::Protocol::Udp)
        .collect();
    if udp.is_empty() {
        return None;
    }
    Some((
        udp.iter().map(|t| t.unreplied_seconds).max().unwrap_or(0),
        udp.iter().map(|t| t.replied_seconds).max().unwrap_or(0),
    ))
}

pub(super) fn verdict_upper(action: Action) -> &'static str {
    match action {
        Action::Accept => "ACCEPT",
        Action::Drop => "DROP",
    }
}
