//! Field-by-field comparison of one SIP message before and after it crossed the network.
//!
//! Not a line diff: headers are matched by (canonical) name, addresses are parsed out of
//! URIs, Via entries and SDP lines, and each difference is judged by what was written in.
//! Private IP:port → exactly the public mapping the reflector saw (upstream), or that mapping
//! → our private IP:port (downstream), is a consistent NAT rewrite; anything else that
//! touches an address, a dialog identifier or the body's integrity breaks calls.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use sipwall_proto::sip::{Header, SipMessage, StartLine, canonical_header_name};

use super::fields::{HostPort, SdpView, ViaEntry, split_uri_host};
use super::report::{ChangeKind, Direction, Field, FieldChange, Rewriter, RewriterRole, Severity};

/// The two addresses every judgement is made against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ends {
    /// The private IP and local port written into the probe.
    pub private: SocketAddr,
    /// The public mapping the reflector saw (its record's `source`).
    pub public: SocketAddr,
}

/// Compares a message as sent (`before`) with the same message as it arrived (`after`).
/// Upstream: our probe vs the mirror record's `received`; downstream: the record's `sent`
/// vs the answer we got.
pub fn compare(direction: Direction, before: &[u8], after: &[u8], ends: Ends) -> Vec<FieldChange> {
    let mut c = Comparer {
        direction,
        ends,
        changes: Vec::new(),
    };
    let Ok(a) = SipMessage::parse(before) else {
        // Only our own or the mirror's bytes come here as `before`; both always parse.
        return c.changes;
    };
    match SipMessage::parse(after) {
        Ok(b) => c.messages(&a, &b),
        Err(e) => {
            let field = if a.is_request() {
                Field::RequestLine
            } else {
                Field::StatusLine
            };
            c.push(
                field,
                ChangeKind::Rewritten,
                Severity::Destructive,
                format!("what arrived is no longer a SIP message ({e})"),
            );
        }
    }
    c.changes
}

/// Headers compared by dedicated code; the generic pass only checks their presence, name
/// spelling and order.
const SPECIAL: &[&str] = &[
    "via",
    "contact",
    "from",
    "to",
    "call-id",
    "cseq",
    "max-forwards",
    "content-length",
];

/// Headers whose loss breaks a message.
const ESSENTIAL: &[&str] = &[
    "contact",
    "from",
    "to",
    "call-id",
    "cseq",
    "content-length",
    "content-type",
];

struct Comparer {
    direction: Direction,
    ends: Ends,
    changes: Vec<FieldChange>,
}

impl Comparer {
    fn messages(&mut self, a: &SipMessage<'_>, b: &SipMessage<'_>) {
        self.start_line(a, b);
        let via_added = self.via(a, b);
        for (name, field) in [
            ("Contact", Field::Contact),
            ("From", Field::From),
            ("To", Field::To),
        ] {
            self.address_headers(a, b, name, field);
        }
        self.identifier(a, b, "Call-ID", Field::CallId);
        self.identifier(a, b, "CSeq", Field::CSeq);
        self.max_forwards(a, b);
        self.content_length(a, b);
        self.body(a, b);
        self.other_headers(a, b);
        if self.direction == Direction::Upstream {
            self.left_private(b, via_added);
        }
    }

    fn push(&mut self, field: Field, change: ChangeKind, severity: Severity, note: String) {
        self.push_change(FieldChange {
            direction: self.direction,
            field,
            header: None,
            change,
            severity,
            from: None,
            to: None,
            by: None,
            note,
        });
    }

    fn push_change(&mut self, change: FieldChange) {
        self.changes.push(change);
    }

    /// A value changed from `from` to `to`.
    fn changed(
        &mut self,
        field: Field,
        severity: Severity,
        from: &str,
        to: &str,
        note: impl Into<String>,
    ) {
        self.push_change(FieldChange {
            direction: self.direction,
            field,
            header: None,
            change: ChangeKind::Rewritten,
            severity,
            from: Some(from.to_owned()),
            to: Some(to.to_owned()),
            by: None,
            note: note.into(),
        });
    }

