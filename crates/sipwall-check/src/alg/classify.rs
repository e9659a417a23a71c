//! From evidence to verdicts: per probe (what became of it, what changed), per path (the
//! verdict for one transport and port, judged against the control paths) and overall.
//!
//! Pure: the machine collects [`PathEvidence`] and calls [`classify`]; tests build evidence
//! by hand.

use std::net::{IpAddr, SocketAddr};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sipwall_proto::control::{MirrorRecord, SocketTransport};
use sipwall_proto::sip::SipMessage;

use super::compare::{Ends, compare};
use super::probe::transport_token;
use super::report::{
    AlgReport, AlgVerdict, Direction, Field, FieldChange, PathReport, PathRole, ProbeKind,
    ProbeOutcome, ProbeReport, Severity, StreamEndKind,
};

/// Everything one path produced.
#[derive(Debug, Clone, PartialEq)]
pub struct PathEvidence {
    /// The reflector's socket name, e.g. `sip-udp-5060`.
    pub name: String,
    pub transport: SocketTransport,
    pub server: SocketAddr,
    pub role: PathRole,
    /// The private address written into the probes; `None` if the socket never opened.
    pub local: Option<SocketAddr>,
    /// Set when the stream ended before every probe was done.
    pub stream_end: Option<StreamEndKind>,
    /// One per probe kind, in sending order.
    pub probes: Vec<ProbeEvidence>,
}

/// Everything one probe produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeEvidence {
    pub kind: ProbeKind,
    /// Empty when the probe was never built.
    pub call_id: String,
    /// The bytes sent; empty when never sent.
    pub sent: Vec<u8>,
    pub transmissions: u32,
    /// The final (≥ 200) response, as received.
    pub response: Option<Vec<u8>>,
    /// Status codes of 1xx responses, which the reflector never sends.
    pub provisional: Vec<u16>,
    /// How the wait ended.
    pub end: ProbeEnd,
    /// The reflector's records for this probe's Call-ID (several when a UDP probe was
    /// retransmitted), or why they could not be fetched.
    pub records: Result<Vec<MirrorRecord>, String>,
}

/// How a probe's wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeEnd {
    /// A final response arrived.
    Answered,
    /// No final response within the timeout (after every retransmission).
    TimedOut,
    /// The stream ended while the probe waited.
    Stream(StreamEndKind),
    /// Never sent.
    NotSent,
}

/// Judges every path and the whole test.
pub fn classify(
    private_ip: IpAddr,
    udp_port_fallback: Option<u16>,
    paths: &[PathEvidence],
) -> AlgReport {
    let probes: Vec<Vec<Judged>> = paths
        .iter()
        .map(|p| p.probes.iter().map(|e| judge_probe(p, e)).collect())
        .collect();
    let facts: Vec<PathFacts> = paths
        .iter()
        .zip(&probes)
        .map(|(p, j)| PathFacts::of(p, j))
        .collect();
    let mut reports: Vec<PathReport> = paths
        .iter()
        .zip(probes)
        .enumerate()
        .map(|(i, (path, judged))| judge_path(path, judged, i, &facts))
        .collect();
    // Tested paths first, then the controls; otherwise as given.
    reports.sort_by_key(|r| r.role == PathRole::Control);
    let (verdict, notes) = overall(&reports);
    AlgReport {
        verdict,
        summary: summary(verdict, &reports),
        private_ip,
        udp_port_fallback,
        paths: reports,
        notes,
    }
}

/// A probe's report plus what the path verdict needs from it.
struct Judged {
    report: ProbeReport,
    /// Both directions were compared.
    compared: bool,
    /// The reflector answered 403: it did not take the session token.
    forbidden: bool,
    /// Why the mirror records could not be fetched.
    mirror_error: Option<String>,
}

fn judge_probe(path: &PathEvidence, e: &ProbeEvidence) -> Judged {
    let records = e.records.as_ref().ok().map(|r| own_records(path, r));
    let record = records
        .as_deref()
        .and_then(|r| best_record(r, e.response.as_deref()));
    let outcome = outcome(e, record.is_some());
    let observed = record.as_ref().map(|r| r.source);
    let mut changes = Vec::new();
    let mut compared = false;
    if let (Some(local), Some(rec)) = (path.local, record) {
        let ends = Ends {
            private: local,
            public: rec.source,
        };
        if !e.sent.is_empty() {
            changes.extend(compare(Direction::Upstream, &e.sent, &rec.received, ends));
        }
        if let Some(response) = &e.response {
            changes.extend(compare(Direction::Downstream, &rec.sent, response, ends));
            compared = true;
        }
    }
    if let Some(code) = e.provisional.first() {
        changes.push(provisional_change(*code));
    }
    let status = e
        .response
        .as_deref()
        .and_then(|r| SipMessage::parse(r).ok())
        .and_then(|m| m.status_code());
    Judged {
        report: ProbeReport {
            kind: e.kind,
            call_id: e.call_id.clone(),
            size: e.sent.len(),
            transmissions: e.transmissions,
            outcome,
            status,
            observed,
            changes,
        },
        compared,
        forbidden: status == Some(403) && record.is_none(),
        mirror_error: e.records.as_ref().err().cloned(),
    }
}

