//! Linux conntrack knowledge shared by the netfilter parsers (`nftables`, `iptables`,
//! `openwrt`): the kernel's defaults for the SIP helper and the UDP timeouts, with their
//! citations, the sysctl keys that change them, and the sysctl line reader of the iptables and
//! OpenWrt parsers (`sysctl -a` output, `sysctl -w` lines, `/proc/sys/…` writes). The nftables
//! reader keeps its own line grammar (see `nftables::sysctl_line`) but uses the keys and
//! defaults here.

use sipwall_firewall::model::TimeoutScope;

use crate::coverage::LineClass;
use crate::device::{Evidence, UdpTimeout, VendorDefault};
use crate::source::{Source, Span};

/// The unreplied UDP timeout sysctl.
pub(crate) const UDP_TIMEOUT_KEY: &str = "net.netfilter.nf_conntrack_udp_timeout";
/// The replied (stream) UDP timeout sysctl.
pub(crate) const UDP_TIMEOUT_STREAM_KEY: &str = "net.netfilter.nf_conntrack_udp_timeout_stream";
/// The automatic helper assignment switch (kernels before 6.0).
pub(crate) const HELPER_KEY: &str = "net.netfilter.nf_conntrack_helper";
/// The conntrack settings the parsers read, as `sipwall audit --live` collects them.
pub const CONNTRACK_KEYS: [&str; 3] = [UDP_TIMEOUT_KEY, UDP_TIMEOUT_STREAM_KEY, HELPER_KEY];

/// Since Linux 4.7 conntrack helpers (the kernel SIP ALG) are attached only by explicit rules.
pub const HELPER_DEFAULT: VendorDefault = VendorDefault {
    statement: "no SIP conntrack helper (the kernel SIP ALG, nf_conntrack_sip / nf_nat_sip) is \
                attached to a connection unless a rule attaches one (iptables `-j CT --helper \
                sip`, nftables `ct helper set`): automatic helper assignment \
                (net.netfilter.nf_conntrack_helper) is off",
    versions: "Linux 4.7 and later (automatic helper assignment off by default since 4.7; the \
               net.netfilter.nf_conntrack_helper switch was removed in 6.0)",
    source: "research note §3.10: Linux commit 3bb398d925ec \"netfilter: nf_ct_helper: disable \
             automatic helper assignment\" (4.7); Documentation/networking/nf_conntrack-sysctl, \
             nf_conntrack_helper (\"Since kernel 4.7 this defaults to off\", torvalds/linux \
             486dcf4)",
};

/// The kernel's UDP conntrack timeouts when no sysctl line states them.
pub const UDP_TIMEOUT_DEFAULT: VendorDefault = VendorDefault {
    statement: "UDP conntrack timeouts 30 s for unreplied flows \
                (net.netfilter.nf_conntrack_udp_timeout) and 120 s for replied ones \
                (net.netfilter.nf_conntrack_udp_timeout_stream); no sysctl line sets them",
    versions: "Linux 5.0 and later (the stream timeout was 180 s before 5.0)",
    source: "research note §3.10: Linux commit 294304e4c522 \"netfilter: conntrack: udp: set \
             stream timeout to 2 minutes\" (Linux 5.0); \
             Documentation/networking/nf_conntrack-sysctl.rst (nf_conntrack_udp_timeout, \
             nf_conntrack_udp_timeout_stream)",
};

/// The kernel's UDP defaults (unreplied, stream), seconds.
pub const UDP_TIMEOUTS: (u32, u32) = (30, 120);

/// A conntrack sysctl the export states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SysctlKey {
    UdpUnreplied,
    UdpStream,
    Helper,
    /// A sysctl of no bearing on VoIP.
    Other,
}

