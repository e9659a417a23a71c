//! Lab test (root, network namespaces): `sipwall serve --port-range` answers port-matrix probes
//! on every port of a range through one socket and an nftables redirect, the answer leaves from
//! the port the probe went to, ports outside the range stay closed, and the nftables table is
//! gone after the server stops. Loopback traffic skips the prerouting hook, hence the lab.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use sipwall_lab::{Lab, Nat};
use sipwall_proto::control::{self, ClientMessage, ServerMessage};
use support::Server;

const SERVER: &str = "198.18.0.10";

fn start(lab: &Lab) -> Server {
    let args = [
        "--primary",
        &format!("{SERVER}:3478"),
        "--sip",
        "none",
        "--control",
        &format!("{SERVER}:7443"),
        "--port-range",
        "udp:20000-20100,tcp:20000-20100",
    ]
    .map(String::from);
    Server::start_with(
        lab.server().command(env!("CARGO_BIN_EXE_sipwall")),
        &args,
        60,
    )
}

/// Opens a check session from the client namespace; returns the connection and the token.
fn session(lab: &Lab) -> (TcpStream, String) {
    let control: SocketAddr = format!("{SERVER}:7443").parse().unwrap();
    let mut stream = lab
        .client()
        .tcp_connect(control, Duration::from_secs(5))
        .unwrap();
    let hello = ClientMessage::Hello {
        version: 1,
        client: "port-range test".into(),
    };
    stream.write_all(&control::encode_line(&hello)).unwrap();
    let mut line = String::new();
    BufReader::new(stream.try_clone().unwrap())
        .read_line(&mut line)
        .unwrap();
    match control::decode_line::<ServerMessage>(line.trim_end().as_bytes()).unwrap() {
        ServerMessage::Welcome { session, .. } => (stream, session),
        other => panic!("expected welcome, got {other:?}"),
    }
}

#[test]
#[ignore = "lab: needs root and network namespaces"]
fn a_redirected_port_range_answers_on_every_port_and_is_removed_at_exit() {
    let lab = Lab::builder()
        .nat(Nat::None)
        .build()
        .expect("lab builds (root)");
    let mut server = start(&lab);
    let (_control, token) = session(&lab);

    let socket = lab
        .client()
        .udp_socket("10.77.0.2:0".parse().unwrap())
        .unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    for port in [20000u16, 20001, 20057, 20100] {
        let target: SocketAddr = format!("{SERVER}:{port}").parse().unwrap();
        socket
            .send_to(&control::port_probe(&token, &format!("u{port}")), target)
            .unwrap();
        let mut answer = [0u8; 256];
        let (len, from) = socket
            .recv_from(&mut answer)
            .unwrap_or_else(|e| panic!("UDP {port}: {e}"));
        assert_eq!(from, target, "the answer must leave from the probed port");
        let text = String::from_utf8_lossy(&answer[..len]);
        assert!(
            text.starts_with(&format!("SIPWALL-PORT 1 u{port} 10.77.0.2:")),
            "{text}"
        );

        let mut stream = lab
            .client()
            .tcp_connect(target, Duration::from_secs(2))
            .unwrap();
        stream
            .write_all(&control::port_probe(&token, &format!("t{port}")))
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        assert!(
            text.starts_with(&format!("SIPWALL-PORT 1 t{port} 10.77.0.2:")),
            "TCP {port}: {text}"
        );
    }
    // Just outside the range nothing listens.
    let outside: SocketAddr = format!("{SERVER}:20101").parse().unwrap();
    assert!(
        lab.client()
            .tcp_connect(outside, Duration::from_secs(2))
            .is_err()
    );

    let tables = lab.server().run("nft", &["list", "tables"]).unwrap();
    assert!(tables.contains("sipwall_port_matrix"), "{tables}");
    assert!(server.terminate().success(), "{}", server.log());
    let tables = lab.server().run("nft", &["list", "tables"]).unwrap();
    assert!(
        !tables.contains("sipwall_port_matrix"),
        "the redirect must be removed: {tables}"
    );
}
