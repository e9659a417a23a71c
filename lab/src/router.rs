//! Renders the nftables ruleset of a NAT router (the inner router or the CGN).

use std::net::Ipv4Addr;

use crate::topology::{AlgPort, Direction, DropRule, Loss, Nat, PortForward};

/// Name of the single nft table the lab loads into each router namespace.
pub const TABLE_NAME: &str = "swlab";

/// What one router's ruleset must do. Interface names are those inside its namespace.
#[derive(Debug, Clone)]
pub struct RouterConfig {
    /// Interface facing the private side.
    pub lan_interface: String,
    /// Interface facing the public side.
    pub wan_interface: String,
    /// The router's address on the WAN interface (target of port forwards).
    pub wan_address: Ipv4Addr,
    /// Source NAT on the WAN interface.
    pub nat: Nat,
    /// Ports where the kernel SIP helper is attached.
    pub sip_alg: Vec<AlgPort>,
    /// Ports dropped while crossing the router.
    pub drops: Vec<DropRule>,
    /// Random loss while crossing the router.
    pub loss: Loss,
    /// Port forwards from `wan_address` to `forward_target`.
    pub forwards: Vec<PortForward>,
    /// Host that port forwards lead to.
    pub forward_target: Option<Ipv4Addr>,
}

/// Produces the complete ruleset text for `nft -f -`.
///
/// Chains, in packet order:
/// * `sip_helpers` (prerouting, priority `filter`): attaches the SIP helper. It must
///   run after conntrack (priority -200) has created the flow; at `raw` priority there
///   is no conntrack entry yet and `ct helper set` silently does nothing.
/// * `port_forwards` (prerouting, `dstnat`): DNAT from the WAN address to the PBX.
/// * `filter_forward` (forward): loss, dropped ports, then a stateful firewall that
///   only admits replies, related flows (e.g. ALG expectations) and forwarded ports.
/// * `source_nat` (postrouting, `srcnat`): masquerade on the WAN interface.
pub fn render_ruleset(config: &RouterConfig) -> String {
    let lan = &config.lan_interface;
    let wan = &config.wan_interface;
    let mut text = String::new();
    let mut line = |content: String| {
        text.push_str(&content);
        text.push('\n');
    };

    line(format!("table ip {TABLE_NAME} {{"));

    // Repeated ports would declare the same helper object twice; keep each once.
    let mut alg_ports: Vec<AlgPort> = Vec::new();
    for alg in &config.sip_alg {
        if !alg_ports.contains(alg) {
            alg_ports.push(*alg);
        }
    }
    for alg in &alg_ports {
        line(format!(
            "  ct helper {} {{ type \"sip\" protocol {}; l3proto ip; }}",
            alg.helper_name(),
            alg.transport
        ));
    }
    if !alg_ports.is_empty() {
        line("  chain sip_helpers {".into());
        line("    type filter hook prerouting priority filter; policy accept;".into());
        for alg in &alg_ports {
            line(format!(
                "    {} dport {} ct helper set \"{}\"",
                alg.transport,
                alg.port,
                alg.helper_name()
            ));
        }
        line("  }".into());
    }

    if let (false, Some(target)) = (config.forwards.is_empty(), config.forward_target) {
        line("  chain port_forwards {".into());
        line("    type nat hook prerouting priority dstnat; policy accept;".into());
        for forward in &config.forwards {
            // DNAT to an address only keeps the destination port, so ranges map 1:1.
            line(format!(
                "    iifname \"{wan}\" ip daddr {} {} dport {} dnat to {target}",
                config.wan_address, forward.transport, forward.ports
            ));
        }
        line("  }".into());
    }

    line("  chain filter_forward {".into());
    line("    type filter hook forward priority filter; policy drop;".into());
    // Loss and drops come first so they also hit established flows.
    for (percent, from, to) in [
        (config.loss.outbound_percent, lan, wan),
        (config.loss.inbound_percent, wan, lan),
    ] {
        if percent > 0 {
            line(format!(
                "    iifname \"{from}\" oifname \"{to}\" numgen random mod 100 < {percent} drop"
            ));
        }
    }
    for rule in &config.drops {
        let (from, to) = match rule.direction {
            Direction::Outbound => (lan, wan),
            Direction::Inbound => (wan, lan),
        };
        line(format!(
            "    iifname \"{from}\" oifname \"{to}\" {} dport {} drop",
            rule.transport, rule.ports
        ));
    }
    line("    ct state established,related accept".into());
    line("    ct status dnat accept".into());
    line(format!("    iifname \"{lan}\" oifname \"{wan}\" accept"));
    line("  }".into());

    let masquerade = match config.nat {
        Nat::None => None,
        Nat::PortPreserving => Some("masquerade"),
        Nat::Symmetric => Some("masquerade fully-random"),
    };
    if let Some(masquerade) = masquerade {
        line("  chain source_nat {".into());
        line("    type nat hook postrouting priority srcnat; policy accept;".into());
        line(format!("    oifname \"{wan}\" {masquerade}"));
        line("  }".into());
    }

    line("}".into());
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{PortRange, Transport};

    fn base_config() -> RouterConfig {
        RouterConfig {
            lan_interface: "lan".into(),
            wan_interface: "wan".into(),
            wan_address: Ipv4Addr::new(198, 18, 0, 1),
            nat: Nat::PortPreserving,
            sip_alg: Vec::new(),
            drops: Vec::new(),
            loss: Loss::default(),
            forwards: Vec::new(),
            forward_target: None,
        }
    }

    #[test]
    fn nat_types_render_their_masquerade() {
        let mut config = base_config();
        assert!(render_ruleset(&config).contains("oifname \"wan\" masquerade\n"));
        config.nat = Nat::Symmetric;
        assert!(render_ruleset(&config).contains("masquerade fully-random"));
        config.nat = Nat::None;
        assert!(!render_ruleset(&config).contains("masquerade"));
    }

    #[test]
    fn alg_uses_filter_priority_helper() {
        let mut config = base_config();
        config.sip_alg = vec![AlgPort::udp(5060), AlgPort::tcp(5061)];
        let text = render_ruleset(&config);
        assert!(text.contains("ct helper sip_udp_5060 { type \"sip\" protocol udp;"));
        assert!(text.contains("type filter hook prerouting priority filter;"));
        assert!(text.contains("udp dport 5060 ct helper set \"sip_udp_5060\""));
        assert!(text.contains("tcp dport 5061 ct helper set \"sip_tcp_5061\""));
        config.sip_alg.push(AlgPort::udp(5060));
        assert_eq!(
            render_ruleset(&config)
                .matches("ct helper sip_udp_5060")
                .count(),
            1
        );
    }

    #[test]
    fn drops_and_loss_come_before_the_stateful_accept() {
        let mut config = base_config();
        config.drops = vec![
            DropRule::outbound(Transport::Udp, 5062),
            DropRule::inbound(Transport::Tcp, PortRange::new(10, 20)),
        ];
        config.loss = Loss {
            outbound_percent: 30,
            inbound_percent: 0,
        };
        let text = render_ruleset(&config);
        let drop_at = text.find("udp dport 5062 drop").unwrap();
        let loss_at = text.find("numgen random mod 100 < 30 drop").unwrap();
        let accept_at = text.find("ct state established,related accept").unwrap();
        assert!(drop_at < accept_at && loss_at < accept_at);
        assert!(text.contains("iifname \"wan\" oifname \"lan\" tcp dport 10-20 drop"));
        // Zero loss renders no rule at all.
        assert_eq!(text.matches("numgen").count(), 1);
    }

    #[test]
    fn forwards_dnat_to_the_target() {
        let mut config = base_config();
        config.forwards = vec![PortForward::udp(5060)];
        config.forward_target = Some(Ipv4Addr::new(10, 77, 0, 3));
        let text = render_ruleset(&config);
        assert!(
            text.contains("iifname \"wan\" ip daddr 198.18.0.1 udp dport 5060 dnat to 10.77.0.3")
        );
        assert!(text.contains("ct status dnat accept"));
    }
}
