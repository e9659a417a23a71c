//! The VoIP semantics of a FortiOS configuration: SIP ALG and session-helper state, UDP
//! timeouts, policies as filter rules, source NAT and its port handling, NP offload, virtual
//! IPs as forwards, administrative access on the WAN, DoS-policy per-source limits, and keys
//! the stated version does not have.

use std::collections::{HashMap, HashSet};

use ipnet::IpNet;
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};

use crate::coverage::{Coverage, LineClass};
use crate::device::{
    AlgState, BruteForce, DefaultAction, Device, Evidence, FilterRule, Forward, Offload, Path,
    SourceNat, UdpTimeout, VersionIssue,
};
use crate::formats::Hints;
use crate::source::{Source, Span};

use super::objects::{
    AddrSet, Ctx, Fields, Interface, Layout, Objects, PortSet, Table, Topology, Vip, destinations,
    port_range, seconds, subnet,
};
use super::tree::Tree;
use super::{
    ALG_MODE_DEFAULT, ALG_MODE_DEFAULT_50, ASIC_OFFLOAD_DEFAULT, FIXEDPORT_DEFAULT, IMPLICIT_DENY,
    LOCAL_IN_DEFAULT, SESSION_HELPER_DEFAULT, SESSION_TTL_PORT_DEFAULT, UDP_IDLE_DEFAULT,
    VOIP_PROFILE_SIP_DEFAULT, Version,
};

/// SIP ports the ALG listens on when `sip-udp-port` / `sip-tcp-port` are not set (research
/// note §3.1: "the ALG only hooks sip-udp-port / sip-tcp-port (5060) … unless changed").
const ALG_DEFAULT_PORT: u16 = 5060;

/// Administrative services of `allowaccess` and their ports: the `config system global`
/// defaults `admin-port` 80, `admin-sport` 443, `admin-ssh-port` 22, `admin-telnet-port` 23
/// (FortiOS CLI reference, `config system global`); SNMP 161/udp, FortiManager (`fgfm`)
/// 541/tcp, CAPWAP 5246-5247/udp, RADIUS accounting 1813/udp.
const ACCESS_SERVICES: &[(&str, Protocol, u16, u16, Option<&str>)] = &[
    ("http", Protocol::Tcp, 80, 80, Some("admin-port")),
    ("https", Protocol::Tcp, 443, 443, Some("admin-sport")),
    ("ssh", Protocol::Tcp, 22, 22, Some("admin-ssh-port")),
    ("telnet", Protocol::Tcp, 23, 23, Some("admin-telnet-port")),
    ("snmp", Protocol::Udp, 161, 161, None),
    ("fgfm", Protocol::Tcp, 541, 541, None),
    ("capwap", Protocol::Udp, 5246, 5247, None),
    ("radius-acct", Protocol::Udp, 1813, 1813, None),
];

/// Keys a FortiOS version does not have: `(path, key, first version, first version without
/// it, what to say)`. Sources: the FortiOS Ansible collection's versioned schema for
/// `system settings` (`sip-helper` v6.0.0-v6.0.11, `sip-expectation` from v6.2.0,
/// fortinet-ansible-dev/ansible-galaxy-fortios-collection `fortios_system_settings.py`);
/// `default-voip-alg-mode` since 5.2 (help.fortinet.com FortiOS 5.2 "other new features");
/// `port-preserve` since 7.4.4 (docs.fortinet.com 7.4 new features 758009, "Fine-tuning
/// source port behavior for SNAT"); `port-random` since 7.6.1 (community ta-p/380483); VoIP
/// profile `feature-set` since 7.0 (FortiOS 7.0.0 CLI reference `config voip profile`).
const VERSIONED_KEYS: &[(&str, &str, Version, Option<Version>, &str)] = &[
    (
        "system settings",
        "sip-helper",
        Version(0, 0, 0),
        Some(Version(6, 2, 0)),
        "`sip-helper` exists only before FortiOS 6.2; from 6.2 the SIP session helper is only \
         controlled by the `sip` entry of `config system session-helper` (and `sip-expectation`)",
    ),
    (
        "system settings",
        "sip-expectation",
        Version(6, 2, 0),
        None,
        "`sip-expectation` exists from FortiOS 6.2; before 6.2 use `sip-helper`",
    ),
    (
        "system settings",
        "default-voip-alg-mode",
        Version(5, 2, 0),
        None,
        "`default-voip-alg-mode` exists from FortiOS 5.2; on 5.0 policies without a VoIP \
         profile use the SIP session helper",
    ),
    (
        "firewall policy",
        "port-preserve",
        Version(7, 4, 4),
        None,
        "`port-preserve` exists from FortiOS 7.4.4; before it only `fixedport` keeps source ports",
    ),
    (
        "firewall policy",
        "port-random",
        Version(7, 6, 1),
        None,
        "`port-random` exists from FortiOS 7.6.1",
    ),
    (
        "voip profile",
        "feature-set",
        Version(7, 0, 0),
        None,
        "`feature-set` (flow/IPS-based SIP inspection) exists from FortiOS 7.0",
    ),
];

/// Builds the device facts from the tree.
pub(super) struct Builder<'a, 't> {
    source: &'a Source,
    tree: &'t Tree<'t>,
    hints: &'a Hints,
    version: Option<Version>,
    coverage: &'a mut Coverage,
    pub device: Device,
}

/// What the policies of one context said, for the facts that depend on all of them.
#[derive(Default)]
struct PolicyFacts<'t> {
    /// At least one enabled accepting policy (the context carries traffic).
    active: bool,
    /// Custom services used by accepting policies, in order of first use.
    used_services: Vec<&'t str>,
    seen_services: HashSet<&'t str>,
    /// Per-policy session TTLs (seconds, UDP ports, evidence line), each (seconds, ports) once.
    policy_ttls: Vec<(u32, Ports, u32)>,
    seen_ttls: HashSet<(u32, Ports)>,
    /// Policies whose VoIP profile has SIP off: their SIP goes to the session helper.
    helper_fallback: bool,
}

impl<'a, 't> Builder<'a, 't> {
    pub fn new(
        source: &'a Source,
        tree: &'t Tree<'t>,
        hints: &'a Hints,
        version: Option<Version>,
        coverage: &'a mut Coverage,
    ) -> Builder<'a, 't> {
        Builder {
            source,
            tree,
            hints,
            version,
            coverage,
            device: Device::default(),
        }
    }

