//! What the outputs deliver: an alert already formatted by the engine.

use serde::Deserialize;

/// The `source` of alerts the engine raises about itself (drops, reload failures), as in Falco.
pub const INTERNAL_SOURCE: &str = "internal";

/// Falco's eight alert priorities, most severe first.
///
/// The discriminants are the syslog levels (`LOG_EMERG` = 0 … `LOG_DEBUG` = 7), which is how
/// Falco maps a priority to a syslog level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Priority {
    /// System is unusable (`LOG_EMERG`).
    Emergency = 0,
    /// Action must be taken immediately (`LOG_ALERT`).
    Alert = 1,
    /// Critical conditions (`LOG_CRIT`).
    Critical = 2,
    /// Error conditions (`LOG_ERR`).
    Error = 3,
    /// Warning conditions (`LOG_WARNING`).
    Warning = 4,
    /// Normal but significant (`LOG_NOTICE`).
    Notice = 5,
    /// Informational (`LOG_INFO`); Falco also accepts `info`.
    #[serde(alias = "info")]
    Informational = 6,
    /// Debug-level (`LOG_DEBUG`).
    Debug = 7,
}

impl Priority {
    /// All priorities, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// The syslog level of this priority (`LOG_EMERG` … `LOG_DEBUG`).
    pub fn syslog_level(self) -> libc::c_int {
        match self {
            Priority::Emergency => libc::LOG_EMERG,
            Priority::Alert => libc::LOG_ALERT,
            Priority::Critical => libc::LOG_CRIT,
            Priority::Error => libc::LOG_ERR,
            Priority::Warning => libc::LOG_WARNING,
            Priority::Notice => libc::LOG_NOTICE,
            Priority::Informational => libc::LOG_INFO,
            Priority::Debug => libc::LOG_DEBUG,
        }
    }

    /// The priority called `name`, any case; `info` is `Informational` as in Falco.
    pub fn from_name(name: &str) -> Option<Priority> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("info") {
            return Some(Priority::Informational);
        }
        Priority::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The name Falco prints in alerts (`Warning`, `Informational`, …).
    pub fn name(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
}

/// One alert, formatted once by the engine and delivered unchanged by every output.
///
/// The outputs do not format: each writes [`Alert::line`] (plus a newline where the medium is
/// line-oriented). The other fields are metadata the engine already has; outputs use `priority`
/// (syslog level) and `json` (HTTP content type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Event time in nanoseconds since the Unix epoch.
    pub time_ns: u64,
    /// The rule's priority (or the internal alert's).
    pub priority: Priority,
    /// The rule name (for internal alerts, e.g. `Falco internal: syscall event drop`).
    pub rule: String,
    /// The event source (`syscall`, a plugin source, or [`INTERNAL_SOURCE`]).
    pub source: String,
    /// The rule's tags.
    pub tags: Vec<String>,
    /// The hostname the engine reports in alerts.
    pub hostname: String,
    /// The formatted alert as Falco prints it, without a trailing newline: with `json_output`
    /// the JSON object (`{"hostname":…,"output":…,"priority":…,"rule":…,"source":…,"tags":…,
    /// "time":…,"output_fields":…}`), otherwise the text line `<time>: <Priority> <output>`.
    pub line: String,
    /// Whether `line` is the JSON object (`json_output: true`).
    pub json: bool,
    /// The rule's output without the time and priority prefix (Falco's JSON `message`), for
    /// outputs that lay an alert out themselves (the chat outputs).
    pub message: String,
    /// The output fields as Falco's JSON `output_fields` holds them (sorted by name), each
    /// value as text (`<NA>` for a field without value), whatever `json_output` says.
    pub output_fields: Vec<(String, String)>,
}
