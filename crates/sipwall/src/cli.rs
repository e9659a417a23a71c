//! The command line: every flag and its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sipwall",
    version,
    about = "Make VoIP work through firewalls and NAT, safely",
    long_about = "sipwall turns a VoIP provider's firewall requirements into something you can run: \
a typed profile of what the provider needs (ports, NAT behaviour, SIP ALG off, UDP timeouts, \
security), firewall rules for your vendor, an audit of your firewall export, and a live test \
from behind your firewall.",
    after_help = "Exit codes: 0 success, 1 findings or failures, 2 usage or input error \
(also: command not available yet), 3 server unreachable. See docs/exit-codes.md."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show, check and export provider profiles (the provider's requirements as a file)
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Render firewall configuration from a profile for your firewall vendor
    Rules(Box<RulesArgs>),
    /// Audit a firewall export against a profile: findings with the lines, certainty and fix
    Audit(Box<AuditArgs>),
    /// Test this network live against a sipwall reflector: SIP ALG, NAT, binding lifetime, ports, media
    Check(Box<CheckArgs>),
    /// See it work: a local reflector and the full check against it (--lab: behind a real NAT
    /// with the kernel SIP ALG, as root)
    Demo(DemoArgs),
    /// Run the reflector that `sipwall check` talks to (STUN, SIP mirror, control channel)
    Serve(Box<ServeArgs>),
}

#[derive(Debug, Args)]
#[command(
    about = "Audit a firewall export against a profile: findings with evidence, certainty and the fix",
    long_about = "Reads a firewall's configuration export, compares what it does for VoIP with \
what the provider's profile asks (SIP ALG off, UDP timeouts, port-preserving NAT, the flows and \
forwards, nothing forbidden exposed, brute-force limits) and reports each difference with the \
export's own lines, how sure it is (explicit / a vendor default / unknown) and the fix as \
`sipwall rules` writes it for the same vendor and version. Every input line is counted as \
understood, known and ignored, or unknown; too many unknown lines withhold a clean verdict.\n\n\
What to export, per vendor:\n  \
nftables     nft list ruleset   (or nft -j list ruleset; append `sysctl net.netfilter` lines)\n  \
iptables     iptables-save; ip6tables-save\n  \
openwrt      uci export firewall\n  \
mikrotik     /export  (v6 or v7; terse and verbose work too)\n  \
fortigate    show full-configuration, or a configuration backup\n  \
cisco-asa    show running-config\n  \
junos        show configuration | display set  (the curly-brace form works too)\n  \
panos        show config running (set, brace or XML form)\n  \
vyos         show configuration commands, or /config/config.boot (VyOS, EdgeOS)\n  \
pfsense      Diagnostics > Backup & Restore: config.xml (pfSense, OPNsense)\n\n\
Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it (or, with --strict, a \
withheld verdict), 2 bad input or flags.",
    after_help = "Examples:\n  sipwall audit fw-export.txt --profile cloudli\n  \
sipwall audit config.xml --profile fonality-pbxtra-premise --set pbx_address=192.168.1.10 --sarif > audit.sarif\n  \
nft list ruleset | sipwall audit - --format nftables --json\n  \
sudo sipwall audit --live"
)]
pub struct AuditArgs {
    /// The export to read; `-` reads standard input (not with --live)
    #[arg(value_name = "FILE", required_unless_present = "live")]
    pub file: Option<String>,
    /// Read this Linux host's own ruleset (`nft -j list ruleset`) and conntrack settings instead
    /// of a file (as root)
    #[arg(long, conflicts_with = "file")]
    pub live: bool,
    /// The provider's requirements: a built-in profile id or a profile file
    #[arg(long, value_name = "NAME|FILE", default_value = "rfc-baseline")]
    pub profile: String,
    /// Fill a profile parameter, e.g. --set pbx_address=192.168.1.10 (repeatable)
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// The export's format when detection guesses wrong (nftables, iptables, openwrt, mikrotik,
    /// fortigate, cisco-asa, junos, panos, vyos, pfsense)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// The WAN (internet side) interface or zone, when the export does not make it clear
    /// (repeatable)
    #[arg(long, value_name = "NAME")]
    pub wan: Vec<String>,
    /// The LAN (inside) interface or zone (repeatable)
    #[arg(long, value_name = "NAME")]
    pub lan: Vec<String>,
    /// Exit 1 when a finding is at least this severe: info, low, medium, high, critical
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub fail_on: String,
    /// Also exit 1 when too much of the export was not understood to call it clean
    #[arg(long)]
    pub strict: bool,
    /// Share of unknown lines, in percent, above which the verdict is withheld
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub max_unknown: f64,
    /// List every line that was not understood
    #[arg(long)]
    pub coverage: bool,
    /// Print JSON (schema sipwall.audit, version 1) instead of text
    #[arg(long, conflicts_with = "sarif")]
    pub json: bool,
    /// Print SARIF 2.1.0 (for code-scanning tools) instead of text
    #[arg(long)]
    pub sarif: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List the built-in profiles
    List {
        /// Print JSON (schema sipwall.profile-list, version 1) instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Show a profile: flows, NAT, SIP ALG, media, security, conflicts, each with its source
    #[command(
        after_help = "Examples:\n  sipwall profile show fonality-pbxtra-premise\n  \
sipwall profile show cloudli --set outbound_proxy=proxy.example.net\n  \
sipwall profile show ./my-provider.toml --json"
    )]
    Show {
        /// A built-in profile id (see `sipwall profile list`) or a profile file
        profile: String,
        /// Fill a profile parameter, e.g. --set outbound_proxy=proxy.example.net (repeatable)
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// Print JSON (schema sipwall.profile, version 1) instead of tables
        #[arg(long)]
        json: bool,
    },
    /// Check profile files: syntax, types, ports, CIDRs, sources, and consistency
    #[command(
        after_help = "Errors are printed as FILE:LINE:COLUMN with the offending text and a hint.\n\
Exit code 0 when every file is valid, 2 when any has an error, 1 with --strict when any has a warning."
    )]
    Validate {
        /// Profile files to check
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Treat warnings (e.g. overlapping flows, unused parameters) as failures (exit code 1)
        #[arg(long)]
        strict: bool,
        /// Print JSON (schema sipwall.profile-validation, version 1)
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of the profile format (for editors and CI checks)
    Schema,
}

