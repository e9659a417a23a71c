//! The lab's self-test: each property is proven with a small real probe and compared
//! against the expected ground truth. Used by `sipwall-lab selftest` and the
//! integration tests (one test per property).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::probe::{self, Received};
use crate::topology::{CLIENT_ADDR, PBX_ADDR};
use crate::{AlgPort, DropRule, Host, Lab, Nat, PortForward, Transport, netns};

/// How long one probe waits for its datagram before retrying.
const PROBE_WAIT: Duration = Duration::from_millis(500);
/// How often a probe that should succeed is sent before giving up.
const PROBE_ATTEMPTS: u32 = 3;
/// How long a probe that should *not* arrive is watched for.
const SILENCE_WAIT: Duration = Duration::from_millis(700);
/// Fixed service port on the server; every lab has its own namespaces, so no clashes.
const REFLECTOR_PORT: u16 = 3478;

/// A property check: returns evidence on success, an explanation on failure.
pub type Check = fn() -> Result<String>;

/// All self-test properties, in report order: (name, check).
pub const PROPERTIES: &[(&str, Check)] = &[
    ("namespace sockets", namespace_sockets),
    ("no NAT keeps private source", no_nat_keeps_private_source),
    (
        "port-preserving NAT is endpoint-independent",
        port_preserving_nat,
    ),
    ("symmetric NAT maps per destination", symmetric_nat),
    ("kernel SIP ALG rewrites UDP 5060 only", sip_alg_rewrites),
    (
        "conntrack UDP timeout expires bindings",
        udp_timeout_expires_binding,
    ),
    ("dropped port is dropped", dropped_port),
    ("random loss rate", random_loss),
    ("port forward reaches pbx", port_forward),
    ("double NAT (CGN)", double_nat),
    ("teardown leaves no namespaces", teardown),
];

/// Outcome of one property.
#[derive(Debug)]
pub struct PropertyOutcome {
    /// Property name from [`PROPERTIES`].
    pub name: &'static str,
    /// Evidence on success, the failure explanation otherwise.
    pub result: Result<String>,
    /// How long the check took (including building and tearing down its lab).
    pub elapsed: Duration,
}

/// Runs every property in parallel (each builds its own lab) and returns the outcomes
/// in [`PROPERTIES`] order.
pub fn run_all() -> Vec<PropertyOutcome> {
    std::thread::scope(|scope| {
        let running: Vec<_> = PROPERTIES
            .iter()
            .map(|&(name, check)| {
                scope.spawn(move || {
                    let started = Instant::now();
                    // A panic inside a check is a failure of that property, not of the run.
                    let result = std::panic::catch_unwind(check)
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("check panicked")));
                    PropertyOutcome {
                        name,
                        result,
                        elapsed: started.elapsed(),
                    }
                })
            })
            .collect();
        running
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .expect("check thread panicked outside catch_unwind")
            })
            .collect()
    })
}

fn socket_addr(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(ip, port))
}

/// A UDP socket on an ephemeral port of the host's primary address.
fn ephemeral_udp(host: &Host) -> Result<UdpSocket> {
    host.udp_socket(socket_addr(host.address(), 0))
        .with_context(|| format!("binding a UDP socket in {}", host.name()))
}

fn udp_on(host: &Host, ip: Ipv4Addr, port: u16) -> Result<UdpSocket> {
    host.udp_socket(socket_addr(ip, port))
        .with_context(|| format!("binding UDP {ip}:{port} in {}", host.name()))
}

fn local_port(socket: &UdpSocket) -> Result<u16> {
    Ok(socket.local_addr()?.port())
}

/// Sends a fresh token from `sender` to `destination`; returns what `receiver` saw,
/// failing if nothing arrived after the retries.
fn expect_arrival(
    sender: &UdpSocket,
    destination: SocketAddr,
    receiver: &UdpSocket,
) -> Result<Received> {
    let token = probe::unique_token("arrival");
    probe::udp_probe(
        sender,
        destination,
        receiver,
        token.as_bytes(),
        PROBE_ATTEMPTS,
        PROBE_WAIT,
    )?
    .with_context(|| format!("datagram to {destination} never arrived"))
}

