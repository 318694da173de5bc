//! The audit webhook: the HTTP endpoint kube-apiserver's webhook backend posts `EventList`
//! batches to (`--audit-webhook-config-file`, batch mode), on the address `open_params` names
//! (`http://:9765/k8s-audit`), over TLS for `https://`. hyper's HTTP/1 server on a small tokio
//! runtime of its own, apart from the engine's webserver.
//!
//! Answers: 200 once the batch is queued; 405 for a method other than POST, 404 for another
//! path; 415 without a JSON content type; 413 for a body over `webhookMaxBatchSize` (told by
//! `Content-Length` or found while reading); 408 when the body does not arrive within
//! [`BODY_TIMEOUT`]; 400 for a body that is not JSON or holds no audit event; 503 when the
//! evaluator's queue stays full for [`QUEUE_WAIT`] (kube-apiserver retries). Slow and idle
//! clients are bounded by the header and body timeouts and [`MAX_CONNECTIONS`]; parsing runs
//! on the blocking pool, never on the threads that accept.

use super::AuditCounters;
use crossbeam_channel::{SendTimeoutError, Sender};
use falco_k8saudit::{parse_payload, AuditEvent};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Time a client has to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has to send a whole body once its headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Time a TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a batch waits for room in the evaluator's queue before the request gets 503.
pub const QUEUE_WAIT: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed on accept.
pub const MAX_CONNECTIONS: usize = 1024;

/// Where and what the webhook accepts.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// `host:port` from `open_params` (an empty host is every address).
    pub address: String,
    /// The endpoint path.
    pub path: String,
    /// Largest body, in bytes.
    pub max_body: usize,
    /// Largest event, in bytes.
    pub max_event: usize,
}

/// A running webhook; dropping it stops it (requests in flight are answered first).
pub struct Webhook {
    runtime: Option<tokio::runtime::Runtime>,
    stop: watch::Sender<bool>,
    /// The address it listens on.
    pub local_addr: SocketAddr,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

struct Shared {
    config: WebhookConfig,
    tx: Sender<Vec<AuditEvent>>,
    counters: Arc<AuditCounters>,
}

/// The socket address of `host:port`; an empty host is every IPv4 address, as Go's `:9765`.
fn socket_addr(address: &str) -> Result<SocketAddr, String> {
    let full = match address.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => address.to_string(),
    };
    full.to_socket_addrs()
        .map_err(|e| format!("plugin k8saudit: webhook address {address}: {e}"))?
        .next()
        .ok_or_else(|| format!("plugin k8saudit: webhook address {address} resolves to no address"))
}

/// Binds the socket and starts serving.
///
/// # Errors
/// The address does not resolve, or the port cannot be bound.
pub fn start(
    config: &WebhookConfig,
    tls: Option<tokio_rustls::TlsAcceptor>,
    tx: Sender<Vec<AuditEvent>>,
    counters: Arc<AuditCounters>,
) -> Result<Webhook, String> {
    let addr = socket_addr(&config.address)?;
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| format!("plugin k8saudit: cannot listen on {addr}: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("plugin k8saudit: cannot listen on {addr}: {e}"))?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| format!("plugin k8saudit: cannot listen on {addr}: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(16)
        .thread_name("k8saudit-webhook")
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the k8saudit webhook's threads: {e}"))?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener)
            .map_err(|e| format!("plugin k8saudit: cannot listen on {addr}: {e}"))?
    };
    let shared = Arc::new(Shared {
        config: config.clone(),
        tx,
        counters,
    });
    let (stop, stop_rx) = watch::channel(false);
    let limits = crate::tls::Limits {
        what: "k8saudit webhook",
        max_connections: MAX_CONNECTIONS,
        handshake: HANDSHAKE_TIMEOUT,
        header: HEADER_TIMEOUT,
    };
    runtime.spawn(crate::tls::accept_loop(
        listener,
        tls,
        limits,
        stop_rx,
        move |req| {
            let shared = shared.clone();
            async move { handle(req, &shared).await }
        },
    ));
    Ok(Webhook {
        runtime: Some(runtime),
        stop,
        local_addr,
    })
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Refuses a request before its body is read, counted and logged at most once a second.
fn refuse(shared: &Shared, status: StatusCode, msg: String) -> Response<Full<Bytes>> {
    shared
        .counters
        .requests_refused
        .fetch_add(1, Ordering::Relaxed);
    shared
        .counters
        .log_limited(&format!("webhook: {status}: {msg}"));
    reply(status, format!("{msg}\n"))
}

async fn handle(req: Request<Incoming>, shared: &Arc<Shared>) -> Response<Full<Bytes>> {
    let max = shared.config.max_body;
    if req.uri().path() != shared.config.path {
        return refuse(
            shared,
            StatusCode::NOT_FOUND,
            format!("no endpoint {}", req.uri().path()),
        );
    }
    if req.method() != Method::POST {
        return refuse(
            shared,
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} method not allowed", req.method()),
        );
    }
    let json = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if !json {
        return refuse(
            shared,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "wrong Content Type: audit events are application/json".into(),
        );
    }
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return refuse(
            shared,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body larger than webhookMaxBatchSize ({max} bytes)"),
        );
    }
    let body = match tokio::time::timeout(
        BODY_TIMEOUT,
        Limited::new(req.into_body(), max).collect(),
    )
    .await
    {
        Err(_) => {
            return refuse(
                shared,
                StatusCode::REQUEST_TIMEOUT,
                "body not received in time".into(),
            )
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return refuse(
                shared,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body larger than webhookMaxBatchSize ({max} bytes)"),
            )
        }
        Ok(Err(e)) => return refuse(shared, StatusCode::BAD_REQUEST, format!("bad request: {e}")),
        Ok(Ok(b)) => b.to_bytes(),
    };
    let work = shared.clone();
    let queued = tokio::task::spawn_blocking(move || queue(&work, &body)).await;
    match queued {
        Ok(Ok(())) => reply(StatusCode::OK, String::new()),
        Ok(Err((status, msg))) => {
            shared
                .counters
                .log_limited(&format!("webhook: {status}: {msg}"));
            reply(status, format!("{msg}\n"))
        }
        Err(_) => reply(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into()),
    }
}

/// Parses a body and queues its events for the evaluator.
fn queue(shared: &Shared, body: &[u8]) -> Result<(), (StatusCode, String)> {
    let parsed = parse_payload(body, shared.config.max_event);
    let c = &shared.counters;
    c.refused
        .fetch_add(parsed.errors.len() as u64, Ordering::Relaxed);
    if parsed.events.is_empty() {
        return match parsed.errors.first() {
            Some(e) => Err((StatusCode::BAD_REQUEST, e.to_string())),
            None => Ok(()),
        };
    }
    let n = parsed.events.len() as u64;
    match shared.tx.send_timeout(parsed.events, QUEUE_WAIT) {
        Ok(()) => {
            c.events.fetch_add(n, Ordering::Relaxed);
            match parsed.errors.first() {
                // Some events were taken: the batch is not retried, its refused ones are said.
                Some(e) => {
                    c.log_limited(&format!(
                        "webhook: {} events refused in a batch: {e}",
                        parsed.errors.len()
                    ));
                    Ok(())
                }
                None => Ok(()),
            }
        }
        Err(SendTimeoutError::Timeout(_)) => {
            c.shed.fetch_add(1, Ordering::Relaxed);
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "the audit evaluator is behind; retry later".into(),
            ))
        }
        Err(SendTimeoutError::Disconnected(_)) => {
            Err((StatusCode::SERVICE_UNAVAILABLE, "shutting down".into()))
        }
    }
}
