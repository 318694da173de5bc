//! The chat outputs (`slack_output`, `teams_output`, `googlechat_output`, `webhook_output`):
//! each alert laid out as the service's webhook payload and POSTed with `http_output`'s client.
//!
//! A chat channel is read by people and its webhook is rate limited, so the sink does not post
//! every alert: a token bucket allows `rate_limit` messages a second (`rate_burst` at once);
//! alerts that come faster wait, gathered by rule, and one message then summarises the N alerts
//! of a rule. A message answered 429, 5xx, or not at all is sent again after a backoff (or the
//! receiver's `Retry-After`) while new alerts keep gathering, so an outage costs summaries,
//! not a full queue. The worker is never blocked longer than one request's timeout.

pub(crate) mod payload;
pub(crate) mod template;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ureq::tls::TlsConfig;
use ureq::Agent;

use super::http::{new_agent, AgentSettings, MAX_REPLY_BODY};
use super::Sink;
use crate::alert::Alert;
use crate::config::{check_url, unquote, ChatKind, ChatOutputConfig};
use crate::error::ConfigError;
use crate::stats::Counters;
use payload::Layout;

/// Distinct rules that may wait for a message at once; an alert of one more rule fails
/// (counted) rather than growing the sink without bound.
pub(crate) const MAX_WAITING_RULES: usize = 1024;
/// The longest delay before a retry, whatever the backoff or `Retry-After` say.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);
/// The longest delay between two backoff retries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The most of `webhook_url_file` read.
const MAX_URL_FILE: u64 = 64 * 1024;
/// How long `close` sleeps at most between two looks at the bucket and the retry.
const CLOSE_POLL: Duration = Duration::from_millis(20);

/// The alerts of one rule waiting for a message: the first one (whose fields the message shows),
/// how many, and when the last one happened.
pub(crate) struct Group {
    pub(crate) first: Arc<Alert>,
    pub(crate) count: u64,
    pub(crate) last_time_ns: u64,
}

/// Alerts waiting for a message, by rule, in the order their rules first came.
#[derive(Default)]
struct Waiting {
    order: VecDeque<String>,
    groups: HashMap<String, Group>,
    alerts: u64,
}

impl Waiting {
    /// Adds `alert` to its rule's group; false when that needs a group past the cap.
    fn add(&mut self, alert: &Arc<Alert>) -> bool {
        if let Some(group) = self.groups.get_mut(&alert.rule) {
            group.count += 1;
            group.last_time_ns = group.last_time_ns.max(alert.time_ns);
        } else {
            if self.groups.len() >= MAX_WAITING_RULES {
                return false;
            }
            self.order.push_back(alert.rule.clone());
            self.groups.insert(
                alert.rule.clone(),
                Group {
                    first: alert.clone(),
                    count: 1,
                    last_time_ns: alert.time_ns,
                },
            );
        }
        self.alerts += 1;
        true
    }

    fn pop(&mut self) -> Option<Group> {
        let rule = self.order.pop_front()?;
        let group = self.groups.remove(&rule)?;
        self.alerts -= group.count;
        Some(group)
    }

    fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// `rate_limit` messages a second on average, up to `rate_burst` at once.
struct TokenBucket {
    tokens: f64,
    burst: f64,
    rate: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            tokens: burst,
            burst,
            rate,
            last: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
    }

    /// Takes a token if one is there.
    fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until the next token.
    fn wait(&self) -> Duration {
        let missing = (1.0 - self.tokens).max(0.0);
        // A tiny rate makes this huge: saturate rather than panic.
        Duration::try_from_secs_f64(missing / self.rate).unwrap_or(Duration::MAX)
    }
}

/// A rendered message and the alerts it carries.
struct Message {
    body: Vec<u8>,
    alerts: u64,
    attempts: u32,
    not_before: Instant,
}

/// Why one POST did not deliver.
enum PostFailure {
    /// A status other than 2xx, with the delay a `Retry-After` header asked for.
    Status(u16, Option<Duration>),
    /// The request or the connection timed out.
    Timeout,
    /// The connection could not be made, broke, or the reply was too large.
    Transport(String),
}

impl PostFailure {
    /// Worth sending again: the receiver is throttling, failing, slow or away; other 4xx mean
    /// the message or the URL is wrong, and retrying cannot help.
    fn retryable(&self) -> bool {
        match self {
            PostFailure::Status(code, _) => *code == 429 || *code >= 500,
            PostFailure::Timeout | PostFailure::Transport(_) => true,
        }
    }
}

impl fmt::Display for PostFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PostFailure::Status(code, _) => write!(f, "answered HTTP {code}"),
            PostFailure::Timeout => f.write_str("timed out"),
            PostFailure::Transport(e) => f.write_str(e),
        }
    }
}

