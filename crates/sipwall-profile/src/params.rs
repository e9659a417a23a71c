//! Profile parameters: values the provider leaves to the customer, referenced as `${name}` and
//! filled with `--set name=value`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::model::{Parameter, ParameterKind, Profile};
use crate::ports::PortSpec;
use crate::walk::{Path, walk_strings};

/// Reads `${name}`; `Ok(None)` when the text is not a reference at all.
pub fn parse_reference(text: &str) -> Result<Option<&str>, String> {
    let Some(rest) = text.strip_prefix("${") else {
        return Ok(None);
    };
    let Some(name) = rest.strip_suffix('}') else {
        return Err(format!(
            "`{text}` opens a parameter reference but does not close it with `}}`"
        ));
    };
    if !is_parameter_name(name) {
        return Err(format!(
            "`{text}`: parameter names use lowercase letters, digits and `_`, starting with a letter"
        ));
    }
    Ok(Some(name))
}

pub fn is_parameter_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Reads one `--set name=value` argument.
pub fn parse_assignment(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() && !value.trim().is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!(
            "`{arg}` is not NAME=VALUE (e.g. --set outbound_proxy=sip.example.net)"
        )),
    }
}

/// Checks a value against the kind of parameter it is for.
pub fn check_value(kind: ParameterKind, value: &str) -> Result<(), String> {
    match kind {
        ParameterKind::Host => match value.parse::<Endpoint>() {
            Ok(Endpoint::Param(_)) => Err("a parameter value cannot be another reference".into()),
            Ok(_) => Ok(()),
            Err(err) => Err(err.to_string()),
        },
        ParameterKind::Ports => match value.parse::<PortSpec>() {
            Ok(PortSpec::Param(_)) => Err("a parameter value cannot be another reference".into()),
            Ok(_) => Ok(()),
            Err(err) => Err(err.to_string()),
        },
        ParameterKind::Interface => {
            if !value.is_empty() && value.len() <= 64 && !value.chars().any(char::is_whitespace) {
                Ok(())
            } else {
                Err("interface names are 1-64 characters without spaces".into())
            }
        }
    }
}

/// Every `${name}` in the profile, with where it stands.
pub fn references(profile: &Profile) -> Vec<(Path, String)> {
    let value = serde_json::to_value(profile).expect("profiles serialise to JSON");
    let mut found = Vec::new();
    walk_strings(&value, &mut Path::default(), &mut |path, text| {
        if let Ok(Some(name)) = parse_reference(text) {
            found.push((path.clone(), name.to_string()));
        }
    });
    found
}

/// Where a parameter's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueOrigin {
    Set,
    Default,
    Open,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParameterValue {
    pub name: String,
    pub value: Option<String>,
    pub origin: ValueOrigin,
    /// True when some field of the profile uses the parameter.
    pub used: bool,
}

/// A profile with every parameter that has a value substituted.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub profile: Profile,
    pub parameters: Vec<ParameterValue>,
}

impl Resolved {
    /// Parameters that are used but have no value.
    pub fn open(&self) -> Vec<&ParameterValue> {
        self.parameters
            .iter()
            .filter(|p| p.used && p.origin == ValueOrigin::Open)
            .collect()
    }

    /// For commands that need concrete values: fails naming every open parameter.
    pub fn require_complete(self) -> Result<Profile, ResolveError> {
        let open: Vec<String> = self.open().iter().map(|p| p.name.clone()).collect();
        if open.is_empty() {
            Ok(self.profile)
        } else {
            Err(ResolveError::Open {
                hints: open
                    .iter()
                    .map(|name| describe_open(&self.profile, name))
                    .collect(),
                names: open,
            })
        }
    }
}

fn describe_open(profile: &Profile, name: &str) -> String {
    let Some(parameter) = find(profile, name) else {
        return format!("--set {name}=VALUE");
    };
    let example = parameter.example.as_deref().unwrap_or("VALUE");
    format!("--set {name}={example}  ({})", parameter.description)
}

