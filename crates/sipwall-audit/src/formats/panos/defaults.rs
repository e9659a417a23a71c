//! PAN-OS defaults: what the firewall does when the export has no line for it, each with where
//! Palo Alto Networks (or the research note) says so.

use crate::device::VendorDefault;

/// The SIP ALG of the predefined application `sip`.
pub(super) const SIP_ALG_DEFAULT: VendorDefault = VendorDefault {
    statement: "SIP ALG on for the predefined application `sip` (no `alg-override application \
                sip alg-disabled yes`); App-ID identifies SIP on any port, so the ALG applies \
                wherever SIP is seen, except on ports an application-override rule takes out of \
                App-ID",
    versions: "all (checked for PAN-OS 9 to 11)",
    source: "research note anchors-firewall.md §2 and §3.6 (PAN-OS web help Objects › \
             Applications › sip › ALG: Disable; XML /config/shared/alg-override/application/\
             entry[@name='sip']/alg-disabled, pan-os-python and Ansible panos_config_element \
             examples); application override keeps App-ID out: PAN-OS \"Application Override\" \
             (docs.paloaltonetworks.com, network-security/security-policy/administration/\
             objects/applications/application-override-panorama)",
};

/// The global UDP session timeout.
pub(super) const UDP_TIMEOUT_DEFAULT: VendorDefault = VendorDefault {
    statement: "UDP sessions expire after 30 s idle (`deviceconfig setting session timeout-udp` \
                absent); an application's own UDP timeout, where App-ID content or the \
                configuration sets one, takes precedence",
    versions: "PAN-OS 7 to 11",
    source: "Palo Alto Networks knowledge base \"Order of Processing Timeout Values\" \
             (kA10g000000ClYiCAK): UDP default timeout 30 seconds; app-specific UDP timeout > \
             app-specific timeout > UDP default; PAN-OS 10.2 networking admin guide \"Configure \
             Session Timeouts\"; research note §2 [C]",
};

/// The predefined interzone-default rule.
pub(super) const INTERZONE_DEFAULT: VendorDefault = VendorDefault {
    statement: "traffic between zones that no security rule matches is denied (predefined rule \
                interzone-default; intrazone-default allows traffic within a zone)",
    versions: "all",
    source: "PAN-OS web interface help \"Security Policy Overview\" (https://docs.\
             paloaltonetworks.com/pan-os/9-0/pan-os-web-interface-help/policies/\
             policies-security/security-policy-overview): the default rules allow all \
             intrazone and deny all interzone traffic; their action can be overridden",
};

/// The firewall's own services on a dataplane interface.
pub(super) const MGMT_DEFAULT: VendorDefault = VendorDefault {
    statement: "the firewall answers management services (ssh, https, http, telnet, snmp, …) \
                on a dataplane interface only where an interface management profile enables \
                them",
    versions: "all",
    source: "PAN-OS web interface help \"Network › Network Profiles › Interface Mgmt\" and the \
             admin guide \"Use Interface Management Profiles to Restrict Access\"",
};
