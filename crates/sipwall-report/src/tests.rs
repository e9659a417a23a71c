use sipwall_check::run::CheckOutcome;
use sipwall_check::verdict::Status;

use crate::chart::{Line, LineChart, nice_max, nice_step};
use crate::{check_html, escape};

/// A whole check behind a troubled NAT, as `sipwall check --json` prints its `check` object:
/// every test ran (two media streams, the quick lifetime test, inbound ports), with failing,
/// warning, inconclusive and untested verdicts, and hostile strings planted where network
/// data ends up (the ALG summary, a reflector socket name, evidence lines).
const FIXTURE: &str = include_str!("../tests/fixtures/check-outcome.json");

fn fixture() -> CheckOutcome {
    serde_json::from_str(FIXTURE).expect("the fixture is a CheckOutcome")
}

fn minimal() -> CheckOutcome {
    let mut outcome = fixture();
    outcome.sockets.clear();
    outcome.nat = None;
    outcome.path = None;
    outcome.alg = None;
    outcome.outbound = None;
    outcome.inbound = None;
    outcome.media = None;
    outcome.lifetime = None;
    outcome.verdicts.clear();
    outcome
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// Tags that must be balanced for the page to read as written.
fn assert_balanced(html: &str) {
    for tag in [
        "svg", "table", "section", "details", "summary", "ul", "dl", "header", "main", "tr",
    ] {
        let open = count(html, &format!("<{tag}>")) + count(html, &format!("<{tag} "));
        let close = count(html, &format!("</{tag}>"));
        assert_eq!(open, close, "<{tag}> opened {open} times, closed {close}");
    }
}

/// Every tag of the page: escaped text never holds a raw `<`, so whatever sits between `<`
/// and `>` is markup the renderer wrote.
fn tags(html: &str) -> Vec<&str> {
    html.split('<')
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest))
        .collect()
}

/// No script, no event handler, nothing loaded from elsewhere.
fn assert_self_contained(html: &str) {
    for tag in tags(html) {
        let lower = tag.to_lowercase();
        let name = lower.split([' ', '/']).next().unwrap_or("");
        assert!(
            !matches!(
                name,
                "script"
                    | "img"
                    | "link"
                    | "iframe"
                    | "object"
                    | "embed"
                    | "image"
                    | "use"
                    | "foreignobject"
                    | "base"
                    | "form"
            ),
            "the report contains <{tag}>"
        );
        for attribute in lower.split_whitespace().skip(1) {
            let attribute = attribute.split('=').next().unwrap_or("");
            assert!(
                !attribute.starts_with("on")
                    && !matches!(
                        attribute,
                        "src" | "href" | "xlink:href" | "style" | "srcset"
                    )
                    || (attribute == "href" && lower.starts_with("a ")),
                "the report has the attribute {attribute:?} in <{tag}>"
            );
        }
        assert!(!lower.contains("javascript:"), "<{tag}>");
    }
    // Links only within the page or to the RFC editor.
    for link in html.split("href=\"").skip(1) {
        assert!(
            link.starts_with('#') || link.starts_with("https://www.rfc-editor.org/rfc/rfc"),
            "a link to {}",
            &link[..link.len().min(60)]
        );
    }
    let lower = html.to_lowercase();
    assert!(!lower.contains("@import") && !lower.contains("url("));
}

