//! Verdicts from hand-made evidence.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sipwall_proto::control::{MirrorRecord, SocketTransport};

use super::compare::{ibc_ends, ibc_received, ibc_sent};
use super::support::{
    Counter, PRIVATE_IP, Rewrite, addr, dropped, full_path, ip, kernel_alg, mirror, path, untouched,
};
use crate::alg::{
    AlgReport, AlgVerdict, ChangeKind, Field, PathEvidence, PathReport, ProbeEnd, ProbeEvidence,
    ProbeKind, ProbeOutcome, Severity, StreamEndKind, classify,
};

/// The five paths, the 5060 ones through `alg`, the controls untouched.
fn network(alg: Rewrite, random: &mut Counter) -> Vec<PathEvidence> {
    let tested = |name, t, local_port, random: &mut Counter| {
        full_path(path(name, t, 5060, local_port), alg, alg, random)
    };
    let control = |name, t, port, local_port, random: &mut Counter| {
        full_path(
            path(name, t, port, local_port),
            untouched,
            untouched,
            random,
        )
    };
    vec![
        tested("sip-udp-5060", SocketTransport::Udp, 5060, random),
        tested("sip-tcp-5060", SocketTransport::Tcp, 40002, random),
        control("sip-udp-5080", SocketTransport::Udp, 5080, 5060, random),
        control("sip-tcp-5080", SocketTransport::Tcp, 5080, 40003, random),
        control("sip-tls-5061", SocketTransport::Tls, 5061, 40004, random),
    ]
}

fn run(paths: &[PathEvidence]) -> AlgReport {
    classify(ip(PRIVATE_IP), None, paths)
}

fn by_name<'a>(report: &'a AlgReport, name: &str) -> &'a PathReport {
    report.paths.iter().find(|p| p.name == name).unwrap()
}

fn fields(p: &PathReport, kind: ProbeKind) -> Vec<(Field, ChangeKind)> {
    let probe = p.probes.iter().find(|x| x.kind == kind).unwrap();
    probe.changes.iter().map(|c| (c.field, c.change)).collect()
}

#[test]
fn no_alg_is_none_everywhere() {
    let report = run(&network(untouched, &mut Counter(1)));
    assert_eq!(report.verdict, AlgVerdict::None, "{report:#?}");
    for p in &report.paths {
        assert_eq!(p.verdict, AlgVerdict::None, "{p:#?}");
        assert!(p.probes.iter().all(|x| x.outcome == ProbeOutcome::Answered));
        assert!(p.reasons[0].contains("4 probes"), "{:?}", p.reasons);
    }
    assert!(
        report.summary.starts_with("No SIP ALG"),
        "{}",
        report.summary
    );
}

#[test]
fn kernel_helper_on_5060_is_rewriting_and_controls_are_clean() {
    let report = run(&network(kernel_alg, &mut Counter(2)));
    assert_eq!(report.verdict, AlgVerdict::Rewriting, "{report:#?}");
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.verdict, AlgVerdict::Rewriting);
    assert_eq!(udp.public, Some(addr("203.0.113.5:5060")));
    let invite = fields(udp, ProbeKind::Invite);
    for f in [
        (Field::ViaSentBy, ChangeKind::Rewritten),
        (Field::Contact, ChangeKind::Rewritten),
        (Field::SdpOrigin, ChangeKind::Rewritten),
        (Field::SdpConnection, ChangeKind::Rewritten),
        (Field::ContentLength, ChangeKind::Rewritten),
        (Field::ViaReceived, ChangeKind::Rewritten),
    ] {
        assert!(invite.contains(&f), "{f:?} missing: {invite:?}");
    }
    assert_eq!(
        by_name(&report, "sip-tcp-5060").verdict,
        AlgVerdict::Rewriting
    );
    for control in ["sip-udp-5080", "sip-tcp-5080", "sip-tls-5061"] {
        assert_eq!(by_name(&report, control).verdict, AlgVerdict::None);
    }
    assert!(report.notes[0].contains("5060 only"), "{:?}", report.notes);
}

