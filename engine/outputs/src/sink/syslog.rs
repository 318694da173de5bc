//! `syslog_output`: each alert through libc's syslog(3), facility `LOG_USER`, level from the
//! alert's priority, as Falco does.

use std::borrow::Cow;
use std::ffi::CString;
use std::sync::Arc;
use std::time::Instant;

use super::Sink;
use crate::alert::Alert;
use crate::stats::Counters;
use crate::sys;

/// Sends alert lines to the system logger.
///
/// libc connects to `/dev/log` on first use and gives no delivery result, so `delivered`
/// counts alerts handed to syslog(3); what the daemon does not receive is invisible here.
pub(crate) struct SyslogSink {
    counters: Arc<Counters>,
}

impl SyslogSink {
    pub(crate) fn new(counters: Arc<Counters>) -> Self {
        SyslogSink { counters }
    }
}

/// The message as a C string: NUL bytes, which syslog(3) cannot carry, become spaces.
pub(crate) fn c_message(line: &str) -> CString {
    let bytes: Cow<'_, str> = if line.contains('\0') {
        Cow::Owned(line.replace('\0', " "))
    } else {
        Cow::Borrowed(line)
    };
    // PANIC: none, every NUL was replaced above; the fallback only satisfies the type.
    CString::new(bytes.into_owned()).unwrap_or_default()
}

impl Sink for SyslogSink {
    fn deliver(&mut self, alert: &Arc<Alert>) {
        let message = c_message(&alert.line);
        sys::syslog(libc::LOG_USER | alert.priority.syslog_level(), &message);
        self.counters.delivered(1);
    }

    fn close(&mut self, _deadline: Instant) {}
}

#[cfg(test)]
mod tests {
    #[test]
    fn nul_bytes_become_spaces() {
        assert_eq!(super::c_message("a\0b").as_bytes(), b"a b");
        assert_eq!(super::c_message("plain").as_bytes(), b"plain");
    }
}
