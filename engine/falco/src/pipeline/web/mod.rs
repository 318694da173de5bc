//! The webserver Falco's `webserver:` keys configure: `/healthz` (the Kubernetes probes'
//! endpoint, `k8s_healthz_endpoint`), `/versions` and, with `prometheus_metrics_enabled` and
//! `metrics.enabled`, `/metrics` (`prometheus.rs`). hyper's HTTP/1 server on its own tokio
//! runtime (`threadiness` workers), beside the engine: it only reads the [`MetricsHub`].
//! `/versions` is built once at start ([`versions_json`]).
//!
//! Hostile clients cost bounded resources: a connection must send its request headers within
//! [`HEADER_TIMEOUT`] (slowloris), a TLS handshake must finish within [`HANDSHAKE_TIMEOUT`],
//! bodies are never read, and past [`MAX_CONNECTIONS`] new connections are closed at once.
//! The socket is bound and the certificate loaded before the engine starts, so a port in use
//! or a bad certificate stops the start with a clear error.

pub mod prometheus;
pub mod store;
pub mod ui;

use super::metrics::{health_problem, MetricsHub};
use crate::config::model::WebserverConfig;
use crate::config::Loaded;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use prometheus_client::registry::Registry;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Time a client has to send its request headers (each request, the first included).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has to finish the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed on accept.
pub const MAX_CONNECTIONS: usize = 8192;

/// A running webserver; dropping it stops it.
pub struct Webserver {
    runtime: Option<tokio::runtime::Runtime>,
    stop: watch::Sender<bool>,
    /// The address it listens on.
    pub local_addr: SocketAddr,
}

impl Drop for Webserver {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// The webserver the configuration asks for, kept across reloads: a reload whose `webserver.*`
/// keys or `/versions` (the rules files loaded) differ restarts it ([`Served::reload`]).
pub struct Served {
    config: WebserverConfig,
    versions: serde_json::Value,
    running: Option<Webserver>,
    /// The UI's store, made once at start and served by every restart.
    alerts: Option<Arc<store::AlertStore>>,
}

impl Served {
    /// Starts the webserver when `config.enabled`.
    ///
    /// # Errors
    /// As [`start`].
    pub fn start(
        config: &WebserverConfig,
        hub: &Arc<MetricsHub>,
        versions: serde_json::Value,
        alerts: Option<Arc<store::AlertStore>>,
    ) -> Result<Served, String> {
        let running = if config.enabled {
            Some(start(
                config,
                hub.clone(),
                versions.clone(),
                alerts.clone(),
            )?)
        } else {
            None
        };
        Ok(Served {
            config: config.clone(),
            versions,
            running,
            alerts,
        })
    }

