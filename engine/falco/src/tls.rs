//! The engine's HTTP listeners' shared parts (the webserver and the k8s_audit webhook): the TLS
//! acceptor and the accept loop, in a module of their own so that neither the pipeline nor the
//! sources depend on the other for them.

use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

/// A listener's bounds against slow or too many clients.
pub(crate) struct Limits {
    /// Name in the debug log.
    pub what: &'static str,
    /// Connections served at once; past it new ones are closed at once.
    pub max_connections: usize,
    /// A TLS handshake must finish within this.
    pub handshake: Duration,
    /// A request's headers must arrive within this (slowloris).
    pub header: Duration,
}

/// Accepts connections until `stop` changes and serves each (TLS first when `tls` is set) with
/// HTTP/1 and `handler`, within `limits`. Accept errors (out of fds or memory) back off rather
/// than spin; the listener stays.
pub(crate) async fn accept_loop<H, F, B>(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    handler: H,
) where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let what = limits.what;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let (stream, _) = match accepted {
            Ok(s) => s,
            Err(e) => {
                log::debug!("{what} accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (tls, handler) = (tls.clone(), handler.clone());
        let (handshake, header) = (limits.handshake, limits.header);
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => serve(TokioIo::new(stream), header, what, handler).await,
                Some(acceptor) => {
                    match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => serve(TokioIo::new(s), header, what, handler).await,
                        Ok(Err(e)) => log::debug!("{what} TLS handshake: {e}"),
                        Err(_) => log::debug!("{what} TLS handshake timed out"),
                    }
                }
            }
        });
    }
}

async fn serve<I, H, F, B>(io: I, header: Duration, what: &'static str, handler: H)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let service = hyper::service::service_fn(move |req| {
        let response = handler(req);
        async move { Ok::<_, std::convert::Infallible>(response.await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header)
        .max_buf_size(64 * 1024)
        .serve_connection(io, service);
    if let Err(e) = conn.await {
        log::debug!("{what} connection: {e}");
    }
}

/// A TLS acceptor from Falco's `ssl_certificate`: one PEM file with the private key and the
/// certificate chain.
pub(crate) fn tls_acceptor(path: &Path) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let name = path.display();
    let bytes =
        std::fs::read(path).map_err(|e| format!("ssl_certificate {name}: cannot read: {e}"))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("ssl_certificate {name}: not a valid PEM certificate: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "ssl_certificate {name}: no certificate (the file must hold the private key and the certificate, in PEM)"
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        format!("ssl_certificate {name}: no usable private key (the file must hold the private key and the certificate, in PEM): {e}")
    })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let server = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!("ssl_certificate {name}: the key and certificate are not usable: {e}")
        })?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server)))
}
