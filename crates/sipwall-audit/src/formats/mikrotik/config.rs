//! Commands → the configuration they leave behind: the items of the menus sipwall reads (in
//! order, after `add`, `set`, `move`, `remove`, `enable`, `disable`), the SIP service port, the
//! connection-tracking timeouts and the version header; every line classified for coverage.

use std::borrow::Cow;

use sipwall_firewall::model::Ports;

use super::lex::{self, Arg, Command, Logical};
use super::menus::{self, Menu, VersionedMenu};
use super::values;
use crate::coverage::{Coverage, LineClass};
use crate::source::{Source, Span};

/// One `key=value` of an item, with the span it was written at.
#[derive(Debug, Clone)]
pub(super) struct Prop {
    /// Known keys are not copied (there are many rules and few keys).
    pub key: Cow<'static, str>,
    pub value: String,
    pub span: Span,
}

/// One item of a list menu (a filter rule, a NAT rule, an address-list entry, …).
#[derive(Debug, Clone, Default)]
pub(super) struct Item {
    pub props: Vec<Prop>,
    /// The lines of its `add` and of every later command that changed it.
    pub spans: Vec<Span>,
    /// Keys the parser does not know (the rule cannot be read with certainty).
    pub unknown_keys: Vec<String>,
}

impl Item {
    pub fn prop(&self, key: &str) -> Option<&Prop> {
        self.props.iter().rev().find(|p| p.key == key)
    }

