//! Whole runs of [`AlgTest`] against the simulated network and reflector.

use std::time::Duration;

use super::support::{Middlebox, Sim, addr};
use crate::alg::{
    AlgReport, AlgVerdict, ChangeKind, Direction, Field, PathReport, ProbeKind, ProbeOutcome,
    Severity, StreamEndKind,
};

fn by_name<'a>(report: &'a AlgReport, name: &str) -> &'a PathReport {
    report
        .paths
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no path {name}"))
}

const CONTROLS: [&str; 3] = ["sip-udp-5080", "sip-tcp-5080", "sip-tls-5061"];

/// (direction, field) of the changes of one probe.
fn changes(p: &PathReport, kind: ProbeKind) -> Vec<(Direction, Field, ChangeKind)> {
    let probe = p.probes.iter().find(|x| x.kind == kind).unwrap();
    probe
        .changes
        .iter()
        .map(|c| (c.direction, c.field, c.change))
        .collect()
}

#[test]
fn no_alg_is_none_everywhere() {
    let (report, took) = Sim::new(Middlebox::None).run();
    assert_eq!(report.verdict, AlgVerdict::None, "{report:#?}");
    assert_eq!(report.paths.len(), 5);
    for p in &report.paths {
        assert_eq!(p.verdict, AlgVerdict::None, "{p:#?}");
        for probe in &p.probes {
            assert_eq!(probe.outcome, ProbeOutcome::Answered);
            assert_eq!(probe.transmissions, 1);
            assert!(probe.changes.is_empty(), "{probe:#?}");
        }
    }
    // Four probes in sequence per path, all paths at once: well under a second here.
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(report.udp_port_fallback, None);
}

#[test]
fn kernel_alg_on_the_5060_paths_is_found_and_listed() {
    let (report, _) = Sim::new(Middlebox::KernelAlg).run();
    assert_eq!(report.verdict, AlgVerdict::Rewriting, "{report:#?}");
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.verdict, AlgVerdict::Rewriting);
    // The wildcard-bound UDP socket wrote the configured private IP and its real port.
    assert_eq!(udp.local, Some(addr("192.168.1.20:5060")));
    assert_eq!(udp.public, Some(addr("203.0.113.5:5060")));
    let invite = changes(udp, ProbeKind::Invite);
    use Direction::*;
    for expected in [
        (Upstream, Field::ViaSentBy, ChangeKind::Rewritten),
        (Upstream, Field::Contact, ChangeKind::Rewritten),
        (Upstream, Field::From, ChangeKind::Rewritten),
        (Upstream, Field::SdpOrigin, ChangeKind::Rewritten),
        (Upstream, Field::SdpConnection, ChangeKind::Rewritten),
        (Upstream, Field::ContentLength, ChangeKind::Rewritten),
        (Downstream, Field::ViaSentBy, ChangeKind::Rewritten),
        (Downstream, Field::ViaReceived, ChangeKind::Rewritten),
        (Downstream, Field::Contact, ChangeKind::Rewritten),
        (Downstream, Field::SdpConnection, ChangeKind::Rewritten),
    ] {
        assert!(
            invite.contains(&expected),
            "{expected:?} missing: {invite:#?}"
        );
    }
    let all: Vec<_> = udp.probes.iter().flat_map(|p| &p.changes).collect();
    assert!(
        all.iter().all(|c| c.severity == Severity::Rewrite),
        "{all:#?}"
    );
    let rewriter = all[0].by.as_ref().unwrap();
    assert_eq!(rewriter.address, "203.0.113.5:5060");

    // TCP/5060 from an ephemeral port: Via and Contact carry that port and are rewritten;
    // From (no port, 5060 assumed) does not match, so it stays.
    let tcp = by_name(&report, "sip-tcp-5060");
    assert_eq!(tcp.verdict, AlgVerdict::Rewriting, "{tcp:#?}");
    let register = changes(tcp, ProbeKind::Register);
    assert!(register.contains(&(Upstream, Field::Contact, ChangeKind::Rewritten)));
    assert!(
        !register.iter().any(|(_, f, _)| *f == Field::From),
        "{register:?}"
    );

    for control in CONTROLS {
        assert_eq!(by_name(&report, control).verdict, AlgVerdict::None);
    }
    assert!(
        report.summary.contains("UDP/5060: rewriting"),
        "{}",
        report.summary
    );
}

