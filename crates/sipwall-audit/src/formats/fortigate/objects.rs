//! FortiOS objects read from the tree: an entry's settings after its statements are applied in
//! order, the scopes of a (multi-VDOM) export, and the named objects policies refer to —
//! addresses and groups, services and groups (with the factory-default services as cited
//! data), virtual IPs, IP pools, VoIP profiles, interfaces and zones.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use sipwall_firewall::model::{Address, PortRange, Ports, Protocol};

use super::tree::{Item, Kind, Node, Tree, Verb};

/// Deepest group nesting followed (address and service groups may contain groups).
const MAX_GROUP_DEPTH: usize = 16;
/// Most prefixes one IP range is split into (a hostile range cannot blow up the output).
const MAX_RANGE_PREFIXES: usize = 64;
/// Most `move` statements applied to one policy table (each costs a scan of the table; scripts
/// use a handful).
const MAX_MOVES: usize = 256;

/// One setting of an entry after `set`/`append`/`unset`/… were applied.
#[derive(Debug, Clone, Default)]
pub(super) struct Field<'t> {
    pub values: Vec<&'t str>,
    /// The lines of the statements that produced the values (the `set` and any `append`).
    pub lines: Vec<u32>,
}

/// The settings of one entry (or of a non-table `config` block).
#[derive(Debug, Clone, Default)]
pub(super) struct Fields<'t> {
    map: HashMap<&'t str, Field<'t>>,
}

impl<'t> Fields<'t> {
    /// Applies the statements of `node` (not of its children) in order.
    pub fn apply(&mut self, node: &'t Node<'t>) {
        for stmt in node.stmts() {
            let Some(key) = stmt.args.first() else {
                continue;
            };
            let key: &'t str = key.as_ref();
            let values = stmt.args.get(1..).unwrap_or(&[]);
            match stmt.verb {
                Verb::Set => {
                    self.map.insert(
                        key,
                        Field {
                            values: values.iter().map(|v| v.as_ref()).collect(),
                            lines: vec![stmt.line],
                        },
                    );
                }
                Verb::Unset => {
                    self.map.remove(key);
                }
                Verb::Append | Verb::Select => {
                    let field = self.map.entry(key).or_default();
                    for value in values {
                        if !field.values.contains(&value.as_ref()) {
                            field.values.push(value);
                        }
                    }
                    field.lines.push(stmt.line);
                }
                Verb::Unselect => {
                    if let Some(field) = self.map.get_mut(key) {
                        field
                            .values
                            .retain(|v| !values.iter().any(|u| u.as_ref() == *v));
                        field.lines.push(stmt.line);
                    }
                }
                _ => {}
            }
        }
    }

    pub fn of(node: &'t Node<'t>) -> Fields<'t> {
        let mut fields = Fields::default();
        fields.apply(node);
        fields
    }

    pub fn get(&self, key: &str) -> Option<&Field<'t>> {
        self.map.get(key)
    }

    /// The first value of a setting.
    pub fn first(&self, key: &str) -> Option<&'t str> {
        self.map.get(key).and_then(|f| f.values.first().copied())
    }

    pub fn values(&self, key: &str) -> &[&'t str] {
        self.map
            .get(key)
            .map(|f| f.values.as_slice())
            .unwrap_or(&[])
    }

    /// The line of the (last) statement that set `key`.
    pub fn line(&self, key: &str) -> Option<u32> {
        self.map.get(key).and_then(|f| f.lines.last().copied())
    }

    /// True when `key` is set to exactly `value` (case-insensitive).
    pub fn is(&self, key: &str, value: &str) -> bool {
        self.first(key)
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    }
}

/// One entry of a table, merged over every `edit` of the same name.
#[derive(Debug, Clone)]
pub(super) struct Entry<'t> {
    pub name: &'t str,
    /// The `edit` nodes, in order.
    pub nodes: Vec<&'t Node<'t>>,
    pub fields: Fields<'t>,
}

impl<'t> Entry<'t> {
    pub fn line(&self) -> u32 {
        self.nodes.first().map(|n| n.line).unwrap_or(0)
    }

    /// The child configs named `name` of every node of the entry (`config sip`).
    pub fn sub_configs<'a>(
        &'a self,
        tree: &'t Tree<'t>,
        name: &'a str,
    ) -> impl Iterator<Item = &'t Node<'t>> + 'a {
        self.nodes.iter().flat_map(move |node| {
            tree.child_configs(node)
                .filter(move |c| c.words.len() == 1 && c.words[0] == name)
        })
    }
}

/// The entries of one or more `config` blocks of the same path, in order, after `delete`,
/// `purge` and `move`.
#[derive(Debug, Clone, Default)]
pub(super) struct Table<'t> {
    slots: Vec<Option<Entry<'t>>>,
    index: HashMap<&'t str, usize>,
    order: Vec<usize>,
}

