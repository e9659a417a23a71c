//! Accepting TCP and TLS connections with caps, shared by the SIP mirror and the control
//! channel: at most `permits` connections at once (more are closed at once and counted), a
//! TLS handshake must finish within `HANDSHAKE_TIMEOUT`, so half-open and slow clients cannot
//! hold memory or slots for long.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tracing::debug;

use crate::counters::{Service, ServiceCounters};

pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// A plain or TLS byte stream.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}
pub type BoxedStream = Box<dyn Stream>;

/// Accepts connections forever, handing each (after TLS, when `tls` is set) to `handle`.
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    permits: Arc<Semaphore>,
    counters: Arc<ServiceCounters>,
    handle: F,
) where
    F: Fn(BoxedStream, SocketAddr, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            // Out of descriptors and similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            counters.add(Service::StreamRefused);
            continue; // dropping the stream closes it
        };
        let local = tcp.local_addr().unwrap_or(peer);
        let _ = tcp.set_nodelay(true);
        let (tls, counters, handle) = (tls.clone(), counters.clone(), handle.clone());
        tokio::spawn(async move {
            let stream: BoxedStream = match tls {
                None => Box::new(tcp),
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => Box::new(tls),
                        failed => {
                            counters.add(Service::TlsHandshakeFailures);
                            debug!(%peer, timed_out = failed.is_err(), "TLS handshake failed");
                            return;
                        }
                    }
                }
            };
            handle(stream, peer, local).await;
            drop(permit);
        });
    }
}
