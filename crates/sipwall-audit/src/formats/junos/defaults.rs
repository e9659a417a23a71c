//! Junos SRX defaults that apply when the export has no line for them, each with its source
//! (research/anchors-firewall.md §2 table and §3.5 unless said).

use crate::device::VendorDefault;

/// §3.5 [D]: "ALGs are enabled by default"; "By default, SIP ALG is enabled".
pub const SIP_ALG: VendorDefault = VendorDefault {
    statement: "SIP ALG enabled (no `security alg sip disable`); it hooks the junos-sip \
                application (UDP and TCP 5060) and custom applications with \
                `application-protocol sip`",
    versions: "all Junos releases for SRX Series and vSRX",
    source: "Juniper Junos CLI reference, `alg (Security)`: \"ALGs are enabled by default\" \
             (https://www.juniper.net/documentation/us/en/software/junos/cli-reference/topics/ref/statement/security-edit-alg.html); \
             junos-es93 swcmdref `sip`: \"By default, SIP ALG is enabled\" \
             (https://juniper.net/documentation/software/junos-es/junos-es93/junos-es-swcmdref/sip.html)",
};

/// §2 table, §3.5 [D]: protocol default timeouts TCP 1800 s, UDP 60 s.
pub const UDP_TIMEOUT_SECONDS: u32 = 60;

pub const UDP_TIMEOUT: VendorDefault = VendorDefault {
    statement: "UDP sessions expire after 60 s idle unless their application has an \
                `inactivity-timeout` (lookup: application timeout, then the port table built \
                from application timeouts, then the protocol default)",
    versions: "all Junos releases for SRX Series and vSRX",
    source: "Juniper Junos 12.2, \"Understanding Policy Application Timeouts Configuration and \
             Lookup\" (protocol defaults TCP 1800 s, UDP 60 s, ICMP 60 s) \
             (https://www.juniper.net/documentation/en_US/junos12.2/topics/concept/policy-application-timeout-configuration-lookup-understanding.html)",
};

/// The implicit default policy.
pub const DEFAULT_POLICY: VendorDefault = VendorDefault {
    statement: "deny-all: traffic no security policy permits is dropped (no \
                `security policies default-policy`)",
    versions: "all Junos releases for SRX Series and vSRX",
    source: "Juniper Junos Security 9.6, \"Understanding Security Policies\": \"By default, a \
             device denies all traffic in all directions\" \
             (http://www.juniper.net/techpubs/software/junos-security/junos-security96/junos-security-swconfig-security/understanding-policies.html)",
};

/// Traffic to the device itself.
pub const HOST_INBOUND: VendorDefault = VendorDefault {
    statement: "traffic to the device itself is dropped unless `host-inbound-traffic` of the \
                zone (or of the interface, which replaces the zone's) allows it",
    versions: "all Junos releases for SRX Series and vSRX",
    source: "Juniper Junos 12.2, \"Understanding How to Control Inbound Traffic Based on Traffic \
             Types\": \"Inbound traffic destined to this device is dropped by default\"; \
             \"Interface configuration overrides that of the zone\" \
             (https://www.juniper.net/documentation/en_US/junos12.2/topics/concept/zone-host-inbound-traffic-how-to-control-based-on-traffic-type-understanding.html)",
};

/// Port translation of source NAT (§3.5: pool `port no-translation` keeps ports).
pub const PAT_PORTS: VendorDefault = VendorDefault {
    statement: "source NAT with port translation (interface NAT, or a pool without `port \
                no-translation`) gives each session a new source port, allocated at random \
                unless `port-randomization disable` (then round-robin); the inside port is not \
                kept",
    versions: "all Junos releases for SRX Series and vSRX",
    source: "Juniper junos-es93 swcmdref `port` (source NAT pool): `no-translation` — \"no Port \
             Address Translation\" \
             (https://juniper.net/documentation/software/junos-es/junos-es93/junos-es-swcmdref/port_1.html); \
             Junos CLI reference `port-randomization (Security Source NAT)`",
};
