//! Linux nftables: `nft list ruleset` text, `nft -f` scripts (such as `sipwall rules --vendor
//! nftables` writes) and `nft -j list ruleset` JSON, each optionally followed by the conntrack
//! sysctls (`sysctl -a | grep nf_conntrack`), which hold the global UDP timeouts and, on
//! kernels before 6.0, the automatic helper assignment switch.
//!
//! Both readers (`text`, `json`) produce the same ruleset (`ir`); one evaluator (`eval`) turns
//! it into facts, so the text and the JSON of one ruleset give the same facts (the tests load
//! every rendering and fixture into the kernel and compare).
//!
//! What is read: tables (with `delete table` / `flush ruleset` in scripts, `define`/`$NAME`,
//! `add rule …` commands), base chains with hook, priority and policy, rules with interface,
//! address, protocol, port, `ct state`/`ct status` matches, anonymous and named sets and
//! verdict maps, `jump`/`goto`/`return` (followed, depth-bounded), rate limits (`limit`,
//! `meter`, `add @set { … limit … }`), `ct helper set` with `ct helper` objects, `ct timeout
//! set` with `ct timeout` objects, `masquerade`/`snat`/`dnat`, `flow add @ft`, iptables-nft's
//! `xt` leftovers, and the UDP timeout and helper sysctls. Facts: the forward hook gives the
//! Outbound/Inbound paths (by `iifname`/`oifname` against the WAN, which comes from the hints,
//! else from the masquerade/SNAT output interface, else from port forwards, else from names),
//! the input hook the ToDevice path.

mod eval;
mod ir;
mod json;
mod text;

use sipwall_firewall::Vendor;

use super::{Hints, ParseError, Parsed, linux};
use crate::coverage::{Coverage, LineClass};
use crate::device::{Device, VendorDefault};
use crate::source::Source;

pub const ID: &str = "nftables";
pub const EXPORT: &str = "`nft list ruleset` (or `nft -j list ruleset`), with the output of \
                          `sysctl -a | grep nf_conntrack` appended for the conntrack timeouts";

/// What to export instead, for errors.
const EXPORT_HINT: &str = "export the ruleset with `nft list ruleset` (or `nft -j list ruleset`) \
                           and append `sysctl -a | grep nf_conntrack`";

/// A base chain without `policy`.
const POLICY_DEFAULT: VendorDefault = VendorDefault {
    statement: "a base chain without a `policy` accepts what its rules leave undecided",
    versions: "all nftables versions",
    source: "nft(8), CHAINS: the policy of a base chain is `accept` (the default) or `drop`",
};

/// A hook no base chain is attached to.
const NO_BASE_CHAIN: VendorDefault = VendorDefault {
    statement: "no base chain on this hook: nothing filters these packets, so they pass",
    versions: "all nftables versions",
    source: "nft(8), CHAINS: only base chains are attached to netfilter hooks; a packet no hook \
             function drops is accepted",
};

/// `ct timeout set` before conntrack.
const CT_TIMEOUT_BEFORE_CONNTRACK: VendorDefault = VendorDefault {
    statement: "a `ct timeout set` in a prerouting or output chain at priority -200 or lower \
                (e.g. `raw`) has no effect: the timeout object only applies to a connection \
                conntrack has already created and not yet confirmed, so the global UDP \
                timeouts apply",
    versions: "Linux 4.19 and later (ct timeout objects)",
    source: "Linux net/netfilter/nft_ct.c, nft_ct_timeout_obj_eval (returns when the packet has \
             no unconfirmed conntrack entry); conntrack hooks prerouting and output at priority \
             -200 (NF_IP_PRI_CONNTRACK); checked with nftables 1.0.6 on Linux 6.18",
};

/// `ct helper set` before conntrack.
const CT_HELPER_BEFORE_CONNTRACK: VendorDefault = VendorDefault {
    statement: "a `ct helper set` in a prerouting or output chain at priority -200 or lower \
                (e.g. `raw`) has no effect: the helper is only attached to a connection \
                conntrack has already created and not yet confirmed",
    versions: "Linux 4.12 and later (ct helper objects)",
    source: "Linux net/netfilter/nft_ct.c, nft_ct_helper_obj_eval (returns when the packet has \
             no unconfirmed conntrack entry); conntrack hooks prerouting and output at priority \
             -200 (NF_IP_PRI_CONNTRACK); checked with nftables 1.0.6 on Linux 6.18",
};

