//! `http_output`: each alert POSTed to a URL, the body being the alert line as Falco prints it
//! (with `json_output`, the JSON object Falcosidekick reads).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::Agent;

use super::Sink;
use crate::alert::Alert;
use crate::config::{unquote, HttpOutputConfig};
use crate::error::ConfigError;
use crate::stats::Counters;

/// The most of a reply's status line and headers read; a longer head fails the delivery (as
/// libcurl's own cap on header size does), so a hostile endpoint cannot grow our memory.
pub(crate) const MAX_REPLY_HEAD: usize = 64 * 1024;
/// The most of a reply's body read (and echoed); a longer body fails the delivery and the
/// connection is dropped instead of being read to its end.
pub(crate) const MAX_REPLY_BODY: u64 = 1024 * 1024;

pub(crate) struct HttpSink {
    agent: Agent,
    url: String,
    compress: bool,
    echo: bool,
    max_consecutive_timeouts: u8,
    counters: Arc<Counters>,
}

impl HttpSink {
    /// Builds the client: reads the CA and client certificate files now, so a bad path is a
    /// startup error rather than a failure per alert.
    pub(crate) fn build(
        config: &HttpOutputConfig,
        counters: Arc<Counters>,
    ) -> Result<Self, Vec<ConfigError>> {
        let url = unquote(&config.url).to_string();
        let tls = if url.starts_with("https://") {
            tls_config(config)?
        } else {
            TlsConfig::default()
        };
        Ok(HttpSink {
            agent: new_agent(&AgentSettings {
                user_agent: &config.user_agent,
                timeout_ms: config.timeout_ms,
                connect_timeout_ms: config.connect_timeout_ms,
                keep_alive: config.keep_alive,
                tls,
            }),
            url,
            compress: config.compress_uploads,
            echo: config.echo,
            max_consecutive_timeouts: config.max_consecutive_timeouts,
            counters,
        })
    }

    fn post(&self, content_type: &str, body: &[u8]) -> Result<(), ureq::Error> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", content_type);
        if self.compress {
            request = request.header("Content-Encoding", "gzip");
        }
        let response = request.send(body)?;
        let status = response.status();
        // Read the answer to the end so the connection can carry the next alert, but no more
        // than the cap: a longer body is a failed delivery, not a memory or time sink.
        let mut reader = response
            .into_body()
            .into_with_config()
            .limit(MAX_REPLY_BODY)
            .reader();
        if self.echo {
            let mut out = io::stdout().lock();
            io::copy(&mut reader, &mut out)?;
            out.write_all(b"\n")?;
        } else {
            io::copy(&mut reader, &mut io::sink())?;
        }
        if status.is_success() {
            Ok(())
        } else {
            Err(ureq::Error::StatusCode(status.as_u16()))
        }
    }
}

/// What an HTTP client is built from; shared by `http_output` and the chat outputs.
pub(crate) struct AgentSettings<'a> {
    pub(crate) user_agent: &'a str,
    pub(crate) timeout_ms: u64,
    pub(crate) connect_timeout_ms: u64,
    pub(crate) keep_alive: bool,
    pub(crate) tls: TlsConfig,
}

/// The client: statuses as values (the caller decides what a non-2xx means), bounded reply
/// heads, per-request and connect timeouts, one kept-alive connection at most, and a
/// resolver that caches the endpoint's addresses.
pub(crate) fn new_agent(settings: &AgentSettings<'_>) -> Agent {
    let idle = if settings.keep_alive { 1 } else { 0 };
    let agent_config = Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(settings.user_agent)
        .timeout_global(Some(Duration::from_millis(settings.timeout_ms)))
        .timeout_connect(Some(Duration::from_millis(settings.connect_timeout_ms)))
        .max_response_header_size(MAX_REPLY_HEAD)
        .max_idle_connections(idle)
        .max_idle_connections_per_host(idle)
        .tls_config(settings.tls.clone())
        .build();
    Agent::with_parts(
        agent_config,
        DefaultConnector::new(),
        CachingResolver::default(),
    )
}

impl Sink for HttpSink {
    fn deliver(&mut self, alert: &Arc<Alert>) {
        let content_type = if alert.json {
            "application/json"
        } else {
            "text/plain"
        };
        let body: Cow<'_, [u8]> = if self.compress {
            match gzip(alert.line.as_bytes()) {
                Ok(body) => Cow::Owned(body),
                Err(e) => {
                    self.counters
                        .failed(1, format_args!("compressing the body: {e}"));
                    return;
                }
            }
        } else {
            Cow::Borrowed(alert.line.as_bytes())
        };
        let mut timeouts = 0u8;
        loop {
            match self.post(content_type, &body) {
                Ok(()) => {
                    self.counters.delivered(1);
                    return;
                }
                // Falco retries an alert whose request timed out, up to max_consecutive_timeouts.
                Err(ureq::Error::Timeout(_)) if timeouts < self.max_consecutive_timeouts => {
                    self.counters.timeouts.fetch_add(1, Relaxed);
                    timeouts += 1;
                }
                Err(e) => {
                    if matches!(e, ureq::Error::Timeout(_)) {
                        self.counters.timeouts.fetch_add(1, Relaxed);
                    }
                    self.counters
                        .failed(1, format_args!("POST {}: {e}", self.url));
                    return;
                }
            }
        }
    }

    fn close(&mut self, _deadline: Instant) {}
}

