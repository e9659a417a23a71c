//! The binding-lifetime section: the probe timeline as a chart (each socket a bar from its
//! priming to its callbacks, green where a callback arrived, red where it was missed, grouped
//! by priming pattern, the measured bracket shaded), then the per-pattern table and the
//! keepalive advice.

use std::fmt::Write as _;

use sipwall_check::lifetime::{
    LifetimeOutcome, LifetimeReport, PatternResult, Priming, ProbeOutcome, TimelineEntry,
};

use crate::chart::{
    Frame, GRID, Swatch, TEXT, coord, human, legend_entry, nice_max, nice_step, open_svg,
};
use crate::escape::Escaped;
use crate::html::{label, note, opt};

pub const GREEN: &str = "#2da44e";
pub const RED: &str = "#cf222e";
pub const GREY: &str = "#afb8c1";
const BRACKET: &str = "#bf8700";

pub fn priming_name(priming: Option<Priming>) -> &'static str {
    match priming {
        Some(Priming::OneShot) => "one-shot",
        Some(Priming::SipLike) => "SIP-like",
        Some(Priming::InboundKeepalive) => "inbound keepalive",
        None => "control",
    }
}

/// The whole section body (the caller writes the heading).
pub fn section(out: &mut String, lifetime: Option<&LifetimeReport>) {
    let Some(report) = lifetime else {
        note(
            out,
            "The binding-lifetime test did not run: it takes about as long as the lifetime \
             itself, so it is off by default. Run the check with --lifetime quick (up to 3 \
             minutes) or --lifetime full (up to 30 minutes).",
        );
        return;
    };
    let _ = write!(
        out,
        r#"<p>Mode: {}; idle times {}–{} s ({} levels, step {} %), {} callbacks planned, {} s in all. Callbacks came from <code>{}</code> ({}).</p>"#,
        Escaped(&label(&report.mode)),
        human(report.grid.min_idle_s),
        human(report.grid.max_idle_s),
        report.grid.levels,
        human((report.grid.ratio - 1.0) * 100.0),
        report.callbacks_planned,
        human(report.elapsed_s),
        Escaped(&report.socket),
        report.server,
    );
    timeline_chart(out, report);
    out.push_str(
        r#"<table class="data"><thead><tr><th scope="col">priming</th><th scope="col">outcome</th><th scope="col">lifetime</th><th scope="col">sockets</th><th scope="col">callbacks received / missed / lost</th><th scope="col">decided after</th><th scope="col">explanation</th></tr></thead><tbody>"#,
    );
    for pattern in &report.patterns {
        let _ = write!(
            out,
            r#"<tr><th scope="row">{}</th><td>{}</td><td class="nowrap">{}</td><td class="n">{}</td><td class="n">{} / {} / {}</td><td class="n">{}</td><td>{}</td></tr>"#,
            priming_name(Some(pattern.priming)),
            Escaped(&outcome_text(pattern)),
            Escaped(&bracket_text(pattern)),
            pattern.sockets,
            pattern.received,
            pattern.missed,
            pattern.losses,
            opt(pattern.decided_after_s.map(|s| format!("{} s", human(s)))),
            Escaped(&pattern.explanation),
        );
    }
    out.push_str("</tbody></table>");
    let _ = write!(
        out,
        r#"<p class="advice"><strong>Keepalive{}.</strong> {}</p>"#,
        report
            .keepalive
            .interval_s
            .map_or(String::new(), |s| format!(": at most every {s:.0} s")),
        Escaped(&report.keepalive.explanation),
    );
    let refresh = match report.inbound_refresh {
        Some(true) => "inbound traffic keeps a binding alive",
        Some(false) => "inbound traffic alone does not keep a binding alive",
        None => "whether inbound traffic keeps a binding alive could not be told",
    };
    let _ = write!(
        out,
        r#"<p class="meta">{refresh}; control callbacks {} received, {} missed.</p>"#,
        report.control.received, report.control.missed
    );
    if !report.evidence.is_empty() {
        out.push_str(r#"<ul class="evidence">"#);
        for line in &report.evidence {
            let _ = write!(out, "<li>{}</li>", Escaped(line));
        }
        out.push_str("</ul>");
    }
}

fn outcome_text(pattern: &PatternResult) -> String {
    match pattern.outcome {
        LifetimeOutcome::Expired => "expired".into(),
        LifetimeOutcome::LongerThanTested if pattern.kept_alive_by_inbound => {
            "kept alive by inbound traffic".into()
        }
        LifetimeOutcome::LongerThanTested => "outlived the test".into(),
        LifetimeOutcome::Inconclusive => "inconclusive".into(),
    }
}

fn bracket_text(pattern: &PatternResult) -> String {
    match (pattern.lower_s, pattern.upper_s) {
        (Some(lower), Some(upper)) => format!("{}–{} s", human(lower), human(upper)),
        (None, Some(upper)) => format!("< {} s", human(upper)),
        (Some(lower), None) => format!("≥ {} s", human(lower)),
        (None, None) => "—".into(),
    }
}

/// One chart row: a socket and its callbacks in time order.
struct Row<'a> {
    priming: Option<Priming>,
    socket: u32,
    primed_at: f64,
    events: Vec<&'a TimelineEntry>,
}

