//! `sipwall audit`: a firewall export (or, with --live, this host's ruleset) checked against a
//! profile; the work is in `sipwall-audit`.

use std::io::Read;
use std::process::Command;

use sipwall_audit::output::{human, sarif};
use sipwall_audit::{AuditOptions, Format, Hints, Severity, Source, audit};
use sipwall_firewall::{Options, Policy};

use crate::cli::AuditArgs;
use crate::exit::{CliError, Exit};
use crate::profile_cmd::{emit, open_resolved, pretty};

pub fn run(args: &AuditArgs) -> Result<Exit, CliError> {
    let fail_on: Severity = args
        .fail_on
        .parse()
        .map_err(|e| CliError::usage(format!("error: --fail-on: {e}")))?;
    if !(0.0..=100.0).contains(&args.max_unknown) {
        return Err(CliError::usage(
            "error: --max-unknown must be a percentage between 0 and 100",
        ));
    }
    let source = if args.live {
        live_source()?
    } else {
        read_source(args.file.as_deref().unwrap_or("-"))?
    };
    let format = match &args.format {
        Some(name) => Format::from_id(name).map_err(|e| CliError::usage(format!("error: {e}")))?,
        None => Format::detect(&source.text).map_err(|e| input_error(&source, &e))?,
    };
    let hints = Hints {
        wan: args.wan.clone(),
        lan: args.lan.clone(),
    };
    let parsed = format
        .parse(&source, &hints)
        .map_err(|e| input_error(&source, &e))?;
    let (_, _, resolved) = open_resolved(&args.profile, &args.set)?;
    let options = Options {
        wan: args.wan.first().cloned().unwrap_or_else(|| "wan0".into()),
        lan: args.lan.first().cloned().unwrap_or_else(|| "lan0".into()),
        ..Options::default()
    };
    let policy = Policy::from_profile(&resolved.profile, &options)
        .map_err(|e| CliError::usage(format!("error: {e}")))?;
    let report = audit(
        &policy,
        format,
        &parsed,
        &AuditOptions {
            max_unknown_share: args.max_unknown / 100.0,
            render_fixes: true,
            file: source.name.clone(),
        },
    );
    if args.sarif {
        emit(&pretty(&sarif::render(&report, &source)))?;
    } else if args.json {
        emit(&pretty(
            &serde_json::to_value(&report).expect("reports serialise"),
        ))?;
    } else {
        let unknown: Vec<u32> = if args.coverage {
            parsed.coverage.unknown_lines().collect()
        } else {
            Vec::new()
        };
        emit(&human::render(&report, &source, &unknown))?;
    }
    let failing = report.findings.iter().any(|f| f.severity >= fail_on)
        || (args.strict && report.verdict_withheld);
    Ok(if failing {
        Exit::Findings
    } else {
        Exit::Success
    })
}

fn read_source(path: &str) -> Result<Source, CliError> {
    let mut bytes = Vec::new();
    let read = if path == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    read.map_err(|e| {
        CliError::usage(format!(
            "error: cannot read {path}: {e}\n  = hint: give the file the firewall export was saved to, or - for standard input"
        ))
    })?;
    let name = if path == "-" { "<stdin>" } else { path };
    if bytes.contains(&0) {
        return Err(CliError::usage(format!(
            "error: {name} is binary, not a text export\n  = hint: export the configuration as text; `sipwall audit --help` lists the command per vendor"
        )));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source::new(name, text)),
        // Latin-1 comments and descriptions occur in real exports; keep the rest readable.
        Err(e) => Ok(Source::new(
            name,
            String::from_utf8_lossy(e.as_bytes()).into_owned(),
        )),
    }
}

/// `error: MESSAGE` with the file, line and column, the line itself, and the hint.
fn input_error(source: &Source, error: &sipwall_audit::ParseError) -> CliError {
    let mut message = match error.span {
        Some(span) => format!(
            "error: {}:{}:{}: {}\n{:>6} | {}\n",
            source.name,
            span.line,
            span.start + 1,
            error.message,
            span.line,
            source.line(span.line)
        ),
        None => format!("error: {}: {}\n", source.name, error.message),
    };
    if !error.hint.is_empty() {
        message.push_str(&format!("  = hint: {}\n", error.hint));
    }
    CliError::usage(message)
}

/// This host's ruleset as `nft -j list ruleset` and its conntrack settings as sysctl lines, in
/// the form the nftables parser reads.
fn live_source() -> Result<Source, CliError> {
    let output = Command::new("nft")
        .args(["-j", "list", "ruleset"])
        .output()
        .map_err(|e| {
            CliError::usage(format!(
                "error: --live needs `nft` (nftables): {e}\n  = hint: install nftables, or export the ruleset on the firewall and audit the file"
            ))
        })?;
    if !output.status.success() {
        return Err(CliError::usage(format!(
            "error: `nft -j list ruleset` failed: {}\n  = hint: run as root (sudo sipwall audit --live)",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    for key in sipwall_audit::formats::linux::CONNTRACK_KEYS {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        if let Ok(value) = std::fs::read_to_string(path) {
            text.push_str(&format!("{key} = {}\n", value.trim()));
        }
    }
    Ok(Source::new("<live: nft -j list ruleset + sysctl>", text))
}
