//! The built-in alerts UI at `/ui/` (`webserver.ui`): a page whose assets are compiled into
//! the binary (`ui/index.html`, `ui/app.js`, `ui/app.css`; no CDN, works offline), the stored
//! alerts as JSON at `/ui/api/alerts` and the live ones as server-sent events at
//! `/ui/api/stream?after=<id>`.
//!
//! Read-only: only GET and HEAD reach it. With a token or basic auth configured, no alert
//! leaves without them (401); with basic auth the page itself is behind it too, so the
//! browser asks once. Every answer carries a CSP without inline script, `nosniff`,
//! `frame-ancestors 'none'`/`X-Frame-Options: DENY` and `Referrer-Policy: no-referrer`; the
//! page renders alert text with `textContent` only.

use super::store::{AlertStore, StoredAlert};
use crate::config::model::WebUiConfig;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, COOKIE};
use hyper::{Request, Response, StatusCode};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, Semaphore};

/// The body every webserver answer has: whole, or an event stream.
pub type Body = BoxBody<Bytes, Infallible>;

/// Event streams served at once; more get 503.
pub const MAX_STREAMS: usize = 64;
/// A comment line on idle streams this often, so a vanished client is noticed.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// The cookie the page sets after asking for the token (an `EventSource` cannot send headers).
const TOKEN_COOKIE: &str = "falco_ui_token";

const INDEX_HTML: &str = include_str!("ui/index.html");
const APP_JS: &str = include_str!("ui/app.js");
const APP_CSS: &str = include_str!("ui/app.css");
const ICON_SVG: &str = include_str!("ui/icon.svg");

/// The content security policy: scripts, styles and connections from this origin only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The UI: its store, its credentials and the event-stream slots.
pub struct Ui {
    store: Arc<AlertStore>,
    /// `Bearer <token>`, when a token is configured.
    bearer: Option<String>,
    /// The token, for the cookie.
    token: Option<String>,
    /// `Basic <base64(user:password)>`, when basic auth is configured.
    basic: Option<String>,
    streams: Arc<Semaphore>,
}

impl Ui {
    /// The UI over `store` with the credentials of `config`.
    pub fn new(config: &WebUiConfig, store: Arc<AlertStore>) -> Ui {
        let token = (!config.token.is_empty()).then(|| config.token.clone());
        Ui {
            store,
            bearer: token.as_ref().map(|t| format!("Bearer {t}")),
            token,
            basic: config
                .basic_auth
                .as_ref()
                .map(|(u, p)| format!("Basic {}", base64(format!("{u}:{p}").as_bytes()))),
            streams: Arc::new(Semaphore::new(MAX_STREAMS)),
        }
    }