/// When an entry's outcome became known, on the test's clock.
fn event_time(entry: &TimelineEntry, primed_at: f64, end: f64) -> f64 {
    let planned = primed_at + entry.idle_s.unwrap_or(entry.planned_idle_s);
    match entry.outcome {
        ProbeOutcome::Received => entry.received_at_s.unwrap_or(planned),
        ProbeOutcome::Missed => entry.sent_at_s.unwrap_or(planned),
        ProbeOutcome::Pending | ProbeOutcome::NotPlanned => planned.min(end),
    }
}

fn rows(report: &LifetimeReport) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    for entry in &report.timeline {
        if entry.outcome == ProbeOutcome::NotPlanned {
            continue;
        }
        match rows
            .iter_mut()
            .find(|r| r.priming == entry.priming && r.socket == entry.socket)
        {
            Some(row) => {
                row.events.push(entry);
                if let Some(at) = entry.primed_at_s {
                    row.primed_at = row.primed_at.min(at);
                }
            }
            None => rows.push(Row {
                priming: entry.priming,
                socket: entry.socket,
                primed_at: entry.primed_at_s.unwrap_or(f64::INFINITY),
                events: vec![entry],
            }),
        }
    }
    // Sockets that were never primed have nothing to draw.
    rows.retain(|r| r.primed_at.is_finite());
    let group = |p: Option<Priming>| match p {
        Some(Priming::OneShot) => 0,
        Some(Priming::SipLike) => 1,
        Some(Priming::InboundKeepalive) => 2,
        None => 3,
    };
    let first_idle = |r: &Row<'_>| {
        r.events
            .iter()
            .map(|e| e.planned_idle_s)
            .fold(f64::INFINITY, f64::min)
    };
    rows.sort_by(|a, b| {
        group(a.priming)
            .cmp(&group(b.priming))
            .then(first_idle(a).total_cmp(&first_idle(b)))
            .then(a.socket.cmp(&b.socket))
    });
    rows
}