/// A record decoded from base64.
struct Record {
    source: SocketAddr,
    received: Vec<u8>,
    sent: Vec<u8>,
}

/// The records that belong to this path (its transport: a Call-ID is unique to one probe,
/// so nothing else can match), decoded. A record that does not decode is no evidence.
fn own_records(path: &PathEvidence, records: &[MirrorRecord]) -> Vec<Record> {
    records
        .iter()
        .filter(|r| r.transport == path.transport)
        .filter_map(|r| {
            Some(Record {
                source: r.source,
                received: BASE64.decode(&r.received).ok()?,
                sent: BASE64.decode(&r.sent).ok()?,
            })
        })
        .collect()
}

/// The record whose answer is the one we got (a retransmission the ALG rewrote differently
/// gets a different answer), else the first.
fn best_record<'r>(records: &'r [Record], response: Option<&[u8]>) -> Option<&'r Record> {
    records
        .iter()
        .find(|r| Some(r.sent.as_slice()) == response)
        .or_else(|| records.first())
}

fn outcome(e: &ProbeEvidence, recorded: bool) -> ProbeOutcome {
    match (e.end, e.response.is_some(), recorded) {
        (ProbeEnd::NotSent, ..) => ProbeOutcome::NotSent,
        (_, true, true) => ProbeOutcome::Answered,
        (_, true, false) => ProbeOutcome::AnsweredWithoutRecord,
        (ProbeEnd::Stream(StreamEndKind::Reset), ..) => ProbeOutcome::Reset,
        (ProbeEnd::Stream(StreamEndKind::Garbled), ..) => ProbeOutcome::Garbled,
        (ProbeEnd::Stream(_), ..) => ProbeOutcome::Closed,
        (_, false, true) => ProbeOutcome::AnswerLost,
        (_, false, false) => ProbeOutcome::Dropped,
    }
}

fn provisional_change(code: u16) -> FieldChange {
    FieldChange {
        direction: Direction::Downstream,
        field: Field::Provisional,
        header: None,
        change: super::report::ChangeKind::Added,
        severity: Severity::Rewrite,
        from: None,
        to: Some(code.to_string()),
        by: None,
        note: "a provisional answer came back, which the reflector never sends: something on \
               the path answers SIP itself, like a proxy"
            .into(),
    }
}

/// What other paths need to know about a path.
struct PathFacts {
    role: PathRole,
    transport: SocketTransport,
    label: String,
    /// At least one probe got through.
    works: bool,
    /// Kinds answered, and kinds lost (dropped or answer lost) on this path.
    answered: Vec<ProbeKind>,
    lost: Vec<ProbeKind>,
}

impl PathFacts {
    fn of(path: &PathEvidence, judged: &[Judged]) -> PathFacts {
        let kinds = |f: fn(ProbeOutcome) -> bool| {
            judged
                .iter()
                .filter(|j| f(j.report.outcome))
                .map(|j| j.report.kind)
                .collect()
        };
        PathFacts {
            role: path.role,
            transport: path.transport,
            label: path_label(path.transport, path.server.port()),
            works: judged.iter().any(|j| j.report.outcome.got_through()),
            answered: kinds(|o| {
                matches!(
                    o,
                    ProbeOutcome::Answered | ProbeOutcome::AnsweredWithoutRecord
                )
            }),
            lost: kinds(|o| matches!(o, ProbeOutcome::Dropped | ProbeOutcome::AnswerLost)),
        }
    }
}

/// `UDP/5060`.
pub(crate) fn path_label(transport: SocketTransport, port: u16) -> String {
    format!("{}/{port}", transport_token(transport))
}

/// Collects a path's verdict: the strongest of the candidates found.
struct Verdicts {
    verdict: Option<AlgVerdict>,
    reasons: Vec<(u8, String)>,
}

