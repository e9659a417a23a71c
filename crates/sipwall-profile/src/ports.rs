//! Port specifications: `5060`, `"10000-20000"`, `"any"` or `"${parameter}"`.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::params::parse_reference;

/// One port, an inclusive range, any port, or a reference to a profile parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortSpec {
    Any,
    Range(PortRange),
    Param(String),
}

/// An inclusive port range; a single port has `first == last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn single(port: u16) -> Self {
        PortRange {
            first: port,
            last: port,
        }
    }

    pub fn overlaps(&self, other: &PortRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }

    pub fn contains(&self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

impl PortSpec {
    pub fn single(port: u16) -> Self {
        PortSpec::Range(PortRange::single(port))
    }

    /// The concrete range this spec stands for; `Any` is 1-65535, parameters have none.
    pub fn range(&self) -> Option<PortRange> {
        match self {
            PortSpec::Any => Some(PortRange {
                first: 1,
                last: 65535,
            }),
            PortSpec::Range(range) => Some(*range),
            PortSpec::Param(_) => None,
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Any => f.write_str("any"),
            PortSpec::Range(range) => range.fmt(f),
            PortSpec::Param(name) => write!(f, "${{{name}}}"),
        }
    }
}

/// Why a port spec could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    #[error("port {0} is out of range: ports are 1-65535")]
    OutOfRange(i64),
    #[error("port range {0}-{1} runs backwards: the first port must not be above the last")]
    Backwards(u16, u16),
    #[error(
        "`{0}` is not a port: expected a number 1-65535, a range like 10000-20000, `any` or `${{parameter}}`"
    )]
    NotAPort(String),
    #[error("{0}")]
    BadReference(String),
}

fn parse_port_number(text: &str) -> Result<u16, PortError> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PortError::NotAPort(text.to_string()));
    }
    match text.parse::<i64>() {
        Ok(n) => port_from_int(n),
        // More digits than an i64 holds: still "out of range", not "not a port".
        Err(_) => Err(PortError::OutOfRange(i64::MAX)),
    }
}

fn port_from_int(value: i64) -> Result<u16, PortError> {
    if (1..=65535).contains(&value) {
        Ok(value as u16)
    } else {
        Err(PortError::OutOfRange(value))
    }
}

impl FromStr for PortSpec {
    type Err = PortError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("any") {
            return Ok(PortSpec::Any);
        }
        if let Some(reference) = parse_reference(text).map_err(PortError::BadReference)? {
            return Ok(PortSpec::Param(reference.to_string()));
        }
        match text.split_once('-') {
            Some((first, last)) => {
                let first = parse_port_number(first)?;
                let last = parse_port_number(last)?;
                if first > last {
                    return Err(PortError::Backwards(first, last));
                }
                Ok(PortSpec::Range(PortRange { first, last }))
            }
            None => Ok(PortSpec::single(parse_port_number(text)?)),
        }
    }
}

impl Serialize for PortSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PortSpec::Range(range) if range.first == range.last => {
                serializer.serialize_u16(range.first)
            }
            other => serializer.collect_str(other),
        }
    }
}

impl<'de> Deserialize<'de> for PortSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PortVisitor;

        impl Visitor<'_> for PortVisitor {
            type Value = PortSpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a port 1-65535, a range like \"10000-20000\", \"any\" or \"${parameter}\"",
                )
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<PortSpec, E> {
                port_from_int(value)
                    .map(PortSpec::single)
                    .map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<PortSpec, E> {
                self.visit_i64(i64::try_from(value).unwrap_or(i64::MAX))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<PortSpec, E> {
                value.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_any(PortVisitor)
    }
}

impl JsonSchema for PortSpec {
    fn schema_name() -> Cow<'static, str> {
        "PortSpec".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A port (1-65535), an inclusive range \"first-last\", \"any\", or \"${parameter}\".",
            "oneOf": [
                { "type": "integer", "minimum": 1, "maximum": 65535 },
                { "type": "string", "pattern": "^(any|[0-9]{1,5}(-[0-9]{1,5})?|\\$\\{[a-z][a-z0-9_]*\\})$" }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_forms() {
        assert_eq!("5060".parse::<PortSpec>(), Ok(PortSpec::single(5060)));
        assert_eq!(
            "10000-20000".parse::<PortSpec>().unwrap().range(),
            Some(PortRange {
                first: 10000,
                last: 20000
            })
        );
        assert_eq!("any".parse::<PortSpec>(), Ok(PortSpec::Any));
        assert_eq!(
            "${device_sip_port}".parse::<PortSpec>(),
            Ok(PortSpec::Param("device_sip_port".into()))
        );
    }

    #[test]
    fn rejects_bad_ports_with_the_reason() {
        assert_eq!(
            "70000".parse::<PortSpec>(),
            Err(PortError::OutOfRange(70000))
        );
        assert_eq!("0".parse::<PortSpec>(), Err(PortError::OutOfRange(0)));
        assert_eq!(
            "20-10".parse::<PortSpec>(),
            Err(PortError::Backwards(20, 10))
        );
        assert!(matches!(
            "http".parse::<PortSpec>(),
            Err(PortError::NotAPort(_))
        ));
        assert!(matches!(
            "5060-".parse::<PortSpec>(),
            Err(PortError::NotAPort(_))
        ));
        assert!(matches!(
            "99999999999999999999999".parse::<PortSpec>(),
            Err(PortError::OutOfRange(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for text in ["5060", "10000-20000", "any", "${p}"] {
            assert_eq!(text.parse::<PortSpec>().unwrap().to_string(), text);
        }
    }
}
