//! The XML form (`<config version="10.1.0">…`, optionally inside an XML API `<response
//! status="success"><result>` envelope) read into the same statements as the other forms: an
//! `<entry name="X">` is the token `X`, `<member>` children are one list token, a leaf's text is
//! its value. Spans come from `Node::range()`.

use std::borrow::Cow;
use std::ops::Range;

use roxmltree::{Document, Node, NodeType};

use super::read::{MAX_DEPTH, Read, Sink, Tok, Value};
use crate::coverage::LineClass;
use crate::formats::ParseError;
use crate::source::Source;

/// The hint of every error: what to export instead.
const HINT: &str = "export the running configuration again (Device › Setup › Operations › Export \
                    named configuration snapshot, or `show config running` in the CLI) and pass \
                    the whole file";

pub(super) fn read_xml<'a>(
    source: &'a Source,
    sink: &mut Sink<'_, 'a>,
) -> Result<Read, ParseError> {
    let text = source.text.as_str();
    let repaired;
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(error) => {
            // A truncated export: close the elements still open and read what is there.
            let at = error_offset(source, &error);
            let cut_short = matches!(
                error,
                roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode
            ) || !(text.trim_end().ends_with("</config>")
                || text.trim_end().ends_with("</response>"));
            match repair(text, at).filter(|_| cut_short) {
                Some(fixed) => {
                    repaired = fixed;
                    Document::parse(&repaired).map_err(|_| broken(source, &error))?
                }
                None => return Err(broken(source, &error)),
            }
        }
    };
    let root = doc.root_element();
    let mut config = Some(root);
    // The XML API wraps the configuration: <response status="success"><result><config>.
    if root.has_tag_name("response") {
        if root.attribute("status") == Some("error") {
            return Err(ParseError::new(
                "the XML is an API error response, not a configuration",
                Some(source.span_at(root.range().start, root.range().end)),
                HINT,
            ));
        }
        config = root
            .children()
            .find(|n| n.has_tag_name("result"))
            .and_then(|r| r.children().find(|n| n.has_tag_name("config")));
    }
    let Some(config) = config.filter(|c| c.has_tag_name("config")) else {
        return Err(ParseError::new(
            format!(
                "the XML's root element is <{}>, not a PAN-OS <config>",
                root.tag_name().name()
            ),
            Some(source.span_at(root.range().start, root.range().end)),
            HINT,
        ));
    };
    let mut out = Read::default();
    let version = config
        .attribute_node("detail-version")
        .or_else(|| config.attribute_node("version"));
    if let Some(attribute) = version {
        let range = attribute.range_value();
        out.version = Some((
            attribute.value().to_string(),
            source.span_at(range.start, range.end),
        ));
    }
    flatten(source, root, sink);
    for (number, line) in source.lines() {
        if line_is_structure(line) {
            out.marks.push((number, LineClass::Blank));
        }
    }
    Ok(out)
}

fn broken(source: &Source, error: &roxmltree::Error) -> ParseError {
    let at = error_offset(source, error);
    ParseError::new(
        format!("the XML is not well-formed: {error}"),
        Some(source.span_at(at, at.saturating_add(1))),
        HINT,
    )
}

