//! Renders the HTML report of a saved check: `cargo run -p sipwall-report --example render --
//! RESULT.json OUT.html` where RESULT.json is the output of `sipwall check --json` (or its
//! `check` object alone).

use sipwall_check::run::CheckOutcome;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        eprintln!("usage: render RESULT.json OUT.html");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(input).expect("the JSON file is readable");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("the file is JSON");
    if let Some(check) = value.get_mut("check") {
        value = check.take();
    }
    let outcome: CheckOutcome = serde_json::from_value(value).expect("a sipwall check outcome");
    let html = sipwall_report::check_html(&outcome, "2026-12-01 19:45 UTC");
    std::fs::write(output, html).expect("the report is written");
}