impl<'t> Table<'t> {
    /// `fresh_zero`: `edit 0` creates a new entry each time (firewall policies).
    pub fn build(tree: &'t Tree<'t>, configs: &[&'t Node<'t>], fresh_zero: bool) -> Table<'t> {
        let mut table = Table::default();
        let mut moves = 0usize;
        for config in configs {
            for item in &config.items {
                match item {
                    Item::Child(child) => {
                        let node = tree.node(*child);
                        if node.kind != Kind::Edit {
                            continue;
                        }
                        let name = node.name();
                        let existing = if fresh_zero && name == "0" {
                            None
                        } else {
                            table.index.get(name).copied()
                        };
                        match existing {
                            Some(slot) => {
                                if let Some(entry) = table.slots[slot].as_mut() {
                                    entry.nodes.push(node);
                                    entry.fields.apply(node);
                                }
                            }
                            None => {
                                let slot = table.slots.len();
                                table.slots.push(Some(Entry {
                                    name,
                                    nodes: vec![node],
                                    fields: Fields::of(node),
                                }));
                                table.index.insert(name, slot);
                                table.order.push(slot);
                            }
                        }
                    }
                    Item::Stmt(stmt) => match stmt.verb {
                        Verb::Delete => {
                            if let Some(slot) = table.index.remove(stmt.key()) {
                                table.slots[slot] = None;
                            }
                        }
                        Verb::Purge => {
                            table.slots.clear();
                            table.order.clear();
                            table.index.clear();
                        }
                        Verb::Move if moves < MAX_MOVES => {
                            moves += 1;
                            table.apply_move(stmt.args.as_slice());
                        }
                        _ => {}
                    },
                }
            }
        }
        table.order.retain(|slot| table.slots[*slot].is_some());
        table
    }

    /// `move A before|after B`.
    fn apply_move(&mut self, args: &[super::tree::Word<'_>]) {
        let [from, how, to] = args else {
            return;
        };
        let (Some(&from), Some(&to)) = (self.index.get(from.as_ref()), self.index.get(to.as_ref()))
        else {
            return;
        };
        if from == to {
            return;
        }
        self.order.retain(|s| *s != from);
        let Some(at) = self.order.iter().position(|s| *s == to) else {
            return;
        };
        let at = if how == "after" { at + 1 } else { at };
        self.order.insert(at.min(self.order.len()), from);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry<'t>> {
        self.order.iter().filter_map(|s| self.slots[*s].as_ref())
    }

    pub fn get(&self, name: &str) -> Option<&Entry<'t>> {
        self.index
            .get(name)
            .and_then(|slot| self.slots[*slot].as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// Section-level config blocks of one scope, by path.
#[derive(Debug, Clone, Default)]
pub(super) struct Scope<'t> {
    sections: HashMap<String, Vec<&'t Node<'t>>>,
}

impl<'t> Scope<'t> {
    fn add(&mut self, node: &'t Node<'t>) {
        self.sections.entry(node.path()).or_default().push(node);
    }

    pub fn sections(&self, path: &str) -> &[&'t Node<'t>] {
        self.sections.get(path).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The scopes of an export: `config global`, each `config vdom` / `edit NAME`, and the top
/// level (an export without VDOMs, or the parts of a partial one outside both).
#[derive(Debug, Clone, Default)]
pub(super) struct Layout<'t> {
    pub global: Scope<'t>,
    pub vdoms: Vec<(&'t str, Scope<'t>)>,
    pub root: Scope<'t>,
    /// Lines of the `config global` / `config vdom` / `edit NAME` wrappers.
    pub wrappers: Vec<&'t Node<'t>>,
}

impl<'t> Layout<'t> {
    pub fn read(tree: &'t Tree<'t>) -> Layout<'t> {
        let mut layout = Layout::default();
        let mut slots: HashMap<&'t str, usize> = HashMap::new();
        for &root in &tree.roots {
            let node = tree.node(root);
            if node.kind != Kind::Config {
                continue;
            }
            match node.words.as_slice() {
                [word] if word == "global" => {
                    layout.wrappers.push(node);
                    for child in tree.child_configs(node) {
                        layout.global.add(child);
                    }
                }
                [word] if word == "vdom" => {
                    layout.wrappers.push(node);
                    for vdom in tree.entries(node) {
                        layout.wrappers.push(vdom);
                        let name = vdom.name();
                        let slot = *slots.entry(name).or_insert_with(|| {
                            layout.vdoms.push((name, Scope::default()));
                            layout.vdoms.len() - 1
                        });
                        for child in tree.child_configs(vdom) {
                            layout.vdoms[slot].1.add(child);
                        }
                    }
                }
                _ => layout.root.add(node),
            }
        }
        // VDOMs listed in the first `config vdom` block of a backup hold nothing.
        layout.vdoms.retain(|(_, scope)| !scope.sections.is_empty());
        layout
    }

    /// The contexts facts are read in: every VDOM with content, else the top level.
    pub fn contexts(&self) -> Vec<Ctx<'_, 't>> {
        if self.vdoms.is_empty() {
            vec![Ctx {
                vdom: None,
                scopes: [Some(&self.root), None],
            }]
        } else {
            self.vdoms
                .iter()
                .map(|(name, scope)| Ctx {
                    vdom: Some(name),
                    scopes: [Some(&self.root), Some(scope)],
                })
                .collect()
        }
    }

    /// The global context (`config global` plus the top level).
    pub fn global(&self) -> Ctx<'_, 't> {
        Ctx {
            vdom: None,
            scopes: [Some(&self.root), Some(&self.global)],
        }
    }
}

/// Where a lookup happens: the top level plus one VDOM (or `config global`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx<'a, 't> {
    pub vdom: Option<&'a str>,
    scopes: [Option<&'a Scope<'t>>; 2],
}

impl<'t> Ctx<'_, 't> {
    /// Every config block of `path` in this context, top level first.
    pub fn sections(&self, path: &str) -> Vec<&'t Node<'t>> {
        self.scopes
            .iter()
            .flatten()
            .flat_map(|scope| scope.sections(path).iter().copied())
            .collect()
    }

    /// The merged settings of a non-table block (`config system settings`).
    pub fn settings(&self, path: &str) -> (Fields<'t>, Vec<&'t Node<'t>>) {
        let nodes = self.sections(path);
        let mut fields = Fields::default();
        for node in &nodes {
            fields.apply(node);
        }
        (fields, nodes)
    }

    pub fn table(&self, tree: &'t Tree<'t>, path: &str) -> Table<'t> {
        Table::build(tree, &self.sections(path), path == "firewall policy")
    }

    /// ` (VDOM name)` for mechanism texts, empty without VDOMs.
    pub fn label(&self) -> String {
        self.vdom
            .map(|v| format!(" (VDOM {v})"))
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------
// Ports and services
// ---------------------------------------------------------------------------------------

/// A port or range `N` / `N-M` (1-65535); `None` when not a port.
pub(super) fn port_range(text: &str) -> Option<PortRange> {
    let (first, last) = match text.split_once('-') {
        Some((a, b)) => (a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?),
        None => {
            let port = text.trim().parse::<u16>().ok()?;
            (port, port)
        }
    };
    if first == 0 && last == 0 {
        return None;
    }
    Some(PortRange::new(first.max(1), last.max(1)))
}

/// One `*-portrange` item `dst[:src]`: the destination range and the source ports (`Any`
/// when the item names none, or all of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PortItem {
    pub dst: PortRange,
    pub src: Ports,
}

