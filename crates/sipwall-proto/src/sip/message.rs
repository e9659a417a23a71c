//! A lenient, zero-copy view of one SIP message (RFC 3261 §7) and stream framing (§18.3).
//!
//! Lenient because the point of sipwall is to look at what ALGs and odd phones put on the
//! wire: CRLF and bare LF line ends, compact header names, folded headers and any header
//! name are all accepted. Strict where sloppiness would be ambiguous: the head must be UTF-8,
//! every header line needs a colon, the version must be `SIP/2.0` and the head must end with
//! a blank line.

use std::borrow::Cow;
use std::ops::Range;

/// The largest message (head and body) accepted, in bytes.
pub const MAX_MESSAGE: usize = 16 * 1024;
/// The most header fields (logical headers, after folding) accepted in one message.
pub const MAX_HEADERS: usize = 256;

/// Why bytes are not a SIP message. Line numbers count physical lines from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SipError {
    /// No bytes, or only line ends.
    #[error("empty message")]
    Empty,
    /// The head (start line and headers) must be UTF-8; the body may be anything.
    #[error("line {line}: the message head is not UTF-8")]
    NotUtf8 {
        /// Where the first invalid byte is.
        line: usize,
    },
    /// Neither `METHOD URI SIP/2.0` nor `SIP/2.0 CODE REASON`.
    #[error("line {line}: bad start line (want `METHOD URI SIP/2.0` or `SIP/2.0 CODE REASON`)")]
    BadStartLine {
        /// The start line's number (after skipped leading line ends).
        line: usize,
    },
    /// A header line has no `:`.
    #[error("line {line}: header line without a colon")]
    MissingColon {
        /// The offending line.
        line: usize,
    },
    /// The text before the colon is empty or not an RFC 3261 token.
    #[error("line {line}: empty or invalid header name")]
    BadHeaderName {
        /// The offending line.
        line: usize,
    },
    /// A line starting with SP/HT right after the start line: nothing to continue.
    #[error("line {line}: continuation line before any header")]
    OrphanContinuation {
        /// The offending line.
        line: usize,
    },
    /// More than [`MAX_MESSAGE`] bytes (or declared so by Content-Length on a stream).
    #[error("message larger than {MAX_MESSAGE} bytes")]
    TooLarge,
    /// More than [`MAX_HEADERS`] header fields.
    #[error("more than {MAX_HEADERS} headers")]
    TooManyHeaders,
    /// The head is not ended by an empty line.
    #[error("no blank line ends the message head")]
    UnterminatedHead,
    /// Content-Length is not a decimal number, or two Content-Length headers disagree.
    #[error("line {line}: bad Content-Length")]
    BadContentLength {
        /// The offending header's line.
        line: usize,
    },
}

/// The first line of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `METHOD Request-URI SIP/2.0`.
    Request {
        /// The method, case-sensitive (RFC 3261 §7.1).
        method: &'a str,
        /// The Request-URI, as written.
        uri: &'a str,
        /// The version as written (`SIP/2.0` in any case).
        version: &'a str,
    },
    /// `SIP/2.0 Status-Code Reason-Phrase`.
    Status {
        /// The version as written.
        version: &'a str,
        /// 100..=699.
        code: u16,
        /// The reason phrase, possibly empty.
        reason: &'a str,
    },
}

/// One header field, in the order it appeared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    raw_name: &'a str,
    name: &'a str,
    value: Cow<'a, str>,
    raw: &'a str,
    range: Range<usize>,
    line: usize,
}