impl Verdicts {
    fn add(&mut self, verdict: AlgVerdict, reason: impl Into<String>) {
        if self.verdict.is_none_or(|v| verdict.weight() > v.weight()) {
            self.verdict = Some(verdict);
        }
        self.reasons.push((verdict.weight(), reason.into()));
    }

    /// A reason that does not move the verdict.
    fn note(&mut self, reason: String) {
        self.reasons.push((0, reason));
    }

    /// Strongest reasons first, each once.
    fn reasons(mut self) -> Vec<String> {
        self.reasons.sort_by_key(|(w, _)| std::cmp::Reverse(*w));
        let mut out: Vec<String> = Vec::new();
        for (_, r) in self.reasons {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }
}

fn judge_path(
    path: &PathEvidence,
    judged: Vec<Judged>,
    index: usize,
    facts: &[PathFacts],
) -> PathReport {
    let me = &facts[index];
    let controls: Vec<&PathFacts> = facts
        .iter()
        .enumerate()
        .filter(|(i, f)| *i != index && f.role == PathRole::Control)
        .map(|(_, f)| f)
        .collect();
    let working: Vec<&str> = controls
        .iter()
        .filter(|f| f.works)
        .map(|f| f.label.as_str())
        .collect();
    let mut v = Verdicts {
        verdict: None,
        reasons: Vec::new(),
    };
    if !me.works {
        nothing_through(path, &judged, &working, &mut v);
    } else {
        through(path, &judged, me, &controls, &mut v);
    }
    if let Some(error) = judged.iter().find_map(|j| j.mirror_error.as_deref()) {
        // A gap in the evidence, not a verdict: with no comparison at all, `through` has
        // already said inconclusive.
        v.note(format!(
            "the reflector's records could not be fetched: {error}"
        ));
    }
    let public = judged.iter().find_map(|j| j.report.observed);
    let verdict = v.verdict.unwrap_or(AlgVerdict::Inconclusive);
    PathReport {
        name: path.name.clone(),
        transport: path.transport,
        server: path.server,
        role: path.role,
        local: path.local,
        public,
        verdict,
        reasons: v.reasons(),
        probes: judged.into_iter().map(|j| j.report).collect(),
        stream_end: path.stream_end,
    }
}

/// No probe reached the reflector and nothing answered.
fn nothing_through(path: &PathEvidence, judged: &[Judged], working: &[&str], v: &mut Verdicts) {
    let label = path_label(path.transport, path.server.port());
    let what = match path.stream_end {
        Some(StreamEndKind::ConnectFailed) => format!("could not connect to {label}"),
        _ if path.local.is_none() => format!("could not open a socket for {label}"),
        Some(StreamEndKind::Reset) => {
            format!("{label}: the connection was reset after our first SIP message")
        }
        _ if judged
            .iter()
            .all(|j| j.report.outcome == ProbeOutcome::NotSent) =>
        {
            format!("no probe could be sent to {label}")
        }
        _ => format!("no probe to {label} reached the reflector and nothing answered"),
    };
    if path.role == PathRole::Control {
        v.add(
            AlgVerdict::Inconclusive,
            format!("{what}: this control shows nothing"),
        );
    } else if working.is_empty() {
        v.add(
            AlgVerdict::Inconclusive,
            format!("{what}, and no control path worked either: the reflector may be unreachable"),
        );
    } else {
        let verdict = if path.stream_end == Some(StreamEndKind::Reset) {
            AlgVerdict::Destructive
        } else {
            AlgVerdict::Blocked
        };
        v.add(
            verdict,
            format!("{what}, while {} worked", working.join(" and ")),
        );
    }
}

/// Some probes got through: judge their changes and the ones lost.
fn through(
    path: &PathEvidence,
    judged: &[Judged],
    me: &PathFacts,
    controls: &[&PathFacts],
    v: &mut Verdicts,
) {
    for (severity, text, kinds) in grouped_changes(judged) {
        let reason = format!("{}: {text}", probe_list(&kinds));
        match severity {
            Severity::Destructive => v.add(AlgVerdict::Destructive, reason),
            Severity::Rewrite => v.add(AlgVerdict::Rewriting, reason),
            Severity::Benign => v.add(AlgVerdict::None, format!("{reason} (benign)")),
        }
    }
    lost_probes(path, judged, me, controls, v);
    if let Some(end) = path
        .stream_end
        .filter(|e| *e != StreamEndKind::ConnectFailed)
    {
        let what = match end {
            StreamEndKind::Reset => "reset",
            StreamEndKind::Garbled => "fed bytes that are not SIP",
            _ => "closed",
        };
        v.add(
            AlgVerdict::Destructive,
            format!("the connection was {what} in the middle of the SIP exchange"),
        );
    }
    if judged.iter().any(|j| j.forbidden) {
        v.add(
            AlgVerdict::Inconclusive,
            "the reflector answered 403: it did not accept the session token",
        );
    }
    let compared = judged.iter().filter(|j| j.compared).count();
    if compared == 0 {
        v.add(
            AlgVerdict::Inconclusive,
            "no probe could be compared both ways: the reflector kept no record of them",
        );
    } else if v.verdict.is_none_or(|x| x == AlgVerdict::None) {
        v.add(
            AlgVerdict::None,
            format!("{compared} probes and their answers arrived with every SIP field unchanged"),
        );
    }
}

/// Probes lost while others on the same path got through. An ALG that chokes on some
/// messages (large ones, INVITEs) shows this way; loss that a same-transport control shares is
/// the network's (fragmentation, MTU), not the ALG's.
fn lost_probes(
    path: &PathEvidence,
    judged: &[Judged],
    me: &PathFacts,
    controls: &[&PathFacts],
    v: &mut Verdicts,
) {
    for j in judged.iter().filter(|j| me.lost.contains(&j.report.kind)) {
        let kind = j.report.kind;
        let what = if j.report.outcome == ProbeOutcome::AnswerLost {
            format!("the answer to the {} never came back", kind.label())
        } else {
            format!(
                "the {} ({} bytes) was dropped after {} transmissions",
                kind.label(),
                j.report.size,
                j.report.transmissions
            )
        };
        let same_transport = controls.iter().filter(|c| c.transport == me.transport);
        let lost_on_control: Vec<&str> = same_transport
            .clone()
            .filter(|c| c.lost.contains(&kind))
            .map(|c| c.label.as_str())
            .collect();
        let passed_on: Vec<&str> = same_transport
            .filter(|c| c.answered.contains(&kind))
            .map(|c| c.label.as_str())
            .collect();
        if !lost_on_control.is_empty() {
            v.add(
                AlgVerdict::None,
                format!(
                    "{what}, as on {}: the network loses it, not an ALG",
                    lost_on_control.join(" and ")
                ),
            );
        } else if path.role == PathRole::Control {
            v.add(
                AlgVerdict::Inconclusive,
                format!("{what} while smaller probes passed"),
            );
        } else {
            let control = if passed_on.is_empty() {
                "no control on the same transport to rule out plain loss".to_owned()
            } else {
                format!("{} carried it", passed_on.join(" and "))
            };
            v.add(
                AlgVerdict::Destructive,
                format!("{what} while other probes passed ({control})"),
            );
        }
    }
}

/// The same change seen on several probes is one reason, naming the probes.
fn grouped_changes(judged: &[Judged]) -> Vec<(Severity, String, Vec<ProbeKind>)> {
    let mut groups: Vec<(Severity, String, Vec<ProbeKind>)> = Vec::new();
    for j in judged {
        for c in &j.report.changes {
            let text = change_text(c);
            match groups.iter_mut().find(|g| g.0 == c.severity && g.1 == text) {
                Some(g) if !g.2.contains(&j.report.kind) => g.2.push(j.report.kind),
                Some(_) => {}
                None => groups.push((c.severity, text, vec![j.report.kind])),
            }
        }
    }
    groups
}

/// `REGISTER, INVITE`, or `all probes`.
fn probe_list(kinds: &[ProbeKind]) -> String {
    if kinds.len() == ProbeKind::ALL.len() {
        return "all probes".into();
    }
    let labels: Vec<&str> = kinds.iter().map(|k| k.label()).collect();
    labels.join(", ")
}

/// One line for a change: `Contact rewritten 192.168.1.20:5060 → 203.0.113.5:5060: note`.
fn change_text(c: &FieldChange) -> String {
    let dir = match c.direction {
        Direction::Upstream => "",
        Direction::Downstream => " in the answer",
    };
    let field = c
        .header
        .clone()
        .unwrap_or_else(|| field_name(c.field).to_owned());
    let values = match (&c.from, &c.to) {
        (Some(f), Some(t)) => format!(" {f} → {t}"),
        (None, Some(t)) => format!(" {t}"),
        (Some(f), None) => format!(" {f}"),
        (None, None) => String::new(),
    };
    let change = serde_json::to_value(c.change)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default();
    format!("{field}{dir} {change}{values}: {}", c.note)
}

fn field_name(field: Field) -> &'static str {
    match field {
        Field::RequestLine => "request line",
        Field::StatusLine => "status line",
        Field::Via => "Via",
        Field::ViaSentBy => "Via sent-by",
        Field::ViaReceived => "Via received",
        Field::ViaRport => "Via rport",
        Field::ViaParams => "Via",
        Field::Contact => "Contact",
        Field::From => "From",
        Field::To => "To",
        Field::CallId => "Call-ID",
        Field::CSeq => "CSeq",
        Field::MaxForwards => "Max-Forwards",
        Field::ContentLength => "Content-Length",
        Field::SdpOrigin => "SDP o=",
        Field::SdpConnection => "SDP c=",
        Field::SdpMediaPort => "SDP m= port",
        Field::Sdp => "SDP",
        Field::Body => "body",
        Field::Header => "header",
        Field::HeaderOrder => "header order",
        Field::ObservedHeader => "X-Sipwall-Observed",
        Field::Provisional => "provisional answer",
    }
}

