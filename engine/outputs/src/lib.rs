//! Alert outputs for the Falco-compatible engine: stdout, file, syslog, program and HTTP, and
//! the chat outputs (Slack, Microsoft Teams, Google Chat, a generic webhook) in `sink/chat/`.
//!
//! The engine formats each alert once ([`Alert::line`]) and hands it to [`Outputs::send`],
//! which never blocks: every enabled output has its own worker thread behind a bounded queue,
//! and an output that is slow, hanging or dead sheds its own alerts (counted in
//! [`OutputStats::shed`]) without holding back detection or the other outputs. A caller that
//! can hold back its input instead (a replay) asks [`Outputs::wait_for_room`], and then nothing
//! is shed until its stop flag says so. Counters are
//! read with [`Outputs::stats`]; notices about shedding, failures and blocked outputs are logged
//! at most once per interval by a monitor thread, never per alert.
//!
//! What this crate does not know: how alerts are formatted, rules, events, or signals (the
//! engine calls [`Outputs::reopen`] on SIGUSR1).
//!
//! ```no_run
//! use falco_outputs::{Alert, Outputs, OutputsConfig, Priority};
//! let config: OutputsConfig = serde_yaml::from_str("file_output: {enabled: true, filename: /tmp/events.txt}").unwrap();
//! let outputs = Outputs::new(&config).unwrap();
//! outputs.send(Alert {
//!     time_ns: 0,
//!     priority: Priority::Warning,
//!     rule: "Shell in container".into(),
//!     source: "syscall".into(),
//!     tags: vec!["container".into()],
//!     hostname: "node-1".into(),
//!     line: "00:00:00.000000000: Warning A shell was spawned".into(),
//!     json: false,
//!     message: "A shell was spawned".into(),
//!     output_fields: vec![("proc.name".into(), "bash".into())],
//! });
//! let report = outputs.shutdown(config.output_timeout());
//! assert!(report.unfinished.is_empty());
//! ```

#![warn(missing_docs)]
// Raw libc calls live in `sys.rs` alone, which allows them; nothing else may use `unsafe`.
#![deny(unsafe_code)]

mod alert;
mod config;
mod error;
mod logger;
mod outputs;
mod sink;
mod stats;
#[allow(unsafe_code)]
mod sys;

pub use crate::alert::{Alert, Priority, INTERNAL_SOURCE};
pub use crate::config::{
    ChatOutputConfig, FileOutputConfig, HttpOutputConfig, OutputsConfig, OutputsQueueConfig,
    ProgramOutputConfig, StdoutOutputConfig, SyslogOutputConfig, DEFAULT_QUEUE_CAPACITY,
};
pub use crate::error::{ConfigError, OutputsError};
pub use crate::logger::{syslog_level, SyslogLogger};
pub use crate::outputs::{Outputs, ShutdownReport, Subscription};
pub use crate::stats::{OutputStats, OutputsStats};
