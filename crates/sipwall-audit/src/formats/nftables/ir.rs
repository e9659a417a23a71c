//! The ruleset as both readers (the `nft list ruleset` text and the `nft -j` JSON) leave it:
//! tables with their chains, named sets and conntrack objects, and each rule as a list of
//! matches and statements. The evaluator (`eval`) reads only this, so the text and the JSON of
//! the same ruleset give the same facts.

use std::collections::HashMap;

use crate::source::Span;

/// Everything read from one export.
#[derive(Debug, Default)]
pub(super) struct Ruleset {
    pub tables: Vec<Table>,
    /// `(family, name)` → index in `tables`.
    table_index: HashMap<(Family, String), usize>,
    /// `key = value` lines of `sysctl -a` (or `/etc/sysctl.conf`) appended to the ruleset.
    pub sysctls: Vec<Sysctl>,
    /// The nftables version the JSON `metainfo` object names.
    pub nft_version: Option<(String, Span)>,
}

impl Ruleset {
    /// The table `family name`, created empty when the export has not named it before.
    pub fn table_mut(&mut self, family: Family, name: &str) -> &mut Table {
        let at = self.table_at(family, name);
        &mut self.tables[at]
    }

    /// The index of table `family name`, created empty when new.
    pub fn table_at(&mut self, family: Family, name: &str) -> usize {
        if let Some(&at) = self.table_index.get(&(family, name.to_string())) {
            return at;
        }
        self.tables.push(Table::new(family, name));
        let at = self.tables.len() - 1;
        self.table_index.insert((family, name.to_string()), at);
        at
    }

    /// `delete table` / `destroy table` in a script: what came before is gone.
    pub fn remove_table(&mut self, family: Family, name: &str) {
        if self
            .table_index
            .remove(&(family, name.to_string()))
            .is_some()
        {
            self.tables
                .retain(|t| !(t.family == family && t.name == name));
            self.reindex();
        }
    }

    /// `flush ruleset`.
    pub fn clear(&mut self) {
        self.tables.clear();
        self.table_index.clear();
    }

    fn reindex(&mut self) {
        self.table_index = self
            .tables
            .iter()
            .enumerate()
            .map(|(at, t)| ((t.family, t.name.clone()), at))
            .collect();
    }
}

#[derive(Debug, Clone)]
pub(super) struct Sysctl {
    pub key: String,
    pub value: String,
    pub span: Span,
}

/// The address family of a table: which packets its chains see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Family {
    Ip,
    Ip6,
    Inet,
    Arp,
    Bridge,
    Netdev,
}

impl Family {
    pub fn from_name(name: &str) -> Option<Family> {
        Some(match name {
            "ip" => Family::Ip,
            "ip6" => Family::Ip6,
            "inet" => Family::Inet,
            "arp" => Family::Arp,
            "bridge" => Family::Bridge,
            "netdev" => Family::Netdev,
            _ => return None,
        })
    }

    /// Tables whose chains see routed IP traffic (the paths the facts describe).
    pub fn is_ip(self) -> bool {
        matches!(self, Family::Ip | Family::Ip6 | Family::Inet)
    }
}

#[derive(Debug)]
pub(super) struct Table {
    pub family: Family,
    pub name: String,
    /// `flags dormant`: the table is loaded but none of its chains run.
    pub dormant: bool,
    pub chains: Vec<Chain>,
    chain_index: HashMap<String, usize>,
    pub sets: HashMap<String, NamedSet>,
    pub helpers: HashMap<String, Helper>,
    pub timeouts: HashMap<String, CtTimeout>,
    pub flowtables: HashMap<String, Flowtable>,
}

impl Table {
    fn new(family: Family, name: &str) -> Table {
        Table {
            family,
            name: name.to_string(),
            dormant: false,
            chains: Vec::new(),
            chain_index: HashMap::new(),
            sets: HashMap::new(),
            helpers: HashMap::new(),
            timeouts: HashMap::new(),
            flowtables: HashMap::new(),
        }
    }

    /// The chain `name`, created empty when not seen before (rules may be added to a chain
    /// declared later in a script).
    pub fn chain_mut(&mut self, name: &str) -> &mut Chain {
        let at = match self.chain_index.get(name) {
            Some(&at) => at,
            None => {
                self.chains.push(Chain {
                    name: name.to_string(),
                    base: None,
                    rules: Vec::new(),
                });
                let at = self.chains.len() - 1;
                self.chain_index.insert(name.to_string(), at);
                at
            }
        };
        &mut self.chains[at]
    }