/// One chat output.
pub(crate) struct ChatSink {
    kind: ChatKind,
    agent: Agent,
    url: String,
    content_type: String,
    headers: Vec<(String, String)>,
    layout: Layout,
    waiting: Waiting,
    retry: Option<Message>,
    bucket: TokenBucket,
    max_retries: u32,
    backoff: Duration,
    counters: Arc<Counters>,
    /// Set by the hub when the shutdown deadline passed with this output still busy: it has
    /// then counted what the sink holds as discarded, so `close` must not count it again.
    abandon: Arc<AtomicBool>,
    /// In a run of failed attempts: logged when it starts and when it ends, not per attempt.
    failing: bool,
}

impl ChatSink {
    /// Builds the output: reads the URL from its file or variable and parses the body
    /// template, so that a missing secret or a bad template stops the start.
    pub(crate) fn build(
        kind: ChatKind,
        config: &ChatOutputConfig,
        counters: Arc<Counters>,
        abandon: Arc<AtomicBool>,
    ) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let url = match webhook_url(kind, config) {
            Ok(url) => url,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        let layout = match Layout::new(kind, config) {
            Ok(layout) => Some(layout),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let (Some(layout), true) = (layout, errors.is_empty()) else {
            return Err(errors);
        };
        let content_type = match kind {
            ChatKind::Webhook => config.content_type.clone(),
            _ => "application/json".to_string(),
        };
        Ok(ChatSink {
            kind,
            agent: new_agent(&AgentSettings {
                user_agent: &config.user_agent,
                timeout_ms: config.timeout_ms,
                connect_timeout_ms: config.connect_timeout_ms,
                keep_alive: true,
                tls: TlsConfig::default(),
            }),
            url,
            content_type,
            headers: config
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            layout,
            waiting: Waiting::default(),
            retry: None,
            bucket: TokenBucket::new(config.rate_limit, config.rate_burst),
            max_retries: config.max_retries,
            backoff: Duration::from_millis(config.retry_backoff_ms),
            counters,
            abandon,
            failing: false,
        })
    }

    /// Sends what the bucket allows: the message waiting for a retry first (once its delay is
    /// over), then one message per waiting rule.
    fn pump(&mut self) {
        loop {
            let now = Instant::now();
            if let Some(message) = &self.retry {
                if now < message.not_before || !self.bucket.take(now) {
                    return;
                }
                if let Some(message) = self.retry.take() {
                    self.attempt(message);
                }
                continue;
            }
            if self.waiting.is_empty() || !self.bucket.take(now) {
                return;
            }
            let Some(group) = self.waiting.pop() else {
                return;
            };
            let body = self.layout.render(&group);
            self.attempt(Message {
                body,
                alerts: group.count,
                attempts: 0,
                not_before: now,
            });
        }
    }

    fn attempt(&mut self, mut message: Message) {
        let name = self.kind.name();
        match self.post(&message.body) {
            Ok(()) => {
                self.counters.delivered(message.alerts);
                self.counters.messages.fetch_add(1, Relaxed);
                if message.alerts > 1 {
                    self.counters.batched.fetch_add(message.alerts, Relaxed);
                }
                if self.failing {
                    self.failing = false;
                    log::info!("{name} output: the webhook accepts messages again");
                }
            }
            Err(failure) => {
                if let PostFailure::Status(429, _) = failure {
                    self.counters.rate_limited.fetch_add(1, Relaxed);
                }
                if let PostFailure::Timeout = failure {
                    self.counters.timeouts.fetch_add(1, Relaxed);
                }
                if failure.retryable() && message.attempts < self.max_retries {
                    let delay = match failure {
                        PostFailure::Status(_, Some(asked)) => asked,
                        _ => backoff(self.backoff, message.attempts),
                    }
                    .min(MAX_RETRY_DELAY);
                    if !self.failing {
                        self.failing = true;
                        log::warn!(
                            "{name} output: the webhook {failure}; retrying in {} ms, up to {} times (alerts meanwhile \
                             are gathered into summaries)",
                            delay.as_millis(),
                            self.max_retries
                        );
                    }
                    self.counters.retries.fetch_add(1, Relaxed);
                    message.attempts += 1;
                    message.not_before = Instant::now() + delay;
                    self.retry = Some(message);
                } else {
                    if !self.failing {
                        self.failing = true;
                        log::warn!("{name} output: the webhook {failure}; its alerts are counted as failed");
                    }
                    self.counters
                        .failed(message.alerts, format_args!("the webhook {failure}"));
                }
            }
        }
    }

    fn post(&self, body: &[u8]) -> Result<(), PostFailure> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", self.content_type.as_str());
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send(body).map_err(|e| self.failure(e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        // Read the reply to its end (bounded) so the kept-alive connection can carry the next.
        let mut reader = response
            .into_body()
            .into_with_config()
            .limit(MAX_REPLY_BODY)
            .reader();
        io::copy(&mut reader, &mut io::sink())
            .map_err(|e| PostFailure::Transport(self.redact(&format!("reading the reply: {e}"))))?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(PostFailure::Status(status, retry_after))
        }
    }

    fn failure(&self, e: ureq::Error) -> PostFailure {
        match e {
            ureq::Error::Timeout(_) => PostFailure::Timeout,
            e => PostFailure::Transport(self.redact(&e.to_string())),
        }
    }

    /// `text` without the webhook URL or its path: the URL is the secret of a Slack, Teams or
    /// Google Chat webhook, and errors go to the log.
    fn redact(&self, text: &str) -> String {
        let mut text = text.replace(&self.url, "<webhook URL>");
        let path = self
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or_default();
        if path.len() > 1 {
            text = text.replace(path, "<webhook path>");
        }
        text
    }

    /// The alerts the sink holds, waiting or to be retried.
    fn held(&self) -> u64 {
        self.waiting.alerts + self.retry.as_ref().map_or(0, |m| m.alerts)
    }
}

impl Sink for ChatSink {
    fn deliver(&mut self, alert: &Arc<Alert>) {
        if !self.waiting.add(alert) {
            self.counters.failed(
                1,
                format_args!("more than {MAX_WAITING_RULES} rules wait for a message"),
            );
        }
        self.pump();
    }