/// The sip-alg-detector README's router, as the INVITE of the UDP/5060 path (plus the
/// 100 Trying a proxying ALG sends).
#[test]
fn ibc_readme_router_is_destructive_with_its_fields_listed() {
    let mut paths = network(untouched, &mut Counter(3));
    let e = ibc_ends();
    let (_, answer, record) =
        mirror(&ibc_received(), e.public, SocketTransport::Udp, 5060).unwrap();
    let udp = &mut paths[0];
    udp.local = Some(e.private);
    udp.probes[1] = ProbeEvidence {
        kind: ProbeKind::Invite,
        call_id: "bggvcdx2d8@192.168.1.102".into(),
        sent: ibc_sent(),
        transmissions: 1,
        response: Some(answer),
        provisional: vec![100],
        end: ProbeEnd::Answered,
        records: Ok(vec![record]),
    };
    let report = run(&paths);
    assert_eq!(report.verdict, AlgVerdict::Destructive);
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.verdict, AlgVerdict::Destructive);
    let listed = fields(udp, ProbeKind::Invite);
    for f in [
        (Field::Via, ChangeKind::Added),
        (Field::MaxForwards, ChangeKind::Decremented),
        (Field::SdpMediaPort, ChangeKind::Rewritten),
        (Field::ContentLength, ChangeKind::Rewritten),
        (Field::Contact, ChangeKind::NotRewritten),
        (Field::Provisional, ChangeKind::Added),
    ] {
        assert!(listed.contains(&f), "{f:?} missing: {listed:?}");
    }
    // Destructive reasons come first and say what broke.
    assert!(udp.reasons[0].contains("INVITE"), "{:?}", udp.reasons);
    assert!(
        udp.reasons
            .iter()
            .take(2)
            .any(|r| r.contains("m= port") && r.contains("4731 → 7070")),
        "{:?}",
        udp.reasons
    );
    assert!(report.summary.contains("UDP/5060"), "{}", report.summary);
}

#[test]
fn header_case_change_only_is_a_benign_note() {
    fn recase(m: &[u8], _: std::net::SocketAddr, _: std::net::SocketAddr) -> Vec<u8> {
        String::from_utf8(m.to_vec())
            .unwrap()
            .replace("Max-Forwards:", "max-forwards:")
            .into_bytes()
    }
    let report = run(&network(recase, &mut Counter(4)));
    assert_eq!(report.verdict, AlgVerdict::None, "{report:#?}");
    let udp = by_name(&report, "sip-udp-5060");
    assert!(
        udp.reasons
            .iter()
            .any(|r| r.contains("re-cased") && r.ends_with("(benign)"))
    );
    let change = &udp.probes[0].changes[0];
    assert_eq!(
        (change.change, change.severity),
        (ChangeKind::Recased, Severity::Benign)
    );
}

fn drop_all(p: &mut PathEvidence, random: &mut Counter) {
    p.probes = ProbeKind::ALL
        .iter()
        .map(|k| dropped(*k, p, random))
        .collect();
}

#[test]
fn dropped_5060_is_blocked_when_controls_work() {
    let mut random = Counter(5);
    let mut paths = network(untouched, &mut random);
    drop_all(&mut paths[0], &mut random);
    let report = run(&paths);
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.verdict, AlgVerdict::Blocked, "{udp:#?}");
    assert!(
        udp.probes
            .iter()
            .all(|p| p.outcome == ProbeOutcome::Dropped)
    );
    assert!(udp.reasons[0].contains("UDP/5080"), "{:?}", udp.reasons);
    assert_eq!(report.verdict, AlgVerdict::Blocked);
    assert!(
        report.notes[0].contains("blocks SIP on port 5060"),
        "{:?}",
        report.notes
    );
}