/// How sure the text is an nftables ruleset (cheap: looks at the first 64 KiB).
pub fn fingerprint(text: &str) -> u32 {
    let mut cut = text.len().min(64 * 1024);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = text[..cut].trim_start_matches('\u{feff}');
    let start = head.trim_start();
    if start.starts_with('{') {
        let key = start
            .get(1..)
            .unwrap_or("")
            .trim_start()
            .starts_with("\"nftables\"");
        return if key { 100 } else { 0 };
    }
    let mut score = 0;
    let mut uci = false;
    // `sysctl -a` output alone is ours too (the conntrack timeouts), but not a script that
    // merely writes a few sysctl lines somewhere.
    let (mut sysctl, mut other) = (0usize, 0usize);
    for line in head.lines().take(4000) {
        let line = line.trim();
        if line.starts_with("net.netfilter.nf_conntrack_") {
            sysctl += 1;
        } else if !line.is_empty() && !line.starts_with('#') {
            other += 1;
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let second = words.next().unwrap_or("");
        let third = words.next();
        let value = match first {
            "#!/usr/sbin/nft" | "#!/sbin/nft" | "#!/usr/bin/nft" => 90,
            "table" => {
                let family = ir::Family::from_name(second).is_some();
                let block = line.ends_with('{');
                match (family, third) {
                    (true, Some(_)) if block => 85,
                    (true, Some(_)) => 50,
                    (false, Some("{")) => 60,
                    _ => 0,
                }
            }
            "type" if line.contains(" hook ") && line.contains("priority") => 95,
            "add" | "insert"
                if matches!(second, "rule" | "table" | "chain")
                    && third.is_some_and(|t| ir::Family::from_name(t).is_some()) =>
            {
                80
            }
            "flush" if second == "ruleset" => 80,
            "config" | "package" => {
                uci = true;
                0
            }
            _ => 0,
        };
        score = score.max(value);
        if score >= 95 {
            break;
        }
    }
    if score == 0 && sysctl > 0 && sysctl >= other {
        score = 35;
    }
    if uci && head.contains("\toption ") {
        // An OpenWrt UCI export (`config zone` / `option …`), perhaps with a ruleset appended:
        // the OpenWrt reader's.
        return score.min(25);
    }
    score
}

/// Parses a ruleset export (text or JSON, with optional sysctl lines).
pub fn parse(source: &Source, hints: &Hints) -> Result<Parsed, ParseError> {
    let text = &source.text;
    if text.trim().is_empty() {
        return Err(ParseError::new("the export is empty", None, EXPORT_HINT));
    }
    if text.contains('\0') {
        return Err(ParseError::new(
            "the export is binary, not an nftables ruleset",
            None,
            EXPORT_HINT,
        ));
    }
    let mut coverage = Coverage::new(source);
    let ruleset = if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        json::read(source, &mut coverage)?
    } else {
        let ruleset = text::read(source, &mut coverage);
        let understood = source
            .lines()
            .any(|(n, _)| coverage.class(n) == Some(LineClass::Understood));
        if ruleset.tables.is_empty() && ruleset.sysctls.is_empty() && !understood {
            let first = coverage.unknown_lines().next().unwrap_or(1);
            return Err(ParseError::new(
                "this is not an nftables ruleset: no table, chain, rule or conntrack sysctl in it",
                Some(source.line_span(first)),
                EXPORT_HINT,
            ));
        }
        ruleset
    };
    let mut device = Device {
        vendor: Some(Vendor::Nftables),
        ..Device::default()
    };
    eval::facts(&ruleset, hints, &mut device);
    Ok(Parsed { device, coverage })
}

/// `key = value` (sysctl -a, /etc/sysctl.conf) or `sysctl -w key=value` → (key, value).
fn sysctl_line(line: &str) -> Option<(String, String)> {
    let mut line = line.trim();
    if let Some(rest) = line.strip_prefix("sysctl") {
        line = rest.trim_start();
        for flag in ["-w", "-q", "-e"] {
            line = line.strip_prefix(flag).unwrap_or(line).trim_start();
        }
    }
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    let value = value.trim();
    let valid = key.contains('.')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
    (valid && !value.is_empty()).then(|| (key.to_string(), value.to_string()))
}

/// `sysctl: cannot stat /proc/sys/net/netfilter/nf_conntrack_helper: No such file or
/// directory` and the like: sysctl's own messages (a key this kernel lacks), nothing to read.
fn sysctl_message(line: &str) -> bool {
    line.trim_start().starts_with("sysctl: ")
}

/// The sysctls the facts read are understood; other ones carry nothing for VoIP.
fn sysctl_class(key: &str) -> LineClass {
    match key {
        linux::UDP_TIMEOUT_KEY | linux::UDP_TIMEOUT_STREAM_KEY | linux::HELPER_KEY => {
            LineClass::Understood
        }
        _ => LineClass::Ignored,
    }
}