impl PortItem {
    /// A destination range from any source port.
    pub fn to(dst: PortRange) -> PortItem {
        PortItem {
            dst,
            src: Ports::Any,
        }
    }
}

/// The ports of one `*-portrange` item `dst[:src]`. `None` when unparsable.
pub(super) fn portrange_item(item: &str) -> Option<PortItem> {
    let (dst, src) = match item.split_once(':') {
        Some((dst, src)) => (dst, Some(src)),
        None => (item, None),
    };
    let dst = port_range(dst)?;
    let src = match src {
        Some(src) => Ports::from_ranges([port_range(src)?]),
        None => Ports::Any,
    };
    Some(PortItem { dst, src })
}

/// The destination ranges of some items.
pub(super) fn destinations(items: &[PortItem]) -> Vec<PortRange> {
    items.iter().map(|i| i.dst).collect()
}

/// What a service (or a list of services) matches.
#[derive(Debug, Clone, Default)]
pub(super) struct PortSet<'t> {
    pub tcp: Vec<PortItem>,
    pub udp: Vec<PortItem>,
    /// Every protocol (`protocol IP` with number 0, the `ALL` service).
    pub all_protocols: bool,
    /// A name that could not be resolved, or a group nested too deep.
    pub unresolved: bool,
    /// A service that also limits destinations (`iprange`, `fqdn`).
    pub restricted_destination: bool,
    /// Custom services the set was built from (for their session TTLs).
    pub services: Vec<&'t str>,
}

impl PortSet<'_> {
    /// The (protocol, ports) pairs a rule built from this set matches: `(None, Any)` for every
    /// protocol.
    pub fn per_protocol(&self) -> Vec<(Option<Protocol>, Ports)> {
        if self.all_protocols {
            return vec![(None, Ports::Any)];
        }
        let mut out = Vec::new();
        if !self.udp.is_empty() {
            out.push((
                Some(Protocol::Udp),
                Ports::from_ranges(destinations(&self.udp)),
            ));
        }
        if !self.tcp.is_empty() {
            out.push((
                Some(Protocol::Tcp),
                Ports::from_ranges(destinations(&self.tcp)),
            ));
        }
        out
    }

    /// [`per_protocol`](Self::per_protocol) with the items' source ports: `(protocol, source
    /// ports, destination ports)`, split where the source ports differ
    /// ([`by_source_ports`](crate::formats::by_source_ports)).
    pub fn per_protocol_and_source(&self) -> Vec<(Option<Protocol>, Ports, Ports)> {
        if self.all_protocols {
            return vec![(None, Ports::Any, Ports::Any)];
        }
        let mut out = Vec::new();
        for (protocol, items) in [(Protocol::Udp, &self.udp), (Protocol::Tcp, &self.tcp)] {
            let pairs: Vec<(Ports, Ports)> = items
                .iter()
                .map(|i| (Ports::from_ranges([i.dst]), i.src.clone()))
                .collect();
            for (source, destination) in crate::formats::by_source_ports(&pairs) {
                out.push((Some(protocol), source, destination));
            }
        }
        out
    }

    /// The one protocol the set is limited to (`None`: both, or every protocol).
    pub fn only_protocol(&self) -> Option<Protocol> {
        match (self.all_protocols, self.udp.is_empty(), self.tcp.is_empty()) {
            (false, false, true) => Some(Protocol::Udp),
            (false, true, false) => Some(Protocol::Tcp),
            _ => None,
        }
    }

    /// Every port of the set, any protocol (`None` when it has none).
    pub fn all_ports(&self) -> Option<Ports> {
        if self.all_protocols {
            return Some(Ports::Any);
        }
        let ranges: Vec<PortRange> = self.tcp.iter().chain(&self.udp).map(|i| i.dst).collect();
        (!ranges.is_empty()).then(|| Ports::from_ranges(ranges))
    }

    /// The UDP ports (`Any` for every protocol; `None` when the set has no UDP).
    pub fn udp_ports(&self) -> Option<Ports> {
        if self.all_protocols {
            return Some(Ports::Any);
        }
        (!self.udp.is_empty()).then(|| Ports::from_ranges(destinations(&self.udp)))
    }

    pub fn ports_of(&self, protocol: Protocol) -> Option<Ports> {
        if self.all_protocols {
            return Some(Ports::Any);
        }
        let ranges = match protocol {
            Protocol::Udp => &self.udp,
            Protocol::Tcp => &self.tcp,
        };
        (!ranges.is_empty()).then(|| Ports::from_ranges(destinations(ranges)))
    }
}

/// A custom service after its statements were applied in order.
#[derive(Debug, Clone, Default)]
pub(super) struct Service {
    pub tcp: Vec<PortItem>,
    pub udp: Vec<PortItem>,
    pub all_protocols: bool,
    pub restricted_destination: bool,
    /// `set session-ttl N` (0 = the default).
    pub session_ttl: Option<(u32, u32)>,
    /// `set udp-idle-timer N` (0 = the default).
    pub udp_idle: Option<(u32, u32)>,
    /// Lines whose values could not be read (ports out of range …).
    pub bad_lines: Vec<u32>,
}

