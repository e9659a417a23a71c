//! The `sipwall` binary: command-line parsing and wiring only; the work lives in the crates.

mod audit_cmd;
mod check_cmd;
mod cli;
mod demo_cmd;
mod exit;
mod profile_cmd;
mod render;
mod rules_cmd;
mod serve_cmd;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Profile(command) => profile_cmd::run(command),
        Command::Rules(args) => rules_cmd::run(&args),
        Command::Audit(args) => audit_cmd::run(&args),
        Command::Check(args) => check_cmd::run(&args),
        Command::Demo(args) => demo_cmd::run(&args),
        Command::Serve(args) => serve_cmd::run(&args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(error) => {
            eprint!("{}", error.message);
            if !error.message.ends_with('\n') {
                eprintln!();
            }
            error.code.into()
        }
    }
}