/// Sends one fresh token; returns true if `receiver` got it within [`SILENCE_WAIT`].
fn arrives_once(sender: &UdpSocket, destination: SocketAddr, receiver: &UdpSocket) -> Result<bool> {
    let token = probe::unique_token("once");
    let received = probe::udp_probe(
        sender,
        destination,
        receiver,
        token.as_bytes(),
        1,
        SILENCE_WAIT,
    )?;
    Ok(received.is_some())
}

/// The address the server sees for a datagram from `client_socket` to `server_address`.
fn mapping_seen_by_server(
    client_socket: &UdpSocket,
    server_socket: &UdpSocket,
    server_address: SocketAddr,
) -> Result<SocketAddr> {
    Ok(expect_arrival(client_socket, server_address, server_socket)?.from)
}

/// Proves the setns primitive: a socket made for the client lives in the client
/// namespace (its address does not exist outside), works from another thread, and
/// LAN hosts reach each other over the router's bridge.
pub fn namespace_sockets() -> Result<String> {
    let lab = Lab::builder().pbx().build()?;
    let client_socket = ephemeral_udp(lab.client())?;
    let pbx_socket = ephemeral_udp(lab.pbx().context("pbx missing")?)?;
    let pbx_address = pbx_socket.local_addr()?;

    // The test process itself is not in the client namespace, so this must fail.
    let outside = UdpSocket::bind(socket_addr(CLIENT_ADDR, 0));
    ensure!(
        outside.is_err(),
        "10.77.0.2 is bindable outside the lab; the host namespace has a clashing address"
    );

    let seen = std::thread::scope(|scope| {
        scope
            .spawn(|| expect_arrival(&client_socket, pbx_address, &pbx_socket))
            .join()
            .expect("probe thread panicked")
    })?;
    let client_address = client_socket.local_addr()?;
    ensure!(
        seen.from == client_address,
        "pbx saw {} but the client socket is {client_address}",
        seen.from
    );
    Ok(format!(
        "socket {client_address} exists only in {}; used from another thread it reached the pbx over the LAN bridge",
        lab.client().name()
    ))
}

/// Property 1: without NAT the server sees the client's private address and port.
pub fn no_nat_keeps_private_source() -> Result<String> {
    let lab = Lab::builder().nat(Nat::None).build()?;
    let client_socket = ephemeral_udp(lab.client())?;
    let server_socket = udp_on(lab.server(), lab.server_primary_address(), REFLECTOR_PORT)?;
    let seen = mapping_seen_by_server(&client_socket, &server_socket, server_socket.local_addr()?)?;
    let expected = client_socket.local_addr()?;
    ensure!(seen == expected, "server saw {seen}, expected {expected}");
    Ok(format!("server saw {seen} from local {expected}"))
}

/// Property 2: masquerade keeps the port and uses one mapping for both server addresses,
/// and the router's conntrack table agrees.
pub fn port_preserving_nat() -> Result<String> {
    let lab = Lab::builder().nat(Nat::PortPreserving).build()?;
    let client_socket = ephemeral_udp(lab.client())?;
    let port = local_port(&client_socket)?;
    let expected = socket_addr(lab.public_address(), port);

    let mut seen = Vec::new();
    for server_ip in [lab.server_primary_address(), lab.server_secondary_address()] {
        let server_socket = udp_on(lab.server(), server_ip, REFLECTOR_PORT)?;
        let mapping =
            mapping_seen_by_server(&client_socket, &server_socket, server_socket.local_addr()?)?;
        ensure!(
            mapping == expected,
            "server {server_ip} saw {mapping}, expected {expected} (public address, same port)"
        );
        seen.push(mapping);
    }

    let client_address = client_socket.local_addr()?;
    let flows: Vec<_> = lab
        .router()
        .conntrack_udp()?
        .into_iter()
        .filter(|entry| SocketAddr::V4(entry.original.source) == client_address)
        .collect();
    ensure!(
        flows.len() == 2,
        "router conntrack has {} flows from {client_address}, expected 2: {flows:?}",
        flows.len()
    );
    for flow in &flows {
        ensure!(
            SocketAddr::V4(flow.translated_source()) == expected,
            "router conntrack maps {client_address} to {}, expected {expected}",
            flow.translated_source()
        );
    }
    Ok(format!(
        "server saw {} at .10 and {} at .11 from local port {port}; router conntrack agrees",
        seen[0], seen[1]
    ))
}

