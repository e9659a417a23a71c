//! Consumer and small-office routers (TP-Link, Netgear, D-Link, Linksys, DrayTek, Zyxel,
//! Barracuda, Ubiquiti UniFi): no configuration to paste, a checklist per brand of what the
//! profile needs (SIP ALG off, port forwards for on-site PBX profiles, UDP timeouts where the
//! router has them) and what such routers cannot do.
//!
//! Every menu path comes from research/anchors-firewall.md §2 and §3.11 (with the source the
//! note gives); where the note has none the checklist says "not documented in our sources"
//! instead of guessing a path.

use super::script::{self, Script};
use super::{Capability, Limitation, Rendering, Support, Vendor};
use crate::model::{Policy, Ports};

pub const ID: &str = "consumer";
pub const FAMILY: &str = "consumer";
pub const VERSIONS: &str = "consumer and small-office routers (checklist, any firmware)";

/// A checklist, whatever the firmware.
pub fn matches_version(_version: &str) -> bool {
    true
}

/// What the checklist says when the research notes have no path.
pub const NOT_DOCUMENTED: &str = "not documented in our sources";

pub const CAPABILITIES: &[Capability] = &[
    Capability {
        concern: "allow rules (addresses, ports, ranges)",
        support: Support::Approximate,
        how: "port forwards only; outbound traffic is usually all allowed",
    },
    Capability {
        concern: "FQDN objects",
        support: Support::None,
        how: "consumer routers have no address objects",
    },
    Capability {
        concern: "port-preserving / consistent NAT",
        support: Support::None,
        how: "not settable on consumer routers",
    },
    Capability {
        concern: "SIP ALG off",
        support: Support::Native,
        how: "the brand's SIP ALG switch, where our sources document it",
    },
    Capability {
        concern: "UDP timeout per port",
        support: Support::None,
        how: "rarely exposed; Zyxel ZLD has SIP timeouts on its ALG page",
    },
    Capability {
        concern: "hygiene (forbidden inbound ports, source whitelist, no DMZ)",
        support: Support::Approximate,
        how: "forward nothing else, no DMZ host; source restriction rarely available",
    },
    Capability {
        concern: "brute-force ban after failed SIP authentications",
        support: Support::None,
        how: "use the PBX's own ban",
    },
    Capability {
        concern: "per-policy session TTL",
        support: Support::None,
        how: "not available",
    },
];

/// One brand: SIP ALG switch, port forwarding page, UDP timeouts, remarks.
struct Brand {
    name: &'static str,
    alg: &'static str,
    forwarding: &'static str,
    timeouts: &'static str,
    remarks: &'static [&'static str],
}

