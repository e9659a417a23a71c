//! Whole port ranges for the port matrix without thousands of sockets: one socket listens on
//! the first port of a range and an nftables `redirect` sends the rest of the range to it.
//! Conntrack undoes the redirect on the way back, so an answer leaves from the port the probe
//! was sent to. Needs root (CAP_NET_ADMIN) and the `nft` tool; the table is removed on drop.

use std::io::Write;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use sipwall_proto::control::SocketTransport;

const TABLE: &str = "sipwall_port_matrix";

/// One redirected range: `first` is served by a socket, `first + 1 ..= last` redirected to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub transport: SocketTransport,
    pub first: u16,
    pub last: u16,
}

/// The nftables script: replaces any table left by an earlier run, then adds the rules.
pub fn script(ranges: &[PortRange], destination: IpAddr) -> String {
    let daddr = if destination.is_unspecified() {
        String::new()
    } else if destination.is_ipv4() {
        format!("ip daddr {destination} ")
    } else {
        format!("ip6 daddr {destination} ")
    };
    let mut rules = String::new();
    for range in ranges.iter().filter(|r| r.last > r.first) {
        let protocol = match range.transport {
            SocketTransport::Udp => "udp",
            _ => "tcp",
        };
        rules.push_str(&format!(
            "    {daddr}{protocol} dport {}-{} redirect to :{}\n",
            range.first + 1,
            range.last,
            range.first
        ));
    }
    format!(
        "table inet {TABLE} {{}}\ndelete table inet {TABLE}\ntable inet {TABLE} {{\n  chain prerouting {{\n    type nat hook prerouting priority dstnat; policy accept;\n{rules}  }}\n}}\n"
    )
}

/// Removes the table when dropped.
#[derive(Debug)]
pub struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("nft")
            .args(["delete", "table", "inet", TABLE])
            .stderr(Stdio::null())
            .status();
    }
}

pub fn install(ranges: &[PortRange], destination: IpAddr) -> Result<Installed, String> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run nft ({e}); port ranges need nftables and root"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(script(ranges, destination).as_bytes())
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "nft refused the port-range redirect (root / CAP_NET_ADMIN needed): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(Installed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_redirects_all_but_the_first_port() {
        let ranges = [
            PortRange {
                transport: SocketTransport::Udp,
                first: 10000,
                last: 10999,
            },
            PortRange {
                transport: SocketTransport::Tcp,
                first: 8000,
                last: 8000,
            },
        ];
        let text = script(&ranges, "198.51.100.10".parse().unwrap());
        assert!(
            text.contains("ip daddr 198.51.100.10 udp dport 10001-10999 redirect to :10000"),
            "{text}"
        );
        assert!(
            !text.contains("tcp dport"),
            "a one-port range needs no rule: {text}"
        );
        assert!(
            text.starts_with("table inet sipwall_port_matrix {}\ndelete table"),
            "{text}"
        );
    }

    /// `nft -c` parses the script without applying it (needs the nft tool; CI installs it).
    #[test]
    fn nft_accepts_the_script() {
        let ranges = [PortRange {
            transport: SocketTransport::Udp,
            first: 20000,
            last: 20100,
        }];
        let mut child = Command::new("unshare")
            .args(["-rn", "nft", "-c", "-f", "-"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("unshare and nft are installed (scripts/install-deps)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script(&ranges, "0.0.0.0".parse().unwrap()).as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
