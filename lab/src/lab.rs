//! `Lab`: builds the namespaces, wires them up, configures the router(s), tears down on drop.

use std::fmt::Write;
use std::net::Ipv4Addr;
use std::process::Command;

use crate::error::{LabError, LabResult};
use crate::host::{Host, Role};
use crate::netns::{self, NamespaceGuard};
use crate::router::{self, RouterConfig};
use crate::topology::*;

/// Name of the bridge in the router namespace that joins the LAN hosts.
const LAN_BRIDGE: &str = "lan";
/// Name of the public-facing interface in the router and CGN namespaces.
const WAN_INTERFACE: &str = "wan";
/// Name of the CGN's interface facing the inner router.
const CGN_INSIDE_INTERFACE: &str = "inside";
/// Present when the kernel has br_netfilter (its sysctls are per namespace).
const BRIDGE_NETFILTER_SYSCTL_PATH: &str = "/proc/sys/net/bridge/bridge-nf-call-iptables";
/// Name of the single interface in client, pbx and server namespaces.
const HOST_INTERFACE: &str = "eth0";

/// A running lab: client, router, server and the optional pbx and cgn namespaces.
/// Dropping it deletes all its namespaces (also while unwinding from a panic).
#[derive(Debug)]
pub struct Lab {
    options: LabOptions,
    client: Host,
    router: Host,
    server: Host,
    pbx: Option<Host>,
    cgn: Option<Host>,
    router_ruleset: String,
    cgn_ruleset: Option<String>,
    // Declared last so hosts are gone before the namespaces are deleted.
    namespaces: NamespaceGuard,
}

/// Collects [`LabOptions`] step by step; finish with [`LabBuilder::build`].
#[derive(Debug, Clone, Default)]
#[must_use = "call .build() to create the lab"]
pub struct LabBuilder {
    options: LabOptions,
}

impl LabBuilder {
    /// NAT done by the (inner) router. Default: [`Nat::PortPreserving`].
    pub fn nat(mut self, nat: Nat) -> Self {
        self.options.nat = nat;
        self
    }

    /// Attach the kernel SIP helper on this port (may be called several times).
    pub fn sip_alg(mut self, port: AlgPort) -> Self {
        self.options.sip_alg.push(port);
        self
    }

    /// Router `nf_conntrack_udp_timeout`: lifetime of a UDP flow that has not been
    /// replied to (and of any UDP flow younger than ~2 s).
    pub fn udp_timeout_secs(mut self, secs: u32) -> Self {
        self.options.udp_timeout_secs = Some(secs);
        self
    }

    /// Router `nf_conntrack_udp_timeout_stream`: lifetime of a replied UDP flow.
    pub fn udp_stream_timeout_secs(mut self, secs: u32) -> Self {
        self.options.udp_stream_timeout_secs = Some(secs);
        self
    }

    /// Drop packets matching this rule in the router's forward chain.
    pub fn drop_rule(mut self, rule: DropRule) -> Self {
        self.options.drops.push(rule);
        self
    }

    /// Random loss in both directions, in percent.
    pub fn loss_percent(mut self, percent: u8) -> Self {
        self.options.loss = Loss {
            outbound_percent: percent,
            inbound_percent: percent,
        };
        self
    }

    /// Random loss for LAN→WAN packets only, in percent.
    pub fn outbound_loss_percent(mut self, percent: u8) -> Self {
        self.options.loss.outbound_percent = percent;
        self
    }

    /// Random loss for WAN→LAN packets only, in percent.
    pub fn inbound_loss_percent(mut self, percent: u8) -> Self {
        self.options.loss.inbound_percent = percent;
        self
    }

    /// Add the on-site PBX host on the LAN.
    pub fn pbx(mut self) -> Self {
        self.options.pbx = true;
        self
    }

    /// Forward these ports from the router's WAN address to the PBX (adds the PBX).
    pub fn forward(mut self, forward: PortForward) -> Self {
        self.options.forwards.push(forward);
        self.options.pbx = true;
        self
    }

    /// Put a second NAT layer (carrier-grade NAT) with this NAT type in front of the router.
    pub fn cgn(mut self, nat: Nat) -> Self {
        self.options.cgn = Some(nat);
        self
    }

    /// Replaces all options at once (used by the CLI).
    pub fn options(mut self, options: LabOptions) -> Self {
        self.options = options;
        self
    }

    /// Creates the lab. On failure everything created so far is deleted again.
    pub fn build(self) -> LabResult<Lab> {
        Lab::create(self.options)
    }
}

/// Host-side plan of one lab before anything exists.
struct Names {
    client: String,
    router: String,
    server: String,
    pbx: Option<String>,
    cgn: Option<String>,
}

