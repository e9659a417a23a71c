//! From the ruleset to the device facts. Every base chain is walked from its first rule, with
//! `jump`/`goto` followed into user chains (depth-bounded) and evaluated in place, so a rule
//! deep in OpenWrt's `forward_wan` carries the `iifname "pppoe-wan"` of the rule that jumped
//! there. What each walked rule does becomes a "flat" entry (its accumulated match and one
//! verdict or statement); the facts are read from those.
//!
//! Kernel facts used (each checked here with `unshare -rn` on Linux 6.18, nftables 1.0.6):
//! - a packet must be accepted by every base chain on its hook; a drop anywhere wins;
//! - `ct helper set` and `ct timeout set` only act on a connection that conntrack has created
//!   and not yet confirmed (`nft_ct_helper_obj_eval`, `nft_ct_timeout_obj_eval` return early
//!   otherwise), so in a prerouting/output chain at priority -200 (conntrack) or lower, e.g.
//!   `raw`, they do nothing;
//! - a base chain without `policy` accepts.

use std::collections::HashSet;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};
use sipwall_firewall::model::{Action, Address, PortRange, Ports, Protocol, TimeoutScope};

use super::ir::{
    BaseChain, Cmp, Family, Item, L4, MapData, MapKey, Ruleset, Table, Value, Verdict,
};
use super::{
    CT_HELPER_BEFORE_CONNTRACK, CT_TIMEOUT_BEFORE_CONNTRACK, NO_BASE_CHAIN, POLICY_DEFAULT,
};
use crate::device::{
    AlgState, BruteForce, DefaultAction, Device, Evidence, FilterRule, Forward, Offload, Path,
    SourceNat, UdpTimeout, Versioned,
};
use crate::formats::Hints;
use crate::formats::linux::{self, HELPER_DEFAULT, HELPER_KEY, UDP_TIMEOUT_DEFAULT};
use crate::formats::ports;
use crate::source::Span;

/// How deep `jump`/`goto` are followed (the kernel allows 16 levels).
const MAX_DEPTH: u32 = 16;

/// Conntrack's hook priority in prerouting and output (NF_IP_PRI_CONNTRACK).
const CONNTRACK_PRIORITY: i32 = -200;

/// Which layer-4 protocols a match leaves possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Protos {
    tcp: bool,
    udp: bool,
    /// Anything else (ICMP, SCTP, ESP, …).
    other: bool,
}

impl Protos {
    const ALL: Protos = Protos {
        tcp: true,
        udp: true,
        other: true,
    };

    fn and(self, o: Protos) -> Protos {
        Protos {
            tcp: self.tcp && o.tcp,
            udp: self.udp && o.udp,
            other: self.other && o.other,
        }
    }

    fn none(self) -> bool {
        !(self.tcp || self.udp || self.other)
    }

    /// The protocols a header match of `l4` leaves.
    fn of_l4(l4: L4) -> Protos {
        match l4 {
            L4::Tcp => Protos {
                tcp: true,
                udp: false,
                other: false,
            },
            L4::Udp => Protos {
                tcp: false,
                udp: true,
                other: false,
            },
            L4::Other => Protos {
                tcp: false,
                udp: false,
                other: true,
            },
            L4::Any => Protos::ALL,
        }
    }

    fn of(atoms: &[String]) -> Protos {
        let mut p = Protos {
            tcp: false,
            udp: false,
            other: false,
        };
        for atom in atoms {
            match atom.to_ascii_lowercase().as_str() {
                "tcp" | "6" => p.tcp = true,
                "udp" | "17" => p.udp = true,
                _ => p.other = true,
            }
        }
        p
    }

    /// The facts' protocols: `[None]` for "every protocol", else one entry per TCP/UDP.
    fn expand(self, ports_matched: bool) -> Vec<Option<Protocol>> {
        if self == Protos::ALL && !ports_matched {
            return vec![None];
        }
        let mut out = Vec::new();
        if self.udp {
            out.push(Some(Protocol::Udp));
        }
        if self.tcp {
            out.push(Some(Protocol::Tcp));
        }
        out
    }
}

#[derive(Debug, Clone)]
struct IfMatch {
    out: bool,
    neg: bool,
    /// `None`: a named set whose members the export does not show.
    names: Option<Vec<String>>,
}

/// The conjunction of the matches a packet passed to reach a point of the walk.
#[derive(Debug, Clone)]
struct Cond {
    ifaces: Vec<IfMatch>,
    protos: Protos,
    dports: Ports,
    ports_matched: bool,
    /// Source ports (`udp sport …`, `th sport …`); `Any` when the rule names none.
    sports: Ports,
    saddr: Option<Vec<Address>>,
    daddr: Option<Vec<Address>>,
    /// `Some(true)`: IPv6 packets only.
    v6: Option<bool>,
    /// Some packets only, in a way the facts cannot express.
    conditional: bool,
    limit: bool,
    per_source: bool,
    /// `ct status dnat`: only connections a port forward translated.
    dnat_only: bool,
    /// Matches no packet the facts describe.
    dead: bool,
    /// The `jump`/`goto` rules that led here, innermost last.
    path: Vec<Span>,
}

impl Cond {
    fn any() -> Cond {
        Cond {
            ifaces: Vec::new(),
            protos: Protos::ALL,
            dports: Ports::Any,
            ports_matched: false,
            sports: Ports::Any,
            saddr: None,
            daddr: None,
            v6: None,
            conditional: false,
            limit: false,
            per_source: false,
            dnat_only: false,
            dead: false,
            path: Vec::new(),
        }
    }

    fn family(&mut self, v6: bool) {
        match self.v6 {
            Some(f) if f != v6 => self.dead = true,
            _ => self.v6 = Some(v6),
        }
    }

    /// Narrows the condition by one match item; statements leave it unchanged.
    fn apply(&mut self, item: &Item, table: &Table) {
        match item {
            Item::Iface { out, neg, value } => {
                let names = atoms(value, table);
                if names.is_none() {
                    self.conditional = true;
                }
                self.ifaces.push(IfMatch {
                    out: *out,
                    neg: *neg,
                    names,
                });
            }
            Item::Addr {
                v6,
                dst,
                neg,
                value,
            } => self.addr(*v6, *dst, *neg, value, table),
            Item::L4proto { neg, value } => match atoms(value, table) {
                Some(list) => {
                    let set = Protos::of(&list);
                    let allowed = if *neg {
                        Protos {
                            tcp: !set.tcp,
                            udp: !set.udp,
                            other: true,
                        }
                    } else {
                        set
                    };
                    self.protos = self.protos.and(allowed);
                }
                None => self.conditional = true,
            },
            Item::Port {
                l4,
                dst,
                cmp,
                value,
            } => {
                self.protos = self.protos.and(Protos::of_l4(*l4));
                if !*dst {
                    match port_set(value, *cmp, table) {
                        None => self.conditional = true,
                        Some(None) => self.dead = true,
                        Some(Some(ports)) => match self.sports.intersect(&ports) {
                            Some(both) => self.sports = both,
                            None => self.dead = true,
                        },
                    }
                    if self.protos.none() {
                        self.dead = true;
                    }
                    return;
                }
                match port_set(value, *cmp, table) {
                    None => self.conditional = true,
                    Some(None) => self.dead = true,
                    Some(Some(ports)) => match self.dports.intersect(&ports) {
                        Some(both) => {
                            self.dports = both;
                            self.ports_matched = true;
                        }
                        None => self.dead = true,
                    },
                }
            }
            Item::OtherProto => {
                self.protos = self.protos.and(Protos {
                    tcp: false,
                    udp: false,
                    other: true,
                });
            }
            Item::Nfproto { v6 } => self.family(*v6),
            Item::CtState { neg, states } => {
                let new = states.iter().any(|s| s.eq_ignore_ascii_case("new"));
                // Flows are judged on their first packet; a rule that never sees it (only
                // `established,related`, `invalid`) says nothing about which flows may start.
                if new == *neg {
                    self.dead = true;
                }
            }
            Item::CtStatusDnat => self.dnat_only = true,
            Item::Neutral => {}
            Item::Narrow | Item::Xt { target: false, .. } => self.conditional = true,
            Item::NarrowProto(l4) => {
                self.conditional = true;
                self.protos = self.protos.and(Protos::of_l4(*l4));
            }
            Item::Limit { per_source } => {
                self.limit = true;
                self.per_source |= *per_source;
                self.conditional = true;
            }
            _ => {}
        }
        if self.protos.none() {
            self.dead = true;
        }
    }

