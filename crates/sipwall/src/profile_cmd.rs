//! `sipwall profile list | show | validate | schema`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;
use sipwall_profile::params::{Resolved, parse_assignment};
use sipwall_profile::{Diagnostic, Loaded, builtin, load_file, resolve};

use crate::cli::ProfileCommand;
use crate::exit::{CliError, Exit};
use crate::render;

/// Version of the JSON documents this command prints (docs/json.md).
const JSON_VERSION: u32 = 1;

pub fn run(command: ProfileCommand) -> Result<Exit, CliError> {
    match command {
        ProfileCommand::List { json } => list(json),
        ProfileCommand::Show { profile, set, json } => show(&profile, &set, json),
        ProfileCommand::Validate {
            files,
            strict,
            json,
        } => validate(&files, strict, json),
        ProfileCommand::Schema => {
            emit(&pretty(&sipwall_profile::json_schema()))?;
            Ok(Exit::Success)
        }
    }
}

fn list(json: bool) -> Result<Exit, CliError> {
    let loaded: Vec<Loaded> = builtin::BUILTINS.iter().map(|b| b.load()).collect();
    if json {
        let profiles: Vec<_> = loaded
            .iter()
            .map(|l| {
                let p = &l.profile;
                json!({
                    "id": p.id, "name": p.name, "kind": p.kind, "summary": p.summary,
                    "flows": p.flows.len(),
                    "parameters": p.parameters.iter().map(|p| &p.name).collect::<Vec<_>>(),
                })
            })
            .collect();
        emit(&pretty(&json!({
            "schema": "sipwall.profile-list", "version": JSON_VERSION, "profiles": profiles,
        })))?;
    } else {
        emit(&render::profile::list(&loaded))?;
    }
    Ok(Exit::Success)
}

/// Opens a profile by built-in id or path and fills its parameters from `--set` assignments.
pub(crate) fn open_resolved(
    name: &str,
    assignments: &[String],
) -> Result<(String, Loaded, Resolved), CliError> {
    let mut set = BTreeMap::new();
    for arg in assignments {
        let (key, value) =
            parse_assignment(arg).map_err(|e| CliError::usage(format!("error: --set {e}")))?;
        set.insert(key, value);
    }
    let (origin, loaded) = open(name)?;
    let resolved =
        resolve(&loaded.profile, &set).map_err(|e| CliError::usage(format!("error: {e}")))?;
    Ok((origin, loaded, resolved))
}

fn show(name: &str, assignments: &[String], json: bool) -> Result<Exit, CliError> {
    let (origin, loaded, resolved) = open_resolved(name, assignments)?;
    let open: Vec<String> = resolved.open().iter().map(|p| p.name.clone()).collect();
    if json {
        emit(&pretty(&json!({
            "schema": "sipwall.profile", "version": JSON_VERSION, "origin": origin,
            "profile": resolved.profile,
            "parameters": resolved.parameters,
            "open_parameters": open,
            "warnings": loaded.warnings,
        })))?;
    } else {
        for warning in &loaded.warnings {
            eprint!("{}", warning.render());
        }
        emit(&render::profile::show(&resolved))?;
    }
    Ok(Exit::Success)
}

/// A built-in id, or else a file path.
fn open(name: &str) -> Result<(String, Loaded), CliError> {
    if let Some(builtin) = builtin::find(name) {
        return Ok((builtin.origin(), builtin.load()));
    }
    let path = Path::new(name);
    if !path.exists() {
        let ids: Vec<&str> = builtin::BUILTINS.iter().map(|b| b.id).collect();
        return Err(CliError::usage(format!(
            "error: `{name}` is neither a built-in profile nor a file\n  = hint: built-in profiles are: {}",
            ids.join(", ")
        )));
    }
    load_file(path)
        .map(|loaded| (path.display().to_string(), loaded))
        .map_err(|diagnostics| CliError::usage(render_all(&diagnostics)))
}

fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(Diagnostic::render).collect()
}

fn validate(files: &[PathBuf], strict: bool, json: bool) -> Result<Exit, CliError> {
    let mut any_error = false;
    let mut any_warning = false;
    let mut reports = Vec::new();
    let mut text = String::new();
    for file in files {
        let (profile_id, diagnostics) = match load_file(file) {
            Ok(loaded) => (Some(loaded.profile.id), loaded.warnings),
            Err(diagnostics) => (None, diagnostics),
        };
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = diagnostics.len() - errors;
        any_error |= errors > 0;
        any_warning |= warnings > 0;
        text.push_str(&render_all(&diagnostics));
        text.push_str(&match (&profile_id, warnings) {
            (Some(id), 0) => format!("{}: valid profile `{id}`\n", file.display()),
            (Some(id), n) => format!(
                "{}: valid profile `{id}` with {n} warning(s)\n",
                file.display()
            ),
            (None, _) => format!(
                "{}: invalid: {errors} error(s), {warnings} warning(s)\n",
                file.display()
            ),
        });
        reports.push(json!({
            "file": file.display().to_string(), "valid": profile_id.is_some(),
            "profile_id": profile_id, "diagnostics": diagnostics,
        }));
    }
    let exit = if any_error {
        Exit::Usage
    } else if strict && any_warning {
        Exit::Findings
    } else {
        Exit::Success
    };
    if json {
        emit(&pretty(&json!({
            "schema": "sipwall.profile-validation", "version": JSON_VERSION, "files": reports,
        })))?;
    } else if exit == Exit::Success {
        emit(&text)?;
    } else {
        // Problems go to stderr so that scripts see them next to the exit code.
        eprint!("{text}");
    }
    Ok(exit)
}

pub(crate) fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values serialise");
    text.push('\n');
    text
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub(crate) fn emit(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::usage(format!(
            "error: cannot write output: {err}"
        ))),
        _ => Ok(()),
    }
}
