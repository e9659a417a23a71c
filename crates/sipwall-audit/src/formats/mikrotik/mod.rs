//! MikroTik RouterOS `/export` (v6 and v7): compact (default), `terse` (one command per line
//! with the full menu path) and `verbose` (every property, `!key` for unset ones), and the
//! scripts `sipwall rules --vendor mikrotik-v6|v7` writes.
//!
//! Read: the SIP helper (`/ip firewall service-port` `sip`), the UDP connection-tracking
//! timeouts, `/ip firewall filter` (input, forward and the user chains they jump to) and `raw`
//! (prerouting), `/ip firewall nat` (masquerade / src-nat, dst-nat / netmap), address lists,
//! interface lists (for the WAN side), FastTrack rules and brute-force bans. Every other menu
//! is classified from a table (`menus`); `/ipv6 firewall` is known but not modelled (the
//! model is the IPv4 firewall, as `sipwall rules` renders it).
//!
//! Layout: `lex` (lines → commands), `config` (commands → items per menu, coverage),
//! `eval` (items → facts), `values` (ports, addresses, times), `menus` (menu tables).

mod config;
mod eval;
mod lex;
mod menus;
mod values;

use sipwall_firewall::Vendor;

use super::{Hints, ParseError, Parsed};
use crate::device::{Device, VendorDefault, Versioned};
use crate::source::Source;

pub const ID: &str = "mikrotik";
pub const EXPORT: &str = "run `/export terse` in the RouterOS terminal (on v6 `/export terse \
                          hide-sensitive`) and save the output to a file; a plain or `verbose` \
                          export works too";

/// The SIP helper when the export has no `sip` line under `/ip firewall service-port`.
pub const SIP_HELPER_DEFAULT: VendorDefault = VendorDefault {
    statement: "SIP helper enabled on ports 5060,5061 (`/ip firewall service-port` `sip` not \
                disabled in the export)",
    versions: "RouterOS 6.x and 7.x",
    source: "MikroTik RouterOS manual, NAT › Service ports (help.mikrotik.com/docs/display/ROS/NAT): \
             the SIP helper; `/export verbose` shows `set sip disabled=no ports=5060,5061 \
             sip-direct-media=yes sip-timeout=1h` (research note anchors-firewall §2, §3.7)",
};

/// `udp-timeout` / `udp-stream-timeout` when the export does not set them, in seconds.
pub const DEFAULT_UDP_TIMEOUTS: (u32, u32) = (10, 180);

pub const UDP_TIMEOUTS_DEFAULT: VendorDefault = VendorDefault {
    statement: "udp-timeout=10s (UDP seen in one direction, unreplied) and \
                udp-stream-timeout=3m (seen in both directions, replied), for all UDP",
    versions: "RouterOS 6.x and 7.x (7.10 defaults checked)",
    source: "MikroTik wiki Manual:IP/Firewall/Connection_tracking (revision of 8 July 2016); \
             terraform-routeros resource_ip_firewall_connection_tracking.go, 7.10 defaults \
             (research note anchors-firewall §3.7)",
};

/// A packet that no filter rule of a built-in chain takes.
pub const FILTER_DEFAULT: VendorDefault = VendorDefault {
    statement: "a packet that reaches the end of a built-in filter chain (input, forward) is \
                accepted: RouterOS chains have no drop policy",
    versions: "RouterOS 2.9 and later (6.x, 7.x)",
    source: "MikroTik wiki Manual:IP/Firewall/Filter: \"If a packet has not matched any rule \
             within the chain, then it is accepted\"",
};

/// Top-level menus that start RouterOS menu lines (`/ip …`, `/interface …`).
const TOP_MENUS: &[&str] = &[
    "ip",
    "ipv6",
    "interface",
    "system",
    "tool",
    "routing",
    "snmp",
    "user",
    "ppp",
    "queue",
    "certificate",
    "disk",
    "port",
    "radius",
    "caps-man",
    "mpls",
    "container",
    "special-login",
];

