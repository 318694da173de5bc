//! The outputs' part of falco.yaml, deserialised with serde from the same keys Falco reads.
//!
//! Raw input first: [`OutputsConfig`] is what the YAML says (defaults as in Falco's falco.yaml);
//! [`OutputsConfig::validate`] checks it once, and [`crate::Outputs::new`] builds the outputs
//! from a configuration that passed, so startup and reload share one path.

use std::time::Duration;

use serde::Deserialize;

use crate::alert::Priority;
use crate::error::ConfigError;

/// Queue capacity used per output when `outputs_queue.capacity` is 0.
///
/// Falco reads 0 as "unbounded"; here every queue is bounded, so 0 selects this default.
pub const DEFAULT_QUEUE_CAPACITY: usize = 4096;

/// The outputs configuration: the falco.yaml keys `stdout_output`, `file_output`,
/// `syslog_output`, `program_output`, `http_output`, `buffered_outputs`, `outputs_queue`,
/// `output_timeout` and `log_syslog`.
///
/// Deserialise it from the whole falco.yaml document or from a mapping holding just these keys
/// (unknown keys are ignored, missing keys take Falco's defaults):
///
/// ```
/// let yaml = "stdout_output: {enabled: false}\nfile_output: {enabled: true, filename: /tmp/a}\n";
/// let config: falco_outputs::OutputsConfig = serde_yaml::from_str(yaml).unwrap();
/// assert!(config.file_output.enabled && !config.stdout_output.enabled);
/// assert!(config.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default)]
pub struct OutputsConfig {
    /// `buffered_outputs`: let stdout, file and program outputs batch writes instead of writing
    /// every alert at once. Batches are still written whenever the output's queue runs empty.
    pub buffered_outputs: bool,
    /// `outputs_queue`.
    pub outputs_queue: OutputsQueueConfig,
    /// `output_timeout` in milliseconds (Falco's default 2000): an output busy with one alert
    /// for longer is reported as blocked; also the default shutdown deadline.
    pub output_timeout: u64,
    /// `stdout_output`.
    pub stdout_output: StdoutOutputConfig,
    /// `file_output`.
    pub file_output: FileOutputConfig,
    /// `syslog_output`.
    pub syslog_output: SyslogOutputConfig,
    /// `program_output`.
    pub program_output: ProgramOutputConfig,
    /// `http_output`.
    pub http_output: HttpOutputConfig,
    /// `log_syslog`: send the engine's own log to syslog too (see [`crate::SyslogLogger`]).
    pub log_syslog: bool,
    /// `slack_output`: Slack incoming webhook (extension).
    pub slack_output: ChatOutputConfig,
    /// `teams_output`: Microsoft Teams webhook (extension).
    pub teams_output: ChatOutputConfig,
    /// `googlechat_output`: Google Chat webhook (extension).
    pub googlechat_output: ChatOutputConfig,
    /// `webhook_output`: any webhook, body from a template (extension).
    pub webhook_output: ChatOutputConfig,
    /// How often at most each output's shed, failure and blocked notices are logged (not a
    /// falco.yaml key; 10 s by default).
    #[serde(skip)]
    pub notice_interval: Duration,
}

impl Default for OutputsConfig {
    fn default() -> Self {
        OutputsConfig {
            buffered_outputs: false,
            outputs_queue: OutputsQueueConfig::default(),
            output_timeout: 2000,
            stdout_output: StdoutOutputConfig::default(),
            file_output: FileOutputConfig::default(),
            syslog_output: SyslogOutputConfig::default(),
            program_output: ProgramOutputConfig::default(),
            http_output: HttpOutputConfig::default(),
            log_syslog: true,
            slack_output: ChatOutputConfig::default(),
            teams_output: ChatOutputConfig::default(),
            googlechat_output: ChatOutputConfig::default(),
            webhook_output: ChatOutputConfig::default(),
            notice_interval: Duration::from_secs(10),
        }
    }
}

/// `outputs_queue`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OutputsQueueConfig {
    /// `outputs_queue.capacity`: alerts each output may hold while it is busy; 0 selects
    /// [`DEFAULT_QUEUE_CAPACITY`]. When an output's queue is full, new alerts for that output
    /// are shed (dropped and counted); the other outputs are unaffected.
    pub capacity: usize,
}

