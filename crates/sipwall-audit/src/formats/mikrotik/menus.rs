//! Which RouterOS menus the parser reads, which it knows to be irrelevant to VoIP through the
//! firewall, and which exist in only one major version.

/// What the parser does with a menu's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Menu {
    Filter,
    Nat,
    Raw,
    /// Read only for the address lists its rules fill; its lines are ignored.
    Mangle,
    AddressList,
    ServicePort,
    ConnectionTracking,
    InterfaceList,
    InterfaceListMember,
    /// Ignored, but the names of PPPoE client interfaces hint at the WAN.
    PppoeClient,
    /// Known configuration with no bearing on VoIP through the firewall.
    Ignored,
    /// The root (commands before any menu line) or a menu not in the tables.
    Unknown,
}

/// Top-level menus whose whole tree is irrelevant here (interfaces, routing, services of the
/// router itself, users, logging, …). `ipv6` is among them: sipwall models RouterOS's IPv4
/// firewall (`/ip firewall`), as `sipwall rules` renders it.
const IGNORED_TOP: &[&str] = &[
    "interface",
    "ipv6",
    "routing",
    "system",
    "tool",
    "snmp",
    "user",
    "user-manager",
    "ppp",
    "queue",
    "certificate",
    "disk",
    "port",
    "radius",
    "caps-man",
    "capsman",
    "mpls",
    "file",
    "log",
    "lcd",
    "special-login",
    "partitions",
    "container",
    "iot",
    "zerotier",
    "console",
    "driver",
    "dude",
    "app",
    "openflow",
    "lora",
    "store",
    "tr069-client",
    "task",
    "password",
];

/// `/ip` sub-menus other than the firewall: addressing, routing, DHCP, DNS, the router's own
/// services, IPsec, hotspot, UPnP, …
const IGNORED_IP: &[&str] = &[
    "accounting",
    "address",
    "arp",
    "cloud",
    "dhcp-client",
    "dhcp-relay",
    "dhcp-server",
    "dns",
    "hotspot",
    "ipsec",
    "kid-control",
    "media",
    "nat-pmp",
    "neighbor",
    "packing",
    "pool",
    "proxy",
    "reverse-proxy",
    "route",
    "service",
    "settings",
    "smb",
    "socks",
    "ssh",
    "tftp",
    "traffic-flow",
    "upnp",
    "vrf",
];

/// `/ip firewall` sub-menus with nothing the model reads (connection list, layer-7 patterns,
/// lawful interception).
const IGNORED_FIREWALL: &[&str] = &["layer7-protocol", "calea", "connection"];

pub(super) fn classify(path: &[String]) -> Menu {
    let words: Vec<&str> = path.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["ip", "firewall", "filter"] => Menu::Filter,
        ["ip", "firewall", "nat"] => Menu::Nat,
        ["ip", "firewall", "raw"] => Menu::Raw,
        ["ip", "firewall", "mangle"] => Menu::Mangle,
        ["ip", "firewall", "address-list"] => Menu::AddressList,
        ["ip", "firewall", "service-port"] => Menu::ServicePort,
        ["ip", "firewall", "connection", "tracking"] => Menu::ConnectionTracking,
        ["ip", "firewall", sub, ..] if IGNORED_FIREWALL.contains(sub) => Menu::Ignored,
        ["ip", "firewall", ..] => Menu::Unknown,
        ["ip", sub, ..] if IGNORED_IP.contains(sub) => Menu::Ignored,
        ["interface", "list"] => Menu::InterfaceList,
        ["interface", "list", "member"] => Menu::InterfaceListMember,
        ["interface", "pppoe-client"] => Menu::PppoeClient,
        [top, ..] if IGNORED_TOP.contains(top) => Menu::Ignored,
        _ => Menu::Unknown,
    }
}

/// Menus that exist in only one major version, with the source of the fact.
#[derive(Debug)]
pub(super) struct VersionedMenu {
    pub path: &'static str,
    /// The only major version that has it.
    pub only_in: u32,
    pub message: &'static str,
}

/// v6 ↔ v7 menu changes (MikroTik docs, "Moving from ROSv6 to v7 with examples",
/// help.mikrotik.com/docs/display/ROS/Moving+from+ROSv6+to+v7+with+examples: BGP moved to
/// `connection`/`template`, routing filters to `filter rule`, routing tables to
/// `/routing table`; the `wifi`/`wifiwave2` packages are v7 only).
pub(super) const VERSIONED_MENUS: &[VersionedMenu] = &[
    VersionedMenu {
        path: "routing table",
        only_in: 7,
        message: "`/routing table` is RouterOS v7 (v6 uses routing marks)",
    },
    VersionedMenu {
        path: "routing bgp connection",
        only_in: 7,
        message: "`/routing bgp connection` is RouterOS v7 (v6 has `/routing bgp peer`)",
    },
    VersionedMenu {
        path: "routing bgp template",
        only_in: 7,
        message: "`/routing bgp template` is RouterOS v7",
    },
    VersionedMenu {
        path: "routing filter rule",
        only_in: 7,
        message: "`/routing filter rule` is RouterOS v7 (v6 has `/routing filter` rules)",
    },
    VersionedMenu {
        path: "interface wifi",
        only_in: 7,
        message: "`/interface wifi` is RouterOS v7 (wifi package)",
    },
    VersionedMenu {
        path: "interface wifiwave2",
        only_in: 7,
        message: "`/interface wifiwave2` is RouterOS v7",
    },
    VersionedMenu {
        path: "routing bgp instance",
        only_in: 6,
        message: "`/routing bgp instance` is RouterOS v6 (v7 uses `/routing bgp connection` and `template`)",
    },
    VersionedMenu {
        path: "routing bgp peer",
        only_in: 6,
        message: "`/routing bgp peer` is RouterOS v6 (v7 uses `/routing bgp connection`)",
    },
    VersionedMenu {
        path: "routing bgp network",
        only_in: 6,
        message: "`/routing bgp network` is RouterOS v6 (v7 announces address lists)",
    },
    VersionedMenu {
        path: "routing ospf network",
        only_in: 6,
        message: "`/routing ospf network` is RouterOS v6 (v7 uses `/routing ospf interface-template`)",
    },
];

/// The versioned entry for `path` (the menu itself, not its sub-menus).
pub(super) fn versioned(path: &[String]) -> Option<&'static VersionedMenu> {
    let joined = path.join(" ");
    VERSIONED_MENUS.iter().find(|m| m.path == joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn menus() {
        assert_eq!(classify(&path("ip firewall filter")), Menu::Filter);
        assert_eq!(
            classify(&path("ip firewall connection tracking")),
            Menu::ConnectionTracking
        );
        assert_eq!(classify(&path("ip firewall connection")), Menu::Ignored);
        assert_eq!(classify(&path("ip firewall nosuch")), Menu::Unknown);
        assert_eq!(classify(&path("ip dhcp-server network")), Menu::Ignored);
        assert_eq!(classify(&path("ip nosuch")), Menu::Unknown);
        assert_eq!(
            classify(&path("interface list member")),
            Menu::InterfaceListMember
        );
        assert_eq!(classify(&path("interface bridge port")), Menu::Ignored);
        assert_eq!(classify(&path("ipv6 firewall filter")), Menu::Ignored);
        assert_eq!(classify(&path("etc config")), Menu::Unknown);
        assert_eq!(classify(&[]), Menu::Unknown);
        assert!(versioned(&path("routing table")).is_some());
        assert!(versioned(&path("routing table x")).is_none());
    }
}