/// The worst tested path decides; a control that shows an ALG too counts (the ALG then is
/// not bound to 5060), and says so.
fn overall(paths: &[PathReport]) -> (AlgVerdict, Vec<String>) {
    let mut notes = Vec::new();
    let tested: Vec<&PathReport> = paths
        .iter()
        .filter(|p| p.role == PathRole::Tested)
        .collect();
    let mut verdict = tested
        .iter()
        .map(|p| p.verdict)
        .max_by_key(|v| v.weight())
        .unwrap_or_else(|| {
            notes.push(
                "the reflector offers no SIP on port 5060, so there was nothing to test".into(),
            );
            AlgVerdict::Inconclusive
        });
    for control in paths.iter().filter(|p| p.role == PathRole::Control) {
        if !matches!(
            control.verdict,
            AlgVerdict::Rewriting | AlgVerdict::Destructive
        ) {
            continue;
        }
        let label = path_label(control.transport, control.server.port());
        notes.push(if control.transport == SocketTransport::Tls {
            format!(
                "the control {label} was changed too: something on the path terminates TLS and \
                 inspects SIP inside it"
            )
        } else {
            format!(
                "the control {label} was changed too: this ALG is not bound to port 5060, so \
                 moving SIP to another port will not avoid it"
            )
        });
        if control.verdict.weight() > verdict.weight() {
            verdict = control.verdict;
        }
    }
    let controls_clean = paths
        .iter()
        .any(|p| p.role == PathRole::Control && p.verdict == AlgVerdict::None);
    if controls_clean && notes.is_empty() {
        let note = match verdict {
            AlgVerdict::Rewriting | AlgVerdict::Destructive => Some(
                "the controls (port 5080, TLS) were untouched: the ALG acts on port 5060 only, \
                 so turning it off, or using another port or TLS, avoids it",
            ),
            AlgVerdict::Blocked => Some(
                "the controls (port 5080, TLS) got through: something blocks SIP on port 5060 \
                 only, so another port or TLS avoids it",
            ),
            _ => None,
        };
        notes.extend(note.map(str::to_owned));
    }
    (verdict, notes)
}