/// Property 3: `masquerade fully-random` gives each destination its own mapping.
pub fn symmetric_nat() -> Result<String> {
    const SOCKETS: usize = 4;
    let lab = Lab::builder().nat(Nat::Symmetric).build()?;
    let primary = udp_on(lab.server(), lab.server_primary_address(), REFLECTOR_PORT)?;
    let secondary = udp_on(lab.server(), lab.server_secondary_address(), REFLECTOR_PORT)?;

    let mut differing = 0;
    let mut preserved = 0;
    let mut report = Vec::new();
    for _ in 0..SOCKETS {
        let client_socket = ephemeral_udp(lab.client())?;
        let port = local_port(&client_socket)?;
        let to_primary = mapping_seen_by_server(&client_socket, &primary, primary.local_addr()?)?;
        let to_secondary =
            mapping_seen_by_server(&client_socket, &secondary, secondary.local_addr()?)?;
        ensure!(
            to_primary.ip() == IpAddr::V4(lab.public_address())
                && to_secondary.ip() == IpAddr::V4(lab.public_address()),
            "server saw {to_primary} / {to_secondary}, expected the public address"
        );
        if to_primary != to_secondary {
            differing += 1;
        }
        preserved += [to_primary, to_secondary]
            .iter()
            .filter(|mapping| mapping.port() == port)
            .count();
        report.push(format!(
            "{port}->{}/{}",
            to_primary.port(),
            to_secondary.port()
        ));
    }
    // Random ports collide with ~1/30000 chance; allowing one fluke keeps this reliable.
    ensure!(
        differing >= SOCKETS - 1 && preserved < 2 * SOCKETS,
        "only {differing}/{SOCKETS} sockets got different mappings per destination, {preserved} ports preserved: {}",
        report.join(", ")
    );
    Ok(format!(
        "{differing}/{SOCKETS} sockets mapped differently per destination (local->.10/.11 ports: {})",
        report.join(", ")
    ))
}

