//! Export formats, one module each, alike in shape: `ID` (the `--format` name), `EXPORT` (how to
//! get the export from the device, in words), `fn fingerprint(&str) -> u32` (how sure the text is
//! this format: 0 not at all, 100 certain) and `fn parse(&Source, &Hints) -> Result<Parsed,
//! ParseError>`.

use std::fmt;

use serde::Serialize;

use sipwall_firewall::model::{PortRange, Ports};

use crate::coverage::Coverage;
use crate::device::Device;
use crate::source::{Source, Span};

macro_rules! formats {
    ($($variant:ident => $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// A firewall export format sipwall reads.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Format {
            $($variant),*
        }

        impl Format {
            pub const ALL: &'static [Format] = &[$(Format::$variant),*];

            /// The `--format` name.
            pub fn id(self) -> &'static str {
                match self { $(Format::$variant => $module::ID),* }
            }

            /// How to get this export from the device.
            pub fn export(self) -> &'static str {
                match self { $(Format::$variant => $module::EXPORT),* }
            }

            /// 0 (not this format) to 100 (certainly this format).
            pub fn fingerprint(self, text: &str) -> u32 {
                match self { $(Format::$variant => $module::fingerprint(text)),* }
            }

            pub fn parse(self, source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
                match self { $(Format::$variant => $module::parse(source, hints)),* }
            }
        }
    };
}

pub mod linux;
pub(crate) mod nets;
pub(crate) mod ports;

formats! {
    Nftables => nftables,
    Iptables => iptables,
    Openwrt => openwrt,
    Mikrotik => mikrotik,
    Fortigate => fortigate,
    CiscoAsa => cisco_asa,
    Junos => junos,
    Panos => panos,
    Vyos => vyos,
    Pfsense => pfsense,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Format {
    /// The format for `--format NAME`; the error lists the valid names.
    pub fn from_id(name: &str) -> Result<Format, String> {
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.id().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let valid: Vec<&str> = Format::ALL.iter().map(|f| f.id()).collect();
                format!(
                    "unknown format `{name}`; valid formats: {}",
                    valid.join(", ")
                )
            })
    }

    /// The format whose fingerprint is strongest, when one is at least 30 and ahead of the
    /// next; otherwise an error naming the candidates.
    pub fn detect(text: &str) -> Result<Format, ParseError> {
        if text.contains('\0') {
            return Err(ParseError::new(
                "the input is binary, not a text export",
                None,
                "export the configuration as text (see `sipwall audit --help` for the command per vendor)",
            ));
        }
        let mut scores: Vec<(u32, Format)> = Format::ALL
            .iter()
            .map(|f| (f.fingerprint(text), *f))
            .collect();
        scores.sort_by_key(|s| std::cmp::Reverse(s.0));
        let (best, format) = scores[0];
        let second = scores.get(1).map(|s| s.0).unwrap_or(0);
        if best >= 30 && best > second {
            Ok(format)
        } else {
            let valid: Vec<&str> = Format::ALL.iter().map(|f| f.id()).collect();
            Err(ParseError::new(
                "could not tell which firewall this export is from",
                None,
                format!("name it with --format ({})", valid.join(", ")),
            ))
        }
    }
}

/// What the user told us about the device that the export may not say.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// WAN interface or zone names (`--wan`); parsers infer them when empty.
    pub wan: Vec<String>,
    /// LAN interface or zone names (`--lan`).
    pub lan: Vec<String>,
}

impl Hints {
    pub fn is_wan(&self, name: &str) -> bool {
        self.wan.iter().any(|w| w == name)
    }

    pub fn is_lan(&self, name: &str) -> bool {
        self.lan.iter().any(|l| l == name)
    }
}

/// A parsed export: the device facts and the coverage of its lines.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub device: Device,
    pub coverage: Coverage,
}

/// Why an export could not be read at all (a line the parser does not know is not an error:
/// it is counted as unknown in the coverage).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    pub span: Option<Span>,
    pub hint: String,
}

