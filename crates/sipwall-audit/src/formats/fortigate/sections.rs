//! Line coverage by section: which FortiOS config paths the parser reads (and which of their
//! keys it reads), which it knows to be irrelevant to VoIP through the firewall, and the rest.

use crate::coverage::{Coverage, LineClass};

use super::tree::{Item, Kind, Loose, MAX_DEPTH, Node, Stmt, Tree, Verb};

/// How a config path is classified.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Every line of the block has this class.
    Whole(LineClass),
    /// The block is read: its structure is understood, its statements by key; nested blocks
    /// by their own path (or `rest` when not listed).
    Keys {
        /// Keys read into facts (a trailing `*` matches a prefix).
        understood: &'static [&'static str],
        /// Keys known to be irrelevant.
        ignored: &'static [&'static str],
        rest: LineClass,
    },
}

const IGNORED: Rule = Rule::Whole(LineClass::Ignored);
const UNKNOWN: Rule = Rule::Whole(LineClass::Unknown);

/// Top-level families that carry nothing about VoIP forwarding (logging, users, VPN, routing,
/// UTM profiles, wireless, switches …).
const IGNORED_FAMILIES: &[&str] = &[
    "alertemail",
    "antivirus",
    "application",
    "authentication",
    "automation",
    "aws",
    "azure",
    "casb",
    "certificate",
    "cifs",
    "credential-store",
    "diameter-filter",
    "dlp",
    "dnsfilter",
    "dpdk",
    "emailfilter",
    "endpoint-control",
    "ethernet-oam",
    "extender-controller",
    "extension-controller",
    "file-filter",
    "ftp-proxy",
    "gtp",
    "hardware",
    "icap",
    "ips",
    "log",
    "monitoring",
    "nsxt",
    "pfcp",
    "report",
    "router",
    "rule",
    "sctp-filter",
    "spamfilter",
    "ssh-filter",
    "switch",
    "switch-controller",
    "user",
    "videofilter",
    "virtual-patch",
    "vpn",
    "waf",
    "wanopt",
    "web-proxy",
    "webfilter",
    "wireless",
    "wireless-controller",
    "ztna",
];

/// `firewall` sections with no bearing on which traffic passes or how it is translated.
const IGNORED_FIREWALL: &[&str] = &[
    "access-proxy",
    "access-proxy-ssh-client-cert",
    "access-proxy-virtual-host",
    "address6-template",
    "auth-portal",
    "city",
    "country",
    "decrypted-traffic-mirror",
    "DoS-policy6",
    "global",
    "identity-based-route",
    "internet-service",
    "internet-service-addition",
    "internet-service-append",
    "internet-service-botnet",
    "internet-service-custom",
    "internet-service-custom-group",
    "internet-service-definition",
    "internet-service-extension",
    "internet-service-group",
    "internet-service-ipbl-reason",
    "internet-service-ipbl-vendor",
    "internet-service-list",
    "internet-service-name",
    "internet-service-owner",
    "internet-service-reputation",
    "internet-service-sld",
    "internet-service-subapp",
    "interface-policy",
    "interface-policy6",
    "ldb-monitor",
    "multicast-address",
    "multicast-address6",
    "multicast-policy",
    "multicast-policy6",
    "network-service-dynamic",
    "on-demand-sniffer",
    "profile-group",
    "profile-protocol-options",
    "proxy-address",
    "proxy-addrgrp",
    "proxy-policy",
    "region",
    "shaping-policy",
    "shaping-profile",
    "sniffer",
    "ssl-server",
    "ssl-ssh-profile",
    "traffic-class",
    "vendor-mac",
];

const POLICY_UNDERSTOOD: &[&str] = &[
    "action",
    "auto-asic-offload",
    "dstaddr",
    "dstaddr-negate",
    "dstaddr6",
    "dstintf",
    "fixedport",
    "groups",
    "internet-service",
    "internet-service-custom",
    "internet-service-group",
    "internet-service-id",
    "internet-service-name",
    "internet-service-src",
    "ippool",
    "nat",
    "poolname",
    "port-preserve",
    "port-random",
    "schedule",
    "service",
    "service-negate",
    "session-ttl",
    "srcaddr",
    "srcaddr-negate",
    "srcaddr6",
    "srcintf",
    "status",
    "users",
    "utm-status",
    "voip-profile",
];

