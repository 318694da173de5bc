//! The built-in `k8s_audit` source's input, as the k8saudit plugin's `open_params` asks: a
//! file or folder read once to its end (a thread of its own), or the audit webhook
//! kube-apiserver posts `EventList` batches to (`webhook.rs`). Either hands batches of parsed
//! [`AuditEvent`]s to the audit evaluator through one bounded channel; the channel closes when
//! the input ends.
//!
//! Refused input is counted ([`AuditCounters`]); the file input names each refused line, the
//! webhook answers the client with the error and logs at most once a second.

pub mod webhook;

use crate::config::plugins::K8sAuditConfig;
use crossbeam_channel::{bounded, Receiver, Sender};
use falco_k8saudit::file::{Follower, Line, LineReader, OpenParams};
use falco_k8saudit::{parse_payload, AuditEvent};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Batches waiting for the evaluator: beyond, the file reader waits and the webhook answers
/// 503 once its wait runs out.
pub const QUEUE_BATCHES: usize = 64;
/// Events the file reader gathers into one batch.
const FILE_BATCH: usize = 256;

/// What the input accepted and refused.
#[derive(Debug, Default)]
pub struct AuditCounters {
    /// Events accepted.
    pub events: AtomicU64,
    /// Events or payloads refused (not an audit event, bad JSON, no or bad timestamp, too
    /// large).
    pub refused: AtomicU64,
    /// Webhook requests refused before parsing (method, path, content type, size, timeout).
    pub requests_refused: AtomicU64,
    /// Webhook bodies shed because the evaluator's queue stayed full.
    pub shed: AtomicU64,
    last_log: Mutex<Option<Instant>>,
}

impl AuditCounters {
    /// Logs `msg` unless something was logged less than a second ago: a flood of bad
    /// requests costs one line a second.
    pub fn log_limited(&self, msg: &str) {
        let Ok(mut last) = self.last_log.lock() else {
            return;
        };
        if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            *last = Some(Instant::now());
            log::warn!("k8saudit: {msg}");
        }
    }
}

/// A started input.
pub struct AuditInput {
    /// Batches of events, in order; closed at the end of the input.
    pub events: Receiver<Vec<AuditEvent>>,
    /// What was accepted and refused.
    pub counters: Arc<AuditCounters>,
    /// Where events come from, for messages.
    pub describe: String,
    /// True for a file input (it ends; the webhook runs until stopped).
    pub finite: bool,
    stop: Arc<AtomicBool>,
    reader: Mutex<Option<JoinHandle<()>>>,
    webhook: Mutex<Option<webhook::Webhook>>,
}

impl AuditInput {
    /// Opens the input `config.open_params` names: binds the webhook's socket (and loads
    /// its certificate) or opens the file, so a bad address or path stops the start.
    ///
    /// # Errors
    /// A message naming the address or path.
    pub fn start(config: &K8sAuditConfig) -> Result<AuditInput, String> {
        let params =
            OpenParams::parse(&config.open_params).map_err(|e| format!("plugin k8saudit: {e}"))?;
        let (tx, rx) = bounded(QUEUE_BATCHES);
        let counters = Arc::new(AuditCounters::default());
        let stop = Arc::new(AtomicBool::new(false));
        match params {
            OpenParams::Webhook { address, path, tls } => {
                let acceptor = if tls {
                    Some(crate::tls::tls_acceptor(&config.ssl_certificate)?)
                } else {
                    None
                };
                let w = webhook::start(
                    &webhook::WebhookConfig {
                        address: address.clone(),
                        path: path.clone(),
                        max_body: config.webhook_max_batch_size,
                        max_event: config.max_event_size,
                    },
                    acceptor,
                    tx,
                    counters.clone(),
                )?;
                let scheme = if tls { "https" } else { "http" };
                Ok(AuditInput {
                    events: rx,
                    counters,
                    describe: format!("{scheme}://{}{path}", w.local_addr),
                    finite: false,
                    stop,
                    reader: Mutex::new(None),
                    webhook: Mutex::new(Some(w)),
                })
            }
            OpenParams::Follow(path) => {
                let follower = Follower::new(&path);
                let (c, s, max) = (counters.clone(), stop.clone(), config.max_event_size);
                let name = path.display().to_string();
                let handle = std::thread::Builder::new()
                    .name("k8saudit-follow".into())
                    .spawn(move || follow_file(follower, &name, max, &tx, &c, &s))
                    .map_err(|e| format!("cannot start the k8saudit file follower: {e}"))?;
                Ok(AuditInput {
                    events: rx,
                    counters,
                    describe: format!("file://{} (followed)", path.display()),
                    finite: false,
                    stop,
                    reader: Mutex::new(Some(handle)),
                    webhook: Mutex::new(None),
                })
            }
            OpenParams::Path(path) => {
                let reader = LineReader::open(&path)
                    .map_err(|e| format!("plugin k8saudit: open_params {}: {e}", path.display()))?;
                let (c, s, max) = (counters.clone(), stop.clone(), config.max_event_size);
                let name = path.display().to_string();
                let handle = std::thread::Builder::new()
                    .name("k8saudit-file".into())
                    .spawn(move || read_file(reader, &name, max, &tx, &c, &s))
                    .map_err(|e| format!("cannot start the k8saudit file reader: {e}"))?;
                Ok(AuditInput {
                    events: rx,
                    counters,
                    describe: path.display().to_string(),
                    finite: true,
                    stop,
                    reader: Mutex::new(Some(handle)),
                    webhook: Mutex::new(None),
                })
            }
        }
    }

