//! STUN over TLS (RFC 8489 §6.2.3, "stuns", port 5349 by convention): the same framing and
//! answers as STUN over TCP, inside TLS. Like TCP, CHANGE-REQUEST gets 420: a connection
//! cannot be answered from another address.

use std::net::SocketAddr;
use std::sync::Arc;

use sipwall_proto::stun::ResponderConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::counters::Counters;
use crate::stream::BoxedStream;
use crate::stun_tcp::{Framing, IDLE_TIMEOUT, MAX_MESSAGE, answer_buffered};

pub async fn serve_connection(
    mut stream: BoxedStream,
    peer: SocketAddr,
    responder: Arc<ResponderConfig>,
    counters: Arc<Counters>,
) {
    let mut buffer = Vec::with_capacity(MAX_MESSAGE);
    let mut chunk = [0u8; 2048];
    let mut reply = Vec::with_capacity(512);
    loop {
        match tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(n)) => buffer.extend_from_slice(&chunk[..n]),
        }
        let mut replies = Vec::new();
        let framing = answer_buffered(
            &mut buffer,
            peer,
            &responder,
            &counters,
            &mut reply,
            &mut replies,
        );
        if !replies.is_empty() && stream.write_all(&replies).await.is_err() {
            counters.send_error();
            return;
        }
        if framing == Framing::Close {
            return;
        }
    }
}