    fn addr(&mut self, v6: bool, dst: bool, neg: bool, value: &Value, table: &Table) {
        self.family(v6);
        if self.dead {
            return;
        }
        let Some(list) = addresses(value, v6, table) else {
            self.conditional = true;
            return;
        };
        let list = if neg {
            let nets: Vec<IpNet> = list
                .iter()
                .filter_map(|a| match a {
                    Address::Net(net) => Some(*net),
                    Address::Fqdn(_) => None,
                })
                .collect();
            if nets.len() != list.len() {
                self.conditional = true;
                return;
            }
            super::super::nets::complement(&nets, v6)
                .into_iter()
                .map(Address::Net)
                .collect()
        } else {
            list
        };
        if list.is_empty() {
            self.dead = true;
            return;
        }
        let slot = if dst {
            &mut self.daddr
        } else {
            &mut self.saddr
        };
        if slot.is_some() {
            // Two matches on one field: their intersection is not worth modelling.
            self.conditional = true;
        } else {
            *slot = Some(list);
        }
    }

    /// Whether packets of this condition can be among those of `leak` (protocols and ports
    /// overlap).
    fn meets(&self, leak: &(Protos, Ports)) -> bool {
        let (protos, ports) = leak;
        let both = self.protos.and(*protos);
        (both.tcp || both.udp || both.other) && self.ports().intersect(ports).is_some()
    }

    fn ports(&self) -> Ports {
        if self.ports_matched {
            self.dports.clone()
        } else {
            Ports::Any
        }
    }
}

/// Whether an item narrows the rule (as opposed to being a statement or verdict).
fn is_match(item: &Item) -> bool {
    matches!(
        item,
        Item::Iface { .. }
            | Item::Addr { .. }
            | Item::L4proto { .. }
            | Item::Port { .. }
            | Item::OtherProto
            | Item::Nfproto { .. }
            | Item::CtState { .. }
            | Item::CtStatusDnat
            | Item::Narrow
            | Item::NarrowProto(_)
            | Item::Xt { target: false, .. }
            | Item::Limit { .. }
    )
}

/// The literal atoms of a value (a named set's elements); `None` when not known.
fn atoms(value: &Value, table: &Table) -> Option<Vec<String>> {
    match value {
        Value::Atoms(list) => {
            if list.iter().any(|a| a == "?") {
                None
            } else {
                Some(list.clone())
            }
        }
        Value::Set(name) => {
            let set = table.sets.get(name)?;
            if set.dynamic || set.elements.is_empty() || set.elements.iter().any(|a| a == "?") {
                None
            } else {
                Some(set.elements.clone())
            }
        }
    }
}

/// `ports` for `cmp value`: `None` unknown, `Some(None)` no port at all.
fn port_set(value: &Value, cmp: Cmp, table: &Table) -> Option<Option<Ports>> {
    let list = atoms(value, table)?;
    let mut ranges = Vec::with_capacity(list.len());
    for atom in &list {
        ranges.push(ports::dash_range(atom)?);
    }
    if ranges.is_empty() {
        return Some(None);
    }
    let bound = |f: fn(u16) -> Option<PortRange>| -> Option<Option<Ports>> {
        match ranges.as_slice() {
            [one] if one.first == one.last => Some(f(one.first).map(|r| Ports::from_ranges([r]))),
            _ => None,
        }
    };
    match cmp {
        Cmp::Eq => Some(Some(Ports::from_ranges(ranges.clone()))),
        Cmp::Ne => Some(Ports::Any.subtract(&Ports::from_ranges(ranges.clone()))),
        Cmp::Lt => bound(|n| n.checked_sub(1).map(|m| PortRange::new(0, m))),
        Cmp::Le => bound(|n| Some(PortRange::new(0, n))),
        Cmp::Gt => bound(|n| n.checked_add(1).map(|m| PortRange::new(m, u16::MAX))),
        Cmp::Ge => bound(|n| Some(PortRange::new(n, u16::MAX))),
    }
}

/// The addresses of a value for one family; a set tagged `addresses of NAME` (sipwall's
/// rendering of a DNS name) also stands for `NAME`.
fn addresses(value: &Value, v6: bool, table: &Table) -> Option<Vec<Address>> {
    let mut out = Vec::new();
    let list = match value {
        Value::Atoms(list) => list.clone(),
        Value::Set(name) => {
            let set = table.sets.get(name)?;
            let fqdn = set
                .comment
                .as_deref()
                .and_then(|c| c.strip_prefix("addresses of "))
                .and_then(|c| c.split(';').next())
                .map(str::trim)
                .filter(|n| !n.is_empty() && !n.contains(' '));
            if let Some(name) = fqdn {
                out.push(Address::Fqdn(name.to_string()));
            } else if set.dynamic || set.elements.is_empty() {
                return None;
            }
            set.elements.clone()
        }
    };
    for atom in &list {
        for net in nets(atom)? {
            if matches!(net, IpNet::V6(_)) == v6 {
                out.push(Address::Net(net));
            }
        }
    }
    Some(out)
}

/// `192.0.2.1`, `192.0.2.0/24`, `10.0.0.1-10.0.0.9`, IPv6 alike → prefixes.
fn nets(atom: &str) -> Option<Vec<IpNet>> {
    if let Ok(net) = atom.parse::<IpNet>() {
        return Some(vec![net.trunc()]);
    }
    if let Ok(addr) = atom.parse::<IpAddr>() {
        return Some(vec![IpNet::from(addr)]);
    }
    let (a, b) = atom.split_once('-')?;
    match (
        a.trim().parse::<IpAddr>().ok()?,
        b.trim().parse::<IpAddr>().ok()?,
    ) {
        (IpAddr::V4(a), IpAddr::V4(b)) => Some(
            Ipv4Subnets::new(a.min(b), a.max(b), 0)
                .map(IpNet::V4)
                .collect(),
        ),
        (IpAddr::V6(a), IpAddr::V6(b)) => Some(
            Ipv6Subnets::new(a.min(b), a.max(b), 0)
                .map(IpNet::V6)
                .collect(),
        ),
        _ => None,
    }
}