impl Lab {
    /// Starts describing a lab; defaults: port-preserving NAT, nothing else.
    pub fn builder() -> LabBuilder {
        LabBuilder::default()
    }

    fn create(options: LabOptions) -> LabResult<Lab> {
        options.validate().map_err(LabError::InvalidOption)?;
        if !nix::unistd::geteuid().is_root() {
            return Err(LabError::NotRoot);
        }
        netns::sweep_stale()?;

        let stem = netns::new_lab_stem();
        let name_for = |role: Role| format!("{stem}-{}", role.as_str());
        let names = Names {
            client: name_for(Role::Client),
            router: name_for(Role::Router),
            server: name_for(Role::Server),
            pbx: options.pbx.then(|| name_for(Role::Pbx)),
            cgn: options.cgn.map(|_| name_for(Role::Cgn)),
        };

        // The guard deletes whatever exists if any step below fails.
        let mut namespaces = NamespaceGuard::default();
        for name in [&names.client, &names.router, &names.server]
            .into_iter()
            .chain(names.pbx.as_ref())
            .chain(names.cgn.as_ref())
        {
            namespaces.create(name.clone())?;
        }

        let router_wan_address = if options.cgn.is_some() {
            ROUTER_CGN_SIDE_ADDR
        } else {
            PUBLIC_ADDR
        };
        let lab = Lab {
            client: Host::new(names.client.clone(), Role::Client, vec![CLIENT_ADDR]),
            router: Host::new(
                names.router.clone(),
                Role::Router,
                vec![ROUTER_LAN_ADDR, router_wan_address],
            ),
            server: Host::new(
                names.server.clone(),
                Role::Server,
                vec![SERVER_PRIMARY_ADDR, SERVER_SECONDARY_ADDR],
            ),
            pbx: names
                .pbx
                .clone()
                .map(|name| Host::new(name, Role::Pbx, vec![PBX_ADDR])),
            cgn: names
                .cgn
                .clone()
                .map(|name| Host::new(name, Role::Cgn, vec![CGN_INSIDE_ADDR, PUBLIC_ADDR])),
            router_ruleset: router::render_ruleset(&Self::router_config(
                &options,
                router_wan_address,
            )),
            cgn_ruleset: options
                .cgn
                .map(|nat| router::render_ruleset(&Self::cgn_config(nat))),
            options,
            namespaces,
        };
        lab.wire_up()?;
        lab.configure_routers()?;
        Ok(lab)
    }

    fn router_config(options: &LabOptions, wan_address: Ipv4Addr) -> RouterConfig {
        RouterConfig {
            lan_interface: LAN_BRIDGE.into(),
            wan_interface: WAN_INTERFACE.into(),
            wan_address,
            nat: options.nat,
            sip_alg: options.sip_alg.clone(),
            drops: options.drops.clone(),
            loss: options.loss,
            forwards: options.forwards.clone(),
            forward_target: options.pbx.then_some(PBX_ADDR),
        }
    }

    /// The CGN only translates and firewalls; all test knobs live on the inner router.
    fn cgn_config(nat: Nat) -> RouterConfig {
        RouterConfig {
            lan_interface: CGN_INSIDE_INTERFACE.into(),
            wan_interface: WAN_INTERFACE.into(),
            wan_address: PUBLIC_ADDR,
            nat,
            sip_alg: Vec::new(),
            drops: Vec::new(),
            loss: Loss::default(),
            forwards: Vec::new(),
            forward_target: None,
        }
    }