/// `filter`, `raw + 10`, `-300`, `dstnat-5` → the number, per family (nft(8), CHAINS,
/// "Standard priority names").
fn priority_value(text: &str, family: ir::Family) -> Option<i32> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if let Ok(n) = text.parse::<i32>() {
        return Some(n);
    }
    let split = text
        .char_indices()
        .skip(1)
        .find(|(_, c)| matches!(c, '+' | '-'))
        .map_or(text.len(), |(i, _)| i);
    let (name, offset) = text.split_at(split);
    let base: i32 = match (family, name) {
        (ir::Family::Bridge, "dstnat") => -300,
        (ir::Family::Bridge, "filter") => -200,
        (ir::Family::Bridge, "out") => 100,
        (ir::Family::Bridge, "srcnat") => 300,
        (_, "raw") => -300,
        (_, "mangle") => -150,
        (_, "dstnat") => -100,
        (_, "filter") => 0,
        (_, "security") => 50,
        (_, "srcnat") => 100,
        _ => return None,
    };
    let offset = if offset.is_empty() {
        0
    } else {
        offset.trim_start_matches('+').parse::<i32>().ok()?
    };
    base.checked_add(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints() {
        assert_eq!(fingerprint("{\"nftables\": []}"), 100);
        assert_eq!(fingerprint("{\"other\": []}"), 0);
        assert!(
            fingerprint("table inet x {\n\tchain c {\n\t\ttype filter hook input priority 0;\n")
                >= 95
        );
        assert!(fingerprint("#!/usr/sbin/nft -f\n") >= 90);
        assert_eq!(
            fingerprint("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n"),
            0
        );
        assert_eq!(fingerprint("config firewall policy\n    edit 1\n"), 0);
        assert!(fingerprint("net.netfilter.nf_conntrack_udp_timeout = 30\n") < 40);
        let uci = "package firewall\n\nconfig zone\n\toption name 'lan'\n\ntable inet fw4 {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n";
        assert!(fingerprint(uci) <= 25);
        assert_eq!(fingerprint(""), 0);
        assert_eq!(fingerprint("\u{feff}{\"nftables\": []}"), 100);
        assert!(fingerprint("\u{feff}table inet t {\n") >= 85);
    }

    #[test]
    fn sysctl_lines() {
        assert_eq!(
            sysctl_line("net.netfilter.nf_conntrack_udp_timeout = 30"),
            Some(("net.netfilter.nf_conntrack_udp_timeout".into(), "30".into()))
        );
        assert_eq!(
            sysctl_line("sysctl -w net.netfilter.nf_conntrack_helper=1"),
            Some(("net.netfilter.nf_conntrack_helper".into(), "1".into()))
        );
        assert_eq!(sysctl_line("policy = drop"), None);
        assert!(sysctl_message(
            "sysctl: cannot stat /proc/sys/net/netfilter/nf_conntrack_helper: No such file or directory"
        ));
        assert_eq!(sysctl_line("net.x ="), None);
    }

    #[test]
    fn priorities() {
        use ir::Family::*;
        assert_eq!(priority_value("raw", Inet), Some(-300));
        assert_eq!(priority_value("filter+10", Ip), Some(10));
        assert_eq!(priority_value("dstnat-5", Ip), Some(-105));
        assert_eq!(priority_value("-150", Ip6), Some(-150));
        assert_eq!(priority_value("filter", Bridge), Some(-200));
        assert_eq!(priority_value("bogus", Ip), None);
        assert_eq!(priority_value("filter+99999999999", Ip), None);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        for text in [
            "\u{feff}table inet t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n",
            "\u{feff}{\"nftables\": [{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"c\", \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}}]}",
        ] {
            let parsed = parse(&Source::new("t", text), &Hints::default()).unwrap();
            assert_eq!(parsed.coverage.summary().unknown, 0, "{text:?}");
            assert_eq!(
                parsed.device.default_actions.last().map(|d| d.action),
                Some(sipwall_firewall::model::Action::Drop)
            );
        }
    }

    #[test]
    fn errors_carry_hints() {
        for text in [
            "",
            "   \n",
            "\0\u{1}",
            "hello world\nthis is not nft\n",
            "{\"x\": 1}",
        ] {
            let source = Source::new("t", text);
            let err = parse(&source, &Hints::default()).unwrap_err();
            assert!(err.hint.contains("nft list ruleset"), "{text:?}: {err:?}");
        }
    }
}