    /// The value of `key`; an empty value counts as unset.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.prop(key)
            .map(|p| p.value.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn disabled(&self) -> bool {
        matches!(self.get("disabled"), Some("yes" | "true"))
    }

    fn set(&mut self, prop: Prop) {
        self.props.retain(|p| p.key != prop.key);
        self.props.push(prop);
    }

    /// The value `find` compares: the property, or RouterOS's default for the flags.
    fn find_value(&self, key: &str) -> &str {
        match self.prop(key) {
            Some(p) => p.value.as_str(),
            None if matches!(key, "disabled" | "dynamic" | "default" | "invalid") => "no",
            None => "",
        }
    }
}

/// `/ip firewall service-port` `sip`, as the export sets it.
#[derive(Debug, Clone, Default)]
pub(super) struct SipPort {
    /// `disabled=` (true: the helper is off), with the line.
    pub disabled: Option<(bool, Span)>,
    /// `ports=`, with the line.
    pub ports: Option<(Ports, Span)>,
    /// Every line that touched it.
    pub spans: Vec<Span>,
}

/// `/ip firewall connection tracking`.
#[derive(Debug, Clone, Default)]
pub(super) struct Tracking {
    /// `udp-timeout` (one-way UDP), seconds.
    pub udp_timeout: Option<(u32, Span)>,
    /// `udp-stream-timeout` (two-way UDP), seconds.
    pub udp_stream_timeout: Option<(u32, Span)>,
    /// The line of the last `set`.
    pub line: Option<Span>,
}

/// A construct that only one major version has, checked against the version at the end.
#[derive(Debug, Clone)]
pub(super) enum VersionOnly {
    SlashPath(Span),
    HwOffload(Span),
    Menu(&'static VersionedMenu, Span),
}

/// Everything read from the export.
#[derive(Debug, Default)]
pub(super) struct Config {
    pub filter: Vec<Item>,
    pub nat: Vec<Item>,
    pub raw: Vec<Item>,
    pub address_list: Vec<Item>,
    pub interface_lists: Vec<Item>,
    pub list_members: Vec<Item>,
    /// Address lists that mangle rules fill (their own lines are ignored).
    pub mangle_lists: Vec<String>,
    pub pppoe_clients: Vec<String>,
    pub sip: SipPort,
    pub tracking: Tracking,
    /// The version the header states, with its span.
    pub version: Option<(String, Span)>,
    /// The major version a `sipwall rules` header names (`MikroTik RouterOS v6`).
    pub dialect: Option<u32>,
    pub version_only: Vec<VersionOnly>,
    /// At least one line was a RouterOS menu or a command in a known menu.
    pub recognised: bool,
}

/// Keys of filter, raw and NAT rules: those that do not change what a rule matches.
pub(super) const NEUTRAL_KEYS: &[&str] = &[
    "chain",
    "action",
    "comment",
    "disabled",
    "log",
    "log-prefix",
    "place-before",
    "jump-target",
    "reject-with",
    "address-list",
    "address-list-timeout",
    "hw-offload",
    "to-addresses",
    "to-ports",
    "same-not-by-dst",
    "dynamic",
    "invalid",
];

/// Matchers the parser models.
pub(super) const MODELLED_KEYS: &[&str] = &[
    "protocol",
    "dst-port",
    "src-port",
    "port",
    "src-address",
    "dst-address",
    "src-address-list",
    "dst-address-list",
    "in-interface",
    "out-interface",
    "in-interface-list",
    "out-interface-list",
    "connection-state",
    "connection-nat-state",
];

/// Matchers that make a rule match only some packets of its ports (rate limits, marks, time,
/// IPsec, layer 7 …): such a rule is `conditional`.
pub(super) const CONDITIONAL_KEYS: &[&str] = &[
    "connection-mark",
    "packet-mark",
    "routing-mark",
    "routing-table",
    "connection-type",
    "connection-limit",
    "connection-rate",
    "connection-bytes",
    "dst-limit",
    "limit",
    "nth",
    "random",
    "time",
    "tcp-flags",
    "icmp-options",
    "ipsec-policy",
    "src-address-type",
    "dst-address-type",
    "layer7-protocol",
    "content",
    "packet-size",
    "dscp",
    "ttl",
    "hop-limit",
    "tls-host",
    "src-mac-address",
    "in-bridge-port",
    "out-bridge-port",
    "in-bridge-port-list",
    "out-bridge-port-list",
    "ingress-priority",
    "priority",
    "p2p",
    "per-connection-classifier",
    "psd",
    "fragment",
    "ipv4-options",
    "tcp-mss",
    "hotspot",
];

const ADDRESS_LIST_KEYS: &[&str] = &[
    "list",
    "address",
    "comment",
    "disabled",
    "timeout",
    "dynamic",
    "creation-time",
];
const INTERFACE_LIST_KEYS: &[&str] = &["name", "include", "exclude", "comment", "disabled"];
const MEMBER_KEYS: &[&str] = &["interface", "list", "comment", "disabled"];

/// `key` as a static string when the parser knows it.
fn intern(key: &str) -> Cow<'static, str> {
    [
        NEUTRAL_KEYS,
        MODELLED_KEYS,
        CONDITIONAL_KEYS,
        ADDRESS_LIST_KEYS,
        INTERFACE_LIST_KEYS,
    ]
    .iter()
    .flat_map(|keys| keys.iter())
    .find(|k| **k == key)
    .map(|k| Cow::Borrowed(*k))
    .unwrap_or_else(|| Cow::Owned(key.to_string()))
}

fn known_key(menu: Menu, key: &str) -> bool {
    match menu {
        Menu::Filter | Menu::Nat | Menu::Raw => {
            NEUTRAL_KEYS.contains(&key)
                || MODELLED_KEYS.contains(&key)
                || CONDITIONAL_KEYS.contains(&key)
        }
        Menu::AddressList => ADDRESS_LIST_KEYS.contains(&key),
        Menu::InterfaceList => INTERFACE_LIST_KEYS.contains(&key),
        Menu::InterfaceListMember => MEMBER_KEYS.contains(&key),
        _ => true,
    }
}

/// Reads every line of `source`.
pub(super) fn read(source: &Source) -> (Config, Coverage) {
    let mut reader = Reader {
        source,
        coverage: Coverage::new(source),
        config: Config::default(),
        menu: Vec::new(),
    };
    for logical in lex::logical_lines(&source.text) {
        reader.logical(&logical);
    }
    (reader.config, reader.coverage)
}

struct Reader<'s> {
    source: &'s Source,
    coverage: Coverage,
    config: Config,
    /// The current menu (set by a menu line on its own).
    menu: Vec<String>,
}

