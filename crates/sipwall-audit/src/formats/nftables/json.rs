//! `nft -j list ruleset`: `{"nftables": [{"metainfo": …}, {"table": …}, {"chain": …},
//! {"rule": {…, "expr": [{"match": …}, {"accept": null}]}}, …]}` (libnftables-json(5)),
//! usually one line, optionally followed by `sysctl` lines.
//!
//! The array is split into its elements by a small scanner first, so every element keeps its
//! byte range (the evidence span) and a truncated export still yields its complete elements;
//! each element is then read with serde_json.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::ir::{
    BaseChain, ChainPolicy, Cmp, CtTimeout, Family, Flowtable, Helper, Item, L4, MapData, MapKey,
    NamedSet, Rule, Ruleset, Sel, Sysctl, Value, Verdict,
};
use super::{sysctl_class, sysctl_line, sysctl_message};
use crate::coverage::{Coverage, LineClass};
use crate::formats::ParseError;
use crate::source::{Source, Span};

/// How deep the reader follows nested JSON expressions.
const MAX_DEPTH: u32 = 32;

/// Byte scanner for the outer structure.
struct Scan<'a> {
    bytes: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn skip_ws(&mut self) {
        if self.i == 0 && self.bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.i = 3;
        }
        while self
            .bytes
            .get(self.i)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    /// With `at` on `"`: the index after the closing quote.
    fn string_end(&self, at: usize) -> Option<usize> {
        let mut j = at + 1;
        while let Some(&b) = self.bytes.get(j) {
            match b {
                b'\\' => j += 2,
                b'"' => return Some(j + 1),
                _ => j += 1,
            }
        }
        None
    }

    /// The end of the JSON value starting at `at` (iterative, any depth); `None` when the
    /// input ends first.
    fn value_end(&self, at: usize) -> Option<usize> {
        match self.bytes.get(at)? {
            b'"' => self.string_end(at),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut j = at;
                while let Some(&b) = self.bytes.get(j) {
                    match b {
                        b'"' => {
                            j = self.string_end(j)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return Some(j + 1);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                None
            }
            _ => {
                // A scalar; at least one byte, so a stray `}` or `]` cannot stall the caller.
                let mut j = at + 1;
                while let Some(&b) = self.bytes.get(j) {
                    if matches!(b, b',' | b']' | b'}') || b.is_ascii_whitespace() {
                        break;
                    }
                    j += 1;
                }
                Some(j)
            }
        }
    }
}

/// The elements of the `nftables` array as byte ranges, and where the document ends.
struct Outline {
    elements: Vec<(usize, usize)>,
    /// The last element is cut off (the export is truncated).
    truncated: Option<usize>,
    end: usize,
}

fn outline(text: &str) -> Result<Outline, String> {
    let mut scan = Scan {
        bytes: text.as_bytes(),
        i: 0,
    };
    scan.skip_ws();
    if scan.peek() != Some(b'{') {
        return Err("the text does not start with a JSON object".into());
    }
    scan.i += 1;
    let mut outline = Outline {
        elements: Vec::new(),
        truncated: None,
        end: text.len(),
    };
    let mut found = false;
    loop {
        scan.skip_ws();
        match scan.peek() {
            Some(b'}') => {
                outline.end = scan.i + 1;
                break;
            }
            Some(b',') => {
                scan.i += 1;
                continue;
            }
            Some(b'"') => {}
            None => break,
            Some(_) => return Err("unexpected character in the JSON object".into()),
        }
        let key_end = scan
            .string_end(scan.i)
            .ok_or_else(|| "unterminated JSON key".to_string())?;
        let key = text.get(scan.i + 1..key_end - 1).unwrap_or("");
        scan.i = key_end;
        scan.skip_ws();
        if scan.peek() != Some(b':') {
            return Err("expected `:` after a JSON key".into());
        }
        scan.i += 1;
        scan.skip_ws();
        if key == "nftables" && scan.peek() == Some(b'[') {
            found = true;
            scan.i += 1;
            loop {
                scan.skip_ws();
                match scan.peek() {
                    Some(b']') => {
                        scan.i += 1;
                        break;
                    }
                    Some(b',') => scan.i += 1,
                    None => return Ok(outline),
                    Some(_) => match scan.value_end(scan.i) {
                        Some(end) => {
                            outline.elements.push((scan.i, end));
                            scan.i = end;
                        }
                        None => {
                            outline.truncated = Some(scan.i);
                            return Ok(outline);
                        }
                    },
                }
            }
        } else {
            match scan.value_end(scan.i) {
                Some(end) => scan.i = end,
                None => break,
            }
        }
    }
    if found {
        Ok(outline)
    } else {
        Err("the JSON has no `nftables` array".into())
    }
}

/// The byte range of `"key": value` in a JSON object's text (first occurrence).
fn key_span(slice: &str, key: &str) -> Option<(usize, usize)> {
    let needle = format!("\"{key}\"");
    let at = slice.find(&needle)?;
    let mut scan = Scan {
        bytes: slice.as_bytes(),
        i: at + needle.len(),
    };
    scan.skip_ws();
    if scan.peek() != Some(b':') {
        return None;
    }
    scan.i += 1;
    scan.skip_ws();
    let end = scan.value_end(scan.i)?;
    Some((at, end))
}

/// Reads a JSON export (and any sysctl lines after it).
pub(super) fn read(source: &Source, coverage: &mut Coverage) -> Result<Ruleset, ParseError> {
    let text = &source.text;
    let outline = outline(text).map_err(|message| {
        ParseError::new(
            format!("not an `nft -j` export: {message}"),
            Some(source.span_at(0, 1)),
            super::EXPORT_HINT,
        )
    })?;
    let mut reader = JsonReader {
        ruleset: Ruleset::default(),
        unknown: false,
    };
    // Per line: (elements read, elements not understood).
    let mut lines: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
    for &(start, end) in &outline.elements {
        // One line per element (`nft -j`): the whole object. Pretty-printed (`| jq .`): the
        // line of its key, `"rule": {`, rather than a lone `{`.
        let key = text
            .get(start..end)
            .and_then(|slice| slice.find('"'))
            .map_or(start, |q| start + q);
        let span = source.span_at(start, end);
        let span = if span.line == source.span_at(key, end).line {
            span
        } else {
            source.span_at(key, end)
        };
        let last_line = source.span_at(end.saturating_sub(1), end).line;
        reader.unknown = false;
        let slice = text.get(start..end).unwrap_or("");
        // `"policy": "drop"` inside a chain object, for the default action's evidence.
        let policy_span = key_span(slice, "policy")
            .map(|(a, b)| source.span_at(start + a, start + b))
            .unwrap_or(span);
        let ok = match serde_json::from_str::<Json>(slice) {
            Ok(value) => reader.element(&value, span, policy_span),
            Err(_) => false,
        };
        let bad = !ok || reader.unknown;
        for line in span.line..=last_line.max(span.line) {
            let entry = lines.entry(line).or_default();
            entry.0 += 1;
            if bad {
                entry.1 += 1;
            }
        }
    }
    if let Some(start) = outline.truncated {
        let first = source.span_at(start, start + 1).line;
        let last = source.line_count() as u32;
        for line in first..=last.max(first) {
            lines.entry(line).or_default().1 += 1;
        }
    }
    // A line is understood when at most a tenth of what it holds was not (a one-line export
    // is one line: the share decides it).
    for (&line, &(total, bad)) in &lines {
        let class = if bad.saturating_mul(10) <= total.max(1) && total > 0 {
            LineClass::Understood
        } else {
            LineClass::Unknown
        };
        coverage.mark(line, class);
    }
    let end_line = source
        .span_at(outline.end.saturating_sub(1), outline.end)
        .line;
    for (number, line) in source.lines() {
        if lines.contains_key(&number) {
            continue;
        }
        if number <= end_line && outline.truncated.is_none() {
            // The JSON wrapper's own lines (`{"nftables": [`, `]}`).
            let code = line.trim();
            if code
                .chars()
                .all(|c| matches!(c, '{' | '}' | '[' | ']' | ',' | ' ' | '\t'))
                || code.starts_with("\"nftables\"")
                || code.starts_with("{\"nftables\"")
            {
                coverage.mark(number, LineClass::Blank);
            }
            continue;
        }
        if number > end_line {
            // After the JSON: `sysctl -a | grep nf_conntrack` output.
            match sysctl_line(line) {
                Some((key, value)) => {
                    coverage.mark(number, sysctl_class(&key));
                    reader.ruleset.sysctls.push(Sysctl {
                        key,
                        value,
                        span: source.line_span(number),
                    });
                }
                None if line.trim_start().starts_with('#') || sysctl_message(line) => {
                    coverage.mark(number, LineClass::Ignored)
                }
                None => coverage.mark(number, LineClass::Unknown),
            }
        }
    }
    Ok(reader.ruleset)
}

struct JsonReader {
    ruleset: Ruleset,
    /// Set while reading an element when part of it was not recognised.
    unknown: bool,
}

fn text(value: Option<&Json>) -> Option<&str> {
    value.and_then(Json::as_str)
}

/// A string list that JSON gives as one string or an array of strings.
fn flags(value: Option<&Json>) -> Vec<String> {
    match value {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(list)) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// A JSON value as text atoms (`{"range": [a, b]}` → `a-b`, `{"prefix": …}` → `a/n`, sets
/// flattened); `None` for anything that is not a plain value.
fn atoms(value: &Json, depth: u32) -> Option<Vec<String>> {
    if depth > MAX_DEPTH {
        return None;
    }
    match value {
        Json::String(s) => Some(vec![s.clone()]),
        Json::Number(n) => Some(vec![n.to_string()]),
        Json::Array(list) => {
            let mut out = Vec::new();
            for v in list {
                out.extend(atoms(v, depth + 1)?);
            }
            Some(out)
        }
        Json::Object(map) => {
            if let Some(inner) = map.get("set") {
                return atoms(inner, depth + 1);
            }
            if let Some(Json::Array(pair)) = map.get("range") {
                let a = atoms(pair.first()?, depth + 1)?;
                let b = atoms(pair.get(1)?, depth + 1)?;
                return Some(vec![format!("{}-{}", a.first()?, b.first()?)]);
            }
            if let Some(Json::Object(prefix)) = map.get("prefix") {
                let addr = atoms(prefix.get("addr")?, depth + 1)?;
                let len = prefix.get("len")?.as_u64()?;
                return Some(vec![format!("{}/{len}", addr.first()?)]);
            }
            if let Some(Json::Object(elem)) = map.get("elem") {
                return atoms(elem.get("val")?, depth + 1);
            }
            None
        }
        _ => None,
    }
}

/// The right-hand side of a match.
fn match_value(value: &Json) -> Value {
    match value {
        Json::String(s) if s.starts_with('@') => Value::Set(s.trim_start_matches('@').to_string()),
        _ => Value::Atoms(atoms(value, 0).unwrap_or_else(|| vec!["?".to_string()])),
    }
}

fn verdict(value: &Json) -> Option<Verdict> {
    let map = value.as_object()?;
    let (key, inner) = map.iter().next()?;
    let target = || text(inner.get("target")).map(str::to_string);
    Some(match key.as_str() {
        "accept" => Verdict::Accept,
        "drop" => Verdict::Drop,
        "reject" => Verdict::Reject,
        "return" => Verdict::Return,
        "continue" => Verdict::Continue,
        "queue" => Verdict::Queue,
        "jump" => Verdict::Jump(target()?),
        "goto" => Verdict::Goto(target()?),
        _ => return None,
    })
}

/// Whether an expression keys on the source address (a per-source meter or set).
fn keys_saddr(value: &Json, depth: u32) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Json::Object(map) => {
            if let Some(Json::Object(payload)) = map.get("payload")
                && text(payload.get("field")) == Some("saddr")
            {
                return true;
            }
            map.values().any(|v| keys_saddr(v, depth + 1))
        }
        Json::Array(list) => list.iter().any(|v| keys_saddr(v, depth + 1)),
        _ => false,
    }
}

