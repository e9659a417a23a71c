//! Junos data the export does not spell out: predefined `junos-*` applications, the ports of
//! `host-inbound-traffic system-services`, port-name synonyms, and which configuration sections
//! have no bearing on VoIP through the firewall.
//!
//! Sources: Junos "Predefined Policy Applications" (Security Policies User Guide, juniper.net
//! …/security-policies/topics/topic-map/policy-predefined-applications.html) and the
//! `junos-defaults` group it describes; port numbers as in the Batfish Junos model
//! (batfish/batfish `representation/juniper/JunosApplication.java`, Apache-2.0, data only);
//! `junos-sip` matches UDP and TCP 5060 (TCP term since 12.3X48-D25 / 17.3R1). Port-name
//! synonyms: junos-es93 swcmdref `destination-port` / `source-port` ("numeric value or one of the
//! text synonyms"). System services: junos-es93 swcmdref `host-inbound-traffic`,
//! `system-services`.

use sipwall_firewall::model::Protocol;

use Protocol::{Tcp, Udp};

/// (protocol, first port, last port) terms of an application or service.
pub type Terms = &'static [(Protocol, u16, u16)];

/// A predefined application: its name and its terms. An empty list: the application matches
/// no TCP or UDP traffic (ICMP, GRE, OSPF, …).
pub const PREDEFINED: &[(&str, Terms)] = &[
    ("junos-aol", &[(Tcp, 5190, 5193)]),
    ("junos-bgp", &[(Tcp, 179, 179)]),
    ("junos-biff", &[(Udp, 512, 512)]),
    ("junos-bootpc", &[(Udp, 68, 68)]),
    ("junos-bootps", &[(Udp, 67, 67)]),
    ("junos-chargen", &[(Udp, 19, 19)]),
    ("junos-cvspserver", &[(Tcp, 2401, 2401)]),
    ("junos-dhcp-client", &[(Udp, 68, 68)]),
    ("junos-dhcp-relay", &[(Udp, 67, 67)]),
    ("junos-dhcp-server", &[(Udp, 67, 67)]),
    ("junos-discard", &[(Udp, 9, 9)]),
    ("junos-dns-tcp", &[(Tcp, 53, 53)]),
    ("junos-dns-udp", &[(Udp, 53, 53)]),
    ("junos-echo", &[(Udp, 7, 7)]),
    ("junos-finger", &[(Tcp, 79, 79)]),
    ("junos-ftp", &[(Tcp, 21, 21)]),
    ("junos-ftp-data", &[(Tcp, 20, 20)]),
    ("junos-gopher", &[(Tcp, 70, 70)]),
    ("junos-gtp", &[(Udp, 2123, 2123)]),
    ("junos-http", &[(Tcp, 80, 80)]),
    ("junos-https", &[(Tcp, 443, 443)]),
    ("junos-ike", &[(Udp, 500, 500)]),
    ("junos-ike-nat", &[(Udp, 4500, 4500)]),
    ("junos-imap", &[(Tcp, 143, 143)]),
    ("junos-imaps", &[(Tcp, 993, 993)]),
    ("junos-l2tp", &[(Udp, 1701, 1701)]),
    ("junos-ldap", &[(Tcp, 389, 389)]),
    ("junos-lpr", &[(Tcp, 515, 515)]),
    ("junos-mail", &[(Tcp, 25, 25)]),
    ("junos-mgcp-ca", &[(Udp, 2727, 2727)]),
    ("junos-mgcp-ua", &[(Udp, 2427, 2427)]),
    ("junos-ms-rpc-tcp", &[(Tcp, 135, 135)]),
    ("junos-ms-rpc-udp", &[(Udp, 135, 135)]),
    ("junos-ms-sql", &[(Tcp, 1433, 1433)]),
    ("junos-nbds", &[(Udp, 138, 138)]),
    ("junos-nbname", &[(Udp, 137, 137)]),
    ("junos-netbios-session", &[(Tcp, 139, 139)]),
    ("junos-nntp", &[(Tcp, 119, 119)]),
    ("junos-ntp", &[(Udp, 123, 123)]),
    ("junos-pop3", &[(Tcp, 110, 110)]),
    ("junos-pptp", &[(Tcp, 1723, 1723)]),
    ("junos-printer", &[(Tcp, 515, 515)]),
    ("junos-radacct", &[(Udp, 1813, 1813)]),
    ("junos-radius", &[(Udp, 1812, 1812)]),
    ("junos-rip", &[(Udp, 520, 520)]),
    ("junos-rsh", &[(Tcp, 514, 514)]),
    ("junos-rtsp", &[(Tcp, 554, 554)]),
    ("junos-sccp", &[(Tcp, 2000, 2000)]),
    ("junos-sip", &[(Udp, 5060, 5060), (Tcp, 5060, 5060)]),
    ("junos-smb", &[(Tcp, 139, 139), (Tcp, 445, 445)]),
    ("junos-smtp", &[(Tcp, 25, 25)]),
    ("junos-smtps", &[(Tcp, 465, 465)]),
    ("junos-snmp-agentx", &[(Tcp, 705, 705)]),
    ("junos-ssh", &[(Tcp, 22, 22)]),
    ("junos-syslog", &[(Udp, 514, 514)]),
    ("junos-tacacs", &[(Tcp, 49, 49)]),
    ("junos-talk", &[(Udp, 517, 517)]),
    ("junos-tcp-any", &[(Tcp, 1, 65535)]),
    ("junos-telnet", &[(Tcp, 23, 23)]),
    ("junos-tftp", &[(Udp, 69, 69)]),
    ("junos-udp-any", &[(Udp, 1, 65535)]),
    ("junos-x-windows", &[(Tcp, 6000, 6063)]),
    ("junos-xnm-clear-text", &[(Tcp, 3221, 3221)]),
    ("junos-xnm-ssl", &[(Tcp, 3220, 3220)]),
    // No TCP or UDP: these never match a VoIP port.
    ("junos-gre", &[]),
    ("junos-icmp-all", &[]),
    ("junos-icmp-ping", &[]),
    ("junos-icmp6-all", &[]),
    ("junos-ospf", &[]),
    ("junos-ping", &[]),
    ("junos-pingv6", &[]),
];

