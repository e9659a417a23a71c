//! `sipwall rules`: a profile rendered as paste-ready configuration for one firewall vendor.

use serde_json::json;
use sipwall_firewall::model::Action;
use sipwall_firewall::{Options, Policy, Support, Vendor, render};

use crate::cli::RulesArgs;
use crate::exit::{CliError, Exit};
use crate::profile_cmd::{emit, open_resolved, pretty};

const JSON_VERSION: u32 = 1;

pub fn run(args: &RulesArgs) -> Result<Exit, CliError> {
    if args.vendor == "list" {
        return list_vendors(args.json);
    }
    let vendor = Vendor::select(&args.vendor, args.vendor_version.as_deref())
        .map_err(|e| CliError::usage(format!("error: {e}")))?;
    if args.capabilities {
        return capabilities(vendor, args.json);
    }
    let name = args
        .profile
        .as_deref()
        .ok_or_else(|| CliError::usage("error: --profile is required\n  = hint: a built-in id from `sipwall profile list`, or a profile file"))?;
    let (origin, _, resolved) = open_resolved(name, &args.set)?;
    let lan_prefixes = args
        .lan_prefixes
        .iter()
        .map(|p| {
            p.parse().map_err(|_| {
                CliError::usage(format!(
                    "error: --lan-prefix {p:?} is not a CIDR prefix\n  = hint: e.g. 192.168.1.0/24"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = Options {
        wan: args.wan.clone(),
        lan: args.lan.clone(),
        lan_prefixes,
        vdom: args.vdom.clone(),
        forward_default: if args.forward_default == "accept" {
            Action::Accept
        } else {
            Action::Drop
        },
    };
    let usage = |e: sipwall_firewall::Error| CliError::usage(format!("error: {e}"));
    let rendering = render(&resolved.profile, vendor, &options, args.explain).map_err(usage)?;
    if args.json {
        let policy = Policy::from_profile(&resolved.profile, &options).map_err(usage)?;
        emit(&pretty(&json!({
            "schema": "sipwall.rules", "version": JSON_VERSION, "origin": origin,
            "rendering": rendering, "policy": policy,
        })))?;
    } else {
        emit(&rendering.text)?;
    }
    Ok(Exit::Success)
}

fn list_vendors(json: bool) -> Result<Exit, CliError> {
    if json {
        let rows: Vec<_> = Vendor::ALL
            .iter()
            .map(|v| json!({"id": v.id(), "family": v.family(), "versions": v.versions()}))
            .collect();
        emit(&pretty(
            &json!({"schema": "sipwall.rules-vendors", "version": JSON_VERSION, "vendors": rows}),
        ))?;
    } else {
        let mut text = String::new();
        for v in Vendor::ALL {
            text.push_str(&format!("{:<16} {}\n", v.id(), v.versions()));
        }
        emit(&text)?;
    }
    Ok(Exit::Success)
}

fn capabilities(vendor: Vendor, json: bool) -> Result<Exit, CliError> {
    let capabilities = vendor.capabilities();
    if json {
        let rows: Vec<_> = capabilities
            .iter()
            .map(|c| json!({"concern": c.concern, "support": format!("{:?}", c.support).to_lowercase(), "how": c.how}))
            .collect();
        emit(&pretty(&json!({
            "schema": "sipwall.rules-capabilities", "version": JSON_VERSION,
            "vendor": vendor.to_string(), "capabilities": rows,
        })))?;
        return Ok(Exit::Success);
    }
    let mut text = format!("{vendor}: what it can express\n\n");
    for c in capabilities {
        let mark = match c.support {
            Support::Native => "native     ",
            Support::Approximate => "approximate",
            Support::None => "not at all ",
        };
        text.push_str(&format!("{mark}  {}: {}\n", c.concern, c.how));
    }
    emit(&text)?;
    Ok(Exit::Success)
}