fn has_key(value: &Json, key: &str, depth: u32) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Json::Object(map) => {
            map.contains_key(key) || map.values().any(|v| has_key(v, key, depth + 1))
        }
        Json::Array(list) => list.iter().any(|v| has_key(v, key, depth + 1)),
        _ => false,
    }
}

/// The TCP/UDP header a non-port expression reads (`{"&": [{"payload": {"protocol": "tcp",
/// "field": "flags"}}, …]}`).
fn header_protocol(value: &Json, depth: u32) -> Option<L4> {
    if depth > 4 {
        return None;
    }
    match value {
        Json::Object(map) => {
            if let Some(Json::Object(payload)) = map.get("payload") {
                return match text(payload.get("protocol")) {
                    Some("tcp") => Some(L4::Tcp),
                    Some("udp") => Some(L4::Udp),
                    _ => None,
                };
            }
            map.get("&")
                .or_else(|| map.get("|"))
                .and_then(|inner| header_protocol(inner, depth + 1))
        }
        Json::Array(list) => list.first().and_then(|v| header_protocol(v, depth + 1)),
        _ => None,
    }
}

/// The left-hand side of a match as a selector.
fn selector(left: &Json) -> Sel {
    let Some(map) = left.as_object() else {
        return Sel::Narrow;
    };
    if let Some(Json::Object(meta)) = map.get("meta") {
        return match text(meta.get("key")).unwrap_or("") {
            k @ ("iifname" | "oifname" | "iif" | "oif") => Sel::Iface {
                out: k.starts_with('o'),
            },
            "l4proto" => Sel::L4proto,
            "nfproto" => Sel::Nfproto,
            "protocol" => Sel::Neutral,
            _ => Sel::Narrow,
        };
    }
    if let Some(Json::Object(payload)) = map.get("payload") {
        let protocol = text(payload.get("protocol")).unwrap_or("");
        let field = text(payload.get("field")).unwrap_or("");
        return match (protocol, field) {
            ("ip" | "ip6", "saddr" | "daddr") => Sel::Addr {
                v6: protocol == "ip6",
                dst: field == "daddr",
            },
            ("ip", "protocol") | ("ip6", "nexthdr") => Sel::L4proto,
            ("tcp" | "udp" | "th" | "udplite" | "sctp" | "dccp", "dport" | "sport") => Sel::Port {
                l4: match protocol {
                    "tcp" => L4::Tcp,
                    "udp" => L4::Udp,
                    "th" => L4::Any,
                    _ => L4::Other,
                },
                dst: field == "dport",
            },
            ("icmp" | "icmpv6" | "igmp" | "esp" | "ah" | "comp" | "gre", _) => Sel::OtherProto,
            _ => Sel::Narrow,
        };
    }
    if let Some(Json::Object(ct)) = map.get("ct") {
        if ct.contains_key("dir") {
            return Sel::Narrow;
        }
        return match text(ct.get("key")).unwrap_or("") {
            "state" => Sel::CtState,
            "status" => Sel::CtStatus,
            _ => Sel::Narrow,
        };
    }
    Sel::Narrow
}

