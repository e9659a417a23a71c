//! First-match evaluation of a path's filter rules over a set of ports, with port-interval and
//! CIDR set algebra instead of pattern matching: which of the ports a probe would send are
//! accepted, which dropped, and which nothing decides.

use sipwall_firewall::model::{Action, Address, Ports, Protocol};

use crate::device::{Device, Evidence, FilterRule, Path};

/// Whose packets the walk follows, and from which source ports.
#[derive(Debug, Clone, Copy)]
pub enum Probe<'a> {
    /// Inside hosts going out, from these source ports (the required flow's): any source
    /// address restriction is taken to name the LAN.
    Inside(&'a Ports),
    /// An arbitrary outside host, which picks any source port: rules limited to some sources
    /// or some source ports do not match it.
    Anyone,
    /// One of these sources (a profile's whitelist), from these source ports: a rule matches
    /// when it allows all of them.
    From(&'a [Address], &'a Ports),
}

impl Probe<'_> {
    /// The source ports the probe sends from.
    fn source_ports(&self) -> &Ports {
        match self {
            Probe::Inside(ports) | Probe::From(_, ports) => ports,
            Probe::Anyone => &Ports::Any,
        }
    }
}

/// Where each of the walked ports ends.
#[derive(Debug, Default)]
pub struct Walk<'d> {
    pub accepted: Option<Ports>,
    pub dropped: Option<Ports>,
    /// Neither a rule nor a known default decides these.
    pub undecided: Option<Ports>,
    /// Evidence of the rules (and default) that accepted some of the ports.
    pub accepted_by: Vec<&'d Evidence>,
    /// Evidence of the rules (and default) that dropped some of the ports.
    pub dropped_by: Vec<&'d Evidence>,
    /// True when a default action (not a rule) accepted some of the ports.
    pub accepted_by_default: bool,
}

/// What a walk proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// That a required flow passes: an accept counts only when it surely covers the flow, a
    /// drop as soon as it may hit it; rules that match only some packets are skipped.
    Required,
    /// That something is reachable from an arbitrary outside host: an accept counts as soon
    /// as it may let it in (a rate-limited accept of a port still lets some in, so it counts
    /// without deciding the port), a drop only when it surely stops it.
    Exposure,
}

/// Whether a required flow passes the path.
pub fn walk<'d>(
    device: &'d Device,
    path: Path,
    protocol: Protocol,
    probe: Probe<'_>,
    destination: &[Address],
    ports: &Ports,
) -> Walk<'d> {
    evaluate(
        device,
        path,
        protocol,
        probe,
        destination,
        ports,
        Mode::Required,
    )
}

/// What of `ports` an arbitrary outside host can reach on the path (destination empty: any
/// address).
pub fn reachable<'d>(
    device: &'d Device,
    path: Path,
    protocol: Protocol,
    destination: &[Address],
    ports: &Ports,
) -> Walk<'d> {
    evaluate(
        device,
        path,
        protocol,
        Probe::Anyone,
        destination,
        ports,
        Mode::Exposure,
    )
}

fn evaluate<'d>(
    device: &'d Device,
    path: Path,
    protocol: Protocol,
    probe: Probe<'_>,
    destination: &[Address],
    ports: &Ports,
    mode: Mode,
) -> Walk<'d> {
    let mut result = Walk::default();
    let mut remaining = Some(ports.clone());
    for rule in device.filters.iter().filter(|r| r.path == path) {
        let Some(left) = &remaining else { break };
        if rule.protocol.is_some_and(|p| p != protocol) || !source_matches(rule, probe) {
            continue;
        }
        // A conditional accept of named ports (a rate limit, a schedule) still lets some of an
        // attacker's packets in; one for all ports is a state match (replies), not exposure.
        let partial_accept = mode == Mode::Exposure
            && rule.conditional
            && rule.action == Action::Accept
            && !rule.destination_ports.is_any();
        if rule.conditional && !partial_accept {
            continue;
        }
        let matches = match (mode, rule.action) {
            (Mode::Required, Action::Accept) | (Mode::Exposure, Action::Drop) => {
                covers(&rule.destination, destination)
            }
            (Mode::Required, Action::Drop) => overlaps(&rule.destination, destination),
            // Any address the accept opens is exposure when the probe may target anything.
            (Mode::Exposure, Action::Accept) => {
                destination.is_empty() || overlaps(&rule.destination, destination)
            }
        } && source_ports_match(rule, probe);
        if !matches {
            continue;
        }
        let Some(hit) = left.intersect(&rule.destination_ports) else {
            continue;
        };
        if !partial_accept {
            remaining = left.subtract(&hit);
        }
        record(&mut result, rule.action, hit, &rule.evidence);
    }
    if let Some(left) = remaining {
        match device.default_actions.iter().rev().find(|d| d.path == path) {
            Some(default) => {
                if default.action == Action::Accept {
                    result.accepted_by_default = true;
                }
                record(&mut result, default.action, left, &default.evidence);
            }
            None => result.undecided = Some(left),
        }
    }
    result
}