pub fn predefined(name: &str) -> Option<Terms> {
    PREDEFINED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, terms)| *terms)
}

/// What a `host-inbound-traffic system-services` name opens on the device.
pub enum Service {
    /// `all` / `any-service`: everything.
    All,
    /// These (protocol, first, last) ports.
    Ports(Terms),
    /// Known, but not a TCP/UDP port a VoIP profile forbids (ping, traceroute, HA links).
    NoPorts,
}

pub fn service(name: &str) -> Option<Service> {
    let ports: Terms = match name {
        "all" | "any-service" => return Some(Service::All),
        "bootp" => &[(Udp, 67, 67)],
        "dhcp" => &[(Udp, 67, 68)],
        "dhcpv6" => &[(Udp, 546, 547)],
        "dns" => &[(Udp, 53, 53), (Tcp, 53, 53)],
        "finger" => &[(Tcp, 79, 79)],
        "ftp" => &[(Tcp, 21, 21)],
        "http" => &[(Tcp, 80, 80)],
        "https" => &[(Tcp, 443, 443)],
        "ident-reset" => &[(Tcp, 113, 113)],
        "ike" => &[(Udp, 500, 500), (Udp, 4500, 4500)],
        "lsping" => &[(Udp, 3503, 3503)],
        "netconf" => &[(Tcp, 830, 830)],
        "ntp" => &[(Udp, 123, 123)],
        "r2cp" => &[(Udp, 28672, 28672)],
        "rlogin" => &[(Tcp, 513, 513)],
        "rsh" => &[(Tcp, 514, 514)],
        "sip" => &[(Udp, 5060, 5060), (Tcp, 5060, 5060)],
        "snmp" => &[(Udp, 161, 161)],
        "snmp-trap" => &[(Udp, 162, 162)],
        "ssh" => &[(Tcp, 22, 22)],
        "telnet" => &[(Tcp, 23, 23)],
        "tftp" => &[(Udp, 69, 69)],
        "web-management" => &[(Tcp, 80, 80), (Tcp, 443, 443)],
        "xnm-clear-text" => &[(Tcp, 3221, 3221)],
        "xnm-ssl" => &[(Tcp, 3220, 3220)],
        "ping" | "traceroute" | "high-availability" | "reverse-ssh" | "reverse-telnet" | "rpm"
        | "appqoe" | "tcp-encap" | "webapi-clear-text" | "webapi-ssl" | "jsudp" => {
            return Some(Service::NoPorts);
        }
        _ => return None,
    };
    Some(Service::Ports(ports))
}