/// `sipwall rules`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
sipwall rules --vendor nftables --profile cloudli --set outbound_proxy=proxy.example.net > sipwall.nft\n  \
sudo nft -c -f sipwall.nft && sudo nft -f sipwall.nft\n  \
sipwall rules --vendor nftables --profile fonality-pbxtra-premise --set pbx_address=192.168.1.10 --explain\n  \
sipwall rules --vendor nftables --capabilities\n\n\
Vendors: nftables, iptables, openwrt, fortigate (6.0 / 6.2+), cisco-asa, cisco-ios, juniper-srx,\n\
panos, mikrotik (v6 / v7), vyos (1.3 / 1.4+), edgeos, pfsense (also OPNsense), sonicwall, and\n\
consumer (a checklist for home routers); `sipwall rules --vendor list` describes them.")]
pub struct RulesArgs {
    /// The firewall to render for (a name from `sipwall rules --vendor list`)
    #[arg(long, value_name = "VENDOR")]
    pub vendor: String,
    /// The vendor's software version, where dialects differ (e.g. FortiOS 6.0 vs 6.2)
    #[arg(long = "version", value_name = "VERSION")]
    pub vendor_version: Option<String>,
    /// The provider's requirements: a built-in profile id or a profile file (required unless
    /// --capabilities or --vendor list)
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Fill a profile parameter, e.g. --set outbound_proxy=proxy.example.net (repeatable)
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// The WAN (internet side) interface
    #[arg(long, value_name = "IF", default_value = "wan0")]
    pub wan: String,
    /// The LAN (inside) interface
    #[arg(long, value_name = "IF", default_value = "lan0")]
    pub lan: String,
    /// FortiGate with VDOMs: the VDOM to write the rules into (without it: a unit without VDOMs)
    #[arg(long, value_name = "NAME")]
    pub vdom: Option<String>,
    /// Inside prefix, e.g. 192.168.1.0/24: outbound rules then match only these sources (repeatable)
    #[arg(long = "lan-prefix", value_name = "CIDR")]
    pub lan_prefixes: Vec<String>,
    /// Forwarded traffic no rule allows: drop (a VoIP-only firewall) or accept (only add the
    /// drops and the VoIP rules to a firewall that carries other traffic)
    #[arg(long, value_name = "ACTION", default_value = "drop", value_parser = ["drop", "accept"])]
    pub forward_default: String,
    /// Precede each block with the requirement it implements and its source
    #[arg(long)]
    pub explain: bool,
    /// Print JSON (schema sipwall.rules, version 1): the text, its limitations and the model
    #[arg(long)]
    pub json: bool,
    /// Print what the vendor can and cannot express, instead of rules
    #[arg(long)]
    pub capabilities: bool,
}