impl<'a> Header<'a> {
    /// The name as written (e.g. `v`, `VIA`).
    pub fn raw_name(&self) -> &'a str {
        self.raw_name
    }

    /// The canonical name for compact forms and well-known headers (`v`, `VIA` → `Via`), else
    /// the name as written.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The value with surrounding SP/HT trimmed; folded lines are joined with one space.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The value as a slice of the input, which it is unless folding joined several
    /// non-empty lines.
    pub fn borrowed_value(&self) -> Option<&'a str> {
        match self.value {
            Cow::Borrowed(v) => Some(v),
            Cow::Owned(_) => None,
        }
    }

    /// The whole header as written: from the name to the end of its last continuation line,
    /// without the final line end.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// Where [`Header::raw`] is in the parsed bytes.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// The physical line (from 1) the header starts on.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Whether this header has the given name (any case, compact or full form).
    pub fn is(&self, name: &str) -> bool {
        self.is_canonical(canonical_header_name(name).unwrap_or(name))
    }

    fn is_canonical(&self, canonical: &str) -> bool {
        self.name.eq_ignore_ascii_case(canonical)
    }
}

/// RFC 3261 §7.3.3 compact forms (and later RFCs' ones registered with IANA).
const COMPACT: &[(u8, &str)] = &[
    (b'a', "Accept-Contact"),
    (b'b', "Referred-By"),
    (b'c', "Content-Type"),
    (b'd', "Request-Disposition"),
    (b'e', "Content-Encoding"),
    (b'f', "From"),
    (b'i', "Call-ID"),
    (b'j', "Reject-Contact"),
    (b'k', "Supported"),
    (b'l', "Content-Length"),
    (b'm', "Contact"),
    (b'o', "Event"),
    (b'r', "Refer-To"),
    (b's', "Subject"),
    (b't', "To"),
    (b'u', "Allow-Events"),
    (b'v', "Via"),
    (b'x', "Session-Expires"),
];

/// Full names given their usual spelling; compact forms map to these too.
const KNOWN: &[&str] = &[
    "Accept",
    "Allow",
    "Authorization",
    "CSeq",
    "Expires",
    "Max-Forwards",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Record-Route",
    "Require",
    "Route",
    "Server",
    "Unsupported",
    "User-Agent",
    "WWW-Authenticate",
    "Warning",
    "Min-Expires",
    "P-Asserted-Identity",
    "Privacy",
    "Reason",
    "X-Sipwall-Probe",
    "X-Sipwall-Observed",
];

/// The canonical spelling of a header name: compact forms expanded (`i` → `Call-ID`),
/// well-known names in their usual case (`call-id` → `Call-ID`). `None` for other names.
pub fn canonical_header_name(name: &str) -> Option<&'static str> {
    if let [letter] = name.as_bytes() {
        let letter = letter.to_ascii_lowercase();
        return COMPACT
            .iter()
            .find(|(c, _)| *c == letter)
            .map(|(_, full)| *full);
    }
    COMPACT
        .iter()
        .map(|(_, full)| *full)
        .chain(KNOWN.iter().copied())
        .find(|full| full.eq_ignore_ascii_case(name))
}

/// A parsed message borrowing the input bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipMessage<'a> {
    bytes: &'a [u8],
    start: StartLine<'a>,
    headers: Vec<Header<'a>>,
    body_start: usize,
}