    /// Whether the request carries the configured credentials (any request does when none are).
    fn authorized(&self, req: &Request<Incoming>) -> bool {
        if self.bearer.is_none() && self.basic.is_none() {
            return true;
        }
        let auth = req
            .headers()
            .get_all(AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok());
        for value in auth {
            let value = value.trim();
            if [&self.bearer, &self.basic]
                .into_iter()
                .flatten()
                .any(|want| same(want.as_bytes(), value.as_bytes()))
            {
                return true;
            }
        }
        let Some(token) = &self.token else {
            return false;
        };
        let cookies = req
            .headers()
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok());
        for header in cookies {
            for pair in header.split(';') {
                if let Some((name, value)) = pair.trim().split_once('=') {
                    if name == TOKEN_COOKIE && same(&percent_decode(value), token.as_bytes()) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Answers a request whose path starts with `/ui`.
    pub fn route(&self, req: &Request<Incoming>) -> Response<Body> {
        let path = req.uri().path();
        let authorized = self.authorized(req);
        // With basic auth the page is protected too, so the browser asks before it loads;
        // with a token the page asks for it itself, and only the API is protected.
        let needs_auth = path.starts_with("/ui/api/") || self.basic.is_some();
        if needs_auth && !authorized {
            return self.unauthorized();
        }
        let mut r = match path {
            "/ui" => {
                let mut r = whole(
                    StatusCode::PERMANENT_REDIRECT,
                    "text/plain",
                    "/ui/\n".into(),
                );
                r.headers_mut()
                    .insert(hyper::header::LOCATION, HeaderValue::from_static("/ui/"));
                r
            }
            "/ui/" | "/ui/index.html" => whole(
                StatusCode::OK,
                "text/html; charset=utf-8",
                INDEX_HTML.into(),
            ),
            "/ui/app.js" => whole(
                StatusCode::OK,
                "text/javascript; charset=utf-8",
                APP_JS.into(),
            ),
            "/ui/app.css" => whole(StatusCode::OK, "text/css; charset=utf-8", APP_CSS.into()),
            "/ui/icon.svg" => whole(StatusCode::OK, "image/svg+xml", ICON_SVG.into()),
            "/ui/api/alerts" => self.alerts(),
            "/ui/api/stream" => self.stream(req),
            _ => whole(
                StatusCode::NOT_FOUND,
                "application/json",
                r#"{"error": "not found"}"#.into(),
            ),
        };
        secure(&mut r);
        r
    }

    fn unauthorized(&self) -> Response<Body> {
        let mut r = whole(
            StatusCode::UNAUTHORIZED,
            "application/json",
            r#"{"error": "unauthorized"}"#.into(),
        );
        let challenge = if self.basic.is_some() {
            "Basic realm=\"falco\", charset=\"UTF-8\""
        } else {
            "Bearer realm=\"falco\""
        };
        r.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
        secure(&mut r);
        r
    }

    /// Every stored alert, oldest first, with the store's capacity, the alerts it shed and the
    /// last id.
    fn alerts(&self) -> Response<Body> {
        let alerts = self.store.since(0);
        let last = alerts.last().map_or(0, |a| a.id);
        let mut body =
            String::with_capacity(64 + alerts.iter().map(|a| a.json.len() + 1).sum::<usize>());
        body.push_str(&format!(
            "{{\"max_alerts\":{},\"shed\":{},\"last_id\":{last},\"alerts\":[",
            self.store.capacity(),
            self.store.shed()
        ));
        for (i, a) in alerts.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&a.json);
        }
        body.push_str("]}");
        whole(StatusCode::OK, "application/json", body)
    }

    /// The alerts after `?after=<id>` (those still stored), then each new one as it comes.
    fn stream(&self, req: &Request<Incoming>) -> Response<Body> {
        let Ok(permit) = self.streams.clone().try_acquire_owned() else {
            return whole(
                StatusCode::SERVICE_UNAVAILABLE,
                "application/json",
                r#"{"error": "too many event streams"}"#.into(),
            );
        };
        let after = req
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("after="))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let (tx, rx) = mpsc::channel(64);
        // Subscribed before reading the backlog, so nothing falls between the two.
        let live = self.store.follow();
        let store = self.store.clone();
        tokio::spawn(async move {
            let _permit = permit;
            pump(store, live, after, tx).await;
        });
        let mut r = Response::new(SseBody { rx }.boxed());
        let headers = r.headers_mut();
        headers.insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(
            hyper::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        r
    }
}

/// Sends the backlog after `last`, then every live alert, until the client goes away.
async fn pump(
    store: Arc<AlertStore>,
    mut live: broadcast::Receiver<Arc<StoredAlert>>,
    mut last: u64,
    tx: mpsc::Sender<Bytes>,
) {
    if tx
        .send(Bytes::from_static(b"retry: 1000\n\n"))
        .await
        .is_err()
    {
        return;
    }
    for a in store.since(last) {
        if tx.send(event(&a)).await.is_err() {
            return;
        }
        last = a.id;
    }
    loop {
        let next = tokio::select! {
            r = live.recv() => r,
            _ = tokio::time::sleep(KEEPALIVE) => {
                if tx.send(Bytes::from_static(b": keepalive\n\n")).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let batch = match next {
            Ok(a) => vec![a],
            // Fell behind the live channel: what was missed is still in the store.
            Err(broadcast::error::RecvError::Lagged(_)) => store.since(last),
            Err(broadcast::error::RecvError::Closed) => return,
        };
        for a in batch {
            if a.id <= last {
                continue;
            }
            if tx.send(event(&a)).await.is_err() {
                return;
            }
            last = a.id;
        }
    }
}

/// One server-sent event: the alert's id and its JSON (one line: JSON escapes newlines).
fn event(a: &StoredAlert) -> Bytes {
    Bytes::from(format!("id: {}\ndata: {}\n\n", a.id, a.json))
}

/// An event stream's body: the chunks the pump sends, ending when it stops.
struct SseBody {
    rx: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|c| c.map(|b| Ok(Frame::data(b))))
    }
}

/// A whole answer.
pub fn whole(status: StatusCode, content_type: &str, body: String) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)).boxed());
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// Adds the security headers.
fn secure(r: &mut Response<Body>) {
    let h = r.headers_mut();
    h.insert(
        hyper::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        hyper::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        hyper::header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    );
    h.insert(
        hyper::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(hyper::header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

/// Compares without stopping at the first difference, so timing tells nothing about a secret.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `%XX` escapes decoded (the page stores the token with `encodeURIComponent`).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Standard base64 with padding (RFC 4648), for the expected basic-auth header.
fn base64(input: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"admin:s3cret"), "YWRtaW46czNjcmV0");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2"), b"a b%2");
        assert_eq!(percent_decode("%zz%41"), b"%zzA");
    }
}