/// [`walk`] once per wanted destination, the results merged: a flow to several addresses is
/// allowed when each address is, even by different rules (exports often write one rule per
/// address).
pub fn walk_each<'d>(
    device: &'d Device,
    path: Path,
    protocol: Protocol,
    probe: Probe<'_>,
    destination: &[Address],
    ports: &Ports,
) -> Walk<'d> {
    if destination.len() < 2 {
        return walk(device, path, protocol, probe, destination, ports);
    }
    let mut merged = Walk::default();
    for one in destination {
        let part = walk(
            device,
            path,
            protocol,
            probe,
            std::slice::from_ref(one),
            ports,
        );
        for (into, from) in [
            (&mut merged.accepted, part.accepted),
            (&mut merged.dropped, part.dropped),
            (&mut merged.undecided, part.undecided),
        ] {
            if let Some(from) = from {
                *into = Some(union(into.as_ref(), &from));
            }
        }
        merged.accepted_by.extend(part.accepted_by);
        merged.dropped_by.extend(part.dropped_by);
        merged.accepted_by_default |= part.accepted_by_default;
    }
    merged
}

fn record<'d>(result: &mut Walk<'d>, action: Action, ports: Ports, evidence: &'d Evidence) {
    let (set, by) = match action {
        Action::Accept => (&mut result.accepted, &mut result.accepted_by),
        Action::Drop => (&mut result.dropped, &mut result.dropped_by),
    };
    *set = Some(union(set.as_ref(), &ports));
    by.push(evidence);
}

/// `a ∪ b`.
pub fn union(a: Option<&Ports>, b: &Ports) -> Ports {
    match a {
        None => b.clone(),
        Some(a) => Ports::from_ranges(a.ranges().into_iter().chain(b.ranges())),
    }
}

fn source_matches(rule: &FilterRule, probe: Probe<'_>) -> bool {
    match probe {
        // Outbound, a source restriction on an accept is taken to name the LAN; a drop limited
        // to some sources (a guest network) does not block the phones' flow.
        Probe::Inside(_) => {
            rule.action == Action::Accept || rule.source.is_empty() || covers_most(&rule.source)
        }
        // A rule for "everyone but a few" (a negated whitelist, stored as the complement) still
        // catches an arbitrary source.
        Probe::Anyone => rule.source.is_empty() || covers_most(&rule.source),
        Probe::From(sources, _) => {
            rule.source.is_empty() || (!sources.is_empty() && covers(&rule.source, sources))
        }
    }
}

/// The rule's source ports decide for the probe's: an accept must allow every one of them (an
/// accept limited to some source ports does not cover a flow from others); a drop blocks the
/// flow when it meets them, except for an arbitrary outside host, which simply picks a source
/// port the drop does not name.
fn source_ports_match(rule: &FilterRule, probe: Probe<'_>) -> bool {
    match (rule.action, probe) {
        (_, _) if rule.source_ports.is_any() => true,
        (Action::Drop, Probe::Anyone) => false,
        (Action::Accept, _) => probe.source_ports().subtract(&rule.source_ports).is_none(),
        (Action::Drop, _) => probe.source_ports().intersect(&rule.source_ports).is_some(),
    }
}

/// The addresses span at least half of the IPv4 or of the IPv6 space.
fn covers_most(addresses: &[Address]) -> bool {
    let (mut v4, mut v6) = (0u128, 0u128);
    for address in addresses {
        if let Address::Net(net) = address {
            let size = 1u128
                .checked_shl(u32::from(net.max_prefix_len() - net.prefix_len()))
                .unwrap_or(u128::MAX);
            match net {
                ipnet::IpNet::V4(_) => v4 = v4.saturating_add(size),
                ipnet::IpNet::V6(_) => v6 = v6.saturating_add(size),
            }
        }
    }
    v4 >= 1 << 31 || v6 >= 1 << 127
}