#[test]
fn escape_neutralises_markup_and_quotes() {
    assert_eq!(
        escape(r#"<script>alert('x' + "y")</script> & co"#),
        "&lt;script&gt;alert(&#39;x&#39; + &quot;y&quot;)&lt;/script&gt; &amp; co"
    );
    assert_eq!(
        escape(r#""><img src=x onerror=alert(1)>"#),
        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
    );
    // Already-escaped text is escaped again: what the network sent is shown, not obeyed.
    assert_eq!(escape("&lt;"), "&amp;lt;");
    assert_eq!(escape("plain text, 5 % — µ-law"), "plain text, 5 % — µ-law");
    assert_eq!(
        escape("a\u{0}b\u{1b}[31mc\r\n\td"),
        "a\u{fffd}b\u{fffd}[31mc\u{fffd}\n\td"
    );
    assert_eq!(escape(""), "");
}

#[test]
fn the_full_report_has_every_verdict_chart_and_section() {
    let outcome = fixture();
    assert!(outcome.verdicts.len() >= 10, "the fixture judges much");
    let html = check_html(&outcome, "2026-12-01T19:45:00Z");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<title>sipwall check: FAIL — "));
    assert!(html.contains("2026-12-01T19:45:00Z"));
    for verdict in &outcome.verdicts {
        assert!(
            html.contains(&format!(
                "<code class=\"id\">{}</code>",
                escape(&verdict.id)
            )),
            "verdict {} is in the summary",
            verdict.id
        );
        assert!(html.contains(&escape(&verdict.requirement)));
    }
    // The summary keeps the outcome's order.
    let positions: Vec<usize> = outcome
        .verdicts
        .iter()
        .map(|v| {
            html.find(&format!("<code class=\"id\">{}</code>", escape(&v.id)))
                .expect("a summary row")
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    // One <details> per verdict that did not pass, plus the folded extras.
    let not_passing = outcome
        .verdicts
        .iter()
        .filter(|v| v.status != Status::Pass)
        .count();
    assert_eq!(count(&html, "<details id=\"v-"), not_passing);
    for status in ["FAIL", "WARN", "INCONCLUSIVE", "NOT TESTED", "PASS"] {
        assert!(
            html.contains(&format!("\">{status}</span>")),
            "{status} badge"
        );
    }
    // Charts: loss and jitter per media stream, and the lifetime timeline.
    let streams = outcome.media.as_ref().unwrap().streams.len();
    assert!(streams >= 2);
    assert_eq!(count(&html, "<svg "), 2 * streams + 1);
    assert_eq!(count(&html, "role=\"img\""), 2 * streams + 1);
    assert!(html.contains("aria-label=\"Stream 0: packet loss per second\""));
    assert!(html.contains("aria-label=\"Binding lifetime: the probe timeline\""));
    assert!(html.contains("<polyline "));
    // Misses and arrivals on the timeline, and the measured bracket.
    assert!(html.contains(&format!("fill=\"{}\"", crate::lifetime::GREEN)));
    assert!(html.contains(&format!("fill=\"{}\"", crate::lifetime::RED)));
    assert!(html.contains("the binding expired between"));
    for section in [
        "id=\"summary\"",
        "id=\"details\"",
        "id=\"media\"",
        "id=\"lifetime\"",
        "id=\"nat\"",
        "id=\"alg\"",
        "id=\"ports\"",
    ] {
        assert!(html.contains(section), "{section}");
    }
    assert!(html.contains("<th scope=\"col\">"));
    assert!(!html.contains("NaN") && !html.contains("inf\""));
    assert_balanced(&html);
    assert_self_contained(&html);
    assert!(html.len() < 400_000, "the report is {} bytes", html.len());
}

#[test]
fn hostile_strings_from_the_network_are_shown_not_run() {
    let mut outcome = fixture();
    let attack =
        r#"<script>alert("x")</script>"><img src=x onerror=alert(1)><svg onload=alert(2)>"#;
    outcome.server = attack.into();
    outcome.profile = attack.into();
    for verdict in &mut outcome.verdicts {
        verdict.id = format!("{}{attack}", verdict.id);
        verdict.requirement = attack.into();
        verdict.observed = attack.into();
        verdict.why = attack.into();
        verdict.fix = Some(attack.into());
        verdict.evidence.push(attack.into());
    }
    if let Some(alg) = &mut outcome.alg {
        alg.summary = attack.into();
        for path in &mut alg.paths {
            path.name = attack.into();
            path.reasons.push(attack.into());
        }
    }
    for socket in &mut outcome.sockets {
        socket.name = attack.into();
    }
    let html = check_html(&outcome, attack);
    assert_self_contained(&html);
    assert!(!html.contains("<svg onload"));
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert_balanced(&html);
}

#[test]
fn a_check_that_ran_nothing_says_so() {
    let html = check_html(&minimal(), "today");
    assert!(html.contains("No requirement was judged."));
    assert!(html.contains("The media test did not run"));
    assert!(html.contains("The binding-lifetime test did not run"));
    assert!(html.contains("The NAT behaviour test did not run."));
    assert!(html.contains("The SIP ALG test did not run."));
    assert!(html.contains("The outbound port test did not run."));
    assert!(!html.contains("<svg"));
    assert!(html.contains("NOT TESTED"), "the overall status");
    assert_balanced(&html);
    assert_self_contained(&html);
}

#[test]
fn a_lifetime_test_without_a_timeline_shows_a_note() {
    let mut outcome = fixture();
    outcome.lifetime.as_mut().unwrap().timeline.clear();
    let html = check_html(&outcome, "today");
    assert!(html.contains("The test recorded no probe timeline to draw."));
    assert!(!html.contains("aria-label=\"Binding lifetime"));
    assert_balanced(&html);
}

#[test]
fn media_without_series_shows_notes_and_one_second_draws_a_point() {
    let mut outcome = fixture();
    let media = outcome.media.as_mut().unwrap();
    media.streams.truncate(1);
    let stream = &mut media.streams[0];
    stream.series.upstream.clear();
    stream.series.round_trip.clear();
    let html = check_html(&outcome, "today");
    assert!(html.contains("Stream 0: packet loss per second: no data to plot."));
    assert!(html.contains("Stream 0: jitter per second: no data to plot."));

    let stream = &mut outcome.media.as_mut().unwrap().streams[0];
    let one: sipwall_proto::rtp::IntervalReport =
        serde_json::from_str(r#"{"start_ms": 0.0, "packets": 49, "lost": 1, "jitter_ms": 0.8}"#)
            .unwrap();
    stream.series.upstream.push(one);
    let html = check_html(&outcome, "today");
    assert!(html.contains("aria-label=\"Stream 0: packet loss per second\""));
    assert!(html.contains("upstream (reflector) at 0.50 s: 2.00 %"));
    assert_balanced(&html);
}

fn chart(points: Vec<(f64, Option<f64>)>) -> String {
    let mut out = String::new();
    LineChart {
        title: "test".into(),
        x_label: "time (s)".into(),
        y_label: "loss (%)".into(),
        unit: " %",
        x_max: points.iter().map(|p| p.0 + 0.5).fold(0.0, f64::max),
        y_floor: 1.0,
        y_cap: Some(100.0),
        lines: vec![Line {
            name: "upstream".into(),
            color: crate::chart::BLUE,
            dashed: false,
            points,
        }],
        bands: Vec::new(),
        band_name: String::new(),
    }
    .render(&mut out);
    out
}

#[test]
fn charts_are_sensible_with_zero_one_and_many_points() {
    let none = chart(Vec::new());
    assert!(!none.contains("<svg") && none.contains("no data to plot"));
    let gaps_only = chart(vec![(0.5, None), (1.5, None)]);
    assert!(!gaps_only.contains("<svg"));

    let one = chart(vec![(0.5, Some(3.0))]);
    assert!(one.contains("<svg") && one.ends_with("</svg>"));
    assert_eq!(count(&one, "<circle"), 1);
    assert!(!one.contains("<polyline"));

    let many: Vec<_> = (0..600)
        .map(|i| (f64::from(i) + 0.5, Some(f64::from(i % 7))))
        .collect();
    let many = chart(many);
    assert_eq!(count(&many, "<polyline"), 1);
    assert_eq!(
        count(&many, "<circle"),
        0,
        "markers are left out on long series"
    );

    // A gap splits the line; NaN and infinity never reach an attribute.
    let broken = chart(vec![
        (0.5, Some(1.0)),
        (1.5, Some(2.0)),
        (2.5, None),
        (3.5, Some(f64::NAN)),
        (4.5, Some(f64::INFINITY)),
        (5.5, Some(1.0)),
        (6.5, Some(1.5)),
    ]);
    assert_eq!(count(&broken, "<polyline"), 2);
    assert!(!broken.contains("NaN") && !broken.contains("inf"));
}

#[test]
fn axis_steps_are_round_numbers() {
    assert_eq!(nice_step(10.0, 5), 2.0);
    assert_eq!(nice_step(3.0, 6), 0.5);
    assert_eq!(nice_step(180.0, 10), 20.0);
    assert_eq!(nice_step(0.0, 4), 0.5);
    assert_eq!(nice_step(f64::NAN, 4), nice_step(1.0, 4));
    assert_eq!(nice_max(7.2, 2.0), 8.0);
    assert_eq!(nice_max(0.0, 0.5), 0.5);
}

#[test]
fn dates_are_utc_to_the_second() {
    use std::time::{Duration, UNIX_EPOCH};
    let at = |secs: u64| crate::format_utc(UNIX_EPOCH + Duration::from_secs(secs));
    assert_eq!(at(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(at(951_782_400), "2000-02-29 00:00:00 UTC");
    assert_eq!(at(1_796_153_530), "2026-12-01 19:32:10 UTC");
    assert_eq!(at(4_102_444_799), "2099-12-31 23:59:59 UTC");
    assert_eq!(
        crate::format_utc(UNIX_EPOCH - Duration::from_secs(5)),
        "1970-01-01 00:00:00 UTC"
    );
}
