//! Reading a profile: TOML text → typed [`Profile`] → semantic checks, every problem located.

use std::ops::Range;
use std::path::Path as FsPath;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, Location};
use crate::model::Profile;
use crate::validate::{self, Finding};
use crate::walk::{Path, Segment};

/// Profiles are small; anything this large is not one and is refused before parsing.
pub const MAX_PROFILE_BYTES: usize = 4 * 1024 * 1024;

/// A profile that passed every check, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub profile: Profile,
    pub warnings: Vec<Diagnostic>,
}

/// Reads a profile file. `Err` holds at least one error, plus any warnings.
pub fn load_file(path: &FsPath) -> Result<Loaded, Vec<Diagnostic>> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|err| {
        vec![
            Diagnostic::error(format!("cannot read {origin}: {err}")).with_hint(
                "check the path; built-in profiles are listed by `sipwall profile list`",
            ),
        ]
    })?;
    let text =
        String::from_utf8(bytes).map_err(|err| {
            let offset = err.utf8_error().valid_up_to();
            vec![Diagnostic::error(format!(
            "{origin}: byte {offset} is not valid UTF-8; a profile is a UTF-8 TOML text file"
        ))
        .with_hint("save the file as UTF-8")]
        })?;
    load_str(&text, &origin)
}

/// Reads a profile from text; `origin` names it in messages (a file name or `builtin:ID`).
pub fn load_str(text: &str, origin: &str) -> Result<Loaded, Vec<Diagnostic>> {
    if text.len() > MAX_PROFILE_BYTES {
        return Err(vec![
            Diagnostic::error(format!(
                "{origin} is {} bytes; profiles are limited to {MAX_PROFILE_BYTES} bytes",
                text.len()
            ))
            .with_hint("is this really a profile? profiles are short TOML files"),
        ]);
    }
    let profile: Profile = match toml::from_str(text) {
        Ok(profile) => profile,
        Err(err) => return Err(vec![from_toml_error(&err, text, origin)]),
    };
    let findings = validate::check(&profile);
    let tree = DeTable::parse(text).ok();
    let diagnostics: Vec<Diagnostic> = findings
        .into_iter()
        .map(|finding| locate(finding, tree.as_ref(), text, origin))
        .collect();
    if diagnostics.iter().any(Diagnostic::is_error) {
        let mut sorted = diagnostics;
        sorted.sort_by_key(|d| std::cmp::Reverse(d.severity));
        return Err(sorted);
    }
    Ok(Loaded {
        profile,
        warnings: diagnostics,
    })
}

fn from_toml_error(err: &toml::de::Error, text: &str, origin: &str) -> Diagnostic {
    let message = err.message().trim().to_string();
    let hint = hint_for(&message);
    let mut diagnostic = Diagnostic::error(message).with_hint(hint);
    if let Some(span) = err.span() {
        diagnostic.location = Some(Location::new(origin, text, span));
    }
    diagnostic
}

/// A hint for the common serde/TOML messages; the message itself already names the problem.
fn hint_for(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or("");
        let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        return match closest(field, &expected) {
            Some(best) => format!("did you mean `{best}`? unknown keys are rejected so that typos do not go unnoticed"),
            None => "remove the key or correct its spelling; the keys are listed in docs/profile-format.md".into(),
        };
    }
    if message.starts_with("missing field") {
        return "add the field; see docs/profile-format.md for what each section needs".into();
    }
    if message.starts_with("unknown variant") {
        return "use one of the listed values".into();
    }
    if message.contains("port") {
        return "ports are whole numbers 1-65535, ranges like \"10000-20000\", \"any\" or \"${parameter}\"".into();
    }
    if message.contains("invalid type") {
        return "check the value's type against docs/profile-format.md (strings need quotes, lists need [ ])".into();
    }
    "check the TOML syntax near here: quotes, brackets, and one `key = value` per line".into()
}

/// The candidate with the smallest edit distance, when it is close enough to be a typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(word, c), *c))
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn locate(
    finding: Finding,
    tree: Option<&Spanned<DeTable<'_>>>,
    text: &str,
    origin: &str,
) -> Diagnostic {
    let span = tree.map(|tree| span_of(tree, &finding.path));
    let mut diagnostic = finding.diagnostic;
    diagnostic.path = Some(finding.path.to_string()).filter(|p| !p.is_empty());
    if let Some(span) = span {
        diagnostic.location = Some(Location::new(origin, text, span));
    }
    diagnostic
}

/// The span of the deepest part of `path` present in the document (a defaulted key is
/// absent from the text; its parent is the best place to point at).
fn span_of(tree: &Spanned<DeTable<'_>>, path: &Path) -> Range<usize> {
    let mut span = 0..0;
    let root = DeValue::Table(tree.get_ref().clone());
    let mut current: &DeValue<'_> = &root;
    for segment in &path.0 {
        let next = match segment {
            Segment::Key(key) => current.get(key.as_str()),
            Segment::Index(index) => current.get(*index),
        };
        match next {
            Some(value) => {
                if !value.span().is_empty() {
                    span = value.span();
                }
                current = value.get_ref();
            }
            None => break,
        }
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_key() {
        assert_eq!(
            closest("remote_port", &["remote", "remote_ports"]),
            Some("remote_ports")
        );
        assert_eq!(closest("zzz", &["remote", "remote_ports"]), None);
    }
}