    fn spans(&self, lines: impl IntoIterator<Item = u32>) -> Vec<Span> {
        let mut lines: Vec<u32> = lines.into_iter().filter(|l| *l > 0).collect();
        lines.sort_unstable();
        lines.dedup();
        lines
            .into_iter()
            .map(|l| self.source.line_span(l))
            .collect()
    }

    fn explicit(&self, lines: impl IntoIterator<Item = u32>) -> Evidence {
        Evidence::explicit(self.spans(lines))
    }

    fn unknown_line(&mut self, line: Option<u32>) {
        if let Some(line) = line {
            self.coverage.mark(line, LineClass::Unknown);
        }
    }

    pub fn build(&mut self) {
        let tree = self.tree;
        let layout = Layout::read(tree);
        let global = layout.global();
        let contexts = layout.contexts();

        let objects: Vec<Objects<'t>> = contexts
            .iter()
            .map(|ctx| Objects::read(tree, ctx))
            .collect();
        for objects in &objects {
            self.mark_bad_object_lines(objects);
        }
        let policies: Vec<Table<'t>> = contexts
            .iter()
            .map(|ctx| ctx.table(tree, "firewall policy"))
            .collect();
        let topology = self.topology(&global, &contexts, &objects, &policies);

        let (global_fields, _) = global.settings("system global");
        self.global_udp_timeout(&global_fields);

        let helper_table = self.session_helpers(&global);
        let mut per_context = Vec::new();
        for ((ctx, objects), table) in contexts.iter().zip(&objects).zip(&policies) {
            let facts = self.policies(ctx, objects, table, &topology);
            per_context.push(facts);
        }
        let any_active = per_context.iter().any(|f| f.active);
        for ((ctx, objects), facts) in contexts.iter().zip(&objects).zip(&per_context) {
            // A VDOM that passes no traffic cannot rewrite SIP (a management VDOM).
            if facts.active || !any_active {
                self.alg(ctx, facts, helper_table.as_ref());
            }
            self.port_timeouts(ctx);
            self.service_timeouts(objects, facts);
            for (seconds, ports, line) in &facts.policy_ttls {
                let evidence = self.explicit([*line]);
                self.device.udp_timeouts.push(UdpTimeout {
                    scope: TimeoutScope::Ports(ports.clone()),
                    unreplied_seconds: Some(*seconds),
                    replied_seconds: Some(*seconds),
                    evidence,
                });
            }
            self.local_in(ctx, objects, &topology);
            self.dos_policies(ctx, objects, &topology);
        }
        self.admin_access(&global, &global_fields, &topology);
        for path in [Path::Outbound, Path::Inbound] {
            self.device.default_actions.push(DefaultAction {
                path,
                action: Action::Drop,
                evidence: Evidence::default(IMPLICIT_DENY),
            });
        }
        self.device.default_actions.push(DefaultAction {
            path: Path::ToDevice,
            action: Action::Drop,
            evidence: Evidence::default(LOCAL_IN_DEFAULT),
        });
        self.version_issues(&layout);
    }

    fn mark_bad_object_lines(&mut self, objects: &Objects<'t>) {
        let mut lines = Vec::new();
        for entry in objects.service_entries.iter() {
            if let Some(service) = objects.service(entry.name) {
                lines.extend(service.bad_lines.iter().copied());
            }
        }
        for vip in objects.vips.values() {
            lines.extend(vip.bad_lines.iter().copied());
            if !vip.supported {
                lines.extend(vip.type_line);
            }
        }
        for line in lines {
            self.coverage.mark(line, LineClass::Unknown);
        }
    }

    // -----------------------------------------------------------------------------------
    // Topology
    // -----------------------------------------------------------------------------------