impl Service {
    /// Reads a custom service entry. FortiOS clears the port ranges when the protocol changes
    /// (an `IP` or `ICMP` service has none), so statements are applied in order.
    pub fn read(entry: &Entry<'_>) -> Service {
        let mut service = Service::default();
        let mut protocol = String::from("TCP/UDP/SCTP");
        let mut number: Option<u32> = None;
        for node in &entry.nodes {
            for stmt in node.stmts() {
                let values = stmt.values();
                match (stmt.verb, stmt.key()) {
                    (Verb::Set, "protocol") => {
                        let new = values.first().map(|v| v.to_string()).unwrap_or_default();
                        if !new.eq_ignore_ascii_case(&protocol) {
                            service.tcp.clear();
                            service.udp.clear();
                            number = None;
                        }
                        protocol = new;
                    }
                    (Verb::Set, "protocol-number") => {
                        number = values.first().and_then(|v| v.parse().ok());
                    }
                    (Verb::Set | Verb::Append, key @ ("tcp-portrange" | "udp-portrange")) => {
                        let target = if key == "tcp-portrange" {
                            &mut service.tcp
                        } else {
                            &mut service.udp
                        };
                        if stmt.verb == Verb::Set {
                            target.clear();
                        }
                        for item in values {
                            match portrange_item(item) {
                                Some(item) => target.push(item),
                                None => service.bad_lines.push(stmt.line),
                            }
                        }
                    }
                    (Verb::Unset, "tcp-portrange") => service.tcp.clear(),
                    (Verb::Unset, "udp-portrange") => service.udp.clear(),
                    (Verb::Set, "iprange") => {
                        service.restricted_destination = values
                            .first()
                            .is_some_and(|v| v != "0.0.0.0" && !v.is_empty());
                    }
                    (Verb::Set, "fqdn") => {
                        service.restricted_destination =
                            values.first().is_some_and(|v| !v.is_empty());
                    }
                    (Verb::Set, "session-ttl") => match values.first().and_then(|v| seconds(v)) {
                        Some(ttl) => service.session_ttl = Some((ttl, stmt.line)),
                        None => service.bad_lines.push(stmt.line),
                    },
                    (Verb::Set, "udp-idle-timer") => {
                        match values.first().and_then(|v| seconds(v)) {
                            Some(ttl) => service.udp_idle = Some((ttl, stmt.line)),
                            None => service.bad_lines.push(stmt.line),
                        }
                    }
                    _ => {}
                }
            }
        }
        let ip = protocol.eq_ignore_ascii_case("IP");
        if ip {
            match number {
                None | Some(0) => service.all_protocols = true,
                Some(6) => service.tcp = vec![PortItem::to(PortRange::new(1, u16::MAX))],
                Some(17) => service.udp = vec![PortItem::to(PortRange::new(1, u16::MAX))],
                Some(_) => {}
            }
        } else if !protocol.eq_ignore_ascii_case("TCP/UDP/SCTP") {
            // ICMP, ICMP6, HTTP/FTP/CONNECT/ALL proxy services: no plain UDP/TCP ports.
            service.tcp.clear();
            service.udp.clear();
        }
        service
    }
}

/// Seconds, or `never` (as `u32::MAX`).
pub(super) fn seconds(text: &str) -> Option<u32> {
    if text.eq_ignore_ascii_case("never") {
        return Some(u32::MAX);
    }
    text.parse().ok()
}

/// FortiOS factory-default custom services, for exports that refer to them without listing
/// them (a `show` of one section, a script). Source: the `config firewall service custom`
/// table every FortiOS 6.x/7.x backup carries (e.g. `SIP` = TCP and UDP 5060, `ALL` =
/// protocol IP). `(name, tcp, udp, every protocol)`.
type Predefined = (
    &'static str,
    &'static [(u16, u16)],
    &'static [(u16, u16)],
    bool,
);

const PREDEFINED_SERVICES: &[Predefined] = &[
    ("ALL", &[], &[], true),
    ("ALL_TCP", &[(1, 65535)], &[], false),
    ("ALL_UDP", &[], &[(1, 65535)], false),
    ("ALL_ICMP", &[], &[], false),
    ("ALL_ICMP6", &[], &[], false),
    ("BGP", &[(179, 179)], &[], false),
    ("DHCP", &[], &[(67, 68)], false),
    ("DNS", &[(53, 53)], &[(53, 53)], false),
    ("FTP", &[(21, 21)], &[], false),
    ("FTP_GET", &[(21, 21)], &[], false),
    ("FTP_PUT", &[(21, 21)], &[], false),
    (
        "H323",
        &[(1720, 1720), (1503, 1503)],
        &[(1719, 1719)],
        false,
    ),
    ("HTTP", &[(80, 80)], &[], false),
    ("HTTPS", &[(443, 443)], &[], false),
    ("IKE", &[], &[(500, 500), (4500, 4500)], false),
    ("IMAP", &[(143, 143)], &[], false),
    ("IMAPS", &[(993, 993)], &[], false),
    ("L2TP", &[(1701, 1701)], &[(1701, 1701)], false),
    ("LDAP", &[(389, 389)], &[], false),
    ("MGCP", &[], &[(2427, 2427), (2727, 2727)], false),
    ("MS-SQL", &[(1433, 1434)], &[], false),
    ("MYSQL", &[(3306, 3306)], &[], false),
    ("NTP", &[(123, 123)], &[(123, 123)], false),
    ("PING", &[], &[], false),
    ("POP3", &[(110, 110)], &[], false),
    ("POP3S", &[(995, 995)], &[], false),
    ("PPTP", &[(1723, 1723)], &[], false),
    ("RDP", &[(3389, 3389)], &[], false),
    ("SAMBA", &[(139, 139)], &[], false),
    ("SCCP", &[(2000, 2000)], &[], false),
    ("SIP", &[(5060, 5060)], &[(5060, 5060)], false),
    ("SMB", &[(445, 445)], &[], false),
    ("SMTP", &[(25, 25)], &[], false),
    ("SMTPS", &[(465, 465)], &[], false),
    ("SNMP", &[(161, 162)], &[(161, 162)], false),
    ("SSH", &[(22, 22)], &[], false),
    ("SYSLOG", &[], &[(514, 514)], false),
    ("TELNET", &[(23, 23)], &[], false),
    ("TFTP", &[], &[(69, 69)], false),
    ("VNC", &[(5900, 5900)], &[], false),
];

