//! Palo Alto PAN-OS: the set form (`set rulebase security rules R from trust to untrust …`),
//! the brace form of `show config running`, and the XML configuration (optionally inside an XML
//! API `<response status="success"><result>` envelope).
//!
//! All three are read into one shape, statements with token paths (`read`, `xml`), then
//! interpreted into objects and rules per virtual system (`config`: vsys1 and `shared` unless
//! the hints name zones of another vsys), then turned into device facts (`facts`); the defaults
//! the facts rely on are in `defaults`.

mod config;
mod defaults;
mod facts;
mod read;
mod xml;

use super::{Hints, ParseError, Parsed};
use crate::coverage::{Coverage, LineClass};
use crate::source::Source;

use read::{Read, Tok};

pub const ID: &str = "panos";
pub const EXPORT: &str = "PAN-OS: `show config running` in the CLI (in set form after `set cli \
                          config-output-format set`), or the XML file of Device › Setup › \
                          Operations › Export named configuration snapshot.";

/// What to export, for errors.
const HINT: &str = "export the PAN-OS configuration with `show config running` (set form: `set \
                    cli config-output-format set` first) or Device › Setup › Operations › \
                    Export named configuration snapshot (XML), or name the format with --format";

/// Top-level words of PAN-OS set commands that no other vendor's set syntax starts with.
const STRONG_SET: &[&str] = &[
    "deviceconfig",
    "rulebase",
    "mgt-config",
    "shared",
    "address-group",
    "service-group",
    "application-group",
    "alg-override",
];

/// Top-level words PAN-OS shares with others (or that are too generic to decide alone).
const WEAK_SET: &[&str] = &[
    "zone",
    "address",
    "network",
    "application",
    "tag",
    "profiles",
    "profile-group",
    "log-settings",
    "import",
    "external-list",
];

/// Block names of the brace form that only PAN-OS uses.
const STRONG_BLOCKS: &[&str] = &[
    "deviceconfig",
    "mgt-config",
    "rulebase",
    "localhost.localdomain",
    "vsys1",
    "alg-override",
    "application-override",
];

/// 0 (not PAN-OS) to 100: PAN-OS-only keywords in the first lines (or the XML's first 64 KiB).
pub fn fingerprint(text: &str) -> u32 {
    if text.contains('\0') {
        return 0;
    }
    let head = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if head.starts_with('<') {
        let mut end = head.len().min(1 << 16);
        while !head.is_char_boundary(end) {
            end -= 1;
        }
        let probe = head.get(..end).unwrap_or("");
        if !probe.contains("<config") {
            return 0;
        }
        return if probe.contains("<devices") && probe.contains("localhost.localdomain") {
            95
        } else if ["<deviceconfig", "<mgt-config", "<vsys", "<alg-override"]
            .iter()
            .any(|m| probe.contains(m))
        {
            90
        } else if probe.contains("<rulebase") {
            60
        } else {
            0
        };
    }
    let (mut strong, mut weak) = (0u32, 0u32);
    for line in text.lines().take(5000) {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("set ") {
            let mut words = rest.split_whitespace();
            let first = words.next().unwrap_or("");
            if STRONG_SET.contains(&first)
                || (first == "vsys" && words.next().is_some_and(|w| w.starts_with("vsys")))
            {
                strong += 1;
            } else if WEAK_SET.contains(&first)
                // `set service NAME protocol udp …` (EdgeOS has `set service nat rule N protocol`)
                || (first == "service" && words.nth(1) == Some("protocol"))
            {
                weak += 1;
            }
        } else if let Some(block) = line.strip_suffix('{')
            && STRONG_BLOCKS.contains(&block.trim())
        {
            strong += 1;
        }
        if strong >= 10 {
            break;
        }
    }
    match (strong, weak) {
        (0, 0) => 0,
        (0, 1..=2) => 35,
        (0, _) => 50,
        (s, _) => 90 + s.min(9),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Set,
    Brace,
    Xml,
}

/// XML when it starts with `<`; else set or brace by the shape of the first lines.
fn form(text: &str) -> Form {
    let head = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if head.starts_with('<') {
        return Form::Xml;
    }
    let (mut set, mut brace) = (0, 0);
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .take(200)
    {
        if line.starts_with("set ") {
            set += 1;
        } else if line.ends_with('{') || line.ends_with(';') || line == "}" {
            brace += 1;
        }
    }
    if brace > set { Form::Brace } else { Form::Set }
}

/// Reads the export in one pass: each statement goes to the collector and the coverage as the
/// reader produces it, then the facts are built from what was collected.
pub fn parse<'a>(source: &'a Source, hints: &Hints) -> Result<Parsed, ParseError> {
    let text = source.text.as_str();
    if text.contains('\0') {
        return Err(ParseError::new(
            "the input is binary, not a text export",
            None,
            HINT,
        ));
    }
    if text.trim().is_empty() {
        return Err(ParseError::new("the input is empty", None, HINT));
    }
    let form = form(text);
    if form != Form::Xml && fingerprint(text) == 0 {
        let first = source
            .lines()
            .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|(n, _)| source.line_span(n));
        return Err(ParseError::new(
            "this does not look like a PAN-OS configuration (no `set deviceconfig`, `set \
             rulebase`, `deviceconfig {` or similar PAN-OS lines)",
            first,
            HINT,
        ));
    }
    let mut collector = config::Collector::new(source);
    let mut ranks = Ranks::new(source, form == Form::Set);
    let mut sink = |line: u32, toks: &[Tok<'a>]| {
        let class = collector.stmt(line, toks);
        ranks.touch(line, toks, class);
    };
    let read = match form {
        Form::Xml => xml::read_xml(source, &mut sink)?,
        Form::Set => read::read_set(source, &mut sink),
        Form::Brace => read::read_brace(source, &mut sink),
    };
    let config = collector.finish();
    let coverage = ranks.coverage(source, &read);
    let device = facts::facts(&config, hints, read.version);
    Ok(Parsed { device, coverage })
}