    fn idle(&mut self) {
        self.pump();
    }

    fn close(&mut self, deadline: Instant) {
        loop {
            self.pump();
            let now = Instant::now();
            if self.held() == 0 || now >= deadline {
                break;
            }
            let mut next = self.bucket.wait();
            if let Some(message) = &self.retry {
                next = next.max(message.not_before.saturating_duration_since(now));
            }
            thread::sleep(
                next.min(CLOSE_POLL)
                    .min(deadline - now)
                    .max(Duration::from_millis(1)),
            );
        }
        let left = self.held();
        if left > 0 && !self.abandon.load(Acquire) {
            self.counters.discarded.fetch_add(left, Relaxed);
            log::warn!(
                "{} output: {left} alerts not sent by the shutdown deadline (rate limit or retries)",
                self.kind.name()
            );
        }
    }
}

/// The retry delay after `attempts` failed retries: `first`, doubled each time, at most a minute.
fn backoff(first: Duration, attempts: u32) -> Duration {
    first
        .saturating_mul(1u32.checked_shl(attempts.min(16)).unwrap_or(u32::MAX))
        .min(MAX_BACKOFF)
}

/// `Retry-After` as a number of seconds (an HTTP date is not read: the backoff applies).
fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The webhook URL from `webhook_url`, the file `webhook_url_file` or the variable
/// `webhook_url_env`. The value is never put in an error message: it is a secret.
fn webhook_url(kind: ChatKind, config: &ChatOutputConfig) -> Result<String, ConfigError> {
    let key = kind.key("webhook_url");
    let error = |message: String| ConfigError { key, message };
    let url = if !config.webhook_url_file.trim().is_empty() {
        let path = config.webhook_url_file.trim();
        // Only the first line matters; a bounded read keeps a wrong path (a device, a huge
        // file) from costing memory or time.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| io::Read::read_to_end(&mut io::Read::take(f, MAX_URL_FILE), &mut bytes))
            .map_err(|e| error(format!("reading webhook_url_file {path}: {e}")))?;
        let text = String::from_utf8_lossy(&bytes);
        text.lines().next().unwrap_or_default().trim().to_string()
    } else if !config.webhook_url_env.trim().is_empty() {
        let name = config.webhook_url_env.trim();
        std::env::var(name)
            .map_err(|_| {
                error(format!(
                    "webhook_url_env: the environment variable {name} is not set"
                ))
            })?
            .trim()
            .to_string()
    } else {
        config.webhook_url.trim().to_string()
    };
    check_url(&url).map_err(|m| error(format!("the webhook URL {m}")))?;
    Ok(unquote(&url).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let first = Duration::from_millis(500);
        assert_eq!(backoff(first, 0), first);
        assert_eq!(backoff(first, 3), Duration::from_secs(4));
        assert_eq!(backoff(first, 40), MAX_BACKOFF);
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn bucket_allows_a_burst_then_the_rate() {
        let mut bucket = TokenBucket::new(10.0, 2);
        let start = bucket.last;
        assert!(bucket.take(start) && bucket.take(start));
        assert!(!bucket.take(start));
        assert!(bucket.take(start + Duration::from_millis(100)));
    }

    #[test]
    fn a_tiny_rate_saturates_the_wait() {
        let mut bucket = TokenBucket::new(1e-300, 1);
        let now = bucket.last;
        assert!(bucket.take(now));
        assert_eq!(bucket.wait(), Duration::MAX);
    }
}
