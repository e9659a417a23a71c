//! `sipwall serve` (STUN part) against real STUN clients: coturn's RFC 5780 tools and the
//! classic RFC 3489 `stun` client, on loopback (127.0.0.1 + 127.0.0.2) and, as root, in the
//! namespace lab behind real Linux NAT.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use sipwall_lab::{Lab, Nat};

/// Starts `sipwall serve` through `command` and waits until it reports its sockets.
fn start_serve(mut command: Command, sockets: usize) -> Child {
    let mut child = command
        .args(["--duration", "60"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipwall serve starts");
    let stderr = child.stderr.take().expect("piped");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = 0;
    while seen < sockets {
        let line = lines
            .next()
            .expect("serve reports its sockets")
            .expect("utf-8 line");
        assert!(!line.starts_with("error"), "serve failed: {line}");
        if line.contains("STUN/UDP") {
            seen += 1;
        }
    }
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    child
}

fn serve_on_loopback(primary_port: u16) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sipwall"));
    command.args([
        "serve",
        "--sip",
        "none",
        "--control",
        "none",
        "--primary",
        &format!("127.0.0.1:{primary_port}"),
        "--alternate",
        &format!("127.0.0.2:{}", primary_port + 1),
    ]);
    start_serve(command, 4)
}

fn output_of(command: &mut Command) -> String {
    let output = command
        .output()
        .expect("the peer is installed (scripts/install-deps)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn coturn_natdiscovery_classifies_loopback_as_endpoint_independent() {
    let _server = Stop(serve_on_loopback(34_790));
    let text = output_of(Command::new("timeout").args([
        "30",
        "turnutils_natdiscovery",
        "-m",
        "-f",
        "-p",
        "34790",
        "127.0.0.1",
    ]));
    assert!(
        text.contains("NAT with Endpoint Independent Mapping!"),
        "{text}"
    );
    assert!(
        text.contains("NAT with Endpoint Independent Filtering!"),
        "{text}"
    );
    assert!(text.contains("No ALG: Mapped == XOR-Mapped"), "{text}");
    assert!(
        text.contains("Response origin: : 127.0.0.2:34791"),
        "CHANGE-REQUEST not answered from AA: {text}"
    );

    let padded = output_of(Command::new("timeout").args([
        "30",
        "turnutils_natdiscovery",
        "-m",
        "-f",
        "-P",
        "-p",
        "34790",
        "127.0.0.1",
    ]));
    assert!(
        padded.contains("NAT with Endpoint Independent Filtering!"),
        "{padded}"
    );
    let hairpin = output_of(Command::new("timeout").args([
        "30",
        "turnutils_natdiscovery",
        "-H",
        "-p",
        "34790",
        "127.0.0.1",
    ]));
    assert!(hairpin.contains("RFC 5780 response 1"), "{hairpin}");
}

#[test]
fn coturn_stunclient_shows_response_origin_and_other_address() {
    let _server = Stop(serve_on_loopback(34_792));
    let text = output_of(Command::new("timeout").args([
        "30",
        "turnutils_stunclient",
        "-p",
        "34792",
        "127.0.0.1",
    ]));
    assert!(
        text.contains("Response origin: : 127.0.0.1:34792"),
        "{text}"
    );
    assert!(text.contains("Other addr: : 127.0.0.2:34793"), "{text}");
}

#[test]
fn classic_rfc3489_client_gets_answers() {
    let _server = Stop(serve_on_loopback(34_794));
    let text = output_of(Command::new("timeout").args(["30", "stun", "127.0.0.1:34794", "-v"]));
    assert!(text.contains("Primary: Open"), "{text}");
}

/// coturn's client in the lab's client namespace, our server in its server namespace.
fn natdiscovery_through(nat: Nat) -> String {
    let lab = Lab::builder().nat(nat).build().expect("lab builds (root)");
    let mut command = lab.server().command(env!("CARGO_BIN_EXE_sipwall"));
    command.args([
        "serve",
        "--sip",
        "none",
        "--control",
        "none",
        "--primary",
        "198.18.0.10:3478",
        "--alternate",
        "198.18.0.11:3479",
    ]);
    let _server = Stop(start_serve(command, 4));
    output_of(lab.client().command("timeout").args([
        "30",
        "turnutils_natdiscovery",
        "-m",
        "-f",
        "-p",
        "3478",
        "198.18.0.10",
    ]))
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn port_preserving_nat_is_classified_endpoint_independent_mapping() {
    let text = natdiscovery_through(Nat::PortPreserving);
    assert!(
        text.contains("NAT with Endpoint Independent Mapping!"),
        "{text}"
    );
    // Linux conntrack only lets replies from the exact remote address and port back in.
    assert!(
        text.contains("NAT with Address and Port Dependent Filtering!"),
        "{text}"
    );
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn random_fully_nat_is_classified_address_and_port_dependent_mapping() {
    let text = natdiscovery_through(Nat::Symmetric);
    assert!(
        text.contains("NAT with Address and Port Dependent Mapping!"),
        "{text}"
    );
    assert!(
        text.contains("NAT with Address and Port Dependent Filtering!"),
        "{text}"
    );
}

/// STUN over TCP with our own client: two requests back to back on one connection get two
/// answers with the client's address; CHANGE-REQUEST over TCP gets 420 (a connection cannot
/// be answered from another address).
#[test]
fn stun_over_tcp_answers_pipelined_requests_and_refuses_change_request() {
    use sipwall_proto::stun::{
        Attribute, BindingResponse, ChangeRequest, Seal, TransactionId, binding_request,
    };
    use std::io::{Read, Write};

    let _server = Stop(serve_on_loopback(34_796));
    let mut stream = std::net::TcpStream::connect("127.0.0.1:34796").expect("TCP listener");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let local = stream.local_addr().unwrap();
    let mut requests = Vec::new();
    binding_request(TransactionId([1; 12]), &[], Seal::NONE, &mut requests).unwrap();
    binding_request(
        TransactionId([2; 12]),
        &[],
        Seal::FINGERPRINT,
        &mut requests,
    )
    .unwrap();
    let change = Attribute::ChangeRequest(ChangeRequest {
        change_ip: true,
        change_port: true,
    });
    binding_request(TransactionId([3; 12]), &[change], Seal::NONE, &mut requests).unwrap();
    stream.write_all(&requests).unwrap();

    let mut received = Vec::new();
    let mut replies = Vec::new();
    while replies.len() < 3 {
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).expect("replies arrive");
        assert!(n > 0, "connection closed after {} replies", replies.len());
        received.extend_from_slice(&chunk[..n]);
        while let Some(len) =
            sipwall_proto::stun::stream_message_len(&received).filter(|l| received.len() >= *l)
        {
            replies.push(received.drain(..len).collect::<Vec<u8>>());
        }
    }
    for (i, reply) in replies.iter().take(2).enumerate() {
        let response = BindingResponse::parse(reply).expect("a STUN response");
        assert!(response.success, "reply {i}");
        assert_eq!(response.message.transaction_id().0, [i as u8 + 1; 12]);
        assert_eq!(response.xor_mapped_address, Some(local));
    }
    let refused = BindingResponse::parse(&replies[2]).expect("a STUN response");
    assert!(!refused.success);
    assert_eq!(refused.error.map(|e| e.code), Some(420));
}

/// A flood from one source is cut to the burst plus the sustained rate, and counted.
#[test]
fn a_flood_from_one_source_is_rate_limited() {
    use sipwall_proto::stun::{Seal, TransactionId, binding_request};
    use std::time::{Duration, Instant};

    let mut command = Command::new(env!("CARGO_BIN_EXE_sipwall"));
    command.args([
        "serve",
        "--sip",
        "none",
        "--control",
        "none",
        "--primary",
        "127.0.0.1:34798",
        "--rate",
        "10",
        "--burst",
        "20",
    ]);
    let _server = Stop(start_serve(command, 1));
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut request = Vec::new();
    binding_request(TransactionId([7; 12]), &[], Seal::NONE, &mut request).unwrap();
    let started = Instant::now();
    for _ in 0..500 {
        socket.send_to(&request, "127.0.0.1:34798").unwrap();
    }
    let mut replies = 0;
    let mut buffer = [0u8; 512];
    while socket.recv_from(&mut buffer).is_ok() {
        replies += 1;
    }
    let allowed = 20.0 + 10.0 * started.elapsed().as_secs_f64();
    assert!(replies >= 20, "the burst must pass: {replies} replies");
    assert!(
        f64::from(replies) <= allowed + 1.0,
        "{replies} replies, at most {allowed:.0} allowed"
    );
}

/// SIGTERM stops the server cleanly: exit code 0 and the final counters on stderr.
#[test]
fn sigterm_stops_the_server_with_its_counters() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args([
            "serve",
            "--sip",
            "none",
            "--control",
            "none",
            "--primary",
            "127.0.0.1:34800",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    assert!(
        lines
            .next()
            .unwrap()
            .unwrap()
            .contains("STUN/UDP 127.0.0.1:34800")
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success());
    assert!(
        rest.last()
            .is_some_and(|l| l.contains("received 0 replied 0")),
        "{rest:?}"
    );
}

/// A bounded flood on loopback (100 000 garbage + 100 000 valid datagrams): the server keeps
/// answering a real client afterwards, and its counters add up — every datagram it read was
/// replied to, rate-limited or dropped for a named reason.
#[test]
fn flood_of_garbage_and_requests_is_counted_and_survived() {
    use sipwall_proto::stun::{BindingResponse, Seal, TransactionId, binding_request};
    use std::time::Duration;

    let mut child = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args([
            "serve",
            "--sip",
            "none",
            "--control",
            "none",
            "--primary",
            "127.0.0.1:34802",
            "--rate",
            "1000",
            "--burst",
            "5000",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    assert!(
        lines
            .next()
            .unwrap()
            .unwrap()
            .contains("STUN/UDP 127.0.0.1:34802")
    );

    let flooder = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut valid = Vec::new();
    binding_request(TransactionId([9; 12]), &[], Seal::NONE, &mut valid).unwrap();
    let garbage: Vec<u8> = (0..200u8).map(|i| i.wrapping_mul(37)).collect();
    for i in 0..200_000u32 {
        let packet = if i % 2 == 0 {
            &garbage[..(i as usize % 200) + 1]
        } else {
            &valid[..]
        };
        let _ = flooder.send_to(packet, "127.0.0.1:34802");
    }

    // A real client from another address still gets its answer.
    std::thread::sleep(Duration::from_millis(300));
    let client = std::net::UdpSocket::bind("127.0.0.2:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut request = Vec::new();
    binding_request(TransactionId([1; 12]), &[], Seal::NONE, &mut request).unwrap();
    client.send_to(&request, "127.0.0.1:34802").unwrap();
    let mut buffer = [0u8; 512];
    let (n, _) = client
        .recv_from(&mut buffer)
        .expect("answered after the flood");
    let response = BindingResponse::parse(&buffer[..n]).unwrap();
    assert_eq!(
        response.xor_mapped_address,
        Some(client.local_addr().unwrap())
    );

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let last = lines.map(Result::unwrap).last().unwrap();
    assert!(child.wait().unwrap().success());
    let number = |key: &str| -> u64 {
        let after = last
            .split(&format!("{key} "))
            .nth(1)
            .unwrap_or_else(|| panic!("{key} in {last}"));
        after.split_whitespace().next().unwrap().parse().unwrap()
    };
    let received = number("received");
    let accounted =
        number("replied") + number("send-errors") + number("rate-limited") + number("dropped");
    assert_eq!(received, accounted, "{last}");
    assert!(received > 1000, "the flood reached the server: {last}");
    assert!(number("rate-limited") > 0, "{last}");
    assert!(
        last.contains("not_stun="),
        "garbage is counted by reason: {last}"
    );
}

/// `--config` supplies the addresses; a bad key in it is a located error with exit code 2.
#[test]
fn config_file_sets_the_addresses_and_bad_keys_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("serve.toml");
    std::fs::write(
        &good,
        "[stun]\nprimary = \"127.0.0.1:34812\"\nalternate = \"127.0.0.2:34813\"\n\
         [sip]\nports = \"none\"\n[control]\naddress = \"none\"\n",
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_sipwall"));
    command.args(["serve", "--config", good.to_str().unwrap()]);
    let _server = Stop(start_serve(command, 4));
    let text = output_of(Command::new("timeout").args([
        "30",
        "turnutils_stunclient",
        "-p",
        "34812",
        "127.0.0.1",
    ]));
    assert!(text.contains("Other addr: : 127.0.0.2:34813"), "{text}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[stun]\nprimry = \"127.0.0.1:34814\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args(["serve", "--config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 2, column 1") && stderr.contains("unknown field `primry`"),
        "{stderr}"
    );
}

/// STUN over TLS (RFC 8489 §6.2.3) through a real TLS client: `openssl s_client` carries a
/// Binding request to `--stun-tls` and brings back the success answer with the mapping.
#[test]
fn stun_over_tls_answers_through_openssl() {
    use sipwall_proto::stun::{BindingResponse, Seal, TransactionId, binding_request};
    use std::io::{Read, Write};

    let mut command = Command::new(env!("CARGO_BIN_EXE_sipwall"));
    command.args([
        "serve",
        "--sip",
        "none",
        "--control",
        "none",
        "--primary",
        "127.0.0.1:34816",
        "--stun-tls",
        "127.0.0.1:34817",
    ]);
    let _server = Stop(start_serve(command, 1));
    let mut request = Vec::new();
    binding_request(TransactionId([5; 12]), &[], Seal::FINGERPRINT, &mut request).unwrap();
    let mut client = Command::new("timeout")
        .args([
            "10",
            "openssl",
            "s_client",
            "-connect",
            "127.0.0.1:34817",
            "-quiet",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl is installed (scripts/install-deps)");
    let mut stdin = client.stdin.take().unwrap();
    stdin.write_all(&request).unwrap();
    // Keep stdin open until the answer is read: s_client closes the connection at EOF.
    let mut stdout = client.stdout.take().unwrap();
    let mut answer = vec![0u8; 20];
    stdout
        .read_exact(&mut answer[..20])
        .expect("a STUN header over TLS");
    let length = usize::from(u16::from_be_bytes([answer[2], answer[3]]));
    answer.resize(20 + length, 0);
    stdout.read_exact(&mut answer[20..]).unwrap();
    drop(stdin);
    let _ = client.kill(); // s_client may wait for the server to close first
    let _ = client.wait();
    let response = BindingResponse::parse(&answer).expect("a STUN answer");
    assert!(response.success, "{response:?}");
    let mapped = response.xor_mapped_address.expect("XOR-MAPPED-ADDRESS");
    assert_eq!(mapped.ip().to_string(), "127.0.0.1");
}