fn predefined(name: &str) -> Option<Service> {
    let (_, tcp, udp, all) = PREDEFINED_SERVICES
        .iter()
        .find(|(n, ..)| n.eq_ignore_ascii_case(name))?;
    Some(Service {
        tcp: tcp
            .iter()
            .map(|&(a, b)| PortItem::to(PortRange::new(a, b)))
            .collect(),
        udp: udp
            .iter()
            .map(|&(a, b)| PortItem::to(PortRange::new(a, b)))
            .collect(),
        all_protocols: *all,
        ..Service::default()
    })
}

// ---------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------

/// What a list of address names matches.
#[derive(Debug, Clone, Default)]
pub(super) struct AddrSet<'t> {
    pub nets: Vec<Address>,
    /// `all` (or 0.0.0.0/0, ::/0) is among them.
    pub any: bool,
    /// A name not found, an object of a kind not modelled (geography, dynamic …), or a
    /// group with exclusions.
    pub unresolved: bool,
    /// Virtual IPs among them (destination side of an inbound policy).
    pub vips: Vec<&'t str>,
}

impl AddrSet<'_> {
    /// The addresses for a rule: empty for any address.
    pub fn rule_side(&self) -> Vec<Address> {
        if self.any {
            Vec::new()
        } else {
            self.nets.clone()
        }
    }

    /// True when the list names nothing that can match (no object at all).
    pub fn is_empty(&self) -> bool {
        !self.any && !self.unresolved && self.nets.is_empty() && self.vips.is_empty()
    }
}