impl<'a> SipMessage<'a> {
    /// Parses one message. Leading line ends are skipped (RFC 3261 §7.5). The body is every
    /// byte after the blank line; Content-Length is not checked here (see
    /// [`SipMessage::content_length`] and [`stream_message_len`]).
    pub fn parse(bytes: &'a [u8]) -> Result<SipMessage<'a>, SipError> {
        if bytes.len() > MAX_MESSAGE {
            return Err(SipError::TooLarge);
        }
        let mut pos = 0;
        let mut line_no = 1;
        while let Some(line) = next_line(bytes, pos)
            && line.is_empty()
        {
            pos = line.next;
            line_no += 1;
        }
        if pos == bytes.len() {
            return Err(SipError::Empty);
        }
        let head_end = find_head_end(bytes, pos).ok_or(SipError::UnterminatedHead)?;
        let head = std::str::from_utf8(&bytes[pos..head_end]).map_err(|e| SipError::NotUtf8 {
            line: line_no + count_lf(&bytes[pos..pos + e.valid_up_to()]),
        })?;

        let mut lines = HeadLines { head, at: 0 };
        let Some((first, _)) = lines.next() else {
            return Err(SipError::Empty); // unreachable: the head has a non-empty first line
        };
        let start = parse_start_line(first).ok_or(SipError::BadStartLine { line: line_no })?;

        let mut headers: Vec<Header<'a>> = Vec::new();
        let mut pending: Option<Pending<'a>> = None;
        for (line, (text, offset)) in (line_no + 1..).zip(lines) {
            if text.is_empty() {
                break; // the blank line ending the head
            }
            if text.starts_with([' ', '\t']) {
                // RFC 3261 §7.3.1: a continuation of the previous header's value.
                let p = pending
                    .as_mut()
                    .ok_or(SipError::OrphanContinuation { line })?;
                p.continue_with(trim_lws(text));
                p.end = offset + text.len();
                continue;
            }
            if let Some(p) = pending.take() {
                push_header(&mut headers, p.finish(head, pos))?;
            }
            let colon = text.find(':').ok_or(SipError::MissingColon { line })?;
            let raw_name = text[..colon].trim_end_matches([' ', '\t']);
            if raw_name.is_empty() || !raw_name.bytes().all(is_token_byte) {
                return Err(SipError::BadHeaderName { line });
            }
            pending = Some(Pending {
                raw_name,
                first: trim_lws(&text[colon + 1..]),
                joined: None,
                start: offset,
                end: offset + text.len(),
                line,
            });
        }
        if let Some(p) = pending.take() {
            push_header(&mut headers, p.finish(head, pos))?;
        }
        Ok(SipMessage {
            bytes,
            start,
            headers,
            body_start: head_end,
        })
    }

    /// The bytes this message was parsed from.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The request or status line.
    pub fn start_line(&self) -> &StartLine<'a> {
        &self.start
    }

    /// Whether this is a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// A request's method.
    pub fn method(&self) -> Option<&'a str> {
        match self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Status { .. } => None,
        }
    }

    /// A response's status code.
    pub fn status_code(&self) -> Option<u16> {
        match self.start {
            StartLine::Status { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// Every header, in order.
    pub fn headers(&self) -> &[Header<'a>] {
        &self.headers
    }

    /// The first header with this name (any case; compact and full forms are the same).
    pub fn find_header(&self, name: &str) -> Option<&Header<'a>> {
        let name = canonical_header_name(name).unwrap_or(name);
        self.headers.iter().find(|h| h.is_canonical(name))
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.find_header(name).map(Header::value)
    }

    /// Every value of a header, in order. A line with commas is one value.
    pub fn headers_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        let name = canonical_header_name(name).unwrap_or(name);
        self.headers
            .iter()
            .filter(move |h| h.is_canonical(name))
            .map(Header::value)
    }

    /// Every Via entry, top first: each Via header split at commas outside quotes and `<>`.
    pub fn via_values(&self) -> impl Iterator<Item = &str> + '_ {
        self.headers_named("Via").flat_map(split_top_level_commas)
    }

    /// The length of the head including the blank line: where the body starts.
    pub fn head_len(&self) -> usize {
        self.body_start
    }

    /// Every byte after the blank line.
    pub fn body(&self) -> &'a [u8] {
        &self.bytes[self.body_start..]
    }

    /// The Content-Length header's value, `None` without one. Several Content-Length headers
    /// must agree (differing ones are how stream desynchronisation attacks start).
    pub fn content_length(&self) -> Result<Option<usize>, SipError> {
        let mut found = None;
        for h in self
            .headers
            .iter()
            .filter(|h| h.is_canonical("Content-Length"))
        {
            let v = h.value();
            let bad = SipError::BadContentLength { line: h.line };
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad);
            }
            let n: usize = v.parse().map_err(|_| bad)?;
            match found {
                Some(prev) if prev != n => return Err(bad),
                _ => found = Some(n),
            }
        }
        Ok(found)
    }
}

