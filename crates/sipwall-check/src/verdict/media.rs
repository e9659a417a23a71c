//! Media quality and DSCP.

use super::{Status, Verdict};
use crate::media::{DirectionResult, DscpStatus, MediaReport, StreamOutcome};

/// MOS thresholds (ITU-T G.107 Annex B user satisfaction): R 80 (MOS 4.03) "satisfied",
/// R 70 (MOS 3.60) "some users dissatisfied".
const MOS_GOOD: f64 = 4.03;
const MOS_FAIR: f64 = 3.60;

fn direction_line(name: &str, d: &DirectionResult) -> String {
    let jitter = d.jitter_ms.map_or("?".to_owned(), |j| format!("{j:.1} ms"));
    let score = d.score.as_ref().map_or(String::new(), |s| {
        format!(", R {:.1}, MOS {:.2}", s.r, s.mos)
    });
    format!(
        "{name}: {} of {} lost ({:.2} %), longest burst {}, jitter {jitter}{score}",
        d.packets_lost,
        d.packets_sent,
        d.loss_percent,
        d.max_burst_lost.map_or("?".to_owned(), |b| b.to_string())
    )
}

/// Media quality: both directions of every stream, scored with the E-model; DSCP kept.
pub fn judge_media(report: &MediaReport) -> Vec<Verdict> {
    let worst = [report.upstream_mos_min, report.downstream_mos_min]
        .into_iter()
        .flatten()
        .reduce(f64::min);
    let (status, observed) = match report.outcome {
        StreamOutcome::UpstreamBlocked => (Status::Fail, "no RTP reached the reflector: media is blocked on the way out".to_owned()),
        StreamOutcome::DownstreamBlocked => (
            Status::Fail,
            "the reflector got the RTP and echoed it, but nothing came back: media is blocked on the way in".to_owned(),
        ),
        StreamOutcome::Inconclusive => (Status::Inconclusive, "the media test did not produce enough evidence".to_owned()),
        _ => match worst {
            Some(mos) if mos >= MOS_GOOD => (Status::Pass, format!("MOS {mos:.2} (G.711, worst direction)")),
            Some(mos) if mos >= MOS_FAIR => (Status::Warn, format!("MOS {mos:.2}: some users would be dissatisfied")),
            Some(mos) => (Status::Fail, format!("MOS {mos:.2}: poor voice quality")),
            None => (Status::Inconclusive, "no quality score could be computed".to_owned()),
        },
    };
    let mut evidence = Vec::new();
    for stream in &report.streams {
        if let Some(up) = &stream.upstream {
            evidence.push(format!(
                "stream {}: {}",
                stream.index,
                direction_line("upstream", up)
            ));
        }
        if let Some(down) = &stream.downstream {
            evidence.push(format!(
                "stream {}: {}",
                stream.index,
                direction_line("downstream", down)
            ));
        }
        if let Some(rtt) = stream.round_trip.rtt_p50_ms {
            evidence.push(format!(
                "stream {}: round trip p50 {rtt:.1} ms",
                stream.index
            ));
        }
    }
    evidence.extend(report.evidence.iter().cloned());
    let mut verdicts = vec![Verdict {
        id: "media.quality".into(),
        requirement: format!("{} call(s) of {} s, G.711, both directions: MOS ≥ {MOS_GOOD}", report.streams_requested, report.duration_ms / 1000),
        why: "loss, jitter and delay decide what a caller hears (ITU-T G.107 E-model)".into(),
        status,
        observed,
        evidence,
        fix: (status == Status::Fail || status == Status::Warn).then(|| {
            "find the lossy or congested link (Wi-Fi, an overloaded uplink); give voice priority (QoS / DSCP EF) on the router".to_owned()
        }),
        sources: Vec::new(),
    }];
    let bleached: Vec<String> = report
        .streams
        .iter()
        .filter(|s| {
            matches!(
                s.dscp.status,
                DscpStatus::Bleached | DscpStatus::Remarked | DscpStatus::Mixed
            )
        })
        .map(|s| {
            format!(
                "stream {}: sent DSCP {}, received {:?}",
                s.index, s.dscp.requested, s.dscp.received
            )
        })
        .collect();
    if !bleached.is_empty() {
        verdicts.push(Verdict {
            id: "media.dscp".into(),
            requirement: "the DSCP marking of voice (EF) survives the way out".into(),
            why: "routers and ISPs prioritise voice by its DSCP mark; a cleared mark loses that priority".into(),
            status: Status::Warn,
            observed: "the voice packets' DSCP mark was changed on the way".into(),
            evidence: bleached,
            fix: Some("stop the router from clearing DSCP (\"trust DSCP\" / remove the re-marking rule); some ISPs clear it regardless".into()),
            sources: Vec::new(),
        });
    }
    verdicts
}