/// What one walked rule does.
#[derive(Debug, Clone)]
enum What {
    Verdict(Action),
    Helper(String),
    Timeout(String),
    Flow(String),
    /// `randomised`: `None` when the export cannot tell (an untranslated iptables target).
    SourceNat {
        randomised: Option<bool>,
    },
    /// iptables-nft's `-j CT` target, options unseen (a helper, most likely).
    XtCt,
    Dnat {
        to: Option<IpAddr>,
        port: Option<(u16, u16)>,
    },
    /// The rule rate-limits (the brute-force facts read these).
    RateLimit,
}

#[derive(Debug, Clone)]
struct Flat {
    cond: Cond,
    what: What,
    span: Span,
    chain: String,
}

impl Flat {
    /// The rule's line, then the jumps that led to it.
    fn spans(&self) -> Vec<Span> {
        let mut spans = vec![self.span];
        spans.extend(self.cond.path.iter().rev().copied());
        spans.dedup();
        spans
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Outcome {
    /// Every packet entering the chain got a final verdict in it.
    Terminated,
    FellThrough,
}

struct Walker<'a> {
    rs: &'a Ruleset,
    /// Rule visits left: `jump` fan-out cannot make the walk explode.
    budget: usize,
    flats: Vec<Flat>,
}

impl Walker<'_> {
    fn walk(&mut self, t: usize, c: usize, ctx: &Cond, depth: u32) -> Outcome {
        let rs = self.rs;
        let Some(table) = rs.tables.get(t) else {
            return Outcome::FellThrough;
        };
        let Some(chain) = table.chains.get(c) else {
            return Outcome::FellThrough;
        };
        // Packets that left the chain early (a conditional `return`, or a `goto` whose chain
        // fell through): later rules that could meet them only see the others.
        let mut leaks: Vec<(Protos, Ports)> = Vec::new();
        for rule in &chain.rules {
            if self.budget == 0 {
                return Outcome::FellThrough;
            }
            self.budget -= 1;
            let mut cond = ctx.clone();
            let narrows = rule.items.iter().any(is_match);
            let mut ended = None;
            for item in &rule.items {
                if cond.dead {
                    break;
                }
                if matches!(item, Item::Verdict(_) | Item::Vmap { .. } | Item::Xt { .. })
                    || !is_match(item)
                {
                    cond.conditional |= leaks.iter().any(|leak| cond.meets(leak));
                }
                let flat = |what| Flat {
                    cond: cond.clone(),
                    what,
                    span: rule.span,
                    chain: chain.name.clone(),
                };
                match item {
                    Item::CtHelper(name) => self.flats.push(flat(What::Helper(name.clone()))),
                    Item::CtTimeout(name) => self.flats.push(flat(What::Timeout(name.clone()))),
                    Item::Flow(name) => self.flats.push(flat(What::Flow(name.clone()))),
                    Item::Masquerade { randomised } | Item::Snat { randomised } => {
                        self.flats.push(flat(What::SourceNat {
                            randomised: Some(*randomised),
                        }))
                    }
                    Item::Xt { target: true, name } => match name.as_str() {
                        "CT" => self.flats.push(flat(What::XtCt)),
                        "MASQUERADE" | "SNAT" => {
                            self.flats.push(flat(What::SourceNat { randomised: None }))
                        }
                        "DNAT" => self.flats.push(flat(What::Dnat {
                            to: None,
                            port: None,
                        })),
                        "ACCEPT" | "DROP" | "REJECT" | "RETURN" => {
                            let verdict = match name.as_str() {
                                "ACCEPT" => Verdict::Accept,
                                "RETURN" => Verdict::Return,
                                _ => Verdict::Drop,
                            };
                            ended = Some(self.verdict(
                                &verdict,
                                &cond,
                                t,
                                &chain.name,
                                rule.span,
                                depth,
                                narrows,
                            ));
                            break;
                        }
                        _ => {}
                    },
                    Item::Dnat { to, port } => self.flats.push(flat(What::Dnat {
                        to: *to,
                        port: *port,
                    })),
                    Item::Verdict(verdict) => {
                        if cond.limit {
                            self.flats.push(flat(What::RateLimit));
                        }
                        ended = Some(self.verdict(
                            verdict,
                            &cond,
                            t,
                            &chain.name,
                            rule.span,
                            depth,
                            narrows,
                        ));
                        break;
                    }
                    Item::Vmap { key, data } => {
                        self.vmap(key, data, &cond, t, &chain.name, rule.span, depth);
                        ended = Some(Step::Next);
                        break;
                    }
                    Item::Redirect | Item::Other => {}
                    _ => cond.apply(item, table),
                }
            }
            if ended.is_none() && cond.limit && !cond.dead {
                self.flats.push(Flat {
                    cond: cond.clone(),
                    what: What::RateLimit,
                    span: rule.span,
                    chain: chain.name.clone(),
                });
            }
            match ended {
                Some(Step::End(outcome)) => {
                    return if leaks.is_empty() {
                        outcome
                    } else {
                        Outcome::FellThrough
                    };
                }
                Some(Step::Leak) if leaks.len() < 64 => leaks.push((cond.protos, cond.ports())),
                Some(Step::Leak) => {
                    // Too many to track: everything after may have been taken.
                    leaks.clear();
                    leaks.push((Protos::ALL, Ports::Any));
                }
                _ => {}
            }
        }
        Outcome::FellThrough
    }

    /// One verdict under `cond`. `narrows`: the rule matched only some of the packets that
    /// reached it.
    #[allow(clippy::too_many_arguments)]
    fn verdict(
        &mut self,
        verdict: &Verdict,
        cond: &Cond,
        t: usize,
        chain: &str,
        span: Span,
        depth: u32,
        narrows: bool,
    ) -> Step {
        if cond.dead {
            return Step::Next;
        }
        let every = !narrows;
        match verdict {
            Verdict::Accept | Verdict::Drop | Verdict::Reject => {
                let action = if *verdict == Verdict::Accept {
                    Action::Accept
                } else {
                    Action::Drop
                };
                self.flats.push(Flat {
                    cond: cond.clone(),
                    what: What::Verdict(action),
                    span,
                    chain: chain.to_string(),
                });
                if every {
                    Step::End(Outcome::Terminated)
                } else {
                    Step::Next
                }
            }
            Verdict::Return => {
                if every {
                    Step::End(Outcome::FellThrough)
                } else {
                    Step::Leak
                }
            }
            Verdict::Continue => Step::Next,
            // Userspace decides: later rules only see what it did not take.
            Verdict::Queue => Step::Leak,
            Verdict::Jump(target) | Verdict::Goto(target) => {
                let goto = matches!(verdict, Verdict::Goto(_));
                let outcome = match self.rs.tables.get(t).and_then(|tb| tb.chain_at(target)) {
                    Some(c) if depth < MAX_DEPTH => {
                        let mut inner = cond.clone();
                        inner.path.push(span);
                        self.walk(t, c, &inner, depth + 1)
                    }
                    _ => Outcome::FellThrough,
                };
                match (goto, outcome, every) {
                    (_, Outcome::Terminated, true) => Step::End(Outcome::Terminated),
                    (true, _, true) => Step::End(Outcome::FellThrough),
                    (true, Outcome::FellThrough, false) => Step::Leak,
                    _ => Step::Next,
                }
            }
        }
    }

