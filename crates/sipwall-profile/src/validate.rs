//! Semantic checks: what TOML and the types cannot say on their own.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostic;
use crate::endpoint::Endpoint;
use crate::model::{
    Direction, FORMAT_VERSION, MappingBehaviour, ParameterKind, Profile, Transport,
};
use crate::params::{check_value, is_parameter_name, references};
use crate::ports::{PortRange, PortSpec};
use crate::walk::{Path, walk_arrays_named};

/// A problem and the field it concerns.
#[derive(Debug, Clone)]
pub struct Finding {
    pub path: Path,
    pub diagnostic: Diagnostic,
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn error(&mut self, path: Path, message: String, hint: &str) {
        self.push(path, Diagnostic::error(message), hint);
    }

    fn warning(&mut self, path: Path, message: String, hint: &str) {
        self.push(path, Diagnostic::warning(message), hint);
    }

    fn push(&mut self, path: Path, diagnostic: Diagnostic, hint: &str) {
        let diagnostic = if hint.is_empty() {
            diagnostic
        } else {
            diagnostic.with_hint(hint)
        };
        self.0.push(Finding { path, diagnostic });
    }
}

/// Runs every check; errors and warnings come back together.
pub fn check(profile: &Profile) -> Vec<Finding> {
    let mut findings = Findings::default();
    check_header(profile, &mut findings);
    check_sources(profile, &mut findings);
    check_parameters(profile, &mut findings);
    check_flows(profile, &mut findings);
    check_nat(profile, &mut findings);
    check_security(profile, &mut findings);
    check_misc(profile, &mut findings);
    findings.0
}

fn root() -> Path {
    Path::default()
}

fn is_identifier(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.ends_with('-')
}

fn check_header(profile: &Profile, findings: &mut Findings) {
    if profile.format != FORMAT_VERSION {
        findings.error(
            root().key("format"),
            format!(
                "profile format {} is not supported; this sipwall reads format {FORMAT_VERSION}",
                profile.format
            ),
            "write `format = 1`, or upgrade sipwall if the profile was made by a newer one",
        );
    }
    if !is_identifier(&profile.id) {
        findings.error(
            root().key("id"),
            format!(
                "profile id `{}` must be lowercase letters, digits and dashes",
                profile.id
            ),
            "e.g. `id = \"my-provider\"`",
        );
    }
    let mut seen = BTreeSet::new();
    for (i, document) in profile.documents.iter().enumerate() {
        if !seen.insert(document.id.as_str()) {
            findings.error(
                root().key("documents").index(i).key("id"),
                format!("document id `{}` is used twice", document.id),
                "give each document its own id",
            );
        }
    }
}

fn check_sources(profile: &Profile, findings: &mut Findings) {
    let documents: BTreeSet<&str> = profile.documents.iter().map(|d| d.id.as_str()).collect();
    let tree = serde_json::to_value(profile).expect("profiles serialise to JSON");
    walk_arrays_named(&tree, "sources", &mut root(), &mut |path, sources| {
        if sources.is_empty() {
            findings.error(
                path.clone(),
                "every requirement must cite at least one source".into(),
                "add e.g. `sources = [{ doc = \"seed\", section = \"Firewall\" }]` or `{ rfc = 4787, section = \"4.3\" }`",
            );
        }
        for (i, source) in sources.iter().enumerate() {
            let path = path.index(i);
            let doc = source.get("doc").and_then(|d| d.as_str());
            let rfc = source.get("rfc");
            match (doc, rfc) {
                (Some(_), Some(_)) | (None, None) => findings.error(
                    path,
                    "a source names exactly one of `doc` and `rfc`".into(),
                    "use `doc = \"<document id>\"` for a provider document, `rfc = NNNN` for an RFC",
                ),
                (Some(doc), None) if !documents.contains(doc) => findings.error(
                    path.key("doc"),
                    format!("source cites document `{doc}`, which is not in `documents`"),
                    "add a [[documents]] entry with that id, or fix the id",
                ),
                _ => {}
            }
        }
    });
}