const POLICY_IGNORED: &[&str] = &[
    "_scope",
    "anti-replay",
    "app-category",
    "application",
    "application-list",
    "auth-cert",
    "auth-path",
    "auth-redirect-addr",
    "av-profile",
    "block-notification",
    "capture-packet",
    "casb-profile",
    "cifs-profile",
    "comments",
    "custom-log-fields",
    "decrypted-traffic-mirror",
    "delay-tcp-npu-session",
    "devices",
    "diameter-filter-profile",
    "diffserv-forward",
    "diffserv-reverse",
    "diffservcode-forward",
    "diffservcode-rev",
    "disclaimer",
    "dlp-profile",
    "dlp-sensor",
    "dnsfilter-profile",
    "dsri",
    "dynamic-shaping",
    "email-collect",
    "emailfilter-profile",
    "file-filter-profile",
    "fsso",
    "fsso-agent-for-ntlm",
    "geoip-anycast",
    "geoip-match",
    "global-label",
    "http-policy-redirect",
    "icap-profile",
    "identity-based-route",
    "inbound",
    "inspection-mode",
    "ips-sensor",
    "ips-voip-filter",
    "label",
    "learning-mode",
    "log-http-transaction",
    "logtraffic",
    "logtraffic-start",
    "match-vip",
    "match-vip-only",
    "name",
    "nat46",
    "nat64",
    "natinbound",
    "natip",
    "natoutbound",
    "ntlm",
    "ntlm-enabled-browsers",
    "ntlm-guest",
    "outbound",
    "passive-wan-health-measurement",
    "per-ip-shaper",
    "permit-any-host",
    "permit-stun-host",
    "policy-expiry",
    "policy-expiry-date",
    "profile-group",
    "profile-protocol-options",
    "profile-type",
    "radius-mac-auth-bypass",
    "replacemsg-override-group",
    "reputation-direction",
    "reputation-minimum",
    "rtp-addr",
    "rtp-nat",
    "schedule-timeout",
    "sctp-filter-profile",
    "send-deny-packet",
    "sgt",
    "sgt-check",
    "spamfilter-profile",
    "ssh-filter-profile",
    "ssh-policy-redirect",
    "ssl-ssh-profile",
    "tcp-mss-receiver",
    "tcp-mss-sender",
    "tcp-session-without-syn",
    "timeout-send-rst",
    "tos",
    "tos-mask",
    "tos-negate",
    "traffic-shaper",
    "traffic-shaper-reverse",
    "uuid",
    "videofilter-profile",
    "virtual-patch-profile",
    "vlan-cos-fwd",
    "vlan-cos-rev",
    "vpntunnel",
    "waf-profile",
    "wccp",
    "webcache",
    "webcache-https",
    "webfilter-profile",
    "webproxy-forward-server",
    "webproxy-profile",
    "ztna-ems-tag",
    "ztna-geo-tag",
    "ztna-status",
];

const OBJECT_IGNORED: &[&str] = &[
    "allow-routing",
    "associated-interface",
    "cache-ttl",
    "category",
    "clearpass-spt",
    "color",
    "comment",
    "comments",
    "dirty",
    "fabric-object",
    "filter",
    "list",
    "node-ip-only",
    "obj-type",
    "route-tag",
    "sub-type",
    "tagging",
    "uuid",
    "visibility",
];