    /// The address the webhook listens on, if it is one.
    pub fn webhook_addr(&self) -> Option<std::net::SocketAddr> {
        self.webhook.lock().ok()?.as_ref().map(|w| w.local_addr)
    }

    /// Stops reading: the webhook stops accepting (requests in flight are answered), the
    /// file reader stops at its next line. What was already queued stays to be evaluated.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let webhook = self.webhook.lock().ok().and_then(|mut w| w.take());
        drop(webhook);
        let reader = self.reader.lock().ok().and_then(|mut r| r.take());
        if let Some(h) = reader {
            // The reader gives up a send on a full queue once it sees the stop.
            let _ = h.join();
        }
    }
}

impl Drop for AuditInput {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The file reader thread: each line's payload parsed, events sent in batches.
fn read_file(
    mut reader: LineReader,
    name: &str,
    max_event: usize,
    tx: &Sender<Vec<AuditEvent>>,
    counters: &AuditCounters,
    stop: &AtomicBool,
) {
    let mut batch = Vec::with_capacity(FILE_BATCH);
    let mut lineno = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let line = match reader.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                log::error!("k8saudit: {name}: read error after line {lineno}: {e}");
                break;
            }
        };
        lineno += 1;
        let text = match line {
            Line::Text(t) if t.iter().all(u8::is_ascii_whitespace) => continue,
            Line::Text(t) => t,
            Line::TooLong(n) => {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                log::warn!(
                    "k8saudit: {name}:{lineno}: line of {n} bytes skipped (longer than {} bytes)",
                    falco_k8saudit::file::MAX_LINE
                );
                continue;
            }
        };
        let parsed = parse_payload(&text, max_event);
        for e in &parsed.errors {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            log::warn!("k8saudit: {name}:{lineno}: {e}");
        }
        counters
            .events
            .fetch_add(parsed.events.len() as u64, Ordering::Relaxed);
        batch.extend(parsed.events);
        if batch.len() >= FILE_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(FILE_BATCH));
            if !send(tx, full, stop) {
                return;
            }
        }
    }
    if !batch.is_empty() {
        send(tx, batch, stop);
    }
}

/// How often a followed file is looked at when nothing new was found.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

/// The follower thread (`file://`): new lines as the file grows, until stopped.
fn follow_file(
    mut follower: Follower,
    name: &str,
    max_event: usize,
    tx: &Sender<Vec<AuditEvent>>,
    counters: &AuditCounters,
    stop: &AtomicBool,
) {
    let mut lineno = 0u64;
    let mut failed = false;
    while !stop.load(Ordering::Relaxed) {
        let lines = match follower.poll(4 * falco_k8saudit::file::MAX_LINE) {
            Ok(l) => {
                failed = false;
                l
            }
            Err(e) => {
                // Said once per outage; the file may come back.
                if !failed {
                    log::warn!("k8saudit: {name}: {e}");
                }
                failed = true;
                Vec::new()
            }
        };
        if lines.is_empty() {
            std::thread::sleep(FOLLOW_POLL);
            continue;
        }
        let mut batch = Vec::new();
        for line in lines {
            lineno += 1;
            let text = match line {
                Line::Text(t) if t.iter().all(u8::is_ascii_whitespace) => continue,
                Line::Text(t) => t,
                Line::TooLong(n) => {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                    counters.log_limited(&format!("{name}: line of {n} bytes skipped"));
                    continue;
                }
            };
            let parsed = parse_payload(&text, max_event);
            for e in &parsed.errors {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                counters.log_limited(&format!("{name}: line {lineno} since the start: {e}"));
            }
            counters
                .events
                .fetch_add(parsed.events.len() as u64, Ordering::Relaxed);
            batch.extend(parsed.events);
        }
        if !batch.is_empty() && !send(tx, batch, stop) {
            return;
        }
    }
}

/// Sends `batch`, waiting for room (a file loses nothing) until a stop is asked for. False
/// when the batch was not sent.
fn send(tx: &Sender<Vec<AuditEvent>>, mut batch: Vec<AuditEvent>, stop: &AtomicBool) -> bool {
    loop {
        match tx.send_timeout(batch, Duration::from_millis(100)) {
            Ok(()) => return true,
            Err(crossbeam_channel::SendTimeoutError::Timeout(b)) => {
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                batch = b;
            }
            Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => return false,
        }
    }
}
