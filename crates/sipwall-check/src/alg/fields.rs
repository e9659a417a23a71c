//! The fields an ALG rewrites, picked out of a parsed message: URI host:ports, Via entries,
//! SDP addresses and ports. Lenient like the message view: anything unexpected is simply
//! "not found", and the comparison then falls back to comparing text.

use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

/// A `host[:port]` as written in a URI, a Via `sent-by` or an SDP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPort {
    pub host: String,
    pub port: Option<u16>,
}

impl HostPort {
    /// Parses `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address (SDP).
    pub fn parse(text: &str) -> HostPort {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix('[')
            && let Some((host, after)) = rest.split_once(']')
        {
            return HostPort {
                host: host.to_owned(),
                port: after.strip_prefix(':').and_then(|p| p.parse().ok()),
            };
        }
        if text.matches(':').count() == 1
            && let Some((host, port)) = text.split_once(':')
        {
            return HostPort {
                host: host.to_owned(),
                port: port.parse().ok(),
            };
        }
        HostPort {
            host: text.to_owned(),
            port: None,
        }
    }

    /// The host as an IP, if it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
    }

    /// Whether this names `addr`: same IP, and same port when a port is written.
    pub fn is(&self, addr: SocketAddr) -> bool {
        self.ip() == Some(addr.ip().to_canonical()) && self.port.is_none_or(|p| p == addr.port())
    }
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bracket = self.host.contains(':');
        match (bracket, self.port) {
            (true, Some(p)) => write!(f, "[{}]:{p}", self.host),
            (true, None) => write!(f, "{}", self.host),
            (false, Some(p)) => write!(f, "{}:{p}", self.host),
            (false, None) => write!(f, "{}", self.host),
        }
    }
}

/// Where the `host[:port]` of the (first) URI in a header value or Request-URI is: inside
/// `<...>` when there is one, after the scheme and any `user@`, up to `;`, `?` or `>`.
pub(crate) fn uri_host_range(value: &str) -> Option<Range<usize>> {
    let (start, end) = match find_unquoted(value, b'<') {
        Some(open) => (
            open + 1,
            value[open..].find('>').map_or(value.len(), |i| open + i),
        ),
        None => (0, value.len()),
    };
    let uri = &value[start..end];
    let scheme_end = uri.find(':')? + 1;
    let after_scheme = &uri[scheme_end..];
    let stop = after_scheme
        .find([';', '?', '>'])
        .unwrap_or(after_scheme.len());
    let host_start = after_scheme[..stop].rfind('@').map_or(0, |i| i + 1);
    let range = start + scheme_end + host_start..start + scheme_end + stop;
    (!range.is_empty()).then_some(range)
}

/// The URI host:port of a header value or Request-URI, and the value with it cut out (to
/// tell an address rewrite from other edits).
pub(crate) fn split_uri_host(value: &str) -> Option<(HostPort, String)> {
    let range = uri_host_range(value)?;
    let rest = format!("{}\u{0}{}", &value[..range.start], &value[range.end..]);
    Some((HostPort::parse(&value[range]), rest))
}

/// The first `byte` outside a quoted string.
fn find_unquoted(value: &str, byte: u8) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, b) in value.bytes().enumerate() {
        if in_quotes {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = false,
                _ => {}
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == byte {
            return Some(i);
        }
    }
    None
}

/// One Via entry: `SIP/2.0/UDP host:port;name=value;...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ViaEntry {
    /// `SIP/2.0/UDP`, whitespace removed, upper case.
    pub protocol: String,
    pub sent_by: HostPort,
    /// Parameters in order, names lower-cased.
    pub params: Vec<(String, Option<String>)>,
}

impl ViaEntry {
    pub fn parse(entry: &str) -> Option<ViaEntry> {
        let mut parts = entry.split(';');
        let head = parts.next()?.trim();
        let (protocol, sent_by) = head.rsplit_once([' ', '\t'])?;
        let protocol: String = protocol
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let params = parts
            .map(|p| {
                let (name, value) = match p.split_once('=') {
                    Some((n, v)) => (n, Some(v.trim().to_owned())),
                    None => (p, None),
                };
                (name.trim().to_ascii_lowercase(), value)
            })
            .filter(|(name, _)| !name.is_empty())
            .collect();
        Some(ViaEntry {
            protocol,
            sent_by: HostPort::parse(sent_by),
            params,
        })
    }

    /// A parameter's value: `None` if absent, `Some(None)` if present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_deref())
    }
}

/// The parts of an SDP an ALG touches, plus every other line for spotting collateral damage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SdpView {
    /// The `o=` unicast address.
    pub origin: Option<String>,
    /// Every `c=` address, session level first.
    pub connections: Vec<String>,
    /// Every `m=` line's media and port.
    pub media_ports: Vec<(String, String)>,
    /// Every line with those addresses and ports blanked, line ends removed.
    pub skeleton: Vec<String>,
}

impl SdpView {
    pub fn parse(body: &[u8]) -> SdpView {
        let text = String::from_utf8_lossy(body);
        let mut view = SdpView::default();
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let blanked = view.take_fields(line);
            view.skeleton.push(blanked);
        }
        view
    }

    /// Records the interesting fields of one line and returns it with them blanked.
    fn take_fields(&mut self, line: &str) -> String {
        let fields: Vec<&str> = line.get(2..).unwrap_or_default().split(' ').collect();
        let blank = |index: usize| -> String {
            let mut out = fields.clone();
            out[index] = "*";
            format!("{}{}", &line[..2], out.join(" "))
        };
        match (line.get(..2), fields.len()) {
            (Some("o="), 6) => {
                self.origin = Some(fields[5].to_owned());
                blank(5)
            }
            (Some("c="), 3) => {
                self.connections.push(fields[2].to_owned());
                blank(2)
            }
            (Some("m="), n) if n >= 3 => {
                self.media_ports
                    .push((fields[0].to_owned(), fields[1].to_owned()));
                blank(1)
            }
            _ => line.to_owned(),
        }
    }
}
