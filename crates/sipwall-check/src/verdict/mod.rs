//! Verdicts: each requirement of a profile, judged from the tests' reports, with the evidence,
//! the requirement's source and a fix. A verdict says *inconclusive* whenever the evidence does
//! not carry a pass or a fail — a wrong "fine" is the worst result this tool can give.

mod alg;
mod lifetime;
mod media;
mod nat;
mod ports;

use serde::{Deserialize, Serialize};
use sipwall_profile::model::Source;

pub use alg::judge_alg;
pub use lifetime::{judge_lifetime, lifetime_not_tested};
pub use media::judge_media;
pub use nat::{judge_nat, judge_path};
pub use ports::{judge_inbound, judge_outbound};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Inconclusive,
    /// The test was not run (turned off, or this reflector cannot test it).
    NotTested,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Inconclusive => "inconclusive",
            Status::NotTested => "not tested",
        }
    }
}

/// One requirement, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Stable id, e.g. `ports.outbound.sip-udp`, `ports.never-forward.tcp-22`, `nat.mapping`.
    pub id: String,
    /// What the profile requires, in a few words.
    pub requirement: String,
    /// Why it is required, in the source's words or ours (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
    pub status: Status,
    /// What the test found, in one line.
    pub observed: String,
    pub evidence: Vec<String>,
    /// What to change when it is not a pass (generic; vendor-specific with `sipwall rules`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    pub sources: Vec<Source>,
}

/// Verdicts in reading order: the NAT, the path, the ALG, ports, media, lifetime.
pub fn sort(verdicts: &mut [Verdict]) {
    const ORDER: [&str; 8] = [
        "nat.",
        "sip-alg",
        "ports.outbound",
        "ports.",
        "media.",
        "nat.binding",
        "nat.keepalive",
        "",
    ];
    // The longest matching prefix decides ("nat.binding" before "nat.").
    let rank = |id: &str| {
        (0..ORDER.len())
            .filter(|&i| id.starts_with(ORDER[i]))
            .max_by_key(|&i| ORDER[i].len())
            .unwrap_or(ORDER.len())
    };
    verdicts.sort_by_key(|v| rank(&v.id));
}

/// The overall status: the worst of all verdicts (fail > inconclusive > warn > pass).
pub fn overall(verdicts: &[Verdict]) -> Status {
    let rank = |s: Status| match s {
        Status::Fail => 4,
        Status::Inconclusive => 3,
        Status::Warn => 2,
        Status::Pass => 1,
        Status::NotTested => 0,
    };
    verdicts
        .iter()
        .map(|v| v.status)
        .max_by_key(|s| rank(*s))
        .unwrap_or(Status::NotTested)
}