fn summary(verdict: AlgVerdict, paths: &[PathReport]) -> String {
    let part = |p: &PathReport| {
        let label = path_label(p.transport, p.server.port());
        let role = if p.role == PathRole::Control {
            " (control)"
        } else {
            ""
        };
        match p.reasons.first() {
            Some(reason) if p.verdict != AlgVerdict::None => {
                format!("{label}{role}: {} — {reason}", p.verdict.label())
            }
            _ => format!("{label}{role}: {}", p.verdict.label()),
        }
    };
    let parts: Vec<String> = paths.iter().map(part).collect();
    let mut s = String::new();
    s.push_str(match verdict {
        AlgVerdict::None => "No SIP ALG: every field arrived as sent, both ways.",
        AlgVerdict::Rewriting => {
            "A SIP ALG rewrites SIP consistently with the NAT mapping: calls work, but it is best \
             turned off."
        }
        AlgVerdict::Destructive => {
            "A SIP ALG changes SIP in ways that break calls: turn it off (SIP ALG / SIP helper / \
             SIP transformations)."
        }
        AlgVerdict::Blocked => "SIP on port 5060 is blocked while the controls get through.",
        AlgVerdict::Inconclusive => "Not enough evidence to tell whether a SIP ALG is present.",
    });
    if !parts.is_empty() {
        s.push(' ');
        s.push_str(&parts.join("; "));
        s.push('.');
    }
    s
}