fn timeline_chart(out: &mut String, report: &LifetimeReport) {
    let rows = rows(report);
    if rows.is_empty() {
        note(out, "The test recorded no probe timeline to draw.");
        return;
    }
    let end = report.elapsed_s.max(0.0);
    let latest = rows
        .iter()
        .flat_map(|r| r.events.iter().map(|e| event_time(e, r.primed_at, end)))
        .fold(end, f64::max);
    const WIDTH: f64 = 1040.0;
    const LEFT: f64 = 150.0;
    const TOP: f64 = 52.0;
    const MIN_GROUP_HEIGHT: f64 = 34.0;
    const GROUP_GAP: f64 = 14.0;
    let groups: Vec<Option<Priming>> = rows.iter().fold(Vec::new(), |mut g, r| {
        if g.last() != Some(&r.priming) {
            g.push(r.priming);
        }
        g
    });
    let row_height = (560.0 / rows.len() as f64).clamp(3.0, 14.0);
    // Small groups (the inbound series, the control) get taller rows so their labels fit.
    let group_rows =
        |priming: Option<Priming>| rows.iter().filter(|r| r.priming == priming).count();
    let group_layout = |n: usize| {
        let height = (n as f64 * row_height).max(MIN_GROUP_HEIGHT);
        let row = (height / n.max(1) as f64).min(row_height.max(10.0));
        (height, row)
    };
    let plot_height = groups
        .iter()
        .map(|g| group_layout(group_rows(*g)).0)
        .sum::<f64>()
        + (groups.len() - 1) as f64 * GROUP_GAP;
    let height = TOP + plot_height + 50.0;
    let x_step = nice_step(latest, 10);
    let frame = Frame {
        left: LEFT,
        top: TOP,
        width: WIDTH - LEFT - 20.0,
        height: plot_height,
        x_max: nice_max(latest, x_step),
        y_max: 1.0,
    };
    let counts = |o: ProbeOutcome| report.timeline.iter().filter(|e| e.outcome == o).count();
    let title = "Binding lifetime: the probe timeline";
    let desc = format!(
        "{} sockets; {} callbacks arrived, {} missed, {} not needed after the early stop; {}",
        rows.len(),
        counts(ProbeOutcome::Received),
        counts(ProbeOutcome::Missed),
        counts(ProbeOutcome::Pending),
        report
            .patterns
            .iter()
            .map(|p| format!("{}: {}", priming_name(Some(p.priming)), bracket_text(p)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    open_svg(out, WIDTH, height, title, &desc);
    frame.x_axis(out, x_step, "time since the test started (s)");

    // Rows, group by group.
    let mut y = TOP;
    let mut index = 0;
    for (g, priming) in groups.iter().enumerate() {
        if g > 0 {
            y += GROUP_GAP;
            let _ = write!(
                out,
                r#"<line x1="0" y1="{}" x2="{}" y2="{}" stroke="{GRID}"/>"#,
                coord(y - GROUP_GAP / 2.0),
                coord(WIDTH),
                coord(y - GROUP_GAP / 2.0)
            );
        }
        let group_top = y;
        let members: Vec<&Row<'_>> = rows[index..]
            .iter()
            .take_while(|r| r.priming == *priming)
            .collect();
        index += members.len();
        let (group_height, row) = group_layout(members.len());
        let bar = (row * 0.7).max(2.0);
        let mut row_y = group_top + (group_height - row * members.len() as f64) / 2.0;
        for member in &members {
            draw_row(out, &frame, member, row_y + (row - bar) / 2.0, bar, end);
            row_y += row;
        }
        y = group_top + group_height;
        let mid = group_top + group_height / 2.0;
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end" font-size="12" font-weight="600" fill="{TEXT}">{}</text><text x="{}" y="{}" text-anchor="end" font-size="11" fill="{TEXT}">{} socket{}</text>"#,
            coord(LEFT - 10.0),
            coord(mid - 1.0),
            priming_name(*priming),
            coord(LEFT - 10.0),
            coord(mid + 12.0),
            members.len(),
            if members.len() == 1 { "" } else { "s" },
        );
        if let Some(pattern) = priming.and_then(|p| report.patterns.iter().find(|r| r.priming == p))
        {
            bracket(out, &frame, pattern, &members, group_top, group_height);
        }
    }
    // The moment the test stopped.
    let x = coord(frame.x(end));
    let _ = write!(
        out,
        r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#57606a" stroke-width="1.2" stroke-dasharray="3 3"><title>the test ended after {} s</title></line><text x="{x}" y="{}" text-anchor="end" font-size="11" fill="{TEXT}">test ended </text>"##,
        coord(TOP - 6.0),
        coord(frame.bottom()),
        human(end),
        coord(TOP - 8.0),
    );
    let mut lx = LEFT;
    lx = legend_entry(
        out,
        lx,
        18.0,
        Swatch::Box {
            fill: GREEN,
            opacity: 1.0,
        },
        "callback arrived (binding alive)",
    );
    lx = legend_entry(
        out,
        lx,
        18.0,
        Swatch::Box {
            fill: RED,
            opacity: 1.0,
        },
        "callback missed (binding gone)",
    );
    lx = legend_entry(
        out,
        lx,
        18.0,
        Swatch::Box {
            fill: GREY,
            opacity: 1.0,
        },
        "not needed (early stop)",
    );
    legend_entry(
        out,
        lx,
        18.0,
        Swatch::Box {
            fill: BRACKET,
            opacity: 0.3,
        },
        "measured lifetime bracket",
    );
    out.push_str("</svg>");
}

fn colour(outcome: ProbeOutcome) -> &'static str {
    match outcome {
        ProbeOutcome::Received => GREEN,
        ProbeOutcome::Missed => RED,
        ProbeOutcome::Pending | ProbeOutcome::NotPlanned => GREY,
    }
}

fn draw_row(out: &mut String, frame: &Frame, row: &Row<'_>, y: f64, bar: f64, end: f64) {
    let mut events: Vec<(f64, &TimelineEntry)> = row
        .events
        .iter()
        .map(|e| (event_time(e, row.primed_at, end), *e))
        .collect();
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut from = row.primed_at;
    for (at, entry) in &events {
        let x1 = frame.x(from);
        let x2 = frame.x(*at).max(x1 + 1.0);
        let tip = format!(
            "{} socket {}: {} after {} s idle (primed at {} s)",
            priming_name(row.priming),
            row.socket,
            match entry.outcome {
                ProbeOutcome::Received => "callback arrived",
                ProbeOutcome::Missed => "callback missed",
                ProbeOutcome::Pending | ProbeOutcome::NotPlanned => "not needed",
            },
            human(entry.idle_s.unwrap_or(entry.planned_idle_s)),
            human(row.primed_at),
        );
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>"#,
            coord(x1),
            coord(y),
            coord(x2 - x1),
            coord(bar),
            colour(entry.outcome),
            Escaped(&tip)
        );
        // A series of callbacks on one socket: a tick where each one landed.
        if events.len() > 1 && entry.outcome != ProbeOutcome::Pending {
            let _ = write!(
                out,
                r##"<rect x="{}" y="{}" width="1.2" height="{}" fill="#1f2328" fill-opacity="0.55"/>"##,
                coord(x2 - 0.6),
                coord(y),
                coord(bar)
            );
        }
        from = *at;
    }
}