/// The rule's addresses (empty: any) include every wanted address (empty: any).
pub fn covers(rule: &[Address], wanted: &[Address]) -> bool {
    if rule.is_empty() {
        return true;
    }
    !wanted.is_empty() && wanted.iter().all(|w| rule.iter().any(|r| contains(r, w)))
}

/// The rule's addresses share an address with the wanted ones (a drop for one blocklisted
/// host does not block a flow to anywhere).
fn overlaps(rule: &[Address], wanted: &[Address]) -> bool {
    if rule.is_empty() {
        return true;
    }
    !wanted.is_empty()
        && wanted
            .iter()
            .any(|w| rule.iter().any(|r| contains(r, w) || contains(w, r)))
}

fn contains(outer: &Address, inner: &Address) -> bool {
    match (outer, inner) {
        (Address::Net(o), Address::Net(i)) => o.contains(i),
        (Address::Fqdn(o), Address::Fqdn(i)) => o.eq_ignore_ascii_case(i),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DefaultAction;
    use sipwall_firewall::model::PortRange;

    fn rule(action: Action, ports: Ports, source: Vec<Address>) -> FilterRule {
        FilterRule {
            path: Path::Inbound,
            protocol: Some(Protocol::Udp),
            source,
            source_ports: Ports::Any,
            destination: Vec::new(),
            destination_ports: ports,
            action,
            conditional: false,
            evidence: Evidence::explicit([]),
        }
    }

    fn net(text: &str) -> Address {
        Address::Net(text.parse().unwrap())
    }

    #[test]
    fn first_match_over_port_sets() {
        let device = Device {
            filters: vec![
                rule(Action::Drop, Ports::single(5060), Vec::new()),
                rule(
                    Action::Accept,
                    Ports::from_ranges([PortRange::new(5000, 20000)]),
                    Vec::new(),
                ),
            ],
            ..Device::default()
        };
        let wanted = Ports::from_ranges([PortRange::new(5060, 5061), PortRange::new(10000, 20000)]);
        let walk = walk(
            &device,
            Path::Inbound,
            Protocol::Udp,
            Probe::Anyone,
            &[],
            &wanted,
        );
        assert_eq!(walk.dropped, Some(Ports::single(5060)));
        assert_eq!(
            walk.accepted,
            Some(Ports::from_ranges([
                PortRange::single(5061),
                PortRange::new(10000, 20000)
            ]))
        );
        assert_eq!(walk.undecided, None);
    }

    #[test]
    fn whitelisted_accept_does_not_match_anyone() {
        let device = Device {
            filters: vec![rule(
                Action::Accept,
                Ports::single(5060),
                vec![net("203.0.113.0/24")],
            )],
            default_actions: vec![DefaultAction {
                path: Path::Inbound,
                action: Action::Drop,
                evidence: Evidence::explicit([]),
            }],
            ..Device::default()
        };
        let anyone = walk(
            &device,
            Path::Inbound,
            Protocol::Udp,
            Probe::Anyone,
            &[],
            &Ports::single(5060),
        );
        assert_eq!(anyone.dropped, Some(Ports::single(5060)));
        let allowed = [net("203.0.113.7/32")];
        let listed = walk(
            &device,
            Path::Inbound,
            Protocol::Udp,
            Probe::From(&allowed, &Ports::Any),
            &[],
            &Ports::single(5060),
        );
        assert_eq!(listed.accepted, Some(Ports::single(5060)));
    }

    #[test]
    fn everyone_but_a_whitelist_catches_anyone() {
        let mut rest: Vec<Address> = vec![net("0.0.0.0/1"), net("128.0.0.0/2")];
        rest.push(net("192.0.0.0/3"));
        assert!(covers_most(&rest));
        assert!(!covers_most(&[net("10.0.0.0/8"), net("203.0.113.0/24")]));
        assert!(covers_most(&[net("::/1")]));
        assert!(covers_most(&[net("0.0.0.0/0")]));
    }

    #[test]
    fn no_default_leaves_ports_undecided() {
        let device = Device::default();
        let walk = walk(
            &device,
            Path::Outbound,
            Protocol::Tcp,
            Probe::Inside(&Ports::Any),
            &[],
            &Ports::single(443),
        );
        assert_eq!(walk.undecided, Some(Ports::single(443)));
    }

    #[test]
    fn one_rule_per_destination_covers_a_flow_to_several() {
        let to = |address: &str| FilterRule {
            path: Path::Outbound,
            destination: vec![net(address)],
            ..rule(Action::Accept, Ports::single(5060), Vec::new())
        };
        let device = Device {
            filters: vec![to("198.51.100.1/32"), to("198.51.100.2/32")],
            default_actions: vec![DefaultAction {
                path: Path::Outbound,
                action: Action::Drop,
                evidence: Evidence::explicit([]),
            }],
            ..Device::default()
        };
        let both = [net("198.51.100.1/32"), net("198.51.100.2/32")];
        let args = (Path::Outbound, Protocol::Udp, Probe::Inside(&Ports::Any));
        let single = walk(&device, args.0, args.1, args.2, &both, &Ports::single(5060));
        assert_eq!(single.dropped, Some(Ports::single(5060)));
        let each = walk_each(&device, args.0, args.1, args.2, &both, &Ports::single(5060));
        assert_eq!(each.accepted, Some(Ports::single(5060)));
        assert_eq!(each.dropped, None);
    }

    /// A rule limited to source ports `first-last`.
    fn from_ports(action: Action, first: u16, last: u16) -> FilterRule {
        FilterRule {
            source_ports: Ports::from_ranges([PortRange::new(first, last)]),
            ..rule(action, Ports::single(5060), Vec::new())
        }
    }

    fn dropping(filters: Vec<FilterRule>) -> Device {
        Device {
            filters,
            default_actions: vec![DefaultAction {
                path: Path::Inbound,
                action: Action::Drop,
                evidence: Evidence::explicit([]),
            }],
            ..Device::default()
        }
    }

    fn walk_from<'d>(device: &'d Device, probe: Probe<'_>) -> Walk<'d> {
        walk(
            device,
            Path::Inbound,
            Protocol::Udp,
            probe,
            &[],
            &Ports::single(5060),
        )
    }

    #[test]
    fn accept_limited_to_some_source_ports_covers_only_flows_from_those() {
        let device = dropping(vec![from_ports(Action::Accept, 55000, 56000)]);
        let any = Ports::Any;
        let inside = Ports::from_ranges([PortRange::new(55100, 55200)]);
        let wider = Ports::from_ranges([PortRange::new(54000, 56000)]);
        // A flow from any port, or from ports partly outside the rule's, is not covered.
        for probe in [
            Probe::Inside(&any),
            Probe::Inside(&wider),
            Probe::From(&[], &any),
            Probe::Anyone,
        ] {
            let result = walk_from(&device, probe);
            assert_eq!(result.accepted, None, "{probe:?}");
            assert_eq!(result.dropped, Some(Ports::single(5060)), "{probe:?}");
        }
        // A flow from ports within the rule's is.
        for probe in [Probe::Inside(&inside), Probe::From(&[], &inside)] {
            let result = walk_from(&device, probe);
            assert_eq!(result.accepted, Some(Ports::single(5060)), "{probe:?}");
        }
    }

    #[test]
    fn drop_limited_to_some_source_ports_blocks_flows_it_meets_but_not_anyone() {
        let mut device = dropping(vec![
            from_ports(Action::Drop, 1, 1023),
            rule(Action::Accept, Ports::single(5060), Vec::new()),
        ]);
        device.default_actions[0].action = Action::Accept;
        let any = Ports::Any;
        let low = Ports::single(123);
        let high = Ports::single(40000);
        // The drop meets a flow from any port or from its own ports: at least part is blocked.
        for probe in [
            Probe::Inside(&any),
            Probe::Inside(&low),
            Probe::From(&[], &any),
        ] {
            let result = walk_from(&device, probe);
            assert_eq!(result.dropped, Some(Ports::single(5060)), "{probe:?}");
        }
        // A flow from other ports passes it, and so does an attacker (who picks a high port).
        for probe in [Probe::Inside(&high), Probe::From(&[], &high), Probe::Anyone] {
            let result = walk_from(&device, probe);
            assert_eq!(result.dropped, None, "{probe:?}");
            assert_eq!(result.accepted, Some(Ports::single(5060)), "{probe:?}");
        }
        // A drop from every source port stops the attacker.
        let device = dropping(vec![
            FilterRule {
                source_ports: Ports::Any,
                ..from_ports(Action::Drop, 1, 1)
            },
            rule(Action::Accept, Ports::single(5060), Vec::new()),
        ]);
        assert_eq!(
            walk_from(&device, Probe::Anyone).dropped,
            Some(Ports::single(5060))
        );
    }

    #[test]
    fn each_destination_walk_honours_source_ports() {
        let to = |address: &str, first: u16, last: u16| FilterRule {
            path: Path::Outbound,
            destination: vec![net(address)],
            ..from_ports(Action::Accept, first, last)
        };
        let device = Device {
            filters: vec![
                to("198.51.100.1/32", 65002, 65002),
                to("198.51.100.2/32", 65000, 65010),
            ],
            default_actions: vec![DefaultAction {
                path: Path::Outbound,
                action: Action::Drop,
                evidence: Evidence::explicit([]),
            }],
            ..Device::default()
        };
        let both = [net("198.51.100.1/32"), net("198.51.100.2/32")];
        let from = |ports: &Ports| {
            walk_each(
                &device,
                Path::Outbound,
                Protocol::Udp,
                Probe::Inside(ports),
                &both,
                &Ports::single(5060),
            )
        };
        let exact = from(&Ports::single(65002));
        assert_eq!(exact.accepted, Some(Ports::single(5060)));
        assert_eq!(exact.dropped, None);
        let wider = from(&Ports::from_ranges([PortRange::new(65000, 65010)]));
        assert_eq!(wider.accepted, Some(Ports::single(5060)));
        assert_eq!(wider.dropped, Some(Ports::single(5060)));
        let any = from(&Ports::Any);
        assert_eq!(any.accepted, None);
    }

    #[test]
    fn exposure_counts_rate_limited_and_address_limited_accepts() {
        let limited = FilterRule {
            conditional: true,
            ..rule(Action::Accept, Ports::single(22), Vec::new())
        };
        let to_wan_address = FilterRule {
            destination: vec![net("198.51.100.2/32")],
            ..rule(Action::Accept, Ports::single(23), Vec::new())
        };
        let state = FilterRule {
            conditional: true,
            ..rule(Action::Accept, Ports::Any, Vec::new())
        };
        let device = Device {
            filters: vec![state, limited, to_wan_address],
            default_actions: vec![DefaultAction {
                path: Path::Inbound,
                action: Action::Drop,
                evidence: Evidence::explicit([]),
            }],
            ..Device::default()
        };
        let ports = Ports::from_ranges([PortRange::new(22, 24)]);
        let open = reachable(&device, Path::Inbound, Protocol::Udp, &[], &ports);
        assert_eq!(
            open.accepted,
            Some(Ports::from_ranges([PortRange::new(22, 23)]))
        );
        // The same rules do not make a required flow pass.
        let required = walk(
            &device,
            Path::Inbound,
            Protocol::Udp,
            Probe::Anyone,
            &[],
            &ports,
        );
        assert_eq!(required.accepted, None);
    }

    #[test]
    fn a_drop_for_another_inside_source_does_not_block_the_phones() {
        let guest = FilterRule {
            path: Path::Outbound,
            ..rule(Action::Drop, Ports::Any, vec![net("192.168.50.0/24")])
        };
        let device = Device {
            filters: vec![guest],
            default_actions: vec![DefaultAction {
                path: Path::Outbound,
                action: Action::Accept,
                evidence: Evidence::explicit([]),
            }],
            ..Device::default()
        };
        let any = Ports::Any;
        let out = walk(
            &device,
            Path::Outbound,
            Protocol::Udp,
            Probe::Inside(&any),
            &[],
            &Ports::single(5060),
        );
        assert_eq!(out.accepted, Some(Ports::single(5060)));
    }

    #[test]
    fn address_containment() {
        assert!(covers(&[], &[net("1.2.3.4/32")]));
        assert!(covers(&[net("10.0.0.0/8")], &[net("10.1.0.0/16")]));
        assert!(!covers(&[net("10.1.0.0/16")], &[net("10.0.0.0/8")]));
        assert!(!covers(&[net("10.0.0.0/8")], &[]));
        assert!(overlaps(&[net("10.1.0.0/16")], &[net("10.0.0.0/8")]));
        assert!(!overlaps(&[net("10.1.0.0/16")], &[]));
    }
}