    /// `KEY vmap { k : verdict }`: each entry is a rule `KEY == k verdict`.
    #[allow(clippy::too_many_arguments)]
    fn vmap(
        &mut self,
        key: &MapKey,
        data: &MapData,
        cond: &Cond,
        t: usize,
        chain: &str,
        span: Span,
        depth: u32,
    ) {
        let rs = self.rs;
        let Some(table) = rs.tables.get(t) else {
            return;
        };
        let entries: &[(String, Verdict)] = match data {
            MapData::Inline(entries) => entries,
            MapData::Named(name) => match table.sets.get(name) {
                Some(set) => &set.verdicts,
                None => &[],
            },
        };
        for (k, verdict) in entries {
            if self.budget == 0 {
                return;
            }
            self.budget -= 1;
            let one = Value::Atoms(vec![k.clone()]);
            let item = match key {
                MapKey::Iface { out } => Item::Iface {
                    out: *out,
                    neg: false,
                    value: one,
                },
                MapKey::Port { l4, dst } => Item::Port {
                    l4: *l4,
                    dst: *dst,
                    cmp: Cmp::Eq,
                    value: one,
                },
                MapKey::L4proto => Item::L4proto {
                    neg: false,
                    value: one,
                },
                MapKey::Addr { v6, dst } => Item::Addr {
                    v6: *v6,
                    dst: *dst,
                    neg: false,
                    value: one,
                },
                MapKey::CtState => Item::CtState {
                    neg: false,
                    states: vec![k.clone()],
                },
                MapKey::Other => Item::Narrow,
            };
            let mut entry = cond.clone();
            entry.apply(&item, table);
            self.verdict(verdict, &entry, t, chain, span, depth, true);
        }
    }
}

enum Step {
    Next,
    /// Some packets left the chain (conditional `return` / `goto` that fell through).
    Leak,
    End(Outcome),
}

/// Which interfaces are the WAN: named, every one but some, or unknown.
#[derive(Debug, Clone)]
enum Names {
    Only(Vec<String>),
    AllBut(Vec<String>),
    Unknown,
}

/// `ppp*` style wildcards (nft allows a trailing `*`).
fn name_matches(pattern: &str, name: &str) -> bool {
    match (pattern.strip_suffix('*'), name.strip_suffix('*')) {
        (Some(prefix), _) => name.starts_with(prefix),
        (None, Some(prefix)) => pattern.starts_with(prefix),
        (None, None) => pattern == name,
    }
}

fn in_list(list: &[String], name: &str) -> bool {
    list.iter().any(|p| name_matches(p, name))
}

/// Interface names that look like an uplink when nothing better says which one is.
fn looks_wan(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("wan") || name.starts_with("ppp") || name.starts_with("wwan")
}

struct Zones {
    wan: Names,
    lan: Names,
}

/// Which kinds of interface a set of interface matches lets through.
#[derive(Debug, Clone, Copy)]
struct Side {
    wan: bool,
    lan: bool,
}

impl Zones {
    fn is_wan(&self, name: &str) -> bool {
        match &self.wan {
            Names::Only(list) => in_list(list, name),
            Names::AllBut(list) => !in_list(list, name),
            Names::Unknown => name != "lo",
        }
    }

    fn is_lan(&self, name: &str) -> bool {
        if name == "lo" {
            return false;
        }
        match (&self.lan, &self.wan) {
            (Names::Only(list), _) => in_list(list, name),
            (_, Names::Only(_)) => !self.is_wan(name),
            (_, Names::AllBut(list)) => in_list(list, name),
            _ => true,
        }
    }

    /// Whether some WAN (LAN) interface is not in `names`.
    fn wan_outside(&self, names: &[String]) -> bool {
        match &self.wan {
            Names::Only(list) => list.iter().any(|w| !in_list(names, w)),
            _ => true,
        }
    }

    fn lan_outside(&self, names: &[String]) -> bool {
        match (&self.lan, &self.wan) {
            (Names::Only(list), _) => list.iter().any(|l| !in_list(names, l)),
            (_, Names::AllBut(list)) => list.iter().any(|l| !in_list(names, l)),
            _ => true,
        }
    }

    /// The input (`out == false`) or output side of a condition.
    fn side(&self, cond: &Cond, out: bool) -> Side {
        let mut side = Side {
            wan: true,
            lan: true,
        };
        for m in cond.ifaces.iter().filter(|m| m.out == out) {
            let Some(names) = &m.names else { continue };
            let this = if m.neg {
                Side {
                    wan: self.wan_outside(names),
                    lan: self.lan_outside(names),
                }
            } else {
                Side {
                    wan: names.iter().any(|n| self.is_wan(n)),
                    lan: names.iter().any(|n| self.is_lan(n)),
                }
            };
            side.wan &= this.wan;
            side.lan &= this.lan;
        }
        side
    }

    /// WAN from the hints, else from masquerade/SNAT (the interface traffic leaves by),
    /// else from port forwards (the interface they come in by), else from names.
    fn infer(hints: &Hints, runs: &[Run], flats: &[Flat]) -> Zones {
        let lan = if hints.lan.is_empty() {
            Names::Unknown
        } else {
            Names::Only(hints.lan.clone())
        };
        if !hints.wan.is_empty() {
            return Zones {
                wan: Names::Only(hints.wan.clone()),
                lan,
            };
        }
        let mut only: Vec<String> = Vec::new();
        let mut all_but: Vec<String> = Vec::new();
        let mut seen: HashSet<(bool, String)> = HashSet::new();
        for (snat, out) in [(true, true), (false, false)] {
            for run in runs {
                let (hook, kind) = (run.base.hook.as_str(), run.base.kind.as_str());
                let wanted = if snat { "postrouting" } else { "prerouting" };
                if kind != "nat" || hook != wanted {
                    continue;
                }
                for flat in &flats[run.flats.clone()] {
                    let relevant = match flat.what {
                        What::SourceNat { .. } => snat,
                        What::Dnat { .. } => !snat,
                        _ => false,
                    };
                    if !relevant {
                        continue;
                    }
                    for m in flat.cond.ifaces.iter().filter(|m| m.out == out) {
                        let Some(names) = &m.names else { continue };
                        let list = if m.neg { &mut all_but } else { &mut only };
                        for name in names {
                            // A device has a few uplinks; a cap keeps lookups cheap on
                            // hostile input.
                            if list.len() < 64 && seen.insert((m.neg, name.clone())) {
                                list.push(name.clone());
                            }
                        }
                    }
                }
            }
            if !only.is_empty() || !all_but.is_empty() {
                break;
            }
        }
        let wan = if !only.is_empty() {
            Names::Only(only)
        } else if !all_but.is_empty() {
            Names::AllBut(all_but)
        } else {
            let mut named: Vec<String> = Vec::new();
            let mut seen = HashSet::new();
            for flat in flats {
                for m in &flat.cond.ifaces {
                    for name in m.names.iter().flatten() {
                        if named.len() < 64 && looks_wan(name) && seen.insert(name.clone()) {
                            named.push(name.clone());
                        }
                    }
                }
            }
            if named.is_empty() {
                Names::Unknown
            } else {
                Names::Only(named)
            }
        };
        Zones { wan, lan }
    }
}