impl JsonReader {
    /// One element of the array; `false` when its kind is not known.
    fn element(&mut self, value: &Json, span: Span, policy_span: Span) -> bool {
        let Some(map) = value.as_object() else {
            return false;
        };
        let Some((kind, body)) = map.iter().next() else {
            return false;
        };
        let empty = Map::new();
        let body = body.as_object().unwrap_or(&empty);
        let family = Family::from_name(text(body.get("family")).unwrap_or("ip"));
        match kind.as_str() {
            "metainfo" => {
                if let Some(version) = text(body.get("version")) {
                    self.ruleset.nft_version = Some((version.to_string(), span));
                }
                true
            }
            "table" => {
                let (Some(family), Some(name)) = (family, text(body.get("name"))) else {
                    return false;
                };
                let dormant = flags(body.get("flags")).iter().any(|f| f == "dormant");
                self.ruleset.table_mut(family, name).dormant |= dormant;
                true
            }
            "chain" => {
                let (Some(family), Some(table), Some(name)) =
                    (family, text(body.get("table")), text(body.get("name")))
                else {
                    return false;
                };
                let base = text(body.get("hook")).map(|hook| BaseChain {
                    kind: text(body.get("type")).unwrap_or("filter").to_string(),
                    hook: hook.to_string(),
                    priority: body
                        .get("prio")
                        .and_then(Json::as_i64)
                        .map(|p| p.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32),
                    policy: match text(body.get("policy")) {
                        Some("accept") => Some(ChainPolicy {
                            accept: true,
                            span: policy_span,
                        }),
                        Some("drop") => Some(ChainPolicy {
                            accept: false,
                            span: policy_span,
                        }),
                        _ => None,
                    },
                    span,
                });
                let chain = self.ruleset.table_mut(family, table).chain_mut(name);
                if base.is_some() {
                    chain.base = base;
                }
                true
            }
            "rule" => {
                let (Some(family), Some(table), Some(chain)) =
                    (family, text(body.get("table")), text(body.get("chain")))
                else {
                    return false;
                };
                let items = match body.get("expr") {
                    Some(Json::Array(exprs)) => exprs.iter().map(|e| self.expr(e)).collect(),
                    _ => return false,
                };
                self.ruleset
                    .table_mut(family, table)
                    .chain_mut(chain)
                    .rules
                    .push(Rule { items, span });
                true
            }
            "set" | "map" | "element" => {
                let (Some(family), Some(table), Some(name)) =
                    (family, text(body.get("table")), text(body.get("name")))
                else {
                    return false;
                };
                let is_map = kind == "map" || body.contains_key("map");
                let mut set = NamedSet {
                    span,
                    dynamic: flags(body.get("flags")).iter().any(|f| f == "dynamic"),
                    comment: text(body.get("comment")).map(str::to_string),
                    ..NamedSet::default()
                };
                if let Some(Json::Array(elements)) = body.get("elem") {
                    for element in elements {
                        self.set_element(element, is_map, &mut set);
                    }
                }
                let table = self.ruleset.table_mut(family, table);
                let entry = table.sets.entry(name.to_string()).or_default();
                if kind != "element" {
                    entry.span = span;
                    entry.dynamic |= set.dynamic;
                    entry.comment = set.comment.or(entry.comment.take());
                }
                entry.elements.extend(set.elements);
                entry.verdicts.extend(set.verdicts);
                true
            }
            "ct helper" | "ct timeout" | "flowtable" => {
                let (Some(family), Some(table), Some(name)) =
                    (family, text(body.get("table")), text(body.get("name")))
                else {
                    return false;
                };
                let protocol = text(body.get("protocol")).map(str::to_ascii_lowercase);
                let table = self.ruleset.table_mut(family, table);
                match kind.as_str() {
                    "ct helper" => {
                        let Some(helper) = text(body.get("type")) else {
                            return false;
                        };
                        table.helpers.insert(
                            name.to_string(),
                            Helper {
                                kind: helper.to_ascii_lowercase(),
                                protocol,
                                span,
                            },
                        );
                    }
                    "ct timeout" => {
                        let policy = body.get("policy").and_then(Json::as_object);
                        let seconds = |key: &str| {
                            policy
                                .and_then(|p| p.get(key))
                                .and_then(Json::as_u64)
                                .and_then(|v| u32::try_from(v).ok())
                        };
                        table.timeouts.insert(
                            name.to_string(),
                            CtTimeout {
                                protocol,
                                unreplied: seconds("unreplied"),
                                replied: seconds("replied"),
                                span,
                            },
                        );
                    }
                    _ => {
                        let hardware = flags(body.get("flags")).iter().any(|f| f == "offload");
                        table
                            .flowtables
                            .insert(name.to_string(), Flowtable { hardware, span });
                    }
                }
                true
            }
            "counter" | "quota" | "limit" | "secmark" | "synproxy" | "ct expectation"
            | "tunnel" => true,
            _ => false,
        }
    }