#[test]
fn dropped_everywhere_is_inconclusive() {
    let mut random = Counter(6);
    let mut paths = network(untouched, &mut random);
    for p in &mut paths {
        drop_all(p, &mut random);
    }
    let report = run(&paths);
    assert_eq!(report.verdict, AlgVerdict::Inconclusive, "{report:#?}");
    assert!(
        report
            .paths
            .iter()
            .all(|p| p.verdict == AlgVerdict::Inconclusive)
    );
    assert!(by_name(&report, "sip-udp-5060").reasons[0].contains("no control path worked"));
}

#[test]
fn connection_refused_on_5060_is_blocked() {
    let mut paths = network(untouched, &mut Counter(7));
    let tcp = &mut paths[1];
    tcp.local = None;
    tcp.stream_end = Some(StreamEndKind::ConnectFailed);
    for p in &mut tcp.probes {
        *p = not_sent(p.kind);
    }
    let report = run(&paths);
    let tcp = by_name(&report, "sip-tcp-5060");
    assert_eq!(tcp.verdict, AlgVerdict::Blocked, "{tcp:#?}");
    assert!(
        tcp.reasons[0].starts_with("could not connect to TCP/5060"),
        "{:?}",
        tcp.reasons
    );
}

fn not_sent(kind: ProbeKind) -> ProbeEvidence {
    ProbeEvidence {
        kind,
        call_id: String::new(),
        sent: Vec::new(),
        transmissions: 0,
        response: None,
        provisional: Vec::new(),
        end: ProbeEnd::NotSent,
        records: Ok(Vec::new()),
    }
}

/// TCP/5060: the REGISTER passes, the INVITE gets the connection reset.
#[test]
fn reset_is_destructive() {
    let mut paths = network(untouched, &mut Counter(8));
    let tcp = &mut paths[1];
    tcp.stream_end = Some(StreamEndKind::Reset);
    tcp.probes[1].response = None;
    tcp.probes[1].records = Ok(Vec::new());
    tcp.probes[1].end = ProbeEnd::Stream(StreamEndKind::Reset);
    tcp.probes[2] = not_sent(ProbeKind::InviteLarge);
    tcp.probes[3] = not_sent(ProbeKind::Options);
    let report = run(&paths);
    let tcp = by_name(&report, "sip-tcp-5060");
    assert_eq!(tcp.verdict, AlgVerdict::Destructive, "{tcp:#?}");
    assert_eq!(tcp.probes[1].outcome, ProbeOutcome::Reset);
    assert!(
        tcp.reasons.iter().any(|r| r.contains("reset")),
        "{:?}",
        tcp.reasons
    );
    assert_eq!(report.verdict, AlgVerdict::Destructive);
}

#[test]
fn large_invite_lost_only_on_5060_is_destructive_but_not_when_the_control_loses_it_too() {
    let mut random = Counter(9);
    let mut paths = network(untouched, &mut random);
    paths[0].probes[2] = dropped(ProbeKind::InviteLarge, &paths[0], &mut random);
    let report = run(&paths);
    let udp_report = by_name(&report, "sip-udp-5060");
    assert_eq!(
        udp_report.verdict,
        AlgVerdict::Destructive,
        "{udp_report:#?}"
    );
    assert!(
        udp_report.reasons[0].contains("large INVITE"),
        "{:?}",
        udp_report.reasons
    );
    assert!(udp_report.reasons[0].contains("UDP/5080 carried it"));

    paths[2].probes[2] = dropped(ProbeKind::InviteLarge, &paths[2], &mut random);
    let report = run(&paths);
    let udp_report = by_name(&report, "sip-udp-5060");
    assert_eq!(udp_report.verdict, AlgVerdict::None, "{udp_report:#?}");
    assert!(udp_report.reasons.iter().any(|r| r.contains("not an ALG")));
}

