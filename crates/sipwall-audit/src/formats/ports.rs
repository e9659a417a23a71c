//! Port numbers and `/etc/services` names shared by the Linux-family parsers (`iptables`,
//! `nftables`, `vyos`): the service names their tools resolve, and the `5060`, `sip`,
//! `10000-20000` and comma-list forms. Each parser keeps its own range syntax where it differs
//! (iptables' `a:b` with open ends).

use sipwall_firewall::model::{PortRange, Ports};

/// The common `/etc/services` names iptables, nft and VyOS resolve. A name not listed leaves
/// its line unknown rather than a guess.
const SERVICES: &[(&str, u16)] = &[
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("tftp", 69),
    ("http", 80),
    ("www", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("sunrpc", 111),
    ("ntp", 123),
    ("netbios-ns", 137),
    ("netbios-dgm", 138),
    ("netbios-ssn", 139),
    ("imap", 143),
    ("imap2", 143),
    ("snmp", 161),
    ("snmp-trap", 162),
    ("bgp", 179),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("isakmp", 500),
    ("syslog", 514),
    ("rtsp", 554),
    ("submission", 587),
    ("ldaps", 636),
    ("domain-s", 853),
    ("imaps", 993),
    ("pop3s", 995),
    ("openvpn", 1194),
    ("l2tp", 1701),
    ("pptp", 1723),
    ("radius", 1812),
    ("radius-acct", 1813),
    ("nfs", 2049),
    ("mysql", 3306),
    ("ms-wbt-server", 3389),
    ("stun", 3478),
    ("ipsec-nat-t", 4500),
    ("iax", 4569),
    ("sip", 5060),
    ("sip-tls", 5061),
    ("xmpp-client", 5222),
    ("xmpp-server", 5269),
    ("mdns", 5353),
    ("postgresql", 5432),
    ("http-alt", 8080),
];

/// The port of an `/etc/services` name, spelled as there.
pub(crate) fn service(name: &str) -> Option<u16> {
    SERVICES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, port)| *port)
}

/// The port of an `/etc/services` name, in any case.
pub(crate) fn service_any_case(name: &str) -> Option<u16> {
    SERVICES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, port)| *port)
}

/// `5060` or `sip` (surrounding blanks ignored) → the port.
pub(crate) fn port(text: &str) -> Option<u16> {
    let text = text.trim();
    text.parse().ok().or_else(|| service(text))
}

/// `5060`, `sip`, `10000-20000` → a range; a name with a dash (`domain-s`) is tried whole first.
pub(crate) fn dash_range(text: &str) -> Option<PortRange> {
    if let Some(single) = port(text) {
        return Some(PortRange::single(single));
    }
    let (first, last) = text.split_once('-')?;
    Some(PortRange::new(port(first)?, port(last)?))
}

/// A comma list of ranges read by `range` (each part trimmed); `None` when a part, an empty one
/// included, is not a range.
pub(crate) fn comma_list(text: &str, range: impl Fn(&str) -> Option<PortRange>) -> Option<Ports> {
    let ranges = text
        .split(',')
        .map(|part| range(part.trim()))
        .collect::<Option<Vec<PortRange>>>()?;
    Some(Ports::from_ranges(ranges))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_numbers_and_ranges() {
        assert_eq!(port("5060"), Some(5060));
        assert_eq!(port(" sip "), Some(5060));
        assert_eq!(port("SIP"), None);
        assert_eq!(service_any_case("SIP"), Some(5060));
        assert_eq!(port("70000"), None);
        assert_eq!(dash_range("domain-s"), Some(PortRange::single(853)));
        assert_eq!(
            dash_range("10000-20000"),
            Some(PortRange::new(10000, 20000))
        );
        assert_eq!(dash_range("ssh-http"), Some(PortRange::new(22, 80)));
        assert_eq!(dash_range("nosuch"), None);
        assert_eq!(
            comma_list("5060, 10000-20000", dash_range),
            Some(Ports::from_ranges([
                PortRange::single(5060),
                PortRange::new(10000, 20000)
            ]))
        );
        assert_eq!(comma_list("5060,", dash_range), None);
        assert_eq!(comma_list("", dash_range), None);
    }

    #[test]
    fn one_port_per_name() {
        for (i, (name, _)) in SERVICES.iter().enumerate() {
            assert!(
                SERVICES[i + 1..].iter().all(|(other, _)| other != name),
                "{name} twice"
            );
        }
    }
}