    pub fn chain_at(&self, name: &str) -> Option<usize> {
        self.chain_index.get(name).copied()
    }
}

#[derive(Debug)]
pub(super) struct Chain {
    pub name: String,
    /// `type … hook … priority …`: set for base chains, the ones the kernel runs.
    pub base: Option<BaseChain>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
pub(super) struct BaseChain {
    /// `filter`, `nat` or `route`.
    pub kind: String,
    /// `prerouting`, `input`, `forward`, `output`, `postrouting`, `ingress`, `egress`.
    pub hook: String,
    /// The numeric priority (`filter` = 0, `raw` = -300, …); `None` when unreadable.
    pub priority: Option<i32>,
    pub policy: Option<ChainPolicy>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct ChainPolicy {
    pub accept: bool,
    pub span: Span,
}

/// A named set or map.
#[derive(Debug)]
pub(super) struct NamedSet {
    /// Element keys as text atoms (`5060`, `10000-20000`, `192.0.2.0/24`, `wan0`); `?` for an
    /// element the reader could not express as one atom (concatenations).
    pub elements: Vec<String>,
    /// Verdict maps: key atom and verdict.
    pub verdicts: Vec<(String, Verdict)>,
    /// Filled at run time (`flags dynamic`, or updated by `add @set` / `update @set` rules):
    /// its elements are not in the export.
    pub dynamic: bool,
    pub comment: Option<String>,
    pub span: Span,
}

impl Default for NamedSet {
    fn default() -> Self {
        NamedSet {
            elements: Vec::new(),
            verdicts: Vec::new(),
            dynamic: false,
            comment: None,
            span: Span {
                line: 0,
                start: 0,
                end: 0,
            },
        }
    }
}

/// `ct helper NAME { type "sip" protocol udp; }`
#[derive(Debug, Clone)]
pub(super) struct Helper {
    /// The kernel helper name (`sip`, `ftp`, …), lower case.
    pub kind: String,
    pub protocol: Option<String>,
    pub span: Span,
}

/// `ct timeout NAME { protocol udp; policy = { unreplied : N, replied : N } }`
#[derive(Debug, Clone)]
pub(super) struct CtTimeout {
    pub protocol: Option<String>,
    /// Seconds; `None` when the object leaves the state at the kernel default (`nft -j` omits
    /// values equal to the default).
    pub unreplied: Option<u32>,
    pub replied: Option<u32>,
    pub span: Span,
}

/// `flowtable NAME { hook ingress …; devices = {…}; [flags offload;] }`
#[derive(Debug, Clone)]
pub(super) struct Flowtable {
    /// `flags offload`: the flows go to the NIC (hardware offload).
    pub hardware: bool,
    pub span: Span,
}

/// One rule: its items in order (nft evaluates them left to right).
#[derive(Debug)]
pub(super) struct Rule {
    pub items: Vec<Item>,
    pub span: Span,
}

/// `==`, `!=`, `<`, `>`, `<=`, `>=` (also written `eq`, `ne`, … and, in JSON, `in` for flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

/// The right-hand side of a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    /// Literal values: one, or the elements of an anonymous set `{ a, b }`.
    Atoms(Vec<String>),
    /// A named set, `@name` (without the `@`).
    Set(String),
}

/// The layer-4 protocol a port match names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum L4 {
    Tcp,
    Udp,
    /// `sctp`, `dccp`, `udplite`: ports, but not the TCP or UDP the facts talk about.
    Other,
    /// `th`: the transport header of whatever protocol the packet has.
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    Accept,
    Drop,
    Reject,
    Return,
    Continue,
    Jump(String),
    Goto(String),
    Queue,
}

/// What a verdict map is keyed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum MapKey {
    Iface { out: bool },
    Port { l4: L4, dst: bool },
    L4proto,
    Addr { v6: bool, dst: bool },
    CtState,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum MapData {
    Inline(Vec<(String, Verdict)>),
    Named(String),
}

