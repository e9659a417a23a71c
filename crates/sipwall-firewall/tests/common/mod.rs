//! Helpers shared by the integration tests: built-in profiles with plausible parameter values,
//! and the real validator (`nft -c` in a user and network namespace).

#![allow(dead_code)]

use std::process::Command;

use sipwall_profile::Profile;

/// A built-in profile with every parameter lacking a default set to the profile's own example.
pub fn builtin_filled(id: &str) -> Profile {
    sipwall_profile::builtin::find(id)
        .unwrap_or_else(|| panic!("no built-in profile {id}"))
        .load_with_examples()
}

/// Runs `unshare -rn nft -c -f FILE` on the text. Fails (never skips) when the tools are missing.
pub fn nft_check(text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rules.nft");
    std::fs::write(&path, text).expect("write rules");
    let output = Command::new("unshare")
        .args(["-rn", "nft", "-c", "-f"])
        .arg(&path)
        .output()
        .expect("`unshare` must be installed (util-linux) to validate nftables output");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "nft -c rejected the rendering ({}):\n{}\n--- file ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            numbered(text)
        ))
    }
}

fn numbered(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, line)| format!("{:4} {line}\n", i + 1))
        .collect()
}