/// One base chain's walk.
struct Run {
    t: usize,
    base: BaseChain,
    chain: String,
    family: Family,
    flats: std::ops::Range<usize>,
}

/// Whether a `ct helper set` / `ct timeout set` in this chain meets a connection conntrack has
/// created and not confirmed yet.
fn after_conntrack(base: &BaseChain) -> bool {
    match base.hook.as_str() {
        "input" | "forward" | "postrouting" => true,
        "prerouting" | "output" => base.priority.is_none_or(|p| p > CONNTRACK_PRIORITY),
        _ => false,
    }
}

fn priority_text(base: &BaseChain) -> String {
    base.priority
        .map_or_else(|| "?".to_string(), |p| p.to_string())
}

/// Reads the facts of `rs` into `device`.
pub(super) fn facts(rs: &Ruleset, hints: &Hints, device: &mut Device) {
    let total_rules: usize = rs
        .tables
        .iter()
        .flat_map(|t| &t.chains)
        .map(|c| c.rules.len())
        .sum();
    let mut walker = Walker {
        rs,
        budget: 200_000usize.saturating_add(total_rules.saturating_mul(8)),
        flats: Vec::new(),
    };
    let mut runs = Vec::new();
    for (t, table) in rs.tables.iter().enumerate() {
        if table.dormant || !table.family.is_ip() {
            continue;
        }
        for (c, chain) in table.chains.iter().enumerate() {
            let Some(base) = &chain.base else { continue };
            let mut ctx = Cond::any();
            match table.family {
                Family::Ip => ctx.v6 = Some(false),
                Family::Ip6 => ctx.v6 = Some(true),
                _ => {}
            }
            let first = walker.flats.len();
            walker.walk(t, c, &ctx, 0);
            runs.push(Run {
                t,
                base: base.clone(),
                chain: chain.name.clone(),
                family: table.family,
                flats: first..walker.flats.len(),
            });
        }
    }
    let flats = walker.flats;
    let zones = Zones::infer(hints, &runs, &flats);

    filters(&runs, &flats, &zones, device);
    algs(rs, &runs, &flats, device);
    timeouts(rs, &runs, &flats, device);
    nat(&runs, &flats, &zones, device);
    offload_and_limits(rs, &runs, &flats, &zones, device);
    if let Some((version, span)) = &rs.nft_version {
        device.version = Some(Versioned {
            version: format!("nftables {version}"),
            span: *span,
        });
    }
}

/// Filter rules and default actions of the forward (Outbound, Inbound) and input (ToDevice)
/// hooks.
fn filters(runs: &[Run], flats: &[Flat], zones: &Zones, device: &mut Device) {
    for hook in ["forward", "input"] {
        let mut chains: Vec<&Run> = runs
            .iter()
            .filter(|r| r.base.kind == "filter" && r.base.hook == hook)
            .collect();
        chains.sort_by_key(|r| r.base.priority.unwrap_or(0));
        // IPv4 sees ip and inet tables; their policies decide the default.
        let v4: Vec<&Run> = chains
            .iter()
            .copied()
            .filter(|r| r.family != Family::Ip6)
            .collect();
        let deciding = v4
            .iter()
            .rposition(|r| r.base.policy.is_some_and(|p| !p.accept))
            .or(v4.len().checked_sub(1))
            .and_then(|at| v4.get(at))
            .map(|r| (r.t, r.chain.clone()));
        let several = v4.len() > 1;
        let paths: &[Path] = if hook == "forward" {
            &[Path::Outbound, Path::Inbound]
        } else {
            &[Path::ToDevice]
        };
        for run in &chains {
            let decides = deciding
                .as_ref()
                .is_some_and(|(t, c)| *t == run.t && *c == run.chain);
            for flat in &flats[run.flats.clone()] {
                let What::Verdict(action) = flat.what else {
                    continue;
                };
                let cond = &flat.cond;
                let inn = zones.side(cond, false);
                let out = zones.side(cond, true);
                // An accept in one of several chains is not final: the others still judge.
                let not_final = several && !decides && action == Action::Accept;
                let v6_only = cond.v6 == Some(true) && cond.saddr.is_none() && cond.daddr.is_none();
                for &path in paths {
                    let applies = match path {
                        Path::Outbound => inn.lan && out.wan && !cond.dnat_only,
                        Path::Inbound => inn.wan && out.lan,
                        // `ct status dnat` in input: redirected connections only.
                        Path::ToDevice => inn.wan && !cond.dnat_only,
                    };
                    if !applies {
                        continue;
                    }
                    let ports_matched = cond.ports_matched || !cond.sports.is_any();
                    for protocol in cond.protos.expand(ports_matched) {
                        push_merged(
                            &mut device.filters,
                            FilterRule {
                                path,
                                protocol,
                                source: cond.saddr.clone().unwrap_or_default(),
                                source_ports: if protocol.is_some() {
                                    cond.sports.clone()
                                } else {
                                    Ports::Any
                                },
                                destination: cond.daddr.clone().unwrap_or_default(),
                                destination_ports: if protocol.is_some() {
                                    cond.ports()
                                } else {
                                    Ports::Any
                                },
                                action,
                                conditional: cond.conditional || not_final || v6_only,
                                evidence: Evidence::explicit(flat.spans()),
                            },
                        );
                    }
                }
            }
        }
        for &path in paths {
            device.default_actions.push(default_action(&v4, path));
        }
    }
}

/// Appends a filter rule, merged into the previous rule of its path when the two differ only
/// in their sources (or only in their destinations): first match over two such neighbours is
/// the same as over one rule with both address lists, and exports (ours included) write one
/// rule per address, set or family.
fn push_merged(filters: &mut Vec<FilterRule>, rule: FilterRule) {
    if let Some(last) = filters.iter_mut().rev().find(|f| f.path == rule.path) {
        let alike = last.protocol == rule.protocol
            && last.source_ports == rule.source_ports
            && last.destination_ports == rule.destination_ports
            && last.action == rule.action
            && last.conditional == rule.conditional;
        let into = if alike && last.destination == rule.destination {
            Some((&mut last.source, &rule.source))
        } else if alike && last.source == rule.source {
            Some((&mut last.destination, &rule.destination))
        } else {
            None
        };
        if let Some((into, from)) = into {
            // Only recent entries are checked for repeats (the v4/v6 twin of a rule), so a
            // long run of single-address rules (a ban list) stays linear.
            if into.is_empty() || from.is_empty() {
                into.clear();
            } else {
                for address in from {
                    if !into.iter().rev().take(4).any(|a| a == address) {
                        into.push(address.clone());
                    }
                }
            }
            let spans = &mut last.evidence.spans;
            for span in &rule.evidence.spans {
                if !spans.iter().rev().take(4).any(|s| s == span) {
                    spans.push(*span);
                }
            }
            return;
        }
    }
    filters.push(rule);
}