/// The byte offset of a parse error (row and column are 1-based; the column counts characters).
fn error_offset(source: &Source, error: &roxmltree::Error) -> usize {
    if matches!(
        error,
        roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode
    ) {
        return source.text.len();
    }
    let pos = error.pos();
    let line = source.line(pos.row);
    let line_start: usize = source
        .text
        .split_inclusive('\n')
        .take(pos.row.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let col: usize = line
        .chars()
        .take(pos.col.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    (line_start + col).min(source.text.len())
}

/// The text cut after the last complete tag before `at`, with the elements still open closed,
/// when the error is near the end (a truncated file); `None` for a broken document.
fn repair(text: &str, at: usize) -> Option<String> {
    // Only the last line or so: an error in the middle is a broken document, not a cut one.
    let tail = text.len().saturating_sub(at);
    if tail > 200 {
        return None;
    }
    let cut = text.get(..at.min(text.len()))?.rfind('>')? + 1;
    let head = text.get(..cut)?;
    let mut open: Vec<&str> = Vec::new();
    let mut rest = head;
    while let Some(lt) = rest.find('<') {
        rest = rest.get(lt..)?;
        let skip_to = |rest: &str, end: &str| rest.find(end).map(|i| i + end.len());
        let advance = if rest.starts_with("<?") {
            skip_to(rest, "?>")
        } else if rest.starts_with("<!--") {
            skip_to(rest, "-->")
        } else if rest.starts_with("<![CDATA[") {
            skip_to(rest, "]]>")
        } else if rest.starts_with("<!") {
            skip_to(rest, ">")
        } else if let Some(close) = rest.strip_prefix("</") {
            open.pop();
            close.find('>').map(|i| i + 3)
        } else {
            let end = tag_end(rest)?;
            let tag = rest.get(..end)?;
            if !tag.ends_with("/>") {
                let name_end = tag
                    .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                    .unwrap_or(tag.len());
                open.push(tag.get(1..name_end)?);
            }
            Some(end)
        };
        rest = rest.get(advance?..)?;
    }
    if open.is_empty() {
        return None;
    }
    let mut fixed = head.to_string();
    for name in open.iter().rev() {
        fixed.push_str("</");
        fixed.push_str(name);
        fixed.push('>');
    }
    Some(fixed)
}

/// The end (exclusive) of the start tag at the beginning of `rest`, quotes respected.
fn tag_end(rest: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// True for a line with nothing but closing tags, the XML declaration or comments.
fn line_is_structure(line: &str) -> bool {
    let mut rest = line.trim();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let end = if rest.starts_with("</") {
            rest.find('>').map(|i| i + 1)
        } else if rest.starts_with("<?") {
            rest.find("?>").map(|i| i + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else {
            None
        };
        match end.and_then(|e| rest.get(e..)) {
            Some(next) => rest = next.trim_start(),
            None => return false,
        }
    }
    true
}

fn elements<'a, 'input>(node: Node<'a, 'input>) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children()
        .filter(|n| n.node_type() == NodeType::Element)
}

/// `value` borrowed from the text at `range` when the bytes there are the value (no entities),
/// else owned. (A repaired truncated document only appends closing tags, so its ranges are
/// valid in the source text.)
fn text_at<'s>(source: &'s Source, range: Range<usize>, value: &str) -> Cow<'s, str> {
    match source.text.get(range) {
        Some(raw) if raw == value => Cow::Borrowed(raw),
        _ => Cow::Owned(value.to_string()),
    }
}

/// The token an element stands for: its `name` attribute for an `<entry>`, else its tag.
fn element_tok<'s>(source: &'s Source, node: Node) -> Tok<'s> {
    let range = node.range();
    let (word, span) = match node
        .attribute_node("name")
        .filter(|_| node.has_tag_name("entry"))
    {
        Some(name) => {
            let value = name.range_value();
            (
                text_at(source, value.clone(), name.value()),
                source.span_at(value.start, value.end),
            )
        }
        None => {
            let name = node.tag_name().name();
            let start = range.start.saturating_add(1);
            let end = start.saturating_add(name.len());
            (
                text_at(source, start..end, name),
                source.span_at(start, end),
            )
        }
    };
    Tok {
        value: Value::Word(word),
        span,
        last_line: span.line,
    }
}

/// The trimmed text of an element (borrowed when it has no entities) and its byte range.
fn element_text<'s>(source: &'s Source, node: Node) -> Option<(Cow<'s, str>, Range<usize>)> {
    let text_node = node.children().find(|n| n.is_text())?;
    let text = text_node.text().unwrap_or("");
    let value = text.trim();
    if value.is_empty() {
        return None;
    }
    // Entities make the text differ from the bytes; the span is then approximate.
    let start = text_node
        .range()
        .start
        .saturating_add(text.len() - text.trim_start().len());
    let end = start.saturating_add(value.len());
    Some((text_at(source, start..end, value), start..end))
}

fn line_of(source: &Source, offset: usize) -> u32 {
    source.span_at(offset, offset).line
}