/// Each line's class: the best class of the statements touching it (a block header serves
/// all its leaves), then the readers' own marks (comments and lone braces blank, CLI prompts
/// ignored).
struct Ranks {
    /// Per line (index = line number): 0 untouched, 1 unknown, 2 ignored, 3 understood.
    best: Vec<u8>,
    set_form: bool,
}

impl Ranks {
    fn new(source: &Source, set_form: bool) -> Ranks {
        Ranks {
            best: vec![0; source.line_count() + 1],
            set_form,
        }
    }

    fn touch(&mut self, line: u32, toks: &[Tok<'_>], class: LineClass) {
        let rank = match class {
            LineClass::Understood => 3,
            LineClass::Ignored => 2,
            LineClass::Unknown => 1,
            LineClass::Blank => 0,
        };
        let mut mark = |line: u32| {
            if let Some(slot) = self.best.get_mut(line as usize) {
                *slot = (*slot).max(rank);
            }
        };
        mark(line);
        let count = toks.len();
        for (i, tok) in toks.iter().enumerate() {
            // In the brace and XML forms the leading tokens are the enclosing blocks, shared by
            // every leaf: only their first line counts, so a long block is not walked per leaf.
            let last = if self.set_form || i + 1 == count {
                tok.last_line.max(tok.span.line)
            } else {
                tok.span.line
            };
            for line in tok.span.line..=last {
                mark(line);
            }
        }
    }

    fn coverage(&self, source: &Source, read: &Read) -> Coverage {
        let mut coverage = Coverage::new(source);
        for (line, rank) in self.best.iter().enumerate().skip(1) {
            let class = match rank {
                3 => LineClass::Understood,
                2 => LineClass::Ignored,
                1 => LineClass::Unknown,
                _ => continue,
            };
            coverage.mark(line as u32, class);
        }
        for &(line, class) in &read.marks {
            coverage.mark(line, class);
        }
        coverage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints() {
        assert_eq!(fingerprint(""), 0);
        assert_eq!(
            fingerprint("set system host-name x\nset interfaces ge-0/0/0\n"),
            0
        );
        assert!(fingerprint("set deviceconfig system hostname fw\n") >= 90);
        assert!(fingerprint("config {\n  mgt-config {\n  }\n}\n") >= 90);
        assert!(fingerprint("<config version=\"10.1.0\"><mgt-config/></config>") >= 90);
        assert_eq!(fingerprint("<pfsense><version>1</version></pfsense>"), 0);
        assert_eq!(fingerprint("set service ssh port 22\n"), 0);
        assert_eq!(fingerprint("set service nat rule 10 protocol udp\n"), 0);
        assert_eq!(fingerprint("set service sip protocol udp port 5060\n"), 35);
    }

    #[test]
    fn errors_carry_hints() {
        for text in ["", "  \n", "a\0b", "hello world\n", "<html><body/></html>"] {
            let error = parse(&Source::new("t", text), &Hints::default()).unwrap_err();
            assert!(!error.hint.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn forms() {
        assert_eq!(form("set a b\n"), Form::Set);
        assert_eq!(form("\n# x\nconfig {\n  a b;\n}\n"), Form::Brace);
        assert_eq!(form("  <config/>"), Form::Xml);
    }

    #[test]
    fn coverage_of_the_brace_form() {
        let text = "config {\n  mgt-config {\n    users {\n      admin {\n        phash x;\n      \
                    }\n    }\n  }\n  devices {\n    localhost.localdomain {\n      vsys {\n        \
                    vsys1 {\n          zone {\n            trust {\n              network {\n                \
                    layer3 [ ethernet1/2];\n              }\n            }\n          }\n        }\n      \
                    }\n    }\n  }\n}\n";
        let source = Source::new("t", text);
        let parsed = parse(&source, &Hints::default()).unwrap();
        let summary = parsed.coverage.summary();
        assert_eq!(summary.unknown, 0, "{:?}", parsed.coverage);
        assert_eq!(parsed.coverage.class(5), Some(LineClass::Ignored));
        assert_eq!(parsed.coverage.class(16), Some(LineClass::Understood));
        assert_eq!(parsed.coverage.class(6), Some(LineClass::Blank));
    }
}