    fn start_line(&mut self, a: &SipMessage<'_>, b: &SipMessage<'_>) {
        match (a.start_line(), b.start_line()) {
            (
                StartLine::Request {
                    method: ma,
                    uri: ua,
                    version: va,
                },
                StartLine::Request {
                    method: mb,
                    uri: ub,
                    version: vb,
                },
            ) => {
                if ma != mb {
                    self.changed(
                        Field::RequestLine,
                        Severity::Destructive,
                        ma,
                        mb,
                        "the method changed",
                    );
                }
                if ua != ub {
                    self.address_value(Field::RequestLine, ua, ub);
                }
                if va != vb {
                    self.changed(
                        Field::RequestLine,
                        Severity::Benign,
                        va,
                        vb,
                        "version re-cased",
                    );
                }
            }
            (
                StartLine::Status {
                    code: ca,
                    reason: ra,
                    ..
                },
                StartLine::Status {
                    code: cb,
                    reason: rb,
                    ..
                },
            ) => {
                if ca != cb {
                    let note = "the status code changed on the way";
                    let (ca, cb) = (ca.to_string(), cb.to_string());
                    self.changed(Field::StatusLine, Severity::Destructive, &ca, &cb, note);
                } else if ra != rb {
                    let note = "reason phrase changed (ignored by SIP)";
                    self.changed(Field::StatusLine, Severity::Benign, ra, rb, note);
                }
            }
            _ => self.push(
                Field::RequestLine,
                ChangeKind::Rewritten,
                Severity::Destructive,
                "a request turned into a response or the other way round".into(),
            ),
        }
    }

    /// Compares the Via entries. Ours is the bottom one of `a` (we send exactly one; the
    /// mirror copies what it received, ours last) and is found in `b` by its branch.
    /// Returns whether an entry was added above ours (a proxying ALG).
    fn via(&mut self, a: &SipMessage<'_>, b: &SipMessage<'_>) -> bool {
        let va: Vec<&str> = a.via_values().collect();
        let vb: Vec<&str> = b.via_values().collect();
        let Some(ours) = va.last().and_then(|v| ViaEntry::parse(v)) else {
            return false;
        };
        let branch = ours.param("branch").flatten();
        let position = vb.iter().position(|v| {
            ViaEntry::parse(v).is_some_and(|e| e.param("branch").flatten() == branch)
        });
        let Some(found) = position.or(vb.len().checked_sub(1)) else {
            self.push(
                Field::Via,
                ChangeKind::Removed,
                Severity::Destructive,
                "every Via is gone: the answer cannot find its way".into(),
            );
            return false;
        };
        let ours_a = va.len() - 1;
        for (i, entry) in vb.iter().enumerate() {
            if i != found && !va[..ours_a].contains(entry) {
                self.via_added(entry, i < found);
            }
        }
        for entry in &va[..ours_a] {
            if !vb.contains(entry) {
                self.via_removed(entry);
            }
        }
        if let Some(theirs) = ViaEntry::parse(vb[found]) {
            self.via_entry(&ours, &theirs);
        }
        (0..found).any(|i| !va[..ours_a].contains(&vb[i]))
    }

    fn via_added(&mut self, entry: &str, above: bool) {
        let sent_by = ViaEntry::parse(entry).map(|e| e.sent_by);
        let note = match (self.direction, above) {
            (Direction::Upstream, true) => {
                "a proxying ALG inserted its own Via: it handles the transaction, and answers \
                 go back through it"
            }
            _ => "a Via entry was added",
        };
        let by = sent_by.as_ref().map(|s| self.rewriter(s));
        self.push_change(FieldChange {
            direction: self.direction,
            field: Field::Via,
            header: None,
            change: ChangeKind::Added,
            severity: Severity::Rewrite,
            from: None,
            to: Some(entry.to_owned()),
            by,
            note: note.into(),
        });
    }

    fn via_removed(&mut self, entry: &str) {
        let note = if self.direction == Direction::Downstream {
            "the Via a proxy added was taken off again, as a proxy does"
        } else {
            "a Via entry was removed"
        };
        self.push_change(FieldChange {
            direction: self.direction,
            field: Field::Via,
            header: None,
            change: ChangeKind::Removed,
            severity: Severity::Rewrite,
            from: Some(entry.to_owned()),
            to: None,
            by: None,
            note: note.into(),
        });
    }

