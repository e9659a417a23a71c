//! Parse coverage: every input line is understood, known and ignored, or unknown, so "no
//! findings" never hides "could not read 40 % of it" (the research note's §8.7, after Batfish).

use serde::Serialize;

use crate::source::Source;

/// What the parser made of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineClass {
    /// Empty, or only a comment / structural punctuation; not counted.
    Blank,
    /// Read into the model (or checked and found irrelevant to its facts, e.g. a rule on a
    /// chain the parser followed).
    Understood,
    /// Recognised as configuration with no bearing on VoIP through the firewall (SNMP, users,
    /// interfaces' descriptions, …).
    Ignored,
    /// Not recognised.
    Unknown,
}

/// One class per line of a [`Source`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    classes: Vec<LineClass>,
}

/// The counts behind a coverage verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CoverageSummary {
    pub understood: usize,
    pub ignored: usize,
    pub unknown: usize,
}

impl CoverageSummary {
    /// Lines that carry configuration (blank lines and comments excluded).
    pub fn total(&self) -> usize {
        self.understood + self.ignored + self.unknown
    }

    /// Share of configuration lines not recognised, 0.0-1.0 (0.0 for an empty input).
    pub fn unknown_share(&self) -> f64 {
        if self.total() == 0 {
            0.0
        } else {
            self.unknown as f64 / self.total() as f64
        }
    }
}

impl Coverage {
    /// Every blank line `Blank`, every other line `Unknown` until the parser says otherwise.
    pub fn new(source: &Source) -> Coverage {
        Coverage {
            classes: source
                .lines()
                .map(|(_, line)| {
                    if line.trim().is_empty() {
                        LineClass::Blank
                    } else {
                        LineClass::Unknown
                    }
                })
                .collect(),
        }
    }

    /// Sets the class of line `number` (1-based); blank lines stay blank, out-of-range numbers
    /// are ignored.
    pub fn mark(&mut self, number: u32, class: LineClass) {
        if let Some(slot) = self.classes.get_mut((number as usize).wrapping_sub(1))
            && *slot != LineClass::Blank
        {
            *slot = class;
        }
    }

    /// Marks every line in `first..=last`.
    pub fn mark_range(&mut self, first: u32, last: u32, class: LineClass) {
        for number in first..=last {
            self.mark(number, class);
        }
    }

    pub fn class(&self, number: u32) -> Option<LineClass> {
        self.classes.get((number as usize).wrapping_sub(1)).copied()
    }

    pub fn summary(&self) -> CoverageSummary {
        let mut summary = CoverageSummary::default();
        for class in &self.classes {
            match class {
                LineClass::Understood => summary.understood += 1,
                LineClass::Ignored => summary.ignored += 1,
                LineClass::Unknown => summary.unknown += 1,
                LineClass::Blank => {}
            }
        }
        summary
    }

    /// Line numbers still unknown, for the report.
    pub fn unknown_lines(&self) -> impl Iterator<Item = u32> + '_ {
        self.classes
            .iter()
            .enumerate()
            .filter(|(_, class)| **class == LineClass::Unknown)
            .map(|(i, _)| i as u32 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_not_counted() {
        let source = Source::new("x", "a\n\n  \nb\nc\n");
        let mut coverage = Coverage::new(&source);
        coverage.mark(1, LineClass::Understood);
        coverage.mark(2, LineClass::Understood);
        coverage.mark(4, LineClass::Ignored);
        coverage.mark(99, LineClass::Ignored);
        let summary = coverage.summary();
        assert_eq!(
            (summary.understood, summary.ignored, summary.unknown),
            (1, 1, 1)
        );
        assert_eq!(coverage.unknown_lines().collect::<Vec<_>>(), vec![5]);
        assert!((summary.unknown_share() - 1.0 / 3.0).abs() < 1e-9);
    }
}