impl OutputsQueueConfig {
    /// The capacity in force: `capacity`, or [`DEFAULT_QUEUE_CAPACITY`] when it is 0.
    pub fn effective_capacity(&self) -> usize {
        if self.capacity == 0 {
            DEFAULT_QUEUE_CAPACITY
        } else {
            self.capacity
        }
    }
}

/// `stdout_output`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StdoutOutputConfig {
    /// `stdout_output.enabled` (default true).
    pub enabled: bool,
}

impl Default for StdoutOutputConfig {
    fn default() -> Self {
        StdoutOutputConfig { enabled: true }
    }
}

/// `file_output`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FileOutputConfig {
    /// `file_output.enabled` (default false).
    pub enabled: bool,
    /// `file_output.keep_alive`: keep the file open between alerts instead of opening and
    /// closing it for each write (default false).
    pub keep_alive: bool,
    /// `file_output.filename` (default `./events.txt`), opened in append mode.
    pub filename: String,
}

impl Default for FileOutputConfig {
    fn default() -> Self {
        FileOutputConfig {
            enabled: false,
            keep_alive: false,
            filename: "./events.txt".into(),
        }
    }
}

/// `syslog_output`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SyslogOutputConfig {
    /// `syslog_output.enabled` (default true).
    pub enabled: bool,
}

impl Default for SyslogOutputConfig {
    fn default() -> Self {
        SyslogOutputConfig { enabled: true }
    }
}

/// `program_output`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ProgramOutputConfig {
    /// `program_output.enabled` (default false).
    pub enabled: bool,
    /// `program_output.keep_alive`: keep one program running and write every alert to its
    /// stdin, instead of one program per alert (default false).
    pub keep_alive: bool,
    /// `program_output.program`, run as `sh -c PROGRAM`.
    pub program: String,
}

impl Default for ProgramOutputConfig {
    fn default() -> Self {
        ProgramOutputConfig {
            enabled: false,
            keep_alive: false,
            program:
                "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX"
                    .into(),
        }
    }
}

/// `http_output`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct HttpOutputConfig {
    /// `http_output.enabled` (default false).
    pub enabled: bool,
    /// `http_output.url`: `http://` or `https://` endpoint each alert is POSTed to.
    pub url: String,
    /// `http_output.user_agent` (default `falcosecurity/falco`).
    pub user_agent: String,
    /// `http_output.insecure`: do not verify the server's certificate.
    pub insecure: bool,
    /// `http_output.ca_cert`: PEM file of trusted CA certificates (first choice).
    pub ca_cert: String,
    /// `http_output.ca_bundle`: PEM bundle of trusted CA certificates (when `ca_cert` is empty).
    pub ca_bundle: String,
    /// `http_output.ca_path`: directory of PEM CA certificates (when both above are empty;
    /// default `/etc/ssl/certs`; Mozilla's roots are used when it holds none).
    pub ca_path: String,
    /// `http_output.mtls`: present `client_cert`/`client_key` to the server.
    pub mtls: bool,
    /// `http_output.client_cert`: PEM client certificate chain for mTLS.
    pub client_cert: String,
    /// `http_output.client_key`: PEM private key for mTLS.
    pub client_key: String,
    /// `http_output.echo`: copy the server's response bodies to stdout.
    pub echo: bool,
    /// `http_output.compress_uploads`: gzip each body (`Content-Encoding: gzip`).
    pub compress_uploads: bool,
    /// `http_output.keep_alive`: reuse one persistent connection; otherwise each alert opens
    /// its own connection.
    pub keep_alive: bool,
    /// `http_output.max_consecutive_timeouts`: how many times one alert is retried after a
    /// timeout before it is counted as failed (default 5).
    pub max_consecutive_timeouts: u8,
    /// Time allowed for one request, connection included, in milliseconds (extension; default
    /// 5000). A hanging endpoint costs at most this per attempt.
    pub timeout_ms: u64,
    /// Time allowed to connect, in milliseconds (extension; default 2000).
    pub connect_timeout_ms: u64,
}