/// The port number of a Junos port-name synonym.
pub fn named_port(name: &str) -> Option<u16> {
    let port = match name {
        "afs" => 1483,
        "bgp" => 179,
        "biff" | "exec" => 512,
        "bootpc" => 68,
        "bootps" | "dhcp" => 67,
        "cmd" | "syslog" => 514,
        "cvspserver" => 2401,
        "domain" => 53,
        "eklogin" => 2105,
        "ekshell" => 2106,
        "finger" => 79,
        "ftp" => 21,
        "ftp-data" => 20,
        "http" => 80,
        "https" => 443,
        "ident" => 113,
        "imap" => 143,
        "kerberos-sec" => 88,
        "klogin" => 543,
        "kpasswd" => 761,
        "krb-prop" => 754,
        "krbupdate" => 760,
        "kshell" => 544,
        "ldap" => 389,
        "ldp" => 646,
        "login" | "who" => 513,
        "mobileip-agent" => 434,
        "mobilip-mn" => 435,
        "msdp" => 639,
        "netbios-dgm" => 138,
        "netbios-ns" => 137,
        "netbios-ssn" => 139,
        "nfsd" => 2049,
        "nntp" => 119,
        "ntalk" => 518,
        "ntp" => 123,
        "pop3" => 110,
        "pptp" => 1723,
        "printer" => 515,
        "radacct" => 1813,
        "radius" => 1812,
        "rip" => 520,
        "rkinit" => 2108,
        "sip" => 5060,
        "smtp" => 25,
        "snmp" => 161,
        "snmptrap" => 162,
        "snpp" => 444,
        "socks" => 1080,
        "ssh" => 22,
        "sunrpc" => 111,
        "tacacs" => 49,
        "tacacs-ds" => 65,
        "talk" => 517,
        "telnet" => 23,
        "tftp" => 69,
        "timed" => 525,
        "xdmcp" => 177,
        "zephyr-clt" => 2103,
        "zephyr-hm" => 2104,
        "zephyr-srv" => 2102,
        _ => return None,
    };
    Some(port)
}

/// Top-level sections with no bearing on VoIP through the firewall.
pub const IGNORED_TOP: &[&str] = &[
    "access",
    "access-profile",
    "accounting-options",
    "bridge-domains",
    "chassis",
    "class-of-service",
    "diameter",
    "dynamic-profiles",
    "ethernet-switching-options",
    "event-options",
    "fabric",
    "forwarding-options",
    "interfaces",
    "jsrc",
    "multi-chassis",
    "multicast-snooping-options",
    "poe",
    "policy-options",
    "protocols",
    "routing-instances",
    "routing-options",
    "schedulers",
    "services",
    "smtp",
    "snmp",
    "switch-options",
    "system",
    "virtual-chassis",
    "vlans",
    "vmhost",
    "wlan",
];

/// `security` subsections with no bearing on VoIP through the firewall (VPN, PKI, logging, IDP,
/// UTM, flow tuning, …).
pub const IGNORED_SECURITY: &[&str] = &[
    "aaa",
    "advance-policy-based-routing",
    "alarms",
    "analysis",
    "application-firewall",
    "application-tracking",
    "authentication-key-chains",
    "certificates",
    "cloud",
    "datapath-debug",
    "dynamic-address",
    "flow",
    "forwarding-options",
    "forwarding-process",
    "group-vpn",
    "gtp",
    "idp",
    "ike",
    "ipsec",
    "ipsec-policy",
    "key-protection",
    "log",
    "macsec",
    "pki",
    "remote-access",
    "resource-manager",
    "security-intelligence",
    "ssh-known-hosts",
    "tcp-encap",
    "traceoptions",
    "user-identification",
    "utm",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(
            predefined("junos-sip"),
            Some(&[(Udp, 5060, 5060), (Tcp, 5060, 5060)][..])
        );
        assert_eq!(predefined("junos-ping"), Some(&[][..]));
        assert!(predefined("junos-nope").is_none());
        assert!(matches!(service("ssh"), Some(Service::Ports(_))));
        assert!(matches!(service("all"), Some(Service::All)));
        assert!(matches!(service("ping"), Some(Service::NoPorts)));
        assert!(service("bogus").is_none());
        assert_eq!(named_port("sip"), Some(5060));
        assert_eq!(named_port("nope"), None);
    }

    #[test]
    fn tables_are_sorted_for_readers() {
        assert!(IGNORED_TOP.windows(2).all(|w| w[0] < w[1]));
        assert!(IGNORED_SECURITY.windows(2).all(|w| w[0] < w[1]));
    }
}