impl Reader<'_> {
    fn mark(&mut self, logical: &Logical, class: LineClass) {
        self.coverage.mark_range(logical.first, logical.last, class);
    }

    fn spans(&self, logical: &Logical) -> Vec<Span> {
        (logical.first..=logical.last)
            .filter(|n| !self.source.line(*n).trim().is_empty())
            .map(|n| self.source.line_span(n))
            .collect()
    }

    fn span(&self, logical: &Logical, range: (usize, usize)) -> Span {
        logical.span(range.0, range.1)
    }

    fn logical(&mut self, logical: &Logical) {
        let text = logical.text.trim();
        if text.is_empty() {
            return;
        }
        if text.starts_with('#') {
            self.header(logical);
            self.mark(logical, LineClass::Ignored);
            return;
        }
        // Console scripting (`:global`, `:foreach`, `:do { … }`) and block braces.
        if text.starts_with(':') || text.starts_with('{') || text.starts_with('}') {
            self.mark(logical, LineClass::Ignored);
            return;
        }
        let Some(command) = lex::command(&logical.text) else {
            self.mark(logical, LineClass::Unknown);
            return;
        };
        let class = self.command(&command, logical);
        self.mark(logical, class);
    }

    /// `# jan/02/2024 10:00:00 by RouterOS 7.15.2`, or an oxidized `#   version: 7.15.2`.
    fn header(&mut self, logical: &Logical) {
        let text = logical.text.as_str();
        if self.config.dialect.is_none()
            && let Some(at) = text.find("MikroTik RouterOS v")
        {
            let rest = &text[at + "MikroTik RouterOS v".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            self.config.dialect = digits.parse().ok();
        }
        if self.config.version.is_some() {
            return;
        }
        let body = text.trim_start().trim_start_matches('#').trim_start();
        let version = if let Some(at) = text.find("by RouterOS ") {
            text[at + "by RouterOS ".len()..].split_whitespace().next()
        } else if let Some(rest) = body
            .strip_prefix("version:")
            .or_else(|| body.strip_prefix("installed-version:"))
        {
            rest.split_whitespace().next()
        } else {
            None
        };
        let Some(version) = version.filter(|v| v.starts_with(|c: char| c.is_ascii_digit())) else {
            return;
        };
        let span = self.source.span_of(logical.first, version);
        self.config.version = Some((version.to_string(), span));
    }

    fn command(&mut self, command: &Command<'_>, logical: &Logical) -> LineClass {
        let first_span = self.source.line_span(logical.first);
        if command.slash_form {
            self.config
                .version_only
                .push(VersionOnly::SlashPath(first_span));
        }
        let path = match &command.path {
            Some(path) => {
                if let Some(menu) = menus::versioned(path) {
                    self.config
                        .version_only
                        .push(VersionOnly::Menu(menu, first_span));
                }
                if command.verb.is_none() {
                    self.menu = path.clone();
                    let class = match menus::classify(path) {
                        Menu::Unknown => LineClass::Unknown,
                        Menu::Ignored | Menu::Mangle | Menu::PppoeClient => LineClass::Ignored,
                        _ => LineClass::Understood,
                    };
                    self.config.recognised |= class != LineClass::Unknown;
                    return class;
                }
                path.clone()
            }
            None => self.menu.clone(),
        };
        let Some(verb) = command.verb else {
            return LineClass::Unknown;
        };
        if path.is_empty() {
            // `/export …`, `/import …` at the root: how the file was made or loaded.
            return if matches!(verb, "export" | "import") && command.path.is_some() {
                LineClass::Ignored
            } else {
                LineClass::Unknown
            };
        }
        let menu = menus::classify(&path);
        if menu != Menu::Unknown {
            self.config.recognised = true;
        }
        if matches!(
            verb,
            "print" | "export" | "find" | "get" | "reset-counters" | "reset-counters-all" | "edit"
        ) && menu != Menu::Unknown
        {
            return LineClass::Ignored;
        }
        match menu {
            Menu::Unknown => LineClass::Unknown,
            Menu::Ignored => LineClass::Ignored,
            Menu::Mangle => {
                if verb == "add" {
                    self.mangle(command);
                }
                LineClass::Ignored
            }
            Menu::PppoeClient => {
                if verb == "add"
                    && let Some(name) = pair(command, "name")
                {
                    self.config.pppoe_clients.push(name.to_string());
                }
                LineClass::Ignored
            }
            Menu::ServicePort => self.service_port(verb, command, logical),
            Menu::ConnectionTracking => self.tracking(verb, command, logical),
            Menu::Filter
            | Menu::Nat
            | Menu::Raw
            | Menu::AddressList
            | Menu::InterfaceList
            | Menu::InterfaceListMember => self.list_command(menu, verb, command, logical),
        }
    }

    fn mangle(&mut self, command: &Command<'_>) {
        if matches!(
            pair(command, "action"),
            Some("add-src-to-address-list" | "add-dst-to-address-list")
        ) && let Some(list) = pair(command, "address-list")
        {
            self.config.mangle_lists.push(list.to_string());
        }
    }

    fn items(&mut self, menu: Menu) -> &mut Vec<Item> {
        match menu {
            Menu::Filter => &mut self.config.filter,
            Menu::Nat => &mut self.config.nat,
            Menu::Raw => &mut self.config.raw,
            Menu::AddressList => &mut self.config.address_list,
            Menu::InterfaceList => &mut self.config.interface_lists,
            _ => &mut self.config.list_members,
        }
    }

    /// `add`, `set`, `remove`, `move`, `enable`, `disable`, `unset`, `comment` on a list menu.
    fn list_command(
        &mut self,
        menu: Menu,
        verb: &str,
        command: &Command<'_>,
        logical: &Logical,
    ) -> LineClass {
        let spans = self.spans(logical);
        let line = self.source.line_span(logical.first);
        let mut props = Vec::new();
        let mut unknown = Vec::new();
        let mut positional = Vec::new();
        for arg in &command.args {
            match arg {
                Arg::Pair { key, value, range } => {
                    if !known_key(menu, key)
                        && !matches!(*key, "numbers" | "destination" | "value-name")
                    {
                        unknown.push(key.to_string());
                    }
                    props.push(Prop {
                        key: intern(key),
                        value: value.to_string(),
                        span: self.span(logical, *range),
                    });
                }
                Arg::Unset { .. } => {}
                Arg::Bracket { .. } | Arg::Word { .. } => positional.push(arg),
            }
        }
        if matches!(menu, Menu::Filter | Menu::Raw)
            && let Some(p) = props.iter().find(|p| p.key == "hw-offload")
        {
            self.config
                .version_only
                .push(VersionOnly::HwOffload(p.span));
        }
        let class = if unknown.is_empty() {
            LineClass::Understood
        } else {
            LineClass::Unknown
        };
        if verb == "add" {
            if !positional.is_empty() {
                return LineClass::Unknown;
            }
            let place_before = props
                .iter()
                .find(|p| p.key == "place-before")
                .and_then(|p| p.value.parse::<usize>().ok());
            let item = Item {
                props,
                spans,
                unknown_keys: unknown,
            };
            let items = self.items(menu);
            match place_before {
                Some(at) if at <= items.len() => items.insert(at, item),
                _ => items.push(item),
            }
            return class;
        }
        // The items the command acts on: `[ find … ]`, numbers, or `numbers=`.
        let numbers = props
            .iter()
            .find(|p| p.key == "numbers")
            .map(|p| p.value.clone());
        let selector = match (positional.first(), numbers.as_deref()) {
            (Some(Arg::Bracket { inner }), _) => Selector::Find(inner),
            (Some(Arg::Word { text }), _) => Selector::Numbers(text.to_string()),
            (None, Some(n)) => Selector::Numbers(n.to_string()),
            _ => return LineClass::Unknown,
        };
        let Some(indices) = select(self.items(menu), &selector) else {
            return LineClass::Unknown;
        };
        let items = self.items(menu);
        match verb {
            "set" | "comment" => {
                for &i in &indices {
                    if let Some(item) = items.get_mut(i) {
                        for p in props.iter().filter(|p| p.key != "numbers") {
                            item.set(p.clone());
                        }
                        item.spans.extend(spans.iter().copied());
                        item.unknown_keys.extend(unknown.iter().cloned());
                    }
                }
                class
            }
            "enable" | "disable" => {
                let value = if verb == "disable" { "yes" } else { "no" };
                let span = line;
                for &i in &indices {
                    if let Some(item) = items.get_mut(i) {
                        item.set(Prop {
                            key: Cow::Borrowed("disabled"),
                            value: value.into(),
                            span,
                        });
                        item.spans.extend(spans.iter().copied());
                    }
                }
                LineClass::Understood
            }
            "unset" => {
                let Some(name) = props.iter().find(|p| p.key == "value-name") else {
                    return LineClass::Unknown;
                };
                for &i in &indices {
                    if let Some(item) = items.get_mut(i) {
                        item.props.retain(|p| *p.key != *name.value);
                        item.spans.extend(spans.iter().copied());
                    }
                }
                LineClass::Understood
            }
            "remove" => {
                let mut sorted = indices;
                sorted.sort_unstable();
                sorted.dedup();
                for &i in sorted.iter().rev() {
                    if i < items.len() {
                        items.remove(i);
                    }
                }
                LineClass::Understood
            }
            "move" => {
                let destination = props
                    .iter()
                    .find(|p| p.key == "destination")
                    .map(|p| p.value.clone())
                    .or_else(|| match positional.get(1) {
                        Some(Arg::Word { text }) => Some(text.to_string()),
                        _ => None,
                    });
                let Some(destination) = destination.and_then(|d| d.parse::<usize>().ok()) else {
                    return LineClass::Unknown;
                };
                move_items(items, indices, destination);
                LineClass::Understood
            }
            _ => LineClass::Unknown,
        }
    }

    fn service_port(&mut self, verb: &str, command: &Command<'_>, logical: &Logical) -> LineClass {
        let names: Vec<String> = match command
            .args
            .iter()
            .find(|a| matches!(a, Arg::Word { .. } | Arg::Bracket { .. }))
        {
            Some(Arg::Word { text }) => text.split(',').map(|s| s.trim().to_string()).collect(),
            Some(Arg::Bracket { inner }) => match find_name(inner) {
                Some(name) => vec![name],
                None => return LineClass::Unknown,
            },
            _ => return LineClass::Unknown,
        };
        if !names.iter().any(|n| n == "sip") {
            // ftp, tftp, h323, pptp, irc, rtsp, udplite, dccp, sctp helpers.
            return LineClass::Ignored;
        }
        let line = self.source.line_span(logical.first);
        let spans = self.spans(logical);
        let mut class = LineClass::Understood;
        match verb {
            "disable" => self.config.sip.disabled = Some((true, line)),
            "enable" => self.config.sip.disabled = Some((false, line)),
            "set" => {
                for arg in &command.args {
                    let Arg::Pair { key, value, .. } = arg else {
                        continue;
                    };
                    match *key {
                        "disabled" => match value.as_ref() {
                            "yes" | "true" => self.config.sip.disabled = Some((true, line)),
                            "no" | "false" => self.config.sip.disabled = Some((false, line)),
                            _ => class = LineClass::Unknown,
                        },
                        "ports" => match values::ports(value) {
                            Some(ports) => self.config.sip.ports = Some((ports, line)),
                            None => class = LineClass::Unknown,
                        },
                        "sip-direct-media" | "sip-timeout" | "comment" | "name" => {}
                        _ => class = LineClass::Unknown,
                    }
                }
            }
            _ => return LineClass::Unknown,
        }
        self.config.sip.spans.extend(spans);
        class
    }

    fn tracking(&mut self, verb: &str, command: &Command<'_>, logical: &Logical) -> LineClass {
        if verb != "set" {
            return LineClass::Unknown;
        }
        let mut class = LineClass::Understood;
        for arg in &command.args {
            let Arg::Pair { key, value, range } = arg else {
                class = LineClass::Unknown;
                continue;
            };
            let span = self.span(logical, *range);
            match *key {
                "udp-timeout" | "udp-stream-timeout" => {
                    let Some(seconds) = values::seconds(value) else {
                        class = LineClass::Unknown;
                        continue;
                    };
                    let slot = if *key == "udp-timeout" {
                        &mut self.config.tracking.udp_timeout
                    } else {
                        &mut self.config.tracking.udp_stream_timeout
                    };
                    *slot = Some((seconds, span));
                }
                "enabled" | "tcp-syncookie" | "loose-tcp-tracking" | "liberal-tcp-tracking" => {}
                other if other.ends_with("-timeout") => {}
                _ => class = LineClass::Unknown,
            }
        }
        self.config.tracking.line = Some(self.source.line_span(logical.first));
        class
    }
}