    fn set_element(&mut self, element: &Json, is_map: bool, set: &mut NamedSet) {
        if is_map {
            let pair = element.as_array();
            let key = pair
                .and_then(|p| p.first())
                .and_then(|k| atoms(k, 0))
                .and_then(|k| (k.len() == 1).then(|| k[0].clone()));
            let value = pair.and_then(|p| p.get(1)).and_then(verdict);
            match (key, value) {
                (Some(key), Some(value)) => {
                    set.elements.push(key.clone());
                    set.verdicts.push((key, value));
                }
                (Some(key), None) => set.elements.push(key),
                _ => set.elements.push("?".into()),
            }
            return;
        }
        match atoms(element, 0) {
            Some(list) if list.len() == 1 => set.elements.extend(list),
            _ => set.elements.push("?".into()),
        }
    }

    /// One expression of a rule.
    fn expr(&mut self, value: &Json) -> Item {
        let Some((key, body)) = value.as_object().and_then(|m| m.iter().next()) else {
            self.unknown = true;
            return Item::Narrow;
        };
        match key.as_str() {
            "match" => self.match_expr(body),
            "accept" | "drop" | "reject" | "return" | "continue" | "queue" | "jump" | "goto" => {
                match verdict(value) {
                    Some(v) => Item::Verdict(v),
                    None => {
                        self.unknown = true;
                        Item::Narrow
                    }
                }
            }
            "counter" | "log" | "mangle" | "notrack" | "dup" | "fwd" | "synproxy" | "tproxy"
            | "secmark" | "ct expectation" | "last" | "map" => Item::Other,
            "limit" => Item::Limit { per_source: false },
            "meter" | "set" => {
                if has_key(body, "limit", 0) || has_key(body, "ct count", 0) {
                    let key = body.get("key").or_else(|| body.get("elem")).unwrap_or(body);
                    Item::Limit {
                        per_source: keys_saddr(key, 0),
                    }
                } else {
                    Item::Other
                }
            }
            "ct count" | "quota" => Item::Narrow,
            "masquerade" | "snat" => {
                let random = flags(body.get("flags"))
                    .iter()
                    .any(|f| f == "random" || f == "fully-random");
                let port_range = match body.get("port") {
                    Some(Json::Object(range)) => range.contains_key("range"),
                    Some(_) => key == "masquerade",
                    None => false,
                };
                let randomised = random || port_range;
                if key == "masquerade" {
                    Item::Masquerade { randomised }
                } else {
                    Item::Snat { randomised }
                }
            }
            "dnat" => {
                let to = text(body.get("addr"))
                    .and_then(|a| super::text::split_target(a.split('-').next().unwrap_or(a)).0);
                let to = to.or_else(|| {
                    body.get("addr")
                        .and_then(|a| a.get("range"))
                        .and_then(|r| r.get(0))
                        .and_then(Json::as_str)
                        .and_then(|a| a.parse().ok())
                });
                let port = match body.get("port") {
                    Some(Json::Number(n)) => n
                        .as_u64()
                        .and_then(|p| u16::try_from(p).ok())
                        .map(|p| (p, p)),
                    Some(Json::Object(range)) => {
                        range.get("range").and_then(Json::as_array).and_then(|r| {
                            let a = u16::try_from(r.first()?.as_u64()?).ok()?;
                            let b = u16::try_from(r.get(1)?.as_u64()?).ok()?;
                            Some((a, b))
                        })
                    }
                    _ => None,
                };
                Item::Dnat { to, port }
            }
            "redirect" => Item::Redirect,
            "ct helper" | "ct timeout" => match body.as_str() {
                Some(name) if key == "ct helper" => Item::CtHelper(name.to_string()),
                Some(name) => Item::CtTimeout(name.to_string()),
                None => {
                    self.unknown = true;
                    Item::Narrow
                }
            },
            "flow" => match text(body.get("flowtable")) {
                Some(name) => Item::Flow(name.trim_start_matches('@').to_string()),
                None => {
                    self.unknown = true;
                    Item::Narrow
                }
            },
            "vmap" => {
                let key = match body.get("key") {
                    Some(left) => selector(left).map_key(),
                    None => MapKey::Other,
                };
                let data = match body.get("data") {
                    Some(Json::String(name)) => {
                        MapData::Named(name.trim_start_matches('@').to_string())
                    }
                    Some(Json::Object(set)) => {
                        let mut entries = Vec::new();
                        for pair in set
                            .get("set")
                            .and_then(Json::as_array)
                            .into_iter()
                            .flatten()
                        {
                            let pair = pair.as_array();
                            let k = pair
                                .and_then(|p| p.first())
                                .and_then(|k| atoms(k, 0))
                                .filter(|k| k.len() == 1);
                            let v = pair.and_then(|p| p.get(1)).and_then(verdict);
                            match (k, v) {
                                (Some(mut k), Some(v)) => entries.push((k.remove(0), v)),
                                _ => self.unknown = true,
                            }
                        }
                        MapData::Inline(entries)
                    }
                    _ => {
                        self.unknown = true;
                        MapData::Inline(Vec::new())
                    }
                };
                Item::Vmap { key, data }
            }
            "xt" => {
                // iptables-nft compatibility: only the extension's kind and name are shown.
                self.unknown = true;
                Item::Xt {
                    target: text(body.get("type")) == Some("target"),
                    name: text(body.get("name")).unwrap_or("").to_string(),
                }
            }
            _ => {
                // Anything newer than this reader.
                self.unknown = true;
                Item::Narrow
            }
        }
    }