    /// Our Via entry: transport, sent-by and parameters.
    fn via_entry(&mut self, a: &ViaEntry, b: &ViaEntry) {
        if a.protocol != b.protocol {
            let note = "the Via transport changed";
            self.changed(
                Field::ViaParams,
                Severity::Destructive,
                &a.protocol,
                &b.protocol,
                note,
            );
        }
        if a.sent_by != b.sent_by {
            self.judge(Field::ViaSentBy, &a.sent_by, &b.sent_by);
        }
        let mut names: Vec<&str> = a.params.iter().map(|(n, _)| n.as_str()).collect();
        for (n, _) in &b.params {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        for name in names {
            let (pa, pb) = (a.param(name), b.param(name));
            if pa != pb {
                self.via_param(name, pa, pb);
            }
        }
    }

    fn via_param(&mut self, name: &str, pa: Option<Option<&str>>, pb: Option<Option<&str>>) {
        let show = |p: Option<Option<&str>>| match p {
            None => String::new(),
            Some(None) => name.to_owned(),
            Some(Some(v)) => format!("{name}={v}"),
        };
        let (from, to) = (show(pa), show(pb));
        match (name, pa.flatten(), pb.flatten()) {
            ("received", Some(x), Some(y)) => {
                self.judge(Field::ViaReceived, &HostPort::parse(x), &HostPort::parse(y));
            }
            ("rport", Some(x), Some(y)) => self.rport(x, y),
            ("branch", _, _) => self.changed(
                Field::ViaParams,
                Severity::Destructive,
                &from,
                &to,
                "branch changed: the answer can no longer be matched to its transaction",
            ),
            _ => {
                let field = match name {
                    "received" => Field::ViaReceived,
                    "rport" => Field::ViaRport,
                    _ => Field::ViaParams,
                };
                let change = match (pa, pb) {
                    (None, _) => ChangeKind::Added,
                    (_, None) => ChangeKind::Removed,
                    _ => ChangeKind::Rewritten,
                };
                let note = if self.direction == Direction::Upstream {
                    "a middlebox edited our Via parameters, as a proxy or SBC would"
                } else {
                    "the answer's Via parameters were edited on the way back"
                };
                self.push_change(FieldChange {
                    direction: self.direction,
                    field,
                    header: None,
                    change,
                    severity: Severity::Rewrite,
                    from: (!from.is_empty()).then_some(from),
                    to: (!to.is_empty()).then_some(to),
                    by: None,
                    note: note.into(),
                });
            }
        }
    }

    /// `rport=` values: consistent when the mapping's port becomes ours (downstream) or ours
    /// becomes the mapping's (upstream).
    fn rport(&mut self, x: &str, y: &str) {
        let (expect_from, expect_to) = self.expected();
        let consistent = x == expect_from.port().to_string() && y == expect_to.port().to_string();
        let (severity, note) = if consistent {
            (
                Severity::Rewrite,
                "rport rewritten consistently with the mapping",
            )
        } else {
            (
                Severity::Destructive,
                "rport rewritten to a port that is not the mapping's",
            )
        };
        self.changed(Field::ViaRport, severity, x, y, note);
    }

    /// Contact, From, To: the URI's host:port is judged as an address, any other edit breaks
    /// the dialog.
    fn address_headers(&mut self, a: &SipMessage<'_>, b: &SipMessage<'_>, name: &str, f: Field) {
        for (va, vb) in a.headers_named(name).zip(b.headers_named(name)) {
            if va != vb {
                self.address_value(f, va, vb);
            }
        }
    }

    /// A value holding one URI: judge its host:port, then anything else that changed.
    fn address_value(&mut self, field: Field, va: &str, vb: &str) {
        match (split_uri_host(va), split_uri_host(vb)) {
            (Some((ha, rest_a)), Some((hb, rest_b))) => {
                if ha != hb {
                    self.judge(field, &ha, &hb);
                }
                if rest_a != rest_b {
                    let note = "changed beyond its address (user, tag or parameters)";
                    self.changed(field, Severity::Destructive, va, vb, note);
                }
            }
            _ => self.changed(field, Severity::Destructive, va, vb, "changed"),
        }
    }

    /// Call-ID and CSeq identify dialogs and transactions: any change breaks matching.
    fn identifier(&mut self, a: &SipMessage<'_>, b: &SipMessage<'_>, name: &str, field: Field) {
        if let (Some(va), Some(vb)) = (a.header(name), b.header(name))
            && va != vb
        {
            let note = format!("{name} changed: requests and answers can no longer be matched");
            self.changed(field, Severity::Destructive, va, vb, note);
        }
    }

    fn max_forwards(&mut self, a: &SipMessage<'_>, b: &SipMessage<'_>) {
        let (Some(va), Some(vb)) = (a.header("Max-Forwards"), b.header("Max-Forwards")) else {
            return;
        };
        if va == vb {
            return;
        }
        let decremented = matches!(
            (va.parse::<u32>(), vb.parse::<u32>()),
            (Ok(x), Ok(y)) if y < x
        );
        let (change, note) = if decremented {
            (
                ChangeKind::Decremented,
                "something on the path forwarded the request as a SIP proxy",
            )
        } else {
            (ChangeKind::Rewritten, "changed on the way")
        };
        self.push_change(FieldChange {
            direction: self.direction,
            field: Field::MaxForwards,
            header: None,
            change,
            severity: Severity::Rewrite,
            from: Some(va.to_owned()),
            to: Some(vb.to_owned()),
            by: None,
            note: note.into(),
        });
    }

    /// Content-Length must describe the body that arrived; a rewrite that changes the body
    /// must update it (UDP receivers cut or reject the rest, stream receivers lose framing).
    fn content_length(&mut self, a: &SipMessage<'_>, b: &SipMessage<'_>) {
        let declared_a = a.header("Content-Length");
        let declared_b = b.header("Content-Length");
        let actual = b.body().len();
        let consistent = match b.content_length() {
            Ok(Some(n)) => n == actual,
            Ok(None) => true,
            Err(_) => false,
        };
        if !consistent {
            self.push_change(FieldChange {
                direction: self.direction,
                field: Field::ContentLength,
                header: None,
                change: ChangeKind::Inconsistent,
                severity: Severity::Destructive,
                from: declared_a.map(str::to_owned),
                to: declared_b.map(str::to_owned),
                by: None,
                note: format!(
                    "Content-Length says {} but the body that arrived has {actual} bytes: the \
                     receiver cuts the body or loses the stream's framing",
                    declared_b.unwrap_or("?")
                ),
            });
        } else if let (Some(x), Some(y)) = (declared_a, declared_b)
            && x != y
        {
            let note = "updated to match the rewritten body";
            self.changed(Field::ContentLength, Severity::Rewrite, x, y, note);
        }
    }

    fn body(&mut self, a: &SipMessage<'_>, b: &SipMessage<'_>) {
        let (ba, bb) = (a.body(), b.body());
        if ba == bb {
            return;
        }
        if bb.len() < ba.len() && ba.starts_with(bb) {
            let field = if is_sdp(a) { Field::Sdp } else { Field::Body };
            self.push_change(FieldChange {
                direction: self.direction,
                field,
                header: None,
                change: ChangeKind::Truncated,
                severity: Severity::Destructive,
                from: Some(format!("{} bytes", ba.len())),
                to: Some(format!("{} bytes", bb.len())),
                by: None,
                note: "the body arrived cut short".into(),
            });
            return;
        }
        if is_sdp(a) {
            self.sdp(&SdpView::parse(ba), &SdpView::parse(bb));
        } else {
            let note = "the body changed";
            let (x, y) = (format!("{} bytes", ba.len()), format!("{} bytes", bb.len()));
            self.changed(Field::Body, Severity::Destructive, &x, &y, note);
        }
    }

    fn sdp(&mut self, a: &SdpView, b: &SdpView) {
        if let (Some(x), Some(y)) = (&a.origin, &b.origin)
            && x != y
        {
            self.judge(Field::SdpOrigin, &HostPort::parse(x), &HostPort::parse(y));
        }
        for (x, y) in a.connections.iter().zip(&b.connections) {
            if x != y {
                self.judge(
                    Field::SdpConnection,
                    &HostPort::parse(x),
                    &HostPort::parse(y),
                );
            }
        }
        for ((media, x), (_, y)) in a.media_ports.iter().zip(&b.media_ports) {
            if x != y {
                let note = format!(
                    "{media} is now announced on a port the phone does not listen on: audio \
                     depends on the ALG's own pinhole (one-way or no audio when it and the \
                     provider's media handling disagree)"
                );
                self.changed(Field::SdpMediaPort, Severity::Destructive, x, y, note);
            }
        }
        if a.skeleton != b.skeleton {
            let first = a
                .skeleton
                .iter()
                .zip(&b.skeleton)
                .find(|(x, y)| x != y)
                .map(|(x, y)| (x.clone(), y.clone()))
                .unwrap_or_else(|| {
                    let count = |v: &SdpView| format!("{} lines", v.skeleton.len());
                    (count(a), count(b))
                });
            let note = "the SDP was changed beyond its addresses and ports";
            self.changed(Field::Sdp, Severity::Destructive, &first.0, &first.1, note);
        }
    }

    /// Headers added or removed, re-cased or compact, re-ordered, and the values of the
    /// headers no dedicated check looks at.
    fn other_headers(&mut self, a: &SipMessage<'_>, b: &SipMessage<'_>) {
        let la = keyed_headers(a);
        let lb = keyed_headers(b);
        let index_b: BTreeMap<(String, usize), usize> =
            lb.iter().enumerate().map(|(i, h)| (h.key(), i)).collect();
        let index_a: BTreeMap<(String, usize), usize> =
            la.iter().enumerate().map(|(i, h)| (h.key(), i)).collect();
        for ha in &la {
            match index_b.get(&ha.key()) {
                Some(&j) => self.header_pair(ha, &lb[j]),
                None => self.header_presence(ha, ChangeKind::Removed),
            }
        }
        for hb in &lb {
            if !index_a.contains_key(&hb.key()) {
                self.header_presence(hb, ChangeKind::Added);
            }
        }
        // Positions in `b` of `a`'s headers that survived, in `a`'s order; those off the
        // longest increasing run are the ones that moved.
        let kept: Vec<(usize, usize)> = la
            .iter()
            .enumerate()
            .filter_map(|(i, h)| index_b.get(&h.key()).map(|&j| (i, j)))
            .collect();
        let stay = longest_increasing(&kept.iter().map(|&(_, j)| j).collect::<Vec<_>>());
        for (n, &(i, j)) in kept.iter().enumerate() {
            if !stay.contains(&n) {
                self.moved(&la, i, &lb, j);
            }
        }
    }

    fn header_pair(&mut self, ha: &KeyedHeader<'_>, hb: &KeyedHeader<'_>) {
        if ha.raw_name != hb.raw_name {
            let note = if ha.raw_name.len() == 1 || hb.raw_name.len() == 1 {
                "the header name switched between compact and full form (SIP does not care)"
            } else {
                "the header name was re-cased (SIP header names are case-insensitive)"
            };
            self.push_change(FieldChange {
                direction: self.direction,
                field: header_field(&ha.canon),
                header: Some(ha.display.to_owned()),
                change: ChangeKind::Recased,
                severity: Severity::Benign,
                from: Some(ha.raw_name.to_owned()),
                to: Some(hb.raw_name.to_owned()),
                by: None,
                note: note.into(),
            });
        }
        if !SPECIAL.contains(&ha.canon.as_str()) && ha.value != hb.value {
            let field = header_field(&ha.canon);
            let note = if field == Field::ObservedHeader {
                "the reflector's own header was rewritten: a text-replacing ALG that edits \
                 more than SIP fields"
            } else {
                "header value changed by the path"
            };
            self.push_change(FieldChange {
                direction: self.direction,
                field,
                header: Some(ha.display.to_owned()),
                change: ChangeKind::Rewritten,
                severity: Severity::Rewrite,
                from: Some(ha.value.to_owned()),
                to: Some(hb.value.to_owned()),
                by: None,
                note: note.into(),
            });
        }
    }

    fn header_presence(&mut self, h: &KeyedHeader<'_>, change: ChangeKind) {
        let (severity, note) = match change {
            ChangeKind::Removed if ESSENTIAL.contains(&h.canon.as_str()) => (
                Severity::Destructive,
                "a header the message needs was removed",
            ),
            ChangeKind::Removed => (Severity::Rewrite, "header removed by the path"),
            _ => (Severity::Rewrite, "header added by the path"),
        };
        let value = Some(h.value.to_owned());
        let (from, to) = match change {
            ChangeKind::Removed => (value, None),
            _ => (None, value),
        };
        self.push_change(FieldChange {
            direction: self.direction,
            field: header_field(&h.canon),
            header: Some(h.display.to_owned()),
            change,
            severity,
            from,
            to,
            by: None,
            note: note.into(),
        });
    }

    fn moved(&mut self, la: &[KeyedHeader<'_>], i: usize, lb: &[KeyedHeader<'_>], j: usize) {
        let after = |list: &[KeyedHeader<'_>], k: usize| match k.checked_sub(1) {
            Some(p) => format!("after {}", list[p].display),
            None => "first".to_owned(),
        };
        self.push_change(FieldChange {
            direction: self.direction,
            field: Field::HeaderOrder,
            header: Some(la[i].display.to_owned()),
            change: ChangeKind::Reordered,
            severity: Severity::Benign,
            from: Some(after(la, i)),
            to: Some(after(lb, j)),
            by: None,
            note: "header moved (order matters only among headers of the same name)".into(),
        });
    }

    /// Fields that still carry the private address although others were rewritten to the
    /// public one: a half-done rewrite leaves the provider with unreachable addresses.
    fn left_private(&mut self, b: &SipMessage<'_>, via_added: bool) {
        let routing = [
            Field::Via,
            Field::ViaSentBy,
            Field::Contact,
            Field::SdpConnection,
            Field::SdpOrigin,
        ];
        let rewrote_public = self.changes.iter().any(|c| {
            routing.contains(&c.field)
                && c.by.as_ref().is_some_and(|r| {
                    matches!(
                        r.role,
                        RewriterRole::PublicMapping | RewriterRole::PublicIpOtherPort
                    )
                })
        });
        if !rewrote_public {
            return;
        }
        let private_ip = self.ends.private.ip().to_canonical();
        let is_private = |h: &HostPort| h.ip() == Some(private_ip);
        let mut left: Vec<(Field, String, &str)> = Vec::new();
        if !via_added
            && let Some(via) = b.via_values().last().and_then(ViaEntry::parse)
            && is_private(&via.sent_by)
        {
            let why = "answers go to an unreachable address unless the provider uses rport";
            left.push((Field::ViaSentBy, via.sent_by.to_string(), why));
        }
        for contact in b.headers_named("Contact") {
            if let Some((h, _)) = split_uri_host(contact)
                && is_private(&h)
            {
                let why = "calls and in-dialog requests to the phone go to an unreachable address";
                left.push((Field::Contact, h.to_string(), why));
            }
        }
        if is_sdp(b) {
            for c in SdpView::parse(b.body()).connections {
                if is_private(&HostPort::parse(&c)) {
                    let why = "media is sent to an unreachable address (one-way audio)";
                    left.push((Field::SdpConnection, c, why));
                }
            }
        }
        for (field, address, why) in left {
            self.push_change(FieldChange {
                direction: self.direction,
                field,
                header: None,
                change: ChangeKind::NotRewritten,
                severity: Severity::Destructive,
                from: None,
                to: Some(address),
                by: None,
                note: format!(
                    "still the private address while other fields were rewritten to the public \
                     one: {why}"
                ),
            });
        }
    }

    /// Which address a field should have had before, and after, a consistent rewrite.
    fn expected(&self) -> (SocketAddr, SocketAddr) {
        match self.direction {
            Direction::Upstream => (self.ends.private, self.ends.public),
            Direction::Downstream => (self.ends.public, self.ends.private),
        }
    }

    /// Whose address `to` is.
    fn rewriter(&self, to: &HostPort) -> Rewriter {
        let Ends { private, public } = self.ends;
        let role = match to.ip() {
            Some(ip) if ip == public.ip().to_canonical() => {
                if to.port.is_none_or(|p| p == public.port()) {
                    RewriterRole::PublicMapping
                } else {
                    RewriterRole::PublicIpOtherPort
                }
            }
            Some(ip) if ip == private.ip().to_canonical() => RewriterRole::PrivateAddress,
            _ => RewriterRole::OtherAddress,
        };
        Rewriter {
            address: to.to_string(),
            role,
        }
    }

    /// An address field changed from `from` to `to`: consistent with the mapping, or not.
    fn judge(&mut self, field: Field, from: &HostPort, to: &HostPort) {
        let (expect_from, expect_to) = self.expected();
        let by = self.rewriter(to);
        let port_kept = from.port.is_none() || to.port.is_some();
        let (severity, note) = if !from.is(expect_from) {
            (
                Severity::Destructive,
                format!("rewrote {from}, which was not the address this flow carries"),
            )
        } else if to.is(expect_to) && port_kept {
            let note = match self.direction {
                Direction::Upstream => {
                    "our private address became exactly the public mapping \
                                        the reflector saw (a consistent NAT rewrite)"
                }
                Direction::Downstream => {
                    "the public mapping became our private address again \
                                          on the way in (a consistent NAT rewrite)"
                }
            };
            (Severity::Rewrite, note.to_owned())
        } else if by.role == RewriterRole::PublicIpOtherPort {
            (
                Severity::Destructive,
                format!(
                    "rewritten to {to}, but the reflector saw this flow come from port {}: \
                     answers and calls sent to {to} go nowhere",
                    self.ends.public.port()
                ),
            )
        } else {
            (
                Severity::Destructive,
                format!(
                    "rewritten to {to}, which is neither our private {} nor the public mapping \
                     {} the reflector saw",
                    self.ends.private, self.ends.public
                ),
            )
        };
        self.push_change(FieldChange {
            direction: self.direction,
            field,
            header: None,
            change: ChangeKind::Rewritten,
            severity,
            from: Some(from.to_string()),
            to: Some(to.to_string()),
            by: Some(by),
            note,
        });
    }
}

fn is_sdp(m: &SipMessage<'_>) -> bool {
    m.header("Content-Type").is_some_and(|ct| {
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/sdp")
    })
}

/// A header with its canonical lower-case name and its occurrence number among headers of
/// that name. Via is left out: `Comparer::via` compares entries, whatever the line layout.
struct KeyedHeader<'a> {
    canon: String,
    display: &'a str,
    raw_name: &'a str,
    value: &'a str,
    occurrence: usize,
}