/// `sipwall demo`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sipwall demo\n  sudo sipwall demo --lab --profile cloudli\n\n\
Without --lab the reflector binds 127.0.0.1:3478, 127.0.0.2:3479, 127.0.0.1:5060/5080/5061\n\
and 127.0.0.1:7443 for the duration of the demo."
)]
pub struct DemoArgs {
    /// Build a network-namespace lab (needs root): a Linux NAT router with the kernel SIP ALG
    /// between the check and the reflector
    #[arg(long)]
    pub lab: bool,
    /// The profile to judge against [default: rfc-baseline]
    #[arg(long, value_name = "NAME|FILE", default_value = "rfc-baseline")]
    pub profile: String,
}

/// `sipwall check`: the live test from behind the firewall.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
sipwall check --server reflector.example.net --profile cloudli\n  \
sipwall check --server 198.51.100.10 --profile fonality-pbxtra-premise --inbound --set pbx_address=192.168.1.10\n  \
sipwall check --server 127.0.0.1 --json > result.json\n\n\
Exit codes: 0 every tested requirement passed, 1 a requirement failed or could not be judged\n\
(inconclusive), 2 usage or input error, 3 the reflector is unreachable (said within 5 s).")]
pub struct CheckArgs {
    /// The reflector (`sipwall serve`): HOST or HOST:PORT of its control channel [port: 7443]
    #[arg(long, value_name = "HOST[:PORT]", required_unless_present = "stun")]
    pub server: Option<String>,
    /// Instead of a reflector, any RFC 5780 STUN server (e.g. coturn, stuntman): runs the NAT
    /// behaviour test only [port: 3478]
    #[arg(long, value_name = "HOST[:PORT]", conflicts_with = "server")]
    pub stun: Option<String>,
    /// The provider's requirements: a built-in profile id or a profile file [default: rfc-baseline]
    #[arg(long, value_name = "NAME|FILE", default_value = "rfc-baseline")]
    pub profile: String,
    /// Fill a profile parameter, e.g. --set pbx_address=192.168.1.10 (repeatable)
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Also test from outside: the profile's port forwards must reach in, never-forward ports
    /// (e.g. 22) must not. For on-site PBX profiles; needs a reflector with two addresses
    #[arg(long)]
    pub inbound: bool,
    /// The reflector's control channel uses TLS (serve --control-tls)
    #[arg(long)]
    pub control_tls: bool,
    /// Binding lifetime test: quick (idle times up to 3 min), full (up to 30 min) or off. It
    /// takes about as long as the router keeps an idle UDP binding
    #[arg(long, value_name = "MODE", default_value = "off", value_parser = ["quick", "full", "off"])]
    pub lifetime: String,
    /// Length of the media test (G.711 RTP both ways) in seconds; 0 skips it
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=110))]
    pub media_seconds: u64,
    /// Concurrent calls in the media test
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=8))]
    pub streams: u32,
    /// Print JSON (schema sipwall.check, version 1) instead of the human summary
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML report (inline CSS and SVG charts, no scripts) to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
}

