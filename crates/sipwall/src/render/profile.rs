//! Profiles as text: a list, and one profile in sections with the source of every line.

use std::fmt::Write as _;

use comfy_table::{ColumnConstraint, ContentArrangement, Table, presets};
use sipwall_profile::params::ValueOrigin;
use sipwall_profile::{
    Advice, Direction, Endpoint, Loaded, MappingBehaviour, PortSpec, Profile, Resolved, Source,
    Transport,
};

/// Width used when stdout is not a terminal, so piped output is stable.
const PIPE_WIDTH: u16 = 140;

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    // Piped, or a terminal that reports no width (e.g. under `script`): a fixed width.
    if !table.is_tty() || table.width().is_none_or(|w| w == 0) {
        table.set_width(PIPE_WIDTH);
    }
    table.set_header(header.to_vec());
    table
}

pub fn list(profiles: &[Loaded]) -> String {
    let mut t = table(&["id", "kind", "name", "flows", "summary"]);
    for loaded in profiles {
        let p = &loaded.profile;
        t.add_row(vec![
            p.id.clone(),
            kebab(&p.kind),
            p.name.clone(),
            p.flows.len().to_string(),
            p.summary.clone(),
        ]);
    }
    format!("{t}\nShow one with: sipwall profile show ID\n")
}

/// The serde name of an enum value (`EndpointIndependent` → `endpoint-independent`).
fn kebab<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn ports(items: &[PortSpec]) -> String {
    if items.is_empty() {
        "any".into()
    } else {
        join(items)
    }
}

fn transports(items: &[Transport]) -> String {
    items.iter().map(kebab).collect::<Vec<_>>().join("+")
}

fn cite(source: &Source) -> String {
    let document = match (&source.doc, source.rfc) {
        (Some(doc), _) => doc.clone(),
        (None, Some(rfc)) => format!("RFC {rfc}"),
        (None, None) => "?".into(),
    };
    format!("{document} § {}", source.section)
}

fn cites(sources: &[Source]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for citation in sources.iter().map(cite) {
        if !seen.contains(&citation) {
            seen.push(citation);
        }
    }
    format!("[{}]", seen.join("; "))
}