/// UDP/5060 dropped, TCP/5060 refused: blocked, proven by the controls. Each UDP probe went
/// out three times, at 0, 500 and 1500 ms (RFC 3261 T1 doubling).
#[test]
fn blocked_5060_with_working_controls() {
    let mut sim = Sim::new(Middlebox::Block5060);
    let (report, took) = sim.run();
    assert_eq!(report.verdict, AlgVerdict::Blocked, "{report:#?}");
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.verdict, AlgVerdict::Blocked);
    assert!(
        udp.probes
            .iter()
            .all(|p| p.outcome == ProbeOutcome::Dropped && p.transmissions == 3)
    );
    let tcp = by_name(&report, "sip-tcp-5060");
    assert_eq!(tcp.verdict, AlgVerdict::Blocked);
    assert_eq!(tcp.stream_end, Some(StreamEndKind::ConnectFailed));
    assert!(
        tcp.probes
            .iter()
            .all(|p| p.outcome == ProbeOutcome::NotSent)
    );
    for control in CONTROLS {
        assert_eq!(by_name(&report, control).verdict, AlgVerdict::None);
    }

    let to_5060: Vec<Duration> = sim
        .transmits
        .iter()
        .filter(|(_, _, dest, _)| *dest == addr("198.51.100.10:5060"))
        .map(|(at, ..)| *at)
        .collect();
    assert_eq!(to_5060.len(), 12);
    let ms = |d: Duration| d.as_millis();
    assert_eq!(
        to_5060[..4].iter().map(|d| ms(*d)).collect::<Vec<_>>(),
        vec![0, 500, 1500, 3500],
        "third transmission, then the next probe after the 2 s final wait"
    );
    // Four probes of 3.5 s each, one after the other.
    assert!(
        took >= Duration::from_secs(14) && took < Duration::from_secs(15),
        "{took:?}"
    );
}

#[test]
fn unreachable_reflector_is_inconclusive() {
    let (report, _) = Sim::new(Middlebox::BlockAll).run();
    assert_eq!(report.verdict, AlgVerdict::Inconclusive, "{report:#?}");
    assert!(
        report
            .paths
            .iter()
            .all(|p| p.verdict == AlgVerdict::Inconclusive)
    );
    assert!(report.summary.starts_with("Not enough evidence"));
}

#[test]
fn reset_on_invite_is_destructive() {
    let (report, _) = Sim::new(Middlebox::ResetOnInvite).run();
    let tcp = by_name(&report, "sip-tcp-5060");
    assert_eq!(tcp.verdict, AlgVerdict::Destructive, "{tcp:#?}");
    assert_eq!(tcp.stream_end, Some(StreamEndKind::Reset));
    let outcomes: Vec<ProbeOutcome> = tcp.probes.iter().map(|p| p.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            ProbeOutcome::Answered,
            ProbeOutcome::Reset,
            ProbeOutcome::NotSent,
            ProbeOutcome::NotSent
        ]
    );
    assert_eq!(by_name(&report, "sip-udp-5060").verdict, AlgVerdict::None);
    assert_eq!(report.verdict, AlgVerdict::Destructive);
}

/// Another program holds 5060: the socket falls back, the report says so, and the probes
/// carry the port actually used, so the ALG still matches them.
#[test]
fn udp_port_fallback_is_reported_and_the_alg_still_found() {
    let mut sim = Sim::new(Middlebox::KernelAlg);
    sim.udp_port_taken = Some(41_000);
    let (report, _) = sim.run();
    assert_eq!(report.udp_port_fallback, Some(41_000));
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.local, Some(addr("192.168.1.20:41000")));
    assert_eq!(udp.verdict, AlgVerdict::Rewriting, "{udp:#?}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["udp_port_fallback"], 41_000);
}

/// An ALG that rewrites the Call-ID: the answer is still matched (by branch and CSeq), the
/// record still found (by the Call-ID the answer carried), and the change called out.
#[test]
fn call_id_rewrite_is_found_and_destructive() {
    let (report, _) = Sim::new(Middlebox::CallIdRewrite).run();
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.verdict, AlgVerdict::Destructive, "{udp:#?}");
    for probe in &udp.probes {
        assert_eq!(probe.outcome, ProbeOutcome::Answered, "{probe:#?}");
        let call_id = probe
            .changes
            .iter()
            .find(|c| c.field == Field::CallId && c.direction == Direction::Upstream)
            .unwrap();
        assert!(call_id.to.as_deref().unwrap().ends_with("@203.0.113.5"));
    }
}

/// A control channel that never answers: every lookup times out, the test still ends, and
/// says it could not compare anything.
#[test]
fn silent_mirror_times_out_into_inconclusive() {
    let mut sim = Sim::new(Middlebox::None);
    sim.mirror_silent = true;
    let (report, took) = sim.run();
    assert_eq!(report.verdict, AlgVerdict::Inconclusive, "{report:#?}");
    let udp = by_name(&report, "sip-udp-5060");
    assert!(
        udp.probes
            .iter()
            .all(|p| p.outcome == ProbeOutcome::AnsweredWithoutRecord)
    );
    assert!(
        udp.reasons
            .iter()
            .any(|r| r.contains("did not answer the mirror request")),
        "{:?}",
        udp.reasons
    );
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(11),
        "{took:?}"
    );
}