/// A small but complete SIP INVITE with SDP; the kernel helper only rewrites
/// well-formed messages with a correct Content-Length.
pub fn sip_invite(
    local: SocketAddrV4,
    server: SocketAddrV4,
    call_id: &str,
    media_port: u16,
) -> String {
    let ip = local.ip();
    let body = format!(
        "v=0\r\no=alice 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {media_port} RTP/AVP 0\r\n"
    );
    format!(
        "INVITE sip:bob@{server} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK-{call_id}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.invalid>;tag=1\r\n\
         To: <sip:bob@{server}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:alice@{local}>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// The first line of `message` starting with `prefix` (SIP headers and SDP lines).
fn line_starting<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.lines().find(|line| line.starts_with(prefix))
}

/// Checks Content-Length matches the body, as a rewriting ALG must keep it.
fn content_length_matches(message: &str) -> bool {
    let Some((head, body)) = message.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|line| line.strip_prefix("Content-Length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())
        == Some(body.len())
}

/// A minimal `200 OK` answering `invite`, echoing its Via as received (as a real
/// server does), so the reply-direction rewrite can be observed.
fn sip_ok_response(received_invite: &str) -> String {
    let header = |name: &str| line_starting(received_invite, name).unwrap_or_default();
    format!(
        "SIP/2.0 200 OK\r\n{}\r\n{}\r\n{};tag=2\r\n{}\r\n{}\r\nContent-Length: 0\r\n\r\n",
        header("Via:"),
        header("From:"),
        header("To:"),
        header("Call-ID:"),
        header("CSeq:"),
    )
}

/// Property 4: the kernel SIP helper on UDP 5060 rewrites Via, Contact and SDP o=/c=
/// to the public address (and the reply's Via back to the private one, and expects
/// the announced RTP port); on 5080 (no helper) the same INVITE arrives untouched.
pub fn sip_alg_rewrites() -> Result<String> {
    const ALG_PORT: u16 = 5060;
    const PLAIN_PORT: u16 = 5080;
    const MEDIA_PORT: u16 = 40_002;
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .sip_alg(AlgPort::udp(ALG_PORT))
        .build()?;
    let client_socket = ephemeral_udp(lab.client())?;
    let SocketAddr::V4(local) = client_socket.local_addr()? else {
        bail!("client socket is not IPv4");
    };
    let public = lab.public_address().to_string();
    let private = local.ip().to_string();
    let checked_lines = ["Via:", "Contact:", "o=", "c="];

    let mut evidence = Vec::new();
    for (port, expect_rewrite) in [(ALG_PORT, true), (PLAIN_PORT, false)] {
        let server_socket = udp_on(lab.server(), lab.server_primary_address(), port)?;
        let SocketAddr::V4(server) = server_socket.local_addr()? else {
            bail!("server socket is not IPv4");
        };
        let call_id = probe::unique_token("call").replace(' ', "-");
        let invite = sip_invite(local, server, &call_id, MEDIA_PORT);
        // The request line is not rewritten, so it identifies the INVITE on arrival.
        let request_line = invite.lines().next().unwrap_or_default().to_string();
        client_socket.send_to(invite.as_bytes(), server)?;
        let received =
            probe::receive_matching(&server_socket, request_line.as_bytes(), PROBE_WAIT * 2)?
                .with_context(|| format!("INVITE to port {port} never arrived"))?;
        let text = String::from_utf8_lossy(&received.payload).into_owned();
        for prefix in checked_lines {
            let line = line_starting(&text, prefix)
                .with_context(|| format!("{prefix} line missing at port {port}:\n{text}"))?;
            if expect_rewrite {
                ensure!(
                    line.contains(&public) && !line.contains(&private),
                    "port {port}: {prefix} line not rewritten to {public}: {line:?}"
                );
            } else {
                ensure!(
                    line.contains(&private),
                    "port {port}: {prefix} line changed without a helper: {line:?}"
                );
            }
        }
        ensure!(
            content_length_matches(&text),
            "port {port}: Content-Length does not match the body:\n{text}"
        );
        if !expect_rewrite {
            ensure!(
                text == invite,
                "port {port}: INVITE modified in transit:\n{text}"
            );
        }

        // The helper also handles the reply direction of the same flow.
        server_socket.send_to(sip_ok_response(&text).as_bytes(), received.from)?;
        let response = probe::receive_matching(&client_socket, b"SIP/2.0 200 OK", PROBE_WAIT * 2)?
            .with_context(|| format!("200 OK from port {port} never reached the client"))?;
        let response_text = String::from_utf8_lossy(&response.payload).into_owned();
        let response_via = line_starting(&response_text, "Via:").unwrap_or_default();
        ensure!(
            response_via.contains(&format!("{local}")),
            "port {port}: the client got Via {response_via:?}, expected {local}"
        );
        evidence.push(format!(
            "{port}: server got {:?}",
            line_starting(&text, "Via:").unwrap_or_default()
        ));
    }

    // Ground truth from the router: the helper is attached only to the 5060 flow, it
    // replaces the UDP timeout with its own (sip_timeout, 3600 s), and it expects RTP.
    let flows = lab.router().conntrack_udp()?;
    let flow_to = |port: u16| {
        flows
            .iter()
            .find(|entry| entry.original.destination.port() == port)
            .with_context(|| format!("no router conntrack flow to port {port}"))
    };
    let alg_flow = flow_to(ALG_PORT)?;
    let plain_flow = flow_to(PLAIN_PORT)?;
    ensure!(
        alg_flow.helper.as_deref() == Some("sip") && plain_flow.helper.is_none(),
        "helpers in conntrack: {ALG_PORT} -> {:?}, {PLAIN_PORT} -> {:?}",
        alg_flow.helper,
        plain_flow.helper
    );
    let media = format!("dport={MEDIA_PORT}");
    let expectations = lab.router().conntrack_expectations()?;
    ensure!(
        expectations.iter().any(|line| line.contains(&media)),
        "no conntrack expectation for the SDP media port {MEDIA_PORT}: {expectations:?}"
    );
    Ok(format!(
        "sent Via {local}; {}; 200 OK Via restored to {local}; conntrack: helper=sip on {ALG_PORT} (timeout {} s), none on {PLAIN_PORT}, RTP expectation for {MEDIA_PORT}",
        evidence.join("; "),
        alg_flow.timeout_secs
    ))
}

/// Property 5: with a 3 s UDP conntrack timeout a binding survives 1 s of idle but
/// not 5 s: the server's late datagram no longer reaches the client.
pub fn udp_timeout_expires_binding() -> Result<String> {
    const TIMEOUT_SECS: u32 = 3;
    const SHORT_IDLE: Duration = Duration::from_secs(1);
    const LONG_IDLE: Duration = Duration::from_secs(5);
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .udp_timeout_secs(TIMEOUT_SECS)
        .udp_stream_timeout_secs(TIMEOUT_SECS)
        .build()?;
    let server_socket = udp_on(lab.server(), lab.server_primary_address(), REFLECTOR_PORT)?;
    let server_address = server_socket.local_addr()?;

    // Open two bindings the same way: one datagram out, one reply back.
    let mut bindings = Vec::new();
    for _ in 0..2 {
        let client_socket = ephemeral_udp(lab.client())?;
        let mapping = mapping_seen_by_server(&client_socket, &server_socket, server_address)?;
        expect_arrival(&server_socket, mapping, &client_socket)
            .context("the server's first reply did not reach the client")?;
        bindings.push((client_socket, mapping, Instant::now()));
    }
    let (short_socket, short_mapping, short_opened) = &bindings[0];
    let (long_socket, long_mapping, long_opened) = &bindings[1];

    std::thread::sleep(SHORT_IDLE.saturating_sub(short_opened.elapsed()));
    ensure!(
        arrives_once(&server_socket, *short_mapping, short_socket)?,
        "after {SHORT_IDLE:?} idle the server could not reach {short_mapping}"
    );

    std::thread::sleep(LONG_IDLE.saturating_sub(long_opened.elapsed()));
    let long_client = long_socket.local_addr()?;
    let leftover = lab
        .router()
        .conntrack_udp()?
        .into_iter()
        .filter(|entry| SocketAddr::V4(entry.original.source) == long_client)
        .count();
    ensure!(
        !arrives_once(&server_socket, *long_mapping, long_socket)?,
        "after {LONG_IDLE:?} idle the server still reached {long_mapping} (timeout {TIMEOUT_SECS} s)"
    );
    Ok(format!(
        "timeout {TIMEOUT_SECS} s: {short_mapping} reachable after {SHORT_IDLE:?} idle, {long_mapping} unreachable after {LONG_IDLE:?} (router conntrack entries left: {leftover})"
    ))
}

/// Property 6: datagrams to a dropped server port vanish, a neighbouring port works.
pub fn dropped_port() -> Result<String> {
    const DROPPED: u16 = 5062;
    const CONTROL: u16 = 5063;
    let lab = Lab::builder()
        .drop_rule(DropRule::outbound(Transport::Udp, DROPPED))
        .build()?;
    let client_socket = ephemeral_udp(lab.client())?;
    let dropped_socket = udp_on(lab.server(), lab.server_primary_address(), DROPPED)?;
    let control_socket = udp_on(lab.server(), lab.server_primary_address(), CONTROL)?;

    let control = expect_arrival(
        &client_socket,
        control_socket.local_addr()?,
        &control_socket,
    )
    .context("control port did not work")?;
    let token = probe::unique_token("dropped");
    let leaked = probe::udp_probe(
        &client_socket,
        dropped_socket.local_addr()?,
        &dropped_socket,
        token.as_bytes(),
        PROBE_ATTEMPTS,
        PROBE_WAIT,
    )?;
    ensure!(
        leaked.is_none(),
        "datagram to dropped port {DROPPED} arrived: {leaked:?}"
    );
    Ok(format!(
        "udp/{CONTROL} arrived (from {}), {PROBE_ATTEMPTS} datagrams to udp/{DROPPED} did not",
        control.from
    ))
}

/// Sends a burst from `sender` while a thread counts arrivals at `receiver`.
fn burst_count(
    sender: &UdpSocket,
    destination: SocketAddr,
    receiver: &UdpSocket,
    count: usize,
) -> Result<usize> {
    let tag = probe::unique_token("burst");
    std::thread::scope(|scope| {
        let counter = scope.spawn(|| {
            probe::count_burst(
                receiver,
                &tag,
                count,
                Duration::from_secs(1),
                Duration::from_secs(10),
            )
        });
        let sent = probe::send_burst(sender, destination, &tag, count);
        let received = counter.join().expect("counter thread panicked")?;
        sent?;
        Ok(received)
    })
}

/// The UDP counters of a namespace (`/proc/net/snmp`), to tell receive-buffer
/// overflows (RcvbufErrors) from real loss when a burst comes up short.
fn udp_counters(host: &Host) -> String {
    let Ok(snmp) = host.run("cat", &["/proc/net/snmp"]) else {
        return "UDP counters unavailable".to_string();
    };
    let udp_lines: Vec<&str> = snmp
        .lines()
        .filter(|line| line.starts_with("Udp:"))
        .collect();
    match udp_lines.as_slice() {
        [names, values] => names
            .split_whitespace()
            .zip(values.split_whitespace())
            .skip(1)
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(" "),
        _ => "UDP counters unavailable".to_string(),
    }
}

/// Property 7: 30 % outbound loss drops roughly 30 % of 1000 datagrams; with 0 %
/// inbound loss all 1000 replies arrive.
pub fn random_loss() -> Result<String> {
    const COUNT: usize = 1000;
    const LOSS_PERCENT: u8 = 30;
    // Expected 700 delivered, standard deviation ~14.5: this band is over 10 sigma wide.
    const DELIVERED_BAND: std::ops::RangeInclusive<usize> = 550..=850;
    let lab = Lab::builder()
        .outbound_loss_percent(LOSS_PERCENT)
        .inbound_loss_percent(0)
        .build()?;
    let client_socket = ephemeral_udp(lab.client())?;
    let server_socket = udp_on(lab.server(), lab.server_primary_address(), REFLECTOR_PORT)?;

    let outbound = burst_count(
        &client_socket,
        server_socket.local_addr()?,
        &server_socket,
        COUNT,
    )?;
    ensure!(
        DELIVERED_BAND.contains(&outbound),
        "with {LOSS_PERCENT}% loss {outbound}/{COUNT} arrived, expected {DELIVERED_BAND:?} (server {})",
        udp_counters(lab.server())
    );

    let mapping =
        mapping_seen_by_server(&client_socket, &server_socket, server_socket.local_addr()?)?;
    let inbound = burst_count(&server_socket, mapping, &client_socket, COUNT)?;
    ensure!(
        inbound == COUNT,
        "with 0% inbound loss only {inbound}/{COUNT} arrived (client {})",
        udp_counters(lab.client())
    );
    Ok(format!(
        "outbound {LOSS_PERCENT}% loss: {outbound}/{COUNT} arrived; inbound 0% loss: {inbound}/{COUNT} arrived"
    ))
}

/// Property 8: forwarded ports on the router's WAN address reach the pbx; others do not,
/// and the pbx is not reachable directly from outside.
pub fn port_forward() -> Result<String> {
    const SIP_PORT: u16 = 5060;
    const FORWARDED_TCP: u16 = 5061;
    const UNFORWARDED_TCP: u16 = 22;
    let lab = Lab::builder()
        .forward(PortForward::udp(SIP_PORT))
        .forward(PortForward::tcp(FORWARDED_TCP))
        .build()?;
    let pbx = lab.pbx().context("pbx missing")?;
    let public = lab.router_wan_address();
    let pbx_udp = udp_on(pbx, PBX_ADDR, SIP_PORT)?;
    // Listeners on both TCP ports, so only the forward decides what connects.
    let _forwarded_listener = pbx.tcp_listener(socket_addr(PBX_ADDR, FORWARDED_TCP))?;
    let _unforwarded_listener = pbx.tcp_listener(socket_addr(PBX_ADDR, UNFORWARDED_TCP))?;
    let server_socket = udp_on(lab.server(), lab.server_primary_address(), REFLECTOR_PORT)?;

    let forwarded = expect_arrival(&server_socket, socket_addr(public, SIP_PORT), &pbx_udp)
        .context("udp forward to the pbx failed")?;
    ensure!(
        forwarded.from == server_socket.local_addr()?,
        "pbx saw {} instead of the server's own address",
        forwarded.from
    );
    ensure!(
        !arrives_once(&server_socket, socket_addr(PBX_ADDR, SIP_PORT), &pbx_udp)?,
        "the server reached the pbx's private address directly"
    );

    let timeout = Duration::from_secs(1);
    lab.server()
        .tcp_connect(socket_addr(public, FORWARDED_TCP), timeout)
        .with_context(|| format!("tcp forward {public}:{FORWARDED_TCP} did not connect"))?;
    let unforwarded = lab
        .server()
        .tcp_connect(socket_addr(public, UNFORWARDED_TCP), timeout);
    let refusal = match unforwarded {
        Ok(_) => bail!("{public}:{UNFORWARDED_TCP}/tcp connected although it is not forwarded"),
        Err(error) if probe::is_connect_failure(&error) => error,
        Err(error) => return Err(error).context("unexpected local error connecting"),
    };
    Ok(format!(
        "udp {public}:{SIP_PORT} reached pbx (saw {}), tcp/{FORWARDED_TCP} connected, tcp/{UNFORWARDED_TCP} failed ({refusal}), direct {PBX_ADDR} dropped",
        forwarded.from
    ))
}

/// Property 9: behind a CGN the server sees 198.18.0.1 while the inner router
/// translates to its 100.64.0.2 WAN address.
pub fn double_nat() -> Result<String> {
    let lab = Lab::builder()
        .nat(Nat::PortPreserving)
        .cgn(Nat::PortPreserving)
        .build()?;
    let cgn = lab.cgn().context("cgn missing")?;
    let client_socket = ephemeral_udp(lab.client())?;
    let server_socket = udp_on(lab.server(), lab.server_primary_address(), REFLECTOR_PORT)?;
    let seen = mapping_seen_by_server(&client_socket, &server_socket, server_socket.local_addr()?)?;
    ensure!(
        seen.ip() == IpAddr::V4(lab.public_address()),
        "server saw {seen}, expected {}",
        lab.public_address()
    );

    let client_address = client_socket.local_addr()?;
    let inner = lab
        .router()
        .conntrack_udp()?
        .into_iter()
        .find(|entry| SocketAddr::V4(entry.original.source) == client_address)
        .context("no inner router conntrack entry for the client")?;
    let inner_mapping = inner.translated_source();
    ensure!(
        *inner_mapping.ip() == lab.router_wan_address(),
        "inner router translated to {inner_mapping}, expected {}",
        lab.router_wan_address()
    );
    let outer = cgn
        .conntrack_udp()?
        .into_iter()
        .find(|entry| entry.original.source == inner_mapping)
        .context("no cgn conntrack entry for the inner mapping")?;
    ensure!(
        SocketAddr::V4(outer.translated_source()) == seen,
        "cgn translated to {}, but the server saw {seen}",
        outer.translated_source()
    );
    Ok(format!(
        "client {client_address} -> router {inner_mapping} -> cgn {seen}; server saw {seen}"
    ))
}

/// `ip netns list` names, one per line (the command adds "(id: N)" suffixes).
fn listed_namespaces() -> Result<Vec<String>> {
    let output = netns::run(Command::new("ip").args(["netns", "list"]))?;
    Ok(output
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect())
}

/// Property 10: dropping a lab (with every optional part) removes all its namespaces.
pub fn teardown() -> Result<String> {
    let lab = Lab::builder()
        .sip_alg(AlgPort::udp(5060))
        .forward(PortForward::udp(5060))
        .cgn(Nat::Symmetric)
        .build()?;
    let names = lab.namespace_names();
    let before = listed_namespaces()?;
    ensure!(
        names.iter().all(|name| before.contains(name)),
        "not all lab namespaces were listed while the lab ran: {names:?}"
    );
    drop(lab);
    let after = listed_namespaces()?;
    let leftovers: Vec<_> = names.iter().filter(|name| after.contains(name)).collect();
    ensure!(
        leftovers.is_empty(),
        "namespaces left after drop: {leftovers:?}"
    );
    Ok(format!(
        "{} namespaces created and all gone after drop",
        names.len()
    ))
}