/// A dotted mask or a prefix length → prefix length.
fn mask_len(mask: &str) -> Option<u8> {
    if let Ok(len) = mask.parse::<u8>() {
        return (len <= 32).then_some(len);
    }
    let bits = u32::from(mask.parse::<Ipv4Addr>().ok()?);
    let len = bits.leading_ones();
    // A mask must be contiguous ones.
    (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

/// `a.b.c.d m.m.m.m`, `a.b.c.d/len` or one address → a prefix.
pub(super) fn subnet(values: &[&str]) -> Option<IpNet> {
    match values {
        [one] => {
            if let Some((addr, len)) = one.split_once('/') {
                let addr: Ipv4Addr = addr.parse().ok()?;
                let len = mask_len(len)?;
                Some(IpNet::V4(Ipv4Net::new(addr, len).ok()?.trunc()))
            } else {
                let addr: Ipv4Addr = one.parse().ok()?;
                Some(IpNet::V4(Ipv4Net::new(addr, 32).ok()?))
            }
        }
        [addr, mask, ..] => {
            let addr: Ipv4Addr = addr.parse().ok()?;
            let len = mask_len(mask)?;
            Some(IpNet::V4(Ipv4Net::new(addr, len).ok()?.trunc()))
        }
        [] => None,
    }
}

/// The prefixes covering `start..=end` (IPv4), at most [`MAX_RANGE_PREFIXES`] (the rest is
/// cut, which only narrows what a rule is said to match).
pub(super) fn range_prefixes(start: Ipv4Addr, end: Ipv4Addr) -> Vec<IpNet> {
    let (mut lo, hi) = (u64::from(u32::from(start)), u64::from(u32::from(end)));
    let mut out = Vec::new();
    while lo <= hi && out.len() < MAX_RANGE_PREFIXES {
        // Largest block aligned at `lo` that stays within `hi`.
        let mut size: u64 = if lo == 0 {
            1 << 32
        } else {
            lo & lo.wrapping_neg()
        };
        while lo + size - 1 > hi {
            size >>= 1;
        }
        let len = 32 - size.trailing_zeros().min(32);
        if let Ok(net) = Ipv4Net::new(Ipv4Addr::from(lo as u32), len as u8) {
            out.push(IpNet::V4(net));
        }
        lo += size;
    }
    out
}

fn range_values(entry: &Entry<'_>) -> Option<Vec<IpNet>> {
    let start: Ipv4Addr = entry.fields.first("start-ip")?.parse().ok()?;
    let end: Ipv4Addr = entry
        .fields
        .first("end-ip")
        .and_then(|e| e.parse().ok())
        .unwrap_or(start);
    Some(range_prefixes(start.min(end), start.max(end)))
}

fn v6_net(text: &str) -> Option<IpNet> {
    if let Some((addr, len)) = text.split_once('/') {
        let addr: Ipv6Addr = addr.parse().ok()?;
        let len: u8 = len.parse().ok()?;
        Some(IpNet::V6(Ipv6Net::new(addr, len).ok()?.trunc()))
    } else {
        let addr: Ipv6Addr = text.parse().ok()?;
        Some(IpNet::V6(Ipv6Net::new(addr, 128).ok()?))
    }
}

/// A virtual IP (destination NAT).
#[derive(Debug, Clone)]
pub(super) struct Vip<'t> {
    pub name: &'t str,
    pub enabled: bool,
    /// `static-nat` (the default) or `fqdn`; other types are not modelled.
    pub supported: bool,
    pub type_line: Option<u32>,
    pub extintf: Option<&'t str>,
    pub portforward: bool,
    /// `None` for sctp/icmp (not modelled); tcp is FortiOS's default.
    pub protocol: Option<Protocol>,
    pub extport: Option<Ports>,
    pub mappedport: Option<Ports>,
    pub mapped: Option<IpAddr>,
    pub src_filter: Vec<Address>,
    /// `set service …` (FortiOS 6.4+): the services a static NAT VIP is limited to.
    pub services: Vec<&'t str>,
    /// The lines that define the forward (edit, extip, mappedip, portforward, protocol, ports).
    pub lines: Vec<u32>,
    pub bad_lines: Vec<u32>,
}

impl<'t> Vip<'t> {
    pub fn read(entry: &Entry<'t>) -> Vip<'t> {
        let fields = &entry.fields;
        let mut bad_lines = Vec::new();
        let vip_type = fields.first("type").unwrap_or("static-nat");
        let supported = matches!(vip_type, "static-nat" | "fqdn");
        let protocol_text = fields.first("protocol").unwrap_or("tcp");
        let protocol = match protocol_text {
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            _ => None,
        };
        let mut ports = |key: &str| -> Option<Ports> {
            let values = fields.values(key);
            if values.is_empty() {
                return None;
            }
            let ranges: Vec<PortRange> = values.iter().filter_map(|v| port_range(v)).collect();
            if ranges.len() != values.len() {
                bad_lines.extend(fields.line(key));
            }
            (!ranges.is_empty()).then(|| Ports::from_ranges(ranges))
        };
        let extport = ports("extport");
        let mappedport = ports("mappedport");
        // `mappedip` holds one address or a range `a-b` (the first address is the target).
        let mapped = fields.first("mappedip").and_then(|m| {
            let first = m.split('-').next().unwrap_or(m);
            let first = first.split('/').next().unwrap_or(first);
            first.parse::<IpAddr>().ok()
        });
        if fields.get("mappedip").is_some() && mapped.is_none() {
            bad_lines.extend(fields.line("mappedip"));
        }
        let src_filter = fields
            .values("src-filter")
            .iter()
            .filter_map(|f| {
                if let Some((a, b)) = f.split_once('-') {
                    let (a, b): (Ipv4Addr, Ipv4Addr) = (a.parse().ok()?, b.parse().ok()?);
                    range_prefixes(a.min(b), a.max(b)).into_iter().next()
                } else {
                    subnet(&[f])
                }
            })
            .map(Address::Net)
            .collect();
        let mut lines = vec![entry.line()];
        for key in [
            "extip",
            "extintf",
            "mappedip",
            "portforward",
            "protocol",
            "extport",
            "mappedport",
            "src-filter",
        ] {
            lines.extend(fields.line(key));
        }
        lines.sort_unstable();
        lines.dedup();
        Vip {
            name: entry.name,
            enabled: !fields.is("status", "disable"),
            supported,
            type_line: fields.line("type"),
            extintf: fields.first("extintf").filter(|i| *i != "any"),
            portforward: fields.is("portforward", "enable"),
            protocol,
            extport,
            mappedport,
            mapped,
            src_filter,
            services: fields.values("service").to_vec(),
            lines,
            bad_lines,
        }
    }
}

/// The named objects of one context.
#[derive(Debug, Clone, Default)]
pub(super) struct Objects<'t> {
    addresses: Table<'t>,
    addresses6: Table<'t>,
    groups: Table<'t>,
    groups6: Table<'t>,
    services: HashMap<&'t str, Service>,
    service_groups: Table<'t>,
    pub vips: HashMap<&'t str, Vip<'t>>,
    vip_groups: Table<'t>,
    pub ippools: Table<'t>,
    pub service_entries: Table<'t>,
}

impl<'t> Objects<'t> {
    pub fn read(tree: &'t Tree<'t>, ctx: &Ctx<'_, 't>) -> Objects<'t> {
        let service_entries = ctx.table(tree, "firewall service custom");
        let services = service_entries
            .iter()
            .map(|e| (e.name, Service::read(e)))
            .collect();
        let vip_table = ctx.table(tree, "firewall vip");
        let vips = vip_table.iter().map(|e| (e.name, Vip::read(e))).collect();
        Objects {
            addresses: ctx.table(tree, "firewall address"),
            addresses6: ctx.table(tree, "firewall address6"),
            groups: ctx.table(tree, "firewall addrgrp"),
            groups6: ctx.table(tree, "firewall addrgrp6"),
            services,
            service_groups: ctx.table(tree, "firewall service group"),
            vips,
            vip_groups: ctx.table(tree, "firewall vipgrp"),
            ippools: ctx.table(tree, "firewall ippool"),
            service_entries,
        }
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.get(name)
    }

    /// Resolves address names (IPv4 and IPv6 objects, groups, VIPs and VIP groups).
    pub fn addresses(&self, names: &[&'t str]) -> AddrSet<'t> {
        let mut set = AddrSet::default();
        let mut seen = HashSet::new();
        for name in names {
            self.address(name, 0, &mut set, &mut seen);
        }
        set
    }

    fn address(
        &self,
        name: &'t str,
        depth: usize,
        set: &mut AddrSet<'t>,
        seen: &mut HashSet<&'t str>,
    ) {
        if depth > MAX_GROUP_DEPTH {
            set.unresolved = true;
            return;
        }
        if !seen.insert(name) {
            return;
        }
        if let Some(entry) = self.addresses.get(name) {
            self.address_object(entry, set);
        } else if let Some(entry) = self.addresses6.get(name) {
            self.address6_object(entry, set);
        } else if let Some(group) = self.groups.get(name).or_else(|| self.groups6.get(name)) {
            if group.fields.is("exclude", "enable") {
                set.unresolved = true;
            }
            for member in group.fields.values("member") {
                self.address(member, depth + 1, set, seen);
            }
        } else if self.vips.contains_key(name) {
            set.vips.push(name);
        } else if let Some(group) = self.vip_groups.get(name) {
            for member in group.fields.values("member") {
                self.address(member, depth + 1, set, seen);
            }
        } else if name.eq_ignore_ascii_case("all") {
            // The factory-default `all` object (0.0.0.0/0), when the export does not list it.
            set.any = true;
        } else if name.eq_ignore_ascii_case("none") {
            // The factory-default `none` object matches no traffic.
        } else {
            set.unresolved = true;
        }
    }

    fn address_object(&self, entry: &Entry<'t>, set: &mut AddrSet<'t>) {
        let fields = &entry.fields;
        match fields.first("type").unwrap_or("ipmask") {
            "ipmask" | "interface-subnet" => match fields.get("subnet") {
                None => set.any = true,
                Some(field) => match subnet(&field.values) {
                    Some(net) if net.prefix_len() == 0 => set.any = true,
                    Some(net) => set.nets.push(Address::Net(net)),
                    None => set.unresolved = true,
                },
            },
            "iprange" => match range_values(entry) {
                Some(nets) => {
                    if nets.iter().any(|n| n.prefix_len() == 0) {
                        set.any = true;
                    }
                    set.nets.extend(nets.into_iter().map(Address::Net));
                }
                None => set.unresolved = true,
            },
            "fqdn" => match fields.first("fqdn") {
                Some(fqdn) if !fqdn.is_empty() => set.nets.push(Address::Fqdn(fqdn.to_string())),
                _ => set.unresolved = true,
            },
            _ => set.unresolved = true,
        }
    }

    fn address6_object(&self, entry: &Entry<'t>, set: &mut AddrSet<'t>) {
        let fields = &entry.fields;
        match fields.first("type").unwrap_or("ipprefix") {
            "ipprefix" => match fields.first("ip6") {
                None => set.any = true,
                Some(text) => match v6_net(text) {
                    Some(net) if net.prefix_len() == 0 => set.any = true,
                    Some(net) => set.nets.push(Address::Net(net)),
                    None => set.unresolved = true,
                },
            },
            "fqdn" => match fields.first("fqdn") {
                Some(fqdn) if !fqdn.is_empty() => set.nets.push(Address::Fqdn(fqdn.to_string())),
                _ => set.unresolved = true,
            },
            _ => set.unresolved = true,
        }
    }

    /// Resolves service names (custom services, groups, factory defaults).
    pub fn services(&self, names: &[&'t str]) -> PortSet<'t> {
        let mut set = PortSet::default();
        let mut seen = HashSet::new();
        for name in names {
            self.service_into(name, 0, &mut set, &mut seen);
        }
        set
    }

    fn service_into(
        &self,
        name: &'t str,
        depth: usize,
        set: &mut PortSet<'t>,
        seen: &mut HashSet<&'t str>,
    ) {
        if depth > MAX_GROUP_DEPTH {
            set.unresolved = true;
            return;
        }
        if !seen.insert(name) {
            return;
        }
        let own;
        let service = if let Some(service) = self.services.get(name) {
            set.services.push(name);
            service
        } else if let Some(group) = self.service_groups.get(name) {
            for member in group.fields.values("member") {
                self.service_into(member, depth + 1, set, seen);
            }
            return;
        } else if let Some(service) = predefined(name) {
            own = service;
            &own
        } else {
            set.unresolved = true;
            return;
        };
        set.tcp.extend(service.tcp.iter().cloned());
        set.udp.extend(service.udp.iter().cloned());
        set.all_protocols |= service.all_protocols;
        set.restricted_destination |= service.restricted_destination;
    }
}

// ---------------------------------------------------------------------------------------
// Interfaces, zones and which side is the WAN
// ---------------------------------------------------------------------------------------

/// One interface of `config system interface`.
#[derive(Debug, Clone)]
pub(super) struct Interface<'t> {
    pub name: &'t str,
    pub role: Option<&'t str>,
}

/// Which interfaces and zones are the WAN side.
#[derive(Debug, Clone, Default)]
pub(super) struct Topology {
    wan: HashSet<String>,
    /// The user named the LAN side (`--lan`): only those are LAN.
    lan_hint: Option<HashSet<String>>,
    /// Zone → member interfaces.
    zones: HashMap<String, Vec<String>>,
}

/// Interface names that are the WAN side by convention (FortiGate desktop models name their
/// uplinks `wan`, `wan1`, `wan2`; SD-WAN zones are `virtual-wan-link` / `sdwan`).
fn wan_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("wan")
        || lower.starts_with("pppoe")
        || lower.contains("internet")
        || lower.contains("outside")
        || lower.contains("untrust")
        || lower == "virtual-wan-link"
        || lower == "sdwan"
}

impl Topology {
    /// `strong`: interfaces used as the outside of a VIP or of a NAT policy; `referenced`:
    /// every interface name policies use (a script may not list its interfaces).
    pub fn new(
        interfaces: &[Interface<'_>],
        zones: HashMap<String, Vec<String>>,
        sdwan: &[String],
        strong: &[&str],
        referenced: &[&str],
        hints: &crate::formats::Hints,
    ) -> Topology {
        let mut wan = HashSet::new();
        if !hints.wan.is_empty() {
            wan.extend(hints.wan.iter().cloned());
        } else {
            let roles: HashMap<&str, &str> = interfaces
                .iter()
                .filter_map(|i| i.role.map(|r| (i.name, r)))
                .collect();
            // An explicit LAN or DMZ role outweighs a name or a NAT policy.
            let not_wan = |name: &str| roles.get(name).is_some_and(|r| matches!(*r, "lan" | "dmz"));
            for interface in interfaces {
                if interface.role == Some("wan")
                    || (interface.role.is_none() && wan_like(interface.name))
                {
                    wan.insert(interface.name.to_string());
                }
            }
            for name in sdwan
                .iter()
                .map(String::as_str)
                .chain(strong.iter().copied())
            {
                if name != "any" && !not_wan(name) {
                    wan.insert(name.to_string());
                }
            }
            for name in zones
                .keys()
                .map(String::as_str)
                .chain(referenced.iter().copied())
            {
                if wan_like(name) && !not_wan(name) {
                    wan.insert(name.to_string());
                }
            }
        }
        // A zone is WAN when one of its members is.
        let wan_zones: Vec<String> = zones
            .iter()
            .filter(|(_, members)| members.iter().any(|m| wan.contains(m)))
            .map(|(zone, _)| zone.clone())
            .collect();
        wan.extend(wan_zones);
        let lan_hint = (!hints.lan.is_empty()).then(|| {
            let mut lan: HashSet<String> = hints.lan.iter().cloned().collect();
            for (zone, members) in &zones {
                if members.iter().any(|m| lan.contains(m)) {
                    lan.insert(zone.clone());
                }
            }
            lan
        });
        Topology {
            wan,
            lan_hint,
            zones,
        }
    }

    pub fn is_wan(&self, name: &str) -> bool {
        name == "any" || self.wan.contains(name)
    }

    pub fn is_lan(&self, name: &str) -> bool {
        if name == "any" {
            return true;
        }
        match &self.lan_hint {
            Some(lan) => lan.contains(name),
            None => !self.wan.contains(name),
        }
    }

    /// Interfaces that are WAN (for `allowaccess`): every WAN name that is not a zone, plus
    /// the members of WAN zones.
    pub fn wan_interfaces(&self) -> HashSet<String> {
        let mut out = HashSet::new();
        for name in &self.wan {
            match self.zones.get(name) {
                Some(members) => out.extend(members.iter().cloned()),
                None => {
                    out.insert(name.clone());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::fortigate::tree;

    #[test]
    fn fields_apply_verbs_in_order() {
        let tree = tree::read(
            "config firewall policy\nedit 1\nset srcintf a b\nappend srcintf c\nunselect srcintf a\n\
             set nat enable\nunset nat\nnext\nend\n",
        );
        let config = tree.node(tree.roots[0]);
        let entry = tree.entries(config).next().unwrap();
        let fields = Fields::of(entry);
        assert_eq!(fields.values("srcintf"), ["b", "c"]);
        assert_eq!(fields.get("srcintf").unwrap().lines, vec![3, 4, 5]);
        assert!(fields.get("nat").is_none());
    }

    #[test]
    fn tables_merge_edits_delete_and_move() {
        let tree = tree::read(
            "config firewall policy\nedit 1\nset a x\nnext\nedit 2\nnext\nedit 0\nnext\nedit 0\nnext\n\
             edit 1\nset b y\nnext\nmove 2 before 1\ndelete 3\nend\n",
        );
        let table = Table::build(&tree, &[tree.node(tree.roots[0])], true);
        let names: Vec<&str> = table.iter().map(|e| e.name).collect();
        assert_eq!(names, ["2", "1", "0", "0"]);
        let one = table.get("1").unwrap();
        assert_eq!(
            (one.fields.first("a"), one.fields.first("b")),
            (Some("x"), Some("y"))
        );
        let tree = tree::read("config x y\nedit a\nnext\nedit b\nnext\ndelete a\nend\n");
        let table = Table::build(&tree, &[tree.node(tree.roots[0])], false);
        assert_eq!(table.iter().map(|e| e.name).collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn port_items_and_ranges() {
        assert_eq!(
            portrange_item("5060"),
            Some(PortItem::to(PortRange::single(5060)))
        );
        assert_eq!(
            portrange_item("1-2:3-4"),
            Some(PortItem {
                dst: PortRange::new(1, 2),
                src: Ports::from_ranges([PortRange::new(3, 4)]),
            })
        );
        assert_eq!(
            portrange_item("12:11"),
            Some(PortItem {
                dst: PortRange::single(12),
                src: Ports::single(11),
            })
        );
        assert_eq!(
            portrange_item("5060:1-65535"),
            Some(PortItem::to(PortRange::single(5060)))
        );
        assert_eq!(portrange_item("70000"), None);
        assert_eq!(portrange_item("x"), None);
        assert_eq!(port_range("20-10"), Some(PortRange::new(10, 20)));
    }

    #[test]
    fn masks_subnets_and_ranges() {
        assert_eq!(
            subnet(&["10.0.1.0", "255.255.255.0"]).unwrap().to_string(),
            "10.0.1.0/24"
        );
        assert_eq!(subnet(&["1.1.1.0/24"]).unwrap().to_string(), "1.1.1.0/24");
        assert_eq!(subnet(&["0.0.0.0", "0.0.0.0"]).unwrap().prefix_len(), 0);
        assert!(subnet(&["10.0.0.0", "255.0.255.0"]).is_none());
        let nets = range_prefixes("10.0.0.1".parse().unwrap(), "10.0.0.6".parse().unwrap());
        let text: Vec<String> = nets.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]
        );
        let all = range_prefixes(Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].prefix_len(), 0);
        // A hostile range is cut, not exploded.
        let many = range_prefixes(
            "0.0.0.1".parse().unwrap(),
            "255.255.255.254".parse().unwrap(),
        );
        assert!(many.len() <= MAX_RANGE_PREFIXES);
    }

    #[test]
    fn services_follow_protocol_changes() {
        let tree = tree::read(
            "config firewall service custom\nedit a\nset tcp-portrange 254\nset udp-portrange 254\n\
             set protocol IP\nset protocol-number 254\nnext\nedit b\nset protocol IP\nnext\n\
             edit c\nset udp-portrange 5060-5061 70000\nnext\nend\n",
        );
        let table = Table::build(&tree, &[tree.node(tree.roots[0])], false);
        let a = Service::read(table.get("a").unwrap());
        assert!(a.tcp.is_empty() && a.udp.is_empty() && !a.all_protocols);
        assert!(Service::read(table.get("b").unwrap()).all_protocols);
        let c = Service::read(table.get("c").unwrap());
        assert_eq!(c.udp, vec![PortItem::to(PortRange::new(5060, 5061))]);
        assert_eq!(c.bad_lines.len(), 1);
    }
}