/// Depth-first over the elements (an explicit stack, no recursion), one statement per leaf.
fn flatten<'s>(source: &'s Source, root: Node, sink: &mut Sink<'_, 's>) {
    enum Step<'a, 'input> {
        Enter(Node<'a, 'input>),
        Leave,
    }
    let mut path: Vec<Tok> = Vec::new();
    let mut stack = vec![Step::Enter(root)];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Leave => {
                path.pop();
                continue;
            }
            Step::Enter(node) => node,
        };
        if path.len() >= MAX_DEPTH {
            continue;
        }
        let tok = element_tok(source, node);
        let children: Vec<Node> = elements(node).collect();
        let range = node.range();
        let last_line = line_of(source, range.end.saturating_sub(1));
        let base = path.len();
        if children.is_empty() {
            path.push(tok);
            if let Some((value, range)) = element_text(source, node) {
                path.push(Tok {
                    value: Value::Word(value),
                    span: source.span_at(range.start, range.end),
                    last_line,
                });
            }
            if let Some(last) = path.last_mut() {
                last.last_line = last.last_line.max(last_line);
            }
            sink(line_of(source, range.start), &path);
            path.truncate(base);
            continue;
        }
        if children.iter().all(|c| c.has_tag_name("member")) {
            let items: Vec<Cow<str>> = children
                .iter()
                .map(|c| {
                    element_text(source, *c)
                        .map(|(text, _)| text)
                        .unwrap_or(Cow::Borrowed(""))
                })
                .collect();
            let first = children.first().map(|c| c.range()).unwrap_or(range.clone());
            path.push(tok);
            path.push(Tok {
                value: Value::List(items),
                span: source.span_at(first.start, first.end),
                last_line,
            });
            sink(line_of(source, first.start), &path);
            path.truncate(base);
            continue;
        }
        path.push(tok);
        stack.push(Step::Leave);
        for child in children.into_iter().rev() {
            stack.push(Step::Enter(child));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::formats::panos::read::tests::statements;

    const SAMPLE: &str = "<response status=\"success\"><result><config version=\"10.1.0\">\n\
        <shared>\n\
          <alg-override>\n\
            <application>\n\
              <entry name=\"sip\">\n\
                <alg-disabled>yes</alg-disabled>\n\
              </entry>\n\
            </application>\n\
          </alg-override>\n\
        </shared>\n\
        <devices><entry name=\"localhost.localdomain\"><vsys><entry name=\"vsys1\">\n\
          <zone><entry name=\"trust\"><network><layer3>\n\
            <member>ethernet1/2</member>\n\
          </layer3></network></entry></zone>\n\
          <application />\n\
        </entry></vsys></entry></devices>\n\
        </config></result></response>\n";

    #[test]
    fn entries_members_and_leaves() {
        let source = Source::new("t", SAMPLE);
        let (stmts, read) = statements(|sink| read_xml(&source, sink).unwrap());
        let all: Vec<String> = stmts.iter().map(|s| s.1.join(" ")).collect();
        assert_eq!(
            all,
            [
                "response result config shared alg-override application sip alg-disabled yes",
                "response result config devices localhost.localdomain vsys vsys1 zone trust \
                 network layer3 [ethernet1/2]",
                "response result config devices localhost.localdomain vsys vsys1 application",
            ]
        );
        let leaf = stmts[0].2.last().unwrap();
        assert_eq!(source.text_of(leaf.span), "yes");
        assert_eq!(leaf.span.line, 6);
        assert_eq!(read.version.as_ref().unwrap().0, "10.1.0");
        assert!(read.marks.contains(&(7, LineClass::Blank)));
    }

    #[test]
    fn truncated_xml_is_closed_and_read() {
        let cut = SAMPLE.find("</alg-override>").unwrap();
        let source = Source::new("t", &SAMPLE[..cut]);
        let (stmts, _) = statements(|sink| read_xml(&source, sink).unwrap());
        assert_eq!(stmts.len(), 1);
    }

    #[test]
    fn broken_and_foreign_xml_are_errors_with_hints() {
        let broken = Source::new("t", "<config><a></b></config>");
        let error = read_xml(&broken, &mut |_, _| {}).unwrap_err();
        assert!(!error.hint.is_empty());
        let foreign = Source::new("t", "<pfsense><system/></pfsense>");
        let error = read_xml(&foreign, &mut |_, _| {}).unwrap_err();
        assert!(error.message.contains("pfsense"));
        let api_error = Source::new("t", "<response status=\"error\"><msg>x</msg></response>");
        assert!(read_xml(&api_error, &mut |_, _| {}).is_err());
    }
}