    /// Whether it serves.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Applies the webserver part of a reloaded configuration: nothing when it is unchanged,
    /// otherwise the running server stops (its port may be the new one's) and one with the new
    /// keys starts.
    ///
    /// # Errors
    /// When the new keys cannot be served (a port in use, a bad certificate): the server of the
    /// previous keys is started again, so the probes keep an answer, and the message says so.
    pub fn reload(
        &mut self,
        config: &WebserverConfig,
        versions: serde_json::Value,
        hub: &Arc<MetricsHub>,
    ) -> Result<(), String> {
        if *config == self.config && versions == self.versions {
            return Ok(());
        }
        drop(self.running.take());
        if config.enabled && config.ui.enabled && self.alerts.is_none() {
            log::warn!("reload: webserver.ui.enabled takes effect at the next start (no alert store in this run)");
        }
        if !config.enabled {
            log::info!("reload: webserver.enabled is false: the webserver is stopped");
            (self.config, self.versions) = (config.clone(), versions);
            return Ok(());
        }
        match start(config, hub.clone(), versions.clone(), self.alerts.clone()) {
            Ok(w) => {
                self.running = Some(w);
                (self.config, self.versions) = (config.clone(), versions);
                Ok(())
            }
            Err(e) => {
                let mut msg = format!("reload: the webserver's new keys cannot be served: {e}");
                if self.config.enabled {
                    match start(
                        &self.config,
                        hub.clone(),
                        self.versions.clone(),
                        self.alerts.clone(),
                    ) {
                        Ok(w) => {
                            self.running = Some(w);
                            msg.push_str("; serving with the previous keys");
                        }
                        Err(e2) => msg.push_str(&format!(
                            "; the previous keys cannot be served again either: {e2}"
                        )),
                    }
                }
                Err(msg)
            }
        }
    }
}

/// What the handlers read.
struct Shared {
    hub: Arc<MetricsHub>,
    healthz: String,
    versions: String,
    metrics: Option<Registry>,
    /// The alerts UI under `/ui`, when `webserver.ui.enabled`.
    ui: Option<ui::Ui>,
}

/// Loads the certificate, binds the socket and starts serving.
///
/// # Errors
/// A message naming the address or the file: the port in use, an address that does not
/// resolve, a certificate file unreadable, without a key or a certificate, or whose key does
/// not match.
pub fn start(
    config: &WebserverConfig,
    hub: Arc<MetricsHub>,
    versions: serde_json::Value,
    alerts: Option<Arc<store::AlertStore>>,
) -> Result<Webserver, String> {
    let tls = if config.ssl_enabled {
        Some(crate::tls::tls_acceptor(&config.ssl_certificate)?)
    } else {
        None
    };
    let where_ = format!("{}:{}", config.listen_address, config.listen_port);
    let addr = (config.listen_address.as_str(), config.listen_port)
        .to_socket_addrs()
        .map_err(|e| format!("listen_address {where_}: {e}"))?
        .next()
        .ok_or_else(|| format!("listen_address {where_} resolves to no address"))?;
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        format!("cannot listen on {addr} (webserver.listen_address/listen_port): {e}")
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let threads = match config.threadiness {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("webserver")
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the webserver's threads: {e}"))?;
    let shared = Arc::new(Shared {
        metrics: config
            .prometheus_metrics_enabled
            .then(|| prometheus::registry(hub.clone())),
        hub,
        healthz: config.k8s_healthz_endpoint.clone(),
        versions: versions.to_string(),
        ui: alerts
            .filter(|_| config.ui.enabled)
            .map(|a| ui::Ui::new(&config.ui, a)),
    });
    let (stop, stop_rx) = watch::channel(false);
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener)
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?
    };
    let limits = crate::tls::Limits {
        what: "webserver",
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
            async move { route(&shared, &req) }
        },
    ));
    log::info!(
        "webserver listening on {}{} ({threads} threads)",
        if config.ssl_enabled {
            "https://"
        } else {
            "http://"
        },
        local_addr
    );
    Ok(Webserver {
        runtime: Some(runtime),
        stop,
        local_addr,
    })
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<ui::Body> {
    ui::whole(status, content_type, body)
}

fn route(shared: &Shared, req: &Request<Incoming>) -> Response<ui::Body> {
    const JSON: &str = "application/json";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            JSON,
            r#"{"error": "method not allowed"}"#.into(),
        );
    }
    let path = req.uri().path();
    if let Some(ui) = &shared.ui {
        if path == "/ui" || path.starts_with("/ui/") {
            return ui.route(req);
        }
    }
    if path == shared.healthz {
        return match health_problem(&shared.hub) {
            None => reply(StatusCode::OK, JSON, r#"{"status": "ok"}"#.into()),
            Some(why) => reply(
                StatusCode::SERVICE_UNAVAILABLE,
                JSON,
                serde_json::json!({"status": "error", "reason": why}).to_string(),
            ),
        };
    }
    match (path, &shared.metrics) {
        ("/versions", _) => reply(StatusCode::OK, JSON, shared.versions.clone()),
        ("/metrics", Some(registry)) => match prometheus::encode(registry) {
            Ok(text) => reply(StatusCode::OK, prometheus::CONTENT_TYPE, text),
            Err(_) => reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                JSON,
                r#"{"error": "metrics encoding failed"}"#.into(),
            ),
        },
        _ => reply(
            StatusCode::NOT_FOUND,
            JSON,
            r#"{"error": "not found"}"#.into(),
        ),
    }
}

/// The JSON `/versions` answers: Falco's keys (this build, the libs and engine it is compatible
/// with, the driver ABI), the plugin API with no plugins, and the rules files loaded with their
/// SHA-256.
pub fn versions_json(loaded: &Loaded) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = crate::load::rules_file_paths(&loaded.config.rules_files)
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.display().to_string(),
                "sha256": super::metrics::sha256_file(p),
            })
        })
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    serde_json::json!({
        "falco_version": version,
        "libs_version": "0.25.0",
        "plugin_api_version": "3.10.0",
        "driver_api_version": ringbuf_abi::ring::ABI_VERSION.to_string(),
        "driver_schema_version": format!("{} events", ringbuf_abi::EVENT_COUNT),
        "default_driver_version": version,
        "engine_version": "0.44.0",
        "engine_version_semver": "0.44.0",
        "plugin_versions": {},
        "rules_files": rules,
    })
}