fn default_action(chains: &[&Run], path: Path) -> DefaultAction {
    if chains.is_empty() {
        return DefaultAction {
            path,
            action: Action::Accept,
            evidence: Evidence::default(NO_BASE_CHAIN),
        };
    }
    if let Some(run) = chains
        .iter()
        .find(|r| r.base.policy.is_some_and(|p| !p.accept))
    {
        let span = run.base.policy.map_or(run.base.span, |p| p.span);
        return DefaultAction {
            path,
            action: Action::Drop,
            evidence: Evidence::explicit([span]),
        };
    }
    let spans: Vec<Span> = chains
        .iter()
        .map(|r| r.base.policy.map_or(r.base.span, |p| p.span))
        .collect();
    let evidence = if chains.iter().all(|r| r.base.policy.is_some()) {
        Evidence::explicit(spans)
    } else {
        Evidence::default_at(POLICY_DEFAULT, spans)
    };
    DefaultAction {
        path,
        action: Action::Accept,
        evidence,
    }
}

fn algs(rs: &Ruleset, runs: &[Run], flats: &[Flat], device: &mut Device) {
    let mut seen = HashSet::new();
    let mut used = HashSet::new();
    for run in runs {
        let Some(table) = rs.tables.get(run.t) else {
            continue;
        };
        for flat in &flats[run.flats.clone()] {
            if matches!(flat.what, What::XtCt) {
                if !seen.insert((flat.span, run.chain.clone())) {
                    continue;
                }
                let cond = &flat.cond;
                let scope = cond
                    .protos
                    .expand(true)
                    .into_iter()
                    .flatten()
                    .map(|p| (p, cond.ports()))
                    .collect();
                device.sip_alg.push(AlgState {
                    enabled: true,
                    mechanism: format!(
                        "iptables `-j CT` target in chain {} (iptables-nft; nft shows `xt target \
                         CT` without its options): it usually attaches a conntrack helper such \
                         as `--helper sip`; check `iptables-save -t raw`",
                        flat.chain
                    ),
                    scope,
                    evidence: Evidence::unknown(flat.spans()),
                });
                continue;
            }
            let What::Helper(name) = &flat.what else {
                continue;
            };
            let Some(helper) = table.helpers.get(name) else {
                continue;
            };
            used.insert((run.t, name.clone()));
            if helper.kind != "sip" || !seen.insert((flat.span, run.chain.clone())) {
                continue;
            }
            // The helper only takes connections of its own protocol (nft_ct_helper_obj_eval).
            let protocols: Vec<Protocol> = match helper.protocol.as_deref() {
                Some("udp") => vec![Protocol::Udp],
                Some("tcp") => vec![Protocol::Tcp],
                _ => vec![Protocol::Udp, Protocol::Tcp],
            }
            .into_iter()
            .filter(|p| match p {
                Protocol::Udp => flat.cond.protos.udp,
                Protocol::Tcp => flat.cond.protos.tcp,
            })
            .collect();
            if protocols.is_empty() {
                continue;
            }
            let scope = protocols
                .into_iter()
                .map(|p| (p, flat.cond.ports()))
                .collect();
            let mut spans = flat.spans();
            spans.push(helper.span);
            let state = if after_conntrack(&run.base) {
                AlgState {
                    enabled: true,
                    mechanism: format!(
                        "ct helper \"{name}\" (type \"sip\", the kernel SIP ALG nf_conntrack_sip) \
                         attached by `ct helper set` in chain {}",
                        flat.chain
                    ),
                    scope,
                    evidence: Evidence::explicit(spans),
                }
            } else {
                AlgState {
                    enabled: false,
                    mechanism: format!(
                        "ct helper \"{name}\" (type \"sip\") set in chain {} at priority {}, \
                         before connection tracking (-200): the kernel ignores it there",
                        run.chain,
                        priority_text(&run.base)
                    ),
                    scope,
                    evidence: Evidence::default_at(CT_HELPER_BEFORE_CONNTRACK, spans),
                }
            };
            device.sip_alg.push(state);
        }
    }
    for sysctl in &rs.sysctls {
        if sysctl.key != HELPER_KEY {
            continue;
        }
        match sysctl.value.trim() {
            "0" => device.sip_alg.push(AlgState {
                enabled: false,
                mechanism: "net.netfilter.nf_conntrack_helper = 0: no automatic conntrack helper \
                            assignment"
                    .into(),
                scope: Vec::new(),
                evidence: Evidence::explicit([sysctl.span]),
            }),
            "1" => device.sip_alg.push(AlgState {
                enabled: true,
                mechanism: "net.netfilter.nf_conntrack_helper = 1: automatic conntrack helper \
                            assignment (kernels before 6.0, where this sysctl still exists): when \
                            nf_conntrack_sip is loaded it attaches to every connection to its \
                            ports (5060 unless its `ports` parameter says otherwise) without any \
                            rule; whether the module is loaded is not in the export (`lsmod | \
                            grep nf_conntrack_sip`)"
                    .into(),
                scope: Vec::new(),
                evidence: Evidence::unknown([sysctl.span]),
            }),
            _ => {}
        }
    }
    if device.sip_alg.is_empty() {
        // Helper objects of type sip that no rule uses: defined, not active.
        let mut spans = Vec::new();
        for (t, table) in rs.tables.iter().enumerate() {
            let mut unused: Vec<(&String, Span)> = table
                .helpers
                .iter()
                .filter(|(name, h)| h.kind == "sip" && !used.contains(&(t, (*name).clone())))
                .map(|(name, h)| (name, h.span))
                .collect();
            unused.sort_by_key(|(_, span)| *span);
            spans.extend(unused.into_iter().map(|(_, span)| span));
        }
        let mechanism = if spans.is_empty() {
            "conntrack helpers (the kernel SIP ALG): no `ct helper set` rule attaches a sip helper"
        } else {
            "ct helper object of type \"sip\" defined but never attached by a `ct helper set` rule"
        };
        device.sip_alg.push(AlgState {
            enabled: false,
            mechanism: mechanism.into(),
            scope: Vec::new(),
            evidence: Evidence::default_at(HELPER_DEFAULT, spans),
        });
    }
}

