//! The outputs' part of falco.yaml, deserialised with serde from the same keys Falco reads.
//!
//! Raw input first: [`OutputsConfig`] is what the YAML says (defaults as in Falco's falco.yaml);
//! [`OutputsConfig::validate`] checks it once, and [`crate::Outputs::new`] builds the outputs
//! from a configuration that passed, so startup and reload share one path.

use std::time::Duration;

use serde::Deserialize;

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
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
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