/// The rule for a config path (nested blocks: the parent path plus the block's words).
fn rule(path: &str) -> Rule {
    let mut words = path.split(' ');
    let family = words.next().unwrap_or("");
    let second = words.next().unwrap_or("");
    match path {
        "system global" => Rule::Keys {
            understood: &[
                "udp-idle-timer",
                "admin-port",
                "admin-sport",
                "admin-ssh-port",
                "admin-telnet-port",
            ],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        "system settings" => Rule::Keys {
            understood: &[
                "default-voip-alg-mode",
                "sip-helper",
                "sip-nat-trace",
                "sip-expectation",
                "sip-tcp-port",
                "sip-udp-port",
                "sip-ssl-port",
                "central-nat",
            ],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        "system session-helper" => Rule::Keys {
            understood: &["name", "protocol", "port"],
            ignored: &[],
            rest: LineClass::Unknown,
        },
        "system session-ttl" => Rule::Keys {
            understood: &["default"],
            ignored: &[],
            rest: LineClass::Unknown,
        },
        "system session-ttl port" => Rule::Keys {
            understood: &["protocol", "start-port", "end-port", "timeout"],
            ignored: &["refresh-direction"],
            rest: LineClass::Unknown,
        },
        "system interface" => Rule::Keys {
            understood: &["role", "allowaccess", "vdom", "type"],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        "system zone" => Rule::Keys {
            understood: &["interface"],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        "system sdwan" | "system virtual-wan-link" => Rule::Keys {
            understood: &["status"],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        "system sdwan members" | "system virtual-wan-link members" | "system sdwan zone" => {
            Rule::Keys {
                understood: &["interface"],
                ignored: &[],
                rest: LineClass::Ignored,
            }
        }
        "system admin" => Rule::Keys {
            understood: &["trusthost*", "ip6-trusthost*"],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        "firewall policy" => Rule::Keys {
            understood: POLICY_UNDERSTOOD,
            ignored: POLICY_IGNORED,
            rest: LineClass::Unknown,
        },
        "firewall address" | "firewall address6" => Rule::Keys {
            understood: &[
                "type",
                "subnet",
                "start-ip",
                "end-ip",
                "fqdn",
                "ip6",
                "country",
                "wildcard",
                "wildcard-fqdn",
                "interface",
                "macaddr",
                "sdn",
            ],
            ignored: OBJECT_IGNORED,
            rest: LineClass::Unknown,
        },
        "firewall addrgrp" | "firewall addrgrp6" | "firewall service group" | "firewall vipgrp" => {
            Rule::Keys {
                understood: &["member", "exclude", "exclude-member", "interface"],
                ignored: OBJECT_IGNORED,
                rest: LineClass::Unknown,
            }
        }
        "firewall service custom" => Rule::Keys {
            understood: &[
                "protocol",
                "protocol-number",
                "tcp-portrange",
                "udp-portrange",
                "sctp-portrange",
                "session-ttl",
                "udp-idle-timer",
                "iprange",
                "fqdn",
                "icmptype",
                "icmpcode",
                "helper",
            ],
            ignored: &[
                "app-category",
                "app-service-type",
                "application",
                "category",
                "check-reset-range",
                "color",
                "comment",
                "explicit-proxy",
                "fabric-object",
                "proxy",
                "tcp-halfclose-timer",
                "tcp-halfopen-timer",
                "tcp-rst-timer",
                "tcp-timewait-timer",
                "uuid",
                "visibility",
            ],
            rest: LineClass::Unknown,
        },
        "firewall vip" => Rule::Keys {
            understood: &[
                "type",
                "extip",
                "extintf",
                "mappedip",
                "mapped-addr",
                "portforward",
                "protocol",
                "extport",
                "mappedport",
                "src-filter",
                "status",
                "service",
            ],
            ignored: &[
                "arp-reply",
                "color",
                "comment",
                "gratuitous-arp-interval",
                "id",
                "nat-source-vip",
                "portmapping-type",
                "srcintf-filter",
                "uuid",
            ],
            rest: LineClass::Unknown,
        },
        "firewall ippool" => Rule::Keys {
            understood: &["type", "startip", "endip"],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        "firewall local-in-policy" => Rule::Keys {
            understood: &[
                "intf",
                "srcaddr",
                "dstaddr",
                "action",
                "service",
                "schedule",
                "status",
                "srcaddr-negate",
                "dstaddr-negate",
                "service-negate",
            ],
            ignored: &["uuid", "comments", "ha-mgmt-intf-only", "virtual-patch"],
            rest: LineClass::Unknown,
        },
        "firewall DoS-policy" => Rule::Keys {
            understood: &["interface", "srcaddr", "dstaddr", "service", "status"],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        "firewall DoS-policy anomaly" => Rule::Keys {
            understood: &[
                "status",
                "action",
                "threshold",
                "quarantine",
                "quarantine-expiry",
            ],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        "firewall central-snat-map" => Rule::Keys {
            understood: &[
                "status",
                "srcintf",
                "dstintf",
                "orig-addr",
                "dst-addr",
                "nat",
                "nat-ippool",
                "port-preserve",
                "protocol",
                "orig-port",
                "nat-port",
            ],
            ignored: &["uuid", "comments", "type", "nat46", "nat64"],
            rest: LineClass::Unknown,
        },
        "voip profile" => Rule::Keys {
            understood: &["feature-set"],
            ignored: &["comment"],
            rest: LineClass::Ignored,
        },
        "voip profile sip" => Rule::Keys {
            understood: &["status"],
            ignored: &[],
            rest: LineClass::Ignored,
        },
        _ => match family {
            "system" | "voip" => IGNORED,
            "firewall" if IGNORED_FIREWALL.contains(&second) => IGNORED,
            "firewall"
                if matches!(
                    second,
                    "schedule"
                        | "ssh"
                        | "ssl"
                        | "wildcard-fqdn"
                        | "shaper"
                        | "service"
                        | "ipmacbinding"
                ) =>
            {
                // `service category`, `schedule onetime|recurring|group`, `ssh local-key`,
                // `shaper traffic-shaper` …
                IGNORED
            }
            family if IGNORED_FAMILIES.contains(&family) => IGNORED,
            _ => UNKNOWN,
        },
    }
}

fn key_matches(list: &[&str], key: &str) -> bool {
    list.iter().any(|item| match item.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => *item == key,
    })
}

/// Marks every line of the export.
pub(super) fn classify(tree: &Tree, coverage: &mut Coverage) {
    for &root in &tree.roots {
        let node = tree.node(root);
        match node.words.as_slice() {
            [word] if node.kind == Kind::Config && (word == "global" || word == "vdom") => {
                mark_wrapper(node, coverage);
                for item in &node.items {
                    match item {
                        Item::Child(child) => {
                            let child = tree.node(*child);
                            if word == "vdom" && child.kind == Kind::Edit {
                                // `edit NAME` holds the VDOM's sections.
                                mark_wrapper(child, coverage);
                                for item in &child.items {
                                    section_item(tree, item, coverage);
                                }
                            } else {
                                section_item(tree, item, coverage);
                            }
                        }
                        Item::Stmt(stmt) => mark_stmt(stmt, LineClass::Unknown, coverage),
                    }
                }
            }
            _ => section(tree, node, coverage),
        }
    }
    for stmt in &tree.top_stmts {
        let class = if top_level_ignored(stmt) {
            LineClass::Ignored
        } else {
            LineClass::Unknown
        };
        mark_stmt(stmt, class, coverage);
    }
    for &(first, last, kind) in &tree.loose {
        let class = match kind {
            Loose::Comment => LineClass::Ignored,
            Loose::Stray => LineClass::Unknown,
        };
        coverage.mark_range(first, last, class);
    }
}

/// Output of `get system status` (`Version: …`), a CLI prompt echo (`FGT # show …`) or a
/// `show`/`get` command line pasted with the export.
fn top_level_ignored(stmt: &Stmt) -> bool {
    let first = stmt.args.first().map(|a| a.as_ref()).unwrap_or("");
    // `Key: value` status lines (`Current virtual domain: root`).
    stmt.args.iter().take(4).any(|w| w.ends_with(':'))
        || stmt.args.get(1).is_some_and(|w| w == "#" || w == "$")
        || matches!(first, "show" | "get")
}

fn mark_wrapper(node: &Node, coverage: &mut Coverage) {
    coverage.mark(node.line, LineClass::Understood);
    if let Some(close) = node.close_line {
        coverage.mark(close, LineClass::Understood);
    }
}

fn mark_stmt(stmt: &Stmt, class: LineClass, coverage: &mut Coverage) {
    coverage.mark_range(stmt.line, stmt.last_line, class);
}

fn section_item(tree: &Tree, item: &Item, coverage: &mut Coverage) {
    match item {
        Item::Child(child) => section(tree, tree.node(*child), coverage),
        Item::Stmt(stmt) => mark_stmt(stmt, LineClass::Unknown, coverage),
    }
}

/// A section-level block (a `config` directly at the top, in `config global` or in a VDOM).
fn section(tree: &Tree, node: &Node, coverage: &mut Coverage) {
    if node.kind != Kind::Config {
        coverage.mark_range(node.line, node.last_line, LineClass::Unknown);
        return;
    }
    let path = node.path();
    apply(tree, node, &path, rule(&path), coverage, 0);
}

fn apply(tree: &Tree, node: &Node, path: &str, rule: Rule, coverage: &mut Coverage, depth: usize) {
    let (understood, ignored, rest) = match rule {
        Rule::Whole(class) => {
            coverage.mark_range(node.line, node.last_line, class);
            return;
        }
        Rule::Keys {
            understood,
            ignored,
            rest,
        } => (understood, ignored, rest),
    };
    coverage.mark(node.line, LineClass::Understood);
    if let Some(close) = node.close_line {
        coverage.mark(close, LineClass::Understood);
    }
    for item in &node.items {
        match item {
            Item::Stmt(stmt) => {
                let class = match stmt.verb {
                    Verb::Set | Verb::Unset | Verb::Append | Verb::Select | Verb::Unselect => {
                        let key = stmt.key();
                        if key_matches(understood, key) {
                            LineClass::Understood
                        } else if key_matches(ignored, key) {
                            LineClass::Ignored
                        } else {
                            rest
                        }
                    }
                    // Table edits the parser applies.
                    Verb::Delete | Verb::Purge | Verb::Move => LineClass::Understood,
                    Verb::Other => LineClass::Unknown,
                };
                mark_stmt(stmt, class, coverage);
            }
            Item::Child(child) => {
                let child = tree.node(*child);
                if depth >= MAX_DEPTH {
                    coverage.mark_range(child.line, child.last_line, rest);
                    continue;
                }
                match child.kind {
                    // An entry: same rule, same path.
                    Kind::Edit => apply(tree, child, path, rule, coverage, depth + 1),
                    Kind::Config => {
                        let sub = format!("{path} {}", child.path());
                        let sub_rule = match self::rule(&sub) {
                            Rule::Whole(LineClass::Unknown) => Rule::Whole(rest),
                            known => known,
                        };
                        apply(tree, child, &sub, sub_rule, coverage, depth + 1);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::fortigate::tree;
    use crate::source::Source;

    fn classes(text: &str) -> Vec<Option<LineClass>> {
        let source = Source::new("t", text);
        let tree = tree::read(text);
        let mut coverage = Coverage::new(&source);
        classify(&tree, &mut coverage);
        (1..=source.line_count() as u32)
            .map(|n| coverage.class(n))
            .collect()
    }

    #[test]
    fn relevant_keys_are_understood_others_ignored_or_unknown() {
        use LineClass::*;
        let got = classes(
            "config system global\n    set hostname x\n    set udp-idle-timer 300\nend\n\
             config firewall policy\n    edit 1\n        set logtraffic all\n        set srcintf a\n        \
             set frobnicate 1\n    next\nend\nconfig router static\n    edit 1\n    next\nend\n\
             config nonsense here\nend\n# comment\n",
        );
        let expected = [
            Understood, Ignored, Understood, Understood, Understood, Understood, Ignored,
            Understood, Unknown, Understood, Understood, Ignored, Ignored, Ignored, Ignored,
            Unknown, Unknown, Ignored,
        ];
        let got: Vec<LineClass> = got.into_iter().map(Option::unwrap).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn vdom_wrappers_and_nested_sections() {
        use LineClass::*;
        let got = classes(
            "config global\nconfig system session-helper\nedit 13\nset name sip\nnext\nend\nend\n\
             config vdom\nedit voice\nconfig voip profile\nedit default\nconfig sip\nset status disable\n\
             set block-ack enable\nend\nnext\nend\nnext\nend\n",
        );
        let got: Vec<LineClass> = got.into_iter().map(Option::unwrap).collect();
        assert!(got[..7].iter().all(|c| *c == Understood), "{got:?}");
        assert_eq!(got[12], Understood);
        assert_eq!(got[13], Ignored);
        assert!(got[14..].iter().all(|c| *c == Understood), "{got:?}");
    }
}
