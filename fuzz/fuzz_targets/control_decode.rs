//! Fuzzes the control protocol: any line decodes to a message or an error, never a panic;
//! whatever decodes re-encodes to a line that decodes to the same message; port-matrix probes
//! never get an answer larger than the probe.
//! Run: cargo +nightly fuzz run control_decode
#![no_main]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use sipwall_proto::control::{
    ClientMessage, ServerMessage, decode_line, encode_line, parse_port_probe, port_probe_answer,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = decode_line::<ClientMessage>(data) {
        let line = encode_line(&message);
        let again: ClientMessage = decode_line(&line[..line.len() - 1]).expect("re-encoded lines decode");
        assert_eq!(again, message);
    }
    if let Ok(message) = decode_line::<ServerMessage>(data) {
        let line = encode_line(&message);
        let again: ServerMessage = decode_line(&line[..line.len() - 1]).expect("re-encoded lines decode");
        assert_eq!(again, message);
    }
    if let Some((_, nonce)) = parse_port_probe(data) {
        let observed: SocketAddr = "[2001:db8::ffff:1]:65535".parse().unwrap();
        if let Some(answer) = port_probe_answer(data.len(), nonce, observed) {
            assert!(answer.len() <= data.len());
        }
    }
});