/// One frame at the start of a stream (TCP/TLS) buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamFrame {
    /// Not enough bytes to decide.
    NeedMore,
    /// The buffer starts with this many bytes of line ends (CRLF or LF), to skip: RFC 5626
    /// §4.4.1 keepalives. At most two line ends are reported at once and a lone one waits for
    /// the next byte, so the frames do not depend on how the bytes were split. `Keepalive(4)`
    /// is exactly a `\r\n\r\n` ping, which a stream server answers with a `\r\n` pong.
    Keepalive(usize),
    /// A whole message of this many bytes starts the buffer.
    Complete(usize),
    /// The stream cannot be framed any more; close the connection.
    Invalid(SipError),
}

/// Frames a stream buffer (RFC 3261 §18.3): a message is its head up to the blank line plus
/// Content-Length body bytes (a missing Content-Length counts as 0). The head is parsed, so a
/// malformed head is [`StreamFrame::Invalid`], as is anything over [`MAX_MESSAGE`].
pub fn stream_message_len(buffer: &[u8]) -> StreamFrame {
    match line_end_at(buffer, 0) {
        LineEnd::Partial => return StreamFrame::NeedMore,
        LineEnd::BareCr => return StreamFrame::Invalid(SipError::BadStartLine { line: 1 }),
        LineEnd::Yes(first) => {
            // Wait for the next byte: a second line end makes this a ping.
            return match line_end_at(buffer, first) {
                LineEnd::Partial => StreamFrame::NeedMore,
                LineEnd::Yes(second) => StreamFrame::Keepalive(first + second),
                LineEnd::No | LineEnd::BareCr => StreamFrame::Keepalive(first),
            };
        }
        LineEnd::No => {}
    }
    let window = &buffer[..buffer.len().min(MAX_MESSAGE)];
    let Some(head_end) = find_head_end(window, 0) else {
        return if buffer.len() >= MAX_MESSAGE {
            StreamFrame::Invalid(SipError::TooLarge)
        } else {
            StreamFrame::NeedMore
        };
    };
    let body_len = match SipMessage::parse(&buffer[..head_end]).and_then(|m| m.content_length()) {
        Ok(n) => n.unwrap_or(0),
        Err(e) => return StreamFrame::Invalid(e),
    };
    match head_end.checked_add(body_len) {
        Some(total) if total <= MAX_MESSAGE => {
            if buffer.len() < total {
                StreamFrame::NeedMore
            } else {
                StreamFrame::Complete(total)
            }
        }
        _ => StreamFrame::Invalid(SipError::TooLarge),
    }
}

/// Splits a header value at commas outside quoted strings and `<...>`, trimming each part and
/// skipping empty ones: `a, "x,y" <sip:b>, c` → `a`, `"x,y" <sip:b>`, `c`.
pub fn split_top_level_commas(value: &str) -> impl Iterator<Item = &str> {
    split_top_level(value, b',')
        .map(trim_lws)
        .filter(|s| !s.is_empty())
}