/// How sure `text` is a RouterOS export: the `by RouterOS` header is certain; otherwise menu
/// lines (`/ip firewall filter`, `/interface/list`) and `add`/`set` commands with `key=value`.
/// Reads at most the first 2 000 lines.
pub fn fingerprint(text: &str) -> u32 {
    if text.contains('\0') {
        return 0;
    }
    let mut menus = 0u32;
    let mut commands = 0u32;
    let mut header = false;
    let mut chains = false;
    for line in text.lines().take(2000) {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix('#') {
            if comment.contains(" by RouterOS ") || comment.contains("MikroTik RouterOS v") {
                return 100;
            }
            let comment = comment.trim_start();
            header |=
                comment.starts_with("software id =") || comment.starts_with("installed-version:");
            continue;
        }
        if let Some(path) = line.strip_prefix('/') {
            let top = path
                .split(|c: char| c == '/' || c.is_whitespace())
                .next()
                .unwrap_or("");
            if TOP_MENUS.contains(&top) {
                menus += 1;
            }
            continue;
        }
        let mut words = line.split_whitespace();
        if matches!(words.next(), Some("add" | "set"))
            && let Some(arg) = words.next()
            && arg.contains('=')
            && !arg.starts_with('=')
        {
            commands += 1;
            chains |= line.contains("chain=");
        }
    }
    match (menus, header) {
        (0, _) if commands >= 2 && chains => 30,
        (0, _) => 0,
        (_, true) => 95,
        (n, false) if n + commands >= 2 => 60 + 5 * n.min(7),
        _ => 40,
    }
}