const BRANDS: &[Brand] = &[
    Brand {
        name: "TP-Link",
        alg: "Advanced › NAT Forwarding › ALG: untick SIP ALG (on by default: the manual says \
              \"Enabling ALG is recommended\"; source: TP-Link TD-W9960v manual, research §3.11). \
              Omada gateways have a similar ALG page; its exact path is not documented in our \
              sources.",
        forwarding: "under Advanced › NAT Forwarding; the exact page is not documented in our \
                     sources.",
        timeouts: "not documented in our sources (research: not exposed on consumer models, \
                   unverified).",
        remarks: &[],
    },
    Brand {
        name: "Netgear",
        alg: "consumer routers: Advanced › Setup › WAN Setup: tick \"Disable SIP ALG\" (the box \
              is unticked by default, so the ALG is on; source: negan07/ancistrus issue #79, \
              research §3.11). ProSecure UTM: Firewall › Advanced (SIP ALG off by default).",
        forwarding: "not documented in our sources.",
        timeouts: "consumer routers: not documented in our sources. ProSecure UTM: session \
                   timeouts on Firewall › Advanced.",
        remarks: &[],
    },
    Brand {
        name: "D-Link",
        alg: "not documented in our sources: look for a SIP ALG (or \"SIP\" under ALG / \
              application level gateway) setting in the router's manual and switch it off.",
        forwarding: "not documented in our sources.",
        timeouts: "not documented in our sources.",
        remarks: &[],
    },
    Brand {
        name: "Linksys",
        alg: "not documented in our sources: look for a SIP ALG setting in the router's manual \
              and switch it off.",
        forwarding: "not documented in our sources.",
        timeouts: "not documented in our sources.",
        remarks: &[],
    },
    Brand {
        name: "DrayTek",
        alg: "NAT › ALG: untick SIP (or telnet `sys sip_alg -e 0`); off by default on current \
              products (source: DrayTek UK KB kb-sip-alg, research §3.11) — check it anyway.",
        forwarding: "not documented in our sources.",
        timeouts: "not documented in our sources.",
        remarks: &[],
    },
    Brand {
        name: "Zyxel",
        alg: "ZLD firewalls (USG/ATP/ZyWALL): Configuration › Network › ALG: untick Enable SIP \
              ALG / SIP Transformations (Zyxel's own text: \"You should disable this if have \
              registered for cloud VoIP services\"; source: ZyWALL ATP700 user guide, research \
              §3.11). USG FLEX H (uOS): the ALG page lists FTP only, nothing to switch.",
        forwarding: "not documented in our sources.",
        timeouts: "ZLD: the ALG page has SIP signalling and SIP media inactivity timeouts \
                   (they apply to the ALG); a general UDP timeout is not documented in our \
                   sources.",
        remarks: &[],
    },
    Brand {
        name: "Barracuda",
        alg: "CloudGen Firewall: do not reference the SIP plugin in the service object used for \
              the SIP traffic (Barracuda recommends its SIP Proxy over the SIP plugin module; \
              source: Barracuda Campus, research §3.11); the exact menu path is not documented \
              in our sources.",
        forwarding: "not documented in our sources.",
        timeouts: "set per service entry (session / balanced timeout); the exact menu path is \
                   not documented in our sources.",
        remarks: &[],
    },
    Brand {
        name: "Ubiquiti UniFi",
        alg: "USG: disable the SIP conntrack module through config.gateway.json \
              (system.conntrack.modules.sip.disable, EdgeOS keys) or the controller's firewall \
              modules toggle. UniFi OS gateways (UDM, UCG, UXG): a GUI toggle whose location \
              varies by Network version, not documented in our sources. EdgeOS CLI commands do \
              not exist on UniFi OS (research §2, §3.8).",
        forwarding: "not documented in our sources.",
        timeouts: "USG: config.gateway.json system.conntrack.timeout.udp; UniFi OS: not \
                   documented in our sources.",
        remarks: &[],
    },
];

fn limitations(policy: &Policy) -> Vec<Limitation> {
    let mut out = vec![Limitation {
        topic: "checklist-only".into(),
        text: "consumer routers take no configuration text: every item below is done by hand \
               in the router's web interface"
            .into(),
        origins: Vec::new(),
    }];
    if let Some(snat) = &policy.nat.source_nat
        && (snat.port_preservation || snat.endpoint_independent_mapping)
    {
        out.push(Limitation {
            topic: "source-nat".into(),
            text: "consumer routers offer no static-port / consistent NAT setting: if calls \
                   drop or have one-way audio, keep the phones' re-registration / NAT \
                   keep-alive interval below the router's UDP timeout, or use a firewall that \
                   has it"
                .into(),
            origins: snat.origins.clone(),
        });
    }
    if !policy.hygiene.source_whitelists.is_empty() {
        out.push(Limitation {
            topic: "source-whitelist".into(),
            text: "most consumer routers cannot restrict a port forward to source addresses: \
                   restrict the sources on the PBX itself (its allowed-peers or ACL setting)"
                .into(),
            origins: policy
                .hygiene
                .source_whitelists
                .iter()
                .flat_map(|w| w.origins.clone())
                .collect(),
        });
    }
    if !script::fqdns(policy).is_empty() {
        out.push(Limitation {
            topic: "fqdn".into(),
            text: "consumer routers have no address objects: the provider's DNS names cannot be \
                   matched; outbound traffic is usually allowed anyway"
                .into(),
            origins: Vec::new(),
        });
    }
    if !policy.brute_force.is_empty() {
        out.push(Limitation {
            topic: "brute-force".into(),
            text: "no per-source rate limit on consumer routers: keep the PBX's \
                   failed-authentication ban on"
                .into(),
            origins: policy
                .brute_force
                .iter()
                .flat_map(|b| b.origins.clone())
                .collect(),
        });
    }
    out.extend(script::note_limitations(
        policy,
        "consumer routers",
        |topic| match topic {
            "clear-sessions-after-change" => Some("reboot the router after the changes".into()),
            _ => None,
        },
    ));
    out
}