/// The value of `key=` among a command's arguments.
fn pair<'c>(command: &'c Command<'_>, key: &str) -> Option<&'c str> {
    command.args.iter().find_map(|a| match a {
        Arg::Pair { key: k, value, .. } if *k == key => Some(value.as_ref()),
        _ => None,
    })
}

/// How a command names the items it acts on.
enum Selector<'a> {
    /// `[ find … ]` (the text inside the brackets).
    Find(&'a str),
    /// `0`, `1,3`: positions in print order.
    Numbers(String),
}

/// The positions `selector` names; `None` when the parser cannot tell (`*1F` ids, regular
/// expressions beyond `^…$`, `or`).
fn select(items: &[Item], selector: &Selector<'_>) -> Option<Vec<usize>> {
    match selector {
        Selector::Numbers(text) => text
            .split(',')
            .map(|n| n.trim().parse::<usize>().ok().filter(|i| *i < items.len()))
            .collect(),
        Selector::Find(inner) => {
            let conditions = find_conditions(inner)?;
            Some(
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, item)| conditions.iter().all(|c| c.matches(item)))
                    .map(|(i, _)| i)
                    .collect(),
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    /// `~`: a regular expression, of which `^`, `$` and literal text are supported.
    Matches,
}

#[derive(Debug, Clone)]
struct Condition {
    key: String,
    op: Op,
    value: String,
}

impl Condition {
    fn matches(&self, item: &Item) -> bool {
        let actual = item.find_value(&self.key);
        match self.op {
            Op::Equal => actual == self.value,
            Op::NotEqual => actual != self.value,
            Op::Matches => {
                let pattern = self.value.as_str();
                let (anchored_start, pattern) = match pattern.strip_prefix('^') {
                    Some(rest) => (true, rest),
                    None => (false, pattern),
                };
                let (anchored_end, pattern) = match pattern.strip_suffix('$') {
                    Some(rest) => (true, rest),
                    None => (false, pattern),
                };
                match (anchored_start, anchored_end) {
                    (true, true) => actual == pattern,
                    (true, false) => actual.starts_with(pattern),
                    (false, true) => actual.ends_with(pattern),
                    (false, false) => actual.contains(pattern),
                }
            }
        }
    }
}

/// `find where comment~"^sipwall" dynamic=no`, `find default-name=ether1`, `find name=sip`.
fn find_conditions(inner: &str) -> Option<Vec<Condition>> {
    let spans = lex::tokens(inner)?;
    let mut words = spans.iter().map(|&(s, e)| &inner[s..e]);
    if words.next()? != "find" {
        return None;
    }
    let mut out = Vec::new();
    for word in words {
        if matches!(word, "where" | "and") {
            continue;
        }
        let (key, op, raw) = if let Some((k, v)) = word.split_once("!=") {
            (k, Op::NotEqual, v)
        } else if let Some(at) = word.find(['~', '=']) {
            let op = if word.as_bytes().get(at) == Some(&b'~') {
                Op::Matches
            } else {
                Op::Equal
            };
            (&word[..at], op, &word[at + 1..])
        } else if let Some(flag) = word.strip_prefix('!') {
            (flag, Op::NotEqual, "yes")
        } else {
            (word, Op::Equal, "yes")
        };
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
        {
            return None;
        }
        let value = lex::value(raw)?.into_owned();
        if op == Op::Matches {
            let core = value.trim_start_matches('^').trim_end_matches('$');
            if core.contains([
                '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\', '^', '$',
            ]) {
                return None;
            }
        }
        out.push(Condition {
            key: key.to_string(),
            op,
            value,
        });
    }
    Some(out)
}

/// The item name a `[ find name=… ]` selects (service ports).
fn find_name(inner: &str) -> Option<String> {
    find_conditions(inner)?
        .into_iter()
        .find(|c| c.key == "name" && c.op == Op::Equal)
        .map(|c| c.value)
}

/// `move`: the items at `indices` go before the item at `destination` (old numbering), in
/// their order; past the end means to the end.
fn move_items(items: &mut Vec<Item>, mut indices: Vec<usize>, destination: usize) {
    indices.sort_unstable();
    indices.dedup();
    indices.retain(|i| *i < items.len());
    let before = indices.iter().filter(|i| **i < destination).count();
    let mut moved = Vec::with_capacity(indices.len());
    for &i in indices.iter().rev() {
        moved.push(items.remove(i));
    }
    moved.reverse();
    let at = destination.saturating_sub(before).min(items.len());
    for (n, item) in moved.into_iter().enumerate() {
        items.insert(at + n, item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (Config, Coverage) {
        read(&Source::new("t", text))
    }

    fn comments(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .map(|i| i.get("comment").unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn adds_moves_and_removes() {
        let (config, coverage) = read_text(
            "/ip firewall filter\n\
             add chain=forward action=accept comment=a\n\
             add chain=forward action=drop comment=b\n\
             add chain=forward action=jump jump-target=x comment=\"sipwall: jump\"\n\
             /ip firewall filter move [find where comment=\"sipwall: jump\"] destination=0\n\
             remove [find comment=b]\n\
             add chain=input action=drop comment=c place-before=0\n\
             disable [find where comment~\"^sip\"]\n\
             set 2 comment=a2\n",
        );
        assert_eq!(comments(&config.filter), vec!["c", "sipwall: jump", "a2"]);
        assert!(config.filter[1].disabled());
        assert_eq!(coverage.summary().unknown, 0);
        assert_eq!(coverage.summary().understood, 9);
    }

    #[test]
    fn unknown_selectors_and_keys() {
        let (config, coverage) = read_text(
            "/ip firewall filter\n\
             add chain=forward action=accept frobnicate=yes\n\
             set *1F comment=x\n\
             remove [find comment~\"a.*b\"]\n",
        );
        assert_eq!(config.filter.len(), 1);
        assert_eq!(config.filter[0].unknown_keys, vec!["frobnicate"]);
        assert_eq!(coverage.unknown_lines().collect::<Vec<_>>(), vec![2, 3, 4]);
    }

    #[test]
    fn service_port_and_tracking() {
        let (config, coverage) = read_text(
            "/ip firewall service-port\n\
             set ftp disabled=yes\n\
             set sip disabled=no ports=5060 sip-direct-media=yes sip-timeout=1h\n\
             /ip firewall connection tracking set udp-timeout=30s udp-stream-timeout=5m \
             tcp-established-timeout=1d\n",
        );
        assert_eq!(config.sip.disabled.map(|d| d.0), Some(false));
        assert_eq!(
            config.sip.ports.as_ref().map(|p| p.0.clone()),
            Some(Ports::single(5060))
        );
        assert_eq!(config.tracking.udp_timeout.map(|t| t.0), Some(30));
        assert_eq!(config.tracking.udp_stream_timeout.map(|t| t.0), Some(300));
        assert_eq!(coverage.class(2), Some(LineClass::Ignored));
        assert_eq!(coverage.class(3), Some(LineClass::Understood));
        assert_eq!(coverage.summary().unknown, 0);
        let (config, _) =
            read_text("/ip firewall service-port\nset [ find name=sip ] disabled=yes\n");
        assert_eq!(config.sip.disabled.map(|d| d.0), Some(true));
        let (config, _) = read_text("/ip/firewall/service-port/disable sip\n");
        assert_eq!(config.sip.disabled.map(|d| d.0), Some(true));
        assert!(matches!(config.version_only[0], VersionOnly::SlashPath(_)));
    }

    #[test]
    fn headers() {
        let (config, coverage) = read_text(
            "# jan/02/2024 10:00:00 by RouterOS 7.15.2\n# software id = X\n/system identity\nset name=r\n",
        );
        let (version, span) = config.version.unwrap();
        assert_eq!(version, "7.15.2");
        assert_eq!(span.line, 1);
        assert_eq!(coverage.summary().ignored, 4);
        let (config, _) = read_text("#                   version: 7.18.2 (stable)\n");
        assert_eq!(config.version.unwrap().0, "7.18.2");
        let (config, _) = read_text("# by RouterOS\n");
        assert!(config.version.is_none());
    }

    #[test]
    fn root_and_unknown_menus() {
        let (config, coverage) = read_text("add chain=x\n/nosuch menu\nset a=b\n/export terse\n");
        assert!(config.filter.is_empty());
        assert_eq!(coverage.unknown_lines().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(coverage.class(4), Some(LineClass::Ignored));
        assert!(!config.recognised);
    }

    #[test]
    fn move_semantics() {
        let mut items: Vec<Item> = (0..5)
            .map(|i| Item {
                props: vec![Prop {
                    key: "comment".into(),
                    value: i.to_string(),
                    span: Span {
                        line: 1,
                        start: 0,
                        end: 0,
                    },
                }],
                ..Item::default()
            })
            .collect();
        move_items(&mut items, vec![3, 4], 1);
        assert_eq!(comments(&items), vec!["0", "3", "4", "1", "2"]);
        move_items(&mut items, vec![0], 99);
        assert_eq!(comments(&items), vec!["3", "4", "1", "2", "0"]);
        move_items(&mut items, vec![7], 0);
        assert_eq!(items.len(), 5);
    }
}