pub fn parse(source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
    if source.text.trim().is_empty() {
        return Err(ParseError::new("the input is empty", None, EXPORT));
    }
    if source.text.contains('\0') {
        return Err(ParseError::new(
            "the input is binary, not a RouterOS export (a `.backup` file cannot be read)",
            None,
            EXPORT,
        ));
    }
    let (config, mut coverage) = config::read(source);
    if !config.recognised {
        let first = source
            .lines()
            .find(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
            .map(|(n, _)| source.line_span(n));
        return Err(ParseError::new(
            "no RouterOS menu line (`/ip firewall filter`, …) or command in a known menu: \
             this is not a RouterOS export",
            first,
            EXPORT,
        ));
    }
    let mut device = Device::default();
    let major = config
        .version
        .as_ref()
        .and_then(|(version, _)| eval::major(version))
        .or(config.dialect);
    device.vendor = Some(match major {
        Some(m) if m <= 6 => Vendor::MikrotikV6,
        _ => Vendor::MikrotikV7,
    });
    device.version = config.version.as_ref().map(|(version, span)| Versioned {
        version: version.clone(),
        span: *span,
    });
    eval::evaluate(&config, hints, &mut device, &mut coverage);
    Ok(Parsed { device, coverage })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LineClass;
    use crate::device::{Certainty, Path};
    use sipwall_firewall::model::{Action, Address, Ports, Protocol};

    fn parsed(text: &str) -> (Source, Parsed) {
        let source = Source::new("t", text);
        let parsed = parse(&source, &Hints::default()).unwrap();
        (source, parsed)
    }

    const DEFCONF: &str = "\
# 2024-05-02 10:00:00 by RouterOS 7.14.3
# software id = ABCD-1234
/interface list
add comment=defconf name=WAN
add comment=defconf name=LAN
/interface list member
add comment=defconf interface=bridge list=LAN
add comment=defconf interface=ether1 list=WAN
/ip firewall filter
add action=accept chain=input comment=\"defconf: accept established,related,untracked\" connection-state=established,related,untracked
add action=drop chain=input comment=\"defconf: drop invalid\" connection-state=invalid
add action=accept chain=input comment=\"defconf: accept ICMP\" protocol=icmp
add action=drop chain=input comment=\"defconf: drop all not coming from LAN\" in-interface-list=!LAN
add action=fasttrack-connection chain=forward comment=\"defconf: fasttrack\" connection-state=established,related hw-offload=yes
add action=accept chain=forward comment=\"defconf: accept established,related, untracked\" connection-state=established,related,untracked
add action=drop chain=forward comment=\"defconf: drop invalid\" connection-state=invalid
add action=drop chain=forward comment=\"defconf: drop all from WAN not DSTNATed\" connection-nat-state=!dstnat connection-state=new in-interface-list=WAN
/ip firewall nat
add action=masquerade chain=srcnat comment=\"defconf: masquerade\" ipsec-policy=out,none out-interface-list=WAN
add action=dst-nat chain=dstnat in-interface-list=WAN dst-port=5060 protocol=udp to-addresses=192.168.88.10
";

    #[test]
    fn default_configuration() {
        let (source, parsed) = parsed(DEFCONF);
        let device = &parsed.device;
        assert_eq!(device.vendor, Some(Vendor::MikrotikV7));
        assert_eq!(device.version.as_ref().unwrap().version, "7.14.3");
        // SIP helper on by default.
        let alg = &device.sip_alg[0];
        assert!(alg.enabled);
        assert!(matches!(
            alg.evidence.certainty,
            Certainty::DefaultInferred { .. }
        ));
        // UDP timeouts at the defaults.
        let t = &device.udp_timeouts[0];
        assert_eq!(
            (t.unreplied_seconds, t.replied_seconds),
            (Some(10), Some(180))
        );
        // Masquerade keeps ports.
        assert_eq!(device.source_nat.len(), 1);
        assert_eq!(device.source_nat[0].port_preservation, Some(true));
        // The forward, open to any source.
        assert_eq!(device.forwards.len(), 1);
        assert_eq!(device.forwards[0].protocol, Some(Protocol::Udp));
        assert_eq!(device.forwards[0].outside_ports, Ports::single(5060));
        assert!(device.forwards[0].source.is_empty());
        // FastTrack of everything, in hardware.
        assert_eq!(device.offload.len(), 1);
        assert!(device.offload[0].ports.is_any());
        assert!(device.offload[0].mechanism.contains("hw-offload"));
        // The drop of non-DNATed inbound traffic is conditional; inbound default accept.
        let inbound: Vec<_> = device
            .filters
            .iter()
            .filter(|r| r.path == Path::Inbound)
            .collect();
        assert_eq!(inbound.len(), 1);
        assert!(inbound[0].conditional && inbound[0].action == Action::Drop);
        let to_device = device
            .default_actions
            .iter()
            .find(|d| d.path == Path::ToDevice)
            .unwrap();
        assert_eq!(to_device.action, Action::Drop);
        assert!(
            source
                .text_of(to_device.evidence.spans[0])
                .contains("drop all not coming")
        );
        let outbound = device
            .default_actions
            .iter()
            .find(|d| d.path == Path::Outbound)
            .unwrap();
        assert_eq!(outbound.action, Action::Accept);
        assert!(matches!(
            outbound.evidence.certainty,
            Certainty::DefaultInferred { .. }
        ));
        assert_eq!(parsed.coverage.summary().unknown, 0);
    }

    #[test]
    fn helper_off_and_timeouts() {
        let (source, parsed) = parsed(
            "# by RouterOS 6.49.10\n/ip firewall service-port\nset sip disabled=yes\n\
             /ip firewall connection tracking\nset udp-timeout=1m\n",
        );
        let device = &parsed.device;
        assert_eq!(device.vendor, Some(Vendor::MikrotikV6));
        let alg = &device.sip_alg[0];
        assert!(!alg.enabled);
        assert_eq!(
            source.text_of(alg.evidence.spans[0]),
            "set sip disabled=yes"
        );
        let t = &device.udp_timeouts[0];
        assert_eq!(
            (t.unreplied_seconds, t.replied_seconds),
            (Some(60), Some(180))
        );
        assert_eq!(source.text_of(t.evidence.spans[0]), "udp-timeout=1m");
    }

    #[test]
    fn user_chains_whitelists_and_bans() {
        let (_, parsed) = parsed(
            "/ip firewall address-list\n\
             add list=provider address=203.0.113.0/24\n\
             /ip firewall filter\n\
             add chain=forward action=jump jump-target=voip in-interface=ether1\n\
             add chain=voip action=return connection-state=established,related\n\
             add chain=voip action=drop protocol=udp dst-port=5060 src-address-list=!provider\n\
             add chain=voip action=drop protocol=udp dst-port=5060 src-address-list=banned\n\
             add chain=voip action=add-src-to-address-list address-list=banned address-list-timeout=1h \
             protocol=udp dst-port=5060 connection-state=new dst-limit=10/1m,10,src-address/1m\n\
             add chain=voip action=accept protocol=udp dst-port=5060 src-address-list=provider\n\
             /ip firewall nat\n\
             add chain=srcnat action=masquerade out-interface=ether1 to-ports=10000-20000\n",
        );
        let device = &parsed.device;
        let inbound: Vec<_> = device
            .filters
            .iter()
            .filter(|r| r.path == Path::Inbound)
            .collect();
        assert_eq!(inbound.len(), 3);
        // The whitelist drop: everything but the provider's prefix.
        assert!(!inbound[0].conditional);
        assert!(
            !inbound[0]
                .source
                .contains(&Address::Net("203.0.113.0/24".parse().unwrap()))
        );
        assert_eq!(inbound[0].source.len(), 24);
        // The ban drop is conditional (a dynamic list).
        assert!(inbound[1].conditional);
        assert_eq!(inbound[2].action, Action::Accept);
        assert_eq!(device.brute_force.len(), 1);
        assert_eq!(device.brute_force[0].ports, Ports::single(5060));
        assert_eq!(device.source_nat[0].port_preservation, Some(false));
        assert!(device.version.is_none());
        assert_eq!(device.vendor, Some(Vendor::MikrotikV7));
    }

    #[test]
    fn dmz_and_fasttrack_exemption() {
        let (_, parsed) = parsed(
            "/ip firewall filter\n\
             add chain=forward action=accept port=5060,10000-20000 protocol=udp\n\
             add chain=forward action=fasttrack-connection connection-state=established,related\n\
             /ip firewall nat\n\
             add chain=dstnat action=dst-nat in-interface=ether1 to-addresses=192.168.88.20\n\
             add chain=dstnat action=dst-nat in-interface=bridge dst-port=53 protocol=udp to-addresses=192.168.88.1\n",
        );
        let device = &parsed.device;
        assert_eq!(device.forwards.len(), 1);
        assert_eq!(device.forwards[0].protocol, None);
        assert!(device.forwards[0].outside_ports.is_any());
        assert_eq!(device.offload.len(), 1);
        assert!(
            device.offload[0]
                .ports
                .intersect(&Ports::single(5060))
                .is_none()
        );
        assert!(
            device.offload[0]
                .ports
                .intersect(&Ports::single(443))
                .is_some()
        );
    }

    #[test]
    fn version_issues() {
        let (_, six) = parsed(
            "# by RouterOS 6.48.6\n/ip/firewall/filter\n\
             add chain=forward action=fasttrack-connection connection-state=established hw-offload=yes\n\
             /routing table\nadd fib name=x\n",
        );
        let keys: Vec<&str> = six
            .device
            .version_issues
            .iter()
            .map(|i| i.key.as_str())
            .collect();
        assert_eq!(
            keys,
            vec!["slash-separated menu path", "hw-offload", "routing table"]
        );
        let (_, seven) = parsed("# by RouterOS 7.1.1\n/routing table\nadd fib name=x\n");
        assert!(seven.device.version_issues.is_empty());
    }

    #[test]
    fn errors_and_fingerprints() {
        for text in [
            "",
            "  \n",
            "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n",
        ] {
            let error = parse(&Source::new("t", text), &Hints::default()).unwrap_err();
            assert!(error.hint.contains("/export"));
        }
        assert_eq!(fingerprint("# jan/01/2024 by RouterOS 7.1\n"), 100);
        assert!(fingerprint("/ip firewall filter\nadd chain=input action=drop\n") >= 60);
        assert_eq!(
            fingerprint("set firewall name WAN rule 10 action accept\n"),
            0
        );
        assert_eq!(
            fingerprint("config firewall policy\n    edit 1\n        set name \"x\"\n"),
            0
        );
        assert_eq!(fingerprint("table inet filter {\n}\n"), 0);
        assert_eq!(fingerprint("uci set firewall.@rule[0].name='x'\n"), 0);
    }

    #[test]
    fn forwards_of_the_routers_own_address() {
        let (_, parsed) = parsed(
            "/ip firewall nat\n\
             add chain=dstnat action=dst-nat dst-address-type=local protocol=udp dst-port=5060 \
             to-addresses=192.168.88.10\n\
             /ip firewall address-list\nadd list=x address=not/valid\n",
        );
        let forward = &parsed.device.forwards[0];
        assert_eq!(forward.evidence.certainty, Certainty::Explicit);
        assert_eq!(parsed.coverage.class(4), Some(LineClass::Unknown));
    }

    #[test]
    fn comments_and_scripts_are_ignored() {
        let (_, parsed) = parsed(
            "# hello\n:global x 1\n:if ($x = 1) do={\n/ip firewall service-port set sip disabled=yes\n}\n",
        );
        assert_eq!(parsed.coverage.class(1), Some(LineClass::Ignored));
        assert_eq!(parsed.coverage.class(2), Some(LineClass::Ignored));
        assert_eq!(parsed.coverage.class(4), Some(LineClass::Understood));
    }
}