fn check_parameters(profile: &Profile, findings: &mut Findings) {
    let mut declared = BTreeMap::new();
    for (i, parameter) in profile.parameters.iter().enumerate() {
        let path = root().key("parameters").index(i);
        if !is_parameter_name(&parameter.name) {
            findings.error(
                path.key("name"),
                format!(
                    "parameter name `{}` must be lowercase letters, digits and `_`",
                    parameter.name
                ),
                "e.g. `name = \"outbound_proxy\"`",
            );
        }
        if declared
            .insert(parameter.name.as_str(), parameter.kind)
            .is_some()
        {
            findings.error(
                path.key("name"),
                format!("parameter `{}` is declared twice", parameter.name),
                "",
            );
        }
        for (key, value) in [
            ("default", &parameter.default),
            ("example", &parameter.example),
        ] {
            if let Some(value) = value
                && let Err(reason) = check_value(parameter.kind, value)
            {
                findings.error(
                    path.key(key),
                    format!("{key} of `{}`: {reason}", parameter.name),
                    "",
                );
            }
        }
    }
    let mut used = BTreeSet::new();
    for (path, name) in references(profile) {
        used.insert(name.clone());
        match declared.get(name.as_str()) {
            None => findings.error(
                path,
                format!("`${{{name}}}` refers to a parameter that is not declared"),
                "declare it in a [[parameters]] table, or fix the name",
            ),
            Some(kind) => {
                let expected = if path.last_key().is_some_and(|k| k.ends_with("ports")) {
                    ParameterKind::Ports
                } else {
                    ParameterKind::Host
                };
                if *kind != expected {
                    findings.error(
                        path,
                        format!("`${{{name}}}` is a {kind:?} parameter but stands where {expected:?} is needed"),
                        "use a parameter of the right kind here",
                    );
                }
            }
        }
    }
    for (i, parameter) in profile.parameters.iter().enumerate() {
        // Interface names are consumed by `sipwall rules`, not by profile fields.
        if parameter.kind != ParameterKind::Interface && !used.contains(&parameter.name) {
            findings.warning(
                root().key("parameters").index(i),
                format!("parameter `{}` is declared but never used", parameter.name),
                "use it as `${name}` or remove it",
            );
        }
    }
}

/// Ports of a flow side as concrete ranges; empty (= any) and parameters count as "any".
fn concrete(ports: &[PortSpec]) -> Vec<PortRange> {
    if ports.is_empty() || ports.iter().any(|p| matches!(p, PortSpec::Param(_))) {
        return vec![PortSpec::Any.range().expect("any is concrete")];
    }
    ports.iter().filter_map(PortSpec::range).collect()
}

fn ranges_overlap(a: &[PortRange], b: &[PortRange]) -> Option<PortRange> {
    a.iter().find_map(|x| {
        b.iter().find(|y| x.overlaps(y)).map(|y| PortRange {
            first: x.first.max(y.first),
            last: x.last.min(y.last),
        })
    })
}

/// What a packet filter sees: TLS is TCP.
fn wire(transport: Transport) -> Transport {
    match transport {
        Transport::Tls => Transport::Tcp,
        other => other,
    }
}

fn check_flows(profile: &Profile, findings: &mut Findings) {
    let mut names = BTreeSet::new();
    for (i, flow) in profile.flows.iter().enumerate() {
        let path = root().key("flows").index(i);
        if !is_identifier(&flow.name) {
            findings.error(
                path.key("name"),
                format!(
                    "flow name `{}` must be lowercase letters, digits and dashes",
                    flow.name
                ),
                "",
            );
        }
        if !names.insert(flow.name.as_str()) {
            findings.error(
                path.key("name"),
                format!("flow name `{}` is used twice", flow.name),
                "give each flow its own name",
            );
        }
        for (key, empty) in [
            ("transports", flow.transports.is_empty()),
            ("remote", flow.remote.is_empty()),
            ("remote_ports", flow.remote_ports.is_empty()),
        ] {
            if empty {
                findings.error(
                    path.key(key),
                    format!("flow `{}` has an empty `{key}`", flow.name),
                    "write `[\"any\"]` if any value is allowed",
                );
            }
        }
        if flow.forward_to.is_some() && flow.direction == Direction::Outbound {
            findings.error(
                path.key("forward_to"),
                format!(
                    "flow `{}` is outbound but has `forward_to`; only inbound traffic is forwarded",
                    flow.name
                ),
                "set `direction = \"inbound\"` or remove `forward_to`",
            );
        }
        if matches!(flow.forward_to, Some(Endpoint::Any)) {
            findings.error(
                path.key("forward_to"),
                "`forward_to` must name one inside host, not `any`".into(),
                "",
            );
        }
    }
    for (i, a) in profile.flows.iter().enumerate() {
        for (j, b) in profile.flows.iter().enumerate().skip(i + 1) {
            let same_initiator = a.direction == b.direction
                || a.direction == Direction::Both
                || b.direction == Direction::Both;
            let shared_transport = a
                .transports
                .iter()
                .find(|t| b.transports.iter().any(|u| wire(**t) == wire(*u)));
            let remote_overlap = a
                .remote
                .iter()
                .find(|x| b.remote.iter().any(|y| x.overlaps(y)));
            let remote_ports =
                ranges_overlap(&concrete(&a.remote_ports), &concrete(&b.remote_ports));
            let local_ports = ranges_overlap(&concrete(&a.local_ports), &concrete(&b.local_ports));
            if let (true, Some(transport), Some(remote), Some(ports), Some(_)) = (
                same_initiator,
                shared_transport,
                remote_overlap,
                remote_ports,
                local_ports,
            ) {
                findings.warning(
                    root().key("flows").index(j),
                    format!(
                        "flows `{}` and `{}` overlap: both allow {:?} to {remote} port {ports}",
                        a.name,
                        b.name,
                        wire(*transport)
                    ),
                    "merge them, or narrow one so each packet matches one flow",
                );
            }
        }
    }
}