impl KeyedHeader<'_> {
    fn key(&self) -> (String, usize) {
        (self.canon.clone(), self.occurrence)
    }
}

fn keyed_headers<'a>(m: &'a SipMessage<'_>) -> Vec<KeyedHeader<'a>> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    m.headers()
        .iter()
        .filter(|h| !h.is("Via"))
        .map(|h: &'a Header<'_>| {
            let display = canonical_header_name(h.name()).unwrap_or(h.name());
            let canon = display.to_ascii_lowercase();
            let n = seen.entry(canon.clone()).or_default();
            *n += 1;
            KeyedHeader {
                canon,
                display,
                raw_name: h.raw_name(),
                value: h.value(),
                occurrence: *n,
            }
        })
        .collect()
}

fn header_field(canon: &str) -> Field {
    match canon {
        "contact" => Field::Contact,
        "from" => Field::From,
        "to" => Field::To,
        "call-id" => Field::CallId,
        "cseq" => Field::CSeq,
        "max-forwards" => Field::MaxForwards,
        "content-length" => Field::ContentLength,
        "x-sipwall-observed" => Field::ObservedHeader,
        _ => Field::Header,
    }
}

/// Indices (into `values`) of one longest strictly increasing subsequence. Header lists are
/// short, so the quadratic version is plenty.
fn longest_increasing(values: &[usize]) -> Vec<usize> {
    let n = values.len();
    let mut len = vec![1usize; n];
    let mut prev = vec![usize::MAX; n];
    for i in 0..n {
        for j in 0..i {
            if values[j] < values[i] && len[j] + 1 > len[i] {
                len[i] = len[j] + 1;
                prev[i] = j;
            }
        }
    }
    let Some(mut at) = (0..n).max_by_key(|&i| (len[i], std::cmp::Reverse(i))) else {
        return Vec::new();
    };
    let mut out = vec![at];
    while prev[at] != usize::MAX {
        at = prev[at];
        out.push(at);
    }
    out
}