/// Splits at `sep` outside quoted strings and `<...>`, keeping every part as written.
pub(crate) fn split_top_level(value: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(value);
    std::iter::from_fn(move || {
        let r = rest?;
        match find_top_level(r, sep) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The index of the first `sep` outside quoted strings (with `\` escapes) and `<...>`.
pub(crate) fn find_top_level(value: &str, sep: u8) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut angle = 0usize;
    for (i, b) in value.bytes().enumerate() {
        if in_quotes {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_quotes = true,
            b'<' => angle += 1,
            b'>' => angle = angle.saturating_sub(1),
            _ if b == sep && angle == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// Trims SP and HT (SIP's linear white space once line ends are gone).
pub(crate) fn trim_lws(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// A header being collected; folding may still extend it.
struct Pending<'a> {
    raw_name: &'a str,
    first: &'a str,
    joined: Option<String>,
    /// Offsets in the head string.
    start: usize,
    end: usize,
    line: usize,
}

impl<'a> Pending<'a> {
    fn continue_with(&mut self, part: &'a str) {
        if part.is_empty() {
            return;
        }
        match &mut self.joined {
            Some(j) => {
                j.push(' ');
                j.push_str(part);
            }
            None if self.first.is_empty() => self.first = part,
            None => self.joined = Some(format!("{} {}", self.first, part)),
        }
    }

    /// `head` starts at byte `base` of the input.
    fn finish(self, head: &'a str, base: usize) -> Header<'a> {
        Header {
            raw_name: self.raw_name,
            name: canonical_header_name(self.raw_name).unwrap_or(self.raw_name),
            value: match self.joined {
                Some(j) => Cow::Owned(j),
                None => Cow::Borrowed(self.first),
            },
            raw: &head[self.start..self.end],
            range: base + self.start..base + self.end,
            line: self.line,
        }
    }
}

fn push_header<'a>(headers: &mut Vec<Header<'a>>, h: Header<'a>) -> Result<(), SipError> {
    if headers.len() >= MAX_HEADERS {
        return Err(SipError::TooManyHeaders);
    }
    headers.push(h);
    Ok(())
}

fn parse_start_line(line: &str) -> Option<StartLine<'_>> {
    let (first, rest) = line.split_once([' ', '\t'])?;
    if first.eq_ignore_ascii_case("SIP/2.0") {
        let rest = rest.trim_start_matches([' ', '\t']);
        let (code, reason) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let code: u16 = code.parse().ok()?;
        if !(100..=699).contains(&code) {
            return None;
        }
        return Some(StartLine::Status {
            version: first,
            code,
            reason: trim_lws(reason),
        });
    }
    let mut parts = line.split_ascii_whitespace();
    let (method, uri, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || !method.bytes().all(is_token_byte)
        || !version.eq_ignore_ascii_case("SIP/2.0")
    {
        return None;
    }
    Some(StartLine::Request {
        method,
        uri,
        version,
    })
}

/// RFC 3261 §25.1 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// One physical line: `start..end` without its line end, `next` after it.
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

impl Line {
    fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The line starting at `from`, if its LF has arrived.
fn next_line(bytes: &[u8], from: usize) -> Option<Line> {
    let rest = bytes.get(from..)?;
    let lf = rest.iter().position(|&b| b == b'\n')?;
    let mut end = from + lf;
    if end > from && bytes[end - 1] == b'\r' {
        end -= 1;
    }
    Some(Line {
        start: from,
        end,
        next: from + lf + 1,
    })
}

/// The offset just after the first empty line at or after `from`.
fn find_head_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    loop {
        let line = next_line(bytes, pos)?;
        if line.is_empty() {
            return Some(line.next);
        }
        pos = line.next;
    }
}

fn count_lf(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Lines of a head string with their offsets, line ends removed.
struct HeadLines<'a> {
    head: &'a str,
    at: usize,
}

impl<'a> Iterator for HeadLines<'a> {
    type Item = (&'a str, usize);

    fn next(&mut self) -> Option<(&'a str, usize)> {
        let line = next_line(self.head.as_bytes(), self.at)?;
        self.at = line.next;
        // Offsets are at ASCII line ends, so always on char boundaries.
        Some((self.head.get(line.start..line.end)?, line.start))
    }
}

enum LineEnd {
    /// A CRLF or bare LF of this many bytes.
    Yes(usize),
    /// Some other byte.
    No,
    /// A CR followed by something other than LF.
    BareCr,
    /// The buffer ends before it can tell.
    Partial,
}

fn line_end_at(buffer: &[u8], at: usize) -> LineEnd {
    match buffer.get(at) {
        None => LineEnd::Partial,
        Some(b'\n') => LineEnd::Yes(1),
        Some(b'\r') => match buffer.get(at + 1) {
            None => LineEnd::Partial,
            Some(b'\n') => LineEnd::Yes(2),
            Some(_) => LineEnd::BareCr,
        },
        Some(_) => LineEnd::No,
    }
}