fn check_nat(profile: &Profile, findings: &mut Findings) {
    let nat = &profile.nat;
    let path = root().key("nat");
    if let Some(lifetime) = &nat.binding_lifetime {
        let here = path.key("binding_lifetime");
        if lifetime.min_seconds == 0 {
            findings.error(
                here.key("min_seconds"),
                "a binding lifetime of 0 s cannot hold a call".into(),
                "",
            );
        }
        if let Some(recommended) = lifetime.recommended_seconds
            && recommended < lifetime.min_seconds
        {
            findings.error(
                here.key("recommended_seconds"),
                format!(
                    "recommended lifetime {recommended} s is below the minimum {} s",
                    lifetime.min_seconds
                ),
                "the recommendation should be at least the minimum",
            );
        }
    }
    for (i, keepalive) in nat.keepalives.iter().enumerate() {
        let here = path.key("keepalives").index(i).key("interval_seconds");
        if keepalive.interval_seconds == 0 {
            findings.error(
                here.clone(),
                "a keepalive interval of 0 s is a flood, not a keepalive".into(),
                "",
            );
        }
        if let Some(lifetime) = &nat.binding_lifetime
            && keepalive.interval_seconds >= lifetime.min_seconds
        {
            findings.error(
                here,
                format!(
                    "keepalives every {} s cannot keep alive a binding that may expire after {} s",
                    keepalive.interval_seconds, lifetime.min_seconds
                ),
                "the keepalive interval must be shorter than nat.binding_lifetime.min_seconds",
            );
        }
    }
    if let (Some(mapping), Some(accepted)) = (&nat.mapping, &nat.accepted_types) {
        for (i, nat_type) in accepted.types.iter().enumerate() {
            if mapping.behaviour == MappingBehaviour::EndpointIndependent
                && nat_type.mapping() != MappingBehaviour::EndpointIndependent
            {
                findings.error(
                    path.key("accepted_types").key("types").index(i),
                    format!("{nat_type:?} NAT is accepted but its mapping is not endpoint-independent, which nat.mapping requires"),
                    "remove it from the accepted types or relax nat.mapping",
                );
            }
        }
    }
    if let Some(ttl) = &nat.session_ttl
        && ttl.seconds == 0
    {
        findings.error(
            path.key("session_ttl").key("seconds"),
            "a session TTL of 0 s is not a TTL".into(),
            "",
        );
    }
}

fn check_security(profile: &Profile, findings: &mut Findings) {
    let path = root().key("security");
    for (i, rule) in profile.security.never_forward.iter().enumerate() {
        for (j, flow) in profile.flows.iter().enumerate() {
            let inbound = flow.direction != Direction::Outbound;
            let shares_transport = rule
                .transports
                .iter()
                .any(|t| flow.transports.iter().any(|u| wire(*t) == wire(*u)));
            let covers = flow
                .local_ports
                .iter()
                .filter_map(PortSpec::range)
                .any(|r| r.contains(rule.port));
            if inbound && shares_transport && covers && flow.forward_to.is_some() {
                findings.error(
                    root().key("flows").index(j),
                    format!(
                        "flow `{}` forwards port {} which security.never_forward[{i}] forbids",
                        flow.name, rule.port
                    ),
                    "remove the port from the flow, or from never_forward if the source allows it",
                );
            }
        }
    }
    if let Some(brute) = &profile.security.brute_force {
        let here = path.key("brute_force");
        for (key, value) in [
            ("max_failures", Some(brute.max_failures)),
            ("ban_seconds", Some(brute.ban_seconds)),
            ("window_seconds", brute.window_seconds),
        ] {
            if value == Some(0) {
                findings.error(
                    here.key(key),
                    format!("brute_force.{key} must be at least 1"),
                    "",
                );
            }
        }
    }
    if let Some(whitelist) = &profile.security.sip_source_whitelist
        && whitelist.allowed.contains(&Endpoint::Any)
    {
        findings.error(
            path.key("sip_source_whitelist").key("allowed"),
            "a whitelist that allows `any` protects nothing".into(),
            "list the provider's addresses or use a parameter the customer fills in",
        );
    }
}

fn check_misc(profile: &Profile, findings: &mut Findings) {
    for (i, conflict) in profile.conflicts.iter().enumerate() {
        if conflict.sides.len() < 2 {
            findings.error(
                root().key("conflicts").index(i).key("sides"),
                format!("conflict `{}` needs at least two sides", conflict.topic),
                "a conflict keeps every contradicting claim with its source",
            );
        }
    }
    if let Some(media) = &profile.media
        && media.ptime_ms == Some(0)
    {
        findings.error(
            root().key("media").key("ptime_ms"),
            "ptime_ms must be at least 1".into(),
            "",
        );
    }
    for (i, note) in profile.vendor_notes.iter().enumerate() {
        if !is_identifier(&note.vendor) {
            findings.error(
                root().key("vendor_notes").index(i).key("vendor"),
                format!(
                    "vendor id `{}` must be lowercase letters, digits and dashes",
                    note.vendor
                ),
                "e.g. `fortigate`, `sonicwall`, `mikrotik`",
            );
        }
    }
}