/// How long a resolved address is reused, as libcurl's DNS cache (which Falco relies on).
const DNS_TTL: Duration = Duration::from_secs(60);

/// Resolves the endpoint's name once per [`DNS_TTL`] instead of once per alert (ureq's default
/// resolver looks up, on a new thread, for every request).
///
/// Built on ureq's `unversioned` resolver interface: recheck on ureq upgrades.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: DefaultResolver,
    cached: Mutex<Option<(String, Vec<SocketAddr>, Instant)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map_or("", |a| a.as_str())
        );
        if let Ok(cached) = self.cached.lock() {
            if let Some((k, addrs, at)) = cached.as_ref() {
                if *k == key && at.elapsed() < DNS_TTL && !addrs.is_empty() {
                    let mut out = self.empty();
                    for addr in addrs {
                        // Full only past ureq's own limit, which it resolved no more than.
                        let _ = out.try_push(*addr);
                    }
                    return Ok(out);
                }
            }
        }
        let resolved = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((key, resolved.iter().copied().collect(), Instant::now()));
        }
        Ok(resolved)
    }
}

fn gzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 32),
        Compression::fast(),
    );
    encoder.write_all(bytes)?;
    encoder.finish()
}

fn tls_config(config: &HttpOutputConfig) -> Result<TlsConfig, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut tls = TlsConfig::builder().disable_verification(config.insecure);
    let roots = if !config.ca_cert.is_empty() {
        certs_from_file(
            "http_output.ca_cert",
            Path::new(&config.ca_cert),
            &mut errors,
        )
    } else if !config.ca_bundle.is_empty() {
        certs_from_file(
            "http_output.ca_bundle",
            Path::new(&config.ca_bundle),
            &mut errors,
        )
    } else {
        certs_from_dir(Path::new(&config.ca_path))
    };
    if !roots.is_empty() {
        tls = tls.root_certs(RootCerts::new_with_certs(&roots));
    }
    if config.mtls {
        let chain = certs_from_file(
            "http_output.client_cert",
            Path::new(&config.client_cert),
            &mut errors,
        );
        let key = private_key(
            "http_output.client_key",
            Path::new(&config.client_key),
            &mut errors,
        );
        if let (false, Some(key)) = (chain.is_empty(), key) {
            tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
        }
    }
    if errors.is_empty() {
        Ok(tls.build())
    } else {
        Err(errors)
    }
}

fn pem_items(path: &Path) -> io::Result<Vec<PemItem<'static>>> {
    let pem = fs::read(path)?;
    ureq::tls::parse_pem(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
}

fn certs_from_file(
    key: &'static str,
    path: &Path,
    errors: &mut Vec<ConfigError>,
) -> Vec<Certificate<'static>> {
    let certs: Vec<_> = match pem_items(path) {
        Ok(items) => items
            .into_iter()
            .filter_map(|item| match item {
                PemItem::Certificate(cert) => Some(cert),
                _ => None,
            })
            .collect(),
        Err(e) => {
            errors.push(ConfigError {
                key,
                message: format!("reading {}: {e}", path.display()),
            });
            return Vec::new();
        }
    };
    if certs.is_empty() {
        errors.push(ConfigError {
            key,
            message: format!("{} holds no PEM certificate", path.display()),
        });
    }
    certs
}

/// Every PEM certificate in the files of `dir`, once each; none when it cannot be read, in
/// which case Mozilla's roots apply.
fn certs_from_dir(dir: &Path) -> Vec<Certificate<'static>> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut certs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        for item in pem_items(&path).unwrap_or_default() {
            if let PemItem::Certificate(cert) = item {
                if seen.insert(cert.der().to_vec()) {
                    certs.push(cert);
                }
            }
        }
    }
    certs
}

fn private_key(
    key: &'static str,
    path: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<PrivateKey<'static>> {
    match pem_items(path) {
        Ok(items) => {
            let found = items.into_iter().find_map(|item| match item {
                PemItem::PrivateKey(k) => Some(k),
                _ => None,
            });
            if found.is_none() {
                errors.push(ConfigError {
                    key,
                    message: format!("{} holds no PEM private key", path.display()),
                });
            }
            found
        }
        Err(e) => {
            errors.push(ConfigError {
                key,
                message: format!("reading {}: {e}", path.display()),
            });
            None
        }
    }
}