fn find<'a>(profile: &'a Profile, name: &str) -> Option<&'a Parameter> {
    profile.parameters.iter().find(|p| p.name == name)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("profile `{profile}` has no parameter `{name}`{}", known_list(.known))]
    Unknown {
        profile: String,
        name: String,
        known: Vec<String>,
    },
    #[error("--set {name}={value}: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
    #[error("parameter{} {} not set; set {}:\n  {}",
        if .names.len() == 1 { "" } else { "s" },
        .names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
        if .names.len() == 1 { "it" } else { "them" },
        .hints.join("\n  "))]
    Open {
        names: Vec<String>,
        hints: Vec<String>,
    },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "; it has no parameters".to_string()
    } else {
        format!("; its parameters are: {}", known.join(", "))
    }
}

/// Substitutes `--set` values and defaults into the profile. Open parameters stay as
/// `${name}` references and are listed in [`Resolved::parameters`].
pub fn resolve(
    profile: &Profile,
    set: &BTreeMap<String, String>,
) -> Result<Resolved, ResolveError> {
    for (name, value) in set {
        let parameter = find(profile, name).ok_or_else(|| ResolveError::Unknown {
            profile: profile.id.clone(),
            name: name.clone(),
            known: profile.parameters.iter().map(|p| p.name.clone()).collect(),
        })?;
        check_value(parameter.kind, value).map_err(|reason| ResolveError::Invalid {
            name: name.clone(),
            value: value.clone(),
            reason,
        })?;
    }
    let used: BTreeSet<String> = references(profile).into_iter().map(|(_, n)| n).collect();
    let parameters: Vec<ParameterValue> = profile
        .parameters
        .iter()
        .map(|p| {
            let (value, origin) = match (set.get(&p.name), &p.default) {
                (Some(v), _) => (Some(v.clone()), ValueOrigin::Set),
                (None, Some(d)) => (Some(d.clone()), ValueOrigin::Default),
                (None, None) => (None, ValueOrigin::Open),
            };
            ParameterValue {
                name: p.name.clone(),
                value,
                origin,
                used: used.contains(&p.name),
            }
        })
        .collect();
    let values: BTreeMap<&str, &str> = parameters
        .iter()
        .filter_map(|p| Some((p.name.as_str(), p.value.as_deref()?)))
        .collect();
    let mut tree = serde_json::to_value(profile).expect("profiles serialise to JSON");
    substitute(&mut tree, &values);
    let profile = serde_json::from_value(tree).map_err(|err| ResolveError::Invalid {
        name: "(substitution)".into(),
        value: String::new(),
        reason: err.to_string(),
    })?;
    Ok(Resolved {
        profile,
        parameters,
    })
}

fn substitute(value: &mut Value, values: &BTreeMap<&str, &str>) {
    match value {
        Value::String(text) => {
            if let Ok(Some(name)) = parse_reference(text)
                && let Some(replacement) = values.get(name)
            {
                *text = replacement.to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, values)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, values)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_strict() {
        assert_eq!(
            parse_reference("${outbound_proxy}"),
            Ok(Some("outbound_proxy"))
        );
        assert_eq!(parse_reference("5060"), Ok(None));
        assert!(parse_reference("${open").is_err());
        assert!(parse_reference("${Upper}").is_err());
        assert!(parse_reference("${}").is_err());
    }

    #[test]
    fn assignments_need_a_name_and_a_value() {
        assert_eq!(parse_assignment("a=b"), Ok(("a".into(), "b".into())));
        assert!(parse_assignment("a=").is_err());
        assert!(parse_assignment("=b").is_err());
        assert!(parse_assignment("ab").is_err());
    }

    #[test]
    fn values_are_checked_by_kind() {
        assert!(check_value(ParameterKind::Host, "sip.example.net").is_ok());
        assert!(check_value(ParameterKind::Host, "10.0.0.300").is_err());
        assert!(check_value(ParameterKind::Ports, "5060").is_ok());
        assert!(check_value(ParameterKind::Ports, "70000").is_err());
        assert!(check_value(ParameterKind::Interface, "eth0").is_ok());
        assert!(check_value(ParameterKind::Interface, "my wan").is_err());
    }
}