/// One match or statement of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// `iifname` / `oifname` (and `iif` / `oif`).
    Iface {
        out: bool,
        neg: bool,
        value: Value,
    },
    /// `ip saddr`, `ip6 daddr`, …
    Addr {
        v6: bool,
        dst: bool,
        neg: bool,
        value: Value,
    },
    /// `meta l4proto`, `ip protocol`, `ip6 nexthdr`.
    L4proto {
        neg: bool,
        value: Value,
    },
    /// `tcp dport`, `udp sport`, `th dport`, …
    Port {
        l4: L4,
        dst: bool,
        cmp: Cmp,
        value: Value,
    },
    /// A header match only non-TCP/UDP packets have (`icmp type …`).
    OtherProto,
    /// `meta nfproto ipv4|ipv6`.
    Nfproto {
        v6: bool,
    },
    /// `ct state …`.
    CtState {
        neg: bool,
        states: Vec<String>,
    },
    /// `ct status dnat`: connections a port forward translated.
    CtStatusDnat,
    /// A match that holds for every packet the facts describe (`fib daddr type local`).
    Neutral,
    /// A match the facts cannot express: the rule only applies to some packets.
    Narrow,
    /// The same, on a header field of one protocol (`tcp flags syn`), which also limits the
    /// rule to that protocol.
    NarrowProto(L4),
    /// A rate limit (`limit rate`, or a meter / set statement with one). `per_source` when it
    /// is kept per source address.
    Limit {
        per_source: bool,
    },
    Verdict(Verdict),
    /// `KEY vmap { k : verdict, … }` or `KEY vmap @map`.
    Vmap {
        key: MapKey,
        data: MapData,
    },
    Masquerade {
        randomised: bool,
    },
    Snat {
        randomised: bool,
    },
    /// `dnat [ip|ip6] to ADDR[:PORT]`; `to` is `None` for map forms.
    Dnat {
        to: Option<std::net::IpAddr>,
        port: Option<(u16, u16)>,
    },
    Redirect,
    /// `ct helper set "name"`.
    CtHelper(String),
    /// `ct timeout set "name"`.
    CtTimeout(String),
    /// `flow add @ft` / `flow offload @ft`.
    Flow(String),
    /// An iptables extension that iptables-nft could not translate: nft shows only its kind
    /// and name (`xt match recent`, `xt target CT`), never its options.
    Xt {
        target: bool,
        name: String,
    },
    /// A statement with no bearing on the facts (`counter`, `log`, `meta mark set`, …).
    Other,
}

/// What a match's left-hand side names, before its operator and value are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sel {
    Iface { out: bool },
    Addr { v6: bool, dst: bool },
    L4proto,
    Port { l4: L4, dst: bool },
    CtState,
    CtStatus,
    Nfproto,
    OtherProto,
    Neutral,
    Narrow,
}

impl Sel {
    pub fn map_key(self) -> MapKey {
        match self {
            Sel::Iface { out } => MapKey::Iface { out },
            Sel::Addr { v6, dst } => MapKey::Addr { v6, dst },
            Sel::L4proto => MapKey::L4proto,
            Sel::Port { l4, dst } => MapKey::Port { l4, dst },
            Sel::CtState => MapKey::CtState,
            _ => MapKey::Other,
        }
    }

    /// The match `SEL cmp value` as an item (shared by both readers, so they agree).
    pub fn item(self, cmp: Cmp, value: Value) -> Item {
        let equality = matches!(cmp, Cmp::Eq | Cmp::Ne);
        let neg = cmp == Cmp::Ne;
        let atoms = match &value {
            Value::Atoms(atoms) => Some(atoms.clone()),
            Value::Set(_) => None,
        };
        match self {
            Sel::Iface { out } if equality => Item::Iface { out, neg, value },
            Sel::Addr { v6, dst } if equality => Item::Addr {
                v6,
                dst,
                neg,
                value,
            },
            Sel::L4proto if equality => Item::L4proto { neg, value },
            Sel::Port { l4, dst } => Item::Port {
                l4,
                dst,
                cmp,
                value,
            },
            Sel::CtState if equality => match atoms {
                Some(states) => Item::CtState { neg, states },
                None => Item::Narrow,
            },
            Sel::CtStatus => match atoms {
                Some(states) if cmp == Cmp::Eq && states.iter().any(|s| s == "dnat") => {
                    Item::CtStatusDnat
                }
                _ => Item::Narrow,
            },
            Sel::Nfproto if cmp == Cmp::Eq => match atoms.as_deref() {
                Some([one]) if one == "ipv4" => Item::Nfproto { v6: false },
                Some([one]) if one == "ipv6" => Item::Nfproto { v6: true },
                _ => Item::Neutral,
            },
            Sel::OtherProto if cmp != Cmp::Ne => Item::OtherProto,
            Sel::Neutral => Item::Neutral,
            _ => Item::Narrow,
        }
    }
}