impl Default for HttpOutputConfig {
    fn default() -> Self {
        HttpOutputConfig {
            enabled: false,
            url: String::new(),
            user_agent: "falcosecurity/falco".into(),
            insecure: false,
            ca_cert: String::new(),
            ca_bundle: String::new(),
            ca_path: "/etc/ssl/certs".into(),
            mtls: false,
            client_cert: "/etc/ssl/certs/client.crt".into(),
            client_key: "/etc/ssl/certs/client.key".into(),
            echo: false,
            compress_uploads: false,
            keep_alive: false,
            max_consecutive_timeouts: 5,
            timeout_ms: 5000,
            connect_timeout_ms: 2000,
        }
    }
}

impl OutputsConfig {
    /// The shutdown deadline and blocked threshold, from `output_timeout`.
    pub fn output_timeout(&self) -> Duration {
        Duration::from_millis(self.output_timeout)
    }

    /// Checks the configuration and returns every problem found (not just the first).
    ///
    /// Files named by `http_output` (CA, client certificate and key) are read when the outputs
    /// are built, and problems there are reported the same way by [`crate::Outputs::new`].
    ///
    /// # Errors
    /// The list of [`ConfigError`]s, each naming its falco.yaml key.
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut bad = |key: &'static str, message: &str| {
            errors.push(ConfigError {
                key,
                message: message.into(),
            })
        };
        if self.output_timeout == 0 {
            bad("output_timeout", "must be greater than 0 ms");
        }
        if self.file_output.enabled && self.file_output.filename.trim().is_empty() {
            bad(
                "file_output.filename",
                "must name a file when file_output is enabled",
            );
        }
        if self.program_output.enabled && self.program_output.program.trim().is_empty() {
            bad(
                "program_output.program",
                "must name a command when program_output is enabled",
            );
        }
        let http = &self.http_output;
        if http.enabled {
            let url = unquote(&http.url);
            if url.is_empty() {
                bad("http_output.url", "must be set when http_output is enabled");
            } else if !(url.starts_with("http://") || url.starts_with("https://")) {
                bad("http_output.url", "must start with http:// or https://");
            }
            if http.timeout_ms == 0 {
                bad("http_output.timeout_ms", "must be greater than 0 ms");
            }
            if http.connect_timeout_ms == 0 {
                bad(
                    "http_output.connect_timeout_ms",
                    "must be greater than 0 ms",
                );
            }
            if http.mtls && (http.client_cert.is_empty() || http.client_key.is_empty()) {
                bad("http_output.mtls", "needs both client_cert and client_key");
            }
        }
        for (kind, chat) in self.chat_outputs() {
            if chat.enabled {
                chat.validate(kind, &mut errors);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The four chat outputs with their kind, enabled or not.
    pub(crate) fn chat_outputs(&self) -> [(ChatKind, &ChatOutputConfig); 4] {
        [
            (ChatKind::Slack, &self.slack_output),
            (ChatKind::Teams, &self.teams_output),
            (ChatKind::GoogleChat, &self.googlechat_output),
            (ChatKind::Webhook, &self.webhook_output),
        ]
    }
}

/// The URL without one pair of surrounding quotes, which Falco strips too.
pub(crate) fn unquote(url: &str) -> &str {
    let url = url.trim();
    for quote in ['"', '\''] {
        if url.len() >= 2 && url.starts_with(quote) && url.ends_with(quote) {
            return &url[1..url.len() - 1];
        }
    }
    url
}

/// Which service a chat output talks to; decides the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChatKind {
    Slack,
    Teams,
    GoogleChat,
    Webhook,
}

impl ChatKind {
    /// The output's name in stats and logs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ChatKind::Slack => "slack",
            ChatKind::Teams => "teams",
            ChatKind::GoogleChat => "googlechat",
            ChatKind::Webhook => "webhook",
        }
    }

    /// A falco.yaml key of this output, e.g. `slack_output.webhook_url`.
    pub(crate) fn key(self, leaf: &str) -> &'static str {
        // The keys are a fixed small set; matching keeps them `'static` for `ConfigError`.
        macro_rules! keys {
            ($($leaf:literal),*) => {
                match (self, leaf) {
                    $((ChatKind::Slack, $leaf) => concat!("slack_output.", $leaf),
                      (ChatKind::Teams, $leaf) => concat!("teams_output.", $leaf),
                      (ChatKind::GoogleChat, $leaf) => concat!("googlechat_output.", $leaf),
                      (ChatKind::Webhook, $leaf) => concat!("webhook_output.", $leaf),)*
                    (ChatKind::Slack, _) => "slack_output",
                    (ChatKind::Teams, _) => "teams_output",
                    (ChatKind::GoogleChat, _) => "googlechat_output",
                    (ChatKind::Webhook, _) => "webhook_output",
                }
            };
        }
        keys!(
            "webhook_url",
            "minimum_priority",
            "output_format",
            "rate_limit",
            "rate_burst",
            "retry_backoff_ms",
            "timeout_ms",
            "connect_timeout_ms",
            "body_template",
            "card",
            "headers"
        )
    }
}