/// The measured bracket of a pattern: shaded between the end of the bar that proved
/// `lower_s` and the end of the one that found the binding gone at `upper_s` (on the test's
/// clock: sockets were primed within moments of each other).
fn bracket(
    out: &mut String,
    frame: &Frame,
    pattern: &PatternResult,
    members: &[&Row<'_>],
    top: f64,
    height: f64,
) {
    let mut primed: Vec<f64> = members.iter().map(|r| r.primed_at).collect();
    primed.sort_by(f64::total_cmp);
    let t0 = primed.get(primed.len() / 2).copied().unwrap_or(0.0);
    // Where the callback that proved (or broke) an idle time landed on the test's clock: the
    // entry of this pattern whose idle time is closest, else the median priming plus it.
    let at = |idle: f64, wanted: ProbeOutcome| {
        members
            .iter()
            .flat_map(|r| r.events.iter().map(move |e| (r.primed_at, *e)))
            .filter(|(_, e)| e.outcome == wanted)
            .filter_map(|(primed_at, e)| {
                let measured = e.idle_s?;
                ((measured - idle).abs() < 0.5).then(|| event_time(e, primed_at, f64::INFINITY))
            })
            .next()
            .unwrap_or(t0 + idle)
    };
    let text = bracket_text(pattern);
    match (pattern.lower_s, pattern.upper_s) {
        (lower, Some(upper)) => {
            let x1 = frame.x(lower.map_or(t0, |l| at(l, ProbeOutcome::Received)));
            let x2 = frame.x(at(upper, ProbeOutcome::Missed)).max(x1 + 2.0);
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{BRACKET}" fill-opacity="0.22" stroke="{BRACKET}" stroke-width="1"><title>{}: the binding expired between {} s and {} s idle</title></rect><text x="{}" y="{}" font-size="11" font-weight="600" fill="{BRACKET}">{}</text>"#,
                coord(x1),
                coord(top - 2.0),
                coord(x2 - x1),
                coord(height + 4.0),
                priming_name(Some(pattern.priming)),
                human(lower.unwrap_or(0.0)),
                human(upper),
                coord(x2 + 4.0),
                coord(top + 10.0),
                Escaped(&text),
            );
        }
        (Some(lower), None) => {
            let x = coord(frame.x(at(lower, ProbeOutcome::Received)));
            let _ = write!(
                out,
                r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{BRACKET}" stroke-width="2" stroke-dasharray="4 3"><title>{}: alive after {} s idle</title></line><text x="{}" y="{}" font-size="11" font-weight="600" fill="{BRACKET}">{}</text>"#,
                coord(top - 2.0),
                coord(top + height + 2.0),
                priming_name(Some(pattern.priming)),
                human(lower),
                coord(frame.x(at(lower, ProbeOutcome::Received)) + 4.0),
                coord(top + 10.0),
                Escaped(&text),
            );
        }
        (None, None) => {}
    }
}
