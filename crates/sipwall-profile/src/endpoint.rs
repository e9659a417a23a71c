//! Remote endpoints: `any`, an IP address or CIDR prefix, a DNS name, or `${parameter}`.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::params::parse_reference;

/// Where traffic may come from or go to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Any,
    /// An address (stored as a /32 or /128) or a prefix.
    Net(IpNet),
    /// A DNS name, resolved by the firewall or by sipwall when needed.
    Host(String),
    Param(String),
}

impl Endpoint {
    /// True when the two endpoints can name a common address. DNS names and parameters are
    /// compared by name, since their addresses are not known here.
    pub fn overlaps(&self, other: &Endpoint) -> bool {
        match (self, other) {
            (Endpoint::Any, _) | (_, Endpoint::Any) => true,
            (Endpoint::Net(a), Endpoint::Net(b)) => {
                a.contains(&b.network()) || b.contains(&a.network())
            }
            (Endpoint::Host(a), Endpoint::Host(b)) => a.eq_ignore_ascii_case(b),
            (Endpoint::Param(a), Endpoint::Param(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Any => f.write_str("any"),
            Endpoint::Net(net) if net.prefix_len() == net.max_prefix_len() => net.addr().fmt(f),
            Endpoint::Net(net) => net.fmt(f),
            Endpoint::Host(name) => f.write_str(name),
            Endpoint::Param(name) => write!(f, "${{{name}}}"),
        }
    }
}

/// Why an endpoint could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "`{0}` is not a valid CIDR prefix: expected ADDRESS/LENGTH, e.g. 200.219.237.64/27 or 2001:db8::/32"
    )]
    BadCidr(String),
    #[error("`{text}` has host bits set below the /{len} prefix; did you mean {network}?")]
    HostBits {
        text: String,
        len: u8,
        network: String,
    },
    #[error("`{0}` looks like an IPv4 address but is not a valid one")]
    BadIpv4(String),
    #[error("`{0}` is not an address, prefix, DNS name, `any` or `${{parameter}}`")]
    BadName(String),
    #[error("{0}")]
    BadReference(String),
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("any") {
            return Ok(Endpoint::Any);
        }
        if let Some(reference) = parse_reference(text).map_err(EndpointError::BadReference)? {
            return Ok(Endpoint::Param(reference.to_string()));
        }
        if let Ok(addr) = text.parse::<IpAddr>() {
            return Ok(Endpoint::Net(IpNet::from(addr)));
        }
        if text.contains('/') {
            let net: IpNet = text
                .parse()
                .map_err(|_| EndpointError::BadCidr(text.to_string()))?;
            if net.trunc() != net {
                return Err(EndpointError::HostBits {
                    text: text.to_string(),
                    len: net.prefix_len(),
                    network: net.trunc().to_string(),
                });
            }
            return Ok(Endpoint::Net(net));
        }
        if text
            .split('.')
            .all(|label| label.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(EndpointError::BadIpv4(text.to_string()));
        }
        if is_dns_name(text) {
            return Ok(Endpoint::Host(text.to_ascii_lowercase()));
        }
        Err(EndpointError::BadName(text.to_string()))
    }
}

/// RFC 1123 host name: dot-separated labels of letters, digits and inner dashes.
fn is_dns_name(text: &str) -> bool {
    let text = text.strip_suffix('.').unwrap_or(text);
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Endpoint {
    fn schema_name() -> Cow<'static, str> {
        "Endpoint".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "\"any\", an IPv4/IPv6 address, a CIDR prefix (no host bits), a DNS name, or \"${parameter}\"."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Endpoint, EndpointError> {
        text.parse()
    }

    #[test]
    fn reads_every_form() {
        assert_eq!(parse("any"), Ok(Endpoint::Any));
        assert_eq!(parse("52.67.38.195").unwrap().to_string(), "52.67.38.195");
        assert_eq!(
            parse("200.219.237.64/27").unwrap().to_string(),
            "200.219.237.64/27"
        );
        assert_eq!(parse("2001:db8::/32").unwrap().to_string(), "2001:db8::/32");
        assert_eq!(
            parse("Contact.UCPro.algartelem.com.br"),
            Ok(Endpoint::Host("contact.ucpro.algartelem.com.br".into()))
        );
        assert_eq!(
            parse("${outbound_proxy}"),
            Ok(Endpoint::Param("outbound_proxy".into()))
        );
    }

    #[test]
    fn rejects_bad_addresses_with_the_reason() {
        assert!(matches!(
            parse("10.0.0.0/33"),
            Err(EndpointError::BadCidr(_))
        ));
        assert!(matches!(
            parse("10.0.0.300"),
            Err(EndpointError::BadIpv4(_))
        ));
        assert!(matches!(
            parse("10.0.0.1/24"),
            Err(EndpointError::HostBits { .. })
        ));
        assert!(matches!(
            parse("bad_name.example"),
            Err(EndpointError::BadName(_))
        ));
        assert!(matches!(
            parse("${Bad Name}"),
            Err(EndpointError::BadReference(_))
        ));
    }

    #[test]
    fn overlap_follows_prefixes() {
        let wide = parse("200.201.192.0/18").unwrap();
        let inside = parse("200.201.200.7").unwrap();
        let outside = parse("200.202.0.1").unwrap();
        assert!(wide.overlaps(&inside) && inside.overlaps(&wide));
        assert!(!wide.overlaps(&outside));
        assert!(Endpoint::Any.overlaps(&outside));
    }
}