/// `slack_output`, `teams_output`, `googlechat_output` and `webhook_output` (extensions; not
/// in Falco, which leaves chat tools to falcosidekick).
///
/// The webhook URL is a secret: it can come from `webhook_url`, from the first line of the
/// file `webhook_url_file`, or from the environment variable named by `webhook_url_env`
/// (exactly one of the three). Alerts below `minimum_priority` never reach the output's queue.
/// At most `rate_limit` messages a second go out (bursts of `rate_burst`); alerts that
/// arrive faster are gathered by rule, and one message then summarises the N alerts of a rule.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default)]
pub struct ChatOutputConfig {
    /// `enabled` (default false).
    pub enabled: bool,
    /// `webhook_url`: the `http://` or `https://` URL messages are POSTed to.
    pub webhook_url: String,
    /// `webhook_url_file`: a file whose first line is the URL (a mounted secret).
    pub webhook_url_file: String,
    /// `webhook_url_env`: the name of an environment variable holding the URL.
    pub webhook_url_env: String,
    /// `minimum_priority` (default `debug`: every alert); Falco's priority names, any case.
    pub minimum_priority: String,
    /// `output_format`: `all` (default: the output line and the fields), `text` (the output
    /// line only) or `fields` (the fields only; Teams also takes `facts`). Not for
    /// `webhook_output`, whose body is `body_template`.
    #[serde(alias = "outputformat")]
    pub output_format: String,
    /// `rate_limit`: messages per second at most, sustained (default 1, Slack's limit).
    pub rate_limit: f64,
    /// `rate_burst`: messages that may go out at once after a quiet spell (default 3).
    pub rate_burst: u32,
    /// `max_retries`: how many times a message answered 429, 5xx, or not at all is sent
    /// again before its alerts are counted as failed (default 3).
    pub max_retries: u32,
    /// `retry_backoff_ms`: the first retry's delay, doubled each time up to a minute, unless
    /// the receiver's `Retry-After` asks for another (default 1000).
    pub retry_backoff_ms: u64,
    /// `timeout_ms`: time allowed for one request (default 5000).
    pub timeout_ms: u64,
    /// `connect_timeout_ms`: time allowed to connect (default 2000).
    pub connect_timeout_ms: u64,
    /// `user_agent` (default `falcosecurity/falco`).
    pub user_agent: String,
    /// `slack_output.username`: the name messages are posted under (empty: the webhook's).
    pub username: String,
    /// `slack_output.icon_url`: the avatar messages are posted with (empty: the webhook's).
    pub icon_url: String,
    /// `slack_output.channel`: a channel other than the webhook's (legacy webhooks only).
    pub channel: String,
    /// `slack_output.footer` (default falcosidekick's: a link to the project).
    pub footer: String,
    /// `teams_output.card`: `adaptive` (default: an Adaptive Card, what Teams Workflows
    /// webhooks take) or `message` (the legacy connectors' MessageCard, as falcosidekick
    /// sends).
    pub card: String,
    /// `webhook_output.body_template`: the body, with `{{name}}` placeholders (see the
    /// README); default `{{json}}`, the alert as Falco's JSON object.
    pub body_template: String,
    /// `webhook_output.content_type` (default `application/json`). With a JSON type, the
    /// text placeholders are JSON-escaped (write the quotes in the template).
    pub content_type: String,
    /// `webhook_output.headers`: extra request headers, name to value (e.g. an
    /// `Authorization` the receiving service wants).
    pub headers: std::collections::BTreeMap<String, String>,
}