impl ParseError {
    pub fn new(message: impl Into<String>, span: Option<Span>, hint: impl Into<String>) -> Self {
        ParseError {
            message: message.into(),
            span,
            hint: hint.into(),
        }
    }
}

/// Items beyond which [`by_source_ports`] only groups equal source ports (linear time on
/// hostile inputs; a real service has a handful).
const MAX_SPLIT_ITEMS: usize = 256;

/// The `(destination ports, source ports)` items of one rule (a service with several
/// `dst:src` entries, an application with several terms) as filter rules with disjoint
/// destination ports: `(source ports, destination ports)`, each destination port with the
/// union of the source ports of every item that names it. A packet matches one of the results
/// exactly when it matches one of the items, so an item from 5060 and one from 5080 to the
/// same port together cover a flow from both.
pub(crate) fn by_source_ports(items: &[(Ports, Ports)]) -> Vec<(Ports, Ports)> {
    /// Adds `ranges` to the group of `source` (groups keep their first-seen order).
    fn add(groups: &mut Vec<(Ports, Vec<PortRange>)>, source: Ports, ranges: Vec<PortRange>) {
        match groups.iter_mut().find(|(s, _)| *s == source) {
            Some((_, into)) => into.extend(ranges),
            None => groups.push((source, ranges)),
        }
    }
    let mut groups: Vec<(Ports, Vec<PortRange>)> = Vec::new();
    let alike = items.windows(2).all(|w| w[0].1 == w[1].1);
    if alike || items.len() > MAX_SPLIT_ITEMS {
        for (destination, source) in items {
            add(&mut groups, source.clone(), destination.ranges());
        }
    } else {
        // Elementary segments of the destination ports: every item covers each one whole or
        // not at all.
        let mut bounds: Vec<u32> = items
            .iter()
            .flat_map(|(d, _)| d.ranges())
            .flat_map(|r| [u32::from(r.first), u32::from(r.last) + 1])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        for pair in bounds.windows(2) {
            let (first, last) = (pair[0] as u16, (pair[1] - 1) as u16);
            let mut sources: Vec<PortRange> = Vec::new();
            let mut any = false;
            for (destination, source) in items {
                if destination
                    .ranges()
                    .iter()
                    .any(|r| r.first <= first && first <= r.last)
                {
                    any |= source.is_any();
                    sources.extend(source.ranges());
                }
            }
            if sources.is_empty() {
                continue;
            }
            let source = if any {
                Ports::Any
            } else {
                Ports::from_ranges(sources)
            };
            add(&mut groups, source, vec![PortRange::new(first, last)]);
        }
    }
    groups
        .into_iter()
        .map(|(source, ranges)| (source, Ports::from_ranges(ranges)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(ranges: &[(u16, u16)]) -> Ports {
        Ports::from_ranges(ranges.iter().map(|&(a, b)| PortRange::new(a, b)))
    }

    #[test]
    fn items_split_by_destination_with_their_source_ports_joined() {
        // Two items to every port, one from 5060-5061 and one from 5080: together from both.
        let out = by_source_ports(&[
            (Ports::Any, ports(&[(5060, 5061)])),
            (Ports::Any, Ports::single(5080)),
        ]);
        assert_eq!(
            out,
            vec![(ports(&[(5060, 5061), (5080, 5080)]), Ports::Any)]
        );
        // An item from any port to 5060 and one from 65002 to 5060-5070.
        let out = by_source_ports(&[
            (Ports::single(5060), Ports::Any),
            (ports(&[(5060, 5070)]), Ports::single(65002)),
        ]);
        assert_eq!(
            out,
            vec![
                (Ports::Any, Ports::single(5060)),
                (Ports::single(65002), ports(&[(5061, 5070)])),
            ]
        );
        // Equal source ports: one group, destinations joined.
        let out = by_source_ports(&[
            (Ports::single(80), Ports::Any),
            (Ports::single(443), Ports::Any),
        ]);
        assert_eq!(out, vec![(Ports::Any, ports(&[(80, 80), (443, 443)]))]);
        assert!(by_source_ports(&[]).is_empty());
    }
}
