//! The request/response a lifetime socket primes its binding with and learns its public
//! mapping from: a STUN Binding to `stun-pp`, or a token-bearing SIP OPTIONS to the SIP
//! mirror (for a run on the SIP port, where a NAT's SIP helper may keep its own timer).
//! And the callback datagram the reflector sends back.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use sipwall_proto::control::CALLBACK_MAGIC;
use sipwall_proto::sip::{OBSERVED_HEADER, PROBE_HEADER, SipMessage};
use sipwall_proto::stun::{BindingResponse, Seal, TransactionId, binding_request};

/// How a socket talks to the reflector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Prober {
    /// STUN Binding requests (RFC 8489); the mapping is XOR-MAPPED-ADDRESS.
    Stun,
    /// SIP OPTIONS carrying the session token; the mapping is the mirror's
    /// `X-Sipwall-Observed` (a header no SIP ALG knows to rewrite).
    SipOptions { token: String },
}

/// An exchange's key: a STUN transaction id, or the SIP Call-ID's random part.
pub(crate) type Key = [u8; 12];

const CALL_ID_SUFFIX: &str = "@lifetime.sipwall";

impl Prober {
    /// The request datagram for exchange `key`, sent from `local` to `server`.
    pub(crate) fn request(&self, key: Key, local: SocketAddr, server: SocketAddr) -> Vec<u8> {
        match self {
            Prober::Stun => {
                let mut out = Vec::new();
                binding_request(TransactionId(key), &[], Seal::FINGERPRINT, &mut out)
                    .expect("a plain Binding request always encodes");
                out
            }
            Prober::SipOptions { token } => sip_options(token, key, local, server),
        }
    }

    /// The key and public mapping in a response, if it is a valid answer of this kind.
    pub(crate) fn parse(&self, payload: &[u8]) -> Option<(Key, SocketAddr)> {
        match self {
            Prober::Stun => {
                let response = BindingResponse::parse(payload).ok()?;
                let mapped = response.xor_mapped_address.or(response.mapped_address)?;
                response
                    .success
                    .then(|| (response.message.transaction_id().0, mapped))
            }
            Prober::SipOptions { .. } => parse_sip_answer(payload),
        }
    }
}

fn hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Key> {
    if text.len() != 24 || !text.is_ascii() {
        return None;
    }
    let mut key = [0u8; 12];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// A minimal OPTIONS the mirror answers with the public mapping; the Call-ID carries the key.
fn sip_options(token: &str, key: Key, local: SocketAddr, server: SocketAddr) -> Vec<u8> {
    let id = hex(&key);
    format!(
        "OPTIONS sip:lifetime@{server} SIP/2.0\r\n\
Via: SIP/2.0/UDP {local};branch=z9hG4bK-{id};rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:lifetime@{local}>;tag={tag}\r\n\
To: <sip:lifetime@{server}>\r\n\
Call-ID: {id}{CALL_ID_SUFFIX}\r\n\
CSeq: 1 OPTIONS\r\n\
{PROBE_HEADER}: {token}\r\n\
Content-Length: 0\r\n\r\n",
        tag = &id[..8]
    )
    .into_bytes()
}

fn parse_sip_answer(payload: &[u8]) -> Option<(Key, SocketAddr)> {
    let message = SipMessage::parse(payload).ok()?;
    if message.status_code() != Some(200) {
        return None;
    }
    let key = unhex(message.header("Call-ID")?.strip_suffix(CALL_ID_SUFFIX)?)?;
    // "UDP 203.0.113.5:40000"
    let observed = message.header(OBSERVED_HEADER)?;
    let (transport, address) = observed.trim().split_once(' ')?;
    if !transport.eq_ignore_ascii_case("UDP") {
        return None;
    }
    Some((key, address.trim().parse().ok()?))
}

/// `SIPWALL-CALLBACK 1 <nonce> <sequence>\n` → (nonce, sequence).
pub(crate) fn parse_callback(payload: &[u8]) -> Option<(&str, u32)> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut words = text.split_ascii_whitespace();
    if words.next()? != CALLBACK_MAGIC || words.next()? != "1" {
        return None;
    }
    let nonce = words.next()?;
    let sequence = words.next()?.parse().ok()?;
    words.next().is_none().then_some((nonce, sequence))
}

#[cfg(test)]
mod tests {
    use sipwall_proto::control::callback_payload;
    use sipwall_proto::stun::{Attribute, binding_success};

    use super::*;

    const LOCAL: &str = "192.168.1.20:40000";
    const SERVER: &str = "198.51.100.10:3478";

    #[test]
    fn stun_exchanges_carry_the_key_and_return_the_mapping() {
        let key = [7u8; 12];
        let request = Prober::Stun.request(key, LOCAL.parse().unwrap(), SERVER.parse().unwrap());
        assert_eq!(&request[8..20], &key);
        let public: SocketAddr = "203.0.113.5:51000".parse().unwrap();
        let mut response = Vec::new();
        binding_success(
            TransactionId(key),
            &[Attribute::XorMappedAddress(public)],
            Seal::NONE,
            &mut response,
        )
        .unwrap();
        assert_eq!(Prober::Stun.parse(&response), Some((key, public)));
        assert_eq!(Prober::Stun.parse(&request), None, "a request is no answer");
        assert_eq!(Prober::Stun.parse(b"garbage"), None);
    }

    #[test]
    fn sip_exchanges_use_the_mirror_and_its_observed_header() {
        let prober = Prober::SipOptions {
            token: "0123456789abcdef0123456789abcdef".into(),
        };
        let key = [0xA5u8; 12];
        let request = prober.request(key, LOCAL.parse().unwrap(), SERVER.parse().unwrap());
        let text = String::from_utf8(request.clone()).unwrap();
        assert!(text.contains("X-Sipwall-Probe: 0123456789abcdef0123456789abcdef\r\n"));
        let parsed = SipMessage::parse(&request).unwrap();
        assert_eq!(parsed.method(), Some("OPTIONS"));
        let call_id = parsed.header("Call-ID").unwrap();
        let answer = format!(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP {LOCAL};rport=51000;received=203.0.113.5\r\n\
From: <sip:lifetime@{LOCAL}>;tag=x\r\nTo: <sip:lifetime@{SERVER}>;tag=y\r\n\
Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nX-Sipwall-Observed: UDP 203.0.113.5:51000\r\n\
Content-Length: 0\r\n\r\n"
        );
        assert_eq!(
            prober.parse(answer.as_bytes()),
            Some((key, "203.0.113.5:51000".parse().unwrap()))
        );
        let forbidden = answer.replace("200 OK", "403 Forbidden");
        assert_eq!(prober.parse(forbidden.as_bytes()), None);
    }

    #[test]
    fn callbacks_parse_strictly() {
        assert_eq!(
            parse_callback(&callback_payload("lt1a2b-7", 3)),
            Some(("lt1a2b-7", 3))
        );
        assert_eq!(parse_callback(b"SIPWALL-CALLBACK 2 n 1\n"), None);
        assert_eq!(parse_callback(b"SIPWALL-CALLBACK 1 n\n"), None);
        assert_eq!(parse_callback(b"SIPWALL-CALLBACK 1 n 1 extra\n"), None);
        assert_eq!(parse_callback(b"SIPWALL-PORT 1 n 1\n"), None);
        assert_eq!(parse_callback(&[0xff, 0xfe]), None);
    }
}