fn timeouts(rs: &Ruleset, runs: &[Run], flats: &[Flat], device: &mut Device) {
    let value = |key: &str| {
        rs.sysctls
            .iter()
            .rev()
            .find(|s| s.key == key)
            .and_then(|s| s.value.trim().parse::<u32>().ok().map(|v| (v, s.span)))
    };
    let unreplied = value(linux::UDP_TIMEOUT_KEY);
    let replied = value(linux::UDP_TIMEOUT_STREAM_KEY);
    let global_unreplied = unreplied.map_or(linux::UDP_TIMEOUTS.0, |(v, _)| v);
    let global_replied = replied.map_or(linux::UDP_TIMEOUTS.1, |(v, _)| v);
    let spans: Vec<Span> = [unreplied, replied]
        .into_iter()
        .flatten()
        .map(|(_, span)| span)
        .collect();
    device.udp_timeouts.push(UdpTimeout {
        scope: TimeoutScope::Global,
        unreplied_seconds: Some(global_unreplied),
        replied_seconds: Some(global_replied),
        evidence: if spans.is_empty() {
            Evidence::default(UDP_TIMEOUT_DEFAULT)
        } else {
            Evidence::explicit(spans)
        },
    });
    let mut seen = HashSet::new();
    for run in runs {
        let Some(table) = rs.tables.get(run.t) else {
            continue;
        };
        for flat in &flats[run.flats.clone()] {
            let What::Timeout(name) = &flat.what else {
                continue;
            };
            let Some(object) = table.timeouts.get(name) else {
                continue;
            };
            // The object acts only on its own protocol (nft_ct_timeout_obj_eval).
            if object.protocol.as_deref().is_some_and(|p| p != "udp")
                || !flat.cond.protos.udp
                || !seen.insert((flat.span, run.chain.clone()))
            {
                continue;
            }
            let mut spans = flat.spans();
            spans.push(object.span);
            let scope = TimeoutScope::Ports(flat.cond.ports());
            device.udp_timeouts.push(if after_conntrack(&run.base) {
                UdpTimeout {
                    scope,
                    unreplied_seconds: Some(object.unreplied.unwrap_or(global_unreplied)),
                    replied_seconds: Some(object.replied.unwrap_or(global_replied)),
                    evidence: Evidence::explicit(spans),
                }
            } else {
                // Set before conntrack: the kernel ignores it, the global values apply.
                UdpTimeout {
                    scope,
                    unreplied_seconds: Some(global_unreplied),
                    replied_seconds: Some(global_replied),
                    evidence: Evidence::default_at(CT_TIMEOUT_BEFORE_CONNTRACK, spans),
                }
            });
        }
    }
}

fn nat(runs: &[Run], flats: &[Flat], zones: &Zones, device: &mut Device) {
    for run in runs.iter().filter(|r| r.base.kind == "nat") {
        for flat in &flats[run.flats.clone()] {
            let cond = &flat.cond;
            match (&flat.what, run.base.hook.as_str()) {
                (What::SourceNat { randomised }, "postrouting") => {
                    if !zones.side(cond, true).wan {
                        continue;
                    }
                    for protocol in cond.protos.expand(cond.ports_matched) {
                        device.source_nat.push(SourceNat {
                            port_preservation: randomised.map(|r| !r),
                            ports: cond.ports(),
                            protocol,
                            evidence: Evidence::explicit(flat.spans()),
                        });
                    }
                }
                (What::Dnat { to, port }, "prerouting") => {
                    if !zones.side(cond, false).wan {
                        continue;
                    }
                    let outside = cond.ports();
                    let inside = port.map(|(a, b)| Ports::from_ranges([PortRange::new(a, b)]));
                    let to_ports = inside.filter(|p| *p != outside);
                    for protocol in cond.protos.expand(cond.ports_matched) {
                        device.forwards.push(Forward {
                            protocol,
                            outside_ports: outside.clone(),
                            to: *to,
                            to_ports: to_ports.clone(),
                            source: cond.saddr.clone().unwrap_or_default(),
                            evidence: Evidence::explicit(flat.spans()),
                        });
                    }
                }
                _ => {}
            }
        }
    }
}