    /// Creates links, addresses and routes.
    fn wire_up(&self) -> LabResult<()> {
        for host in self.hosts() {
            ip_in(host, &["link", "set", "lo", "up"])?;
        }

        // LAN: a bridge in the router with one veth per LAN host.
        let router = &self.router;
        ip_in(router, &["link", "add", LAN_BRIDGE, "type", "bridge"])?;
        ip_in(router, &["link", "set", LAN_BRIDGE, "up"])?;
        ip_in(
            router,
            &[
                "addr",
                "add",
                &cidr(ROUTER_LAN_ADDR, LAN_PREFIX_LEN),
                "dev",
                LAN_BRIDGE,
            ],
        )?;
        for lan_host in [Some(&self.client), self.pbx.as_ref()]
            .into_iter()
            .flatten()
        {
            let bridge_port = format!("lan-{}", lan_host.role());
            veth(lan_host, HOST_INTERFACE, router, &bridge_port)?;
            ip_in(router, &["link", "set", &bridge_port, "master", LAN_BRIDGE])?;
            ip_in(router, &["link", "set", &bridge_port, "up"])?;
            ip_in(lan_host, &["link", "set", HOST_INTERFACE, "up"])?;
            ip_in(
                lan_host,
                &[
                    "addr",
                    "add",
                    &cidr(lan_host.address(), LAN_PREFIX_LEN),
                    "dev",
                    HOST_INTERFACE,
                ],
            )?;
            ip_in(
                lan_host,
                &[
                    "route",
                    "add",
                    "default",
                    "via",
                    &ROUTER_LAN_ADDR.to_string(),
                ],
            )?;
        }

        // Public segment: the server hangs off the router, or off the CGN when present.
        let public_gateway = match &self.cgn {
            Some(cgn) => {
                veth(router, WAN_INTERFACE, cgn, CGN_INSIDE_INTERFACE)?;
                ip_in(router, &["link", "set", WAN_INTERFACE, "up"])?;
                ip_in(cgn, &["link", "set", CGN_INSIDE_INTERFACE, "up"])?;
                ip_in(
                    router,
                    &[
                        "addr",
                        "add",
                        &cidr(ROUTER_CGN_SIDE_ADDR, CGN_PREFIX_LEN),
                        "dev",
                        WAN_INTERFACE,
                    ],
                )?;
                ip_in(
                    cgn,
                    &[
                        "addr",
                        "add",
                        &cidr(CGN_INSIDE_ADDR, CGN_PREFIX_LEN),
                        "dev",
                        CGN_INSIDE_INTERFACE,
                    ],
                )?;
                ip_in(
                    router,
                    &[
                        "route",
                        "add",
                        "default",
                        "via",
                        &CGN_INSIDE_ADDR.to_string(),
                    ],
                )?;
                // Needed when the inner router does not NAT (private sources reach the CGN).
                ip_in(
                    cgn,
                    &[
                        "route",
                        "add",
                        &cidr(LAN_NETWORK, LAN_PREFIX_LEN),
                        "via",
                        &ROUTER_CGN_SIDE_ADDR.to_string(),
                    ],
                )?;
                cgn
            }
            None => router,
        };
        veth(public_gateway, WAN_INTERFACE, &self.server, HOST_INTERFACE)?;
        ip_in(public_gateway, &["link", "set", WAN_INTERFACE, "up"])?;
        ip_in(&self.server, &["link", "set", HOST_INTERFACE, "up"])?;
        ip_in(
            public_gateway,
            &[
                "addr",
                "add",
                &cidr(PUBLIC_ADDR, PUBLIC_PREFIX_LEN),
                "dev",
                WAN_INTERFACE,
            ],
        )?;
        for address in self.server.addresses() {
            ip_in(
                &self.server,
                &[
                    "addr",
                    "add",
                    &cidr(*address, PUBLIC_PREFIX_LEN),
                    "dev",
                    HOST_INTERFACE,
                ],
            )?;
        }
        // Everything public is on-link, but replies to un-NATed sources need a way back.
        ip_in(
            &self.server,
            &["route", "add", "default", "via", &PUBLIC_ADDR.to_string()],
        )?;
        Ok(())
    }

    /// Sysctls and nft rulesets of the router and the CGN.
    fn configure_routers(&self) -> LabResult<()> {
        let router = &self.router;
        router.sysctl("net.ipv4.ip_forward", "1")?;
        // With br_netfilter in the kernel, bridged LAN frames would also traverse the
        // IPv4 forward chain (policy drop) and conntrack; keep the LAN a plain switch.
        if std::path::Path::new(BRIDGE_NETFILTER_SYSCTL_PATH).exists() {
            router.sysctl("net.bridge.bridge-nf-call-iptables", "0")?;
        }
        if let Some(secs) = self.options.udp_timeout_secs {
            router.sysctl("net.netfilter.nf_conntrack_udp_timeout", &secs.to_string())?;
        }
        if let Some(secs) = self.options.udp_stream_timeout_secs {
            router.sysctl(
                "net.netfilter.nf_conntrack_udp_timeout_stream",
                &secs.to_string(),
            )?;
        }
        load_ruleset(router, &self.router_ruleset)?;
        if let (Some(cgn), Some(ruleset)) = (&self.cgn, &self.cgn_ruleset) {
            cgn.sysctl("net.ipv4.ip_forward", "1")?;
            load_ruleset(cgn, ruleset)?;
        }
        Ok(())
    }

    /// The options this lab was built with.
    pub fn options(&self) -> &LabOptions {
        &self.options
    }

    /// The LAN client (10.77.0.2).
    pub fn client(&self) -> &Host {
        &self.client
    }

    /// The NAT router under test.
    pub fn router(&self) -> &Host {
        &self.router
    }

    /// The public server with two addresses (198.18.0.10 and .11).
    pub fn server(&self) -> &Host {
        &self.server
    }

    /// The on-site PBX (10.77.0.3), if enabled.
    pub fn pbx(&self) -> Option<&Host> {
        self.pbx.as_ref()
    }