impl Default for ChatOutputConfig {
    fn default() -> Self {
        ChatOutputConfig {
            enabled: false,
            webhook_url: String::new(),
            webhook_url_file: String::new(),
            webhook_url_env: String::new(),
            minimum_priority: "debug".into(),
            output_format: "all".into(),
            rate_limit: 1.0,
            rate_burst: 3,
            max_retries: 3,
            retry_backoff_ms: 1000,
            timeout_ms: 5000,
            connect_timeout_ms: 2000,
            user_agent: "falcosecurity/falco".into(),
            username: String::new(),
            icon_url: String::new(),
            channel: String::new(),
            footer: "https://github.com/falcosecurity/falcosidekick".into(),
            card: "adaptive".into(),
            body_template: "{{json}}".into(),
            content_type: "application/json".into(),
            headers: std::collections::BTreeMap::new(),
        }
    }
}

/// What a chat message shows (`output_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChatFormat {
    /// The output line and the fields.
    All,
    /// The output line only.
    Text,
    /// The fields only.
    Fields,
}

impl ChatOutputConfig {
    /// `minimum_priority` read, any case (`info` for `informational` too).
    pub(crate) fn minimum(&self) -> Option<Priority> {
        Priority::from_name(&self.minimum_priority)
    }

    pub(crate) fn format(&self) -> Option<ChatFormat> {
        match self.output_format.trim().to_ascii_lowercase().as_str() {
            "all" | "" => Some(ChatFormat::All),
            "text" => Some(ChatFormat::Text),
            "fields" | "facts" => Some(ChatFormat::Fields),
            _ => None,
        }
    }

    fn validate(&self, kind: ChatKind, errors: &mut Vec<ConfigError>) {
        let mut bad = |leaf: &str, message: String| {
            errors.push(ConfigError {
                key: kind.key(leaf),
                message,
            })
        };
        let sources = [
            !self.webhook_url.trim().is_empty(),
            !self.webhook_url_file.trim().is_empty(),
            !self.webhook_url_env.trim().is_empty(),
        ];
        match sources.iter().filter(|s| **s).count() {
            0 => bad(
                "webhook_url",
                "must be set (or webhook_url_file, or webhook_url_env) when the output is enabled"
                    .into(),
            ),
            1 => {}
            _ => bad(
                "webhook_url",
                "set only one of webhook_url, webhook_url_file and webhook_url_env".into(),
            ),
        }
        if sources[0] {
            if let Err(message) = check_url(&self.webhook_url) {
                bad("webhook_url", message);
            }
        }
        if self.minimum().is_none() {
            bad(
                "minimum_priority",
                format!(
                    "{:?} is not a priority (emergency, alert, critical, error, warning, notice, informational, debug)",
                    self.minimum_priority
                ),
            );
        }
        if self.format().is_none() {
            bad(
                "output_format",
                format!("{:?} is not one of all, text, fields", self.output_format),
            );
        }
        if !(self.rate_limit.is_finite() && self.rate_limit > 0.0) {
            bad(
                "rate_limit",
                "must be a number of messages per second above 0".into(),
            );
        }
        if self.rate_burst == 0 {
            bad("rate_burst", "must be at least 1".into());
        }
        if self.retry_backoff_ms == 0 {
            bad("retry_backoff_ms", "must be greater than 0 ms".into());
        }
        if self.timeout_ms == 0 {
            bad("timeout_ms", "must be greater than 0 ms".into());
        }
        if self.connect_timeout_ms == 0 {
            bad("connect_timeout_ms", "must be greater than 0 ms".into());
        }
        for (name, value) in &self.headers {
            if ureq::http::HeaderName::from_bytes(name.as_bytes()).is_err()
                || ureq::http::HeaderValue::from_str(value).is_err()
            {
                bad(
                    "headers",
                    format!("{name:?} is not a valid header name and value"),
                );
            }
        }
        if kind == ChatKind::Teams && !matches!(self.card.as_str(), "adaptive" | "message") {
            bad(
                "card",
                format!("{:?} is not one of adaptive, message", self.card),
            );
        }
    }
}

/// Whether `url` is an `http://` or `https://` URL, for the chat outputs' webhook URLs.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    let url = unquote(url);
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err("must start with http:// or https://".into())
    }
}