fn offload_and_limits(
    rs: &Ruleset,
    runs: &[Run],
    flats: &[Flat],
    zones: &Zones,
    device: &mut Device,
) {
    let mut seen = HashSet::new();
    for run in runs.iter().filter(|r| r.base.kind == "filter") {
        let hook = run.base.hook.as_str();
        for flat in &flats[run.flats.clone()] {
            let cond = &flat.cond;
            match &flat.what {
                What::Flow(name) if hook == "forward" => {
                    if !(cond.protos.tcp || cond.protos.udp) {
                        continue;
                    }
                    let flowtable = rs.tables.get(run.t).and_then(|t| t.flowtables.get(name));
                    let hardware = flowtable.is_some_and(|f| f.hardware);
                    let mut spans = flat.spans();
                    spans.extend(flowtable.map(|f| f.span));
                    device.offload.push(Offload {
                        mechanism: format!(
                            "flowtable {name} (`flow add @{name}`){}",
                            if hardware {
                                ", hardware offload (flags offload)"
                            } else {
                                ""
                            }
                        ),
                        protocol: match (cond.protos.tcp, cond.protos.udp) {
                            (true, false) => Some(Protocol::Tcp),
                            (false, true) => Some(Protocol::Udp),
                            _ => None,
                        },
                        ports: cond.ports(),
                        evidence: Evidence::explicit(spans),
                    });
                }
                What::RateLimit if matches!(hook, "forward" | "input" | "prerouting") => {
                    if !zones.side(cond, false).wan || !(cond.per_source || cond.ports_matched) {
                        continue;
                    }
                    for protocol in cond.protos.expand(cond.ports_matched) {
                        if !seen.insert((flat.span, protocol)) {
                            continue;
                        }
                        device.brute_force.push(BruteForce {
                            protocol,
                            ports: cond.ports(),
                            evidence: Evidence::explicit(flat.spans()),
                        });
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ranges: &[(u16, u16)]) -> Ports {
        Ports::from_ranges(ranges.iter().map(|&(a, b)| PortRange::new(a, b)))
    }

    #[test]
    fn port_comparisons() {
        let table_rs = {
            let mut rs = Ruleset::default();
            rs.table_mut(Family::Inet, "t");
            rs
        };
        let table = &table_rs.tables[0];
        let one = |v: &str| Value::Atoms(vec![v.to_string()]);
        assert_eq!(
            port_set(&one("1024"), Cmp::Lt, table),
            Some(Some(set(&[(0, 1023)])))
        );
        assert_eq!(port_set(&one("0"), Cmp::Lt, table), Some(None));
        assert_eq!(
            port_set(&one("22"), Cmp::Ne, table),
            Some(Some(set(&[(1, 21), (23, 65535)])))
        );
        assert_eq!(
            port_set(&one("sip"), Cmp::Eq, table),
            Some(Some(Ports::single(5060)))
        );
        assert_eq!(port_set(&one("nonsense"), Cmp::Eq, table), None);
        assert_eq!(
            port_set(&Value::Set("missing".into()), Cmp::Eq, table),
            None
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(
            nets("10.0.0.1-10.0.0.2"),
            Some(vec![
                "10.0.0.1/32".parse().unwrap(),
                "10.0.0.2/32".parse().unwrap()
            ])
        );
        assert_eq!(nets("bogus"), None);
    }

    #[test]
    fn wildcards_and_wan_names() {
        assert!(name_matches("ppp*", "ppp0"));
        assert!(name_matches("ppp0", "ppp*"));
        assert!(!name_matches("eth0", "eth1"));
        assert!(looks_wan("pppoe-wan"));
        assert!(looks_wan("wan0"));
        assert!(!looks_wan("br-lan"));
        let zones = Zones {
            wan: Names::AllBut(vec!["br-dummy".into()]),
            lan: Names::Unknown,
        };
        assert!(zones.is_wan("eth0"));
        assert!(zones.is_lan("br-dummy"));
        assert!(!zones.lan_outside(&["br-dummy".to_string()]));
    }

    fn device(text: &str) -> Device {
        let source = crate::source::Source::new("t", text);
        let mut coverage = crate::coverage::Coverage::new(&source);
        let rs = super::super::text::read(&source, &mut coverage);
        let mut device = Device::default();
        facts(&rs, &Hints::default(), &mut device);
        device
    }

    fn verdicts(device: &Device, path: Path) -> Vec<(Ports, Action, bool)> {
        device
            .filters
            .iter()
            .filter(|f| f.path == path)
            .map(|f| (f.destination_ports.clone(), f.action, f.conditional))
            .collect()
    }

    const NAT: &str = "table ip nat { chain post { type nat hook postrouting priority srcnat; oifname \"wan0\" masquerade; } }\n";

    #[test]
    fn goto_and_conditional_return_leave_later_rules_conditional() {
        let d = device(&format!(
            "table inet t {{\n\
             chain input {{ type filter hook input priority 0; policy drop;\n\
               tcp dport 22 goto ssh\n\
               tcp dport 22 accept\n\
               jump checks\n\
               udp dport 5060 accept\n\
             }}\n\
             chain ssh {{ ip saddr 192.0.2.0/24 accept; }}\n\
             chain checks {{ udp dport 5060 ip saddr 198.51.100.1 return; udp dport 5060 drop; }}\n\
             }}\n{NAT}"
        ));
        let input = verdicts(&d, Path::ToDevice);
        assert_eq!(
            input,
            vec![
                (Ports::single(22), Action::Accept, false),
                // After a goto that fell through, the rule only sees other packets; rules on
                // other ports are not affected.
                (Ports::single(22), Action::Accept, true),
                // After a conditional return, the drop only sees the others.
                (Ports::single(5060), Action::Drop, true),
                (Ports::single(5060), Action::Accept, false),
            ]
        );
        assert_eq!(d.filters[0].source.len(), 1);
    }

    #[test]
    fn several_base_chains_on_one_hook() {
        // Docker's accept-all chain next to a dropping firewall: its accepts are not final.
        let d = device(&format!(
            "table ip docker {{ chain fwd {{ type filter hook forward priority filter; policy accept; iifname \"docker0\" accept; tcp dport 22 drop; }} }}\n\
             table inet fw {{ chain forward {{ type filter hook forward priority filter; policy drop; iifname \"lan0\" oifname \"wan0\" accept; }} }}\n{NAT}"
        ));
        let out = verdicts(&d, Path::Outbound);
        assert_eq!(
            out,
            vec![
                (Ports::Any, Action::Accept, true),
                (Ports::single(22), Action::Drop, false),
                (Ports::Any, Action::Accept, false),
            ]
        );
        assert!(
            d.default_actions
                .iter()
                .filter(|a| a.path != Path::ToDevice)
                .all(|a| a.action == Action::Drop)
        );
    }

    #[test]
    fn family_dnat_status_and_helper_protocol() {
        let d = device(&format!(
            "table ip6 v6 {{ chain input {{ type filter hook input priority 0; udp dport 5060 accept; }} }}\n\
             table inet t {{\n\
               ct helper sipu {{ type \"sip\" protocol udp; }}\n\
               chain pre {{ type filter hook prerouting priority 0; tcp dport 5060 ct helper set \"sipu\"; }}\n\
               chain forward {{ type filter hook forward priority 0; policy drop; ct status dnat accept; }}\n\
               chain input {{ type filter hook input priority 0; policy drop; ct status dnat accept; }}\n\
             }}\n{NAT}"
        ));
        // IPv6-only rule: conditional for the (IPv4) probes.
        assert_eq!(
            verdicts(&d, Path::ToDevice),
            vec![(Ports::single(5060), Action::Accept, true)]
        );
        // `ct status dnat`: inbound forwards only.
        assert_eq!(
            verdicts(&d, Path::Inbound),
            vec![(Ports::Any, Action::Accept, false)]
        );
        assert!(verdicts(&d, Path::Outbound).is_empty());
        // A UDP helper set on TCP packets attaches nothing.
        assert!(d.sip_alg.iter().all(|a| !a.enabled));
    }

    #[test]
    fn vmaps_and_named_verdict_maps() {
        let d = device(&format!(
            "table inet t {{\n\
               map ports {{ type inet_service : verdict; elements = {{ 22 : drop, 5060 : accept }} }}\n\
               chain input {{ type filter hook input priority 0; policy accept;\n\
                 ct state vmap {{ established : accept, related : accept, invalid : drop }}\n\
                 iifname vmap {{ \"wan0\" : jump from_wan }}\n\
               }}\n\
               chain from_wan {{ udp dport vmap @ports; tcp dport vmap @ports; }}\n\
             }}\n{NAT}"
        ));
        // One entry per key and protocol, in map order.
        assert_eq!(
            verdicts(&d, Path::ToDevice),
            vec![
                (Ports::single(22), Action::Drop, false),
                (Ports::single(5060), Action::Accept, false),
                (Ports::single(22), Action::Drop, false),
                (Ports::single(5060), Action::Accept, false),
            ]
        );
        assert_eq!(d.filters[0].protocol, Some(Protocol::Udp));
        assert_eq!(d.filters[2].protocol, Some(Protocol::Tcp));
    }

    #[test]
    fn source_ports_and_the_offload_protocol() {
        let d = device(&format!(
            "table inet t {{\n\
               flowtable ft {{ hook ingress priority filter; devices = {{ wan0, lan0 }}; }}\n\
               chain forward {{ type filter hook forward priority 0; policy drop;\n\
                 meta l4proto tcp flow add @ft\n\
                 iifname \"lan0\" oifname \"wan0\" udp sport 55000-56000 udp dport 5060 accept\n\
                 iifname \"lan0\" oifname \"wan0\" th sport != 1-1023 accept\n\
                 iifname \"lan0\" oifname \"wan0\" udp sport 53 udp sport 54 accept\n\
               }}\n\
             }}\n{NAT}"
        ));
        let outbound: Vec<(Option<Protocol>, String, String)> = d
            .filters
            .iter()
            .filter(|f| f.path == Path::Outbound)
            .map(|f| {
                (
                    f.protocol,
                    f.source_ports.to_string(),
                    f.destination_ports.to_string(),
                )
            })
            .collect();
        let fact = |p, s: &str, d: &str| (p, s.to_string(), d.to_string());
        // `th sport` names TCP and UDP; two source port matches that share no port match
        // nothing.
        assert_eq!(
            outbound,
            vec![
                fact(Some(Protocol::Udp), "55000-56000", "5060"),
                fact(Some(Protocol::Udp), "1024-65535", "any"),
                fact(Some(Protocol::Tcp), "1024-65535", "any"),
            ]
        );
        let [offload] = d.offload.as_slice() else {
            panic!("{:#?}", d.offload)
        };
        assert_eq!(offload.protocol, Some(Protocol::Tcp));
    }
}