    fn match_expr(&mut self, body: &Json) -> Item {
        let cmp = match text(body.get("op")) {
            Some("==" | "in") => Cmp::Eq,
            Some("!=") => Cmp::Ne,
            Some("<") => Cmp::Lt,
            Some(">") => Cmp::Gt,
            Some("<=") => Cmp::Le,
            Some(">=") => Cmp::Ge,
            _ => {
                self.unknown = true;
                return Item::Narrow;
            }
        };
        let (Some(left), Some(right)) = (body.get("left"), body.get("right")) else {
            self.unknown = true;
            return Item::Narrow;
        };
        // `fib daddr type local`: every packet addressed to the device itself.
        if let Some(Json::Object(fib)) = left.get("fib") {
            let neutral = text(fib.get("result")) == Some("type")
                && flags(fib.get("flags")) == ["daddr"]
                && cmp == Cmp::Eq
                && right.as_str() == Some("local");
            return if neutral { Item::Neutral } else { Item::Narrow };
        }
        let item = selector(left).item(cmp, match_value(right));
        if item == Item::Narrow
            && let Some(l4) = header_protocol(left, 0)
        {
            // `tcp flags …` and the like: only that protocol's packets, some of them.
            return Item::NarrowProto(l4);
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outline_finds_elements_and_the_end() {
        let text = "{\"nftables\": [{\"a\": \"x]}\"}, {\"b\": [1, {\"c\": 2}]}]}\nnet.x = 1\n";
        let outline = outline(text).unwrap();
        assert_eq!(outline.elements.len(), 2);
        assert_eq!(
            &text[outline.elements[0].0..outline.elements[0].1],
            "{\"a\": \"x]}\"}"
        );
        assert_eq!(&text[..outline.end], text.lines().next().unwrap());
        let cut = &text[..30];
        let outline = super::outline(cut).unwrap();
        assert_eq!(outline.elements.len(), 1);
        assert!(outline.truncated.is_some());
        assert!(super::outline("{\"other\": 1}").is_err());
        let chain = "{\"chain\": {\"name\": \"c\", \"policy\": \"drop\"}}";
        let (a, b) = key_span(chain, "policy").unwrap();
        assert_eq!(&chain[a..b], "\"policy\": \"drop\"");
        assert!(super::outline("[1]").is_err());
        // A stray closing bracket inside the array is skipped, not looped on.
        let odd = super::outline("{\"nftables\": [}, 1]}").unwrap();
        assert_eq!(odd.elements.len(), 2);
    }

    #[test]
    fn atoms_of_json_values() {
        let v: Json = serde_json::from_str(
            r#"{"set": [{"range": [4000, 4031]}, 5060, {"prefix": {"addr": "10.0.0.0", "len": 8}}, {"elem": {"val": "1.2.3.4", "timeout": 60}}]}"#,
        )
        .unwrap();
        assert_eq!(
            atoms(&v, 0).unwrap(),
            vec!["4000-4031", "5060", "10.0.0.0/8", "1.2.3.4"]
        );
        let concat: Json = serde_json::from_str(r#"{"concat": [1, 2]}"#).unwrap();
        assert_eq!(atoms(&concat, 0), None);
    }

    #[test]
    fn rule_expressions() {
        let mut reader = JsonReader {
            ruleset: Ruleset::default(),
            unknown: false,
        };
        let expr: Json = serde_json::from_str(
            r#"[{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 5060}},
                {"ct helper": "sip-5060"},
                {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}},
                {"set": {"op": "add", "elem": {"payload": {"protocol": "ip", "field": "saddr"}}, "set": "@r", "stmt": [{"limit": {"rate": 20, "per": "minute", "inv": true}}]}},
                {"masquerade": {"flags": ["random", "persistent"]}},
                {"dnat": {"family": "ip", "addr": "192.168.0.2", "port": 80}},
                {"xt": {"type": "match", "name": "recent"}}]"#,
        )
        .unwrap();
        let items: Vec<Item> = expr
            .as_array()
            .unwrap()
            .iter()
            .map(|e| reader.expr(e))
            .collect();
        assert_eq!(
            items,
            vec![
                Item::Port {
                    l4: L4::Udp,
                    dst: true,
                    cmp: Cmp::Eq,
                    value: Value::Atoms(vec!["5060".into()])
                },
                Item::CtHelper("sip-5060".into()),
                Item::CtState {
                    neg: false,
                    states: vec!["established".into(), "related".into()]
                },
                Item::Limit { per_source: true },
                Item::Masquerade { randomised: true },
                Item::Dnat {
                    to: Some("192.168.0.2".parse().unwrap()),
                    port: Some((80, 80))
                },
                Item::Xt {
                    target: false,
                    name: "recent".into()
                },
            ]
        );
        assert!(reader.unknown);
    }
}