/// Renders the checklist.
pub fn render(policy: &Policy, explain: bool) -> Rendering {
    let limitations = limitations(policy);
    let mut out = Script::new(policy, explain);
    out.header("consumer routers (checklist)", &limitations);
    out.line("#");
    out.note("What the profile needs from the router:");
    let mut items: Vec<String> = Vec::new();
    let alg_off = policy.algs.iter().any(|a| !a.enabled);
    if alg_off {
        let scope: Vec<String> = policy
            .algs
            .iter()
            .flat_map(|a| a.scope.iter())
            .map(|(p, ports)| format!("{p}/{ports}"))
            .collect();
        items.push(format!(
            "SIP ALG off (SIP ports of this profile: {}).",
            if scope.is_empty() {
                "none".into()
            } else {
                scope.join(" ")
            }
        ));
    }
    for forward in &policy.nat.port_forwards {
        let proto = match forward.protocol {
            Some(p) => p.name().to_uppercase(),
            None => "TCP and UDP".into(),
        };
        let ports = match &forward.ports {
            Ports::Any => "all ports".to_string(),
            Ports::Set(_) => format!("port(s) {}", forward.ports),
        };
        items.push(format!(
            "Port forward {proto} {ports} to {} (same inside port), named \"sipwall {}\".",
            forward.to, forward.name
        ));
    }
    if policy.hygiene.no_dmz.is_some() || !policy.nat.port_forwards.is_empty() {
        items.push("No DMZ / exposed host: forward only the ports above.".into());
    }
    if !policy.hygiene.forbidden_inbound.is_empty() {
        let ports: Vec<String> = policy
            .hygiene
            .forbidden_inbound
            .iter()
            .map(|i| format!("{}/{} ({})", i.protocol, i.port, i.service))
            .collect();
        items.push(format!(
            "Never forward or open from the internet: {}; also switch off remote \
             administration from the WAN.",
            ports.join(", ")
        ));
    }
    if let Some((unreplied, replied)) = script::udp_timeouts(policy) {
        items.push(format!(
            "UDP session timeout at least {} s ({} s before a reply), if the router has the \
             setting; never lower it.",
            replied.max(unreplied),
            unreplied
        ));
    }
    if policy.rules.iter().any(|r| r.required) {
        let mut ports: Vec<String> = Vec::new();
        for rule in policy.rules.iter().filter(|r| r.required) {
            let text = format!("{}/{}", rule.protocol, rule.destination_ports);
            if !ports.contains(&text) {
                ports.push(text);
            }
        }
        items.push(format!(
            "Outbound: consumer routers allow all outbound traffic by default; if yours filters \
             it, allow {}.",
            ports.join(", ")
        ));
    }
    for item in &items {
        out.note(&format!("  [ ] {item}"));
    }
    for alg in policy.algs.iter().filter(|a| !a.enabled) {
        out.origins("SIP ALG off", &alg.origins);
    }
    for forward in &policy.nat.port_forwards {
        out.origins(
            &format!("port forward {} to {}", forward.name, forward.to),
            &forward.origins,
        );
    }
    for timeout in &policy.timeouts {
        out.origins(
            &format!("{} idle timeout", timeout.protocol),
            &timeout.origins,
        );
    }
    for brand in BRANDS {
        out.line("#");
        out.note(&format!("== {} ==", brand.name));
        if alg_off {
            out.note(&format!("  [ ] SIP ALG off: {}", brand.alg));
        } else {
            out.note(&format!(
                "  SIP ALG: the policy does not ask to change it ({}).",
                brand.alg
            ));
        }
        if !policy.nat.port_forwards.is_empty() {
            out.note(&format!(
                "  [ ] Port forwards above: page {}",
                brand.forwarding
            ));
        }
        if script::udp_timeouts(policy).is_some() {
            out.note(&format!("  [ ] UDP timeout: {}", brand.timeouts));
        }
        for remark in brand.remarks {
            out.note(&format!("  {remark}"));
        }
    }
    out.line("#");
    out.note("What consumer routers cannot do (do it elsewhere):");
    out.note(
        "  - static-port / consistent NAT: not settable; keep re-registration intervals short.",
    );
    out.note("  - per-port UDP timeouts and per-rule session lifetimes: not available.");
    out.note(
        "  - source whitelists, DNS-name objects, brute-force bans: do them on the PBX or use a \
         firewall (pfsense, openwrt, …).",
    );
    out.note("  - after the changes, reboot the router so old sessions are dropped.");
    Rendering {
        vendor: Vendor::Consumer,
        text: out.text,
        limitations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_brand_has_a_path_or_says_it_has_none() {
        for brand in BRANDS {
            for text in [brand.alg, brand.forwarding, brand.timeouts] {
                assert!(
                    text.contains('›')
                        || text.contains(NOT_DOCUMENTED)
                        || text.contains("config.gateway.json")
                        || text.contains("service"),
                    "{}: {text}",
                    brand.name
                );
            }
        }
    }
}