    /// The carrier-grade NAT in front of the router, if enabled.
    pub fn cgn(&self) -> Option<&Host> {
        self.cgn.as_ref()
    }

    /// All hosts of this lab.
    pub fn hosts(&self) -> impl Iterator<Item = &Host> {
        [Some(&self.client), Some(&self.router), Some(&self.server)]
            .into_iter()
            .chain([self.pbx.as_ref(), self.cgn.as_ref()])
            .flatten()
    }

    /// Names of all namespaces of this lab.
    pub fn namespace_names(&self) -> Vec<String> {
        self.namespaces.names().to_vec()
    }

    /// The nft ruleset loaded into the router.
    pub fn router_ruleset(&self) -> &str {
        &self.router_ruleset
    }

    /// The nft ruleset loaded into the CGN, if present.
    pub fn cgn_ruleset(&self) -> Option<&str> {
        self.cgn_ruleset.as_deref()
    }

    /// The client's address.
    pub fn client_address(&self) -> Ipv4Addr {
        CLIENT_ADDR
    }

    /// The router's LAN address (the LAN hosts' gateway).
    pub fn router_lan_address(&self) -> Ipv4Addr {
        ROUTER_LAN_ADDR
    }

    /// The router's own WAN address: 198.18.0.1, or 100.64.0.2 behind a CGN.
    pub fn router_wan_address(&self) -> Ipv4Addr {
        self.router.addresses()[1]
    }

    /// The outermost public address, 198.18.0.1: what the server sees as source when
    /// the outermost layer NATs, and where port forwards are reached without a CGN.
    pub fn public_address(&self) -> Ipv4Addr {
        PUBLIC_ADDR
    }

    /// The source address the server sees for client traffic with this lab's NAT setup.
    pub fn expected_client_source_at_server(&self) -> Ipv4Addr {
        match (self.options.cgn, self.options.nat) {
            (Some(Nat::None), Nat::None) | (None, Nat::None) => CLIENT_ADDR,
            (Some(Nat::None), _) => ROUTER_CGN_SIDE_ADDR,
            _ => PUBLIC_ADDR,
        }
    }

    /// The server's primary address.
    pub fn server_primary_address(&self) -> Ipv4Addr {
        SERVER_PRIMARY_ADDR
    }

    /// The server's second address (RFC 5780 alternate address).
    pub fn server_secondary_address(&self) -> Ipv4Addr {
        SERVER_SECONDARY_ADDR
    }

    /// The PBX's address (valid only when the PBX is enabled).
    pub fn pbx_address(&self) -> Ipv4Addr {
        PBX_ADDR
    }

    /// Human-readable summary: namespaces, addresses, options and rulesets.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "namespaces:");
        for host in self.hosts() {
            let addresses: Vec<String> = host.addresses().iter().map(|a| a.to_string()).collect();
            let _ = writeln!(
                text,
                "  {:<7} {:<28} {}",
                host.role().as_str(),
                host.name(),
                addresses.join(", ")
            );
        }
        let _ = writeln!(text, "router NAT: {}", self.options.nat);
        if let Some(nat) = self.options.cgn {
            let _ = writeln!(text, "cgn NAT:    {nat}");
        }
        let _ = writeln!(text, "router ruleset:\n{}", self.router_ruleset);
        if let Some(ruleset) = &self.cgn_ruleset {
            let _ = writeln!(text, "cgn ruleset:\n{ruleset}");
        }
        text
    }
}

/// `a.b.c.d/len`.
fn cidr(address: Ipv4Addr, prefix_len: u8) -> String {
    format!("{address}/{prefix_len}")
}

/// Runs `ip -n NAMESPACE ARGS...`.
fn ip_in(host: &Host, args: &[&str]) -> LabResult<()> {
    netns::run(Command::new("ip").args(["-n", host.name()]).args(args)).map(drop)
}

/// Creates a veth pair with each end directly in its namespace, so interface
/// names only have to be unique per namespace.
fn veth(first: &Host, first_name: &str, second: &Host, second_name: &str) -> LabResult<()> {
    netns::ip(&[
        "link",
        "add",
        first_name,
        "netns",
        first.name(),
        "type",
        "veth",
        "peer",
        "name",
        second_name,
        "netns",
        second.name(),
    ])
    .map(drop)
}

/// Loads a ruleset with `nft -f -` in the host's namespace; nft applies it atomically.
fn load_ruleset(host: &Host, ruleset: &str) -> LabResult<()> {
    match netns::run_with_input(host.command("nft").args(["-f", "-"]), Some(ruleset)) {
        Ok(_) => Ok(()),
        Err(LabError::Command { stderr, .. }) => Err(LabError::Ruleset {
            namespace: host.name().to_string(),
            stderr,
            ruleset: ruleset.to_string(),
        }),
        Err(other) => Err(other),
    }
}