pub fn show(resolved: &Resolved) -> String {
    let p = &resolved.profile;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({}) — {}", p.name, p.id, kebab(&p.kind));
    let _ = writeln!(out, "{}\n", p.summary);
    if !p.documents.is_empty() {
        let _ = writeln!(out, "Documents");
        for d in &p.documents {
            let language = d
                .language
                .as_deref()
                .map(|l| format!(" [{l}]"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}: {} — {}{language}", d.id, d.title, d.location);
        }
        out.push('\n');
    }
    parameters(resolved, &mut out);
    flows(p, &mut out);
    nat(p, &mut out);
    if let Some(alg) = &p.sip_alg {
        let _ = writeln!(out, "SIP ALG");
        let state = if alg.must_be_off {
            "must be OFF"
        } else {
            "may stay on"
        };
        let features = if alg.features.is_empty() {
            String::new()
        } else {
            format!(" ({})", alg.features.join(", "))
        };
        let _ = writeln!(
            out,
            "  {state}{features}: {} {}\n",
            alg.why,
            cites(&alg.sources)
        );
    }
    if let Some(media) = &p.media {
        let _ = writeln!(out, "Media");
        if !media.codecs.is_empty() {
            let _ = writeln!(
                out,
                "  codecs: {}",
                media
                    .codecs
                    .iter()
                    .map(kebab)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if let Some(ptime) = media.ptime_ms {
            let _ = writeln!(out, "  packet time: {ptime} ms");
        }
        if let Some(calls) = media.concurrent_calls {
            let _ = writeln!(out, "  concurrent calls: {calls}");
        }
        if let Some(notes) = &media.notes {
            let _ = writeln!(out, "  {notes}");
        }
        let _ = writeln!(out, "  {}\n", cites(&media.sources));
    }
    security(p, &mut out);
    policy(p, &mut out);
    vendor_notes(p, &mut out);
    conflicts(p, &mut out);
    let open = resolved.open();
    if !open.is_empty() {
        let names: Vec<String> = open.iter().map(|o| format!("--set {}=…", o.name)).collect();
        let _ = writeln!(
            out,
            "Open parameters: {} (shown as ${{name}} above; commands that need them will ask). Set: {}",
            open.iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            names.join(" ")
        );
    }
    out
}

fn parameters(resolved: &Resolved, out: &mut String) {
    if resolved.parameters.is_empty() {
        return;
    }
    let mut t = table(&["parameter", "value", "description"]);
    for (value, declared) in resolved.parameters.iter().zip(&resolved.profile.parameters) {
        let shown = match (&value.value, value.origin) {
            (Some(v), ValueOrigin::Set) => format!("{v} (set)"),
            (Some(v), _) => format!("{v} (default)"),
            (None, _) => {
                let example = declared.example.as_deref().unwrap_or("VALUE");
                format!("OPEN: --set {}={example}", value.name)
            }
        };
        t.add_row(vec![
            value.name.clone(),
            shown,
            declared.description.clone(),
        ]);
    }
    let _ = writeln!(out, "Parameters\n{t}\n");
}

fn flows(p: &Profile, out: &mut String) {
    if p.flows.is_empty() {
        return;
    }
    let mut t = table(&[
        "flow",
        "purpose",
        "dir",
        "transport",
        "local ports",
        "remote",
        "remote ports",
        "req",
        "source",
    ]);
    for f in &p.flows {
        let direction = match f.direction {
            Direction::Outbound => "out",
            Direction::Inbound => "in",
            Direction::Both => "both",
        };
        let remote = match &f.forward_to {
            Some(target) => format!("{} → fwd {target}", join(&f.remote)),
            None => join::<Endpoint>(&f.remote),
        };
        t.add_row(vec![
            f.name.clone(),
            kebab(&f.purpose),
            direction.into(),
            transports(&f.transports),
            ports(&f.local_ports),
            remote,
            ports(&f.remote_ports),
            if f.required {
                "yes".into()
            } else {
                "opt".into()
            },
            cites(&f.sources),
        ]);
    }
    if let Some(column) = t.column_mut(0) {
        column.set_constraint(ColumnConstraint::ContentWidth);
    }
    let _ = writeln!(
        out,
        "Flows (dir: who opens the conversation; local = customer side)\n{t}\n"
    );
}

fn nat(p: &Profile, out: &mut String) {
    let nat = &p.nat;
    if nat.is_empty() {
        return;
    }
    let _ = writeln!(out, "NAT");
    if let Some(m) = &nat.mapping {
        let words = match m.behaviour {
            MappingBehaviour::EndpointIndependent => " (\"consistent NAT\", RFC 4787 REQ-1)",
            _ => "",
        };
        let _ = writeln!(
            out,
            "  mapping: {}{words} — {} {}",
            kebab(&m.behaviour),
            m.why,
            cites(&m.sources)
        );
    }
    if let Some(a) = &nat.accepted_types {
        let types: Vec<String> = a.types.iter().map(kebab).collect();
        let _ = writeln!(
            out,
            "  accepted NAT types: {} {}",
            types.join(", "),
            cites(&a.sources)
        );
    }
    if let Some(l) = &nat.binding_lifetime {
        let recommended = l
            .recommended_seconds
            .map(|r| format!(", recommended {r} s"))
            .unwrap_or_default();
        let scope = l
            .applies_to
            .as_deref()
            .map(|s| format!(" for {s}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  UDP binding lifetime: at least {} s{recommended}{scope} {}",
            l.min_seconds,
            cites(&l.sources)
        );
    }
    for k in &nat.keepalives {
        let local = if k.local_ports.is_empty() {
            String::new()
        } else {
            format!(" from {}", ports(&k.local_ports))
        };
        let remote = if k.remote_ports.is_empty() {
            String::new()
        } else {
            format!(" to {}", ports(&k.remote_ports))
        };
        let _ = writeln!(
            out,
            "  keepalive: every {} s, sent by the {}, {} over {}{local}{remote} {}",
            k.interval_seconds,
            kebab(&k.sender),
            kebab(&k.method),
            kebab(&k.transport),
            cites(&k.sources)
        );
    }
    if let Some(h) = &nat.hairpinning {
        let _ = writeln!(
            out,
            "  hairpinning required: {} {}",
            h.why,
            cites(&h.sources)
        );
    }
    if let Some(r) = &nat.outbound_refresh {
        let _ = writeln!(
            out,
            "  outbound traffic refreshes bindings: {} {}",
            r.why,
            cites(&r.sources)
        );
    }
    if let Some(ttl) = &nat.session_ttl {
        let _ = writeln!(
            out,
            "  session TTL: {} s ({}) {}",
            ttl.seconds,
            ttl.scope,
            cites(&ttl.sources)
        );
    }
    out.push('\n');
}

fn advice_line(label: &str, advice: &Advice, out: &mut String) {
    let _ = writeln!(
        out,
        "  {label}{}: {} {}",
        advice.topic,
        advice.text,
        cites(&advice.sources)
    );
}

fn security(p: &Profile, out: &mut String) {
    let s = &p.security;
    if s.is_empty() {
        return;
    }
    let _ = writeln!(out, "Security");
    for n in &s.never_forward {
        let _ = writeln!(
            out,
            "  never forward {}/{} ({}): {} {}",
            n.port,
            transports(&n.transports),
            n.service,
            n.why,
            cites(&n.sources)
        );
    }
    if let Some(w) = &s.sip_source_whitelist {
        let _ = writeln!(
            out,
            "  SIP source whitelist: {}/{} only from {}: {} {}",
            ports(&w.ports),
            transports(&w.transports),
            join(&w.allowed),
            w.why,
            cites(&w.sources)
        );
    }
    if let Some(b) = &s.brute_force {
        let window = b
            .window_seconds
            .map(|w| format!(" within {w} s"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  brute force: ban a source for {} s after {} failed attempts{window} {}",
            b.ban_seconds,
            b.max_failures,
            cites(&b.sources)
        );
    }
    if let Some(d) = &s.no_dmz {
        advice_line("no DMZ — ", d, out);
    }
    for a in &s.advice {
        advice_line("", a, out);
    }
    out.push('\n');
}

fn policy(p: &Profile, out: &mut String) {
    if p.policy.is_empty() {
        return;
    }
    let _ = writeln!(out, "Firewall policy");
    for advice in [
        &p.policy.dedicated_rule,
        &p.policy.disable_hardware_offload,
        &p.policy.clear_sessions_after_change,
    ]
    .into_iter()
    .flatten()
    {
        advice_line("", advice, out);
    }
    out.push('\n');
}

fn vendor_notes(p: &Profile, out: &mut String) {
    if p.vendor_notes.is_empty() {
        return;
    }
    let mut t = table(&["vendor", "setting", "value", "source"]);
    for n in &p.vendor_notes {
        let value = match &n.notes {
            Some(notes) => format!("{} ({notes})", n.value),
            None => n.value.clone(),
        };
        t.add_row(vec![
            n.vendor.clone(),
            n.setting.clone(),
            value,
            cites(&n.sources),
        ]);
    }
    let _ = writeln!(out, "Vendor notes\n{t}\n");
}

fn conflicts(p: &Profile, out: &mut String) {
    if p.conflicts.is_empty() {
        return;
    }
    let _ = writeln!(out, "Conflicts in the sources");
    for c in &p.conflicts {
        let _ = writeln!(out, "  {}", c.topic);
        for side in &c.sides {
            let _ = writeln!(out, "    - {} {}", side.claim, cites(&side.sources));
        }
        let _ = writeln!(out, "    sipwall: {}", c.resolution);
    }
    out.push('\n');
}