/// `sipwall serve`: the reflector.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
sipwall serve                                   # everything on 127.0.0.1, for a local try\n  \
sipwall serve --primary 198.51.100.10:3478 --alternate 198.51.100.11:3479 --control 198.51.100.10:443\n  \
sipwall serve --config /etc/sipwall/serve.toml\n\n\
RFC 5780 NAT tests and inbound tests need two IPs (--alternate). See docs/serve.md; the\n\
check-reflector protocol is docs/protocol.md.")]
pub struct ServeArgs {
    /// TOML configuration file (sections stun, limits, sip, control, tls, ports, inbound,
    /// metrics, log); flags override it. See docs/serve.md
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Primary STUN address [default: 127.0.0.1:3478]; 3478 is STUN's port. The SIP mirror,
    /// the control channel and the port matrix listen on this IP too
    #[arg(long, value_name = "IP:PORT")]
    pub primary: Option<std::net::SocketAddr>,
    /// Alternate address, another IP and another port (IP:PORT), for RFC 5780 CHANGE-REQUEST
    /// and OTHER-ADDRESS, and the source of inbound tests; without it CHANGE-REQUEST gets
    /// error 420 and inbound tests are unavailable
    #[arg(long)]
    pub alternate: Option<std::net::SocketAddr>,
    /// Public IP to report for the primary address when the server is behind a 1:1 NAT
    #[arg(long, value_name = "IP")]
    pub advertise: Option<std::net::IpAddr>,
    /// Public IP to report for the alternate address when the server is behind a 1:1 NAT
    #[arg(long, value_name = "IP")]
    pub advertise_alternate: Option<std::net::IpAddr>,
    /// Serve STUN over TLS too, on this address (5349 by convention) [default: not served]
    #[arg(long, value_name = "IP:PORT")]
    pub stun_tls: Option<std::net::SocketAddr>,
    /// SIP mirror ports, or "none" [default: udp:5060,tcp:5060,udp:5080,tcp:5080,tls:5061]
    #[arg(long, value_name = "LIST")]
    pub sip: Option<String>,
    /// Control channel address, or "none" [default: the primary IP, port 7443]
    #[arg(long, value_name = "IP:PORT")]
    pub control: Option<String>,
    /// Serve the control channel over TLS
    #[arg(long)]
    pub control_tls: bool,
    /// TLS certificate chain (PEM) for SIP over TLS and --control-tls [default: a
    /// self-signed certificate generated at start]
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<std::path::PathBuf>,
    /// Private key (PEM) of --cert
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<std::path::PathBuf>,
    /// Extra ports for the check's port matrix, e.g. udp:10000,udp:20000,tcp:8080 [default: none]
    #[arg(long, value_name = "LIST")]
    pub port_matrix: Option<String>,
    /// Whole port ranges for the port matrix, e.g. udp:16384-16484: one socket on the first
    /// port, the rest redirected to it with nftables (needs root)
    #[arg(long, value_name = "LIST")]
    pub port_range: Option<String>,
    /// Source IP of inbound (port-forward) tests [default: the alternate IP]
    #[arg(long, value_name = "IP")]
    pub inbound_source: Option<std::net::IpAddr>,
    /// Serve counters in Prometheus text format over HTTP on this address (keep it private)
    #[arg(long, value_name = "IP:PORT")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Requests per second each source may send to each socket, sustained [default: 50]
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// Requests each source may send to each socket at once; a full NAT test fits [default: 200]
    #[arg(long, value_name = "N")]
    pub burst: Option<f64>,
    /// Check sessions open at once [default: 256]
    #[arg(long, value_name = "N")]
    pub max_sessions: Option<usize>,
    /// Check sessions open at once from one IP [default: 8]
    #[arg(long, value_name = "N")]
    pub max_sessions_per_ip: Option<usize>,
    /// Log format on stderr: text or json [default: text]; the level comes from RUST_LOG
    /// (default: info)
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Stop after this many seconds (default: run until stopped)
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,
    /// Log the counters every SECS seconds (0: only at the end)
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub stats_every: u64,
}