    fn topology(
        &self,
        global: &Ctx<'_, 't>,
        contexts: &[Ctx<'_, 't>],
        objects: &[Objects<'t>],
        policies: &[Table<'t>],
    ) -> Topology {
        let tree = self.tree;
        let interfaces: Vec<Interface<'t>> = global
            .table(tree, "system interface")
            .iter()
            .map(|e| Interface {
                name: e.name,
                role: e.fields.first("role"),
            })
            .collect();
        let mut zones: HashMap<String, Vec<String>> = HashMap::new();
        let mut sdwan: Vec<String> = Vec::new();
        let mut strong: Vec<&str> = Vec::new();
        let mut referenced: Vec<&str> = Vec::new();
        let mut scopes: Vec<&Ctx<'_, 't>> = contexts.iter().collect();
        scopes.push(global);
        for ctx in scopes {
            for zone in ctx.table(tree, "system zone").iter() {
                zones.entry(zone.name.to_string()).or_default().extend(
                    zone.fields
                        .values("interface")
                        .iter()
                        .map(|s| s.to_string()),
                );
            }
            for path in ["system sdwan", "system virtual-wan-link"] {
                for node in ctx.sections(path) {
                    sdwan.push("virtual-wan-link".into());
                    for sub in tree.child_configs(node) {
                        let sub_path = sub.path();
                        for entry in tree.entries(sub) {
                            let fields = Fields::of(entry);
                            match sub_path.as_str() {
                                "members" => sdwan.extend(
                                    fields.values("interface").iter().map(|s| s.to_string()),
                                ),
                                "zone" => sdwan.push(entry.name().to_string()),
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        for (objects, table) in objects.iter().zip(policies) {
            for vip in objects.vips.values() {
                strong.extend(vip.extintf);
            }
            for policy in table.iter() {
                let fields = &policy.fields;
                referenced.extend(fields.values("srcintf"));
                referenced.extend(fields.values("dstintf"));
                if fields.is("nat", "enable")
                    && fields.is("action", "accept")
                    && !fields.is("status", "disable")
                {
                    strong.extend(fields.values("dstintf"));
                }
            }
        }
        Topology::new(&interfaces, zones, &sdwan, &strong, &referenced, self.hints)
    }

    // -----------------------------------------------------------------------------------
    // SIP ALG and session helper
    // -----------------------------------------------------------------------------------

    /// The `sip` entries of `config system session-helper` (global): `None` when the export
    /// has no such section, else the entries (protocol, port, lines) and the section line.
    fn session_helpers(&mut self, global: &Ctx<'_, 't>) -> Option<HelperTable> {
        let nodes = global.sections("system session-helper");
        let first = nodes.first()?.line;
        let table = Table::build(self.tree, &nodes, false);
        let mut entries = Vec::new();
        for entry in table.iter() {
            if !entry.fields.is("name", "sip") {
                continue;
            }
            let protocol = match entry.fields.first("protocol") {
                Some("17") => Some(Protocol::Udp),
                Some("6") => Some(Protocol::Tcp),
                _ => None,
            };
            let port = entry
                .fields
                .first("port")
                .and_then(|p| p.parse::<u16>().ok());
            if entry.fields.get("port").is_some() && port.is_none() {
                self.unknown_line(entry.fields.line("port"));
            }
            let mut lines = vec![entry.line()];
            lines.extend(entry.fields.line("name"));
            lines.extend(entry.fields.line("protocol"));
            lines.extend(entry.fields.line("port"));
            entries.push((protocol, port, lines));
        }
        Some(HelperTable {
            section_line: first,
            sip: entries,
        })
    }

    fn alg(&mut self, ctx: &Ctx<'_, 't>, facts: &PolicyFacts<'t>, helpers: Option<&HelperTable>) {
        let tree = self.tree;
        let label = ctx.label();
        let (settings, settings_nodes) = ctx.settings("system settings");
        let scope = self.alg_scope(&settings);
        let profiles = ctx.table(tree, "voip profile");
        let default_profile = profile_sip(tree, &profiles, "default");

        let mode_line = settings.line("default-voip-alg-mode");
        let before_52 = self.version.is_some_and(|v| v < Version(5, 2, 0));
        let mode = match settings.first("default-voip-alg-mode") {
            Some("proxy-based") => Mode::Proxy,
            Some("kernel-helper-based") => Mode::Helper,
            Some(_) => {
                self.unknown_line(mode_line);
                Mode::Unknown
            }
            None if before_52 => Mode::Helper,
            None => Mode::Proxy,
        };
        let mut helper_applies = facts.helper_fallback;
        match mode {
            Mode::Proxy => {
                let mut lines: Vec<u32> = mode_line.into_iter().collect();
                lines.extend(default_profile.line);
                if default_profile.enabled {
                    let mechanism = format!(
                        "SIP ALG{label}: default-voip-alg-mode proxy-based, SIP inspected with the \
                         `default` VoIP profile on policies without a VoIP profile"
                    );
                    let evidence = if mode_line.is_some() {
                        self.explicit(lines)
                    } else {
                        let at = settings_nodes.iter().map(|n| n.line);
                        Evidence::default_at(ALG_MODE_DEFAULT, self.spans(at))
                    };
                    self.device.sip_alg.push(AlgState {
                        enabled: true,
                        mechanism,
                        scope: scope.clone(),
                        evidence,
                    });
                } else {
                    helper_applies = true;
                    let evidence = self.explicit(lines);
                    self.device.sip_alg.push(AlgState {
                        enabled: false,
                        mechanism: format!(
                            "SIP ALG{label}: proxy-based, but SIP is disabled in the `default` \
                             VoIP profile (SIP falls back to the session helper)"
                        ),
                        scope: scope.clone(),
                        evidence,
                    });
                }
            }
            Mode::Helper => {
                helper_applies = true;
                let evidence = match mode_line {
                    Some(line) => self.explicit([line]),
                    None => Evidence::default(ALG_MODE_DEFAULT_50),
                };
                self.device.sip_alg.push(AlgState {
                    enabled: false,
                    mechanism: format!(
                        "SIP ALG{label}: default-voip-alg-mode kernel-helper-based (policies \
                         without a VoIP profile use the SIP session helper instead)"
                    ),
                    scope: scope.clone(),
                    evidence,
                });
            }
            Mode::Unknown => {
                helper_applies = true;
                let evidence = Evidence::unknown(self.spans(mode_line));
                self.device.sip_alg.push(AlgState {
                    enabled: true,
                    mechanism: format!(
                        "SIP ALG{label}: default-voip-alg-mode with an unknown value"
                    ),
                    scope: scope.clone(),
                    evidence,
                });
            }
        }
        if helper_applies {
            self.helper_state(&settings, &label, helpers);
        }
    }

    fn helper_state(&mut self, settings: &Fields<'t>, label: &str, helpers: Option<&HelperTable>) {
        // `sip-helper disable` (before 6.2) turns the helper off; from 6.2 the key is gone.
        let key_valid = self.version.is_none_or(|v| v < Version(6, 2, 0));
        if key_valid && settings.is("sip-helper", "disable") {
            let evidence = self.explicit(settings.line("sip-helper"));
            self.device.sip_alg.push(AlgState {
                enabled: false,
                mechanism: format!("SIP session helper{label}: sip-helper disable"),
                scope: Vec::new(),
                evidence,
            });
            return;
        }
        match helpers {
            Some(table) if !table.sip.is_empty() => {
                let mut scope = Vec::new();
                let mut lines = Vec::new();
                for (protocol, port, entry_lines) in &table.sip {
                    if let (Some(protocol), Some(port)) = (protocol, port) {
                        scope.push((*protocol, Ports::single(*port)));
                    }
                    lines.extend(entry_lines.iter().copied());
                }
                let evidence = self.explicit(lines);
                self.device.sip_alg.push(AlgState {
                    enabled: true,
                    mechanism: format!(
                        "SIP session helper{label}: `sip` entry in config system session-helper"
                    ),
                    scope,
                    evidence,
                });
            }
            Some(table) => {
                let evidence = self.explicit([table.section_line]);
                self.device.sip_alg.push(AlgState {
                    enabled: false,
                    mechanism: format!(
                        "SIP session helper{label}: no `sip` entry in config system session-helper"
                    ),
                    scope: Vec::new(),
                    evidence,
                });
            }
            None => self.device.sip_alg.push(AlgState {
                enabled: true,
                mechanism: format!(
                    "SIP session helper{label}: factory `sip` entry (udp 5060) assumed, the export \
                     has no config system session-helper"
                ),
                scope: vec![(Protocol::Udp, Ports::single(5060))],
                evidence: Evidence::default(SESSION_HELPER_DEFAULT),
            }),
        }
    }

    /// The ports the SIP ALG listens on: `sip-udp-port` / `sip-tcp-port` (5060 each).
    fn alg_scope(&mut self, settings: &Fields<'t>) -> Vec<(Protocol, Ports)> {
        let mut scope = Vec::new();
        for (key, protocol) in [
            ("sip-udp-port", Protocol::Udp),
            ("sip-tcp-port", Protocol::Tcp),
        ] {
            let values = settings.values(key);
            let ranges: Vec<PortRange> = values.iter().filter_map(|v| port_range(v)).collect();
            if ranges.len() != values.len() {
                self.unknown_line(settings.line(key));
            }
            let ports = if ranges.is_empty() {
                Ports::single(ALG_DEFAULT_PORT)
            } else {
                Ports::from_ranges(ranges)
            };
            scope.push((protocol, ports));
        }
        scope
    }

    // -----------------------------------------------------------------------------------
    // Policies
    // -----------------------------------------------------------------------------------

    fn policies(
        &mut self,
        ctx: &Ctx<'_, 't>,
        objects: &Objects<'t>,
        table: &Table<'t>,
        topology: &Topology,
    ) -> PolicyFacts<'t> {
        let tree = self.tree;
        let label = ctx.label();
        let mut facts = PolicyFacts::default();
        let (settings, _) = ctx.settings("system settings");
        let central_nat = settings.is("central-nat", "enable");
        let profiles = ctx.table(tree, "voip profile");
        let alg_scope = self.alg_scope(&settings);
        // Policies reuse the same address and service lists: resolve each list once.
        let mut address_cache: HashMap<Vec<&'t str>, AddrSet<'t>> = HashMap::new();
        let mut service_cache: HashMap<Vec<&'t str>, PortSet<'t>> = HashMap::new();
        let mut used_vips: Vec<(&'t str, PortSet<'t>, Vec<u32>)> = Vec::new();
        for entry in table.iter() {
            let f = &entry.fields;
            if f.is("status", "disable") {
                continue;
            }
            let id = entry.name;
            let edit_line = entry.line();
            let action_line = f.line("action");
            let (action, ipsec) = match f.first("action").unwrap_or("deny") {
                "accept" => (Action::Accept, false),
                "deny" => (Action::Drop, false),
                "ipsec" => (Action::Accept, true),
                _ => {
                    // Not a FortiOS action (the CLI would reject the line): the default, deny.
                    self.unknown_line(action_line);
                    (Action::Drop, false)
                }
            };
            let src_names: Vec<&'t str> = f
                .values("srcaddr")
                .iter()
                .chain(f.values("srcaddr6"))
                .copied()
                .collect();
            let dst_names: Vec<&'t str> = f
                .values("dstaddr")
                .iter()
                .chain(f.values("dstaddr6"))
                .copied()
                .collect();
            let src = address_cache
                .entry(src_names)
                .or_insert_with_key(|names| objects.addresses(names))
                .clone();
            let dst = address_cache
                .entry(dst_names)
                .or_insert_with_key(|names| objects.addresses(names))
                .clone();
            let svc = service_cache
                .entry(f.values("service").to_vec())
                .or_insert_with_key(|names| objects.services(names))
                .clone();
            if action == Action::Accept {
                facts.active = true;
                for name in &svc.services {
                    if facts.seen_services.insert(name) {
                        facts.used_services.push(name);
                    }
                }
            }
            let negate = ["srcaddr-negate", "dstaddr-negate", "service-negate"]
                .iter()
                .any(|k| f.is(k, "enable"));
            let limited = f
                .first("schedule")
                .is_some_and(|s| !s.eq_ignore_ascii_case("always"))
                || !f.values("users").is_empty()
                || !f.values("groups").is_empty()
                || f.is("internet-service", "enable")
                || f.is("internet-service-src", "enable");
            let unresolved =
                src.unresolved || dst.unresolved || svc.unresolved || svc.restricted_destination;
            let conditional = ipsec || negate || limited || unresolved;

            let srcintf = f.values("srcintf");
            let dstintf = f.values("dstintf");
            let outbound = srcintf.iter().any(|i| topology.is_lan(i))
                && dstintf.iter().any(|i| topology.is_wan(i));
            let inbound = srcintf.iter().any(|i| topology.is_wan(i))
                && dstintf.iter().any(|i| topology.is_lan(i));

            let mut lines = vec![edit_line];
            for key in [
                "srcintf", "dstintf", "srcaddr", "dstaddr", "srcaddr6", "dstaddr6", "service",
                "action",
            ] {
                if let Some(field) = f.get(key) {
                    lines.extend(field.lines.iter().copied());
                }
            }
            let matches_something = !src.is_empty() && !dst.is_empty();
            if matches_something {
                let destination = destination_side(&dst, objects);
                let source = src.rule_side();
                for path in [Path::Outbound, Path::Inbound] {
                    let on_path = match path {
                        Path::Outbound => outbound,
                        _ => inbound,
                    };
                    if !on_path {
                        continue;
                    }
                    for (protocol, source_ports, ports) in svc.per_protocol_and_source() {
                        let evidence = self.explicit(lines.iter().copied());
                        self.device.filters.push(FilterRule {
                            path,
                            protocol,
                            source: source.clone(),
                            source_ports,
                            destination: destination.clone(),
                            destination_ports: ports,
                            action,
                            conditional,
                            evidence,
                        });
                    }
                }
            }
            if action != Action::Accept || !matches_something {
                continue;
            }
            if outbound && !central_nat && f.is("nat", "enable") {
                self.source_nat(f, objects, &svc);
            }
            self.offload(f, id, edit_line, &svc, &label);
            if let Some(ttl) = f.first("session-ttl") {
                match seconds(ttl) {
                    Some(0) => {}
                    Some(ttl) => {
                        // Policies that touch the WAN only; equal TTLs on equal ports once.
                        if let Some(ports) = svc.udp_ports().filter(|_| outbound || inbound)
                            && facts.seen_ttls.insert((ttl, ports.clone()))
                        {
                            facts.policy_ttls.push((
                                ttl,
                                ports,
                                f.line("session-ttl").unwrap_or(edit_line),
                            ));
                        }
                    }
                    None => self.unknown_line(f.line("session-ttl")),
                }
            }
            if inbound && !dst.vips.is_empty() {
                for vip in &dst.vips {
                    used_vips.push((vip, svc.clone(), lines.clone()));
                }
            }
            if let Some(profile) = f.first("voip-profile")
                && !f.is("utm-status", "disable")
            {
                let sip = profile_sip(tree, &profiles, profile);
                let mut alg_lines: Vec<u32> = f.line("voip-profile").into_iter().collect();
                alg_lines.extend(sip.line);
                if sip.enabled {
                    let scope: Vec<(Protocol, Ports)> = alg_scope
                        .iter()
                        .filter_map(|(protocol, ports)| {
                            svc.ports_of(*protocol)
                                .and_then(|p| p.intersect(ports))
                                .map(|p| (*protocol, p))
                        })
                        .collect();
                    if !scope.is_empty() {
                        let evidence = if sip.line.is_some() {
                            self.explicit(alg_lines)
                        } else {
                            Evidence::default_at(VOIP_PROFILE_SIP_DEFAULT, self.spans(alg_lines))
                        };
                        self.device.sip_alg.push(AlgState {
                            enabled: true,
                            mechanism: format!(
                                "SIP ALG{label}: voip-profile \"{profile}\" on policy {id} (line {edit_line})"
                            ),
                            scope,
                            evidence,
                        });
                    }
                } else {
                    facts.helper_fallback = true;
                }
            }
        }
        if central_nat {
            self.central_snat(ctx);
        }
        self.forwards(objects, &used_vips);
        facts
    }

    fn source_nat(&mut self, f: &Fields<'t>, objects: &Objects<'t>, svc: &PortSet<'t>) {
        let nat_line = f.line("nat");
        let pool_type = f
            .is("ippool", "enable")
            .then(|| {
                f.values("poolname")
                    .first()
                    .and_then(|p| objects.ippools.get(p))
            })
            .flatten()
            .map(|pool| {
                (
                    pool.fields.first("type").unwrap_or("overload"),
                    pool.fields.line("type"),
                )
            });
        let (preserved, evidence) = if f.is("fixedport", "enable") {
            (
                true,
                self.explicit(nat_line.into_iter().chain(f.line("fixedport"))),
            )
        } else if let Some(("one-to-one", type_line)) = pool_type {
            // A one-to-one pool maps addresses only; ports are left alone.
            (
                true,
                self.explicit(
                    nat_line
                        .into_iter()
                        .chain(type_line)
                        .chain(f.line("poolname")),
                ),
            )
        } else if f.get("fixedport").is_some() || f.is("port-preserve", "disable") {
            (
                false,
                self.explicit(
                    nat_line
                        .into_iter()
                        .chain(f.line("fixedport"))
                        .chain(f.line("port-preserve")),
                ),
            )
        } else {
            (
                false,
                Evidence::default_at(FIXEDPORT_DEFAULT, self.spans(nat_line)),
            )
        };
        let pairs = svc.per_protocol();
        for (protocol, ports) in pairs {
            self.device.source_nat.push(SourceNat {
                port_preservation: Some(preserved),
                ports,
                protocol,
                evidence: evidence.clone(),
            });
        }
    }

    fn offload(
        &mut self,
        f: &Fields<'t>,
        id: &str,
        edit_line: u32,
        svc: &PortSet<'t>,
        label: &str,
    ) {
        if f.is("auto-asic-offload", "disable") {
            return;
        }
        let Some(ports) = svc.all_ports() else {
            return;
        };
        let evidence = match f.line("auto-asic-offload") {
            Some(line) => self.explicit([line]),
            None => Evidence::default_at(ASIC_OFFLOAD_DEFAULT, self.spans([edit_line])),
        };
        self.device.offload.push(Offload {
            mechanism: format!("auto-asic-offload{label} on policy {id} (line {edit_line})"),
            protocol: svc.only_protocol(),
            ports,
            evidence,
        });
    }

    fn central_snat(&mut self, ctx: &Ctx<'_, 't>) {
        let table = ctx.table(self.tree, "firewall central-snat-map");
        for entry in table.iter() {
            let f = &entry.fields;
            if f.is("status", "disable") || f.is("nat", "disable") {
                continue;
            }
            let (preserved, evidence) = match f.first("port-preserve") {
                Some("enable") => (
                    Some(true),
                    self.explicit([entry.line()].into_iter().chain(f.line("port-preserve"))),
                ),
                Some("disable") => (
                    Some(false),
                    self.explicit([entry.line()].into_iter().chain(f.line("port-preserve"))),
                ),
                _ => (None, Evidence::unknown(self.spans([entry.line()]))),
            };
            self.device.source_nat.push(SourceNat {
                port_preservation: preserved,
                ports: Ports::Any,
                protocol: None,
                evidence,
            });
        }
    }

    /// Forwards for the virtual IPs accepting inbound policies use.
    fn forwards(&mut self, objects: &Objects<'t>, used: &[(&'t str, PortSet<'t>, Vec<u32>)]) {
        let mut seen: HashSet<(String, Option<Protocol>, String)> = HashSet::new();
        for (name, svc, policy_lines) in used {
            let Some(vip) = objects.vips.get(name) else {
                continue;
            };
            if !vip.enabled || !vip.supported {
                continue;
            }
            let to = vip.mapped;
            if vip.portforward {
                let Some(protocol) = vip.protocol else {
                    continue;
                };
                let outside = vip.extport.clone().unwrap_or(Ports::Any);
                let key = (vip.name.to_string(), Some(protocol), outside.to_string());
                if !seen.insert(key) {
                    continue;
                }
                let to_ports = vip.mappedport.clone().filter(|m| *m != outside);
                let evidence = self.explicit(vip.lines.iter().copied());
                self.device.forwards.push(Forward {
                    protocol: Some(protocol),
                    outside_ports: outside,
                    to,
                    to_ports,
                    source: vip.src_filter.clone(),
                    evidence,
                });
            } else {
                // A static NAT VIP forwards every port; the policies' services decide which
                // reach the host (or the VIP's own `service` list, 6.4+).
                let vip_services = objects.services(&vip.services);
                let ports_from = if vip_services.per_protocol().is_empty() {
                    svc
                } else {
                    &vip_services
                };
                for (protocol, ports) in ports_from.per_protocol() {
                    let key = (vip.name.to_string(), protocol, ports.to_string());
                    if !seen.insert(key) {
                        continue;
                    }
                    let mut lines = vip.lines.clone();
                    lines.extend(policy_lines.iter().copied());
                    let evidence = self.explicit(lines);
                    self.device.forwards.push(Forward {
                        protocol,
                        outside_ports: ports,
                        to,
                        to_ports: None,
                        source: vip.src_filter.clone(),
                        evidence,
                    });
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Timeouts
    // -----------------------------------------------------------------------------------

    fn global_udp_timeout(&mut self, global: &Fields<'t>) {
        let line = global.line("udp-idle-timer");
        let value = global
            .first("udp-idle-timer")
            .and_then(seconds)
            .filter(|s| *s > 0);
        match (value, line) {
            (Some(seconds), Some(line)) => {
                let evidence = self.explicit([line]);
                self.device.udp_timeouts.push(UdpTimeout {
                    scope: TimeoutScope::Global,
                    unreplied_seconds: Some(seconds),
                    replied_seconds: Some(seconds),
                    evidence,
                });
            }
            _ => {
                self.unknown_line(line);
                self.device.udp_timeouts.push(UdpTimeout {
                    scope: TimeoutScope::Global,
                    unreplied_seconds: Some(180),
                    replied_seconds: Some(180),
                    evidence: Evidence::default(UDP_IDLE_DEFAULT),
                });
            }
        }
    }

    /// `config system session-ttl` / `config port` entries for UDP (protocol 17) or every
    /// protocol (0, the default of a new entry).
    fn port_timeouts(&mut self, ctx: &Ctx<'_, 't>) {
        let tree = self.tree;
        let mut ports_nodes = Vec::new();
        for node in ctx.sections("system session-ttl") {
            ports_nodes.extend(tree.child_configs(node).filter(|c| c.path() == "port"));
        }
        let table = Table::build(tree, &ports_nodes, false);
        for entry in table.iter() {
            let f = &entry.fields;
            let protocol = f.first("protocol").unwrap_or("0");
            if protocol != "0" && protocol != "17" {
                continue;
            }
            let start = f.first("start-port").map(|p| p.parse::<u16>().ok());
            let end = f.first("end-port").map(|p| p.parse::<u16>().ok());
            let ports = match (start, end) {
                (None, _) => Ports::Any,
                (Some(Some(start)), None) => Ports::single(start.max(1)),
                (Some(Some(start)), Some(Some(end))) => {
                    Ports::from_ranges([PortRange::new(start.max(1), end.max(start).max(1))])
                }
                _ => {
                    self.unknown_line(f.line("start-port"));
                    self.unknown_line(f.line("end-port"));
                    continue;
                }
            };
            let mut lines = vec![entry.line()];
            lines.extend(f.line("protocol"));
            lines.extend(f.line("start-port"));
            lines.extend(f.line("end-port"));
            let (seconds, evidence) = match f.first("timeout").map(seconds) {
                Some(Some(seconds)) => {
                    lines.extend(f.line("timeout"));
                    (seconds, self.explicit(lines))
                }
                Some(None) => {
                    self.unknown_line(f.line("timeout"));
                    continue;
                }
                None => (
                    300,
                    Evidence::default_at(SESSION_TTL_PORT_DEFAULT, self.spans(lines)),
                ),
            };
            self.device.udp_timeouts.push(UdpTimeout {
                scope: TimeoutScope::Ports(ports),
                unreplied_seconds: Some(seconds),
                replied_seconds: Some(seconds),
                evidence,
            });
        }
    }

    /// `session-ttl` and `udp-idle-timer` of custom services that accepting policies use.
    fn service_timeouts(&mut self, objects: &Objects<'t>, facts: &PolicyFacts<'t>) {
        for name in &facts.used_services {
            let Some(service) = objects.service(name) else {
                continue;
            };
            let ports = if service.all_protocols {
                Ports::Any
            } else if service.udp.is_empty() {
                continue;
            } else {
                Ports::from_ranges(destinations(&service.udp))
            };
            // The UDP-specific timer overrides the session TTL, so it is listed last.
            for (seconds, line) in [service.session_ttl, service.udp_idle]
                .into_iter()
                .flatten()
            {
                if seconds == 0 {
                    continue;
                }
                let evidence = self.explicit([line]);
                self.device.udp_timeouts.push(UdpTimeout {
                    scope: TimeoutScope::Ports(ports.clone()),
                    unreplied_seconds: Some(seconds),
                    replied_seconds: Some(seconds),
                    evidence,
                });
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Traffic to the unit itself
    // -----------------------------------------------------------------------------------

    fn local_in(&mut self, ctx: &Ctx<'_, 't>, objects: &Objects<'t>, topology: &Topology) {
        let table = ctx.table(self.tree, "firewall local-in-policy");
        for entry in table.iter() {
            let f = &entry.fields;
            if f.is("status", "disable") {
                continue;
            }
            if !f.values("intf").iter().any(|i| topology.is_wan(i)) {
                continue;
            }
            let action = match f.first("action").unwrap_or("deny") {
                "accept" => Action::Accept,
                "deny" => Action::Drop,
                _ => {
                    self.unknown_line(f.line("action"));
                    Action::Drop
                }
            };
            let src = objects.addresses(f.values("srcaddr"));
            let dst = objects.addresses(f.values("dstaddr"));
            let svc = objects.services(f.values("service"));
            if src.is_empty() || dst.is_empty() {
                continue;
            }
            let negate = ["srcaddr-negate", "dstaddr-negate", "service-negate"]
                .iter()
                .any(|k| f.is(k, "enable"));
            let limited = f
                .first("schedule")
                .is_some_and(|s| !s.eq_ignore_ascii_case("always"));
            let conditional =
                negate || limited || src.unresolved || dst.unresolved || svc.unresolved;
            let mut lines = vec![entry.line()];
            for key in ["intf", "srcaddr", "dstaddr", "service", "action"] {
                lines.extend(f.line(key));
            }
            for (protocol, source_ports, ports) in svc.per_protocol_and_source() {
                let evidence = self.explicit(lines.iter().copied());
                self.device.filters.push(FilterRule {
                    path: Path::ToDevice,
                    protocol,
                    source: src.rule_side(),
                    source_ports,
                    destination: dst.rule_side(),
                    destination_ports: ports,
                    action,
                    conditional,
                    evidence,
                });
            }
        }
    }

    /// `allowaccess` on WAN interfaces: the unit answers those services from the WAN. When
    /// every administrator has trusted hosts, the unit does not answer administrative access
    /// from other addresses, so the admin services are limited to them.
    fn admin_access(
        &mut self,
        global: &Ctx<'_, 't>,
        global_fields: &Fields<'t>,
        topology: &Topology,
    ) {
        let tree = self.tree;
        let interfaces = global.table(tree, "system interface");
        let wan = topology.wan_interfaces();
        let admins = global.table(tree, "system admin");
        let mut trusted: Vec<Address> = Vec::new();
        let mut trust_lines: Vec<u32> = Vec::new();
        let mut all_restricted = !admins.is_empty();
        for admin in admins.iter() {
            let mut restricted = false;
            for index in 1..=10 {
                let key = format!("trusthost{index}");
                let Some(field) = admin.fields.get(&key) else {
                    continue;
                };
                match subnet(&field.values) {
                    Some(net) if net.prefix_len() > 0 => {
                        restricted = true;
                        trusted.push(Address::Net(net));
                        trust_lines.extend(field.lines.iter().copied());
                    }
                    _ => {}
                }
            }
            all_restricted &= restricted;
        }
        for entry in interfaces.iter() {
            if !wan.contains(entry.name) {
                continue;
            }
            let Some(line) = entry.fields.line("allowaccess") else {
                continue;
            };
            for service in entry.fields.values("allowaccess") {
                let Some(&(_, protocol, first, last, port_key)) =
                    ACCESS_SERVICES.iter().find(|(name, ..)| name == service)
                else {
                    continue;
                };
                let mut lines = vec![line];
                let ports = match port_key.and_then(|k| global_fields.first(k).map(|v| (k, v))) {
                    Some((key, value)) => match value.parse::<u16>() {
                        Ok(port) if port > 0 => {
                            lines.extend(global_fields.line(key));
                            Ports::single(port)
                        }
                        _ => Ports::from_ranges([PortRange::new(first, last)]),
                    },
                    None => Ports::from_ranges([PortRange::new(first, last)]),
                };
                let (source, extra) = if port_key.is_some() && all_restricted {
                    (trusted.clone(), trust_lines.clone())
                } else {
                    (Vec::new(), Vec::new())
                };
                lines.extend(extra);
                let evidence = Evidence::explicit(
                    std::iter::once(self.source.span_of(line, service))
                        .chain(self.spans(lines.into_iter().filter(|l| *l != line))),
                );
                self.device.filters.push(FilterRule {
                    path: Path::ToDevice,
                    protocol: Some(protocol),
                    source,
                    source_ports: Ports::Any,
                    destination: Vec::new(),
                    destination_ports: ports,
                    action: Action::Accept,
                    conditional: false,
                    evidence,
                });
            }
        }
    }

    /// Per-source session limits of DoS policies on the WAN (`udp_src_session`,
    /// `tcp_src_session` with action block): the nearest FortiOS has to a per-source ban.
    fn dos_policies(&mut self, ctx: &Ctx<'_, 't>, objects: &Objects<'t>, topology: &Topology) {
        let tree = self.tree;
        let table = ctx.table(tree, "firewall DoS-policy");
        for entry in table.iter() {
            let f = &entry.fields;
            if f.is("status", "disable")
                || !f.values("interface").iter().any(|i| topology.is_wan(i))
            {
                continue;
            }
            let svc = objects.services(f.values("service"));
            let anomalies: Vec<_> = entry.sub_configs(tree, "anomaly").collect();
            let anomalies = Table::build(tree, &anomalies, false);
            for anomaly in anomalies.iter() {
                let protocol = match anomaly.name {
                    "udp_src_session" => Protocol::Udp,
                    "tcp_src_session" => Protocol::Tcp,
                    _ => continue,
                };
                let af = &anomaly.fields;
                if !af.is("status", "enable") || !af.is("action", "block") {
                    continue;
                }
                let Some(ports) = svc.ports_of(protocol) else {
                    continue;
                };
                let mut lines = vec![entry.line(), anomaly.line()];
                for key in ["status", "action", "threshold", "quarantine"] {
                    lines.extend(af.line(key));
                }
                lines.extend(f.line("interface"));
                let evidence = self.explicit(lines);
                self.device.brute_force.push(BruteForce {
                    protocol: Some(protocol),
                    ports,
                    evidence,
                });
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Version issues
    // -----------------------------------------------------------------------------------

    fn version_issues(&mut self, layout: &Layout<'t>) {
        let Some(version) = self.version else {
            return;
        };
        let tree = self.tree;
        let mut contexts = layout.contexts();
        contexts.push(layout.global());
        let mut seen = HashSet::new();
        for ctx in &contexts {
            for &(path, key, since, until, message) in VERSIONED_KEYS {
                let present = version >= since && until.is_none_or(|u| version < u);
                if present {
                    continue;
                }
                for node in ctx.sections(path) {
                    let mut nodes = vec![node];
                    nodes.extend(tree.entries(node));
                    for node in nodes {
                        for stmt in node.stmts() {
                            if stmt.key() != key || !seen.insert(stmt.line) {
                                continue;
                            }
                            let evidence = self.explicit([stmt.line]);
                            self.device.version_issues.push(VersionIssue {
                                key: key.to_string(),
                                message: format!("{message}; the export is FortiOS {version}"),
                                evidence,
                            });
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Proxy,
    Helper,
    Unknown,
}

/// The global session-helper table.
struct HelperTable {
    section_line: u32,
    /// `sip` entries: protocol, port, lines.
    sip: Vec<(Option<Protocol>, Option<u16>, Vec<u32>)>,
}

/// SIP inspection of a VoIP profile: on unless `config sip` / `set status disable`.
struct ProfileSip {
    enabled: bool,
    /// The `set status` line, when the export has one.
    line: Option<u32>,
}

fn profile_sip<'t>(tree: &'t Tree<'t>, profiles: &Table<'t>, name: &str) -> ProfileSip {
    let Some(entry) = profiles.get(name) else {
        return ProfileSip {
            enabled: true,
            line: None,
        };
    };
    let mut fields = Fields::default();
    for sip in entry.sub_configs(tree, "sip") {
        fields.apply(sip);
    }
    ProfileSip {
        enabled: !fields.is("status", "disable"),
        line: fields.line("status"),
    }
}

/// The destination addresses of a rule: the addresses, plus the inside hosts of VIPs.
fn destination_side(dst: &AddrSet<'_>, objects: &Objects<'_>) -> Vec<Address> {
    if dst.any {
        return Vec::new();
    }
    let mut out = dst.nets.clone();
    for name in &dst.vips {
        if let Some(Vip {
            mapped: Some(ip), ..
        }) = objects.vips.get(name)
        {
            let host = Address::Net(IpNet::from(*ip));
            if !out.contains(&host) {
                out.push(host);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::device::{Certainty, Device, Path};
    use crate::formats::Hints;
    use crate::source::Source;
    use sipwall_firewall::model::{Action, Ports, Protocol, TimeoutScope};

    fn device(text: &str) -> Device {
        let source = Source::new("t", text);
        super::super::parse(&source, &Hints::default())
            .expect("parses")
            .device
    }

    const WAN_LAN: &str = "config system interface\n    edit \"wan1\"\n        set role wan\n    next\n    \
                           edit \"lan\"\n        set role lan\n    next\nend\n";

    #[test]
    fn service_timers_apply_to_the_services_policies_use() {
        let device = device(&format!(
            "{WAN_LAN}config system session-ttl\n    config port\n        edit 1\n            set timeout 900\n        \
             next\n    end\nend\nconfig firewall service custom\n    edit \"sip-long\"\n        set udp-portrange 5060\n        \
             set session-ttl 1200\n        set udp-idle-timer 1800\n    next\n    edit \"unused\"\n        \
             set udp-portrange 9999\n        set udp-idle-timer 5\n    next\nend\nconfig firewall policy\n    edit 1\n        \
             set srcintf \"lan\"\n        set dstintf \"wan1\"\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        \
             set action accept\n        set service \"sip-long\"\n    next\nend\n"
        ));
        let scoped: Vec<(TimeoutScope, Option<u32>)> = device
            .udp_timeouts
            .iter()
            .map(|t| (t.scope.clone(), t.replied_seconds))
            .collect();
        assert_eq!(
            scoped,
            [
                (TimeoutScope::Global, Some(180)),
                // `protocol` absent: every protocol, every port.
                (TimeoutScope::Ports(Ports::Any), Some(900)),
                (TimeoutScope::Ports(Ports::single(5060)), Some(1200)),
                (TimeoutScope::Ports(Ports::single(5060)), Some(1800)),
            ]
        );
    }

    #[test]
    fn static_nat_vip_forwards_what_the_policy_allows() {
        let device = device(&format!(
            "{WAN_LAN}config firewall vip\n    edit \"pbx\"\n        set extintf \"wan1\"\n        \
             set mappedip \"10.0.0.5\"\n    next\n    edit \"host\"\n        set mappedip \"10.0.0.6\"\n    next\nend\n\
             config firewall policy\n    edit 1\n        set srcintf \"wan1\"\n        set dstintf \"lan\"\n        \
             set srcaddr \"all\"\n        set dstaddr \"pbx\"\n        set action accept\n        set service \"SIP\"\n    next\n    \
             edit 2\n        set srcintf \"wan1\"\n        set dstintf \"lan\"\n        set srcaddr \"all\"\n        \
             set dstaddr \"host\"\n        set action accept\n        set service \"ALL\"\n    next\nend\n"
        ));
        let forwards: Vec<(Option<Protocol>, String)> = device
            .forwards
            .iter()
            .map(|f| (f.protocol, f.outside_ports.to_string()))
            .collect();
        assert_eq!(
            forwards,
            [
                (Some(Protocol::Udp), "5060".to_string()),
                (Some(Protocol::Tcp), "5060".to_string()),
                (None, "any".to_string()),
            ]
        );
    }

    #[test]
    fn central_nat_replaces_policy_nat() {
        let device = device(&format!(
            "{WAN_LAN}config system settings\n    set central-nat enable\nend\nconfig firewall central-snat-map\n    \
             edit 1\n        set srcintf \"lan\"\n        set dstintf \"wan1\"\n        set port-preserve disable\n    next\n    \
             edit 2\n        set srcintf \"lan\"\n        set dstintf \"wan1\"\n    next\nend\nconfig firewall policy\n    edit 1\n        \
             set srcintf \"lan\"\n        set dstintf \"wan1\"\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        \
             set action accept\n        set service \"ALL\"\n        set nat enable\n    next\nend\n"
        ));
        let nats: Vec<Option<bool>> = device
            .source_nat
            .iter()
            .map(|n| n.port_preservation)
            .collect();
        assert_eq!(nats, [Some(false), None]);
        assert_eq!(device.source_nat[1].evidence.certainty, Certainty::Unknown);
    }

    #[test]
    fn conditional_policies_and_local_in_defaults() {
        let device = device(&format!(
            "{WAN_LAN}config firewall policy\n    edit 1\n        set srcintf \"lan\"\n        set dstintf \"wan1\"\n        \
             set srcaddr \"all\"\n        set dstaddr \"all\"\n        set action accept\n        set service \"SIP\"\n        \
             set schedule \"office-hours\"\n    next\n    edit 2\n        set srcintf \"lan\"\n        set dstintf \"wan1\"\n        \
             set srcaddr \"nowhere\"\n        set dstaddr \"all\"\n        set action accept\n        set service \"SIP\"\n    next\nend\n\
             config firewall local-in-policy\n    edit 1\n        set intf \"wan1\"\n        set srcaddr \"all\"\n        \
             set dstaddr \"all\"\n        set service \"SSH\"\n    next\nend\n"
        ));
        let outbound: Vec<bool> = device
            .filters
            .iter()
            .filter(|f| f.path == Path::Outbound)
            .map(|f| f.conditional)
            .collect();
        // A schedule limits the policy; an address the export does not define is unknown.
        assert_eq!(outbound, [true, true, true, true]);
        let local_in = device
            .filters
            .iter()
            .find(|f| f.path == Path::ToDevice)
            .unwrap();
        // A local-in policy without `set action` denies.
        assert_eq!(local_in.action, Action::Drop);
    }

    #[test]
    fn dos_anomalies_count_only_per_source_blocks() {
        let device = device(&format!(
            "{WAN_LAN}config firewall DoS-policy\n    edit 1\n        set interface \"wan1\"\n        \
             set srcaddr \"all\"\n        set dstaddr \"all\"\n        set service \"ALL\"\n        config anomaly\n            \
             edit \"tcp_src_session\"\n                set status enable\n                set action block\n            next\n            \
             edit \"udp_src_session\"\n                set status enable\n            next\n        end\n    next\nend\n"
        ));
        assert_eq!(device.brute_force.len(), 1);
        assert_eq!(device.brute_force[0].protocol, Some(Protocol::Tcp));
        assert!(device.brute_force[0].ports.is_any());
    }
}
