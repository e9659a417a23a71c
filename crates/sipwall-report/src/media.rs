//! The media section: per stream, the numbers of each direction and two charts over time —
//! loss per second and jitter per second, upstream from the reflector's intervals and round
//! trip from the client's own.

use std::fmt::Write as _;

use sipwall_check::media::{DirectionResult, MediaReport, StreamResult};
use sipwall_proto::rtp::IntervalReport;

use crate::chart::{BLUE, Line, LineChart, ORANGE, Point, human};
use crate::escape::Escaped;
use crate::html::{label, note, opt};

const UPSTREAM: &str = "upstream (reflector)";
const ROUND_TRIP: &str = "round trip (client)";

/// The whole section body (the caller writes the heading).
pub fn section(out: &mut String, media: Option<&MediaReport>) {
    let Some(media) = media else {
        note(
            out,
            "The media test did not run (it is skipped with --media-seconds 0, or the reflector \
             offered no RTP echo).",
        );
        return;
    };
    let _ = write!(
        out,
        r#"<p>{} call(s) of {} s, {} ({} ms packets), both directions at once. Outcome: <strong>{}</strong>. Lowest MOS upstream {}, downstream {}.</p>"#,
        media.streams_requested,
        human(media.duration_ms as f64 / 1000.0),
        Escaped(&media.codec.name),
        media.codec.ptime_ms,
        Escaped(&label(&media.outcome)),
        opt(media.upstream_mos_min.map(|m| format!("{m:.2}"))),
        opt(media.downstream_mos_min.map(|m| format!("{m:.2}"))),
    );
    if media.streams.is_empty() {
        note(out, "No stream was started.");
    }
    for stream in &media.streams {
        stream_block(out, stream);
    }
    if !media.evidence.is_empty() {
        out.push_str(r#"<ul class="evidence">"#);
        for line in &media.evidence {
            let _ = write!(out, "<li>{}</li>", Escaped(line));
        }
        out.push_str("</ul>");
    }
}

fn stream_block(out: &mut String, stream: &StreamResult) {
    let _ = write!(
        out,
        r#"<div class="stream"><h3>Stream {}</h3><p class="meta">{} → {} (reflector port {}) · outcome {} · DSCP {}: {}</p>"#,
        stream.index,
        opt(stream.local.map(|a| a.to_string())),
        opt(stream.public.map(|a| a.to_string())),
        opt(stream.server_port.map(|p| p.to_string())),
        Escaped(&label(&stream.outcome)),
        stream.dscp.requested,
        Escaped(&label(&stream.dscp.status)),
    );
    out.push_str(
        r#"<table class="data num"><thead><tr><th scope="col">direction</th><th scope="col">packets sent</th><th scope="col">lost</th><th scope="col">loss</th><th scope="col">longest burst</th><th scope="col">jitter mean / max</th><th scope="col">R</th><th scope="col">MOS</th></tr></thead><tbody>"#,
    );
    direction_row(out, "upstream", stream.upstream.as_ref());
    direction_row(out, "downstream", stream.downstream.as_ref());
    let rt = &stream.round_trip;
    let _ = write!(
        out,
        r#"<tr><th scope="row">round trip</th><td>{}</td><td>{}</td><td>{} %</td><td>{}</td><td>{} / {} ms</td><td colspan="2">RTT p50 {} · p95 {} ms</td></tr>"#,
        stream.packets_sent,
        rt.packets_lost,
        human(rt.loss_percent),
        rt.max_burst_lost,
        human(rt.jitter_ms),
        human(rt.max_jitter_ms),
        opt(rt.rtt_p50_ms.map(human)),
        opt(rt.rtt_p95_ms.map(human)),
    );
    out.push_str("</tbody></table>");
    out.push_str(r#"<div class="charts">"#);
    let x_max = [&stream.series.upstream, &stream.series.round_trip]
        .iter()
        .flat_map(|s| s.iter())
        .map(|i| i.start_ms / 1000.0 + 1.0)
        .fold(0.0, f64::max);
    // Buckets start a few ms after the stream: 10.002 s is a 10 s axis.
    let x_max = (x_max * 10.0).floor() / 10.0;
    let (up_loss, up_gaps) = loss_points(&stream.series.upstream);
    let (rt_loss, rt_gaps) = loss_points(&stream.series.round_trip);
    let mut gaps = up_gaps;
    gaps.extend(rt_gaps);
    LineChart {
        title: format!("Stream {}: packet loss per second", stream.index),
        x_label: "time since the stream started (s)".into(),
        y_label: "loss (%)".into(),
        unit: " %",
        x_max,
        y_floor: 1.0,
        y_cap: Some(100.0),
        lines: vec![
            Line {
                name: UPSTREAM.into(),
                color: BLUE,
                dashed: false,
                points: up_loss,
            },
            Line {
                name: ROUND_TRIP.into(),
                color: ORANGE,
                dashed: true,
                points: rt_loss,
            },
        ],
        bands: gaps,
        band_name: "no packets arrived".into(),
    }
    .render(out);
    LineChart {
        title: format!("Stream {}: jitter per second", stream.index),
        x_label: "time since the stream started (s)".into(),
        y_label: "jitter (ms)".into(),
        unit: " ms",
        x_max,
        y_floor: 1.0,
        y_cap: None,
        lines: vec![
            Line {
                name: UPSTREAM.into(),
                color: BLUE,
                dashed: false,
                points: jitter_points(&stream.series.upstream),
            },
            Line {
                name: ROUND_TRIP.into(),
                color: ORANGE,
                dashed: true,
                points: jitter_points(&stream.series.round_trip),
            },
        ],
        bands: Vec::new(),
        band_name: String::new(),
    }
    .render(out);
    out.push_str("</div>");
    if !stream.evidence.is_empty() {
        out.push_str(r#"<ul class="evidence">"#);
        for line in &stream.evidence {
            let _ = write!(out, "<li>{}</li>", Escaped(line));
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>");
}

fn direction_row(out: &mut String, name: &str, direction: Option<&DirectionResult>) {
    let Some(d) = direction else {
        let _ = write!(
            out,
            r#"<tr><th scope="row">{name}</th><td colspan="7" class="muted">not measured</td></tr>"#
        );
        return;
    };
    let _ = write!(
        out,
        r#"<tr><th scope="row">{name}</th><td>{}</td><td>{}</td><td>{} %</td><td>{}</td><td>{} / {} ms</td><td>{}</td><td>{}</td></tr>"#,
        d.packets_sent,
        d.packets_lost,
        human(d.loss_percent),
        opt(d.max_burst_lost.map(|b| b.to_string())),
        opt(d.jitter_ms.map(human)),
        opt(d.max_jitter_ms.map(human)),
        opt(d.score.as_ref().map(|s| format!("{:.1}", s.r))),
        opt(d.score.as_ref().map(|s| format!("{:.2}", s.mos))),
    );
}

/// Loss in percent of the packets a second should have carried (`lost / (arrived + lost)`),
/// at the middle of each second. A second in which nothing arrived and nothing was found
/// missing is a gap (its losses are counted when the next packet shows them) and is returned
/// as a band to shade.
pub fn loss_points(series: &[IntervalReport]) -> (Vec<Point>, Vec<(f64, f64)>) {
    let mut points = Vec::with_capacity(series.len());
    let mut gaps: Vec<(f64, f64)> = Vec::new();
    for interval in series {
        let start = interval.start_ms / 1000.0;
        let total = interval.packets + interval.lost;
        if total == 0 {
            points.push((start + 0.5, None));
            match gaps.last_mut() {
                Some(gap) if (gap.1 - start).abs() < 1e-6 => gap.1 = start + 1.0,
                _ => gaps.push((start, start + 1.0)),
            }
        } else {
            let percent = interval.lost as f64 * 100.0 / total as f64;
            points.push((start + 0.5, Some(percent.min(100.0))));
        }
    }
    (points, gaps)
}

/// The RFC 3550 jitter at the end of each second.
pub fn jitter_points(series: &[IntervalReport]) -> Vec<Point> {
    series
        .iter()
        .map(|i| (i.start_ms / 1000.0 + 0.5, Some(i.jitter_ms)))
        .collect()
}