#[test]
fn answer_lost_on_the_way_back_is_destructive() {
    let mut paths = network(untouched, &mut Counter(10));
    paths[0].probes[0].response = None;
    paths[0].probes[0].end = ProbeEnd::TimedOut;
    let report = run(&paths);
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.probes[0].outcome, ProbeOutcome::AnswerLost);
    assert_eq!(udp.verdict, AlgVerdict::Destructive);
    assert!(udp.reasons[0].contains("answer to the REGISTER never came back"));
}

#[test]
fn no_records_is_inconclusive() {
    let mut paths = network(untouched, &mut Counter(11));
    for p in &mut paths {
        for probe in &mut p.probes {
            probe.records = Err("BadRequest: unknown request".into());
        }
    }
    let report = run(&paths);
    assert_eq!(report.verdict, AlgVerdict::Inconclusive, "{report:#?}");
    let udp = by_name(&report, "sip-udp-5060");
    assert!(
        udp.probes
            .iter()
            .all(|p| p.outcome == ProbeOutcome::AnsweredWithoutRecord)
    );
}

#[test]
fn one_missing_record_is_noted_without_changing_the_verdict() {
    let mut paths = network(untouched, &mut Counter(16));
    paths[0].probes[3].records = Err("Timeout: no reply".into());
    let report = run(&paths);
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.verdict, AlgVerdict::None, "{udp:#?}");
    assert_eq!(udp.probes[3].outcome, ProbeOutcome::AnsweredWithoutRecord);
    assert!(
        udp.reasons
            .iter()
            .any(|r| r.contains("could not be fetched: Timeout"))
    );
}

#[test]
fn alg_on_a_control_port_too_is_reported() {
    let mut random = Counter(12);
    let mut paths = network(kernel_alg, &mut random);
    paths[2] = full_path(
        path("sip-udp-5080", SocketTransport::Udp, 5080, 5060),
        kernel_alg,
        kernel_alg,
        &mut random,
    );
    let report = run(&paths);
    assert_eq!(report.verdict, AlgVerdict::Rewriting);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("UDP/5080") && n.contains("not bound to port 5060"))
    );
}

#[test]
fn records_of_other_transports_are_not_evidence() {
    let mut paths = network(untouched, &mut Counter(13));
    for probe in &mut paths[0].probes {
        if let Ok(records) = &mut probe.records {
            for r in records.iter_mut() {
                r.transport = SocketTransport::Tcp;
            }
        }
    }
    let report = run(&paths);
    let udp = by_name(&report, "sip-udp-5060");
    assert!(
        udp.probes
            .iter()
            .all(|p| p.outcome == ProbeOutcome::AnsweredWithoutRecord)
    );
    assert_eq!(udp.verdict, AlgVerdict::Inconclusive);
}

#[test]
fn undecodable_records_are_skipped() {
    let mut paths = network(untouched, &mut Counter(14));
    let bad = MirrorRecord {
        transport: SocketTransport::Udp,
        server_port: 5060,
        source: addr("203.0.113.5:5060"),
        at_ms: 1,
        received: "***".into(),
        sent: BASE64.encode("x"),
    };
    paths[0].probes[0].records = Ok(vec![bad]);
    let report = run(&paths);
    let udp = by_name(&report, "sip-udp-5060");
    assert_eq!(udp.probes[0].outcome, ProbeOutcome::AnsweredWithoutRecord);
    assert_eq!(udp.verdict, AlgVerdict::None);
}

#[test]
fn report_json_round_trips() {
    let report = run(&network(kernel_alg, &mut Counter(15)));
    let json = serde_json::to_string_pretty(&report).unwrap();
    let back: AlgReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["verdict"], "rewriting");
    assert_eq!(value["paths"][0]["name"], "sip-udp-5060");
    assert_eq!(value["paths"][0]["role"], "tested");
    assert_eq!(
        value["paths"][0]["probes"][1]["changes"][0]["field"],
        "via_sent_by"
    );
    assert_eq!(
        value["paths"][0]["probes"][1]["changes"][0]["by"]["role"],
        "public_mapping"
    );
}
