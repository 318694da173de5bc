//! `log_syslog`: the engine's own log records to syslog(3), as Falco's logger does.

use std::io::Write;

use crate::sink::syslog::c_message;
use crate::sys;

/// A [`log::Log`] that sends every record to syslog(3) with facility `LOG_USER` (Falco's
/// `log_syslog`) and, optionally, to stderr (`log_stderr`).
#[derive(Clone, Copy, Debug)]
pub struct SyslogLogger {
    level: log::LevelFilter,
    stderr: bool,
}

impl SyslogLogger {
    /// A logger for records up to `level`, also printed to stderr when `stderr`.
    pub fn new(level: log::LevelFilter, stderr: bool) -> Self {
        SyslogLogger { level, stderr }
    }

    /// Installs it as the process's logger.
    ///
    /// # Errors
    /// When a logger is already installed.
    pub fn install(self) -> Result<(), log::SetLoggerError> {
        log::set_max_level(self.level);
        log::set_boxed_logger(Box::new(self))
    }
}

/// The syslog level of a log record's level.
pub fn syslog_level(level: log::Level) -> libc::c_int {
    match level {
        log::Level::Error => libc::LOG_ERR,
        log::Level::Warn => libc::LOG_WARNING,
        log::Level::Info => libc::LOG_INFO,
        log::Level::Debug | log::Level::Trace => libc::LOG_DEBUG,
    }
}

impl log::Log for SyslogLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        sys::syslog(
            libc::LOG_USER | syslog_level(record.level()),
            &c_message(&message),
        );
        if self.stderr {
            let _ = writeln!(std::io::stderr().lock(), "{message}");
        }
    }

    fn flush(&self) {}
}