/// `[sysctl -w ]net.netfilter.nf_conntrack_udp_timeout = 30`, `KEY=VALUE`, or
/// `/proc/sys/net/netfilter/…:VALUE` → (key, value); `None` when the line is no sysctl.
/// The value is `None` when it is not a number of seconds / a flag.
pub(crate) fn sysctl_line(line: &str) -> Option<(SysctlKey, Option<u32>)> {
    let mut t = line.trim();
    if let Some(rest) = t.strip_prefix("sysctl ") {
        t = rest.trim_start();
        if let Some(rest) = t.strip_prefix("-w ") {
            t = rest.trim_start();
        }
    }
    let (key, value) = if let Some(path) = t.strip_prefix("/proc/sys/") {
        let (k, v) = path
            .split_once([':', '='])
            .or_else(|| path.split_once(' '))?;
        (k.trim().replace('/', "."), v.trim())
    } else {
        let (k, v) = t.split_once('=')?;
        (k.trim().to_string(), v.trim())
    };
    const ROOTS: &[&str] = &[
        "net.", "kernel.", "vm.", "fs.", "dev.", "user.", "abi.", "debug.", "crypto.", "sunrpc.",
    ];
    let key_ok = ROOTS.iter().any(|r| key.starts_with(r))
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'*'));
    if !key_ok {
        return None;
    }
    let kind = match key.as_str() {
        UDP_TIMEOUT_KEY | "net.ipv4.netfilter.ip_conntrack_udp_timeout" => SysctlKey::UdpUnreplied,
        UDP_TIMEOUT_STREAM_KEY | "net.ipv4.netfilter.ip_conntrack_udp_timeout_stream" => {
            SysctlKey::UdpStream
        }
        HELPER_KEY => SysctlKey::Helper,
        _ => SysctlKey::Other,
    };
    let value = value.trim_matches(['"', '\'']).trim();
    Some((kind, value.parse::<u32>().ok()))
}

/// Sysctl values read from the export, with their lines.
#[derive(Debug, Default)]
pub(crate) struct Sysctls {
    pub unreplied: Option<(u32, u32)>,
    pub stream: Option<(u32, u32)>,
    pub helper: Option<(u32, u32)>,
}

impl Sysctls {
    /// Records line `number` when it is a sysctl; the line's class, `None` when no sysctl.
    pub(crate) fn line(&mut self, number: u32, line: &str) -> Option<LineClass> {
        let (key, value) = sysctl_line(line)?;
        let slot = match key {
            SysctlKey::UdpUnreplied => &mut self.unreplied,
            SysctlKey::UdpStream => &mut self.stream,
            SysctlKey::Helper => &mut self.helper,
            SysctlKey::Other => return Some(LineClass::Ignored),
        };
        match value {
            Some(v) => {
                *slot = Some((v, number));
                Some(LineClass::Understood)
            }
            None => Some(LineClass::Unknown),
        }
    }

    /// The global UDP timeout: the stated values, the `default` for what is not stated.
    pub(crate) fn udp_timeout(
        &self,
        source: &Source,
        defaults: (u32, u32),
        default: VendorDefault,
    ) -> UdpTimeout {
        let spans: Vec<Span> = [self.unreplied, self.stream]
            .iter()
            .flatten()
            .map(|(_, line)| source.line_span(*line))
            .collect();
        UdpTimeout {
            scope: TimeoutScope::Global,
            unreplied_seconds: Some(self.unreplied.map(|(v, _)| v).unwrap_or(defaults.0)),
            replied_seconds: Some(self.stream.map(|(v, _)| v).unwrap_or(defaults.1)),
            // One stated value makes the fact explicit: the unstated one is the default of the
            // same kernel, and the stated one is what an admin changed.
            evidence: if spans.is_empty() {
                Evidence::default(default)
            } else {
                Evidence::explicit(spans)
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_forms() {
        assert_eq!(
            sysctl_line("net.netfilter.nf_conntrack_udp_timeout = 30"),
            Some((SysctlKey::UdpUnreplied, Some(30)))
        );
        assert_eq!(
            sysctl_line("sysctl -w net.netfilter.nf_conntrack_udp_timeout_stream=180"),
            Some((SysctlKey::UdpStream, Some(180)))
        );
        assert_eq!(
            sysctl_line("/proc/sys/net/netfilter/nf_conntrack_helper:1"),
            Some((SysctlKey::Helper, Some(1)))
        );
        assert_eq!(
            sysctl_line("net.ipv4.ip_forward = 1"),
            Some((SysctlKey::Other, Some(1)))
        );
        assert_eq!(sysctl_line("-A INPUT -j ACCEPT"), None);
    }
}
